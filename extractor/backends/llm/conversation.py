"""`Conversation`: one article's exchange with the model, judged answer by answer.

Split from `backend.py` (which sends the requests) so that the policy of what an answer is
worth, and when to re-ask, reads on its own: live calls (`OpenAIBackend.extract`) and Batch API
collection (`extractor.batch.replay`) drive the same object.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from extractor.articles import Article
from extractor.backends.base import Extraction
from extractor.errors import OutputInvalid
from extractor.grounding import ground_quote, mostly_unverified
from extractor.schema import EventDraft, Usage

if TYPE_CHECKING:
    from extractor.backends.llm.backend import OpenAIBackend

_MAX_ERRORS_SHOWN = 8
_MAX_QUOTE = 120
_CODE_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class Conversation:
    """One article's exchange with the model: the request to send next, and what the answers
    so far were worth. `answer` judges an answer: invalid JSON or schema is re-asked with the
    validation error up to `max_reasks` times; a valid answer with most evidence quotes not in
    the article is re-asked once, naming them; the valid answer with the fewest unverified
    quotes is kept. Live calls and Batch API collection drive the same object."""

    def __init__(self, backend: OpenAIBackend, article: Article) -> None:
        self.backend = backend
        self.article = article
        self.messages = backend._messages(article)
        self.reasks_left = backend.config.max_reasks
        self.grounding_reasked = False
        self.last_error = ""
        #: The valid answer with the smallest unverified share so far: (share, draft, model).
        self.best: tuple[float, EventDraft, str] | None = None

    def body(self) -> dict[str, Any]:
        """The request to send next (the first, or a re-ask carrying the earlier answers)."""
        return self.backend.request_body(self.messages)

    def answer(self, content: str, model: str | None) -> bool:
        """Take the answer to `body()`: True when the exchange is over (`extraction` then
        gives the result), False when a re-ask was added and `body()` is the next request."""
        config = self.backend.config
        try:
            draft = _parse_draft(content)
        except (json.JSONDecodeError, ValidationError) as exc:
            self.last_error = _summarise(exc)
            if self.reasks_left == 0:
                return True
            self.reasks_left -= 1
            self.messages.append({"role": "assistant", "content": content})
            self.messages.append(self.backend.prompt.reask_message(self.last_error))
            return False
        quotes = draft.evidence_quotes()
        verified = [ground_quote(quote, self.article.text).verified for quote in quotes]
        share = verified.count(False) / len(verified) if verified else 0.0
        if self.best is None or share < self.best[0]:
            self.best = (share, draft, model or config.model)
        if self.grounding_reasked or not mostly_unverified(verified, config.max_unverified):
            return True
        # Mostly not in the article (a copied example, another text): asked once more,
        # naming the quotes; the pipeline flags the record if it stays so.
        self.grounding_reasked = True
        missing = [quote for quote, ok in zip(quotes, verified, strict=True) if not ok]
        self.messages.append({"role": "assistant", "content": content})
        self.messages.append(
            self.backend.prompt.reask_message(_unverified_error(missing, len(quotes)))
        )
        return False

    def extraction(self, usage: Usage) -> Extraction:
        """The kept answer; raises `OutputInvalid` when no answer validated."""
        if self.best is None:
            raise OutputInvalid(
                f"article {self.article.id}: answer still invalid after "
                f"{self.backend.config.max_reasks} re-asks: {self.backend._scrub(self.last_error)}"
            )
        return Extraction(
            draft=self.best[1], model=self.best[2], usage=usage, prompt=self.backend.prompt.ref()
        )


def _parse_draft(content: str) -> EventDraft:
    text = content.strip()
    # Some local models wrap JSON in a Markdown fence even when asked for JSON only.
    fenced = _CODE_FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    return EventDraft.model_validate(json.loads(text))


def _unverified_error(missing: list[str], total: int) -> str:
    shown = "; ".join(json.dumps(quote[:_MAX_QUOTE], ensure_ascii=False) for quote in missing[:8])
    more = f" (and {len(missing) - 8} more)" if len(missing) > 8 else ""
    return (
        f"{len(missing)} of {total} evidence quotes are not in the article: {shown}{more}. "
        "Every evidence value must be copied verbatim from the article between the fences; "
        "leave out what the article does not say."
    )


def _summarise(exc: json.JSONDecodeError | ValidationError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    errors = exc.errors(include_url=False, include_input=False)
    shown = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors]
    more = len(shown) - _MAX_ERRORS_SHOWN
    text = "; ".join(shown[:_MAX_ERRORS_SHOWN])
    return f"does not match the schema: {text}" + (f" (and {more} more)" if more > 0 else "")
