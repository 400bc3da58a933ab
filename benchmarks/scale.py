"""How the workflow scales: pairs/s and efficiency against the in-process bound.

    .venv/bin/python benchmarks/scale.py                      # 64 and 256 latents, 1 and 2 cores
    .venv/bin/python benchmarks/scale.py --latents 64 --cores 2

For each size a dataset of ``latents`` continuous latents (N samples; blocks of
correlated Gaussians, some through nonlinear maps, so pairs need one to several
components) is written, and the workflow runs it from an empty results folder with
``snakemake --cores C`` and its default (auto-sized) config. Reported per run:

- the time of each stage (Snakemake's start, parse and plan; the chunk jobs; gather;
  report), from Snakemake's log (whole seconds);
- the in-process bound: the sum of the pairs' own seconds (as each chunk recorded
  them) divided by the cores; efficiency = bound / the run's wall time;
- a second run after a new split (``--config chunks=2 x as many``), every pair from the
  cache, and the wall time of one such chunk job (``gmmmi run-chunk`` as the workflow
  calls it);
- files in ``results/``.

Results are written to ``benchmarks/measured/scale.md`` (and ``scale.csv``).
"""

import argparse
import csv
import json
import os
import re
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
    from gmmmi.data.dataset import build_dataset, make_group
    from gmmmi.data.store import write_dataset

    names = [f"z{i:03d}" for i in range(n_latents)]
    latent = make_group(make_latents(n_latents, n_samples), names, "continuous",
                        group="latent", source="scale benchmark")
    write_dataset(build_dataset({"latent": latent}), path, overwrite=True)


def run(workdir, cores, extra=()):
    """Run the workflow; (wall seconds, Snakemake's log text)."""
    command = [str(ROOT / ".venv" / "bin" / "snakemake"), "--snakefile", str(ROOT / "Snakefile"),
               "--directory", str(workdir), "--cores", str(cores),
               "--configfile", str(workdir / "config.yaml"), *extra]
    start = time.monotonic()
    subprocess.run(command, check=True, cwd=workdir, capture_output=True)
    wall = time.monotonic() - start
    log = max((workdir / ".snakemake" / "log").glob("*.log"), key=lambda p: p.stat().st_mtime)
    return wall, log.read_text()


def stages(log):
    """Seconds from the first start to the last end of each rule's jobs, and from the
    run's start to its first job (parse and plan), from Snakemake's log (1 s steps)."""
    stamp, first, spans = None, None, {}
    for line in log.splitlines():
        if m := re.match(r"\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]", line):
            stamp = time.mktime(time.strptime(m.group(1), "%a %b %d %H:%M:%S %Y"))
            first = first or stamp
        elif (m := re.match(r"(?:local)?rule (\w+):", line)) and stamp:
            spans.setdefault(m.group(1), [stamp, stamp])[0] = min(
                spans.get(m.group(1), [stamp])[0], stamp)
        elif (m := re.match(r"Finished jobid: \d+ \(Rule: (\w+)\)", line)) and stamp:
            spans.setdefault(m.group(1), [stamp, stamp])[1] = stamp
    return {rule: end - begin for rule, (begin, end) in spans.items()} | {"first": first}


def chunk_results(workdir, analysis="latents"):
    return [json.loads(p.read_text())
            for p in (workdir / "results" / analysis / "chunks").glob("*.json")]


