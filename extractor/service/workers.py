"""Workers: lease articles from the database, run the per-article step, write each line.

One `Workers` per server process. A dispatcher thread keeps up to `slots` articles under way
(leasing more as they finish, and waking at once when this process queues a job); a heartbeat
renews the leases of the articles under way, so only a server that died loses them, and then
only for one lease period. `POST /v1/extract` leases its article when it inserts it and hands it
here with `run_now`. Shutdown (SIGTERM) stops leasing, lets the articles under way finish and
write their lines, and leaves everything else queued for the next server.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial

from extractor.article_step import ArticleExtractor
from extractor.lines import ResultLine
from extractor.service.metrics import Metrics
from extractor.service.store import Lease, Store

log = logging.getLogger("extractor.service")

#: Seconds between looks at the database when nothing is queued.
POLL_S = 0.5


class Workers:
    """Leases and runs articles for one server process."""

    def __init__(
        self,
        store: Store,
        step: ArticleExtractor,
        metrics: Metrics,
        *,
        slots: int,
        threads: int,
        lease_seconds: float,
    ) -> None:
        self.store = store
        self.step = step
        self.metrics = metrics
        self.slots = slots
        self.lease_seconds = lease_seconds
        #: This process's name on its leases.
        self.owner = uuid.uuid4().hex
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="extract-worker")
        self._under_way: dict[int, Future[ResultLine | None]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        #: Set once the drain is over: the heartbeat renews leases until then.
        self._drained = threading.Event()
        self._threads = [
            threading.Thread(target=self._dispatch, name="extract-dispatch", daemon=True),
            threading.Thread(target=self._heartbeat, name="extract-heartbeat", daemon=True),
        ]

    def start(self) -> None:
        """Start leasing."""
        for thread in self._threads:
            thread.start()

    @property
    def running(self) -> bool:
        """Leasing and running (not stopped, dispatcher alive)."""
        return not self._stopping.is_set() and self._threads[0].is_alive()

    def notify(self) -> None:
        """A job was queued: look for work now instead of at the next poll."""
        self._wake.set()

    def run_now(self, lease: Lease) -> Future[ResultLine | None]:
        """Run an article this process has already leased; the future gives its line (None
        if the lease was lost and another worker's line stands)."""
        return self._submit(lease)

    def stop(self, drain_seconds: float) -> None:
        """Lease nothing more; wait up to `drain_seconds` for the articles under way to write
        their lines. Those still running after that are left to their leases' expiry."""
        self._stopping.set()
        self._wake.set()
        self._threads[0].join(timeout=5)
        with self._lock:
            pending = list(self._under_way.values())
        wait(pending, timeout=drain_seconds)
        self._drained.set()
        self._threads[1].join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, lease: Lease) -> Future[ResultLine | None]:
        future = self._pool.submit(self._work, lease)
        with self._lock:
            self._under_way[lease.row] = future
        future.add_done_callback(partial(self._done, lease.row))
        return future

    def _done(self, row: int, _future: Future[ResultLine | None]) -> None:
        with self._lock:
            self._under_way.pop(row, None)
        self._wake.set()

    def _work(self, lease: Lease) -> ResultLine | None:
        result = self.step.run(lease.article.to_article(lease.article_id))
        line = result.line
        if result.traceback is not None:
            log.error("article %s of job %s: internal error\n%s", lease.article_id,
                      lease.job_id, result.traceback)
        try:
            written = self.store.finish(self.owner, lease, line)
        except Exception:  # the database went away: the lease expires and it is redone
            log.exception("article %s of job %s: line not written", lease.article_id,
                          lease.job_id)
            return None
        if not written:
            return None
        self.metrics.count_article(line)
        return line

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            with self._lock:
                free = self.slots - len(self._under_way)
            leased: list[Lease] = []
            if free > 0:
                try:
                    leased = self.store.lease(self.owner, free, self.lease_seconds)
                except Exception:
                    log.exception("leasing articles failed; trying again")
            for lease in leased:
                self._submit(lease)
            self._wake.wait(POLL_S)

    def _heartbeat(self) -> None:
        while not self._drained.wait(self.lease_seconds / 3):
            with self._lock:
                rows = list(self._under_way)
            try:
                self.store.renew(self.owner, rows, self.lease_seconds)
            except Exception:
                log.exception("renewing leases failed; trying again")
