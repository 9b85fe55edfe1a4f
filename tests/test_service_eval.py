"""POST /v1/eval: result lines scored against the server's gold, as `extract eval` scores them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import extractor
from extractor.service.app import create_app
from extractor.service.db import open_database
from extractor.service.store import Store
from extractor.settings import ServiceSettings, Settings
from tests.conftest import REPO


def test_eval_scores_posted_lines_like_extract_eval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the server's gold is evals/gold, its articles seeds/
    run = tmp_path / "run.jsonl"
    lines = list(extractor.run(["seeds/"], out=run, settings=Settings.resolve(
        environ={}, cache_dir=tmp_path / "cache")))
    assert len(lines) == 5
    expected = extractor.evaluate(run)

    db = f"sqlite:///{tmp_path / 'eval.sqlite'}"
    key = Store(open_database(db)).create_key("eval", rpm=None, budget_usd=None)
    app = create_app(Settings.resolve(environ={}, cache=False), ServiceSettings(db=db))
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {key}"}
        answer = client.post("/v1/eval", content=run.read_bytes(),
                             headers={**auth, "Content-Type": "application/x-ndjson"})
        bad = client.post("/v1/eval", content=b'{"article": "x"}\n', headers=auth)
        anonymous = client.post("/v1/eval", content=run.read_bytes())
    assert answer.status_code == 200
    scores = answer.json()
    assert scores["micro"] == pytest.approx(expected.scores.micro)
    assert scores["key"] == expected.key and scores["regressions"] == []
    assert [a["article"] for a in scores["articles"]] == [
        a.article for a in expected.scores.articles]
    assert bad.status_code == 422 and "line 1" in bad.json()["error"]["message"]
    assert anonymous.status_code == 401
