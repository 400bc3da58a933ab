"""The space of the marginals: which transform of the data (ranks to normal scores,
Student-t scores, the standardised values) a pair is fitted in, chosen by held-out
likelihood of the copula or, for a categorical pair, of the classes."""

import contextlib
import dataclasses
import warnings

import numpy as np
from scipy import special

from . import marginals
from .components import (
    MAX_REACHED,
    PLAUSIBLE_SE,
    SELECTION_SAMPLES,
    _levels_off,
    fit_selected,
    folds_for,
    select_components,
)
from .engine import pointwise_batch
from .mixture import copula_logpdf
from .settings import _STREAM_TIES

# A categorical pair's categories share the walk's SELECTION_SAMPLES rows in proportion
# to their sizes, each walking on at least this many of its rows (all of them below):
# with auto marginals a category may be walked in two spaces (select_category_space),
# and 4 categories of 250,000 rows walked 20,000 each.  Fewer rows chose the space
# worse (2,000: see select_category_space).
CATEGORY_WALK_SAMPLES = 5_000


# marginals="auto": when the normal scores of ranks need at least this many components,
# the standardised data are tried too, and taken when their walk levels off with at most
# half as many.  A joint that is a mixture of a few Gaussians in the data's own
# coordinates (the paper's D3: 3 components; normal scores: 15 at N = 10^4, 50 at 10^5)
# is fitted as one; heavy tails, hard bounds and skew keep the normal scores, where
# standardised data need more components (benchmarks/measured/big_n.md).
AUTO_TRY_FROM = 4


# ... and that trial walk stops at this many components at most: it looks for a few
# Gaussians, and on the joints that keep the normal scores (hard edges, K = 27-50) a
# longer one cost as much again as the first walk.
AUTO_MAX_COMPONENTS = 12


# The trial walks on at most this many rows first (the few Gaussians show at that size:
# D3 takes 3 components from N = 1000); only when it levels off is it walked again on
# the rows the first space used.
AUTO_TRIAL_SAMPLES = 5_000


# For more than two dimensions the other space is always tried, walked up to this many
# times the first space's K, and compared on the held-out copula (``_by_copula``): in
# normal scores a multivariate Student-t of identity scale took 2-6 components and gave
# a third to half of its MI; in its own coordinates (a scale mixture of Gaussians) BMI's
# Student-t tasks at 3+3 and 5+5 went from an MAE of 0.153 to 0.056
# (benchmarks/measured/accuracy_vector_bmi.md, against history/accuracy_vector_bmi-before.md).
VECTOR_TRY_FACTOR = 2


# ... and after it, when the standardised copula was clearly better than the normal
# scores' or the normal scores' fit missed dependence (heavy joint tails), Student-t
# scores of the ranks of these degrees of freedom (``marginals.student_scores``), walked
# with all ``n_inits`` starts: a multivariate t whose marginals went through any monotone
# map (BMI's asinh) is again a scale mixture of Gaussians there when the degrees agree,
# which neither the normal scores nor the mapped data are.  On BMI's Student-t tasks at
# N = 5000 (27 runs) the MAE went from 0.069 to 0.037, coverage from 0.78 to 0.85, and no
# run was off by more than 4 std (3 were): asinh 5+5 from 0.25 nat low to 0.06. A walk with
# one start stopped there at K = 3 where three starts went on to 6, with a held-out copula
# better by 0.1 to 0.2 nat a row; 5 degrees of freedom won only by noise, 0.07 nat low.
STUDENT_SCORES = {"t3": 3, "t2": 2}


def more_than_a_pair(data):
    """Whether ``data`` have more columns than a pair's two (vectors, conditional MI):
    their space is chosen on the held-out copula (``_by_copula``) and their interval
    reaches what the held-out rows hold beyond the mixture (``outcome._missed``)."""
    return data.shape[1] > 2


def transforms(settings, atoms=False):
    """The spaces ``settings.marginals`` lets a fit use, in order of preference; with
    ``atoms`` (a column has an atom, ``validation.has_atoms``) "auto" keeps the normal
    scores, whose ranks break ties (``tie_key``): standardised, an atom is one point."""
    if settings.marginals != "auto":
        return (settings.marginals,)
    return ("rank",) if atoms else ("rank", "standardise")


