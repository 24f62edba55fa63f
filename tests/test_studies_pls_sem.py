"""The pls-sem study end to end: seminr parity through the study, the results.json contract,
bad input before any kernel, and the notebook's report.

Reference: seminr 2.3.1's fixture for the corp_rep simple model
(``../shared/reference/pls/expected.json``, case ``corp-rep-simple``), at seminr's tolerance.
The study's codebook (``data/corp_rep.codebook.yaml``) names the constructs in words
(competence, likeability, satisfaction, loyalty) where seminr writes COMP, LIKE, CUSA, CUSL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_main, sha256

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.studies import get_study, pls_sem

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEMINR_NAMES = {
    "COMP": "competence",
    "LIKE": "likeability",
    "CUSA": "satisfaction",
    "CUSL": "loyalty",
}


@pytest.fixture(scope="module")
def corp():
    return load_survey(DATA / "corp_rep.csv", DATA / "corp_rep.codebook.yaml")


@pytest.fixture(scope="module")
def runs(corp):
    """Each default run of `make report`, analysed in this process."""
    out = {}
    for run in get_study("pls-sem").default_runs:
        survey = corp if run.data.endswith("corp_rep.csv") else load_survey(run.data, run.codebook)
        key = "extended" if run.params.get("formative") else Path(run.data).stem
        out[key] = pls_sem.analyse(survey, **run.params)
    return out


def test_the_primer_model_through_the_study_matches_seminr(runs, shared_reference):
    case = json.loads((shared_reference / "pls" / "expected.json").read_text())["cases"]
    expected = case["corp-rep-simple"]["expected"]
    study = runs["corp_rep"]
    assert study.fit.n == expected["n"] == 344
    for key, value in expected["paths"].items():
        source, target = (SEMINR_NAMES[n] for n in key.split("->"))
        got = study.fit.paths.loc[f"{source}->{target}", "estimate"]
        assert got == pytest.approx(value["estimate"], rel=1e-5)


def test_results_json_carries_the_contract_keys(runs):
    res = runs["extended"].results()
    assert set(res["pls"]) >= {"estimator", "inner_weighting", "n", "iterations", "converged",
                               "missing"}  # fmt: skip
    assert res["pls"]["missing"]["replaced"] == {"cusa": 1, "cusl_1": 3, "cusl_2": 4, "cusl_3": 3}
    path = res["paths"]["satisfaction->loyalty"]
    assert path["estimate"] == pytest.approx(0.505, abs=5e-4)  # Hair et al. (2022), Exhibit 6.7
    assert path["f2"] > 0.35
    assert res["r2"]["loyalty"]["r2"] == pytest.approx(0.562, abs=5e-4)
    for key in ("total_effects", "loadings", "weights", "fornell_larcker", "reliability", "htmt",
                "vif", "fit"):  # fmt: skip
        assert res[key], key
    assert set(res["vif"]) == {"outer", "inner"} and set(res["fit"]) >= {"srmr", "d_uls", "d_g"}
    assert set(res["reliability"]["loyalty"]) == {"alpha", "rho_a", "rho_c", "ave"}
    # HTMT judges reflective constructs only: no formative composite appears
    flat = {b for row in res["htmt"].values() for b in row} | set(res["htmt"])
    assert flat.isdisjoint({"quality", "performance", "csr", "attractiveness"})
    # redundancy analyses of the four formative drivers against their global items
    assert set(res["redundancy"]) == {"quality", "performance", "csr", "attractiveness"}
    assert res["redundancy"]["csr"]["global_item"] == "csor_global"
    assert all(0.708 <= r["path"] < 1 for r in res["redundancy"].values())
    # the total effect of satisfaction on loyalty has no indirect part: it equals the path
    total = res["total_effects"]["satisfaction->loyalty"]["estimate"]
    assert total == pytest.approx(path["estimate"], abs=1e-12)
    json.dumps(res)


def test_total_effects_add_every_indirect_chain(runs):
    study = runs["corp_rep"]
    p = study.fit.paths["estimate"]
    total = study.total_effects()["estimate"]
    expected = (
        p["likeability->loyalty"] + p["likeability->satisfaction"] * p["satisfaction->loyalty"]
    )
    assert total["likeability->loyalty"] == pytest.approx(expected, abs=1e-12)


def test_findings_name_the_target_and_the_measurement_problems(runs):
    ecsi = runs["mobi"]
    assert ecsi.target == "loyalty"
    text = " ".join(ecsi.findings)
    assert ecsi.findings[0].startswith("Estimated with the PLS algorithm")
    assert "no missing answers" in ecsi.findings[0]
    assert "11 missing answer(s) replaced by item means" in runs["corp_rep"].findings[0]
    assert "of the variance in Customer loyalty" in text
    assert "AVE below 0.50" in text and "HTMT (or its upper bound) at or above 0.85" in text
    lights = ecsi.loadings_table()["loading check"]
    assert {str(v) for v in lights if v} <= {"green", "amber", "red"}
    assert "amber" in {str(v) for v in lights}  # e.g. CUEX3 loads below 0.708


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "needs a model"),
        (
            {"paths": "loyalty ~ loyality"},
            "'loyality' in `paths` or `formative` is not a construct",
        ),
        ({"paths": "loyalty ~ satisfaction", "formative": ["satisfaction"]}, "one item"),
        ({"paths": "loyalty ~ satisfaction; satisfaction ~ loyalty"}, "cycle"),
        ({"model": "A =~ comp_1 + comp_2; A ~ A"}, "cycle|itself"),
        ({"model": "A =~ comp_1 + nope; B =~ like_1; B ~ A"}, "nope"),
        ({"model": "A =~ comp_1", "paths": "x ~ y"}, "Both `model` and `paths`"),
        (
            {"paths": "loyalty ~ competence", "redundancy": ["competence=comp_1"]},
            "not a formative construct",
        ),
        (
            {"paths": "loyalty ~ quality", "formative": ["quality"], "redundancy": ["quality"]},
            "write CONSTRUCT=GLOBAL_ITEM",
        ),
    ],
)
def test_bad_models_are_refused_before_any_kernel_naming_the_problem(corp, params, match):
    spec = get_study("pls-sem")
    with pytest.raises(InputError, match=match):
        pls_sem.preflight(
            str(DATA / "corp_rep.csv"),
            str(DATA / "corp_rep.codebook.yaml"),
            spec.validate(params),
        )


def test_a_bad_model_exits_2_with_one_line_and_no_folder(reports):
    data = DATA / "corp_rep.csv"
    before = sha256(data)
    code, _, err = run_main(
        ["run", "pls-sem", "--data", str(data), "--codebook", str(DATA / "corp_rep.codebook.yaml"),
         "--param", "paths=loyalty ~ satisfaction; satisfaction ~ loyalty"]
    )  # fmt: skip
    assert code == 2 and "cycle" in err and "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("report.html"))
    assert sha256(data) == before


def test_notebook_runs_end_to_end_and_writes_the_report(tmp_path, reports):
    out = tmp_path / "run"
    code, _, err = run_main(
        ["run", "pls-sem", "--data", str(DATA / "mobi.csv"),
         "--codebook", str(DATA / "mobi.codebook.yaml"),
         "--param", "paths=satisfaction ~ image + value; loyalty ~ satisfaction",
         "--param", "estimator=plsc", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "pls-sem"
    assert results["pls"]["estimator"] == "plsc" and results["pls"]["converged"] is True
    assert results["pls"]["target"] == "loyalty"
    diagnosis = results["missing_diagnosis"]  # the screening every survey study shows
    assert diagnosis["n_respondents"] == 250 and diagnosis["complete_cases"] == 250
    assert diagnosis["little_mcar"]["df"] == 0  # complete data: nothing to test
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "Discriminant validity" in html
    assert "Missing answers" in html and "Little" in html
    assert "Estimated with consistent PLS (PLSc" in html  # the report says which was used
    assert "from workbench" not in html


def test_inference_prediction_and_ipma_fill_the_contract_keys(runs):
    res = runs["corp_rep"].results()
    path = res["paths"]["likeability->loyalty"]
    assert path["ci_low"] < path["estimate"] < path["ci_high"] and path["p"] < 0.05
    assert path["boot_se"] > 0 and path["t"] == pytest.approx(path["estimate"] / path["boot_se"])
    assert res["pls"]["bootstrap"]["n_boot"] == 5000 and res["pls"]["bootstrap"]["n_failed"] == 0
    chain = res["indirect"]["likeability->satisfaction->loyalty"]
    p = res["paths"]
    assert chain["estimate"] == pytest.approx(
        p["likeability->satisfaction"]["estimate"] * p["satisfaction->loyalty"]["estimate"]
    )
    assert res["mediation"]["likeability->satisfaction->loyalty"]["type"] == (
        "complementary partial mediation"
    )
    assert set(res["loadings_ci"]["loyalty"]["cusl_1"]) == {"boot_se", "ci_low", "ci_high"}
    assert set(res["weights_ci"]["competence"]) == {"comp_1", "comp_2", "comp_3"}
    pair = res["htmt"]["competence"]["likeability"]
    assert pair["ci_low"] < pair["estimate"] < pair["upper_one_sided"] < pair["ci_high"] + 1e-12
    assert set(res["predict"]["cusl_1"]) == {"pls_rmse", "pls_mae", "lm_rmse", "lm_mae",
                                             "q2_predict"}  # fmt: skip
    assert set(res["cvpat"]) >= {"IA", "LM"}
    assert res["ipma"]["target"] == "loyalty"
    assert 0 <= res["ipma"]["constructs"]["likeability"]["performance"] <= 100
    # importance = unstandardized total effect; its ranking follows the standardized one here
    imp = res["ipma"]["constructs"]
    assert imp["likeability"]["importance"] > imp["competence"]["importance"]


def test_groups_interactions_and_higher_order_models_run_through_the_study(corp):
    grouped = pls_sem.analyse(
        corp, paths=SIMPLE, group="servicetype", permutations=200, bootstrap=200
    ).results()
    assert set(grouped["micom"]) == {"competence", "likeability", "satisfaction", "loyalty"}
    mga = grouped["mga"]["satisfaction->loyalty"]
    assert {"estimate_1", "estimate_2", "diff", "p_permutation", "p_henseler"} <= set(mga)
    moderated = pls_sem.analyse(corp, paths=SIMPLE + " + likeability:satisfaction", bootstrap=300)
    res = moderated.results()
    assert res["pls"]["model_kind"] == "interaction" and res["interactions"]
    slopes = moderated.slopes_table()
    assert list(slopes["moderator_at"]) == ["-1 SD", "mean", "+1 SD"]
    assert (slopes["ci_low"] < slopes["slope"]).all() and (
        slopes["slope"] < slopes["ci_high"]
    ).all()
    hoc = pls_sem.analyse(
        corp,
        model="competence =~ comp_1 + comp_2 + comp_3; likeability =~ like_1 + like_2 + like_3;"
        " reputation =~ competence + likeability; satisfaction =~ cusa;"
        " loyalty =~ cusl_1 + cusl_2 + cusl_3; satisfaction ~ reputation;"
        " loyalty ~ reputation + satisfaction",
        bootstrap=200,
    ).results()
    assert hoc["pls"]["model_kind"] == "higher_order" and hoc["higher_order"]
    assert "ipma" not in hoc  # IPMA is for models without interactions or HOCs


SIMPLE = (
    "satisfaction ~ competence + likeability; loyalty ~ competence + likeability + satisfaction"
)


def test_traffic_lights_keep_their_colour_in_english_tables(runs):
    """pandas 3 stores a plain list of markers as a string column, dropping the colour: every
    check column is kept as objects, so the report draws the circle beside the word."""
    from workbench.presentation.report import Marker

    study = next(iter(runs.values()))
    checks = {
        "loading check": study.loadings_table(),
        "reliability check": study.reliability_table(),
        "AVE check": study.reliability_table(),
        "check": study.htmt_table(),
    }
    for column, table in checks.items():
        lights = [v for v in table[column] if str(v) in ("green", "amber", "red")]
        assert lights, column
        assert all(isinstance(v, Marker) and v.colour.startswith("#") for v in lights), column
