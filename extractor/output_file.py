"""Writing files so that a failure never leaves a half-written or replaced one behind.

Rules for every file the tool writes (reports, summaries, baselines, and the run's output):

* Only a regular file, or a path that does not exist yet, is ever replaced. A device, a pipe or
  a ``/dev/stdout``-style path is written to as a stream and never replaced, truncated or read.
* A symlink is written through: its target changes, the link stays.
* A replacement is written to a temporary file in the same folder (with a short name, so a
  file name near the length limit still works), flushed to disk, then renamed over the file.
  On any failure the temporary file is removed and the original is exactly as it was.
* A run's output file is held with an exclusive `flock` for the whole run (`lock_output`), so
  a second run on the same file refuses (`OutputLocked`) or waits.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from extractor.errors import OutputError, OutputLocked


def resolve_target(path: Path) -> Path:
    """The file a write to `path` lands in: a symlink's final target, else `path` itself."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def is_stream(path: Path) -> bool:
    """True when `path` exists and is not a regular file (a device, a pipe, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def temporary_sibling(target: Path) -> Path:
    """A fresh, short name in `target`'s folder for a file that will be renamed onto it."""
    return target.with_name(f".extract-{secrets.token_hex(6)}.tmp")


def replace_atomically(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` to a temporary sibling of `target`, fsync it and rename it onto `target`.

    Raises `OSError`; the temporary file is gone and `target` unchanged when it does.
    """
    temp = temporary_sibling(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            for part in [data] if isinstance(data, bytes) else data:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    # Makes the rename itself durable; some file systems cannot open a folder for this.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_whole_file(path: Path, text: str) -> None:
    """Write `text` as the whole content of `path` by the rules above; raise `OutputError`."""
    target = resolve_target(path)
    try:
        if is_stream(target):
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(target, text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def lock_output(target: Path, *, wait: bool = False) -> int:
    """Open (creating it if need be) and exclusively lock the regular file `target`; return the
    descriptor, opened for appending, whose closing releases the lock.

    Raises `OutputLocked` when another process holds it and `wait` is false, `OSError` when it
    cannot be opened. A lock taken on a file that a finishing run has just replaced (renamed a
    new file onto the name) is dropped and taken again on the file the name now names.
    """
    while True:
        fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise OutputLocked(
                    f"{target} is being written by another extract run; wait for it to finish "
                    "(or pass --wait-lock to wait)"
                ) from None
            try:
                current = os.stat(target)
            except FileNotFoundError:
                current = None
            held = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (
                held.st_dev,
                held.st_ino,
            ):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (a single write may write fewer); raise `OSError`."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written == 0:  # pragma: no cover - a regular file never accepts nothing
            raise OSError(errno.EIO, "nothing was written")
        view = view[written:]
