"""Flow (NIF) analyses: layered datasets, adjacent-layer planning, the graph, attribution."""

import json

import networkx as nx
import numpy as np
import pytest

from gmmmi.analysis import flow
from gmmmi.analysis.gather import gather
from gmmmi.analysis.plan import flow_groups, plan_chunks
from gmmmi.analysis.run import run_chunk
from gmmmi.cli import main
from gmmmi.data.ingest import InputSpec, ingest
from gmmmi.data.store import describe_dataset, read_xarray
from gmmmi.report.page import render
from tests.helpers import analyse

SETTINGS = {"n_bootstrap": 4, "seed": 1}


def tanh_network(rng, n, sizes, depends_on=None):
    """Activations of a random tanh network; inputs outside ``depends_on`` get zero weight."""
    layers = [rng.standard_normal((n, sizes[0]))]
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        weights = rng.normal(0, 1.2, (a, b))
        if k == 0 and depends_on is not None:
            weights[[i for i in range(a) if i not in depends_on]] = 0.0
        values = layers[-1] @ weights
        layers.append(np.tanh(values) if k < len(sizes) - 2 else values)
    return layers


def layered_store(tmp_path, layers, keys=None):
    keys = keys or ["inputs", "hidden", "more"][:len(layers) - 1] + ["out"]
    archive = tmp_path / "acts.npz"
    np.savez(archive, **dict(zip(keys, layers)))
    ingest([InputSpec(archive, layers=True)], tmp_path / "net.zarr")
    return tmp_path / "net.zarr"


def run_flow(tmp_path, store, chunks=2):
    x, y = flow_groups(describe_dataset(store))
    return analyse(store, "nif", x, y, SETTINGS, tmp_path, chunks=chunks, kind="flow")


def test_ingest_layers_names_groups_in_archive_order(tmp_path):
    rng = np.random.default_rng(0)
    store = layered_store(tmp_path, [rng.standard_normal((50, k)) for k in (3, 2, 1)],
                          keys=["zeta", "alpha", "out"])
    ds = read_xarray(store)
    assert [g for g in ("layer_0", "layer_1", "layer_2") if g in ds] == ["layer_0", "layer_1",
                                                                         "layer_2"]
    assert [str(v) for v in ds["layer_0"]["layer_0_name"].values] == ["zeta_0", "zeta_1",
                                                                      "zeta_2"]
    assert [str(v) for v in ds["layer_1"]["layer_1_name"].values] == ["alpha_0", "alpha_1"]


def test_ingest_layers_refuses_what_it_cannot_read(tmp_path, capsys):
    np.savez(tmp_path / "one.npz", only=np.zeros((10, 2)))
    np.save(tmp_path / "plain.npy", np.zeros((10, 2)))
    for args, expected in (
            (["one.npz", "--layers"], "at least 2 arrays"),
            (["plain.npy", "--layers"], "--layers reads an .npz"),
    ):
        code = main(["ingest", *[str(tmp_path / a) if a.endswith(("npz", "npy")) else a
                                 for a in args], "--out", str(tmp_path / "x.zarr")])
        error = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(error) == 1 and expected in error[0], error
    assert not (tmp_path / "x.zarr").exists()


def test_flow_plans_only_adjacent_layers_in_numeric_order(tmp_path):
    rng = np.random.default_rng(1)
    sizes = (3, 4, 2, 1)
    store = layered_store(tmp_path, [rng.standard_normal((60, k)) for k in sizes])
    description = describe_dataset(store)
    x, y = flow_groups(description)
    assert x == ["layer_0", "layer_1", "layer_2"] and y == ["layer_1", "layer_2", "layer_3"]
    pairs = [p for m in plan_chunks(description, "nif", x, y, SETTINGS, 3, "flow")
             for p in m["pairs"]]
    # adjacent layers, and the inputs and the first hidden layer with the outputs
    assert len(pairs) == 3 * 4 + 4 * 2 + 2 * 1 + 3 * 1 + 4 * 1
    assert all(int(p.group_y[-1]) == int(p.group_x[-1]) + 1
               or (p.group_x in ("layer_0", "layer_1") and p.group_y == "layer_3")
               for p in pairs)
    assert flow_groups(description, ["layer_2", "layer_3"]) == (["layer_2"], ["layer_3"])
    with pytest.raises(ValueError, match="at least 2 layer groups"):
        flow_groups({"groups": {"latent": {}, "layer_0": {}}})


