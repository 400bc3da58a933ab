"""Checking and cleaning the arrays given to the estimators.

Every problem is a ``ValueError`` with a one-line message naming the input.
"""

import math

import numpy as np

# A continuous variable with fewer distinct values than this (and repeated values) is
# discrete: a pair estimates it as categories (``routes.Routes.detected``).
FEW_DISTINCT_VALUES = 20
# A value held by at least this many rows and this share of them is an atom (``has_atoms``).
ATOM_ROWS = 3
ATOM_SHARE = 1e-3
# An atom of at least this share of the rows (and ``SPLIT_ATOM_ROWS`` rows) is split from
# the variable's continuous part by the chain rule (``atom_labels``, ``core.atoms``);
# smaller ones are tie blocks of the ranks, whose edges cost little.
SPLIT_ATOM_SHARE = 0.05
SPLIT_ATOM_ROWS = 20


def continuous(name, values, allow_columns=False):
    """A float64 array of ``values``: 1-D, or 2-D (n_samples, n_columns) if allowed.

    A numpy masked array's masked values are missing (NaN), not their stored numbers."""
    if hasattr(values, "tocsr") or hasattr(values, "todense"):  # scipy.sparse
        raise ValueError(f"{name}: sparse data is not supported; pass a dense array "
                        "(.toarray())")
    try:
        if np.ma.isMaskedArray(values):
            values = np.ma.asarray(values, dtype=np.float64).filled(np.nan)
        elif hasattr(values, "to_numpy"):  # pandas: pd.NA of the nullable dtypes missing
            try:
                values = values.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                values = values.to_numpy()
        array = np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} cannot be read as an array: {exc}") from None
    if array.dtype.kind not in "biuf":
        if array.dtype.kind in "mM":
            raise ValueError(f"{name} holds dates or durations: convert them to numbers "
                             f"first (e.g. seconds)")
        if array.dtype.kind == "c":
            raise ValueError(f"{name}: Complex data not supported (real numbers only)")
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numeric, got values of type {array.dtype}") from None
    array = array.astype(np.float64, copy=False)
    if allow_columns and array.ndim == 1:
        array = array[:, None]
    expected = 2 if allow_columns else 1
    if array.ndim != expected:
        shape = "x".join(map(str, array.shape)) or "scalar"
        want = "2-D (samples x variables)" if allow_columns else "1-D"
        raise ValueError(f"{name} must be {want}, got an array of shape {shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if allow_columns and array.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={array.shape}) while a minimum "
                         "of 1 is required.")
    return array


def same_index(named):
    """Refuse pandas inputs whose indexes differ: paired by position, their rows would
    not be the same samples."""
    indexed = {name: v.index for name, v in named.items() if hasattr(v, "index")
               and hasattr(v.index, "equals")}
    names = list(indexed)
    for name in names[1:]:
        if not indexed[name].equals(indexed[names[0]]):
            raise ValueError(f"{names[0]} and {name} have different pandas indexes, so their "
                             f"rows are not the same samples: align them first "
                             f"({names[0]}, {name} = {names[0]}.align({name}, join='inner'))")


def labels(name, values):
    """Integer codes and the sorted distinct labels of a categorical ``values``.

    Labels may be of any hashable kind; None, float NaN, pandas' NA and the masked values of
    a numpy masked array mean missing (code -1).
    """
    if np.ma.isMaskedArray(values):
        values = np.where(np.ma.getmaskarray(values), None, np.ma.getdata(values).astype(object))
    elif hasattr(values, "to_numpy") and hasattr(values, "dtype"):  # pandas: pd.NA missing
        values = values.to_numpy(dtype=object, na_value=None)
    try:
        array = np.asarray(values)
    except Exception as exc:
        raise ValueError(f"{name} cannot be read as an array: {exc}") from None
    if array.ndim != 1:
        shape = "x".join(map(str, array.shape)) or "scalar"
        raise ValueError(f"{name} must be 1-D, got an array of shape {shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if array.dtype.kind in "biuf":  # numbers: without a Python object per sample
        present = ~np.isnan(array) if array.dtype.kind == "f" else np.ones(len(array), bool)
        categories, inverse = np.unique(array[present], return_inverse=True)
        codes = np.full(len(array), -1, dtype=np.int64)
        codes[present] = inverse
        return codes, categories.tolist()
    items = array.tolist()
    missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in items]
    try:
        distinct = {v for v, m in zip(items, missing) if not m}
    except TypeError:
        raise ValueError(f"{name} holds labels that cannot be hashed") from None
    try:
        categories = sorted(distinct)
    except TypeError:
        categories = sorted(distinct, key=repr)
    index = {label: i for i, label in enumerate(categories)}
    codes = np.array([-1 if m else index[v] for v, m in zip(items, missing)], dtype=np.int64)
    return codes, categories


