"""Train a small MLP and record its activations for a flow (NIF) analysis.

    .venv/bin/python examples/nif_mlp.py                 # writes examples/nif/activations.npz
    .venv/bin/gmmmi ingest examples/nif/activations.npz --layers --out examples/nif/data.zarr
    .venv/bin/snakemake --cores 2 --configfile examples/nif/config.yaml

The data are scikit-learn's Friedman #1 regression problem (generated, no download):
y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise, with x5 and x6 pure
noise features the target does not depend on. So the answer is known: a good
attribution gives x5 and x6 almost nothing. The network (7 -> 8 -> 5 -> 1, ReLU) is
trained on 3000 samples; its activations are recorded on 2000 held-out samples. ReLU
units are exactly 0 on a share of the rows (28-75% here): gmmmi breaks those ties at
random in the ranks, which leaves the MI unchanged (docs/user-guide/how-it-works.md).
"""

import argparse
from pathlib import Path

import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler


def activations(network, inputs):
    """Every layer's values for ``inputs``: the inputs, each hidden layer, the output."""
    layers = [inputs]
    values = inputs
    for depth, (weights, bias) in enumerate(zip(network.coefs_, network.intercepts_)):
        values = values @ weights + bias
        if depth < len(network.coefs_) - 1:
            values = np.maximum(values, 0.0)  # the network's activation: ReLU
        layers.append(values)
    return layers


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples/nif/activations.npz")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    x, y = make_friedman1(n_samples=5000, n_features=7, noise=0.5, random_state=args.seed)
    scaler = StandardScaler().fit(x[:3000])
    inputs_train, inputs_test = scaler.transform(x[:3000]), scaler.transform(x[3000:])
    target_scale = y[:3000].std()
    network = MLPRegressor(hidden_layer_sizes=(8, 5), activation="relu", alpha=1e-3,
                           max_iter=3000, random_state=args.seed)
    network.fit(inputs_train, y[:3000] / target_scale)
    score = network.score(inputs_test, y[3000:] / target_scale)
    layers = activations(network, inputs_test)
    assert np.allclose(layers[-1][:, 0], network.predict(inputs_test))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = ["x", "hidden1", "hidden2", "y"]  # np.savez keeps this order: layer_0 ... layer_3
    np.savez(out, **dict(zip(names, layers)))
    shapes = " -> ".join(str(a.shape[1]) for a in layers)
    print(f"{out}: layers {shapes} on {len(inputs_test)} held-out samples "
          f"(held-out R^2 = {score:.3f})")


if __name__ == "__main__":
    main()
