"""Run settings, resolved once with one precedence: flag > environment > config file > default.

This is the only module that reads the environment: everything else gets a `Settings`.

A preset (``--preset ollama``) is a bundle of values (base URL, model, context, timeout) that
sits at the level it was given at: ``--preset`` beats ``OPENAI_BASE_URL`` and the config file,
``EXTRACT_PRESET`` beats the config file; a value given at the same level as the preset (``--preset
ollama --base-url URL``) beats the preset's.

The config file is TOML with flat keys named like the fields below (``max_retries`` or
``max-retries``). It is ``--config FILE`` if given, else ``$EXTRACT_CONFIG``, else
``./extract.toml`` when that exists. Relative paths in it (``cache_dir``, ``prices``) are
relative to the file.

The API key comes from ``OPENAI_API_KEY`` only: never a flag (it would sit in shell history and
process lists) and never the config file (which gets committed). It is hidden from ``repr``.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from extractor.backends.registry import BACKEND_NAMES, backend_class
from extractor.errors import ConfigError

OUTPUT_MODES = ("json_schema", "json_object_schema", "json_object")
DEFAULT_CONFIG_FILE = "extract.toml"
CONFIG_ENV = "EXTRACT_CONFIG"
#: Requests in flight when not set, for a backend that does not run in processes (an LLM): API
#: calls wait on the network, not the CPU. One that does gets a process per core.
DEFAULT_LLM_CONCURRENCY = 8
#: Largest accepted value of each numeric setting: beyond these a run would exhaust threads,
#: processes or memory before doing anything (``-j 3000000000``), or wait for ever.
LIMITS: dict[str, float] = {
    "concurrency": 1024,
    "rpm": 1_000_000,
    "tpm": 1_000_000_000,
    "timeout": 86_400.0,
    "max_retries": 100,
    "max_reasks": 20,
    "max_output_tokens": 1_000_000,
    "max_items": 1000,
    "context_chars": 10_000_000,
    "max_chars": 100_000_000,
}


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, already validated. Build it with `Settings.resolve`."""

    backend: str = "offline"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    preset: str | None = None
    output_mode: str | None = None
    concurrency: int = 1
    rpm: int | None = None
    tpm: int | None = None
    timeout: float | None = None
    max_retries: int | None = None
    max_reasks: int | None = None
    max_output_tokens: int | None = None
    #: None: no bounds in the schema sent (the llamacpp preset sets 8).
    max_items: int | None = None
    #: None: `extractor.grounding.MAX_UNVERIFIED_SHARE` (0.5).
    max_unverified: float | None = None
    context_chars: int | None = None
    #: Prompt templates looked up here before the bundled ones.
    prompts_dir: Path | None = None
    cache: bool = True
    cache_dir: Path = Path(".extract-cache")
    prices: Path | None = None
    max_chars: int = 2_000_000
    recursive: bool = False
    #: Where each field's value came from ("flag", "env NAME", "config FILE", "default").
    origins: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def resolve(cls, *, environ: Mapping[str, str] | None = None, **flags: Any) -> Settings:
        """Merge flags (None = not given), environment, config file and defaults; validate.

        `flags` takes the field names plus ``config`` (a config file path). Raises `ConfigError`.
        """
        env = os.environ if environ is None else environ
        unknown = set(flags) - set(_SPECS) - {"config"}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        if flags.get("api_key") is not None:
            raise ConfigError("the API key is read from OPENAI_API_KEY only, never from a flag")
        config_path, config = _load_config(flags.get("config"), env)

        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for name, spec in _SPECS.items():
            if flags.get(name) is not None:
                values[name] = spec.convert(flags[name], name, "flag")
                origins[name] = "flag"
            elif spec.env and env.get(spec.env, "").strip():
                values[name] = spec.convert(env[spec.env].strip(), name, f"${spec.env}")
                origins[name] = f"env {spec.env}"
            elif name in config:
                value = spec.convert(config[name], name, str(config_path))
                if isinstance(value, Path) and config_path is not None:
                    value = config_path.parent / value
                values[name] = value
                origins[name] = f"config {config_path}"
            else:
                origins[name] = "default"

        if values.get("preset"):
            _apply_preset(values, origins)
        if "concurrency" not in values:
            declared = backend_class(values.get("backend", cls.backend)).capabilities
            values["concurrency"] = (
                _cpu_count() if declared.runs_in_processes else DEFAULT_LLM_CONCURRENCY
            )
        return cls(**values, origins=origins)

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (values are trusted: use for tests and internal use)."""
        return replace(self, **changes)

    def describe(self) -> str:
        """One line per setting with where it came from; the API key shows only as set/unset."""
        lines = []
        for item in fields(self):
            if item.name == "origins":
                continue
            value = getattr(self, item.name)
            if item.name == "api_key":
                value = "(set)" if value else "(unset)"
            lines.append(f"{item.name} = {value}  [{self.origins.get(item.name, 'default')}]")
        return "\n".join(lines)


#: How strongly each kind of origin holds, for comparing a preset's values with the others'.
_RANK = {"flag": 3, "env": 2, "config": 1, "default": 0}


def _rank(origin: str) -> int:
    return _RANK[origin.split(" ", 1)[0]]


def _apply_preset(values: dict[str, Any], origins: dict[str, str]) -> None:
    """Put the preset's values in every field not set at its level or higher (see the module
    docstring); the preset names an OpenAI-compatible server, so it implies that backend."""
    # The presets live with the backend they configure; imported only when one is named.
    from extractor.backends.llm.config import PRESETS

    name = values["preset"]
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(sorted(PRESETS))}")
    level = _rank(origins["preset"])
    if "backend" not in values:
        values["backend"] = "openai"
        origins["backend"] = f"preset {name} ({origins['preset']})"
    if values["backend"] != "openai":
        raise ConfigError(f"--preset applies to the openai backend, not to {values['backend']}")
    for field_name, value in PRESETS[name].items():
        if field_name in _SPECS and _rank(origins[field_name]) < level:
            values[field_name] = value
            origins[field_name] = f"preset {name} ({origins['preset']})"


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------------- specs


@dataclass(frozen=True)
class _Spec:
    convert: Callable[[Any, str, str], Any]
    env: str | None = None


def _text(choices: tuple[str, ...] | None = None) -> Callable[[Any, str, str], Any]:
    def convert(value: Any, name: str, origin: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _invalid(name, value, origin, "must be a non-empty string")
        if choices is not None and value not in choices:
            raise _invalid(name, value, origin, f"must be one of {', '.join(choices)}")
        return value.strip()

    return convert


def _number(
    cast: type[int] | type[float], minimum: float, maximum: float
) -> Callable[[Any, str, str], Any]:
    def convert(value: Any, name: str, origin: str) -> int | float:
        if isinstance(value, bool):
            raise _invalid(name, value, origin, "must be a number")
        try:
            number = cast(value)
        except (TypeError, ValueError, OverflowError):
            expected = "an integer" if cast is int else "a number"
            raise _invalid(name, value, origin, f"must be {expected}") from None
        if not math.isfinite(number):
            raise _invalid(name, value, origin, "must be a finite number")
        if cast is int and isinstance(value, float) and value != number:
            raise _invalid(name, value, origin, "must be an integer")
        if number < minimum:
            raise _invalid(name, value, origin, f"must be at least {minimum:g}")
        if number > maximum:
            raise _invalid(name, value, origin, f"must be at most {maximum:,g}")
        return number

    return convert


def _flag(value: Any, name: str, origin: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise _invalid(name, value, origin, "must be true or false")


def _path(value: Any, name: str, origin: str) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise _invalid(name, value, origin, "must be a path")
    return Path(value).expanduser()


def _invalid(name: str, value: Any, origin: str, why: str) -> ConfigError:
    return ConfigError(f"invalid {name} {value!r} (from {origin}): {why}")


_SPECS: dict[str, _Spec] = {
    "backend": _Spec(_text(BACKEND_NAMES), "EXTRACT_BACKEND"),
    "model": _Spec(_text(), "EXTRACT_MODEL"),
    "base_url": _Spec(_text(), "OPENAI_BASE_URL"),
    "api_key": _Spec(_text(), "OPENAI_API_KEY"),
    "preset": _Spec(_text(), "EXTRACT_PRESET"),
    "output_mode": _Spec(_text(OUTPUT_MODES), "EXTRACT_OUTPUT_MODE"),
    "concurrency": _Spec(_number(int, 1, LIMITS["concurrency"]), "EXTRACT_CONCURRENCY"),
    "rpm": _Spec(_number(int, 1, LIMITS["rpm"]), "EXTRACT_RPM"),
    "tpm": _Spec(_number(int, 1, LIMITS["tpm"]), "EXTRACT_TPM"),
    "timeout": _Spec(_number(float, 0.001, LIMITS["timeout"]), "EXTRACT_TIMEOUT"),
    "max_retries": _Spec(_number(int, 0, LIMITS["max_retries"]), "EXTRACT_MAX_RETRIES"),
    "max_reasks": _Spec(_number(int, 0, LIMITS["max_reasks"]), "EXTRACT_MAX_REASKS"),
    "max_output_tokens": _Spec(
        _number(int, 1, LIMITS["max_output_tokens"]), "EXTRACT_MAX_OUTPUT_TOKENS"
    ),
    "max_items": _Spec(_number(int, 1, LIMITS["max_items"]), "EXTRACT_MAX_ITEMS"),
    "max_unverified": _Spec(_number(float, 0, 1), "EXTRACT_MAX_UNVERIFIED"),
    "context_chars": _Spec(_number(int, 200, LIMITS["context_chars"]), "EXTRACT_CONTEXT_CHARS"),
    "prompts_dir": _Spec(_path, "EXTRACT_PROMPTS_DIR"),
    "cache": _Spec(_flag, "EXTRACT_CACHE"),
    "cache_dir": _Spec(_path, "EXTRACT_CACHE_DIR"),
    "prices": _Spec(_path, "EXTRACT_PRICES"),
    "max_chars": _Spec(_number(int, 1, LIMITS["max_chars"]), "EXTRACT_MAX_CHARS"),
    "recursive": _Spec(_flag),
}


# ---------------------------------------------------------------------- config file


def _load_config(
    flag_path: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> tuple[Path | None, dict[str, Any]]:
    if flag_path is not None:
        path, required = Path(flag_path), True
    elif env.get(CONFIG_ENV, "").strip():
        path, required = Path(env[CONFIG_ENV].strip()), True
    else:
        path, required = Path(DEFAULT_CONFIG_FILE), False
    if not path.is_file():
        if required:
            raise ConfigError(f"config file {path} not found")
        return None, {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    config = {key.replace("-", "_"): value for key, value in raw.items()}
    if "api_key" in config:
        raise ConfigError(
            f"config file {path}: api_key is not read from files; set OPENAI_API_KEY instead"
        )
    unknown = sorted(set(config) - set(_SPECS))
    if unknown:
        allowed = ", ".join(name for name in _SPECS if name != "api_key")
        raise ConfigError(
            f"config file {path}: unknown key(s) {', '.join(unknown)} (known: {allowed})"
        )
    return path, config


# ---------------------------------------------------------------------- the service


#: Where `extract serve` and `extract keys` keep keys, jobs and result lines when not told.
DEFAULT_SERVICE_DB = "sqlite:///extract-service.sqlite"


@dataclass(frozen=True)
class ServiceSettings:
    """`extract serve`'s own settings (the extraction settings are a `Settings`), resolved
    flag > environment > default. Build it with `ServiceSettings.resolve`."""

    #: SQLAlchemy URL of the database: SQLite (default) or ``postgresql+psycopg://...``.
    db: str = DEFAULT_SERVICE_DB
    #: Loopback unless told otherwise: the API is reachable from this machine only.
    host: str = "127.0.0.1"
    port: int = 8000
    #: Seconds `POST /v1/extract` waits for its record before answering 202 with a job.
    wait: float = 30.0
    #: Largest request body in bytes; a larger one is answered 413.
    max_body_bytes: int = 10_000_000
    #: Seconds an article stays leased to a worker without a heartbeat; a server killed
    #: mid-article leaves it to be leased again after this long.
    lease_seconds: float = 60.0
    #: Seconds shutdown (SIGTERM) waits for the articles under way to finish.
    drain_seconds: float = 60.0

    @classmethod
    def resolve(
        cls, *, environ: Mapping[str, str] | None = None, **flags: Any
    ) -> ServiceSettings:
        """Merge flags (None = not given), environment and defaults; validate. Raises
        `ConfigError`."""
        env = os.environ if environ is None else environ
        unknown = set(flags) - set(_SERVICE_SPECS)
        if unknown:
            raise ConfigError(f"unknown service setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, spec in _SERVICE_SPECS.items():
            if flags.get(name) is not None:
                values[name] = spec.convert(flags[name], name, "flag")
            elif spec.env and env.get(spec.env, "").strip():
                values[name] = spec.convert(env[spec.env].strip(), name, f"${spec.env}")
        return cls(**values)


_SERVICE_SPECS: dict[str, _Spec] = {
    "db": _Spec(_text(), "EXTRACT_DB"),
    "host": _Spec(_text(), "EXTRACT_HOST"),
    "port": _Spec(_number(int, 0, 65535), "EXTRACT_PORT"),
    "wait": _Spec(_number(float, 0, LIMITS["timeout"]), "EXTRACT_SERVE_WAIT"),
    "max_body_bytes": _Spec(_number(int, 1, 1_000_000_000), "EXTRACT_MAX_BODY_BYTES"),
    "lease_seconds": _Spec(_number(float, 0.1, LIMITS["timeout"]), "EXTRACT_LEASE_SECONDS"),
    "drain_seconds": _Spec(_number(float, 0, LIMITS["timeout"]), "EXTRACT_DRAIN_SECONDS"),
}
