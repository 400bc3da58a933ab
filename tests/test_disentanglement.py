"""Disentanglement scores against values worked out by hand and against the demo's truth."""

import math

import numpy as np
import pandas as pd
import pytest

from gmmmi import disentanglement as scores
from gmmmi.analysis.matrix import replicates
from gmmmi.data.demo import make_demo_dataset


def test_perfectly_disentangled_matrix_scores_one():
    entropy = np.array([math.log(3), math.log(4)])
    mi = np.array([[entropy[0], 0.0], [0.0, entropy[1]], [0.0, 0.0]])
    assert scores.mig(mi, entropy) == pytest.approx(1.0)
    assert scores.modularity(mi) == pytest.approx(1.0)
    np.testing.assert_allclose(scores.modularity_per_latent(mi), [1.0, 1.0, np.nan])


def test_hand_worked_example():
    mi = np.array([[0.5, 0.1], [0.2, 0.3]])
    gaps = scores.factor_gaps(mi, [1.0, np.nan])
    # factor 0 is categorical (H = 1): (0.5 - 0.2) / 1; factor 1 continuous: (0.3 - 0.1) / 0.3
    assert [g.score for g in gaps] == pytest.approx([0.3, 2 / 3])
    assert [(g.top, g.second, g.normalised_by) for g in gaps] == [(0, 1, "entropy"),
                                                                   (1, 0, "top MI")]
    assert scores.mig(mi, [1.0, np.nan]) == pytest.approx((0.3 + 2 / 3) / 2)
    # latent 0: 1 - 0.1^2 / 0.5^2; latent 1: 1 - 0.2^2 / 0.3^2
    np.testing.assert_allclose(scores.modularity_per_latent(mi), [0.96, 1 - 0.04 / 0.09])


def test_entangled_matrices_score_zero():
    equal_rows = np.full((3, 4), 0.2)
    assert scores.modularity(equal_rows) == pytest.approx(0.0)
    assert scores.mig(equal_rows, [1.0] * 4) == pytest.approx(0.0)


def test_negative_estimates_count_as_zero_and_missing_ones_are_missing():
    mi = np.array([[0.4, -0.01], [np.nan, 0.2]])
    np.testing.assert_allclose(scores.modularity_per_latent(mi), [1.0, np.nan])
    gaps = scores.factor_gaps(mi, [1.0, 1.0])
    assert gaps[1].second_mi == 0.0 and gaps[1].missing == 0
    assert gaps[0].missing == 1 and np.isnan(gaps[0].score)


def test_a_missing_cell_is_never_read_as_zero():
    # read as 0, the missing cell would make factor 0's gap 0.5 and the MIG 0.55
    mi = np.array([[0.5, 0.5], [np.nan, 0.45]])
    with pytest.warns(RuntimeWarning, match="1 of 2 factors left out: factor 0"):
        assert scores.mig(mi, [1.0, 1.0]) == pytest.approx(0.05)
    with pytest.warns(RuntimeWarning, match="latent 1 has a missing cell"):
        assert scores.modularity(mi) == pytest.approx(0.0)  # latent 0 alone, entangled
    with pytest.warns(RuntimeWarning, match="2 of 2 factors left out"):
        assert np.isnan(scores.mig([[np.nan, 0.5], [0.1, np.nan]], [1.0, 1.0]))


def test_scores_refuse_shapes_they_cannot_score():
    with pytest.raises(ValueError, match="at least 2 latents"):
        scores.mig(np.ones((1, 3)))
    with pytest.raises(ValueError, match="at least 2 factors"):
        scores.modularity(np.ones((3, 1)))
    with pytest.raises(ValueError, match="2-D"):
        scores.mig(np.ones(3))


def test_demo_truth_has_the_scores_its_construction_implies():
    ds = make_demo_dataset(n_samples=2000, seed=0)
    truth = ds["true_mi"]
    latent = (truth["group_x"] == "latent").values
    factors = np.isin(truth["group_y"].values, ["factor", "category"])
    mi = truth.values[np.ix_(latent, factors)]
    per_latent = scores.modularity_per_latent(mi)
    # the pure-noise latent carries nothing; every other latent is built mostly from one factor
    assert np.isnan(per_latent).sum() == 1
    assert np.nanmin(per_latent) > 0.5
    assert 0 < scores.mig(mi) < 1


