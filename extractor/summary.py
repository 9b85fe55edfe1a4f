"""What a run did: the counts over every output line, the spend of this run's calls, and the
progress line on stderr while it runs."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import IO, Any, Protocol

from extractor.errors import ConfigError, ModelNotInstalled
from extractor.usage import UsageLedger

#: Error kinds that say the run's configuration is wrong, not the article.
CONFIG_ERROR_KINDS = frozenset({ConfigError.kind, ModelNotInstalled.kind})
#: The error kind of an article that hit a bug in this package.
INTERNAL_ERROR_KIND = "internal_error"


class Counted(Protocol):
    """One output line as the summary counts it: its kind and its unverified evidence."""

    @property
    def kind(self) -> str: ...

    @property
    def unverified(self) -> int: ...

    @property
    def flagged(self) -> bool: ...


@dataclass
class RunSummary:
    """What a run did. Counts cover every line of the output; tokens and cost, this run's calls."""

    output: str
    backend: str
    articles: int = 0
    records: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    resumed: int = 0
    unverified_evidence: int = 0
    #: Records flagged ``mostly_unverified`` (most of their evidence is not in the article).
    mostly_unverified: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    retries: int = 0
    reasks: int = 0
    cost_usd: float = 0.0
    #: A Batch API collect: what the same calls would have cost live (None: not a batch run,
    #: or a model without a live price).
    live_cost_usd: float | None = None
    unpriced_models: list[str] = field(default_factory=list)
    cache_hits: int = 0
    #: Answers the cache could not store (a full or read-only cache folder): the run goes on.
    cache_write_errors: int = 0
    elapsed_s: float = 0.0
    skipped_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The configuration error that stopped the run from sending more articles, if any.
    config_failure: str | None = None
    #: The log file holding the tracebacks of this run's internal errors (bugs), if any.
    internal_error_log: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every article has a record, 1 when some have error lines, 2 when the backend
        reported a configuration error (the later articles were not sent), 70 when an article
        hit a bug (an ``internal_error`` line)."""
        if INTERNAL_ERROR_KIND in self.errors:
            return 70
        if self.errors.keys() & CONFIG_ERROR_KINDS:
            return 2
        return 1 if self.errors else 0

    def count(self, outcome: Counted, *, resumed: bool) -> None:
        """Add one output line to the counts."""
        self.articles += 1
        self.resumed += resumed
        if outcome.kind == "record":
            self.records += 1
            self.unverified_evidence += outcome.unverified
            self.mostly_unverified += outcome.flagged
        else:
            self.errors[outcome.kind] = self.errors.get(outcome.kind, 0) + 1

    def add_spend(self, ledger: UsageLedger) -> None:
        """Take tokens, requests and cost from the ledger of this run's calls."""
        total = ledger.total
        self.input_tokens, self.output_tokens = total.input_tokens, total.output_tokens
        self.requests, self.retries, self.reasks = total.requests, total.retries, total.reasks
        self.cost_usd = round(total.cost_usd or 0.0, 6)
        self.unpriced_models = sorted(ledger.unpriced_models)

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data (what ``--summary-json`` writes)."""
        data = asdict(self)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        data["exit_code"] = self.exit_code
        return data

    def render(self) -> str:
        """The summary as a few human-readable lines."""
        errors = ", ".join(f"{kind} {n}" for kind, n in sorted(self.errors.items())) or "none"
        cost = f"${self.cost_usd:.4f}"
        if self.unpriced_models:
            cost += f" (+ unknown for {', '.join(self.unpriced_models)}: not in the price table)"
        lines = [
            f"extract run: {self.articles} articles -> {self.output} ({self.backend} backend)",
            f"  records {self.records}, errors {sum(self.errors.values())} ({errors}), "
            f"resumed {self.resumed}",
            f"  unverified evidence items {self.unverified_evidence}, records mostly "
            f"unverified {self.mostly_unverified}",
            f"  tokens in {self.input_tokens}, out {self.output_tokens}, requests {self.requests}"
            f" (retries {self.retries}, re-asks {self.reasks}), cost {cost}",
            f"  cache hits {self.cache_hits}, elapsed {self.elapsed_s:.1f}s",
        ]
        if self.live_cost_usd is not None:
            lines.insert(
                4,
                f"  cost at the Batch API rate; the same calls live would have cost "
                f"${self.live_cost_usd:.4f}",
            )
        if self.cache_write_errors:
            lines.append(
                f"  cache write failures {self.cache_write_errors} (those answers were not stored)"
            )
        if self.internal_error_log:
            count = self.errors.get(INTERNAL_ERROR_KIND, 0)
            log = self.internal_error_log
            lines.append(f"  internal errors (a bug) {count}: the tracebacks are in {log}")
        if self.skipped_files:
            shown = ", ".join(self.skipped_files[:5])
            more = f" and {len(self.skipped_files) - 5} more" if len(self.skipped_files) > 5 else ""
            lines.append(f"  skipped {len(self.skipped_files)} non-article files: {shown}{more}")
        if self.config_failure:
            lines.append(f"  stopped sending after a configuration error: {self.config_failure}")
        lines.extend(f"  warning: {warning}" for warning in self.warnings[:20])
        if len(self.warnings) > 20:
            lines.append(f"  ... and {len(self.warnings) - 20} more warnings")
        return "\n".join(lines)


class Progress:
    """One self-rewriting status line on stderr: done / total, rate, time left."""

    def __init__(self, enabled: bool, stream: IO[str], total: int) -> None:
        self.enabled = enabled
        self.stream = stream
        self.total = total  # 0 when unknown (standard input)
        self.started = time.monotonic()
        self._shown = 0.0

    def update(self, summary: RunSummary, *, final: bool = False) -> None:
        """Redraw the line (at most five times a second, unless `final`)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._shown < 0.2:
            return
        self._shown = now
        rate = summary.articles / max(now - self.started, 1e-6)
        done = f"{summary.articles}"
        left = ""
        if self.total >= summary.articles and self.total:
            done = f"{summary.articles}/{self.total} ({100 * summary.articles / self.total:.0f}%)"
            if not final and rate > 0:
                left = f", ~{(self.total - summary.articles) / rate:.0f}s left"
        self.stream.write(
            f"\rextract: {done} done, {summary.records} records, "
            f"{sum(summary.errors.values())} errors, {summary.resumed} resumed "
            f"({rate:.1f}/s{left}) "
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()
