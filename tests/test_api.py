"""The Python API: `extractor.extract`, `extractor.run`, `extractor.evaluate`, as documented."""

from __future__ import annotations

import doctest
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import extractor
import extractor.api
from extractor.errors import BackendError, ExtractionFailed
from tests.conftest import REPO, SEEDS
from tests.fakes import FakeBackend

NEWCOMER = (
    "import extractor; r = extractor.extract(open('seeds/001_5817099b9fb04820.txt').read(), "
    "published='2024-06-19'); print(r.parties[0].name)"
)


@pytest.fixture
def repo_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that looks like the repository (seeds/, evals/) for relative paths, where the
    examples may write; the answer cache is kept out of the way."""
    for name in ("seeds", "evals"):
        (tmp_path / name).symlink_to(REPO / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXTRACT_CACHE", "false")
    return tmp_path


def test_the_api_module_examples_run_as_written(repo_view: Path) -> None:
    failures, tried = doctest.testmod(extractor.api, optionflags=doctest.ELLIPSIS)
    assert tried >= 10
    assert failures == 0


def test_the_newcomer_one_liner_works_as_typed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NEWCOMER], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    text = (SEEDS / "001_5817099b9fb04820.txt").read_text(encoding="utf-8")
    record = extractor.extract(text, published="2024-06-19")
    assert done.stdout.strip() == record.parties[0].name != ""


def test_import_extractor_loads_no_models_sdk_or_nlp() -> None:
    probe = "import sys, extractor; print(sorted(m for m in ('pydantic', 'spacy', 'openai') " \
        "if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_extract_takes_the_metadata_and_a_backend_object() -> None:
    record = extractor.extract(
        "Oslo hosted talks on Monday.",
        published="2024-06-19/2024-06-20",
        title="Talks in Oslo",
        source="Wire",
        url="https://example.org/a",
        backend=FakeBackend(),
    )
    assert record.article is not None
    assert (record.article.title, record.article.source, record.article.url) == (
        "Talks in Oslo",
        "Wire",
        "https://example.org/a",
    )
    assert (record.article.published_earliest, record.article.published_latest) == (
        "2024-06-19",
        "2024-06-20",
    )


def test_extract_raises_a_typed_error_instead_of_returning_none() -> None:
    backend = FakeBackend()
    backend.enqueue(BackendError("gave up after 5 retries"))
    with pytest.raises(ExtractionFailed) as caught:
        extractor.extract("Oslo hosted talks.", backend=backend)
    assert caught.value.type == "backend_error"
    assert "gave up after 5 retries" in caught.value.message
    assert isinstance(caught.value, extractor.ExtractorError)


def test_run_yields_one_line_per_input_article_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("b", "a", "c"):
        (folder / f"{name}.txt").write_text(f"Talks {name} in Oslo.\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    backend = FakeBackend()
    backend.enqueue(BackendError("boom"), article="b")
    settings = extractor.Settings.resolve(environ={}, cache=False)
    lines = list(extractor.run(folder, backend=backend, settings=settings))
    assert [line.article for line in lines] == ["a", "b", "c", "empty"]
    assert [line.kind for line in lines] == ["record", "backend_error", "record", "input_error"]
    out = tmp_path / "run.jsonl"
    kept = list(extractor.run([folder], out=out, backend=backend, settings=settings))
    assert [line.article for line in extractor.read_lines(out)] == [each.article for each in kept]


def test_run_yields_each_line_while_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(f"Talks {name} in Oslo.\n", encoding="utf-8")
    backend = FakeBackend()
    first_line = threading.Event()
    # The last article waits for the caller to hold the first line: a run that yields only
    # once it has finished keeps it waiting until the timeout.
    waited: list[bool] = []
    backend.enqueue(lambda: waited.append(first_line.wait(timeout=10)), article="c")
    settings = extractor.Settings.resolve(environ={}, cache=False, concurrency=1)
    lines = []
    for line in extractor.run(folder, backend=backend, settings=settings):
        lines.append(line)
        first_line.set()
    assert waited == [True]
    assert [line.article for line in lines] == ["a", "b", "c"]
    assert [line.kind for line in lines] == ["record"] * 3


def test_stopping_early_stops_the_run_and_keeps_the_lines_done(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = [f"n{number:02d}" for number in range(30)]
    for name in names:
        (folder / f"{name}.txt").write_text(f"Talks {name} in Oslo.\n", encoding="utf-8")
    backend = FakeBackend()
    for name in names:
        backend.enqueue(0.02, article=name)
    settings = extractor.Settings.resolve(environ={}, cache=False, concurrency=1)
    out = tmp_path / "run.jsonl"
    for line in extractor.run(folder, out=out, backend=backend, settings=settings):
        assert line.article == "n00"
        break
    calls = len(backend.calls)
    assert calls < len(names)  # stopped: not every article was sent
    kept = [line.article for line in extractor.read_lines(out)]
    assert kept == names[: len(kept)] and kept
    resumed = list(extractor.run(folder, out=out, backend=backend, settings=settings))
    assert [line.article for line in resumed] == names
    assert len(backend.calls) == calls + len(names) - len(kept)  # the kept ones are not redone
