"""Student scorer: features, ridge head, training/evaluation plumbing, model file, op.

The labels here are synthetic with a known structure (a noisy function of features the
student sees), so a working pipeline MUST rank held-out samples well. These numbers say the
plumbing works; they say nothing about how well a student imitates a real VLM.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmcurate.errors import ConfigError
from mmcurate.ops import OpContext, SampleError, registry
from mmcurate.sample import Message, Sample
from mmcurate.scorers.student import (
    FORMAT,
    FORMAT_VERSION,
    FeatureSpec,
    StudentCapabilityScorer,
    StudentModel,
    feature_names,
    featurize,
    fit_ridge,
    rank,
    resolve_stat_keys,
    spearman,
    train,
)

OCR, LANG = "optical_character_recognition", "language_generation"


def synthetic_pool(root: Path, n: int = 100, seed: int = 0) -> list[Sample]:
    """Samples whose OCR label follows image brightness and whose language label follows
    answer length, plus noise; provenance says a (fake) VLM wrote them."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        b, words = rng.uniform(0, 1), int(rng.integers(1, 80))
        Image.new("RGB", (48, 32), (int(255 * b),) * 3).save(root / f"{i}.png")
        s = Sample(
            id=f"p{i}",
            images=[f"{i}.png"],
            messages=[
                Message(role="user", content="<image>\nDescribe it."),
                Message(role="assistant", content=" ".join(["word"] * words)),
            ],
            stats={"lite_op.brightness": float(b), "lite_op.label": "x", "other.v": 1.0},
            scores={
                OCR: float(np.clip(5 * b + rng.normal(0, 0.4), 0, 5)),
                LANG: float(np.clip(math.log1p(words) + rng.normal(0, 0.3), 0, 5)),
            },
            meta={
                "scoring": {
                    "vlm_capability_scorer": {
                        "backend": "vllm-server",
                        "model": "some-vlm",
                        "prompt_id": "capability_scores",
                        "prompt_version": 1,
                        "capabilities": [OCR, LANG],
                        "heuristic": False,
                    }
                }
            },
        )
        out.append(s)
    return out


def test_rank_and_spearman() -> None:
    assert rank(np.array([10.0, 30.0, 20.0, 20.0])).tolist() == [0.0, 3.0, 1.5, 1.5]
    x = np.arange(20.0)
    assert spearman(x, x**3) == pytest.approx(1.0)
    assert spearman(x, -x) == pytest.approx(-1.0)
    assert math.isnan(spearman(x, np.ones(20)))
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 6, 50).astype(float), rng.integers(0, 6, 50).astype(float)
    assert spearman(a, b) == pytest.approx(scipy_stats.spearmanr(a, b).statistic)


def test_ridge_recovers_a_linear_signal_and_regularises_noise() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values are filled with the mean
    w = np.array([[1.0, 0.0], [0.0, -2.0], [0.5, 0.0], [0.0, 0.0], [0.0, 0.0]])
    y = np.nan_to_num(x) @ w + 2.5 + rng.normal(0, 0.1, (200, 2))
    head, cv = fit_ridge(x[:150], y[:150])
    pred = head.predict(x[150:])
    assert all(spearman(pred[:, j], y[150:, j]) > 0.9 for j in range(2))
    assert head.alpha <= 10 and len(cv) == 7
    noise, _ = fit_ridge(x, rng.normal(size=(200, 1)))
    assert noise.alpha >= 100  # nothing to learn: CV picks a strong penalty


def test_features_have_stable_names_and_shapes(tmp_path: Path) -> None:
    pool = synthetic_pool(tmp_path, n=3)
    pool[0].stats["lite_op.embedding"] = [0.5, 0.5, 0.5, 0.5]  # a vector stat (e.g. MiniLM)
    pool[1].stats["lite_op.embedding"] = [1.0, 0.0]  # wrong length: missing
    spec = FeatureSpec(
        text_dim=32,
        embedding="lite_op.embedding",
        embedding_dim=4,
        stats=("lite_op.brightness",),
        scores=("humanities",),
    )
    x, errors = featurize(pool, tmp_path, spec)
    names = feature_names(spec)
    assert x.shape == (3, len(names)) and errors == [None] * 3
    assert names[:2] == ["text_hash.0", "text_hash.1"]
    assert "image_stats.luma_mean" in names and "text_stats.answer_chars" in names
    assert names[-6:] == [
        *(f"embedding.{i}" for i in range(4)),
        "stats.lite_op.brightness",
        "scores.humanities",
    ]
    assert x[0, -6:-2].tolist() == [0.5] * 4 and np.isnan(x[1:, -6:-2]).all()
    assert np.isnan(x[:, -1]).all()  # no humanities score on these samples: missing
    assert np.allclose(np.linalg.norm(x[:, :32], axis=1), 1.0)
    assert resolve_stat_keys(["lite_op.*"], pool, exclude=["lite_op.embedding"]) == (
        "lite_op.brightness",
    )
    for s in pool:
        s.stats["lite_op.embedding"] = [0.1] * 384
    keys = resolve_stat_keys(["lite_op.*", "other.v"], pool)
    assert keys == ("lite_op.brightness", "other.v")  # vectors and text are not scalars


