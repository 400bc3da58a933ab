"""Command line: ``gmmmi estimate X.npy [Y.npy] [--categorical] [--json]``.

Every failure prints one line, ``gmmmi: error: ...``, and exits with code 2.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from . import __version__
from .estimator import estimate_mi


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"gmmmi: error: {message}\n")


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
            return np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=1)
    except Exception as exc:
        raise UsageError(f"{path}: cannot be read ({_first_line(exc)})") from None
    raise UsageError(f"{path}: unsupported format {path.suffix!r} (use .npy, .csv or .txt)")


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _column(array, path):
    if array.ndim == 2 and array.shape[1] == 1:
        return array[:, 0]
    if array.ndim != 1:
        raise UsageError(f"{path}: expected one variable (1-D), got shape "
                         f"{'x'.join(map(str, array.shape))}")
    return array


def _pair(paths):
    if len(paths) == 1:
        both = _load_array(paths[0])
        if both.ndim != 2 or both.shape[1] != 2:
            raise UsageError(f"{paths[0]}: with one file, expected two columns (x, y), got shape "
                             f"{'x'.join(map(str, both.shape))}")
        return both[:, 0], both[:, 1]
    return tuple(_column(_load_array(p), p) for p in paths)


def _build_parser():
    parser = _Parser(prog="gmmmi", description="Mutual information with the GMM-MI estimator.")
    parser.add_argument("--version", action="version", version=f"gmmmi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    est = commands.add_parser("estimate", help="MI between two variables",
                              description="MI between x and y: X.npy holding both as two "
                                          "columns, or X.npy and Y.npy holding one each.")
    est.add_argument("files", nargs="+", metavar="FILE", help=".npy, .csv or .txt")
    est.add_argument("--categorical", action="store_true", help="y holds category labels")
    est.add_argument("--json", action="store_true", help="print the result as JSON")
    est.add_argument("--n-bootstrap", type=int, default=50)
    est.add_argument("--seed", type=int, default=0)
    est.add_argument("--unit", choices=["nat", "bit"], default="nat")
    est.add_argument("--n-inits", type=int, default=3)
    est.add_argument("--n-folds", type=int, default=2)
    est.add_argument("--selection", choices=["validation", "aic", "bic"], default="validation")
    est.add_argument("--max-components", type=int, default=50)
    est.add_argument("--fixed-components", type=int, default=None)
    est.add_argument("--integration", choices=["quadrature", "mc"], default="quadrature")
    return parser


def _estimate(args):
    if len(args.files) > 2:
        raise UsageError(f"expected X.npy [Y.npy], got {len(args.files)} files")
    x, y = _pair(args.files)
    if args.categorical and y.dtype.kind == "f":
        if not np.all(np.isnan(y) | (y == np.round(y))):
            raise UsageError("--categorical: y holds values that are not whole numbers")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        result = estimate_mi(
            x, y, categorical=args.categorical, n_bootstrap=args.n_bootstrap, seed=args.seed,
            unit=args.unit, n_inits=args.n_inits, n_folds=args.n_folds,
            selection=args.selection, max_components=args.max_components,
            fixed_components=args.fixed_components, integration=args.integration)
    print(result.to_json(indent=2) if args.json else str(result))


def main(argv=None):
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "estimate":
            _estimate(args)
    except (UsageError, ValueError) as exc:
        print(f"gmmmi: error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