def test_uninformative_latents_are_left_out_of_modularity():
    mi = np.array([[0.5, 0.0], [0.0, 0.4], [0.003, 0.002]])
    std = np.full(mi.shape, 0.001)
    informative = scores.informative_latents(mi, std)
    np.testing.assert_array_equal(informative, [True, True, False])
    assert scores.modularity(mi, informative) == pytest.approx(1.0)
    assert scores.modularity(mi) < 0.9  # the noise row's random modularity pulls it down
    # a large but uncertain MI is not informative either
    assert not scores.informative_latents([[0.05, 0.0]], [[0.03, 0.0]])[0]


# --- the scores from data, as disentanglement_lib computes them ---------------------------

def _factors(n, levels, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.integers(0, k, n) for k in levels])


def _disentangled(n=1500, seed=0):
    """Three factors, each read off one latent (plus a little noise), latents shuffled."""
    factors = _factors(n, (3, 4, 2), seed)
    rng = np.random.default_rng(seed + 1)
    latents = factors[:, [2, 0, 1]] + 0.05 * rng.standard_normal((n, 3))
    return latents, factors


def test_discrete_mig_hand_worked():
    # factor f = 0 0 1 1 (H = ln 2); latent a bins as f (MI ln 2); latent b = 0 0 0 1:
    # MI(b; f) = H(b) - H(b | f) = H(3/4, 1/4) - (1/2) ln 2
    f = np.array([0, 0, 1, 1])
    latents = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    h_b = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    second = h_b - 0.5 * math.log(2)
    np.testing.assert_allclose(scores.discrete_mi(latents, f), [[math.log(2)], [second]])
    assert scores.discrete_mig(latents, f) == pytest.approx(1 - second / math.log(2))
    # 20 equal-width bins over each latent's range, numbered 1..20 as the library's
    np.testing.assert_array_equal(scores.histogram_discretize(np.linspace(0, 1, 5)).ravel(),
                                  [1, 6, 11, 16, 20])


def test_data_scores_of_a_disentangled_representation():
    latents, factors = _disentangled()
    assert scores.discrete_mig(latents, factors) > 0.95
    assert scores.discrete_modularity(latents, factors) > 0.95
    found = scores.dci(latents, factors)
    assert found["disentanglement"] > 0.9 and found["completeness"] > 0.9
    assert found["informativeness_test"] > 0.95
    assert scores.explicitness(latents, factors)["test"] > 0.95


def test_sap_of_binary_factors_is_the_accuracy_gap():
    # each binary factor: its own latent predicts it (accuracy 1), the others at chance
    # (class-balanced: 0.5), so the gap is 0.5
    n = 3000
    factors = _factors(n, (2, 2, 2), seed=3)
    latents = factors + 0.05 * np.random.default_rng(4).standard_normal((n, 3))
    assert scores.sap(latents, factors) == pytest.approx(0.5, abs=0.05)
    # continuous factors: squared correlation 1 against 0
    assert scores.sap(latents, factors.astype(float), continuous_factors=True) == \
        pytest.approx(1.0, abs=0.02)


def test_rotated_representation_scores_low():
    n = 3000
    factors = _factors(n, (4, 4), seed=5)
    aligned = factors - 1.5 + 0.05 * np.random.default_rng(6).standard_normal((n, 2))
    rotated = aligned @ np.array([[1.0, 1.0], [1.0, -1.0]]) / math.sqrt(2)
    assert scores.discrete_mig(aligned, factors) > 0.95
    assert scores.discrete_mig(rotated, factors) < 0.2
    assert scores.discrete_modularity(rotated, factors) < 0.3
    assert scores.dci(aligned, factors)["disentanglement"] > 0.9
    assert scores.dci(rotated, factors)["disentanglement"] < 0.1


