"""VLM capability scorer and styler (mmSSR, arXiv 2503.13383) over the one model client.

Two mapper ops, batched: one :func:`mmcurate.models.generate` call per batch (the client owns
concurrency, retries, the request cache and schema re-asks).

- ``vlm_capability_scorer`` writes ``scores.<capability>`` (floats of the integer 0-5
  ratings). ``mode: one_pass`` (default) asks for every selected capability in ONE
  structured-output request per sample (prompt ``capability_scores``, one prefill);
  ``mode: per_capability`` asks one request per capability (prompt ``capability_score``,
  mmSSR's 14 scorer passes), kept to measure the difference.
- ``vlm_styler`` writes ``styles`` (the 9-way multi-label interaction styles, prompt
  ``interaction_styles``).

The model sees the sample's images (or its videos, sampled to frames by the client) and its
conversation, with ``[image N]`` / ``[video N]`` markers where the placeholders were. The
prompts put the shared part first (system turn: instructions, scale, capability
definitions), then the sample, so vLLM's prefix cache reuses the shared prefix. The scale
and the capability definitions are one versioned rubric file,
``mmcurate/prompts/capability-rubric.v<N>.yaml``, rendered into both scoring prompts.

Provenance goes to ``meta["scoring"][<op name>]``: backend, model, prompt id+version, rubric
version, mode, requests, whether every answer came from the cache, and whether it came from
heuristics. A sample whose answer fails schema validation after the allowed re-asks, or whose
media cannot be read, becomes an error record with no scores (never made-up ones).

Scoring does not change a sample's content, so the ops update the sample in place and
return the same object: the runner then keeps the stats earlier ops computed.

With no model configured (backend ``heuristic``), the three prompts are answered by the lite
scorers: ``lite_capability_scorer`` scores rounded to integers, and the rule styler; those
results (and the provenance the ops write) say ``heuristic: true``.
"""

from __future__ import annotations

import re
import threading
from abc import abstractmethod
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from mmcurate.errors import ConfigError
from mmcurate.io.media import is_uri, resolve_media
from mmcurate.models import (
    GenerationConfig,
    ModelClient,
    ModelConfig,
    Request,
    Result,
    get_client,
    register_heuristic,
)
from mmcurate.models.types import BackendName
from mmcurate.ops.base import BaseParams, Mapper, Resources, SampleError
from mmcurate.ops.registry import register
from mmcurate.prompts import PROMPT_DIR, Prompt, load_prompt
from mmcurate.prompts.schemas import CapabilityScore, InteractionStyles, capability_scores_model
from mmcurate.sample import Sample
from mmcurate.taxonomy import CAPABILITIES, STYLES, check_capabilities

#: Prompt ids of the scorer ops (``load_prompt(id)`` gives the latest version).
ONE_PASS_PROMPT = "capability_scores"
PER_CAPABILITY_PROMPT = "capability_score"
STYLER_PROMPT = "interaction_styles"

_RUBRIC_RE = re.compile(r"^capability-rubric\.v(?P<version>[1-9][0-9]*)\.yaml$")
_MARKER_RE = re.compile(r"<(image|video|audio)>")
_ROLES = {"system": "SYSTEM", "user": "USER", "assistant": "ASSISTANT"}


# -- rubric ---------------------------------------------------------------------------------


