"""Command line: ``gmmmi estimate``, ``ingest``, ``validate``, ``demo-data``,
``check-config``, ``cache prune``, ``compare``, ``compile``, and the workflow's steps
``run-chunk``, ``gather``, ``report``, ``flow``.

Every failure prints one line, ``gmmmi: error: ...``, and exits with code 2.
"""

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from . import __version__
from .core.validation import first_line, is_number
from .data.dataset import groups, validate
from .data.store import check_replaceable, describe_dataset, read_xarray, write_dataset


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
    est.add_argument("--n-folds", type=int, default=None,
                     help="CV folds (default: 3 below 2,000 rows, else 2)")
    est.add_argument("--selection", choices=["validation", "aic", "bic"], default="validation")
    est.add_argument("--max-components", type=int, default=50)
    est.add_argument("--fixed-components", type=int, default=None)
    est.add_argument("--integration", choices=["quadrature", "mc"], default="quadrature")

    ing = commands.add_parser(
        "ingest", help="turn arrays into a dataset (Zarr)",
        description="Read arrays (.npy, .npz, .csv, netCDF, Zarr) into one dataset. "
                    "--group, --names, --kind and --variables-first apply to the input "
                    "they follow, e.g. `gmmmi ingest latents.npy --group latent "
                    "categories.npy --group factor --kind categorical --out data.zarr`.")
    ing.add_argument("inputs", nargs="+", metavar="INPUT")
    ing.add_argument("--out", required=True, help="the Zarr store to write")
    ing.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    ing.add_argument("--layers", action="store_true",
                     help="an .npz of a network's activations, one array per layer in order: "
                          "the groups become layer_0 (inputs), layer_1, ... (for flow analyses)")
    ing.add_argument("--group", help="group name (default: file stem, .npz keys, "
                                     "netCDF/Zarr variable names)")
    ing.add_argument("--names", help="variable names, comma-separated (default: CSV header, "
                                     "coordinates, or <group>_<i>)")
    ing.add_argument("--kind", choices=["continuous", "categorical", "auto"],
                     help="default auto: floats continuous, integers categorical")
    ing.add_argument("--variables-first", action="store_true",
                     help="rows are variables and columns samples")
    ing.add_argument("--no-header", action="store_true",
                     help="the CSV's first row is data (a first row of numbers is refused "
                          "unless --names or --no-header is given)")

    val = commands.add_parser("validate", help="check a dataset and summarise it",
                              description="Summarise a dataset (groups, kinds, variables, "
                                          "samples) and warn about doubtful values.")
    val.add_argument("path", metavar="DATASET")

    chk = commands.add_parser(
        "check-config", help="check a workflow config file",
        description="Read a workflow config file safely and check it against the workflow's "
                    "schema, naming each problem and its line (Snakemake reports any YAML "
                    "problem as tab indentation).")
    chk.add_argument("config")
    chk.add_argument("--schema", help="the workflow's schema (default: "
                                      "workflow/schemas/config.schema.yaml)")

    demo = commands.add_parser("demo-data", help="write the demo dataset with known MI")
    demo.add_argument("--out", required=True, help="the Zarr store to write")
    demo.add_argument("--samples", type=int, default=5000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    # The workflow's steps (see workflow/rules/); usable by hand as well.
    chunk = commands.add_parser("run-chunk", help="estimate one chunk of an analysis's pairs")
    chunk.add_argument("dataset")
    chunk.add_argument("--analysis", required=True, help="the analysis's name")
    chunk.add_argument("--spec", required=True,
                       help='the analysis as in the config, JSON: {"x": ..., "y": ...} or '
                            '{"kind": "flow", "layers": [...]}')
    chunk.add_argument("--settings", default="{}", help="estimator settings as JSON")
    chunk.add_argument("--chunk", default="1-of-1", help="which chunk, e.g. 2-of-4")
    chunk.add_argument("--out", required=True, help="chunk results (JSON)")
    chunk.add_argument("--cache", required=True, help="cache directory (pairs, datasets)")
    chunk.add_argument("--workers", type=int, default=1, help="local Dask worker processes")
    chunk.add_argument("--memory-mb", type=int, default=None, help="memory for all workers")
    chunk.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    chunk.add_argument("--scheduler-file", default=None,
                       help="the scheduler file of the run's own Dask cluster (address and TLS)")
    chunk.add_argument("--tls-ca-file", default=None, help="TLS: the CA certificate (PEM)")
    chunk.add_argument("--tls-cert", default=None, help="TLS: this client's certificate (PEM)")
    chunk.add_argument("--tls-key", default=None, help="TLS: this client's private key (PEM)")
    chunk.add_argument("--expect-digest", default=None,
                       help="refuse to run if the chunk's plan no longer has this digest")

    cac = commands.add_parser(
        "cache", help="prune the workflow's cache",
        description="Remove from the workflow's cache (results/.cache) every pair no analysis "
                    "of the config uses. The workflow does this after each successful run; "
                    "do not run it while the workflow runs.")
    cac.add_argument("action", choices=["prune"])
    cac.add_argument("--configfile", default="config/config.yaml",
                     help="the workflow config whose analyses are kept (default: %(default)s)")
    cac.add_argument("--cache", default="results/.cache", help="default: %(default)s")

    gat = commands.add_parser("gather", help="assemble chunk results into mi.zarr")
    gat.add_argument("chunks", nargs="+")
    gat.add_argument("--out", required=True)
    gat.add_argument("--dataset", default=None, help="to include a stored true MI")
    gat.add_argument("--pairs-csv", default=None, help="also write the pairs as a CSV table")

    flo = commands.add_parser("flow", help="the flow graph of a flow analysis's mi.zarr")
    flo.add_argument("matrix")
    flo.add_argument("--graphml", required=True, help="the graph as GraphML")
    flo.add_argument("--json", required=True, help="the graph, measures and attribution (JSON)")

    rep = commands.add_parser("report", help="write the HTML report of an mi.zarr")
    rep.add_argument("matrix")
    rep.add_argument("--out", required=True)
    rep.add_argument("--data", default=None,
                     help="the dataset the matrix came from (to draw the top pairs' data)")
    rep.add_argument("--unit", choices=("nat", "bit"), default="nat", help="unit shown")
    rep.add_argument("--top", type=int, default=6, help="top pairs drawn in detail")
    rep.add_argument("--no-dci", dest="dci", action="store_false",
                     help="leave DCI out of the disentanglement scores (its boosted trees "
                          "take minutes on large data)")
    rep.add_argument("--previous", default=None,
                     help="a directory where the report keeps the matrix it reported, to "
                          "show what changed when the matrix is replaced")

    comp = commands.add_parser(
        "compile", help="compile the EM kernels ahead (run once after installing)",
        description="Compile every EM kernel into numba's on-disk cache, so that the first "
                    "estimate after an install loads them rather than compiling them "
                    "(about half a minute once; a second when they are compiled already).")
    comp.add_argument("--serial", action="store_true",
                      help="compile in this process only, not in two side by side")

    cmp = commands.add_parser("compare", help="what changed between two mi.zarr",
                              description="The change of every cell from BEFORE to AFTER "
                                          "and of MIG and modularity, with intervals; the "
                                          "cells that changed by more than their noise.")
    cmp.add_argument("before")
    cmp.add_argument("after")
    cmp.add_argument("--out", default=None, help="also write the comparison's HTML page")
    cmp.add_argument("--csv", default=None, help="also write every cell's change as CSV")
    cmp.add_argument("--unit", choices=("nat", "bit"), default="nat", help="unit shown")
    return parser


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
    from .data.ingest import InputSpec

    if kind not in (None, "auto", "continuous", "categorical"):
        raise UsageError(f"{path}: --kind must be continuous, categorical or auto, got {kind!r}")
    if names is not None:
        names = [n.strip() for n in names.split(",")]
        if not all(names):
            raise UsageError(f"{path}: --names holds an empty name")
    return InputSpec(path, group=group, names=names, kind=None if kind == "auto" else kind,
                     variables_first=variables_first, layers=layers, no_header=no_header)


def _ingest(tokens):
    from .data.ingest import ingest

    specs, out, overwrite = _scan_ingest(tokens)
    summary = ingest(specs, out, overwrite=overwrite)
    print(summary)
    print(f"wrote {out}")


def _validate(args):
    print(validate(read_xarray(args.path), args.path))


def _demo_data(args):
    out = Path(args.out)
    check_replaceable(out, args.overwrite)
    from .data.demo import (
        make_demo_dataset,  # scipy.stats and integrate: load on demand
    )

    ds = make_demo_dataset(args.samples, args.seed)
    write_dataset(ds, out, overwrite=args.overwrite)
    print(validate(ds, str(out)))
    print(f"wrote {out}")


def _estimate(args):
    from .core.functions import estimate_mi

    if len(args.files) > 2:
        raise UsageError(f"expected X.npy [Y.npy], got {len(args.files)} files")
    x, y = _pair(args.files)
    if args.categorical and y.dtype.kind == "f":
        if not np.all(np.isnan(y) | (y == np.round(y))):
            raise UsageError("--categorical: y holds values that are not whole numbers")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimate_mi(
            x, y, categorical=args.categorical, n_bootstrap=args.n_bootstrap, seed=args.seed,
            unit=args.unit, n_inits=args.n_inits, n_folds=args.n_folds,
            selection=args.selection, max_components=args.max_components,
            fixed_components=args.fixed_components, integration=args.integration)
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"gmmmi: warning: {message}", file=sys.stderr)
    print(result.to_json(indent=2) if args.json else str(result))


