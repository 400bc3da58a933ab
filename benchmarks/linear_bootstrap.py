"""The linear bootstrap against refitting every resample, on the same fits and counts.

Run from the repository root (one core):

    .venv/bin/python benchmarks/linear_bootstrap.py --sizes 2000 10000 50000

For each task of benchmarks/big_n.py and N, one sample is estimated with
``bootstrap_method="refit"`` and ``"linear"`` (same seed: same selection, same resample
counts). Compared: the bootstrap std of each, the correlation of their values resample by
resample, the refits' mean minus the fit on all data (the upward shift duplicated points
add), the coverage of each 95% interval and the seconds. Writes
benchmarks/measured/linear_bootstrap.md.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ["NUMBA_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from big_n import TASKS  # noqa: E402

from gmmmi import GMMMI  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 50000])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    args = parser.parse_args()
    import warnings
    warnings.simplefilter("ignore", RuntimeWarning)
    x, y = TASKS["normal rho=0.6"][0](500, np.random.default_rng(0))
    GMMMI(n_bootstrap=2).fit(x, y)
    rows = []
    for n in args.sizes:
        for task in args.tasks:
            sample, truth, categorical = TASKS[task]
            x, y = sample(n, np.random.default_rng([0, n]))
            fits = {}
            for method in ("refit", "linear"):
                start = time.perf_counter()
                est = GMMMI(categorical=categorical, bootstrap_method=method).fit(x, y)
                fits[method] = (est, time.perf_counter() - start)
            (refit, t_refit), (linear, t_linear) = fits["refit"], fits["linear"]
            # the fit on all data: the linear values are centred on it
            shift = refit.bootstrap_.mean() - linear.bootstrap_.mean()
            row = (n, task, refit.n_components_, refit.bootstrap_.std(ddof=1),
                   linear.bootstrap_.std(ddof=1),
                   np.corrcoef(refit.bootstrap_, linear.bootstrap_)[0, 1], shift,
                   refit.interval_[0] <= truth <= refit.interval_[1],
                   linear.interval_[0] <= truth <= linear.interval_[1],
                   abs(refit.mi_ - truth), abs(linear.mi_ - truth), t_refit, t_linear)
            rows.append(row)
            print(*(f"{v:.4g}" if isinstance(v, float) else v for v in row), flush=True)
    md = ["# The linear bootstrap against refits", "",
          f"Command: `.venv/bin/python benchmarks/linear_bootstrap.py --sizes "
          f"{' '.join(map(str, args.sizes))}` (one sample per task and N, seed 0).", "",
          "std: the bootstrap values' standard deviation; corr: correlation of the two "
          "methods' values resample by resample (the same counts); shift: mean of the refits "
          "minus mean of the linear values (the fit on all data).", "",
          "| N | std ratio linear / refit: median (range) | corr: median (min) | shift: median "
          "(max) | covers: refit / linear | |error|: refit / linear | seconds: refit / linear |",
          "|---|---|---|---|---|---|---|"]
    for n in args.sizes:
        r = [row for row in rows if row[0] == n]
        ratio = np.array([row[4] / row[3] for row in r])
        corr = np.array([row[5] for row in r])
        shift = np.array([row[6] for row in r])
        md.append(f"| {n} | {np.median(ratio):.2f} ({ratio.min():.2f}–{ratio.max():.2f}) | "
                  f"{np.median(corr):.2f} ({corr.min():.2f}) | {np.median(shift):+.4f} "
                  f"({shift.max():+.4f}) | {sum(row[7] for row in r)} / {sum(row[8] for row in r)}"
                  f" of {len(r)} | {np.mean([row[9] for row in r]):.4f} / "
                  f"{np.mean([row[10] for row in r]):.4f} | {sum(row[11] for row in r):.1f} / "
                  f"{sum(row[12] for row in r):.1f} |")
    md += ["", "| N | task | K | std refit | std linear | corr | shift | covers refit / linear "
           "| s refit / linear |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        md.append(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]:.5f} | {row[4]:.5f} | "
                  f"{row[5]:.2f} | {row[6]:+.5f} | {'yes' if row[7] else 'no'} / "
                  f"{'yes' if row[8] else 'no'} | {row[11]:.2f} / {row[12]:.2f} |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "linear_bootstrap.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:12]))


if __name__ == "__main__":
    main()
