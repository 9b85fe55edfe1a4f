"""Reading articles: formats, metadata, order, and a typed `BadInput` for each kind of bad input."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.articles import Article, PublicationDate
from extractor.errors import InputError
from extractor.html_text import html_to_text
from extractor.inputs import (
    ArticleReader,
    BadInput,
    decode_text,
    discover,
    read_articles,
    txt_title,
)


def read_all(
    *paths: str | Path, recursive: bool = False, max_chars: int = 2_000_000
) -> list[Article | BadInput]:
    _, reader = read_articles([str(p) for p in paths], recursive=recursive, max_chars=max_chars)
    return list(reader)


def ids(items: list[Article | BadInput]) -> list[str]:
    return [item.id if isinstance(item, Article) else item.article_id for item in items]


def only_bad(items: list[Article | BadInput]) -> BadInput:
    assert len(items) == 1 and isinstance(items[0], BadInput), items
    return items[0]


def test_txt_keeps_the_whole_file_as_text_and_a_short_first_line_as_title(tmp_path: Path) -> None:
    text = "Leaders sign accord in Oslo\n\nThe accord was signed on Monday.\n"
    (tmp_path / "a1.txt").write_text(text, encoding="utf-8")

    [article] = read_all(tmp_path / "a1.txt")

    assert isinstance(article, Article)
    assert article.id == "a1"
    assert article.text == text  # unchanged, so evidence offsets match the file
    assert article.title == "Leaders sign accord in Oslo"


@pytest.mark.parametrize(
    "text",
    [
        "One paragraph straight away, no headline.\nSecond line.\n",
        "x" * 300 + "\n\nbody\n",
        "\n\nStarts with blank lines.\n",
    ],
)
def test_no_title_unless_a_short_first_line_is_followed_by_a_blank_line(text: str) -> None:
    assert txt_title(text) is None


def test_html_visible_text_without_script_style_nav(tmp_path: Path) -> None:
    page = """<!doctype html><html><head><title>Accord &amp; talks</title>
    <style>p { color: red }</style><script>var secret = "x";</script></head>
    <body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
    <h1>Leaders   sign accord</h1><p>The accord was <b>signed</b> on Monday.</p>
    <p>Talks went on<br>late.</p></body></html>"""
    (tmp_path / "page.html").write_text(page, encoding="utf-8")

    [article] = read_all(tmp_path / "page.html")

    assert isinstance(article, Article)
    assert article.title == "Accord & talks"
    assert article.text == (
        "Leaders sign accord\n\nThe accord was signed on Monday.\n\nTalks went on\n\nlate."
    )
    assert "Home" not in article.text and "secret" not in article.text


def test_html_to_text_of_a_fragment() -> None:
    text, title = html_to_text("<div>One</div><div>Two <i>three</i></div>")
    assert (text, title) == ("One\n\nTwo three", None)


def test_jsonl_articles_with_metadata_and_a_bad_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "j1", "text": "Oslo talks.", "title": "T", "published": "2024-06-19"}),
        "{not json",
        json.dumps({"id": "j2", "text": "Lima talks.", "source": "Wire", "extra": 1}),
        "",
        json.dumps({"text": "no id"}),
        json.dumps({"id": "j3", "text": "   "}),
        json.dumps(["a", "list"]),
    ]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    items = read_all(tmp_path / "batch.jsonl")

    assert ids(items) == ["j1", "batch.jsonl:2", "j2", "batch.jsonl:5", "j3", "batch.jsonl:7"]
    first, bad_json, second, no_id, blank, not_object = items
    assert isinstance(first, Article) and first.title == "T"
    assert first.published == PublicationDate.parse("2024-06-19")
    assert isinstance(second, Article) and second.source == "Wire"
    assert isinstance(bad_json, BadInput) and "malformed JSON" in bad_json.message
    assert isinstance(no_id, BadInput) and "'id'" in no_id.message
    assert isinstance(blank, BadInput) and "white space" in blank.message
    assert isinstance(not_object, BadInput) and "object" in not_object.message


def test_folder_metadata_json_fills_article_metadata(tmp_path: Path) -> None:
    (tmp_path / "k1.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    (tmp_path / "k2.txt").write_text("Lima hosted talks.\n", encoding="utf-8")
    metadata = {
        "k1": {"source": "Wire", "published": "2024-06-19/2024-06-20", "url": None},
        "k2": {"published": "June 2024"},
    }
    (tmp_path / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")

    k1, k2 = read_all(tmp_path)

    assert isinstance(k1, Article)
    assert k1.source == "Wire"
    assert str(k1.published) == "2024-06-19/2024-06-20"
    assert isinstance(k2, BadInput) and "published" in k2.message


def test_seed_metadata_is_read(seed_paths: list[Path]) -> None:
    items = read_all(seed_paths[0].parent)
    assert len(items) == len(seed_paths)
    assert all(isinstance(item, Article) and item.published is not None for item in items)


def test_folder_reads_article_files_sorted_and_reports_the_rest(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Beta talks.\n", encoding="utf-8")
    (tmp_path / "a.html").write_text("<p>Alpha talks.</p>", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "c1", "text": "Gamma talks."}\n', encoding="utf-8")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "README.md").write_text("# notes\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("Delta talks.\n", encoding="utf-8")

    discovery, reader = read_articles([str(tmp_path)])
    flat = list(reader)
    _, deep_reader = read_articles([str(tmp_path)], recursive=True)

    assert ids(flat) == ["a", "b", "c1"]
    assert sorted(Path(s.split(" ")[0]).name for s in discovery.report.skipped) == [
        "README.md",
        "logo.png",
        "sub",
    ]
    assert ids(list(deep_reader)) == ["a", "b", "c1", "d"]


def test_glob_and_argument_order(tmp_path: Path) -> None:
    for name in ("z.txt", "m.txt", "a.txt"):
        (tmp_path / name).write_text(f"{name} talks.\n", encoding="utf-8")
    items = read_all(tmp_path / "z.txt", tmp_path / "[am].txt")
    assert ids(items) == ["z", "a", "m"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"  \n\t\n  ", "white space"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
        (b"caf\xc3 \x81\x8d broken", "not valid UTF-8"),
    ],
)
def test_bad_text_files_are_input_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "bad.txt").write_bytes(content)
    bad = only_bad(read_all(tmp_path / "bad.txt"))
    assert bad.article_id == "bad"
    assert bad.kind == "input_error"
    assert expected in bad.message


def test_windows_1252_is_decoded_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes("Caf\xe9 talks \u2013 \u201cagreed\u201d.\n".encode("cp1252"))
    discovery, reader = read_articles([str(tmp_path / "w.txt")])

    [article] = list(reader)

    assert isinstance(article, Article)
    assert article.text == "Café talks – “agreed”.\n"
    assert any("cp1252" in warning for warning in discovery.report.warnings)


def test_decode_rule_directly() -> None:
    assert decode_text("naïve".encode()) == ("naïve", None)
    assert decode_text(b"\xef\xbb\xbfbom") == ("bom", None)
    with pytest.raises(InputError):
        decode_text(b"\x81\x8d\x8f")  # undefined in cp1252


def test_article_over_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("word " * 100, encoding="utf-8")
    bad = only_bad(read_all(tmp_path / "long.txt", max_chars=50))
    assert "over the limit of 50" in bad.message


def test_duplicate_id_is_a_typed_error_and_the_first_keeps_the_id(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("First.\n", encoding="utf-8")
    (tmp_path / "d.html").write_text("<p>Second.</p>", encoding="utf-8")
    first, second = read_all(tmp_path)
    assert isinstance(first, BadInput) is False
    assert isinstance(second, BadInput)
    assert second.kind == "duplicate_id"
    assert second.article_id == "d"


# Run in a child by `read_without_privileges`. Root reads a file whatever its mode, so as root the
# child switches to uid and gid 65534 ("nobody") before reading, but only after importing all it
# needs, codecs included: Python's own files may sit where nobody cannot read them. Prints one JSON
# object per item read.
_READ_AS_NOBODY = """
import encodings.cp1252, encodings.utf_8_sig, json, os, sys
from extractor.inputs import BadInput, read_articles
if os.geteuid() == 0:
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError as exc:
        print(json.dumps({"cannot_switch": str(exc)}))
        sys.exit()
