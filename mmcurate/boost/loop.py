"""The self-boosting loop: score -> select -> export -> train -> evaluate, round after round.

Round ``k`` (folder ``RUN/round_k``):

1. **score** the pool with the current model: round 0 with the base model (or the lite
   heuristics, ``scorer.round0``), round ``k > 0`` with the base model plus round
   ``k-1``'s LoRA adapter (transformers + peft in process, or a vLLM server started with
   ``--enable-lora --lora-modules round_{k-1}=ADAPTER``). Every score carries its
   provenance (``meta.scoring``: backend, model = ``<adapter>@lora:<digest>``);
2. **select** a budget with the configured selector (``selection.jsonl``: ids in order;
   ``selection_change`` in the metrics: added / removed / Jaccard vs the previous round, and
   ``unchanged: true`` when it did not change);
3. **export** the selection for a trainer (``data/train.json`` + ``dataset_info.json``);
4. **train** a LoRA adapter from the base model (``adapter/``), built in or external;
5. **evaluate** base + adapter on the held-out QA set, plus selection diagnostics
   (``metrics.json``).

``recipe.yaml`` holds the round's score and select recipes (re-runnable with ``curate run``).
``RUN/state.json`` lists finished rounds; it is written atomically after each round, so a
finished round is never redone and an interrupted one restarts from scratch on
``--resume``. The loop stops when the round budget is spent or when the metric has not
improved by more than ``min_delta`` over the best so far (the base model's baseline
included) for ``patience`` rounds. ``RUN/report.md`` and ``RUN/metric.png`` show the metric
by round.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field

from mmcurate.boost.config import BoostConfig
from mmcurate.errors import ConfigError
from mmcurate.train.lora import TrainResult

STATE_FILE = "state.json"


@dataclass(frozen=True)
class ModelSpec:
    """A model the loop scores or evaluates with.

    Attributes:
        label: ``base``, ``heuristic`` or ``round_k`` (the adapter trained in round k).
        backend: Model backend (``heuristic``, ``transformers``, ``vllm-server``).
        model: Local folder (base or adapter) or the served name.
        url: Server URL (``vllm-server``).
        adapter: The adapter folder, when the model is base + LoRA.
    """

    label: str
    backend: str
    model: str | None = None
    url: str | None = None
    adapter: str | None = None

    def overrides(self) -> dict[str, Any]:
        """Model configuration fields for :func:`mmcurate.models.get_client`."""
        out: dict[str, Any] = {"backend": self.backend}
        if self.model:
            out["model"] = self.model
        if self.url:
            out["url"] = self.url
        return out


class RoundRecord(BaseModel):
    """One finished round, as recorded in ``state.json`` and ``metrics.json``."""

    model_config = ConfigDict(extra="forbid")

    round: int
    metric: float
    scorer: dict[str, Any]
    selected: int
    selection_change: dict[str, Any]
    adapter: str
    train: dict[str, Any]
    eval: dict[str, Any]
    diagnostics: dict[str, Any]
    seconds: float
    timings: dict[str, float] = Field(default_factory=dict)


class BoostState(BaseModel):
    """``state.json``: the config fingerprint, the baseline and the finished rounds."""

    model_config = ConfigDict(extra="forbid")

    fingerprint: str
    metric: str
    baseline: dict[str, Any] | None = None
    rounds: list[RoundRecord] = Field(default_factory=list)
    stopped: str | None = None


class Steps(Protocol):
    """The work of a round (real: :class:`RealSteps`; tests may pass fakes)."""

    def score(self, spec: ModelSpec, out_dir: Path) -> tuple[Path, dict[str, Any]]:
        """Score the pool into ``out_dir``; return the scored dataset and provenance."""

    def select(self, scored: Path, out_dir: Path) -> list[str]:
        """Select from the scored pool; return the ids in order (write ``recipe.yaml``)."""

    def train(self, scored: Path, ids: list[str], out_dir: Path) -> TrainResult:
        """Export the selection and train an adapter under ``out_dir``."""

    def evaluate(self, spec: ModelSpec) -> dict[str, Any]:
        """Evaluate a model on the held-out set; the metrics (scalar fields)."""

    def diagnostics(self, scored: Path, ids: list[str]) -> dict[str, Any]:
        """Selection diagnostics."""

    def model_for(self, label: str, adapter: str | None) -> ModelSpec:
        """The spec for the base model (``adapter`` ``None``) or base + an adapter."""

    def close(self) -> None:
        """Release servers and models."""


def stop_reason(
    baseline: float | None, metrics: list[float], rounds: int, patience: int, min_delta: float
) -> str | None:
    """Why the loop stops after these rounds, or ``None`` to go on.

    An improvement is a metric above the best earlier value (baseline included) by more
    than ``min_delta``; ``patience`` rounds in a row without one stop the loop.
    """
    if len(metrics) >= rounds:
        return f"round budget spent ({rounds} rounds)"
    best = baseline
    stale = 0
    for m in metrics:
        if best is None or m > best + min_delta:
            best, stale = m, 0
        else:
            stale += 1
    if stale >= patience:
        return f"no improvement above {min_delta:g} in the last {stale} round(s)"
    return None


def selection_change(previous: list[str] | None, current: list[str]) -> dict[str, Any]:
    """Added / removed ids and Jaccard similarity vs the previous round's selection."""
    if previous is None:
        return {"previous": None, "unchanged": None}
    a, b = set(previous), set(current)
    union = a | b
    return {
        "added": sorted(b - a),
        "removed": sorted(a - b),
        "jaccard": round(len(a & b) / len(union), 4) if union else 1.0,
        "unchanged": a == b,
    }


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), "utf-8")
    os.replace(tmp, path)


