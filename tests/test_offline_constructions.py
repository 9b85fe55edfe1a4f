"""The offline backend on constructions of real news copy, in short articles written for these
tests (`fixtures/constructions/`): wire datelines, parties listed after a dash, "agreed on" and
"agreed that", the people who speak for a party."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from extractor.articles import Article, PublicationDate
from extractor.backends.offline import OfflineBackend
from extractor.backends.offline.document import dateline_length
from extractor.schema import EventDraft

FIXTURES = Path(__file__).parent / "fixtures" / "constructions"
GENEVA = (FIXTURES / "geneva_talks.txt").read_text("utf-8")


@cache
def extract(text: str, published: str | None = None) -> EventDraft:
    day = PublicationDate.parse(published) if published else None
    return OfflineBackend().extract(Article(id="t", text=text, published=day)).draft


def roles(draft: EventDraft) -> dict[str, str]:
    return {p.name: p.role for p in draft.parties}


def test_dateline_is_left_out_of_the_lead_sentence() -> None:
    assert dateline_length("GENEVA (Reuters) - The four parties met.") == len("GENEVA (Reuters) - ")
    assert dateline_length("KYIV, Ukraine (AP) — Ukraine's president said.") == len(
        "KYIV, Ukraine (AP) — "
    )
    assert dateline_length("MOSCOW, April 17 (Reuters) - Russia said.") > 0
    assert dateline_length("U.S. - China talks collapsed on Monday.") == 0
    assert dateline_length("The talks - which began in May - collapsed.") == 0
    # The sentence is whole (the parse started after the dateline) and keeps its dateline.
    draft = extract(GENEVA)
    assert draft.summary.startswith("GENEVA (Reuters) - The four parties gathered Thursday")


def test_parties_listed_after_a_dash_are_all_signatories() -> None:
    draft = extract(GENEVA)
    assert draft.event_type == "agreement_signed"  # "agreed on steps to de-escalate"
    for name in ("United States", "European Union", "Ukraine", "Russia"):
        assert roles(draft)[name] == "signatory", name


def test_people_who_speak_for_a_party_represent_it() -> None:
    reps = {p.name: p.represents for p in extract(GENEVA).parties if p.role == "representative"}
    assert reps == {"John Kerry": "United States", "Sergei Lavrov": "Russia"}


def test_agreed_that_clauses_and_provides_for_are_terms() -> None:
    statements = [t.statement for t in extract(GENEVA).treaty_terms]
    assert "all illegal armed groups must be disarmed" in statements
    assert any(s.startswith("an amnesty for protesters") for s in statements)
    assert not any("gathered" in s for s in statements)  # the clause before "agreed" is no term


def test_summary_starts_with_the_lead_and_adds_what_it_lacks() -> None:
    draft = extract(GENEVA, "2014-04-17")
    lead = [line for line in GENEVA.split("\n\n")[1:] if line.strip()]
    assert draft.summary.startswith(lead[0].strip())
    assert lead[1].strip() in draft.summary and lead[2].strip() in draft.summary
    # The lead gives no date beyond "Thursday": the summary adds the day it resolves to.
    assert "17 April 2014" in draft.summary


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text("utf-8")


def test_a_dateline_names_the_city_and_stays_in_the_summary() -> None:
    draft = extract(fixture("spy_row"), "2026-05-04")
    assert draft.location is not None and draft.location.name == "Oslo"
    assert draft.location.evidence == "OSLO"
    assert draft.summary.startswith("OSLO, May 4 - Norway today rejected")
    geneva = extract(GENEVA)
    assert geneva.location is not None and geneva.location.name == "Geneva"


def test_a_row_has_the_accuser_and_the_side_that_answers_as_participants() -> None:
    draft = extract(fixture("spy_row"), "2026-05-04")
    assert draft.event_type == "statement"
    assert roles(draft)["Norway"] == roles(draft)["Iceland"] == "participant"


def test_the_accused_who_does_not_answer_is_no_party() -> None:
    text = (
        "Defence chief accuses Russia of intimidation\n\n"
        "RIGA (AP) - Finnish Defence Minister Piotr Zalewski on Wednesday accused Russia "
        "of using intimidation against its smaller neighbours. He urged Latvia and others in "
        "the region to push back.\n"
    )
    draft = extract(text)
    assert draft.event_type == "statement"
    assert "Russia" not in roles(draft)
    assert roles(draft).get("Piotr Zalewski") == "representative"
    assert roles(draft).get("Finland") == "participant"


def test_a_contract_with_no_state_is_other_and_its_person_signs_it() -> None:
    draft = extract(fixture("coach_deal"))
    assert draft.event_type == "other"  # a coach's deal with a club is no treaty
    assert roles(draft)["Marco Bellini"] == "signatory"


def test_an_act_only_threatened_is_no_attack_and_its_victim_no_party() -> None:
    draft = extract(fixture("threat_plea"), "2026-03-03")
    assert draft.event_type != "attack"  # "pleaded guilty to threatening to kill"
    assert "Clara Osei" not in roles(draft)


def test_calling_a_claim_false_or_saying_its_opposite_is_a_denial() -> None:
    draft = extract(fixture("base_row"))
    assert draft.allegations, draft
    false = [d for d in draft.denials if d.evidence.endswith("the Russian allegations are false")]
    assert len(false) == 1 and false[0].allegation == 0
    opposite = [d for d in draft.denials if "training militants at the base" in d.claim]
    assert opposite and "not" not in opposite[0].claim.split()
    plea = extract(fixture("plea_denial"))
    assert [d.claim for d in plea.denials] == ["Marsh intended to harm anyone"]


def test_an_analyst_who_calls_a_claim_false_is_no_party() -> None:
    names = roles(extract(fixture("base_row")))
    assert "Michael Brandt" not in names
    assert names.get("United States") == "participant"


def test_an_apposition_describing_the_speaker_does_not_speak() -> None:
    draft = extract(fixture("appositive_speaker"))
    assert [d.denied_by for d in draft.denials] == [["Norway"]]


def test_summary_fills_six_sentences_from_the_body_in_order() -> None:
    draft = extract(fixture("base_row"))
    body = "Russia accused U.S. forces in eastern Syria of training militants at a desert base"
    assert draft.summary.startswith(body)
    assert "Michael Brandt, an analyst" in draft.summary  # the body's next sentence, in order


def test_commitments_for_lifted_sanctions_are_terms_one_per_verb() -> None:
    draft = extract(fixture("sanctions_lifted"))
    assert draft.event_type == "sanctions"
    assert [t.statement for t in draft.treaty_terms] == [
        "Venezuela will release political prisoners",
        "Venezuela allow foreign observers at the next election",
        "Venezuela reopen its border with Colombia",
    ]


def test_the_place_a_sentence_sets_in_the_past_is_background_not_the_event() -> None:
    text = (
        "Chile and Peru agreed on Tuesday on a plan to cut tariffs, two officials said.\n\n"
        "The plan builds on the consensus of high-level negotiations in Geneva last month, "
        "Chile's trade minister said.\n\n"
        "\"We made progress at a previous summit in Osaka,\" he said."
    )
    location = extract(text, "2025-06-11").location
    assert location is None or location.name not in ("Geneva", "Osaka")


def test_the_place_the_headline_puts_the_story_in_beats_one_named_in_a_quote() -> None:
    text = (
        "Trade talks in Milan end with a plan to ease export controls\n\n"
        "Chile and Peru concluded two days of negotiations in Milan with a provisional "
        "agreement, officials said.\n\n"
        "\"The two sides have, in principle, reached a framework for implementing the consensus "
        "reached at the Geneva meeting,\" Chile's negotiator said."
    )
    draft = extract(text, "2025-06-11")
    assert draft.location is not None and draft.location.name == "Milan"
