"""Who the article names: states, organisations and groups (via the gazetteer) and people.

Every mention keeps its sentence and token range. Mentions of one thing are merged into an
`Entity` under its canonical name: "DPRK", "Pyongyang" and "the North" into North Korea;
"Kim Jong-un", "Mr Kim" and "Kim" into Kim Jong Un. A person's `represents` is read from the
way news copy names officials: "Russian President Vladimir Putin", "North Korea's Kim Jong Un",
"Shin Won-sik, South Korea's defence minister", "North Korea, whose leader Kim Jong Un".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from rapidfuzz import fuzz

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.lexicon import words
from extractor.gazetteer import (
    GazetteerHit,
    lookup,
    match,
    name_key,
    name_words_from,
    organisation_seated_in,
)
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
    "director-general commissioner head foreign defence defense aide"
)
_HONORIFICS = words("mr mrs ms miss dr sir dame mr. mrs. ms. dr.")
# Names inside a longer institution's name are not the state: "University of Oslo".
_INSTITUTION_WORDS = words(
    "university institute center centre square school college foundation museum airport street "
    "hospital times post news agency press journal herald radio television tv broadcasting "
    "studies council"
)
_NAME_PARTICLES = words("bin al el de da di van von der le la du ibn abu")


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

    def in_sentence(self, sentence: Sentence) -> list[Mention]:
        """Mentions in a sentence, in text order."""
        return list(self._by_sentence.get(sentence.index, []))

    def entity(self, name: str) -> Entity | None:
        return self.entities.get(name)


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
        if words.space[k] or words.text[k] in ("'s", "'"):
            return False
        if words.punct[k] and words.text[k] not in ("-", ".", "&") and k not in (lo, hi):
            return False
    return not words.punct[lo] and not words.punct[hi]


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
        words & _INSTITUTION_WORDS
    )


def _scan_gazetteer(article: ParsedArticle, sentence: Sentence) -> list[Mention]:
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


# ------------------------------------------------------------------------------ people


def _person_tokens(ent: Any) -> tuple[int, int] | None:
    lo, hi = ent.start, ent.end - 1
    doc = ent.doc
    for k in range(hi - 1, lo - 1, -1):
        if (doc[k].is_punct and doc[k].text not in ("-", ".")) or doc[k].text in ("'s", "'"):
            lo = k + 1  # "Russia's(Vladimir Putin": the name is what follows the break.
            break
    following = doc[hi + 1].lower_ if hi + 1 < len(doc) else ""
    if {t.lower_ for t in doc[lo : hi + 1]} & _INSTITUTION_WORDS or following in _INSTITUTION_WORDS:
        return None  # "Lenin Square", "Nelson Mandela Bridge": places named after people.
    while lo <= hi and (doc[lo].lower_ in _HONORIFICS or doc[lo].lower_ in TITLES):
        lo += 1
    while hi >= lo and (doc[hi].text in ("'s", "'", "’s") or doc[hi].is_punct):
        hi -= 1
    if hi < lo:
        return None
    hi = _name_continues(doc, lo, hi)
    for k in range(lo, hi + 1):
        word = doc[k].text
        # "Shin Won-sik", "Moon Jae-in": the part after a hyphen of a given name is lower case.
        after_hyphen = k > lo and doc[k - 1].text == "-" and word.isalpha()
        if (
            not word[:1].isupper()
            and word.lower() not in _NAME_PARTICLES
            and word != "-"
            and not after_hyphen
        ):
            return None
    return lo, hi


def _name_continues(doc: Any, lo: int, hi: int) -> int:
    """Extend a person's name the tagger cut short: "Ursula von" + "der Leyen", "Mohammed bin
    Abdulrahman" + "Al Thani", "Choe Son" + "Hui". Particles join when a capitalised word
    follows them; a capitalised proper noun joins when it is no known place, title or date."""
    k = hi + 1
    while k < len(doc) and doc[k].sent == doc[lo].sent:
        tok = doc[k]
        nxt = doc[k + 1] if k + 1 < len(doc) else None
        if tok.text.islower() and tok.lower_ in _NAME_PARTICLES:
            if nxt is None or not (nxt.text[:1].isupper() or nxt.text == "-"):
                break
        elif tok.text == "-" and doc[k - 1].lower_ in _NAME_PARTICLES and not tok.whitespace_:
            pass  # "al-" written as its own token
        elif not (
            tok.text[:1].isupper()
            and tok.pos_ == "PROPN"
            and (
                doc[k - 1].lower_ in _NAME_PARTICLES
                or doc[k - 1].text == "-"
                or tok.ent_type_ in ("", "PERSON", "NORP")
            )
            and tok.lower_ not in TITLES
            and tok.ent_type_ not in ("DATE", "TIME")
            and (match(tok.text) is None or doc[k - 1].lower_ in _NAME_PARTICLES)
        ):
            break
        if doc[k - 1].is_punct and doc[k - 1].text != "-":
            break
        k += 1
    end = k - 1
    while end > hi and (doc[end].lower_ in _NAME_PARTICLES or doc[end].text == "-"):
        end -= 1
    return end


@dataclass
class _Cluster:
    key: str
    first: str
    last: str
    surfaces: Counter[str] = field(default_factory=Counter)
    mentions: list[Mention] = field(default_factory=list)


def _find_cluster(clusters: list[_Cluster], words: list[str]) -> _Cluster | None:
    key = " ".join(words)
    for cluster in clusters:
        if cluster.key == key:
            return cluster
    if len(words) >= 2:
        if words[0] in _NAME_PARTICLES:
            for cluster in clusters:
                if cluster.key.endswith(" " + key):
                    return cluster  # "Von der Leyen" is Ursula von der Leyen
        for cluster in clusters:
            # A misspelt first name ("Vladimar Putin") still names the same person.
            if (
                len(cluster.key.split()) == len(words)
                and cluster.last == words[-1]
                and fuzz.ratio(cluster.first, words[0]) >= 75
            ):
                return cluster
        return None
    candidates = [c for c in clusters if words[0] in (c.first, c.last) and " " in c.key]
    return max(candidates, key=lambda c: len(c.mentions), default=None)


def _scan_people(article: ParsedArticle, taken: set[tuple[int, int]]) -> list[_Cluster]:
    pending: list[tuple[Sentence, int, int]] = []
    for sentence in article.sentences:
        for ent in sentence.ents:
            if ent.label_ != "PERSON":
                continue
            bounds = _person_tokens(ent)
            if bounds is None or any((sentence.index, k) in taken for k in range(*bounds)):
                continue
            surface = article.text[
                sentence.char(ent.doc[bounds[0]]) : sentence.char_end(ent.doc[bounds[1]])
            ]
            if match(surface) is not None:
                continue
            pending.append((sentence, bounds[0], bounds[1]))
    clusters: list[_Cluster] = []
    # Full names first, so that "Kim" can join the Kim Jong Un the article names in full; body
    # before headline, whose Title Case misleads the tagger ("Kim Hails Russia Alliance").
    pending.sort(key=lambda p: (p[0].kind != "body", p[2] == p[1], p[0].index))
    for sentence, lo, hi in pending:
        if sentence.kind != "body":
            words = name_key(
                article.text[
                    sentence.char(sentence.span.doc[lo]) : sentence.char_end(sentence.span.doc[hi])
                ]
            ).split()
            if _find_cluster(clusters, words) is None:
                continue
        _add_person(article, clusters, sentence, lo, hi)
    _scan_surnames(article, clusters, taken)
    return clusters


def _add_person(
    article: ParsedArticle, clusters: list[_Cluster], sentence: Sentence, lo: int, hi: int
) -> None:
    doc = sentence.span.doc
    name = article.text[sentence.char(doc[lo]) : sentence.char_end(doc[hi])]
    words = name_key(name).split()
    cluster = _find_cluster(clusters, words)
    if cluster is None:
        cluster = _Cluster(" ".join(words), words[0], words[-1])
        clusters.append(cluster)
    surface_lo = lo - 1 if lo > sentence.span.start and doc[lo - 1].lower_ in _HONORIFICS else lo
    surface = article.text[sentence.char(doc[surface_lo]) : sentence.char_end(doc[hi])]
    if len(words) >= 2:
        # The formal naming ("President Vladimir Putin") breaks a tie between two spellings.
        titled = lo > sentence.span.start and doc[lo - 1].lower_ in TITLES
        cluster.surfaces[name] += 3 if titled else 2
    kind: MentionKind = "person" if len(words) >= 2 else "surname"
    if words[0] in _NAME_PARTICLES and cluster.key != " ".join(words):
        kind = "surname"
    cluster.mentions.append(Mention(sentence, lo, hi, surface, cluster.key, "person", kind))


def _scan_surnames(
    article: ParsedArticle, clusters: list[_Cluster], taken: set[tuple[int, int]]
) -> None:
    """Bare surnames the tagger missed ("Putin said", "Mr Kim") join a named person."""
    covered = {
        (m.sentence.index, k)
        for c in clusters
        for m in c.mentions
        for k in range(m.first, m.last + 1)
    }
    full = [c for c in clusters if " " in c.key]
    for sentence in article.sentences:
        for tok in sentence.span:
            where = (sentence.index, tok.i)
            if (
                where in covered
                or where in taken
                or tok.pos_ != "PROPN"
                or not tok.text[:1].isupper()
            ):
                continue
            if (
                tok.i + 1 < sentence.span.end
                and tok.nbor(1).pos_ == "PROPN"
                and tok.nbor(1).text[:1].isupper()
            ):
                continue
            word = name_key(tok.text)
            candidates = [c for c in full if word in (c.first, c.last)]
            if candidates:
                lo = tok.i
                # "Von der Leyen": the particles before a surname belong to it.
                while lo > sentence.span.start and tok.doc[lo - 1].lower_ in _NAME_PARTICLES:
                    lo -= 1
                _add_person(article, clusters, sentence, lo, tok.i)
                covered.add(where)


def _canonical_person(cluster: _Cluster) -> str:
    if not cluster.surfaces:
        return cluster.mentions[0].surface.split()[-1] if cluster.mentions else cluster.key
    plain = [s for s in cluster.surfaces if "-" not in s]
    pool = Counter({s: n for s, n in cluster.surfaces.items() if s in plain}) or cluster.surfaces
    return pool.most_common(1)[0][0].replace("'s", "")


# ----------------------------------------------------------------------- representation


def _state_in(
    by_token: dict[tuple[int, int], Mention], sentence: Sentence, lo: int, hi: int
) -> Mention | None:
    for k in range(lo, hi + 1):
        mention = by_token.get((sentence.index, k))
        if mention is not None and mention.type != "person":
            return mention
    return None


_STOP_WORDS = words("and or with by to from as at in on for than but while after before")


def _left_context(doc: Any, sentence: Sentence, first: int) -> tuple[int, list[Any]]:
    toks: list[Any] = []
    k = first - 1
    lo = sentence.span.start
    if k > lo and doc[k].text == "," and doc[k - 1].lower_ in TITLES:
        k -= 1  # "North Korea's leader, Kim Jong-un"
    while k >= lo and len(toks) < 8:
        tok = doc[k]
        if tok.pos_ in ("VERB", "AUX") or tok.lower_ in _STOP_WORDS:
            break
        if tok.is_punct and tok.text not in ("'s", "-", "'"):
            break
        toks.append(tok)
        k -= 1
    return k + 1, toks


def _side_named_after(by_token: dict[tuple[int, int], Mention], mention: Mention) -> Mention | None:
    """'... Yuri Ushakov on the Russian side': the state whose side a listed person is on."""
    sentence = mention.sentence
    doc = sentence.span.doc
    end = min(sentence.span.end, mention.last + 16)
    for k in range(mention.last + 1, end):
        tok = doc[k]
        if tok.text in (";", ".") or (tok.pos_ == "VERB" and tok.tag_ != "VBN"):
            return None
        if tok.lower_ != "side" or doc[k - 3].lower_ not in ("on", "for", "from"):
            continue
        found = by_token.get((sentence.index, k - 1))
        if found is None or found.type == "person":
            return None
        return Mention(sentence, found.first, k, found.surface, found.name, found.type, found.kind)
    return None


def _represented(
    by_token: dict[tuple[int, int], Mention], mention: Mention
) -> tuple[str | None, int, int, set[str]] | None:
    """(state, first, last, titles) for one person mention, from the words around it."""
    sentence = mention.sentence
    doc = sentence.span.doc
    lo, left = _left_context(doc, sentence, mention.first)
    titles = {t.lower_ for t in left if t.lower_ in TITLES}
    if any(t.lower_ == "whose" for t in left):
        k = lo - 1
        while k >= sentence.span.start:
            found = by_token.get((sentence.index, k))
            if found is not None and found.type != "person":
                return found.name, found.first, mention.last, titles
            k -= 1
    state = _state_in(by_token, sentence, lo, mention.first - 1) if left else None
    if state is not None and (titles or doc[state.last + 1].text in ("'s", "'")):
        return state.name, min(lo, state.first), mention.last, titles
    if titles:
        side = _side_named_after(by_token, mention)
        if side is not None:
            return side.name, mention.first, side.last, titles
        if "secretary of state" in " ".join(t.lower_ for t in reversed(left)):
            # Without a country, "Secretary of State" is the US title in the news.
            return "United States", lo, mention.last, titles
        return None, lo, mention.last, titles  # "President Vladimir Putin": a title, no state
    hi = mention.last + 1
    if hi < sentence.span.end and doc[hi].text == ",":
        right: list[Any] = []
        k = hi + 1
        while k < sentence.span.end and len(right) < 10:
            tok = doc[k]
            if tok.text in (",", ".", ";", ")") or tok.pos_ in ("VERB", "AUX"):
                break
            right.append(tok)
            k += 1
        right_titles = {t.lower_ for t in right if t.lower_ in TITLES}
        state = _state_in(by_token, sentence, hi + 1, k - 1) if right else None
        if state is not None and right_titles:
            return state.name, mention.first, k - 1, right_titles
    if mention.first - 2 >= sentence.span.start and doc[mention.first - 1].text == "(":
        before = by_token.get((sentence.index, mention.first - 2))
        if before is not None and before.type != "person":
            return before.name, before.first, mention.last, titles  # "North Korea (Kim Jong Un)"
    if hi + 1 < sentence.span.end and doc[hi].text in ("'s", "'"):
        after = by_token.get((sentence.index, hi + 1))
        if after is not None and after.type == "state":
            return after.name, mention.first, after.last, titles  # "Kim Jong-un's DPRK"
    return None


def _assign_representation(
    entities: dict[str, Entity],
    by_token: dict[tuple[int, int], Mention],
    captions: list[Mention],
) -> None:
    for entity in entities.values():
        if entity.type != "person":
            continue
        votes: Counter[str] = Counter()
        spans: dict[str, tuple[Sentence, int, int]] = {}
        for mention in entity.mentions:
            found = _represented(by_token, mention)
            if found is None:
                continue
            state, lo, hi, titles = found
            entity.titles |= titles
            if state is None:
                continue
            # A title-backed naming ("Russian President") outweighs a bare possessive.
            votes[state] += 2 if titles else 1
            spans.setdefault(state, (mention.sentence, lo, hi))
        if votes:
            entity.represents = votes.most_common(1)[0][0]
            entity.represents_span = spans[entity.represents]
    for mention in captions:
        # A caption ("Russian President Vladimir Putin, left, ...") says who is who when the
        # story itself never does; it is used for that knowledge only, never as evidence.
        pictured = entities.get(mention.name)
        found = _represented(by_token, mention)
        if pictured is not None and found is not None and found[0] and not pictured.represents:
            pictured.represents = found[0]
            pictured.titles |= found[3]
    for entity in entities.values():
        entity.leader = bool(entity.titles & LEADER_TITLES)


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
    article: ParsedArticle, clusters: list[_Cluster], by_token: dict[tuple[int, int], Mention]
) -> list[Mention]:
    """People named in captions, as mentions of the article's own people (for who-is-who)."""
    found: list[Mention] = []
    names = {cluster.key: _canonical_person(cluster) for cluster in clusters}
    for sentence in article.captions:
        for mention in _scan_gazetteer(article, sentence):
            for k in range(mention.first, mention.last + 1):
                by_token[(sentence.index, k)] = mention
        for ent in sentence.ents:
            bounds = _person_tokens(ent) if ent.label_ == "PERSON" else None
            if bounds is None:
                continue
            doc = ent.doc
            text = article.text[sentence.char(doc[bounds[0]]) : sentence.char_end(doc[bounds[1]])]
            cluster = _find_cluster(clusters, name_key(text).split())
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
        for mention in _scan_gazetteer(article, sentence):
            entity = entities.setdefault(mention.name, Entity(mention.name, mention.type))
            entity.mentions.append(mention)
            for k in range(mention.first, mention.last + 1):
                by_token[(sentence.index, k)] = mention
    _seats_as_organisations(entities, by_token)
    clusters = _scan_people(article, set(by_token))
    for cluster in clusters:
        name = _canonical_person(cluster)
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
    _assign_representation(entities, by_token, _caption_people(article, clusters, by_token))
    _descriptive_aliases(article, entities)
    for entity in entities.values():
        entity.mentions.sort(key=lambda m: (m.sentence.index, m.first))
    return Mentions(article, entities, by_token)
