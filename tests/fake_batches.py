"""A small OpenAI-compatible Files + Batches API on 127.0.0.1, for tests driving the real SDK.

Uploads (``POST /v1/files``, multipart, purpose ``batch``), file listing and content, batch
creation, retrieval, listing and cancelling, and live chat completions at the same base URL.
A batch moves one status per poll, as a real one moves with time: ``validating ->
in_progress -> finalizing -> completed``. When it finishes, each request line is answered from
its own body the way the chat server answers (`tests.fake_openai`, `tests.schema_answers`): an
instance of the JSON Schema in the request, quoting the request's article. A `BatchScript`,
queued per created batch, scripts the rest: ``failed``, ``expired`` or ``cancelled`` with part
of the output, per-line errors, invalid answers, malformed output lines, or a batch that never
finishes.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_openai import Reply, _completion

#: Where each outcome's batch goes, one status per poll.
_PATHS = {
    "completed": ["validating", "in_progress", "finalizing", "completed"],
    "failed": ["validating", "failed"],
    "expired": ["validating", "in_progress", "expired"],
    "cancelled": ["validating", "in_progress", "cancelling", "cancelled"],
    "never": ["validating", "in_progress"],
}
_TERMINAL = {"completed", "failed", "expired", "cancelled"}


@dataclass(frozen=True)
class BatchScript:
    """How one batch goes. Line numbers count from 0 in the request file."""

    outcome: str = "completed"
    #: Answered with text that is not JSON (the client re-asks).
    invalid: frozenset[int] = frozenset()
    #: Failed with HTTP 500 inside the batch (in the error file).
    line_errors: frozenset[int] = frozenset()
    #: Output lines written cut in half (not JSON).
    malformed: frozenset[int] = frozenset()
    #: For ``expired`` and ``cancelled``: the share of lines answered before the end.
    answered: float = 0.5


@dataclass
class FakeBatch:
    id: str
    input_file_id: str
    metadata: dict[str, str]
    script: BatchScript
    created_at: int
    path: list[str]
    step: int = 0
    cancel_requested: bool = False
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "completed": 0, "failed": 0}
    )

    @property
    def status(self) -> str:
        return self.path[self.step]


class FakeBatchAPI:
    """The server. `files` and `batches` hold what it was sent; `enqueue` scripts batches."""

    def __init__(self, *, latency: float = 0.0) -> None:
        #: Seconds each upload and batch creation takes (for a kill to land between them).
        self.latency = latency
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, FakeBatch] = {}
        #: Every request line of every batch, by batch id (the bodies the client sent).
        self.request_lines: dict[str, list[dict[str, Any]]] = {}
        self.polls = 0
        #: Live chat requests (a provider serves them at the same base URL): body, usage.
        self.chat: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._scripts: deque[BatchScript] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *scripts: BatchScript) -> None:
        """The next created batches go these ways, in order (then: completed, all answered)."""
        with self._lock:
            self._scripts.extend(scripts)

    def start(self) -> FakeBatchAPI:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBatchAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the API, called from handler threads

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def upload(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        with self._lock:
            file_id = self._new_id("file")
            self.files[file_id] = {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": int(time.time()),
                "filename": filename,
                "purpose": purpose,
                "status": "processed",
            }
            self.contents[file_id] = data
            return self.files[file_id]

    def create(self, request: dict[str, Any]) -> FakeBatch | None:
        with self._lock:
            input_id = request.get("input_file_id")
            if input_id not in self.contents:
                return None
            script = self._scripts.popleft() if self._scripts else BatchScript()
            batch = FakeBatch(
                id=self._new_id("batch"),
                input_file_id=str(input_id),
                metadata=dict(request.get("metadata") or {}),
                script=script,
                created_at=int(time.time()),
                path=list(_PATHS[script.outcome]),
            )
            lines = [json.loads(raw) for raw in self.contents[input_id].splitlines() if raw.strip()]
            batch.counts["total"] = len(lines)
            self.batches[batch.id] = batch
            self.request_lines[batch.id] = lines
            return batch

    def poll(self, batch_id: str) -> FakeBatch | None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            self.polls += 1
            if batch.cancel_requested and batch.status not in _TERMINAL:
                batch.path = [*batch.path[: batch.step + 1], "cancelling", "cancelled"]
                batch.cancel_requested = False
            if batch.step + 1 < len(batch.path):
                batch.step += 1
                if batch.status in _TERMINAL:
                    self._finish(batch)
            return batch

    def _finish(self, batch: FakeBatch) -> None:
        script = batch.script
        lines = self.request_lines[batch.id]
        if batch.status == "failed":
            return
        ran = len(lines)
        if batch.status in ("expired", "cancelled"):
            ran = int(len(lines) * script.answered)
        output: list[str] = []
        errors: list[str] = []
        for number, line in enumerate(lines):
            ident = {"id": f"batch_req_{batch.id}_{number}", "custom_id": line["custom_id"]}
            if number >= ran:
                code = "batch_expired" if batch.status == "expired" else "batch_cancelled"
                error = {"code": code, "message": f"not run: the batch is {batch.status}"}
                errors.append(json.dumps({**ident, "response": None, "error": error}))
                continue
            if number in script.line_errors:
                body = {"error": {"message": "The server had an error", "type": "server_error"}}
                response = {"status_code": 500, "request_id": f"req_{number}", "body": body}
                errors.append(json.dumps({**ident, "response": response, "error": None}))
                batch.counts["failed"] += 1
                continue
            reply = Reply(content="not JSON at all") if number in script.invalid else Reply()
            completion = _completion(line["body"], reply)
            response = {"status_code": 200, "request_id": f"req_{number}", "body": completion}
            text = json.dumps({**ident, "response": response, "error": None})
            if number in script.malformed:
                text = text[: len(text) // 2]
            output.append(text)
            batch.counts["completed"] += 1
        if output:
            batch.output_file_id = self._store(batch, "output", output)
        if errors:
            batch.error_file_id = self._store(batch, "error", errors)

    def _store(self, batch: FakeBatch, kind: str, lines: list[str]) -> str:
        data = ("\n".join(lines) + "\n").encode("utf-8")
        file_id = self._new_id("file")
        self.files[file_id] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": f"{batch.id}_{kind}.jsonl",
            "purpose": "batch_output",
            "status": "processed",
        }
        self.contents[file_id] = data
        return file_id

    def batch_object(self, batch: FakeBatch) -> dict[str, Any]:
        errors = None
        if batch.status == "failed":
            errors = {
                "object": "list",
                "data": [{"code": "invalid_request", "message": "scripted failure", "line": None}],
            }
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": errors,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "request_counts": dict(batch.counts),
            "metadata": batch.metadata,
        }


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart body: name -> (filename, bytes)."""
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = (part.get_filename(), payload)
    return fields


