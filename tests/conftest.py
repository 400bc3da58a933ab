"""Fixtures shared by several test modules (their helpers are in tests/helpers.py)."""

import pytest

from tests.helpers import make_config, small_demo, snakemake


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One complete workflow run: --cores 1, two chunks, pairs estimated in the job's
    process (the matrices every other way of running must reproduce)."""
    folder = tmp_path_factory.mktemp("reference")
    small_demo(folder / "data.zarr")
    make_config(folder)
    snakemake(folder, "--cores", 1)
    return folder
