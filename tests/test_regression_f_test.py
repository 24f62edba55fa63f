"""The overall F test of the driver model (``DriverModel.f_test``, results.json ``model.f_test``).

Reference numbers: tests/reference/r_regression_f_test.json, written by
tests/reference/r_regression_f_test.R (R 4.2.2) from data/corp_rep.csv:
``summary(lm)$fstatistic`` with ``pf(..., lower.tail = FALSE)`` for the classical test and
``lmtest::waldtest(m, vcov = sandwich::vcovHC(m, type = "HC3"), test = "F")`` for the HC3
Wald test, each for the drivers alone and with a categorical control.

Tolerance: 1e-9 relative on F and p (both agree to ~1e-14 for F and ~5e-12 for p; p is
computed from F, so its relative error grows with the tail's steepness); df exactly.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from workbench.drivers import pooling
from workbench.drivers.regression import DriverModel, fit_driver_model

R = json.loads((ROOT / "tests" / "reference" / "r_regression_f_test.json").read_text())
IMPUTED = pd.read_csv(ROOT / "tests" / "reference" / "r_mice_pool_imputations.csv")
DRIVERS = ["satisfaction", "competence", "likeability"]
MODELS = {
    "drivers": {"drivers": DRIVERS, "controls": []},
    "with_control": {"drivers": [*DRIVERS, "quality"], "controls": ["serviceprovider"]},
}
RTOL = 1e-9


@pytest.fixture(scope="module")
def corp(corp_rep: pd.DataFrame) -> pd.DataFrame:
    """corp_rep scores as in r_regression_f_test.R (-99 -> NaN; means of complete items)."""
    c = corp_rep.replace(-99, np.nan)

    def mean(cols: list[str]) -> pd.Series:
        return c[cols].mean(axis=1, skipna=False)

    c["loyalty"] = mean(["cusl_1", "cusl_2", "cusl_3"])
    c["competence"] = mean(["comp_1", "comp_2", "comp_3"])
    c["likeability"] = mean(["like_1", "like_2", "like_3"])
    c["satisfaction"] = c["cusa"]
    c["quality"] = mean([f"qual_{i}" for i in range(1, 9)])
    c["serviceprovider"] = c["serviceprovider"].astype("category")
    return c


def fit(corp: pd.DataFrame, key: str, *, robust: bool = False) -> DriverModel:
    return fit_driver_model(
        corp, "loyalty", MODELS[key]["drivers"], controls=MODELS[key]["controls"], robust=robust
    )


def assert_test(got: dict, want: dict) -> None:
    assert (got["df1"], got["df2"]) == (want["df1"], want["df2"])
    assert got["F"] == pytest.approx(want["F"], rel=RTOL)
    assert got["p"] == pytest.approx(want["p"], rel=RTOL)


@pytest.mark.parametrize("key", list(MODELS))
def test_the_overall_f_test_equals_rs_summary_of_lm(corp, key):
    res = fit(corp, key)
    assert res.n == R[key]["n"]
    assert res.f_test["vcov"] == "classical"
    assert_test(res.f_test, R[key]["classical"])
    # the Wald form with the classical covariance is the R2 form, and statsmodels' fvalue
    k, df2 = res.f_test["df1"], res.f_test["df2"]
    assert res.f_test["F"] == pytest.approx((res.r2 / k) / ((1 - res.r2) / df2), rel=1e-12)
    assert res.f_test["F"] == pytest.approx(float(res.model.fvalue), rel=1e-12)


@pytest.mark.parametrize("key", list(MODELS))
def test_with_hc3_errors_the_f_test_is_the_robust_wald_test_of_lmtest(corp, key):
    res = fit(corp, key, robust=True)
    assert res.f_test["vcov"] == "HC3"
    assert_test(res.f_test, R[key]["hc3"])
    assert res.f_test["F"] != pytest.approx(R[key]["classical"]["F"], rel=1e-3)
    assert "(HC3 Wald)" in res.summary()


def test_results_json_carries_the_f_test_beside_r2(corp):
    d = fit(corp, "with_control").to_dict()
    assert list(d)[:6] == ["kind", "outcome", "n", "r2", "adj_r2", "f_test"]
    assert set(d["f_test"]) == {"F", "df1", "df2", "p", "vcov"}
    assert_test(d["f_test"], R["with_control"]["classical"])
    json.dumps(d, allow_nan=False)


def test_a_logit_model_has_no_f_test(corp):
    res = fit_driver_model(
        corp.assign(loyal=(corp["loyalty"] >= 6).astype(float).where(corp["loyalty"].notna())),
        "loyal",
        DRIVERS,
    )
    assert res.kind == "logit" and res.f_test is None
    assert "f_test" not in res.to_dict()


def test_a_model_whose_coefficients_were_replaced_has_no_f_test(corp):
    # the study's FIML driver model keeps the complete-case fit as .model but replaces the
    # coefficients and R2: the complete-case F test would not be the reported model's
    res = fit(corp, "drivers")
    coef = res.coefficients.assign(estimate=res.coefficients["estimate"] * 1.01)
    other = dataclasses.replace(res, coefficients=coef, r2=0.5)
    assert other.f_test is None and other.to_dict()["f_test"] is None


def test_a_model_pooled_over_imputations_carries_the_d1_f_test_as_mitml():
    # the overall F test pooled over imputations is D1 on the slopes (Li, Raghunathan & Rubin
    # 1991): R mitml::testModels(lm(chl ~ age + bmi), lm(chl ~ 1), method = "D1") on the
    # five nhanes imputations (tests/reference/r_mice_d1.R)
    ref = json.loads((ROOT / "tests" / "reference" / "r_mice_d1.json").read_text())["overall_f"]
    fits = [
        fit_driver_model(d, "chl", ["age", "bmi"], model="ols") for _, d in IMPUTED.groupby(".imp")
    ]
    pooled = pooling.pool_driver_models(fits)
    test = pooled.f_test
    assert test is not None and test["pooling"] == "D1" and test["vcov"] == "classical"
    assert test["df1"] == ref["df1"] == 2
    for key in ("F", "df2", "p"):
        assert test[key] == pytest.approx(ref[key], rel=1e-9), key
    assert pooled.to_dict()["f_test"]["F"] == test["F"]


@pytest.mark.parametrize(("robust", "which"), [(False, "classical"), (True, "hc3")])
def test_the_hierarchical_test_of_the_drivers_is_anova_or_the_hc3_wald_test(corp, robust, which):
    # R: anova(reduced, full) and lmtest::waldtest(full, reduced, vcov = vcovHC(full, "HC3"))
    res = fit(corp, "with_control", robust=robust)
    h = res.hierarchical
    want = R["hierarchical"][which]
    assert h is not None and h["test"] == ("F (HC3 Wald)" if robust else "F")
    assert (h["df1"], h["df2"]) == (want["df1"], want["df2"])
    assert h["statistic"] == pytest.approx(want["F"], rel=RTOL)
    assert h["p"] == pytest.approx(want["p"], rel=RTOL)
