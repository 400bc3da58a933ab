"""MI of a pair whose variables have atoms, by the chain rule over the atoms' labels.

An atom is a value that a share of the rows hold exactly: a ReLU unit's zeros, a dead
unit, a censored or clipped value (``validation.atom_labels``). Let A say which atom x
is at (or "none": its continuous part), B the same for y. x determines A and y
determines B, so I(x; y) = I(x, A; y, B), and the chain rule splits it into four terms:

    I(x; y) = I(A; B)                                      the atoms' table
            + P(B = none) I(A; y | B = none)               x's atoms against y
            + P(A = none) I(x; B | A = none)               y's atoms against x
            + P(A = none, B = none) I(x; y | A, B = none)  the continuous parts

(given an atom, x is constant and holds nothing more). Each term is smooth: a table, a
categorical pair (one 1-D mixture per label) or a continuous pair without the atoms.
Fitted whole, with the ties broken at random in the ranks (``marginals.break_ties``),
an atom becomes a block of the normal scores whose hard edge a mixture smooths, and at
N = 50,000 two ReLU units came out 0.009 nat low with intervals that missed
(benchmarks/measured/mixed.md).
"""

import math

import numpy as np

from .interval import critical_value


def terms(a, b, names=("x", "y")):
    """The terms of the chain rule for atom labels ``a`` and ``b`` (-1: the continuous
    part; ``b`` None when y has no atom): a list of (name, rows, kind), ``rows`` a boolean
    mask of the rows the term is estimated on (its share of the rows is its weight) and
    ``kind`` one of "table" (A against B), "x-atoms" (A against y), "y-atoms" (B against
    x) and "pair" (x against y); ``names`` are x's and y's in the terms' names."""
    x, y = names
    x_open = a < 0
    y_open = np.ones_like(x_open) if b is None else b < 0
    found = []
    if b is not None:
        found.append(("the atoms' table", np.ones_like(x_open), "table"))
    found.append((f"{x}'s atoms against {y}", y_open, "x-atoms"))
    if b is not None:
        found.append((f"{y}'s atoms against {x}", x_open, "y-atoms"))
    found.append(("the continuous parts", x_open & y_open, "pair"))
    return found


def combined(weights, values, lows, highs, bootstraps, masks):
    """(value, low, high, std, bootstrap) of sum_i weights_i values_i.

    Each term's interval (its own bootstrap, widened over its plausible K, trend and
    space) is a 95% interval; the terms are estimated on different rows or different
    labels, and their errors are taken as independent: each side's half width is the
    root of the sum of squares of the terms' weighted half widths on that side, and of
    the weights' own sampling error (the weights are shares of the rows: the sum is the
    mean over rows of g = sum_i values_i 1[row in term i], whose standard error is
    std(g) / sqrt(N)). ``bootstrap`` is sum_i weights_i times each term's bootstrap
    value (empty when the terms have none). The low end is clipped at 0. Without
    bootstrap (``n_bootstrap=0``: no term has one) the interval is the value and the
    std NaN, as for every other estimate.
    """
    z = critical_value()
    weights, values = np.asarray(weights, float), np.asarray(values, float)
    value = float(np.dot(weights, values))
    if all(len(b) == 0 for b in bootstraps):
        return value, value, value, math.nan, np.array([])
    per_row = np.asarray(masks, dtype=float).T @ values
    spread = float(per_row.std() / math.sqrt(len(per_row)))
    below = weights * (values - np.asarray(lows, float))
    above = weights * (np.asarray(highs, float) - values)
    low = value - math.sqrt(float(np.sum(below ** 2)) + (z * spread) ** 2)
    high = value + math.sqrt(float(np.sum(above ** 2)) + (z * spread) ** 2)
    sizes = {len(b) for b in bootstraps}
    bootstrap = (np.sum([w * np.asarray(b, float) for w, b in zip(weights, bootstraps)], axis=0)
                 if len(sizes) == 1 and 0 not in sizes else np.array([]))
    low = max(low, 0.0)
    return value, low, high, (high - low) / (2 * z), bootstrap
