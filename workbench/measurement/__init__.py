"""Measurement: exploratory factor analysis, polychoric correlations, scale reliability.

Modules: :mod:`~workbench.measurement.factors`, :mod:`~workbench.measurement.polychoric`, :mod:`~workbench.measurement.scales`.

The function ``polychoric`` is not re-exported here: its name is that of its module
(``workbench.measurement.polychoric``), which it would shadow.
"""

from __future__ import annotations

from workbench.measurement.factors import (
    BartlettResult,
    EFAFit,
    EFAResult,
    FactorFit,
    ItemCorrelations,
    KMOResult,
    MAPResult,
    ParallelAnalysisResult,
    bartlett_sphericity,
    efa,
    item_correlations,
    kaiser_count,
    kmo,
    map_test,
    parallel_analysis,
)
from workbench.measurement.polychoric import (
    PolychoricPair,
    PolychoricResult,
    bivariate_normal_cdf,
    polychoric_matrix,
)
from workbench.measurement.scales import (
    AlphaResult,
    OmegaResult,
    ReliabilityResult,
    cronbach_alpha,
    item_total_statistics,
    omega_total,
    reliability,
    score_scales,
)

__all__ = [
    "AlphaResult",
    "BartlettResult",
    "EFAFit",
    "EFAResult",
    "FactorFit",
    "ItemCorrelations",
    "KMOResult",
    "MAPResult",
    "OmegaResult",
    "ParallelAnalysisResult",
    "PolychoricPair",
    "PolychoricResult",
    "ReliabilityResult",
    "bartlett_sphericity",
    "bivariate_normal_cdf",
    "cronbach_alpha",
    "efa",
    "item_correlations",
    "item_total_statistics",
    "kaiser_count",
    "kmo",
    "map_test",
    "omega_total",
    "parallel_analysis",
    "polychoric_matrix",
    "reliability",
    "score_scales",
]
