"""Output modes against servers that take only some response formats; the answer's token limit;
an address where nothing listens. All over real HTTP, through `extract run`."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.backends.openai_backend import OpenAIConfig
from extractor.cli import app
from extractor.schema import llm_json_schema
from extractor.settings import Settings
from tests.conftest import REPO
from tests.fake_openai import (
    FakeOpenAI,
    HttpError,
    llama_cpp_python_rejection,
    server_error,
    truncated,
    unsupported_format,
)
from tests.schema_answers import article_text

SEEDS = REPO / "seeds"
#: llama-cpp-python's server: no `json_schema`, but `json_object` with or without a schema.
LLAMA_CPP_PYTHON = ("text", "json_object", "json_object+schema")


def run_seeds(base_url: str, out: Path, *extra: str) -> tuple[Result, list[dict[str, Any]]]:
    args = [
        "run", str(SEEDS), "--out", str(out), "--backend", "openai", "--model", "m",
        "--base-url", base_url, "--no-cache", "--concurrency", "1", *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": "dummy"})
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return result, lines


def test_json_object_schema_mode_sends_the_schema_beside_json_object_and_in_the_prompt(
    tmp_path: Path,
) -> None:
    with FakeOpenAI(accepts=LLAMA_CPP_PYTHON, rejection=llama_cpp_python_rejection()) as server:
        result, lines = run_seeds(
            server.base_url, tmp_path / "o.jsonl", "--output-mode", "json_object_schema"
        )
        body = server.requests[0].body
    assert result.exit_code == 0, result.output
    assert ["record" in line for line in lines] == [True] * 5
    assert body["response_format"] == {"type": "json_object", "schema": llm_json_schema()}
    assert "JSON Schema" in body["messages"][0]["content"]


def test_the_llamacpp_preset_takes_the_mode_llama_cpp_servers_accept() -> None:
    assert OpenAIConfig.from_preset("llamacpp").output_mode == "json_object_schema"


@pytest.mark.parametrize(
    ("rejection", "status"),
    [(llama_cpp_python_rejection(), "HTTP 500"), (unsupported_format(), "HTTP 400")],
)
def test_a_rejected_response_format_is_one_configuration_error_naming_the_mode_to_use(
    tmp_path: Path, rejection: HttpError, status: str
) -> None:
    with FakeOpenAI(accepts=LLAMA_CPP_PYTHON, rejection=rejection) as server:
        result, lines = run_seeds(server.base_url, tmp_path / "o.jsonl", "--max-retries", "5")
        asked = [article_text(request.body) for request in server.requests]
    assert result.exit_code == 2
    # Not retried, and no article sent after the first rejection: at most the one already
    # waiting for the slot (twice as many threads as slots) got its single request in.
    assert len(asked) == len(set(asked)) <= 2
    skipped = [line for line in lines if "skipped after" in line["error"]["message"]]
    assert len(skipped) == 5 - len(asked)
    first = lines[0]["error"]
    assert first["type"] == "config_error"
    assert status in first["message"]
    assert "rejected output mode json_schema" in first["message"]
    assert "--output-mode json_object_schema" in first["message"]
    assert server.base_url in first["message"]
    assert all(line["error"]["type"] == "config_error" for line in lines[1:])
    assert "rejected output mode" in result.output  # the summary says why it stopped


def test_a_plain_500_is_still_retried(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        server.enqueue(server_error(), server_error())
        result, lines = run_seeds(server.base_url, tmp_path / "o.jsonl", "--max-retries", "3")
    assert result.exit_code == 0, result.output
    assert ["record" in line for line in lines] == [True] * 5


# ---------------------------------------------------------------- max output tokens


def test_max_output_tokens_is_sent_and_named_when_the_answer_is_cut(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        server.enqueue(truncated())
        result, lines = run_seeds(
            server.base_url, tmp_path / "o.jsonl", "--max-output-tokens", "777"
        )
        limits = {request.body["max_tokens"] for request in server.requests}
    assert result.exit_code == 1
    assert limits == {777}
    # Whichever article got the cut answer (two threads share the slot).
    (error,) = [line["error"] for line in lines if "error" in line]
    assert error["type"] == "truncated"
    assert "max_output_tokens=777" in error["message"]
    assert "--max-output-tokens" in error["message"]


def test_max_output_tokens_precedence_and_validation(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_output_tokens = 1000\n", encoding="utf-8")
    assert Settings.resolve(environ={}, config=config).max_output_tokens == 1000
    env = {"EXTRACT_MAX_OUTPUT_TOKENS": "2000"}
    assert Settings.resolve(environ=env, config=config).max_output_tokens == 2000
    flag = Settings.resolve(environ=env, config=config, max_output_tokens=3000)
    assert flag.max_output_tokens == 3000
    assert Settings.resolve(environ={}).max_output_tokens is None  # the backend's default
    assert OpenAIConfig().max_output_tokens == 4096


# ------------------------------------------------------------- connection refused


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_a_configuration_error_naming_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result, lines = run_seeds(url, tmp_path / "o.jsonl", "--max-retries", "1")
    assert result.exit_code == 2
    first = lines[0]["error"]
    assert first["type"] == "config_error"
    assert f"connection refused at {url} after 2 attempts" in first["message"]
    assert first["usage"]["retries"] == 1  # the first article's retries ran
    # The article already waiting for the slot tries too; none after it is sent.
    messages = [line["error"]["message"] for line in lines[1:]]
    assert all(url in message for message in messages)
    assert sum("skipped after a configuration error" in message for message in messages) >= 3
