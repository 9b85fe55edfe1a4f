"""Title and summary of the main event, built from what the other rules found.

The title is a neutral template over the event's parties ("Russia and North Korea sign
strategic partnership deal"). The summary covers what an analyst needs first, in at most six
sentences: the article's first three sentences (the lead, which a summary must not cover less
than); who signed what, where and when, when the lead does not say it (composed from the found
parties, place and date, with the visit it happened on), with the main terms; the main
allegation against a party to the event; and that party's denial.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.articles import PublicationDate
from extractor.backends.offline.document import ParsedArticle
from extractor.backends.offline.events import SIGN_VERBS, MainEvent
from extractor.dates import resolve_date
from extractor.gazetteer import lookup
from extractor.schema import EventDraft, PartyDraft

_VERB_PHRASES = {
    "ceasefire": "agree ceasefire",
    "talks": "hold talks",
    "visit": "visit",
    "sanctions": "announce sanctions",
    "attack": "attack",
    "statement": "issue statement",
}
_EVALUATIVE = frozenset(["historic", "landmark", "new", "breakthrough"])


def _joined(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _modifiers(noun: Any) -> list[str]:
    words = [
        t.text
        for t in noun.doc[noun.left_edge.i : noun.i]
        if t.dep_ in ("compound", "amod") and t.is_alpha
    ]
    # A headline's verb can be tagged as a modifier ("strike troop access deal").
    return [w for w in words if w.lower() not in _EVALUATIVE and w.lower() not in SIGN_VERBS]


def _agreement_name(article: ParsedArticle, event: MainEvent) -> str:
    """The fullest name the lead gives the event's agreement ('comprehensive strategic
    partnership pact' over a later bare 'pact')."""
    noun: Any = event.agreement
    if noun is None or noun.pos_ not in ("NOUN", "PROPN"):
        return "agreement"
    best = noun
    for sentence in [*event.sentences, *article.header, *article.body[:3]]:
        for tok in sentence.span:
            if tok.lemma_ == noun.lemma_ and len(_modifiers(tok)) > len(_modifiers(best)):
                best = tok
    return " ".join([*_modifiers(best), best.text]).lower()


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
        return f"{subject} {verb} {_agreement_name(article, event)}"
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


_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_VISIT_WORDS = frozenset(["visit", "trip"])
_SIDE_ROLES = ("signatory", "participant")
_FUNCTION_WORDS = frozenset(["The", "A", "An", "It", "Its", "This", "That", "These", "Under"])
_MAX_LEAD_WORDS = 70
_MAX_SENTENCES = 6
_LEAD_SENTENCES = 3
# "the pact signed by the two leaders": the signing sentence names both sides at once.
_BOTH_SIDES = re.compile(r"\b(?:two|both)\s+(?:leaders|sides|countries|nations|parties)\b", re.I)


