"""The parsed article: its sentences, each tied to character offsets in the original text.

The pipeline runs once per article, over its headline, standfirst and body paragraphs (never
over boilerplate). Each paragraph is parsed on its own so a sentence never crosses a paragraph
break, and every token keeps its offset in `article.text`, which is how evidence stays verbatim.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from extractor.backends.offline.layout import Block, BlockKind, split_blocks
from extractor.backends.offline.nlp import parse_texts

# Same-length substitutions that help the tagger and keep every offset valid.
_FOR_PARSER = str.maketrans({"\u00a0": " ", "`": "'", "’": "'", "\u2009": " ", "\u202f": " "})
# Every other way of ending a line, as one "\n" (same length: offsets stay valid). A CR before
# LF becomes a space, so a Windows line break stays one line break, not a paragraph break.
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n", "\x0b": "\n", "\x0c": "\n"}
)


def unify_line_breaks(text: str) -> str:
    """`text` with CR LF, lone CR, U+2028/2029, NEL, VT and FF as LF, at the same offsets."""
    return text.replace("\r\n", " \n").translate(_LINE_BREAKS)


@dataclass(frozen=True)
class Sentence:
    """One sentence: a spaCy span plus where its paragraph starts in the article."""

    index: int
    span: Any
    offset: int
    kind: BlockKind
    block: int
    #: The named entities inside the sentence. spaCy's `span.ents` scans every entity of the
    #: paragraph, which over a paragraph of thousands of sentences is quadratic.
    ents: tuple[Any, ...] = ()

    @property
    def start(self) -> int:
        return self.offset + int(self.span.start_char)

    @property
    def end(self) -> int:
        return self.offset + int(self.span.end_char)

    @property
    def tokens(self) -> Any:
        return self.span

    def char(self, token: Any) -> int:
        """Offset in the article of a token's first character."""
        return self.offset + int(token.idx)

    def char_end(self, token: Any) -> int:
        """Offset in the article just past a token."""
        return self.offset + int(token.idx) + len(token.text)


@dataclass
class ParsedArticle:
    """An article's text, its blocks and its parsed sentences (headline first)."""

    text: str
    blocks: list[Block]
    sentences: list[Sentence]
    #: Picture captions, parsed only to learn who is who; nothing is labelled from them.
    captions: list[Sentence]
    #: Where the first body paragraph's wire dateline names its place ("GENEVA"), if it has one.
    dateline: tuple[int, int] | None = None

    @property
    def body(self) -> list[Sentence]:
        return [s for s in self.sentences if s.kind == "body"]

    @property
    def header(self) -> list[Sentence]:
        return [s for s in self.sentences if s.kind in ("headline", "standfirst")]

    def headline(self) -> str | None:
        """The headline line as written, if the article has one."""
        for block in self.blocks:
            if block.kind == "headline":
                return self.text[block.start : block.end]
        return None

    def lead_in(self, sentence: Sentence) -> str:
        """The dateline before a paragraph's first sentence ("GENEVA (Reuters) - "), or ""."""
        block = self.blocks[sentence.block]
        if sentence.start <= block.start or self.text[block.start : sentence.start].strip() == "":
            return ""
        return self.text[block.start : sentence.start]

    def quote(self, sentence: Sentence, first: Any, last: Any) -> str:
        """Verbatim text from token `first` through token `last` of `sentence`."""
        lo, hi = (first, last) if first.i <= last.i else (last, first)
        return self.text[sentence.char(lo) : sentence.char_end(hi)]

    def quote_tokens(self, sentence: Sentence, tokens: list[Any]) -> str:
        """Verbatim text covering all `tokens`, trimmed of dangling punctuation."""
        toks = sorted(tokens, key=lambda t: t.i)
        doc = toks[0].doc
        lo, hi = toks[0].i, toks[-1].i
        bound_lo, bound_hi = sentence.span.start, sentence.span.end - 1
        while lo < hi and doc[lo].is_punct and doc[lo].text not in "“\"'(‘":
            lo += 1
        while hi > lo and doc[hi].is_punct and doc[hi].text in ",;:-–—":
            hi -= 1
        lo, hi = max(lo, bound_lo), min(hi, bound_hi)
        opened = sum(1 for t in doc[lo : hi + 1] if t.text == "(")
        closed = sum(1 for t in doc[lo : hi + 1] if t.text == ")")
        if opened > closed and hi < bound_hi and doc[hi + 1].text == ")":
            hi += 1  # keep "(Kim Jong Un)" whole
        quotes = sum(1 for t in doc[lo : hi + 1] if t.text in ('"', "“", "”"))
        if quotes % 2 and hi < bound_hi and doc[hi + 1].text in ('"', "”"):
            hi += 1  # keep 'Western "blackmail"' whole
        return self.quote(sentence, doc[lo], doc[hi])

    def sentence_text(self, sentence: Sentence) -> str:
        """The sentence verbatim, without surrounding whitespace."""
        return self.text[sentence.start : sentence.end].strip()


