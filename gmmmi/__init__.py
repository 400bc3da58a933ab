"""gmmmi: mutual information of learned representations with the GMM-MI estimator.

Piras et al. 2023, "A robust estimator of mutual information for deep learning
interpretability", Mach. Learn.: Sci. Technol. 4 025006.
"""

from .core.estimator import GMMMI, conditional_mi, estimate_mi, marginal_kl
from .core.mixture import Mixture
from .core.result import InformationResult, KLResult, MIResult
from .data.dataset import DatasetError, open_dataset

__version__ = "0.1.0"

__all__ = ["GMMMI", "DatasetError", "InformationResult", "KLResult", "MIResult", "Mixture",
           "conditional_mi", "estimate_mi", "marginal_kl", "open_dataset", "__version__"]
