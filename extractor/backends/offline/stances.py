"""Pejorative namings and concerns: a speaker's "US bullying", "the hegemonic policy of the
United States", or a named party's fear of another's act ("concerned about possible Russian
support for ... missile programmes"). See `claims` for the shapes as a whole.
"""

from __future__ import annotations

from typing import Any

from extractor.backends.offline.claims import (
    ClaimContext,
    accuses,
    clause_text,
    named_in,
    same_target,
    trimmed_text,
)
from extractor.backends.offline.document import Sentence
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.speakers import (
    REPORTING_VERBS,
    Recent,
    conjuncts,
    speaker_heads,
    speaker_span,
)
from extractor.schema import AllegationDraft

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
_OWNER_DEPS = words("amod compound poss nmod nsubj")
_OWNER_PREPS = words("of by from")
# Acts whose "of" names the victim, not the doer: "invasion of Ukraine".
_DONE_TO = words(
    "invasion occupation annexation bombing bombardment attack attacks shelling blockade "
    "destruction seizure killing killings"
)
_DONE_TO_LEMMAS = frozenset(w.rstrip("s") for w in _DONE_TO)


def conduct_owners(ctx: ClaimContext, sentence: Sentence, noun: Any) -> list[str]:
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


def _possessor(ctx: ClaimContext, sentence: Sentence, pronoun: Any) -> str | None:
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
    ctx: ClaimContext, sentence: Sentence, token: Any, recent: Recent | None
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


def _interrupted_subject(ctx: ClaimContext, sentence: Sentence, verb: Any) -> list[Any]:
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


def pejorative_namings(
    ctx: ClaimContext, sentence: Sentence, recent: Recent | None, carried: list[str] | None
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
        owners = conduct_owners(ctx, sentence, tok)
        if not owners and adjectives:
            # "called for unity in resisting 'illegal and unilateral restrictions' ... out of the
            # control of the West": the one other party the sentence names is the target.
            others = named_in(ctx, sentence, sentence.span, ctx.resolver.allies(speakers))
            owners = others if len(others) == 1 else []
        accused = [o for o in owners if o not in ctx.resolver.own_side(speakers)]
        if not accused:
            continue
        text, lo, hi = trimmed_text(ctx.article, sentence, tok.left_edge.i, tok.right_edge.i)
        named = {e.name for t in tok.subtree if (e := ctx.mentions.at(sentence, t)) is not None}
        if not set(accused) <= named:
            text = f"{text} ({' and '.join(accused)})"
        if verb is not None:
            evidence = ctx.article.quote_tokens(sentence, [*speaker_span(heads), verb, lo, hi])
        else:
            evidence = ctx.article.sentence_text(sentence)
        draft = AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)
        if not any(same_target(o, draft) for o in out):
            out.append(draft)
    return out


def stated_concerns(
    ctx: ClaimContext, sentence: Sentence, recent: Recent | None
) -> list[AllegationDraft]:
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
            accused = [o for o in conduct_owners(ctx, sentence, noun) if o not in own]
            if not accused or not accuses(noun):
                continue
            text, lo, hi = clause_text(ctx.article, sentence, noun)
            evidence = ctx.article.quote_tokens(sentence, [*speaker_span(heads), tok, lo, hi])
            out.append(
                AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)
            )
    return out
