import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.image.size import size_to_bytes
from mmcurate.ops.registry import create
from mmcurate.sample import Sample


@pytest.fixture
def op_factory(tmp_path):
    def make(**params):
        op = create("image_size_filter", params)
        op.bind(OpContext(root=tmp_path))
        return op

    return make


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("200", 200),
        (300, 300),
        ("10KB", 10 * 1024),  # Data-Juicer: KB and KiB are both 1024 bytes
        ("10kib", 10 * 1024),
        ("5 MB", 5 * 1024**2),
        ("5M", 5 * 1024**2),
        ("1.5MB", int(1.5 * 1024**2)),  # Data-Juicer would read 15 MB (drops the point)
        ("1TB", 1024**4),
        ("2 GiB", 2 * 1024**3),
    ],
)
def test_size_units(text, expected):
    assert size_to_bytes(text) == expected


@pytest.mark.parametrize("bad", ["", "ten KB", "10 XB", "-5KB", "10KBB"])
def test_bad_size_strings_are_rejected(bad):
    with pytest.raises(ValueError):
        size_to_bytes(bad)
    with pytest.raises(ConfigError, match="min_size"):
        create("image_size_filter", {"min_size": bad})


def test_reads_file_sizes_of_every_image(tmp_path, op_factory):
    (tmp_path / "a.jpg").write_bytes(b"x" * 2048)
    (tmp_path / "b.jpg").write_bytes(b"x" * 10)
    s = Sample(id="x", images=["a.jpg", "b.jpg"])
    assert op_factory().compute_stats(s) == {"bytes": [2048, 10]}


def test_boundaries_are_inclusive(op_factory):
    op = op_factory(min_size="1KB", max_size="2KB", any_or_all="all")
    assert op.drop_reason({"bytes": [1024]}) is None
    assert op.drop_reason({"bytes": [2048]}) is None
    assert op.drop_reason({"bytes": [1023]}) == "images[0] size=1023 < min_size=1024"
    assert op.drop_reason({"bytes": [2049]}) == "images[0] size=2049 > max_size=2048"


def test_any_or_all_on_multi_image_sample(op_factory):
    stats = {"bytes": [50_000, 500]}
    assert op_factory(min_size="10KB", any_or_all="any").drop_reason(stats) is None
    reason = op_factory(min_size="10KB", any_or_all="all").drop_reason(stats)
    assert reason == "images[1] size=500 < min_size=10240"
    assert op_factory(min_size="100KB").drop_reason(stats).startswith("no images passes")


def test_no_images_keeps(op_factory):
    assert op_factory(min_size="1MB").drop_reason({"bytes": []}) is None


def test_missing_file_raises_sample_error(op_factory):
    with pytest.raises(SampleError, match=r"images\[1\]: file not found: .*missing\.jpg"):
        op_factory().compute_stats(Sample(id="x", images=[__file__, "missing.jpg"]))
