"""An article far longer than the context budget: chunked, merged, offsets into the full text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app
from extractor.schema import EventRecord
from tests.fake_openai import FakeOpenAI

LEAD = "Chile and Peru signed a water-sharing accord in Lima on Monday, officials said. "
FILLER = "Farmers along the valley described years of drought and falling river levels. "


def test_long_article_over_real_http_is_chunked_and_grounded(tmp_path: Path) -> None:
    text = (
        "Water accord signed\n\n"
        + LEAD
        + "".join(f"{FILLER[:-2]} in village {i}. " for i in range(400))
    )
    assert len(text) > 30_000
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with FakeOpenAI() as server:
        result = CliRunner().invoke(
            app,
            ["run", str(tmp_path / "long.txt"), "--out", str(out), "--backend", "openai",
             "--base-url", server.base_url, "--model", "m", "--context-chars", "4000",
             "--no-cache"],
        )  # fmt: skip
        calls = len(server.requests)
    assert result.exit_code == 0, result.output
    (line,) = out.read_text(encoding="utf-8").splitlines()
    record = EventRecord.model_validate(json.loads(line)["record"])
    assert record.provenance is not None
    assert calls == record.provenance.chunks >= 8
    assert record.provenance.usage.requests == calls
    for evidence in record.evidence_items():
        assert evidence.verified
        assert evidence.start is not None and evidence.end is not None
        assert text[evidence.start : evidence.end] == evidence.quote.strip()
    # Chunks overlap, so the same fact seen twice is merged, not repeated.
    statements = [t.statement for t in record.treaty_terms]
    assert len(statements) == len(set(statements))
