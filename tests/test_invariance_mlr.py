"""Measurement invariance under robust ML (MLR) against lavaan 0.6-14.

Reference values: ``tests/reference/lavaan_mlr_invariance.json``, written by
``tests/reference/lavaan_mlr_invariance.R`` (run from the repository root); the tests read only
the JSON. Calls: ``cfa(model, data, group = "school", group.equal = ..., estimator = "MLR")``
for configural, metric (loadings) and scalar (loadings, intercepts) on Holzinger-Swineford
x1..x9 (three factors), on the complete data and with ``missing = "ml"`` (FIML) on the MCAR file
(``holzinger_swineford_mcar.csv``, row-aligned with ``data/holzinger_swineford_1939.csv`` whose
``school`` column is joined by row), and ``lavTestLRT(configural, metric, scalar)``, whose
default for MLR is the Satorra-Bentler (2001) scaled difference.

Tolerances (the brief's): estimates and robust SEs 1e-4 absolute, test statistics (and the
scaled differences) 1e-3 relative, fit indices 1e-4 absolute. Measured worst differences:
complete data, estimates 1.6e-5 and SEs 1.9e-5 (lavaan's nlminb stops ~1e-6 short in the
gradient), statistics 9e-7 relative, scaled differences 7e-6 relative, indices 2e-7; FIML with
lavaan's defaults, estimates 7.6e-6, SEs 8.8e-6, statistics 9e-7, indices 1.3e-6; FIML against
lavaan converged further (BFGS, reltol 1e-16, em.h1.tol 1e-11), estimates 9e-8, SEs 3e-8,
statistics 1e-7 relative, indices 2e-8.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.sem.invariance import (
    ROBUST_TABLE_COLUMNS,
    InvarianceResult,
    measurement_invariance,
)
from workbench.sem.robust_ml import (
    YuanBentlerTest,
    robust_fit_indices,
    satorra_bentler_2001_difference,
)

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "lavaan_mlr_invariance.json").read_text())
HS_CONSTRUCTS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
LEVELS = ("configural", "metric", "scalar")
# lavaan fitMeasures name -> our table column
STATISTICS = {
    "chisq": "chi2",
    "chisq.scaled": "chi2_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "baseline.chisq.scaled": "baseline_chi2_scaled",
    "baseline.chisq.scaling.factor": "baseline_scaling_factor",
}
INDICES = {
    "pvalue.scaled": "p_scaled",
    "cfi.scaled": "cfi_scaled",
    "tli.scaled": "tli_scaled",
    "rmsea.scaled": "rmsea_scaled",
    "rmsea.ci.lower.scaled": "rmsea_ci_low_scaled",
    "rmsea.ci.upper.scaled": "rmsea_ci_high_scaled",
    "cfi.robust": "cfi_robust",
    "tli.robust": "tli_robust",
    "rmsea.robust": "rmsea_robust",
    "rmsea.ci.lower.robust": "rmsea_ci_low_robust",
    "rmsea.ci.upper.robust": "rmsea_ci_high_robust",
    "cfi": "cfi",
    "rmsea": "rmsea",
    "srmr": "srmr",
}
CASES = ("complete", "fiml", "fiml_converged")


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    complete = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")
    mcar = pd.read_csv(ROOT / "tests" / "reference" / "holzinger_swineford_mcar.csv")
    assert len(mcar) == len(complete)
    seen = mcar.notna().to_numpy()
    items = list(mcar.columns)
    assert np.allclose(mcar.to_numpy()[seen], complete[items].to_numpy()[seen], atol=1e-12)
    return {"complete": complete, "mcar": mcar.assign(school=complete["school"])}


@pytest.fixture(scope="module")
def results(datasets) -> dict[str, InvarianceResult]:
    complete = measurement_invariance(
        datasets["complete"], HS_CONSTRUCTS, "school", estimator="mlr"
    )
    fiml = measurement_invariance(
        datasets["mcar"], HS_CONSTRUCTS, "school", missing="fiml", estimator="mlr"
    )
    return {"complete": complete, "fiml": fiml, "fiml_converged": fiml}


def _merged(result: InvarianceResult, case: str, level: str) -> pd.DataFrame:
    ref = pd.DataFrame(REF[case][level]["estimates"])
    ref["rhs"] = ref["rhs"].fillna("")
    ours = result.estimates_for(level)
    merged = ours.merge(ref, on=["group", "lhs", "op", "rhs"], how="inner")
    assert len(merged) == len(ours) == len(ref)
    return merged


def test_reference_is_lavaan_mlr_with_observed_bread_and_satorra_bentler_2001():
    for case in CASES:
        opt = REF[case]["options"]
        assert opt["se"] == "robust.huber.white"
        assert opt["test"] == "yuan.bentler.mplus"
        assert opt["information"][0] == "observed"
        assert opt["observed.information"][0] == "hessian"
        assert opt["information.meat"] == "first.order"
        assert opt["h1.information.meat"] == "structured"
        assert opt["meanstructure"] is True  # groups imply a mean structure
        assert "satorra.bentler.2001" in REF[case]["lrt"]["method"]
        assert REF[case]["group_levels"] == ["Pasteur", "Grant-White"]
    assert REF["versions"]["lavaan"].startswith("0.6")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("level", LEVELS)
def test_estimates_and_robust_standard_errors_equal_lavaan_mlr(results, case, level):
    merged = _merged(results[case], case, level)
    free = merged[merged["free"]]
    assert np.max(np.abs(merged["estimate"] - merged["est"])) < 1e-4
    assert np.max(np.abs(free["se_x"] - free["se_y"])) < 1e-4
    fixed = merged[~merged["free"]]
    assert np.allclose(fixed["se_y"], 0.0)  # lavaan's SE of a fixed parameter


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("level", LEVELS)
def test_yuan_bentler_scaled_test_equals_lavaan_within_1e3_relative(results, case, level):
    ref = REF[case][level]["fit"]
    row = results[case].table.loc[level]
    for theirs, ours in STATISTICS.items():
        assert row[ours] == pytest.approx(ref[theirs], rel=1e-3), ours
    assert int(row["df_scaled"]) == int(ref["df.scaled"]) == int(row["df"])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("level", LEVELS)
def test_scaled_and_robust_fit_indices_equal_lavaan_within_1e4(results, case, level):
    ref = REF[case][level]["fit"]
    row = results[case].table.loc[level]
    for theirs, ours in INDICES.items():
        assert abs(row[ours] - ref[theirs]) < 1e-4, ours


@pytest.mark.parametrize("case", CASES)
def test_scaled_difference_tests_equal_lavtestlrt_satorra_bentler_2001(results, case):
    table = results[case].table
    lrt = {row["model"].split("$")[-1]: row for row in REF[case]["lrt"]["table"]}
    assert np.isnan(table.loc["configural", "delta_chi2_scaled"])
    for level in ("metric", "scalar"):
        assert table.loc[level, "delta_chi2_scaled"] == pytest.approx(
            lrt[level]["chisq_diff"], rel=1e-3
        )
        assert int(table.loc[level, "delta_df"]) == lrt[level]["df_diff"]
        assert abs(table.loc[level, "delta_p_scaled"] - lrt[level]["p"]) < 1e-4
        assert table.loc[level, "delta_scaling_factor"] == pytest.approx(
            REF[case]["lrt"]["scaling_factor"][level], rel=1e-3
        )


def test_mlr_keeps_the_ml_estimates_and_normal_theory_fit(datasets, results):
    ml = measurement_invariance(datasets["complete"], HS_CONSTRUCTS, "school")
    mlr = results["complete"]
    shared = ["chi2", "df", "p", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "npar"]
    pd.testing.assert_frame_equal(ml.table[shared], mlr.table[shared], rtol=1e-10, atol=1e-12)
    assert np.allclose(ml.estimates["estimate"], mlr.estimates["estimate"], atol=1e-12)
    # the uncertainty does change: robust SEs differ from the expected-information ones
    free = ml.estimates["free"]
    assert not np.allclose(ml.estimates.loc[free, "se"], mlr.estimates.loc[free, "se"], atol=1e-3)
    assert list(ml.table.columns) + ROBUST_TABLE_COLUMNS == list(mlr.table.columns)
    assert not set(ROBUST_TABLE_COLUMNS) & set(ml.table.columns)


def test_verdicts_under_mlr_judge_the_robust_indices(results):
    res = results["complete"]
    table = res.table
    assert table.loc["metric", "delta_cfi_robust"] == pytest.approx(
        table.loc["metric", "cfi_robust"] - table.loc["configural", "cfi_robust"]
    )
    assert "(robust)" in res.verdicts["metric"] and "Satorra-Bentler" in res.verdicts["metric"]
    # scalar: the robust CFI drops by 0.039 (past -0.010) while the robust RMSEA rises by
    # 0.0145 (short of 0.015): 'doubtful', so metric is the highest level that holds
    d_cfi = (
        REF["complete"]["scalar"]["fit"]["cfi.robust"]
        - REF["complete"]["metric"]["fit"]["cfi.robust"]
    )
    assert d_cfi < -0.01
    assert res.highest_level == "metric"
    assert res.estimator == "mlr"


def test_to_dict_and_summary_carry_the_robust_columns(results):
    res = results["fiml"]
    out = res.to_dict()
    assert set(ROBUST_TABLE_COLUMNS) <= set(out["scalar"])
    assert out["scalar"]["df_scaled"] == 60
    assert out["configural"]["delta_chi2_scaled"] is None
    text = res.summary()
    assert "MLR" in text and "FIML" in text and "chi2_scaled" in text


def test_upper_case_estimator_name_and_unknown_estimator(datasets):
    res = measurement_invariance(
        datasets["complete"], HS_CONSTRUCTS, "school", levels=["configural"], estimator="MLR"
    )
    assert res.estimator == "mlr"
    with pytest.raises(ValueError, match="'ml', 'mlr'"):
        measurement_invariance(
            datasets["complete"],
            HS_CONSTRUCTS,
            "school",
            estimator="wlsmv",  # type: ignore[arg-type]
        )


def test_satorra_bentler_2001_formula_and_lavaan_edge_cases():
    # cd = (60 * 1.1 - 54 * 1.2) / 6 = 0.2; T = (130 - 100) / 0.2
    t = satorra_bentler_2001_difference(130.0, 60, 1.1, 100.0, 54, 1.2)
    assert (t.scaling_factor, t.chi2, t.df) == (pytest.approx(0.2), pytest.approx(150.0), 6)
    assert t.method == "satorra.bentler.2001"
    # negative cd: lavaan warns and reports NA for the statistic and p
    neg = satorra_bentler_2001_difference(130.0, 60, 0.9, 100.0, 54, 1.2)
    assert math.isnan(neg.chi2) and math.isnan(neg.p) and math.isnan(neg.scaling_factor)
    zero = satorra_bentler_2001_difference(130.0, 60, 1.125, 100.0, 54, 1.25)  # cd = 0
    assert math.isnan(zero.chi2) and math.isnan(zero.p)
    # a saturated free model (df 0) counts with c1 = 1
    sat = satorra_bentler_2001_difference(10.0, 2, 1.5, 0.0, 0, math.nan)
    assert sat.scaling_factor == pytest.approx(1.5) and sat.chi2 == pytest.approx(10.0 / 1.5)
    # equal df: the plain difference, no scaling factor
    same = satorra_bentler_2001_difference(10.0, 5, 1.2, 8.0, 5, 1.1)
    assert same.chi2 == pytest.approx(2.0) and math.isnan(same.scaling_factor)


def test_multigroup_rmsea_is_sqrt_g_times_the_single_group_formula():
    test = YuanBentlerTest(1.2, 1.2 * 40, 0.0, 0.0)
    base = YuanBentlerTest(1.1, 1.1 * 72, 0.0, 0.0)
    one = robust_fit_indices(120.0, 40, 900.0, 72, 400, test, base)
    two = robust_fit_indices(120.0, 40, 900.0, 72, 400, test, base, n_groups=2)
    for key in ("rmsea_scaled", "rmsea_robust", "rmsea_ci_low_robust", "rmsea_ci_high_scaled"):
        assert two[key] == pytest.approx(math.sqrt(2) * one[key], rel=1e-12)
    for key in ("cfi_robust", "tli_scaled", "chi2_scaled"):
        assert two[key] == one[key]
    assert two["rmsea_p_robust"] < one["rmsea_p_robust"]  # smaller noncentrality under H0


def test_runs_within_seconds(datasets):
    start = time.perf_counter()
    measurement_invariance(
        datasets["mcar"], HS_CONSTRUCTS, "school", missing="fiml", estimator="mlr"
    )
    assert time.perf_counter() - start < 10
