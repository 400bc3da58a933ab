"""A self-contained HTML report of one analysis's MI matrix (``mi.zarr``).

The page answers three questions: what does each variable share with the others (the
ordered, annotated heatmap, the sortable table and, for latent x factor analyses, the
disentanglement scores), how sure are we (bootstrap std and 95% intervals, the top
pairs' bootstrap distributions, the comparison with the truth when the dataset holds
it), and can the fits be trusted (the data with the fitted mixtures over it, the
components chosen, the CV curves, flagged pairs, provenance). Figures are embedded
PNGs; names from the data are escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import disentanglement as scores
from .. import status as st
from .._files import replacing
from ..analysis import kinds
from ..analysis import matrix as mx
from ..core.result import UNITS, check_unit
from ..core.validation import first_line, labels, transform
from ..data.dataset import DatasetError, read_xarray
from . import changes, clusters, explorer, figures

if TYPE_CHECKING:
    import xarray as xr

# The table lists at most this many pairs (the highest MI first); mi.zarr holds all.
MAX_TABLE_ROWS = 3000
MAX_SET_ROWS = 200
N_CV_CURVES = 6
SPACE_LABEL = {"rank": "normal score", "standardise": "standardised"}
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
        "status_counts": _count(p.status for p in pairs),
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
        "sets": _sets(matrix, scale) if is_sets else None,
        "disentanglement": None if symmetric or is_flow or is_sets else _disentanglement(
            matrix, scale, rows, cols, source, with_dci),
        "flow": _flow(matrix, scale, unit_label) if is_flow else None,
        "top": [_top_pair(p, matrix, source, scale, unit_label)
                for p in [p for p in by_mi if p.low > 0][:top_pairs]],
        "estimated": bool(estimated),
        "has_data": source is not None,
        "diagnostics": _diagnostics(matrix, pairs, by_mi, settings),
        "truth": _against_truth(pairs, unit_label) if truth is not None else None,
        "provenance": _provenance(matrix, settings, pairs),
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


def _count(values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (kv[0] != st.OK, kv[0])))


def _disentanglement(matrix, scale, latents, factors, source=None, with_dci=True):
    if len(latents) < 2:
        return {"note": "MIG needs at least two latents (rows).", "factors": []}
    entropy = matrix["entropy_y"].values if "entropy_y" in matrix else None
    kinds = mx.strings(matrix, "kind_y") if "kind_y" in matrix else [""] * len(factors)
    # the scores are ratios: computed in nats, shown in the display unit
    nats = matrix["mi"].values
    mi = nats * scale
    gaps = scores.factor_gaps(nats, entropy)
    per_latent = scores.modularity_per_latent(nats) if len(factors) >= 2 else None
    informative = scores.informative_latents(nats, matrix["mi_std"].values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # kept as the scores' notes
        overall = scores.gmm_mig(matrix)
        modularity = scores.gmm_modularity(matrix) if per_latent is not None else None
    best = scores.best_latents(matrix).set_index("factor")
    factor_rows = [{
        "factor": factors[g.factor], "kind": kinds[g.factor],
        "entropy": g.normaliser * scale if g.normalised_by == "entropy"
        else math.nan,
        "top": latents[g.top], "top_mi": mi[g.top, g.factor],
        "second": latents[g.second], "second_mi": mi[g.second, g.factor],
        "gap": mi[g.top, g.factor] - mi[g.second, g.factor],
        "score": g.score, "normalised_by": g.normalised_by,
        "share": best["share"].iloc[g.factor], "runner_up": best["runner_up"].iloc[g.factor],
        "runner_up_share": best["runner_up_share"].iloc[g.factor]} for g in gaps]
    table, table_note = _data_scores(matrix, source, factors, kinds, with_dci)
    return {
        "note": None,
        "factors": factor_rows,
        "mig": overall,
        "modularity": modularity or scores.Score(math.nan),
        "notes": [n for n in {overall.note, modularity.note if modularity else ""} if n],
        "joint": mx.joint(matrix),
        "scores": table,
        "scores_note": table_note,
        "discrete_mig": next((row["value"] for row in table
                              if row["score"] == "MIG (discrete)"), None),
        "uninformative": [latents[i] for i in np.flatnonzero(~informative)],
        "figure": figures.disentanglement(
            factors, [g.score for g in gaps], latents,
            np.where(informative, per_latent, np.nan) if per_latent is not None
            else np.full(len(latents), np.nan)),
        "any_continuous": any(g.normalised_by == "top MI" for g in gaps),
    }


def _data_scores(matrix, source, factors, kinds, with_dci=True):
    """The rows of the scores table: gmmmi's, and disentanglement_lib's over the
    categorical factors when the data are at hand (with gmmmi's MIG over those factors
    too, to compare like with like); and a note saying what is left out."""
    categorical = [j for j, kind in enumerate(kinds) if kind == "categorical"]
    continuous = "kind_x" not in matrix.coords or all(
        kind == "continuous" for kind in mx.strings(matrix, "kind_x"))
    if source is None or not categorical or not continuous:
        need = ("categorical factors" if not categorical else "continuous latents (rows)"
                if not continuous else "the dataset: pass it to the report (--data)")
        return scores.scores(matrix).to_dict("records"), (
            "disentanglement_lib's scores (its discrete MIG, SAP, DCI, modularity and "
            f"explicitness) need {need}.")
    latents = mx.data_columns(matrix, source, "x").astype(np.float64)
    codes = np.column_stack([labels(factors[j], mx.data_column(matrix, source, "y", j))[0]
                             for j in categorical])
    keep = np.isfinite(latents).all(axis=1) & (codes >= 0).all(axis=1)
    rows = scores.scores(matrix, latents=latents[keep], factors=codes[keep],
                         with_dci=with_dci).to_dict("records")
    notes = [] if with_dci else ["DCI is left out (report.dci: false, or --no-dci): its "
                                 "boosted trees take about 2 minutes on one core for 6 "
                                 "latents x 6 factors"]
    if len(categorical) < len(factors):
        names = ", ".join(factors[j] for j in categorical)
        notes.append(f"disentanglement_lib's scores are over the categorical factors only "
                     f"({names})")
        if len(latents.T) >= 2:
            same = scores.gmm_mig(matrix.isel(var_y=categorical))
            rows.insert(1, {"score": "MIG (gmmmi), categorical factors",
                            "value": same.value, "low": same.low, "high": same.high,
                            "definition": f"as MIG (gmmmi), over {names} only: the "
                                          "factors of the discrete MIG"})
    if not keep.all():
        notes.append(f"{int((~keep).sum())} rows with a missing value are left out of them")
    return rows, "; ".join(notes) + "." if notes else None


def _flow(matrix, scale, unit_label):
    from ..analysis import flow

    graph = flow.flow_graph(matrix)
    measures = flow.neuron_measures(graph)
    inputs, outputs, shares, low, high = flow.direct_attribution(matrix)
    weighted = flow.weighted_attribution(matrix)[2:]
    path_inputs, path_outputs, path_shares = flow.attribution(graph)
    label = {node: graph.nodes[node]["name"] for node in graph.nodes}
    levels = [[node for node in graph.nodes if graph.nodes[node]["layer"] == k]
              for k in range(len(flow.layers(matrix)))]
    where = {node: (k, i) for k, level in enumerate(levels) for i, node in enumerate(level)}
    edges = [(where[u][0], where[u][1], where[v][1], d["mi"] * scale)
             for u, v, d in graph.edges(data=True) if math.isfinite(d["mi"])]
    ranked = sorted(graph.edges(data=True), key=lambda e: -np.nan_to_num(e[2]["mi"], nan=-1))
    return {
        "layers": flow.layers(matrix),
        "network": figures.flow_network(
            [[label[n] for n in level] for level in levels], edges,
            {label[n]: m["community"] for n, m in measures.items()}, unit_label),
        "attribution": figures.attribution_bars(
            [label[n] for n in inputs], [label[n] for n in outputs], shares),
        "shares": _ranked_shares(inputs, outputs, label, shares, low, high),
        "weighted_shares": _ranked_shares(inputs, outputs, label, *weighted),
        "path_shares": _ranked_shares(path_inputs, path_outputs, label, path_shares),
        "edges": [{"source": graph.nodes[u]["group"] + " / " + label[u],
                   "target": graph.nodes[v]["group"] + " / " + label[v],
                   "mi": d["mi"] * scale, "std": d["mi_std"] * scale,
                   "low": d["mi_low"] * scale, "high": d["mi_high"] * scale,
                   "status": d["status"]} for u, v, d in ranked[:20]],
        "neurons": [{"layer": m["layer"], "group": graph.nodes[n]["group"], "name": label[n],
                     "info_in": m["info_in"] * scale, "info_out": m["info_out"] * scale,
                     "betweenness": m["betweenness"], "community": m["community"]}
                    for n, m in measures.items()],
    }


def _sets(matrix, scale, limit=MAX_SET_ROWS):
    """The sets of a sets analysis: [(name, members)], and per set and column the set's MI
    beside its best single member's (the analysis estimates the members on their own too),
    the largest gains first (at most ``limit`` rows)."""
    names, groups = mx.strings(matrix, "var_x"), mx.strings(matrix, "group_x")
    members = [m.split(", ") if m else [] for m in mx.strings(matrix, "members_x")]
    sets = [i for i, m in enumerate(members) if m]  # the other rows are single members
    set_columns = mx.strings(matrix, "members_y") if "members_y" in matrix.coords else \
        [""] * matrix.sizes["var_y"]
    single = {f"{groups[i]}/{names[i]}": i for i, m in enumerate(members) if not m}
    mi = matrix["mi"].values * scale
    low, high = (v * scale for v in mx.intervals(matrix))
    gains = []
    for i in sets:
        for j, column in enumerate(mx.strings(matrix, "var_y")):
            if set_columns[j]:
                continue
            alone = [(mi[k, j], k) for k in (single.get(m) for m in members[i])
                     if k is not None and np.isfinite(mi[k, j])]
            if not np.isfinite(mi[i, j]) or not alone:
                continue
            best, k = max(alone)
            gains.append({"set": names[i], "y": column, "mi": mi[i, j], "low": low[i, j],
                          "high": high[i, j], "member": names[k], "member_mi": best,
                          "member_low": low[k, j], "member_high": high[k, j],
                          "gain": mi[i, j] - best, "adds": bool(low[i, j] > high[k, j])})
    gains.sort(key=lambda row: -row["gain"])
    return {"members": [(names[i], members[i]) for i in sets],
            "gains": gains[:limit], "cut": max(len(gains) - limit, 0)}


def _ranked_shares(inputs, outputs, label, shares, low=None, high=None):
    """Per output, its inputs' (name, share, low, high), the largest share first."""
    low = np.full(shares.shape, np.nan) if low is None else low
    high = np.full(shares.shape, np.nan) if high is None else high
    return [{"output": label[o], "inputs": sorted(
        ((label[i], float(shares[a, b]), float(low[a, b]), float(high[a, b]))
         for a, i in enumerate(inputs)), key=lambda row: -row[1])}
        for b, o in enumerate(outputs)]


