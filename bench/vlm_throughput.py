"""VLM throughput: the vLLM server (concurrency 1/8/32) vs a transformers generate loop.

Same model, same requests (one image + a question each, distinct images), through mmcurate's
own backends with the request cache off. Also measures the prefix-cache effect of putting
the shared prompt first (a long shared instruction as the system turn, image after it) versus
image first (shared text after the image, so no common prefix), with vLLM's
``vllm:prefix_cache_{queries,hits}`` counters.

Default model: the tiny random Qwen2.5-VL of the tests (CPU, no download). On a GPU machine:

    python bench/vlm_throughput.py --model Qwen/Qwen2.5-VL-7B-Instruct --requests 256

Prints a table; writes nothing (results go into bench/RESULTS.md by hand).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from PIL import Image, ImageDraw  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from mmcurate.models import GenerationConfig, ModelClient, Request, get_client  # noqa: E402
from mmcurate.models.server import (  # noqa: E402
    VllmServer,
    find_vllm_python,
    free_port,
    server_command,
)
from mmcurate.models.server import prefix_cache_counters as prefix_counters  # noqa: E402

SHARED = (
    "You rate samples of a multimodal instruction-tuning dataset. For the image, consider "
    "its subject, composition, legibility of any text, colours, clutter, and whether a "
    "question about it could be answered from the pixels alone. "
) * 8  # ~450 tokens of instruction shared by every request


def image(i: int) -> Image.Image:
    img = Image.new("RGB", (320 + 8 * (i % 16), 240), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 200, 160), fill=((37 * i) % 255, (91 * i) % 255, (13 * i) % 255))
    draw.text((50, 190), f"item {i}", fill="black")
    return img


def requests_(n: int, shared_first: bool | None = None) -> list[Request]:
    if shared_first is None:  # the throughput workload: short prompt
        return [Request.user("Describe the image.", images=[image(i)]) for i in range(n)]
    if shared_first:
        return [
            Request.user("Rate this image.", images=[image(i)], system=SHARED) for i in range(n)
        ]
    return [Request.user(SHARED + "Rate this image.", images=[image(i)]) for i in range(n)]


def run(client: ModelClient, reqs: list[Request], gen: GenerationConfig) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    results = client.generate(reqs, config=gen)
    wall = time.perf_counter() - t0
    errors = [r.error for r in results if not r.ok]
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    tokens = sum(r.completion_tokens or 0 for r in results)
    return wall, tokens, len(results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="model dir or hub id (default: the tiny test model)")
    ap.add_argument("--requests", type=int, default=64, help="requests per measurement")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--url", help="use this running server instead of starting one")
    ap.add_argument("--python", help="Python with vLLM (default: see mmcurate.models.server)")
    ap.add_argument("--transformers-batch", type=int, default=1)
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    if args.model:
        model = args.model
    else:
        from tests.tiny_vlm import tiny_vlm_dir

        model = str(tiny_vlm_dir())
    # ignore EOS is not available through the OpenAI API; tokens are counted as reported.
    gen = GenerationConfig(max_tokens=args.max_tokens, temperature=0.0)
    rows: list[tuple[str, str, float, float, float]] = []
    n = args.requests

    server = None
    url = args.url
    if url is None:
        port = free_port()
        cmd = server_command(
            find_vllm_python(args.python),
            model,
            port=port,
            max_model_len=4096,
            served_model_name="bench",
        )
        server = VllmServer(cmd, host="127.0.0.1", port=port).start()
        server.wait_healthy(timeout_s=900)
        url = server.url
    try:
        for c in [int(x) for x in args.concurrency.split(",")]:
            client = get_client(url=url, cache=False, concurrency=c, timeout_s=600)
            run(client, requests_(min(n, 4)), gen)  # warm-up
            wall, toks, k = run(client, requests_(n), gen)
            rows.append((f"vllm-server c={c}", f"{k} req", k / wall, toks / wall, wall))
        client = get_client(url=url, cache=False, concurrency=8, timeout_s=600)
        for label, first in (("shared prompt first", True), ("image first", False)):
            run(client, requests_(4, first), gen)  # warm-up / seed the cache
            q0, h0 = prefix_counters(url)
            wall, toks, k = run(client, requests_(n, first), gen)
            q1, h1 = prefix_counters(url)
            rate = (h1 - h0) / (q1 - q0) if q1 > q0 else float("nan")
            rows.append(
                (f"vllm-server c=8, {label}", f"prefix hit {rate:.0%}", k / wall, toks / wall, wall)
            )
    finally:
        if server is not None:
            server.stop()

    tclient = get_client(
        backend="transformers", model=model, cache=False, batch_size=args.transformers_batch
    )
    run(tclient, requests_(2), gen)  # load + warm-up
    wall, toks, k = run(tclient, requests_(n), gen)
    rows.append(
        (
            f"transformers loop (batch {args.transformers_batch})",
            f"{k} req",
            k / wall,
            toks / wall,
            wall,
        )
    )

    table = Table(title=f"VLM throughput, model {Path(model).name}, max_tokens {args.max_tokens}")
    for col in ("path", "requests", "req/s", "gen tok/s", "wall s"):
        table.add_column(col, justify="left" if col in ("path", "requests") else "right")
    for path, note, rps, tps, wall in rows:
        table.add_row(path, note, f"{rps:.2f}", f"{tps:.1f}", f"{wall:.1f}")
    base = rows[-1][2]
    best = max(r[2] for r in rows[:-1])
    Console(width=120).print(table)
    print(f"best vllm-server / transformers loop samples/s: {best / base:.2f}x (GPU target >= 5x)")


if __name__ == "__main__":
    main()
