"""The estimator's settings: each with its type, default and range (``RULES``, which the
workflow's schema and ``GMMMI``'s defaults are tied to by tests), checked in one place;
and the random streams.

Randomness comes only from ``numpy.random.default_rng(key + stream)`` where
``key`` derives from the user's seed (and, for categorical data, the category),
so results never depend on scheduling or thread count.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from .result import check_unit

(_STREAM_FOLDS, _STREAM_INITS, _STREAM_BOOTSTRAP, _STREAM_INTEGRAL, _STREAM_SUBSAMPLE,
 _STREAM_TIES) = range(6)


@dataclass(frozen=True)
class Settings:
    """Estimator settings (defaults as in Piras et al. 2023)."""

    n_inits: int = 3
    n_folds: int | None = None
    selection: str = "validation"
    threshold_components: float = 1e-5
    patience: int = 2
    max_components: int = 50
    fixed_components: int | None = None
    tol: float = 1e-5
    selection_tol: float = 1e-4
    bootstrap_tol: float = 1e-4
    accelerate: bool = True
    reg_covar: float = 1e-6
    max_iter: int = 1000
    integration: str = "quadrature"
    quadrature_nodes: int = 1024
    mc_samples: int = 100_000
    marginals: str = "auto"
    bootstrap_method: str = "auto"

    def __post_init__(self):
        for name, (kind, bound) in RULES.items():
            _check(name, kind, bound, getattr(self, name))

    def integration_kwargs(self, key):
        return {"integration": self.integration, "quadrature_nodes": self.quadrature_nodes,
                "mc_samples": self.mc_samples,
                "rng": np.random.default_rng(list(key) + [_STREAM_INTEGRAL])}


# What each setting accepts, stated once: ``Settings`` checks it, and the workflow's
# config schema says the same (``schema_properties``; a test holds the two together).
# kind: "int" (>= bound), "optional int" (None or >= bound), "number" (finite, >= bound),
# "fraction" (>= bound and < 1: reg_covar is in units of the data's variance, which 1 or
# more swamps), "bool", "choice" (one of bound).
RULES = {
    "n_inits": ("int", 1),
    "n_folds": ("optional int", 2),
    "selection": ("choice", ("validation", "aic", "bic")),
    "threshold_components": ("number", 0),
    "patience": ("int", 1),
    "max_components": ("int", 1),
    "fixed_components": ("optional int", 1),
    "tol": ("number", 0),
    "selection_tol": ("number", 0),
    "bootstrap_tol": ("number", 0),
    "accelerate": ("bool", None),
    "reg_covar": ("fraction", 0),
    "max_iter": ("int", 1),
    "integration": ("choice", ("quadrature", "mc")),
    "quadrature_nodes": ("int", 1),
    "mc_samples": ("int", 1000),  # fewer: the integral's own error swamps the estimate
    "marginals": ("choice", ("auto", "rank", "standardise")),
    "bootstrap_method": ("choice", ("auto", "refit", "linear")),
}


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Settings))


# The estimator's parameters besides the settings (and categorical, unit), with their
# defaults: GMMMI's, which a test holds to these.
RUN_DEFAULTS = {"n_bootstrap": 50, "seed": 0}


# Settings that were renamed: the old name is refused with the new one.
RENAMED = {"transform": "marginals"}


def make_settings(settings):
    """``Settings`` from a dict, with a one-line ``ValueError`` for an unknown name."""
    unknown = sorted(set(settings) - set(SETTING_NAMES))
    if unknown and unknown[0] in RENAMED:
        raise ValueError(f"the setting {unknown[0]!r} is now called {RENAMED[unknown[0]]!r}")
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; valid settings: "
                         + ", ".join(SETTING_NAMES))
    return Settings(**settings)


def check_options(n_bootstrap=RUN_DEFAULTS["n_bootstrap"], seed=RUN_DEFAULTS["seed"],
                  unit="nat", resample_seed=None, **settings):
    """The estimator's ``Settings`` from its parameters (those of ``GMMMI`` but
    ``categorical``), with a one-line ``ValueError`` for an unknown name or a bad value."""
    checked = make_settings(settings)
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) \
            or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be an integer >= 0, got {n_bootstrap!r}")
    if n_bootstrap == 1:  # its value would stand for the estimate, outside its interval
        raise ValueError("n_bootstrap must be 0 (one fit, no interval) or at least 2 (one "
                         "resample has no spread), got 1")
    for name, value in (("seed", seed), ("resample_seed", resample_seed)):
        if value is not None or name == "seed":
            _check_int(name, value, 0)
    check_unit(unit)
    return checked


def _check(name, kind, bound, value):
    if kind == "optional int" and value is None:
        return
    if kind in ("int", "optional int"):
        _check_int(name, value, bound)
    elif kind in ("number", "fraction"):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value < bound:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if kind == "fraction" and value >= 1:
            raise ValueError(f"{name} must be below 1 (a share of the data's variance), "
                             f"got {value!r}")
    elif kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be true or false, got {value!r}")
    elif value not in bound:
        options = ", ".join(f"'{b}'" for b in bound[:-1]) + f" or '{bound[-1]}'"
        raise ValueError(f"{name} must be {options}, got {value!r}")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def schema_properties():
    """The JSON-schema properties of the settings, as the workflow's config states them."""
    def one(kind, bound):
        if kind == "int":
            return {"type": "integer", "minimum": bound}
        if kind == "optional int":
            return {"type": ["integer", "null"], "minimum": bound}
        if kind == "number":
            return {"type": "number", "minimum": bound}
        if kind == "fraction":
            return {"type": "number", "minimum": bound, "exclusiveMaximum": 1}
        if kind == "bool":
            return {"type": "boolean"}
        return {"enum": list(bound)}
    return {name: one(*rule) for name, rule in RULES.items()}
