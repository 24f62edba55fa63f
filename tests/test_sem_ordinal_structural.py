"""Structural models on ordered items by WLSMV: golden values from R lavaan 0.6, invariants.

Reference: tests/reference/lavaan_wlsmv_sem.R (lavaan 0.6-14) -> lavaan_wlsmv_sem.json, on
Holzinger-Swineford x1..x9 cut into 3 and 5 categories (tests/reference/
lavaan_wlsmv_hs_cut.csv, written by lavaan_wlsmv.R), the chain visual -> textual -> speed
with ``indirect := a*b``: ``sem(model, data, ordered = TRUE, estimator = "WLSMV")``, the
theta parameterization, ULSMV and DWLS.

Tolerances (issue 17): estimates and SEs 1e-4 relative (to max(1, |x|)), std values and R2 1e-4
absolute, test statistics 1e-3 relative, fit indices 1e-4 absolute. Observed worst
differences against lavaan's default fits: 3.6e-6 (estimates, theta), 3.7e-6 (SEs, theta),
2e-6 (std.all), 1.2e-7 (std SEs), 7e-7 (R2), 8e-8 (test statistics, relative), 1.4e-7 (fit
indices); the difference test 3e-7 (relative). lavaan's nlminb stops short of the minimum
(see lavaan_wlsmv.R); against the fits converged with BFGS at reltol 1e-16 estimates and
SEs agree to 3.5e-8, so we check 1e-6 there too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.sem import fit_ordinal_cfa, fit_ordinal_sem, ordinal_difference_test
from workbench.sem.ordinal_sem import OrdinalSEMResult

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
REF = json.loads((REF_DIR / "lavaan_wlsmv_sem.json").read_text())
CUT = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
MODEL = REF["model"]

EST_RTOL = 1e-4  # estimates and SEs, relative (to max(1, |value|))
STD_ATOL = 1e-4  # standardized values and R2, absolute
STAT_RTOL = 1e-3  # test statistics, relative
INDEX_ATOL = 1e-4  # fit indices, absolute
CONVERGED_RTOL = 1e-6  # against lavaan converged to reltol 1e-16

STATISTICS = {
    "fmin", "chisq", "chisq.scaled", "baseline.chisq", "baseline.chisq.scaled", "df",
    "df.scaled", "baseline.df", "baseline.df.scaled", "chisq.scaling.factor",
    "chisq.shift.parameters", "baseline.chisq.scaling.factor", "cn_05", "cn_01", "npar",
    "ntotal",
}  # fmt: skip
NOT_REPORTED = {"srmr_mplus", "srmr_mplus_nomean"}  # NA in lavaan for categorical data

# case in the JSON -> (categories, options)
CASES = {
    "hs3": (3, {}),
    "hs3_theta": (3, {"parameterization": "theta"}),
    "hs3_ulsmv": (3, {"estimator": "ULSMV"}),
    "hs3_dwls": (3, {"estimator": "DWLS"}),
    "hs5": (5, {}),
}
CONVERGED = {"hs3_converged": "hs3", "hs3_theta_converged": "hs3_theta", "hs5_converged": "hs5"}


def hs_cut(categories: int) -> pd.DataFrame:
    return CUT[CUT["categories"] == categories].drop(columns="categories").reset_index(drop=True)


@pytest.fixture(scope="module")
def fits() -> dict[str, OrdinalSEMResult]:
    return {name: fit_ordinal_sem(hs_cut(k), MODEL, **kw) for name, (k, kw) in CASES.items()}


def merged(res: OrdinalSEMResult, case: str) -> pd.DataFrame:
    """lavaan's table (``*_ref``) beside ours, row for row (the same rows, none missing)."""
    ref = pd.DataFrame(REF[case]["estimates"]).astype(
        {"est": float, "se": float, "std_all": float, "std_se": float}
    )
    ours = res.estimates
    assert sorted(zip(ours["lhs"], ours["op"], ours["rhs"], strict=True)) == sorted(
        zip(ref["lhs"], ref["op"], ref["rhs"], strict=True)
    )
    return ours.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_ref"))


