"""Client-side limits on requests: how many are in flight at once, and how many per minute.

`RequestGate` is held for one HTTP request, not for a whole article: an article sleeping between
transport retries, or being grounded after its answer came, leaves its slot to another article.
With `--concurrency N` the endpoint therefore sees N requests in flight as long as no more than N
articles are between requests at once (the runner gives LLM backends 2N threads).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from extractor.articles import Article
from extractor.backends.base import Backend, BackendWrapper, Extraction
from extractor.errors import ExtractorError
from extractor.schema import Usage

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


class FairSlots:
    """A counting semaphore that hands a freed slot to the longest waiter.

    `threading.Semaphore` lets a thread that releases a slot take it straight back for its next
    article, so one waiting article can starve while later ones pass it, holding back every line
    after it (output is in input order). Here slots go first come, first served.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        """Take a slot, waiting behind everyone who asked before."""
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            handoff = threading.Lock()
            handoff.acquire()
            self._waiting.append(handoff)
        handoff.acquire()  # released by `release`, which passes its slot on to us

    def release(self) -> None:
        """Give the slot to the longest waiter, or back to the pool."""
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


class GateClosed(ExtractorError):
    """The run was interrupted: a request that had not gone out yet is not sent."""

    kind = "interrupted"


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
        self._rpm = rpm
        self._tpm = tpm
        self._slots = FairSlots(max_in_flight) if max_in_flight else None
        self._closed = False

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

    def close(self) -> None:
        """Let no more requests through (Ctrl-C): those waiting, or coming, raise `GateClosed`."""
        self._closed = True

    @contextmanager
    def request(self, estimated_tokens: int = 0) -> Iterator[Ticket]:
        """Wait for the per-minute budgets and a free slot; hold the slot inside the block.
        Raises `GateClosed` once the gate is closed."""
        ticket = Ticket(estimated_tokens)
        self._refuse_if_closed()
        if self._tpm is not None:
            self._tpm.acquire(estimated_tokens)
        if self._rpm is not None:
            self._rpm.acquire(1)
        if self._slots is not None:
            self._slots.acquire()
            if self._closed:  # closed while this request waited for its slot
                self._slots.release()
                self._refuse_if_closed()
        try:
            yield ticket
        finally:
            if self._slots is not None:
                self._slots.release()
            self._settle(ticket)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise GateClosed("the run was interrupted before this request was sent")

    def _settle(self, ticket: Ticket) -> None:
        if self._tpm is not None and ticket.tokens is not None:
            self._tpm.adjust(ticket.tokens - ticket.estimated_tokens)
        if self._rpm is not None and ticket.requests > 1:
            self._rpm.adjust(ticket.requests - 1)


# ---------------------------------------------------------------------- whole calls

#: Rough tokens of prompt, schema and answer around the article text, to pace the TPM bucket
#: before the real count is known; corrected with the real usage after each call.
TOKENS_OVERHEAD_ESTIMATE = 2500


class GatedBackend(BackendWrapper):
    """Holds a gate slot for each whole `extract` call of a backend that makes no requests of
    its own through a gate (one injected by a caller); usage settles the budgets afterwards."""

    def __init__(self, backend: Backend, gate: RequestGate) -> None:
        super().__init__(backend)
        self.gate = gate

    def extract(self, article: Article) -> Extraction:
        """Wait for budget and a slot, call the backend, then settle with the real usage."""
        estimate = len(article.text) // CHARS_PER_TOKEN + TOKENS_OVERHEAD_ESTIMATE
        with self.gate.request(estimate) as ticket:
            try:
                extraction = self.backend.extract(article)
            except ExtractorError as exc:
                if exc.usage is not None:
                    _settle(ticket, exc.usage)
                raise
            _settle(ticket, extraction.usage)
        return extraction


def _settle(ticket: Ticket, usage: Usage) -> None:
    tokens = usage.input_tokens + usage.output_tokens
    if tokens:  # a backend that counts no tokens leaves the estimate spent
        ticket.tokens = tokens
    ticket.requests = max(usage.requests, 1)
