"""Accuracy of MI estimators on distributions with known MI.

Run from the repository root (N and seeds are options; the defaults are the full run):

    .venv/bin/python benchmarks/accuracy.py --sizes 200 1000 5000 --seeds 5 \
        --methods auto rank standardise ksg reference

Tasks, in families (``FAMILIES``; the truth of each is in groundtruth.py and checked
there against an independent computation): independent pairs (MI 0); normal pairs
(rho 0.3 to 0.95); the paper's D1/D3/D5; gamma-exponential (alpha 0.5, 3, 20); monotone
warps of a normal pair; bivariate Student-t with 1, 2, 3 dof (and through asinh);
hard-edged x ~ U(0,1), y = x + U(0, w) with MI 0.33 to 1.97; joints with bimodal
marginals. A sample is seeded by (seed, N) only, so the tasks that differ by a monotone
map of one sample (the warps, and the asinh) give rank-mode gmmmi the same ranks.

Methods: ``auto`` (gmmmi's defaults: the transform chosen per pair), ``rank`` (gmmmi with
normal scores of ranks), ``standardise`` (gmmmi with ``marginals="standardise"``, the
reference's preparation), ``ksg``
(scikit-learn's ``mutual_info_regression``, k=3, no uncertainty), ``reference`` (the
gmm-mi package, run in its own venv by benchmarks/reference_worker.py; see there how to
make it, and ``--reference-python``). Every method sees the same samples; ``--reuse
reference=FILE.csv`` takes a method's rows from an earlier run instead of running it
(the reference needs about 10 s a pair). Writes ``benchmarks/measured/<out>.csv`` (one
row per run) and ``<out>.md``: per method and N the MAE, bias, coverage of the reported
interval (gmmmi: its 95% interval; the reference: ±2 std), the lowest coverage of a
family, runs off by more than 4 std, failures and seconds per pair; then per family and
per task.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core, as KSG and a workflow worker

import numpy as np  # noqa: E402
from scipy import special  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import groundtruth as truth  # noqa: E402
from gmmmi import estimate_mi  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"


def gaussian_pair(rho, warp=None):
    def sample(n, rng):
        xy = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
        if warp is not None:
            xy = warp(xy)
        return xy[:, 0], xy[:, 1]
    return sample, truth.gaussian_mi(rho)


def mixture_pair(mixture, mi):
    def sample(n, rng):
        xy = truth.sample_mixture(mixture, n, rng)
        return xy[:, 0], xy[:, 1]
    return sample, mi


def gamma_exponential(alpha):
    def sample(n, rng):
        x, y = truth.sample_gamma_exponential(alpha, n, rng)
        return x, y
    return sample, truth.gamma_exponential_mi(alpha)


def student_t(dof, warp=None):
    def sample(n, rng):
        xy = truth.sample_student_t(dof, n, rng)
        if warp is not None:
            xy = warp(xy)
        return xy[:, 0], xy[:, 1]
    return sample, truth.student_t_mi(dof)


def additive_uniform(width):
    def sample(n, rng):
        xy = truth.sample_additive_uniform(width, n, rng)
        return xy[:, 0], xy[:, 1]
    return sample, truth.additive_uniform_mi(width)


def independent(sample_x, sample_y):
    def sample(n, rng):
        return sample_x(rng, n), sample_y(rng, n)
    return sample, 0.0


def _cube_x(xy):
    return np.column_stack([xy[:, 0] ** 3, xy[:, 1]])


# task -> (sampler, true MI); FAMILIES groups them for the per-family coverage.
FAMILIES = {
    "independent": {
        "independent normals": independent(lambda r, n: r.standard_normal(n),
                                           lambda r, n: r.standard_normal(n)),
        "independent uniform, exponential": independent(lambda r, n: r.uniform(size=n),
                                                        lambda r, n: r.exponential(size=n)),
    },
    "normal": {f"normal rho={r}": gaussian_pair(r) for r in (0.3, 0.6, 0.9, 0.95)},
    "paper mixtures": {name: mixture_pair(truth.PAPER_MIXTURES[name], truth.PAPER_MI[name])
                       for name in ("D1", "D3", "D5")},
    "gamma-exponential": {f"gamma-exp a={a:g}": gamma_exponential(a) for a in (0.5, 3.0, 20.0)},
    "monotone warps": {
        "normal 0.6, uniform margins": gaussian_pair(0.6, special.ndtr),
        "normal 0.6, x cubed": gaussian_pair(0.6, _cube_x),
        "normal 0.6, cubed": gaussian_pair(0.6, lambda v: v ** 3),
        "normal 0.6, x+0.4sin x": gaussian_pair(0.6, lambda v: v + 0.4 * np.sin(v)),
    },
    "student-t": {
        "student-t df=1": student_t(1),
        "student-t df=2": student_t(2),
        "student-t df=3": student_t(3),
        "student-t df=1, asinh": student_t(1, np.arcsinh),
    },
    "hard-edged": {
        "uniform + uniform noise": additive_uniform(1.5),
        "uniform + U(0,0.6)": additive_uniform(0.6),
        "uniform + U(0,0.3)": additive_uniform(0.3),
        "uniform + U(0,0.15)": additive_uniform(0.15),
    },
    "bimodal marginals": {name: mixture_pair(mixture, truth.BIMODAL_MI[name])
                          for name, mixture in truth.BIMODAL_MIXTURES.items()},
}
TASKS = {task: spec for tasks in FAMILIES.values() for task, spec in tasks.items()}
FAMILY_OF = {task: family for family, tasks in FAMILIES.items() for task in tasks}


def run_gmmmi(transform, **settings):
    def estimate(x, y, seed):
        start = time.perf_counter()
        r = estimate_mi(x, y, seed=seed, marginals=transform, **settings)
        seconds = time.perf_counter() - start
        low, high = getattr(r, "interval", (r.mi - 2 * r.std, r.mi + 2 * r.std))
        return r.mi, r.std, low, high, r.status, seconds
    return estimate


def run_ksg(x, y, seed):
    from sklearn.feature_selection import mutual_info_regression
    start = time.perf_counter()
    mi = mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=seed)[0]
    return float(mi), np.nan, np.nan, np.nan, "ok", time.perf_counter() - start


METHODS = {"auto": run_gmmmi("auto"), "rank": run_gmmmi("rank"),
           "standardise": run_gmmmi("standardise"),
           "ksg": run_ksg, "reference": None}


def _stats(runs):
    """MAE, bias, coverage of the reported interval, runs off by > 4 std, failures, times."""
    ok = [r for r in runs if r["failed"] == 0]
    err = np.array([r["estimate"] - r["truth"] for r in ok])
    std = np.array([r["std"] for r in ok])
    low = np.array([r["low"] for r in ok])
    high = np.array([r["high"] for r in ok])
    truth_ = np.array([r["truth"] for r in ok])
    has_interval = len(ok) > 0 and np.isfinite(low).all()
    secs = np.array([r["seconds"] for r in runs])
    return {
        "runs": len(runs), "failures": len(runs) - len(ok),
        "mae": np.abs(err).mean() if len(err) else np.nan,
        "bias": err.mean() if len(err) else np.nan,
        "rmse": np.sqrt((err ** 2).mean()) if len(err) else np.nan,
        "coverage": ((low <= truth_) & (truth_ <= high)).mean() if has_interval else np.nan,
        "off4": int((np.abs(err) > 4 * std).sum()) if has_interval else -1,
        "median_s": np.median(secs), "p90_s": np.percentile(secs, 90), "max_s": secs.max()}


def _group(rows, *fields):
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[f] for f in fields), []).append(r)
    return groups


def _fmt(value, spec):
    return "–" if not np.isfinite(value) or value < 0 else format(value, spec)


def tables(rows):
    """Markdown: overall per method and N, coverage per family, and per task."""
    md = ["## Overall (all tasks)", "",
          "| method | N | runs | MAE | bias | coverage | worst family | |err| > 4σ | failures "
          "| median s | p90 s | max s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (n, method), runs in sorted(_group(rows, "n", "method").items()):
        st = _stats(runs)
        families = {f: _stats(r)["coverage"] for (f,), r in _group(runs, "family").items()}
        worst = min(families, key=lambda f: families[f]) if np.isfinite(st["coverage"]) else None
        worst_text = f"{families[worst]:.2f} ({worst})" if worst else "–"
        md.append(f"| {method} | {n} | {st['runs']} | {st['mae']:.4f} | {st['bias']:+.4f} | "
                  f"{_fmt(st['coverage'], '.2f')} | {worst_text} | {_fmt(st['off4'], 'd')} | "
                  f"{st['failures']} | {st['median_s']:.3f} | {st['p90_s']:.3f} | "
                  f"{st['max_s']:.3f} |")
    md += ["", "## On the samples every method ran (a method reused from a shorter run "
           "limits them)", "", "| N | samples | " + " | ".join(
               f"{m} MAE | {m} coverage" for m in sorted({r['method'] for r in rows})) + " |",
           "|---|---|" + "---|---|" * len({r['method'] for r in rows})]
    methods = sorted({r["method"] for r in rows})
    for (n,), runs in sorted(_group(rows, "n").items()):
        by_sample = _group(runs, "task", "seed")
        shared = [k for k, v in by_sample.items() if {r["method"] for r in v} >= set(methods)]
        cells = []
        for method in methods:
            st = _stats([r for k in shared for r in by_sample[k] if r["method"] == method])
            cells.append(f"{st['mae']:.4f} | {_fmt(st['coverage'], '.2f')}")
        md.append(f"| {n} | {len(shared)} | " + " | ".join(cells) + " |")
    md += ["", "## Per family (coverage of the reported interval; MAE)", "",
           "| N | family | method | runs | coverage | MAE | bias | |err| > 4σ |",
           "|---|---|---|---|---|---|---|---|"]
    for (n, family, method), runs in sorted(_group(rows, "n", "family", "method").items()):
        st = _stats(runs)
        md.append(f"| {n} | {family} | {method} | {st['runs']} | {_fmt(st['coverage'], '.2f')} "
                  f"| {st['mae']:.4f} | {st['bias']:+.4f} | {_fmt(st['off4'], 'd')} |")
    md += ["", "## Per task", "",
           "| N | task | truth | method | bias | MAE | RMSE | coverage | |err| > 4σ | failures "
           "| median s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (n, task, method), runs in sorted(_group(rows, "n", "task", "method").items()):
        st = _stats(runs)
        md.append(f"| {n} | {task} | {runs[0]['truth']:.4f} | {method} | {st['bias']:+.4f} | "
                  f"{st['mae']:.4f} | {st['rmse']:.4f} | {_fmt(st['coverage'], '.2f')} | "
                  f"{_fmt(st['off4'], 'd')} | {st['failures']} | {st['median_s']:.3f} |")
    return md


FIELDS = ["method", "family", "task", "n", "seed", "truth", "estimate", "std", "low", "high",
          "status", "failed", "seconds"]


def _read_rows(path, methods, sizes, tasks, seeds):
    """Rows of ``methods`` from an earlier run's CSV (same samples: seeded by seed and N).

    The truth is taken from today's task table; CSVs written before the interval was
    recorded get the estimate ± 2 std.
    """
    out = []
    with open(path, newline="") as handle:
        for r in csv.DictReader(handle):
            if (r["method"] in methods and int(r["n"]) in sizes and r["task"] in tasks
                    and int(r["seed"]) < seeds):
                for key in ("n", "seed", "failed"):
                    r[key] = int(r[key])
                for key in ("estimate", "std", "low", "high", "seconds"):
                    value = r.get(key, "")
                    r[key] = float(value) if value not in ("", "nan", None) else np.nan
                if "low" not in r or not np.isfinite(r["low"]):
                    r["low"], r["high"] = r["estimate"] - 2 * r["std"], r["estimate"] + 2 * r["std"]
                r["family"], r["truth"] = FAMILY_OF[r["task"]], TASKS[r["task"]][1]
                out.append({key: r[key] for key in FIELDS})
    return out


def parse_settings(pairs):
    """``NAME=VALUE`` strings as estimator settings (numbers, True/False/None as such)."""
    settings = {}
    for pair in pairs:
        name, value = pair.split("=", 1)
        for kind in (int, float):
            try:
                value = kind(value)
                break
            except ValueError:
                pass
        settings[name] = {"True": True, "False": False, "None": None}.get(value, value)
    return settings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="run seeds first-seed .. seeds-1 (to extend an earlier run)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--families", nargs="+", default=None, choices=list(FAMILIES),
                        help="run only these families' tasks")
    parser.add_argument("--reuse", nargs="*", default=[], metavar="METHOD=CSV",
                        help="take a method's rows from an earlier run's CSV instead of "
                             "running it (the samples are the same), e.g. "
                             "reference=benchmarks/measured/accuracy-reference.csv")
    parser.add_argument("--out", default="accuracy",
                        help="file stem in benchmarks/measured/ (default: accuracy)")
    parser.add_argument("--settings", nargs="*", default=[], metavar="NAME=VALUE",
                        help="gmmmi settings other than the defaults, for every gmmmi method")
    parser.add_argument("--reference-python", default=None,
                        help="python of the venv holding gmm-mi (default ../refvenv)")
    args = parser.parse_args()
    tasks = args.tasks if args.families is None else [
        t for f in args.families for t in FAMILIES[f]]
    methods = dict(METHODS)
    if args.settings:
        settings = parse_settings(args.settings)
        for name in ("auto", "rank", "standardise"):
            methods[name] = run_gmmmi(name, **settings)
    if "reference" in args.methods:
        from _reference import Reference
        reference = Reference.start(args.reference_python)
        if reference is None:
            args.methods.remove("reference")
        else:
            def run_reference(x, y, seed):
                mi, std, seconds, error = reference.estimate(x, y, seed)
                return mi, std, mi - 2 * std, mi + 2 * std, error or "ok", seconds
            methods["reference"] = run_reference
    estimate_mi(*gaussian_pair(0.5)[0](200, np.random.default_rng(0)), n_bootstrap=2)  # JIT
    rows = []
    for spec in args.reuse:
        method, path = spec.split("=", 1)
        rows += _read_rows(path, {method}, set(args.sizes), set(tasks), args.seeds)
    OUT.mkdir(parents=True, exist_ok=True)
    # every run is also written as it comes, so that an interrupted run keeps its rows
    # (a reference run takes hours): reuse the .partial.csv with --reuse
    partial = open(OUT / f"{args.out}.partial.csv", "w", newline="")
    progress = csv.DictWriter(partial, fieldnames=FIELDS)
    progress.writeheader()
    for n in args.sizes:
        for task in tasks:
            sample, true_mi = TASKS[task]
            for seed in range(args.first_seed, args.seeds):
                x, y = sample(n, np.random.default_rng([seed, n]))
                for method in args.methods:
                    start = time.perf_counter()
                    try:
                        value, std, low, high, status, seconds = methods[method](x, y, seed)
                        failed = int(not np.isfinite(value))
                    except Exception as exc:  # a crash is a result here, not an abort
                        value, std, low, high = np.nan, np.nan, np.nan, np.nan
                        status, failed = f"error: {exc}", 1
                        seconds = time.perf_counter() - start
                    rows.append({"method": method, "family": FAMILY_OF[task], "task": task,
                                 "n": n, "seed": seed, "truth": true_mi, "estimate": value,
                                 "std": std, "low": low, "high": high, "status": status,
                                 "failed": failed, "seconds": seconds})
                    progress.writerow(rows[-1])
                    partial.flush()
                print(f"n={n} {task}: " + ", ".join(
                    f"{r['method']}={r['estimate']:.3f}" for r in rows[-len(args.methods):])
                    + f" (truth {true_mi:.3f})", flush=True)
    partial.close()
    with open(OUT / f"{args.out}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (OUT / f"{args.out}.partial.csv").unlink()
    command = (f".venv/bin/python benchmarks/accuracy.py --sizes {' '.join(map(str, args.sizes))}"
               f" --seeds {args.seeds} --methods {' '.join(args.methods)}"
               + (f" --families {' '.join(args.families)}" if args.families else "")
               + (f" --reuse {' '.join(args.reuse)}" if args.reuse else "")
               + (f" --settings {' '.join(args.settings)}" if args.settings else "")
               + f" --out {args.out}")
    md = ["# Accuracy on distributions with known MI", "", f"Command: `{command}`", "",
          "Coverage: share of runs whose reported interval holds the truth (gmmmi: its "
          "95% interval; the reference: ±2 std). Worst family: the lowest per-family coverage.",
          "", *tables(rows)]
    (OUT / f"{args.out}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:20]))


if __name__ == "__main__":
    main()
