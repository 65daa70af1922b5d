"""The lite score ops (no model server): perception stats, capability scores, styles.

- ``lite_perception_mapper``: stats ``lite_perception_mapper.<stat>`` (image statistics,
  OCR where the image has text, the conversation's MiniLM text embedding).
- ``lite_capability_scorer``: ``scores.<capability>`` for the 14 mmSSR capabilities,
  heuristics on the VLM 0-5 scale (:mod:`mmcurate.scorers.lite.capabilities`). Uses the
  perception stats when an earlier op wrote them, computing what is missing.
- ``rule_styler``: ``styles`` from the wording of each turn
  (:mod:`mmcurate.scorers.styler_rules`).

Scoring does not change a sample's content, so the ops update samples in place and return
the same object (the runner then keeps the stats earlier ops wrote). Scorers never drop:
a sample whose media cannot be read or that has no text becomes an error record (the field
named) and gets no scores. Each op records provenance in ``meta["scoring"][<op name>]``
with ``backend: heuristic`` and ``heuristic: true``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from mmcurate.errors import MissingDependencyError
from mmcurate.ops.base import Mapper, Params, Resources, SampleError
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue, strip_placeholders
from mmcurate.scorers import styler_rules
from mmcurate.scorers.lite.capabilities import PROFILES, CapabilityModel, turns
from mmcurate.scorers.lite.embed import ML_HINT, model_dir
from mmcurate.scorers.lite.ocr import TesseractOcr
from mmcurate.scorers.lite.perception import STAT_TYPES, Perceiver, PerceptionParams
from mmcurate.taxonomy import CAPABILITIES, check_capabilities

#: Version of the lite heuristics, recorded in ``meta["scoring"]``.
LITE_VERSION = 1
PERCEPTION_OP = "lite_perception_mapper"
#: Rows per shard for the perceiving ops: a first pass costs ~10 ms (no text) to ~80 ms
#: (OCR) per picture, so a pool of a few thousand rows is still cut into enough shards to
#: keep every worker busy (the executor's default is 1,000+ rows per shard).
SHARD_ROWS = 250


def _record(sample: Sample, op: str, **extra: Any) -> None:
    scoring = sample.meta.get("scoring")
    if not isinstance(scoring, dict):
        scoring = sample.meta["scoring"] = {}
    scoring[op] = {"backend": "heuristic", "heuristic": True, "version": LITE_VERSION, **extra}


def _cache_dir(params: PerceptionParams, work_dir: Path | None) -> Path | None:
    """The perception cache folder: ``cache_dir`` when set (shared across runs), else the
    run's ``<work dir>/cache``."""
    if params.cache_dir:
        return Path(params.cache_dir).expanduser()
    return Path(work_dir) / "cache" if work_dir is not None else None


def _check_dependencies(params: PerceptionParams) -> None:
    """Fail at the run level (before any sample) when OCR or the encoder cannot work."""
    if params.ocr != "never":
        TesseractOcr(lang=params.ocr_lang, engine=params.ocr_engine).check()
    if params.embed:
        model_dir(params.embed_model)
        # find_spec, not import: a fully cached run never needs torch.
        if importlib.util.find_spec("sentence_transformers") is None:
            raise MissingDependencyError(f"sentence-transformers is missing; {ML_HINT}")


#: Perceivers of this process by (settings, media root, cache, pid): an executor sets an op
#: up again for every shard, and a perceiver's loaded state (OCR engine per thread: 0.1-0.4 s
#: each; its threads; the cache connection) should last for the worker's life. Counters are
#: monotonic, so per-shard metrics (differences) stay right.
_PERCEIVERS: dict[tuple[str, str, str, int], Perceiver] = {}
#: At most this many are kept (a long-lived process, e.g. the agent or a test session, sees
#: many settings/work dirs); the least recently used one is closed (its threads end).
MAX_PERCEIVERS = 4


