"""Transport retries for one HTTP call, in one place, and SDK errors mapped to typed errors.

Only transport faults are retried here (429, 5xx, timeouts, dropped connections). A reply that
arrives but does not validate is the caller's business (a re-ask), so a rate-limit message can
never end up inside a prompt (567-labs/instructor issue #1907).
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from extractor.errors import BackendError, ConfigError, ExtractorError, ResponseFormatRejected

log = logging.getLogger(__name__)
T = TypeVar("T")

# Anything shaped like an OpenAI key, also the half-masked form servers echo back ("sk-ab***yz").
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{6,}")
_MAX_MESSAGE = 300
# What servers say when they do not take the request's `response_format`: OpenAI and vLLM
# (400, naming response_format or json_schema), pydantic-validated servers such as
# llama-cpp-python's (a 500 or 422 "Input should be 'text' or 'json_object'").
_FORMAT_REJECTED = re.compile(
    r"response_format|json_schema|input should be 'text'|'json_object'", re.IGNORECASE
)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret and anything key-shaped replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _KEY_SHAPE.sub("sk-***", text)


@dataclass(frozen=True)
class RetryPolicy:
    """How transport faults are retried. `sleep` is injectable so tests need not wait."""

    max_retries: int
    max_wait: float = 30.0
    base_wait: float = 0.5
    sleep: Callable[[float], None] = time.sleep


def is_format_rejection(exc: BaseException) -> bool:
    """True for a 400, 422 or 500 whose body says the response format is not accepted."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422, 500):
        return False
    said = f"{getattr(exc, 'message', '')} {exc.body!r}"
    return _FORMAT_REJECTED.search(said) is not None


def is_connection_refused(exc: BaseException) -> bool:
    """True when nothing listens at the address (the cause chain holds ECONNREFUSED)."""
    if not isinstance(exc, openai.APIConnectionError) or isinstance(exc, openai.APITimeoutError):
        return False
    seen: BaseException | None = exc
    for _ in range(10):  # the SDK wraps httpx, which wraps httpcore, which wraps the OSError
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "connection refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def is_transient(exc: BaseException) -> bool:
    """True for faults worth retrying: timeouts, connection errors, 408/409/429/5xx (but not
    a 500 that rejects the response format: sending it again changes nothing)."""
    if is_format_rejection(exc):
        return False
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.RateLimitError):
        # An exhausted quota is a 429 too, but waiting will not fix it.
        return exc.code != "insufficient_quota"
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409) or exc.status_code >= 500
    return False


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms` or `Retry-After`), if it said."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


class _Wait:
    """Honour the server's Retry-After, else exponential backoff with full jitter; both capped."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._cap = policy.max_wait
        self._backoff = wait_random_exponential(multiplier=policy.base_wait, max=policy.max_wait)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        asked = retry_after(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self._cap)
        return float(self._backoff(state))


def call_with_retries(
    request: Callable[[], T],
    policy: RetryPolicy,
    *,
    secrets: Iterable[str] = (),
    on_retry: Callable[[float], None] = lambda _wait: None,
    endpoint: str | None = None,
) -> T:
    """Run `request`, retrying transport faults; SDK errors come out as `ExtractorError`s
    (`endpoint`, the base URL, is named when nothing listens there)."""
    hidden = tuple(secrets)

    def before_sleep(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        exc = state.outcome.exception() if state.outcome is not None else None
        on_retry(wait)
        log.warning(
            "transport fault (%s), retry %d/%d in %.2fs",
            scrub(_describe(exc), hidden),
            state.attempt_number,
            policy.max_retries,
            wait,
        )

    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=_Wait(policy),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(request)
    except openai.OpenAIError as exc:
        # `from None`: the SDK error's own text may carry the key, so it is not chained.
        attempts = policy.max_retries + 1
        raise typed_error(exc, attempts=attempts, secrets=hidden, endpoint=endpoint) from None


def typed_error(
    exc: openai.OpenAIError,
    *,
    attempts: int,
    secrets: Iterable[str],
    endpoint: str | None = None,
) -> ExtractorError:
    """The `ExtractorError` for an SDK error, with a scrubbed, actionable message."""
    what = scrub(_describe(exc), secrets)
    if is_format_rejection(exc):
        return ResponseFormatRejected(what)
    if is_connection_refused(exc):
        # Every later article would be refused the same way: a configuration error.
        where = scrub(endpoint, secrets) if endpoint else "the configured base URL"
        return ConfigError(
            f"connection refused at {where} after {attempts} attempts: is the server "
            "running there? (check --base-url / OPENAI_BASE_URL)"
        )
    if is_transient(exc):
        return BackendError(f"gave up after {attempts} attempts: {what}")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ConfigError(f"the endpoint rejected the credentials (check the API key): {what}")
    if isinstance(exc, openai.NotFoundError):
        return ConfigError(f"not found (check the model name and base URL): {what}")
    if isinstance(exc, openai.RateLimitError):
        return BackendError(f"quota exhausted, not retried: {what}")
    return BackendError(f"request failed, not retried: {what}")


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    if isinstance(exc, openai.APIStatusError):
        message = getattr(exc, "message", "") or str(exc)
        text = f"HTTP {exc.status_code} {type(exc).__name__}: {message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
