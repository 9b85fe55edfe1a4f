"""Settings: flag > environment > config file > default, validated, the key kept out of sight."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import extractor
from extractor.backends.llm.config import PRESETS
from extractor.backends.registry import create_backend
from extractor.errors import ConfigError
from extractor.settings import DEFAULT_LLM_CONCURRENCY, Settings


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = Settings.resolve(environ={})
    assert settings.backend == "offline"
    assert settings.cache is True
    assert settings.cache_dir == Path(".extract-cache")
    assert settings.concurrency >= 1
    assert settings.origins["backend"] == "default"


def test_llm_backend_defaults_to_eight_in_flight() -> None:
    assert Settings.resolve(environ={}, backend="openai").concurrency == DEFAULT_LLM_CONCURRENCY


def test_precedence_flag_over_env_over_config_over_default(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", 'model = "from-config"\nrpm = 10\ntpm = 1000\n')
    env = {"EXTRACT_MODEL": "from-env", "EXTRACT_RPM": "20"}

    settings = Settings.resolve(environ=env, config=config, model="from-flag")

    assert settings.model == "from-flag"
    assert settings.rpm == 20
    assert settings.tpm == 1000
    assert settings.timeout is None
    assert settings.origins["model"] == "flag"
    assert settings.origins["rpm"] == "env EXTRACT_RPM"
    assert settings.origins["tpm"] == f"config {config}"


def test_config_file_from_env_then_from_the_working_folder(tmp_path: Path) -> None:
    named = write_config(tmp_path / "named.toml", 'backend = "openai"\n')
    write_config(tmp_path / "extract.toml", "max-retries = 7\n")

    assert Settings.resolve(environ={"EXTRACT_CONFIG": str(named)}).backend == "openai"
    local = Settings.resolve(environ={})
    assert local.max_retries == 7
    assert local.backend == "offline"


def test_config_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    config = write_config(tmp_path / "conf" / "x.toml", 'cache_dir = "cache"\nprices = "p.json"\n')
    settings = Settings.resolve(environ={}, config=config)
    assert settings.cache_dir == tmp_path / "conf" / "cache"
    assert settings.prices == tmp_path / "conf" / "p.json"


def test_preset_implies_the_openai_backend() -> None:
    settings = Settings.resolve(environ={}, preset="ollama")
    assert settings.backend == "openai"
    with pytest.raises(ConfigError, match="preset"):
        Settings.resolve(environ={}, preset="ollama", backend="offline")


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"backend": "gpt"}, {}, "invalid backend 'gpt'"),
        ({"concurrency": 0}, {}, "at least 1"),
        ({}, {"EXTRACT_CONCURRENCY": "many"}, "EXTRACT_CONCURRENCY"),
        ({}, {"EXTRACT_CACHE": "maybe"}, "true or false"),
        ({"output_mode": "xml"}, {}, "json_schema"),
        ({"timeout": -1}, {}, "at least"),
        ({"config": "missing.toml"}, {}, "not found"),
        ({}, {"EXTRACT_CONFIG": "missing.toml"}, "not found"),
    ],
)
def test_invalid_values_are_config_errors(
    flags: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.resolve(environ=env, **flags)


def test_bad_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"c\.toml"):
        Settings.resolve(environ={}, config=write_config(tmp_path / "c.toml", "model = [unclosed"))
    with pytest.raises(ConfigError, match="unknown key"):
        Settings.resolve(environ={}, config=write_config(tmp_path / "d.toml", "modle = 'x'\n"))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        Settings.resolve(environ={}, config=write_config(tmp_path / "e.toml", "api_key = 'k'\n"))
    with pytest.raises(ConfigError, match="integer"):
        Settings.resolve(environ={}, config=write_config(tmp_path / "f.toml", "rpm = 1.5\n"))


def test_api_key_only_from_the_environment_and_never_shown() -> None:
    secret = "sk-test-SECRET-abcdef"
    settings = Settings.resolve(environ={"OPENAI_API_KEY": secret})
    assert settings.api_key == secret
    assert secret not in repr(settings)
    assert secret not in str(settings)
    assert secret not in settings.describe()
    with pytest.raises(ConfigError, match="never from a flag"):
        Settings.resolve(environ={}, api_key=secret)


def test_bool_and_path_from_env() -> None:
    settings = Settings.resolve(environ={"EXTRACT_CACHE": "off", "EXTRACT_CACHE_DIR": "/tmp/c"})
    assert settings.cache is False
    assert settings.cache_dir == Path("/tmp/c")


def test_unknown_flag_is_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.resolve(environ={}, colour="blue")


# --------------------------------------------------------------- presets and precedence


def test_a_preset_flag_beats_the_environment_base_url() -> None:
    # The bug: the preset was merged after precedence, so OPENAI_BASE_URL won over --preset.
    env = {"OPENAI_BASE_URL": "http://elsewhere.example/v1", "EXTRACT_MODEL": "env-model"}
    settings = Settings.resolve(environ=env, preset="ollama")
    assert settings.base_url == "http://localhost:11434/v1"
    assert settings.model == PRESETS["ollama"]["model"]
    assert settings.origins["base_url"] == "preset ollama (flag)"


def test_a_value_at_the_presets_own_level_beats_the_preset(tmp_path: Path) -> None:
    flags = Settings.resolve(environ={}, preset="vllm", base_url="http://mine:9/v1")
    assert flags.base_url == "http://mine:9/v1"
    assert flags.context_chars == PRESETS["vllm"]["context_chars"]
    env = {"EXTRACT_PRESET": "vllm", "OPENAI_BASE_URL": "http://env:9/v1"}
    assert Settings.resolve(environ=env).base_url == "http://env:9/v1"


def test_an_environment_preset_beats_the_config_file_but_not_a_flag(tmp_path: Path) -> None:
    config = tmp_path / "extract.toml"
    config.write_text('base_url = "http://config:1/v1"\ntimeout = 5\n', encoding="utf-8")
    env = {"EXTRACT_PRESET": "lmstudio"}
    settings = Settings.resolve(environ=env, config=config)
    assert settings.base_url == PRESETS["lmstudio"]["base_url"]
    assert settings.timeout == PRESETS["lmstudio"]["timeout"]
    flagged = Settings.resolve(environ=env, config=config, timeout=7)
    assert flagged.timeout == 7


def test_a_preset_reaches_the_backend_over_the_environment() -> None:
    env = {"OPENAI_BASE_URL": "http://elsewhere.example/v1"}
    backend = create_backend(Settings.resolve(environ=env, preset="ollama"))
    assert backend.fingerprint()["model"] == PRESETS["ollama"]["model"]
    assert backend._base_url == "http://localhost:11434/v1"  # type: ignore[attr-defined]


def test_an_unknown_preset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        Settings.resolve(environ={}, preset="nope")


def test_the_prompts_folder_is_a_setting() -> None:
    settings = Settings.resolve(environ={"EXTRACT_PROMPTS_DIR": "/tmp/p"})
    assert settings.prompts_dir == Path("/tmp/p")
    assert settings.origins["prompts_dir"] == "env EXTRACT_PROMPTS_DIR"


def test_nothing_outside_settings_reads_the_environment() -> None:
    package = Path(extractor.__file__).parent
    readers = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "settings.py" and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
                readers.append(f"{path.relative_to(package)}:{node.lineno}")
    assert readers == []
