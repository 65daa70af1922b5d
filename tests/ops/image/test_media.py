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
