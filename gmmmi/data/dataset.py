"""The dataset contract: one xarray Dataset, stored in Zarr.

Every data variable with the ``sample`` dimension is a *group*: a 2-D array
``(sample, <group>_name)`` of variables of one kind, with the variable names
(strings) as the coordinate of its second dimension, and an attribute ``kind``
(``continuous`` or ``categorical``). A group cannot share its name with its own
dimension in xarray, hence ``<group>_name``: ``ds.latent.sel(latent_name="z0")``.
Data variables without ``sample`` (such as the demo's ``true_mi``) are kept as
they are and are not groups.

Every problem that makes a dataset unusable is a :class:`DatasetError` whose
one-line message names the file, the variable and the problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..core.validation import FEW_DISTINCT_VALUES, first_line

if TYPE_CHECKING:
    import xarray as xr
    from numpy.typing import ArrayLike

SAMPLE_DIM = "sample"
KINDS = ("continuous", "categorical")
# A category with fewer samples than this cannot be fitted reliably on its own.
MIN_CATEGORY_SAMPLES = 10


class DatasetError(ValueError):
    """A dataset or input that cannot be used, with a one-line reason.

    Examples
    --------
    >>> import gmmmi
    >>> try:
    ...     gmmmi.open_dataset("no/such/store.zarr")
    ... except gmmmi.DatasetError as error:  # a ValueError, one line
    ...     print(error)
    no/such/store.zarr: no such file or directory
    """


@dataclass(frozen=True)
class Group:
    """One group of a dataset: its name, kind, dimension and variable names."""

    name: str
    kind: str
    dim: str
    variables: tuple

    @property
    def n_variables(self):
        return len(self.variables)


@dataclass(frozen=True)
class Summary:
    """What :func:`validate` found: the groups, the sample count and doubtful values."""

    source: str
    n_samples: int
    groups: tuple
    warnings: tuple

    def __str__(self):
        lines = [f"{self.source}: {self.n_samples} samples, {len(self.groups)} "
                 f"group{'s' if len(self.groups) != 1 else ''}"]
        width = max(len(g.name) for g in self.groups)
        for g in self.groups:
            shown = ", ".join(g.variables[:8]) + (", ..." if g.n_variables > 8 else "")
            lines.append(f"  {g.name:<{width}}  {g.kind:<11}  {g.n_variables:>4} "
                         f"variable{'s' if g.n_variables != 1 else ''}: {shown}")
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}:")
            lines.extend(f"  {w}" for w in self.warnings)
        else:
            lines.append("no warnings")
        return "\n".join(lines)


def _group_dim(group):
    """The name of the dimension that indexes the variables of ``group``."""
    return f"{group}_name"


def make_group(values: ArrayLike, names: list[str], kind: str | None, *, group: str,
               source: str) -> xr.DataArray:
    """An ``xarray.DataArray`` holding ``values`` (samples x variables) as ``group``.

    ``kind`` is ``"continuous"``, ``"categorical"`` or ``None`` (decided by dtype).
    Whole-number floats in a categorical group become integers when nothing is missing.
    """
    import xarray as xr

    values = np.asarray(values)
    where = f"{source}: group {group!r}"
    if values.ndim != 2:
        shape = "x".join(map(str, values.shape)) or "scalar"
        raise DatasetError(f"{where}: expected a 2-D array (samples x variables), "
                           f"got {values.ndim}-D shape {shape}")
    kind = _kind(kind, values.dtype, where)
    names = [str(n) for n in names]
    if len(names) != values.shape[1]:
        raise DatasetError(f"{where}: {len(names)} names for {values.shape[1]} variables")
    _check_names(names, where)
    values = _checked_values(values, names, kind, where)
    return xr.DataArray(values, dims=(SAMPLE_DIM, _group_dim(group)),
                        coords={_group_dim(group): np.array(names, dtype=object)},
                        attrs={"kind": kind})


def build_dataset(groups: dict[str, xr.DataArray], *, attrs: dict | None = None) -> xr.Dataset:
    """A contract Dataset from ``{group name: DataArray from make_group}``."""
    import xarray as xr

    dims = {SAMPLE_DIM} | {_group_dim(g) for g in groups}
    for name in groups:
        _check_group_name(name, dims, "dataset")
    return xr.Dataset(dict(groups), attrs=dict(attrs or {}))


def validate(ds, source="dataset"):
    """Check ``ds`` against the contract and return a :class:`Summary`.

    Raises :class:`DatasetError` when the dataset cannot be used; doubtful but legal
    values (non-finite, constant, few distinct values, small categories) are warnings.
    """
    if SAMPLE_DIM not in ds.dims:
        raise DatasetError(f"{source}: no {SAMPLE_DIM!r} dimension (dimensions: "
                           f"{', '.join(map(str, ds.dims)) or 'none'})")
    n_samples = ds.sizes[SAMPLE_DIM]
    if n_samples == 0:
        raise DatasetError(f"{source}: the {SAMPLE_DIM!r} dimension is empty")
    found, notes = [], []
    for name in ds.data_vars:
        if SAMPLE_DIM not in ds[name].dims:
            continue
        group = _group(ds, str(name), source)
        values = load_values(ds[name], source)
        _checked_values(values, group.variables, group.kind, f"{source}: group {group.name!r}")
        notes.extend(_doubts(values, group))
        found.append(group)
    if not found:
        raise DatasetError(f"{source}: no groups (no data variable has the {SAMPLE_DIM!r} "
                           f"dimension)")
    return Summary(source, n_samples, tuple(found), tuple(notes))


def groups(ds: xr.Dataset) -> dict[str, Group]:
    """The groups of a contract dataset, ``{name: Group}``."""
    return {str(n): _group(ds, str(n), "dataset") for n in ds.data_vars
            if SAMPLE_DIM in ds[n].dims}


def load_values(var, source=None):
    """The values of a data variable, with a one-line error when its data are damaged."""
    try:
        return var.values
    except Exception as exc:  # a truncated or corrupt chunk fails inside the codec
        where = f"{source}: " if source else ""
        raise DatasetError(f"{where}variable {var.name!r} cannot be read, its data are "
                           f"damaged ({first_line(exc)})") from None


def names(ds, group):
    """The variable names of ``group`` as a list of ``str``."""
    return list(_group(ds, group, "dataset").variables)


def true_mi(ds: xr.Dataset, group_x: str, group_y: str) -> xr.DataArray | None:
    """The known MI of each pair of ``group_x`` x ``group_y`` variables, if stored.

    Reads the ``true_mi(variable_x, variable_y)`` variable (as written by
    ``gmmmi demo-data``) and returns a ``(var_x, var_y)`` DataArray in nats, or
    ``None`` when the dataset holds no truth for these groups.
    """
    import xarray as xr

    if "true_mi" not in ds:
        return None
    table = ds["true_mi"]
    rows = [i for i, g in enumerate(_strings(table["group_x"])) if g == group_x]
    cols = [j for j, g in enumerate(_strings(table["group_y"])) if g == group_y]
    if len(rows) == 0 or len(cols) == 0:
        return None
    part = table.isel(variable_x=rows, variable_y=cols)
    return xr.DataArray(
        part.values, dims=("var_x", "var_y"), name="true_mi", attrs={"unit": "nat"},
        coords={"var_x": np.array(_strings(part["name_x"]), dtype=object),
                "var_y": np.array(_strings(part["name_y"]), dtype=object)})


def truth_table(ds, xs, ys):
    """The known MI of each (x, y) cell, ``xs``/``ys`` lists of (group, name); None
    when the dataset stores no truth for them."""
    table = np.full((len(xs), len(ys)), np.nan)
    found = False
    for gx in dict.fromkeys(g for g, _ in xs):
        for gy in dict.fromkeys(g for g, _ in ys):
            part = true_mi(ds, gx, gy)
            if part is None:
                continue
            found = True
            where_x = {n: i for i, n in enumerate(part["var_x"].values.tolist())}
            where_y = {n: j for j, n in enumerate(part["var_y"].values.tolist())}
            rows = [(i, where_x[n]) for i, (g, n) in enumerate(xs) if g == gx and n in where_x]
            cols = [(j, where_y[n]) for j, (g, n) in enumerate(ys) if g == gy and n in where_y]
            if rows and cols:
                (ri, rs), (ci, cs) = zip(*rows), zip(*cols)
                table[np.ix_(ri, ci)] = part.values[np.ix_(rs, cs)]
    return table if found else None


def variable(ds, group, name, source="dataset"):
    """The values of one variable, ``group``/``name``; one-line errors when it is not
    there or its data are damaged."""
    if group not in ds.data_vars:
        raise DatasetError(f"{source}: has no group {group!r}")
    dim = ds[group].dims[1]
    variables = _strings(ds[group][dim])
    if name not in variables:
        raise DatasetError(f"{source}: group {group!r} has no variable {name!r}")
    return load_values(ds[group].isel({dim: variables.index(name)}), source)


def label_entropy(ds, group, name):
    """Entropy (nats) of a categorical variable's labels, missing labels left out."""
    from ..core.validation import labels

    values = variable(ds, group, name)
    codes, _ = labels(name, values)
    counts = np.bincount(codes[codes >= 0])
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


