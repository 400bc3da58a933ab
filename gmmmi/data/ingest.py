"""Turning users' arrays (.npy, .npz, .csv, netCDF, Zarr) into a contract dataset."""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.validation import first_line, is_number
from .dataset import SAMPLE_DIM, DatasetError, build_dataset, load_values, make_group, validate
from .store import NETCDF_SUFFIXES, check_replaceable, read_xarray, write_dataset


@dataclass
class InputSpec:
    """One input file and how to read it.

    ``group`` names the group (default: the file's stem; the array keys of an .npz; the
    data variables of netCDF/Zarr), ``names`` the variables, ``kind`` their kind
    (``None``: floats are continuous, integers categorical), and ``variables_first``
    says the variables are rows rather than columns; ``no_header`` reads a CSV whose
    first row is data (without it, such a CSV is refused unless ``names`` are given:
    its first row would otherwise have become the names). ``layers`` reads an .npz of a
    network's activations, one array per layer in the archive's order (``np.savez``
    keeps keyword order): the groups become ``layer_0``, ``layer_1``, ... and each
    neuron is named ``<key>_<i>``.
    """

    path: Path
    group: str = None
    names: list = None
    kind: str = None
    variables_first: bool = False
    layers: bool = False
    no_header: bool = False


def ingest(specs, out, *, overwrite=False):
    """Read every input in ``specs``, check them together and write one Zarr store.

    Returns the :class:`~gmmmi.dataset.Summary` of what was written. Nothing is written
    when any input is refused.
    """
    out = Path(out)
    check_replaceable(out, overwrite)  # before the inputs are read
    groups, origin = {}, {}
    for spec in specs:
        for name, array in _read_input(spec):
            if name in groups:
                raise DatasetError(f"{spec.path}: group {name!r} already comes from "
                                   f"{origin[name]} (give another --group)")
            groups[name], origin[name] = array, spec.path
    counts = {name: a.sizes[SAMPLE_DIM] for name, a in groups.items()}
    if len(set(counts.values())) > 1:
        first = next(iter(groups))
        for name, n in counts.items():
            if n != counts[first]:
                raise DatasetError(f"{origin[name]}: group {name!r} has {n} samples but group "
                                   f"{first!r} ({origin[first]}) has {counts[first]}")
    ds = build_dataset(groups, attrs={"created_by": "gmmmi ingest",
                                      "sources": [str(s.path) for s in specs]})
    summary = validate(ds, str(out))
    write_dataset(ds, out, overwrite=overwrite)
    return summary


