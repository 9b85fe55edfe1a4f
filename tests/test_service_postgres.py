"""Two `extract serve` processes on one Postgres: both serve any job's status and results, share
its articles through leases (each article written once), and one killed mid-job leaves the other
to finish it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from extractor.lines import ResultLine
from extractor.service.db import job_articles, open_database
from extractor.service.store import Store
from tests.fake_openai import MODEL, FakeOpenAI
from tests.postgres import NoPostgres, start_cluster
from tests.service_server import Server, short_articles

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    try:
        with start_cluster() as url:
            yield url
    except NoPostgres as reason:
        pytest.skip(f"no throwaway Postgres: {reason}")


def test_two_servers_on_one_postgres_share_a_job(postgres: str, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    store = Store(open_database(postgres))
    key = store.create_key("shared", rpm=None, budget_usd=None)
    articles = short_articles(100)
    with FakeOpenAI(latency=0.2) as fake:
        args = ("--backend", "openai", "--base-url", fake.base_url, "--model", MODEL,
                "--no-cache", "-j", "4", "--lease-seconds", "1")
        one = Server(postgres, folder / "one.log", *args)
        two = Server(postgres, folder / "two.log", *args)
        one.start()
        two.start()
        try:
            with one.client(key) as first, two.client(key) as second:
                job_id = first.post("/v1/jobs", json=articles).json()["id"]
                # The second process sees the job the first one took in.
                assert second.get(f"/v1/jobs/{job_id}").json()["articles"] == 100
                deadline = time.monotonic() + 60
                while second.get(f"/v1/jobs/{job_id}").json()["counts"]["done"] < 30:
                    assert time.monotonic() < deadline, "30 articles not done in 60 s"
                    time.sleep(0.05)
                one.kill()  # kill -9 mid-job: the second finishes its articles too
                deadline = time.monotonic() + 120
                while (status := second.get(f"/v1/jobs/{job_id}").json())["status"] != "done":
                    assert time.monotonic() < deadline, f"job not done: {status}"
                    time.sleep(0.05)
                page = second.get(f"/v1/jobs/{job_id}/results", params={"limit": 1000})
        finally:
            one.kill()
            two.terminate()
    lines = [ResultLine.parse(raw) for raw in page.text.splitlines()]
    assert [line.article for line in lines] == [a["id"] for a in articles]
    assert status["counts"]["records"] == 100 and page.headers["X-Complete"] == "true"
    with store.engine.connect() as conn:
        owners = conn.execute(
            select(func.count(func.distinct(job_articles.c.lease_owner)))
            .where(job_articles.c.job_id == job_id)
        ).scalar_one()
    assert owners == 2  # both processes leased and wrote lines of the one job
    store.engine.dispose()
