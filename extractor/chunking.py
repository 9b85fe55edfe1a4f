"""Split an article that is longer than a backend's context budget, on sentence boundaries."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _sentencizer() -> Any:
    # spaCy's rule-based sentencizer: no model to load, so chunking works for any backend.
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 10**8
    return nlp


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, covering it from start to end."""
    doc = _sentencizer()(text)
    spans = [(sent.start_char, sent.end_char) for sent in doc.sents]
    if not spans:
        return [(0, len(text))]
    # Stretch spans so that the white space between sentences belongs to one of them.
    stretched = [(0, spans[0][1])]
    for start, end in spans[1:]:
        stretched[-1] = (stretched[-1][0], start)
        stretched.append((start, end))
    stretched[-1] = (stretched[-1][0], len(text))
    return stretched


def chunk_spans(text: str, budget: int, overlap: int = 1) -> list[tuple[int, int]]:
    """Windows of at most `budget` characters; each repeats the last `overlap` sentences before it.

    A single sentence longer than the budget is cut at the budget.
    """
    if len(text) <= budget:
        return [(0, len(text))]
    sentences: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        while end - start > budget:
            sentences.append((start, start + budget))
            start += budget
        sentences.append((start, end))

    chunks: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and sentences[last + 1][1] - sentences[first][0] <= budget:
            last += 1
        chunks.append((sentences[first][0], sentences[last][1]))
        if last + 1 >= len(sentences):
            break
        first = max(last + 1 - overlap, first + 1)
    return chunks
