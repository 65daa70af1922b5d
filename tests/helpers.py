"""Test helpers: small real datasets on disk (LLaVA jsonl + PIL images)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image


def write_image(path: Path, size: tuple[int, int] = (256, 256), color: int = 0) -> str:
    """Write an RGB PNG and return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, ((color * 37) % 256, (color * 91) % 256, (color * 13) % 256))
    img.save(path)
    return path.name


def llava_record(i: int, image: str | list[str] | None, question: str, answer: str) -> dict:
    """A LLaVA-style record with one Q/A turn."""
    rec: dict[str, Any] = {
        "id": f"s{i:04d}",
        "conversations": [
            {"from": "human", "value": ("<image>\n" if image else "") + question},
            {"from": "gpt", "value": answer},
        ],
    }
    if image is not None:
        rec["image"] = image
    return rec


def make_pool(root: Path, n: int = 40, dup_every: int = 10) -> Path:
    """A LLaVA jsonl pool: varied image sizes, some short texts, some duplicate texts.

    Sample i has an image of width 100 + 10*i (so image filters cut at known places),
    a short answer when i % 7 == 0, and the same text as sample i-1 when i % dup_every == 0.
    """
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        name = write_image(root / "images" / f"img{i:04d}.png", (100 + 10 * i, 200), i)
        answer = "ok" if i % 7 == 0 else f"This image shows colour number {i} on a plain field."
        question = "What is shown?"
        if i % dup_every == 0 and i > 0:
            answer = f"This image shows colour number {i - 1} on a plain field."
        lines.append(json.dumps(llava_record(i, f"images/{name}", question, answer)))
    path = root / "pool.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_recipe(path: Path, data: dict) -> Path:
    """Write a recipe YAML."""
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def read_jsonl(path: Path) -> list[dict]:
    """All JSON lines of a file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
