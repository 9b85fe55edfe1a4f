"""The main event's date phrase ("on Wednesday", "on 19 June", "yesterday") and where it is.

The phrase is taken from the sentences that report the event, preferring one that hangs from
the event's own verb and, among equals, the one that names a day most precisely (a date over a
weekday over "today"). Only an absolute phrase gets a value here; the pipeline resolves relative
phrases against the publication date. A caption is the last resort: picture desks date their
pictures, and it is the only place some outlets give the day.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import MainEvent
from extractor.dates import resolve_date
from extractor.schema import DateDraft

_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DAY_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?"
    rf"(?:,?\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})\b",
    re.I,
)
_WEEKDAY_RE = re.compile(rf"\b{_WEEKDAY}\b", re.I)
_RELATIVE = re.compile(r"\b(?:yesterday|today|tonight|tomorrow)\b", re.I)
# Phrases that name a span of time, not the day something happened.
_DURATION = re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|decades?|since|ago|for)\b", re.I)


def _rank(text: str) -> int | None:
    """How precisely a DATE phrase names a day; None if it names no day at all."""
    if _DURATION.search(text) and not _WEEKDAY_RE.search(text) and not _DAY_DATE.search(text):
        return None
    if _DAY_DATE.search(text):
        return 3
    if _WEEKDAY_RE.search(text):
        return 2
    if _RELATIVE.search(text):
        return 1
    return None


def _phrase_tokens(ent: Any) -> tuple[Any, Any]:
    first = ent[0]
    doc = ent.doc
    if first.i > 0 and doc[first.i - 1].lower_ in ("on", "in", "since", "by") and _rank(ent.text):
        first = doc[first.i - 1]
    return first, ent[-1]


def _anchor(token: Any) -> Any:
    """The verb or noun a date phrase modifies."""
    head = token.head
    while head.dep_ in ("prep", "pobj", "compound", "npadvmod") and head.head.i != head.i:
        if head.pos_ in ("VERB", "AUX"):
            break
        head = head.head
    return head


def _evidence(article: ParsedArticle, sentence: Sentence, ent: Any) -> str:
    anchor = _anchor(ent.root)
    if anchor.pos_ in ("NOUN", "PROPN") and anchor.dep_ in ("dobj", "nsubjpass"):
        anchor = anchor.head  # "signed an agreement on Wednesday"
    tokens = [ent[0], ent[-1], anchor]
    for child in anchor.children:
        if (
            child.dep_ in ("nsubj", "nsubjpass", "dobj")
            and child.right_edge.i - child.left_edge.i < 8
        ):
            tokens += [child.left_edge, child.right_edge]
    quote = article.quote_tokens(sentence, tokens)
    return quote if len(quote) < 200 else article.quote(sentence, ent[0], ent[-1])


def _candidates(sentences: list[Sentence]) -> list[tuple[int, int, Sentence, Any]]:
    found: list[tuple[int, int, Sentence, Any]] = []
    for order, sentence in enumerate(sentences):
        for ent in sentence.ents:
            if ent.label_ != "DATE":
                continue
            rank = _rank(ent.text)
            if rank is not None:
                found.append((rank, -order, sentence, ent))
    return found


def find_date(article: ParsedArticle, event: MainEvent) -> DateDraft | None:
    """The phrase dating the main event, with evidence; None if the article gives none."""
    main = [event.sentence] if event.sentence is not None else []
    event_sentences = main + [s for s in event.sentences if s is not event.sentence]
    lead = article.body[:3]
    for pool in (event_sentences, lead, article.captions):
        found = _candidates(pool)
        if not found:
            continue
        if pool is event_sentences and event.trigger is not None and event.sentence is not None:
            tied = [
                f for f in found if f[2] is event.sentence and _anchor(f[3].root) == event.trigger
            ]
            found = tied or found
        rank, _, sentence, ent = max(found, key=lambda f: (f[0], f[1]))
        del rank
        first, last = _phrase_tokens(ent)
        phrase = article.quote(sentence, first, last)
        resolved = resolve_date(phrase, None)
        return DateDraft(
            phrase=phrase,
            value=resolved.value if resolved is not None else None,
            evidence=_evidence(article, sentence, ent),
        )
    return None
