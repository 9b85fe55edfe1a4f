"""Allegations and denials: who accuses whom of what, and who rejects it.

An allegation is a reporting verb ("say", "accuse", "believe", "fear", "according to"...)
whose speaker is a named party, person, or officials of a named state, and whose complement
accuses another party of something (supplying weapons, violations, aggression...). The
journalist's own framing, unattributed passives ("is suspected of") and hypotheticals about
unnamed acts ("a transfer would violate sanctions") are left out. A denial is "deny",
"refute", or "reject/dismiss" of a claim, linked to the allegation it answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.mentions import Mentions
from extractor.schema import AllegationDraft, DenialDraft

REPORTING_VERBS = words(
    "say accuse allege claim believe suspect fear warn question charge blame tell assert argue "
    "contend think worry add state estimate insist"
)
_ACCUSING = words("accuse charge blame suspect")
DENIAL_VERBS = words("deny refute rebut reject dismiss disavow repudiate")
_NEEDS_CLAIM_OBJECT = frozenset(["reject", "dismiss"])
_CLAIM_NOUNS = words(
    "claim allegation accusation charge report suggestion assertion speculation this that it "
    "them these those"
)
# What an accusation is about: hostile, unlawful or contested acts and their instruments.
_ACCUSATION_WORDS = words(
    "supply provide transfer ship send deliver sell arm fund finance violate breach flout evade "
    "sabotage undermine attack strike invade bomb shell kill target launch fire occupy annex "
    "interfere meddle hack spy smuggle cheat threaten destabilise destabilize torture detain "
    "abduct plot replenish weapon arms missile munition ammunition drone rocket troops soldier "
    "aggression violation invasion supplies crime genocide terrorism terrorist massacre "
    "bombardment offensive incursion"
)
_MEDIA_WORDS = words(
    "media agency newspaper outlet television broadcaster correspondent report reports footage "
    "video statement"
)
_HYPOTHETICAL = words("would could might may")
_PERSON_PRONOUNS = frozenset(["he", "she"])


@dataclass
class _Allegation:
    draft: AllegationDraft
    sentence: int


def _conjuncts(token: Any) -> list[Any]:
    out = [token]
    for child in token.children:
        if child.dep_ == "conj":
            out.extend(_conjuncts(child))
    return out


def _speaker_heads(verb: Any) -> list[Any]:
    for child in verb.children:
        if child.dep_ == "nsubj":
            return _conjuncts(child)
    if verb.dep_ == "conj" and verb.head.i != verb.i:
        return _speaker_heads(verb.head)  # "... say X, and have accused Y": same speakers
    return []


def _names_in(mentions: Mentions, sentence: Sentence, head: Any) -> tuple[list[str], list[str]]:
    """(people, states and bodies) named in a speaker or accused phrase."""
    people: list[str] = []
    bodies: list[str] = []
    skip: set[int] = set()
    for tok in head.subtree:
        if tok.dep_ in ("relcl", "acl", "advcl") and tok.i != head.i:
            skip.update(t.i for t in tok.subtree)
    for tok in head.subtree:
        if tok.i in skip:
            continue
        entity = mentions.at(sentence, tok)
        if entity is None:
            continue
        bucket = people if entity.type == "person" else bodies
        if entity.name not in bucket:
            bucket.append(entity.name)
    return people, bodies


def _speakers(
    mentions: Mentions, sentence: Sentence, heads: list[Any], recent: list[_Allegation]
) -> list[str]:
    names: list[str] = []
    for head in heads:
        if head.pos_ == "PRON":
            names.extend(n for n in _antecedent(mentions, sentence, head, recent) if n not in names)
            continue
        if head.lemma_.lower() in _MEDIA_WORDS or head.lower_ in _MEDIA_WORDS:
            continue  # "state media said": the outlet is not the alleger
        people, bodies = _names_in(mentions, sentence, head)
        names.extend(n for n in (people or bodies) if n not in names)
    return names


def _antecedent(
    mentions: Mentions, sentence: Sentence, pronoun: Any, recent: list[_Allegation]
) -> list[str]:
    """Who 'they' or 'he' is: a named subject higher in the sentence, else just before it."""
    node = pronoun.head
    while node.head.i != node.i:
        node = node.head
        for child in node.children:
            if child.dep_ == "nsubj" and child.pos_ != "PRON":
                people, bodies = _names_in(mentions, sentence, child)
                if people or bodies:
                    return people or bodies
    if pronoun.lower_ in ("they", "them"):
        if recent and recent[-1].sentence >= sentence.index - 1:
            return list(recent[-1].draft.alleged_by)
        return []
    if pronoun.lower_ not in _PERSON_PRONOUNS or sentence.index == 0:
        return []
    previous = mentions.article.sentences[sentence.index - 1]
    subjects = [
        m.name
        for m in mentions.in_sentence(previous)
        if m.type == "person" and _head_dep(m) == "nsubj"
    ]
    return subjects[-1:]


def _head_dep(mention: Any) -> str:
    doc = mention.sentence.span.doc
    for k in range(mention.first, mention.last + 1):
        if not mention.first <= doc[k].head.i <= mention.last:
            return str(doc[k].dep_)
    return str(doc[mention.last].dep_)


def _own_side(mentions: Mentions, speakers: list[str]) -> set[str]:
    side = set(speakers)
    for name in speakers:
        entity = mentions.entity(name)
        if entity is not None and entity.represents:
            side.add(entity.represents)
    return side


def _accused_of(mentions: Mentions, sentence: Sentence, clause: Any) -> tuple[list[str], bool]:
    """Parties a complement clause is about, and whether they are its grammatical subject."""
    subjects = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
    direct: list[str] = []
    for subject in subjects:
        for tok in _conjuncts(subject):
            entity = mentions.at(sentence, tok)
            if entity is not None and entity.name not in direct:
                direct.append(entity.name)
    if direct:
        return direct, True
    found: list[str] = []
    for subject in subjects:
        for noun in _conjuncts(subject):
            # "North Korean help ...", "Moscow's transfer ...", "transfers between X and Y"
            modifiers = [c for c in noun.children if c.dep_ in ("amod", "compound", "poss", "nmod")]
            for prep in noun.children:
                if prep.dep_ == "prep" and prep.lower_ in ("between", "from", "by"):
                    modifiers += [
                        t for p in prep.children if p.dep_ == "pobj" for t in _conjuncts(p)
                    ]
            for tok in modifiers:
                entity = mentions.at(sentence, tok)
                if entity is not None and entity.name not in found:
                    found.append(entity.name)
    return found, False


def _accuses(clause: Any) -> bool:
    return any(t.lemma_.lower() in _ACCUSATION_WORDS for t in clause.subtree)


def _clause_text(article: ParsedArticle, sentence: Sentence, clause: Any) -> tuple[str, Any, Any]:
    doc = sentence.span.doc
    lo, hi = clause.left_edge.i, clause.right_edge.i
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("that", "whether", "of")):
        lo += 1
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    text = re.sub(r"\s+", " ", article.quote(sentence, doc[lo], doc[hi])).strip(" “”\"'‘’,")
    return text, doc[lo], doc[hi]


def _complements(verb: Any) -> list[Any]:
    return [c for c in verb.children if c.dep_ in ("ccomp", "xcomp") and c.pos_ in ("VERB", "AUX")]


def _speaker_span(heads: list[Any]) -> list[Any]:
    tokens: list[Any] = []
    for head in heads:
        tokens += [head.left_edge, head] if head.i - head.left_edge.i < 10 else [head]
    return tokens


def find_allegations(article: ParsedArticle, mentions: Mentions) -> list[_Allegation]:
    """Attributed accusations, in text order, one per claim and alleger group."""
    found: list[_Allegation] = []
    for sentence in article.body:
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
                heads = _speaker_heads(verb)
                clauses = _complements(verb)
            else:
                continue
            speakers = _speakers(mentions, sentence, heads, found)
            if not speakers:
                continue
            if lemma in _ACCUSING:
                items = _accusation(article, mentions, sentence, verb, speakers, heads)
            else:
                items = [
                    item
                    for clause in clauses
                    if (
                        item := _reported(
                            article, mentions, sentence, verb, clause, speakers, heads
                        )
                    )
                ]
            for draft in items:
                if not _duplicate(found, draft):
                    found.append(_Allegation(draft, sentence.index))
    return found


def _reported(
    article: ParsedArticle,
    mentions: Mentions,
    sentence: Sentence,
    verb: Any,
    clause: Any,
    speakers: list[str],
    heads: list[Any],
) -> AllegationDraft | None:
    accused, direct = _accused_of(mentions, sentence, clause)
    accused = [a for a in accused if a not in _own_side(mentions, speakers)]
    if not accused or not _accuses(clause):
        return None
    hedged = any(c.dep_ == "aux" and c.lower_ in _HYPOTHETICAL for c in clause.children)
    if hedged and not direct:
        return None  # "a transfer would violate sanctions": a hypothetical, no one accused
    if any(c.dep_ == "neg" for c in clause.children):
        return None
    text, lo, hi = _clause_text(article, sentence, clause)
    evidence = article.quote_tokens(sentence, [*_speaker_span(heads), verb, lo, hi])
    return AllegationDraft(alleged_by=speakers, accused=accused, claim=text, evidence=evidence)


def _accusation(
    article: ParsedArticle,
    mentions: Mentions,
    sentence: Sentence,
    verb: Any,
    speakers: list[str],
    heads: list[Any],
) -> list[AllegationDraft]:
    """'accused North Korea of providing ammunition': object accused, 'of' clause the claim."""
    objects = [c for c in verb.children if c.dep_ in ("dobj", "nsubjpass")]
    accused: list[str] = []
    for obj in objects:
        for tok in _conjuncts(obj):
            entity = mentions.at(sentence, tok)
            if entity is not None and entity.name not in accused:
                accused.append(entity.name)
    accused = [a for a in accused if a not in _own_side(mentions, speakers)]
    of = [
        p
        for c in verb.children
        if c.dep_ == "prep" and c.lower_ in ("of", "over", "for")
        for p in c.children
    ]
    if not accused or not of:
        return []
    text, lo, hi = _clause_text(article, sentence, of[0])
    claim = f"{' and '.join(accused)} {text}" if of[0].tag_ == "VBG" else text
    evidence = article.quote_tokens(sentence, [*_speaker_span(heads), verb, lo, hi])
    return [AllegationDraft(alleged_by=speakers, accused=accused, claim=claim, evidence=evidence)]


def _duplicate(found: list[_Allegation], draft: AllegationDraft) -> bool:
    for item in found:
        same_people = set(item.draft.alleged_by) == set(draft.alleged_by)
        if same_people and fuzz.token_set_ratio(item.draft.claim, draft.claim) >= 85:
            return True
    return False


def find_denials(
    article: ParsedArticle, mentions: Mentions, allegations: list[_Allegation]
) -> list[DenialDraft]:
    """Denials of claims, each linked to the nearest earlier allegation against the denier."""
    out: list[DenialDraft] = []
    for sentence in article.body:
        for verb in sentence.span:
            lemma = verb.lemma_.lower()
            if lemma not in DENIAL_VERBS or verb.pos_ != "VERB":
                continue
            heads = _speaker_heads(verb)
            deniers = _speakers(mentions, sentence, heads, [])
            if not deniers:
                continue
            objects = [c for c in verb.children if c.dep_ in ("dobj", "ccomp", "xcomp")]
            if lemma in _NEEDS_CLAIM_OBJECT and not any(
                o.dep_ == "ccomp" or o.lemma_.lower() in _CLAIM_NOUNS for o in objects
            ):
                continue  # "rejected the proposal" is no denial of a claim
            link = _answered(allegations, sentence.index, sorted(_own_side(mentions, deniers)))
            pronoun = not objects or all(o.lemma_.lower() in _CLAIM_NOUNS for o in objects)
            if link is not None and pronoun:
                claim = allegations[link].draft.claim
                ends = [*_speaker_span(heads), verb, *objects]
            elif objects:
                claim, lo, hi = _clause_text(article, sentence, objects[0])
                ends = [*_speaker_span(heads), verb, lo, hi]
            else:
                continue
            evidence = article.quote_tokens(sentence, ends)
            out.append(
                DenialDraft(denied_by=deniers, claim=claim, allegation=link, evidence=evidence)
            )
    return out


def _answered(allegations: list[_Allegation], sentence: int, deniers: list[str]) -> int | None:
    best: int | None = None
    for index, item in enumerate(allegations):
        if not sentence - 2 <= item.sentence <= sentence:
            continue
        later = best is None or allegations[best].sentence < item.sentence
        if set(item.draft.accused) & set(deniers) and later:
            best = index
    return best
