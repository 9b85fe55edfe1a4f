"""``python -m bench.events``: how `extract events` grouping scales (1k to 16k synthetic records).

Synthetic records (not articles: the records a run would give) in events of one to six reports;
each event has two or three parties from a pool of 20 states, a day in a span of a day per
two records (at least a year), a type,
a place and wording drawn from a shared vocabulary, so blocks are realistic: many events share
parties, and the same parties come back on other days. Each size is grouped and merged in this
process (`extractor.events.build.build_events` over a run file written first); the time, the
candidate pairs the blocking let through, and the CoNLL F1 and LEA against the synthetic truth
are printed and written to ``bench/events-results.json``, with the time `extract events --update`
takes to add the last 1% of the records to an events file of the first 99% (checked to give the
build's events).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.corpus import _STATES
from extractor.events.build import build_events, read_reports, update_events, write_events
from extractor.events.grouping import candidate_pairs
from extractor.events.scoring import conll, lea
from extractor.lines import ResultLine
from extractor.schema import ArticleInfo, EventDate, EventRecord, Evidence, Location, Party

_TYPES = ("agreement_signed", "talks", "visit", "sanctions", "statement", "ceasefire")
_WORDS = [
    "treaty",
    "signed",
    "border",
    "trade",
    "accord",
    "security",
    "pact",
    "ministers",
    "summit",
    "talks",
    "ceasefire",
    "sanctions",
    "envoy",
    "delegation",
    "visit",
    "agreement",
    "cooperation",
    "defence",
    "energy",
    "pipeline",
    "grain",
    "ports",
    "fishing",
    "rights",
    "elections",
    "observers",
    "prisoners",
    "exchange",
    "aid",
    "corridor",
    "tariffs",
    "investment",
    "loan",
    "debt",
    "water",
    "dam",
    "railway",
    "airspace",
    "navy",
    "drills",
    "missile",
    "nuclear",
    "refugees",
]


def _evidence(quote: str) -> Evidence:
    return Evidence(quote=quote, start=0, end=len(quote), verified=True, method="exact")


def synthetic_run(records: int, seed: int) -> tuple[list[ResultLine], list[frozenset[str]]]:
    """`records` result lines in events of 1-6 reports, and the true events (article ids)."""
    rng = random.Random(seed)
    lines: list[ResultLine] = []
    truth: list[frozenset[str]] = []
    start = date(2020, 1, 1)
    # The calendar grows with the records (a newsroom's archive over a longer time): the same
    # number of reports a day at every size.
    span = max(365, records // 2)
    while len(lines) < records:
        event = len(truth)
        parties = rng.sample(_STATES, rng.choice((2, 2, 3)))
        day = start + timedelta(days=rng.randrange(span))
        kind = rng.choice(_TYPES)
        place = rng.choice(_STATES)
        words = rng.sample(_WORDS, 8)
        ids: list[str] = []
        for report in range(min(rng.randint(1, 6), records - len(lines))):
            article = f"e{event:05d}r{report}"
            ids.append(article)
            wording = " ".join(rng.sample(words, 6) + rng.sample(_WORDS, 3))
            published = (day + timedelta(days=rng.choice((0, 0, 1)))).isoformat()
            title = f"{' and '.join(parties)}: {wording}"
            record = EventRecord(
                title=title,
                summary=f"{title}. Officials in {place} spoke of {wording}.",
                event_type=kind,  # type: ignore[arg-type]
                date=EventDate(
                    value=day.isoformat(),
                    precision="day",
                    phrase="on Monday",
                    evidence=_evidence(title),
                ),
                location=Location(name=place, evidence=_evidence(place)),
                parties=[
                    Party(name=name, type="state", role="signatory", evidence=_evidence(name))
                    for name in parties
                ],
                article=ArticleInfo(
                    id=article,
                    source=f"Outlet {report}",
                    published=published,
                    published_earliest=published,
                    published_latest=published,
                ),
            )
            lines.append(ResultLine.of_record(article, record, None))
        truth.append(frozenset(ids))
    return lines, truth


def measure(records: int, seed: int, folder: Path) -> dict[str, float]:
    """Group `records` synthetic records; time, candidate pairs and scores."""
    lines, truth = synthetic_run(records, seed)
    run = folder / f"run-{records}.jsonl"
    run.write_text("".join(line.dumps() + "\n" for line in lines), "utf-8")
    reports, _, _ = read_reports([run])
    pairs = len(candidate_pairs(reports))
    began = time.perf_counter()
    result = build_events([run])
    seconds = time.perf_counter() - began
    response = [frozenset(event.articles) for event in result.events]
    # The same records as an events file of the first 99% updated with the last 1%.
    cut = records - max(1, records // 100)
    first, last = folder / f"first-{records}.jsonl", folder / f"last-{records}.jsonl"
    first.write_text("".join(line.dumps() + "\n" for line in lines[:cut]), "utf-8")
    last.write_text("".join(line.dumps() + "\n" for line in lines[cut:]), "utf-8")
    events = folder / f"events-{records}.jsonl"
    write_events(build_events([first]), events)
    began = time.perf_counter()
    updated = update_events(events, [last])
    update_seconds = time.perf_counter() - began
    if [e.articles for e in updated.events] != [e.articles for e in result.events]:
        raise SystemExit(f"{records}: the update's events differ from the build's")
    return {
        "records": records,
        "events": len(result.events),
        "true_events": len(truth),
        "candidate_pairs": pairs,
        "all_pairs": records * (records - 1) // 2,
        "seconds": round(seconds, 2),
        "ms_per_record": round(1000 * seconds / records, 3),
        "update_1pct_seconds": round(update_seconds, 2),
        "conll_f1": round(conll(truth, response), 4),
        "lea_f1": round(lea(truth, response).f1, 4),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure each size, print a table, write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000, 16000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", type=Path, default=Path("bench/events-results.json"))
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            row = measure(size, args.seed, Path(folder))
            rows.append(row)
            print(
                f"{row['records']:>6} records  {row['seconds']:>7.2f} s  "
                f"{row['ms_per_record']:>6.3f} ms/record  {row['candidate_pairs']:>8} pairs "
                f"(of {row['all_pairs']})  CoNLL {row['conll_f1']:.3f}  LEA {row['lea_f1']:.3f}  "
                f"update +1% {row['update_1pct_seconds']:.2f} s",
                flush=True,
            )
    args.results.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
