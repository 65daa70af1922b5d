"""Media path resolution, checks, rebasing and byte extraction."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from mmcurate.io import check_media, resolve_media
from mmcurate.io.media import extract_bytes, guess_suffix, is_uri, rebase_path
from mmcurate.sample import Sample
from tests.io.util import JPG, PNG, VIDEO


def test_resolve_media(tmp_path: Path) -> None:
    assert resolve_media(tmp_path, "img/a.jpg") == tmp_path / "img" / "a.jpg"
    assert resolve_media(tmp_path, "../x/b.png") == tmp_path.parent / "x" / "b.png"
    assert resolve_media(tmp_path, "/abs/c.png") == Path("/abs/c.png")
    for uri in (
        "http://h/a.jpg",
        "https://h/a.jpg",
        "s3://bucket/a.jpg",
        "data:image/png;base64,AA",
    ):
        assert resolve_media(tmp_path, uri) == uri
        assert is_uri(uri)
    assert not is_uri("C.jpg") and not is_uri("dir/a:b.jpg")


def test_rebase_path(tmp_path: Path) -> None:
    src, dst = tmp_path / "data", tmp_path / "out" / "deep"
    assert rebase_path("img/a.jpg", src, dst) == "../../data/img/a.jpg"
    assert rebase_path("./img/a.jpg", src, src) == "./img/a.jpg"
    assert rebase_path("/abs/a.jpg", src, dst) == "/abs/a.jpg"
    assert rebase_path("https://h/a.jpg", src, dst) == "https://h/a.jpg"
    assert resolve_media(dst, rebase_path("img/a.jpg", src, dst)) == src / "img" / "a.jpg"


def test_check_media_ok_and_uris_skipped(data_dir: Path) -> None:
    sample = Sample(id="s", images=[JPG, PNG, "https://example.com/x.jpg"], videos=[VIDEO])
    assert check_media(data_dir, sample) is None


def test_check_media_problems(data_dir: Path) -> None:
    (data_dir / "empty.jpg").write_bytes(b"")
    (data_dir / "text.jpg").write_text("not an image")
    (data_dir / "empty.mp4").write_bytes(b"")
    (data_dir / "folder.jpg").mkdir()

    def reason(**media: list[str]) -> str | None:
        return check_media(data_dir, Sample.model_validate({"id": "s", **media}))

    assert reason(images=[JPG, "nope.jpg"]) == f"images[1]: file not found: {data_dir / 'nope.jpg'}"
    assert reason(images=["empty.jpg"]) == f"images[0]: zero-byte file: {data_dir / 'empty.jpg'}"
    assert (reason(images=["text.jpg"]) or "").startswith(
        f"images[0]: not a readable image: {data_dir / 'text.jpg'} (UnidentifiedImageError"
    )
    assert reason(images=["folder.jpg"]) == f"images[0]: not a file: {data_dir / 'folder.jpg'}"
    assert reason(videos=["empty.mp4"]) == f"videos[0]: zero-byte file: {data_dir / 'empty.mp4'}"
    assert (reason(audios=["gone.mp3"]) or "").startswith("audios[0]: file not found")
    # Videos and audios are not opened, only stat'ed.
    assert reason(videos=["text.jpg"]) is None


def test_truncated_image_with_good_header_is_reported(data_dir: Path) -> None:
    buf = io.BytesIO()
    Image.effect_noise((256, 256), 50).convert("RGB").save(buf, "JPEG")
    (data_dir / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    reason = check_media(data_dir, Sample(id="s", images=["cut.jpg"])) or ""
    assert reason.startswith("images[0]: truncated JPEG image")


def test_extract_bytes_is_content_addressed(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buf, "PNG")
    data = buf.getvalue()
    first = extract_bytes(data, tmp_path / "media", hint="photo.jpg")
    second = extract_bytes(data, tmp_path / "media")
    assert first == second
    assert Path(first).name.endswith(".png") and len(Path(first).stem) == 40
    assert Path(first).read_bytes() == data
    assert guess_suffix(b"\x00\x01", "clip.MP4") == ".mp4"
    assert guess_suffix(b"\x00\x01") == ".bin"


@pytest.mark.parametrize(
    "fmt,suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("GIF", ".gif"), ("WEBP", ".webp")]
)
def test_truncated_images_are_caught_cheaply(tmp_path, fmt, suffix):
    from PIL import Image

    from mmcurate.io.media import MediaChecker

    good = tmp_path / f"good{suffix}"
    Image.effect_noise((64, 48), 40).convert("RGB").save(good, format=fmt)
    cut = tmp_path / f"cut{suffix}"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    checker = MediaChecker(tmp_path)
    row = {"images": [good.name], "videos": [], "audios": []}
    assert checker.problem(row) is None
    problem = checker.problem({"images": [cut.name], "videos": [], "audios": []})
    assert problem is not None and "truncated" in problem[0] and problem[1] == str(cut)
