"""One name normaliser: the gazetteer, the pipeline's de-duplication and the eval agree on names."""

from __future__ import annotations

import pytest

from extractor.articles import Article
from extractor.evaluation.gold import GoldArticle, Prediction
from extractor.evaluation.metrics import score_article
from extractor.gazetteer import PartyNames, lookup, name_key
from extractor.pipeline import extract_record
from extractor.schema import EventDraft, EventRecord, PartyDraft
from tests.fakes import FakeBackend

TEXT = (
    "Ruritanian Prime Minister Anna Kovac signed the accord. "
    "Kovac said the border would reopen. Anna Kovacs, a reporter, was there."
)


def _party(name: str, aliases: list[str] | None = None) -> PartyDraft:
    return PartyDraft(
        name=name,
        type="person",
        role="signatory",
        aliases=aliases or [],
        represents=None,
        evidence="Anna Kovac signed the accord",
    )


def _record(*parties: PartyDraft) -> EventRecord:
    """The pipeline's record (grounded, normalised, de-duplicated) for a draft naming `parties`."""
    draft = EventDraft(
        title="Accord signed",
        summary="Anna Kovac signed the accord.",
        event_type="agreement_signed",
        date=None,
        location=None,
        parties=list(parties),
        treaty_terms=[],
        allegations=[],
        denials=[],
    )
    backend = FakeBackend()
    backend.enqueue(draft)
    return extract_record(Article(id="a1", text=TEXT), backend)


# Spellings of one person that news copy and models produce.
SAME_PERSON = [
    "Anna Kovac’s",
    "Anna Kovac's",
    "anna kovac",
    "Anna  Kovac",
    "Anna Kovac.",
    "Anna–Kovac",
    "Anna-Kovac",
]


@pytest.mark.parametrize("variant", SAME_PERSON)
def test_a_spelling_the_eval_counts_as_the_party_is_not_a_second_party(variant: str) -> None:
    record = _record(_party("Anna Kovac"), _party(variant))

    assert [p.name for p in record.parties] == ["Anna Kovac"]
    gold = GoldArticle("a1", _record(_party("Anna Kovac")), [], TEXT)
    assert score_article(gold, Prediction("a1", record)).metrics()["parties.entity_f1"] == 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [(a, b) for b in SAME_PERSON for a in ["Anna Kovac"]]
    + [("Anna Kovac", "Anna Kovacs"), ("Anna Kovac", "Kovac"), ("Anna Kovac", "Theanna Kovac")],
)
def test_the_pipeline_merges_two_names_exactly_when_the_eval_keys_alike(a: str, b: str) -> None:
    merged = len(_record(_party(a), _party(b)).parties) == 1
    assert merged == (PartyNames().key(a) == PartyNames().key(b))


def test_a_party_named_by_an_earlier_partys_alias_is_that_party() -> None:
    record = _record(_party("Anna Kovac", ["Kovac"]), _party("Kovac"))

    assert [(p.name, p.aliases) for p in record.parties] == [("Anna Kovac", ["Kovac"])]
    names = PartyNames(record.parties)
    assert names.key("Kovac") == names.key("Anna Kovac") == "anna kovac"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("North Korea.", "North Korea"),
        ("the Kremlin’s", "Russia"),
        ("Guinea‑Bissau", "Guinea-Bissau"),  # a non-breaking hyphen
        ("Guinea – Bissau", "Guinea-Bissau"),
        ("THE UNITED STATES", "United States"),
    ],
)
def test_the_gazetteer_looks_names_up_by_the_same_key(name: str, canonical: str) -> None:
    entry = lookup(name)
    assert entry is not None and entry.name == canonical
    assert PartyNames().key(name) == name_key(canonical)


def test_name_key_keeps_what_tells_names_apart() -> None:
    assert name_key("Theodore") == "theodore"
    assert name_key("Kim Jong Un") != name_key("Kim Yo Jong")
    assert name_key("Jones's") == "jones"
    assert name_key("") == ""
