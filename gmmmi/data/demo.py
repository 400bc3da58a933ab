"""The embedded demo dataset: latents and factors whose pairwise MI is known exactly.

Four continuous factors are independent standard normals. Six latents are linear
mixtures of them plus independent noise, so every pair among factors and these
latents is bivariate normal with a correlation known in closed form, and
MI = -1/2 ln(1 - rho^2). Two latents are shifted by a categorical factor (a mixture
of normals: MI by 1-D quadrature) and are independent of everything else. Each
variable is then pushed through its own monotone map, which leaves every MI
unchanged but makes the marginals non-Gaussian, as in real representations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import integrate, special, stats

from .dataset import build_dataset, make_group

if TYPE_CHECKING:
    import xarray as xr

FACTORS = ("size", "position x", "position y", "hue")


@dataclass(frozen=True)
class CategoricalFactor:
    """A factor with ``len(proportions)`` categories; latent | c ~ N(shifts[c], sd^2)."""

    name: str
    proportions: tuple
    shifts: tuple
    sd: float


CATEGORICAL = (
    CategoricalFactor("shape", (0.4, 0.3, 0.2, 0.1), (-1.5, 0.0, 1.5, 3.0), 1.0),
    CategoricalFactor("material", (1 / 3, 1 / 3, 1 / 3), (0.0, 0.8, 1.6), 1.0),
)

# name: (loadings on FACTORS, or the categorical factor it encodes; monotone map)
LATENTS = {
    "z0": ({"size": 0.9}, "exp"),
    "z1": ({"position x": 0.8}, "wiggle"),
    "z2": ({"position y": 0.6, "hue": 0.5}, "identity"),
    "z3": ({"hue": 0.35}, "cube"),
    "z4": ("shape", "logistic"),
    "z5": ({"size": 0.5, "position x": 0.5}, "uniform"),
    "z6": ("material", "softplus"),
    "z7": ({}, "identity"),
}
FACTOR_MAPS = {"size": "uniform", "position x": "identity", "position y": "wiggle",
               "hue": "uniform"}

MAPS = {
    "identity": lambda v: v,
    "exp": lambda v: np.exp(0.5 * v),
    "wiggle": lambda v: v + 0.4 * np.sin(v),
    "cube": lambda v: v ** 3,
    "logistic": lambda v: special.expit(1.5 * v),
    "uniform": special.ndtr,
    "softplus": lambda v: np.logaddexp(0.0, v),
}


def make_demo_dataset(n_samples: int = 5000, seed: int = 0) -> xr.Dataset:
    """The demo dataset: groups ``latent`` (8), ``factor`` (4) and ``category`` (2).

    ``true_mi(variable_x, variable_y)`` holds the exact MI in nats of every pair of
    variables (NaN on the diagonal); :func:`gmmmi.dataset.true_mi` reads it per pair
    of groups.
    """
    if int(n_samples) < 50:
        raise ValueError(f"--samples must be at least 50, got {n_samples}")
    n_samples = int(n_samples)
    rng = np.random.default_rng([int(seed), 7_2023])
    factors = rng.standard_normal((n_samples, len(FACTORS)))
    codes = np.column_stack([rng.choice(len(c.proportions), size=n_samples, p=c.proportions)
                             for c in CATEGORICAL])
    latents = np.empty((n_samples, len(LATENTS)))
    for j, (source, _) in enumerate(LATENTS.values()):
        noise = rng.standard_normal(n_samples)
        if isinstance(source, str):
            factor = _categorical(source)
            c = codes[:, CATEGORICAL.index(factor)]
            latents[:, j] = np.asarray(factor.shifts)[c] + factor.sd * noise
        else:
            loadings = _loadings(source)
            latents[:, j] = factors @ loadings + np.sqrt(1 - loadings @ loadings) * noise
    for j, (_, map_name) in enumerate(LATENTS.values()):
        latents[:, j] = MAPS[map_name](latents[:, j])
    for j, name in enumerate(FACTORS):
        factors[:, j] = MAPS[FACTOR_MAPS[name]](factors[:, j])

    source = "gmmmi demo-data"
    groups = {
        "latent": make_group(latents, list(LATENTS), "continuous", group="latent", source=source),
        "factor": make_group(factors, FACTORS, "continuous", group="factor", source=source),
        "category": make_group(codes, [c.name for c in CATEGORICAL], "categorical",
                               group="category", source=source),
    }
    groups["latent"].attrs["maps"] = [m for _, m in LATENTS.values()]
    groups["factor"].attrs["maps"] = [FACTOR_MAPS[f] for f in FACTORS]
    ds = build_dataset(groups, attrs={
        "created_by": "gmmmi demo-data", "seed": int(seed),
        "description": "Synthetic latents and factors with exactly known pairwise MI "
                       "(jointly normal variables and category-shifted normals, each "
                       "through a monotone map)."})
    return ds.assign(true_mi=_true_mi_array())


def _true_mi_table():
    """Exact MI (nats) of every pair: (list of (group, name), square array)."""
    variables = ([("latent", n) for n in LATENTS] + [("factor", f) for f in FACTORS]
                 + [("category", c.name) for c in CATEGORICAL])
    table = np.full((len(variables),) * 2, np.nan)
    for i, a in enumerate(variables):
        for j, b in enumerate(variables):
            if i != j:
                table[i, j] = _pair_mi(a, b)
    return variables, table


def gaussian_mi(rho):
    """MI of a bivariate normal with correlation ``rho``, in nats."""
    return -0.5 * np.log1p(-rho * rho)


def _category_shift_mi(factor):
    """MI between a categorical factor and latent | c ~ N(shifts[c], sd^2), by quadrature."""
    shifts, weights = np.asarray(factor.shifts), np.asarray(factor.proportions)

    def integrand(v):
        p = weights @ stats.norm.pdf(v, shifts, factor.sd)
        return -p * np.log(p) if p > 0 else 0.0

    lo, hi = shifts.min() - 12 * factor.sd, shifts.max() + 12 * factor.sd
    entropy = integrate.quad(integrand, lo, hi, limit=500, epsabs=1e-13, epsrel=1e-12)[0]
    return entropy - 0.5 * np.log(2 * np.pi * np.e * factor.sd ** 2)


def _true_mi_array():
    import xarray as xr

    variables, table = _true_mi_table()
    groups = np.array([g for g, _ in variables], dtype=object)
    names = np.array([n for _, n in variables], dtype=object)
    return xr.DataArray(
        table, dims=("variable_x", "variable_y"),
        coords={"group_x": ("variable_x", groups), "name_x": ("variable_x", names),
                "group_y": ("variable_y", groups), "name_y": ("variable_y", names)},
        attrs={"unit": "nat", "description": "exact MI of each pair of variables"})


def _pair_mi(a, b):
    (group_a, name_a), (group_b, name_b) = a, b
    if group_a == "category" and group_b == "category":
        return 0.0  # drawn independently
    if group_b == "category":
        return _pair_mi(b, a)
    if group_a == "category":
        latent = LATENTS.get(name_b, (None,))[0] if group_b == "latent" else None
        return _category_shift_mi(_categorical(name_a)) if latent == name_a else 0.0
    loading_a, loading_b = _gaussian_loadings(a), _gaussian_loadings(b)
    if loading_a is None or loading_b is None:
        return 0.0  # a category-shifted latent is independent of every normal variable
    return float(gaussian_mi(loading_a @ loading_b))


def _gaussian_loadings(variable):
    """Unit-variance loadings on FACTORS of a jointly normal variable, else None."""
    group, name = variable
    if group == "factor":
        return np.eye(len(FACTORS))[FACTORS.index(name)]
    source = LATENTS[name][0]
    return None if isinstance(source, str) else _loadings(source)


def _loadings(source):
    loadings = np.array([source.get(f, 0.0) for f in FACTORS])
    assert loadings @ loadings < 1, "a latent needs some noise"
    return loadings


def _categorical(name):
    return next(c for c in CATEGORICAL if c.name == name)
