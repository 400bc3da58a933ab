"""Compiling ahead (``gmmmi compile``): it covers every kernel signature that the
estimators use, so that a user's first estimate after it compiles nothing; and a
kernel that must compile says so."""

import json
import logging
import subprocess
import sys

from numba import njit
from numba.core import event

from gmmmi.cli import main
from gmmmi.core.engine.cache import NOTICE, CompileNotice

SIGNATURES = """
import json, sys
import numpy as np
from numba.core.registry import CPUDispatcher
import gmmmi
from gmmmi.core import engine
from gmmmi.core.engine import common, density, general, kmeans, small, squarem, warm
if sys.argv[1] == "compile":
    for n_dims in warm.DIMENSIONS:
        warm.compile_dimension(n_dims)
else:
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    gmmmi.estimate_mi(x, x + rng.normal(size=600), n_bootstrap=5)
    gmmmi.estimate_mi(x, (x > 0).astype(int), categorical=True, n_bootstrap=5)
    gmmmi.estimate_mi(np.c_[x, x ** 3], x + rng.normal(size=600), n_bootstrap=5)
    gmmmi.conditional_mi(x, x + rng.normal(size=600), x ** 2 + rng.normal(size=600),
                         n_bootstrap=5)
    big = rng.normal(size=25000)
    gmmmi.estimate_mi(big, big + rng.normal(size=25000), n_bootstrap=5)
    gmmmi.mutual_info_regression(np.c_[x, x ** 2], x)
found = sorted(f"{module.__name__}.{name}{signature}"
               for module in (common, density, general, kmeans, small, squarem)
               for name, kernel in vars(module).items() if isinstance(kernel, CPUDispatcher)
               for signature in kernel.signatures)
print(json.dumps(found))
"""


def signatures(what):
    done = subprocess.run([sys.executable, "-c", SIGNATURES, what], capture_output=True,
                          text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_compiling_ahead_covers_what_the_estimators_call():
    ahead, used = signatures("compile"), signatures("use")
    assert used, "the estimators called no kernel"
    assert used <= ahead, f"not compiled ahead: {sorted(used - ahead)}"


def test_compile_command(capsys):
    assert main(["compile"]) == 0
    assert "kernels are compiled and cached" in capsys.readouterr().out


def test_a_kernel_that_compiles_says_so_once(caplog):
    notice = CompileNotice("probe.kernels")  # apart from the engine's own notice
    event.register("numba:compile", notice)

    def first(a):
        return a + 1

    def second(a):
        return a - 1

    def elsewhere(a):
        return a * 2

    first.__module__ = second.__module__ = "probe.kernels.small"
    try:
        with caplog.at_level(logging.WARNING, logger="gmmmi"):
            njit(elsewhere)(1)
            assert not caplog.records  # not one of the package's kernels
            njit(first)(1)
            njit(second)(1)
    finally:
        event.unregister("numba:compile", notice)
    assert [r.getMessage() for r in caplog.records] == [NOTICE]
