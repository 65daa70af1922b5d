"""The lite score ops through the real runner: stats, scores, styles, errors, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops import registry
from mmcurate.recipes.schema import parse_recipe
from mmcurate.runner import LocalExecutor, RunOptions
from mmcurate.runner.local import read_errors
from mmcurate.sample import Message, Sample
from mmcurate.scorers.lite.perception import STAT_TYPES
from mmcurate.scorers.ops import LiteCapabilityScorer, LitePerceptionMapper, RuleStyler
from mmcurate.taxonomy import CAPABILITIES, STYLES
from tests.helpers import read_jsonl
from tests.scorers.conftest import needs_tesseract, render_lines, shapes_image

pytestmark = needs_tesseract


def _rec(sid: str, image: str | None, q: str, a: str) -> dict:
    rec: dict = {
        "id": sid,
        "conversations": [
            {"from": "human", "value": ("<image>\n" if image else "") + q},
            {"from": "gpt", "value": a},
        ],
    }
    if image:
        rec["image"] = image
    return rec


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pool")
    (root / "images").mkdir()
    render_lines(["SCHOOL ZONE", "SPEED LIMIT 20"], size=34, width=420).save(
        root / "images" / "sign.png"
    )
    shapes_image().save(root / "images" / "shapes.png")
    (root / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\ngarbage")
    recs = [
        _rec("sign", "images/sign.png", "What does the sign say?", "SCHOOL ZONE SPEED LIMIT 20"),
        _rec(
            "where",
            "images/shapes.png",
            "Where is the red square? Give a bounding box.",
            "[0.10, 0.13, 0.35, 0.47]",
        ),
        _rec(
            "mc",
            "images/shapes.png",
            "Which shape is blue?\nA. circle\nB. square\nAnswer with the option's letter.",
            "A",
        ),
        _rec("broken", "images/broken.png", "What is shown?", "A picture."),
        _rec("empty", "images/shapes.png", "", ""),
        _rec("text", None, "Write a haiku about autumn.", "Leaves fall\nquietly\non the path"),
    ]
    path = root / "pool.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return path


def _run(pool: Path, out: Path, process: list[dict]) -> tuple[list[dict], Path]:
    recipe = parse_recipe(
        {
            "dataset_path": str(pool),
            "export_path": str(out),
            "media_check": False,  # let the broken image reach the ops
            "process": process,
        }
    )
    summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
    assert summary.balanced
    return read_jsonl(out), Path(summary.work_dir)


def test_registered_as_mappers_with_strict_params() -> None:
    for name in ("lite_perception_mapper", "lite_capability_scorer", "rule_styler"):
        assert registry.get(name).kind == "mapper"
    with pytest.raises(ConfigError, match="ocr_mode"):
        registry.create("lite_perception_mapper", {"ocr_mode": "auto"})
    with pytest.raises(ConfigError, match="unknown capabilities"):
        registry.create("lite_capability_scorer", {"capabilities": ["ocr"]})
    with pytest.raises(ConfigError, match="ocr"):
        registry.create("lite_capability_scorer", {"perception": {"ocr": "sometimes"}})


def test_declared_outputs() -> None:
    stats = LitePerceptionMapper().output_stats()
    assert set(stats) == {f"lite_perception_mapper.{k}" for k in STAT_TYPES}
    assert stats["lite_perception_mapper.text_embedding"] == list[float]
    no_embed = LitePerceptionMapper({"embed": False}).output_stats()
    assert "lite_perception_mapper.text_embedding" not in no_embed
    assert LiteCapabilityScorer().output_scores() == list(CAPABILITIES)
    subset = LiteCapabilityScorer({"capabilities": ["humanities", "data_understanding"]})
    assert subset.output_scores() == ["humanities", "data_understanding"]  # taxonomy order
    assert RuleStyler().output_scores() == []


def test_score_recipe_end_to_end(pool: Path, tmp_path: Path) -> None:
    rows, work = _run(
        pool,
        tmp_path / "out.jsonl",
        [
            {"lite_perception_mapper": None},
            {"lite_capability_scorer": None},
            {"rule_styler": None},
        ],
    )
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"sign", "where", "mc", "text"}
    sign = by_id["sign"]
    assert sign["stats"]["lite_perception_mapper.ocr_words"] >= 4
    assert "SCHOOL" in sign["stats"]["lite_perception_mapper.ocr_text"]
    assert len(sign["stats"]["lite_perception_mapper.text_embedding"]) == 384
    assert max(sign["scores"], key=sign["scores"].get) == "optical_character_recognition"
    assert max(by_id["where"]["scores"], key=by_id["where"]["scores"].get) == (
        "object_spatial_understanding"
    )
    assert by_id["where"]["styles"] == ["coordinate"]
    assert by_id["mc"]["styles"] == ["multi-choice"]
    assert by_id["text"]["styles"] == ["specified style"]
    assert by_id["text"]["stats"]["lite_perception_mapper.images"] == 0
    for r in rows:
        assert set(r["scores"]) == set(CAPABILITIES)
        assert all(0.0 <= v <= 5.0 for v in r["scores"].values())
        assert all(s in STYLES for s in r["styles"])
        scoring = r["meta"]["scoring"]
        assert scoring["lite_capability_scorer"]["heuristic"] is True
        assert scoring["rule_styler"]["backend"] == "heuristic"
    errors = {e.sample_id: e for e in read_errors(work)}
    assert set(errors) == {"broken", "empty"}
    assert errors["broken"].op == "lite_perception_mapper"
    assert "images[0]" in errors["broken"].reason and "broken.png" in errors["broken"].reason
    assert "messages" in errors["empty"].reason
    summary = json.loads((work / "summary.json").read_text())
    metrics = summary["ops"][0]["metrics"]
    assert metrics["ocr_runs"] >= 1 and metrics["ocr_skipped"] >= 1


def test_scorer_alone_computes_missing_perception(pool: Path, tmp_path: Path) -> None:
    rows, work = _run(
        pool,
        tmp_path / "alone.jsonl",
        [{"lite_capability_scorer": {"capabilities": ["optical_character_recognition"]}}],
    )
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"sign", "where", "mc", "text"}
    assert set(by_id["sign"]["scores"]) == {"optical_character_recognition"}
    assert by_id["sign"]["scores"]["optical_character_recognition"] > 2.0
    assert not any(k.startswith("lite_perception_mapper.") for k in by_id["sign"].get("stats", {}))
    errors = {e.sample_id: e for e in read_errors(work)}
    assert errors["broken"].op == "lite_capability_scorer"


def test_styler_error_and_params() -> None:
    styler = RuleStyler({"phrase_max_words": 1, "short_max_words": 3})
    s = Sample(
        id="x",
        messages=[
            Message(role="user", content="What is it?"),
            Message(role="assistant", content="A red bus here."),
        ],
    )
    assert styler.process(s).styles == ["detailed description"]
    from mmcurate.ops.base import SampleError

    with pytest.raises(SampleError, match="messages"):
        styler.process(Sample(id="y", messages=[Message(role="assistant", content="Hi")]))


def test_a_worker_keeps_one_perceiver_per_settings_and_bounds_them(tmp_path: Path) -> None:
    from mmcurate.ops.base import OpContext
    from mmcurate.scorers import ops as score_ops

    score_ops._PERCEIVERS.clear()

    def set_up(work: str, **params: object) -> LitePerceptionMapper:
        op = registry.create("lite_perception_mapper", {"embed": False, **params})
        op.bind(OpContext(root=tmp_path, work_dir=tmp_path / work))
        op.ensure_setup()
        assert isinstance(op, LitePerceptionMapper)
        return op

    a, again = set_up("w0"), set_up("w0")  # e.g. two shards of one stage in one worker
    assert a.perceiver is again.perceiver
    assert set_up("w0", ocr="never").perceiver is not a.perceiver  # other settings
    pool = a.perceiver._thread_pool()
    for i in range(1, score_ops.MAX_PERCEIVERS + 1):
        set_up(f"w{i}")
    assert len(score_ops._PERCEIVERS) == score_ops.MAX_PERCEIVERS
    assert a.perceiver._pool is None and pool._shutdown  # evicted: its threads end
    score_ops._PERCEIVERS.clear()
