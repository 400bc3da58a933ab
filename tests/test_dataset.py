"""The dataset contract: ingest, validate, demo-data, open_dataset, and bad input."""

import json

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import gmmmi
from gmmmi.cli import main
from gmmmi.data.dataset import DatasetError, groups, names, true_mi
from gmmmi.data.demo import CATEGORICAL, make_demo_dataset
from gmmmi.data.store import open_dataset, write_dataset
from groundtruth import categorical_mi, gaussian_mi


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, *args):
    """Run a command that must fail: exit 2 and one line naming the problem."""
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gmmmi: error: "), err
    assert "Traceback" not in err
    return lines[0]


def nothing_written(folder, out):
    assert not out.exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.fixture
def arrays(tmp_path):
    rng = np.random.default_rng(5)
    latents = rng.standard_normal((300, 3))
    labels = rng.integers(0, 4, (300, 2))
    np.save(tmp_path / "latents.npy", latents)
    np.save(tmp_path / "labels.npy", labels)
    return tmp_path, latents, labels


# --- ingest, each format -------------------------------------------------------------

def test_ingest_two_npy_files_into_named_groups(arrays, capsys):
    folder, latents, labels = arrays
    out = folder / "data.zarr"
    code, stdout, _ = run(capsys, "ingest", folder / "latents.npy", "--group", "latent",
                          "--names", "a,b,c", folder / "labels.npy", "--group", "factor",
                          "--kind", "categorical", "--out", out)
    assert code == 0 and f"wrote {out}" in stdout
    ds = open_dataset(out)
    found = groups(ds)
    assert found["latent"].kind == "continuous" and found["latent"].variables == ("a", "b", "c")
    assert found["factor"].kind == "categorical"
    assert found["factor"].variables == ("factor_0", "factor_1")
    np.testing.assert_array_equal(ds["latent"].values, latents)
    np.testing.assert_array_equal(ds["factor"].values, labels)
    assert ds["latent"].sel(latent_name="b").shape == (300,)


def test_variable_names_round_trip_with_spaces_and_non_ascii(tmp_path):
    odd = ["température (K)", "größe", "名前", "with space", "emoji 🙂", "a,b"]
    ds = gmmmi.data.dataset.build_dataset({"latent": gmmmi.data.dataset.make_group(
        np.zeros((20, len(odd))) + np.arange(20)[:, None], odd, None, group="latent",
        source="test")})
    write_dataset(ds, tmp_path / "odd.zarr")
    back = open_dataset(tmp_path / "odd.zarr")
    assert names(back, "latent") == odd
    assert back["latent"].sel(latent_name="名前").shape == (20,)


def test_names_from_csv_header(tmp_path, capsys):
    (tmp_path / "factors.csv").write_text(
        "size,hue angle,température\n" + "\n".join(f"{i},{i % 7},{i * 0.5}" for i in range(50)))
    out = tmp_path / "d.zarr"
    assert run(capsys, "ingest", tmp_path / "factors.csv", "--out", out)[0] == 0
    ds = open_dataset(out)
    assert names(ds, "factors") == ["size", "hue angle", "température"]
    assert groups(ds)["factors"].kind == "continuous"  # one float column makes all float
    (tmp_path / "labels.csv").write_text("a,b\n" + "\n".join(f"{i % 3},{i % 2}" for i in range(30)))
    assert run(capsys, "ingest", tmp_path / "labels.csv", "--out", tmp_path / "l.zarr")[0] == 0
    assert groups(open_dataset(tmp_path / "l.zarr"))["labels"].kind == "categorical"


def test_csv_without_a_header_is_refused_unless_names_are_given(tmp_path, capsys):
    """Its first data row would otherwise become the variable names (and integer columns
    would turn categorical), silently."""
    rows = [f"{i * 0.5},{i % 3},{i * 1.5}" for i in range(40)]
    (tmp_path / "bare.csv").write_text("\n".join(rows))
    line = refused(capsys, "ingest", tmp_path / "bare.csv", "--out", tmp_path / "o.zarr")
    assert "bare.csv" in line and "first row holds only numbers" in line
    assert not (tmp_path / "o.zarr").exists()
    assert run(capsys, "ingest", tmp_path / "bare.csv", "--names", "a,b,c",
               "--out", tmp_path / "named.zarr")[0] == 0
    named = open_dataset(tmp_path / "named.zarr")
    assert names(named, "bare") == ["a", "b", "c"] and named.sizes["sample"] == 40
    assert float(named["bare"].values[1, 0]) == 0.5  # the first row is data, kept
    assert run(capsys, "ingest", tmp_path / "bare.csv", "--no-header",
               "--out", tmp_path / "plain.zarr")[0] == 0
    assert names(open_dataset(tmp_path / "plain.zarr"), "bare") == ["bare_0", "bare_1",
                                                                    "bare_2"]


