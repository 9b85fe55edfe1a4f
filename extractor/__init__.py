"""extractor: news articles in, typed and evidence-grounded event records out."""

__version__ = "0.1.0"
