"""The reported interval: bootstrap percentiles widened over the plausible numbers of components."""

import math

import numpy as np
import pytest

import groundtruth as truth
from gmmmi import estimate_mi
from gmmmi.core.components import split_component
from gmmmi.core.interval import percentile_interval, trend_components, trend_gap, widened


def test_without_plausible_values_the_interval_is_the_bootstrap_s():
    values = np.random.default_rng(0).normal(1.0, 0.1, 200)
    low, high, std, stretch = widened(values, 1.0, ())
    p_low, p_high = percentile_interval(values)
    z = 1.959964
    assert low == pytest.approx(min(p_low, values.mean() - z * values.std(ddof=1),
                                    2 * 1.0 - p_high))
    assert high == pytest.approx(max(p_high, values.mean() + z * values.std(ddof=1)))
    assert std == pytest.approx(max(values.std(ddof=1), (high - low) / (2 * z)), rel=1e-5)
    assert stretch == 0.0


def test_skewed_bootstrap_near_zero_still_reaches_zero():
    """Resampling adds spurious MI: for an independent pair every bootstrap value lies
    above the truth (0), so the percentile interval alone excludes it."""
    values = 0.002 + np.random.default_rng(1).exponential(0.002, 50)
    assert percentile_interval(values)[0] > 0
    low, high, _, _ = widened(values, 0.001, ())
    assert low == 0.0 and high > values.mean()


def test_plausible_values_move_each_end_by_their_excess():
    values = np.linspace(0.9, 1.1, 101)
    base_low, base_high, _, _ = widened(values, 1.0, ())
    low, high, std, stretch = widened(values, 1.0, [0.97, 1.3])
    assert low == pytest.approx(base_low - 0.03) and high == pytest.approx(base_high + 0.3)
    assert std == pytest.approx((high - low) / (2 * 1.959964), rel=1e-5)
    assert stretch == pytest.approx(0.3 / ((base_high - base_low) / 2))
    # values inside the bootstrap's reach of the selected value move nothing
    assert widened(values, 1.0, [1.0])[:2] == (base_low, base_high)


def test_a_value_still_moving_at_the_largest_plausible_k_moves_its_end_twice_as_far():
    values = np.linspace(0.9, 1.1, 101)
    base_low, base_high, _, _ = widened(values, 1.0, ())
    low, high, _, _ = widened(values, 1.0, [0.97, 1.2, 1.3], edge=[1.3])
    assert high == pytest.approx(base_high + 2 * 0.3) and low == pytest.approx(base_low - 0.03)
    # the edge value is not the farthest one: nothing doubles
    assert widened(values, 1.0, [0.97, 1.3, 1.2], edge=[1.2])[1] == pytest.approx(base_high + 0.3)


def test_without_bootstrap_the_interval_spans_the_plausible_values_and_std_is_nan():
    low, high, std, stretch = widened((), 0.5, [0.4, 0.7])
    assert (low, high) == (0.4, 0.7) and math.isnan(std) and math.isnan(stretch)


def test_a_split_keeps_the_mixture_moments():
    weights = np.array([0.3, 0.7])
    means = np.array([[0.0, 0.0], [1.0, 2.0]])
    covariances = np.array([[[1.0, 0.2], [0.2, 0.5]], [[2.0, 0.9], [0.9, 1.0]]])
    w, mu, cov = split_component(weights, means, covariances)
    assert len(w) == 3 and w.sum() == pytest.approx(1.0)
    pair = [1, 2]  # the broader component (index 1) and its new half
    assert w[pair].sum() == pytest.approx(0.7)
    mean = (w[pair, None] * mu[pair]).sum(0) / 0.7
    spread = sum(w[k] * (cov[k] + np.outer(mu[k] - mean, mu[k] - mean)) for k in pair) / 0.7
    assert mean == pytest.approx(means[1]) and spread == pytest.approx(covariances[1])
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_gaussian_pair_keeps_an_ok_status_and_a_near_bootstrap_interval():
    xy = np.random.default_rng(5).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], 1000)
    result = estimate_mi(xy[:, 0], xy[:, 1])
    assert result.status == "ok" and result.n_components == 1
    assert result.low < truth.gaussian_mi(0.6) < result.high
    base = widened(result.bootstrap, result.mi, ())
    assert result.high - result.low < 1.5 * (base[1] - base[0])
    assert result.to_dict()["low"] == result.low and result.interval == (result.low, result.high)
    in_bits = estimate_mi(xy[:, 0], xy[:, 1], unit="bit")
    assert in_bits.interval == pytest.approx(tuple(v / math.log(2) for v in result.interval))


