"""Disentanglement scores against values worked out by hand and against the demo's truth."""

import math

import numpy as np
import pytest

from gmmmi.data.demo import make_demo_dataset
from gmmmi.report import scores


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


def test_negative_and_missing_estimates_count_as_zero():
    mi = np.array([[0.4, -0.01], [np.nan, 0.2]])
    np.testing.assert_allclose(scores.modularity_per_latent(mi), [1.0, 1.0])
    assert scores.factor_gaps(mi, [1.0, 1.0])[1].second_mi == 0.0


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
