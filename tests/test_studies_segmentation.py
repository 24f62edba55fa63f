"""The segmentation study end to end: the results.json contract, the stated rule for k, the
segment descriptions, the membership file, recovery of planted segments, refusals before any
kernel, and the notebook's report.

The statistics underneath (Gaussian mixtures, selection, k-means, stability) are checked
against R mclust 6.0 in tests/test_segmentation_*.py; here the study is checked against
independent recomputation from the data (item means, complete cases, the rule applied to the
criteria table) and against a planted truth.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import DATA, run_main, sha256
from scipy import stats

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.segmentation import adjusted_rand_index
from workbench.studies import STUDIES, segmentation

SURVEY = DATA / "loyalty_survey.csv"
CODEBOOK = DATA / "loyalty_survey.codebook.yaml"
VARIABLES = ["trust", "satisfaction", "value", "belonging", "memory"]
# quick settings: the point is the study's plumbing, not the precision of the bootstrap
QUICK = {"models": ["EII", "VII", "EEI", "VVI", "EEE", "VEE", "VVV"], "max_k": 4, "blrt": 19,
         "stability": 10, "restarts": 1}  # fmt: skip


@pytest.fixture(scope="module")
def survey():
    return load_survey(SURVEY, CODEBOOK)


@pytest.fixture(scope="module")
def lpa(survey, tmp_path_factory):
    out = tmp_path_factory.mktemp("lpa")
    params = STUDIES["segmentation"].validate({"variables": VARIABLES, "by": "tier", **QUICK})
    return segmentation.analyse(survey, **params, output_dir=out), out


@pytest.fixture(scope="module")
def kmeans(survey):
    params = STUDIES["segmentation"].validate(
        {"variables": VARIABLES, "method": "kmeans", "max_k": 4, "stability": 3}
    )
    return segmentation.analyse(survey, **params)


def _complete_item_means(survey) -> pd.DataFrame:
    """Construct scores recomputed from the items: respondents who answered every item."""
    cb = survey.codebook
    items = {v: list(cb.constructs[v].items) for v in VARIABLES}
    frame = survey.frame
    complete = frame[[i for v in VARIABLES for i in items[v]]].notna().all(axis=1)
    return pd.DataFrame({v: frame.loc[complete, items[v]].mean(axis=1) for v in VARIABLES})


def test_results_json_carries_the_contract_keys(lpa):
    study, _ = lpa
    res = study.results()
    assert set(res["segmentation"]) >= {"method", "model", "k", "chosen_by", "n", "variables"}
    assert res["segmentation"]["method"] == "lpa" and res["segmentation"]["variables"] == VARIABLES
    for k, models in res["selection"].items():
        assert 1 <= int(k) <= QUICK["max_k"] and set(models) == set(QUICK["models"])
        for cell in models.values():
            assert set(cell) >= {"loglik", "bic", "icl", "sabic", "entropy", "min_share", "blrt_p"}
    assert set(res["segments"]) == {str(s) for s in range(1, study.k + 1)}
    for seg in res["segments"].values():
        assert set(seg) >= {"name", "size", "share", "means"} and set(seg["means"]) == set(
            VARIABLES
        )
    assert set(res["stability"]) >= {"ari_mean", "jaccard"}
    assert set(res["stability"]["jaccard"]) == set(res["segments"])
    tier = res["crosstabs"]["tier"]
    assert set(tier) >= {"counts", "chi2", "df", "p", "cramers_v"}
    json.dumps(res, allow_nan=False)  # strict JSON: no NaN leaks into results.json


def test_segments_partition_exactly_the_complete_respondents(lpa, survey):
    study, _ = lpa
    scores = _complete_item_means(survey)
    assert study.n_used == len(scores) < survey.n  # listwise, some dropped
    assert study.missing_report["n_dropped"] == survey.n - len(scores)
    assert sum(s["size"] for s in study.results()["segments"].values()) == study.n_used
    assert sum(s["share"] for s in study.results()["segments"].values()) == pytest.approx(1.0)
    sizes = study.sizes.to_numpy()
    assert list(sizes) == sorted(sizes, reverse=True)  # numbered by size, largest first
    post = study.posterior.to_numpy()
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(post.argmax(axis=1) + 1, study.classification)
    np.testing.assert_allclose(study.uncertainty, 1 - post.max(axis=1), atol=1e-12)
    assert any("left out (listwise)" in w for w in study.warnings)


def test_the_chosen_solution_obeys_the_stated_rule(lpa):
    study, _ = lpa
    res = study.results()
    cells = [
        (c["bic"], int(k), m)
        for k, models in res["selection"].items()
        for m, c in models.items()
        if c["bic"] is not None and c["min_share"] >= 0.05
    ]
    best_bic, best_k, best_model = min(cells)
    assert (study.k, study.model) == (best_k, best_model)
    assert res["segmentation"]["chosen_by"] == "lowest BIC with no segment under 5% of the members"
    # BIC as the issue defines it: -2 logL + npar log n (lower is better)
    chosen = res["selection"][str(best_k)][best_model]
    assert best_bic == pytest.approx(
        -2 * chosen["loglik"] + chosen["npar"] * math.log(study.n_used)
    )
    # the BLRT ran for the chosen model only
    blrt = [c["blrt_p"] for k, m in res["selection"].items() for name, c in m.items()
            if c["blrt_p"] is not None and name != best_model]  # fmt: skip
    assert blrt == []


def test_means_intervals_and_features_are_those_of_the_assigned_members(lpa, survey):
    study, _ = lpa
    scores = _complete_item_means(survey)
    grand, sd = scores.mean(), scores.std(ddof=1)
    res = study.results()["segments"]
    for s in range(1, study.k + 1):
        members = scores[study.classification == s]
        for v in VARIABLES:
            x = members[v]
            half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
            assert res[str(s)]["means"][v] == pytest.approx(x.mean(), rel=1e-12)
            assert res[str(s)]["ci_low"][v] == pytest.approx(x.mean() - half, rel=1e-12)
            assert res[str(s)]["ci_high"][v] == pytest.approx(x.mean() + half, rel=1e-12)
            z = (x.mean() - grand[v]) / sd[v]
            assert res[str(s)]["std_means"][v] == pytest.approx(z, rel=1e-10)
            word = f"{'high' if z > 0 else 'low'} {v}"
            assert (word in res[str(s)]["features"]) == (abs(z) >= 0.5)


def test_the_names_follow_the_stated_rule():
    z = pd.Series({"trust": 0.9, "value": -0.7, "memory": 0.2, "belonging": 0.6})
    assert segmentation.distinctive_features(z) == ["high trust", "low value", "high belonging"]
    assert segmentation.suggest_name(z) == "High trust, low value"
    assert segmentation.suggest_name(pd.Series({"a": 0.6, "b": 0.8})) == "High on all"
    assert segmentation.suggest_name(pd.Series({"a": 0.1, "b": -0.4})) == "Average on all"


def test_membership_file_is_written_beside_the_report_and_the_input_untouched(lpa, survey):
    study, out = lpa
    before = sha256(SURVEY)
    path = out / "segments.csv"
    written = pd.read_csv(path)
    assert len(written) == study.n_used
    assert list(written.columns[:6]) == ["row", "respondent_id", "segment", "segment_name",
                                         "uncertainty", "p_1"]  # fmt: skip
    # each row points at its respondent in the data
    ids = survey.frame["respondent_id"].to_numpy()[written["row"].to_numpy() - 1]
    np.testing.assert_array_equal(ids, written["respondent_id"].to_numpy())
    np.testing.assert_array_equal(written["segment"].to_numpy(), study.classification)
    assert study.results()["segmentation"]["membership_file"] == "segments.csv"
    assert sha256(SURVEY) == before


def test_the_crosstab_test_is_pearsons_chi_square(lpa, survey):
    study, _ = lpa
    c = study.results()["crosstabs"]["tier"]
    counts = pd.DataFrame(c["counts"]).T.to_numpy(dtype=float)
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0) / counts.sum()
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    df = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    assert c["chi2"] == pytest.approx(chi2, rel=1e-10) and c["df"] == df
    assert c["p"] == pytest.approx(stats.chi2.sf(chi2, df), rel=1e-8)
    assert c["cramers_v"] == pytest.approx(
        math.sqrt(chi2 / (counts.sum() * (min(counts.shape) - 1)))
    )
    assert c["n"] == study.n_used  # every analysed respondent has a tier


def test_kmeans_keeps_the_highest_silhouette_allowed(kmeans):
    res = kmeans.results()
    table = kmeans.criteria_table()
    allowed = table[table["min_share"] >= 0.05]
    assert kmeans.k == int(allowed["silhouette"].idxmax())
    assert set(res["selection"]) == {"2", "3", "4"}
    assert res["selection"]["2"]["kmeans"]["bic"] is None  # no likelihood for k-means
    assert (kmeans.uncertainty == 0).all()
    assert sum(s["size"] for s in res["segments"].values()) == kmeans.n_used


def test_planted_segments_are_recovered_and_linked_to_their_group(tmp_path):
    rng = np.random.default_rng(11)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 4.0], [0.0, 5.0, -3.0]])
    truth = np.repeat([0, 1, 2], [150, 100, 60])
    x = centres[truth] + rng.normal(0, 1, (truth.size, 3))
    frame = pd.DataFrame(x, columns=["spend", "visits", "trust_score"])
    frame.insert(0, "group", np.array(["a", "b", "c"])[truth])
    path = tmp_path / "planted.csv"
    frame.to_csv(path, index=False)
    survey = load_survey(path, None)
    params = STUDIES["segmentation"].validate({
        "variables": ["spend", "visits", "trust_score"], "by": "group", "models": ["EII", "VVV"],
        "max_k": 5, "blrt": 0, "stability": 10,
    })  # fmt: skip
    study = segmentation.analyse(survey, **params)
    assert study.k == 3
    assert adjusted_rand_index(study.classification, truth) > 0.95
    assert study.results()["crosstabs"]["group"]["cramers_v"] > 0.95
    assert study.stability is not None and study.stability.ari_mean > 0.9
    assert study.results()["segments"]["1"]["size"] == pytest.approx(150, abs=5)


def test_an_unknown_variable_is_refused_naming_the_column(survey):
    with pytest.raises(InputError) as err:
        segmentation.check_inputs(survey, variables=["trust", "trsut"])
    assert err.value.column == "trsut" and "trust" in (err.value.hint or "")


def test_a_categorical_variable_is_refused_naming_the_column(survey):
    with pytest.raises(InputError) as err:
        segmentation.check_inputs(survey, variables=["trust", "channel"])
    assert err.value.column == "channel" and "not numeric" in str(err.value)


def test_non_listwise_treatments_and_misplaced_three_step_columns_are_refused(survey):
    spec = STUDIES["segmentation"]
    assert spec.validate({"method": "lca"})["method"] == "lca"
    with pytest.raises(InputError, match="k-means assigns members with certainty"):
        segmentation.check_inputs(survey, variables=VARIABLES, method="kmeans", covariates=["age"])
    assert segmentation.check_inputs(survey, variables=VARIABLES, covariates=["age"])
    with pytest.raises(InputError) as err:
        segmentation.check_inputs(survey, variables=["trust"], method="lca", distal=["TR1"])
    assert err.value.column == "TR1" and "segmented on" in str(err.value)
    with pytest.raises(InputError) as err:
        segmentation.check_inputs(survey, variables=["trust"], method="lca", covariates=["agee"])
    assert err.value.column == "agee"
    with pytest.raises(InputError) as err:
        segmentation.check_inputs(survey, variables=["trust"], method="lca", distal=["channel"])
    assert err.value.column == "channel" and "not numeric" in str(err.value)
    with pytest.raises(InputError) as err:  # age: a continuous column, not an indicator
        segmentation.check_inputs(survey, variables=["trust", "age"], method="lca")
    assert err.value.column == "age" and "2 to 10 categories" in str(err.value)
    for word in ("pairwise", "fiml", "mi", "mean"):
        with pytest.raises(InputError, match=f"cannot honour missing={word}"):
            spec.validate({"missing": word})
    with pytest.raises(InputError) as err:
        segmentation.check_inputs(survey, variables=VARIABLES, models=["VVV", "XYZ"])
    assert "XYZ" in str(err.value)


def test_a_bad_by_column_exits_2_before_any_kernel(reports):
    before = sha256(SURVEY)
    code, _, err = run_main(
        ["run", "segmentation", "--data", str(SURVEY), "--codebook", str(CODEBOOK),
         "--param", "by=tierr"]
    )  # fmt: skip
    assert code == 2 and "tierr" in err and "Traceback" not in err
    assert not reports.exists() or not any(reports.rglob("report.html"))
    assert sha256(SURVEY) == before


def test_notebook_runs_end_to_end_and_writes_report_results_and_membership(tmp_path, reports):
    out = tmp_path / "run"
    before = sha256(SURVEY)
    code, _, err = run_main(
        ["run", "segmentation", "--data", str(SURVEY), "--codebook", str(CODEBOOK),
         "--param", "variables=[trust, satisfaction, value]", "--param", "by=channel",
         "--param", "models=[EII, VII]", "--param", "max_k=3", "--param", "blrt=9",
         "--param", "stability=5", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "segmentation"
    assert results["segmentation"]["variables"] == ["trust", "satisfaction", "value"]
    assert results["segmentation"]["k"] > 1
    assert results["n_used"] == results["segmentation"]["n"]
    assert set(results["crosstabs"]) == {"channel"}
    membership = pd.read_csv(out / "segments.csv")
    assert len(membership) == results["n_used"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and "How many segments" in html and "Do the segments" in html
    assert "lower is better" in html and "plotly" in html.lower()
    assert "from workbench" not in html
    assert sha256(SURVEY) == before


def test_data_without_segments_give_one_segment_and_say_so(tmp_path):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(0, 1, (300, 3)), columns=["a", "b", "c"])
    frame["group"] = rng.choice(["x", "y"], 300)
    path = tmp_path / "one.csv"
    frame.to_csv(path, index=False)
    params = STUDIES["segmentation"].validate(
        {"variables": ["a", "b", "c"], "by": "group", "models": ["EII", "VVV"], "max_k": 3,
         "blrt": 0, "stability": 5}
    )  # fmt: skip
    study = segmentation.analyse(load_survey(path, None), **params)
    assert study.k == 1 and study.stability is None and study.crosstab is None
    assert study.findings[0].startswith("No segments")
    assert any("One segment was chosen" in w for w in study.warnings)
    res = study.results()
    assert res["segments"]["1"]["size"] == 300 and res["crosstabs"] == {}
    json.dumps(res, allow_nan=False)


# --------------------------------------------------------------------------- latent classes
LCA_ITEMS = ["TR1", "TR2", "SA1", "SA2"]
LCA_QUICK = {"method": "lca", "max_k": 3, "starts": 2, "se_bootstrap": 3, "stability": 2}


@pytest.fixture(scope="module")
def lca(survey, tmp_path_factory):
    out = tmp_path_factory.mktemp("lca")
    params = STUDIES["segmentation"].validate(
        {"variables": ["trust", "SA1", "SA2"], "covariates": ["age", "gender"],
         "distal": ["recommend"], "by": "tier", **LCA_QUICK}
    )  # fmt: skip
    return segmentation.analyse(survey, **params, output_dir=out), out


def test_lca_expands_constructs_to_items_and_keeps_the_contract(lca, survey):
    study, out = lca
    items = ["TR1", "TR2", "TR3", "TR4", "SA1", "SA2"]
    assert study.lca is not None and list(study.lca.indicators) == items
    cols = [*items, "age", "gender", "recommend"]
    assert study.n_used == int(survey.frame[cols].notna().all(axis=1).sum())
    res = study.results()
    assert set(res) >= {"segmentation", "selection", "segments", "stability", "crosstabs", "lca"}
    assert res["segmentation"]["method"] == "lca" and res["segmentation"]["model"] == "lca"
    assert set(res["selection"]) == {"1", "2", "3"}
    for cell in (m["lca"] for m in res["selection"].values()):
        assert set(cell) >= {"loglik", "bic", "icl", "sabic", "entropy", "min_share", "blrt_p"}
    # the rule: lowest BIC among the k with no class under 5%
    allowed = study.lca.table[study.lca.table["min_share"] >= 0.05]
    assert study.k == int(allowed["bic"].idxmin())
    # segments are the modal classes; their means are those of the items' answers
    for s in range(1, study.k + 1):
        members = survey.frame.loc[study.scores.index[study.classification == s], "TR1"]
        assert res["segments"][str(s)]["means"]["TR1"] == pytest.approx(members.mean())
    assert res["lca"]["k"] == study.k and len(res["lca"]["response_probabilities"]) == 6
    terms = {c["term"] for c in res["lca"]["covariates"]}
    assert terms == {"intercept", "age", "gender[male]", "gender[other]"}  # female: reference
    assert all(c["se"] > 0 for c in res["lca"]["covariates"])
    assert {d["outcome"] for d in res["lca"]["distal"]} == {"recommend"}
    written = pd.read_csv(out / "segments.csv")
    np.testing.assert_array_equal(written["segment"].to_numpy(), study.classification)
    json.dumps(res, allow_nan=False)


def test_notebook_runs_a_latent_class_analysis_end_to_end(tmp_path, reports):
    out = tmp_path / "lca"
    code, _, err = run_main(
        ["run", "segmentation", "--data", str(SURVEY), "--codebook", str(CODEBOOK),
         "--param", "method=lca", "--param", f"variables=[{', '.join(LCA_ITEMS)}]",
         "--param", "covariates=[age]", "--param", "distal=[recommend]",
         "--param", "max_k=3", "--param", "starts=2", "--param", "se_bootstrap=2",
         "--param", "stability=0", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["segmentation"]["method"] == "lca"
    assert results["lca"]["indicators"] == LCA_ITEMS
    assert results["lca"]["correction"] == "BCH"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Item-response probabilities by class" in html  # the figure, not only the heading
    assert "Who is in which segment" in html and "Mean recommend by class" in html
    assert "plotly" in html.lower() and "from workbench" not in html
    assert len(pd.read_csv(out / "segments.csv")) == results["n_used"]


def test_lca_recovers_planted_classes_in_text_answers_and_their_outcome_means(tmp_path):
    rng = np.random.default_rng(8)
    n = 400
    truth = rng.integers(0, 2, n)
    answers = np.array(["no", "maybe", "yes"])
    probs = np.array([[0.8, 0.15, 0.05], [0.05, 0.15, 0.8]])
    frame = pd.DataFrame(
        {
            f"q{j}": answers[(probs[truth].cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)]
            for j in range(1, 6)
        }
    )
    frame["spend"] = np.where(truth == 1, 20.0, 10.0) + rng.normal(0, 3, n)
    path = tmp_path / "answers.csv"
    frame.to_csv(path, index=False)
    params = STUDIES["segmentation"].validate(
        {"method": "lca", "variables": [f"q{j}" for j in range(1, 6)], "distal": ["spend"],
         "max_k": 3, "starts": 2, "se_bootstrap": 10, "stability": 3}
    )  # fmt: skip
    study = segmentation.analyse(load_survey(path, None), **params)
    assert study.k == 2 and adjusted_rand_index(study.classification, truth) > 0.9
    # text categories enter the profile as 0/1 shares, so the names can speak of them
    yes_class = 1 + int(study.lca.response_probabilities.loc[("q1", "yes")].argmax())
    assert "high q1=yes" in study.names()[yes_class]
    means = study.lca.distal_means.xs("spend", level="outcome")["mean"]
    assert means[yes_class] == pytest.approx(20.0, abs=1.0)
    assert means[3 - yes_class] == pytest.approx(10.0, abs=1.0)
    assert any(f.startswith("Mean spend by class (three-step, BCH") for f in study.findings)
    json.dumps(study.results(), allow_nan=False)


# --------------------------------------------------------------------------- links
SEG_SURVEY = DATA / "segments_survey.csv"
SEG_CODEBOOK = DATA / "segments_survey.codebook.yaml"
SEG_TRANSACTIONS = DATA / "segments_transactions.csv"


@pytest.fixture(scope="module")
def linked():
    """The planted-segments survey joined to its transactions, with every link asked for."""
    params = STUDIES["segmentation"].validate(
        {
            "variables": [*VARIABLES, "log_frequency"],
            "by": "tier",
            "transactions": str(SEG_TRANSACTIONS),
            "covariates": ["age", "gender"],
            "distal": ["recommend"],
            "outcome": "loyalty",
            "drivers": ["online_experience", "offline_experience"],
            **{**QUICK, "models": ["EEE", "VEE", "VVV"], "blrt": 0, "stability": 0},
        }
    )
    survey = load_survey(SEG_SURVEY, SEG_CODEBOOK)
    return segmentation.analyse(survey, **params), survey


def test_behaviour_from_transactions_joins_by_member_id_and_is_segmented_on(linked):
    study, survey = linked
    tx = pd.read_csv(SEG_TRANSACTIONS)
    buys = tx[tx["amount"] >= 0].groupby("member_id")["order_id"].nunique()
    # the analysed respondents are those who answered every item and bought: 144 of the
    # 1,000 have no purchase in the file and are left out (counted in a warning)
    assert study.n_used == int(survey.frame["respondent_id"].isin(buys.index).sum())
    assert any("144 of 1000 respondents have no purchase" in w for w in study.warnings)
    freq = study.scores["log_frequency"]
    ids = survey.frame.loc[freq.index, "respondent_id"]
    np.testing.assert_allclose(freq, np.log1p(buys.reindex(ids).to_numpy()), rtol=1e-12)
    # the planted segments are found on attitudes plus behaviour
    truth = json.loads((DATA / "segments_survey.truth.json").read_text(encoding="utf-8"))
    planted = np.asarray(truth["segments"]["membership"])[freq.index]
    assert study.k == 4
    assert adjusted_rand_index(planted, study.classification) > 0.8
    profile = study.behaviour_table()
    assert list(profile.index)[-1] == "all"
    assert profile.loc["all", "frequency"] == pytest.approx(buys.reindex(ids).mean(), rel=1e-12)


def test_rfm_and_dick_basu_crosstabs_and_their_contract(linked):
    study, _survey = linked
    results = study.results()
    assert set(results["crosstabs"]) == {"tier", "rfm_segment", "loyalty_type"}
    db = results["crosstabs"]["loyalty_type"]
    assert sum(sum(row.values()) for row in db["counts"].values()) == study.n_used
    assert set(next(iter(db["counts"].values()))) == {
        "true loyalty", "latent", "spurious", "no loyalty"
    }  # fmt: skip
    # the segment planted as 'devoted' (highest trust and belonging) has the largest share of
    # truly loyal members: high attitude (loyalty above its median) and frequent purchase
    counts = study.links["loyalty_type"]["counts"]
    share = counts["true loyalty"] / counts.sum(axis=1)
    z = study.standardized_means()
    assert share.idxmax() == (z["trust"] + z["belonging"]).idxmax()
    assert results["behaviour"]["profile"]["all"]["members"] == study.n_used


def test_three_step_membership_and_distal_means_for_latent_profiles(linked):
    study, _survey = linked
    t = study.results()["three_step"]
    assert t["correction"] == "BCH" and t["reference_segment"] == 1
    terms = {(r["segment"], r["term"]) for r in t["covariates"]}
    assert (2, "age") in terms and (2, "gender[male]") in terms
    # recommend (not segmented on) is highest in the segment with the highest satisfaction,
    # as the planted paths imply (recommend = .45 satisfaction + .20 belonging + ...)
    dist = study.distal_table().loc["recommend"]
    z = study.standardized_means()
    assert dist["mean"].idxmax() == (0.45 * z["satisfaction"] + 0.2 * z["belonging"]).idxmax()


def test_drivers_per_segment_use_the_drivers_code(linked):
    study, _survey = linked
    res = study.results()["drivers_by_segment"]
    assert res["outcome"] == "loyalty" and res["drivers"] == [
        "online_experience", "offline_experience"
    ]  # fmt: skip
    assert set(res["segments"]) == {"1", "2", "3", "4"}
    assert 0 <= res["slope_test"]["p"] <= 1
    assert study.drivers_table().shape == (3, 4)


def test_link_parameters_are_checked_before_any_kernel(tmp_path):
    survey = load_survey(SEG_SURVEY, SEG_CODEBOOK)
    base = STUDIES["segmentation"].validate({"variables": VARIABLES})
    with pytest.raises(InputError, match="need both `outcome` and `drivers`"):
        segmentation.analyse(survey, **{**base, "outcome": "loyalty"})
    with pytest.raises(InputError, match="repeat purchase from `transactions`"):
        segmentation.analyse(survey, **{**base, "attitude": "loyalty"})
    with pytest.raises(InputError) as err:
        segmentation.analyse(survey, **{**base, "transactions": str(tmp_path / "none.csv")})
    assert "does not exist" in str(err.value)
    with pytest.raises(InputError) as err:
        segmentation.analyse(
            survey,
            **{**base, "transactions": str(SEG_TRANSACTIONS), "member_id": "member"},
        )
    assert err.value.column == "member"
    with pytest.raises(InputError) as err:  # a behavioural feature without transactions
        segmentation.check_inputs(survey, variables=["trust", "log_frequency"])
    assert err.value.column == "log_frequency"
