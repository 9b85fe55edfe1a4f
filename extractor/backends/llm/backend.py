"""`OpenAIBackend`: one article in, a validated `EventDraft` out, over chat completions.

Chat completions is the endpoint every OpenAI-compatible server speaks (OpenAI, Azure, Ollama,
vLLM, llama.cpp, LM Studio). Structured output is requested with a strict JSON Schema
(`json_schema`), with `json_object` and the schema beside it (`json_object_schema`, what
llama.cpp's servers take), or with bare `json_object`; in both `json_object` modes the schema is
also written into the prompt. A server that rejects the response format is a configuration
error naming the mode to try, raised at the first request, not retried.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from extractor.articles import Article
from extractor.backends.base import Capabilities, Extraction
from extractor.backends.llm.config import OpenAIConfig
from extractor.backends.llm.conversation import Conversation
from extractor.backends.llm.transport import RetryPolicy, call_with_retries, scrub
from extractor.errors import (
    BackendError,
    BackendRefusal,
    ConfigError,
    ExtractorError,
    OutputTruncated,
    ResponseFormatRejected,
)
from extractor.pacing import CHARS_PER_TOKEN, RequestGate
from extractor.prompts import ChatMessage, load_prompt
from extractor.schema import Usage, bounded_schema

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion

    from extractor.settings import Settings

OPENAI_HOST = "api.openai.com"
#: Passed explicitly: given None, the SDK would read OPENAI_BASE_URL from the environment itself.
OPENAI_BASE_URL = f"https://{OPENAI_HOST}/v1"
# Sent when a local server needs no key: the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"
_FORMAT_SHAPES = {
    "json_schema": '{"type": "json_schema", ...}',
    "json_object_schema": '{"type": "json_object", "schema": ...}',
    "json_object": '{"type": "json_object"}',
}
#: What to try when a server rejects a mode's response format.
_MODE_ADVICE = {
    "json_schema": "use --output-mode json_object_schema (llama.cpp's llama-server and "
    "llama-cpp-python take it), or json_object",
    "json_object_schema": "use --output-mode json_object (the schema then goes in the prompt "
    "only), or json_schema",
    "json_object": "use --output-mode json_schema or json_object_schema",
}


class OpenAIBackend:
    """Extracts the main event with an OpenAI-compatible chat model."""

    name = "openai"
    capabilities = Capabilities(needs_key=True, paced_by_gate=True, has_close=True)

    def __init__(
        self,
        config: OpenAIConfig,
        client: openai.OpenAI | None = None,
        *,
        gate: RequestGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        #: Every HTTP request passes through it; a run shares one between its threads.
        self.gate = gate or RequestGate(None)
        self.prompt = load_prompt(
            config.prompt_name, config.prompt_version, prompts_dir=config.prompts_dir
        )
        self._base_url = config.base_url or OPENAI_BASE_URL
        self._host = urlsplit(self._base_url).netloc
        self._api_key = self._resolve_key(client)
        self._client = client
        self._owns_client = client is None
        self._client_lock = threading.Lock()
        self._policy = RetryPolicy(
            max_retries=config.max_retries, max_wait=config.max_retry_wait, sleep=sleep
        )

    @classmethod
    def from_settings(cls, settings: Settings, gate: RequestGate | None = None) -> OpenAIBackend:
        """The backend `settings` configure, each request passing through `gate`."""
        return cls(OpenAIConfig.from_settings(settings), gate=gate)

    @property
    def context_chars(self) -> int:
        """Article characters per call; the pipeline chunks longer articles."""
        return self.config.context_chars

    def fingerprint(self) -> dict[str, str]:
        """Everything that changes the output. Never the key."""
        ref = self.prompt.ref()
        fingerprint = {
            "backend": self.name,
            "model": self.config.model,
            "base_url_host": self._host,
            "output_mode": self.config.output_mode,
            "temperature": repr(self.config.temperature),
            "max_output_tokens": str(self.config.max_output_tokens),
            "context_chars": str(self.config.context_chars),
            "max_unverified": repr(self.config.max_unverified),
            "prompt": f"{ref.name}@{ref.version}",
            "prompt_sha256": ref.sha256,
        }
        if self.config.max_items is not None:
            # Only when set: a run without bounds keeps the fingerprints it had before them.
            fingerprint["max_items"] = str(self.config.max_items)
        return fingerprint

    def extract(self, article: Article) -> Extraction:
        """Ask the model, re-asking with the validation error up to `max_reasks` times, and
        once more, naming them, when most evidence quotes are not in the article.

        An `ExtractorError` raised here carries the usage spent before it (`error.usage`)."""
        counter = _Counter()
        try:
            return self._extract(article, counter)
        except ExtractorError as exc:
            exc.usage = counter.usage()
            raise

    def _extract(self, article: Article, counter: _Counter) -> Extraction:
        conversation = self.conversation(article)
        while True:
            completion = self._complete(conversation.body(), counter)
            if conversation.answer(self.answer_content(completion), completion.model):
                break
            counter.reasks += 1
        return conversation.extraction(counter.usage())

    def conversation(self, article: Article) -> Conversation:
        """One article's exchange with the model, from its first request; a Batch API
        collector replays it against the answers of its batches."""
        return Conversation(self, article)

    def send(self, body: dict[str, Any]) -> tuple[ChatCompletion, Usage]:
        """Send one request body live, with the transport retries: its completion and usage
        (a Batch API collector's live re-asks)."""
        counter = _Counter()
        try:
            completion = self._complete(body, counter)
        except ExtractorError as exc:
            exc.usage = counter.usage()
            raise
        return completion, counter.usage()

    def request_body(self, messages: list[ChatMessage]) -> dict[str, Any]:
        """The chat-completions body sent for `messages`, live or as a Batch API line."""
        # OpenAI's own endpoints deprecate `max_tokens` (reasoning models reject it); every
        # other compatible server knows `max_tokens`, not always `max_completion_tokens`.
        official = self._host == OPENAI_HOST or self._host.endswith(".openai.azure.com")
        return {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_completion_tokens" if official else "max_tokens": self.config.max_output_tokens,
            "response_format": self._response_format,
        }

    def close(self) -> None:
        """Close the HTTP connections of a client this backend built (an injected one is kept)."""
        with self._client_lock:
            if self._client is not None and self._owns_client:
                self._client.close()
                self._client = None

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"OpenAIBackend(model={self.config.model!r}, host={self._host!r}, "
            f"output_mode={self.config.output_mode!r})"
        )

    # ---------------------------------------------------------------- internals

    def _resolve_key(self, client: openai.OpenAI | None) -> str:
        if client is not None:
            return str(client.api_key or "")
        if self.config.api_key:
            return self.config.api_key
        if self._host == OPENAI_HOST:
            raise ConfigError(
                "no API key: set OPENAI_API_KEY, or point base_url at a local server"
            )
        return PLACEHOLDER_KEY

    def _get_client(self) -> openai.OpenAI:
        # The runner shares one backend between threads; the SDK client is thread-safe.
        with self._client_lock:
            if self._client is None:
                import openai  # imported on first use: `import extractor` stays SDK-free

                # SDK retries off: transport retries happen once, in `call_with_retries`.
                self._client = openai.OpenAI(
                    api_key=self._api_key,
                    base_url=self._base_url,
                    timeout=self.config.timeout,
                    max_retries=0,
                )
            return self._client

    def _messages(self, article: Article) -> list[ChatMessage]:
        messages = self.prompt.render_input(article)
        if self.config.output_mode != "json_schema":
            system = messages[0]
            messages[0] = {
                "role": system["role"],
                "content": f"{system['content']}\n\n{self._schema_note}",
            }
        return messages

    @functools.cached_property
    def _schema(self) -> dict[str, Any]:
        """The answer's JSON Schema as sent: bounded when `max_items` is set."""
        schema = self.prompt.output_json_schema()
        if self.config.max_items is not None:
            schema = bounded_schema(schema, self.config.max_items)
        return schema

    @functools.cached_property
    def _schema_note(self) -> str:
        return self.prompt.schema_instruction(self._schema)

    @functools.cached_property
    def _response_format(self) -> dict[str, Any]:
        # Built once per backend: the schema is the same for every request.
        if self.config.output_mode == "json_object":
            return {"type": "json_object"}
        if self.config.output_mode == "json_object_schema":
            return {"type": "json_object", "schema": self._schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": "event_draft", "strict": True, "schema": self._schema},
        }

    def _complete(self, body: dict[str, Any], counter: _Counter) -> ChatCompletion:
        import httpx

        client = self._get_client()
        messages: list[ChatMessage] = body["messages"]
        limit = self.config.max_output_tokens
        estimate = sum(len(m["content"]) for m in messages) // CHARS_PER_TOKEN + limit // 4

        def request() -> ChatCompletion:
            counter.requests += 1
            with self.gate.request(estimate) as ticket:
                # The SDK's documented way to send a body as is: `chat.completions.create` first
                # walks every message against its parameter types, 1.7 ms of CPU per request
                # against 0.95 ms for the whole call here (a seed-sized article). The reply is
                # taken raw (errors are still the SDK's) and parsed by `parse_completion`.
                reply = client.post("/chat/completions", body=body, cast_to=httpx.Response)
                completion = parse_completion(reply.content)
                ticket.tokens = counter.add_tokens(completion)
            return completion

        def on_retry(_wait: float) -> None:
            counter.retries += 1

        try:
            return call_with_retries(
                request,
                self._policy,
                secrets=self._secrets(),
                on_retry=on_retry,
                endpoint=self._endpoint,
            )
        except ResponseFormatRejected as exc:
            mode = self.config.output_mode
            raise ResponseFormatRejected(
                f"the server at {self._endpoint} rejected output mode {mode} "
                f"(response_format {_FORMAT_SHAPES[mode]}): {exc}; {_MODE_ADVICE[mode]}"
            ) from None

    def answer_content(self, completion: ChatCompletion) -> str:
        """The answer's text; raises `BackendRefusal` or `OutputTruncated` for those answers."""
        if not completion.choices:
            raise BackendError("the endpoint returned no choices")
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal or choice.finish_reason == "content_filter":
            reason = self._scrub(refusal or "content filter")[:200]
            raise BackendRefusal(f"model refused: {reason}")
        if choice.finish_reason == "length":
            raise OutputTruncated(
                f"output stopped at max_output_tokens={self.config.max_output_tokens}: raise "
                "--max-output-tokens (EXTRACT_MAX_OUTPUT_TOKENS, config max_output_tokens) "
                "or lower --context-chars"
            )
        return choice.message.content or ""

    @property
    def _endpoint(self) -> str:
        """The base URL requests go to, as error messages name it."""
        return self._base_url or f"https://{OPENAI_HOST}/v1"

    def _secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key and self._api_key != PLACEHOLDER_KEY else ()

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets())


class _Counter:
    """Usage summed over every request of one article, re-asks and retries included."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.requests = 0
        self.retries = 0
        self.reasks = 0

    def add_tokens(self, completion: ChatCompletion) -> int | None:
        """Count the completion's tokens; returns them (None when the server did not say)."""
        if completion.usage is None:
            return None
        tokens_in = completion.usage.prompt_tokens or 0
        tokens_out = completion.usage.completion_tokens or 0
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        return tokens_in + tokens_out

    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            requests=self.requests,
            retries=self.retries,
            reasks=self.reasks,
        )


def parse_completion(raw: bytes) -> ChatCompletion:
    """A chat-completions reply body as a `ChatCompletion`.

    Validated by pydantic-core, which takes a fifth of the CPU time the SDK's own parsing did;
    a reply that leaves out a field the type requires (some local servers omit ``created`` or
    ``object``) is built leniently, as the SDK builds every reply."""
    from openai.types.chat import ChatCompletion

    try:
        return ChatCompletion.model_validate_json(raw)
    except ValidationError:
        pass
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        shown = raw[:200].decode("utf-8", "replace")
        raise BackendError(f"the endpoint's reply is not a chat completion: {shown!r}")
    return ChatCompletion.model_construct(**data)
