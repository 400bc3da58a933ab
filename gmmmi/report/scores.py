"""Disentanglement scores computed from a latent x factor MI matrix.

Rows are latents, columns are factors, values are MI in any one unit (the scores are
ratios, so the unit cancels). Negative estimates are treated as 0.

- **MIG** (Mutual Information Gap; Chen et al. 2018): for each factor, the gap between
  the most and the second most informative latent, normalised. A categorical factor is
  normalised by its entropy H(factor), the largest MI any latent can have with it, so
  the score is exact in the sense of the original definition. A continuous factor has
  no finite entropy to normalise by (its MI with a latent is unbounded), so its gap is
  normalised by the largest MI instead: the *relative gap* (I1 - I2) / I1, also in
  [0, 1]. Overall MIG is the mean over factors.
- **Modularity** (Ridgeway & Mozer 2018): for each latent, 1 - the squared deviation of
  its MI row from an ideal row that keeps only its largest entry, normalised by
  theta^2 (n_factors - 1). 1 means the latent carries information about one factor
  only; 0 means it is equally informative about all of them. Overall modularity is the
  mean over informative latents (by default those whose MI is not all zero; the report
  also leaves out latents whose largest MI is under 0.01 nat or within 2 std of 0).
"""

from dataclasses import dataclass

import numpy as np


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

    @property
    def gap(self):
        return self.top_mi - self.second_mi

    @property
    def score(self):
        return self.gap / self.normaliser if self.normaliser > 0 else np.nan


def _clean(mi):
    mi = np.asarray(mi, dtype=np.float64)
    if mi.ndim != 2:
        raise ValueError(f"the MI matrix must be 2-D (latents x factors), got shape {mi.shape}")
    return np.where(np.isfinite(mi), np.maximum(mi, 0.0), 0.0)


def factor_gaps(mi, entropy=None):
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
    """
    mi = _clean(mi)
    n_latents, n_factors = mi.shape
    if n_latents < 2:
        raise ValueError("MIG needs at least 2 latents")
    entropy = np.full(n_factors, np.nan) if entropy is None else np.asarray(entropy, float)
    gaps = []
    for f in range(n_factors):
        order = np.argsort(-mi[:, f], kind="stable")
        top, second = int(order[0]), int(order[1])
        if np.isfinite(entropy[f]):
            normaliser, kind = float(entropy[f]), "entropy"
        else:
            normaliser, kind = float(mi[top, f]), "top MI"
        gaps.append(FactorGap(f, top, second, float(mi[top, f]), float(mi[second, f]),
                              normaliser, kind))
    return gaps


def mig(mi, entropy=None):
    """Overall Mutual Information Gap: the mean normalised gap over factors."""
    scores = [g.score for g in factor_gaps(mi, entropy)]
    return float(np.nanmean(scores)) if np.isfinite(scores).any() else np.nan


def modularity_per_latent(mi):
    """Ridgeway & Mozer's modularity of each latent (row); NaN for an all-zero row."""
    mi = _clean(mi)
    n_factors = mi.shape[1]
    if n_factors < 2:
        raise ValueError("modularity needs at least 2 factors")
    theta = mi.max(axis=1)
    template = np.zeros_like(mi)
    template[np.arange(len(mi)), mi.argmax(axis=1)] = theta
    with np.errstate(invalid="ignore", divide="ignore"):
        deviation = ((mi - template) ** 2).sum(axis=1) / (theta ** 2 * (n_factors - 1))
    return np.where(theta > 0, 1.0 - deviation, np.nan)


def modularity(mi, informative=None):
    """Overall modularity: the mean over latents that carry any information.

    ``informative`` (boolean, one per latent) restricts the mean further, e.g. to latents
    whose largest MI is clearly above the estimator's noise floor: an uninformative
    latent's row is noise, and its modularity a random number.
    """
    per_latent = modularity_per_latent(mi)
    if informative is not None:
        per_latent = np.where(np.asarray(informative, dtype=bool), per_latent, np.nan)
    return float(np.nanmean(per_latent)) if np.isfinite(per_latent).any() else np.nan


def informative_latents(mi, std, floor=0.01):
    """Latents whose largest MI exceeds both ``floor`` (nats) and twice its bootstrap std."""
    mi, std = _clean(mi), np.nan_to_num(np.asarray(std, dtype=np.float64), nan=0.0)
    top = mi.argmax(axis=1)
    rows = np.arange(len(mi))
    return (mi[rows, top] > floor) & (mi[rows, top] > 2 * std[rows, top])