def relative(a: pd.Series, b: pd.Series) -> float:
    return float(np.max(np.abs(a.to_numpy() - b.to_numpy()) / np.maximum(1.0, np.abs(b))))


@pytest.mark.parametrize("case", list(CASES))
def test_estimates_and_robust_ses_match_lavaan_sem(case: str, fits):
    m = merged(fits[case], case)
    assert relative(m["estimate"], m["est"]) < EST_RTOL
    has_se = m["se_ref"] > 0  # lavaan's 0 = fixed or implied
    assert relative(m.loc[has_se, "se"], m.loc[has_se, "se_ref"]) < EST_RTOL
    assert m.loc[~has_se & (m["op"] != ":="), "se"].isna().all()


@pytest.mark.parametrize("case", list(CASES))
def test_standardized_solution_and_r2_match_lavaan(case: str, fits):
    res = fits[case]
    m = merged(res, case)
    assert np.max(np.abs(m["std_all"] - m["std_all_ref"])) < STD_ATOL
    has_se = m["std_se_ref"] > 0
    assert np.max(np.abs(m.loc[has_se, "std_se"] - m.loc[has_se, "std_se_ref"])) < STD_ATOL
    r2 = pd.Series(REF[case]["r2"], dtype=float)
    assert list(res.r2.index) == list(r2.index)
    assert np.max(np.abs(res.r2 - r2)) < STD_ATOL


@pytest.mark.parametrize("case", list(CASES))
def test_fit_measures_match_lavaan(case: str, fits):
    res = fits[case]
    for key, want in REF[case]["fit"].items():
        if key in NOT_REPORTED:
            assert key not in res.fit
            continue
        got = res.fit[key]
        if want is None or not np.isfinite(want):
            assert not np.isfinite(got), key
        elif key in STATISTICS:
            assert got == pytest.approx(want, rel=STAT_RTOL, abs=1e-10), key
        else:
            assert got == pytest.approx(want, abs=INDEX_ATOL), key


@pytest.mark.parametrize("case", list(CONVERGED))
def test_estimates_reach_lavaans_tightly_converged_minimum(case: str):
    k, kw = CASES[CONVERGED[case]]
    m = merged(fit_ordinal_sem(hs_cut(k), MODEL, **kw), case)
    assert relative(m["estimate"], m["est"]) < CONVERGED_RTOL
    has_se = m["se_ref"] > 0
    assert relative(m.loc[has_se, "se"], m.loc[has_se, "se_ref"]) < CONVERGED_RTOL


def test_indirect_effect_is_the_product_of_its_paths_with_a_delta_method_se(fits):
    res = fits["hs3"]
    paths = res.paths().set_index("lhs")
    a, b = paths.loc["textual", "estimate"], paths.loc["speed", "estimate"]
    ind = paths.loc["indirect"]
    assert ind["estimate"] == pytest.approx(a * b, rel=1e-12)
    # first-order delta method by hand from the two paths' covariance
    v = res.vcov.loc[["textual~visual", "speed~textual"], ["textual~visual", "speed~textual"]]
    grad = np.array([b, a])
    assert ind["se"] == pytest.approx(float(np.sqrt(grad @ v.to_numpy() @ grad)), rel=1e-6)
    sa, sb = paths.loc["textual", "std_all"], paths.loc["speed", "std_all"]
    assert ind["std_all"] == pytest.approx(sa * sb, rel=1e-12)


def test_delta_and_theta_give_the_same_fit_and_standardized_solution(fits):
    d, t = fits["hs3"], fits["hs3_theta"]
    assert d.fit["chisq"] == pytest.approx(t.fit["chisq"], rel=1e-8)
    assert d.fit["chisq.scaled"] == pytest.approx(t.fit["chisq.scaled"], rel=1e-8)
    assert np.allclose(d.estimates["std_all"], t.estimates["std_all"], atol=1e-7, equal_nan=True)
    assert np.allclose(d.implied, t.implied, atol=1e-8)


