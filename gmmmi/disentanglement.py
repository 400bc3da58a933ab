"""Disentanglement scores: how one latent per factor (and one factor per latent) a
representation is.

Two families, each score documented here with the definition it follows:

From an MI matrix (latents x factors; any one unit, the scores are ratios; negative
estimates count as 0, missing ones are missing: a factor or latent with a missing cell
is left out of the mean, with a warning that names it), so from gmmmi's GMM-MI
estimates, with a 95% interval from their joint bootstrap replicates (:func:`gmm_mig`,
:func:`gmm_modularity`, :func:`matrix_interval` for any function of the matrix,
:func:`best_latents`, :func:`scores`):

- **MIG**, the Mutual Information Gap (Chen et al. 2018): for each factor, the gap
  between the most and the second most informative latent, normalised by the factor's
  entropy H(factor) (the largest MI any latent can have with it) for a categorical
  factor. A continuous factor has no finite entropy (its MI with a latent is unbounded),
  so its gap is normalised by the largest MI instead: the *relative gap* (I1 - I2) / I1,
  also in [0, 1]. Overall MIG is the mean over factors (:func:`mig`, :func:`factor_gaps`).
- **Modularity** (Ridgeway & Mozer 2018): for each latent, 1 - the squared deviation of
  its MI row from an ideal row that keeps only its largest entry theta, normalised by
  theta^2 (n_factors - 1). 1: the latent carries information about one factor only; 0:
  it is equally informative about all of them. Overall modularity is the mean over the
  latents that carry information (:func:`modularity`; :func:`gmm_modularity` and the
  report also leave out latents whose largest MI is under 0.01 nat or within 2 std of
  0, :func:`informative_latents`: an uninformative latent's row is noise).

From the latents and factors themselves, as disentanglement_lib (Locatello et al. 2019)
computes them, so that a number can stand beside a paper's. Latents are continuous
(n_samples, n_latents); factors are labels (n_samples, n_factors), used as given
(discretise a continuous factor first):

- :func:`discrete_mig` (disentanglement_lib's ``discrete_mig``): each latent cut into
  ``n_bins`` = 20 equal-width bins over its own range, discrete MI by
  ``sklearn.metrics.mutual_info_score``, each factor's gap normalised by its entropy,
  the mean over factors.
- :func:`sap` (SAP, Kumar et al. 2018): per latent and factor, the test accuracy of a
  linear SVM (``LinearSVC(C=0.01, class_weight="balanced")``) predicting the factor
  from the latent alone (or, ``continuous_factors=True``, the squared correlation);
  the mean over factors of the gap between the best and second-best latent.
- :func:`dci` (Eastwood & Williams 2018): per factor, scikit-learn's
  ``GradientBoostingClassifier`` (defaults) on all latents; its feature importances
  form the importance matrix R (latents x factors). Disentanglement: per latent,
  1 - the entropy of its row of R (base n_factors), weighted by the latent's share of
  R; completeness: per factor, 1 - the entropy of its column (base n_latents),
  weighted likewise; informativeness: the classifiers' mean accuracy (train, test).
- :func:`discrete_modularity` (disentanglement_lib's ``modularity_score``): the
  modularity above on the binned MI of :func:`discrete_mig`, with a latent that carries
  no information scoring 0 and the mean taken over all latents.
- :func:`explicitness` (Ridgeway & Mozer 2018): per factor, the ROC AUC (one against
  the rest, averaged over classes) of a ``LogisticRegression`` (defaults) on all
  latents, standardised with the training part's mean and std; the mean over factors.

Where disentanglement_lib draws separate training and test samples (10,000 and 5,000),
these functions split the rows they are given: at most ``n_train`` rows to train and
``n_test`` others to test, drawn from ``seed``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .analysis.matrix import joint, replicates

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from numpy.typing import ArrayLike

LEVEL = 0.95
N_BINS = 20
N_TRAIN, N_TEST = 10_000, 5_000


@dataclass(frozen=True)
class FactorGap:
    """The MIG entry of one factor (column)."""

    factor: int
    top: int
    second: int
    top_mi: float
    second_mi: float
    normaliser: float
    normalised_by: str  # "entropy" or "top MI"
    missing: int = 0  # cells of the factor without an estimate: its gap is unknown

    @property
    def gap(self):
        return self.top_mi - self.second_mi if not self.missing else np.nan

    @property
    def score(self):
        return self.gap / self.normaliser if self.normaliser > 0 and not self.missing \
            else np.nan


@dataclass(frozen=True)
class Score:
    """One score with its interval (NaN ends when it has none)."""

    value: float
    low: float = np.nan
    high: float = np.nan
    note: str = ""  # what the value leaves out (factors or latents with missing cells)


def _clean(mi):
    """The matrix as floats, negative estimates as 0 and missing ones (NaN, inf) NaN."""
    mi = np.asarray(mi, dtype=np.float64)
    if mi.ndim != 2:
        raise ValueError(f"the MI matrix must be 2-D (latents x factors), got shape {mi.shape}")
    return np.where(np.isfinite(mi), np.maximum(mi, 0.0), np.nan)


def _left_out(what, missing, total, why="a missing cell"):
    """The note (and warning) of a score computed without ``what`` ``missing`` (indices),
    each of which has ``why``."""
    if not len(missing):
        return ""
    listed = ", ".join(str(int(i)) for i in missing)
    note = (f"{len(missing)} of {total} {what}s left out: {what} {listed} "
            f"ha{'s' if len(missing) == 1 else 've'} {why}")
    warnings.warn(note, RuntimeWarning, stacklevel=3)
    return note


def _count(name, value, minimum):
    """``value`` when it is a whole number >= ``minimum``; else a one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _matrix(matrix):
    """``matrix`` when it is an MI matrix (gmmmi.mi_matrix, gmmmi.open_matrix); else a
    one-line error."""
    from .analysis.matrix import checked

    return checked(matrix)


