import datasets
import pytest

from mmcurate.sample import (
    Message,
    Sample,
    declared_stats,
    features,
    load_meta,
    strip_placeholders,
    to_dataset,
)


def make(**kw):
    base = dict(
        id="a",
        images=["x.png"],
        messages=[
            Message(role="user", content="<image>\nHi"),
            Message(role="assistant", content="Yo"),
        ],
        meta={"source": "t", "nested": {"k": [1, 2]}, "ü": "ñ"},
        stats={"f.len": 3, "f.w": [1, 2]},
        scores={"stem_knowledge": 4.0},
        styles=["yes/no"],
    )
    base.update(kw)
    return Sample(**base)


def test_row_round_trip_through_arrow():
    s = make()
    ds = to_dataset([s, make(id="b", stats={}, scores={})])
    assert ds.features["stats"]["f.w"] == datasets.List(datasets.Value("int64"))
    back = [Sample.from_row(r, validate=True) for r in ds]
    assert back[0] == s
    # keys other rows have are nulls in Arrow and absent in Python
    assert back[1].stats == {} and back[1].scores == {}


def test_text_strips_placeholders_by_default():
    s = make()
    assert s.text() == "Hi\nYo"
    assert s.text(placeholders="keep") == "<image>\nHi\nYo"
    assert strip_placeholders("a <video> b<audio>") == "a  b"


def test_extra_fields_and_bad_roles_rejected():
    with pytest.raises(ValueError):
        Sample(id="a", unknown=1)
    with pytest.raises(ValueError):
        Message(role="robot", content="x")


def test_meta_must_be_object():
    assert load_meta(None) == {}
    with pytest.raises(ValueError, match="JSON object"):
        load_meta("[1]")


def test_features_declared_types_round_trip():
    f = features({"a.x": float, "a.y": list[int], "a.z": str}, ["c"])
    assert declared_stats(f) == {"a.x": float, "a.y": list[int], "a.z": str}
    with pytest.raises(TypeError):
        features({"a.q": dict})