def make_summary(
    article: ParsedArticle, event: MainEvent, draft: EventDraft, published: PublicationDate | None
) -> str:
    """Lead-3, then event (who, what, where, when, terms), allegation, denial: six at most."""
    body = article.body
    if not body:
        return draft.title
    # The lead's sentences first: what the outlet chose to say first is rarely less than the
    # rules find, so the summary starts as a lead-3 summary and adds what the lead lacks.
    lead = [s for s in body[:_LEAD_SENTENCES] if len(article.sentence_text(s).split()) >= 4]
    lead = lead or body[:1]
    chosen: list[str] = [_clean(article.sentence_text(s)) for s in lead]
    # The dateline says where the story was filed, often where it happened: keep it.
    chosen[0] = _clean(article.lead_in(lead[0]) + chosen[0])
    event_clause = _event_clause(
        article, event, draft, published, " ".join(chosen), event.sentence in lead
    )
    if event_clause:
        # Where and when, composed from what was found, with the main terms' own words.
        terms = [
            _as_clause(t.evidence) for t in draft.treaty_terms if not _covered(t.evidence, chosen)
        ][:2]
        clauses = [event_clause, *terms]
        chosen.append(_sentence("; ".join(clauses[:1] + [_lower_first(c) for c in clauses[1:]])))
    elif event.sentence is not None and event.sentence not in lead and event.sentence in body:
        chosen.append(_holding_sentence(article, article.sentence_text(event.sentence)))
    tail = _allegation_sentences(article, draft, chosen)
    if not event_clause:
        # The sentences stating the main terms, verbatim, as room allows (six sentences in all).
        room = max(1, _MAX_SENTENCES - len(chosen) - len(tail))
        for term in draft.treaty_terms:
            if room == 0:
                break
            if not _covered(term.evidence, chosen):
                chosen.append(_holding_sentence(article, term.evidence))
                room -= 1
    # Room left: the body's next sentences, in order, which news writing keeps for what
    # matters next.
    for sentence in body[len(lead) :]:
        if len(chosen) + len(tail) >= _MAX_SENTENCES:
            break
        text = _clean(article.sentence_text(sentence))
        if len(text.split()) < 6 or len(text.split()) > _MAX_LEAD_WORDS:
            continue
        if not any(text in c or c in text for c in chosen + tail):
            chosen.append(text)
    return " ".join(chosen + tail)


def _allegation_sentences(
    article: ParsedArticle, draft: EventDraft, chosen: list[str]
) -> list[str]:
    """The main allegation's sentence and its denial's, verbatim."""
    out: list[str] = []
    main = _main_allegation(draft)
    if main is None:
        return out
    allegation = draft.allegations[main]
    if not _covered(allegation.evidence, chosen):
        text = _holding_sentence(article, allegation.evidence)
        if not _names_any(text, allegation.alleged_by, draft):
            text = f"{_joined(allegation.alleged_by)} said: {text}"  # a continued quotation
        out.append(text)
    denial = next((d for d in draft.denials if d.allegation == main), None)
    if denial is not None and not _covered(denial.evidence, chosen + out):
        out.append(_holding_sentence(article, denial.evidence))
    return out


def _covered(quote: str, chosen: list[str]) -> bool:
    return any(_clean(quote) in text for text in chosen)


def _as_clause(quote: str) -> str:
    """An evidence quote as a clause of a summary sentence: no dangling quotation marks."""
    text = _clean(quote).strip(" ,;:")
    if (text.count('"') + text.count("“") + text.count("”")) % 2:
        text = re.sub(r"[\"“”]", "", text)
    return text


def _lower_first(text: str) -> str:
    """'The pledge ...' continuing a sentence after a semicolon; names keep their capital."""
    first, _, rest = text.partition(" ")
    if first in _FUNCTION_WORDS:
        return f"{first.lower()} {rest}"
    return text


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _holding_sentence(article: ParsedArticle, quote: str) -> str:
    """The sentence an evidence quote comes from, or the quote alone if that runs long."""
    for sentence in article.body:
        text = _clean(article.sentence_text(sentence))
        if _clean(quote) in text:
            return text if len(text.split()) <= _MAX_LEAD_WORDS else _sentence(_as_clause(quote))
    return _sentence(_as_clause(quote))


def _when(draft: EventDraft, published: PublicationDate | None) -> str:
    if draft.date is None:
        return ""
    phrase = _clean(draft.date.phrase)
    resolved = resolve_date(phrase, published)
    value = resolved.value if resolved is not None else draft.date.value
    if value is None or len(value) != 10 or value[:4] in phrase:
        return f" {phrase}"
    year, month, day = (int(part) for part in value.split("-"))
    return f" {phrase}, {day} {_MONTHS[month - 1]} {year}"


