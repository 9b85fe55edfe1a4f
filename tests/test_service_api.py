"""The service's endpoints in process (FastAPI's TestClient, a scripted backend, real SQLite):
answers, errors, keys, limits, budgets, idempotency, cancellation and cursors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from extractor.lines import ResultLine
from extractor.service.app import create_app
from extractor.service.costs import CostBound
from extractor.service.db import open_database
from extractor.service.models import ArticleIn
from extractor.service.store import Store
from extractor.settings import ServiceSettings, Settings
from tests.fakes import FakeBackend

PRICES = {"models": {"fake-model": {"input": 1.0, "output": 2.0}}}


@dataclass
class Served:
    client: TestClient
    store: Store
    backend: FakeBackend
    key: str
    db: str

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


def _settings(tmp_path: Path) -> Settings:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(PRICES), encoding="utf-8")
    return Settings.resolve(environ={}, cache=False, prices=prices, concurrency=4)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    config = ServiceSettings(db=db, wait=5.0, max_body_bytes=20_000, lease_seconds=5.0)
    backend = FakeBackend()
    store = Store(open_database(db))
    key = store.create_key("test", rpm=None, budget_usd=None)
    app = create_app(_settings(tmp_path), config, backend=backend)
    with TestClient(app) as client:
        yield Served(client, store, backend, key, db)


def _wait_done(served: Served, job_id: str, key: str | None = None) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = served.client.get(f"/v1/jobs/{job_id}", headers=served.auth(key)).json()
        if status["status"] in ("done", "cancelled") and status["counts"]["queued"] == 0 and \
                status["counts"]["running"] == 0:
            return dict(status)
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {status}")


def _articles(n: int) -> list[dict[str, str]]:
    return [{"id": f"a{i}", "text": f"Country{i} and Other{i} signed a pact on Monday."}
            for i in range(n)]


# ------------------------------------------------------------------ extract


def test_extract_answers_the_result_line(served: Served) -> None:
    answer = served.client.post(
        "/v1/extract",
        json={"id": "x1", "text": "Ruritania and Freedonia met.", "source": "Wire",
              "published": "2024-06-19"},
        headers=served.auth(),
    )
    assert answer.status_code == 200
    line = ResultLine.parse(answer.text)
    assert line.article == "x1" and line.record is not None
    assert line.record.article.source == "Wire"
    assert line.record.parties[0].name == "Ruritania"
    assert line.record.provenance is not None and line.record.provenance.usage.cost_usd == \
        pytest.approx((100 * 1.0 + 20 * 2.0) / 1e6)


def test_extract_past_the_wait_is_a_job_that_finishes(served: Served) -> None:
    served.backend.enqueue(0.5)
    answer = served.client.post(
        "/v1/extract?wait=0.05", json={"text": "Slowland spoke."}, headers=served.auth()
    )
    assert answer.status_code == 202
    job = answer.json()
    assert answer.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert _wait_done(served, job["id"])["status"] == "done"
    lines = served.client.get(job["results_url"], headers=served.auth()).text.splitlines()
    assert [ResultLine.parse(raw).article for raw in lines] == ["article"]


def test_a_backend_error_is_a_typed_error_line(served: Served) -> None:
    from extractor.errors import BackendError

    served.backend.enqueue(BackendError("the model went away"))
    answer = served.client.post("/v1/extract", json={"text": "Aland."}, headers=served.auth())
    assert answer.status_code == 200
    line = ResultLine.parse(answer.text)
    assert line.error is not None and line.error.type == "backend_error"


# ------------------------------------------------------------------ auth and errors


def test_no_key_or_a_wrong_key_is_401_and_the_key_is_not_echoed(served: Served) -> None:
    wrong = "exk_" + "W" * 43
    for headers in ({}, {"Authorization": f"Bearer {wrong}"}, {"Authorization": f"Basic {wrong}"}):
        answer = served.client.post("/v1/extract", json={"text": "A."}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert answer.json()["error"]["type"] == "unauthorized"
        assert wrong not in answer.text and wrong not in str(answer.headers)
    assert served.client.get("/v1/jobs/nope", headers={}).status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"text": "A."}', "application/json", "a JSON body is an array of articles"),
        (b'[{"txt": "A."}]', "application/json", "article 1: text: Field required"),
        (b'[{"text": "   "}]', "application/json", "article 1: text: the article text is empty"),
        (b'{"text": "A."}\n{"text": ', "application/x-ndjson", "line 2 is not JSON"),
        (b'{"text": "A.", "published": "June"}', "application/x-ndjson",
         "line 1: published: published date 'June' is not ISO"),
        (b'[{"id": "d", "text": "A."}, {"id": "d", "text": "B."}]', "application/json",
         "article 2: duplicate id 'd'"),
        (b"[]", "application/json", "the job has no articles"),
    ],
)
def test_malformed_job_bodies_are_422_with_a_clear_message(
    served: Served, body: bytes, content_type: str, message: str
) -> None:
    answer = served.client.post(
        "/v1/jobs", content=body, headers={**served.auth(), "Content-Type": content_type}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["type"] == "invalid_request"
    assert message in answer.json()["error"]["message"]


def test_a_malformed_extract_body_is_422_naming_the_field(served: Served) -> None:
    answer = served.client.post("/v1/extract", json={"title": "no text"}, headers=served.auth())
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("text: Field required")


def test_a_body_over_the_limit_is_413(served: Served) -> None:
    big = [{"text": "x" * 30_000}]
    answer = served.client.post("/v1/jobs", json=big, headers=served.auth())
    assert answer.status_code == 413
    assert "20,000 bytes" in answer.json()["error"]["message"]
    chunked = served.client.post(
        "/v1/jobs", content=iter([b"[", b'{"text": "' + b"y" * 25_000 + b'"}', b"]"]),
        headers={**served.auth(), "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


# ------------------------------------------------------------------ rate and budget


def test_past_the_keys_rate_is_429_with_retry_after(served: Served) -> None:
    key = served.store.create_key("slow", rpm=3, budget_usd=None)
    codes = [
        served.client.get("/v1/jobs", headers=served.auth(key)).status_code for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    limited = served.client.get("/v1/jobs", headers=served.auth(key))
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Another key is not limited by this one.
    assert served.client.get("/v1/jobs", headers=served.auth()).status_code == 200


def test_budget_admits_what_it_can_pay_for_and_charges_what_was_spent(
    served: Served, tmp_path: Path
) -> None:
    bound = _bound(served, tmp_path, "Aland and Bland met.")
    key = served.store.create_key("capped", rpm=None, budget_usd=bound * 1.5)
    body = {"text": "Aland and Bland met."}
    first = served.client.post("/v1/extract", json=body, headers=served.auth(key))
    second = served.client.post("/v1/extract", json=body, headers=served.auth(key))
    assert first.status_code == second.status_code == 200
    # One at a time fits (each is charged what it spent, far less than its bound)...
    spent = (100 * 1.0 + 20 * 2.0) / 1e6 * 2
    capped = next(k for k in served.store.list_keys() if k.name == "capped")
    assert capped.spent_usd == pytest.approx(spent) and capped.reserved_usd == pytest.approx(0)
    # ...but a job of two does not: its bound is over what is left.
    job = served.client.post("/v1/jobs", json=[body, body | {"id": "2"}],
                             headers=served.auth(key))
    assert job.status_code == 402
    assert job.json()["error"]["type"] == "budget_exceeded"


def test_concurrent_requests_cannot_overspend_a_budget(served: Served, tmp_path: Path) -> None:
    text = "Aland and Bland met."
    bound = _bound(served, tmp_path, text)
    key = served.store.create_key("race", rpm=None, budget_usd=bound * 5.5)
    gate = threading.Event()
    served.backend.enqueue(*[gate] * 40)  # every admitted article holds its reservation

    def submit(n: int) -> int:
        job = [{"id": "1", "text": text}]
        return served.client.post("/v1/jobs", json=job, headers=served.auth(key)).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(submit, range(40)))
    gate.set()
    assert codes.count(202) == 5 and codes.count(402) == 35
    raced = next(k for k in served.store.list_keys() if k.name == "race")
    assert raced.reserved_usd <= raced.budget_usd  # type: ignore[operator]


def _bound(served: Served, tmp_path: Path, text: str) -> float:
    from extractor.runner import make_step

    settings = _settings(tmp_path)
    bound = CostBound(make_step(served.backend, settings), settings)(ArticleIn(text=text))
    assert bound is not None and bound > 0
    return bound


# ------------------------------------------------------------------ jobs


def test_a_job_gives_one_line_per_article_in_input_order_with_a_cursor(served: Served) -> None:
    articles = _articles(12)
    body = "".join(json.dumps(a) + "\n" for a in articles)
    answer = served.client.post(
        "/v1/jobs", content=body,
        headers={**served.auth(), "Content-Type": "application/x-ndjson"},
    )
    assert answer.status_code == 202
    job_id = answer.json()["id"]
    status = _wait_done(served, job_id)
    assert status["counts"] == {"queued": 0, "running": 0, "done": 12, "records": 12,
                                "errors": {}}
    assert status["usage"] == {"input_tokens": 1200, "output_tokens": 240,
                               "cost_usd": pytest.approx(12 * 140 / 1e6)}
    seen: list[str] = []
    cursor = 0
    while True:
        page = served.client.get(f"/v1/jobs/{job_id}/results?cursor={cursor}&limit=5",
                                 headers=served.auth())
        seen += [ResultLine.parse(raw).article for raw in page.text.splitlines()]
        cursor = int(page.headers["X-Next-Cursor"])
        if page.headers["X-Complete"] == "true":
            break
    assert seen == [a["id"] for a in articles]


def test_idempotency_key_same_body_same_job_other_body_409(served: Served) -> None:
    headers = {**served.auth(), "Idempotency-Key": "batch-7"}
    first = served.client.post("/v1/jobs", json=_articles(2), headers=headers)
    again = served.client.post("/v1/jobs", json=_articles(2), headers=headers)
    other = served.client.post("/v1/jobs", json=_articles(3), headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 409
    assert first.json()["id"] in other.json()["error"]["message"]
    # The same Idempotency-Key from another API key is another job.
    key = served.store.create_key("other", rpm=None, budget_usd=None)
    mine = served.client.post("/v1/jobs", json=_articles(3),
                              headers={**served.auth(key), "Idempotency-Key": "batch-7"})
    assert mine.status_code == 202 and mine.json()["id"] != first.json()["id"]
    # And another key cannot see the first job.
    assert served.client.get(f"/v1/jobs/{first.json()['id']}",
                             headers=served.auth(key)).status_code == 404


def test_cancel_keeps_finished_lines_and_gives_the_rest_cancelled_lines(served: Served) -> None:
    release = threading.Event()
    served.backend.enqueue(*[release] * 100)
    job_id = served.client.post("/v1/jobs", json=_articles(40), headers=served.auth()).json()["id"]
    deadline = time.monotonic() + 10
    while served.client.get(f"/v1/jobs/{job_id}", headers=served.auth()).json()["counts"][
            "running"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    cancelled = served.client.delete(f"/v1/jobs/{job_id}", headers=served.auth())
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    release.set()
    status = _wait_done(served, job_id)
    kinds = [ResultLine.parse(raw).kind for raw in served.client.get(
        f"/v1/jobs/{job_id}/results", headers=served.auth()).text.splitlines()]
    assert len(kinds) == 40
    running_at_cancel = cancelled.json()["counts"]["running"]
    assert kinds.count("record") == running_at_cancel >= 1
    assert kinds.count("cancelled") == 40 - running_at_cancel
    assert status["counts"]["errors"] == {"cancelled": 40 - running_at_cancel}


# ------------------------------------------------------------------ operations


def test_health_ready_metrics_and_openapi(served: Served) -> None:
    served.client.post("/v1/extract", json={"text": "Aland."}, headers=served.auth())
    served.client.post("/v1/extract", json={"text": "Aland."})
    assert served.client.get("/healthz").json() == {"status": "ok"}
    assert served.client.get("/readyz").json() == {"status": "ready"}
    text = served.client.get("/metrics").text
    assert 'extract_http_requests_total{method="POST",route="/v1/extract",status="200"} 1' in text
    assert 'extract_http_requests_total{method="POST",route="/v1/extract",status="401"} 1' in text
    assert 'extract_articles_total{kind="record"} 1' in text
    assert 'extract_tokens_total{direction="input"} 100' in text
    assert 'extract_queue_depth{state="queued"} 0' in text
    assert 'extract_http_request_duration_seconds_count{route="/v1/extract"} 2' in text
    spec = served.client.get("/openapi.json").json()
    assert {"/v1/extract", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/results",
            "/v1/eval", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    assert "ArticleIn" in spec["components"]["schemas"]
    assert served.client.get("/docs").status_code == 200