def test_without_structural_paths_the_sem_is_the_ordinal_cfa():
    data = hs_cut(3)
    cons = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
    cfa = fit_ordinal_cfa(data, cons)
    sem = fit_ordinal_sem(data, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6")
    key = ["lhs", "op", "rhs"]
    both = cfa.estimates.merge(sem.estimates, on=key, suffixes=("_cfa", "_sem"))
    assert len(both) == len(cfa.estimates) == len(sem.estimates)
    assert np.allclose(both["estimate_cfa"], both["estimate_sem"], atol=1e-9)
    assert np.allclose(both["se_cfa"], both["se_sem"], atol=1e-9, equal_nan=True)
    assert sem.fit["chisq.scaled"] == pytest.approx(cfa.fit["chisq.scaled"], rel=1e-9)


def test_lowercase_estimator_names_are_accepted(fits):
    res = fit_ordinal_sem(hs_cut(3), MODEL, estimator="wlsmv")
    assert res.estimator == "WLSMV"
    assert res.fit["chisq.scaled"] == pytest.approx(fits["hs3"].fit["chisq.scaled"], rel=1e-12)


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ("visual =~ x1 + x2 + x3\nvisual ~ x4", "'x4'"),
        (MODEL + "\na == b", "same label"),
        ("visual =~ x1 + x2 + x3\nvisual ~~ visual", "already free"),
        ("visual =~ x1 + x2 + nope", "nope"),
        ("visual =~ x1 + x2 + x3\nind := a*b", "'a'"),
        ("visual x1 + x2", "no operator"),
    ],
)  # fmt: skip
def test_bad_models_raise_input_errors_naming_the_problem(model: str, needle: str):
    with pytest.raises(InputError, match=needle):
        fit_ordinal_sem(hs_cut(3), model)


def test_bad_options_raise_value_errors_listing_the_choices():
    with pytest.raises(ValueError, match="WLSMV"):
        fit_ordinal_sem(hs_cut(3), MODEL, estimator="ML")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="theta"):
        fit_ordinal_sem(hs_cut(3), MODEL, parameterization="gamma")  # type: ignore[arg-type]


def test_result_reports_its_paths_and_serializes(fits):
    res = fits["hs3"]
    text = res.summary()
    assert "indirect" in text and "R2:" in text and "(robust)" in text
    out = res.to_dict()
    assert out["r2"]["speed"] == pytest.approx(REF["hs3"]["r2"]["speed"], abs=STD_ATOL)
    json.dumps(out)


def test_difference_test_of_nested_models_matches_lavtestlrt(fits):
    ref = REF["difference_test"]
    full = fit_ordinal_sem(
        hs_cut(3), "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    )
    assert full.fit["chisq"] == pytest.approx(ref["cfa_chisq"], rel=STAT_RTOL)
    out = ordinal_difference_test(fits["hs3"], full)
    assert out["df_diff"] == ref["df_diff"]
    assert out["chi2_diff"] == pytest.approx(ref["chisq_diff"], rel=STAT_RTOL)
    assert out["p"] == pytest.approx(ref["pvalue"], abs=INDEX_ATOL)
    with pytest.raises(InputError, match="nested"):
        ordinal_difference_test(full, fits["hs3"])
    with pytest.raises(InputError, match="different items or respondents"):
        ordinal_difference_test(fits["hs5"], full)


def test_the_model_may_be_given_as_constructs_and_paths(fits):
    cons = {
        "visual": ["x1", "x2", "x3"],
        "textual": ["x4", "x5", "x6"],
        "speed": ["x7", "x8", "x9"],
    }
    paths = "textual ~ a*visual\nspeed ~ b*textual\nindirect := a*b"
    res = fit_ordinal_sem(hs_cut(3), cons, paths=paths)
    assert np.allclose(res.estimates["estimate"], fits["hs3"].estimates["estimate"], atol=1e-12)
    assert res.constructs == cons
    with pytest.raises(InputError, match="mapping of factors to items"):
        fit_ordinal_sem(hs_cut(3), ["x1", "x2"])  # type: ignore[arg-type]
