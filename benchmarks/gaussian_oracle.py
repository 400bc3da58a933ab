"""The error of the best possible estimate on the normal family: what the MAE targets cost.

Run from the repository root:

    .venv/bin/python benchmarks/gaussian_oracle.py

On the normal family of benchmarks/accuracy.py (rho 0.3, 0.6, 0.9, 0.95) an estimator that
knows the joint is Gaussian can do no better than the maximum-likelihood estimate
-1/2 ln(1 - r^2) of the sample correlation r. Its mean absolute error over 2000 samples
per task, at the benchmark's sizes, is written to benchmarks/measured/gaussian-oracle.md.
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from accuracy import FAMILIES  # noqa: E402

N_SAMPLES = 2000


def main():
    lines = ["# The Gaussian maximum-likelihood estimate on the normal family", "",
             "Command: `.venv/bin/python benchmarks/gaussian_oracle.py` "
             f"({N_SAMPLES} samples per task and N)", "",
             "| N | MAE of -1/2 ln(1 - r^2) (nat) |", "|---|---|"]
    for n in (200, 1000, 5000):
        errors = []
        for task, (sample, truth) in FAMILIES["normal"].items():
            for seed in range(N_SAMPLES):
                x, y = sample(n, np.random.default_rng([seed, n, 7]))
                r = np.corrcoef(x, y)[0, 1]
                errors.append(abs(-0.5 * np.log(1 - r * r) - truth))
        lines.append(f"| {n} | {np.mean(errors):.4f} |")
    out = ROOT / "benchmarks" / "measured" / "gaussian-oracle.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
