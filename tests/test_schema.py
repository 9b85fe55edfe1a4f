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


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    resolved: dict[str, Any] = schema["$defs"][ref.rsplit("/", 1)[-1]]
    return resolved


def _object_shapes(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Each object definition's property names, keyed by definition name ('' for the root)."""
    shapes = {"": set(schema["properties"])}
    for name, node in schema.get("$defs", {}).items():
        if node.get("type") == "object":
            shapes[name] = set(node["properties"])
    return shapes


def test_llm_schema_and_draft_model_describe_the_same_object() -> None:
    sent = llm_json_schema()
    model = EventDraft.model_json_schema()
    assert _object_shapes(sent) == _object_shapes(model)
    for name, node in [("", sent), *sent["$defs"].items()]:
        if node.get("type") == "object":
            assert set(node["required"]) == set(node["properties"]), name
    # Both ways: every field the draft requires is sent, and nothing sent is refused.
    assert set(model["required"]) <= set(sent["required"])
    assert "title" in sent["properties"] and "title" in sent["required"]


def test_property_named_like_a_keyword_survives_strictify() -> None:
    from extractor.schema import _strictify

    node = {
        "type": "object",
        "title": "Thing",
        "properties": {
            "title": {"type": "string", "title": "Title"},
            "format": {"type": "string", "default": "x"},
            "examples": {"type": "array", "items": {"type": "string", "maxLength": 3}},
        },
    }
    out = _strictify(node)
    assert set(out["properties"]) == {"title", "format", "examples"}
    assert out["required"] == ["title", "format", "examples"]
    assert "title" not in out and "title" not in out["properties"]["title"]
    assert "default" not in out["properties"]["format"]
    assert out["properties"]["examples"]["items"] == {"type": "string"}
