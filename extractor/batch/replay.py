"""An article's exchange with the model, replayed against the answers of its batches.

A live run asks, judges the answer and re-asks (`extractor.backends.llm.conversation.Conversation`);
here the same conversation is driven by the answers the batches gave, looked up by the
`custom_id` of each request it would send. The replay ends with the extraction, with a typed
error (refusal, truncation, a request the provider failed, an answer still invalid after its
re-asks), or at the first request no batch answered (`Missing`): what to send in the follow-up
batch. `BatchAnswers` is the backend a collect hands to `extract run`'s loop, so the answers go
through the same validate -> ground -> record path, and the output is the same lines.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from extractor.articles import Article
from extractor.backends.base import Capabilities, Extraction
from extractor.backends.llm.backend import OpenAIBackend
from extractor.batch.lines import Answer, custom_id
from extractor.errors import BackendError, ExtractorError
from extractor.schema import Usage
from extractor.usage import PriceTable

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion


class BatchUnfinished(BackendError):
    """No batch answered the request (expired, cancelled or failed), and it is not resubmitted."""

    kind = "batch_unfinished"


@dataclass
class AnswerBook:
    """Every answer the batches gave, by custom_id, and where each request stands."""

    answers: dict[str, Answer] = field(default_factory=dict)
    #: How many request files list each custom_id (a resubmitted request is in two).
    submitted: Counter[str] = field(default_factory=Counter)
    #: custom_ids in a batch that has not finished.
    in_flight: set[str] = field(default_factory=set)
    #: Output lines that were not Batch API lines (skipped; their requests have no answer).
    malformed: int = 0

    def add(self, answer: Answer) -> None:
        """Keep the best answer per request: a completion over an error over "never ran"."""
        held = self.answers.get(answer.custom_id)
        if held is None or _rank(answer) > _rank(held):
            self.answers[answer.custom_id] = answer

    def read(self, lines: Iterable[bytes]) -> None:
        """Add every answer of an output or error file; count the lines that are none."""
        from extractor.batch.lines import OutputLineError

        for raw in lines:
            if not raw.strip():
                continue
            try:
                self.add(Answer.parse(raw))
            except OutputLineError:
                self.malformed += 1


def _rank(answer: Answer) -> int:
    if answer.completion is not None:
        return 2
    return 0 if answer.unfinished else 1


@dataclass(frozen=True)
class Missing:
    """The first request of a conversation that no batch answered."""

    custom_id: str
    body: dict[str, Any]
    #: A re-ask (the body carries an earlier answer), not the article's first request.
    reask: bool
    #: "in_flight" (its batch is running), "unfinished" (its batch ended without answering
    #: it) or "unsent" (in no batch).
    state: str


@dataclass
class Spent:
    """What one conversation spent, at the batch rate and (``--reask-live``) live."""

    batch: Usage = field(default_factory=Usage)
    live: Usage = field(default_factory=Usage)

    @property
    def total(self) -> Usage:
        return self.batch + self.live


LiveCall = Callable[[dict[str, Any]], "tuple[ChatCompletion, Usage]"]


def replay(
    backend: OpenAIBackend,
    chunk: Article,
    book: AnswerBook,
    spent: Spent,
    *,
    live: LiveCall | None = None,
) -> Extraction | Missing:
    """Drive the chunk's conversation with the batches' answers (re-asks sent with `live` when
    given and no batch has them). Raises the typed error a live run would give."""
    from openai.types.chat import ChatCompletion

    conversation = backend.conversation(chunk)
    reask = False
    while True:
        body = conversation.body()
        request = custom_id(body)
        answer = book.answers.get(request)
        if answer is not None and answer.completion is not None:
            try:
                completion = ChatCompletion.model_validate(answer.completion)
            except ValidationError:
                raise BackendError(
                    f"the batch answered request {request} with something that is not a chat "
                    "completion"
                ) from None
            spent.batch = spent.batch + _usage_of(completion)
        elif answer is not None and not answer.unfinished:
            raise BackendError(f"the batch failed request {request}: {answer.message}")
        elif reask and live is not None:
            completion, used = live(body)
            spent.live = spent.live + used
        else:
            if request in book.in_flight:
                state = "in_flight"
            elif answer is not None or book.submitted[request]:
                state = "unfinished"
            else:
                state = "unsent"
            return Missing(request, body, reask, state)
        if conversation.answer(backend.answer_content(completion), completion.model):
            return conversation.extraction(spent.total)
        spent.batch = spent.batch + Usage(reasks=1)
        reask = True


def _usage_of(completion: ChatCompletion) -> Usage:
    usage = completion.usage
    if usage is None:
        return Usage(requests=1)
    return Usage(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        requests=1,
    )


class BatchAnswers:
    """A backend that answers from the batches: what a collect hands to `extract run`'s loop.

    Its name and fingerprint are the live backend's, so its lines are the lines a live run
    would write (a later ``extract run`` on the same output keeps them). It prices what it
    used itself: batch answers at the batch rate, live re-asks at the live rate, and keeps
    what the same work would have cost live."""

    name = "openai"
    capabilities = Capabilities()

    def __init__(
        self,
        backend: OpenAIBackend,
        book: AnswerBook,
        prices: PriceTable,
        *,
        live: LiveCall | None = None,
    ) -> None:
        self.backend = backend
        self.book = book
        self.prices = prices
        self.live = live
        self._lock = threading.Lock()
        #: What the answers used would have cost live; None once a model without a price is met.
        self.live_cost: float | None = 0.0

    @property
    def context_chars(self) -> int:
        """The live backend's: the chunks are the ones submitted."""
        return self.backend.context_chars

    def fingerprint(self) -> dict[str, str]:
        """The live backend's fingerprint."""
        return self.backend.fingerprint()

    def extract(self, article: Article) -> Extraction:
        """The chunk's extraction from the batches' answers; typed errors as a live run's."""
        spent = Spent()
        model = self.backend.config.model
        try:
            outcome = replay(self.backend, article, self.book, spent, live=self.live)
            if isinstance(outcome, Missing):
                raise BatchUnfinished(
                    f"article {article.id}: no batch answered request {outcome.custom_id} "
                    "(its batch expired, was cancelled or failed)"
                )
        except ExtractorError as exc:
            exc.usage = self._priced(model, spent)
            raise
        usage = self._priced(outcome.model, spent)
        return Extraction(
            draft=outcome.draft, model=outcome.model, usage=usage, prompt=outcome.prompt
        )

    def _priced(self, model: str, spent: Spent) -> Usage:
        batch = self.prices.cost(model, spent.batch, batch=True)
        live = self.prices.cost(model, spent.live)
        paid = None if batch is None or live is None else batch + live
        as_live = self.prices.cost(model, spent.total)
        with self._lock:
            if self.live_cost is not None:
                self.live_cost = None if as_live is None else self.live_cost + as_live
        return spent.total.model_copy(update={"cost_usd": paid})
