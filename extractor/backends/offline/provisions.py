"""Terms stated with the agreement as the subject: "the agreement provides for mutual
assistance", "a deal that includes a pledge to defend each other", "the pact would expand
cooperation", "... is part of the agreement", "..., the declaration says", "The deal runs for 120
days", "struck a deal allowing ...", "a partnership to deepen trade and military ties"; and the
clause helpers the other term readers share. See `terms` for the whole.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import AGREEMENT_NOUNS, SIGN_VERBS
from extractor.backends.offline.lexicon import words
from extractor.schema import TermDraft

PROVISION_VERBS = words(
    "provide include commit pledge oblige obligate require call expand envisage stipulate "
    "guarantee allow cover establish grant deepen ban halt cut reduce lift open create ensure "
    "contain mandate bind give foresee enable permit boost strengthen set apply entail involve "
    "mean promise eliminate remove scrap abolish extend restore reopen resume recognise "
    "recognize bar prohibit forbid cap limit see exchange release free withdraw return activate "
    "launch run last affirm reaffirm exclude"
)
# Verbs whose whole predicate is the provision: "The deal runs for 120 days and can be renewed".
_PREDICATE_VERBS = words("run last expire remain")
# What an agreement "will" do is a provision; being signed, debated or praised is not.
_SCHEDULED = words("will shall would")
_NOT_PROVISIONS = words(
    "sign be have say mean help pave need face fail collapse discuss debate consider form"
)
# What an agreement and its parts are called as the subject of a provision.
_AGREEMENT_PARTS = words("phase stage")
_DOCUMENT_NOUNS = AGREEMENT_NOUNS | {"document", "text", "clause", "provision"}
_WEAK_MODALS = words("might may could can")
_PRONOUNS = words("it which that this")
TERM_MIN_WORDS = 3
CLAUSE_BREAKS = words("with as while saying calling adding which who amid after")


def _refers_to_agreement(token: Any, sentence: Sentence, previous: Sentence | None) -> bool:
    lemma = token.lemma_.lower()
    if lemma in AGREEMENT_NOUNS or (lemma in _AGREEMENT_PARTS and token.pos_ == "NOUN"):
        return True
    if token.lower_ in _PRONOUNS and token.tag_ not in ("WDT", "WP"):
        # "it provided, among other things, for ...": "it" is the document just mentioned.
        pools = [sentence] + ([previous] if previous is not None else [])
        return any(t.lemma_.lower() in _DOCUMENT_NOUNS for s in pools for t in s.span)
    return False


def hedged(verb: Any) -> bool:
    for child in verb.children:
        if child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ in _WEAK_MODALS):
            return True
    return verb.dep_ == "xcomp" and any(c.dep_ == "neg" for c in verb.head.children)


def complement(verb: Any) -> list[Any]:
    parts: list[Any] = []
    for child in verb.children:
        if child.dep_ in ("dobj", "xcomp", "ccomp", "attr", "oprd"):
            parts.append(child)
        elif child.dep_ == "advcl" and any(
            c.dep_ == "aux" and c.lower_ == "to" for c in child.children
        ):
            parts.append(child)  # "deepens their cooperation to include a mutual defence pledge"
        elif (
            child.dep_ == "prep" and child.lower_ in ("for", "to", "on") and verb.lemma_ != "apply"
        ):
            parts.append(child)
    if verb.lemma_ == "call" and not any(p.dep_ == "prep" and p.lower_ == "for" for p in parts):
        return []
    if parts and all(p.tag_ in ("WP", "WDT") for p in parts):
        return []  # "what the pact entailed" names no provision
    return parts


def statement_of(
    article: ParsedArticle, sentence: Sentence, parts: list[Any]
) -> tuple[str, Any, Any]:
    lo = min(p.left_edge.i for p in parts)
    hi = max(p.right_edge.i for p in parts)
    doc = sentence.span.doc
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("for", "to", "on")):
        lo += 1
    for k in range(lo + 1, hi):
        if doc[k].text == "," and (
            doc[k + 1].lower_ in CLAUSE_BREAKS or _names_the_deal(doc[k + 1])
        ):
            hi = k - 1  # ", with Kim calling the ties an alliance" is comment, not the term
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    text = article.quote(sentence, doc[lo], doc[hi])
    text = re.sub(r"^(?:among other things,?\s*)", "", text, flags=re.I)
    text = re.sub(r"\s+", " ", text).strip(" “”\"'‘’,")
    return text, doc[lo], doc[hi]


def provision_terms(
    article: ParsedArticle, sentence: Sentence, previous: Sentence | None
) -> list[TermDraft]:
    found: list[TermDraft] = []
    for verb in sentence.span:
        if verb.pos_ not in ("VERB", "AUX") or hedged(verb):
            continue
        subject = None
        treaty: list[Any] = []
        if verb.lemma_.lower() in PROVISION_VERBS:
            subjects = subjects_of(verb)
            if verb.dep_ == "relcl":
                subjects.append(verb.head)
            subject = next(
                (s for s in subjects if _refers_to_agreement(s, sentence, previous)), None
            )
            if subject is not None and quoted_at(sentence, subject):
                subject = None  # "a win-win agreement that will create ...": a speaker's praise
            if subject is not None and verb.lemma_.lower() in _PREDICATE_VERBS:
                found.extend(_predicate_term(article, sentence, verb, subject))
                continue
            parts = complement(verb) if subject is not None else []
        elif verb.lemma_ in ("say", "state") and verb.pos_ == "VERB":
            # "..., the declaration says": what the text says it provides.
            subjects = [s for s in subjects_of(verb) if s.lemma_.lower() in _DOCUMENT_NOUNS]
            subject = subjects[0] if subjects else None
            parts = [c for c in verb.children if c.dep_ == "ccomp"] if subject else []
            if parts:
                text, lo, hi = statement_of(article, sentence, parts)
                evidence = article.quote_tokens(sentence, [lo, hi])
                found.append(TermDraft(statement=text, evidence=evidence))
            continue
        elif (scheduled := _scheduled_subject(verb, sentence, previous)) is not None:
            # "The new pact will enter into force when ...", "is due to replace the current one",
            # "a ceasefire would take effect at midnight": what the agreement will do.
            if not quoted_at(sentence, scheduled):
                found.extend(_predicate_term(article, sentence, verb, scheduled))
            continue
        elif verb.lemma_ == "be":
            parts = [c for c in verb.children if c.dep_ == "nsubj"]
            attr = [c for c in verb.children if c.dep_ == "attr" and c.lemma_ == "part"]
            if not attr or not any(
                g.lemma_.lower() in AGREEMENT_NOUNS for p in attr[0].children for g in p.children
            ):
                parts = []
            subject = attr[0] if attr else None
            treaty = [g for p in attr[0].children for g in p.children] if attr else []
        else:
            parts = []
        if subject is None or not parts:
            continue
        text, lo, hi = statement_of(article, sentence, parts)
        if len(text.split()) < TERM_MIN_WORDS:
            continue
        start = (
            subject.left_edge
            if subject.i < verb.i and verb.i - subject.left_edge.i < 15
            else subject
        )
        if subject.i > verb.i:
            start = verb
        ends = [start, verb, lo, hi]
        if verb.lemma_ == "be":
            ends += treaty  # "... was part of a strategic treaty"
        evidence = article.quote_tokens(sentence, ends)
        found.append(TermDraft(statement=text, evidence=evidence))
    found.extend(_purpose_terms(article, sentence))
    return found


def _scheduled_subject(verb: Any, sentence: Sentence, previous: Sentence | None) -> Any | None:
    """The agreement a verb says what it will do: its subject under 'will', 'shall' or
    'would', or under 'is due to'."""
    if verb.pos_ != "VERB" or verb.lemma_.lower() in _NOT_PROVISIONS:
        return None
    carrier = verb
    if verb.dep_ == "xcomp" and verb.head.lower_ == "due":
        carrier = verb.head.head
    elif not any(c.dep_ in ("aux", "auxpass") and c.lower_ in _SCHEDULED for c in verb.children):
        return None
    subjects = [c for c in carrier.children if c.dep_ in ("nsubj", "nsubjpass")]
    named = [s for s in subjects if s.pos_ != "PRON"]  # "it will vote against it": a side
    return next((s for s in named if _refers_to_agreement(s, sentence, previous)), None)


def _names_the_deal(token: Any) -> bool:
    """', in a deal brokered by Turkey' after a term says what it is part of, not what it is."""
    return token.dep_ == "prep" and any(t.lemma_.lower() in AGREEMENT_NOUNS for t in token.subtree)


def participle_terms(article: ParsedArticle, sentence: Sentence) -> list[TermDraft]:
    """'struck a deal allowing their troops to ...', 'a declaration committing them to ...'."""
    out: list[TermDraft] = []
    doc = sentence.span.doc
    for verb in sentence.span:
        if verb.tag_ != "VBG" or verb.lemma_.lower() not in PROVISION_VERBS or hedged(verb):
            continue
        if verb.dep_ not in ("acl", "advcl", "xcomp"):
            continue
        window = doc[max(sentence.span.start, verb.i - 6) : verb.i]
        if not any(t.lemma_.lower() in AGREEMENT_NOUNS | {"principle"} for t in window):
            continue
        parts = complement(verb)
        content = [p for p in parts if p.pos_ != "PRON"]
        if not content:
            continue
        text, _, hi = statement_of(article, sentence, content)
        if len(text.split()) < TERM_MIN_WORDS:
            continue
        out.append(TermDraft(statement=text, evidence=article.quote_tokens(sentence, [verb, hi])))
    return out


def subjects_of(verb: Any) -> list[Any]:
    """A verb's subjects, or those of the verb it is coordinated with ("sets up ... and
    requires ...")."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ == "conj" and verb.head.pos_ in ("VERB", "AUX"):
        return subjects_of(verb.head)
    return subjects


