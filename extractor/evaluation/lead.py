"""The lead-3 baseline: the article's first three sentences, as a summary to beat.

A summary that covers fewer key facts than simply copying the lead adds nothing, so `extract eval`
scores the lead with the same coverage metric as the predicted summary. The lead is read from the
body: a headline line is skipped (a short first line followed by a blank line, as `.txt` inputs
have), and so is every paragraph that does not read like prose (fewer than eight words, or no
sentence-ending punctuation: standfirsts, captions, bylines, datelines on their own line).
"""

from __future__ import annotations

import re

#: Sentences in the lead baseline.
LEAD_SENTENCES = 3
#: A paragraph needs this many words, and a sentence end, to count as body text.
_MIN_BODY_WORDS = 8
_TITLE_MAX_CHARS = 300

_ENDS_SENTENCE = re.compile(r"""[.!?…]["'”’)\]]*$""")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
# A sentence ends at . ! ? (and closing quotes or brackets) before white space and a capital,
# a digit or an opening quote.
_BOUNDARY = re.compile(r"""(?<=[.!?…])["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
# Words whose full stop does not end a sentence: titles, months, common initialisms.
_ABBREVIATION_TEXT = """
    mr mrs ms dr prof gen lt col maj capt sgt adm cmdr gov sen rep rev st jr sr no vs
    jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd bros mt ft approx
    u.s u.n u.k e.u u.s.a d.c a.m p.m"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())


def _ends_abbreviation(text: str) -> bool:
    """Whether `text` ends with an abbreviation's full stop or an initial ("J.")."""
    match = re.search(r"([\w.]+)\.$", text)
    if match is None:
        return False
    word = match.group(1).casefold()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, by punctuation, keeping abbreviations whole."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        piece = paragraph[start : match.start()].rstrip()
        if _ends_abbreviation(piece):
            continue
        sentences.append(paragraph[start : match.start()].strip())
        start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        sentences.append(rest)
    return [s for s in sentences if s]


def _hard_wrapped(lines: list[str]) -> bool:
    """Whether consecutive lines are one wrapped paragraph rather than one paragraph each."""
    open_ends = sum(1 for line in lines[:-1] if not _ENDS_SENTENCE.search(line))
    return len(lines) > 1 and open_ends >= (len(lines) - 1) / 2


def _body_paragraphs(text: str) -> list[str]:
    lines = text.lstrip("\ufeff").split("\n")
    if len(lines) >= 3 and 0 < len(lines[0].strip()) <= _TITLE_MAX_CHARS and not lines[1].strip():
        lines = lines[2:]
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", "\n".join(lines)):
        block_lines = [line.strip() for line in block.split("\n") if line.strip()]
        if _hard_wrapped(block_lines):
            paragraphs.append(" ".join(block_lines))
        else:
            paragraphs.extend(block_lines)
    return [
        " ".join(p.split())
        for p in paragraphs
        if len(_WORD.findall(p)) >= _MIN_BODY_WORDS and _ENDS_SENTENCE.search(p.rstrip())
    ]


def lead_sentences(text: str, count: int = LEAD_SENTENCES) -> list[str]:
    """The first `count` sentences of the article's body."""
    sentences: list[str] = []
    for paragraph in _body_paragraphs(text):
        sentences.extend(split_sentences(paragraph))
        if len(sentences) >= count:
            break
    return sentences[:count]


def lead_summary(text: str, count: int = LEAD_SENTENCES) -> str:
    """The lead baseline as one string: the first `count` body sentences joined by spaces."""
    return " ".join(lead_sentences(text, count))
