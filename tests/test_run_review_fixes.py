"""`extract run` cases found in review: each once broke the one-line-per-article contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.backends.openai_backend import OpenAIBackend, OpenAIConfig
from extractor.cli import app
from tests.fake_openai import FakeOpenAI
from tests.fakes import FakeBackend


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["run", *args], input=stdin, env=env)


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def test_output_inside_an_input_folder_is_not_read_as_input(fake: FakeBackend) -> None:
    folder = Path("in")
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(f"Oslo hosted talks {name}.\n", encoding="utf-8")
    for _ in range(2):  # the second run once read its own growing output, without end
        result = invoke("in", "--out", "in/run.jsonl")
        assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(folder / "run.jsonl")] == ["a", "b"]


def test_json_lines_that_break_the_decoder_are_error_lines(fake: FakeBackend) -> None:
    Path("in.jsonl").write_text(
        '{"id": "good", "text": "Oslo hosted talks."}\n'
        '{"id": "surrogate", "text": "hello \\ud800 world"}\n'
        + "[" * 100_000
        + "]" * 100_000
        + "\n"
        + '{"id": '
        + "1" * 5000
        + ', "text": "x"}\n',
        encoding="utf-8",
    )
    result = invoke("in.jsonl", "--out", "out.jsonl")
    assert result.exit_code == 1, result.output
    lines = lines_of(Path("out.jsonl"))
    assert len(lines) == 4 and "record" in lines[0]
    assert all(line["error"]["type"] == "input_error" for line in lines[1:])
    assert "surrogate" in lines[1]["error"]["message"]


def test_a_short_placeholder_key_does_not_mangle_the_output() -> None:
    Path("a.txt").write_text("Oslo hosted talks between two delegations.\n", encoding="utf-8")
    with FakeOpenAI() as server:
        result = invoke(
            "a.txt",
            "--backend",
            "openai",
            "--base-url",
            server.base_url,
            "--model",
            "m",
            "--out",
            "out.jsonl",
            env={"OPENAI_API_KEY": "e"},
        )
    assert result.exit_code == 0, result.output
    assert "record" in lines_of(Path("out.jsonl"))[0]


def test_a_file_that_is_not_ours_is_refused_untouched(fake: FakeBackend) -> None:
    Path("a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    for content in ("precious data", "line one\nlast line without newline"):
        Path("notes.txt").write_text(content, encoding="utf-8")
        result = invoke("a.txt", "--out", "notes.txt")
        assert result.exit_code == 2, result.output
        assert Path("notes.txt").read_text(encoding="utf-8") == content


def test_an_odd_record_line_in_the_output_is_refused_not_a_crash(fake: FakeBackend) -> None:
    Path("a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    Path("out.jsonl").write_text(
        '{"article": "a", "record": {"parties": [1]}, "fingerprint": "x"}\n', encoding="utf-8"
    )
    result = invoke("a.txt", "--out", "out.jsonl")
    # A file holding nothing this tool wrote is refused as a usage error, never an internal one.
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and "refusing" in result.output


def test_json_lines_on_stdin_after_a_byte_order_mark(fake: FakeBackend) -> None:
    stdin = b'\xef\xbb\xbf{"id": "a", "text": "Oslo talks."}\n{"id": "b", "text": "Rome talks."}\n'
    result = invoke("-", "--out", "out.jsonl", stdin=stdin)
    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(Path("out.jsonl"))] == ["a", "b"]


def test_changed_metadata_redoes_the_article(fake: FakeBackend) -> None:
    folder = Path("in")
    folder.mkdir()
    (folder / "x.txt").write_text("Oslo hosted talks on Wednesday.\n", encoding="utf-8")
    for published in ("2024-06-21", "2023-01-06"):
        meta = {"x": {"published": published}}
        (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
        assert invoke("in", "--out", "out.jsonl").exit_code == 0
    assert len(fake.calls) == 2, "the second run kept a line made with the old metadata"


def test_the_context_budget_is_part_of_the_llm_fingerprint() -> None:
    small = OpenAIBackend(OpenAIConfig(api_key="sk-test-0000000000", context_chars=500))
    large = OpenAIBackend(OpenAIConfig(api_key="sk-test-0000000000", context_chars=48_000))
    assert small.fingerprint() != large.fingerprint()


def test_an_unwritable_summary_path_is_an_output_error(fake: FakeBackend) -> None:
    Path("a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    result = invoke("a.txt", "--out", "out.jsonl", "--summary-json", "a.txt/summary.json")
    assert result.exit_code == 74
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_an_infinite_number_in_the_config_is_a_config_error(fake: FakeBackend) -> None:
    Path("a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    Path("c.toml").write_text("concurrency = inf\n", encoding="utf-8")
    result = invoke("a.txt", "--config", "c.toml")
    assert result.exit_code == 2
    assert "concurrency" in result.output


def test_html_without_a_closing_head_keeps_its_body(fake: FakeBackend) -> None:
    Path("a.html").write_text(
        "<html><head><title>Deal</title><body><p>France and Germany signed a treaty.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    result = invoke("a.html", "--out", "out.jsonl")
    assert result.exit_code == 0, result.output
    assert "record" in lines_of(Path("out.jsonl"))[0]


def test_a_closed_stdout_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    source = tmp_path / "many.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for number in range(400):
            text = f"Oslo hosted talks number {number} on Monday between two delegations."
            handle.write(json.dumps({"id": f"a{number}", "text": text}) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "extractor", "run", str(source), "-j", "1", "--no-cache"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # like `| head -1`
    process.stdout.close()
    errors = process.stderr.read().decode("utf-8")
    process.stderr.close()
    assert process.wait(timeout=120) == 141  # as a Unix tool killed by SIGPIPE
    assert json.loads(first)["article"] == "a0"
    assert "Traceback" not in errors and "internal error" not in errors


def test_progress_shows_done_of_total(fake: FakeBackend) -> None:
    for name in ("a", "b", "c"):
        Path(f"{name}.txt").write_text(f"Oslo hosted talks {name}.\n", encoding="utf-8")
    result = invoke("a.txt", "b.txt", "c.txt", "--out", "out.jsonl", "--progress")
    assert result.exit_code == 0, result.output
    assert "3/3 (100%) done" in result.output
