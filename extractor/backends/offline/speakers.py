"""Who says, fears or accuses: the speaker of a verb, as canonical party names.

A speaker is the subject of a reporting verb ("the US says", "said Leif-Eric Easley"), resolved
through the article's mentions: a named person or, failing that, the states and bodies named in
the subject ("US and South Korean officials"). Pronouns go back to a named subject higher in the
sentence or just before it; "both leaders" and "the two countries" are the main event's own
people and sides. A body the gazetteer does not know speaks under the name the tagger gives it
("NBC", "the Rodong Sinmun", "prosecutors"); an outlet speaks only when named ("state media said"
is no one, "NBC television reported" is NBC); a relative "who" is the noun its clause describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractor.backends.offline.document import Sentence
from extractor.backends.offline.entities import Mentions
from extractor.backends.offline.lexicon import words
from extractor.schema import EventType, PartyDraft

REPORTING_VERBS = words(
    "say accuse allege claim believe suspect fear warn question charge blame tell assert argue "
    "contend think worry add state estimate insist report announce declare write testify "
    "complain conclude"
)
_MEDIA_WORDS = words(
    "media agency newspaper outlet television broadcaster correspondent report reports footage "
    "video statement"
)
# Authorities that speak in their own name though the gazetteer lists none of them.
_AUTHORITIES = words("police prosecutor prosecutors investigator investigators")
_PERSON_PRONOUNS = frozenset(["he", "she"])
_PLURAL_PRONOUNS = frozenset(["they", "them"])
# "both leaders", "the two countries": the event's own people, or its own sides.
_GROUP_PEOPLE = words("leader leaders")
_GROUP_SIDES = words("country countries nation nations side sides state states government")
_BOTH = words("both two")


def conjuncts(token: Any) -> list[Any]:
    """A token and everything coordinated with it ("Russia and North Korea")."""
    out = [token]
    for child in token.children:
        if child.dep_ == "conj":
            out.extend(conjuncts(child))
    return out


def speaker_heads(verb: Any) -> list[Any]:
    """The subject heads of a verb, or of the verb it is coordinated with."""
    for child in verb.children:
        if child.dep_ == "nsubj":
            return conjuncts(child)
    if verb.dep_ == "conj" and verb.head.i != verb.i:
        return speaker_heads(verb.head)  # "... say X, and have accused Y": same speakers
    return []


def speaker_span(heads: list[Any]) -> list[Any]:
    """Tokens that bound the speaker's words in an evidence quote (short subjects whole)."""
    tokens: list[Any] = []
    for head in heads:
        tokens += [head.left_edge, head] if head.i - head.left_edge.i < 10 else [head]
    return tokens


def head_dep(mention: Any) -> str:
    """The dependency label of a mention's head token."""
    doc = mention.sentence.span.doc
    for k in range(mention.first, mention.last + 1):
        if not mention.first <= doc[k].head.i <= mention.last:
            return str(doc[k].dep_)
    return str(doc[mention.last].dep_)


def unlisted_body(sentence: Sentence, head: Any, modifiers_only: bool = False) -> str | None:
    """A body the gazetteer does not know, named by the tagger ("NBC", "the Rodong Sinmun",
    "Citizens for Responsibility and Ethics in Washington"), or an authority named by its
    office ("prosecutors", "Hamburg prosecutors", "the police"); None for anything else."""
    tokens = [c for c in head.children if c.dep_ in ("compound", "poss", "nmod")]
    if not modifiers_only:
        tokens.insert(0, head)
    for tok in tokens:
        if tok.ent_type_ != "ORG":
            continue
        for ent in sentence.ents:
            if ent.start <= tok.i < ent.end and ent.label_ == "ORG":
                words = [t for t in ent if not (t.i == ent.start and t.lower_ == "the")]
                name = "".join(t.text_with_ws for t in words).strip()
                return name.removesuffix("'s").removesuffix("’s").strip() or None
    if not modifiers_only and head.lemma_.lower() in _AUTHORITIES and head.tag_ != "NNP":
        lo = min([head.i] + [c.i for c in head.children if c.dep_ == "compound"])
        return " ".join(t.text for t in head.doc[lo : head.i + 1])
    return None


@dataclass(frozen=True)
class Recent:
    """The allegers of the latest allegation, for a 'they' in the next sentence."""

    sentence: int
    names: list[str]


