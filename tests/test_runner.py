"""The run loop with a scripted fake backend: order, errors, concurrency, cache, usage, pacing."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from extractor.articles import Article, PublicationDate
from extractor.errors import BackendError, ConfigError, OutputInvalid
from extractor.inputs import read_articles
from extractor.lines import line_fingerprint
from extractor.runner import order_window, run
from extractor.schema import Usage
from extractor.settings import Settings
from tests.fakes import FakeBackend, draft_for

CITIES = ["Oslo", "Lima", "Accra", "Hanoi", "Quito", "Riga", "Doha", "Bern", "Suva", "Baku"]


def write_corpus(folder: Path, count: int) -> list[str]:
    """`count` small distinct .txt articles; returns their ids in input (name) order."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for number in range(count):
        city = CITIES[number % len(CITIES)]
        article_id = f"a{number:03d}"
        (folder / f"{article_id}.txt").write_text(
            f"Talks in {city} number {number}\n\n{city} hosted talks between two delegations on "
            f"Monday, officials said. Item {number}.\n",
            encoding="utf-8",
        )
        ids.append(article_id)
    return ids


def settings_for(tmp_path: Path, **flags: Any) -> Settings:
    flags.setdefault("cache_dir", tmp_path / "cache")
    flags.setdefault("concurrency", 4)
    return Settings.resolve(environ={}, **flags)


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def stable(line: dict[str, Any]) -> dict[str, Any]:
    """A result line without what legitimately differs between runs (time, cache, spend)."""
    line = json.loads(json.dumps(line))
    provenance = (line.get("record") or {}).get("provenance")
    if provenance:
        for key in ("created_at", "cached", "usage"):
            provenance.pop(key)
    return line


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./extract.toml, and caches stay in tmp


def test_one_line_per_article_in_input_order_although_the_first_finishes_last(
    tmp_path: Path,
) -> None:
    ids = write_corpus(tmp_path / "in", 12)
    backend = FakeBackend()
    backend.enqueue(0.4, article=ids[0])
    out = tmp_path / "out.jsonl"

    summary = run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=backend)

    lines = read_lines(out)
    assert [line["article"] for line in lines] == ids
    assert all("record" in line for line in lines)
    assert summary.articles == summary.records == 12
    assert summary.exit_code == 0
    assert backend.max_in_flight > 1  # the other articles ran while the first one waited


def test_each_failure_is_one_typed_error_line_and_the_rest_still_run(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 5)
    backend = FakeBackend()
    backend.enqueue(BackendError("HTTP 503 after 5 retries"), article=ids[1])
    backend.enqueue(OutputInvalid("still invalid after 2 re-asks"), article=ids[2])
    backend.enqueue(ZeroDivisionError("division by zero"), article=ids[3])
    out = tmp_path / "out.jsonl"

    summary = run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=backend)

    lines = read_lines(out)
    assert [line["article"] for line in lines] == ids
    assert [line.get("error", {}).get("type") for line in lines] == [
        None,
        "backend_error",
        "output_invalid",
        "internal_error",
        None,
    ]
    assert "division by zero" in lines[3]["error"]["message"]
    assert summary.errors == {"backend_error": 1, "output_invalid": 1, "internal_error": 1}
    assert summary.exit_code == 70  # a bug, not an article's failure
    assert summary.internal_error_log is not None
    log = Path(summary.internal_error_log).read_text(encoding="utf-8")
    assert f"article {ids[3]}" in log and "ZeroDivisionError: division by zero" in log
    assert summary.internal_error_log in summary.render()


def test_line_fingerprint_is_article_plus_backend(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 1)
    backend = FakeBackend()
    out = tmp_path / "out.jsonl"
    run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=backend)

    line = read_lines(out)[0]
    (article,) = read_articles([str(tmp_path / "in")])[1]
    assert isinstance(article, Article)
    sha = article.input_sha256  # text and metadata: a changed publication date redoes the article
    assert line["article"] == ids[0]
    assert line["fingerprint"] == line_fingerprint(sha, backend.fingerprint())
    assert line["fingerprint"] != line_fingerprint(sha, {**backend.fingerprint(), "model": "x"})
    moved = replace(article, published=PublicationDate.parse("2020-01-01"))
    assert moved.input_sha256 != sha and moved.sha256 == article.sha256


