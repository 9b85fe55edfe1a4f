"""`extract serve` over real HTTP: a uvicorn subprocess on 127.0.0.1, killed and restarted,
stopped with SIGTERM, and loaded by concurrent clients; keys never appear in logs or tables."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from extractor.backends.registry import create_backend
from extractor.lines import ResultLine
from extractor.runner import make_step
from extractor.service.costs import CostBound
from extractor.service.db import open_database
from extractor.service.models import ArticleIn
from extractor.service.store import Store
from extractor.settings import Settings
from tests.fake_openai import MODEL, FakeOpenAI
from tests.service_server import Server, create_key, short_articles

pytestmark = pytest.mark.slow

#: The load test: 32 clients, each sending this many requests, over four rate-limited keys.
REQUESTS_PER_CLIENT = 25


def _db(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "service.sqlite"
    return f"sqlite:///{path}", path


def _done(client: httpx.Client, job_id: str) -> int:
    return int(client.get(f"/v1/jobs/{job_id}").json()["counts"]["done"])


def _wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _all_results(client: httpx.Client, job_id: str) -> list[str]:
    lines: list[str] = []
    cursor = 0
    while True:
        page = client.get(f"/v1/jobs/{job_id}/results", params={"cursor": cursor, "limit": 64})
        assert page.status_code == 200
        lines += page.text.splitlines()
        cursor = int(page.headers["X-Next-Cursor"])
        if page.headers["X-Complete"] == "true":
            return lines
        time.sleep(0.05)


def _states(path: Path) -> Counter[str]:
    with sqlite3.connect(path) as conn:
        return Counter(dict(conn.execute(
            "SELECT state, count(*) FROM job_articles GROUP BY state").fetchall()))


def _llm_args(fake: FakeOpenAI) -> tuple[str, ...]:
    # The LLM path against a slow fake server: articles take a while and eight are in flight,
    # so a kill or a SIGTERM always lands mid-article.
    return ("--backend", "openai", "--base-url", fake.base_url, "--model", MODEL,
            "--no-cache", "-j", "8")


def test_sigterm_drains_then_kill_9_then_restart_gives_one_line_per_article(
    tmp_path: Path,
) -> None:
    db, path = _db(tmp_path)
    key = create_key(db, "ingest")
    articles = short_articles(200)
    with FakeOpenAI(latency=0.25) as fake:
        args = (*_llm_args(fake), "--lease-seconds", "1")

        # SIGTERM mid-job: the articles under way finish and are written, the rest stay queued.
        first = Server(db, tmp_path / "first.log", *args).start()
        with first.client(key) as client:
            job_id = client.post("/v1/jobs", json=articles).json()["id"]
            _wait_until(lambda: _done(client, job_id) >= 16, 60, "16 articles done")
        # uvicorn re-raises the signal once it has shut down: the status a shell shows as 143.
        assert first.terminate() == -signal.SIGTERM
        assert "Application shutdown complete" in first.logs()
        states = _states(path)
        assert states["leased"] == 0 and states["done"] >= 16, states
        assert states["done"] + states["queued"] == 200
        with sqlite3.connect(path) as conn:
            kept = dict(conn.execute(
                "SELECT article_id, line FROM job_articles WHERE state='done'"))

        # kill -9 mid-job: the articles it held are leased again once their leases run out.
        second = Server(db, tmp_path / "second.log", *args).start()
        try:
            with second.client(key) as client:
                _wait_until(lambda: _done(client, job_id) >= len(kept) + 40, 60,
                            "40 more articles done")
        finally:
            second.kill()
        states = _states(path)
        assert states["leased"] >= 1 and states["done"] < 200, states

        third = Server(db, tmp_path / "third.log", *args).start()
        try:
            with third.client(key) as client:
                _wait_until(lambda: _done(client, job_id) == 200, 120, "the job to finish")
                raw_lines = _all_results(client, job_id)
                status = client.get(f"/v1/jobs/{job_id}").json()
        finally:
            third.terminate()
    lines = [ResultLine.parse(raw) for raw in raw_lines]
    assert [line.article for line in lines] == [a["id"] for a in articles]
    assert all(line.record is not None for line in lines)
    assert status["status"] == "done" and status["counts"]["records"] == 200
    # The lines finished before the SIGTERM are the ones served at the end, unchanged.
    by_id = dict(zip((line.article for line in lines), raw_lines, strict=True))
    assert all(by_id[article_id] == line for article_id, line in kept.items())
    # The articles under way at the kill were leased again, and each still has one line.
    with sqlite3.connect(path) as conn:
        again = conn.execute("SELECT count(*) FROM job_articles WHERE attempts > 1").fetchone()[0]
    assert again >= 1


def test_load_keys_rates_and_no_key_in_any_log_or_column(tmp_path: Path) -> None:
    db, path = _db(tmp_path)
    rpm = 40
    store = Store(open_database(db))
    keys = [store.create_key(f"client-{n}", rpm=rpm, budget_usd=None) for n in range(4)]
    store.engine.dispose()
    server = Server(db, tmp_path / "serve.log", "--cache-dir", str(tmp_path / "cache")).start()
    articles = short_articles(8)
    codes: dict[str, Counter[int]] = {key: Counter() for key in keys}
    retry_after: list[int] = []
    lock = threading.Lock()

    def client_run(n: int) -> None:
        key = keys[n % len(keys)]
        with server.client(key) as client:
            for i in range(REQUESTS_PER_CLIENT):
                answer = client.post("/v1/extract", json=articles[(n + i) % len(articles)])
                with lock:
                    codes[key][answer.status_code] += 1
                if answer.status_code == 200:
                    assert ResultLine.parse(answer.text).record is not None
                elif answer.status_code == 429:
                    with lock:
                        retry_after.append(int(answer.headers["Retry-After"]))

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(client_run, range(32)))
        elapsed = time.monotonic() - started
        with server.client(keys[0]) as client:
            metrics = httpx.get(f"{server.url}/metrics").text
            bad = client.post("/v1/extract", json={"text": "x"},
                              headers={"Authorization": f"Bearer {keys[0]}x"})
            assert bad.status_code == 401
    finally:
        server.terminate()
    for key in keys:
        assert sum(codes[key].values()) == 8 * REQUESTS_PER_CLIENT
        assert set(codes[key]) <= {200, 429}
        assert codes[key][200] <= rpm
        if elapsed < 55:  # all inside one minute: exactly the rate was admitted
            assert codes[key][200] == rpm, (codes, elapsed)
    assert retry_after and all(1 <= wait <= 60 for wait in retry_after)
    assert f'route="/v1/extract",status="429"}} {sum(c[429] for c in codes.values())}' in metrics

    # No key, nor the wrong one sent above, in the server's log or any column of any table.
    logs = server.logs()
    assert "POST /v1/extract" in logs
    with sqlite3.connect(path) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master "
                                                    "WHERE type='table'")]
        cells = [str(value) for table in tables
                 for row in conn.execute(f'SELECT * FROM "{table}"') for value in row]
    assert len(cells) > 1000
    for key in keys:
        assert key not in logs
        assert not any(key in cell for cell in cells)


def test_concurrent_requests_over_http_cannot_overspend_a_budget(tmp_path: Path) -> None:
    db, path = _db(tmp_path)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": {MODEL: {"input": 2.0, "output": 8.0}}}))
    text = "Delegations of France and Germany met in Oslo on Monday, officials said."
    with FakeOpenAI(latency=0.5) as fake:
        flags = {"backend": "openai", "base_url": fake.base_url, "model": MODEL,
                 "prices": prices, "cache": False, "concurrency": 32}
        settings = Settings.resolve(environ={}, **flags)
        bound = CostBound(make_step(create_backend(settings), settings), settings)(
            ArticleIn(text=text))
        assert bound is not None
        budget = bound * 6.5
        store = Store(open_database(db))
        key = store.create_key("capped", rpm=None, budget_usd=budget)
        store.engine.dispose()
        server = Server(
            db, tmp_path / "serve.log", "--backend", "openai", "--base-url", fake.base_url,
            "--model", MODEL, "--prices", str(prices), "--no-cache", "-j", "32",
        ).start()
        try:
            def client_run(n: int) -> list[int]:
                with server.client(key) as client:
                    return [client.post("/v1/extract", json={"id": f"c{n}", "text": text})
                            .status_code for _ in range(4)]

            with ThreadPoolExecutor(32) as pool:
                codes = Counter(code for run in pool.map(client_run, range(32)) for code in run)
        finally:
            server.terminate()
        in_flight = fake.max_in_flight
    assert set(codes) == {200, 402} and codes[402] > 0
    # Never more articles at the model at once than the budget can bound.
    assert 1 <= in_flight <= 6
    with sqlite3.connect(path) as conn:
        spent, reserved = conn.execute(
            "SELECT spent_usd, reserved_usd FROM api_keys").fetchone()
        charged = conn.execute("SELECT sum(cost_usd) FROM job_articles").fetchone()[0]
    assert spent == pytest.approx(charged) and spent <= budget
    assert reserved == pytest.approx(0, abs=1e-12)
