"""PLS path modelling (PLS-SEM) and consistent PLS (PLSc), at parity with R seminr.

Hand-written on numpy/scipy/pandas: no maintained Python library does PLS-SEM right (``plspm``
fails on pandas 3 and offers no PLSc), so the algorithm is implemented here and tested against
seminr 2.3's own fixtures and SmartPLS's published results.

Modules: :mod:`~workbench.pls.specification` (the model, lavaan syntax),
:mod:`~workbench.pls.data` (missing data, checks), :mod:`~workbench.pls.estimation` (the PLS
algorithm, PLSc, the fast entry point for resampling), :mod:`~workbench.pls.assessment`
(reliability, HTMT, Fornell-Larcker, VIF, f², SRMR / d_ULS / d_G),
:mod:`~workbench.pls.bootstrap` (bootstrap SEs, t, p, percentile and BCa intervals; the generic
row-bootstrap engine), :mod:`~workbench.pls.predict` (PLSpredict and CVPAT),
:mod:`~workbench.pls.interaction` (moderation: two-stage, orthogonal, product indicators),
:mod:`~workbench.pls.higher_order` (higher-order constructs: two-stage, repeated indicators),
:mod:`~workbench.pls.ipma` (importance-performance maps), :mod:`~workbench.pls.groups` (MICOM
and multigroup analysis).

>>> from workbench.pls import specify_model
>>> specify_model("Image =~ IMAG1 + IMAG2; Loyalty =~ CUSL1 + CUSL2; Loyalty ~ Image").paths
(('Image', 'Loyalty'),)
"""

from __future__ import annotations

from workbench.pls.assessment import (
    check_redundancy,
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
from workbench.pls.bootstrap import (
    SIGN_CHANGES,
    PLSBootstrap,
    ResampleFailure,
    RowBootstrap,
    bca_interval,
    block_generator,
    bootstrap_pls,
    bootstrap_rows,
    summarize_draws,
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
from workbench.pls.groups import (
    GroupComparison,
    MGAResult,
    MICOMResult,
    compare_groups,
    micom,
    multigroup_analysis,
)
from workbench.pls.higher_order import (
    HOC_METHODS,
    HigherOrderModel,
    HigherOrderProcedure,
    HigherOrderResult,
    estimate_higher_order,
    specify_higher_order_model,
)
from workbench.pls.interaction import (
    INTERACTION_METHODS,
    InteractionModel,
    InteractionProcedure,
    InteractionResult,
    estimate_interaction,
    specify_interaction_model,
)
from workbench.pls.ipma import IPMAResult, ipma
from workbench.pls.predict import (
    LM_PREDICTORS,
    TECHNIQUES,
    CVPATResult,
    FoldFit,
    PLSPredictResult,
    cvpat,
    predict_pls,
)
from workbench.pls.specification import PLSModel, specify_model

__all__ = [
    "ESTIMATORS",
    "HOC_METHODS",
    "INNER_WEIGHTINGS",
    "INTERACTION_METHODS",
    "LM_PREDICTORS",
    "MISSING",
    "SIGN_CHANGES",
    "TECHNIQUES",
    "CVPATResult",
    "FoldFit",
    "GroupComparison",
    "HigherOrderModel",
    "HigherOrderProcedure",
    "HigherOrderResult",
    "IPMAResult",
    "InteractionModel",
    "InteractionProcedure",
    "InteractionResult",
    "MGAResult",
    "MICOMResult",
    "PLSBootstrap",
    "PLSConvergenceWarning",
    "PLSCore",
    "PLSData",
    "PLSModel",
    "PLSPlan",
    "PLSPredictResult",
    "PLSResult",
    "ResampleFailure",
    "RowBootstrap",
    "bca_interval",
    "block_generator",
    "bootstrap_pls",
    "bootstrap_rows",
    "check_redundancy",
    "compare_groups",
    "cross_loadings",
    "cvpat",
    "estimate_higher_order",
    "estimate_interaction",
    "estimate_pls",
    "f_squared",
    "fit_correlation",
    "fit_standardized",
    "fornell_larcker",
    "htmt",
    "htmt2",
    "implied_correlations",
    "inner_vif",
    "ipma",
    "micom",
    "model_fit",
    "multigroup_analysis",
    "outer_vif",
    "predict_pls",
    "prepare_data",
    "redundancy_analysis",
    "reliability",
    "specify_higher_order_model",
    "specify_interaction_model",
    "specify_model",
    "standardize",
    "summarize_draws",
]
