"""gmmmi's drop-ins for scikit-learn's mutual_info_regression / mutual_info_classif."""

import functools
import math

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import gmmmi


def _normal_pair(n, rho, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, rho * x + math.sqrt(1 - rho ** 2) * rng.standard_normal(n)


def test_regression_estimates_the_known_mi_with_an_interval():
    x, y = _normal_pair(2000, 0.6)
    noise = np.random.default_rng(1).standard_normal(2000)
    X = np.column_stack([x, noise])
    mi, intervals = gmmmi.mutual_info_regression(X, y, return_interval=True)
    truth = -0.5 * math.log(1 - 0.36)
    assert mi.shape == (2,) and intervals.shape == (2, 2)
    assert intervals[0, 0] <= truth <= intervals[0, 1]
    assert mi[0] == pytest.approx(truth, abs=0.03) and mi[1] < 0.01
    # the same as gmmmi's pair estimate, bit for bit
    assert mi[0] == gmmmi.estimate_mi(x, y).value


def _classes(n, shifts, n_noise, seed):
    """Labels 0..2 and features: class times a shift plus unit noise (shift 0: noise)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    shifts = np.concatenate([shifts, np.zeros(n_noise)])
    return y[:, None] * shifts + rng.standard_normal((n, len(shifts))), y


def test_select_k_best_keeps_the_informative_features():
    # (make_classification's informative features can carry no information on their own:
    # its classes sit on hypercube vertices, so marginal MI cannot be expected to find them)
    X, y = _classes(600, [1.0, 0.7, 0.5], 5, seed=0)
    selector = SelectKBest(functools.partial(gmmmi.mutual_info_classif, n_bootstrap=0), k=3)
    selector.fit(X, y)
    np.testing.assert_array_equal(selector.get_support(), [True] * 3 + [False] * 5)
    X, y = make_regression(n_samples=600, n_features=6, n_informative=2, shuffle=False,
                           noise=1.0, random_state=0)
    selector = SelectKBest(gmmmi.mutual_info_regression, k=2).fit(X, y)
    np.testing.assert_array_equal(selector.get_support(), [True] * 2 + [False] * 4)


def test_pipeline_runs_unchanged():
    X, y = _classes(400, [1.0, 0.8], 4, seed=1)
    model = make_pipeline(SelectKBest(gmmmi.mutual_info_classif, k=2), LogisticRegression())
    assert model.fit(X, y).score(X, y) > 0.6
    np.testing.assert_array_equal(model[0].get_support(), [True, True] + [False] * 4)


def test_discrete_features_and_targets():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 1000)
    x = labels + 0.3 * rng.standard_normal(1000)
    X = np.column_stack([x, labels])
    # a discrete feature equal to a discrete target: the plug-in MI, H(labels)
    mi, intervals = gmmmi.mutual_info_classif(X, labels, discrete_features=[1], n_bootstrap=10,
                                              return_interval=True)
    p = np.bincount(labels) / len(labels)
    assert mi[1] == pytest.approx(-(p * np.log(p)).sum())
    assert np.isnan(intervals[1]).all() and intervals[0, 0] < mi[0] < intervals[0, 1]
    # a discrete feature with a continuous target: the categorical estimate
    reg = gmmmi.mutual_info_regression(X, x, discrete_features=np.array([False, True]),
                                       n_bootstrap=10)
    assert reg[1] == gmmmi.estimate_mi(x, labels, categorical=True, n_bootstrap=10).value


def test_parallel_and_seeded_results_are_identical():
    X, y = make_regression(n_samples=300, n_features=4, random_state=3)
    one = gmmmi.mutual_info_regression(X, y, n_bootstrap=5, random_state=7)
    two = gmmmi.mutual_info_regression(X, y, n_bootstrap=5, random_state=7, n_jobs=2)
    np.testing.assert_array_equal(one, two)


def test_bad_input_is_one_line():
    X, y = make_regression(n_samples=50, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="unknown setting"):
        gmmmi.mutual_info_regression(X, y, n_component=3)
    with pytest.raises(ValueError, match="discrete_features"):
        gmmmi.mutual_info_regression(X, y, discrete_features="yes")
    with pytest.raises(ValueError, match="index the 2 features"):
        gmmmi.mutual_info_regression(X, y, discrete_features=[5])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        gmmmi.mutual_info_regression(X, y[:10])


def test_the_user_guide_block_runs():
    from tests.helpers import doc_block

    block = doc_block("docs/user-guide/sklearn.md", "sklearn")
    namespace = {}  # the block makes its own data: features 0 and 1 tell y
    exec(compile(block, "docs/user-guide/sklearn.md", "exec"), namespace)
    assert namespace["intervals"].shape == (6, 2)
    np.testing.assert_array_equal(namespace["model"][0].get_support(), [True, True] + [False] * 4)
