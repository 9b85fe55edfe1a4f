"""`extract --help` must start fast: heavy libraries load only when a command needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("spacy", "openai", "scipy", "rapidfuzz", "extractor.schema", "extractor.evaluation")


def test_importing_the_cli_loads_no_heavy_library() -> None:
    probe = (
        "import sys, extractor.cli; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"loaded at start-up: {out.stdout.strip()}"


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "extractor", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("run", "eval", "schema", "show", "serve", "keys"):
        assert command in out.stdout