def _top_pair(pair, matrix, source, scale, unit_label):
    boot = matrix["mi_bootstrap"].values[pair.i, pair.j] * scale
    model = mx.model(matrix, pair.i, pair.j)
    draw, missing = None, "data not available\n(pass --data)"
    sets = [mx.strings(matrix, f"members_{a}")[k] for a, k in (("x", pair.i), ("y", pair.j))
            if f"members_{a}" in matrix.coords]
    if any(sets):
        missing = f"a set of {max(len(m.split(', ')) for m in sets)} variables:\n" \
                  f"its mixture is not drawn"
    elif source is not None and model is not None:
        draw = _data_drawer(pair, matrix, source, model)
    title = (f"{pair.x} × {pair.y}: {pair.mi:.3f} {unit_label} "
             f"(95% {pair.low:.3f} to {pair.high:.3f})")
    return {"pair": pair, "figure": figures.pair_panels(
        title, unit_label, boot, pair.mi, (pair.low, pair.high), pair.truth, draw, missing)}


def _data_drawer(pair, matrix, source, model):
    """A function drawing the pair's data, in the fit's space, with its fitted model."""
    x = mx.data_column(matrix, source, "x", pair.i)
    y = mx.data_column(matrix, source, "y", pair.j)
    how = model["transform"]
    space = SPACE_LABEL.get(how, how)
    if "mixture" in model:
        keep = np.isfinite(x) & np.isfinite(y)
        data = transform(np.column_stack([x[keep], y[keep]]).astype(np.float64), how)
        return lambda ax: figures.draw_joint(
            ax, data, model["mixture"], [f"{figures.short(pair.x)} ({space})",
                                         f"{figures.short(pair.y)} ({space})"])
    kind_x = str(matrix["kind_x"].values[pair.i])
    continuous, categorical, name = (y, x, pair.y) if kind_x == "categorical" else (x, y, pair.x)
    codes, categories = labels("labels", categorical)
    keep = np.isfinite(continuous.astype(np.float64)) & (codes >= 0)
    values = transform(continuous[keep].astype(np.float64)[:, None], how)[:, 0]
    by_label = {str(categories[c]): values[codes[keep] == c] for c in np.unique(codes[keep])}
    return lambda ax: figures.draw_categories(ax, by_label, model["mixtures"],
                                              f"{figures.short(name)} ({space})")


