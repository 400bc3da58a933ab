"""BMI's own estimators on BMI's tasks, beside gmmmi, on the same samples.

The tasks and samples are ``accuracy_vector.py``'s BMI ones (Czyż et al. 2023, "Beyond
normal"); the estimators are those of the ``benchmark-mi`` package (0.1.3): its KSG
ensemble (k = 5 and 10, averaged), CCA (exact for a multinormal), histograms (5 bins per
dimension), the neural critics InfoNCE, NWJ and MINE (10,000 steps of batches of 256,
critic layers 16 and 8, half the sample held out: the package's defaults) and its
Bayesian Gaussian mixture (10 components, NUTS, whose posterior gives an interval).

benchmark-mi 0.1.3 needs numpy < 2 and JAX 0.4.30 (later JAX removed what its equinox
uses), so it runs in its own environment, never in the package's:

    python3 -m venv .bmi-venv
    .bmi-venv/bin/pip install benchmark-mi==0.1.3 jax==0.4.30 jaxlib==0.4.30 numpyro==0.15.3
    .bmi-venv/bin/python benchmarks/bmi_estimators.py --seeds 3 --estimators ksg cca histogram
    .bmi-venv/bin/python benchmarks/bmi_estimators.py --seeds 1 --estimators infonce nwj mine \
        --append
    .bmi-venv/bin/python benchmarks/bmi_estimators.py --seeds 1 --estimators gmm --tasks \
        'bmi student-t 2+2 df=2' 'bmi student-t 3+3 df=3' 'bmi spiral 3+3' \
        --gmm-warmup 100 --gmm-samples 100 --append

Each run is one estimator on one sample, timed on one thread (``XLA_FLAGS`` and the
thread variables are set before JAX starts). Writes benchmarks/measured/bmi_estimators.csv
(``--append`` adds to it) and bmi_estimators.md: per task, gmmmi's MAE, coverage and
median time (read from accuracy_vector_bmi.csv, the same samples) beside each estimator's.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import csv  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path[:0] = [str(Path(__file__).resolve().parent)]

from accuracy_vector import OUT, TASKS, sample  # noqa: E402

N = 5000
FIELDS = ["method", "family", "task", "n", "seed", "truth", "estimate", "low", "high",
          "seconds"]


def make(name, args):
    """The estimator called ``name``, with the package's default settings."""
    import bmi

    estimators = bmi.estimators
    if name == "ksg":
        return estimators.KSGEnsembleFirstEstimator(neighborhoods=(5, 10))
    if name == "cca":
        return estimators.CCAMutualInformationEstimator()
    if name == "histogram":
        return estimators.HistogramEstimator(n_bins_x=5)
    if name == "infonce":
        return estimators.InfoNCEEstimator(verbose=False)
    if name == "nwj":
        return estimators.NWJEstimator(verbose=False)
    if name == "mine":
        return estimators.MINEEstimator(verbose=False)
    if name == "gmm":
        from bmi.estimators.external.gmm import GMMEstimator

        return GMMEstimator(mcmc_num_warmup=args.gmm_warmup, mcmc_num_samples=args.gmm_samples,
                            n_thinned_samples=min(100, args.gmm_samples))
    raise ValueError(f"unknown estimator {name!r}")


ESTIMATORS = ["ksg", "cca", "histogram", "infonce", "nwj", "mine", "gmm"]


def run(name, task, seed, args):
    x, y = sample(task, N, seed)
    estimator = make(name, args)
    start = time.perf_counter()
    low = high = float("nan")
    if name == "gmm":
        posterior = np.asarray(estimator.get_posterior_mi(x, y))
        value = float(posterior.mean())
        low, high = (float(v) for v in np.percentile(posterior, [2.5, 97.5]))
    else:
        value = float(estimator.estimate(x, y))
    family, _, truth = TASKS[task]
    return {"method": f"bmi {name}", "family": family, "task": task, "n": N, "seed": seed,
            "truth": truth, "estimate": value, "low": low, "high": high,
            "seconds": time.perf_counter() - start}


