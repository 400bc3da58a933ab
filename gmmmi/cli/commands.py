"""What each command of the command line does (but ``ingest``, whose options come per
input file: ``inputs.ingest_from_tokens``)."""

import json
import sys
import warnings
from pathlib import Path

import numpy as np

from ..data.dataset import groups, validate
from ..data.store import check_replaceable, describe_dataset, read_xarray, write_dataset
from .inputs import UsageError, pair_of_files


def _validate(args):
    print(validate(read_xarray(args.path), args.path))


def _demo_data(args):
    out = Path(args.out)
    check_replaceable(out, args.overwrite)
    from ..data.demo import (
        make_demo_dataset,  # scipy.stats and integrate: load on demand
    )

    ds = make_demo_dataset(args.samples, args.seed)
    write_dataset(ds, out, overwrite=args.overwrite)
    print(validate(ds, str(out)))
    print(f"wrote {out}")


def _estimate(args):
    from ..core.functions import estimate_mi

    if len(args.files) > 2:
        raise UsageError(f"expected X.npy [Y.npy], got {len(args.files)} files")
    x, y = pair_of_files(args.files)
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
    from ..analysis.cluster import tls_files
    from ..analysis.plan import manifest_digest, parse_chunk, plan_analysis
    from ..analysis.run import run_chunk

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
        from ..analysis.cluster import read_scheduler_file

        address, tls = read_scheduler_file(args.scheduler_file)
    computed, reused = run_chunk(args.dataset, manifest, args.out,
                                 cache_dir=Path(args.cache) / "pairs", workers=args.workers,
                                 memory_mb=args.memory_mb, scheduler_address=address, tls=tls)
    print(f"{args.out}: {computed} pairs estimated, {reused} reused", file=sys.stderr)


def _prune_cache(args):
    from ..analysis.cache import PAIRS, TAG, is_cache, prune
    from ..analysis.plan import plan_analysis
    from ..config import read_config

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
    from ..analysis.gather import gather

    result = gather(args.chunks, args.out, dataset=args.dataset, pairs_csv=args.pairs_csv)
    print(f"{args.out}: {result.sizes['var_x']} x {result.sizes['var_y']} matrix")


def _flow(args):
    from ..analysis import matrix
    from ..analysis.flow import write_graph

    graph = write_graph(matrix.read(args.matrix), args.graphml, args.json)
    print(f"{args.graphml}, {args.json}: {graph.number_of_nodes()} neurons, "
          f"{graph.number_of_edges()} edges", file=sys.stderr)


def _check_config(args):
    from ..analysis.plan import analysis_groups
    from ..config import config_problems, find_schema, read_config

    config = read_config(args.config)
    problems = config_problems(config, args.schema or find_schema())
    if not problems:  # as the workflow refuses them, before any job runs
        from ..analysis.cluster import tls_files

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
    from ..report.page import write_report

    if args.top < 0:
        raise UsageError(f"--top must be >= 0, got {args.top}")
    out = write_report(args.matrix, args.out, data=args.data, unit=args.unit, top_pairs=args.top,
                       previous=args.previous, with_dci=args.dci)
    print(f"{out}: written", file=sys.stderr)


def _compile(args):
    import time

    from ..core.engine.warm import compile_kernels

    started = time.perf_counter()
    compile_kernels(parallel=not args.serial)
    print(f"gmmmi's kernels are compiled and cached "
          f"({time.perf_counter() - started:.0f} s)")


def _compare(args):
    from ..comparison import changes, compare
    from ..core.result import UNITS

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
        from .._files import replacing

        with replacing(args.csv) as staging:
            changes(comparison, changed_only=False).to_csv(staging, index=False)
    if args.out:
        from ..report.page import write_comparison

        write_comparison(comparison, args.out, unit=args.unit)
        print(f"{args.out}: written", file=sys.stderr)


COMMANDS = {"estimate": _estimate, "validate": _validate, "check-config": _check_config,
            "demo-data": _demo_data, "run-chunk": _run_chunk, "cache": _prune_cache,
            "gather": _gather, "flow": _flow, "report": _report, "compare": _compare,
            "compile": _compile}
