"""Ordinal invariance (Wu & Estabrook 2016) by DWLS, ULSMV and ULS: golden values from lavaan.

Reference: tests/reference/lavaan_ordinal_invariance_estimators.R (lavaan 0.6-14, semTools
0.5-6) -> lavaan_ordinal_invariance_estimators.json. The data and models of the WLSMV
reference (tests/reference/lavaan_ordinal_invariance.R): Holzinger-Swineford x1..x9 cut into
3 and 5 categories (tests/reference/lavaan_wlsmv_hs_cut.csv) and the 2/3/5-category mix,
grouped by ``school`` (Pasteur 156, Grant-White 145), three factors; per level the syntax of
``measEq.syntax(..., ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016")`` fitted by
``cfa(..., ordered = items, estimator = "DWLS" | "ULSMV" | "ULS", group = "school")``
(delta; ULSMV and ULS also theta), and ``lavTestLRT()`` between consecutive levels; each fit
also converged further (BFGS, reltol 1e-16).

What lavaan does, and we match: DWLS has standard SEs and the standard test with its
p-value, and lavTestLRT gives the plain chi-square difference (with the RMSEA of the
difference); ULSMV is WLSMV with W = I (robust SEs, scaled-shifted test, Satorra 2000
scaled-shifted difference) but no p-value for the standard statistic; ULS has standard SEs
and the standard statistic without a p-value, yet lavTestLRT gives the plain difference
with a chi-square p-value.

Tolerances (brief U): estimates and SEs 1e-4 (relative to max(1, |value|)), test statistics
1e-3 relative, df exact, fit indices 1e-4 absolute; the difference test's p-value 1e-4.
Observed worst differences: delta fits 4.0e-8 (estimates) and 9.1e-9 (SEs) against lavaan's
converged fits, 3.2e-5 and 1.0e-5 against its default (nlminb) fits; theta fits 3.2e-5 and
6.6e-5 against the converged ones (hs3 ULSMV, x9's residual variance in Grant-White, SE 15:
a flat direction, our T is 9e-7 below lavaan's), 7.8e-5 and 6.2e-5 against the defaults (not
tested, as in the WLSMV tests); statistics 1.2e-6 relative, indices 2.1e-6, difference tests
1.4e-6 relative (p 2.2e-7).
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import HS_CONSTRUCTS, compare_group_estimates

from workbench.sem import OrdinalInvarianceResult, ordinal_invariance

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
REF = json.loads((REF_DIR / "lavaan_ordinal_invariance_estimators.json").read_text())
CUT = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
SCHOOL = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")["school"]
LEVELS = ["configural", "thresholds", "loadings", "intercepts"]
CASES = [k for k in REF if k.startswith("hs")]  # hs5_dwls, hs3_ulsmv_theta, ...

EST_TOL = 1e-4  # estimates and SEs, relative to max(1, |value|)
STAT_RTOL = 1e-3  # test statistics, relative
INDEX_ATOL = 1e-4  # fit indices and p-values, absolute
# fitMeasures() names compared relatively; every other name we report is an index
STATISTICS = {
    "chisq", "df", "chisq.scaled", "df.scaled", "chisq.scaling.factor", "baseline.chisq",
    "baseline.df", "baseline.chisq.scaled", "baseline.df.scaled",
    "baseline.chisq.scaling.factor", "npar", "ntotal",
}  # fmt: skip


def hs_cut(categories: str) -> pd.DataFrame:
    """The cut items with ``school``; ``"mix"``: x1, x4, x7 binary, x2, x3, x5, x6 in three
    and x8, x9 in five categories (as the R script)."""
    if categories == "mix":
        spec = {2: ["x1", "x4", "x7"], 3: ["x2", "x3", "x5", "x6"], 5: ["x8", "x9"]}
        parts = [
            CUT.loc[CUT["categories"] == k, cols].reset_index(drop=True) for k, cols in spec.items()
        ]
        d = pd.concat(parts, axis=1)[[f"x{i}" for i in range(1, 10)]]
    else:
        d = CUT[CUT["categories"] == int(categories)].drop(columns="categories")
        d = d.reset_index(drop=True)
    d["school"] = SCHOOL
    return d


@functools.cache
def fitted(key: str) -> OrdinalInvarianceResult:
    categories = key.split("_")[0].removeprefix("hs")
    ref = REF[key]
    return ordinal_invariance(
        hs_cut(categories),
        HS_CONSTRUCTS,
        "school",
        estimator=ref["estimator"].lower(),
        parameterization=ref["parameterization"],
    )


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest) -> tuple[OrdinalInvarianceResult, dict]:
    return fitted(request.param), REF[request.param]


def close(ours: float, theirs: float | None, *, rtol: float = 0.0, atol: float = 0.0) -> bool:
    if theirs is None:  # lavaan's NA
        return math.isnan(ours)
    return abs(ours - theirs) <= atol + rtol * abs(theirs)


def robust(ref: dict) -> bool:
    return ref["options"]["test"] == "scaled.shifted"


# ----------------------------------------------------------------------------
# Golden values
# ----------------------------------------------------------------------------
def test_lavaan_options_of_each_case_are_as_documented():
    # guards the reading of the reference: what each estimator's SEs and test are
    for key in CASES:
        opts, name = REF[key]["options"], REF[key]["estimator"]
        assert opts["se"] == ("robust.sem" if name == "ULSMV" else "standard"), key
        assert opts["test"] == ("scaled.shifted" if name == "ULSMV" else "standard"), key


@pytest.mark.parametrize("level", LEVELS)
def test_fit_measures_of_each_level_match_lavaan(case, level):
    res, ref = case
    theirs = ref["levels"][level]["fit"]
    ours = res.fits[level]
    compared = [k for k in ours if k in theirs]
    expected = {"chisq", "df", "pvalue", "baseline.chisq", "baseline.pvalue", "cfi", "tli"}
    expected |= {"rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "npar"}
    if robust(ref):
        expected |= {"chisq.scaled", "pvalue.scaled", "cfi.scaled", "tli.scaled"}
        expected |= {"rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust"}
    else:  # lavaan reports no scaled or robust measures for DWLS and ULS; neither do we
        assert not [k for k in ours if k.endswith((".scaled", ".robust"))]
    assert expected <= set(compared)
    bad = {
        k: (ours[k], theirs[k])
        for k in compared
        if not (
            close(ours[k], theirs[k], rtol=STAT_RTOL)
            if k in STATISTICS
            else close(ours[k], theirs[k], atol=INDEX_ATOL)
        )
    }
    assert not bad
    assert ours["df"] == theirs["df"] and ours["npar"] == theirs["npar"]


@pytest.mark.parametrize("level", LEVELS)
def test_estimates_and_standard_errors_match_lavaan_converged(case, level):
    res, ref = case
    theirs = ref["levels"][level]
    compare_group_estimates(
        res.estimates_for(level),
        pd.DataFrame(theirs["estimates_converged"]),
        theirs["group_labels"],
        EST_TOL,
    )


@pytest.mark.parametrize("key", [k for k in CASES if not k.endswith("_theta")])
@pytest.mark.parametrize("level", LEVELS)
def test_estimates_and_standard_errors_match_lavaan_defaults_delta(key, level):
    theirs = REF[key]["levels"][level]
    compare_group_estimates(
        fitted(key).estimates_for(level),
        pd.DataFrame(theirs["estimates"]),
        theirs["group_labels"],
        EST_TOL,
    )


def test_difference_tests_match_lavTestLRT(case):
    res, ref = case
    for level in LEVELS[1:]:
        ours, theirs = res.tests[level], ref["lrt"][level]
        assert ours["df_diff"] == theirs["df_diff"]
        if theirs["df_diff"] == 0:  # equivalent models: T0 - T1, no p-value
            assert abs(ours["chi2_diff"] - theirs["chisq_diff"]) < 1e-6
            assert math.isnan(ours["p"]) and theirs["pvalue"] is None
            continue
        assert close(ours["chi2_diff"], theirs["chisq_diff"], rtol=STAT_RTOL)
        assert close(ours["p"], theirs["pvalue"], atol=INDEX_ATOL)
        if robust(ref):  # scaled-shifted (Satorra 2000), with W = I for ULSMV
            assert "Scaled" in theirs["method"] and "satorra.2000" in theirs["method"]
            for key, rkey in (("a", "a"), ("b", "b"), ("trace_ugamma", "trace_UGamma"),
                              ("trace_ugamma2", "trace_UGamma2")):  # fmt: skip
                assert close(ours[key], theirs[rkey], rtol=STAT_RTOL), key
        else:  # the plain difference of the standard statistics, and its RMSEA
            assert theirs["method"].strip() == "Chi-Squared Difference Test"
            assert ours["chi2_diff"] == ours["standard_diff"]
            assert close(ours["rmsea_diff"], theirs["rmsea"], atol=INDEX_ATOL)
        row = res.table.loc[level]
        assert row["delta_chi2"] == ours["chi2_diff"] and row["delta_df"] == ours["df_diff"]
        assert row["delta_p"] == ours["p"] or math.isnan(ours["p"])


# ----------------------------------------------------------------------------
# What each estimator reports
# ----------------------------------------------------------------------------
def test_dwls_has_the_wlsmv_estimates_with_standard_errors_and_plain_tests():
    # the same weights and objective: the same estimates and T, other SEs and tests
    dwls, wlsmv = fitted("hs5_dwls"), ordinal_invariance(hs_cut("5"), HS_CONSTRUCTS, "school")
    for level in LEVELS:
        a, b = dwls.estimates_for(level), wlsmv.estimates_for(level)
        assert np.allclose(a["estimate"], b["estimate"], rtol=0, atol=1e-8)
        free = a["free"].to_numpy()
        assert not np.allclose(a.loc[free, "se"], b.loc[free, "se"], rtol=1e-3)
        assert dwls.fits[level]["chisq"] == pytest.approx(wlsmv.fits[level]["chisq"], rel=1e-8)
    t = dwls.table
    assert (
        t[["chi2_scaled", "p_scaled", "cfi_scaled", "rmsea_scaled", "cfi_robust"]]
        .isna()
        .all()
        .all()
    )
    assert np.isfinite(t["p"]).all()
    assert t.loc["loadings", "delta_cfi"] == pytest.approx(
        t.loc["loadings", "cfi"] - t.loc["thresholds", "cfi"]
    )
    assert t.loc["loadings", "delta_rmsea"] == pytest.approx(
        t.loc["loadings", "rmsea"] - t.loc["thresholds", "rmsea"]
    )
    assert "Chi-square difference (lavTestLRT)" in dwls.verdicts["loadings"]
    assert "scaled" not in dwls.verdicts["loadings"] and "scaled" not in dwls.verdicts["configural"]
    assert dwls.estimator == "DWLS" and "DWLS" in dwls.summary()


def test_uls_and_ulsmv_share_estimates_and_statistic_but_not_standard_errors():
    uls, ulsmv = fitted("hs5_uls"), fitted("hs5_ulsmv")
    for level in LEVELS:
        a, b = uls.estimates_for(level), ulsmv.estimates_for(level)
        assert np.allclose(a["estimate"], b["estimate"], rtol=0, atol=1e-8)
        free = a["free"].to_numpy()
        assert not np.allclose(a.loc[free, "se"], b.loc[free, "se"], rtol=1e-3)
        assert uls.fits[level]["chisq"] == pytest.approx(ulsmv.fits[level]["chisq"], rel=1e-8)


def test_uls_statistic_has_no_p_value_but_its_difference_test_has_one_as_lavaan():
    for key in ("hs5_uls", "hs5_ulsmv"):
        t = fitted(key).table
        assert t["p"].isna().all()  # fitMeasures(): pvalue NA for the ULS statistic
        assert all(math.isnan(fitted(key).fits[lv]["baseline.pvalue"]) for lv in LEVELS)
    uls = fitted("hs5_uls")
    assert np.isfinite(uls.table.loc[LEVELS[1:], "delta_p"]).all()
    assert "rough guide" in uls.verdicts["loadings"]
    assert uls.table.loc["intercepts", "delta_cfi"] == pytest.approx(
        uls.table.loc["intercepts", "cfi"] - uls.table.loc["loadings", "cfi"]
    )


def test_ulsmv_changes_are_read_from_the_scaled_indices():
    res = fitted("hs5_ulsmv")
    t = res.table
    assert np.isfinite(t[["chi2_scaled", "p_scaled", "cfi_scaled", "rmsea_scaled"]]).all().all()
    assert t.loc["loadings", "delta_cfi"] == pytest.approx(
        t.loc["loadings", "cfi_scaled"] - t.loc["thresholds", "cfi_scaled"]
    )
    assert "Scaled-shifted chi-square difference" in res.verdicts["loadings"]
    assert "scaled CFI" in res.verdicts["configural"]


def test_estimator_is_accepted_in_upper_case_and_unknown_names_list_the_valid_ones():
    upper = ordinal_invariance(
        hs_cut("3"), HS_CONSTRUCTS, "school", levels=["configural", "loadings"], estimator="ULS"
    )
    lower = fitted("hs3_uls")
    assert upper.estimator == "ULS"
    assert upper.fits["loadings"]["chisq"] == pytest.approx(
        lower.fits["loadings"]["chisq"], rel=1e-8
    )
    with pytest.raises(ValueError, match=r"\['wlsmv', 'dwls', 'ulsmv', 'uls'\]"):
        ordinal_invariance(hs_cut("3"), HS_CONSTRUCTS, "school", estimator="wls")  # type: ignore[arg-type]


def test_result_views_of_a_standard_estimator_carry_plain_columns():
    res = fitted("hs3_dwls")
    d = res.to_dict()
    assert d["loadings"]["delta_df"] == 6 and d["loadings"]["chi2_scaled"] is None  # NaN
    text = res.summary()
    assert "DWLS" in text and "cfi_scaled" not in text and "Verdict:" in text
