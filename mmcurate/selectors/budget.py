"""The one budget type every selector takes: a row count, a ratio or a token budget.

Forms (YAML, Python or ``--budget`` on the CLI)::

    budget: 1000            # rows ("1000", "10k", "1.5M", "1000 rows" too)
    budget: "30%"           # a ratio of the pool (a float in (0, 1], e.g. 0.3, too)
    budget: "2M tokens"     # text tokens + a declared cost per image / video

A ratio resolves to ``floor(n * ratio)`` rows (as Data-Juicer's ``random_selector`` and
mmSSR's ``int(TOTAL_LEN * ratio)``). A token budget counts, per sample:

- text tokens: ``ceil(utf8_bytes / 4)`` of the conversation's message contents, media
  placeholders excluded (a documented approximation: chars / 4 on English text, where BPE
  tokenizers average about 4 characters per token, and closer than chars / 4 on CJK text,
  about 1 token per character; no tokenizer download; computed from Arrow's string
  offsets alone, so it costs nothing on millions of rows), or the exact count of a Hugging
  Face tokenizer named by the ``tokenizer`` parameter;
- ``image_tokens`` per image and ``video_tokens`` per video (declared costs: 576 is
  LLaVA-1.5's 24x24 patches of a 336 px image; set your model's number).

Every sample costs at least one token. Selectors never exceed the budget; when a budget
covers the whole pool they return it whole and warn (:class:`SelectionWarning`).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from mmcurate.errors import ConfigError, MissingDependencyError
from mmcurate.ops.base import DatasetView, Params

BudgetKind = Literal["count", "ratio", "tokens"]

_MULT = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000, "g": 1_000_000_000}
_BUDGET_RE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?P<mult>[kKmMbBgG]?)\s*"
    r"(?P<unit>%|tokens?|toks?|rows?|samples?)?\s*$"
)
_FORMS = '1000, "10k", "30%", 0.3 or "2M tokens"'

#: UTF-8 bytes per text token in the default approximation.
BYTES_PER_TOKEN = 4


class SelectionWarning(UserWarning):
    """A selection that could not do exactly what was asked (pool smaller than the budget,
    budget not filled because candidates ran out, ...)."""


class Budget(BaseModel):
    """How much to select: ``count`` rows, a ``ratio`` of the pool, or ``tokens``.

    Parse from ``1000``, ``"10k"``, ``"30%"``, ``0.3``, ``"2M tokens"``; serialises back
    to the same short form (an int or a string), so recipes round-trip.

    Attributes:
        kind: ``count``, ``ratio`` or ``tokens``.
        value: Rows, the fraction in (0, 1], or tokens.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: BudgetKind
    value: float = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, Budget):
            return data
        if isinstance(data, bool):
            raise ValueError(f"budget must be one of {_FORMS}; got {data!r}")
        if isinstance(data, int):
            if data < 0:
                raise ValueError(f"a row budget must be >= 0, got {data}")
            return {"kind": "count", "value": data}
        if isinstance(data, float):
            if 0 < data <= 1:
                return {"kind": "ratio", "value": data}
            if data > 1 and data.is_integer():
                return {"kind": "count", "value": data}
            raise ValueError(
                f"a float budget is a ratio in (0, 1] (or a whole row count); got {data}"
            )
        if isinstance(data, str):
            return _parse_text(data)
        return data

    @model_validator(mode="after")
    def _check(self) -> Budget:
        if self.kind == "ratio" and not 0 < self.value <= 1:
            raise ValueError(f"a ratio budget must be in (0, 100%], got {self.value:g}")
        if self.kind != "ratio" and not float(self.value).is_integer():
            raise ValueError(f"a {self.kind} budget must be a whole number, got {self.value}")
        return self

    @model_serializer
    def _serialise(self) -> int | str:
        return self.short()

    def short(self) -> int | str:
        """The short form: ``1000``, ``"30%"`` or ``"2000000 tokens"``."""
        if self.kind == "count":
            return int(self.value)
        if self.kind == "ratio":
            return f"{self.value * 100:.10g}%"
        return f"{int(self.value)} tokens"

    def __str__(self) -> str:
        return str(self.short())

    @property
    def unit(self) -> Literal["rows", "tokens"]:
        """What the resolved limit counts."""
        return "tokens" if self.kind == "tokens" else "rows"


