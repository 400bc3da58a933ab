"""The Snakemake workflow, run through the real `snakemake` command in temporary folders."""

import base64
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import zipfile

import networkx as nx
import numpy as np
import pytest
import yaml
import zarr

from gmmmi import disentanglement as scores
from gmmmi.analysis import recovery
from gmmmi.analysis.cache import PairCache
from gmmmi.data.dataset import build_dataset, make_group
from gmmmi.data.store import write_dataset
from tests.helpers import (
    BIN,
    MATRIX_VARIABLES,
    assert_same_matrices,
    make_config,
    open_matrix,
    small_demo,
    snakemake,
)
from tests.helpers import (
    ROOT as REPO,
)

pytestmark = pytest.mark.slow


def chunk_stamps(folder):
    return {p: p.stat().st_mtime_ns for p in (folder / "results").glob("*/chunks/*.json")}


def computed_since(folder, stamps):
    """Pairs estimated (not taken from the cache) by chunk jobs that ran after ``stamps``."""
    total = 0
    for path, mtime in chunk_stamps(folder).items():
        if stamps.get(path) != mtime:
            total += sum(row["computed"] for row in json.loads(path.read_text())["results"])
    return total


def cached_pairs(folder):
    return len(PairCache(folder / "results" / ".cache" / "pairs").keys())


def test_outputs_hold_the_matrices_close_to_the_truth(reference):
    ll, lf = open_matrix(reference, "ll"), open_matrix(reference, "lf")
    assert ll.sizes == {"var_x": 4, "var_y": 4, "bootstrap": 5}
    assert list(lf["var_y"].values) == ["size", "shape"]
    for ds in (ll, lf):
        assert set(MATRIX_VARIABLES) <= set(ds.data_vars)
        assert ds.attrs["gmmmi_version"] and json.loads(ds.attrs["settings"])["n_bootstrap"] == 5
        assert len(ds.attrs["fingerprint"]) == 64
        estimated = ds["status"].values != "diagonal"
        error = np.abs(ds["mi"].values - ds["true_mi"].values)[estimated]
        assert np.all(error < np.maximum(4 * ds["mi_std"].values[estimated], 0.06)), error
    np.testing.assert_array_equal(ll["mi"].values, ll["mi"].values.T)
    import pandas as pd
    for analysis, n_pairs in (("ll", 6), ("lf", 8)):
        table = pd.read_csv(reference / "results" / analysis / "pairs.csv")
        assert len(table) == n_pairs
        matrix = open_matrix(reference, analysis)
        first = table.iloc[0]
        assert first["mi"] == float(matrix["mi"].sel(var_x=first["var_x"], var_y=first["var_y"]))
    assert np.isnan(np.diag(ll["mi"].values)).all()
    assert lf["mi"].sel(var_x="z4", var_y="shape") > 0.4
    for analysis in ("ll", "lf"):
        page = (reference / "results" / analysis / "report.html").read_text()
        assert "z4" in page and 'id="pair-table"' in page and "data:image/png;base64," in page
    assert 'id="disentanglement"' in page and 'id="truth"' in page
    entropy = lf["entropy_y"].values
    assert entropy[1] > 0 and np.isnan(entropy[0])
    # the scores of the estimated matrix against those of the true one
    assert scores.mig(lf["mi"].values, entropy) == pytest.approx(
        scores.mig(lf["true_mi"].values, entropy), abs=0.05)
    informative = scores.informative_latents(lf["mi"].values, lf["mi_std"].values)
    assert scores.modularity(lf["mi"].values, informative) == pytest.approx(
        scores.modularity(lf["true_mi"].values), abs=0.03)


def test_snakemake_report_collects_the_pages(reference):
    run = snakemake(reference, "--report", "report.zip")
    with zipfile.ZipFile(reference / "report.zip") as archive:
        listed = archive.namelist()
    assert sum(name.endswith("report.html") for name in listed) >= 2, (run.stderr[-2000:], listed)


