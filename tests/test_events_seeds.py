"""Done-when of `extract events`: the seeds' offline run is one event with five sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.events.build import read_events
from extractor.events.scoring import read_gold_events
from tests.conftest import SEEDS

runner = CliRunner()


@pytest.mark.slow
def test_seed_run_is_one_event_with_five_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "s.jsonl"
    out = tmp_path / "e.jsonl"
    assert runner.invoke(app, ["run", str(SEEDS), "--out", str(run)]).exit_code == 0
    result = runner.invoke(app, ["events", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (event,) = read_events(out)
    assert len(event.sources) == 5
    assert sorted(event.articles) == sorted(path.stem for path in SEEDS.glob("*.txt"))
    assert event.date.value == "2024-06-19"
    (support,) = event.date.values
    assert sorted(support.articles) == sorted(event.articles)
    assert not any(conflict.field == "date" for conflict in event.conflicts)
    widest = max(event.treaty_terms, key=lambda term: len(term.reported_by))
    assert len(widest.reported_by) >= 4
    assert all("mutual" in e.quote or "each other" in e.quote for e in widest.evidence)
    assert {party.name for party in event.parties} >= {"Russia", "North Korea"}
    scores = tmp_path / "scores.json"
    gold = SEEDS.parent / "evals" / "events" / "seeds.jsonl"
    args = ["eval", "--events", str(out), "--gold-events", str(gold), "--json", str(scores)]
    assert runner.invoke(app, args).exit_code == 0
    document = json.loads(scores.read_text("utf-8"))
    assert document["conll_f1"] == pytest.approx(1.0)
    (fields,) = document["fields"]
    assert (fields["date"], fields["location"]) == (1.0, 1.0)
    assert fields["treaty_terms"]["recall"] == pytest.approx(1.0)


def test_gold_event_files_validate_and_name_known_articles() -> None:
    # evals/events/<set>.jsonl labels the articles of evals/events/<set>/ (seeds.jsonl: seeds/).
    files = sorted((SEEDS.parent / "evals" / "events").glob("*.jsonl"))
    assert {path.stem for path in files} >= {"seeds", "real"}
    for path in files:
        folder = SEEDS if path.stem == "seeds" else path.with_suffix("")
        known = {article.stem for article in folder.glob("*.txt")}
        metadata = json.loads((folder / "metadata.json").read_text("utf-8"))
        events = read_gold_events(path.read_text("utf-8"), str(path))
        assert {a for event in events for a in event.articles} == known, path
        for event in events:
            reported = {
                a
                for item in event.treaty_terms + event.allegations + event.denials
                for a in item.reported_by
            }
            assert reported <= set(event.articles), f"{path}: {event.event_id}"
            # Several reports of one event come from several outlets, each documented.
            outlets = {metadata[a]["source"] for a in event.articles}
            assert len(outlets) == len(event.articles), f"{path}: {event.event_id}"
            if path.stem != "seeds":
                assert all(metadata[a]["url"] for a in event.articles), f"{path}: {event.event_id}"


def test_real_event_gold_holds_multi_outlet_events_and_a_trap_pair() -> None:
    gold = read_gold_events(
        (SEEDS.parent / "evals" / "events" / "real.jsonl").read_text("utf-8"), "real"
    )
    assert sum(len(event.articles) >= 3 for event in gold) >= 3
    # Two events with the same parties (the trap pairs: two rounds of US-China talks, two
    # Israel-Hamas truces) must be kept apart by anything that scores well on this gold.
    by_parties: dict[frozenset[str], list[str]] = {}
    for event in gold:
        by_parties.setdefault(frozenset(event.parties), []).append(event.event_id)
    assert any(len(ids) >= 2 for ids in by_parties.values())