def _listing(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "has_more": False,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
    }


def _handler_for(server: FakeBatchAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr lines."""

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            raw = self._body()
            time.sleep(server.latency)
            if path == "/v1/files":
                fields = _multipart(self.headers.get("Content-Type", ""), raw)
                filename, data = fields.get("file", (None, b""))
                purpose = fields.get("purpose", (None, b""))[1].decode()
                self._json(200, server.upload(filename or "upload.jsonl", purpose, data))
                return
            if path == "/v1/chat/completions":
                body = json.loads(raw or b"{}")
                completion = _completion(body, Reply())
                with server._lock:
                    server.chat.append((body, completion["usage"]))
                self._json(200, completion)
                return
            if path == "/v1/batches":
                batch = server.create(json.loads(raw or b"{}"))
                if batch is None:
                    self._error(400, "input_file_id does not name an uploaded file")
                    return
                self._json(200, server.batch_object(batch))
                return
            if path.startswith("/v1/batches/") and path.endswith("/cancel"):
                batch_id = path.split("/")[3]
                with server._lock:
                    batch = server.batches.get(batch_id)
                    if batch is not None:
                        batch.cancel_requested = True
                if batch is None:
                    self._error(404, f"no batch {batch_id}")
                    return
                self._json(200, server.batch_object(batch))
                return
            self._error(404, f"no route {self.path}")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/")
            query = parse_qs(parts.query)
            segments = path.split("/")
            if path == "/v1/files":
                purpose = query.get("purpose", [None])[0]
                with server._lock:
                    items = [f for f in server.files.values() if purpose in (None, f["purpose"])]
                self._json(200, _listing(items))
            elif path == "/v1/batches":
                with server._lock:
                    items = [server.batch_object(b) for b in reversed(server.batches.values())]
                self._json(200, _listing(items))
            elif len(segments) == 4 and segments[2] == "batches":
                batch = server.poll(segments[3])
                if batch is None:
                    self._error(404, f"no batch {segments[3]}")
                else:
                    self._json(200, server.batch_object(batch))
            elif len(segments) == 5 and segments[2] == "files" and segments[4] == "content":
                data = server.contents.get(segments[3])
                if data is None:
                    self._error(404, f"no file {segments[3]}")
                else:
                    self._send(200, data, "application/octet-stream")
            elif len(segments) == 4 and segments[2] == "files":
                item = server.files.get(segments[3])
                if item is None:
                    self._error(404, f"no file {segments[3]}")
                else:
                    self._json(200, item)
            else:
                self._error(404, f"no route {self.path}")

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