def test_reruns_recompute_only_what_changed(tmp_path, reference):
    folder = tmp_path / "rerun"
    subprocess.run(["cp", "-a", str(reference), str(folder)], check=True)
    assert "Nothing to be done" in snakemake(folder, "--cores", 1).stdout + \
        snakemake(folder, "--cores", 1).stderr

    # touching the data without changing it recomputes nothing
    for path in (folder / "data.zarr").rglob("*"):
        path.touch()
    run = snakemake(folder, "--cores", 1)
    assert "Nothing to be done" in run.stdout + run.stderr

    # one latent of four changes: only its 3 + 2 pairs are estimated again
    stamps = chunk_stamps(folder)
    subprocess.run(["cp", "-a", str(folder / "results" / "lf" / "mi.zarr"),
                    str(tmp_path / "first.zarr")], check=True)
    latent = zarr.open_array(folder / "data.zarr" / "latent", mode="r+")
    latent[:, 3] = latent[:, 3] * 2.0 + 1.0
    before = open_matrix(folder, "lf")
    snakemake(folder, "--cores", 1)
    assert computed_since(folder, stamps) == 3 + 2
    after = open_matrix(folder, "lf")
    np.testing.assert_array_equal(before["mi"].values[:3], after["mi"].values[:3])
    # the report says what changed since the matrix it showed before: nothing, as MI
    # ignores a latent's scale and shift
    page = (folder / "results" / "lf" / "report.html").read_text()
    assert 'id="since-previous"' in page and "<b>0</b> of 8 cells changed" in page
    assert "paired: both resampled the same" in page

    # a changed estimator setting recomputes every pair
    stamps = chunk_stamps(folder)
    make_config(folder, estimator={"n_bootstrap": 5, "seed": 1, "n_inits": 2})
    snakemake(folder, "--cores", 1)
    assert computed_since(folder, stamps) == 6 + 8
    assert json.loads(open_matrix(folder, "ll").attrs["settings"])["n_inits"] == 2

    # a comparison with a matrix of an earlier run, named in the config
    make_config(folder, estimator={"n_bootstrap": 5, "seed": 1, "n_inits": 2},
                comparisons={"first": {"before": str(tmp_path / "first.zarr"), "after": "lf"}})
    snakemake(folder, "--cores", 1)
    import pandas as pd

    table = pd.read_csv(folder / "results" / "comparisons" / "first.csv")
    assert len(table) == 8 and not table["changed"].any()
    assert "What changed: lf → lf" in (folder / "results" / "comparisons" /
                                       "first.html").read_text()
    make_config(folder, comparisons={"typo": {"before": "nowhere", "after": "lf"}})
    run = snakemake(folder, "-n", check=False)
    assert run.returncode != 0 and "comparisons.typo.before: 'nowhere' is neither" in \
        run.stderr + run.stdout


def test_same_matrices_for_other_cores_chunks_and_dask_workers(tmp_path, reference):
    folder = tmp_path / "parallel"
    folder.mkdir()
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(folder)], check=True)
    make_config(folder, chunk_resources={"threads": 2, "mem_mb": 2000})
    snakemake(folder, "--cores", 2, "--config", "chunks=3")
    assert len(list((folder / "results" / "ll" / "chunks").glob("*.json"))) == 3
    log = (folder / "results" / "logs" / "ll" / "chunk-1-of-3.log").read_text()
    assert "pairs estimated" in log and "pairs/s" in log
    for analysis in ("ll", "lf"):
        assert_same_matrices(open_matrix(reference, analysis), open_matrix(folder, analysis))


def planned_chunk_jobs(folder, *args):
    """(threads, mem_mb) of each chunk job a dry run plans."""
    run = snakemake(folder, "-n", *args)
    jobs = run.stdout.split("rule estimate_chunk:")[1:]
    threads = [int(m.group(1)) if (m := re.search(r"threads: (\d+)", j)) else 1 for j in jobs]
    memory = [int(re.search(r"mem_mb=(\d+)", j).group(1)) for j in jobs]
    return list(zip(threads, memory))


