"""Canonical names for states, capitals, demonyms and organisations.

`lookup("DPRK")`, `lookup("Pyongyang")` and `lookup("North Korean")` all give North Korea.
The data lives in `extractor/data/gazetteer.json`; it is general world knowledge, never
tuned to particular articles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from extractor.schema import PartyType


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    type: PartyType


def _key(text: str) -> str:
    text = text.replace("’", "'").strip().lower()
    text = re.sub(r"^(the)\s+", "", text)
    text = re.sub(r"'s$", "", text)
    return re.sub(r"[\s\-]+", " ", text)


@cache
def _index() -> dict[str, GazetteerEntry]:
    raw = json.loads(resources.files("extractor.data").joinpath("gazetteer.json").read_text("utf-8"))
    index: dict[str, GazetteerEntry] = {}
    for entry in raw["entries"]:
        target = GazetteerEntry(entry["name"], entry["type"])
        for alias in [entry["name"], *entry.get("aliases", [])]:
            index.setdefault(_key(alias), target)
    return index


def lookup(name: str) -> GazetteerEntry | None:
    """The canonical entry for a name, alias, capital or demonym; None if unknown."""
    return _index().get(_key(name))
