"""Drop-ins for scikit-learn's ``mutual_info_regression`` and ``mutual_info_classif``.

Same signature and return as ``sklearn.feature_selection``'s functions, so that
``SelectKBest(gmmmi.mutual_info_classif, k=10)``, ``SelectPercentile`` and a
``Pipeline`` work unchanged; each feature's MI with the target is gmmmi's estimate (in
nats, as scikit-learn's) instead of KSG's, and ``return_interval=True`` returns its 95%
interval too.

How each feature is estimated (``discrete_features`` as scikit-learn means it):

- continuous feature, continuous target: a pair (``GMMMI``);
- continuous feature and discrete target, or discrete feature and continuous target:
  a continuous × categorical pair (``GMMMI(categorical=True)``, one mixture per class);
- discrete feature, discrete target: the plug-in MI of the two label columns
  (``sklearn.metrics.mutual_info_score``, as scikit-learn computes it), without interval.

A continuous feature with ties (ReLU zeros, pixels, integer codes) is estimated as
``GMMMI`` estimates it: as categories when it has fewer than 20 distinct values, its
atoms split from its continuous part by the chain rule, other ties broken at random in
its ranks. A feature whose estimate's status is not ``ok`` (too few samples, a
fit at ``max_components``, an under-resolved value: see :mod:`gmmmi.status`) is named in a
``UserWarning``, with its status and message: the returned number alone would not say so
(a constant feature's 0 is exact and not named).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from .core.estimator import GMMMI
from .core.settings import check_options
from .core.validation import first_line

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def mutual_info_regression(X: ArrayLike, y: ArrayLike, *,
                           discrete_features: str | bool | ArrayLike = "auto",
                           n_neighbors: int = 3, copy: bool = True,
                           random_state: int | None = None, n_jobs: int | None = None,
                           n_bootstrap: int = 50, return_interval: bool = False,
                           **settings) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Mutual information between each feature and a continuous target, by gmmmi.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    discrete_features : {"auto"} or bool or array-like, default="auto"
        As in scikit-learn: True/False for all features, a boolean mask or feature
        indices; "auto": discrete for sparse X, continuous for dense.
    n_neighbors : int, default=3
        Accepted so that calls written for scikit-learn run unchanged; not used (gmmmi
        has no neighbours).
    copy : bool, default=True
        Accepted for the same reason; X is never modified.
    random_state : int, RandomState or Generator, default=None
        The seed of every feature's estimate (None: 0, so results are reproducible).
    n_jobs : int, default=None
        Features estimated in parallel (joblib; -1: all cores).
    n_bootstrap : int, default=50
        Bootstrap fits per feature (0: one fit, no interval).
    return_interval : bool, default=False
        Also return the 95% intervals.
    **settings
        Any other parameter of :class:`gmmmi.GMMMI`.

    Returns
    -------
    mi : ndarray of shape (n_features,)
        MI in nats (NaN where a feature could not be estimated, e.g. too few samples).
    intervals : ndarray of shape (n_features, 2)
        Only with ``return_interval``: (low, high) per feature.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3))
    >>> y = X[:, 0] + 0.5 * rng.normal(size=500)
    >>> mi = gmmmi.mutual_info_regression(X, y, n_bootstrap=0)
    >>> int(np.argmax(mi)), mi.shape
    (0, (3,))
    """
    return _mutual_info(X, y, discrete_target=False, discrete_features=discrete_features,
                        random_state=random_state, n_jobs=n_jobs, n_bootstrap=n_bootstrap,
                        return_interval=return_interval, settings=settings)


