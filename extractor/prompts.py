"""Typed, versioned prompt templates: `prompts/<name>/v<version>.toml`, bound to input/output types.

A template is data (system and user text, few-shot examples); a `Prompt` is that data bound to
the Python types it reads and writes, so `render_input(article)` can only be called with the
right input and every example is checked against the output model. Substitution is
`string.Template` (`$name`), never `str.format`: article text is full of braces.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ValidationError

import extractor
from extractor.articles import Article
from extractor.errors import ConfigError
from extractor.schema import EventDraft, PromptRef, llm_json_schema

_UNKNOWN = "unknown"


class ChatMessage(TypedDict):
    """One chat message as the OpenAI chat-completions API takes it."""

    role: Literal["system", "user", "assistant"]
    content: str


# ------------------------------------------------------------------ bound types


def article_variables(article: Article) -> dict[str, str]:
    """Template variables for an `Article`: id, title, source, published, text."""
    return {
        "article_id": article.id,
        "title": article.title or _UNKNOWN,
        "source": article.source or _UNKNOWN,
        "published": str(article.published) if article.published else _UNKNOWN,
        "text": article.text,
    }


@dataclass(frozen=True)
class _InputType:
    cls: type[Any]
    variables: Callable[[Any], dict[str, str]]


@dataclass(frozen=True)
class _OutputType:
    cls: type[BaseModel]
    json_schema: Callable[[], dict[str, Any]]


# The names a template may use in its `input` / `output` fields.
_INPUT_TYPES: dict[str, _InputType] = {"Article": _InputType(Article, article_variables)}
_OUTPUT_TYPES: dict[str, _OutputType] = {"EventDraft": _OutputType(EventDraft, llm_json_schema)}


# ---------------------------------------------------------------------- fencing


def fence(value: str) -> str:
    """Wrap untrusted text in `<article key=K>` … `</article key=K>` so it cannot end early.

    K is derived from the text itself, so the text would have to contain its own hash to
    forge the closing tag; the text stays verbatim (evidence quotes must match it) and the
    same article always renders the same prompt (a stable cache key).
    """
    key = hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
    closing = f'</article key="{key}">'
    # Unreachable in practice; kept so the guarantee does not rest on probability alone.
    body = value.replace(closing, f'<\\/article key="{key}">')
    return f'<article key="{key}">\n{body}\n{closing}'


# ------------------------------------------------------------------------ prompt


@dataclass(frozen=True)
class Example:
    """A few-shot example: input variables and the output it should produce."""

    variables: Mapping[str, str]
    output: BaseModel


@dataclass(frozen=True)
class Prompt:
    """A versioned template bound to an input type and an output (pydantic) type."""

    name: str
    version: str
    input_type: type[Any]
    output_type: type[BaseModel]
    system: str
    user: str
    reask: str
    schema_note: str
    fenced: tuple[str, ...]
    examples: tuple[Example, ...]
    sha256: str
    _input: _InputType
    _output: _OutputType

    @functools.cached_property
    def variables(self) -> frozenset[str]:
        """The variable names `render` requires, exactly."""
        return frozenset(_placeholders(self.system) | _placeholders(self.user))

    def ref(self) -> PromptRef:
        """The provenance reference: name, version and content hash."""
        return PromptRef(name=self.name, version=self.version, sha256=self.sha256)

    def render(self, **variables: str) -> list[ChatMessage]:
        """Chat messages for these variables; `ConfigError` on a missing or unexpected one."""
        messages: list[ChatMessage] = [
            {"role": "system", "content": self._substitute(self.system, variables)}
        ]
        messages.extend(ChatMessage(**message) for message in self._example_messages)
        messages.append({"role": "user", "content": self._user(variables)})
        return messages

    @functools.cached_property
    def _example_messages(self) -> tuple[ChatMessage, ...]:
        # The same for every article: rendered once (copied into each conversation).
        messages: list[ChatMessage] = []
        for example in self.examples:
            messages.append({"role": "user", "content": self._user(example.variables)})
            messages.append({"role": "assistant", "content": example.output.model_dump_json()})
        return tuple(messages)

    def render_input(self, value: object) -> list[ChatMessage]:
        """Chat messages for one input object of the bound input type (e.g. an `Article`)."""
        if not isinstance(value, self.input_type):
            raise ConfigError(
                f"prompt {self.name} v{self.version} takes {self.input_type.__name__}, "
                f"not {type(value).__name__}"
            )
        return self.render(**self._input.variables(value))

    def reask_message(self, error: str) -> ChatMessage:
        """The follow-up user message sent after an answer failed validation."""
        return {"role": "user", "content": string.Template(self.reask).safe_substitute(error=error)}

    def schema_instruction(self, schema: Mapping[str, Any] | None = None) -> str:
        """Text giving the output JSON Schema (`schema`, else the output type's), for
        endpoints without structured outputs."""
        shown = schema if schema is not None else self._output.json_schema()
        text = json.dumps(shown, separators=(",", ":"))
        return string.Template(self.schema_note).safe_substitute(schema=text)

    def output_json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the output type, as sent to structured-output endpoints."""
        return self._output.json_schema()

    def _user(self, variables: Mapping[str, str]) -> str:
        fenced = {k: fence(v) if k in self.fenced else v for k, v in variables.items()}
        return self._substitute(self.user, fenced, checked=variables)

    def _substitute(
        self,
        template: str,
        variables: Mapping[str, str],
        checked: Mapping[str, str] | None = None,
    ) -> str:
        given = set(checked if checked is not None else variables)
        missing = sorted(self.variables - given)
        extra = sorted(given - self.variables)
        if missing or extra:
            raise ConfigError(
                f"prompt {self.name} v{self.version}: missing variables {missing}, "
                f"unexpected variables {extra}"
            )
        return string.Template(template).substitute(variables)

    def __repr__(self) -> str:
        return f"Prompt({self.name!r}, version={self.version!r}, sha256={self.sha256[:12]!r})"


def _placeholders(template: str) -> set[str]:
    names: set[str] = set()
    for match in string.Template.pattern.finditer(template):
        if match.group("invalid") is not None:
            raise ConfigError(f"bad placeholder in template near {template[match.start():][:30]!r}")
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return names


# ------------------------------------------------------------------------ loader


def prompt_dirs(prompts_dir: Path | None = None) -> list[Path]:
    """Where prompts are looked up, first match first: `prompts_dir` (the `prompts_dir`
    setting, $EXTRACT_PROMPTS_DIR), the repository's prompts/, the wheel's copy."""
    package = Path(extractor.__file__).resolve().parent
    dirs = [prompts_dir] if prompts_dir is not None else []
    return [*dirs, package.parent / "prompts", package / "_prompts"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def available_versions(
    name: str, directory: Path | None = None, *, prompts_dir: Path | None = None
) -> list[str]:
    """Versions of prompt `name` on disk, oldest first (only in `directory`, if given)."""
    folder = _prompt_folder(name, directory, prompts_dir)
    versions = []
    for path in folder.glob("v*.toml"):
        version = path.stem[1:]
        if re.fullmatch(r"\d+(\.\d+)*", version):
            versions.append(version)
    return sorted(versions, key=_version_key)


def load_prompt(
    name: str,
    version: str | None = None,
    directory: Path | None = None,
    *,
    prompts_dir: Path | None = None,
) -> Prompt:
    """Load prompt `name` at `version` (latest when None) from `directory` only, or else from
    `prompt_dirs(prompts_dir)`; `ConfigError` if absent or invalid."""
    versions = available_versions(name, directory, prompts_dir=prompts_dir)
    if not versions:
        raise ConfigError(f"prompt {name!r} has no v*.toml versions")
    chosen = version.removeprefix("v") if version else versions[-1]
    if chosen not in versions:
        raise ConfigError(f"prompt {name!r} has no version {chosen!r} (have {versions})")
    path = _prompt_folder(name, directory, prompts_dir) / f"v{chosen}.toml"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read prompt {path}: {exc}") from exc
    return prompt_from_dict(data, source=str(path), expect=(name, chosen))


def _prompt_folder(name: str, directory: Path | None, prompts_dir: Path | None) -> Path:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ConfigError(f"prompt name {name!r} must be lower-case letters, digits, underscores")
    candidates = [directory] if directory is not None else prompt_dirs(prompts_dir)
    for base in candidates:
        if (base / name).is_dir():
            return base / name
    raise ConfigError(f"prompt {name!r} not found in {[str(c) for c in candidates]}")


_REQUIRED = ("name", "version", "input", "output", "system", "user", "reask", "schema_note")


def prompt_from_dict(
    data: Mapping[str, Any], source: str = "<dict>", expect: tuple[str, str] | None = None
) -> Prompt:
    """Build and check a `Prompt` from parsed TOML; every problem is a `ConfigError`."""
    missing = [key for key in _REQUIRED if not isinstance(data.get(key), str)]
    if missing:
        raise ConfigError(f"{source}: missing or non-string fields {missing}")
    name, version = data["name"], data["version"]
    if expect is not None and (name, version) != expect:
        raise ConfigError(
            f"{source}: declares {name} v{version}, expected {expect[0]} v{expect[1]}"
        )
    if data["input"] not in _INPUT_TYPES or data["output"] not in _OUTPUT_TYPES:
        raise ConfigError(
            f"{source}: input must be one of {sorted(_INPUT_TYPES)}, "
            f"output one of {sorted(_OUTPUT_TYPES)}"
        )
    input_type, output_type = _INPUT_TYPES[data["input"]], _OUTPUT_TYPES[data["output"]]
    fenced = tuple(data.get("fenced", ()))
    examples = tuple(
        _example(raw, output_type.cls, f"{source} example {i}")
        for i, raw in enumerate(data.get("examples", []), start=1)
    )
    prompt = Prompt(
        name=name,
        version=version,
        input_type=input_type.cls,
        output_type=output_type.cls,
        system=data["system"].strip(),
        user=data["user"].strip(),
        reask=data["reask"].strip(),
        schema_note=data["schema_note"].strip(),
        fenced=fenced,
        examples=examples,
        sha256=_content_hash(data),
        _input=input_type,
        _output=output_type,
    )
    unknown = set(fenced) - prompt.variables
    if unknown:
        raise ConfigError(f"{source}: fenced variables {sorted(unknown)} are not in the template")
    for example in examples:
        prompt.render(**example.variables)  # an example must fill the template exactly
    return prompt


def _example(raw: Mapping[str, Any], output: type[BaseModel], where: str) -> Example:
    variables = raw.get("variables")
    if not isinstance(variables, dict) or not isinstance(raw.get("output"), str):
        raise ConfigError(f"{where}: needs a [variables] table and an `output` JSON string")
    try:
        parsed = output.model_validate_json(raw["output"])
    except ValidationError as exc:
        raise ConfigError(f"{where}: output does not validate: {exc}") from exc
    return Example(variables={k: str(v) for k, v in variables.items()}, output=parsed)


def _content_hash(data: Mapping[str, Any]) -> str:
    # Everything that changes what the model is sent, in a canonical form.
    keys = ("name", "version", "input", "output", "system", "user", "reask", "schema_note")
    content = {key: data[key] for key in keys}
    content["fenced"] = list(data.get("fenced", ()))
    content["examples"] = list(data.get("examples", []))
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
