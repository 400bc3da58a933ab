"""Estimator settings side by side on the accuracy tasks: error, coverage and time.

Run from the repository root, e.g. (the comparison behind ``selection_tol``):

    .venv/bin/python benchmarks/settings_ab.py --sizes 200 1000 5000 --seeds 5 3 2 \
        --variants '{"selection_tol=1e-5": {"selection_tol": 1e-5}, "selection_tol=1e-4": {}}' \
        --out benchmarks/measured/selection-tol.md

Every variant sees the same samples (the tasks of accuracy.py, seeded by seed and size),
one after the other, on one core. Per size and variant: MAE, mean bias, coverage of ±2 std,
and the median, p90 and largest seconds per pair, plus the median of the per-run time ratios
against the first variant. Writes the Markdown table to --out.
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from accuracy import TASKS  # noqa: E402

from gmmmi import estimate_mi  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[3],
                        help="seeds per size (one number for all sizes, or one per size)")
    parser.add_argument("--variants", required=True, help="JSON: {name: {setting: value}}")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    variants = json.loads(args.variants)
    seeds = args.seeds * len(args.sizes) if len(args.seeds) == 1 else args.seeds
    numba.set_num_threads(1)
    estimate_mi(*TASKS["D1"][0](200, np.random.default_rng(0)), n_bootstrap=2)  # JIT

    lines = [f"# Settings compared: {', '.join(variants)}", "",
             f"`{shlex.join(['.venv/bin/python', 'benchmarks/settings_ab.py', *sys.argv[1:]])}`",
             "", "| N | variant | runs | MAE | bias | coverage ±2σ | median s | p90 s | max s |"
             " time ratio to first |", "|---|---|---|---|---|---|---|---|---|---|"]
    for n, n_seeds in zip(args.sizes, seeds):
        runs = {name: [] for name in variants}
        for task, (sample, truth) in TASKS.items():
            for seed in range(n_seeds):
                x, y = sample(n, np.random.default_rng([seed, n]))
                for name, settings in variants.items():
                    start = time.perf_counter()
                    r = estimate_mi(x, y, seed=seed, **settings)
                    runs[name].append((r.mi - truth, abs(r.mi - truth) <= 2 * r.std,
                                       time.perf_counter() - start))
                print(f"N={n} {task} seed {seed} done", file=sys.stderr, flush=True)
        first = np.array([s for _, _, s in runs[next(iter(variants))]])
        for name, rows in runs.items():
            error = np.array([e for e, _, _ in rows])
            seconds = np.array([s for _, _, s in rows])
            lines.append(f"| {n} | {name} | {len(rows)} | {np.mean(np.abs(error)):.4f} | "
                         f"{np.mean(error):+.4f} | {np.mean([c for _, c, _ in rows]):.2f} | "
                         f"{np.median(seconds):.3f} | {np.percentile(seconds, 90):.3f} | "
                         f"{seconds.max():.2f} | {np.median(seconds / first):.2f} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