def read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def report(rows, gmmmi_rows, command):
    """The per-task table: gmmmi's MAE, coverage and median seconds, then each estimator's
    MAE and median seconds (and coverage, for the Bayesian GMM's interval)."""
    methods = ["gmmmi", "ksg"] + sorted({r["method"] for r in rows})
    every = gmmmi_rows + rows
    lines = ["# BMI's estimators beside gmmmi, on BMI's tasks (same samples, N = 5000)", "",
             "```", *(" ".join(line.split()) for line in command.splitlines()), "```", "",
             "MAE (nat) over the seeds each method ran, then [95% coverage], then median "
             "seconds; `ksg` is accuracy_vector.py's KSG (k = 3), `bmi ksg` the package's "
             "ensemble. Blank: not run.", "",
             "| task | truth | " + " | ".join(methods) + " |",
             "|---|---:|" + "---:|" * len(methods)]
    for task in [t for t in TASKS if t.startswith("bmi ")]:
        cells = []
        for method in methods:
            runs = [r for r in every if r["task"] == task and r["method"] == method]
            if not runs:
                cells.append("")
                continue
            truth = float(runs[0]["truth"])
            mae = np.mean([abs(float(r["estimate"]) - truth) for r in runs])
            seconds = np.median([float(r["seconds"]) for r in runs])
            bounds = [(float(r["low"]), float(r["high"])) for r in runs]
            covered = [low <= truth <= high for low, high in bounds if np.isfinite(low)]
            coverage = f" [{np.mean(covered):.2f}]" if covered else ""
            cells.append(f"{mae:.3f}{coverage}, {seconds:.1f} s")
        lines.append(f"| {task} | {TASKS[task][2]:.3f} | " + " | ".join(cells) + " |")
    lines += ["", "## Overall", "",
              "Each method over the samples it ran, and gmmmi on those same samples.", "",
              "| method | runs | MAE | gmmmi's MAE, same samples | 95% coverage | median s | "
              "max s |", "|---|---:|---:|---:|---:|---:|---:|"]
    ours = {(r["task"], r["seed"]): abs(float(r["estimate"]) - float(r["truth"]))
            for r in gmmmi_rows if r["method"] == "gmmmi"}
    for method in methods:
        runs = [r for r in every if r["method"] == method
                and any(x["task"] == r["task"] for x in rows)]
        if runs:
            err = [abs(float(r["estimate"]) - float(r["truth"])) for r in runs]
            same = [ours[(r["task"], r["seed"])] for r in runs if (r["task"], r["seed"]) in ours]
            seconds = [float(r["seconds"]) for r in runs]
            bounds = [(float(r["low"]), float(r["truth"]), float(r["high"])) for r in runs]
            covered = [low <= truth <= high for low, truth, high in bounds if np.isfinite(low)]
            lines.append(f"| {method} | {len(runs)} | {np.mean(err):.4f} | {np.mean(same):.4f} | "
                         f"{np.mean(covered) if covered else float('nan'):.2f} | "
                         f"{np.median(seconds):.2f} | {max(seconds):.2f} |")
    return "\n".join(lines).replace("| nan |", "| – |") + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--estimators", nargs="+", default=["ksg", "cca", "histogram"],
                        choices=ESTIMATORS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=None,
                        help="BMI tasks of accuracy_vector.py (default: all of them)")
    parser.add_argument("--gmm-warmup", type=int, default=1000)
    parser.add_argument("--gmm-samples", type=int, default=1000)
    parser.add_argument("--append", action="store_true",
                        help="add to bmi_estimators.csv instead of replacing it")
    parser.add_argument("--report-only", action="store_true",
                        help="only rewrite bmi_estimators.md from the CSV files")
    args = parser.parse_args()
    if args.report_only:
        args.estimators, args.append = [], True
    tasks = args.tasks or [t for t in TASKS if t.startswith("bmi ")]
    unknown = [t for t in tasks if t not in TASKS or not t.startswith("bmi ")]
    if unknown:
        parser.error(f"not a BMI task of accuracy_vector.py: {unknown[0]!r}")
    ours = OUT / "accuracy_vector_bmi.csv"
    if not ours.exists():
        parser.error(f"{ours} is missing: run accuracy_vector.py on BMI's families first "
                     "(its docstring has the command)")
    needed = (["bmi"] if args.estimators else []) + (["numpyro"] if "gmm" in args.estimators
                                                     else [])
    for package in needed:
        try:
            __import__(package)
        except ImportError:
            parser.error(f"{package} is not installed in this Python: see this script's "
                         "docstring for its environment")
    path = OUT / "bmi_estimators.csv"
    rows = read(path) if args.append and path.exists() else []
    for name in args.estimators:
        for task in tasks:
            for seed in range(args.seeds):
                row = run(name, task, seed, args)
                print(f"{name} {task} {seed}: {row['estimate']:.3f} (truth {row['truth']:.3f}) "
                      f"{row['seconds']:.1f} s", flush=True)
                rows = [r for r in rows if (r["method"], r["task"], int(r["seed"]))
                        != (row["method"], task, seed)] + [row]
                with open(path, "w", newline="") as handle:
                    writer = csv.DictWriter(handle, FIELDS)
                    writer.writeheader()
                    writer.writerows(rows)
    gmmmi_rows = read(ours)
    command = __doc__.split("environment, never in the package's:\n\n")[1].split("\n\n")[0]
    (OUT / "bmi_estimators.md").write_text(report(rows, gmmmi_rows, command))


if __name__ == "__main__":
    main()
