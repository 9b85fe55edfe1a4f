"""Who the article names: states, organisations and groups (via the gazetteer) and people.

Every mention keeps its sentence and token range. Mentions of one thing are merged into an
`Entity` under its canonical name: "DPRK", "Pyongyang" and "the North" into North Korea;
"Kim Jong-un", "Mr Kim" and "Kim" into Kim Jong Un. A person's `represents` is read from the
way news copy names officials: "Russian President Vladimir Putin", "North Korea's Kim Jong Un",
"Shin Won-sik, South Korea's defence minister", "North Korea, whose leader Kim Jong Un".
The tagger's ORG names no gazetteer entry covers are kept apart (`Mentions.tagged`), for
parties only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import (
    INSTITUTION_WORDS,
    LEADER_TITLES,
    TITLES,
    Entity,
    Mention,
    MentionKind,
    Mentions,
)
from extractor.backends.offline.events import AGREEMENT_NOUNS
from extractor.backends.offline.people import (
    Cluster,
    canonical_person,
    find_cluster,
    person_tokens,
    scan_people,
)
from extractor.backends.offline.representation import assign_representation
from extractor.gazetteer import (
    GazetteerHit,
    lookup,
    match,
    name_key,
    name_words_from,
    organisation_seated_in,
)

# ------------------------------------------------------------------ states, organisations


@dataclass(frozen=True)
class _Words:
    """A sentence's token attributes as plain lists: a scan reads each token once."""

    text: list[str]
    lower: list[str]
    punct: list[bool]
    space: list[bool]
    start: list[int]

    @classmethod
    def of(cls, span: Any) -> _Words:
        toks = list(span)
        return cls(
            [t.text for t in toks],
            [t.lower_ for t in toks],
            [t.is_punct for t in toks],
            [t.is_space for t in toks],
            [int(t.idx) for t in toks],
        )


def _window_ok(words: _Words, lo: int, hi: int) -> bool:
    for k in range(lo, hi + 1):
        # "Russia's" is not part of a name, but "Democratic People's Republic of Korea" is.
        if words.space[k] or (words.text[k] in ("'s", "'") and k in (lo, hi)):
            return False
        if words.punct[k] and words.text[k] not in ("-", ".", "&") and k not in (lo, hi):
            return False
    return not words.punct[lo] and not words.punct[hi]


def _name_goes_on(words: _Words, j: int, kind: str) -> bool:
    """Whether a capitalised word continues the name after token `j` (in the body, where
    capitals mark names; a headline's Title Case does not)."""
    after = j + 1
    if kind != "body" or after >= len(words.text) or words.space[after]:
        return False
    return words.text[after][:1].isupper() and not words.punct[after]


def _inside_institution(doc: Any, lo: int, hi: int, sentence_kind: str) -> bool:
    ent_start, ent_end = doc[lo].ent_iob_, None
    for ent in doc.ents:
        if ent.start <= lo and hi < ent.end:
            ent_end = ent
            break
    del ent_start
    if ent_end is None or (ent_end.start == lo and ent_end.end == hi + 1):
        return False
    if ent_end.label_ == "PERSON":
        return sentence_kind == "body"
    words = {t.lower_ for t in ent_end}
    return ent_end.label_ in ("ORG", "FAC", "WORK_OF_ART", "EVENT", "LAW") and bool(
        words & INSTITUTION_WORDS
    )


def scan_gazetteer(article: ParsedArticle, sentence: Sentence) -> list[Mention]:
    span = sentence.span
    doc = span.doc
    base = span.start
    words = _Words.of(span)
    size = len(words.text)

    def surface(lo: int, hi: int) -> str:
        first = sentence.offset + words.start[lo]
        return article.text[first : sentence.offset + words.start[hi] + len(words.text[hi])]

    found: list[Mention] = []
    i = 0
    while i < size:
        hit: GazetteerHit | None = None
        j = i
        word = words.lower[i]
        # A name's words can split into more tokens than words ("U.S.", "Guinea-Bissau").
        if word == "the":
            width = 2 * name_words_from(words.text[i + 1]) + 2 if i + 1 < size else 0
        else:
            width = 2 * name_words_from(word) + 1 if name_words_from(word) else 0
        if width and not words.punct[i] and not words.space[i]:
            for n in range(min(width, size - i), 0, -1):
                j = i + n - 1
                if not _window_ok(words, i, j):
                    continue
                hit = match(surface(i, j))
                if hit is None:
                    continue
                if hit.form.lower().startswith("the ") != (word == "the"):
                    # "the North" is North Korea and a bare "North" is not; "the US" is "US".
                    hit = None
                    continue
                if word == "the" and _name_goes_on(words, j, sentence.kind):
                    # "The South Sudanese government", "the West Bank": a longer name.
                    hit = None
                    continue
                if _inside_institution(doc, base + i, base + j, sentence.kind):
                    hit = None
                    continue
                break
        if hit is None:
            i += 1
            continue
        # A body acting for a larger one ("the Commission" for the EU) is that larger party.
        parent = lookup(hit.entry.part_of) if hit.entry.part_of else None
        entry = parent or hit.entry
        kind: MentionKind = "alias" if parent is not None else hit.kind
        found.append(
            Mention(sentence, base + i, base + j, surface(i, j), entry.name, entry.type, kind)
        )
        i = j + 1
    return found


