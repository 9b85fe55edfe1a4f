"""The run loop: articles in, exactly one JSON Lines result per article out, in input order.

Each output line is ``{"article": ID, "record": {...}, "fingerprint": F}`` or
``{"article": ID, "error": {"type": T, "message": M, "usage"?: {...}}, "fingerprint": F}``, where F
is the sha256 of the article's `input_sha256` (text and metadata) and the backend fingerprint
(model, prompt, parameters), and usage is what an article that failed at the model spent (the
line is `extractor.lines.ResultLine`). Bad
input (unreadable, empty, duplicate id...) and configuration errors (credentials, model, URL,
spaCy model) have F = null: they are tried again on every run.

Order: lines follow input order (see `extractor.inputs`). A line is written, and flushed, as soon
as it and every line before it are done, so at most `order_window` articles are held: 2 per unit
of concurrency offline, 16 for LLM backends, whose latencies vary far more.

Resume: when the output file exists it is read first. A half-written last line is cut off; a line
is kept when its article id and fingerprint match this run's (so a new model or prompt redoes the
article), unless it is an error and ``retry_errors`` is set. New lines are appended, then, if the
file is not already exactly one line per input article in input order, it is rewritten in that
order through a temporary file and ``os.replace``. A run killed at any moment and started again
with the same arguments therefore ends with the same lines as an uninterrupted run.

Parallelism: ``concurrency`` bounds the requests in flight, through one `RequestGate` that also
holds the requests- and tokens-per-minute buckets. LLM backends get the gate and pass each HTTP
request through it, on a pool of twice as many threads, so an article sleeping between retries or
being grounded leaves its slot to another; a backend passed in by the caller holds a slot for
each whole article instead. The offline backend is CPU-bound, so with `concurrency` > 1 (default:
the cores) and at least `OFFLINE_POOL_MIN_ARTICLES` articles to do it runs in a process pool, each
worker building its backend once; below that it runs in this process. Measured on 2 cores: a
spawned worker costs about 2 s of CPU to start (imports, loading spaCy), an article about 0.2 s,
so two workers pay for themselves above about 20 articles; the threshold leaves room for a busy
machine.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from extractor.articles import Article
from extractor.backends.base import Backend, BackendWrapper, Extraction
from extractor.backends.registry import create_backend
from extractor.cache import AnswerCache, CachedBackend
from extractor.errors import ConfigError, ExtractorError, ModelNotInstalled
from extractor.inputs import ArticleReader, BadInput, Discovery, discover
from extractor.lines import RECORD_KIND, LineError, ResultLine, line_fingerprint
from extractor.pacing import CHARS_PER_TOKEN, GateClosed, RequestGate, Ticket
from extractor.pipeline import extract_record
from extractor.schema import EventRecord, Usage
from extractor.settings import Settings
from extractor.usage import PriceTable, UsageLedger

#: Fewest articles for which the offline backend gets a process pool (see the module docstring).
OFFLINE_POOL_MIN_ARTICLES = 40
#: How far reading may run ahead of the oldest unfinished article, per unit of concurrency. LLM
#: calls vary in latency (a timed-out request takes seconds), so a short window starves the pool
#: behind one slow article; the benchmark measured 0.26 of ideal throughput at 2. Offline work is
#: even.
ORDER_WINDOW_PER_SLOT = {"offline": 2}
LLM_ORDER_WINDOW_PER_SLOT = 16
#: Threads per request slot for backends that make requests: the extra threads run the articles
#: that are between requests (backoff sleeps, grounding), while the others hold the slots.
THREADS_PER_REQUEST_SLOT = 2
#: Rough tokens of prompt, schema and answer around the article text, to pace the TPM bucket
#: before the real count is known; corrected with the real usage after each call.
TOKENS_OVERHEAD_ESTIMATE = 2500
#: Error kinds that say the run's configuration is wrong, not the article.
CONFIG_ERROR_KINDS = frozenset({ConfigError.kind, ModelNotInstalled.kind})


# ---------------------------------------------------------------------- results


@dataclass(frozen=True)
class Outcome:
    """One finished article: its output line and what the summary needs to know about it."""

    article_id: str
    line: str
    kind: str  # "record", or the error type
    unverified: int = 0
    model: str = ""
    usage: Usage | None = None
    cache_hits: int = 0


def error_outcome(
    article_id: str,
    kind: str,
    message: str,
    fingerprint: str | None,
    *,
    usage: Usage | None = None,
    model: str = "",
) -> Outcome:
    """The error line for one article; `usage` is what it cost before it failed, if anything."""
    line = ResultLine.of_error(article_id, kind, message, fingerprint, usage=usage)
    return Outcome(article_id, line.dumps(), kind, model=model, usage=usage)


class _Secrets:
    """Removes secrets (the API key) from any text about to be written."""

    #: Shorter "keys" (a local server's placeholder such as "x") would mangle ordinary text.
    MIN_LENGTH = 8

    def __init__(self, *secrets: str | None) -> None:
        self.secrets = tuple(s for s in secrets if s and len(s) >= self.MIN_LENGTH)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def scrub_values(self, value: Any) -> Any:
        """`scrub` every string inside a JSON-like value, so the document stays valid JSON."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self.scrub_values(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub_values(v) for v in value]
        return value


