"""The lead-3 baseline: the first three body sentences, scored with the summary's coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.evaluation.gold import GoldArticle, Prediction, parse_gold
from extractor.evaluation.lead import lead_sentences, split_sentences
from extractor.evaluation.metrics import LEAD_METRIC, aggregate, score_article
from extractor.schema import EventRecord
from tests.test_eval_cli import ARTICLES, GOLD, gold_records, write_run

ARTICLE = """Ruritania and Freedonia sign border accord

Leaders meet in Geneva

By Jane Roe

Ruritania and Freedonia signed a border accord in Geneva on Monday, ending a decade of disputes.
Mr. Smith of the U.S. State Department called it a breakthrough. The accord demilitarises the river.

Both sides agreed to reopen three crossings. Switzerland mediated the talks.
"""


def test_lead_skips_headline_standfirst_and_byline_and_keeps_abbreviations() -> None:
    assert lead_sentences(ARTICLE) == [
        "Ruritania and Freedonia signed a border accord in Geneva on Monday, ending a decade of "
        "disputes.",
        "Mr. Smith of the U.S. State Department called it a breakthrough.",
        "The accord demilitarises the river.",
    ]


def test_lead_reads_on_into_the_next_paragraph_when_the_first_is_short() -> None:
    text = "Headline here\n\nThe first paragraph has one sentence and it is long enough.\n\n" \
        "Second paragraph, first sentence is here. And a second one follows it here. A third."
    assert lead_sentences(text) == [
        "The first paragraph has one sentence and it is long enough.",
        "Second paragraph, first sentence is here.",
        "And a second one follows it here.",
    ]


@pytest.mark.parametrize(
    ("paragraph", "count"),
    [
        ("He said “we will sign.” Then he left the room.", 2),
        ("Talks resumed at 3 p.m. Monday in Doha, officials said.", 1),
        ("J. R. Smith arrived. The talks began!", 2),
        ("Prices rose 2.5 per cent. Markets fell.", 2),
    ],
)
def test_sentence_split(paragraph: str, count: int) -> None:
    assert len(split_sentences(paragraph)) == count


def _gold(facts: list[str]) -> GoldArticle:
    payload = {
        "article": "a1",
        "key_facts": facts,
        "record": {"title": "t", "summary": "s", "event_type": "agreement_signed"},
    }
    return parse_gold(payload, "a1.json", ARTICLE)


def test_lead_coverage_is_scored_beside_the_summary_and_ignores_the_prediction() -> None:
    gold = _gold([
        "Ruritania and Freedonia signed a border accord",  # in the lead
        "the accord demilitarises the river",  # in the lead
        "three crossings reopen",  # only later in the article
    ])
    empty = score_article(gold, None)
    assert empty.metrics()[LEAD_METRIC] == pytest.approx(2 / 3)
    assert empty.metrics()["summary.coverage"] == 0.0
    record = EventRecord(title="t", summary="Three crossings reopen.", event_type="other")
    scored = score_article(gold, Prediction("a1", record))
    assert scored.metrics()[LEAD_METRIC] == pytest.approx(2 / 3)
    assert scored.metrics()["summary.coverage"] == pytest.approx(1 / 3)
    reasons = [d.reason for d in scored.decisions if d.field == "summary"]
    assert reasons[2].endswith("not covered by the lead-3 baseline")
    assert aggregate([scored]).micro[LEAD_METRIC] == pytest.approx(2 / 3)


def test_eval_report_shows_lead3_in_terminal_json_and_html(tmp_path: Path) -> None:
    records = gold_records()
    records["talks_002"].summary = ""
    run = write_run(tmp_path / "run.jsonl", records)
    out_json, out_html = tmp_path / "s.json", tmp_path / "r.html"
    result = CliRunner().invoke(app, [
        "eval", "--articles", str(ARTICLES), "--gold", str(GOLD), "--predictions", str(run),
        "--baseline", str(tmp_path / "b.json"), "--json", str(out_json), "--html", str(out_html),
    ])
    assert result.exit_code == 0, result.stderr
    row = next(r for r in result.stdout.splitlines() if r.strip().startswith("lead-3 baseline"))
    lead = json.loads(out_json.read_text(encoding="utf-8"))["lead3"]
    assert row.split()[2] == f"{lead['lead3_coverage']:.3f}"
    assert lead["lead3_coverage"] == 1.0  # the fixtures' leads state every key fact
    assert 0.0 < lead["summary_coverage"] < 1.0
    assert lead["summary_over_lead3"] == pytest.approx(lead["summary_coverage"])
    assert f"summary = {lead['summary_over_lead3']:.2f} x lead-3" in row
    assert f"<td>{LEAD_METRIC}</td>" in out_html.read_text(encoding="utf-8")
