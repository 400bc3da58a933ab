"""The bootstrap: joint resamples of the rows, refits of the chosen mixtures on them
(batched), and the linear bootstrap of large samples."""

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .components import _fit
from .settings import _STREAM_BOOTSTRAP

# Bootstrap refits run in batches whose resample counts (one byte per sample and fit)
# take at most this much memory, so a pair's memory is bounded whatever N; each fit's
# counts come from its own stream, so batching never changes a result.
WEIGHT_BUDGET_BYTES = 32 * 2**20


# From this many samples, bootstrap_method="auto" takes the linear bootstrap instead of
# refitting every resample: there the two agree (at N = 10^4 the refit values follow the
# linear ones with correlation 0.97, median over 16 tasks, and a std ratio of 0.84-1.01,
# benchmarks/measured/linear_bootstrap.md) and the refits are most of a pair's time.
LINEAR_BOOTSTRAP_SAMPLES = 10_000


@dataclass(frozen=True, eq=False)
class Resample:
    """Which rows bootstrap replicate ``b`` draws.

    Replicate ``b`` is a multinomial draw of ``n_rows`` rows from ``key`` and ``b`` alone,
    over the rows of the data as the caller gave them; the samples of a fit are the
    ``rows`` it kept of those (None: all, in order) and weigh their rows' counts. Every
    estimate made with the same key on the same data therefore resamples the same rows
    in replicate ``b``, whatever it dropped (missing values, repeated rows, a category
    too small): a function of several estimates (an MI matrix's MIG, the difference of
    two cells) has a joint bootstrap.
    """

    key: tuple
    n_rows: int
    rows: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.n_rows if self.rows is None else len(self.rows)

    def take(self, kept):
        """The resample of the samples ``kept`` (a boolean mask or indices) of these."""
        index = np.arange(self.n_rows) if self.rows is None else self.rows
        return Resample(self.key, self.n_rows, index[kept])

    def counts(self, fits):
        """Resample counts (uint8), one row per bootstrap fit of ``fits``, one column per
        sample. A count above 255 (a row drawn that often) would need N in the thousands
        of millions and is refused rather than wrapped."""
        counts = np.empty((len(fits), self.n_samples), dtype=np.uint8)
        for row, b in enumerate(fits):
            rng = np.random.default_rng(list(self.key) + [_STREAM_BOOTSTRAP, int(b)])
            drawn = np.bincount(rng.integers(self.n_rows, size=self.n_rows, dtype=np.int32),
                                minlength=self.n_rows)
            if drawn.max() > 255:
                raise ValueError("a bootstrap resample drew one sample more than 255 times")
            counts[row] = drawn if self.rows is None else drawn[self.rows]
        return counts


