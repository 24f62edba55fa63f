"""The experience-economy study end to end (without the notebook): contract and parity.

Reference: ``tests/reference/r_experience.json`` (R 4.2.2, lavaan 0.6-14; script
``tests/reference/r_experience.R``). Tolerances are the issue's: fit indices within 0.002,
chi2 within 0.1%, unstandardized and standardized paths within 0.005.
"""

from __future__ import annotations

import json
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
    return analyse(
        survey,
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
