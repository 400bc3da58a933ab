"""Where a planned pair's values come from: a dataset on disk or data in memory.

Both give a pair's x and y the same way (:meth:`values`): one variable's column, or a
set's members side by side (:func:`stacked`), so a pair's numbers do not depend on which
path estimated it. What a pair's task is given (:meth:`inputs`) is its two arrays, for
data in memory (sent to a cluster once, :meth:`MemoryColumns.on`), or a :class:`_Stored`
reference that the task reads on its worker (:func:`resolved`).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..data.dataset import DatasetError, variable, variable_fingerprint
from ..data.store import read_xarray
from .memory import COLUMN_CACHE_BYTES

# Per process: a chunk's pairs share their variables, and the store is opened once.
_COLUMNS = {}
_OPENED = {}


class ColumnSource(Protocol):
    """What :func:`gmmmi.analysis.estimate.estimate_pairs` reads pairs from:
    :class:`StoredColumns` (the workflow's dataset) or :class:`MemoryColumns`
    (``mi_matrix``'s data)."""

    def values(self, pair, axis: str) -> np.ndarray:
        """x or y (``axis``) of ``pair``: one column, or a set's members side by side."""

    def inputs(self, pair) -> tuple:
        """What a task estimating ``pair`` is given (arrays, futures or references that
        :func:`resolved` turns into arrays)."""

    def on(self, client) -> "ColumnSource":
        """This source as the tasks of ``client``'s cluster see it."""


def stacked(pair, axis, column):
    """x or y of ``pair``: ``column(group, name, fingerprint, kind)``, or a set's
    members' columns side by side."""
    members = getattr(pair, f"members_{axis}")
    if members:
        return np.column_stack([column(g, n, f, "continuous") for g, n, f in members])
    return column(*(getattr(pair, f"{field}_{axis}")
                    for field in ("group", "name", "fingerprint", "kind")))


@dataclass(frozen=True)
class _Stored:
    """x or y of ``pair`` in the dataset ``columns`` stands for, read where it is used."""

    columns: "StoredColumns"
    pair: object
    axis: str

    def read(self):
        return self.columns.values(self.pair, self.axis)


def resolved(value):
    """The array a task input stands for (a :class:`_Stored` is read, an array is itself)."""
    return value.read() if isinstance(value, _Stored) else value


class StoredColumns:
    """The variables of the dataset stored at ``path``, each checked against the
    fingerprint the plan recorded; read once per process (up to ``COLUMN_CACHE_BYTES``)."""

    def __init__(self, path):
        self.path = str(Path(path).resolve())  # workers of an external cluster start elsewhere

    def values(self, pair, axis):
        return stacked(pair, axis, self.column)

    def inputs(self, pair):
        """What a task estimating ``pair`` is given: references it reads itself."""
        return _Stored(self, pair, "x"), _Stored(self, pair, "y")

    def on(self, client):
        """This source as the cluster's tasks see it: each worker reads the store."""
        return self

    def column(self, group, name, fingerprint, kind):
        """One variable's values, checked against ``fingerprint``.

        The store is opened (and its chunks checked) once per process; when a read fails
        or does not match, the handle may be stale (the store rewritten since), so it is
        reopened once first.
        """
        key = (self.path, group, name, fingerprint)
        if key not in _COLUMNS:
            try:
                values = self._read(group, name)
            except DatasetError:
                values = None
            if values is None or variable_fingerprint(values, kind) != fingerprint:
                _OPENED.pop(self.path, None)
                values = self._read(group, name)
                if variable_fingerprint(values, kind) != fingerprint:
                    raise DatasetError(f"{self.path}: {group}/{name} changed since the plan "
                                       f"was made; run the workflow again")
            if sum(v.nbytes for v in _COLUMNS.values()) + values.nbytes > COLUMN_CACHE_BYTES:
                _COLUMNS.clear()
            _COLUMNS[key] = values
        return _COLUMNS[key]

    def _read(self, group, name):
        if self.path not in _OPENED:
            _OPENED[self.path] = read_xarray(self.path)
        return variable(_OPENED[self.path], group, name, self.path)


class MemoryColumns:
    """Pairs' values held in memory: ``arrays`` maps (group, name) of a pair's x or y to
    its values (or, once sent to a cluster, their futures)."""

    def __init__(self, arrays):
        self.arrays = arrays

    @classmethod
    def of(cls, ds, pairs):
        """The values of ``pairs`` of the Dataset ``ds`` (a set's members stacked once,
        whatever the number of its pairs)."""
        arrays = {}
        for pair in pairs:
            for axis in "xy":
                if _key(pair, axis) not in arrays:
                    arrays[_key(pair, axis)] = stacked(
                        pair, axis, lambda g, n, f, k: variable(ds, g, n))
        return cls(arrays)

    def values(self, pair, axis):
        return self.arrays[_key(pair, axis)]

    def inputs(self, pair):
        """What a task estimating ``pair`` is given: its two arrays (or their futures)."""
        return self.values(pair, "x"), self.values(pair, "y")

    def on(self, client):
        """This source with every array sent to the cluster once (futures in its place)."""
        return MemoryColumns(dict(zip(self.arrays, client.scatter(list(self.arrays.values()),
                                                                  hash=False))))


def _key(pair, axis):
    return getattr(pair, f"group_{axis}"), getattr(pair, f"name_{axis}")
