"""Where the tracebacks of internal errors (bugs) go: a log file the message names.

An internal error is never shown as a traceback: the user gets one line saying what failed and
where the traceback is (`TracebackLog.path`), in the temporary folder (``$TMPDIR``), so that it
can be attached to a bug report.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from datetime import UTC, datetime


class TracebackLog:
    """A log file of tracebacks, created on the first one."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.count = 0
        self._lock = threading.Lock()

    def add(self, heading: str, text: str) -> str:
        """Append one traceback under `heading`; return the log's path. Raises `OSError`."""
        with self._lock:
            if self.path is None:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                fd, path = tempfile.mkstemp(
                    prefix=f"extract-internal-error-{stamp}-", suffix=".log", text=True
                )
                os.close(fd)
                self.path = path
                self._append(f"extract {' '.join(sys.argv[1:])}\n")
            self._append(f"\n== {heading}\n{text}")
            self.count += 1
            return self.path

    def _append(self, text: str) -> None:
        assert self.path is not None
        with open(self.path, "a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(text)
