"""The MI matrix of an analysis, ``results/<analysis>/mi.zarr``: built, written, read.

One xarray Dataset on dims ``var_x`` × ``var_y`` (and ``bootstrap``), in nats:

- ``mi``, ``mi_std``, ``mi_low``/``mi_high`` (the 95% interval), ``mi_bootstrap``;
- ``n_components``, ``status`` (a word of :mod:`gmmmi.status`), ``message``,
  ``n_samples``, ``n_dropped``, ``seconds``, ``model`` (the selected mixtures and CV
  scores, JSON per cell);
- optional ``true_mi`` (when the dataset stores the truth) and ``entropy_x``/``entropy_y``
  (categorical variables);
- coordinates ``group_*``, ``kind_*``, ``fingerprint_*`` per variable, and ``tied_*``:
  the share of a continuous variable's values that another row shares (ReLU zeros,
  integer codes; NaN for categorical variables and sets), as its pairs measured it;
  attributes
  ``analysis``, ``kind`` (:mod:`gmmmi.analysis.kinds`), ``symmetric``, ``settings`` (JSON),
  ``fingerprint``, ``gmmmi_version``, ``dataset``, ``created``, ``chunk_seconds``,
  ``computed_pairs``, ``bootstrap``: "joint" when replicate b of every pair resampled
  the same rows (each pair's ``resample_seed`` is the analysis seed), so that replicate
  b of the whole matrix is a matrix of its own (:func:`replicates`);
  "per pair" for a matrix of pairs cached by an earlier gmmmi.

:func:`build` makes it from pair results, :func:`write` stores it, :func:`read` opens
one with a one-line error for anything else; :func:`intervals`, :func:`strings` and
:func:`model` read its cells, :func:`replicates` its bootstrap as whole matrices,
:func:`data_column` the data of one of its variables.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__, status
from ..data.dataset import DatasetError, variable, variable_fingerprint
from ..data.store import read_xarray, write_dataset
from . import kinds

if TYPE_CHECKING:
    import os

    import pandas as pd
    import xarray as xr

VARIABLES = ("mi", "mi_std", "status", "mi_bootstrap", "var_x", "var_y")
# The group (and kind) of a set of variables in a sets analysis (gmmmi.analysis.plan).
SET = "set"
DIMS = ("var_x", "var_y")


def build(analysis, kind, settings, xs, ys, rows, *, truth=None, entropies=None,
          sets=None, attrs=None):
    """The matrix of one analysis.

    ``xs``, ``ys``: the (group, name) of each row and column; ``rows``: one pair result
    each (``{"pair": Pair fields, "value", "std", "low", "high", "bootstrap", ...}``; a
    symmetric matrix fills both cells). ``truth``: the known MI per cell, or None;
    ``entropies``: {"x" or "y": entropy per variable (NaN for continuous ones)};
    ``sets``: {set name: ["group/name", ...]} of a sets analysis, kept as ``members_x``
    (and ``members_y``, for the sets among the columns).
    """
    import xarray as xr

    symmetric = xs == ys
    ix = {v: i for i, v in enumerate(xs)}
    iy = {v: i for i, v in enumerate(ys)}
    shape = (len(xs), len(ys))
    mi, std = np.full(shape, np.nan), np.full(shape, np.nan)
    low, high = np.full(shape, np.nan), np.full(shape, np.nan)
    boot = np.full(shape + (settings["n_bootstrap"],), np.nan)
    n_components = np.zeros(shape, dtype=np.int64)
    n_samples = np.zeros(shape, dtype=np.int64)
    n_dropped = np.zeros(shape, dtype=np.int64)
    seconds = np.zeros(shape)
    statuses = np.full(shape, status.DIAGONAL if symmetric else
                       status.NOT_ADJACENT if kind == kinds.FLOW else status.NOT_ESTIMATED,
                       dtype=object)
    message = np.full(shape, "", dtype=object)
    models = np.full(shape, "", dtype=object)
    fingerprints, variable_kinds, tied = {}, {}, {}
    for row in rows:
        p = row["pair"]
        key_x, key_y = (p["group_x"], p["name_x"]), (p["group_y"], p["name_y"])
        fingerprints[key_x], fingerprints[key_y] = p["fingerprint_x"], p["fingerprint_y"]
        variable_kinds[key_x], variable_kinds[key_y] = p["kind_x"], p["kind_y"]
        shares = (row.get("details") or {}).get("tied") or {}
        # the estimator's x is the continuous variable: the pair's y when x is categorical
        sides = [(key_y, "x")] if p["kind_x"] == "categorical" else [(key_x, "x"), (key_y, "y")]
        for key, side in sides:
            if side in shares and shares[side] is not None:
                tied.setdefault(key, float(shares[side]))
        cells = [(ix[key_x], iy[key_y])]
        if symmetric:
            cells.append((ix[key_y], iy[key_x]))
        for i, j in cells:
            mi[i, j] = _number(row["value"])
            std[i, j] = _number(row["std"])
            low[i, j] = _number(row.get("low"))
            high[i, j] = _number(row.get("high"))
            if len(row["bootstrap"]) == boot.shape[-1]:
                boot[i, j] = [_number(v) for v in row["bootstrap"]]
            elif row["bootstrap"]:  # none (a pair not estimated) leaves NaN
                raise ValueError(
                    f"{p['name_x']} x {p['name_y']}: {len(row['bootstrap'])} bootstrap values "
                    f"where the analysis asks for {boot.shape[-1]}; run the workflow again")
            n_components[i, j] = row["n_components"]
            n_samples[i, j] = row["n_samples"]
            n_dropped[i, j] = row["n_dropped"]
            statuses[i, j] = row["status"]
            message[i, j] = row["message"]
            seconds[i, j] = row["seconds"]
            models[i, j] = json.dumps(row["model"]) if row["model"] else ""
    coords = {
        "var_x": np.array([n for _, n in xs], dtype=str),  # str: see _names_as
        "var_y": np.array([n for _, n in ys], dtype=str),
        "group_x": ("var_x", np.array([g for g, _ in xs], dtype=object)),
        "group_y": ("var_y", np.array([g for g, _ in ys], dtype=object)),
        "kind_x": ("var_x", np.array([variable_kinds.get(v, "") for v in xs], dtype=object)),
        "kind_y": ("var_y", np.array([variable_kinds.get(v, "") for v in ys], dtype=object)),
        "fingerprint_x": ("var_x", np.array([fingerprints.get(v, "") for v in xs], dtype=object)),
        "fingerprint_y": ("var_y", np.array([fingerprints.get(v, "") for v in ys], dtype=object)),
        "tied_x": ("var_x", np.array([tied.get(v, np.nan) for v in xs], dtype=np.float64)),
        "tied_y": ("var_y", np.array([tied.get(v, np.nan) for v in ys], dtype=np.float64)),
    }
    if sets:
        for axis, variables in (("x", xs), ("y", ys)):
            coords[f"members_{axis}"] = (f"var_{axis}", np.array(
                [", ".join(sets.get(n, [])) if g == SET else "" for g, n in variables],
                dtype=object))
    content = hashlib.sha256(json.dumps(sorted(
        f"{g}/{n}:{f}" for (g, n), f in fingerprints.items())).encode()).hexdigest()
    result = xr.Dataset(
        {"mi": (DIMS, mi, {"unit": "nat", "long_name": "mutual information"}),
         "mi_std": (DIMS, std, {"unit": "nat", "long_name": "standard deviation (at least "
                                "the 95% interval's half width / 1.96)"}),
         "mi_low": (DIMS, low, {"unit": "nat", "long_name": "lower end of the 95% interval"}),
         "mi_high": (DIMS, high, {"unit": "nat", "long_name": "upper end of the 95% interval"}),
         "mi_bootstrap": (DIMS + ("bootstrap",), boot, {"unit": "nat"}),
         "n_components": (DIMS, n_components),
         "status": (DIMS, statuses),
         "n_samples": (DIMS, n_samples),
         "n_dropped": (DIMS, n_dropped),
         "message": (DIMS, message, {"long_name": "why the status is not ok"}),
         "seconds": (DIMS, seconds, {"unit": "s", "long_name": "time to estimate the pair"}),
         "model": (DIMS, models, {"long_name": "selected mixtures and CV scores (JSON)"})},
        coords=coords,
        attrs={"analysis": analysis, "gmmmi_version": __version__,
               "settings": json.dumps(settings, sort_keys=True), "fingerprint": content,
               "symmetric": int(symmetric), "unit": "nat", "kind": kind,
               "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "computed_pairs": sum(bool(row.get("computed")) for row in rows),
               "bootstrap": _bootstrap_kind(settings, rows)}
        | (attrs or {}))
    if truth is not None:
        result["true_mi"] = (DIMS, truth, {"unit": "nat", "long_name": "known true MI"})
    for axis, values in (entropies or {}).items():
        result[f"entropy_{axis}"] = (f"var_{axis}", values, {
            "unit": "nat", "long_name": "entropy of the categorical variable"})
    return result


def _bootstrap_kind(settings, rows):
    """"joint" when every pair's replicates resampled the rows the analysis seed draws."""
    seed = settings.get("seed")
    joint = seed is not None and all((row.get("settings") or {}).get("resample_seed") == seed
                                     for row in rows if row.get("bootstrap"))
    return "joint" if joint else "per pair"


