"""Accuracy of vector MI, I(X; Y) with X and Y of several dimensions, against known truth.

Run from the repository root:

    .venv/bin/python benchmarks/accuracy_vector.py --sizes 1000 5000 --seeds 5 --processes 1

Tasks (truths in groundtruth.py, the Student-t one checked there by Monte Carlo):
multivariate normal with sparse couplings (two coordinate pairs at rho 0.75) and dense
ones (every coordinate on two shared factors), 2+2, 3+3 and 5+5 dimensions; multivariate
Student-t (3 dof, dense); both through monotone maps of each coordinate (MI unchanged);
and through a spiral of X (its first two coordinates rotated by an angle that grows with
|x|, a smooth invertible map of X that no per-coordinate transform undoes; MI unchanged).
Then BMI's tasks (Czyż et al. 2023, "Beyond normal"), written from their definitions:
the 2-pair multinormal (two coordinate pairs at rho 0.8, 1.022 nat) through BMI's spiral
(speed 1/3, also after the normal CDF), the half-cube and the normal CDF, 3+3 and 5+5;
Student-t with identity scale, 2+2 to 5+5, 1 to 3 dof (all the MI in the joint tails),
plain and through asinh; and the Swiss roll 2+1 (a uniform rolled onto a 2-D spiral).
``--tasks`` or ``--families`` runs some of them; ``--out`` names the files.
Methods: gmmmi (default settings: rank transform, 50 bootstrap fits) and KSG (Kraskov et
al. 2004, algorithm 1, k = 3, on standardised columns, with SciPy's k-d tree; no
uncertainty), on the same samples. Reported per method and N: MAE, bias, coverage of the
95% interval and of ±2σ, runs off by more than 4σ, failures, seconds per estimate; then per
family and task. The issue's goals: MAE at most half KSG's at N = 5000 and below it at
N = 1000, ±2σ coverage >= 0.85, no failures. Writes benchmarks/measured/accuracy_vector.md
(and .csv).
"""

import argparse
import csv
import re
import shlex
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import special
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import groundtruth as truth  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"


def warp(xy):
    maps = (np.exp, lambda v: v ** 3, np.arcsinh, np.tanh, lambda v: v + 0.4 * np.sin(v))
    return np.column_stack([maps[j % len(maps)](xy[:, j]) for j in range(xy.shape[1])])


def spiral(xy, n_x):
    """Rotate X's first two coordinates by 0.8 |x| radians: invertible, MI unchanged."""
    out = xy.copy()
    angle = 0.8 * np.linalg.norm(xy[:, :n_x], axis=1)
    c, s = np.cos(angle), np.sin(angle)
    out[:, 0], out[:, 1] = c * xy[:, 0] - s * xy[:, 1], s * xy[:, 0] + c * xy[:, 1]
    return out


def rotate(v, i, j, angle):
    """``v`` with its coordinates i and j rotated by ``angle`` (one per row)."""
    out = v.copy()
    c, s = np.cos(angle), np.sin(angle)
    out[:, i], out[:, j] = c * v[:, i] - s * v[:, j], s * v[:, i] + c * v[:, j]
    return out


def bmi_spiral(x, y, speed=1 / 3):
    """BMI's spiral diffeomorphism (Czyż et al. 2023, "Beyond normal"): X's coordinates 0
    and 1 rotated by ``speed`` |x|^2 radians, Y's 1 and 2 by ``speed`` |y|^2."""
    return (rotate(x, 0, 1, speed * (x ** 2).sum(axis=1)),
            rotate(y, 1, 2, speed * (y ** 2).sum(axis=1)))


def swiss_roll(u):
    """BMI's Swiss roll: u in [0, 1] rolled onto a 2-D spiral, t = 1.5 pi (1 + 2u)."""
    t = 1.5 * np.pi * (1 + 2 * u)
    return np.column_stack([t * np.cos(t), t * np.sin(t)]) / 21.0


def two_pair_cov(d, rho=0.8):
    """BMI's "2-pair" multinormal: X's coordinates 0 and 1 each correlated (rho) with Y's."""
    cov = np.eye(2 * d)
    for i in range(2):
        cov[i, d + i] = cov[d + i, i] = rho
    return cov


