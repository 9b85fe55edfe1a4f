"""The answer cache: keys, atomic entries, hits and misses, no secrets on disk; the price table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.articles import Article
from extractor.backends.base import Extraction
from extractor.cache import AnswerCache, CachedBackend, cache_key
from extractor.errors import BackendError, ConfigError
from extractor.schema import PromptRef, Usage
from extractor.usage import PriceTable, UsageLedger
from tests.fakes import FakeBackend, draft_for

ARTICLE = Article(id="a1", text="Oslo hosted talks on Monday, officials said.")


def test_key_changes_with_fingerprint_text_and_context() -> None:
    base = cache_key({"model": "m"}, "sha", 1000)
    assert base == cache_key({"model": "m"}, "sha", 1000)
    assert base != cache_key({"model": "n"}, "sha", 1000)
    assert base != cache_key({"model": "m"}, "sha2", 1000)
    assert base != cache_key({"model": "m"}, "sha", 2000)


def test_round_trip(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    extraction = Extraction(
        draft=draft_for(ARTICLE),
        model="m",
        usage=Usage(input_tokens=5, output_tokens=2, requests=1),
        prompt=PromptRef(name="event_record", version="1", sha256="ab"),
    )
    cache.put("k" * 64, extraction)
    assert cache.get("k" * 64) == extraction
    assert cache.get("j" * 64) is None
    assert not list(tmp_path.rglob("*.tmp"))  # written through a temporary name, then renamed


def test_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put("k" * 64, Extraction(draft=draft_for(ARTICLE), model="m"))
    entry = next(tmp_path.rglob("*.json"))
    entry.write_text('{"draft": {"title": ', encoding="utf-8")
    assert cache.get("k" * 64) is None


def test_cached_backend_hits_and_misses(tmp_path: Path) -> None:
    inner = FakeBackend(tokens=(70, 30))
    first = CachedBackend(inner, AnswerCache(tmp_path))
    answer = first.extract(ARTICLE)
    second = CachedBackend(inner, AnswerCache(tmp_path))
    again = second.extract(ARTICLE)

    assert inner.calls == ["a1"]
    assert (first.hits, first.misses, second.hits, second.misses) == (0, 1, 1, 0)
    assert again.draft == answer.draft
    assert again.usage == Usage()  # nothing was spent on the hit
    assert answer.usage.input_tokens == 70


def test_other_fingerprint_misses(tmp_path: Path) -> None:
    CachedBackend(FakeBackend(), AnswerCache(tmp_path)).extract(ARTICLE)
    changed = FakeBackend(version="2")
    CachedBackend(changed, AnswerCache(tmp_path)).extract(ARTICLE)
    assert changed.calls == ["a1"]


def test_failures_are_not_cached(tmp_path: Path) -> None:
    inner = FakeBackend()
    inner.enqueue(BackendError("HTTP 500"))
    wrapper = CachedBackend(inner, AnswerCache(tmp_path))
    with pytest.raises(BackendError):
        wrapper.extract(ARTICLE)
    wrapper.extract(ARTICLE)
    assert inner.calls == ["a1", "a1"]


def test_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    wrapper = CachedBackend(FakeBackend(), AnswerCache(blocker / "cache"))
    assert wrapper.extract(ARTICLE).model == "fake-model"
    assert wrapper.write_errors == 1


def test_entries_hold_no_fingerprint_or_key(tmp_path: Path) -> None:
    inner = FakeBackend()
    CachedBackend(inner, AnswerCache(tmp_path)).extract(ARTICLE)
    entry = json.loads(next(tmp_path.rglob("*.json")).read_text(encoding="utf-8"))
    assert set(entry) == {"format", "model", "draft", "usage", "prompt"}


# ---------------------------------------------------------------------- prices


def test_price_lookup_exact_snapshot_and_unknown() -> None:
    table = PriceTable.load()
    mini = table.lookup("gpt-4o-mini")
    assert mini is not None
    assert table.lookup("gpt-4o-mini-2024-07-18") == mini  # longest prefix, not gpt-4o
    assert table.lookup("gpt-4o") != mini
    assert table.lookup("llama3.1:8b") is None


def test_cost_from_a_user_prices_file(tmp_path: Path) -> None:
    prices = tmp_path / "p.json"
    prices.write_text(json.dumps({"models": {"local": {"input": 1, "output": 2}}}), "utf-8")
    table = PriceTable.load(prices)
    usage = Usage(input_tokens=500_000, output_tokens=250_000)
    assert table.cost("local", usage) == pytest.approx(1.0)
    assert table.cost("other", usage) is None
    assert table.cost("other", Usage()) == 0.0


@pytest.mark.parametrize(
    "content", ["{", '{"models": []}', '{"models": {"m": {"input": "x", "output": 1}}}']
)
def test_bad_prices_file(tmp_path: Path, content: str) -> None:
    prices = tmp_path / "p.json"
    prices.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="prices file"):
        PriceTable.load(prices)


def test_packaged_price_table_is_valid() -> None:
    table = PriceTable.load()
    assert table.prices
    assert all(p.input >= 0 and p.output >= 0 for p in table.prices.values())


def test_ledger_totals_and_unpriced_models() -> None:
    ledger = UsageLedger(PriceTable.load())
    ledger.add("gpt-4o-mini", Usage(input_tokens=10, output_tokens=5, requests=1, cost_usd=0.5))
    ledger.add("mystery", Usage(input_tokens=1, output_tokens=1, requests=1, cost_usd=None))
    assert ledger.total.input_tokens == 11
    assert ledger.total.requests == 2
    assert ledger.total.cost_usd == pytest.approx(0.5)
    assert ledger.unpriced_models == {"mystery"}
