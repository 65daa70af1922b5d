"""mmSSR's quota sampler, vectorised: equal quotas over "capabilities", each quota split
equally over bins, smallest bin first, shortfalls carried forward, chosen rows leave the
pool. ``mmssr_selector`` runs it with one capability per score and bins = (style x source);
``cluster_balanced_selector`` runs it with one pseudo-capability and bins = clusters.

The published sampler (github.com/lyumengyao/mmssr, ``llava/select/mmssr.py``, functions
``select`` and ``__main__``) is matched as follows:

- rounds: while the budget is not filled, every remaining capability gets
  ``max((B - selected) // n_caps, 1)``, lowered to what is left of the budget as the round
  goes (``every_cap_budget = min(every_cap_budget, selected_len - len(selected_idx))``);
  the round stops as soon as the budget is full; a capability that selects nothing in a
  round is dropped;
- one capability's pass: candidates are the rows still in the pool with score > threshold;
  bins are the (style, source) labels of those candidates (multi-label: a row is in every
  bin of its styles); ``n_bin`` counts the non-empty bins; bins are visited smallest first
  (size at the start of the pass; equal sizes in label order, which is what pandas'
  ``sort_values`` gives on the label-sorted ``groupby`` for up to 16 bins);
  ``per_bin = max(quota // n_bin, 1)``; each bin takes ``min(per_bin + debt, available)``
  of its best rows not yet taken in this pass, ``debt`` carries the shortfall, and the
  pass stops once the quota is reached.

Deliberate differences, all in the direction of determinism or the budget:

- capabilities keep their given order between rounds (the published code rebuilds the
  list through a ``set``, so its order depends on Python's string hashing);
- ties in a score are broken by a seeded random permutation (or row order), not by
  pandas' unstable quicksort;
- inside a bin rows are ranked by the capability's score alone (the published ``melt``
  puts rows holding the style as their *first* label ahead of rows holding it second);
- a bin's take is also capped by what is left of the pass's quota, so a pass never
  overshoots (the published code can, by the carried debt, when a multi-label row emptied a
  bin in the same pass);
- rows without styles form their own bin (the published code never selects them);
- when every capability is exhausted the loop ends (the published loop divides by zero).

Token budgets use the same procedure with each row weighted by its token cost: quotas,
``per_bin`` and the debt are in tokens, and a bin takes its best rows while their total
fits its allowance (stopping at the first row that does not fit). With weight 1 per row
this is exactly the row-count procedure. A token budget therefore fills to within about
one row's cost per capability: once every capability's share of what is left is smaller
than its next rows, every capability selects nothing, is dropped, and the loop ends.

Cost: one radix sort of the (row, bin) pairs by bin for the whole run; per capability a
few linear passes over the pairs (levels, bin counts, the top level's rows) when the
scores take at most 32 distinct values (integer 0-5 ratings), else one full sort; then
work proportional to the rows taken and skipped. The pass over bins is a Python loop over
bins only, never over rows. Measured: 2.6M rows x 14 capabilities in about 5 s of CPU
(bench/select_scale.py, bench/RESULTS.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np


# --------------------------------------------------------------------------- ranking
def ranked(
    values: np.ndarray,
    tiebreak: np.ndarray | None = None,
    above: float | None = None,
    descending: bool = True,
) -> np.ndarray:
    """Rows with a finite value (and ``value > above``), best first.

    Args:
        values: One value per row (NaN: never ranked).
        tiebreak: A permutation of the rows; equal values keep its order (``None``: row
            order).
        above: Keep only rows whose value is strictly greater.
        descending: Highest value first (``False``: lowest first).

    Returns:
        Row indices (int64).
    """
    n = len(values)
    cand = np.arange(n, dtype=np.int64) if tiebreak is None else np.asarray(tiebreak, np.int64)
    v = values[cand]
    keep = np.isfinite(v)
    if above is not None:
        keep &= v > above
    if not keep.all():
        cand, v = cand[keep], v[keep]
    if v.size == 0:
        return cand
    return cand[_ascending_order(-v if descending else v)]


def _ascending_order(v: np.ndarray) -> np.ndarray:
    """Stable ascending argsort, as a radix sort whenever the values allow it."""
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 65535 and bool(np.all(v == np.floor(v))):
        return np.argsort((v - lo).astype(np.uint16), kind="stable")
    uniq, inv = np.unique(v, return_inverse=True)
    if uniq.size <= 65536:
        return np.argsort(inv.astype(np.uint16), kind="stable")
    # many distinct values: a unique composite key, so an unstable sort is exact
    key = inv.astype(np.int64) * np.int64(v.size) + np.arange(v.size, dtype=np.int64)
    return np.argsort(key)


# --------------------------------------------------------------------------- bins
@dataclass
class Bins:
    """Rows -> bins (multi-label), CSR form, plus bin labels.

    Attributes:
        indptr: ``bins[indptr[r]:indptr[r+1]]`` are row ``r``'s bins (int64, n + 1).
        bins: Bin ids (int32), distinct within a row.
        labels: Bin id -> label (ties in bin size are visited in label order).
    """

    indptr: np.ndarray
    bins: np.ndarray
    labels: list[str]

    @classmethod
    def from_pairs(cls, rows: np.ndarray, bins: np.ndarray, n: int, labels: list[str]) -> Bins:
        """From (row, bin) pairs sorted by row."""
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return cls(indptr, np.asarray(bins, dtype=np.int32), labels)

    @classmethod
    def single(cls, bins: np.ndarray, labels: list[str]) -> Bins:
        """One bin per row."""
        n = len(bins)
        return cls(np.arange(n + 1, dtype=np.int64), np.asarray(bins, dtype=np.int32), labels)

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.labels)

    def expand(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, bin) for every bin of each of ``rows`` (in ``rows`` order)."""
        starts = self.indptr[rows]
        lens = self.indptr[rows + 1] - starts
        if lens.size and lens.min() == 1 and lens.max() == 1:
            return rows, self.bins[starts]
        total = int(lens.sum())
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(
            total, dtype=np.int64
        )
        return np.repeat(rows, lens), self.bins[offsets]


