"""Capability scoring: ONE structured-output request per sample vs mmSSR's 14 passes.

Scores the same samples with ``vlm_capability_scorer`` in ``mode: one_pass`` (prompt
``capability_scores``: all 14 integer scores in one JSON object) and ``mode: per_capability``
(prompt ``capability_score``: one request per capability), through mmcurate's own op and
``vllm-server`` backend with the request cache OFF, and reports per mode: requests, prompt
(prefill) tokens, generated tokens, wall time, vLLM's prefix-cache hit rate; then the
agreement between the two modes' scores (Spearman per capability and pooled, exact-match
share, mean absolute difference).

Default: the tiny random Qwen2.5-VL of the tests on a vLLM CPU server started here
(``.venv-vllm``, see scripts/setup_vllm_server.sh) and demo data (``mmcurate.demodata``).
With random weights the scores are noise, so the AGREEMENT NUMBERS MEAN NOTHING there; the
token counts are the real measurement (they depend on the prompts, the tokenizer and the
image processor, not on the weights). With a real model:

    python bench/score_onepass_vs_14.py --url http://gpu-box:8000 --samples 200

Prints a table (``--markdown`` for bench/RESULTS.md); writes nothing else.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from mmcurate.demodata.generate import generate as generate_demo  # noqa: E402
from mmcurate.io import read_dataset  # noqa: E402
from mmcurate.models import ModelClient, get_client  # noqa: E402
from mmcurate.models.server import (  # noqa: E402
    VllmServer,
    find_vllm_python,
    free_port,
    server_command,
)
from mmcurate.models.server import prefix_cache_counters as prefix_counters  # noqa: E402
from mmcurate.ops import OpContext, registry  # noqa: E402
from mmcurate.sample import Sample  # noqa: E402
from mmcurate.scorers.student import spearman  # noqa: E402
from mmcurate.scorers.vlm import VlmCapabilityScorer  # noqa: E402
from mmcurate.taxonomy import CAPABILITIES  # noqa: E402


def load_samples(data: Path | None, n: int, videos: int) -> tuple[list[Sample], Path]:
    """Samples from a dataset file, or freshly generated demo data."""
    if data is None:
        data = generate_demo(Path(tempfile.mkdtemp(prefix="onepass-vs-14-")), n=n, videos=videos)
    loaded = read_dataset(data)
    samples = [Sample.from_row(r) for r in loaded.dataset][:n]
    return samples, loaded.root


@dataclass
class ModeRun:
    """One mode's measurements and scores."""

    mode: str
    metrics: dict[str, float]
    wall: float
    prefix_hit: float
    prefill_computed: float
    errors: list[str]
    scores: dict[str, dict[str, float]]


def score(
    mode: str, samples: list[Sample], root: Path, client: ModelClient, url: str | None
) -> ModeRun:
    """Run one mode over fresh copies of the samples; the measurements and the scores."""
    op = registry.create("vlm_capability_scorer", {"mode": mode})
    assert isinstance(op, VlmCapabilityScorer)
    op.bind(OpContext(root=root))
    op.calls.use(client)
    batch = [s.model_copy(deep=True) for s in samples]
    for s in batch:
        s.scores = {}
    q0, h0 = prefix_counters(url) if url else (0.0, 0.0)
    t0 = time.perf_counter()
    out = op.process_batch(batch)
    wall = time.perf_counter() - t0
    q1, h1 = prefix_counters(url) if url else (0.0, 0.0)
    errors = [str(o) for o in out if isinstance(o, Exception)]
    return ModeRun(
        mode=mode,
        metrics=op.metrics(),
        wall=wall,
        prefix_hit=(h1 - h0) / (q1 - q0) if q1 > q0 else math.nan,
        prefill_computed=(q1 - q0) - (h1 - h0) if url else math.nan,
        errors=errors,
        scores={s.id: s.scores for s in batch if s.scores},
    )


