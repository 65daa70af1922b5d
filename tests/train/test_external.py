"""The external-trainer hook with a real subprocess (a small Python script as the trainer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from mmcurate.errors import ConfigError
from mmcurate.train.external import ExternalParams, TrainerCommandError, fill, run_external

SCRIPT = """
import json, pathlib, sys
data, out, base = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
records = json.loads(pathlib.Path(data).read_text())
target = out / "checkpoint-final"
target.mkdir(parents=True)
(target / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base}))
print("trained on", len(records), "records")
"""


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "train.json"
    path.parent.mkdir()
    path.write_text(json.dumps([{"id": "a", "messages": []}, {"id": "b", "messages": []}]))
    return path


def test_runs_the_command_and_finds_the_adapter(tmp_path: Path, data_file: Path) -> None:
    script = tmp_path / "fake_trainer.py"
    script.write_text(SCRIPT)
    params = ExternalParams(
        command=[sys.executable, str(script), "{data}", "{output_dir}", "{base_model}"]
    )
    res = run_external(
        params,
        base_model="Qwen/Qwen2-VL-2B-Instruct",
        data_file=data_file,
        dataset="ds",
        output_dir=tmp_path / "round" / "adapter",
    )
    assert res.adapter_dir == str(tmp_path / "round" / "adapter" / "checkpoint-final")
    assert res.trainer == "external" and res.examples == 2
    log = (tmp_path / "round" / "adapter" / "trainer.log").read_text()
    assert "trained on 2 records" in log
    cfg = yaml.safe_load((tmp_path / "round" / "llamafactory.yaml").read_text())
    assert cfg["dataset"] == "ds" and cfg["dataset_dir"] == str(data_file.parent)
    assert cfg["finetuning_type"] == "lora" and cfg["template"] == "qwen2_vl"


def test_failures_are_clear(tmp_path: Path, data_file: Path) -> None:
    kw = {"base_model": "m", "data_file": data_file, "dataset": "ds", "output_dir": tmp_path / "a"}
    with pytest.raises(TrainerCommandError, match="exited 3"):
        run_external(ExternalParams(command=[sys.executable, "-c", "exit(3)"]), **kw)
    with pytest.raises(TrainerCommandError, match="no adapter_config.json"):
        run_external(ExternalParams(command=[sys.executable, "-c", "pass"]), **kw)
    with pytest.raises(TrainerCommandError, match="not found"):
        run_external(ExternalParams(command=["/nonexistent/trainer"]), **kw)
    with pytest.raises(ConfigError, match="unknown placeholder"):
        fill(["{nope}"], {"data": "x"})
