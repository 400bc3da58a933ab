"""Seconds per pair: gmmmi against the reference gmm-mi and KSG, on the same data, in one run.

Run from the repository root (the reference needs its venv, see reference_worker.py):

    .venv/bin/python benchmarks/speed.py --sizes 200 1000 5000 --repeats 3

Per pair, all methods see the same sample and run one after the other, in an order that
rotates from pair to pair, so machine noise hits them alike. Default settings throughout
(n_inits=3, n_folds=None, n_bootstrap=50; the reference: n_folds=2). gmmmi runs on one core
here (numba threads = 1), as in a workflow's Dask worker; the reference and KSG are
single-threaded as called.
Then the batch throughput: the 28 latent pairs of the demo dataset through the workflow's
chunk runner on 1 core (in process) and on 2 (a local Dask cluster of 2 single-threaded
workers), the latter both cold (the cluster started by the chunk, as in a workflow job)
and warm (a running cluster whose workers have loaded the kernels, as with
`scheduler_address`). Writes benchmarks/measured/speed.md and speed.csv.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

# one thread in this process, set before numba starts (benchmarks/accuracy.py sets it too,
# but after this module's import of numba, and numba then refuses the change)
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numba  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from _reference import Reference  # noqa: E402
from accuracy import TASKS, run_gmmmi, run_ksg  # noqa: E402

OUT = ROOT / "benchmarks" / "measured"
SPEED_TASKS = ["normal rho=0.6", "D3", "D5", "gamma-exp a=3", "student-t df=1",
               "uniform + uniform noise"]


def batch_throughput(n_samples, workers, warm):
    """Pairs per second for the 28 latent x latent pairs of the demo dataset."""
    from dask.distributed import Client, LocalCluster

    from gmmmi.analysis.cluster import WORKER_ENVIRONMENT
    from gmmmi.analysis.plan import plan_chunks
    from gmmmi.analysis.run import run_chunk
    from gmmmi.data.demo import make_demo_dataset
    from gmmmi.data.store import describe_dataset, write_dataset

    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "demo.zarr"
        write_dataset(make_demo_dataset(n_samples, seed=0), store)
        manifest = plan_chunks(describe_dataset(store), "bench", "latent", "latent", {}, 1)[0]
        cluster = client = None
        options = {"workers": workers}
        if warm:
            os.environ.update(WORKER_ENVIRONMENT)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address="127.0.0.1:0", host="127.0.0.1")
            client = Client(cluster)
            client.run(_load_kernels)
            options = {"scheduler_address": cluster.scheduler_address}
        start = time.perf_counter()
        run_chunk(store, manifest, Path(folder) / "out.json", cache_dir=Path(folder) / "c",
                  log=io.StringIO(), **options)
        seconds = time.perf_counter() - start
        if cluster is not None:
            client.close()
            cluster.close()
    return len(manifest["pairs"]) / seconds, seconds


def _load_kernels():
    from gmmmi import estimate_mi
    xy = np.random.default_rng(0).normal(size=(2, 300))
    estimate_mi(xy[0], xy[0] + xy[1], n_bootstrap=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=SPEED_TASKS)
    parser.add_argument("--reference-python", default=None)
    parser.add_argument("--no-batch", action="store_true")
    args = parser.parse_args()

    numba.set_num_threads(1)
    gmmmi = run_gmmmi("auto")  # the defaults
    gmmmi(*TASKS["D3"][0](300, np.random.default_rng(0)), 0)  # compile/load the kernels
    reference = Reference.start(args.reference_python)
    methods = {"gmmmi": gmmmi, "ksg": run_ksg}
    if reference is not None:
        methods["reference"] = _reference_method(reference)
    rows, turn = [], 0
    for n in args.sizes:
        for repeat in range(args.repeats):
            for task in args.tasks:
                x, y = TASKS[task][0](n, np.random.default_rng([repeat, n, 7]))
                names = list(methods)
                turn += 1
                order = names[turn % len(names):] + names[:turn % len(names)]
                for method in order:
                    value, *_, status, seconds = methods[method](x, y, repeat)
                    rows.append({"n": n, "task": task, "repeat": repeat, "method": method,
                                 "seconds": seconds, "mi": value, "status": status})
                done = {r["method"]: r["seconds"] for r in rows[-len(names):]}
                print(f"n={n} {task} #{repeat}: " + ", ".join(
                    f"{m} {s:.3f}s" for m, s in done.items()), flush=True)
    if reference is not None:
        reference.close()

    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "speed.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    md = ["# Seconds per pair, same data, same run", "",
          f"Command: `.venv/bin/python benchmarks/speed.py --sizes "
          f"{' '.join(map(str, args.sizes))} --repeats {args.repeats}`", "",
          f"Tasks: {', '.join(args.tasks)}; {args.repeats} samples each. gmmmi on one core.",
          "", "| N | method | pairs | median s | p90 s | max s | max / median |"
          " reference / method (median of per-pair ratios) |",
          "|---|---|---|---|---|---|---|---|"]
    for n in args.sizes:
        for method in methods:
            secs = np.array([r["seconds"] for r in rows if r["n"] == n and r["method"] == method])
            ratio = ""
            if "reference" in methods:
                per_pair = [ref["seconds"] / own["seconds"]
                            for ref, own in _pairs(rows, n, "reference", method)]
                ratio = f"{np.median(per_pair):.1f}"
            md.append(f"| {n} | {method} | {len(secs)} | {np.median(secs):.3f} | "
                      f"{np.percentile(secs, 90):.3f} | {secs.max():.3f} | "
                      f"{secs.max() / np.median(secs):.1f} | {ratio} |")
    if not args.no_batch:
        md += ["", "## Batch: the 28 latent pairs of the demo dataset (N=5000), chunk runner",
               "", "| cores | cluster | pairs/s | seconds |", "|---|---|---|---|"]
        for workers, warm in ((1, False), (2, False), (2, True)):
            rate, seconds = batch_throughput(5000, workers, warm)
            kind = "none (in process)" if workers == 1 else "warm" if warm else "cold"
            md.append(f"| {workers} | {kind} | {rate:.2f} | {seconds:.1f} |")
            print(md[-1], flush=True)
    (OUT / "speed.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def _reference_method(reference):
    def run(x, y, seed):
        mi, std, seconds, error = reference.estimate(x, y, seed)
        return mi, std, error or "ok", seconds
    return run


def _pairs(rows, n, a, b):
    index = {(r["task"], r["repeat"], r["method"]): r for r in rows if r["n"] == n}
    return [(index[t, rep, a], index[t, rep, b]) for (t, rep, m) in index if m == a
            and (t, rep, b) in index]


if __name__ == "__main__":
    main()
