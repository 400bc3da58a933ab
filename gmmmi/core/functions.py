"""``estimate_mi``, ``conditional_mi`` and ``marginal_kl``: the functions most users call."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .. import status
from . import marginals
from . import validation as check
from .bootstrap import (
    Resample,
)
from .components import min_samples
from .estimator import GMMMI
from .information import (
    conditional_mi_terms,
    conditional_mutual_information,
    marginal_kl_divergence,
    pointwise_combination,
)
from .outcome import _fit_continuous, _Outcome, _result, _spaces, _too_few_outcome
from .prepare import _constant_column, _note_ties, _prepare_columns
from .result import KLResult, MIResult
from .settings import make_settings

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def estimate_mi(x: ArrayLike, y: ArrayLike, *, categorical: bool = False, n_bootstrap: int = 50,
                seed: int = 0, unit: str = "nat", **settings) -> MIResult:
    """Mutual information between ``x`` and ``y`` with bootstrap uncertainty.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, n_x)
        A continuous variable, or several: a vector (each column is rank-transformed on
        its own, which leaves MI unchanged).
    y : array-like of shape (n_samples,) or (n_samples, n_y)
        The same; or category labels (n_samples,) when ``categorical=True``.
    categorical : bool, default=False
    n_bootstrap : int, default=50
    seed : int, default=0
    unit : {"nat", "bit"}, default="nat"
    **settings
        Any other parameter of :class:`GMMMI` (n_inits, n_folds, selection, ...).

    Returns
    -------
    MIResult

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import estimate_mi
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> r = estimate_mi(xy[:, 0], xy[:, 1])
    >>> print(r)
    MI = 0.228 ± 0.013 nat, 95% 0.202 to 0.253 (K=1, 50 bootstraps)
    >>> bool(r.low < -0.5 * np.log(1 - 0.6**2) < r.high)  # the truth: 0.223 nat
    True
    """
    estimator = GMMMI(categorical=categorical, n_bootstrap=n_bootstrap, seed=seed, unit=unit,
                      **_known(settings))
    return estimator.fit(x, y).result_


def _known(settings):
    make_settings(settings)  # raises a one-line ValueError on an unknown name
    return settings


def conditional_mi(x: ArrayLike, y: ArrayLike, z: ArrayLike, *, n_bootstrap: int = 50,
                   seed: int = 0, unit: str = "nat", **settings) -> MIResult:
    """Conditional mutual information I(x; y | z) with bootstrap uncertainty.

    One mixture is fitted to the joint (x, y, z), each column mapped into the space of
    the marginals that ``marginals`` names (by default chosen among the ranks' normal
    scores and the others by held-out likelihood, as for a pair; see :class:`GMMMI`), and
    I(x; y | z) = H(x,z) + H(y,z) - H(z) - H(x,y,z) from its marginals.

    Parameters
    ----------
    x, y : array-like of shape (n_samples,) or (n_samples, n_columns)
        One variable each, or vectors of several.
    z : array-like of shape (n_samples,) or (n_samples, n_conditioning)
    n_bootstrap, seed, unit, **settings
        As for :func:`estimate_mi`.

    Returns
    -------
    MIResult
        With ``quantity="conditional_mi"``.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import conditional_mi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=1000)
    >>> x, y = z + rng.normal(size=1000), z + rng.normal(size=1000)  # related through z alone
    >>> r = conditional_mi(x, y, z, n_bootstrap=10)
    >>> bool(r.low <= 0.0 <= r.high or r.mi < 0.01)  # I(x; y | z) = 0
    True
    """
    settings, data, n_dropped, dims = _prepare_columns(
        {"x": x, "y": y, "z": z}, n_bootstrap, seed, unit, settings, vectors=("x", "y", "z"))
    needed = min_samples(data.shape[1], settings)
    n_xy = dims["x"] + dims["y"]
    if len(data) < needed:
        outcome = _too_few_outcome(len(data), needed)
    elif check.is_constant(data[:, :n_xy]):
        outcome = _constant_column({"x": data[:, :dims["x"]], "y": data[:, dims["x"]:n_xy]},
                                   n_bootstrap)
    elif check.is_constant(data[:, n_xy:]):
        outcome = _Outcome(status=status.CONSTANT, message="a column of z is constant")
    else:
        quantity = functools.partial(conditional_mutual_information, n_x=dims["x"],
                                     n_y=dims["y"])
        terms = conditional_mi_terms(data.shape[1], dims["x"], dims["y"])
        outcome = _fit_continuous(_spaces(data, settings, (int(seed),)), quantity,
                                  settings, (int(seed),),
                                  Resample((int(seed),), len(data)),
                                  functools.partial(pointwise_combination, terms=terms))[0]
        _note_ties(outcome, {"x": data[:, :dims["x"]], "y": data[:, dims["x"]:n_xy],
                             "z": data[:, n_xy:]}, outcome.details["marginals"])
    return _result(MIResult, outcome, "conditional_mi", unit, len(data), n_dropped, settings)


def marginal_kl(x: ArrayLike, y: ArrayLike, *, n_bootstrap: int = 50, seed: int = 0,
                unit: str = "nat", **settings) -> KLResult:
    """KL divergence KL(p_x || p_y) between the marginals of a mixture fitted to (x, y).

    x and y are shifted and scaled together (pooled mean and standard deviation),
    which leaves the divergence unchanged; affine maps of one variable alone do
    change it.

    Parameters
    ----------
    x, y : array-like of shape (n_samples,)
        Paired samples of the two variables.
    n_bootstrap, seed, unit, **settings
        As for :func:`estimate_mi`.

    Returns
    -------
    KLResult

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import marginal_kl
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 2000), rng.normal(1, 1, 2000)
    >>> r = marginal_kl(x, y, n_bootstrap=10)
    >>> bool(abs(r.value - 0.5) < 0.1)  # KL(N(0, 1) || N(1, 1)) = 0.5 nat
    True
    """
    settings, data, n_dropped, _ = _prepare_columns({"x": x, "y": y}, n_bootstrap, seed,
                                                    unit, settings)
    needed = min_samples(2, settings)
    if len(data) < needed:
        outcome = _too_few_outcome(len(data), needed)
    elif check.is_constant(data):
        outcome = _Outcome(status=status.CONSTANT, message=(
            f"{'x' if np.ptp(data[:, 0]) == 0 else 'y'} is constant: the divergence is undefined"))
    else:
        pooled = marginals.standardise(data, pooled=True)
        outcome = _fit_continuous({"pooled": lambda: pooled}, marginal_kl_divergence,
                                  settings, (int(seed),),
                                  Resample((int(seed),), len(data)))[0]
    return _result(KLResult, outcome, "kl", unit, len(data), n_dropped, settings)