@dataclass
class _Job:
    """Everything needed to turn one article into an `Outcome`; one per process."""

    backend: Backend
    backend_fingerprint: dict[str, str]
    cache: AnswerCache | None
    prices: PriceTable
    secrets: _Secrets
    #: The first configuration error a backend raised (credentials rejected, model not found,
    #: spaCy model missing). Every later article would fail the same way, so none is sent
    #: (`_UnlessConfigFailed`).
    config_failure: str | None = None

    def run(self, article: Article) -> Outcome:
        """Extract one article; every failure becomes an error outcome, never an exception."""
        fingerprint: str | None = line_fingerprint(article.input_sha256, self.backend_fingerprint)
        backend: Backend = _UnlessConfigFailed(self.backend, self)
        cached: CachedBackend | None = None
        if self.cache is not None:
            cached = CachedBackend(backend, self.cache, self.backend_fingerprint)
            backend = cached
        try:
            record = extract_record(article, backend)
        except ExtractorError as exc:
            message = self.secrets.scrub(str(exc))
            if isinstance(exc, ConfigError):
                # Not the article's fault: no fingerprint, so the next run tries it again.
                self.config_failure = self.config_failure or message
                fingerprint = None
            model = self.backend_fingerprint.get("model", "")
            usage = exc.usage
            if usage is not None:
                usage = usage.model_copy(update={"cost_usd": self.prices.cost(model, usage)})
            return error_outcome(
                article.id, exc.kind, message, fingerprint, usage=usage, model=model
            )
        except Exception as exc:  # one article must never stop the run
            message = self.secrets.scrub(f"{type(exc).__name__}: {exc}")
            return error_outcome(article.id, "internal_error", message, fingerprint)
        hits = cached.hits if cached is not None else 0
        provenance = record.provenance
        if provenance is not None:
            cost = self.prices.cost(provenance.model, provenance.usage)
            provenance.usage = provenance.usage.model_copy(update={"cost_usd": cost})
            provenance.cached = cached is not None and hits > 0 and cached.misses == 0
        if self.secrets.secrets:
            record = EventRecord.model_validate(
                self.secrets.scrub_values(record.model_dump(mode="json"))
            )
        line = ResultLine.of_record(article.id, record, fingerprint)
        return Outcome(
            article.id,
            line.dumps(),
            RECORD_KIND,
            unverified=line.unverified(),
            model=provenance.model if provenance is not None else "",
            usage=provenance.usage if provenance is not None else None,
            cache_hits=hits,
        )


# ---------------------------------------------------------------------- pacing


class GatedBackend(BackendWrapper):
    """Holds a gate slot for each whole `extract` call of a backend that makes no requests of
    its own through a gate (one injected by a caller); usage settles the budgets afterwards."""

    def __init__(self, backend: Backend, gate: RequestGate) -> None:
        super().__init__(backend)
        self.gate = gate

    def extract(self, article: Article) -> Extraction:
        """Wait for budget and a slot, call the backend, then settle with the real usage."""
        estimate = len(article.text) // CHARS_PER_TOKEN + TOKENS_OVERHEAD_ESTIMATE
        with self.gate.request(estimate) as ticket:
            try:
                extraction = self.backend.extract(article)
            except ExtractorError as exc:
                if exc.usage is not None:
                    _settle(ticket, exc.usage)
                raise
            _settle(ticket, extraction.usage)
        return extraction


def _settle(ticket: Ticket, usage: Usage) -> None:
    tokens = usage.input_tokens + usage.output_tokens
    if tokens:  # a backend that counts no tokens leaves the estimate spent
        ticket.tokens = tokens
    ticket.requests = max(usage.requests, 1)


