"""The workflow on a real SLURM cluster (``tests/slurm/start.sh`` starts one on this
machine): chunk jobs submitted as SLURM jobs through the executor plugin and
``profiles/slurm``, and pairs run on Dask workers the run starts as SLURM jobs
(dask-jobqueue), and the whole run inside one `sbatch` job. Each gives the local run's
matrices bit for bit."""

import os
import re
import shutil
import subprocess

import pytest

from tests.helpers import BIN, assert_same_matrices, make_config, open_matrix, snakemake
from tests.helpers import ROOT as REPO

pytestmark = pytest.mark.slow


def _slurm_up():
    try:
        states = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                                timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(s in states for s in ("idle", "mix", "alloc"))


@pytest.fixture(scope="module")
def slurm():
    """A SLURM cluster that answers, started with tests/slurm/start.sh when needed."""
    for module in ("snakemake_executor_plugin_slurm", "dask_jobqueue"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install "
                                           f"'gmmmi[test]')")
    if not _slurm_up():
        if os.geteuid() != 0 and not shutil.which("sudo"):
            pytest.skip("no SLURM cluster, and tests/slurm/start.sh needs root or sudo")
        run = subprocess.run([str(REPO / "tests" / "slurm" / "start.sh")], capture_output=True,
                             text=True, timeout=600, check=False)
        if run.returncode != 0 or not _slurm_up():
            pytest.skip(f"SLURM could not start here: {(run.stderr or run.stdout).strip()}")


def _copy_data(reference, folder):
    folder.mkdir()
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(folder)], check=True)


def test_chunk_jobs_on_slurm_through_the_profile(tmp_path, reference, slurm):
    """`snakemake --profile profiles/slurm` as the profile is kept (only the queue size
    and status-check delay changed on the command line): every chunk job a SLURM job."""
    folder = tmp_path / "executor"
    _copy_data(reference, folder)
    make_config(folder, chunks="auto", chunk_resources={"threads": "auto", "mem_mb": "auto"})
    run = snakemake(folder, "--profile", REPO / "profiles" / "slurm", "--jobs", 2,
                    "--slurm-init-seconds-before-status-checks", 1, "--latency-wait", 5)
    submitted = re.findall(r"submitted with SLURM jobid \d+ \(log: \S+/rule_(\w+)/",
                           run.stdout + run.stderr)
    assert sorted(submitted).count("estimate_chunk") == 4, run.stderr[-3000:]  # 2 per analysis
    assert {"gather", "report"} <= set(submitted)
    for analysis in ("ll", "lf"):
        assert_same_matrices(open_matrix(reference, analysis), open_matrix(folder, analysis))


def test_pairs_on_dask_workers_the_run_starts_as_slurm_jobs(tmp_path, reference, slurm):
    """dask: {cluster: slurm}: the run starts two worker jobs, the chunk jobs send their
    pairs to them over TLS, and the workers are gone when the run ends."""
    folder = tmp_path / "jobqueue"
    _copy_data(reference, folder)
    make_config(folder, dask={"cluster": "slurm",
                              "slurm": {"workers": 2, "memory": "1GB", "walltime": "00:10:00"}})
    run = snakemake(folder, "--cores", 2)
    assert "2 SLURM worker jobs, scheduler tls://" in run.stderr
    for analysis in ("ll", "lf"):
        log = (folder / "results" / "logs" / analysis / "chunk-1-of-2.log").read_text()
        assert "to the Dask cluster at tls://" in log, log  # its only workers: SLURM jobs
        assert_same_matrices(open_matrix(reference, analysis), open_matrix(folder, analysis))
    left = subprocess.run(["squeue", "-h", "-n", "gmmmi-dask", "-t", "PD,R"],
                          capture_output=True, text=True, check=True).stdout
    assert not left.strip(), left
    assert sorted(p.name for p in (folder / "results" / ".dask").iterdir()) == ["logs"]


def test_the_whole_run_in_one_sbatch_job_as_the_install_page_shows(tmp_path, reference,
                                                                   slurm):
    """docs/user-guide/install.md's run.sbatch, its marked lines edited for this machine
    (and the Snakefile named, as the folder is not the clone): the controller and every
    chunk job in one SLURM job; the same matrices as the reference run."""
    page = (REPO / "docs" / "user-guide" / "install.md").read_text()
    script = next(block for block in re.findall(r"```bash\n(.*?)```", page, re.S)
                  if block.startswith("#!/bin/bash"))
    node_cpus = int(subprocess.run(["sinfo", "-h", "-o", "%c"], capture_output=True,
                                   text=True, check=True).stdout.split()[0])
    script = (script.replace("--cpus-per-task=64", f"--cpus-per-task={node_cpus}")
              .replace("source .venv/bin/activate", f"source {BIN / 'activate'}")
              .replace("snakemake --cores", f"snakemake -s {REPO / 'Snakefile'} --cores")
              .replace("my_config.yaml", "config.yaml"))
    folder = tmp_path / "sbatch"
    _copy_data(reference, folder)
    make_config(folder)
    (folder / "run.sbatch").write_text(script)
    run = subprocess.run(["sbatch", "--wait", "run.sbatch"], cwd=folder, capture_output=True,
                         text=True, timeout=900)
    logs = "".join(p.read_text() for p in folder.glob("gmmmi-*.log"))
    assert run.returncode == 0, run.stderr + logs[-3000:]
    for analysis in ("ll", "lf"):
        assert_same_matrices(open_matrix(reference, analysis), open_matrix(folder, analysis))
