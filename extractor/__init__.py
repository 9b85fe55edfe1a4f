"""extractor: news articles in, typed and evidence-grounded event records out.

    import extractor
    record = extractor.extract(text, published="2024-06-19")     # one article -> EventRecord
    for line in extractor.run(["articles/"]): ...                 # many -> ResultLine each
    result = extractor.evaluate("run.jsonl")                      # a run -> scores

Everything named here is imported on first use (`__getattr__`), so ``import extractor`` loads
neither pydantic models nor spaCy nor the OpenAI SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from extractor.api import evaluate, extract, read_lines, run
    from extractor.article_step import ArticleExtractor, extract_article
    from extractor.articles import Article
    from extractor.errors import ConfigError, ExtractionFailed, ExtractorError
    from extractor.lines import ResultLine
    from extractor.schema import EventRecord
    from extractor.settings import Settings

#: Public name -> the module it lives in.
_EXPORTS = {
    "extract": "extractor.api",
    "run": "extractor.api",
    "evaluate": "extractor.api",
    "read_lines": "extractor.api",
    "extract_article": "extractor.article_step",
    "ArticleExtractor": "extractor.article_step",
    "Article": "extractor.articles",
    "ResultLine": "extractor.lines",
    "EventRecord": "extractor.schema",
    "Settings": "extractor.settings",
    "ExtractorError": "extractor.errors",
    "ConfigError": "extractor.errors",
    "ExtractionFailed": "extractor.errors",
}

__all__ = [
    "Article",
    "ArticleExtractor",
    "ConfigError",
    "EventRecord",
    "ExtractionFailed",
    "ExtractorError",
    "ResultLine",
    "Settings",
    "__version__",
    "evaluate",
    "extract",
    "extract_article",
    "read_lines",
    "run",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'extractor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value
