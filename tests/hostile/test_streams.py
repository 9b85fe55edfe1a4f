"""Standard streams a hostile shell hands over: closed, non-UTF-8, full, gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.conftest import extract, make_device, result_lines, write_articles

pytestmark = pytest.mark.slow

_NON_LATIN = "Kyiv — “talks” in Київ on day {n}, with Zürich’s envoy."


def test_a_closed_stderr_loses_no_line(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 3)
    ran = extract("run", "in", "--out", "out.jsonl", "--progress", cwd=tmp_path, redirect="2>&-")
    assert ran.code == 0
    assert [line["article"] for line in result_lines(tmp_path / "out.jsonl")] == [
        "a000",
        "a001",
        "a002",
    ]


def test_a_closed_stdin_is_one_error_line_not_a_crash(tmp_path: Path) -> None:
    ran = extract("run", "-", "--out", "out.jsonl", cwd=tmp_path, redirect="<&-")
    assert ran.code == 1, ran.stderr
    (line,) = result_lines(tmp_path / "out.jsonl")
    assert line["article"] == "stdin" and line["error"]["type"] == "input_error"
    assert "internal error" not in ran.stderr and "Traceback" not in ran.stderr


def test_a_latin_1_locale_still_gets_every_line_as_utf_8(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 3, _NON_LATIN)
    ran = extract("run", "in", cwd=tmp_path, env={"PYTHONIOENCODING": "latin-1"})
    assert ran.code == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.decode("utf-8").splitlines()]
    assert [line["article"] for line in lines] == ["a000", "a001", "a002"]
    assert "Київ" in lines[0]["record"]["summary"]


def test_a_latin_1_locale_shows_a_run_without_stopping(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2, _NON_LATIN)
    assert extract("run", "in", "--out", "out.jsonl", cwd=tmp_path).code == 0
    ran = extract("show", "out.jsonl", cwd=tmp_path, env={"PYTHONIOENCODING": "latin-1"})
    assert ran.code == 0, ran.stderr
    assert b"a000: " in ran.stdout and b"a001: " in ran.stdout


def test_a_closed_stdout_is_an_output_error_not_silence(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    ran = extract("run", "in", cwd=tmp_path, redirect=">&-")
    assert ran.code == 74
    assert "standard output is closed" in ran.stderr and "Traceback" not in ran.stderr


@pytest.mark.parametrize("command", [["run", "in"], ["schema"], ["show", "done.jsonl"]])
def test_stdout_on_a_full_device_is_exit_74_with_a_message(
    tmp_path: Path, command: list[str]
) -> None:
    write_articles(tmp_path / "in", 2)
    assert extract("run", "in", "--out", "done.jsonl", cwd=tmp_path).code == 0
    full = make_device(tmp_path / "full", 1, 7)
    ran = extract(*command, cwd=tmp_path, redirect=f"> {full}")
    assert ran.code == 74, ran.stderr
    assert "No space left on device" in ran.stderr
    assert "Traceback" not in ran.stderr and "Exception ignored" not in ran.stderr


def test_version(tmp_path: Path) -> None:
    ran = extract("--version", cwd=tmp_path)
    assert ran.code == 0 and ran.stdout.decode().startswith("extract ")
