"""The usage ledger: tokens per article and per run, and what they cost.

Prices are USD per million tokens, by model, in ``extractor/data/prices.json`` (or the file given
with ``--prices``): ``input`` and ``output`` for live requests, and optionally ``batch_input`` and
``batch_output`` for a provider's Batch API. A model missing from the table (or, at the batch
rate, one without the batch columns) has an unknown cost (None, never a guessed 0); an article
that spent no tokens (the offline backend, a cache hit) costs 0.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError
from extractor.schema import Usage

PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens, live and (when listed) through a Batch API."""

    input: float
    output: float
    batch_input: float | None = None
    batch_output: float | None = None


class PriceTable:
    """Model name -> `Price`; a dated snapshot name falls back to the longest listed prefix."""

    def __init__(self, prices: dict[str, Price]) -> None:
        self.prices = prices

    @classmethod
    def load(cls, path: Path | None = None) -> PriceTable:
        """Read a prices file (the packaged one when `path` is None). Raises `ConfigError`."""
        where = str(path) if path is not None else "extractor/data/prices.json"
        try:
            if path is None:
                text = resources.files("extractor.data").joinpath("prices.json").read_text("utf-8")
            else:
                text = path.read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"prices file {where}: {exc}") from exc
        return cls(_parse_prices(data, where))

    def lookup(self, model: str) -> Price | None:
        """The price of `model`, trying the exact name, then its longest listed prefix."""
        for name in (model, model.rsplit("/", 1)[-1]):
            if name in self.prices:
                return self.prices[name]
            prefixes = [known for known in self.prices if name.startswith(known + "-")]
            if prefixes:
                return self.prices[max(prefixes, key=len)]
        return None

    def cost(self, model: str, usage: Usage, *, batch: bool = False) -> float | None:
        """USD for `usage` on `model` (at the Batch API rate with `batch`): 0 when no tokens
        were spent, None for a model (or a batch rate) the table does not list."""
        if usage.input_tokens == 0 and usage.output_tokens == 0:
            return 0.0
        price = self.lookup(model)
        if price is None:
            return None
        rates = (price.input, price.output)
        if batch:
            if price.batch_input is None or price.batch_output is None:
                return None
            rates = (price.batch_input, price.batch_output)
        return (usage.input_tokens * rates[0] + usage.output_tokens * rates[1]) / PER_TOKENS


def _parse_prices(data: Any, where: str) -> dict[str, Price]:
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        raise ConfigError(
            f"prices file {where}: expected {{'models': {{name: {{input, output}}}}}}"
        )
    prices: dict[str, Price] = {}
    for name, entry in models.items():
        try:
            price = Price(float(entry["input"]), float(entry["output"]))
            if "batch_input" in entry or "batch_output" in entry:
                batch = (float(entry["batch_input"]), float(entry["batch_output"]))
                price = Price(price.input, price.output, *batch)
        except (TypeError, KeyError, ValueError) as exc:
            raise ConfigError(
                f"prices file {where}: model {name!r} needs numeric 'input' and 'output' (and "
                "both or neither of 'batch_input' and 'batch_output')"
            ) from exc
        rates = (price.input, price.output, price.batch_input or 0.0, price.batch_output or 0.0)
        if min(rates) < 0:
            raise ConfigError(f"prices file {where}: model {name!r} has a negative price")
        prices[name] = price
    return prices


@dataclass
class UsageLedger:
    """Run totals, safe to add to from several threads."""

    prices: PriceTable
    total: Usage = field(default_factory=lambda: Usage(cost_usd=0.0))
    unpriced_models: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, model: str, usage: Usage) -> None:
        """Count one article's usage (already priced) in the run totals."""
        with self._lock:
            if usage.cost_usd is None:
                self.unpriced_models.add(model)
            self.total = self.total + usage.model_copy(update={"cost_usd": usage.cost_usd or 0.0})