# --- scores of an MI matrix ------------------------------------------------------------

def factor_gaps(mi: ArrayLike, entropy: ArrayLike | None = None) -> list[FactorGap]:
    """The MIG entry of each factor (column) of ``mi``.

    Parameters
    ----------
    mi : array-like of shape (n_latents, n_factors)
    entropy : array-like of shape (n_factors,), optional
        Entropy of each factor in the unit of ``mi``; NaN (or None for all) marks a
        continuous factor, normalised by its largest MI instead.

    Returns
    -------
    list of FactorGap
        A factor with a missing (NaN) cell has ``missing`` > 0 and no gap or score: the
        missing latent may be its best. Its ``top`` and ``second`` are among the others.
    """
    mi = _clean(mi)
    n_latents, n_factors = mi.shape
    if n_latents < 2:
        raise ValueError("MIG needs at least 2 latents")
    entropy = np.full(n_factors, np.nan) if entropy is None else np.asarray(entropy, float)
    if entropy.shape != (n_factors,):
        raise ValueError(f"entropy must have one value per factor ({n_factors}), got shape "
                         f"{entropy.shape}")
    gaps = []
    for f in range(n_factors):
        order = np.argsort(-np.nan_to_num(mi[:, f], nan=-np.inf), kind="stable")
        top, second = int(order[0]), int(order[1])
        if np.isfinite(entropy[f]):
            normaliser, kind = float(entropy[f]), "entropy"
        else:
            normaliser, kind = float(mi[top, f]), "top MI"
        gaps.append(FactorGap(f, top, second, float(mi[top, f]), float(mi[second, f]),
                              normaliser, kind, int(np.isnan(mi[:, f]).sum())))
    return gaps


