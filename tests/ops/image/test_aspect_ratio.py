import pytest

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.sample import Sample
from tests.helpers import write_image


@pytest.fixture
def op_factory(tmp_path):
    def make(**params):
        op = create("image_aspect_ratio_filter", params)
        op.bind(OpContext(root=tmp_path))
        return op

    return make


def test_ratio_of_every_image(tmp_path, op_factory):
    write_image(tmp_path / "wide.png", (300, 100))
    write_image(tmp_path / "tall.png", (50, 200))
    stats = op_factory().compute_stats(Sample(id="x", images=["wide.png", "tall.png"]))
    assert stats == {"aspect_ratio": [3.0, 0.25]}


def test_defaults_and_boundaries(op_factory):
    op = op_factory(any_or_all="all")  # Data-Juicer defaults: [0.333, 3.0], inclusive
    assert op.drop_reason({"aspect_ratio": [3.0]}) is None
    assert op.drop_reason({"aspect_ratio": [0.333]}) is None
    assert op.drop_reason({"aspect_ratio": [3.01]}) == "images[0] aspect_ratio=3.01 > max_ratio=3"
    assert op.drop_reason({"aspect_ratio": [0.3]}) is not None


def test_any_or_all_on_multi_image_sample(op_factory):
    stats = {"aspect_ratio": [1.0, 5.0]}
    assert op_factory(any_or_all="any").drop_reason(stats) is None
    assert op_factory(any_or_all="all").drop_reason(stats) == (
        "images[1] aspect_ratio=5 > max_ratio=3"
    )


def test_corrupt_image_raises_sample_error(tmp_path, op_factory):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    write_image(tmp_path / "ok.png", (10, 10))
    with pytest.raises(SampleError, match=r"images\[1\]: not a readable image: .*bad\.jpg"):
        op_factory().compute_stats(Sample(id="x", images=["ok.png", "bad.jpg"]))
