"""The HTML report: highlight logic, and the page as headless Chromium renders it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.evaluation.gold import load_gold
from extractor.evaluation.metrics import Highlight
from extractor.evaluation.report_html import mark_text

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
ARTICLES = FIXTURES / "articles"
GOLD = FIXTURES / "gold"
CHROMIUM = shutil.which("chromium")


class _Marks(HTMLParser):
    """Collects the text inside each <mark> with its classes."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, str]] = []
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark":
            self._open = dict(attrs).get("class") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._open is not None:
            self.marks.append((self._open, "".join(self._text)))
            self._open = None


def marks_in(html: str) -> list[tuple[str, str]]:
    parser = _Marks()
    parser.feed(html)
    return parser.marks


def test_mark_text_escapes_and_splits_overlaps() -> None:
    text = "a <b> & c d"
    html = mark_text(text, [Highlight(0, 5, "gold", "x"), Highlight(2, 9, "pred", "y")])
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert marks_in(html) == [("gold", "a "), ("gold pred", "<b>"), ("pred", " & c")]


def _write_run(tmp_path: Path) -> Path:
    records = {a: g.record.model_copy(deep=True) for a, g in load_gold(GOLD, ARTICLES).items()}
    # One quote the article does not contain, so the page has gold-only marks too.
    records["accord_001"].treaty_terms[1].evidence.quote = "a joint commission of monitors"
    run = tmp_path / "run.jsonl"
    run.write_text(
        "\n".join(
            json.dumps({"article": a, "record": r.model_dump(mode="json")})
            for a, r in records.items()
        )
        + "\n",
        encoding="utf-8",
    )
    return run


def _report(tmp_path: Path) -> Path:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        ["eval", "--articles", str(ARTICLES), "--gold", str(GOLD), "--predictions",
         str(_write_run(tmp_path)), "--name", "fake", "--baseline", str(tmp_path / "b.json"),
         "--html", str(html)],
    )
    assert result.exit_code == 0, result.stderr
    return html


def test_report_is_self_contained(tmp_path: Path) -> None:
    page = _report(tmp_path).read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "<script" not in page and "<link" not in page
    assert "quote not found in the article" in page


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make browser installs it)")
def test_report_renders_in_headless_chromium_with_highlights(tmp_path: Path) -> None:
    html = _report(tmp_path)
    profile = tmp_path / "profile"
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        f"--user-data-dir={profile}", "--dump-dom", html.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    marks = marks_in(done.stdout)

    both = {text for cls, text in marks if cls == "gold pred"}
    gold_only = {text for cls, text in marks if cls == "gold"}
    assert "Ruritania denied shelling any villages" in both
    assert "to set up a joint monitoring commission" in gold_only
    assert any("talks mediated by Switzerland" in text for text in both)
    assert "<mark" in done.stdout and "Article with evidence" in done.stdout
