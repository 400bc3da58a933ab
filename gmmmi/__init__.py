"""gmmmi: mutual information of learned representations with the GMM-MI estimator.

Piras et al. 2023, "A robust estimator of mutual information for deep learning
interpretability", Mach. Learn.: Sci. Technol. 4 025006.
"""

__version__ = "0.1.0"

# Loaded on first use, so that a workflow step imports only what it needs (a chunk whose
# pairs all come from the cache should cost well under a second).
_LAZY = {"GMMMI": ("core.estimator", "GMMMI"),
         "conditional_mi": ("core.functions", "conditional_mi"),
         "estimate_mi": ("core.functions", "estimate_mi"),
         "marginal_kl": ("core.functions", "marginal_kl"),
         "Mixture": ("core.mixture", "Mixture"),
         "InformationResult": ("core.result", "InformationResult"),
         "KLResult": ("core.result", "KLResult"),
         "MIResult": ("core.result", "MIResult"),
         "DatasetError": ("data.dataset", "DatasetError"),
         "open_dataset": ("data.store", "open_dataset"),
         # many pairs from Python (xarray, Dask and the report)
         "mi_matrix": ("analysis.notebook", "mi_matrix"),
         "open_matrix": ("analysis.matrix", "read"),
         "compare": ("comparison", "compare"),
         "pairs_table": ("analysis.matrix", "pairs"),
         "write_report": ("report.page", "write_report"),
         # scikit-learn's feature selection, with gmmmi's estimates
         "mutual_info_classif": ("feature_selection", "mutual_info_classif"),
         "mutual_info_regression": ("feature_selection", "mutual_info_regression")}

__all__ = ["GMMMI", "DatasetError", "InformationResult", "KLResult", "MIResult", "Mixture",
           "__version__", "compare", "conditional_mi", "estimate_mi", "marginal_kl", "mi_matrix",
           "mutual_info_classif", "mutual_info_regression", "open_dataset", "open_matrix",
           "pairs_table", "write_report"]


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'gmmmi' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
