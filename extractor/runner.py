"""The run loop: articles in, exactly one JSON Lines result per article out, in input order.

    read lazily (inputs) -> plan (resume: keep or redo) -> schedule (threads or processes)
    -> extract_article (article_step) -> put in order (ordering) -> write (resume) -> summary

Each output line is an `extractor.lines.ResultLine`. Bad input (unreadable, empty, duplicate
id...) and configuration errors (credentials, model, URL, spaCy model) have a null fingerprint:
they are tried again on every run. Everything that happens to one article is
`extractor.article_step`; this module only decides where and in what order articles run.

Order: lines follow input order (see `extractor.inputs`). A line is written, and flushed, as soon
as it and every line before it are done, so at most `order_window` articles are held: 2 per unit
of concurrency offline, 16 for LLM backends, whose latencies vary far more.

Resume (`extractor.resume`): when the output file exists it is read first. A line is kept when
its article id and fingerprint match this run's (so a new model or prompt redoes the article),
unless it is an error and ``retry_errors`` is set. New lines are appended, then the file is put
in input order. A run killed at any moment and started again with the same arguments therefore
ends with the same lines as an uninterrupted run.

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
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

from extractor.article_step import ArticleExtractor, ArticleResult
from extractor.articles import Article
from extractor.backends.base import Backend, Capabilities, ClosableBackend
from extractor.backends.registry import create_backend
from extractor.cache import AnswerCache
from extractor.errors import ConfigError
from extractor.grounding import MAX_UNVERIFIED_SHARE
from extractor.inputs import ArticleReader, BadInput, Discovery, discover
from extractor.internal_errors import TracebackLog
from extractor.lines import RECORD_KIND, ResultLine
from extractor.ordering import InOrder
from extractor.pacing import GateClosed, GatedBackend, RequestGate
from extractor.resume import KeptLine, ResumeIndex, open_output
from extractor.schema import Usage
from extractor.settings import Settings
from extractor.summary import Progress, RunSummary
from extractor.usage import PriceTable, UsageLedger

#: Fewest articles for which the offline backend gets a process pool (see the module docstring).
OFFLINE_POOL_MIN_ARTICLES = 40
#: How far reading may run ahead of the oldest unfinished article, per unit of concurrency. LLM
#: calls vary in latency (a timed-out request takes seconds), so a short window starves the pool
#: behind one slow article; the benchmark measured 0.26 of ideal throughput at 2. Offline work is
#: even.
LOCAL_ORDER_WINDOW_PER_SLOT = 2
REQUEST_ORDER_WINDOW_PER_SLOT = 16
#: Threads per request slot for backends that make requests: the extra threads run the articles
#: that are between requests (backoff sleeps, grounding), while the others hold the slots.
THREADS_PER_REQUEST_SLOT = 2


@dataclass(frozen=True)
class Outcome:
    """One finished article: its output line, serialised where it was made (a worker process
    too), and what the summary needs to know about it."""

    article_id: str
    text: str
    kind: str  # "record", or the error type
    unverified: int = 0
    model: str = ""
    usage: Usage | None = None
    cache_hits: int = 0
    cache_write_errors: int = 0
    traceback: str | None = None
    #: The record is flagged ``mostly_unverified``.
    flagged: bool = False

    @classmethod
    def of(cls, result: ArticleResult) -> Outcome:
        """The outcome of one `ArticleExtractor.run`."""
        line = result.line
        return cls(
            line.article,
            line.dumps(),
            line.kind,
            unverified=line.unverified(),
            model=result.model,
            usage=line.usage,
            cache_hits=result.cache_hits,
            cache_write_errors=result.cache_write_errors,
            traceback=result.traceback,
            flagged=line.mostly_unverified(),
        )


def error_outcome(article_id: str, kind: str, message: str) -> Outcome:
    """The error line of an article that never reached its step; no fingerprint: redone."""
    return Outcome.of(ArticleResult(ResultLine.of_error(article_id, kind, message, None), ""))


def _log_internal_error(summary: RunSummary, log: TracebackLog, result: Outcome) -> None:
    """Keep a bug's traceback in the run's log file, which the summary names."""
    try:
        summary.internal_error_log = log.add(f"article {result.article_id}", result.traceback or "")
    except OSError as exc:
        summary.warnings.append(
            f"article {result.article_id}: internal error; its traceback could not be logged "
            f"({exc.strerror or exc})"
        )


def _internal_error(article_id: str, message: str) -> Outcome:
    return error_outcome(article_id, "internal_error", message)


# ---------------------------------------------------------------------- the run


def run(
    paths: list[str],
    out: Path | None,
    settings: Settings,
    *,
    retry_errors: bool = False,
    progress: bool = False,
    backend: Backend | None = None,
    metadata: Mapping[str, str] | None = None,
    wait_lock: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> RunSummary:
    """Extract every article under `paths` into `out` (stdout when None); resume if it exists.

    `backend` replaces the one `settings` names (injection for embedding and tests); `metadata`
    (``source``, ``published``, ``url``, ``title``) is given for every article read and beats
    what the inputs say. Another run writing `out` makes this one refuse (`OutputLocked`), or
    with `wait_lock` wait for it (see `extractor.resume`). `on_line` is called with each line's
    text (kept or new) as soon as it is written, in input order; an exception it raises stops
    the run as Ctrl-C does (the lines done are kept) and comes out of `run`.
    Raises `ConfigError` for settings or paths that make the run impossible (no articles found),
    `OutputError` when `out` cannot be written.
    """
    started = time.monotonic()
    discovery = discover(paths, recursive=settings.recursive)
    reader = ArticleReader(discovery, max_chars=settings.max_chars, given=metadata)
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
        summary = _run_with(
            backend, owned, gate, reader, out, settings, retry_errors, progress, wait_lock, on_line
        )
    finally:
        if owned:
            close_backend(backend)
    summary.skipped_files = discovery.report.skipped
    summary.warnings = discovery.report.warnings
    summary.elapsed_s = time.monotonic() - started
    return summary


def _run_with(
    backend: Backend,
    owned: bool,
    gate: RequestGate,
    reader: ArticleReader,
    out: Path | None,
    settings: Settings,
    retry_errors: bool,
    progress: bool,
    wait_lock: bool,
    on_line: Callable[[str], None] | None,
) -> RunSummary:
    # A backend we did not build does not know the gate: it holds a slot per article. One we
    # built passes each request through it (`Capabilities.paced_by_gate`) or makes none.
    step = make_step(backend if owned else GatedBackend(backend, gate), settings)
    sink, index = open_output(out, wait_lock=wait_lock)
    ledger = UsageLedger(step.prices)
    summary = RunSummary(output=str(out) if out else "stdout", backend=backend.name)
    estimate = _estimate_articles(reader.discovery)
    show = Progress(progress or sys.stderr.isatty(), sys.stderr, estimate)
    executor, work = _executor(backend, owned, settings, step, to_do=estimate - len(index))
    window = order_window(backend.capabilities, settings.concurrency)
    ordered: InOrder[Outcome | KeptLine] = InOrder(executor, work, window, _internal_error)

    tracebacks = TracebackLog()

    def write(result: Outcome | KeptLine) -> None:
        if isinstance(result, KeptLine):
            sink.keep(result)
            summary.count(result, resumed=True)
        else:
            sink.write(result.text)
            summary.count(result, resumed=False)
            summary.cache_hits += result.cache_hits
            summary.cache_write_errors += result.cache_write_errors
            if result.traceback is not None:
                _log_internal_error(summary, tracebacks, result)
            if result.usage is not None:
                ledger.add(result.model, result.usage)
        show.update(summary)

    try:
        for result in ordered.results(_plan(reader, index, step, retry_errors)):
            write(result)
            if on_line is not None:
                on_line(result.text if isinstance(result, Outcome) else index.text_of(result))
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
    summary.add_spend(ledger)
    summary.config_failure = step.config_failure
    return summary


def make_step(backend: Backend, settings: Settings) -> ArticleExtractor:
    """The per-article step for `backend` with the cache, prices and secrets `settings` name."""
    return ArticleExtractor(
        backend,
        cache=AnswerCache(settings.cache_dir) if settings.cache else None,
        prices=PriceTable.load(settings.prices),
        secrets=(settings.api_key,),
        max_unverified=(
            MAX_UNVERIFIED_SHARE if settings.max_unverified is None else settings.max_unverified
        ),
    )


def _plan(
    reader: ArticleReader, index: ResumeIndex, step: ArticleExtractor, retry_errors: bool
) -> Iterator[Article | Outcome | KeptLine]:
    """Each input in order: a line kept from the old file, a bad input's line, or an article."""
    for item in reader:
        if isinstance(item, BadInput):
            yield error_outcome(item.article_id, item.kind, item.message)
            continue
        old = index.lookup(item.id, step.fingerprint(item))
        if old is not None and (old.kind == RECORD_KIND or not retry_errors):
            yield old
        else:
            yield item


