"""Records carry their article's metadata: from the command line (--source, --published, --url),
from an HTML page's own tags, and from metadata.json, in that order of strength."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.cli import app
from tests.fakes import FakeBackend

runner = CliRunner()

PAGE = """<html><head><title>Talks end in Oslo | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:url" content="https://news.example/oslo-talks">
<meta property="article:published_time" content="2024-06-19T08:30:00+00:00">
</head><body><p>Oslo hosted talks between two delegations on Wednesday, officials said.</p>
</body></html>"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeBackend) -> None:
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["run", "--no-cache", *args], input=stdin)


def articles(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line)["record"]["article"] for line in result.stdout.splitlines()]


def test_flags_give_standard_input_its_metadata() -> None:
    result = invoke(
        "-", "--source", "Reuters", "--published", "2024-06-19", "--url", "https://r.example/1",
        stdin="Oslo hosted talks on Wednesday, officials said.\n",
    )  # fmt: skip
    (article,) = articles(result)
    assert article["id"] == "stdin"
    assert (article["source"], article["url"]) == ("Reuters", "https://r.example/1")
    assert article["published"] == article["published_earliest"] == "2024-06-19"


def test_an_html_page_gives_its_title_outlet_url_and_date(tmp_path: Path) -> None:
    (tmp_path / "oslo.html").write_text(PAGE, encoding="utf-8")
    (article,) = articles(invoke("oslo.html"))
    assert article["title"] == "Talks end in Oslo | Example News"
    assert article["source"] == "Example News"
    assert article["url"] == "https://news.example/oslo-talks"
    assert article["published"] == "2024-06-19"
    assert article["published_latest"] == "2024-06-19"


def test_metadata_json_beats_the_page_and_flags_beat_both(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "oslo.html").write_text(PAGE, encoding="utf-8")
    (folder / "metadata.json").write_text(
        json.dumps({"oslo": {"source": "Wire Desk", "url": None}}), encoding="utf-8"
    )
    (listed,) = articles(invoke(str(folder)))
    assert listed["source"] == "Wire Desk"
    assert listed["url"] == "https://news.example/oslo-talks"  # a null says nothing
    (flagged,) = articles(invoke(str(folder / "oslo.html"), "--source", "Flag Times"))
    assert flagged["source"] == "Flag Times"
    assert flagged["published"] == "2024-06-19"


def test_a_page_date_that_does_not_parse_is_ignored_with_a_warning(tmp_path: Path) -> None:
    page = PAGE.replace("2024-06-19T08:30:00+00:00", "last Tuesday")
    (tmp_path / "oslo.html").write_text(page, encoding="utf-8")
    result = invoke("oslo.html")
    (article,) = articles(result)
    assert article["published"] is None and article["source"] == "Example News"
    assert "article:published_time ignored" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["a.txt", "b.txt", "--source", "Reuters"],
        [".", "--url", "https://x.example"],
    ],
)
def test_flags_need_one_file_or_standard_input(tmp_path: Path, args: list[str]) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Oslo hosted talks.\n", encoding="utf-8")
    result = invoke(*args)
    assert result.exit_code == 2
    assert "give one input (a file or -)" in result.stderr
    assert result.stdout == ""


def test_a_bad_published_flag_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    result = invoke("a.txt", "--published", "June 19")
    assert result.exit_code == 2
    assert "--published: published date 'June 19' is not ISO" in result.stderr
