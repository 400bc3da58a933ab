"""Information flow through a network (NIF): neuron-to-neuron MI between adjacent layers.

After Davis et al., "On Network Science and Mutual Information for Explaining Deep
Neural Networks" (ICASSP 2020). A flow analysis estimates MI between every neuron of
layer k and every neuron of layer k+1 (``kind: flow`` in the workflow); this module
turns its matrix (``mi.zarr``) into a directed graph weighted by MI and reads
measures off it.

Attribution
-----------
How much of the information reaching an output comes from each input feature. A flow
analysis also estimates the inputs and the first hidden layer's neurons with every
output, for these.

*Direct* (the default, :func:`direct_attribution`): input i's share of output o is
``I(x_i; o) / sum_j I(x_j; o)``.

*Weighted flow* (:func:`weighted_attribution`): each neuron v of the first hidden layer
splits its incoming information among the inputs as *path* below does, and counts by how
much it tells about the output, ``I(v; o) / sum_v' I(v'; o)``, measured directly rather
than traced back through the later layers.

*Path* (:func:`attribution`, a heuristic kept for comparison): each neuron's incoming
information is apportioned among its inputs in proportion to the MI of each incoming
edge, ``s(u, v) = I(u; v) / sum_u' I(u'; v)``, and input i's attribution to output o is
the sum over all paths i -> ... -> o of the product of the shares along the path,
``(S_0 S_1 ... S_{L-1})[i, o]``. A hidden neuron that nearly copies one input hands it most
of its share whatever that neuron's weight downstream.

All three sum to 1 per output; negative MI estimates count as 0; direct and weighted
flow carry an interval from the pairs' bootstrap fits. Measured on 7-8-5-1 MLPs trained on
functions with known Sobol total-effect indices (``benchmarks/measured/nif_attribution.md``,
3 networks each), Spearman's rho with the indices (Friedman #1, additive, interaction):
direct 0.94 / 0.96 / 0.91, weighted flow 0.73 / 0.90 / 0.91, path 0.73 / 0.93 / 0.91; the
most important input first in 9, 6 and 6 of 9 networks; irrelevant inputs at most 0.6 %,
16 % and 17 %. Weighting the first hidden layer's neurons by their MI with the output
changes little: the error is in splitting a neuron's information by the MI of each
incoming edge, which favours an input the neuron nearly copies.

Resolution
----------
A deterministic neuron has, in theory, unbounded MI with the inputs that determine it;
GMM-MI measures the dependence visible at the data's finite resolution (and sample
size). Compare values within one network and dataset, not across networks or datasets.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import numpy as np

from .. import status
from .._files import replacing
from . import kinds
from . import matrix as mx

if TYPE_CHECKING:
    import os

    import networkx as nx
    import xarray as xr

_SKIPPED = status.NO_PAIR + (status.NOT_ESTIMATED,)


def _check_flow(matrix):
    if kinds.of(matrix.attrs) != kinds.FLOW:
        raise ValueError(f"analysis {matrix.attrs.get('analysis', '?')!r} is not a flow "
                         f"analysis (kind: flow in the config)")


def layers(matrix):
    """The layer groups of a flow matrix, inputs first."""
    _check_flow(matrix)
    ordered = list(dict.fromkeys(mx.strings(matrix, "group_x")))
    return ordered + [mx.strings(matrix, "group_y")[-1]]


def _node_id(group, name):
    return f"{group}/{name}"


def layer_matrices(matrix: xr.Dataset) -> dict[tuple[str, str], xr.Dataset]:
    """The MI matrix of each pair of adjacent layers: {(layer_k, layer_k+1): Dataset}."""
    order = layers(matrix)
    gx, gy = np.array(mx.strings(matrix, "group_x")), np.array(mx.strings(matrix, "group_y"))
    return {(a, b): matrix.isel(var_x=np.flatnonzero(gx == a), var_y=np.flatnonzero(gy == b))
            for a, b in zip(order[:-1], order[1:])}


def flow_graph(matrix: xr.Dataset) -> nx.DiGraph:
    """A ``networkx.DiGraph``: one node per neuron, one edge per adjacent-layer pair.

    Nodes carry ``group``, ``name`` and ``layer`` (0 = inputs); edges carry ``mi``,
    ``mi_std``, ``mi_low``/``mi_high`` (the reported 95% interval), ``n_components`` and
    ``status``. Values are in nats.
    """
    import networkx as nx

    order = layers(matrix)
    index = {g: k for k, g in enumerate(order)}
    graph = nx.DiGraph(analysis=str(matrix.attrs.get("analysis", "")), layers=",".join(order))
    for axis in ("x", "y"):
        names = zip(mx.strings(matrix, f"group_{axis}"), mx.strings(matrix, f"var_{axis}"))
        for group, name in names:
            graph.add_node(_node_id(group, name), group=group, name=name, layer=index[group])
    status = np.array([[str(v) for v in row] for row in matrix["status"].values.tolist()],
                      dtype=object)
    lows, highs = mx.intervals(matrix)
    gx, gy = mx.strings(matrix, "group_x"), mx.strings(matrix, "group_y")
    nx_, ny_ = mx.strings(matrix, "var_x"), mx.strings(matrix, "var_y")
    for i, j in zip(*np.nonzero(~np.isin(status, _SKIPPED))):
        if index[gy[j]] != index[gx[i]] + 1:
            continue  # inputs x outputs: the direct attribution's, not an edge
        low, high = lows[i, j], highs[i, j]
        graph.add_edge(_node_id(gx[i], nx_[i]), _node_id(gy[j], ny_[j]),
                       mi=float(matrix["mi"].values[i, j]),
                       mi_std=float(matrix["mi_std"].values[i, j]),
                       mi_low=float(low), mi_high=float(high),
                       n_components=int(matrix["n_components"].values[i, j]),
                       status=str(status[i, j]))
    return graph


def _weight(data):
    value = data.get("mi", math.nan)
    return max(value, 0.0) if math.isfinite(value) else 0.0


def _layer_nodes(graph):
    by_layer = {}
    for node, data in graph.nodes(data=True):
        by_layer.setdefault(data["layer"], []).append(node)
    return [by_layer[k] for k in sorted(by_layer)]


def _shares(mi):
    """Each column of an MI block as shares summing to 1 (negative or missing MI count as 0)."""
    mi = np.clip(np.nan_to_num(mi, nan=0.0), 0.0, None)
    total = mi.sum(axis=0, keepdims=True)
    return np.divide(mi, total, out=np.zeros_like(mi), where=total > 0)


def _attributed(matrix, shares_of, level):
    """(inputs, outputs, shares, low, high) of an attribution ``shares_of(mi, block)``, where
    ``block(a, b)`` takes the (layer a x layer b) block of an MI matrix; the interval is the
    percentiles of the shares over the pairs' bootstrap fits."""
    order = layers(matrix)
    gx, gy = np.array(mx.strings(matrix, "group_x")), np.array(mx.strings(matrix, "group_y"))
    names_x, names_y = mx.strings(matrix, "var_x"), mx.strings(matrix, "var_y")
    inputs = [_node_id(order[0], names_x[i]) for i in np.flatnonzero(gx == order[0])]
    outputs = [_node_id(order[-1], names_y[j]) for j in np.flatnonzero(gy == order[-1])]

    def evaluate(mi):
        return shares_of(mi, lambda a, b: mi[np.ix_(gx == a, gy == b)], order)

    shares = evaluate(matrix["mi"].values)
    boot = matrix["mi_bootstrap"].values
    if boot.shape[-1] and np.isfinite(boot).any():
        draws = np.stack([evaluate(boot[..., b]) for b in range(boot.shape[-1])], axis=-1)
        tail = 50.0 * (1.0 - level)
        low, high = np.percentile(draws, [tail, 100.0 - tail], axis=-1)
    else:
        low = high = np.full(shares.shape, np.nan)
    return inputs, outputs, shares, low, high


