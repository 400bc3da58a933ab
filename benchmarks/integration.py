"""The MI integral: Gauss-Hermite cubature vs Monte Carlo vs a high-precision reference.

For the paper's D3 and D5 mixtures (true parameters, no fitting), compares
    - cubature with several node budgets per component (``quadrature_nodes``),
    - Monte Carlo with several sample counts (RMSE over repeats),
against the trapezoid rule on a 0.004-spaced grid (converged to ~1e-13).
Times are per mixture, medians of repeats, measured in the same run.

Run:  .venv/bin/python benchmarks/integration.py
Writes benchmarks/measured/integration.md
"""

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gmmmi.core.information import mutual_information  # noqa: E402
from groundtruth import PAPER_MI, PAPER_MIXTURES, grid_mi  # noqa: E402

NODE_BUDGETS = [256, 576, 1024, 2304, 4096]
MC_SAMPLES = [10_000, 100_000]
REPEATS = 10


def mi(mixture, integration, **options):
    batch = tuple(np.asarray(p)[None] for p in mixture)
    full = {"quadrature_nodes": 1024, "mc_samples": 100_000, "rng": np.random.default_rng(0)}
    full.update(options)
    start = time.perf_counter()
    value = float(mutual_information(batch, integration=integration, **full)[0])
    return value, time.perf_counter() - start


def main():
    mi(PAPER_MIXTURES["D1"], "quadrature")  # compile outside the timings
    mi(PAPER_MIXTURES["D1"], "mc", mc_samples=100)
    rows = ["| mixture | reference MI (grid) | issue's value | rule | abs. error (nat) "
            "| ms per mixture |", "|---|---|---|---|---|---|"]
    for name in ["D3", "D5"]:
        mixture = PAPER_MIXTURES[name]
        reference = grid_mi(mixture, h=0.004)
        for nodes in NODE_BUDGETS:
            runs = [mi(mixture, "quadrature", quadrature_nodes=nodes) for _ in range(REPEATS)]
            error = abs(runs[0][0] - reference)
            ms = 1e3 * np.median([t for _, t in runs])
            rows.append(f"| {name} | {reference:.7f} | {PAPER_MI[name]:.7f} | "
                        f"cubature, {nodes} nodes/component | {error:.1e} | {ms:.2f} |")
        for samples in MC_SAMPLES:
            runs = [mi(mixture, "mc", mc_samples=samples, rng=np.random.default_rng(s))
                    for s in range(REPEATS)]
            rmse = np.sqrt(np.mean([(v - reference) ** 2 for v, _ in runs]))
            ms = 1e3 * np.median([t for _, t in runs])
            rows.append(f"| {name} | {reference:.7f} | {PAPER_MI[name]:.7f} | "
                        f"Monte Carlo, {samples} draws (RMSE) | {rmse:.1e} | {ms:.2f} |")
    text = "\n".join(["# MI integral: cubature vs Monte Carlo", "",
                      "Command: `.venv/bin/python benchmarks/integration.py`", ""] + rows) + "\n"
    out = ROOT / "benchmarks" / "measured" / "integration.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
