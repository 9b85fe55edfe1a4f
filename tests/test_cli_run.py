"""`extract run` through typer's CliRunner: exit codes, one line per article, bad input, secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.cli import app
from tests.fake_openai import FakeOpenAI, HttpError
from tests.fakes import FakeBackend

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> Result:
    return runner.invoke(app, ["run", *args], env=env, input=stdin)


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def good_articles(folder: Path, count: int = 2) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"ok{number}.txt").write_text(
            f"Oslo hosted talks number {number} on Monday.\n", encoding="utf-8"
        )
    return [f"ok{number}" for number in range(count)]


def test_exit_0_one_line_per_article_and_a_summary(tmp_path: Path, fake: FakeBackend) -> None:
    ids = good_articles(tmp_path / "in", 3)
    result = invoke("in", "--out", "out.jsonl", "--summary-json", "s.json")

    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(tmp_path / "out.jsonl")] == ids
    assert "3 articles" in result.stderr
    assert "records 3" in result.stderr
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["articles"] == 3 and summary["exit_code"] == 0


def test_results_go_to_stdout_without_out(tmp_path: Path, fake: FakeBackend) -> None:
    ids = good_articles(tmp_path / "in", 2)
    result = invoke("in")
    assert result.exit_code == 0
    assert [json.loads(line)["article"] for line in result.stdout.splitlines()] == ids


def test_exit_1_when_some_articles_fail(tmp_path: Path, fake: FakeBackend) -> None:
    ids = good_articles(tmp_path / "in", 2)
    (tmp_path / "in" / "empty.txt").write_text("", encoding="utf-8")
    result = invoke("in", "-o", "out.jsonl")

    assert result.exit_code == 1
    lines = lines_of(tmp_path / "out.jsonl")
    assert [line["article"] for line in lines] == ["empty", *ids]
    assert lines[0]["error"]["type"] == "input_error"
    assert "input_error 1" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["nowhere/"], {}, "no articles found"),
        (["in", "--concurrency", "0"], {}, "concurrency"),
        (["in", "--backend", "gpt9"], {}, "invalid backend"),
        (["in"], {"EXTRACT_RPM": "fast"}, "EXTRACT_RPM"),
        (["in", "--config", "none.toml"], {}, "not found"),
        (["in", "--concurrency", "two"], {}, "Invalid value for '--concurrency'"),
    ],
)
def test_exit_2_for_usage_and_configuration_errors(
    tmp_path: Path, fake: FakeBackend, args: list[str], env: dict[str, str], message: str
) -> None:
    good_articles(tmp_path / "in", 1)
    result = invoke(*args, "-o", "out.jsonl", env=env)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_folder_of_mixed_files(tmp_path: Path, fake: FakeBackend) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    (folder / "b.html").write_text("<html><body><p>Lima hosted talks.</p></body></html>", "utf-8")
    (folder / "c.jsonl").write_text(
        '{"id": "c1", "text": "Accra hosted talks."}\n{"id": "c2", "text": "Riga too."}\n',
        encoding="utf-8",
    )
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "README.md").write_text("# about\n", encoding="utf-8")

    result = invoke("mixed", "-o", "out.jsonl")

    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(tmp_path / "out.jsonl")] == ["a", "b", "c1", "c2"]
    assert "skipped 2 non-article files" in result.stderr


def _make_bad_inputs(folder: Path) -> dict[str, str]:
    """Each kind of bad input, as a file in `folder`; returns id -> expected message part."""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "spaces.txt").write_bytes(b"   \n\n\t ")
    (folder / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    (folder / "latin.txt").write_bytes(b"\x81\x8d\x8f\x90 not text")
    (folder / "huge.txt").write_text("Oslo talks. " * 40, encoding="utf-8")
    (folder / "twice.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    (folder / "twice.html").write_text("<p>Lima hosted talks.</p>", encoding="utf-8")
    (folder / "lines.jsonl").write_text('{"id": "fine", "text": "Baku talks."}\n{oops\n', "utf-8")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    return {
        "empty": "empty file",
        "spaces": "white space",
        "binary": "binary",
        "latin": "not valid UTF-8",
        "huge": "over the limit",
        "twice": "already used",
        "lines.jsonl:2": "malformed JSON",
        "loop": "cannot read",
        "missing.txt": "no such file",
    }


def test_each_bad_input_gets_its_error_line_and_the_rest_come_out(
    tmp_path: Path, fake: FakeBackend
) -> None:
    good = good_articles(tmp_path / "good", 2)
    expected = _make_bad_inputs(tmp_path / "bad")

    result = invoke("missing.txt", "bad", "good", "-o", "out.jsonl", "--max-chars", "200")

    assert result.exit_code == 1
    lines = lines_of(tmp_path / "out.jsonl")
    errors = {line["article"]: line["error"] for line in lines if "error" in line}
    for article_id, message in expected.items():
        assert message in errors[article_id]["message"], (article_id, errors[article_id])
    assert errors["twice"]["type"] == "duplicate_id"
    records = [line["article"] for line in lines if "record" in line]
    assert records == ["fine", "twice", *good]
    assert len(lines) == len(expected) + len(records)
    assert lines[0]["article"] == "missing.txt"  # argument order is output order


def test_stdin(tmp_path: Path, fake: FakeBackend) -> None:
    result = invoke("-", "-o", "out.jsonl", stdin=b"Headline\n\nOslo hosted talks.\n")
    assert result.exit_code == 0, result.output
    [line] = lines_of(tmp_path / "out.jsonl")
    assert line["article"] == "stdin"


def test_stdin_over_max_chars_is_one_error_line(tmp_path: Path, fake: FakeBackend) -> None:
    result = invoke("-", "-o", "out.jsonl", "--max-chars", "200", stdin=b"Oslo talks. " * 1000)

    assert result.exit_code == 1, result.output
    [line] = lines_of(tmp_path / "out.jsonl")
    assert (line["article"], line["error"]["type"]) == ("stdin", "input_error")
    assert "over the limit of 200 characters" in line["error"]["message"]
    assert fake.calls == []


def test_resume_and_retry_errors_through_the_cli(tmp_path: Path, fake: FakeBackend) -> None:
    from extractor.errors import BackendError

    ids = good_articles(tmp_path / "in", 3)
    fake.enqueue(BackendError("HTTP 502"), article=ids[2])
    assert invoke("in", "-o", "out.jsonl").exit_code == 1
    calls = len(fake.calls)

    assert invoke("in", "-o", "out.jsonl").exit_code == 1
    assert len(fake.calls) == calls  # everything was resumed, the error line too

    result = invoke("in", "-o", "out.jsonl", "--retry-errors")
    assert result.exit_code == 0
    assert fake.calls[calls:] == [ids[2]]
    assert "resumed 2" in result.stderr


# ------------------------------------------------------ the real LLM backend over HTTP


def test_openai_backend_against_a_local_server(tmp_path: Path) -> None:
    ids = good_articles(tmp_path / "in", 3)
    with FakeOpenAI() as server:
        result = invoke(
            "in", "-o", "out.jsonl", "--backend", "openai", "--base-url", server.base_url,
            "--model", "gpt-4o-mini", "--summary-json", "s.json",
        )  # fmt: skip
        requests = len(server.requests)

    assert result.exit_code == 0, result.output
    lines = lines_of(tmp_path / "out.jsonl")
    assert [line["article"] for line in lines] == ids
    assert requests == 3
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["input_tokens"] > 0
    assert summary["cost_usd"] > 0


def test_the_api_key_is_written_nowhere(tmp_path: Path) -> None:
    secret = "sk-test-SECRET-7f3a9c1e5b2d4f60"
    good_articles(tmp_path / "in", 3)
    with FakeOpenAI() as server:
        # A hostile endpoint that echoes the key back in its errors, then fails for good.
        server.enqueue(HttpError(401, f"Incorrect API key provided: {secret}"))
        server.enqueue(*[HttpError(500, f"boom for {secret}") for _ in range(20)])
        result = invoke(
            "in", "-o", "out/out.jsonl", "--backend", "openai", "--base-url", server.base_url,
            "--max-retries", "1", "--summary-json", "out/s.json", "--cache-dir", "out/cache",
            env={"OPENAI_API_KEY": secret},
        )  # fmt: skip
        sent = [request.headers.get("authorization", "") for request in server.requests]

    assert any(secret in header for header in sent)  # the key was used...
    assert result.exit_code == 2  # rejected credentials are a configuration error
    assert secret not in result.stdout + result.stderr  # ...but never shown
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert secret.encode() not in path.read_bytes(), path
    for name in os.listdir(tmp_path):
        path = tmp_path / name
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_rejected_credentials_stop_the_run_from_sending_more(tmp_path: Path) -> None:
    ids = good_articles(tmp_path / "in", 20)
    with FakeOpenAI() as server:
        server.enqueue(*[HttpError(401, "Incorrect API key provided") for _ in range(20)])
        result = invoke(
            "in", "-o", "out.jsonl", "--backend", "openai", "--base-url", server.base_url,
            "--concurrency", "2", "--no-cache",
        )  # fmt: skip
        sent = len(server.requests)

    assert result.exit_code == 2
    lines = lines_of(tmp_path / "out.jsonl")
    assert [line["article"] for line in lines] == sorted(ids)  # one line per article
    assert {line["error"]["type"] for line in lines} == {"config_error"}
    assert sent <= 4  # the articles already under way; without the stop it would be 20
    assert "check the API key" in lines[-1]["error"]["message"]
    assert "stopped sending after a configuration error" in result.stderr
