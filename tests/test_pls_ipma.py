"""workbench.pls.ipma: importance-performance map analysis (Ringle & Sarstedt 2016).

No published IPMA table with enough digits was found for the corp_rep or mobi models (seminr
has no IPMA; SmartPLS's and Hair et al.'s tables print rounded values of a licensed run), so
the map is tested by its definition, on Hair et al.'s extended corporate-reputation model
(codebook scale 1..7, -99 missing): importance is the unstandardized total effect, computed
here independently by OLS regressions of the rescaled construct scores; performance is the
mean 0-100 score, 100 for a respondent who gave the best answer everywhere.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import CORP_REP_EXTENDED

from workbench.errors import InputError
from workbench.pls import estimate_pls, ipma


@pytest.fixture(scope="module")
def fit(corp_rep_survey):
    return estimate_pls(corp_rep_survey.frame, CORP_REP_EXTENDED)


@pytest.fixture(scope="module")
def cusl_map(fit, corp_rep_survey):
    return ipma(fit, "CUSL", scale=corp_rep_survey.codebook.scale)


def test_importance_is_the_unstandardized_total_effect_of_ols_on_rescaled_scores(fit, cusl_map):
    """By hand: rescale to 0-100, weights w/sd normalized per construct, OLS of every
    endogenous score on its predecessors (with intercept), total effects (I - B)^-1 - I."""
    spec = fit.specification
    items = list(fit.plan.items)
    rescaled = (fit.data.frame[items] - 1.0) / 6.0 * 100.0
    w = fit.outer_weights.sum(axis=1) / rescaled.std(ddof=1)
    scores = {}
    for c in spec.constructs:
        rw = w[list(spec.items[c])]
        scores[c] = rescaled[list(spec.items[c])].to_numpy() @ (rw / rw.sum()).to_numpy()
    names = list(spec.constructs)
    B = pd.DataFrame(0.0, index=names, columns=names)
    for target in spec.endogenous:
        sources = list(spec.predecessors(target))
        X = np.column_stack([np.ones(fit.n)] + [scores[s] for s in sources])
        coef = np.linalg.lstsq(X, scores[target], rcond=None)[0]
        B.loc[sources, target] = coef[1:]
    total = np.linalg.inv(np.eye(len(names)) - B.to_numpy()) - np.eye(len(names))
    by_hand = pd.Series(total[:, names.index("CUSL")], index=names)
    table = cusl_map.constructs
    assert list(table.index) == ["QUAL", "PERF", "CSOR", "ATTR", "COMP", "LIKE", "CUSA"]
    np.testing.assert_allclose(table["importance"], by_hand[table.index], rtol=1e-10)
    performance = {c: scores[c].mean() for c in table.index}
    np.testing.assert_allclose(table["performance"], pd.Series(performance)[table.index])
    assert cusl_map.target_performance == pytest.approx(scores["CUSL"].mean(), abs=1e-10)


def test_indicator_importance_is_its_rescaled_weight_times_its_construct_importance(cusl_map):
    items = cusl_map.indicators
    sums = items.groupby("construct")["rescaled_weight"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    construct_importance = cusl_map.constructs["importance"]
    np.testing.assert_allclose(
        items["importance"],
        items["rescaled_weight"] * construct_importance[items["construct"]].to_numpy(),
        atol=1e-14,
    )
    assert "cusl_1" not in items.index  # the target's own items are not drivers


def test_a_respondent_at_the_scale_maximum_everywhere_scores_100_and_at_the_minimum_0(
    corp_rep_survey,
):
    items = [c for c in corp_rep_survey.frame.columns if c[:4] in ("qual", "perf", "csor", "attr")]
    items += ["comp_1", "comp_2", "comp_3", "like_1", "like_2", "like_3", "cusa"]
    items += ["cusl_1", "cusl_2", "cusl_3"]
    frame = corp_rep_survey.frame[items].copy()
    extremes = pd.DataFrame([[7.0] * len(items), [1.0] * len(items)], columns=items)
    frame = pd.concat([frame, extremes], ignore_index=True)
    fit = estimate_pls(frame, CORP_REP_EXTENDED)
    result = ipma(fit, "CUSL", scale=(1, 7))
    # the rescaled weights sum to 1 per construct, so this holds even for qual_4's negative one
    np.testing.assert_allclose(result.scores.iloc[-2], 100.0, atol=1e-9)
    np.testing.assert_allclose(result.scores.iloc[-1], 0.0, atol=1e-9)
    assert result.constructs["performance"].between(0, 100).all()
    assert result.indicators["performance"].between(0, 100).all()
    assert any("qual_4" in w and "positive weights" in w for w in result.warnings)


def test_the_map_does_not_depend_on_how_the_scale_is_numbered(fit, cusl_map):
    """Answers recoded 1..7 -> 11..17 with scale (11, 17): the same map."""
    shifted = fit.data.frame + 10
    again = ipma(estimate_pls(shifted, CORP_REP_EXTENDED), "CUSL", scale=(11, 17))
    pd.testing.assert_frame_equal(again.constructs, cusl_map.constructs, rtol=1e-9)
    pd.testing.assert_frame_equal(again.indicators, cusl_map.indicators, rtol=1e-9)


def test_scales_given_per_item_as_a_pair_or_from_the_codebook_agree(fit, cusl_map):
    per_item = {i: (1, 7) for i in fit.plan.items}
    for scale in ((1, 7), per_item):
        other = ipma(fit, "CUSL", scale=scale)
        pd.testing.assert_frame_equal(other.constructs, cusl_map.constructs)


def test_quadrants_compare_with_the_mean_importance_and_performance(cusl_map):
    table = cusl_map.constructs
    mi, mp = table["importance"].mean(), table["performance"].mean()
    for name, row in table.iterrows():
        high, good = row["importance"] >= mi, row["performance"] >= mp
        expected = {
            (True, False): "priority",
            (True, True): "keep up",
            (False, False): "low priority",
            (False, True): "possible overkill",
        }[(high, good)]
        assert row["quadrant"] == expected, name
    assert table.loc["LIKE", "quadrant"] == "priority"  # high importance, below-mean performance


def test_results_serialize_as_the_issue_contract(cusl_map):
    out = json.loads(json.dumps(cusl_map.to_dict()))
    assert out["target"] == "CUSL"
    assert set(out["constructs"]["LIKE"]) == {"importance", "performance"}
    assert "Importance-performance map for 'CUSL'" in cusl_map.summary()


def test_without_a_scale_the_observed_range_is_used_and_said(fit):
    result = ipma(fit, "CUSL")
    assert any("observed minimum and maximum" in w for w in result.warnings)
    assert (result.scale["min"] >= 1).all() and (result.scale["max"] <= 7).all()


@pytest.mark.parametrize(
    ("target", "scale", "message"),
    [
        ("LOYALTY", (1, 7), "not a construct"),
        ("QUAL", (1, 7), "no predecessors"),
        ("CUSL", (1, 5), "answers outside its scale 1..5"),
        ("CUSL", (7, 1), "min 7 not below max 1"),
        ("CUSL", {"cusa": (1, 7)}, "no \\(min, max\\) for item 'qual_1'"),
    ],
)
def test_bad_targets_and_scales_are_refused_naming_them(fit, target, scale, message):
    with pytest.raises(InputError, match=message):
        ipma(fit, target, scale=scale)
