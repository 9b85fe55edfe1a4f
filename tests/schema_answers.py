"""Answers generated from the JSON Schema a request carries, as a constrained decoder would.

A grammar-constrained server (OpenAI strict structured outputs, llama.cpp, vLLM) can only emit
an instance of the schema it was sent: nothing more, nothing less, whatever the client's own
model classes say. This module does the same with nothing but the request: it finds the schema
(``response_format.json_schema.schema``, ``response_format.schema``, or, in plain
``json_object`` mode, the JSON Schema written into a message), walks it (``$ref``/``$defs``,
``anyOf``/``oneOf``/``allOf``, ``enum``/``const``, type lists, arrays with their bounds, objects
with ``required``) and fills every string with a verbatim span of the fenced article, so that
grounding can verify every quote. It imports nothing from `extractor`, on purpose: a schema the
client gets wrong must give answers the client refuses, as a real server's would.

Answers are deterministic: the choices are drawn from a generator seeded with the article text,
so the same article gets the same answer on a re-ask, a retry or a resumed run.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

_FENCE = re.compile(r'<article key="([0-9a-f]+)">\n(.*)\n</article key="\1">', re.DOTALL)
_SENTENCE = re.compile(r"[^.!?\n]{20,}?[.!?]")
_CLAUSE = re.compile(r"[^.,;:!?\n]{12,}")
_NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]+)*\b")
#: Bounds on generated arrays when the schema sets none.
_MIN_ITEMS, _MAX_ITEMS = 1, 2
#: Deepest nesting followed; a recursive schema ends in its shortest instance there.
_MAX_DEPTH = 12


class SchemaError(ValueError):
    """The schema uses something this generator (and so a simple grammar) cannot follow."""


def article_text(body: dict[str, Any]) -> str:
    """The fenced article text of the latest user message that has one (a re-ask has none);
    else the whole last user message."""
    users = [str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user"]
    for content in reversed(users):
        match = _FENCE.search(content)
        if match:
            return match.group(2)
    return users[-1] if users else ""


def request_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON Schema the answer must follow, read from the request as a server would.

    ``json_schema`` mode: ``response_format.json_schema.schema``. ``json_object`` mode: its
    ``schema`` key when present (llama.cpp's servers), else the schema written into a message
    (the model then follows it from the prompt). None when the request carries none."""
    response_format = body.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None
    if kind == "json_object" and isinstance(response_format.get("schema"), dict):
        schema: dict[str, Any] = response_format["schema"]
        return schema
    return schema_in_messages(body.get("messages", []))


