"""Estimate planned pairs: the one path from pairs to results, for the workflow's chunk
jobs (:mod:`gmmmi.analysis.run`) and for ``mi_matrix`` (:mod:`gmmmi.analysis.notebook`).

:func:`estimate_pairs` runs a set of planned pairs (:mod:`gmmmi.analysis.plan`) in this
process, on a local Dask cluster it starts, on a client's cluster, or on an existing
scheduler, and yields each result as it finishes. Every result is
``MIResult.to_dict`` with the seconds taken and the fitted model, pairs that are not
estimated included (:func:`not_estimated`), so a pair's numbers are the same whichever
path and whatever worker estimated it.
"""

import math
import time
import warnings

import numpy as np

from .. import status
from ..core.bootstrap import refit_batch, running_batches
from ..core.settings import SETTING_NAMES
from .cluster import connect, local_cluster, on_dask_worker, one_numba_thread, set_numba_threads
from .columns import ColumnSource, resolved

# A continuous pair with at least this many samples spreads its bootstrap refits over
# the Dask cluster's workers (estimate_values).
SPREAD_SAMPLES = 100_000


def estimate_pairs(columns: ColumnSource, pairs, settings, *, cache_keys=None, workers=1,
                   memory_limit=None, client=None, scheduler_address=None, tls=None, log=None,
                   label="", lost_message=None):
    """Yield (pair, result) for every pair of ``pairs`` as it finishes, in any order.

    ``columns`` (:mod:`gmmmi.analysis.columns`) gives each pair's values. Where the pairs
    run: on ``client``'s cluster; else on the scheduler at ``scheduler_address`` (``tls``:
    :func:`gmmmi.analysis.cluster.tls_files`); else on a local cluster of ``workers``
    single-threaded processes of ``memory_limit`` each, or in this process when
    ``workers`` is 1 (or the cluster cannot start) with that many numba threads (None:
    in this process, its threads left as they are). ``cache_keys`` maps a pair to its
    cache key (the task's name; computed when not given). A pair whose worker died twice
    (Dask's KilledWorker) gets status ``out-of-memory`` with ``lost_message``. With
    ``log``, a progress line every 10 s.
    """
    if not pairs:
        return
    progress = Progress(label, len(pairs), log)
    own_cluster = owned_client = None
    if client is None and scheduler_address is None and (workers or 1) > 1:
        own_cluster = local_cluster(workers, memory_limit, log)
    if client is None and scheduler_address is None and own_cluster is None:
        if workers is not None:  # a job's threads (Snakemake does not set NUMBA_NUM_THREADS)
            set_numba_threads(workers)
        for pair in pairs:
            yield pair, _estimate_task(*columns.inputs(pair), pair, settings)
            progress.step()
        return
    from dask.distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    cache_keys = cache_keys or {pair: pair.cache_key(settings) for pair in pairs}
    lost_message = lost_message or "its Dask worker was lost while estimating it, twice"
    try:
        if client is None:
            client = owned_client = (Client(own_cluster) if own_cluster is not None
                                     else connect(scheduler_address, tls))
            if own_cluster is None:
                n = len(client.scheduler_info().get("workers", {}))
                _say(log, f"{len(pairs)} pairs to the Dask cluster at {scheduler_address} "
                          f"({n} worker{'s' if n != 1 else ''} connected now)")
        sent = columns.on(client)
        futures = {client.submit(_estimate_task, *sent.inputs(pair), pair, settings,
                                 retries=2, key=f"gmmmi-pair-{cache_keys[pair]}"): pair
                   for pair in pairs}
        for future in as_completed(futures):
            pair = futures[future]
            try:
                result = future.result()
            except KilledWorker:
                _say(log, f"{pair.name_x} x {pair.name_y}: {lost_message}")
                result = not_estimated(settings, lost_message, status.OUT_OF_MEMORY)
            yield pair, result
            progress.step()
    finally:
        if owned_client is not None:
            owned_client.close()
        if own_cluster is not None:
            own_cluster.close()


def _say(log, text):
    if log is not None:
        print(text, file=log, flush=True)


