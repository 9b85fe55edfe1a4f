from __future__ import annotations

from typing import Any

from extractor.schema import EventDraft, EventRecord, llm_json_schema

# Keywords OpenAI strict structured outputs accept (everything else is rejected or ignored).
ALLOWED = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "anyOf",
    "description", "$defs", "$ref", "const",
}


def _walk_objects(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    found += _walk_objects(sub, f"{path}.{name}")
            elif isinstance(value, dict | list):
                found += _walk_objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _walk_objects(value, f"{path}[{i}]")
    return found


def test_llm_schema_is_valid_for_openai_strict_mode() -> None:
    schema = llm_json_schema()
    for path, node in _walk_objects(schema):
        unknown = set(node) - ALLOWED
        assert not unknown, f"{path} uses keywords strict mode rejects: {unknown}"
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path
            assert sorted(node["required"]) == sorted(node["properties"]), path


def test_optional_draft_fields_are_nullable_not_missing() -> None:
    schema = llm_json_schema()
    date = schema["properties"]["date"]
    assert {"type": "null"} in date["anyOf"]
    assert "date" in schema["required"]


def test_record_requires_evidence_on_every_list_item() -> None:
    schema = EventRecord.model_json_schema()
    for name in ("Party", "TreatyTerm", "Allegation", "Denial"):
        assert "evidence" in schema["$defs"][name]["required"], name


def test_draft_rejects_unknown_fields() -> None:
    payload = {
        "title": "t", "summary": "s", "event_type": "talks", "date": None, "location": None,
        "parties": [], "treaty_terms": [], "allegations": [], "denials": [], "extra": 1,
    }
    try:
        EventDraft.model_validate(payload)
    except ValueError as exc:
        assert "extra" in str(exc)
    else:
        raise AssertionError("an unknown field was accepted")
