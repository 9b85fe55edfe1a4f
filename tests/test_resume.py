"""Kill -9 and resume, over real `python -m extractor run` processes.

The backend is the real OpenAI-compatible one, talking over HTTP to the local fake server
(`tests/fake_openai.py`), so these runs exercise the threads, the output file and the resume
logic exactly as a user's would. Only the kill test needs separate processes; the others run the
same command line in this process to save interpreter start-ups.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bench.fault_server import FaultMixServer
from extractor.cli import app
from tests.fake_openai import FakeOpenAI, HttpError

pytestmark = pytest.mark.slow

ARTICLES = 40


def make_corpus(folder: Path, count: int = ARTICLES) -> list[str]:
    folder.mkdir()
    ids = []
    for number in range(count):
        article_id = f"n{number:03d}"
        (folder / f"{article_id}.txt").write_text(
            f"Delegations met in Geneva for round {number} of talks on Monday, officials said. "
            f"The Swiss hosts said round {number} ended without an agreement.\n",
            encoding="utf-8",
        )
        ids.append(article_id)
    return ids


def command(server: FakeOpenAI, out: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "extractor", "run", "corpus", "-o", out,
        "--backend", "openai", "--base-url", server.base_url, "--model", "gpt-4o-mini",
        "--concurrency", "4", *extra,
    ]  # fmt: skip


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EXTRACT_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


def run_to_end(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=child_env(), capture_output=True, text=True, timeout=120, check=False
    )


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def kill_after(args: list[str], cwd: Path, out: Path, lines: int) -> None:
    """Start a run and kill -9 it once `out` holds at least `lines` lines."""
    kill_when(args, cwd, lambda: count_lines(out) >= lines)


def kill_when(args: list[str], cwd: Path, ready: Callable[[], bool]) -> None:
    """Start a run and kill -9 it as soon as `ready()` says so."""
    process = subprocess.Popen(
        args, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not ready() and process.poll() is None:
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def stable_lines(path: Path) -> list[dict[str, Any]]:
    """Result lines without what may differ between runs: time, cache use and spend."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        provenance = (line.get("record") or {}).get("provenance") or {}
        for key in ("created_at", "cached", "usage"):
            provenance.pop(key, None)
    return lines


