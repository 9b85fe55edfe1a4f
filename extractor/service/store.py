"""Keys, jobs, leases and result lines in the database: every read-check-write is one
transaction (see `extractor.service.db` for how each database serialises them).

A request is admitted in one transaction: the key found by its hash and its row locked, its
rate over the last minute counted, its budget checked against what it has spent plus what its
unfinished articles may still cost, and the job and its articles inserted with their
reservations. Concurrent requests therefore see each other's reservations and cannot overspend.

Workers lease articles (`lease`), renew the leases while they run (`renew`) and write each
line with `finish`, which only succeeds for the lease's holder: an article whose worker died
(a server killed with ``kill -9``) is leased again once its lease runs out, and a worker whose
lease was taken over cannot write a second line.

Over 400 lines because every statement that reads or writes the service's tables is here: the
locking of admission, leasing and finishing is reviewed against each other in one place.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from extractor.lines import RECORD_KIND, ResultLine
from extractor.service.db import api_keys, job_articles, jobs, key_requests
from extractor.service.models import (
    ArticleIn,
    JobCounts,
    JobStatus,
    JobUsage,
    ServiceError,
)

#: Every key starts with this, so a leaked one is recognisable (secret scanners, logs).
KEY_PREFIX = "exk_"
RATE_WINDOW_S = 60.0
#: Budgets are compared with this much slack, for float sums.
_EPSILON = 1e-9

QUEUED, LEASED, DONE = "queued", "leased", "done"
CANCELLED_KIND = "cancelled"


def hash_key(key: str) -> str:
    """What the database keeps of a key: its sha256 (keys are 256 random bits: no salt needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Key:
    """An API key's row, without anything that could rebuild the key."""

    id: int
    name: str
    rpm: int | None
    budget_usd: float | None
    spent_usd: float
    reserved_usd: float


@dataclass(frozen=True)
class Lease:
    """An article leased to a worker."""

    row: int
    job_id: str
    position: int
    article: ArticleIn
    article_id: str
    reserved_usd: float


@dataclass(frozen=True)
class Page:
    """Result lines from a cursor on, in input order, up to the first article not yet done."""

    lines: list[str]
    next_cursor: int
    complete: bool


#: The most an article may cost (USD), or None when the model's price is unknown.
CostEstimate = Callable[[ArticleIn], float | None]


class Store:
    """The service's state, over one SQLAlchemy engine (thread-safe; one per process)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time; its busy handler sleeps between tries, so threads
        # of one process queue here instead (other processes still meet the busy timeout).
        self._write_lock = threading.Lock() if not self.postgres else None

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction (committed on success, rolled back on an exception)."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ keys

    def create_key(self, name: str, *, rpm: int | None, budget_usd: float | None) -> str:
        """A new key; only its hash is stored, so this is the one time it is seen."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._writing() as conn:
            conn.execute(
                insert(api_keys).values(
                    name=name,
                    key_hash=hash_key(key),
                    rpm=rpm,
                    budget_usd=budget_usd,
                    spent_usd=0.0,
                    reserved_usd=0.0,
                    created_at=time.time(),
                )
            )
        return key

    def list_keys(self) -> list[Key]:
        """Every key (names, limits, spend), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.id)).all()
        return [_key(row) for row in rows]

    def authorize(self, token: str | None, now: float | None = None) -> Key:
        """The key `token` is, counted against its rate. Raises 401 or 429 `ServiceError`."""
        with self._writing() as conn:
            return self._admit(conn, token, time.time() if now is None else now)

    def _admit(self, conn: Connection, token: str | None, now: float) -> Key:
        if not token:
            raise unauthorized("missing API key: send Authorization: Bearer KEY")
        query = select(api_keys).where(api_keys.c.key_hash == hash_key(token))
        row = conn.execute(query.with_for_update()).first()
        if row is None:
            raise unauthorized("invalid API key")
        key = _key(row)
        if key.rpm is not None:
            since = now - RATE_WINDOW_S
            conn.execute(
                delete(key_requests).where(
                    key_requests.c.key_id == key.id, key_requests.c.at <= since
                )
            )
            window = select(func.count(), func.min(key_requests.c.at)).where(
                key_requests.c.key_id == key.id, key_requests.c.at > since
            )
            count, oldest = conn.execute(window).one()
            if count >= key.rpm:
                wait = max(1, math.ceil(oldest + RATE_WINDOW_S - now))
                raise ServiceError(
                    429,
                    "rate_limited",
                    f"this key allows {key.rpm} requests a minute; retry in {wait} s",
                    {"Retry-After": str(wait)},
                )
            conn.execute(insert(key_requests).values(key_id=key.id, at=now))
        return key

    # ------------------------------------------------------------------ jobs

    def submit(
        self,
        token: str | None,
        articles: Sequence[ArticleIn],
        *,
        body_sha256: str,
        idempotency_key: str | None,
        estimate: CostEstimate,
        lease_to: str | None = None,
        lease_seconds: float = 60.0,
        default_ids: Sequence[str] | None = None,
    ) -> tuple[str, list[Lease], bool]:
        """Admit a request and insert its job: (job id, the leases taken for `lease_to`,
        whether the job is new). The same Idempotency-Key and body give the existing job; the
        same key with another body is a 409. Raises 401/402/409/429 `ServiceError`."""
        now = time.time()
        try:
            with self._writing() as conn:
                key = self._admit(conn, token, now)
                if idempotency_key is not None:
                    existing = self._idempotent(conn, key, idempotency_key, body_sha256)
                    if existing is not None:
                        return existing, [], False
                costs = [estimate(article) for article in articles]
                self._reserve(conn, key, costs)
                job_id = uuid.uuid4().hex
                conn.execute(
                    insert(jobs).values(
                        id=job_id,
                        key_id=key.id,
                        idempotency_key=idempotency_key,
                        body_sha256=body_sha256,
                        articles=len(articles),
                        created_at=now,
                    )
                )
                ids = default_ids or [str(n) for n in range(1, len(articles) + 1)]
                leased = lease_to is not None
                rows = [
                    {
                        "job_id": job_id,
                        "position": position,
                        "article_id": article.id or ids[position],
                        "article": article.model_dump_json(exclude_none=True),
                        "state": LEASED if leased else QUEUED,
                        "lease_owner": lease_to,
                        "lease_until": now + lease_seconds if leased else None,
                        "attempts": 1 if leased else 0,
                        "reserved_usd": cost or 0.0,
                        "input_tokens": 0,
                        "output_tokens": 0,
                    }
                    for position, (article, cost) in enumerate(zip(articles, costs, strict=True))
                ]
                conn.execute(insert(job_articles), rows)
                leases: list[Lease] = []
                if leased:
                    found = conn.execute(
                        select(job_articles).where(job_articles.c.job_id == job_id)
                    ).all()
                    leases = [_lease(row) for row in sorted(found, key=lambda r: r.position)]
                return job_id, leases, True
        except IntegrityError:
            # Two requests with one Idempotency-Key raced: the other inserted first.
            if idempotency_key is None:
                raise
            with self._writing() as conn:
                key = self._admit(conn, token, now)
                existing = self._idempotent(conn, key, idempotency_key, body_sha256)
            if existing is None:
                raise
            return existing, [], False

    def _idempotent(
        self, conn: Connection, key: Key, idempotency_key: str, body_sha256: str
    ) -> str | None:
        row = conn.execute(
            select(jobs.c.id, jobs.c.body_sha256).where(
                jobs.c.key_id == key.id, jobs.c.idempotency_key == idempotency_key
            )
        ).first()
        if row is None:
            return None
        if row.body_sha256 != body_sha256:
            raise ServiceError(
                409,
                "idempotency_conflict",
                f"Idempotency-Key {idempotency_key!r} was used for job {row.id} with another "
                "body; use a new key for a new job",
            )
        return str(row.id)

    def _reserve(self, conn: Connection, key: Key, costs: list[float | None]) -> None:
        """Hold the articles' most possible cost against the key's budget, or refuse (402)."""
        if key.budget_usd is None:
            return
        if any(cost is None for cost in costs):
            raise ServiceError(
                402,
                "budget_exceeded",
                "this key has a budget and the model's price is not in the price table, so "
                "the cost cannot be bounded (add it with --prices)",
            )
        wanted = sum(cost or 0.0 for cost in costs)
        left = key.budget_usd - key.spent_usd - key.reserved_usd
        if wanted > left + _EPSILON:
            raise ServiceError(
                402,
                "budget_exceeded",
                f"this key's budget is ${key.budget_usd:.4f}: ${key.spent_usd:.4f} spent, "
                f"${key.reserved_usd:.4f} held by articles under way, and this request may "
                f"cost up to ${wanted:.4f}",
            )
        conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key.id)
            .values(reserved_usd=api_keys.c.reserved_usd + wanted)
        )

    def job_status(self, key: Key, job_id: str) -> JobStatus:
        """Status, counts, usage and cost of one of the key's jobs. Raises 404."""
        with self.engine.connect() as conn:
            job = self._job(conn, key, job_id)
            grouped = conn.execute(
                select(
                    job_articles.c.state,
                    job_articles.c.kind,
                    func.count(),
                    func.sum(job_articles.c.input_tokens),
                    func.sum(job_articles.c.output_tokens),
                    func.sum(job_articles.c.cost_usd),
                    func.count(job_articles.c.cost_usd),
                )
                .where(job_articles.c.job_id == job_id)
                .group_by(job_articles.c.state, job_articles.c.kind)
            ).all()
        counts = JobCounts()
        usage = JobUsage(cost_usd=0.0)
        for state, kind, number, tokens_in, tokens_out, cost, priced in grouped:
            if state == QUEUED:
                counts.queued += number
            elif state == LEASED:
                counts.running += number
            else:
                counts.done += number
                if kind == RECORD_KIND:
                    counts.records += number
                else:
                    counts.errors[kind] = counts.errors.get(kind, 0) + number
                usage.input_tokens += int(tokens_in or 0)
                usage.output_tokens += int(tokens_out or 0)
                if priced < number and kind != CANCELLED_KIND:
                    usage.cost_usd = None
                elif usage.cost_usd is not None:
                    usage.cost_usd += float(cost or 0.0)
        if job.cancelled_at is not None:
            status = "cancelled"
        elif counts.done == job.articles:
            status = "done"
        elif counts.done or counts.running:
            status = "running"
        else:
            status = "queued"
        return JobStatus(
            id=job_id,
            status=status,
            articles=job.articles,
            counts=counts,
            usage=usage,
            created_at=job.created_at,
            cancelled_at=job.cancelled_at,
        )

    def jobs_of(self, key: Key, limit: int = 100) -> list[JobStatus]:
        """The key's latest jobs, newest first."""
        with self.engine.connect() as conn:
            ids = conn.execute(
                select(jobs.c.id)
                .where(jobs.c.key_id == key.id)
                .order_by(jobs.c.created_at.desc())
                .limit(limit)
            ).scalars().all()
        return [self.job_status(key, str(job_id)) for job_id in ids]

    def results(self, key: Key, job_id: str, cursor: int, limit: int) -> Page:
        """The job's lines from position `cursor`, in input order, stopping before the first
        article not done (its line is not known yet). Raises 404."""
        with self.engine.connect() as conn:
            job = self._job(conn, key, job_id)
            rows = conn.execute(
                select(job_articles.c.position, job_articles.c.state, job_articles.c.line)
                .where(job_articles.c.job_id == job_id, job_articles.c.position >= cursor)
                .order_by(job_articles.c.position)
                .limit(limit)
            ).all()
        lines: list[str] = []
        next_cursor = cursor
        for position, state, line in rows:
            if state != DONE or line is None:
                break
            lines.append(line)
            next_cursor = position + 1
        return Page(lines, next_cursor, next_cursor >= job.articles)

    def article_rows(self, key: Key, job_id: str) -> list[Any]:
        """The job's article rows (for the web view), in input order. Raises 404."""
        with self.engine.connect() as conn:
            self._job(conn, key, job_id)
            return list(
                conn.execute(
                    select(job_articles)
                    .where(job_articles.c.job_id == job_id)
                    .order_by(job_articles.c.position)
                ).all()
            )

    def cancel(self, key: Key, job_id: str) -> None:
        """Cancel a job: its queued articles get a ``cancelled`` error line (so the job still
        has one line per article), the articles under way finish, finished lines are kept, and
        the reservations of the cancelled ones are released. Raises 404."""
        now = time.time()
        with self._writing() as conn:
            job = self._job(conn, key, job_id, lock=True)
            if job.cancelled_at is None:
                conn.execute(update(jobs).where(jobs.c.id == job_id).values(cancelled_at=now))
            queued = conn.execute(
                select(job_articles.c.id, job_articles.c.article_id, job_articles.c.reserved_usd)
                .where(job_articles.c.job_id == job_id, job_articles.c.state == QUEUED)
                .with_for_update()
            ).all()
            for row, article_id, _reserved in queued:
                line = ResultLine.of_error(
                    article_id, CANCELLED_KIND, "the job was cancelled before this article ran",
                    None,
                )
                conn.execute(
                    update(job_articles)
                    .where(job_articles.c.id == row, job_articles.c.state == QUEUED)
                    .values(state=DONE, line=line.dumps(), kind=CANCELLED_KIND,
                            cost_usd=0.0, reserved_usd=0.0, finished_at=now)
                )
            released = sum(reserved for _, _, reserved in queued)
            if released:
                conn.execute(
                    update(api_keys)
                    .where(api_keys.c.id == key.id)
                    .values(reserved_usd=api_keys.c.reserved_usd - released)
                )

    def _job(self, conn: Connection, key: Key, job_id: str, *, lock: bool = False) -> Any:
        query = select(jobs).where(jobs.c.id == job_id, jobs.c.key_id == key.id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise ServiceError(404, "not_found", f"no job {job_id!r} for this key")
        return row

    # ------------------------------------------------------------------ workers

    def lease(self, owner: str, limit: int, lease_seconds: float) -> list[Lease]:
        """Lease up to `limit` articles, oldest first: queued ones, and leased ones whose
        holder stopped renewing (a server that died)."""
        now = time.time()
        with self._writing() as conn:
            query = (
                select(job_articles)
                .where(
                    or_(
                        job_articles.c.state == QUEUED,
                        and_(job_articles.c.state == LEASED, job_articles.c.lease_until < now),
                    )
                )
                .order_by(job_articles.c.id)
                .limit(limit)
            )
            if self.postgres:
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if not rows:
                return []
            conn.execute(
                update(job_articles)
                .where(job_articles.c.id.in_([row.id for row in rows]))
                .values(
                    state=LEASED,
                    lease_owner=owner,
                    lease_until=now + lease_seconds,
                    attempts=job_articles.c.attempts + 1,
                )
            )
        return [_lease(row) for row in rows]

    def renew(self, owner: str, rows: Sequence[int], lease_seconds: float) -> None:
        """Extend the leases `owner` still holds on `rows`."""
        if not rows:
            return
        with self._writing() as conn:
            conn.execute(
                update(job_articles)
                .where(
                    job_articles.c.id.in_(list(rows)),
                    job_articles.c.lease_owner == owner,
                    job_articles.c.state == LEASED,
                )
                .values(lease_until=time.time() + lease_seconds)
            )

    def finish(self, owner: str, lease: Lease, line: ResultLine) -> bool:
        """Write an article's line and charge its cost to the key, if `owner` still holds the
        lease; False (nothing written) when another worker took it over."""
        usage = line.usage
        cost = usage.cost_usd if usage is not None else 0.0
        with self._writing() as conn:
            done = conn.execute(
                update(job_articles)
                .where(
                    job_articles.c.id == lease.row,
                    job_articles.c.lease_owner == owner,
                    job_articles.c.state == LEASED,
                )
                .values(
                    state=DONE,
                    line=line.dumps(),
                    kind=line.kind,
                    input_tokens=usage.input_tokens if usage else 0,
                    output_tokens=usage.output_tokens if usage else 0,
                    cost_usd=cost,
                    reserved_usd=0.0,
                    finished_at=time.time(),
                )
            )
            if done.rowcount != 1:
                return False
            key_id = conn.execute(
                select(jobs.c.key_id).where(jobs.c.id == lease.job_id)
            ).scalar_one()
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id)
                .values(
                    spent_usd=api_keys.c.spent_usd + (cost or 0.0),
                    reserved_usd=api_keys.c.reserved_usd - lease.reserved_usd,
                )
            )
        return True

    def queue_depth(self) -> dict[str, int]:
        """Articles queued and leased, over every job."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(job_articles.c.state, func.count())
                .where(job_articles.c.state != DONE)
                .group_by(job_articles.c.state)
            ).all()
        found = {str(state): int(number) for state, number in rows}
        return {QUEUED: found.get(QUEUED, 0), LEASED: found.get(LEASED, 0)}

    def ping(self) -> None:
        """Raises when the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(select(1)).one()


def body_digest(body: bytes) -> str:
    """sha256 of a request body, for Idempotency-Key comparisons."""
    return hashlib.sha256(body).hexdigest()


def unauthorized(message: str) -> ServiceError:
    """A 401 answer (it never repeats the key it was given)."""
    return ServiceError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def _key(row: Any) -> Key:
    return Key(
        id=int(row.id),
        name=str(row.name),
        rpm=row.rpm,
        budget_usd=row.budget_usd,
        spent_usd=float(row.spent_usd),
        reserved_usd=float(row.reserved_usd),
    )


def _lease(row: Any) -> Lease:
    return Lease(
        row=int(row.id),
        job_id=str(row.job_id),
        position=int(row.position),
        article=ArticleIn.model_validate(json.loads(row.article)),
        article_id=str(row.article_id),
        reserved_usd=float(row.reserved_usd),
    )
