"""`ResultLine`: every line `extract run` writes validates against `extract schema --line`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.errors import OutputInvalid
from extractor.lines import LineError, ResultLine
from extractor.schema import Usage
from tests.conftest import SEEDS
from tests.fakes import FakeBackend

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the answer cache goes to ./.extract-cache


def line_schema() -> dict[str, Any]:
    result = runner.invoke(app, ["schema", "--line"])
    assert result.exit_code == 0, result.output
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def validate_file(path: Path) -> list[dict[str, Any]]:
    """Every line of `path`, each checked against the printed schema and parsed by ResultLine."""
    validator = jsonschema.Draft202012Validator(line_schema())
    rows = []
    for raw in path.read_text(encoding="utf-8").split("\n")[:-1]:
        row = json.loads(raw)
        errors = [e.message for e in validator.iter_errors(row)]
        assert errors == [], (raw[:200], errors)
        assert ResultLine.parse(raw).dumps() == raw  # parse and dumps are inverses
        rows.append(row)
    return rows


def test_offline_seed_run_and_bad_input_lines_validate(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "feed.jsonl").write_text(
        '{"id": "001_5817099b9fb04820", "text": "A duplicate id."}\n{broken\n', encoding="utf-8"
    )
    out = tmp_path / "run.jsonl"
    result = runner.invoke(app, ["run", str(folder), str(tmp_path / "missing.txt"), "-o", str(out)])
    assert result.exit_code == 1, result.output
    rows = validate_file(out)
    kinds = [row.get("error", {}).get("type", "record") for row in rows]
    assert kinds.count("record") == len(list(SEEDS.glob("*.txt")))
    assert {"input_error", "duplicate_id"} <= set(kinds)


def test_error_line_with_spend_validates(tmp_path: Path, fake: FakeBackend) -> None:
    failure = OutputInvalid("answer still invalid after 2 re-asks")
    failure.usage = Usage(input_tokens=10, output_tokens=5, requests=3, reasks=2)
    fake.enqueue(failure, article="a")
    (tmp_path / "a.txt").write_text("Oslo hosted talks on Monday.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Lima hosted talks on Monday.\n", encoding="utf-8")
    out = tmp_path / "run.jsonl"
    paths = [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    result = runner.invoke(app, ["run", *paths, "-o", str(out)])
    assert result.exit_code == 1, result.output
    first, second = validate_file(out)
    assert first["error"]["type"] == "output_invalid"
    assert first["error"]["usage"]["reasks"] == 2
    assert "record" not in first and "error" not in second


@pytest.mark.parametrize(
    "document",
    [
        {"article": "a", "fingerprint": None},
        {"article": "a", "record": None, "error": None, "fingerprint": None},
        {"article": "a", "error": {"type": "x", "message": "m"}, "extra": 1},
        {"article": "", "error": {"type": "x", "message": "m"}},
    ],
)
def test_schema_and_model_reject_the_same_lines(document: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(line_schema())
    assert not validator.is_valid(document)
    with pytest.raises(LineError):
        ResultLine.parse(json.dumps(document))


def test_line_breaks_other_than_newline_are_escaped() -> None:
    line = ResultLine.of_error("a", "input_error", "odd\u2028text\x85here", None)
    text = line.dumps()
    assert text.splitlines() == [text]
    assert ResultLine.parse(text).error == line.error


def test_parse_names_the_reason() -> None:
    with pytest.raises(LineError, match="invalid JSON"):
        ResultLine.parse("{not json")
    with pytest.raises(LineError, match="exactly one of 'record' and 'error'"):
        ResultLine.parse('{"article": "a", "fingerprint": null}')
