"""Loyalty drivers: regression families, relative importance, mediation, moderation, importance-performance.

Modules: :mod:`~workbench.drivers.regression`, :mod:`~workbench.drivers.mediation`,
:mod:`~workbench.drivers.pooling` (the analyses pooled over multiple imputations),
:mod:`~workbench.drivers.moments` (EM moments for the FIML versions).

The function ``mediation`` is not re-exported here: its name is that of its module
(``workbench.drivers.mediation``), which it would shadow.
"""

from __future__ import annotations

from workbench.drivers.mediation import (
    IPAResult,
    MediationResult,
    ModerationResult,
    SegmentComparison,
    compare_segments,
    importance_performance,
    mediation_fiml,
    moderation,
)
from workbench.drivers.pooling import (
    pool_driver_models,
    pool_mediation,
    pool_moderation,
    pool_r2,
    pool_relative_importance,
    pool_segments,
    pool_wald_test,
)
from workbench.drivers.regression import (
    DriverModel,
    RelativeImportance,
    fit_driver_model,
    relative_importance,
)

__all__ = [
    "DriverModel",
    "IPAResult",
    "MediationResult",
    "ModerationResult",
    "RelativeImportance",
    "SegmentComparison",
    "compare_segments",
    "fit_driver_model",
    "importance_performance",
    "mediation_fiml",
    "moderation",
    "pool_driver_models",
    "pool_mediation",
    "pool_moderation",
    "pool_r2",
    "pool_relative_importance",
    "pool_segments",
    "pool_wald_test",
    "relative_importance",
]
