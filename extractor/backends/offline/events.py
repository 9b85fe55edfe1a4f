"""Find the article's main event: the one the headline and first paragraphs report.

The main event is read from the lead (headline, standfirst, first body sentences) by word
lists of triggers and the dependency parse: a signing verb whose object is an agreement noun
("signed a strategic partnership deal", "the pact signed by the two leaders"), an agreed
ceasefire, sanctions imposed, an attack, talks, a visit, a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.lexicon import words
from extractor.schema import EventType, PartyDraft

AGREEMENT_NOUNS = words(
    "agreement pact treaty deal accord partnership ceasefire cease-fire truce armistice "
    "memorandum mou protocol charter declaration framework arrangement roadmap convention "
    "compact contract"
)
CEASEFIRE_NOUNS = words("ceasefire cease-fire truce armistice")
SIGN_VERBS = words(
    "sign conclude seal ink clinch finalise finalize strike reach agree adopt approve ratify "
    "initial secure forge hammer broker announce unveil"
)
# Verbs under which a signing is not (yet) reported: "expected to sign", "failed to reach".
_UNREALISED = words(
    "expect hope plan aim seek want try fail refuse prepare intend propose push urge consider "
    "discuss negotiate work call"
)
_HEDGE_AUX = words("will would could might may shall should can must")
_HALT_VERBS = words("halt stop cease end suspend pause")
_NEGOTIATION_NOUNS = words("negotiations negotiation talks text")
# "agreed to meet/talk again" reports no agreement, only more talks.
_NOT_MEASURES = words("meet talk discuss negotiate consider study explore continue keep hold")
_SANCTION_VERBS = words("impose announce slap extend expand approve adopt lift ease tighten")
_ATTACK_VERBS = words(
    "attack strike bomb shell invade raid kill hit target shoot storm ambush fire launch"
)
_TALK_WORDS = words("talks negotiations negotiation summit meeting meet negotiate discuss")
_VISIT_WORDS = words("visit arrive trip tour")
_STATEMENT_VERBS = words(
    "say announce declare warn pledge vow state insist promise accuse deny reject dismiss blame "
    "condemn denounce refute"
)
# An act named under another verb is not done: "pleaded guilty to threatening to kill".
_NOT_DONE_DEPS = words("xcomp pcomp acl advcl relcl csubj")
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")


@dataclass
class MainEvent:
    """What happened, and where in the text it is reported."""

    type: EventType
    sentence: Sentence | None
    trigger: Any = None
    agreement: Any = None
    #: Sentences that report this event (signings of the agreement, the talks...).
    sentences: list[Sentence] = field(default_factory=list)


def _negated(token: Any) -> bool:
    return any(child.dep_ == "neg" for child in token.children)


def realised(verb: Any) -> bool:
    """Whether a verb reports something done, not hoped for, hedged or denied."""
    if _negated(verb):
        return False
    if verb.dep_ == "pcomp" and verb.head.lower_ == "without":
        return False  # "ended the summit without reaching an agreement"
    if any(c.dep_ == "aux" and c.lower_ in _HEDGE_AUX for c in verb.children):
        return False
    head = verb
    for _ in range(3):
        if head.dep_ not in ("xcomp", "ccomp", "advcl", "conj") or head.head.i == head.i:
            break
        head = head.head
        if head.lemma_ in _UNREALISED:
            return False
    return True


def agreement_of(verb: Any) -> Any:
    """The agreement noun a signing verb acts on (object, passive subject or modified noun)."""
    for child in verb.children:
        if child.dep_ in ("dobj", "nsubjpass", "attr") and child.lemma_.lower() in AGREEMENT_NOUNS:
            return child
        if child.dep_ == "prep" and child.lower_ in ("to", "on"):
            for pobj in child.children:
                if pobj.dep_ == "pobj" and pobj.lemma_.lower() in AGREEMENT_NOUNS:
                    return pobj
    if verb.dep_ == "acl" and verb.head.lemma_.lower() in AGREEMENT_NOUNS:
        return verb.head  # "the pact signed by the two leaders"
    for child in verb.children:
        # "concluded negotiations on (the text of) a free trade agreement"
        if child.dep_ == "dobj" and child.lemma_.lower() in _NEGOTIATION_NOUNS:
            for prep in child.children:
                if prep.dep_ == "prep" and prep.lower_ in ("on", "over", "for", "about"):
                    for tok in prep.subtree:
                        if tok.lemma_.lower() in AGREEMENT_NOUNS and tok.pos_ in ("NOUN", "PROPN"):
                            return tok
    for child in verb.children:
        # "signed a strategic partnership" where the tagger calls the noun's head the object
        if child.dep_ == "dobj":
            for grandchild in child.subtree:
                if grandchild.lemma_.lower() in AGREEMENT_NOUNS and grandchild.head == child:
                    return grandchild
    return None


# What two sides can "agree on" without agreeing anything yet: "agreed on the need for talks".
_NOT_AGREED_ON = words(
    "need importance date time venue agenda format necessity meeting talks negotiations"
)


def _agreed_on(verb: Any) -> Any:
    """'agreed on steps to de-escalate', 'agreed to a framework': the noun agreed on."""
    for prep in verb.children:
        if prep.dep_ != "prep" or prep.lower_ not in ("on", "to", "upon"):
            continue
        for pobj in prep.children:
            if (
                pobj.dep_ == "pobj"
                and pobj.pos_ == "NOUN"
                and pobj.lemma_.lower() not in _NOT_AGREED_ON
            ):
                return pobj
    return None


def signings(sentence: Sentence) -> list[tuple[Any, Any]]:
    """(verb, agreement noun) pairs where the sentence reports an agreement signed or reached."""
    found: list[tuple[Any, Any]] = []
    for tok in sentence.span:
        if tok.pos_ == "VERB" and tok.lemma_.lower() in SIGN_VERBS:
            noun = agreement_of(tok)
            if noun is not None and realised(tok):
                found.append((tok, noun))
            elif tok.lemma_ == "agree" and realised(tok):
                # "agreed to restore diplomatic relations": the agreed measure stands in for
                # the agreement noun (a halt to fighting makes it a ceasefire).
                measures = [
                    c
                    for c in tok.children
                    if c.dep_ == "xcomp"
                    and c.pos_ == "VERB"
                    and any(a.lower_ == "to" for a in c.children)
                    and c.lemma_ not in _NOT_MEASURES
                ]
                if measures and any(c.dep_ == "nsubj" for c in tok.children):
                    found.append((tok, measures[0]))
                elif any(c.dep_ == "nsubj" for c in tok.children) and (
                    steps := _agreed_on(tok)
                ) is not None:
                    found.append((tok, steps))
        elif tok.lower_ == "signing" and tok.pos_ == "NOUN":
            for prep in tok.children:
                for pobj in prep.children:
                    if pobj.lemma_.lower() in AGREEMENT_NOUNS:
                        found.append((tok, pobj))
    return found


def latest_year(article: ParsedArticle) -> int | None:
    """The latest year the article's text names (a stand-in for 'now' when undated)."""
    years = [
        int(y) for s in article.sentences for y in _YEAR.findall(article.text[s.start : s.end])
    ]
    return max(years) if years else None