class _UnlessConfigFailed(BackendWrapper):
    """Refuses, unsent, every call after the run's first configuration error. It sits below
    the cache, so articles whose answers are cached still get their records."""

    def __init__(self, backend: Backend, job: _Job) -> None:
        super().__init__(backend)
        self.job = job

    def extract(self, article: Article) -> Extraction:
        """The backend's answer, unless a configuration error came first."""
        failure = self.job.config_failure
        if failure is not None:
            raise ConfigError(f"skipped after a configuration error: {failure}")
        return self.backend.extract(article)


# ---------------------------------------------------------------------- summary


@dataclass
class RunSummary:
    """What a run did. Counts cover every line of the output; tokens and cost, this run's calls."""

    output: str
    backend: str
    articles: int = 0
    records: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    resumed: int = 0
    unverified_evidence: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    retries: int = 0
    reasks: int = 0
    cost_usd: float = 0.0
    unpriced_models: list[str] = field(default_factory=list)
    cache_hits: int = 0
    elapsed_s: float = 0.0
    skipped_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The configuration error that stopped the run from sending more articles, if any.
    config_failure: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every article has a record, 1 when some have error lines, 2 when the backend
        reported a configuration error (the later articles were not sent)."""
        if self.errors.keys() & CONFIG_ERROR_KINDS:
            return 2
        return 1 if self.errors else 0

    def count(self, outcome: Outcome | _OldLine, *, resumed: bool) -> None:
        """Add one output line to the counts."""
        self.articles += 1
        self.resumed += resumed
        if outcome.kind == "record":
            self.records += 1
            self.unverified_evidence += outcome.unverified
        else:
            self.errors[outcome.kind] = self.errors.get(outcome.kind, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data (what ``--summary-json`` writes)."""
        data = asdict(self)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["exit_code"] = self.exit_code
        return data

    def render(self) -> str:
        """The summary as a few human-readable lines."""
        errors = ", ".join(f"{kind} {n}" for kind, n in sorted(self.errors.items())) or "none"
        cost = f"${self.cost_usd:.4f}"
        if self.unpriced_models:
            cost += f" (+ unknown for {', '.join(self.unpriced_models)}: not in the price table)"
        lines = [
            f"extract run: {self.articles} articles -> {self.output} ({self.backend} backend)",
            f"  records {self.records}, errors {sum(self.errors.values())} ({errors}), "
            f"resumed {self.resumed}",
            f"  unverified evidence items {self.unverified_evidence}",
            f"  tokens in {self.input_tokens}, out {self.output_tokens}, requests {self.requests}"
            f" (retries {self.retries}, re-asks {self.reasks}), cost {cost}",
            f"  cache hits {self.cache_hits}, elapsed {self.elapsed_s:.1f}s",
        ]
        if self.skipped_files:
            shown = ", ".join(self.skipped_files[:5])
            more = f" and {len(self.skipped_files) - 5} more" if len(self.skipped_files) > 5 else ""
            lines.append(f"  skipped {len(self.skipped_files)} non-article files: {shown}{more}")
        if self.config_failure:
            lines.append(f"  stopped sending after a configuration error: {self.config_failure}")
        lines.extend(f"  warning: {warning}" for warning in self.warnings[:20])
        if len(self.warnings) > 20:
            lines.append(f"  ... and {len(self.warnings) - 20} more warnings")
        return "\n".join(lines)


# ---------------------------------------------------------------------- resume


@dataclass(frozen=True)
class _OldLine:
    offset: int
    length: int
    kind: str
    unverified: int


