"""The floor: the raw `openai` SDK in a thread pool, replaying our request bodies, only parsing.

What the fastest client could do with the same requests: no validation, grounding, output file,
cache, pacing or ordering. Each article's body is built before the clock starts, exactly as the
backend builds it in `json_schema` mode (the prompt's messages and the strict schema); then
`concurrency` threads send them with ``chat.completions.create`` and ``json.loads`` the answer,
sending the same body again when it does not parse. Transport faults are the SDK's own retries
(`max_retries`, honouring Retry-After). Run as its own process, like ``extract run``::

    python -m bench.floor corpus.jsonl --base-url URL --concurrency 32 --timeout 1 --out r.json
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai

from extractor.articles import Article
from extractor.inputs import read_articles
from extractor.prompts import load_prompt

#: Re-sends of a body whose answer does not parse (our backend's re-ask budget).
MAX_RESENDS = 2


def request_bodies(corpus: Path, model: str, max_tokens: int) -> list[dict[str, Any]]:
    """One chat request per article of a JSON Lines corpus, as `OpenAIBackend` sends it."""
    prompt = load_prompt("event_record")
    response_format = {
        "type": "json_schema",
        "json_schema": {
            "name": "event_draft",
            "strict": True,
            "schema": prompt.output_json_schema(),
        },
    }
    return [
        {
            "model": model,
            "messages": prompt.render_input(article),
            "temperature": 0.0,
            "max_tokens": max_tokens,
            "response_format": response_format,
        }
        for article in read_articles([str(corpus)])[1]
        if isinstance(article, Article)
    ]


def main(argv: list[str] | None = None) -> None:
    """Send every body, print and write what it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--max-retries", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    bodies = request_bodies(args.corpus, "gpt-4o-mini", 4096)
    client = openai.OpenAI(
        api_key="dummy",
        base_url=args.base_url,
        timeout=args.timeout,
        max_retries=args.max_retries,
    )

    def send(body: dict[str, Any]) -> tuple[bool, int]:
        for attempt in range(MAX_RESENDS + 1):
            try:
                completion = client.chat.completions.create(**body)
                json.loads(completion.choices[0].message.content or "")
            except json.JSONDecodeError:
                continue
            except openai.OpenAIError:
                return False, attempt + 1
            return True, attempt + 1
        return False, MAX_RESENDS + 1

    started = time.perf_counter()
    cpu_started = time.process_time()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        outcomes = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    client.close()
    result = {
        "articles": len(bodies),
        "parsed": sum(ok for ok, _ in outcomes),
        "failed": sum(not ok for ok, _ in outcomes),
        "sends": sum(sends for _, sends in outcomes),
        "elapsed_s": round(elapsed, 3),
        "articles_per_s": round(len(bodies) / elapsed, 2),
        "cpu_ms_per_article": round(cpu / max(len(bodies), 1) * 1000, 3),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