def test_train_on_known_structure_ranks_held_out_samples_well(tmp_path: Path) -> None:
    pool = synthetic_pool(tmp_path, n=100)
    pool.append(Sample(id="unlabelled", images=["0.png"], messages=pool[0].messages))
    broken = pool[1].model_copy(deep=True)
    broken.id, broken.images = "broken", ["missing.png"]
    pool.append(broken)
    model = train(pool, tmp_path, capabilities=[LANG, OCR], spec=FeatureSpec(text_dim=64))
    report = model.report
    assert report is not None
    assert model.capabilities == (LANG, OCR)  # taxonomy order
    assert (report.n_labelled, report.n_test, report.n_train) == (100, 20, 80)
    assert report.skipped == {"missing labels": 1, "unreadable media": 1}
    assert report.spearman[OCR] is not None and report.spearman[OCR] > 0.85
    assert report.spearman[LANG] is not None and report.spearman[LANG] > 0.85
    assert report.labels["heuristic"] is False
    assert report.labels["sources"] == [
        {
            "op": "vlm_capability_scorer",
            "backend": "vllm-server",
            "model": "some-vlm",
            "prompt_id": "capability_scores",
            "prompt_version": 1,
            "heuristic": False,
            "samples": 100,
        }
    ]
    assert "optical_character_recognition" in report.table()


def test_training_refuses_what_cannot_work(tmp_path: Path) -> None:
    pool = synthetic_pool(tmp_path, n=12)
    with pytest.raises(ConfigError, match="also labels"):
        train(pool, tmp_path, capabilities=[OCR], spec=FeatureSpec(scores=(OCR,)))
    with pytest.raises(ConfigError, match="only 6 usable labelled samples"):
        train(pool[:6], tmp_path, capabilities=[OCR])
    with pytest.raises(ConfigError, match="unknown capabilities"):
        train(pool, tmp_path, capabilities=["ocr"])


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, StudentModel]:
    root = tmp_path_factory.mktemp("pool")
    pool = synthetic_pool(root, n=60)
    spec = FeatureSpec(text_dim=32, stats=("lite_op.*",))
    model = train(pool, root, capabilities=[OCR, LANG], spec=spec, note="synthetic labels")
    return root, model.save(root / "student"), model


def test_model_file_round_trips_with_its_spec(saved: tuple[Path, Path, StudentModel]) -> None:
    root, path, model = saved
    assert path.name == "student.npz"
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        assert set(data.files) == {"meta", "mean", "scale", "coef", "intercept"}
    assert (meta["format"], meta["format_version"]) == (FORMAT, FORMAT_VERSION)
    assert meta["feature_spec"]["stats"] == ["lite_op.brightness"]  # the pattern, resolved
    assert meta["capabilities"] == [LANG, OCR] and meta["report"]["note"] == "synthetic labels"
    loaded = StudentModel.load(path)
    pool = synthetic_pool(root, n=5, seed=3)
    a, _ = model.predict(pool, root)
    b, _ = loaded.predict(pool, root)
    assert np.allclose(a, b) and ((a >= 0) & (a <= 5)).all()
    assert loaded.report is not None and loaded.report.spearman == model.report.spearman  # type: ignore[union-attr]


def test_bad_model_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        StudentModel.load(tmp_path / "none.npz")
    np.savez(tmp_path / "other.npz", meta=np.array(json.dumps({"format": "x"})))
    with pytest.raises(ConfigError, match="not a student model"):
        StudentModel.load(tmp_path / "other.npz")
    np.savez(
        tmp_path / "future.npz", meta=np.array(json.dumps({"format": FORMAT, "format_version": 99}))
    )
    with pytest.raises(ConfigError, match="version 99 is not supported"):
        StudentModel.load(tmp_path / "future.npz")


