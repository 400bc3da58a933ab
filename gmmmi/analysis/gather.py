"""Gather: the results of one analysis's pairs into its MI matrix
(:mod:`gmmmi.analysis.matrix`): from the chunk jobs' files (:func:`gather`, the workflow)
or from memory (:func:`assemble`, which both use)."""

import json
import math
from pathlib import Path

from .._files import replacing
from ..data.dataset import DatasetError, label_entropy, truth_table
from ..data.store import read_xarray
from . import kinds, matrix

CHUNK_KEYS = ("analysis", "chunk", "n_chunks", "settings", "x_variables", "y_variables",
              "results")


def gather(chunk_paths, out, *, dataset=None, pairs_csv=None, overwrite=True):
    """Assemble the chunk results of one analysis into ``out`` (mi.zarr); returns it.

    With ``dataset`` the matrix also holds the dataset's known MI and the entropies of
    its categorical variables; with ``pairs_csv`` its pairs are also written there as a
    table (:func:`gmmmi.analysis.matrix.pairs`), for pandas, R or a spreadsheet.
    """
    chunks = [read_chunk(p) for p in chunk_paths]
    if not chunks:
        raise ValueError("no chunk results to gather")
    first = chunks[0]
    analysis, settings = first["analysis"], first["settings"]
    if sorted(c["chunk"] for c in chunks) != list(range(first["n_chunks"])) or any(
            c["analysis"] != analysis or c["settings"] != settings for c in chunks):
        raise ValueError(f"chunk results of {analysis!r} do not belong to one plan; "
                         f"run the workflow again")
    rows = [row for chunk in chunks for row in chunk["results"]]
    result = assemble(first, rows, None if dataset is None else read_xarray(dataset), attrs={
        "dataset": str(dataset) if dataset else "",
        "chunk_seconds": json.dumps([c.get("seconds") for c in chunks])})
    matrix.write(result, out, overwrite=overwrite)
    if pairs_csv is not None:
        with replacing(pairs_csv) as staging:
            matrix.pairs(result).to_csv(staging, index=False)
    return result


def assemble(plan, rows, source=None, attrs=None):
    """The matrix of an analysis from its pairs' result ``rows`` (each ``{"pair": ...,
    "computed": ..., **result}``) and its ``plan`` (a manifest, or a chunk result: the
    analysis's name, kind, settings, variables and sets). With ``source`` (the Dataset)
    it also holds the known MI and the entropies of categorical variables."""
    xs = [tuple(v) for v in plan["x_variables"]]
    ys = [tuple(v) for v in plan["y_variables"]]
    truth, entropies = (None, {}) if source is None else _known_quantities(source, xs, ys, rows)
    return matrix.build(plan["analysis"], kinds.of(plan), plan["settings"], xs, ys,
                        rows, truth=truth, entropies=entropies, sets=plan.get("sets"),
                        attrs=attrs)


def unfinished(matrix_path):
    """How many pairs of a gathered matrix a rerun would try again (status failed or
    out-of-memory: not cached), by status; {} when none, or when it cannot be read."""
    from .. import status

    try:
        words = list(matrix.pairs(matrix.read(matrix_path))["status"])  # each pair once
    except (OSError, ValueError, KeyError):
        return {}
    counts = {word: words.count(word) for word in status.RETRIED}
    return {word: count for word, count in counts.items() if count}


def _known_quantities(source, xs, ys, rows):
    """What the dataset ``source`` knows beside the estimates: its stored true MI per
    cell (or None) and the entropy of each categorical variable, per axis."""
    categorical = {(r["pair"][f"group_{a}"], r["pair"][f"name_{a}"])
                   for r in rows for a in "xy" if r["pair"][f"kind_{a}"] == "categorical"}
    entropies = {axis: [label_entropy(source, *v) if v in categorical else math.nan
                        for v in variables]
                 for axis, variables in (("x", xs), ("y", ys)) if categorical & set(variables)}
    return truth_table(source, xs, ys), entropies


def read_chunk(path):
    """One chunk result (``run_chunk``'s JSON), with a one-line error naming the file."""
    try:
        chunk = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError:
        chunk = None
    if not isinstance(chunk, dict) or not all(key in chunk for key in CHUNK_KEYS):
        raise ValueError(f"{path}: not a chunk result of gmmmi run-chunk (cut short? run the "
                         f"workflow again)")
    return chunk
