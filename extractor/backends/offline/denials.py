"""Denials: "X denied ...", "a charge Y denies", "rejected the allegations", a speaker calling
a claim false ("said the allegations are false") or stating its opposite ("is not preventing
..."), each linked to the allegation it answers. See `claims` for the shapes as a whole.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from extractor.backends.offline.claims import (
    ACCUSATION_WORDS,
    APPOSITIVE_CLAIMS,
    Allegation,
    ClaimContext,
    clause_text,
    party_of,
)
from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.lexicon import words
from extractor.backends.offline.speakers import (
    REPORTING_VERBS,
    SpeakerResolver,
    conjuncts,
    speaker_heads,
    speaker_span,
)
from extractor.schema import DenialDraft

DENIAL_VERBS = words("deny refute rebut reject dismiss disavow repudiate dispute")
_NEEDS_CLAIM_OBJECT = frozenset(["reject", "dismiss", "dispute"])
_CLAIM_NOUNS = words(
    "claim allegation accusation charge report suggestion assertion speculation this that it "
    "them these those account version criticism"
)
# "rejected any role in the attack": what one denies having had.
_INVOLVEMENT_NOUNS = words("role responsibility involvement part link links complicity")


def find_denials(
    article: ParsedArticle, resolver: SpeakerResolver, allegations: list[Allegation]
) -> list[DenialDraft]:
    """Denials of claims, each linked to the nearest earlier allegation against the denier."""
    out: list[DenialDraft] = []
    for sentence in article.body:
        for verb in sentence.span:
            lemma = verb.lemma_.lower()
            ruled_out = lemma == "rule" and any(
                c.dep_ == "prt" and c.lower_ == "out" for c in verb.children
            )
            if (lemma not in DENIAL_VERBS and not ruled_out) or verb.pos_ != "VERB":
                continue
            if ruled_out and not _involvement(
                [c for c in verb.children if c.dep_ in ("dobj", "nsubjpass")]
            ):
                continue  # "ruled out Taliban involvement", not "ruled out talks"
            heads = speaker_heads(verb)
            deniers = resolver.speakers(sentence, heads, None)
            if not deniers:
                continue
            objects = [c for c in verb.children if c.dep_ in ("dobj", "ccomp", "xcomp")]
            # "..., a charge Moscow denies", "an allegation Israel has rejected as baseless"
            appositive = verb.dep_ in ("relcl", "acl") and verb.head.lemma_.lower() in _CLAIM_NOUNS
            if appositive:
                objects = [o for o in objects if o.tag_ not in ("WDT", "WP")] or [verb.head]
            fronted = _fronted_claim(sentence, verb)
            if fronted:
                # The tagger can hang the accusation on the denial: "X accused Y ..., a charge
                # Z denies" parsed as "denies (accused ...) (a charge)".
                objects, appositive = fronted[:1], True
                verb_head = fronted[0].doc[fronted[0].i - 1]
            else:
                verb_head = verb.head
            objects = [o for o in objects if o.tag_ not in ("WDT", "WP")] or objects
            which = any(c.tag_ in ("WDT", "WP") and c.dep_ == "dobj" for c in verb.children)
            if lemma in _NEEDS_CLAIM_OBJECT and not any(
                o.dep_ == "ccomp"
                or o.lemma_.lower() in _CLAIM_NOUNS | _INVOLVEMENT_NOUNS
                or o.tag_ in ("WDT", "WP")
                for o in objects
            ):
                continue  # "rejected the proposal" is no denial of a claim
            link = _answered(allegations, sentence.index, sorted(resolver.own_side(deniers)))
            pronoun = (
                not objects
                or which
                or all(o.lemma_.lower() in _CLAIM_NOUNS | {"which"} for o in objects)
            )
            if link is not None and (pronoun or _involvement(objects)):
                claim = allegations[link].draft.claim
                ends = [*speaker_span(heads), verb, *objects]
                if appositive:
                    ends = [min(verb_head.left_edge, verb_head, key=lambda x: x.i), verb]
            elif objects:
                claim, lo, hi = clause_text(article, sentence, objects[0])
                ends = [*speaker_span(heads), verb, lo, hi]
                if link is not None and not _same_matter(allegations[link].draft.claim, objects[0]):
                    link = None  # "denied that Moscow had demanded ...": a claim of its own
            else:
                continue
            evidence = article.quote_tokens(sentence, ends)
            out.append(
                DenialDraft(denied_by=deniers, claim=claim, allegation=link, evidence=evidence)
            )
    for denial in _falsity_denials(article, resolver, allegations):
        if not any(_same_denial(d, denial) for d in out):
            out.append(denial)
    return out


def _same_denial(a: DenialDraft, b: DenialDraft) -> bool:
    return set(a.denied_by) == set(b.denied_by) and (
        a.evidence in b.evidence
        or b.evidence in a.evidence
        or fuzz.token_set_ratio(a.claim, b.claim) >= 85
    )


# What a speaker calls a claim when denying it: "the allegations are false", "as absurd".
_FALSE_WORDS = words(
    "false untrue baseless groundless absurd unfounded wrong fabricated ridiculous nonsense "
    "lie lies fake fiction propaganda"
)
_DESCRIBE_VERBS = words("describe call brand label dismiss")
_IDEA_NOUNS = words(
    "idea claim claims allegation allegations suggestion notion accusation report story article"
)
_NEGATIONS = words("not never n't")
_HARM_WORDS = words("harm hurt threaten intend")


def _clauses_of(verb: Any) -> list[Any]:
    """A reporting verb's complement clauses, each coordinated clause on its own."""
    out: list[Any] = []
    clauses = [c for c in verb.children if c.dep_ == "ccomp"]
    # "said in an email that X never intended ...": the tagger can hang the clause on "email".
    clauses += [
        c
        for prep in verb.children
        if prep.dep_ == "prep"
        for pobj in prep.children
        for c in pobj.children
        if c.dep_ == "relcl" and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)
    ]
    for clause in clauses:
        out.append(clause)
        out += [c for c in clause.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    return out


def _latest_allegation(allegations: list[Allegation], sentence: int) -> int | None:
    best: int | None = None
    for index, item in enumerate(allegations):
        if sentence - 6 <= item.sentence <= sentence:
            best = index
    return best


def _falsity_denials(
    article: ParsedArticle, resolver: SpeakerResolver, allegations: list[Allegation]
) -> list[DenialDraft]:
    """Denials by a speaker who calls a claim false ('said the allegations are false', 'described
    the idea that ... as absurd') or states its opposite ('said that X never intended to harm
    Y', 'the United States is not preventing people from leaving')."""
    ctx = ClaimContext(article, resolver.mentions, resolver)
    out: list[DenialDraft] = []
    for sentence in article.body:
        for verb in sentence.span:
            lemma = verb.lemma_.lower()
            if verb.pos_ != "VERB" or lemma not in REPORTING_VERBS | _DESCRIBE_VERBS:
                continue
            heads = speaker_heads(verb)
            deniers = resolver.speakers(sentence, heads, None)
            if not deniers:
                continue
            for claim, lo, hi, linked in _false_claims(ctx, sentence, verb, allegations):
                evidence = article.quote_tokens(sentence, [*speaker_span(heads), verb, lo, hi])
                denial = DenialDraft(
                    denied_by=deniers, claim=claim, allegation=linked, evidence=evidence
                )
                out.append(denial)
    return out


def _false_claims(
    ctx: ClaimContext,
    sentence: Sentence,
    verb: Any,
    allegations: list[Allegation],
) -> list[tuple[str, Any, Any, int | None]]:
    found: list[tuple[str, Any, Any, int | None]] = []
    link = _latest_allegation(allegations, sentence.index)
    if verb.lemma_.lower() in _DESCRIBE_VERBS:
        for obj in (c for c in verb.children if c.dep_ == "dobj"):
            tail = [t for t in obj.subtree if t.lower_ in _FALSE_WORDS]
            said = [c for c in obj.children if c.dep_ in ("acl", "ccomp", "relcl")]
            if obj.lemma_.lower() in _IDEA_NOUNS and tail and said:
                claim = clause_text(ctx.article, sentence, said[0])[0]
                claim = re.sub(r"\s+as\b.*$", "", claim)
                found.append((claim, obj, tail[-1], None))
        return found
    for clause in _clauses_of(verb):
        subjects = [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
        falsity = [c for c in clause.children if c.dep_ in ("acomp", "attr")]
        called_false = any(f.lower_ in _FALSE_WORDS for f in falsity)
        if (
            called_false
            and link is not None
            and any(s.lemma_.lower() in _IDEA_NOUNS for s in subjects)
        ):
            found.append((allegations[link].draft.claim, subjects[0].left_edge, falsity[-1], link))
            continue
        negated = any(c.dep_ == "neg" and c.lower_ in _NEGATIONS for c in clause.children)
        named = [
            name
            for s in subjects
            for t in conjuncts(s)
            if (name := party_of(ctx, sentence, t)) is not None
        ]
        wrong = any(t.lemma_.lower() in _HARM_WORDS for t in clause.subtree)
        # "X is not preventing people from leaving" answers a claim that X prevents them.
        answers = any(
            set(named) & set(item.draft.accused) and _same_matter(item.draft.claim, clause)
            for item in allegations
        )
        if negated and named and (answers or wrong):
            text, lo, hi = clause_text(ctx.article, sentence, clause)
            claim = re.sub(r"\s+(?:never|not|n't)\b", "", text)
            found.append((claim, lo, hi, None))
    return found


def _fronted_claim(sentence: Sentence, verb: Any) -> list[Any]:
    """', a charge Kigali denies': the claim noun between the comma and the denial verb."""
    doc = sentence.span.doc
    k = verb.i - 1
    while k > sentence.span.start and k > verb.i - 6 and doc[k].text != ",":
        if doc[k].lemma_.lower() in APPOSITIVE_CLAIMS and doc[k - 1].lower_ in ("a", "an"):
            return [doc[k]]
        k -= 1
    return []


def _same_matter(claim: str, clause: Any) -> bool:
    """Whether a denial's own clause is about what an allegation claims: a shared content
    word, or an accusation word on both sides ('struck any villages' / 'bombing ...')."""
    claimed = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]{3,}", claim)}
    denied = {
        t.lemma_.lower().rstrip("s")
        for t in clause.subtree
        if t.pos_ in ("NOUN", "VERB", "ADJ") and not t.is_stop
    }
    if claimed & denied:
        return True
    accusing = {w.rstrip("s") for w in ACCUSATION_WORDS}
    return bool(claimed & accusing) and bool(denied & accusing)


def _involvement(objects: list[Any]) -> bool:
    return any(o.lemma_.lower() in _INVOLVEMENT_NOUNS for o in objects)


def _answered(allegations: list[Allegation], sentence: int, deniers: list[str]) -> int | None:
    best: int | None = None
    for index, item in enumerate(allegations):
        if not sentence - 2 <= item.sentence <= sentence:
            continue
        later = best is None or allegations[best].sentence < item.sentence
        if set(item.draft.accused) & set(deniers) and later:
            best = index
    return best
