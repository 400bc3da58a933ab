"""What one pair needs in memory, and how many workers a chunk's memory holds.

Measured in benchmarks/measured/memory.md: a Dask worker with gmmmi loaded holds about
260 MB; a pair about 130 bytes per sample at N = 2,000,000 (its data, the transformed
points, selection's fold arrays) plus the bootstrap weights' budget; a process's column
cache (:mod:`gmmmi.analysis.columns`) at most ``COLUMN_CACHE_BYTES``.
"""

import math

WORKER_BASE_MB = 300
PAIR_BYTES_PER_SAMPLE = 160
COLUMN_CACHE_BYTES = 64 * 2**20


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
