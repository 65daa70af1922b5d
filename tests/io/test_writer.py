"""write_dataset: formats, media path rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcurate.errors import FormatError
from mmcurate.io import WRITABLE_FORMATS, check_media, read_dataset, write_dataset
from mmcurate.io.writer import iter_samples
from mmcurate.sample import Message, Sample, to_dataset
from tests.io.util import JPG, PNG, VIDEO, read_json, resolved, samples


def _dataset(data_dir: Path) -> list[Sample]:
    return [
        Sample(
            id="a",
            images=[JPG, str(data_dir / PNG), "https://example.com/x.jpg"],
            videos=[VIDEO],
            messages=[Message(role="user", content="<image><image><image><video> ?")],
        )
    ]


@pytest.mark.parametrize("fmt", ["llava", "sharegpt", "messages", "dj", "hf"])
def test_writing_elsewhere_keeps_media_resolvable(data_dir: Path, tmp_path: Path, fmt: str) -> None:
    items = _dataset(data_dir)
    name = "out_hf" if fmt == "hf" else f"{fmt}.jsonl"
    out = write_dataset(
        to_dataset(items), tmp_path / "elsewhere" / "deep" / name, fmt, root=data_dir
    )
    back = read_dataset(out, fmt)
    got = samples(back)
    ups = "../../../" if fmt == "hf" else "../../"  # hf: the root is the dataset folder
    assert got[0].images[0] == f"{ups}data/img/a.jpg"
    assert got[0].videos == [f"{ups}data/vid/clip.mp4"]
    assert got[0].images[1:] == items[0].images[1:]  # absolute path and URI unchanged
    assert resolved(got, back.root) == resolved(items, data_dir)
    assert check_media(back.root, got[0]) is None


def test_writing_into_the_source_folder_keeps_paths(data_dir: Path) -> None:
    items = [Sample(id="a", images=["./img/../img/a.jpg"])]
    out = write_dataset(to_dataset(items), data_dir / "same.json", "sharegpt", root=data_dir)
    assert read_json(out)[0]["images"] == ["./img/../img/a.jpg"]


def test_folder_and_unknown_formats_cannot_be_written(tmp_path: Path) -> None:
    ds = to_dataset([Sample(id="a")])
    for fmt in ("folder", "csv"):
        with pytest.raises(FormatError) as info:
            write_dataset(ds, tmp_path / "x", fmt, root=tmp_path)
        assert "valid --format values for writing: " + ", ".join(WRITABLE_FORMATS) in str(
            info.value
        )
    assert "folder" not in WRITABLE_FORMATS


def test_writer_accepts_filtered_datasets(data_dir: Path, tmp_path: Path) -> None:
    ds = to_dataset([Sample(id=str(i)) for i in range(5)]).filter(lambda r: r["id"] in "13")
    out = write_dataset(ds, tmp_path / "f.jsonl", "messages", root=data_dir)
    assert [r["id"] for r in read_json(out)] == ["1", "3"]
    assert [s.id for s in iter_samples(ds)] == ["1", "3"]
