"""Run one chunk: estimate its pairs as Dask tasks, cache each finished pair.

A chunk run estimates the pairs of one manifest (:mod:`gmmmi.analysis.plan`): in its own
process when it has one thread, else one Dask task per pair, on a local cluster sized to
the job's threads and memory or on an existing scheduler. Each finished pair is kept in
the content-addressed cache (:mod:`gmmmi.analysis.cache`), so a rerun recomputes only
pairs whose variables or settings changed, and an interrupted chunk resumes where it
stopped.
"""

import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .. import status
from .._files import write_json
from ..core.fitting import SETTING_NAMES, refit_batch, running_batches
from ..core.validation import first_line
from ..data.dataset import DatasetError, read_xarray, variable, variable_fingerprint
from .cache import PairCache
from .cluster import WORKER_ENVIRONMENT
from .plan import manifest_digest

# What one pair needs, for sizing a chunk's workers (benchmarks/measured/memory.md):
# a Dask worker with gmmmi loaded holds about 260 MB; a pair about 130 bytes per sample
# at N = 2,000,000 (its data, the transformed points, selection's fold arrays) plus the
# bootstrap weights' budget; the chunk's column cache at most COLUMN_CACHE_BYTES.
WORKER_BASE_MB = 300
PAIR_BYTES_PER_SAMPLE = 160
COLUMN_CACHE_BYTES = 64 * 2**20
# A continuous pair with at least this many samples spreads its bootstrap refits over
# the Dask cluster's workers (estimate_values).
SPREAD_SAMPLES = 100_000


def pair_memory_mb(n_samples):
    """About how much memory (MB) a worker needs to estimate one pair of ``n_samples``."""
    from ..core.fitting import WEIGHT_BUDGET_BYTES

    return math.ceil(WORKER_BASE_MB + (COLUMN_CACHE_BYTES + WEIGHT_BUDGET_BYTES
                                       + PAIR_BYTES_PER_SAMPLE * n_samples) / 2**20)



