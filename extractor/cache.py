"""A content-addressed cache of backend answers, so a re-run costs no model calls.

Key: sha256 of the backend fingerprint (model, prompt hash, parameters; never the key), the
article text's sha256 and the backend's ``context_chars``. Value: the `Extraction` (draft, usage,
model, prompt reference) as JSON, one file per key under ``<dir>/<key[:2]>/<key>.json``. Files are
written to a temporary name and renamed into place, so a reader never sees half a file, and
several processes can share the directory. Failed extractions are never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from pydantic import ValidationError

from extractor.articles import Article
from extractor.backends.base import Backend, Extraction
from extractor.schema import EventDraft, PromptRef, Usage

#: Bumped when the stored layout changes, which orphans (never misreads) older entries.
CACHE_FORMAT = 1


def cache_key(fingerprint: dict[str, str], article_sha256: str, context_chars: int | None) -> str:
    """The cache key of one backend call on one text."""
    payload = json.dumps(
        {
            "format": CACHE_FORMAT,
            "fingerprint": fingerprint,
            "article_sha256": article_sha256,
            "context_chars": context_chars,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AnswerCache:
    """Backend answers on disk, by `cache_key`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Extraction | None:
        """The stored answer, or None if absent or unreadable (a damaged entry is a miss)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return Extraction(
                draft=EventDraft.model_validate(data["draft"]),
                model=str(data["model"]),
                usage=Usage.model_validate(data["usage"]),
                prompt=PromptRef.model_validate(data["prompt"]) if data["prompt"] else None,
            )
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            return None

    def put(self, key: str, extraction: Extraction) -> None:
        """Store an answer atomically. Raises `OSError` if the directory is not writable."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "format": CACHE_FORMAT,
            "model": extraction.model,
            "draft": extraction.draft.model_dump(mode="json"),
            "usage": extraction.usage.model_dump(mode="json"),
            "prompt": extraction.prompt.model_dump(mode="json") if extraction.prompt else None,
        }
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:8]}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


class CachedBackend:
    """Wraps a backend: answers from the cache when it can, stores what the backend answers.

    A hit returns the stored draft with an empty `Usage`: nothing was spent this time. `hits`,
    `misses` and `write_errors` count calls through this wrapper.
    """

    def __init__(
        self, backend: Backend, cache: AnswerCache, fingerprint: dict[str, str] | None = None
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.name = backend.name
        self.capabilities = backend.capabilities
        self._fingerprint = fingerprint if fingerprint is not None else backend.fingerprint()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.write_errors = 0

    @property
    def context_chars(self) -> int | None:
        """The wrapped backend's context budget."""
        return self.backend.context_chars

    def fingerprint(self) -> dict[str, str]:
        """The wrapped backend's fingerprint: caching does not change answers."""
        return self._fingerprint

    def extract(self, article: Article) -> Extraction:
        """The cached answer for this text, else the backend's (then stored)."""
        key = cache_key(self._fingerprint, article.input_sha256, self.backend.context_chars)
        stored = self.cache.get(key)
        if stored is not None:
            with self._lock:
                self.hits += 1
            return Extraction(draft=stored.draft, model=stored.model, prompt=stored.prompt)
        extraction = self.backend.extract(article)
        with self._lock:
            self.misses += 1
        try:
            self.cache.put(key, extraction)
        except OSError:
            # A cache that cannot be written only costs speed; the run goes on without it.
            with self._lock:
                self.write_errors += 1
        return extraction
