"""`extract` as a real process, with the backend replaced by `tests.fakes.FakeBackend`.

Run as ``python -m tests.hostile.cli ARGS...``: the command line, the standard streams, the
exit code and the output file are the real ones; only the model is fake (and fast). With
``HOSTILE_DELAY=SECONDS`` each article takes that long, and with ``HOSTILE_HOLD=FILE`` every
article but the first (``a000``) waits for FILE to be removed, so a test can act while a run is
busy.
"""

from __future__ import annotations

import os
import time

from extractor.articles import Article
from extractor.backends.base import Extraction
from tests.fakes import FakeBackend


class SlowFake(FakeBackend):
    """The fake backend, taking `delay` seconds per article, and holding every article but the
    first while `hold` exists."""

    def __init__(self, delay: float, hold: str | None) -> None:
        super().__init__()
        self.delay = delay
        self.hold = hold

    def extract(self, article: Article) -> Extraction:
        time.sleep(self.delay)
        while self.hold and article.id != "a000" and os.path.exists(self.hold):
            time.sleep(0.05)
        return super().extract(article)


def main() -> None:
    # Patched before the run loop imports it (the CLI imports the loop when a run starts).
    from extractor.backends import registry

    backend = SlowFake(float(os.environ.get("HOSTILE_DELAY", "0")), os.environ.get("HOSTILE_HOLD"))
    registry.create_backend = lambda settings, gate=None: backend  # type: ignore[assignment]

    from extractor.cli import main as extract_main

    extract_main()


if __name__ == "__main__":
    main()