def gaussian_draw(cov, d, then=None):
    """draw(n, rng) -> (x, y): a normal vector of covariance ``cov``, x its first ``d``
    coordinates, both through ``then(x, y)`` when given."""
    return _draw(lambda n, rng: rng.multivariate_normal(np.zeros(len(cov)), cov, size=n),
                 d, then)


def student_draw(dof, cov, d, then=None):
    """The same for a Student-t vector of ``dof`` degrees of freedom and scale ``cov``."""
    return _draw(lambda n, rng: truth.sample_student_t_vector(dof, cov, n, rng), d, then)


def _draw(joint, d, then):
    def draw(n, rng):
        xy = joint(n, rng)
        x, y = xy[:, :d], xy[:, d:]
        return then(x, y) if then else (x, y)
    return draw


def tasks():
    """{task: (family, draw(n, rng) -> (x, y), true MI)}."""
    out = {}
    for d in (2, 3, 5):
        for kind in ("sparse", "dense"):
            cov = truth.coupled_cov(d, d, kind)
            mi = truth.gaussian_vector_mi(cov, d)
            out[f"normal {kind} {d}+{d}"] = ("normal", gaussian_draw(cov, d), mi)
            out[f"warped normal {kind} {d}+{d}"] = (
                "warped", gaussian_draw(cov, d, lambda x, y, d=d: _split(
                    warp(np.column_stack([x, y])), d)), mi)
        cov = truth.coupled_cov(d, d, "dense")
        out[f"student-t dense {d}+{d}"] = ("student-t", student_draw(3, cov, d),
                                            truth.student_t_vector_mi(3, cov, d))
        out[f"spiral normal dense {d}+{d}"] = (
            "spiral", gaussian_draw(cov, d, lambda x, y, d=d: _split(
                spiral(np.column_stack([x, y]), d), d)), truth.gaussian_vector_mi(cov, d))
    # BMI's tasks (Czyż et al. 2023), written from their definitions: 2-pair multinormals
    # through the spiral, normal CDF and half-cube maps; Student-t with identity scale
    # (all its MI is in the joint tails), plain and through asinh; a Swiss roll.
    cdf = special.ndtr
    for d in (3, 5):
        cov = two_pair_cov(d)
        mi = truth.gaussian_vector_mi(cov, d)
        out[f"bmi spiral {d}+{d}"] = ("bmi spiral", gaussian_draw(cov, d, bmi_spiral), mi)
        out[f"bmi spiral normal-cdf {d}+{d}"] = (
            "bmi spiral", gaussian_draw(cov, d, lambda x, y: bmi_spiral(cdf(x), cdf(y))), mi)
        out[f"bmi half-cube {d}+{d}"] = (
            "bmi monotone", gaussian_draw(cov, d, lambda x, y: (x * np.sqrt(np.abs(x)),
                                                               y * np.sqrt(np.abs(y)))), mi)
        out[f"bmi normal-cdf {d}+{d}"] = (
            "bmi monotone", gaussian_draw(cov, d, lambda x, y: (cdf(x), cdf(y))), mi)
    for d, dof in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3)):
        mi = truth.student_t_vector_mi(dof, np.eye(2 * d), d)
        out[f"bmi student-t {d}+{d} df={dof}"] = ("bmi student-t",
                                                  student_draw(dof, np.eye(2 * d), d), mi)
        if (d, dof) in ((2, 1), (3, 2), (5, 2)):
            out[f"bmi asinh student-t {d}+{d} df={dof}"] = (
                "bmi student-t", student_draw(dof, np.eye(2 * d), d,
                                              lambda x, y: (np.arcsinh(x), np.arcsinh(y))), mi)
    out["bmi swiss roll 2+1"] = (
        "bmi swiss roll",
        gaussian_draw(np.array([[1.0, 0.75], [0.75, 1.0]]), 1,
                      lambda x, y: (swiss_roll(cdf(x[:, 0])), cdf(y))),
        truth.gaussian_mi(0.75))
    return out


def _split(xy, d):
    return xy[:, :d], xy[:, d:]


TASKS = tasks()


def sample(task, n, seed):
    """The sample of ``task`` for N = ``n`` and ``seed``: the first tasks draw from the
    stream they always did (seed, N, dimension of (X, Y)), BMI's from one named after them."""
    _, draw, _ = TASKS[task]
    dims = re.search(r"(\d)\+(\d)", task)
    stream = ([int(dims[1]) + int(dims[2])] if not task.startswith("bmi ")
              else [zlib.crc32(task.encode())])
    return draw(n, np.random.default_rng([seed, n, *stream]))