def _run_chunk(args):
    from .analysis.cluster import tls_files
    from .analysis.plan import manifest_digest, parse_chunk, plan_analysis
    from .analysis.run import run_chunk

    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    try:
        settings = json.loads(args.settings)
    except ValueError as exc:
        raise UsageError(f"--settings is not JSON ({exc})") from None
    index, count = parse_chunk(args.chunk)
    try:
        spec = json.loads(args.spec)
    except ValueError as exc:
        raise UsageError(f"--spec is not JSON ({exc})") from None
    if not isinstance(spec, dict):
        raise UsageError('--spec must be a JSON object such as {"x": "latent", "y": "factor"}')
    description = describe_dataset(args.dataset, Path(args.cache) / "datasets")
    manifest = plan_analysis(description, args.analysis, spec, settings, count)[index]
    if args.expect_digest and manifest_digest(manifest) != args.expect_digest:
        raise UsageError(f"{args.dataset}: changed since the workflow planned chunk "
                         f"{args.chunk}; run the workflow again")
    address, tls = args.scheduler, tls_files(args.scheduler, args.tls_ca_file, args.tls_cert,
                                             args.tls_key)
    if args.scheduler_file:
        from .analysis.cluster import read_scheduler_file

        address, tls = read_scheduler_file(args.scheduler_file)
    computed, reused = run_chunk(args.dataset, manifest, args.out,
                                 cache_dir=Path(args.cache) / "pairs", workers=args.workers,
                                 memory_mb=args.memory_mb, scheduler_address=address, tls=tls)
    print(f"{args.out}: {computed} pairs estimated, {reused} reused", file=sys.stderr)


