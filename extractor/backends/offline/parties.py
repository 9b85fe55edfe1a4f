"""Who takes part in the main event, and in what role.

A party is a state, organisation or person attached in the parse to the event's trigger in a
sentence that reports the event: its subject ("Russia and North Korea have signed"), the
other side ("signed ... with North Korea's Kim Jong Un"), the agreement's "between X and Y".
People who act for a party are representatives; states they represent are parties too.
Brokers ("mediated by Qatar", "Egyptian mediators") are mediators. Someone who only comments
or alleges is not a party. Organisations only the tagger knows (`Mentions.tagged`) count when
the parse ties them to the trigger or a lead clause names them as actors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractor.backends.offline.document import ParsedArticle, Sentence
from extractor.backends.offline.entities import LEADER_TITLES, TITLES, Entity, Mention, Mentions
from extractor.backends.offline.events import MainEvent, signings
from extractor.backends.offline.lexicon import words
from extractor.schema import AllegationDraft, DenialDraft, PartyDraft, PartyRole

# Relations a party's name may hang by on its way up to the event's trigger.
_ATTACHING = words(
    "nsubj nsubjpass conj cc appos compound poss amod nmod dobj pobj prep agent attr case "
    "npadvmod dative iobj punct"
)
_ATTACHING_PREPS = words("with between by among of from and")
_MEETINGS = words("meeting talks summit conference")
_GENERIC_SIDES = words("leaders sides countries nations parties governments states")
_MEDIATION = words("mediate broker facilitate host mediator mediators mediation")
_MAX_EVIDENCE = 240
_ACTING_BODIES = words(
    "government authorities delegation officials negotiators administration cabinet army "
    "military forces"
)


@dataclass
class _Found:
    entity: Entity
    sentence: Sentence
    tokens: list[Any]


def _head(mention: Mention) -> Any:
    doc = mention.sentence.span.doc
    for k in range(mention.first, mention.last + 1):
        tok = doc[k]
        if not mention.first <= tok.head.i <= mention.last or tok.head.i == tok.i:
            return tok
    return doc[mention.last]


def _path_to(token: Any, targets: set[int], limit: int = 7) -> bool:
    """Whether `token` hangs from one of `targets` by attaching relations only."""
    current, below = token, token
    for _ in range(limit):
        if current.i in targets:
            return True
        if current.dep_ not in _ATTACHING or current.head.i == current.i:
            return False
        if current.dep_ == "prep" and not _attaching_prep(current, below):
            return False
        current, below = current.head, current
    return current.i in targets


def _attaching_prep(prep: Any, below: Any) -> bool:
    """'signed with X', 'between X and Y'; 'reached at a meeting between X and Y': who met."""
    if prep.lower_ in _ATTACHING_PREPS:
        return True
    return prep.lower_ == "at" and below.lemma_.lower() in _MEETINGS


def _triggers(event: MainEvent, sentence: Sentence) -> tuple[set[int], list[Any]]:
    if event.type in ("agreement_signed", "ceasefire"):
        pairs = signings(sentence)
        tokens = [tok for pair in pairs for tok in pair]
    elif event.trigger is not None:
        lemma = event.trigger.lemma_
        tokens = [t for t in sentence.span if t.lemma_ == lemma]
        # "Trump and Putin ended their summit", "the two sides held talks": the verb's subject
        # takes part in what the verb's object names.
        tokens += [t.head for t in tokens if t.dep_ == "dobj" and t.head.pos_ == "VERB"]
    else:
        tokens = []
    return {t.i for t in tokens}, tokens


def _attached(mentions: Mentions, event: MainEvent) -> list[_Found]:
    found: list[_Found] = []
    main = event.sentence
    ordered = sorted(event.sentences, key=lambda s: (s is not main, s.kind != "body", s.index))
    known: set[str] = set()  # who the event's sentences read so far name
    for sentence in ordered:
        targets, trigger_tokens = _triggers(event, sentence)
        if not targets:
            continue
        named = mentions.in_sentence(sentence) + mentions.tagged_in_sentence(sentence)
        here = [m for m in named if _path_to(_head(m), targets)]
        if found and not any(m.name in known for m in here):
            continue  # another signing ("a firm signed three deals"), not the main event's
        known |= {m.name for m in named}
        for mention in here:
            head = _head(mention)
            if _modifier_only(mention):
                continue  # "the Rwanda-backed M23": the backer is not a side of the deal
            if head.dep_ == "dobj" and head.head.lemma_.lower() in _ACCUSING_VERBS:
                continue  # the accused takes part only by answering (see `claim_sides`)
            if mention.kind == "demonym" and head.head.lower_ not in TITLES | _ACTING_BODIES:
                continue  # "Russian president signs", "the Colombian government": yes.
            entity = mentions.entity(mention.name)
            if entity is not None:
                found.append(_Found(entity, sentence, _evidence_tokens(mention, trigger_tokens)))
    return found


def _modifier_only(mention: Mention) -> bool:
    """A name inside a compound modifier: 'Rwanda-backed', 'Qatar-based'."""
    doc = mention.sentence.span.doc
    k = mention.last + 1
    return (
        k + 1 < len(doc)
        and doc[k].text == "-"
        and not doc[mention.last].whitespace_
        and doc[k + 1].tag_ in ("VBN", "VBD", "JJ")
    )


def _evidence_tokens(mention: Mention, trigger_tokens: list[Any]) -> list[Any]:
    doc = mention.sentence.span.doc
    tokens = [doc[mention.first], doc[mention.last], *trigger_tokens]
    for trig in trigger_tokens:
        for child in trig.children:
            if child.dep_ in ("nsubj", "nsubjpass") and child.right_edge.i - child.left_edge.i < 12:
                tokens += [child.left_edge, child.right_edge]
    return tokens


def _generic_sides(event: MainEvent) -> bool:
    """'the pact signed by the two leaders': the signers are named elsewhere, not here."""
    for sentence in event.sentences:
        for tok in sentence.span:
            if tok.lower_ in _GENERIC_SIDES and any(
                c.lower_ in ("two", "both") for c in tok.children
            ):
                return True
    return False


def _mediators(article: ParsedArticle, mentions: Mentions) -> dict[str, tuple[Sentence, Mention]]:
    out: dict[str, tuple[Sentence, Mention]] = {}
    for sentence in article.body:
        cues = [t for t in sentence.span if t.lemma_.lower() in _MEDIATION]
        if not cues:
            continue
        for mention in mentions.in_sentence(sentence):
            head = _head(mention)
            for cue in cues:
                if cue.lemma_ == "host" and cue.pos_ == "VERB" and head.dep_ != "nsubj":
                    continue
                close = abs(head.i - cue.i) <= 3 and (head.head == cue or cue.head == head)
                if _path_to(head, {cue.i}, limit=4) or close:
                    out.setdefault(mention.name, (sentence, mention))
    return out


def _cues(sentence: Sentence) -> list[Any]:
    return [t for t in sentence.span if t.lemma_.lower() in _MEDIATION][:1]


def _span(article: ParsedArticle, sentence: Sentence, tokens: list[Any]) -> str:
    quote = article.quote_tokens(sentence, tokens)
    if len(quote) > _MAX_EVIDENCE:
        quote = article.quote_tokens(sentence, tokens[:2])
    return quote


def _represent_quote(article: ParsedArticle, entity: Entity) -> str | None:
    if entity.represents_span is None:
        return None
    sentence, lo, hi = entity.represents_span
    doc = sentence.span.doc
    return article.quote(sentence, doc[lo], doc[hi])


def _state_quote(article: ParsedArticle, mentions: Mentions, state: Entity) -> str:
    """Evidence for a state the event names only through people: who speaks for it."""
    for person in mentions.entities.values():
        quote = _represent_quote(article, person) if person.represents == state.name else None
        if quote:
            return quote
    first = next((m for m in state.mentions if m.sentence.kind == "body"), state.mentions[0])
    return article.sentence_text(first.sentence)


# Relations by which a clause's actors hang from its verb: subject, object, agent, "with"/"to".
_ACTOR_DEPS = words("nsubj nsubjpass dobj dative attr")
_ACTOR_PREPS = words("with by between against on to")
# Relations inside a noun phrase that still name its actor ("Iranian charges", "Kuwait's envoy").
_PHRASE_DEPS = words("compound amod poss nmod appos conj cc det nummod case punct")
_LEAD_ACTOR_SENTENCES = 2
# Verbs whose object is where a report came from, not a side: "told Reuters", "seen by AFP".
_SOURCING_VERBS = words("tell quote cite see")
_ACCUSING_VERBS = words("accuse blame charge condemn denounce criticise criticize")


def _phrase_tokens(head: Any) -> list[Any]:
    """A noun phrase's tokens without its relative clauses and prepositional tails."""
    out = [head]
    for child in head.children:
        if child.dep_ in _PHRASE_DEPS:
            out.extend(_phrase_tokens(child))
    return out


