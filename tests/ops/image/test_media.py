from PIL import Image

from mmcurate.ops.base import OpContext
from mmcurate.ops.image.media import image_size
from mmcurate.sample import Sample


def _jpeg_with_orientation(path, size, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", size, (10, 20, 30)).save(path, exif=exif)


def test_image_size_applies_exif_rotation_like_data_juicer(tmp_path):
    _jpeg_with_orientation(tmp_path / "rot.jpg", (40, 20), 6)  # shown turned by 90 degrees
    _jpeg_with_orientation(tmp_path / "flip.jpg", (40, 20), 3)  # shown upside down
    ctx = OpContext(root=tmp_path)
    s = Sample(id="x", images=["rot.jpg", "flip.jpg"])
    assert image_size(s, 0, ctx) == (20, 40)
    assert image_size(s, 1, ctx) == (40, 20)


def test_png_exif_rotation_is_read_from_the_header_without_decoding(tmp_path, monkeypatch):
    from PIL import ImageFile

    from mmcurate.io.media import displayed_size

    _jpeg_with_orientation(tmp_path / "rot.png", (40, 20), 6)
    Image.new("RGB", (40, 20)).save(tmp_path / "plain.png")
    ctx = OpContext(root=tmp_path)
    s = Sample(id="x", images=["rot.png", "plain.png"])
    assert image_size(s, 0, ctx) == (20, 40)
    assert image_size(s, 1, ctx) == (40, 20)

    def no_decode(self):
        raise AssertionError("pixels decoded for a size query")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    with Image.open(tmp_path / "plain.png") as im:
        assert displayed_size(im) == (40, 20)
    with Image.open(tmp_path / "rot.png") as im:
        assert displayed_size(im) == (20, 40)


def test_load_stage_header_facts_are_reused_while_the_file_is_unchanged(tmp_path):
    import pickle

    from mmcurate.ops.base import OpContext
    from mmcurate.ops.image.media import image_size
    from mmcurate.sample import Sample
    from tests.helpers import write_image

    path = tmp_path / "a.png"
    write_image(path, (40, 30))
    st = path.stat()
    info = tmp_path / "info.pkl"
    # Facts that differ from the file's real header prove where the answer came from.
    info.write_bytes(pickle.dumps({str(path): (st.st_mtime_ns, st.st_size, 7, 9)}))
    ctx = OpContext(root=tmp_path, media_info=info)
    sample = Sample(id="s", images=["a.png"])
    assert image_size(sample, 0, ctx) == (7, 9)
    write_image(path, (50, 20), color=3)  # the file changes: facts are stale
    import os

    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    assert image_size(sample, 0, ctx) == (50, 20)