def mig(mi: ArrayLike, entropy: ArrayLike | None = None) -> float:
    """Overall Mutual Information Gap: the mean normalised gap over factors.

    A factor with a missing cell is left out of the mean, with a warning that names it
    (NaN when every factor has one): a missing cell is unknown, not 0. So is a constant
    categorical factor (entropy 0): it has no gap to normalise.
    """
    gaps = factor_gaps(mi, entropy)
    _left_out("factor", [g.factor for g in gaps if g.missing], len(gaps))
    _left_out("factor", [g.factor for g in gaps if g.normalised_by == "entropy"
                         and not g.normaliser > 0], len(gaps), "one value only (entropy 0)")
    scores = [g.score for g in gaps]
    return float(np.nanmean(scores)) if np.isfinite(scores).any() else np.nan


def modularity_per_latent(mi):
    """Ridgeway & Mozer's modularity of each latent (row); NaN for an all-zero row or a
    row with a missing cell."""
    mi = _clean(mi)
    n_factors = mi.shape[1]
    if n_factors < 2:
        raise ValueError("modularity needs at least 2 factors")
    complete = ~np.isnan(mi).any(axis=1)
    mi = np.nan_to_num(mi, nan=0.0)
    theta = mi.max(axis=1)
    template = np.zeros_like(mi)
    template[np.arange(len(mi)), mi.argmax(axis=1)] = theta
    with np.errstate(invalid="ignore", divide="ignore"):
        deviation = ((mi - template) ** 2).sum(axis=1) / (theta ** 2 * (n_factors - 1))
    return np.where((theta > 0) & complete, 1.0 - deviation, np.nan)


def modularity(mi: ArrayLike, informative: ArrayLike | None = None) -> float:
    """Overall modularity: the mean over latents that carry any information.

    ``informative`` (boolean, one per latent) restricts the mean further, e.g. to latents
    whose largest MI is clearly above the estimator's noise floor: an uninformative
    latent's row is noise, and its modularity a random number. A latent with a missing
    cell is left out, with a warning that names it.
    """
    _left_out("latent", np.flatnonzero(np.isnan(_clean(mi)).any(axis=1)), len(mi))
    per_latent = modularity_per_latent(mi)
    if informative is not None:
        per_latent = np.where(np.asarray(informative, dtype=bool), per_latent, np.nan)
    return float(np.nanmean(per_latent)) if np.isfinite(per_latent).any() else np.nan


def informative_latents(mi, std, floor=0.01):
    """Latents whose largest MI exceeds both ``floor`` (nats) and twice its bootstrap std."""
    mi = np.nan_to_num(_clean(mi), nan=0.0)
    std = np.nan_to_num(np.asarray(std, dtype=np.float64), nan=0.0)
    top = mi.argmax(axis=1)
    rows = np.arange(len(mi))
    return (mi[rows, top] > floor) & (mi[rows, top] > 2 * std[rows, top])


# --- gmmmi's scores, from a matrix of gmmmi.mi_matrix or the workflow (nats) -----------

def matrix_interval(matrix: xr.Dataset, function, level: float = LEVEL) -> Score:
    """Any function of an MI matrix, with a bootstrap interval.

    ``function(mi)`` takes the (n_latents, n_factors) MI in nats and returns a number:
    a score, one cell less another, a latent's rank. The value is ``function`` of the
    matrix's MI; the interval is the central ``level`` range of ``function`` over the
    matrix's joint replicates (:func:`gmmmi.analysis.matrix.replicates`, each cell's
    stretched to reach its interval), stretched to hold the value. A warning the
    function gives on the matrix (a factor left out for a missing cell) becomes the
    note.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> factor = rng.integers(0, 4, 2000)
    >>> latents = np.column_stack([factor + rng.normal(0, 0.5, 2000),
    ...                            factor + rng.normal(0, 1.0, 2000)])
    >>> m = gmmmi.mi_matrix({"latent": latents, "factor": factor}, "latent", "factor",
    ...                     progress=False)
    >>> gap = matrix_interval(m, lambda mi: mi[0, 0] - mi[1, 0])
    >>> bool(gap.low > 0)  # latent 0 tells more of the factor than latent 1
    True
    """
    matrix = _matrix(matrix)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(function(matrix["mi"].values))
    note = "; ".join(str(w.message) for w in caught if issubclass(w.category, RuntimeWarning))
    if not joint(matrix):
        old = ("the matrix's pairs were resampled each on its own (gathered by an "
               "earlier gmmmi): the interval treats their errors as independent")
        note = f"{note}; {old}" if note else old
    if note:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = np.array([function(r) for r in replicates(matrix)], dtype=np.float64)
    found = found[np.isfinite(found)]
    if len(found) < 2 or not np.isfinite(value):
        return Score(value, note=note)
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(found, [tail, 100.0 - tail])
    return Score(value, float(min(low, value)), float(max(high, value)), note)


