"""Ties and atoms: ReLU zeros, integer codes and repeated rows against exact MI (issue 40)."""

import warnings

import numpy as np
import pytest

import gmmmi
import groundtruth as truth
from gmmmi import estimate_mi
from gmmmi.core import marginals
from gmmmi.core import validation as check


def test_broken_ties_keep_each_value_in_its_block_of_ranks():
    column = np.array([0.0, 2.0, 0.0, 1.0, 0.0, 2.0, 3.0])
    broken = marginals.break_ties(column, [0, 1])
    assert sorted(broken) == list(range(1, 8))
    assert set(broken[column == 0.0]) == {1, 2, 3}  # the three zeros share ranks 1-3
    assert set(broken[column == 2.0]) == {5, 6} and broken[column == 1.0] == 4
    assert np.array_equal(broken, marginals.break_ties(column, [0, 1]))  # from the key alone
    orders = {tuple(marginals.break_ties(column, [seed])) for seed in range(20)}
    assert len(orders) > 1  # the key decides the order within a block


def test_ranks_without_ties_are_unchanged_by_a_tie_key():
    values = np.random.default_rng(0).normal(size=(500, 2))
    assert np.array_equal(marginals.ranks(values), marginals.ranks(values, ties=[3]))
    assert np.array_equal(marginals.gaussianise(values), marginals.gaussianise(values, ties=[3]))


def test_atoms_are_told_from_the_odd_tie():
    rng = np.random.default_rng(0)
    relu = np.maximum(rng.normal(size=2000), 0.0)
    assert check.has_atoms(relu) and check.tied_share(relu) == pytest.approx(
        np.mean(relu == 0), abs=1e-12)
    smooth = rng.normal(size=2000)
    smooth[1] = smooth[0]  # one pair of equal values, as float32 data have
    assert check.has_ties(smooth) and not check.has_atoms(smooth)


def test_copies_are_told_from_atoms():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(40, 2))
    copied = np.repeat(xy, 3, axis=0)
    later = check.repeated_rows(copied)
    assert later is not None and later.sum() == 80
    assert len(np.unique(copied[~later], axis=0)) == 40
    relu = np.maximum(rng.normal(size=(500, 2)), 0.0)  # (0, 0) repeats, but 0 is an atom
    assert check.repeated_rows(relu) is None


def _sample(name, n, seed):
    return truth.sample_mixed_family(name, n, np.random.default_rng([seed, n, 40]))


@pytest.mark.parametrize("seed", [0, 1])
def test_two_relu_units_against_their_exact_mi(seed):
    exact = truth.mixed_family_mi("relu x relu")
    assert exact == pytest.approx(0.55437, abs=1e-4)  # quadrature over the joint's four parts
    x, y = _sample("relu x relu", 5000, seed)
    result = estimate_mi(x, y, n_bootstrap=20)
    assert result.low <= exact <= result.high, result
    assert result.mi < truth.gaussian_mi(0.9)  # data processing: I(X+; Y+) <= I(X; Y)
    assert result.status == "ok" and result.details["marginals"] == "atoms"
    assert result.details["tied"]["x"] == pytest.approx(np.mean(x == 0))
    terms = result.details["atoms"]
    assert list(terms) == ["the atoms' table", "x's atoms against y", "y's atoms against x",
                           "the continuous parts"]
    both_open = np.mean((x > 0) & (y > 0))
    assert terms["the continuous parts"]["share"] == pytest.approx(both_open)
    assert result.mi == pytest.approx(sum(t["share"] * t["mi"] for t in terms.values()))


def test_without_bootstrap_a_split_pair_is_a_point_as_any_other():
    x, y = _sample("relu x relu", 2000, 0)
    result = estimate_mi(x, y, n_bootstrap=0)
    assert result.details["marginals"] == "atoms" and np.isnan(result.std)
    assert result.low == result.high == result.mi and len(result.bootstrap) == 0


def test_a_relu_unit_is_split_whichever_side_it_is_on():
    x, y = _sample("relu x normal", 3000, 0)
    first, second = estimate_mi(x, y, n_bootstrap=10), estimate_mi(y, x, n_bootstrap=10)
    assert first.details["marginals"] == second.details["marginals"] == "atoms"
    assert first.mi == pytest.approx(second.mi, abs=1e-12)
    assert list(second.details["atoms"]) == ["y's atoms against x", "the continuous parts"]
    assert second.details["tied"]["y"] > 0.45 and second.details["tied"]["x"] == 0.0
    exact = truth.mixed_family_mi("relu x normal")
    assert first.low <= exact <= first.high, first


