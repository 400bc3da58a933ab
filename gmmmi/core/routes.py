"""The routes a pair takes through ``GMMMI``: a table (two variables of few values), one
mixture per category, the chain rule's terms (a variable with atoms) or one mixture of
the pair; each gives an outcome, and ``Routes`` keeps what was fitted on the way."""

import functools

import numpy as np

from .. import status
from . import atoms
from . import validation as check
from .bootstrap import (
    bootstrap_batches,
    linear_bootstrap,
    linear_bootstrap_applies,
    refit_categories_bootstrap,
)
from .components import min_samples, pad_components
from .information import (
    categorical_mutual_information,
    categorical_pointwise,
    mi_terms,
    mutual_information,
    pointwise_combination,
    table_mutual_information,
)
from .mixture import Mixture
from .outcome import (
    _categorical_alternatives,
    _constant_outcome,
    _fit_continuous,
    _interval_outcome,
    _Outcome,
    _spaces,
    _too_few_outcome,
    _warn_status,
)
from .prepare import _atom_codes, _columns, _constant_column, _label, _note_ties
from .spaces import select_category_space


class Routes:
    """One ``GMMMI`` fit's routes under ``settings``: each method estimates a pair (or its
    part) and returns its outcome; the selected mixture(s), their selection scores and
    the bootstrap's mixtures are left in ``mixture``, ``mixtures``, ``cv_scores`` and
    ``bootstrap_mixtures``, and rows of categories too small to fit move from
    ``n_samples`` to ``n_dropped``."""

    def __init__(self, settings, n_samples, n_dropped):
        self.settings = settings
        self.n_samples, self.n_dropped = n_samples, n_dropped
        self.mixture, self.mixtures, self.cv_scores, self.bootstrap_mixtures = None, {}, {}, ()

    def detected(self, x, y, key, resample):
        """A continuous pair, or, when one variable of a pair has fewer than
        ``FEW_DISTINCT_VALUES`` distinct values (integer codes, a coarse grid), a
        categorical one: one mixture of the other per value (when two values hold
        enough rows), or the table of the two when both are such."""
        settings = self.settings
        needed = min_samples(x.shape[1] + y.shape[1], settings)
        if x.shape[1] + y.shape[1] > 2 or len(x) < needed:
            return self.pair(x, y, key, resample)
        constant = _constant_column({"x": x, "y": y}, settings.n_bootstrap)
        if constant:
            return constant
        counts = [check.value_counts(a[:, 0]) for a in (x, y)]  # one sort per variable
        discrete = [check.has_few_distinct_values(a, c) for a, c in zip((x, y), counts)]
        if all(discrete):
            return self.table(x[:, 0], y[:, 0], key, resample)
        if any(discrete):
            name = "x" if discrete[0] else "y"
            labels, values = (x, y) if discrete[0] else (y, x)
            codes, categories = check.labels(name, labels[:, 0])
            outcome = self.categorical(values, codes, categories, key, resample)
            if outcome.status != status.CATEGORY_TOO_SMALL:
                outcome.details["categorical"] = name
                outcome.details["tied"] = {"x": check.tied_share(x[:, 0]),
                                           "y": check.tied_share(y[:, 0])}
                return outcome
        labels = [check.atom_labels(a[:, 0], c) for a, c in zip((x, y), counts)]
        if labels[0] is None and labels[1] is not None:  # MI is symmetric: x has the atoms
            outcome = self.with_atoms(y, x, labels[1], None, key, resample, swapped=True)
        elif labels[0] is not None:
            outcome = self.with_atoms(x, y, *labels, key, resample)
        else:
            outcome = None
        return outcome if outcome is not None else self.pair(x, y, key, resample, counts)

    def with_atoms(self, x, y, a, b, key, resample, swapped=False):
        """MI of a pair with atoms (``a``, ``b``: each row's atom label, -1 for the
        continuous part; ``b`` None when y has none) from the chain rule's terms
        (``core.atoms``), each estimated on its own rows with its own key and the pair's
        resamples of those rows (so replicate b of every term draws the same rows); None
        when a term cannot be estimated (too few rows of a part), for the whole pair's fit."""
        settings = self.settings
        pieces = atoms.terms(a, b, ("y", "x") if swapped else ("x", "y"))
        for _, rows, kind in pieces:  # a part too small for its own fit: no split
            if kind in ("x-atoms", "y-atoms"):
                counts = np.bincount((a if kind == "x-atoms" else b)[rows] + 1)
                if counts[counts > 0].min() < min_samples(1, settings):
                    return None
        if pieces[-1][1].sum() < min_samples(2, settings):
            return None
        found = []
        for index, (name, rows, kind) in enumerate(pieces):
            part = key + (1000 + index,)
            drawn = resample.take(rows)
            if kind == "table":
                outcome = self.table(a, b, part, drawn)
            elif kind == "x-atoms":
                outcome = self.categorical(y[rows], *_atom_codes(a[rows]), part, drawn)
            elif kind == "y-atoms":
                outcome = self.categorical(x[rows], *_atom_codes(b[rows]), part, drawn)
            else:
                outcome = self.pair(x[rows], y[rows], part, drawn)
            if outcome.status in (status.TOO_FEW_SAMPLES, status.CATEGORY_TOO_SMALL) \
                    or not np.isfinite(outcome.value):
                return None
            found.append((name, rows, outcome))
        shares = [float(rows.mean()) for _, rows, _ in found]
        value, low, high, std, bootstrap = atoms.combined(
            shares, [o.value for *_, o in found], [o.low for *_, o in found],
            [o.high for *_, o in found], [o.bootstrap for *_, o in found],
            [rows for _, rows, _ in found])
        outcome = _Outcome(value, std, bootstrap, low, high,
                           n_components=max(o.n_components for *_, o in found))
        tied = [check.tied_share(x[:, 0]), check.tied_share(y[:, 0])]
        outcome.details = {
            "marginals": "atoms", "atoms": {
                name: {"share": share, "mi": o.value, "low": o.low, "high": o.high,
                       "status": o.status, "n_components": o.n_components}
                for (name, _, o), share in zip(found, shares)},
            "tied": dict(zip(("y", "x") if swapped else ("x", "y"), tied))}
        for name, _, part in found:
            if part.status not in (status.OK, status.CONSTANT):
                _warn_status(outcome, part.status, f"{name}: {part.message}")
                break
        self.mixture, self.mixtures, self.cv_scores, self.bootstrap_mixtures = None, {}, {}, ()
        return outcome

    def table(self, x, y, key, resample):
        """MI of two variables with few distinct values each, from their table
        (``information.table_mutual_information``), the bootstrap resampling its rows."""
        settings = self.settings
        x_codes, x_levels = check.labels("x", x)
        y_codes, y_levels = check.labels("y", y)
        cells = x_codes * len(y_levels) + y_codes
        shape = (len(x_levels), len(y_levels))
        table = np.bincount(cells, minlength=shape[0] * shape[1]).reshape((1,) + shape)
        selected = float(table_mutual_information(table)[0])
        values = np.array([selected])
        if settings.n_bootstrap:  # the rows' resample counts, in memory-bounded batches
            tables = np.stack([np.bincount(cells, weights=row, minlength=table[0].size)
                               for fits in bootstrap_batches(len(cells), settings.n_bootstrap)
                               for row in resample.counts(fits)])
            values = table_mutual_information(tables.reshape((-1,) + shape))
        outcome = _interval_outcome(values, settings.n_bootstrap, selected, (), [], 0, [], "",
                                    {"categorical": "both", "levels": list(shape)})
        outcome.details["marginals"] = "table"
        _note_ties(outcome, {"x": x[:, None], "y": y[:, None]}, "table")
        return outcome

    def pair(self, x, y, key, resample, counts=None):
        """MI of continuous x and y (each one or more columns) from one mixture of the
        pair, in the space of the marginals chosen for it (``counts``: each variable's
        value counts, when already made)."""
        settings = self.settings
        needed = min_samples(x.shape[1] + y.shape[1], settings)
        if len(x) < needed:
            return _too_few_outcome(len(x), needed)
        constant = _constant_column({"x": x, "y": y}, settings.n_bootstrap)
        if constant:
            return constant
        terms = mi_terms(x.shape[1] + y.shape[1], x.shape[1])
        outcome, selection, mixtures = _fit_continuous(
            _spaces(_columns(x, y), settings, key, counts),
            functools.partial(mutual_information, n_x=x.shape[1]), settings, key, resample,
            functools.partial(pointwise_combination, terms=terms))
        self.mixture = Mixture(*(p[0] for p in selection.params))
        self.cv_scores = selection.scores
        self.bootstrap_mixtures = mixtures if settings.n_bootstrap else ()
        _note_ties(outcome, {"x": x, "y": y}, outcome.details["marginals"], counts)
        return outcome

    def categorical(self, x, codes, categories, key, resample):
        """MI of continuous x and category ``codes`` (of ``categories``); a category with
        too few rows for its own mixture is left out, with its rows."""
        settings = self.settings
        needed = min_samples(x.shape[1], settings)
        if len(x) < needed:
            return _too_few_outcome(len(x), needed)
        constant = _constant_column({"x": x}, settings.n_bootstrap)
        if constant:
            return constant
        present = np.unique(codes)
        if len(present) < 2:
            return _constant_outcome("y", 0.0, settings.n_bootstrap)
        counts = np.bincount(codes, minlength=len(categories))
        small = [c for c in present if counts[c] < needed]
        left_out = ""
        if small:
            listed = ", ".join(f"{categories[c]!r} ({counts[c]})" for c in small)
            if len(present) - len(small) < 2:
                return _Outcome(status=status.CATEGORY_TOO_SMALL, message=(
                    f"fewer than two categories have the {needed} samples a mixture needs: "
                    f"{listed}"))
            # a rare class costs its own rows, not the pair
            fitted = ~np.isin(codes, small)
            x, codes, present = x[fitted], codes[fitted], present[~np.isin(present, small)]
            resample = resample.take(fitted)
            self.n_samples -= int(counts[small].sum())
            self.n_dropped += int(counts[small].sum())
            left_out = (f"categor{'y' if len(small) == 1 else 'ies'} {listed} left out "
                        f"(fewer than {needed} samples to fit): {int(counts[small].sum())} "
                        f"rows dropped")
        outcome = self.categories(x, codes, present, categories, key, resample)
        if left_out:
            outcome.message = f"{outcome.message}; {left_out}" if outcome.message else left_out
        return outcome

    def categories(self, x, codes, present, categories, key, resample):
        """Categorical MI from one mixture per category of ``present``, each big enough."""
        settings = self.settings
        marginals, xs, selections = select_category_space(_spaces(_columns(x), settings, key),
                                                      codes, present, settings, key)
        n_max = max(s.params[0].shape[1] for s in selections)
        starts = tuple(np.stack([pad_components(s.params[i][0], n_max) for s in selections])
                       for i in range(3))
        masks = codes[None, :] == present[:, None]
        shares = masks.sum(axis=1) / len(xs)
        selected = float(categorical_mutual_information(
            tuple(p[None] for p in starts), shares[None], **settings.integration_kwargs(key))[0])
        linear = linear_bootstrap_applies(len(xs), settings)
        if settings.n_bootstrap and linear:
            mixtures = tuple(p[None] for p in starts)
            pointwise = categorical_pointwise(xs, np.searchsorted(present, codes), mixtures,
                                              shares[None])
            values = linear_bootstrap(pointwise[0], selected, settings.n_bootstrap, resample)
        elif settings.n_bootstrap:
            mixtures, proportions = refit_categories_bootstrap(xs, masks, settings.n_bootstrap,
                                                               resample, starts, settings)
            values = categorical_mutual_information(mixtures, proportions,
                                                    **settings.integration_kwargs(key))
        else:
            mixtures, values = tuple(p[None] for p in starts), np.array([selected])
        alternatives, plausible, edge = _categorical_alternatives(
            xs, codes, present, selections, shares, settings, key)
        per_category = {_label(categories[c]): int(np.count_nonzero(s.params[0][0]))
                        for c, s in zip(present, selections)}
        labels = [_label(categories[c]) for c in present]
        outcome = _interval_outcome(
            values, settings.n_bootstrap, selected, plausible, edge, max(per_category.values()),
            alternatives,
            "K per category (" + ", ".join(map(str, per_category.values())) + ")",
            {"n_components_per_category": per_category,
             "plausible_components_per_category": {
                 label: sorted(s.plausible) for label, s in zip(labels, selections)}})
        self.mixtures = {categories[c]: Mixture(*(p[0] for p in s.params))
                         for c, s in zip(present, selections)}
        self.cv_scores = {categories[c]: s.scores for c, s in zip(present, selections)}
        self.bootstrap_mixtures = mixtures if settings.n_bootstrap and not linear else ()
        if any(s.max_reached for s in selections):
            _warn_status(outcome, status.MAX_COMPONENTS,
                         f"selection reached max_components={settings.max_components}")
        outcome.details["marginals"] = marginals
        _note_ties(outcome, {"x": x}, marginals)
        return outcome
