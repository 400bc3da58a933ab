"""The transforms of the marginals: each continuous column prepared for a fit in one
space (``spaces`` chooses which): normal scores of its ranks (``gaussianise``, ties
broken at random from a key), Student-t scores of its ranks (``student_scores``, for
heavy-tailed vectors) or plain standardisation (``standardise``); ``transform`` by the
space's name."""

import numpy as np

from .validation import _columns, has_ties


def standardise(array, in_place=False, pooled=False):
    """Columns shifted to mean 0 and scaled to standard deviation 1 (``pooled``: all
    columns by one mean and standard deviation)."""
    out = array if in_place else np.column_stack(_columns(array)).astype(np.float64)
    axis = None if pooled else 0
    # by the largest magnitude first: the variance of values near 1e200 (or 1e-300)
    # overflows to inf (or underflows to 0), and every value would become 0 (or NaN)
    scale = np.abs(out).max(axis=axis)
    out /= np.where(scale > 0, scale, 1.0)
    mean, std = out.mean(axis=axis), out.std(axis=axis)
    out -= mean
    out /= std
    return out


def ranks(array, rows=None, ties=None):
    """Each column's ranks minus 1/2, over N: values in (0, 1) that any monotone map of
    the column leaves unchanged (its pseudo-observations); only those of ``rows`` when
    given. Column by column: a few copies of one column at most, whatever N.

    Tied values share their mean rank, unless ``ties`` (a random key: a sequence of
    integers) is given: each tie's block of ranks is then dealt out among its values in
    a random order, drawn from ``ties`` and the column's index (``break_ties``)."""
    import pandas as pd  # here, not at the top: a cached workflow step never needs it

    columns = _columns(array)
    n = len(columns[0])
    out = np.empty((n if rows is None else len(rows), len(columns)))
    for j, column in enumerate(columns):
        if ties is not None and has_ties(column):
            scores = break_ties(column, list(ties) + [j])
        else:  # pandas ranks ties as needed; scipy.stats would add 0.4 s to a start
            scores = pd.Series(column).rank(method="average").to_numpy()
        out[:, j] = scores if rows is None else scores[rows]
    out -= 0.5
    out /= n
    return out


def break_ties(column, key):
    """Ranks 1..N of ``column`` with each tie broken at random (``key``): a randomised
    probability-integral transform.

    A value held by m rows owns m consecutive ranks; each of its rows takes one of them,
    in an order independent of everything else. The new variable is the old one plus
    independent noise, and the old one is a function of it (the block it falls in), so
    the information it shares with any other variable is exactly the old one's: an atom
    (a ReLU unit's zeros, an integer code) becomes a block of the normal scores, spread
    as the normal is, instead of a single point that a mixture reads as a spike of
    dependence.
    """
    jitter = np.random.default_rng(key).random(len(column))
    order = np.lexsort((jitter, column))
    scores = np.empty(len(column))
    scores[order] = np.arange(1, len(column) + 1, dtype=np.float64)
    return scores


def gaussianise(array, ties=None):
    """Each column replaced by the normal scores of its ranks (``ranks``: ties broken at
    random with a ``ties`` key, else sharing a rank).

    MI is unchanged by any monotone map of each variable; in normal-score space heavy
    tails, hard boundaries and skew are gone, so fewer components fit the joint.
    """
    from scipy import special

    out = ranks(array, ties=ties)
    special.ndtri(out, out=out)
    return standardise(out, in_place=True)


def student_scores(array, dof, ties=None):
    """Each column replaced by the Student-t quantiles (``dof`` degrees of freedom) of its
    ranks, standardised: heavy tails put back on the ranks, as ``gaussianise`` puts the
    normal's (a multivariate t's coordinates, through any monotone maps, come back to
    its own marginals when ``dof`` is its own)."""
    from scipy import special

    out = ranks(array, ties=ties)
    out = special.stdtrit(dof, out, out=out)
    return standardise(out, in_place=True)


def transform(array, marginals, ties=None):
    """Columns prepared for a fit in the space of the ``marginals``: ``"rank"`` (normal
    scores, ties broken at random with a ``ties`` key) or ``"standardise"``; ``array`` is
    2-D (samples x columns) or a list of 1-D columns.

    Standardised values that float64 can no longer tell apart (one value 1e200 times the
    others: after scaling, the others merge) are a one-line ``ValueError``: a fit of them
    would report MI 0 for dependent data."""
    if marginals == "rank":
        return gaussianise(array, ties)
    out = standardise(array)
    for raw, prepared in zip(_columns(array), out.T):
        magnitude = np.abs(raw)
        # values merge only when most are some 1e-16 of the largest: count distinct values
        # (two sorts, a tenth of a second at 10^6 rows) only when the median is far below it
        if np.median(magnitude) >= 1e-6 * magnitude.max():
            continue
        if len(np.unique(prepared)) < len(np.unique(raw)):
            raise ValueError("the values span too many orders of magnitude to be "
                             "standardised (float64 merges them); use marginals='rank'")
    return out
