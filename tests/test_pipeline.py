"""Planning pairs into chunks, running a chunk with its cache, gathering the matrices."""

import io
import json

import dask
import distributed  # noqa: F401 - its config defaults, before dask.config.set
import numpy as np
import pytest

from gmmmi.analysis.gather import gather
from gmmmi.analysis.plan import (
    estimator_settings,
    manifest_digest,
    pair_seed,
    parse_chunk,
    plan_chunks,
)
from gmmmi.analysis.run import run_chunk
from gmmmi.cli import main
from gmmmi.data.dataset import build_dataset, make_group, variable_fingerprint
from gmmmi.data.store import describe_dataset, write_dataset

SETTINGS = {"n_bootstrap": 3, "seed": 4}


@pytest.fixture
def store(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.standard_normal(400)
    latents = np.column_stack([z + 0.5 * rng.standard_normal(400), rng.standard_normal(400),
                               np.exp(z)])
    labels = np.column_stack([(z > 0).astype(int), rng.integers(0, 3, 400)])
    ds = build_dataset({
        "latent": make_group(latents, ["a", "b c", "ü"], None, group="latent", source="t"),
        "label": make_group(labels, ["sign", "noise"], None, group="label", source="t")})
    path = tmp_path / "data.zarr"
    write_dataset(ds, path)
    return path


def all_pairs(manifests):
    return [(p.name_x, p.name_y, p.seed) for m in manifests for p in m["pairs"]]


def test_plan_deals_every_pair_once_with_seeds_independent_of_chunking(store):
    description = describe_dataset(store)
    one = plan_chunks(description, "ll", "latent", "latent", SETTINGS, 1)
    three = plan_chunks(description, "ll", "latent", "latent", SETTINGS, 3)
    assert sorted(all_pairs(one)) == sorted(all_pairs(three))
    assert sorted((x, y) for x, y, _ in all_pairs(one)) == [("a", "b c"), ("a", "ü"),
                                                             ("b c", "ü")]
    cross = plan_chunks(description, "lc", "latent", ["label"], SETTINGS, 2)
    assert len(all_pairs(cross)) == 6
    seeds = {s for _, _, s in all_pairs(cross)}
    assert len(seeds) == 6
    assert pair_seed(4, "latent", "a", "label", "sign") != pair_seed(5, "latent", "a", "label",
                                                                       "sign")


def test_fingerprints_follow_content_only():
    values = np.arange(10.0)
    assert variable_fingerprint(values, "continuous") == variable_fingerprint(values.copy(),
                                                                              "continuous")
    assert variable_fingerprint(values, "continuous") != variable_fingerprint(values + 1e-12,
                                                                              "continuous")
    assert variable_fingerprint(values, "continuous") != variable_fingerprint(values,
                                                                              "categorical")


def test_dataset_description_is_cached_by_store_signature(store, tmp_path):
    cache = tmp_path / "cache"
    first = describe_dataset(store, cache)
    assert len(list(cache.glob("dataset-*.json"))) == 1
    assert describe_dataset(store, cache) == first
    assert first["groups"]["latent"]["variables"] == ["a", "b c", "ü"]


def test_chunks_run_cache_and_gather_into_matrices(store, tmp_path):
    description = describe_dataset(store)
    manifests = plan_chunks(description, "lc", ["latent"], ["label", "latent"], SETTINGS, 2)
    chunks = [tmp_path / f"chunk{i}.json" for i in range(2)]
    log = io.StringIO()
    counts = [run_chunk(store, m, c, cache_dir=tmp_path / "pairs", log=log)
              for m, c in zip(manifests, chunks)]
    assert sum(c[0] for c in counts) == 3 * 5 and "pairs estimated" in log.getvalue()
    again = run_chunk(store, manifests[0], chunks[0], cache_dir=tmp_path / "pairs", log=log)
    assert again == (0, len(manifests[0]["pairs"]))
    matrix = gather(chunks, tmp_path / "mi.zarr", dataset=store)
    assert list(matrix["var_y"].values) == ["sign", "noise", "a", "b c", "ü"]
    assert matrix["mi"].sel(var_x="a", var_y="sign") > 0.2
    assert matrix["status"].sel(var_x="ü", var_y="sign") in ("ok", "under-resolved")
    assert matrix.sizes["bootstrap"] == 3
    # the reported interval is stored beside the std and holds the estimate
    estimated = np.isfinite(matrix["mi"].values)
    low, high = matrix["mi_low"].values, matrix["mi_high"].values
    assert np.all(low[estimated] <= matrix["mi"].values[estimated])
    assert np.all(matrix["mi"].values[estimated] <= high[estimated])
    assert np.isnan(low[~estimated]).all()
    # the same pair, planned in another analysis and chunking, gives the same numbers
    again = plan_chunks(description, "ll", "latent", "latent", SETTINGS, 1)
    run_chunk(store, again[0], tmp_path / "ll.json", cache_dir=tmp_path / "other", log=log)
    square = gather([tmp_path / "ll.json"], tmp_path / "ll.zarr")
    assert square["mi"].sel(var_x="a", var_y="ü") == square["mi"].sel(var_x="ü", var_y="a")
    assert square["status"].sel(var_x="a", var_y="a") == "diagonal"
    assert np.isnan(square["mi"].sel(var_x="a", var_y="a"))


def test_joint_replicates_are_bit_identical_across_chunkings(store, tmp_path):
    description = describe_dataset(store)
    matrices = []
    for n_chunks in (1, 3):
        manifests = plan_chunks(description, "lc", "latent", "label", SETTINGS, n_chunks)
        chunks = [tmp_path / f"{n_chunks}-{i}.json" for i in range(len(manifests))]
        for manifest, chunk in zip(manifests, chunks):
            run_chunk(store, manifest, chunk, cache_dir=tmp_path / f"pairs{n_chunks}",
                      log=io.StringIO())
        matrices.append(gather(chunks, tmp_path / f"{n_chunks}.zarr"))
    one, three = matrices
    assert one.attrs["bootstrap"] == three.attrs["bootstrap"] == "joint"
    np.testing.assert_array_equal(one["mi_bootstrap"].values, three["mi_bootstrap"].values)
    np.testing.assert_array_equal(one["mi"].values, three["mi"].values)


def test_categorical_pairs_with_each_other_are_marked_not_estimated(store, tmp_path):
    description = describe_dataset(store)
    manifest = plan_chunks(description, "cc", "label", "label", SETTINGS, 1)[0]
    run_chunk(store, manifest, tmp_path / "c.json", cache_dir=tmp_path / "p", log=io.StringIO())
    matrix = gather([tmp_path / "c.json"], tmp_path / "cc.zarr")
    assert matrix["status"].sel(var_x="sign", var_y="noise") == "not-estimated"


def test_bad_settings_and_chunks_are_one_line_errors(store, tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown setting 'n_boot'"):
        estimator_settings({"n_boot": 3})
    with pytest.raises(ValueError, match="n_folds"):
        estimator_settings({"n_folds": 1})
    with pytest.raises(ValueError, match="2-of-4"):
        parse_chunk("two")
    base = ["run-chunk", str(store), "--analysis", "a", "--spec",
            '{"x": "latent", "y": "latent"}', "--out", str(tmp_path / "o.json"), "--cache",
            str(tmp_path / "c")]
    assert main(base + ["--expect-digest", "0" * 32]) == 2
    assert "changed since the workflow planned" in capsys.readouterr().err
    assert main(base[:5] + ['{"x": "latent", "y": "nothing"}'] + base[6:]) == 2
    assert "no group 'nothing'" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()
    manifest = plan_chunks(describe_dataset(store), "a", "latent", "latent", {}, 1)[0]
    assert main(base + ["--expect-digest", manifest_digest(manifest)]) == 0
    assert json.loads((tmp_path / "o.json").read_text())["digest"] == manifest_digest(manifest)


@pytest.mark.parametrize("command, message", [
    (["gather", "{cut}", "--out", "{tmp}/m.zarr"], "cut.json: not a chunk result"),
    (["gather", "{other}", "--out", "{tmp}/m.zarr"], "other.json: not a chunk result"),
    (["gather", "{tmp}/none.json", "--out", "{tmp}/m.zarr"], "none.json: cannot be read"),
    (["report", "{store}", "--out", "{tmp}/r.html"], "data.zarr: not an MI matrix"),
    (["flow", "{store}", "--json", "{tmp}/f.json", "--graphml", "{tmp}/f.graphml"],
     "data.zarr: not an MI matrix"),
    (["report", "{tmp}/m.zarr", "--data", "{chunk}", "--out", "{tmp}/r.html"],
     "c.json: not a Zarr store"),
])
def test_workflow_steps_refuse_bad_inputs_in_one_line(store, tmp_path, capsys, command,
                                                      message):
    chunk = tmp_path / "c.json"
    manifest = plan_chunks(describe_dataset(store), "a", "latent", "latent", SETTINGS, 1)[0]
    run_chunk(store, manifest, chunk, cache_dir=tmp_path / "p", log=io.StringIO())
    gather([chunk], tmp_path / "m.zarr")
    (tmp_path / "cut.json").write_text(chunk.read_text()[:100])  # an interrupted copy
    (tmp_path / "other.json").write_text('{"analysis": "a"}')
    names = {"tmp": tmp_path, "store": store, "chunk": chunk, "cut": tmp_path / "cut.json",
             "other": tmp_path / "other.json"}
    assert main([part.format(**names) for part in command]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "f.json").exists()


def test_a_chunk_job_reads_a_rewritten_store_and_refuses_changed_data(tmp_path):
    from gmmmi.analysis.columns import StoredColumns
    from gmmmi.data.dataset import DatasetError

    def store(values):
        ds = build_dataset({"latent": make_group(values, ["a", "b"], None, group="latent",
                                                 source="t")})
        write_dataset(ds, tmp_path / "d.zarr", overwrite=True)
        return variable_fingerprint(values[:, 0], "continuous")

    column = StoredColumns(tmp_path / "d.zarr").column
    rng = np.random.default_rng(5)
    first = store(rng.standard_normal((50, 2)))
    assert column("latent", "a", first, "continuous").shape == (50,)
    second = store(rng.standard_normal((80, 2)))  # rewritten after the handle was opened
    assert column("latent", "a", second, "continuous").shape == (80,)
    with pytest.raises(DatasetError, match="changed since the plan was made"):
        column("latent", "b", first, "continuous")


@pytest.mark.parametrize("fault, expected", [
    ("first", ["failed to start", "trying again with 2 workers"]),
    ("always", ["trying again with 2 workers", "running the pairs in this process instead"]),
])
def test_a_worker_killed_as_the_chunk_cluster_starts_is_survived(store, tmp_path, fault,
                                                                 expected):
    """A Dask preload kills the worker process as it starts (the first one only, or all):
    the chunk retries, falls back to fewer workers or to its own process, says so in the
    log, and its results are those of a run without the fault."""
    killer = tmp_path / "killer.py"
    killer.write_text(
        "import os, pathlib\n"
        f"marker = pathlib.Path({str(tmp_path / 'killed')!r})\n"
        f"if {fault == 'always'} or not marker.exists():\n"
        "    marker.touch()\n"
        "    os._exit(1)\n")
    manifest = plan_chunks(describe_dataset(store), "a", ["latent"], ["latent", "label"],
                           SETTINGS, 1)[0]
    log = io.StringIO()
    with dask.config.set({"distributed.worker.preload": [str(killer)]}):
        run_chunk(store, manifest, tmp_path / "faulty.json", cache_dir=tmp_path / "p1",
                  workers=2, log=log)
    assert (tmp_path / "killed").exists(), "the fault was not injected"
    for words in expected:
        assert words in log.getvalue(), log.getvalue()
    run_chunk(store, manifest, tmp_path / "clean.json", cache_dir=tmp_path / "p2",
              log=io.StringIO())

    def values(path):
        return [(r["pair"]["name_x"], r["pair"]["name_y"], r["value"], r["bootstrap"])
                for r in json.loads(path.read_text())["results"]]

    assert values(tmp_path / "faulty.json") == values(tmp_path / "clean.json")


def test_a_set_asks_memory_for_every_column_it_has(store, tmp_path, monkeypatch):
    """A pair of a set of 3 latents with a label has 4 columns: its chunk needs the memory
    of 4 (measured, benchmarks/measured/memory-vectors.md), the workflow asks for the
    widest pair of its analyses, and a chunk with room for a pair of two only marks it
    out-of-memory, naming what it needs."""
    from gmmmi.analysis import memory
    from gmmmi.analysis.memory import COLUMN_BYTES_PER_SAMPLE, pair_memory_mb
    from gmmmi.analysis.plan import plan_analysis, widest_pair
    from gmmmi.status import OUT_OF_MEMORY as STATUS_OUT_OF_MEMORY

    n = 10**6
    assert pair_memory_mb(n, 20) - pair_memory_mb(n) == pytest.approx(
        18 * COLUMN_BYTES_PER_SAMPLE * n / 2**20, abs=1)
    description = describe_dataset(store)
    sets = {"kind": "sets", "sets": {"two": ["a", "ü"], "all": "latent"}, "y": "label"}
    assert widest_pair(description, {"p": {"x": "latent", "y": "label"}}) == 2
    assert widest_pair(description, {"p": {"x": "latent", "y": "label"}, "s": sets}) == 4
    both = dict(sets, y=["label", "two"])  # y names a set too: "all" with "two", 3 + 2
    assert widest_pair(description, {"s": both}) == 5
    manifest = plan_analysis(description, "s", sets, SETTINGS, 1)[0]
    assert max(pair.n_columns for pair in manifest["pairs"]) == 4
    # 400 samples differ by less than a MB: make each column weigh 0.1 MB a sample
    monkeypatch.setattr(memory, "COLUMN_BYTES_PER_SAMPLE", 10**5)
    need = pair_memory_mb(400, 4)
    assert need > pair_memory_mb(400) + 70
    run_chunk(store, manifest, tmp_path / "c.json", cache_dir=tmp_path / "p", workers=1,
              memory_mb=pair_memory_mb(400), log=io.StringIO())
    rows = json.loads((tmp_path / "c.json").read_text())["results"]
    assert {r["status"] for r in rows} == {STATUS_OUT_OF_MEMORY}
    assert f"set chunk_resources.mem_mb to at least {need:,}" in rows[0]["message"]


def test_a_chunk_without_memory_for_a_pair_marks_it_out_of_memory(store, tmp_path):
    """mem_mb just below what a pair needs: no worker fits, every pair gets status
    out-of-memory naming the memory to ask for, nothing is cached, and with that
    memory the same chunk estimates them; with room for one worker of two, one runs."""
    from gmmmi.analysis.memory import pair_memory_mb
    from gmmmi.status import OUT_OF_MEMORY as STATUS_OUT_OF_MEMORY

    need = pair_memory_mb(400)
    manifest = plan_chunks(describe_dataset(store), "a", "latent", "latent", SETTINGS, 1)[0]
    log = io.StringIO()
    run_chunk(store, manifest, tmp_path / "c.json", cache_dir=tmp_path / "p", workers=1,
              memory_mb=need - 1, log=log)
    rows = json.loads((tmp_path / "c.json").read_text())["results"]
    assert {r["status"] for r in rows} == {STATUS_OUT_OF_MEMORY}
    assert f"set chunk_resources.mem_mb to at least {need:,}" in rows[0]["message"]
    assert "marked out-of-memory" in log.getvalue()
    assert not list((tmp_path / "p").rglob("*.json"))
    matrix = gather([tmp_path / "c.json"], tmp_path / "m.zarr")
    assert (matrix["status"].values == STATUS_OUT_OF_MEMORY).sum() == 2 * len(rows)
    from gmmmi.report.page import write_report
    page = write_report(tmp_path / "m.zarr", tmp_path / "r.html").read_text()
    assert page.count(f"at least {need:,}") >= len(rows)  # listed with its message

    log = io.StringIO()
    computed, _ = run_chunk(store, manifest, tmp_path / "c.json", cache_dir=tmp_path / "p",
                            workers=2, memory_mb=need + 1, log=log)
    assert computed == len(rows) and "running 1 worker of" in log.getvalue()
    assert {r["status"] for r in json.loads((tmp_path / "c.json").read_text())["results"]} \
        == {"ok"}


def test_a_pair_whose_worker_dies_is_tried_once_more_then_marked(store, tmp_path):
    """A worker plugin kills the worker process as soon as it starts a task (as the
    kernel's OOM killer would): the pair is retried once, not four times, then marked
    out-of-memory, and the chunk finishes."""
    from gmmmi.status import OUT_OF_MEMORY as STATUS_OUT_OF_MEMORY

    deaths = tmp_path / "deaths"
    deaths.mkdir()
    killer = tmp_path / "die_on_task.py"
    killer.write_text(
        "import os, pathlib, uuid\n"
        "from distributed.diagnostics.plugin import WorkerPlugin\n"
        "class Die(WorkerPlugin):\n"
        "    def transition(self, key, start, finish, **kwargs):\n"
        "        if finish == 'executing':\n"
        f"            (pathlib.Path({str(deaths)!r}) / uuid.uuid4().hex).touch()\n"
        "            os._exit(1)\n"
        "async def dask_setup(worker):\n"
        "    await worker.plugin_add(Die(), name='die')\n")
    manifest = plan_chunks(describe_dataset(store), "a", ["latent"], ["label"], SETTINGS, 1)[0]
    manifest["pairs"] = manifest["pairs"][:1]
    log = io.StringIO()
    with dask.config.set({"distributed.worker.preload": [str(killer)]}):
        run_chunk(store, manifest, tmp_path / "c.json", cache_dir=tmp_path / "p", workers=2,
                  log=log)
    (row,) = json.loads((tmp_path / "c.json").read_text())["results"]
    assert row["status"] == STATUS_OUT_OF_MEMORY and "lost while estimating" in row["message"]
    assert len(list(deaths.iterdir())) == 2


def test_the_pair_cache_outlives_edits_outside_the_estimator_core(tmp_path):
    """Cached pairs are keyed by the code that decides their numbers: editing the report
    (or flow, or the workflow steps) in a copy of gmmmi keeps every key, editing the
    engine changes them."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import gmmmi

    copy = tmp_path / "gmmmi"
    shutil.copytree(Path(gmmmi.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))

    def key():
        script = ("from gmmmi.analysis.plan import Pair; "
                  "print(Pair('g', 'a', 'continuous', 'f1', 'g', 'b', 'continuous', 'f2', 3)"
                  ".cache_key({'n_bootstrap': 5}))")
        return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True,
                              capture_output=True, text=True,
                              env={"PYTHONPATH": str(tmp_path), "PATH": ""}).stdout

    before = key()
    for module in ("report/page.py", "analysis/flow.py", "analysis/run.py",
                   "analysis/estimate.py", "cli/commands.py"):
        with open(copy / module, "a") as handle:
            handle.write("\n# an edit that changes no number\n")
    assert key() == before
    with open(copy / "core" / "engine" / "small.py", "a") as handle:
        handle.write("\n# an edit to the engine\n")
    assert key() != before


def test_the_pair_cache_keeps_packs_survives_a_cut_line_and_prunes(tmp_path):
    """Two writers (two chunk jobs) each append to their own pack; a reader finds both.
    A line cut by an interrupt is skipped, not misread; prune keeps only the keys asked
    for, in one pack, and removes the one-file-per-pair layout."""
    from gmmmi.analysis.cache import PairCache

    root = tmp_path / "pairs"
    with PairCache(root) as one, PairCache(root) as two:
        for i in range(5):
            one.put(f"k{i}", {"value": i, "model": {"w": [0.5, 0.5]}})
            two.put(f"j{i}", {"value": 10 + i})
    reader = PairCache(root)
    assert reader.get("k3") == {"value": 3, "model": {"w": [0.5, 0.5]}}
    assert reader.get("j4") == {"value": 14} and reader.get("nothing") is None
    assert len(reader.files()) == 4
    # an interrupt mid-write: the index names a line the pack does not hold whole
    pack = sorted(root.glob("*.jsonl"))[0]
    keys = pack.with_suffix(".keys")
    data = pack.read_bytes()
    pack.write_bytes(data[:-10])
    last = keys.read_text().splitlines()[-1].split()[0]
    keys.write_text(keys.read_text() + "half-written-ke")
    fresh = PairCache(root)
    assert fresh.get(last) is None and fresh.get("half-written-ke") is None
    assert len(fresh.keys()) == 10
    (root / "ab").mkdir()
    (root / "ab" / "ab00.json").write_text("{}")
    kept, removed = PairCache(root).prune({"k0", "k1", "j2", last, "unknown"})
    assert (kept, removed) == (3, 7)
    after = PairCache(root)
    assert after.keys() == {"k0", "k1", "j2"}  # the cut one is not carried over
    assert after.get("k1")["value"] == 1 and after.get("j2") == {"value": 12}
    assert len(after.files()) == 2 and not (root / "ab").exists()
    assert PairCache(root).prune({"k0", "k1", "j2"}) == (3, 0)  # nothing to do
    assert PairCache(root).prune(set()) == (0, 3) and PairCache(root).files() == []


def test_cache_prune_keeps_the_pairs_of_the_configs_analyses(store, tmp_path, monkeypatch,
                                                             capsys):
    from gmmmi.analysis.cache import PairCache
    from gmmmi.cli import main

    monkeypatch.chdir(tmp_path)
    description = describe_dataset(store)
    for name, y in (("ll", "latent"), ("lc", "label")):
        manifest = plan_chunks(description, name, "latent", y, SETTINGS, 1)[0]
        run_chunk(store, manifest, tmp_path / f"{name}.json", cache_dir="results/.cache/pairs",
                  log=io.StringIO())
    assert len(PairCache("results/.cache/pairs").keys()) == 3 + 6
    (tmp_path / "c.yaml").write_text(f"dataset: {store}\nanalyses: {{ll: {{x: latent, y: "
                                     f"latent}}}}\nestimator: {json.dumps(SETTINGS)}\n")
    assert main(["cache", "prune", "--configfile", "c.yaml"]) == 0
    assert "3 pairs kept, 6 removed" in capsys.readouterr().out
    assert len(PairCache("results/.cache/pairs").keys()) == 3
    # a second config in the folder keeps the first one's pairs, until that file goes
    (tmp_path / "d.yaml").write_text(f"dataset: {store}\nanalyses: {{lc: {{x: latent, y: "
                                     f"label}}}}\nestimator: {json.dumps(SETTINGS)}\n")
    run_chunk(store, plan_chunks(description, "lc", "latent", "label", SETTINGS, 1)[0],
              tmp_path / "lc.json", cache_dir="results/.cache/pairs", log=io.StringIO())
    assert main(["cache", "prune", "--configfile", "d.yaml"]) == 0
    assert "9 pairs kept, 0 removed" in capsys.readouterr().out
    (tmp_path / "c.yaml").unlink()
    assert main(["cache", "prune", "--configfile", "d.yaml"]) == 0
    assert "6 pairs kept, 3 removed" in capsys.readouterr().out
    (tmp_path / "c.yaml").write_text("dataset: missing.zarr\nanalyses: {}\n")
    assert main(["cache", "prune", "--configfile", "c.yaml"]) == 2
    assert "does not exist here" in capsys.readouterr().err


def test_cache_prune_removes_nothing_from_a_folder_gmmmi_did_not_make(store, tmp_path,
                                                                    monkeypatch, capsys):
    from gmmmi.cli import main

    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine"
    (mine / "datasets").mkdir(parents=True)
    (mine / "datasets" / "dataset-notes.json").write_text("{}")
    (mine / "pairs").mkdir()
    (mine / "pairs" / "thesis.keys").write_text("chapter 1\n")
    (tmp_path / "c.yaml").write_text(f"dataset: {store}\nanalyses: {{ll: {{x: latent, y: "
                                     f"latent}}}}\n")
    before = sorted(p.relative_to(mine) for p in mine.rglob("*"))
    assert main(["cache", "prune", "--configfile", "c.yaml", "--cache", str(mine)]) == 2
    assert "not a gmmmi cache" in capsys.readouterr().err
    assert sorted(p.relative_to(mine) for p in mine.rglob("*")) == before


def test_a_big_pair_spreads_its_bootstrap_over_the_workers_with_the_same_numbers():
    """A pair at or above spread_samples, estimated on a Dask worker, hands its bootstrap
    refits to the cluster as tasks; every number equals the in-process estimate."""
    from dask.distributed import Client, LocalCluster, get_task_stream

    from gmmmi.analysis.estimate import estimate_values
    from gmmmi.analysis.plan import Pair, estimator_settings

    rng = np.random.default_rng(3)
    x = rng.standard_normal(3000)
    y = (np.tanh(2 * x) + 0.3 * rng.standard_normal(3000)) ** 3
    pair = Pair("g", "x", "continuous", "fx", "g", "y", "continuous", "fy", 7)
    settings = estimator_settings({"n_bootstrap": 6, "seed": 0, "n_inits": 1})
    here = estimate_values(x, y, pair, settings)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as client, get_task_stream(client) as stream:
        spread = client.submit(estimate_values, x, y, pair, settings, spread_samples=1000,
                               pure=False).result()
        whole = client.submit(estimate_values, x, y, pair, settings, pure=False).result()
    batches = [t for t in stream.data if t["key"].startswith("_refit_batch_task")]
    assert len(batches) == 2 and len({t["worker"] for t in batches}) == 2
    for result in (spread, whole):
        for key in ("value", "std", "low", "high", "bootstrap", "n_components", "status",
                    "model"):
            assert result[key] == here[key], key


def test_a_changed_byte_in_the_pair_cache_is_a_miss_not_a_result(tmp_path):
    from gmmmi.analysis.cache import PairCache

    root = tmp_path / "pairs"
    with PairCache(root) as cache:
        cache.put("a", {"value": 0.00002, "bootstrap": [0.00001, 0.00003]})
        cache.put("b", {"value": 0.5})
    pack = next(root.glob("*.jsonl"))
    pack.write_bytes(pack.read_bytes().replace(b"2e-05", b"9e-05", 1))  # one digit
    reader = PairCache(root)
    assert reader.get("a") is None and reader.get("b") == {"value": 0.5}
    # packs written before the CRC (three fields per index line) are still read
    keys = pack.with_suffix(".keys")
    keys.write_text("".join(" ".join(line.split()[:3]) + "\n"
                            for line in keys.read_text().splitlines()))
    assert PairCache(root).get("b") == {"value": 0.5}