def test_the_split_follows_the_cores(tmp_path):
    """2016 pairs: `--cores 64` plans 64 one-thread jobs (every core busy), with memory for
    a pair of the dataset's size; fixed threads, chunks and memory are kept."""
    values = np.random.default_rng(0).standard_normal((300, 64))
    latent = make_group(values, [f"z{i}" for i in range(64)], "continuous", group="latent",
                        source="test")
    write_dataset(build_dataset({"latent": latent}), tmp_path / "data.zarr")
    (tmp_path / "config.yaml").write_text("dataset: data.zarr\nanalyses: {ll: {x: latent, "
                                          "y: latent}, small: {x: latent, y: latent}}\n")
    jobs = planned_chunk_jobs(tmp_path, "--cores", 64)
    assert len(jobs) == 2 * 64 and {t for t, _ in jobs} == {1}
    assert {m for _, m in jobs} == {400}  # 300 + 96 + 160 B x 300 samples, in 100 MB steps
    assert sorted(planned_chunk_jobs(tmp_path, "--cores", 3)) == [(1, 400)] * 6
    jobs = planned_chunk_jobs(tmp_path, "--cores", 64, "--set-threads", "estimate_chunk=4")
    assert sorted(jobs) == [(4, 1600)] * 32
    jobs = planned_chunk_jobs(tmp_path, "--cores", 64, "--config", "chunks=5",
                              "chunk_resources={threads: 2, mem_mb: 3000}")
    assert sorted(jobs) == [(2, 3000)] * 10
    # fewer pairs than cores: one chunk per pair
    (tmp_path / "config.yaml").write_text("dataset: data.zarr\nanalyses: {ll: {x: latent, "
                                          "y: latent}}\n")
    values = values[:, :4]
    latent = make_group(values, [f"z{i}" for i in range(4)], "continuous", group="latent",
                        source="test")
    write_dataset(build_dataset({"latent": latent}), tmp_path / "data.zarr", overwrite=True)
    assert len(planned_chunk_jobs(tmp_path, "--cores", 64)) == 6


def test_the_cache_holds_what_the_analyses_use_in_few_files(tmp_path, reference):
    """One pack per chunk run, merged after each successful run; pairs of a changed
    variable (no longer referenced) are pruned; the old one-file-per-pair layout goes."""
    folder = tmp_path / "cache"
    subprocess.run(["cp", "-a", str(reference), str(folder)], check=True)
    cache = PairCache(folder / "results" / ".cache" / "pairs")
    assert len(cache.keys()) == 14 and len(cache.files()) == 2
    legacy = cache.root / "ab" / ("ab" + "0" * 62 + ".json")
    legacy.parent.mkdir()
    legacy.write_text("{}")
    latent = zarr.open_array(folder / "data.zarr" / "latent", mode="r+")
    latent[:, 3] = latent[:, 3] * 2.0 + 1.0
    before = cache.keys()
    run = snakemake(folder, "--cores", 2)
    after = cache.keys()
    assert len(after) == 14 and len(before - after) == 5  # z3's 3 + 2 pairs, replaced
    assert len(cache.files()) == 2 and not legacy.parent.exists()
    assert "5 pairs no config uses removed" in run.stderr
    datasets = list((folder / "results" / ".cache" / "datasets").iterdir())
    assert len(datasets) == 1