def _cut_partial_line(path: Path) -> None:
    """Truncate the file after its last newline (a killed run may have left half a line)."""
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        block = 1 << 16
        position = size
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            chunk = handle.read(position - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                handle.truncate(start + newline + 1)
                return
            position = start
        handle.truncate(0)


_LINE_PREFIX = b'{"article"'


def _index_existing(path: Path) -> dict[str, dict[str, _OldLine]]:
    """Article id -> fingerprint -> the line to keep (a record before an error; else the latest)."""
    index: dict[str, dict[str, _OldLine]] = {}
    lines = parsed = 0
    offset = 0
    with path.open("rb") as handle:
        for raw in handle:
            length = len(raw) - 1  # without the newline
            if not raw.endswith(b"\n"):
                # A last line with no newline: half a line of ours from a killed run (cut later),
                # or someone else's text, which must make us refuse the file.
                if not raw.startswith(_LINE_PREFIX):
                    lines += 1
                break
            lines += 1
            line = _parse_result_line(raw)
            if line is not None:
                parsed += 1
                article_id, fingerprint, kind, unverified = line
                if fingerprint is not None:
                    by_fp = index.setdefault(article_id, {})
                    previous = by_fp.get(fingerprint)
                    if previous is None or kind == "record" or previous.kind != "record":
                        by_fp[fingerprint] = _OldLine(offset, length, kind, unverified)
            offset += len(raw)
    if lines and not parsed:
        raise ConfigError(
            f"output file {path} exists but holds no result lines; refusing to overwrite it"
        )
    return index


def _parse_result_line(raw: bytes) -> tuple[str, str | None, str, int] | None:
    try:
        line = ResultLine.parse(raw)
    except LineError:
        return None  # not a line this tool wrote: the article is redone
    return line.article, line.fingerprint, line.kind, line.unverified()


class _FileSink:
    """Appends lines to the output file and remembers where each input's line is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] = path.open("ab")
        self.end = self.handle.seek(0, os.SEEK_END)
        self.positions: list[tuple[int, int]] = []

    def write(self, line: str) -> None:
        data = line.encode("utf-8")
        self.handle.write(data + b"\n")
        self.handle.flush()
        self.positions.append((self.end, len(data)))
        self.end += len(data) + 1

    def keep(self, old: _OldLine) -> None:
        self.positions.append((old.offset, old.length))

    def abandon(self) -> None:
        """Close without reordering: every line written so far stays for the next run."""
        self.handle.close()

    def finish(self) -> None:
        """Close; rewrite in input order if the file is not already exactly that."""
        self.handle.close()
        expected = 0
        for offset, length in self.positions:
            if offset != expected:
                break
            expected = offset + length + 1
        else:
            if expected == self.path.stat().st_size:
                return
        temp = self.path.with_name(f".{self.path.name}.rewrite.tmp")
        with self.path.open("rb") as source, temp.open("wb") as target:
            for offset, length in self.positions:
                source.seek(offset)
                target.write(source.read(length) + b"\n")
            target.flush()
            os.fsync(target.fileno())
        os.replace(temp, self.path)


class _StreamSink:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def keep(self, old: _OldLine) -> None:
        raise AssertionError("nothing is resumed when writing to a stream")

    def finish(self) -> None:
        self.stream.flush()

    def abandon(self) -> None:
        self.stream.flush()


# ---------------------------------------------------------------------- the run


_WORKER_JOB: list[_Job] = []


def _init_worker(settings: Settings) -> None:
    # A worker whose parent was killed (kill -9) would otherwise wait for work forever.
    watcher = threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True)
    watcher.start()
    backend = create_backend(settings)
    _WORKER_JOB.append(_make_job(backend, settings))


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _work_in_process(article: Article) -> Outcome:
    return _WORKER_JOB[0].run(article)


def _make_job(backend: Backend, settings: Settings) -> _Job:
    return _Job(
        backend=backend,
        backend_fingerprint=backend.fingerprint(),
        cache=AnswerCache(settings.cache_dir) if settings.cache else None,
        prices=PriceTable.load(settings.prices),
        secrets=_Secrets(settings.api_key),
    )


def _estimate_articles(discovery: Discovery) -> int:
    """Articles the sources hold (a JSON Lines file counts its lines); stdin counts as none."""
    total = 0
    for source in discovery.sources:
        if isinstance(source, Path):
            # Only a regular file is read twice; a named pipe would give its data to this count.
            if source.suffix.lower() == ".jsonl" and source.is_file():
                try:
                    with source.open("rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                except OSError:
                    total += 1
            else:
                total += 1
    return total


class _Progress:
    """One self-rewriting status line on stderr: done / total, rate, time left."""

    def __init__(self, enabled: bool, stream: IO[str], total: int) -> None:
        self.enabled = enabled
        self.stream = stream
        self.total = total  # 0 when unknown (standard input)
        self.started = time.monotonic()
        self._shown = 0.0

    def update(self, summary: RunSummary, *, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._shown < 0.2:
            return
        self._shown = now
        rate = summary.articles / max(now - self.started, 1e-6)
        done = f"{summary.articles}"
        left = ""
        if self.total >= summary.articles and self.total:
            done = f"{summary.articles}/{self.total} ({100 * summary.articles / self.total:.0f}%)"
            if not final and rate > 0:
                left = f", ~{(self.total - summary.articles) / rate:.0f}s left"
        self.stream.write(
            f"\rextract: {done} done, {summary.records} records, "
            f"{sum(summary.errors.values())} errors, {summary.resumed} resumed "
            f"({rate:.1f}/s{left}) "
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()


def run(
    paths: list[str],
    out: Path | None,
    settings: Settings,
    *,
    retry_errors: bool = False,
    progress: bool = False,
    backend: Backend | None = None,
) -> RunSummary:
    """Extract every article under `paths` into `out` (stdout when None); resume if it exists.

    `backend` replaces the one `settings` names (injection for embedding and tests).
    Raises `ConfigError` for settings or paths that make the run impossible (no articles found).
    """
    started = time.monotonic()
    discovery = discover(paths, recursive=settings.recursive)
    if out is not None:
        _leave_out_the_output(discovery, out)
    if not discovery.has_sources:
        details = "; ".join(discovery.missing) or "only non-article files"
        raise ConfigError(f"no articles found ({details})")
    owned = backend is None
    gate = RequestGate.from_limits(settings.concurrency, settings.rpm, settings.tpm)
    if backend is None:
        backend = create_backend(settings, gate)
    try:
        summary = _run_with(backend, owned, gate, discovery, out, settings, retry_errors, progress)
    finally:
        if owned:
            _close(backend)
    summary.skipped_files = discovery.report.skipped
    summary.warnings = discovery.report.warnings
    summary.elapsed_s = time.monotonic() - started
    return summary


def _leave_out_the_output(discovery: Discovery, out: Path) -> None:
    """The output file is never an input, even inside an input folder (it would feed itself)."""
    target = out.resolve()
    kept = []
    for source in discovery.sources:
        if isinstance(source, Path) and _same_file(source, target):
            discovery.report.skipped.append(f"{source} (the output file)")
            continue
        kept.append(source)
    discovery.sources[:] = kept


def _same_file(source: Path, target: Path) -> bool:
    try:
        return source.resolve() == target
    except (OSError, RuntimeError):  # a symlink loop: the reader reports it as that article's error
        return False


def _close(backend: Backend) -> None:
    # Backends that hold a connection pool (the OpenAI client) expose close(); others do not.
    close = getattr(backend, "close", None)
    if callable(close):
        close()


def _open_sink(out: Path | None) -> tuple[_FileSink | _StreamSink, dict[str, dict[str, _OldLine]]]:
    if out is None:
        return _StreamSink(sys.stdout), {}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        index: dict[str, dict[str, _OldLine]] = {}
        if out.exists():
            # Index (and so validate) before cutting anything: a file that is not ours is refused
            # untouched.
            index = _index_existing(out)
            _cut_partial_line(out)
        return _FileSink(out), index
    except OSError as exc:
        raise ConfigError(f"cannot write output {out}: {exc.strerror or exc}") from exc


def _run_with(
    backend: Backend,
    owned: bool,
    gate: RequestGate,
    discovery: Discovery,
    out: Path | None,
    settings: Settings,
    retry_errors: bool,
    progress: bool,
) -> RunSummary:
    job = _make_job(backend, settings)
    if not owned:
        # A backend we did not build does not know the gate: it holds a slot per article.
        job.backend = GatedBackend(backend, gate)
    sink, index = _open_sink(out)
    ledger = UsageLedger(job.prices)
    summary = RunSummary(output=str(out) if out else "stdout", backend=backend.name)
    reader = ArticleReader(discovery, max_chars=settings.max_chars)
    estimate = _estimate_articles(discovery)
    show = _Progress(progress or sys.stderr.isatty(), sys.stderr, estimate)

    to_do = estimate - sum(len(v) for v in index.values())
    use_processes = (
        owned
        and backend.name == "offline"
        and settings.concurrency > 1
        and to_do >= OFFLINE_POOL_MIN_ARTICLES
    )
    # The offline backend is CPU-bound: extra threads in one process would only contend. Other
    # backends get more threads than request slots, so that articles sleeping between retries
    # or being grounded do not leave a slot idle.
    if backend.name == "offline":
        workers = settings.concurrency if use_processes else 1
    else:
        workers = settings.concurrency * THREADS_PER_REQUEST_SLOT
    executor: Executor
    work: Callable[[Article], Outcome] = job.run
    if use_processes:
        executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings,),
        )
        work = _work_in_process
    else:
        executor = ThreadPoolExecutor(workers, thread_name_prefix="extract")

    ordered = _InOrder(executor, work, order_window(backend.name, settings.concurrency))

    def write(result: Outcome | _OldLine) -> None:
        if isinstance(result, _OldLine):
            sink.keep(result)
            summary.count(result, resumed=True)
        else:
            sink.write(result.line)
            summary.count(result, resumed=False)
            summary.cache_hits += result.cache_hits
            if result.usage is not None:
                ledger.add(result.model, result.usage)
        show.update(summary)

    try:
        for result in ordered.results(_plan(reader, index, job, retry_errors)):
            write(result)
    except BaseException:
        # Interrupted (Ctrl-C): send nothing more, let the requests under way finish, write
        # every line that is done and in order, and leave the rest to the next run.
        gate.close()
        executor.shutdown(wait=True, cancel_futures=True)
        for result in ordered.finished():
            if result.kind == GateClosed.kind:
                break
            write(result)
        sink.abandon()
        raise
    executor.shutdown(wait=True)
    sink.finish()
    show.update(summary, final=True)

    total = ledger.total
    summary.input_tokens, summary.output_tokens = total.input_tokens, total.output_tokens
    summary.requests, summary.retries, summary.reasks = total.requests, total.retries, total.reasks
    summary.cost_usd = round(total.cost_usd or 0.0, 6)
    summary.unpriced_models = sorted(ledger.unpriced_models)
    summary.config_failure = job.config_failure
    return summary


def order_window(backend_name: str, concurrency: int) -> int:
    """Most articles in flight or finished-but-unwritten at once (bounds memory)."""
    return concurrency * ORDER_WINDOW_PER_SLOT.get(backend_name, LLM_ORDER_WINDOW_PER_SLOT)


# A planned item: a finished outcome (bad input), a line kept from the old file, or an article.
_Planned = Outcome | _OldLine | Article


def _plan(
    reader: ArticleReader,
    index: dict[str, dict[str, _OldLine]],
    job: _Job,
    retry_errors: bool,
) -> Iterator[_Planned]:
    for item in reader:
        if isinstance(item, BadInput):
            yield error_outcome(item.article_id, item.kind, item.message, None)
            continue
        fingerprint = line_fingerprint(item.input_sha256, job.backend_fingerprint)
        old = index.get(item.id, {}).get(fingerprint)
        if old is not None and (old.kind == "record" or not retry_errors):
            yield old
        else:
            yield item


_Slot = Future[Outcome] | Outcome | _OldLine


class _InOrder:
    """Runs articles on an executor and gives their results back in input order, reading at
    most `window` items ahead of the oldest unfinished one."""

    def __init__(self, executor: Executor, work: Callable[[Article], Outcome], window: int) -> None:
        self.executor = executor
        self.work = work
        self.window = window
        self.pending: deque[tuple[str, _Slot]] = deque()

    def results(self, planned: Iterator[_Planned]) -> Iterator[Outcome | _OldLine]:
        """Submit `planned` and yield every result, in order."""
        pending = self.pending
        for item in planned:
            if isinstance(item, Article):
                pending.append((item.id, self._submit(item)))
            elif isinstance(item, Outcome):
                pending.append((item.article_id, item))
            else:
                pending.append(("", item))
            while pending and (len(pending) >= self.window or _ready(pending[0][1])):
                yield self._head()
        while pending:
            yield self._head()

    def finished(self) -> Iterator[Outcome | _OldLine]:
        """The results at the head that are already done, up to the first that is not (or that
        was cancelled)."""
        while self.pending:
            slot = self.pending[0][1]
            if isinstance(slot, Future) and (slot.cancelled() or not slot.done()):
                return
            yield self._head()

    def _submit(self, article: Article) -> _Slot:
        try:
            return self.executor.submit(self.work, article)
        except Exception as exc:  # a broken process pool refuses new work
            message = f"{type(exc).__name__}: {exc}"
            return error_outcome(article.id, "internal_error", message, None)

    def _head(self) -> Outcome | _OldLine:
        # Taken off only once its result is in hand: Ctrl-C while waiting for it leaves it
        # at the head for `finished`.
        article_id, slot = self.pending[0]
        result: Outcome | _OldLine
        if not isinstance(slot, Future):
            result = slot
        else:
            try:
                result = slot.result()
            except Exception as exc:  # a worker process died: the article fails, the run goes on
                message = f"{type(exc).__name__}: {exc}"
                result = error_outcome(article_id, "internal_error", message, None)
        self.pending.popleft()
        return result


def _ready(slot: _Slot) -> bool:
    return not isinstance(slot, Future) or slot.done()
