"""Accuracy of MI estimators on distributions with known MI.

Run from the repository root (N and seeds are options; the defaults are the full run):

    .venv/bin/python benchmarks/accuracy.py --sizes 200 1000 5000 --seeds 5 \
        --methods rank standardise ksg reference

Methods: ``rank`` (gmmmi, default transform: normal scores of ranks), ``standardise``
(gmmmi with ``transform="standardise"``, the reference's preparation), ``ksg``
(scikit-learn's ``mutual_info_regression``, k=3, no uncertainty), ``reference`` (the
gmm-mi package, run in its own venv by benchmarks/reference_worker.py; see there how to
make it, and ``--reference-python``). Every method sees the same samples. Writes
``benchmarks/measured/accuracy.csv`` (one row per run) and
``benchmarks/measured/accuracy.md`` (bias, MAE, RMSE, coverage of ±2 std, failures and
median / p90 / max seconds per pair, per method, task and N).
"""

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from gmmmi import estimate_mi  # noqa: E402
from tests import truth  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"
STUDENT_T1_MI = 0.2242  # bivariate Student-t, 1 degree of freedom, rho = 0 (issue 3)


def gaussian_pair(rho, warp=None):
    def sample(n, rng):
        xy = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
        if warp is not None:
            xy = warp(xy)
        return xy[:, 0], xy[:, 1]
    return sample, truth.gaussian_mi(rho)


def mixture_pair(name):
    def sample(n, rng):
        xy = truth.sample_mixture(truth.PAPER_MIXTURES[name], n, rng)
        return xy[:, 0], xy[:, 1]
    return sample, truth.PAPER_MI[name]


def gamma_exponential(alpha):
    def sample(n, rng):
        x, y = truth.sample_gamma_exponential(alpha, n, rng)
        return x, y
    return sample, truth.gamma_exponential_mi(alpha)


def student_t1(n, rng):
    z = rng.standard_normal((n, 2))
    w = rng.chisquare(1, n)
    xy = z / np.sqrt(w)[:, None]
    return xy[:, 0], xy[:, 1]


def uniform_noise(n, rng):
    x = rng.uniform(0, 1, n)
    return x, x + rng.uniform(0, 1.5, n)  # MI = 1 / (2 * 1.5)


TASKS = {
    "normal rho=0.3": gaussian_pair(0.3),
    "normal rho=0.6": gaussian_pair(0.6),
    "normal rho=0.9": gaussian_pair(0.9),
    "D1": mixture_pair("D1"),
    "D3": mixture_pair("D3"),
    "D5": mixture_pair("D5"),
    "gamma-exp a=0.5": gamma_exponential(0.5),
    "gamma-exp a=3": gamma_exponential(3.0),
    "gamma-exp a=20": gamma_exponential(20.0),
    "normal 0.6, uniform margins": gaussian_pair(0.6, special.ndtr),
    "normal 0.6, cubed": gaussian_pair(0.6, lambda v: v ** 3),
    "normal 0.6, x+0.4sin x": gaussian_pair(0.6, lambda v: v + 0.4 * np.sin(v)),
    "student-t df=1": (student_t1, STUDENT_T1_MI),
    "uniform + uniform noise": (uniform_noise, 1 / 3),
}


def run_gmmmi(transform):
    def estimate(x, y, seed):
        start = time.perf_counter()
        r = estimate_mi(x, y, seed=seed, transform=transform)
        return r.mi, r.std, r.status, time.perf_counter() - start
    return estimate


def run_ksg(x, y, seed):
    from sklearn.feature_selection import mutual_info_regression
    start = time.perf_counter()
    mi = mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=seed)[0]
    return float(mi), float("nan"), "ok", time.perf_counter() - start


METHODS = {"rank": run_gmmmi("rank"), "standardise": run_gmmmi("standardise"),
           "ksg": run_ksg, "reference": None}


