"""Export selected samples in a trainer's format: ShareGPT-style multimodal JSON as
LLaMA-Factory (and ms-swift) read it, plus LLaMA-Factory's ``dataset_info.json``.

One record per sample::

    {"id": "...", "messages": [{"role": "user", "content": "<image>\\nWhat ..."},
                               {"role": "assistant", "content": "..."}],
     "images": ["/abs/path.png"], "videos": []}

Media paths are absolute, so the file works from any working directory. A sample the
export cannot represent (no assistant turn, a placeholder count that does not match its
media) is not written: it is returned as a skip with the reason, and the caller records it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmcurate.sample import Sample

#: The data file and the dataset name written by :func:`export_sharegpt`.
DATA_FILE = "train.json"
DATASET_INFO = "dataset_info.json"

_PLACEHOLDER = re.compile(r"<(image|video)>")


@dataclass
class ExportResult:
    """What :func:`export_sharegpt` wrote.

    Attributes:
        data_file: The ShareGPT JSON file.
        dataset_info: LLaMA-Factory's ``dataset_info.json`` next to it.
        dataset_name: The dataset's name in ``dataset_info.json``.
        ids: Ids of the samples written, in order.
        skipped: ``{"id", "reason"}`` for each sample not written.
    """

    data_file: Path
    dataset_info: Path
    dataset_name: str
    ids: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def _abs(path: str, root: Path) -> str:
    if "://" in path:
        return path
    return os.path.abspath(path if os.path.isabs(path) else root / path)


def sample_record(sample: Sample, root: Path) -> dict[str, Any]:
    """One sample as a ShareGPT record with absolute media paths.

    Raises:
        ValueError: The sample has no assistant turn, or its ``<image>``/``<video>``
            placeholders do not match its media lists.
    """
    text = "".join(m.content for m in sample.messages)
    n_img = sum(1 for m in _PLACEHOLDER.finditer(text) if m[1] == "image")
    n_vid = sum(1 for m in _PLACEHOLDER.finditer(text) if m[1] == "video")
    if n_img != len(sample.images) or n_vid != len(sample.videos):
        raise ValueError(
            f"placeholders ({n_img} <image>, {n_vid} <video>) do not match media "
            f"({len(sample.images)} images, {len(sample.videos)} videos)"
        )
    if not any(m.role == "assistant" for m in sample.messages):
        raise ValueError("no assistant turn to train on")
    return {
        "id": sample.id,
        "messages": [{"role": m.role, "content": m.content} for m in sample.messages],
        "images": [_abs(p, root) for p in sample.images],
        "videos": [_abs(p, root) for p in sample.videos],
    }


def export_sharegpt(
    samples: Iterable[Sample], root: Path, out_dir: Path, dataset_name: str = "mmcurate"
) -> ExportResult:
    """Write ``out_dir/train.json`` and ``out_dir/dataset_info.json``.

    Args:
        samples: The selected samples.
        root: The folder their relative media paths resolve against.
        out_dir: Where to write (created).
        dataset_name: The name LLaMA-Factory refers to (``dataset: <name>``).

    Returns:
        The files, the ids written and the samples skipped with their reason.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ExportResult(out_dir / DATA_FILE, out_dir / DATASET_INFO, dataset_name)
    records = []
    for s in samples:
        try:
            records.append(sample_record(s, root))
        except ValueError as err:
            result.skipped.append({"id": s.id, "reason": str(err)})
            continue
        result.ids.append(s.id)
    result.data_file.write_text(json.dumps(records, ensure_ascii=False, indent=1), "utf-8")
    info = {
        dataset_name: {
            "file_name": DATA_FILE,
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images", "videos": "videos"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
                "system_tag": "system",
            },
        }
    }
    result.dataset_info.write_text(json.dumps(info, indent=1), "utf-8")
    return result


def read_records(data_file: Path) -> list[dict[str, Any]]:
    """The records of an exported ``train.json``."""
    data: list[dict[str, Any]] = json.loads(data_file.read_text("utf-8"))
    return data
