"""Modification indices of an ordinal CFA under WLSMV, and the CFA's theta parameterization:
golden values from R lavaan 0.6.

Reference: tests/reference/lavaan_wlsmv_modindices.R (lavaan 0.6-14) ->
lavaan_wlsmv_modindices.json: ``modindices(cfa(model, data, ordered = TRUE, estimator =
"WLSMV"))`` in the delta and the theta parameterization, and the theta fit's
``parameterEstimates()``, ``standardizedSolution()`` and ``fitMeasures()``, on the
Holzinger-Swineford three-factor model, x1..x9 cut into 3 categories
(tests/reference/lavaan_wlsmv_hs_cut.csv).

Tolerances (issue 17 brief Z1): mi 1e-3 relative, epc and sepc.all 1e-4 absolute; theta
estimates and SEs 1e-4 relative (to max(|value|, 1)), std.all 1e-4 absolute, test statistics
1e-3 relative, fit indices 1e-4 absolute. Observed worst differences: mi 1.5e-4 (delta) and
3.2e-4 (theta), relative, on the smallest indices (0.007 and 0.01; lavaan's estimates stop
about 1e-5 short of the minimum, see tests/reference/lavaan_wlsmv.R); epc 4e-6 (delta),
1.3e-5 (theta); sepc.all 1.7e-5; theta estimates 7e-6, SEs 1.4e-5, std.all 2e-6, chisq.scaled
5e-8 relative, fit indices 3e-9. ULS (lavaan ``estimator = "ULS"``): estimates 1e-7, SEs
4e-8, chisq 2e-9 relative, fit indices 2e-10, mi 9e-6 relative, epc 4e-7.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import HS_CONSTRUCTS
from scipy import stats

from workbench.sem.ordinal import OrdinalCFAResult, fit_ordinal_cfa
from workbench.sem.ordinal_modindices import ordinal_modification_indices

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "lavaan_wlsmv_modindices.json").read_text())


@pytest.fixture(scope="module")
def hs3_fit() -> OrdinalCFAResult:
    cut = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
    data = cut[cut["categories"] == 3].drop(columns="categories")
    return fit_ordinal_cfa(data, HS_CONSTRUCTS)


@pytest.fixture(scope="module")
def hs3_theta() -> OrdinalCFAResult:
    cut = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
    data = cut[cut["categories"] == 3].drop(columns="categories")
    return fit_ordinal_cfa(data, HS_CONSTRUCTS, parameterization="theta")


@pytest.fixture(scope="module")
def compared(hs3_fit: OrdinalCFAResult) -> pd.DataFrame:
    ours = ordinal_modification_indices(hs3_fit, top=None)
    lavaan = pd.DataFrame(REF["delta"]["modindices"])
    return lavaan.merge(ours, on=["lhs", "op", "rhs"], how="outer", suffixes=("_r", ""))


def test_modindices_use_the_expected_information_as_lavaan() -> None:
    assert REF["information"] == "expected"


def test_candidates_are_lavaans_cross_loadings_and_residual_covariances(
    compared: pd.DataFrame,
) -> None:
    assert len(compared) == len(REF["delta"]["modindices"]["mi"]) == 18 + 36
    assert compared[["mi", "mi_r"]].notna().all().all()


def test_modification_indices_match_lavaan_wlsmv(compared: pd.DataFrame) -> None:
    np.testing.assert_allclose(compared["mi"], compared["mi_r"], rtol=1e-3, atol=0)
    np.testing.assert_allclose(compared["epc"], compared["epc_r"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(compared["sepc_all"], compared["sepc_all_r"], rtol=0, atol=1e-4)


def test_modification_indices_are_sorted_with_chi_square_p_values(
    hs3_fit: OrdinalCFAResult,
) -> None:
    mi = ordinal_modification_indices(hs3_fit, top=5)
    assert list(mi.columns) == ["lhs", "op", "rhs", "mi", "epc", "sepc_all", "p"]
    assert len(mi) == 5 and mi["mi"].is_monotonic_decreasing
    assert mi.iloc[0][["lhs", "op", "rhs"]].tolist() == ["visual", "=~", "x9"]
    np.testing.assert_allclose(mi["p"], stats.chi2.sf(mi["mi"], 1), rtol=1e-12)


def test_std_lv_fit_gives_the_same_indices(hs3_fit: OrdinalCFAResult) -> None:
    # the index is a property of the model, not of how its factors are scaled; the EPC of a
    # residual covariance does not depend on the scaling either
    cut = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
    data = cut[cut["categories"] == 3].drop(columns="categories")
    std_lv = fit_ordinal_cfa(data, HS_CONSTRUCTS, std_lv=True)
    a = ordinal_modification_indices(hs3_fit, top=None)
    b = ordinal_modification_indices(std_lv, top=None)
    both = a.merge(b, on=["lhs", "op", "rhs"])
    np.testing.assert_allclose(both["mi_x"], both["mi_y"], rtol=1e-5)
    np.testing.assert_allclose(both["sepc_all_x"], both["sepc_all_y"], atol=1e-5)


def test_theta_modification_indices_match_lavaan(hs3_theta: OrdinalCFAResult) -> None:
    ours = ordinal_modification_indices(hs3_theta, top=None)
    lavaan = pd.DataFrame(REF["theta"]["modindices"])
    both = lavaan.merge(ours, on=["lhs", "op", "rhs"], how="outer", suffixes=("_r", ""))
    assert len(both) == len(lavaan) == len(ours)
    np.testing.assert_allclose(both["mi"], both["mi_r"], rtol=1e-3, atol=0)
    np.testing.assert_allclose(both["epc"], both["epc_r"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(both["sepc_all"], both["sepc_all_r"], rtol=0, atol=1e-4)


# --------------------------------------------------------------------------- theta
def test_theta_parameterization_matches_lavaan_estimates_and_ses(
    hs3_theta: OrdinalCFAResult,
) -> None:
    lavaan = pd.DataFrame(REF["theta"]["estimates"]).fillna({"rhs": ""})
    both = lavaan.merge(hs3_theta.estimates, on=["lhs", "op", "rhs"], how="outer")
    assert len(both) == len(lavaan) == len(hs3_theta.estimates)
    assert hs3_theta.parameterization == "theta"
    scale = np.maximum(np.abs(both["est"]), 1.0)
    assert np.max(np.abs(both["estimate"] - both["est"]) / scale) < 1e-4
    has_se = both["se_x"] > 0
    assert (both["se_y"][has_se].notna()).all()
    se_scale = np.maximum(np.abs(both["se_x"][has_se]), 1.0)
    assert np.max(np.abs(both["se_y"] - both["se_x"])[has_se] / se_scale) < 1e-4
    np.testing.assert_allclose(both["std_all_y"], both["std_all_x"], rtol=0, atol=1e-4)


def test_theta_parameterization_matches_lavaan_fit(hs3_theta: OrdinalCFAResult) -> None:
    ref = REF["theta"]["fit"]
    assert hs3_theta.fit["df"] == ref["df"]
    for key in ("chisq", "chisq.scaled"):
        assert hs3_theta.fit[key] == pytest.approx(ref[key], rel=1e-3)
    for key in ("cfi.scaled", "rmsea.scaled", "srmr"):
        assert hs3_theta.fit[key] == pytest.approx(ref[key], abs=1e-4)


def test_theta_and_delta_give_the_same_standardized_solution(
    hs3_fit: OrdinalCFAResult, hs3_theta: OrdinalCFAResult
) -> None:
    both = hs3_fit.estimates.merge(hs3_theta.estimates, on=["lhs", "op", "rhs"])
    np.testing.assert_allclose(both["std_all_x"], both["std_all_y"], atol=1e-8)
    assert hs3_theta.fit["chisq.scaled"] == pytest.approx(hs3_fit.fit["chisq.scaled"], rel=1e-8)


def test_theta_with_std_lv_is_refused() -> None:
    cut = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
    data = cut[cut["categories"] == 3].drop(columns="categories")
    with pytest.raises(ValueError, match="std_lv=True is available with the delta"):
        fit_ordinal_cfa(data, HS_CONSTRUCTS, parameterization="theta", std_lv=True)


# --------------------------------------------------------------------------- ULS
def test_uls_matches_lavaan_estimates_standard_ses_and_test() -> None:
    # lavaan's estimator = "ULS" with ordered items: W = I, se = "standard" (expected
    # information), test = "standard" without a p-value
    cut = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
    data = cut[cut["categories"] == 3].drop(columns="categories")
    res = fit_ordinal_cfa(data, HS_CONSTRUCTS, estimator="ULS")
    assert res.test == "standard" and "chisq.scaled" not in res.fit
    lavaan = pd.DataFrame(REF["uls"]["estimates"]).fillna({"rhs": ""})
    both = lavaan.merge(res.estimates, on=["lhs", "op", "rhs"])
    assert len(both) == len(lavaan)
    scale = np.maximum(np.abs(both["est"]), 1.0)
    assert np.max(np.abs(both["estimate"] - both["est"]) / scale) < 1e-4
    has_se = both["se_x"] > 0
    se_scale = np.maximum(both["se_x"][has_se], 1.0)
    assert np.max(np.abs(both["se_y"] - both["se_x"])[has_se] / se_scale) < 1e-4
    ref = REF["uls"]["fit"]
    assert ref["pvalue"] is None and np.isnan(res.fit["pvalue"])
    for key in ("chisq", "baseline.chisq"):
        assert res.fit[key] == pytest.approx(ref[key], rel=1e-3)
    for key in ("cfi", "tli", "rmsea", "srmr"):
        assert res.fit[key] == pytest.approx(ref[key], abs=1e-4)
    assert (res.fit["npar"], res.fit["df"]) == (ref["npar"], ref["df"])
    # its modification indices (expected information with W = I)
    mi = REF["uls"]["modindices"]
    ours = pd.DataFrame(mi).merge(
        ordinal_modification_indices(res, top=None), on=["lhs", "op", "rhs"]
    )
    assert len(ours) == len(mi["mi"])
    np.testing.assert_allclose(ours["mi_y"], ours["mi_x"], rtol=1e-3)
    np.testing.assert_allclose(ours["epc_y"], ours["epc_x"], atol=1e-4)
    # the same estimates as ULSMV (only the SEs and the test differ)
    ulsmv = fit_ordinal_cfa(data, HS_CONSTRUCTS, estimator="ULSMV")
    np.testing.assert_allclose(res.estimates["estimate"], ulsmv.estimates["estimate"], atol=1e-12)