def write(matrix: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = True) -> None:
    """Store ``matrix`` at ``path`` (Zarr, atomically); names as variable-length strings,
    the type Zarr 3 specifies."""
    write_dataset(_names_as(matrix, object), path, overwrite=overwrite)


def read(path: str | os.PathLike) -> xr.Dataset:
    """An ``mi.zarr`` written by :func:`write`; one-line error for anything else.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> from gmmmi.analysis.matrix import write
    >>> rng = np.random.default_rng(0)
    >>> data = {"z": rng.normal(size=(500, 2)), "f": rng.integers(0, 2, 500)}
    >>> write(gmmmi.mi_matrix(data, "z", "f", n_bootstrap=4, progress=False), "mi.zarr")
    >>> m = gmmmi.open_matrix("mi.zarr")  # results/<analysis>/mi.zarr of the workflow
    >>> m.sizes["var_x"], m.attrs["bootstrap"]
    (2, 'joint')
    """
    if not isinstance(path, (str, bytes)) and not hasattr(path, "__fspath__"):
        raise DatasetError(f"expected an MI matrix (an xarray Dataset of gmmmi.mi_matrix, or "
                           f"the path of an mi.zarr), got {type(path).__name__}")
    return _names_as(checked(read_xarray(path), path), str)


def checked(matrix, source="the matrix"):
    """``matrix`` when it is an MI matrix (a Dataset with :data:`VARIABLES`); else a
    one-line :class:`DatasetError` naming ``source``."""
    import xarray as xr

    if not isinstance(matrix, xr.Dataset):
        raise DatasetError(f"expected an MI matrix (an xarray Dataset of gmmmi.mi_matrix, or "
                           f"the path of an mi.zarr), got {type(matrix).__name__}")
    missing = [name for name in VARIABLES if name not in matrix.variables]
    if missing:
        raise DatasetError(f"{source}: not an MI matrix (no {missing[0]!r}; a matrix is "
                           f"results/<analysis>/mi.zarr, not a dataset)")
    return matrix


