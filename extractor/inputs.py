"""Reading articles: files, folders, globs and standard input, lazily and in a stable order.

What a run reads, in the order it reads it (this is the order of the output lines):

* Each PATH argument in the order given. A folder contributes its files sorted by name (its
  sub-folders too, depth first, with ``recursive``; symlinked folders are never followed); a glob
  contributes its matches sorted by name; ``-`` reads standard input.
* Article formats by extension: ``.txt``, ``.html``/``.htm``, ``.jsonl`` (one article per line).
  Other files inside a folder or glob are skipped and counted in the report; a file named
  explicitly with another extension is an error line.
* Standard input is JSON Lines when its first non-blank character is ``{``, else one plain-text
  article with id ``stdin``.
* Size: a file of more than 4 bytes per ``max_chars`` character (UTF-8's worst case) is refused
  unread; plain-text standard input is read up to that bound only, and past it is an error line
  with the rest left unread (a writer still writing then gets a broken pipe). A JSON Lines line,
  from a file or standard input, is read whole and its text checked once parsed.

Bad input never stops a run: it becomes a `BadInput` (an error line) and reading goes on.

* A missing path or a glob that matches nothing is an error line whose id is the argument as
  typed, provided something else was found; if nothing readable was named at all,
  `Discovery.has_sources` is false and the caller stops with a usage error.
* Text decoding: UTF-8 (a leading byte-order mark is dropped); failing that, Windows-1252 if the
  bytes decode under it with no control characters, which adds a warning to the report;
  otherwise an error. A NUL byte marks a binary file, also an error.
* A second article with an id already seen in this run gets a ``duplicate_id`` error line; the
  first one keeps the id.

Metadata, strongest first: what the caller gives for every article (``--source``...), a folder's
``metadata.json``, what the file says of itself (JSON Lines fields, an HTML page's tags, see
`extractor.html_text`; a .txt file's headline line).

Over 400 lines because every rule above is one input's edge case, and they share the reader's
state (ids seen, the report, the size bound); discovery (paths -> sources) comes first, reading
(sources -> articles) after.
"""

from __future__ import annotations

import fnmatch
import glob
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import IO, Any

from extractor.articles import Article, PublicationDate
from extractor.dates import near_calendar_edge
from extractor.errors import ConfigError, InputError
from extractor.html_text import html_page

ARTICLE_EXTENSIONS = (".txt", ".html", ".htm", ".jsonl")
DEFAULT_MAX_CHARS = 2_000_000
METADATA_FILE = "metadata.json"
METADATA_FIELDS = ("title", "source", "published", "url")
#: A first line of a .txt file up to this long, followed by a blank line, is its headline.
TITLE_MAX_CHARS = 200

# Control characters other than tab, newline, carriage return, form feed and vertical tab: their
# presence after a Windows-1252 decode means the bytes were not text in that encoding either.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_GLOB_CHARS = re.compile(r"[*?\[]")
#: Every way a line may end: LF, CR LF, a lone CR (old Mac files), U+2028/2029, NEL.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029\x85]")


@dataclass(frozen=True)
class BadInput:
    """An input that yields no usable article: it becomes one error line and the run goes on."""

    article_id: str
    message: str
    kind: str = InputError.kind


@dataclass
class InputReport:
    """What reading found besides articles: files it skipped and warnings worth showing."""

    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Missing:
    argument: str
    message: str


@dataclass(frozen=True)
class _Stdin:
    pass


_Source = Path | _Missing | _Stdin


@dataclass
class Discovery:
    """The sources a run will read, found before any is opened (file names only: cheap)."""

    sources: list[_Source]
    report: InputReport

    @property
    def has_sources(self) -> bool:
        """True when at least one file or standard input was found to read."""
        return any(not isinstance(source, _Missing) for source in self.sources)

    @property
    def missing(self) -> list[str]:
        """Messages for the arguments that named nothing."""
        return [s.message for s in self.sources if isinstance(s, _Missing)]