def test_attribution_of_a_hand_made_graph():
    graph = nx.DiGraph()
    for name, layer in (("a", 0), ("b", 0), ("c", 0), ("h1", 1), ("h2", 1), ("o", 2)):
        graph.add_node(name, layer=layer, name=name, group=f"layer_{layer}")
    for u, v, mi in (("a", "h1", 1.0), ("b", "h2", 0.5), ("b", "h1", 1.0), ("c", "h2", 0.0),
                     ("c", "h1", -0.01), ("h1", "o", 3.0), ("h2", "o", 1.0)):
        graph.add_edge(u, v, mi=mi)
    inputs, outputs, shares = flow.attribution(graph)
    # h1 gets 1/2 from a and 1/2 from b; h2 all from b; o gets 3/4 from h1, 1/4 from h2
    np.testing.assert_allclose(shares[:, 0], [0.375, 0.375 + 0.25, 0.0])
    assert inputs == ["a", "b", "c"] and outputs == ["o"]


def hand_flow_matrix(layers, mi, boot_scale=(1.0, 1.0)):
    """A flow matrix as gather writes it, but only what the attributions read: ``layers``
    [(group, [names])] in order, ``mi`` {(x name, y name): MI}; each bootstrap slice is the
    MI times one of ``boot_scale``'s factors."""
    import xarray as xr

    xs = [(g, n) for g, names in layers[:-1] for n in names]
    ys = [(g, n) for g, names in layers[1:] for n in names]
    values = np.full((len(xs), len(ys)), np.nan)
    for (u, v), value in mi.items():
        values[[n for _, n in xs].index(u), [n for _, n in ys].index(v)] = value
    return xr.Dataset(
        {"mi": (("var_x", "var_y"), values),
         "mi_bootstrap": (("var_x", "var_y", "bootstrap"),
                          values[..., None] * np.array(boot_scale))},
        coords={"var_x": [n for _, n in xs], "var_y": [n for _, n in ys],
                "group_x": ("var_x", [g for g, _ in xs]), "group_y": ("var_y", [g for g, _ in ys])},
        attrs={"kind": "flow"})


def test_weighted_flow_counts_each_hidden_neuron_by_its_information_about_the_output():
    # h1 nearly copies a but tells little about o; h2 carries b, and most of o
    layers = [("layer_0", ["a", "b"]), ("layer_1", ["h1", "h2"]), ("layer_2", ["g"]),
              ("layer_3", ["o"])]
    mi = {("a", "h1"): 2.0, ("b", "h1"): 0.1, ("a", "h2"): 0.0, ("b", "h2"): 0.5,
          ("h1", "g"): 1.0, ("h2", "g"): 1.0, ("g", "o"): 1.0,
          ("h1", "o"): 0.1, ("h2", "o"): 0.9, ("a", "o"): 0.05, ("b", "o"): 0.45}
    matrix = hand_flow_matrix(layers, mi, boot_scale=(1.0, 1.0, 1.0))
    inputs, outputs, shares, low, high = flow.weighted_attribution(matrix)
    assert inputs == ["layer_0/a", "layer_0/b"] and outputs == ["layer_3/o"]
    # h1: 2/2.1 from a, 0.1/2.1 from b, weight 0.1; h2: all from b, weight 0.9
    np.testing.assert_allclose(shares[:, 0], [0.1 * 2 / 2.1, 0.1 * 0.1 / 2.1 + 0.9])
    np.testing.assert_allclose(low, shares) and np.testing.assert_allclose(high, shares)
    np.testing.assert_allclose(flow.direct_attribution(matrix)[2][:, 0], [0.1, 0.9])
    # the path attribution, through g's equal split of h1 and h2, gives a about half
    graph = nx.DiGraph()
    for layer, (group, names) in enumerate(layers):
        graph.add_nodes_from(names, layer=layer)
    graph.add_edges_from((u, v, {"mi": value}) for (u, v), value in mi.items()
                         if graph.nodes[v]["layer"] == graph.nodes[u]["layer"] + 1)
    np.testing.assert_allclose(flow.attribution(graph)[2][:, 0],
                               [0.5 * 2 / 2.1, 0.5 * 0.1 / 2.1 + 0.5])