def test_student_op_scores_records_provenance_and_isolates_bad_samples(
    saved: tuple[Path, Path, StudentModel],
) -> None:
    root, path, _ = saved
    op = registry.create("student_capability_scorer", {"model": str(path)})
    assert isinstance(op, StudentCapabilityScorer)
    assert op.output_scores() == [LANG, OCR]
    op.bind(OpContext(root=root))
    op.ensure_setup()
    pool = synthetic_pool(root, n=3, seed=5)
    for s in pool:
        s.scores = {}
    bad = pool[2]
    bad.images = ["missing.png"]
    out = op.process_batch(pool)
    assert out[0] is pool[0] and out[1] is pool[1]
    for s in pool[:2]:
        assert set(s.scores) == {LANG, OCR} and all(0 <= v <= 5 for v in s.scores.values())
        prov = s.meta["scoring"]["student_capability_scorer"]
        assert prov["student"] == "student.npz" and len(prov["sha256"]) == 16
        assert prov["label_sources"][0]["backend"] == "vllm-server"
        assert prov["heuristic"] is False
        assert "vlm_capability_scorer" in s.meta["scoring"]  # earlier provenance kept
    assert isinstance(out[2], SampleError) and "missing.png" in str(out[2])
    assert bad.scores == {}
    assert op.metrics() == {"scored": 2.0, "failed": 1.0}

    only = registry.create("student_capability_scorer", {"model": str(path), "capabilities": [OCR]})
    assert only.output_scores() == [OCR]
    with pytest.raises(ConfigError, match="does not predict"):
        registry.create(
            "student_capability_scorer", {"model": str(path), "capabilities": ["humanities"]}
        ).output_scores()
    with pytest.raises(ConfigError, match="not found"):
        registry.create("student_capability_scorer", {"model": str(root / "x.npz")}).setup()


def test_train_student_command_reads_a_scored_dataset(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from mmcurate.io import write_dataset
    from mmcurate.sample import to_dataset
    from mmcurate.scorers.model_cli import train_student

    pool = synthetic_pool(tmp_path / "data", n=40)
    data = tmp_path / "data" / "scored.jsonl"
    write_dataset(to_dataset(pool), data, "llava", root=tmp_path / "data")
    app = typer.Typer()
    app.command()(train_student)
    out = tmp_path / "student.npz"
    res = CliRunner().invoke(
        app, [str(data), "-o", str(out), "--capabilities", f"{OCR},{LANG}", "--text-dim", "32"]
    )
    assert res.exit_code == 0, res.output
    assert f"student written to {out}: 40 labelled samples (32 train, 8 held out)" in res.output
    assert (
        "labels: 40 samples from vlm_capability_scorer (backend vllm-server, model some-vlm, "
        "prompt capability_scores.v1)" in res.output
    )
    assert "optical_character_recognition" in res.output
    assert StudentModel.load(out).capabilities == (LANG, OCR)


def test_curate_score_with_a_student(
    saved: tuple[Path, Path, StudentModel], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from mmcurate.cli import app
    from mmcurate.io import write_dataset
    from mmcurate.sample import to_dataset
    from mmcurate.scorers.cli import ScoreOptions, build_recipe

    root, path, _ = saved
    pool = synthetic_pool(root, n=6, seed=9)
    for s in pool:
        s.scores, s.meta = {}, {}
    data = root / "unscored.jsonl"
    write_dataset(to_dataset(pool), data, "llava", root=root)
    opts = ScoreOptions(data=data, out=tmp_path / "o.jsonl", student=str(path))
    # this student reads no lite perception stats, so none is computed
    assert [s.name for s in build_recipe(opts).process] == [
        "student_capability_scorer",
        "rule_styler",
    ]
    lite_student = StudentModel.load(path)
    lite_student.spec = FeatureSpec(
        text_dim=32, embedding="lite_perception_mapper.text_embedding", embedding_dim=384
    )
    lite_student.feature_names = feature_names(lite_student.spec)
    lite_path = lite_student.save(tmp_path / "lite_student.npz")
    steps = build_recipe(ScoreOptions(data=data, out=opts.out, student=str(lite_path))).process
    assert steps[0].name == "lite_perception_mapper"

    out = tmp_path / "scored.jsonl"
    res = CliRunner().invoke(
        app, ["score", str(data), "-o", str(out), "--student", str(path), "-q"]
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6
    for row in rows:
        assert set(row["scores"]) == {LANG, OCR} and row["styles"]
        assert row["meta"]["scoring"]["student_capability_scorer"]["student"] == "student.npz"
    missing = CliRunner().invoke(
        app, ["score", str(data), "-o", str(out), "--student", str(tmp_path / "nope.npz")]
    )
    assert missing.exit_code != 0 and "student model not found" in str(missing.exception)


def test_label_sources_come_from_score_writing_ops_only() -> None:
    from mmcurate.scorers.student import label_sources

    heuristic = {"backend": "heuristic", "heuristic": True}
    samples = [
        Sample(
            id="a",
            meta={
                "scoring": {
                    "lite_capability_scorer": heuristic,  # all 14: no capabilities listed
                    "rule_styler": heuristic,  # writes styles, not scores
                    "vlm_styler": {"backend": "vllm-server", "heuristic": False},
                    "vlm_capability_scorer": {"backend": "x", "capabilities": ["humanities"]},
                }
            },
        ),
        Sample(id="b"),
    ]
    found = label_sources(samples, [OCR])
    assert [s["op"] for s in found["sources"]] == ["lite_capability_scorer"]
    assert found["heuristic"] is True and found["unattributed"] == 1
