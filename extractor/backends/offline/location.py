"""Where the main event happened: a city if the article names one, else a country.

Candidates are places after "in"/"at" ("a summit in Pyongyang", "in Pyongyang's central
square") and "the <demonym> capital". A place in a sentence that reports the event scores
highest; a city beats a country; a city that is the capital of a party state is preferred
over others named only in passing. A place the headline puts the story in ("Talks in London
end ...") is preferred; a place the sentence sets in the past ("talks in Geneva last month", "a
previous summit in Geneva", "the first round, held in Geneva") is background, not where the
event happened. A wire dateline ("GENEVA, March 20 -") names the place first.
"""

from __future__ import annotations

import itertools
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import Mentions
from extractor.backends.offline.events import MainEvent
from extractor.gazetteer import capital_of, is_city, match
from extractor.schema import LocationDraft

_PLACE_PREPS = frozenset(["in", "at"])
# Words that set a place's event before the one reported: "a previous summit in Geneva".
_EARLIER = frozenset(["previous", "earlier", "prior", "former", "first", "past", "last"])
_PERIODS = frozenset(["week", "month", "year", "round", "time", "summer", "winter", "spring",
                      "autumn", "fall"])


def _place_of(token: Any) -> Any:
    """The preposition a place name hangs from ("in Pyongyang", "in Pyongyang's square")."""
    node = token
    for _ in range(3):
        if node.dep_ == "pobj" and node.head.lower_ in _PLACE_PREPS:
            return node.head
        if node.dep_ not in ("poss", "compound", "pobj") or node.head.i == node.i:
            return None
        node = node.head
    return None


def _candidates(
    article: ParsedArticle, sentence: Sentence, mentions: Mentions
) -> list[tuple[str, bool, Any, Any]]:
    """(name, is_city, first token, last token) for places in a sentence."""
    out: list[tuple[str, bool, Any, Any]] = []
    doc = sentence.span.doc
    for ent in sentence.ents:
        if ent.label_ != "GPE":
            continue
        tokens = [t for t in ent if t.text not in ("'s", "'")]
        if not tokens or _place_of(tokens[-1]) is None:
            continue
        name = article.quote(sentence, tokens[0], tokens[-1])
        hit = match(name)
        city = hit is None or is_city(name)
        if hit is not None and hit.entry.type != "state":
            continue
        out.append(
            (
                name if city or hit is None else hit.entry.name,
                city,
                _place_of(tokens[-1]),
                tokens[-1],
            )
        )
    named = {c[3].i for c in out}
    for mention in mentions.in_sentence(sentence):
        # The tagger can miss a well-known capital ("in Montevideo"); the gazetteer does not.
        last = doc[mention.last]
        if (
            mention.kind in ("capital", "city")
            and last.i not in named
            and _place_of(last) is not None
        ):
            out.append((mention.surface, True, _place_of(last), last))
    for tok in sentence.span:
        if (
            tok.lower_ == "capital"
            and tok.i >= sentence.span.start + 2
            and doc[tok.i - 2].lower_ == "the"
        ):
            hit = match(doc[tok.i - 1].text)
            if hit is not None and hit.kind == "demonym":
                capital = capital_of(hit.entry.name)
                if capital and _place_of(tok) is not None:
                    out.append((capital, True, _place_of(tok), tok))
    return out


def _set_earlier(sentence: Sentence, prep: Any, last: Any) -> bool:
    """Whether the phrase around a place puts it before the event reported: "previous",
    "earlier", "first" before it, or "last month" / "earlier this year" right after it."""
    doc = sentence.span.doc
    lo = max(sentence.span.start, prep.head.i - 3)
    hi = min(sentence.span.end - 1, last.i + 3)
    before = [t.lower_ for t in doc[lo : prep.i]]
    after = [t.lower_ for t in doc[last.i + 1 : hi + 1]]
    if any(word in _EARLIER and word != "last" for word in before):
        return True
    pairs = itertools.pairwise(after)
    return any(a in ("last", "earlier") and b in _PERIODS | {"this"} for a, b in pairs)


def dateline_location(article: ParsedArticle) -> LocationDraft | None:
    """The city a wire dateline names ("KUWAIT, June 2 -" is Kuwait City), in its own words."""
    if article.dateline is None:
        return None
    start, end = article.dateline
    written = article.text[start:end]
    name = " ".join(w.capitalize() if w.isupper() else w for w in written.split())
    hit = match(name)
    if hit is not None and hit.entry.type == "state" and not is_city(name):
        capital = capital_of(hit.entry.name)
        # A state named like its capital ("Kuwait", "Singapore") is datelined from the capital.
        if capital is not None and capital.startswith(hit.entry.name):
            name = capital
    return LocationDraft(name=name, evidence=written)


def find_location(
    article: ParsedArticle, mentions: Mentions, event: MainEvent, party_states: set[str]
) -> LocationDraft | None:
    """The city (or country) of the main event, with the phrase that places it there; a wire
    dateline's city, where the article has one, since the wire files from where it happened."""
    dated = dateline_location(article)
    if dated is not None:
        return dated
    best: tuple[int, int, str, Sentence, Any, Any] | None = None
    event_ids = {s.index for s in event.sentences}
    headlined = {
        name
        for sentence in article.header
        if sentence.kind == "headline"
        for name, _, _, _ in _candidates(article, sentence, mentions)
    }
    for order, sentence in enumerate(article.body):
        for name, city, prep, last in _candidates(article, sentence, mentions):
            if not city and name not in party_states:
                continue  # "the war in Ukraine" does not say where the event was
            if _set_earlier(sentence, prep, last):
                continue  # "talks in Geneva last month": an earlier event's place
            score = 0
            if sentence is event.sentence:
                score += 4
            elif sentence.index in event_ids:
                score += 3
            elif order < 4:
                score += 1
            if city:
                score += 2
                home = match(name)
                if home is not None and home.entry.name in party_states:
                    score += 2
            if name in headlined:
                score += 3  # as strong as being named in the event's own sentence
            key = (score, -order)
            if best is None or key > (best[0], best[1]):
                best = (score, -order, name, sentence, prep, last)
    if best is None:
        return None
    _, _, name, sentence, prep, last = best
    head = prep.head
    first = head if 0 <= prep.i - head.i <= 4 else prep
    return LocationDraft(name=name, evidence=article.quote(sentence, first, last))
