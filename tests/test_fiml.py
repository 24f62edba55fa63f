"""FIML and EM against lavaan, semTools and psych (issue 16, items 3 and 5).

Reference values: ``tests/reference/r_fiml_cfa.json``, written by
``tests/reference/r_fiml_cfa.R`` (R 4.2.2, lavaan 0.6-14, semTools 0.5-6, psych 2.2.9,
GPArotation 2022.10-2; run from the repository root). The tests read only the JSON.

Data: Holzinger-Swineford x1..x9 with values deleted MCAR and MAR
(``tests/reference/holzinger_swineford_{mcar,mar}.csv``) and the shipped loyalty survey as
``load_survey`` prepares it (99 = no answer, TR3 reverse-coded; R applies the same
preparation and the first test checks that both sides analysed the same numbers).
``tests/test_sem.py`` keeps its own FIML case (values deleted by a fixed rule, in
``lavaan_sem.R``); this module adds the random deletions, the 44-item survey, the EM
correlations and psych on the EM matrix.

Tolerances: 1e-6 absolute for lavaan's fit measures (chi-square, df, CFI, TLI, RMSEA and its
interval, SRMR, loglikelihoods, AIC, BIC; measured at most 3.7e-7 against lavaan's defaults),
for every parameter estimate and standardized estimate, CR, AVE and HTMT, for the EM
correlations and for psych's KMO, Bartlett, alpha and omega on the EM matrix. lavaan's
default nlminb stops with a largest gradient element of about 1e-6, which leaves its loadings
up to 5.5e-6 short of the optimum on the survey; the JSON therefore also holds the fit
converged further (BFGS, EM of the h1 model to 1e-11), which has the higher loglikelihood and
agrees with ours to 1.4e-8 (loadings) and 3e-8 relative (observed-information standard
errors, numerical Hessians on both sides); estimates are compared with that fit, fit
measures with both. The 13-factor EFA's loadings agree with psych/GPArotation to 1e-4
(measured 2.5e-5: GPArotation's oblimin stops at its own tolerance), its RMSEA and TLI to 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import HS_CONSTRUCTS
from helpers import LAVAAN_FIT_KEYS as FIT_KEYS

from workbench.intake.data import load_survey
from workbench.measurement import factors
from workbench.measurement.scales import cronbach_alpha, omega_total, reliability
from workbench.sem.model import SEMResult, fit_cfa, modification_indices
from workbench.studies.factor_analysis import align_factors

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
REF_DIR = ROOT / "tests" / "reference"
REF = json.loads((REF_DIR / "r_fiml_cfa.json").read_text(encoding="utf-8"))
MI_REF = json.loads((REF_DIR / "r_fiml_modindices.json").read_text(encoding="utf-8"))
CASES = ["holzinger_mcar", "holzinger_mar", "loyalty"]


@pytest.fixture(scope="module")
def survey():
    return load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def case_data(survey) -> dict[str, tuple[pd.DataFrame, dict[str, list[str]]]]:
    return {
        "holzinger_mcar": (pd.read_csv(REF_DIR / "holzinger_swineford_mcar.csv"), HS_CONSTRUCTS),
        "holzinger_mar": (pd.read_csv(REF_DIR / "holzinger_swineford_mar.csv"), HS_CONSTRUCTS),
        "loyalty": (survey.items, dict(survey.codebook.construct_items)),
    }


@pytest.fixture(scope="module")
def fits(case_data) -> dict[str, SEMResult]:
    return {
        name: fit_cfa(data, constructs, missing="fiml")
        for name, (data, constructs) in case_data.items()
    }


def _row(estimates: pd.DataFrame, lhs: str, op: str, rhs: str) -> pd.Series:
    if op == "~1":
        hit = estimates[(estimates["op"] == op) & (estimates["lhs"] == lhs)]
    else:
        hit = estimates[
            (estimates["op"] == op)
            & (
                ((estimates["lhs"] == lhs) & (estimates["rhs"] == rhs))
                | ((op == "~~") & (estimates["lhs"] == rhs) & (estimates["rhs"] == lhs))
            )
        ]
    assert len(hit) == 1, (lhs, op, rhs)
    return hit.iloc[0]


# ------------------------------------------------------------------------------ the data


def test_the_prepared_loyalty_items_are_the_ones_r_analysed(survey):
    check = REF["loyalty"]["data_check"]
    items = survey.items[check["items"]]
    assert len(items) == check["n_rows"] == 800
    assert items.notna().sum().tolist() == check["answered"]
    np.testing.assert_allclose(items.sum().to_numpy(), check["sums"], rtol=0, atol=1e-9)
    assert len(items.dropna()) == check["complete"] == 479  # what listwise deletion keeps


# ------------------------------------------------------------------------------ FIML CFA


@pytest.mark.parametrize("case", CASES)
def test_fiml_cfa_fit_measures_equal_lavaan_missing_ml(fits, case):
    ours = fits[case].fit
    for fit in (REF[case]["fit"], REF[case]["converged_fit"]["fit"]):
        for theirs, key in FIT_KEYS.items():
            assert ours[key] == pytest.approx(fit[theirs], rel=0, abs=1e-6), (case, theirs)
    assert ours["converged"]


@pytest.mark.parametrize("case", CASES)
def test_fiml_cfa_keeps_every_respondent_with_an_answer(fits, case_data, case):
    data, _ = case_data[case]
    assert fits[case].n == REF[case]["fit"]["ntotal"] == int(data.notna().any(axis=1).sum())
    assert fits[case].n > len(data.dropna())
    assert fits[case].missing == "fiml"


@pytest.mark.parametrize("case", CASES)
def test_fiml_cfa_estimates_equal_lavaan_converged_to_the_optimum(fits, case):
    converged = REF[case]["converged_fit"]
    # lavaan's default nlminb stops a little short: BFGS reaches a higher loglikelihood, ours
    assert converged["logl_gain"] >= 0
    assert fits[case].fit["logl"] >= REF[case]["fit"]["logl"]
    est = fits[case].estimates
    table = pd.DataFrame(converged["estimates"])
    assert len(est) == len(table)
    for row in table.itertuples():
        ours = _row(est, row.lhs, row.op, row.rhs)
        where = f"{case}: {row.lhs} {row.op} {row.rhs}"
        assert ours["estimate"] == pytest.approx(row.est, rel=0, abs=1e-6), where
        assert ours["std_all"] == pytest.approx(row.std_all, rel=0, abs=1e-6), where


@pytest.mark.parametrize("case", CASES)
def test_fiml_cfa_loadings_are_within_lavaan_default_convergence(fits, case):
    # against lavaan's default stopping point the loadings differ by its own precision
    table = pd.DataFrame(REF[case]["estimates"])
    loadings = table[table["op"] == "=~"]
    worst = max(
        abs(_row(fits[case].estimates, r.lhs, r.op, r.rhs)["estimate"] - r.est)
        for r in loadings.itertuples()
    )
    assert worst < 1e-5  # measured: 6e-7 (MCAR), 1.2e-6 (MAR), 5.5e-6 (survey)


@pytest.mark.parametrize("case", CASES)
def test_fiml_standard_errors_match_lavaan_observed_information(fits, case):
    table = pd.DataFrame(REF[case]["converged_fit"]["estimates"])
    for row in table[table["se"] > 0].itertuples():
        ours = _row(fits[case].estimates, row.lhs, row.op, row.rhs)
        where = f"{case}: {row.lhs} {row.op} {row.rhs}"
        assert ours["se"] == pytest.approx(row.se, rel=1e-6), where


@pytest.mark.parametrize("case", CASES)
def test_fiml_composite_reliability_ave_and_htmt_match_semtools(fits, case):
    ref = REF[case]
    for name, value in ref["converged_fit"]["composite_reliability"].items():
        assert fits[case].composite_reliability()[name] == pytest.approx(value, abs=1e-6)
        assert fits[case].ave()[name] == pytest.approx(ref["converged_fit"]["ave"][name], abs=1e-6)
    names = ref["htmt_names"]
    ours = fits[case].htmt().loc[names, names].to_numpy()
    # HTMT2 on the EM correlations: semTools given lavaan's EM matrix at a tight tolerance
    np.testing.assert_allclose(ours, np.array(ref["htmt2_tight"]), rtol=0, atol=1e-6)
    # semTools::htmt(model, data, missing = "ml") uses lavaan's default EM tolerance (1e-5)
    np.testing.assert_allclose(ours, np.array(ref["htmt2"]), rtol=0, atol=1e-5)


def test_fiml_on_complete_data_is_plain_ml(case_data):
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    ml = fit_cfa(hs, HS_CONSTRUCTS)
    fiml = fit_cfa(hs, HS_CONSTRUCTS, missing="fiml")
    for key in ("chi2", "df", "cfi", "tli", "rmsea", "logl"):
        assert fiml.fit[key] == pytest.approx(ml.fit[key], rel=1e-8, abs=1e-8), key
    for key, value in ml.std_loadings.items():
        assert fiml.std_loadings[key] == pytest.approx(value, abs=1e-7), key


# ------------------------------------------------------------------------------ modification indices
# tests/reference/r_fiml_modindices.R: lavaan::modindices(cfa(model, mar, missing = "ml")), whose
# default information = "expected" is, for missing = "ml", the expected information of the
# incomplete data (h1.information = "structured"). Against lavaan carried to the optimum by
# Newton steps ("converged"): every index to 1e-6 relative (measured 2.9e-10); against lavaan's
# default stopping point (gradient 4e-7): the top ten to 1e-4 (measured 4.9e-6; the smallest
# indices, near 0, move by up to 1.8e-4 relative with the estimates' last digits).


def _mi_merged(ours: pd.DataFrame, fit: str) -> pd.DataFrame:
    theirs = pd.DataFrame(MI_REF[fit]["modindices"])
    merged = ours.merge(theirs, on=["lhs", "op", "rhs"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    return merged


def test_fiml_modification_indices_equal_lavaan_at_the_optimum(fits):
    assert MI_REF["modindices_information"] == "expected"
    assert MI_REF["h1_information"][0] == "structured"
    ours = modification_indices(fits["holzinger_mar"], top=None)
    merged = _mi_merged(ours, "converged")
    assert len(merged) == 54  # 18 cross-loadings and 36 residual covariances
    for col in ("mi", "epc", "sepc_all"):
        np.testing.assert_allclose(merged[f"{col}_x"], merged[f"{col}_y"], rtol=1e-6, err_msg=col)


def test_fiml_modification_indices_top_ten_match_lavaan_defaults(fits):
    ours = modification_indices(fits["holzinger_mar"], top=10)
    theirs = pd.DataFrame(MI_REF["default"]["modindices"]).sort_values("mi", ascending=False)
    theirs = theirs.head(10).reset_index(drop=True)
    assert (
        ours[["lhs", "op", "rhs"]].values.tolist() == theirs[["lhs", "op", "rhs"]].values.tolist()
    )
    for col in ("mi", "epc", "sepc_all"):
        np.testing.assert_allclose(ours[col], theirs[col], rtol=1e-4, err_msg=col)
    # chosen rows: the largest cross-loading and residual covariance, and a negative EPC
    top = ours.set_index(["lhs", "op", "rhs"])
    assert top.loc[("visual", "=~", "x9"), "mi"] == pytest.approx(22.5818, abs=1e-4)
    assert top.loc[("x7", "~~", "x8"), "epc"] == pytest.approx(0.553107, abs=1e-6)
    assert top.loc[("visual", "=~", "x7"), "sepc_all"] == pytest.approx(-0.247622, abs=1e-6)


def test_fiml_modification_indices_of_complete_data_are_the_listwise_ones():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")
    ml = modification_indices(fit_cfa(hs, HS_CONSTRUCTS), top=None)
    fiml = modification_indices(fit_cfa(hs, HS_CONSTRUCTS, missing="fiml"), top=None)
    merged = ml.merge(fiml, on=["lhs", "op", "rhs"])
    assert len(merged) == len(ml) == len(fiml) == 54
    for col in ("mi", "epc", "sepc_all"):
        np.testing.assert_allclose(merged[f"{col}_x"], merged[f"{col}_y"], rtol=1e-6, err_msg=col)


# ------------------------------------------------------------------------------ EM correlations


@pytest.mark.parametrize("case", CASES)
def test_em_correlations_equal_lavaan_em(case_data, case):
    em = REF[case]["em"]
    data, _ = case_data[case]
    corr = factors.item_correlations(data[em["items"]], missing="em")
    assert corr.missing == "em" and corr.n_obs == em["n"]
    assert corr.moments is not None and corr.moments.converged
    np.testing.assert_allclose(corr.r, np.array(em["cor"]), rtol=0, atol=1e-6)
    # lavCor(missing = "ml") at a tight EM tolerance; at lavaan's default (em.h1.tol = 1e-5)
    # it is up to 8e-6 away from the optimum, as lavaan's own tight EM shows
    np.testing.assert_allclose(corr.r, np.array(em["lavcor_tight"]), rtol=0, atol=1e-6)
    np.testing.assert_allclose(corr.r, np.array(em["lavcor"]), rtol=0, atol=1e-5)
    np.testing.assert_allclose(corr.moments.mean.to_numpy(), em["mean"], rtol=0, atol=1e-6)


def test_em_correlations_of_complete_data_are_pearson_correlations():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    em = factors.item_correlations(hs, missing="em")
    np.testing.assert_allclose(em.r, hs.corr().to_numpy(), rtol=0, atol=1e-9)
    assert em.n_obs == len(hs)


def test_em_correlations_use_every_respondent_with_an_answer_and_no_empty_row():
    x = pd.read_csv(REF_DIR / "holzinger_swineford_mar.csv")
    empty = pd.DataFrame([[np.nan] * x.shape[1]], columns=x.columns)
    with_empty = pd.concat([x, empty, empty], ignore_index=True)
    a = factors.item_correlations(x, missing="em")
    b = factors.item_correlations(with_empty, missing="em")
    assert a.n_obs == b.n_obs == 301
    np.testing.assert_allclose(a.r, b.r, rtol=0, atol=1e-12)


def test_em_correlations_refuse_a_constant_item_by_name():
    from workbench.errors import InputError

    x = pd.read_csv(REF_DIR / "holzinger_swineford_mcar.csv")
    x["x5"] = np.where(x["x5"].isna(), np.nan, 3.0)
    with pytest.raises(InputError, match="same value") as info:
        factors.item_correlations(x, missing="em")
    assert info.value.column == "x5"


# ------------------------------------------------------------------------------ psych on EM


@pytest.fixture(scope="module")
def loyalty_em(survey) -> factors.ItemCorrelations:
    return factors.item_correlations(survey.items[REF["loyalty"]["em"]["items"]], missing="em")


def test_kmo_and_bartlett_on_the_em_matrix_equal_psych(loyalty_em):
    ref = REF["loyalty"]["psych"]
    k = factors.kmo(corr=loyalty_em)
    assert k.overall == pytest.approx(ref["kmo_overall"], rel=1e-6)
    for item, value in ref["kmo_items"].items():
        assert k.items[item] == pytest.approx(value, rel=1e-6), item
    b = factors.bartlett_sphericity(corr=loyalty_em)
    assert b.n_obs == ref["n"] == 800  # psych's n for a given matrix: respondents with an answer
    assert b.chi2 == pytest.approx(ref["bartlett"]["chi2"], rel=1e-6)
    assert b.df == ref["bartlett"]["df"]


def test_efa_on_the_em_matrix_equals_psych_fa_with_n_obs(loyalty_em):
    ref = REF["loyalty"]["psych"]["efa"]
    res = factors.efa(None, 13, method="minres", rotation="oblimin", corr=loyalty_em)
    assert res.n_obs == 800
    theirs = pd.DataFrame(
        ref["loadings"], index=ref["items"], columns=[f"F{i + 1}" for i in range(13)]
    )
    aligned = align_factors(res.loadings.loc[theirs.index], theirs)
    np.testing.assert_allclose(aligned.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        res.communalities.loc[theirs.index].to_numpy(), ref["communality"], rtol=0, atol=1e-4
    )
    assert res.fit.rmsea == pytest.approx(ref["rmsea"], abs=1e-6)
    assert res.fit.tli == pytest.approx(ref["tli"], abs=1e-6)
    assert res.fit.chi2 == pytest.approx(ref["chi2"], rel=1e-5)
    assert res.fit.df == ref["df"]


def test_alpha_and_omega_from_the_em_covariances_equal_psych(survey, loyalty_em):
    ref = REF["loyalty"]["psych"]["reliability"]
    constructs = survey.codebook.construct_items
    joint = reliability(survey.items, constructs, missing="em")
    shared = reliability(survey.items, constructs, missing="em", moments=loyalty_em.moments)
    for name, values in ref.items():
        row = joint.table.loc[name]
        assert row["alpha"] == pytest.approx(values["raw_alpha"], abs=1e-6), name
        assert row["std_alpha"] == pytest.approx(values["std_alpha"], abs=1e-6), name
        assert row["omega_total"] == pytest.approx(values["omega_total"], abs=1e-6), name
        assert row["n"] == 800
        assert shared.table.loc[name, "alpha"] == pytest.approx(row["alpha"], abs=1e-9)
    assert joint.missing == "em"


def test_em_alpha_equals_listwise_alpha_on_complete_data_and_ignores_item_order():
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")[["x4", "x5", "x6"]]
    em = cronbach_alpha(hs, missing="em")
    assert em.alpha == pytest.approx(cronbach_alpha(hs).alpha, abs=1e-10)
    assert em.std_alpha == pytest.approx(cronbach_alpha(hs).std_alpha, abs=1e-10)
    mar = pd.read_csv(REF_DIR / "holzinger_swineford_mar.csv")[["x4", "x5", "x6"]]
    a = cronbach_alpha(mar, missing="em")
    b = cronbach_alpha(mar[["x6", "x4", "x5"]], missing="em")
    assert a.alpha == pytest.approx(b.alpha, abs=1e-10)
    assert a.n == 301 and a.missing == "em"
    om = omega_total(mar, missing="em")
    assert om.n == 301 and 0 < om.omega_total < 1


def test_em_reliability_gives_a_constant_item_no_variance_as_listwise_does():
    hs = pd.read_csv(REF_DIR / "holzinger_swineford_mcar.csv")
    hs["x2"] = np.where(hs["x2"].isna(), np.nan, 5.0)
    res = reliability(
        hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}, missing="em"
    )
    assert np.isnan(res.table.loc["visual", "std_alpha"])
    assert np.isnan(res.table.loc["visual", "omega_total"])
    assert np.isfinite(res.table.loc["textual", "omega_total"])
    assert any("x2" in w and "no variance" in w for w in res.warnings)