class _PerceivingOp(Mapper[Any]):
    """Shared plumbing: a lazily built :class:`Perceiver` per worker process."""

    _perceiver: Perceiver | None = None

    def _perception_params(self) -> PerceptionParams:
        raise NotImplementedError

    def setup(self) -> None:
        """Check OCR / encoder dependencies; take this process's perceiver for these
        settings (models and OCR engines load on use, once per process)."""
        params = self._perception_params()
        _check_dependencies(params)
        cache = _cache_dir(params, self.ctx.work_dir)
        key = (params.model_dump_json(), str(self.ctx.root), str(cache), os.getpid())
        perceiver = _PERCEIVERS.pop(key, None)
        if perceiver is None:
            while len(_PERCEIVERS) >= MAX_PERCEIVERS:  # least recently set up first
                _PERCEIVERS.pop(next(iter(_PERCEIVERS))).close()
            perceiver = Perceiver(params, self.ctx.root, cache)
        _PERCEIVERS[key] = perceiver
        self._perceiver = perceiver

    @property
    def perceiver(self) -> Perceiver:
        """The worker's perceiver (after :meth:`setup`)."""
        if self._perceiver is None:
            self.ensure_setup()
        assert self._perceiver is not None
        return self._perceiver

    def _drop_unpicklable(self) -> dict[str, Any]:
        return {"_perceiver": None}

    def metrics(self) -> dict[str, float]:
        """Pictures analysed, cache hits, OCR runs/skips/seconds, texts encoded (non-zero
        counters only)."""
        p = self._perceiver
        if p is None:
            return {}
        c = p.counters
        values = {
            "pictures": float(c.pictures),
            "picture_cache_hits": float(c.picture_cache_hits),
            "ocr_runs": float(c.ocr_runs),
            "ocr_skipped": float(c.ocr_skipped),
            "ocr_seconds": round(c.ocr_seconds, 3),
            "texts_encoded": float(p.encoder.encoded),
            "embedding_cache_hits": float(p.encoder.cache_hits),
        }
        return {k: v for k, v in values.items() if v}

    def process(self, sample: Sample) -> Sample:
        """One sample through :meth:`process_batch`."""
        [out] = self.process_batch([sample])
        if isinstance(out, Exception):
            raise out
        return out