def same_length(named):
    """Raise unless all arrays in ``named`` ({name: array}) have the same length."""
    lengths = {name: len(a) for name, a in named.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise ValueError(f"inputs have different numbers of samples: {listed}")


def _columns(array):
    """The columns of a 2-D array, or the arrays of a list of 1-D ones."""
    return list(array.T) if isinstance(array, np.ndarray) else list(array)


def has_ties(column):
    """Whether some value of a 1-D array occurs more than once."""
    ordered = np.sort(column)
    return bool(np.any(ordered[1:] == ordered[:-1]))


def value_counts(column):
    """How many rows hold each distinct value of a 1-D array (in the values' order): one
    sort, which the checks of ties below share (``counts``) rather than sort again."""
    ordered = np.sort(column)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    return np.diff(np.append(starts, len(ordered)))


def has_atoms(column, counts=None):
    """Whether some value of a 1-D array holds at least ``ATOM_ROWS`` rows and
    ``ATOM_SHARE`` of them: an atom a fit of the values as they are would read as a spike
    (a ReLU unit's zeros, integer codes), not the odd pair of equal values of float32
    data. ``counts``: its ``value_counts``, when known."""
    counts = value_counts(column) if counts is None else counts
    return bool(counts.max() >= max(ATOM_ROWS, ATOM_SHARE * len(column)))


def atom_labels(column, counts=None):
    """Which atom each value of a 1-D array is (0, 1, ...), or -1 for its other values,
    an atom being a value held by ``SPLIT_ATOM_SHARE`` of the rows or more (and
    ``SPLIT_ATOM_ROWS``); None when there is none. ``counts`` as for ``has_atoms``."""
    least = max(SPLIT_ATOM_ROWS, SPLIT_ATOM_SHARE * len(column))
    if (value_counts(column) if counts is None else counts).max() < least:
        return None  # the common case, without the inverse's cost (4x the sort's at 10^6)
    _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
    big = counts >= least
    label = np.full(len(counts), -1, dtype=np.int64)
    label[big] = np.arange(int(big.sum()))
    return label[inverse.ravel()]


def tied_share(column, counts=None):
    """The share of a 1-D array's values that another value equals (the mass of its
    atoms: 0 for a continuous variable, a ReLU unit's share of zeros, 1 for codes).
    ``counts`` as for ``has_atoms``."""
    counts = value_counts(column) if counts is None else counts
    return float(counts[counts > 1].sum() / len(column))


def repeated_rows(array, min_distinct=None):
    """The rows of ``array`` (n, d, or a list of 1-D columns) that repeat an earlier row,
    where the repeat is a copy
    rather than an atom: some column with at least ``min_distinct`` distinct values
    (``FEW_DISTINCT_VALUES``) holds a value that occurs in no other row than the copies.
    A boolean mask (True: a later copy), or None when there are none.

    Oversampled or augmented data repeat rows of continuous variables: each copy adds no
    information, but a fit would count it as a new sample (its held-out folds share the
    copies, its bootstrap under-states the spread). Two ReLU units that are both 0 also
    repeat a row, (0, 0), but 0 occurs in other rows too: an atom, kept.
    """
    min_distinct = FEW_DISTINCT_VALUES if min_distinct is None else min_distinct
    columns = _columns(array)
    if not all(has_ties(column) for column in columns):
        return None  # a column without ties has no repeated row: no copy of the data
    array = np.column_stack(columns)
    _, first, group, size = np.unique(array, axis=0, return_index=True,
                                      return_inverse=True, return_counts=True)
    group = group.ravel()
    copied = size[group] > 1
    if not copied.any():
        return None
    own = np.zeros(len(array), dtype=bool)
    for column in array.T:
        _, value, count = np.unique(column, return_inverse=True, return_counts=True)
        if len(count) >= min_distinct:
            own |= count[value.ravel()] == size[group]
    later = np.ones(len(array), dtype=bool)
    later[first] = False
    repeats = copied & own & later
    return repeats if repeats.any() else None


def is_constant(array):
    return bool(np.any(np.ptp(array, axis=0) == 0))


def has_few_distinct_values(array, counts=None):
    """Whether a column looks discrete: few distinct values, some repeated (``counts``:
    a 1-D array's ``value_counts``, when known)."""
    if counts is not None:
        return len(counts) < min(FEW_DISTINCT_VALUES, len(array))
    for column in np.atleast_2d(array.T):
        n_distinct = len(np.unique(column))
        if n_distinct < min(FEW_DISTINCT_VALUES, len(column)):
            return True
    return False


def is_number(text):
    """Whether a cell of a text table reads as a number (a header cell does not)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def first_line(exc):
    """The first line of an exception's message, for one-line error reports."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