def test_one_latent_encoding_two_factors():
    # latent 0 = f0 + 3 f1 holds both factors: MIG cannot see it (each factor still has one
    # best latent), modularity and DCI disentanglement do
    n = 3000
    factors = _factors(n, (3, 3, 2), seed=7)
    rng = np.random.default_rng(8)
    latents = np.column_stack([factors[:, 0] + 3 * factors[:, 1], rng.standard_normal(n),
                               factors[:, 2]]) + 0.05 * rng.standard_normal((n, 3))
    assert scores.discrete_mig(latents, factors) > 0.9
    per_latent = scores.modularity_per_latent(scores.discrete_mi(latents, factors))
    # latent 0's row is (H, H, 0): 1 - H^2 / (H^2 (3 - 1)) = 0.5
    assert per_latent[0] == pytest.approx(0.5, abs=0.05) and per_latent[2] > 0.95
    assert scores.dci(latents, factors)["disentanglement"] < 0.75


def test_uninformative_latents_score_chance():
    n = 1500
    factors = _factors(n, (3, 2), seed=9)
    noise = np.random.default_rng(10).standard_normal((n, 3))
    assert scores.explicitness(noise, factors)["test"] == pytest.approx(0.5, abs=0.06)
    assert scores.dci(noise, factors)["informativeness_test"] < 0.6


def test_data_scores_refuse_bad_input_in_one_line():
    latents, factors = _disentangled(200)
    with pytest.raises(ValueError, match="different numbers of rows"):
        scores.discrete_mig(latents[:100], factors)
    with pytest.raises(ValueError, match="missing or infinite"):
        bad = latents.copy()
        bad[0, 0] = np.nan
        scores.dci(bad, factors)
    with pytest.raises(ValueError, match="at least 2 latents"):
        scores.discrete_mig(latents[:, :1], factors)
    with pytest.raises(ValueError, match="too few"):
        scores.sap(latents[:2], factors[:2])
    with pytest.raises(ValueError, match="latents and factors, or neither"):
        scores.scores(latents=latents)


def _matrix(mi, boot, entropy, bootstrap="joint"):
    import xarray as xr

    mi = np.asarray(mi, dtype=float)
    return xr.Dataset({"mi": (("var_x", "var_y"), mi),
                       "mi_std": (("var_x", "var_y"), np.asarray(boot).std(axis=-1)),
                       "mi_bootstrap": (("var_x", "var_y", "bootstrap"), np.asarray(boot)),
                       "status": (("var_x", "var_y"), np.full(mi.shape, "ok", dtype=object)),
                       "entropy_y": ("var_y", np.asarray(entropy, dtype=float))},
                      coords={"var_x": [f"z{i}" for i in range(mi.shape[0])],
                              "var_y": [f"f{j}" for j in range(mi.shape[1])]},
                      attrs={"bootstrap": bootstrap})


def test_gmm_mig_interval_over_bootstrap_replicates():
    # replicate b shifts the second latent's MI with factor 0 by 0.1 b (b = 0..4): its
    # MIG is ((1 - 0.1 b) / 1 + 1) / 2, so the interval spans those five values' 2.5 and
    # 97.5 percentiles
    mi = np.array([[1.0, 0.0], [0.0, 1.0]])
    boot = np.repeat(mi[..., None], 5, axis=-1)
    boot[1, 0] = 0.1 * np.arange(5)
    found = scores.gmm_mig(_matrix(mi, boot, [1.0, 1.0]))
    replicates = (1 - 0.1 * np.arange(5) + 1) / 2
    assert found.value == pytest.approx(1.0)
    assert found.low == pytest.approx(np.percentile(replicates, 2.5))
    assert found.high == pytest.approx(1.0)
    # no bootstrap values: the point alone
    empty = _matrix(mi, np.full((2, 2, 3), np.nan), [1.0, 1.0])
    assert math.isnan(scores.gmm_mig(empty).low)


@pytest.mark.slow
def test_scores_table_from_a_matrix_and_its_data():
    import gmmmi

    latents, factors = _disentangled(800)
    data = {"latent": pd.DataFrame(latents, columns=["z0", "z1", "z2"]),
            "factor": pd.DataFrame(factors, columns=["a", "b", "c"])}
    matrix = gmmmi.mi_matrix(data, "latent", "factor", n_bootstrap=10, progress=False)
    table = scores.scores(matrix, data)
    assert list(table.columns) == ["score", "value", "low", "high", "definition"]
    row = table.set_index("score")
    assert row.loc["MIG (gmmmi)", "low"] <= row.loc["MIG (gmmmi)", "value"] <= \
        row.loc["MIG (gmmmi)", "high"]
    assert row.loc["MIG (gmmmi)", "value"] > 0.8
    assert row.loc["MIG (discrete)", "value"] > 0.95
    assert {"SAP", "DCI disentanglement", "explicitness", "modularity (gmmmi)"} <= set(row.index)


