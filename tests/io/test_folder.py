"""Image folders with optional captions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mmcurate.errors import FormatError
from mmcurate.io import read_dataset
from mmcurate.io.folder import CAPTION_PROMPT, folder_shards
from mmcurate.sample import Message
from tests.io.util import samples


@pytest.fixture
def folder(data_dir: Path) -> Path:
    (data_dir / "img" / "a.txt").write_text("A red box.\n")
    (data_dir / "metadata.jsonl").write_text(
        json.dumps({"file_name": "img/b.png", "text": "A green box.", "license": "CC0"}) + "\n"
    )
    (data_dir / "sub").mkdir()
    Image.new("RGB", (5, 5)).save(data_dir / "sub" / "c.webp")
    (data_dir / ".cache").mkdir()
    Image.new("RGB", (5, 5)).save(data_dir / ".cache" / "hidden.jpg")
    return data_dir


def test_reads_images_with_and_without_captions(folder: Path) -> None:
    result = read_dataset(folder)
    assert result.format == "folder" and result.root == folder and result.errors == []
    got = {s.id: s for s in samples(result)}
    assert list(got) == ["data:img/a.jpg", "data:img/b.png", "data:sub/c.webp"]

    a = got["data:img/a.jpg"]
    assert a.images == ["img/a.jpg"]
    assert a.messages == [
        Message(role="user", content=CAPTION_PROMPT),
        Message(role="assistant", content="A red box."),
    ]
    assert a.meta == {"caption_source": "img/a.txt"}
    assert CAPTION_PROMPT == "<image>\nDescribe the image."

    b = got["data:img/b.png"]
    assert b.messages[1].content == "A green box."
    assert b.meta == {"caption_source": "metadata.jsonl", "license": "CC0"}

    c = got["data:sub/c.webp"]
    assert c.messages == [Message(role="user", content="<image>")]
    assert c.meta == {}


def test_captions_jsonl_and_metadata_csv(tmp_path: Path) -> None:
    root = tmp_path / "pics"
    (root / "x").mkdir(parents=True)
    for name in ("x/1.jpg", "x/2.png", "3.gif"):
        Image.new("RGB", (4, 4)).save(root / name)
    (root / "x" / "captions.jsonl").write_text(json.dumps({"file_name": "1.jpg", "caption": "one"}))
    (root / "metadata.csv").write_text("file_name,text,split\n3.gif,three,train\n")
    got = {s.id: s for s in samples(read_dataset(root, "folder"))}
    assert got["pics:x/1.jpg"].messages[1].content == "one"
    assert got["pics:x/1.jpg"].meta == {"caption_source": "x/captions.jsonl"}
    assert got["pics:3.gif"].meta == {"caption_source": "metadata.csv", "split": "train"}
    assert len(got["pics:x/2.png"].messages) == 1


def test_bad_image_is_an_error_and_bad_metadata_is_fatal(folder: Path) -> None:
    (folder / "img" / "broken.jpg").write_text("nope")
    result = read_dataset(folder)
    assert [e.sample_id for e in result.errors] == ["data:img/broken.jpg"]
    assert result.n_input == len(result.dataset) + 1 == 4

    (folder / "metadata.jsonl").write_text("{oops\n")
    with pytest.raises(FormatError, match="metadata.jsonl:1: invalid JSON"):
        read_dataset(folder)


def test_shards_split_in_order(tmp_path: Path) -> None:
    for i in range(2500):
        (tmp_path / f"{i:05d}.jpg").write_bytes(b"x")
    shards = folder_shards(tmp_path, parts=4)
    assert len(shards) == 2
    assert [e.relpath for s in shards for e in s.entries] == [f"{i:05d}.jpg" for i in range(2500)]