def agreement(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> dict[str, float]:
    """Spearman per capability (mean over defined ones), pooled Spearman, exact share, MAE."""
    ids = sorted(set(a) & set(b))
    x = np.array([[a[i][c] for c in CAPABILITIES] for i in ids])
    y = np.array([[b[i][c] for c in CAPABILITIES] for i in ids])
    per = [spearman(x[:, j], y[:, j]) for j in range(len(CAPABILITIES))]
    defined = [r for r in per if not math.isnan(r)]
    return {
        "samples": float(len(ids)),
        "spearman_mean_per_capability": float(np.mean(defined)) if defined else math.nan,
        "capabilities_defined": float(len(defined)),
        "spearman_pooled": spearman(x.ravel(), y.ravel()) if len(ids) else math.nan,
        "exact_share": float((x == y).mean()) if len(ids) else math.nan,
        "mean_abs_diff": float(np.abs(x - y).mean()) if len(ids) else math.nan,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running vLLM server (default: start the tiny model here)")
    ap.add_argument("--model", help="model dir to serve (default: the tiny test model)")
    ap.add_argument("--python", help="Python with vLLM (default: see mmcurate.models.server)")
    ap.add_argument("--data", type=Path, help="dataset file (default: generated demo data)")
    ap.add_argument("--samples", type=int, default=12)
    ap.add_argument("--videos", type=int, default=1, help="video samples in the demo data")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    samples, root = load_samples(args.data, args.samples, args.videos)
    server = None
    url = args.url
    model_label = args.url or ""
    if url is None:
        if args.model:
            model = args.model
        else:
            from tests.tiny_vlm import tiny_vlm_dir

            model = str(tiny_vlm_dir())
        model_label = Path(model).name
        port = free_port()
        cmd = server_command(
            find_vllm_python(args.python),
            model,
            port=port,
            max_model_len=4096,
            served_model_name="bench",
            extra_args=["--limit-mm-per-prompt", '{"image": 4, "video": 1}'],
        )
        server = VllmServer(cmd, host="127.0.0.1", port=port).start()
        server.wait_healthy(timeout_s=900)
        url = server.url
    try:
        client = get_client(url=url, cache=False, concurrency=args.concurrency, timeout_s=600)
        score("one_pass", samples[:2], root, client, url)  # warm-up
        runs = [score(mode, samples, root, client, url) for mode in ("one_pass", "per_capability")]
        model_label = client.backend.model_name or model_label
    finally:
        if server is not None:
            server.stop()

    one, per = runs
    rows = []
    for r in runs:
        m, n_ok = r.metrics, len(r.scores)
        rows.append(
            [
                r.mode,
                f"{int(m['requests'])}",
                f"{n_ok}/{len(samples)}",
                f"{int(m['prompt_tokens'])}",
                f"{m['prompt_tokens'] / max(n_ok, 1):.0f}",
                f"{int(m['completion_tokens'])}",
                f"{r.prefix_hit:.0%}",
                f"{r.prefill_computed:.0f}",
                f"{r.wall:.1f}",
            ]
        )
    ratio = per.metrics["prompt_tokens"] / max(one.metrics["prompt_tokens"], 1)
    gen_ratio = per.metrics["completion_tokens"] / max(one.metrics["completion_tokens"], 1)
    agree = agreement(one.scores, per.scores)
    head = ["mode", "requests", "scored", "prompt tok", "prompt tok/sample", "gen tok",
            "prefix-cache hit", "prefill computed", "wall s"]  # fmt: skip
    print(f"model: {model_label}; samples: {len(samples)}; request cache off")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("| " + " | ".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        print("  ".join(f"{h:>16}" for h in head))
        for row in rows:
            print("  ".join(f"{c:>16}" for c in row))
    print(f"prompt (prefill) tokens, 14-pass / one-pass: {ratio:.2f}x")
    if not math.isnan(one.prefill_computed + per.prefill_computed):
        print(
            "prefill tokens computed after vLLM's prefix cache, 14-pass / one-pass: "
            f"{per.prefill_computed / max(one.prefill_computed, 1):.2f}x"
        )
    print(f"generated tokens, 14-pass / one-pass: {gen_ratio:.2f}x")
    print(
        "agreement one-pass vs 14-pass: "
        + ", ".join(
            f"{k} {v:.3f}" if not k.startswith(("samples", "cap")) else f"{k} {v:g}"
            for k, v in agree.items()
        )  # fmt: skip
    )
    if not args.url and not args.model:
        print("NOTE: random-weight tiny model: the agreement numbers are meaningless noise.")
    for r in runs:
        if r.errors:
            print(f"{r.mode}: {len(r.errors)} errors, e.g. {r.errors[0]}")


if __name__ == "__main__":
    main()
