"""Result objects returned by the estimators."""

import json
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import status

UNITS = {"nat": 1.0, "bit": 1.0 / math.log(2.0)}
_LABELS = {"mi": "MI", "conditional_mi": "CMI", "kl": "KL"}


def check_unit(unit):
    if unit not in UNITS:
        raise ValueError(f"unit must be 'nat' or 'bit', got {unit!r}")
    return unit


class _Details(dict):
    """A result's ``details``; ``details["transform"]``, the old name of
    ``details["marginals"]``, still reads it, with a warning that gives the new one."""

    def __missing__(self, key):
        if key == "transform" and "marginals" in self:
            warnings.warn('details["transform"] is now details["marginals"]', FutureWarning,
                          stacklevel=2)
            return self["marginals"]
        raise KeyError(key)

    def get(self, key, default=None):
        return self[key] if key in self or key == "transform" and "marginals" in self \
            else default


@dataclass(frozen=True)
class InformationResult:
    """An information quantity with its bootstrap uncertainty.

    Attributes
    ----------
    value : float
        Mean over the bootstrap fits (the single fit's value when n_bootstrap=0).
    std : float
        Standard deviation over the bootstrap fits (NaN when n_bootstrap=0).
    bootstrap : ndarray
        The value from each bootstrap fit.
    n_components : int
        Components of the selected mixture (for categorical data: the largest
        over the categories; see ``details``).
    status : str
        "ok", or the reason the value is NaN/zero or should be doubted: "constant",
        "too-few-samples", "category-too-small", "few-distinct-values",
        "max-components", "under-resolved"; each is explained in :mod:`gmmmi.status`.
    unit : str
        "nat" or "bit".
    quantity : str
        "mi", "conditional_mi" or "kl".
    n_samples : int
        Samples used (after dropping non-finite rows and copies of earlier rows).
    n_dropped : int
        Rows dropped because a value was NaN or infinite (or a label missing), or because
        they copy an earlier row (oversampled data: ``details["repeated_rows"]``).
    message : str
        A sentence explaining a status other than "ok", or a note on an "ok" one (a
        category or copies of rows left out); empty otherwise.
    settings : dict
        Every estimator setting used, with the seed.
    details : dict
        Extra facts: the space of the marginals of the fit (``"marginals"``, as
        ``GMMMI.marginals_``: "rank", "standardise", "t3",
        "t2", "atoms" for a pair split at its atoms, "table" for two variables of few
        values), each variable's share of tied values (``"tied"``), the chain rule's
        terms (``"atoms"``), which variable was taken as categories for having few
        distinct values (``"categorical"``), the number of components per category, and
        what widened the interval.
    low, high : float
        The reported 95% interval (see ``interval``).

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> r = gmmmi.estimate_mi(xy[:, 0], xy[:, 1], n_bootstrap=10)
    >>> isinstance(r, gmmmi.InformationResult), r.status, r.n_components
    (True, 'ok', 1)
    >>> sorted(r.to_dict())[:4]
    ['bootstrap', 'details', 'high', 'low']
    """

    value: float
    std: float
    bootstrap: np.ndarray
    n_components: int
    status: str
    unit: str
    quantity: str = "mi"
    n_samples: int = 0
    n_dropped: int = 0
    message: str = ""
    settings: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    low: float = math.nan
    high: float = math.nan

    def __post_init__(self):
        object.__setattr__(self, "details", _Details(self.details))

    @property
    def interval(self):
        """(low, high): the 95% interval, bootstrap percentiles widened to reach the value
        under every number of components the held-out data cannot tell from the chosen
        one.  ``std`` is at least its half width / 1.96."""
        return (self.low, self.high)

    def to_dict(self):
        """A JSON-serialisable dictionary (NaN becomes None)."""
        def clean(v):
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v
        return {
            "quantity": self.quantity,
            "value": clean(float(self.value)),
            "std": clean(float(self.std)),
            "low": clean(float(self.low)),
            "high": clean(float(self.high)),
            "unit": self.unit,
            "n_components": int(self.n_components),
            "status": self.status,
            "message": self.message,
            "n_samples": int(self.n_samples),
            "n_dropped": int(self.n_dropped),
            "bootstrap": [clean(float(v)) for v in np.asarray(self.bootstrap)],
            "settings": self.settings,
            "details": self.details,
        }

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self):
        label = _LABELS[self.quantity]
        n_boot = len(self.bootstrap)
        if math.isnan(self.value):
            text = f"{label} = nan {self.unit}"
        elif n_boot:
            d = _decimals(self.std)
            text = (f"{label} = {self.value:.{d}f} ± {self.std:.{d}f} {self.unit}, "
                    f"95% {self.low:.{d}f} to {self.high:.{d}f}")
        else:
            text = f"{label} = {self.value:.3f} {self.unit}"
        dropped = f", {self.n_dropped} rows dropped" if self.n_dropped else ""
        text += (f" (K={self.n_components}, {n_boot} bootstrap{'s' if n_boot != 1 else ''}"
                 f"{dropped})")
        if self.status != status.OK:
            text += f" [{self.status}: {self.message}]"
        elif self.message:  # an ok estimate with a note (a category left out)
            text += f" [{self.message}]"
        return text


def _decimals(std):
    """Decimals that show ``std`` with two significant digits (at least 3)."""
    if not math.isfinite(std) or std >= 0.001:
        return 3
    return min(12, 1 - math.floor(math.log10(std))) if std > 0 else 3


class MIResult(InformationResult):
    """Mutual information (or conditional MI) with its bootstrap uncertainty.

    ``mi`` is the same number as ``value``.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> r = gmmmi.estimate_mi(xy[:, 0], xy[:, 1], n_bootstrap=10, unit="bit")
    >>> type(r).__name__, r.unit, r.n_samples, len(r.bootstrap)
    ('MIResult', 'bit', 2000, 10)
    """

    @property
    def mi(self):
        return self.value


class KLResult(InformationResult):
    """KL divergence between two marginals; ``kl`` is the same number as ``value``.

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> r = gmmmi.marginal_kl(rng.normal(0, 1, 1000), rng.normal(0, 2, 1000), n_bootstrap=0)
    >>> type(r).__name__, r.quantity
    ('KLResult', 'kl')
    """

    @property
    def kl(self):
        return self.value
