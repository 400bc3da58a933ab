"""A client for benchmarks/reference_worker.py, running gmm-mi in its own venv."""

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_PYTHON = HERE.parent.parent / "refvenv" / "bin" / "python"


class Reference:
    """gmm-mi behind a pipe; ``None`` from :func:`start` when it is not installed."""

    def __init__(self, python):
        self.folder = tempfile.TemporaryDirectory(prefix="gmmmi-ref-")
        self.process = subprocess.Popen(
            [str(python), str(HERE / "reference_worker.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1)

    @classmethod
    def start(cls, python=None):
        python = Path(python or DEFAULT_PYTHON)
        if not python.exists():
            print(f"reference gmm-mi not found ({python}); compared without it")
            return None
        return cls(python)

    def estimate(self, x, y, seed, categorical=False):
        """(mi, std, seconds, error) for one pair; seconds exclude the pipe."""
        paths = [Path(self.folder.name) / f"{name}.npy" for name in "xy"]
        np.save(paths[0], np.asarray(x, dtype=float))
        np.save(paths[1], np.asarray(y))
        self.process.stdin.write(json.dumps({"x": str(paths[0]), "y": str(paths[1]),
                                             "seed": int(seed),
                                             "categorical": categorical}) + "\n")
        answer = json.loads(self.process.stdout.readline())
        mi = np.nan if answer["mi"] is None else answer["mi"]
        std = np.nan if answer["std"] is None else answer["std"]
        return mi, std, answer["seconds"], answer["error"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.folder.cleanup()
