"""Allegations and denials: who accuses whom of what, and who rejects it.

An allegation is made by a named party, person, or officials of a named state, and accuses
another party of something. It is read in four shapes:

- a reporting verb ("say", "accuse", "believe", "fear", "according to"...) whose complement
  accuses a party of a hostile, unlawful or contested act ("the US says Pyongyang is supplying
  Moscow with missiles"); the accused is the complement's subject, a party modifying it
  ("North Korean help..."), the one thanked or blamed "for" an act, or else the one party the
  complement names besides the speaker's own side;
- a speaker's pejorative naming of another party's conduct ("US bullying", "Western
  blackmail", "the hegemonic policy of the United States"), inside a reporting or stance verb
  ("said", "portray", "called for"), or in a quotation continuing the previous sentence's;
- a named party's fear or concern about another's act ("concerned about possible Russian
  support for ... missile programmes");
- the other half of an exchange ("... in return for North Korea's agreement to supply shells").

The journalist's own framing, unattributed passives ("is suspected of") and hypotheticals about
unnamed acts ("a transfer would violate sanctions") are left out. A denial is "deny", "refute",
or "reject/dismiss" of a claim, linked to the allegation it answers; or a speaker calling a claim
false ("said the allegations are false", "described the idea that ... as absurd"); or a speaker
stating the opposite of what a party is accused of ("said the United States is not preventing
...", a defence lawyer's "never intended to harm").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import AGREEMENT_NOUNS
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.mentions import Mentions
from extractor.backends.offline.speakers import (
    REPORTING_VERBS,
    Recent,
    SpeakerResolver,
    conjuncts,
    speaker_heads,
    speaker_span,
)
from extractor.schema import AllegationDraft, DenialDraft

_ACCUSING = words("accuse charge blame suspect")
DENIAL_VERBS = words("deny refute rebut reject dismiss disavow repudiate dispute")
_NEEDS_CLAIM_OBJECT = frozenset(["reject", "dismiss", "dispute"])
_CLAIM_NOUNS = words(
    "claim allegation accusation charge report suggestion assertion speculation this that it "
    "them these those account version criticism"
)
# "rejected any role in the attack": what one denies having had.
_INVOLVEMENT_NOUNS = words("role responsibility involvement part link links complicity")
# What an accusation is about: hostile, unlawful or contested acts and their instruments.
_ACCUSATION_WORDS = words(
    "supply provide transfer ship send deliver sell arm fund finance violate breach flout evade "
    "sabotage undermine attack strike invade bomb shell kill target launch fire occupy annex "
    "interfere meddle hack spy smuggle cheat threaten destabilise destabilize torture detain "
    "abduct kidnap plot replenish weapon arms missile munition ammunition drone rocket troops "
    "soldier aggression violation invasion supplies crime genocide terrorism terrorist massacre "
    "bombardment offensive incursion"
)
# Without a named subject, only an unmistakable wrong names its doer ("a gross violation").
_WRONGDOING = _ACCUSATION_WORDS - words(
    "supply provide transfer ship send deliver sell arm fund finance launch fire weapon arms "
    "missile munition ammunition drone rocket troops soldier supplies replenish"
)
# Words that by themselves condemn the conduct of whoever they are attached to.
_PEJORATIVE_NOUNS = words(
    "bully bullying blackmail hegemony hegemonism imperialism colonialism neo-colonialism "
    "neocolonialism provocation provocations interference meddling coercion intimidation piracy "
    "hypocrisy atrocity atrocities warmongering aggression"
)
_PEJORATIVE_ADJECTIVES = words(
    "illegal unlawful illegitimate hegemonic imperialist imperialistic neo-colonial neocolonial "
    "criminal aggressive provocative unprovoked barbaric genocidal"
)
# Verbs through which a speaker characterises others' conduct, besides reporting verbs.
_STANCE_VERBS = words(
    "portray describe brand label denounce condemn decry criticise criticize slam blast vow "
    "pledge urge call"
)
_CONCERN_WORDS = words("concern concerned worry worried fear fearful alarm alarmed anxious")
_CONCERN_PREPS = words("about over at regarding")
_EXCHANGE_NOUNS = words("return exchange")
_OWNER_DEPS = words("amod compound poss nmod nsubj")
_OWNER_PREPS = words("of by from")
# Acts whose "of" names the victim, not the doer: "invasion of Ukraine".
_DONE_TO = words(
    "invasion occupation annexation bombing bombardment attack attacks shelling blockade "
    "destruction seizure killing killings"
)
_DONE_TO_LEMMAS = frozenset(w.rstrip("s") for w in _DONE_TO)
_HYPOTHETICAL = words("would could might may")
_OFFERS = words("offer promise propose pledge agree vow")
_CONCESSIONS = words(
    "dismantle halt stop freeze suspend end destroy scrap abandon close release withdraw"
)
# Bodies that act for a state: "Russian forces", "the Chinese coast guard", "Somali officials".
_ACTING_BODIES = words(
    "forces force troops soldiers army military navy guard officials government authorities "
    "police vessels vessel ships ship boats aircraft jets warplanes drones militia fighters "
    "ministry"
)
_OPENING_QUOTES = ("“", '"', "‘")


@dataclass
class _Allegation:
    draft: AllegationDraft
    sentence: int


@dataclass
class _Context:
    article: ParsedArticle
    mentions: Mentions
    resolver: SpeakerResolver


def party_of(ctx: _Context, sentence: Sentence, token: Any) -> str | None:
    """The party a noun names: itself ("Russia"), or the state whose forces, officials or ships
    it names ("Russian forces", "the Chinese coast guard", "Ethiopia's troops")."""
    entity = ctx.mentions.at(sentence, token)
    if entity is not None:
        return entity.name
    if token.lemma_.lower() not in _ACTING_BODIES and token.lower_ not in _ACTING_BODIES:
        return None
    for child in token.children:
        if child.dep_ in ("amod", "compound", "poss", "nmod"):
            for part in [child, *child.children]:
                found = ctx.mentions.at(sentence, part)
                if found is not None and found.type != "person":
                    return found.name
    return None


def _agreement_parties(ctx: _Context, sentence: Sentence, clause: Any) -> list[str]:
    """'the pact undermines regional peace': the agreement's parties, or the one the clause
    names acting under it ('the deal lets Indonesian exporters ...')."""
    subjects = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not any(s.lemma_.lower() in AGREEMENT_NOUNS for s in subjects):
        return []
    named = [
        name
        for tok in clause.subtree
        if tok.i not in {s.i for s in subjects}
        and (name := party_of(ctx, sentence, tok)) is not None
        and name in ctx.resolver.signatories
    ]
    return list(dict.fromkeys(named)) or sorted(ctx.resolver.signatories)


def _accused_subjects(ctx: _Context, sentence: Sentence, clause: Any) -> tuple[list[str], bool]:
    """Parties a complement clause is about, and whether they are its grammatical subject."""
    subjects = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
    direct: list[str] = []
    for subject in subjects:
        for tok in conjuncts(subject):
            name = party_of(ctx, sentence, tok)
            if name is not None and name not in direct:
                direct.append(name)
    if direct:
        return direct, True
    found: list[str] = []
    for subject in subjects:
        for noun in conjuncts(subject):
            # "North Korean help ...", "Moscow's transfer ...", "transfers between X and Y"
            modifiers = [c for c in noun.children if c.dep_ in ("amod", "compound", "poss", "nmod")]
            for prep in noun.children:
                if prep.dep_ == "prep" and prep.lower_ in ("between", "from", "by"):
                    modifiers += [
                        t for p in prep.children if p.dep_ == "pobj" for t in conjuncts(p)
                    ]
            for tok in modifiers:
                entity = ctx.mentions.at(sentence, tok)
                if entity is not None and entity.name not in found:
                    found.append(entity.name)
    return found, False


def _doers_thanked_or_blamed(
    ctx: _Context, sentence: Sentence, clause: Any
) -> tuple[list[str], Any]:
    """'thank the North for acting as an arsenal': the object of the verb did the act."""
    found: list[str] = []
    act = None
    for tok in clause.subtree:
        if not (tok.tag_ == "VBG" and tok.dep_ == "pcomp" and tok.head.lower_ == "for"):
            continue
        verb = tok.head.head
        if verb.pos_ != "VERB" or not _accuses(tok):
            continue
        for obj in (c for c in verb.children if c.dep_ == "dobj"):
            for part in conjuncts(obj):
                entity = ctx.mentions.at(sentence, part)
                if entity is not None and entity.name not in found:
                    found.append(entity.name)
                    act = act or tok
    return found, act


def _named_in(ctx: _Context, sentence: Sentence, tokens: Any, exclude: set[str]) -> list[str]:
    names: list[str] = []
    for tok in tokens:
        entity = ctx.mentions.at(sentence, tok)
        if entity is not None and entity.name not in exclude and entity.name not in names:
            names.append(entity.name)
    return names


def _accuses(clause: Any) -> bool:
    return any(t.lemma_.lower() in _ACCUSATION_WORDS for t in clause.subtree)


def _trimmed(article: ParsedArticle, sentence: Sentence, lo: int, hi: int) -> tuple[str, Any, Any]:
    doc = sentence.span.doc
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("that", "whether", "of", "as")):
        lo += 1
    for k in range(lo + 1, hi):
        after = doc[k + 1]
        if doc[k].text == "," and (
            after.lower_ in ("which", "although", "though")
            or (after.lower_ in ("a", "an") and doc[k + 2].lemma_.lower() in _APPOSITIVE_CLAIMS)
        ):
            # ", a charge Moscow denies" or ", although both deny that" answers the claim or
            # qualifies it; it is not part of it.
            hi = k - 1
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    text = re.sub(r"\s+", " ", article.quote(sentence, doc[lo], doc[hi])).strip(" “”\"'‘’,")
    if (text.count('"') + text.count("“") + text.count("”")) % 2:
        text = re.sub(r"[\"“”]", "", text)  # a quotation cut in half reads as noise
    return text, doc[lo], doc[hi]


def _clause_text(article: ParsedArticle, sentence: Sentence, clause: Any) -> tuple[str, Any, Any]:
    return _trimmed(article, sentence, clause.left_edge.i, clause.right_edge.i)


def _complements(verb: Any) -> list[Any]:
    return [c for c in verb.children if c.dep_ in ("ccomp", "xcomp") and c.pos_ in ("VERB", "AUX")]


def _quoted(ctx: _Context, sentence: Sentence) -> bool:
    return any(q in ctx.article.sentence_text(sentence) for q in ("“", "”", '"'))


def find_allegations(article: ParsedArticle, resolver: SpeakerResolver) -> list[_Allegation]:
    """Attributed accusations, in text order, one per claim and alleger group."""
    ctx = _Context(article, resolver.mentions, resolver)
    found: list[_Allegation] = []
    explicit: set[int] = set()
    quoted: tuple[Sentence, list[str]] | None = None
    for sentence in article.body:
        recent = Recent(found[-1].sentence, found[-1].draft.alleged_by) if found else None
        items: list[AllegationDraft] = []
        speaking: list[str] = []
        for verb in sentence.span:
            lemma = verb.lemma_.lower()
            if verb.lower_ == "according" and any(c.lower_ == "to" for c in verb.children):
                heads = [
                    p
                    for c in verb.children
                    if c.lower_ == "to"
                    for p in c.children
                    if p.dep_ == "pobj"
                ]
                clauses = [verb.head] if verb.head.i != verb.i else []
            elif lemma in REPORTING_VERBS and verb.pos_ == "VERB":
                heads = speaker_heads(verb)
                clauses = _complements(verb)
            else:
                continue
            speakers = ctx.resolver.speakers(sentence, heads, recent)
            if not speakers:
                continue
            speaking = speaking or speakers
            if lemma in _ACCUSING:
                accusations = _accusation(ctx, sentence, verb, speakers, heads)
                explicit.update(id(a) for a in accusations)
                items += accusations
            else:
                for clause in clauses:
                    items += _reported(ctx, sentence, verb, clause, speakers, heads)
        carried = None
        if quoted is not None and _continues_quote(ctx, quoted[0], sentence):
            carried = quoted[1]
        items += _pejorative(ctx, sentence, recent, carried)
        items += _concerns(ctx, sentence, recent)
        for draft in items:
            if not _duplicate(found, draft, sentence.index, id(draft) in explicit):
                found.append(_Allegation(draft, sentence.index))
        if speaking and _quoted(ctx, sentence):
            quoted = (sentence, speaking)
        elif carried is None:
            quoted = None
    return found


def _continues_quote(ctx: _Context, previous: Sentence, sentence: Sentence) -> bool:
    """A sentence that opens a quotation right after an attributed quotation, same paragraph."""
    text = ctx.article.sentence_text(sentence)
    return (
        sentence.block == previous.block
        and sentence.index == previous.index + 1
        and text.startswith(_OPENING_QUOTES)
    )


def _reported(
    ctx: _Context,
    sentence: Sentence,
    verb: Any,
    clause: Any,
    speakers: list[str],
    heads: list[Any],
) -> list[AllegationDraft]:
    own = ctx.resolver.own_side(speakers)
    if clause.lemma_.lower() in _OFFERS and any(
        t.lemma_.lower() in _CONCESSIONS or t.dep_ == "neg" for t in clause.subtree
    ):
        return []  # "Kim had offered to dismantle ...": an offered concession accuses no one
    accused, direct = _accused_subjects(ctx, sentence, clause)
    if not accused and not set(own) & ctx.resolver.signatories:
        accused = _agreement_parties(ctx, sentence, clause)
        direct = bool(accused)
    act = None
    if not accused:
        accused, act = _doers_thanked_or_blamed(ctx, sentence, clause)
    hedged = any(c.dep_ == "aux" and c.lower_ in _HYPOTHETICAL for c in clause.children)
    negated = any(c.dep_ == "neg" for c in clause.children)
    if not accused and not hedged and not negated:
        # "all this is a gross violation of limitations agreed upon by western countries": the
        # accused may be named anywhere in the complement, if it names just one other party.
        others = _named_in(ctx, sentence, clause.subtree, ctx.resolver.allies(speakers))
        wrong = any(t.lemma_.lower() in _WRONGDOING for t in clause.subtree)
        accused = others if len(others) == 1 and wrong else []
    accused = [a for a in accused if a not in own]
    if not accused or not _accuses(clause):
        return []
    if hedged and not direct:
        return []  # "a transfer would violate sanctions": a hypothetical, no one accused
    if negated:
        return []
    text, lo, hi = _clause_text(ctx.article, sentence, clause)
    ends = [*speaker_span(heads), verb, lo, hi]
    evidence = ctx.article.quote_tokens(sentence, ends)
    if act is not None:
        text = f"{' and '.join(accused)} {_clause_text(ctx.article, sentence, act)[0]}"
    out = [AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)]
    out += _exchange(ctx, sentence, clause, speakers, own | set(accused), evidence)
    return out


def _exchange(
    ctx: _Context,
    sentence: Sentence,
    clause: Any,
    speakers: list[str],
    taken: set[str],
    evidence: str,
) -> list[AllegationDraft]:
    """'... in return for North Korea's agreement to supply shells': the other side's act."""
    out: list[AllegationDraft] = []
    for tok in clause.subtree:
        if tok.lower_ not in _EXCHANGE_NOUNS or tok.head.lower_ != "in":
            continue
        for prep in (c for c in tok.children if c.dep_ == "prep" and c.lower_ == "for"):
            for noun in (c for c in prep.children if c.dep_ == "pobj"):
                owners = [o for o in _owners(ctx, sentence, noun) if o not in taken]
                if owners and _accuses(noun):
                    text, _, _ = _clause_text(ctx.article, sentence, noun)
                    out.append(
                        AllegationDraft(
                            alleged_by=speakers, accused=owners, claim=text, evidence=evidence
                        )
                    )
    return out


def _accusation(
    ctx: _Context,
    sentence: Sentence,
    verb: Any,
    speakers: list[str],
    heads: list[Any],
) -> list[AllegationDraft]:
    """'accused North Korea of providing ammunition': object accused, 'of' clause the claim."""
    objects = [c for c in verb.children if c.dep_ in ("dobj", "nsubjpass")]
    accused: list[str] = []
    for obj in objects:
        for tok in conjuncts(obj):
            name = party_of(ctx, sentence, tok)
            if name is not None and name not in accused:
                accused.append(name)
    accused = [a for a in accused if a not in ctx.resolver.own_side(speakers)]
    # "accused Armenian forces of opening fire": the "of" may hang from the object.
    of = [
        p
        for c in [*verb.children, *(g for o in objects for g in o.children)]
        if c.dep_ == "prep" and c.lower_ in ("of", "over", "for")
        for p in c.children
    ]
    if not accused or not of:
        return []
    text, lo, hi = _clause_text(ctx.article, sentence, of[0])
    claim = f"{' and '.join(accused)} {text}" if of[0].tag_ == "VBG" else text
    evidence = ctx.article.quote_tokens(sentence, [*speaker_span(heads), verb, lo, hi])
    return [AllegationDraft(alleged_by=speakers, accused=accused, claim=claim, evidence=evidence)]


# ------------------------------------------------------------- pejorative naming, concern


def _owners(ctx: _Context, sentence: Sentence, noun: Any) -> list[str]:
    """Parties whose conduct a noun names: 'US bullying', 'policy of the United States'."""
    tokens: list[Any] = []
    for child in noun.children:
        if child.dep_ in _OWNER_DEPS:
            tokens += conjuncts(child)
        elif child.dep_ in ("prep", "agent") and child.lower_ in _OWNER_PREPS:
            if child.lower_ == "of" and noun.lemma_.lower() in _DONE_TO | _DONE_TO_LEMMAS:
                continue
            tokens += [t for p in child.children if p.dep_ == "pobj" for t in conjuncts(p)]
    names: list[str] = []
    for tok in tokens:
        if tok.tag_ == "PRP$":
            name = _possessor(ctx, sentence, tok)
        else:
            entity = ctx.mentions.at(sentence, tok)
            name = entity.name if entity is not None else None
        if name is not None and name not in names:
            names.append(name)
    return names


def _possessor(ctx: _Context, sentence: Sentence, pronoun: Any) -> str | None:
    """'his' is the nearest person named before it; 'its', 'their' the nearest state or body."""
    person = pronoun.lower_ in ("his", "her")
    best = None
    for mention in ctx.mentions.in_sentence(sentence):
        if mention.last >= pronoun.i:
            break
        if (mention.type == "person") == person:
            best = mention.name
    return best


def _speaker_of(
    ctx: _Context, sentence: Sentence, token: Any, recent: Recent | None
) -> tuple[list[str], list[Any], Any] | None:
    """The nearest reporting verb above a token with a named speaker, else a stance verb."""
    stance: tuple[list[str], list[Any], Any] | None = None
    node = token
    while node.head.i != node.i:
        node = node.head
        lemma = node.lemma_.lower()
        if node.pos_ != "VERB" or (lemma not in REPORTING_VERBS and lemma not in _STANCE_VERBS):
            continue
        heads = speaker_heads(node) or _interrupted_subject(ctx, sentence, node)
        speakers = ctx.resolver.speakers(sentence, heads, recent)
        if not speakers:
            continue
        if lemma in REPORTING_VERBS:
            return speakers, heads, node
        stance = stance or (speakers, heads, node)
    return stance


def _interrupted_subject(ctx: _Context, sentence: Sentence, verb: Any) -> list[Any]:
    """'Putin, in a commentary published on ..., called for': the tagger loses such subjects."""
    people = [
        m for m in ctx.mentions.in_sentence(sentence) if m.type == "person" and m.last < verb.i
    ]
    if not people:
        return []
    doc = sentence.span.doc
    last = people[-1]
    after = doc[last.last + 1] if last.last + 1 < sentence.span.end else None
    head = doc[last.last]
    if after is None or after.text != "," or head.dep_ in ("pobj", "dobj", "poss", "compound"):
        return []
    return [head]


def _pejorative(
    ctx: _Context, sentence: Sentence, recent: Recent | None, carried: list[str] | None
) -> list[AllegationDraft]:
    """A speaker's pejorative naming of another party's conduct, one item per party."""
    out: list[AllegationDraft] = []
    lowers = {t.lower_ for t in sentence.span} | {t.lemma_.lower() for t in sentence.span}
    if not lowers & (_PEJORATIVE_NOUNS | _PEJORATIVE_ADJECTIVES):
        return out
    for tok in sentence.span:
        noun = tok.pos_ in ("NOUN", "PROPN")
        adjectives = [
            a
            for c in tok.children
            if c.dep_ == "amod" and noun
            for a in conjuncts(c)
            if a.lower_ in _PEJORATIVE_ADJECTIVES
        ]
        pejorative = tok.lower_ in _PEJORATIVE_NOUNS or tok.lemma_.lower() in _PEJORATIVE_NOUNS
        if not (pejorative or adjectives) or tok.dep_ == "amod":
            continue
        found = _speaker_of(ctx, sentence, tok, recent)
        if found is None and carried is None:
            continue
        speakers, heads, verb = found if found is not None else (carried or [], [], None)
        owners = _owners(ctx, sentence, tok)
        if not owners and adjectives:
            # "called for unity in resisting 'illegal and unilateral restrictions' ... out of the
            # control of the West": the one other party the sentence names is the target.
            others = _named_in(ctx, sentence, sentence.span, ctx.resolver.allies(speakers))
            owners = others if len(others) == 1 else []
        accused = [o for o in owners if o not in ctx.resolver.own_side(speakers)]
        if not accused:
            continue
        text, lo, hi = _trimmed(ctx.article, sentence, tok.left_edge.i, tok.right_edge.i)
        named = {e.name for t in tok.subtree if (e := ctx.mentions.at(sentence, t)) is not None}
        if not set(accused) <= named:
            text = f"{text} ({' and '.join(accused)})"
        if verb is not None:
            evidence = ctx.article.quote_tokens(sentence, [*speaker_span(heads), verb, lo, hi])
        else:
            evidence = ctx.article.sentence_text(sentence)
        draft = AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)
        if not any(_same_target(o, draft) for o in out):
            out.append(draft)
    return out


def _concerns(ctx: _Context, sentence: Sentence, recent: Recent | None) -> list[AllegationDraft]:
    """'he was concerned about possible Russian support for ... missile programmes'."""
    out: list[AllegationDraft] = []
    for tok in sentence.span:
        if tok.lower_ not in _CONCERN_WORDS and tok.lemma_.lower() not in _CONCERN_WORDS:
            continue
        objects = [
            p
            for c in tok.children
            if c.dep_ == "prep" and c.lower_ in _CONCERN_PREPS
            for p in c.children
            if p.dep_ == "pobj"
        ]
        if not objects:
            continue
        holder = tok.head if tok.dep_ in ("acomp", "dobj", "attr") else tok
        heads = speaker_heads(holder)
        speakers = ctx.resolver.speakers(sentence, heads, recent)
        if not speakers:
            continue
        own = ctx.resolver.own_side(speakers)
        for noun in objects:
            accused = [o for o in _owners(ctx, sentence, noun) if o not in own]
            if not accused or not _accuses(noun):
                continue
            text, lo, hi = _clause_text(ctx.article, sentence, noun)
            evidence = ctx.article.quote_tokens(sentence, [*speaker_span(heads), tok, lo, hi])
            out.append(
                AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)
            )
    return out


def _same_target(item: AllegationDraft, draft: AllegationDraft) -> bool:
    return set(item.alleged_by) == set(draft.alleged_by) and set(item.accused) == set(draft.accused)


def _duplicate(
    found: list[_Allegation], draft: AllegationDraft, sentence: int, explicit: bool = False
) -> bool:
    """The same claim again, or the same speaker and target in consecutive sentences (unless
    the later one is an accusation of its own: "also accused ... of crossing ...")."""
    for item in found:
        if not _same_target(item.draft, draft):
            continue
        if fuzz.token_set_ratio(item.draft.claim, draft.claim) >= 85:
            return True
        if item.sentence == sentence - 1 and not explicit:
            return True
    return False


def find_denials(
    article: ParsedArticle, resolver: SpeakerResolver, allegations: list[_Allegation]
) -> list[DenialDraft]:
    """Denials of claims, each linked to the nearest earlier allegation against the denier."""
    out: list[DenialDraft] = []
    for sentence in article.body:
        for verb in sentence.span:
            lemma = verb.lemma_.lower()
            if lemma not in DENIAL_VERBS or verb.pos_ != "VERB":
                continue
            heads = speaker_heads(verb)
            deniers = resolver.speakers(sentence, heads, None)
            if not deniers:
                continue
            objects = [c for c in verb.children if c.dep_ in ("dobj", "ccomp", "xcomp")]
            # "..., a charge Moscow denies", "an allegation Israel has rejected as baseless"
            appositive = verb.dep_ in ("relcl", "acl") and verb.head.lemma_.lower() in _CLAIM_NOUNS
            if appositive:
                objects = [o for o in objects if o.tag_ not in ("WDT", "WP")] or [verb.head]
            fronted = _fronted_claim(sentence, verb)
            if fronted:
                # The tagger can hang the accusation on the denial: "X accused Y ..., a charge
                # Z denies" parsed as "denies (accused ...) (a charge)".
                objects, appositive = fronted[:1], True
                verb_head = fronted[0].doc[fronted[0].i - 1]
            else:
                verb_head = verb.head
            objects = [o for o in objects if o.tag_ not in ("WDT", "WP")] or objects
            which = any(c.tag_ in ("WDT", "WP") and c.dep_ == "dobj" for c in verb.children)
            if lemma in _NEEDS_CLAIM_OBJECT and not any(
                o.dep_ == "ccomp"
                or o.lemma_.lower() in _CLAIM_NOUNS | _INVOLVEMENT_NOUNS
                or o.tag_ in ("WDT", "WP")
                for o in objects
            ):
                continue  # "rejected the proposal" is no denial of a claim
            link = _answered(allegations, sentence.index, sorted(resolver.own_side(deniers)))
            pronoun = (
                not objects
                or which
                or all(o.lemma_.lower() in _CLAIM_NOUNS | {"which"} for o in objects)
            )
            if link is not None and (pronoun or _involvement(objects)):
                claim = allegations[link].draft.claim
                ends = [*speaker_span(heads), verb, *objects]
                if appositive:
                    ends = [min(verb_head.left_edge, verb_head, key=lambda x: x.i), verb]
            elif objects:
                claim, lo, hi = _clause_text(article, sentence, objects[0])
                ends = [*speaker_span(heads), verb, lo, hi]
                if link is not None and not _same_matter(allegations[link].draft.claim, objects[0]):
                    link = None  # "denied that Moscow had demanded ...": a claim of its own
            else:
                continue
            evidence = article.quote_tokens(sentence, ends)
            out.append(
                DenialDraft(denied_by=deniers, claim=claim, allegation=link, evidence=evidence)
            )
    for denial in _falsity_denials(article, resolver, allegations):
        if not any(_same_denial(d, denial) for d in out):
            out.append(denial)
    return out


def _same_denial(a: DenialDraft, b: DenialDraft) -> bool:
    return set(a.denied_by) == set(b.denied_by) and (
        a.evidence in b.evidence
        or b.evidence in a.evidence
        or fuzz.token_set_ratio(a.claim, b.claim) >= 85
    )


_APPOSITIVE_CLAIMS = words("charge allegation accusation claim")
# What a speaker calls a claim when denying it: "the allegations are false", "as absurd".
_FALSE_WORDS = words(
    "false untrue baseless groundless absurd unfounded wrong fabricated ridiculous nonsense "
    "lie lies fake fiction propaganda"
)
_DESCRIBE_VERBS = words("describe call brand label dismiss")
_IDEA_NOUNS = words("idea claim claims allegation allegations suggestion notion accusation report")
_NEGATIONS = words("not never n't")
_HARM_WORDS = words("harm hurt threaten intend")


def _clauses_of(verb: Any) -> list[Any]:
    """A reporting verb's complement clauses, each coordinated clause on its own."""
    out: list[Any] = []
    clauses = [c for c in verb.children if c.dep_ == "ccomp"]
    # "said in an email that X never intended ...": the tagger can hang the clause on "email".
    clauses += [
        c
        for prep in verb.children
        if prep.dep_ == "prep"
        for pobj in prep.children
        for c in pobj.children
        if c.dep_ == "relcl" and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)
    ]
    for clause in clauses:
        out.append(clause)
        out += [c for c in clause.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    return out


def _latest_allegation(allegations: list[_Allegation], sentence: int) -> int | None:
    best: int | None = None
    for index, item in enumerate(allegations):
        if sentence - 6 <= item.sentence <= sentence:
            best = index
    return best


def _falsity_denials(
    article: ParsedArticle, resolver: SpeakerResolver, allegations: list[_Allegation]
) -> list[DenialDraft]:
    """Denials by a speaker who calls a claim false ('said the allegations are false', 'described
    the idea that ... as absurd') or states its opposite ('said that X never intended to harm
    Y', 'the United States is not preventing people from leaving')."""
    ctx = _Context(article, resolver.mentions, resolver)
    out: list[DenialDraft] = []
    for sentence in article.body:
        for verb in sentence.span:
            lemma = verb.lemma_.lower()
            if verb.pos_ != "VERB" or lemma not in REPORTING_VERBS | _DESCRIBE_VERBS:
                continue
            heads = speaker_heads(verb)
            deniers = resolver.speakers(sentence, heads, None)
            if not deniers:
                continue
            for claim, lo, hi, linked in _false_claims(ctx, sentence, verb, allegations):
                evidence = article.quote_tokens(sentence, [*speaker_span(heads), verb, lo, hi])
                denial = DenialDraft(
                    denied_by=deniers, claim=claim, allegation=linked, evidence=evidence
                )
                out.append(denial)
    return out


def _false_claims(
    ctx: _Context,
    sentence: Sentence,
    verb: Any,
    allegations: list[_Allegation],
) -> list[tuple[str, Any, Any, int | None]]:
    found: list[tuple[str, Any, Any, int | None]] = []
    link = _latest_allegation(allegations, sentence.index)
    if verb.lemma_.lower() in _DESCRIBE_VERBS:
        for obj in (c for c in verb.children if c.dep_ == "dobj"):
            tail = [t for t in obj.subtree if t.lower_ in _FALSE_WORDS]
            said = [c for c in obj.children if c.dep_ in ("acl", "ccomp", "relcl")]
            if obj.lemma_.lower() in _IDEA_NOUNS and tail and said:
                claim = _clause_text(ctx.article, sentence, said[0])[0]
                claim = re.sub(r"\s+as\b.*$", "", claim)
                found.append((claim, obj, tail[-1], None))
        return found
    for clause in _clauses_of(verb):
        subjects = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
        falsity = [c for c in clause.children if c.dep_ in ("acomp", "attr")]
        called_false = any(f.lower_ in _FALSE_WORDS for f in falsity)
        if called_false and link is not None and any(
            s.lemma_.lower() in _IDEA_NOUNS for s in subjects
        ):
            found.append((allegations[link].draft.claim, subjects[0].left_edge, falsity[-1], link))
            continue
        negated = any(c.dep_ == "neg" and c.lower_ in _NEGATIONS for c in clause.children)
        named = [
            name
            for s in subjects
            for t in conjuncts(s)
            if (name := party_of(ctx, sentence, t)) is not None
        ]
        wrong = any(t.lemma_.lower() in _HARM_WORDS for t in clause.subtree)
        # "X is not preventing people from leaving" answers a claim that X prevents them.
        answers = any(
            set(named) & set(item.draft.accused) and _same_matter(item.draft.claim, clause)
            for item in allegations
        )
        if negated and named and (answers or wrong):
            text, lo, hi = _clause_text(ctx.article, sentence, clause)
            claim = re.sub(r"\s+(?:never|not|n't)\b", "", text)
            found.append((claim, lo, hi, None))
    return found


def _fronted_claim(sentence: Sentence, verb: Any) -> list[Any]:
    """', a charge Kigali denies': the claim noun between the comma and the denial verb."""
    doc = sentence.span.doc
    k = verb.i - 1
    while k > sentence.span.start and k > verb.i - 6 and doc[k].text != ",":
        if doc[k].lemma_.lower() in _APPOSITIVE_CLAIMS and doc[k - 1].lower_ in ("a", "an"):
            return [doc[k]]
        k -= 1
    return []


def _same_matter(claim: str, clause: Any) -> bool:
    """Whether a denial's own clause is about what an allegation claims: a shared content
    word, or an accusation word on both sides ('struck any villages' / 'bombing ...')."""
    claimed = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]{3,}", claim)}
    denied = {
        t.lemma_.lower().rstrip("s")
        for t in clause.subtree
        if t.pos_ in ("NOUN", "VERB", "ADJ") and not t.is_stop
    }
    if claimed & denied:
        return True
    accusing = {w.rstrip("s") for w in _ACCUSATION_WORDS}
    return bool(claimed & accusing) and bool(denied & accusing)


def _involvement(objects: list[Any]) -> bool:
    return any(o.lemma_.lower() in _INVOLVEMENT_NOUNS for o in objects)


def _answered(allegations: list[_Allegation], sentence: int, deniers: list[str]) -> int | None:
    best: int | None = None
    for index, item in enumerate(allegations):
        if not sentence - 2 <= item.sentence <= sentence:
            continue
        later = best is None or allegations[best].sentence < item.sentence
        if set(item.draft.accused) & set(deniers) and later:
            best = index
    return best
