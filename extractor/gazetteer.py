"""Party names: the one comparison key, canonical names, and a record's own aliases.

`name_key` is the only way two party names are compared anywhere (the gazetteer's index, the
offline backend's mentions, the pipeline's de-duplication, the eval's matching): "The Kremlin's",
"the kremlin" and "Kremlin" have one key. `lookup("DPRK")`, `lookup("Pyongyang")` and
`lookup("North Korean")` all give North Korea. `PartyNames` puts a record's parties and their
aliases before the gazetteer ("Mr Kim" -> Kim Jong Un). The data lives in
`extractor/data/gazetteer.json`; it is general world knowledge, never tuned to particular articles.

`lookup` is forgiving about case and is meant for names already known to be names.
`match` is strict about case (so "us" is not the United States and "who" is not the WHO) and
says what kind of name matched; use it when scanning running text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

from extractor.schema import Party, PartyType

NameKind = Literal["name", "alias", "capital", "city", "demonym"]


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    type: PartyType
    capital: str | None = None
    #: The body this one belongs to and acts for ("European Commission" -> "European Union").
    part_of: str | None = None
    #: The city an organisation's name stands for in the news ("Brussels" for the EU).
    seat: str | None = None


@dataclass(frozen=True)
class GazetteerHit:
    """A strict match of some text: the entry, and whether the text was its name, capital..."""

    entry: GazetteerEntry
    kind: NameKind
    #: The listed form that matched, e.g. "the Kremlin".
    form: str


_EDGE_PUNCTUATION = " .,;:"


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A name's comparison form: composed (NFC), casefolded, curly apostrophes straight, no
    leading "the", no trailing "'s", hyphens, dashes and spaces as one space, no punctuation at
    either end."""
    text = unicodedata.normalize("NFC", name).replace("’", "'").replace("‘", "'")
    text = text.casefold().strip(_EDGE_PUNCTUATION)
    text = re.sub(r"^the\s+", "", text)
    text = re.sub(r"'s$", "", text)
    text = re.sub(r"[\s\-‐‑‒–—]+", " ", text)
    return text.strip(_EDGE_PUNCTUATION)


@dataclass(frozen=True)
class _Form:
    surface: str
    hit: GazetteerHit


@cache
def _forms() -> dict[str, list[_Form]]:
    data = resources.files("extractor.data").joinpath("gazetteer.json")
    raw = json.loads(data.read_text("utf-8"))
    forms: dict[str, list[_Form]] = {}
    for entry in raw["entries"]:
        target = GazetteerEntry(
            entry["name"],
            entry["type"],
            entry.get("capital"),
            entry.get("part_of"),
            entry.get("seat"),
        )
        named: list[tuple[str, NameKind]] = [(entry["name"], "name")]
        named += [(alias, "alias") for alias in entry.get("aliases", [])]
        named += [(demonym, "demonym") for demonym in entry.get("demonyms", [])]
        if entry.get("capital"):
            named.append((entry["capital"], "capital"))
        named += [(city, "city") for city in entry.get("cities", [])]
        for surface, kind in named:
            form = _Form(surface, GazetteerHit(target, kind, surface))
            forms.setdefault(name_key(surface), []).append(form)
    return forms


def lookup(name: str) -> GazetteerEntry | None:
    """The canonical entry for a name, alias, capital or demonym; None if unknown."""
    found = _forms().get(name_key(name))
    return found[0].hit.entry if found else None


def _is_abbreviation(surface: str) -> bool:
    letters = [c for c in surface if c.isalpha()]
    return bool(letters) and len(letters) <= 6 and all(c.isupper() for c in letters)


def _case_fits(text: str, surface: str) -> bool:
    bare = re.sub(r"^(?:the|The)\s+", "", text.replace("’", "'"))
    bare = re.sub(r"'s$", "", bare)
    wanted = re.sub(r"^(?:the|The)\s+", "", surface)
    if _is_abbreviation(wanted):
        # "US", "UN", "WHO": only the capitalised form is the name, never "us" or "who".
        return bare.replace("-", " ") == wanted.replace("-", " ")
    if bare == wanted:
        return True
    return bool(bare) and bare[0].isupper() and bare.lower() == wanted.lower()


