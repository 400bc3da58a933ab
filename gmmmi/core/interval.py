"""The reported interval: the bootstrap's, widened by what the data leave open about K.

The bootstrap refits keep the chosen number of components K, so their spread is the
sampling error of one model.  When other K score as well on held-out data (within two
paired standard errors, see ``select_components``), the data cannot choose between
them, and the quantity's value under each of them is as plausible as the chosen
one's: the interval is stretched to reach them.  This carries the error of choosing
K, and the smoothing bias of a mixture that is still resolving structure (hard
edges), which the resampling spread alone does not show.
"""

import math

import numpy as np
from scipy import special

LEVEL = 0.95
# The trend of the quantity with K is read from at most this many K of the selection
# path, from half the chosen K to the chosen K, when the chosen K is at least
# TREND_FROM: below it the values of K/2 .. K jump between fits of different structure
# (a mixture of 4 Gaussians fitted with 2, 3 and 4 components) rather than resolve an
# edge ever finer, and the plausible K carry the model's uncertainty.
TREND_POINTS = 6
TREND_FROM = 8
# Where the walk stopped at max_components the held-out score was still rising, and
# where it ran on part of the rows (above SELECTION_SAMPLES) it chose the K that part
# supports: there the interval reaches this many times the trend's gap.  The 1/K law
# reads the walk's fits (on its training folds), and at N = 10^5 hard edges lay 0.7 to
# 4.4 times that gap beyond the value (median 1.8; 3 tasks x 6 seeds, K = 50 but one
# K = 27).  Twice the gap at the cap only held the truth in 13 of the 18, three times
# at the cap or after a partial walk in 17 (benchmarks/measured/history/vs-d1bb217.md).  At
# N = 10^4, walked on all rows, the gap was 0.2 to 2 times the trend: kept at once.
CAP_TREND_FACTOR = 3.0


def trend_components(n_components, tried):
    """The K of the selection path (``tried``) that give the trend: from half the chosen K
    to the chosen K, at most ``TREND_POINTS`` of them spread evenly; none below
    ``TREND_FROM``."""
    ks = sorted(k for k in tried if (n_components + 1) // 2 <= k <= n_components)
    if n_components < TREND_FROM or len(ks) < 3:
        return []
    keep = np.unique(np.linspace(0, len(ks) - 1, min(TREND_POINTS, len(ks))).round().astype(int))
    return [ks[i] for i in keep]


def trend_gap(ks, values):
    """How far the quantity still moves beyond the largest K: a + b/K fitted by least
    squares to ``values`` at ``ks``, and a minus the fit's value at the largest K.

    A mixture resolves an edge or a cusp to a width of order 1/K, and what it misses of
    the information shrinks at that rate; the gap is what more data (and so more K)
    would add, which the bootstrap of one K does not show.
    """
    inverse = 1.0 / np.asarray(ks, dtype=np.float64)
    design = np.column_stack([np.ones_like(inverse), inverse])
    (_, slope), *_ = np.linalg.lstsq(design, np.asarray(values, dtype=np.float64), rcond=None)
    return float(-slope * inverse.min())


def critical_value(level=LEVEL):
    """z of a two-sided ``level`` normal interval (1.96 at 95%)."""
    return math.sqrt(2.0) * float(special.erfinv(level))


def beyond(low, high, std, value, reached, level=LEVEL):
    """(low, high, std) of an interval moved to reach ``reached``, a lower bound of the
    quantity above ``value``: the high end goes up by twice as much as ``reached`` lies
    beyond ``value`` (an edge, see ``widened``), the low end up to ``reached`` less the
    interval's half width, and ``std`` is at least the new half width / z."""
    shift = max(0.0, reached - value)
    low, high = max(low, reached - (high - low) / 2.0), high + 2.0 * shift
    half_std = (high - low) / (2.0 * critical_value(level))
    return low, high, max(std, half_std) if np.isfinite(std) else std


def percentile_interval(values, level=LEVEL):
    """The central ``level`` interval of ``values`` (percentiles): (low, high)."""
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def widened(bootstrap, selected, plausible, edge=(), level=LEVEL, floor=0.0):
    """(low, high, std, stretch) of the reported interval.

    ``bootstrap``: the values of the bootstrap refits (may be empty); ``selected``: the
    value of the fit on all data with the chosen K; ``plausible``: the values of fits
    on all data with the other plausible K; ``edge``: those of them at the largest
    plausible K, when that is above the chosen one.

    The bootstrap part is the union of the percentile interval, mean ± z std (z = 1.96
    at 95%) and, for the low end, the basic bootstrap's 2 selected - (high percentile).
    Resampling duplicates points, which adds spurious information, so near zero the
    bootstrap values all lie above the truth: the percentile interval alone excluded 0
    for every independent pair, and mean - z std still did for categorical ones (whose
    per-category fits add more of it); the basic end subtracts that upward shift.
    Without bootstrap it is the point ``selected``.  Each end then moves out by as
    much as the plausible values lie beyond ``selected`` on that side, twice that when
    the farthest of them is at the edge (still moving with K where the data stop
    resolving: on hard-edged joints the truth lies further on), and the low end is
    clipped at ``floor`` (information is never negative).

    ``std`` is the bootstrap std, or the interval's half width / z when that is
    larger, so that the interval and ±z std say the same (NaN without bootstrap).
    ``stretch`` is how far the plausible values moved the ends, as a multiple of the
    bootstrap part's half width (NaN without bootstrap, 0 when nothing moved).
    """
    bootstrap = np.asarray(bootstrap, dtype=np.float64)
    plausible = np.asarray(plausible, dtype=np.float64)
    z = critical_value(level)
    if len(bootstrap) > 1:
        std = float(bootstrap.std(ddof=1))
        low, high = percentile_interval(bootstrap, level)
        low = min(low, float(bootstrap.mean()) - z * std, 2.0 * selected - high)
        high = max(high, float(bootstrap.mean()) + z * std)
    else:
        low = high = float(selected)
        std = math.nan
    below = max(0.0, selected - float(plausible.min())) if len(plausible) else 0.0
    above = max(0.0, float(plausible.max()) - selected) if len(plausible) else 0.0
    edge = np.asarray(edge, dtype=np.float64)
    if below and np.any(edge == plausible.min()):
        below *= 2
    if above and np.any(edge == plausible.max()):
        above *= 2
    half = (high - low) / 2
    if len(bootstrap) <= 1:
        stretch = math.nan
    else:
        stretch = max(below, above) / half if half > 0 else (
            math.inf if below or above else 0.0)
    low, high = max(low - below, floor), high + above
    return low, high, max(std, (high - low) / (2.0 * z)), stretch
