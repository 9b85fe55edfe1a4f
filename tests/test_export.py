"""`extract export`: a run as flat tables in SQLite, CSV, DuckDB and Parquet, with stable keys."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.export import TABLES
from extractor.lines import ResultLine
from extractor.schema import (
    Allegation,
    ArticleInfo,
    EventRecord,
    Evidence,
    Party,
    Provenance,
    Usage,
)
from tests.conftest import REPO, SEEDS

NORTH_KOREA_SQL_INTRO = "outlets reported an allegation against North Korea"


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline backend's run over seeds/ (as `make run` writes it)."""
    out = tmp_path_factory.mktemp("seeds") / "seeds.jsonl"
    code, err = _invoke("run", SEEDS, "--out", out, "--no-cache")
    assert code == 0, err
    return out


def _lines(run: Path) -> list[ResultLine]:
    text = run.read_text(encoding="utf-8")
    return [ResultLine.parse(raw) for raw in text.split("\n") if raw.strip()]


def _records(run: Path) -> Iterator[tuple[str, EventRecord]]:
    for line in _lines(run):
        if line.record is not None:
            yield line.article, line.record


def _readme_sql() -> str:
    """The SQL the README gives for the North Korea question."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(NORTH_KOREA_SQL_INTRO) :]
    found = re.search(r"```sql\n(.*?)```", after, re.DOTALL)
    assert found is not None, "README: no ```sql block after the North Korea question"
    return found.group(1)


def test_the_readme_query_names_the_outlets_whose_records_accuse_north_korea(
    seeds_run: Path, tmp_path: Path
) -> None:
    db = tmp_path / "seeds.sqlite"
    code, err = _invoke("export", seeds_run, "--to", db)
    assert code == 0, err

    with sqlite3.connect(db) as connection:
        answer = [row[0] for row in connection.execute(_readme_sql())]

    expected = sorted(
        {
            record.article.source
            for _, record in _records(seeds_run)
            if record.article is not None
            and record.article.source is not None
            and any("North Korea" in a.accused for a in record.allegations)
        }
    )
    assert answer == expected
    assert len(answer) >= 3  # the seeds come from several outlets


def test_every_item_of_every_record_is_one_row_under_its_key(
    seeds_run: Path, tmp_path: Path
) -> None:
    db = tmp_path / "seeds.sqlite"
    assert _invoke("export", seeds_run, "--to", db)[0] == 0
    connection = sqlite3.connect(db)
    run = str(seeds_run)

    for article, record in _records(seeds_run):
        def rows(sql: str, *, run: str = run, article: str = article) -> list[tuple[object, ...]]:
            return connection.execute(sql, (run, article)).fetchall()

        [head] = rows(
            "SELECT source, url, published, headline, title, event_type, event_date, location,"
            " backend, model, error_type FROM articles WHERE run = ? AND article_id = ?"
        )
        info, provenance = record.article, record.provenance
        assert info is not None and provenance is not None
        assert head == (
            info.source, info.url, info.published, info.title, record.title,
            record.event_type, record.date.value if record.date else None,
            record.location.name if record.location else None,
            provenance.backend, provenance.model, None,
        )  # fmt: skip
        assert rows(
            "SELECT party_index, name, type, role, represents FROM parties"
            " WHERE run = ? AND article_id = ? ORDER BY party_index"
        ) == [(i, p.name, p.type, p.role, p.represents) for i, p in enumerate(record.parties)]
        assert rows(
            "SELECT statement FROM terms WHERE run = ? AND article_id = ? ORDER BY term_index"
        ) == [(t.statement,) for t in record.treaty_terms]
        for side in ("alleged_by", "accused"):
            found = rows(
                "SELECT allegation_index, name FROM allegation_parties WHERE run = ? AND"
                f" article_id = ? AND side = '{side}' ORDER BY allegation_index, position"
            )
            wanted = [(i, n) for i, a in enumerate(record.allegations) for n in getattr(a, side)]
            assert found == wanted
        assert rows(
            "SELECT claim, answers_allegation FROM denials WHERE run = ? AND article_id = ?"
            " ORDER BY denial_index"
        ) == [(d.claim, d.allegation) for d in record.denials]
        spans = rows(
            "SELECT quote, start_char, end_char, verified FROM evidence"
            " WHERE run = ? AND article_id = ?"
        )
        assert sorted(spans) == sorted(
            (e.quote, e.start, e.end, int(e.verified)) for e in record.evidence_items()
        )


def test_every_column_can_be_named_in_sql_without_quotes(seeds_run: Path, tmp_path: Path) -> None:
    db = tmp_path / "seeds.sqlite"
    assert _invoke("export", seeds_run, "--to", db)[0] == 0
    connection = sqlite3.connect(db)
    for table in TABLES:
        connection.execute(f"SELECT {', '.join(table.column_names)} FROM {table.name}")


def _record(article: str, source: str, accused: list[str]) -> EventRecord:
    evidence = Evidence(quote="Q", start=0, end=1, verified=True, method="exact")
    allegation = Allegation(
        alleged_by=["United States"],
        accused=accused,
        claim="C\u2028still one line",
        evidence=evidence,
    )
    return EventRecord(
        title=f"Event {article}",
        summary="S",
        event_type="statement",
        parties=[
            Party(name=name, type="state", role="participant", evidence=evidence)
            for name in accused
        ],
        allegations=[allegation],
        article=ArticleInfo(id=article, source=source),
        provenance=Provenance(
            article_id=article,
            article_sha256="0" * 64,
            backend="fake",
            model="m",
            created_at="2024-06-20T00:00:00Z",
            extractor_version="test",
        ),
    )


def _write(path: Path, lines: list[ResultLine]) -> Path:
    path.write_text("".join(line.dumps() + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def mixed_run(tmp_path: Path) -> Path:
    """Two records, a failed article that had spent tokens, and a duplicate id's error line."""
    spent = Usage(input_tokens=900, output_tokens=50, requests=3, retries=2)
    return _write(
        tmp_path / "mixed.jsonl",
        [
            ResultLine.of_record("a1", _record("a1", "Reuters", ["North Korea"]), "f1"),
            ResultLine.of_error("a2", "backend_error", "server error 500", "f2", usage=spent),
            ResultLine.of_record("a3", _record("a3", "AP", ["Russia", "North Korea"]), "f3"),
            ResultLine.of_error("a1", "duplicate_id", "id 'a1' was already used", None),
        ],
    )


