"""Regression by FIML against lavaan and semTools (issue 16, item 3: regression drivers).

Reference values: ``tests/reference/r_fiml_regression.json``, written by
``tests/reference/r_fiml_regression.R`` (R 4.2.2, lavaan 0.6-14, semTools 0.5-6; run from the
repository root). The tests read only the JSON.

Cases, on lavaan's HolzingerSwineford1939 (``data/holzinger_swineford_1939.csv``) and the
same with values deleted at random depending on x1, x4 and x7
(``tests/reference/holzinger_swineford_mar.csv``):
``mar``: ``x9 ~ x1 + x4 + x7`` (only x9 is incomplete); ``mar_auxiliary``: the same with the
auxiliary variables x8 and x6; ``mar_incomplete_predictors``: ``x9 ~ x2 + x5 + x7`` with
auxiliary x3 and x8 (outcome, predictors and auxiliary variables incomplete); ``complete``:
``x9 ~ x1 + x4 + x7`` on the complete data, with ``lm()`` and lavaan's complete-data ML fit.
lavaan: ``sem(model, data, missing = "ml", fixed.x = FALSE)``, or
``semTools::sem.auxiliary(model, data, aux = ..., fixed.x = FALSE)``; its defaults for
``missing = "ml"`` are ``information = "observed"``, ``observed.information = "hessian"``.

Tolerances: the brief asks for estimates within 1e-6 and standard errors within 1e-4
(relative). lavaan's default nlminb stops with a largest gradient element of about 4e-6,
which leaves its estimates up to 1.7e-5 (slopes) and 3.1e-5 (standardized) short of the
optimum, because the intercept and the slopes are strongly correlated; the JSON therefore
also holds lavaan's fit carried to the optimum by Newton steps on lavaan's own gradient and
Hessian ("converged_fit", see the R script). Against that fit we assert estimates,
standardized estimates, R2 and logl to 1e-9 absolute (measured at most 1e-13) and standard
errors to 1e-8 relative (measured 2.1e-10); against lavaan's default stopping point,
estimates to 5e-5 and standard errors to 1e-4 relative (measured 3.1e-5 and 9.3e-6).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.sem import FIMLRegression, regression_fiml
from workbench.sem.model import (
    _fiml_loglik,
    _missing_patterns,
    _pattern_moments,
    _saturated_information,
    _vech_gradient,
    _vech_pairs,
)

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
REF = json.loads((REF_DIR / "r_fiml_regression.json").read_text(encoding="utf-8"))
CASES = ["mar", "mar_auxiliary", "mar_incomplete_predictors", "complete"]


@pytest.fixture(scope="module")
def mar() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "holzinger_swineford_mar.csv")


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def fits(mar, hs) -> dict[str, FIMLRegression]:
    out = {}
    for case in CASES:
        ref = REF[case]
        data = hs if case == "complete" else mar
        out[case] = regression_fiml(
            data, ref["outcome"], ref["predictors"], auxiliary=ref["auxiliary"] or ()
        )
    return out


def _lavaan_table(case: str, fit: dict) -> pd.DataFrame:
    """lavaan's intercept and slopes of the outcome, in our term order."""
    ref = REF[case]
    est = pd.DataFrame(fit["estimates"])
    intercept = est[(est["op"] == "~1") & (est["lhs"] == ref["outcome"])]
    slopes = est[est["op"] == "~"].set_index("rhs").loc[ref["predictors"]]
    table = pd.concat([intercept, slopes.reset_index()], ignore_index=True)
    table.index = pd.Index(["Intercept", *ref["predictors"]], name="term")
    return table


# ------------------------------------------------------------------------------ lavaan


def test_lavaan_reference_used_the_observed_information_with_free_predictors():
    # what the standard errors are matched to: lavaan 0.6's defaults for missing = "ml"
    for case in CASES:
        options = REF[case]["options"]
        assert options["information"][0] == "observed"
        assert options["observed.information"][0] == "hessian"
        assert options["fixed.x"] is False and options["missing"] == "ml"


