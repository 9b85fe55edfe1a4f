"""A real `extract serve` in a subprocess on 127.0.0.1 (a free port), for the HTTP tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
EXTRACT = Path(sys.executable).parent / "extract"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_key(db: str, name: str, *extra: str) -> str:
    done = subprocess.run(
        [str(EXTRACT), "keys", "create", "--name", name, "--db", db, *extra],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return done.stdout.strip()


class Server:
    """`extract serve --db DB ...` with its stderr in `log`; `start` waits for /readyz."""

    def __init__(self, db: str, log: Path, *args: str, cwd: Path | None = None) -> None:
        self.db = db
        self.log = log
        self.args = args
        self.cwd = cwd or log.parent
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EXTRACT_", "OPENAI_"))}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(EXTRACT), "serve", "--db", self.db, "--port", str(self.port), *self.args],
                stdout=log, stderr=log, cwd=self.cwd, env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready in {timeout} s:\n{self.logs()}")

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)

    def kill(self) -> None:
        """kill -9: no drain, no lifespan shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def short_articles(n: int) -> list[dict[str, str]]:
    """`n` distinct short articles (quick for the offline backend)."""
    places = ["Geneva", "Vienna", "Oslo", "Doha", "Nairobi", "Lima", "Hanoi", "Riga"]
    return [
        {
            "id": f"a{i:04d}",
            "text": f"Delegations of France and Germany met in {places[i % len(places)]} on "
            f"Monday and signed agreement number {i} on fishing quotas, officials said.",
            "published": "2024-06-19",
        }
        for i in range(n)
    ]
