"""Disentanglement scores of an MI matrix (latents x factors), so of gmmmi's GMM-MI
estimates: MIG and modularity, each with a 95% interval from the matrix's joint bootstrap
replicates (the definitions are in :mod:`gmmmi.disentanglement`)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..analysis.matrix import joint, replicates

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from numpy.typing import ArrayLike

LEVEL = 0.95


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


def _matrix(matrix):
    """``matrix`` when it is an MI matrix (gmmmi.mi_matrix, gmmmi.open_matrix); else a
    one-line error."""
    from ..analysis.matrix import checked

    return checked(matrix)


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