def _names_as(matrix, dtype):
    """The matrix with its variable names as ``str`` (xarray's ``.plot()`` takes them as
    labels) or ``object`` (for storage)."""
    return matrix.assign_coords({dim: np.array([str(v) for v in matrix[dim].values.tolist()],
                                               dtype=dtype) for dim in DIMS})


def intervals(matrix):
    """(low, high) arrays of every cell's 95% interval.

    Matrices gathered before the interval was stored get the bootstrap's percentiles.
    """
    if "mi_low" in matrix:
        return matrix["mi_low"].values, matrix["mi_high"].values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cells without bootstrap
        low, high = np.nanpercentile(matrix["mi_bootstrap"].values, [2.5, 97.5], axis=-1)
    return low, high


def joint(matrix):
    """Whether the matrix's replicates are joint (every pair resampled the same rows):
    matrices gathered by an earlier gmmmi resampled each pair on its own."""
    return matrix.attrs.get("bootstrap") == "joint"


def replicates(matrix, *, stretched=True):
    """The matrix's bootstrap replicates, (n_replicates, n_rows, n_columns) in nats.

    Replicate b of every cell resampled the same rows when the matrix is :func:`joint`,
    so a replicate is the matrix another sample of the same rows would give. Cells
    without an estimate are NaN in every replicate; a replicate that lacks a cell the
    matrix has (a pair with fewer replicates) is left out.

    ``stretched``: each cell's replicates are stretched about its value, below and
    above it apart, until their central 95% reaches the cell's interval. The interval
    is wider than the bootstrap's spread where the fit's own randomness adds to it (an
    under-resolved choice of K, a capped fit); stretched, every function of the
    replicates carries that too, while the replicates keep their order, so the cells'
    joint movement is kept.
    """
    mi = matrix["mi"].values
    if "mi_bootstrap" not in matrix:
        return np.empty((0,) + mi.shape)
    boot = np.moveaxis(matrix["mi_bootstrap"].values, -1, 0)
    present = np.isfinite(mi)
    usable = np.isfinite(boot)[:, present].all(axis=1) if present.any() else \
        np.zeros(len(boot), bool)
    found = np.where(present, boot, np.nan)[usable]
    if not stretched or len(found) < 2 or "mi_low" not in matrix:
        return found
    low, high = intervals(matrix)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # cells without an estimate
        reach_low, reach_high = np.nanpercentile(found, [2.5, 97.5], axis=0)
        below = np.where(mi > reach_low, np.fmax(1.0, (mi - low) / (mi - reach_low)), 1.0)
        above = np.where(reach_high > mi, np.fmax(1.0, (high - mi) / (reach_high - mi)), 1.0)
    return mi + (found - mi) * np.where(found < mi, below, above)


