"""The service's tables and how to open its database (SQLite in WAL mode, or Postgres).

Everything that must survive a crash is here, written in a transaction before the work it
describes: a key (its hash only), a job and each of its articles before any runs, each result
line as soon as it is done. Every transaction that writes takes its locks first (SQLite:
``BEGIN IMMEDIATE``; Postgres: ``SELECT ... FOR UPDATE`` on the rows it checks), so checks and
updates of a key's rate and budget, and leases of articles, cannot interleave.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from extractor.errors import ConfigError

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    #: sha256 of the key; the key itself is printed once by `extract keys create`, never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("rpm", Integer, nullable=True),
    Column("budget_usd", Float, nullable=True),
    #: What finished articles cost, and what articles admitted but not finished may still cost.
    Column("spent_usd", Float, nullable=False, default=0.0),
    Column("reserved_usd", Float, nullable=False, default=0.0),
    Column("created_at", Float, nullable=False),
)

#: One row per request counted against a key's rate (a sliding minute).
key_requests = Table(
    "key_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", Integer, ForeignKey("api_keys.id"), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_key_requests_key_at", "key_id", "at"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key_id", Integer, ForeignKey("api_keys.id"), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    #: sha256 of the request body: the same Idempotency-Key with another body is a conflict.
    Column("body_sha256", String(64), nullable=False),
    Column("articles", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("cancelled_at", Float, nullable=True),
    UniqueConstraint("key_id", "idempotency_key", name="uq_jobs_idempotency"),
)

#: One row per article of a job; `line` is its `ResultLine` once done.
job_articles = Table(
    "job_articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("article_id", String(1000), nullable=False),
    #: The article as given (JSON: text and metadata), for whichever worker leases it.
    Column("article", Text, nullable=False),
    #: queued -> leased -> done (a cancelled job's queued articles go straight to done).
    Column("state", String(10), nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    #: The most this article may cost, held against the key's budget until it is done.
    Column("reserved_usd", Float, nullable=False, default=0.0),
    Column("line", Text, nullable=True),
    Column("kind", String(40), nullable=True),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("cost_usd", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    UniqueConstraint("job_id", "position", name="uq_job_articles_position"),
    Index("ix_job_articles_state", "state", "id"),
)


def open_database(url: str) -> Engine:
    """An engine for `url` with the service's tables created. Raises `ConfigError`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"--db {url!r} is not a database URL (sqlite:///FILE or postgresql+psycopg://...)"
        ) from None
    sqlite = parsed.get_backend_name() == "sqlite"
    options: dict[str, Any] = {}
    if sqlite:
        options["connect_args"] = {"check_same_thread": False, "timeout": 60}
    else:
        options.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    try:
        engine = create_engine(parsed, **options)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"--db {parsed.render_as_string()}: {exc}") from None
    if sqlite:
        _serialise_sqlite_writes(engine)
    try:
        metadata.create_all(engine)
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"database {parsed.render_as_string()} cannot be opened: {exc.__class__.__name__}: "
            f"{getattr(exc, 'orig', exc)}"
        ) from None
    return engine


def _serialise_sqlite_writes(engine: Engine) -> None:
    """WAL (readers never wait for the writer), and every transaction begins IMMEDIATE: it
    takes the write lock up front, so read-check-write sequences cannot interleave."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN would be DEFERRED
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
