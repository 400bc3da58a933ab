"""Exactly Gaussian pairs: how often gmmmi picks more than one component, flags a pair,
and how wide its intervals are, where one Gaussian is the whole truth.

Run from the repository root (one core):

    .venv/bin/python benchmarks/gaussian_pairs.py --latents 64 --samples 2000 --seeds 2

The representation is that of issue 29: each latent is a linear mix of two of 32
independent Gaussian factors plus Gaussian noise, so every pair of latents is jointly
Gaussian, and its MI is -log(1 - rho^2) / 2 from the covariance (0 for the pairs that
share no factor, most of them). gmmmi runs with its defaults (``--settings name=value``
to change them) on every pair of latents. Writes ``benchmarks/measured/<out>.md``: per
N, for the independent and the dependent pairs, the share that picks K >= 2, the
statuses, the coverage of the 95% interval, and the median interval width at K = 1 and
at K >= 2.
"""

import argparse
import itertools
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from accuracy import parse_settings  # noqa: E402

from gmmmi import estimate_mi  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"
N_FACTORS = 32
NOISE = 0.5


def representation(n_latents, n_samples, seed):
    """Latents (n_samples, n_latents) and their covariance."""
    rng = np.random.default_rng([seed, n_latents, n_samples])
    mixing = np.zeros((n_latents, N_FACTORS))
    for latent in range(n_latents):
        mixing[latent, rng.choice(N_FACTORS, 2, replace=False)] = rng.normal(size=2)
    factors = rng.standard_normal((n_samples, N_FACTORS))
    latents = factors @ mixing.T + NOISE * rng.standard_normal((n_samples, n_latents))
    return latents, mixing @ mixing.T + NOISE ** 2 * np.eye(n_latents)


def run(n_latents, n_samples, seeds, settings):
    rows = []
    for seed in range(seeds):
        latents, cov = representation(n_latents, n_samples, seed)
        for i, j in itertools.combinations(range(n_latents), 2):
            rho = cov[i, j] / np.sqrt(cov[i, i] * cov[j, j])
            truth = -0.5 * np.log1p(-rho ** 2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = estimate_mi(latents[:, i], latents[:, j], seed=seed, **settings)
            rows.append({"independent": rho == 0, "truth": truth, "K": result.n_components,
                         "status": result.status, "low": result.low, "high": result.high})
    return rows


def summary(rows):
    lines = []
    for label, independent in (("independent", True), ("dependent", False)):
        part = [r for r in rows if r["independent"] == independent]
        if not part:
            continue
        k = np.array([r["K"] for r in part])
        width = np.array([r["high"] - r["low"] for r in part])
        covers = np.mean([r["low"] <= r["truth"] <= r["high"] for r in part])
        words = sorted({r["status"] for r in part})
        statuses = {s: sum(r["status"] == s for r in part) for s in words}
        wide = np.median(width[k >= 2]) if (k >= 2).any() else float("nan")
        lines.append(f"| {label} | {len(part)} | {np.mean(k >= 2):.3f} | "
                     + ", ".join(f"{s} {c}" for s, c in statuses.items())
                     + f" | {covers:.3f} | {np.median(width[k == 1]):.4f} | {wide:.4f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latents", type=int, default=64)
    parser.add_argument("--samples", type=int, nargs="+", default=[2000])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--settings", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--out", default="gaussian_pairs")
    args = parser.parse_args()
    settings = parse_settings(args.settings)
    load = os.getloadavg()[0]
    lines = ["# Exactly Gaussian pairs: K, flags and widths\n",
             f"Command: `.venv/bin/python benchmarks/gaussian_pairs.py {' '.join(sys.argv[1:])}`"
             f" (machine load before the run: {load:.2f}).\n",
             "Pairs of latents that are linear mixes of two of 32 Gaussian factors plus noise:"
             " every pair is jointly Gaussian (one component is the truth).\n",
             "| N | pairs | count | K >= 2 | statuses | coverage | median width, K = 1 | "
             "median width, K >= 2 | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n_samples in args.samples:
        start = time.perf_counter()
        rows = run(args.latents, n_samples, args.seeds, settings)
        seconds = time.perf_counter() - start
        lines += [f"| {n_samples} " + line + f" {seconds:.0f} |" for line in summary(rows)]
        print("\n".join(lines[-2:]), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / f"{args.out}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
