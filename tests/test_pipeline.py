from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.articles import Article, PublicationDate
from extractor.backends.base import Extraction
from extractor.cli import app
from extractor.errors import OutputInvalid
from extractor.pipeline import extract_record
from extractor.schema import (
    AllegationDraft,
    DateDraft,
    DenialDraft,
    EventDraft,
    PartyDraft,
    TermDraft,
    Usage,
)

TEXT = (
    "Armenia and Azerbaijan signed a peace accord in Washington on Friday. "
    "The accord provides for the opening of transport links. "
    "Baku says Yerevan shelled its positions last month, which Armenia denies."
)


def _draft(**overrides: object) -> EventDraft:
    fields: dict[str, object] = {
        "title": "Peace accord signed",
        "summary": "Armenia and Azerbaijan signed a peace accord.",
        "event_type": "agreement_signed",
        "date": DateDraft(
            phrase="on Friday",
            value="2025-08-08",
            evidence="signed a peace accord in Washington on Friday",
        ),
        "location": None,
        "parties": [
            PartyDraft(
                name="Armenia",
                type="state",
                role="signatory",
                aliases=[],
                represents=None,
                evidence="Armenia and Azerbaijan signed a peace accord",
            ),
            PartyDraft(
                name="Baku",
                type="state",
                role="signatory",
                aliases=[],
                represents=None,
                evidence="Armenia and Azerbaijan signed a peace accord",
            ),
        ],
        "treaty_terms": [
            TermDraft(
                statement="open transport links",
                evidence="The accord provides for the opening of transport links",
            )
        ],
        "allegations": [
            AllegationDraft(
                alleged_by=["Baku"],
                accused=["Yerevan"],
                claim="Armenia shelled Azerbaijani positions",
                evidence="Baku says Yerevan shelled its positions last month",
            )
        ],
        "denials": [
            DenialDraft(
                denied_by=["Armenia"],
                claim="shelling",
                allegation=0,
                evidence="which Armenia denies",
            )
        ],
    }
    fields.update(overrides)
    return EventDraft.model_validate(fields)


class ScriptedBackend:
    name = "scripted"

    def __init__(self, drafts: list[EventDraft], context_chars: int | None = None) -> None:
        self.drafts = drafts
        self.context_chars = context_chars
        self.seen: list[Article] = []

    def fingerprint(self) -> dict[str, str]:
        return {"backend": self.name}

    def extract(self, article: Article) -> Extraction:
        self.seen.append(article)
        return Extraction(
            draft=self.drafts[len(self.seen) - 1],
            model="m1",
            usage=Usage(input_tokens=10, output_tokens=5, requests=1),
        )


def test_record_is_grounded_normalised_and_carries_provenance() -> None:
    article = Article(id="a1", text=TEXT, published=PublicationDate.parse("2025-08-09"))
    record = extract_record(article, ScriptedBackend([_draft()]))
    assert all(ev.verified for ev in record.evidence_items())
    assert [p.name for p in record.parties] == ["Armenia", "Azerbaijan"]
    assert "Baku" in record.parties[1].aliases
    assert record.allegations[0].alleged_by == ["Azerbaijan"]
    assert record.allegations[0].accused == ["Armenia"]
    assert record.date is not None and record.date.value == "2025-08-08"
    assert record.provenance is not None
    assert record.provenance.article_sha256 == article.sha256
    assert record.provenance.usage.input_tokens == 10


def test_relative_date_without_publication_date_is_null_not_the_backends_guess() -> None:
    record = extract_record(Article(id="a1", text=TEXT), ScriptedBackend([_draft()]))
    assert record.date is not None and record.date.value is None and record.date.precision is None


def test_unfound_evidence_is_kept_and_marked_unverified() -> None:
    draft = _draft(
        treaty_terms=[TermDraft(statement="x", evidence="a sentence the article never had")]
    )
    record = extract_record(Article(id="a1", text=TEXT), ScriptedBackend([draft]))
    assert len(record.treaty_terms) == 1 and not record.treaty_terms[0].evidence.verified


def test_out_of_range_denial_link_is_dropped() -> None:
    draft = _draft(
        denials=[
            DenialDraft(
                denied_by=["Armenia"], claim="c", allegation=7, evidence="which Armenia denies"
            )
        ]
    )
    record = extract_record(Article(id="a1", text=TEXT), ScriptedBackend([draft]))
    assert record.denials[0].allegation is None


def test_long_article_is_chunked_merged_and_offsets_map_to_the_full_text() -> None:
    filler = " ".join(f"Background sentence {i} about the region." for i in range(60))
    text = TEXT + " " + filler + " The accord provides for the opening of transport links."
    first = _draft()
    second = _draft(
        parties=[
            PartyDraft(
                name="Azerbaijan",
                type="state",
                role="signatory",
                aliases=["Azerbaijani"],
                represents=None,
                evidence="Armenia and Azerbaijan signed a peace accord",
            )
        ],
        allegations=[],
        denials=[],
    )
    backend = ScriptedBackend([first] + [second] * 50, context_chars=800)
    record = extract_record(Article(id="long", text=text), backend)
    assert len(backend.seen) > 2 and all(len(a.text) <= 800 for a in backend.seen)
    assert record.provenance is not None and record.provenance.chunks == len(backend.seen)
    assert record.provenance.usage.requests == len(backend.seen)
    assert [p.name for p in record.parties] == ["Armenia", "Azerbaijan"]
    assert len(record.treaty_terms) == 1 and len(record.allegations) == 1
    for ev in record.evidence_items():
        assert ev.verified and text[ev.start : ev.end] == ev.quote


class FailingOnChunk(ScriptedBackend):
    """Answers until chunk `fail_at`, then fails with what that chunk itself spent."""

    def __init__(self, fail_at: int) -> None:
        super().__init__([_draft()] * 50, context_chars=800)
        self.fail_at = fail_at

    def extract(self, article: Article) -> Extraction:
        if len(self.seen) == self.fail_at:
            self.seen.append(article)
            error = OutputInvalid("still invalid")
            error.usage = Usage(input_tokens=7, output_tokens=3, requests=3, reasks=2)
            raise error
        return super().extract(article)


def test_an_article_failing_in_a_later_chunk_reports_every_chunk_it_paid_for() -> None:
    filler = " ".join(f"Background sentence {i} about the region." for i in range(60))
    with pytest.raises(OutputInvalid) as caught:
        extract_record(Article(id="long", text=TEXT + " " + filler), FailingOnChunk(2))
    # Two answered chunks (10 in, 5 out, one request each) and the failed one's own spend.
    assert caught.value.usage == Usage(
        input_tokens=27, output_tokens=13, requests=5, retries=0, reasks=2
    )


def test_every_seed_record_carries_its_outlet_from_metadata(tmp_path: Path) -> None:
    out = tmp_path / "seeds.jsonl"
    result = CliRunner().invoke(app, ["run", "seeds", "--out", str(out)])
    assert result.exit_code == 0, result.output
    metadata = json.loads(Path("seeds/metadata.json").read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(metadata)
    for line in lines:
        info = line["record"]["article"]
        expected = metadata[line["article"]]
        assert info["id"] == line["article"]
        assert info["source"] == expected["source"]
        assert info["published"] == expected["published"]
        assert info["published_earliest"] == expected["published"][:10]