def combine_bins(
    rows: np.ndarray,
    first: np.ndarray,
    first_labels: list[str],
    second: np.ndarray,
    second_labels: list[str],
    n: int,
) -> Bins:
    """Bins of label pairs: ``first`` per (row, value) pair x ``second`` per row, keeping
    only the combinations that occur; labels are ``"<first>+<second>"`` (mmSSR's
    ``style+image_source``)."""
    n2 = max(len(second_labels), 1)
    key = first.astype(np.int64) * n2 + second[rows]
    present = np.bincount(key, minlength=len(first_labels) * n2) > 0
    remap = np.cumsum(present) - 1
    ids = np.flatnonzero(present)
    labels = [
        f"{first_labels[i // n2]}+{second_labels[i % n2] if second_labels else ''}" for i in ids
    ]
    return Bins.from_pairs(rows, remap[key].astype(np.int32), n, labels)


# --------------------------------------------------------------------------- sampler
@dataclass
class QuotaResult:
    """Outcome of :meth:`QuotaSampler.run`.

    Attributes:
        rows: Chosen rows in the order they were chosen.
        used: Budget used (rows, or tokens when weighted).
        rounds: Quota rounds run.
        per_group: Rows chosen per capability (group) index.
        exhausted: Group indices dropped because they had no candidates left.
    """

    rows: np.ndarray
    used: int
    rounds: int
    per_group: list[int] = field(default_factory=list)
    exhausted: list[int] = field(default_factory=list)


#: Scores with at most this many distinct values get the lazy level layout.
LAZY_LEVELS = 32
_NONE8 = np.uint8(255)


