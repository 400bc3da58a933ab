"""What changed between two MI matrices: every cell's change and the change of the
disentanglement scores, each with a bootstrap interval.

Two matrices of the same analysis, e.g. two checkpoints of a model evaluated on the same
inputs, or a rerun after the data changed. Replicate b of the change is replicate b of
``after`` less replicate b of ``before`` (:func:`gmmmi.analysis.matrix.replicates`).

- **Paired** when both matrices have joint replicates drawn with the same seed over the
  same number of rows: replicate b of both then resampled the same rows, so what the two
  share (the inputs, the noise of the sample) cancels out of the change, and its
  interval is as narrow as the data allow.
- **Unpaired** otherwise: replicate b of each resampled rows of its own, and the
  interval treats the two as independent samples (wider; when the two do share their
  rows, wider than it need be, never narrower).

A cell is **changed** when the simultaneous 95% band excludes 0: the band holds every
cell's change at once in 95% of the replicates (the largest standardised deviation over
the cells), so an unchanged matrix has no changed cell 19 times in 20, however many cells
it has. Each cell's own (pointwise) interval is kept beside it.

:func:`compare` makes the comparison (an xarray Dataset), :func:`changes` its cells as a
table, largest change first.
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import disentanglement as scores
from .analysis import matrix as mx
from .data.dataset import DatasetError

if TYPE_CHECKING:
    import os

    import pandas as pd
    import xarray as xr

LEVEL = 0.95


def compare(before: xr.Dataset | str | os.PathLike, after: xr.Dataset | str | os.PathLike,
            *, level: float = LEVEL) -> xr.Dataset:
    """The change of every cell from ``before`` to ``after``, with its interval.

    Parameters
    ----------
    before, after : xarray.Dataset or path
        MI matrices (``gmmmi.mi_matrix``, or an ``mi.zarr`` of the workflow). The cells
        compared are those both have (rows and columns matched by name), in ``after``'s
        order.
    level : float, default=0.95
        Of the intervals and of the band that decides which cells changed.

    Returns
    -------
    xarray.Dataset
        On ``var_x`` x ``var_y``, in nats: ``before``, ``after``, ``change`` (after less
        before), ``change_low``/``change_high`` (the cell's own interval),
        ``band_low``/``band_high`` (the simultaneous band) and ``changed`` (the band
        excludes 0); ``status_before``/``status_after``. On ``score`` (MIG, modularity,
        for latents x factors matrices): ``score_before``, ``score_after``,
        ``score_change``, ``score_low``, ``score_high``. Attributes: ``paired`` (0 or 1),
        ``pairing`` (why), ``before``/``after`` (their analyses), ``level``, ``note``,
        ``symmetric`` (both pair a group with itself: each pair has two cells).

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> factor = rng.integers(0, 4, 2000)
    >>> noise = rng.normal(size=(2000, 2))
    >>> old = {"latent": factor[:, None] + noise * [0.5, 1.0], "factor": factor}
    >>> new = {"latent": factor[:, None] + noise * [0.5, 3.0], "factor": factor}
    >>> change = gmmmi.compare(gmmmi.mi_matrix(old, "latent", "factor", progress=False),
    ...                        gmmmi.mi_matrix(new, "latent", "factor", progress=False))
    >>> bool(change.attrs["paired"]), change["changed"].values.ravel().tolist()
    (True, [False, True])
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, got {level!r}")
    import xarray as xr

    before, after = _matrix(before, "before"), _matrix(after, "after")
    rows = [n for n in mx.strings(after, "var_x") if n in set(mx.strings(before, "var_x"))]
    cols = [n for n in mx.strings(after, "var_y") if n in set(mx.strings(before, "var_y"))]
    if not rows or not cols:
        raise DatasetError("the two matrices share no cell: their rows or their columns "
                           "have no name in common")
    note = _left_out(before, after, rows, cols)
    left = {"var_x": rows, "var_y": cols}
    before, after = before.sel(left), after.sel(left)
    paired, pairing = _pairing(before, after)
    value = after["mi"].values - before["mi"].values
    found = _replicate_changes(before, after)
    low, high, band_low, band_high = _intervals(value, found, level)
    dims = mx.DIMS
    result = xr.Dataset(
        {"before": (dims, before["mi"].values), "after": (dims, after["mi"].values),
         "change": (dims, value, {"long_name": "after less before"}),
         "change_low": (dims, low), "change_high": (dims, high),
         "band_low": (dims, band_low), "band_high": (dims, band_high),
         "changed": (dims, (band_low > 0) | (band_high < 0),
                     {"long_name": "the simultaneous band excludes 0"}),
         "status_before": (dims, before["status"].values),
         "status_after": (dims, after["status"].values)},
        coords={"var_x": rows, "var_y": cols},
        attrs={"paired": int(paired), "pairing": pairing, "level": level, "unit": "nat",
               "symmetric": int(rows == cols and all(
                   bool(m.attrs.get("symmetric", 0)) for m in (before, after))),
               "before": str(before.attrs.get("analysis", "before")),
               "after": str(after.attrs.get("analysis", "after")),
               "note": note})
    found = _score_changes(before, after, level)
    result.attrs["note"] = "; ".join([note] * bool(note) + found.attrs.pop("notes"))
    return result.merge(found)


def changes(comparison: xr.Dataset, *, changed_only: bool = True) -> pd.DataFrame:
    """The cells of a comparison as a table (``x``, ``y``, ``before``, ``after``,
    ``change``, ``low``, ``high``, ``changed``), the largest change first; only the
    changed ones unless ``changed_only`` is False; each pair once when the matrices are
    symmetric (a group with itself)."""
    import pandas as pd

    keep = np.isfinite(comparison["change"].values)
    if comparison.attrs.get("symmetric"):  # each pair once
        keep &= np.triu(np.ones(keep.shape, dtype=bool), k=1)
    if changed_only:
        keep &= comparison["changed"].values
    i, j = np.nonzero(keep)
    rows = [str(v) for v in comparison["var_x"].values]
    cols = [str(v) for v in comparison["var_y"].values]
    table = pd.DataFrame({
        "x": [rows[a] for a in i], "y": [cols[b] for b in j],
        **{name: comparison[source].values[i, j] for name, source in (
            ("before", "before"), ("after", "after"), ("change", "change"),
            ("low", "change_low"), ("high", "change_high"), ("changed", "changed"))}})
    return table.iloc[np.argsort(-np.abs(table["change"].values), kind="stable")] \
        .reset_index(drop=True)


# --- the pieces ------------------------------------------------------------------------

def _matrix(matrix, side):
    import xarray as xr

    if isinstance(matrix, xr.Dataset):
        return mx.checked(matrix, side)
    return mx.read(matrix)


def _rows_drawn(matrix):
    """The rows the resamples were drawn over: every estimated cell's samples and dropped
    rows together (None when no cell was estimated)."""
    rows = (matrix["n_samples"].values + matrix["n_dropped"].values)[
        np.isfinite(matrix["mi"].values)]
    return int(rows.max()) if rows.size else None


def _pairing(before, after):
    """(paired, the sentence saying why)."""
    seeds = [json.loads(m.attrs.get("settings", "{}")).get("seed") for m in (before, after)]
    rows = [_rows_drawn(m) for m in (before, after)]
    if not (mx.joint(before) and mx.joint(after)):
        which = " and ".join(s for s, m in (("before", before), ("after", after))
                             if not mx.joint(m))
        return False, (f"unpaired: {which} resampled each pair on its own (gathered by an "
                       f"earlier gmmmi)")
    if seeds[0] != seeds[1]:
        return False, f"unpaired: the seeds differ ({seeds[0]} and {seeds[1]})"
    if rows[0] != rows[1]:
        return False, f"unpaired: the rows differ in number ({rows[0]} and {rows[1]})"
    return True, (f"paired: both resampled the same {rows[0]} rows with seed {seeds[0]} "
                  f"in each replicate")


def _replicate_changes(before, after):
    """(n, rows, columns) replicate changes, over the replicates both have."""
    a, b = mx.replicates(after), mx.replicates(before)
    n = min(len(a), len(b))
    return a[:n] - b[:n]


def _intervals(value, found, level):
    """Each cell's central ``level`` interval of ``found`` and the simultaneous band,
    both stretched to hold ``value``."""
    nan = np.full(value.shape, np.nan)
    if len(found) < 2:
        return nan, nan, nan.copy(), nan.copy()
    tail = 50.0 * (1.0 - level)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = np.percentile(found, [tail, 100.0 - tail], axis=0)
        spread = found.std(axis=0, ddof=1)
        deviation = np.abs(found - value) / spread
    usable = np.isfinite(value) & (spread > 0)
    if usable.any():
        largest = deviation[:, usable].max(axis=1)
        reach = float(np.percentile(largest, 100.0 * level))
    else:
        reach = np.nan
    band = np.where(spread > 0, reach * spread, 0.0)
    low, high = np.fmin(low, value), np.fmax(high, value)
    return low, high, value - band, value + band


def _score_changes(before, after, level):
    """MIG and modularity of both and their change with its interval, on ``score``."""
    import xarray as xr

    empty = xr.Dataset(coords={"score": np.array([], dtype=str)}, attrs={"notes": []})
    if bool(after.attrs.get("symmetric", 0)) or after.sizes["var_x"] < 2:
        return empty
    functions = {"MIG": lambda m, entropy: scores.mig(m, entropy)}
    if after.sizes["var_y"] >= 2:
        informative = scores.informative_latents(before["mi"].values,
                                                 before["mi_std"].values) | \
            scores.informative_latents(after["mi"].values, after["mi_std"].values)
        functions["modularity"] = lambda m, entropy: scores.modularity(m, informative)
    entropies = [m["entropy_y"].values if "entropy_y" in m else None for m in (before, after)]
    values = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)  # factors left out: in the note
        for name, function in functions.items():
            pair = [function(m["mi"].values, e) for m, e in zip((before, after), entropies)]
            reps = [mx.replicates(m) for m in (before, after)]
            n = min(len(r) for r in reps)
            found = np.array([function(reps[1][b], entropies[1]) -
                              function(reps[0][b], entropies[0]) for b in range(n)])
            change = pair[1] - pair[0]
            found = found[np.isfinite(found)]
            if len(found) >= 2 and np.isfinite(change):
                tail = 50.0 * (1.0 - level)
                low, high = np.percentile(found, [tail, 100.0 - tail])
                low, high = min(low, change), max(high, change)
            else:
                low = high = np.nan
            values[name] = (pair[0], pair[1], change, low, high)
    names = list(values)
    notes = sorted({str(w.message) for w in caught if "left out" in str(w.message)})
    return xr.Dataset(
        {f"score_{part}": ("score", [values[n][k] for n in names])
         for k, part in enumerate(("before", "after", "change", "low", "high"))},
        coords={"score": names}, attrs={"notes": notes})


def _left_out(before, after, rows, cols):
    """A note naming what only one of the matrices has."""
    notes = []
    for side, m in (("before", before), ("after", after)):
        for axis, kept in (("x", rows), ("y", cols)):
            extra = m.sizes[f"var_{axis}"] - len(kept)
            if extra:
                what = ("row" if axis == "x" else "column") + ("s" if extra > 1 else "")
                notes.append(f"{extra} {what} of {side} only")
    return "; ".join(notes)