def test_npz_gives_one_group_per_array(tmp_path, capsys):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "model.npz", latent=rng.standard_normal((100, 2)),
             label=rng.integers(0, 3, (100, 1)))
    out = tmp_path / "d.zarr"
    assert run(capsys, "ingest", tmp_path / "model.npz", "--out", out)[0] == 0
    found = groups(open_dataset(out))
    assert found["latent"].kind == "continuous" and found["label"].kind == "categorical"


def test_variables_first_transposes(tmp_path, capsys):
    rows = np.random.default_rng(2).standard_normal((13, 200))
    np.save(tmp_path / "density.npy", rows)
    out = tmp_path / "d.zarr"
    assert run(capsys, "ingest", tmp_path / "density.npy", "--variables-first",
               "--out", out)[0] == 0
    np.testing.assert_array_equal(open_dataset(out)["density"].values, rows.T)


def test_netcdf_and_foreign_zarr_are_normalised(tmp_path, capsys):
    rng = np.random.default_rng(3)
    foreign = xr.Dataset(
        {"z": (("obs", "dim"), rng.standard_normal((120, 2))),
         "y": (("obs", "k"), rng.integers(0, 3, (120, 1)))},
        coords={"dim": np.array(["first", "second"], dtype=object)})
    foreign.to_netcdf(tmp_path / "in.nc")
    foreign.to_zarr(tmp_path / "in.zarr", consolidated=False)
    for source in ("in.nc", "in.zarr"):
        out = tmp_path / f"from-{source}.zarr"
        assert run(capsys, "ingest", tmp_path / source, "--out", out)[0] == 0
        ds = open_dataset(out)
        assert names(ds, "z") == ["first", "second"]
        assert ds["z"].dims == ("sample", "z_name")
        assert groups(ds)["y"].kind == "categorical"


def test_whole_number_floats_can_be_categorical(tmp_path, capsys):
    np.save(tmp_path / "labels.npy", np.array([[0.0], [1.0], [2.0]] * 20))
    out = tmp_path / "d.zarr"
    assert run(capsys, "ingest", tmp_path / "labels.npy", "--kind", "categorical",
               "--out", out)[0] == 0
    ds = open_dataset(out)
    assert ds["labels"].dtype.kind == "i" and ds["labels"].attrs["kind"] == "categorical"


def test_overwrite_replaces_and_refusal_keeps_the_old_store(arrays, capsys):
    folder, latents, _ = arrays
    out = folder / "data.zarr"
    assert run(capsys, "ingest", folder / "latents.npy", "--out", out)[0] == 0
    line = refused(capsys, "ingest", folder / "labels.npy", "--out", out)
    assert str(out) in line and "--overwrite" in line
    np.testing.assert_array_equal(open_dataset(out)["latents"].values, latents)
    assert run(capsys, "ingest", folder / "labels.npy", "--out", out, "--overwrite")[0] == 0
    assert list(groups(open_dataset(out))) == ["labels"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".data.zarr.")]


@pytest.mark.parametrize("command", ["ingest", "demo-data"])
def test_overwrite_never_deletes_what_is_not_a_dataset(arrays, capsys, command):
    # --overwrite used to delete any folder (and replace any file) given as --out
    folder, _, _ = arrays
    documents = folder / "mydocs"
    documents.mkdir()
    (documents / "thesis.tex").write_text("years of work")
    notes = folder / "notes.txt"
    notes.write_text("keep me")
    other = folder / "other.zarr"  # another tool's Zarr store, not a gmmmi dataset
    import zarr
    zarr.open_group(other, mode="w").create_array("table", shape=(3,), dtype="f8")
    for target in (documents, notes, other):
        args = (["ingest", folder / "latents.npy"] if command == "ingest" else
                ["demo-data", "--samples", "300"])
        line = refused(capsys, *args, "--out", target, "--overwrite")
        assert str(target) in line and "not a gmmmi dataset" in line
    assert (documents / "thesis.tex").read_text() == "years of work"
    assert notes.read_text() == "keep me"
    assert zarr.open_group(other, mode="r")["table"].shape == (3,)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