def _read_input(spec):
    """The groups in one input file: a list of (group name, DataArray)."""
    path = Path(spec.path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    suffix = path.suffix.lower()
    if spec.layers and suffix != ".npz":
        raise DatasetError(f"{path}: --layers reads an .npz archive of activations, one "
                           f"array per layer")
    if path.is_dir() or suffix == ".zarr" or suffix in NETCDF_SUFFIXES:
        return _from_xarray(spec, read_xarray(path))
    if suffix == ".npy":
        array = _load_numpy(path)
        if isinstance(array, dict):
            raise DatasetError(f"{path}: is an .npz archive named .npy; rename it to .npz")
        return [_from_array(spec, array, spec.group or path.stem)]
    if suffix == ".npz":
        arrays = _load_numpy(path)
        if not arrays:
            raise DatasetError(f"{path}: holds no arrays")
        if spec.layers:
            if spec.group or spec.names:
                raise DatasetError(f"{path}: with --layers the groups are layer_0, layer_1, "
                                   f"...; --group and --names do not apply")
            if len(arrays) < 2:
                raise DatasetError(f"{path}: --layers needs at least 2 arrays (layers), "
                                   f"found {len(arrays)}")
            return [_from_array(spec, a, f"layer_{i}",
                                [f"{key}_{j}" for j in range(a.shape[-1 if not
                                                                 spec.variables_first else 0])]
                                if a.ndim == 2 else None)
                    for i, (key, a) in enumerate(arrays.items())]
        if len(arrays) > 1 and (spec.group or spec.names):
            raise DatasetError(f"{path}: holds {len(arrays)} arrays ({', '.join(arrays)}); "
                               f"each becomes a group named by its key, so --group and "
                               f"--names apply only to a single-array file")
        return [_from_array(spec, a, spec.group or key) for key, a in arrays.items()]
    if suffix in (".csv", ".tsv"):
        return [_from_csv(spec, path)]
    raise DatasetError(f"{path}: unsupported format {path.suffix or '(no suffix)'!r} "
                       f"(use .npy, .npz, .csv, netCDF or Zarr)")


def _from_array(spec, values, group, default_names=None):
    where = f"{spec.path}: group {group!r}"
    if values.ndim != 2:
        shape = "x".join(map(str, values.shape)) or "scalar"
        raise DatasetError(f"{where}: expected a 2-D array (samples x variables), got "
                           f"{values.ndim}-D shape {shape}")
    if spec.variables_first:
        values = values.T
    names = spec.names or default_names or [f"{group}_{i}" for i in range(values.shape[1])]
    return group, make_group(values, names, spec.kind, group=group, source=spec.path)


def _load_numpy(path):
    """An .npy array, or the {key: array} of an .npz archive."""
    kind = path.suffix.lower()
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {key: loaded[key] for key in loaded.files}
        return loaded
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DatasetError(f"{path}: holds Python objects where numbers are expected") from None
        raise DatasetError(f"{path}: cannot be read as {kind} ({first_line(exc)})") from None
    except Exception as exc:  # truncated files, bad zip archives, ...
        raise DatasetError(f"{path}: cannot be read as {kind} ({first_line(exc)})") from None


def _from_csv(spec, path):
    import pandas as pd

    if spec.variables_first:
        raise DatasetError(f"{path}: --variables-first does not apply to CSV (columns are "
                           f"variables, the header row names them)")
    group = spec.group or path.stem
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle, delimiter=separator), None)
        if header is None:
            raise DatasetError(f"{path}: is empty")
        headless = spec.no_header or (spec.names is not None and all(map(is_number, header)))
        if not headless and all(map(is_number, header)):
            raise DatasetError(f"{path}: the first row holds only numbers, so it is data, not "
                               f"a header naming the variables; add a header row, or give "
                               f"--names (or --no-header)")
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated and not headless:
            raise DatasetError(f"{path}: group {group!r}: variable name {repeated[0]!r} appears "
                               f"more than once in the header")
        frame = pd.read_csv(path, sep=separator, header=None if headless else "infer")
    except DatasetError:
        raise
    except Exception as exc:
        raise DatasetError(f"{path}: cannot be read as CSV ({first_line(exc)})") from None
    for column in frame.columns:
        if frame[column].dtype.kind not in "biuf":
            raise DatasetError(f"{path}: group {group!r}: column {str(column)!r} holds text "
                               f"where numbers are expected")
    return _from_array(spec, frame.to_numpy(), group,
                       default_names=None if headless else list(map(str, frame.columns)))


def _from_xarray(spec, ds):
    path = spec.path
    candidates = [str(n) for n in ds.data_vars if ds[n].ndim >= 1]
    if SAMPLE_DIM in ds.dims:
        sample = SAMPLE_DIM
        candidates = [n for n in candidates if SAMPLE_DIM in ds[n].dims]
    else:
        two_d = [n for n in candidates if ds[n].ndim == 2]
        if not two_d:
            raise DatasetError(f"{path}: no 2-D data variable to read as a group")
        axis = 1 if spec.variables_first else 0
        sample_dims = {ds[n].dims[axis] for n in two_d}
        if len(sample_dims) > 1:
            raise DatasetError(f"{path}: no {SAMPLE_DIM!r} dimension, and the data variables "
                               f"disagree on which dimension holds samples "
                               f"({', '.join(sorted(map(str, sample_dims)))})")
        sample = sample_dims.pop()
        candidates = two_d
    if not candidates:
        raise DatasetError(f"{path}: no data variable has the {SAMPLE_DIM!r} dimension")
    if len(candidates) > 1 and (spec.group or spec.names):
        raise DatasetError(f"{path}: holds {len(candidates)} groups ({', '.join(candidates)}); "
                           f"--group and --names apply only to a single-group file")
    out = []
    for name in candidates:
        var = ds[name]
        group = spec.group or name
        if var.ndim != 2:
            raise DatasetError(f"{path}: group {name!r}: expected 2 dimensions ({sample}, "
                               f"variable), got ({', '.join(map(str, var.dims))})")
        var = var.transpose(sample, ...)
        dim = var.dims[1]
        names = spec.names
        if names is None and dim in var.coords:
            names = [str(v) for v in var[dim].values.tolist()]
        kind = spec.kind or var.attrs.get("kind")
        values = load_values(var, path)
        names = names or [f"{group}_{i}" for i in range(values.shape[1])]
        out.append((group, make_group(values, names, kind, group=group, source=path)))
    return out