def _prune_cache(args):
    from .analysis.cache import PAIRS, TAG, is_cache, prune
    from .analysis.plan import plan_analysis
    from .config import read_config

    config = read_config(args.configfile)
    dataset = config.get("dataset")
    if not dataset or not Path(dataset).exists():
        raise UsageError(f"{args.configfile}: its dataset {dataset!r} does not exist here "
                         f"(run in the workflow's folder)")
    if not is_cache(args.cache):  # before anything is written there
        raise UsageError(f"{args.cache}: not a gmmmi cache (no {PAIRS}/{TAG}, which gmmmi "
                         f"writes with the first pair it keeps): nothing removed")
    description = describe_dataset(dataset, Path(args.cache) / "datasets")
    manifests = [m for name, spec in (config.get("analyses") or {}).items()
                 for m in plan_analysis(description, name, spec, config.get("estimator") or {},
                                        1)]
    kept, removed = prune(args.cache, manifests, description["signature"], args.configfile)
    print(f"{args.cache}: {kept} pairs kept, {removed} removed")


def _gather(args):
    from .analysis.gather import gather

    result = gather(args.chunks, args.out, dataset=args.dataset, pairs_csv=args.pairs_csv)
    print(f"{args.out}: {result.sizes['var_x']} x {result.sizes['var_y']} matrix")


def _flow(args):
    from .analysis import matrix
    from .analysis.flow import write_graph

    graph = write_graph(matrix.read(args.matrix), args.graphml, args.json)
    print(f"{args.graphml}, {args.json}: {graph.number_of_nodes()} neurons, "
          f"{graph.number_of_edges()} edges", file=sys.stderr)


