"""Treaty terms: what the main event's agreement provides for, includes or commits parties to.

A term is read where an agreement noun is the subject of a provision verb ("the agreement
provides for mutual assistance", "a deal that includes a pledge to defend each other", "the
pact would expand cooperation"), where something is "part of" the agreement, or where the
agreement is made "to" do something ("a partnership to deepen trade and military ties").
Hedged possibilities ("might develop"), negations and older agreements in background are not
terms. Restatements of one provision are merged.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import (
    AGREEMENT_NOUNS,
    SIGN_VERBS,
    MainEvent,
    background,
    latest_year,
)
from extractor.backends.offline.lexicon import words
from extractor.schema import TermDraft

PROVISION_VERBS = words(
    "provide include commit pledge oblige obligate require call expand envisage stipulate "
    "guarantee allow cover establish grant deepen ban halt cut reduce lift open create ensure "
    "contain mandate bind give foresee enable permit boost strengthen set apply entail involve "
    "mean promise"
)
_DOCUMENT_NOUNS = AGREEMENT_NOUNS | {"document", "text", "clause", "provision"}
_WEAK_MODALS = words("might may could can")
_PRONOUNS = words("it which that this")
# Words that carry no provision of their own, and words that name one provision two ways.
_FILLER = words(
    "a an the of in to for and or with from if one other its their his her this that these "
    "those party parties agreement treaty pact deal accord event case thing things among either "
    "both be is are was were would will which who any each"
)
_SAME_IDEA = {
    "defend": "assist",
    "defence": "assist",
    "defense": "assist",
    "assistance": "assist",
    "help": "assist",
    "aid": "assist",
    "support": "assist",
    "protect": "assist",
    "aggression": "attack",
    "attacked": "attack",
    "attack": "attack",
    "invasion": "attack",
    "mutual": "mutual",
    "each": "mutual",
}
_TERM_MIN_WORDS = 3
_CLAUSE_BREAKS = words("with as while saying calling adding which who amid after")


def _refers_to_agreement(token: Any, sentence: Sentence, previous: Sentence | None) -> bool:
    lemma = token.lemma_.lower()
    if lemma in AGREEMENT_NOUNS:
        return True
    if token.lower_ in _PRONOUNS and token.tag_ not in ("WDT", "WP"):
        # "it provided, among other things, for ...": "it" is the document just mentioned.
        pools = [sentence] + ([previous] if previous is not None else [])
        return any(t.lemma_.lower() in _DOCUMENT_NOUNS for s in pools for t in s.span)
    return False


def _hedged(verb: Any) -> bool:
    for child in verb.children:
        if child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ in _WEAK_MODALS):
            return True
    return verb.dep_ == "xcomp" and any(c.dep_ == "neg" for c in verb.head.children)


def _complement(verb: Any) -> list[Any]:
    parts: list[Any] = []
    for child in verb.children:
        if child.dep_ in ("dobj", "xcomp", "ccomp", "attr", "oprd"):
            parts.append(child)
        elif child.dep_ == "advcl" and any(
            c.dep_ == "aux" and c.lower_ == "to" for c in child.children
        ):
            parts.append(child)  # "deepens their cooperation to include a mutual defence pledge"
        elif (
            child.dep_ == "prep" and child.lower_ in ("for", "to", "on") and verb.lemma_ != "apply"
        ):
            parts.append(child)
    if verb.lemma_ == "call" and not any(p.dep_ == "prep" and p.lower_ == "for" for p in parts):
        return []
    if parts and all(p.tag_ in ("WP", "WDT") for p in parts):
        return []  # "what the pact entailed" names no provision
    return parts


def _statement(
    article: ParsedArticle, sentence: Sentence, parts: list[Any]
) -> tuple[str, Any, Any]:
    lo = min(p.left_edge.i for p in parts)
    hi = max(p.right_edge.i for p in parts)
    doc = sentence.span.doc
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("for", "to", "on")):
        lo += 1
    for k in range(lo + 1, hi):
        if doc[k].text == "," and doc[k + 1].lower_ in _CLAUSE_BREAKS:
            hi = k - 1  # ", with Kim calling the ties an alliance" is comment, not the term
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    text = article.quote(sentence, doc[lo], doc[hi])
    text = re.sub(r"^(?:among other things,?\s*)", "", text, flags=re.I)
    text = re.sub(r"\s+", " ", text).strip(" “”\"'‘’,")
    return text, doc[lo], doc[hi]


def _candidates(
    article: ParsedArticle, sentence: Sentence, previous: Sentence | None
) -> list[TermDraft]:
    found: list[TermDraft] = []
    for verb in sentence.span:
        if verb.pos_ not in ("VERB", "AUX") or _hedged(verb):
            continue
        subject = None
        treaty: list[Any] = []
        if verb.lemma_.lower() in PROVISION_VERBS:
            subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
            if verb.dep_ == "relcl":
                subjects.append(verb.head)
            subject = next(
                (s for s in subjects if _refers_to_agreement(s, sentence, previous)), None
            )
            parts = _complement(verb) if subject is not None else []
        elif verb.lemma_ == "be":
            parts = [c for c in verb.children if c.dep_ == "nsubj"]
            attr = [c for c in verb.children if c.dep_ == "attr" and c.lemma_ == "part"]
            if not attr or not any(
                g.lemma_.lower() in AGREEMENT_NOUNS for p in attr[0].children for g in p.children
            ):
                parts = []
            subject = attr[0] if attr else None
            treaty = [g for p in attr[0].children for g in p.children] if attr else []
        else:
            parts = []
        if subject is None or not parts:
            continue
        text, lo, hi = _statement(article, sentence, parts)
        if len(text.split()) < _TERM_MIN_WORDS:
            continue
        start = (
            subject.left_edge
            if subject.i < verb.i and verb.i - subject.left_edge.i < 15
            else subject
        )
        if subject.i > verb.i:
            start = verb
        ends = [start, verb, lo, hi]
        if verb.lemma_ == "be":
            ends += treaty  # "... was part of a strategic treaty"
        evidence = article.quote_tokens(sentence, ends)
        found.append(TermDraft(statement=text, evidence=evidence))
    found.extend(_purpose_terms(article, sentence))
    return found


def _purpose_terms(article: ParsedArticle, sentence: Sentence) -> list[TermDraft]:
    """'signed a partnership to deepen trade and military ties': the stated aim is a term."""
    out: list[TermDraft] = []
    for noun in sentence.span:
        if noun.lemma_.lower() not in AGREEMENT_NOUNS or noun.head.lemma_ not in SIGN_VERBS:
            continue
        for child in noun.children:
            if (
                child.dep_ in ("acl", "relcl")
                and child.pos_ == "VERB"
                and any(c.dep_ == "aux" and c.lower_ == "to" for c in child.children)
                and not _hedged(child)
            ):
                text, _, hi = _statement(article, sentence, [child])
                out.append(
                    TermDraft(
                        statement=text, evidence=article.quote_tokens(sentence, [noun.head, hi])
                    )
                )
    return out


def _idea(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {_SAME_IDEA.get(w, w.rstrip("s")) for w in words if w not in _FILLER}


def _same(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= 0.6


def find_terms(article: ParsedArticle, event: MainEvent) -> list[TermDraft]:
    """Distinct provisions of the main event's agreement, first full statement of each."""
    if event.type not in ("agreement_signed", "ceasefire"):
        return []
    now = latest_year(article)
    terms: list[TermDraft] = []
    ideas: list[set[str]] = []
    previous: Sentence | None = None
    for sentence in article.header + article.body:
        if sentence.kind != "body":
            continue
        nouns = [t for t in sentence.span if t.lemma_.lower() in AGREEMENT_NOUNS]
        if any(background(sentence, n, now) for n in nouns) or (
            not nouns and background(sentence, None, now)
        ):
            previous = sentence
            continue
        for term in _candidates(article, sentence, previous):
            idea = _idea(term.statement)
            if any(_same(idea, seen) for seen in ideas):
                continue
            ideas.append(idea)
            terms.append(term)
        previous = sentence
    return terms
