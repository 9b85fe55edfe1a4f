"""One article in, one grounded and normalised `EventRecord` out.

article -> (chunks) -> backend -> draft -> ground -> normalise -> record with provenance
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from rapidfuzz import fuzz

from extractor import __version__
from extractor.articles import Article
from extractor.backends.base import Backend, Extraction
from extractor.chunking import chunk_spans
from extractor.dates import is_valid_iso, resolve_date
from extractor.errors import ExtractorError
from extractor.gazetteer import PartyNames, canonical_name, name_key
from extractor.grounding import MAX_UNVERIFIED_SHARE, ground_quote, mostly_unverified
from extractor.schema import (
    Allegation,
    ArticleInfo,
    DateDraft,
    Denial,
    EventDate,
    EventDraft,
    EventRecord,
    Evidence,
    Location,
    Party,
    Provenance,
    TreatyTerm,
    Usage,
)

#: Items from overlapping chunks whose statements are at least this similar are one item.
DUPLICATE_SIMILARITY = 90.0


def extract_record(
    article: Article, backend: Backend, *, max_unverified: float = MAX_UNVERIFIED_SHARE
) -> EventRecord:
    """Run `backend` on `article` (chunk by chunk if it is too long) and build the record,
    flagged ``mostly_unverified`` when more than `max_unverified` of its evidence is."""
    windows = article_chunks(article, backend.context_chars)
    parts: list[EventRecord] = []
    extractions: list[Extraction] = []
    for start, end, chunk in windows:
        try:
            extraction = backend.extract(chunk)
        except ExtractorError as exc:
            if extractions:  # the chunks done before this one were paid for too
                spent = sum((e.usage for e in extractions), Usage())
                exc.usage = spent if exc.usage is None else spent + exc.usage
            raise
        extractions.append(extraction)
        parts.append(ground_draft(extraction.draft, article, start, end))

    record = normalise_record(merge_records(parts), article)
    if mostly_unverified([item.verified for item in record.evidence_items()], max_unverified):
        record.warnings.append("mostly_unverified")
    usage = sum((e.usage for e in extractions), Usage())
    record.article = article_info(article)
    record.provenance = Provenance(
        article_id=article.id,
        article_sha256=article.sha256,
        backend=backend.name,
        model=extractions[0].model,
        prompt=extractions[0].prompt,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        usage=usage,
        chunks=len(windows),
        extractor_version=__version__,
    )
    return record


def article_chunks(
    article: Article, context_chars: int | None
) -> list[tuple[int, int, Article]]:
    """The pieces a backend with `context_chars` gets: (start, end, chunk) on sentence
    boundaries, or the whole article as one piece when it fits."""
    if context_chars is None or len(article.text) <= context_chars:
        return [(0, len(article.text), article)]
    return [
        (start, end, replace(article, id=f"{article.id}#{number}", text=article.text[start:end]))
        for number, (start, end) in enumerate(chunk_spans(article.text, context_chars))
    ]


def article_info(article: Article) -> ArticleInfo:
    """The article's metadata as the record carries it."""
    published = article.published
    return ArticleInfo(
        id=article.id,
        title=article.title,
        source=article.source,
        url=article.url,
        published=None if published is None else str(published),
        published_earliest=None if published is None else published.earliest.isoformat(),
        published_latest=None if published is None else published.latest.isoformat(),
    )


def ground_draft(
    draft: EventDraft, article: Article, start: int = 0, end: int | None = None
) -> EventRecord:
    """A record from a draft, its evidence aligned to `article.text` (the window searched first)."""
    text = article.text

    def ground(quote: str) -> Evidence:
        return ground_quote(quote, text, start, end)

    return EventRecord(
        title=draft.title,
        summary=draft.summary,
        event_type=draft.event_type,
        date=_ground_date(draft.date, ground) if draft.date else None,
        location=(
            Location(name=draft.location.name, evidence=ground(draft.location.evidence))
            if draft.location
            else None
        ),
        parties=[
            Party(
                name=p.name,
                type=p.type,
                role=p.role,
                aliases=p.aliases,
                represents=p.represents,
                evidence=ground(p.evidence),
            )
            for p in draft.parties
        ],
        treaty_terms=[
            TreatyTerm(statement=t.statement, evidence=ground(t.evidence))
            for t in draft.treaty_terms
        ],
        allegations=[
            Allegation(
                alleged_by=a.alleged_by,
                accused=a.accused,
                claim=a.claim,
                evidence=ground(a.evidence),
            )
            for a in draft.allegations
        ],
        denials=[
            Denial(
                denied_by=d.denied_by,
                claim=d.claim,
                allegation=d.allegation
                if d.allegation is not None and 0 <= d.allegation < len(draft.allegations)
                else None,
                evidence=ground(d.evidence),
            )
            for d in draft.denials
        ],
    )


