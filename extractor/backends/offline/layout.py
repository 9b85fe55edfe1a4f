"""Split an article into blocks and tell the story from the furniture around it.

Articles arrive as scraped text: a headline, perhaps a standfirst, body paragraphs, and
boilerplate (photo captions, credits, bylines, donation appeals, comment prompts). Nothing is
labelled from boilerplate, so it is set aside here with general heuristics about how such
lines look, never with the text of particular articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["headline", "standfirst", "body", "caption", "boilerplate"]


@dataclass(frozen=True)
class Block:
    """A run of article text (one paragraph or line) and what it is."""

    start: int
    end: int
    kind: BlockKind


_TERMINAL = re.compile(r"""[.!?…]["'”’)\]]*\s*$""")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")

# Credits and furniture that only captions and page chrome carry.
_CAPTION_MARKERS = re.compile(
    r"Photograph:|Photo(?:graph)?s?:|Picture:|Image:|Credit:|Illustration:|©|\(c\)\s|"
    r"\bvia Getty\b|Getty Images|\bAFP/|/AFP\b|/Reuters\b|\bReuters/|/AP\b|\bAP Photo\b|"
    r"\bEPA\b|Shutterstock|\bPool/|/Pool\b|\bFile photo\b|\S\s/\s\S|"
    r"\b[\w-]+\.(?:com|org|net|ru|gov|int|co\.uk)\b",
    re.I,
)
# Position words that name who is where in a picture: "Kim (R)", "Putin, left,".
_CAPTION_POSITIONS = re.compile(
    r"\((?:L|R|C|left|right|centre|center)\)|, (?:left|right|centre|center),"
)
_STRONG_BOILERPLATE = re.compile(
    r"all rights reserved|used with (?:the )?permission|reuse this content|opens in new window|"
    r"leave a (?:comment|reply)|required fields are marked|will not be published|"
    r"comment data is processed|jump to comments|sign up (?:for|to) (?:our|the)|"
    r"subscribe (?:to|now)|newsletter|click here|read more\b|follow us on|"
    r"share this (?:article|story)|"
    r"cookies? (?:policy|settings)|advertisement\b|skip advert",
    re.I,
)
_BIO = re.compile(
    r"^[A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+){0,3} (?:is|was) (?:a|an|the)\b[^.]{0,60}?"
    r"\b(?:contributor|correspondent|reporter|editor|columnist|journalist|writer|producer)\b"
)
_BYLINE = re.compile(r"^(?:By|BY|Written by|Reporting by|Edited by)\s+[A-Z]")
_FIRST_PLURAL = re.compile(r"\b(?:we|us|our|ours)\b", re.I)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours)\b", re.I)
_QUOTED = re.compile(r"[“\"][^”\"]*[”\"]")


def _words(line: str) -> int:
    return len(_WORD.findall(line))


def _is_appeal(line: str) -> bool:
    """The outlet talking to its reader ("we need your support"), outside any quotation."""
    bare = _QUOTED.sub(" ", line)
    return bool(_FIRST_PLURAL.search(bare) and _SECOND_PERSON.search(bare))


def classify_line(line: str) -> BlockKind | None:
    """Boilerplate or caption kind of one stripped line, or None if it may be article text."""
    if _CAPTION_MARKERS.search(line) or _CAPTION_POSITIONS.search(line):
        return "caption"
    if _STRONG_BOILERPLATE.search(line) or _BYLINE.match(line) or _BIO.match(line):
        return "boilerplate"
    if _is_appeal(line):
        return "boilerplate"
    if "you" in line.lower().split() and _words(line) < 25 and not _QUOTED.search(line):
        # Short lines addressed to the reader ("Not ready to support today?") are page chrome.
        return "boilerplate"
    return None


def _wrapped(lines: list[str]) -> bool:
    """Whether consecutive lines are one hard-wrapped paragraph rather than separate paragraphs."""
    if len(lines) < 2:
        return False
    open_ends = sum(1 for line in lines[:-1] if not _TERMINAL.search(line))
    return open_ends >= (len(lines) - 1) / 2 and all(len(line) > 40 for line in lines[:-1])


def _raw_blocks(text: str) -> list[tuple[int, int]]:
    """Character spans of paragraphs: blank-line separated, single lines unless hard-wrapped."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"(?:[^\n]|\n(?![ \t\u00a0]*\n))+", text):
        lines = [m for m in re.finditer(r"[^\n]+", para.group()) if m.group().strip()]
        if not lines:
            continue
        if _wrapped([m.group().strip() for m in lines]):
            spans.append((para.start() + lines[0].start(), para.start() + lines[-1].end()))
            continue
        spans.extend((para.start() + m.start(), para.start() + m.end()) for m in lines)
    return [_strip(text, start, end) for start, end in spans]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_blocks(text: str) -> list[Block]:
    """Every paragraph of `text` with its kind; headline and standfirst come before the body."""
    blocks: list[Block] = []
    seen_body = False
    seen_headline = False
    for start, end in _raw_blocks(text):
        line = text[start:end]
        kind = classify_line(line)
        words = _words(line)
        if kind is None:
            complete = bool(_TERMINAL.search(line))
            if complete and words >= 8:
                kind = "body"
            elif not seen_body and not complete and 3 <= words <= 25:
                kind = "standfirst" if seen_headline else "headline"
            elif not seen_body and not complete and words > 25:
                # A long line with no full stop before the story starts is a picture caption.
                kind = "caption"
            else:
                kind = "boilerplate"
        if kind == "headline":
            seen_headline = True
        if kind == "body":
            seen_body = True
        blocks.append(Block(start, end, kind))
    return blocks
