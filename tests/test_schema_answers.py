"""The LLM path against a server that answers from the schema in the request, as real servers do.

`tests/schema_answers.py` builds each answer from the JSON Schema the request carries (never
from `EventDraft`), so a schema the client sends wrong gives answers the client refuses, as
OpenAI's strict mode and llama.cpp's grammars did before the `title` fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.fault_server import FaultMixServer
from extractor import prompts
from extractor.cli import app
from extractor.schema import EventDraft, llm_json_schema
from tests.conftest import REPO
from tests.fake_openai import FakeOpenAI
from tests.schema_answers import (
    SchemaError,
    answer_from_request,
    instance,
    request_schema,
    schema_in_messages,
)

SEEDS = REPO / "seeds"
MODES = ("json_schema", "json_object_schema", "json_object")
TEXT = (
    "Freedonia and Sylvania signed a ports agreement in Lisbon on Monday. "
    "The deal opens three harbours to each other's ships, officials said."
)


def run_seeds(
    server: FakeOpenAI, tmp_path: Path, mode: str, *extra: str
) -> tuple[int, list[dict[str, Any]]]:
    out = tmp_path / f"{mode}.jsonl"
    args = [
        "run", str(SEEDS), "--out", str(out), "--backend", "openai", "--model", "m",
        "--base-url", server.base_url, "--output-mode", mode, "--no-cache", *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": "dummy"})
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return result.exit_code, lines


def assert_grounded_records(lines: list[dict[str, Any]]) -> None:
    assert len(lines) == 5
    assert [line.get("error") for line in lines] == [None] * 5
    for line in lines:
        evidence = [
            item["evidence"]
            for key in ("parties", "treaty_terms", "allegations", "denials")
            for item in line["record"][key]
        ]
        assert evidence, "a schema-generated answer fills the arrays"
        assert all(item["verified"] for item in evidence)


@pytest.mark.parametrize("mode", MODES)
def test_seeds_give_five_grounded_records_in_every_output_mode(
    tmp_path: Path, mode: str
) -> None:
    with FakeOpenAI() as server:
        code, lines = run_seeds(server, tmp_path, mode)
        formats = {json.dumps(request.body["response_format"]) for request in server.requests}
    assert code == 0
    assert_grounded_records(lines)
    assert len(formats) == 1 and mode.startswith(json.loads(formats.pop())["type"])


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_seeds_give_five_records_under_the_whole_fault_mix(tmp_path: Path, mode: str) -> None:
    # 500s, 429s, dropped connections, timeouts and invalid JSON, 40% of all replies.
    # Seed 14 draws all five kinds within the first eight requests.
    server = FaultMixServer(fault_rate=0.4, seed=14, hang=0.6)
    budgets = ("--timeout", "0.3", "--max-retries", "8", "--max-reasks", "4")
    with server:
        code, lines = run_seeds(server, tmp_path, mode, *budgets)
        served = server.stats()["served"]
    assert code == 0
    assert_grounded_records(lines)
    assert isinstance(served, dict)
    assert {"http_500", "drop", "timeout", "invalid_json"} <= set(served)


def _without_title(schema: Any) -> Any:
    """The schema the bug sent: the property `title` dropped wherever it was a property."""
    if isinstance(schema, list):
        return [_without_title(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _without_title(value) for key, value in schema.items()}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: v for k, v in out["properties"].items() if k != "title"}
        out["required"] = [name for name in out.get("required", []) if name != "title"]
    return out


@pytest.mark.parametrize("mode", MODES)
def test_a_schema_sent_without_title_fails_every_article(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test that would have caught the `_strictify` bug: same server, broken schema."""
    broken = prompts._OutputType(EventDraft, lambda: _without_title(llm_json_schema()))
    monkeypatch.setitem(prompts._OUTPUT_TYPES, "EventDraft", broken)
    with FakeOpenAI() as server:
        code, lines = run_seeds(server, tmp_path, mode, "--max-reasks", "1")
    assert code == 1
    assert [line["error"]["type"] for line in lines] == ["output_invalid"] * 5
    assert all("title: Field required" in line["error"]["message"] for line in lines)


# ------------------------------------------------------------- the generator itself


def test_instance_follows_refs_enums_nulls_arrays_and_required() -> None:
    schema = {
        "$defs": {
            "Item": {
                "type": "object",
                "properties": {
                    "kind": {"enum": ["a", "b"]},
                    "quote": {"type": "string"},
                    "note": {"type": "string"},
                },
                "required": ["kind", "quote"],
                "additionalProperties": False,
            }
        },
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 3},
            "maybe": {"anyOf": [{"type": "integer", "minimum": 5}, {"type": "null"}]},
            "fixed": {"const": 7},
        },
        "required": ["items", "maybe", "fixed"],
    }
    for text in (TEXT, TEXT.upper(), "Short one. " * 3):
        value = instance(schema, text)
        assert set(value) == {"items", "maybe", "fixed"}
        assert value["fixed"] == 7
        assert value["maybe"] is None or value["maybe"] >= 5
        assert len(value["items"]) >= 3
        for item in value["items"]:
            assert set(item) == {"kind", "quote"}  # optional `note` left out
            assert item["kind"] in {"a", "b"}
            assert item["quote"] in text


def test_answers_are_verbatim_deterministic_and_valid_for_the_sent_schema() -> None:
    first = instance(llm_json_schema(), TEXT)
    assert first == instance(llm_json_schema(), TEXT)
    draft = EventDraft.model_validate(first)
    for party in draft.parties:
        assert party.evidence in TEXT


def test_an_unfollowable_schema_is_an_error() -> None:
    with pytest.raises(SchemaError, match="points nowhere"):
        instance({"$ref": "#/$defs/Missing"}, TEXT)
    with pytest.raises(SchemaError, match="required but not described"):
        instance({"type": "object", "properties": {}, "required": ["title"]}, TEXT)


def test_the_schema_is_read_where_each_mode_puts_it() -> None:
    schema = llm_json_schema()
    messages = [
        {"role": "system", "content": f"JSON {{not this}} valid against {json.dumps(schema)}"},
        {"role": "user", "content": "text"},
    ]
    strict = {"json_schema": {"name": "x", "strict": True, "schema": {"type": "object",
              "properties": {"a": {"type": "string"}}, "required": ["a"]}}, "type": "json_schema"}
    assert request_schema({"messages": messages, "response_format": strict}) == strict[
        "json_schema"
    ]["schema"]
    assert request_schema({"messages": messages, "response_format": {"type": "json_object"}}) == (
        schema
    )
    given = {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}
    with_schema = {"type": "json_object", "schema": given}
    assert request_schema({"messages": messages, "response_format": with_schema}) == given
    assert schema_in_messages([{"role": "user", "content": "no schema {here}"}]) is None
    assert answer_from_request({"messages": []}) == {}