def _clause_verbs(root: Any) -> list[Any]:
    """The main verb, its coordinated verbs, and what a reporting verb reports."""
    verbs = [root]
    for verb in list(verbs):
        verbs += [c for c in verb.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
    for verb in list(verbs):
        verbs += [c for c in verb.children if c.dep_ == "ccomp" and c.pos_ in ("VERB", "AUX")]
    return verbs


def _actor_heads(verb: Any) -> list[Any]:
    heads: list[Any] = []
    for child in verb.children:
        if child.dep_ == "dobj" and verb.lemma_.lower() in _ACCUSING_VERBS:
            continue  # the accused takes part only by answering (see `claim_sides`)
        if child.dep_ in _ACTOR_DEPS:
            heads.append(child)
        elif child.dep_ in ("prep", "agent") and child.lower_ in _ACTOR_PREPS:
            heads += [p for p in child.children if p.dep_ == "pobj"]
    return heads


def _lead_actors(article: ParsedArticle, mentions: Mentions) -> list[_Found]:
    """Who the lead's main clauses are about: the named subjects, objects and agents of the
    first sentences' main verbs, not names inside their subordinate clauses (a victim named in
    "pleaded guilty to threatening to kill X" is no actor)."""
    found: list[_Found] = []
    for sentence in article.body[:_LEAD_ACTOR_SENTENCES]:
        for verb in _clause_verbs(sentence.span.root):
            for head in _actor_heads(verb):
                for tok in _phrase_tokens(head):
                    mention = mentions.mention_at(sentence, tok)
                    if mention is None and verb.lemma_.lower() not in _SOURCING_VERBS:
                        # "Boeing won an order", not the outlet a source "told".
                        mention = mentions.tagged_at(sentence, tok)
                    if mention is None or _modifier_only(mention):
                        continue
                    entity = mentions.entity(mention.name)
                    if entity is not None and all(f.entity is not entity for f in found):
                        doc = sentence.span.doc
                        tokens = [doc[mention.first], doc[mention.last], verb]
                        found.append(_Found(entity, sentence, tokens))
    return found


def find_parties(article: ParsedArticle, mentions: Mentions, event: MainEvent) -> list[PartyDraft]:
    """The main event's parties with roles, aliases and the evidence for each."""
    attached = _attached(mentions, event)
    signing = event.type in ("agreement_signed", "ceasefire")
    if not signing or sum(1 for f in attached if f.entity.type != "person") < 2:
        known = {f.entity.name for f in attached}
        attached += [f for f in _lead_actors(article, mentions) if f.entity.name not in known]
    evidence: dict[str, str] = {}
    order: list[Entity] = []
    for item in attached:
        if item.entity.name not in evidence:
            evidence[item.entity.name] = _span(article, item.sentence, item.tokens)
            order.append(item.entity)
    states = [e for e in order if e.type != "person"]
    people = [e for e in order if e.type == "person"]
    for person in people:
        if person.represents and person.represents not in evidence:
            state = mentions.entity(person.represents)
            if state is not None:
                evidence[state.name] = _represent_quote(article, person) or evidence[person.name]
                states.append(state)
    if len(states) < 2 and _generic_sides(event):
        lead = {m.name for s in article.header + article.body[:3] for m in mentions.in_sentence(s)}
        ranked = sorted(
            (e for e in mentions.entities.values() if e.type == "state" and e.name in lead),
            key=lambda e: -len(e.mentions),
        )
        for state in ranked[: 2 - len(states)]:
            if state not in states:
                states.append(state)
    for state in states:
        if state.name not in evidence:
            evidence[state.name] = _state_quote(article, mentions, state)
    mediators = _mediators(article, mentions)
    state_names = {s.name for s in states} | set(mediators)
    lead = {m.name for s in article.body[:4] for m in mentions.in_sentence(s)}
    for entity in mentions.entities.values():
        if entity.type != "person" or entity in people or entity.represents not in state_names:
            continue
        # Someone with a title who speaks for a party and is more than a passing name.
        if entity.titles and (len(entity.mentions) >= 2 or entity.name in lead):
            people.append(entity)
    signed = event.type in ("agreement_signed", "ceasefire")
    signers = {f.entity.name for f in attached if signed and f.sentence in event.sentences}
    drafts: list[PartyDraft] = []
    for state in states:
        role: PartyRole = "mediator" if state.name in mediators else _state_role(event)
        drafts.append(_draft(state, role, None, evidence[state.name]))
    for name, (sentence, mention) in mediators.items():
        broker = mentions.entity(name)
        if broker is None or broker.type == "person" or broker in states:
            continue
        doc = sentence.span.doc
        quote = _span(article, sentence, [doc[mention.first], doc[mention.last], *_cues(sentence)])
        drafts.append(_draft(broker, "mediator", None, quote))
    for person in people:
        first = person.mentions[0]
        doc = first.sentence.span.doc
        quote = (
            _represent_quote(article, person)
            or evidence.get(person.name)
            or article.quote(first.sentence, doc[first.first], doc[first.last])
        )
        if person.represents:
            drafts.append(_draft(person, "representative", person.represents, quote))
        elif person.name in mediators:
            drafts.append(_draft(person, "mediator", None, quote))
        elif person.name in signers and person.titles & LEADER_TITLES:
            # "President Salva Kiir and Riek Machar agree": leaders act for their sides.
            drafts.append(_draft(person, "representative", None, quote))
        elif person.name in signers:
            # "Jose Mourinho has agreed a deal": bound in his own name, for no state.
            drafts.append(_draft(person, "signatory", None, quote))
        else:
            drafts.append(_draft(person, "participant", None, quote))
    return drafts


def _state_role(event: MainEvent) -> PartyRole:
    return "signatory" if event.type in ("agreement_signed", "ceasefire") else "participant"


def _draft(entity: Entity, role: PartyRole, represents: str | None, evidence: str) -> PartyDraft:
    return PartyDraft(
        name=entity.name,
        type=entity.type,
        role=role,
        aliases=entity.aliases(),
        represents=represents,
        evidence=evidence,
    )


def _speaks_for_a_side(entity: Entity | None) -> bool:
    """A state or body, or a person who speaks for one (not an analyst in their own name)."""
    return entity is not None and (entity.type != "person" or entity.represents is not None)


def claim_sides(
    mentions: Mentions,
    parties: list[PartyDraft],
    allegations: list[AllegationDraft],
    denials: list[DenialDraft],
) -> list[PartyDraft]:
    """In a row (an accusation answered by a denial) the side that accuses and the side that
    answers take part, with the people who speak for them; a side only accused does not."""
    sides: list[tuple[str, str]] = []
    accused = {name for item in allegations for name in item.accused}
    for denial in denials:
        answering = any(
            name in accused or _speaks_for_a_side(mentions.entity(name))
            for name in denial.denied_by
        )
        if not answering:
            continue  # an analyst who calls a claim false is no side of the row
        sides += [(name, denial.evidence) for name in denial.denied_by]
        if denial.allegation is not None:
            answered = allegations[denial.allegation]
            sides += [(name, answered.evidence) for name in answered.alleged_by]
    if not denials and allegations:
        sides += [(name, allegations[0].evidence) for name in allegations[0].alleged_by]
    out = list(parties)
    known = {p.name for p in out}
    for name, evidence in sides:
        entity = mentions.entity(name)
        if entity is None or name in known:
            continue
        known.add(name)
        if entity.type == "person" and entity.represents:
            out.append(_draft(entity, "representative", entity.represents, evidence))
            state = mentions.entity(entity.represents)
            if state is not None and state.name not in known:
                known.add(state.name)
                out.append(_draft(state, "participant", None, evidence))
        else:
            out.append(_draft(entity, "participant", None, evidence))
    return out