@register(PERCEPTION_OP)
class LitePerceptionMapper(_PerceivingOp):
    """Lite perception stats: image statistics, OCR where there is text, text embedding."""

    Params = PerceptionParams
    resources: ClassVar[Resources] = Resources(cpus=1.0, batch_size=64, shard_rows=SHARD_ROWS)

    def _perception_params(self) -> PerceptionParams:
        return self.params

    def output_stats(self) -> dict[str, Any]:
        """``lite_perception_mapper.<stat>`` for every stat (the embedding when enabled)."""
        embed = self.params.embed
        return {
            f"{self.name}.{k}": t for k, t in STAT_TYPES.items() if k != "text_embedding" or embed
        }

    def process_batch(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Stats for a batch (one text-encoder call for the batch)."""
        out: list[Sample | Exception] = []
        for sample, res in zip(samples, self.perceiver.perceive(samples), strict=True):
            if isinstance(res, Exception):
                out.append(res)
                continue
            sample.stats.update({f"{self.name}.{k}": v for k, v in res.items()})
            out.append(sample)
        return out


class LiteCapabilityParams(Params):
    """Parameters of ``lite_capability_scorer``."""

    capabilities: tuple[str, ...] | None = Field(
        None, description="Capability keys to score (default: all 14)."
    )
    integer: bool = Field(False, description="Round scores to integers like the VLM scores.")
    perception: PerceptionParams = Field(
        PerceptionParams.model_validate({}),
        description="Perception settings used for stats an earlier lite_perception_mapper "
        "did not write (and for the capability profiles' embeddings).",
    )

    @field_validator("capabilities")
    @classmethod
    def _known(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return check_capabilities(value)


def _local_stats(sample: Sample) -> dict[str, StatValue]:
    prefix = f"{PERCEPTION_OP}."
    return {k[len(prefix) :]: v for k, v in sample.stats.items() if k.startswith(prefix)}


@register("lite_capability_scorer")
class LiteCapabilityScorer(_PerceivingOp):
    """Heuristic 0-5 scores for the 14 capabilities from text cues and lite perception."""

    Params = LiteCapabilityParams
    resources: ClassVar[Resources] = Resources(cpus=1.0, batch_size=64, shard_rows=SHARD_ROWS)
    _model: CapabilityModel | None = None

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capabilities this op scores, in taxonomy order."""
        return self.params.capabilities or CAPABILITIES

    def _perception_params(self) -> PerceptionParams:
        return self.params.perception

    def output_scores(self) -> list[str]:
        """``scores.<capability>`` for every selected capability."""
        return list(self.capabilities)

    def _drop_unpicklable(self) -> dict[str, Any]:
        return {"_perceiver": None, "_model": None}

    @property
    def model(self) -> CapabilityModel:
        """The capability profiles, embedded with the perception encoder (once)."""
        if self._model is None:
            enc = self.perceiver.encoder
            if self.params.perception.embed:
                protos = {c: enc.encode(list(PROFILES[c])) for c in CAPABILITIES}
            else:
                protos = {c: np.zeros((1, 1), dtype=np.float32) for c in CAPABILITIES}
            self._model = CapabilityModel(protos)
        return self._model

    def process_batch(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Scores for a batch; perception only for samples that lack its stats."""
        stats = [_local_stats(s) for s in samples]
        need = [
            i
            for i, st in enumerate(stats)
            if any(k not in st for k in STAT_TYPES if k != "text_embedding")
            or (self.params.perception.embed and "text_embedding" not in st)
        ]
        fresh = self.perceiver.perceive([samples[i] for i in need]) if need else []
        errors: dict[int, Exception] = {}
        for i, res in zip(need, fresh, strict=True):
            if isinstance(res, Exception):
                errors[i] = res
            else:
                stats[i] = {**res, **stats[i]}
        model = self.model
        embed = self.params.perception.embed
        out: list[Sample | Exception] = []
        for i, sample in enumerate(samples):
            if i in errors:
                out.append(errors[i])
                continue
            qa = turns(sample)
            if not any(q or a for q, a in qa):
                out.append(SampleError("messages: no text to score (every turn is empty)"))
                continue
            vec = stats[i].get("text_embedding") if embed else None
            emb = np.asarray(vec, dtype=np.float32) if isinstance(vec, list) else None
            evidence = model.evidence(qa, emb, stats[i], videos=len(sample.videos))
            scores = model.to_scores(evidence, self.capabilities, integer=self.params.integer)
            sample.scores.update(scores)
            extra = {"capabilities": list(self.capabilities)} if self.params.capabilities else {}
            _record(sample, self.name, method="lite", **extra)
            out.append(sample)
        return out


class RuleStylerParams(Params):
    """Parameters of ``rule_styler``."""

    phrase_max_words: int = Field(
        styler_rules.PHRASE_MAX_WORDS,
        ge=1,
        description="Answers up to this many words are a word/short phrase (no length cue).",
    )
    short_max_words: int = Field(
        styler_rules.SHORT_MAX_WORDS,
        ge=2,
        description="Answers up to this many words are a short description (no length cue).",
    )


@register("rule_styler")
class RuleStyler(Mapper[RuleStylerParams]):
    """Interaction styles (9, multi-label) from the wording of each question and answer."""

    Params = RuleStylerParams

    def process(self, sample: Sample) -> Sample:
        """Write ``styles`` (union over turns, taxonomy order)."""
        p = self.params
        pairs = [(q, a) for q, a in styler_rules.qa_turns(sample) if strip_placeholders(q).strip()]
        if not pairs:
            raise SampleError("messages: no user turn with text to style")
        sample.styles = styler_rules.merge_styles(
            styler_rules.turn_styles(q, a, p.phrase_max_words, p.short_max_words) for q, a in pairs
        )
        _record(sample, self.name, method="rules")
        return sample
