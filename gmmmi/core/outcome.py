"""What a pair's fits come to: its value, bootstrap interval (widened where the number
of components is uncertain or at the cap) and status, for continuous and categorical pairs."""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import TYPE_CHECKING

import numpy as np

from .. import status
from . import validation as check
from .bootstrap import (
    linear_bootstrap,
    linear_bootstrap_applies,
    refit_bootstrap,
)
from .components import PLAUSIBLE_SE, fit_plausible, pad_components, refitted_plausible
from .information import (
    categorical_mutual_information,
    discrete_entropy,
)
from .interval import CAP_TREND_FACTOR, beyond, trend_components, trend_gap, widened
from .marginals import student_scores, transform
from .result import UNITS
from .spaces import (
    STUDENT_SCORES,
    more_than_a_pair,
    select_space,
    tie_key,
    transforms,
)

if TYPE_CHECKING:
    pass


# A pair is "under-resolved" when the values under the other plausible K, or the trend
# of the value over K, move an end of its interval by more than twice the bootstrap
# interval's own half width (the number of components, not the sample, dominates the
# uncertainty) and by at least 0.01 nat (below that, as in the report's disentanglement
# scores, it is noise).
UNDER_RESOLVED_STRETCH = 2.0


UNDER_RESOLVED_NATS = 0.01


# Categorical pairs: above this many (category, plausible K) swaps the interval takes two
# joint swaps instead (_categorical_alternatives).
SWAP_LIMIT = 16


class _Outcome:
    """What a fit produced, before conversion to a result object."""

    def __init__(self, value=math.nan, std=math.nan, bootstrap=(), low=math.nan, high=math.nan,
                 n_components=0, status=status.OK, message="", details=None):
        self.value, self.std = value, std
        self.bootstrap = np.asarray(bootstrap, dtype=np.float64)
        self.low, self.high = low, high
        self.n_components, self.status, self.message = n_components, status, message
        self.details = details or {}


def _warn_status(outcome, word, message):
    if outcome.status == status.OK:
        outcome.status, outcome.message = word, message


def _spaces(columns, settings, key, counts=None):
    """{space: function giving ``columns`` prepared for it} for ``spaces.select_space``:
    the spaces of ``marginals`` (only the normal scores of "auto" when a column has an
    atom), and with "auto" for more than two columns the Student-t scores of
    ``STUDENT_SCORES`` too. Ranks break ties at random, from the pair's ``key``.
    ``counts``: each column's ``validation.value_counts``, when known."""
    listed = columns if isinstance(columns, list) else list(np.asarray(columns).T)
    counts = counts or [None] * len(listed)
    with_atom = any(check.has_atoms(column, c) for column, c in zip(listed, counts))
    ties = tie_key(key)
    spaces = {marginals: functools.partial(transform, columns, marginals, ties)
              for marginals in transforms(settings, with_atom)}
    if settings.marginals == "auto" and len(listed) > 2:
        spaces.update({name: functools.partial(student_scores, columns, dof, ties)
                       for name, dof in STUDENT_SCORES.items()})
    return spaces


