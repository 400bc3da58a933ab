"""The analysis from Python: gmmmi.mi_matrix and the functions around it."""

import io
import re

import numpy as np
import pandas as pd
import pytest

import gmmmi
from gmmmi.data.dataset import DatasetError
from gmmmi.data.demo import make_demo_dataset
from gmmmi.data.store import write_dataset
from tests.helpers import analyse

SETTINGS = {"n_bootstrap": 4, "seed": 3}
COMPARED = ("mi", "mi_std", "mi_low", "mi_high", "mi_bootstrap", "n_components", "status",
            "n_samples")


@pytest.fixture(scope="module")
def demo():
    ds = make_demo_dataset(n_samples=800, seed=2)
    return ds.isel(latent_name=[0, 1, 4, 7], factor_name=[0, 1], category_name=[0])


def workflow_matrix(ds, folder, x, y):
    write_dataset(ds, folder / "d.zarr")
    return analyse(folder / "d.zarr", "a", x, y, SETTINGS, folder, chunks=2, log=io.StringIO())


def assert_same(a, b):
    for name in COMPARED:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    for name in ("var_x", "var_y", "group_x", "group_y", "fingerprint_x", "fingerprint_y"):
        assert list(a[name].values) == list(b[name].values), name


def test_one_call_gives_the_workflow_s_matrix_to_the_last_bit(demo, tmp_path):
    expected = workflow_matrix(demo, tmp_path, ["latent"], ["factor", "category"])
    matrix = gmmmi.mi_matrix(demo, x="latent", y=["factor", "category"], progress=False,
                             **SETTINGS)
    assert_same(matrix, expected)
    np.testing.assert_array_equal(matrix["true_mi"].values, expected["true_mi"].values)
    np.testing.assert_array_equal(matrix["entropy_y"].values, expected["entropy_y"].values)
    assert set(expected.data_vars) == set(matrix.data_vars)
    assert {k for k in expected.attrs} == {k for k in matrix.attrs}


def test_in_process_the_caller_s_numba_threads_are_left_as_they_are(demo):
    """A chunk job pins numba to its threads; mi_matrix in a notebook must not (the
    session's later fits would run on one core)."""
    import numba

    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    before = numba.get_num_threads()
    gmmmi.mi_matrix(demo, "latent", "factor", progress=False, **SETTINGS)
    assert numba.get_num_threads() == before


def test_on_a_dask_client_the_numbers_are_the_same(demo):
    from dask.distributed import Client, LocalCluster

    alone = gmmmi.mi_matrix(demo, x="latent", progress=False, **SETTINGS)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as client:
        shared = gmmmi.mi_matrix(demo, x="latent", client=client, progress=False, **SETTINGS)
    assert_same(alone, shared)
    assert (alone["status"].values == "diagonal").sum() == 4


def test_dicts_of_arrays_and_frames_are_data_too(tmp_path):
    rng = np.random.default_rng(4)
    z = rng.standard_normal(600)
    latents = pd.DataFrame({"u": z + rng.standard_normal(600), "v": rng.standard_normal(600)})
    labels = (z > 0).astype(int)
    matrix = gmmmi.mi_matrix({"latent": latents, "sign": labels}, x="latent", y="sign",
                             n_bootstrap=3, progress=False)
    table = gmmmi.pairs_table(matrix)
    assert list(table["var_x"]) == ["u", "v"] and list(table["var_y"]) == ["sign", "sign"]
    assert table.loc[0, "mi"] > 0.1 > table.loc[1, "mi"]
    assert matrix["entropy_y"].values[0] == pytest.approx(np.log(2), abs=0.01)
    as_floats = gmmmi.mi_matrix({"latent": latents, "sign": labels}, x="latent", y="sign",
                                n_bootstrap=3, progress=False,
                                variable_kinds={"sign": "continuous"})
    assert set(gmmmi.pairs_table(as_floats)["status"]) <= {"ok", "few-distinct-values"}


@pytest.mark.parametrize("data, x, message", [
    ([1, 2, 3], "latent", "data must be an xarray Dataset"),
    ({"latent": np.ones((10, 2, 2))}, "latent", "expected a 2-D array"),
    ({"latent": np.zeros((50, 2))}, "nothing", "the dataset has no group 'nothing'"),
    ({"latent": {"z": 1}}, "latent", r"data\['latent'\] must be a dense 1-D or 2-D array"),
    ({"latent": np.zeros((50, 2))}, None, "x must name a group or a list of groups"),
])
def test_bad_data_is_one_line(data, x, message):
    with pytest.raises((DatasetError, ValueError), match=message) as info:
        gmmmi.mi_matrix(data, x=x, n_bootstrap=0, progress=False)
    assert "\n" not in str(info.value)