def test_replicates_leave_out_those_that_lack_a_cell_the_matrix_has():
    mi = np.array([[1.0, 0.2], [0.3, np.nan]])
    boot = np.repeat(mi[..., None], 4, axis=-1)
    boot[0, 1, 2] = np.nan  # replicate 2 lacks a cell: left out
    found = replicates(_matrix(mi, boot, [1.0, 1.0]))
    assert found.shape == (3, 2, 2)
    assert np.isnan(found[:, 1, 1]).all() and np.isfinite(found[:, 0]).all()


def test_any_function_of_the_matrix_gets_an_interval_and_says_when_it_is_not_joint():
    mi = np.array([[0.6, 0.0], [0.5, 0.1]])
    boot = np.repeat(mi[..., None], 40, axis=-1)
    boot[1, 0] = np.linspace(0.4, 0.7, 40)  # latent 1 overtakes latent 0 in 13 of 40
    difference = scores.matrix_interval(_matrix(mi, boot, [1.0, 1.0]),
                                        lambda m: m[0, 0] - m[1, 0])
    assert difference.value == pytest.approx(0.1) and difference.note == ""
    assert difference.low == pytest.approx(np.percentile(0.6 - boot[1, 0], 2.5))
    assert difference.low < 0 < difference.high
    table = scores.best_latents(_matrix(mi, boot, [1.0, 1.0]))
    first = table.iloc[0]
    assert (first.best, first.runner_up) == ("z0", "z1")
    assert first.share == pytest.approx(27 / 40) and first.runner_up_share == pytest.approx(
        13 / 40)
    with pytest.warns(RuntimeWarning, match="resampled each on its own"):
        old = scores.matrix_interval(_matrix(mi, boot, [1.0, 1.0], "per pair"),
                                     lambda m: m[0, 0] - m[1, 0])
    assert "independent" in old.note and old.low == difference.low
    # a factor with a missing cell: its gap is unknown, the MIG is of the others and says so
    mi[1, 1] = np.nan
    with pytest.warns(RuntimeWarning, match="factor 1 has a missing cell"):
        found = scores.gmm_mig(_matrix(mi, boot, [1.0, 1.0]))
    assert found.value == pytest.approx(0.1) and "1 of 2 factors" in found.note
    assert pd.isna(scores.best_latents(_matrix(mi, boot, [1.0, 1.0])).iloc[1].best)


def test_a_constant_factor_is_left_out_of_the_mig_with_a_word():
    rng = np.random.default_rng(0)
    factors = np.column_stack([rng.integers(0, 3, 600), np.zeros(600, int)])
    latents = np.column_stack([factors[:, 0] + rng.normal(0, 0.2, 600),
                               rng.normal(size=600)])
    with pytest.warns(RuntimeWarning, match="factor 1 has one value only"):
        found = scores.discrete_mig(latents, factors)
    assert found == pytest.approx(scores.discrete_mig(latents, factors[:, :1]))
    with pytest.warns(RuntimeWarning, match=r"factor 1 has one value only \(entropy 0\)"):
        assert scores.mig([[0.9, 0.0], [0.1, 0.0]], [1.0, 0.0]) == pytest.approx(0.8)


def test_scores_from_data_take_the_categorical_factors_and_dci_on_request():
    import gmmmi
    from gmmmi.data.demo import make_demo_dataset

    data = make_demo_dataset(n_samples=600, seed=0)
    matrix = gmmmi.mi_matrix(data, "latent", ["factor", "category"], n_bootstrap=4,
                             progress=False)
    with pytest.warns(RuntimeWarning, match="continuous values"):
        table = scores.scores(matrix, data, with_dci=False)
    assert "SAP" in set(table["score"]) and not any(table["score"].str.startswith("DCI"))