def _fit_continuous(spaces, quantity, settings, key, resample, pointwise=None):
    """Select and bootstrap a mixture for the data in one of ``spaces`` (see
    ``spaces.select_space``); apply ``quantity``.

    ``resample`` (``bootstrap.Resample``) draws the bootstrap's rows of the data;
    ``pointwise(data, mixtures)``, when the quantity has one, gives its per-sample terms
    for the linear bootstrap.  Returns the outcome, the selection and the bootstrap's
    refitted mixtures (the selected one without bootstrap, none after a linear one).
    """
    n_bootstrap = settings.n_bootstrap
    checked = {}  # the space choice checks the selection this function checks again

    def missed_by(selection, data):
        found = (id(selection.folds), selection.n_components, id(data))
        if found not in checked:  # keeping folds and data alive keeps their ids theirs
            checked[found] = (selection.folds, data, _missed(selection, data, quantity,
                                                             pointwise, settings, key))
        return checked[found][2]

    marginals, data, selection, alike = select_space(spaces, settings, key, missed_by)
    integration = settings.integration_kwargs(key)
    selected = float(quantity(selection.params, **integration)[0])
    if n_bootstrap and pointwise is not None and linear_bootstrap_applies(len(data), settings):
        mixtures = ()
        values = linear_bootstrap(pointwise(data, selection.params)[0], selected, n_bootstrap,
                                  resample)
    elif n_bootstrap:
        mixtures = refit_bootstrap(data, n_bootstrap, resample, selection.params, settings)
        values = np.asarray(quantity(mixtures, **settings.integration_kwargs(key)))
    else:
        mixtures, values = selection.params, np.array([selected])
    others = fit_plausible(data, selection, settings)
    plausible = quantity(others, **settings.integration_kwargs(key)) if others is not None else ()
    n_components = int(np.count_nonzero(selection.params[0][0]))
    ks = refitted_plausible(selection)
    edge = [plausible[-1]] if ks and ks[-1] > selection.n_components else []
    # at max_components the score was still rising, and a walk on part of the rows chose
    # the K that part supports: either way the trend goes on past the chosen K
    gap = _trend(selection, quantity, settings, key) * (
        CAP_TREND_FACTOR if selection.max_reached or selection.rows is not None else 1.0)
    missed = missed_by(selection, data) if more_than_a_pair(data) else 0.0
    in_spaces = {name: float(quantity(fit.params, **settings.integration_kwargs(key))[0])
                 for name, (_, fit) in alike.items()}
    outcome = _interval_outcome(values, n_bootstrap, selected, plausible, edge, n_components,
                                sorted(selection.plausible), f"K = {n_components}",
                                {"plausible_components": sorted(selection.plausible),
                                 "plausible_marginals": in_spaces, "trend": gap,
                                 "missed": missed, "marginals": marginals},
                                gap, missed, in_spaces)
    if selection.max_reached:
        _warn_status(outcome, status.MAX_COMPONENTS,
                     f"selection reached max_components={settings.max_components}")
    return outcome, selection, mixtures


def _interval_outcome(values, n_bootstrap, selected, plausible, edge, n_components,
                      alternatives, chosen, details, gap=0.0, missed=0.0, in_spaces=None):
    """The outcome of one bootstrap batch, with the interval widened over the plausible K.

    ``values``: one value per bootstrap fit (the fit on all data without bootstrap);
    ``selected``: the value with the chosen K on all data; ``plausible``: the values
    with each alternative K (described by ``alternatives``, against ``chosen``), ``edge``
    those at the largest plausible K above the chosen one (see ``widened``); ``gap``: how
    far the value still moves beyond the chosen K (``interval.trend_gap``), which the
    interval also reaches; ``missed``: how much more the held-out data hold than the
    mixture (``_missed``), which the interval reaches as an edge (twice as far);
    ``in_spaces``: the values of fits in other spaces that the held-out copula cannot tell
    from the chosen one (``spaces.select_space``), which it reaches too.
    """
    values = np.asarray(values, dtype=np.float64)
    in_spaces = in_spaces or {}
    reached = list(plausible) + list(in_spaces.values()) \
        + ([selected + gap] if gap else []) + ([selected + missed] if missed else [])
    edge = list(edge) + ([selected + missed] if missed else [])
    low, high, std, stretch = widened(values if n_bootstrap else (), selected, reached, edge)
    outcome = _Outcome(float(values.mean()), std, values if n_bootstrap else (), low, high,
                       n_components=n_components, details=details)
    reached = np.asarray(reached, dtype=np.float64)
    moved = max(selected - reached.min(), reached.max() - selected) if len(reached) else 0
    if stretch > UNDER_RESOLVED_STRETCH and moved >= UNDER_RESOLVED_NATS:
        reasons = []
        if len(plausible):
            plausible = np.asarray(plausible, dtype=np.float64)
            span = f"{plausible.min():.3g}" if np.ptp(plausible) == 0 else \
                f"{plausible.min():.3g} to {plausible.max():.3g}"
            reasons.append(f"K = {', '.join(map(str, alternatives))} fit the held-out data as "
                           f"well as the chosen {chosen} but give {span}")
        if in_spaces:
            spread = np.array(list(in_spaces.values()))
            span = f"{spread.min():.3g}" if np.ptp(spread) == 0 else \
                f"{spread.min():.3g} to {spread.max():.3g}"
            reasons.append(f"the marginals as {', '.join(in_spaces)} fit the held-out copula "
                           f"as well as {details['marginals']} but give {span}")
        if gap:
            reasons.append(f"the value still moves with K, by about {gap:+.3g} beyond the "
                           f"chosen {chosen} as the trend of K/2 to K goes on")
        if missed:
            reasons.append(f"the held-out rows hold {missed:.3g} more than the mixture fitted "
                           f"without them says (it misses dependence there)")
        _warn_status(outcome, status.UNDER_RESOLVED,
                     "; ".join(reasons) + ": the interval is widened to reach "
                     + ("them" if len(reasons) > 1 or len(plausible) or len(in_spaces) > 1
                        else "it"))
    return outcome


