"""Every command maps every failure to a documented exit code; a bug is exit 70 with a log."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from extractor.cli import app
from tests.conftest import REPO

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where internal-error logs go


@pytest.fixture(scope="module")
def _seeds_done(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds' articles and gold, and a run of them (the offline backend), made once."""
    folder = tmp_path_factory.mktemp("seeds-run")
    shutil.copytree(REPO / "evals" / "gold", folder / "gold")
    shutil.copytree(REPO / "seeds", folder / "seeds")
    result = runner.invoke(app, ["run", str(folder / "seeds"), "--out", str(folder / "run.jsonl")])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def _seeds_run(_seeds_done: Path, tmp_path: Path) -> None:
    shutil.copytree(_seeds_done, tmp_path, dirs_exist_ok=True)


def _eval(*extra: str) -> list[str]:
    return ["eval", "--predictions", "run.jsonl", "--articles", "seeds", "--gold", "gold", *extra]


@pytest.mark.usefixtures("_seeds_run")
def test_an_unwritable_report_path_is_an_output_error_not_a_regression(tmp_path: Path) -> None:
    Path("plain").write_text("a file, not a folder\n", encoding="utf-8")
    for option in ("--json", "--html", "--junit"):
        result = runner.invoke(app, _eval(option, "plain/report.out"))
        assert result.exit_code == 74, (option, result.output)
        assert "cannot write plain/report.out" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.usefixtures("_seeds_run")
def test_a_baseline_that_is_not_utf_8_is_a_usage_error(tmp_path: Path) -> None:
    Path("baseline.json").write_bytes(b'{"x": "\xff\xfe"}')
    result = runner.invoke(app, _eval("--baseline", "baseline.json", "--check"))
    assert result.exit_code == 2, result.output
    assert "baseline.json: not valid UTF-8" in result.output


@pytest.mark.usefixtures("_seeds_run")
def test_a_folder_named_like_a_gold_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "gold" / "x.json").mkdir()
    result = runner.invoke(app, _eval())
    assert result.exit_code == 2, result.output
    assert "x.json: cannot read gold file" in result.output


def test_show_of_a_file_that_is_not_utf_8_is_a_usage_error() -> None:
    Path("bad.jsonl").write_bytes(b'{"article": "\xff"}\n')
    result = runner.invoke(app, ["show", "bad.jsonl"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a bug in the code")


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (["run", "seeds"], "extractor.runner.run"),
        (["eval", "--predictions", "run.jsonl"], "extractor.evaluation.command.run_eval"),
        (["schema"], "extractor.schema.record_json_schema"),
        (["show", "run.jsonl"], "extractor.cli.show.render_record"),
    ],
)
@pytest.mark.usefixtures("_seeds_run")
def test_a_bug_in_any_command_is_exit_70_with_its_traceback_in_a_named_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], target: str
) -> None:
    monkeypatch.setattr(target, _boom)
    result = runner.invoke(app, command)
    assert result.exit_code == 70, result.output
    assert "internal error" in result.output and "a bug in the code" in result.output
    match = re.search(r"the traceback is in (\S+\.log)", result.output)
    assert match is not None, result.output
    log = Path(match.group(1)).read_text(encoding="utf-8")
    assert "Traceback" in log and "RuntimeError: a bug in the code" in log


def test_a_new_command_gets_the_same_mapping(tmp_path: Path) -> None:
    from extractor.cli.failures import ExtractorTyper
    from extractor.errors import ConfigError

    extra = ExtractorTyper()

    @extra.command("broken")
    def broken(kind: str) -> None:
        if kind == "config":
            raise ConfigError("no such setting")
        if kind == "disk":
            raise OSError(28, "No space left on device")
        raise typer.Exit(0)

    @extra.command("other")
    def other() -> None:  # a second command, so that typer keeps command names
        raise KeyboardInterrupt

    assert runner.invoke(extra, ["broken", "config"]).exit_code == 2
    assert runner.invoke(extra, ["broken", "disk"]).exit_code == 74
    assert runner.invoke(extra, ["broken", "fine"]).exit_code == 0
    assert runner.invoke(extra, ["other"]).exit_code == 130


def test_ctrl_c_during_a_run_is_exit_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("extractor.runner.run", interrupted)
    result = runner.invoke(app, ["run", "seeds"])
    assert result.exit_code == 130, result.output


def test_numbers_too_large_for_a_setting_are_a_usage_error() -> None:
    Path("a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    too_large = (("-j", "3000000000"), ("--max-chars", "10000000000"), ("--timeout", "1e9"))
    for option, value in too_large:
        result = runner.invoke(app, ["run", "a.txt", option, value])
        assert result.exit_code == 2, (option, result.output)
        assert "must be at most" in result.output or "must be an integer" in result.output


def test_a_bug_in_one_article_is_exit_70_and_its_traceback_is_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    for name in ("a", "b"):
        (tmp_path / "in" / f"{name}.txt").write_text(f"Oslo hosted talks {name}.\n", "utf-8")

    def broken(article: object, backend: object, **options: object) -> None:
        raise KeyError("a bug in the pipeline")

    monkeypatch.setattr("extractor.article_step.extract_record", broken)
    result = runner.invoke(app, ["run", "in", "--out", "out.jsonl", "--no-cache"])
    assert result.exit_code == 70, result.output
    assert len(Path("out.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    match = re.search(r"internal errors \(a bug\) 2: the tracebacks are in (\S+)", result.output)
    assert match is not None, result.output
    assert Path(match.group(1)).read_text(encoding="utf-8").count("KeyError") >= 2


def test_cache_write_failures_are_counted_in_the_summary(fake: object) -> None:
    Path("a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    Path("cache").write_text("a file where the cache folder should be\n", encoding="utf-8")
    args = ["run", "a.txt", "-o", "out.jsonl", "--cache-dir", "cache", "--summary-json", "s.json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "cache write failures 1" in result.output
    assert json.loads(Path("s.json").read_text(encoding="utf-8"))["cache_write_errors"] == 1
