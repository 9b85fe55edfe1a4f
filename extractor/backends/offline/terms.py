"""Treaty terms: what the main event's agreement provides for, includes or commits parties to.

A term is read where an agreement noun is the subject of a provision verb ("the agreement
provides for mutual assistance", "a deal that includes a pledge to defend each other", "the
pact would expand cooperation"), where something is "part of" the agreement, or where the
agreement is made "to" do something ("a partnership to deepen trade and military ties").
Follow-up sentences give terms too: "Under the deal, X will ...", "X will ... under the pact",
"In return, X will ...", "The deal runs for 120 days", "The two sides also agreed to ...",
"Both sides affirmed their respect for ...", "..., the declaration says", and, in a paragraph that
describes the agreement, a party's "will" ("Turkey will facilitate the talks"). Coordinated verbs
under one frame are one term each ("In return, Sudan will improve access ..., stop supporting
rebels ... and cease the bombing ..."). Sanctions lifted for commitments have terms too.
Hedged possibilities ("might develop"), negations, commentary ("historic", "could pave the way"),
names ("to be known as ...") and older agreements in background are not terms. Restatements of
one provision are merged.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.events import (
    AGREEMENT_NOUNS,
    SIGN_VERBS,
    MainEvent,
    background,
    latest_year,
    realised,
)
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.mentions import Mentions
from extractor.backends.offline.speakers import conjuncts
from extractor.schema import PartyDraft, TermDraft

PROVISION_VERBS = words(
    "provide include commit pledge oblige obligate require call expand envisage stipulate "
    "guarantee allow cover establish grant deepen ban halt cut reduce lift open create ensure "
    "contain mandate bind give foresee enable permit boost strengthen set apply entail involve "
    "mean promise eliminate remove scrap abolish extend restore reopen resume recognise "
    "recognize bar prohibit forbid cap limit see exchange release free withdraw return activate "
    "launch run last affirm reaffirm"
)
# Verbs whose whole predicate is the provision: "The deal runs for 120 days and can be renewed".
_PREDICATE_VERBS = words("run last expire remain")
# What an agreement and its parts are called as the subject of a provision.
_AGREEMENT_PARTS = words("phase stage")
# Openers that put a sentence inside the agreement: "In return, ...", "In the first phase, ...".
_IN_AGREEMENT = words("return exchange phase stage")
# Who commits in the agreement's own words: "both sides affirmed", "the two countries agreed".
_SIDE_NOUNS = words("sides countries nations parties governments states neighbours neighbors")
_COMMIT_VERBS = words("affirm reaffirm pledge commit undertake")
_FUTURE_AUX = words("will shall")
# Evaluation of the deal is commentary, not a provision.
_COMMENTARY = words("historic milestone landmark breakthrough hope hopes win-win victory pave")
_COMMIT_CUES = re.compile(r"agree|affirm|pledge|commit|undert", re.I)
_FRAME_CUES = re.compile(r"\bunder\b|\bin (?:return|exchange)\b|\bphase\b|\bstage\b", re.I)
_NAMING = re.compile(r"^(?:be\s+)?(?:known|called|named|dubbed)\b", re.I)
_DOCUMENT_NOUNS = AGREEMENT_NOUNS | {"document", "text", "clause", "provision"}
_WEAK_MODALS = words("might may could can")
_PRONOUNS = words("it which that this")
# Words that carry no provision of their own, and words that name one provision two ways.
_FILLER = words(
    "a an the of in to for and or with from if one other its their his her this that these "
    "those party parties agreement treaty pact deal accord event case thing things among either "
    "both be is are was were would will which who any each"
)
_SAME_IDEA = {
    "defend": "assist",
    "defence": "assist",
    "defense": "assist",
    "assistance": "assist",
    "help": "assist",
    "aid": "assist",
    "support": "assist",
    "protect": "assist",
    "aggression": "attack",
    "attacked": "attack",
    "attack": "attack",
    "invasion": "attack",
    "mutual": "mutual",
    "each": "mutual",
}
_TERM_MIN_WORDS = 3
_CLAUSE_BREAKS = words("with as while saying calling adding which who amid after")


def _refers_to_agreement(token: Any, sentence: Sentence, previous: Sentence | None) -> bool:
    lemma = token.lemma_.lower()
    if lemma in AGREEMENT_NOUNS or (lemma in _AGREEMENT_PARTS and token.pos_ == "NOUN"):
        return True
    if token.lower_ in _PRONOUNS and token.tag_ not in ("WDT", "WP"):
        # "it provided, among other things, for ...": "it" is the document just mentioned.
        pools = [sentence] + ([previous] if previous is not None else [])
        return any(t.lemma_.lower() in _DOCUMENT_NOUNS for s in pools for t in s.span)
    return False


def _hedged(verb: Any) -> bool:
    for child in verb.children:
        if child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ in _WEAK_MODALS):
            return True
    return verb.dep_ == "xcomp" and any(c.dep_ == "neg" for c in verb.head.children)


def _complement(verb: Any) -> list[Any]:
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


def _statement(
    article: ParsedArticle, sentence: Sentence, parts: list[Any]
) -> tuple[str, Any, Any]:
    lo = min(p.left_edge.i for p in parts)
    hi = max(p.right_edge.i for p in parts)
    doc = sentence.span.doc
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("for", "to", "on")):
        lo += 1
    for k in range(lo + 1, hi):
        if doc[k].text == "," and (
            doc[k + 1].lower_ in _CLAUSE_BREAKS or _names_the_deal(doc[k + 1])
        ):
            hi = k - 1  # ", with Kim calling the ties an alliance" is comment, not the term
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    text = article.quote(sentence, doc[lo], doc[hi])
    text = re.sub(r"^(?:among other things,?\s*)", "", text, flags=re.I)
    text = re.sub(r"\s+", " ", text).strip(" “”\"'‘’,")
    return text, doc[lo], doc[hi]


def _candidates(
    article: ParsedArticle, sentence: Sentence, previous: Sentence | None
) -> list[TermDraft]:
    found: list[TermDraft] = []
    for verb in sentence.span:
        if verb.pos_ not in ("VERB", "AUX") or _hedged(verb):
            continue
        subject = None
        treaty: list[Any] = []
        if verb.lemma_.lower() in PROVISION_VERBS:
            subjects = _subjects(verb)
            if verb.dep_ == "relcl":
                subjects.append(verb.head)
            subject = next(
                (s for s in subjects if _refers_to_agreement(s, sentence, previous)), None
            )
            if subject is not None and _quoted_at(sentence, subject):
                subject = None  # "a win-win agreement that will create ...": a speaker's praise
            if subject is not None and verb.lemma_.lower() in _PREDICATE_VERBS:
                found.extend(_predicate_term(article, sentence, verb, subject))
                continue
            parts = _complement(verb) if subject is not None else []
        elif verb.lemma_ in ("say", "state") and verb.pos_ == "VERB":
            # "..., the declaration says": what the text says it provides.
            subjects = [s for s in _subjects(verb) if s.lemma_.lower() in _DOCUMENT_NOUNS]
            subject = subjects[0] if subjects else None
            parts = [c for c in verb.children if c.dep_ == "ccomp"] if subject else []
            if parts:
                text, lo, hi = _statement(article, sentence, parts)
                evidence = article.quote_tokens(sentence, [lo, hi])
                found.append(TermDraft(statement=text, evidence=evidence))
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
        text, lo, hi = _statement(article, sentence, parts)
        if len(text.split()) < _TERM_MIN_WORDS:
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


def _names_the_deal(token: Any) -> bool:
    """', in a deal brokered by Turkey' after a term says what it is part of, not what it is."""
    return token.dep_ == "prep" and any(t.lemma_.lower() in AGREEMENT_NOUNS for t in token.subtree)


def _participle_terms(article: ParsedArticle, sentence: Sentence) -> list[TermDraft]:
    """'struck a deal allowing their troops to ...', 'a declaration committing them to ...'."""
    out: list[TermDraft] = []
    doc = sentence.span.doc
    for verb in sentence.span:
        if verb.tag_ != "VBG" or verb.lemma_.lower() not in PROVISION_VERBS or _hedged(verb):
            continue
        if verb.dep_ not in ("acl", "advcl", "xcomp"):
            continue
        window = doc[max(sentence.span.start, verb.i - 6) : verb.i]
        if not any(t.lemma_.lower() in AGREEMENT_NOUNS | {"principle"} for t in window):
            continue
        parts = _complement(verb)
        content = [p for p in parts if p.pos_ != "PRON"]
        if not content:
            continue
        text, _, hi = _statement(article, sentence, content)
        if len(text.split()) < _TERM_MIN_WORDS:
            continue
        out.append(TermDraft(statement=text, evidence=article.quote_tokens(sentence, [verb, hi])))
    return out


def _subjects(verb: Any) -> list[Any]:
    """A verb's subjects, or those of the verb it is coordinated with ("sets up ... and
    requires ...")."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ == "conj" and verb.head.pos_ in ("VERB", "AUX"):
        return _subjects(verb.head)
    return subjects


