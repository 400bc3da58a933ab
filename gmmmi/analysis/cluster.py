"""A Dask cluster the workflow starts for one run: workers as SLURM jobs (dask-jobqueue).

With ``dask: {cluster: slurm}`` in the config, the workflow's main process starts a
``dask_jobqueue.SLURMCluster`` when the run starts (Snakemake's ``onstart``) and closes
it when the run ends. Its scheduler lives in the main process and speaks only TLS, with
certificates made for the run (``Security.temporary``: nobody else can submit tasks);
the workers' copies are written by dask-jobqueue to the run's folder, the chunk jobs'
to :data:`SCHEDULER_FILE` beside them (readable by the user only). Chunk jobs connect
with ``run-chunk --scheduler-file``, so the address, which changes every run, never
enters a rule's parameters (it would rerun every chunk).
"""

import json
from pathlib import Path

from .._files import write_json

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
