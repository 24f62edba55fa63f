"""Structural equation models: CFA/SEM (lavaan conventions), bootstrap, invariance, the experience-economy model.

Modules: :mod:`~workbench.sem.model`, :mod:`~workbench.sem.bootstrap`, :mod:`~workbench.sem.invariance`, :mod:`~workbench.sem.experience`, :mod:`~workbench.sem.regression`, :mod:`~workbench.sem.robust_ml` (MLR), :mod:`~workbench.sem.ordinal` (WLSMV), :mod:`~workbench.sem.ordinal_sem` (WLSMV SEM), :mod:`~workbench.sem.ordinal_stats`, :mod:`~workbench.sem.ordinal_reliability`.
"""

from __future__ import annotations

from workbench.sem.bootstrap import (
    SEMBootstrap,
    bootstrap_sem,
    indirect_effects_syntax,
)
from workbench.sem.experience import (
    DEFAULT_NESTED,
    EDUTAINMENT,
    FOUR_CORRELATED,
    OUTCOMES,
    REALMS,
    SECOND_ORDER,
    SYNONYMS,
    AbsoluteDifference,
    ResponseSurface,
    absolute_difference_index,
    compare_models,
    competing_models,
    default_structural_paths,
    full_model,
    parse_paths,
    realm_importance,
    realm_table,
    resolve_constructs,
    response_surface,
)
from workbench.sem.invariance import (
    InvarianceResult,
    measurement_invariance,
)
from workbench.sem.model import (
    SEMResult,
    ave,
    cfa_syntax,
    composite_reliability,
    fit_cfa,
    fit_sem,
    fornell_larcker,
    htmt,
    modification_indices,
    residual_correlations,
)
from workbench.sem.ordinal import OrdinalCFAResult, fit_ordinal_cfa
from workbench.sem.ordinal_invariance import OrdinalInvarianceResult, ordinal_invariance
from workbench.sem.ordinal_reliability import categorical_omega, ordinal_alpha
from workbench.sem.ordinal_sem import OrdinalSEMResult, fit_ordinal_sem, ordinal_difference_test
from workbench.sem.ordinal_stats import OrdinalSampleStats, ordinal_sample_statistics
from workbench.sem.regression import FIMLRegression, regression_fiml
from workbench.sem.robust_ml import YuanBentlerTest, robust_fit_indices, yuan_bentler_scaling

__all__ = [
    "DEFAULT_NESTED",
    "EDUTAINMENT",
    "FOUR_CORRELATED",
    "OUTCOMES",
    "REALMS",
    "SECOND_ORDER",
    "SYNONYMS",
    "AbsoluteDifference",
    "FIMLRegression",
    "InvarianceResult",
    "OrdinalCFAResult",
    "OrdinalInvarianceResult",
    "OrdinalSEMResult",
    "OrdinalSampleStats",
    "ResponseSurface",
    "SEMBootstrap",
    "SEMResult",
    "YuanBentlerTest",
    "absolute_difference_index",
    "ave",
    "bootstrap_sem",
    "categorical_omega",
    "cfa_syntax",
    "compare_models",
    "competing_models",
    "composite_reliability",
    "default_structural_paths",
    "fit_cfa",
    "fit_ordinal_cfa",
    "fit_ordinal_sem",
    "fit_sem",
    "fornell_larcker",
    "full_model",
    "htmt",
    "indirect_effects_syntax",
    "measurement_invariance",
    "modification_indices",
    "ordinal_alpha",
    "ordinal_difference_test",
    "ordinal_invariance",
    "ordinal_sample_statistics",
    "parse_paths",
    "realm_importance",
    "realm_table",
    "regression_fiml",
    "residual_correlations",
    "resolve_constructs",
    "response_surface",
    "robust_fit_indices",
    "yuan_bentler_scaling",
]