def _quoted_at(sentence: Sentence, token: Any) -> bool:
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
    text, _, hi = _statement(article, sentence, [verb, *rest])
    text = article.quote(sentence, verb, hi)
    start = subject.left_edge if verb.i - subject.left_edge.i < 10 else subject
    return [TermDraft(statement=_tidy(text), evidence=article.quote_tokens(sentence, [start, hi]))]


def _tidy(text: str) -> str:
    text = re.sub(r"^(?:among other things,?\s*)", "", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip(" “”\"'‘’,")


def _clause_without(
    article: ParsedArticle, sentence: Sentence, verb: Any, cut: Any
) -> tuple[str, Any, Any] | None:
    """The clause of `verb` without the phrase `cut` ("Under the deal," / "under the pact")."""
    doc = sentence.span.doc
    lo, hi = verb.left_edge.i, verb.right_edge.i
    cut_lo, cut_hi = cut.left_edge.i, cut.right_edge.i
    if cut_lo <= lo:
        lo = cut_hi + 1
    elif cut_hi >= hi:
        hi = cut_lo - 1
    while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("also", "and")):
        lo += 1
    for k in range(lo + 1, hi):
        if doc[k].text == "," and doc[k + 1].lower_ in _CLAUSE_BREAKS:
            hi = k - 1
            break
    while hi > lo and doc[hi].is_punct:
        hi -= 1
    if hi <= lo:
        return None
    return _tidy(article.quote(sentence, doc[lo], doc[hi])), doc[lo], doc[hi]


