"""The `gmmmi estimate` command line."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmmmi.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(41)
    xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=500)
    np.save(tmp_path / "xy.npy", xy)
    np.save(tmp_path / "x.npy", xy[:, 0])
    np.save(tmp_path / "y.npy", xy[:, 1])
    np.save(tmp_path / "labels.npy", rng.integers(0, 3, 500))
    (tmp_path / "broken.npy").write_bytes((tmp_path / "xy.npy").read_bytes()[:150])
    return tmp_path


def test_prints_the_estimate(files, capsys):
    assert main(["estimate", str(files / "x.npy"), str(files / "y.npy"),
                 "--n-bootstrap", "10"]) == 0
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(r"MI = \d\.\d{3} ± \d\.\d{3} nat, 95% \d\.\d{3} to \d\.\d{3} "
                        r"\(K=\d+, 10 bootstraps\)", out), out


def test_the_text_output_says_how_many_rows_were_dropped(files, capsys):
    x = np.load(files / "x.npy")
    x[:4] = np.nan
    np.save(files / "x.npy", x)
    assert main(["estimate", str(files / "x.npy"), str(files / "y.npy"), "--n-bootstrap", "5"]) == 0
    assert "(K=1, 5 bootstraps, 4 rows dropped)" in capsys.readouterr().out


def test_one_file_with_two_columns_and_json(files, capsys):
    assert main(["estimate", str(files / "xy.npy"), "--json", "--n-bootstrap", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["quantity"] == "mi" and len(data["bootstrap"]) == 4
    assert abs(data["value"] - 0.2231) < 0.1


def test_categorical(files, capsys):
    args = ["estimate", str(files / "x.npy"), str(files / "labels.npy"), "--categorical",
            "--n-bootstrap", "3", "--unit", "bit"]
    assert main(args) == 0
    assert "bit" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["missing.npy"], "missing.npy: no such file"),
    (["broken.npy"], "broken.npy: cannot be read"),
    (["x.npy"], "expected two columns"),
    (["x.npy", "y.npy", "--n-bootstrap", "-2"], "n_bootstrap must be"),
    (["x.npy", "xy.npy"], "expected one variable"),
])
def test_errors_are_one_line_with_exit_code_2(files, capsys, monkeypatch, args, message):
    monkeypatch.chdir(files)
    assert main(["estimate"] + args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_console_script_runs(files):
    run = subprocess.run([sys.executable, "-m", "gmmmi.cli", "estimate", str(files / "xy.npy"),
                          "--n-bootstrap", "2"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("MI = ")


def test_estimate_reads_a_csv_with_or_without_a_header(files, capsys):
    xy = np.load(files / "xy.npy")
    np.savetxt(files / "plain.csv", xy, delimiter=",")
    np.savetxt(files / "named.csv", xy, delimiter=",", header="x,y", comments="")
    results = []
    for name in ("plain.csv", "named.csv"):
        assert main(["estimate", str(files / name), "--n-bootstrap", "5", "--json"]) == 0
        results.append(json.loads(capsys.readouterr().out))
    assert results[0]["value"] == results[1]["value"] and results[0]["n_samples"] == 500


@pytest.mark.parametrize("text", ["", "x,y\n"])
def test_estimate_refuses_a_csv_without_data_in_one_line(files, text):
    (files / "empty.csv").write_text(text)
    run = subprocess.run([sys.executable, "-m", "gmmmi.cli", "estimate",
                          str(files / "empty.csv")], capture_output=True, text=True)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and "no data" in lines[0], run.stderr


def test_estimate_passes_the_estimator_s_warnings_on(files, capsys):
    assert main(["estimate", str(files / "xy.npy"), "--fixed-components", "5000",
                 "--n-bootstrap", "2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[0].startswith("gmmmi: warning: fixed_components=5000: only")


def test_a_tiny_std_is_printed_with_its_digits():
    from gmmmi.core.result import MIResult
    result = MIResult(value=0.2312341, std=0.000042, bootstrap=np.zeros(50), n_components=1,
                      status="ok", unit="nat", low=0.23115, high=0.23132)
    assert str(result).startswith("MI = 0.231234 ± 0.000042 nat, 95% 0.231150 to 0.231320")


@pytest.mark.parametrize("text, message", [
    ("dataset: !!python/object/apply:os.system ['true']\n",
     "line 1, column 10: could not determine a constructor for the tag"),
    ("analyses:\n\tll: {x: latent, y: latent}\n", "line 2, column 1: found character '\\t'"),
    ("- dataset\n", "must be a mapping of keys"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\ndataset: e.zarr\n",
     "line 3, column 1: 'dataset' is given twice (YAML would keep only the last)"),
    ("dataset: d.zarr\nanalyses:\n  ll: {x: latent, y: latent}\n  ll: {x: latent, y: x}\n",
     "line 4, column 3: 'll' is given twice"),
    ("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ndataset: d.zarr\n",
     "line 2, column 8: aliases (*name) are not allowed in a config"),
    ("? [a, b]\n: 1\ndataset: d.zarr\n", "line 1, column 3: found unhashable key"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\nchunks: 0\n",
     "chunks: must be auto or a whole number >= 1, got 0"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: nothing}}\n",
     "analyses.ll: the dataset has no group 'nothing'"),
    ("dataset: d.zarr\ndemo: {path: ../elsewhere.zarr}\nanalyses: {ll: {x: latent, y: latent}}\n",
     "demo.path: the workflow writes the demo dataset here, so it must stay inside"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\nestimator: {transform: rank}\n",
     "estimator: 'transform' is now called 'marginals'"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\nestimator: {n_bootstrap: 1}\n",
     "estimator.n_bootstrap: must be 0 (one fit, no interval) or at least 2"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\n"
     "dask: {scheduler_address: 'tls://h:1', cluster: slurm}\n",
     "dask: give dask.scheduler_address (a cluster you started) or dask.cluster"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\n"
     "dask: {cluster: slurm, slurm: {memory: lots}}\n",
     "dask.slurm.memory: must be auto or a size such as 4GB, got 'lots'"),
    # a name that cannot name a folder (an OSError under snakemake -n before, issue 43)
    (f"dataset: d.zarr\nanalyses: {{{'a' * 300}: {{x: latent, y: latent}}}}\n",
     "analyses: 'aaaaaaaaaaaaaaaaaaaaaaaa'... is 300 characters long; at most 100"),
    ("dataset: d.zarr\nanalyses: " + "[" * 5000 + "]" * 5000 + "\n",
     "nested too deeply to read"),
    ("dataset: d.zarr\nanalyses: {ll: {x: latent, y: latent}}\n"
     "comparisons: {c: {before: ll}}\n", "comparisons.c: 'after' is a required property"),
])
def test_check_config_names_each_problem_and_its_line(tmp_path, capsys, monkeypatch, text,
                                                       message):
    """Snakemake calls any YAML problem tab indentation; check-config names the real one
    (and, once the dataset exists, an analysis's missing group)."""
    from gmmmi.data.demo import make_demo_dataset
    from gmmmi.data.store import write_dataset

    write_dataset(make_demo_dataset(n_samples=50), tmp_path / "d.zarr")
    monkeypatch.chdir(tmp_path)  # the schema is found beside the package
    (tmp_path / "c.yaml").write_text(text)
    assert main(["check-config", "c.yaml"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert all(line.startswith("gmmmi: error: c.yaml: ") for line in err.strip().splitlines())


def test_a_config_that_is_not_utf8_is_one_line_for_every_command(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_bytes(b"dataset: d.zarr\n# caf\xe9\n")
    for command in (["check-config", "c.yaml"], ["cache", "prune", "--configfile", "c.yaml"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.strip() == "gmmmi: error: c.yaml: line 2: not UTF-8 text (byte 0xe9)"


def test_check_config_refuses_a_tls_scheduler_without_its_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("dataset: d.zarr\nanalyses:\n  a: {x: l, y: l}\n"
                                     "dask:\n  scheduler_address: tls://127.0.0.1:8786\n")
    assert main(["check-config", "c.yaml"]) == 2
    assert "a tls:// scheduler needs dask.tls_ca_file" in capsys.readouterr().err


def test_an_explicit_chunk_count_is_at_most_one_per_pair():
    from gmmmi.analysis.plan import chunk_count

    assert chunk_count(100_000, 28, 1) == 28 and chunk_count(4, 28, 1) == 4
    assert chunk_count("auto", 28, 64) == 28 and chunk_count(7, None, 1) == 7


def test_check_config_accepts_the_default_config(capsys, monkeypatch):
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(repo)
    assert main(["check-config", "config/config.yaml"]) == 0
    assert "config/config.yaml: valid" in capsys.readouterr().out
