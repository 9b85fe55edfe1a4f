"""Shared test set-up: the suite is offline, and any connection off this machine fails the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeBackend

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

_LOOPBACK_PREFIXES = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family == socket.AF_UNIX or str(host).startswith(_LOOPBACK_PREFIXES):
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise RuntimeError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "EXTRACT_BACKEND", "EXTRACT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    """The backend every `extract run` in the test gets, whatever settings name."""
    backend = FakeBackend()
    monkeypatch.setattr("extractor.runner.create_backend", lambda settings, gate=None: backend)
    return backend
