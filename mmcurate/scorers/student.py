"""Student capability scorer: a small head on cheap features, trained on VLM labels.

The VLM scorers (:mod:`mmcurate.scorers.vlm`) label a subset of a pool; the student learns
to predict those 0-5 scores from features that cost no model call, then scores the rest of
the pool on CPU (DESIGN.md "Scorers").

- **Features** (:class:`FeatureSpec`, :func:`featurize`): named *feature groups*, each a
  function ``(samples, ctx) -> (n, d) float matrix`` with NaN for "missing":

  - ``text_hash``: a hashed bag of word uni/bigrams of the questions and (separately) the
    answers, L2-normalised: a text embedding with no model (``text_dim`` dims).
  - ``text_stats``: turn count, lengths, digit/uppercase shares, option/coordinate/yes-no
    patterns, step-by-step cues.
  - ``image_stats``: size, aspect, luma mean/contrast/entropy, saturation, colourfulness,
    edge density, white/dark shares, colour count (a thumbnail of each image, or of one
    video frame), averaged over the sample's media.
  - ``embedding``: a text embedding another op stored as a stat, e.g. the MiniLM
    embedding ``lite_perception_mapper.text_embedding`` (``FeatureSpec.embedding``).
  - ``stats``: numeric values other ops stored in ``sample.stats`` (e.g. the lite
    perception mapper's OCR word count, chart cue), named in ``FeatureSpec.stats``
    (``"op_name.*"`` takes every numeric stat of that op present at training time).
  - ``scores``: other score keys in ``sample.scores`` (never a label's own key).

  More groups plug in with :func:`register_feature_group`.
- **Head**: ridge regression (numpy, closed form on standardised features, one output per
  capability), its penalty chosen by k-fold cross-validation on the training split.
- **Evaluation**: per-capability Spearman on a held-out split of the labelled samples; the
  final model is refit on all labelled samples with the chosen penalty.
- **File** (:meth:`StudentModel.save`): one ``.npz`` with arrays ``mean``, ``scale``,
  ``fill``, ``coef``, ``intercept`` and ``meta``, a JSON string: ``format``
  (``"mmcurate-student"``), ``format_version``, the feature spec, feature names,
  capabilities, the penalty, where the labels came from (backend, model, prompt of the
  scorer that wrote them, and whether they were heuristic) and the held-out report.

The op ``student_capability_scorer`` scores samples with a saved model; entry points are
:func:`train` (Python) and ``curate score train-student`` (CLI).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mmcurate.errors import ConfigError
from mmcurate.ops.base import Mapper, Params, Resources, SampleError
from mmcurate.ops.registry import register
from mmcurate.sample import Sample
from mmcurate.taxonomy import CAPABILITIES

FORMAT = "mmcurate-student"
FORMAT_VERSION = 1
DEFAULT_ALPHAS: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
SCORE_RANGE = (0.0, 5.0)
#: Keys of the model file's ``meta`` that :meth:`StudentModel.save` writes itself (other
#: keys of a loaded model's ``meta`` are kept as they are).
_MANAGED_META = frozenset(
    {"format", "format_version", "created", "feature_spec", "feature_names", "capabilities",
     "alpha", "report"}
)  # fmt: skip


# -- feature spec and groups ----------------------------------------------------------------


class FeatureSpec(BaseModel):
    """Which cheap features the student sees (saved in the model file).

    Attributes:
        groups: Built-in or registered feature groups, in order.
        text_dim: Dimensions of the ``text_hash`` embedding.
        thumb: Thumbnail side (pixels) for ``image_stats``.
        embedding: A ``sample.stats`` key holding a text embedding (a list of floats), e.g.
            ``lite_perception_mapper.text_embedding`` (MiniLM, written by the lite
            perception mapper); its values become the ``embedding`` group.
        embedding_dim: That embedding's length (384 for MiniLM).
        stats: ``sample.stats`` keys for the ``stats`` group; ``"op.*"`` patterns are
            resolved to the numeric keys present when training.
        scores: ``sample.scores`` keys for the ``scores`` group (not a label's key).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: tuple[str, ...] = ("text_hash", "text_stats", "image_stats")
    text_dim: int = Field(default=256, ge=8, le=65536)
    thumb: int = Field(default=96, ge=16, le=1024)
    embedding: str | None = None
    embedding_dim: int = Field(default=384, ge=1, le=65536)
    stats: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()

    def all_groups(self) -> tuple[str, ...]:
        """``groups`` plus ``embedding``/``stats``/``scores`` when keys are given for them."""
        given = (("embedding", self.embedding), ("stats", self.stats), ("scores", self.scores))
        return tuple(dict.fromkeys(self.groups + tuple(g for g, keys in given if keys)))


@dataclass(frozen=True)
class FeatureContext:
    """What a feature group needs besides the samples."""

    root: Path
    spec: FeatureSpec


#: A feature group's compute function: ``(samples, ctx) -> (matrix, errors)``.
GroupFn = Callable[[Sequence[Sample], FeatureContext], tuple[np.ndarray, list[str | None]]]


@dataclass(frozen=True)
class FeatureGroup:
    """A named block of features.

    Attributes:
        names: Feature names for a spec (their count is the block's width).
        compute: ``(samples, ctx) -> (matrix, errors)``: an ``(n, width)`` float matrix
            (NaN where a value is missing) and, per sample, ``None`` or why it failed.
    """

    names: Callable[[FeatureSpec], list[str]]
    compute: GroupFn


_GROUPS: dict[str, FeatureGroup] = {}


def register_feature_group(
    name: str, names: Callable[[FeatureSpec], list[str]]
) -> Callable[[GroupFn], GroupFn]:
    """Register a feature group (a decorator on its compute function).

    Raises:
        ValueError: ``name`` is taken by another function.
    """

    def deco(fn: GroupFn) -> GroupFn:
        if name in _GROUPS and _GROUPS[name].compute is not fn:
            raise ValueError(f"feature group {name!r} is already registered")
        _GROUPS[name] = FeatureGroup(names=names, compute=fn)
        return fn

    return deco


def feature_groups() -> list[str]:
    """Registered feature group names, sorted."""
    return sorted(_GROUPS)


def _group(name: str) -> FeatureGroup:
    try:
        return _GROUPS[name]
    except KeyError:
        raise ConfigError(
            f"unknown feature group {name!r}; registered: {', '.join(feature_groups())}"
        ) from None


def feature_names(spec: FeatureSpec) -> list[str]:
    """Every feature's name, in column order."""
    return [n for g in spec.all_groups() for n in _group(g).names(spec)]


def featurize(
    samples: Sequence[Sample], root: Path, spec: FeatureSpec
) -> tuple[np.ndarray, list[str | None]]:
    """The feature matrix of ``samples`` and, per sample, why it could not be featurized.

    Returns:
        ``(X, errors)``: ``X`` is ``(len(samples), len(feature_names(spec)))`` float64 with
        NaN for missing values; ``errors[i]`` is ``None`` or a reason (e.g. an unreadable
        image), in which case row ``i`` must not be used.
    """
    ctx = FeatureContext(root=Path(root), spec=spec)
    blocks: list[np.ndarray] = []
    errors: list[str | None] = [None] * len(samples)
    for name in spec.all_groups():
        group = _group(name)
        width = len(group.names(spec))
        mat, errs = group.compute(samples, ctx)
        if mat.shape != (len(samples), width):
            raise RuntimeError(f"feature group {name!r} returned {mat.shape}, not {width} wide")
        blocks.append(mat)
        for i, e in enumerate(errs):
            if e is not None and errors[i] is None:
                errors[i] = f"{name}: {e}"
    if not blocks:
        return np.zeros((len(samples), 0)), errors
    return np.hstack(blocks).astype(np.float64), errors


# .. text ...................................................................................

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_OPTIONS_RE = re.compile(r"(?:^|\s)\(?[A-Da-d][.)]\s", re.MULTILINE)
_COORD_RE = re.compile(r"[\[(]\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?")
_YESNO_RE = re.compile(r"^\s*(is|are|does|do|can|was|were|has|have|will|should|could)\b", re.I)
_STEP_RE = re.compile(r"\b(step|first|then|therefore|because|so|finally)\b", re.I)
_ANSWER_YN_RE = re.compile(r"^\s*(yes|no)\b", re.I)
_PLACEHOLDER_RE = re.compile(r"<(image|video|audio)>")


def _turns(sample: Sample) -> tuple[list[str], list[str]]:
    questions = [_PLACEHOLDER_RE.sub(" ", m.content) for m in sample.messages if m.role == "user"]
    answers = [
        _PLACEHOLDER_RE.sub(" ", m.content) for m in sample.messages if m.role == "assistant"
    ]
    return questions, answers


def _text_hash_names(spec: FeatureSpec) -> list[str]:
    return [f"text_hash.{i}" for i in range(spec.text_dim)]


@register_feature_group("text_hash", _text_hash_names)
def _text_hash(
    samples: Sequence[Sample], ctx: FeatureContext
) -> tuple[np.ndarray, list[str | None]]:
    """Signed feature hashing of ``q:``/``a:``-prefixed word uni- and bigrams, log-scaled."""
    dim = ctx.spec.text_dim
    out = np.zeros((len(samples), dim))
    for i, s in enumerate(samples):
        questions, answers = _turns(s)
        row = out[i]
        for prefix, texts in (("q:", questions), ("a:", answers)):
            words = [w.lower() for t in texts for w in _WORD_RE.findall(t)]
            grams = [prefix + w for w in words]
            grams += [f"{prefix}{a} {b}" for a, b in zip(words, words[1:], strict=False)]
            for g in grams:
                h = zlib.crc32(g.encode("utf-8"))
                row[h % dim] += 1.0 if (h >> 31) & 1 else -1.0
        np.copyto(row, np.sign(row) * np.log1p(np.abs(row)))
        norm = float(np.linalg.norm(row))
        if norm > 0:
            row /= norm
    return out, [None] * len(samples)


TEXT_STATS = (
    "turns",
    "question_chars",
    "answer_chars",
    "answer_to_question",
    "answer_words_mean",
    "digit_share",
    "upper_share",
    "options",
    "coordinates",
    "yes_no_questions",
    "yes_no_answers",
    "step_cues",
    "answer_lines",
)


@register_feature_group("text_stats", lambda spec: [f"text_stats.{n}" for n in TEXT_STATS])
def _text_stats(
    samples: Sequence[Sample], ctx: FeatureContext
) -> tuple[np.ndarray, list[str | None]]:
    """Cheap statistics of the conversation (log-scaled counts, shares, pattern flags)."""
    out = np.zeros((len(samples), len(TEXT_STATS)))
    for i, s in enumerate(samples):
        questions, answers = _turns(s)
        q, a = " ".join(questions), " ".join(answers)
        text = q + " " + a
        letters = sum(c.isalpha() for c in text) or 1
        n_answers = max(len(answers), 1)
        answer_words = sum(len(_WORD_RE.findall(x)) for x in answers)
        out[i] = [
            math.log1p(len(s.messages)),
            math.log1p(len(q)),
            math.log1p(len(a)),
            math.log1p(len(a)) - math.log1p(len(q)),
            math.log1p(answer_words / n_answers),
            sum(c.isdigit() for c in text) / max(len(text), 1),
            sum(c.isupper() for c in text) / letters,
            float(bool(_OPTIONS_RE.search(q))),
            float(bool(_COORD_RE.search(a))),
            sum(bool(_YESNO_RE.match(x)) for x in questions) / max(len(questions), 1),
            sum(bool(_ANSWER_YN_RE.match(x)) for x in answers) / n_answers,
            math.log1p(len(_STEP_RE.findall(a))),
            math.log1p(sum(x.count("\n") for x in answers)),
        ]
    return out, [None] * len(samples)


# .. images .................................................................................

IMAGE_STATS = (
    "n_images",
    "n_videos",
    "log_width",
    "log_height",
    "log_aspect",
    "luma_mean",
    "luma_std",
    "luma_entropy",
    "saturation",
    "colourfulness",
    "edges",
    "white_share",
    "dark_share",
    "log_colours",
)


def _thumbnail(source: Any, thumb: int) -> tuple[Any, tuple[int, int]]:
    """An RGB thumbnail of an image file or PIL image, and the original size. JPEGs decode
    at a reduced scale (``draft``), so large photos cost little."""
    from PIL import Image

    from mmcurate.models.media import load_image

    if isinstance(source, Path):
        with Image.open(source) as im:
            size = im.size
            im.draft("RGB", (2 * thumb, 2 * thumb))
            small = im.convert("RGB")
    else:
        small = load_image(source).copy()
        size = small.size
    small.thumbnail((thumb, thumb))
    return small, size


def _image_features(source: Any, thumb: int) -> list[float]:
    """Statistics of one image (a file path or PIL image): its size, then a thumbnail's."""
    small, (width, height) = _thumbnail(source, thumb)
    rgb = np.asarray(small, dtype=np.float64) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    hist, _ = np.histogram(luma, bins=16, range=(0.0, 1.0))
    p = hist[hist > 0] / hist.sum()
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-9), 0.0)
    rg, yb = r - g, 0.5 * (r + g) - b
    colourful = math.hypot(float(rg.std()), float(yb.std())) + 0.3 * math.hypot(
        float(rg.mean()), float(yb.mean())
    )
    gy, gx = np.gradient(luma) if min(luma.shape) > 1 else (np.zeros(1), np.zeros(1))
    quant = (np.asarray(small, dtype=np.uint8) >> 4).reshape(-1, 3).astype(np.int32)
    colours = len(np.unique(quant[:, 0] * 256 + quant[:, 1] * 16 + quant[:, 2]))
    return [
        math.log(max(width, 1)),
        math.log(max(height, 1)),
        math.log(max(width, 1) / max(height, 1)),
        float(luma.mean()),
        float(luma.std()),
        float(-(p * np.log2(p)).sum()),
        float(sat.mean()),
        colourful,
        float(np.hypot(gx, gy).mean()),
        float((luma > 0.9).mean()),
        float((luma < 0.1).mean()),
        math.log(colours),
    ]


