"""The HTTP service: `create_app(settings, service) -> FastAPI`, thin handlers over the store.

Every handler is a few lines: authorise (and count the request against the key's rate), call
`Store` or `Workers`, answer. Articles run through the same per-article step `extract run`
uses (`extractor.runner.make_step`: backend, cache, prices, secrets), so a record from the
service is the line `extract run` writes for the same article and settings.

Errors are ``{"error": {"type", "message"}}`` with the status: 401 unauthorized, 402
budget_exceeded, 404 not_found, 409 idempotency_conflict, 413 body_too_large, 422
invalid_request, 429 rate_limited (with Retry-After), 503 not_ready.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse

from extractor import __version__
from extractor.backends.base import Backend
from extractor.backends.registry import create_backend
from extractor.errors import ExtractorError
from extractor.lines import ResultLine
from extractor.pacing import RequestGate
from extractor.runner import close_backend, make_step
from extractor.service.costs import CostBound
from extractor.service.db import open_database
from extractor.service.metrics import Metrics
from extractor.service.middleware import BodyLimit, Observe
from extractor.service.models import (
    ArticleIn,
    ErrorAnswer,
    JobAccepted,
    JobStatus,
    ServiceError,
    invalid,
    parse_articles,
)
from extractor.service.store import Key, Store, body_digest
from extractor.service.workers import Workers
from extractor.settings import ServiceSettings, Settings

log = logging.getLogger("extractor.service")

#: Result lines per page of ``GET /v1/jobs/{id}/results`` when `limit` is not given.
DEFAULT_PAGE = 1000
MAX_PAGE = 10_000


@dataclass
class Service:
    """What the handlers share, built in the lifespan (nothing at import time)."""

    settings: Settings
    config: ServiceSettings
    store: Store
    workers: Workers
    metrics: Metrics
    bound: CostBound
    backend: Backend
    owned: bool
    draining: bool = False


def create_app(
    settings: Settings, config: ServiceSettings, *, backend: Backend | None = None
) -> FastAPI:
    """The service for `settings` (extraction, as `extract run` takes them) and `config`
    (database, limits); `backend` replaces the one `settings` names (tests, embedding)."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = _start(settings, config, metrics, backend)
        app.state.service = service
        try:
            yield
        finally:
            service.draining = True
            await asyncio.to_thread(service.workers.stop, config.drain_seconds)
            if service.owned:
                close_backend(service.backend)
            service.store.engine.dispose()

    app = FastAPI(
        title="extractor",
        version=__version__,
        summary="News articles in, typed, evidence-grounded event records out.",
        lifespan=lifespan,
        responses={
            401: {"model": ErrorAnswer, "description": "Missing or invalid API key."},
            422: {"model": ErrorAnswer, "description": "Malformed body."},
            429: {"model": ErrorAnswer, "description": "Past the key's requests per minute."},
        },
    )
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    app.add_middleware(Observe, metrics=metrics)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    _routes(app)
    from extractor.service.web import add_web_view

    add_web_view(app)
    return app


def _start(
    settings: Settings, config: ServiceSettings, metrics: Metrics, backend: Backend | None
) -> Service:
    store = Store(open_database(config.db))
    owned = backend is None
    gate = RequestGate.from_limits(settings.concurrency, settings.rpm, settings.tpm)
    built = create_backend(settings, gate) if backend is None else backend
    step = make_step(built, settings)
    # A CPU-bound backend gets one thread (more would only contend for the interpreter); one
    # that waits on the network gets a thread per request slot and half as many again.
    local = built.capabilities.runs_in_processes
    slots = 1 if local else settings.concurrency
    workers = Workers(
        store,
        step,
        metrics,
        slots=slots,
        threads=slots if local else slots * 2,
        lease_seconds=config.lease_seconds,
    )
    workers.start()
    return Service(settings, config, store, workers, metrics, CostBound(step, settings),
                   built, owned)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The key from ``Authorization: Bearer KEY`` (None when absent or another scheme)."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


ServiceDep = Annotated[Service, Depends(_service)]
TokenDep = Annotated[str | None, Depends(_token)]