for item in read_articles(sys.argv[1:])[1]:
    if isinstance(item, BadInput):
        print(json.dumps({"id": item.article_id, "kind": item.kind, "message": item.message}))
    else:
        print(json.dumps({"id": item.id, "text": item.text}))
"""


def read_without_privileges(*paths: Path) -> list[dict[str, str]]:
    """Read `paths` in a child process that has no root privileges (see `_READ_AS_NOBODY`)."""
    child = subprocess.run(
        [sys.executable, "-c", _READ_AS_NOBODY, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parents[1],
    )
    assert child.returncode == 0, child.stderr
    rows: list[dict[str, str]] = [json.loads(line) for line in child.stdout.splitlines()]
    if rows and "cannot_switch" in rows[0]:
        reason = rows[0]["cannot_switch"]
        pytest.skip(f"running as root and not allowed to switch to uid 65534: {reason}")
    return rows


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder that other users may enter (tmp_path's parents may be ours alone)."""
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.slow
def test_unreadable_file_is_an_error_line_and_the_rest_are_read(shared_tmp: Path) -> None:
    locked = shared_tmp / "locked.txt"
    locked.write_text("Secret talks.\n", encoding="utf-8")
    locked.chmod(0)
    (shared_tmp / "open.txt").write_text("Open talks.\n", encoding="utf-8")
    (shared_tmp / "open.txt").chmod(0o644)

    rows = read_without_privileges(shared_tmp)

    assert rows == [
        {
            "id": "locked",
            "kind": "input_error",
            "message": f"{locked}: cannot read: Permission denied",
        },
        {"id": "open", "text": "Open talks.\n"},
    ]


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    bad = only_bad(read_all(tmp_path / "loop.txt"))
    assert "cannot read" in bad.message
    in_folder = read_all(tmp_path)
    assert ids(in_folder) == ["loop"] and isinstance(in_folder[0], BadInput)


