"""`extract keys` and `extract serve` at the command line, and the service's line for an
article being the line `extract run` writes for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from extractor.cli import app
from extractor.service.app import create_app
from extractor.service.db import open_database
from extractor.service.store import Store, hash_key
from extractor.settings import ServiceSettings, Settings
from tests.conftest import SEEDS


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'keys.sqlite'}"
    done = CliRunner().invoke(
        app, ["keys", "create", "--name", "newsroom", "--rpm", "30", "--budget-usd", "2.5",
              "--db", db]
    )
    assert done.exit_code == 0, done.output
    key = done.stdout.strip()
    assert key.startswith("exk_") and len(key) > 40 and "\n" not in key
    assert "shown only this once" in done.stderr and key not in done.stderr
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("keys.sqlite*"))
    assert key.encode() not in raw and hash_key(key).encode() in raw
    listed = CliRunner().invoke(app, ["keys", "list", "--db", db])
    assert listed.exit_code == 0
    assert "newsroom\trpm=30\tbudget_usd=2.5000\tspent_usd=0.0000" in listed.stdout
    assert key not in listed.stdout


def test_a_bad_database_is_exit_2_with_a_message(tmp_path: Path) -> None:
    for args in (["keys", "create", "--name", "n", "--db", "nonsense"],
                 ["serve", "--db", "nonsense"],
                 ["keys", "list", "--db", f"sqlite:///{tmp_path}/no/such/dir/x.sqlite"]):
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 2, (args, done.output)
        assert "Traceback" not in done.output
    assert "is not a database URL" in CliRunner().invoke(
        app, ["serve", "--db", "nonsense"]).stderr


def test_serve_refuses_bad_settings(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["serve", "--port", "70000", "--db",
                                    f"sqlite:///{tmp_path / 's.sqlite'}"])
    assert done.exit_code == 2 and "port" in done.stderr


def _without_time(line: dict[str, Any]) -> dict[str, Any]:
    line["record"]["provenance"].pop("created_at")
    return line


def test_the_service_answers_the_line_extract_run_writes(tmp_path: Path) -> None:
    seed = sorted(SEEDS.glob("*.txt"))[0]
    out = tmp_path / "run.jsonl"
    settings = Settings.resolve(environ={}, cache=False)
    ran = CliRunner().invoke(app, ["run", str(seed), "--out", str(out), "--no-cache",
                                   "--published", "2024-06-19", "--source", "Wire"])
    assert ran.exit_code == 0, ran.output
    expected = json.loads(out.read_text(encoding="utf-8"))

    db = f"sqlite:///{tmp_path / 'service.sqlite'}"
    key = Store(open_database(db)).create_key("t", rpm=None, budget_usd=None)
    text = seed.read_text(encoding="utf-8")
    title = text.split("\n", 1)[0]
    service = create_app(settings, ServiceSettings(db=db))
    with TestClient(service) as client:
        answer = client.post(
            "/v1/extract",
            json={"id": expected["article"], "text": text, "published": "2024-06-19",
                  "source": "Wire", "title": title.strip() or None},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert answer.status_code == 200
    got = json.loads(answer.text)
    assert _without_time(got) == _without_time(expected)
