"""The per-article step as a library call: record or typed error line, cache, prices, secrets,
and the stop after a configuration error."""

from __future__ import annotations

import json
from pathlib import Path

from extractor.article_step import ArticleExtractor, extract_article
from extractor.articles import Article
from extractor.errors import BackendError, ConfigError, OutputInvalid
from extractor.lines import ResultLine, line_fingerprint
from extractor.schema import Usage
from extractor.usage import Price, PriceTable
from tests.fakes import FakeBackend, draft_for

ARTICLE = Article(id="a1", text="Oslo hosted talks between two delegations on Monday.")


def test_a_record_line_with_fingerprint_and_priced_usage() -> None:
    prices = PriceTable({"fake-model": Price(input=1.0, output=2.0)})
    line = extract_article(ARTICLE, FakeBackend(tokens=(1000, 500)), prices=prices)
    assert line.record is not None and line.error is None
    assert line.fingerprint == line_fingerprint(ARTICLE.input_sha256, FakeBackend().fingerprint())
    assert line.record.provenance is not None
    assert line.record.provenance.usage.cost_usd == 1000 / 1e6 + 2 * 500 / 1e6
    assert ResultLine.parse(line.dumps()) == line


def test_a_failure_is_an_error_line_with_its_spend_never_an_exception() -> None:
    backend = FakeBackend()
    failure = OutputInvalid("still invalid after 2 re-asks")
    failure.usage = Usage(input_tokens=10, requests=3, reasks=2)
    backend.enqueue(failure, RuntimeError("a bug"))
    first = extract_article(ARTICLE, backend)
    assert first.error is not None and first.error.type == "output_invalid"
    assert first.error.usage is not None and first.error.usage.reasks == 2
    assert first.fingerprint is not None  # the article's own failure: kept on resume
    second = extract_article(ARTICLE, backend)
    assert second.error is not None and second.error.type == "internal_error"
    assert "RuntimeError: a bug" in second.error.message


def test_after_a_configuration_error_nothing_more_is_sent() -> None:
    backend = FakeBackend()
    backend.enqueue(ConfigError("endpoint rejected the API key"))
    step = ArticleExtractor(backend)
    first = step.extract(ARTICLE)
    later = step.extract(Article(id="a2", text="Lima hosted talks on Tuesday."))
    assert backend.calls == ["a1"]
    assert first.error is not None and first.error.type == "config_error"
    assert later.error is not None and later.error.message.startswith(
        "skipped after a configuration error: endpoint rejected"
    )
    assert first.fingerprint is None and later.fingerprint is None  # redone on the next run
    assert step.config_failure == "endpoint rejected the API key"


def test_the_cache_answers_the_second_call(tmp_path: Path) -> None:
    backend = FakeBackend()
    step = ArticleExtractor(backend, cache=tmp_path / "cache")
    first, second = step.run(ARTICLE), step.run(ARTICLE)
    assert backend.calls == ["a1"]
    assert (first.cache_hits, second.cache_hits) == (0, 1)
    assert second.line.record is not None and second.line.record.provenance is not None
    assert second.line.record.provenance.cached
    assert second.line.record.provenance.usage.requests == 0  # nothing spent this time


def test_secrets_are_removed_from_records_and_errors() -> None:
    secret = "sk-test-SECRET-7f3a9c1e5b2d4f60"
    backend = FakeBackend()
    draft = draft_for(ARTICLE, title=f"Talks {secret}")
    backend.enqueue(draft, BackendError(f"HTTP 500 for key {secret}"))
    record = extract_article(ARTICLE, backend, secrets=[secret])
    error = extract_article(ARTICLE, backend, secrets=[secret])
    for line in (record, error):
        assert secret not in line.dumps()
        json.loads(line.dumps())
    assert record.record is not None and record.record.title == "Talks ***"
