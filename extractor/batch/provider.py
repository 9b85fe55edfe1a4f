"""The Files and Batches endpoints of an OpenAI-compatible provider, through the official SDK.

Every call maps the SDK's failures to this package's errors: rejected credentials, an unknown
URL or batch are a `ConfigError` (exit 2), anything else the provider or the network does after
the SDK's own retries a `BackendError`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from extractor.backends.llm.backend import OPENAI_BASE_URL, OPENAI_HOST, PLACEHOLDER_KEY
from extractor.backends.llm.transport import scrub
from extractor.batch.state import Shard
from extractor.errors import BackendError, ConfigError

if TYPE_CHECKING:
    import openai
    from openai.types import Batch

    from extractor.settings import Settings

_T = TypeVar("_T")
#: SDK retries for the control calls (uploads, polls): idempotent or found again after a crash.
CONTROL_RETRIES = 5


class BatchProvider:
    """Uploads request files, creates and polls batches, downloads their output files."""

    def __init__(self, client: openai.OpenAI, secrets: tuple[str, ...] = ()) -> None:
        self.client = client
        self.secrets = secrets

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchProvider:
        """A provider at the base URL `settings` name, with the key from OPENAI_API_KEY."""
        import openai

        base_url = settings.base_url or OPENAI_BASE_URL
        key = settings.api_key
        if not key:
            if OPENAI_HOST in base_url:
                raise ConfigError("no API key: set OPENAI_API_KEY for the Batch API")
            key = PLACEHOLDER_KEY
        client = openai.OpenAI(
            api_key=key,
            base_url=base_url,
            timeout=settings.timeout or 120.0,
            max_retries=CONTROL_RETRIES,
        )
        return cls(client, (key,) if key != PLACEHOLDER_KEY else ())

    def close(self) -> None:
        """Close the SDK client's connections."""
        self.client.close()

    def upload(self, path: Path, name: str) -> str:
        """Upload a request file (purpose ``batch``); its file id."""
        data = path.read_bytes()
        created = self._call(lambda: self.client.files.create(file=(name, data), purpose="batch"))
        return str(created.id)

    def find_upload(self, name: str, size: int) -> str | None:
        """The id of a file uploaded earlier under `name` (an upload a crash hid), if any."""
        files = self._call(lambda: list(self.client.files.list(purpose="batch")))
        for item in files:
            if item.filename == name and item.bytes == size:
                return str(item.id)
        return None

    def create(self, input_file_id: str, window: str, metadata: dict[str, str]) -> Batch:
        """Create the batch running `input_file_id`."""
        return self._call(
            lambda: self.client.batches.create(
                input_file_id=input_file_id,
                endpoint="/v1/chat/completions",
                completion_window=window,  # type: ignore[arg-type]
                metadata=metadata,
            )
        )

    def find_batch(self, input_file_id: str) -> Batch | None:
        """A batch created earlier for `input_file_id` (a create a crash hid), if any."""
        batches = self._call(lambda: list(self.client.batches.list(limit=100)))
        for batch in batches:
            if batch.input_file_id == input_file_id:
                return batch
        return None

    def refresh(self, shard: Shard) -> bool:
        """Poll the shard's batch once and copy what it says into the shard; True if it moved."""
        batch_id = shard.batch_id
        if batch_id is None:
            return False
        before = shard.model_dump()
        batch = self._call(lambda: self.client.batches.retrieve(batch_id))
        record_batch(shard, batch)
        return shard.model_dump() != before

    def download(self, file_id: str) -> bytes:
        """The content of an output or error file."""
        return self._call(lambda: self.client.files.content(file_id).read())

    def _call(self, call: Callable[[], _T]) -> _T:
        import openai

        try:
            return call()
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise ConfigError(
                f"the provider rejected the credentials: {self._message(exc)}"
            ) from None
        except openai.NotFoundError as exc:
            raise ConfigError(
                f"not found at {self.client.base_url} (does it have a Batch API?): "
                f"{self._message(exc)}"
            ) from None
        except openai.APIStatusError as exc:
            raise BackendError(
                f"the Batch API answered {exc.status_code}: {self._message(exc)}"
            ) from None
        except openai.APIError as exc:
            raise BackendError(
                f"the Batch API at {self.client.base_url}: {self._message(exc)}"
            ) from None

    def _message(self, exc: Exception) -> str:
        return scrub(str(exc), self.secrets)[:300]


def record_batch(shard: Shard, batch: Any) -> None:
    """Copy a batch object's id, status, file ids and counts into `shard`."""
    shard.batch_id = str(batch.id)
    shard.status = str(batch.status)
    shard.output_file_id = batch.output_file_id
    shard.error_file_id = batch.error_file_id
    counts = batch.request_counts
    if counts is not None:
        shard.request_counts = {
            "total": counts.total,
            "completed": counts.completed,
            "failed": counts.failed,
        }
