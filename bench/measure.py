"""The measurements: one ``extract run`` against the fault server, the offline backend in
process, and the start time of ``extract --help``. Each returns plain data for the report.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
EXTRACT = VENV_BIN / "extract"


# ------------------------------------------------------------------ the fake server


@dataclass(frozen=True)
class ServerOptions:
    """How the fault server behaves for one run."""

    latency: float
    fault_rate: float
    seed: int
    hang: float
    retry_after: str = "0"


class FaultServerProcess:
    """`bench.fault_server` in a subprocess on 127.0.0.1; a context manager."""

    def __init__(self, options: ServerOptions, stats_path: Path) -> None:
        self.options = options
        self.stats_path = stats_path
        self.base_url = ""
        self.cpu_s = 0.0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FaultServerProcess:
        command = [
            sys.executable,
            "-m",
            "bench.fault_server",
            "--port",
            "0",
            "--latency",
            str(self.options.latency),
            "--fault-rate",
            str(self.options.fault_rate),
            "--seed",
            str(self.options.seed),
            "--hang",
            str(self.options.hang),
            "--retry-after",
            self.options.retry_after,
            "--stats",
            str(self.stats_path),
        ]
        # Its stderr (tracebacks of connections the client dropped) goes to a log, not the table.
        with self.stats_path.with_suffix(".log").open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                stdin=subprocess.DEVNULL,
            )
        assert self._process.stdout is not None  # set by stdout=PIPE
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self._process.kill()
            raise RuntimeError(f"fault server did not start (said {line!r})")
        self.base_url = line
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        deadline = time.monotonic() + 10
        while True:
            # wait4, not Popen.wait: its rusage says how much CPU the server itself used.
            pid, status, usage = os.wait4(self._process.pid, os.WNOHANG)
            if pid:
                self._process.returncode = os.waitstatus_to_exitcode(status)
                self.cpu_s = usage.ru_utime + usage.ru_stime
                break
            if time.monotonic() > deadline:
                self._process.kill()
                deadline = math.inf
            time.sleep(0.05)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def stats(self) -> dict[str, Any]:
        """What the server served, by kind, and its CPU time (readable after the context exits)."""
        data: dict[str, Any] = json.loads(self.stats_path.read_text(encoding="utf-8"))
        data["cpu_s"] = round(self.cpu_s, 3)
        return data


# ------------------------------------------------------------------ extract run


@dataclass
class ProcessRun:
    """One finished subprocess: wall time, exit code, resources and its RSS over time."""

    exit_code: int
    wall_s: float
    max_rss_mb: float
    cpu_user_s: float
    cpu_system_s: float
    rss_samples_mb: list[float] = field(default_factory=list)
    stderr_tail: str = ""


def _rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def run_measured(
    command: list[str], env: dict[str, str], log: Path, *, sample_every: float = 0.5
) -> ProcessRun:
    """Run `command`, sampling its RSS; resources come from `os.wait4` for this child alone."""
    samples: list[float] = []
    done = threading.Event()
    with log.open("wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )

        def sample() -> None:
            while not done.wait(sample_every):
                rss = _rss_mb(process.pid)
                if rss is not None:
                    samples.append(round(rss, 1))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4, not Popen.wait: its rusage is this child's own, ru_maxrss its high-water mark.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    return ProcessRun(
        exit_code=process.returncode,
        wall_s=wall,
        max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        cpu_user_s=usage.ru_utime,
        cpu_system_s=usage.ru_stime,
        rss_samples_mb=samples,
        stderr_tail=tail,
    )


@dataclass(frozen=True)
class OutputCheck:
    """The output file against the corpus: nothing lost, nothing twice, same order."""

    lines: int
    records: int
    errors: dict[str, int]
    lost: int
    duplicated: int
    unexpected: int
    in_order: bool


def check_output(out: Path, corpus_ids: list[str]) -> OutputCheck:
    """Count the output's article ids against the corpus ids."""
    seen: Counter[str] = Counter()
    order: list[str] = []
    records = 0
    errors: Counter[str] = Counter()
    lines = 0
    if out.exists():
        with out.open(encoding="utf-8") as handle:
            for raw in handle:
                lines += 1
                document = json.loads(raw)
                seen[document["article"]] += 1
                order.append(document["article"])
                if "record" in document:
                    records += 1
                else:
                    errors[document["error"]["type"]] += 1
    expected = set(corpus_ids)
    return OutputCheck(
        lines=lines,
        records=records,
        errors=dict(errors),
        lost=sum(1 for article_id in corpus_ids if article_id not in seen),
        duplicated=sum(n - 1 for n in seen.values() if n > 1),
        unexpected=sum(1 for article_id in seen if article_id not in expected),
        in_order=order == corpus_ids,
    )


