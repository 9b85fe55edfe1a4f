"""`extract events`: read runs, group their records into events, merge each event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractor.errors import InputError
from extractor.events.grouping import Grouping, Report, group_reports, to_report
from extractor.events.merge import merge_event
from extractor.events.model import EventLine, EventLineError
from extractor.lines import LineError, ResultLine
from extractor.output_file import write_whole_file


@dataclass
class EventsRun:
    """The events built from some runs, and what was left out of them and why."""

    events: list[EventLine]
    records: int = 0
    error_lines: int = 0
    duplicates: list[str] = field(default_factory=list)


def read_reports(paths: Sequence[Path]) -> tuple[list[Report], int, list[str]]:
    """Every record line of the runs (first one per article id), error lines counted apart."""
    reports: list[Report] = []
    seen: set[str] = set()
    errors = 0
    duplicates: list[str] = []
    for path in paths:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = ResultLine.parse(raw)
            except LineError as exc:
                raise InputError(f"{path}:{number}: not a result line: {exc}") from None
            if line.record is None:
                errors += 1
            elif line.article in seen:
                duplicates.append(line.article)
            else:
                seen.add(line.article)
                reports.append(to_report(line.article, line.record))
    return reports, errors, duplicates


def build_events(paths: Sequence[Path], grouping: Grouping = "scored") -> EventsRun:
    """Group the runs' records into events (every record in exactly one) and merge each."""
    reports, errors, duplicates = read_reports(paths)
    clusters = group_reports(reports, grouping)
    events = [merge_event([reports[i] for i in cluster]) for cluster in clusters]
    return EventsRun(events, records=len(reports), error_lines=errors, duplicates=duplicates)


def write_events(events: Sequence[EventLine], out: Path) -> None:
    """Write one JSON line per event, the whole file at once (`write_whole_file`: a device or
    pipe is streamed to, a regular file replaced atomically). Raises `OutputError`."""
    write_whole_file(out, "".join(event.dumps() + "\n" for event in events))


def read_events(path: Path) -> list[EventLine]:
    """The event lines of an `extract events` file. Raises `InputError` on a bad line."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    events: list[EventLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            try:
                events.append(EventLine.parse(raw))
            except EventLineError as exc:
                raise InputError(f"{path}:{number}: not an event line: {exc}") from None
    return events
