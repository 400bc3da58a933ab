"""How the workflow scales: pairs/s and efficiency against the in-process bound.

    .venv/bin/python benchmarks/scale.py                      # 64 and 256 latents, 1 and 2 cores
    .venv/bin/python benchmarks/scale.py --latents 64 --cores 2

For each size a dataset of ``latents`` continuous latents (N samples; blocks of
correlated Gaussians, some through nonlinear maps, so pairs need one to several
components) is written, and the workflow runs it from an empty results folder with
``snakemake --cores C`` and its default (auto-sized) config. Reported per run:

- the time of each stage (Snakemake's parse and plan, the chunk jobs, gather, report),
  read from the jobs' logs and the run's own clock;
- the in-process bound: the sum of the pairs' own seconds (as each chunk recorded
  them) divided by the cores; efficiency = bound / the run's wall time;
- a second, fully cached run after a new split (``--config chunks=...``): seconds per
  chunk job when every pair comes from the cache;
- files in ``results/``.

Results are written to ``benchmarks/measured/scale.md`` (and ``scale.csv``).
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ROOT / "benchmarks" / "measured"
MAPS = (lambda v: v, np.tanh, lambda v: v ** 3, np.exp, lambda v: np.sign(v) * v ** 2)


def make_latents(n_latents, n_samples, seed=0):
    """Blocks of 8 latents sharing a few sources, each latent through a monotone map."""
    rng = np.random.default_rng([seed, n_latents, n_samples])
    values = np.empty((n_samples, n_latents))
    for start in range(0, n_latents, 8):
        sources = rng.standard_normal((n_samples, 3))
        for j in range(start, min(start + 8, n_latents)):
            loading = rng.uniform(-0.8, 0.8, 3) * (rng.random(3) < 0.5)
            loading *= min(1.0, 0.9 / max(np.linalg.norm(loading), 1e-9))
            noise = np.sqrt(1 - loading @ loading) * rng.standard_normal(n_samples)
            values[:, j] = MAPS[j % len(MAPS)](sources @ loading + noise)
    return values


def write_dataset(path, n_latents, n_samples):
    from gmmmi.data.dataset import build_dataset, make_group, write_dataset

    names = [f"z{i:03d}" for i in range(n_latents)]
    latent = make_group(make_latents(n_latents, n_samples), names, "continuous",
                        group="latent", source="scale benchmark")
    write_dataset(build_dataset({"latent": latent}), path, overwrite=True)


def run(workdir, cores, extra=()):
    command = [str(ROOT / ".venv" / "bin" / "snakemake"), "--snakefile", str(ROOT / "Snakefile"),
               "--directory", str(workdir), "--cores", str(cores),
               "--configfile", str(workdir / "config.yaml"), "--quiet", "rules", *extra]
    start = time.monotonic()
    subprocess.run(command, check=True, cwd=workdir)
    return time.monotonic() - start


def stage_seconds(workdir, analysis):
    """Seconds of each stage from the job logs' first and last write."""
    logs = workdir / "results" / "logs" / analysis
    chunks = [json.loads(p.read_text())
              for p in (workdir / "results" / analysis / "chunks").glob("*.json")]
    pair_seconds = sum(r.get("seconds") or 0 for c in chunks for r in c["results"]
                       if r["computed"])
    chunk_seconds = [c["seconds"] for c in chunks]
    return {"pairs": sum(len(c["results"]) for c in chunks), "chunks": len(chunks),
            "pair_seconds": pair_seconds, "chunk_seconds": chunk_seconds,
            "logs": sorted(p.name for p in logs.iterdir())}


def measure(n_latents, n_samples, cores):
    with tempfile.TemporaryDirectory(prefix="gmmmi-scale-") as tmp:
        workdir = Path(tmp)
        write_dataset(workdir / "data.zarr", n_latents, n_samples)
        (workdir / "config.yaml").write_text(
            "dataset: data.zarr\nanalyses:\n  latents:\n    x: latent\n    y: latent\n")
        load = os.getloadavg()[0]
        wall = run(workdir, cores)
        stages = stage_seconds(workdir, "latents")
        times = _job_times(workdir)
        files = sum(len(f) for _, _, f in os.walk(workdir / "results"))
        # a new split: every chunk reruns, every pair from the cache
        resplit = stages["chunks"] * 2
        cached_wall = run(workdir, cores, ["--config", f"chunks={resplit}"])
        cached = stage_seconds(workdir, "latents")
    bound = stages["pair_seconds"] / cores
    return {"latents": n_latents, "samples": n_samples, "cores": cores, "load": round(load, 2),
            "pairs": stages["pairs"], "chunks": stages["chunks"], "wall_s": round(wall, 1),
            "pairs_per_s": round(stages["pairs"] / wall, 1), "bound_s": round(bound, 1),
            "efficiency": round(bound / wall, 2),
            **{f"{k}_s": round(v, 1) for k, v in times.items()},
            "files": files, "cached_chunks": cached["chunks"],
            "cached_chunk_s": round(max(cached["chunk_seconds"]), 2),
            "cached_wall_s": round(cached_wall, 1)}


def _job_times(workdir):
    """Wall seconds per stage, from the first to the last modification of its logs."""
    logs = workdir / "results" / "logs"
    stages = {"estimate": "chunk-*.log", "gather": "gather.log", "report": "report.log"}
    out = {}
    for stage, pattern in stages.items():
        paths = list(logs.rglob(pattern))
        starts = [p.stat().st_ctime for p in paths]
        out[stage] = max(p.stat().st_mtime for p in paths) - min(starts) if paths else 0.0
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latents", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--out", default=str(MEASURED / "scale"))
    args = parser.parse_args()
    rows = []
    for n_latents in args.latents:
        for cores in args.cores:
            row = measure(n_latents, args.samples, cores)
            print(row, flush=True)
            rows.append(row)
    out = Path(args.out)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out.with_suffix('.csv')}")


if __name__ == "__main__":
    sys.exit(main())
