"""Information flow through a network (NIF): neuron-to-neuron MI between adjacent layers.

After Davis et al., "On Network Science and Mutual Information for Explaining Deep
Neural Networks" (ICASSP 2020). A flow analysis estimates MI between every neuron of
layer k and every neuron of layer k+1 (``kind: flow`` in the workflow); this module
turns its matrix (``mi.zarr``) into a directed graph weighted by MI and reads
measures off it.

Attribution
-----------
How much of the information reaching an output comes from each input feature. Each
neuron's incoming information is apportioned among its inputs in proportion to the MI
of each incoming edge: the share of edge u -> v is ``s(u, v) = I(u; v) / sum_u' I(u'; v)``.
The attribution of input i to output o is the sum over all paths i -> ... -> o of the
product of the shares along the path, i.e. ``(S_0 S_1 ... S_{L-1})[i, o]`` with ``S_k`` the
share matrix of layers k -> k+1. For each output the attributions are non-negative and
sum to 1 (a distribution over inputs). An input the network ignores gets ~0: its edges
into the first hidden layer carry ~0 MI. Negative MI estimates count as 0.

Resolution
----------
A deterministic neuron has, in theory, unbounded MI with the inputs that determine it;
GMM-MI measures the dependence visible at the data's finite resolution (and sample
size). Compare values within one network and dataset, not across networks or datasets.
"""

import json
import math

import numpy as np

from . import status
from ._files import replacing
from .analysis import matrix as mx

_SKIPPED = status.NO_PAIR + (status.NOT_ESTIMATED,)


def check_flow(matrix):
    if matrix.attrs.get("kind") != "flow":
        raise ValueError(f"analysis {matrix.attrs.get('analysis', '?')!r} is not a flow "
                         f"analysis (kind: flow in the config)")


def layers(matrix):
    """The layer groups of a flow matrix, inputs first."""
    check_flow(matrix)
    ordered = list(dict.fromkeys(mx.strings(matrix, "group_x")))
    return ordered + [mx.strings(matrix, "group_y")[-1]]


def node_id(group, name):
    return f"{group}/{name}"


def layer_matrices(matrix):
    """The MI matrix of each pair of adjacent layers: {(layer_k, layer_k+1): Dataset}."""
    order = layers(matrix)
    gx, gy = np.array(mx.strings(matrix, "group_x")), np.array(mx.strings(matrix, "group_y"))
    return {(a, b): matrix.isel(var_x=np.flatnonzero(gx == a), var_y=np.flatnonzero(gy == b))
            for a, b in zip(order[:-1], order[1:])}


def flow_graph(matrix):
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
            graph.add_node(node_id(group, name), group=group, name=name, layer=index[group])
    status = np.array([[str(v) for v in row] for row in matrix["status"].values.tolist()],
                      dtype=object)
    lows, highs = mx.intervals(matrix)
    gx, gy = mx.strings(matrix, "group_x"), mx.strings(matrix, "group_y")
    nx_, ny_ = mx.strings(matrix, "var_x"), mx.strings(matrix, "var_y")
    for i, j in zip(*np.nonzero(~np.isin(status, _SKIPPED))):
        low, high = lows[i, j], highs[i, j]
        graph.add_edge(node_id(gx[i], nx_[i]), node_id(gy[j], ny_[j]),
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


def attribution(graph):
    """(inputs, outputs, A): ``A[i, o]`` is the share of output o's information from input i.

    See the module docstring for the definition.
    """
    levels = _layer_nodes(graph)
    total = np.eye(len(levels[0]))
    for upper, lower in zip(levels[:-1], levels[1:]):
        mi = np.array([[_weight(graph.edges[u, v]) if graph.has_edge(u, v) else 0.0
                        for v in lower] for u in upper])
        incoming = mi.sum(axis=0, keepdims=True)
        shares = np.divide(mi, incoming, out=np.zeros_like(mi), where=incoming > 0)
        total = total @ shares
    return levels[0], levels[-1], total


def neuron_measures(graph, seed=0):
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


def write_graph(graph, graphml, json_path, seed=0):
    """Write the flow graph with its measures and attribution as GraphML and JSON."""
    import networkx as nx

    measures = neuron_measures(graph, seed)
    annotated = graph.copy()
    for node, values in measures.items():
        annotated.nodes[node].update(values)
    inputs, outputs, shares = attribution(graph)
    with replacing(graphml) as staging:
        nx.write_graphml(annotated, staging)
    document = {
        "graph": nx.node_link_data(annotated, edges="edges"),
        "attribution": {o: {i: float(shares[a, b]) for a, i in enumerate(inputs)}
                        for b, o in enumerate(outputs)},
        "unit": "nat",
    }
    with replacing(json_path) as staging:
        staging.write_text(json.dumps(_finite(document), indent=1), encoding="utf-8")
    return measures


def _finite(value):
    """NaN and infinities become None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
