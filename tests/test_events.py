"""`extract events`: grouping records into events and merging them with per-source provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from typer.testing import CliRunner

from extractor.cli import app
from extractor.events.build import build_events, read_events
from extractor.events.model import EventLine, event_id, events_json_schema
from extractor.lines import ResultLine
from extractor.schema import (
    ArticleInfo,
    EventDate,
    EventRecord,
    Evidence,
    Location,
    Party,
    TreatyTerm,
)

runner = CliRunner()


def _evidence(quote: str) -> Evidence:
    return Evidence(quote=quote, start=0, end=len(quote), verified=True, method="exact")


def _record(
    article: str,
    *,
    published: str,
    date: str | None,
    parties: list[str],
    title: str,
    summary: str,
    event_type: str = "agreement_signed",
    location: str | None = None,
    outlet: str | None = None,
    terms: tuple[str, ...] = (),
) -> ResultLine:
    record = EventRecord(
        title=title,
        summary=summary,
        event_type=event_type,  # type: ignore[arg-type]
        date=EventDate(
            value=date, precision="day", phrase="on Wednesday", evidence=_evidence(title)
        )
        if date
        else None,
        location=Location(name=location, evidence=_evidence(location)) if location else None,
        parties=[
            Party(name=name, type="state", role="signatory", evidence=_evidence(name))
            for name in parties
        ],
        treaty_terms=[TreatyTerm(statement=term, evidence=_evidence(term)) for term in terms],
        article=ArticleInfo(
            id=article,
            source=outlet,
            published=published,
            published_earliest=published,
            published_latest=published,
        ),
    )
    return ResultLine.of_record(article, record, "f" * 64)


def _write(path: Path, lines: list[ResultLine]) -> Path:
    path.write_text("".join(line.dumps() + "\n" for line in lines), "utf-8")
    return path


SIGNING = dict(
    parties=["Russia", "North Korea"],
    title="Russia and North Korea sign a mutual defence pact",
    summary="Vladimir Putin and Kim Jong Un signed a strategic partnership treaty in Pyongyang "
    "pledging mutual assistance if either is attacked.",
    location="Pyongyang",
)


def _signing_reports() -> list[ResultLine]:
    # The same signing: one same-day report ("on Wednesday"), one next-day ("yesterday"), both
    # resolved by their records to the same day; the third outlet says Moscow.
    return [
        _record(
            "a1",
            published="2024-06-19",
            date="2024-06-19",
            outlet="Wire",
            **SIGNING,
            terms=("mutual assistance in case of aggression",),
        ),
        _record(
            "a2",
            published="2024-06-20",
            date="2024-06-19",
            outlet="Daily",
            **{**SIGNING, "title": "Putin and Kim agree to defend each other"},
            terms=("a pledge to defend each other from attack",),
        ),
        _record(
            "a3",
            published="2024-06-20",
            date="2024-06-19",
            outlet="Herald",
            **{**SIGNING, "location": "Moscow"},
        ),
    ]


def test_one_event_per_signing_with_agreeing_dates_and_an_outlier_location(
    tmp_path: Path,
) -> None:
    run = _write(tmp_path / "run.jsonl", _signing_reports())
    (event,) = build_events([run]).events
    assert event.articles == ["a1", "a2", "a3"]
    assert [s.outlet for s in event.sources] == ["Wire", "Daily", "Herald"]
    assert event.date.value == "2024-06-19"
    assert event.date.values[0].articles == ["a1", "a2", "a3"]
    assert event.location.value == "Pyongyang"
    # One outlet's different place is listed, not raised as a conflict between outlets.
    assert {v.value: v.articles for v in event.location.values} == {
        "Pyongyang": ["a1", "a2"],
        "Moscow": ["a3"],
    }
    assert event.conflicts == []
    (term,) = event.treaty_terms
    assert term.reported_by == ["a1", "a2"]
    assert [e.article for e in term.evidence] == ["a1", "a2"]
    assert {p.name: p.articles for p in event.parties}["North Korea"] == ["a1", "a2", "a3"]
    assert event.event_id == event_id(["a3", "a1", "a2"])


def test_a_place_two_outlets_report_is_a_conflict_and_a_far_date_is_not(tmp_path: Path) -> None:
    moscow = {**SIGNING, "location": "Moscow"}
    second_moscow = _record(
        "a4", published="2024-06-20", date="2024-06-19", outlet="Post", **moscow
    )
    # A record that resolved a background date (an earlier meeting's day) months off.
    background = _record(
        "a5", published="2024-06-19", date="2024-03-01", outlet="Gazette", **SIGNING
    )
    run = _write(tmp_path / "run.jsonl", [*_signing_reports(), second_moscow, background])
    (event,) = build_events([run]).events
    assert event.articles == ["a1", "a2", "a3", "a4", "a5"]
    (conflict,) = event.conflicts
    assert conflict.field == "location"
    assert {v.value: v.articles for v in conflict.values} == {
        "Pyongyang": ["a1", "a2", "a5"],
        "Moscow": ["a3", "a4"],
    }
    assert event.date.value == "2024-06-19"
    assert {v.value: v.articles for v in event.date.values}["2024-03-01"] == ["a5"]
    assert "too far" in event.date.why


def test_the_gaza_strip_and_gaza_are_one_place(tmp_path: Path) -> None:
    reports = [
        _record(
            f"g{n}",
            published="2023-11-22",
            date="2023-11-22",
            parties=["Israel", "Hamas"],
            title="Israel and Hamas agree a four-day truce",
            summary="Israel and Hamas agreed a four-day truce and an exchange of hostages.",
            event_type="ceasefire",
            location=place,
        )
        for n, place in enumerate(["Gaza", "the Gaza Strip", "Gaza Strip"])
    ]
    (event,) = build_events([_write(tmp_path / "run.jsonl", reports)]).events
    assert [(v.value, v.articles) for v in event.location.values] == [("Gaza", ["g0", "g1", "g2"])]


def test_same_parties_in_a_different_event_stay_apart(tmp_path: Path) -> None:
    ratification = _record(
        "r1",
        published="2024-11-09",
        date="2024-11-09",
        parties=["Russia", "North Korea"],
        title="Russia ratifies its mutual defence pact with North Korea",
        summary="Vladimir Putin signed the law ratifying the strategic partnership treaty with "
        "North Korea, pledging mutual assistance if either is attacked.",
        event_type="agreement_signed",
    )
    statement = _record(
        "s1",
        published="2024-06-19",
        date="2024-06-19",
        parties=["United States", "South Korea", "Japan"],
        title="Washington, Seoul and Tokyo condemn the Russia-North Korea pact",
        summary="The United States, South Korea and Japan said the pact signed in Pyongyang "
        "threatens peace.",
        event_type="statement",
        location="Washington",
    )
    run = _write(tmp_path / "run.jsonl", [*_signing_reports(), ratification, statement])
    events = build_events([run]).events
    assert sorted(e.articles for e in events) == [["a1", "a2", "a3"], ["r1"], ["s1"]]


def test_every_record_is_in_exactly_one_event_and_error_lines_are_counted(
    tmp_path: Path,
) -> None:
    failed = ResultLine.of_error("bad", "input_error", "empty file", None)
    first = _write(tmp_path / "one.jsonl", [*_signing_reports()[:2], failed])
    second = _write(tmp_path / "two.jsonl", _signing_reports()[1:])
    result = build_events([first, second])
    held = [article for event in result.events for article in event.articles]
    assert sorted(held) == ["a1", "a2", "a3"]
    assert result.error_lines == 1
    assert result.duplicates == ["a2"]


def test_baselines_are_selectable_and_group_differently(tmp_path: Path) -> None:
    reports = _signing_reports()
    reports.append(
        _record(
            "a4",
            published="2024-06-19",
            date="2024-06-19",
            outlet="Post",
            **{**SIGNING, "parties": ["Russia", "North Korea", "Vladimir Putin"]},
        )
    )
    run = _write(tmp_path / "run.jsonl", reports)
    by_parties = build_events([run], "date-parties").events
    # Same day, but a different party set: the exact-match baseline splits it off.
    assert sorted(e.articles for e in by_parties) == [["a1", "a2", "a3"], ["a4"]]
    (scored,) = build_events([run]).events
    assert scored.articles == ["a1", "a2", "a3", "a4"]


def test_cli_writes_lines_valid_against_the_printed_schema(tmp_path: Path) -> None:
    run = _write(tmp_path / "run.jsonl", _signing_reports())
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["events", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    schema_result = runner.invoke(app, ["schema", "--events"])
    schema: dict[str, Any] = json.loads(schema_result.stdout)
    assert schema == events_json_schema()
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 1
    jsonschema.validate(json.loads(lines[0]), schema)
    assert read_events(out) == [EventLine.parse(lines[0])]


def test_cli_refuses_a_file_that_is_not_a_run(tmp_path: Path) -> None:
    bad = tmp_path / "notes.jsonl"
    bad.write_text('{"hello": 1}\n', "utf-8")
    result = runner.invoke(app, ["events", str(bad), "--out", str(tmp_path / "e.jsonl")])
    assert result.exit_code == 2
    assert "notes.jsonl:1: not a result line" in result.stderr
    assert not (tmp_path / "e.jsonl").exists()
    result = runner.invoke(
        app, ["events", str(bad), "--out", str(tmp_path / "e.jsonl"), "--grouping", "magic"]
    )
    assert result.exit_code == 2
