"""Treaty terms: what the main event's agreement provides for, includes or commits parties to.

A term is read where an agreement noun is the subject of a provision verb ("the agreement
provides for mutual assistance", "a deal that includes a pledge to defend each other", "the
pact would expand cooperation"), where something is "part of" the agreement, or where the
agreement is made "to" do something ("a partnership to deepen trade and military ties").
What the agreement "will", "would" or "is due to" do is a term ("The new pact will enter into
force when ...", "a ceasefire would take effect at midnight"), except being signed, debated or
praised. Follow-up sentences give terms too: "Under the deal, X will ...", "Under the terms of
the agreement, ...", "X will ... under the pact", "In return, X will ...", "The deal runs for
120 days", "The two sides also agreed to ...", "agreed on a cessation of hostilities" (a
contracting side may be a company the gazetteer does not know), "Both sides affirmed their
respect for ...", "..., the declaration says", and, in a paragraph that describes the
agreement, a party's "will" ("Turkey will facilitate the talks"). Coordinated verbs under one
frame are one term each ("In return, Sudan will improve access ..., stop supporting rebels ...
and cease the bombing ..."). Sanctions lifted for commitments have terms too.
Hedged possibilities ("might develop"), negations, commentary ("historic", "could pave the way"),
names ("to be known as ...") and older agreements in background are not terms. Restatements of
one provision are merged.

The readers live in `provisions` (the agreement as the subject, and the clause helpers) and
`commitments` (what the sides agree, commit to or "will" do); this module keeps the main
event's terms, once each.
"""

from __future__ import annotations

import re

from extractor.backends.offline.commitments import agreed_terms, framed_terms, party_commitments
from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import Mentions
from extractor.backends.offline.events import AGREEMENT_NOUNS, MainEvent, background, latest_year
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.provisions import participle_terms, provision_terms
from extractor.schema import PartyDraft, TermDraft

# Evaluation of the deal is commentary, not a provision.
_COMMENTARY = words("historic milestone landmark breakthrough hope hopes win-win victory pave")
_NAMING = re.compile(r"^(?:be\s+)?(?:known|called|named|dubbed)\b", re.I)
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


def _commentary(text: str) -> bool:
    lowered = set(re.findall(r"[a-z\-]+", text.lower()))
    return bool(lowered & _COMMENTARY) or bool(_NAMING.match(text))


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
        keep(agreed_terms(article, sentence, names, mentions), sentence)
        nouns = [t for t in sentence.span if t.lemma_.lower() in AGREEMENT_NOUNS]
        if any(background(sentence, n, now) for n in nouns) or (
            not nouns and background(sentence, None, now)
        ):
            previous = sentence
            continue
        keep(provision_terms(article, sentence, previous), sentence)
        keep(framed_terms(article, sentence, now), sentence)
        keep(participle_terms(article, sentence), sentence)
        late.append(sentence)
        previous = sentence
    if mentions is not None and names:
        for sentence in late:
            if sentence.block in blocks_with_terms:
                keep(party_commitments(article, sentence, names, mentions), sentence)
    return terms
