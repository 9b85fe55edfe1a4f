"""`extract events --update`: new runs added to an events file give the events a build from
every run at once gives, and events the new records do not touch are kept, not redone."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from extractor.cli import app
from extractor.events.build import build_events, record_store, update_events, write_events
from extractor.lines import ResultLine
from tests.test_events import _record, _write

runner = CliRunner()

# Alike events: two rounds of talks of the same sides a month apart, two truces of the same
# sides, one statement by others; each reported on its day or the next, with varied wording.
_EVENTS = [
    (["United States", "China"], "2025-05-12", "agreement_signed", "Geneva",
     "US and China agree to cut tariffs for 90 days after Geneva talks"),
    (["United States", "China"], "2025-06-10", "talks", "London",
     "US and China agree a framework in London to implement the Geneva consensus"),
    (["Israel", "Hamas"], "2023-11-22", "ceasefire", "Gaza",
     "Israel and Hamas agree a four-day truce and the release of 50 hostages"),
    (["Israel", "Hamas", "Qatar"], "2025-01-15", "ceasefire", "Doha",
     "Qatar announces a Gaza ceasefire and hostage deal between Israel and Hamas"),
    (["Japan", "South Korea"], "2025-05-12", "statement", "Tokyo",
     "Japan and South Korea welcome the tariff truce"),
]
_ANGLES = ["", " officials said", " according to state media", ", the statement said"]


def _line(index: int, event: int, angle: int, late: bool) -> ResultLine:
    parties, day, kind, place, title = _EVENTS[event]
    published = day if not late else day[:-2] + f"{int(day[-2:]) + 1:02d}"
    return _record(
        f"r{index:03d}",
        published=published,
        date=day if angle != 3 else None,
        parties=parties[: 2 + angle % 2],
        title=title + _ANGLES[angle],
        summary=title + _ANGLES[(angle + 1) % 4] + ".",
        event_type=kind,
        location=place if angle != 2 else None,
        outlet=f"Outlet {index}",
    )


_reports = st.lists(
    st.tuples(st.integers(0, len(_EVENTS) - 1), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=14,
)


@settings(max_examples=40, deadline=None)
@given(reports=_reports, data=st.data())
def test_update_gives_the_events_of_a_build_from_every_run(
    tmp_path_factory: object, reports: list[tuple[int, int, bool]], data: st.DataObject
) -> None:
    tmp = Path(tmp_path_factory.mktemp("update"))  # type: ignore[attr-defined]
    lines = [_line(i, *report) for i, report in enumerate(reports)]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(lines)), max_size=3)))
    parts = [lines[a:b] for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]
    runs = [_write(tmp / f"run{n}.jsonl", part) for n, part in enumerate(parts)]
    events = tmp / "events.jsonl"
    write_events(build_events(runs[:1]), events)
    for run in runs[1:]:
        write_events(update_events(events, [run]), events)
    scratch = tmp / "scratch.jsonl"
    write_events(build_events(runs), scratch)
    assert events.read_text("utf-8") == scratch.read_text("utf-8")
    assert record_store(events).read_text("utf-8") == record_store(scratch).read_text("utf-8")


def test_events_the_new_records_do_not_touch_are_kept_as_they_were(tmp_path: Path) -> None:
    first = _write(tmp_path / "one.jsonl", [_line(0, 0, 0, False), _line(1, 2, 0, False)])
    events = tmp_path / "events.jsonl"
    assert runner.invoke(app, ["events", str(first), "--out", str(events)]).exit_code == 0
    lines = [json.loads(raw) for raw in events.read_text("utf-8").splitlines()]
    # Mark the Israel-Hamas event's line: an update that redid it would lose the mark.
    lines[1]["title"] = "kept as written"
    events.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    second = _write(tmp_path / "two.jsonl", [_line(2, 0, 1, True)])
    result = runner.invoke(app, ["events", str(second), "--update", str(events)])
    assert result.exit_code == 0, result.output
    assert "1 new records into 2 events" in result.output
    after = [json.loads(raw) for raw in events.read_text("utf-8").splitlines()]
    assert [line["articles"] for line in after] == [["r000", "r002"], ["r001"]]
    assert after[1]["title"] == "kept as written"


def test_an_article_already_in_the_events_is_not_added_twice(tmp_path: Path) -> None:
    run = _write(tmp_path / "run.jsonl", [_line(0, 0, 0, False)])
    events = tmp_path / "events.jsonl"
    write_events(build_events([run]), events)
    result = update_events(events, [run])
    assert result.duplicates == ["r000"]
    assert [event.articles for event in result.events] == [["r000"]]


def test_update_without_a_record_store_is_a_clear_input_error(tmp_path: Path) -> None:
    run = _write(tmp_path / "run.jsonl", [_line(0, 0, 0, False)])
    events = tmp_path / "events.jsonl"
    assert runner.invoke(app, ["events", str(run), "--out", "/dev/null"]).exit_code == 0
    write_events(build_events([run]), events)
    record_store(events).unlink()
    result = runner.invoke(app, ["events", str(run), "--update", str(events)])
    assert result.exit_code == 2
    assert "no record store" in result.output
    bad = runner.invoke(app, ["events", str(run), "--update", str(events), "--grouping", "text"])
    assert bad.exit_code == 2