def ksg(x, y, k=3):
    """Kraskov-Stögbauer-Grassberger estimator 1 (max-norm), on standardised columns."""
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean(0)) / y.std(0)
    joint = np.column_stack([x, y])
    eps = cKDTree(joint).query(joint, k + 1, p=np.inf)[0][:, -1]
    radius = np.nextafter(eps, 0)  # strictly closer than the k-th neighbour
    n_x = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True) - 1
    n_y = cKDTree(y).query_ball_point(y, radius, p=np.inf, return_length=True) - 1
    n = len(x)
    return float(special.digamma(k) + special.digamma(n)
                 - np.mean(special.digamma(n_x + 1) + special.digamma(n_y + 1)))


def run(job):
    task, n, seed, method = job
    x, y = sample(task, n, seed)
    start = time.perf_counter()
    if method == "ksg":
        value, std, low, high, status = ksg(x, y), np.nan, np.nan, np.nan, "ok"
    else:
        import numba

        from gmmmi import estimate_mi

        numba.set_num_threads(1)
        r = estimate_mi(x, y, seed=seed)
        value, std, (low, high), status = r.mi, r.std, r.interval, r.status
    family = TASKS[task][0]
    return {"method": method, "family": family, "task": task, "n": n, "seed": seed,
            "truth": TASKS[task][2], "estimate": value, "std": std, "low": low,
            "high": high, "status": status,
            "failed": int(not np.isfinite(value) or status in ("failed", "too-few-samples")),
            "seconds": time.perf_counter() - start}


def summary(runs):
    ok = [r for r in runs if not r["failed"]]
    err = np.array([r["estimate"] - r["truth"] for r in ok])
    std = np.array([r["std"] for r in ok])
    truth_ = np.array([r["truth"] for r in ok])
    low, high = np.array([r["low"] for r in ok]), np.array([r["high"] for r in ok])
    has = len(ok) and np.isfinite(std).all()
    return {"runs": len(runs), "failures": len(runs) - len(ok),
            "mae": np.abs(err).mean(), "bias": err.mean(),
            "coverage": ((low <= truth_) & (truth_ <= high)).mean() if has else np.nan,
            "coverage2": (np.abs(err) <= 2 * std).mean() if has else np.nan,
            "off4": int((np.abs(err) > 4 * std).sum()) if has else -1,
            "median_s": float(np.median([r["seconds"] for r in runs])),
            "max_s": float(max(r["seconds"] for r in runs))}


def fmt(value, spec):
    return "–" if not np.isfinite(value) or value < 0 else format(value, spec)


