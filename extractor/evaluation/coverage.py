"""Summary coverage: how much of a gold key fact a summary states, word by word.

A fact's content words (casefolded, stemmed, without stopwords) are looked up in the summary,
exactly or, for words of four letters or more, fuzzily; a fact is covered at
`COVERAGE_THRESHOLD` of its words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

#: A key fact is covered when at least this share of its content words is in the summary.
COVERAGE_THRESHOLD = 0.65
#: Two words are "the same word" at this rapidfuzz ratio (0-100): attack/attacked, sign/signed.
WORD_MATCH_RATIO = 80.0
#: Words this short must match exactly; fuzzy matching them pairs unrelated words (war/was).
_MIN_FUZZY_WORD = 4
_STOPWORD_TEXT = """
    a an the and or but if of to in on at by for with from as into onto over under about
    after before between during against within without is are was were be been being has have
    had do does did will would shall should can could may might must this that these those it
    its their they them he she his her we our you your i not no than then there which who whom
    whose what when where why how also both each either any all some such other more most very
    just only so up out per via said says say"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str:
    """Drop one inflection suffix (signing/signed -> sign), keeping a stem of 3+ letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Casefolded, stemmed words of `text` without stopwords, in order, each once."""
    words = re.findall(r"[\w']+", text.replace("’", "'").casefold())
    seen: dict[str, None] = {}
    for word in words:
        word = word.removesuffix("'s").strip("'")
        if word and word not in _STOPWORDS:
            seen.setdefault(_stem(word), None)
    return list(seen)


def fact_coverage(fact: str, summary: str) -> float:
    """Share of the fact's content words found in the summary (fuzzily for words of 4+ letters)."""
    wanted = content_words(fact)
    if not wanted:
        return 1.0
    have = content_words(summary)
    exact = set(have)

    def present(word: str) -> bool:
        if word in exact:
            return True
        if len(word) < _MIN_FUZZY_WORD or word.isdigit():
            return False
        return any(
            len(w) >= _MIN_FUZZY_WORD and fuzz.ratio(word, w) >= WORD_MATCH_RATIO for w in have
        )

    return sum(present(w) for w in wanted) / len(wanted)


def covered_facts(facts: Sequence[str], summary: str) -> int:
    """How many of `facts` the summary covers (each at `COVERAGE_THRESHOLD` of its words)."""
    return sum(fact_coverage(fact, summary) >= COVERAGE_THRESHOLD for fact in facts)