def direct_attribution(matrix: xr.Dataset, level: float = 0.95) -> tuple:
    """(inputs, outputs, shares, low, high): the share of each input in the information
    about each output, ``I(x_i; o) / sum_j I(x_j; o)``, with its interval.

    The default attribution: on networks trained on functions with known importance it
    ranks inputs as their Sobol total-effect indices (``benchmarks/nif_attribution.py``;
    the path attribution ranked Friedman #1's largest term fourth). ``low``/``high`` are
    the percentiles of the shares over the pairs' bootstrap fits.
    """
    return _attributed(matrix, lambda mi, block, order: _shares(block(order[0], order[-1])),
                       level)


def weighted_attribution(matrix: xr.Dataset, level: float = 0.95) -> tuple:
    """(inputs, outputs, shares, low, high): the *weighted flow* attribution, with its
    interval: each neuron of the first hidden layer splits its incoming information among
    the inputs in proportion to each edge's MI, and counts by its own share of the MI with
    the output, ``sum_v s(x_i, v) I(v; o) / sum_v' I(v'; o)`` (the direct attribution when
    there is no hidden layer). Unlike the path attribution, a neuron that copies one input
    but tells little about the output passes that input little."""
    def shares_of(mi, block, order):
        if len(order) < 3:
            return _shares(block(order[0], order[-1]))
        return _shares(block(order[0], order[1])) @ _shares(block(order[1], order[-1]))

    return _attributed(matrix, shares_of, level)


