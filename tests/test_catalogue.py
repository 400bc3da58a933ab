"""The catalogue: every public Python entry point against the same kinds of odd input.

Each call either gives a result or refuses in one line: a ``ValueError`` (gmmmi's
``DatasetError`` and ``ConfigError`` are ones) whose message is a single line. Any other
exception is a traceback for the user, and fails here. What is accepted is checked to be
honest where the catalogue knows the answer (missing values dropped and counted, a
constant variable said to be constant). The workflow's and the CLI's own refusals are in
test_workflow.py and test_cli.py; ``python tests/test_catalogue.py`` prints the tally.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import gmmmi
from gmmmi import disentanglement

N = 300
_rng = np.random.default_rng(7)
X = _rng.standard_normal(N)
Y = 0.6 * X + 0.8 * _rng.standard_normal(N)
LABELS = (X > 0).astype(int) + (X > 1)


def _masked(values):
    return np.ma.masked_less(values, -2.0)


def _nullable(values):
    out = pd.Series(values, dtype="Float64")
    out[:5] = pd.NA
    return out


# odd forms of one continuous variable (x); None where the form is not a variable
VARIABLES = {
    "plain": X,
    "list": X.tolist(),
    "object numbers": X.astype(object),
    "strings": np.array([f"v{i}" for i in range(N)]),
    "numeric strings": X.astype(str),
    "bool": X > 0,
    "complex": X + 1j,
    "datetime": np.arange(N).astype("datetime64[s]"),
    "masked": _masked(X),
    "pandas nullable": _nullable(X),
    "pandas series": pd.Series(X),
    "scalar": 3.0,
    "3-d": X.reshape(N // 3, 3, 1),
    "empty": np.array([]),
    "shorter": X[:-1],
    "all nan": np.full(N, np.nan),
    "some inf": np.where(np.arange(N) < 4, np.inf, X),
    "huge": X * 1e300,
    "tiny": X * 1e-300,
    "constant": np.ones(N),
    "three samples": X[:3],
    "ragged": [[1.0, 2.0], [3.0]],
    "none": None,
    "dict": {"a": X},
    "duplicate of y": Y,
    "sparse": None,  # filled below when scipy has it
}
try:
    from scipy import sparse

    VARIABLES["sparse"] = sparse.csr_matrix(X[:, None])
except ImportError:  # pragma: no cover
    del VARIABLES["sparse"]

# odd forms of category labels
LABEL_SETS = {
    "ints": LABELS,
    "strings": np.array(["a", "b", "c"])[LABELS],
    "with none": np.where(np.arange(N) < 5, None, LABELS.astype(object)),
    "pandas Int64 with NA": pd.Series(LABELS, dtype="Int64").where(np.arange(N) >= 5),
    "a rare class": np.where(np.arange(N) < 3, 9, LABELS),
    "many classes": np.arange(N) % 100,
    "one class": np.zeros(N, dtype=int),
    "floats": LABELS.astype(float),
    "unhashable": [[v] for v in LABELS],
    "mixed types": np.array([1, "a", 2.5] * (N // 3), dtype=object),
    "2-d": np.column_stack([LABELS, LABELS]),
    "shorter": LABELS[:-1],
}


def _with_y(v):
    """``v`` beside Y as a two-column table, or ``v`` itself when it cannot be one."""
    try:
        return np.column_stack([v, Y]) if np.ndim(v) == 1 else v
    except (TypeError, ValueError):
        return v


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


ENTRY_POINTS = {
    "estimate_mi(x, y)": lambda v: gmmmi.estimate_mi(v, Y, n_bootstrap=2),
    "estimate_mi(y, x)": lambda v: gmmmi.estimate_mi(Y, v, n_bootstrap=2),
    "estimate_mi(x, labels, categorical)": lambda v: gmmmi.estimate_mi(
        v, LABELS, categorical=True, n_bootstrap=2),
    "conditional_mi(x, y, z)": lambda v: gmmmi.conditional_mi(v, Y, X, n_bootstrap=0),
    "marginal_kl(x, y)": lambda v: gmmmi.marginal_kl(v, Y, n_bootstrap=0),
    "GMMMI().fit(x, y)": lambda v: gmmmi.GMMMI(n_bootstrap=2).fit(v, Y).result_,
    "mutual_info_regression": lambda v: gmmmi.mutual_info_regression(
        _with_y(v), Y, n_bootstrap=0),
    "mi_matrix({'a': x, 'b': y})": lambda v: gmmmi.mi_matrix(
        {"a": v, "b": Y}, "a", "b", n_bootstrap=0, progress=False),
    "discrete_mig(x, labels)": lambda v: disentanglement.discrete_mig(_with_y(v), LABELS),
}

LABEL_ENTRY_POINTS = {
    "estimate_mi(x, labels, categorical)": lambda lab: gmmmi.estimate_mi(
        X, lab, categorical=True, n_bootstrap=2),
    "mutual_info_classif": lambda lab: gmmmi.mutual_info_classif(
        np.column_stack([X, Y]), lab, n_bootstrap=0),
    "mi_matrix({'a': x, 'f': labels})": lambda lab: gmmmi.mi_matrix(
        {"a": np.column_stack([X, Y]), "f": lab}, "a", "f", n_bootstrap=0, progress=False),
    "discrete_mig(latents, labels)": lambda lab: disentanglement.discrete_mig(
        np.column_stack([X, Y]), lab),
}


def outcome(call):
    """("accepted", result) or ("refused", message); anything else propagates."""
    try:
        return "accepted", _quiet(call)
    except ValueError as exc:  # DatasetError and ConfigError are ValueErrors
        return "refused", str(exc)


CASES = [("variable", entry, name) for entry in ENTRY_POINTS for name in VARIABLES] + \
    [("labels", entry, name) for entry in LABEL_ENTRY_POINTS for name in LABEL_SETS]


def run_case(family, entry, name):
    if family == "variable":
        return outcome(lambda: ENTRY_POINTS[entry](VARIABLES[name]))
    return outcome(lambda: LABEL_ENTRY_POINTS[entry](LABEL_SETS[name]))


@pytest.mark.parametrize("family, entry, name", CASES,
                         ids=[f"{e} <- {f} {n}" for f, e, n in CASES])
def test_every_entry_point_answers_or_refuses_in_one_line(family, entry, name):
    kind, value = run_case(family, entry, name)
    if kind == "refused":
        assert value and "\n" not in value and "Traceback" not in value, value
        return
    if isinstance(value, gmmmi.MIResult | gmmmi.KLResult) and family == "variable":
        # honest acceptances: missing values counted, a constant said to be constant
        if name in ("masked", "pandas nullable", "some inf"):
            assert value.n_dropped > 0
        if name == "constant":
            assert value.status == "constant"
        if name == "all nan":
            assert value.status == "too-few-samples"


# the kinds of input that must be refused, whatever the entry point: never a result
MUST_REFUSE = {"strings", "complex", "datetime", "scalar", "3-d", "empty", "shorter",
               "ragged", "none", "dict"}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_what_is_not_a_variable_is_refused_not_misread(entry):
    for name in sorted(MUST_REFUSE):
        if entry == "estimate_mi(y, x)" and name == "3-d":
            continue  # y may be a vector; a 3-d one is refused below all the same
        kind, value = outcome(lambda: ENTRY_POINTS[entry](VARIABLES[name]))
        assert kind == "refused", (entry, name, value)


# calls a user tries with the right data but a wrong argument: each one refused in one
# line (a traceback or a silent misread before, issue 43)
MISUSES = {
    "GMMMI().fit(x) without y": lambda: gmmmi.GMMMI(n_bootstrap=0).fit(X),
    "GMMMI().fit(x, y, sample_weight=w)": lambda: gmmmi.GMMMI(n_bootstrap=0).fit(
        X, Y, sample_weight=np.ones(N)),
    "GMMMI().result_ before fit": lambda: gmmmi.GMMMI().result_,
    # one resample: its value stood for the estimate, outside its own interval
    "estimate_mi(x, y, n_bootstrap=1)": lambda: gmmmi.estimate_mi(X, Y, n_bootstrap=1),
    "mutual_info_regression(X, y, seed=3)": lambda: gmmmi.mutual_info_regression(
        np.column_stack([X, Y]), Y, seed=3, n_bootstrap=0),
    # a table where an MI matrix belongs: KeyError 'mi', IndexError before
    "scores(matrix=<DataFrame>)": lambda: disentanglement.scores(
        matrix=pd.DataFrame({"mi": [0.1]})),
    "gmm_mig(np.eye(3))": lambda: disentanglement.gmm_mig(np.eye(3)),
    "best_latents(<dict>)": lambda: disentanglement.best_latents({"mi": np.eye(2)}),
    "gmmmi.compare(<array>, <array>)": lambda: gmmmi.compare(np.eye(2), np.eye(2)),
    # counts that were accepted and ignored, or numpy's TypeError
    "discrete_mig(n_bins=2.5)": lambda: disentanglement.discrete_mig(
        np.column_stack([X, Y]), LABELS, n_bins=2.5),
    "sap(n_train=0)": lambda: disentanglement.sap(np.column_stack([X, Y]), LABELS,
                                                  n_train=0),
    "sap(n_test=-5)": lambda: disentanglement.sap(np.column_stack([X, Y]), LABELS,
                                                  n_test=-5),
    "dci(n_train=1.5)": lambda: disentanglement.dci(np.column_stack([X, Y]),
                                                    np.column_stack([LABELS, LABELS]),
                                                    n_train=1.5),
    "scores(with_dci='no')": lambda: disentanglement.scores(
        latents=np.column_stack([X, Y]), factors=LABELS, with_dci="no"),
    # a continuous factor taken as hundreds of classes
    "discrete_mig(latents, <float factor>)": lambda: disentanglement.discrete_mig(
        np.column_stack([X, Y]), Y),
    # silent misreads before: an index truncated, NaN accepted where scikit-learn refuses
    # it, an integral of one sample called ok, group names that are not names
    "mutual_info_classif(discrete_features=[0.5])": lambda: gmmmi.mutual_info_classif(
        np.column_stack([X, Y]), LABELS, discrete_features=[0.5], n_bootstrap=0),
    "mutual_info_regression(<X with NaN>)": lambda: gmmmi.mutual_info_regression(
        np.column_stack([np.where(np.arange(N) < 3, np.nan, X), Y]), Y, n_bootstrap=0),
    "GMMMI(integration='mc', mc_samples=1)": lambda: gmmmi.GMMMI(
        integration="mc", mc_samples=1, n_bootstrap=0).fit(X, Y),
    "mi_matrix({1: x, 2: y}, 1, 2)": lambda: gmmmi.mi_matrix({1: X, 2: Y}, 1, 2,
                                                            progress=False),
    "mi_matrix({' ': x, 'b': y})": lambda: gmmmi.mi_matrix({" ": X, "b": Y}, " ", "b",
                                                          progress=False),
}


@pytest.mark.parametrize("name", list(MISUSES))
def test_a_misused_argument_is_refused_in_one_line(name):
    kind, value = outcome(MISUSES[name])
    assert kind == "refused", (name, value)
    assert value and "\n" not in value, value


def test_an_unfitted_estimator_says_so_as_scikit_learn_does():
    from sklearn.exceptions import NotFittedError
    estimator = gmmmi.GMMMI()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        estimator.mi_
    assert not hasattr(estimator, "mi_")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        estimator.nothing


def tally():
    """(tried, refused, accepted) over the catalogue."""
    counts = {"refused": 0, "accepted": 0}
    for case in CASES:
        counts[run_case(*case)[0]] += 1
    return len(CASES), counts["refused"], counts["accepted"]


# --- the command line: every command that reads a file, against odd and damaged files ---

def _odd_files(folder):
    """{kind: path} of the files a user may hand any command by mistake."""
    from gmmmi.analysis import matrix as mx
    from gmmmi.data.demo import make_demo_dataset
    from gmmmi.data.store import write_dataset

    arrays = {"strings": np.array(["a", "b"] * 50), "complex": X + 1j,
              "datetime": np.arange(N).astype("datetime64[s]"), "3-d": np.zeros((5, 4, 3)),
              "empty": np.array([]), "all nan": np.full(N, np.nan), "constant": np.ones(N),
              "huge": X * 1e300, "object": X.astype(object)}
    files = {}
    for name, values in arrays.items():
        path = folder / f"{name.replace(' ', '-')}.npy"
        np.save(path, values, allow_pickle=True)
        files[f"npy {name}"] = path
    good = folder / "good.npy"
    np.save(good, X)
    files["npy cut short"] = folder / "cut.npy"
    files["npy cut short"].write_bytes(good.read_bytes()[:100])
    files["random bytes"] = folder / "random.npy"
    files["random bytes"].write_bytes(np.random.default_rng(0).bytes(2000))
    files["empty file"] = folder / "empty.npy"
    files["empty file"].write_bytes(b"")
    files["a directory"] = folder / "adir"
    files["a directory"].mkdir()
    files["missing"] = folder / "missing.npy"
    files["not utf-8 text"] = folder / "bad.csv"
    files["not utf-8 text"].write_bytes(b"x,y\n1,\xff\n")
    dataset = folder / "data.zarr"
    write_dataset(make_demo_dataset(n_samples=200), dataset)
    files["a dataset"] = dataset
    matrix = gmmmi.mi_matrix(dataset, "latent", "factor", n_bootstrap=2, progress=False)
    good_matrix = folder / "mi.zarr"
    mx.write(matrix, good_matrix)
    files["a matrix"] = good_matrix
    damaged = folder / "damaged.zarr"
    mx.write(matrix, damaged)
    chunk = next(p for p in (damaged / "mi").rglob("*") if p.is_file() and p.name != "zarr.json")
    chunk.write_bytes(b"\x00garbage")
    files["a matrix with a damaged chunk"] = damaged
    headless = folder / "headless.zarr"
    mx.write(matrix, headless)
    (headless / "zarr.json").unlink()
    files["a store without zarr.json"] = headless
    files["a chunk result cut short"] = folder / "1-of-1.json"
    files["a chunk result cut short"].write_text('{"analysis": "a", "chunk": 0, "res')
    return files


COMMANDS = {
    "estimate x": lambda f, out: ["estimate", f, str(out.parent / "good.npy"),
                                  "--n-bootstrap", "2"],
    "estimate y": lambda f, out: ["estimate", str(out.parent / "good.npy"), f,
                                  "--n-bootstrap", "2"],
    "estimate categorical": lambda f, out: ["estimate", f, "--categorical", "--n-bootstrap", "2"],
    "ingest": lambda f, out: ["ingest", f, "--out", str(out / "ingested.zarr")],
    "validate": lambda f, out: ["validate", f],
    "check-config": lambda f, out: ["check-config", f],
    "cache prune": lambda f, out: ["cache", "prune", "--configfile", f],
    "gather": lambda f, out: ["gather", f, "--out", str(out / "gathered.zarr")],
    "flow": lambda f, out: ["flow", f, "--graphml", str(out / "g.graphml"),
                            "--json", str(out / "g.json")],
    "report": lambda f, out: ["report", f, "--out", str(out / "r.html")],
    "report --data": lambda f, out: ["report", str(out.parent / "mi.zarr"), "--data", f,
                                     "--out", str(out / "r.html")],
}


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory):
    return _odd_files(tmp_path_factory.mktemp("odd"))


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_answers_or_refuses_each_odd_file_in_one_line(command, odd_files,
                                                                     tmp_path, capsys,
                                                                     monkeypatch):
    from gmmmi.cli import main

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for kind, path in odd_files.items():
        argv = COMMANDS[command](str(path), out)
        code = _quiet(lambda: main(argv))  # noqa: B023 - called at once
        captured = capsys.readouterr()
        assert code in (0, 2), (command, kind, code)
        if code == 2:
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("gmmmi: error: "), \
                (command, kind, captured.err)
        assert "Traceback" not in captured.err


def cli_tally(folder):
    """(tried, refused, accepted) of the command-line catalogue, run in ``folder``."""
    import contextlib
    import io
    import os

    from gmmmi.cli import main

    files = _odd_files(folder)
    out = folder / "out"
    out.mkdir()
    os.chdir(folder)
    codes = []
    for command in COMMANDS:
        for path in files.values():
            with contextlib.redirect_stderr(io.StringIO()), \
                    contextlib.redirect_stdout(io.StringIO()):
                codes.append(_quiet(lambda: main(COMMANDS[command](str(path), out))))  # noqa: B023
    return len(codes), codes.count(2), codes.count(0)


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    tried, refused, accepted = tally()
    print(f"Python: {tried} calls: {refused} refused in one line, {accepted} accepted")
    with tempfile.TemporaryDirectory() as folder:
        tried, refused, accepted = cli_tally(Path(folder))
    print(f"CLI: {tried} calls: {refused} refused in one line, {accepted} accepted")
