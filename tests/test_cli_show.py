"""`extract show`: a run's lines for reading, records and errors alike."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app
from tests.fakes import FakeBackend


def run_then_show(tmp_path: Path) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(tmp_path / "in"), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code in (0, 1), result.output
    shown = runner.invoke(app, ["show", str(tmp_path / "o.jsonl")])
    return shown.exit_code, shown.stdout


def test_show_prints_each_record_with_its_evidence_marks(tmp_path: Path, fake: FakeBackend) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Oslo hosted talks on Monday.\n", encoding="utf-8")
    code, out = run_then_show(tmp_path)
    assert code == 0
    assert out.splitlines() == [
        "── a: Event in a  [statement]",
        "   Oslo hosted talks on Monday.",
        "   party: Norway (state, participant) ✓",  # a capital stands for its state
    ]


def test_show_says_where_the_record_came_from(tmp_path: Path, fake: FakeBackend) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Oslo hosted talks on Monday.\n", encoding="utf-8")
    (tmp_path / "in" / "metadata.json").write_text(
        json.dumps({"a": {"source": "Wire", "published": "2024-06-17", "url": "https://w.example"}}),
        encoding="utf-8",
    )
    code, out = run_then_show(tmp_path)
    assert code == 0
    assert out.splitlines()[2] == "   article: source Wire, published 2024-06-17, url https://w.example"


def test_show_prints_an_error_with_what_it_spent(tmp_path: Path) -> None:
    (tmp_path / "o.jsonl").write_text(
        json.dumps({"article": "a", "error": {"type": "input_error", "message": "empty"},
                    "fingerprint": None}) + "\n"
        + json.dumps({"article": "b", "error": {
            "type": "output_invalid", "message": "still invalid",
            "usage": {"input_tokens": 900, "output_tokens": 100, "requests": 3, "retries": 0,
                      "reasks": 2, "cost_usd": 0.0002}}, "fingerprint": "f"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    shown = CliRunner().invoke(app, ["show", str(tmp_path / "o.jsonl")])
    assert shown.exit_code == 0
    assert shown.stdout.splitlines() == [
        "── a: ERROR input_error: empty",
        "── b: ERROR output_invalid: still invalid",
        "   spent before failing: 3 requests (0 retries, 2 re-asks), 1000 tokens, cost $0.0002",
    ]


def test_show_refuses_a_line_that_is_not_a_result(tmp_path: Path) -> None:
    line = '{"article": "a", "error": {"kind": "?"}}\n'
    (tmp_path / "o.jsonl").write_text(line, encoding="utf-8")
    shown = CliRunner().invoke(app, ["show", str(tmp_path / "o.jsonl")])
    assert shown.exit_code == 2
    assert "o.jsonl:1: not a result line" in shown.stderr
