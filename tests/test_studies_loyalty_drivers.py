"""The loyalty-drivers study end to end (without the notebook): contract and parity.

References: ``tests/reference/r_drivers.json`` (R 4.2.2 ``lm``, ``MASS::polr``, all-subsets LMG
and Johnson's relative weights; script ``tests/reference/r_drivers.R``). Tolerance 1e-4
relative, as the issue asks, except polr thresholds (1e-4 absolute: polr's own stopping rule).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.studies import get_study
from workbench.studies.loyalty_drivers import analyse, score_variables

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
R = json.loads((ROOT / "tests/reference/r_drivers.json").read_text())


@pytest.fixture(scope="module")
def loyalty():
    return load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def default_study(loyalty):
    # listwise: the complete-case analysis (the study's default is mi, tested below)
    params = get_study("loyalty-drivers").default_runs[0].params
    return analyse(loyalty, **params, bootstrap=300, missing="listwise")


@pytest.fixture(scope="module")
def corp():
    return load_survey(DATA / "corp_rep.csv", DATA / "corp_rep.codebook.yaml")


def test_results_json_carries_every_contract_key(default_study):
    res = default_study.results()
    json.dumps(res, allow_nan=False)
    model = res["model"]
    assert {"kind", "outcome", "n", "r2", "adj_r2", "coefficients"} <= set(model)
    assert {"estimate", "se", "p", "ci_low", "ci_high", "std_beta"} <= set(
        model["coefficients"]["trust"]
    )
    ri = res["relative_importance"]
    for driver in ("trust", "satisfaction", "belonging", "value"):
        assert {
            "lmg", "lmg_ci_low", "lmg_ci_high", "relative_weight", "rw_ci_low", "rw_ci_high",
            "rank_first_share",
        } <= set(ri[driver])  # fmt: skip
        assert set(res["ipa"][driver]) >= {"importance", "performance", "quadrant"}
    assert {
        "mediator", "a", "b", "c_prime", "c_total", "indirect", "indirect_ci_low",
        "indirect_ci_high",
    } <= set(res["mediation"])  # fmt: skip
    assert res["moderation"] is None
    assert res["segments"]["by"] == "tier"


def test_lmg_and_relative_weights_sum_to_the_model_r2(default_study):
    ri = default_study.importance.table
    r2 = default_study.model.r2
    assert ri["lmg"].sum() == pytest.approx(r2, rel=1e-10)
    assert ri["relative_weight"].sum() == pytest.approx(r2, rel=1e-10)


def test_mediation_effects_decompose_the_total_effect(default_study):
    d = default_study.results()["mediation"]
    assert d["c_total"] == pytest.approx(d["c_prime"] + d["indirect"], rel=1e-10)
    assert d["indirect_ci_low"] > 0  # value -> satisfaction -> loyalty is in the ground truth


def test_corp_rep_ols_through_the_study_matches_r_lm(corp):
    s = analyse(
        corp,
        outcome="loyalty",
        drivers=["satisfaction", "competence", "likeability"],
        bootstrap=200,
        missing="listwise",  # R's lm: complete cases
    )
    ref = R["corp_ri"]
    assert s.model.n == ref["n"]
    assert s.importance.r2 == pytest.approx(ref["r2"], rel=1e-4)
    table = s.importance.table.set_index("driver")
    for driver, value in ref["lmg"].items():
        assert table.loc[driver, "lmg"] == pytest.approx(value, rel=1e-4)
        assert table.loc[driver, "relative_weight"] == pytest.approx(
            ref["relative_weight"][driver], rel=1e-4
        )


def test_single_likert_outcome_gets_an_ordinal_logit_matching_polr():
    survey = load_survey(DATA / "customer_sat.csv", DATA / "customer_sat.codebook.yaml")
    s = analyse(
        survey,
        outcome="satisfaction",
        drivers=["price", "effectiveness", "distribution"],
        bootstrap=200,
        missing="listwise",  # MASS::polr on complete cases
    )
    ref = R["cs_polr"]
    assert s.model.kind == "ordinal"
    coef = s.model.coefficients.set_index("term")
    for term, value in ref["coef"].items():
        assert coef.loc[term, "estimate"] == pytest.approx(value, rel=1e-4)
        assert coef.loc[term, "se"] == pytest.approx(ref["se_coef"][term], rel=1e-4)
    thresholds = s.model.thresholds.set_index("label")["estimate"]
    for label, value in ref["zeta"].items():
        assert thresholds[label] == pytest.approx(value, abs=1e-4)
    assert s.results()["model"]["thresholds"]
    assert any("odds" in f for f in s.findings)


def test_binary_outcome_gets_a_logit(tmp_path, loyalty):
    frame = loyalty.raw.copy()
    frame["repurchased"] = (loyalty.frame["RI1"] >= 5).astype(float)
    frame.loc[loyalty.frame["RI1"].isna(), "repurchased"] = np.nan
    path = tmp_path / "with_binary.csv"
    frame.to_csv(path, index=False)
    survey = load_survey(path, DATA / "loyalty_survey.codebook.yaml")
    s = analyse(survey, outcome="repurchased", drivers=["trust", "value"], bootstrap=200)
    assert s.model.kind == "logit"
    assert s.results()["model"]["pseudo_r2"] > 0
    assert any("is logit" in w for w in s.warnings)


def test_factor_scoring_and_available_missing_are_used_and_reported(loyalty):
    listwise = analyse(loyalty, drivers=["trust", "value"], bootstrap=200, missing="listwise")
    available = analyse(loyalty, drivers=["trust", "value"], bootstrap=200, missing="available")
    factor = analyse(loyalty, drivers=["trust", "value"], bootstrap=200, scoring="factor")
    assert available.model.n > listwise.model.n
    assert any("person-mean" in w for w in available.warnings)
    assert "factor score" in factor.scoring_notes["trust"]
    assert factor.scores["trust"].mean() == pytest.approx(0, abs=1e-9)
    assert factor.results()["scoring"]["method"] == "factor"


def test_moderation_by_a_category_gives_one_slope_per_level(loyalty):
    s = analyse(loyalty, drivers=["trust", "value"], moderator="tier", x="trust", bootstrap=200)
    slopes = s.moderation.simple_slopes
    assert set(slopes.index) == {"basic", "silver", "gold", "platinum"}
    res = s.results()["moderation"]
    assert {"moderator", "interaction", "simple_slopes", "jn_bounds"} <= set(res)


def test_numeric_moderator_gets_simple_slopes_and_a_johnson_neyman_answer(corp):
    s = analyse(
        corp,
        outcome="loyalty",
        drivers=["satisfaction", "competence"],
        moderator="likeability",
        x="satisfaction",
        bootstrap=200,
    )
    m = s.moderation
    slopes = m.simple_slopes
    assert list(slopes.index) == ["-1 SD", "mean", "+1 SD"]
    # the satisfaction slope weakens as likeability rises ...
    assert slopes["estimate"].is_monotonic_decreasing
    # ... but stays significant over the whole observed 1..7 range: both J-N roots lie
    # outside it (7.9 and 20.0), so there are no bounds to report inside the data
    assert m.w_range == (1.0, 7.0)
    assert all(root > 7 for root in m.jn_roots)
    assert m.jn_bounds == () and m.jn_significant == "outside"
    assert (slopes["p"] < 0.05).all()
    assert s.moderation_figure() is not None


def test_default_drivers_are_every_other_multi_item_construct(corp):
    s = analyse(corp, outcome="loyalty", bootstrap=200)
    assert set(s.drivers) == {
        c for c, con in corp.codebook.constructs.items() if c != "loyalty" and len(con.items) > 1
    }


def test_unknown_driver_is_a_clear_input_error(loyalty):
    with pytest.raises(InputError, match="neither a construct") as info:
        score_variables(loyalty, ["trsut"])
    assert "trust" in info.value.message


def test_outcome_listed_as_driver_is_rejected(loyalty):
    with pytest.raises(InputError, match="also listed as a driver"):
        analyse(loyalty, outcome="trust", drivers=["trust", "value"])


def test_notebook_runs_end_to_end_and_writes_the_report(tmp_path, monkeypatch):
    from workbench.runner import cli

    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "small.csv"
    data.write_text("\n".join(lines[:301]) + "\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    out = tmp_path / "run"
    code = cli.main([
        "run", "loyalty-drivers", "--data", str(data),
        "--codebook", str(DATA / "loyalty_survey.codebook.yaml"),
        "--param", "drivers=[trust, satisfaction, value]", "--param", "mediator=[satisfaction]",
        "--param", "x=value", "--param", "moderator=tier", "--param", "by=tier",
        "--param", "bootstrap=200", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "loyalty-drivers"
    assert results["mediation"]["mediator"] == "satisfaction"
    assert results["moderation"]["moderator"] == "tier"
    assert results["missing_diagnosis"]["n_respondents"] == 300
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "strongest lever" in html
    assert "Missing answers" in html and "Little" in html
    assert html.count("Plotly.newPlot") >= 4  # importance, IPA, residuals, slopes, segments
    assert "from workbench" not in html  # no code in the manager's report
    # no emoji: they are drawn as empty boxes where no emoji font is installed
    assert not [c for c in html if "\U0001f300" <= c <= "\U0001faff" or "\u2600" <= c <= "\u27bf"]


def test_controls_enter_first_and_the_drivers_increment_is_tested(loyalty):
    s = analyse(
        loyalty, drivers=["trust", "value"], controls=["tier"], bootstrap=200, missing="listwise"
    )
    h = s.model.hierarchical
    assert h["test"].startswith("F")
    assert 0 < h["delta_r2"] < s.model.r2
    assert h["p"] < 0.05
    assert any(t.startswith("tier[T.") for t in s.model.coefficients["term"])
    assert s.hierarchical_table() is not None


def test_ipa_importance_is_the_relative_weight(default_study):
    ipa = default_study.ipa.table
    rw = default_study.importance.table.set_index("driver")["relative_weight"]
    np.testing.assert_allclose(ipa["importance"], rw.loc[ipa.index], rtol=1e-12)
    assert set(ipa["quadrant"]) <= {"fix first", "keep up", "low priority", "possible overkill"}


def test_assumption_checks_are_svg_traffic_lights_that_say_their_word(default_study):
    import html as html_text
    import re

    from workbench.presentation.report import table_html

    table = default_study.assumptions_table()
    html = table_html(table)
    assert not re.search("[\U0001f300-\U0001faff\u2600-\u27bf]", html)  # no emoji: no font needed
    assert html.count("<svg") == html.count("<circle") == len(table)
    assert set(table["status"]) <= {"green", "amber", "red"}
    statuses = [a["status"] for a in default_study.results()["model"]["assumptions"]]
    assert statuses == table["status"].tolist()  # results.json keeps the plain words
    for check in (c for c in table.index if c.endswith("p)")):
        cell = re.search(rf">{re.escape(check)}</th>\s*<td[^>]*>([^<]*)</td>", html)
        value = html_text.unescape(cell.group(1)) if cell else ""
        assert re.fullmatch(r"< \.001|\.\d{3}|1\.000", value), check


def test_a_plain_outcome_holding_the_missing_code_is_refused_not_analysed(tmp_path, loyalty):
    from workbench.studies.loyalty_drivers import check_variables

    code = loyalty.codebook.missing_codes[0]
    frame = loyalty.raw.copy()
    frame["spend_index"] = np.arange(len(frame)) % 5 + 1.0
    frame.loc[[3, 8], "spend_index"] = code
    path = tmp_path / "plain_outcome.csv"
    frame.to_csv(path, index=False)
    survey = load_survey(path, DATA / "loyalty_survey.codebook.yaml")
    with pytest.raises(InputError) as info:
        check_variables(
            survey,
            outcome="spend_index",
            drivers=["trust"],
            controls=[],
            mediators=[],
            moderator="",
            x="",
            by="",
        )
    err = info.value
    assert "plain column, not a codebook item" in err.message and "2 of its values" in err.message
    assert err.column == "spend_index" and err.row == 4
    assert "one-item construct" in err.hint


# --------------------------------------------------------------------------- missing=mi
@pytest.fixture(scope="module")
def mi_study(loyalty):
    # the study's default treatment
    params = dict(get_study("loyalty-drivers").default_runs[0].params)
    assert get_study("loyalty-drivers").defaults["missing"] == "mi"
    return analyse(loyalty, **params, bootstrap=200, m=5)


def test_mi_keeps_every_respondent_and_reports_what_was_imputed(mi_study, default_study):
    assert default_study.model.n < 800  # listwise loses the incomplete respondents
    assert mi_study.model.n == 800 - mi_study.imputation.n_dropped
    assert mi_study.imputation.m == 5 and len(mi_study.imputation.surveys) == 5
    res = mi_study.results()
    json.dumps(res, allow_nan=False)
    assert res["imputation"]["n_imputed_cells"] > 0
    assert set(res["imputation"]["reliability"]["trust"]) >= {"alpha", "omega_total"}
    coef = res["model"]["coefficients"]["trust"]
    assert 0 < coef["fmi"] < 1 and coef["df"] > 0
    assert mi_study.missing_report["treatment"] == "mi"
    assert "multiply imputed, m = 5" in mi_study.findings[0]
    # the data read is never changed: the survey still has its missing answers
    assert mi_study.survey.frame.isna().any().any()


def test_mi_pools_mediation_and_segments_from_every_imputation(mi_study):
    med = mi_study.mediation
    boot = med.boot_indirect
    assert len(boot) == 5 * 40  # 200 resamples split over 5 imputations
    lo = np.quantile(boot[:, -1], 0.025)
    assert med.indirect.loc["total", "ci_low"] == pytest.approx(lo, rel=1e-12)
    assert {"df", "fmi"} <= set(med.paths.columns)
    seg = mi_study.segments
    assert seg.slope_test["df2"] > 0 and 0 <= seg.slope_test["p"] <= 1
    assert {"df", "fmi"} <= set(seg.coefficients.columns)


def test_mi_on_complete_data_equals_the_complete_case_analysis(corp):
    kwargs = dict(
        outcome="loyalty",
        drivers=["satisfaction", "competence"],
        moderator="likeability",
        x="satisfaction",
        bootstrap=200,
    )
    cb = corp.codebook
    used = [i for c in ("loyalty", "satisfaction", "competence", "likeability") for i in
            cb.constructs[c].items]  # fmt: skip
    complete = dataclasses.replace(corp, frame=corp.frame.dropna(subset=used))
    plain = analyse(complete, **kwargs)
    mi = analyse(complete, **kwargs, missing="mi", m=3)
    assert mi.imputation.n_cells == 0
    a = plain.coefficients_table()
    b = mi.coefficients_table()
    np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=1e-10)
    np.testing.assert_allclose(b["se"], a["se"], rtol=1e-10)
    # no between-imputation variance: mice's FMI reduces to 2 / (df + 3)
    np.testing.assert_allclose(b["fmi"], 2 / (b["df"] + 3), rtol=1e-10)
    np.testing.assert_allclose(
        mi.moderation.simple_slopes["se"], plain.moderation.simple_slopes["se"], rtol=1e-10
    )
    # Johnson-Neyman: the same equation, with t on the Barnard-Rubin df, which for complete
    # data is df_com (df_com + 1) / (df_com + 3) (mice's lambda floor aside), not df_com
    from scipy import stats

    from workbench.drivers.mediation import _jn

    fit = plain.moderation.model
    beta, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    df = mi.moderation.coefficients.loc["x:w", "df"]
    nu = fit.df_resid
    assert df == pytest.approx(nu * (nu + 1) / (nu + 3), rel=1e-3)
    roots, _ = _jn(beta[1], beta[3], cov[1, 1], cov[1, 3], cov[3, 3], stats.t.ppf(0.975, df))
    shift = plain.moderation.simple_slopes.loc["mean", "w"]
    np.testing.assert_allclose(mi.moderation.jn_roots, np.array(roots) + shift, rtol=1e-9)
    assert mi.model.r2 == pytest.approx(plain.model.r2, rel=1e-10)


def test_mi_pools_an_ordinal_model_with_its_thresholds():
    survey = load_survey(DATA / "customer_sat.csv", DATA / "customer_sat.codebook.yaml")
    frame = survey.frame.copy()
    rng = np.random.default_rng(5)
    for column in ["satisfaction", *survey.codebook.constructs["price"].items]:
        frame.loc[rng.random(len(frame)) < 0.05, column] = np.nan
    survey = dataclasses.replace(survey, frame=frame)
    drivers = ["price", "effectiveness", "distribution"]
    s = analyse(survey, outcome="satisfaction", drivers=drivers, bootstrap=100, missing="mi", m=3)
    assert s.model.kind == "ordinal"
    coef = s.model.coefficients.set_index("term")
    assert {"df", "fmi"} <= set(coef.columns) and (coef["fmi"] > 0).all()
    assert s.model.n == len(frame)
    plain = analyse(
        survey, outcome="satisfaction", drivers=drivers, bootstrap=100, missing="listwise"
    )
    assert plain.model.n < len(frame)
    thresholds = s.model.thresholds.set_index("label")["estimate"]
    assert list(thresholds.index) == list(plain.model.thresholds["label"])
    assert thresholds.is_monotonic_increasing


def test_mi_imputes_a_categorical_control_and_pools_a_logit(tmp_path, loyalty):
    frame = loyalty.raw.copy()
    frame["repurchased"] = (loyalty.frame["RI1"] >= 5).astype(float)
    frame.loc[loyalty.frame["RI1"].isna(), "repurchased"] = np.nan
    frame.loc[frame.index % 17 == 0, "channel"] = np.nan  # some channels unknown
    path = tmp_path / "with_binary.csv"
    frame.to_csv(path, index=False)
    survey = load_survey(path, DATA / "loyalty_survey.codebook.yaml")
    s = analyse(
        survey,
        outcome="repurchased",
        drivers=["trust", "value"],
        controls=["channel"],
        bootstrap=100,
        missing="mi",
        m=3,
    )
    assert s.model.kind == "logit"
    assert s.imputation.columns["channel"]["imputed"] == int((frame.index % 17 == 0).sum())
    assert s.imputation.columns["channel"]["method"] == "polyreg"  # three channels
    for one in s.imputation.surveys:
        assert set(one.frame["channel"].dropna()) <= set(frame["channel"].dropna())
        assert one.frame["channel"].notna().all()
    coef = s.model.coefficients.set_index("term")
    assert any(t.startswith("channel[") for t in coef.index)
    assert s.model.n == 800
