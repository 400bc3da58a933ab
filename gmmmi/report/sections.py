"""The report's sections of each kind of analysis: the disentanglement scores of a latents
x factors matrix (gmmmi's, and disentanglement_lib's when the data are given), the
network graph and attribution of a flow analysis, the sets of a sets analysis."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import disentanglement as scores
from ..analysis import matrix as mx
from ..core.validation import labels
from . import figures

MAX_SET_ROWS = 200


def disentanglement(matrix, scale, latents, factors, source=None, with_dci=True):
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


def flow(matrix, scale, unit_label):
    from ..analysis import flow as nif

    graph = nif.flow_graph(matrix)
    measures = nif.neuron_measures(graph)
    inputs, outputs, shares, low, high = nif.direct_attribution(matrix)
    weighted = nif.weighted_attribution(matrix)[2:]
    path_inputs, path_outputs, path_shares = nif.attribution(graph)
    label = {node: graph.nodes[node]["name"] for node in graph.nodes}
    levels = [[node for node in graph.nodes if graph.nodes[node]["layer"] == k]
              for k in range(len(nif.layers(matrix)))]
    where = {node: (k, i) for k, level in enumerate(levels) for i, node in enumerate(level)}
    edges = [(where[u][0], where[u][1], where[v][1], d["mi"] * scale)
             for u, v, d in graph.edges(data=True) if math.isfinite(d["mi"])]
    ranked = sorted(graph.edges(data=True), key=lambda e: -np.nan_to_num(e[2]["mi"], nan=-1))
    return {
        "layers": nif.layers(matrix),
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


def sets(matrix, scale, limit=MAX_SET_ROWS):
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
