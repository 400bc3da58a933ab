"""The first estimate after a fresh install: with and without ``gmmmi compile``.

Run from the repository root (creates a virtual environment in a temporary folder and
installs this checkout into it, as ``pip install`` from a clone does; a minute or two):

    .venv/bin/python benchmarks/first_estimate.py
    .venv/bin/python benchmarks/first_estimate.py --venv /tmp/fresh   # reuse one

Each step runs in its own process, as a user's would, and is timed on the wall clock
(with the process's CPU time):

- ``cold``: the first estimate (1,000 rows, defaults) with an empty numba cache: numba
  compiles the kernels it needs on the way;
- ``compile``: ``gmmmi compile`` with another empty cache;
- ``first``: then the same first estimate, in a new process; also the first
  ``mutual_info_regression``, a categorical pair, a 3-D vector and a 30,000-row pair
  (the linear bootstrap), each in a new process, with the number of kernels numba had
  to compile (0 is the point of ``gmmmi compile``);
- ``import``: ``import gmmmi`` alone.

Target (issue 43): the first estimate after a fresh install under 5 s.
Writes ``benchmarks/measured/<out>.md`` (default ``first_estimate``).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CALLS = {
    "import": "import gmmmi",
    "estimate": "gmmmi.estimate_mi(x, x + rng.normal(size=1000))",
    "mutual_info_regression": "gmmmi.mutual_info_regression(np.c_[x, x ** 2], x)",
    "categorical pair": "gmmmi.estimate_mi(x, (x > 0).astype(int), categorical=True)",
    "3-D vector": "gmmmi.estimate_mi(np.c_[x, x ** 3], x + rng.normal(size=1000))",
    "30,000 rows": "gmmmi.estimate_mi(big, big + rng.normal(size=30000))",
}

PROBE = """
import json, resource, sys, time
started = time.perf_counter()
from numba.core import event
compiled = []
class Count(event.Listener):
    def on_start(self, ev):
        function = ev.data["dispatcher"].py_func
        if function.__module__.startswith("gmmmi"):
            compiled.append(function.__name__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())
import numpy as np
import gmmmi
rng = np.random.default_rng(0)
x = rng.normal(size=1000)
big = rng.normal(size=30000)
{call}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": time.perf_counter() - started,
                   "cpu": usage.ru_utime + usage.ru_stime, "compiled": len(compiled)}}))
"""


def run(python, call, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    started = time.perf_counter()
    done = subprocess.run([python, "-c", PROBE.format(call=call)], env=env, cwd=cache,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started  # the interpreter's start included
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return dict(measured, wall=wall)


def fresh_venv(folder):
    python = Path(folder) / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
                       check=True)
    return str(python)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", default=None, help="reuse (or make) this environment")
    parser.add_argument("--out", default="first_estimate")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        python = fresh_venv(args.venv or Path(scratch) / "venv")
        install = time.perf_counter() - started
        cold, warm = Path(scratch) / "cold", Path(scratch) / "warm"
        cold.mkdir()
        warm.mkdir()
        rows = [("cold", "estimate", run(python, CALLS["estimate"], cold))]
        started = time.perf_counter()
        subprocess.run([str(Path(python).parent / "gmmmi"), "compile"], check=True,
                       env=dict(os.environ, NUMBA_CACHE_DIR=str(warm)))
        rows.append(("compile", "gmmmi compile",
                     {"wall": time.perf_counter() - started, "cpu": float("nan"),
                      "compiled": "all"}))
        rows += [("first", name, run(python, call, warm)) for name, call in CALLS.items()]
    lines = [
        "# The first estimate after a fresh install",
        "",
        f"`.venv/bin/python benchmarks/first_estimate.py` on {os.cpu_count()} cores, load "
        f"{load:.2f} at the start; a fresh virtual environment "
        + (f"(installed in {install:.0f} s)" if args.venv is None else f"({args.venv})")
        + ", an empty numba cache for `cold` and another for `compile`/`first`. Each row is"
        " a new process; wall time includes starting Python and importing gmmmi.",
        "",
        "| step | call | wall (s) | CPU (s) | kernels compiled |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {step} | {name} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['compiled']} |"
              for step, name, m in rows]
    first = next(m["wall"] for step, name, m in rows if step == "first" and name == "estimate")
    lines += ["", f"The first estimate after `gmmmi compile`: {first:.1f} s (target < 5 s)."]
    out = ROOT / "benchmarks" / "measured" / f"{args.out}.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