def background(sentence: Sentence, noun: Any, now: int | None) -> bool:
    """Whether an agreement mention is about an older agreement ("a treaty ... in 1961")."""
    if noun is not None and any(
        c.lower_ in ("former", "previous", "earlier", "old", "existing", "1961")
        for c in noun.children
    ):
        return True
    if now is None:
        return False
    for ent in sentence.ents:
        if ent.label_ == "DATE":
            years = [int(y) for y in _YEAR.findall(ent.text)]
            if years and max(years) < now:
                return True
    return False


def _lead(article: ParsedArticle, n_body: int) -> list[Sentence]:
    return article.header + article.body[:n_body]


def _kind_in(sentence: Sentence) -> tuple[EventType, Any] | None:
    toks = list(sentence.span)
    for tok in toks:
        lemma = tok.lemma_.lower()
        if lemma in CEASEFIRE_NOUNS and tok.head.lemma_ in (
            "announce",
            "declare",
            "take",
            "hold",
            "begin",
            "broker",
        ):
            return "ceasefire", tok
    for tok in toks:
        if tok.lemma_.lower() in ("sanction", "sanctions") and (
            tok.pos_ == "VERB" or tok.head.lemma_ in _SANCTION_VERBS
        ):
            return "sanctions", tok
    for tok in toks:
        if (
            tok.lemma_.lower() in _ATTACK_VERBS
            and tok.pos_ == "VERB"
            and tok.dep_ not in _NOT_DONE_DEPS
            and realised(tok)
        ):
            return "attack", tok
        if (
            tok.lemma_.lower() in ("attack", "strike", "airstrike", "offensive", "bombing")
            and tok.pos_ == "NOUN"
            and tok.dep_ in ("nsubj", "dobj", "nsubjpass")
        ):
            return "attack", tok
    for tok in toks:
        if tok.lemma_.lower() in _TALK_WORDS or tok.lower_ in _TALK_WORDS:
            return "talks", tok
    for tok in toks:
        if tok.lemma_.lower() in _VISIT_WORDS:
            return "visit", tok
    root = sentence.span.root
    if root.lemma_.lower() in _STATEMENT_VERBS:
        return "statement", root
    return None


