"""Round trips and conversions on the real data in ``shared/data/realdata``.

The folder is found through ``$MMCURATE_REALDATA`` or next to the repository
(``<repo>/../shared/data/realdata``); the tests skip when it is absent.

What each format keeps of a sample: LLaVA, ShareGPT, messages, Data-Juicer and ``hf`` keep
everything (Data-Juicer renders the conversation into ``text`` and parses it back; turn-level
extra keys, which this data has none of, would stay in ``meta["_turn_extra"]``). ``parquet``
replaces each image path by the content-addressed copy of the embedded bytes.
"""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import pytest

from mmcurate.io import detect_format, read_dataset, write_dataset
from mmcurate.sample import Sample
from tests.io.util import read_json, resolved, samples, without

pytestmark = pytest.mark.realdata

N_SAMPLES = 322


@pytest.fixture(scope="module")
def realdata() -> Path:
    """The realdata folder, or skip."""
    env = os.environ.get("MMCURATE_REALDATA")
    repo = Path(__file__).resolve().parents[2]
    folder = Path(env) if env else repo / ".." / "shared" / "data" / "realdata"
    if not (folder / "realdata_llava.jsonl").is_file():
        pytest.skip(f"real data not found at {folder} (set MMCURATE_REALDATA to its folder)")
    return folder.resolve()


@pytest.fixture(scope="module")
def loaded(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    result = read_dataset(
        realdata / "realdata_llava.jsonl", cache_dir=tmp_path_factory.mktemp("cache")
    )
    assert result.format == "llava" and result.root == realdata
    assert result.errors == [] and result.n_input == N_SAMPLES
    return samples(result)


def test_real_file_content(loaded: list[Sample]) -> None:
    assert len(loaded) == N_SAMPLES
    assert sum(len(s.messages) for s in loaded) == 2 * 520
    kinds = collections.Counter(
        ("video" if s.videos else "image") + ("+audio" if s.audios else "") for s in loaded
    )
    assert kinds == {"image": 309, "video": 10, "video+audio": 3}
    two = next(s for s in loaded if s.id == "llamafactory-image-0")
    assert two.images == ["images/llamafactory/1.jpg"] * 2
    assert two.messages[2].content == "What are they doing?<image>"
    assert all(s.meta["source"]["repo"] for s in loaded)


def test_llava_round_trip_is_exact(realdata: Path, tmp_path: Path, loaded: list[Sample]) -> None:
    src = tmp_path / "realdata_llava.jsonl"  # a copy beside which we may write
    src.write_bytes((realdata / "realdata_llava.jsonl").read_bytes())
    first = read_dataset(src, media_check=False)
    out = write_dataset(first.dataset, tmp_path / "again.jsonl", "llava", root=first.root)
    assert read_json(out) == read_json(realdata / "realdata_llava.jsonl")
    assert samples(read_dataset(out, media_check=False)) == loaded


def test_conversion_chain_preserves_samples(
    realdata: Path, tmp_path: Path, loaded: list[Sample]
) -> None:
    expected = resolved(loaded, realdata)
    current = read_dataset(realdata / "realdata_llava.jsonl")
    for i, fmt in enumerate(["sharegpt", "messages", "dj", "llava"]):
        suffix = ".json" if fmt in ("sharegpt", "llava") else ".jsonl"
        out = tmp_path / f"step{i}-{fmt}" / f"data{suffix}"
        write_dataset(current.dataset, out, fmt, root=current.root)
        current = read_dataset(out)  # auto-detected, media checked
        assert current.format == fmt
        assert current.errors == [] and current.n_input == N_SAMPLES
        assert resolved(samples(current), current.root) == expected, fmt


def test_hf_and_parquet(realdata: Path, tmp_path: Path, loaded: list[Sample]) -> None:
    source = read_dataset(realdata / "realdata_llava.jsonl")
    saved = write_dataset(source.dataset, tmp_path / "saved", "hf", root=source.root)
    from_disk = read_dataset(saved, cache_dir=tmp_path / "cache")
    assert resolved(samples(from_disk), from_disk.root) == resolved(loaded, realdata)

    pq = write_dataset(from_disk.dataset, tmp_path / "pq" / "d.parquet", "parquet", root=saved)
    back = read_dataset(pq, cache_dir=tmp_path / "cache")
    assert back.errors == [] and back.n_input == N_SAMPLES
    got = samples(back)
    for sample, original in zip(got, loaded, strict=True):
        assert [Path(p).read_bytes() for p in sample.images] == [
            (realdata / p).read_bytes() for p in original.images
        ]
    assert resolved(without(got, "images"), back.root) == resolved(
        without(loaded, "images"), realdata
    )
    extracted = {Path(p).name for s in got for p in s.images}
    assert len(extracted) == len({p for s in loaded for p in s.images})
    png_named_jpg = [n for n in extracted if n.endswith(".png")]
    assert len(png_named_jpg) == 2  # img1.png (Data-Juicer) + the OwlEval PNG named .jpg


def test_llamafactory_annotations(realdata: Path, loaded: list[Sample]) -> None:
    by_id = {s.id: s for s in loaded}
    folder = realdata / "annotations" / "llamafactory"
    for name, prefix, count in [
        ("mllm_demo.json", "llamafactory-image", 6),
        ("mllm_video_demo.json", "llamafactory-video", 3),
        ("mllm_video_audio_demo.json", "llamafactory-video_audio", 3),
    ]:
        path = folder / name
        assert detect_format(path) == "messages"
        # The media these files name (mllm_demo_data/...) are not shipped at that path.
        checked = read_dataset(path)
        assert len(checked.dataset) == 0 and len(checked.errors) == count
        assert all(
            "file not found" in e.reason and "mllm_demo_data" in (e.file or "")
            for e in checked.errors
        )
        result = read_dataset(path, media_check=False)
        got = samples(result)
        assert result.n_input == count == len(got)
        assert [s.id for s in got] == [f"{path.stem}:{i}" for i in range(count)]
        for i, sample in enumerate(got):
            assert sample.messages == by_id[f"{prefix}-{i}"].messages
            assert len(sample.images) == len(by_id[f"{prefix}-{i}"].images)
            assert len(sample.videos) + len(sample.audios) == len(
                by_id[f"{prefix}-{i}"].videos
            ) + len(by_id[f"{prefix}-{i}"].audios)


def test_datajuicer_annotations(realdata: Path, loaded: list[Sample]) -> None:
    by_id = {s.id: s for s in loaded}
    folder = realdata / "annotations" / "datajuicer"
    for name, kind, token, count in [
        ("demo-dataset-images.jsonl", "image", "<image>", 3),
        ("demo-dataset-videos.jsonl", "video", "<video>", 6),
    ]:
        path = folder / name
        assert detect_format(path) == "dj"
        result = read_dataset(path, media_check=False)
        got = samples(result)
        assert len(got) == count and result.errors == []
        for i, sample in enumerate(got):
            (message,) = sample.messages
            assert message.role == "user" and message.content.startswith(token + " ")
            caption = message.content.removeprefix(token + " ")
            assert by_id[f"datajuicer-{kind}-{i}"].messages[1].content == caption
            assert json.dumps(getattr(sample, kind + "s")).count("tests/ops/data/") == 1
