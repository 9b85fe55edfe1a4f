"""`extract events`: read runs, group their records into events, merge each event; and
`--update`: add new runs' records to an events file, regrouping only what they touch.

An events file written to a regular path has a record store beside it (`record_store`): the
result lines of the records it was built from, in order. An update reads the store and the new
runs, finds the components of the candidate graph (`grouping.components`) that hold a new
record, and groups and merges only those; every other event line is kept as it was. Each
component is grouped on its own (its own TF-IDF), so the update gives exactly the events that
building from all the runs at once gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractor.errors import InputError
from extractor.events.grouping import (
    Grouping,
    Report,
    components,
    group_component,
    group_reports,
    linked_pairs,
    to_report,
)
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
    #: Every record grouped, in order: what the record store keeps.
    reports: list[Report] = field(default_factory=list)


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
    return EventsRun(
        events, records=len(reports), error_lines=errors, duplicates=duplicates, reports=reports
    )


def record_store(events: Path) -> Path:
    """Where the records an events file was built from are kept: ``<events>.records.jsonl``."""
    return events.with_name(events.name + ".records.jsonl")


def update_events(events_path: Path, paths: Sequence[Path]) -> EventsRun:
    """The events of `events_path` with the new runs' records added: the components of the
    candidate graph holding a new record are regrouped and merged, every other line kept.
    Raises `InputError` when the file or its record store cannot be read."""
    store = record_store(events_path)
    if not store.is_file():
        raise InputError(
            f"{events_path}: no record store {store.name} beside it to update from "
            "(it is written by `extract events RUNS --out FILE`)"
        )
    old_reports, _, _ = read_reports([store])
    old_events = read_events(events_path)
    known = {report.article for report in old_reports}
    new_reports, errors, duplicates = read_reports(paths)
    fresh = [report for report in new_reports if report.article not in known]
    duplicates += [report.article for report in new_reports if report.article in known]
    reports = old_reports + fresh
    position = {report.article: index for index, report in enumerate(reports)}
    first_new = len(old_reports)
    placed: list[tuple[int, EventLine]] = []
    touched: set[int] = set()
    for component, pairs in components(len(reports), linked_pairs(reports)):
        if component[-1] < first_new:
            continue
        touched.update(component)
        for cluster in group_component(reports, component, pairs):
            placed.append((cluster[0], merge_event([reports[i] for i in cluster])))
    for event in old_events:
        indices = [position[article] for article in event.articles if article in position]
        if indices and not touched.intersection(indices):
            placed.append((min(indices), event))
    events = [event for _, event in sorted(placed, key=lambda item: item[0])]
    return EventsRun(
        events, records=len(fresh), error_lines=errors, duplicates=duplicates, reports=reports
    )


def write_events(run: EventsRun, out: Path) -> None:
    """Write one JSON line per event, the whole file at once (`write_whole_file`: a device or
    pipe is streamed to, a regular file replaced atomically), and for a regular file its
    record store first. Raises `OutputError`."""
    if not out.exists() or out.is_file():
        lines = (ResultLine.of_record(r.article, r.record, None).dumps() for r in run.reports)
        write_whole_file(record_store(out), "".join(line + "\n" for line in lines))
    write_whole_file(out, "".join(event.dumps() + "\n" for event in run.events))


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
