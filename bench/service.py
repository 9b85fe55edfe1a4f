"""``python -m bench.service``: `extract serve` against `extract run`, offline backend, no cache.

The same synthetic articles (`bench.corpus`) go through `extract run` in one process (``-j 1``:
no worker pool, the way the server runs the offline backend), and then one at a time as
``POST /v1/extract`` to a real `extract serve` on 127.0.0.1 from 1, 8 and 32 concurrent clients.
For each: requests per second, p50 and p99 latency, the ratio of the throughput to `extract
run`'s once started (its start-up, measured by a one-article run, is left out), and the HTTP
layer's overhead per request (p50 latency at concurrency 1 less `extract run`'s time per
article). Then a job of ``--memory-articles`` articles goes through the same
server, and its resident memory is read from /proc after it. Results go to
``bench/service-results.json``.
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import write_corpus
from extractor.service.db import open_database
from extractor.service.store import Store
from tests.service_server import EXTRACT, Server


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_run(corpus: Path, folder: Path) -> float:
    """Seconds `extract run` takes over the corpus in one process."""
    started = time.perf_counter()
    subprocess.run(
        [str(EXTRACT), "run", str(corpus), "--out", str(folder / "run.jsonl"), "--no-cache",
         "-j", "1"],
        check=True, capture_output=True, cwd=folder,
    )
    return time.perf_counter() - started


def measure_http(server: Server, key: str, articles: list[dict[str, Any]],
                 concurrency: int) -> dict[str, float]:
    """Throughput and latency of POST /v1/extract, each article once, from N clients."""
    latencies: list[float] = []
    # One client (one keep-alive connection) per concurrent caller, made before the clock starts.
    clients = [server.client(key) for _ in range(concurrency)]
    free: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
    for client in clients:
        free.put(client)

    def one(article: dict[str, Any]) -> None:
        client = free.get()
        try:
            started = time.perf_counter()
            answer = client.post("/v1/extract", json=article, params={"wait": 600})
            latencies.append(time.perf_counter() - started)
        finally:
            free.put(client)
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code}: {answer.text[:200]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, articles))
    seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    return {
        "concurrency": concurrency,
        "requests": len(articles),
        "requests_per_s": round(len(articles) / seconds, 2),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * _percentile(latencies, 0.99), 1),
    }


def measure_memory(server: Server, key: str, corpus: Path, count: int,
                   per_job: int = 1_000) -> dict[str, float]:
    """RSS of the server before and after it has processed `count` articles, posted as jobs of
    `per_job` articles (one body of 10,000 would pass the server's body limit)."""
    assert server.process is not None
    before = _rss_mb(server.process.pid)
    rows = corpus.read_text("utf-8").splitlines()
    started = time.perf_counter()
    lines = 0
    with server.client(key) as client:
        jobs = []
        for first in range(0, len(rows), per_job):
            body = "\n".join(rows[first:first + per_job]) + "\n"
            answer = client.post("/v1/jobs", content=body.encode("utf-8"),
                                 headers={"Content-Type": "application/x-ndjson"})
            if answer.status_code != 202:
                raise SystemExit(f"POST /v1/jobs answered {answer.status_code}: {answer.text}")
            jobs.append(answer.json()["id"])
        for job in jobs:
            while client.get(f"/v1/jobs/{job}").json()["status"] != "done":
                time.sleep(1)
            cursor = 0
            while True:
                page = client.get(f"/v1/jobs/{job}/results", params={"cursor": cursor,
                                                                      "limit": 10_000})
                lines += len(page.text.splitlines())
                cursor = int(page.headers["X-Next-Cursor"])
                if page.headers["X-Complete"] == "true":
                    break
    return {
        "articles": count,
        "jobs": len(jobs),
        "lines": lines,
        "seconds": round(time.perf_counter() - started, 1),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(_rss_mb(server.process.pid), 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure, print, write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__)
    parser.add_argument("--articles", type=int, default=200, help="per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--memory-articles", type=int, default=10_000)
    parser.add_argument("--results", type=Path, default=Path("bench/service-results.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-service-") as scratch:
        folder = Path(scratch)
        corpus = folder / "corpus.jsonl"
        write_corpus(corpus, args.articles, seed=3)
        articles = [json.loads(line) for line in corpus.read_text("utf-8").splitlines()]
        # The rate compared with is per article once started: a one-article run measures the
        # start-up (imports, spaCy), which a long-running server pays once.
        single = folder / "single.jsonl"
        single.write_text(corpus.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
        startup_s = measure_run(single, folder)
        run_s = measure_run(corpus, folder)
        run_rate = (args.articles - 1) / max(1e-9, run_s - startup_s)
        print(f"extract run -j 1: {args.articles} articles in {run_s:.1f} s, start-up "
              f"{startup_s:.1f} s: {run_rate:.2f} articles/s once started "
              f"({1000 / run_rate:.0f} ms each)", flush=True)

        db = f"sqlite:///{folder / 'service.sqlite'}"
        key = Store(open_database(db)).create_key("bench", rpm=None, budget_usd=None)
        server = Server(db, folder / "serve.log", "--no-cache").start()
        try:
            with server.client(key) as client:  # loads spaCy before anything is timed
                client.post("/v1/extract", json={"text": "Ardania met Borovia on Monday."})
            rows = []
            for concurrency in args.concurrency:
                row = measure_http(server, key, articles, concurrency)
                row["ratio_to_run"] = round(row["requests_per_s"] / run_rate, 3)
                rows.append(row)
                print(f"POST /v1/extract  c={concurrency:<3} {row['requests_per_s']:>7.2f}/s  "
                      f"p50 {row['p50_ms']:>7.1f} ms  p99 {row['p99_ms']:>7.1f} ms  "
                      f"ratio to extract run {row['ratio_to_run']:.3f}", flush=True)
            overhead_ms = rows[0]["p50_ms"] - 1000 / run_rate if rows else float("nan")
            print(f"HTTP overhead per request (p50 at c=1 less run's per article): "
                  f"{overhead_ms:.1f} ms", flush=True)
            memory_corpus = folder / "memory.jsonl"
            write_corpus(memory_corpus, args.memory_articles, seed=4)
            memory = measure_memory(server, key, memory_corpus, args.memory_articles)
            print(f"memory: {memory}", flush=True)
        finally:
            server.terminate()
    results = {
        "python": sys.version.split()[0],
        "articles": args.articles,
        "extract_run": {"seconds": round(run_s, 2), "startup_s": round(startup_s, 2),
                        "articles_per_s_once_started": round(run_rate, 2)},
        "http": rows,
        "http_overhead_ms": round(overhead_ms, 1),
        "memory": memory,
    }
    args.results.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
