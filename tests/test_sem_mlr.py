"""Robust maximum likelihood (MLR) against lavaan 0.6 (issue 17: MLR with and without FIML).

Reference values: ``tests/reference/lavaan_mlr.json``, written by
``tests/reference/lavaan_mlr.R`` (R 4.2.2, lavaan 0.6-14; run from the repository root). The
tests read only the JSON.

Cases: Holzinger-Swineford x1..x9, the three-factor CFA and a structural model on the same
factors (``textual ~ a*visual``, ``speed ~ b*textual``, ``ind := a*b``), each on the complete
data (``data/holzinger_swineford_1939.csv``) and by FIML on the MCAR deletions
(``tests/reference/holzinger_swineford_mcar.csv``), all with lavaan ``estimator = "MLR"``.

Tolerances are the issue's: estimates, robust standard errors and standardized estimates (and
their SEs) 1e-4 absolute; test statistics (chi-square, scaled chi-square, scaling factors,
the baseline's) 1e-3 relative; fit indices (CFI, TLI, RMSEA and its intervals, scaled and
robust, SRMR) 1e-4 absolute. Measured worst differences: estimates 2.5e-6, robust SEs 1.5e-6,
standardized estimates 1.6e-6 and their SEs 7.9e-7 (the complete-data structural model, where
lavaan's nlminb stops about 1e-6 short of the optimum; FIML against the fit converged further:
7.5e-8); test statistics 7.2e-7 relative and fit indices 4.1e-6 (FIML against lavaan's
defaults, whose EM of the saturated model stops at 1e-5; 6e-8 against the converged fit and
for complete data). FIML estimates are compared with lavaan's fit converged further (BFGS, EM
of h1 to 1e-11; see the R script), the fit measures with both that and lavaan's defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.sem import fit_sem
from workbench.sem.model import ROBUST_FIT_KEYS, SEMResult
from workbench.sem.robust_ml import (
    complete_data_information,
    fiml_corrected_scaling,
    huber_white_vcov,
    yuan_bentler_scaling,
)

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
REF = json.loads((REF_DIR / "lavaan_mlr.json").read_text(encoding="utf-8"))
CASES = ["cfa_complete", "cfa_fiml", "sem_complete", "sem_fiml"]

# our fit keys -> lavaan's fitMeasures() names
TEST_STATISTICS = {
    "chi2": "chisq",
    "chi2_scaled": "chisq.scaled",
    "scaling_factor": "chisq.scaling.factor",
    "baseline_chi2": "baseline.chisq",
    "baseline_chi2_scaled": "baseline.chisq.scaled",
    "baseline_scaling_factor": "baseline.chisq.scaling.factor",
}
FIT_INDICES = {
    "p_scaled": "pvalue.scaled",
    "cfi": "cfi",
    "tli": "tli",
    "cfi_scaled": "cfi.scaled",
    "tli_scaled": "tli.scaled",
    "cfi_robust": "cfi.robust",
    "tli_robust": "tli.robust",
    "rmsea": "rmsea",
    "rmsea_scaled": "rmsea.scaled",
    "rmsea_ci_low_scaled": "rmsea.ci.lower.scaled",
    "rmsea_ci_high_scaled": "rmsea.ci.upper.scaled",
    "rmsea_p_scaled": "rmsea.pvalue.scaled",
    "rmsea_robust": "rmsea.robust",
    "rmsea_ci_low_robust": "rmsea.ci.lower.robust",
    "rmsea_ci_high_robust": "rmsea.ci.upper.robust",
    "rmsea_p_robust": "rmsea.pvalue.robust",
    "srmr": "srmr",
}


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    return {
        "complete": pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv"),
        "fiml": pd.read_csv(REF_DIR / "holzinger_swineford_mcar.csv"),
    }


@pytest.fixture(scope="module")
def fits(datasets) -> dict[str, SEMResult]:
    out = {}
    for case in CASES:
        kind = case.split("_")[1]
        missing = "fiml" if kind == "fiml" else "listwise"
        out[case] = fit_sem(datasets[kind], REF[case]["model"], estimator="mlr", missing=missing)
    return out


def _merged(result: SEMResult, reference: dict) -> pd.DataFrame:
    """Our parameter table beside lavaan's, row by row (lhs, op, rhs)."""
    ref = pd.DataFrame(reference["estimates"])
    ours = result.estimates.copy()
    ours.loc[ours["op"] == "~1", "rhs"] = ""
    merged = ours.merge(ref, on=["lhs", "op", "rhs"], how="inner", suffixes=("", "_r"))
    assert len(merged) == len(ref) == len(ours)
    return merged


