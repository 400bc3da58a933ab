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

from typing import TYPE_CHECKING

from .from_data import (
    N_BINS,
    N_TEST,
    N_TRAIN,
    _data,
    dci,
    discrete_mi,
    discrete_mig,
    discrete_modularity,
    explicitness,
    factor_entropy,
    histogram_discretize,
    importance_matrix,
    sap,
)
from .from_matrix import (
    LEVEL,
    FactorGap,
    Score,
    _left_out,
    _matrix,
    best_latents,
    factor_gaps,
    gmm_mig,
    gmm_modularity,
    informative_latents,
    matrix_interval,
    mig,
    modularity,
    modularity_per_latent,
)

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from numpy.typing import ArrayLike

__all__ = ["LEVEL", "N_BINS", "N_TEST", "N_TRAIN", "DEFINITIONS", "FactorGap", "Score",
           "best_latents", "dci", "discrete_mi", "discrete_mig", "discrete_modularity",
           "explicitness", "factor_entropy", "factor_gaps", "gmm_mig", "gmm_modularity",
           "histogram_discretize", "importance_matrix", "informative_latents",
           "matrix_interval", "mig", "modularity", "modularity_per_latent", "sap", "scores"]


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
        from ..analysis.matrix import data_columns
        from ..analysis.notebook import as_dataset

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