# --- bad input: exit 2, one line naming file, variable and problem; nothing written ---

def test_missing_file(tmp_path, capsys):
    line = refused(capsys, "ingest", tmp_path / "nope.npy", "--out", tmp_path / "o.zarr")
    assert "nope.npy" in line and "no such file" in line
    nothing_written(tmp_path, tmp_path / "o.zarr")


def test_truncated_npy(arrays, capsys):
    folder, _, _ = arrays
    (folder / "cut.npy").write_bytes((folder / "latents.npy").read_bytes()[:200])
    line = refused(capsys, "ingest", folder / "cut.npy", "--out", folder / "o.zarr")
    assert "cut.npy" in line and "cannot be read" in line
    nothing_written(folder, folder / "o.zarr")


def test_broken_zarr_metadata(arrays, capsys):
    folder, _, _ = arrays
    store = folder / "broken.zarr"
    assert run(capsys, "ingest", folder / "latents.npy", "--out", store)[0] == 0
    (store / "zarr.json").write_text("{ not json")
    line = refused(capsys, "validate", store)
    assert "broken.zarr" in line and "cannot be read as a Zarr store" in line
    line = refused(capsys, "ingest", store, "--out", folder / "o.zarr")
    assert "broken.zarr" in line
    nothing_written(folder, folder / "o.zarr")
    with pytest.raises(DatasetError, match="broken.zarr"):
        open_dataset(store)


@pytest.mark.parametrize("shape, words", [((50,), "1-D"), ((5, 6, 7), "3-D")])
def test_wrong_number_of_dimensions(tmp_path, capsys, shape, words):
    np.save(tmp_path / "bad.npy", np.ones(shape))
    line = refused(capsys, "ingest", tmp_path / "bad.npy", "--out", tmp_path / "o.zarr")
    assert "bad.npy" in line and "'bad'" in line and "2-D" in line and words in line
    nothing_written(tmp_path, tmp_path / "o.zarr")


def test_different_sample_counts(arrays, capsys):
    folder, _, _ = arrays
    np.save(folder / "short.npy", np.ones((299, 2)))
    line = refused(capsys, "ingest", folder / "latents.npy", folder / "short.npy",
                   "--out", folder / "o.zarr")
    assert "short.npy" in line and "299 samples" in line and "300" in line
    nothing_written(folder, folder / "o.zarr")


@pytest.mark.parametrize("shape", [(0, 3), (10, 0)])
def test_empty_array(tmp_path, capsys, shape):
    np.save(tmp_path / "empty.npy", np.ones(shape))
    line = refused(capsys, "ingest", tmp_path / "empty.npy", "--out", tmp_path / "o.zarr")
    assert "empty.npy" in line and "empty" in line.split("empty.npy")[1]
    nothing_written(tmp_path, tmp_path / "o.zarr")


def test_strings_and_objects_where_numbers_are_expected(tmp_path, capsys):
    np.save(tmp_path / "text.npy", np.array([["a", "b"], ["c", "d"]]))
    np.save(tmp_path / "objects.npy", np.array([[1, None], [2, 3]], dtype=object),
            allow_pickle=True)
    (tmp_path / "mixed.csv").write_text("x,colour\n1.0,red\n2.0,blue\n")
    for name, words in [("text.npy", "text"), ("objects.npy", "objects"),
                        ("mixed.csv", "'colour'")]:
        line = refused(capsys, "ingest", tmp_path / name, "--out", tmp_path / "o.zarr")
        assert name in line and words in line and "numbers" in line
    nothing_written(tmp_path, tmp_path / "o.zarr")


def test_duplicate_variable_names(arrays, capsys):
    folder, _, _ = arrays
    line = refused(capsys, "ingest", folder / "latents.npy", "--names", "a,b,a",
                   "--out", folder / "o.zarr")
    assert "latents.npy" in line and "'a'" in line and "more than once" in line
    (folder / "dup.csv").write_text("x,y,x\n1,2,3\n")
    assert "dup.csv" in refused(capsys, "ingest", folder / "dup.csv", "--out", folder / "o.zarr")
    nothing_written(folder, folder / "o.zarr")


