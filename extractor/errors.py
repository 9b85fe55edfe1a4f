"""One exception root for the whole tool; the CLI maps these to exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractor.schema import Usage


class ExtractorError(Exception):
    """Root of every error this package raises on purpose."""

    #: Short, stable name written into error lines of a run.
    kind = "extractor_error"
    #: What the article cost before it failed (requests, retries, re-asks, tokens), set by the
    #: backend that spent it; written into the error line and counted in the run's totals.
    usage: Usage | None = None


class ConfigError(ExtractorError):
    """Settings are missing or contradict each other (exit code 2)."""

    kind = "config_error"


class ResponseFormatRejected(ConfigError):
    """The server refused the request's `response_format` (the output mode does not fit it)."""


class InputError(ExtractorError):
    """An article could not be read or is not usable text."""

    kind = "input_error"


class BackendError(ExtractorError):
    """The backend failed after its retries (transport, refusal, truncation)."""

    kind = "backend_error"


class BackendRefusal(BackendError):
    """The model refused to answer."""

    kind = "refusal"


class OutputTruncated(BackendError):
    """The model stopped at its token limit (`finish_reason: length`)."""

    kind = "truncated"


class OutputInvalid(ExtractorError):
    """The backend's answer never validated against the record schema."""

    kind = "output_invalid"


class ModelNotInstalled(ConfigError):
    """The offline backend's spaCy pipeline is not installed."""

    kind = "model_not_installed"


class GoldError(ExtractorError):
    """A gold or predictions file is malformed (exit code 2 in `extract eval`)."""

    kind = "gold_error"


class ExtractionFailed(ExtractorError):
    """`extractor.extract` got an error line instead of a record; `type` is the line's."""

    kind = "extraction_failed"

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.type = error_type
        self.message = message


class OutputError(ExtractorError):
    """An output could not be written: disk full, read-only, a closed stream (exit code 74)."""

    kind = "output_error"


class BatchPending(ExtractorError):
    """A Batch API run is not done yet: a batch is still running, or a request file waits to be
    run elsewhere (exit code 75: try again later)."""

    kind = "batch_pending"


class OutputLocked(ConfigError):
    """Another run holds the output file (exit code 2)."""

    kind = "output_locked"
