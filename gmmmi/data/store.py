"""Datasets on disk: reading a Zarr store or netCDF file (with one-line errors for a
missing, foreign or damaged one), writing a store atomically, and describing a stored
dataset once per version of its files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .._files import write_json
from ..core.validation import first_line
from .dataset import SAMPLE_DIM, DatasetError, describe, groups, validate

if TYPE_CHECKING:
    import xarray as xr

NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf", ".h5", ".hdf5")


def open_dataset(path: str | os.PathLike) -> xr.Dataset:
    """The validated contract Dataset stored at ``path`` (Zarr, or netCDF).

    Examples
    --------
    >>> import gmmmi
    >>> from gmmmi.data.store import write_dataset
    >>> from gmmmi.data.demo import make_demo_dataset
    >>> path = write_dataset(make_demo_dataset(n_samples=500), "demo.zarr")
    >>> ds = gmmmi.open_dataset("demo.zarr")
    >>> sorted(ds.data_vars)[:3], ds.sizes["sample"]
    (['category', 'factor', 'latent'], 500)
    """
    ds = read_xarray(path)
    validate(ds, str(path))
    return ds


def read_xarray(path):
    """Open a Zarr store or netCDF file with xarray; one-line errors for bad files."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    if not _is_zarr(path) and path.suffix.lower() not in NETCDF_SUFFIXES:
        raise DatasetError(f"{path}: not a Zarr store or netCDF file (gmmmi ingest turns "
                           f"arrays into a dataset)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. Snakemake's timestamp file inside a store
        try:
            if _is_zarr(path):
                ds = xr.open_zarr(path, consolidated=False, chunks=None)
                _check_chunks(path)
                return ds
            return xr.open_dataset(path, chunks=None)
        except DatasetError:
            raise
        except Exception as exc:  # each backend fails in its own way on a broken file
            what = "a Zarr store" if _is_zarr(path) else "a netCDF file"
            reason = first_line(exc)
            if "IO backends" in reason:
                reason = "not a netCDF or HDF5 file"
            raise DatasetError(f"{path}: cannot be read as {what} ({reason})") from None


def _check_chunks(path):
    """Refuse a Zarr store that lacks chunks: Zarr reads a missing one as the fill value."""
    import zarr

    for name, array in zarr.open_group(path, mode="r").arrays():
        present, expected = array.nchunks_initialized, array.nchunks
        if present < expected:
            raise DatasetError(
                f"{path}: variable {name!r} has {present} of its {expected} chunks on disk; "
                f"a missing chunk would be read as fill values (an interrupted copy? copy the "
                f"store again, or rewrite it with zarr's write_empty_chunks=True)")


def check_replaceable(path: str | os.PathLike, overwrite: bool) -> None:
    """Refuse ``path`` in one line unless nothing is there, or ``overwrite`` and it is a
    gmmmi dataset (a store that opens as one): ``--overwrite`` never deletes what gmmmi
    did not make (a folder of documents, a text file, another tool's Zarr store)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not overwrite:
        raise DatasetError(f"{path}: already exists (use --overwrite to replace it)")
    refusal = (f"{path}: exists and is not a gmmmi dataset, so --overwrite leaves it alone "
               f"(give another --out, or move it away yourself)")
    if path.is_symlink() or not path.is_dir():
        raise DatasetError(refusal)
    try:  # its structure only: a dataset's values need not be read to be replaced
        ds = read_xarray(path)
        if SAMPLE_DIM not in ds.dims or not groups(ds):
            raise DatasetError(f"{path}: no group of variables")
    except DatasetError as exc:
        raise DatasetError(f"{refusal}: {str(exc).removeprefix(f'{path}: ')}") from None


def write_dataset(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write ``ds`` to a Zarr store at ``path``, atomically.

    An existing path is refused unless ``overwrite`` and it is a gmmmi dataset
    (``check_replaceable``); a replaced store is untouched until the new one has been
    written completely beside it.
    """
    path = Path(path)
    check_replaceable(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        # every chunk written, even one of fill values only: a chunk not on disk is damage.
        # Consolidated metadata lets a plain xr.open_zarr(path) open it without a warning
        # (zarr warns that v3 does not specify it yet; gmmmi itself reads without it).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Consolidated metadata")
            ds.to_zarr(staging / "store.zarr", mode="w", consolidated=True, zarr_format=3,
                       write_empty_chunks=True)
        if path.exists():
            retired = staging / "retired"
            os.rename(path, retired)
        os.rename(staging / "store.zarr", path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _store_signature(path):
    """A cheap signature of a store's files (paths, sizes, mtimes); 'absent' if missing.

    Used by the workflow to decide when to re-plan: a changed signature only re-reads the
    data; the per-variable content fingerprints then decide what is recomputed.
    """
    path = Path(path)
    if not path.exists():
        return "absent"
    entries = []
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        if p.name == ".snakemake_timestamp":
            continue
        stat = p.stat()
        entries.append(f"{p.relative_to(path.parent)}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:32]


def describe_dataset(path, cache_dir=None):
    """Validate a dataset and list its groups: kind, variable names, content fingerprints.

    Reading every value is the costly part, so with ``cache_dir`` the description is
    kept per :func:`_store_signature` and reused until a file of the store changes.
    """
    signature = _store_signature(path)
    cached = None if cache_dir is None else Path(cache_dir) / f"dataset-{signature}.json"
    if cached is not None and cached.exists():
        description = json.loads(cached.read_text())
        if "n_samples" in description:  # else written by an older gmmmi
            return description
    ds = read_xarray(path)
    validate(ds, str(path))
    description = describe(ds, str(path)) | {"signature": signature}
    if cached is not None:
        write_json(cached, description)
    return description


def _is_zarr(path):
    return path.is_dir() or path.suffix == ".zarr"