def order_window(capabilities: Capabilities, concurrency: int) -> int:
    """Most articles in flight or finished-but-unwritten at once (bounds memory)."""
    if capabilities.runs_in_processes:
        return concurrency * LOCAL_ORDER_WINDOW_PER_SLOT
    return concurrency * REQUEST_ORDER_WINDOW_PER_SLOT


# ---------------------------------------------------------------------- where articles run


def _executor(
    backend: Backend, owned: bool, settings: Settings, step: ArticleExtractor, *, to_do: int
) -> tuple[Executor, Callable[[Article], Outcome]]:
    """The pool the articles run on, and the function it runs for each."""
    # Workers build their own backend from the settings, so only one built from them qualifies.
    local = backend.capabilities.runs_in_processes
    use_processes = (
        owned
        and local
        and settings.concurrency > 1
        and to_do >= OFFLINE_POOL_MIN_ARTICLES
    )
    if use_processes:
        pool = ProcessPoolExecutor(
            settings.concurrency,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings,),
        )
        return pool, _work_in_process
    # A CPU-bound backend: extra threads in one process would only contend. Other backends get
    # more threads than request slots, so that articles sleeping between retries or being
    # grounded do not leave a slot idle.
    threads = 1 if local else settings.concurrency * THREADS_PER_REQUEST_SLOT
    return ThreadPoolExecutor(threads, thread_name_prefix="extract"), partial(_work, step)


def _work(step: ArticleExtractor, article: Article) -> Outcome:
    return Outcome.of(step.run(article))


_WORKER_STEP: list[ArticleExtractor] = []


def _init_worker(settings: Settings) -> None:
    # A worker whose parent was killed (kill -9) would otherwise wait for work forever.
    watcher = threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True)
    watcher.start()
    _WORKER_STEP.append(make_step(create_backend(settings), settings))


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _work_in_process(article: Article) -> Outcome:
    return _work(_WORKER_STEP[0], article)


# ---------------------------------------------------------------------- inputs and outputs


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


def close_backend(backend: Backend) -> None:
    """Release what a backend holds, if it declares it holds anything (`has_close`)."""
    if backend.capabilities.has_close:
        cast(ClosableBackend, backend).close()
