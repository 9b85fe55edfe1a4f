"""The service's request and response bodies, defined once (the OpenAPI schema comes from here)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractor.articles import Article, PublicationDate
from extractor.errors import InputError


class ServiceError(Exception):
    """An HTTP error answer: status, a stable type, a message (never a secret), headers."""

    def __init__(
        self, status: int, kind: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON answer: ``{"error": {"type", "message"}}``."""
        return {"error": {"type": self.kind, "message": self.message}}


class ErrorBody(BaseModel):
    """What every error answer holds."""

    type: str = Field(description="Stable name: unauthorized, rate_limited, budget_exceeded...")
    message: str


class ErrorAnswer(BaseModel):
    error: ErrorBody


class ArticleIn(BaseModel):
    """One article to extract: its text, and the metadata `extract run` reads from files."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The article's text.")
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Unique within a job; default: its 1-based position ('article' for "
        "/v1/extract).",
    )
    title: str | None = Field(default=None, description="The article's own headline.")
    source: str | None = Field(default=None, description="The outlet, e.g. 'Reuters'.")
    url: str | None = None
    published: str | None = Field(
        default=None, description="ISO date YYYY-MM-DD, or an interval YYYY-MM-DD/YYYY-MM-DD."
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the article text is empty (whitespace only)")
        return value

    @field_validator("published")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                PublicationDate.parse(value)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return value

    def to_article(self, default_id: str) -> Article:
        """The `Article` every backend receives."""
        return Article(
            id=self.id or default_id,
            text=self.text,
            title=self.title,
            source=self.source,
            url=self.url,
            published=PublicationDate.parse(self.published) if self.published else None,
        )


class JobAccepted(BaseModel):
    """A job (or an extraction that outlasted the wait) accepted; poll `status_url`."""

    id: str
    status: str
    articles: int
    status_url: str
    results_url: str


class JobUsage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = Field(
        description="USD of the finished articles; null when a model's price is unknown."
    )


class JobCounts(BaseModel):
    queued: int = 0
    running: int = 0
    done: int = 0
    records: int = 0
    errors: dict[str, int] = Field(default_factory=dict, description="Error lines by type.")


class JobStatus(BaseModel):
    """A job's progress and spend."""

    id: str
    status: str = Field(description="queued, running, done or cancelled.")
    articles: int
    counts: JobCounts
    usage: JobUsage
    created_at: float
    cancelled_at: float | None = None


class KeyCreated(BaseModel):
    name: str
    key: str


def parse_articles(body: bytes, content_type: str, max_chars: int) -> list[ArticleIn]:
    """A job's articles from a JSON array or a JSON Lines body. Raises a 422 `ServiceError`
    naming the first bad item (its position, or its line)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    items: list[tuple[str, Any]] = []
    stripped = text.lstrip()
    if "json" in content_type and "jsonl" not in content_type and "ndjson" not in content_type:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise invalid(f"the body is not JSON: {exc}") from None
        if not isinstance(document, list):
            raise invalid("a JSON body is an array of articles; send JSON Lines as "
                          "application/x-ndjson")
        items = [(f"article {n}", value) for n, value in enumerate(document, 1)]
    elif stripped.startswith("[") and not content_type:
        return parse_articles(body, "application/json", max_chars)
    else:
        for number, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                items.append((f"line {number}", json.loads(raw)))
            except json.JSONDecodeError as exc:
                raise invalid(f"line {number} is not JSON: {exc}") from None
    if not items:
        raise invalid("the job has no articles")
    articles = [article_from(value, where, max_chars) for where, value in items]
    seen: set[str] = set()
    for position, article in enumerate(articles, 1):
        article_id = article.id or str(position)
        if article_id in seen:
            raise invalid(f"article {position}: duplicate id {article_id!r}")
        seen.add(article_id)
    return articles


def article_from(value: Any, where: str, max_chars: int) -> ArticleIn:
    """One article, validated; 422 naming `where` and the field otherwise."""
    try:
        article = ArticleIn.model_validate(value)
    except ValidationError as exc:
        raise invalid(f"{where}: {describe(exc)}") from None
    if len(article.text) > max_chars:
        raise invalid(
            f"{where}: the text has {len(article.text):,} characters, over the server's "
            f"--max-chars {max_chars:,}"
        )
    return article


def describe(exc: ValidationError) -> str:
    """The first validation error as one sentence: ``text: Field required``."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"] if part != "body")
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where + ': ' if where else ''}{message}{more}"


def invalid(message: str) -> ServiceError:
    """A 422 answer."""
    return ServiceError(422, "invalid_request", message)
