"""``curate boost`` configuration: validation, paths, fingerprint, the CLI's one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mmcurate.boost.config import load_boost_config, parse_boost_config
from mmcurate.cli import app
from mmcurate.errors import ConfigError


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "pool.jsonl").write_text("{}\n")
    (tmp_path / "qa.jsonl").write_text("{}\n")
    return tmp_path


def write(path: Path, data: dict) -> Path:  # type: ignore[type-arg]
    path.write_text(yaml.safe_dump(data))
    return path


BASE = {"pool": "pool.jsonl", "heldout": "qa.jsonl", "base_model": "Qwen/Qwen2-VL-2B-Instruct"}


def test_defaults_and_relative_paths(files: Path) -> None:
    cfg = load_boost_config(write(files / "b.yaml", BASE))
    assert cfg.pool == files / "pool.jsonl" and cfg.heldout == files / "qa.jsonl"
    assert cfg.base_model == "Qwen/Qwen2-VL-2B-Instruct"  # a hub id stays as is
    assert (cfg.trainer.kind, cfg.serve.mode, cfg.selector.method) == (
        "lora",
        "transformers",
        "mmssr",
    )


def test_unknown_keys_and_bad_values_are_named(files: Path) -> None:
    with pytest.raises(ConfigError, match="trainer.lora.rnak: Extra inputs"):
        parse_boost_config({**BASE, "trainer": {"lora": {"rnak": 4}}}, files)
    with pytest.raises(ConfigError, match="serve.mode"):
        parse_boost_config({**BASE, "serve": {"mode": "tgi"}}, files)
    with pytest.raises(ConfigError, match="needs trainer.external.command"):
        parse_boost_config({**BASE, "trainer": {"kind": "external"}}, files)
    with pytest.raises(ConfigError, match="pool not found"):
        parse_boost_config({**BASE, "pool": "nope.jsonl"}, files)
    with pytest.raises(ConfigError, match="not found"):
        load_boost_config(files / "missing.yaml")


def test_fingerprint_ignores_budget_and_stopping(files: Path) -> None:
    cfg = parse_boost_config(BASE, files)
    same = cfg.model_copy(update={"rounds": 9, "patience": 3, "min_delta": 0.1})
    assert cfg.fingerprint() == same.fingerprint()
    other = parse_boost_config({**BASE, "selector": {"budget": 5}}, files)
    assert other.fingerprint() != cfg.fingerprint()


def test_cli_errors_are_one_line(files: Path) -> None:
    curate = str(Path(sys.executable).parent / "curate")
    cfg = write(files / "b.yaml", {**BASE, "rounds": 0})
    res = subprocess.run(
        [curate, "boost", str(cfg), "--out", str(files / "run")], capture_output=True, text=True
    )
    assert res.returncode == 2, res.stderr
    assert "rounds" in res.stderr and "Traceback" not in res.stderr
    bad = write(files / "c.yaml", {**BASE, "selector": {"method": "magic"}})
    res = subprocess.run(
        [curate, "boost", str(bad), "--out", str(files / "run")], capture_output=True, text=True
    )
    assert res.returncode == 2 and "unknown selection method 'magic'" in res.stderr
    assert "Traceback" not in res.stderr


def test_help_has_examples() -> None:
    for cmd in ("boost", "eval", "make-heldout"):
        res = CliRunner().invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "Example" in res.output
