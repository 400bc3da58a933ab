"""The Dask clusters a chunk's pairs run on, and the environment of their workers.

- A local cluster per chunk job (:func:`local_cluster`), started with retries.
- An existing scheduler (:func:`connect`), over TLS (:func:`tls_files`) on any machine
  others can reach.
- The run's own workers as SLURM jobs (dask-jobqueue): with ``dask: {cluster: slurm}`` in
  the config, the workflow's main process starts a ``dask_jobqueue.SLURMCluster`` when the
  run starts (Snakemake's ``onstart``) and closes it when the run ends. Its scheduler lives
  in the main process and speaks only TLS, with certificates made for the run
  (``Security.temporary``: nobody else can submit tasks); the workers' copies are written
  by dask-jobqueue to the run's folder, the chunk jobs' to :data:`SCHEDULER_FILE` beside
  them (readable by the user only). Chunk jobs connect with ``run-chunk
  --scheduler-file``, so the address, which changes every run, never enters a rule's
  parameters (it would rerun every chunk).
"""

import json
import os
import sys
from pathlib import Path

from .._files import write_json
from ..core.validation import first_line

FOLDER = "results/.dask"
SCHEDULER_FILE = "scheduler.json"
CLIENT_FILES = {"ca_file": "ca.pem", "cert": "client-cert.pem", "key": "client-key.pem"}
# The environment of every Dask worker the workflow starts (here and in run.py's local
# clusters). Each worker is one single-threaded process: BLAS and numba threads are kept to
# 1 (they would otherwise take every CPU of the node). Dask's nanny sets glibc's
# MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's mmap threshold at 128 KB, so every
# array of a big pair is mapped and unmapped again: a pair's selection at N = 200,000 took
# 30% longer on a worker than in a plain process. Arrays up to 8 MB from the heap, with
# 16 MB kept at its top, restore the plain process's speed (benchmarks/measured/big_pair.md).
WORKER_ENVIRONMENT = {**dict.fromkeys(
    ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
     "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS"), "1"),
    "MALLOC_MMAP_THRESHOLD_": "8388608", "MALLOC_TOP_PAD_": "16777216"}
PROLOGUE = [f"export {name}={value}" for name, value in WORKER_ENVIRONMENT.items()]


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


def connect(address, tls=None):
    """A client of the scheduler at ``address``; ``tls`` (:func:`tls_files`) secures it."""
    from dask.distributed import Client
    from distributed.security import Security

    security = None if tls is None else Security(
        tls_ca_file=tls["tls_ca_file"], tls_client_cert=tls["tls_cert"],
        tls_client_key=tls["tls_key"], require_encryption=True)
    return Client(address, timeout="60s", security=security)


def local_cluster(workers, memory_limit, log):
    """A local Dask cluster of ``workers`` single-threaded processes, started with retries.

    A worker killed while the cluster starts (an OOM kill, a flaky node) fails the whole
    start; it is tried again, then with half the workers, and when not even two workers
    start, None: the pairs then run in this process. Each fallback is logged.
    """
    import dask
    from dask.distributed import LocalCluster

    os.environ.update(WORKER_ENVIRONMENT)  # worker processes inherit it
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


def set_numba_threads(threads):
    """At most ``threads`` numba threads in this process (bootstrap fits run in parallel)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def one_numba_thread():
    """One numba thread for the task on this thread (numba's count is per thread; a worker
    whose environment does not set NUMBA_NUM_THREADS=1 would start one per core)."""
    import numba

    numba.set_num_threads(1)


def on_dask_worker():
    """Whether this code runs in a Dask worker's task."""
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def start_slurm_cluster(options, memory_mb, folder=FOLDER):
    """Start a SLURMCluster of ``options["workers"]`` single-CPU worker jobs and write the
    scheduler file the chunk jobs read; returns the cluster (close with :func:`stop`).

    ``options`` is the config's ``dask.slurm``: ``workers``, ``memory`` (``auto``:
    ``memory_mb``), ``walltime``, ``queue``, ``account``, ``interface``,
    ``job_extra_directives``.
    """
    from dask_jobqueue import SLURMCluster

    folder = Path(folder).resolve()
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    memory = options.get("memory", "auto")
    cluster = SLURMCluster(
        cores=1, processes=1, memory=f"{memory_mb}MB" if memory == "auto" else memory,
        walltime=options.get("walltime", "01:00:00"), queue=options.get("queue"),
        account=options.get("account"), interface=options.get("interface"),
        job_extra_directives=list(options.get("job_extra_directives") or []),
        job_script_prologue=PROLOGUE, job_name="gmmmi-dask",
        log_directory=str(folder / "logs"),
        security=True, shared_temp_directory=str(folder),
        scheduler_options={"dashboard_address": "127.0.0.1:0"})
    cluster.scale(int(options.get("workers", 2)))
    tls = cluster.security.get_tls_config_for_role("client")
    files = {}
    for key, name in CLIENT_FILES.items():
        path = folder / name
        path.touch(mode=0o600)
        path.write_text(tls[key])
        files[f"tls_{key}"] = str(path)
    write_json(folder / SCHEDULER_FILE, {"address": cluster.scheduler_address} | files)
    return cluster


def read_scheduler_file(path):
    """(address, TLS files) from a scheduler file :func:`start_slurm_cluster` wrote."""
    try:
        spec = json.loads(Path(path).read_text())
        return spec["address"], {k: spec[k] for k in ("tls_ca_file", "tls_cert", "tls_key")}
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(f"{path}: no Dask cluster's scheduler file (the workflow writes it "
                         f"when a run with dask.cluster starts)") from None


def stop(cluster, folder=FOLDER):
    """Close the run's cluster (its SLURM jobs are cancelled) and remove the chunk jobs'
    certificates (dask-jobqueue removes the workers' at exit; the workers' logs stay)."""
    if cluster is not None:
        cluster.close()
    for name in (SCHEDULER_FILE, *CLIENT_FILES.values()):
        (Path(folder) / name).unlink(missing_ok=True)