def _check_config(args):
    from .analysis.plan import analysis_groups
    from .config import config_problems, find_schema, read_config

    config = read_config(args.config)
    problems = config_problems(config, args.schema or find_schema())
    if not problems:  # as the workflow refuses them, before any job runs
        from .analysis.cluster import tls_files

        dask = config.get("dask") or {}
        try:
            tls_files(dask.get("scheduler_address"), dask.get("tls_ca_file"),
                      dask.get("tls_cert"), dask.get("tls_key"))
        except ValueError as exc:
            problems.append(f"dask: {exc}")
    dataset = Path(config.get("dataset", ""))
    if not problems and dataset.exists():  # relative paths: from where snakemake runs
        found = {"groups": dict.fromkeys(groups(read_xarray(dataset)))}
        for name, analysis in config["analyses"].items():
            try:
                analysis_groups(found, analysis)
            except ValueError as exc:
                problems.append(f"analyses.{name}: {exc}")
    for problem in problems:
        print(f"gmmmi: error: {args.config}: {problem}", file=sys.stderr)
    if problems:
        return 2
    unchecked = "" if dataset.exists() else f" (no {dataset} yet: its groups are not checked)"
    print(f"{args.config}: valid{unchecked}")
    return 0


def _report(args):
    from .report.page import write_report

    if args.top < 0:
        raise UsageError(f"--top must be >= 0, got {args.top}")
    out = write_report(args.matrix, args.out, data=args.data, unit=args.unit, top_pairs=args.top,
                       previous=args.previous, with_dci=args.dci)
    print(f"{out}: written", file=sys.stderr)


def _compile(args):
    import time

    from .core.engine.warm import compile_kernels

    started = time.perf_counter()
    compile_kernels(parallel=not args.serial)
    print(f"gmmmi's kernels are compiled and cached "
          f"({time.perf_counter() - started:.0f} s)")


def _compare(args):
    from .comparison import changes, compare
    from .core.result import UNITS

    for option, path in (("--out", args.out), ("--csv", args.csv)):
        if path is not None and Path(path).exists() and not Path(path).is_file():
            raise UsageError(f"{option} {path}: exists and is not a file; give a file path")
    comparison = compare(args.before, args.after)
    scale, unit = UNITS[args.unit], f"{args.unit}s"
    changed = changes(comparison)
    total = len(changes(comparison, changed_only=False))
    print(f"{args.before} -> {args.after}: {len(changed)} of {total} cells changed by more "
          f"than their noise ({comparison.attrs['pairing']})")
    if comparison.attrs["note"]:
        print(f"note: {comparison.attrs['note']}")
    for row in changed.head(20).itertuples():
        print(f"  {row.x} x {row.y}: {row.before * scale:.3f} -> {row.after * scale:.3f} "
              f"({row.change * scale:+.3f}, 95% {row.low * scale:+.3f} to "
              f"{row.high * scale:+.3f} {unit})")
    if len(changed) > 20:
        print(f"  ... and {len(changed) - 20} more")
    for name in comparison["score"].values if "score" in comparison.dims else []:
        part = {k: float(comparison[f"score_{k}"].sel(score=name))
                for k in ("before", "after", "change", "low", "high")}
        print(f"{name}: {part['before']:.3f} -> {part['after']:.3f} ({part['change']:+.3f}, "
              f"95% {part['low']:+.3f} to {part['high']:+.3f})")
    if args.csv:
        from ._files import replacing

        with replacing(args.csv) as staging:
            changes(comparison, changed_only=False).to_csv(staging, index=False)
    if args.out:
        from .report.page import write_comparison

        write_comparison(comparison, args.out, unit=args.unit)
        print(f"{args.out}: written", file=sys.stderr)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser()
    ingesting = argv[:1] == ["ingest"] and not {"-h", "--help"} & set(argv)
    args = None if ingesting else parser.parse_args(argv)
    try:
        if ingesting:
            _ingest(argv[1:])
        elif args.command == "estimate":
            _estimate(args)
        elif args.command == "validate":
            _validate(args)
        elif args.command == "check-config":
            return _check_config(args)
        else:
            {"demo-data": _demo_data, "run-chunk": _run_chunk, "cache": _prune_cache,
             "gather": _gather, "flow": _flow, "report": _report,
             "compare": _compare, "compile": _compile}[args.command](args)
    except (UsageError, ValueError, OSError) as exc:
        print(f"gmmmi: error: {first_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
