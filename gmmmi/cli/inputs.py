"""The command line's inputs: arrays read from files for ``gmmmi estimate`` and the
per-file options of ``gmmmi ingest``, with a one-line ``UsageError`` for each mistake."""

import warnings
from pathlib import Path

import numpy as np

from ..core.validation import first_line, is_number


class UsageError(Exception):
    """A problem with the user's input, reported in one line."""


def _load_array(path):
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if path.suffix in (".csv", ".txt"):
            delimiter = "," if path.suffix == ".csv" else None
            with open(path, encoding="utf-8") as handle:
                first = handle.readline().split(delimiter)
            # a header row (the form ingest asks for) is skipped; data may start at once
            header = 0 if all(map(is_number, first)) else 1
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # numpy only warns about a file without data
                return np.loadtxt(path, delimiter=delimiter, ndmin=1, skiprows=header)
    except Exception as exc:
        raise UsageError(f"{path}: cannot be read ({first_line(exc)})") from None
    raise UsageError(f"{path}: unsupported format {path.suffix!r} (use .npy, .csv or .txt)")


def _column(array, path):
    if array.ndim == 2 and array.shape[1] == 1:
        return array[:, 0]
    if array.ndim != 1:
        raise UsageError(f"{path}: expected one variable (1-D), got shape "
                         f"{'x'.join(map(str, array.shape))}")
    return array


def pair_of_files(paths):
    if len(paths) == 1:
        both = _load_array(paths[0])
        if both.ndim != 2 or both.shape[1] != 2:
            raise UsageError(f"{paths[0]}: with one file, expected two columns (x, y), got shape "
                             f"{'x'.join(map(str, both.shape))}")
        return both[:, 0], both[:, 1]
    return tuple(_column(_load_array(p), p) for p in paths)


_PER_INPUT = {"--group": "group", "--names": "names", "--kind": "kind",
              "--variables-first": "variables_first", "--layers": "layers",
              "--no-header": "no_header"}
_FLAGS = {"--variables-first", "--layers", "--no-header"}
_TAKES_VALUE = {"--group", "--names", "--kind", "--out"}


def _scan_ingest(tokens):
    """Input specs, --out and --overwrite; per-input options bind to the input before them."""
    specs, before_first, out, overwrite = [], {}, None, False
    tokens = list(tokens)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("--"):
            specs.append({"path": Path(token)})
            if len(specs) == 1:
                specs[0].update(before_first)
            continue
        option, has_value, value = token.partition("=")
        if option in _TAKES_VALUE and not has_value:
            if not tokens:
                raise UsageError(f"ingest: {option} needs a value")
            value = tokens.pop(0)
        if option == "--out":
            out = value
        elif option == "--overwrite":
            overwrite = True
        elif option in _PER_INPUT:
            target = specs[-1] if specs else before_first
            key = _PER_INPUT[option]
            if key in target:
                raise UsageError(f"ingest: {option} given twice for "
                                 f"{target.get('path', 'the first input')}")
            target[key] = True if option in _FLAGS else value
        else:
            raise UsageError(f"ingest: unknown option {option}")
    if not specs:
        raise UsageError("ingest: no input files")
    if out is None:
        raise UsageError("ingest: --out is required")
    return [_input_spec(**spec) for spec in specs], out, overwrite


def _input_spec(path, group=None, names=None, kind=None, variables_first=False, layers=False,
                no_header=False):
    from ..data.ingest import InputSpec

    if kind not in (None, "auto", "continuous", "categorical"):
        raise UsageError(f"{path}: --kind must be continuous, categorical or auto, got {kind!r}")
    if names is not None:
        names = [n.strip() for n in names.split(",")]
        if not all(names):
            raise UsageError(f"{path}: --names holds an empty name")
    return InputSpec(path, group=group, names=names, kind=None if kind == "auto" else kind,
                     variables_first=variables_first, layers=layers, no_header=no_header)


def ingest_from_tokens(tokens):
    from ..data.ingest import ingest

    specs, out, overwrite = _scan_ingest(tokens)
    summary = ingest(specs, out, overwrite=overwrite)
    print(summary)
    print(f"wrote {out}")