def _trend(selection, quantity, settings, key):
    """How far the quantity still moves beyond the chosen K (``interval.trend_gap``), from
    the best fits of the selection path; 0 when the path is too short."""
    ks = trend_components(selection.n_components, selection.path)
    if not ks:
        return 0.0
    n_max = max(ks)
    batch = tuple(np.stack([pad_components(selection.path[k][i], n_max) for k in ks])
                  for i in range(3))
    return trend_gap(ks, quantity(batch, **settings.integration_kwargs(key)))


def _missed(selection, data, quantity, pointwise, settings, key):
    """How much more the held-out rows hold than the mixtures fitted without them say: the
    mean of the quantity's per-sample terms on each fold's held-out rows under the chosen
    K's fit on the other folds, minus that fit's own value, when above ``PLAUSIBLE_SE``
    standard errors (else 0).

    For a mixture that describes the data, the two agree (the held-out mean lies a little
    below, as fits overfit); above it, the data put more weight where the mixture says the
    variables tell most about each other than the mixture itself does: it misses
    dependence (a multivariate Student-t's joint tails in normal scores: 0.29 held out
    against the fit's 0.19, truth 0.45), and its value is too low.
    """
    if pointwise is None or not selection.folds:
        return 0.0
    fits = selection.folds[selection.n_components]
    rows = data if selection.rows is None else data[selection.rows]
    held_out = np.empty(len(rows))
    for fold in range(fits[0].shape[0]):
        held = selection.fold_of == fold
        held_out[held] = pointwise(rows[held], tuple(p[fold:fold + 1] for p in fits))[0]
    shift = held_out.mean() - float(np.mean(quantity(fits, **settings.integration_kwargs(key))))
    spread = held_out.std() / np.sqrt(len(held_out))
    return float(shift) if shift > PLAUSIBLE_SE * spread else 0.0


def _constant_outcome(names, value, n_bootstrap):
    bootstrap = np.full(n_bootstrap, value)
    return _Outcome(value, 0.0 if n_bootstrap > 1 else math.nan, bootstrap, value, value, 0,
                    status.CONSTANT, f"{names} is constant")


def _too_few_outcome(n_valid, needed):
    return _Outcome(status=status.TOO_FEW_SAMPLES,
                    message=f"{n_valid} usable samples, at least {needed} needed for the CV folds")


def _at_least_members(outcome, members):
    """A vector holds at least what each of its members holds: where a member's value
    (``members``, from ``GMMMI._members``) lies above the vector fit's, that fit missed
    dependence; the estimate is raised to the member's and the interval reaches past it
    as an edge (``interval.beyond``)."""
    outcome.details["members"] = members
    name, best = max(members.items(), key=lambda item: item[1])
    shift = best - outcome.value
    if not shift > 0:
        return
    fitted = outcome.value
    outcome.low, outcome.high, outcome.std = beyond(outcome.low, outcome.high, outcome.std,
                                                    fitted, best)
    outcome.value, outcome.bootstrap = best, outcome.bootstrap + shift
    if shift >= UNDER_RESOLVED_NATS:
        _warn_status(outcome, status.UNDER_RESOLVED,
                     f"{name} alone holds {best:.3g}, more than the fit of the whole "
                     f"({fitted:.3g}), which misses dependence: the estimate is raised to "
                     f"it and the interval reaches past it")