def _entropy(matrix):
    return matrix["entropy_y"].values if "entropy_y" in matrix else None


def gmm_mig(matrix: xr.Dataset, level: float = LEVEL) -> Score:
    """gmmmi's MIG of a latents (rows) x factors (columns) MI matrix, with an interval.

    The value is :func:`mig` of the matrix's MI (categorical factors normalised by their
    entropy ``entropy_y``); the interval is the central ``level`` range of the MIG of
    each joint bootstrap replicate of the matrix (:func:`matrix_interval`).

    Returns
    -------
    Score
    """
    entropy = _entropy(_matrix(matrix))
    return matrix_interval(matrix, lambda mi: mig(mi, entropy), level)


def gmm_modularity(matrix: xr.Dataset, level: float = LEVEL) -> Score:
    """gmmmi's modularity of the MI matrix over its informative latents
    (:func:`informative_latents`), with an interval as for :func:`gmm_mig`."""
    matrix = _matrix(matrix)
    informative = informative_latents(matrix["mi"].values, matrix["mi_std"].values)
    if not informative.any():
        return Score(np.nan)
    return matrix_interval(matrix, lambda mi: modularity(mi, informative), level)


def best_latents(matrix: xr.Dataset) -> pd.DataFrame:
    """For each factor (column), its most informative latent and how sure that is.

    Returns
    -------
    pandas.DataFrame
        One row per factor: ``factor``, ``best`` (the latent with the largest MI),
        ``mi``, ``share`` (of the joint bootstrap replicates in which it is the largest
        too), ``runner_up`` (the latent most often largest otherwise, or the second
        largest) and its ``runner_up_share``. A factor with a missing cell has no best
        latent (missing): the missing one may be it.
    """
    import pandas as pd

    matrix = _matrix(matrix)
    mi = _clean(matrix["mi"].values)
    found = replicates(matrix)
    names = [str(v) for v in matrix["var_x"].values]
    rows = []
    for f, factor in enumerate(str(v) for v in matrix["var_y"].values):
        column = mi[:, f]
        if np.isnan(column).any() or len(column) < 2:
            rows.append({"factor": factor, "best": None, "mi": np.nan, "share": np.nan,
                         "runner_up": None, "runner_up_share": np.nan})
            continue
        best = int(np.argmax(column))
        wins = np.bincount(np.argmax(np.nan_to_num(found[:, :, f], nan=-np.inf), axis=1),
                           minlength=len(column)) if len(found) else np.zeros(len(column))
        others = np.argsort(-(wins + column / (column.max() + 1.0)), kind="stable")
        second = int(next(i for i in others if i != best))
        share = wins / len(found) if len(found) else np.full(len(column), np.nan)
        rows.append({"factor": factor, "best": names[best], "mi": float(column[best]),
                     "share": float(share[best]), "runner_up": names[second],
                     "runner_up_share": float(share[second])})
    return pd.DataFrame(rows)


# --- scores from the data, as disentanglement_lib computes them ------------------------