# ---------------------------------------------------------------------------- assembly


def _descriptive_aliases(article: ParsedArticle, entities: dict[str, Entity]) -> None:
    """'the Russian president' is another name for the one Russian president the article names."""
    by_role: dict[tuple[str, str], list[Entity]] = {}
    for entity in entities.values():
        if entity.type == "person" and entity.represents:
            for title in entity.titles & TITLES:
                by_role.setdefault((entity.represents, title), []).append(entity)
    unplaced = [
        e for e in entities.values() if e.type == "person" and not e.represents and e.titles
    ]
    for sentence in article.sentences:
        doc = sentence.span.doc
        for tok in sentence.span:
            if tok.lower_ != "the" or tok.i + 2 >= sentence.span.end:
                continue
            for width in (1, 2):
                if tok.i + width + 1 >= sentence.span.end:
                    continue
                words = doc[tok.i + 1 : tok.i + 1 + width]
                title = doc[tok.i + 1 + width]
                hit = match(words.text)
                if hit is None or hit.kind != "demonym":
                    continue
                people = by_role.get((hit.entry.name, title.lower_), [])
                person = _main_unplaced(unplaced)
                if not people and title.lower_ in TITLES and person is not None:
                    # "the Russian leader" when one titled person is not yet placed: that is
                    # the person, unless the article already names another Russian leader.
                    unplaced.remove(person)
                    person.represents = hit.entry.name
                    person.titles.add(title.lower_)
                    person.leader = person.leader or title.lower_ in LEADER_TITLES
                    people = [person]
                    by_role[(hit.entry.name, title.lower_)] = people
                if len(people) == 1:
                    surface = article.text[sentence.char(tok) : sentence.char_end(title)]
                    people[0].mentions.append(
                        Mention(
                            sentence, tok.i, title.i, surface, people[0].name, "person", "alias"
                        )
                    )


def _main_unplaced(unplaced: list[Entity]) -> Entity | None:
    """The one unplaced titled person, or one named more often than all the others together."""
    if not unplaced:
        return None
    ranked = sorted(unplaced, key=lambda e: -len(e.mentions))
    rest = sum(len(e.mentions) for e in ranked[1:])
    return ranked[0] if len(ranked[0].mentions) > rest else None


def _caption_people(
    article: ParsedArticle, clusters: list[Cluster], by_token: dict[tuple[int, int], Mention]
) -> list[Mention]:
    """People named in captions, as mentions of the article's own people (for who-is-who)."""
    found: list[Mention] = []
    names = {cluster.key: canonical_person(cluster) for cluster in clusters}
    for sentence in article.captions:
        for mention in scan_gazetteer(article, sentence):
            for k in range(mention.first, mention.last + 1):
                by_token[(sentence.index, k)] = mention
        for ent in sentence.ents:
            bounds = person_tokens(ent) if ent.label_ == "PERSON" else None
            if bounds is None:
                continue
            doc = ent.doc
            text = article.text[sentence.char(doc[bounds[0]]) : sentence.char_end(doc[bounds[1]])]
            cluster = find_cluster(clusters, name_key(text).split())
            if cluster is not None:
                found.append(
                    Mention(
                        sentence, bounds[0], bounds[1], text, names[cluster.key], "person", "person"
                    )
                )
    return found