def test_kill_9_at_several_points_then_resume_equals_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    ids = make_corpus(tmp_path / "corpus")
    with FakeOpenAI(latency=0.05) as server:
        reference = run_to_end(command(server, "reference.jsonl", "--no-cache"), tmp_path)
        assert reference.returncode == 0, reference.stderr

        out = tmp_path / "out.jsonl"
        args = command(server, "out.jsonl")
        for lines in (4, 20):
            kill_after(args, tmp_path, out, lines)
            assert count_lines(out) < ARTICLES, "the run finished before it could be killed"
        finished = run_to_end(args, tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert [line["article"] for line in stable_lines(out)] == ids
    assert stable_lines(out) == stable_lines(tmp_path / "reference.jsonl")
    assert "resumed" in finished.stderr


def test_kill_9_under_the_whole_fault_mix_then_resume_accounts_for_every_article(
    tmp_path: Path,
) -> None:
    ids = make_corpus(tmp_path / "corpus")
    # 500s, 429s, dropped connections, timeouts and invalid JSON, a third of all replies.
    server = FaultMixServer(latency=0.02, fault_rate=0.3, seed=7, hang=0.6)
    # Budgets that make giving up on an article vanishingly rare (under 1e-4 per run), so that
    # both runs end with records to compare.
    budgets = ("--timeout", "0.3", "--max-retries", "8", "--max-reasks", "4")
    with server:
        reference = run_to_end(command(server, "reference.jsonl", "--no-cache", *budgets), tmp_path)
        out = tmp_path / "out.jsonl"
        args = command(server, "out.jsonl", *budgets)
        # Killed by requests the server has seen, not lines written: a stalled article holds
        # back the lines after it, which then come in one burst.
        for requests in (10, 25):
            seen = len(server.requests)
            kill_when(args, tmp_path, lambda: len(server.requests) >= seen + requests)  # noqa: B023
            assert count_lines(out) < ARTICLES, "the run finished before it could be killed"
        finished = run_to_end(args, tmp_path)
        served = server.stats()["served"]

    assert reference.returncode == 0 and finished.returncode == 0, finished.stderr
    assert {"http_500", "http_429", "drop", "timeout", "invalid_json"} <= set(served)
    lines = stable_lines(out)
    assert [line["article"] for line in lines] == ids  # no article lost, none twice
    assert lines == stable_lines(tmp_path / "reference.jsonl")


REPO = Path(__file__).resolve().parent.parent


def real_corpus(folder: Path) -> list[str]:
    """The seeds and the real dev articles (`evals/real/dev`, 1987-2024, up to 10,558
    characters), copied as they are into one folder; their ids in input order."""
    folder.mkdir()
    sources = sorted((REPO / "seeds").glob("*.txt")) + sorted(
        (REPO / "evals" / "real" / "dev").glob("*.txt")
    )
    for source in sources:
        (folder / source.name).write_bytes(source.read_bytes())
    return sorted(source.stem for source in sources)


def test_kill_9_over_real_articles_then_resume_gives_exactly_one_line_each(
    tmp_path: Path,
) -> None:
    ids = real_corpus(tmp_path / "corpus")
    assert len(ids) == 36
    server = FaultMixServer(latency=0.01, fault_rate=0.1, seed=11, hang=0.6)
    # Chunks of at most 4,000 characters: the long articles take several requests each, and
    # are merged from answers that quote their real sentences.
    extra = ("--context-chars", "4000", "--timeout", "0.3", "--max-retries", "8")
    with server:
        out = tmp_path / "out.jsonl"
        args = command(server, "out.jsonl", *extra)
        for requests in (8, 30):
            seen = len(server.requests)
            kill_when(args, tmp_path, lambda: len(server.requests) >= seen + requests)  # noqa: B023
            assert count_lines(out) < len(ids), "the run finished before it could be killed"
        finished = run_to_end(args, tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert "resumed" in finished.stderr
    lines = stable_lines(out)
    assert [line["article"] for line in lines] == ids  # exactly one line each, in input order
    records = [line["record"] for line in lines]
    assert any(record["provenance"]["chunks"] > 1 for record in records)
    evidence = [item for record in records for item in _evidence(record)]
    assert evidence and all(item["verified"] for item in evidence)


def _evidence(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name in ("date", "location"):
        if record.get(name):
            found.append(record[name]["evidence"])
    for name in ("parties", "treaty_terms", "allegations", "denials"):
        found.extend(item["evidence"] for item in record[name])
    return found


def invoke_in(cwd: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Result:
    """The same command in this process (faster than a new interpreter), through CliRunner."""
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(app, args[3:])


def test_resume_with_a_changed_model_redoes_every_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_corpus(tmp_path / "corpus", 6)
    with FakeOpenAI() as server:
        first = invoke_in(tmp_path, monkeypatch, command(server, "out.jsonl"))
        before = len(server.requests)
        unchanged = invoke_in(tmp_path, monkeypatch, command(server, "out.jsonl"))
        after_unchanged = len(server.requests)
        changed = invoke_in(
            tmp_path, monkeypatch, command(server, "out.jsonl", "--model", "gpt-4.1-mini")
        )
        after_changed = len(server.requests)

    assert first.exit_code == unchanged.exit_code == changed.exit_code == 0
    assert after_unchanged == before  # same configuration: nothing to do
    assert after_changed - after_unchanged == 6  # new model: every article again
    models = {
        line["record"]["provenance"]["model"] for line in stable_lines(tmp_path / "out.jsonl")
    }
    assert models == {"gpt-4.1-mini"}


def test_retry_errors_redoes_only_the_failed_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_corpus(tmp_path / "corpus", 5)
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as server:
        server.enqueue(HttpError(500, "down"), HttpError(500, "down"))
        no_retries = command(server, "out.jsonl", "--concurrency", "1", "--max-retries", "0")
        first = invoke_in(tmp_path, monkeypatch, no_retries)
        failed = [line["article"] for line in stable_lines(out) if "error" in line]
        requests = len(server.requests)
        kept = invoke_in(tmp_path, monkeypatch, command(server, "out.jsonl"))
        requests_kept = len(server.requests)
        retried = invoke_in(tmp_path, monkeypatch, command(server, "out.jsonl", "--retry-errors"))
        requests_retried = len(server.requests)

    assert first.exit_code == 1
    # No retries: each scripted 500 fails one article (which ones depends on the threads).
    assert len(failed) == 2 and set(failed) <= set(ids)
    assert kept.exit_code == 1 and requests_kept == requests
    assert retried.exit_code == 0
    assert requests_retried - requests_kept == len(failed)
    assert [("record" in line) for line in stable_lines(out)] == [True] * 5
