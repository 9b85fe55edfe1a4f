"""A small OpenAI-compatible chat-completions server for tests and benchmarks.

Tests enqueue scripted replies and faults and point the real SDK at `server.base_url`; the
server records every request it received. With an empty queue it answers the way a
grammar-constrained model does: with an instance of the JSON Schema the request carries
(`tests/schema_answers.py`), quoting the article in the request, optionally after a latency and
with random faults (seeded), which is what a benchmark needs::

    python -m tests.fake_openai --port 8765 --latency 0.2 --fault-rate 0.1 --seed 1

`accepts` limits the response formats it takes, like a real server's: a request in another one
gets `rejection` (llama-cpp-python's server answers `json_schema` with HTTP 500, for example).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.schema_answers import answer_from_request

MODEL = "fake-model-1"
#: The response formats a request can ask for, as `response_format_kind` names them.
RESPONSE_FORMATS = ("text", "json_object", "json_object+schema", "json_schema")


# ------------------------------------------------------------------ scripted replies


@dataclass(frozen=True)
class Reply:
    """A 200 answer. `content` is sent as is (str) or JSON-encoded (anything else)."""

    content: Any = None
    finish_reason: str = "stop"
    refusal: str | None = None
    #: None: estimated at four characters a token, like a benchmark would see.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class HttpError:
    """An error status with an OpenAI-style error body."""

    status: int
    message: str = "scripted error"
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending a response."""


@dataclass(frozen=True)
class Default:
    """Answer with an instance of the request's schema (what an empty queue does)."""


@dataclass(frozen=True)
class Raw:
    """A 200 whose body is exactly `body` (a reply shaped as some other server shapes it)."""

    body: bytes
    content_type: str = "application/json"


Script = Reply | HttpError | Drop | Default | Raw


def valid_reply(draft: dict[str, Any], **kwargs: Any) -> Reply:
    """A 200 answer carrying `draft` as JSON."""
    return Reply(content=draft, **kwargs)


def rate_limited(retry_after: str = "1") -> HttpError:
    """HTTP 429 with a `Retry-After` header."""
    return HttpError(429, "Rate limit reached", "rate_limit_exceeded", {"Retry-After": retry_after})


def server_error() -> HttpError:
    """HTTP 500."""
    return HttpError(500, "The server had an error while processing your request")


def slow(seconds: float) -> Reply:
    """A valid default answer that starts only after `seconds` (to trip a client timeout)."""
    return Reply(content=None, delay=seconds)


def truncated() -> Reply:
    """`finish_reason: length` with a half-written JSON object."""
    return Reply(content='{"title": "Half an ans', finish_reason="length")


def refusal(text: str = "I can't help with that.") -> Reply:
    """A refusal in `message.refusal`."""
    return Reply(content=None, refusal=text)


# ------------------------------------------------------------ response formats


def response_format_kind(body: dict[str, Any]) -> str:
    """Which of `RESPONSE_FORMATS` a request asks for."""
    response_format = body.get("response_format") or {}
    kind = str(response_format.get("type") or "text")
    if kind == "json_object" and "schema" in response_format:
        return "json_object+schema"
    return kind


def llama_cpp_python_rejection() -> HttpError:
    """What llama-cpp-python's server answers to `response_format: json_schema`."""
    return HttpError(
        500,
        "1 validation error for Request\nbody -> response_format -> type\n"
        "  Input should be 'text' or 'json_object' (type=literal_error)",
    )


def unsupported_format() -> HttpError:
    """A 400 naming the response format, as most servers send for one they do not know."""
    return HttpError(400, "response_format type is not supported by this server", "invalid_value")


# ------------------------------------------------------------------------ server


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (header names lower-cased)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 with a queue of scripted replies and faults."""

    def __init__(
        self,
        port: int = 0,
        *,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        seed: int | None = None,
        accepts: tuple[str, ...] = RESPONSE_FORMATS,
        rejection: HttpError | None = None,
    ) -> None:
        self.latency = latency
        self.fault_rate = fault_rate
        #: Response formats answered; any other gets `rejection`, before any script is used.
        self.accepts = accepts
        self.rejection = rejection or unsupported_format()
        self.requests: list[RecordedRequest] = []
        #: Chat requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.max_in_flight = 0
        self._queue: deque[Script] = deque()
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *scripts: Script) -> None:
        """Answer the next requests with these, in order."""
        with self._lock:
            self._queue.extend(scripts)

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a scripted delay
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the standalone mode)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    # -- request handling, called from handler threads

    def _next_script(self) -> Script:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.fault_rate and self._random.random() < self.fault_rate:
                faults: list[Script] = [server_error(), rate_limited("0"), Drop()]
                return self._random.choice(faults)
        return Default()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True if it is still running."""
        return not self._stopping.wait(seconds) if seconds > 0 else True


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: a burst of new connections (a client starting 32
    # workers, or reconnecting after dropped connections) overflows it, and the kernel's SYN
    # retry then stalls those connections for a second, which no real server would cause.
    request_queue_size = 1024


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    content = reply.content
    if content is None and reply.refusal is None:
        content = answer_from_request(body)
    if content is not None and not isinstance(content, str):
        content = json.dumps(content)
    prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    prompt_tokens = reply.prompt_tokens
    if prompt_tokens is None:
        prompt_tokens = prompt_chars // 4
    completion_tokens = reply.completion_tokens
    if completion_tokens is None:
        completion_tokens = len(content or reply.refusal or "") // 4
    return {
        "id": f"chatcmpl-{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or MODEL),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": reply.refusal},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm on, the client's delayed
        # ACK holds the body back about 40 ms, which would be counted as our pipeline's overhead.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr lines."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            headers = {name.lower(): value for name, value in self.headers.items()}
            server._record(RecordedRequest(self.path, headers, body))
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}", "code": None}})
                return
            with server._answering():
                if response_format_kind(body) not in server.accepts:
                    self._answer(body, server.rejection)
                    return
                self._answer(body, server._next_script())

        def _answer(self, body: dict[str, Any], script: Script) -> None:
            delay = server.latency + (script.delay if isinstance(script, Reply) else 0.0)
            if not server._sleep(delay):
                return
            if isinstance(script, Drop):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(script, HttpError):
                error = {"message": script.message, "type": "error", "code": script.code}
                self._send(script.status, {"error": error}, script.headers)
                return
            if isinstance(script, Raw):
                self._send_bytes(200, script.body, {"Content-Type": script.content_type})
                return
            reply = script if isinstance(script, Reply) else Reply()
            self._send(200, _completion(body, reply))

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
                  ) -> None:
            data = json.dumps(payload).encode("utf-8")
            self._send_bytes(status, data, {"Content-Type": "application/json", **(headers or {})})

        def _send_bytes(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left; nothing to tell it

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Run the fake server standalone until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each reply")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of 500/429/drops")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    server = FakeOpenAI(args.port, latency=args.latency, fault_rate=args.fault_rate, seed=args.seed)
    print(f"fake OpenAI server on {server.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
