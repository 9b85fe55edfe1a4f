"""Reported and explicit accusations: "X says Y supplied ...", "X accused Y of ...".

A reporting verb ("say", "believe", "according to") whose complement accuses a party of a
hostile, unlawful or contested act, an accusing verb ("accuse", "charge", "blame") with its
object and its "of" clause, and the other half of an exchange ("... in return for North
Korea's agreement to supply shells"). Pejorative namings and concerns are read by `stances`;
the shapes as a whole are described in `claims`.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from extractor.backends.offline.claims import (
    ACCUSATION_WORDS,
    Allegation,
    ClaimContext,
    accuses,
    clause_text,
    named_in,
    party_of,
    same_target,
)
from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import AGREEMENT_NOUNS
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.speakers import (
    REPORTING_VERBS,
    Recent,
    SpeakerResolver,
    conjuncts,
    speaker_heads,
    speaker_span,
)
from extractor.backends.offline.stances import conduct_owners, pejorative_namings, stated_concerns
from extractor.schema import AllegationDraft

_ACCUSING = words("accuse charge blame suspect")
# Without a named subject, only an unmistakable wrong names its doer ("a gross violation").
_WRONGDOING = ACCUSATION_WORDS - words(
    "supply provide transfer ship send deliver sell arm fund finance launch fire weapon arms "
    "missile munition ammunition drone rocket troops soldier supplies replenish"
)
_EXCHANGE_NOUNS = words("return exchange")
_HYPOTHETICAL = words("would could might may")
_AGREEING = words("agree sign decide")
_OFFERS = words("offer promise propose pledge agree vow")
_CONCESSIONS = words(
    "dismantle halt stop freeze suspend end destroy scrap abandon close release withdraw"
)
_OPENING_QUOTES = ("“", '"', "‘")


def _agreement_parties(ctx: ClaimContext, sentence: Sentence, clause: Any) -> list[str]:
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


def _accused_subjects(ctx: ClaimContext, sentence: Sentence, clause: Any) -> tuple[list[str], bool]:
    """Parties a complement clause is about, and whether they are its grammatical subject."""
    subjects = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
    if any(s.dep_ == "nsubjpass" for s in subjects):
        # "civilians have been killed by X": the passive's subject suffered the act; its
        # doer is the agent, if named.
        subjects = [p for a in clause.children if a.dep_ == "agent" for p in a.children]
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
    ctx: ClaimContext, sentence: Sentence, clause: Any
) -> tuple[list[str], Any]:
    """'thank the North for acting as an arsenal': the object of the verb did the act."""
    found: list[str] = []
    act = None
    for tok in clause.subtree:
        if not (tok.tag_ == "VBG" and tok.dep_ == "pcomp" and tok.head.lower_ == "for"):
            continue
        verb = tok.head.head
        if verb.pos_ != "VERB" or not accuses(tok):
            continue
        for obj in (c for c in verb.children if c.dep_ == "dobj"):
            for part in conjuncts(obj):
                entity = ctx.mentions.at(sentence, part)
                if entity is not None and entity.name not in found:
                    found.append(entity.name)
                    act = act or tok
    return found, act


def _complements(verb: Any) -> list[Any]:
    return [c for c in verb.children if c.dep_ in ("ccomp", "xcomp") and c.pos_ in ("VERB", "AUX")]


def _quoted(ctx: ClaimContext, sentence: Sentence) -> bool:
    return any(q in ctx.article.sentence_text(sentence) for q in ("“", "”", '"'))


def find_allegations(article: ParsedArticle, resolver: SpeakerResolver) -> list[Allegation]:
    """Attributed accusations, in text order, one per claim and alleger group."""
    ctx = ClaimContext(article, resolver.mentions, resolver)
    found: list[Allegation] = []
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
        items += pejorative_namings(ctx, sentence, recent, carried)
        items += stated_concerns(ctx, sentence, recent)
        for draft in items:
            if not _duplicate(found, draft, sentence.index, id(draft) in explicit):
                found.append(Allegation(draft, sentence.index))
        if speaking and _quoted(ctx, sentence):
            quoted = (sentence, speaking)
        elif carried is None:
            quoted = None
    return found


def _continues_quote(ctx: ClaimContext, previous: Sentence, sentence: Sentence) -> bool:
    """A sentence that opens a quotation right after an attributed quotation, same paragraph."""
    text = ctx.article.sentence_text(sentence)
    return (
        sentence.block == previous.block
        and sentence.index == previous.index + 1
        and text.startswith(_OPENING_QUOTES)
    )


def _reported(
    ctx: ClaimContext,
    sentence: Sentence,
    verb: Any,
    clause: Any,
    speakers: list[str],
    heads: list[Any],
) -> list[AllegationDraft]:
    own = ctx.resolver.own_side(speakers)
    if clause.lemma_.lower() in REPORTING_VERBS and speaker_heads(clause):
        return []  # "X accused Y of ..., Radio Z reported": X's words, read at X's verb
    if clause.lemma_.lower() in _OFFERS and any(
        t.lemma_.lower() in _CONCESSIONS or t.dep_ == "neg" for t in clause.subtree
    ):
        return []  # "Kim had offered to dismantle ...": an offered concession accuses no one
    accused, direct = _accused_subjects(ctx, sentence, clause)
    if clause.lemma_.lower() in _AGREEING and not direct:
        return []  # "the meeting between X and Y agreed to deploy soldiers": an agreement
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
        # accused may be named anywhere in the complement, if it names one or two other
        # parties. Not who suffered a passive act ("Afghan civilians were killed"), nor in what
        # a nested reporting verb says ("... and accused Morocco of ..."): that is read there.
        left_out = {
            t.i
            for c in clause.children
            if c.dep_ == "nsubjpass"
            for m in [c, *(m for m in c.children if m.dep_ in ("amod", "compound", "poss"))]
            for t in m.subtree
            if t.i == c.i or m.i != c.i
        }
        left_out |= {
            t.i
            for v in clause.subtree
            if v.i != clause.i and v.pos_ == "VERB" and v.lemma_.lower() in REPORTING_VERBS
            for t in v.subtree
        }
        rest = [t for t in clause.subtree if t.i not in left_out]
        others = named_in(ctx, sentence, rest, ctx.resolver.allies(speakers))
        wrong = any(t.lemma_.lower() in _WRONGDOING for t in rest)
        accused = others if 0 < len(others) <= 2 and wrong else []
    accused = [a for a in accused if a not in own]
    if not accused or not accuses(clause):
        return []
    if hedged and not direct:
        return []  # "a transfer would violate sanctions": a hypothetical, no one accused
    if negated:
        return []
    text, lo, hi = clause_text(ctx.article, sentence, clause)
    ends = [*speaker_span(heads), verb, lo, hi]
    evidence = ctx.article.quote_tokens(sentence, ends)
    if act is not None:
        text = f"{' and '.join(accused)} {clause_text(ctx.article, sentence, act)[0]}"
    out = [AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)]
    out += _exchange(ctx, sentence, clause, speakers, own | set(accused), evidence)
    return out


def _exchange(
    ctx: ClaimContext,
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
                owners = [o for o in conduct_owners(ctx, sentence, noun) if o not in taken]
                if owners and accuses(noun):
                    text, _, _ = clause_text(ctx.article, sentence, noun)
                    out.append(
                        AllegationDraft(
                            alleged_by=speakers, accused=owners, claim=text, evidence=evidence
                        )
                    )
    return out


def _accusation(
    ctx: ClaimContext,
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
    mutual = len(speakers) >= 2 and any(_each_other(o) for o in objects)
    if not of or not (accused or mutual):
        return []
    text, lo, hi = clause_text(ctx.article, sentence, of[0])
    evidence = ctx.article.quote_tokens(sentence, [*speaker_span(heads), verb, lo, hi])
    if mutual:
        # "Armenia and Azerbaijan accused each other of violating the ceasefire": each side
        # accuses the others.
        return [
            AllegationDraft(
                alleged_by=[side],
                accused=[o for o in speakers if o != side],
                claim=text,
                evidence=evidence,
            )
            for side in speakers
        ]
    claim = f"{' and '.join(accused)} {text}" if of[0].tag_ == "VBG" else text
    return [AllegationDraft(alleged_by=speakers, accused=accused, claim=claim, evidence=evidence)]


def _each_other(token: Any) -> bool:
    """'each other', 'one another'."""
    return token.lower_ in ("other", "another") and any(
        c.lower_ in ("each", "one") for c in token.children
    )


def _duplicate(
    found: list[Allegation], draft: AllegationDraft, sentence: int, explicit: bool = False
) -> bool:
    """The same claim again, or the same speaker and target in consecutive sentences (unless
    the later one is an accusation of its own: "also accused ... of crossing ...")."""
    for item in found:
        if not same_target(item.draft, draft):
            continue
        if fuzz.token_set_ratio(item.draft.claim, draft.claim) >= 85:
            return True
        if item.sentence == sentence - 1 and not explicit:
            return True
    return False
