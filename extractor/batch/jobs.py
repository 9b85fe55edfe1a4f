"""``extract batch submit``, ``status`` and ``collect``: crash-safe at every step.

    submit:  articles -> request lines (the live run's bodies) -> request files within the
             provider's limits -> state file -> upload -> batch (ids in the state first)
    collect: poll (backoff) -> download output and error files -> replay every article against
             the answers -> one follow-up batch of what is missing (re-asks; requests an
             expired or cancelled batch never ran, resubmitted once) -> ... -> when nothing is
             missing, `extract run`'s loop writes the output with `BatchAnswers`

Killed at any point (kill -9) and run again, each command picks up from the state file (see
`extractor.batch.state`): no upload or batch is made twice, and the output is written by the
same resumable loop as ``extract run``, so no article is lost or written twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.backends.base import Extraction
from extractor.backends.llm.backend import PLACEHOLDER_KEY, OpenAIBackend
from extractor.backends.llm.config import OpenAIConfig
from extractor.batch.lines import (
    MAX_FILE_BYTES,
    MAX_REQUESTS_PER_FILE,
    request_line,
    shard_lines,
)
from extractor.batch.provider import BatchProvider, record_batch
from extractor.batch.replay import AnswerBook, BatchAnswers, Missing, Spent, replay
from extractor.batch.state import ANSWERED, WRITTEN, BatchState, Shard, StateFiles
from extractor.errors import BatchPending, ConfigError, ExtractorError, OutputLocked
from extractor.inputs import ArticleReader, BadInput, discover
from extractor.pipeline import article_chunks
from extractor.settings import Settings
from extractor.summary import RunSummary
from extractor.usage import PriceTable

#: The settings that shape the requests: stored at submit, given back to collect as flags.
REQUEST_SETTINGS = (
    "model",
    "base_url",
    "preset",
    "output_mode",
    "max_output_tokens",
    "max_reasks",
    "max_unverified",
    "context_chars",
    "prompts_dir",
    "max_chars",
    "recursive",
)
#: A request no batch answered (expired, cancelled, failed) is sent this many times at most.
MAX_SUBMISSIONS = 2

Say = Callable[[str], None]


@dataclass(frozen=True)
class Limits:
    """Per request file (OpenAI's: 50,000 requests, 200 MB)."""

    max_requests: int = MAX_REQUESTS_PER_FILE
    max_bytes: int = MAX_FILE_BYTES


# ---------------------------------------------------------------------- submit


def submit(
    paths: list[str],
    out: Path,
    settings: Settings,
    *,
    file_only: Path | None = None,
    limits: Limits = Limits(),
    completion_window: str = "24h",
    say: Say = print,
) -> BatchState:
    """Write the request files for `paths` and (unless `file_only`) upload them and create their
    batches; the ids go to the state file beside `out` before anything polls. Run again on a
    state that exists, it sends only what was not sent."""
    if "-" in paths:
        raise ConfigError("extract batch reads its inputs again at collect: name files, not -")
    files = StateFiles(out)
    files.lock()
    try:
        backend = _live_backend(settings)
        if files.exists():
            state = files.load()
            inputs = [os.path.abspath(p) for p in paths]
            if state.inputs != inputs or state.fingerprint != backend.fingerprint():
                raise ConfigError(
                    f"{files.path} holds a batch run of other inputs or settings; collect it, or "
                    "submit with another --out"
                )
            say(f"extract batch: {files.path} exists; sending what was not sent")
        else:
            state = BatchState(
                inputs=[os.path.abspath(p) for p in paths],
                settings=_request_settings(settings),
                fingerprint=backend.fingerprint(),
                completion_window=completion_window,
            )
            lines = _first_requests(state, settings, backend)
            written = _add_shards(files, state, lines, 0, limits, file_only=file_only)
            if not written:
                raise ConfigError("no articles to submit (every input is an error line)")
            files.save(state)
        if file_only is None:
            with _Provider(settings) as provider:
                _send(files, state, provider, say)
        for shard in state.shards:
            if shard.file_only:
                say(f"extract batch: {shard.requests} requests written to {files.file(shard.file)}")
        requests = sum(s.requests for s in state.shards)
        then = f"extract batch collect --out {out}"
        if file_only is not None:
            run = f"vllm run-batch -i {file_only} -o OUTPUT --model MODEL"
            then = f"run it ({run}), then {then} --from-file OUTPUT"
        say(
            f"extract batch: {requests} requests in {len(state.shards)} file(s); state in "
            f"{files.path}; then: {then}"
        )
        return state
    finally:
        files.unlock()


def _first_requests(state: BatchState, settings: Settings, backend: OpenAIBackend) -> Iterator[str]:
    """One request line per chunk of every article, each request once."""
    seen: set[str] = set()
    for article in _articles(state, settings):
        for _start, _end, chunk in article_chunks(article, backend.context_chars):
            ident, line = request_line(backend.conversation(chunk).body())
            if ident not in seen:
                seen.add(ident)
                yield line


def _articles(state: BatchState, settings: Settings) -> Iterator[Any]:
    discovery = discover(state.inputs, recursive=settings.recursive)
    if not discovery.has_sources:
        details = "; ".join(discovery.missing) or "only non-article files"
        raise ConfigError(f"no articles found ({details})")
    for item in ArticleReader(discovery, max_chars=settings.max_chars):
        if not isinstance(item, BadInput):
            yield item


def _add_shards(
    files: StateFiles,
    state: BatchState,
    lines: Iterator[str],
    round_: int,
    limits: Limits,
    *,
    file_only: Path | None = None,
) -> list[Shard]:
    """Write `lines` into request files (one file with `file_only`) and list them in `state`."""
    if file_only is not None:
        limits = Limits(max_requests=2**62, max_bytes=2**62)
    added: list[Shard] = []
    for number, shard_data in enumerate(shard_lines(lines, **vars(limits))):
        data = b"".join(shard_data)
        if file_only is not None:
            name = os.path.abspath(file_only)
            files.write_file(name, data)
        else:
            name = f"requests-{round_}-{number:03d}.jsonl"
            files.write_file(name, data)
        shard = Shard(
            file=name,
            round=round_,
            requests=len(shard_data),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            file_only=file_only is not None,
            status=WRITTEN if file_only is not None else None,
        )
        added.append(shard)
    state.shards.extend(added)
    return added


def _send(files: StateFiles, state: BatchState, provider: _Provider, say: Say) -> None:
    """Upload and create every shard's batch not created yet; the state is saved before each
    call, so a crash in between is found again, not repeated."""
    for shard in state.shards:
        if shard.file_only or shard.batch_id is not None:
            continue
        api = provider.api
        if shard.input_file_id is None:
            found = api.find_upload(shard.upload_name, shard.size) if shard.upload_started else None
            if found is None:
                shard.upload_started = True
                files.save(state)
                found = api.upload(files.file(shard.file), shard.upload_name)
            shard.input_file_id = found
            files.save(state)
        batch = api.find_batch(shard.input_file_id) if shard.create_started else None
        if batch is None:
            shard.create_started = True
            files.save(state)
            metadata = {"extractor_requests": shard.upload_name}
            batch = api.create(shard.input_file_id, state.completion_window, metadata)
        record_batch(shard, batch)
        files.save(state)
        say(f"extract batch: batch {shard.batch_id} ({shard.status}): {shard.requests} requests")


class _Provider:
    """The provider, connected on first use (a file-only run never connects)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._api: BatchProvider | None = None

    @property
    def api(self) -> BatchProvider:
        if self._api is None:
            self._api = BatchProvider.from_settings(self.settings)
        return self._api

    def __enter__(self) -> _Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._api is not None:
            self._api.close()


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
            with _Provider(settings) as provider:
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
    limits: Limits = Limits()


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


def settings_for(state: BatchState, **flags: Any) -> Settings:
    """The settings the requests were built with, as flags, plus collect's own."""
    stored = {k: v for k, v in state.settings.items() if v is not None}
    given = {k: v for k, v in flags.items() if v is not None}
    return Settings.resolve(backend="openai", **stored, **given)


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
        backend = _live_backend(settings)
        if backend.fingerprint() != state.fingerprint:
            raise ConfigError(
                f"the prompt or the request settings changed since submit ({files.path}); "
                "collect with the ones that submitted, or submit again with another --out"
            )
        _take_output_files(files, state, options.from_files)
        report = CollectReport()
        with _Provider(settings) as provider:
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
    provider: _Provider,
    options: CollectOptions,
    say: Say,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> AnswerBook:
    deadline = None if options.timeout is None else clock() + options.timeout
    interval = options.poll_interval
    while True:
        _send(files, state, provider, say)
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
        added = _add_shards(files, state, iter(to_send), round_, options.limits, file_only=target)
        state.reasks_sent += reasks
        state.resubmitted += resubmits
        files.save(state)
        say(
            f"extract batch: follow-up {round_}: {reasks} re-asks and {resubmits} resubmitted "
            f"requests in {len(added)} request file(s)"
        )
        interval = options.poll_interval


def _download(files: StateFiles, state: BatchState, shard: Shard, provider: _Provider) -> None:
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
    for article in _articles(state, settings):
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


def _live_backend(settings: Settings) -> OpenAIBackend:
    """The backend whose requests the batches carry. Building request lines needs no key (a
    file for vLLM, say): the provider asks for one when it is called."""
    config = OpenAIConfig.from_settings(settings)
    if not config.api_key:
        config = dataclasses.replace(config, api_key=PLACEHOLDER_KEY)
    return OpenAIBackend(config)


def _request_settings(settings: Settings) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for name in REQUEST_SETTINGS:
        value = getattr(settings, name)
        if value is not None:
            stored[name] = str(value) if isinstance(value, Path) else value
    return stored
