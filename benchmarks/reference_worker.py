"""Runs the reference package gmm-mi for the benchmarks, in its own environment.

Not part of gmmmi and not a dependency: gmm-mi 0.8.2 needs scikit-learn < 1.6 and
numpy < 2, so it lives in a separate venv, made once with

    python3 -m venv ../refvenv
    ../refvenv/bin/pip install gmm-mi==0.8.2 scikit-learn==1.5.2 'numpy<2'

The benchmarks start this script with that interpreter (``--reference-python``) and
send one JSON request per line: {"x": path.npy, "y": path.npy | null, "seed": int,
"categorical": bool}. Each answer is one JSON line: {"mi", "std", "seconds", "error"}.
Only gmm-mi's public API is called, with its default settings (n_inits=3, n_folds=2,
n_bootstrap=50), which are also gmmmi's.
"""

import json
import sys
import time
import warnings

import numpy as np


def main():
    from gmm_mi.mi import EstimateMI

    warnings.simplefilter("ignore")
    for line in sys.stdin:
        request = json.loads(line)
        x = np.load(request["x"])
        y = None if request.get("y") is None else np.load(request["y"])
        np.random.seed(request["seed"])
        start = time.perf_counter()
        try:
            if request.get("categorical"):
                mi, std = EstimateMI().fit_estimate(x.reshape(-1, 1), y.astype(int))
            else:
                mi, std = EstimateMI().fit_estimate(np.column_stack([x, y]))
            answer = {"mi": float(mi), "std": float(std), "error": None}
        except Exception as exc:  # a crash is a benchmark result
            answer = {"mi": None, "std": None, "error": f"{type(exc).__name__}: {exc}"[:300]}
        answer["seconds"] = time.perf_counter() - start
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