def _event_clause(
    article: ParsedArticle,
    event: MainEvent,
    draft: EventDraft,
    published: PublicationDate | None,
    lead: str,
    in_lead: bool,
) -> str:
    """'it was signed in Pyongyang on Wednesday, 19 June 2024, during Vladimir Putin's visit to
    North Korea', when the lead reports the event but not all of that."""
    where = f" in {draft.location.name}" if draft.location is not None else ""
    when = _when(draft, published)
    visit = _visit(article, draft)
    if in_lead and where.strip() in lead and (not when or when.strip() in lead):
        where, when = "", ""  # the lead already says where and when: only a visit is news
    if not in_lead:
        return _who_signed(article, event, draft, f"{where}{when}{visit}")
    if not (where or when or visit):
        return ""
    if event.type == "agreement_signed":
        return f"it was signed{where}{when}{visit}"
    if event.type == "ceasefire":
        return f"the ceasefire was agreed{where}{when}"
    return ""


def _who_signed(article: ParsedArticle, event: MainEvent, draft: EventDraft, rest: str) -> str:
    """'Putin and Kim signed a ... between Russia and North Korea ...', composed only when it is
    certain: two or more signatories, each named in the sentence that reports the signing."""
    if event.type != "agreement_signed" or event.sentence is None:
        return ""
    sides = [p for p in draft.parties if p.type != "person" and p.role == "signatory"]
    reported = article.sentence_text(event.sentence)
    generic = len(sides) == 2 and _BOTH_SIDES.search(reported) is not None
    if len(sides) < 2 or not (
        generic or all(any(form in reported for form in [p.name, *p.aliases]) for p in sides)
    ):
        return ""
    names = [p.name for p in sides]
    people = [p.name for p in draft.parties if p.role == "representative" and p.represents in names]
    if len(people) >= 2:
        subject, between = _joined(people), f" between {_joined(names)}"
    else:
        subject, between = _joined(names), ""
    return f"{subject} signed a {_agreement_name(article, event)}{between}{rest}"


def _visit(article: ParsedArticle, draft: EventDraft) -> str:
    """', during Vladimir Putin's visit to North Korea' when the lead says the event was on a
    visit to the place where it happened; the visitor is the one side's person from elsewhere."""
    if draft.location is None:
        return ""
    place = lookup(draft.location.name)
    for sentence in article.header + article.body[:4]:
        for tok in sentence.span:
            if tok.lemma_.lower() not in _VISIT_WORDS or tok.pos_ != "NOUN":
                continue
            for prep in (c for c in tok.children if c.dep_ == "prep" and c.lower_ == "to"):
                for pobj in (c for c in prep.children if c.dep_ == "pobj"):
                    name = " ".join(t.text for t in pobj.subtree if t.pos_ == "PROPN")
                    host = lookup(name) if name else None
                    if host is None or place is None or host.name != place.name:
                        continue
                    guests = [
                        p.name
                        for p in draft.parties
                        if p.role == "representative" and p.represents not in (None, host.name)
                    ]
                    who = f"{guests[0]}'s" if len(guests) == 1 else "a"
                    return f", during {who} visit to {host.name}"
    return ""


def _names_any(text: str, names: list[str], draft: EventDraft) -> bool:
    """Whether `text` names one of `names` (or a party's alias, or a person's surname)."""
    forms = set(names) | {name.split()[-1] for name in names}
    forms |= {alias for p in draft.parties if p.name in names for alias in p.aliases}
    return any(form in text for form in forms)


def _main_allegation(draft: EventDraft) -> int | None:
    """The allegation against a party to the event by someone outside it, else the first."""
    sides = {p.name for p in draft.parties if p.role in ("signatory", "participant")}
    sides |= {p.represents for p in draft.parties if p.represents}
    people = {p.name for p in draft.parties}

    def rank(index: int) -> tuple[int, int]:
        item = draft.allegations[index]
        against = bool(set(item.accused) & sides)
        outside = not (set(item.alleged_by) & (sides | people))
        return (-(2 * against + outside), index)

    if not draft.allegations:
        return None
    return min(range(len(draft.allegations)), key=rank)
