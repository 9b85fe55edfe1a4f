"""``python -m bench``: run every measurement, print the verdict table, write the results JSON.

Five parts, each skippable with ``--skip``:

* ``llm``: N synthetic articles through a real ``extract run --backend openai`` subprocess
  against `bench.fault_server` (latency, fault mix); throughput, lost/duplicated, memory.
* ``floor``: the same corpus and server settings through `bench.floor`, the raw ``openai`` SDK
  in a thread pool replaying our request bodies and only parsing the JSON; ``llm`` as a ratio
  of it (needs ``llm``).
* ``overhead``: the same with latency 0, no faults and concurrency 1: pipeline cost per article.
* ``offline``: the offline backend in this process over the seeds, one core.
* ``help``: the start time of ``extract --help``.

Exit code 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.corpus import write_corpus
from bench.measure import (
    REPO,
    FaultServerProcess,
    ServerOptions,
    check_output,
    extract_command,
    extract_env,
    measure_help,
    measure_offline,
    run_measured,
)
from bench.report import Check, at_least, at_most, info, machine, render_table, write_results

PARTS = ("llm", "floor", "overhead", "offline", "help")

# Targets from the scaling issue.
TARGET_THROUGHPUT_RATIO = 0.90
# From the developers' guide: within 5% of the raw SDK replaying the same requests.
TARGET_FLOOR_RATIO = 0.95
TARGET_PEAK_MB = 300.0
TARGET_OFFLINE_PER_CORE = 5.0
TARGET_HELP_S = 0.5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options; ``--quick`` shrinks every part to a smoke run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=None, help="corpus size (10000)")
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per reply")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--fault-rate", type=float, default=0.1, help="share of faulty replies")
    parser.add_argument("--rpm", type=int, default=None, help="client requests-per-minute limit")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="client timeout per request (default: max(1, 5 x latency))",
    )
    parser.add_argument("--retry-after", default="0", help="Retry-After seconds of the 429s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overhead-articles", type=int, default=None, help="(300)")
    parser.add_argument("--offline-repeats", type=int, default=None, help="seed passes (20)")
    parser.add_argument("--help-runs", type=int, default=None, help="(10)")
    parser.add_argument("--quick", action="store_true", help="a ~500-article smoke run")
    parser.add_argument("--skip", action="append", choices=PARTS, default=[])
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="results JSON (default: bench/results.json; out/bench-quick.json with --quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "articles": 500 if quick else 10_000,
        "overhead_articles": 100 if quick else 300,
        "offline_repeats": 4 if quick else 20,
        "help_runs": 5 if quick else 10,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.timeout is None:
        args.timeout = max(1.0, 5 * args.latency)
    if args.results is None:
        args.results = REPO / ("out/bench-quick.json" if quick else "bench/results.json")
    return args


def ideal_rate(concurrency: int, latency: float, rpm: int | None) -> float:
    """Articles per second with no overhead and no faults: min(concurrency / latency, rpm/60)."""
    rate = concurrency / latency if latency > 0 else math.inf
    if rpm is not None:
        rate = min(rate, rpm / 60.0)
    return rate


def run_llm(
    work: Path,
    name: str,
    *,
    articles: int,
    latency: float,
    concurrency: int,
    fault_rate: float,
    rpm: int | None,
    timeout: float,
    retry_after: str,
    seed: int,
) -> dict[str, Any]:
    """One ``extract run`` over a fresh corpus against the fault server; its numbers."""
    folder = work / name
    folder.mkdir()
    corpus, out, summary_path = folder / "corpus.jsonl", folder / "out.jsonl", folder / "sum.json"
    corpus_ids = write_corpus(corpus, articles, seed)
    # A timeout reply is held a second past the client's timeout, so it really times out.
    options = ServerOptions(latency, fault_rate, seed, hang=timeout + 1.0, retry_after=retry_after)
    print(
        f"[bench] {name}: {articles} articles, latency {latency}s, concurrency "
        f"{concurrency}, faults {fault_rate:.0%}...",
        file=sys.stderr,
        flush=True,
    )
    with FaultServerProcess(options, folder / "server.json") as server:
        command = extract_command(
            corpus,
            out,
            server.base_url,
            concurrency=concurrency,
            timeout=timeout,
            rpm=rpm,
            cache_dir=folder / "cache",
            summary=summary_path,
        )
        process = run_measured(command, extract_env(), folder / "stderr.log")
    served = server.stats()
    check = check_output(out, corpus_ids)
    summary: dict[str, Any] = {}
    if summary_path.exists():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    elapsed = float(summary.get("elapsed_s") or process.wall_s)
    ideal = ideal_rate(concurrency, latency, rpm)
    kinds: dict[str, int] = served["served"]
    requests = int(served["requests"])
    # Slot-seconds spent waiting on the server: every reply holds a slot for the latency, a
    # timeout for the client's timeout. What is left of wall x concurrency is the pipeline's.
    timeouts = kinds.get("timeout", 0)
    busy = (requests - timeouts) * latency + timeouts * timeout
    rate = articles / elapsed
    cpu = process.cpu_user_s + process.cpu_system_s
    request_rate = requests / elapsed
    result: dict[str, Any] = {
        "articles": articles,
        "latency_s": latency,
        "concurrency": concurrency,
        "fault_rate": fault_rate,
        "rpm": rpm,
        "client_timeout_s": timeout,
        "exit_code": process.exit_code,
        "process_wall_s": round(process.wall_s, 3),
        "run_elapsed_s": round(elapsed, 3),
        "startup_s": round(process.wall_s - elapsed, 3),
        "ideal_articles_per_s": ideal if math.isfinite(ideal) else None,
        "articles_per_s": round(rate, 2),
        "articles_ratio": round(rate / ideal, 4) if math.isfinite(ideal) else None,
        "requests_per_s": round(request_rate, 2),
        "requests_ratio": round(request_rate / ideal, 4) if math.isfinite(ideal) else None,
        # What a pipeline with no overhead and no waits would reach with these very faults: every
        # request (repeats included) holds a slot for its server time, nothing else does.
        "fault_adjusted_ideal_articles_per_s": round(articles * concurrency / busy, 2)
        if busy
        else None,
        # = throughput / fault-adjusted ideal: the share of slot time spent waiting on the server.
        "slot_utilisation": round(busy / (elapsed * concurrency), 4),
        "non_server_slot_ms_per_article": round(
            (elapsed * concurrency - busy) / articles * 1000, 2
        ),
        "cpu_ms_per_article": round(cpu / articles * 1000, 3),
        # Near 1.0 means the run loop is CPU-bound: one interpreter, one GIL.
        "cpu_share_of_wall": round(cpu / process.wall_s, 3),
        "server_cpu_ms_per_request": round(served["cpu_s"] / max(requests, 1) * 1000, 3),
        "peak_rss_mb": round(process.max_rss_mb, 1),
        "rss_samples_mb": _thin(process.rss_samples_mb, 40),
        "server": served,
        "summary": {
            k: summary.get(k)
            for k in ("records", "errors", "requests", "retries", "reasks", "elapsed_s")
        },
        "output": asdict(check),
    }
    if process.exit_code not in (0, 1):
        result["stderr_tail"] = process.stderr_tail
    print(
        f"[bench] {name}: {rate:.1f} articles/s in {elapsed:.1f}s, peak "
        f"{process.max_rss_mb:.0f} MB, exit {process.exit_code}",
        file=sys.stderr,
        flush=True,
    )
    return result


def run_floor(
    work: Path,
    corpus: Path,
    *,
    latency: float,
    concurrency: int,
    fault_rate: float,
    timeout: float,
    retry_after: str,
    seed: int,
) -> dict[str, Any]:
    """`bench.floor` over `corpus` against a fresh fault server with the same settings."""
    folder = work / "floor"
    folder.mkdir()
    options = ServerOptions(latency, fault_rate, seed, hang=timeout + 1.0, retry_after=retry_after)
    print("[bench] floor: the raw SDK in a thread pool, same corpus and server...",
          file=sys.stderr, flush=True)  # fmt: skip
    out = folder / "floor.json"
    with FaultServerProcess(options, folder / "server.json") as server:
        command = [
            sys.executable, "-m", "bench.floor", str(corpus), "--base-url", server.base_url,
            "--concurrency", str(concurrency), "--timeout", str(timeout), "--out", str(out),
        ]  # fmt: skip
        process = run_measured(command, extract_env(), folder / "stderr.log")
    result: dict[str, Any] = {"exit_code": process.exit_code, "server": server.stats()}
    if out.exists():
        result.update(json.loads(out.read_text(encoding="utf-8")))
    result["peak_rss_mb"] = round(process.max_rss_mb, 1)
    if process.exit_code != 0:
        result["stderr_tail"] = process.stderr_tail
    print(f"[bench] floor: {result.get('articles_per_s')} articles/s", file=sys.stderr, flush=True)
    return result


def _thin(samples: list[float], keep: int) -> list[float]:
    if len(samples) <= keep:
        return samples
    step = len(samples) / keep
    return [samples[int(i * step)] for i in range(keep)] + [samples[-1]]


def floor_checks(run: dict[str, Any], floor: dict[str, Any]) -> list[Check]:
    """Our throughput against the raw SDK's, measured in the same benchmark run."""
    rate = floor.get("articles_per_s")
    if not rate:
        return [info("raw SDK floor", 0.0, "art/s", "floor run failed")]
    ratio = run["articles_per_s"] / rate
    floor["ours_over_floor"] = round(ratio, 4)
    return [
        info("raw SDK floor (thread pool, parse only)", rate, "art/s"),
        info("  floor CPU", floor.get("cpu_ms_per_article", 0.0), "ms/art"),
        at_least("throughput / raw SDK floor", ratio, "", TARGET_FLOOR_RATIO),
    ]


