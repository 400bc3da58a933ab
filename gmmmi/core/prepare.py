"""A pair's columns made ready: named, finite rows, constant columns, ties noted, labels
made JSON-friendly, the settings of the functions checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import status
from . import validation as check
from .outcome import _constant_outcome, _Outcome, _warn_status
from .settings import check_options
from .spaces import (
    RANK_SPACES,
)

if TYPE_CHECKING:
    pass


def _atom_codes(labels):
    """(codes, categories) of atom labels for ``routes.Routes.categorical``: the distinct
    labels, -1 (the continuous part) first, as codes 0, 1, ..."""
    categories, codes = np.unique(labels, return_inverse=True)
    return codes.ravel(), categories.tolist()


def _finite_rows(array):
    """Rows of a (n, d) array with every value finite (a view's test: no copy of the data)."""
    return np.isfinite(array[:, 0]) if array.shape[1] == 1 else np.isfinite(array).all(axis=1)


def _columns(*arrays):
    """The columns of (n, d) arrays, as a list of 1-D views."""
    return [a[:, j] for a in arrays for j in range(a.shape[1])]


def _name(name, array, j):
    return name if array.shape[1] == 1 else f"{name}[:, {j}]"


def _constant_column(named, n_bootstrap=0):
    """For a constant variable: MI 0 (a single variable: nothing to share) or no estimate
    (a column of a vector: the others may still share information; drop it)."""
    for name, array in named.items():
        for j in range(array.shape[1]):
            if np.ptp(array[:, j]) == 0:
                if array.shape[1] == 1:
                    return _constant_outcome(name, 0.0, n_bootstrap)
                return _Outcome(status=status.CONSTANT, message=(
                    f"{_name(name, array, j)} is constant; leave that column out"))
    return None


def _note_ties(outcome, named, marginals, counts=None):
    """Each column's share of tied values in ``details["tied"]``; a column with an atom
    fitted outside the rank spaces (which break ties) makes the status
    ``few-distinct-values``: there an atom is a single point, read as dependence.
    ``counts``: each column's ``validation.value_counts``, in order, when known."""
    columns = [(name, array, j) for name, array in named.items() for j in range(array.shape[1])]
    counts = counts or [None] * len(columns)
    tied = {_name(name, array, j): check.tied_share(array[:, j], c)
            for (name, array, j), c in zip(columns, counts)}
    outcome.details["tied"] = tied
    if marginals in RANK_SPACES or marginals == "table":
        return
    for (name, array, j), c in zip(columns, counts):
        if check.has_atoms(array[:, j], c):
            _warn_status(outcome, status.FEW_DISTINCT_VALUES,
                         f"{_name(name, array, j)} has tied values (an atom of "
                         f"{tied[_name(name, array, j)]:.0%} of its rows), which "
                         f"marginals='{marginals}' keeps as points: 'rank' or 'auto' "
                         f"breaks them")
            return


def _label(value):
    """A JSON-friendly form of a category label."""
    return value.item() if isinstance(value, np.generic) else (
        value if isinstance(value, (str, int, float, bool)) else str(value))


def _prepare_columns(named, n_bootstrap, seed, unit, settings, vectors=()):
    """Settings, the finite rows of the variables' columns side by side, the rows dropped,
    and each variable's number of columns (``vectors``: the names that may have several)."""
    settings = check_options(unit, n_bootstrap=n_bootstrap, seed=seed, **settings)
    check.same_index(named)
    arrays = {name: check.continuous(name, values, allow_columns=True)
              if name in vectors else check.continuous(name, values)[:, None]
              for name, values in named.items()}
    check.same_length(arrays)
    data = np.column_stack(list(arrays.values()))
    keep = np.isfinite(data).all(axis=1)
    return (settings, data[keep], int(len(data) - keep.sum()),
            {name: a.shape[1] for name, a in arrays.items()})
