"""The factor-analysis study end to end (without the notebook): contract and parity.

Golden values: ``tests/reference/expected_shared.json`` (R 4.2.2, psych 2.2.9, lavaan 0.6-14,
semTools 0.5-6). Tolerances are the issue's: KMO and Bartlett 1e-6 relative; alpha and omega
1e-3; loadings 0.01 after matching factor order and sign; EFA RMSEA/TLI 0.005; CFA chi2 0.1%,
CFI/TLI/RMSEA/SRMR 0.002, RMSEA CI 0.005, standardized loadings 0.005, CR/AVE/HTMT 0.01.
Those references are complete-case (listwise) results, so the runs compared with them say
``missing="listwise"``; the default treatment (``fiml``) is compared with lavaan's
``missing = "ml"`` and psych on the EM matrix (``tests/reference/r_fiml_cfa.json``, 1e-6).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.sem.model import fit_cfa
from workbench.sem.ordinal_modindices import ordinal_modification_indices
from workbench.studies import get_study
from workbench.studies.factor_analysis import (
    align_factors,
    analyse,
    check_estimator,
    check_ordered_items,
    check_ordinal_items,
    map_factors_to_constructs,
    ordered_setting,
    preflight,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
EXPECTED = json.loads((ROOT / "tests/reference/expected_shared.json").read_text())
FIML_REF = json.loads((ROOT / "tests/reference/r_fiml_cfa.json").read_text())


@pytest.fixture(scope="module")
def bfi_study():
    # psych's reference values are complete-case results, as the bfi default run states
    survey = load_survey(DATA / "bfi.csv", DATA / "bfi.codebook.yaml")
    return analyse(
        survey,
        n_factors=5,
        missing="listwise",
        replication=str(DATA / "bfi.psych_reference.json"),
        pa_iterations=20,
    )


@pytest.fixture(scope="module")
def hs_study():
    # lavaan's reference is the complete-data ML fit (its SRMR has no mean structure)
    survey = load_survey(
        DATA / "holzinger_swineford_1939.csv", DATA / "holzinger_swineford_1939.codebook.yaml"
    )
    return analyse(survey, missing="listwise", pa_iterations=20)


@pytest.fixture(scope="module")
def loyalty_survey():
    return load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def loyalty_default(loyalty_survey):
    """The default run on the shipped survey (missing=fiml)."""
    return analyse(loyalty_survey, pa_iterations=20)


def test_results_json_carries_every_contract_key(bfi_study):
    res = bfi_study.results()
    json.dumps(res, allow_nan=False)  # plain JSON: NaN became null
    assert set(res["kmo"]) >= {"overall", "items"}
    assert set(res["bartlett"]) >= {"chi2", "df", "p"}
    assert set(res["n_factors"]) >= {"chosen", "parallel_analysis", "map", "kaiser"}
    efa = res["efa"]
    assert set(efa) >= {
        "method", "rotation", "loadings", "factor_correlations", "communalities", "fit", "heywood"
    }  # fmt: skip
    assert set(efa["fit"]) >= {"chi2", "df", "rmsea", "tli", "bic"}
    assert set(efa["loadings"]["A1"]) == {"F1", "F2", "F3", "F4", "F5"}
    for values in res["reliability"].values():
        assert set(values) >= {
            "alpha", "alpha_ci_low", "alpha_ci_high", "omega_total", "composite_reliability", "ave"
        }  # fmt: skip
    assert set(res["cfa"]["fit"]) >= {
        "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"
    }  # fmt: skip
    assert "agreeableness=~A1" in res["cfa"]["std_loadings"]
    assert set(res["cfa"]["htmt"]) == set(bfi_study.survey.codebook.constructs)
    diagnosis = res["missing_diagnosis"]  # screening: missing answers over the 25 items
    assert diagnosis["n_items"] == 25 and diagnosis["little_mcar"]["df"] > 0
    assert diagnosis["complete_cases"] < diagnosis["n_respondents"] == 2800


def test_bfi_replication_matches_psych_within_issue_tolerances(bfi_study):
    ref = EXPECTED["bfi"]
    assert bfi_study.kmo.overall == pytest.approx(ref["kmo_overall"], rel=1e-6)
    assert bfi_study.bartlett.chi2 == pytest.approx(ref["bartlett"]["chi2"], rel=1e-6)
    for name, vals in ref["reliability"].items():
        row = bfi_study.reliability.table.loc[name]
        assert row["alpha"] == pytest.approx(vals["alpha"], abs=1e-3)
        assert row["omega_total"] == pytest.approx(vals["omega_total_1f"], abs=1e-3)
        assert row["n"] == ref["n_complete"]
    efa = ref["efa_minres_oblimin_5"]
    assert bfi_study.efa.fit.rmsea == pytest.approx(efa["rmsea"], abs=0.005)
    assert bfi_study.efa.fit.tli == pytest.approx(efa["tli"], abs=0.005)
    table = bfi_study.replication
    assert table.loc["EFA loadings: largest |difference|", "workbench"] < 0.01
    # the replication table itself reports differences at the same tolerances
    assert table.loc["KMO overall", "difference"] == pytest.approx(0, abs=1e-6)


def test_reverse_coded_items_load_with_flipped_sign_against_the_raw_item_solution(bfi_study):
    # psych analysed raw items; our A1 is reverse-coded (7 - x), so its loading flips sign
    ref = pd.DataFrame(
        {r["_row"]: {k: v for k, v in r.items() if k != "_row"}
         for r in EXPECTED["bfi"]["efa_minres_oblimin_5"]["loadings"]}
    ).T  # fmt: skip
    ours = align_factors(bfi_study.efa.loadings.loc[ref.index], ref)
    a1_factor = ref.loc["A1"].abs().idxmax()
    assert np.sign(ours.loc["A1", a1_factor]) == -np.sign(ref.loc["A1", a1_factor])


def test_bfi_items_map_onto_their_five_scales(bfi_study):
    fm = bfi_study.factor_map
    assert (fm["items_on_factor"] == 5).all()
    assert fm["factor"].nunique() == 5
    assert any("load mainly on a factor of their own, as designed" in f for f in bfi_study.findings)


def test_holzinger_cfa_through_the_codebook_matches_lavaan(hs_study):
    ref = EXPECTED["holzinger_cfa"]
    fit = hs_study.cfa.fit
    assert fit["chi2"] == pytest.approx(ref["fit"]["chisq"], rel=1e-3)
    assert fit["df"] == ref["fit"]["df"]
    for ours, theirs in [("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("srmr", "srmr")]:
        assert fit[ours] == pytest.approx(ref["fit"][theirs], abs=0.002)
    assert fit["rmsea_ci_low"] == pytest.approx(ref["fit"]["rmsea.ci.lower"], abs=0.005)
    assert fit["rmsea_ci_high"] == pytest.approx(ref["fit"]["rmsea.ci.upper"], abs=0.005)
    for key, value in ref["std_loadings"].items():
        assert hs_study.cfa.std_loadings[key] == pytest.approx(value, abs=0.005)
    table = hs_study.reliability_table()
    for name, value in ref["composite_reliability"].items():
        assert table.loc[name, "composite_reliability"] == pytest.approx(value, abs=0.01)
        assert table.loc[name, "ave"] == pytest.approx(ref["ave"][name], abs=0.01)
    names = ref["htmt_names"]
    htmt = hs_study.cfa.htmt().loc[names, names].to_numpy()
    np.testing.assert_allclose(htmt, np.array(ref["htmt"]), atol=0.01)


def test_continuous_measures_have_no_distribution_but_still_get_every_analysis(hs_study):
    assert hs_study.screening.distribution is None
    assert hs_study.n_factors_chosen >= 1
    assert hs_study.cfa is not None


def test_split_half_is_reproducible_and_uses_disjoint_halves():
    survey = load_survey(DATA / "bfi.csv", DATA / "bfi.codebook.yaml")
    a = analyse(survey, n_factors=5, split_half=True, seed=11, pa_iterations=10)
    b = analyse(survey, n_factors=5, split_half=True, seed=11, pa_iterations=10)
    c = analyse(survey, n_factors=5, split_half=True, seed=12, pa_iterations=10)
    assert a.split == {"seed": 11, "n_efa": 1400, "n_cfa": 1400}
    assert a.efa.n_obs + a.cfa.n <= survey.n
    assert a.cfa.fit["chi2"] == b.cfa.fit["chi2"]
    assert a.cfa.fit["chi2"] != c.cfa.fit["chi2"]
    assert "other random half (seed 11)" in a.cfa_note


def test_polychoric_option_factors_the_polychoric_matrix():
    survey = load_survey(DATA / "bfi.csv", DATA / "bfi.codebook.yaml")
    s = analyse(
        survey,
        n_factors=5,
        correlation="polychoric",
        missing="listwise",  # psych's values below are complete-case values
        cfa=False,
        pa_iterations=10,
    )
    assert s.polychoric is not None
    # reverse-coded A1 (7 - x) flips the sign of psych's raw-item value on complete cases
    assert s.polychoric.corr.loc["A1", "A2"] == pytest.approx(0.4211, abs=1e-3)
    assert s.polychoric.corr.loc["A2", "A3"] == pytest.approx(0.5730, abs=1e-3)
    assert s.results()["correlation"] == "polychoric"
    assert s.cfa is None and "switched off" in s.cfa_note


def test_too_many_factors_for_the_items_is_a_clear_input_error():
    survey = load_survey(DATA / "customer_sat.csv", DATA / "customer_sat.codebook.yaml")
    with pytest.raises(InputError, match="too many for 10 items"):
        analyse(survey, n_factors=8, pa_iterations=10)


def test_a_cfa_that_cannot_be_fitted_becomes_a_warning_not_a_crash():
    survey = load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")
    small = dataclasses.replace(survey, frame=survey.frame.iloc[:120], raw=survey.raw.iloc[:120])
    s = analyse(small, pa_iterations=10)
    assert s.cfa is None
    assert any(w.startswith("CFA skipped") for w in s.warnings)
    assert s.results()["cfa"] is None


def test_loyalty_survey_recovers_the_designed_structure(loyalty_default, loyalty_survey):
    s = loyalty_default
    assert s.n_factors_chosen == len(loyalty_survey.codebook.constructs)
    assert not s.factor_map["shares_factor"].any()
    assert s.cfa.fit["cfi"] > 0.95
    assert any("TR3" in f for f in s.findings)


def test_factor_map_flags_stray_items_and_constructs_that_share_a_factor():
    loadings = pd.DataFrame(
        {
            "F1": [0.7, 0.6, 0.7, 0.1, 0.2, 0.8, 0.7],
            "F2": [0.1, 0.2, 0.1, 0.8, 0.7, 0.1, 0.0],
        },
        index=["a1", "a2", "b1", "b2", "b3", "c1", "c2"],
    )
    constructs = {"a": ["a1", "a2"], "b": ["b1", "b2", "b3"], "c": ["c1", "c2"]}
    fm = map_factors_to_constructs(loadings, constructs)
    assert fm["factor"].to_dict() == {"a": "F1", "b": "F2", "c": "F1"}
    assert fm.loc["b", "stray_items"] == "b1"
    assert fm.loc["b", "items_on_factor"] == 2
    assert fm["shares_factor"].to_dict() == {"a": True, "b": False, "c": True}


def test_study_parameters_match_the_issue_contract():
    study = get_study("factor-analysis")
    names = {p.name for p in study.params}
    assert names >= {
        "n_factors", "method", "rotation", "missing", "correlation", "cfa", "split_half", "seed"
    }  # fmt: skip
    missing = study.param("missing")
    assert missing.default == "fiml"
    assert set(missing.choices) == {"listwise", "pairwise", "fiml"}


def test_default_runs_compared_with_r_complete_cases_state_listwise():
    runs = get_study("factor-analysis").default_runs
    replications = [r for r in runs if r.params.get("replication")]
    assert replications and all(r.params["missing"] == "listwise" for r in replications)
    assert all("missing" not in r.params for r in runs if not r.params.get("replication"))


def test_three_respondents_stop_with_a_clear_message_not_a_linear_algebra_error(tmp_path):
    path = tmp_path / "three.csv"
    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    survey = load_survey(path, DATA / "loyalty_survey.codebook.yaml")
    with pytest.raises(InputError, match="Only 3 usable respondent"):
        analyse(survey, pa_iterations=10)


@pytest.mark.parametrize(
    ("missing", "how"), [("listwise", "listwise"), ("pairwise", "pairwise"), ("fiml", "em")]
)
def test_the_item_correlation_matrix_is_computed_once_per_run(monkeypatch, missing, how):
    """KMO, Bartlett, parallel analysis, MAP, Kaiser and the EFA share one matrix."""
    from workbench.measurement import factors

    calls = []
    real = factors._correlation_from_data

    def counted(data, how):
        calls.append(how)
        return real(data, how)

    monkeypatch.setattr(factors, "_correlation_from_data", counted)
    survey = load_survey(
        DATA / "holzinger_swineford_1939.csv", DATA / "holzinger_swineford_1939.codebook.yaml"
    )
    study = analyse(survey, pa_iterations=10, missing=missing, cfa=False)
    assert calls == [how]
    assert study.efa.loadings.shape[1] >= 1


def test_fiml_estimates_the_em_moments_once_for_factor_analysis_and_reliability(
    monkeypatch, loyalty_survey
):
    from workbench.measurement import factors, scales

    calls = []
    real = factors.estimate_em_moments

    def counted(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    def refused(*args, **kwargs):
        raise AssertionError("reliability estimated the EM moments again")

    monkeypatch.setattr(factors, "estimate_em_moments", counted)
    monkeypatch.setattr(scales, "estimate_em_moments", refused)
    study = analyse(loyalty_survey, pa_iterations=10, cfa=False)
    assert calls == [(800, 44)]
    assert study.reliability.missing == "em"


# --------------------------------------------------------------------------- missing=fiml


def test_default_run_keeps_all_800_respondents_in_the_fiml_cfa_and_says_so(loyalty_default):
    s = loyalty_default
    assert s.parameters["missing"] == "fiml"
    assert s.cfa.missing == "fiml" and s.cfa.n == 800  # listwise kept 479
    report = s.missing_report
    assert (report["treatment"], report["n_total"], report["n_used"]) == ("fiml", 800, 800)
    assert report["analyses"]["cfa"]["n"] == 800
    assert report["analyses"]["factor_analysis"]["n"] == 800
    assert set(report["analyses"]["reliability"]["n"].values()) == {800}
    assert "FIML" in s.cfa_note and "n = 800" in s.cfa_note
    sentence = next(f for f in s.findings if f.startswith("Missing answers"))
    assert "all 800 respondents" in sentence and "EM correlations of 800" in sentence
    table = s.missing_table()
    assert table["n"].tolist() == [800, "800", 800]
    assert s.headline()["CFA respondents"] == 800
    json.dumps(s.results(), allow_nan=False)


def test_default_run_cfa_is_lavaans_fiml_fit(loyalty_default):
    ref = FIML_REF["loyalty"]["fit"]
    fit = loyalty_default.cfa.fit
    for ours, theirs in [("chi2", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea")]:
        assert fit[ours] == pytest.approx(ref[theirs], rel=0, abs=1e-6), theirs
    assert fit["df"] == ref["df"]


def test_default_run_factors_and_reliability_come_from_the_em_matrix(loyalty_default):
    ref = FIML_REF["loyalty"]["psych"]
    s = loyalty_default
    assert s.item_correlations.missing == "em" and s.item_correlations.n_obs == 800
    np.testing.assert_allclose(
        s.item_correlations.r, np.array(FIML_REF["loyalty"]["em"]["cor"]), rtol=0, atol=1e-6
    )
    assert s.kmo.overall == pytest.approx(ref["kmo_overall"], rel=1e-6)
    assert s.bartlett.chi2 == pytest.approx(ref["bartlett"]["chi2"], rel=1e-6)
    assert s.efa.n_obs == s.parallel.n_obs == 800
    for name, values in ref["reliability"].items():
        assert s.reliability.table.loc[name, "alpha"] == pytest.approx(
            values["raw_alpha"], abs=1e-6
        )
        assert s.reliability.table.loc[name, "omega_total"] == pytest.approx(
            values["omega_total"], abs=1e-6
        )
    # a FIML fit has its modification indices too (checked against lavaan in test_fiml.py)
    mi = s.modification_table()
    assert mi is not None and len(mi) == 10 and (mi["mi"] > 0).all()
    assert s.htmt_table() is not None


def test_listwise_stays_available_and_uses_the_complete_cases(loyalty_survey):
    s = analyse(loyalty_survey, missing="listwise", pa_iterations=10)
    assert s.cfa.n == s.efa.n_obs == s.n_used == 479
    assert s.missing_report["analyses"]["cfa"]["n"] == 479
    assert any("listwise deletion" in f for f in s.findings)
    assert s.modification_table() is not None


def test_polychoric_with_fiml_falls_back_to_pairwise_polychoric_with_a_warning(loyalty_survey):
    s = analyse(loyalty_survey, correlation="polychoric", cfa=False, pa_iterations=10)
    assert s.polychoric is not None and s.item_correlations is None
    assert any(w.startswith("Polychoric correlations have no EM") for w in s.warnings)
    assert s.missing_report["analyses"]["factor_analysis"]["method"].startswith("pairwise")
    assert s.reliability.missing == "em"


def test_an_unknown_missing_treatment_is_refused(loyalty_survey):
    with pytest.raises(ValueError, match="fiml, listwise, pairwise"):
        analyse(loyalty_survey, missing="mean", pa_iterations=10)


def test_a_codebook_with_fewer_than_three_items_is_named(tmp_path):
    from workbench.errors import InputError
    from workbench.intake.codebook import Codebook
    from workbench.intake.data import load_survey
    from workbench.studies.factor_analysis import analyse

    path = tmp_path / "s.csv"
    path.write_text("TR1,SA1\n" + "".join(f"{i % 7 + 1},{(i * 3) % 7 + 1}\n" for i in range(40)))
    cb = Codebook.from_dict(
        {"scale": {"min": 1, "max": 7}, "constructs": {"t": ["TR1"], "s": ["SA1"]}}
    )
    with pytest.raises(InputError, match="lists 2 item\\(s\\) \\(TR1, SA1\\); a factor analysis"):
        analyse(load_survey(path, cb))


# --------------------------------------------------------------------------- estimator=wlsmv
ORDINAL_REF = json.loads((ROOT / "tests/reference/ordinal_cfa_validity.json").read_text())
HS_FACTORS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
              "speed": ["x7", "x8", "x9"]}  # fmt: skip


@pytest.fixture(scope="module")
def loyalty_wlsmv(loyalty_survey):
    """The shipped survey with the CFA by WLSMV (complete cases)."""
    return analyse(loyalty_survey, estimator="wlsmv", missing="listwise", pa_iterations=10)


def test_wlsmv_cfa_is_fit_ordinal_cfa_on_the_complete_cases(loyalty_wlsmv, loyalty_survey):
    from workbench.sem.ordinal import fit_ordinal_cfa

    s = loyalty_wlsmv
    constructs = s.cfa.constructs
    items = [i for v in constructs.values() for i in v]
    direct = fit_ordinal_cfa(loyalty_survey.items[items].dropna(), constructs)
    assert s.ordinal and s.cfa.estimator == "WLSMV" and s.cfa.n == direct.n == 479
    ours, theirs = s.cfa.estimates, direct.estimates
    assert ours[["lhs", "op", "rhs"]].equals(theirs[["lhs", "op", "rhs"]])
    for column in ("estimate", "se", "std_all"):
        np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-10, atol=1e-12)
    assert s.cfa.result.fit["chisq.scaled"] == pytest.approx(direct.fit["chisq.scaled"], rel=1e-10)
    # the contract fit is the scaled-shifted test with the robust indices (Savalei 2021)
    f, lav = s.cfa.fit, direct.fit
    assert (f["chi2"], f["df"], f["p"]) == pytest.approx(
        (lav["chisq.scaled"], lav["df.scaled"], lav["pvalue.scaled"]), rel=1e-10
    )
    for key in ("cfi", "tli", "rmsea"):
        assert f[key] == pytest.approx(lav[f"{key}.robust"], rel=1e-10)
    assert f["rmsea_ci_high"] == pytest.approx(lav["rmsea.ci.upper.robust"], rel=1e-10)
    assert f["srmr"] == pytest.approx(lav["srmr"], rel=1e-10)
    assert s.cfa.fit_basis == "robust"
    # modification indices under WLSMV (checked against lavaan in test_sem_ordinal_modindices.py)
    mi = s.modification_table()
    expected = ordinal_modification_indices(direct, top=10)
    assert mi is not None and list(mi["lhs"]) == list(expected["lhs"])
    np.testing.assert_allclose(mi["mi"], expected["mi"], rtol=1e-10)
    assert "score test against the unscaled DWLS chi-square" in s.modification_basis_note


def test_wlsmv_adds_ordinal_alpha_and_categorical_omega_beside_the_continuous_ones(
    loyalty_wlsmv, loyalty_survey
):
    from workbench.sem import categorical_omega, ordinal_alpha

    s = loyalty_wlsmv
    items = [i for v in s.cfa.constructs.values() for i in v]
    complete = loyalty_survey.items[items].dropna()
    table = s.reliability_table()
    for name, construct_items in s.cfa.constructs.items():
        assert table.loc[name, "ordinal_alpha"] == pytest.approx(
            ordinal_alpha(complete, construct_items), rel=1e-12
        )
    np.testing.assert_allclose(
        table.loc[list(s.cfa.constructs), "categorical_omega"],
        categorical_omega(s.cfa.result)[list(s.cfa.constructs)],
        rtol=1e-12,
    )
    # polychoric alpha exceeds Pearson alpha on the same items (coarse categories attenuate r)
    assert (table["ordinal_alpha"] > table["alpha"] - 0.02).all()
    rel = s.results()["reliability"]
    assert {"ordinal_alpha", "categorical_omega"} <= set(rel[next(iter(s.cfa.constructs))])
    assert "Ordinal alpha" in s.reliability_note and "categorical omega" in s.reliability_note


def test_wlsmv_results_json_keeps_the_cfa_contract_and_adds_lavaans_fit(loyalty_wlsmv):
    res = loyalty_wlsmv.results()
    json.dumps(res, allow_nan=False)
    cfa = res["cfa"]
    assert set(cfa["fit"]) >= {
        "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"
    }  # fmt: skip
    assert cfa["estimator"] == "wlsmv" and cfa["fit_basis"] == "robust"
    assert set(cfa["fit_ordinal"]) >= {
        "chisq", "chisq.scaled", "df.scaled", "pvalue.scaled", "cfi.scaled", "cfi.robust",
        "tli.robust", "rmsea.robust", "srmr"
    }  # fmt: skip
    assert cfa["fit"]["chi2"] == cfa["fit_ordinal"]["chisq.scaled"]
    assert cfa["fit"]["cfi"] == cfa["fit_ordinal"]["cfi.robust"]
    assert "education=~ED1" in cfa["std_loadings"]
    assert set(cfa["htmt"]) == set(loyalty_wlsmv.cfa.constructs)
    assert cfa["reliability_scale"] == "latent_response"
    for values in res["reliability"].values():
        assert 0 < values["composite_reliability"] < 1 and 0 < values["ave"] < 1
    assert loyalty_wlsmv.missing_report["analyses"]["cfa"]["method"].startswith("WLSMV")


def test_wlsmv_findings_say_why_and_what_changed_against_ml(loyalty_wlsmv, loyalty_survey):
    s = loyalty_wlsmv
    assert any("treats the 44 items as ordered categories (WLSMV)" in f for f in s.findings)
    sentence = next(f for f in s.findings if f.startswith("Against ML on the same 479"))
    # the ML side is the ML CFA of the same complete cases
    items = [i for v in s.cfa.constructs.values() for i in v]
    ml = fit_cfa(loyalty_survey.items[items].dropna(), s.cfa.constructs)
    assert f"CFI from {ml.fit['cfi']:.3f} to {s.cfa.fit['cfi']:.3f}" in sentence
    assert f"RMSEA from {ml.fit['rmsea']:.3f} to {s.cfa.fit['rmsea']:.3f}" in sentence
    mean_ml = np.mean(list(ml.std_loadings.values()))
    assert f"mean standardized loading from {mean_ml:.2f}" in sentence
    table = s.cfa_fit_table()
    assert list(table.columns) == ["plain", "scaled", "robust", "reading"]
    assert table.loc["CFI", "robust"] == pytest.approx(s.cfa.fit["cfi"], rel=1e-12)
    assert "robust CFI, TLI and RMSEA (Savalei 2021)" in s.cfa_fit_note
    assert "ord.scale = FALSE" in s.reliability_note
    assert (s.estimator_table()["categories"] == 7).all()


@pytest.mark.parametrize("cut", ["hs3", "hs5"])
def test_ordinal_reliability_and_validity_match_semtools(cut):
    """CR, AVE, factor correlations, HTMT and residuals of an ordinal fit against
    tests/reference/ordinal_cfa_validity.R (semTools 0.5-6, lavaan 0.6-14). lavaan stops its
    optimizer about 1e-5 (relative) short of the optimum (tests/test_ordinal_cfa.py), which
    moves these values by up to 7e-7; hence 2e-6."""
    from workbench.sem import ordinal_view as ov
    from workbench.sem.ordinal import fit_ordinal_cfa

    ref = ORDINAL_REF[cut]
    hs = pd.read_csv(ROOT / "tests/reference/lavaan_wlsmv_hs_cut.csv")
    data = hs[hs["categories"] == int(cut[2:])].drop(columns="categories")
    res = fit_ordinal_cfa(data, HS_FACTORS)
    view = ov.OrdinalCFAView(res)
    names = list(HS_FACTORS)
    cr, av = view.composite_reliability(), view.ave()
    for name in names:
        assert cr[name] == pytest.approx(ref["composite_reliability"][name], abs=2e-6)
        assert av[name] == pytest.approx(ref["ave"][name], abs=2e-6)
    np.testing.assert_allclose(
        ov.latent_correlations(res).loc[names, names], ref["cor_lv"], rtol=0, atol=2e-6
    )
    np.testing.assert_allclose(view.htmt().loc[names, names], ref["htmt"], rtol=0, atol=2e-6)
    fl = view.fornell_larcker()
    assert fl.loc["visual", "visual"] == pytest.approx(np.sqrt(ref["ave"]["visual"]), abs=2e-6)
    resid = view.residual_correlations(top=None)
    pos = {v: k for k, v in enumerate(ref["names"])}
    expected = [
        ref["residual_cor"][pos[a]][pos[b]] for a, b in zip(resid.var1, resid.var2, strict=True)
    ]
    np.testing.assert_allclose(resid["residual"], expected, rtol=0, atol=2e-6)


@pytest.mark.parametrize(
    ("estimator", "missing", "ordered", "message"),
    [
        ("wlsmv", "fiml", "auto", "estimator=wlsmv cannot be used with missing=fiml"),
        ("dwls", "pairwise", "auto", "estimator=dwls cannot be used with missing=pairwise"),
        ("wlsmv", "listwise", "none", "ordered=none cannot be used with estimator=wlsmv"),
        ("ml", "fiml", "all", "ordered=all cannot be used with estimator=ml"),
        ("mlr", "fiml", "all", "ordered=all cannot be used with estimator=mlr"),
        ("mle", "fiml", "auto", "Unknown CFA estimator 'mle'"),
    ],
)
def test_estimator_combinations_the_study_cannot_fit_are_refused(
    estimator, missing, ordered, message
):
    with pytest.raises(InputError, match=message) as info:
        check_estimator(estimator, missing, ordered)
    if missing != "listwise" and estimator in ("wlsmv", "dwls"):  # the way out is said
        assert "missing=listwise" in str(info.value)


@pytest.mark.parametrize(
    ("estimator", "parameterization", "message"),
    [
        ("ml", "theta", "parameterization=theta cannot be used with estimator=ml"),
        ("wlsmv", "gamma", "Unknown value parameterization=gamma"),
        ("uls", "theta", "parameterization=theta cannot be used with estimator=uls"),
    ],
)
def test_parameterizations_the_study_cannot_use_are_refused(estimator, parameterization, message):
    with pytest.raises(InputError, match=message) as info:
        check_estimator(estimator, "listwise", parameterization=parameterization)
    assert "parameterization=delta" in str(info.value.hint)


@pytest.fixture(scope="module")
def hs3_survey(tmp_path_factory):
    """Holzinger-Swineford x1..x9 cut into 3 categories (tests/reference/lavaan_wlsmv.R)."""
    from workbench.intake.codebook import Codebook

    hs = pd.read_csv(ROOT / "tests/reference/lavaan_wlsmv_hs_cut.csv")
    path = tmp_path_factory.mktemp("hs3") / "hs3.csv"
    hs[hs["categories"] == 3].drop(columns="categories").to_csv(path, index=False)
    cb = Codebook.from_dict({"scale": {"min": 1, "max": 3}, "constructs": HS_FACTORS})
    return load_survey(path, cb)


def test_theta_parameterization_changes_the_estimates_not_the_fit_or_validity(hs3_survey):
    """The study's theta CFA is lavaan's cfa(..., parameterization = "theta") on HS cut 3
    (tests/reference/lavaan_wlsmv_modindices.json; estimates and SEs 1e-4 relative, as
    tests/test_sem_ordinal_modindices.py); the fit, standardized solution, CR, AVE,
    categorical omega and modification indices are those of the delta one."""
    kw = {"estimator": "wlsmv", "missing": "listwise", "pa_iterations": 10}
    d = analyse(hs3_survey, **kw)
    s = analyse(hs3_survey, parameterization="theta", **kw)
    assert s.cfa.result.parameterization == "theta" and s.parameters["parameterization"] == "theta"
    assert "theta parameterization" in s.cfa_note
    ref = json.loads((ROOT / "tests/reference/lavaan_wlsmv_modindices.json").read_text())
    lavaan = pd.DataFrame(ref["theta"]["estimates"]).fillna({"rhs": ""})
    ours = lavaan.merge(s.cfa.estimates, on=["lhs", "op", "rhs"])
    assert len(ours) == len(lavaan)
    scale = np.maximum(np.abs(ours["est"]), 1.0)
    assert np.max(np.abs(ours["estimate"] - ours["est"]) / scale) < 1e-4
    both = d.cfa.estimates.merge(s.cfa.estimates, on=["lhs", "op", "rhs"])
    np.testing.assert_allclose(both["std_all_x"], both["std_all_y"], atol=1e-6)
    assert s.cfa.fit["chi2"] == pytest.approx(d.cfa.fit["chi2"], rel=1e-6)
    for method in ("composite_reliability", "ave"):
        np.testing.assert_allclose(getattr(s.cfa, method)(), getattr(d.cfa, method)(), atol=1e-6)
    np.testing.assert_allclose(
        s.ordinal_reliability["categorical_omega"],
        d.ordinal_reliability["categorical_omega"],
        rtol=1e-12,
    )
    # the score tests do not depend on the parameterization (lavaan's neither)
    mi_d, mi_t = d.modification_table(), s.modification_table()
    assert list(mi_t["rhs"]) == list(mi_d["rhs"])
    np.testing.assert_allclose(mi_t["mi"], mi_d["mi"], rtol=1e-5)


def test_ordered_takes_a_word_or_lavaans_list_of_items():
    assert ordered_setting(["auto"]) == "auto" and ordered_setting("none") == "none"
    assert ordered_setting(None) == "auto" and ordered_setting([]) == "auto"
    assert ordered_setting(["q1", "q2"]) == ["q1", "q2"]
    with pytest.raises(InputError, match="mixes the word 'all' with item names"):
        ordered_setting(["all", "q1"])
    # the registry's type is a list: a bare word from --param becomes a one-element list
    spec = get_study("factor-analysis")
    assert spec.validate({"ordered": "all"})["ordered"] == ["all"]
    assert spec.validate({"ordered": ["TR1", "TR2"]})["ordered"] == ["TR1", "TR2"]


def test_an_ordered_list_must_name_known_items_and_may_leave_cfa_items_continuous():
    cfa_items, known = ["a1", "a2", "b1", "b2"], ["a1", "a2", "b1", "b2", "c1"]
    assert check_ordered_items(["b2", "b1", "a2", "a1", "c1"], cfa_items, known) == "all"
    assert check_ordered_items("auto", cfa_items, known) == "auto"
    with pytest.raises(InputError, match="ordered names zz, which is not an item") as info:
        check_ordered_items(["a1", "zz"], cfa_items, known)
    assert info.value.column == "zz"
    # b1 and b2 left out are continuous (lavaan's ordered=; see ordinal_item_table)
    assert check_ordered_items(["a1", "a2"], cfa_items, known) == "all"
    with pytest.raises(InputError, match=r"ordered=\['a1'\] cannot be used with estimator=ml"):
        check_estimator("ml", "fiml", ["a1"])


def test_preflight_checks_an_ordered_list_against_the_cfa_items():
    data, codebook = str(DATA / "loyalty_survey.csv"), str(DATA / "loyalty_survey.codebook.yaml")
    survey = load_survey(data, codebook)
    items = [i for v in survey.codebook.construct_items.values() if len(v) >= 2 for i in v]
    params = {"estimator": "wlsmv", "missing": "listwise"}
    assert preflight(data, codebook, {**params, "ordered": items}) == survey.n
    with pytest.raises(InputError, match="ordered names XX9"):
        preflight(data, codebook, {**params, "ordered": [*items, "XX9"]})
    # items left out of the list are continuous (as lavaan's ordered=)
    assert preflight(data, codebook, {**params, "ordered": items[:-1]}) == survey.n
    theta = {**params, "ordered": items[:-1], "parameterization": "theta"}
    assert preflight(data, codebook, theta) == survey.n


def test_items_with_too_many_or_a_single_category_are_named():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"a": rng.integers(1, 6, 60), "b": rng.integers(1, 10, 60), "c": np.ones(60, int)}
    )
    with pytest.raises(InputError, match="Item b has 9 answer categories") as info:
        check_ordinal_items(frame[["a", "b"]], "all")
    assert info.value.column == "b"
    with pytest.raises(InputError, match="Item c has a single answer category"):
        check_ordinal_items(frame[["a", "c"]], "all")
    table = check_ordinal_items(frame[["a"]], "auto")
    assert table.loc["a", "categories"] == 5 and bool(table.loc["a", "ordinal_ok"])


def test_wlsmv_with_fiml_is_refused_before_the_run(reports, tmp_path):
    from helpers import run_main

    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(DATA / "loyalty_survey.csv"), "--codebook",
         str(DATA / "loyalty_survey.codebook.yaml"), "--param", "estimator=wlsmv"]
    )  # fmt: skip
    assert code == 2
    assert "estimator=wlsmv cannot be used with missing=fiml" in err
    assert "--param missing=listwise" in err and "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


def test_a_scale_of_more_than_seven_points_is_refused_before_the_run(reports, tmp_path):
    from helpers import run_main

    codebook = tmp_path / "ten.codebook.yaml"
    text = (DATA / "loyalty_survey.codebook.yaml").read_text(encoding="utf-8")
    codebook.write_text(text.replace("scale: {min: 1, max: 7}", "scale: {min: 1, max: 10}"))
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(DATA / "loyalty_survey.csv"), "--codebook",
         str(codebook), "--param", "estimator=wlsmv", "--param", "missing=listwise"]
    )  # fmt: skip
    assert code == 2
    assert "answer scale has 10 points" in err and "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("*"))


def test_the_notebook_runs_end_to_end_with_wlsmv(reports, tmp_path):
    from helpers import run_main

    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[:401]) + "\n", encoding="utf-8")
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small), "--codebook",
         str(DATA / "loyalty_survey.codebook.yaml"), "--param", "estimator=wlsmv",
         "--param", "missing=listwise", "--param", "pa_iterations=10"]
    )  # fmt: skip
    assert code == 0, err
    (folder,) = [p.parent for p in reports.rglob("results.json")]
    res = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert res["parameters"]["estimator"] == "wlsmv"
    assert res["cfa"]["estimator"] == "wlsmv" and res["cfa"]["fit_ordinal"]["df"] > 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Savalei 2021" in html and "treated as ordered" in html
    assert "each modification index is a score test" in html
    assert "Against ML on the same" in html


def test_the_notebook_runs_with_uls_and_an_ordered_list(reports, tmp_path):
    from helpers import run_main

    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[:401]) + "\n", encoding="utf-8")
    survey = load_survey(small, DATA / "loyalty_survey.codebook.yaml")
    items = [i for v in survey.codebook.construct_items.values() if len(v) >= 2 for i in v]
    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(small), "--codebook",
         str(DATA / "loyalty_survey.codebook.yaml"), "--param", "estimator=uls",
         "--param", "missing=listwise", "--param", "pa_iterations=10",
         "--param", f"ordered=[{', '.join(items)}]"]
    )  # fmt: skip
    assert code == 0, err
    (folder,) = [p.parent for p in reports.rglob("results.json")]
    res = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert res["parameters"]["estimator"] == "uls" and res["parameters"]["ordered"] == items
    assert res["cfa"]["estimator"] == "uls" and res["cfa"]["fit_ordinal"]["df"] > 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "treated as ordered" in html and "each modification index is a score test" in html


# --------------------------------------------------------------------------- estimator=mlr
# lavaan's MLR on Holzinger-Swineford (tests/reference/lavaan_mlr.R); the study's CFA must be
# that fit. Tolerances as tests/test_sem_mlr.py (the issue's): estimates and SEs 1e-4, test
# statistics 1e-3 relative, fit indices 1e-4.
MLR_REF = json.loads((ROOT / "tests/reference/lavaan_mlr.json").read_text())


@pytest.fixture(scope="module")
def hs_mcar_survey(tmp_path_factory):
    """HS x1..x9 with MCAR deletions, with the id column the HS codebook names."""
    frame = pd.read_csv(ROOT / "tests/reference/holzinger_swineford_mcar.csv")
    frame.insert(0, "id", range(1, len(frame) + 1))
    path = tmp_path_factory.mktemp("mlr") / "hs_mcar.csv"
    frame.to_csv(path, index=False)
    return load_survey(path, DATA / "holzinger_swineford_1939.codebook.yaml")


@pytest.fixture(scope="module")
def hs_mlr_fiml(hs_mcar_survey):
    return analyse(hs_mcar_survey, estimator="mlr", pa_iterations=10)  # missing=fiml


def _check_mlr_cfa_against_lavaan(cfa, ref) -> None:
    f = cfa.fit
    for ours, theirs in [("chi2", "chisq"), ("chi2_scaled", "chisq.scaled"),
                         ("scaling_factor", "chisq.scaling.factor"),
                         ("baseline_chi2_scaled", "baseline.chisq.scaled")]:  # fmt: skip
        assert f[ours] == pytest.approx(ref["fit"][theirs], rel=1e-3), ours
    for key in ("cfi", "tli", "rmsea"):
        for kind in ("scaled", "robust"):
            assert f[f"{key}_{kind}"] == pytest.approx(ref["fit"][f"{key}.{kind}"], abs=1e-4)
    assert f["srmr"] == pytest.approx(ref["fit"]["srmr"], abs=1e-4)
    lav = pd.DataFrame(ref["estimates"])
    lav = lav[lav["op"] == "=~"].set_index("rhs")
    load = cfa.estimates[cfa.estimates["op"] == "=~"].set_index("rhs")
    free = load["free"].to_numpy()
    for column, theirs in (("estimate", "est"), ("se", "se"), ("std_all", "std_all")):
        ours, expected = load[column][free], lav.loc[load.index, theirs][free]
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-4)
    assert free.sum() == 6  # the marker loadings are fixed, without SE


def test_mlr_cfa_under_fiml_is_lavaans_mlr_fit_on_every_respondent(hs_mlr_fiml, hs_mcar_survey):
    s = hs_mlr_fiml
    assert s.robust_ml and not s.ordinal and s.cfa.estimator == "mlr"
    assert s.cfa.missing == "fiml" and s.cfa.n == 301
    _check_mlr_cfa_against_lavaan(s.cfa, MLR_REF["cfa_fiml"]["converged_fit"])
    direct = fit_cfa(hs_mcar_survey.items, HS_FACTORS, estimator="mlr", missing="fiml")
    np.testing.assert_allclose(s.cfa.estimates["se"], direct.estimates["se"], rtol=1e-10)


def test_mlr_cfa_on_complete_cases_is_lavaans_mlr_fit():
    survey = load_survey(
        DATA / "holzinger_swineford_1939.csv", DATA / "holzinger_swineford_1939.codebook.yaml"
    )
    s = analyse(survey, estimator="mlr", missing="listwise", pa_iterations=10)
    assert s.robust_ml and s.cfa.missing == "listwise"
    _check_mlr_cfa_against_lavaan(s.cfa, MLR_REF["cfa_complete"])


def test_mlr_report_shows_scaled_and_robust_columns_and_says_what_changed(hs_mlr_fiml):
    s = hs_mlr_fiml
    f = s.cfa.fit
    table = s.cfa_fit_table()
    assert list(table.columns) == ["plain", "scaled", "robust", "reading"]
    assert table.loc["chi2", "scaled"] == pytest.approx(f["chi2_scaled"], rel=1e-12)
    assert table.loc["CFI", "robust"] == pytest.approx(f["cfi_robust"], rel=1e-12)
    assert table.loc["RMSEA", "plain"] == pytest.approx(f["rmsea"], rel=1e-12)
    # the verdict reads the robust indices: RMSEA 0.087 (robust) is "poor" at the 0.08 cut
    assert table.loc["RMSEA", "reading"] == "poor"
    assert "Savalei 2018" in s.cfa_fit_note and "Brosseau-Liard" in s.cfa_fit_note
    assert "estimator=mlr" in s.estimator_note
    assert "Yuan-Bentler" in s.cfa_note and "n = 301" in s.cfa_note
    sentence = next(x for x in s.findings if "robust ML (MLR) CFA" in x)
    assert "fits poorly" in sentence
    assert f"CFI moves from {f['cfi']:.3f} to {f['cfi_robust']:.3f}" in sentence
    assert f"scaling factor {f['scaling_factor']:.3f} (close to 1" in sentence
    assert s.headline()["CFA CFI / RMSEA (robust)"] == (
        f"{f['cfi_robust']:.3f} / {f['rmsea_robust']:.3f}"
    )
    assert s.missing_report["analyses"]["cfa"]["method"].endswith("robust (MLR)")


def test_mlr_results_json_keeps_the_cfa_contract_and_adds_the_robust_fit(hs_mlr_fiml):
    from workbench.sem.model import FIT_KEYS, ROBUST_FIT_KEYS

    res = hs_mlr_fiml.results()
    json.dumps(res, allow_nan=False)
    cfa = res["cfa"]
    assert cfa["estimator"] == "mlr" and cfa["fit_ordinal"] is None
    assert set(cfa["fit"]) == set(FIT_KEYS)
    assert set(cfa["fit_robust"]) == set(ROBUST_FIT_KEYS)
    assert cfa["fit_robust"]["cfi_robust"] == hs_mlr_fiml.cfa.fit["cfi_robust"]


@pytest.mark.parametrize("missing", ["fiml", "listwise", "pairwise"])
def test_mlr_is_offered_with_every_missing_data_treatment(missing):
    assert "mlr" in get_study("factor-analysis").param("estimator").choices
    assert check_estimator("mlr", missing) is None


def test_the_notebook_runs_end_to_end_with_mlr_and_fiml(reports, hs_mcar_survey):
    from helpers import run_main

    code, _, err = run_main(
        ["run", "factor-analysis", "--data", str(hs_mcar_survey.path), "--codebook",
         str(DATA / "holzinger_swineford_1939.codebook.yaml"), "--param", "estimator=mlr",
         "--param", "pa_iterations=10"]
    )  # fmt: skip
    assert code == 0, err
    (folder,) = [p.parent for p in reports.rglob("results.json")]
    res = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert res["parameters"]["estimator"] == "mlr" and res["parameters"]["missing"] == "fiml"
    assert res["cfa"]["fit_robust"]["scaling_factor"] == pytest.approx(
        MLR_REF["cfa_fiml"]["fit"]["chisq.scaling.factor"], rel=1e-3
    )
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Yuan-Bentler scaled chi-square" in html and "robust ML (MLR) CFA" in html
