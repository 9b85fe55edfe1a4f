"""``extract batch submit``: articles -> request lines (the live run's bodies) -> request files
within the provider's limits -> state file -> upload -> batch, the state saved before each call.

Killed at any point (kill -9) and run again, it picks up from the state file (see
`extractor.batch.state`): an upload or a batch a kill hid is found, never made twice. The
pieces collect shares (writing request files, sending them, the settings) are here too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.articles import Article
from extractor.backends.llm.backend import PLACEHOLDER_KEY, OpenAIBackend
from extractor.backends.llm.config import OpenAIConfig
from extractor.batch.lines import (
    MAX_FILE_BYTES,
    MAX_REQUESTS_PER_FILE,
    request_line,
    shard_lines,
)
from extractor.batch.provider import BatchProvider, record_batch
from extractor.batch.state import WRITTEN, BatchState, Shard, StateFiles
from extractor.errors import ConfigError
from extractor.inputs import ArticleReader, BadInput, discover
from extractor.pipeline import article_chunks
from extractor.settings import Settings

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
Say = Callable[[str], None]


@dataclass(frozen=True)
class Limits:
    """Per request file (OpenAI's: 50,000 requests, 200 MB)."""

    max_requests: int = MAX_REQUESTS_PER_FILE
    max_bytes: int = MAX_FILE_BYTES


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
        backend = live_backend(settings)
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
            written = add_shards(files, state, lines, 0, limits, file_only=file_only)
            if not written:
                raise ConfigError("no articles to submit (every input is an error line)")
            files.save(state)
        if file_only is None:
            with Provider(settings) as provider:
                send(files, state, provider, say)
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
    for article in articles(state, settings):
        for _start, _end, chunk in article_chunks(article, backend.context_chars):
            ident, line = request_line(backend.conversation(chunk).body())
            if ident not in seen:
                seen.add(ident)
                yield line


def articles(state: BatchState, settings: Settings) -> Iterator[Article]:
    """The articles of the batch run's inputs, read again as `extract run` reads them (bad
    input is left out: the output gets its error line when it is written)."""
    discovery = discover(state.inputs, recursive=settings.recursive)
    if not discovery.has_sources:
        details = "; ".join(discovery.missing) or "only non-article files"
        raise ConfigError(f"no articles found ({details})")
    for item in ArticleReader(discovery, max_chars=settings.max_chars):
        if not isinstance(item, BadInput):
            yield item


def add_shards(
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


def send(files: StateFiles, state: BatchState, provider: Provider, say: Say) -> None:
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


class Provider:
    """The provider, connected on first use (a file-only run never connects)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._api: BatchProvider | None = None

    @property
    def api(self) -> BatchProvider:
        """The provider's client, built on first use."""
        if self._api is None:
            self._api = BatchProvider.from_settings(self.settings)
        return self._api

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._api is not None:
            self._api.close()


def settings_for(state: BatchState, **flags: Any) -> Settings:
    """The settings the requests were built with, as flags, plus collect's own."""
    stored = {k: v for k, v in state.settings.items() if v is not None}
    given = {k: v for k, v in flags.items() if v is not None}
    return Settings.resolve(backend="openai", **stored, **given)


def live_backend(settings: Settings) -> OpenAIBackend:
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
