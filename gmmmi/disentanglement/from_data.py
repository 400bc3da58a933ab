"""Disentanglement scores from the latents and factors themselves, as
disentanglement_lib (Locatello et al. 2019) computes them (the definitions are in
:mod:`gmmmi.disentanglement`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .from_matrix import _left_out, modularity_per_latent

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

N_BINS = 20
N_TRAIN, N_TEST = 10_000, 5_000


def _count(name, value, minimum):
    """``value`` when it is a whole number >= ``minimum``; else a one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


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
    from ..core.validation import labels

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
