"""The output file of a run: what an existing one holds (to resume), appending, and the final
rewrite into input order.

`open_output(out)` gives a `Sink` and the `ResumeIndex` of the lines already in `out`. The loop
calls `sink.write(text)` for each new line and `sink.keep(old)` for each line it keeps, in input
order, then `finish()` (rewrite in input order through a temporary file and ``os.replace`` if the
file is not already exactly that) or, when interrupted, `abandon()` (leave every line written so
far for the next run). A half-written last line (a killed run) is cut off before appending; a
file that holds no result lines at all is not ours and is refused untouched.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from extractor.errors import ConfigError
from extractor.lines import RECORD_KIND, LineError, ResultLine


class Sink(Protocol):
    """Where a run's lines go, in input order."""

    def write(self, line: str) -> None:
        """Write one new line (without its newline)."""
        ...

    def keep(self, old: KeptLine) -> None:
        """Keep a line of the existing file at this place."""
        ...

    def finish(self) -> None:
        """The run is complete: close, in input order."""
        ...

    def abandon(self) -> None:
        """The run was interrupted: close, keeping every line written so far."""
        ...


class ResumeIndex:
    """The lines of an existing output file worth keeping, by article id and fingerprint."""

    def __init__(self, lines: dict[str, dict[str, KeptLine]] | None = None) -> None:
        self._lines = lines or {}

    def lookup(self, article_id: str, fingerprint: str) -> KeptLine | None:
        """The kept line for this article and fingerprint, if the file has one."""
        return self._lines.get(article_id, {}).get(fingerprint)

    def __len__(self) -> int:
        return sum(len(by_fingerprint) for by_fingerprint in self._lines.values())


def open_output(out: Path | None) -> tuple[Sink, ResumeIndex]:
    """A sink for `out` (standard output when None) and what `out` already holds.

    Raises `ConfigError` when `out` cannot be written or is not a file of result lines.
    """
    if out is None:
        return StreamSink(sys.stdout), ResumeIndex()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        index = ResumeIndex()
        if out.exists():
            # Index (and so validate) before cutting anything: a file that is not ours is refused
            # untouched.
            index = _index_existing(out)
            _cut_partial_line(out)
        return FileSink(out), index
    except OSError as exc:
        raise ConfigError(f"cannot write output {out}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class KeptLine:
    """A line of the existing output file that this run keeps: where it is and what it holds."""

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


def _index_existing(path: Path) -> ResumeIndex:
    """Article id -> fingerprint -> the line to keep (a record before an error; else the latest)."""
    index: dict[str, dict[str, KeptLine]] = {}
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
                    if previous is None or kind == RECORD_KIND or previous.kind != RECORD_KIND:
                        by_fp[fingerprint] = KeptLine(offset, length, kind, unverified)
            offset += len(raw)
    if lines and not parsed:
        raise ConfigError(
            f"output file {path} exists but holds no result lines; refusing to overwrite it"
        )
    return ResumeIndex(index)


def _parse_result_line(raw: bytes) -> tuple[str, str | None, str, int] | None:
    try:
        line = ResultLine.parse(raw)
    except LineError:
        return None  # not a line this tool wrote: the article is redone
    return line.article, line.fingerprint, line.kind, line.unverified()


class FileSink:
    """Appends lines to the output file and remembers where each input's line is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] = path.open("ab")
        self.end = self.handle.seek(0, os.SEEK_END)
        self.positions: list[tuple[int, int]] = []

    def write(self, line: str) -> None:
        """Append and flush one line."""
        data = line.encode("utf-8")
        self.handle.write(data + b"\n")
        self.handle.flush()
        self.positions.append((self.end, len(data)))
        self.end += len(data) + 1

    def keep(self, old: KeptLine) -> None:
        """Keep a line already in the file, at this place in the input order."""
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


class StreamSink:
    """Writes lines to a stream (standard output); nothing to resume, nothing to reorder."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, line: str) -> None:
        """Write and flush one line."""
        self.stream.write(line + "\n")
        self.stream.flush()

    def keep(self, old: KeptLine) -> None:
        """Never called: a stream has no earlier lines to keep."""
        raise RuntimeError("nothing is resumed when writing to a stream")

    def finish(self) -> None:
        """Flush."""
        self.stream.flush()

    def abandon(self) -> None:
        """Flush."""
        self.stream.flush()
