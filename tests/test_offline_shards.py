"""`examples/offline_shards.py`: the offline backend over shards on worker processes, one backend
each, merged into one output by `extract run`'s resume logic, after a lost shard and a killed
worker's cut part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.offline_shards import merge, run_with_processes, shard_files
from tests.test_resume import make_corpus

pytestmark = pytest.mark.slow


def test_shards_on_worker_processes_merge_into_one_line_per_article(tmp_path: Path) -> None:
    ids = make_corpus(tmp_path / "corpus", 24)
    corpus = [str(tmp_path / "corpus")]
    shards = shard_files(corpus, 4)
    assert [len(shard) for shard in shards] == [6, 6, 6, 6]
    assert [Path(f).stem for shard in shards for f in shard] == ids
    parts = tmp_path / "parts"
    # Shard 3 never runs (its node was lost); the other three run on two workers.
    assert run_with_processes(shards[:3], parts, workers=2) == 18
    # Shard 1's worker was killed while writing: three whole lines and half of the fourth.
    part = parts / "00001.jsonl"
    lines = part.read_bytes().splitlines(keepends=True)
    part.write_bytes(b"".join(lines[:3]) + lines[3][:40])

    out = tmp_path / "run.jsonl"
    summary = merge(corpus, parts, out)
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["article"] for line in written] == ids  # each once, in input order
    assert all("record" in line for line in written)
    assert summary.articles == 24 and summary.records == 24
    assert summary.resumed == 18 - 3  # only the lost shard and the cut lines were redone

    before = out.read_bytes()
    again = merge(corpus, parts, out)  # merging twice changes nothing
    assert again.resumed == 24
    assert out.read_bytes() == before


# Ray's own modules warn about their own deprecated settings on import.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_shards_as_a_ray_data_map_with_an_actor_per_worker(tmp_path: Path) -> None:
    """The same over Ray, when it is installed (``pip install 'extractor[ray]'``; not a dev
    dependency: a local Ray cluster takes longer to start than the rest of the suite takes)."""
    pytest.importorskip("ray", reason="ray is an optional extra: pip install 'extractor[ray]'")
    from examples.offline_shards import run_with_ray

    ids = make_corpus(tmp_path / "corpus", 9)
    corpus = [str(tmp_path / "corpus")]
    parts = tmp_path / "parts"
    assert run_with_ray(shard_files(corpus, 3), parts, workers=2) == 9
    out = tmp_path / "run.jsonl"
    summary = merge(corpus, parts, out)
    written = [json.loads(line)["article"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert written == ids and summary.resumed == 9