def _estimate_references(case: str) -> dict:
    """FIML: lavaan converged further (its default stops ~1e-6 short of the optimum)."""
    return REF[case].get("converged_fit", REF[case])


def _fit_references(case: str) -> list[dict]:
    """Fit measures: lavaan's defaults, and for FIML also the fit converged further."""
    ref = REF[case]
    return [ref] + ([ref["converged_fit"]] if "converged_fit" in ref else [])


def test_lavaan_uses_observed_information_and_structured_first_order_meat_for_mlr():
    # what the sandwich reproduces: lavaan 0.6-14's MLR defaults, with and without FIML
    for case in CASES:
        opts = REF[case]["options"]
        assert opts["se"] == "robust.huber.white"
        assert opts["test"] == "yuan.bentler.mplus"
        assert opts["information"] == ["observed", "observed"]
        assert opts["observed.information"] == ["hessian", "hessian"]
        assert opts["h1.information"] == ["structured", "structured"]
        assert opts["information.meat"] == "first.order"
        assert opts["h1.information.meat"] == "structured"
        assert opts["meanstructure"] is case.endswith("fiml")


@pytest.mark.parametrize("case", CASES)
def test_estimates_and_robust_standard_errors_equal_lavaan_mlr(fits, case):
    m = _merged(fits[case], _estimate_references(case))
    np.testing.assert_allclose(m["estimate"], m["est"], rtol=0, atol=1e-4)
    free = m["free"].to_numpy() & (m["se_r"].to_numpy() > 0)
    np.testing.assert_allclose(m["se"][free], m["se_r"][free], rtol=0, atol=1e-4)
    np.testing.assert_allclose(m["z"][free], m["z_r"][free], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(m["p"][free], m["pvalue"][free], rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", CASES)
def test_standardized_solution_and_its_robust_standard_errors_equal_lavaan(fits, case):
    m = _merged(fits[case], _estimate_references(case))
    np.testing.assert_allclose(m["std_all"], m["std_all_r"], rtol=0, atol=1e-4)
    has_se = m["std_se_r"].notna().to_numpy() & (m["std_se_r"].fillna(0).to_numpy() > 1e-8)
    np.testing.assert_allclose(m["std_se"][has_se], m["std_se_r"][has_se], rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", CASES)
def test_yuan_bentler_scaled_test_equals_lavaan_within_1e3_relative(fits, case):
    f = fits[case].fit
    for ref in _fit_references(case):
        for ours, theirs in TEST_STATISTICS.items():
            assert f[ours] == pytest.approx(ref["fit"][theirs], rel=1e-3), ours
        assert f["df"] == f["df_scaled"] == ref["fit"]["df"]
        assert f["scaling_factor"] == pytest.approx(ref["test"]["scaling_factor"], rel=1e-3)
        assert f["scaling_factor"] * f["df"] == pytest.approx(ref["test"]["trace_ugamma"], rel=1e-3)


@pytest.mark.parametrize("case", CASES)
def test_scaled_and_robust_fit_indices_equal_lavaan_within_1e4(fits, case):
    f = fits[case].fit
    assert set(ROBUST_FIT_KEYS) <= set(f)
    for ref in _fit_references(case):
        for ours, theirs in FIT_INDICES.items():
            assert f[ours] == pytest.approx(ref["fit"][theirs], abs=1e-4), ours


@pytest.mark.parametrize("case", ["cfa_complete", "cfa_fiml"])
def test_mlr_keeps_the_ml_estimates_and_test_and_changes_only_the_uncertainty(fits, datasets, case):
    kind = case.split("_")[1]
    ml = fit_sem(
        datasets[kind],
        REF[case]["model"],
        missing="fiml" if kind == "fiml" else "listwise",
    )
    mlr = fits[case]
    assert ml.estimator == "ml" and mlr.estimator == "mlr"
    np.testing.assert_allclose(mlr.estimates["estimate"], ml.estimates["estimate"], atol=1e-12)
    for key in ("chi2", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
        assert mlr.fit[key] == pytest.approx(ml.fit[key], rel=1e-12, abs=1e-12)
    assert not set(ROBUST_FIT_KEYS) & set(ml.fit)
    # ML keeps lavaan's normal-theory standard errors (expected information, or observed
    # under FIML); MLR's differ from them by more than the tolerance
    ref = {"estimates": pd.DataFrame(REF[case]["estimates"]).assign(ml_se=REF[case]["ml_se"])}
    m = _merged(ml, ref)
    free = m["free"].to_numpy() & (m["ml_se"].to_numpy() > 0)
    np.testing.assert_allclose(m["se"][free], m["ml_se"][free], rtol=0, atol=1e-4)
    assert np.max(np.abs(mlr.estimates["se"] - ml.estimates["se"])[ml.estimates["free"]]) > 1e-3


def test_under_normal_data_the_scaling_factor_is_near_one_and_the_sandwich_near_ml():
    # 3000 normal rows from a one-factor model: the Yuan-Bentler correction vanishes
    # asymptotically (c -> 1, sandwich -> inverse information)
    rng = np.random.default_rng(17)
    n, lam = 3000, np.array([1.0, 0.8, 0.7, 0.6])
    f = rng.standard_normal(n)
    x = f[:, None] * lam + rng.standard_normal((n, 4)) * 0.6
    data = pd.DataFrame(x, columns=["y1", "y2", "y3", "y4"])
    model = "f =~ y1 + y2 + y3 + y4"
    ml = fit_sem(data, model)
    mlr = fit_sem(data, model, estimator="mlr")
    # sampling noise of fourth moments at n = 3000 (measured: c 1.020, c_B 0.981, SE ratios
    # 0.970 to 1.005)
    assert mlr.fit["scaling_factor"] == pytest.approx(1.0, abs=0.05)
    assert mlr.fit["baseline_scaling_factor"] == pytest.approx(1.0, abs=0.05)
    ratio = mlr.estimates["se"] / ml.estimates["se"]
    assert np.all(np.abs(ratio[ml.estimates["free"]] - 1) < 0.05)
    # the same rows made skewed and heavy-tailed (exp(x/2)): the chi-square is inflated and
    # the correction is large (measured c = 2.07)
    skewed = fit_sem(np.exp(data / 2), model, estimator="mlr")
    assert skewed.fit["scaling_factor"] > 1.5
    assert skewed.fit["chi2_scaled"] < skewed.fit["chi2"] / 1.5


def test_sandwich_with_meat_equal_to_bread_is_the_inverse_information():
    a = np.array([[2.0, 0.3], [0.3, 1.0]])
    np.testing.assert_allclose(huber_white_vcov(a, a, 50), np.linalg.inv(a) / 50, rtol=1e-12)


def test_yuan_bentler_factor_is_one_when_first_order_equals_observed_information():
    # normal data in the limit: B1 = A1 and B0 = A0, so both traces count parameters
    a1 = np.diag([1.0, 2.0, 3.0, 4.0, 5.0])
    a0 = np.array([[1.5, 0.2], [0.2, 0.7]])
    test = yuan_bentler_scaling(a1, a1, a0, a0, df=3)
    assert test.trace_h1 == pytest.approx(5) and test.trace_h0 == pytest.approx(2)
    assert test.scaling_factor == pytest.approx(1.0)


def test_lavaan_upper_case_name_is_accepted_and_unknown_estimators_are_named(datasets):
    data = datasets["complete"]
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
    assert fit_sem(data, model, estimator="MLR").estimator == "mlr"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'ml', 'mlr'"):
        fit_sem(data, model, estimator="gls")


def test_mlr_with_an_observed_predictor_is_refused_with_a_hint(datasets):
    data = datasets["complete"]
    with pytest.raises(InputError, match="observed exogenous") as err:
        fit_sem(data, "visual =~ x1 + x2 + x3\nvisual ~ x4", estimator="mlr")
    assert "estimator='ml'" in str(err.value.hint)


def test_summary_reports_the_scaled_test_and_robust_indices(fits):
    text = fits["cfa_fiml"].summary()
    assert text.startswith("SEM (MLR, missing=fiml)")
    assert "Yuan-Bentler scaled chi2(24) = 65.170" in text
    json.dumps(fits["cfa_fiml"].to_dict(), allow_nan=False)


def test_complete_data_information_is_the_duplication_matrix_formula():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4))
    sigma = a @ a.T + 4 * np.eye(4)
    k = np.linalg.inv(sigma)
    rows, cols = np.tril_indices(4)
    dup = np.zeros((16, rows.size))
    dup[rows * 4 + cols, np.arange(rows.size)] = 1.0
    dup[cols * 4 + rows, np.arange(rows.size)] = 1.0
    expected = 0.5 * dup.T @ np.kron(k, k) @ dup
    info = complete_data_information(sigma, means=True)
    np.testing.assert_allclose(info[4:, 4:], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(info[:4, :4], k, rtol=1e-12)


def test_fiml_corrected_trace_equals_the_direct_matrix_product():
    # the low-rank evaluation against tr(U Wm^-1 Wc Wm^-1 U Gamma) written out
    rng = np.random.default_rng(5)

    def spd(size: int) -> np.ndarray:
        a = rng.standard_normal((size, size))
        return a @ a.T + size * np.eye(size)

    wm, jm, wc = spd(9), spd(9), spd(9)
    delta = rng.standard_normal((9, 3))
    wi = np.linalg.inv(wm)
    u = wm - wm @ delta @ np.linalg.inv(delta.T @ wm @ delta) @ delta.T @ wm
    direct = np.trace(u @ wi @ wc @ wi @ u @ (wi @ jm @ wi)) / 6
    (c,) = fiml_corrected_scaling(wm, jm, wc, [delta], [6])
    assert c == pytest.approx(direct, rel=1e-10)


def test_saturated_model_follows_lavaan_without_a_scaling_factor(datasets):
    # df = 0: lavaan has no scaling factor (NA), reports the plain statistic as the scaled one,
    # CFI/TLI scaled 1, robust CFI/TLI NA, robust RMSEA and its interval 0
    ref = REF["saturated_complete"]
    res = fit_sem(datasets["complete"], ref["model"], estimator="mlr")
    m = _merged(res, ref)
    free = m["free"].to_numpy()
    np.testing.assert_allclose(m["se"][free], m["se_r"][free], rtol=0, atol=1e-4)
    f = res.fit
    assert f["df"] == 0 and np.isnan(f["scaling_factor"])
    assert f["chi2_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], abs=1e-6)
    for ours, theirs in {**FIT_INDICES, "baseline_chi2_scaled": "baseline.chisq.scaled"}.items():
        if ref["fit"][theirs] is None:
            assert np.isnan(f[ours]), ours
        else:
            assert f[ours] == pytest.approx(ref["fit"][theirs], rel=1e-3, abs=1e-4), ours
