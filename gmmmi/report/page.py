"""A self-contained HTML report of one analysis's MI matrix (``mi.zarr``).

The page answers three questions: what does each variable share with the others (the
ordered, annotated heatmap, the sortable table and, for latent x factor analyses, the
disentanglement scores), how sure are we (bootstrap std and 95% intervals, the top
pairs' bootstrap distributions, the comparison with the truth when the dataset holds
it), and can the fits be trusted (the data with the fitted mixtures over it, the
components chosen, the CV curves, flagged pairs, provenance). This module lays out the
page; the sections of each kind of analysis are in ``sections``, the answers to the last
two questions in ``checks``. Figures are embedded PNGs; names from the data are escaped
by Jinja2's autoescaping.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import status as st
from .._files import replacing
from ..analysis import kinds
from ..analysis import matrix as mx
from ..core.result import UNITS, check_unit
from ..core.validation import first_line
from ..data.dataset import DatasetError
from ..data.store import read_xarray
from . import changes, checks, clusters, explorer, figures, sections

if TYPE_CHECKING:
    import xarray as xr

# The table lists at most this many pairs (the highest MI first); mi.zarr holds all.
MAX_TABLE_ROWS = 3000
STATUS_SHORT = {st.MAX_COMPONENTS: "max K", st.UNDER_RESOLVED: "K open",
                st.FEW_DISTINCT_VALUES: "discrete?", st.CATEGORY_TOO_SMALL: "small cat.",
                st.TOO_FEW_SAMPLES: "too few", st.NOT_ESTIMATED: "n/a", st.FAILED: "failed",
                st.CONSTANT: "constant", st.OUT_OF_MEMORY: "no memory"}


@dataclass
class _Pair:
    i: int
    j: int
    x: str
    y: str
    group_x: str
    group_y: str
    mi: float
    std: float
    low: float
    high: float
    n_components: int
    status: str
    message: str
    n_samples: int
    n_dropped: int
    truth: float


def write_report(matrix: xr.Dataset | str | os.PathLike, out: str | os.PathLike, *,
                 data: xr.Dataset | str | os.PathLike | None = None, unit: str = "nat",
                 top_pairs: int = 6, previous: str | os.PathLike | None = None,
                 with_dci: bool = True) -> Path:
    """Write the HTML report of an MI matrix to ``out``, atomically; returns its path.

    ``matrix`` is an ``mi.zarr`` path or the Dataset (``gmmmi.mi_matrix``); ``data``, the
    dataset the matrix was estimated from (path or Dataset), lets the top pairs be drawn
    with their data. ``previous``: a directory where the report keeps a copy of the
    matrix it reports (``last.zarr``) and of the one it reported before that
    (``previous.zarr``); the page then shows what changed since the previous matrix
    (:func:`gmmmi.compare`). ``with_dci``: compute DCI among the disentanglement scores
    from data (its boosted trees take about 2 minutes on one core for 6 latents x 6
    factors; the other scores, seconds).

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 3))
    >>> z[:, 1] += z[:, 0]
    >>> m = gmmmi.mi_matrix({"z": z}, "z", None, n_bootstrap=4, progress=False)
    >>> gmmmi.write_report(m, "report.html").name
    'report.html'
    """
    import xarray as xr

    target = Path(out)
    if target.exists() and not target.is_file():  # a directory, a device, a pipe
        raise DatasetError(f"{out}: exists and is not a file; give the report's file path")
    name = "the matrix" if isinstance(matrix, xr.Dataset) else str(matrix)
    matrix = mx.checked(matrix) if isinstance(matrix, xr.Dataset) else mx.read(matrix)
    try:
        matrix = matrix.load()  # the page reads all of it: a damaged chunk fails here
    except Exception as exc:  # noqa: BLE001 - each codec fails in its own way
        raise DatasetError(f"{name}: its data cannot be read, a chunk is damaged "
                           f"({first_line(exc)}); gather it again") from None
    source = data if data is None or isinstance(data, xr.Dataset) else read_xarray(data)
    kept = _Kept(previous) if previous is not None else None
    try:
        page = render(matrix, source, unit=unit, top_pairs=top_pairs, with_dci=with_dci,
                      before=kept.before(matrix) if kept else None)
    except DatasetError as exc:  # the data given does not match the matrix
        raise DatasetError(f"{data if isinstance(data, (str, Path)) else 'data'}: {exc}") \
            from None
    with replacing(out) as staging:
        staging.write_text(page, encoding="utf-8")
    if kept:
        kept.keep(matrix)
    return Path(out)


class _Kept:
    """The matrices a report keeps in ``folder`` to say what changed: ``last.zarr``, the
    one it reported last, and ``previous.zarr``, the one before it that differed."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.last, self.previous = self.folder / "last.zarr", self.folder / "previous.zarr"

    @staticmethod
    def _identity(matrix):
        return (matrix.attrs.get("fingerprint"), matrix.attrs.get("settings"),
                matrix.attrs.get("created"))

    def _read(self, path):
        try:
            return mx.read(path) if path.exists() else None
        except DatasetError:  # damaged or from an older gmmmi: nothing to compare with
            return None

    def before(self, matrix):
        """The matrix to compare ``matrix`` with, or None."""
        last = self._read(self.last)
        if last is not None and self._identity(last) != self._identity(matrix):
            return last
        return self._read(self.previous)

    def keep(self, matrix):
        """Keep ``matrix`` as the last one reported (the last before it, if it differs,
        becomes the previous one)."""
        last = self._read(self.last)
        if last is not None and self._identity(last) == self._identity(matrix):
            return
        import shutil

        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / "next.zarr"  # the folder is the report's own: replaced whole
        shutil.rmtree(staging, ignore_errors=True)
        mx.write(matrix, staging)
        if self.last.exists():
            shutil.rmtree(self.previous, ignore_errors=True)
            os.replace(self.last, self.previous)
        os.replace(staging, self.last)


