"""Held-out multimodal QA evaluation through the one model interface.

A QA set is a jsonl file, one item per line::

    {"id": "qa-0001", "images": ["media/x.png"], "videos": [],
     "question": "How many shapes are in the image?",
     "choices": ["2", "3", "4", "5"], "answer": "3"}

``choices`` makes a multiple-choice item: the model is asked for the option's letter with
structured output (:class:`ChoiceAnswer`), and the item is correct when the letter names the
answer. Without ``choices`` the model answers freely and the answer is compared by
*normalised exact match* (lower case, punctuation, articles and extra spaces removed), a
strict metric; with a judge, a second model decides with the ``eval_judge`` prompt
(:class:`JudgeVerdict`). Media paths are relative to the QA file's folder.

Every model call goes through :mod:`mmcurate.models` (retries, cache, provenance).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from mmcurate.errors import ConfigError
from mmcurate.models import GenerationConfig, ModelClient, Request, Result
from mmcurate.prompts import load_prompt
from mmcurate.prompts.schemas import printable

ANSWER_PROMPT = "eval_answer"
JUDGE_PROMPT = "eval_judge"
LETTERS = string.ascii_uppercase


class QAItem(BaseModel):
    """One held-out question.

    Attributes:
        id: Unique id.
        images: Image paths (relative to the QA file's folder, or absolute).
        videos: Video paths.
        question: The question text.
        choices: Options of a multiple-choice item (2..26), or ``None`` for an open item.
        answer: The correct option's text (multiple choice) or the reference answer.
        meta: Anything else (e.g. the capability the item probes).
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    images: list[str] = Field(default_factory=list)
    videos: list[str] = Field(default_factory=list)
    question: str = Field(min_length=1)
    choices: list[str] | None = None
    answer: str
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> QAItem:
        if self.choices is not None:
            if not 2 <= len(self.choices) <= len(LETTERS):
                raise ValueError(f"choices must have 2..{len(LETTERS)} options")
            if self.answer not in self.choices:
                raise ValueError(f"answer {self.answer!r} is not one of the choices")
        return self

    @property
    def kind(self) -> str:
        """``mc`` (multiple choice) or ``open``."""
        return "open" if self.choices is None else "mc"


class ChoiceAnswer(BaseModel):
    """Structured answer to a multiple-choice item: the option's letter."""

    model_config = ConfigDict(extra="forbid")

    answer: str = Field(pattern=r"^[A-Z]$")


@cache
def choice_schema(n_choices: int) -> type[ChoiceAnswer]:
    """:class:`ChoiceAnswer` narrowed to the first ``n_choices`` letters, so constrained
    decoding can only pick an offered option (a random model scores chance, not zero)."""
    last = LETTERS[n_choices - 1]
    return create_model(
        f"ChoiceAnswer{n_choices}",
        __base__=ChoiceAnswer,
        answer=(str, Field(pattern=rf"^[A-{last}]$")),
    )


class JudgeVerdict(BaseModel):
    """The judge's decision on one open answer."""

    model_config = ConfigDict(extra="forbid")

    correct: bool
    reason: str = Field(pattern=printable(120))


def load_qa(path: Path) -> list[QAItem]:
    """Read a QA jsonl file.

    Raises:
        ConfigError: A line that is not JSON or not a valid item (names file, line and
            field), duplicate ids, or an empty file.
    """
    if not path.is_file():
        raise ConfigError(f"QA file not found: {path}")
    items: list[QAItem] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = QAItem.model_validate(json.loads(line))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}:{n}: not JSON ({err})") from err
        except ValidationError as err:
            e = err.errors()[0]
            field = ".".join(map(str, e["loc"])) or "item"
            raise ConfigError(f"{path}:{n}: field {field}: {e['msg']}") from err
        if item.id in seen:
            raise ConfigError(f"{path}:{n}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ConfigError(f"{path}: no QA items")
    return items


def write_qa(items: Sequence[QAItem], path: Path) -> Path:
    """Write items as jsonl."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for it in items:
            f.write(it.model_dump_json(exclude_defaults=False) + "\n")
    return path


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    """Lower case; punctuation, English articles and extra whitespace removed."""
    text = text.lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, reference: str) -> bool:
    """Normalised exact match (see :func:`normalize`)."""
    return normalize(prediction) == normalize(reference) != ""


def answer_format(item: QAItem) -> str:
    """The instruction appended to the question (options with letters, or answer length)."""
    if item.choices is None:
        return "Answer with a single word, number or short phrase."
    options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(item.choices))
    return f"Options:\n{options}\nAnswer with the letter of the correct option."


class ItemResult(BaseModel):
    """The outcome of one item."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    prediction: str | None
    correct: bool
    exact: bool | None = None
    judged: bool | None = None
    error: str | None = None


class EvalReport(BaseModel):
    """Metrics of one evaluation run.

    Attributes:
        n: Items evaluated.
        accuracy: The headline metric: correct items / ``n`` (multiple choice by letter;
            open items by the judge when there is one, else by normalised exact match).
        mc_accuracy: Accuracy over multiple-choice items (``None``: none in the set).
        exact_match: Normalised exact match over open items (``None``: none).
        judge_accuracy: Judge-correct share of open items (``None``: no judge or no item).
        errors: Items whose request failed (counted wrong).
        model: Provenance of the answers (backend, model).
        judge: Provenance of the judge, when used.
        items: Per-item results.
    """

    model_config = ConfigDict(extra="forbid")

    n: int
    accuracy: float
    mc_accuracy: float | None = None
    exact_match: float | None = None
    judge_accuracy: float | None = None
    errors: int = 0
    model: dict[str, Any] = Field(default_factory=dict)
    judge: dict[str, Any] | None = None
    items: list[ItemResult] = Field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        """The scalar metrics (no per-item list)."""
        return self.model_dump(exclude={"items"})


def _request(item: QAItem, root: Path) -> Request:
    prompt = load_prompt(ANSWER_PROMPT)
    return prompt.request(
        {"question": item.question, "answer_format": answer_format(item)},
        images=[str(root / p) if not Path(p).is_absolute() else p for p in item.images],
        videos=[str(root / p) if not Path(p).is_absolute() else p for p in item.videos],
        key=item.id,
    )


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def evaluate(
    items: Sequence[QAItem],
    root: Path,
    client: ModelClient,
    *,
    judge: ModelClient | None = None,
    max_tokens: int = 32,
) -> EvalReport:
    """Ask the model every item and score the answers.

    Args:
        items: The QA items.
        root: Folder the items' relative media paths resolve against.
        client: The model under evaluation (any backend of :mod:`mmcurate.models`).
        judge: Optional judge model for open items.
        max_tokens: Generated-token bound of open answers.

    Returns:
        The report (errors count as wrong answers and are listed per item).
    """
    greedy = GenerationConfig(max_tokens=max_tokens, temperature=0.0)
    mc = [it for it in items if it.choices is not None]
    open_ = [it for it in items if it.choices is None]
    results: dict[str, Result] = {}
    mc_config = GenerationConfig(max_tokens=16, temperature=0.0)
    for k in sorted({len(it.choices or []) for it in mc}):
        group = [it for it in mc if len(it.choices or []) == k]
        reqs = [_request(it, root) for it in group]
        for it, res in zip(group, client.generate(reqs, choice_schema(k), mc_config), strict=True):
            results[it.id] = res
    if open_:
        reqs = [_request(it, root) for it in open_]
        for it, res in zip(open_, client.generate(reqs, None, greedy), strict=True):
            results[it.id] = res
    verdicts: dict[str, Result] = {}
    judge_prov: dict[str, Any] | None = None
    if judge is not None and open_:
        prompt = load_prompt(JUDGE_PROMPT)
        todo = [it for it in open_ if results[it.id].ok]
        jreqs = [
            prompt.request(
                {
                    "question": it.question,
                    "reference": it.answer,
                    "candidate": (results[it.id].text or "").strip() or "(no answer)",
                },
                key=it.id,
            )
            for it in todo
        ]
        jconf = GenerationConfig(max_tokens=96, temperature=0.0)
        for it, res in zip(todo, judge.generate(jreqs, JudgeVerdict, jconf), strict=True):
            verdicts[it.id] = res
        if verdicts:
            first = next(iter(verdicts.values()))
            judge_prov = {"backend": first.backend, "model": first.model}

    out: list[ItemResult] = []
    for it in items:
        res = results[it.id]
        if not res.ok:
            out.append(
                ItemResult(id=it.id, kind=it.kind, prediction=None, correct=False, error=res.error)
            )
            continue
        if it.choices is not None:
            letter = res.parsed.answer if res.parsed is not None else ""
            idx = LETTERS.find(letter) if letter else -1
            pred = it.choices[idx] if 0 <= idx < len(it.choices) else letter
            out.append(ItemResult(id=it.id, kind="mc", prediction=pred, correct=pred == it.answer))
            continue
        text = (res.text or "").strip()
        exact = exact_match(text, it.answer)
        judged: bool | None = None
        error = None
        if judge is not None:
            v = verdicts.get(it.id)
            if v is not None and v.ok and v.parsed is not None:
                judged = bool(v.parsed.correct)
            else:
                judged = False
                error = f"judge: {v.error if v is not None else 'no verdict'}"
        correct = judged if judged is not None else exact
        out.append(
            ItemResult(
                id=it.id,
                kind="open",
                prediction=text,
                correct=correct,
                exact=exact,
                judged=judged,
                error=error,
            )
        )
    first_res = next(iter(results.values()), None)
    model = {"backend": first_res.backend, "model": first_res.model} if first_res else {}
    return EvalReport(
        n=len(out),
        accuracy=_share([r.correct for r in out]) or 0.0,
        mc_accuracy=_share([r.correct for r in out if r.kind == "mc"]),
        exact_match=_share([bool(r.exact) for r in out if r.kind == "open"]),
        judge_accuracy=_share([bool(r.judged) for r in out if r.kind == "open"])
        if judge is not None
        else None,
        errors=sum(1 for r in out if r.error and r.prediction is None),
        model=model,
        judge=judge_prov,
        items=out,
    )
