"""The offline backend over a sharded corpus: one backend per worker, disk to disk, merged into
one output by `extract run`'s resume logic. No scheduler of ours: the workers are an existing
engine's, the standard library's process pool on one machine or Ray's on a cluster.

    python examples/offline_shards.py corpus/ --out run.jsonl --shards 8 --workers 4
    python examples/offline_shards.py corpus/ --out run.jsonl --shards 64 --engine ray

1. The corpus's article files (as `extract run` reads them, in its order) are cut into
   `--shards` lists of files.
2. Each worker builds the backend once and runs `extractor.run(shard, out=PARTS/N.jsonl)` for
   every shard it is given: a shard run again resumes its part, so a lost worker costs only the
   articles it had not written.
3. The parts are appended to `--out`, and `extract run CORPUS --out OUT` runs over it once: every
   line whose article and fingerprint match is kept, the articles no part has (a shard that
   never ran, a killed worker's last ones) are extracted, duplicates are dropped, and OUT ends
   with exactly one line per article, in input order.

With Ray (``pip install 'ray[data]'``; ``ray.init(address="auto")`` joins a running cluster whose
nodes share the corpus and the parts folder) the shards are a `ray.data` dataset mapped by an
actor per worker (`ShardWorker`), each holding one backend.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import extractor
from extractor import runner
from extractor.backends.base import Backend
from extractor.backends.registry import create_backend
from extractor.inputs import discover
from extractor.settings import Settings
from extractor.summary import RunSummary


def shard_files(corpus: list[str], shards: int, *, recursive: bool = False) -> list[list[str]]:
    """The corpus's article files in `extract run`'s order, cut into at most `shards` lists."""
    files = [str(source) for source in discover(corpus, recursive=recursive).sources]
    size = max(1, -(-len(files) // max(1, shards)))
    return [files[start : start + size] for start in range(0, len(files), size)]


class ShardWorker:
    """One worker: the backend, built once, and a method running one shard into its part."""

    def __init__(self, parts: str) -> None:
        self.parts = Path(parts)
        self.parts.mkdir(parents=True, exist_ok=True)
        self.settings = Settings.resolve()
        self.backend: Backend = create_backend(self.settings)

    def run_shard(self, number: int, files: list[str]) -> int:
        """Extract one shard into PARTS/<number>.jsonl (resumed if it exists); its line count."""
        part = self.parts / f"{number:05d}.jsonl"
        lines = extractor.run(files, out=part, backend=self.backend, settings=self.settings)
        return sum(1 for _ in lines)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """`ray.data`'s `map_batches` entry point: a batch of shards."""
        numbers = list(batch["number"])
        shards = zip(numbers, batch["files"], strict=True)
        counts = [self.run_shard(int(number), list(files)) for number, files in shards]
        return {"number": numbers, "lines": counts}


_WORKER: list[ShardWorker] = []


def _start_worker(parts: str) -> None:
    _WORKER.append(ShardWorker(parts))


def _run_in_worker(job: tuple[int, list[str]]) -> int:
    return _WORKER[0].run_shard(*job)


def run_with_processes(shards: list[list[str]], parts: Path, workers: int) -> int:
    """Every shard on a local pool of `workers` processes, a backend each; the lines written."""
    # Spawned, not forked: a fork of a process with threads (an HTTP client, a server) may hang.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(str(parts),)
    )
    with pool:
        return sum(pool.map(_run_in_worker, list(enumerate(shards))))


def run_with_ray(shards: list[list[str]], parts: Path, workers: int) -> int:
    """Every shard as a `ray.data` map over an actor pool of `workers`, a backend per actor."""
    import ray  # type: ignore[import-not-found]

    ray.init(ignore_reinit_error=True)
    items = [{"number": n, "files": files} for n, files in enumerate(shards)]
    done = ray.data.from_items(items).map_batches(
        ShardWorker,
        fn_constructor_kwargs={"parts": str(parts.resolve())},
        batch_size=1,
        concurrency=workers,
    )
    return sum(int(row["lines"]) for row in done.iter_rows())


def merge(corpus: list[str], parts: Path, out: Path) -> RunSummary:
    """Append every part to `out`, then one `extract run` over the corpus: one line per article
    (its summary counts the lines kept as ``resumed``)."""
    with out.open("ab") as merged:
        if merged.tell() and not _ends_with_newline(out):
            merged.write(b"\n")  # a line cut by a kill stays one bad line (redone), not two
        for part in sorted(parts.glob("*.jsonl")):
            data = part.read_bytes()
            merged.write(data if not data or data.endswith(b"\n") else data + b"\n")
    return runner.run(corpus, out, Settings.resolve())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def main(argv: list[str] | None = None) -> None:
    """Shard, run, merge; print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--parts", type=Path, help="default: OUT.parts/")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engine", choices=("processes", "ray"), default="processes")
    args = parser.parse_args(argv)
    parts = args.parts or args.out.with_name(args.out.name + ".parts")
    shards = shard_files(args.corpus, args.shards)
    engine = run_with_ray if args.engine == "ray" else run_with_processes
    written = engine(shards, parts, args.workers)
    summary = merge(args.corpus, parts, args.out)
    print(f"{len(shards)} shards, {written} part lines; {summary.render()}")


if __name__ == "__main__":
    main()