def test_categorical_floats_that_are_not_whole(tmp_path, capsys):
    np.save(tmp_path / "labels.npy", np.array([[0.0, 1.0], [1.0, 1.5], [2.0, 2.0]]))
    line = refused(capsys, "ingest", tmp_path / "labels.npy", "--names", "ok,half",
                   "--kind", "categorical", "--out", tmp_path / "o.zarr")
    assert "labels.npy" in line and "'half'" in line and "whole numbers" in line
    nothing_written(tmp_path, tmp_path / "o.zarr")


@pytest.mark.parametrize("group", ["sample", "latent_name"])
def test_group_name_clashing_with_a_dimension(arrays, capsys, group):
    folder, _, _ = arrays
    line = refused(capsys, "ingest", folder / "latents.npy", "--group", "latent",
                   folder / "labels.npy", "--group", group, "--out", folder / "o.zarr")
    assert f"'{group}'" in line and "clashes with a dimension" in line
    nothing_written(folder, folder / "o.zarr")


@pytest.mark.parametrize("group", [" ", "a/b", "__x"])
def test_a_group_name_that_names_nothing_is_refused(arrays, capsys, group):
    folder, _, _ = arrays
    line = refused(capsys, "ingest", folder / "latents.npy", "--group", group, "--out",
                   folder / "o.zarr")
    assert "cannot be empty or blank" in line
    nothing_written(folder, folder / "o.zarr")


def test_the_same_group_twice(arrays, capsys):
    folder, _, _ = arrays
    line = refused(capsys, "ingest", folder / "latents.npy", "--group", "g",
                   folder / "labels.npy", "--group", "g", "--out", folder / "o.zarr")
    assert "labels.npy" in line and "'g'" in line


def test_unsupported_format_and_bad_options(tmp_path, capsys):
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    assert "unsupported format" in refused(capsys, "ingest", tmp_path / "x.parquet",
                                           "--out", tmp_path / "o.zarr")
    assert "--out is required" in refused(capsys, "ingest", tmp_path / "x.parquet")
    assert "--kind" in refused(capsys, "ingest", tmp_path / "x.parquet", "--kind", "fuzzy",
                               "--out", tmp_path / "o.zarr")


# --- validate ------------------------------------------------------------------------

def test_validate_summarises_and_warns_about_doubtful_values(tmp_path, capsys):
    rng = np.random.default_rng(4)
    latents = rng.standard_normal((200, 4))
    latents[:7, 0] = np.nan
    latents[:, 1] = 3.0
    latents[:, 2] = rng.integers(0, 5, 200)
    labels = np.repeat([0, 1, 2], [100, 95, 5])[:, None]
    np.save(tmp_path / "latents.npy", latents)
    np.save(tmp_path / "labels.npy", labels)
    out = tmp_path / "d.zarr"
    code, stdout, _ = run(capsys, "ingest", tmp_path / "latents.npy", "--names",
                          "nan,flat,coarse,fine", tmp_path / "labels.npy", "--out", out)
    assert code == 0
    code, stdout, _ = run(capsys, "validate", out)
    assert code == 0
    assert "200 samples, 2 groups" in stdout
    assert "latents/nan: 7 non-finite values" in stdout
    assert "latents/flat: constant" in stdout
    assert "latents/coarse: continuous but only 5 distinct values" in stdout
    assert "labels/labels_0: category with fewer than 10 samples: 2 (5)" in stdout
    assert "latents/fine" not in stdout


def test_validate_refuses_a_dataset_without_groups(tmp_path, capsys):
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_zarr(tmp_path / "no.zarr", consolidated=False)
    line = refused(capsys, "validate", tmp_path / "no.zarr")
    assert "no.zarr" in line and "'sample'" in line


# --- the demo dataset ----------------------------------------------------------------