def read_ids(path: Path) -> list[str]:
    """Ids of a ``selection.jsonl``."""
    return [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines() if line]


class BoostLoop:
    """Runs the loop over a run directory (see the module docstring)."""

    def __init__(
        self,
        config: BoostConfig,
        run_dir: Path,
        *,
        resume: bool = False,
        steps: Steps | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        """Check the run directory against ``resume``.

        Raises:
            ConfigError: The run dir holds a loop and ``resume`` is false, or ``resume`` is
                true and the config changed what the finished rounds did.
        """
        self.config = config
        self.run_dir = run_dir
        self.log = log
        self.state_path = run_dir / STATE_FILE
        if self.state_path.is_file():
            if not resume:
                raise ConfigError(
                    f"{run_dir} already holds a boost run: add --resume to continue it, or "
                    "choose another --out"
                )
            self.state = BoostState.model_validate_json(self.state_path.read_text("utf-8"))
            if self.state.fingerprint != config.fingerprint():
                raise ConfigError(
                    f"{run_dir} was made with another config (only rounds, patience and "
                    "min_delta may change on --resume); start a new --out"
                )
        else:
            self.state = BoostState(fingerprint=config.fingerprint(), metric=config.eval.metric)
        self.steps = steps if steps is not None else RealSteps(config, run_dir, log)

    def _save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_json(self.state_path, self.state.model_dump(mode="json"))

    def _metric(self, metrics: dict[str, Any]) -> float:
        value = metrics.get(self.config.eval.metric)
        return float(value) if value is not None else 0.0

    def run(self) -> BoostState:
        """Run rounds until the budget or the patience stops the loop; returns the state."""
        cfg = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.yaml").write_text(
            yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), "utf-8"
        )
        try:
            if cfg.eval.baseline and self.state.baseline is None:
                self.log("baseline: evaluating the base model")
                self.state.baseline = self.steps.evaluate(self.steps.model_for("base", None))
                self._save()
            while True:
                reason = stop_reason(
                    self._metric(self.state.baseline) if self.state.baseline else None,
                    [r.metric for r in self.state.rounds],
                    cfg.rounds,
                    cfg.patience,
                    cfg.min_delta,
                )
                if reason is not None:
                    self.state.stopped = reason
                    self._save()
                    self.log(f"stopped: {reason}")
                    break
                self.state.stopped = None
                self._round(len(self.state.rounds))
        finally:
            self.steps.close()
        write_report(self.state, self.run_dir)
        return self.state

    def _round(self, k: int) -> None:
        cfg = self.config
        t0 = time.perf_counter()
        rdir = self.run_dir / f"round_{k}"
        if rdir.exists():  # an interrupted round: start it again from scratch
            self.log(f"round {k}: removing the unfinished {rdir}")
            shutil.rmtree(rdir)
        rdir.mkdir(parents=True)
        if k == 0:
            scorer = (
                ModelSpec("heuristic", "heuristic")
                if cfg.scorer.round0 == "heuristic"
                else self.steps.model_for("base", None)
            )
        else:
            prev = self.state.rounds[k - 1]
            scorer = self.steps.model_for(f"round_{k - 1}", prev.adapter)
        self.log(f"round {k}: scoring the pool with {scorer.label} ({scorer.backend})")
        timings: dict[str, float] = {}
        tick = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal tick
            now = time.perf_counter()
            timings[name] = round(now - tick, 3)
            tick = now

        scored, provenance = self.steps.score(scorer, rdir)
        lap("score")
        ids = self.steps.select(scored, rdir)
        lap("select")
        with (rdir / "selection.jsonl").open("w", encoding="utf-8") as f:
            for i in ids:
                f.write(json.dumps({"id": i}) + "\n")
        prev_ids = read_ids(self.run_dir / f"round_{k - 1}" / "selection.jsonl") if k else None
        change = selection_change(prev_ids, ids)
        shown = {x: change[x] for x in ("jaccard", "unchanged") if x in change}
        self.log(f"round {k}: selected {len(ids)} samples; change vs previous: {shown}")
        self.log(f"round {k}: training ({cfg.trainer.kind})")
        result = self.steps.train(scored, ids, rdir)
        lap("export+train")
        spec = self.steps.model_for(f"round_{k}", result.adapter_dir)
        self.log(f"round {k}: evaluating {spec.label}")
        metrics = self.steps.evaluate(spec)
        lap("evaluate")
        diag = self.steps.diagnostics(scored, ids)
        lap("diagnostics")
        rec = RoundRecord(
            round=k,
            metric=self._metric(metrics),
            scorer={**scorer.__dict__, "provenance": provenance},
            selected=len(ids),
            selection_change=change,
            adapter=result.adapter_dir,
            train=result.model_dump(exclude={"adapter_dir"}),
            eval=metrics,
            diagnostics={k2: v for k2, v in diag.items() if k2 not in ("before", "after")},
            seconds=round(time.perf_counter() - t0, 3),
            timings=timings,
        )
        _write_json(rdir / "metrics.json", {**rec.model_dump(mode="json"), "diagnostics": diag})
        self.state.rounds.append(rec)
        self._save()
        self.log(f"round {k}: {cfg.eval.metric} = {rec.metric:.4f} ({rec.seconds:.0f}s)")


# -- the real steps ---------------------------------------------------------------------------


class VllmLoraServer:
    """A vLLM server for the base model with LoRA adapters (restarted when one is added)."""

    def __init__(self, config: BoostConfig, run_dir: Path) -> None:
        """Nothing starts until :meth:`ensure`."""
        self.config = config
        self.run_dir = run_dir
        self.adapters: dict[str, str] = {}
        self.server: Any = None

    def command(self, python: str, port: int) -> list[str]:
        """``python -m vllm.entrypoints.openai.api_server --model BASE --enable-lora
        --lora-modules name=path ...`` for the adapters registered so far."""
        from mmcurate.models.server import server_command

        s = self.config.serve
        extra = ["--enable-lora", "--max-lora-rank", str(s.max_lora_rank)]
        if self.adapters:
            extra += ["--lora-modules", *(f"{n}={p}" for n, p in self.adapters.items())]
            extra += ["--max-loras", str(max(1, len(self.adapters)))]
        return server_command(
            python,
            self.config.base_model,
            port=port,
            max_model_len=s.max_model_len,
            gpu_memory_utilization=s.gpu_memory_utilization,
            extra_args=[*extra, *s.extra_args],
        )

    def ensure(self, adapters: dict[str, str]) -> str:
        """A running server that serves ``base`` and every adapter named; returns its URL."""
        from mmcurate.models.server import VllmServer, find_vllm_python, free_port

        wanted = {**self.adapters, **adapters}
        if self.server is not None and wanted == self.adapters:
            return str(self.server.url)
        self.stop()
        self.adapters = wanted
        port = free_port()
        python = find_vllm_python(self.config.serve.python)
        log = self.run_dir / f"vllm-{len(wanted)}.log"
        self.server = VllmServer(
            self.command(python, port),
            host="127.0.0.1",
            port=port,
            log_path=log,
            env=self.config.serve.env,
        )
        self.server.start()
        self.server.wait_healthy(self.config.serve.startup_timeout_s)
        return str(self.server.url)

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        if self.server is not None:
            self.server.stop()
            self.server = None


class RealSteps:
    """Score with the scorer ops through the runner, select with a selector op, train with
    :mod:`mmcurate.train`, evaluate with :mod:`mmcurate.eval`."""

    def __init__(self, config: BoostConfig, run_dir: Path, log: Callable[[str], None]) -> None:
        """Validate the selector and capabilities now (before any work)."""
        from mmcurate.eval.qa import load_qa
        from mmcurate.scorers.cli import parse_capabilities
        from mmcurate.selectors.cli import op_name

        self.config = config
        self.run_dir = run_dir
        self.log = log
        self.selector_op = op_name(config.selector.method)
        caps = config.scorer.capabilities
        self.capabilities = parse_capabilities(",".join(caps) if caps else None)
        self.qa = load_qa(config.heldout)
        self.server = VllmLoraServer(config, run_dir) if config.serve.mode == "vllm" else None

    def model_for(self, label: str, adapter: str | None) -> ModelSpec:
        """In process: the base or adapter folder. vLLM: the base model's name, or the LoRA
        name ``<label>-<sha256 of the adapter, 12 hex>`` (unique per weights, so the request
        cache never mixes two runs' ``round_0``)."""
        if self.server is None:
            return ModelSpec(
                label, "transformers", adapter or self.config.base_model, adapter=adapter
            )
        if adapter is None:
            url = self.server.ensure({})
            return ModelSpec(label, "vllm-server", self.config.base_model, url)
        from mmcurate.models.backends.transformers_backend import adapter_digest

        name = f"{label}-{adapter_digest(adapter)}"
        url = self.server.ensure({name: adapter})
        return ModelSpec(label, "vllm-server", name, url, adapter)

    def _ext(self) -> str:
        return self.config.pool.suffix if self.config.pool.is_file() else ""

    def score_steps(self, spec: ModelSpec) -> list[dict[str, Any]]:
        """The score recipe's steps for a model (``heuristic``: ``curate score``'s lite
        steps; a model: ``vlm_capability_scorer`` + ``vlm_styler`` or ``rule_styler``).

        The VLM ops' params carry the model and the config's ``model:`` settings (device,
        dtype, batch_size, cache), so the round's ``recipe.yaml`` reproduces the scoring
        with ``curate run`` and nothing goes through the process environment.
        """
        from mmcurate.scorers.cli import ScoreOptions, heuristic_recipe
        from mmcurate.scorers.vlm import MODEL_SETTINGS

        sc = self.config.scorer
        if spec.backend == "heuristic":
            opts = ScoreOptions(self.config.pool, Path("-"), capabilities=self.capabilities)
            return [step.to_yaml_item() for step in heuristic_recipe(opts)]
        model: dict[str, Any] = {"backend": spec.backend, "model": spec.model}
        if spec.url:
            model["url"] = spec.url
        model.update({k: getattr(self.config.model, k) for k in MODEL_SETTINGS})
        scorer: dict[str, Any] = {**model, "mode": sc.mode, "max_text_chars": sc.max_text_chars}
        if self.capabilities:
            scorer["capabilities"] = list(self.capabilities)
        styler: dict[str, Any] = (
            {"vlm_styler": {**model, "max_text_chars": sc.max_text_chars}}
            if sc.styler == "vlm"
            else {"rule_styler": {}}
        )
        return [{"vlm_capability_scorer": scorer}, styler]

    def score(self, spec: ModelSpec, out_dir: Path) -> tuple[Path, dict[str, Any]]:
        """Run the score recipe on the pool into ``out_dir/scored``; provenance counts."""
        from mmcurate.io import read_dataset
        from mmcurate.recipes import parse_recipe
        from mmcurate.runner import LocalExecutor, RunOptions

        if spec.url and self.server is not None:
            spec = self.model_for(spec.label, spec.adapter)  # the server may have restarted
        out = out_dir / f"scored{self._ext()}"
        raw = {
            "dataset_path": str(self.config.pool),
            "export_path": str(out),
            "np": self.config.scorer.np,
            "work_dir": str(out_dir / "score.work"),
            "process": self.score_steps(spec),
        }
        recipe = parse_recipe(raw, source="curate boost")
        summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
        self._recipe(out_dir, "score", recipe.to_dict())
        self.log(
            f"  scored {summary.kept} of {summary.n_in} samples in {summary.seconds:.1f}s "
            f"(errors: {summary.errored})"
        )
        loaded = read_dataset(out, media_check=False)
        models: dict[str, int] = {}
        for meta in loaded.dataset["meta"]:
            m = json.loads(meta) if isinstance(meta, str) else meta
            for op, prov in (m.get("scoring") or {}).items():
                key = f"{op}: {prov.get('backend')} {prov.get('model')}"
                models[key] = models.get(key, 0) + 1
        return out, {"scored": summary.kept, "errored": summary.errored, "models": models}

    def _recipe(self, out_dir: Path, key: str, recipe: dict[str, Any]) -> None:
        path = out_dir / "recipe.yaml"
        data = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
        data[key] = recipe
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")

    def select(self, scored: Path, out_dir: Path) -> list[str]:
        """The selector op through the runner; ids of the kept rows, in output order."""
        from mmcurate.io import read_dataset
        from mmcurate.recipes import parse_recipe
        from mmcurate.runner import LocalExecutor, RunOptions

        sel = self.config.selector
        params = {**sel.params, "budget": sel.budget}
        from mmcurate.ops import registry

        fields = registry.get(self.selector_op).Params.model_fields
        if self.capabilities and "capabilities" in fields and "capabilities" not in params:
            params["capabilities"] = list(self.capabilities)  # only those were scored
        out = out_dir / f"selected{self._ext()}"
        raw = {
            "dataset_path": str(scored),
            "export_path": str(out),
            "work_dir": str(out_dir / "select.work"),
            "process": [{self.selector_op: params}],
        }
        recipe = parse_recipe(raw, source="curate boost")
        summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
        if not summary.balanced:
            raise ConfigError(f"selection in {out_dir} did not balance (see its work dir)")
        if summary.kept == 0:
            raise ConfigError(
                f"{out_dir.name}: {self.selector_op} selected no sample of {summary.n_in} "
                f"(every score at or below its threshold?); see {out_dir / 'scored'}* and "
                "lower selector.params.threshold, or change the selector"
            )
        self._recipe(out_dir, "select", recipe.to_dict())
        return list(read_dataset(out, media_check=False).dataset["id"])

    def train(self, scored: Path, ids: list[str], out_dir: Path) -> TrainResult:
        """Export the selected rows (in selection order) and train."""
        from mmcurate.io import read_dataset
        from mmcurate.sample import Sample
        from mmcurate.train.export import export_sharegpt

        loaded = read_dataset(scored, media_check=False)
        by_id = {r["id"]: r for r in loaded.dataset if r["id"] in set(ids)}
        samples = [Sample.from_row(by_id[i]) for i in ids if i in by_id]
        export = export_sharegpt(samples, loaded.root, out_dir / "data", "mmcurate_boost")
        if export.skipped:
            _write_json(out_dir / "data" / "skipped.json", export.skipped)
        tcfg = self.config.trainer
        adapter = out_dir / "adapter"
        if tcfg.kind == "external":
            from mmcurate.train.external import run_external

            assert tcfg.external is not None
            result = run_external(
                tcfg.external,
                base_model=self.config.base_model,
                data_file=export.data_file,
                dataset=export.dataset_name,
                output_dir=adapter,
            )
        else:
            from mmcurate.train.lora import train_lora

            result = train_lora(self.config.base_model, export.data_file, adapter, tcfg.lora)
        result.skipped = [*export.skipped, *result.skipped]
        return result

    def evaluate(self, spec: ModelSpec) -> dict[str, Any]:
        """The held-out QA metrics of ``spec`` (judge from the config, if any)."""
        from mmcurate.eval.qa import evaluate
        from mmcurate.models import get_client

        if spec.url and self.server is not None:
            spec = self.model_for(spec.label, spec.adapter)
        m = self.config.model
        extra: dict[str, Any] = (
            {"device": m.device, "dtype": m.dtype, "batch_size": m.batch_size}
            if spec.backend == "transformers"
            else {}
        )
        client = get_client(**spec.overrides(), cache=m.cache, **extra)
        judge = None
        if self.config.eval.judge is not None:
            j = self.config.eval.judge
            judge = get_client(backend=j.backend, url=j.url, model=j.model)
        try:
            report = evaluate(
                self.qa,
                self.config.heldout.parent,
                client,
                judge=judge,
                max_tokens=self.config.eval.max_tokens,
            )
        finally:
            client.close()
            if judge is not None:
                judge.close()
        return {**report.metrics(), "label": spec.label}

    def diagnostics(self, scored: Path, ids: list[str]) -> dict[str, Any]:
        """:func:`mmcurate.eval.diagnostics.selection_diagnostics` on the scored pool."""
        from mmcurate.eval.diagnostics import selection_diagnostics
        from mmcurate.io import read_dataset

        loaded = read_dataset(scored, media_check=False)
        return selection_diagnostics(loaded.dataset, ids, loaded.root)

    def close(self) -> None:
        """Stop the vLLM server, if any."""
        if self.server is not None:
            self.server.stop()


