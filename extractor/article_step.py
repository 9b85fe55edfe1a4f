"""The per-article step: one article and a backend in, one `ResultLine` out, never an exception.

Everything that happens to one article, whoever calls it (`extract run`, the Python API, a
service handler, a batch collector), is here: the answer cache, pricing the usage (unless the
backend priced its own calls, as the Batch API collector does at the batch rate), removing
secrets from what is written, the stop after a configuration error, and the error line for every
failure.

`ArticleExtractor` keeps what is shared between the articles of a run (the backend's
fingerprint, the cache, the price table, the first configuration error); `extract_article`
is one call of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from traceback import format_exception
from typing import Any

from extractor.articles import Article
from extractor.backends.base import Backend, BackendWrapper, Extraction
from extractor.cache import AnswerCache, CachedBackend
from extractor.errors import ConfigError, ExtractorError
from extractor.grounding import MAX_UNVERIFIED_SHARE
from extractor.lines import ResultLine, line_fingerprint
from extractor.pipeline import extract_record
from extractor.schema import EventRecord
from extractor.usage import PriceTable


class Secrets:
    """Removes secrets (the API key) from any text about to be written."""

    #: Shorter "keys" (a local server's placeholder such as "x") would mangle ordinary text.
    MIN_LENGTH = 8

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s and len(s) >= self.MIN_LENGTH)

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def scrub_record(self, record: EventRecord) -> EventRecord:
        """`record`, or a copy with every secret removed from its strings."""
        if not self.secrets:
            return record
        # Rebuilt only when a secret is in it: dumping and validating every record again
        # cost more than the rest of the step.
        text = record.model_dump_json()
        if not any(json.dumps(secret, ensure_ascii=False)[1:-1] in text for secret in self.secrets):
            return record
        return EventRecord.model_validate(self._scrub_values(record.model_dump(mode="json")))

    def _scrub_values(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._scrub_values(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_values(v) for v in value]
        return value


@dataclass(frozen=True)
class ArticleResult:
    """One article's line, with what a run's summary needs that the line does not say."""

    line: ResultLine
    #: The model the usage was priced for (the record's, or the backend's for an error line).
    model: str
    #: Backend calls (chunks) answered from the cache.
    cache_hits: int = 0
    #: Answers that could not be stored in the cache (the run goes on without them).
    cache_write_errors: int = 0
    #: For an ``internal_error`` line (a bug): the traceback, for the run's log.
    traceback: str | None = None


class ArticleExtractor:
    """The per-article policy for one backend; call `run` (or `extract`) once per article.

    After the first configuration error (credentials rejected, model or URL unknown, spaCy
    model missing) every later article would fail the same way, so none is sent: each gets a
    ``config_error`` line "skipped after a configuration error". Articles whose answers are
    cached still get their records. Thread-safe: one instance serves a run's threads.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        cache: AnswerCache | Path | None = None,
        prices: PriceTable | None = None,
        secrets: Iterable[str | None] = (),
        max_unverified: float = MAX_UNVERIFIED_SHARE,
    ) -> None:
        self.backend = backend
        #: Above this share of unverified evidence a record is flagged ``mostly_unverified``.
        self.max_unverified = max_unverified
        self.backend_fingerprint = backend.fingerprint()
        self.cache = AnswerCache(cache) if isinstance(cache, Path) else cache
        self.prices = prices if prices is not None else PriceTable.load()
        self.secrets = Secrets(secrets)
        #: The first configuration error, scrubbed; None while there has been none.
        self.config_failure: str | None = None

    def fingerprint(self, article: Article) -> str:
        """The line fingerprint this article gets with this backend."""
        return line_fingerprint(article.input_sha256, self.backend_fingerprint)

    def extract(self, article: Article) -> ResultLine:
        """The article's result line."""
        return self.run(article).line

    def run(self, article: Article) -> ArticleResult:
        """The article's result line and its accounting; every failure becomes an error line."""
        fingerprint: str | None = self.fingerprint(article)
        model = self.backend_fingerprint.get("model", "")
        backend: Backend = _UnlessConfigFailed(self.backend, self)
        cached: CachedBackend | None = None
        if self.cache is not None:
            cached = CachedBackend(backend, self.cache, self.backend_fingerprint)
            backend = cached
        try:
            record = extract_record(article, backend, max_unverified=self.max_unverified)
        except ExtractorError as exc:
            message = self.secrets.scrub(str(exc))
            if isinstance(exc, ConfigError):
                # Not the article's fault: no fingerprint, so the next run tries it again.
                self.config_failure = self.config_failure or message
                fingerprint = None
            usage = exc.usage
            if usage is not None and usage.cost_usd is None:
                usage = usage.model_copy(update={"cost_usd": self.prices.cost(model, usage)})
            line = ResultLine.of_error(article.id, exc.kind, message, fingerprint, usage=usage)
            return ArticleResult(line, model, cache_write_errors=_write_errors(cached))
        except Exception as exc:  # one article must never stop the run
            message = self.secrets.scrub(f"{type(exc).__name__}: {exc}")
            line = ResultLine.of_error(article.id, "internal_error", message, fingerprint)
            trace = self.secrets.scrub("".join(format_exception(exc)))
            written = _write_errors(cached)
            return ArticleResult(line, model, cache_write_errors=written, traceback=trace)
        hits = cached.hits if cached is not None else 0
        provenance = record.provenance
        if provenance is not None:
            model = provenance.model
            if provenance.usage.cost_usd is None:  # a backend that priced its calls is kept
                cost = self.prices.cost(provenance.model, provenance.usage)
                provenance.usage = provenance.usage.model_copy(update={"cost_usd": cost})
            provenance.cached = cached is not None and hits > 0 and cached.misses == 0
        line = ResultLine.of_record(article.id, self.secrets.scrub_record(record), fingerprint)
        return ArticleResult(line, model, cache_hits=hits, cache_write_errors=_write_errors(cached))


def _write_errors(cached: CachedBackend | None) -> int:
    return cached.write_errors if cached is not None else 0


def extract_article(
    article: Article,
    backend: Backend,
    *,
    cache: AnswerCache | Path | None = None,
    prices: PriceTable | None = None,
    secrets: Iterable[str | None] = (),
) -> ResultLine:
    """Extract one article into its result line: a record, or a typed error (never raises).

    `cache` is an answer cache (or its folder), `prices` the price table (default: the bundled
    one), `secrets` strings that must not appear in the line (the API key).
    """
    step = ArticleExtractor(backend, cache=cache, prices=prices, secrets=secrets)
    return step.extract(article)


class _UnlessConfigFailed(BackendWrapper):
    """Refuses, unsent, every call after the run's first configuration error. It sits below
    the cache, so articles whose answers are cached still get their records."""

    def __init__(self, backend: Backend, step: ArticleExtractor) -> None:
        super().__init__(backend)
        self.step = step

    def extract(self, article: Article) -> Extraction:
        """The backend's answer, unless a configuration error came first."""
        failure = self.step.config_failure
        if failure is not None:
            raise ConfigError(f"skipped after a configuration error: {failure}")
        return self.backend.extract(article)
