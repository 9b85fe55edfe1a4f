"""The output file of a run: what an existing one holds (to resume), appending, and the final
rewrite into input order.

`open_output(out)` gives a `Sink` and the `ResumeIndex` of the lines already in `out`. The loop
calls `sink.write(text)` for each new line and `sink.keep(old)` for each line it keeps, in input
order, then `finish()` (rewrite in input order if the file is not already exactly that) or, when
interrupted, `abandon()` (leave every line written so far for the next run). A half-written last
line (a killed run) is cut off before appending; a file that holds no result lines at all is not
ours and is refused untouched.

What `out` may be (see `extractor.output_file` for the rules of writing):

* A regular file or a new path: locked for the run (a second run refuses, or waits with
  ``wait_lock``), resumed, appended to, and rewritten through a temporary file in the same
  folder. A symlink is followed: its target is the file, the link stays.
* A device, a pipe, ``/dev/stdout``: a stream. Nothing is read from it or resumed, and it is
  never rewritten or replaced.

A failed write never leaves a cut line: the file is truncated back to its last whole line when
the lines so far are a clean prefix of the result (whole lines, in input order, one per
article), else (a resume that needed reordering) back to what it held before the run. A failed
final rewrite leaves it as it was before the run too. Either way the run stops with
`OutputError` and the next run resumes from the file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from extractor.errors import ConfigError, OutputError
from extractor.lines import RECORD_KIND, LineError, ResultLine
from extractor.output_file import (
    is_stream,
    lock_output,
    replace_atomically,
    resolve_target,
    write_all,
)


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

    def __init__(
        self, lines: dict[str, dict[str, KeptLine]] | None = None, path: Path | None = None
    ) -> None:
        self._lines = lines or {}
        #: The file the lines are in.
        self.path = path

    def lookup(self, article_id: str, fingerprint: str) -> KeptLine | None:
        """The kept line for this article and fingerprint, if the file has one."""
        return self._lines.get(article_id, {}).get(fingerprint)

    def text_of(self, kept: KeptLine) -> str:
        """A kept line's text, read from the file (which a run only appends to until it ends)."""
        if self.path is None:
            raise ValueError("no file: nothing was kept")
        with self.path.open("rb") as handle:
            handle.seek(kept.offset)
            return handle.read(kept.length).decode("utf-8")

    def __len__(self) -> int:
        return sum(len(by_fingerprint) for by_fingerprint in self._lines.values())


def open_output(out: Path | None, *, wait_lock: bool = False) -> tuple[Sink, ResumeIndex]:
    """A sink for `out` (standard output when None) and what `out` already holds.

    Raises `OutputLocked` when another run holds `out`, `ConfigError` when it is a folder or
    not a file of result lines, `OutputError` when it cannot be written.
    """
    if out is None:
        return StreamSink(sys.stdout, shown="standard output"), ResumeIndex()
    try:
        if is_stream(out):
            if out.is_dir():
                raise ConfigError(f"output {out} is a folder; name a file in it")
            stream = open(out, "a", encoding="utf-8")  # noqa: SIM115 - the sink closes it
            return StreamSink(stream, shown=str(out), owned=True), ResumeIndex()
        target = resolve_target(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = lock_output(target, wait=wait_lock)
    except OSError as exc:
        raise OutputError(f"cannot write output {out}: {exc.strerror or exc}") from exc
    try:
        # Index (and so validate) before cutting anything: a file that is not ours is refused
        # untouched.
        index = _index_existing(target)
        _cut_partial_line(target)
        return FileSink(target, fd, shown=out), index
    except OSError as exc:
        os.close(fd)
        raise OutputError(f"cannot write output {out}: {exc.strerror or exc}") from exc
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True)
class KeptLine:
    """A line of the existing output file that this run keeps: where it is and what it holds."""

    offset: int
    length: int
    kind: str
    unverified: int
    flagged: bool = False


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
                article_id, fingerprint, kind, unverified, flagged = line
                if fingerprint is not None:
                    by_fp = index.setdefault(article_id, {})
                    previous = by_fp.get(fingerprint)
                    if previous is None or kind == RECORD_KIND or previous.kind != RECORD_KIND:
                        by_fp[fingerprint] = KeptLine(offset, length, kind, unverified, flagged)
            offset += len(raw)
    if lines and not parsed:
        raise ConfigError(
            f"output file {path} exists but holds no result lines; refusing to overwrite it"
        )
    return ResumeIndex(index, path)


