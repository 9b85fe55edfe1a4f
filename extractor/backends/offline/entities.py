"""The mention model: one naming of a party (`Mention`), everything the article calls one party
(`Entity`), and the index of both by sentence and token (`Mentions`), with the words that mark a
title or a person's name. `mentions.find_mentions` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.lexicon import words
from extractor.gazetteer import name_key
from extractor.schema import PartyType

MentionKind = Literal["name", "alias", "capital", "city", "demonym", "person", "surname"]

LEADER_TITLES = words(
    "president leader premier prime chancellor king queen emir sultan monarch dictator ruler "
    "strongman prince"
)
TITLES = LEADER_TITLES | words(
    "minister secretary secretary-general ambassador envoy spokesman spokeswoman spokesperson "
    "negotiator diplomat official chief commander general chairman chairwoman chair governor "
    "mayor speaker representative delegate counterpart vice-president deputy adviser advisor "
    "director-general commissioner head foreign defence defense aide undersecretary under-secretary"
)
HONORIFICS = words("mr mrs ms miss dr sir dame mr. mrs. ms. dr.")
# Names inside a longer institution's name are not the state: "University of Oslo".
INSTITUTION_WORDS = words(
    "university institute center centre square school college foundation museum airport street "
    "hospital times post news agency press journal herald radio television tv broadcasting "
    "studies council agence presse"
)
NAME_PARTICLES = words("bin al el de da di van von der le la du ibn abu")


@dataclass(frozen=True)
class Mention:
    """One naming of a party in one sentence (tokens `first`..`last` inclusive)."""

    sentence: Sentence
    first: int
    last: int
    surface: str
    name: str
    type: PartyType
    kind: MentionKind


@dataclass
class Entity:
    """Everything the article calls one party, under its canonical name."""

    name: str
    type: PartyType
    mentions: list[Mention] = field(default_factory=list)
    represents: str | None = None
    #: The tokens that show whom a person represents: (sentence, first, last).
    represents_span: tuple[Sentence, int, int] | None = None
    leader: bool = False
    titles: set[str] = field(default_factory=set)

    def aliases(self) -> list[str]:
        """Other names the article uses for this entity, verbatim, each once."""
        seen = {name_key(self.name)}
        out: list[str] = []
        for mention in self.mentions:
            if mention.kind == "demonym":
                continue
            key = name_key(mention.surface)
            if key not in seen:
                seen.add(key)
                out.append(mention.surface)
        return out


@dataclass
class Mentions:
    """All mentions of an article, indexed by sentence and token."""

    article: ParsedArticle
    entities: dict[str, Entity]
    _by_token: dict[tuple[int, int], Mention]
    _by_sentence: dict[int, list[Mention]] = field(default_factory=dict)
    #: Organisations only the tagger knows (its ORG names), kept apart: they may be parties when
    #: the event's clauses name them as actors, never speakers, places or accused by themselves.
    tagged: dict[str, Entity] = field(default_factory=dict)
    _tagged_by_token: dict[tuple[int, int], Mention] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One pass here instead of a scan of every token per `in_sentence` call.
        seen: set[int] = set()
        for (index, _), mention in self._by_token.items():
            if id(mention) not in seen:
                seen.add(id(mention))
                self._by_sentence.setdefault(index, []).append(mention)
        for found in self._by_sentence.values():
            found.sort(key=lambda m: m.first)

    def at(self, sentence: Sentence, token: Any) -> Entity | None:
        """The entity a token belongs to, if it is part of a mention."""
        mention = self._by_token.get((sentence.index, int(token.i)))
        return self.entities.get(mention.name) if mention else None

    def mention_at(self, sentence: Sentence, token: Any) -> Mention | None:
        """The mention covering a token, if any."""
        return self._by_token.get((sentence.index, int(token.i)))

    def tagged_at(self, sentence: Sentence, token: Any) -> Mention | None:
        """The tagger-only organisation a token is part of, if any."""
        return self._tagged_by_token.get((sentence.index, int(token.i)))

    def tagged_in_sentence(self, sentence: Sentence) -> list[Mention]:
        """Tagger-only organisations in a sentence, in text order."""
        found = {id(m): m for (i, _), m in self._tagged_by_token.items() if i == sentence.index}
        return sorted(found.values(), key=lambda m: m.first)

    def add_tagged(self, mention: Mention) -> None:
        entity = self.tagged.setdefault(mention.name, Entity(mention.name, "organisation"))
        entity.mentions.append(mention)
        for k in range(mention.first, mention.last + 1):
            self._tagged_by_token[(mention.sentence.index, k)] = mention

    def in_sentence(self, sentence: Sentence) -> list[Mention]:
        """Mentions in a sentence, in text order."""
        return list(self._by_sentence.get(sentence.index, []))

    def entity(self, name: str) -> Entity | None:
        return self.entities.get(name) or self.tagged.get(name)