def test_ties_are_broken_in_the_ranks_where_a_part_is_too_small_to_split():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    dead = np.maximum(x - 2.9, 0.0)  # 0 for all but about 2 rows: no continuous part to fit
    result = estimate_mi(dead, x + rng.normal(size=1000), n_bootstrap=5)
    assert result.details["marginals"] == "rank" and np.isfinite(result.mi)


def test_small_atoms_standardised_are_flagged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    clipped = np.minimum(x, 2.0)  # 2% of the rows at 2: too small to split from the rest
    y = x + rng.normal(size=2000)
    result = estimate_mi(clipped, y, n_bootstrap=5, marginals="standardise")
    assert result.status == "few-distinct-values" and "'rank' or 'auto' breaks" in result.message
    assert estimate_mi(clipped, y, n_bootstrap=5).status == "ok"


@pytest.mark.parametrize("name", ["codes 3 x normal", "codes 10 x normal", "codes 5 x codes 5"])
def test_integer_codes_against_their_exact_mi(name):
    exact = truth.mixed_family_mi(name)
    x, y = _sample(name, 5000, 0)
    result = estimate_mi(x, y, n_bootstrap=30)
    assert result.low <= exact <= result.high, result
    assert result.status == "ok"
    assert result.details["categorical"] == ("both" if "codes 5" in name else "x")
    assert result.mi <= np.log(int(name.split()[1]))  # a code of L levels holds ln L at most


def test_rows_repeated_are_estimated_on_the_distinct_ones():
    rng = np.random.default_rng(0)
    xy = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=30)
    x, y = np.repeat(xy[:, 0], 10), np.repeat(xy[:, 1], 10)
    result = estimate_mi(x, y, n_bootstrap=20)
    assert result.n_samples == 30 and result.n_dropped == 270
    assert "270 rows repeat" in result.message and result.details["repeated_rows"] == 270
    assert result.mi <= np.log(30)
    assert result.low <= truth.gaussian_mi(0.8) <= result.high, result


def test_the_same_seed_breaks_ties_the_same_way():
    x, y = _sample("relu 75% x relu 55%", 1000, 0)
    first, second = (estimate_mi(x, y, n_bootstrap=5) for _ in range(2))
    assert first.mi == second.mi and np.array_equal(first.bootstrap, second.bootstrap)
    x[x == 0] = -1.0  # an atom elsewhere; and small ones, broken in the ranks
    x[:20] = 7.0
    first, second = (estimate_mi(x, y, n_bootstrap=5, seed=3) for _ in range(2))
    assert first.mi == second.mi and np.array_equal(first.bootstrap, second.bootstrap)


def test_drop_ins_name_the_features_whose_status_is_not_ok():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))  # too few rows for the folds
    with pytest.warns(UserWarning, match="feature 0: too-few-samples.*feature 1"):
        gmmmi.mutual_info_regression(X, rng.normal(size=8), n_bootstrap=2)
    X = rng.normal(size=(300, 2))
    X[:, 1] = 1.0  # a constant feature's 0 is exact: not named
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        mi = gmmmi.mutual_info_regression(X, X[:, 0] + rng.normal(size=300), n_bootstrap=2)
    assert mi[1] == 0.0


def test_classif_refuses_a_continuous_target_in_one_line():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="^y: Unknown label type: continuous") as error:
        gmmmi.mutual_info_classif(rng.normal(size=(50, 2)), rng.normal(size=50))
    assert "\n" not in str(error.value)


def test_matrices_and_reports_show_each_variable_s_tied_share():
    from gmmmi.report.page import render

    rng = np.random.default_rng(5)
    z = rng.standard_normal((600, 2))
    hidden = np.column_stack([np.maximum(z[:, 0], 0.0), z[:, 1]])  # a ReLU unit and not
    labels = (z[:, 0] + 0.5 * rng.standard_normal(600) > 0).astype(int)
    matrix = gmmmi.mi_matrix({"hidden": hidden, "label": labels}, x="hidden", y="label",
                             n_bootstrap=3, progress=False)
    assert matrix["tied_x"].values[0] == pytest.approx(np.mean(hidden[:, 0] == 0))
    assert matrix["tied_x"].values[1] == 0.0 and np.isnan(matrix["tied_y"].values[0])
    page = render(matrix)
    assert "Ties and atoms" in page and "hidden_0" in page.split('id="ties"')[1]
    assert f"{100 * np.mean(hidden[:, 0] == 0):.1f}%" in page