def test_errors_are_rows_too_and_a_duplicate_id_adds_no_second_article(
    mixed_run: Path, tmp_path: Path
) -> None:
    db = tmp_path / "out.db"
    code, err = _invoke("export", mixed_run, "--to", db)
    assert code == 0, err
    assert "exported 3 articles (2 error lines) from 1 run(s)" in err
    connection = sqlite3.connect(db)
    assert connection.execute(
        "SELECT article_id, line, error_type, input_tokens FROM articles ORDER BY line"
    ).fetchall() == [("a1", 1, None, 0), ("a2", 2, "backend_error", 900), ("a3", 3, None, 0)]
    assert connection.execute(
        "SELECT line, article_id, type, requests FROM errors ORDER BY line"
    ).fetchall() == [(2, "a2", "backend_error", 3), (4, "a1", "duplicate_id", None)]
    claims = connection.execute("SELECT claim, accused FROM allegations ORDER BY article_id")
    assert claims.fetchall() == [
        ("C\u2028still one line", "North Korea"),
        ("C\u2028still one line", "Russia; North Korea"),
    ]


def test_several_runs_are_told_apart_by_run(mixed_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_bytes(mixed_run.read_bytes())
    db = tmp_path / "both.sqlite"
    assert _invoke("export", mixed_run, other, "--to", db)[0] == 0
    rows = sqlite3.connect(db).execute(
        "SELECT run, COUNT(*) FROM articles GROUP BY run ORDER BY run"
    )
    assert rows.fetchall() == [(str(mixed_run), 3), (str(other), 3)]

    code, err = _invoke("export", mixed_run, mixed_run, "--to", tmp_path / "twice.sqlite")
    assert code == 2 and "run given more than once" in err


def _sqlite_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    connection = sqlite3.connect(db)
    return {
        t.name: sorted(connection.execute(f"SELECT * FROM {t.name}").fetchall(), key=repr)
        for t in TABLES
    }


def test_a_folder_gets_one_csv_per_table_with_the_same_rows(
    mixed_run: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "tables"
    assert _invoke("export", mixed_run, "--to", folder)[0] == 0
    db = tmp_path / "same.sqlite"
    assert _invoke("export", mixed_run, "--to", db)[0] == 0
    expected = _sqlite_rows(db)

    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t.name}.csv" for t in TABLES)
    for table in TABLES:
        raw = (folder / f"{table.name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheets then read it as UTF-8
        with (folder / f"{table.name}.csv").open(encoding="utf-8-sig", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        assert header == table.column_names
        assert len(rows) == len(expected[table.name])
    with (folder / "errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        duplicate = [r for r in csv.DictReader(handle) if r["type"] == "duplicate_id"]
    assert [(r["line"], r["requests"]) for r in duplicate] == [("4", "")]


def test_a_line_that_is_not_a_result_exits_2_and_leaves_the_old_output(
    mixed_run: Path, tmp_path: Path
) -> None:
    db = tmp_path / "out.sqlite"
    assert _invoke("export", mixed_run, "--to", db)[0] == 0
    before = db.read_bytes()
    broken = tmp_path / "broken.jsonl"
    broken.write_text(mixed_run.read_text(encoding="utf-8") + '{"article": "x"}\n')

    code, err = _invoke("export", broken, "--to", db)
    assert code == 2
    assert f"{broken}:5: not a result line" in err
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["mixed.jsonl", "broken.jsonl", "out.sqlite"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "--to", "out.sqlite"], "missing.jsonl: no such run file"),
        (["RUN", "--to", "out.xlsx"], "unknown format '.xlsx'"),
        (["RUN", "--to", "out.csv"], "unknown format '.csv'"),
        (["RUN", "--to", "folder.sqlite"], "folder.sqlite: is a folder, not a database file"),
        (["RUN", "--to", "mixed.jsonl/out.sqlite"], "cannot write"),
        (["folder.sqlite", "--to", "out.sqlite"], "folder.sqlite: cannot read"),
    ],
)
def test_usage_errors_exit_2_with_the_reason(
    args: list[str], message: str, mixed_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.sqlite").mkdir()
    code, err = _invoke("export", *[str(mixed_run) if a == "RUN" else a for a in args])
    assert code == 2 and message in err
    assert not (tmp_path / "out.sqlite").exists()


@pytest.mark.parametrize(
    ("target", "module", "extra"),
    [("out.duckdb", "duckdb", "duckdb"), ("out.parquet", "pyarrow", "parquet")],
)
def test_a_missing_optional_package_names_the_extra_and_exits_2(
    target: str, module: str, extra: str, mixed_run: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, module, None)  # `import` now raises ImportError
    code, err = _invoke("export", mixed_run, "--to", tmp_path / target)
    assert code == 2
    assert f"pip install 'extractor[{extra}]'" in err
    assert not (tmp_path / target).exists()


# DuckDB and pyarrow are exported and read back in a child process: loaded into the test
# process, their signal handling made a later Ctrl-C test of the runner miss its SIGINT.
_READ_BACK = """
import json, sys
from pathlib import Path
from extractor.export import TABLES, export_runs
run, target, kind, sql = sys.argv[1:]
export_runs([Path(run)], Path(target))
out = {}
if kind == "duckdb":
    import duckdb
    with duckdb.connect(target, read_only=True) as connection:
        for table in TABLES:
            out[table.name] = connection.execute(f"SELECT * FROM {table.name}").fetchall()
        out["answer"] = connection.execute(sql).fetchall()
else:
    import pyarrow.parquet as parquet
    for table in TABLES:
        read = parquet.read_table(Path(target) / f"{table.name}.parquet")
        assert read.column_names == table.column_names, table.name
        out[table.name] = [list(row.values()) for row in read.to_pylist()]
print(json.dumps(out))
"""


def _read_back(kind: str, run: Path, target: Path) -> dict[str, list[list[object]]]:
    pytest.importorskip("duckdb" if kind == "duckdb" else "pyarrow.parquet")
    done = subprocess.run(
        [sys.executable, "-c", _READ_BACK, str(run), str(target), kind, _readme_sql()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    read: dict[str, list[list[object]]] = json.loads(done.stdout)
    return read


def _as_sqlite(rows: list[list[object]]) -> list[tuple[object, ...]]:
    # SQLite stores booleans as 0/1.
    return sorted(
        (tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows), key=repr
    )


@pytest.mark.parametrize(("kind", "target"), [("duckdb", "out.duckdb"), ("parquet", "out.parquet")])
def test_duckdb_and_parquet_hold_the_same_rows_as_sqlite(
    kind: str, target: str, mixed_run: Path, tmp_path: Path
) -> None:
    read = _read_back(kind, mixed_run, tmp_path / target)
    assert _invoke("export", mixed_run, "--to", tmp_path / "out.sqlite")[0] == 0
    expected = _sqlite_rows(tmp_path / "out.sqlite")
    for table in TABLES:
        assert _as_sqlite(read[table.name]) == expected[table.name], table.name
    if kind == "duckdb":
        assert read["answer"] == [["AP"], ["Reuters"]]


def test_exporting_a_run_again_gives_the_same_rows_under_the_same_keys(
    seeds_run: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    assert _invoke("export", seeds_run, "--to", first)[0] == 0
    assert _invoke("export", seeds_run, "--to", second)[0] == 0
    assert _sqlite_rows(first) == _sqlite_rows(second)
    # And replacing an existing export changes nothing either.
    assert _invoke("export", seeds_run, "--to", second)[0] == 0
    assert _sqlite_rows(first) == _sqlite_rows(second)
