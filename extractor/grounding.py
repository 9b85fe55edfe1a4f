"""Align evidence quotes to the article: exact, then normalised, then fuzzy.

A quote that cannot be found is kept and marked unverified; callers count it, never drop it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz

from extractor.schema import Evidence

#: Fuzzy matches below this similarity (0-100) leave the quote unverified.
FUZZY_THRESHOLD = 90.0
#: Quotes shorter than this (after normalising) are too weak to verify fuzzily.
MIN_FUZZY_CHARS = 12
#: A record with more than this share of its evidence unverified is "mostly unverified": an
#: LLM is re-asked once with those quotes named, and a record still so is flagged
#: (``warnings: ["mostly_unverified"]``). `--max-unverified` sets it.
MAX_UNVERIFIED_SHARE = 0.5

_FOLD = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "‑": "-",
        "‒": "-",
        "−": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_SPACE = re.compile(r"\s+")


def _normalise_with_map(text: str) -> tuple[str, list[int], list[int]]:
    """Fold quotes, dashes, case, Unicode form and runs of white space; keep where each output
    character came from: the start and the end of its source character with its combining
    marks (so NFD "u" + U+0308 and NFC "ü" fold alike, and a span covers the marks too)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    previous_space = False
    i, size = 0, len(text)
    while i < size:
        j = i + 1
        while j < size and unicodedata.combining(text[j]):
            j += 1
        folded = unicodedata.normalize("NFKC", text[i:j].translate(_FOLD)).lower()
        for out in folded:
            if out.isspace():
                if previous_space:
                    continue
                out = " "
                previous_space = True
            else:
                previous_space = False
            chars.append(out)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(chars), starts, ends


def normalise_text(text: str) -> str:
    """The folded form used for matching (quotes, dashes, case, Unicode form, white space)."""
    return _normalise_with_map(text)[0]


def mostly_unverified(verified: Sequence[bool], max_share: float = MAX_UNVERIFIED_SHARE) -> bool:
    """True when more than `max_share` of the evidence items (their `verified` flags) are
    unverified; never for a record without evidence."""
    if not verified:
        return False
    return sum(not v for v in verified) / len(verified) > max_share


def ground_quote(quote: str, text: str, start: int = 0, end: int | None = None) -> Evidence:
    """Find `quote` in `text[start:end]`, else anywhere in `text`; offsets index `text`."""
    windows = [(start, len(text) if end is None else end)]
    if windows[0] != (0, len(text)):
        windows.append((0, len(text)))
    for lo, hi in windows:
        evidence = _ground_in(quote, text, lo, hi)
        if evidence.verified:
            return evidence
    return Evidence(quote=quote)


def _ground_in(quote: str, text: str, lo: int, hi: int) -> Evidence:
    needle = quote.strip()
    if not needle:
        return Evidence(quote=quote)
    found = text.find(needle, lo, hi)
    if found >= 0:
        return Evidence(
            quote=quote,
            start=found,
            end=found + len(needle),
            verified=True,
            method="exact",
            score=100.0,
        )

    region = text[lo:hi]
    hay, hay_map, hay_ends = _normalise_with_map(region)
    pin = _SPACE.sub(" ", normalise_text(needle)).strip()
    if not pin or not hay:
        return Evidence(quote=quote)
    at = hay.find(pin)
    if at >= 0:
        s, e = lo + hay_map[at], lo + hay_ends[at + len(pin) - 1]
        return Evidence(
            quote=quote, start=s, end=e, verified=True, method="normalized", score=100.0
        )

    if len(pin) < MIN_FUZZY_CHARS:
        return Evidence(quote=quote)
    alignment = fuzz.partial_ratio_alignment(pin, hay, score_cutoff=FUZZY_THRESHOLD)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return Evidence(quote=quote)
    s = lo + hay_map[alignment.dest_start]
    e = lo + hay_ends[alignment.dest_end - 1]
    # The alignment window has the quote's length; widen it to whole words.
    while s > lo and text[s - 1].isalnum():
        s -= 1
    while e < hi and text[e].isalnum():
        e += 1
    return Evidence(
        quote=quote, start=s, end=e, verified=True, method="fuzzy", score=round(alignment.score, 1)
    )
