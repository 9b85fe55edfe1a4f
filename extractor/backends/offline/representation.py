"""Whom a person represents, read from the way news copy names officials: "Russian President
Vladimir Putin", "North Korea's Kim Jong Un", "Shin Won-sik, South Korea's defence minister",
"North Korea, whose leader Kim Jong Un", "... on the Russian side"; a caption says who is who
when the story never does.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from extractor.backends.offline.document import Sentence
from extractor.backends.offline.entities import LEADER_TITLES, TITLES, Entity, Mention
from extractor.backends.offline.lexicon import words


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


def represented(
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
        if k + 1 < sentence.span.end and doc[k].lower_ == "who" and doc[k + 1].lemma_ == "be":
            k += 2  # "Nicholas Burns, who is U.S. Undersecretary of State"
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
        if right_titles and "secretary of state" in " ".join(t.lower_ for t in right):
            return "United States", mention.first, k - 1, right_titles
    if mention.first - 2 >= sentence.span.start and doc[mention.first - 1].text == "(":
        before = by_token.get((sentence.index, mention.first - 2))
        if before is not None and before.type != "person":
            return before.name, before.first, mention.last, titles  # "North Korea (Kim Jong Un)"
    if hi + 1 < sentence.span.end and doc[hi].text in ("'s", "'"):
        after = by_token.get((sentence.index, hi + 1))
        if after is not None and after.type == "state":
            return after.name, mention.first, after.last, titles  # "Kim Jong-un's DPRK"
    return None


def assign_representation(
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
            found = represented(by_token, mention)
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
        found = represented(by_token, mention)
        if pictured is not None and found is not None and found[0] and not pictured.represents:
            pictured.represents = found[0]
            pictured.titles |= found[3]
    for entity in entities.values():
        entity.leader = bool(entity.titles & LEADER_TITLES)
