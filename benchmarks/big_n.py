"""MI at real sample sizes: gmmmi against KSG on the same samples, N = 10^4 to 10^6.

Run from the repository root (one core):

    .venv/bin/python benchmarks/big_n.py --sizes 10000 100000 --seeds 2
    .venv/bin/python benchmarks/big_n.py --sizes 1000000 --seeds 1 --tasks \
        "normal rho=0.6" "gamma-exp a=3" D3 "uniform + U(0,0.3)" --out big_n_1e6

Tasks (truth in groundtruth.py): hard edges (x ~ U(0,1), y = x + U(0, w)), the paper's
few-Gaussian mixtures D3 and D5, heavy tails (Student-t 1 and 2 dof), gamma-exponential,
bimodal marginals, normal pairs, a monotone warp, independent normals, and a continuous
x with 4 equiprobable classes (x | c ~ N(c, 1)). gmmmi runs with its defaults (``--settings
name=value`` to change them) and KSG is scikit-learn's ``mutual_info_regression`` (k = 3,
continuous pairs) or ``mutual_info_classif`` (the categorical pair), one after the other on
the same sample, both on one thread. Writes ``benchmarks/measured/<out>.md`` and ``.csv``:
per N the MAE, coverage of the 95% interval, runs off by more than 4 std, K, statuses,
median / p90 / max seconds and their ratio to KSG's; then per task.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMBA_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from accuracy import TASKS as PAIR_TASKS  # noqa: E402
from accuracy import parse_settings  # noqa: E402

import groundtruth as truth  # noqa: E402
from gmmmi import estimate_mi  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"
CLASS_MEANS = (0.0, 1.0, 2.0, 3.0)


def _classes(n, rng):
    labels = rng.integers(0, len(CLASS_MEANS), n)
    return np.asarray(CLASS_MEANS)[labels] + rng.standard_normal(n), labels


FAMILIES = {
    "hard-edged": ["uniform + U(0,0.3)", "uniform + U(0,0.6)", "uniform + uniform noise"],
    "paper mixtures": ["D3", "D5"],
    "heavy tails": ["student-t df=1", "student-t df=2"],
    "gamma-exponential": ["gamma-exp a=0.5", "gamma-exp a=3"],
    "bimodal marginals": ["bimodal aligned", "bimodal crossed"],
    "normal": ["normal rho=0.6", "normal rho=0.95", "independent normals"],
    "warps": ["normal 0.6, x cubed"],
    "categorical": ["4 classes"],
}
TASKS = {task: (PAIR_TASKS[task][0], PAIR_TASKS[task][1], False)
         for family, tasks in FAMILIES.items() for task in tasks if task in PAIR_TASKS}
TASKS["4 classes"] = (_classes, truth.categorical_mi(CLASS_MEANS), True)
FAMILY_OF = {task: family for family, tasks in FAMILIES.items() for task in tasks}
FIELDS = ["method", "family", "task", "n", "seed", "truth", "estimate", "std", "low", "high",
          "n_components", "status", "seconds"]


def run_gmmmi(x, y, categorical, seed, settings):
    start = time.perf_counter()
    r = estimate_mi(x, y, categorical=categorical, seed=seed, **settings)
    seconds = time.perf_counter() - start
    return r.mi, r.std, r.interval[0], r.interval[1], r.n_components, r.status, seconds


def run_ksg(x, y, categorical, seed, settings):
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
    start = time.perf_counter()
    if categorical:
        mi = mutual_info_classif(x[:, None], y, n_neighbors=3, random_state=seed)[0]
    else:
        mi = mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=seed)[0]
    return float(mi), np.nan, np.nan, np.nan, 0, "ok", time.perf_counter() - start


def summary(rows):
    """Markdown tables: per N, then per task."""
    md = ["| N | runs | gmmmi MAE | KSG MAE | coverage | worst family | |err| > 4σ | "
          "K median / max | not ok | median s | p90 s | max s | KSG median s | "
          "median / p90 / max ratio to KSG |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in sorted({r["n"] for r in rows}):
        g = [r for r in rows if r["n"] == n and r["method"] == "gmmmi"]
        k = {(r["task"], r["seed"]): r for r in rows if r["n"] == n and r["method"] == "ksg"}
        if not g:
            continue
        err = np.array([r["estimate"] - r["truth"] for r in g])
        cover = np.array([r["low"] <= r["truth"] <= r["high"] for r in g])
        off4 = int(np.sum(np.abs(err) > 4 * np.array([r["std"] for r in g])))
        families = {}
        for r, c in zip(g, cover):
            families.setdefault(r["family"], []).append(c)
        worst = min(families, key=lambda f: np.mean(families[f]))
        secs = np.array([r["seconds"] for r in g])
        ratios = np.array([r["seconds"] / k[(r["task"], r["seed"])]["seconds"] for r in g
                           if (r["task"], r["seed"]) in k])
        ksg = [r for r in k.values()]
        ksg_mae = np.mean([abs(r["estimate"] - r["truth"]) for r in ksg]) if ksg else np.nan
        ksg_s = np.median([r["seconds"] for r in ksg]) if ksg else np.nan
        ks = np.array([r["n_components"] for r in g])
        md.append(
            f"| {n} | {len(g)} | {np.abs(err).mean():.4f} | {ksg_mae:.4f} | {cover.mean():.2f} | "
            f"{np.mean(families[worst]):.2f} ({worst}) | {off4} | {np.median(ks):g} / {ks.max()} | "
            f"{sum(r['status'] != 'ok' for r in g)} | {np.median(secs):.2f} | "
            f"{np.percentile(secs, 90):.2f} | {secs.max():.2f} | {ksg_s:.2f} | "
            + (f"{np.median(ratios):.1f} / {np.percentile(ratios, 90):.1f} / {ratios.max():.1f} |"
               if len(ratios) else "– |"))
    md += ["", "| N | task | truth | seed | gmmmi | 95% interval | covers | K | status | s | "
           "KSG | KSG s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ksg = {(r["n"], r["task"], r["seed"]): r for r in rows if r["method"] == "ksg"}
    for r in sorted((r for r in rows if r["method"] == "gmmmi"),
                    key=lambda r: (r["n"], r["family"], r["task"], r["seed"])):
        k = ksg.get((r["n"], r["task"], r["seed"]))
        covers = "yes" if r["low"] <= r["truth"] <= r["high"] else "**no**"
        md.append(f"| {r['n']} | {r['task']} | {r['truth']:.4f} | {r['seed']} | "
                  f"{r['estimate']:.4f} | {r['low']:.4f}–{r['high']:.4f} | {covers} | "
                  f"{r['n_components']} | {r['status']} | {r['seconds']:.2f} | "
                  + (f"{k['estimate']:.4f} | {k['seconds']:.2f} |" if k else "– | – |"))
    return md


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--no-ksg", action="store_true", help="run gmmmi only")
    parser.add_argument("--settings", nargs="*", default=[], metavar="NAME=VALUE",
                        help="gmmmi settings other than the defaults")
    parser.add_argument("--out", default="big_n", help="file stem in benchmarks/measured/")
    args = parser.parse_args()
    import numba
    numba.set_num_threads(1)
    settings = parse_settings(args.settings)
    load = os.getloadavg()[0]
    methods = {"gmmmi": run_gmmmi} if args.no_ksg else {"gmmmi": run_gmmmi, "ksg": run_ksg}
    x, y = PAIR_TASKS["normal rho=0.6"][0](500, np.random.default_rng(0))
    estimate_mi(x, y, n_bootstrap=2, **settings)  # compile the kernels outside the timings
    estimate_mi(x, (y > 0).astype(int), categorical=True, n_bootstrap=2, **settings)
    rows = []
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{args.out}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for n in args.sizes:
            for task in args.tasks:
                sample, true_mi, categorical = TASKS[task]
                for seed in range(args.seeds):
                    x, y = sample(n, np.random.default_rng([seed, n]))
                    for method, run in methods.items():
                        value, std, low, high, k, status, seconds = run(
                            x, y, categorical, seed, settings)
                        rows.append({"method": method, "family": FAMILY_OF[task],
                                     "task": task, "n": n, "seed": seed, "truth": true_mi,
                                     "estimate": value, "std": std, "low": low, "high": high,
                                     "n_components": k, "status": status, "seconds": seconds})
                        writer.writerow(rows[-1])
                        handle.flush()
                    g = rows[-len(methods)]
                    print(f"n={n} {task} seed {seed}: gmmmi {g['estimate']:.4f} "
                          f"[{g['low']:.4f}, {g['high']:.4f}] K={g['n_components']} "
                          f"{g['status']} {g['seconds']:.2f} s"
                          + (f", KSG {rows[-1]['estimate']:.4f} {rows[-1]['seconds']:.2f} s"
                             if len(methods) > 1 else "") + f" (truth {true_mi:.4f})",
                          flush=True)
    command = (".venv/bin/python benchmarks/big_n.py --sizes " + " ".join(map(str, args.sizes))
               + f" --seeds {args.seeds}"
               + (" --tasks " + " ".join(f'"{t}"' for t in args.tasks)
                  if args.tasks != list(TASKS) else "")
               + (" --settings " + " ".join(args.settings) if args.settings else "")
               + (" --no-ksg" if args.no_ksg else "") + f" --out {args.out}")
    md = ["# MI at real sample sizes: gmmmi and KSG on the same samples", "",
          f"Command: `{command}` (one thread each; machine load before the run: "
          f"{load:.2f}).", "",
          "Coverage: share of runs whose 95% interval holds the truth. Ratios: gmmmi's "
          "seconds over KSG's on the same sample.", "", *summary(rows)]
    (OUT / f"{args.out}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:12]))


if __name__ == "__main__":
    main()
