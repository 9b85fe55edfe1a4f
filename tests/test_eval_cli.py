"""`extract eval` end to end through CliRunner: exit codes, gate, bless, JSON and JUnit output."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.evaluation.gold import load_gold
from extractor.evaluation.metrics import HEADLINE_METRICS
from extractor.schema import EventRecord, Provenance

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
ARTICLES = FIXTURES / "articles"
GOLD = FIXTURES / "gold"


def provenance(article: str, backend: str = "fake") -> Provenance:
    return Provenance(
        article_id=article,
        article_sha256="0" * 64,
        backend=backend,
        model="fake-1",
        created_at="2024-06-20T00:00:00Z",
        extractor_version="test",
    )


def gold_records() -> dict[str, EventRecord]:
    return {a: g.record.model_copy(deep=True) for a, g in load_gold(GOLD, ARTICLES).items()}


def write_run(path: Path, records: dict[str, EventRecord], backend: str = "fake") -> Path:
    lines = []
    for article, record in records.items():
        record.provenance = provenance(article, backend)
        lines.append(json.dumps({"article": article, "record": record.model_dump(mode="json"),
                                 "fingerprint": "abc"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def degraded(records: dict[str, EventRecord]) -> dict[str, EventRecord]:
    records["accord_001"].allegations.pop()
    return records


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["eval", "--articles", str(ARTICLES), "--gold", str(GOLD), *map(str, args)]
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run.jsonl", gold_records())


def test_perfect_run_prints_the_table_and_exits_0(run_file: Path, tmp_path: Path) -> None:
    code, out, err = invoke("--predictions", run_file, "--baseline", tmp_path / "b.json")
    assert code == 0, err
    assert "eval fake@articles: 2 gold articles" in out
    for metric in HEADLINE_METRICS:
        line = next(row for row in out.splitlines() if row.startswith(metric))
        assert line.split()[1:3] == ["1.000", "1.000"], line


def test_invalid_json_line_exits_2_naming_file_and_line(run_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(run_file.read_text().splitlines()[0] + "\n{not json\n", encoding="utf-8")
    code, out, err = invoke("--predictions", broken, "--baseline", tmp_path / "b.json")
    assert code == 2
    assert f"{broken}: line 2: invalid JSON" in err
    assert out == ""


def test_schema_error_in_predictions_exits_2_with_the_reason(tmp_path: Path) -> None:
    records = gold_records()
    payload = records["accord_001"].model_dump(mode="json")
    payload["parties"][0]["role"] = "ally"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"article": "accord_001", "record": payload}) + "\n")
    code, _, err = invoke("--predictions", bad, "--name", "fake")
    assert code == 2
    assert "line 1: invalid record: parties.0.role" in err


def test_invalid_gold_exits_2(run_file: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    shutil.copytree(GOLD, gold)
    doc = json.loads((gold / "talks_002.json").read_text())
    doc["record"]["event_type"] = "party"
    (gold / "talks_002.json").write_text(json.dumps(doc))
    result = CliRunner().invoke(
        app, ["eval", "--articles", str(ARTICLES), "--gold", str(gold), "--predictions",
              str(run_file)],
    )
    assert result.exit_code == 2
    assert "talks_002.json: invalid record: event_type" in result.stderr


def test_error_lines_and_missing_articles_are_scored_empty_and_listed(tmp_path: Path) -> None:
    records = gold_records()
    run = write_run(tmp_path / "run.jsonl", {"accord_001": records["accord_001"]})
    with run.open("a") as handle:
        handle.write(json.dumps({"article": "ghost", "error": {"type": "input_error",
                                                               "message": "empty"}}) + "\n")
    code, out, _ = invoke("--predictions", run, "--baseline", tmp_path / "b.json")
    assert code == 0
    assert "talks_002: scored as empty (missing" in out
    assert "ghost: prediction has no gold; ignored" in out
    recall = next(r for r in out.splitlines() if r.startswith("parties.entity_f1")).split()
    assert recall[1] != "1.000"


def test_needs_exactly_one_source(tmp_path: Path) -> None:
    code, _, err = invoke("--baseline", tmp_path / "b.json")
    assert code == 2 and "exactly one of --backend" in err


def test_check_passes_on_the_blessed_run_and_fails_on_a_degraded_one(
    run_file: Path, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    code, _, err = invoke("--predictions", run_file, "--bless", "--baseline", baseline)
    assert code == 0, err
    stored = json.loads(baseline.read_text())
    entry = stored["fake@articles"]
    assert entry["scores"]["allegations.f1"] == 1.0
    assert set(entry["per_article"]) == {"accord_001", "talks_002"}
    assert entry["tolerance"]["allegations.f1"] == stored["default_tolerance"] == 0.02

    code, _, err = invoke("--predictions", run_file, "--check", "--baseline", baseline)
    assert code == 0, err
    assert "no regression" in err

    worse = write_run(tmp_path / "worse.jsonl", degraded(gold_records()))
    code, out, err = invoke("--predictions", worse, "--check", "--baseline", baseline)
    assert code == 1
    line = next(line for line in err.splitlines() if "allegations.f1" in line)
    assert "0.8000" in line and "1.0000" in line  # F1 of P 1, R 2/3
    assert "treaty_terms" not in err
    assert "[" in next(r for r in out.splitlines() if r.startswith("allegations.f1"))


def test_tolerance_absorbs_a_small_drop(run_file: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    invoke("--predictions", run_file, "--bless", "--baseline", baseline)
    doc = json.loads(baseline.read_text())
    doc["fake@articles"]["tolerance"]["allegations.f1"] = 0.2
    baseline.write_text(json.dumps(doc))
    worse = write_run(tmp_path / "worse.jsonl", degraded(gold_records()))
    code, _, err = invoke("--predictions", worse, "--check", "--baseline", baseline)
    assert code == 0, err


def test_check_without_a_baseline_entry_says_so(run_file: Path, tmp_path: Path) -> None:
    code, _, err = invoke("--predictions", run_file, "--check", "--baseline", tmp_path / "b.json")
    assert code == 0
    assert "no baseline scores for fake@articles" in err


def test_check_and_bless_exclude_each_other(run_file: Path, tmp_path: Path) -> None:
    code, _, err = invoke(
        "--predictions", run_file, "--check", "--bless", "--baseline", tmp_path / "b.json"
    )
    assert code == 2 and "exclude each other" in err


def test_junit_has_one_case_per_article_and_field(run_file: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    invoke("--predictions", run_file, "--bless", "--baseline", baseline)
    worse = write_run(tmp_path / "worse.jsonl", degraded(gold_records()))
    junit = tmp_path / "junit.xml"
    code, _, err = invoke("--predictions", worse, "--junit", junit, "--baseline", baseline)
    assert code == 0, err

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert {(c.get("classname"), c.get("name")) for c in cases} == {
        (f"eval.{a}", m) for a in ("accord_001", "talks_002") for m in HEADLINE_METRICS
    }
    assert len(cases) == 2 * len(HEADLINE_METRICS)
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert failed == {("eval.accord_001", "allegations.f1")}
    assert suite.get("failures") == "1"
    assert suite.get("tests") == str(len(cases))


def test_json_report_has_scores_and_decisions(run_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    worse = write_run(tmp_path / "worse.jsonl", degraded(gold_records()))
    code, _, err = invoke("--predictions", worse, "--json", out, "--baseline", tmp_path / "b.json")
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["key"] == "fake@articles"
    assert doc["micro"]["allegations.recall"] == pytest.approx(2 / 3)
    accord = next(a for a in doc["articles"] if a["article"] == "accord_001")
    missed = [d for d in accord["decisions"] if d["field"] == "allegations" and
              d["kind"] == "missed"]
    assert len(missed) == 1 and missed[0]["reason"].startswith("no predicted item")


def test_predictions_backend_key_comes_from_provenance(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run.jsonl", gold_records(), backend="openai")
    code, out, _ = invoke("--predictions", run, "--baseline", tmp_path / "b.json")
    assert code == 0 and "eval openai@articles" in out
    code, out, _ = invoke("--predictions", run, "--name", "gpt", "--baseline", tmp_path / "b.json")
    assert code == 0 and "eval gpt@articles" in out


def test_backend_option_runs_the_runner_then_scores_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extractor.runner

    calls: list[tuple[list[str], Path, str, bool]] = []

    def fake_run(paths: list[str], out: Path, settings: object, **kw: object) -> object:
        calls.append((paths, out, getattr(settings, "backend", ""), getattr(settings, "cache", 1)))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_run(out, degraded(gold_records()), backend="offline")
        return extractor.runner.RunSummary(output=str(out), backend="offline", articles=2)

    monkeypatch.setattr(extractor.runner, "run", fake_run)
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("--backend", "offline", "--no-cache", "--baseline", tmp_path / "b.json")
    assert code == 0, err
    assert calls == [([str(ARTICLES)], Path("out/eval-offline-articles.jsonl"), "offline", False)]
    assert "eval offline@articles" in out
    assert next(r for r in out.splitlines() if r.startswith("allegations.f1")).split()[1] == "0.800"


def test_a_backend_rejecting_the_credentials_is_not_scored_or_blessed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_openai import FakeOpenAI, HttpError

    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "b.json"
    with FakeOpenAI() as server:
        server.enqueue(*[HttpError(401, "Incorrect API key provided") for _ in range(10)])
        code, out, err = invoke(
            "--backend", "openai", "--base-url", server.base_url, "--model", "m", "--no-cache",
            "--bless", "--baseline", baseline,
        )  # fmt: skip
    assert code == 2
    assert "configuration error" in err and "check the API key" in err
    assert out == "" and not baseline.exists()