def test_demo_data_command_writes_a_valid_dataset(tmp_path, capsys):
    out = tmp_path / "demo.zarr"
    code, stdout, _ = run(capsys, "demo-data", "--out", out, "--samples", 400, "--seed", 3)
    assert code == 0 and "400 samples, 3 groups" in stdout and "no warnings" in stdout
    ds = open_dataset(out)
    assert {g: v.kind for g, v in groups(ds).items()} == {
        "latent": "continuous", "factor": "continuous", "category": "categorical"}
    assert len(names(ds, "latent")) == 8 and len(names(ds, "factor")) == 4
    assert true_mi(ds, "latent", "category").shape == (8, 2)
    assert "already exists" in refused(capsys, "demo-data", "--out", out)


def test_demo_truth_is_symmetric_and_exact_where_checkable():
    ds = make_demo_dataset(n_samples=200)
    table = ds["true_mi"].values
    np.testing.assert_array_equal(table, table.T)
    assert np.isnan(np.diag(table)).all() and np.nanmin(table) >= 0
    material = next(c for c in CATEGORICAL if c.name == "material")
    assert true_mi(ds, "latent", "category").sel(var_x="z6", var_y="material") == pytest.approx(
        categorical_mi(material.shifts, material.sd), abs=1e-9)
    assert true_mi(ds, "latent", "factor").sel(var_x="z0", var_y="size") == pytest.approx(
        gaussian_mi(0.9), abs=1e-12)
    assert true_mi(ds, "latent", "nothing") is None


def test_demo_truth_matches_the_samples():
    """Normal scores undo each monotone map: their correlations match the truth's."""
    ds = make_demo_dataset(n_samples=20000, seed=1)
    continuous = np.column_stack([ds["latent"].values, ds["factor"].values])
    scores = stats.norm.ppf((stats.rankdata(continuous, axis=0) - 0.5) / len(continuous))
    rho = np.corrcoef(scores, rowvar=False)
    truth = ds["true_mi"].values[:12, :12]
    gaussian = [i for i in range(12) if i not in (4, 6)]  # z4, z6 are category-shifted
    for i in gaussian:
        for j in gaussian:
            if i != j:
                expected = np.sqrt(-np.expm1(-2 * truth[i, j]))  # |rho| from MI
                assert abs(rho[i, j]) == pytest.approx(expected, abs=0.02)
    for i in (4, 6):
        for j in range(12):
            if i != j:
                assert truth[i, j] == 0 and abs(rho[i, j]) < 0.04


def test_estimator_recovers_the_demo_truth():
    ds = make_demo_dataset(n_samples=2000, seed=2)
    latent = ds["latent"]
    for x, y, group in [("z0", "size", "factor"), ("z2", "hue", "factor"),
                        ("z4", "shape", "category")]:
        result = gmmmi.estimate_mi(latent.sel(latent_name=x).values,
                                   ds[group].sel({f"{group}_name": y}).values,
                                   categorical=group == "category", n_bootstrap=10)
        truth = float(true_mi(ds, "latent", group).sel(var_x=x, var_y=y))
        assert abs(result.mi - truth) < max(4 * result.std, 0.03), (x, y, result.mi, truth)


def test_group_and_dataset_attributes_survive_the_store(tmp_path):
    ds = make_demo_dataset(n_samples=100)
    write_dataset(ds, tmp_path / "d.zarr")
    back = open_dataset(tmp_path / "d.zarr")
    assert list(back["latent"].attrs["maps"]) == list(ds["latent"].attrs["maps"])
    assert back.attrs["seed"] == 0
    json.dumps(dict(back.attrs))


SPEC = '{"x": "latent", "y": "latent"}'