def llm_checks(run: dict[str, Any]) -> list[Check]:
    """Verdicts of the main run."""
    output = run["output"]
    checks = [
        at_most("lost articles", output["lost"], "", 0),
        at_most("duplicated articles", output["duplicated"], "", 0),
        Check("output in input order", float(output["in_order"]), "bool", "1", output["in_order"]),
        info("error lines", sum(output["errors"].values()), "", "faults exhausted retries"),
        info(
            "ideal throughput",
            run["ideal_articles_per_s"] or 0,
            "art/s",
            "min(concurrency/latency, rpm/60)",
        ),
        info("throughput", run["articles_per_s"], "art/s"),
    ]
    if run["articles_ratio"] is not None:
        checks += [
            at_least(
                "throughput / ideal (articles)", run["articles_ratio"], "", TARGET_THROUGHPUT_RATIO
            ),
            at_least(
                "throughput / ideal (requests)", run["requests_ratio"], "", TARGET_THROUGHPUT_RATIO
            ),
        ]
    checks += [
        info(
            "fault-adjusted ideal",
            run["fault_adjusted_ideal_articles_per_s"] or 0,
            "art/s",
            "every request's server time, no overhead",
        ),
        info(
            "throughput / fault-adjusted ideal",
            run["slot_utilisation"],
            "",
            "share of slot time waiting on the server",
        ),
        info(
            "non-server slot time",
            run["non_server_slot_ms_per_article"],
            "ms/art",
            "(wall x conc - busy) / N",
        ),
        info("extract CPU time", run["cpu_ms_per_article"], "ms/art"),
        info("extract CPU / wall", run["cpu_share_of_wall"], "", "1.0 = one core busy"),
        info("fake server CPU time", run["server"]["cpu_s"] * 1000 / run["articles"], "ms/art"),
        at_most("peak RSS of extract run", run["peak_rss_mb"], "MB", TARGET_PEAK_MB, strict=True),
    ]
    return checks


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark parts, print the table, write the JSON; exit 1 if a target fails."""
    args = parse_args(argv)
    sections: dict[str, Any] = {"machine": machine(), "options": _options(args)}
    checks: list[Check] = []
    work = Path(tempfile.mkdtemp(prefix="extract-bench-"))
    try:
        if "llm" not in args.skip:
            run = run_llm(
                work,
                "llm",
                articles=args.articles,
                latency=args.latency,
                concurrency=args.concurrency,
                fault_rate=args.fault_rate,
                rpm=args.rpm,
                timeout=args.timeout,
                retry_after=args.retry_after,
                seed=args.seed,
            )
            sections["llm_run"] = run
            checks += llm_checks(run)
            if "floor" not in args.skip:
                floor = run_floor(
                    work,
                    work / "llm" / "corpus.jsonl",
                    latency=args.latency,
                    concurrency=args.concurrency,
                    fault_rate=args.fault_rate,
                    timeout=args.timeout,
                    retry_after=args.retry_after,
                    seed=args.seed,
                )
                sections["floor_run"] = floor
                checks += floor_checks(run, floor)
        if "overhead" not in args.skip:
            run = run_llm(
                work,
                "overhead",
                articles=args.overhead_articles,
                latency=0.0,
                concurrency=1,
                fault_rate=0.0,
                rpm=None,
                timeout=args.timeout,
                retry_after="0",
                seed=args.seed,
            )
            sections["overhead_run"] = run
            per_article = run["run_elapsed_s"] / run["articles"] * 1000
            checks.append(
                info("pipeline overhead (lat 0, conc 1)", per_article, "ms/art", "wall per article")
            )
            checks.append(info("  of which extract CPU", run["cpu_ms_per_article"], "ms/art"))
    finally:
        if args.keep:
            print(f"[bench] kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if "offline" not in args.skip:
        print(
            f"[bench] offline backend: seeds x {args.offline_repeats}...",
            file=sys.stderr,
            flush=True,
        )
        offline = measure_offline(REPO / "seeds", args.offline_repeats)
        sections["offline"] = asdict(offline)
        checks += [
            info("offline model load", offline.load_s, "s"),
            at_least(
                "offline articles/s/core", offline.articles_per_s, "art/s", TARGET_OFFLINE_PER_CORE
            ),
            info("offline articles per CPU-second", offline.articles_per_cpu_s, "art/s"),
        ]
    if "help" not in args.skip:
        print(f"[bench] extract --help x {args.help_runs}...", file=sys.stderr, flush=True)
        start = measure_help(args.help_runs, threshold=TARGET_HELP_S)
        sections["help"] = asdict(start)
        checks.append(
            at_most(
                "extract --help start (median)", start.median_s, "s", TARGET_HELP_S, strict=True
            )
        )
    sections["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_results(args.results, sections, checks)
    print(render_table(checks))
    if "help" in sections and sections["help"]["top_imports"]:
        print("\nslowest imports of extract --help (cumulative s):")
        for name, seconds in sections["help"]["top_imports"]:
            print(f"  {seconds:7.3f}  {name}")
    print(f"\nresults: {args.results}")
    sys.exit(0 if all(check.passed is not False for check in checks) else 1)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