def _within_entropy(outcome, labels):
    """No variable tells more of a discrete one than its entropy: the estimate and the
    interval are capped at the labels' (``information.discrete_entropy``; a
    mixture's smooth tails can put the high end above it, a vector's raised to a
    member's did: 2.50 nat for a factor of ten levels)."""
    _, counts = np.unique(np.asarray(labels).ravel(), return_counts=True)
    bound = float(discrete_entropy(counts[None])[0])
    outcome.details["entropy_bound"] = bound
    outcome.value, outcome.low, outcome.high = (min(v, bound) for v in (
        outcome.value, outcome.low, outcome.high))


def _categorical_alternatives(xs, codes, present, selections, shares, settings, key):
    """Categorical MI with categories' mixtures swapped for their plausible K.

    Up to ``SWAP_LIMIT`` swaps, one category at a time (the others keep their chosen
    mixtures); above, every category at its smallest plausible K at once, then every one
    at its largest: two evaluations instead of one per category and K, each of which costs
    as the square of the category count (1000 categories asked for 52 GiB). All are
    fitted on the full data. Returns the plausible K (sorted), the MI of each swap, and
    those of the swaps at a largest plausible K above the chosen one (``widened``'s edge).
    """
    swaps = []
    for index, (code, selection) in enumerate(zip(present, selections)):
        fitted = fit_plausible(xs[codes == code], selection, settings)
        for row, n_components in enumerate(refitted_plausible(selection)):
            swaps.append((index, n_components, tuple(p[row] for p in fitted)))
    if not swaps:
        return [], (), []
    top = {c: max(s.plausible, default=0) for c, s in enumerate(selections)}
    at_edge = [k == top[c] and k > selections[c].n_components for c, k, _ in swaps]
    if len(swaps) <= SWAP_LIMIT:
        rows = [[swap] for swap in swaps]
    else:
        smallest, largest = {}, {}
        for swap in swaps:  # refitted_plausible lists each category's K in order
            smallest.setdefault(swap[0], swap)
            largest[swap[0]] = swap
        rows = [list(smallest.values()), list(largest.values())]
        at_edge = [False, any(at_edge)]
    n_max = max(max(s.params[0].shape[1] for s in selections),
                max(params[0].shape[0] for *_, params in swaps))
    batch = [np.repeat(np.stack([pad_components(s.params[i][0], n_max) for s in selections])[None],
                       len(rows), axis=0) for i in range(3)]
    for row, changes in enumerate(rows):
        for index, _, params in changes:
            for i in range(3):
                batch[i][row, index] = pad_components(params[i], n_max)
    values = categorical_mutual_information(tuple(batch), np.tile(shares, (len(rows), 1)),
                                            **settings.integration_kwargs(key))
    return (sorted({k for _, k, _ in swaps}), values,
            [v for v, edge in zip(values, at_edge) if edge])


def _result(cls, outcome, quantity, unit, n_samples, n_dropped, settings, **run):
    """The result object of an outcome: its values in ``unit``, with every setting used
    (and ``run``'s facts, e.g. ``categorical``). The one place results are made."""
    scale = UNITS[unit]
    return cls(value=outcome.value * scale, std=outcome.std * scale,
               bootstrap=outcome.bootstrap * scale, n_components=outcome.n_components,
               status=outcome.status, unit=unit, quantity=quantity, n_samples=n_samples,
               n_dropped=n_dropped, message=outcome.message,
               settings=dict(dataclasses.asdict(settings), seed=int(settings.seed), **run),
               details=outcome.details, low=outcome.low * scale, high=outcome.high * scale)
