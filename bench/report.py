"""The benchmark's verdicts: each number against its target, as a table and as JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import REPO


@dataclass(frozen=True)
class Check:
    """One measured number, its target, and whether it met it (None: reported, no target)."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool | None

    @property
    def status(self) -> str:
        """PASS, FAIL or INFO."""
        if self.passed is None:
            return "INFO"
        return "PASS" if self.passed else "FAIL"


def at_most(name: str, value: float, unit: str, limit: float, *, strict: bool = False) -> Check:
    """A check that `value` stays under `limit` (`<` when strict, else `<=`)."""
    passed = value < limit if strict else value <= limit
    return Check(name, value, unit, f"{'<' if strict else '<='} {limit:g}", passed)


def at_least(name: str, value: float, unit: str, limit: float) -> Check:
    """A check that `value` reaches `limit`."""
    return Check(name, value, unit, f">= {limit:g}", value >= limit)


def info(name: str, value: float, unit: str, note: str = "") -> Check:
    """A number reported without a target."""
    return Check(name, value, unit, note or "-", None)


def render_table(checks: list[Check]) -> str:
    """The checks as a fixed-width text table."""
    rows = [("metric", "value", "target", "result")]
    rows += [(c.name, f"{_number(c.value)} {c.unit}".strip(), c.target, c.status) for c in checks]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {
        "nproc": cores,
        "memory_gib": memory_gib,
        "cpu_model": cpu_model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_commit() -> str:
    """The checkout's HEAD commit, with ``+dirty`` if the working tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def write_results(path: Path, sections: dict[str, Any], checks: list[Check]) -> None:
    """Write every section, the checks and an overall verdict to `path` as JSON."""
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        **sections,
        "checks": [{**asdict(check), "status": check.status} for check in checks],
        "all_passed": all(check.passed is not False for check in checks),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)