def test_attribution_intervals_follow_the_bootstrap_fits():
    layers = [("layer_0", ["a", "b"]), ("layer_1", ["h"]), ("layer_2", ["o"])]
    mi = {("a", "h"): 1.0, ("b", "h"): 1.0, ("h", "o"): 1.0, ("a", "o"): 0.3, ("b", "o"): 0.1}
    matrix = hand_flow_matrix(layers, mi, boot_scale=(1.0, 1.0))
    matrix["mi_bootstrap"].values[0, 1, 1] = 0.1  # (a, o) lower in one fit: a's share 0.5
    inputs, _, shares, low, high = flow.direct_attribution(matrix, level=1.0)
    np.testing.assert_allclose(shares[:, 0], [0.75, 0.25])
    np.testing.assert_allclose(low[:, 0], [0.5, 0.25]) and np.testing.assert_allclose(
        high[:, 0], [0.75, 0.5])
    # one hidden neuron: the weighted flow is its even split
    np.testing.assert_allclose(flow.weighted_attribution(matrix)[2][:, 0], [0.5, 0.5])


def test_flow_matrix_graph_files_and_report(tmp_path):
    rng = np.random.default_rng(2)
    store = layered_store(tmp_path, tanh_network(rng, 500, (3, 2, 1)))
    matrix = run_flow(tmp_path, store)
    assert matrix.attrs["kind"] == "flow"
    # x: layers 0-1 (5 neurons), y: layers 1-2 (3): adjacent cells and inputs x outputs
    # estimated, others not
    assert (matrix["status"].values == "not-adjacent").sum() == 5 * 3 - (3 * 2 + 2 * 1 + 3 * 1)
    blocks = flow.layer_matrices(read_xarray(tmp_path / "nif.zarr"))
    assert {k: v["mi"].shape for k, v in blocks.items()} == {("layer_0", "layer_1"): (3, 2),
                                                             ("layer_1", "layer_2"): (2, 1)}
    assert np.isfinite(blocks[("layer_0", "layer_1")]["mi"].values).all()

    assert main(["flow", str(tmp_path / "nif.zarr"), "--graphml", str(tmp_path / "g.graphml"),
                 "--json", str(tmp_path / "g.json")]) == 0
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert graph.number_of_nodes() == 6 and graph.number_of_edges() == 8
    edge = graph.edges["layer_0/inputs_0", "layer_1/hidden_0"]
    assert edge["mi"] > 0 and edge["mi_std"] > 0 and edge["mi_low"] <= edge["mi"]
    assert {"info_in", "info_out", "betweenness", "community"} <= set(
        graph.nodes["layer_1/hidden_0"])
    document = json.loads((tmp_path / "g.json").read_text())
    direct = document["attribution"]["layer_2/out_0"]
    assert sum(v["share"] for v in direct.values()) == pytest.approx(1.0)
    assert all(v["low"] <= v["share"] <= v["high"] for v in direct.values())
    assert sum(document["path_attribution"]["layer_2/out_0"].values()) == pytest.approx(1.0)
    weighted = document["weighted_attribution"]["layer_2/out_0"]
    assert sum(v["share"] for v in weighted.values()) == pytest.approx(1.0)

    page = render(read_xarray(tmp_path / "nif.zarr"), read_xarray(store), top_pairs=2)
    assert 'id="flow"' in page and "finite resolution" in page
    assert 'id="disentanglement"' not in page
    # the 8 edges and the 3 inputs x output pairs of the direct attribution
    assert page.split('id="pair-table"')[1].split("</table>")[0].count("<tr") - 1 == 8 + 3
    assert "path attribution" in page and "weighted flow" in page and "Sobol" in page


