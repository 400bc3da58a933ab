"""Run one chunk: estimate its pairs, cache each finished pair, write the chunk's results.

A chunk run estimates the pairs of one manifest (:mod:`gmmmi.analysis.plan`) with
:func:`gmmmi.analysis.estimate.estimate_pairs`: in its own process when it has one
thread, else one Dask task per pair, on a local cluster sized to the job's threads and
memory (:mod:`gmmmi.analysis.memory`) or on an existing scheduler. Each finished pair is
kept in the content-addressed cache (:mod:`gmmmi.analysis.cache`), so a rerun recomputes
only pairs whose variables or settings changed, and an interrupted chunk resumes where it
stopped.
"""

import sys
import time
from pathlib import Path

from .. import status
from .._files import write_json
from ..data.store import read_xarray
from .cache import PairCache
from .columns import StoredColumns
from .estimate import estimate_pairs, not_estimated
from .memory import pair_memory_mb, plan_workers
from .plan import manifest_digest


def run_chunk(dataset, manifest, out, *, cache_dir, workers=1, memory_mb=None,
              scheduler_address=None, tls=None, log=None):
    """Estimate every pair of one chunk ``manifest`` and write the chunk's results (JSON).

    Cached pairs are reused; the rest run as one Dask task each: on ``scheduler_address``
    if given, else on a local cluster of ``workers`` single-threaded processes (or in this
    process when ``workers`` is 1) sharing ``memory_mb`` MB; ``tls``
    (:func:`gmmmi.analysis.cluster.tls_files`) secures the connection to the scheduler.
    Workers are fewer when a pair needs more than its share
    (:func:`gmmmi.analysis.memory.pair_memory_mb`); when not even one worker fits, the
    pairs get status ``out-of-memory`` (not cached). Progress goes to ``log`` (None: the
    standard error of the moment, not of the first import). Returns (computed, reused)
    counts.
    """
    log = sys.stderr if log is None else log
    started = time.monotonic()
    settings = manifest["settings"]
    pairs = manifest["pairs"]
    label = f"{manifest['analysis']} chunk {manifest['chunk'] + 1}/{manifest['n_chunks']}"
    cache_keys = {pair: pair.cache_key(settings) for pair in pairs}
    results, todo = {}, []
    cache = PairCache(cache_dir)
    for pair in pairs:
        hit = cache.get(cache_keys[pair])
        if hit is None:
            todo.append(pair)
        else:
            results[pair] = (hit, False)
    print(f"{label}: {len(pairs)} pairs, {len(pairs) - len(todo)} cached, {len(todo)} to "
          f"estimate", file=log, flush=True)
    n_samples = read_xarray(dataset).sizes.get("sample", 0) if todo else 0
    n_columns = max((pair.n_columns for pair in todo), default=2)
    need = pair_memory_mb(n_samples, n_columns)
    if scheduler_address is None:
        workers = plan_workers(n_samples, workers, memory_mb, log, n_columns)
    lost = (f"its Dask worker was lost while estimating it, twice (out of memory? a pair of "
            f"{n_samples:,} samples needs about {need:,} MB per worker)")
    if workers == 0:
        lost = (f"a pair of {n_samples:,} samples needs about {need:,} MB, the chunk has "
                f"{memory_mb:,} MB: set chunk_resources.mem_mb to at least {need:,}")
        print(f"{label}: {lost}; its {len(todo)} pairs are marked {status.OUT_OF_MEMORY}",
              file=log, flush=True)
        estimated = ((pair, not_estimated(settings, lost, status.OUT_OF_MEMORY))
                     for pair in todo)
    else:
        estimated = estimate_pairs(
            StoredColumns(dataset), todo, settings, cache_keys=cache_keys, workers=workers,
            memory_limit=memory_mb and f"{memory_mb // workers}MB",
            scheduler_address=scheduler_address, tls=tls, log=log, label=label,
            lost_message=lost)
    with cache:
        for pair, result in estimated:
            if result["status"] not in status.RETRIED:
                cache.put(cache_keys[pair], result)
            results[pair] = (result, True)
    rows = [{"pair": pair.fields(), "computed": results[pair][1], **results[pair][0]}
            for pair in pairs]
    write_json(Path(out), {key: manifest[key] for key in (
        "analysis", "kind", "chunk", "n_chunks", "settings", "x_variables", "y_variables",
        "sets") if key in manifest}
        | {"digest": manifest_digest(manifest), "results": rows,
           "seconds": time.monotonic() - started})
    return len(todo), len(pairs) - len(todo)
