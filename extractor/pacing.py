"""Client-side limits on requests: how many are in flight at once, and how many per minute.

`RequestGate` is held for one HTTP request, not for a whole article: an article sleeping between
transport retries, or being grounded after its answer came, leaves its slot to another article.
With `--concurrency N` the endpoint therefore sees N requests in flight as long as no more than N
articles are between requests at once (the runner gives LLM backends 2N threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: Rough characters per token, to pace a tokens-per-minute limit before the real count is known.
CHARS_PER_TOKEN = 4


class TokenBucket:
    """A per-minute budget refilled continuously, shared by threads; may go into debt.

    It holds up to ten seconds' worth, so a burst cannot spend a minute's budget at once. A
    request larger than that is let through when the bucket is full, and paid for as debt.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 6.0)
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self, amount: float) -> None:
        """Wait until `amount` can be spent, then spend it."""
        while True:
            with self._lock:
                self._refill()
                needed = min(amount, self.capacity)
                if self.tokens >= needed:
                    self.tokens -= amount
                    return
                wait = (needed - self.tokens) / self.rate
            self._sleep(wait)

    def adjust(self, amount: float) -> None:
        """Spend `amount` more (or give back a negative amount) once the real cost is known."""
        with self._lock:
            self._refill()
            self.tokens = min(self.capacity, self.tokens - amount)


@dataclass
class Ticket:
    """One passage through the gate. Set what it really cost, once known, to settle the budgets."""

    estimated_tokens: int
    #: Tokens in and out the request(s) really used; None leaves the estimate spent.
    tokens: int | None = None
    #: HTTP requests made under this ticket (more than one when a whole article was gated).
    requests: int = 1


class RequestGate:
    """At most `max_in_flight` requests at once (None: no bound), paced by optional
    requests-per-minute and tokens-per-minute buckets. Thread-safe; one per run."""

    def __init__(
        self,
        max_in_flight: int | None,
        *,
        rpm: TokenBucket | None = None,
        tpm: TokenBucket | None = None,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.rpm = rpm
        self.tpm = tpm
        self._slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None

    @classmethod
    def from_limits(
        cls, max_in_flight: int | None, rpm: int | None = None, tpm: int | None = None
    ) -> RequestGate:
        """A gate with buckets for the given per-minute limits (None or 0: no limit)."""
        return cls(
            max_in_flight,
            rpm=TokenBucket(rpm) if rpm else None,
            tpm=TokenBucket(tpm) if tpm else None,
        )

    @contextmanager
    def request(self, estimated_tokens: int = 0) -> Iterator[Ticket]:
        """Wait for the per-minute budgets and a free slot; hold the slot inside the block."""
        ticket = Ticket(estimated_tokens)
        if self.tpm is not None:
            self.tpm.acquire(estimated_tokens)
        if self.rpm is not None:
            self.rpm.acquire(1)
        if self._slots is not None:
            self._slots.acquire()
        try:
            yield ticket
        finally:
            if self._slots is not None:
                self._slots.release()
            self._settle(ticket)

    def _settle(self, ticket: Ticket) -> None:
        if self.tpm is not None and ticket.tokens is not None:
            self.tpm.adjust(ticket.tokens - ticket.estimated_tokens)
        if self.rpm is not None and ticket.requests > 1:
            self.rpm.adjust(ticket.requests - 1)