class SpeakerResolver:
    """Resolves subjects to party names with the article's mentions and the event's parties."""

    def __init__(
        self, mentions: Mentions, parties: list[PartyDraft], event_type: EventType
    ) -> None:
        self.mentions = mentions
        self._people = [p.name for p in parties if p.type == "person" and p.represents]
        self._sides = [
            p.name for p in parties if p.type != "person" and p.role in ("signatory", "participant")
        ]
        self._signatories = {p.name for p in parties if p.role == "signatory"}
        #: The parties bound by the main event's agreement.
        self.signatories = frozenset(self._signatories)
        self._allied = event_type == "agreement_signed"

    def names_in(self, sentence: Sentence, head: Any) -> tuple[list[str], list[str]]:
        """(people, states and bodies) named in a subject or object phrase."""
        people: list[str] = []
        bodies: list[str] = []
        skip: set[int] = set()
        named_head = self.mentions.at(sentence, head) is not None
        for tok in head.subtree:
            if tok.dep_ in ("relcl", "acl", "advcl") and tok.i != head.i:
                skip.update(t.i for t in tok.subtree)
            if named_head and tok.dep_ == "appos" and tok.head.i == head.i:
                # "Kuwait, a target of Iranian anger over ... Iraq": the apposition describes
                # the named speaker; the names inside it do not speak.
                skip.update(t.i for t in tok.subtree)
        for tok in head.subtree:
            if tok.i in skip:
                continue
            entity = self.mentions.at(sentence, tok)
            if entity is None:
                continue
            bucket = people if entity.type == "person" else bodies
            if entity.name not in bucket:
                bucket.append(entity.name)
        if not people and not bodies and any(c.lower_ in _BOTH for c in head.children):
            if head.lower_ in _GROUP_PEOPLE:
                people = list(self._people)
            elif head.lower_ in _GROUP_SIDES:
                bodies = list(self._sides)
        return people, bodies

    def speakers(self, sentence: Sentence, heads: list[Any], recent: Recent | None) -> list[str]:
        """Canonical names of who speaks through these subject heads ([] if unnamed)."""
        names: list[str] = []
        for head in heads:
            if head.pos_ == "PRON":
                found = self._antecedent(sentence, head, recent)
                names.extend(n for n in found if n not in names)
                continue
            if head.lemma_.lower() in _MEDIA_WORDS or head.lower_ in _MEDIA_WORDS:
                # "state media said": no one; "NBC television reported": the outlet named.
                outlet = unlisted_body(sentence, head, modifiers_only=True)
                if outlet is not None and outlet not in names:
                    names.append(outlet)
                continue
            people, bodies = self.names_in(sentence, head)
            if not people and not bodies:
                body = unlisted_body(sentence, head)
                bodies = [body] if body is not None else []
            names.extend(n for n in (people or bodies) if n not in names)
        return names

    def _antecedent(self, sentence: Sentence, pronoun: Any, recent: Recent | None) -> list[str]:
        """Who 'they' or 'he' is: a named subject higher in the sentence, else just before it;
        who 'who' is: the noun its clause describes."""
        if pronoun.tag_ in ("WP", "WDT"):
            verb = pronoun.head
            if verb.dep_ != "relcl":
                return []
            people, bodies = self.names_in(sentence, verb.head)
            return people or bodies
        node = pronoun.head
        while node.head.i != node.i:
            node = node.head
            for child in node.children:
                if child.dep_ == "nsubj" and child.pos_ != "PRON":
                    people, bodies = self.names_in(sentence, child)
                    if people or bodies:
                        return people or bodies
        if pronoun.lower_ in _PLURAL_PRONOUNS:
            if recent is not None and recent.sentence >= sentence.index - 1:
                return list(recent.names)
            return []
        if pronoun.lower_ not in _PERSON_PRONOUNS or sentence.index == 0:
            return []
        previous = self.mentions.article.sentences[sentence.index - 1]
        subjects = [
            m.name
            for m in self.mentions.in_sentence(previous)
            if m.type == "person" and head_dep(m) == "nsubj"
        ]
        return subjects[-1:]

    def own_side(self, speakers: list[str]) -> set[str]:
        """The speakers and the states they speak for: never accused by their own words."""
        side = set(speakers)
        for name in speakers:
            entity = self.mentions.entity(name)
            if entity is not None and entity.represents:
                side.add(entity.represents)
        return side

    def allies(self, speakers: list[str]) -> set[str]:
        """Own side plus, when it has just signed an agreement, its co-signatories."""
        side = self.own_side(speakers)
        if self._allied and side & self._signatories:
            side |= self._signatories
            side |= {
                p
                for p in self._people
                if (e := self.mentions.entity(p)) is not None and e.represents in side
            }
        return side
