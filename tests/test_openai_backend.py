"""The OpenAI-compatible backend over real HTTP: the real SDK against a scripted local server."""

from __future__ import annotations

import email.utils
import logging
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest

from extractor.articles import Article
from extractor.backends.base import Backend
from extractor.backends.openai_backend import PRESETS, OpenAIBackend, OpenAIConfig
from extractor.backends.registry import create_backend
from extractor.errors import (
    BackendError,
    BackendRefusal,
    ConfigError,
    ExtractorError,
    OutputInvalid,
    OutputTruncated,
)
from extractor.prompts import load_prompt
from extractor.schema import EventDraft, llm_json_schema
from extractor.settings import Settings

from .conftest import REPO
from .fake_openai import (
    Drop,
    FakeOpenAI,
    HttpError,
    Reply,
    rate_limited,
    refusal,
    server_error,
    slow,
    truncated,
    valid_reply,
)

KEY = "sk-test-SECRETKEY-0123456789abcdef"
ARTICLE = Article(
    id="t1",
    title="Ports deal signed",
    text=(
        "Freedonia and Sylvania signed a ports agreement in Lisbon on Monday. "
        "The deal opens three harbours to each other's ships."
    ),
)
DRAFT: dict[str, Any] = {
    "title": "Freedonia and Sylvania sign ports agreement",
    "summary": "Freedonia and Sylvania signed a ports agreement in Lisbon.",
    "event_type": "agreement_signed",
    "date": None,
    "location": {"name": "Lisbon", "evidence": "signed a ports agreement in Lisbon"},
    "parties": [
        {
            "name": "Freedonia",
            "type": "state",
            "role": "signatory",
            "aliases": [],
            "represents": None,
            "evidence": "Freedonia and Sylvania signed a ports agreement",
        }
    ],
    "treaty_terms": [
        {
            "statement": "open three harbours",
            "evidence": "opens three harbours to each other's ships",
        }
    ],
    "allegations": [],
    "denials": [],
}


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the backend asked for; recorded instead of slept."""
    return []


Make = Callable[..., OpenAIBackend]


@pytest.fixture
def make(server: FakeOpenAI, sleeps: list[float]) -> Iterator[Make]:
    """Build backends against `server` (settings overridable); closed after the test."""
    built: list[OpenAIBackend] = []

    def factory(**overrides: Any) -> OpenAIBackend:
        settings: dict[str, Any] = {
            "model": "test-model",
            "base_url": server.base_url,
            "api_key": KEY,
            "timeout": 5.0,
            "max_retries": 2,
            "max_reasks": 2,
            **overrides,
        }
        built.append(OpenAIBackend(OpenAIConfig(**settings), sleep=sleeps.append))
        return built[-1]

    yield factory
    for backend in built:
        backend.close()


def assert_no_key(exc: BaseException) -> None:
    rendered = "".join(traceback.format_exception(exc))
    assert KEY not in rendered
    assert KEY not in repr(exc)


# ------------------------------------------------------------------ happy path


def test_valid_answer(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(valid_reply(DRAFT, prompt_tokens=321, completion_tokens=45))
    backend = make()
    result = backend.extract(ARTICLE)

    assert result.draft == EventDraft.model_validate(DRAFT)
    assert result.model == "test-model"
    assert result.prompt == load_prompt("event_record").ref()
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens) == (321, 45)
    assert (usage.requests, usage.retries, usage.reasks) == (1, 0, 0)
    assert sleeps == []

    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.body
    assert body["model"] == "test-model"
    assert body["temperature"] == 0.0
    assert body["max_tokens"] == 4096  # a non-OpenAI server gets the widely supported field
    assert "max_completion_tokens" not in body
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "event_draft", "strict": True, "schema": llm_json_schema()},
    }
    assert body["messages"][0]["role"] == "system"
    assert ARTICLE.text in body["messages"][-1]["content"]


def test_backend_satisfies_the_protocol(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    backend: Backend = make(context_chars=1234)
    assert backend.name == "openai"
    assert backend.context_chars == 1234


def test_markdown_fenced_json_is_accepted(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    import json

    server.enqueue(Reply(content=f"```json\n{json.dumps(DRAFT)}\n```"))
    result = make().extract(ARTICLE)
    assert result.draft.title == DRAFT["title"]
    assert result.usage.reasks == 0


def test_injected_client_is_used(server: FakeOpenAI, sleeps: list[float]) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-injected-key-000", max_retries=0)
    server.enqueue(valid_reply(DRAFT))
    with client:
        backend = OpenAIBackend(OpenAIConfig(model="m", max_retries=0), client=client)
        backend.extract(ARTICLE)
        backend.close()
        assert not client.is_closed(), "an injected client belongs to the caller"
    assert server.requests[0].headers["authorization"] == "Bearer sk-injected-key-000"


def test_local_server_without_key_gets_a_placeholder(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(valid_reply(DRAFT))
    make(api_key=None).extract(ARTICLE)
    assert server.requests[0].headers["authorization"] == "Bearer not-needed"


def test_key_from_the_environment_comes_through_settings(server: FakeOpenAI) -> None:
    env = {"OPENAI_API_KEY": "sk-from-env-123456", "OPENAI_BASE_URL": server.base_url}
    settings = Settings.resolve(environ=env, backend="openai", model="test-model")
    backend = create_backend(settings)
    server.enqueue(valid_reply(DRAFT))
    try:
        backend.extract(ARTICLE)
    finally:
        backend.close()  # type: ignore[attr-defined]
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env-123456"


def test_the_backend_reads_no_environment(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only `Settings.resolve` reads the environment; a config says everything.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123456")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    with pytest.raises(ConfigError, match="no API key"):
        OpenAIBackend(OpenAIConfig())
    backend = OpenAIBackend(OpenAIConfig(api_key="sk-given-123456789"))
    try:
        assert str(backend._get_client().base_url).startswith("https://api.openai.com/")
    finally:
        backend.close()


def test_openai_itself_without_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIBackend(OpenAIConfig())


# --------------------------------------------------------------------- re-asks


def test_invalid_json_then_valid_is_one_reask_carrying_the_error(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(
        Reply(content="{not json", prompt_tokens=100, completion_tokens=7),
        valid_reply(DRAFT, prompt_tokens=130, completion_tokens=40),
    )
    result = make().extract(ARTICLE)

    assert result.draft == EventDraft.model_validate(DRAFT)
    assert (result.usage.requests, result.usage.reasks, result.usage.retries) == (2, 1, 0)
    assert (result.usage.input_tokens, result.usage.output_tokens) == (230, 47)
    first, second = (r.body["messages"] for r in server.requests)
    assert second[: len(first)] == first
    assert second[-2] == {"role": "assistant", "content": "{not json"}
    assert second[-1]["role"] == "user"
    assert "not valid JSON" in second[-1]["content"]


def test_schema_violation_until_the_budget_runs_out(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    wrong = {**DRAFT, "event_type": "party"}
    server.enqueue(*(valid_reply(wrong, prompt_tokens=100, completion_tokens=9) for _ in range(3)))
    with pytest.raises(OutputInvalid, match="event_type") as caught:
        make(max_reasks=2).extract(ARTICLE)

    assert "after 2 re-asks" in str(caught.value)
    assert len(server.requests) == 3
    # The failed article still cost three answers: the error says so.
    spent = caught.value.usage
    assert spent is not None
    assert (spent.input_tokens, spent.output_tokens) == (300, 27)
    assert (spent.requests, spent.retries, spent.reasks) == (3, 0, 2)
    last = server.requests[-1].body["messages"]
    reasks = [m for m in last if m["role"] == "user" and "event_type" in m["content"]]
    assert len(reasks) == 2
    assert sleeps == [], "a validation failure is not a transport retry"


def test_usage_is_summed_over_reasks_and_retries(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(
        server_error(),
        Reply(content={"title": "only a title"}, prompt_tokens=10, completion_tokens=1),
        rate_limited("0"),
        Reply(content="[]", prompt_tokens=20, completion_tokens=2),
        valid_reply(DRAFT, prompt_tokens=30, completion_tokens=3),
    )
    usage = make().extract(ARTICLE).usage
    assert (usage.input_tokens, usage.output_tokens) == (60, 6)
    assert (usage.requests, usage.retries, usage.reasks) == (5, 2, 2)
    # Transport faults never reach the prompt: only validation errors are re-asked.
    final = server.requests[-1].body["messages"]
    assert not any("Rate limit" in m["content"] or "500" in m["content"] for m in final)


# ----------------------------------------------------------- transport retries


def test_429_honours_retry_after(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(rate_limited("7"), valid_reply(DRAFT))
    result = make().extract(ARTICLE)
    assert sleeps == [7.0]
    assert (result.usage.requests, result.usage.retries) == (2, 1)


def test_429_honours_retry_after_ms(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(HttpError(429, headers={"retry-after-ms": "1500"}), valid_reply(DRAFT))
    make().extract(ARTICLE)
    assert sleeps == [1.5]


def test_429_honours_an_http_date_retry_after(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 6, usegmt=True)
    server.enqueue(HttpError(429, headers={"Retry-After": when}), valid_reply(DRAFT))
    make().extract(ARTICLE)
    assert len(sleeps) == 1
    assert 3.0 <= sleeps[0] <= 6.0


def test_retry_after_is_capped(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(rate_limited("3600"), valid_reply(DRAFT))
    make(max_retry_wait=4.0).extract(ARTICLE)
    assert sleeps == [4.0]


def test_exhausted_quota_is_not_retried(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(HttpError(429, "You exceeded your current quota", "insufficient_quota"))
    with pytest.raises(BackendError, match="quota"):
        make().extract(ARTICLE)
    assert len(server.requests) == 1


def test_500_then_success(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(server_error(), valid_reply(DRAFT))
    result = make(max_retry_wait=2.0).extract(ARTICLE)
    assert len(sleeps) == 1
    assert 0.0 <= sleeps[0] <= 2.0
    assert (result.usage.requests, result.usage.retries) == (2, 1)


def test_500_until_give_up(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(*(server_error() for _ in range(3)))
    with pytest.raises(BackendError, match="gave up after 3 attempts: HTTP 500") as caught:
        make(max_retries=2).extract(ARTICLE)
    assert not isinstance(caught.value, OutputInvalid | BackendRefusal)
    assert len(server.requests) == 3
    assert len(sleeps) == 2
    spent = caught.value.usage
    assert spent is not None
    assert (spent.requests, spent.retries, spent.input_tokens) == (3, 2, 0)


def test_timeout_then_success(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(slow(3.0), valid_reply(DRAFT))
    result = make(timeout=0.3).extract(ARTICLE)
    assert result.draft.title == DRAFT["title"]
    assert (result.usage.requests, result.usage.retries) == (2, 1)


def test_timeouts_until_give_up(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(slow(3.0), slow(3.0))
    with pytest.raises(BackendError, match=r"gave up after 2 attempts.*timed out"):
        make(timeout=0.3, max_retries=1).extract(ARTICLE)
    assert len(server.requests) == 2


def test_dropped_connection_then_success(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(Drop(), valid_reply(DRAFT))
    result = make().extract(ARTICLE)
    assert result.usage.retries == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BackendError), (401, ConfigError), (403, ConfigError), (404, ConfigError)],
)
def test_client_errors_are_typed_and_not_retried(
    make: Make, server: FakeOpenAI, sleeps: list[float], status: int, error: type[ExtractorError]
) -> None:
    server.enqueue(HttpError(status, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(error, match=f"HTTP {status}") as caught:
        make().extract(ARTICLE)
    assert len(server.requests) == 1
    assert sleeps == []
    assert_no_key(caught.value)


def test_one_backend_serves_many_threads(make: Make, server: FakeOpenAI) -> None:
    server.latency = 0.05
    backend = make()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(backend.extract, [ARTICLE] * 16))
    assert all(r.usage.requests == 1 for r in results)
    assert len(server.requests) == 16


# ----------------------------------------------------------- answers refused


def test_truncated_output(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(truncated())
    with pytest.raises(OutputTruncated, match="max_output_tokens=512"):
        make(max_output_tokens=512).extract(ARTICLE)
    assert len(server.requests) == 1


def test_refusal(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(refusal("I can't help with that."))
    with pytest.raises(BackendRefusal, match="can't help"):
        make().extract(ARTICLE)


def test_content_filter_is_a_refusal(make: Make, server: FakeOpenAI, sleeps: list[float]) -> None:
    server.enqueue(Reply(content="", finish_reason="content_filter"))
    with pytest.raises(BackendRefusal, match="content filter"):
        make().extract(ARTICLE)


# ------------------------------------------------------------- output modes


def test_json_object_mode_sends_json_object_and_puts_the_schema_in_the_prompt(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(valid_reply(DRAFT))
    make(output_mode="json_object").extract(ARTICLE)
    body = server.requests[0].body
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert "JSON Schema" in system
    assert '"treaty_terms"' in system


def test_json_schema_mode_keeps_the_schema_out_of_the_prompt(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(valid_reply(DRAFT))
    make().extract(ARTICLE)
    assert "JSON Schema" not in server.requests[0].body["messages"][0]["content"]


# ---------------------------------------------------------------- the key


def test_key_never_in_repr_fingerprint_errors_or_logs(
    make: Make, server: FakeOpenAI, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    backend = make(max_retries=1)
    assert KEY not in repr(backend.config)
    assert KEY not in repr(backend)
    assert KEY not in str(backend.fingerprint())

    echo = f"Incorrect API key provided: {KEY} (half-masked {KEY[:8]}***{KEY[-4:]})"
    server.enqueue(HttpError(500, echo), HttpError(500, echo))
    with caplog.at_level(logging.DEBUG), pytest.raises(BackendError) as caught:
        backend.extract(ARTICLE)
    assert_no_key(caught.value)
    assert KEY[:8] + "***" not in str(caught.value)
    assert caplog.records, "retries are logged"
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_refusal_text_echoing_the_key_is_scrubbed(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    server.enqueue(refusal(f"no, {KEY}"))
    with pytest.raises(BackendRefusal) as caught:
        make().extract(ARTICLE)
    assert_no_key(caught.value)


# ------------------------------------------------------------ fingerprint


def test_fingerprint_names_what_changes_the_output(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    backend = make()
    print_ = backend.fingerprint()
    assert print_["backend"] == "openai"
    assert print_["model"] == "test-model"
    assert print_["base_url_host"] == f"127.0.0.1:{server.port}"
    assert print_["prompt_sha256"] == load_prompt("event_record").sha256
    assert all(isinstance(v, str) for v in print_.values())
    other = make(output_mode="json_object").fingerprint()
    assert other != print_
    assert make(temperature=0.5).fingerprint() != print_


# ----------------------------------------------------------------- config


def test_presets_and_overrides() -> None:
    config = OpenAIConfig.from_preset("ollama", model="llama3.1:8b")
    assert config.base_url == "http://localhost:11434/v1"
    assert config.model == "llama3.1:8b"
    assert set(PRESETS) >= {"ollama", "vllm", "llamacpp", "lmstudio"}
    for name in PRESETS:
        assert OpenAIConfig.from_preset(name).base_url
    with pytest.raises(ConfigError, match="unknown preset"):
        OpenAIConfig.from_preset("nope")
    with pytest.raises(ConfigError, match="unknown OpenAI settings"):
        OpenAIConfig.from_preset("vllm", colour="red")


@pytest.mark.parametrize(
    "bad",
    [
        {"output_mode": "xml"},
        {"timeout": 0},
        {"max_retries": -1},
        {"max_reasks": -1},
        {"model": ""},
    ],
)
def test_bad_config_is_a_config_error(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        OpenAIConfig(**bad)


def test_unknown_prompt_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no version"):
        OpenAIBackend(OpenAIConfig(base_url="http://127.0.0.1:9/v1", prompt_version="999"))


# ------------------------------------------------------- the fake server itself


@pytest.mark.parametrize("mode", ["json_schema", "json_object"])
def test_default_answer_follows_the_sent_schema_and_quotes_the_article(
    make: Make, server: FakeOpenAI, sleeps: list[float], mode: str
) -> None:
    result = make(output_mode=mode).extract(ARTICLE)
    assert result.usage.reasks == 0
    draft = result.draft
    quotes = [p.evidence for p in draft.parties] + [t.evidence for t in draft.treaty_terms]
    assert quotes and all(quote in ARTICLE.text for quote in quotes)
    # Unscripted answers estimate tokens from the request: the prompt is far longer than the answer.
    assert result.usage.input_tokens > 4 * result.usage.output_tokens > 0


def test_an_article_without_sentences_still_gets_a_valid_answer(
    make: Make, server: FakeOpenAI, sleeps: list[float]
) -> None:
    for text in ("x", "no capitals, no full stop"):
        result = make().extract(Article(id="odd", text=text))
        assert result.usage.reasks == 0


def test_seeded_faults_are_reproducible(sleeps: list[float]) -> None:
    def outcomes(seed: int) -> list[int]:
        with FakeOpenAI(fault_rate=0.5, seed=seed) as fake:
            config = OpenAIConfig(model="m", base_url=fake.base_url, max_retries=0)
            backend = OpenAIBackend(config, sleep=sleeps.append)
            results = []
            for _ in range(8):
                try:
                    backend.extract(ARTICLE)
                    results.append(1)
                except BackendError:
                    results.append(0)
            backend.close()
            return results

    first = outcomes(3)
    assert first == outcomes(3)
    assert 0 < sum(first) < len(first)


@pytest.mark.slow
def test_runs_standalone(sleeps: list[float]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai", "--port", "0", "--latency", "0.01"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.strip().rsplit(" ", 1)[-1]
        assert base_url.startswith("http://127.0.0.1:")
        config = OpenAIConfig(model="m", base_url=base_url, max_retries=0)
        with OpenAIBackend(config, sleep=sleeps.append) as backend:
            result = backend.extract(ARTICLE)
        assert result.usage.requests == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