def _diagnostics(matrix, pairs, by_mi, settings):
    max_k = settings.get("max_components")
    counts = _count(p.n_components for p in pairs if np.isfinite(p.mi) and p.n_components)
    curves = []
    chosen_pairs = [p for p in pairs if p.status == st.MAX_COMPONENTS][:N_CV_CURVES // 2]
    chosen_pairs += [p for p in by_mi if p not in chosen_pairs][:N_CV_CURVES - len(chosen_pairs)]
    for p in chosen_pairs:
        model = mx.model(matrix, p.i, p.j)
        if not model or not model.get("cv_scores"):
            continue
        lines = model["cv_scores"] if "mixtures" in model else {"": model["cv_scores"]}
        curves.append((f"{p.x} × {p.y}", lines, p.n_components if "mixture" in model else None))
    return {
        "k_figure": figures.component_counts(counts, max_k) if counts else None,
        "cv_figure": figures.cv_curves(curves) if curves else None,
        "max_components": max_k,
        "hit_max": [p for p in pairs if p.status == st.MAX_COMPONENTS],
        "dropped": [p for p in pairs if p.n_dropped > 0],
        "problems": [p for p in pairs if p.status not in (st.OK, st.MAX_COMPONENTS)],
        "tied": _tied(matrix),
    }


def _tied(matrix):
    """(variable, group, share of tied values) of every continuous variable some of whose
    values other rows share, most tied first: where atoms and ties shape the estimates."""
    found = {}
    for axis in ("x", "y"):
        if f"tied_{axis}" not in matrix.coords:
            continue  # a matrix written before the shares were kept
        names, groups = mx.strings(matrix, f"var_{axis}"), mx.strings(matrix, f"group_{axis}")
        for name, group, share in zip(names, groups, matrix[f"tied_{axis}"].values):
            if np.isfinite(share) and share > 0:
                found[(group, name)] = float(share)
    return sorted(((name, group, share) for (group, name), share in found.items()),
                  key=lambda item: -item[2])


def _against_truth(pairs, unit_label):
    known = [p for p in pairs if np.isfinite(p.truth) and np.isfinite(p.mi)
             and np.isfinite(p.low)]
    if not known:
        return None
    truth = np.array([p.truth for p in known])
    estimate = np.array([p.mi for p in known])
    low = np.array([p.low for p in known])
    high = np.array([p.high for p in known])
    return {"n": len(known),
            "coverage": float(np.mean((low <= truth) & (truth <= high))),
            "mae": float(np.mean(np.abs(estimate - truth))),
            "figure": figures.against_truth(truth, estimate, low, high, unit_label)}


def _provenance(matrix, settings, pairs):
    chunk_seconds = [s for s in json.loads(matrix.attrs.get("chunk_seconds", "[]"))
                     if s is not None]
    seconds = matrix["seconds"].values if "seconds" in matrix else np.zeros(0)
    return {
        "version": matrix.attrs.get("gmmmi_version", ""),
        "settings": sorted(settings.items()),
        "dataset": matrix.attrs.get("dataset", ""),
        "fingerprint": matrix.attrs.get("fingerprint", ""),
        "created": matrix.attrs.get("created", ""),
        "reported": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "pair_seconds": float(sum(seconds[p.i, p.j] for p in pairs)) if seconds.size else None,
        "chunk_seconds": max(chunk_seconds) if chunk_seconds else None,
        "n_chunks": len(chunk_seconds),
        "computed_pairs": matrix.attrs.get("computed_pairs"),
    }


def _fmt(value, digits=3):
    """A number for a table cell: fixed digits, or an en dash for NaN/None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"