async def _key(service: Service, token: str | None) -> Key:
    return await asyncio.to_thread(service.store.authorize, token)


def _routes(app: FastAPI) -> None:
    @app.post(
        "/v1/extract",
        response_model=None,
        responses={
            200: {"description": "The article's result line (a record or a typed error), as "
                  "`extract run` writes it: see `extract schema --line`."},
            202: {"model": JobAccepted, "description": "Still running after the wait: a job."},
            402: {"model": ErrorAnswer, "description": "Past the key's budget."},
        },
        tags=["extract"],
    )
    async def extract(
        article: ArticleIn,
        service: ServiceDep,
        token: TokenDep,
        wait: Annotated[
            float | None,
            Query(ge=0, le=3600, description="Seconds to wait for the record before 202 "
                  "(default: the server's --wait)."),
        ] = None,
    ) -> Response:
        """Extract one article; past the wait, answer 202 with the job that finishes it."""
        if len(article.text) > service.settings.max_chars:
            raise invalid(f"the text has {len(article.text):,} characters, over the server's "
                          f"--max-chars {service.settings.max_chars:,}")
        body = article.model_dump_json(exclude_none=True).encode("utf-8")
        job_id, leases, _ = await asyncio.to_thread(
            service.store.submit,
            token,
            [article],
            body_sha256=body_digest(body),
            idempotency_key=None,
            estimate=service.bound,
            lease_to=service.workers.owner,
            lease_seconds=service.config.lease_seconds,
            default_ids=["article"],
        )
        future = service.workers.run_now(leases[0])
        timeout = service.config.wait if wait is None else wait
        try:
            line = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
        except TimeoutError:
            line = None
        if line is None:
            return _accepted(job_id, "running", 1)
        return Response(line.dumps() + "\n", media_type="application/json")

    @app.post(
        "/v1/jobs",
        status_code=202,
        response_model=JobAccepted,
        responses={
            402: {"model": ErrorAnswer, "description": "Past the key's budget."},
            409: {"model": ErrorAnswer, "description": "Idempotency-Key reused with another "
                  "body."},
            413: {"model": ErrorAnswer, "description": "Body over the server's limit."},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "Articles (`ArticleIn`) as a JSON array, or one per line as "
                "JSON Lines (Content-Type application/x-ndjson).",
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref":
                                                              "#/components/schemas/ArticleIn"}}
                    },
                    "application/x-ndjson": {"schema": {"type": "string"}},
                },
            }
        },
        tags=["jobs"],
    )
    async def create_job(
        request: Request,
        service: ServiceDep,
        token: TokenDep,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Response:
        """Queue many articles; the same Idempotency-Key and body give the same job."""
        body = await request.body()
        if not token:  # before parsing: an anonymous body is not worth reading
            await _key(service, token)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        articles = parse_articles(body, content_type, service.settings.max_chars)
        job_id, _, new = await asyncio.to_thread(
            service.store.submit,
            token,
            articles,
            body_sha256=body_digest(body),
            idempotency_key=idempotency_key,
            estimate=service.bound,
        )
        if new:
            service.workers.notify()
        return _accepted(job_id, "queued", len(articles))

    @app.get("/v1/jobs", response_model=list[JobStatus], tags=["jobs"])
    async def list_jobs(service: ServiceDep, token: TokenDep) -> list[JobStatus]:
        """This key's latest jobs, newest first."""
        key = await _key(service, token)
        return await asyncio.to_thread(service.store.jobs_of, key)

    @app.get("/v1/jobs/{job_id}", response_model=JobStatus, tags=["jobs"])
    async def job_status(job_id: str, service: ServiceDep, token: TokenDep) -> JobStatus:
        """Status, counts, usage and cost."""
        key = await _key(service, token)
        return await asyncio.to_thread(service.store.job_status, key, job_id)

    @app.get(
        "/v1/jobs/{job_id}/results",
        response_class=Response,
        responses={200: {"content": {"application/x-ndjson": {}}, "description":
                         "Result lines in input order from the cursor, up to the first "
                         "article not done. X-Next-Cursor: where to go on; X-Complete: true "
                         "once every line has been sent."}},
        tags=["jobs"],
    )
    async def job_results(
        job_id: str,
        service: ServiceDep,
        token: TokenDep,
        cursor: Annotated[int, Query(ge=0, description="Position to start at (0).")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> Response:
        """The job's result lines (NDJSON), resumable with ``cursor``."""
        key = await _key(service, token)
        page = await asyncio.to_thread(service.store.results, key, job_id, cursor, limit)
        text = "".join(line + "\n" for line in page.lines)
        return Response(
            text,
            media_type="application/x-ndjson",
            headers={"X-Next-Cursor": str(page.next_cursor),
                     "X-Complete": "true" if page.complete else "false"},
        )

    @app.delete("/v1/jobs/{job_id}", response_model=JobStatus, tags=["jobs"])
    async def cancel_job(job_id: str, service: ServiceDep, token: TokenDep) -> JobStatus:
        """Cancel: queued articles get ``cancelled`` lines; finished lines are kept."""
        key = await _key(service, token)
        await asyncio.to_thread(service.store.cancel, key, job_id)
        return await asyncio.to_thread(service.store.job_status, key, job_id)

    @app.post(
        "/v1/eval",
        tags=["eval"],
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/x-ndjson": {"schema": {"type": "string"}}},
            "description": "Result lines (a run's JSON Lines) to score."}},
    )
    async def evaluate(request: Request, service: ServiceDep, token: TokenDep) -> dict[str, Any]:
        """Score result lines against the server's gold (evals/gold, articles in seeds/)."""
        await _key(service, token)
        body = await request.body()
        return await asyncio.to_thread(_score, body)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"model": ErrorAnswer}})
    async def readyz(service: ServiceDep) -> dict[str, str]:
        """The database answers and the workers are leasing (not draining)."""
        if service.draining or not service.workers.running:
            raise ServiceError(503, "not_ready", "the server is shutting down")
        try:
            await asyncio.to_thread(service.store.ping)
        except Exception as exc:
            raise ServiceError(503, "not_ready", f"the database does not answer: "
                               f"{type(exc).__name__}") from None
        return {"status": "ready"}

    @app.get("/metrics", response_class=PlainTextResponse, tags=["operations"])
    async def prometheus(service: ServiceDep) -> PlainTextResponse:
        """Prometheus text: requests, latencies, articles, tokens, cost, queue depth."""
        queue = await asyncio.to_thread(service.store.queue_depth)
        return PlainTextResponse(
            service.metrics.render(queue), media_type="text/plain; version=0.0.4"
        )


