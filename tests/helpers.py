"""Helpers shared by several test modules: an analysis run as the workflow's steps do,
the real workflow, the repository's documents and a real browser (fixtures are in
conftest.py)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MATRIX_VARIABLES = ("mi", "mi_std", "mi_bootstrap", "n_components", "status", "n_samples")


def analyse(dataset, name, x, y, settings, folder, *, chunks=1, kind="pairs", log=None):
    """The matrix of one analysis of the dataset at ``dataset``, made by the workflow's
    steps in this process: plan, each chunk run (cache in ``folder``/cache), gather."""
    from gmmmi.analysis.gather import gather
    from gmmmi.analysis.plan import plan_chunks
    from gmmmi.analysis.run import run_chunk
    from gmmmi.data.store import describe_dataset

    paths = []
    for manifest in plan_chunks(describe_dataset(dataset), name, x, y, settings, chunks, kind):
        paths.append(Path(folder) / f"{name}-chunk{manifest['chunk']}.json")
        options = {} if log is None else {"log": log}
        run_chunk(dataset, manifest, paths[-1], cache_dir=Path(folder) / "cache", **options)
    return gather(paths, Path(folder) / f"{name}.zarr", dataset=dataset)


def small_demo(path, n_samples=1000):
    """Four latents, one continuous and one categorical factor of the demo dataset."""
    from gmmmi.data.demo import make_demo_dataset
    from gmmmi.data.store import write_dataset

    ds = make_demo_dataset(n_samples=n_samples, seed=5)
    ds = ds.isel(latent_name=[0, 1, 4, 7], factor_name=[0], category_name=[0])
    write_dataset(ds, path)


def make_config(folder, **changes):
    """A workflow config in ``folder``: two analyses of data.zarr, keys replaced by
    ``changes``."""
    config = {"dataset": "data.zarr",
              "analyses": {"ll": {"x": "latent", "y": "latent"},
                           "lf": {"x": "latent", "y": ["factor", "category"]}},
              "estimator": {"n_bootstrap": 5, "seed": 1},
              "chunks": 2,
              "chunk_resources": {"threads": 1, "mem_mb": 2000}}
    for key, value in changes.items():
        config[key] = value
    (folder / "config.yaml").write_text(yaml.safe_dump(config))


def snakemake(folder, *args, check=True):
    """The real ``snakemake`` command on the workflow, in ``folder`` with its config."""
    command = [str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory",
               str(folder), "--configfile", str(folder / "config.yaml"), *map(str, args)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if check and run.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return run


def open_matrix(folder, analysis):
    from gmmmi.data.store import read_xarray

    return read_xarray(folder / "results" / analysis / "mi.zarr").load()


def assert_same_matrices(a, b):
    for name in MATRIX_VARIABLES:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium); "
                             ".ci/run installs it")


def doc_block(page, marker):
    """The Python block after ``<!-- marker ... -->`` in ``page`` (a path from the root)."""
    text = (ROOT / page).read_text()
    return re.search(rf"<!-- {marker}[^>]*-->\s*```python\n(.*?)```", text, re.DOTALL).group(1)


def browse(page_path, screenshot):
    """Render ``page_path`` headless; return the console messages Chromium logged."""
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", "--enable-logging=stderr",
         "--v=0", "--window-size=1280,2000", f"--screenshot={screenshot}",
         Path(page_path).resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def not_blank(png):
    """Whether a screenshot shows a page (varied pixels, many colours), not an empty one."""
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    return pixels.std() > 0.05 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
