"""The frozen held-out real set: every file is pinned by MANIFEST.sha256, and its gold is sound."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from extractor.evaluation.gold import Prediction, load_gold
from extractor.evaluation.metrics import HEADLINE_METRICS, aggregate, score_article

HELDOUT = Path(__file__).resolve().parent.parent / "evals" / "real" / "heldout"
MANIFEST = "MANIFEST.sha256"


def manifest_problems(folder: Path) -> list[str]:
    """Every difference between the folder's files and its manifest, one line each."""
    pinned: dict[str, str] = {}
    for line in (folder / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        pinned[name] = digest
    present = {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }
    problems = [f"not in the manifest: {name}" for name in sorted(present.keys() - pinned.keys())]
    missing = sorted(pinned.keys() - present.keys())
    problems += [f"in the manifest but missing: {name}" for name in missing]
    problems += [
        f"changed: {name}"
        for name in sorted(present.keys() & pinned.keys())
        if present[name] != pinned[name]
    ]
    return problems


def test_every_heldout_file_matches_the_manifest() -> None:
    # A failure here means a held-out file changed: if that was deliberate and reviewed, rewrite the
    # manifest (command in evals/real/heldout/README.md) in the same commit.
    assert manifest_problems(HELDOUT) == []


def test_the_manifest_check_catches_an_edit_an_addition_and_a_removal(tmp_path: Path) -> None:
    copy = tmp_path / "heldout"
    shutil.copytree(HELDOUT, copy)
    assert manifest_problems(copy) == []
    article = sorted(copy.glob("*.txt"))[0]
    article.write_bytes(article.read_bytes().replace(b" ", b"  ", 1))
    (copy / "gold" / "extra.json").write_text("{}", encoding="utf-8")
    (copy / "metadata.json").unlink()
    assert manifest_problems(copy) == [
        "not in the manifest: gold/extra.json",
        "in the manifest but missing: metadata.json",
        f"changed: {article.name}",
    ]


def test_heldout_gold_loads_and_scores_perfectly_against_itself() -> None:
    gold = load_gold(HELDOUT / "gold", HELDOUT)
    assert len(gold) >= 16
    assert sorted(gold) == sorted(path.stem for path in HELDOUT.glob("*.txt"))
    scores = aggregate(
        [score_article(g, Prediction(a, g.record.model_copy(deep=True))) for a, g in gold.items()]
    )
    # A quote not in its article, or a key fact the gold's own summary does not cover, shows here.
    assert {m: scores.micro[m] for m in HEADLINE_METRICS} == dict.fromkeys(HEADLINE_METRICS, 1.0)
