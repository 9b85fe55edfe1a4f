"""Text similarity for grouping: TF-IDF vectors and their cosine, with the standard library."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[^\W\d_]{3,}")
_STOPWORDS = frozenset(
    {
        "about",
        "after",
        "all",
        "also",
        "and",
        "any",
        "are",
        "been",
        "being",
        "but",
        "can",
        "could",
        "for",
        "from",
        "had",
        "has",
        "have",
        "her",
        "him",
        "his",
        "into",
        "its",
        "just",
        "like",
        "may",
        "more",
        "most",
        "new",
        "not",
        "one",
        "only",
        "other",
        "our",
        "out",
        "over",
        "said",
        "says",
        "she",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "told",
        "two",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "will",
        "with",
        "would",
        "year",
        "years",
        "you",
        "your",
    }
)


def tokens(text: str) -> list[str]:
    """Lowercased words of three letters or more, without stop words, crudely stemmed."""
    words = (word.casefold() for word in _WORD.findall(text))
    return [_stem(word) for word in words if word not in _STOPWORDS]


def _stem(word: str) -> str:
    # Enough to fold "signed"/"signing"/"signs" and "attacks"/"attacked"; not a linguist's stem.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


Vector = dict[str, float]


def tfidf_vectors(documents: Sequence[str]) -> list[Vector]:
    """One unit-length TF-IDF vector (smoothed idf, sublinear tf) per document."""
    counts = [Counter(tokens(document)) for document in documents]
    frequency: Counter[str] = Counter()
    for count in counts:
        frequency.update(count.keys())
    total = len(documents)
    idf = {term: math.log((1 + total) / (1 + df)) + 1.0 for term, df in frequency.items()}
    vectors: list[Vector] = []
    for count in counts:
        vector = {term: (1.0 + math.log(tf)) * idf[term] for term, tf in count.items()}
        norm = math.sqrt(sum(weight * weight for weight in vector.values()))
        vectors.append({term: weight / norm for term, weight in vector.items()} if norm else {})
    return vectors


def cosine(left: Vector, right: Vector) -> float:
    """Cosine of two unit-length sparse vectors."""
    if len(left) > len(right):
        left, right = right, left
    return sum(weight * right.get(term, 0.0) for term, weight in left.items())