def _accepted(job_id: str, status: str, articles: int) -> JSONResponse:
    accepted = JobAccepted(
        id=job_id,
        status=status,
        articles=articles,
        status_url=f"/v1/jobs/{job_id}",
        results_url=f"/v1/jobs/{job_id}/results",
    )
    return JSONResponse(
        accepted.model_dump(), status_code=202, headers={"Location": accepted.status_url}
    )


def _score(body: bytes) -> dict[str, Any]:
    from extractor.evaluation.command import EvalRequest
    from extractor.evaluation.command import evaluate as score
    from extractor.evaluation.gate import Baseline

    for number, raw in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
        if raw.strip():
            try:
                ResultLine.parse(raw)
            except ValueError as exc:
                raise invalid(f"line {number}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="extract-eval-") as scratch:
        predictions = Path(scratch) / "predictions.jsonl"
        predictions.write_bytes(body)
        request = EvalRequest(predictions=predictions)
        try:
            result = score(request, Baseline.load(request.baseline_path))
        except ExtractorError as exc:
            raise invalid(str(exc)) from None
    return {
        "key": result.key,
        "eval_set": result.eval_set,
        "micro": result.scores.micro,
        "macro": result.scores.macro,
        "articles": [
            {"article": a.article, "status": a.status, "metrics": a.metrics()}
            for a in result.scores.articles
        ],
        "regressions": [r.message() for r in result.regressions],
    }


async def _service_error(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ServiceError):
        raise exc
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    error = invalid(f"{where + ': ' if where else ''}{message}{more}")
    return JSONResponse(error.body(), status_code=422)
