"""The web view at ``/``: jobs, their articles, each record with its evidence marked in the
article text, errors, and a job's records grouped into events (as `extract events` groups them)
with one column per source. Server-rendered (Jinja2); the only script signs in.

A browser sends no ``Authorization`` header, so ``/login`` takes the key once (typed, or in
the URL fragment, which never reaches the server) and keeps it in an HTTP-only, same-site cookie;
the pages check it as the API checks a Bearer key (rate included), and show only that key's jobs.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Cookie, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from extractor.evaluation.metrics import Highlight
from extractor.evaluation.report_html import mark_text
from extractor.lines import ResultLine
from extractor.schema import FACT_FIELDS, FACT_LIST_FIELDS, EventRecord, Evidence
from extractor.service.models import ArticleIn, ServiceError
from extractor.service.store import Key, Store

COOKIE = "extract_key"

_templates = Environment(
    loader=PackageLoader("extractor.service", "templates"),
    autoescape=select_autoescape(["html"]),
)
_templates.filters["utc"] = lambda at: datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def add_web_view(app: FastAPI) -> None:
    """Register the pages on `app` (kept out of the OpenAPI description)."""

    def store(request: Request) -> Store:
        found: Store = request.app.state.service.store
        return found

    async def signed_in(request: Request, key: str | None) -> Key | None:
        if not key:
            return None
        try:
            return await asyncio.to_thread(store(request).authorize, key)
        except ServiceError as error:
            if error.status == 401:
                return None
            raise

    @app.get("/login", include_in_schema=False)
    async def login_page(next: str = "/") -> HTMLResponse:
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        return _page("login.html", title="Sign in", next=target)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        try:
            key = str(json.loads(await request.body())["key"])
        except (ValueError, KeyError, TypeError):
            raise ServiceError(422, "invalid_request", 'send {"key": "..."}') from None
        if await signed_in(request, key) is None:
            raise ServiceError(401, "unauthorized", "invalid API key")
        answer = JSONResponse({"status": "signed in"})
        answer.set_cookie(COOKIE, key, httponly=True, samesite="strict", path="/")
        return answer

    @app.get("/", include_in_schema=False)
    async def jobs_page(
        request: Request, extract_key: Annotated[str | None, Cookie()] = None
    ) -> Response:
        key = await signed_in(request, extract_key)
        if key is None:
            return RedirectResponse("/login?next=/", status_code=303)
        jobs = await asyncio.to_thread(store(request).jobs_of, key)
        return _page("jobs.html", title="Jobs", jobs=jobs, key_name=key.name)

    @app.get("/jobs/{job_id}", include_in_schema=False)
    async def job_page(
        job_id: str, request: Request, extract_key: Annotated[str | None, Cookie()] = None
    ) -> Response:
        key = await signed_in(request, extract_key)
        if key is None:
            return RedirectResponse(f"/login?next=/jobs/{job_id}", status_code=303)
        job = await asyncio.to_thread(store(request).job_status, key, job_id)
        rows = await asyncio.to_thread(store(request).article_rows, key, job_id)
        listed = [
            {"position": row.position, "article_id": row.article_id, "state": row.state,
             "kind": row.kind, "title": _title(row.line)}
            for row in rows
        ]
        return _page("job.html", title=f"Job {job_id[:12]}", job=job, rows=listed,
                     key_name=key.name)

    @app.get("/jobs/{job_id}/articles/{position}", include_in_schema=False)
    async def article_page(
        job_id: str,
        position: int,
        request: Request,
        extract_key: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        key = await signed_in(request, extract_key)
        if key is None:
            return RedirectResponse(
                f"/login?next=/jobs/{job_id}/articles/{position}", status_code=303
            )
        rows = await asyncio.to_thread(store(request).article_rows, key, job_id)
        row = next((r for r in rows if r.position == position), None)
        if row is None:
            raise ServiceError(404, "not_found", f"job {job_id} has no article {position}")
        article = ArticleIn.model_validate(json.loads(row.article))
        line = ResultLine.parse(row.line) if row.line else None
        record = line.record if line is not None else None
        facts = _facts(record) if record is not None else []
        highlights = [
            Highlight(fact["start"], fact["end"], "pred", f"{fact['field']}: {fact['text']}")
            for fact in facts
            if fact["verified"] and fact["start"] is not None and fact["end"] is not None
        ]
        return _page(
            "article.html",
            title=row.article_id,
            job_id=job_id,
            article_id=row.article_id,
            source=article.source,
            published=article.published,
            state=row.state,
            record=record,
            error=line.error if line is not None else None,
            facts=facts,
            marked=Markup(mark_text(article.text, highlights)),
            key_name=key.name,
        )

    @app.get("/jobs/{job_id}/events", include_in_schema=False)
    async def events_page(
        job_id: str, request: Request, extract_key: Annotated[str | None, Cookie()] = None
    ) -> Response:
        key = await signed_in(request, extract_key)
        if key is None:
            return RedirectResponse(f"/login?next=/jobs/{job_id}/events", status_code=303)
        rows = await asyncio.to_thread(store(request).article_rows, key, job_id)
        events, records = await asyncio.to_thread(_events, rows)
        return _page("events.html", title=f"Events in {job_id[:12]}", job_id=job_id,
                     events=events, records=records, fields=EVENT_FIELDS, key_name=key.name)


def _page(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(template).render(**context))


def _title(line: str | None) -> str | None:
    if not line:
        return None
    parsed = ResultLine.parse(line)
    return parsed.record.title if parsed.record is not None else None


def _facts(record: EventRecord) -> list[dict[str, Any]]:
    """Each fact of the record with its evidence, in field order."""
    facts: list[dict[str, Any]] = []

    def add(field: str, text: str, evidence: Evidence) -> None:
        facts.append({"field": field, "text": text, "quote": evidence.quote,
                      "verified": evidence.verified, "start": evidence.start,
                      "end": evidence.end})

    for name in FACT_FIELDS:
        fact = getattr(record, name)
        if fact is not None:
            add(name, str(getattr(fact, "value", None) or getattr(fact, "name", "")),
                fact.evidence)
    for name in FACT_LIST_FIELDS:
        for item in getattr(record, name):
            text = (getattr(item, "name", None) or getattr(item, "statement", None)
                    or getattr(item, "claim", ""))
            add(name, str(text), item.evidence)
    return facts


#: The rows of the events page: one per field, a column per source.
EVENT_FIELDS = ("title", "date", "location", "parties", "treaty_terms", "allegations", "denials")


def _events(rows: list[Any]) -> tuple[list[dict[str, Any]], int]:
    """The job's records grouped into events as `extract events` groups them, each with the
    merged values and one column per reporting article."""
    from extractor.events.grouping import group_reports, to_report
    from extractor.events.merge import merge_event

    found: list[tuple[int, ResultLine]] = []
    for row in rows:
        if row.line:
            line = ResultLine.parse(row.line)
            if line.record is not None:
                found.append((int(row.position), line))
    reports = [to_report(line.article, line.record) for _, line in found if line.record]
    events = []
    for cluster in group_reports(reports):
        merged = merge_event([reports[i] for i in cluster])
        columns = []
        for i in cluster:
            position, line = found[i]
            record = line.record
            if record is None:
                continue
            columns.append({"position": position, "article": line.article,
                            "outlet": record.article.source if record.article else None,
                            "values": _record_values(record)})
        events.append({"line": merged, "columns": columns, "merged": {
            "title": merged.title,
            "date": merged.date.value or "",
            "location": merged.location.value or "",
            "parties": "; ".join(p.name for p in merged.parties),
            "treaty_terms": "; ".join(t.statement for t in merged.treaty_terms),
            "allegations": "; ".join(a.claim for a in merged.allegations),
            "denials": "; ".join(d.claim for d in merged.denials),
        }})
    return events, len(reports)


def _record_values(record: EventRecord) -> dict[str, str]:
    return {
        "title": record.title,
        "date": record.date.value or "" if record.date else "",
        "location": record.location.name if record.location else "",
        "parties": "; ".join(p.name for p in record.parties),
        "treaty_terms": "; ".join(t.statement for t in record.treaty_terms),
        "allegations": "; ".join(a.claim for a in record.allegations),
        "denials": "; ".join(d.claim for d in record.denials),
    }