def summarise(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["method"], r["task"], r["n"]), []).append(r)
    lines = []
    for (method, task, n), runs in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])):
        ok = [r for r in runs if r["failed"] == 0]
        err = np.array([r["estimate"] - r["truth"] for r in ok])
        std = np.array([r["std"] for r in ok])
        covered = np.abs(err) <= 2 * std
        secs = np.array([r["seconds"] for r in runs])
        lines.append({
            "method": method, "task": task, "n": n, "runs": len(runs),
            "bias": err.mean() if len(err) else np.nan,
            "mae": np.abs(err).mean() if len(err) else np.nan,
            "rmse": np.sqrt((err ** 2).mean()) if len(err) else np.nan,
            "coverage": covered.mean() if len(err) and np.isfinite(std).all() else np.nan,
            "failures": len(runs) - len(ok),
            "median_s": np.median(secs), "p90_s": np.percentile(secs, 90), "max_s": secs.max()})
    return lines


def overall(rows):
    """Per method and N over all tasks: MAE, coverage, failures, time percentiles."""
    out = {}
    for r in rows:
        out.setdefault((r["method"], r["n"]), []).append(r)
    lines = []
    for (method, n), runs in sorted(out.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ok = [r for r in runs if r["failed"] == 0]
        err = np.array([r["estimate"] - r["truth"] for r in ok])
        std = np.array([r["std"] for r in ok])
        secs = np.array([r["seconds"] for r in runs])
        coverage = (np.abs(err) <= 2 * std).mean() if np.isfinite(std).all() else np.nan
        lines.append(f"| {method} | {n} | {len(runs)} | {np.abs(err).mean():.4f} | "
                     f"{err.mean():+.4f} | {coverage:.2f} | {len(runs) - len(ok)} | "
                     f"{np.median(secs):.3f} | {np.percentile(secs, 90):.3f} | {secs.max():.3f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--out", default="accuracy",
                        help="file stem in benchmarks/measured/ (default: accuracy)")
    parser.add_argument("--reference-python", default=None,
                        help="python of the venv holding gmm-mi (default ../refvenv)")
    args = parser.parse_args()
    methods = dict(METHODS)
    if "reference" in args.methods:
        from _reference import Reference
        reference = Reference.start(args.reference_python)
        if reference is None:
            args.methods.remove("reference")
        else:
            def run_reference(x, y, seed):
                mi, std, seconds, error = reference.estimate(x, y, seed)
                return mi, std, error or "ok", seconds
            methods["reference"] = run_reference
    estimate_mi(*gaussian_pair(0.5)[0](200, np.random.default_rng(0)), n_bootstrap=2)  # JIT
    rows = []
    for n in args.sizes:
        for task in args.tasks:
            sample, true_mi = TASKS[task]
            for seed in range(args.seeds):
                x, y = sample(n, np.random.default_rng([seed, n]))
                for method in args.methods:
                    start = time.perf_counter()
                    try:
                        value, std, status, seconds = methods[method](x, y, seed)
                        failed = int(not np.isfinite(value))
                    except Exception as exc:  # a crash is a result here, not an abort
                        value, std, status, failed = np.nan, np.nan, f"error: {exc}", 1
                        seconds = time.perf_counter() - start
                    rows.append({"method": method, "task": task, "n": n, "seed": seed,
                                 "truth": true_mi, "estimate": value, "std": std,
                                 "status": status, "failed": failed, "seconds": seconds})
                print(f"n={n} {task}: " + ", ".join(
                    f"{r['method']}={r['estimate']:.3f}" for r in rows[-len(args.methods):])
                    + f" (truth {true_mi:.3f})", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{args.out}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    table = summarise(rows)
    md = ["# Accuracy on distributions with known MI", "",
          f"Command: `.venv/bin/python benchmarks/accuracy.py --sizes {' '.join(map(str, args.sizes))} "
          f"--seeds {args.seeds} --methods {' '.join(args.methods)} --out {args.out}`", "",
          "## Overall (all tasks)", "",
          "| method | N | runs | MAE | bias | coverage ±2σ | failures | median s | p90 s | max s |",
          "|---|---|---|---|---|---|---|---|---|---|", *overall(rows), "",
          "## Per task", "",
          "| N | task | method | bias | MAE | RMSE | coverage | failures | median s |",
          "|---|---|---|---|---|---|---|---|---|"]
    for t in table:
        md.append(f"| {t['n']} | {t['task']} | {t['method']} | {t['bias']:+.4f} | "
                  f"{t['mae']:.4f} | {t['rmse']:.4f} | {t['coverage']:.2f} | {t['failures']} | "
                  f"{t['median_s']:.3f} |")
    (OUT / f"{args.out}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:16]))


if __name__ == "__main__":
    main()
