"""An analysis from Python: the MI matrix of data in memory, in one call.

``mi_matrix`` plans the pairs as the workflow does (:func:`gmmmi.analysis.plan.plan_analysis`:
the same order and per-pair seeds), estimates them as a chunk job does
(:func:`gmmmi.analysis.estimate.estimate_pairs`), in this process or on a Dask client's
cluster, and assembles them as gather does (:func:`gmmmi.analysis.gather.assemble`) into
the Dataset the workflow writes as ``results/<analysis>/mi.zarr``
(:mod:`gmmmi.analysis.matrix`): the numbers equal the workflow's to the last bit.
Nothing is cached or written; ``matrix.write`` / ``write_report`` store the result.
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..data.dataset import DatasetError, build_dataset, describe, make_group, validate
from ..data.store import read_xarray
from . import kinds as analysis_kinds
from .columns import MemoryColumns
from .estimate import estimate_pairs
from .gather import assemble
from .plan import estimator_settings, plan_analysis

if TYPE_CHECKING:
    import os

    import xarray as xr
    from dask.distributed import Client


def mi_matrix(data: xr.Dataset | dict | str | os.PathLike, x: str | list | dict | None,
              y: str | list | None = None, *, kind: str = analysis_kinds.PAIRS,
              n_bootstrap: int = 50, seed: int = 0, client: Client | None = None,
              name: str = "matrix", variable_kinds: dict | None = None, progress: bool = True,
              **settings) -> xr.Dataset:
    """The MI matrix of groups ``x`` × ``y`` of ``data`` (an xarray Dataset).

    Parameters
    ----------
    data : xarray.Dataset, dict or str
        A Dataset in the dataset contract (``gmmmi ingest``, ``open_dataset``), a path to
        one, or ``{group: values}`` with values a 2-D array (samples × variables; names
        ``<group>_0, ...``), a pandas DataFrame (names from its columns), a 1-D array (one
        variable named after the group) or an xarray DataArray of the contract.
    x, y : str or list of str
        Group(s) on each side; ``y=None`` pairs ``x`` with itself (upper triangle).
        For ``kind="flow"``, ``x`` may list the layer groups in order (or be None: every
        ``layer_<n>`` group). For ``kind="sets"``, ``x`` is ``{set name: members}`` (a
        group, or a list of ``group/name`` or ``name``), each set paired as one vector
        with every variable of the groups ``y`` and with the sets ``y`` names.
    kind : {"pairs", "flow", "sets"}
        As an analysis of the workflow config.
    n_bootstrap, seed, **settings
        Estimator settings, as in :class:`gmmmi.GMMMI` (unit: always nats).
    client : dask.distributed.Client, optional
        Run the pairs on its cluster; else in this process.
    name : str
        The analysis's name in the result's attributes.
    variable_kinds : dict, optional
        ``{group: "continuous" or "categorical"}`` for dict data (default: by dtype,
        integers are categorical). Its old name ``kinds`` still works, with a warning.
    progress : bool
        Print progress to stderr every 10 s (pairs done, rate, time left).

    Returns
    -------
    xarray.Dataset
        The matrix: ``mi``, ``mi_std``, ``mi_low``/``mi_high``, ``mi_bootstrap``,
        ``status``, ... on ``var_x`` × ``var_y`` (see :mod:`gmmmi.analysis.matrix`).

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> factor = rng.integers(0, 3, 1000)
    >>> latents = np.column_stack([factor + rng.normal(0, 0.5, 1000), rng.normal(size=1000)])
    >>> m = gmmmi.mi_matrix({"latent": latents, "factor": factor}, "latent", "factor",
    ...                     n_bootstrap=10, progress=False)
    >>> m["mi"].dims, [str(v) for v in m["var_x"].values]
    (('var_x', 'var_y'), ['latent_0', 'latent_1'])
    >>> bool(m["mi"].sel(var_x="latent_0") > m["mi"].sel(var_x="latent_1"))
    True
    """
    if "kinds" in settings:  # the old name, beside the analysis's kind
        warnings.warn("mi_matrix's kinds= is now variable_kinds=", FutureWarning, stacklevel=2)
        variable_kinds = settings.pop("kinds")
    analysis_kinds.check(kind)
    ds = as_dataset(data, variable_kinds)
    if kind == analysis_kinds.FLOW:
        spec = {"kind": kind} | ({"layers": [x] if isinstance(x, str) else list(x)}
                                 if x is not None else {})
    elif kind == analysis_kinds.SETS:
        spec = {"kind": kind, "sets": x, "y": y}
    else:
        spec = {"kind": kind, "x": x, "y": x if y is None else y}
    settings = estimator_settings({"n_bootstrap": n_bootstrap, "seed": seed, **settings})
    (manifest,) = plan_analysis(describe(ds), name, spec, settings, 1)
    pairs = manifest["pairs"]
    estimated = estimate_pairs(MemoryColumns.of(ds, pairs), pairs, settings, workers=None,
                               client=client, log=sys.stderr if progress else None,
                               label=name)
    rows = [dict(pair=pair.fields(), computed=True, **result) for pair, result in estimated]
    return assemble(manifest, rows, ds, attrs={"dataset": "", "chunk_seconds": "[]"})


def as_dataset(data, variable_kinds=None):
    """``data`` of :func:`mi_matrix` as a validated contract Dataset."""
    import xarray as xr

    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        data = read_xarray(data)
    if isinstance(data, xr.Dataset):
        validate(data)
        return data
    if not isinstance(data, dict):
        raise DatasetError("data must be an xarray Dataset, a path to one, or a dict of "
                           f"{{group: values}}, got {type(data).__name__}")
    variable_kinds = variable_kinds or {}
    unknown = sorted(set(variable_kinds) - set(data))
    if unknown:
        raise DatasetError(f"variable_kinds names {unknown[0]!r}, which is not a group of data "
                           f"(groups: {', '.join(map(str, data))})")
    groups = {}
    for group, values in data.items():
        if isinstance(values, xr.DataArray):
            groups[group] = values
            continue
        if isinstance(values, (dict, str, bytes)) or hasattr(values, "tocsr") or \
                np.ndim(values) == 0:
            raise DatasetError(f"data[{group!r}] must be a dense 1-D or 2-D array, a DataFrame "
                               f"or a DataArray, got {type(values).__name__}")
        names, kind = None, variable_kinds.get(group)
        if hasattr(values, "dtypes") or hasattr(values, "array"):  # pandas
            kind = kind or _pandas_kind(values)
            if hasattr(values, "columns"):
                names = [str(c) for c in values.columns]
            values = _pandas_values(values)
        values = np.asarray(values)
        if values.ndim == 1:
            values, names = values[:, None], [str(group)]
        names = names or [f"{group}_{j}" for j in range(values.shape[1])]
        groups[group] = make_group(values, names, kind, group=group, source="data")
    ds = build_dataset(groups)
    validate(ds)
    return ds


def _pandas_kind(values):
    """"categorical" for pandas columns of integers or booleans, their nullable kinds
    (Int64, boolean) included, which numpy would read as objects; else None (by dtype)."""
    import pandas as pd

    dtypes = list(values.dtypes) if hasattr(values, "columns") else [values.dtype]
    labels = all(pd.api.types.is_integer_dtype(d) or pd.api.types.is_bool_dtype(d)
                 for d in dtypes)
    return "categorical" if dtypes and labels else None


def _pandas_values(values):
    """A pandas object's values, missing ones (pd.NA of the nullable dtypes) as NaN."""
    try:
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):  # not numbers: refused by make_group in one line
        return values.to_numpy()
