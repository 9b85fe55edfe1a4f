"""The Python API: `extract` one article, `run` many, `evaluate` a run. Re-exported by
``import extractor``, which stays cheap: this module is imported on first use.

Each function calls what the command line calls (the per-article step, the run loop, the eval),
so a notebook gets exactly the records, lines and scores `extract run` and `extract eval` give.

    >>> import extractor
    >>> from pathlib import Path
    >>> text = Path("seeds/001_5817099b9fb04820.txt").read_text(encoding="utf-8")
    >>> record = extractor.extract(text, published="2024-06-19", source="The Moscow Times")
    >>> "North Korea" in [party.name for party in record.parties]
    True
    >>> record.article.source, record.article.published
    ('The Moscow Times', '2024-06-19')

    >>> lines = list(extractor.run("seeds/", out="run.jsonl"))
    >>> len(lines), lines[1].article, lines[1].record.article.source
    (5, '001_5817099b9fb04820', 'The Moscow Times')

    >>> result = extractor.evaluate("run.jsonl")
    >>> result.key, result.regressions
    ('offline@seeds', [])
    >>> 0.0 <= result.scores.micro["parties.entity_f1"] <= 1.0
    True
"""

from __future__ import annotations

import queue
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.articles import Article, PublicationDate
from extractor.errors import ExtractionFailed
from extractor.lines import ResultLine
from extractor.settings import Settings

if TYPE_CHECKING:
    from extractor.backends.base import Backend
    from extractor.evaluation.result import EvalResult
    from extractor.schema import EventRecord

StrPath = str | PathLike[str]


def extract(
    text: str,
    *,
    published: str | date | None = None,
    title: str | None = None,
    source: str | None = None,
    url: str | None = None,
    article_id: str = "article",
    backend: str | Backend | None = None,
    settings: Settings | None = None,
) -> EventRecord:
    """The event record of one article's `text`; raises `ExtractionFailed` (an
    `ExtractorError`, with the error line's `type` and `message`) when there is none.

    `published` (an ISO date, an ISO interval ``start/end``, or a `date`) resolves relative
    dates; `title`, `source` and `url` go into the record's `article` block. `backend` is a
    name (``"offline"``, the default, or ``"openai"``) or a backend object; `settings` default
    to `Settings.resolve()` (environment, ``./extract.toml``). Nothing is cached.
    """
    from extractor.article_step import extract_article
    from extractor.backends.registry import create_backend

    when = published if published is None or isinstance(published, str) else published.isoformat()
    article = Article(
        id=article_id,
        text=text,
        title=title,
        source=source,
        url=url,
        published=PublicationDate.parse(when) if when is not None else None,
    )
    chosen = _settings(settings, backend)
    built = create_backend(chosen) if backend is None or isinstance(backend, str) else backend
    try:
        line = extract_article(article, built, prices=None, secrets=(chosen.api_key,))
    finally:
        if built is not backend:
            _close(built)
    if line.record is not None:
        return line.record
    kind, message = (line.error.type, line.error.message) if line.error else ("", "no record")
    raise ExtractionFailed(kind, message)


def run(
    paths: StrPath | Iterable[StrPath],
    *,
    out: StrPath | None = None,
    backend: str | Backend | None = None,
    settings: Settings | None = None,
    retry_errors: bool = False,
) -> Iterator[ResultLine]:
    """Extract every article under `paths` (files, folders, globs) as `extract run` does,
    yielding each result line as soon as it and every line before it are done: exactly one
    per input article, records and errors, in input order.

    With `out`, the lines are written there too (and an existing file is resumed); without,
    to a temporary file, deleted when the iteration ends. Stopping early (``break``) stops the
    run as Ctrl-C does: nothing more is sent and `out` keeps the lines done, for a later run
    to resume. Raises `ConfigError` when nothing can run (no articles found, a bad setting).
    The answer cache follows `settings` (default on).
    """
    from extractor import runner

    names = [str(paths)] if isinstance(paths, str | PathLike) else [str(p) for p in paths]
    chosen = _settings(settings, backend)
    injected = None if backend is None or isinstance(backend, str) else backend
    with tempfile.TemporaryDirectory(prefix="extract-run-") as scratch:
        target = Path(out) if out is not None else Path(scratch) / "run.jsonl"

        def start(on_line: Callable[[str], None]) -> None:
            runner.run(
                names, target, chosen, retry_errors=retry_errors, backend=injected, on_line=on_line
            )

        yield from _streamed(start)


class _Stopped(Exception):
    """The caller stopped iterating over `run`: the run stops as on Ctrl-C."""


#: Lines handed from the running run to the iterating caller, at most, before the run waits.
_HANDOFF_LINES = 256


def _streamed(start: Callable[[Callable[[str], None]], None]) -> Iterator[ResultLine]:
    """Run `start(on_line)` in a thread and yield each line it hands over, as it comes; its
    exception, if any, is raised here after the lines before it."""
    handoff: queue.Queue[str | _End] = queue.Queue(maxsize=_HANDOFF_LINES)
    stopping = threading.Event()

    def offer(item: str | _End) -> None:
        while not stopping.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        if isinstance(item, str):
            raise _Stopped

    def work() -> None:
        try:
            start(offer)
        except BaseException as exc:  # handed to the caller's thread, raised there
            offer(_End(exc))
        else:
            offer(_End(None))

    thread = threading.Thread(target=work, name="extractor-run", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if isinstance(item, _End):
                if item.error is not None and not isinstance(item.error, _Stopped):
                    raise item.error
                return
            yield ResultLine.parse(item)
    finally:
        stopping.set()
        thread.join()


class _End:
    """The run is over: `error` is what it raised, None when it finished."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def read_lines(path: StrPath) -> Iterator[ResultLine]:
    """The result lines of a file `extract run` wrote, one at a time. Raises `LineError`."""
    with Path(path).open(encoding="utf-8", newline="\n") as handle:
        for raw in handle:
            if raw.strip():
                yield ResultLine.parse(raw)


def evaluate(
    predictions: StrPath,
    *,
    gold: StrPath = "evals/gold",
    articles: StrPath = "seeds",
    baseline: StrPath = "evals/baseline.json",
    name: str | None = None,
) -> EvalResult:
    """Score a run's lines (`predictions`, a file `extract run` or `run(out=...)` wrote)
    against hand-labelled `gold` for the `articles`, as `extract eval` does; nothing is
    written. ``result.scores.micro`` maps each metric to its score; ``result.regressions`` are
    the fields below the `baseline`. Raises `GoldError` for bad gold or predictions.
    """
    from extractor.evaluation.command import EvalRequest
    from extractor.evaluation.command import evaluate as score
    from extractor.evaluation.gate import Baseline

    request = EvalRequest(
        predictions=Path(predictions),
        articles_dir=Path(articles),
        gold_dir=Path(gold),
        baseline_path=Path(baseline),
        name=name,
    )
    return score(request, Baseline.load(request.baseline_path))


def _settings(settings: Settings | None, backend: str | Backend | None) -> Settings:
    if isinstance(backend, str):
        if settings is None:
            return Settings.resolve(backend=backend)
        return settings.with_changes(backend=backend)
    return settings if settings is not None else Settings.resolve()


def _close(backend: Backend) -> None:
    from extractor.runner import close_backend

    close_backend(backend)
