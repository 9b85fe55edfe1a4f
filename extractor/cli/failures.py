"""One mapping from failures to exit codes, for every command (the CLI's edge, and only it).

    0    success
    1    some articles have error lines (`run`); a score fell below its baseline (`eval --check`)
    2    usage, configuration or input error; the output is locked by another run
    70   internal error: a bug. The message names a log file holding the traceback
    74   an output could not be written: disk full, read-only, a closed standard output
    75   not done yet, try again later: a batch is still running (`extract batch collect`)
    130  interrupted (Ctrl-C)
    141  the reader of standard output went away (`extract run ... | head`), as for any Unix tool

`ExtractorTyper` wraps every command it registers with `guard`, so a new command gets this
mapping without doing anything. `main` repairs the standard streams first (`extractor.cli.streams`)
and maps what escapes a command (click's own output to a full device, say) the same way.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from traceback import format_exception
from typing import Any, TypeVar

import click
import typer

from extractor.errors import (
    BatchPending,
    ConfigError,
    ExtractorError,
    GoldError,
    InputError,
    OutputError,
)
from extractor.internal_errors import TracebackLog

EXIT_OK = 0
EXIT_FAILED_ARTICLES = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_OUTPUT = 74
EXIT_TRY_LATER = 75
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: errno values that say an output could not be written, wherever the write was.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})

_F = TypeVar("_F", bound=Callable[..., Any])


def say(text: str) -> None:
    """Write a line to standard error; a closed or full stderr loses the message, not the run."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def exit_code_for(command: str, exc: BaseException) -> int:
    """Report `exc` (raised by `command`) on stderr and return its exit code."""
    prefix = f"extract {command}" if command else "extract"
    if isinstance(exc, KeyboardInterrupt):
        say(f"{prefix}: interrupted")
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        silence_stdout()
        return EXIT_BROKEN_PIPE
    if isinstance(exc, OutputError):
        say(f"{prefix}: {exc}")
        return EXIT_OUTPUT
    if isinstance(exc, BatchPending):
        say(f"{prefix}: {exc}")
        return EXIT_TRY_LATER
    if isinstance(exc, ConfigError | InputError | GoldError):
        say(f"{prefix}: {exc}")
        return EXIT_USAGE
    if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS:
        where = f" {exc.filename}" if exc.filename else ""
        say(f"{prefix}: cannot write{where}: {exc.strerror or exc}")
        return EXIT_OUTPUT
    if isinstance(exc, ExtractorError):
        say(f"{prefix}: {exc}")
        return EXIT_USAGE
    say(f"{prefix}: internal error (a bug): {type(exc).__name__}: {exc}; {log_traceback(exc)}")
    return EXIT_INTERNAL


def log_traceback(exc: BaseException) -> str:
    """Write `exc`'s traceback to a new log file; say where (or, failing that, print it)."""
    text = "".join(format_exception(exc))
    try:
        return f"the traceback is in {TracebackLog().add(f'{type(exc).__name__}: {exc}', text)}"
    except OSError as log_error:
        return f"no log could be written ({log_error.strerror or log_error}), traceback:\n{text}"


def silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def guard(command: str, function: _F) -> _F:
    """`function` with every exception it raises reported and turned into its exit code."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException):
            raise  # already an exit code, or click's own usage error (exit 2)
        except (Exception, KeyboardInterrupt) as exc:
            raise typer.Exit(exit_code_for(command, exc)) from None

    return guarded  # type: ignore[return-value]


class ExtractorTyper(typer.Typer):
    """A Typer whose commands all report failures through `guard`."""

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[_F], _F]:
        register = super().command(name, **kwargs)

        def decorator(function: _F) -> _F:
            register(guard(name or function.__name__, function))
            return function

        return decorator