def mutual_info_classif(X: ArrayLike, y: ArrayLike, *,
                        discrete_features: str | bool | ArrayLike = "auto",
                        n_neighbors: int = 3, copy: bool = True,
                        random_state: int | None = None, n_jobs: int | None = None,
                        n_bootstrap: int = 50, return_interval: bool = False,
                        **settings) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Mutual information between each feature and a discrete target (class labels), by
    gmmmi; parameters and return as :func:`mutual_info_regression`.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> X = np.column_stack([y + rng.normal(0, 0.5, 500), rng.normal(size=500)])
    >>> mi = gmmmi.mutual_info_classif(X, y, n_bootstrap=0)
    >>> bool(mi[0] > 0.2 > mi[1])
    True
    """
    return _mutual_info(X, y, discrete_target=True, discrete_features=discrete_features,
                        random_state=random_state, n_jobs=n_jobs, n_bootstrap=n_bootstrap,
                        return_interval=return_interval, settings=settings)


def _mutual_info(X, y, *, discrete_target, discrete_features, random_state, n_jobs,
                 n_bootstrap, return_interval, settings):
    from joblib import Parallel, delayed
    from scipy import sparse
    from sklearn.utils.validation import check_X_y

    if "seed" in settings:
        raise ValueError("seed: the drop-ins take scikit-learn's random_state for the seed "
                         "(random_state=3)")
    check_options(n_bootstrap=n_bootstrap, **settings)  # a one-line error before any fit
    try:
        X, y = check_X_y(X, y, accept_sparse="csc", y_numeric=not discrete_target,
                         ensure_all_finite=True,  # as scikit-learn: NaN is refused
                         dtype=None if discrete_target else "numeric")
    except (TypeError, ValueError) as exc:  # scikit-learn's messages run over lines
        raise ValueError(f"X, y: {first_line(exc).rstrip(':')}") from None
    if discrete_target:
        _check_classes(y)
    discrete = _discrete_mask(discrete_features, X.shape[1], sparse.issparse(X))
    seed = _seed(random_state)
    columns = (X[:, [j]].toarray().ravel() if sparse.issparse(X) else X[:, j]
               for j in range(X.shape[1]))
    jobs = (delayed(_one_feature)(column, y, bool(discrete[j]), discrete_target, seed,
                                  n_bootstrap, settings, n_jobs not in (None, 1))
            for j, column in enumerate(columns))
    results = Parallel(n_jobs=n_jobs)(jobs)
    _warn_doubtful([(j, state, message) for j, (*_, state, message) in enumerate(results)])
    found = np.array([r[:3] for r in results], dtype=np.float64).reshape(-1, 3)
    mi = found[:, 0]
    return (mi, found[:, 1:]) if return_interval else mi


def _check_classes(y):
    """scikit-learn's refusal of a continuous target for a classifier, in one line."""
    from sklearn.utils.multiclass import check_classification_targets

    try:
        check_classification_targets(y)
    except ValueError as exc:
        raise ValueError(f"y: {first_line(exc)}") from None


def _warn_doubtful(states):
    """One ``UserWarning`` naming every feature whose status is not ok (a constant
    feature's 0 is exact, as scikit-learn's)."""
    doubtful = [(j, state, message) for j, state, message in states
                if state not in ("ok", "constant")]
    if not doubtful:
        return
    listed = "; ".join(f"feature {j}: {state}" + (f" ({message})" if message else "")
                       for j, state, message in doubtful[:10])
    more = f"; and {len(doubtful) - 10} more" if len(doubtful) > 10 else ""
    warnings.warn(f"{len(doubtful)} of the features' estimates are not 'ok', read them with "
                  f"care: {listed}{more}", UserWarning, stacklevel=3)


def _one_feature(x, y, discrete_feature, discrete_target, seed, n_bootstrap, settings,
                 one_thread):
    """(MI, low, high, status, message) of one feature with the target."""
    if one_thread:  # one process per feature: numba's threads would oversubscribe
        import numba

        numba.set_num_threads(1)
    if discrete_feature and discrete_target:
        from sklearn.metrics import mutual_info_score

        return mutual_info_score(y, x), np.nan, np.nan, "ok", ""
    estimator = GMMMI(categorical=discrete_feature or discrete_target, n_bootstrap=n_bootstrap,
                      seed=seed, **settings)
    x = np.asarray(x, dtype=np.float64) if not discrete_feature else x
    with warnings.catch_warnings():  # the status says it, and the warning above names it
        warnings.simplefilter("ignore", RuntimeWarning)
        result = estimator.fit(y, x).result_ if discrete_feature else estimator.fit(x, y).result_
    return result.value, result.low, result.high, result.status, result.message


def _discrete_mask(discrete_features, n_features, is_sparse):
    """scikit-learn's meaning of ``discrete_features`` as a boolean mask."""
    if isinstance(discrete_features, str):
        if discrete_features != "auto":
            raise ValueError(f"discrete_features must be 'auto', a bool, a mask or indices, "
                             f"got {discrete_features!r}")
        return np.full(n_features, is_sparse)
    if isinstance(discrete_features, (bool, np.bool_)):
        return np.full(n_features, bool(discrete_features))
    given = np.asarray(discrete_features)
    if given.dtype == bool:
        if given.shape != (n_features,):
            raise ValueError(f"the discrete_features mask has {given.size} entries for "
                             f"{n_features} features")
        return given
    if given.dtype.kind not in "iu":  # 0.5 would be truncated to feature 0
        raise ValueError(f"discrete_features must be 'auto', a bool, a boolean mask or "
                         f"whole-number indices, got {discrete_features!r}")
    mask = np.zeros(n_features, dtype=bool)
    try:
        mask[given.astype(np.intp)] = True
    except (IndexError, ValueError, TypeError):
        raise ValueError(f"discrete_features must index the {n_features} features, got "
                         f"{discrete_features!r}") from None
    return mask


def _seed(random_state):
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, "
                     f"got {type(random_state).__name__}")