def _parse_result_line(raw: bytes) -> tuple[str, str | None, str, int, bool] | None:
    try:
        line = ResultLine.parse(raw)
    except LineError:
        return None  # not a line this tool wrote: the article is redone
    return line.article, line.fingerprint, line.kind, line.unverified(), line.mostly_unverified()


class FileSink:
    """Appends lines to the (locked) output file and remembers where each input's line is."""

    def __init__(self, path: Path, fd: int, *, shown: Path | None = None) -> None:
        self.path = path
        self.shown = shown or path
        self.fd = fd  # opened for appending; holds the lock until closed
        self.before = os.fstat(fd).st_size  # what the file held before this run
        self.end = self.before
        self.positions: list[tuple[int, int]] = []
        self.failed = False

    def write(self, line: str) -> None:
        """Append one line. After a failed write nothing more is written (see the module)."""
        if self.failed:
            return
        data = line.encode("utf-8") + b"\n"
        try:
            write_all(self.fd, data)
        except OSError as exc:
            self._fail(f"cannot write {self.shown}: {exc.strerror or exc}", exc)
        self.positions.append((self.end, len(data) - 1))
        self.end += len(data)

    def keep(self, old: KeptLine) -> None:
        """Keep a line already in the file, at this place in the input order."""
        self.positions.append((old.offset, old.length))

    def abandon(self) -> None:
        """Close without reordering: every line written so far stays for the next run."""
        self._close()

    def finish(self) -> None:
        """Close; rewrite in input order if the file is not already exactly that."""
        if self._in_order():
            try:
                os.fsync(self.fd)
            except OSError as exc:
                self._fail(f"cannot write {self.shown}: {exc.strerror or exc}", exc)
            self._close()
            return
        try:
            replace_atomically(self.path, self._lines_in_order())
        except OSError as exc:
            self._fail(
                f"cannot rewrite {self.shown} in input order: {exc.strerror or exc}; it is left "
                "as it was before this run",
                exc,
            )
        self._close()

    def _in_order(self) -> bool:
        expected = 0
        for offset, length in self.positions:
            if offset != expected:
                return False
            expected = offset + length + 1
        return expected == self.end

    def _lines_in_order(self) -> Iterator[bytes]:
        with self.path.open("rb") as source:
            for offset, length in self.positions:
                source.seek(offset)
                yield source.read(length) + b"\n"

    def _fail(self, message: str, exc: OSError) -> None:
        """Truncate to a state the next run can resume from, close and raise `OutputError`."""
        self.failed = True
        keep = self.end if self._in_order() else self.before
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, keep)
        self._close()
        raise OutputError(message) from exc

    def _close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class StreamSink:
    """Writes lines to a stream (standard output, a device, a pipe); nothing to resume, nothing
    to reorder. It closes the stream only if it opened it (`owned`)."""

    def __init__(self, stream: IO[str], *, shown: str, owned: bool = False) -> None:
        self.stream = stream
        self.shown = shown
        self.owned = owned

    def write(self, line: str) -> None:
        """Write and flush one line."""
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except BrokenPipeError:
            raise  # the reader went away: not a failure to report
        except OSError as exc:
            raise OutputError(f"cannot write {self.shown}: {exc.strerror or exc}") from exc

    def keep(self, old: KeptLine) -> None:
        """Never called: a stream has no earlier lines to keep."""
        raise RuntimeError("nothing is resumed when writing to a stream")

    def finish(self) -> None:
        """Flush (and close a stream this sink opened)."""
        self.stream.flush()
        if self.owned:
            self.stream.close()

    def abandon(self) -> None:
        """Flush what can be flushed."""
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()
            if self.owned:
                self.stream.close()