def _parse_text(text: str) -> dict[str, Any]:
    m = _BUDGET_RE.match(text)
    if m is None:
        raise ValueError(f"budget must be one of {_FORMS}; got {text!r}")
    num = float(m["num"]) * _MULT[m["mult"].lower()]
    unit = (m["unit"] or "").lower()
    if unit == "%":
        if m["mult"]:
            raise ValueError(f"a percentage takes no k/M suffix: {text!r}")
        return {"kind": "ratio", "value": num / 100}
    if unit.startswith("tok"):
        return {"kind": "tokens", "value": _whole(num, text)}
    if not unit and not m["mult"] and "." in m["num"] and 0 < num <= 1:
        return {"kind": "ratio", "value": num}
    return {"kind": "count", "value": _whole(num, text)}


def _whole(num: float, text: str) -> float:
    if not math.isclose(num, round(num), rel_tol=0, abs_tol=1e-6):
        raise ValueError(f"a row or token budget must be a whole number: {text!r}")
    return float(round(num))


def _image_tokens() -> Any:
    return Field(
        576, ge=0, description="Token budgets: declared tokens per image (576: LLaVA-1.5, 336px)."
    )


def _video_tokens() -> Any:
    return Field(
        2304, ge=0, description="Token budgets: declared tokens per video (e.g. 4 frames x 576)."
    )


def _tokenizer() -> Any:
    return Field(
        None,
        description="Token budgets: a Hugging Face tokenizer (name or local dir) for exact "
        "text tokens; default: ceil(UTF-8 bytes / 4).",
    )


class TokenCostParams(Params):
    """How token budgets count a sample (selectors whose budget is optional)."""

    image_tokens: int = _image_tokens()
    video_tokens: int = _video_tokens()
    tokenizer: str | None = _tokenizer()


class BudgetParams(Params):
    """Parameters every budgeted selector shares: the budget and how tokens are counted."""

    budget: Budget = Field(
        description='How much to select: rows (1000, "10k"), a ratio ("30%") or tokens '
        '("2M tokens").'
    )
    image_tokens: int = _image_tokens()
    video_tokens: int = _video_tokens()
    tokenizer: str | None = _tokenizer()


@dataclass(frozen=True)
class BudgetPlan:
    """A budget resolved against one pool.

    Attributes:
        budget: The request.
        n: Rows in the pool.
        limit: The limit in rows, or in tokens for a token budget.
        costs: Tokens per row (token budgets only); ``None`` means every row costs 1.
    """

    budget: Budget
    n: int
    limit: int
    costs: np.ndarray | None = None

    @property
    def unit(self) -> Literal["rows", "tokens"]:
        """``rows`` or ``tokens``."""
        return self.budget.unit

    @property
    def pool_total(self) -> int:
        """The whole pool's size in the budget's unit."""
        return self.n if self.costs is None else int(self.costs.sum())

    def total(self, rows: np.ndarray) -> int:
        """Size of ``rows`` in the budget's unit."""
        if self.costs is None:
            return int(len(rows))
        return int(self.costs[np.asarray(rows, dtype=np.int64)].sum())

    def covers_pool(self) -> bool:
        """Whether the whole pool fits in the budget."""
        return self.limit >= self.pool_total

    def weights(self) -> np.ndarray | None:
        """Per-row costs for token budgets, ``None`` for row budgets."""
        return self.costs

    def prefix(self, order: np.ndarray) -> np.ndarray:
        """The longest prefix of ``order`` (rows, best first) that fits in the budget.

        A token budget stops at the first row that does not fit (no skipping ahead), so
        the result is always "the best-ranked rows whose total fits".
        """
        order = np.asarray(order, dtype=np.int64)
        if self.costs is None:
            return order[: self.limit]
        cum = np.cumsum(self.costs[order])
        return order[: int(np.searchsorted(cum, self.limit, side="right"))]

    def describe(self) -> str:
        """``"1000 rows"`` / ``"2000000 tokens"`` with the request when it differs."""
        text = f"{self.limit} {self.unit}"
        return f"{text} ({self.budget})" if self.budget.kind == "ratio" else text


