"""The state file beside ``--out`` (``run.jsonl.batch.json``) and its folder (``run.jsonl.batch/``).

The state file is written, whole and atomically, before each step it describes: a shard's
request file before its upload, ``upload_started`` before the upload, the file id before the
batch is created, ``create_started`` before the create call, the batch id before any polling.
So a command killed at any point and run again knows everything it did: an upload or a batch
the kill hid from it is found by name (``extract-<hash>.jsonl``) or by its input file, never
made twice. The folder holds the request files and the downloaded output and error files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.errors import ConfigError, OutputError, OutputLocked
from extractor.output_file import lock_output, replace_atomically

STATE_FORMAT = 1
#: Provider statuses after which a batch changes no more.
TERMINAL = frozenset({"completed", "expired", "cancelled", "failed"})
#: A file-only shard (``--file-only``, vLLM): written, not yet answered.
WRITTEN = "written"
#: A file-only shard once a collect was given the output file(s) (``--from-file``).
ANSWERED = "answered"


class Shard(BaseModel):
    """One request file and the batch that runs it."""

    model_config = ConfigDict(extra="forbid")

    #: The request file: a name in the state folder, or the ``--file-only`` path.
    file: str
    #: 0 for the articles' first requests; 1, 2, ... for the follow-up batches (re-asks and
    #: resubmitted requests).
    round: int = 0
    requests: int
    size: int
    sha256: str
    #: Written for another engine (``--file-only``): never uploaded.
    file_only: bool = False
    upload_started: bool = False
    input_file_id: str | None = None
    create_started: bool = False
    batch_id: str | None = None
    status: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    request_counts: dict[str, int] = Field(default_factory=dict)
    #: The output and error files downloaded into the state folder.
    downloaded: list[str] = Field(default_factory=list)
    #: Set once every file the finished batch has is in `downloaded`.
    collected: bool = False

    @property
    def upload_name(self) -> str:
        """The name the request file is uploaded under, by which a lost upload is found."""
        return f"extract-{self.sha256[:24]}.jsonl"

    @property
    def finished(self) -> bool:
        """The batch changes no more (or, file-only, its output files were given)."""
        return self.status in TERMINAL or self.status == ANSWERED


class BatchState(BaseModel):
    """Everything `submit` did and `collect` needs, in one JSON file."""

    model_config = ConfigDict(extra="forbid")

    format: int = STATE_FORMAT
    #: The inputs as given to submit, absolute: collect reads the articles again.
    inputs: list[str]
    #: The resolved settings the requests were built with, given to collect as flags.
    settings: dict[str, Any]
    #: The backend's fingerprint at submit: collect refuses another.
    fingerprint: dict[str, str]
    completion_window: str = "24h"
    shards: list[Shard] = Field(default_factory=list)
    #: Output files given to collect (``--from-file``), absolute.
    from_files: list[str] = Field(default_factory=list)
    #: Requests sent in follow-up batches: re-asks, and requests resubmitted because no batch
    #: ran them.
    reasks_sent: int = 0
    resubmitted: int = 0


class StateFiles:
    """Where the state of a batch run with output `out` lives, and its lock."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.with_name(out.name + ".batch.json")
        self.folder = out.with_name(out.name + ".batch")
        self._lock: int | None = None

    def exists(self) -> bool:
        """A batch run was started for this output."""
        return self.path.is_file()

    def load(self) -> BatchState:
        """The state; `ConfigError` when there is none or it is not ours."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"no batch state {self.path}: run `extract batch submit ... --out {self.out}` first"
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        try:
            state = BatchState.model_validate_json(text)
        except ValidationError as exc:
            raise ConfigError(
                f"{self.path} is not a batch state file: {exc.errors()[0]['msg']}"
            ) from None
        if state.format != STATE_FORMAT:
            raise ConfigError(f"{self.path}: state format {state.format}, expected {STATE_FORMAT}")
        return state

    def save(self, state: BatchState) -> None:
        """Write the state whole (temporary file, fsync, rename)."""
        data = json.dumps(state.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(self.path, data.encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def file(self, name: str) -> Path:
        """A file of the state folder (or the absolute path a file-only shard names)."""
        return Path(name) if os.path.isabs(name) else self.folder / name

    def write_file(self, name: str, data: bytes) -> Path:
        """Write a file into the state folder atomically."""
        path = self.file(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, data)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return path

    def lock(self) -> None:
        """Hold the lock on this batch run (one submit or collect at a time)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock = lock_output(self.folder / "lock")
        except OutputLocked:
            raise OutputLocked(
                f"another extract batch command is working on {self.out}; wait for it to finish"
            ) from None

    def unlock(self) -> None:
        """Release the lock."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
