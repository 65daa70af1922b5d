"""The HTML report: one self-contained file (plots and thumbnails embedded as data URIs).

Sections: headline and highlights, matplotlib plots of capability / style / score
distributions before vs after, a grid of selected samples (thumbnail, Q/A, styles, score),
extracted facts, the refine rounds with findings, the recipe, and the accounting
(``in = selected + dropped + errored``). All sample text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from mmcurate.agent import tools
from mmcurate.agent.context import AgentSettings
from mmcurate.agent.state import ReportText
from mmcurate.taxonomy import CAPABILITIES, STYLES

_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
.plots img{max-width:100%;border:1px solid #eee;margin:4px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px;font-size:12px;background:#fafafa}
.card img{width:100%;height:150px;object-fit:contain;background:#eee}
.q{font-weight:600;margin-top:4px}.a{color:#333}.tag{color:#06c}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px}
pre{background:#f4f4f4;padding:10px;overflow:auto;font-size:12px}
"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def plots(pool: Any, selected: Any, primary: str | None) -> list[tuple[str, str]]:
    """(title, PNG data URI) of the before/after plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: list[tuple[str, str]] = []
    y = np.arange(len(CAPABILITIES))
    before = [tools._scores(pool, c).mean() if len(pool) else 0 for c in CAPABILITIES]
    after = [tools._scores(selected, c).mean() if len(selected) else 0 for c in CAPABILITIES]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.barh(y - 0.2, np.nan_to_num(before), 0.4, label=f"pool ({len(pool)})")
    ax.barh(y + 0.2, np.nan_to_num(after), 0.4, label=f"selected ({len(selected)})")
    ax.set_yticks(y, [c.replace("_", " ") for c in CAPABILITIES], fontsize=8)
    ax.set_xlabel("mean capability score (0-5)")
    ax.invert_yaxis()
    ax.legend()
    out.append(("Capabilities: mean score, pool vs selected", _png(fig)))

    def shares(ds: Any) -> list[float]:
        rows = tools._styles(ds)
        n = max(len(rows), 1)
        return [sum(s in r for r in rows) / n for s in STYLES]

    y = np.arange(len(STYLES))
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.barh(y - 0.2, shares(pool), 0.4, label="pool")
    ax.barh(y + 0.2, shares(selected), 0.4, label="selected")
    ax.set_yticks(y, list(STYLES), fontsize=8)
    ax.set_xlabel("share of rows with the style")
    ax.invert_yaxis()
    ax.legend()
    out.append(("Interaction styles, pool vs selected", _png(fig)))

    key = primary or "mean of the 14 capabilities"
    if primary:
        pv, sv = tools._scores(pool, primary), tools._scores(selected, primary)
    else:
        pv = np.mean([tools._scores(pool, c) for c in CAPABILITIES], axis=0) if len(pool) else []
        sv = (
            np.mean([tools._scores(selected, c) for c in CAPABILITIES], axis=0)
            if len(selected) else []
        )  # fmt: skip
    fig, ax = plt.subplots(figsize=(8, 3.5))
    bins = [i * 0.25 for i in range(21)]
    ax.hist(np.asarray(pv), bins=bins, alpha=0.6, label="pool", density=True)
    ax.hist(np.asarray(sv), bins=bins, alpha=0.6, label="selected", density=True)
    ax.set_xlabel(f"score: {key}")
    ax.set_ylabel("density")
    ax.legend()
    out.append((f"Score distribution ({key}), pool vs selected", _png(fig)))
    return out