@pytest.mark.parametrize("case", CASES)
def test_estimates_and_standard_errors_equal_lavaan_at_the_optimum(fits, case):
    ours = fits[case].table
    theirs = _lavaan_table(case, REF[case]["converged_fit"])
    np.testing.assert_allclose(ours["b"], theirs["est"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["beta"], theirs["std_all"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["se"], theirs["se"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["z"], theirs["z"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["p"], theirs["pvalue"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours["ci_low"], theirs["ci_lower"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours["ci_high"], theirs["ci_upper"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_estimates_are_within_lavaan_default_convergence(fits, case):
    ours = fits[case].table
    theirs = _lavaan_table(case, REF[case])
    np.testing.assert_allclose(ours["b"], theirs["est"], rtol=0, atol=5e-5)
    np.testing.assert_allclose(ours["beta"], theirs["std_all"], rtol=0, atol=5e-5)
    np.testing.assert_allclose(ours["se"], theirs["se"], rtol=1e-4, atol=0)


@pytest.mark.parametrize("case", CASES)
def test_r_squared_loglik_and_row_counts_equal_lavaan(fits, case):
    ref = REF[case]
    res = fits[case]
    assert res.r_squared == pytest.approx(ref["converged_fit"]["r2"][ref["outcome"]], abs=1e-9)
    # logl includes the auxiliary variables (the saturated correlates are in lavaan's model)
    assert res.loglik == pytest.approx(ref["converged_fit"]["fit"]["logl"], abs=1e-8)
    assert res.n == ref["fit"]["ntotal"] == ref["n_any"]
    assert res.n_complete == ref["n_complete"]
    assert res.converged and res.information == "observed"


def test_complete_data_gives_ols_slopes_and_lavaan_ml_standard_errors(fits):
    ref = REF["complete"]
    res = fits["complete"]
    ols = ref["ols"]
    np.testing.assert_allclose(res.table["b"], ols["b"], rtol=0, atol=1e-12)
    assert res.r_squared == pytest.approx(ols["r2"], abs=1e-12)
    assert res.residual_variance == pytest.approx(ols["residual_ml"], rel=1e-12)
    # lavaan's complete-data ML fit (expected information): the same standard errors, which
    # are the OLS ones with the ML residual variance (divisor n instead of n - k - 1)
    ml = _lavaan_table("complete", ref["complete_ml"])
    assert ref["complete_ml"]["information"][0] == "expected"
    np.testing.assert_allclose(res.table["se"], ml["se"], rtol=1e-7, atol=0)
    n, k = res.n, len(res.predictors)
    np.testing.assert_allclose(
        res.table["se"], np.array(ols["se"]) * np.sqrt((n - k - 1) / n), rtol=1e-10
    )
    assert res.n_complete == res.n == 301 and res.n_dropped == 0


# ------------------------------------------------------------------------------ invariants


def test_only_the_outcome_missing_gives_the_complete_case_slopes(fits, mar):
    res = fits["mar"]
    complete = mar[["x9", "x1", "x4", "x7"]].dropna()
    design = np.column_stack([np.ones(len(complete)), complete[["x1", "x4", "x7"]]])
    ols = np.linalg.lstsq(design, complete["x9"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(res.table["b"], ols, rtol=0, atol=1e-10)
    assert any("complete-case slopes" in w for w in res.warnings)
    # auxiliary variables correlated with the outcome move the slopes away from them
    with_aux = fits["mar_auxiliary"].table["b"]
    assert np.max(np.abs(with_aux.to_numpy() - ols)) > 1e-3
    assert not any("complete-case slopes" in w for w in fits["mar_auxiliary"].warnings)


def test_rows_missing_everything_are_dropped_and_counted(fits, mar):
    empty = pd.DataFrame(np.nan, index=[0, 1], columns=mar.columns)
    padded = pd.concat([empty, mar, empty], ignore_index=True)
    res = regression_fiml(padded, "x9", ["x1", "x4", "x7"], auxiliary=["x8", "x6"])
    assert res.n == 301 and res.n_dropped == 4
    assert any("4 of 305 rows were dropped" in w for w in res.warnings)
    np.testing.assert_allclose(res.table, fits["mar_auxiliary"].table, rtol=1e-10, atol=1e-12)
    assert fits["mar_auxiliary"].n_dropped == 0


def test_row_order_and_unrelated_columns_do_not_change_the_fit(fits, mar):
    shuffled = mar.sample(frac=1.0, random_state=4).assign(note="unused text")
    res = regression_fiml(shuffled, "x9", ["x2", "x5", "x7"], auxiliary=["x3", "x8"])
    np.testing.assert_allclose(
        res.table, fits["mar_incomplete_predictors"].table, rtol=1e-9, atol=1e-12
    )


def test_units_do_not_matter_slopes_rescale_and_beta_r2_z_stay(fits, mar):
    # income-like units (x2 * 10^4 + 5 * 10^5) and a rescaled outcome: the same fit
    data = mar.assign(x2=mar["x2"] * 1e4 + 5e5, x9=mar["x9"] * 1e-3)
    res = regression_fiml(data, "x9", ["x2", "x5", "x7"], auxiliary=["x3", "x8"])
    ref = fits["mar_incomplete_predictors"]
    assert res.converged
    factor = pd.Series({"x2": 1e-7, "x5": 1e-3, "x7": 1e-3})
    np.testing.assert_allclose(res.table["b"].iloc[1:], ref.table["b"].iloc[1:] * factor, rtol=1e-8)
    np.testing.assert_allclose(
        res.table["se"].iloc[1:], ref.table["se"].iloc[1:] * factor, rtol=1e-7
    )
    np.testing.assert_allclose(res.table["z"].iloc[1:], ref.table["z"].iloc[1:], rtol=1e-7)
    np.testing.assert_allclose(res.table["beta"].iloc[1:], ref.table["beta"].iloc[1:], rtol=1e-8)
    assert res.r_squared == pytest.approx(ref.r_squared, abs=1e-10)


def test_missing_share_and_em_moments(fits, mar):
    res = fits["mar_incomplete_predictors"]
    variables = ["x9", "x2", "x5", "x7", "x3", "x8"]
    assert list(res.missing_share.index) == variables
    np.testing.assert_allclose(res.missing_share, mar[variables].isna().mean(), rtol=0, atol=0)
    assert list(res.cov.index) == variables and list(res.mean.index) == variables
    # the slopes are the EM covariances' regression of the outcome on the predictors
    s = res.cov.to_numpy()
    slopes = np.linalg.solve(s[1:4, 1:4], s[1:4, 0])
    np.testing.assert_allclose(res.table["b"].iloc[1:], slopes, rtol=0, atol=1e-12)


def test_saturated_hessian_is_the_derivative_of_the_fiml_gradient(mar):
    # the analytic observed information behind the standard errors, checked numerically
    x = mar[["x9", "x2", "x5", "x7"]].to_numpy()
    patterns = _missing_patterns(x)
    moments = _pattern_moments(patterns, 4)
    rows, cols = _vech_pairs(4)
    mu = np.nanmean(x, axis=0) + 0.1  # away from the optimum, where the terms in s matter
    sigma = np.cov(x[~np.isnan(x).any(axis=1)], rowvar=False) * 1.1

    def gradient(eta: np.ndarray) -> np.ndarray:
        s = np.zeros((4, 4))
        s[rows, cols] = s[cols, rows] = eta[4:]
        _, g_sigma, g_mu = _fiml_loglik(s, eta[:4], moments, grad=True)
        return np.concatenate([g_mu, _vech_gradient(g_sigma)])

    eta = np.concatenate([mu, sigma[rows, cols]])
    numeric = np.zeros((eta.size, eta.size))
    for k in range(eta.size):
        step = np.zeros(eta.size)
        step[k] = 1e-5
        numeric[:, k] = (gradient(eta + step) - gradient(eta - step)) / 2e-5
    analytic = _saturated_information(patterns, mu, sigma, observed=True)
    np.testing.assert_allclose(-analytic, numeric, rtol=0, atol=1e-6 * np.abs(numeric).max())
    expected = _saturated_information(patterns, mu, sigma, observed=False)
    assert np.linalg.eigvalsh(expected).min() > 0


def test_two_level_categorical_predictor_is_coded_zero_one(hs):
    data = hs[["x9", "x1", "school"]].copy()
    coded = data.assign(school=(data["school"] == "Pasteur").astype(float))
    res = regression_fiml(data, "x9", ["x1", "school"])
    ref = regression_fiml(coded, "x9", ["x1", "school"])
    np.testing.assert_allclose(res.table, ref.table, rtol=1e-12)
    assert any("coded 0 = 'Grant-White', 1 = 'Pasteur'" in w for w in res.warnings)
    flags = regression_fiml(data.assign(school=data["school"] == "Pasteur"), "x9", ["x1", "school"])
    np.testing.assert_allclose(flags.table, ref.table, rtol=1e-12)


# ------------------------------------------------------------------------------ result object


def test_result_table_summary_and_dict(fits):
    res = fits["mar_auxiliary"]
    assert list(res.table.index) == ["Intercept", "x1", "x4", "x7"]
    assert list(res.table.columns) == ["b", "se", "z", "p", "ci_low", "ci_high", "beta"]
    frame = res.to_frame()
    frame.loc["x1", "b"] = 0.0
    assert res.table.loc["x1", "b"] != 0.0
    text = res.summary()
    assert "auxiliary: x8, x6" in text and "n = 301 rows used (228 complete" in text
    out = res.to_dict()
    json.dumps(out)
    assert out["coefficients"]["x7"]["b"] == pytest.approx(res.table.loc["x7", "b"])
    assert out["method"] == "fiml" and out["auxiliary"] == ["x8", "x6"]
    assert "<table" in res._repr_html_()
    assert list(res.vcov.index) == list(res.table.index)
    np.testing.assert_allclose(np.sqrt(np.diag(res.vcov)), res.table["se"], rtol=1e-12)


def test_confidence_level(mar):
    res = regression_fiml(mar, "x9", ["x1", "x4", "x7"], ci=0.90)
    half = res.table["ci_high"] - res.table["b"]
    np.testing.assert_allclose(half, 1.6448536269514722 * res.table["se"], rtol=1e-12)
    with pytest.raises(ValueError, match="ci=95"):
        regression_fiml(mar, "x9", ["x1"], ci=95)


# ------------------------------------------------------------------------------ errors


def test_a_column_not_in_the_data_is_named_with_a_suggestion(mar):
    with pytest.raises(InputError, match="predictor 'x44' is not a column") as info:
        regression_fiml(mar, "x9", ["x1", "x44"], file="hs.csv")
    assert info.value.column == "x44" and info.value.file == "hs.csv"
    assert "Did you mean" in info.value.hint


def test_a_column_with_two_roles_is_refused(mar):
    with pytest.raises(InputError, match="given twice"):
        regression_fiml(mar, "x9", ["x1", "x9"])
    with pytest.raises(InputError, match="given twice"):
        regression_fiml(mar, "x9", ["x1"], auxiliary=["x1"])
    with pytest.raises(InputError, match="no predictors"):
        regression_fiml(mar, "x9", [])


def test_a_categorical_predictor_with_three_levels_is_refused_with_a_hint(hs):
    data = hs.assign(grade_band=np.where(hs["ageyr"] < 12, "young", "old"))
    data.loc[data["ageyr"] > 14, "grade_band"] = "oldest"
    with pytest.raises(InputError, match="categorical with 3 levels") as info:
        regression_fiml(data, "x9", ["x1", "grade_band"])
    assert info.value.column == "grade_band" and "dummy" in info.value.hint


def test_a_text_outcome_is_refused(hs):
    with pytest.raises(InputError, match="outcome 'school' is not numeric") as info:
        regression_fiml(hs, "school", ["x1"])
    assert info.value.row == 1


def test_a_constant_or_empty_column_is_refused(mar):
    with pytest.raises(InputError, match="single observed value") as info:
        regression_fiml(mar.assign(c=3.0), "x9", ["x1", "c"])
    assert info.value.column == "c"
    with pytest.raises(InputError, match="no observed values"):
        regression_fiml(mar.assign(c=np.nan), "x9", ["x1"], auxiliary=["c"])


def test_variables_never_observed_together_are_refused(mar):
    data = mar.copy()
    data.loc[data["x2"].notna(), "x3"] = np.nan
    data.loc[data["x3"].isna() & data["x2"].isna(), "x3"] = 1.0
    with pytest.raises(InputError, match="never observed in the same row"):
        regression_fiml(data, "x9", ["x2", "x3"])


def test_collinear_predictors_are_refused(mar):
    data = mar.assign(total=mar["x1"] + mar["x4"])
    with pytest.raises(InputError, match="collinear"):
        regression_fiml(data, "x9", ["x1", "x4", "total"])


def test_not_a_data_frame_is_refused():
    with pytest.raises(InputError, match="Expected a pandas DataFrame"):
        regression_fiml(np.zeros((5, 2)), "a", ["b"])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ speed


def _simulated(n: int, k: int, seed: int) -> pd.DataFrame:
    """k correlated predictors, y = sum of slopes + noise, MAR deletions driven by x1."""
    rng = np.random.default_rng(seed)
    cov = 0.3 + 0.7 * np.eye(k)
    x = rng.multivariate_normal(np.zeros(k), cov, size=n)
    y = x @ np.linspace(0.1, 0.6, k) + rng.normal(size=n)
    data = pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(k)]).assign(y=y)
    for col in [*data.columns[1:k], "y"]:
        drop = rng.random(n) < 0.05 + 0.10 * (data["x1"] > 0)
        data.loc[drop, col] = np.nan
    return data


def test_six_predictors_on_5000_rows_take_under_a_second():
    data = _simulated(5000, 6, seed=16)
    predictors = [f"x{j + 1}" for j in range(6)]
    start = time.perf_counter()
    res = regression_fiml(data, "y", predictors)
    elapsed = time.perf_counter() - start
    assert res.converged and res.n == 5000 and res.n_complete < 3500
    assert elapsed < 1.0, elapsed
    # and the slopes are where the simulation put them
    np.testing.assert_allclose(res.table["b"].iloc[1:], np.linspace(0.1, 0.6, 6), atol=0.06)