def measure(n_latents, n_samples, cores):
    with tempfile.TemporaryDirectory(prefix="gmmmi-scale-") as tmp:
        workdir = Path(tmp)
        write_dataset(workdir / "data.zarr", n_latents, n_samples)
        (workdir / "config.yaml").write_text(
            "dataset: data.zarr\nanalyses:\n  latents:\n    x: latent\n    y: latent\n")
        load = os.getloadavg()[0]
        started = time.time()
        wall, log = run(workdir, cores)
        chunks = chunk_results(workdir)
        pairs = sum(len(c["results"]) for c in chunks)
        pair_seconds = sum(r.get("seconds") or 0 for c in chunks for r in c["results"])
        spans = stages(log)
        files = sum(len(f) for _, _, f in os.walk(workdir / "results"))
        cache_files = len(list((workdir / "results" / ".cache" / "pairs").iterdir()))
        # a new split: every chunk job reruns and finds all its pairs in the cache
        resplit = len(chunks) * 2
        cached_wall, _ = run(workdir, cores, ["--config", f"chunks={resplit}"])
        one = _time_cached_chunk(workdir, resplit)
    bound = pair_seconds / cores
    return {"latents": n_latents, "samples": n_samples, "cores": cores, "load": round(load, 2),
            "pairs": pairs, "chunks": len(chunks), "wall_s": round(wall, 1),
            "pairs_per_s": round(pairs / wall, 1), "pair_seconds": round(pair_seconds, 1),
            "bound_s": round(bound, 1), "efficiency": round(bound / wall, 2),
            "estimate_s": spans.get("estimate_chunk"),
            "estimate_efficiency": round(bound / spans["estimate_chunk"], 2),
            "gather_s": spans.get("gather"), "report_s": spans.get("report"),
            "before_first_job_s": round(spans["first"] - started),
            "files": files, "cache_files": cache_files,
            "resplit_chunks": resplit, "resplit_wall_s": round(cached_wall, 1),
            "cached_chunk_job_s": round(one, 2)}


def _time_cached_chunk(workdir, count):
    """Wall seconds of one chunk job (as the workflow runs it) whose pairs are all cached."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "gmmmi.cli", "run-chunk",
               "data.zarr", "--analysis", "latents", "--spec", '{"x": "latent", "y": "latent"}',
               "--chunk", f"1-of-{count}", "--out", "again.json", "--cache", "results/.cache"]
    start = time.monotonic()
    run = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=True)
    assert "0 pairs estimated" in run.stderr, run.stderr
    return time.monotonic() - start


def write_markdown(rows, out, command):
    """scale.md: the rows as a table, with the issue's targets beside them."""
    lines = ["# How the workflow scales (scale.csv)", "", f"`{command}`; one run per row, "
             "from an empty results folder, `snakemake --cores C` with the default config "
             "(chunks and threads auto).", "",
             "| latents | N | pairs | cores | load | chunks | wall s | pairs/s | bound s | "
             "efficiency | estimate s (efficiency) | gather s | report s | files | "
             "cache files | re-split: all cached, wall s | one cached chunk job s |",
             "|" + "---:|" * 17]
    for r in rows:
        lines.append(
            f"| {r['latents']} | {r['samples']} | {r['pairs']} | {r['cores']} | {r['load']} | "
            f"{r['chunks']} | {r['wall_s']} | {r['pairs_per_s']} | {r['bound_s']} | "
            f"{r['efficiency']} | {r['estimate_s']} ({r['estimate_efficiency']}) | "
            f"{r['gather_s']} | {r['report_s']} | {r['files']} | {r['cache_files']} | "
            f"{r['resplit_wall_s']} ({r['resplit_chunks']} chunks) | "
            f"{r['cached_chunk_job_s']} |")
    lines += ["", "bound = the pairs' own seconds (as the chunks recorded them) / cores; "
              "efficiency = bound / wall; stage times from Snakemake's log (whole seconds). "
              "Targets (issue 15): 2016 pairs on 2 cores at efficiency >= 0.80 and <= 45 s; "
              "a fully cached chunk job well under a second; at most a few hundred files in "
              "results/ at 32,640 pairs.", ""]
    Path(out).write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latents", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--samples", type=int, nargs="+", default=[5000, 2000],
                        help="samples for each --latents value (default: 5000 and 2000)")
    parser.add_argument("--out", default=str(MEASURED / "scale"))
    args = parser.parse_args()
    rows = []
    samples = args.samples * len(args.latents) if len(args.samples) == 1 else args.samples
    for n_latents, n_samples in zip(args.latents, samples):
        for cores in args.cores:
            row = measure(n_latents, n_samples, cores)
            print(row, flush=True)
            rows.append(row)
    out = Path(args.out)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    command = " ".join([".venv/bin/python benchmarks/scale.py", *sys.argv[1:]])
    write_markdown(rows, out.with_suffix(".md"), command)
    print(f"wrote {out.with_suffix('.csv')} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    sys.exit(main())