def _ground_date(draft: DateDraft, ground: Callable[[str], Evidence]) -> EventDate:
    evidence = ground(draft.evidence)
    precision = is_valid_iso(draft.value) if draft.value else None
    return EventDate(
        value=draft.value if precision else None,
        precision=precision,
        phrase=draft.phrase,
        evidence=evidence,
    )


# ----------------------------------------------------------------------------- merge


def _similar(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(a, b) >= DUPLICATE_SIMILARITY


def _overlaps(a: Evidence, b: Evidence) -> bool:
    if a.start is None or b.start is None or a.end is None or b.end is None:
        return False
    return a.start < b.end and b.start < a.end


def merge_records(parts: list[EventRecord]) -> EventRecord:
    """Merge chunk records: the first chunk's headline fields, de-duplicated lists."""
    if len(parts) == 1:
        # The usual case: nothing to merge, and a deep copy was about a sixth of the CPU time
        # of an LLM article's step.
        return parts[0]
    merged = parts[0].model_copy(deep=True)
    for part in parts[1:]:
        merged.date = merged.date or part.date
        merged.location = merged.location or part.location
        for party in part.parties:
            _add_party(merged.parties, party)
        for term in part.treaty_terms:
            if not any(
                _similar(term.statement, t.statement) or _overlaps(term.evidence, t.evidence)
                for t in merged.treaty_terms
            ):
                merged.treaty_terms.append(term)
        index_map: dict[int, int] = {}
        for i, allegation in enumerate(part.allegations):
            same = next(
                (
                    j
                    for j, a in enumerate(merged.allegations)
                    if _similar(allegation.claim, a.claim)
                    or _overlaps(allegation.evidence, a.evidence)
                ),
                None,
            )
            if same is None:
                merged.allegations.append(allegation)
                same = len(merged.allegations) - 1
            index_map[i] = same
        for denial in part.denials:
            if any(
                _similar(denial.claim, d.claim) or _overlaps(denial.evidence, d.evidence)
                for d in merged.denials
            ):
                continue
            link = index_map.get(denial.allegation) if denial.allegation is not None else None
            merged.denials.append(denial.model_copy(update={"allegation": link}))
    return merged


def _add_party(parties: list[Party], party: Party) -> None:
    """Add `party`, or fold its aliases into the party it names (by name or by an alias)."""
    keys = {name_key(name) for name in [party.name, *party.aliases]}
    for existing in parties:
        if name_key(existing.name) in keys or name_key(party.name) in {
            name_key(alias) for alias in existing.aliases
        }:
            for alias in [party.name, *party.aliases]:
                if name_key(alias) not in {name_key(n) for n in [existing.name, *existing.aliases]}:
                    existing.aliases.append(alias)
            return
    parties.append(party)


# ------------------------------------------------------------------------- normalise


def normalise_record(record: EventRecord, article: Article) -> EventRecord:
    """Canonical names (the record's own aliases, then the gazetteer) and the resolved date."""
    parties: list[Party] = []
    for party in record.parties:
        canonical = PartyNames.party_name(party)
        aliases = [
            a
            for a in dict.fromkeys([*party.aliases, party.name])
            if name_key(a) != name_key(canonical)
        ]
        represents = canonical_name(party.represents) if party.represents else None
        _add_party(
            parties,
            party.model_copy(
                update={"name": canonical, "aliases": aliases, "represents": represents}
            ),
        )

    known = PartyNames(parties)

    def names(values: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(known.canonical(v) for v in values))

    for party in parties:
        if party.represents:
            party.represents = known.canonical(party.represents)

    return record.model_copy(
        update={
            "parties": parties,
            "allegations": [
                a.model_copy(
                    update={"alleged_by": names(a.alleged_by), "accused": names(a.accused)}
                )
                for a in record.allegations
            ],
            "denials": [
                d.model_copy(update={"denied_by": names(d.denied_by)}) for d in record.denials
            ],
            "date": _resolve_event_date(record.date, article),
        }
    )


def _resolve_event_date(event_date: EventDate | None, article: Article) -> EventDate | None:
    """Our reading of the phrase wins; a backend's value stands only if the text states its year."""
    if event_date is None:
        return None
    resolved = resolve_date(event_date.phrase, article.published)
    if resolved is not None:
        return event_date.model_copy(
            update={"value": resolved.value, "precision": resolved.precision}
        )
    value = event_date.value
    supported = (
        value is not None and value[:4] in f"{event_date.phrase} {event_date.evidence.quote}"
    )
    if supported:
        return event_date
    return event_date.model_copy(update={"value": None, "precision": None})
