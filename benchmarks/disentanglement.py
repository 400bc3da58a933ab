"""Disentanglement scores of the shapes3d beta-VAE (../shared/data): gmmmi's MIG with its
interval beside disentanglement_lib's discrete one, and the other scores.

Run from the repository root (needs ../shared/data/shapes3d; one core):

    .venv/bin/python benchmarks/disentanglement.py

The 6 latents x 6 categorical factors of 48,000 images: gmmmi's MI matrix
(``gmmmi.mi_matrix``, default settings) gives its MIG and modularity with 95% intervals
over the bootstrap fits; ``gmmmi.disentanglement`` computes disentanglement_lib's discrete
MIG (on all rows, and on 10,000 drawn as that library draws its points), SAP, DCI,
modularity and explicitness from the data. Writes
``benchmarks/measured/disentanglement.md``: the scores with their seconds, then the gap of
each factor under both MIGs.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gmmmi  # noqa: E402
from gmmmi import disentanglement as scores  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "shapes3d"
OUT = ROOT / "benchmarks" / "measured"
FACTORS = ["floor_hue", "object_hue", "orientation", "scale", "shape", "wall_hue"]


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="use the first ROWS rows only")
    parser.add_argument("--out", default="disentanglement")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared shapes3d data")
    latents = np.load(DATA / "latents.npy")[:args.rows]
    factors = np.load(DATA / "categories.npy")[:args.rows]
    load = os.getloadavg()[0]
    data = {"latent": pd.DataFrame(latents, columns=[f"z{i}" for i in range(latents.shape[1])]),
            "factor": pd.DataFrame(factors, columns=FACTORS)}
    matrix, matrix_seconds = timed(gmmmi.mi_matrix, data, "latent", "factor", progress=False)
    rows = [("MIG (gmmmi)",) + timed(scores.gmm_mig, matrix),
            ("modularity (gmmmi)",) + timed(scores.gmm_modularity, matrix),
            ("MIG (discrete)",) + timed(scores.discrete_mig, latents, factors)]
    # disentanglement_lib scores MIG on 10,000 points: the same on 10,000 rows drawn here
    drawn = np.random.default_rng(0).choice(len(latents), min(10_000, len(latents)), False)
    rows.append(("MIG (discrete), 10,000 rows",)
                + timed(scores.discrete_mig, latents[drawn], factors[drawn]))
    rows.append(("modularity (discrete)",) + timed(scores.discrete_modularity, latents, factors))
    rows.append(("SAP",) + timed(scores.sap, latents, factors))
    found, dci_seconds = timed(scores.dci, latents, factors)
    rows += [("DCI disentanglement", found["disentanglement"], dci_seconds),
             ("DCI completeness", found["completeness"], None),
             ("DCI informativeness (test accuracy)", found["informativeness_test"], None)]
    explicit, seconds = timed(scores.explicitness, latents, factors)
    rows.append(("explicitness (test ROC AUC)", explicit["test"], seconds))

    lines = ["# Disentanglement scores of the shapes3d beta-VAE\n",
             f"Command: `.venv/bin/python benchmarks/disentanglement.py"
             f"{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}` (machine load before "
             f"the run: {load:.2f}). {len(latents)} rows, 6 latents x 6 categorical factors; "
             f"gmmmi's MI matrix took {matrix_seconds:.0f} s (default settings, 50 bootstrap "
             "fits, one core).\n",
             "| score | value | 95% interval | seconds |", "|---|---|---|---|"]
    for name, value, seconds in rows:
        if isinstance(value, scores.Score):
            interval = (f"{value.low:.3f}–{value.high:.3f}" if np.isfinite(value.low)
                        else "–")
            value = value.value
        else:
            interval = "–"
        lines.append(f"| {name} | {value:.3f} | {interval} | "
                     f"{'' if seconds is None else f'{seconds:.1f}'} |")
    entropy = matrix["entropy_y"].values
    gaps = scores.factor_gaps(matrix["mi"].values, entropy)
    binned = scores.discrete_mi(latents, factors)
    lines += ["\nPer factor: the most informative latent and the normalised gap, from gmmmi's "
              "MI and from the binned MI (nats).\n",
              "| factor | H (nat) | gmmmi: top latent, MI, second MI | gmmmi gap | "
              "binned: top latent, MI, second MI | binned gap |",
              "|---|---|---|---|---|---|"]
    for gap in gaps:
        column = binned[:, gap.factor]
        order = np.argsort(-column)
        lines.append(
            f"| {FACTORS[gap.factor]} | {entropy[gap.factor]:.3f} | z{gap.top}, "
            f"{gap.top_mi:.3f}, {gap.second_mi:.3f} | {gap.score:.3f} | z{order[0]}, "
            f"{column[order[0]]:.3f}, {column[order[1]]:.3f} | "
            f"{(column[order[0]] - column[order[1]]) / entropy[gap.factor]:.3f} |")
    OUT.mkdir(exist_ok=True)
    (OUT / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
