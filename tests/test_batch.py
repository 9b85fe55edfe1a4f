"""`extract batch`: submit, status and collect against a local Files + Batches API.

The server (`tests/fake_batches.py`) is real HTTP driven through the real openai SDK; it answers
each request line from the schema in its own body, and scripts failed, expired and cancelled
batches, per-line errors, invalid answers, malformed output lines and a batch that never ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from extractor.batch.lines import Answer, OutputLineError, RequestLine, custom_id, shard_lines
from extractor.cli import app
from extractor.errors import ConfigError
from extractor.schema import Usage
from extractor.usage import PriceTable
from tests.fake_batches import BatchScript, FakeBatchAPI
from tests.fake_openai import FakeOpenAI, Reply, _completion
from tests.test_resume import count_lines, kill_when, run_to_end

MODEL = "gpt-4o-mini"
runner = CliRunner()


def make_corpus(path: Path, count: int) -> list[str]:
    """`count` short articles as JSON Lines; returns their ids."""
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            article_id = f"a{number:04d}"
            text = (
                f"Delegations from Freedonia and Sylvania met in Geneva for round {number} of "
                f"talks on Monday, officials said. The Swiss hosts said round {number} ended "
                "without an agreement, and both sides denied walking out."
            )
            handle.write(json.dumps({"id": article_id, "text": text}) + "\n")
            ids.append(article_id)
    return ids


def batch(*args: str) -> Result:
    return runner.invoke(app, ["batch", *args])


def submit(api: FakeBatchAPI, corpus: Path, out: Path, *extra: str) -> Result:
    result = batch(
        "submit", str(corpus), "--out", str(out), "--base-url", api.base_url, "--model", MODEL,
        *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result


def collect(out: Path, *extra: str) -> Result:
    return batch("collect", "--out", str(out), "--poll-interval", "0.001", *extra)


def state_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(out.with_name(out.name + ".batch.json").read_text())
    return data


def lines_of(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def request_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def api() -> Any:
    with FakeBatchAPI() as server:
        yield server


# ---------------------------------------------------------------------- submit


def test_request_lines_carry_exactly_the_bodies_a_live_run_sends(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    make_corpus(corpus, 3)
    with FakeOpenAI() as chat:
        live = runner.invoke(
            app,
            ["run", str(corpus), "--backend", "openai", "--base-url", chat.base_url, "--model",
             MODEL, "--out", str(tmp_path / "live.jsonl"), "--no-cache", "-j", "1"],
        )  # fmt: skip
        assert live.exit_code == 0, live.output
        sent = [request.body for request in chat.requests]
    out = tmp_path / "run.jsonl"
    submit(api, corpus, out)
    (batch_id,) = api.request_lines
    lines = api.request_lines[batch_id]
    assert [line["body"] for line in lines] == sent
    for line in lines:
        assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
        assert line["custom_id"] == custom_id(line["body"])
        assert RequestLine.model_validate(line).custom_id == line["custom_id"]
    # The batch id is in the state file beside --out, and collect has not run yet.
    (shard,) = state_of(out)["shards"]
    assert shard["batch_id"] == batch_id
    assert shard["input_file_id"] == api.batches[batch_id].input_file_id
    assert not out.exists()


def test_requests_are_sharded_by_the_provider_limits_and_long_articles_chunked(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    make_corpus(corpus, 5)
    long_text = " ".join(
        f"Sentence {n} says that Freedonia and Sylvania talked again in Geneva." for n in range(40)
    )
    with corpus.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "long", "text": long_text}) + "\n")
    out = tmp_path / "run.jsonl"
    submit(api, corpus, out, "--max-requests-per-file", "4", "--context-chars", "1000")
    shards = state_of(out)["shards"]
    chunks = -(-len(long_text) // 1000)  # at least this many windows of 1000 characters
    total = sum(shard["requests"] for shard in shards)
    assert total >= 5 + chunks
    assert len(shards) == -(-total // 4) and all(s["requests"] <= 4 for s in shards)
    assert len(api.batches) == len(shards)
    sent = [line for lines in api.request_lines.values() for line in lines]
    assert len({line["custom_id"] for line in sent}) == total
    # Byte limit: no file over it, every request still sent once.
    out2 = tmp_path / "bytes.jsonl"
    submit(api, corpus, out2, "--max-file-bytes", "20000", "--context-chars", "1000")
    shards2 = state_of(out2)["shards"]
    assert len(shards2) > 1 and all(s["size"] <= 20000 for s in shards2)
    assert sum(s["requests"] for s in shards2) == total


def test_submit_twice_sends_nothing_twice(tmp_path: Path, api: FakeBatchAPI) -> None:
    corpus = tmp_path / "corpus.jsonl"
    make_corpus(corpus, 4)
    out = tmp_path / "run.jsonl"
    submit(api, corpus, out, "--max-requests-per-file", "2")
    submit(api, corpus, out, "--max-requests-per-file", "2")
    assert len(api.batches) == 2
    assert len([f for f in api.files.values() if f["purpose"] == "batch"]) == 2


# ---------------------------------------------------------------------- collect


def test_collect_writes_one_line_per_article_at_the_batch_price(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 6)
    out = tmp_path / "run.jsonl"
    submit(api, corpus, out)
    summary = tmp_path / "summary.json"
    result = collect(out, "--summary-json", str(summary))
    assert result.exit_code == 0, result.output
    lines = lines_of(out)
    assert [line["article"] for line in lines] == ids
    assert all("record" in line for line in lines)
    # Grounded like a live run: the fake quotes the article, so every quote is found in it.
    assert all(e["verified"] for line in lines for e in _evidence(line["record"]))
    data = json.loads(summary.read_text())
    price = PriceTable.load().lookup(MODEL)
    assert price is not None and price.batch_input is not None and price.batch_output is not None
    expected = (
        data["input_tokens"] * price.batch_input + data["output_tokens"] * price.batch_output
    ) / 1e6
    assert data["input_tokens"] > 0
    assert data["cost_usd"] == pytest.approx(expected, abs=1e-6)
    live = (data["input_tokens"] * price.input + data["output_tokens"] * price.output) / 1e6
    assert data["live_cost_usd"] == pytest.approx(live, abs=1e-6)
    assert "the same calls live would have cost" in result.output
    per_line = sum(line["record"]["provenance"]["usage"]["cost_usd"] for line in lines)
    assert per_line == pytest.approx(expected, abs=1e-6)


def test_the_lines_are_the_ones_a_live_run_keeps(tmp_path: Path, api: FakeBatchAPI) -> None:
    corpus = tmp_path / "corpus.jsonl"
    make_corpus(corpus, 3)
    out = tmp_path / "run.jsonl"
    submit(api, corpus, out)
    assert collect(out).exit_code == 0
    before = out.read_bytes()
    # A live run with the same settings on the same output keeps every line: same fingerprint.
    live = runner.invoke(
        app,
        ["run", str(corpus), "--backend", "openai", "--base-url", api.base_url, "--model", MODEL,
         "--out", str(out), "--no-cache"],
    )  # fmt: skip
    assert live.exit_code == 0, live.output
    assert "resumed 3" in live.output
    assert out.read_bytes() == before


def test_invalid_answers_are_reasked_in_one_follow_up_batch(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 8)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(invalid=frozenset({1, 4, 6})))
    submit(api, corpus, out)
    summary = tmp_path / "summary.json"
    result = collect(out, "--summary-json", str(summary))
    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(out)] == ids
    assert len(api.batches) == 2
    _first, follow_up = api.request_lines.values()
    assert len(follow_up) == 3
    for line in follow_up:  # the re-ask carries the invalid answer and the validation error
        roles = [m["role"] for m in line["body"]["messages"]]
        assert roles[-2:] == ["assistant", "user"]
        assert line["body"]["messages"][-2]["content"] == "not JSON at all"
        assert "not valid JSON" in line["body"]["messages"][-1]["content"]
    data = json.loads(summary.read_text())
    assert data["batch"]["follow_up_batches"] == 1 and data["batch"]["reasks_sent"] == 3
    assert data["reasks"] == 3 and data["requests"] == 11
    reasked = [line for line in lines_of(out) if line["record"]["provenance"]["usage"]["reasks"]]
    assert [line["article"] for line in reasked] == [ids[1], ids[4], ids[6]]


def test_reask_live_sends_the_reasks_to_the_chat_endpoint_at_the_live_price(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 4)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(invalid=frozenset({2})))
    submit(api, corpus, out)
    result = collect(out, "--reask-live")
    assert result.exit_code == 0, result.output
    assert len(api.batches) == 1  # no follow-up batch
    ((body, live_usage),) = api.chat
    assert body["messages"][-2]["content"] == "not JSON at all"
    lines = lines_of(out)
    assert [line["article"] for line in lines] == ids
    usage = lines[2]["record"]["provenance"]["usage"]
    assert usage["reasks"] == 1 and usage["requests"] == 2
    price = PriceTable.load().lookup(MODEL)
    assert price is not None and price.batch_input is not None and price.batch_output is not None
    live_in, live_out = live_usage["prompt_tokens"], live_usage["completion_tokens"]
    batch_in, batch_out = usage["input_tokens"] - live_in, usage["output_tokens"] - live_out
    expected = (
        batch_in * price.batch_input + batch_out * price.batch_output
        + live_in * price.input + live_out * price.output
    ) / 1e6  # fmt: skip
    assert usage["cost_usd"] == pytest.approx(expected, abs=1e-9)


def test_expired_batch_keeps_the_finished_lines_and_resubmits_the_rest(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 10)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(outcome="expired", answered=0.6))
    submit(api, corpus, out)
    summary = tmp_path / "summary.json"
    result = collect(out, "--summary-json", str(summary))
    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(out)] == ids
    first, follow_up = api.request_lines.values()
    assert [line["custom_id"] for line in follow_up] == [line["custom_id"] for line in first[6:]]
    assert json.loads(summary.read_text())["batch"]["resubmitted"] == 4


def test_cancelled_batch_with_unfinished_error_gives_typed_error_lines(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 10)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(outcome="cancelled", answered=0.3))
    submit(api, corpus, out)
    result = collect(out, "--unfinished", "error")
    assert result.exit_code == 1, result.output
    lines = lines_of(out)
    assert [line["article"] for line in lines] == ids
    assert all("record" in line for line in lines[:3])
    assert [line["error"]["type"] for line in lines[3:]] == ["batch_unfinished"] * 7
    assert len(api.batches) == 1


def test_failed_batch_is_resubmitted_once_then_typed_errors(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 3)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(outcome="failed"), BatchScript(outcome="failed"))
    submit(api, corpus, out)
    result = collect(out)
    assert result.exit_code == 1, result.output
    lines = lines_of(out)
    assert [line["article"] for line in lines] == ids
    assert {line["error"]["type"] for line in lines} == {"batch_unfinished"}
    assert len(api.batches) == 2  # the first, and the one resubmission


def test_per_line_errors_are_typed_error_lines(tmp_path: Path, api: FakeBatchAPI) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 5)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(line_errors=frozenset({0, 3})))
    submit(api, corpus, out)
    result = collect(out)
    assert result.exit_code == 1, result.output
    lines = lines_of(out)
    assert [line["article"] for line in lines] == ids
    assert lines[0]["error"]["type"] == "backend_error"
    assert "HTTP 500" in lines[0]["error"]["message"]
    assert [("record" in line) for line in lines] == [False, True, True, False, True]


def test_a_malformed_output_line_is_skipped_and_its_request_resubmitted(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 4)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(malformed=frozenset({2})))
    submit(api, corpus, out)
    result = collect(out)
    assert result.exit_code == 0, result.output
    assert "malformed output lines 1" in result.output
    assert [line["article"] for line in lines_of(out)] == ids
    _first, follow_up = api.request_lines.values()
    assert len(follow_up) == 1


def test_a_batch_that_never_finishes_stops_at_the_timeout(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    make_corpus(corpus, 3)
    out = tmp_path / "run.jsonl"
    api.enqueue(BatchScript(outcome="never"))
    submit(api, corpus, out)
    result = collect(out, "--timeout", "2", "--max-poll-interval", "0.05")
    assert result.exit_code == 75, result.output
    assert "not finished" in result.output and "in_progress" in result.output
    assert not out.exists()
    assert api.polls >= 2  # polled again and again, then gave up
    status = batch("status", "--out", str(out))
    assert status.exit_code == 0
    assert "in_progress" in status.output


def test_collect_without_a_submit_is_a_usage_error(tmp_path: Path) -> None:
    result = collect(tmp_path / "nothing.jsonl")
    assert result.exit_code == 2
    assert "extract batch submit" in result.output


# ---------------------------------------------------------------------- other engines


def run_batch_offline(requests: Path, output: Path, *, old_vllm: bool = False) -> None:
    """What `vllm run-batch -i requests -o output` does, answering from each line's schema."""
    with output.open("w", encoding="utf-8") as handle:
        for number, line in enumerate(request_lines(requests)):
            completion = _completion(line["body"], Reply())
            response: dict[str, Any] = completion
            if not old_vllm:
                response = {"status_code": 200, "request_id": f"r{number}", "body": completion}
            entry = {"id": f"vllm-{number}", "custom_id": line["custom_id"], "response": response}
            handle.write(json.dumps({**entry, "error": None}) + "\n")


