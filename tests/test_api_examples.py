"""Every public name of ``gmmmi`` has an Examples section, and its examples run (as
doctests, each in a folder of its own)."""

import doctest
import warnings

import pytest

import gmmmi

NAMES = [name for name in gmmmi.__all__ if name != "__version__"]  # a string


@pytest.mark.parametrize("name", NAMES)
def test_a_public_name_has_examples_that_run(name, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    obj = getattr(gmmmi, name)
    assert "Examples\n" in (obj.__doc__ or ""), f"{name} has no Examples section"
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(obj, name) if t.examples]
    assert tests, name
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in tests:
            runner.run(test)
    assert runner.failures == 0, f"{name}: {runner.failures} examples failed"


def test_the_settings_table_lists_every_parameter_with_its_default():
    """docs/user-guide/estimator.md's table against GMMMI's own defaults."""
    import ast
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "user-guide" /
            "estimator.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", page, re.M))
    defaults = gmmmi.GMMMI().get_params()
    assert set(rows) == set(defaults)
    for name, value in defaults.items():
        assert ast.literal_eval(rows[name]) == value, name
