"""gmmmi: mutual information of learned representations with the GMM-MI estimator.

Piras et al. 2023, "A robust estimator of mutual information for deep learning
interpretability", Mach. Learn.: Sci. Technol. 4 025006.
"""

from .core.estimator import GMMMI, conditional_mi, estimate_mi, marginal_kl
from .core.mixture import Mixture
from .core.result import InformationResult, KLResult, MIResult
from .data.dataset import DatasetError, open_dataset

__version__ = "0.1.0"

# Many pairs from Python (loaded on first use: they bring xarray, Dask and the report).
_LAZY = {"mi_matrix": ("analysis.notebook", "mi_matrix"),
         "open_matrix": ("analysis.matrix", "read"),
         "pairs_table": ("analysis.matrix", "pairs"),
         "write_report": ("report.page", "write_report")}

__all__ = ["GMMMI", "DatasetError", "InformationResult", "KLResult", "MIResult", "Mixture",
           "conditional_mi", "estimate_mi", "marginal_kl", "open_dataset", "__version__",
           *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'gmmmi' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