class CapabilityRubric(BaseModel):
    """The scale and capability definitions shared by the capability-scoring prompts.

    Attributes:
        version: The rubric version (the file is ``capability-rubric.v<version>.yaml``).
        scale: What each rating 0..5 means.
        capabilities: Capability key -> definition, for every key of the taxonomy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    scale: str
    capabilities: dict[str, str]

    @field_validator("capabilities")
    @classmethod
    def _every_capability_defined(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(CAPABILITIES):
            missing = sorted(set(CAPABILITIES) - set(value))
            unknown = sorted(set(value) - set(CAPABILITIES))
            raise ValueError(
                f"capabilities must be the taxonomy's: missing {missing}, unknown {unknown}"
            )
        return {c: " ".join(value[c].split()) for c in CAPABILITIES}

    def listing(self, capabilities: Sequence[str]) -> str:
        """``- key: definition`` lines for ``capabilities`` (taxonomy order)."""
        return "\n".join(
            f"- {c}: {self.capabilities[c]}" for c in CAPABILITIES if c in capabilities
        )


def rubric_versions(folder: Path = PROMPT_DIR) -> list[int]:
    """Versions of the capability rubric that exist, sorted."""
    found = (_RUBRIC_RE.match(p.name) for p in folder.glob("capability-rubric.v*.yaml"))
    return sorted(int(m["version"]) for m in found if m)


@cache
def load_rubric(version: int | None = None, folder: Path = PROMPT_DIR) -> CapabilityRubric:
    """Load the capability rubric (latest version by default).

    Raises:
        ConfigError: No such version, or a file that does not validate.
    """
    versions = rubric_versions(folder)
    if version is None and versions:
        version = versions[-1]
    if version not in versions:
        raise ConfigError(
            f"capability rubric v{version} not found in {folder}; versions: {versions}"
        )
    path = folder / f"capability-rubric.v{version}.yaml"
    try:
        rubric = CapabilityRubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as err:
        raise ConfigError(f"capability rubric {path}: {err}") from err
    if rubric.version != version:
        raise ConfigError(f"{path} says version {rubric.version}, its name says v{version}")
    return rubric


# -- the sample as the model sees it --------------------------------------------------------


def _cap_lengths(lengths: list[int], budget: int) -> int:
    """The largest per-turn cap ``L`` with ``sum(min(n, L)) <= budget`` (water-filling)."""
    lo, hi = 0, max(lengths, default=0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(n, mid) for n in lengths) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def render_conversation(sample: Sample, max_chars: int = 4000) -> str:
    """The sample's turns as ``USER: ...`` / ``ASSISTANT: ...`` lines for a scoring prompt.

    Media placeholders become numbered markers (``[image 1]``, ``[video 1]``; audio is not
    shown to the model and says so). When the turns are longer than ``max_chars`` in total,
    the longest turns are cut first (each cut turn ends with ``[...]``), so every turn keeps
    its beginning.
    """
    counts = {"image": 0, "video": 0, "audio": 0}

    def marker(m: re.Match[str]) -> str:
        kind = m[1]
        counts[kind] += 1
        suffix = ": not shown" if kind == "audio" else ""
        return f"[{kind} {counts[kind]}{suffix}]"

    turns = [(m.role, _MARKER_RE.sub(marker, m.content).strip()) for m in sample.messages]
    total = sum(len(t) for _, t in turns)
    if total > max_chars:
        cap = _cap_lengths([len(t) for _, t in turns], max_chars - 6 * len(turns))
        turns = [(r, t if len(t) <= cap else t[:cap].rstrip() + " [...]") for r, t in turns]
    return "\n".join(f"{_ROLES.get(r, r.upper())}: {t}" for r, t in turns)


def sample_request(
    prompt: Prompt,
    values: dict[str, Any],
    sample: Sample,
    root: Path,
    *,
    include_media: bool = True,
    max_chars: int = 4000,
    meta: dict[str, Any] | None = None,
) -> Request:
    """One request of ``prompt`` about ``sample``: the prompt's system turn, then the sample's
    media (images, then videos) and the prompt's user text with the rendered conversation.

    The request's ``meta`` carries the sample's original turns plus ``meta`` (e.g. the
    capability a per-capability request asks about) for heuristic handlers (see
    :func:`request_sample`); it is part of the cache key, and holds nothing that the prompt
    does not already show.
    """
    conversation = render_conversation(sample, max_chars)
    return prompt.request(
        {**values, "conversation": conversation},
        images=list(sample.images) if include_media else [],
        videos=list(sample.videos) if include_media else [],
        key=sample.id,
        meta={"messages": [m.model_dump() for m in sample.messages], **(meta or {})},
        media_root=root,
    )


def request_sample(request: Request) -> Sample:
    """The sample a request from :func:`sample_request` is about, for heuristic handlers.

    Media paths are the request's resolved (absolute) paths or URIs; stats and scores are
    empty.
    """
    from mmcurate.models.types import ImagePart, VideoPart

    images: list[str] = []
    videos: list[str] = []
    for msg in request.messages:
        for part in msg.parts():
            if isinstance(part, ImagePart) and isinstance(part.image, str | Path):
                images.append(str(part.image))
            elif isinstance(part, VideoPart) and isinstance(part.video, str | Path):
                videos.append(str(part.video))
    return Sample.model_validate(
        {
            "id": request.key or "request",
            "images": images,
            "videos": videos,
            "messages": request.meta.get("messages", []),
        }
    )


# -- model calls and their accounting -------------------------------------------------------


#: :class:`~mmcurate.models.ModelConfig` settings a VLM op's params may set for that op.
MODEL_SETTINGS = ("device", "dtype", "batch_size", "cache")


class VlmParams(BaseParams):
    """Model and prompt settings shared by the VLM scorer ops.

    ``backend``/``url``/``model`` and the settings in :data:`MODEL_SETTINGS` (``device``,
    ``dtype``, ``batch_size``, ``cache``) override the model configuration for this op only,
    so a recipe records them; unset (``None``) fields resolve the usual way (environment,
    config file, defaults: see docs/models.md). Set settings are checked against
    :class:`~mmcurate.models.ModelConfig`'s own field types and limits.
    """

    backend: BackendName | None = Field(
        default=None, description="Model backend; default: the configured one (MMCURATE_BACKEND)."
    )
    url: str | None = Field(default=None, description="vLLM server URL (vllm-server backend).")
    model: str | None = Field(default=None, description="Served model name or local model dir.")
    prompt_version: int | None = Field(
        default=None, ge=1, description="Pin the prompt version (default: the latest)."
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="Generated-token bound per request (default: by prompt)."
    )
    max_reasks: int = Field(
        default=1, ge=0, description="Re-asks after an answer fails schema validation."
    )
    include_media: bool = Field(
        default=True, description="Show the images/video frames (False: the conversation only)."
    )
    max_text_chars: int = Field(
        default=4000, ge=200, description="Conversation characters shown; longest turns cut first."
    )

    device: str | None = Field(
        default=None,
        description="auto, cpu, cuda or cuda:N (transformers); default: the configured one "
        "(MMCURATE_DEVICE).",
    )
    dtype: str | None = Field(
        default=None,
        description="auto, float32, bfloat16 or float16 (in-process backends); default: the "
        "configured one (MMCURATE_DTYPE).",
    )
    batch_size: int | None = Field(
        default=None,
        description="Requests per generate batch, >= 1 (in-process backends); default: the "
        "configured one (MMCURATE_BATCH_SIZE).",
    )
    cache: bool | None = Field(
        default=None,
        description="Use the on-disk request cache; default: the configured one (MMCURATE_CACHE).",
    )

    @field_validator(*MODEL_SETTINGS)
    @classmethod
    def _valid_model_setting(cls, value: Any, info: ValidationInfo) -> Any:
        """A set value must be valid for :class:`ModelConfig` (its types, limits, validators)."""
        if value is None:
            return None
        name = info.field_name
        assert name is not None
        try:
            checked = ModelConfig.model_validate({name: value})
        except ValidationError as err:
            msg = "; ".join(e["msg"] for e in err.errors())
            raise PydanticCustomError("model_setting", msg) from None
        return getattr(checked, name)

    def overrides(self) -> dict[str, Any]:
        """The model-configuration fields set here (for :func:`mmcurate.models.get_client`)."""
        out = {k: getattr(self, k) for k in ("backend", "url", "model") if getattr(self, k)}
        out.update({k: getattr(self, k) for k in MODEL_SETTINGS if getattr(self, k) is not None})
        return out


#: Counters every VLM scorer op reports through ``metrics()``.
METRIC_KEYS = (
    "requests",
    "cache_hits",
    "cache_misses",
    "prompt_tokens",
    "completion_tokens",
    "failed_requests",
    "reasks",
)


class ModelCalls:
    """A lazily created model client plus the counters of the calls made through it.

    Tokens count what the model processed in this process: a cache hit costs none, so its
    stored token counts are not added.
    """

    def __init__(self, overrides: dict[str, Any]) -> None:
        """Keep the configuration overrides; the client is created on first use."""
        self.overrides = overrides
        self._client: ModelClient | None = None
        self.counters = dict.fromkeys(METRIC_KEYS, 0.0)

    @property
    def client(self) -> ModelClient:
        """The client (configuration resolved, backend created on first use)."""
        if self._client is None:
            self._client = get_client(**self.overrides)
        return self._client

    def use(self, client: ModelClient) -> None:
        """Use a ready client (tests, benchmarks sharing one loaded model)."""
        self._client = client

    def check(self) -> None:
        """Fail fast (run level) when the backend cannot be used at all, e.g. server down."""
        self.client.backend.check()

    def generate(
        self, requests: Sequence[Request], schema: type[BaseModel], config: GenerationConfig
    ) -> list[Result]:
        """Run requests through the client and count them."""
        results = self.client.generate(requests, schema=schema, config=config)
        client = self.client
        cacheable = client.cache is not None and client.backend.cacheable
        c = self.counters
        for r in results:
            c["requests"] += 1
            if r.cached:
                c["cache_hits"] += 1
                continue
            if cacheable:
                c["cache_misses"] += 1
            c["prompt_tokens"] += r.prompt_tokens or 0
            c["completion_tokens"] += r.completion_tokens or 0
            c["reasks"] += max(r.attempts - 1, 0)
            if not r.ok:
                c["failed_requests"] += 1
        return results

    def metrics(self) -> dict[str, float]:
        """The counters (they only grow)."""
        return dict(self.counters)

    def close(self) -> None:
        """Release the client."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _record(sample: Sample, op: str, results: Sequence[Result], extra: dict[str, Any]) -> None:
    first = results[0]
    scoring = sample.meta.get("scoring")
    if not isinstance(scoring, dict):
        scoring = sample.meta["scoring"] = {}
    scoring[op] = {
        "backend": first.backend,
        "model": first.model,
        "prompt_id": first.prompt_id,
        "prompt_version": first.prompt_version,
        **extra,
        "requests": len(results),
        "cached": all(r.cached for r in results),
        "heuristic": any(r.heuristic for r in results),
    }


