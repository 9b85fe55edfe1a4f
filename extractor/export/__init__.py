"""`extract export` without the command line: runs in, flattened tables out.

Reads each run's lines through `ResultLine` (lazily, so memory stays flat), turns them into rows
(`extractor.export.tables`) and hands them to a writer for SQLite, CSV, DuckDB or Parquet
(`extractor.export.writers`). Imports no backend and no SDK.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractor.errors import ConfigError, InputError
from extractor.export.tables import ARTICLES, ERRORS, TABLES, Row, Table, line_rows
from extractor.export.writers import BATCH_ROWS, TableWriter, open_writer, target_format
from extractor.lines import LineError, ResultLine

__all__ = ["TABLES", "ExportSummary", "export_runs", "target_format"]


@dataclass
class ExportSummary:
    """What was exported: rows per table, and where to."""

    target: Path
    format: str
    runs: int = 0
    rows: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        """One line for a person: articles, errors and the other tables' row counts."""
        others = ", ".join(
            f"{self.rows[t.name]} {t.name}" for t in TABLES if t not in (ARTICLES, ERRORS)
        )
        return (
            f"exported {self.rows[ARTICLES.name]} articles ({self.rows[ERRORS.name]} error "
            f"lines) from {self.runs} run(s) into {self.target} ({self.format}): {others}"
        )


def read_run(path: Path) -> Iterator[tuple[int, ResultLine]]:
    """Each result line of a run with its line number; raises `InputError` naming the line
    that is not one."""
    try:
        # newline="\n": only "\n" ends a line (a record may hold U+0085 or U+2028).
        with path.open(encoding="utf-8", newline="\n") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    yield number, ResultLine.parse(raw)
                except LineError as exc:
                    raise InputError(f"{path}:{number}: not a result line ({exc})") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such run file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


class _Batches:
    """Rows buffered per table and written in batches of `BATCH_ROWS`."""

    def __init__(self, writer: TableWriter, summary: ExportSummary) -> None:
        self._writer = writer
        self._summary = summary
        self._pending: dict[str, tuple[Table, list[Row]]] = {}

    def add(self, table: Table, row: Row) -> None:
        _, rows = self._pending.setdefault(table.name, (table, []))
        rows.append(row)
        self._summary.rows[table.name] += 1
        if len(rows) >= BATCH_ROWS:
            self._flush(table.name)

    def _flush(self, name: str) -> None:
        table, rows = self._pending.pop(name)
        self._writer.write(table, rows)

    def flush_all(self) -> None:
        for name in list(self._pending):
            self._flush(name)


def _export_run(path: Path, run: str, batches: _Batches) -> None:
    first_line: dict[str, int] = {}
    for number, line in read_run(path):
        earlier = first_line.get(line.article)
        if earlier is not None and line.record is not None:
            raise InputError(
                f"{path}:{number}: article {line.article!r} already has a line (line "
                f"{earlier}); a run holds one line per article"
            )
        first_line.setdefault(line.article, number)
        for table, row in line_rows(run, number, line, first_for_article=earlier is None):
            batches.add(table, row)


def _cannot_write(target: Path, exc: OSError | sqlite3.Error) -> ConfigError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return ConfigError(f"--to {target}: cannot write: {reason}")


def export_runs(runs: Sequence[Path], target: Path) -> ExportSummary:
    """Flatten every line of `runs` into the tables at `target` (replaced if it exists).

    The format follows `target` (see `target_format`). Raises `InputError` for a run that is
    missing, unreadable or holds a line that is not a result line, and `ConfigError` for an
    unknown format, a missing optional package or an output that cannot be written; the
    target is then left as it was.
    """
    names = [str(path) for path in runs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"run given more than once: {', '.join(repeated)}")
    try:
        writer = open_writer(target)
    except (OSError, sqlite3.Error) as exc:
        raise _cannot_write(target, exc) from exc
    summary = ExportSummary(target=target, format=target_format(target))
    try:
        batches = _Batches(writer, summary)
        for path in runs:
            _export_run(path, str(path), batches)
            summary.runs += 1
        batches.flush_all()
        writer.finish()
    except (OSError, sqlite3.Error) as exc:
        writer.discard()
        raise _cannot_write(target, exc) from exc
    except BaseException:
        writer.discard()
        raise
    return summary