def tables(rows, command):
    def group(*fields):
        out = {}
        for r in rows:
            out.setdefault(tuple(r[f] for f in fields), []).append(r)
        return sorted(out.items())

    md = ["# Vector MI against known truth", "", f"`{command}`", "",
          "| method | N | runs | MAE | bias | 95% interval coverage | ±2σ coverage | "
          "|err| > 4σ | failures | median s | max s |", "|---|" + "---:|" * 10]
    for (n, method), runs in group("n", "method"):
        s = summary(runs)
        md.append(f"| {method} | {n} | {s['runs']} | {s['mae']:.4f} | {s['bias']:+.4f} | "
                  f"{fmt(s['coverage'], '.2f')} | {fmt(s['coverage2'], '.2f')} | "
                  f"{fmt(s['off4'], 'd')} | {s['failures']} | {s['median_s']:.2f} | "
                  f"{s['max_s']:.2f} |")
    md += ["", "## Per family", "", "| N | family | method | runs | MAE | bias | 95% coverage | "
           "±2σ coverage | |err| > 4σ | median s | max s |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (n, family, method), runs in group("n", "family", "method"):
        s = summary(runs)
        md.append(f"| {n} | {family} | {method} | {s['runs']} | {s['mae']:.4f} | "
                  f"{s['bias']:+.4f} | {fmt(s['coverage'], '.2f')} | "
                  f"{fmt(s['coverage2'], '.2f')} | {fmt(s['off4'], 'd')} | "
                  f"{s['median_s']:.2f} | {s['max_s']:.2f} |")
    md += ["", "## Per task", "", "| N | task | truth | method | MAE | bias | 95% coverage | "
           "median s |", "|---|---|---:|---|---:|---:|---:|---:|"]
    for (n, task, method), runs in group("n", "task", "method"):
        s = summary(runs)
        md.append(f"| {n} | {task} | {runs[0]['truth']:.4f} | {method} | {s['mae']:.4f} | "
                  f"{s['bias']:+.4f} | {fmt(s['coverage'], '.2f')} | {s['median_s']:.2f} |")
    return md + targets(rows)


# The goals of issue 30 for gmmmi on every family: the 95% interval holds the truth in at
# least 90% of runs, no run is off by more than 4 of its std, no estimate takes more than
# 5 s at N = 5000 (one core) and their median at most 1 s.
COVERAGE_GOAL, OFF_GOAL, MAX_S_GOAL, MEDIAN_S_GOAL = 0.90, 0, 5.0, 1.0


def targets(rows):
    """Markdown: each family of gmmmi's runs against the goals, and by how much it misses
    each (why: docs/user-guide/vectors.md, "What vectors cannot do")."""
    ours = [r for r in rows if r["method"] == "gmmmi"]
    md = ["", "## Against the goals", "",
          f"Goals: 95% coverage >= {COVERAGE_GOAL:.2f}, no run off by more than 4σ, at most "
          f"{MAX_S_GOAL:g} s an estimate (N = 5000) and a median of at most {MEDIAN_S_GOAL:g} s. "
          "Why a family misses: docs/user-guide/vectors.md, \"What vectors cannot do\".", "",
          "| N | family | 95% coverage | runs off > 4σ | max s | misses |",
          "|---|---|---:|---:|---:|---|"]
    for n in sorted({r["n"] for r in ours}):
        at_n = [r for r in ours if r["n"] == n]
        for family in sorted({r["family"] for r in at_n}):
            s = summary([r for r in at_n if r["family"] == family])
            misses = []
            if s["coverage"] < COVERAGE_GOAL:
                misses.append(f"coverage by {COVERAGE_GOAL - s['coverage']:.2f}")
            if s["off4"] > OFF_GOAL:
                misses.append(f"{s['off4']} run{'s' if s['off4'] > 1 else ''} off > 4σ")
            if n >= 5000 and s["max_s"] > MAX_S_GOAL:
                misses.append(f"time by {s['max_s'] - MAX_S_GOAL:.1f} s")
            md.append(f"| {n} | {family} | {fmt(s['coverage'], '.2f')} | {fmt(s['off4'], 'd')} "
                      f"| {s['max_s']:.2f} | {'; '.join(misses) or 'met'} |")
        median = summary(at_n)["median_s"]
        verdict = ("met" if median <= MEDIAN_S_GOAL
                   else f"median by {median - MEDIAN_S_GOAL:.2f} s")
        md.append(f"| {n} | all: median {median:.2f} s | | | | {verdict} |")
    return md


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS),
                        metavar="TASK")
    parser.add_argument("--families", nargs="+", default=None,
                        choices=sorted({family for family, _, _ in TASKS.values()}),
                        help="run the tasks of these families (instead of --tasks)")
    parser.add_argument("--out", default="accuracy_vector",
                        help="file stem in benchmarks/measured/")
    args = parser.parse_args()
    if args.families:
        args.tasks = [task for task in TASKS if TASKS[task][0] in args.families]
    jobs = [(task, n, seed, method) for n in args.sizes for task in args.tasks
            for seed in range(args.seeds) for method in ("gmmmi", "ksg")]
    rows = []
    with ProcessPoolExecutor(args.processes) as pool:
        for row in pool.map(run, jobs):
            rows.append(row)
            print(f"{row['n']} {row['task']} {row['seed']} {row['method']}: "
                  f"{row['estimate']:.3f} (truth {row['truth']:.3f}) "
                  f"{row['seconds']:.1f} s", flush=True)
    with open(OUT / f"{args.out}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    command = " ".join([".venv/bin/python benchmarks/accuracy_vector.py", shlex.join(sys.argv[1:])])
    (OUT / f"{args.out}.md").write_text("\n".join(tables(rows, command)) + "\n")
    print("\n".join(tables(rows, command)[:8]))


if __name__ == "__main__":
    main()