def schema_in_messages(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first JSON object in the messages (system first) that looks like a JSON Schema."""
    decoder = json.JSONDecoder()
    for message in messages:
        content = str(message.get("content", ""))
        for match in re.finditer(r"\{", content):
            try:
                value, _end = decoder.raw_decode(content, match.start())
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and _looks_like_schema(value):
                return value
    return None


def _looks_like_schema(value: dict[str, Any]) -> bool:
    return value.get("type") == "object" and isinstance(value.get("properties"), dict)


def answer_from_request(body: dict[str, Any]) -> Any:
    """An instance of the request's schema quoting its article; ``{}`` without a schema."""
    schema = request_schema(body)
    text = article_text(body)
    if schema is None:
        return {}
    return instance(schema, text)


def instance(schema: dict[str, Any], text: str) -> Any:
    """A deterministic instance of `schema` whose strings are verbatim spans of `text`."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    return _Walker(schema, _Spans(text), random.Random(seed)).value(schema, 0)


class _Spans:
    """Verbatim pieces of the article to fill strings with: sentences, clauses and names."""

    def __init__(self, text: str) -> None:
        pieces = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
        pieces += [m.group(0).strip() for m in _CLAUSE.finditer(text)]
        pieces += _NAME.findall(text)
        fallback = text.strip()[:200]
        self.pieces = [p for p in dict.fromkeys(pieces) if p] or ([fallback] if fallback else [])

    def pick(self, rng: random.Random, min_length: int, max_length: int | None) -> str:
        fitting = [
            p
            for p in self.pieces
            if len(p) >= min_length and (max_length is None or len(p) <= max_length)
        ]
        if fitting:
            return rng.choice(fitting)
        # Nothing in the article fits the bounds: a decoder still has to emit something.
        base = rng.choice(self.pieces) if self.pieces else "x"
        if max_length is not None:
            base = base[:max_length]
        return base + "x" * max(0, min_length - len(base))


class _Walker:
    def __init__(self, root: dict[str, Any], spans: _Spans, rng: random.Random) -> None:
        self.root = root
        self.spans = spans
        self.rng = rng

    def value(self, node: Any, depth: int) -> Any:
        if node is True or node == {}:
            return self.spans.pick(self.rng, 0, None)
        if not isinstance(node, dict):
            raise SchemaError(f"not a schema: {node!r}")
        if "$ref" in node:
            return self.value(self._resolve(node["$ref"]), depth + 1)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return self.rng.choice(list(node["enum"]))
        if "allOf" in node:
            merged = _merge(node, [self._deref(part) for part in node["allOf"]])
            return self.value(merged, depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in node:
                return self.value(self._branch(node[key], depth), depth + 1)
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0] if depth >= _MAX_DEPTH else self.rng.choice(kinds)
        if kind is None:
            kind = "object" if "properties" in node else "array" if "items" in node else "string"
        maker = getattr(self, f"_{kind}", None)
        if maker is None:
            raise SchemaError(f"unknown type {kind!r}")
        return maker(node, depth)

    # -- structure

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"only local $refs are followed, not {ref!r}")
        node: Any = self.root
        for part in ref.lstrip("#").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SchemaError(f"$ref {ref!r} points nowhere")
            node = node[part]
        return node

    def _deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self._resolve(node["$ref"])
        return node

    def _branch(self, branches: list[Any], depth: int) -> Any:
        """A branch of anyOf/oneOf: mostly the non-null one, so records have content."""
        non_null = [b for b in branches if self._deref(b) != {"type": "null"}]
        nulls = [b for b in branches if b not in non_null]
        if not non_null or (nulls and (depth >= _MAX_DEPTH or self.rng.random() < 0.2)):
            return nulls[0] if nulls else branches[0]
        return self.rng.choice(non_null)

    def _object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = node.get("properties") or {}
        required = set(node.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            # Optional properties are left out: a decoder may, and a strict client must cope.
            if name in required:
                out[name] = self.value(sub, depth + 1)
        missing = required - set(properties)
        if missing:
            raise SchemaError(f"required but not described: {sorted(missing)}")
        return out

    def _array(self, node: dict[str, Any], depth: int) -> list[Any]:
        low = int(node.get("minItems", 0 if depth >= _MAX_DEPTH else _MIN_ITEMS))
        high = int(node.get("maxItems", max(low, _MAX_ITEMS)))
        count = low if depth >= _MAX_DEPTH else self.rng.randint(low, max(low, high))
        items = node.get("items", {})
        return [self.value(items, depth + 1) for _ in range(count)]

    # -- scalars

    def _string(self, node: dict[str, Any], depth: int) -> str:
        return self.spans.pick(self.rng, int(node.get("minLength", 1)), node.get("maxLength"))

    def _integer(self, node: dict[str, Any], depth: int) -> int:
        low = int(node.get("minimum", 0))
        high = int(node.get("maximum", low + 2))
        return self.rng.randint(low, max(low, high))

    def _number(self, node: dict[str, Any], depth: int) -> float:
        low = float(node.get("minimum", 0.0))
        high = float(node.get("maximum", low + 1.0))
        return round(self.rng.uniform(low, high), 3)

    def _boolean(self, node: dict[str, Any], depth: int) -> bool:
        return self.rng.random() < 0.5

    def _null(self, node: dict[str, Any], depth: int) -> None:
        return None


def _merge(node: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged
