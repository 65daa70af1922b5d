"""``curate synth imgdiff``: ImgDiff contrastive "spot the difference" samples.

Cheap to import: the pipeline, the model layer and diffusers load inside the command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mmcurate.errors import ConfigError

synth_app = typer.Typer(
    help="Synthesise training data (ImgDiff contrastive pairs).", no_args_is_help=True
)


def _params(raw: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from mmcurate.synth.pipeline import ImgDiffParams

    try:
        return ImgDiffParams.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"curate synth imgdiff: invalid settings: {problems}") from None


def _set_values(items: list[str] | None) -> dict[str, Any]:
    """``--set boxes.nms_iou=0.4`` -> nested dict (values are YAML)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. boxes.nms_iou=0.4")
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(value)
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


@synth_app.command("imgdiff")
def imgdiff(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    source: Annotated[
        str,
        typer.Option(
            help="Pair source: procedural (CPU scene renderer, exact ground truth), mined "
            "(near-duplicates from --data via FAISS) or diffusion (text-to-image with "
            "prompt-to-prompt; GPU, needs --diffusion-model)."
        ),
    ] = "procedural",
    n: Annotated[int, typer.Option("--n", help="Pairs to make (or at most to mine).", min=1)] = 200,
    data: Annotated[
        Path | None, typer.Option(help="Image pool for --source mined (any readable dataset).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    captioner: Annotated[
        str,
        typer.Option(
            help="Region/difference captions: auto (a configured VLM, else procedural ground "
            "truth, else heuristics), vlm, heuristic, ground_truth."
        ),
    ] = "auto",
    backend: Annotated[
        str | None,
        typer.Option(help="Model backend: heuristic, vllm-server, vllm-offline, transformers."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", "--vlm", help="vLLM server URL (vllm-server).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="VLM: served name (vllm-server) or local dir (in-process backends)."),
    ] = None,
    diffusion_model: Annotated[
        str | None,
        typer.Option(help="--source diffusion: a diffusers Stable Diffusion folder or hub id."),
    ] = None,
    captions_file: Annotated[
        Path | None,
        typer.Option(help="--source diffusion: a text file of source captions, one per line."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a parameter: KEY=VALUE with dotted keys, e.g. boxes.nms_iou=0.4, "
            "similarity_filter=on, captions.removal_variant=false (values are YAML).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Make ImgDiff "spot the difference" samples (arXiv 2408.04594).

    Stages: pairs -> whole-image similarity window (0.9, 0.98) -> difference boxes (pixel and
    SSIM maps, crop similarity < 0.85, NMS at IoU 0.5, min area 1/400) -> region captions
    (must differ) -> red-box side-by-side difference captions -> LLaVA samples (plus the
    object-removal multiple-choice variant). Writes OUT/imgdiff.jsonl, OUT/images/,
    OUT/dropped.jsonl (stage and reason per dropped pair), OUT/errors.jsonl,
    OUT/boxes.jsonl and OUT/summary.json.

    Example:

        curate synth imgdiff --source procedural --n 200 --out out/imgdiff

        curate synth imgdiff --source mined --data demo/data.jsonl --n 50 --out out/mined

        curate synth imgdiff --source procedural --n 50 --url http://127.0.0.1:8000 --out o
    """
    from rich.console import Console
    from rich.table import Table

    from mmcurate.models import get_client
    from mmcurate.runner.progress import Progress
    from mmcurate.synth.pipeline import run_imgdiff

    console = Console(width=None if sys.stdout.isatty() else 160)
    raw: dict[str, Any] = {"source": source, "n": n, "seed": seed}
    raw["captions"] = {"captioner": captioner}
    if data is not None:
        raw["mined"] = {"data": str(data)}
    diffusion: dict[str, Any] = {}
    if diffusion_model:
        diffusion["model"] = diffusion_model
    if captions_file is not None:
        diffusion["captions_file"] = str(captions_file)
    if diffusion:
        raw["diffusion"] = diffusion
    params = _params(_merge(raw, _set_values(set_)))
    overrides: dict[str, Any] = {
        k: v for k, v in {"backend": backend, "url": url, "model": model}.items() if v
    }
    client = get_client(None, **overrides)
    prog = Progress(enabled=not quiet)
    with prog.bar(f"imgdiff ({params.source})", params.n) as advance:
        summary = run_imgdiff(params, out, client=client, progress=advance)
    table = Table(title=f"imgdiff {summary.source}: pairs per stage")
    for col in ("stage", "in", "kept", "dropped", "errored"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for name, st in summary.stages.items():
        table.add_row(name, str(st.n_in), str(st.kept), str(st.dropped), str(st.errored))
    console.print(table)
    console.print(
        f"pairs {summary.n_pairs} = kept {summary.kept} + dropped {summary.dropped} + "
        f"errored {summary.errored}; samples: {summary.samples['difference']} difference, "
        f"{summary.samples['removal']} removal; captions: {summary.caption_source}; "
        f"{summary.seconds:.1f}s"
    )
    if summary.model.get("total"):
        t = summary.model["total"]
        console.print(
            f"model: {summary.model.get('backend')} {summary.model.get('model') or ''}: "
            f"{t['requests']} requests, {t['cache_hits']} from the cache, {t['model_calls']} "
            f"model calls, {t['failed']} failed, {t['prompt_tokens']} prompt + "
            f"{t['completion_tokens']} completion tokens"
        )
    if summary.source_info:
        console.print("source: " + json.dumps(summary.source_info, default=str))
    console.print(f"wrote {out / 'imgdiff.jsonl'} (dropped pairs: {out / 'dropped.jsonl'})")
    if not summary.balanced:
        raise typer.Exit(1)
