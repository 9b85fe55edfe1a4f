"""The web view: sign-in by cookie, jobs, articles, records with their evidence marked in the
article text, errors; and the pages as headless Chromium renders them."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from extractor.errors import BackendError
from extractor.lines import ResultLine
from extractor.service.app import create_app
from extractor.service.db import open_database
from extractor.service.store import Store
from extractor.settings import ServiceSettings, Settings
from tests.conftest import SEEDS
from tests.fakes import FakeBackend
from tests.service_server import free_port

CHROMIUM = shutil.which("chromium")


class _ArticleText(HTMLParser):
    """The text of the page's ``#text`` block, and which of its characters are in a <mark>."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.marked: set[int] = set()
        self._depth = 0
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += tag != "mark"
            self._in_mark = self._in_mark or tag == "mark"
        elif tag == "div" and dict(attrs).get("id") == "text":
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            if tag == "mark":
                self._in_mark = False
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            start = sum(map(len, self.text))
            if self._in_mark:
                self.marked.update(range(start, start + len(data)))
            self.text.append(data)


def article_text(page: str) -> tuple[str, set[int]]:
    parser = _ArticleText()
    parser.feed(page)
    return "".join(parser.text), parser.marked


def assert_evidence_marked(page: str, text: str, line: ResultLine) -> None:
    shown, marked = article_text(page)
    assert shown == text
    spans = [(e.start, e.end) for e in line.evidence()
             if e.verified and e.start is not None and e.end is not None]
    assert spans
    covered = {offset for start, end in spans for offset in range(start, end)}
    assert marked == covered


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[TestClient, str, FakeBackend]]:
    db = f"sqlite:///{tmp_path / 'web.sqlite'}"
    key = Store(open_database(db)).create_key("desk", rpm=None, budget_usd=None)
    backend = FakeBackend()
    app = create_app(Settings.resolve(environ={}, cache=False), ServiceSettings(db=db),
                     backend=backend)
    with TestClient(app) as client:
        yield client, key, backend


def test_pages_need_a_signed_in_key(web: tuple[TestClient, str, FakeBackend]) -> None:
    client, key, _ = web
    first = client.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/"
    assert "Sign in" in client.get("/login").text
    wrong = client.post("/login", json={"key": key + "x"})
    assert wrong.status_code == 401 and key not in wrong.text
    signed = client.post("/login", json={"key": key})
    assert signed.status_code == 200
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "signed in as desk" in client.get("/").text


def test_a_record_with_its_evidence_marked_and_an_error_line(
    web: tuple[TestClient, str, FakeBackend],
) -> None:
    client, key, backend = web
    auth = {"Authorization": f"Bearer {key}"}
    text = "Ruritania <b>and</b> Freedonia signed a treaty on fishing, officials said."
    line = ResultLine.parse(client.post("/v1/extract", json={"id": "r1", "text": text},
                                        headers=auth).text)
    backend.enqueue(BackendError("the model went away"))
    client.post("/v1/extract", json={"id": "e1", "text": "Aland spoke."}, headers=auth)
    client.post("/login", json={"key": key})

    jobs = client.get("/").text
    assert jobs.count('class="job"') == 2
    job_id = client.get("/v1/jobs", headers=auth).json()[1]["id"]
    listing = client.get(f"/jobs/{job_id}").text
    assert "r1" in listing and "record" in listing

    page = client.get(f"/jobs/{job_id}/articles/0").text
    assert "&lt;b&gt;and&lt;/b&gt;" in page and "<b>and</b>" not in page
    assert_evidence_marked(page, text, line)

    failed = client.get("/v1/jobs", headers=auth).json()[0]["id"]
    error = client.get(f"/jobs/{failed}/articles/0").text
    assert "backend_error: the model went away" in error


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make browser installs it)")
def test_the_article_page_in_headless_chromium(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'web.sqlite'}"
    key = Store(open_database(db)).create_key("desk", rpm=None, budget_usd=None)
    settings = Settings.resolve(environ={}, cache=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, ServiceSettings(db=db)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        seed = sorted(SEEDS.glob("*.txt"))[1]

        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/extract",
            json={"text": seed.read_text(encoding="utf-8"), "published": "2024-06-19"},
            headers={"Authorization": f"Bearer {key}"}, timeout=120,
        )
        line = ResultLine.parse(answer.text)
        job_id = httpx.get(f"http://127.0.0.1:{port}/v1/jobs",
                           headers={"Authorization": f"Bearer {key}"}).json()[0]["id"]
        page = f"/jobs/{job_id}/articles/0"
        command = [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000",
            "--dump-dom", f"http://127.0.0.1:{port}/login?next={page}#{key}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert done.returncode == 0, done.stderr[-2000:]
    assert line.record is not None
    assert "Article with evidence" in done.stdout, done.stdout[-2000:]
    assert_evidence_marked(done.stdout, seed.read_text(encoding="utf-8"), line)
    assert line.record.title in done.stdout
    assert key not in done.stdout


def test_a_jobs_events_page_has_one_column_per_source(tmp_path: Path) -> None:
    from extractor.events.build import build_events

    db = f"sqlite:///{tmp_path / 'events.sqlite'}"
    key = Store(open_database(db)).create_key("desk", rpm=None, budget_usd=None)
    metadata = json.loads((SEEDS / "metadata.json").read_text(encoding="utf-8"))
    articles = [
        {"id": path.stem, "text": path.read_text(encoding="utf-8"),
         **{k: v for k, v in metadata.get(path.stem, {}).items()
            if k in ("source", "published", "url")}}
        for path in sorted(SEEDS.glob("*.txt"))
    ]
    app = create_app(Settings.resolve(environ={}, cache=False), ServiceSettings(db=db))
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {key}"}
        job_id = client.post("/v1/jobs", json=articles, headers=auth).json()["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/v1/jobs/{job_id}", headers=auth).json()["status"] != "done":
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.1)
        run = tmp_path / "run.jsonl"
        run.write_text(client.get(f"/v1/jobs/{job_id}/results", headers=auth).text, "utf-8")
        client.post("/login", json={"key": key})
        page = client.get(f"/jobs/{job_id}/events").text
    expected = build_events([run]).events
    assert page.count('<h2 class="event">') == len(expected) >= 1
    assert page.count('<th class="source">') == sum(len(e.articles) for e in expected) == 5
    outlets = {a.get("source") for a in articles} - {None}
    assert outlets and all(f">{outlet}</a>" in page for outlet in outlets)