def find_main_event(article: ParsedArticle) -> MainEvent:
    """The main event's type and the sentences that report it."""
    now = latest_year(article)
    # A body sentence states the event more fully than a headline, so it is tried first.
    for sentence in article.body[:5] + article.header:
        for verb, noun in signings(sentence):
            if background(sentence, noun, now):
                continue
            kind: EventType = "ceasefire" if _is_ceasefire(noun) else "agreement_signed"
            event = MainEvent(kind, sentence, verb, noun)
            event.sentences = _signing_sentences(article, now)
            return event
    body = article.body
    order = body[:1] + [s for s in article.header if s.kind == "headline"] + body[1:3]
    for sentence in order:
        found = _kind_in(sentence)
        if found is not None:
            kind, trigger = found
            same = [s for s in _lead(article, 4) if (k := _kind_in(s)) and k[0] == kind]
            return MainEvent(kind, sentence, trigger, None, same or [sentence])
    first = body[0] if body else None
    return MainEvent("other", first, None, None, [first] if first else [])


def diplomatic_type(
    kind: EventType, parties: list[PartyDraft], companies: frozenset[str] = frozenset()
) -> EventType:
    """An agreement or ceasefire with no state, bloc or international body among its parties is
    a contract (a manager's deal with a club, a corporate settlement): `other`. `companies` are
    parties known only as the tagger's organisations, never states or international bodies."""
    signed = kind in ("agreement_signed", "ceasefire")
    public = [p for p in parties if p.type != "person" and p.name not in companies]
    if signed and parties and not public:
        return "other"
    return kind


def _is_ceasefire(noun: Any) -> bool:
    """'a ceasefire', 'a truce deal', 'agreed to halt fighting'."""
    if noun.lemma_.lower() in CEASEFIRE_NOUNS or noun.lemma_ in _HALT_VERBS:
        return True
    return noun.pos_ in ("NOUN", "PROPN") and any(
        c.dep_ in ("compound", "amod") and c.lemma_.lower() in CEASEFIRE_NOUNS
        for c in noun.children
    )


def _signing_sentences(article: ParsedArticle, now: int | None) -> list[Sentence]:
    out: list[Sentence] = []
    for sentence in article.sentences:
        if any(not background(sentence, noun, now) for _, noun in signings(sentence)):
            out.append(sentence)
    return out
