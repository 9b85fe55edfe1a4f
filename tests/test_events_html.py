"""The per-event HTML view and `extract eval --events --html`, also in headless Chromium."""

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
from tests.test_events import SIGNING, _record, _signing_reports, _write

CHROMIUM = shutil.which("chromium")
runner = CliRunner()


class _Cells(HTMLParser):
    """Each table cell's class and text, the source column heads, and the marked quotes."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []
        self.heads: list[str] = []
        self.marks: list[str] = []
        self._stack: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"td", "mark"} or (tag == "th" and dict(attrs).get("class") == "source"):
            self._stack.append((tag, dict(attrs).get("class") or "", []))

    def handle_data(self, data: str) -> None:
        for _, _, text in self._stack:
            text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1][0] == tag:
            name, kind, text = self._stack.pop()
            joined = "".join(text)
            if name == "td":
                self.cells.append((kind, joined))
            elif name == "th":
                self.heads.append(joined)
            else:
                self.marks.append(joined)


def _parse(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


def _pages(tmp_path: Path) -> tuple[Path, Path, Path]:
    moscow = _record(
        "a4", published="2024-06-20", date="2024-06-19", outlet="Post",
        **{**SIGNING, "location": "Moscow"},
    )
    run = _write(tmp_path / "run.jsonl", [*_signing_reports(), moscow])
    events, view = tmp_path / "events.jsonl", tmp_path / "events.html"
    # The first article's text, where its record's term quote sits at the offsets it gives.
    articles = tmp_path / "articles.jsonl"
    text = "mutual assistance in case of aggression, the treaty says, signed in Pyongyang."
    articles.write_text(json.dumps({"id": "a1", "text": text}) + "\n", "utf-8")
    args = ["events", str(run), "--out", str(events), "--html", str(view)]
    done = runner.invoke(app, [*args, "--articles", str(articles)])
    assert done.exit_code == 0, done.output
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"event_id": "g", "articles": ["a1", "a2", "a3", "a4"], "conflicts": []})
        + "\n",
        "utf-8",
    )
    scores = tmp_path / "scores.html"
    args = ["eval", "--events", str(events), "--gold-events", str(gold), "--html", str(scores)]
    done = runner.invoke(app, [*args, "--json", str(tmp_path / "scores.json")])
    assert done.exit_code == 0, done.output
    return view, scores, tmp_path / "scores.json"


def test_event_view_has_a_column_per_source_and_marks_the_disagreement(tmp_path: Path) -> None:
    view, _, _ = _pages(tmp_path)
    page = view.read_text("utf-8")
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "<script" not in page and "<link" not in page
    parsed = _parse(page)
    outlets = ["Wire", "Daily", "Herald", "Post"]
    assert len(parsed.heads) == 4
    assert all(head.startswith(outlet) for head, outlet in zip(parsed.heads, outlets, strict=True))
    # Two outlets say Pyongyang, two Moscow: a conflict, each side's cells marked as one.
    conflict = [text for kind, text in parsed.cells if kind == "conflict"]
    agree = [text for kind, text in parsed.cells if kind == "agree"]
    assert len(conflict) == 2 and all(text.startswith("Moscow") for text in conflict)
    assert any(text.startswith("Pyongyang") for text in agree)
    assert "Moscow" in parsed.marks and "mutual assistance in case of aggression" in parsed.marks
    _assert_article_marked(page)


def _assert_article_marked(page: str) -> None:
    # Only the article whose text was given is shown, its term's evidence marked in it.
    shown = re.findall(r"<details class=.article. data-article=.(\w+).", page)
    assert shown == ["a1"]
    article = page[page.index("<details") : page.index("</details>")]
    term = re.search(r"<mark class=.pred. title=.([^'\"]*).>([^<]*)</mark>", article)
    assert term is not None
    assert "term: mutual assistance in case of aggression" in term.group(1)
    assert "mutual assistance in case of aggression".startswith(term.group(2))


def test_eval_events_html_shows_the_same_numbers_as_the_json(tmp_path: Path) -> None:
    _, scores, json_path = _pages(tmp_path)
    document = json.loads(json_path.read_text("utf-8"))
    cells = _parse(scores.read_text("utf-8")).cells
    shown = [text for kind, text in cells if kind == "num"]
    assert f"{document['conll_f1']:.3f}" in shown
    assert f"{document['clustering']['lea']['f1']:.3f}" in shown
    assert f"{document['conflicts']['precision']:.3f}" in shown


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make browser installs it)")
def test_event_view_renders_in_headless_chromium(tmp_path: Path) -> None:
    view, scores, _ = _pages(tmp_path)
    for page in (view, scores):
        command = [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        parsed = _parse(done.stdout)
        assert len(parsed.heads) == 4
        assert sum(kind == "conflict" for kind, _ in parsed.cells) == 2
        assert "mutual assistance in case of aggression" in parsed.marks
        if page == view:
            _assert_article_marked(done.stdout)
