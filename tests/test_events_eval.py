"""`extract eval --events --gold-events`: clustering, field and conflict scores from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.errors import GoldError
from extractor.events.model import (
    ChosenValue,
    Conflict,
    EventLine,
    EventParty,
    MergedTerm,
    SourceEvidence,
    ValueSupport,
    event_id,
)
from extractor.events.scoring import read_gold_events, score_events

runner = CliRunner()


def _event(articles: list[str], *, location: str, conflicts: tuple[str, ...] = ()) -> EventLine:
    return EventLine(
        event_id=event_id(articles),
        articles=articles,
        sources=[],
        title="t",
        event_type="agreement_signed",
        date=ChosenValue(value="2024-06-19", why="w", values=[]),
        location=ChosenValue(value=location, why="w", values=[]),
        parties=[EventParty(name="Russia", type="state", articles=articles)],
        treaty_terms=[
            MergedTerm(
                statement="mutual assistance in case of aggression",
                reported_by=articles[:2],
                evidence=[SourceEvidence(article=articles[0], quote="mutual assistance")],
            )
        ],
        allegations=[],
        denials=[],
        conflicts=[
            Conflict(field=name, values=[ValueSupport(value="x", articles=articles[:1])])
            for name in conflicts
        ],
        summary="s",
    )


GOLD = [
    {
        "event_id": "signing",
        "articles": ["a", "b", "c"],
        "date": "2024-06-19",
        "location": "Pyongyang",
        "parties": ["Russia", "North Korea"],
        "treaty_terms": [{"text": "a pledge of mutual assistance", "reported_by": ["a", "b", "c"]}],
        "conflicts": ["location"],
    },
    {"event_id": "ratification", "articles": ["d"], "date": "2024-11-09", "conflicts": []},
]


def _gold_file(tmp_path: Path, documents: list[dict[str, object]]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), "utf-8")
    return path


def test_scores_a_split_event_and_its_fields(tmp_path: Path) -> None:
    events = [
        _event(["a", "b"], location="Pyongyang", conflicts=("location", "date")),
        _event(["c", "d"], location="Moscow"),
    ]
    scores = score_events(events, read_gold_events(_gold_file(tmp_path, GOLD).read_text(), "g"))
    muc = scores.clustering["muc"]
    assert (muc["precision"], muc["recall"]) == pytest.approx((0.5, 0.5))
    signing, ratification = scores.fields
    assert signing["matched_event"] == event_id(["a", "b"])
    assert (signing["date"], signing["location"]) == (1.0, 1.0)
    assert signing["parties"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3)}
    terms = signing["treaty_terms"]
    assert isinstance(terms, dict)
    assert terms["f1"] == 1.0
    assert (terms["reported_by_precision"], terms["reported_by_recall"]) == (
        1.0,
        pytest.approx(2 / 3),
    )
    assert ratification["date"] == 0.0
    # Predicted: location and date on the signing; gold: location only.
    assert (scores.conflicts.precision, scores.conflicts.recall) == (0.5, 1.0)


def test_cli_prints_and_writes_json(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(_event(["a", "b", "c"], location="Pyongyang").dumps() + "\n", "utf-8")
    gold = _gold_file(tmp_path, GOLD)
    out = tmp_path / "scores.json"
    args = ["eval", "--events", str(events), "--gold-events", str(gold), "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "conll" in result.stdout
    document = json.loads(out.read_text("utf-8"))
    assert document["missing_articles"] == ["d"]
    assert document["clustering"]["b_cubed"]["recall"] == pytest.approx((9 / 3) / 4)


def test_gold_with_an_article_in_two_events_is_refused(tmp_path: Path) -> None:
    twice = [GOLD[0], {"event_id": "other", "articles": ["c"]}]
    with pytest.raises(GoldError, match="article c is already in signing"):
        read_gold_events(_gold_file(tmp_path, twice).read_text(), "g")
    events = tmp_path / "events.jsonl"
    events.write_text("", "utf-8")
    args = ["eval", "--events", str(events), "--gold-events", str(_gold_file(tmp_path, twice))]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "already in signing" in result.stderr
    result = runner.invoke(app, ["eval", "--events", str(events)])
    assert result.exit_code == 2
    assert "--events and --gold-events go together" in result.stderr


def test_check_fails_when_an_event_score_falls_below_its_baseline(tmp_path: Path) -> None:
    gold = tmp_path / "set.jsonl"
    gold.write_text(json.dumps({"event_id": "g", "articles": ["a", "b"]}) + "\n", "utf-8")
    together = tmp_path / "together.jsonl"
    together.write_text(_event(["a", "b"], location="Pyongyang").dumps() + "\n", "utf-8")
    apart = tmp_path / "apart.jsonl"
    apart.write_text(
        "".join(_event([a], location="Pyongyang").dumps() + "\n" for a in ("a", "b")), "utf-8"
    )
    baseline = tmp_path / "baseline.json"
    common = ["eval", "--gold-events", str(gold), "--baseline", str(baseline)]
    missing = runner.invoke(app, [*common, "--events", str(together), "--check"])
    assert missing.exit_code == 2
    blessed = runner.invoke(app, [*common, "--events", str(together), "--bless"])
    assert blessed.exit_code == 0, blessed.output
    entry = json.loads(baseline.read_text("utf-8"))["offline@events-set"]
    assert entry["scores"]["conll.f1"] == pytest.approx(1.0)
    assert runner.invoke(app, [*common, "--events", str(together), "--check"]).exit_code == 0
    dropped = runner.invoke(app, [*common, "--events", str(apart), "--check"])
    assert dropped.exit_code == 1
    assert "regression: conll.f1" in dropped.output


def test_fields_a_gold_event_leaves_out_are_not_scored() -> None:
    (gold,) = read_gold_events(json.dumps({"event_id": "g", "articles": ["a", "b"]}), "g")
    (fields,) = score_events([_event(["a", "b"], location="Pyongyang")], [gold]).fields
    assert {k: v for k, v in fields.items() if k not in {"gold_event", "matched_event"}} == {
        "date": None,
        "location": None,
        "parties": None,
        "treaty_terms": None,
        "allegations": None,
        "denials": None,
    }
    (labelled,) = read_gold_events(
        json.dumps({"event_id": "g", "articles": ["a", "b"], "treaty_terms": []}), "g"
    )
    (fields,) = score_events([_event(["a", "b"], location="Pyongyang")], [labelled]).fields
    # Labelled as having no terms: the predicted term is spurious.
    assert fields["treaty_terms"] == {**fields["treaty_terms"], "precision": 0.0}
