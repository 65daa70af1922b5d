"""Helpers for the demo-data tests: reading records and checking answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mmcurate.sample import Message, Sample

ROLES = {"human": "user", "gpt": "assistant"}
_OPTION = re.compile(r"^([A-D])\. (.*)$", re.M)
_BOX = re.compile(r"^\[(\d\.\d{3}), (\d\.\d{3}), (\d\.\d{3}), (\d\.\d{3})\]$")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a jsonl file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def media_of(record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(images, videos) referenced by a LLaVA record."""
    image = record.get("image")
    images = [] if image is None else [image] if isinstance(image, str) else list(image)
    videos = [record["video"]] if "video" in record else []
    return images, videos


def to_sample(record: dict[str, Any]) -> Sample:
    """The canonical sample for a LLaVA record (human -> user, gpt -> assistant)."""
    images, videos = media_of(record)
    messages = [Message(role=ROLES[t["from"]], content=t["value"]) for t in record["conversations"]]
    return Sample.model_validate(
        {"id": record["id"], "images": images, "videos": videos, "messages": messages,
         "meta": record["meta"]}
    )  # fmt: skip


def qa_pairs(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) per turn, placeholders removed."""
    conv = record["conversations"]
    pairs = []
    for q, a in zip(conv[::2], conv[1::2], strict=True):
        question = q["value"].replace("<image>\n", "").replace("<video>\n", "")
        pairs.append((question, a["value"]))
    return pairs


def chosen_option(question: str, answer: str) -> str:
    """The option text a multi-choice answer letter points to."""
    options = dict(_OPTION.findall(question))
    assert answer in options, (question, answer)
    return options[answer]


def parse_box(answer: str) -> list[float]:
    """``"[0.100, 0.200, 0.300, 0.400]"`` -> floats; fails on any other format."""
    m = _BOX.match(answer)
    assert m, answer
    return [float(v) for v in m.groups()]