def strings(matrix, name):
    """A variable or coordinate of text as str: a list (1-D) or an object array (2-D)."""
    values = matrix[name].values
    if values.ndim == 1:
        return [str(v) for v in values.tolist()]
    return np.array([[str(v) for v in row] for row in values.tolist()], dtype=object)


def model(matrix, i, j):
    """The selected mixture(s) and CV scores of cell (i, j), or None."""
    if "model" not in matrix:
        return None
    text = str(matrix["model"].values[i, j])
    return json.loads(text) if text else None


def data_column(matrix, source, axis, index):
    """The values of variable ``index`` of the matrix's rows (``axis`` "x") or columns
    ("y") in ``source``, the dataset it was estimated from, checked by its fingerprint."""
    group = str(matrix[f"group_{axis}"].values[index])
    name = str(matrix[f"var_{axis}"].values[index])
    try:
        values = variable(source, group, name, "the dataset")
    except DatasetError as exc:
        raise DatasetError(f"{exc}; pass the dataset the matrix was estimated from") from None
    expected = str(matrix[f"fingerprint_{axis}"].values[index]) \
        if f"fingerprint_{axis}" in matrix.coords else ""
    kind = str(matrix[f"kind_{axis}"].values[index])
    if expected and variable_fingerprint(values, kind) != expected:
        raise DatasetError(f"{group}/{name} differs from the data the matrix was estimated "
                           f"from; rerun the analysis or pass the right dataset")
    return values


def data_columns(matrix, source, axis):
    """All of the matrix's row (``axis`` "x") or column variables from ``source``, the
    dataset: an array (n_samples, n_variables)."""
    return np.column_stack([data_column(matrix, source, axis, i)
                            for i in range(matrix.sizes[f"var_{axis}"])])


def pairs(matrix: xr.Dataset) -> pd.DataFrame:
    """A tidy table (pandas DataFrame) of the estimated pairs, one row each: names and
    groups, ``mi``, ``mi_std``, ``mi_low``, ``mi_high``, ``n_components``, ``status``,
    ``message``, ``n_samples`` (and ``true_mi`` when known); values in nats.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 3))
    >>> z[:, 1] += z[:, 0]
    >>> m = gmmmi.mi_matrix({"z": z}, "z", None, n_bootstrap=4, progress=False)
    >>> table = gmmmi.pairs_table(m)  # each pair once, as pairs.csv
    >>> len(table), table.sort_values("mi").iloc[-1][["var_x", "var_y"]].tolist()
    (3, ['z_0', 'z_1'])
    """
    import pandas as pd

    checked(matrix)
    names = {a: strings(matrix, f"var_{a}") for a in "xy"}
    groups = {a: strings(matrix, f"group_{a}") for a in "xy"}
    words = strings(matrix, "status")
    low, high = intervals(matrix)
    symmetric = bool(matrix.attrs.get("symmetric"))
    cells = [(i, j) for i in range(len(names["x"])) for j in range(len(names["y"]))
             if words[i, j] not in status.NO_PAIR and not (symmetric and j <= i)]
    columns = {"var_x": [names["x"][i] for i, _ in cells],
               "group_x": [groups["x"][i] for i, _ in cells],
               "var_y": [names["y"][j] for _, j in cells],
               "group_y": [groups["y"][j] for _, j in cells]}
    for axis, at in (("x", 0), ("y", 1)):  # a sets analysis: each set's variables
        if f"members_{axis}" in matrix.coords:
            members = strings(matrix, f"members_{axis}")
            columns[f"members_{axis}"] = [members[cell[at]] for cell in cells]
    index = tuple(np.array(c) for c in zip(*cells)) if cells else ([], [])
    for name in ("mi", "mi_std"):
        columns[name] = matrix[name].values[index]
    columns["mi_low"], columns["mi_high"] = low[index], high[index]
    for name in ("n_components", "status", "message", "n_samples", "true_mi"):
        if name in matrix:
            columns[name] = [str(v) for v in matrix[name].values[index]] \
                if name in ("status", "message") else matrix[name].values[index]
    return pd.DataFrame(columns)


def _number(value):
    return math.nan if value is None else float(value)