def test_articles_in_flight_never_exceed_concurrency(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 20)
    backend = FakeBackend()
    for _ in range(20):
        backend.enqueue(0.02)

    run(
        [str(tmp_path / "in")],
        tmp_path / "o.jsonl",
        settings_for(tmp_path, concurrency=3),
        backend=backend,
    )

    assert 1 < backend.max_in_flight <= 3


def test_reading_stays_at_most_one_window_ahead_of_a_stuck_article(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 80)
    backend = FakeBackend()
    release = threading.Event()
    backend.enqueue(release, article=ids[0])
    out = tmp_path / "out.jsonl"
    settings = settings_for(tmp_path, concurrency=2)

    worker = threading.Thread(
        target=run, args=([str(tmp_path / "in")], out, settings), kwargs={"backend": backend}
    )
    worker.start()
    time.sleep(0.5)
    started_while_stuck = len(backend.calls)
    written_while_stuck = out.read_text(encoding="utf-8")
    release.set()
    worker.join(timeout=30)

    assert started_while_stuck <= order_window(backend.capabilities, 2) < 80
    assert written_while_stuck == ""  # nothing may pass the first article
    assert len(read_lines(out)) == 80


def test_summary_counts_tokens_cost_and_unverified_evidence(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 3)
    backend = FakeBackend(model="gpt-4o-mini", tokens=(1_000_000, 100_000))
    bad = draft_for_quote_not_in_article(tmp_path / "in" / f"{ids[0]}.txt")
    backend.enqueue(bad, article=ids[0])

    summary = run(
        [str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(tmp_path), backend=backend
    )

    assert summary.input_tokens == 3_000_000
    assert summary.output_tokens == 300_000
    assert summary.cost_usd == pytest.approx(3 * (0.15 + 0.06))
    assert summary.unverified_evidence >= 1
    record = read_lines(tmp_path / "o.jsonl")[1]["record"]
    assert record["provenance"]["usage"]["cost_usd"] == pytest.approx(0.21)


def test_a_failed_article_reports_what_it_cost_in_its_line_and_the_totals(
    tmp_path: Path,
) -> None:
    ids = write_corpus(tmp_path / "in", 2)
    backend = FakeBackend(model="gpt-4o-mini", tokens=(1_000_000, 100_000))
    failure = OutputInvalid("answer still invalid after 2 re-asks")
    failure.usage = Usage(input_tokens=2_000_000, output_tokens=300_000, requests=3, reasks=2)
    backend.enqueue(failure, article=ids[0])

    summary = run(
        [str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(tmp_path), backend=backend
    )

    error = read_lines(tmp_path / "o.jsonl")[0]["error"]
    assert error["type"] == "output_invalid"
    assert error["usage"]["requests"] == 3 and error["usage"]["reasks"] == 2
    assert error["usage"]["cost_usd"] == pytest.approx(2 * 0.15 + 0.3 * 0.6)
    assert (summary.input_tokens, summary.output_tokens) == (3_000_000, 400_000)
    assert (summary.requests, summary.reasks) == (4, 2)
    assert summary.cost_usd == pytest.approx(0.48 + 0.21)


def test_a_configuration_error_stops_sending_and_is_redone_on_the_next_run(
    tmp_path: Path,
) -> None:
    ids = write_corpus(tmp_path / "in", 12)
    rejecting = FakeBackend()
    rejecting.enqueue(ConfigError("the endpoint rejected the credentials"), article=ids[0])
    out = tmp_path / "o.jsonl"
    settings = settings_for(tmp_path, concurrency=1, cache=False)

    first = run([str(tmp_path / "in")], out, settings, backend=rejecting)

    lines = read_lines(out)
    assert [line["article"] for line in lines] == ids
    assert all(line["error"]["type"] == "config_error" for line in lines if "error" in line)
    assert lines[0]["fingerprint"] is None
    assert "rejected the credentials" in lines[0]["error"]["message"]
    # Only articles already under way when the error came were sent; none after them.
    assert len(rejecting.calls) <= 2
    assert "skipped after a configuration error" in lines[-1]["error"]["message"]
    assert first.exit_code == 2

    fixed = FakeBackend()
    second = run([str(tmp_path / "in")], out, settings, backend=fixed)  # no --retry-errors
    assert second.exit_code == 0 and second.records == 12
    assert sorted(fixed.calls) == sorted(line["article"] for line in lines if "error" in line)


def test_after_a_configuration_error_cached_answers_still_give_records(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 20)
    settings = settings_for(tmp_path, concurrency=1)  # the cache is on
    run([str(tmp_path / "in")], tmp_path / "first.jsonl", settings, backend=FakeBackend())
    (tmp_path / "in" / "_new.txt").write_text("Lima hosted new talks.\n", encoding="utf-8")
    rejecting = FakeBackend()
    rejecting.enqueue(ConfigError("the endpoint rejected the credentials"), article="_new")

    summary = run([str(tmp_path / "in")], tmp_path / "second.jsonl", settings, backend=rejecting)

    lines = read_lines(tmp_path / "second.jsonl")
    assert [line["article"] for line in lines] == ["_new", *ids]
    assert lines[0]["error"]["type"] == "config_error"
    assert all("record" in line for line in lines[1:])  # from the cache, nothing sent
    assert rejecting.calls == ["_new"]
    assert summary.exit_code == 2


@pytest.fixture
def terminal_sigint() -> Iterator[None]:
    """Ctrl-C as at a terminal. A suite started in the background of a non-interactive shell
    (`make test &`) inherits SIGINT ignored, and Python then leaves it ignored; the tests of
    what a user's interrupt does get Python's default handler, restored afterwards."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# The signal may land while the reader has an input file open; the interpreter closes it.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.usefixtures("terminal_sigint")
def test_ctrl_c_sends_nothing_more_and_keeps_every_finished_line(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 60)
    backend = FakeBackend()
    for article_id in ids[:8] + ids[9:]:
        backend.enqueue(0.01, article=article_id)
    calls_at_ctrl_c: list[int] = []

    def press_ctrl_c() -> None:
        calls_at_ctrl_c.append(len(backend.calls))
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)  # a request still under way while the run handles the interrupt

    backend.enqueue(press_ctrl_c, article=ids[8])  # then it finishes like the others
    out = tmp_path / "o.jsonl"
    # One slot: the other thread's article is waiting for it when Ctrl-C comes.
    settings = settings_for(tmp_path, concurrency=1, cache=False)

    with pytest.raises(KeyboardInterrupt):
        run([str(tmp_path / "in")], out, settings, backend=backend)

    # Queued articles were cancelled and the one waiting for the slot was not sent.
    assert len(backend.calls) == calls_at_ctrl_c[0] and ids[8] in backend.calls
    kept = [line["article"] for line in read_lines(out)]
    assert kept == ids[: len(kept)] and len(kept) >= 7  # the finished ones, in order
    summary = run([str(tmp_path / "in")], out, settings, backend=FakeBackend())
    assert summary.resumed == len(kept) and summary.records == 60


def test_bad_input_lines_carry_no_usage(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_text("", encoding="utf-8")
    run([str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(tmp_path), backend=FakeBackend())
    (line,) = read_lines(tmp_path / "o.jsonl")
    assert line["error"]["type"] == "input_error" and "usage" not in line["error"]


def draft_for_quote_not_in_article(path: Path) -> Any:
    from extractor.articles import Article

    article = Article(id=path.stem, text=path.read_text(encoding="utf-8"))
    draft = draft_for(article)
    party = draft.parties[0].model_copy(update={"evidence": "words that appear nowhere at all"})
    return draft.model_copy(update={"parties": [party]})


def test_unknown_model_has_unknown_cost_not_zero(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 2)
    backend = FakeBackend(model="my-local-llm")

    summary = run(
        [str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(tmp_path), backend=backend
    )

    assert summary.unpriced_models == ["my-local-llm"]
    assert read_lines(tmp_path / "o.jsonl")[0]["record"]["provenance"]["usage"]["cost_usd"] is None
    assert "unknown for my-local-llm" in summary.render()


def test_second_run_is_answered_from_the_cache(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 4)
    first = FakeBackend()
    run([str(tmp_path / "in")], tmp_path / "one.jsonl", settings_for(tmp_path), backend=first)
    second = FakeBackend()

    summary = run(
        [str(tmp_path / "in")], tmp_path / "two.jsonl", settings_for(tmp_path), backend=second
    )

    assert second.calls == []
    assert summary.cache_hits == 4
    assert summary.input_tokens == 0
    lines = read_lines(tmp_path / "two.jsonl")
    assert all(line["record"]["provenance"]["cached"] for line in lines)
    assert [stable(x) for x in lines] == [stable(x) for x in read_lines(tmp_path / "one.jsonl")]


def test_no_cache_calls_the_backend_again(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 2)
    run(
        [str(tmp_path / "in")],
        tmp_path / "one.jsonl",
        settings_for(tmp_path),
        backend=FakeBackend(),
    )
    again = FakeBackend()

    summary = run(
        [str(tmp_path / "in")],
        tmp_path / "two.jsonl",
        settings_for(tmp_path, cache=False),
        backend=again,
    )

    assert len(again.calls) == 2
    assert summary.cache_hits == 0
    assert not (tmp_path / "cache").exists() or summary.cache_hits == 0


def test_resume_runs_only_the_missing_articles(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 6)
    out = tmp_path / "out.jsonl"
    settings = settings_for(tmp_path, cache=False)
    run([str(tmp_path / "in")], out, settings, backend=FakeBackend())
    full = read_lines(out)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    # Keep three lines and half of the fourth, as a killed run leaves them.
    out.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2], encoding="utf-8")
    backend = FakeBackend()

    summary = run([str(tmp_path / "in")], out, settings, backend=backend)

    assert sorted(backend.calls) == ids[3:]
    assert summary.resumed == 3
    assert summary.articles == 6
    assert [stable(x) for x in read_lines(out)] == [stable(x) for x in full]


def test_resume_puts_lines_back_in_input_order_and_drops_strangers(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 5)
    out = tmp_path / "out.jsonl"
    settings = settings_for(tmp_path, cache=False)
    run([str(tmp_path / "in")], out, settings, backend=FakeBackend())
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    stranger = (
        json.dumps({"article": "gone", "error": {"type": "x", "message": "y"}, "fingerprint": "f"})
        + "\n"
    )
    out.write_text(lines[4] + stranger + lines[1] + "not json\n" + lines[0], encoding="utf-8")
    backend = FakeBackend()

    run([str(tmp_path / "in")], out, settings, backend=backend)

    assert sorted(backend.calls) == [ids[2], ids[3]]
    assert [line["article"] for line in read_lines(out)] == ids


def test_changed_backend_configuration_redoes_every_article(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=FakeBackend())
    changed = FakeBackend(version="2")  # e.g. a new prompt

    summary = run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=changed)

    assert sorted(changed.calls) == ids
    assert summary.resumed == 0
    assert len(read_lines(out)) == 3


def test_error_lines_are_kept_unless_retry_errors(tmp_path: Path) -> None:
    ids = write_corpus(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    first = FakeBackend()
    first.enqueue(BackendError("HTTP 500"), article=ids[1])
    run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=first)

    kept = FakeBackend()
    summary = run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=kept)
    assert kept.calls == []
    assert summary.errors == {"backend_error": 1}
    assert summary.exit_code == 1

    retried = FakeBackend()
    summary = run(
        [str(tmp_path / "in")], out, settings_for(tmp_path), backend=retried, retry_errors=True
    )
    assert retried.calls == [ids[1]]
    assert summary.exit_code == 0
    assert [("record" in line) for line in read_lines(out)] == [True, True, True]


def test_an_output_file_that_is_not_ours_is_not_overwritten(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 1)
    out = tmp_path / "notes.jsonl"
    out.write_text("my precious notes\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="refusing to overwrite"):
        run([str(tmp_path / "in")], out, settings_for(tmp_path), backend=FakeBackend())
    assert out.read_text(encoding="utf-8") == "my precious notes\n"


def test_no_articles_found_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("hi", encoding="utf-8")
    with pytest.raises(ConfigError, match="no articles found"):
        run([str(tmp_path / "empty")], None, settings_for(tmp_path), backend=FakeBackend())
    with pytest.raises(ConfigError, match="no such file"):
        run([str(tmp_path / "nope")], None, settings_for(tmp_path), backend=FakeBackend())


def test_writes_to_stdout_when_no_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = write_corpus(tmp_path / "in", 3)
    run([str(tmp_path / "in")], None, settings_for(tmp_path), backend=FakeBackend())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["article"] for line in lines] == ids


def test_the_api_key_never_reaches_an_error_line(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 1)
    secret = "sk-test-SECRET-0123456789"
    backend = FakeBackend()
    backend.enqueue(BackendError(f"401 Incorrect API key provided: {secret}"))
    settings = Settings.resolve(environ={"OPENAI_API_KEY": secret}, cache_dir=tmp_path / "c")
    out = tmp_path / "out.jsonl"

    run([str(tmp_path / "in")], out, settings, backend=backend)

    text = out.read_text(encoding="utf-8")
    assert secret not in text
    assert "***" in text
    assert secret not in repr(settings)


def test_duplicate_ids_and_bad_input_lines_survive_resume(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.txt").write_text("Oslo hosted talks on Monday.\n", encoding="utf-8")
    (folder / "x.html").write_text("<p>Lima hosted talks on Tuesday.</p>", encoding="utf-8")
    (folder / "y.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run([str(folder)], out, settings_for(tmp_path), backend=FakeBackend())
    first = read_lines(out)

    backend = FakeBackend()
    run([str(folder)], out, settings_for(tmp_path), backend=backend)

    again = read_lines(out)
    assert backend.calls == []
    assert [line["article"] for line in again] == ["x", "x", "y"]
    assert [line.get("error", {}).get("type") for line in again] == [
        None,
        "duplicate_id",
        "input_error",
    ]
    assert [stable(x) for x in again] == [stable(x) for x in first]


def test_summary_json_shape(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 2)
    summary = run(
        [str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(tmp_path), backend=FakeBackend()
    )
    data = summary.to_dict()
    for key in (
        "articles",
        "records",
        "errors",
        "unverified_evidence",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "cache_hits",
        "elapsed_s",
        "exit_code",
    ):
        assert key in data
    json.dumps(data)


# ---------------------------------------------------------------------- pacing


def test_rate_limits_pace_a_real_run(tmp_path: Path) -> None:
    write_corpus(tmp_path / "in", 3)
    settings = settings_for(tmp_path, rpm=600, cache=False)  # capacity 100: no waiting here
    started = time.monotonic()
    summary = run([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, backend=FakeBackend())
    assert summary.records == 3
    assert time.monotonic() - started < 5


def test_stdin_jsonl_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"id": "s1", "text": "Oslo hosted talks."}\n{"id": "s2", "text": "Lima too."}\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "o.jsonl"
    run(["-"], out, settings_for(tmp_path), backend=FakeBackend())
    assert [line["article"] for line in read_lines(out)] == ["s1", "s2"]


@pytest.mark.slow
def test_offline_process_pool_gives_the_same_lines_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = write_corpus(tmp_path / "in", 6)
    monkeypatch.setattr("extractor.runner.OFFLINE_POOL_MIN_ARTICLES", 2)
    pools: list[int] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: Any) -> None:
            pools.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr("extractor.runner.ProcessPoolExecutor", CountedPool)
    pooled = settings_for(tmp_path, backend="offline", concurrency=2, cache=False)
    single = settings_for(tmp_path, backend="offline", concurrency=1, cache=False)

    run([str(tmp_path / "in")], tmp_path / "pool.jsonl", pooled)
    run([str(tmp_path / "in")], tmp_path / "one.jsonl", single)

    assert pools == [2]  # the first run used two worker processes, the second none
    pool_lines = read_lines(tmp_path / "pool.jsonl")
    assert [line["article"] for line in pool_lines] == ids
    assert [stable(x) for x in pool_lines] == [
        stable(x) for x in read_lines(tmp_path / "one.jsonl")
    ]


def _peak_memory_of_a_run(tmp_path: Path, count: int) -> int:
    source = tmp_path / f"many{count}.jsonl"
    sentence = "Oslo hosted talks between two delegations on Monday, officials said. " * 20
    with source.open("w", encoding="utf-8") as handle:
        for number in range(count):
            handle.write(json.dumps({"id": f"m{number}", "text": f"{number}. {sentence}"}) + "\n")
    settings = settings_for(tmp_path, cache=False)
    tracemalloc.start()
    try:
        run([str(source)], tmp_path / f"out{count}.jsonl", settings, backend=FakeBackend())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_stays_flat_as_the_number_of_articles_grows(tmp_path: Path) -> None:
    _peak_memory_of_a_run(tmp_path, 20)  # warm-up: first-use caches are not per article
    small = _peak_memory_of_a_run(tmp_path, 200)
    large = _peak_memory_of_a_run(tmp_path, 2000)
    # Ids (for duplicate checks) and line offsets (for resume) are kept: a few hundred bytes an
    # article. A held article text alone is 1.4 kB here, and its result line more.
    assert (large - small) / 1800 < 500