def _framed_terms(article: ParsedArticle, sentence: Sentence, now: int | None) -> list[TermDraft]:
    """'Under the deal, Hamas will release ...', '... under the pact', 'In return, X will ...'."""
    out: list[TermDraft] = []
    if not _FRAME_CUES.search(sentence.span.text):
        return out
    for prep in sentence.span:
        if prep.dep_ != "prep":
            continue
        objects = [c for c in prep.children if c.dep_ == "pobj"]
        if prep.lower_ == "under":
            framed = [
                o
                for o in objects
                if o.lemma_.lower() in AGREEMENT_NOUNS and not background(sentence, o, now)
            ]
        elif prep.lower_ == "in":
            framed = [o for o in objects if o.lemma_.lower() in _IN_AGREEMENT]
        else:
            continue
        verb = prep.head
        for _ in range(4):
            if verb.pos_ in ("VERB", "AUX") or verb.head.i == verb.i:
                break
            verb = verb.head  # "... with five radar systems under the pact"
        if not framed or verb.pos_ not in ("VERB", "AUX"):
            continue
        if _hedged(verb) or _quoted_at(sentence, verb):
            continue
        if prep.lower_ == "in" and not _future(verb):
            continue
        clause = _clause_without(article, sentence, verb, prep)
        if clause is None:
            continue
        text, lo, hi = clause
        ends = [prep, hi] if prep.i < lo.i else [lo, prep.right_edge]
        evidence = article.quote_tokens(sentence, ends)
        pieces = _coordinated(article, sentence, verb, lo, hi)
        out.extend(TermDraft(statement=p, evidence=evidence) for p in pieces or [text])
    return out


