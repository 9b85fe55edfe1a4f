"""Grounding as a check on the answer: a record whose evidence is mostly not in the article is
re-asked once (LLM) with the quotes named, and flagged `mostly_unverified` if it stays so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.cli import app
from extractor.grounding import mostly_unverified
from extractor.schema import EventDraft, llm_json_schema
from tests.fake_openai import FakeOpenAI, Reply
from tests.fakes import FakeBackend
from tests.schema_answers import article_text, instance

ARTICLE = (
    "Freedonia and Sylvania signed a ports agreement in Lisbon on Monday, officials said. "
    "The deal opens three harbours to each other's ships."
)
#: What a small model answered once: the prompt's own example, about invented countries.
EXAMPLE = (
    "Nordland and Estmark signed a treaty in Geneva on Tuesday. The treaty, brokered by "
    "Switzerland, commits both sides to split the river's flow equally during dry months."
)


def copied_answer() -> Reply:
    """A schema-valid answer whose quotes all come from another text."""
    return Reply(content=instance(llm_json_schema(), EXAMPLE))


def run_one(tmp_path: Path, *flags: str, env: dict[str, str] | None = None) -> tuple[Result, Any]:
    (tmp_path / "a1.txt").write_text(f"Ports deal\n{ARTICLE}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    args = ["run", str(tmp_path / "a1.txt"), "--out", str(out), "--no-cache",
            "--summary-json", str(summary), *flags]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": "dummy", **(env or {})})
    (line,) = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    return result, (line, json.loads(summary.read_text(encoding="utf-8")))


def llm_flags(server: FakeOpenAI) -> tuple[str, ...]:
    return ("--backend", "openai", "--model", "m", "--base-url", server.base_url)


def test_the_share_that_counts_as_mostly_unverified() -> None:
    assert not mostly_unverified([])
    assert not mostly_unverified([True, False])  # half is not most
    assert mostly_unverified([False, False, True])
    assert not mostly_unverified([False, False, True], max_share=0.7)
    assert mostly_unverified([True, False], max_share=0.0)


def test_a_copied_answer_is_re_asked_once_naming_its_quotes(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        server.enqueue(copied_answer())
        result, (line, summary) = run_one(tmp_path, *llm_flags(server))
        first, second = (request.body for request in server.requests)
    assert result.exit_code == 0, result.output
    record = line["record"]
    assert record["warnings"] == []
    assert all(e["verified"] for e in [p["evidence"] for p in record["parties"]])
    assert record["provenance"]["usage"]["reasks"] == 1
    reask = second["messages"][-1]["content"]
    copied = EventDraft.model_validate_json(second["messages"][-2]["content"])
    assert "evidence quotes are not in the article" in reask
    assert json.dumps(copied.evidence_quotes()[0][:120], ensure_ascii=False) in reask
    assert article_text(second) == article_text(first)  # the re-ask is about the same article
    assert ARTICLE in article_text(first)
    assert summary["mostly_unverified"] == 0


def test_an_answer_that_stays_copied_is_written_with_the_warning_and_counted(
    tmp_path: Path,
) -> None:
    with FakeOpenAI() as server:
        server.enqueue(copied_answer(), copied_answer())
        result, (line, summary) = run_one(tmp_path, *llm_flags(server))
        requests = len(server.requests)
    assert result.exit_code == 0, result.output
    assert requests == 2, "one grounding re-ask, not a loop"
    assert line["record"]["warnings"] == ["mostly_unverified"]
    assert line["record"]["provenance"]["usage"]["reasks"] == 1
    assert summary["mostly_unverified"] == 1
    assert "records mostly unverified 1" in result.output


def test_the_threshold_is_a_setting(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        server.enqueue(copied_answer())
        result, (line, summary) = run_one(
            tmp_path, *llm_flags(server), env={"EXTRACT_MAX_UNVERIFIED": "1"}
        )
        requests = len(server.requests)
    assert result.exit_code == 0, result.output
    assert requests == 1  # nothing is more than all: no re-ask, no flag
    assert line["record"]["warnings"] == []
    assert summary["mostly_unverified"] == 0
    bad = CliRunner().invoke(app, ["run", str(tmp_path / "a1.txt"), "--max-unverified", "2"])
    assert bad.exit_code == 2
    assert "at most 1" in bad.output


def test_a_backend_without_a_model_to_ask_is_flagged_without_a_re_ask(
    tmp_path: Path, fake: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.enqueue(EventDraft.model_validate(instance(llm_json_schema(), EXAMPLE)))
    result, (line, summary) = run_one(tmp_path)
    assert result.exit_code == 0, result.output
    assert len(fake.calls) == 1
    assert line["record"]["warnings"] == ["mostly_unverified"]
    assert summary["mostly_unverified"] == 1
