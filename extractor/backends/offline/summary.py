"""Title and summary of the main event, built from what the other rules found.

The title is a neutral template over the event's parties ("Russia and North Korea sign
strategic partnership deal"); the summary is extractive: the sentence reporting the event,
then the first term and the first allegation, in article order, two to four sentences.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import MainEvent
from extractor.schema import AllegationDraft, PartyDraft, TermDraft

_VERB_PHRASES = {
    "ceasefire": "agree ceasefire",
    "talks": "hold talks",
    "visit": "visit",
    "sanctions": "announce sanctions",
    "attack": "attack",
    "statement": "issue statement",
}
_MAX_SUMMARY_SENTENCES = 4


def _joined(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _agreement_name(event: MainEvent) -> str:
    noun: Any = event.agreement
    if noun is None or noun.pos_ not in ("NOUN", "PROPN"):
        return "agreement"
    words = [
        t.text
        for t in noun.doc[noun.left_edge.i : noun.i]
        if t.dep_ in ("compound", "amod") and t.is_alpha
    ]
    words = [w for w in words if w.lower() not in ("historic", "landmark", "new", "breakthrough")]
    return " ".join([*words, noun.text]).lower()


def make_title(article: ParsedArticle, event: MainEvent, parties: list[PartyDraft]) -> str:
    """A short neutral title: parties plus what they did, or the headline when unsure."""
    sides = [
        p.name for p in parties if p.role in ("signatory", "participant") and p.type != "person"
    ]
    if not sides:
        sides = [p.name for p in parties if p.type == "person"]
    headline = article.headline()
    if not sides or event.type in ("other", "statement"):
        return _clean(headline) if headline else _fallback_title(article)
    subject = _joined(sides[:3])
    plural = len(sides) > 1
    if event.type == "agreement_signed":
        verb = "sign" if plural else "signs"
        return f"{subject} {verb} {_agreement_name(event)}"
    phrase = _VERB_PHRASES[event.type]
    if not plural:
        first, _, rest = phrase.partition(" ")
        phrase = (first + "s " + rest).strip() if not first.endswith("s") else phrase
    return f"{subject} {phrase}"


def _fallback_title(article: ParsedArticle) -> str:
    body = article.body
    if not body:
        return "Untitled event"
    words = _clean(article.sentence_text(body[0])).split()
    return " ".join(words[:12]).rstrip(",;:")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def make_summary(
    article: ParsedArticle,
    event: MainEvent,
    terms: list[TermDraft],
    allegations: list[AllegationDraft],
) -> str:
    """Two to four sentences from the article: the event, its main term, its main allegation."""
    chosen: list[Sentence] = []
    body = article.body
    if event.sentence is not None and event.sentence.kind == "body":
        chosen.append(event.sentence)
    elif body:
        chosen.append(body[0])
    for quote in [t.evidence for t in terms[:1]] + [a.evidence for a in allegations[:1]]:
        holder = next((s for s in body if quote in article.sentence_text(s)), None)
        if holder is not None and holder not in chosen:
            chosen.append(holder)
    for sentence in body:
        if len(chosen) >= 2:
            break
        if sentence not in chosen:
            chosen.append(sentence)
    chosen = sorted(chosen[:_MAX_SUMMARY_SENTENCES], key=lambda s: s.index)
    return " ".join(_clean(article.sentence_text(s)) for s in chosen)