@register_feature_group("image_stats", lambda spec: [f"image_stats.{n}" for n in IMAGE_STATS])
def _image_stats(
    samples: Sequence[Sample], ctx: FeatureContext
) -> tuple[np.ndarray, list[str | None]]:
    """Pixel statistics averaged over a sample's images (one middle frame per video)."""
    from mmcurate.io.media import resolve_media
    from mmcurate.models.media import local_path
    from mmcurate.models.video import sample_frames

    out = np.full((len(samples), len(IMAGE_STATS)), np.nan)
    errors: list[str | None] = [None] * len(samples)
    for i, s in enumerate(samples):
        per_media: list[list[float]] = []
        try:
            for k, ref in enumerate(s.images):
                where = f"images[{k}] {ref}"
                where_to = resolve_media(ctx.root, ref)
                source = local_path(where_to) if isinstance(where_to, Path) else where_to
                per_media.append(_image_features(source, ctx.spec.thumb))
            for k, ref in enumerate(s.videos):
                where = f"videos[{k}] {ref}"
                frames = sample_frames(str(resolve_media(ctx.root, ref)), fps=0.5, max_frames=3)
                mid = frames.frames[len(frames.frames) // 2]
                per_media.append(_image_features(mid, ctx.spec.thumb))
        except Exception as err:  # noqa: BLE001 - one sample's unreadable media
            errors[i] = f"cannot read {where}: {err}"
            continue
        out[i, 0], out[i, 1] = len(s.images), len(s.videos)
        if per_media:
            out[i, 2:] = np.mean(np.asarray(per_media), axis=0)
    return out, errors


# .. values other ops stored ................................................................


def _stat_value(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        return float(np.mean(value))
    return math.nan


def _embedding_names(spec: FeatureSpec) -> list[str]:
    return [f"embedding.{i}" for i in range(spec.embedding_dim)] if spec.embedding else []


@register_feature_group("embedding", _embedding_names)
def _embedding(
    samples: Sequence[Sample], ctx: FeatureContext
) -> tuple[np.ndarray, list[str | None]]:
    """The embedding stat ``spec.embedding`` (missing, or of another length -> NaN row)."""
    key, dim = ctx.spec.embedding, ctx.spec.embedding_dim
    out = np.full((len(samples), dim if key else 0), np.nan)
    for i, s in enumerate(samples):
        value = s.stats.get(key) if key else None
        if isinstance(value, list) and len(value) == dim:
            out[i] = np.asarray(value, dtype=np.float64)
    return out, [None] * len(samples)


@register_feature_group("stats", lambda spec: [f"stats.{k}" for k in spec.stats])
def _stats(samples: Sequence[Sample], ctx: FeatureContext) -> tuple[np.ndarray, list[str | None]]:
    """``sample.stats`` values (lists of numbers are averaged; missing or text -> NaN)."""
    keys = ctx.spec.stats
    out = np.array(
        [[_stat_value(s.stats.get(k)) for k in keys] for s in samples], dtype=np.float64
    ).reshape(len(samples), len(keys))
    return out, [None] * len(samples)


@register_feature_group("scores", lambda spec: [f"scores.{k}" for k in spec.scores])
def _scores(samples: Sequence[Sample], ctx: FeatureContext) -> tuple[np.ndarray, list[str | None]]:
    """``sample.scores`` values (missing -> NaN)."""
    keys = ctx.spec.scores
    out = np.array(
        [[float(s.scores.get(k, math.nan)) for k in keys] for s in samples], dtype=np.float64
    ).reshape(len(samples), len(keys))
    return out, [None] * len(samples)


def resolve_stat_keys(
    patterns: Sequence[str], samples: Sequence[Sample], exclude: Sequence[str] = ()
) -> tuple[str, ...]:
    """Expand ``"op.*"`` patterns to the numeric stat keys present in ``samples`` (sorted;
    lists of more than 16 numbers, i.e. vectors such as embeddings, and ``exclude`` are left
    out); plain keys stay as given."""
    present: set[str] = set()
    for s in samples:
        present.update(
            k
            for k, v in s.stats.items()
            if not math.isnan(_stat_value(v)) and not (isinstance(v, list) and len(v) > 16)
        )
    present -= set(exclude)
    keys: list[str] = []
    for p in patterns:
        matched = sorted(k for k in present if fnmatch.fnmatchcase(k, p)) if "*" in p else [p]
        keys += [k for k in matched if k not in keys]
    return tuple(keys)


# -- the head -------------------------------------------------------------------------------


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 with ties averaged."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (NaN when either side is constant or n < 2)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(np.corrcoef(rank(a), rank(b))[0, 1])


@dataclass
class RidgeHead:
    """Multi-output ridge regression on standardised features (NaN -> training mean).

    Attributes:
        mean: Per-feature mean of the training rows (also the fill value for NaN).
        scale: Per-feature standard deviation (1 where constant).
        coef: ``(features, outputs)`` weights on standardised features.
        intercept: ``(outputs,)``.
        alpha: The L2 penalty.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    alpha: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Raw (unclipped) predictions for feature rows."""
        z = (_fill(x, self.mean) - self.mean) / self.scale
        return np.asarray(z @ self.coef + self.intercept)


def _fill(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=np.float64, copy=True)
    rows, cols = np.nonzero(np.isnan(x))
    x[rows, cols] = values[cols]
    return x


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = np.nanmean(x, axis=0) if len(x) else np.zeros(x.shape[1])
    mean = np.where(np.isnan(mean), 0.0, mean)
    filled = _fill(x, mean)
    scale = filled.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    return (filled - mean) / scale, mean, scale


def _ridge_svd(z: np.ndarray, y: np.ndarray, alphas: Sequence[float]) -> list[np.ndarray]:
    """Ridge coefficients of centred ``z``/``y`` for each alpha (one SVD)."""
    u, s, vt = np.linalg.svd(z, full_matrices=False)
    uty = u.T @ y
    return [vt.T @ ((s / (s**2 + a))[:, None] * uty) for a in alphas]


def fit_ridge(
    x: np.ndarray,
    y: np.ndarray,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    folds: int = 5,
    seed: int = 0,
) -> tuple[RidgeHead, dict[float, float]]:
    """Fit a :class:`RidgeHead`, choosing alpha by k-fold CV (mean squared error).

    Args:
        x: ``(n, features)``; NaN means missing.
        y: ``(n, outputs)`` targets.
        alphas: Candidate penalties.
        folds: Cross-validation folds (fewer when ``n`` is small; none below 4 rows).
        seed: Fold assignment seed.

    Returns:
        The head refit on all rows with the best alpha, and alpha -> CV MSE.
    """
    n = len(x)
    k = min(folds, n // 2)
    cv: dict[float, float] = {}
    if k >= 2 and len(alphas) > 1:
        fold = np.random.default_rng(seed).permutation(n) % k
        errs = np.zeros(len(alphas))
        for f in range(k):
            tr, te = fold != f, fold == f
            z, mean, scale = _standardise(x[tr])
            ym = y[tr].mean(axis=0)
            zt = (_fill(x[te], mean) - mean) / scale
            for j, coef in enumerate(_ridge_svd(z, y[tr] - ym, alphas)):
                errs[j] += float(((zt @ coef + ym - y[te]) ** 2).sum())
        cv = {float(a): float(e / (n * y.shape[1])) for a, e in zip(alphas, errs, strict=True)}
        best = min(cv, key=lambda a: (cv[a], -a))
    else:
        best = float(alphas[len(alphas) // 2])
    z, mean, scale = _standardise(x)
    ym = y.mean(axis=0)
    [coef] = _ridge_svd(z, y - ym, [best])
    return RidgeHead(mean=mean, scale=scale, coef=coef, intercept=ym, alpha=best), cv


# -- the model file -------------------------------------------------------------------------


class StudentReport(BaseModel):
    """How a student was trained and how it did on held-out labels.

    Attributes:
        n_labelled: Samples with every label present and readable features.
        n_train: Rows the penalty was chosen on (and the held-out model fit on).
        n_test: Held-out rows the Spearman values come from.
        skipped: Samples left out (missing labels, unreadable media), by reason.
        spearman: Capability -> held-out Spearman (``None`` when undefined: constant
            labels or predictions).
        mae: Capability -> held-out mean absolute error.
        alpha: The chosen penalty; ``cv_mse``: alpha -> cross-validation MSE.
        labels: Where the labels came from (see :func:`label_sources`).
        note: Free text (e.g. "lite scores as stand-in labels").
    """

    model_config = ConfigDict(extra="forbid")

    n_labelled: int
    n_train: int
    n_test: int
    skipped: dict[str, int] = Field(default_factory=dict)
    spearman: dict[str, float | None]
    mae: dict[str, float]
    alpha: float
    cv_mse: dict[str, float] = Field(default_factory=dict)
    labels: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None

    def mean_spearman(self) -> float | None:
        """Mean of the defined per-capability Spearman values."""
        vals = [v for v in self.spearman.values() if v is not None]
        return float(np.mean(vals)) if vals else None

    def table(self) -> str:
        """A plain-text table: capability, held-out Spearman, MAE."""
        lines = [f"{'capability':<32} {'spearman':>9} {'mae':>6}"]
        for c in self.spearman:
            rho = self.spearman[c]
            lines.append(f"{c:<32} {'n/a' if rho is None else f'{rho:.3f}':>9} {self.mae[c]:>6.3f}")
        mean = self.mean_spearman()
        lines.append(f"{'mean':<32} {'n/a' if mean is None else f'{mean:.3f}':>9}")
        return "\n".join(lines)


@dataclass
class StudentModel:
    """A trained student: feature spec, feature names, capabilities and the ridge head."""

    spec: FeatureSpec
    feature_names: list[str]
    capabilities: tuple[str, ...]
    head: RidgeHead
    report: StudentReport | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def predict_matrix(self, x: np.ndarray) -> np.ndarray:
        """Scores ``(n, capabilities)`` for feature rows, clipped to 0..5."""
        return np.clip(self.head.predict(x), *SCORE_RANGE)

    def predict(self, samples: Sequence[Sample], root: Path) -> tuple[np.ndarray, list[str | None]]:
        """Scores for samples (rows of failed samples are NaN) and per-sample errors."""
        x, errors = featurize(samples, root, self.spec)
        y = self.predict_matrix(x)
        for i, e in enumerate(errors):
            if e is not None:
                y[i] = np.nan
        return y, errors

    def save(self, path: str | Path) -> Path:
        """Write the model as one ``.npz`` (see the module docstring); returns the path."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            **{k: v for k, v in self.meta.items() if k not in _MANAGED_META},
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "feature_spec": self.spec.model_dump(mode="json"),
            "feature_names": self.feature_names,
            "capabilities": list(self.capabilities),
            "alpha": self.head.alpha,
            "report": self.report.model_dump(mode="json") if self.report else None,
        }
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            meta=np.array(json.dumps(meta, sort_keys=True)),
            mean=self.head.mean,
            scale=self.head.scale,
            coef=self.head.coef,
            intercept=self.head.intercept,
        )
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> StudentModel:
        """Read a model written by :meth:`save`.

        Raises:
            ConfigError: Missing file, not a student model, an unknown format version, or
                feature names that this version of mmcurate computes differently.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                _check_format(path, meta)
                spec = FeatureSpec.model_validate(meta["feature_spec"])
                names = [str(n) for n in meta["feature_names"]]
                arrays = {k: np.asarray(data[k]) for k in ("mean", "scale", "coef", "intercept")}
        except FileNotFoundError:
            raise ConfigError(f"student model not found: {path}") from None
        except (OSError, KeyError, ValueError, TypeError) as err:  # ValidationError included
            raise ConfigError(f"{path} is not a readable student model file: {err}") from None
        if names != feature_names(spec):
            raise ConfigError(f"{path}: its features differ from what this mmcurate computes")
        head = RidgeHead(alpha=float(meta["alpha"]), **arrays)
        report = StudentReport.model_validate(meta["report"]) if meta.get("report") else None
        return cls(
            spec=spec,
            feature_names=names,
            capabilities=tuple(meta["capabilities"]),
            head=head,
            report=report,
            meta=meta,
        )


def _check_format(path: Path, meta: Any) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a student model file (no format {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ConfigError(
            f"{path}: student format version {meta.get('format_version')} is not supported "
            f"(this mmcurate reads version {FORMAT_VERSION}); retrain it"
        )


# -- training -------------------------------------------------------------------------------


def _writes_scores(op_name: str) -> bool:
    """Whether a registered op writes scores (it declares ``output_scores``); an unknown
    name counts as one that does."""
    from mmcurate.ops import registry
    from mmcurate.ops.base import Op

    try:
        cls = registry.get(op_name)
    except ConfigError:
        return True
    return cls.output_scores is not Op.output_scores


def label_sources(samples: Sequence[Sample], capabilities: Sequence[str]) -> dict[str, Any]:
    """Where the labels (``sample.scores``) came from, from ``meta["scoring"]`` provenance:
    the entries of ops that write scores (and, when an entry lists the ``capabilities`` it
    wrote, only those that wrote one of ``capabilities``).

    Returns:
        ``{"sources": [{op, backend, model, prompt_id, prompt_version, heuristic, samples}],
        "heuristic": any source heuristic, "unattributed": samples with no provenance}``.
    """
    counts: Counter[str] = Counter()
    unattributed = 0
    wanted = set(capabilities)
    for s in samples:
        scoring = s.meta.get("scoring")
        found = False
        if isinstance(scoring, Mapping):
            for op, prov in scoring.items():
                if not isinstance(prov, Mapping):
                    continue
                caps = prov.get("capabilities")
                if isinstance(caps, list) and not wanted & set(caps):
                    continue  # it wrote other capabilities
                if caps is None and not _writes_scores(op):
                    continue  # e.g. a styler
                keys = ("backend", "model", "prompt_id", "prompt_version", "heuristic")
                entry = {"op": op, **{k: prov.get(k) for k in keys}}
                counts[json.dumps(entry, sort_keys=True)] += 1
                found = True
        unattributed += not found
    sources = [{**json.loads(k), "samples": n} for k, n in sorted(counts.items())]
    return {
        "sources": sources,
        "heuristic": any(bool(src.get("heuristic")) for src in sources),
        "unattributed": unattributed,
    }


def train(
    samples: Sequence[Sample],
    root: Path,
    *,
    capabilities: Sequence[str] | None = None,
    spec: FeatureSpec | None = None,
    holdout: float = 0.2,
    seed: int = 0,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    note: str | None = None,
) -> StudentModel:
    """Train a student on the samples' ``scores`` (the labels, e.g. VLM scores).

    Samples missing any selected capability's score, or whose features cannot be computed
    (unreadable media), are skipped and counted. A random ``holdout`` share of the rest is
    kept out to measure per-capability Spearman; the final head is refit on all of them.

    Args:
        samples: Labelled samples (``scores.<capability>`` set, provenance in
            ``meta["scoring"]``).
        root: Folder that relative media paths resolve against.
        capabilities: Capabilities to learn (default: all 14).
        spec: The features (default :class:`FeatureSpec`); ``stats`` patterns are resolved.
        holdout: Share of labelled samples held out for evaluation (0 < holdout < 1).
        seed: Seed of the split and the CV folds.
        alphas: Candidate ridge penalties.
        note: Free text stored with the report (say when labels are stand-ins).

    Raises:
        ConfigError: Unknown capabilities, a feature ``scores`` key that is also a label,
            or too few labelled samples (fewer than 10).
    """
    caps = tuple(c for c in CAPABILITIES if c in set(capabilities or CAPABILITIES))
    unknown = sorted(set(capabilities or ()) - set(CAPABILITIES))
    if unknown:
        raise ConfigError(f"unknown capabilities {unknown}; valid: {', '.join(CAPABILITIES)}")
    if not 0.0 < holdout < 1.0:
        raise ConfigError(f"holdout must be between 0 and 1, got {holdout}")
    spec = spec or FeatureSpec()
    leak = sorted(set(spec.scores) & set(caps))
    if leak:
        raise ConfigError(f"feature scores {leak} are also labels; pick other score keys")
    exclude = [spec.embedding] if spec.embedding else []
    spec = spec.model_copy(update={"stats": resolve_stat_keys(spec.stats, samples, exclude)})
    skipped: Counter[str] = Counter()
    labelled = [s for s in samples if all(c in s.scores for c in caps)]
    skipped["missing labels"] = len(samples) - len(labelled)
    x, errors = featurize(labelled, root, spec)
    ok = [i for i, e in enumerate(errors) if e is None]
    skipped["unreadable media"] = len(labelled) - len(ok)
    if len(ok) < 10:
        raise ConfigError(
            f"only {len(ok)} usable labelled samples (need at least 10); skipped: {dict(skipped)}"
        )
    x = x[ok]
    used = [labelled[i] for i in ok]
    y = np.array([[s.scores[c] for c in caps] for s in used], dtype=np.float64)
    perm = np.random.default_rng(seed).permutation(len(ok))
    n_test = max(2, round(holdout * len(ok)))
    te, tr = perm[:n_test], perm[n_test:]
    head, cv = fit_ridge(x[tr], y[tr], alphas, seed=seed)
    pred = np.clip(head.predict(x[te]), *SCORE_RANGE)
    rhos = [spearman(pred[:, j], y[te, j]) for j in range(len(caps))]
    final, _ = fit_ridge(x, y, [head.alpha], seed=seed)
    report = StudentReport(
        n_labelled=len(ok),
        n_train=len(tr),
        n_test=len(te),
        skipped={k: v for k, v in skipped.items() if v},
        spearman={c: None if math.isnan(r) else r for c, r in zip(caps, rhos, strict=True)},
        mae={c: float(np.abs(pred[:, j] - y[te, j]).mean()) for j, c in enumerate(caps)},
        alpha=head.alpha,
        cv_mse={f"{a:g}": v for a, v in cv.items()},
        labels=label_sources(used, caps),
        note=note,
    )
    return StudentModel(
        spec=spec,
        feature_names=feature_names(spec),
        capabilities=caps,
        head=final,
        report=report,
    )


# -- the op ---------------------------------------------------------------------------------


class StudentParams(Params):
    """Parameters of ``student_capability_scorer``."""

    model: str = Field(description="Student model file (.npz from `curate score train-student`).")
    capabilities: tuple[str, ...] | None = Field(
        default=None, description="Capabilities to write (default: all the model predicts)."
    )

    @field_validator("capabilities")
    @classmethod
    def _known(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            unknown = sorted(set(value) - set(CAPABILITIES))
            if unknown or not value:
                raise ValueError(
                    f"unknown capabilities {unknown}; valid: {', '.join(CAPABILITIES)}"
                )
        return value


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


@register("student_capability_scorer")
class StudentCapabilityScorer(Mapper[StudentParams]):
    """Scores samples 0-5 per capability with a trained student (cheap features, CPU, no VLM)."""

    Params = StudentParams
    resources: ClassVar[Resources] = Resources(batch_size=256)

    def __init__(self, params: StudentParams | dict[str, Any] | None = None) -> None:
        super().__init__(params)
        self._model: StudentModel | None = None
        self._provenance: dict[str, Any] = {}
        self._counts = {"scored": 0.0, "failed": 0.0}

    def _load(self) -> StudentModel:
        if self._model is None:
            path = Path(self.params.model)
            model = StudentModel.load(path)
            missing = sorted(set(self.params.capabilities or ()) - set(model.capabilities))
            if missing:
                raise ConfigError(
                    f"student {path} does not predict {missing}; it predicts "
                    f"{', '.join(model.capabilities)}"
                )
            labels = (model.report.labels if model.report else None) or {}
            self._provenance = {
                "student": path.name,
                "sha256": _file_digest(path),
                "format_version": FORMAT_VERSION,
                "capabilities": list(self._written(model)),
                "label_sources": labels.get("sources", []),
                "heuristic": bool(labels.get("heuristic")),
            }
            self._model = model
        return self._model

    def _written(self, model: StudentModel) -> tuple[str, ...]:
        wanted = self.params.capabilities
        return tuple(c for c in model.capabilities if wanted is None or c in wanted)

    def setup(self) -> None:
        """Load the model file (fails the run if it is missing or unreadable)."""
        self._load()

    def output_scores(self) -> list[str]:
        """The capabilities written (read from the model file's header)."""
        return list(self._written(self._load()))

    def metrics(self) -> dict[str, float]:
        """scored / failed sample counts."""
        return dict(self._counts)

    def _drop_unpicklable(self) -> dict[str, Any]:
        return {"_model": None}

    def process_batch(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Featurize and predict a batch; samples whose features fail become errors."""
        model = self._load()
        y, errors = model.predict(samples, self.ctx.root)
        written = self._written(model)
        cols = [model.capabilities.index(c) for c in written]
        out: list[Sample | Exception] = []
        for i, s in enumerate(samples):
            if errors[i] is not None:
                self._counts["failed"] += 1
                out.append(SampleError(f"student features failed: {errors[i]}"))
                continue
            s.scores.update({c: float(y[i, j]) for c, j in zip(written, cols, strict=True)})
            scoring = s.meta.get("scoring")
            if not isinstance(scoring, dict):
                scoring = s.meta["scoring"] = {}
            scoring[self.name] = dict(self._provenance)
            self._counts["scored"] += 1
            out.append(s)
        return out

    def process(self, sample: Sample) -> Sample:
        """Score one sample."""
        [out] = self.process_batch([sample])
        if isinstance(out, Exception):
            raise out
        return out


__all__ = [
    "DEFAULT_ALPHAS",
    "FORMAT",
    "FORMAT_VERSION",
    "FeatureContext",
    "FeatureGroup",
    "FeatureSpec",
    "RidgeHead",
    "StudentCapabilityScorer",
    "StudentModel",
    "StudentParams",
    "StudentReport",
    "feature_groups",
    "feature_names",
    "featurize",
    "fit_ridge",
    "label_sources",
    "rank",
    "register_feature_group",
    "resolve_stat_keys",
    "spearman",
    "train",
]
