"""
Information flow through a network
==================================

A small network (7 → 8 → 5 → 1, ReLU) trained on scikit-learn's Friedman #1 problem,
``y = 10 sin(π x0 x1) + 20 (x2 − 0.5)² + 10 x3 + 5 x4 + noise``, in which x5 and x6 are
noise the target does not depend on. A flow analysis estimates the MI between every
neuron of each layer and every neuron of the next, on held-out samples, and which share
of the output's information each input carries. The hidden units are ReLU: each is
exactly 0 for a share of the samples, an atom that gmmmi splits from the unit's
continuous part (the user guide's *Ties and atoms*).
"""

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from sklearn.datasets import make_friedman1
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

import gmmmi
from gmmmi.analysis import flow

x, y = make_friedman1(n_samples=3500, n_features=7, noise=0.5, random_state=0)
scaler = StandardScaler().fit(x[:2000])
train, held_out = scaler.transform(x[:2000]), scaler.transform(x[2000:])
network = MLPRegressor(hidden_layer_sizes=(8, 5), activation="relu", alpha=1e-3,
                       max_iter=2000, random_state=0).fit(train, y[:2000] / y[:2000].std())
print(f"held-out R² = {network.score(held_out, y[2000:] / y[:2000].std()):.2f}")

# Every layer's values on the held-out samples: the inputs, each hidden layer, the output.
layers = [held_out]
for depth, (weights, bias) in enumerate(zip(network.coefs_, network.intercepts_)):
    values = layers[-1] @ weights + bias  # from the layer before, after its activation
    layers.append(np.maximum(values, 0.0) if depth < len(network.coefs_) - 1 else values)
assert np.allclose(layers[-1][:, 0], network.predict(held_out))  # the network's own output
for depth, layer in enumerate(layers[1:-1], start=1):  # ReLU: exactly 0 on some samples
    print(f"hidden layer {depth}, share of zeros per unit: "
          + ", ".join(f"{share:.0%}" for share in (layer == 0).mean(axis=0)))
prefixes = ["x", "h1_", "h2_", "y"]
data = {f"layer_{k}": pd.DataFrame(layer, columns=[f"{p}{i}" if p != "y" else "y"
                                                   for i in range(layer.shape[1])])
        for k, (p, layer) in enumerate(zip(prefixes, layers))}
matrix = gmmmi.mi_matrix(data, x=None, kind="flow", n_bootstrap=10, progress=False)

# %%
# The graph: one node per neuron, one edge per pair of neighbouring layers, drawn with
# a width that grows with the edge's MI.

graph = flow.flow_graph(matrix)
position = {node: (graph.nodes[node]["layer"], -i) for i, node in enumerate(graph.nodes)}
for layer in {graph.nodes[n]["layer"] for n in graph.nodes}:
    members = [n for n in graph.nodes if graph.nodes[n]["layer"] == layer]
    for i, node in enumerate(members):
        position[node] = (layer, (len(members) - 1) / 2 - i)
mi = np.array([max(d["mi"], 0.0) for _, _, d in graph.edges(data=True)])
fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
labels = {node: node.split("/")[-1] for node in graph.nodes}
nx.draw_networkx(graph, position, ax=ax, labels=labels, node_size=300, font_size=6, arrows=False,
                 width=4 * mi / mi.max(), edge_color="tab:blue", node_color="0.85")
ax.set_title("MI between neurons of neighbouring layers")
ax.axis("off")
plt.show()

# %%
# Each input's share of the output's information, I(x_i; y) / Σ_j I(x_j; y), with a 95%
# interval over the pairs' bootstrap fits. The noise features x5 and x6 get almost
# nothing.

inputs, outputs, shares, low, high = flow.direct_attribution(matrix)
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.bar(range(len(inputs)), shares[:, 0], yerr=[shares[:, 0] - low[:, 0],
                                               high[:, 0] - shares[:, 0]], color="tab:blue")
ax.set(xticks=range(len(inputs)), ylabel="share of the output's MI",
       title="attribution of the output to the inputs")
ax.set_xticklabels([name.split("/")[-1] for name in inputs])
for name, share, lo, hi in zip(inputs, shares[:, 0], low[:, 0], high[:, 0]):
    print(f"{name.split('/')[-1]}: {share:.1%} (95% {lo:.1%} to {hi:.1%})")
plt.show()
