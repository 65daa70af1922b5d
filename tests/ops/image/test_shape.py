import pytest

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.sample import Sample
from tests.helpers import write_image


@pytest.fixture
def op_factory(tmp_path):
    def make(**params):
        op = create("image_shape_filter", params)
        op.bind(OpContext(root=tmp_path))
        return op

    return make


def test_reads_sizes_of_every_image(tmp_path, op_factory):
    write_image(tmp_path / "a.png", (300, 100))
    write_image(tmp_path / "b.png", (50, 60))
    s = Sample(id="x", images=["a.png", "b.png"])
    assert op_factory().compute_stats(s) == {"width": [300, 50], "height": [100, 60]}


def test_any_or_all_on_multi_image_sample(op_factory):
    stats = {"width": [300, 50], "height": [300, 60]}
    assert op_factory(min_width=200, any_or_all="any").drop_reason(stats) is None
    reason = op_factory(min_width=200, any_or_all="all").drop_reason(stats)
    assert reason == "images[1] width=50 < min_width=200"


def test_boundaries(op_factory):
    op = op_factory(min_width=100, max_width=200, min_height=100, max_height=200)
    assert op.drop_reason({"width": [100], "height": [200]}) is None
    assert op.drop_reason({"width": [201], "height": [150]}) is not None
    assert op.drop_reason({"width": [150], "height": [99]}) is not None


def test_no_images_keeps(op_factory):
    assert op_factory(min_width=10).drop_reason({"width": [], "height": []}) is None


def test_corrupt_or_missing_image_raises_sample_error(tmp_path, op_factory):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(SampleError, match=r"images\[0\]: not a readable image"):
        op_factory().compute_stats(Sample(id="x", images=["bad.png"]))
    with pytest.raises(SampleError, match=r"images\[0\]: file not found"):
        op_factory().compute_stats(Sample(id="x", images=["missing.png"]))