def _failure(results: Sequence[Result], labels: Sequence[str] | None = None) -> str | None:
    for i, r in enumerate(results):
        if not r.ok:
            where = f"{labels[i]}: " if labels else ""
            return f"{where}{r.error}"
    return None


VP = TypeVar("VP", bound=VlmParams)


class _VlmMapper(Mapper[VP]):
    """Not an op: what the VLM scorer ops share (lazy client, metrics, single-sample path)."""

    resources: ClassVar[Resources] = Resources(batch_size=64)

    def __init__(self, params: BaseParams | dict[str, Any] | None = None) -> None:
        super().__init__(params)
        self.calls = ModelCalls(self.params.overrides())
        self._prompt(self.prompt_id())  # an unknown prompt_version fails here, before a run

    @abstractmethod
    def prompt_id(self) -> str:
        """The id of the prompt this op sends."""

    def setup(self) -> None:
        """Resolve the model configuration and check the backend (a server that is down
        fails the run here, not every sample)."""
        self.calls.check()

    def metrics(self) -> dict[str, float]:
        """requests, cache_hits, cache_misses, prompt_tokens, completion_tokens,
        failed_requests and reasks since the op was created."""
        return self.calls.metrics()

    def _drop_unpicklable(self) -> dict[str, Any]:
        calls = ModelCalls(self.calls.overrides)
        calls.counters = dict(self.calls.counters)
        return {"calls": calls}

    def _prompt(self, prompt_id: str) -> Prompt:
        return load_prompt(prompt_id, self.params.prompt_version)

    def _request(
        self,
        prompt: Prompt,
        values: dict[str, Any],
        sample: Sample,
        meta: dict[str, Any] | None = None,
    ) -> Request:
        return sample_request(
            prompt,
            values,
            sample,
            self.ctx.root,
            include_media=self.params.include_media,
            max_chars=self.params.max_text_chars,
            meta=meta,
        )

    def _generation(self, default_max_tokens: int) -> GenerationConfig:
        return GenerationConfig(
            max_tokens=self.params.max_tokens or default_max_tokens,
            max_reasks=self.params.max_reasks,
        )

    def media_problem(self, sample: Sample) -> str | None:
        """Why a sample's local media cannot be sent (a missing file), else ``None``.

        Files that exist but do not decode are reported by the model client per request.
        """
        if not self.params.include_media:
            return None
        for field_name in ("images", "videos"):
            for k, ref in enumerate(getattr(sample, field_name)):
                if is_uri(ref):
                    continue
                path = resolve_media(self.ctx.root, ref)
                if not Path(path).is_file():
                    return f"{field_name}[{k}]: cannot read {ref}: file not found ({path})"
        return None

    def process_batch(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """One ``generate`` call for the batch's samples whose media exist; the others, and
        samples whose answers fail, become :class:`SampleError` values (no scores)."""
        out: list[Sample | Exception | None] = [None] * len(samples)
        ready: list[int] = []
        for i, s in enumerate(samples):
            problem = self.media_problem(s)
            if problem is None:
                ready.append(i)
            else:
                out[i] = SampleError(problem)
        if ready:
            for i, res in zip(ready, self._score([samples[i] for i in ready]), strict=True):
                out[i] = res
        return [o if o is not None else SampleError("not scored") for o in out]

    @abstractmethod
    def _score(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Score samples whose media exist (one result per sample, in order)."""

    def process(self, sample: Sample) -> Sample:
        """Score one sample (see :meth:`process_batch`)."""
        [out] = self.process_batch([sample])
        if isinstance(out, Exception):
            raise out
        return out


# -- the ops --------------------------------------------------------------------------------


class CapabilityScorerParams(VlmParams):
    """Parameters of ``vlm_capability_scorer``."""

    mode: Literal["one_pass", "per_capability"] = Field(
        default="one_pass",
        description="one_pass: all capabilities in one request per sample; per_capability: "
        "one request per capability (mmSSR's passes, for comparison).",
    )
    capabilities: tuple[str, ...] | None = Field(
        default=None, description="Capability keys to score (default: all 14)."
    )
    rubric_version: int | None = Field(
        default=None, ge=1, description="Pin the capability rubric version (default: latest)."
    )

    @field_validator("capabilities")
    @classmethod
    def _known(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return check_capabilities(value)


@register("vlm_capability_scorer")
class VlmCapabilityScorer(_VlmMapper[CapabilityScorerParams]):
    """Scores samples 0-5 on each mmSSR capability with a VLM (one request per sample)."""

    Params = CapabilityScorerParams

    def __init__(self, params: CapabilityScorerParams | dict[str, Any] | None = None) -> None:
        super().__init__(params)
        load_rubric(self.params.rubric_version)  # an unknown rubric fails here, before a run

    def prompt_id(self) -> str:
        """``capability_scores`` (one_pass) or ``capability_score`` (per_capability)."""
        return ONE_PASS_PROMPT if self.params.mode == "one_pass" else PER_CAPABILITY_PROMPT

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capabilities this op scores, in taxonomy order."""
        return self.params.capabilities or CAPABILITIES

    def output_scores(self) -> list[str]:
        """``scores.<capability>`` for every selected capability."""
        return list(self.capabilities)

    def _score(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Score samples with one ``generate`` call; failed samples become errors."""
        rubric = load_rubric(self.params.rubric_version)
        caps = self.capabilities
        out: list[Sample | Exception] = []
        if self.params.mode == "one_pass":
            prompt = self._prompt(self.prompt_id())
            values = {"scale": rubric.scale.strip(), "capabilities": rubric.listing(caps)}
            schema = capability_scores_model(caps)
            reqs = [self._request(prompt, values, s) for s in samples]
            results = self.calls.generate(reqs, schema, self._generation(48 * len(caps) + 32))
            per_sample = [[r] for r in results]
        else:
            prompt = self._prompt(self.prompt_id())
            scale = rubric.scale.strip()
            reqs = [
                self._request(
                    prompt,
                    {"capability": c, "definition": rubric.capabilities[c], "scale": scale},
                    s,
                    {"capability": c},
                )
                for s in samples
                for c in caps
            ]
            results = self.calls.generate(reqs, CapabilityScore, self._generation(32))
            k = len(caps)
            per_sample = [results[i * k : (i + 1) * k] for i in range(len(samples))]
        extra = {
            "rubric_version": rubric.version,
            "mode": self.params.mode,
            "capabilities": list(caps),
        }
        for sample, res in zip(samples, per_sample, strict=True):
            reason = _failure(res, None if self.params.mode == "one_pass" else caps)
            if reason is not None:
                out.append(SampleError(f"capability scoring failed: {reason}"))
                continue
            if self.params.mode == "one_pass":
                values = res[0].parsed.model_dump()
            else:
                values = {c: r.parsed.score for c, r in zip(caps, res, strict=True)}
            sample.scores.update({c: float(values[c]) for c in caps})
            _record(sample, self.name, res, extra)
            out.append(sample)
        return out


class StylerParams(VlmParams):
    """Parameters of ``vlm_styler``."""


@register("vlm_styler")
class VlmStyler(_VlmMapper[StylerParams]):
    """Labels each sample's interaction styles (9-way multi-label, mmSSR's styler) with a VLM."""

    Params = StylerParams

    def prompt_id(self) -> str:
        """``interaction_styles``."""
        return STYLER_PROMPT

    def _score(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Label samples with one ``generate`` call; failed samples become errors."""
        prompt = self._prompt(self.prompt_id())
        reqs = [self._request(prompt, {}, s) for s in samples]
        results = self.calls.generate(reqs, InteractionStyles, self._generation(256))
        out: list[Sample | Exception] = []
        for sample, r in zip(samples, results, strict=True):
            if not r.ok:
                out.append(SampleError(f"style labelling failed: {r.error}"))
                continue
            sample.styles = [s for s in STYLES if s in r.parsed.styles]
            _record(sample, self.name, [r], {})
            out.append(sample)
        return out


# -- heuristic answers (backend "heuristic") --------------------------------------------------
# With no model configured, the ``heuristic`` backend answers the three scorer prompts from
# the lite scorers: ``lite_capability_scorer`` (integer scores) and the rule styler. Every
# such result is marked ``heuristic=True``, and so is the provenance the ops write.

_LITE_MEMO_SIZE = 256


class _LiteAnswers:
    """A lazily built ``lite_capability_scorer`` plus a small memo, so the 14 requests of a
    per-capability pass perceive a sample once."""

    def __init__(self) -> None:
        self._op: Any = None
        self._memo: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def scores(self, request: Request) -> dict[str, float]:
        sample = request_sample(request)
        key = sample.model_dump_json(include={"images", "videos", "messages"})
        with self._lock:
            if key not in self._memo:
                if self._op is None:
                    from mmcurate.ops.base import OpContext
                    from mmcurate.ops.registry import create

                    op = create("lite_capability_scorer", {"integer": True})
                    op.bind(OpContext(root=Path("/")))  # request media paths are absolute
                    op.ensure_setup()
                    self._op = op
                [out] = self._op.process_batch([sample])
                if isinstance(out, Exception):
                    raise out
                if len(self._memo) >= _LITE_MEMO_SIZE:
                    self._memo.pop(next(iter(self._memo)))
                self._memo[key] = dict(out.scores)
            return self._memo[key]


_lite = _LiteAnswers()


@register_heuristic(ONE_PASS_PROMPT)
def _heuristic_capability_scores(
    request: Request, schema: type[BaseModel] | None
) -> dict[str, int]:
    """All requested capability scores from the lite scorer (rounded to integers)."""
    scores = _lite.scores(request)
    fields = schema.model_fields if schema is not None else CAPABILITIES
    return {c: round(scores[c]) for c in fields}


@register_heuristic(PER_CAPABILITY_PROMPT)
def _heuristic_capability_score(request: Request, schema: type[BaseModel] | None) -> dict[str, int]:
    """One capability's score (``request.meta["capability"]``) from the lite scorer."""
    return {"score": round(_lite.scores(request)[request.meta["capability"]])}


@register_heuristic(STYLER_PROMPT)
def _heuristic_styles(request: Request, schema: type[BaseModel] | None) -> dict[str, list[str]]:
    """Styles from the rule styler."""
    from mmcurate.scorers.styler_rules import sample_styles

    return {"styles": sample_styles(request_sample(request))}


__all__ = [
    "METRIC_KEYS",
    "ONE_PASS_PROMPT",
    "PER_CAPABILITY_PROMPT",
    "STYLER_PROMPT",
    "CapabilityRubric",
    "CapabilityScorerParams",
    "ModelCalls",
    "VlmCapabilityScorer",
    "VlmParams",
    "StylerParams",
    "VlmStyler",
    "load_rubric",
    "render_conversation",
    "request_sample",
    "rubric_versions",
    "sample_request",
]
