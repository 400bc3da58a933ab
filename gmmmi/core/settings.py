"""The estimator's settings: each stated once, with its type, default, range and the line
the workflow's config schema gives it (tests tie the schema and ``GMMMI``'s signature to
them), checked in one place; and the random streams.

Randomness comes only from ``numpy.random.default_rng(key + stream)`` where
``key`` derives from the user's seed (and, for categorical data, the category),
so results never depend on scheduling or thread count.
"""

from dataclasses import dataclass, field, fields

import numpy as np

from .result import check_unit

(_STREAM_FOLDS, _STREAM_INITS, _STREAM_BOOTSTRAP, _STREAM_INTEGRAL, _STREAM_SUBSAMPLE,
 _STREAM_TIES) = range(6)


def _setting(default, kind, bound, text):
    """A setting: its default, what it accepts and the line the config schema gives it.

    kind: "int" (>= bound), "optional int" (None or >= bound), "number" (finite,
    >= bound), "fraction" (>= bound and < 1: reg_covar is in units of the data's variance,
    which 1 or more swamps), "bool", "choice" (one of bound), "resamples" (0 or >= 2).
    """
    return field(default=default, metadata={"kind": kind, "bound": bound, "text": text})


@dataclass(frozen=True)
class Settings:
    """Every setting of the estimator, stated once (defaults as in Piras et al. 2023):
    ``GMMMI``'s parameters but ``categorical``, ``unit`` and ``resample_seed`` (tests hold
    its signature and the workflow's config schema to these)."""

    n_inits: int = _setting(3, "int", 1, "starts per number of components")
    n_folds: int | None = _setting(None, "optional int", 2,
                                   "cross-validation folds (null: 3 below 2,000 rows, else 2)")
    selection: str = _setting("validation", "choice", ("validation", "aic", "bic"),
                              "criterion for the number of components")
    threshold_components: float = _setting(
        1e-5, "number", 0, "smallest gain of the score per sample that justifies a component")
    patience: int = _setting(2, "int", 1,
                             "numbers of components scored clearly worse before selection stops")
    max_components: int = _setting(50, "int", 1, "largest number of components tried")
    fixed_components: int | None = _setting(None, "optional int", 1,
                                            "use this number of components, no selection")
    tol: float = _setting(1e-5, "number", 0, "EM tolerance of the final fit")
    selection_tol: float = _setting(1e-4, "number", 0,
                                    "EM tolerance of the fits that choose the components")
    bootstrap_tol: float = _setting(1e-4, "number", 0, "EM tolerance of the bootstrap refits")
    accelerate: bool = _setting(True, "bool", None, "SQUAREM-accelerated EM")
    reg_covar: float = _setting(1e-6, "fraction", 0,
                                "added to covariance diagonals (a share of the variance)")
    max_iter: int = _setting(1000, "int", 1, "EM iterations per fit at most")
    integration: str = _setting("quadrature", "choice", ("quadrature", "mc"),
                                "how the MI integral is computed")
    quadrature_nodes: int = _setting(1024, "int", 1, "cubature nodes per component")
    # fewer Monte Carlo draws: the integral's own error swamps the estimate
    mc_samples: int = _setting(100_000, "int", 1000,
                               "Monte Carlo draws per mixture (integration: mc)")
    marginals: str = _setting("auto", "choice", ("auto", "rank", "standardise"),
                              "the space of the marginals")
    bootstrap_method: str = _setting("auto", "choice", ("auto", "refit", "linear"),
                                     "how each bootstrap resample gets its value")
    n_bootstrap: int = _setting(50, "resamples", 0,
                                "bootstrap resamples (0: one fit, no interval)")
    seed: int = _setting(0, "int", 0, "seed of folds, starts, resamples and integrals")

    def __post_init__(self):
        for name, (kind, bound) in RULES.items():
            _check(name, kind, bound, getattr(self, name))

    def integration_kwargs(self, key):
        return {"integration": self.integration, "quadrature_nodes": self.quadrature_nodes,
                "mc_samples": self.mc_samples,
                "rng": np.random.default_rng(list(key) + [_STREAM_INTEGRAL])}


# What each setting accepts, by name: ``Settings`` checks it, and the workflow's config
# schema says the same (``schema_properties``; a test holds the two together).
RULES = {f.name: (f.metadata["kind"], f.metadata["bound"]) for f in fields(Settings)}
SETTING_NAMES = tuple(RULES)


# Settings that were renamed: the old name is refused with the new one.
RENAMED = {"transform": "marginals"}


def make_settings(settings):
    """``Settings`` from a dict, with a one-line ``ValueError`` for an unknown name or a
    bad value."""
    unknown = sorted(set(settings) - set(SETTING_NAMES))
    if unknown and unknown[0] in RENAMED:
        raise ValueError(f"the setting {unknown[0]!r} is now called {RENAMED[unknown[0]]!r}")
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; valid settings: "
                         + ", ".join(SETTING_NAMES))
    return Settings(**settings)


def check_options(unit="nat", resample_seed=None, **settings):
    """The estimator's ``Settings`` from its parameters (those of ``GMMMI`` but
    ``categorical``), with a one-line ``ValueError`` for an unknown name or a bad value."""
    if resample_seed is not None:
        _check_int("resample_seed", resample_seed, 0)
    check_unit(unit)
    return make_settings(settings)


def _check(name, kind, bound, value):
    if kind == "optional int" and value is None:
        return
    if kind == "resamples":
        _check_int(name, value, bound)
        if value == 1:  # its value would stand for the estimate, outside its interval
            raise ValueError(f"{name} must be 0 (one fit, no interval) or at least 2 (one "
                             "resample has no spread), got 1")
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
        if kind == "resamples":
            return {"type": "integer", "minimum": bound, "not": {"const": 1},
                    "message": "must be 0 (one fit, no interval) or at least 2 (one resample "
                               "has no spread)"}
        if kind == "number":
            return {"type": "number", "minimum": bound}
        if kind == "fraction":
            return {"type": "number", "minimum": bound, "exclusiveMaximum": 1}
        if kind == "bool":
            return {"type": "boolean"}
        return {"enum": list(bound)}
    return {f.name: one(f.metadata["kind"], f.metadata["bound"])
            | {"description": f.metadata["text"]} for f in fields(Settings)}
