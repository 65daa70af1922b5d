"""Hugging Face datasets: save_to_disk folders and parquet, embedded image bytes."""

from __future__ import annotations

import io
from pathlib import Path

import datasets
import pytest
from PIL import Image

from mmcurate.errors import FormatError
from mmcurate.io import read_dataset, write_dataset
from mmcurate.sample import Message, Sample, to_dataset
from tests.io.util import AUDIO, JPG, PNG, VIDEO, resolved, samples, without


def _items() -> list[Sample]:
    return [
        Sample(
            id="a",
            images=[JPG, PNG],
            messages=[
                Message(role="user", content="<image>\n<image>\nCompare."),
                Message(role="assistant", content="Red vs green."),
            ],
            meta={"source": "unit"},
            stats={"n.chars": 13, "r.ratio": 0.75},
            scores={"comparative_analysis": 4.0},
            styles=["comparison"],
        ),
        Sample(
            id="b",
            videos=[VIDEO],
            audios=[AUDIO],
            messages=[Message(role="user", content="<video><audio>")],
        ),
    ]


def test_save_to_disk_round_trip(data_dir: Path, tmp_path: Path, cache_dir: Path) -> None:
    first = read_dataset(
        write_dataset(to_dataset(_items()), tmp_path / "saved", "hf", root=data_dir),
        cache_dir=cache_dir,
    )
    assert first.format == "hf" and first.errors == [] and first.root == tmp_path / "saved"
    assert resolved(samples(first), first.root) == resolved(_items(), data_dir)
    again = write_dataset(first.dataset, tmp_path / "saved2", "hf", root=first.root)
    second = read_dataset(again, cache_dir=cache_dir)
    assert resolved(samples(second), second.root) == resolved(_items(), data_dir)
    assert second.dataset.features == first.dataset.features


def test_parquet_embeds_images_byte_identically(
    data_dir: Path, tmp_path: Path, cache_dir: Path
) -> None:
    out = write_dataset(
        to_dataset(_items()), tmp_path / "pq" / "d.parquet", "parquet", root=data_dir
    )
    hf_view = datasets.Dataset.from_parquet(str(out))
    assert isinstance(hf_view.features["images"].feature, datasets.Image)
    assert hf_view[0]["images"][0].size == (16, 12)

    back = read_dataset(out, cache_dir=cache_dir)
    assert back.format == "parquet" and back.errors == []
    got = samples(back)
    for sample, original in zip(got, _items(), strict=True):
        for path, rel in zip(sample.images, original.images, strict=True):
            assert Path(path).parent == cache_dir / "media"
            assert Path(path).read_bytes() == (data_dir / rel).read_bytes()
    assert [Path(p).suffix for p in got[0].images] == [".jpg", ".png"]
    assert [(s.videos, s.audios) for s in got] == [
        ([], []),
        ([f"../data/{VIDEO}"], [f"../data/{AUDIO}"]),
    ]
    expected = resolved(without(_items(), "images"), data_dir)
    assert resolved(without(got, "images"), back.root) == expected

    # Writing the re-read dataset again gives the same bytes once more.
    out2 = write_dataset(back.dataset, tmp_path / "pq2.parquet", "parquet", root=back.root)
    third = samples(read_dataset(out2, cache_dir=cache_dir))
    assert [s.images for s in third] == [s.images for s in got]


def test_parquet_without_stats_or_scores(data_dir: Path, tmp_path: Path, cache_dir: Path) -> None:
    items = [Sample(id="x", images=[JPG], messages=[Message(role="user", content="<image>")])]
    out = write_dataset(to_dataset(items), tmp_path / "p.parquet", "parquet", root=data_dir)
    back = read_dataset(out, cache_dir=cache_dir)
    assert without(samples(back), "images") == without(items, "images")


def _png_bytes(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, "PNG")
    return buf.getvalue()


def test_hf_llava_style_parquet_with_image_feature(tmp_path: Path, cache_dir: Path) -> None:
    pngs = [_png_bytes((255, 0, 0)), _png_bytes((0, 0, 255))]
    ds = datasets.Dataset.from_dict(
        {
            "id": ["r0", "r1"],
            "image": [{"bytes": b, "path": f"orig{i}.png"} for i, b in enumerate(pngs)],
            "conversations": [
                [{"from": "human", "value": "<image>\nColour?"}, {"from": "gpt", "value": "Red."}],
                [{"from": "human", "value": "<image>\nColour?"}, {"from": "gpt", "value": "Blue."}],
            ],
            "data_source": ["synthetic", "synthetic"],
        },
        features=datasets.Features(
            {
                "id": datasets.Value("string"),
                "image": datasets.Image(),
                "conversations": datasets.List(
                    {"from": datasets.Value("string"), "value": datasets.Value("string")}
                ),
                "data_source": datasets.Value("string"),
            }
        ),
    )
    ds.to_parquet(str(tmp_path / "hub" / "data" / "train-00000-of-00001.parquet"))
    result = read_dataset(tmp_path / "hub", cache_dir=cache_dir)
    assert result.format == "parquet" and result.errors == []
    got = samples(result)
    assert [Path(s.images[0]).read_bytes() for s in got] == pngs
    assert got[1].messages[1] == Message(role="assistant", content="Blue.")
    assert got[0].meta == {"_extra": {"data_source": "synthetic"}}


def test_raw_bytes_and_saved_llava_columns(tmp_path: Path, cache_dir: Path) -> None:
    ds = datasets.Dataset.from_dict(
        {
            "images": [[_png_bytes((1, 2, 3))]],
            "conversations": [[{"from": "human", "value": "<image>"}]],
        }
    )
    ds.save_to_disk(str(tmp_path / "saved"))
    result = read_dataset(tmp_path / "saved", media_dir=tmp_path / "m")
    assert result.format == "hf"
    got = samples(result)
    assert got[0].id == "saved:0"
    assert Path(got[0].images[0]).parent == tmp_path / "m"
    assert result.errors == []


def test_bad_rows_and_bad_sources(tmp_path: Path, cache_dir: Path) -> None:
    ds = datasets.Dataset.from_dict(
        {"messages": [[{"role": "user", "content": "ok"}], [{"role": "robot", "content": "x"}]]}
    )
    ds.to_parquet(str(tmp_path / "m.parquet"))
    result = read_dataset(tmp_path / "m.parquet", cache_dir=cache_dir)
    assert len(result.dataset) == 1
    assert [(e.sample_id, e.file) for e in result.errors] == [("m:1", str(tmp_path / "m.parquet"))]
    assert result.errors[0].reason.startswith("messages[0].role: unknown speaker 'robot'")

    datasets.DatasetDict({"train": ds}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(FormatError, match="DatasetDict with splits \\['train'\\]"):
        read_dataset(tmp_path / "dd", cache_dir=cache_dir)

    datasets.Dataset.from_dict({"question": ["q"]}).to_parquet(str(tmp_path / "q.parquet"))
    with pytest.raises(FormatError, match="columns \\['question'\\] match no record format"):
        read_dataset(tmp_path / "q.parquet", cache_dir=cache_dir)

    (tmp_path / "emptydir").mkdir()
    with pytest.raises(FormatError, match="no .parquet files"):
        read_dataset(tmp_path / "emptydir", "hf", cache_dir=cache_dir)
