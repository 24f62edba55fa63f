"""The experience-economy study with estimator=dwls, ulsmv and uls and with ``ordered`` as a list.

Runs go through the registry as ``workbench run`` does (``Study.validate``) on the shipped
loyalty survey (complete cases on the 25 model items: n = 610), small bootstrap.

Reference: ``tests/reference/ee_dwls.json`` (R 4.2, lavaan 0.6-14; script
``tests/reference/ee_dwls.R``): ``sem(model, ordered = TRUE, estimator = "DWLS")`` and
``"ULS"`` of the study's default model, and ``lavTestLRT`` of the second-order against the
four-realm model under DWLS. Tolerances as issue 17: estimates and SEs 1e-4 (relative to
max(1, |x|)), standardized 1e-4, test statistics 1e-3 relative, fit indices 1e-4. Worst
observed: DWLS 3.9e-7 (estimates), 4.7e-9 (SEs), 3.5e-7 (std), 4.4e-8 (chi-square,
relative), 4.8e-9 (indices), 2.0e-7 (difference statistic, relative), 7e-8 (its p); ULS
3.3e-7 (estimates), 1.9e-8 (SEs), 2.7e-7 (std), 2.6e-8 (statistic, relative), 5e-10
(indices). The ULS runs need ``fit_ordinal_sem(estimator="ULS")`` (workbench/sem/ordinal_sem.py).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from helpers import DATA, ROOT, run_main

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.studies import get_study
from workbench.studies.experience_economy import analyse, model_items

SURVEY = DATA / "loyalty_survey.csv"
CODEBOOK = DATA / "loyalty_survey.codebook.yaml"
REF = json.loads((ROOT / "tests/reference/ee_dwls.json").read_text())
ORDINAL = {"dwls": "DWLS", "ulsmv": "ULSMV", "uls": "ULS"}


def _through_validate(survey, **raw):
    """As `workbench run` does: the registry parses and completes the parameters."""
    params = get_study("experience-economy").validate(raw)
    return analyse(survey, **params)


@pytest.fixture(scope="module")
def survey():
    return load_survey(SURVEY, CODEBOOK)


@pytest.fixture(scope="module")
def runs(survey):
    """One run per ordinal estimator (dwls with an invariance group), and wlsmv to compare."""
    out = {
        est: _through_validate(survey, estimator=est, missing="listwise", bootstrap=100)
        for est in ("wlsmv", "ulsmv", "uls")
    }
    out["dwls"] = _through_validate(
        survey, estimator="dwls", missing="listwise", group="channel", bootstrap=100
    )
    return out


def _paths(study):
    return study.paths_table().set_index(["outcome", "predictor"])


# --------------------------------------------------------------------------- against lavaan
@pytest.mark.parametrize("est", ["dwls", "uls"])
def test_standard_errors_of_the_paths_match_lavaan(runs, est):
    ref, study = REF[est], runs[est]
    assert ref["se"] == "standard" and ref["test"] == "standard"
    assert study.n_structural == ref["ntotal"] == 610
    ours = _paths(study)
    assert len(ours) == len(ref["paths"]) == 6
    for row in ref["paths"]:
        got = ours.loc[(row["lhs"], row["rhs"])]
        assert abs(got["estimate"] - row["est"]) / max(1.0, abs(row["est"])) < 1e-4, row
        assert abs(got["se"] - row["se"]) / max(1.0, row["se"]) < 1e-4, row
        assert got["std"] == pytest.approx(row["std_all"], abs=1e-4), row
    table = study.structural_fit_table()
    assert list(table.columns) == ["standard"]  # lavaan's DWLS/ULS: no scaled test
    fit = ref["fit"]
    assert table.loc["chi2", "standard"] == pytest.approx(fit["chisq"], rel=1e-3)
    assert table.loc["df", "standard"] == fit["df"]
    for key in ("cfi", "tli", "rmsea", "srmr"):
        assert table.loc[key, "standard"] == pytest.approx(fit[key], abs=1e-4), key
    if fit["pvalue"] is None:  # ULS: no chi-square reference distribution, no p-value
        assert math.isnan(table.loc["p", "standard"])
    else:
        assert table.loc["p", "standard"] == pytest.approx(fit["pvalue"], abs=1e-4)


def test_dwls_competing_models_use_lavaans_plain_difference_test(runs):
    ref = REF["dwls_second_order"]
    c = runs["dwls"].comparison
    second = c.loc["second-order experience"]
    assert second["vs"] == "four correlated realms" and second["delta_df"] == ref["df_diff"]
    assert second["delta_chi2"] == pytest.approx(ref["chisq_diff"], rel=1e-3)
    assert second["delta_p"] == pytest.approx(ref["pvalue"], abs=1e-4)
    assert c.loc["second-order experience", "chi2"] == pytest.approx(ref["chisq_second"], rel=1e-3)
    assert c["aic"].isna().all() and (c["chi2"] == c["chi2_standard"]).all()
    assert any("(Δχ²(2) = 2.6, p = .276)" in f for f in runs["dwls"].findings)


def test_uls_difference_tests_have_no_p_value_as_the_uls_statistic(runs):
    c = runs["uls"].comparison
    nested = c[c["vs"] != ""]
    assert len(nested) == 2 and nested["delta_p"].isna().all()
    assert (nested["delta_chi2"] > 0).all()
    text = next(f for f in runs["uls"].findings if f.startswith("Of the competing"))
    assert "has the highest CFI." in text and "Δχ²" not in text


# --------------------------------------------------------------------------- invariants
def test_dwls_estimates_equal_wlsmv_with_other_standard_errors(runs):
    dwls, wlsmv = runs["dwls"].structural.result, runs["wlsmv"].structural.result
    assert (dwls.estimator, dwls.test) == ("DWLS", "standard")
    assert (wlsmv.estimator, wlsmv.test) == ("WLSMV", "scaled.shifted")
    ours, theirs = _paths(runs["dwls"]), _paths(runs["wlsmv"])
    np.testing.assert_allclose(ours["estimate"], theirs["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std"], theirs["std"], rtol=0, atol=1e-8)
    assert (ours["se"] - theirs["se"]).abs().min() > 1e-4  # standard, not robust, SEs
    assert runs["dwls"].structural.fit["chi2"] == pytest.approx(dwls.fit["chisq"], rel=1e-12)


def test_ulsmv_estimates_equal_uls_with_robust_inference(runs):
    ours, theirs = _paths(runs["ulsmv"]), _paths(runs["uls"])
    np.testing.assert_allclose(ours["estimate"], theirs["estimate"], rtol=0, atol=1e-8)
    assert (ours["se"] - theirs["se"]).abs().min() > 1e-4
    assert list(runs["ulsmv"].structural_fit_table().columns) == ["standard", "scaled", "robust"]
    assert runs["ulsmv"].comparison["delta_p"].notna().sum() == 2  # scaled-shifted tests


@pytest.mark.parametrize("est", ["dwls", "ulsmv", "uls"])
def test_indirect_effects_are_delta_method_products_of_the_ordinal_paths(runs, est):
    study = runs[est]
    paths = _paths(study)
    chain = study.indirect.set_index("chain").loc["esthetics->memory->satisfaction->loyalty"]
    keys = [("memory", "esthetics"), ("satisfaction", "memory"), ("loyalty", "satisfaction")]
    assert chain["estimate"] == pytest.approx(math.prod(paths.loc[k, "estimate"] for k in keys))
    assert chain["method"] == "delta method" and study.boot is None


# --------------------------------------------------------------------------- the report
@pytest.mark.parametrize("est", ["dwls", "ulsmv", "uls"])
def test_the_report_names_the_estimator_its_standard_errors_and_test(runs, est):
    study, name = runs[est], ORDINAL[est]
    robust = est == "ulsmv"
    assert study.estimator_note.startswith(f"Estimator: {name} (estimator={est}, as lavaan's")
    assert f'estimator = "{name}"' in study.method_note and f"estimator={est};" in study.method_note
    if robust:
        assert "robust standard errors, the scaled-shifted chi-square" in study.estimator_note
    else:
        assert "standard (non-robust) standard errors" in study.estimator_note
        assert "no scaled or robust column" in study.estimator_note
    assert ("no p-value" in study.estimator_note) == (est == "uls")
    which = "robust indices" if robust else "standard test and indices"
    assert f"({which}, {name})" in study.findings[0]
    changed = study.against_ml_note
    assert (
        changed.startswith("Against ML on the same 610 respondents") and changed in study.findings
    )
    assert f"under {name}." in changed and ("against the robust" in changed) == robust
    assert study.headline()["estimator"] == name


def test_invariance_runs_under_the_runs_estimator_and_says_why_it_stops(runs):
    warnings = runs["dwls"].warnings
    assert not any("tested under WLSMV" in w for w in warnings)
    # the shipped survey has a category nobody chose in one channel: the step stops with a
    # warning naming the estimator (ordinal_invariance under DWLS is checked against lavaan
    # in tests/test_sem_ordinal_invariance_estimators.py)
    assert any(
        w.startswith("Invariance across channel was not tested under DWLS") for w in warnings
    )
    assert runs["dwls"].invariance is None


@pytest.mark.parametrize("est", ["dwls", "ulsmv", "uls"])
def test_results_json_keeps_the_wlsmv_keys_and_says_which_se_and_test(runs, est):
    ours, wlsmv = runs[est].results(), runs["wlsmv"].results()
    json.dumps(ours, allow_nan=False)
    assert set(ours) == set(wlsmv) and set(ours["sem"]) == set(wlsmv["sem"])
    assert set(ours["sem"]["fit"]) == set(wlsmv["sem"]["fit"])
    assert set(ours["sem"]["paths"]) == set(wlsmv["sem"]["paths"])
    for key, entry in wlsmv["sem"]["paths"].items():
        assert set(entry) == set(ours["sem"]["paths"][key])
    assert set(ours["measurement"]) == set(wlsmv["measurement"])
    assert set(ours["estimator"]) == set(wlsmv["estimator"])
    est_keys = ours["estimator"]
    assert ours["sem"]["estimator"] == est_keys["name"] == est
    assert est_keys["lavaan"] == ORDINAL[est] and est_keys["ordered"] == "auto"
    robust = est == "ulsmv"
    assert est_keys["se"] == ("robust" if robust else "standard")
    assert est_keys["test"] == ("scaled.shifted" if robust else "standard")
    columns = {"standard", "scaled", "robust"} if robust else {"standard"}
    assert set(est_keys["fit_structural"]) == set(est_keys["fit_measurement"]) == columns
    assert wlsmv["estimator"]["se"] == "robust" and wlsmv["estimator"]["test"] == "scaled.shifted"


# --------------------------------------------------------------------------- ordered as a list
def test_an_ordered_list_naming_every_model_item_behaves_as_all(survey, runs):
    items = model_items(survey)
    assert len(items) == 25
    study = _through_validate(
        survey, estimator="dwls", missing="listwise", ordered=items, compare_models=False
    )
    ours, theirs = _paths(study), _paths(runs["dwls"])
    np.testing.assert_allclose(ours["estimate"], theirs["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["se"], theirs["se"], rtol=0, atol=1e-12)
    assert study.results()["estimator"]["ordered"] == items
    assert study.results()["estimator"]["ordered_items"] == items


def test_an_unknown_ordered_item_is_refused_naming_it(survey):
    items = [*model_items(survey), "XX9"]
    with pytest.raises(InputError, match="ordered names XX9") as info:
        _through_validate(survey, estimator="dwls", missing="listwise", ordered=items)
    assert info.value.column == "XX9" and info.value.hint


def test_a_list_leaving_model_items_out_fits_them_as_continuous(survey):
    """As lavaan's ordered=: the loyalty items (RI1-RI3) left out of the list are continuous
    (means, variances, Pearson and polyserial correlations); the study's structural model is
    fit_ordinal_sem of the same model on the same complete cases."""
    from workbench.sem.ordinal_sem import fit_ordinal_sem

    items = model_items(survey)
    ordered = [i for i in items if not i.startswith("RI")]
    study = _through_validate(
        survey, estimator="wlsmv", missing="listwise", ordered=ordered, compare_models=False,
        bootstrap=100,
    )  # fmt: skip
    result = study.structural.result
    assert result.sample_stats.continuous == ("RI1", "RI2", "RI3")
    assert not any(t.startswith("RI") for t in result.thresholds.index)
    complete = survey.frame[items].dropna()
    direct = fit_ordinal_sem(complete, result.syntax, ordered=ordered)
    np.testing.assert_allclose(
        result.estimates["estimate"], direct.estimates["estimate"], rtol=1e-9, atol=1e-9
    )
    est = result.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("RI2", "~1", ""), "free"] and est.loc[("RI2", "~~", "RI2"), "free"]
    assert math.isnan(result.fit["cfi.robust"])  # lavaan: NA with continuous items
    assert "(RI1, RI2, RI3) are treated as continuous" in study.continuous_note
    assert "the 22 items are treated as ordered categories" in study.estimator_note
    # no robust indices with continuous items: the findings read, and name, the scaled ones
    assert study.structural.fit_basis == "scaled"
    assert study.structural.fit["cfi"] == pytest.approx(result.fit["cfi.scaled"], rel=1e-12)
    fit_finding = next(f for f in study.findings if f.startswith("The experience model"))
    assert "(scaled indices, WLSMV)" in fit_finding and "robust" not in fit_finding
    assert "under ML against the scaled" in study.against_ml_note
    block = study.results()["estimator"]
    assert block["continuous_items"] == ["RI1", "RI2", "RI3"]
    assert block["ordered_items"] == ordered
    from workbench import i18n

    with i18n.language("zh"):
        assert "按连续变量处理" in i18n.translate(study.continuous_note)
        assert "校正指数，WLSMV" in i18n.translate(fit_finding)
        assert "校正 CFI" in i18n.translate(study.against_ml_note)


def test_invariance_with_a_continuous_realm_item_is_skipped_with_a_warning(survey):
    items = model_items(survey)
    study = analyse(
        survey, estimator="wlsmv", missing="listwise", compare_models=False, bootstrap=50,
        ordered=[i for i in items if i != "EC4"], group="channel",
    )  # fmt: skip
    assert study.invariance is None
    assert any(
        "Invariance across channel was not tested" in w and "EC4" in w for w in study.warnings
    )


def test_an_ordered_list_with_ml_is_refused(survey):
    with pytest.raises(InputError, match=r"ordered=\[ED1, ED2\] cannot be used with estimator=ml"):
        _through_validate(survey, ordered=["ED1", "ED2"])


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("est", ["dwls", "ulsmv", "uls"])
@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({}, "estimator={est} cannot be used with missing=fiml"),
        (
            {"missing": "listwise", "ordered": "none"},
            "ordered=none cannot be used with estimator={est}",
        ),
        ({"method": "pls"}, "estimator={est} cannot be used with method=pls"),
    ],
    ids=["fiml", "ordered-none", "pls"],
)
def test_each_ordinal_estimator_is_refused_as_wlsmv_naming_it(survey, est, raw, needle):
    with pytest.raises(InputError, match=re.escape(needle.format(est=est))) as info:
        _through_validate(survey, estimator=est, bootstrap=100, **raw)
    assert info.value.hint


def _run(reports, *params):
    argv = ["run", "experience-economy", "--data", str(SURVEY), "--codebook", str(CODEBOOK)]
    for p in params:
        argv += ["--param", p]
    return run_main(argv)


def test_dwls_with_fiml_stops_the_command_with_exit_2(reports):
    code, _, err = _run(reports, "estimator=dwls")
    assert code == 2 and "Traceback" not in err
    assert "estimator=dwls cannot be used with missing=fiml" in err and "missing=listwise" in err
    assert not reports.exists()  # refused before any kernel or folder


def test_an_unknown_ordered_item_stops_the_command_with_exit_2_naming_it(reports):
    items = ", ".join(model_items(load_survey(SURVEY, CODEBOOK)))
    code, _, err = _run(reports, "estimator=uls", "missing=listwise", f"ordered=[{items}, XX9]")
    assert code == 2 and "Traceback" not in err
    assert "ordered names XX9" in err
    assert not reports.exists()


def test_invariance_under_dwls_is_ordinal_invariance_under_dwls(tmp_path):
    """A random half split of the shipped survey has every category in both groups: the
    study's invariance step is ordinal_invariance(..., estimator="dwls") of the realm items
    on the complete cases, and the finding names DWLS (in zh too)."""
    import pandas as pd

    from workbench import i18n
    from workbench.sem.ordinal_invariance import ordinal_invariance

    frame = pd.read_csv(SURVEY)
    rng = np.random.default_rng(1)
    frame["half"] = np.where(rng.random(len(frame)) < 0.5, "A", "B")
    frame.to_csv(tmp_path / "survey.csv", index=False)
    survey = load_survey(tmp_path / "survey.csv", CODEBOOK)
    study = analyse(
        survey, estimator="dwls", missing="listwise", compare_models=False, bootstrap=100,
        group="half",
    )  # fmt: skip
    inv = study.invariance
    assert inv is not None and inv.estimator == "DWLS"
    realms = {c: list(survey.codebook.constructs[c].items) for c in inv.constructs}
    items = model_items(survey)
    complete = survey.frame[items].notna().all(axis=1)
    cols = [i for v in realms.values() for i in v] + ["half"]
    direct = ordinal_invariance(survey.frame[cols][complete], realms, "half", estimator="dwls")
    np.testing.assert_allclose(
        inv.table["chi2"].to_numpy(float), direct.table["chi2"].to_numpy(float), rtol=1e-10
    )
    finding = next(f for f in study.findings if f.startswith("Measurement across half"))
    assert "(ordered items, DWLS; Wu & Estabrook 2016)" in finding
    with i18n.language("zh"):
        assert "有序题项，DWLS" in i18n.translate(finding)