# -- report -------------------------------------------------------------------------------------


def report_rows(state: BoostState) -> list[dict[str, Any]]:
    """One row per evaluated model: the baseline, then each round."""
    rows = []
    if state.baseline is not None:
        rows.append(
            {
                "round": "base",
                "scorer": "-",
                "selected": "-",
                "change": "-",
                "loss": "-",
                "metric": state.baseline.get(state.metric),
            }
        )
    for r in state.rounds:
        losses = r.train.get("losses") or []
        loss = f"{losses[0]:.3f} -> {losses[-1]:.3f}" if losses else "-"
        ch = r.selection_change
        change = (
            "-"
            if ch.get("unchanged") is None
            else ("unchanged" if ch["unchanged"] else f"+{len(ch['added'])}/-{len(ch['removed'])}")
        )
        rows.append(
            {
                "round": r.round,
                "scorer": r.scorer.get("label"),
                "selected": r.selected,
                "change": change,
                "loss": loss,
                "metric": r.metric,
            }
        )
    return rows


def write_report(state: BoostState, run_dir: Path) -> Path:
    """``report.md`` (a table of the metric by round) and ``metric.png`` (the plot)."""
    rows = report_rows(state)
    lines = [
        "# curate boost report",
        "",
        f"metric: `{state.metric}`; stopped: {state.stopped or 'not yet'}",
        "",
        f"| round | scorer | selected | selection change | train loss | {state.metric} |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        metric = "-" if r["metric"] is None else f"{float(r['metric']):.4f}"
        lines.append(
            f"| {r['round']} | {r['scorer']} | {r['selected']} | {r['change']} | "
            f"{r['loss']} | {metric} |"
        )
    png = run_dir / "metric.png"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        xs = [-1 if r["round"] == "base" else int(r["round"]) for r in rows]
        ys = [float(r["metric"] or 0.0) for r in rows]
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(xs, ys, marker="o")
        ax.set_xticks(xs, ["base" if x == -1 else str(x) for x in xs])
        ax.set_xlabel("round")
        ax.set_ylabel(state.metric)
        ax.set_title("held-out metric by round")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(png, dpi=100)
        plt.close(fig)
        lines += ["", f"![{state.metric} by round](metric.png)"]
    except ImportError:
        lines += ["", "(matplotlib is not installed: no plot)"]
    path = run_dir / "report.md"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path
