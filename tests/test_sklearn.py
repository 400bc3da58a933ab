"""GMMMI as a scikit-learn estimator: scikit-learn's own estimator checks, clone, repr."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from gmmmi import GMMMI

# The checks that do not apply, and why (all others must pass):
NOT_APPLICABLE = {
    "check_fit1d": "a 1-D x is one variable (MI of a pair), not an error",
    "check_dtype_object": "data that are not numbers are refused with gmmmi's one-line "
                          "ValueError naming the variable, not numpy's TypeError text",
}


@parametrize_with_checks([GMMMI(n_bootstrap=5), GMMMI(n_bootstrap=0, categorical=True)],
                         expected_failed_checks=lambda estimator: NOT_APPLICABLE)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_clone_repr_and_params():
    estimator = GMMMI(n_bootstrap=10, marginals="rank")
    assert repr(estimator) == "GMMMI(marginals='rank', n_bootstrap=10)"
    assert "GMMMI" in estimator._repr_html_()
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == estimator.get_params()
    assert copy.set_params(n_bootstrap=3).n_bootstrap == 3 and estimator.n_bootstrap == 10


def test_fit_takes_what_scikit_learn_takes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(500)
    y = 0.6 * x + 0.8 * rng.standard_normal(500)
    expected = GMMMI(n_bootstrap=5).fit(x, y).mi_
    assert GMMMI(n_bootstrap=5).fit(x.tolist(), list(y)).mi_ == expected
    assert GMMMI(n_bootstrap=5).fit(pd.Series(x), pd.DataFrame({"y": y})).mi_ == expected
    fitted = GMMMI(n_bootstrap=5).fit(pd.DataFrame({"a": x, "b": x ** 3}), y)
    assert fitted.n_features_in_ == 2
