"""An HTML page's visible text and the metadata it gives about itself (<title>, Open Graph and
article meta tags), with the standard library's parser: no DOM, one pass."""

from __future__ import annotations

from html.parser import HTMLParser

# Not "head": HTML may leave out </head>, and then its skip would swallow the whole body. What a
# head holds besides <title> (script, style, meta) is skipped or empty anyway.
_SKIPPED_TAGS = frozenset({"script", "style", "nav", "noscript", "template", "svg"})
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "main",
        "header", "footer", "aside", "blockquote", "pre", "figure", "figcaption", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "dl", "body", "html",
    }
)  # fmt: skip
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "source", "area"})


#: <meta property|name=KEY content=...> -> article metadata field (the first of each counts).
HTML_META_FIELDS = {
    "article:published_time": "published",
    "og:site_name": "source",
    "og:url": "url",
}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.title_parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._current: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._read_meta(dict(attrs))
        elif tag == "title":
            self._in_title = True
        elif tag in _SKIPPED_TAGS and tag not in _VOID_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip_depth:
            self._current.append(data)

    def _read_meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        content = " ".join((attrs.get("content") or "").split())
        field_name = HTML_META_FIELDS.get(key)
        if field_name is not None and content and field_name not in self.meta:
            self.meta[field_name] = content

    def _break(self) -> None:
        paragraph = " ".join("".join(self._current).split())
        if paragraph:
            self.paragraphs.append(paragraph)
        self._current = []

    def close(self) -> None:
        super().close()
        self._break()


def html_page(html: str) -> tuple[str, dict[str, str | None]]:
    """Visible text of an HTML page, one paragraph per line (blank line between), and the
    metadata it gives: `title` from <title>, `published`, `source` and `url` from
    `HTML_META_FIELDS` (Open Graph and article meta tags)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    metadata: dict[str, str | None] = {"title": " ".join("".join(parser.title_parts).split())}
    metadata.update(parser.meta)
    metadata["title"] = metadata["title"] or None
    return "\n\n".join(parser.paragraphs), metadata


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML page and its <title> (see `html_page` for the rest)."""
    text, metadata = html_page(html)
    return text, metadata["title"]