# --- fingerprints: what the workflow plans and caches by ------------------------------

def variable_fingerprint(values, kind):
    """A content hash of one variable's values (and kind): equal data, equal hash."""
    values = np.ascontiguousarray(values)
    h = hashlib.sha256(f"{kind}|{values.dtype.str}|{values.shape}|".encode())
    h.update(values.tobytes())
    return h.hexdigest()[:32]


def describe(ds, source="dataset"):
    """The samples and groups of a contract Dataset: kind, variable names, content
    fingerprints."""
    description = {"groups": {}, "n_samples": int(ds.sizes.get(SAMPLE_DIM, 0))}
    for name, group in groups(ds).items():
        values = load_values(ds[name], source)
        description["groups"][name] = {
            "kind": group.kind, "variables": list(group.variables),
            "fingerprints": [variable_fingerprint(values[:, j], group.kind)
                             for j in range(group.n_variables)]}
    return description


def _strings(coordinate):
    """The values of a string coordinate as ``str`` (Zarr v3 reads them as StringDType)."""
    return [str(v) for v in coordinate.values.tolist()]


def _group(ds, name, source):
    var = ds[name]
    where = f"{source}: group {name!r}"
    if var.ndim != 2 or var.dims[0] != SAMPLE_DIM:
        raise DatasetError(f"{where}: expected dimensions ({SAMPLE_DIM}, {_group_dim(name)}), "
                           f"got ({', '.join(map(str, var.dims))})")
    dim = str(var.dims[1])
    _check_group_name(name, {str(d) for d in ds.dims}, source)
    if var.sizes[dim] == 0:
        raise DatasetError(f"{where}: has no variables")
    if dim in ds.coords:
        variables = tuple(_strings(ds[dim]))
    else:
        variables = tuple(f"{name}_{i}" for i in range(var.sizes[dim]))
    _check_names(variables, where)
    return Group(name, _kind(var.attrs.get("kind"), var.dtype, where), dim, variables)