def _chunked_store(path):
    """A good store whose group is split into two chunks on disk."""
    rng = np.random.default_rng(7)
    ds = gmmmi.data.dataset.build_dataset({"latent": gmmmi.data.dataset.make_group(
        rng.standard_normal((400, 3)), ["a", "b", "c"], None, group="latent", source="t")})
    ds["latent"].encoding["chunks"] = (200, 3)
    write_dataset(ds, path)
    chunks = sorted((path / "latent" / "c").rglob("*"))
    return [c for c in chunks if c.is_file()]


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_damaged_zarr_store_is_refused_by_every_reader(tmp_path, capsys, damage):
    from gmmmi.data.store import describe_dataset

    store = tmp_path / "data.zarr"
    chunks = _chunked_store(store)
    assert len(chunks) == 2 and run(capsys, "validate", store)[0] == 0
    if damage == "missing":
        chunks[1].unlink()  # a copy interrupted on a cluster file system
        expected = "has 1 of its 2 chunks on disk"
    else:
        chunks[1].write_bytes(chunks[1].read_bytes()[:40])
        expected = "its data are damaged"
    assert expected in refused(capsys, "validate", store)
    assert expected in refused(capsys, "ingest", store, "--out", tmp_path / "copy.zarr")
    assert not (tmp_path / "copy.zarr").exists()
    with pytest.raises(gmmmi.data.dataset.DatasetError, match=expected):
        describe_dataset(store)  # the workflow's planning
    # the workflow's jobs: a chunk, gather's truth and entropies, the report's data
    assert expected in refused(capsys, "run-chunk", store, "--analysis", "a", "--spec",
                               SPEC, "--settings", '{"n_bootstrap": 0}', "--chunk",
                               "1-of-1", "--out", tmp_path / "c.json", "--cache", tmp_path)
    assert not (tmp_path / "c.json").exists()
    good = tmp_path / "good.zarr"
    _chunked_store(good)
    run(capsys, "run-chunk", good, "--analysis", "a", "--spec", SPEC,
        "--settings", '{"n_bootstrap": 0}', "--chunk", "1-of-1", "--out", tmp_path / "c.json",
        "--cache", tmp_path)
    if damage == "missing":  # gather reads only the dataset's truth, not its values
        assert expected in refused(capsys, "gather", tmp_path / "c.json", "--dataset", store,
                                   "--out", tmp_path / "mi.zarr")
        assert not (tmp_path / "mi.zarr").exists()
    assert run(capsys, "gather", tmp_path / "c.json", "--out", tmp_path / "mi.zarr")[0] == 0
    assert expected in refused(capsys, "report", tmp_path / "mi.zarr", "--data", store,
                               "--out", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_damaged_matrix_is_refused_by_its_readers(tmp_path, capsys):
    store = tmp_path / "data.zarr"
    _chunked_store(store)
    run(capsys, "run-chunk", store, "--analysis", "a", "--spec", SPEC,
        "--settings", '{"n_bootstrap": 0}', "--chunk", "1-of-1", "--out", tmp_path / "c.json",
        "--cache", tmp_path)
    matrix = tmp_path / "mi.zarr"
    assert run(capsys, "gather", tmp_path / "c.json", "--out", matrix)[0] == 0
    next(p for p in (matrix / "mi" / "c").rglob("*") if p.is_file()).unlink()
    expected = "variable 'mi' has 0 of its 1 chunks on disk"
    assert expected in refused(capsys, "report", matrix, "--out", tmp_path / "r.html")
    assert expected in refused(capsys, "flow", matrix, "--json", tmp_path / "f.json",
                               "--graphml", tmp_path / "f.graphml")


def test_a_store_with_nan_the_user_wrote_is_still_read(tmp_path, capsys):
    """A chunk of fill values only is written too, so it is not taken for a missing one."""
    values = np.random.default_rng(8).standard_normal((400, 2))
    values[200:, 1] = np.nan
    ds = gmmmi.data.dataset.build_dataset({"latent": gmmmi.data.dataset.make_group(
        values, ["a", "b"], None, group="latent", source="t")})
    ds["latent"].encoding["chunks"] = (200, 1)
    write_dataset(ds, tmp_path / "nan.zarr")
    code, out, _ = run(capsys, "validate", tmp_path / "nan.zarr")
    assert code == 0 and "200 non-finite values" in out


def test_a_written_store_opens_with_a_plain_open_zarr_without_warnings(tmp_path):
    import warnings

    import xarray as xr
    _chunked_store(tmp_path / "d.zarr")
    (tmp_path / "d.zarr" / ".snakemake_timestamp").touch()  # as on a directory() output
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert xr.open_zarr(tmp_path / "d.zarr")["latent"].shape == (400, 3)


def test_the_file_functions_moved_to_store_still_answer_under_their_old_names():
    from gmmmi.data import dataset, store

    for name in dataset._MOVED:
        with pytest.warns(FutureWarning, match=f"now gmmmi.data.store.{name}"):
            assert getattr(dataset, name) is getattr(store, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        dataset.nothing  # noqa: B018