def levels(
    values: np.ndarray, above: float | None = None, max_levels: int = LAZY_LEVELS
) -> tuple[np.ndarray, int] | None:
    """Dense descending levels of ``values`` (0 = highest) as uint8; 255 for NaN and, with
    ``above``, for values not strictly greater than it.

    Returns ``None`` when the candidates take more than ``max_levels`` distinct values.
    """
    cand = np.isfinite(values) if above is None else values > above
    out = np.full(len(values), _NONE8, dtype=np.uint8)
    f = values if cand.all() else values[cand]
    if f.size == 0:
        return out, 1
    lo, hi = float(f.min()), float(f.max())
    if hi - lo < max_levels and bool(np.all(f == np.floor(f))):
        out[cand] = (hi - f).astype(np.uint8)
        return out, int(hi - lo) + 1
    uniq, inv = np.unique(f, return_inverse=True)
    if uniq.size > max_levels:
        return None
    out[cand] = (uniq.size - 1 - inv).astype(np.uint8)
    return out, int(uniq.size)


class QuotaSampler:
    """The vectorised sampler (see the module docstring for the procedure and its source).

    Layout: every (row, bin) pair is sorted once by (bin, tie-break). For scores with few
    distinct values (integer ratings) a group keeps its top-level candidates grouped by
    bin; a bin that runs out of them gets its own candidates sorted by level (a small
    sort, and only for the bins that need it). For scores with many distinct values each
    group gets one full sort by (bin, score, tie-break). Each (group, bin) keeps a read
    position; rows chosen by any group are skipped through one shared ``alive`` mask.

    Args:
        values: Per capability (group), one value per row, higher is better; NaN marks a
            row that is not a candidate.
        bins: Row -> bins.
        n: Rows in the pool.
        costs: Per-row weight for token budgets (``None``: every row weighs 1).
        tiebreak: A permutation of the rows: equal values are taken in its order
            (``None``: row order).
        above: Candidates are rows whose value is strictly greater (mmSSR's threshold).
        threads: Threads for the per-group set-up (numpy releases the GIL).
    """

    def __init__(
        self,
        values: Sequence[np.ndarray] | np.ndarray,
        bins: Bins,
        n: int,
        costs: np.ndarray | None = None,
        tiebreak: np.ndarray | None = None,
        above: float | None = None,
        threads: int | None = None,
    ) -> None:
        self.n = n
        self.above = above
        self.bins = bins
        nb = bins.n_bins
        self.n_groups = len(values)
        self.costs = None if costs is None else np.asarray(costs, dtype=np.int64)
        self.alive = np.ones(n, dtype=bool)
        self.eligible = np.zeros((self.n_groups, n), dtype=bool)
        label_order = np.argsort(np.asarray(bins.labels, dtype=object), kind="stable")
        self.bin_rank = np.empty(nb, dtype=np.int64)
        self.bin_rank[label_order] = np.arange(nb)
        self.tiebreak = (
            np.arange(n, dtype=np.int64) if tiebreak is None else np.asarray(tiebreak, np.int64)
        )
        rows, pbins = bins.expand(self.tiebreak)
        by_bin = np.argsort(pbins.astype(np.uint16) if nb <= 65536 else pbins, kind="stable")
        self._rows = rows[by_bin].astype(np.int32 if n < 2**31 else np.int64)
        self._bins = pbins[by_bin].astype(np.int32)
        del rows, pbins, by_bin
        self._bin_start = np.zeros(nb + 1, dtype=np.int64)
        np.cumsum(np.bincount(self._bins, minlength=nb), out=self._bin_start[1:])
        self.counts = np.zeros((self.n_groups, nb), dtype=np.int64)
        self.n_levels = [1] * self.n_groups
        self._pair_levels: list[np.ndarray | None] = [None] * self.n_groups
        #: per group: its first block (top level, or everything when fully sorted)
        self._seg: list[np.ndarray] = [self._rows[:0]] * self.n_groups
        self._seg_start: list[np.ndarray] = [self._bin_start] * self.n_groups
        #: per group: bin -> that bin's candidates, best first (after the top level ran out)
        self._full: list[dict[int, np.ndarray]] = [{} for _ in range(self.n_groups)]
        self.pos = np.zeros((self.n_groups, nb), dtype=np.int64)
        workers = threads or min(4, os.cpu_count() or 1)
        groups = list(range(self.n_groups))
        arrays = [np.asarray(values[g], dtype=np.float64) for g in groups]
        lv = self._map(workers, lambda g: levels(arrays[g], above), groups)
        lazy = [g for g in groups if lv[g] is not None]
        if lazy:
            # levels row-major, so that one gather per (row, bin) pair serves every group
            stacked = np.empty((len(lazy), n), dtype=np.uint8)
            for j, g in enumerate(lazy):
                got = lv[g]
                assert got is not None
                stacked[j], self.n_levels[g] = got
                self.eligible[g] = stacked[j] != _NONE8
            table = np.ascontiguousarray(stacked.T)
            del stacked
            pair_levels = np.ascontiguousarray(table[self._rows].T)
            del table
            self._map(workers, lambda j: self._top_block(lazy[j], pair_levels[j]), range(len(lazy)))
        del lv
        self._map(
            workers,
            lambda g: self._setup_sorted(g, arrays[g]),
            [g for g in groups if g not in lazy],
        )

    @staticmethod
    def _map(workers: int, fn: Any, items: Sequence[int]) -> list[Any]:
        if workers > 1 and len(items) > 1:
            with ThreadPoolExecutor(workers) as pool:
                return list(pool.map(fn, items))
        return [fn(i) for i in items]

    def _top_block(self, g: int, pl: np.ndarray) -> None:
        """Group ``g``'s bin counts and its top-level candidates grouped by bin (its first
        block)."""
        nb = self.bins.n_bins
        # pairs are sorted by bin: per-bin counts are differences of a running count
        running = np.zeros(len(pl) + 1, dtype=np.int64)
        np.cumsum(pl != _NONE8, out=running[1:])
        self.counts[g] = running[self._bin_start[1:]] - running[self._bin_start[:-1]]
        del running
        top = np.flatnonzero(pl == 0)
        if self.n_levels[g] > 1:
            self._pair_levels[g] = pl
        start = np.zeros(nb + 1, dtype=np.int64)
        np.cumsum(np.bincount(self._bins[top], minlength=nb), out=start[1:])
        self._seg[g], self._seg_start[g] = self._rows[top], start
        self.pos[g] = start[:-1]

    def _setup_sorted(self, g: int, values: np.ndarray) -> None:
        """Group ``g`` with many distinct values: one full sort by (bin, score, tie-break)."""
        nb = self.bins.n_bins
        order = ranked(values, self.tiebreak, above=self.above)
        self.eligible[g, order] = True
        rows, pbins = self.bins.expand(order)
        perm = np.argsort(pbins.astype(np.uint16) if nb <= 65536 else pbins, kind="stable")
        counts = np.bincount(pbins, minlength=nb).astype(np.int64)
        start = np.zeros(nb + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        self._seg[g], self._seg_start[g] = rows[perm].astype(self._rows.dtype), start
        self.counts[g] = counts
        self.pos[g] = start[:-1]

    def _bin_candidates(self, g: int, b: int) -> np.ndarray:
        """Every candidate of bin ``b`` for group ``g``, best level first (tie-break order
        inside a level)."""
        pl = self._pair_levels[g]
        assert pl is not None
        s, e = int(self._bin_start[b]), int(self._bin_start[b + 1])
        lv = pl[s:e]
        order = np.argsort(lv, kind="stable")
        k = int(np.count_nonzero(lv != _NONE8))
        rows = self._rows[s:e][order[:k]]
        self._full[g][b] = rows
        return rows

    # ------------------------------------------------------------------ one bin
    def _take(self, g: int, b: int, allowance: int) -> tuple[np.ndarray, int]:
        """The best alive rows of bin ``b`` (group ``g``) that fit ``allowance``."""
        alive, costs = self.alive, self.costs
        full = self._full[g].get(b)
        if full is None:
            seg = self._seg[g]
            s, end = int(self._seg_start[g][b]), int(self._seg_start[g][b + 1])
        else:
            seg, s, end = full, 0, len(full)
        pos = int(self.pos[g, b])
        parts: list[np.ndarray] = []
        remaining, used, step = allowance, 0, 64
        while remaining > 0:
            if pos >= end:
                if full is not None or self._pair_levels[g] is None:
                    break
                # the top level of this bin ran out: continue in all its candidates
                full = self._bin_candidates(g, b)
                seg, pos, end = full, end - s, len(full)
                continue
            hi = min(end, pos + (max(step, 2 * remaining) if costs is None else step))
            block = seg[pos:hi]
            live_at = np.flatnonzero(alive[block])
            if live_at.size:
                live = block[live_at]
                if costs is None:
                    k = min(remaining, live.size)
                    w = k
                else:
                    cum = np.cumsum(costs[live])
                    k = int(np.searchsorted(cum, remaining, side="right"))
                    w = int(cum[k - 1]) if k else 0
                if k:
                    parts.append(live[:k])
                remaining -= w
                used += w
                if k < live.size:  # stopped inside the block: the next live row stays
                    pos += int(live_at[k])
                    break
            pos = hi
            step *= 2
        self.pos[g, b] = pos
        if not parts:
            return np.zeros(0, dtype=np.int64), 0
        taken = np.concatenate(parts).astype(np.int64)
        alive[taken] = False
        return taken, used

    # ------------------------------------------------------------------ one pass
    def _pass(self, g: int, quota: int) -> tuple[np.ndarray, int]:
        """One capability's pass: ``quota`` split over its bins, smallest first."""
        cnt = self.counts[g]
        present = np.flatnonzero(cnt > 0)
        if present.size == 0:
            return np.zeros(0, dtype=np.int64), 0
        visit = present[np.lexsort((self.bin_rank[present], cnt[present]))]
        per_bin = max(quota // present.size, 1)
        used, debt = 0, 0
        parts: list[np.ndarray] = []
        for b in visit.tolist():
            if used >= quota:
                break
            allowance = per_bin + debt
            got, w = self._take(g, b, min(allowance, quota - used))
            debt = allowance - w
            used += w
            if got.size:
                parts.append(got)
        if not parts:
            return np.zeros(0, dtype=np.int64), 0
        rows = np.concatenate(parts)
        self._retire(rows)
        return rows, used

    def _retire(self, rows: np.ndarray) -> None:
        """Take ``rows`` out of every group's bin counts."""
        r, b = self.bins.expand(rows)
        gi, pi = np.nonzero(self.eligible[:, r])
        nb = self.bins.n_bins
        dec = np.bincount(gi * nb + b[pi].astype(np.int64), minlength=self.n_groups * nb)
        self.counts -= dec.reshape(self.n_groups, nb)

    # ------------------------------------------------------------------ rounds
    def run(self, limit: int) -> QuotaResult:
        """Select up to ``limit`` (rows, or tokens when weighted)."""
        groups = list(range(self.n_groups))
        per_group = [0] * self.n_groups
        exhausted: list[int] = []
        parts: list[np.ndarray] = []
        used, rounds = 0, 0
        while used < limit and groups:
            rounds += 1
            quota = max((limit - used) // len(groups), 1)
            dropped: list[int] = []
            for g in groups:
                quota = min(quota, limit - used)
                rows, w = self._pass(g, quota)
                if rows.size == 0:
                    dropped.append(g)
                else:
                    parts.append(rows)
                    per_group[g] += int(rows.size)
                    used += w
                if used >= limit:
                    break
            exhausted += [g for g in dropped if self.counts[g].sum() == 0]
            groups = [g for g in groups if g not in dropped]
        rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return QuotaResult(rows, used, rounds, per_group, exhausted)