def test_missing_path_is_an_error_line_next_to_real_input(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Oslo talks.\n", encoding="utf-8")
    missing = str(tmp_path / "nope.txt")
    discovery = discover([missing, str(tmp_path / "ok.txt"), str(tmp_path / "*.none")])

    items = list(ArticleReader(discovery))

    assert discovery.has_sources
    assert ids(items) == [missing, "ok", str(tmp_path / "*.none")]
    assert isinstance(items[0], BadInput) and "no such file" in items[0].message


def test_nothing_readable_is_reported_as_no_sources(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    assert not discover([str(tmp_path / "nope"), str(tmp_path)]).has_sources


def test_explicit_file_with_another_extension(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text("Oslo talks.\n", encoding="utf-8")
    bad = only_bad(read_all(tmp_path / "story.md"))
    assert "unsupported file type .md" in bad.message


def test_stdin_text_and_jsonl() -> None:
    text_reader = ArticleReader(discover(["-"]), stdin=io.BytesIO(b"Headline\n\nBody text.\n"))
    [article] = list(text_reader)
    assert isinstance(article, Article)
    assert (article.id, article.title) == ("stdin", "Headline")

    jsonl = b'\n{"id": "s1", "text": "One."}\n{bad\n'
    items = list(ArticleReader(discover(["-"]), stdin=io.BytesIO(jsonl)))
    assert ids(items) == ["s1", "stdin:3"]


class _EndlessStdin(io.RawIOBase):
    """Standard input that repeats `pattern` for ever and fails a reader that asks for more than a
    bounded read of a `max_chars` article needs: 4 bytes a character (UTF-8's worst case), one
    byte more, and one buffer of read-ahead. Wrap it in `io.BufferedReader`, as `sys.stdin` is."""

    def __init__(self, pattern: bytes, max_chars: int) -> None:
        self._pattern = pattern
        self._budget = 4 * max_chars + 1 + io.DEFAULT_BUFFER_SIZE
        self._served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._served >= self._budget:
            raise AssertionError(f"read past the {self._budget} bytes a bounded reader needs")
        size = min(len(buffer), self._budget - self._served)
        start = self._served % len(self._pattern)
        repeats = (start + size) // len(self._pattern) + 1
        buffer[:size] = (self._pattern * repeats)[start : start + size]
        self._served += size
        return size


@pytest.mark.parametrize(
    "pattern",
    [b"x", b"Oslo talks.\n", b"\n", b" "],
    ids=["one-endless-line", "many-lines", "blank-lines", "one-endless-blank-line"],
)
def test_stdin_over_the_limit_is_an_error_read_only_up_to_the_limit(pattern: bytes) -> None:
    stdin = io.BufferedReader(_EndlessStdin(pattern, max_chars=1000))
    reader = ArticleReader(discover(["-"]), max_chars=1000, stdin=stdin)

    bad = only_bad(list(reader))

    assert (bad.article_id, bad.kind) == ("stdin", "input_error")
    assert "over the limit of 1000 characters" in bad.message


def test_stdin_of_max_chars_four_byte_characters_is_read_whole() -> None:
    text = "\U0001f30d" * 1000  # 4,000 bytes of UTF-8: exactly the byte bound for 1,000 characters
    stdin = io.BytesIO(text.encode())
    [article] = list(ArticleReader(discover(["-"]), max_chars=1000, stdin=stdin))
    assert isinstance(article, Article) and article.text == text


def test_stdin_json_line_longer_than_the_byte_bound_is_read_whole() -> None:
    # Escaped, each "é" is 6 bytes: a 1,000-character text on a line of over 6,000 bytes. Lines
    # are not cut at 4 bytes a character, on stdin as in a .jsonl file.
    line = json.dumps({"id": "s1", "text": "é" * 1000}).encode()
    jsonl = b"\n  \n" + line + b"\n{bad\n"
    items = list(ArticleReader(discover(["-"]), max_chars=1000, stdin=io.BytesIO(jsonl)))
    assert ids(items) == ["s1", "stdin:4"]
    assert isinstance(items[0], Article) and items[0].text == "é" * 1000


def test_reading_is_lazy(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"id": f"n{i}", "text": f"Talk {i}."}) + "\n" for i in range(1000))
    (tmp_path / "many.jsonl").write_text(lines, encoding="utf-8")
    _, reader = read_articles([str(tmp_path / "many.jsonl")])
    iterator = iter(reader)
    first = next(iterator)
    assert isinstance(first, Article) and first.id == "n0"


def test_permission_error_while_reading_is_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read itself fails, after the size check: no second process needed, as root or not.
    path = tmp_path / "locked.txt"
    path.write_text("Secret talks.\n", encoding="utf-8")
    (tmp_path / "open.txt").write_text("Open talks.\n", encoding="utf-8")

    def refuse(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return original(self)

    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", refuse)
    locked, still_read = read_all(tmp_path)

    assert isinstance(locked, BadInput) and "Permission denied" in locked.message
    assert isinstance(still_read, Article) and still_read.id == "open"
