"""Comparing two MI matrices: the cells that changed by more than their noise, paired or
not, from Python, the command line and the report."""

import doctest

import numpy as np
import pytest

import gmmmi
from gmmmi import comparison as comparing
from gmmmi.analysis import matrix as mx
from gmmmi.cli import main
from gmmmi.data.dataset import DatasetError

N = 1500


@pytest.fixture(scope="module")
def checkpoints():
    """Two checkpoints evaluated on the same inputs: every latent a little retrained,
    latent 2 switched from factor 0 to factor 1; and the first again with another seed."""
    rng = np.random.default_rng(1)
    factors = np.column_stack([rng.integers(0, k, N) for k in (4, 5, 3)])
    noise = rng.normal(size=(N, 4))

    def latents(which):
        z = np.column_stack([factors[:, 0], factors[:, 1], factors[:, which], factors[:, 2]])
        return z + 0.6 * noise + 0.05 * rng.normal(size=noise.shape)

    def matrix(z, seed=0, name="ckpt"):
        return gmmmi.mi_matrix({"latent": z, "factor": factors}, "latent", "factor",
                               n_bootstrap=30, seed=seed, name=name, progress=False)

    first = latents(0)
    return (matrix(first, name="ckpt10"), matrix(latents(1), name="ckpt20"),
            matrix(first, seed=3, name="reseeded"))


def test_compare_flags_exactly_the_cells_of_the_changed_latent(checkpoints):
    before, after, _ = checkpoints
    found = gmmmi.compare(before, after)
    assert found.attrs["paired"] == 1 and "same 1500 rows with seed 0" in found.attrs["pairing"]
    changed = {(str(x), str(y)) for x, y in comparing.changes(found)[["x", "y"]].values}
    assert changed == {("latent_2", "factor_0"), ("latent_2", "factor_1")}
    # the interval of each flagged change holds the change and excludes 0
    table = comparing.changes(found)
    assert ((table["low"] <= table["change"]) & (table["change"] <= table["high"])).all()
    assert (np.sign(table["low"]) == np.sign(table["high"])).all()
    assert found["score"].values.tolist() == ["MIG", "modularity"]
    assert float(found["score_low"].sel(score="MIG")) <= float(
        found["score_change"].sel(score="MIG")) <= float(found["score_high"].sel(score="MIG"))


def test_pairing_narrows_what_the_same_rows_share_and_unpaired_says_why(checkpoints):
    before, after, reseeded = checkpoints
    paired = gmmmi.compare(before, after)
    unpaired = gmmmi.compare(reseeded, after)
    assert unpaired.attrs["paired"] == 0 and "seeds differ (3 and 0)" in unpaired.attrs["pairing"]
    width = {name: (c["band_high"] - c["band_low"]).sel(var_x="latent_0", var_y="factor_0")
             for name, c in (("paired", paired), ("unpaired", unpaired))}
    assert width["paired"] < width["unpaired"] / 3  # the shared sample cancels out
    # the same data under another seed: nothing changed
    assert not gmmmi.compare(reseeded, before)["changed"].values.any()


def test_only_the_shared_cells_are_compared_and_nothing_shared_is_one_line(checkpoints):
    before, after, _ = checkpoints
    found = gmmmi.compare(before.isel(var_x=[0, 1, 2]), after)
    assert found.sizes == {"var_x": 3, "var_y": 3, "score": 2}
    assert found.attrs["note"] == "1 row of after only"
    with pytest.raises(DatasetError, match="share no cell"):
        gmmmi.compare(before.isel(var_y=[0]), after.isel(var_y=[1]))
    with pytest.raises(ValueError, match="level must lie between 0 and 1"):
        gmmmi.compare(before, after, level=95)


def test_compare_from_the_command_line_and_its_page(checkpoints, tmp_path, capsys):
    before, after, _ = checkpoints
    mx.write(before, tmp_path / "a.zarr")
    mx.write(after, tmp_path / "b.zarr")
    assert main(["compare", str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr"), "--out",
                 str(tmp_path / "c.html"), "--csv", str(tmp_path / "c.csv")]) == 0
    out = capsys.readouterr().out
    assert "2 of 12 cells changed by more than their noise (paired" in out
    assert "latent_2 x factor_1" in out and "MIG:" in out
    page = (tmp_path / "c.html").read_text()
    assert "What changed: ckpt10 → ckpt20" in page and 'id="changed-cells"' in page
    assert len((tmp_path / "c.csv").read_text().splitlines()) == 1 + 12
    assert main(["compare", str(tmp_path / "a.zarr"), str(tmp_path / "none.zarr")]) == 2
    assert main(["compare", str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr"), "--out",
                 str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("gmmmi: error: ") for line in err)


def test_the_report_shows_what_changed_since_the_matrix_it_showed_before(checkpoints,
                                                                          tmp_path):
    before, after, _ = checkpoints
    kept = tmp_path / "kept"
    gmmmi.write_report(before, tmp_path / "r.html", previous=kept)
    assert 'id="since-previous"' not in (tmp_path / "r.html").read_text()
    for _ in range(2):  # a second report of the same matrix still compares with the first
        gmmmi.write_report(after, tmp_path / "r.html", previous=kept)
        page = (tmp_path / "r.html").read_text()
        assert 'id="since-previous"' in page and "<b>2</b> of 12 cells changed" in page
    assert sorted(p.name for p in kept.iterdir()) == ["last.zarr", "previous.zarr"]


def test_examples_in_the_docstrings_run():
    from gmmmi import disentanglement

    for module in (comparing, disentanglement):
        failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert tried > 0 and failed == 0, module.__name__
