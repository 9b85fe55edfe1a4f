"""Allegations and denials: who accuses whom of what, and who rejects it.

An allegation is made by a named party, person, or officials of a named state, and accuses
another party of something. It is read in four shapes:

- a reporting verb ("say", "accuse", "believe", "fear", "according to"...) whose complement
  accuses a party of a hostile, unlawful or contested act ("the US says Pyongyang is supplying
  Moscow with missiles"); the accused is the complement's subject, a party modifying it
  ("North Korean help..."), the one thanked or blamed "for" an act, or else the one or two
  parties the complement names besides the speaker's own side (never the victims of a passive
  act, "Afghan civilians were killed"); sides that "accused each other" accuse one another, and
  an outlet that only passes on another's accusation ("X accused Y ..., the BBC reported") is
  not the accuser;
- a speaker's pejorative naming of another party's conduct ("US bullying", "Western
  blackmail", "the hegemonic policy of the United States"), inside a reporting or stance verb
  ("said", "portray", "called for"), or in a quotation continuing the previous sentence's;
- a named party's fear or concern about another's act ("concerned about possible Russian
  support for ... missile programmes");
- the other half of an exchange ("... in return for North Korea's agreement to supply shells").

The journalist's own framing, unattributed passives ("is suspected of") and hypotheticals about
unnamed acts ("a transfer would violate sanctions") are left out. A denial is "deny", "refute",
or "reject/dismiss" of a claim, linked to the allegation it answers; or a speaker calling a claim
false ("said the allegations are false", "described the idea that ... as absurd", "their story
is baseless"), or "ruled out" a party's involvement; or a speaker
stating the opposite of what a party is accused of ("said the United States is not preventing
...", a defence lawyer's "never intended to harm").

This module holds what both sides share: the parse context, who a noun names, and a claim's
text. `allegations` reads the reported and explicit accusations, `stances` the pejorative
namings and concerns, `denials` the denials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import Mentions
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.speakers import SpeakerResolver
from extractor.schema import AllegationDraft

# What an accusation is about: hostile, unlawful or contested acts and their instruments.
ACCUSATION_WORDS = words(
    "supply provide transfer ship send deliver sell arm fund finance violate breach flout evade "
    "sabotage undermine attack strike invade bomb shell kill target launch fire occupy annex "
    "interfere meddle hack spy smuggle cheat threaten destabilise destabilize torture detain "
    "abduct kidnap plot replenish weapon arms missile munition ammunition drone rocket troops "
    "soldier aggression violation invasion supplies crime genocide terrorism terrorist massacre "
    "bombardment offensive incursion seize detain arrest spy espionage fraud defraud inflate "
    "exaggerate murder assassinate assault abuse atrocity atrocities manipulate block disrupt "
    "launder bribe bribery corrupt corruption steal mislead shoot bomb provoke provocation "
    "hostile harass coerce coercion intimidate intimidation encroach persecute repress suppress "
    "rig smuggling traffic trafficking poison conspire blackmail extort extortion "
    "surveillance surveil deceive cheat loot plunder rape drug drugs narcotics cocaine heroin "
    "cartel"
)
APPOSITIVE_CLAIMS = words("charge allegation accusation claim")
# Accusation words only as verbs: "shipped arms", not "on board a ship".
_VERB_SENSES = words("ship fire launch strike target block shell bomb")
# Bodies that act for a state: "Russian forces", "the Chinese coast guard", "Somali officials".
_ACTING_BODIES = words(
    "forces force troops soldiers army military navy guard officials government authorities "
    "police vessels vessel ships ship boats aircraft jets warplanes drones militia fighters "
    "ministry"
)


@dataclass
class Allegation:
    """An allegation draft and the index of the sentence it was read from."""

    draft: AllegationDraft
    sentence: int


@dataclass
class ClaimContext:
    """What the claim readers consult: the parse, its mentions, and who speaks for whom."""

    article: ParsedArticle
    mentions: Mentions
    resolver: SpeakerResolver


def party_of(ctx: ClaimContext, sentence: Sentence, token: Any) -> str | None:
    """The party a noun names: itself ("Russia"), or the state whose forces, officials or ships
    it names ("Russian forces", "the Chinese coast guard", "Ethiopia's troops")."""
    entity = ctx.mentions.at(sentence, token)
    if entity is not None:
        return entity.name
    if token.lemma_.lower() not in _ACTING_BODIES and token.lower_ not in _ACTING_BODIES:
        return None
    for child in token.children:
        if child.dep_ in ("amod", "compound", "poss", "nmod"):
            for part in [child, *child.children]:
                found = ctx.mentions.at(sentence, part)
                if found is not None and found.type != "person":
                    return found.name
    return None


def named_in(ctx: ClaimContext, sentence: Sentence, tokens: Any, exclude: set[str]) -> list[str]:
    names: list[str] = []
    for tok in tokens:
        entity = ctx.mentions.at(sentence, tok)
        if entity is not None and entity.name not in exclude and entity.name not in names:
            names.append(entity.name)
    return names


def accuses(clause: Any) -> bool:
    """Whether a clause names a hostile, unlawful or contested act ("on board a ship" does not)."""
    return any(
        t.lemma_.lower() in ACCUSATION_WORDS
        and (t.pos_ == "VERB" or t.lemma_.lower() not in _VERB_SENSES)
        for t in clause.subtree
    )


def trimmed_text(
    article: ParsedArticle, sentence: Sentence, lo: int, hi: int
) -> tuple[str, Any, Any]:
    doc = sentence.span.doc
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("that", "whether", "of", "as")):
        lo += 1
    for k in range(lo + 1, hi):
        after = doc[k + 1]
        if doc[k].text == "," and (
            after.lower_ in ("which", "although", "though")
            or (after.lower_ in ("a", "an") and doc[k + 2].lemma_.lower() in APPOSITIVE_CLAIMS)
        ):
            # ", a charge Moscow denies" or ", although both deny that" answers the claim or
            # qualifies it; it is not part of it.
            hi = k - 1
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    text = re.sub(r"\s+", " ", article.quote(sentence, doc[lo], doc[hi])).strip(" “”\"'‘’,")
    if (text.count('"') + text.count("“") + text.count("”")) % 2:
        text = re.sub(r"[\"“”]", "", text)  # a quotation cut in half reads as noise
    return text, doc[lo], doc[hi]


def clause_text(article: ParsedArticle, sentence: Sentence, clause: Any) -> tuple[str, Any, Any]:
    return trimmed_text(article, sentence, clause.left_edge.i, clause.right_edge.i)


def same_target(item: AllegationDraft, draft: AllegationDraft) -> bool:
    return set(item.alleged_by) == set(draft.alleged_by) and set(item.accused) == set(draft.accused)
