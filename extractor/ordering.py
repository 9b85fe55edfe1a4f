"""Run articles on an executor and give their results back in input order, holding a bounded
window: reading stops `window` items ahead of the oldest unfinished article, so memory stays flat
however long the input is and one slow article holds back no more than the window behind it."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Generic, TypeVar

from extractor.articles import Article

#: A finished result (an output line, or a line kept from an earlier run).
R = TypeVar("R")


class InOrder(Generic[R]):
    """Submits the articles of a plan to `executor` and yields every result in plan order.

    A plan item is an `Article` (run through `work`) or a result already in hand (bad input, a
    kept line), which takes its place in the order. `failed(article_id, message)` makes the
    result of an article whose work could not run (a refused submission, a dead worker process).
    """

    def __init__(
        self,
        executor: Executor,
        work: Callable[[Article], R],
        window: int,
        failed: Callable[[str, str], R],
    ) -> None:
        self.executor = executor
        self.work = work
        self.window = window
        self.failed = failed
        self.pending: deque[tuple[str, Future[R] | R]] = deque()

    def results(self, planned: Iterator[Article | R]) -> Iterator[R]:
        """Submit `planned` and yield every result, in order."""
        pending = self.pending
        for item in planned:
            if isinstance(item, Article):
                pending.append((item.id, self._submit(item)))
            else:
                pending.append(("", item))
            while pending and (len(pending) >= self.window or _ready(pending[0][1])):
                yield self._head()
        while pending:
            yield self._head()

    def finished(self) -> Iterator[R]:
        """The results at the head that are already done, up to the first that is not (or that
        was cancelled)."""
        while self.pending:
            slot = self.pending[0][1]
            if isinstance(slot, Future) and (slot.cancelled() or not slot.done()):
                return
            yield self._head()

    def _submit(self, article: Article) -> Future[R] | R:
        try:
            return self.executor.submit(self.work, article)
        except Exception as exc:  # a broken process pool refuses new work
            return self.failed(article.id, f"{type(exc).__name__}: {exc}")

    def _head(self) -> R:
        # Taken off only once its result is in hand: Ctrl-C while waiting for it leaves it
        # at the head for `finished`.
        article_id, slot = self.pending[0]
        result: R
        if not isinstance(slot, Future):
            result = slot
        else:
            try:
                result = slot.result()
            except Exception as exc:  # a worker process died: the article fails, the run goes on
                result = self.failed(article_id, f"{type(exc).__name__}: {exc}")
        self.pending.popleft()
        return result


def _ready(slot: object) -> bool:
    return not isinstance(slot, Future) or slot.done()