def bootstrap_batches(n_samples, n_bootstrap, rows_per_fit=1):
    """The bootstrap fits in batches of at most ``WEIGHT_BUDGET_BYTES`` of weights."""
    size = max(1, WEIGHT_BUDGET_BYTES // max(1, n_samples * rows_per_fit))
    return [range(b, min(b + size, n_bootstrap)) for b in range(0, n_bootstrap, size)]


def linear_bootstrap_applies(n_samples, settings):
    """Whether the bootstrap of ``n_samples`` samples is the linear one (see
    :func:`linear_bootstrap`) rather than refits."""
    return settings.bootstrap_method == "linear" or (
        settings.bootstrap_method == "auto" and n_samples >= LINEAR_BOOTSTRAP_SAMPLES)


def linear_bootstrap(pointwise, value, n_bootstrap, resample):
    """Bootstrap values of a quantity from its per-sample terms, without refitting.

    ``pointwise`` holds, for each sample, the term whose mean is the quantity under the
    mixture fitted on all data (``information.pointwise_combination``); its deviations
    from their mean are the quantity's influence function.  For each resample (the same
    counts c as the refits draw, :class:`Resample`), the value is ``value`` + sum_i c_i
    (p_i - mean p) / sum_i c_i: the refit's value to first order in the resampling.  It
    leaves out the small upward shift that refitting duplicated points adds, and costs one
    pass over the data per resample instead of an EM fit.  Values are clipped at 0:
    every quantity bootstrapped this way is an information, never negative.
    """
    centred = np.asarray(pointwise, dtype=np.float64) - np.mean(pointwise)
    n_samples = len(centred)
    values = np.empty(n_bootstrap)
    for fits in bootstrap_batches(n_samples, n_bootstrap):
        counts = resample.counts(fits)
        for row, b in enumerate(fits):
            values[b] = value + np.dot(counts[row], centred) / counts[row].sum(dtype=np.int64)
    return np.maximum(values, 0.0)


def refit(X, sample_weights, start, settings):
    """Refit on each row of ``sample_weights``, warm-started from ``start``, stopping at
    ``settings.bootstrap_tol``.

    ``start`` holds parameters with a leading dimension of 1 (the same start for
    every fit) or of ``len(sample_weights)``.
    """
    n_fits = sample_weights.shape[0]
    starts = tuple(np.broadcast_to(p, (n_fits,) + p.shape[1:]) for p in start)
    return _fit(X, sample_weights, starts, settings, settings.bootstrap_tol).mixtures


def refit_categories_bootstrap(X, masks, n_bootstrap, resample, starts, settings):
    """Refit each category's mixture on ``n_bootstrap`` resamples of ``X`` (all categories
    resampled together, so their shares vary as the data's would).

    ``masks`` (n_categories, n_samples) says which rows are each category's; ``starts``
    holds each category's selected mixture (leading dimension n_categories). Each resample
    is one row of counts (:meth:`Resample.counts`), split by category into one fit per
    category, in memory-bounded batches. Returns the mixtures, with leading dimensions
    (n_bootstrap, n_categories), and each resample's category shares (n_bootstrap,
    n_categories).
    """
    n_samples, n_categories = len(X), len(masks)
    fitted, proportions = [], []
    for fits in bootstrap_batches(n_samples, n_bootstrap, n_categories):
        counts = resample.counts(fits)
        weights = (counts[:, None, :] * masks[None]).reshape(-1, n_samples)
        tiled = tuple(np.tile(p, (len(fits),) + (1,) * (p.ndim - 1)) for p in starts)
        fitted.append(refit(X, weights, tiled, settings))
        proportions.append(np.stack([counts[:, m].sum(axis=1) for m in masks], axis=1))
    mixtures = tuple(np.concatenate(p).reshape((n_bootstrap, n_categories) + p[0].shape[1:])
                     for p in zip(*fitted))
    proportions = np.concatenate(proportions)
    return mixtures, proportions / proportions.sum(axis=1, keepdims=True)


def refit_batch(X, fits, resample, start, settings):
    """The refits of bootstrap fits ``fits`` (a range): a unit of work that gives the same
    numbers wherever it runs and whatever other fits share its batch."""
    return refit(X, resample.counts(fits), start, settings)


class BatchRunner(Protocol):
    """Runs :func:`refit_bootstrap`'s batches elsewhere (``running_batches``):
    ``gmmmi.analysis.estimate`` spreads a big pair's batches over Dask workers."""

    def __call__(self, X, batches, resample, start, settings) -> list:
        """The refits of every fit of ``batches`` (ranges of fits), in order, as
        :func:`refit_batch` gives them."""


# Who runs refit_bootstrap's batches: here, one after the other, unless a caller hands them
# to a BatchRunner
_RUN_BATCHES: contextvars.ContextVar[BatchRunner | None] = contextvars.ContextVar(
    "gmmmi_run_batches", default=None)


@contextlib.contextmanager
def running_batches(run: BatchRunner | None):
    """Within the block, :func:`refit_bootstrap` calls ``run(X, batches, resample, start,
    settings)`` (a :class:`BatchRunner`), which returns the refits of every fit of
    ``batches`` in order, as :func:`refit_batch` gives them for consecutive ranges of fits,
    computed however and wherever it likes (``run`` None: here)."""
    token = _RUN_BATCHES.set(run)
    try:
        yield
    finally:
        _RUN_BATCHES.reset(token)


def refit_bootstrap(X, n_bootstrap, resample, start, settings):
    """Refit ``start`` (leading dimension 1) on ``n_bootstrap`` resamples of ``X`` (drawn
    by ``resample``, a :class:`Resample`), in memory-bounded batches; (weights, means,
    covariances) with a leading n_bootstrap."""
    batches = bootstrap_batches(len(X), n_bootstrap)
    run = _RUN_BATCHES.get()
    parts = (run(X, batches, resample, start, settings) if run is not None else
             [refit_batch(X, fits, resample, start, settings) for fits in batches])
    return tuple(np.concatenate(p) for p in zip(*parts))