def thumbnail(path: Path, side: int = 220) -> str | None:
    """A small JPEG data URI of an image file (``None`` when it cannot be read)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as src:
            im = ImageOps.exif_transpose(src).convert("RGB")
            im.thumbnail((side, side))
            buf = io.BytesIO()
            im.save(buf, format="JPEG", quality=70)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _e(value: Any, n: int = 400) -> str:
    text = str(value)
    return html.escape(text if len(text) <= n else text[: n - 1] + "…")


def _card(row: dict[str, Any], root: Path, primary: str | None) -> str:
    from mmcurate.io.media import resolve_media

    img = ""
    for p in row.get("images") or []:
        uri = thumbnail(Path(resolve_media(root, str(p))))
        if uri:
            img = f'<img src="{uri}" alt="{_e(row["id"])}">'
            break
    if not img and row.get("videos"):
        img = "<div>(video)</div>"
    msgs = row.get("messages") or []
    q = next((m["content"] for m in msgs if m["role"] == "user"), "")
    a = next((m["content"] for m in msgs if m["role"] == "assistant"), "")
    score = (row.get("scores") or {}).get(primary) if primary else None
    extra = f" · {primary.replace('_', ' ')} {score:.2f}" if primary and score is not None else ""
    styles = ", ".join(row.get("styles") or [])
    return (
        f'<div class="card">{img}<div><b>{_e(row["id"])}</b>{_e(extra)}</div>'
        f'<div class="tag">{_e(styles)}</div><div class="q">Q: {_e(q, 240)}</div>'
        f'<div class="a">A: {_e(a, 240)}</div></div>'
    )


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(
    path: Path,
    *,
    request: str,
    text: ReportText,
    pool_path: str,
    selected_path: str,
    state: Any,
    result: dict[str, Any],
    settings: AgentSettings,
) -> Path:
    """Write ``report.html`` at ``path`` and return it."""
    import yaml

    pool = tools.load_rows(pool_path)
    selected, root = tools.load_with_root(selected_path)
    primary = result.get("primary")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>mmcurate report: {_e(request, 80)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(text.headline)}</h1>",
        f"<p>Request: <b>{_e(request)}</b>",
    ]
    for f in state.get("followups") or []:
        parts.append(f"<br>Follow-up: {_e(f)}")
    who = f"a VLM at {settings.vlm_url}" if settings.uses_vlm else "the deterministic planner "
    who += "" if settings.uses_vlm else "(no VLM configured; heuristic scores and rules)"
    parts.append(f"</p><p>Roles played by {_e(who)}.</p><ul>")
    parts += [f"<li>{_e(h)}</li>" for h in text.highlights]
    parts.append("</ul><h2>Before vs after</h2><div class='plots'>")
    for title, uri in plots(pool, selected, primary):
        parts.append(f"<h3>{_e(title)}</h3><img src='{uri}' alt='{_e(title)}'>")
    parts.append("</div>")
    k = min(settings.report_samples, len(selected))
    parts.append(f"<h2>Selected samples ({k} of {len(selected)} shown)</h2><div class='grid'>")
    parts += [_card(selected[i], root, primary) for i in range(k)]
    parts.append("</div>")
    facts = state.get("facts") or []
    if facts:
        parts.append("<h2>Extracted facts</h2>")
        parts.append(_table(
            ["sample", "by", "text in image", "objects", "tags"],
            [[f["id"], f["source"], f["ocr_text"], ", ".join(f["objects"]), ", ".join(f["tags"])]
             for f in facts],
        ))  # fmt: skip
    parts.append("<h2>Rounds</h2>")
    parts.append(_table(
        ["round", "selector", "threshold", "rows", "candidates", "relevant share", "styles",
         "decision", "findings"],
        [[h["iteration"], h["knobs"].get("selector"), h["knobs"].get("threshold"),
          h["summary"].get("rows"), h["summary"].get("candidates"),
          h["summary"].get("relevant_share"), len(h["summary"].get("styles_covered") or []),
          h["decision"], " | ".join(h["findings"])] for h in state.get("history") or []],
    ))  # fmt: skip
    pool_info = state["pool"]
    run = result["run"]
    parts.append("<h2>Accounting</h2>")
    parts.append(_table(
        ["step", "in", "kept", "dropped", "errored"],
        [["scoring (" + ("VLM" if settings.score_backend == "vlm" else "lite") + ")",
          pool_info["n_in"], pool_info["scored"], 0, pool_info["errored"]]]
        + [[o["name"], o["in"], o["kept"], o["dropped"], o["errored"]] for o in run["ops"]],
    ))  # fmt: skip
    total_err = int(pool_info["errored"]) + int(run["errored"])
    balanced = pool_info["n_in"] == run["kept"] + run["dropped"] + total_err
    parts.append(
        f"<p>in {pool_info['n_in']} = selected {run['kept']} + dropped {run['dropped']} + "
        f"errored {total_err} ({'balanced' if balanced else 'NOT balanced'}). Dropped rows "
        f"with reasons: {_e(Path(run['work_dir']) / 'trace' / 'dropped.jsonl')}; errors: "
        f"{_e(pool_info.get('errors_file', ''))}</p>"
    )
    recipe_text = yaml.safe_dump(state["recipe"], sort_keys=False, allow_unicode=True)
    parts.append(f"<h2>Recipe (curate run recipe.yaml)</h2><pre>{_e(recipe_text, 20000)}</pre>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
