"""How well NIF attributions rank a network's inputs, against known importance (issue 19).

Run from the repository root (scikit-learn is in the bench extras):

    .venv/bin/python benchmarks/nif_attribution.py --seeds 3                    # tanh
    .venv/bin/python benchmarks/nif_attribution.py --seeds 3 --activation relu  # ReLU

For each target function of 7 inputs with known importance, a 7-8-5-1 MLP (tanh, or
ReLU with ``--activation relu``: its hidden units exactly 0 on a share of the rows) is
trained (3000 samples; scikit-learn, as examples/nif_mlp.py) for each seed; its
activations on 2000 held-out samples go through ``gmmmi.mi_matrix`` as a flow analysis
(every neuron of a layer with every neuron of the next) and as inputs × output. Three
attributions are compared with the inputs' Sobol total-effect indices of the function
(share of the output's variance each input explains, interactions included; computed here
by Jansen's estimator on 200,000 points):

- ``path``: the path heuristic (``gmmmi.analysis.flow.attribution``), the default before issue 19;
- ``weighted``: the weighted flow (``gmmmi.analysis.flow.weighted_attribution``): the first hidden
  layer's neurons split among the inputs by edge MI, each weighted by its MI with the output;
- ``direct``: I(x_i; output), normalised to sum to 1 (``gmmmi.analysis.flow.direct_attribution``,
  the default since).

Per function and method: Spearman's rank correlation with the total indices, the share
given to the irrelevant inputs, and whether the input with the largest index is ranked
first (the issue's goals: >= 0.9, < 2 %, yes). Writes benchmarks/measured/nif_attribution.md
(``nif_attribution_relu.md`` for ReLU), with each hidden layer's share of zeros.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import gmmmi  # noqa: E402
from gmmmi.analysis.flow import (  # noqa: E402
    attribution,
    direct_attribution,
    flow_graph,
    weighted_attribution,
)

N_INPUTS = 7
OUT = ROOT / "benchmarks" / "measured"


def friedman1(x):
    """scikit-learn's Friedman #1 on U(0, 1)^7; x5 and x6 are irrelevant."""
    return (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
            + 10 * x[:, 3] + 5 * x[:, 4])


def additive(x):
    """Chosen weights on U(0, 1)^7: x0 > x1 > x2 > x3, the rest irrelevant."""
    return 4 * x[:, 0] + 3 * x[:, 1] + 2 * x[:, 2] + 1 * x[:, 3]


def interaction(x):
    """An XOR-like product of x0 and x1 (centred), plus a smaller linear x2."""
    return 8 * (x[:, 0] - 0.5) * (x[:, 1] - 0.5) + 1.0 * x[:, 2]


FUNCTIONS = {"friedman1": friedman1, "additive": additive, "interaction": interaction}


def total_indices(f, n=200_000, seed=0):
    """Sobol total-effect index of each input (Jansen's estimator), on U(0, 1)^7."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, N_INPUTS)), rng.random((n, N_INPUTS))
    fa = f(a)
    variance = fa.var()
    indices = []
    for i in range(N_INPUTS):
        mixed = a.copy()
        mixed[:, i] = b[:, i]
        indices.append(0.5 * np.mean((fa - f(mixed)) ** 2) / variance)
    return np.array(indices)


ACTIVATIONS = {"tanh": np.tanh, "relu": lambda values: np.maximum(values, 0.0)}


def trained_layers(f, seed, activation="tanh"):
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(100 + seed)
    x = rng.random((5000, N_INPUTS))
    y = f(x) + 0.05 * f(x).std() * rng.standard_normal(5000)
    scaler = StandardScaler().fit(x[:3000])
    train, test = scaler.transform(x[:3000]), scaler.transform(x[3000:])
    scale = y[:3000].std()
    network = MLPRegressor(hidden_layer_sizes=(8, 5), activation=activation, alpha=1e-3,
                           max_iter=3000, random_state=seed).fit(train, y[:3000] / scale)
    layers, values = [test], test
    for depth, (weights, bias) in enumerate(zip(network.coefs_, network.intercepts_)):
        values = values @ weights + bias
        if depth < len(network.coefs_) - 1:
            values = ACTIVATIONS[activation](values)
        layers.append(values)
    return layers, network.score(test, y[3000:] / scale)


def attributions(layers, n_bootstrap):
    data = {f"layer_{k}": values for k, values in enumerate(layers)}
    names = list(data)
    flow = gmmmi.mi_matrix(data, x=names, kind="flow", n_bootstrap=n_bootstrap,
                           progress=False)
    _, _, shares = attribution(flow_graph(flow))
    return {"path": shares[:, 0], "weighted": weighted_attribution(flow)[2][:, 0],
            "direct": direct_attribution(flow)[2][:, 0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-bootstrap", type=int, default=10)
    parser.add_argument("--activation", choices=list(ACTIVATIONS), default="tanh")
    args = parser.parse_args()
    lines = ["# NIF attribution against known importance (issue 19)", "",
             f"`benchmarks/nif_attribution.py --seeds {args.seeds} --n-bootstrap "
             f"{args.n_bootstrap} --activation {args.activation}`: 7-8-5-1 "
             f"{args.activation} MLPs, one per seed; Spearman ρ with the "
             "Sobol total-effect indices, share given to irrelevant inputs, largest index "
             "ranked first. Goals: ρ ≥ 0.9, irrelevant < 2 %, first right.", ""]
    summary = {}
    for name, f in FUNCTIONS.items():
        truth = total_indices(f)
        relevant = truth > 1e-3
        lines += [f"## {name}", "",
                  "total indices: " + ", ".join(f"x{i} {t:.3f}" for i, t in enumerate(truth)),
                  "", "| seed | R² | zeros (hidden) | method | shares (x0 … x6) | ρ | irrelevant "
                  "| first |", "|---|---|---|---|---|---|---|---|"]
        for seed in range(args.seeds):
            layers, r2 = trained_layers(f, seed, args.activation)
            zeros = ", ".join(f"{np.mean(layer == 0):.0%}" for layer in layers[1:-1])
            for method, shares in attributions(layers, args.n_bootstrap).items():
                rho = stats.spearmanr(shares, truth).statistic
                irrelevant = float(shares[~relevant].sum())
                first = int(np.argmax(shares)) == int(np.argmax(truth))
                summary.setdefault((name, method), []).append((rho, irrelevant, first))
                lines.append(f"| {seed} | {r2:.3f} | {zeros} | {method} | "
                             + " ".join(f"{s:.3f}" for s in shares)
                             + f" | {rho:.2f} | {100 * irrelevant:.1f} % | "
                             + ("yes" if first else "no") + " |")
                print(name, seed, method, f"rho={rho:.2f}", flush=True)
        lines.append("")
    lines += ["## Summary (over seeds)", "",
              "| function | method | mean ρ | worst ρ | worst irrelevant | first right |",
              "|---|---|---|---|---|---|"]
    for (name, method), runs in summary.items():
        rhos, irrelevant, first = zip(*runs)
        lines.append(f"| {name} | {method} | {np.mean(rhos):.2f} | {min(rhos):.2f} | "
                     f"{100 * max(irrelevant):.1f} % | {sum(first)}/{len(first)} |")
    OUT.mkdir(parents=True, exist_ok=True)
    name = "nif_attribution.md" if args.activation == "tanh" else \
        f"nif_attribution_{args.activation}.md"
    (OUT / name).write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-(len(summary) + 2):]))


if __name__ == "__main__":
    main()