def test_the_getting_started_example_runs(tmp_path, monkeypatch):
    import matplotlib

    from tests.helpers import doc_block

    matplotlib.use("Agg")
    block = doc_block("docs/getting-started.md", "from-python")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block, "docs/getting-started.md", "exec"), namespace)
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert len(namespace["table"]) == 8 * 6 and namespace["m"].sizes["var_x"] == 8


def test_a_stored_matrix_reopens_and_plots_with_xarray(demo, tmp_path):
    import matplotlib

    from gmmmi.analysis import matrix

    matplotlib.use("Agg")
    computed = gmmmi.mi_matrix(demo, x="latent", y="factor", n_bootstrap=2, progress=False)
    matrix.write(computed, tmp_path / "m.zarr")
    reopened = gmmmi.open_matrix(tmp_path / "m.zarr")
    assert_same(computed, reopened)
    reopened["mi"].plot()
    assert float(reopened["mi"].sel(var_x="z0", var_y="size")) == \
        float(computed["mi"].sel(var_x="z0", var_y="size"))


def test_a_rare_class_costs_its_rows_not_the_pair_nor_the_matrix():
    """Issue repro: a factor with one class of 3 samples sank gather and mi_matrix
    ('could not broadcast input array from shape (0,) into shape (10,)')."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 2000)
    latent = rng.normal(size=(2000, 3))
    latent[:, 0] += labels
    labels[:3] = 7
    result = gmmmi.mi_matrix({"latent": pd.DataFrame(latent, columns=["a", "b", "c"]),
                              "factor": pd.DataFrame({"f": labels})}, "latent", "factor",
                             n_bootstrap=10, progress=False)
    cell = result.sel(var_x="a", var_y="f")
    assert str(cell["status"].values) == "ok" and float(cell["mi"]) > 0.2
    assert int(cell["n_dropped"]) == 3 and "7 (3)" in str(cell["message"].values)
    assert np.isfinite(result["mi_bootstrap"].values).all()
    # with one class left to fit the pair is not estimated, and the matrix still builds
    one = np.zeros(2000, dtype=int)
    one[:5] = 1
    alone = gmmmi.mi_matrix({"latent": latent[:, :2], "factor": one[:, None]}, "latent",
                            "factor", n_bootstrap=10, progress=False)
    assert set(alone["status"].values.ravel()) == {"category-too-small"}
    assert np.isnan(alone["mi_bootstrap"].values).all() and np.isnan(alone["mi"].values).all()


@pytest.mark.parametrize("options, message", [
    ({"kind": "pair"}, "kind must be 'pairs', 'flow' or 'sets', got 'pair'"),
    ({"variable_kinds": {"latnet": "continuous"}},
     "variable_kinds names 'latnet', which is not a group"),
])
def test_a_misspelt_kind_is_one_line(options, message):
    data = {"latent": np.random.default_rng(0).normal(size=(300, 2))}
    with pytest.raises(ValueError, match=re.escape(message)):
        gmmmi.mi_matrix(data, "latent", n_bootstrap=2, progress=False, **options)


def test_the_old_name_of_variable_kinds_still_works_with_a_warning():
    data = {"latent": np.random.default_rng(0).normal(size=(300, 2))}
    with pytest.warns(FutureWarning, match="kinds= is now variable_kinds="), \
            pytest.raises(ValueError, match="variable_kinds names 'latnet'"):
        gmmmi.mi_matrix(data, "latent", n_bootstrap=2, progress=False,
                        kinds={"latnet": "continuous"})


def test_what_is_not_a_matrix_or_a_report_path_is_one_line(tmp_path):
    import xarray as xr

    for thing in ({"mi": 1}, xr.Dataset(), 3):
        for call in (gmmmi.pairs_table, lambda m: gmmmi.write_report(m, tmp_path / "r.html")):
            with pytest.raises(DatasetError, match="MI matrix") as info:
                call(thing)
            assert "\n" not in str(info.value)
    (tmp_path / "folder").mkdir()
    with pytest.raises(DatasetError, match="exists and is not a file"):
        gmmmi.write_report(xr.Dataset(), tmp_path / "folder")


def test_a_matrix_with_a_damaged_chunk_is_one_line_in_the_report(demo, tmp_path):
    m = gmmmi.mi_matrix(demo, x="latent", y="factor", n_bootstrap=2, progress=False)
    store = tmp_path / "mi.zarr"
    from gmmmi.analysis import matrix

    matrix.write(m, store)
    chunk = next(p for p in (store / "mi_bootstrap").rglob("*") if p.is_file()
                 and p.name != "zarr.json")
    chunk.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(DatasetError, match="its data cannot be read, a chunk is damaged") as info:
        gmmmi.write_report(store, tmp_path / "r.html")
    assert "\n" not in str(info.value) and not (tmp_path / "r.html").exists()