def _coordinated(
    article: ParsedArticle, sentence: Sentence, verb: Any, lo: Any, hi: Any
) -> list[str]:
    """'Sudan will improve access ..., stop supporting rebels ... and cease the bombing ...':
    one provision per coordinated verb, each with the shared subject."""
    verbs = sorted(
        (v for v in conjuncts(verb) if v.pos_ == "VERB" and lo.i <= v.i <= hi.i), key=lambda v: v.i
    )
    subjects = _subjects(verb)
    if len(verbs) < 2 or not subjects or not lo.i <= subjects[0].left_edge.i <= hi.i:
        return []
    doc = sentence.span.doc
    subject = article.quote(sentence, subjects[0].left_edge, subjects[0].right_edge)
    # Each later verb's phrase starts at its auxiliary, if it has one ("and will reopen").
    starts = [verb.i] + [
        min([v.i] + [c.i for c in v.children if c.dep_ == "aux"]) for v in verbs[1:]
    ]
    pieces: list[str] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] - 1 if k + 1 < len(starts) else hi.i
        while end > start and (doc[end].is_punct or doc[end].dep_ == "cc"):
            end -= 1
        if k == 0:
            start = subjects[0].right_edge.i + 1
        words = _tidy(article.quote(sentence, doc[start], doc[end]))
        pieces.append(f"{subject} {words}")
    return pieces


def _future(verb: Any) -> bool:
    """'will release', 'will be allowed to': a commitment stated for the future."""
    head = verb
    while head.dep_ == "conj" and head.head.pos_ in ("VERB", "AUX"):
        if any(c.dep_ in ("aux", "auxpass") and c.lower_ in _FUTURE_AUX for c in head.children):
            return True
        head = head.head
    return any(c.dep_ in ("aux", "auxpass") and c.lower_ in _FUTURE_AUX for c in head.children)


def _generic_sides(subject: Any) -> bool:
    """'both sides', 'the two countries', 'the parties'."""
    return subject.lemma_.lower() in _SIDE_NOUNS or subject.lower_ in _SIDE_NOUNS


def _agreed_terms(
    article: ParsedArticle, sentence: Sentence, names: set[str], mentions: Mentions | None
) -> list[TermDraft]:
    """'X and Y agreed to restore relations', 'Both sides affirmed their respect for ...'."""
    out: list[TermDraft] = []
    if not _COMMIT_CUES.search(sentence.span.text):
        return out  # most sentences have no such verb: skip the token walk
    for verb in sentence.span:
        lemma = verb.lemma_.lower()
        if verb.pos_ != "VERB" or lemma not in _COMMIT_VERBS | {"agree"} or _hedged(verb):
            continue
        if not realised(verb) or _quoted_at(sentence, verb):
            continue
        subjects = [s for head in _subjects(verb) for s in conjuncts(head)]
        sides = any(_generic_sides(s) for s in subjects)
        named = mentions is not None and any(
            (e := mentions.at(sentence, tok)) is not None
            and (e.name in names or (e.type == "person" and e.represents in names))
            for s in subjects
            for tok in s.subtree
        )
        they = any(s.lower_ == "they" for s in subjects)
        if not (sides or (lemma == "agree" and (named or they))):
            continue
        if lemma == "agree":
            parts = [
                c
                for c in verb.children
                if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)
            ]
            if not parts:
                # "the sides agreed that armed groups must be disarmed and that ...": each
                # clause is one provision.
                for clause in (c for c in verb.children if c.dep_ == "ccomp" and c.i > verb.i):
                    out.extend(_agreed_clauses(article, sentence, clause))
                continue
        else:
            parts = _complement(verb)
        if not parts:
            continue
        text, _, hi = _statement(article, sentence, parts)
        if len(text.split()) < _TERM_MIN_WORDS:
            continue
        first = min(s.left_edge.i for s in subjects) if subjects else verb.i
        start = sentence.span.doc[first] if verb.i - first < 10 else verb
        out.append(TermDraft(statement=text, evidence=article.quote_tokens(sentence, [start, hi])))
    return out