def quoted_at(sentence: Sentence, token: Any) -> bool:
    """Whether a token stands inside a quotation (an odd number of quote marks before it)."""
    before = sentence.span.doc[sentence.span.start : token.i]
    return sum(1 for t in before if t.text in ('"', "“", "”")) % 2 == 1


def _predicate_term(
    article: ParsedArticle, sentence: Sentence, verb: Any, subject: Any
) -> list[TermDraft]:
    """'The deal runs for 120 days and can be renewed': the predicate is the provision."""
    rest = [c for c in verb.children if c.i > verb.i and c.dep_ not in ("punct", "cc")]
    if not rest:
        return []
    text, _, hi = statement_of(article, sentence, [verb, *rest])
    text = article.quote(sentence, verb, hi)
    start = subject.left_edge if verb.i - subject.left_edge.i < 10 else subject
    return [TermDraft(statement=tidy(text), evidence=article.quote_tokens(sentence, [start, hi]))]


def tidy(text: str) -> str:
    text = re.sub(r"^(?:among other things,?\s*)", "", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip(" “”\"'‘’,")


def _purpose_terms(article: ParsedArticle, sentence: Sentence) -> list[TermDraft]:
    """'signed a partnership to deepen trade and military ties': the stated aim is a term."""
    out: list[TermDraft] = []
    for noun in sentence.span:
        if noun.lemma_.lower() not in AGREEMENT_NOUNS or noun.head.lemma_ not in SIGN_VERBS:
            continue
        for child in noun.children:
            if (
                child.dep_ in ("acl", "relcl")
                and child.pos_ == "VERB"
                and any(c.dep_ == "aux" and c.lower_ == "to" for c in child.children)
                and not hedged(child)
            ):
                text, _, hi = statement_of(article, sentence, [child])
                out.append(
                    TermDraft(
                        statement=text, evidence=article.quote_tokens(sentence, [noun.head, hi])
                    )
                )
    return out
