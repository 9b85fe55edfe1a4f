"""Terms stated as what the sides commit to: "Under the deal, X will ...", "X will ... under the
pact", "In return, X will ..." (one term per coordinated verb), "The two sides also agreed to
...", "agreed that A and that B", "Both sides affirmed their respect for ...", and, in a paragraph
that describes the agreement, a party's "will" ("Turkey will facilitate the talks"). See `terms`
for the whole.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import Mentions
from extractor.backends.offline.events import AGREEMENT_NOUNS, background, realised
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.provisions import (
    CLAUSE_BREAKS,
    TERM_MIN_WORDS,
    complement,
    hedged,
    quoted_at,
    statement_of,
    subjects_of,
    tidy,
)
from extractor.backends.offline.speakers import conjuncts
from extractor.schema import TermDraft

# Openers that put a sentence inside the agreement: "In return, ...", "In the first phase, ...".
_DOCUMENT_PARTS = words("term terms provision provisions clause clauses")
_IN_AGREEMENT = words("return exchange phase stage")
# Who commits in the agreement's own words: "both sides affirmed", "the two countries agreed".
_SIDE_NOUNS = words("sides countries nations parties governments states neighbours neighbors")
_COMMIT_VERBS = words("affirm reaffirm pledge commit undertake")
_FUTURE_AUX = words("will shall")
_COMMIT_CUES = re.compile(r"agree|affirm|pledge|commit|undert", re.I)
_FRAME_CUES = re.compile(r"\bunder\b|\bin (?:return|exchange)\b|\bphase\b|\bstage\b", re.I)


def _clause_without(
    article: ParsedArticle, sentence: Sentence, verb: Any, cut: Any
) -> tuple[str, Any, Any] | None:
    """The clause of `verb` without the phrase `cut` ("Under the deal," / "under the pact")."""
    doc = sentence.span.doc
    lo, hi = verb.left_edge.i, verb.right_edge.i
    cut_lo, cut_hi = cut.left_edge.i, cut.right_edge.i
    if cut_lo <= lo:
        lo = cut_hi + 1
    elif cut_hi >= hi:
        hi = cut_lo - 1
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("also", "and")):
        lo += 1
    for k in range(lo + 1, hi):
        if doc[k].text == "," and doc[k + 1].lower_ in CLAUSE_BREAKS:
            hi = k - 1
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    if hi <= lo:
        return None
    return tidy(article.quote(sentence, doc[lo], doc[hi])), doc[lo], doc[hi]


def framed_terms(article: ParsedArticle, sentence: Sentence, now: int | None) -> list[TermDraft]:
    """'Under the deal, Hamas will release ...', '... under the pact', 'In return, X will ...'."""
    out: list[TermDraft] = []
    if not _FRAME_CUES.search(sentence.span.text):
        return out
    for prep in sentence.span:
        if prep.dep_ != "prep":
            continue
        objects = [c for c in prep.children if c.dep_ == "pobj"]
        if prep.lower_ == "under":
            # "Under the deal, ...", "Under the terms of the agreement, ..."
            deals = objects + [
                p
                for o in objects
                if o.lemma_.lower() in _DOCUMENT_PARTS
                for c in o.children
                if c.dep_ == "prep" and c.lower_ == "of"
                for p in c.children
                if p.dep_ == "pobj"
            ]
            framed = [
                o
                for o in deals
                if o.lemma_.lower() in AGREEMENT_NOUNS and not background(sentence, o, now)
            ]
        elif prep.lower_ == "in":
            framed = [o for o in objects if o.lemma_.lower() in _IN_AGREEMENT]
        else:
            continue
        verb = prep.head
        for _ in range(4):
            if verb.pos_ in ("VERB", "AUX") or verb.head.i == verb.i:
                break
            verb = verb.head  # "... with five radar systems under the pact"
        if not framed or verb.pos_ not in ("VERB", "AUX"):
            continue
        if hedged(verb) or quoted_at(sentence, verb):
            continue
        if prep.lower_ == "in" and not _future(verb):
            continue
        clause = _clause_without(article, sentence, verb, prep)
        if clause is None:
            continue
        text, lo, hi = clause
        ends = [prep, hi] if prep.i < lo.i else [lo, prep.right_edge]
        evidence = article.quote_tokens(sentence, ends)
        pieces = _coordinated(article, sentence, verb, lo, hi)
        out.extend(TermDraft(statement=p, evidence=evidence) for p in pieces or [text])
    return out


def _coordinated(
    article: ParsedArticle, sentence: Sentence, verb: Any, lo: Any, hi: Any
) -> list[str]:
    """'Sudan will improve access ..., stop supporting rebels ... and cease the bombing ...':
    one provision per coordinated verb, each with the shared subject."""
    verbs = sorted(
        (v for v in conjuncts(verb) if v.pos_ == "VERB" and lo.i <= v.i <= hi.i), key=lambda v: v.i
    )
    subjects = subjects_of(verb)
    if len(verbs) < 2 or not subjects or not lo.i <= subjects[0].left_edge.i <= hi.i:
        return []
    doc = sentence.span.doc
    subject = article.quote(sentence, subjects[0].left_edge, subjects[0].right_edge)
    # Each later verb's phrase starts at its auxiliary, if it has one ("and will reopen").
    starts = [verb.i] + [
        min([v.i] + [c.i for c in v.children if c.dep_ == "aux"]) for v in verbs[1:]
    ]
    pieces: list[str] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] - 1 if k + 1 < len(starts) else hi.i
        while end > start and (doc[end].is_punct or doc[end].dep_ == "cc"):
            end -= 1
        if k == 0:
            start = subjects[0].right_edge.i + 1
        words = tidy(article.quote(sentence, doc[start], doc[end]))
        pieces.append(f"{subject} {words}")
    return pieces


def _future(verb: Any) -> bool:
    """'will release', 'will be allowed to': a commitment stated for the future."""
    head = verb
    while head.dep_ == "conj" and head.head.pos_ in ("VERB", "AUX"):
        if any(c.dep_ in ("aux", "auxpass") and c.lower_ in _FUTURE_AUX for c in head.children):
            return True
        head = head.head
    return any(c.dep_ in ("aux", "auxpass") and c.lower_ in _FUTURE_AUX for c in head.children)


def _generic_sides(subject: Any) -> bool:
    """'both sides', 'the two countries', 'the parties'."""
    return subject.lemma_.lower() in _SIDE_NOUNS or subject.lower_ in _SIDE_NOUNS


def agreed_terms(
    article: ParsedArticle, sentence: Sentence, names: set[str], mentions: Mentions | None
) -> list[TermDraft]:
    """'X and Y agreed to restore relations', 'Both sides affirmed their respect for ...'."""
    out: list[TermDraft] = []
    if not _COMMIT_CUES.search(sentence.span.text):
        return out  # most sentences have no such verb: skip the token walk
    for verb in sentence.span:
        lemma = verb.lemma_.lower()
        if verb.pos_ != "VERB" or lemma not in _COMMIT_VERBS | {"agree"} or hedged(verb):
            continue
        if not realised(verb) or quoted_at(sentence, verb):
            continue
        subjects = [s for head in subjects_of(verb) for s in conjuncts(head)]
        sides = any(_generic_sides(s) for s in subjects)
        named = mentions is not None and any(
            (e := mentions.at(sentence, tok)) is not None
            and (e.name in names or (e.type == "person" and e.represents in names))
            for s in subjects
            for tok in s.subtree
        )
        # A contracting side the gazetteer does not know: "Both Sears and Kellwood Co agreed".
        named = named or any(
            tok.ent_type_ == "ORG" and (mentions is None or mentions.at(sentence, tok) is None)
            for s in subjects
            for tok in s.subtree
        )
        they = any(s.lower_ == "they" for s in subjects)
        if not (sides or (lemma == "agree" and (named or they))):
            continue
        if lemma == "agree":
            parts = [
                c
                for c in verb.children
                if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)
            ]
            if not parts:
                # "agreed on a cessation of hostilities" (not "agreed on Monday")
                parts = [
                    p
                    for c in verb.children
                    if c.dep_ == "prep" and c.lower_ == "on"
                    for p in c.children
                    if p.dep_ == "pobj" and p.ent_type_ not in ("DATE", "TIME")
                ]
            if not parts:
                # "the sides agreed that armed groups must be disarmed and that ...": each
                # clause is one provision.
                for clause in (c for c in verb.children if c.dep_ == "ccomp" and c.i > verb.i):
                    out.extend(_agreed_clauses(article, sentence, clause))
                continue
        else:
            parts = complement(verb)
        if not parts:
            continue
        text, _, hi = statement_of(article, sentence, parts)
        if len(text.split()) < TERM_MIN_WORDS:
            continue
        first = min(s.left_edge.i for s in subjects) if subjects else verb.i
        start = sentence.span.doc[first] if verb.i - first < 10 else verb
        out.append(TermDraft(statement=text, evidence=article.quote_tokens(sentence, [start, hi])))
    return out


def _agreed_clauses(article: ParsedArticle, sentence: Sentence, clause: Any) -> list[TermDraft]:
    """The clauses of 'agreed that A and that B', each without the other and its 'that'."""
    out: list[TermDraft] = []
    others = [c for c in clause.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    doc = sentence.span.doc
    for part in [clause, *others]:
        if hedged(part) and not any(c.lower_ in ("must", "should") for c in part.children):
            continue
        lo = part.left_edge.i
        hi = part.right_edge.i
        for other in others:
            if other is not part and other.left_edge.i > part.i:
                hi = min(hi, other.left_edge.i - 1)
        while hi > lo and (doc[hi].is_punct or doc[hi].dep_ == "cc" or doc[hi].lower_ == "that"):
            hi -= 1
        while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("that", "and")):
            lo += 1
        text = tidy(article.quote(sentence, doc[lo], doc[hi]))
        if len(text.split()) >= TERM_MIN_WORDS:
            quote = article.quote(sentence, doc[lo], doc[hi])
            out.append(TermDraft(statement=text, evidence=quote))
    return out


def party_commitments(
    article: ParsedArticle, sentence: Sentence, names: set[str], mentions: Mentions
) -> list[TermDraft]:
    """In a paragraph about the agreement, a party's 'will': 'Turkey will facilitate the talks'."""
    out: list[TermDraft] = []
    for verb in sentence.span:
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ not in ("ROOT", "conj"):
            continue
        if hedged(verb) or not _future(verb) or quoted_at(sentence, verb):
            continue
        subjects = subjects_of(verb)
        if not any(
            (e := mentions.at(sentence, tok)) is not None and e.name in names
            for s in subjects
            for tok in s.subtree
        ):
            continue
        rest = [c for c in verb.children if c.i > verb.i and c.dep_ not in ("punct", "cc")]
        if not rest:
            continue
        text, _, hi = statement_of(article, sentence, rest)
        start = subjects[0].left_edge
        clause = tidy(article.quote(sentence, start, hi))
        if len(text.split()) < 2:
            continue
        evidence = article.quote_tokens(sentence, [start, hi])
        out.append(TermDraft(statement=clause, evidence=evidence))
    return out
