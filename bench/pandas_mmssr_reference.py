"""A straightforward pandas implementation of mmSSR's selection (reference for the bench).

It follows the authors' code (github.com/lyumengyao/mmssr, ``llava/select/mmssr.py``:
``select`` and the ``__main__`` loop) statement by statement: ``sort_values`` per
capability per round, ``melt`` of the ``sty_*`` columns, ``groupby(...).apply(list)``,
bins sorted by size, a Python list comprehension to skip rows already taken in the pass,
``DataFrame.drop`` of the chosen rows. It carries the same documented deviations as
:mod:`mmcurate.selectors.quota` (seeded tie-break, score order inside a bin, ordered
capability list, a bin's take capped by the pass's remaining quota, unstyled rows in their
own bin, stop when every capability is exhausted, token weights), so that both select the
same set: bench/select_scale.py checks it.

Not part of the package: bench only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def frame(
    scores: dict[str, np.ndarray],
    bin_labels: list[list[str]],
    tiebreak: np.ndarray,
    costs: np.ndarray | None = None,
) -> pd.DataFrame:
    """The input table: one score column per capability, ``sty_1..sty_k`` bin labels
    (``style+source``, as the authors' ``parse_sty`` makes them), ``tb`` (tie-break rank)
    and ``cost`` (tokens; 1 per row for row budgets). Index ``idx`` = row number."""
    df = pd.DataFrame(scores)
    sty = pd.DataFrame(bin_labels)
    sty.columns = [f"sty_{i + 1}" for i in range(sty.shape[1])]
    df = pd.concat([df, sty], axis=1)
    rank = np.empty(len(tiebreak), dtype=np.int64)
    rank[tiebreak] = np.arange(len(tiebreak))
    df["tb"] = rank
    df["cost"] = 1 if costs is None else costs
    df.index.name = "idx"
    return df


def select_pass(df_sorted: pd.DataFrame, num_select: int) -> list[int]:
    """The authors' ``select``: quota over (style+source) bins, smallest bin first."""
    sty_cols = [c for c in df_sorted.columns if c.startswith("sty_")]
    df_sorted = df_sorted.assign(pos=np.arange(len(df_sorted)))
    melted = (
        df_sorted[[*sty_cols, "pos"]]
        .melt(id_vars="pos", ignore_index=False, var_name="style_idx", value_name="style")
        .dropna(subset=["style"])
        .reset_index()
        .sort_values("pos", kind="stable")  # deviation: score order inside a bin
    )
    grouped = melted.groupby("style", group_keys=True)["idx"].apply(list)
    n_bin = len(grouped)
    assert n_bin > 0
    sorted_grouped = grouped.sort_values(key=lambda x: x.apply(len), ascending=True, kind="stable")
    num_select_bin = max(num_select // n_bin, 1)
    cost = df_sorted["cost"]
    selected: list[int] = []
    selected_set: set[int] = set()
    used = 0
    num_samples_debt = 0
    for _value, indices_list in sorted_grouped.items():
        if used >= num_select:
            break
        filtered = [idx for idx in indices_list if idx not in selected_set]
        allowance = num_select_bin + num_samples_debt
        room = min(allowance, num_select - used)  # deviation: never past the quota
        taken, w = [], 0
        for idx in filtered:
            c = int(cost.at[idx])
            if w + c > room:
                break
            taken.append(idx)
            w += c
        num_samples_debt = allowance - w
        used += w
        selected.extend(taken)
        selected_set.update(taken)
    return selected


def pandas_mmssr(df: pd.DataFrame, caps: list[str], budget: int, thr: float = 0) -> list[int]:
    """The authors' main loop. Returns rows in selection order."""
    valid_candidates = df.copy()
    selected: list[int] = []
    used = 0
    selected_caps = list(caps)
    while used < budget and selected_caps:  # deviation: stop when all are exhausted
        every_cap_budget = max(int(budget - used) // len(selected_caps), 1)
        drop_caps = []
        for cap_name in selected_caps:
            sorted_ratings = valid_candidates.sort_values(
                by=[cap_name, "tb"], ascending=[False, True]
            )
            every_cap_budget = min(every_cap_budget, budget - used)
            cand = sorted_ratings[sorted_ratings[cap_name] > thr]
            new_index_cap = select_pass(cand, every_cap_budget) if len(cand) else []
            if len(new_index_cap) == 0:
                drop_caps.append(cap_name)
            else:
                valid_candidates = valid_candidates.drop(new_index_cap)
                selected.extend(new_index_cap)
                used += int(df.loc[new_index_cap, "cost"].sum())
            if used >= budget:
                break
        selected_caps = [c for c in selected_caps if c not in drop_caps]  # deviation: order
    return selected