def _check_group_name(name, dims, source):
    where = f"{source}: group {name!r}"
    if not isinstance(name, str):
        raise DatasetError(f"{where}: a group name must be text, got {type(name).__name__}")
    if name in dims:
        raise DatasetError(f"{where}: the group name clashes with a dimension name")
    if not name.strip() or "/" in name or name.startswith("__"):
        raise DatasetError(f"{where}: a group name cannot be empty or blank, contain '/' "
                           f"or start with '__'")


def _check_names(variables, where):
    seen = set()
    for v in variables:
        if not v.strip():
            raise DatasetError(f"{where}: a variable has an empty name")
        if v in seen:
            raise DatasetError(f"{where}: variable name {v!r} appears more than once")
        seen.add(v)


def _kind(kind, dtype, where):
    if kind is None:
        if dtype.kind == "f":
            return "continuous"
        if dtype.kind in "biu":
            return "categorical"
        return "continuous"  # refused with a clear message by _checked_values
    if kind not in KINDS:
        raise DatasetError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def _checked_values(values, names, kind, where):
    if values.dtype.kind not in "biuf":
        raise DatasetError(f"{where}: holds {_dtype_words(values.dtype)} where numbers are "
                           f"expected")
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise DatasetError(f"{where}: is empty (shape {values.shape[0]}x{values.shape[1]})")
    if kind == "categorical" and values.dtype.kind == "f":
        finite = np.isfinite(values)
        whole = ~finite | (values == np.round(values))
        if not whole.all():
            column = int(np.argmax(~whole.all(axis=0)))
            raise DatasetError(f"{where}: categorical variable {names[column]!r} holds values "
                               f"that are not whole numbers")
        if finite.all():
            values = values.astype(np.int64)
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    return values


def _doubts(values, group):
    notes = []
    for j, name in enumerate(group.variables):
        column = values[:, j]
        label = f"{group.name}/{name}"
        if column.dtype.kind == "f":
            bad = ~np.isfinite(column)
            if bad.any():
                notes.append(f"{label}: {int(bad.sum())} non-finite value"
                             f"{'s' if bad.sum() != 1 else ''} (left out of its pairs)")
            column = column[~bad]
        distinct, counts = np.unique(column, return_counts=True)
        if len(distinct) <= 1:
            notes.append(f"{label}: constant (its pairs get MI 0 with status 'constant')")
        elif group.kind == "continuous" and len(distinct) < FEW_DISTINCT_VALUES:
            notes.append(f"{label}: continuous but only {len(distinct)} distinct values")
        elif group.kind == "categorical":
            small = [f"{_label_text(v)} ({c})" for v, c in zip(distinct, counts)
                     if c < MIN_CATEGORY_SAMPLES]
            if small:
                notes.append(f"{label}: categor{'ies' if len(small) > 1 else 'y'} with fewer "
                             f"than {MIN_CATEGORY_SAMPLES} samples: {', '.join(small[:5])}"
                             f"{', ...' if len(small) > 5 else ''}")
    return notes


def _label_text(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def _dtype_words(dtype):
    if dtype.kind in "OUST":
        return "text or objects"
    if dtype.kind == "c":
        return "complex numbers"
    return f"values of type {dtype}"


# Reading and writing files moved to ``gmmmi.data.store``: the old names still work, with
# a warning that gives the new one.
_MOVED = ("open_dataset", "read_xarray", "write_dataset", "check_replaceable",
          "describe_dataset", "NETCDF_SUFFIXES")


def __getattr__(name):
    if name in _MOVED:
        import warnings

        from . import store

        warnings.warn(f"gmmmi.data.dataset.{name} is now gmmmi.data.store.{name}",
                      FutureWarning, stacklevel=2)
        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
