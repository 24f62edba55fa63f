"""Loyalty drivers: regression families, relative importance, mediation, moderation, importance-performance.

Modules: :mod:`~workbench.drivers.regression`, :mod:`~workbench.drivers.mediation`.

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
    moderation,
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
    "moderation",
    "relative_importance",
]