def _as_table(name, values, numeric):
    import pandas as pd

    if isinstance(values, pd.Series):
        values = values.to_frame()
    array = values.to_numpy() if isinstance(values, pd.DataFrame) else np.asarray(values)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D table (n_samples, n_{name}), "
                         f"got shape {array.shape}")
    if numeric:
        if array.dtype.kind not in "biuf" and array.dtype.kind != "O":
            raise ValueError(f"{name} must be real numbers, got values of type {array.dtype}")
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numbers") from None
        if not np.isfinite(array).all():
            raise ValueError(f"{name} has missing or infinite values: drop those rows first")
    elif any(v is None or (isinstance(v, float) and v != v) for v in array.ravel()[:100_000]):
        raise ValueError(f"{name} has missing labels: drop those rows first")
    return array


def _data(latents, factors, min_latents=1):
    latents = _as_table("latents", latents, numeric=True)
    factors = _as_table("factors", factors, numeric=False)
    if len(latents) != len(factors):
        raise ValueError(f"latents and factors have different numbers of rows: "
                         f"{len(latents)} and {len(factors)}")
    if latents.shape[1] < min_latents:
        raise ValueError(f"this score needs at least {min_latents} latents")
    from .core.validation import labels

    for j, factor in enumerate(factors.T):
        if factor.dtype.kind == "f" and len(factor) and not np.all(factor == np.round(factor)):
            raise ValueError(f"factor {j} has fractional values: the scores from data take "
                             f"discrete factors (codes, labels); bin it or leave it out")
    codes = np.column_stack([labels(f"factor {j}", f)[0] for j, f in enumerate(factors.T)])
    return latents, codes


def histogram_discretize(latents, n_bins=N_BINS):
    """Each latent (column) cut into ``n_bins`` equal-width bins over its own range:
    bin numbers 1..n_bins, as disentanglement_lib's discretiser."""
    latents = _as_table("latents", latents, numeric=True)
    n_bins = _count("n_bins", n_bins, 2)
    return np.column_stack([np.digitize(column, np.histogram_bin_edges(column, n_bins)[:-1])
                            for column in latents.T])


def discrete_mi(latents, factors, n_bins=N_BINS):
    """MI (nats) of each binned latent with each factor: array (n_latents, n_factors)."""
    return _binned_mi(*_data(latents, factors), n_bins)


def _binned_mi(latents, codes, n_bins):
    from sklearn.metrics import mutual_info_score

    binned = histogram_discretize(latents, n_bins)
    return np.array([[mutual_info_score(factor, latent) for factor in codes.T]
                     for latent in binned.T])


def factor_entropy(factors):
    """Entropy (nats) of each factor's labels."""
    return _entropies(_data(np.zeros((len(np.asarray(factors)), 1)), factors)[1])


def _entropies(codes):
    from sklearn.metrics import mutual_info_score

    return np.array([mutual_info_score(f, f) for f in codes.T])


def discrete_mig(latents: ArrayLike, factors: ArrayLike, n_bins: int = N_BINS) -> float:
    """disentanglement_lib's ``discrete_mig``: MIG of the binned MI, each gap normalised by
    the factor's entropy; the mean over factors (a constant factor, which has no gap to
    normalise, left out with a warning)."""
    latents, codes = _data(latents, factors, min_latents=2)
    top_two = -np.sort(-_binned_mi(latents, codes, n_bins), axis=0)[:2]
    entropy = _entropies(codes)
    _left_out("factor", np.flatnonzero(entropy <= 0), len(entropy), "one value only")
    if not (entropy > 0).any():
        return np.nan
    return float(np.mean(((top_two[0] - top_two[1]) / np.where(entropy > 0, entropy, 1.0))[
        entropy > 0]))


def discrete_modularity(latents: ArrayLike, factors: ArrayLike,
                        n_bins: int = N_BINS) -> float:
    """disentanglement_lib's ``modularity_score``: modularity of the binned MI, a latent
    that carries no information scoring 0, the mean over all latents."""
    mi = discrete_mi(latents, factors, n_bins)
    if mi.shape[1] < 2:
        raise ValueError("modularity needs at least 2 factors")
    return float(np.mean(np.nan_to_num(modularity_per_latent(mi), nan=0.0)))