def test_hard_edged_joint_at_high_mi_is_not_a_confident_wrong_number():
    """x ~ U(0,1), y = x + U(0, 0.3): MI 1.354 nat.  The bootstrap alone missed the truth
    in 5 of 5 samples at N=1000 (by 3-6 std); the interval must now hold it in most, and
    never be off by more than 4 std."""
    true_mi = truth.additive_uniform_mi(0.3)
    covered, worst = 0, 0.0
    for seed in range(6):
        xy = truth.sample_additive_uniform(0.3, 1000, np.random.default_rng([seed, 7]))
        result = estimate_mi(xy[:, 0], xy[:, 1], seed=seed)
        covered += result.low <= true_mi <= result.high
        worst = max(worst, abs(result.mi - true_mi) / result.std)
    assert covered >= 4 and worst < 4


def test_under_resolved_status_names_the_plausible_components():
    xy = truth.sample_additive_uniform(0.15, 1000, np.random.default_rng(4))
    # two folds stop this walk at K = 4 (three folds go on to K = 10, status ok)
    result = estimate_mi(xy[:, 0], xy[:, 1], n_folds=2)
    assert result.status == "under-resolved", result.message
    assert f"chosen K = {result.n_components}" in result.message
    assert result.details["plausible_components"]


@pytest.mark.parametrize("n", [200, 2000])
def test_independent_pairs_have_intervals_that_reach_zero(n):
    rng = np.random.default_rng(n)
    for seed in range(3):
        result = estimate_mi(rng.uniform(size=n), rng.exponential(size=n), seed=seed)
        assert result.low == 0.0 < result.mi < result.high


def test_conditional_mi_gets_an_interval_too():
    from gmmmi import conditional_mi
    rng = np.random.default_rng(2)
    cov = [[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1]]
    xyz = rng.multivariate_normal([0, 0, 0], cov, 1500)
    result = conditional_mi(xyz[:, 0], xyz[:, 1], xyz[:, 2], n_bootstrap=20)
    assert result.low <= result.mi <= result.high
    assert result.low < truth.gaussian_conditional_mi(cov) < result.high


def test_independent_categorical_pairs_have_intervals_that_reach_zero():
    rng = np.random.default_rng(3)
    for seed in range(3):
        labels = rng.integers(0, 4, 2000)
        result = estimate_mi(rng.gamma(2.0, size=2000), labels, categorical=True, seed=seed)
        assert result.low == 0.0 < result.mi, result


def test_categorical_pairs_widen_over_each_category_s_plausible_components():
    rng = np.random.default_rng(14)
    means = [0.0, 1.0, 2.5, 4.0]
    y = rng.integers(0, 4, 2000)
    x = rng.normal(np.take(means, y), 1.0)
    result = estimate_mi(x, y, categorical=True)
    assert result.low < truth.categorical_mi(means) < result.high
    assert set(result.details["plausible_components_per_category"]) == {0, 1, 2, 3}
    alone = estimate_mi(x, y, categorical=True, n_bootstrap=0)
    # without bootstrap: the interval spans the plausible values, no spread to compare with
    assert math.isnan(alone.std) and alone.status == "ok"
    assert alone.low <= alone.mi <= alone.high


def test_trend_gap_is_what_a_plus_b_over_k_still_adds_beyond_the_largest_k():
    ks = [5, 6, 7, 8, 9, 10]
    values = [1.4 - 0.6 / k for k in ks]
    assert trend_gap(ks, values) == pytest.approx(0.06)
    assert trend_gap(ks, [0.3] * 6) == pytest.approx(0.0, abs=1e-12)
    assert trend_gap(ks, [0.3 + 0.6 / k for k in ks]) == pytest.approx(-0.06)
    # from half the chosen K to the chosen K, at most six of them; none below K = 8
    assert trend_components(7, range(1, 9)) == []
    assert trend_components(8, range(1, 9)) == [4, 5, 6, 7, 8]
    assert trend_components(50, range(1, 51)) == [25, 30, 35, 40, 45, 50]
    assert trend_components(33, [1, 8, 10, 12, 15, 18, 22, 27, 33, 41]) == [18, 22, 27, 33]


@pytest.mark.slow
def test_a_pair_at_max_components_reaches_the_trend_it_was_cut_off_from():
    """x ~ U(0,1), y = x + U(0, 0.6) (MI 0.811) with at most 10 components at N = 20,000:
    MI still rises with K at the cap (0.76 at K = 10), and the bootstrap alone lies 0.04
    below the truth, 10 of its std.  The interval must reach the truth and say why."""
    true_mi = truth.additive_uniform_mi(0.6)
    xy = truth.sample_additive_uniform(0.6, 20_000, np.random.default_rng(0))
    with pytest.warns(RuntimeWarning, match="max_components=10"):
        result = estimate_mi(xy[:, 0], xy[:, 1], max_components=10)
    bootstrap_high = widened(result.bootstrap, result.mi, ())[1]
    assert bootstrap_high < true_mi - 0.02
    assert result.low <= true_mi <= result.high
    assert result.status == "under-resolved" and "still moves with K" in result.message
    assert result.details["trend"] > 0.02