# The spaces built on ranks, where ties are broken at random (``marginals.break_ties``).
RANK_SPACES = ("rank",) + tuple(STUDENT_SCORES)


def tie_key(key):
    """The random key that breaks a data set's ties (``marginals.ranks``)."""
    return list(key) + [_STREAM_TIES]


def select_space(spaces, settings, key, missed=None):
    """Choose the space of the fit and its number of components.

    ``spaces`` maps a space's name to a function that returns the data in it, in order
    of preference.  The first space's selection is kept unless another space fits
    better: for a pair (two dimensions) when the first needs at least ``AUTO_TRY_FROM``
    components and the other's walk, capped at half as many (and at
    ``AUTO_MAX_COMPONENTS``), levels off below the cap, on ``AUTO_TRIAL_SAMPLES`` rows
    and then on as many as the first walk (with one start per K instead of
    ``n_inits`` that walk missed D3's three clusters in 3 of 24 samples at N = 10^4 to
    10^6); for more dimensions (vectors, conditional MI) when the other's copula fits
    the held-out data better, or ``missed`` says that only the first's fit misses
    dependence (``_by_copula``).  Returns (name, data, Selection, others): ``others``
    maps each other space whose fit the held-out copula cannot tell from the chosen
    one's to (its data, its fit on them), for the interval (more than two dimensions
    only; empty otherwise).
    """
    names = list(spaces)
    data = spaces[names[0]]()
    if settings.fixed_components is not None:  # nothing to choose: K is set
        return names[0], data, select_components(data, settings, key), {}
    selection = select_components(data, settings, key, final=False)
    if more_than_a_pair(data) and selection.fold_of is not None:
        name, data, selection, others = _by_copula(spaces, names, data, selection, settings,
                                                   key, missed)
        others = {other: (other_data, fit_selected(other_data, trial, settings))
                  for other, (other_data, trial) in others.items()}
        return name, data, fit_selected(data, selection, settings), others
    for name in names[1:]:
        if selection.n_components < AUTO_TRY_FROM:
            break
        capped = dataclasses.replace(settings, max_components=min(
            selection.n_components // 2, AUTO_MAX_COMPONENTS))
        with _trials():
            other_data = _prepared(spaces, name)
            if other_data is None:
                continue
            other = select_components(other_data, capped, key, final=False,
                                      walk_samples=AUTO_TRIAL_SAMPLES)
            if _levels_off(other, capped) and len(other_data) > AUTO_TRIAL_SAMPLES:
                other = select_components(other_data, capped, key, final=False)
        if _levels_off(other, capped):
            names[0], data, selection = name, other_data, other
    return names[0], data, fit_selected(data, selection, settings), {}


def _by_copula(spaces, names, data, selection, settings, key, missed=None):
    """(name, data, selection, others) of the space whose fit ties the variables together
    best, and the other spaces as good as it (``others``: name -> (data, trial walk)).

    Each other space is walked on the same rows and folds, with one start per K (the
    split start from K = 2: a third of the fits, and the same choices on 14 samples of
    6 tasks), up to ``VECTOR_TRY_FACTOR`` times the first's K (at least
    ``AUTO_TRY_FROM``); a walk stopped by that cap that is not clearly worse than the
    best so far goes on to ``AUTO_MAX_COMPONENTS``.  The spaces of ``STUDENT_SCORES``
    are walked only when the joint tails are heavy (``_heavy_tails``), with all
    ``n_inits`` starts, and the walks of one start are then walked again so (the spaces
    are compared as equals).  A space may be taken when its copula fits the held-out
    rows better than the first's by more than ``PLAUSIBLE_SE`` paired standard errors
    (``_paired_gain``), or when ``missed(selection, data)`` (the estimator's held-out
    check of its quantity, ``outcome._missed``) finds that the first space's fit
    misses dependence and its own does not: there the copula's fit overall and the
    quantity disagree (a Student-t 5+5 of 2 dof whose normal scores held out better by
    6 standard errors gave 0.20 for 0.45, the standardised fit 0.62 with an interval
    that holds it).  Of those, the best copula is taken, and walked again with the full
    settings unless its walk already had them and stopped below its cap.  Marginal
    transforms leave the data's copula unchanged, so this compares the fits on what
    the information depends on; where several spaces fit it equally well, their values
    differ by what the data cannot tell.
    """
    ranks = marginals.ranks(data, selection.rows)  # the walks' rows, as every walk's here
    first = names[0]
    # name -> (data, walk, held-out copula, walked with all n_inits)
    walked = {first: (data, selection, _held_out_copula(selection, ranks), True)}
    top = min(settings.max_components, AUTO_MAX_COMPONENTS)
    first_cap = min(top, max(AUTO_TRY_FROM, VECTOR_TRY_FACTOR * selection.n_components))

    def walk(name, n_inits):
        best = max(walked.values(), key=lambda found: found[2].mean())[2]
        with _trials():
            other_data = _prepared(spaces, name)
            if other_data is None:
                return
            for cap in sorted({first_cap, top}):
                trial = select_components(other_data, dataclasses.replace(
                    settings, max_components=cap, n_inits=n_inits), key, final=False)
                copula = _held_out_copula(trial, ranks)
                gain = _paired_gain(copula, best)
                if gain > PLAUSIBLE_SE or gain < -PLAUSIBLE_SE or not trial.max_reached:
                    break
        walked[name] = (other_data, trial, copula, n_inits == settings.n_inits)

    for name in names[1:]:
        if name not in STUDENT_SCORES:
            walk(name, 1)
        elif _heavy_tails(walked, first, missed):
            for lighter in [other for other, (*_, full) in walked.items() if not full]:
                walk(lighter, settings.n_inits)  # compared with these as their equal
            walk(name, settings.n_inits)

    def better(name):  # than the first space, on the copula or on missed dependence
        return _paired_gain(walked[name][2], walked[first][2]) > PLAUSIBLE_SE or (
            missed is not None and missed(selection, data) > 0
            and missed(walked[name][1], walked[name][0]) == 0)

    taken = [name for name in walked if name != first and better(name)]
    kept = max(taken, key=lambda name: walked[name][2].mean()) if taken else first
    others = {name: found[:2] for name, found in walked.items()
              if name != kept and _paired_gain(found[2], walked[kept][2]) >= -PLAUSIBLE_SE}
    data, chosen, _, full = walked[kept]
    if kept != first:  # a full walk that stopped below its cap is the uncapped one
        selection = chosen if full and not chosen.max_reached else select_components(
            data, settings, key, final=False)
    return kept, data, selection, others


def _heavy_tails(walked, first, missed):
    """Whether the walks so far (``_by_copula``) show heavy joint tails: the standardised
    data's copula was better than the normal scores' (``first``) by more than
    ``PLAUSIBLE_SE`` paired standard errors, or the normal scores' fit misses dependence
    (``missed``).  Normal data, whose two spaces tie, are not walked again."""
    if "standardise" not in walked:
        return False
    if _paired_gain(walked["standardise"][2], walked[first][2]) > PLAUSIBLE_SE:
        return True
    return missed is not None and missed(walked[first][1], walked[first][0]) > 0


def _held_out_copula(selection, ranks):
    """The log copula density of each row the walk held out (``ranks``: the data's
    pseudo-observations at the walk's rows, ``marginals.ranks``) under the chosen K's fit
    without its fold."""
    out = np.empty(len(ranks))
    fits = selection.folds[selection.n_components]
    for fold in range(fits[0].shape[0]):
        held = selection.fold_of == fold
        out[held] = copula_logpdf(*(p[fold] for p in fits), ranks[held])
    return out


def select_category_space(spaces, codes, present, settings, key):
    """Choose the space of a categorical pair's mixtures (one per category of
    ``present``, category c keyed ``key + (c + 1,)``) and their number of components.

    ``spaces`` maps a space's name to a function giving the continuous variable in it
    (n_samples, n_dims), in order of preference.  When the first space needs at least
    ``AUTO_TRY_FROM`` components in some category, or the variable is a vector, the
    others are walked too, on the same rows and folds, and one is taken when its
    mixtures tell the categories apart better on the held-out rows
    (``held_out_classes``) by more than ``PLAUSIBLE_SE`` paired standard errors. A latent
    that encodes a discrete factor is a few tight clusters, which normal scores spread into
    bands with hard edges: shapes3d's latent 4 against wall hue took K = 27 and gave 0.005
    nat there, where the standardised values take K = 15 and give 0.047 (KSG 0.043), ahead
    by 24 standard errors. The walks are the categories' own (``CATEGORY_WALK_SAMPLES``):
    on ``AUTO_TRIAL_SAMPLES`` rows (500 a category) that comparison went the other way by
    3.5 standard errors,
    and on 2,000 a category three more of that matrix's cells kept normal scores 5 to
    20 times below KSG's value: an MI of a few hundredths does not show against the
    noise of 10 to 15 components on few rows.  Returns (name, data, selections), each
    selection refitted on its category's rows (``fit_selected``).
    """
    names = list(spaces)
    data = spaces[names[0]]()
    # the folds of the pair's size, not each category's: a third more walking per space
    # bought no measured gain for 1-D mixtures, and two spaces are walked here
    settings = dataclasses.replace(settings, n_folds=folds_for(len(codes), settings))
    rows = [np.flatnonzero(codes == c) for c in present]
    keys = [tuple(key) + (int(c) + 1,) for c in present]
    if settings.fixed_components is not None or settings.selection != "validation":
        return names[0], data, [select_components(data[r], settings, k)
                                for r, k in zip(rows, keys)]

    n_samples = len(codes)
    sizes = [min(len(r), max(CATEGORY_WALK_SAMPLES, SELECTION_SAMPLES * len(r) // n_samples))
             for r in rows]

    def walk(values):
        return [select_components(values[r], settings, k, final=False, walk_samples=size)
                for r, k, size in zip(rows, keys, sizes)]

    with _trials():  # a walk's warning is the user's only for the space taken
        name, selections = names[0], walk(data)
    if len(names) > 1 and (data.shape[1] > 1 or  # vectors: always, as _by_copula
                           max(s.n_components for s in selections) >= AUTO_TRY_FROM):
        first = held_out_classes(data, rows, selections)
        for other in names[1:]:
            with _trials():
                other_data = _prepared(spaces, other)
                if other_data is None:
                    continue
                tried = walk(other_data)
            if _paired_gain(held_out_classes(other_data, rows, tried), first) > PLAUSIBLE_SE:
                name, data, selections = other, other_data, tried
                break
    if any(s.max_reached for s in selections):
        warnings.warn(MAX_REACHED.format(settings.max_components), RuntimeWarning,
                      stacklevel=4)
    return name, data, [fit_selected(data[r], s, settings) for r, s in zip(rows, selections)]


def held_out_classes(data, rows, selections):
    """log q(c | x) - log share(c) at each row a category's walk held out, under its
    chosen K's fit without the row's fold (the other categories' fits never saw it).

    Its mean is what the mixtures tell of the category from the variable, on rows they
    were not fitted on: a proper score of the classifier they make, whose truth is the
    MI itself, and which no marginal transform changes (the ratio of a category's
    density to the pooled one is the same in every space).  ``rows``: each category's
    rows of ``data``; ``selections``: their walks (``select_components``, validation).
    """
    shares = np.array([len(r) for r in rows], dtype=np.float64)
    log_shares = np.log(shares / shares.sum())
    out = []
    for own, (r, selection) in enumerate(zip(rows, selections)):
        walked = r if selection.rows is None else r[selection.rows]
        fits = selection.folds[selection.n_components]
        given = np.empty((len(rows), len(walked)))
        for other, s in enumerate(selections):
            if other != own:  # any of its fits: none saw these rows
                given[other] = pointwise_batch(data[walked], *(p[:1] for p in s.params))[0]
        for fold in range(fits[0].shape[0]):
            held = selection.fold_of == fold
            given[own, held] = pointwise_batch(data[walked[held]],
                                               *(p[fold:fold + 1] for p in fits))[0]
        pooled = special.logsumexp(given + log_shares[:, None], axis=0)
        out.append(given[own] - pooled)
    return np.concatenate(out)


def _paired_gain(other, first):
    """How much higher one held-out score per row is than another's (``_held_out_copula``,
    ``held_out_classes``), in paired standard errors (both walked on the same rows and
    folds)."""
    diff = other - first
    spread = diff.std() / np.sqrt(len(diff))
    return diff.mean() / spread if spread > 0 else 0.0


@contextlib.contextmanager
def _trials():
    """Walks of a space that may not be taken: their warnings (max_components reached at
    a trial's cap) are not the user's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _prepared(spaces, name):
    """The data in space ``name``, or None when they cannot be prepared so
    (``marginals.transform``: values float64 cannot standardise)."""
    try:
        return spaces[name]()
    except ValueError:
        return None
