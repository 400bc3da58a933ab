"""What one pair needs in memory, and how many workers a chunk's memory holds.

Measured in benchmarks/measured/memory.md: a Dask worker with gmmmi loaded holds about
260 MB; a pair about 130 bytes per sample at N = 2,000,000 (its data, the transformed
points, selection's fold arrays) plus the bootstrap weights' budget; a process's column
cache (:mod:`gmmmi.analysis.columns`) at most ``COLUMN_CACHE_BYTES``.  A set (a vector)
takes about 31 bytes per sample more for each column beyond a pair's two
(benchmarks/measured/memory-vectors.md: 126, 233, 343 and 645 MB at 10^6 samples for
2, 6, 10 and 20 columns).
"""

import math

WORKER_BASE_MB = 300
PAIR_BYTES_PER_SAMPLE = 160
COLUMN_BYTES_PER_SAMPLE = 36
COLUMN_CACHE_BYTES = 64 * 2**20


def pair_memory_mb(n_samples, n_columns=2):
    """About how much memory (MB) a worker needs to estimate one pair of ``n_samples``
    whose x and y have ``n_columns`` columns in all (2 for two variables)."""
    from ..core.bootstrap import WEIGHT_BUDGET_BYTES

    per_sample = PAIR_BYTES_PER_SAMPLE + COLUMN_BYTES_PER_SAMPLE * max(0, n_columns - 2)
    return math.ceil(WORKER_BASE_MB + (COLUMN_CACHE_BYTES + WEIGHT_BUDGET_BYTES
                                       + per_sample * n_samples) / 2**20)


def plan_workers(n_samples, workers, memory_mb, log, n_columns=2):
    """How many workers fit in ``memory_mb`` (None: no limit) with a pair (of
    ``n_columns`` columns) each: the requested number, fewer (with more memory each;
    logged), or 0 when not even one."""
    if memory_mb is None:
        return workers
    need = pair_memory_mb(n_samples, n_columns)
    fit = min(workers, memory_mb // need)
    if 0 < fit < workers:
        print(f"each pair of {n_samples:,} samples needs about {need:,} MB: running {fit} "
              f"worker{'s' if fit > 1 else ''} of {memory_mb // fit:,} MB instead of {workers} "
              f"of {memory_mb // workers:,} MB", file=log, flush=True)
    return fit