def render(matrix, source=None, *, unit="nat", top_pairs=6, before=None, with_dci=True):
    """The report page (a string) for the matrix Dataset written by ``gather``; with
    ``before`` (an earlier matrix of the analysis), what changed since it."""
    check_unit(unit)
    if isinstance(top_pairs, bool) or not isinstance(top_pairs, int) or top_pairs < 0:
        raise ValueError(f"top_pairs must be an integer >= 0, got {top_pairs!r}")
    if not isinstance(with_dci, bool):
        raise ValueError(f"with_dci must be True or False, got {with_dci!r}")
    scale = UNITS[unit]
    unit_label = f"{unit}s"
    settings = json.loads(matrix.attrs.get("settings", "{}"))
    symmetric = bool(matrix.attrs.get("symmetric", 0))
    is_flow = kinds.of(matrix.attrs) == kinds.FLOW
    is_sets = "members_x" in matrix.coords
    rows = mx.strings(matrix, "var_x")
    cols = mx.strings(matrix, "var_y")
    mi = matrix["mi"].values * scale
    low, high = (v * scale for v in mx.intervals(matrix))
    status = mx.strings(matrix, "status")
    truth = matrix["true_mi"].values * scale if "true_mi" in matrix else None
    pairs = _pairs(matrix, scale, symmetric)
    estimated = [p for p in pairs if np.isfinite(p.mi)]

    row_order, col_order, ordering = _order(matrix["mi"].values, symmetric) if not is_flow else (
        list(range(len(rows))), list(range(len(cols))), "layers in order; grey cells pair "
        "neurons of layers that are not adjacent")
    flagged = np.vectorize(lambda s: "" if s in (st.OK,) + st.NO_PAIR
                           else STATUS_SHORT.get(s, s),
                           otypes=[object])(status)
    shown = np.where(np.isin(status, st.NO_PAIR), np.nan, mi)
    heatmap, annotated = figures.heatmap(
        shown[np.ix_(row_order, col_order)], low[np.ix_(row_order, col_order)],
        high[np.ix_(row_order, col_order)],
        flagged[np.ix_(row_order, col_order)], [rows[i] for i in row_order],
        [cols[j] for j in col_order], unit_label)

    by_mi = sorted(estimated, key=lambda p: -p.mi)
    context = {
        "analysis": str(matrix.attrs.get("analysis", "analysis")),
        "unit": unit_label,
        "symmetric": symmetric,
        "n_rows": len(rows), "n_cols": len(cols),
        "n_pairs": len(pairs), "n_estimated": len(estimated),
        "status_counts": checks.status_counts(p.status for p in pairs),
        "heatmap": heatmap, "annotated": annotated, "ordering": ordering,
        "explorer": explorer.explorer_data(
            {"mi": mi, "low": low, "high": high, "status": status,
             "n_components": matrix["n_components"].values}, (rows, cols),
            (row_order, col_order), symmetric, unit_label),
        "clusters": _clusters(matrix, rows, scale) if symmetric and len(rows) > 2 else None,
        "best_rows": clusters.best_rows(mi, low, high, rows, cols)
        if not (symmetric or is_flow or is_sets) else None,
        "table": sorted(pairs, key=lambda p: -p.mi if np.isfinite(p.mi) else math.inf)[
            :MAX_TABLE_ROWS],
        "table_cut": max(len(pairs) - MAX_TABLE_ROWS, 0),
        "sets": sections.sets(matrix, scale) if is_sets else None,
        "disentanglement": None if symmetric or is_flow or is_sets else sections.disentanglement(
            matrix, scale, rows, cols, source, with_dci),
        "flow": sections.flow(matrix, scale, unit_label) if is_flow else None,
        "top": [checks.top_pair(p, matrix, source, scale, unit_label)
                for p in [p for p in by_mi if p.low > 0][:top_pairs]],
        "estimated": bool(estimated),
        "has_data": source is not None,
        "diagnostics": checks.diagnostics(matrix, pairs, by_mi, settings),
        "truth": checks.against_truth(pairs, unit_label) if truth is not None else None,
        "provenance": checks.provenance(matrix, settings, pairs),
        "changes": _since(before, matrix, unit),
        "fmt": _fmt,
    }
    return _template("report.html.j2").render(**context)


