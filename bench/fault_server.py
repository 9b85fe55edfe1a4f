"""The fake OpenAI server with the issue's whole fault mix, run as the benchmark's subprocess.

`tests.fake_openai.FakeOpenAI` answers from the JSON Schema in each request (as a constrained
decoder would) and injects 500s, 429s and dropped connections. The issue's target
also names timeouts and invalid JSON, so this server adds both: a timeout is a reply held
longer than the client's timeout, and invalid JSON is a 200 whose content does not parse
(the backend re-asks). Each fault kind gets an equal share of `fault_rate`, drawn from a seeded
generator. At exit the server writes what it served, by kind, to ``--stats`` as JSON::

    python -m bench.fault_server --port 0 --latency 0.2 --fault-rate 0.1 --hang 2 --stats s.json
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import threading
from collections import Counter
from pathlib import Path
from types import FrameType

from tests.fake_openai import (
    Default,
    Drop,
    FakeOpenAI,
    Reply,
    Script,
    rate_limited,
    server_error,
    slow,
)

FAULT_KINDS = ("http_500", "http_429", "drop", "timeout", "invalid_json")


class FaultMixServer(FakeOpenAI):
    """`FakeOpenAI` whose random faults are drawn from `FAULT_KINDS`, counted by kind."""

    def __init__(
        self,
        port: int = 0,
        *,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        seed: int | None = None,
        hang: float = 2.0,
        retry_after: str = "0",
        kinds: tuple[str, ...] = FAULT_KINDS,
    ) -> None:
        # The parent's own fault draw stays off: this class draws every fault itself.
        super().__init__(port, latency=latency, fault_rate=0.0, seed=seed)
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self.mix_rate = fault_rate
        self.hang = hang
        self.retry_after = retry_after
        self.kinds = kinds
        self.served: Counter[str] = Counter()
        self._draw = random.Random(seed)
        self._draw_lock = threading.Lock()

    def _fault(self, kind: str) -> Script:
        if kind == "http_500":
            return server_error()
        if kind == "http_429":
            return rate_limited(self.retry_after)
        if kind == "drop":
            return Drop()
        if kind == "timeout":
            return slow(self.hang)
        return Reply(content='{"title": "an answer that never closes', finish_reason="stop")

    def _next_script(self) -> Script:
        with self._draw_lock:
            faulty = bool(self.kinds) and self._draw.random() < self.mix_rate
            kind = self._draw.choice(self.kinds) if faulty else "ok"
            self.served[kind] += 1
        if kind == "ok":
            return Default()
        return self._fault(kind)

    def stats(self) -> dict[str, object]:
        """Requests served by kind ("ok" and each fault kind) and the settings that shaped them."""
        with self._draw_lock:
            served = dict(self.served)
        return {
            "requests": sum(served.values()),
            "served": served,
            "latency": self.latency,
            "fault_rate": self.mix_rate,
            "hang": self.hang,
            "retry_after": self.retry_after,
        }


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C, then write the stats file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--hang", type=float, default=2.0, help="seconds a timeout reply is held")
    parser.add_argument("--retry-after", default="0", help="Retry-After header of 429s")
    parser.add_argument("--faults", default=",".join(FAULT_KINDS), help="comma-separated kinds")
    parser.add_argument("--stats", type=Path, default=None, help="write served counts here")
    args = parser.parse_args(argv)
    kinds = tuple(kind for kind in args.faults.split(",") if kind)
    server = FaultMixServer(
        args.port,
        latency=args.latency,
        fault_rate=args.fault_rate,
        seed=args.seed,
        hang=args.hang,
        retry_after=args.retry_after,
        kinds=kinds,
    )
    signal.signal(signal.SIGTERM, _stop)
    # The parent reads this line to learn the port.
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if args.stats is not None:
            args.stats.write_text(json.dumps(server.stats(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
