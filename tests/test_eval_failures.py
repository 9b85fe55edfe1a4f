"""A run that failed on its articles is neither gated as passing nor blessed as the baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.evaluation.gate import MAX_ERROR_SHARE
from extractor.evaluation.gold import load_gold
from extractor.lines import ResultLine
from extractor.schema import EventRecord, Provenance

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def _gold_set(root: Path, copies: int) -> tuple[Path, Path]:
    """A gold set of `copies` articles, each a copy of the fixture's accord under its own id."""
    articles, gold = root / "articles", root / "gold"
    articles.mkdir(parents=True)
    gold.mkdir()
    document = json.loads((FIXTURES / "gold" / "accord_001.json").read_text(encoding="utf-8"))
    for i in range(copies):
        article = f"accord_{i:03d}"
        shutil.copy(FIXTURES / "articles" / "accord_001.txt", articles / f"{article}.txt")
        (gold / f"{article}.json").write_text(json.dumps({**document, "article": article}))
    return articles, gold


def _record(gold: Path, article: str) -> EventRecord:
    record = load_gold(gold, gold.parent / "articles")[article].record.model_copy(deep=True)
    record.provenance = Provenance(
        article_id=article,
        article_sha256="0" * 64,
        backend="fake",
        model="fake-1",
        created_at="2024-06-20T00:00:00Z",
        extractor_version="test",
    )
    return record


def _run(path: Path, gold: Path, articles: list[str], errors: set[str]) -> Path:
    """A run file: error lines for `errors`, the gold record for the other `articles`."""
    lines = [
        ResultLine.of_error(a, "backend_error", "server error 500", None)
        if a in errors
        else ResultLine.of_record(a, _record(gold, a), "f")
        for a in articles
    ]
    path.write_text("".join(line.dumps() + "\n" for line in lines), encoding="utf-8")
    return path


def _eval(articles: Path, gold: Path, *args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["eval", "--articles", str(articles), "--gold", str(gold), "--name", "fake",
         *map(str, args)],
    )  # fmt: skip
    return result.exit_code, result.stderr


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    articles, gold = _gold_set(tmp_path / "set", 2)
    return articles, gold, sorted(p.stem for p in articles.iterdir())


def test_an_all_error_run_fails_the_check_even_with_no_baseline(
    small: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    articles, gold, ids = small
    run = _run(tmp_path / "run.jsonl", gold, ids, errors=set(ids))
    code, err = _eval(articles, gold, "--predictions", run, "--check",
                      "--baseline", tmp_path / "none.json")  # fmt: skip
    assert code == 1
    assert "all 2 gold articles are error lines or missing" in err
    assert "nothing to check" not in err


def test_an_all_error_run_is_not_blessed_over_a_good_baseline(
    small: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    articles, gold, ids = small
    baseline = tmp_path / "baseline.json"
    good = _run(tmp_path / "good.jsonl", gold, ids, errors=set())
    assert _eval(articles, gold, "--predictions", good, "--bless", "--baseline", baseline)[0] == 0
    blessed = baseline.read_text()

    bad = _run(tmp_path / "bad.jsonl", gold, ids, errors=set(ids))
    code, err = _eval(articles, gold, "--predictions", bad, "--bless", "--baseline", baseline)
    assert code == 1
    assert "not blessed" in err
    assert baseline.read_text() == blessed


def test_an_all_error_run_is_not_blessed_as_a_first_baseline(
    small: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    articles, gold, ids = small
    baseline = tmp_path / "baseline.json"
    bad = _run(tmp_path / "bad.jsonl", gold, ids, errors=set(ids))
    code, _ = _eval(articles, gold, "--predictions", bad, "--bless", "--baseline", baseline)
    assert code == 1
    assert not baseline.exists()


def test_missing_lines_count_as_failures(
    small: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    articles, gold, ids = small
    half = _run(tmp_path / "half.jsonl", gold, ids[:1], errors=set())
    code, err = _eval(articles, gold, "--predictions", half, "--check",
                      "--baseline", tmp_path / "none.json")  # fmt: skip
    assert code == 1
    assert "1 of 2 gold articles (50%) are error lines or missing, above the 5%" in err


def test_bless_accepts_an_error_share_up_to_the_threshold_and_refuses_above_it(
    tmp_path: Path,
) -> None:
    assert MAX_ERROR_SHARE == 0.05  # the share evals/README.md documents
    articles, gold = _gold_set(tmp_path / "set", 20)
    ids = sorted(p.stem for p in articles.iterdir())
    baseline = tmp_path / "baseline.json"

    two = _run(tmp_path / "two.jsonl", gold, ids, errors=set(ids[:2]))  # 10%
    code, err = _eval(articles, gold, "--predictions", two, "--bless", "--baseline", baseline)
    assert code == 1 and "2 of 20 gold articles (10%)" in err
    assert not baseline.exists()

    one = _run(tmp_path / "one.jsonl", gold, ids, errors=set(ids[:1]))  # 5%
    code, err = _eval(articles, gold, "--predictions", one, "--bless", "--baseline", baseline)
    assert code == 0, err
    entry = json.loads(baseline.read_text())["fake@articles"]
    assert entry["per_article"][ids[0]]["parties.entity_f1"] == 0.0
    assert entry["per_article"][ids[1]]["parties.entity_f1"] == 1.0

    # The same run passes its own gate; the 10% run fails it, whatever its scores.
    assert _eval(articles, gold, "--predictions", one, "--check", "--baseline", baseline)[0] == 0
    code, err = _eval(articles, gold, "--predictions", two, "--check", "--baseline", baseline)
    assert code == 1 and "check failed: 2 of 20" in err


def test_the_json_report_gives_the_error_share(
    small: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    articles, gold, ids = small
    run = _run(tmp_path / "run.jsonl", gold, ids, errors={ids[0]})
    out = tmp_path / "scores.json"
    code, err = _eval(articles, gold, "--predictions", run, "--json", out,
                      "--baseline", tmp_path / "none.json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out.read_text())["error_share"] == 0.5
