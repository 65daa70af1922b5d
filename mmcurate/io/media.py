"""Media paths: resolution, cheap validity checks, rebasing and extraction of embedded bytes.

Media paths are stored as the input gave them. A relative path is relative to the dataset's
*root* (the folder of the annotation file, or the dataset directory); absolute paths and URIs
(``http://``, ``https://``, ``s3://``, ``data:``, ...) are left as they are.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from mmcurate.sample import Sample

#: EXIF orientations (tag 0x0112) that turn the stored image by 90 degrees when displayed.
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_ORIENTATION_TAG = 0x0112

#: Header facts of an image file: (mtime_ns, size in bytes, displayed width, height).
ImageInfo = tuple[int, int, int, int]

#: Sample fields that hold media paths, in the order they are checked.
MEDIA_FIELDS = ("images", "videos", "audios")

_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://|^data:")

_PIL_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp"}
_PIL_SUFFIX.update({"TIFF": ".tif", "MPO": ".jpg", "JPEG2000": ".jp2", "ICO": ".ico"})


def is_uri(path: str) -> bool:
    """Whether ``path`` is a URI (``scheme://...`` or ``data:...``) rather than a file path."""
    return bool(_URI_RE.match(path))


def resolve_media(root: Path, path: str) -> Path | str:
    """Where a media reference points.

    Args:
        root: The folder relative paths are relative to.
        path: A media reference as stored in a sample.

    Returns:
        The URI unchanged (``str``) for URIs; otherwise an absolute ``Path`` (relative paths
        are joined to ``root``; ``..`` is normalised, symlinks are not followed).
    """
    return _resolve(os.fspath(root), path)


@functools.lru_cache(maxsize=1 << 17)
def _resolve(root: str, path: str) -> Path | str:
    # Memoised: one sample's media are resolved by the load check and by every media op.
    if is_uri(path):
        return path
    return Path(os.path.abspath(os.path.join(root, path)))


def rebase_path(path: str, src_root: Path, dst_dir: Path) -> str:
    """Rewrite a relative media path so it stays valid when the dataset moves to ``dst_dir``.

    Absolute paths and URIs are returned unchanged; so is every path when both folders are
    the same, so writing back into the source folder keeps the stored strings exactly.

    Args:
        path: The stored media reference.
        src_root: The root the path is relative to now.
        dst_dir: The folder the written dataset file lives in.
    """
    if is_uri(path) or os.path.isabs(path):
        return path
    src, dst = os.path.abspath(src_root), os.path.abspath(dst_dir)
    if src == dst:
        return path
    return os.path.relpath(os.path.join(src, path), dst)


def iter_media(row: Mapping[str, Any]) -> Iterator[tuple[str, int, str]]:
    """Yield ``(field, index, path)`` for every media reference of a canonical row."""
    for field in MEDIA_FIELDS:
        for i, path in enumerate(row[field]):
            yield field, i, path


class MediaChecker:
    """Cheap media checks with a per-path memo (many samples share one image).

    A file passes when it exists, is not empty and, for images, its header opens with PIL and
    its end is intact (JPEG end-of-image marker, PNG ``IEND`` chunk, GIF trailer, WebP RIFF
    size): a cheap truncation check that reads a few bytes, no full decode. Corruption
    inside an intact file is caught by ops that decode. URIs are not checked.
    """

    def __init__(self, root: Path) -> None:
        """Create a checker.

        Args:
            root: The folder relative media paths resolve against.
        """
        self.root = root
        self._memo: dict[tuple[str, str], str | None] = {}
        #: Header facts of every image that passed, keyed by absolute path: image ops
        #: reuse them instead of opening each file again (see ``OpContext.media_info``).
        self.image_info: dict[str, ImageInfo] = {}

    def problem(self, row: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first media problem of a canonical row as ``(reason, file)``, or ``None``."""
        for field, i, path in iter_media(row):
            target = resolve_media(self.root, path)
            if isinstance(target, str):
                continue
            key = (field, str(target))
            if key not in self._memo:
                if len(self._memo) > 100_000:
                    self._memo.clear()
                self._memo[key] = _file_problem(
                    target, image=field == "images", info=self.image_info
                )
            reason = self._memo[key]
            if reason is not None:
                return f"{field}[{i}]: {reason}", str(target)
        return None


def displayed_size(im: Image.Image) -> tuple[int, int]:
    """(width, height) as displayed: swapped when the EXIF orientation turns the image.

    Reads the EXIF block already parsed with the header; never decodes pixels. This is the
    size Data-Juicer sees (its image loader applies ``ImageOps.exif_transpose``). For PNG
    only an ``eXIf`` chunk before the pixel data counts (where the PNG spec puts it):
    PIL's ``getexif()`` would decode the whole image to look for one after it (1.4 ms per
    640 px PNG, most of a load's time).
    """
    w, h = im.size
    if im.format not in ("JPEG", "MPO", "TIFF", "WEBP", "PNG"):
        return w, h
    try:
        if im.format == "PNG":
            raw = im.info.get("exif")
            exif = Image.Exif()
            if raw:
                exif.load(raw)
            orientation = exif.get(_ORIENTATION_TAG)
        else:
            orientation = im.getexif().get(_ORIENTATION_TAG)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not fail a size query
        orientation = None
    return (h, w) if orientation in _TRANSPOSED_ORIENTATIONS else (w, h)


def _file_problem(path: Path, image: bool, info: dict[str, ImageInfo] | None = None) -> str | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return f"file not found: {path}"
    except OSError as err:
        return f"cannot stat file: {path} ({err})"
    if not stat.S_ISREG(st.st_mode):
        return f"not a file: {path}"
    if st.st_size == 0:
        return f"zero-byte file: {path}"
    if image:
        try:
            with Image.open(path) as img:
                width, height = displayed_size(img)
                fmt = img.format
        except Exception as err:  # PIL raises many types for bad headers
            return f"not a readable image: {path} ({type(err).__name__}: {err})"
        if fmt and _truncated(path, fmt, st.st_size):
            return f"truncated {fmt} image (end of file missing): {path}"
        if info is not None:
            info[str(path)] = (st.st_mtime_ns, st.st_size, width, height)
    return None


def _truncated(path: Path, fmt: str, size: int) -> bool:
    """Whether an image file's end is missing, from its last bytes (or RIFF size)."""
    with path.open("rb") as f:
        if fmt == "WEBP":
            head = f.read(8)
            return len(head) == 8 and int.from_bytes(head[4:8], "little") + 8 > size
        f.seek(max(0, size - 1024))
        tail = f.read()
    if fmt in ("JPEG", "MPO"):
        return b"\xff\xd9" not in tail
    if fmt == "PNG":
        return b"IEND" not in tail[-64:]
    if fmt == "GIF":
        return not tail.rstrip(b"\x00").endswith(b";")
    return False


def check_media(root: Path, sample: Sample) -> str | None:
    """Check that a sample's local media files are usable.

    Args:
        root: The folder relative media paths resolve against.
        sample: The sample to check.

    Returns:
        ``None`` when every local file exists, is non-empty and (images) has a readable
        header; otherwise a reason naming the field and file, e.g.
        ``"images[1]: file not found: /abs/path.jpg"``.
    """
    media = {field: getattr(sample, field) for field in MEDIA_FIELDS}
    found = MediaChecker(root).problem(media)
    return None if found is None else found[0]


def guess_suffix(data: bytes, hint: str | None = None) -> str:
    """File suffix for embedded media bytes: PIL's format for images, else ``hint``'s suffix.

    Args:
        data: The file content.
        hint: A file name that came with the bytes (e.g. the ``path`` of a datasets
            ``Image`` value), used when the bytes are not an image PIL knows.
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
        if fmt:
            return _PIL_SUFFIX.get(fmt, "." + fmt.lower())
    except Exception:  # not an image PIL can identify
        pass
    suffix = Path(hint).suffix.lower() if hint else ""
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def extract_bytes(data: bytes, media_dir: Path, hint: str | None = None) -> str:
    """Write embedded media bytes to a content-addressed file and return its absolute path.

    The file is ``<media_dir>/<sha1 of the bytes><suffix>``; it is written once (atomically,
    so concurrent readers never see a partial file) and reused afterwards.

    Args:
        data: The file content.
        media_dir: The folder for extracted files (created when missing).
        hint: A file name that came with the bytes (see :func:`guess_suffix`).
    """
    digest = hashlib.sha1(data).hexdigest()
    target = Path(os.path.abspath(media_dir)) / f"{digest}{guess_suffix(data, hint)}"
    if not target.exists():
        media_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return str(target)
