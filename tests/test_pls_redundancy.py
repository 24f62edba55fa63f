"""Redundancy analysis of formative constructs (Chin 1998; Hair et al. 2022, ch. 5).

Property: with the formative construct in Mode B and the global item as a single-item
construct, the Mode B weights are the OLS weights of the global item on the construct's items,
so the path equals the multiple correlation of that regression.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from workbench.errors import InputError
from workbench.pls import estimate_pls, redundancy_analysis

MODEL = (
    "quality <~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8\n"
    "competence =~ comp_1 + comp_2 + comp_3\ncompetence ~ quality"
)


@pytest.fixture(scope="module")
def corp(corp_rep_survey):
    return corp_rep_survey.frame


def test_the_redundancy_path_is_the_multiple_correlation_with_the_global_item(corp):
    fit = estimate_pls(corp, MODEL, missing="listwise")
    got = redundancy_analysis(fit, corp, "quality", "qual_global")
    items = [f"qual_{i}" for i in range(1, 9)]
    rows = corp[[*items, "qual_global"]].dropna()
    ols = sm.OLS(rows["qual_global"], sm.add_constant(rows[items])).fit()
    assert got["path"] == pytest.approx(np.sqrt(ols.rsquared), abs=1e-9)
    assert got["r2"] == pytest.approx(ols.rsquared, abs=1e-9)
    assert got["n"] == len(rows)


def test_redundancy_analysis_needs_a_formative_construct_and_a_real_column(corp):
    fit = estimate_pls(corp, MODEL)
    with pytest.raises(InputError, match="'competence' is not one"):
        redundancy_analysis(fit, corp, "competence", "qual_global")
    with pytest.raises(InputError, match=r"'qual_globl'.*not a column"):
        redundancy_analysis(fit, corp, "quality", "qual_globl")
