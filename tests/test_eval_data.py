"""The eval's own data files: the baseline file, the README's metric docs, the gold sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractor.articles import PublicationDate
from extractor.evaluation.gate import Baseline
from extractor.evaluation.gold import Prediction, load_gold
from extractor.evaluation.metrics import HEADLINE_METRICS, aggregate, score_article

REPO = Path(__file__).resolve().parent.parent
EVALS = REPO / "evals"


def test_committed_baseline_file_is_well_formed() -> None:
    baseline = Baseline.load(EVALS / "baseline.json")
    assert baseline.default_tolerance() >= 0
    for key in baseline.document:
        if key != "default_tolerance":
            assert "@" in key, key
            entry = baseline.entry(key)
            assert entry is not None
            assert set(entry.scores) <= set(HEADLINE_METRICS)


def test_readme_documents_every_headline_metric_and_the_agreement_section() -> None:
    readme = (EVALS / "README.md").read_text(encoding="utf-8")
    for metric in HEADLINE_METRICS:
        assert metric in readme, metric
    assert "## Agreement ceiling" in readme


@pytest.mark.skipif(not any((EVALS / "gold").glob("*.json")), reason="no gold annotated yet")
def test_real_gold_loads_and_scores_perfectly_against_itself() -> None:
    gold = load_gold(EVALS / "gold", REPO / "seeds")
    scores = aggregate(
        [score_article(g, Prediction(a, g.record.model_copy(deep=True))) for a, g in gold.items()]
    )
    # A key fact its own gold summary does not cover, or a quote not in the article, shows here.
    assert {m: scores.micro[m] for m in HEADLINE_METRICS} == dict.fromkeys(HEADLINE_METRICS, 1.0)


REAL = EVALS / "real"
REAL_SETS = sorted(p for p in REAL.glob("*") if (p / "gold").is_dir()) if REAL.is_dir() else []


def _quotes(record: dict[str, Any]) -> list[str]:
    """Every verbatim string a gold record takes from its article: quotes, date phrase, aliases."""
    found = [e["quote"] for e in _evidence_dicts(record)]
    if record.get("date"):
        found.append(record["date"]["phrase"])
    for party in record.get("parties", []):
        found.extend(party.get("aliases", []))
    return found


def _evidence_dicts(record: dict[str, Any]) -> list[dict[str, Any]]:
    items = [record[k]["evidence"] for k in ("date", "location") if record.get(k)]
    for name in ("parties", "treaty_terms", "allegations", "denials"):
        items.extend(item["evidence"] for item in record.get(name, []))
    return items


@pytest.mark.parametrize("articles", REAL_SETS, ids=[p.name for p in REAL_SETS])
def test_real_set_gold_validates_and_scores_perfectly_against_itself(articles: Path) -> None:
    gold = load_gold(articles / "gold", articles)
    texts = {p.stem for p in articles.glob("*.txt")}
    assert set(gold) == texts, "every article has gold and every gold file has an article"
    scores = aggregate(
        [score_article(g, Prediction(a, g.record.model_copy(deep=True))) for a, g in gold.items()]
    )
    for metric in HEADLINE_METRICS:
        assert scores.micro[metric] in (None, 1.0), metric


@pytest.mark.parametrize("articles", REAL_SETS, ids=[p.name for p in REAL_SETS])
def test_real_set_quotes_are_verbatim_and_denials_point_at_allegations(articles: Path) -> None:
    for path in sorted((articles / "gold").glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        text = (articles / f"{payload['article']}.txt").read_text(encoding="utf-8")
        record = payload["record"]
        missing = [q for q in _quotes(record) if q not in text]
        assert not missing, f"{path.name}: not verbatim in the article: {missing}"
        names = {p["name"] for p in record["parties"]}
        for party in record["parties"]:
            assert party["represents"] in names | {None}, f"{path.name}: {party['name']}"
        for denial in record["denials"]:
            index = denial["allegation"]
            assert index is None or 0 <= index < len(record["allegations"]), path.name


@pytest.mark.parametrize("articles", REAL_SETS, ids=[p.name for p in REAL_SETS])
def test_real_set_metadata_describes_every_article(articles: Path) -> None:
    metadata = json.loads((articles / "metadata.json").read_text(encoding="utf-8"))
    texts = {p.stem: p.read_text(encoding="utf-8") for p in articles.glob("*.txt")}
    assert set(metadata) == set(texts)
    readme = (articles / "README.md").read_text(encoding="utf-8")
    for article, meta in metadata.items():
        assert set(meta) == {"source", "published", "url", "title"}, article
        assert meta["source"], article
        PublicationDate.parse(meta["published"])
        # Wire copy from research corpora may have no headline: then the title is null.
        if meta["title"] is not None:
            assert texts[article].split("\n", 1)[0] == meta["title"], article
        assert f"`{article}`" in readme, f"{article} has no row in {articles.name}/README.md"
