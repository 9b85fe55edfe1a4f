"""Where the tables go: SQLite (standard library), CSV files, DuckDB or Parquet (extras).

Each writer builds its output beside the target and moves it into place only when every line
has been read (`finish`); a failure part-way (`discard`) leaves the target as it was.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from extractor.errors import ConfigError
from extractor.export.tables import TABLES, ColumnType, Row, Table

Format = Literal["sqlite", "duckdb", "parquet", "csv"]

#: Rows buffered per table before they are handed to the database or file.
BATCH_ROWS = 2000

_SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


class TableWriter(Protocol):
    """Receives batches of rows per table; `finish` publishes them, `discard` drops them."""

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        """Append `rows` to `table`."""

    def finish(self) -> None:
        """Close and move the output into place."""

    def discard(self) -> None:
        """Close and remove whatever was written."""


def target_format(target: Path) -> Format:
    """The format a ``--to`` path asks for: by suffix, and a folder (or no suffix) is CSV."""
    suffix = target.suffix.lower()
    if suffix in _SQLITE_SUFFIXES:
        return "sqlite"
    if suffix == ".duckdb":
        return "duckdb"
    if suffix == ".parquet":
        return "parquet"
    if target.is_dir() or not suffix or str(target).endswith(("/", os.sep)):
        return "csv"
    raise ConfigError(
        f"--to {target}: unknown format {suffix!r}; use out.sqlite, out.duckdb, out.parquet "
        "or a folder (one CSV file per table)"
    )


def _create_table_sql(table: Table, types: dict[ColumnType, str]) -> str:
    columns = ", ".join(f"{name} {types[kind]}" for name, kind in table.columns)
    return f"CREATE TABLE {table.name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"


def _insert_sql(table: Table) -> str:
    marks = ", ".join("?" for _ in table.columns)
    return f"INSERT INTO {table.name} VALUES ({marks})"


class _FileDatabase:
    """A database file written under a temporary name and renamed over the target."""

    def __init__(self, target: Path) -> None:
        if target.is_dir():
            raise ConfigError(f"--to {target}: is a folder, not a database file")
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
        self.temporary = Path(name)
        # The databases create their own file; an empty one would not be theirs.
        self.temporary.unlink()

    def publish(self) -> None:
        os.replace(self.temporary, self.target)

    def remove(self) -> None:
        for suffix in ("", ".wal", "-journal"):
            Path(f"{self.temporary}{suffix}").unlink(missing_ok=True)


_SQLITE_TYPES: dict[ColumnType, str] = {
    "text": "TEXT",
    "integer": "INTEGER",
    "real": "REAL",
    "boolean": "INTEGER",
}


class SqliteWriter:
    """One SQLite database holding every table (booleans as 0/1)."""

    def __init__(self, target: Path) -> None:
        self._file = _FileDatabase(target)
        self._db = sqlite3.connect(self._file.temporary)
        for table in TABLES:
            self._db.execute(_create_table_sql(table, _SQLITE_TYPES))

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        self._db.executemany(_insert_sql(table), rows)

    def finish(self) -> None:
        self._db.commit()
        self._db.close()
        self._file.publish()

    def discard(self) -> None:
        self._db.close()
        self._file.remove()


def _optional(module: str, extra: str, target: Path) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(
            f"--to {target} needs the {module.split('.')[0]} package, an optional extra: "
            f"pip install 'extractor[{extra}]'"
        ) from exc


_DUCKDB_TYPES: dict[ColumnType, str] = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "real": "DOUBLE",
    "boolean": "BOOLEAN",
}


class DuckdbWriter:
    """One DuckDB database holding every table (``pip install 'extractor[duckdb]'``).

    Rows are staged as JSON Lines (which keep null, "" and booleans apart) and loaded with
    DuckDB's `read_json` at the end: its `executemany` inserts one row at a time, minutes for a
    run of 10,000 articles.
    """

    def __init__(self, target: Path) -> None:
        self._duckdb = _optional("duckdb", "duckdb", target)
        self._file = _FileDatabase(target)
        self._stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.rows.", dir=target.parent))
        self._files = {
            table.name: (self._stage / f"{table.name}.jsonl").open("w", encoding="utf-8")
            for table in TABLES
        }

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        names = table.column_names
        self._files[table.name].writelines(
            json.dumps(dict(zip(names, row, strict=True))) + "\n" for row in rows
        )

    def _load(self) -> None:
        db = self._duckdb.connect(str(self._file.temporary))
        try:
            for table in TABLES:
                db.execute(_create_table_sql(table, _DUCKDB_TYPES))
                types = ", ".join(f"'{n}': '{_DUCKDB_TYPES[k]}'" for n, k in table.columns)
                staged = str(self._stage / f"{table.name}.jsonl").replace("'", "''")
                db.execute(
                    f"INSERT INTO {table.name} SELECT {', '.join(table.column_names)} FROM "
                    f"read_json('{staged}', format='newline_delimited', columns={{{types}}})"
                )
        finally:
            db.close()

    def _close_stage(self) -> None:
        for handle in self._files.values():
            handle.close()

    def finish(self) -> None:
        self._close_stage()
        try:
            self._load()
        except BaseException:
            self.discard()
            raise
        shutil.rmtree(self._stage, ignore_errors=True)
        self._file.publish()

    def discard(self) -> None:
        self._close_stage()
        shutil.rmtree(self._stage, ignore_errors=True)
        self._file.remove()


class _FileFolder:
    """Files written into a temporary folder beside `target`, then moved into `target`."""

    def __init__(self, target: Path) -> None:
        if target.exists() and not target.is_dir():
            raise ConfigError(f"--to {target}: exists and is not a folder")
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))

    def publish(self) -> None:
        self.target.mkdir(exist_ok=True)
        for path in sorted(self.temporary.iterdir()):
            os.replace(path, self.target / path.name)
        self.temporary.rmdir()

    def remove(self) -> None:
        shutil.rmtree(self.temporary, ignore_errors=True)


def _csv_cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


class _FolderWriter:
    """A writer whose tables are files in a temporary folder, published whole by `finish`."""

    _folder: _FileFolder

    def _close(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self._close()
        self._folder.publish()

    def discard(self) -> None:
        self._close()
        self._folder.remove()


class CsvWriter(_FolderWriter):
    """A folder with one ``<table>.csv`` per table: UTF-8 with a byte-order mark (so that
    spreadsheets read it as UTF-8), a header row, empty cells for nulls, true/false."""

    def __init__(self, target: Path) -> None:
        self._folder = _FileFolder(target)
        self._files = {
            table.name: (self._folder.temporary / f"{table.name}.csv").open(
                "w", encoding="utf-8-sig", newline=""
            )
            for table in TABLES
        }
        self._writers = {name: csv.writer(handle) for name, handle in self._files.items()}
        for table in TABLES:
            self._writers[table.name].writerow(table.column_names)

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        self._writers[table.name].writerows([_csv_cell(v) for v in row] for row in rows)

    def _close(self) -> None:
        for handle in self._files.values():
            handle.close()


class ParquetWriter(_FolderWriter):
    """A folder ``out.parquet/`` with one ``<table>.parquet`` per table
    (``pip install 'extractor[parquet]'``)."""

    def __init__(self, target: Path) -> None:
        self._pa = _optional("pyarrow", "parquet", target)
        self._pq = _optional("pyarrow.parquet", "parquet", target)
        types: dict[ColumnType, Callable[[], Any]] = {
            "text": self._pa.string,
            "integer": self._pa.int64,
            "real": self._pa.float64,
            "boolean": self._pa.bool_,
        }
        self._schemas = {
            table.name: self._pa.schema([(name, types[kind]()) for name, kind in table.columns])
            for table in TABLES
        }
        self._folder = _FileFolder(target)
        self._writers = {
            table.name: self._pq.ParquetWriter(
                self._folder.temporary / f"{table.name}.parquet", self._schemas[table.name]
            )
            for table in TABLES
        }

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        columns = list(zip(*rows, strict=True))
        batch = self._pa.table(
            [self._pa.array(list(values), type=field.type)
             for values, field in zip(columns, self._schemas[table.name], strict=True)],
            schema=self._schemas[table.name],
        )  # fmt: skip
        self._writers[table.name].write_table(batch)

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()


def open_writer(target: Path) -> TableWriter:
    """The writer for `target`'s format; raises `ConfigError` for an unknown format or a
    missing optional package."""
    kind = target_format(target)
    if kind == "sqlite":
        return SqliteWriter(target)
    if kind == "duckdb":
        return DuckdbWriter(target)
    if kind == "parquet":
        return ParquetWriter(target)
    return CsvWriter(target)
