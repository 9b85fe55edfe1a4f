"""Helpers for the fault-injection suite: `extract` as a real process in a temporary folder."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    code: int
    stdout: bytes
    stderr: str


def extract(
    *args: str,
    cwd: Path,
    redirect: str = "",
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    real_backend: bool = False,
    timeout: float = 120,
) -> Ran:
    """Run `extract ARGS` (the fake backend unless `real_backend`) through a shell, so that
    `redirect` can close or reroute the standard streams (``2>&-``, ``<&-``, ``> dev``)."""
    module = "extractor" if real_backend else "tests.hostile.cli"
    command = " ".join([shlex.quote(sys.executable), "-m", module, *map(shlex.quote, args)])
    environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run(
        f"{command} {redirect}",
        shell=True,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=environ,
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout or b"", (done.stderr or b"").decode("utf-8", "replace"))


def result_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of an output file, parsed; fails on a cut or non-JSON line."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), "the last line is cut"
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


def write_articles(folder: Path, count: int, text: str = "Oslo hosted talks number {n}.") -> None:
    """`count` small plain-text articles a0.txt, a1.txt, ... in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"a{number:03d}.txt").write_text(text.format(n=number) + "\n", encoding="utf-8")


def need_root(what: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"needs root to {what}")


def make_device(path: Path, major: int, minor: int) -> Path:
    """A character device node at `path` (``1,3`` is null, ``1,7`` is full); root only."""
    need_root("create device nodes with mknod")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    return path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs folder, to fill up; skipped when it cannot be mounted."""
    need_root("mount a small tmpfs")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
