"""Prometheus metrics of one server process, in the text exposition format (``GET /metrics``).

Counters are per process (each server behind a load balancer is scraped on its own); the queue
depth is read from the database at each scrape, so it is the same from every process.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict

from extractor.lines import ResultLine

#: Upper bounds (seconds) of the request latency histogram's buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters and a latency histogram, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.articles: dict[str, int] = defaultdict(int)
        self.tokens: dict[str, int] = defaultdict(int)
        self.cost_usd = 0.0

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            buckets = self.latency.setdefault(route, [0] * (len(LATENCY_BUCKETS) + 1))
            buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
            self.latency_sum[route] += seconds

    def count_article(self, line: ResultLine) -> None:
        """Count one finished article: its kind, tokens and cost."""
        usage = line.usage
        with self._lock:
            self.articles[line.kind] += 1
            if usage is not None:
                self.tokens["input"] += usage.input_tokens
                self.tokens["output"] += usage.output_tokens
                self.cost_usd += usage.cost_usd or 0.0

    def render(self, queue: dict[str, int]) -> str:
        """The exposition text; `queue` is the database's articles by state."""
        out: list[str] = []
        with self._lock:
            _family(out, "extract_http_requests_total", "counter", "HTTP requests answered.")
            for (method, route, status), number in sorted(self.requests.items()):
                out.append(
                    f'extract_http_requests_total{{method="{method}",route="{_q(route)}",'
                    f'status="{status}"}} {number}'
                )
            _family(out, "extract_http_request_duration_seconds", "histogram",
                    "Time to answer a request.")
            for route, buckets in sorted(self.latency.items()):
                total = 0
                for bound, number in zip((*LATENCY_BUCKETS, None), buckets, strict=True):
                    total += number
                    le = "+Inf" if bound is None else f"{bound:g}"
                    out.append(
                        f'extract_http_request_duration_seconds_bucket{{route="{_q(route)}",'
                        f'le="{le}"}} {total}'
                    )
                out.append(
                    f'extract_http_request_duration_seconds_sum{{route="{_q(route)}"}} '
                    f"{self.latency_sum[route]:.6f}"
                )
                out.append(
                    f'extract_http_request_duration_seconds_count{{route="{_q(route)}"}} {total}'
                )
            _family(out, "extract_articles_total", "counter",
                    "Articles finished by this process, by kind (record or error type).")
            for kind, number in sorted(self.articles.items()):
                out.append(f'extract_articles_total{{kind="{_q(kind)}"}} {number}')
            _family(out, "extract_tokens_total", "counter", "Model tokens spent.")
            for direction in ("input", "output"):
                out.append(
                    f'extract_tokens_total{{direction="{direction}"}} {self.tokens[direction]}'
                )
            _family(out, "extract_cost_usd_total", "counter", "USD spent on model calls.")
            out.append(f"extract_cost_usd_total {self.cost_usd:.6f}")
        _family(out, "extract_queue_depth", "gauge", "Articles not done, by state (all servers).")
        for state, number in sorted(queue.items()):
            out.append(f'extract_queue_depth{{state="{state}"}} {number}')
        return "\n".join(out) + "\n"


def _family(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")


def _q(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