@lru_cache(maxsize=65536)
def match(text: str) -> GazetteerHit | None:
    """A case-aware match of `text` (e.g. a span of running text); None if it is no known name."""
    for form in _forms().get(name_key(text), []):
        if _case_fits(text.strip(), form.surface):
            return form.hit
    return None


@cache
def longest_name_words() -> int:
    """How many words the longest known name has; bounds a scan over running text."""
    return max(len(key.split()) for key in _forms())


@cache
def _starts() -> dict[str, int]:
    starts: dict[str, int] = {}
    for key in _forms():
        words = key.split()
        starts[words[0]] = max(starts.get(words[0], 0), len(words))
    return starts


@lru_cache(maxsize=65536)
def name_words_from(word: str) -> int:
    """Most words a known name beginning with `word` has (0: no name begins so); for scans."""
    return _starts().get(name_key(word).split(" ")[0] if word.strip() else "", 0)


@cache
def _seats() -> dict[str, str]:
    return {
        name_key(form.hit.entry.seat): form.hit.entry.name
        for found in _forms().values()
        for form in found
        if form.hit.entry.seat
    }


def organisation_seated_in(city: str) -> str | None:
    """The organisation a city's name can stand for ("Brussels" -> "European Union"), or None."""
    return _seats().get(name_key(city))


def parent_of(name: str) -> str | None:
    """The body an organisation belongs to and acts for, or None ("European Commission" -> EU)."""
    entry = lookup(name)
    return entry.part_of if entry is not None else None


def capital_of(state: str) -> str | None:
    """The capital city of a state (canonical name or any alias), or None."""
    entry = lookup(state)
    return entry.capital if entry is not None else None


def is_capital(name: str) -> bool:
    """Whether `name` is a known capital city (so a place, not the state it stands for)."""
    hit = match(name) or _lenient_hit(name)
    return hit is not None and hit.kind == "capital"


def is_city(name: str) -> bool:
    """Whether `name` is a known capital or seat of government (a place, not its state)."""
    hit = match(name) or _lenient_hit(name)
    return hit is not None and hit.kind in ("capital", "city")


def _lenient_hit(name: str) -> GazetteerHit | None:
    found = _forms().get(name_key(name))
    return found[0].hit if found else None


def canonical_name(name: str) -> str:
    """The gazetteer's canonical name for `name` ("Pyongyang" -> North Korea), else `name`."""
    entry = lookup(name)
    return entry.name if entry is not None else name.strip()


class PartyNames:
    """Maps any name a record uses for a party to one canonical name, and to its key.

    The record's own parties come first: each party's name and aliases give its canonical name
    ("Mr Kim" -> Kim Jong Un); any other name goes through the gazetteer ("Washington" ->
    United States). The pipeline uses it on the record it builds, the eval on the gold record.
    """

    def __init__(self, parties: Iterable[Party] = ()) -> None:
        self._canonical: dict[str, str] = {}
        for party in parties:
            canonical = self.party_name(party)
            for alias in [party.name, *party.aliases]:
                self._canonical.setdefault(name_key(alias), canonical)

    @staticmethod
    def party_name(party: Party) -> str:
        """A party's own canonical name: a person's as written, anything else's gazetteer name."""
        return party.name.strip() if party.type == "person" else canonical_name(party.name)

    def canonical(self, name: str) -> str:
        """The canonical name of `name`: a party's it names, else the gazetteer's, else itself."""
        return self._canonical.get(name_key(name)) or canonical_name(name)

    def key(self, name: str) -> str:
        """The comparison key of `name`'s canonical name."""
        return name_key(self.canonical(name))

    def keys(self, names: Iterable[str]) -> frozenset[str]:
        """The keys of several names (order, repeats and blank names do not matter)."""
        return frozenset(self.key(name) for name in names if name.strip())