@pytest.mark.parametrize("old_vllm", [False, True])
def test_file_only_then_from_file(tmp_path: Path, old_vllm: bool) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 4)
    out = tmp_path / "run.jsonl"
    requests = tmp_path / "batch.jsonl"
    result = batch(
        "submit", str(corpus), "--out", str(out), "--model", "Qwen/Qwen2.5-7B-Instruct",
        "--file-only", str(requests),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(request_lines(requests)) == 4
    pending = collect(out)
    assert pending.exit_code == 75
    assert "vllm run-batch" in pending.output
    output = tmp_path / "output.jsonl"
    run_batch_offline(requests, output, old_vllm=old_vllm)
    result = collect(out, "--from-file", str(output))
    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(out)] == ids
    assert all("record" in line for line in lines_of(out))


def test_file_only_reasks_go_to_a_follow_up_file(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 3)
    out = tmp_path / "run.jsonl"
    requests = tmp_path / "batch.jsonl"
    assert (
        batch("submit", str(corpus), "--out", str(out), "--file-only", str(requests)).exit_code == 0
    )
    output = tmp_path / "output.jsonl"
    run_batch_offline(requests, output)
    # One answer is not JSON: collect writes the re-ask for it in a follow-up file.
    answers = output.read_text().splitlines()
    broken = json.loads(answers[1])
    broken["response"]["body"]["choices"][0]["message"]["content"] = "not JSON at all"
    answers[1] = json.dumps(broken)
    output.write_text("\n".join(answers) + "\n")
    pending = collect(out, "--from-file", str(output))
    assert pending.exit_code == 75, pending.output
    follow_up = out.with_name(out.name + ".batch") / "follow-up-1.jsonl"
    assert follow_up.is_file() and str(follow_up) in pending.output
    assert len(request_lines(follow_up)) == 1
    second = tmp_path / "output-2.jsonl"
    run_batch_offline(follow_up, second)
    result = collect(out, "--from-file", str(second))  # the first output file is remembered
    assert result.exit_code == 0, result.output
    assert [line["article"] for line in lines_of(out)] == ids
    assert lines_of(out)[1]["record"]["provenance"]["usage"]["reasks"] == 1