def _split(n_samples, n_train, n_test, seed):
    """Row indices (train, test): at most n_train and n_test rows, two to one when there
    are fewer than both."""
    n_train, n_test = _count("n_train", n_train, 2), _count("n_test", n_test, 1)
    order = np.random.default_rng(seed).permutation(n_samples)
    if n_samples < n_train + n_test:
        n_train = (2 * n_samples) // 3
        n_test = n_samples - n_train
    if n_train < 2 or n_test < 1:
        raise ValueError(f"{n_samples} rows are too few to train and test a classifier")
    return order[:n_train], order[n_train:n_train + n_test]


def sap(latents: ArrayLike, factors: ArrayLike, *, continuous_factors: bool = False,
        n_train: int = N_TRAIN, n_test: int = N_TEST, seed: int = 0) -> float:
    """SAP score (Kumar et al. 2018) as disentanglement_lib computes it.

    Each latent alone predicts each factor: a discrete factor with a linear SVM
    (``LinearSVC(C=0.01, class_weight="balanced")``, its test accuracy), a continuous one
    (``continuous_factors=True``) by its squared correlation with the latent (on the
    training rows). The score is the mean over factors of the best latent's score minus
    the second best's.
    """
    from sklearn.svm import LinearSVC

    latents, codes = _data(latents, factors, min_latents=2)
    if continuous_factors:
        values = _as_table("factors", factors, numeric=True)
    train, test = _split(len(latents), n_train, n_test, seed)
    matrix = np.zeros((latents.shape[1], codes.shape[1]))
    for i, latent in enumerate(latents.T):
        for j, factor in enumerate(codes.T):
            if continuous_factors:
                cov = np.cov(latent[train], values[train, j])
                matrix[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1]) \
                    if cov[0, 0] > 1e-12 and cov[1, 1] > 0 else 0.0
            elif len(np.unique(factor[train])) < 2:
                matrix[i, j] = 1.0  # one class: any latent predicts it
            else:
                model = LinearSVC(C=0.01, class_weight="balanced")
                model.fit(latent[train, None], factor[train])
                matrix[i, j] = np.mean(model.predict(latent[test, None]) == factor[test])
    top_two = np.sort(matrix, axis=0)[-2:]
    return float(np.mean(top_two[1] - top_two[0]))


def importance_matrix(latents, factors, *, n_train=N_TRAIN, n_test=N_TEST, seed=0):
    """DCI's importance matrix (n_latents, n_factors) from gradient-boosted trees, with the
    classifiers' mean accuracy on the training and the test rows."""
    from sklearn.ensemble import GradientBoostingClassifier

    latents, codes = _data(latents, factors)
    train, test = _split(len(latents), n_train, n_test, seed)
    importance = np.zeros((latents.shape[1], codes.shape[1]))
    accuracy = np.zeros((2, codes.shape[1]))
    for j, factor in enumerate(codes.T):
        if len(np.unique(factor[train])) < 2:
            accuracy[:, j] = 1.0  # one class: nothing to learn, no importance
            continue
        model = GradientBoostingClassifier(random_state=seed)
        model.fit(latents[train], factor[train])
        importance[:, j] = np.abs(model.feature_importances_)
        accuracy[:, j] = [np.mean(model.predict(latents[rows]) == factor[rows])
                          for rows in (train, test)]
    return importance, float(accuracy[0].mean()), float(accuracy[1].mean())


def _weighted_one_minus_entropy(importance, axis):
    """Sum over rows (axis=1) or columns (axis=0) of 1 - the entropy of that slice of the
    importance matrix (base: its length), weighted by the slice's share of the total."""
    from scipy.stats import entropy

    spread = importance + 1e-11
    per = 1.0 - entropy(spread.T if axis == 1 else spread, base=importance.shape[axis])
    total = importance if importance.sum() > 0 else np.ones_like(importance)
    return float(np.sum(per * total.sum(axis=axis) / total.sum()))