def test_flow_command_refuses_other_analyses(tmp_path, capsys):
    rng = np.random.default_rng(3)
    store = layered_store(tmp_path, tanh_network(rng, 300, (2, 1)))
    description = describe_dataset(store)
    manifest = plan_chunks(description, "pairs", "layer_0", "layer_1", SETTINGS, 1)[0]
    run_chunk(store, manifest, tmp_path / "c.json", cache_dir=tmp_path / "cache")
    gather([tmp_path / "c.json"], tmp_path / "mi.zarr")
    capsys.readouterr()  # the chunk's progress
    code = main(["flow", str(tmp_path / "mi.zarr"), "--graphml", str(tmp_path / "g.graphml"),
                 "--json", str(tmp_path / "g.json")])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and "not a flow analysis" in error[0]


@pytest.mark.slow
def test_an_output_of_two_inputs_is_attributed_to_those_two(tmp_path):
    """A trained network: the output depends on inputs 0 and 1 of five."""
    from sklearn.neural_network import MLPRegressor

    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, (3000, 5))
    y = np.sin(1.5 * x[:, 0]) + 0.5 * x[:, 1] ** 2 + 0.05 * rng.standard_normal(3000)
    network = MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", alpha=1e-3,
                           max_iter=2000, random_state=0).fit(x[:2000], y[:2000])
    assert network.score(x[2000:], y[2000:]) > 0.9
    hidden = np.tanh(x[2000:] @ network.coefs_[0] + network.intercepts_[0])
    out = hidden @ network.coefs_[1] + network.intercepts_[1]
    store = layered_store(tmp_path, [x[2000:], hidden, out])
    matrix = run_flow(tmp_path, store)
    for method in (flow.direct_attribution, flow.weighted_attribution,
                   lambda m: flow.attribution(flow.flow_graph(m))):
        inputs, outputs, shares = method(matrix)[:3]
        assert shares[:, 0].sum() == pytest.approx(1.0)
        assert shares[0, 0] + shares[1, 0] > 0.95, dict(zip(inputs, shares[:, 0]))
        assert min(shares[0, 0], shares[1, 0]) > 0.1  # both matter


@pytest.mark.slow
def test_the_default_attribution_ranks_friedman_inputs_by_their_total_effect():
    """A 7-8-5-1 ReLU MLP trained on Friedman #1 (its hidden units exactly 0 for a share of
    the rows, atoms split by the chain rule): the direct attribution ranks the inputs as
    their Sobol total-effect indices (computed here, Jansen's estimator), puts the largest
    (x3) first and leaves the irrelevant x5, x6 under 2%; the path heuristic did not."""
    from scipy import stats
    from sklearn.neural_network import MLPRegressor

    import gmmmi

    def friedman(x):
        return (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
                + 10 * x[:, 3] + 5 * x[:, 4])

    rng = np.random.default_rng(7)
    a, b = rng.random((100_000, 7)), rng.random((100_000, 7))
    fa = friedman(a)
    total = []
    for i in range(7):
        mixed = a.copy()
        mixed[:, i] = b[:, i]
        total.append(0.5 * np.mean((fa - friedman(mixed)) ** 2) / fa.var())
    assert np.argmax(total) == 3 and total[5] < 1e-3

    x = rng.random((5000, 7))
    y = friedman(x)
    mean, sd = x[:3000].mean(axis=0), x[:3000].std(axis=0)
    network = MLPRegressor(hidden_layer_sizes=(8, 5), activation="relu", alpha=1e-3,
                           max_iter=3000, random_state=0).fit((x[:3000] - mean) / sd,
                                                              y[:3000] / y.std())
    layers = [(x[3000:] - mean) / sd]
    for depth, (weights, bias) in enumerate(zip(network.coefs_, network.intercepts_)):
        values = layers[-1] @ weights + bias
        layers.append(np.maximum(values, 0.0) if depth < len(network.coefs_) - 1 else values)
    assert np.mean(layers[1] == 0) > 0.2  # ReLU zeros: atoms in every hidden layer
    data = {f"layer_{k}": v for k, v in enumerate(layers)}
    matrix = gmmmi.mi_matrix(data, x=list(data), kind="flow", n_bootstrap=10, progress=False)
    inputs, _, shares, low, high = flow.direct_attribution(matrix)
    share = shares[:, 0]
    assert stats.spearmanr(share, total).statistic >= 0.9, dict(zip(inputs, share))
    assert np.argmax(share) == 3 and share[5] + share[6] < 0.02
    assert np.all(low[:, 0] <= share) and np.all(share <= high[:, 0])
