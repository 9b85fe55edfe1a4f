"""The Batch API's two line formats, defined once: a request line (what ``extract batch submit``
writes) and an output line (what a provider, or vLLM's ``run-batch``, writes back).

A request line is ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``,
its body exactly what a live run sends (`OpenAIBackend.request_body`). The `custom_id` is a hash
of the body, so of the article, the prompt, the model and the parameters: the same request
always has the same id, a re-ask (a body carrying the earlier answer) has its own, and the
answers join back to their requests by it, whatever order they come in.

An output line is ``{"custom_id", "response": {"status_code", "body"}, "error"}``; vLLM's older
releases put the completion itself in ``response``; both are read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

CHAT_COMPLETIONS = "/v1/chat/completions"
#: OpenAI's limits per batch input file.
MAX_REQUESTS_PER_FILE = 50_000
MAX_FILE_BYTES = 200 * 1000 * 1000
#: Error codes a provider gives to requests its batch never ran (expired, cancelled): not the
#: request's fault, so they are resubmitted (or left as typed errors) as the user chooses.
UNFINISHED_CODES = frozenset({"batch_expired", "batch_cancelled", "batch_failed"})


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _id_of(canonical: str) -> str:
    return "ex-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def custom_id(body: dict[str, Any]) -> str:
    """The request's id: a hash of its body (article, prompt, model, parameters)."""
    return _id_of(_canonical(body))


class RequestLine(BaseModel):
    """One request of a batch input file."""

    model_config = ConfigDict(extra="forbid")

    custom_id: str
    method: str = "POST"
    url: str = CHAT_COMPLETIONS
    body: dict[str, Any]

    @classmethod
    def of(cls, body: dict[str, Any]) -> RequestLine:
        """The line sending `body`, with its content-hash id."""
        return cls(custom_id=custom_id(body), body=body)

    def dumps(self) -> str:
        """The line as written: compact JSON, no newline."""
        return request_line(self.body, self.custom_id)[1]


def request_line(body: dict[str, Any], request_id: str | None = None) -> tuple[str, str]:
    """(custom_id, the line as written) for `body`, encoding the body once (a body carries the
    whole schema and article, and a run has millions of them)."""
    canonical = _canonical(body)
    ident = request_id or _id_of(canonical)
    head = json.dumps({"custom_id": ident, "method": "POST", "url": CHAT_COMPLETIONS})
    return ident, f'{head[:-1]}, "body": {canonical}}}'


class OutputLineError(ValueError):
    """A line of an output or error file that is not a Batch API output line."""


@dataclass(frozen=True)
class Answer:
    """What a batch gave one request: a chat completion (as JSON), or an error."""

    custom_id: str
    completion: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None

    @property
    def unfinished(self) -> bool:
        """The batch never ran the request (expired, cancelled): no fault of the request's."""
        return self.completion is None and self.code in UNFINISHED_CODES

    @classmethod
    def parse(cls, raw: str | bytes) -> Answer:
        """Read one output or error line; raises `OutputLineError`."""
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise OutputLineError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("custom_id"), str):
            raise OutputLineError("no custom_id")
        request = data["custom_id"]
        response = data.get("response")
        error = data.get("error")
        if isinstance(response, dict):
            if "choices" in response:  # vLLM before BatchResponseData: the completion itself
                return cls(request, completion=response)
            status = response.get("status_code")
            body = response.get("body")
            if status == 200 and isinstance(body, dict) and "choices" in body:
                return cls(request, completion=body)
            if isinstance(status, int) and isinstance(body, dict):
                found = body.get("error")
                detail: dict[str, Any] = found if isinstance(found, dict) else {}
                code = str(detail.get("code") or detail.get("type") or f"http_{status}")
                message = str(detail.get("message") or f"HTTP {status}")
                return cls(request, code=code, message=f"HTTP {status}: {message}")
        if isinstance(error, dict):
            code = str(error.get("code") or "batch_error")
            return cls(request, code=code, message=str(error.get("message") or code))
        raise OutputLineError(f"request {request}: neither a response nor an error")


def shard_lines(
    lines: Iterable[str], *, max_requests: int, max_bytes: int
) -> Iterator[list[bytes]]:
    """The lines grouped into files within the provider's limits (each line ends in a newline);
    a line over `max_bytes` gets a file of its own (the provider says if it is too big)."""
    shard: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode("utf-8") + b"\n"
        if shard and (len(shard) >= max_requests or size + len(data) > max_bytes):
            yield shard
            shard, size = [], 0
        shard.append(data)
        size += len(data)
    if shard:
        yield shard
