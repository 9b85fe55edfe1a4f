"""Read an event date from the phrase it was written in.

Absolute phrases ("19 June 2024", "June 2024", "2024-06-19") need no context. Relative ones
("on Wednesday", "yesterday", "earlier this month") are resolved against the publication date,
and only when it names the same date at both ends of the publication window; otherwise the
value is None rather than a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from extractor.articles import PublicationDate
from extractor.schema import DatePrecision

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}

_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"

_ABSOLUTE = [
    (re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})\b"), "day"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I), "day"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I), "day"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b", re.I), "day_no_year"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?!\s*,?\s*\d)", re.I), "day_no_year"),
    (re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I), "month"),
    (re.compile(rf"\bin\s+{_MONTH}\b", re.I), "month_no_year"),
    (re.compile(rf"\b(?:in|of|since|during)\s+{_YEAR}\b", re.I), "year"),
]
_WEEKDAY = re.compile(r"\b(?P<last>last\s+)?(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b", re.I)
_RELATIVE_DAYS = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}
_RELATIVE_DAY = re.compile(r"\b(" + "|".join(_RELATIVE_DAYS) + r")\b", re.I)
_THIS_MONTH = re.compile(r"\b(?:this|earlier this|later this)\s+month\b", re.I)
_THIS_YEAR = re.compile(r"\b(?:this|earlier this|later this)\s+year\b", re.I)


@dataclass(frozen=True)
class ResolvedDate:
    value: str
    precision: DatePrecision


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else _MONTHS[text.lower().rstrip(".")]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _on_or_before(anchor: date, month: int, day: int) -> date | None:
    """The latest `month`/`day` not after `anchor` (news reports look back, not ahead)."""
    candidate = _safe_date(anchor.year, month, day)
    if candidate is not None and candidate > anchor:
        candidate = _safe_date(anchor.year - 1, month, day)
    return candidate


@dataclass(frozen=True)
class _Reading:
    """What a phrase says before it meets a publication date."""

    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    last: bool = False


def _read(phrase: str) -> _Reading | None:
    for pattern, kind in _ABSOLUTE:
        match = pattern.search(phrase)
        if match:
            parts = match.groupdict()
            return _Reading(
                kind,
                year=int(parts["year"]) if parts.get("year") else None,
                month=_month_number(parts["month"]) if parts.get("month") else None,
                day=int(parts["day"]) if parts.get("day") else None,
            )
    match = _RELATIVE_DAY.search(phrase)
    if match:
        return _Reading("offset", day=_RELATIVE_DAYS[match.group(1).lower()])
    match = _WEEKDAY.search(phrase)
    if match:
        weekday = _WEEKDAYS[match.group("weekday").lower()]
        return _Reading("weekday", weekday=weekday, last=bool(match.group("last")))
    if _THIS_MONTH.search(phrase):
        return _Reading("this_month")
    if _THIS_YEAR.search(phrase):
        return _Reading("this_year")
    return None


def _resolve(reading: _Reading, anchor: date | None) -> ResolvedDate | None:
    """The date a reading names, given the publication day (None when that is unknown)."""
    kind, year, month, day = reading.kind, reading.year, reading.month, reading.day
    if kind == "day" and year and month and day:
        found = _safe_date(year, month, day)
        return ResolvedDate(found.isoformat(), "day") if found else None
    if kind == "month" and year and month:
        return ResolvedDate(f"{year:04d}-{month:02d}", "month")
    if kind == "year" and year:
        return ResolvedDate(f"{year:04d}", "year")
    if anchor is None:
        return None
    if kind == "day_no_year" and month and day:
        found = _on_or_before(anchor, month, day)
        return ResolvedDate(found.isoformat(), "day") if found else None
    if kind == "month_no_year" and month:
        in_year = anchor.year if month <= anchor.month else anchor.year - 1
        return ResolvedDate(f"{in_year:04d}-{month:02d}", "month")
    if kind == "offset" and day is not None:
        return ResolvedDate((anchor + timedelta(days=day)).isoformat(), "day")
    if kind == "weekday" and reading.weekday is not None:
        back = (anchor.weekday() - reading.weekday) % 7
        if reading.last and back < 7:
            back += 7
        return ResolvedDate((anchor - timedelta(days=back)).isoformat(), "day")
    if kind == "this_month":
        return ResolvedDate(f"{anchor.year:04d}-{anchor.month:02d}", "month")
    if kind == "this_year":
        return ResolvedDate(f"{anchor.year:04d}", "year")
    return None


def resolve_date(phrase: str, published: PublicationDate | None) -> ResolvedDate | None:
    """The date a phrase names, or None when it names none or it depends on an unknown day."""
    reading = _read(phrase)
    if reading is None:
        return None
    if published is None:
        return _resolve(reading, None)
    results = {
        _resolve_in_range(reading, published.earliest),
        _resolve_in_range(reading, published.latest),
    }
    return results.pop() if len(results) == 1 else None


def _resolve_in_range(reading: _Reading, anchor: date) -> ResolvedDate | None:
    # "yesterday" from 0001-01-01 or "tomorrow" from 9999-12-31 is not a date Python can hold.
    try:
        return _resolve(reading, anchor)
    except OverflowError:
        return None


def near_calendar_edge(published: PublicationDate) -> bool:
    """True when a relative date counted from `published` may fall off the calendar (years 1
    and 9999), and is then left null."""
    return published.earliest.year <= date.min.year or published.latest.year >= date.max.year


def is_valid_iso(value: str) -> DatePrecision | None:
    """The precision of an ISO date string (YYYY-MM-DD, YYYY-MM, YYYY), or None if malformed."""
    for fmt, precision in (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year")):
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return precision  # type: ignore[return-value]
    return None
