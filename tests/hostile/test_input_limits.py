"""Input that is legal but unusual: long, at the calendar's edge, odd line endings, NFD, loops."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from extractor.articles import Article, PublicationDate
from extractor.backends.offline import OfflineBackend
from extractor.inputs import discover
from extractor.pipeline import extract_record
from extractor.runner import run
from extractor.settings import Settings
from tests.hostile.conftest import extract, result_lines, write_articles

_TREATY = (
    "Türkiye and Côte d'Ivoire sign trade pact\n\n"
    "Türkiye and Côte d'Ivoire signed a trade agreement in Ankara {when}, officials said.\n\n"
    "The deal, signed by the foreign ministers of Türkiye and Côte d'Ivoire, cuts tariffs on "
    "cocoa and steel, and both governments said it would take effect next year.\n"
)


@pytest.fixture(scope="module")
def offline() -> OfflineBackend:
    return OfflineBackend()


def _record(text: str, backend: OfflineBackend, published: str | None = None) -> Any:
    article = Article(
        id="a", text=text, published=PublicationDate.parse(published) if published else None
    )
    return extract_record(article, backend)


def _parties(record: Any) -> list[str]:
    return sorted(party.name for party in record.parties)


def test_nfd_text_keeps_its_gazetteer_parties_with_offsets_into_the_text(
    offline: OfflineBackend,
) -> None:
    composed = _TREATY.format(when="on Monday")
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    nfc, nfd = _record(composed, offline), _record(decomposed, offline)
    assert _parties(nfd) == _parties(nfc) and {"Turkey", "Ivory Coast"} <= set(_parties(nfc))
    for party in nfd.parties:
        evidence = party.evidence
        assert evidence.verified and evidence.start is not None and evidence.end is not None
        written = decomposed[evidence.start : evidence.end]
        assert unicodedata.normalize("NFC", written) == unicodedata.normalize("NFC", evidence.quote)


@pytest.mark.parametrize("line_break", ["\r\n", "\r", "\u2028"])
def test_every_line_ending_gives_the_same_record(
    offline: OfflineBackend, line_break: str
) -> None:
    text = _TREATY.format(when="on Monday")
    expected = _record(text, offline)
    other = _record(text.replace("\n", line_break), offline)
    assert _parties(other) == _parties(expected) and other.title == expected.title
    assert other.event_type == expected.event_type
    for party in other.parties:
        start, end = party.evidence.start, party.evidence.end
        assert start is not None and end is not None
        assert text.replace("\n", line_break)[start:end] == party.evidence.quote


def test_a_lone_cr_file_has_its_headline(tmp_path: Path) -> None:
    text = _TREATY.format(when="on Monday").replace("\n", "\r")
    (tmp_path / "mac.txt").write_bytes(text.encode())
    settings = Settings.resolve(environ={}, cache=False, concurrency=1)
    out = tmp_path / "out.jsonl"
    run([str(tmp_path / "mac.txt")], out, settings)
    (line,) = result_lines(out)
    assert line["record"]["article"]["title"] == "Türkiye and Côte d'Ivoire sign trade pact"
    assert line["record"]["parties"]


@pytest.mark.parametrize(
    ("published", "phrase"),
    [("0001-01-01", "yesterday"), ("0001-01-03", "last Friday"), ("9999-12-31", "tomorrow")],
)
def test_a_relative_date_off_the_calendar_is_null_with_a_warning(
    tmp_path: Path, published: str, phrase: str
) -> None:
    source = tmp_path / "edge.jsonl"
    text = _TREATY.format(when=phrase)
    source.write_text(json.dumps({"id": "e", "text": text, "published": published}) + "\n")
    settings = Settings.resolve(environ={}, cache=False, concurrency=1)
    out = tmp_path / "out.jsonl"
    summary = run([str(source)], out, settings)
    (line,) = result_lines(out)
    assert "record" in line, line
    assert line["record"]["date"] is None or line["record"]["date"]["value"] is None
    assert any("edge of the calendar" in warning for warning in summary.warnings)


def test_a_paragraph_over_spacys_default_limit_is_parsed() -> None:
    import spacy

    from extractor.backends.offline.nlp import parse_texts

    text = "Oslo hosted talks. " * 60_000
    assert len(text) > 1_000_000  # spaCy's max_length, and under --max-chars (2,000,000)
    # A blank English pipeline has the same limit as the model, and tokenises 1 MB in a second.
    (doc,) = parse_texts(spacy.blank("en"), [text])
    assert len(doc) == 4 * 60_000


def test_entities_are_found_per_sentence_in_one_pass(offline: OfflineBackend) -> None:
    from extractor.backends.offline.document import parse_article
    from extractor.backends.offline.nlp import load_pipeline

    text = "Trade pact\n\n" + " ".join(
        f"Officials from Norway and Chile met in Oslo on day {n}." for n in range(40)
    )
    parsed = parse_article(text, load_pipeline(offline.model_name))
    assert len(parsed.sentences) > 20
    for sentence in parsed.sentences:
        assert [e.text for e in sentence.ents] == [e.text for e in sentence.span.ents]


def _loop_tree(root: Path) -> None:
    (root / "r" / "a").mkdir(parents=True)
    (root / "r" / "b").mkdir()
    (root / "r" / "a" / "x.txt").write_text("Oslo hosted talks.\n", encoding="utf-8")
    (root / "r" / "b" / "y.txt").write_text("Rome hosted talks.\n", encoding="utf-8")
    os.symlink("..", root / "r" / "a" / "up")  # a loop
    os.symlink("../a", root / "r" / "b" / "also-a")  # the same folder twice


@pytest.mark.parametrize("pattern", ["r/**/*.txt", "r/**", "r"])
def test_recursive_discovery_never_loops_and_reads_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: str
) -> None:
    _loop_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    found = [str(source) for source in discover([pattern], recursive=True).sources]
    assert sorted(found) == ["r/a/x.txt", "r/b/y.txt"]


@pytest.mark.slow
def test_a_recursive_glob_through_a_loop_finishes(tmp_path: Path) -> None:
    _loop_tree(tmp_path)
    ran = extract("run", "r/**/*.txt", "-r", "--out", "out.jsonl", cwd=tmp_path, timeout=60)
    assert ran.code == 0, ran.stderr
    assert [line["article"] for line in result_lines(tmp_path / "out.jsonl")] == ["x", "y"]


def test_a_resumed_line_with_an_empty_record_is_redone(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    ran = extract("run", "in", "--out", "out.jsonl", cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    good = result_lines(out)
    hollow = {"article": "a000", "record": {}, "fingerprint": good[0]["fingerprint"]}
    out.write_text(json.dumps(hollow) + "\n" + json.dumps(good[1]) + "\n", encoding="utf-8")
    ran = extract("run", "in", "--out", "out.jsonl", cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    lines = result_lines(out)
    assert [line["article"] for line in lines] == ["a000", "a001"]
    assert lines[0]["record"]["title"] and lines[1] == good[1]
