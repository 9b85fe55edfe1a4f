"""The offline backend on how news copy names the sides of an event, in short texts written for
these tests: organisations only the tagger knows that act in the lead (a company, an agency, a
newspaper), not the outlet a source "told"; companies that settle make no treaty; people named
in a "meeting between X, who is ..., and Y" and what they represent."""

from __future__ import annotations

from functools import cache

from extractor.articles import Article
from extractor.backends.offline import OfflineBackend
from extractor.schema import EventDraft


@cache
def extract(text: str) -> EventDraft:
    return OfflineBackend().extract(Article(id="t", text=text)).draft


def names(text: str) -> set[str]:
    return {p.name for p in extract(text).parties}


def test_an_organisation_only_the_tagger_knows_acts_in_the_lead() -> None:
    text = (
        "The Federal Trade Commission accused Halvorsen Foods Inc on Monday of misleading "
        "shoppers. The company denied the charges, a spokeswoman told Reuters."
    )
    assert "Federal Trade Commission" in names(text)
    assert "Reuters" not in names(text)  # where the report came from, not a side


def test_the_outlet_a_source_told_is_no_party() -> None:
    text = (
        "Lockheed Martin won a $2 billion contract from the Pentagon on Tuesday to build "
        "satellites, a company spokesman told Reuters."
    )
    found = names(text)
    assert any(name.startswith("Lockheed") for name in found)
    assert "Reuters" not in found


def test_companies_that_settle_are_signatories_of_no_treaty() -> None:
    text = (
        "Sears Roebuck and Co and Kellwood Co agreed to pay $500,000 to settle charges brought "
        "by the Federal Trade Commission, the agency said on Friday. Sears said it was pleased."
    )
    draft = extract(text)
    signatories = {p.name for p in draft.parties if p.role == "signatory"}
    assert signatories == {"Sears Roebuck and Co", "Kellwood Co"}  # "Sears" is the first one
    assert draft.event_type == "other"


def test_the_people_at_a_meeting_between_the_sides_reached_the_agreement() -> None:
    text = (
        "The agreement was reached at a meeting between Thomas Reed, who is U.S. Undersecretary "
        "of State for Political Affairs, and Japanese Foreign Minister Ken Sato in Tokyo on "
        "Monday."
    )
    parties = {p.name: p for p in extract(text).parties}
    assert {"United States", "Japan"} <= set(parties)
    assert parties["Thomas Reed"].represents == "United States"
    assert parties["Ken Sato"].represents == "Japan"


def test_leaders_who_agree_for_their_sides_represent_them() -> None:
    text = (
        "The Ugandan government and rebels loyal to former Vice President John Okello have "
        "agreed on a ceasefire, the regional bloc said on Tuesday.\n\n"
        '"President Peter Mabior and Dr. John Okello agree on a cessation of hostilities and '
        'appoint negotiators," the bloc statement said.'
    )
    roles = {p.name: p.role for p in extract(text).parties}
    assert roles["Uganda"] == "signatory"
    assert roles["Peter Mabior"] == roles["John Okello"] == "representative"


def test_a_manager_who_agrees_a_deal_is_bound_in_his_own_name() -> None:
    text = "Jose Mourinho has agreed a deal to become the new manager of Tottenham Hotspur."
    roles = {p.name: p.role for p in extract(text).parties}
    assert roles.get("Jose Mourinho") == "signatory"
