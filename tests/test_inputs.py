"""Inputs that are not clean: one-line errors, dropped rows and statuses."""

import math

import numpy as np
import pytest

from gmmmi import conditional_mi, estimate_mi, marginal_kl


@pytest.fixture
def xy():
    rng = np.random.default_rng(31)
    x = rng.normal(size=300)
    return x, x + rng.normal(size=300)


def one_line_error(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_different_lengths(xy):
    one_line_error(lambda: estimate_mi(xy[0], xy[1][:-1]), "different numbers of samples")


def test_non_numeric(xy):
    one_line_error(lambda: estimate_mi(["a", "b", "c"], [1.0, 2.0, 3.0]), "x must be numeric")


def test_empty():
    one_line_error(lambda: estimate_mi([], []), "x is empty")


def test_two_dimensional_where_one_expected(xy):
    """Vectors are welcome as x and y of MI; labels and KL's variables are single."""
    one_line_error(lambda: estimate_mi(xy[0], np.column_stack(xy), categorical=True),
                   "y must be 1-D")
    one_line_error(lambda: marginal_kl(np.column_stack(xy), xy[1]), "x must be 1-D")
    one_line_error(lambda: estimate_mi(np.zeros((300, 2, 2)), xy[1]), "x must be 2-D")


def test_unknown_setting_and_bad_values(xy):
    one_line_error(lambda: estimate_mi(*xy, n_init=3), "unknown setting 'n_init'")
    one_line_error(lambda: estimate_mi(*xy, n_folds=1), "n_folds must be an integer >= 2")
    one_line_error(lambda: estimate_mi(*xy, unit="dit"), "unit must be")
    one_line_error(lambda: estimate_mi(*xy, seed=-1), "seed must be")
    one_line_error(lambda: estimate_mi(*xy, selection="cv"), "selection must be")
    one_line_error(lambda: estimate_mi(*xy, accelerate="yes"), "accelerate must be true or false")


def test_non_finite_rows_are_dropped_and_counted(xy):
    x, y = xy[0].copy(), xy[1].copy()
    x[:5] = np.nan
    y[10:13] = np.inf
    result = estimate_mi(x, y, n_bootstrap=5)
    assert result.n_dropped == 8 and result.n_samples == 292
    keep = np.isfinite(x) & np.isfinite(y)
    clean = estimate_mi(xy[0][keep], xy[1][keep], n_bootstrap=0)
    assert estimate_mi(x, y, n_bootstrap=0).mi == clean.mi
    # the resamples are drawn over the rows as given, so which variable misses a row
    # does not matter, only which rows are missing
    swapped = xy[0].copy(), xy[1].copy()
    swapped[1][:5], swapped[0][10:13] = np.nan, -np.inf
    assert np.array_equal(estimate_mi(*swapped, n_bootstrap=5).bootstrap, result.bootstrap)


def test_constant_variable(xy):
    result = estimate_mi(np.full(300, 2.0), xy[1], n_bootstrap=4)
    assert result.status == "constant" and result.mi == 0.0 and "x" in result.message
    assert estimate_mi(xy[0], np.zeros(300), categorical=True).status == "constant"


def test_too_few_samples():
    result = estimate_mi([0.1, 0.5, 0.2, 0.9, 0.4], [1.0, 0.3, 0.2, 0.7, 0.1])
    assert result.status == "too-few-samples" and math.isnan(result.mi)


def test_too_few_after_dropping_non_finite(xy):
    x = xy[0].copy()
    x[5:] = np.nan
    result = estimate_mi(x, xy[1])
    assert result.status == "too-few-samples" and result.n_dropped == 295


def test_few_distinct_values_are_categories_and_atoms_outside_ranks_a_warning(xy):
    rounded = np.round(xy[0])  # a handful of integer values: one mixture of y per value
    result = estimate_mi(rounded, xy[1], n_bootstrap=5)
    assert result.status == "ok" and result.details["categorical"] == "x"
    clipped = np.minimum(xy[0], 2.0)  # an atom of 2% at 2, standardised: a single point
    result = estimate_mi(clipped, xy[1], n_bootstrap=5, marginals="standardise")
    assert result.status == "few-distinct-values" and np.isfinite(result.mi)


def test_small_category(xy):
    labels = np.where(np.arange(300) < 3, "rare", "common")
    result = estimate_mi(xy[0], labels, categorical=True)
    assert result.status == "category-too-small" and "'rare'" in result.message
    assert math.isnan(result.mi)


def test_a_small_category_among_others_is_left_out_with_its_rows(xy):
    labels = np.where(np.arange(300) < 3, "rare", np.where(xy[0] > 0, "high", "low"))
    result = estimate_mi(xy[0], labels, categorical=True)
    assert np.isfinite(result.mi) and result.mi > 0.3 and result.n_dropped == 3
    assert "'rare' (3)" in result.message and "3 rows dropped" in result.message
    assert result.n_samples == 297


def test_missing_labels_are_dropped(xy):
    labels = np.array(["a", "b"] * 150, dtype=object)
    labels[:4] = None
    result = estimate_mi(xy[0], labels, categorical=True, n_bootstrap=3)
    assert result.n_dropped == 4 and result.status == "ok"


def test_conditional_and_kl_inputs(xy):
    one_line_error(lambda: conditional_mi(*xy, np.zeros((299, 2))), "different numbers")
    one_line_error(lambda: conditional_mi(*xy, np.zeros((300, 2, 2))), "z must be 2-D")
    assert marginal_kl(np.ones(300), xy[1]).status == "constant"
    assert conditional_mi(*xy, np.ones(300)).status == "constant"


def test_masked_values_are_missing_not_their_stored_numbers(xy):
    x, y = xy
    stored = x.copy()
    stored[:30] = -999.0
    masked = np.ma.masked_equal(stored, -999.0)
    result = estimate_mi(masked, y, n_bootstrap=5)
    assert result.n_dropped == 30
    missing = np.where(np.arange(len(x)) < 30, np.nan, x)
    assert np.array_equal(result.bootstrap, estimate_mi(missing, y, n_bootstrap=5).bootstrap)
    assert estimate_mi(masked, y, n_bootstrap=0).mi == estimate_mi(x[30:], y[30:],
                                                                   n_bootstrap=0).mi
    labels = np.ma.array(np.where(x > 0, 7, 1), mask=np.arange(len(x)) < 20)
    assert estimate_mi(y, labels, categorical=True, n_bootstrap=5).n_dropped == 20
    words = np.ma.array(np.where(x > 0, "a", "b"), mask=np.arange(len(x)) < 5)
    with pytest.raises(ValueError, match="^x cannot be read as an array"):
        estimate_mi(words, y)


def test_pandas_missing_values_and_indexes(xy):
    import pandas as pd

    import gmmmi

    x, y = xy
    labels = pd.Series(np.where(x > 0, 2, 1), dtype="Int64")
    labels[:10] = pd.NA  # missing, not a label of its own
    result = estimate_mi(y, labels, categorical=True, n_bootstrap=5)
    assert result.n_dropped == 10
    missing = np.where(np.arange(len(y)) < 10, np.nan, y)
    assert result.mi == estimate_mi(missing, np.where(x > 0, 2, 1), categorical=True,
                                    n_bootstrap=5).mi
    nullable = pd.Series(x, dtype="Float64")
    nullable[:4] = pd.NA
    assert estimate_mi(nullable, y, n_bootstrap=5).n_dropped == 4
    # paired by position, differently indexed Series would pair other samples
    shifted = pd.Series(y, index=np.arange(len(y)) + 1)
    one_line_error(lambda: estimate_mi(pd.Series(x), shifted), "different pandas indexes")
    one_line_error(lambda: conditional_mi(pd.Series(x), shifted, y), "different pandas indexes")
    # an Int64 factor in mi_matrix's data stays categorical, its NA rows dropped
    m = gmmmi.mi_matrix({"latent": pd.DataFrame({"a": x}), "factor": pd.DataFrame({"f": labels})},
                        "latent", "factor", n_bootstrap=3, progress=False)
    assert m["kind_y"].values[0] == "categorical" and int(m["n_dropped"].values[0, 0]) == 10
    one_line_error(lambda: gmmmi.mi_matrix({"latent": pd.DataFrame({"a": x, "b": y})},
                                           ["latent", "latent"], progress=False),
                   "x names group 'latent' twice")


def test_extreme_scales_are_estimated_or_refused_never_silently_zero(xy):
    x, y = xy
    expected = estimate_mi(x, y, marginals="standardise", n_bootstrap=5).mi
    for scale in (1e200, 1e-300):
        assert estimate_mi(x * scale, y, marginals="standardise", n_bootstrap=5).mi == \
            pytest.approx(expected, rel=1e-9)
    reference = marginal_kl(x, 2 * y + 1, n_bootstrap=5).value
    assert marginal_kl(x * 1e200, (2 * y + 1) * 1e200, n_bootstrap=5).value == \
        pytest.approx(reference, rel=1e-9)
    outlier = x.copy()
    outlier[0] = 1e200  # the other values merge once scaled: refused, not MI 0
    one_line_error(lambda: estimate_mi(outlier, y, marginals="standardise"),
                   "too many orders of magnitude")
    assert estimate_mi(outlier, y, n_bootstrap=5).mi > 0.5 * expected  # ranks: unharmed


def test_many_categories_cost_memory_linear_in_their_count_and_hold_the_truth():
    """One swap per category and plausible K grew with the square of the category count
    (1000 categories asked for 52 GiB); above SWAP_LIMIT the interval takes two joint
    swaps. The truth: x | c ~ N(mu_c, 1), 40 equiprobable classes, by a fine grid."""
    from gmmmi.core.outcome import SWAP_LIMIT

    n_classes, n = 40, 4000
    means = 3.0 * np.arange(n_classes) / n_classes
    grid = np.linspace(-8, 12, 40001)
    density = np.mean([np.exp(-0.5 * (grid - m) ** 2) for m in means], axis=0) / math.sqrt(
        2 * math.pi)
    h_x = -np.sum(density * np.log(density)) * (grid[1] - grid[0])
    truth = h_x - 0.5 * math.log(2 * math.pi * math.e)
    rng = np.random.default_rng(11)
    labels = rng.integers(0, n_classes, n)
    result = estimate_mi(means[labels] + rng.standard_normal(n), labels, categorical=True,
                         n_bootstrap=20)
    assert 2 * n_classes > SWAP_LIMIT
    assert result.low <= truth <= result.high


def test_a_renamed_setting_names_its_new_name(xy):
    one_line_error(lambda: estimate_mi(*xy, transform="rank"),
                   "the setting 'transform' is now called 'marginals'")


def test_details_transform_still_reads_the_space_of_the_marginals():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    details = estimate_mi(x, x + rng.normal(size=300), n_bootstrap=0).details
    assert details["marginals"] == "rank" and "transform" not in details
    with pytest.warns(FutureWarning, match=r'now details\["marginals"\]'):
        assert details["transform"] == "rank"
    with pytest.warns(FutureWarning):
        assert details.get("transform") == "rank"
    assert details.get("nothing", 3) == 3
    with pytest.raises(KeyError):
        details["nothing"]