def extract_command(
    corpus: Path,
    out: Path,
    base_url: str,
    *,
    concurrency: int,
    timeout: float,
    rpm: int | None,
    cache_dir: Path,
    summary: Path,
) -> list[str]:
    """The ``extract run`` command line the benchmark runs."""
    command = [
        str(EXTRACT),
        "run",
        str(corpus),
        "--backend",
        "openai",
        "--base-url",
        base_url,
        "--concurrency",
        str(concurrency),
        "--timeout",
        str(timeout),
        "--out",
        str(out),
        "--cache-dir",
        str(cache_dir),
        "--summary-json",
        str(summary),
    ]
    if rpm is not None:
        command += ["--rpm", str(rpm)]
    return command


def extract_env() -> dict[str, str]:
    """The environment of ``extract run``: a dummy key, and no settings leaking in from outside."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EXTRACT_", "OPENAI_"))
    }
    env["OPENAI_API_KEY"] = "dummy"
    return env


# ------------------------------------------------------------------ offline backend


@dataclass(frozen=True)
class OfflineSpeed:
    """The offline backend over the seeds, in this process, one core."""

    articles: int
    seed_chars_mean: float
    load_s: float
    wall_s: float
    cpu_s: float
    articles_per_s: float
    articles_per_cpu_s: float
    errors: int


def measure_offline(seeds: Path, repeats: int) -> OfflineSpeed:
    """Extract every seed article `repeats` times with the offline backend; model load apart."""
    from extractor.articles import Article
    from extractor.backends.offline import OfflineBackend
    from extractor.backends.offline.nlp import load_pipeline
    from extractor.errors import ExtractorError
    from extractor.inputs import read_articles
    from extractor.pipeline import extract_record

    _, reader = read_articles([str(seeds)])
    articles = [item for item in reader if isinstance(item, Article)]
    if not articles:
        raise RuntimeError(f"no seed articles in {seeds}")
    backend = OfflineBackend()
    started = time.perf_counter()
    load_pipeline(backend.model_name)
    load_s = time.perf_counter() - started
    # One untimed pass: first-call costs (lazy imports, caches) are not per-article costs.
    for article in articles:
        extract_record(article, backend)
    errors = 0
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        for article in articles:
            try:
                extract_record(article, backend)
            except ExtractorError:
                errors += 1
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    count = repeats * len(articles)
    return OfflineSpeed(
        articles=count,
        seed_chars_mean=statistics.fmean(len(a.text) for a in articles),
        load_s=load_s,
        wall_s=wall,
        cpu_s=cpu,
        articles_per_s=count / wall,
        articles_per_cpu_s=count / cpu,
        errors=errors,
    )


# ------------------------------------------------------------------ start time


@dataclass(frozen=True)
class StartTime:
    """``extract --help`` wall times and, when slow, the imports that cost the most."""

    median_s: float
    runs_s: list[float]
    top_imports: list[tuple[str, float]]


def measure_help(runs: int, *, threshold: float = 0.5, top: int = 12) -> StartTime:
    """Median wall time of ``extract --help``; the slowest imports when over `threshold`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [str(EXTRACT), "--help"],
            cwd=REPO,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    offenders = import_offenders(top) if median > threshold else []
    return StartTime(median, [round(t, 3) for t in times], offenders)


def import_offenders(top: int) -> list[tuple[str, float]]:
    """The `top` imports of ``extract --help`` by cumulative time (``python -X importtime``)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(EXTRACT), "--help"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| \s*(\S+)", line)
        if match:
            rows.append((match.group(2), int(match.group(1)) / 1e6))
    # Biggest subtrees first: a first-party module near the top is the import to make lazy.
    rows.sort(key=lambda row: -row[1])
    return [(name, round(seconds, 3)) for name, seconds in rows[:top]]
