from __future__ import annotations

import itertools

from extractor.chunking import chunk_spans


def test_chunks_cover_the_text_on_sentence_boundaries_with_overlap() -> None:
    sentences = [f"Sentence number {i} says something about the talks." for i in range(200)]
    text = " ".join(sentences)
    chunks = chunk_spans(text, budget=1000, overlap=1)
    assert len(chunks) > 5
    assert chunks[0][0] == 0 and chunks[-1][1] == len(text)
    for (_s1, e1), (s2, _e2) in itertools.pairwise(chunks):
        assert s2 < e1, "consecutive chunks overlap by a sentence"
        assert text[s2:].startswith("Sentence number")
    assert all(e - s <= 1000 for s, e in chunks)


def test_short_text_is_one_chunk_and_an_overlong_sentence_is_cut() -> None:
    assert chunk_spans("One sentence.", budget=100) == [(0, 13)]
    text = "x" * 250
    chunks = chunk_spans(text, budget=100)
    assert chunks[0] == (0, 100) and chunks[-1][1] == 250
