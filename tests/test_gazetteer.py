"""The gazetteer: canonical names for states, capitals, demonyms, organisations and blocs."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from extractor.gazetteer import capital_of, is_capital, is_city, lookup, match


def _entries() -> list[dict[str, object]]:
    raw = resources.files("extractor.data").joinpath("gazetteer.json").read_text("utf-8")
    entries: list[dict[str, object]] = json.loads(raw)["entries"]
    return entries


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("DPRK", "North Korea"),
        ("Pyongyang", "North Korea"),
        ("North Korean", "North Korea"),
        ("the Kremlin", "Russia"),
        ("Moscow's", "Russia"),
        ("U.S.", "United States"),
        ("the White House", "United States"),
        ("Britain", "United Kingdom"),
        ("Kyiv", "Ukraine"),
        ("Nato", "NATO"),
        ("U.N.", "United Nations"),
        ("Hizbollah", "Hezbollah"),
        ("Western", "the West"),
        ("South Sudanese", "South Sudan"),
        ("Sudanese", "Sudan"),
        ("Côte d'Ivoire", "Ivory Coast"),
    ],
)
def test_lookup_maps_aliases_capitals_and_demonyms(alias: str, canonical: str) -> None:
    entry = lookup(alias)
    assert entry is not None
    assert entry.name == canonical


def test_lookup_types() -> None:
    assert lookup("Hamas") is not None and lookup("Hamas").type == "group"  # type: ignore[union-attr]
    assert lookup("IAEA") is not None and lookup("IAEA").type == "organisation"  # type: ignore[union-attr]
    assert lookup("Qatar") is not None and lookup("Qatar").type == "state"  # type: ignore[union-attr]
    assert lookup("Atlantis") is None


@pytest.mark.parametrize("word", ["us", "who", "is", "chad", "china"])
def test_match_is_strict_about_case(word: str) -> None:
    # Running text: the pronoun "us" is not the US, nor the word "who" the WHO.
    assert match(word) is None


@pytest.mark.parametrize("word", ["North", "West"])
def test_match_says_when_a_name_needs_its_article(word: str) -> None:
    # "the North" is North Korea but a bare "North" is not; the form tells a scanner so.
    hit = match(word)
    assert hit is not None and hit.form.lower().startswith("the ")


def test_match_keeps_capitalised_forms() -> None:
    hit = match("US")
    assert hit is not None and hit.entry.name == "United States" and hit.kind == "alias"
    hit = match("the North")
    assert hit is not None and hit.entry.name == "North Korea" and hit.form == "the North"
    hit = match("Seoul")
    assert hit is not None and hit.kind == "capital"


def test_capitals_and_cities() -> None:
    assert capital_of("DPRK") == "Pyongyang"
    assert capital_of("Atlantis") is None
    assert is_capital("Pyongyang") and not is_capital("Russia")
    assert is_city("Putrajaya") and not is_capital("Putrajaya")


def test_every_state_has_a_capital_and_names_are_unique() -> None:
    entries = _entries()
    states = [e for e in entries if e["type"] == "state"]
    assert len(states) >= 190
    assert all(e.get("capital") for e in states)
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))


def test_no_form_names_two_entries() -> None:
    owner: dict[str, str] = {}
    for entry in _entries():
        forms = [entry["name"], entry.get("capital")]
        forms += list(entry.get("aliases", [])) + list(entry.get("demonyms", []))  # type: ignore[call-overload]
        forms += list(entry.get("cities", []))  # type: ignore[call-overload]
        for form in filter(None, forms):
            found = lookup(str(form))
            assert found is not None, form
            owner.setdefault(str(form), found.name)
            assert found.name == entry["name"], (form, found.name, entry["name"])


def test_bodies_acting_for_a_larger_one_and_seats_of_organisations() -> None:
    from extractor.gazetteer import organisation_seated_in, parent_of

    assert parent_of("European Commission") == "European Union"
    assert parent_of("the Commission") == "European Union"
    assert parent_of("NATO") is None
    assert organisation_seated_in("Brussels") == "European Union"
    assert organisation_seated_in("Paris") is None
    entry = lookup("Congo")
    assert entry is not None and entry.name == "Democratic Republic of the Congo"
