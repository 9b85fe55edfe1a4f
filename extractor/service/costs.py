"""The most an article may cost, held against a key's budget while the article is under way.

A bound, not a guess, so that admitted requests cannot spend past a budget together: every
call the article may make (each chunk, asked once, re-asked up to ``max_reasks`` times and once
more for unverified evidence), each reading at most a token per character of its chunk plus
the prompt, and answering at most ``max_output_tokens``. The finished article is charged what it
actually spent and its reservation is released. A backend that runs on this machine (offline)
costs nothing.
"""

from __future__ import annotations

import math

from extractor.article_step import ArticleExtractor
from extractor.service.models import ArticleIn
from extractor.settings import Settings
from extractor.usage import PER_TOKENS

#: Tokens of the prompt around the article (instructions, and the schema in json_object modes).
PROMPT_TOKENS_BOUND = 8_000


class CostBound:
    """`bound(article)`: USD, or None when the model's price is unknown."""

    def __init__(self, step: ArticleExtractor, settings: Settings) -> None:
        self.local = step.backend.capabilities.runs_in_processes
        model = step.backend_fingerprint.get("model", "")
        self.price = None if self.local else step.prices.lookup(model)
        if not self.local:
            # Imported only for a backend that calls a model (it brings in the openai SDK).
            from extractor.backends.llm.config import OpenAIConfig

            config = OpenAIConfig.from_settings(settings)
            self.calls_per_chunk = 2 + config.max_reasks
            self.max_output_tokens = config.max_output_tokens
            self.context_chars = step.backend.context_chars or config.context_chars

    def __call__(self, article: ArticleIn) -> float | None:
        if self.local:
            return 0.0
        if self.price is None:
            return None
        chunks = max(1, math.ceil(len(article.text) / self.context_chars))
        calls = chunks * self.calls_per_chunk
        tokens_in = self.calls_per_chunk * (len(article.text) + chunks * PROMPT_TOKENS_BOUND)
        tokens_out = calls * self.max_output_tokens
        return (tokens_in * self.price.input + tokens_out * self.price.output) / PER_TOKENS