def _agreed_clauses(article: ParsedArticle, sentence: Sentence, clause: Any) -> list[TermDraft]:
    """The clauses of 'agreed that A and that B', each without the other and its 'that'."""
    out: list[TermDraft] = []
    others = [c for c in clause.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    doc = sentence.span.doc
    for part in [clause, *others]:
        if _hedged(part) and not any(c.lower_ in ("must", "should") for c in part.children):
            continue
        lo = part.left_edge.i
        hi = part.right_edge.i
        for other in others:
            if other is not part and other.left_edge.i > part.i:
                hi = min(hi, other.left_edge.i - 1)
        while hi > lo and (doc[hi].is_punct or doc[hi].dep_ == "cc" or doc[hi].lower_ == "that"):
            hi -= 1
        while lo < hi and (doc[lo].is_punct or doc[lo].lower_ in ("that", "and")):
            lo += 1
        text = _tidy(article.quote(sentence, doc[lo], doc[hi]))
        if len(text.split()) >= _TERM_MIN_WORDS:
            quote = article.quote(sentence, doc[lo], doc[hi])
            out.append(TermDraft(statement=text, evidence=quote))
    return out


def _party_commitments(
    article: ParsedArticle, sentence: Sentence, names: set[str], mentions: Mentions
) -> list[TermDraft]:
    """In a paragraph about the agreement, a party's 'will': 'Turkey will facilitate the talks'."""
    out: list[TermDraft] = []
    for verb in sentence.span:
        if verb.pos_ not in ("VERB", "AUX") or verb.dep_ not in ("ROOT", "conj"):
            continue
        if _hedged(verb) or not _future(verb) or _quoted_at(sentence, verb):
            continue
        subjects = _subjects(verb)
        if not any(
            (e := mentions.at(sentence, tok)) is not None and e.name in names
            for s in subjects
            for tok in s.subtree
        ):
            continue
        rest = [c for c in verb.children if c.i > verb.i and c.dep_ not in ("punct", "cc")]
        if not rest:
            continue
        text, _, hi = _statement(article, sentence, rest)
        start = subjects[0].left_edge
        clause = _tidy(article.quote(sentence, start, hi))
        if len(text.split()) < 2:
            continue
        evidence = article.quote_tokens(sentence, [start, hi])
        out.append(TermDraft(statement=clause, evidence=evidence))
    return out


def _commentary(text: str) -> bool:
    lowered = set(re.findall(r"[a-z\-]+", text.lower()))
    return bool(lowered & _COMMENTARY) or bool(_NAMING.match(text))


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
                and not _hedged(child)
            ):
                text, _, hi = _statement(article, sentence, [child])
                out.append(
                    TermDraft(
                        statement=text, evidence=article.quote_tokens(sentence, [noun.head, hi])
                    )
                )
    return out


def _idea(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {_SAME_IDEA.get(w, w.rstrip("s")) for w in words if w not in _FILLER}


def _same(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= 0.6


def find_terms(
    article: ParsedArticle,
    event: MainEvent,
    mentions: Mentions | None = None,
    parties: list[PartyDraft] | None = None,
) -> list[TermDraft]:
    """Distinct provisions of the main event's agreement, first full statement of each."""
    if event.type not in ("agreement_signed", "ceasefire", "sanctions"):
        return []
    now = latest_year(article)
    names = {p.name for p in parties or [] if p.type != "person"}
    terms: list[TermDraft] = []
    ideas: list[set[str]] = []
    previous: Sentence | None = None
    blocks_with_terms: set[int] = set()

    def keep(found: list[TermDraft], sentence: Sentence) -> None:
        for term in found:
            if _commentary(term.statement):
                continue
            idea = _idea(term.statement)
            blocks_with_terms.add(sentence.block)
            if any(_same(idea, seen) for seen in ideas):
                continue
            ideas.append(idea)
            terms.append(term)

    late: list[Sentence] = []
    for sentence in article.body:
        keep(_agreed_terms(article, sentence, names, mentions), sentence)
        nouns = [t for t in sentence.span if t.lemma_.lower() in AGREEMENT_NOUNS]
        if any(background(sentence, n, now) for n in nouns) or (
            not nouns and background(sentence, None, now)
        ):
            previous = sentence
            continue
        keep(_candidates(article, sentence, previous), sentence)
        keep(_framed_terms(article, sentence, now), sentence)
        keep(_participle_terms(article, sentence), sentence)
        late.append(sentence)
        previous = sentence
    if mentions is not None and names:
        for sentence in late:
            if sentence.block in blocks_with_terms:
                keep(_party_commitments(article, sentence, names, mentions), sentence)
    return terms
