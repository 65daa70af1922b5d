"""read_dataset: error capture, accounting, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcurate.errors import FormatError
from mmcurate.io import FORMATS, LoadResult, jsonfile, read_dataset
from mmcurate.sample import features
from tests.io.util import JPG, PNG, samples, write_json


def _record(i: int, image: str = JPG) -> str:
    return json.dumps(
        {
            "id": f"s{i}",
            "image": image,
            "conversations": [
                {"from": "human", "value": "<image>\nWhat is it?"},
                {"from": "gpt", "value": f"Answer {i}."},
            ],
        }
    )


def _accounting(result: LoadResult) -> None:
    assert result.n_input == len(result.dataset) + len(result.errors)


def test_each_bad_sample_is_one_error_and_the_rest_load(data_dir: Path) -> None:
    (data_dir / "img" / "zero.jpg").write_bytes(b"")
    (data_dir / "img" / "fake.jpg").write_text("this is text, not a JPEG")
    lines = [
        _record(0),
        '{"id": "s1", "image": "img/a.jpg", "conversations": [',
        _record(2, "img/missing.jpg"),
        _record(3, "img/zero.jpg"),
        _record(4, "img/fake.jpg"),
        _record(5, PNG),
    ]
    src = data_dir / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n")

    result = read_dataset(src)

    assert result.format == "llava"
    assert [s.id for s in samples(result)] == ["s0", "s5"]
    by_id = {e.sample_id: e for e in result.errors}
    assert list(by_id) == ["s1", "s2", "s3", "s4"]
    assert by_id["s1"].reason.startswith("invalid JSON: ") and by_id["s1"].line == 2
    missing = data_dir / "img" / "missing.jpg"
    assert by_id["s2"].reason == f"images[0]: file not found: {missing}"
    assert by_id["s2"].file == str(missing)
    assert by_id["s3"].reason == f"images[0]: zero-byte file: {data_dir / 'img' / 'zero.jpg'}"
    assert by_id["s4"].reason.startswith("images[0]: not a readable image: ")
    assert by_id["s4"].file == str(data_dir / "img" / "fake.jpg")
    assert all(e.op == "load" for e in result.errors)
    assert result.n_input == 6
    _accounting(result)


def test_media_check_off_keeps_samples_with_missing_media(data_dir: Path) -> None:
    src = data_dir / "m.jsonl"
    src.write_text(_record(0, "img/missing.jpg") + "\n")
    result = read_dataset(src, media_check=False)
    assert [s.images for s in samples(result)] == [["img/missing.jpg"]]
    assert result.errors == []


def test_dataset_schema_and_storage(data_dir: Path, cache_dir: Path) -> None:
    src = data_dir / "ok.jsonl"
    src.write_text(_record(0) + "\n" + _record(1) + "\n")
    result = read_dataset(src, cache_dir=cache_dir)
    assert result.dataset.features == features()
    assert result.root == data_dir
    files = [Path(f["filename"]) for f in result.dataset.cache_files]
    assert files and all(cache_dir / "loads" in f.parents for f in files)
    again = read_dataset(src, cache_dir=cache_dir)
    assert again.dataset.cache_files != result.dataset.cache_files  # never served stale


def test_parallel_read_matches_serial(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonfile, "_MIN_SPLIT_BYTES", 256)
    lines = [_record(i, JPG if i % 2 else PNG) for i in range(60)]
    lines[10] = "{broken"
    lines[20] = _record(20, "img/none.jpg")
    src = data_dir / "par.jsonl"
    src.write_text("\n".join(lines) + "\n")
    serial = read_dataset(src)
    parallel = read_dataset(src, num_proc=3)
    assert samples(parallel) == samples(serial)
    assert parallel.errors == serial.errors
    assert parallel.n_input == serial.n_input == 60
    _accounting(parallel)


def test_empty_jsonl_with_explicit_format(data_dir: Path) -> None:
    (data_dir / "empty.jsonl").write_text("")
    result = read_dataset(data_dir / "empty.jsonl", "llava")
    assert len(result.dataset) == 0 and result.n_input == 0
    assert result.dataset.features == features()


def test_run_level_errors(data_dir: Path) -> None:
    src = write_json(data_dir / "x.jsonl", [{"text": "hi"}])
    with pytest.raises(FormatError, match="unknown format 'csv'; valid --format values: "):
        read_dataset(src, "csv")
    with pytest.raises(FormatError, match="--format llava reads a .json/.jsonl file"):
        read_dataset(data_dir, "llava")
    with pytest.raises(FormatError, match="--format folder reads a folder"):
        read_dataset(src, "folder")
    with pytest.raises(FormatError, match="no such file"):
        read_dataset(data_dir / "nope.jsonl", "llava")
    assert "folder" in FORMATS


def test_cache_folder_env_is_the_one_model_requests_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mmcurate.io.reader import default_cache_dir

    monkeypatch.delenv("MMCURATE_CACHE_DIR", raising=False)
    monkeypatch.setenv("MMCURATE_CACHE", "0")  # the model cache's on/off switch, not a folder
    assert default_cache_dir() == Path.home() / ".cache" / "mmcurate"
    monkeypatch.setenv("MMCURATE_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