def _as_if_in_a_terminal():
    """Own process group, to be interrupted all at once as Ctrl-C does; SIGINT handled
    even when the tests run from a background shell, which ignores it for its children."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stopped_mid_run(folder, reference, sig):
    """A run of 14 slow pairs in one chunk, stopped by ``sig`` to its process group once 2
    pairs are cached; returns how many were."""
    folder.mkdir()
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(folder)], check=True)
    make_config(folder, chunks=1, estimator={"n_bootstrap": 40, "seed": 1})  # slower pairs
    command = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "--directory",
               str(folder), "--configfile", str(folder / "config.yaml"), "--cores", "1"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=_as_if_in_a_terminal)
    deadline = time.monotonic() + 120
    while cached_pairs(folder) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(first.pid, sig)
    first.wait(timeout=120)
    done = cached_pairs(folder)
    assert 2 <= done < 14, "the run was not stopped mid-way"
    return done


def _finished_without_redoing(folder, done):
    total = sum(sum(row["computed"] for row in json.loads(p.read_text())["results"])
                for p in (folder / "results").glob("*/chunks/*.json"))
    assert total == 14 - done
    for analysis in ("ll", "lf"):
        matrix = open_matrix(folder, analysis)
        estimated = matrix["status"].values != "diagonal"
        assert np.isfinite(matrix["mi"].values[estimated]).all()
        assert matrix.sizes["bootstrap"] == 40


def test_interrupted_run_finishes_without_redoing_work(tmp_path, reference):
    folder = tmp_path / "interrupted"
    done = _stopped_mid_run(folder, reference, signal.SIGINT)
    snakemake(folder, "--cores", 1)  # a plain rerun: profiles/default reruns incomplete jobs
    _finished_without_redoing(folder, done)


def test_a_killed_run_resumes_with_the_plain_command(tmp_path, reference):
    """SIGKILL leaves Snakemake's locks (no handler runs); the next plain run removes them,
    since the process that took them is gone, and finishes without redoing work."""
    folder = tmp_path / "killed"
    done = _stopped_mid_run(folder, reference, signal.SIGKILL)
    assert list((folder / ".snakemake" / "locks").glob("*.lock")), "no locks were left"
    rerun = snakemake(folder, "--cores", 1)
    assert "its locks were removed" in rerun.stderr
    _finished_without_redoing(folder, done)


def test_a_run_whose_pairs_had_no_memory_says_so_at_the_end(tmp_path, reference):
    folder = tmp_path / "starved"
    folder.mkdir()
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(folder)], check=True)
    make_config(folder, estimator={"n_bootstrap": 3, "seed": 2})
    run = snakemake(folder, "--cores", 1, "--set-resources", "estimate_chunk:mem_mb=1")
    assert "ll: 6 out-of-memory pairs without an estimate" in run.stderr
    assert "lf: 8 out-of-memory pairs without an estimate" in run.stderr


def test_locks_of_a_live_run_still_lock_a_second_one_out(tmp_path, reference):
    folder = tmp_path / "live"
    subprocess.run(["cp", "-a", str(reference), str(folder)], check=True)
    locks = folder / ".snakemake" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    (locks / "0.output.lock").write_text("results/ll/report.html\nresults/lf/report.html\n")
    recovery.record_owner(folder / ".snakemake")  # this test's process: alive
    run = snakemake(folder, "--cores", 1, "--forcerun", "report", check=False)
    assert run.returncode != 0 and "LockException" in run.stderr + run.stdout
    assert (locks / "0.output.lock").exists()


def test_a_damaged_chunk_is_redone_from_the_cache_and_the_matrix_restored(tmp_path,
                                                                            reference):
    folder = tmp_path / "damaged"
    subprocess.run(["cp", "-a", str(reference), str(folder)], check=True)
    chunk = folder / "results" / "ll" / "chunks" / "1-of-2.json"
    chunk.write_bytes(chunk.read_bytes()[:len(chunk.read_bytes()) // 2])  # cut short
    stamps = chunk_stamps(folder)
    rerun = snakemake(folder, "--cores", 1)
    assert "1-of-2.json cannot be read" in rerun.stderr
    assert computed_since(folder, stamps) == 0  # every pair from the cache
    assert_same_matrices(open_matrix(folder, "ll"), open_matrix(reference, "ll"))
    assert "Nothing to be done" in snakemake(folder, "--cores", 1, "-n").stdout


@contextlib.contextmanager
def dask_cluster(folder, n_workers, *options, protocol="tcp"):
    """A Dask scheduler and ``n_workers`` single-threaded workers on 127.0.0.1, each its own
    process group (so a test can kill one); yields (address, worker processes)."""
    scheduler_file = folder / "scheduler.json"
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "start_new_session": True, "env": env}
    processes = [subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--protocol", protocol, "--host", "127.0.0.1",
         "--port", "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
         str(scheduler_file), *options], **quiet)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        workers = [subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", *options], **quiet)
            for _ in range(n_workers)]
        processes += workers
        yield address, workers
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_external_cluster_survives_a_lost_worker(tmp_path, reference):
    folder = tmp_path / "cluster"
    folder.mkdir()
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(folder)], check=True)
    with dask_cluster(folder, 2) as (address, workers):
        make_config(folder, chunks=1, dask={"scheduler_address": address})
        command = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "--directory",
                   str(folder), "--configfile", str(folder / "config.yaml"), "--cores", "1"]
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        while not cached_pairs(folder) and run.poll() is None:
            time.sleep(0.02)
        os.killpg(workers[0].pid, signal.SIGKILL)  # one worker and its nanny, mid-run
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output[-3000:]
        assert cached_pairs(folder) == 14
        for analysis in ("ll", "lf"):
            assert_same_matrices(open_matrix(reference, analysis), open_matrix(folder, analysis))


def test_a_tls_cluster_runs_the_pairs_and_refuses_plain_tcp(tmp_path, reference):
    """A scheduler and worker that speak only TLS (certificates made here): the workflow's
    pairs run through them with the config's TLS files and give the reference's matrices;
    a client without certificates is refused."""
    from distributed import Client
    from distributed.security import Security

    folder = tmp_path / "tls"
    folder.mkdir()
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(folder)], check=True)
    temporary = Security.temporary()
    files = {"ca": temporary.tls_ca_file, "cert": temporary.tls_client_cert,
             "key": temporary.tls_client_key}
    for name, pem in files.items():
        (folder / f"{name}.pem").write_text(pem)
    tls = ["--tls-ca-file", str(folder / "ca.pem"), "--tls-cert", str(folder / "cert.pem"),
           "--tls-key", str(folder / "key.pem")]
    with dask_cluster(folder, 1, *tls, protocol="tls") as (address, _):
        assert address.startswith("tls://127.0.0.1:")
        make_config(folder, chunks=1, dask={
            "scheduler_address": address, "tls_ca_file": str(folder / "ca.pem"),
            "tls_cert": str(folder / "cert.pem"), "tls_key": str(folder / "key.pem")})
        snakemake(folder, "--cores", 1)
        for analysis in ("ll", "lf"):
            assert_same_matrices(open_matrix(reference, analysis), open_matrix(folder, analysis))
        plain = "tcp://" + address.removeprefix("tls://")
        with pytest.raises(Exception):  # noqa: B017 - refused however the TLS layer says it
            Client(plain, timeout="5s", security=Security()).close()
        with pytest.raises(Exception):  # noqa: B017
            Client(address, timeout="5s").close()  # TLS address, no certificates


def test_tls_settings_that_cannot_work_are_one_line_errors(tmp_path):
    from gmmmi.analysis.cluster import tls_files

    with pytest.raises(ValueError, match="needs dask.tls_ca_file"):
        tls_files("tls://10.0.0.5:8786")
    with pytest.raises(ValueError, match=r"dask.tls_cert: .*cannot be read"):
        (tmp_path / "ca.pem").write_text("x")
        tls_files("tls://10.0.0.5:8786", tmp_path / "ca.pem", tmp_path / "none.pem",
                  tmp_path / "ca.pem")
    with pytest.raises(ValueError, match="not tls://"):
        tls_files("tcp://10.0.0.5:8786", tmp_path / "ca.pem", tmp_path / "ca.pem",
                  tmp_path / "ca.pem")
    assert tls_files("tcp://10.0.0.5:8786") is None and tls_files(None) is None


def test_invalid_config_is_rejected_with_its_mistakes(tmp_path):
    make_config(tmp_path, estimator={"n_bootstrap": -1, "shrink": 2}, chunks=0)
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    assert run.returncode != 0
    text = run.stdout + run.stderr
    assert "invalid config" in text
    assert "estimator.n_bootstrap: -1 is less than the minimum of 0" in text
    assert "'shrink' was unexpected" in text
    assert "chunks: must be auto or a whole number >= 1, got 0" in text


def test_a_key_given_twice_or_an_alias_bomb_is_refused_in_one_line(tmp_path):
    """Snakemake's YAML loader keeps the last of two keys and expands aliases (a nine-level
    "billion laughs" made the checks run for minutes); the workflow refuses both."""
    make_config(tmp_path)
    text = (tmp_path / "config.yaml").read_text()
    (tmp_path / "config.yaml").write_text(text + "chunks: 3\n")
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "'chunks' is given twice" in out and "Traceback" not in out
    levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"] + [
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    (tmp_path / "config.yaml").write_text(text + "\n".join(levels) + "\n")
    start = time.perf_counter()
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "aliases (*name) are not allowed" in out
    assert time.perf_counter() - start < 60


def test_missing_group_is_a_one_line_workflow_error(tmp_path, reference):
    subprocess.run(["cp", "-a", str(reference / "data.zarr"), str(tmp_path)], check=True)
    make_config(tmp_path, analyses={"bad": {"x": "latent", "y": "nonsense"}})
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    assert run.returncode != 0
    text = run.stdout + run.stderr
    assert "analysis bad: the dataset has no group 'nonsense'" in text
    assert "Traceback" not in text and "InputFunctionException" not in text

    make_config(tmp_path)
    next(p for p in (tmp_path / "data.zarr" / "latent" / "c").rglob("*") if p.is_file()).unlink()
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    text = run.stdout + run.stderr
    assert run.returncode != 0 and "Traceback" not in text
    assert "variable 'latent' has 0 of its 1 chunks on disk" in text


def test_output_marked_incomplete_by_an_interrupt_is_redone_by_a_plain_rerun(tmp_path,
                                                                             reference):
    """Ctrl-C just after a chunk wrote its (atomic) output leaves Snakemake's incomplete
    mark on it; the next plain run redoes that job from the cache instead of stopping."""
    folder = tmp_path / "marked"
    subprocess.run(["cp", "-a", str(reference), str(folder)], check=True)
    chunk = folder / "results" / "ll" / "chunks" / "1-of-2.json"
    marker = folder / ".snakemake" / "incomplete"
    marker.mkdir(parents=True, exist_ok=True)
    # Snakemake's mark: a file named by the output path's base64 (snakemake.persistence)
    (marker / base64.urlsafe_b64encode(str(chunk.relative_to(folder)).encode()).decode()
     ).write_text("")
    stamps = chunk_stamps(folder)
    without = snakemake(folder, "--cores", 1, "--workflow-profile", "none", check=False)
    assert without.returncode != 0 and "--rerun-incomplete" in without.stderr, \
        "the mark was not taken for Snakemake's"
    snakemake(folder, "--cores", 1)
    assert chunk.stat().st_mtime_ns != stamps[chunk], "the marked chunk was not redone"
    assert computed_since(folder, stamps) == 0


def test_flow_analysis_writes_the_graph_and_its_report(tmp_path):
    from gmmmi.data.ingest import InputSpec, ingest

    rng = np.random.default_rng(6)
    inputs = rng.standard_normal((500, 3))
    hidden = np.tanh(inputs @ rng.normal(0, 1, (3, 2)))
    np.savez(tmp_path / "acts.npz", x=inputs, h=hidden, y=hidden @ [[1.0], [-0.5]])
    ingest([InputSpec(tmp_path / "acts.npz", layers=True)], tmp_path / "data.zarr")
    make_config(tmp_path, analyses={"nif": {"kind": "flow"}})
    snakemake(tmp_path, "--cores", 1)
    graph = nx.read_graphml(tmp_path / "results" / "nif" / "flow.graphml")
    assert graph.number_of_edges() == 3 * 2 + 2 * 1
    document = json.loads((tmp_path / "results" / "nif" / "flow.json").read_text())
    assert sum(v["share"] for v in document["attribution"]["layer_2/y_0"].values()) \
        == pytest.approx(1.0)
    assert sum(document["path_attribution"]["layer_2/y_0"].values()) == pytest.approx(1.0)
    assert 'id="flow"' in (tmp_path / "results" / "nif" / "report.html").read_text()
    # a second run has nothing to do
    assert "Nothing to be done" in snakemake(tmp_path, "--cores", 1).stderr


def test_flow_config_mistakes_are_named(tmp_path):
    make_config(tmp_path, analyses={"nif": {"kind": "flow", "x": "latent"},
                                    "plain": {"x": "latent", "y": "latent", "layers": ["a", "b"]}})
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    text = run.stdout + run.stderr
    assert run.returncode != 0
    assert "analyses.nif: a flow analysis takes `layers`" in text
    assert "analyses.plain: `layers` belongs to a flow analysis" in text


def test_a_sets_analysis_runs_through_the_workflow(tmp_path):
    """Sets of latents against the factors: each set one vector, through chunks, the cache,
    gather (members recorded, in pairs.csv too) and the report; the planner's one-line
    error for a set naming a variable the dataset lacks."""
    small_demo(tmp_path / "data.zarr")
    make_config(tmp_path, analyses={"sets": {
        "kind": "sets", "sets": {"pair": ["z0", "z1"], "all": "latent"},
        "y": ["factor", "category"]}})
    snakemake(tmp_path, "--cores", 2)
    matrix = open_matrix(tmp_path, "sets")
    # in the config's order (make_config's YAML sorts keys)
    assert [str(v) for v in matrix["var_x"].values] == ["all", "pair", "z0", "z1", "z4", "z7"]
    assert str(matrix["members_x"].values[1]) == "latent/z0, latent/z1"
    assert np.isin(matrix["status"].values, ["ok", "under-resolved"]).all()
    table = (tmp_path / "results" / "sets" / "pairs.csv").read_text()
    assert "members_x" in table.splitlines()[0] and "latent/z0, latent/z1" in table
    page = (tmp_path / "results" / "sets" / "report.html").read_text()
    assert 'id="sets"' in page and 'id="set-gains"' in page
    assert "Nothing to be done" in snakemake(tmp_path, "--cores", 2).stderr
    make_config(tmp_path, analyses={"sets": {"kind": "sets", "sets": {"s": ["zz"]},
                                             "y": "factor"}})
    run = snakemake(tmp_path, "--cores", 1, "-n", check=False)
    assert run.returncode != 0
    assert "set 's': the dataset has no variable or group 'zz'" in run.stdout + run.stderr


def test_two_million_samples_finish_with_the_default_resources(tmp_path):
    """3 latents x 2,000,000 samples through the default chunk resources (2 workers,
    4000 MB): every pair estimated, none lost to memory (issue: KilledWorker before)."""
    rng = np.random.default_rng(3)
    n = 2_000_000
    z = rng.standard_normal(n)
    latents = np.column_stack([z + rng.standard_normal(n), z + 2 * rng.standard_normal(n),
                               rng.standard_normal(n)])
    from gmmmi.data.dataset import build_dataset, make_group
    write_dataset(build_dataset({"latent": make_group(latents, ["a", "b", "c"], None,
                                                      group="latent", source="t")}),
                  tmp_path / "data.zarr")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(
        {"dataset": "data.zarr", "analyses": {"ll": {"x": "latent", "y": "latent"}}}))
    snakemake(tmp_path, "--cores", 2)
    matrix = open_matrix(tmp_path, "ll")
    estimated = matrix["status"].values != "diagonal"
    assert set(matrix["status"].values[estimated]) <= {"ok", "under-resolved"}, \
        matrix["message"].values
    assert matrix["n_samples"].values[estimated].min() == n
    exact = -0.5 * np.log(1 - 1 / (2 * 5))  # a, b: correlation 1/sqrt(2 * 5)
    assert abs(float(matrix["mi"].sel(var_x="a", var_y="b")) - exact) < 0.005


def test_the_readme_lines_for_your_own_data_run_as_written(tmp_path):
    """The README's ingest line, then its my_config.yaml, on a user's own files: the
    workflow plans every pair (a dry run; the runs above do the rest)."""
    readme = (REPO / "README.md").read_text()
    ingest = next(line for line in readme.splitlines() if line.startswith("gmmmi ingest"))
    config = next(block for block in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                  if "data/mine.zarr" in block)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "latents.npy", rng.standard_normal((300, 3)))
    np.savetxt(tmp_path / "factors.csv", rng.integers(0, 3, (300, 2)), delimiter=",",
               header="shape,size", comments="", fmt="%d")
    run = subprocess.run([str(BIN / ingest.split()[0]), *ingest.split()[1:]], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    (tmp_path / "my_config.yaml").write_text(config)
    command = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "--directory",
               str(tmp_path), "--configfile", "my_config.yaml", "-n", "--cores", "4"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "results/latent_factor/report.html" in run.stdout + run.stderr