def _encodable(text: str) -> bool:
    """False for text with lone surrogates (valid JSON escapes, but not writable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def discover(paths: list[str], *, recursive: bool = False) -> Discovery:
    """Expand PATH arguments into an ordered list of sources without reading any file."""
    report = InputReport()
    sources: list[_Source] = []
    for raw in paths:
        if raw == "-":
            sources.append(_Stdin())
        elif os.path.lexists(raw):
            path = Path(raw)
            if path.is_dir():
                sources.extend(_folder_files(path, recursive, report))
            else:
                # Named explicitly: read it even if it is a symlink loop, so the error says so.
                sources.append(path)
        elif _GLOB_CHARS.search(raw):
            matches = expand_glob(raw, recursive=recursive)
            if not matches:
                sources.append(_Missing(raw, f"{raw}: no files match this pattern"))
            found: list[Path] = []
            for match in matches:
                candidate = Path(match)
                if candidate.is_dir():
                    found.extend(_folder_files(candidate, recursive, report))
                elif _is_article_file(candidate):
                    found.append(candidate)
                elif candidate.name != METADATA_FILE:
                    report.skipped.append(match)
            # "r/**" matches a folder and the files in it: each file is read once.
            seen: set[str] = set()
            for path in found:
                real = os.path.realpath(path)
                if real not in seen:
                    seen.add(real)
                    sources.append(path)
        else:
            sources.append(_Missing(raw, f"{raw}: no such file or directory"))
    return Discovery(sources, report)


def expand_glob(pattern: str, *, recursive: bool = False) -> list[str]:
    """The paths `pattern` matches, sorted, each file once. With `recursive`, ``**`` matches any
    depth of folders, but symlinked folders are neither entered nor matched (`glob.glob`
    enters them, and a link to a parent folder makes it loop until the path is too long)."""
    parts = pattern.split(os.sep)
    if not recursive or "**" not in parts:
        matches = glob.glob(pattern)  # each wildcard is one level: no loop is possible
    else:
        fixed = list(itertools.takewhile(lambda part: not glob.has_magic(part), parts))
        root = os.sep.join(fixed) or ("" if pattern.startswith(os.sep) else ".")
        if pattern.startswith(os.sep) and not root:
            root = os.sep
        matches = list(_walk_matches(root, fixed, parts[len(fixed) :]))
    unique: dict[str, str] = {}
    for match in sorted(matches):
        unique.setdefault(os.path.realpath(match), match)
    return sorted(unique.values())


def _walk_matches(root: str, fixed: list[str], wanted: list[str]) -> Iterator[str]:
    for folder, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        relative = os.path.relpath(folder, root)
        above = [] if relative == os.curdir else relative.split(os.sep)
        # A symlinked folder is neither entered nor matched, as in folder discovery.
        real_folders = [name for name in folders if not os.path.islink(os.path.join(folder, name))]
        for name in real_folders + files:
            if _parts_match(wanted, [*above, name]):
                yield os.sep.join([*fixed, *above, name]) if fixed else os.sep.join([*above, name])


def _parts_match(wanted: list[str], names: list[str]) -> bool:
    """Whether path components `names` match glob components `wanted` (``**``: any depth)."""
    if not wanted:
        return not names
    head = wanted[0]
    if head == "**":
        if _parts_match(wanted[1:], names):
            return True
        return bool(names) and not names[0].startswith(".") and _parts_match(wanted, names[1:])
    if not names or (names[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatch.fnmatchcase(names[0], head) and _parts_match(wanted[1:], names[1:])


def _is_article_file(path: Path) -> bool:
    return path.suffix.lower() in ARTICLE_EXTENSIONS


def _folder_files(folder: Path, recursive: bool, report: InputReport) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        report.warnings.append(f"{folder}: cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        path = Path(entry.path)
        # follow_symlinks=False: a symlinked folder could loop, so it is never descended into.
        if entry.is_dir(follow_symlinks=False):
            if recursive:
                yield from _folder_files(path, recursive, report)
            else:
                report.skipped.append(f"{path}/ (folder; use --recursive)")
        elif _is_article_file(path):
            yield path
        elif entry.name != METADATA_FILE:
            report.skipped.append(str(path))


class ArticleReader:
    """Reads discovered sources lazily, one article (or one `BadInput`) at a time."""

    def __init__(
        self,
        discovery: Discovery,
        *,
        max_chars: int = DEFAULT_MAX_CHARS,
        stdin: IO[bytes] | None = None,
        given: Mapping[str, str] | None = None,
    ) -> None:
        self.discovery = discovery
        self.report = discovery.report
        self.max_chars = max_chars
        self._stdin = stdin
        #: Metadata given for every article read (``--source``...): it beats the input's own.
        self._given = _checked_given(given or {})
        self._seen: dict[str, str] = {}
        self._metadata: dict[Path, dict[str, Any] | str] = {}

    def __iter__(self) -> Iterator[Article | BadInput]:
        for source in self.discovery.sources:
            for item in self._read_source(source):
                if self._given and isinstance(item, Article):
                    item = replace(item, **self._given)
                published = item.published if isinstance(item, Article) else None
                if isinstance(item, Article) and published and near_calendar_edge(published):
                    self.report.warnings.append(
                        f"article {item.id}: published {published} is at the edge of the "
                        "calendar; a relative date that falls outside it (years 1-9999) is null"
                    )
                yield self._check_duplicate(item, source)

    def _check_duplicate(self, item: Article | BadInput, source: _Source) -> Article | BadInput:
        item_id = item.id if isinstance(item, Article) else item.article_id
        where = _describe(source)
        first = self._seen.get(item_id)
        if first is None:
            self._seen[item_id] = where
        elif isinstance(item, Article):
            return BadInput(
                item_id,
                f"id {item_id!r} ({where}) was already used by {first} in this run",
                kind="duplicate_id",
            )
        return item

    def _read_source(self, source: _Source) -> Iterator[Article | BadInput]:
        if isinstance(source, _Missing):
            yield BadInput(source.argument, source.message)
        elif isinstance(source, _Stdin):
            yield from self._read_stdin()
        elif source.suffix.lower() == ".jsonl":
            yield from self._read_jsonl_file(source)
        else:
            yield self._read_document(source)

    # ------------------------------------------------------------------ documents

    def _read_document(self, path: Path) -> Article | BadInput:
        article_id = path.stem
        suffix = path.suffix.lower()
        try:
            if suffix not in ARTICLE_EXTENSIONS:
                expected = ", ".join(ARTICLE_EXTENSIONS)
                raise InputError(
                    f"unsupported file type {suffix or '(none)'} (expected {expected})"
                )
            text = self._decode(self._read_bytes(path), str(path))
            own: dict[str, str | None]
            if suffix == ".txt":
                own = {"title": txt_title(text)}
            else:
                text, own = html_page(text)
                self._drop_bad_published(own, str(path))
            # metadata.json beats what the file says of itself; its nulls say nothing.
            listed = self._metadata_for(path, article_id)
            metadata = {**own, **{k: v for k, v in listed.items() if v is not None}}
            return _build_article(article_id, text, metadata, self.max_chars)
        except InputError as exc:
            return BadInput(article_id, f"{path}: {exc}")

    def _drop_bad_published(self, page: dict[str, str | None], where: str) -> None:
        # A page's own markup is not the user's input: a date that does not parse is ignored.
        published = page.get("published")
        if published is None:
            return
        try:
            PublicationDate.parse(published)
        except InputError as exc:
            self.report.warnings.append(f"{where}: article:published_time ignored: {exc}")
            page["published"] = None

    def _read_bytes(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size == 0:
                raise InputError("empty file")
            # Four bytes per character is UTF-8's worst case: anything larger is surely too long.
            if size > 4 * self.max_chars:
                raise InputError(
                    f"file has {size} bytes, over the limit of {self.max_chars} characters"
                )
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}") from exc

    def _decode(self, data: bytes, where: str) -> str:
        text, warning = decode_text(data)
        if warning:
            self.report.warnings.append(f"{where}: {warning}")
        return text

    def _metadata_for(self, path: Path, article_id: str) -> dict[str, Any]:
        folder = path.parent
        if folder not in self._metadata:
            self._metadata[folder] = _load_metadata(folder / METADATA_FILE)
        table = self._metadata[folder]
        if isinstance(table, str):
            raise InputError(table)
        entry = table.get(article_id, {})
        if not isinstance(entry, dict):
            raise InputError(f"{folder / METADATA_FILE}: entry {article_id!r} is not an object")
        return {key: value for key, value in entry.items() if value is not None}

    # ------------------------------------------------------------------ JSON Lines

    def _read_jsonl_file(self, path: Path) -> Iterator[Article | BadInput]:
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield BadInput(path.stem, f"{path}: cannot read: {exc.strerror or exc}")
            return
        with handle:
            yield from self._read_jsonl(handle, path.name, path)

    def _read_jsonl(
        self, lines: Iterable[bytes], name: str, path: Path | None
    ) -> Iterator[Article | BadInput]:
        found = False
        for lineno, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            found = True
            yield self._parse_jsonl_line(raw, name, lineno, path)
        if not found:
            yield BadInput(Path(name).stem, f"{name}: empty file (no JSON lines)")

    def _parse_jsonl_line(
        self, raw: bytes, name: str, lineno: int, path: Path | None
    ) -> Article | BadInput:
        where = f"{name}:{lineno}"
        try:
            obj = json.loads(self._decode(raw, where))
        # ValueError: a JSON error, or an integer too long to convert; RecursionError: deep nesting.
        except (ValueError, RecursionError, InputError) as exc:
            return BadInput(where, f"{where}: malformed JSON line: {str(exc)[:200]}")
        if not isinstance(obj, dict):
            return BadInput(where, f"{where}: a line must be a JSON object")
        raw_id = obj.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id).strip():
            return BadInput(where, f"{where}: 'id' must be a non-empty string")
        article_id = str(raw_id)
        text = obj.get("text")
        for label, value in (("id", article_id), ("text", text)):
            if isinstance(value, str) and not _encodable(value):
                return BadInput(where, f"{where}: '{label}' holds an unpaired surrogate escape")
        try:
            if not isinstance(text, str):
                raise InputError("'text' must be a string")
            metadata: dict[str, Any] = {}
            if path is not None:
                metadata = self._metadata_for(path, article_id)
            line_fields = {k: obj[k] for k in METADATA_FIELDS if obj.get(k) is not None}
            return _build_article(article_id, text, {**metadata, **line_fields}, self.max_chars)
        except InputError as exc:
            return BadInput(article_id, f"{where}: {exc}")

    # ------------------------------------------------------------------ stdin

    def _read_stdin(self) -> Iterator[Article | BadInput]:
        stream = self._stdin if self._stdin is not None else sys.stdin.buffer
        # Four bytes per character is UTF-8's worst case: one byte more is surely too long. Both
        # the search for the first non-blank line and a plain-text article stay within this bound.
        limit = 4 * self.max_chars + 1
        head = b""
        while len(head) < limit:
            line = stream.readline(limit - len(head))
            head += line
            if not line or line.strip():
                break
        if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
            # Lines are not bounded, as in a .jsonl file: finish the first one, then put what was
            # read back in front of the rest of the stream.
            if not head.endswith(b"\n"):
                head += stream.readline()
            yield from self._read_jsonl(chain(io.BytesIO(head), stream), "stdin", None)
            return
        try:
            # Past the limit the rest is left unread: a writer still writing gets a broken pipe.
            data = head + stream.read(limit - len(head))
            if not data:
                raise InputError("empty input")
            if len(data) > 4 * self.max_chars:
                raise InputError(
                    f"input has more than {4 * self.max_chars} bytes,"
                    f" over the limit of {self.max_chars} characters"
                )
            text = self._decode(data, "stdin")
            yield _build_article("stdin", text, {"title": txt_title(text)}, self.max_chars)
        except InputError as exc:
            yield BadInput("stdin", f"stdin: {exc}")


def read_articles(
    paths: list[str],
    *,
    recursive: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> tuple[Discovery, ArticleReader]:
    """Discover `paths` and return a lazy reader over them (iterate it for articles)."""
    discovery = discover(paths, recursive=recursive)
    return discovery, ArticleReader(discovery, max_chars=max_chars)


def _describe(source: _Source) -> str:
    if isinstance(source, _Stdin):
        return "stdin"
    if isinstance(source, _Missing):
        return source.argument
    return str(source)


# ---------------------------------------------------------------------- helpers


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode article bytes: UTF-8, else clean Windows-1252 (with a warning), else `InputError`."""
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is None or _CONTROL_CHARS.search(text):
        raise InputError(
            f"not valid UTF-8 (byte {utf8_error.start}) and not clean Windows-1252 text"
        )
    return text, "not valid UTF-8; decoded as Windows-1252 (cp1252)"


