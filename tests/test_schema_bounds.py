"""Bounds in the schema sent (`--max-items`, the llamacpp preset) and replies shaped as other
servers shape them. Over real HTTP, through `extract run`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.backends.openai_backend import OpenAIBackend, OpenAIConfig
from extractor.cli import app
from extractor.schema import STRING_LIMIT_OTHER, STRING_LIMITS, bounded_schema, llm_json_schema
from extractor.settings import Settings
from tests.conftest import REPO
from tests.fake_openai import FakeOpenAI, Raw
from tests.schema_answers import instance, schema_in_messages

SEEDS = REPO / "seeds"
TEXT = (
    "Ministers of Estmark and Nordland signed a water-sharing treaty in Geneva on Tuesday. "
    "The treaty commits both sides to split the river's flow equally during dry months."
)


def run(base_url: str, out: Path, *extra: str, paths: tuple[str, ...] = (str(SEEDS),),
        stdin: str | None = None) -> tuple[Result, list[dict[str, Any]]]:
    args = [
        "run", *paths, "--out", str(out), "--backend", "openai", "--model", "m",
        "--base-url", base_url, "--no-cache", "--concurrency", "1", *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": "dummy"}, input=stdin)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return result, lines


def walk(node: Any) -> list[dict[str, Any]]:
    """Every schema object in `node` (itself included)."""
    if isinstance(node, list):
        return [n for v in node for n in walk(v)]
    if not isinstance(node, dict):
        return []
    return [node, *(n for v in node.values() for n in walk(v))]


def without_bounds(node: Any) -> Any:
    if isinstance(node, list):
        return [without_bounds(v) for v in node]
    if not isinstance(node, dict):
        return node
    return {
        key: without_bounds(value)
        for key, value in node.items()
        if not (key in ("maxItems", "maxLength") and isinstance(value, int))
    }


# -------------------------------------------------------------------- the schema


def test_bounds_only_add_max_items_and_max_length_to_the_strict_schema() -> None:
    schema = llm_json_schema()
    bounded = bounded_schema(schema, 3)
    assert without_bounds(bounded) == schema
    nodes = walk(bounded)
    arrays = [n for n in nodes if n.get("type") == "array"]
    strings = [n for n in nodes if n.get("type") == "string" and "enum" not in n]
    assert arrays and all(n["maxItems"] == 3 for n in arrays)
    assert strings and all(isinstance(n.get("maxLength"), int) for n in strings)
    summary = bounded["properties"]["summary"]
    assert summary["maxLength"] == STRING_LIMITS["summary"]
    date_value = bounded["$defs"]["DateDraft"]["properties"]["value"]["anyOf"][0]
    assert date_value == {"type": "string", "maxLength": len("2024-06-19")}
    party_name = bounded["$defs"]["PartyDraft"]["properties"]["name"]
    assert party_name["maxLength"] == STRING_LIMIT_OTHER
    # Enums keep their values and get no length.
    party_type = bounded["$defs"]["PartyDraft"]["properties"]["type"]
    assert "maxLength" not in party_type
    assert llm_json_schema(3) == bounded


def test_without_a_bound_the_schema_sent_has_none() -> None:
    # OpenAI's strict mode has rejected both keywords.
    assert "maxItems" not in json.dumps(llm_json_schema())
    assert "maxLength" not in json.dumps(llm_json_schema())


def test_the_llamacpp_preset_sends_bounds_in_the_response_format_and_the_prompt(
    tmp_path: Path,
) -> None:
    with FakeOpenAI() as server:
        result, lines = run(
            server.base_url, tmp_path / "o.jsonl", "--preset", "llamacpp",
            paths=(str(SEEDS / "004_38a9ce940ae1c323.txt"),),
        )  # fmt: skip
        body = server.requests[0].body
    assert result.exit_code == 0, result.output
    sent = body["response_format"]["schema"]
    assert sent == llm_json_schema(8)
    assert schema_in_messages(body["messages"]) == sent
    assert "record" in lines[0]


@pytest.mark.parametrize("mode", ["json_schema", "json_object_schema", "json_object"])
def test_answers_that_follow_the_bound_from_the_request_still_make_records(
    tmp_path: Path, mode: str
) -> None:
    with FakeOpenAI() as server:
        result, lines = run(
            server.base_url, tmp_path / "o.jsonl", "--max-items", "1", "--output-mode", mode
        )
        schemas = [
            body["response_format"].get("schema")
            or body["response_format"].get("json_schema", {}).get("schema")
            or schema_in_messages(body["messages"])
            for body in (request.body for request in server.requests)
        ]
    assert result.exit_code == 0, result.output
    assert all(schema == llm_json_schema(1) for schema in schemas)
    records = [line["record"] for line in lines]
    assert len(records) == 5
    for record in records:
        assert all(
            len(record[name]) <= 1 for name in ("treaty_terms", "allegations", "denials")
        )
        assert all(len(party["aliases"]) <= 2 for party in record["parties"])  # + its own name
        assert all(item["verified"] for item in _evidence(record))


def _evidence(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(record) if "quote" in n and "verified" in n]


def test_max_items_settings_fingerprint_and_limits(tmp_path: Path) -> None:
    assert Settings.resolve(environ={"EXTRACT_MAX_ITEMS": "4"}).max_items == 4
    assert Settings.resolve(environ={}, max_items=2).max_items == 2
    preset = Settings.resolve(environ={}, preset="llamacpp")
    assert preset.max_items == 8
    assert Settings.resolve(environ={}, preset="llamacpp", max_items=3).max_items == 3
    assert Settings.resolve(environ={}, preset="ollama").max_items is None
    plain = OpenAIBackend(OpenAIConfig(base_url="http://127.0.0.1:1/v1"))
    bounded = OpenAIBackend(OpenAIConfig(base_url="http://127.0.0.1:1/v1", max_items=8))
    # A run without bounds keeps the fingerprint it had before they existed.
    assert "max_items" not in plain.fingerprint()
    assert bounded.fingerprint()["max_items"] == "8"
    result = CliRunner().invoke(app, ["run", str(SEEDS), "--max-items", "0"])
    assert result.exit_code == 2
    assert "max_items" in result.output


def test_extract_schema_prints_the_bounded_schema() -> None:
    result = CliRunner().invoke(app, ["schema", "--llm", "--max-items", "2"])
    assert result.exit_code == 0
    assert json.loads(result.output) == llm_json_schema(2)
    assert CliRunner().invoke(app, ["schema", "--max-items", "2"]).exit_code == 2


# ------------------------------------------------------------- replies of other shapes


def _envelope(content: str, **extra: Any) -> bytes:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": content},
        "finish_reason": "stop",
    }
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    return json.dumps({"choices": [choice], "usage": usage, **extra}).encode()


def test_a_reply_without_id_object_or_created_still_gives_a_record(tmp_path: Path) -> None:
    answer = json.dumps(instance(llm_json_schema(), TEXT))
    with FakeOpenAI() as server:
        server.enqueue(Raw(_envelope(answer, model="local")))
        stdin = json.dumps({"id": "a1", "text": TEXT}) + "\n"
        result, lines = run(server.base_url, tmp_path / "o.jsonl", paths=("-",), stdin=stdin)
    assert result.exit_code == 0, result.output
    record = lines[0]["record"]
    assert record["provenance"]["model"] == "local"
    assert record["provenance"]["usage"]["input_tokens"] == 10


def test_a_reply_that_is_not_json_is_a_typed_error_line(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        server.enqueue(Raw(b"<html>Service Unavailable</html>", content_type="text/html"))
        stdin = json.dumps({"id": "a1", "text": TEXT}) + "\n"
        result, lines = run(server.base_url, tmp_path / "o.jsonl", paths=("-",), stdin=stdin)
    assert result.exit_code == 1, result.output
    error = lines[0]["error"]
    assert error["type"] == "backend_error"
    assert "not a chat completion" in error["message"]
    assert "Service Unavailable" in error["message"]
