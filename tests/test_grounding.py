from __future__ import annotations

from extractor.grounding import ground_quote

TEXT = (
    "Mr Putin said: “It is really a breakthrough document.”\n\n"
    "The  deal was signed   on Wednesday."
)


def test_exact_quote_gets_its_offsets() -> None:
    ev = ground_quote("breakthrough document", TEXT)
    assert ev.verified and ev.method == "exact"
    assert TEXT[ev.start : ev.end] == "breakthrough document"


def test_straight_quotes_and_collapsed_spaces_match_after_normalising() -> None:
    ev = ground_quote('"It is really a breakthrough document."', TEXT)
    assert ev.verified and ev.method == "normalized"
    assert TEXT[ev.start : ev.end] == "“It is really a breakthrough document.”"
    ev = ground_quote("The deal was signed on Wednesday", TEXT)
    assert ev.method == "normalized"
    assert TEXT[ev.start : ev.end] == "The  deal was signed   on Wednesday"


def test_small_slip_matches_fuzzily_and_records_the_score() -> None:
    ev = ground_quote("It is really a breakthru document", TEXT)
    assert ev.verified and ev.method == "fuzzy"
    assert ev.score is not None and 90 <= ev.score < 100
    assert "breakthrough document" in TEXT[ev.start : ev.end]


def test_invented_quote_is_kept_unverified() -> None:
    ev = ground_quote("Both sides agreed to withdraw all troops", TEXT)
    assert not ev.verified and ev.method == "unverified"
    assert ev.start is None and ev.quote == "Both sides agreed to withdraw all troops"


def test_window_is_searched_first_then_the_whole_text() -> None:
    text = "signed a pact. later: signed a pact."
    assert ground_quote("signed a pact", text, start=15).start == 22
    assert ground_quote("signed a pact", text, start=0, end=14).start == 0
    assert ground_quote("later", text, start=0, end=14).start == 15