def txt_title(text: str) -> str | None:
    """The headline of a plain-text article: a short first line followed by a blank line."""
    lines = _LINE_BREAK.split(text.lstrip("\ufeff"), maxsplit=2)
    if len(lines) < 3:
        return None
    first, second = lines[0].strip(), lines[1]
    if first and len(first) <= TITLE_MAX_CHARS and not second.strip():
        return first
    return None


def _load_metadata(path: Path) -> dict[str, Any] | str:
    """The folder's metadata table, or an error message every article of the folder will carry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{path}: unreadable metadata: {exc}"
    if not isinstance(data, dict):
        return f"{path}: must be a JSON object mapping article id to metadata"
    return data


def _checked_given(given: Mapping[str, str]) -> dict[str, Any]:
    """`Article` fields from metadata given for every article; `ConfigError` for a bad one."""
    unknown = set(given) - set(METADATA_FIELDS)
    if unknown:
        raise ConfigError(f"unknown metadata {sorted(unknown)} (known: {list(METADATA_FIELDS)})")
    fields: dict[str, Any] = dict(given)
    if "published" in given:
        try:
            fields["published"] = PublicationDate.parse(given["published"])
        except InputError as exc:
            raise ConfigError(f"--published: {exc}") from None
    return fields


def _build_article(article_id: str, text: str, metadata: dict[str, Any], max_chars: int) -> Article:
    if not text.strip():
        raise InputError("empty article (only white space)" if text else "empty article text")
    if len(text) > max_chars:
        raise InputError(
            f"article has {len(text)} characters, over the limit of {max_chars} (--max-chars)"
        )
    values: dict[str, str | None] = {}
    for name in METADATA_FIELDS:
        value = metadata.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(f"metadata {name!r} must be a string or null")
        values[name] = value
    published = PublicationDate.parse(values["published"]) if values["published"] else None
    return Article(
        id=article_id,
        text=text,
        title=values["title"],
        source=values["source"],
        published=published,
        url=values["url"],
    )
