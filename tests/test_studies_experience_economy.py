"""The experience-economy study end to end (without the notebook): contract and parity.

Reference: ``tests/reference/r_experience.json`` (R 4.2.2, lavaan 0.6-14; script
``tests/reference/r_experience.R``). Tolerances are the issue's: fit indices within 0.002,
chi2 within 0.1%, unstandardized and standardized paths within 0.005.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.studies.experience_economy import analyse

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
R = json.loads((ROOT / "tests/reference/r_experience.json").read_text())


@pytest.fixture(scope="module")
def survey():
    return load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def study(survey):
    # listwise: the lavaan reference values (tests/reference/r_experience.R) are complete-case
    return analyse(
        survey,
        missing="listwise",
        group="channel",
        channels=["online_experience", "offline_experience"],
        bootstrap=200,
    )


def test_results_json_carries_every_contract_key(study):
    res = study.results()
    json.dumps(res, allow_nan=False)
    assert {"chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"} <= (
        set(res["sem"]["fit"])
    )
    assert {"estimate", "se", "p", "std"} <= set(res["sem"]["paths"]["memory~esthetics"])
    assert set(res["sem"]["r2"]) == {"memory", "satisfaction", "loyalty"}
    chain = res["sem"]["indirect"]["esthetics->memory->satisfaction->loyalty"]
    assert {"estimate", "ci_low", "ci_high"} <= set(chain)
    for model in res["model_comparison"].values():
        assert {"chi2", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"} <= set(model)
    assert set(res["invariance"]) >= {"configural", "metric", "scalar"}
    assert {"chi2", "df", "cfi", "rmsea", "delta_cfi"} <= set(res["invariance"]["metric"])
    for realm in ("education", "entertainment", "esthetics", "escapism"):
        assert {"mean", "alpha", "omega_total"} <= set(res["realms"][realm])
    assert {"a1", "a2", "a3", "a4"} == set(res["consistency"]["surface"])


def test_structural_model_matches_lavaan(study):
    ref = R["structural"]
    fit = study.structural.fit
    assert fit["n"] == ref["fit"]["ntotal"]
    assert fit["chi2"] == pytest.approx(ref["fit"]["chisq"], rel=1e-3)
    assert fit["df"] == ref["fit"]["df"]
    for key in ("cfi", "tli", "rmsea", "srmr"):
        assert fit[key] == pytest.approx(ref["fit"][key], abs=0.002)
    paths = study.paths_table().set_index(["outcome", "predictor"])
    for p in ref["paths"]:
        row = paths.loc[(p["lhs"], p["rhs"])]
        assert row["estimate"] == pytest.approx(p["est"], abs=0.005)
        assert row["std"] == pytest.approx(p["std_all"], abs=0.005)
    for name, value in ref["r2"].items():
        if name in study.structural.r2:
            assert study.structural.r2[name] == pytest.approx(value, abs=0.005)


def test_indirect_effects_are_products_of_their_paths(study):
    paths = study.paths_table().set_index(["outcome", "predictor"])["estimate"]
    ind = study.indirect.set_index("chain")
    expected = paths[("memory", "esthetics")] * paths[("satisfaction", "memory")]
    assert ind.loc["esthetics->memory->satisfaction", "estimate"] == pytest.approx(expected)
    row = ind.loc["esthetics->memory->satisfaction"]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["method"] == "percentile bootstrap"


def test_esthetics_drives_memory_most_as_in_the_ground_truth(study):
    truth = json.loads((DATA / "loyalty_survey.truth.json").read_text())
    assert "esthetics" in json.dumps(truth)
    paths = study.paths_table()
    memory = paths[paths["outcome"] == "memory"].set_index("predictor")["std"]
    assert memory.idxmax() == "esthetics"
    assert any("Esthetics" in f and "drives Memory" in f for f in study.findings)


def test_channel_agreement_effect_is_recovered(study):
    surface = study.consistency.to_dict()["surface"]
    assert surface["a4"]["estimate"] < 0 and surface["a4"]["p"] < 0.05
    assert surface["a1"]["estimate"] > 0


def test_fiml_uses_every_respondent_and_delta_method_intervals(survey):
    s = analyse(survey, compare_models=False, missing="fiml", bootstrap=100)
    assert s.structural.fit["n"] == survey.n
    assert set(s.indirect["method"]) == {"delta method"}
    assert any("delta-method" in w for w in s.warnings)


def test_custom_paths_replace_the_default_chain(survey):
    s = analyse(
        survey,
        paths="memory ~ esthetics + escapism; loyalty ~ memory",
        compare_models=False,
        bootstrap=100,
    )
    pairs = set(zip(s.paths_table()["outcome"], s.paths_table()["predictor"], strict=True))
    assert pairs == {("memory", "esthetics"), ("memory", "escapism"), ("loyalty", "memory")}


def test_unknown_construct_in_paths_is_a_clear_input_error(survey):
    with pytest.raises(InputError, match=r"memroy|not a construct|Did you mean"):
        analyse(survey, paths="memroy ~ esthetics", compare_models=False, bootstrap=100)


def test_channels_must_name_two_constructs(survey):
    with pytest.raises(InputError, match="two constructs"):
        analyse(survey, channels=["online_experience"], compare_models=False, bootstrap=100)


def test_notebook_runs_end_to_end(tmp_path, monkeypatch):
    from workbench.runner import cli

    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "small.csv"
    data.write_text("\n".join(lines[:401]) + "\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    out = tmp_path / "run"
    code = cli.main([
        "run", "experience-economy", "--data", str(data),
        "--codebook", str(DATA / "loyalty_survey.codebook.yaml"),
        "--param", "channels=[online_experience, offline_experience]",
        "--param", "group=channel", "--param", "bootstrap=100", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "experience-economy"
    assert results["sem"]["indirect"]
    diagnosis = results["missing_diagnosis"]  # by the invariance group
    assert diagnosis["little_mcar"]["df"] > 0 and diagnosis["groups"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "drives" in html
    assert "Missing answers" in html and "Little" in html
    assert html.count("Plotly.newPlot") >= 3  # path diagram, surface, IPA


# =========================================================================== method=pls
REALM_PATHS = (
    "memory ~ education + entertainment + esthetics + escapism\n"
    "satisfaction ~ memory\n"
    "loyalty ~ satisfaction"
)


@pytest.fixture(scope="module")
def pls_study(survey):
    return analyse(
        survey,
        method="pls",
        missing="listwise",
        group="channel",
        channels=["online_experience", "offline_experience"],
        bootstrap=200,
        seed=7,
    )


def _independent_pls_fit(survey, paths: str):
    """The same model written out by hand from the codebook and estimated directly."""
    from workbench.pls import estimate_pls

    cb = survey.codebook
    names = ["education", "entertainment", "esthetics", "escapism", "memory", "satisfaction"]
    blocks = [f"{c} =~ {' + '.join(cb.constructs[c].items)}" for c in [*names, "loyalty"]]
    return estimate_pls(survey.frame, "\n".join([*blocks, paths]), missing="listwise")


def test_pls_paths_and_r2_equal_estimate_pls_exactly(survey, pls_study):
    fit = _independent_pls_fit(survey, REALM_PATHS)
    table = pls_study.paths_table()
    assert len(table) == len(fit.paths) == 6
    for row in table.itertuples(index=False):
        expected = fit.paths.loc[f"{row.predictor}->{row.outcome}", "estimate"]
        assert row.estimate == expected  # the same algorithm on the same rows: bit for bit
        assert row.std == row.estimate  # PLS paths are standardized
    assert (
        pls_study.n_structural
        == fit.n
        == survey.frame[
            [i for c in fit.specification.constructs for i in fit.specification.items[c]]
        ]
        .dropna()
        .shape[0]
    )
    assert pls_study.r2_table()["r2"].to_dict() == fit.r2["r2"].to_dict()
    assert pls_study.measurement_table()[["alpha", "rho_a", "rho_c", "ave"]].equals(
        fit.reliability().loc[
            pls_study.measurement_table().index, ["alpha", "rho_a", "rho_c", "ave"]
        ]
    )


def test_pls_standard_errors_and_intervals_come_from_the_bootstrap(pls_study):
    boot = pls_study.boot.of("path")
    table = pls_study.paths_table()
    assert pls_study.boot.n_boot == 200 and pls_study.boot.seed == 7
    for row in table.itertuples(index=False):
        b = boot.loc[f"{row.predictor}->{row.outcome}"]
        assert row.se == row.std_se == b["boot_se"] > 0
        assert (row.std_ci_low, row.std_ci_high, row.p) == (b["ci_low"], b["ci_high"], b["p"])
        assert row.std_ci_low < row.estimate < row.std_ci_high
    r2 = pls_study.r2_table()
    assert (r2["ci_low"] < r2["r2"]).all() and (r2["r2"] < r2["ci_high"]).all()


def test_pls_bootstrap_is_reproducible_from_its_seed(survey):
    def run(seed):
        return analyse(survey, method="pls", compare_models=False, bootstrap=100, seed=seed)

    a, b, c = run(11), run(11), run(12)
    assert a.paths_table()["se"].tolist() == b.paths_table()["se"].tolist()
    assert a.paths_table()["se"].tolist() != c.paths_table()["se"].tolist()
    assert a.paths_table()["estimate"].tolist() == c.paths_table()["estimate"].tolist()


def test_pls_indirect_effects_are_products_of_their_paths(pls_study):
    b = {
        (r.predictor, r.outcome): r.estimate
        for r in pls_study.paths_table().itertuples(index=False)
    }
    ind = pls_study.indirect.set_index("chain")
    chains = ind[ind["kind"] == "indirect"]
    assert len(chains) == 9  # 4 realms x 2 outcomes downstream of memory, + memory->...->loyalty
    for chain, row in chains.iterrows():
        nodes = chain.split("->")
        product = math.prod(b[(x, y)] for x, y in itertools.pairwise(nodes))
        assert row["estimate"] == pytest.approx(product, rel=1e-12)
        assert row["std_all"] == row["estimate"]
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
        assert row["method"] == "percentile bootstrap" and row["se"] > 0
    # one chain per pair here: total indirect = the chain; no direct path, so total = indirect
    e_m, m_s, s_l = (
        b[("esthetics", "memory")],
        b[("memory", "satisfaction")],
        b[("satisfaction", "loyalty")],
    )
    for suffix in (" (total indirect)", " (total)"):
        assert ind.loc[f"esthetics->loyalty{suffix}", "estimate"] == pytest.approx(
            e_m * m_s * s_l, rel=1e-12
        )
    assert set(ind["kind"]) == {"indirect", "total_indirect", "total"}


def test_pls_indirect_totals_add_direct_and_indirect_paths(survey):
    s = analyse(
        survey,
        method="pls",
        paths="memory ~ esthetics; loyalty ~ memory + esthetics",
        compare_models=False,
        bootstrap=100,
    )
    b = {(r.predictor, r.outcome): r.estimate for r in s.paths_table().itertuples(index=False)}
    ind = s.indirect.set_index("chain")["estimate"]
    chain = b[("esthetics", "memory")] * b[("memory", "loyalty")]
    assert ind["esthetics->memory->loyalty"] == pytest.approx(chain, rel=1e-12)
    assert ind["esthetics->loyalty (total indirect)"] == pytest.approx(chain, rel=1e-12)
    assert ind["esthetics->loyalty (total)"] == pytest.approx(
        chain + b[("esthetics", "loyalty")], rel=1e-12
    )
    # the realm importance is the PLS total effect
    assert s.importance["esthetics"] == pytest.approx(ind["esthetics->loyalty (total)"])


def test_pls_realm_importance_is_the_total_effect_on_the_outcome(pls_study):
    b = {
        (r.predictor, r.outcome): r.estimate
        for r in pls_study.paths_table().itertuples(index=False)
    }
    downstream = b[("memory", "satisfaction")] * b[("satisfaction", "loyalty")]
    for realm in ("education", "entertainment", "esthetics", "escapism"):
        assert pls_study.importance[realm] == pytest.approx(b[(realm, "memory")] * downstream)
    assert pls_study.importance.idxmax() == "esthetics"  # the simulated truth, as under ML
    assert pls_study.ipa is not None
    assert set(pls_study.ipa.table.index) == set(pls_study.importance.index)


def test_pls_results_json_keeps_the_contract_keys(pls_study):
    res = pls_study.results()
    json.dumps(res, allow_nan=False)
    sem_ = res["sem"]
    assert sem_["method"] == "pls"
    assert {"srmr", "d_uls", "d_g"} <= set(sem_["fit"])
    assert {"srmr", "d_uls", "d_g"} == set(sem_["fit"]["saturated"])
    assert sem_["fit"]["srmr"] == pytest.approx(
        pls_study.structural.model_fit().loc["srmr", "estimated"]
    )
    path = sem_["paths"]["memory~esthetics"]
    assert {"estimate", "se", "p", "std", "ci_low", "ci_high"} <= set(path)
    assert path["estimate"] == path["std"]
    assert path["se"] == pls_study.boot.of("path").loc["esthetics->memory", "boot_se"]
    assert set(sem_["r2"]) == {"memory", "satisfaction", "loyalty"}
    assert all(isinstance(v, float) for v in sem_["r2"].values())
    chain = sem_["indirect"]["esthetics->memory->satisfaction->loyalty"]
    assert {"estimate", "ci_low", "ci_high"} <= set(chain)
    assert "esthetics->loyalty (total)" in sem_["indirect"]
    assert sem_["bootstrap"] == {
        "n_boot": 200,
        "n_failed": 0,
        "seed": 7,
        "ci": 0.95,
        "interval": "percentile (BCa in bca_low, bca_high)",
    }
    assert sem_["pls"]["estimator"] == "pls" and sem_["pls"]["converged"] is True
    m = res["measurement"]
    assert m["method"] == "pls"
    assert {"alpha", "rho_a", "rho_c", "ave"} <= set(m["constructs"]["esthetics"])
    assert m["htmt"]["esthetics"]["memory"] == pytest.approx(
        pls_study.structural.htmt().loc["esthetics", "memory"]
    )
    # the covariance-based analyses are kept, as ML CFAs
    for model in res["model_comparison"].values():
        assert {"chi2", "df", "cfi", "bic"} <= set(model)
    assert set(res["invariance"]) >= {"configural", "metric", "scalar"}
    assert res["realms"]["esthetics"]["importance"] == pytest.approx(
        pls_study.importance["esthetics"]
    )


def test_pls_keeps_the_ml_comparison_and_invariance_unchanged(study, pls_study):
    # both are ML CFAs of the realms' items on the same rows, whatever the structural estimator
    assert pls_study.comparison.equals(study.comparison)
    assert pls_study.invariance.table.equals(study.invariance.table)


def test_the_report_says_which_estimator_was_used(study, pls_study):
    first = pls_study.findings[0]
    assert "PLS-SEM" in first and "not by maximum-likelihood SEM" in first
    assert "200 bootstrap resamples (seed 7)" in first and "SRMR" in first
    assert any("maximum-likelihood CFAs" in f for f in pls_study.findings)
    assert "method=pls" in pls_study.method_note and "Mode A" in pls_study.method_note
    assert pls_study.headline()["estimator"].startswith("PLS-SEM")
    assert "method=ml" in study.method_note and "maximum-likelihood SEM" in study.method_note


def test_pls_with_mean_replacement_keeps_every_respondent(survey):
    s = analyse(survey, method="pls", missing="mean", compare_models=False, bootstrap=100)
    report = s.missing_report
    assert s.n_structural == survey.n == report["n_used"]
    assert report["treatment"] == "mean" and sum(report["replaced"].values()) > 0
    assert f"{sum(report['replaced'].values())} missing answer(s) replaced" in s.findings[0]


@pytest.mark.parametrize(
    ("method", "missing", "works"),
    [
        ("pls", "fiml", "method=pls: missing=mean or listwise"),
        ("ml", "mean", "method=ml: missing=fiml or listwise"),
    ],
)
def test_a_missing_treatment_the_method_cannot_use_is_refused(survey, method, missing, works):
    with pytest.raises(
        InputError, match=f"missing={missing} cannot be used with method={method}"
    ) as info:
        analyse(survey, method=method, missing=missing, bootstrap=100)
    assert works in info.value.hint


def test_fiml_with_pls_stops_the_command_with_exit_2(tmp_path, monkeypatch):
    from helpers import run_main

    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    code, _, err = run_main([
        "run", "experience-economy", "--data", str(DATA / "loyalty_survey.csv"),
        "--codebook", str(DATA / "loyalty_survey.codebook.yaml"),
        "--param", "method=pls", "--param", "missing=fiml",
    ])  # fmt: skip
    assert code == 2 and "Traceback" not in err
    assert "missing=fiml cannot be used with method=pls" in err
    assert "method=pls: missing=mean or listwise" in err
    assert not (tmp_path / "reports").exists()  # refused before any kernel or folder


def test_pls_paths_may_carry_labels_but_not_covariances(survey):
    s = analyse(
        survey,
        method="pls",
        paths="memory ~ a*esthetics + education; loyalty ~ memory",
        compare_models=False,
        bootstrap=100,
    )
    pairs = set(zip(s.paths_table()["outcome"], s.paths_table()["predictor"], strict=True))
    assert pairs == {("memory", "esthetics"), ("memory", "education"), ("loyalty", "memory")}
    with pytest.raises(InputError, match="residual covariance"):
        analyse(
            survey,
            method="pls",
            paths="memory ~ esthetics; loyalty ~ memory; memory ~~ loyalty",
            compare_models=False,
            bootstrap=100,
        )
    with pytest.raises(InputError, match="fixes a path to a number"):
        analyse(survey, method="pls", paths="loyalty ~ 0*memory + esthetics", bootstrap=100)


def test_notebook_runs_end_to_end_with_pls(tmp_path, monkeypatch):
    from workbench.runner import cli

    lines = (DATA / "loyalty_survey.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "small.csv"
    data.write_text("\n".join(lines[:401]) + "\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    out = tmp_path / "run"
    code = cli.main([
        "run", "experience-economy", "--data", str(data),
        "--codebook", str(DATA / "loyalty_survey.codebook.yaml"),
        "--param", "method=pls", "--param", "bootstrap=100", "--param", "group=channel",
        "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["parameters"]["method"] == "pls"
    assert results["sem"]["method"] == "pls" and results["measurement"]["method"] == "pls"
    assert results["sem"]["indirect"] and results["sem"]["bootstrap"]["n_boot"] == 100
    assert results["headline"]["estimator"].startswith("PLS-SEM")
    assert results["n_used"] == results["sem"]["fit"]["n"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "estimated by PLS-SEM" in html
    assert "Estimator: PLS-SEM (method=pls" in html
    assert "rho_a" in html and "d_uls" in html
    assert html.count("Plotly.newPlot") >= 2  # path diagram, IPA


# --------------------------------------------------------------------------- estimator=wlsmv|mlr
# Reference for estimator=wlsmv: tests/reference/lavaan_wlsmv_sem.R ("experience_economy":
# lavaan 0.6-14 sem(..., ordered = TRUE, estimator = "WLSMV") of the default model on the
# complete cases). Tolerances as issue 17: estimates and SEs 1e-4 (relative to max(1, |x|)),
# standardized 1e-4, test statistics 1e-3 relative, fit indices 1e-4. Worst observed: 5.5e-7
# (estimates), 3e-8 (SEs), 5.5e-7 (std), 4e-8 (statistics, relative), 4e-8 (indices).
WLSMV_REF = json.loads((ROOT / "tests/reference/lavaan_wlsmv_sem.json").read_text())[
    "experience_economy"
]


def _through_validate(survey, **raw):
    """As `workbench run` does: the registry parses and completes the parameters."""
    from workbench.studies import get_study

    params = get_study("experience-economy").validate(raw)
    return analyse(survey, **params)


@pytest.fixture(scope="module")
def wlsmv_study(survey):
    return _through_validate(
        survey,
        estimator="wlsmv",
        missing="listwise",
        group="channel",
        channels=["online_experience", "offline_experience"],
        bootstrap=100,
    )


@pytest.fixture(scope="module")
def mlr_study(survey):
    # default missing for method=ml: fiml (MLR with FIML, delta-method indirect effects)
    return _through_validate(survey, estimator="mlr", bootstrap=100)


def test_wlsmv_structural_model_matches_lavaan(wlsmv_study):
    ref = WLSMV_REF
    res = wlsmv_study.structural.result
    assert res.n == wlsmv_study.n_structural == ref["ntotal"]
    mine = res.estimates.set_index(["lhs", "op", "rhs"])
    for row in ref["estimates"]:
        if row["op"] not in ("=~", "~", "|", "~~"):
            continue
        got = mine.loc[(row["lhs"], row["op"], row["rhs"])]
        scale = max(1.0, abs(row["est"]))
        assert abs(got["estimate"] - row["est"]) / scale < 1e-4, row
        if row["se"] > 0:
            assert abs(got["se"] - row["se"]) / max(1.0, row["se"]) < 1e-4, row
        assert got["std_all"] == pytest.approx(row["std_all"], abs=1e-4), row
    fit = wlsmv_study.structural.fit  # the contract keys: scaled-shifted test, robust indices
    assert fit["chi2"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-3)
    assert fit["df"] == ref["fit"]["df"]
    for key, name in (("cfi", "cfi.robust"), ("tli", "tli.robust"), ("rmsea", "rmsea.robust")):
        assert fit[key] == pytest.approx(ref["fit"][name], abs=1e-4)
    assert fit["srmr"] == pytest.approx(ref["fit"]["srmr"], abs=1e-4)
    table = wlsmv_study.structural_fit_table()
    assert list(table.columns) == ["standard", "scaled", "robust"]
    assert table.loc["chi2", "standard"] == pytest.approx(ref["fit"]["chisq"], rel=1e-3)
    assert table.loc["cfi", "scaled"] == pytest.approx(ref["fit"]["cfi.scaled"], abs=1e-4)


def test_wlsmv_indirect_effects_are_delta_method_products_of_the_ordinal_paths(wlsmv_study):
    paths = wlsmv_study.paths_table().set_index(["outcome", "predictor"])
    chain = wlsmv_study.indirect.set_index("chain").loc["esthetics->memory->satisfaction->loyalty"]
    product = math.prod(
        paths.loc[k, "estimate"]
        for k in [("memory", "esthetics"), ("satisfaction", "memory"), ("loyalty", "satisfaction")]
    )
    assert chain["estimate"] == pytest.approx(product, rel=1e-10)
    assert chain["method"] == "delta method" and chain["ci_low"] < chain["estimate"]
    assert wlsmv_study.boot is None


def test_wlsmv_report_says_which_estimator_why_and_what_changed_against_ml(wlsmv_study):
    note = wlsmv_study.estimator_note
    assert "WLSMV" in note and "25 items are treated as ordered" in note
    assert "7 answer categories" in note and "|skewness| reaches" in note
    assert "estimator=wlsmv" in wlsmv_study.method_note
    changed = wlsmv_study.against_ml_note
    assert changed.startswith("Against ML on the same 610 respondents")
    ml = wlsmv_study.ml_reference
    assert ml.n == 610
    assert f"CFI {ml.fit['cfi']:.3f} and RMSEA {ml.fit['rmsea']:.3f} under ML" in changed
    assert changed in wlsmv_study.findings
    assert "(robust indices, WLSMV)" in wlsmv_study.findings[0]
    assert wlsmv_study.headline()["estimator"] == "WLSMV"


def test_wlsmv_results_json_keeps_every_key_and_adds_the_estimator(wlsmv_study, study):
    ours, ml = wlsmv_study.results(), study.results()
    json.dumps(ours, allow_nan=False)  # AIC/BIC (no likelihood) are null, not NaN
    assert set(ml) <= set(ours) and set(ml["sem"]) <= set(ours["sem"])
    assert set(ml["sem"]["fit"]) == set(ours["sem"]["fit"])
    assert set(ml["sem"]["paths"]) == set(ours["sem"]["paths"])
    for key, entry in ml["sem"]["paths"].items():
        assert set(entry) == set(ours["sem"]["paths"][key])
    assert set(ml["sem"]["indirect"]) == set(ours["sem"]["indirect"])
    assert set(ml["measurement"]) <= set(ours["measurement"])
    assert ours["sem"]["estimator"] == "wlsmv" and ml["sem"]["estimator"] == "ml"
    est = ours["estimator"]
    assert est["name"] == "wlsmv" and est["ordered"] == "auto" and len(est["ordered_items"]) == 25
    assert est["item_categories"]["AE2"]["categories"] == 7
    assert set(est["fit_structural"]) == {"standard", "scaled", "robust"}
    assert est["ml_fit"]["n"] == 610 and est["against_ml"].startswith("Against ML")
    assert ml["estimator"]["name"] == "ml" and ml["estimator"]["fit_structural"] is None


def test_wlsmv_competing_models_use_the_scaled_shifted_difference_test(wlsmv_study):
    c = wlsmv_study.comparison
    assert c["aic"].isna().all() and c["bic"].isna().all()  # DWLS has no likelihood
    assert (c["n"] == 610).all() and (c["chi2"] > c["chi2_standard"]).all()
    second = c.loc["second-order experience"]
    assert second["vs"] == "four correlated realms" and second["delta_df"] == 2
    assert 0 < second["delta_p"] < 1
    assert c.loc["edutainment (3 factors)", "delta_p"] < 0.001  # the realms are distinct
    assert any("scaled-shifted Δχ²" in f for f in wlsmv_study.findings)


def test_wlsmv_invariance_with_an_empty_category_is_a_warning_naming_item_and_group(
    wlsmv_study,
):
    # AE3's lowest category has no complete-case answer in the 'offline' channel
    assert wlsmv_study.invariance is None
    text = next(w for w in wlsmv_study.warnings if w.startswith("Invariance across channel"))
    assert "'AE3'" in text and "'offline'" in text and "What to do" in text


def test_mlr_keeps_the_ml_estimates_with_robust_inference(mlr_study):
    fit, ml = mlr_study.structural, mlr_study.ml_reference
    assert fit.estimator == "mlr" and ml.estimator == "ml" and fit.n == ml.n == 800
    ours = fit.estimates[fit.estimates["op"] == "~"]
    theirs = ml.estimates[ml.estimates["op"] == "~"]
    assert ours["estimate"].to_numpy() == pytest.approx(theirs["estimate"].to_numpy(), abs=1e-6)
    assert not ours["se"].to_numpy() == pytest.approx(theirs["se"].to_numpy(), rel=1e-3)
    table = mlr_study.structural_fit_table()
    assert table.loc["chi2", "scaled"] == pytest.approx(fit.fit["chi2_scaled"], rel=1e-12)
    assert table.loc["cfi", "robust"] == pytest.approx(fit.fit["cfi_robust"], rel=1e-12)
    assert "(robust indices, MLR)" in mlr_study.findings[0]
    assert mlr_study.against_ml_note.startswith("Against ML: the estimates are the ML ones")
    assert "estimator=mlr" in mlr_study.method_note


def test_mlr_competing_models_add_satorra_bentler_scaled_differences(mlr_study):
    c = mlr_study.comparison
    # lavaan's lavTestLRT (satorra.bentler.2001), tests/reference/lavaan_wlsmv_sem.R;
    # observed differences 1e-7 (statistic, relative) and 4e-7 (p)
    ref = json.loads((ROOT / "tests/reference/lavaan_wlsmv_sem.json").read_text())[
        "experience_economy_mlr"
    ]
    second = c.loc["second-order experience"]
    assert second["delta_chi2_scaled"] == pytest.approx(ref["second_order"]["chisq_diff"], rel=1e-3)
    assert second["delta_p_scaled"] == pytest.approx(ref["second_order"]["pvalue"], abs=1e-4)
    assert ref["edutainment"]["chisq_diff"] is None  # lavaan: NA
    # the edutainment pair's Satorra-Bentler correction is negative (undefined statistic):
    # NaN, and the report reads the ML test instead
    assert math.isnan(c.loc["edutainment (3 factors)", "delta_chi2_scaled"])
    assert any("the scaled difference is undefined here" in f for f in mlr_study.findings)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"estimator": "wlsmv"}, "estimator=wlsmv cannot be used with missing=fiml"),
        ({"estimator": "wlsmv", "missing": "listwise", "ordered": "none"}, "ordered=none"),
        ({"estimator": "ml", "ordered": "all"}, "ordered=all cannot be used"),
        ({"estimator": "mlr", "method": "pls"}, "cannot be used with method=pls"),
    ],
)
def test_an_estimator_the_run_cannot_use_is_refused_with_the_reason(survey, raw, needle):
    with pytest.raises(InputError, match=needle) as info:
        _through_validate(survey, bootstrap=100, **raw)
    assert info.value.hint


def test_wlsmv_with_fiml_stops_the_command_with_exit_2_naming_the_reason(tmp_path, monkeypatch):
    from helpers import run_main

    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    code, _, err = run_main([
        "run", "experience-economy", "--data", str(DATA / "loyalty_survey.csv"),
        "--codebook", str(DATA / "loyalty_survey.codebook.yaml"),
        "--param", "estimator=wlsmv",
    ])  # fmt: skip
    assert code == 2 and "Traceback" not in err
    assert "estimator=wlsmv cannot be used with missing=fiml" in err
    assert "complete cases" in err and "missing=listwise" in err
    assert not (tmp_path / "reports").exists()  # refused before any kernel or folder


def test_mlr_with_a_group_tests_invariance_by_robust_ml(survey):
    """The invariance step under MLR: scaled tests and Satorra-Bentler difference tests,
    the same call as workbench.sem.measurement_invariance (checked against lavaan in
    tests/test_invariance_mlr.py)."""
    study = _through_validate(survey, bootstrap=100, estimator="mlr", group="channel")
    table = study.invariance_table()
    assert study.invariance.estimator == "mlr"
    assert {"chi2_scaled", "cfi_robust", "delta_chi2_scaled"} <= set(table.columns)
    assert table["scaling_factor"].notna().all()
