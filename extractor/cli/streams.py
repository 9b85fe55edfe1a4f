"""Standard streams as a hostile shell may hand them over: closed, in a narrow encoding, or full.

* A closed descriptor (``<&-``, ``>&-``, ``2>&-``) gets a placeholder, so no file the run opens
  later takes its number (a result file on descriptor 1 would receive the summary). Closed
  standard input reads as empty; closed standard error discards messages; closed standard
  output refuses writes with `OutputError` (exit 74), because results sent nowhere are lost.
* A non-UTF-8 encoding (``PYTHONIOENCODING=latin-1``) writes what it cannot encode as
  backslash escapes, which inside a JSON string are the same character.
* `finish_stdout` flushes standard output before the interpreter does, so a full device or a
  vanished reader becomes an exit code instead of a message from the interpreter's shutdown.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any

from extractor.cli.failures import (
    EXIT_BROKEN_PIPE,
    EXIT_OK,
    EXIT_OUTPUT,
    say,
    silence_stdout,
)
from extractor.errors import OutputError


class ClosedOutput(io.TextIOBase):
    """Standard output when descriptor 1 was closed: every write is refused."""

    def write(self, text: str) -> int:
        """Refuse: what would be written has nowhere to go."""
        raise OutputError("standard output is closed; give --out FILE or open it")

    def isatty(self) -> bool:
        """Never a terminal."""
        return False

    def fileno(self) -> int:
        """No usable descriptor."""
        raise OSError(errno.EBADF, "standard output is closed")

    @property
    def buffer(self) -> Any:
        """The byte side refuses writes the same way."""
        return self


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _hold(fd: int, flags: int) -> None:
    """Put /dev/null on descriptor `fd` (closed until now)."""
    placeholder = os.open(os.devnull, flags)
    if placeholder != fd:
        os.dup2(placeholder, fd)
        os.close(placeholder)


def repair_standard_streams() -> None:
    """Make descriptors 0-2 and `sys.stdin`/`stdout`/`stderr` safe to use (see the module)."""
    # In order: opening a placeholder takes the lowest free number, which is the closed one.
    if not _is_open(0):
        _hold(0, os.O_RDONLY)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as we do
    if not _is_open(1):
        _hold(1, os.O_RDONLY)  # holds the number; nothing is written through it
        sys.stdout = ClosedOutput()
    if not _is_open(2):
        _hold(2, os.O_WRONLY)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")


def finish_stdout(code: int) -> int:
    """Flush standard output; return the exit code a failed flush turns `code` into."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return code if code != EXIT_OK else EXIT_BROKEN_PIPE
    except OSError as exc:
        silence_stdout()
        if code != EXIT_OUTPUT:  # else the command has said so already
            say(f"extract: cannot write standard output: {exc.strerror or exc}")
        return EXIT_OUTPUT
    return code
