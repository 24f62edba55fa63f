"""Intake: codebooks, data files into frames, screening of the answers.

Modules: :mod:`~workbench.intake.codebook`, :mod:`~workbench.intake.data`, :mod:`~workbench.intake.screening`,
:mod:`~workbench.intake.missingness`,
:mod:`~workbench.intake.imputation`.
"""

from __future__ import annotations

from workbench.intake.codebook import (
    Codebook,
    Construct,
    Scale,
    load_codebook,
)
from workbench.intake.data import (
    SurveyData,
    Table,
    complete_cases,
    csv_delimiter,
    file_sha256,
    ids_as_text,
    load_survey,
    read_table,
    require_respondents,
)
from workbench.intake.imputation import (
    IMPUTATION_METHODS,
    ImputationSummary,
    PooledEstimates,
    impute_chained,
    impute_pmm,
    pool_estimates,
    pool_fits,
)
from workbench.intake.missingness import (
    EMConvergenceWarning,
    EMMoments,
    LittleMCARTest,
    MissingDiagnosis,
    diagnose_missing,
    estimate_em_moments,
    little_mcar_test,
)
from workbench.intake.screening import (
    ScreeningResult,
    screen_items,
)

__all__ = [
    "IMPUTATION_METHODS",
    "Codebook",
    "Construct",
    "EMConvergenceWarning",
    "EMMoments",
    "ImputationSummary",
    "LittleMCARTest",
    "MissingDiagnosis",
    "PooledEstimates",
    "Scale",
    "ScreeningResult",
    "SurveyData",
    "Table",
    "complete_cases",
    "csv_delimiter",
    "diagnose_missing",
    "estimate_em_moments",
    "file_sha256",
    "ids_as_text",
    "impute_chained",
    "impute_pmm",
    "little_mcar_test",
    "load_codebook",
    "load_survey",
    "pool_estimates",
    "pool_fits",
    "read_table",
    "require_respondents",
    "screen_items",
]
