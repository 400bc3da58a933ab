"""Peak memory and time of one pair against the number of samples, 10^4 to 2·10^6.

Run from the repository root:

    .venv/bin/python benchmarks/memory.py --sizes 10000 100000 500000 1000000 2000000

Tasks: a normal pair (K = 1), two Gaussian blobs (K > 1), a categorical pair, and
``"vector D+D"`` (x and y of D coordinates each, coordinate j of y at rho 0.6 with
coordinate j of x), for the memory of sets. Each (task, N) runs in a fresh process with
numba on one thread (as in a workflow's Dask worker) and default settings (n_bootstrap=50,
n_inits=3, n_folds=2). The process first warms up on a small pair; its peak resident memory
then is the *base* (Python, numpy, numba's kernels); the pair's memory is the peak after
the pair minus the base. With ``--before DIR``
(a checkout of older code) the same runs use that code too, one after
the other for each (task, N), so the two are compared on the same machine load.
Writes benchmarks/measured/memory.md and memory.csv.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "measured"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from gmmmi import estimate_mi

task, n = sys.argv[2], int(sys.argv[3])

def sample(n, seed):
    rng = np.random.default_rng(seed)
    if task == "normal":          # K = 1
        x = rng.standard_normal(n)
        return x, 0.6 * x + 0.8 * rng.standard_normal(n), False
    if task == "bimodal":         # K > 1: two separated Gaussian blobs
        side = rng.integers(0, 2, n) * 2 - 1
        x = 2.0 * side + rng.standard_normal(n)
        return x, 2.0 * side + 0.5 * x + rng.standard_normal(n), False
    if task.startswith("vector"):  # "vector D+D": coordinate j of x and y at rho 0.6
        d = int(task.split()[1].split("+")[0])
        x = rng.standard_normal((n, d))
        return x, 0.6 * x + 0.8 * rng.standard_normal((n, d)), False
    labels = rng.integers(0, 3, n)  # categorical, 3 labels
    return labels + rng.standard_normal(n), labels, True

x, y, categorical = sample(300, 1)
estimate_mi(x, y, categorical=categorical, n_bootstrap=2)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
x, y, categorical = sample(n, 0)
start = time.perf_counter()
result = estimate_mi(x, y, categorical=categorical)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"base_mb": base, "peak_mb": peak, "seconds": seconds, "mi": result.mi,
                  "k": result.n_components}))
"""


def measure(code, task, n):
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-c", CHILD, str(code), task, str(n)],
                         capture_output=True, text=True, env=env)
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["killed"])[-1]}
    row = json.loads(run.stdout.strip().splitlines()[-1])
    row["pair_mb"] = row["peak_mb"] - row["base_mb"]
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[10_000, 100_000, 500_000, 1_000_000, 2_000_000])
    parser.add_argument("--tasks", nargs="+", default=["normal", "bimodal", "categorical"])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--out", default="memory")
    args = parser.parse_args()
    codes = {"now": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    rows = []
    for n in args.sizes:
        for task in args.tasks:
            for label, code in codes.items():
                row = {"code": label, "task": task, "n": n} | measure(code, task, n)
                rows.append(row)
                print(json.dumps(row), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    fields = ["code", "task", "n", "base_mb", "peak_mb", "pair_mb", "seconds", "mi", "k", "error"]
    with open(OUT / f"{args.out}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"# Memory and time of one pair against N ({args.out}.csv)", "",
             "`" + " ".join(["benchmarks/memory.py"] + sys.argv[1:]) + "`; load before: "
             + os.popen("uptime").read().strip().split("load average:")[-1].strip(), "",
             "| task | N | code | pair MB (peak − base) | peak MB | s | MI | K |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['task']} | {r['n']:,} | {r['code']} | failed: {r['error']} "
                         f"| | | | |")
            continue
        lines.append(f"| {r['task']} | {r['n']:,} | {r['code']} | {r['pair_mb']:.0f} | "
                     f"{r['peak_mb']:.0f} | {r['seconds']:.2f} | {r['mi']:.4f} | {r['k']} |")
    (OUT / f"{args.out}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
