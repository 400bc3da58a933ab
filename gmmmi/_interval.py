"""The reported interval: bootstrap percentiles widened by what the data leave open about K.

The bootstrap refits keep the chosen number of components K, so their spread is the
sampling error of one model.  When other K score as well on held-out data (within one
standard error, see ``select_components``), the data cannot choose between them, and
the quantity's value under each of them is as plausible as the chosen one's: the
interval is stretched to reach them.  This carries the error of choosing K, and the
smoothing bias of a mixture that is still resolving structure (hard edges), which
the resampling spread alone does not show.
"""

import math

import numpy as np
from scipy import special

LEVEL = 0.95


def percentile_interval(values, level=LEVEL):
    """The central ``level`` interval of ``values`` (percentiles): (low, high)."""
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def widened(bootstrap, selected, plausible, level=LEVEL):
    """(low, high, std, stretch) of the reported interval.

    ``bootstrap``: the values of the bootstrap refits (may be empty); ``selected``: the
    value of the fit on all data with the chosen K; ``plausible``: the values of fits
    on all data with the other plausible K.  The interval is the bootstrap's
    percentile interval (a point without bootstrap), each end moved out by as much as
    the plausible values lie beyond ``selected`` on that side.  ``std`` is the
    bootstrap std, or the interval's half width / z (z = 1.96 at 95%) when that is
    larger, so that the interval and ±z std say the same (NaN without bootstrap).
    ``stretch`` is how far the ends moved, as a multiple of the bootstrap interval's
    half width (NaN without bootstrap, 0 when nothing moved).
    """
    bootstrap = np.asarray(bootstrap, dtype=np.float64)
    plausible = np.asarray(plausible, dtype=np.float64)
    if len(bootstrap) > 1:
        low, high = percentile_interval(bootstrap, level)
        std = float(bootstrap.std(ddof=1))
    else:
        low = high = float(selected)
        std = math.nan
    if len(plausible) == 0:
        return low, high, std, 0.0
    below = max(0.0, selected - float(plausible.min()))
    above = max(0.0, float(plausible.max()) - selected)
    half = (high - low) / 2
    if len(bootstrap) <= 1:
        stretch = math.nan
    else:
        stretch = max(below, above) / half if half > 0 else (
            math.inf if below or above else 0.0)
    low, high = low - below, high + above
    z = math.sqrt(2.0) * float(special.erfinv(level))
    return low, high, max(std, (high - low) / (2.0 * z)), stretch