def _evidence(record: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for key in ("date", "location"):
        if record.get(key):
            items.append(record[key]["evidence"])
    for key in ("parties", "treaty_terms", "allegations", "denials"):
        items.extend(item["evidence"] for item in record[key])
    return items


# ---------------------------------------------------------------------- kill -9


def test_1000_articles_submit_kill_9_collect_kill_9_nothing_lost_nothing_twice(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    ids = make_corpus(corpus, 1000)
    out = tmp_path / "run.jsonl"
    state_file = out.with_name(out.name + ".batch.json")

    def shards() -> list[dict[str, Any]]:
        try:
            return list(json.loads(state_file.read_text())["shards"])
        except (OSError, ValueError, KeyError):
            return []

    with FakeBatchAPI(latency=0.05) as api:
        api.enqueue(
            BatchScript(invalid=frozenset({3, 77, 150})), BatchScript(invalid=frozenset({10}))
        )
        submit_args = [
            sys.executable, "-m", "extractor", "batch", "submit", str(corpus), "--out", str(out),
            "--base-url", api.base_url, "--model", MODEL, "--max-requests-per-file", "250",
        ]  # fmt: skip
        collect_args = [
            sys.executable, "-m", "extractor", "batch", "collect", "--out", str(out),
            "--poll-interval", "0.01", "--summary-json", str(tmp_path / "summary.json"),
        ]  # fmt: skip
        # Killed once a batch exists and before the last: the rest is sent by the second run.
        kill_when(submit_args, tmp_path, lambda: any(s["batch_id"] for s in shards()))
        created = sum(1 for s in shards() if s["batch_id"])
        assert 1 <= created < 4
        assert run_to_end(submit_args, tmp_path).returncode == 0
        # Killed while it polls, once the follow-up batch of re-asks exists; then while it writes.
        kill_when(
            collect_args, tmp_path, lambda: any(s["round"] == 1 and s["batch_id"] for s in shards())
        )
        kill_when(collect_args, tmp_path, lambda: count_lines(out) >= 100)
        assert 100 <= count_lines(out) < 1000
        final = run_to_end(collect_args, tmp_path)
        assert final.returncode == 0, final.stderr

        lines = lines_of(out)
        assert len(lines) == 1000
        assert [line["article"] for line in lines] == ids  # none lost, none twice, in order
        assert all("record" in line for line in lines)
        # Every batch is in the state file; none was created twice; one follow-up of re-asks.
        state = shards()
        assert sorted(s["batch_id"] for s in state) == sorted(api.batches)
        assert len(api.batches) == 5
        inputs = [b.input_file_id for b in api.batches.values()]
        assert len(set(inputs)) == len(inputs)
        uploads = [f["filename"] for f in api.files.values() if f["purpose"] == "batch"]
        assert len(set(uploads)) == len(uploads) == 5
        (follow_up,) = [s for s in state if s["round"] == 1]
        assert follow_up["requests"] == 4
        counts = json.loads((tmp_path / "summary.json").read_text())["batch"]
        assert counts["follow_up_batches"] == 1 and counts["reasks_sent"] == 4
        usages = [line["record"]["provenance"]["usage"] for line in lines]
        reasked = [
            line["article"] for line, usage in zip(lines, usages, strict=True) if usage["reasks"]
        ]
        assert reasked == [ids[3], ids[77], ids[150], ids[250 + 10]]
        # Cost at the batch price, line by line.
        prices = PriceTable.load()
        for usage in usages:
            cost = prices.cost(MODEL, Usage.model_validate(usage), batch=True)
            assert cost is not None and cost < prices.cost(MODEL, Usage.model_validate(usage))
            assert usage["cost_usd"] == pytest.approx(cost, abs=1e-9)


# ---------------------------------------------------------------------- the formats


def test_output_lines_of_every_shape_are_read() -> None:
    completion = _completion({"messages": [], "model": MODEL}, Reply(content={"a": 1}))
    wrapped = {"custom_id": "c1", "response": {"status_code": 200, "body": completion}}
    assert Answer.parse(json.dumps(wrapped)).completion == completion
    bare = {"custom_id": "c2", "response": completion, "error": None}  # older vLLM
    assert Answer.parse(json.dumps(bare)).completion == completion
    failed = {
        "custom_id": "c3",
        "response": {"status_code": 429, "body": {"error": {"message": "slow down"}}},
    }
    answer = Answer.parse(json.dumps(failed))
    assert answer.completion is None and not answer.unfinished
    assert answer.message == "HTTP 429: slow down"
    expired = {"custom_id": "c4", "response": None, "error": {"code": "batch_expired"}}
    assert Answer.parse(json.dumps(expired)).unfinished
    for bad in ('{"custom_id": "c5", "response": {"status_code": 200}', '{"response": {}}', "[]"):
        with pytest.raises(OutputLineError):
            Answer.parse(bad)


def test_shards_respect_both_limits() -> None:
    lines = [f"line {n:02d}" + "x" * n for n in range(30)]
    shards = list(shard_lines(lines, max_requests=7, max_bytes=120))
    assert b"".join(b"".join(shard) for shard in shards).decode() == "".join(
        line + "\n" for line in lines
    )
    for shard in shards:
        assert len(shard) <= 7
        assert sum(map(len, shard)) <= 120 or len(shard) == 1


def test_the_price_table_has_a_batch_column(tmp_path: Path) -> None:
    table = tmp_path / "prices.json"
    table.write_text(
        json.dumps(
            {
                "models": {
                    "m": {"input": 2.0, "output": 8.0, "batch_input": 1.0, "batch_output": 4.0},
                    "live-only": {"input": 1.0, "output": 1.0},
                }
            }
        )
    )
    prices = PriceTable.load(table)
    usage = Usage(input_tokens=1_000_000, output_tokens=500_000)
    assert prices.cost("m", usage) == 6.0
    assert prices.cost("m", usage, batch=True) == 3.0
    assert prices.cost("live-only", usage, batch=True) is None  # unknown, never a guess
    table.write_text(json.dumps({"models": {"m": {"input": 1, "output": 1, "batch_input": 1}}}))
    with pytest.raises(ConfigError, match="both or neither"):
        PriceTable.load(table)
    for model, price in PriceTable.load().prices.items():  # the bundled table: half price
        assert price.batch_input == pytest.approx(price.input / 2), model
        assert price.batch_output == pytest.approx(price.output / 2), model


def test_an_upload_or_a_batch_a_crash_hid_is_found_not_made_twice(
    tmp_path: Path, api: FakeBatchAPI
) -> None:
    """The two windows a kill can hide a call's result in: after an upload was sent and before
    its file id was saved, and after a create was sent and before its batch id was saved."""
    corpus = tmp_path / "corpus.jsonl"
    make_corpus(corpus, 4)
    out = tmp_path / "run.jsonl"
    submit(api, corpus, out, "--max-requests-per-file", "2")
    state_file = out.with_name(out.name + ".batch.json")
    state = json.loads(state_file.read_text())
    first, second = state["shards"]
    # As if killed inside the calls: the state says they started, and holds no ids.
    first.update(input_file_id=None, batch_id=None, status=None)
    second.update(batch_id=None, status=None)
    state_file.write_text(json.dumps(state))
    uploads, batches = len(api.files), len(api.batches)
    submit(api, corpus, out, "--max-requests-per-file", "2")
    assert (len(api.files), len(api.batches)) == (uploads, batches)
    found = json.loads(state_file.read_text())["shards"]
    assert sorted(s["batch_id"] for s in found) == sorted(api.batches)
    # Not started: the calls are made (once).
    state = json.loads(state_file.read_text())
    state["shards"][1].update(create_started=False, batch_id=None, status=None)
    state_file.write_text(json.dumps(state))
    submit(api, corpus, out, "--max-requests-per-file", "2")
    assert len(api.batches) == batches + 1