def plan_workers(n_samples, workers, memory_mb, log):
    """How many workers fit in ``memory_mb`` (None: no limit) with a pair each: the
    requested number, fewer (with more memory each; logged), or 0 when not even one."""
    if memory_mb is None:
        return workers
    need = pair_memory_mb(n_samples)
    fit = min(workers, memory_mb // need)
    if 0 < fit < workers:
        print(f"each pair of {n_samples:,} samples needs about {need:,} MB: running {fit} "
              f"worker{'s' if fit > 1 else ''} of {memory_mb // fit:,} MB instead of {workers} "
              f"of {memory_mb // workers:,} MB", file=log, flush=True)
    return fit



def tls_files(address, ca_file=None, cert=None, key=None):
    """The TLS files for a scheduler at ``address`` (checked: one-line errors), or None.

    A ``tls://`` address needs all three, unless Dask's own configuration
    (``distributed.comm.tls``) names them; a ``tcp://`` one takes none.
    """
    given = {"tls_ca_file": ca_file, "tls_cert": cert, "tls_key": key}
    if not address or not any(given.values()):
        import dask

        if address and address.startswith("tls://") and not dask.config.get(
                "distributed.comm.tls.ca-file", None):
            raise ValueError(f"{address}: a tls:// scheduler needs dask.tls_ca_file, tls_cert "
                             f"and tls_key in the config (see docs/user-guide/workflow.md, Dask)")
        return None
    if not address.startswith("tls://"):
        raise ValueError(f"{address}: TLS files are given but the address is not tls://")
    for name, path in given.items():
        if not path:
            raise ValueError(f"dask.{name} is missing: TLS needs tls_ca_file, tls_cert and "
                             f"tls_key")
        try:
            Path(path).read_bytes()
        except OSError as exc:
            raise ValueError(f"dask.{name}: {path}: cannot be read ({exc.strerror})") from None
    return given


def run_chunk(dataset, manifest, out, *, cache_dir, workers=1, memory_mb=None,
              scheduler_address=None, tls=None, log=sys.stderr):
    """Estimate every pair of one chunk ``manifest`` and write the chunk's results (JSON).

    Cached pairs are reused; the rest run as one Dask task each: on ``scheduler_address``
    if given, else on a local cluster of ``workers`` single-threaded processes (or in this
    process when ``workers`` is 1) sharing ``memory_mb`` MB; ``tls`` (:func:`tls_files`)
    secures the connection to the scheduler. Workers are fewer when a pair
    needs more than its share (:func:`pair_memory_mb`); when not even one worker fits, the
    pairs get status ``out-of-memory`` (not cached). Returns (computed, reused) counts.
    """
    started = time.monotonic()
    settings = manifest["settings"]
    dataset = str(Path(dataset).resolve())  # workers of an external cluster start elsewhere
    pairs = manifest["pairs"]
    label = f"{manifest['analysis']} chunk {manifest['chunk'] + 1}/{manifest['n_chunks']}"
    results, todo = {}, []
    cache = PairCache(cache_dir)
    for pair in pairs:
        hit = cache.get(pair.cache_key(settings))
        if hit is None:
            todo.append(pair)
        else:
            results[pair] = (hit, False)
    print(f"{label}: {len(pairs)} pairs, {len(pairs) - len(todo)} cached, {len(todo)} to "
          f"estimate", file=log, flush=True)
    progress = Progress(label, len(todo), log)
    n_samples = read_xarray(dataset).sizes.get("sample", 0) if todo else 0
    need = pair_memory_mb(n_samples)
    if scheduler_address is None:
        workers = plan_workers(n_samples, workers, memory_mb, log)
    lost = (f"its Dask worker was lost while estimating it, twice (out of memory? a pair of "
            f"{n_samples:,} samples needs about {need:,} MB per worker)")
    if workers == 0:
        lost = (f"a pair of {n_samples:,} samples needs about {need:,} MB, the chunk has "
                f"{memory_mb:,} MB: set chunk_resources.mem_mb to at least {need:,}")
        print(f"{label}: {lost}; its {len(todo)} pairs are marked {status.OUT_OF_MEMORY}",
              file=log, flush=True)
    estimated = (((pair, _not_estimated(settings, lost, status.OUT_OF_MEMORY)) for pair in todo)
                 if workers == 0 else
                 _estimate_all(dataset, todo, settings, workers,
                               memory_mb and f"{memory_mb // workers}MB", scheduler_address,
                               log, lost, tls))
    with cache:
        for pair, result in estimated:
            if result["status"] not in status.RETRIED:
                cache.put(pair.cache_key(settings), result)
            results[pair] = (result, True)
            progress.step()
    rows = [{"pair": pair.fields(), "computed": results[pair][1], **results[pair][0]}
            for pair in pairs]
    write_json(Path(out), {key: manifest[key] for key in (
        "analysis", "kind", "chunk", "n_chunks", "settings", "x_variables", "y_variables",
        "sets") if key in manifest}
        | {"digest": manifest_digest(manifest), "results": rows,
           "seconds": time.monotonic() - started})
    return len(todo), len(pairs) - len(todo)



class Progress:
    """Progress lines on ``log`` every ``every`` seconds: done, rate, time left."""

    def __init__(self, label, total, log, every=10.0):
        self.label, self.total, self.log, self.every = label, total, log, every
        self.done, self.start, self.last = 0, time.monotonic(), time.monotonic()

    def step(self):
        self.done += 1
        now = time.monotonic()
        if self.done == self.total or now - self.last >= self.every:
            rate = self.done / max(now - self.start, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else math.inf
            print(f"{self.label}: {self.done}/{self.total} pairs estimated, {rate:.2f} pairs/s, "
                  f"about {left:.0f} s left", file=self.log, flush=True)
            self.last = now



def _estimate_all(dataset, pairs, settings, workers, memory_limit, scheduler_address, log,
                  lost_message, tls=None):
    """Yield (pair, result) as pairs finish, in any order; a pair whose worker died (Dask's
    KilledWorker) gets status out-of-memory with ``lost_message``."""
    if not pairs:
        return
    cluster = None
    if scheduler_address is None:
        cluster = _local_cluster(workers, memory_limit, log) if workers > 1 else None
        if cluster is None:
            _set_numba_threads(workers)  # Snakemake does not set NUMBA_NUM_THREADS
            for pair in pairs:
                yield pair, estimate_pair(dataset, pair, settings)
            return
    from dask.distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    if cluster is not None:
        client = Client(cluster)
    else:
        from distributed.security import Security

        security = None if tls is None else Security(
            tls_ca_file=tls["tls_ca_file"], tls_client_cert=tls["tls_cert"],
            tls_client_key=tls["tls_key"], require_encryption=True)
        client = Client(scheduler_address, timeout="60s", security=security)
        workers = len(client.scheduler_info().get("workers", {}))
        print(f"{len(pairs)} pairs to the Dask cluster at {scheduler_address} ({workers} "
              f"worker{'s' if workers != 1 else ''} connected now)", file=log, flush=True)
    try:
        futures = {client.submit(estimate_pair, dataset, pair, settings, retries=2,
                                 key=f"gmmmi-pair-{pair.cache_key(settings)}"): pair
                   for pair in pairs}
        for future in as_completed(futures):
            try:
                result = future.result()
            except KilledWorker:
                print(f"{futures[future].name_x} x {futures[future].name_y}: {lost_message}",
                      file=log, flush=True)
                result = _not_estimated(settings, lost_message, status.OUT_OF_MEMORY)
            yield futures[future], result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()



def _set_numba_threads(threads):
    """At most ``threads`` numba threads in this process (bootstrap fits run in parallel)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def _local_cluster(workers, memory_limit, log):
    """A local Dask cluster of ``workers`` single-threaded processes, started with retries.

    A worker killed while the cluster starts (an OOM kill, a flaky node) fails the whole
    start; it is tried again, then with half the workers, and when not even two workers
    start, None: the pairs then run in this process. Each fallback is logged.
    """
    import dask
    from dask.distributed import LocalCluster

    os.environ.update(WORKER_ENVIRONMENT)  # worker processes inherit it (see cluster.py)
    attempts = [workers, workers] + [n for n in (workers // 2, workers // 4) if n >= 2]
    # Pairs hold no Dask-managed data: spilling and pausing do not apply (a paused worker
    # would sit idle), and a pair whose worker died once more is not tried again.
    settings = {"distributed.scheduler.allowed-failures": 1,
                "distributed.worker.memory.target": False,
                "distributed.worker.memory.spill": False,
                "distributed.worker.memory.pause": False}
    for attempt, n in enumerate(attempts):
        try:
            with dask.config.set(settings):
                return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    memory_limit=memory_limit or "auto",
                                    dashboard_address="127.0.0.1:0", host="127.0.0.1")
        except Exception as exc:  # noqa: BLE001 - any start failure has the same remedy
            following = attempts[attempt + 1] if attempt + 1 < len(attempts) else None
            then = (f"trying again with {following} workers" if following
                    else "running the pairs in this process instead")
            print(f"warning: a local Dask cluster of {n} workers failed to start "
                  f"({type(exc).__name__}: {first_line(exc)}); {then}",
                  file=log, flush=True)
    return None



_COLUMNS = {}
_OPENED = {}


def _column(dataset, group, name, fingerprint, kind):
    """One variable's values, checked against the fingerprint the plan recorded.

    The store is opened (and its chunks checked) once per process; when a read fails
    or does not match, the handle may be stale (the store rewritten since), so it is
    reopened once first.
    """
    key = (str(dataset), group, name, fingerprint)
    if key not in _COLUMNS:
        try:
            values = _read_column(dataset, group, name)
        except DatasetError:
            values = None
        if values is None or variable_fingerprint(values, kind) != fingerprint:
            _OPENED.pop(str(dataset), None)
            values = _read_column(dataset, group, name)
            if variable_fingerprint(values, kind) != fingerprint:
                raise DatasetError(f"{dataset}: {group}/{name} changed since the plan was "
                                   f"made; run the workflow again")
        if sum(v.nbytes for v in _COLUMNS.values()) + values.nbytes > COLUMN_CACHE_BYTES:
            _COLUMNS.clear()
        _COLUMNS[key] = values
    return _COLUMNS[key]



def _read_column(dataset, group, name):
    if str(dataset) not in _OPENED:
        _OPENED[str(dataset)] = read_xarray(dataset)
    return variable(_OPENED[str(dataset)], group, name, str(dataset))


def estimate_pair(dataset, pair, settings):
    """The MI of one pair of the dataset at path ``dataset``, JSON-ready (see
    :func:`estimate_values`); its columns are checked against the plan's fingerprints."""
    x, y = (_variables(dataset, pair, axis) for axis in "xy")
    return estimate_values(x, y, pair, settings)


def _variables(dataset, pair, axis):
    """x or y of a pair: one variable's values, or a set's members' side by side."""
    members = getattr(pair, f"members_{axis}")
    if members:
        return np.column_stack([_column(dataset, g, n, f, "continuous") for g, n, f in members])
    return _column(dataset, *(getattr(pair, f"{field}_{axis}")
                              for field in ("group", "name", "fingerprint", "kind")))


def estimate_values(x, y, pair, settings, spread_samples=SPREAD_SAMPLES):
    """The MI of one planned pair given its two columns, as a JSON-ready dict
    (``MIResult.to_dict`` with the seconds taken and the fitted model).

    On a Dask worker, a continuous pair of at least ``spread_samples`` samples hands its
    bootstrap refits to the cluster's other workers (:func:`_spread_batches`); the
    numbers are the same bit for bit.
    """
    on_worker = _on_dask_worker()
    if on_worker:
        _one_thread()
    spread = (on_worker and len(x) >= spread_samples and settings["n_bootstrap"] > 1
              and "categorical" not in (pair.kind_x, pair.kind_y))
    if pair.kind_x == "categorical" and pair.kind_y == "categorical":
        return _not_estimated(settings, "both variables are categorical")
    if pair.kind_x == "categorical":
        x, y = y, x
    # imported here: it brings scikit-learn (a second), which a chunk whose pairs all
    # come from the cache never needs
    from ..core.estimator import GMMMI

    options = {k: settings[k] for k in SETTING_NAMES}
    estimator = GMMMI(categorical="categorical" in (pair.kind_x, pair.kind_y),
                      n_bootstrap=settings["n_bootstrap"], seed=pair.seed, **options)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), running_batches(_spread_batches if spread else None):
            warnings.simplefilter("ignore")  # the status carries what the warning says
            estimator.fit(x, y)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        # one pair's failure must not stop the others; it is not cached
        return _not_estimated(settings, f"{type(exc).__name__}: {exc}", status.FAILED)
    return estimator.result_.to_dict() | {"seconds": time.perf_counter() - start,
                                          "model": fitted_model(estimator)}


def _on_dask_worker():
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def _spread_batches(X, batches, key, start, settings):
    """Bootstrap refits as Dask tasks, in at least one batch per worker of the cluster.

    Runs inside a pair's task: ``worker_client`` lets this task wait without holding
    its worker, which then takes batches as well. Each fit draws from its own stream,
    so how the fits are batched changes no number.
    """
    from distributed import worker_client

    with worker_client() as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        pieces = [piece for fits in batches
                  for piece in _split(fits, -(-n_workers // len(batches)))]
        data = client.scatter(X, broadcast=True)  # every worker can take a batch at once
        futures = [client.submit(_refit_batch_task, data, fits, key, start, settings,
                                 pure=False) for fits in pieces]
        return client.gather(futures)


def _refit_batch_task(X, fits, key, start, settings):
    _one_thread()
    return refit_batch(X, fits, key, start, settings)


def _one_thread():
    """One numba thread for the task on this thread (numba's count is per thread; a worker
    whose environment does not set NUMBA_NUM_THREADS=1 would start one per core)."""
    import numba

    numba.set_num_threads(1)


def _split(fits, parts):
    """``fits`` (a range) cut into at most ``parts`` consecutive ranges."""
    size = -(-len(fits) // max(1, parts))
    return [range(b, min(b + size, fits.stop)) for b in range(fits.start, fits.stop, size)]


def fitted_model(estimator):
    """The selected mixture(s) and CV scores of a fitted ``GMMMI``, JSON-ready.

    Mixtures live in the space the estimator fitted (``marginals_``);
    a categorical pair has one 1-D mixture per category label.
    """
    def scores(table):
        return {str(k): (v if math.isfinite(v) else None) for k, v in table.items()}

    if estimator.mixture_ is not None:
        return {"transform": estimator.marginals_, "mixture": estimator.mixture_.to_dict(),
                "cv_scores": scores(estimator.cv_scores_)}
    if estimator.mixtures_:
        return {"transform": estimator.marginals_,
                "mixtures": {str(label): m.to_dict() for label, m in estimator.mixtures_.items()},
                "cv_scores": {str(label): scores(table)
                              for label, table in estimator.cv_scores_.items()}}
    return None



def _not_estimated(settings, message, word=status.NOT_ESTIMATED):
    return {"quantity": "mi", "value": None, "std": None, "low": None, "high": None,
            "unit": "nat", "n_components": 0,
            "status": word, "message": message, "n_samples": 0,
            "n_dropped": 0, "bootstrap": [None] * settings["n_bootstrap"],
            "settings": settings, "details": {}, "seconds": 0.0, "model": None}