def plan_budget(
    params: TokenCostParams | BudgetParams, view: DatasetView, budget: Budget | None = None
) -> BudgetPlan:
    """Resolve ``budget`` (default: ``params.budget``) against the pool in ``view``."""
    chosen = budget if budget is not None else getattr(params, "budget", None)
    if chosen is None:
        raise ValueError("no budget to resolve")
    return resolve_budget(
        chosen,
        view,
        image_tokens=params.image_tokens,
        video_tokens=params.video_tokens,
        tokenizer=params.tokenizer,
    )


def resolve_budget(
    budget: Budget,
    view: DatasetView,
    image_tokens: int = 576,
    video_tokens: int = 2304,
    tokenizer: str | None = None,
) -> BudgetPlan:
    """Resolve a budget for a pool (token costs are computed only for token budgets)."""
    n = len(view.dataset)
    if budget.kind == "count":
        return BudgetPlan(budget, n, int(budget.value))
    if budget.kind == "ratio":
        return BudgetPlan(budget, n, int(n * budget.value))
    costs = token_costs(view, image_tokens, video_tokens, tokenizer)
    return BudgetPlan(budget, n, int(budget.value), costs)


def whole_pool(plan: BudgetPlan, op_name: str) -> list[int]:
    """Every row, with a :class:`SelectionWarning` that the budget covers the pool."""
    warnings.warn(
        f"{op_name}: the budget ({plan.describe()}) covers the whole pool "
        f"({plan.pool_total} {plan.unit}); returning all {plan.n} rows",
        SelectionWarning,
        stacklevel=2,
    )
    return list(range(plan.n))


def warn_short(
    plan: BudgetPlan, chosen: np.ndarray, op_name: str, why: str, slack: int | None = None
) -> None:
    """Warn when a selection ends more than ``slack`` under budget (default: one row's
    cost for token budgets, nothing for row budgets) because candidates ran out."""
    got = plan.total(chosen)
    if slack is None:
        slack = 0 if plan.costs is None else int(plan.costs.max())
    if plan.limit - got > slack:
        warnings.warn(
            f"{op_name}: selected {len(chosen)} rows ({got} of {plan.limit} {plan.unit}): {why}",
            SelectionWarning,
            stacklevel=2,
        )


# --------------------------------------------------------------------------- token costs
def token_costs(
    view: DatasetView,
    image_tokens: int = 576,
    video_tokens: int = 2304,
    tokenizer: str | None = None,
) -> np.ndarray:
    """Estimated training tokens per row (int64, each >= 1), read column-wise.

    Text: ``ceil(utf8_bytes / 4)`` of every message's content without media placeholders,
    or exact counts from ``tokenizer``. Media: ``image_tokens`` per image, ``video_tokens``
    per video.
    """
    from mmcurate.selectors.columns import list_lengths, text_bytes, texts

    ds = view.dataset
    if tokenizer is None:
        text = -(-text_bytes(ds) // BYTES_PER_TOKEN)
    else:
        text = _tokenizer_counts(texts(ds), tokenizer)
    media = list_lengths(ds, "images") * image_tokens + list_lengths(ds, "videos") * video_tokens
    return np.maximum(text + media, 1).astype(np.int64)


def _tokenizer_counts(items: list[str], name: str) -> np.ndarray:
    try:
        from transformers import AutoTokenizer
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "the tokenizer parameter needs transformers: pip install 'mmcurate[ml]'"
        ) from None
    try:
        tok = AutoTokenizer.from_pretrained(name)
    except Exception as err:  # noqa: BLE001 - any load failure is a config problem
        raise ConfigError(f"cannot load tokenizer '{name}': {err}") from None
    out = np.zeros(len(items), dtype=np.int64)
    step = 4096
    for start in range(0, len(items), step):
        enc = tok(items[start : start + step], add_special_tokens=False)["input_ids"]
        out[start : start + len(enc)] = [len(e) for e in enc]
    return out