def write_comparison(comparison: xr.Dataset, out: str | os.PathLike, *,
                     unit: str = "nat") -> Path:
    """Write the page of a comparison of two matrices (:func:`gmmmi.compare`) to
    ``out``, atomically; returns its path."""
    page = _template("compare.html.j2").render(changes=changes.context(comparison, unit),
                                               fmt=_fmt)
    with replacing(out) as staging:
        staging.write_text(page, encoding="utf-8")
    return Path(out)


def _template(name):
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("gmmmi.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env.get_template(name)


# --- the pieces ----------------------------------------------------------------------

def _pairs(matrix, scale, symmetric):
    """Every estimated cell once (the upper triangle of a symmetric matrix)."""
    rows, cols = mx.strings(matrix, "var_x"), mx.strings(matrix, "var_y")
    group_x, group_y = mx.strings(matrix, "group_x"), mx.strings(matrix, "group_y")
    status = mx.strings(matrix, "status")
    message = mx.strings(matrix, "message") if "message" in matrix else \
        np.full(status.shape, "", dtype=object)
    lows, highs = (v * scale for v in mx.intervals(matrix))
    truth = matrix["true_mi"].values * scale if "true_mi" in matrix else None
    values = {name: matrix[name].values for name in ("mi", "mi_std", "n_components",
                                                      "n_samples", "n_dropped")}
    pairs = []
    for i in range(len(rows)):
        for j in range(i + 1 if symmetric else 0, len(cols)):
            if status[i, j] == st.NOT_ADJACENT:
                continue
            low, high = lows[i, j], highs[i, j]
            pairs.append(_Pair(
                i, j, rows[i], cols[j], group_x[i], group_y[j],
                float(values["mi"][i, j] * scale), float(values["mi_std"][i, j] * scale),
                float(low), float(high), int(values["n_components"][i, j]), status[i, j],
                message[i, j], int(values["n_samples"][i, j]), int(values["n_dropped"][i, j]),
                float(truth[i, j]) if truth is not None else math.nan))
    return pairs


def _since(before, matrix, unit):
    """What changed since ``before`` (the section's context), a note when the two cannot
    be compared, or None without an earlier matrix."""
    if before is None:
        return None
    from ..comparison import compare

    try:
        return changes.context(compare(before, matrix), unit)
    except (DatasetError, ValueError) as exc:
        return {"error": first_line(exc)}


def _order(mi, symmetric):
    """Row and column orders that make structure visible, and a sentence saying how."""
    n_rows, n_cols = mi.shape
    if symmetric and n_rows > 2:
        from scipy.cluster import hierarchy

        order = hierarchy.leaves_list(clusters.tree(mi)).tolist()
        return order, order, ("rows and columns clustered (average linkage on "
                              "1 − Linfoot's informational correlation², i.e. exp(−2·MI))")
    if not symmetric and n_rows > 1:
        clean = np.nan_to_num(mi, nan=-1.0)
        best = clean.argmax(axis=1)
        order = sorted(range(n_rows), key=lambda i: (best[i], -clean[i, best[i]]))
        return order, list(range(n_cols)), ("rows grouped by the column they share most "
                                            "with, strongest first; columns as in the data")
    return list(range(n_rows)), list(range(n_cols)), "as in the data"


def _clusters(matrix, names, scale):
    found, alone = clusters.named_clusters(matrix["mi"].values, names)
    for group in found:
        group["mean_mi"] *= scale
        if group["link"]:
            group["link"] = group["link"][:3] + (group["link"][3] * scale,)
    return {"groups": found, "alone": alone, "threshold": clusters.CLUSTER_MI * scale}


def _fmt(value, digits=3):
    """A number for a table cell: fixed digits, or an en dash for NaN/None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"