def attribution(graph):
    """(inputs, outputs, A): the *path* attribution, ``A[i, o]`` the share of output o's
    information from input i through the network's paths.

    See the module docstring for the definition. A heuristic: a hidden neuron that
    copies one input hands it most of its share whatever the neuron's weight downstream;
    :func:`direct_attribution` is the default.
    """
    levels = _layer_nodes(graph)
    total = np.eye(len(levels[0]))
    for upper, lower in zip(levels[:-1], levels[1:]):
        mi = np.array([[_weight(graph.edges[u, v]) if graph.has_edge(u, v) else 0.0
                        for v in lower] for u in upper])
        total = total @ _shares(mi)
    return levels[0], levels[-1], total


def neuron_measures(graph: nx.DiGraph, seed: int = 0) -> dict:
    """Per neuron: information in and out (summed edge MI), betweenness, community.

    Betweenness centrality uses edge length 1/MI (strong edges are short); communities
    are Louvain communities of the undirected MI-weighted graph, seeded for repeatability.
    """
    import networkx as nx

    weighted = nx.DiGraph()
    weighted.add_nodes_from(graph.nodes)
    for u, v, data in graph.edges(data=True):
        w = _weight(data)
        if w > 0:
            weighted.add_edge(u, v, mi=w, length=1.0 / w)
    betweenness = nx.betweenness_centrality(weighted, weight="length", normalized=True)
    communities = nx.community.louvain_communities(weighted.to_undirected(), weight="mi",
                                                   seed=seed)
    community_of = {node: k for k, members in enumerate(
        sorted(communities, key=lambda c: (-len(c), sorted(c)))) for node in members}
    return {node: {"layer": graph.nodes[node]["layer"],
                   "info_in": sum(_weight(d) for _, _, d in graph.in_edges(node, data=True)),
                   "info_out": sum(_weight(d) for _, _, d in graph.out_edges(node, data=True)),
                   "betweenness": betweenness[node], "community": community_of[node]}
            for node in graph.nodes}


def write_graph(matrix: xr.Dataset, graphml: str | os.PathLike,
                json_path: str | os.PathLike, seed: int = 0) -> nx.DiGraph:
    """Write the flow graph of ``matrix`` with its measures as GraphML, and as JSON with
    the attributions (``attribution``: direct, and ``weighted_attribution``, each with
    ``low``/``high``; ``path_attribution``).
    Returns the graph."""
    import networkx as nx

    graph = flow_graph(matrix)
    measures = neuron_measures(graph, seed)
    annotated = graph.copy()
    for node, values in measures.items():
        annotated.nodes[node].update(values)
    inputs, outputs, shares, low, high = direct_attribution(matrix)
    weighted = weighted_attribution(matrix)[2:]
    path_inputs, path_outputs, path_shares = attribution(graph)
    with replacing(graphml) as staging:
        nx.write_graphml(annotated, staging)

    def with_intervals(shares, low, high):
        return {o: {i: {"share": float(shares[a, b]), "low": float(low[a, b]),
                        "high": float(high[a, b])} for a, i in enumerate(inputs)}
                for b, o in enumerate(outputs)}

    document = {
        "graph": nx.node_link_data(annotated, edges="edges"),
        "attribution": with_intervals(shares, low, high),
        "weighted_attribution": with_intervals(*weighted),
        "path_attribution": {o: {i: float(path_shares[a, b])
                                 for a, i in enumerate(path_inputs)}
                             for b, o in enumerate(path_outputs)},
        "unit": "nat",
    }
    with replacing(json_path) as staging:
        staging.write_text(json.dumps(_finite(document), indent=1), encoding="utf-8")
    return graph


def _finite(value):
    """NaN and infinities become None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
