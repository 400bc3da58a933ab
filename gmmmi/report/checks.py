"""The report's answers to "how sure are we, and can the fits be trusted": the top pairs
with their bootstrap distributions and the data under the fitted mixtures, the
diagnostics (flagged pairs, components, CV curves, ties), the comparison with the truth
and the provenance."""

from __future__ import annotations

import datetime
import json

import numpy as np

from .. import status as st
from ..analysis import matrix as mx
from ..core.marginals import transform
from ..core.validation import labels
from . import figures

N_CV_CURVES = 6
SPACE_LABEL = {"rank": "normal score", "standardise": "standardised"}


def top_pair(pair, matrix, source, scale, unit_label):
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
    marginals = model.get("marginals", model.get("transform"))  # older matrices: transform
    space = SPACE_LABEL.get(marginals, marginals)
    if "mixture" in model:
        keep = np.isfinite(x) & np.isfinite(y)
        data = transform(np.column_stack([x[keep], y[keep]]).astype(np.float64), marginals)
        return lambda ax: figures.draw_joint(
            ax, data, model["mixture"], [f"{figures.short(pair.x)} ({space})",
                                         f"{figures.short(pair.y)} ({space})"])
    kind_x = str(matrix["kind_x"].values[pair.i])
    continuous, categorical, name = (y, x, pair.y) if kind_x == "categorical" else (x, y, pair.x)
    codes, categories = labels("labels", categorical)
    keep = np.isfinite(continuous.astype(np.float64)) & (codes >= 0)
    values = transform(continuous[keep].astype(np.float64)[:, None], marginals)[:, 0]
    by_label = {str(categories[c]): values[codes[keep] == c] for c in np.unique(codes[keep])}
    return lambda ax: figures.draw_categories(ax, by_label, model["mixtures"],
                                              f"{figures.short(name)} ({space})")


def diagnostics(matrix, pairs, by_mi, settings):
    max_k = settings.get("max_components")
    counts = status_counts(p.n_components for p in pairs if np.isfinite(p.mi) and p.n_components)
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


def against_truth(pairs, unit_label):
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


def provenance(matrix, settings, pairs):
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


def status_counts(values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (kv[0] != st.OK, kv[0])))
