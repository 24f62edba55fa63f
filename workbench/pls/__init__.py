"""PLS path modelling (PLS-SEM) and consistent PLS (PLSc), at parity with R seminr.

Hand-written on numpy/scipy/pandas: no maintained Python library does PLS-SEM right (``plspm``
fails on pandas 3 and offers no PLSc), so the algorithm is implemented here and tested against
seminr 2.3's own fixtures and SmartPLS's published results.

Modules: :mod:`~workbench.pls.specification` (the model, lavaan syntax),
:mod:`~workbench.pls.data` (missing data, checks), :mod:`~workbench.pls.estimation` (the PLS
algorithm, PLSc, the fast entry point for resampling), :mod:`~workbench.pls.assessment`
(reliability, HTMT, Fornell-Larcker, VIF, f², SRMR / d_ULS / d_G).

>>> from workbench.pls import specify_model
>>> specify_model("Image =~ IMAG1 + IMAG2; Loyalty =~ CUSL1 + CUSL2; Loyalty ~ Image").paths
(('Image', 'Loyalty'),)
"""

from __future__ import annotations

from workbench.pls.assessment import (
    cross_loadings,
    f_squared,
    fornell_larcker,
    htmt,
    htmt2,
    implied_correlations,
    inner_vif,
    model_fit,
    outer_vif,
    redundancy_analysis,
    reliability,
)
from workbench.pls.data import MISSING, PLSData, prepare_data, standardize
from workbench.pls.estimation import (
    ESTIMATORS,
    INNER_WEIGHTINGS,
    PLSConvergenceWarning,
    PLSCore,
    PLSPlan,
    PLSResult,
    estimate_pls,
    fit_correlation,
    fit_standardized,
)
from workbench.pls.specification import PLSModel, specify_model

__all__ = [
    "ESTIMATORS",
    "INNER_WEIGHTINGS",
    "MISSING",
    "PLSConvergenceWarning",
    "PLSCore",
    "PLSData",
    "PLSModel",
    "PLSPlan",
    "PLSResult",
    "cross_loadings",
    "estimate_pls",
    "f_squared",
    "fit_correlation",
    "fit_standardized",
    "fornell_larcker",
    "htmt",
    "htmt2",
    "implied_correlations",
    "inner_vif",
    "model_fit",
    "outer_vif",
    "prepare_data",
    "redundancy_analysis",
    "reliability",
    "specify_model",
    "standardize",
]
