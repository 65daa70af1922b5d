"""Run the ``vllm-offline`` backend in the vLLM venv and print the results as JSON.

Started by tests/integration/test_vllm_offline.py as
``.venv-vllm/bin/python -m tests.integration.offline_worker MODEL_DIR IMAGE CACHE_DIR``
(a separate interpreter: vLLM lives in its own venv). Prints one JSON line starting with
``{"first"`` (vLLM prints its own lines too).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel


def main(model_dir: str, image: str, cache_dir: str) -> None:
    """Run the same requests as the contract tests and print a JSON summary."""
    from mmcurate.models import GenerationConfig, Request, get_client
    from mmcurate.prompts import load_prompt

    prompt = load_prompt("describe_image")
    schema: type[BaseModel] | None = prompt.output_schema_model()
    client = get_client(
        backend="vllm-offline", model=model_dir, max_model_len=2048, cache_dir=Path(cache_dir)
    )
    reqs = [prompt.request({"max_words": 5 + i}, images=[image], key=f"s{i}") for i in range(3)]
    reqs.append(Request.user("Say hello.", key="free"))
    cfg = GenerationConfig(max_tokens=200)
    first = client.generate(reqs[:3], schema=schema, config=cfg)
    free = client.generate(reqs[3:], config=GenerationConfig(max_tokens=8))
    again = client.generate(reqs[:3], schema=schema, config=cfg)
    out = {
        "first": [
            r.model_dump(mode="json", exclude={"parsed"}) | {"valid": r.parsed is not None}
            for r in first
        ],
        "free": [r.model_dump(mode="json", exclude={"parsed"}) for r in free],
        "again_cached": [r.cached for r in again],
        "cache": client.cache_stats.as_dict(),
        "model_calls": client.model_calls,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
