"""Backends declare what the run needs to know; the runner schedules by that, never by name."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from extractor.articles import Article
from extractor.backends.base import Capabilities, Extraction
from extractor.backends.registry import BACKEND_NAMES, REGISTRY, backend_class, create_backend
from extractor.errors import ConfigError
from extractor.pacing import RequestGate
from extractor.runner import order_window, run
from extractor.settings import Settings
from tests.fakes import FakeBackend


def write_articles(folder: Path, count: int) -> None:
    folder.mkdir()
    for number in range(count):
        (folder / f"a{number}.txt").write_text(f"Oslo hosted talks {number}.\n", encoding="utf-8")


class ThreadCountingBackend(FakeBackend):
    """Records which threads ran it and whether the run closed it."""

    def __init__(self, capabilities: Capabilities, name: str = "fake") -> None:
        super().__init__(name=name)
        self.capabilities = capabilities
        self.threads: set[int] = set()
        self.closed = 0

    def extract(self, article: Article) -> Extraction:
        self.threads.add(threading.get_ident())
        return super().extract(article)

    def close(self) -> None:
        self.closed += 1


def test_every_registered_backend_declares_capabilities_and_builds_from_settings() -> None:
    assert set(BACKEND_NAMES) == set(REGISTRY) == {"offline", "openai"}
    for name in BACKEND_NAMES:
        cls = backend_class(name)
        assert isinstance(cls.capabilities, Capabilities)
        assert callable(cls.from_settings)
    assert backend_class("offline").capabilities.runs_in_processes
    openai = backend_class("openai").capabilities
    assert openai.needs_key and openai.paced_by_gate and openai.has_close


def test_an_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'nope'; choose from offline, openai"):
        backend_class("nope")


def test_only_a_paced_backend_is_handed_the_gate() -> None:
    gate = RequestGate(3)
    settings = Settings.resolve(environ={"OPENAI_API_KEY": "sk-test-0123456789"}, backend="openai")
    assert create_backend(settings, gate).gate is gate  # type: ignore[attr-defined]


def test_a_backend_that_runs_in_processes_runs_on_one_thread_here(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 6)
    backend = ThreadCountingBackend(Capabilities(runs_in_processes=True), name="not-offline")
    settings = Settings.resolve(environ={}, concurrency=4, cache=False)
    run([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, backend=backend)
    assert len(backend.threads) == 1
    assert order_window(backend.capabilities, 4) == 8


def test_a_backend_named_offline_without_the_capability_gets_threads(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 12)
    backend = ThreadCountingBackend(Capabilities(), name="offline")
    gate = threading.Barrier(2, timeout=10)
    backend.enqueue(gate.wait, gate.wait)  # two articles must be under way at once
    settings = Settings.resolve(environ={}, concurrency=4, cache=False)
    summary = run([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, backend=backend)
    assert summary.records == 12
    assert len(backend.threads) >= 2
    assert order_window(backend.capabilities, 4) == 64


@pytest.mark.parametrize("has_close", [True, False])
def test_the_run_closes_a_backend_it_built_when_it_declares_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_close: bool
) -> None:
    write_articles(tmp_path / "in", 2)
    backend = ThreadCountingBackend(Capabilities(has_close=has_close))
    monkeypatch.setattr("extractor.runner.create_backend", lambda settings, gate=None: backend)
    settings = Settings.resolve(environ={}, concurrency=2, cache=False)
    run([str(tmp_path / "in")], tmp_path / "o.jsonl", settings)
    assert backend.closed == (1 if has_close else 0)


def test_a_backend_that_needs_no_key_is_built_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Settings] = []

    class Keyless(FakeBackend):
        @classmethod
        def from_settings(cls, settings: Settings, gate: RequestGate | None) -> Keyless:
            seen.append(settings)
            return cls()

    monkeypatch.setitem(REGISTRY, "offline", f"{__name__}:Keyless")
    monkeypatch.setitem(globals(), "Keyless", Keyless)
    settings = Settings.resolve(environ={"OPENAI_API_KEY": "sk-test-0123456789"})
    create_backend(settings)
    assert settings.api_key == "sk-test-0123456789"
    assert seen[0].api_key is None