def dci(latents: ArrayLike, factors: ArrayLike, *, n_train: int = N_TRAIN,
        n_test: int = N_TEST, seed: int = 0) -> dict:
    """DCI (Eastwood & Williams 2018) as disentanglement_lib computes it.

    Returns
    -------
    dict
        ``disentanglement``, ``completeness``, ``informativeness_train``,
        ``informativeness_test`` (mean accuracy of the per-factor classifiers).
    """
    importance, train, test = importance_matrix(latents, factors, n_train=n_train,
                                                n_test=n_test, seed=seed)
    if importance.shape[0] < 2 or importance.shape[1] < 2:
        raise ValueError("DCI needs at least 2 latents and 2 factors")
    return {"disentanglement": _weighted_one_minus_entropy(importance, axis=1),
            "completeness": _weighted_one_minus_entropy(importance, axis=0),
            "informativeness_train": train, "informativeness_test": test}


def explicitness(latents: ArrayLike, factors: ArrayLike, *, n_train: int = N_TRAIN,
                 n_test: int = N_TEST, seed: int = 0) -> dict:
    """Explicitness (Ridgeway & Mozer 2018) as disentanglement_lib computes it.

    Returns
    -------
    dict
        ``train`` and ``test``: the mean over factors of the ROC AUC of a logistic
        regression on all latents (standardised by the training rows), one class
        against the rest, averaged over the classes present in those rows.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    latents, codes = _data(latents, factors)
    train, test = _split(len(latents), n_train, n_test, seed)
    mean, std = latents[train].mean(axis=0), latents[train].std(axis=0)
    z = (latents - mean) / np.where(std > 0, std, 1.0)
    auc = np.full((2, codes.shape[1]), np.nan)
    for j, factor in enumerate(codes.T):
        if len(np.unique(factor[train])) < 2:
            continue
        model = LogisticRegression().fit(z[train], factor[train])
        for k, rows in enumerate((train, test)):
            proba = model.predict_proba(z[rows])
            per_class = [roc_auc_score(factor[rows] == c, proba[:, m])
                         for m, c in enumerate(model.classes_)
                         if 0 < np.sum(factor[rows] == c) < len(rows)]
            auc[k, j] = np.mean(per_class) if per_class else np.nan
    return {"train": float(np.nanmean(auc[0])), "test": float(np.nanmean(auc[1]))}


# --- all of them -------------------------------------------------------------------------

DEFINITIONS = {
    "MIG (gmmmi)": "Chen et al. 2018 on gmmmi's MI; categorical factors by H(factor), "
                   "continuous by the top MI; 95% interval over the matrix's bootstrap "
                   "replicates",
    "modularity (gmmmi)": "Ridgeway & Mozer 2018 on gmmmi's MI, informative latents only; "
                          "95% interval over the matrix's bootstrap replicates",
    "MIG (discrete)": "disentanglement_lib discrete_mig: 20 equal-width bins per latent",
    "modularity (discrete)": "disentanglement_lib modularity_score on the binned MI",
    "SAP": "disentanglement_lib SAP_score: LinearSVC(C=0.01) accuracy per latent",
    "DCI disentanglement": "disentanglement_lib dci: gradient-boosted trees' importances",
    "DCI completeness": "disentanglement_lib dci: gradient-boosted trees' importances",
    "DCI informativeness": "disentanglement_lib dci: the trees' test accuracy",
    "explicitness": "disentanglement_lib explicitness_score_test: logistic regression "
                    "ROC AUC",
}


def scores(matrix: xr.Dataset | None = None, data: xr.Dataset | str | dict | None = None, *,
           latents: ArrayLike | None = None, factors: ArrayLike | None = None,
           seed: int = 0, with_dci: bool = True) -> pd.DataFrame:
    """Every disentanglement score, as a tidy table.

    Parameters
    ----------
    matrix : xarray.Dataset, optional
        A latents (rows) x factors (columns) MI matrix of ``gmmmi.mi_matrix`` or the
        workflow's ``mi.zarr`` (``gmmmi.open_matrix``): gives gmmmi's MIG and modularity.
    data : xarray.Dataset, path or dict, optional
        The dataset the matrix was estimated from (as ``gmmmi.mi_matrix`` takes it): its
        rows' variables are the latents, and its categorical columns the factors, of the
        scores computed from data (continuous factors are left out, with a warning: these
        scores take classes).
    latents, factors : array-like of shape (n_samples, n_latents / n_factors), optional
        The same given directly (instead of ``data``); factors as codes or labels.
    seed : int, default=0
        The split into training and test rows.
    with_dci : bool, default=True
        Whether to compute DCI, whose gradient-boosted trees are the cost of this table
        from data: about 2 minutes on one core for 6 latents x 6 factors of 10,000
        training rows (the other scores take seconds).

    Examples
    --------
    >>> import numpy as np
    >>> from gmmmi import disentanglement
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 4, (1000, 2))
    >>> latents = factors + rng.normal(0, 0.3, (1000, 2))
    >>> table = disentanglement.scores(latents=latents, factors=factors, with_dci=False)
    >>> table["score"].tolist()
    ['MIG (discrete)', 'modularity (discrete)', 'SAP', 'explicitness']

    Returns
    -------
    pandas.DataFrame
        One row per score: ``score``, ``value``, ``low``, ``high`` (NaN where there is no
        interval), ``definition``.
    """
    import pandas as pd

    if data is not None:
        if matrix is None:
            raise ValueError("data= needs the matrix whose rows and columns it names")
        from .analysis.matrix import data_columns
        from .analysis.notebook import as_dataset

        matrix = _matrix(matrix)
        source = as_dataset(data)
        latents, factors = data_columns(matrix, source, "x"), data_columns(matrix, source, "y")
        kinds = [str(k) for k in matrix["kind_y"].values] if "kind_y" in matrix.coords \
            else ["categorical"] * factors.shape[1]
        _left_out("factor", [j for j, k in enumerate(kinds) if k != "categorical"],
                  len(kinds), "continuous values (the scores from data take classes)")
        factors = factors[:, [j for j, k in enumerate(kinds) if k == "categorical"]]
        if not factors.shape[1]:
            latents = factors = None
    if (latents is None) != (factors is None):
        raise ValueError("give both latents and factors, or neither")
    if not isinstance(with_dci, bool):
        raise ValueError(f"with_dci must be True or False, got {with_dci!r}")
    if matrix is None and latents is None:
        raise ValueError("give an MI matrix, or latents and factors, or both")
    rows = {}
    if matrix is not None:
        matrix = _matrix(matrix)
        rows["MIG (gmmmi)"] = gmm_mig(matrix)
        if matrix.sizes["var_y"] >= 2:
            rows["modularity (gmmmi)"] = gmm_modularity(matrix)
    if latents is not None:
        latents, codes = _data(latents, factors, min_latents=2)
        rows["MIG (discrete)"] = Score(discrete_mig(latents, codes))
        if codes.shape[1] >= 2:
            rows["modularity (discrete)"] = Score(discrete_modularity(latents, codes))
        rows["SAP"] = Score(sap(latents, codes, seed=seed))
        if codes.shape[1] >= 2 and with_dci:
            found = dci(latents, codes, seed=seed)
            rows["DCI disentanglement"] = Score(found["disentanglement"])
            rows["DCI completeness"] = Score(found["completeness"])
            rows["DCI informativeness"] = Score(found["informativeness_test"])
        rows["explicitness"] = Score(explicitness(latents, codes, seed=seed)["test"])
    return pd.DataFrame([{"score": name, "value": s.value, "low": s.low, "high": s.high,
                          "definition": DEFINITIONS[name]} for name, s in rows.items()])