class Progress:
    """Progress lines on ``log`` (None: silent) every ``every`` seconds: done, rate, time
    left."""

    def __init__(self, label, total, log, every=10.0):
        self.label, self.total, self.log, self.every = label, total, log, every
        self.done, self.start, self.last = 0, time.monotonic(), time.monotonic()

    def step(self):
        self.done += 1
        now = time.monotonic()
        if self.log is not None and (self.done == self.total or now - self.last >= self.every):
            rate = self.done / max(now - self.start, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else math.inf
            _say(self.log, f"{self.label}: {self.done}/{self.total} pairs estimated, "
                           f"{rate:.2f} pairs/s, about {left:.0f} s left")
            self.last = now


def _estimate_task(x, y, pair, settings):
    """One pair's task: :func:`estimate_values` of its inputs (arrays, or references to a
    stored dataset read here: :mod:`gmmmi.analysis.columns`)."""
    return estimate_values(resolved(x), resolved(y), pair, settings)


def estimate_values(x, y, pair, settings, spread_samples=SPREAD_SAMPLES):
    """The MI of one planned pair given its two columns, as a JSON-ready dict
    (``MIResult.to_dict`` with the seconds taken and the fitted model).

    On a Dask worker, a continuous pair of at least ``spread_samples`` samples hands its
    bootstrap refits to the cluster's other workers (:func:`_spread_batches`); the
    numbers are the same bit for bit.
    """
    on_worker = on_dask_worker()
    if on_worker:
        one_numba_thread()
    spread = (on_worker and len(x) >= spread_samples and settings["n_bootstrap"] > 1
              and "categorical" not in (pair.kind_x, pair.kind_y))
    if pair.kind_x == "categorical" and pair.kind_y == "categorical":
        return not_estimated(settings, "both variables are categorical")
    if pair.kind_x == "categorical":
        x, y = y, x
    # imported here: it brings scikit-learn (a second), which a chunk whose pairs all
    # come from the cache never needs
    from ..core.estimator import GMMMI

    options = {k: settings[k] for k in SETTING_NAMES} | {"seed": pair.seed}
    estimator = GMMMI(categorical="categorical" in (pair.kind_x, pair.kind_y),
                      resample_seed=settings["seed"], **options)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), running_batches(_spread_batches if spread else None):
            warnings.simplefilter("ignore")  # the status carries what the warning says
            estimator.fit(x, y)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        # one pair's failure must not stop the others; it is not cached
        return not_estimated(settings, f"{type(exc).__name__}: {exc}", status.FAILED)
    return estimator.result_.to_dict() | {"seconds": time.perf_counter() - start,
                                          "model": _fitted_model(estimator)}


def not_estimated(settings, message, word=status.NOT_ESTIMATED):
    """The result of a pair that has no estimate (status ``word``, explained by
    ``message``), shaped as every other: ``MIResult.to_dict`` with seconds and model."""
    from ..core.result import MIResult

    result = MIResult(math.nan, math.nan, np.full(settings["n_bootstrap"], math.nan), 0,
                      word, "nat", message=message, settings=settings)
    return result.to_dict() | {"seconds": 0.0, "model": None}


def _fitted_model(estimator):
    """The selected mixture(s) and CV scores of a fitted ``GMMMI``, JSON-ready.

    Mixtures live in the space the estimator fitted (``marginals_``);
    a categorical pair has one 1-D mixture per category label.
    """
    def scores(table):
        return {str(k): (v if math.isfinite(v) else None) for k, v in table.items()}

    if estimator.mixture_ is not None:
        return {"marginals": estimator.marginals_, "mixture": estimator.mixture_.to_dict(),
                "cv_scores": scores(estimator.cv_scores_)}
    if estimator.mixtures_:
        return {"marginals": estimator.marginals_,
                "mixtures": {str(label): m.to_dict() for label, m in estimator.mixtures_.items()},
                "cv_scores": {str(label): scores(table)
                              for label, table in estimator.cv_scores_.items()}}
    return None


def _spread_batches(X, batches, resample, start, settings):
    """Bootstrap refits as Dask tasks, in at least one batch per worker of the cluster
    (the :class:`gmmmi.core.bootstrap.BatchRunner` of a pair on a Dask worker).

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
        futures = [client.submit(_refit_batch_task, data, fits, resample, start, settings,
                                 pure=False) for fits in pieces]
        return client.gather(futures)


def _refit_batch_task(X, fits, resample, start, settings):
    one_numba_thread()
    return refit_batch(X, fits, resample, start, settings)


def _split(fits, parts):
    """``fits`` (a range) cut into at most ``parts`` consecutive ranges."""
    size = -(-len(fits) // max(1, parts))
    return [range(b, min(b + size, fits.stop)) for b in range(fits.start, fits.stop, size)]