def _seats_as_organisations(
    entities: dict[str, Entity], by_token: dict[tuple[int, int], Mention]
) -> None:
    """'Brussels' in a story about the EU is the EU, unless the state itself is named too."""
    for state in list(entities.values()):
        if state.type != "state" or any(m.kind != "capital" for m in state.mentions):
            continue
        body = organisation_seated_in(state.mentions[0].surface)
        if body is None or body not in entities:
            continue
        organisation = entities[body]
        for mention in state.mentions:
            moved = Mention(
                mention.sentence,
                mention.first,
                mention.last,
                mention.surface,
                body,
                organisation.type,
                "alias",
            )
            organisation.mentions.append(moved)
            for k in range(moved.first, moved.last + 1):
                by_token[(moved.sentence.index, k)] = moved
        del entities[state.name]


def find_mentions(article: ParsedArticle) -> Mentions:
    """Every party mention in the article, merged into entities with canonical names."""
    entities: dict[str, Entity] = {}
    by_token: dict[tuple[int, int], Mention] = {}
    for sentence in article.sentences:
        for mention in scan_gazetteer(article, sentence):
            entity = entities.setdefault(mention.name, Entity(mention.name, mention.type))
            entity.mentions.append(mention)
            for k in range(mention.first, mention.last + 1):
                by_token[(sentence.index, k)] = mention
    _seats_as_organisations(entities, by_token)
    clusters = scan_people(article, set(by_token))
    for cluster in clusters:
        name = canonical_person(cluster)
        entity = entities.setdefault(name, Entity(name, "person"))
        for mention in cluster.mentions:
            named = Mention(
                mention.sentence,
                mention.first,
                mention.last,
                mention.surface,
                name,
                "person",
                mention.kind,
            )
            entity.mentions.append(named)
            for k in range(named.first, named.last + 1):
                by_token[(named.sentence.index, k)] = named
    assign_representation(entities, by_token, _caption_people(article, clusters, by_token))
    _descriptive_aliases(article, entities)
    for entity in entities.values():
        entity.mentions.sort(key=lambda m: (m.sentence.index, m.first))
    mentions = Mentions(article, entities, by_token)
    for mention in _tagged_organisations(article, by_token):
        mentions.add_tagged(mention)
    return mentions


def _part_of_a_title(doc: Any, lo: int, hi: int) -> bool:
    """'Interior Minister', 'Secretary of State': the tagger's ORG is a person's title."""
    after = doc[hi + 1].lower_ if hi + 1 < len(doc) else ""
    before = doc[lo - 2].lower_ if lo >= 2 and doc[lo - 1].lower_ == "of" else ""
    return after in TITLES or before in TITLES


def _tagged_organisations(
    article: ParsedArticle, by_token: dict[tuple[int, int], Mention]
) -> list[Mention]:
    """The tagger's ORG names in the body that no gazetteer or person mention covers ("Boeing",
    "the Federal Trade Commission"), under one name per spelling."""
    found: list[Mention] = []
    names: dict[str, str] = {}
    for sentence in article.body:
        for ent in sentence.ents:
            if ent.label_ != "ORG":
                continue
            doc = ent.doc
            lo, hi = ent.start, ent.end - 1
            while lo <= hi and (doc[lo].lower_ == "the" or doc[lo].is_punct):
                lo += 1
            while hi >= lo and (doc[hi].text in ("'s", "'", "’s") or doc[hi].is_punct):
                hi -= 1
            if hi < lo or any((sentence.index, k) in by_token for k in range(lo, hi + 1)):
                continue
            if any(doc[k].lemma_.lower() in AGREEMENT_NOUNS for k in range(lo, hi + 1)):
                continue  # "the International Natural Rubber Agreement" is what is signed
            if _part_of_a_title(doc, lo, hi):
                continue
            if hi - 1 > lo and doc[hi].lower_ == "agency" and doc[hi - 1].lower_ == "news":
                hi -= 2  # "Xinhua news agency" is Xinhua
            if not doc[lo].text[:1].isupper():
                continue
            surface = article.text[sentence.char(doc[lo]) : sentence.char_end(doc[hi])]
            key = name_key(surface)
            # "Sears" after "Sears Roebuck and Co": the short form of a name already read.
            longer = next((n for k, n in names.items() if k.startswith(key + " ")), None)
            name = names.setdefault(key, longer or surface)
            found.append(Mention(sentence, lo, hi, surface, name, "organisation", "name"))
    return found
