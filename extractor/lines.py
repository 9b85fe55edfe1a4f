"""A line of `extract run` output, defined once: `ResultLine`.

Each line is ``{"article": ID, "record": {...}, "fingerprint": F}`` or
``{"article": ID, "error": {"type": T, "message": M, "usage"?: {...}}, "fingerprint": F}``.
F is the sha256 of the article's `input_sha256` (text and metadata) and the backend's
fingerprint (model, prompt, parameters), or null for lines that must be redone on every run
(bad input, configuration errors). Writing (`ResultLine.dumps`), reading (`ResultLine.parse`)
and the JSON Schema (`line_json_schema`, ``extract schema --line``) all go through this module;
nothing else builds or parses a line by hand.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from extractor.schema import ErrorInfo, EventRecord, Evidence, Usage

#: The kind of a line holding a record; an error line's kind is its error type.
RECORD_KIND = "record"

# U+0085, U+2028 and U+2029 are line breaks to some readers (str.splitlines): escaped, so a
# result stays one line for them too. JSON allows the escapes; the parsed value is unchanged.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class LineError(ValueError):
    """Raised by `ResultLine.parse` for text that is not a result line; says why."""


def line_fingerprint(article_sha256: str, backend_fingerprint: dict[str, str]) -> str:
    """F of an output line: changes when the article (text, metadata) or the backend changes."""
    payload = article_sha256 + json.dumps(backend_fingerprint, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _one_of_record_or_error(schema: dict[str, Any]) -> None:
    # The model allows None for the absent one of the two; on the wire it is left out.
    properties = schema["properties"]
    for name in ("record", "error"):
        ref = next(option for option in properties[name]["anyOf"] if "$ref" in option)
        description = properties[name].get("description")
        properties[name] = {**ref, **({"description": description} if description else {})}
    schema["oneOf"] = [
        {"required": ["record"], "not": {"required": ["error"]}},
        {"required": ["error"], "not": {"required": ["record"]}},
    ]


class ResultLine(BaseModel):
    """One article's result: its record, or the typed error it got instead."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_of_record_or_error)

    article: str = Field(min_length=1, description="The article's id.")
    record: EventRecord | None = Field(default=None, description="The extracted event.")
    error: ErrorInfo | None = Field(default=None, description="Why there is no record.")
    fingerprint: str | None = Field(
        default=None,
        description="sha256 of the article (text, metadata) and the backend (model, prompt, "
        "parameters); a resumed run keeps the line while it matches. Null: redone every run."
    )

    @model_validator(mode="after")
    def _record_or_error(self) -> Self:
        if (self.record is None) == (self.error is None):
            raise ValueError("a line holds exactly one of 'record' and 'error'")
        return self

    @classmethod
    def of_record(cls, article: str, record: EventRecord, fingerprint: str | None) -> ResultLine:
        """The line for an article that gave a record."""
        return cls(article=article, record=record, fingerprint=fingerprint)

    @classmethod
    def of_error(
        cls,
        article: str,
        kind: str,
        message: str,
        fingerprint: str | None,
        *,
        usage: Usage | None = None,
    ) -> ResultLine:
        """The line for an article that failed; `usage` is what it spent first, if anything."""
        error = ErrorInfo(type=kind, message=message, usage=usage)
        return cls(article=article, error=error, fingerprint=fingerprint)

    @classmethod
    def parse(cls, raw: str | bytes) -> ResultLine:
        """Validate one line of a run (with or without its newline). Raises `LineError`."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise LineError(_reason(exc)) from None

    def dumps(self) -> str:
        """The line as written: compact JSON on one line, no newline at the end."""
        document: dict[str, Any] = {"article": self.article}
        if self.record is not None:
            document["record"] = self.record.model_dump(mode="json")
        elif self.error is not None:
            document["error"] = self.error.model_dump(mode="json", exclude_none=True)
        document["fingerprint"] = self.fingerprint
        text = json.dumps(document, ensure_ascii=False)
        for char, escape in _LINE_BREAKS.items():
            text = text.replace(char, escape)
        return text

    @property
    def kind(self) -> str:
        """``record``, or the error's type (``input_error``, ``config_error``...)."""
        return RECORD_KIND if self.error is None else self.error.type

    @property
    def usage(self) -> Usage | None:
        """What the article spent: the record's provenance usage, or the error's."""
        if self.record is not None:
            return self.record.provenance.usage if self.record.provenance else None
        return self.error.usage if self.error is not None else None

    def evidence(self) -> list[Evidence]:
        """Every evidence item of the record (none for an error line)."""
        return self.record.evidence_items() if self.record is not None else []

    def unverified(self) -> int:
        """How many evidence items were not found in the article text."""
        return sum(not item.verified for item in self.evidence())

    def mostly_unverified(self) -> bool:
        """The record is flagged ``mostly_unverified`` (most of its evidence is not in the text)."""
        return self.record is not None and "mostly_unverified" in self.record.warnings


def line_json_schema() -> dict[str, Any]:
    """JSON Schema of one output line (what ``extract schema --line`` prints)."""
    return ResultLine.model_json_schema()


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return f"invalid JSON: {first['ctx'].get('error', first['msg'])}"
    loc = [str(part) for part in first["loc"]]
    part = loc.pop(0) if loc and loc[0] in ("record", "error") else "line"
    where = ".".join(loc)
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"invalid {part}: {where + ': ' if where else ''}{first['msg']}{more}"