_PARSED_KINDS: tuple[BlockKind, ...] = ("headline", "standfirst", "body", "caption")

# A wire dateline before the first sentence: "GENEVA (Reuters) - ", "KYIV, Ukraine (AP) — ",
# "MOSCOW, April 17 (Reuters) - ". The place is in capitals, or an agency's name follows it.
_DATELINE = re.compile(
    r"^(?:(?P<place>[A-Z][A-Z'’\-]{2,}(?:\s+[A-Z][A-Z.'’\-]+){0,3}\b)"
    r"|[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}(?=[^\n()]{0,30}\([A-Z]))?"
    r"(?:,\s*[A-Z][A-Za-z.]*(?:\s+\d{1,2})?){0,2}"
    r"\s*(?P<agency>\([A-Z][\w.&’' ]{0,30}\))?"
    r"\s*[-–—]{1,2}\s+(?=\S)"
)


def dateline_length(paragraph: str) -> int:
    """Characters of a dateline opening `paragraph` ("GENEVA (Reuters) - "), 0 if none."""
    found = _DATELINE.match(paragraph)
    if found is None or not (found.group("place") or found.group("agency")):
        return 0
    return found.end()


def dateline_place(paragraph: str) -> tuple[int, int] | None:
    """Offsets in `paragraph` of the place a dateline names in capitals ("GENEVA"), if any."""
    found = _DATELINE.match(paragraph)
    if found is None or not found.group("place"):
        return None
    return found.start("place"), found.end("place")


def parse_article(text: str, nlp: Any) -> ParsedArticle:
    """Split `text` into blocks and parse the ones that are article text, in one pipe."""
    text = unify_line_breaks(text)
    blocks = split_blocks(text)
    wanted = [(i, b) for i, b in enumerate(blocks) if b.kind in _PARSED_KINDS]
    # "Russia's(Vladimir Putin)" tokenises as one word unless the bracket is set apart.
    clean = re.sub(r"(?<=\S)\((?=\w)", " ", text.translate(_FOR_PARSER))
    # A dateline is left out of the parse, so the lead sentence starts with its subject.
    starts = [
        b.start + (dateline_length(text[b.start : b.end]) if b.kind == "body" else 0)
        for _, b in wanted
    ]
    docs = parse_texts(nlp, [clean[lo : b.end] for lo, (_, b) in zip(starts, wanted, strict=True)])
    sentences: list[Sentence] = []
    captions: list[Sentence] = []
    for (block_index, block), lo, doc in zip(wanted, starts, docs, strict=True):
        spans = list(doc.sents) if block.kind == "body" else [doc[:]]
        for span, ents in zip(spans, _entities_by_span(doc, spans), strict=True):
            if not span.text.strip():
                continue
            if block.kind == "caption":
                captions.append(
                    Sentence(-1 - len(captions), span, lo, "caption", block_index, ents)
                )
            else:
                sentences.append(
                    Sentence(len(sentences), span, lo, block.kind, block_index, ents)
                )
    dateline = None
    first_body = next((b for _, b in wanted if b.kind == "body"), None)
    if first_body is not None:
        place = dateline_place(text[first_body.start : first_body.end])
        if place is not None:
            dateline = (first_body.start + place[0], first_body.start + place[1])
    return ParsedArticle(text, blocks, sentences, captions, dateline)


def _entities_by_span(doc: Any, spans: list[Any]) -> list[tuple[Any, ...]]:
    """For each of `spans` (in order, not overlapping), the entities of `doc` wholly inside it:
    what `span.ents` gives, in one pass over the document."""
    found: list[list[Any]] = [[] for _ in spans]
    starts = [span.start for span in spans]
    for ent in doc.ents:
        at = bisect.bisect_right(starts, ent.start) - 1
        if at >= 0 and ent.end <= spans[at].end:
            found[at].append(ent)
    return [tuple(ents) for ents in found]
