"""The MI integral: cubature and Monte Carlo against a high-precision reference."""

import numpy as np
import pytest

import groundtruth as truth
from gmmmi.core.information import mutual_information


def batch(mixture):
    return tuple(np.asarray(p)[None] for p in mixture)


def mi_of(mixture, integration, seed=0, **kwargs):
    options = {"quadrature_nodes": 1024, "mc_samples": 100_000}
    options.update(kwargs)
    return float(mutual_information(batch(mixture), integration=integration,
                                    rng=np.random.default_rng(seed), **options)[0])


@pytest.mark.parametrize("name", ["D1", "D3", "D5"])
def test_quadrature_error_below_1e_4(name):
    mixture = truth.PAPER_MIXTURES[name]
    assert abs(mi_of(mixture, "quadrature") - truth.grid_mi(mixture)) < 1e-4


def test_quadrature_exact_for_a_gaussian():
    rho = 0.8
    gaussian = (np.array([1.0]), np.zeros((1, 2)), np.array([[[1.0, rho], [rho, 1.0]]]))
    assert mi_of(gaussian, "quadrature") == pytest.approx(truth.gaussian_mi(rho), abs=1e-12)


@pytest.mark.parametrize("name", ["D3", "D5"])
def test_monte_carlo_agrees_within_its_noise(name):
    mixture = truth.PAPER_MIXTURES[name]
    values = [mi_of(mixture, "mc", seed=s, mc_samples=20_000) for s in range(5)]
    # 20k draws: the standard error is about 3e-3 nat on these mixtures
    assert abs(np.mean(values) - truth.grid_mi(mixture)) < 5e-3
    assert np.std(values) > 0


def test_monte_carlo_is_seeded():
    mixture = truth.PAPER_MIXTURES["D3"]
    assert mi_of(mixture, "mc", seed=3, mc_samples=1000) == mi_of(mixture, "mc", seed=3,
                                                                   mc_samples=1000)
