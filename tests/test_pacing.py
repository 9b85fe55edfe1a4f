"""Client-side limits: token buckets, the request gate, and what the endpoint sees over HTTP."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.articles import Article
from extractor.cli import app
from extractor.pacing import FairSlots, GateClosed, GatedBackend, RequestGate, TokenBucket
from tests.fake_openai import FakeOpenAI, rate_limited, server_error
from tests.fakes import FakeBackend
from tests.schema_answers import article_text


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, clock=clock, sleep=clock.sleep)  # one per second, ten in a burst

    for _ in range(10):
        bucket.acquire(1)
    assert clock.now == 0.0
    for _ in range(5):
        bucket.acquire(1)
    assert clock.now == pytest.approx(5.0)


def test_token_bucket_lets_an_oversized_request_through_as_debt() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, clock=clock, sleep=clock.sleep)  # capacity 100 tokens

    bucket.acquire(250)  # bigger than the bucket: allowed when full
    assert clock.now == 0.0
    bucket.acquire(10)  # must wait for the debt (150) and the 10 to refill at 10/s
    assert clock.now == pytest.approx(16.0)


def test_gate_holds_at_most_its_slots_at_once() -> None:
    gate = RequestGate(3)
    in_block = 0
    most = 0
    lock = threading.Lock()

    def one_request() -> None:
        nonlocal in_block, most
        with gate.request():
            with lock:
                in_block += 1
                most = max(most, in_block)
            time.sleep(0.02)
            with lock:
                in_block -= 1

    threads = [threading.Thread(target=one_request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most == 3


def test_gate_settles_the_token_budget_with_the_real_count() -> None:
    clock = FakeClock()
    tpm = TokenBucket(600, clock=clock, sleep=clock.sleep)  # 100 tokens, 10 a second
    gate = RequestGate(None, tpm=tpm)

    with gate.request(80) as ticket:
        ticket.tokens = 30  # the estimate was 50 too high: given back
    assert tpm.tokens == pytest.approx(70.0)
    with gate.request(60):
        pass  # no real count: the estimate stays spent
    assert tpm.tokens == pytest.approx(10.0)
    assert clock.now == 0.0


def test_gate_charges_extra_requests_of_a_whole_article_to_the_request_budget() -> None:
    clock = FakeClock()
    rpm = TokenBucket(60, clock=clock, sleep=clock.sleep)  # ten in a burst
    gate = RequestGate(None, rpm=rpm)

    with gate.request() as ticket:
        ticket.requests = 4  # one article that took a retry and two re-asks
    assert rpm.tokens == pytest.approx(6.0)


# ------------------------------------------------------------- over real HTTP


def write_articles(folder: Path, count: int) -> list[str]:
    folder.mkdir()
    for number in range(count):
        (folder / f"a{number:02d}.txt").write_text(
            f"Oslo hosted talks number {number} between Norway and Chile on Monday.\n",
            encoding="utf-8",
        )
    return [f"a{number:02d}" for number in range(count)]


def run_against(server: FakeOpenAI, folder: Path, out: Path, *flags: str) -> None:
    result = CliRunner().invoke(
        app,
        ["run", str(folder), "--out", str(out), "--backend", "openai", "--base-url",
         server.base_url, "--model", "m", "--no-cache", *flags],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_endpoint_sees_at_most_concurrency_requests_and_all_of_them_in_use(
    tmp_path: Path,
) -> None:
    write_articles(tmp_path / "in", 24)
    with FakeOpenAI(latency=0.05) as server:
        for _ in range(6):
            server.enqueue(server_error())  # retried articles must not add requests in flight
        run_against(server, tmp_path / "in", tmp_path / "out.jsonl", "--concurrency", "4")
        most = server.max_in_flight
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 24 and all('"record"' in line for line in lines)
    assert most == 4


def test_an_article_waiting_to_retry_leaves_its_slot_to_another(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    with FakeOpenAI() as server:
        server.enqueue(rate_limited("1"))  # the first request: come back in a second
        run_against(server, tmp_path / "in", tmp_path / "out.jsonl", "--concurrency", "1")
        asked = [article_text(request.body) for request in server.requests]
    assert len(asked) == 3
    # With one slot, the other article's request goes out while the first article waits; a
    # slot held through the wait would have sent the retry second.
    assert asked[1] != asked[0]
    assert asked[2] == asked[0]
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["article"] for line in lines] == ["a00", "a01"]


# ------------------------------------------------------- who settles the budgets


def test_llm_backend_pays_each_request_and_settles_with_the_reply_usage() -> None:
    from extractor.backends.openai_backend import OpenAIBackend, OpenAIConfig
    from tests.fake_openai import Reply

    clock = FakeClock()
    rpm = TokenBucket(600, clock=clock, sleep=clock.sleep)  # 100 requests in a burst
    tpm = TokenBucket(600_000, clock=clock, sleep=clock.sleep)  # 100,000 tokens in a burst
    gate = RequestGate(2, rpm=rpm, tpm=tpm)
    article = Article(id="a", text="Oslo hosted talks between Norway and Chile on Monday.")
    answer = Reply(content=None, prompt_tokens=700, completion_tokens=40)
    with FakeOpenAI() as server:
        server.enqueue(answer)
        config = OpenAIConfig(model="m", base_url=server.base_url, api_key="k" * 10)
        with OpenAIBackend(config, gate=gate, sleep=lambda _s: None) as backend:
            backend.extract(article)
            assert tpm.tokens == pytest.approx(100_000 - 740)  # the estimate, settled to 740
            assert rpm.tokens == pytest.approx(99.0)

            server.enqueue(server_error(), answer)
            usage = backend.extract(article).usage

    assert usage.requests == 2
    assert rpm.tokens == pytest.approx(97.0)  # the retry paid like a first request
    # The 500 said nothing of tokens: its estimate stays spent on top of the answer's 740.
    assert 100_000 - 2 * 740 - tpm.tokens > 100


def test_a_callers_backend_settles_with_its_usage() -> None:
    clock = FakeClock()
    rpm = TokenBucket(600, clock=clock, sleep=clock.sleep)
    tpm = TokenBucket(600_000, clock=clock, sleep=clock.sleep)
    backend = FakeBackend(tokens=(1_000, 200))
    GatedBackend(backend, RequestGate(1, rpm=rpm, tpm=tpm)).extract(
        Article(id="a", text="Oslo hosted talks.")
    )
    assert tpm.tokens == pytest.approx(100_000 - 1_200)
    assert rpm.tokens == pytest.approx(99.0)


def test_rpm_paces_a_real_run_over_http(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 12)
    with FakeOpenAI() as server:
        started = time.monotonic()
        # 60 a minute: a burst of ten, then one a second.
        run_against(server, tmp_path / "in", tmp_path / "out.jsonl", "--rpm", "60")
        elapsed = time.monotonic() - started
        sent = len(server.requests)
    assert sent == 12
    assert elapsed >= 1.8


def test_slots_go_first_come_first_served() -> None:
    slots = FairSlots(1)
    slots.acquire()
    order: list[str] = []

    def wait_for_a_slot(name: str) -> None:
        slots.acquire()
        order.append(name)
        slots.release()

    waiters = [threading.Thread(target=wait_for_a_slot, args=(name,)) for name in "abc"]
    for waiter in waiters:
        waiter.start()
        time.sleep(0.05)  # each is queued before the next starts
    slots.release()
    slots.acquire()  # taking it straight back must wait behind the three
    order.append("holder")
    slots.release()
    for waiter in waiters:
        waiter.join(timeout=5)
    assert order == ["a", "b", "c", "holder"]


def test_a_closed_gate_refuses_waiting_and_new_requests() -> None:
    gate = RequestGate(1)
    refused: list[BaseException] = []

    def wait_then_request() -> None:
        try:
            with gate.request():
                pass
        except GateClosed as exc:
            refused.append(exc)

    with gate.request():
        waiter = threading.Thread(target=wait_then_request)
        waiter.start()
        time.sleep(0.05)
        gate.close()
    waiter.join(timeout=5)
    assert len(refused) == 1 and refused[0].kind == "interrupted"
    with pytest.raises(GateClosed), gate.request():
        pass
