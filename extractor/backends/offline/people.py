"""People the article names: the tagger's PERSON names, cut to the name itself, clustered so
"Kim Jong-un", "Mr Kim" and "Kim" are one person, with the bare surnames the tagger missed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import (
    HONORIFICS,
    INSTITUTION_WORDS,
    NAME_PARTICLES,
    TITLES,
    Mention,
    MentionKind,
)
from extractor.gazetteer import match, name_key


def person_tokens(ent: Any) -> tuple[int, int] | None:
    lo, hi = ent.start, ent.end - 1
    doc = ent.doc
    for k in range(hi - 1, lo - 1, -1):
        if (doc[k].is_punct and doc[k].text not in ("-", ".")) or doc[k].text in ("'s", "'"):
            lo = k + 1  # "Russia's(Vladimir Putin": the name is what follows the break.
            break
    following = doc[hi + 1].lower_ if hi + 1 < len(doc) else ""
    if {t.lower_ for t in doc[lo : hi + 1]} & INSTITUTION_WORDS or following in INSTITUTION_WORDS:
        return None  # "Lenin Square", "Nelson Mandela Bridge": places named after people.
    while lo <= hi and (doc[lo].lower_ in HONORIFICS or doc[lo].lower_ in TITLES):
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
            and word.lower() not in NAME_PARTICLES
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
        if tok.text.islower() and tok.lower_ in NAME_PARTICLES:
            if nxt is None or not (nxt.text[:1].isupper() or nxt.text == "-"):
                break
        elif tok.text == "-" and doc[k - 1].lower_ in NAME_PARTICLES and not tok.whitespace_:
            pass  # "al-" written as its own token
        elif not (
            tok.text[:1].isupper()
            and tok.pos_ == "PROPN"
            and (
                doc[k - 1].lower_ in NAME_PARTICLES
                or doc[k - 1].text == "-"
                or tok.ent_type_ in ("", "PERSON", "NORP")
            )
            and tok.lower_ not in TITLES
            and tok.ent_type_ not in ("DATE", "TIME")
            and (match(tok.text) is None or doc[k - 1].lower_ in NAME_PARTICLES)
        ):
            break
        if doc[k - 1].is_punct and doc[k - 1].text != "-":
            break
        k += 1
    end = k - 1
    while end > hi and (doc[end].lower_ in NAME_PARTICLES or doc[end].text == "-"):
        end -= 1
    return end


@dataclass
class Cluster:
    key: str
    first: str
    last: str
    surfaces: Counter[str] = field(default_factory=Counter)
    mentions: list[Mention] = field(default_factory=list)


def find_cluster(clusters: list[Cluster], words: list[str]) -> Cluster | None:
    key = " ".join(words)
    for cluster in clusters:
        if cluster.key == key:
            return cluster
    if len(words) >= 2:
        if words[0] in NAME_PARTICLES:
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


def scan_people(article: ParsedArticle, taken: set[tuple[int, int]]) -> list[Cluster]:
    pending: list[tuple[Sentence, int, int]] = []
    for sentence in article.sentences:
        for ent in sentence.ents:
            if ent.label_ != "PERSON":
                continue
            bounds = person_tokens(ent)
            if bounds is None or any((sentence.index, k) in taken for k in range(*bounds)):
                continue
            surface = article.text[
                sentence.char(ent.doc[bounds[0]]) : sentence.char_end(ent.doc[bounds[1]])
            ]
            if match(surface) is not None:
                continue
            pending.append((sentence, bounds[0], bounds[1]))
    clusters: list[Cluster] = []
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
            if find_cluster(clusters, words) is None:
                continue
        _add_person(article, clusters, sentence, lo, hi)
    _scan_surnames(article, clusters, taken)
    return clusters


def _add_person(
    article: ParsedArticle, clusters: list[Cluster], sentence: Sentence, lo: int, hi: int
) -> None:
    doc = sentence.span.doc
    name = article.text[sentence.char(doc[lo]) : sentence.char_end(doc[hi])]
    words = name_key(name).split()
    cluster = find_cluster(clusters, words)
    if cluster is None:
        cluster = Cluster(" ".join(words), words[0], words[-1])
        clusters.append(cluster)
    surface_lo = lo - 1 if lo > sentence.span.start and doc[lo - 1].lower_ in HONORIFICS else lo
    surface = article.text[sentence.char(doc[surface_lo]) : sentence.char_end(doc[hi])]
    if len(words) >= 2:
        # The formal naming ("President Vladimir Putin") breaks a tie between two spellings.
        titled = lo > sentence.span.start and doc[lo - 1].lower_ in TITLES
        cluster.surfaces[name] += 3 if titled else 2
    kind: MentionKind = "person" if len(words) >= 2 else "surname"
    if words[0] in NAME_PARTICLES and cluster.key != " ".join(words):
        kind = "surname"
    cluster.mentions.append(Mention(sentence, lo, hi, surface, cluster.key, "person", kind))


def _scan_surnames(
    article: ParsedArticle, clusters: list[Cluster], taken: set[tuple[int, int]]
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
                while lo > sentence.span.start and tok.doc[lo - 1].lower_ in NAME_PARTICLES:
                    lo -= 1
                _add_person(article, clusters, sentence, lo, tok.i)
                covered.add(where)


def canonical_person(cluster: Cluster) -> str:
    if not cluster.surfaces:
        return cluster.mentions[0].surface.split()[-1] if cluster.mentions else cluster.key
    plain = [s for s in cluster.surfaces if "-" not in s]
    pool = Counter({s: n for s, n in cluster.surfaces.items() if s in plain}) or cluster.surfaces
    return pool.most_common(1)[0][0].replace("'s", "")
