"""``extract batch status`` and ``collect``: poll (backoff) -> download the output and error
files -> replay every article against the answers -> one follow-up batch of what is missing
(re-asks; requests an expired, cancelled or failed batch never ran, resubmitted once) -> ... ->
when nothing is missing, `extract run`'s loop writes the output with `BatchAnswers`.

Killed at any point and run again, collect picks up from the state file: downloads are redone,
follow-up batches found in it are not sent again, and the output is written by the same
resumable loop as ``extract run``, so no article is lost or written twice.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from extractor.backends.base import Extraction
from extractor.backends.llm.backend import OpenAIBackend
from extractor.batch.lines import request_line
from extractor.batch.replay import AnswerBook, BatchAnswers, Missing, Spent, replay
from extractor.batch.state import ANSWERED, WRITTEN, BatchState, Shard, StateFiles
from extractor.batch.submit import (
    Limits,
    Provider,
    Say,
    add_shards,
    articles,
    live_backend,
    send,
    settings_for,
)
from extractor.errors import BatchPending, ConfigError, ExtractorError, OutputLocked
from extractor.pipeline import article_chunks
from extractor.settings import Settings
from extractor.summary import RunSummary
from extractor.usage import PriceTable

#: A request no batch answered (expired, cancelled, failed) is sent this many times at most.
MAX_SUBMISSIONS = 2

# ---------------------------------------------------------------------- status


def status(out: Path, *, refresh: bool = True, config: Path | None = None) -> BatchState:
    """The state, each unfinished batch polled once (with `refresh`, unless a submit or collect
    holds the state: it is polling them, and what it last saved is shown)."""
    files = StateFiles(out)
    state = files.load()
    if refresh and any(not s.file_only and not s.finished for s in state.shards):
        try:
            files.lock()
        except OutputLocked:
            return state
        try:
            state = files.load()
            settings = settings_for(state, config=config)
            with Provider(settings) as provider:
                moved = [
                    provider.api.refresh(shard)
                    for shard in state.shards
                    if not shard.file_only and not shard.finished
                ]
            if any(moved):
                files.save(state)
        finally:
            files.unlock()
    return state


def describe(state: BatchState, files: StateFiles) -> list[str]:
    """One line per shard: batch id, status, round, requests and counts."""
    lines = []
    for shard in state.shards:
        what = "first requests" if shard.round == 0 else f"follow-up {shard.round}"
        counts = ", ".join(f"{k} {v}" for k, v in shard.request_counts.items())
        ident = shard.batch_id or ("(file only)" if shard.file_only else "(not created yet)")
        lines.append(
            f"{ident}  {shard.status or 'not sent'}  {what}: {shard.requests} requests"
            + (f" ({counts})" if counts else "")
            + f"  {files.file(shard.file)}"
        )
    return lines


# ---------------------------------------------------------------------- collect


@dataclass
class CollectOptions:
    """How collect waits and what it does with what no batch answered."""

    wait: bool = True
    poll_interval: float = 30.0
    max_poll_interval: float = 600.0
    #: Seconds to wait in all; None: until the batches finish.
    timeout: float | None = None
    #: "resubmit" (once, in the follow-up batch) or "error" (a typed error line).
    unfinished: str = "resubmit"
    reask_live: bool = False
    from_files: list[Path] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)


@dataclass
class CollectReport:
    """What the batch run did beside the output lines (the run summary has those): every
    batch and follow-up of the run so far, by any collect."""

    batches: int = 0
    follow_up_batches: int = 0
    reasks_sent: int = 0
    resubmitted: int = 0
    malformed_output_lines: int = 0
    summary: RunSummary | None = None

    def to_dict(self) -> dict[str, int]:
        """The counts, for ``--summary-json``."""
        return {
            "batches": self.batches,
            "follow_up_batches": self.follow_up_batches,
            "reasks_sent": self.reasks_sent,
            "resubmitted": self.resubmitted,
            "malformed_output_lines": self.malformed_output_lines,
        }


def collect(
    out: Path,
    options: CollectOptions,
    *,
    config: Path | None = None,
    prices: Path | None = None,
    concurrency: int | None = None,
    say: Say = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CollectReport:
    """Poll until every batch is done, send what is missing in one follow-up batch at a time,
    then write `out`; raises `BatchPending` when it stops waiting first."""
    files = StateFiles(out)
    files.lock()
    try:
        state = files.load()
        settings = settings_for(state, config=config, prices=prices, concurrency=concurrency)
        backend = live_backend(settings)
        if backend.fingerprint() != state.fingerprint:
            raise ConfigError(
                f"the prompt or the request settings changed since submit ({files.path}); "
                "collect with the ones that submitted, or submit again with another --out"
            )
        _take_output_files(files, state, options.from_files)
        report = CollectReport()
        with Provider(settings) as provider:
            book = _wait_for_answers(
                files, state, settings, backend, provider, options, say, sleep, clock
            )
        report.batches = sum(1 for s in state.shards if not s.file_only)
        report.follow_up_batches = len({s.round for s in state.shards if s.round > 0})
        report.reasks_sent, report.resubmitted = state.reasks_sent, state.resubmitted
        report.malformed_output_lines = book.malformed
        if book.malformed:
            say(f"extract batch: {book.malformed} output lines were not Batch API lines (skipped)")
        report.summary = _write(state, out, settings, backend, book, options)
        return report
    finally:
        files.unlock()


def _take_output_files(files: StateFiles, state: BatchState, given: list[Path]) -> None:
    """Record output files given with --from-file; the file-only shards written before them
    count as run."""
    if not given:
        return
    for path in given:
        if not path.is_file():
            raise ConfigError(f"--from-file {path}: no such file")
        absolute = os.path.abspath(path)
        if absolute not in state.from_files:
            state.from_files.append(absolute)
    for shard in state.shards:
        if shard.file_only and shard.status == WRITTEN:
            shard.status = ANSWERED
    files.save(state)


def _wait_for_answers(
    files: StateFiles,
    state: BatchState,
    settings: Settings,
    backend: OpenAIBackend,
    provider: Provider,
    options: CollectOptions,
    say: Say,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> AnswerBook:
    deadline = None if options.timeout is None else clock() + options.timeout
    interval = options.poll_interval
    while True:
        send(files, state, provider, say)
        for shard in state.shards:
            if not shard.file_only and not shard.finished and provider.api.refresh(shard):
                files.save(state)
            if not shard.file_only and shard.finished and not shard.collected:
                _download(files, state, shard, provider)
        running = [s for s in state.shards if not s.finished]
        if running:
            written = [s for s in running if s.file_only]
            if written:
                shown = ", ".join(str(files.file(s.file)) for s in written)
                raise BatchPending(
                    f"the requests in {shown} wait to be run (vLLM: vllm run-batch -i FILE -o "
                    "OUTPUT --model MODEL); then extract batch collect --from-file OUTPUT"
                )
            if not options.wait or (deadline is not None and clock() + interval > deadline):
                shown = "; ".join(f"{s.batch_id} {s.status}" for s in running)
                raise BatchPending(
                    f"{len(running)} batches not finished ({shown}); collect again later"
                )
            sleep(interval)
            interval = min(interval * 1.5, options.max_poll_interval)
            continue
        book = _book(files, state)
        to_send, reasks, resubmits = _missing(state, settings, backend, book, options)
        if not to_send:
            return book
        file_only = any(s.file_only for s in state.shards if s.round == 0)
        round_ = max(s.round for s in state.shards) + 1
        target = files.folder / f"follow-up-{round_}.jsonl" if file_only else None
        added = add_shards(files, state, iter(to_send), round_, options.limits, file_only=target)
        state.reasks_sent += reasks
        state.resubmitted += resubmits
        files.save(state)
        say(
            f"extract batch: follow-up {round_}: {reasks} re-asks and {resubmits} resubmitted "
            f"requests in {len(added)} request file(s)"
        )
        interval = options.poll_interval


def _download(files: StateFiles, state: BatchState, shard: Shard, provider: Provider) -> None:
    names = []
    for kind, file_id in (("output", shard.output_file_id), ("errors", shard.error_file_id)):
        if file_id:
            name = f"{shard.batch_id}-{kind}.jsonl"
            files.write_file(name, provider.api.download(file_id))
            names.append(name)
    shard.downloaded = names
    shard.collected = True
    files.save(state)


def _book(files: StateFiles, state: BatchState) -> AnswerBook:
    book = AnswerBook()
    for shard in state.shards:
        ids = list(_request_ids(files.file(shard.file)))
        book.submitted.update(ids)
        if not shard.finished:
            book.in_flight.update(ids)
        for name in shard.downloaded:
            with files.file(name).open("rb") as handle:
                book.read(handle)
    for name in state.from_files:
        try:
            with open(name, "rb") as handle:
                book.read(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read output file {name}: {exc.strerror or exc}") from exc
    return book


def _request_ids(path: Path) -> Iterator[str]:
    try:
        with path.open("rb") as handle:
            for raw in handle:
                if raw.strip():
                    yield str(json.loads(raw)["custom_id"])
    except OSError as exc:
        raise ConfigError(f"cannot read request file {path}: {exc.strerror or exc}") from exc


def _missing(
    state: BatchState,
    settings: Settings,
    backend: OpenAIBackend,
    book: AnswerBook,
    options: CollectOptions,
) -> tuple[list[str], int, int]:
    """The request lines of the follow-up batch: every conversation's first unanswered request
    (a re-ask, unless they go live; a request never sent; one no batch ran, resubmitted while
    it was sent fewer than `MAX_SUBMISSIONS` times). Returns them with the re-asks' and the
    resubmissions' counts."""
    lines: dict[str, str] = {}
    reasks = resubmits = 0
    for article in articles(state, settings):
        for _start, _end, chunk in article_chunks(article, backend.context_chars):
            try:
                outcome = replay(backend, chunk, book, Spent())
            except ExtractorError:
                continue  # a typed error line, written as such
            if isinstance(outcome, Extraction) or outcome.custom_id in lines:
                continue
            if not _to_send(outcome, book, options):
                continue
            lines[outcome.custom_id] = request_line(outcome.body, outcome.custom_id)[1]
            if outcome.reask:
                reasks += 1
            elif outcome.state == "unfinished":
                resubmits += 1
    return list(lines.values()), reasks, resubmits


def _to_send(missing: Missing, book: AnswerBook, options: CollectOptions) -> bool:
    if missing.reask and options.reask_live:
        return False  # asked live while the output is written
    if missing.state == "unsent":
        return True
    return (
        missing.state == "unfinished"
        and options.unfinished == "resubmit"
        and book.submitted[missing.custom_id] < MAX_SUBMISSIONS
    )


def _write(
    state: BatchState,
    out: Path,
    settings: Settings,
    backend: OpenAIBackend,
    book: AnswerBook,
    options: CollectOptions,
) -> RunSummary:
    from extractor import runner

    prices = PriceTable.load(settings.prices)
    answers = BatchAnswers(backend, book, prices, live=backend.send if options.reask_live else None)
    try:
        summary = runner.run(state.inputs, out, settings.with_changes(cache=False), backend=answers)
    finally:
        backend.close()
    summary.live_cost_usd = None if answers.live_cost is None else round(answers.live_cost, 6)
    return summary
