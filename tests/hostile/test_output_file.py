"""The output file under attack: devices, pipes, symlinks, long names, read-only folders, full
disks, two runs at once, killed runs. Each ends with one line per article or an unchanged file."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.hostile.conftest import (
    REPO,
    extract,
    make_device,
    need_root,
    result_lines,
    write_articles,
)

pytestmark = pytest.mark.slow


def _articles(lines: list[dict[str, object]]) -> list[object]:
    return [line["article"] for line in lines]


def _out_of_order_resume(tmp_path: Path, out: Path) -> bytes:
    """A finished output of two articles whose lines are in the wrong order: resuming it makes
    the run rewrite the file. Returns the file's bytes."""
    write_articles(tmp_path / "in", 2)
    ran = extract("run", "in", "--out", str(out), cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    first, second = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(second + first)
    return out.read_bytes()


def test_a_device_as_out_is_streamed_to_and_never_replaced(tmp_path: Path) -> None:
    null = make_device(tmp_path / "null", 1, 3)
    write_articles(tmp_path / "in", 2)
    for _ in range(2):  # the second run would "resume" it
        ran = extract("run", "in", "--out", str(null), cwd=tmp_path)
        assert ran.code == 0, ran.stderr
        assert stat.S_ISCHR(os.stat(null).st_mode), "the device was replaced"


def test_a_full_device_as_out_is_exit_74_and_is_not_read(tmp_path: Path) -> None:
    full = make_device(tmp_path / "full", 1, 7)  # reads as endless zeros
    write_articles(tmp_path / "in", 2)
    ran = extract("run", "in", "--out", str(full), cwd=tmp_path, timeout=60)
    assert ran.code == 74, ran.stderr
    assert "No space left on device" in ran.stderr and "Traceback" not in ran.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_a_named_pipe_as_out_gets_every_line(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    write_articles(tmp_path / "in", 3)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    ran = extract("run", "in", "--out", str(fifo), cwd=tmp_path, timeout=60)
    reader.join(timeout=30)
    assert ran.code == 0, ran.stderr
    assert [json.loads(line)["article"] for line in received[0].splitlines()] == [
        "a000",
        "a001",
        "a002",
    ]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dev_stdout_as_out_into_a_pipe_does_not_hang(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    ran = extract("run", "in", "--out", "/dev/stdout", cwd=tmp_path, redirect="| cat", timeout=60)
    assert ran.code == 0, ran.stderr
    assert [json.loads(line)["article"] for line in ran.stdout.splitlines()] == ["a000", "a001"]


def test_a_symlinked_out_writes_through_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real" / "run.jsonl"
    target.parent.mkdir()
    _out_of_order_resume(tmp_path, target)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    ran = extract("run", "in", "--out", str(link), cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    assert link.is_symlink() and link.resolve() == target
    assert _articles(result_lines(target)) == ["a000", "a001"]


def test_a_name_near_the_length_limit_is_rewritten(tmp_path: Path) -> None:
    out = tmp_path / ("o" * 244 + ".jsonl")  # 250 characters: the limit is 255
    _out_of_order_resume(tmp_path, out)
    ran = extract("run", "in", "--out", out.name, cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    assert _articles(result_lines(out)) == ["a000", "a001"]


@pytest.fixture
def read_only(tmp_path: Path) -> Path:
    """A folder that becomes read-only when `read_only.chmod` is not enough (as root): a
    read-only bind mount of it."""
    folder = tmp_path / "ro"
    folder.mkdir()
    return folder


def _make_read_only(folder: Path) -> None:
    need_root("bind-mount a folder read-only")
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount: {done.stderr.decode(errors='replace').strip()}")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)


def test_a_read_only_folder_is_exit_74_and_leaves_the_file_as_it_was(
    tmp_path: Path, read_only: Path
) -> None:
    out = read_only / "run.jsonl"
    before = _out_of_order_resume(tmp_path, out)
    # The new run writes an error line for a000 and must put a001's line after it: a rewrite.
    (tmp_path / "in" / "a000.txt").write_text("changed text\n", encoding="utf-8")
    _make_read_only(read_only)
    try:
        ran = extract("run", "in", "--out", str(out), cwd=tmp_path)
        assert ran.code == 74, ran.stderr
        assert "Read-only file system" in ran.stderr and "Traceback" not in ran.stderr
        assert out.read_bytes() == before
    finally:
        subprocess.run(["umount", str(read_only)], check=False)


def _hostile(*args: str, cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    """`extract ARGS` (the fake backend) started in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.cli", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stderr=subprocess.DEVNULL,
    )


def _wait_for_lines(path: Path, count: int) -> None:
    deadline = time.monotonic() + 90
    while not path.exists() or len(path.read_bytes().splitlines()) < count:
        assert time.monotonic() < deadline, f"{path} never had {count} lines"
        time.sleep(0.05)


def test_a_second_run_on_the_same_out_refuses_with_exit_2(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 6)
    hold = tmp_path / "hold"
    hold.touch()  # the first run writes a000, then waits until this is gone
    first = _hostile("run", "in", "--out", "out.jsonl", cwd=tmp_path, HOSTILE_HOLD=str(hold))
    waiting: subprocess.Popen[bytes] | None = None
    try:
        _wait_for_lines(tmp_path / "out.jsonl", 1)
        second = extract("run", "in", "--out", "out.jsonl", cwd=tmp_path)
        assert second.code == 2, second.stderr
        assert "being written by another extract run" in second.stderr
        waiting = _hostile("run", "in", "--out", "out.jsonl", "--wait-lock", cwd=tmp_path)
        time.sleep(1.0)
        assert waiting.poll() is None, "the waiting run did not wait"
        hold.unlink()
        assert first.wait(timeout=90) == 0
        assert waiting.wait(timeout=90) == 0
    finally:
        for process in (first, waiting):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    lines = result_lines(tmp_path / "out.jsonl")
    assert _articles(lines) == [f"a{n:03d}" for n in range(6)]


def test_a_killed_run_resumes_to_one_line_per_article(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 8)
    hold = tmp_path / "hold"
    hold.touch()
    first = _hostile("run", "in", "--out", "out.jsonl", cwd=tmp_path, HOSTILE_HOLD=str(hold))
    _wait_for_lines(tmp_path / "out.jsonl", 1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    hold.unlink()
    ran = extract("run", "in", "--out", "out.jsonl", cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    assert "resumed 1" in ran.stderr
    assert _articles(result_lines(tmp_path / "out.jsonl")) == [f"a{n:03d}" for n in range(8)]


def test_a_full_disk_mid_run_is_exit_74_with_no_cut_line(small_disk: Path, tmp_path: Path) -> None:
    long_text = "Oslo hosted talks number {n}. " + "The delegations met again. " * 60
    write_articles(tmp_path / "in", 100, long_text)  # over 100 KiB of lines: the disk has 64
    out = small_disk / "run.jsonl"
    ran = extract("run", "in", "--out", str(out), cwd=tmp_path)
    assert ran.code == 74, ran.stderr
    assert "No space left on device" in ran.stderr and "Traceback" not in ran.stderr
    lines = result_lines(out)  # every line whole
    assert lines and _articles(lines) == [f"a{n:03d}" for n in range(len(lines))]


def test_a_rewrite_that_fills_the_disk_leaves_the_file_as_it_was(
    small_disk: Path, tmp_path: Path
) -> None:
    out = small_disk / "run.jsonl"
    before = _out_of_order_resume(tmp_path, out)
    (tmp_path / "in" / "a000.txt").write_text("changed text\n", encoding="utf-8")
    filler = small_disk / "filler"
    # Fill the disk: a new line may still fit in the last page of the file, the rewrite not.
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
        except OSError:
            pass
    ran = extract("run", "in", "--out", str(out), cwd=tmp_path)
    assert ran.code == 74, ran.stderr
    assert "No space left on device" in ran.stderr and "Traceback" not in ran.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "run.jsonl"]
