"""Configuration precedence: arguments > env > config file > defaults, one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcurate.errors import ConfigError
from mmcurate.models.config import ENV_VARS, resolve_config


def write_config(home: Path, text: str) -> Path:
    path = home / "mmcurate" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_select_the_heuristic_backend(clean_model_env: Path) -> None:
    cfg = resolve_config()
    assert cfg.backend == "heuristic" and cfg.source("backend") == "default"
    assert cfg.cache_dir.parent.name == "xdg-cache"


def test_argument_beats_env_beats_file(
    clean_model_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(clean_model_env, "models:\n  concurrency: 3\n  timeout_s: 7\n  model: f\n")
    monkeypatch.setenv("MMCURATE_CONCURRENCY", "5")
    monkeypatch.setenv("MMCURATE_MODEL", "from-env")
    cfg = resolve_config({"model": "from-arg", "timeout_s": None})
    assert cfg.model == "from-arg" and cfg.source("model") == "argument"
    assert cfg.concurrency == 5 and cfg.source("concurrency") == "env MMCURATE_CONCURRENCY"
    assert cfg.timeout_s == 7 and cfg.source("timeout_s") == f"file {path}"
    assert cfg.max_retries == 3 and cfg.source("max_retries") == "default"


def test_url_alone_selects_the_server_backend(
    clean_model_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMCURATE_VLM_URL", "http://127.0.0.1:8000")
    cfg = resolve_config()
    assert cfg.backend == "vllm-server" and cfg.source("backend") == "default (url set)"
    assert resolve_config({"backend": "heuristic"}).backend == "heuristic"


def test_mmcurate_config_names_the_file(
    clean_model_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("models:\n  backend: transformers\n  model: /m\n  cache: 'off'\n")
    monkeypatch.setenv("MMCURATE_CONFIG", str(other))
    cfg = resolve_config()
    assert (cfg.backend, cfg.model, cfg.cache) == ("transformers", "/m", False)
    monkeypatch.setenv("MMCURATE_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="MMCURATE_CONFIG points to a missing file"):
        resolve_config()


def test_unknown_keys_are_named_with_the_valid_ones(clean_model_env: Path) -> None:
    write_config(clean_model_env, "models:\n  concurency: 3\n")
    with pytest.raises(ConfigError, match="'concurency'.*valid: .*concurrency"):
        resolve_config()
    (clean_model_env / "mmcurate" / "config.yaml").unlink()
    with pytest.raises(ConfigError, match="arguments: unknown model setting"):
        resolve_config({"modle": "x"})


def test_bad_values_name_their_source(
    clean_model_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MMCURATE_CONCURRENCY", "many")
    with pytest.raises(ConfigError, match=r"concurrency \(from env MMCURATE_CONCURRENCY\)"):
        resolve_config()
    monkeypatch.delenv("MMCURATE_CONCURRENCY")
    with pytest.raises(ConfigError, match="valid: heuristic, vllm-server"):
        resolve_config({"backend": "vllm"})


def test_backends_that_need_a_url_or_model_say_how_to_set_it(clean_model_env: Path) -> None:
    with pytest.raises(ConfigError, match="MMCURATE_VLM_URL"):
        resolve_config({"backend": "vllm-server"})
    with pytest.raises(ConfigError, match="needs a model"):
        resolve_config({"backend": "transformers"})


def test_every_field_has_an_env_var_and_describe_masks_the_key(clean_model_env: Path) -> None:
    assert ENV_VARS["url"] == "MMCURATE_VLM_URL" and ENV_VARS["model"] == "MMCURATE_MODEL"
    rows = dict((k, v) for k, v, _ in resolve_config({"api_key": "secret"}).describe())
    assert rows["api_key"] == "***"
