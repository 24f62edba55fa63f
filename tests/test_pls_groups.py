"""workbench.pls.groups: MICOM and multigroup analysis (permutation, PLS-MGA, parametric).

Permutation and bootstrap results depend on the random draws, so no program's published
p-values can be matched; seminr's PLS-MGA fixture (``pls-mga-mobi-100.RDS``) also depends on R's
random numbers. The tests check the defining properties instead: ``c = 1``, zero differences
and p-values of 1 when both groups are the same data; permutation p-values spread evenly under
a simulated null; small p-values, the right sign and agreeing tests under a simulated group
difference; MICOM's verdicts for a simulated mean shift and a simulated change of weights;
Henseler's p-value against seminr's double-sum formula; the parametric t against Keil et al.'s
formula; the group estimates against the model estimated in each group.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.errors import InputError
from workbench.pls import compare_groups, estimate_pls, micom, multigroup_analysis
from workbench.pls.groups import _henseler_p

MOBI_SIMPLE = (
    "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5; Expectation =~ CUEX1 + CUEX2 + CUEX3; "
    "Value =~ PERV1 + PERV2; Satisfaction =~ CUSA1 + CUSA2 + CUSA3; "
    "Satisfaction ~ Image + Expectation + Value"
)
CORP_REP_SIMPLE = """
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
SMALL = "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A"


def two_construct_sample(rng: np.random.Generator, n: int, beta: float, **options) -> pd.DataFrame:
    """A -> Y with path ``beta`` (latent, unit variances); items a1, a2, y1, y2 with loadings
    ``loading_a2`` (default 0.8) for a2 and 0.8 otherwise, shifted by ``shift``."""
    a = rng.normal(size=n)
    y = beta * a + np.sqrt(1 - beta**2) * rng.normal(size=n)
    lam2 = options.get("loading_a2", 0.8)
    out = pd.DataFrame(
        {
            "a1": 0.8 * a + 0.6 * rng.normal(size=n),
            "a2": lam2 * a + np.sqrt(1 - lam2**2) * rng.normal(size=n),
            "y1": 0.8 * y + 0.6 * rng.normal(size=n),
            "y2": 0.8 * y + 0.6 * rng.normal(size=n),
        }
    )
    return out + options.get("shift", 0.0)


# ============================================================================ identical groups


@pytest.fixture(scope="module")
def twins(mobi) -> pd.DataFrame:
    """mobi twice, labelled 'first' and 'second': two groups with identical data."""
    return pd.concat([mobi.assign(g="first"), mobi.assign(g="second")], ignore_index=True)


def test_micom_c_is_one_and_differences_vanish_when_both_groups_are_the_same_data(twins):
    result = micom(twins, MOBI_SIMPLE, group="g", n_perm=60, seed=3)
    table = result.table
    np.testing.assert_allclose(table["c"], 1.0, atol=1e-12)
    np.testing.assert_allclose(table[["mean_diff", "log_var_diff"]], 0.0, atol=1e-12)
    assert (table["p_c"] == 1.0).all() and (table["p_mean"] == 1.0).all()
    assert (table["invariance"] == "full").all()
    assert result.n == {"first": 250, "second": 250}


def test_mga_finds_no_difference_between_identical_groups(twins):
    result = multigroup_analysis(twins, MOBI_SIMPLE, group="g", n_perm=40, n_boot=60, seed=4)
    table = result.table
    np.testing.assert_allclose(table["diff"], 0.0, atol=1e-12)
    assert (table["p_permutation"] == 1.0).all()
    assert (table["p_parametric"] > 0.999).all()
    assert (table["verdict"] == "no significant difference").all()
    full = estimate_pls(twins.iloc[:250], MOBI_SIMPLE).paths["estimate"].to_numpy()
    np.testing.assert_allclose(table["estimate_a"], full, atol=1e-12)


# ============================================================================ null and effect


def test_permutation_p_values_are_uniform_under_no_group_difference():
    """40 samples of n = 80 from one population, split at random: the permutation p of the
    path and MICOM's p of the mean difference (39 permutations each) are uniform on their grid:
    KS against U(0, 1) does not reject at the 1% level and at most 15% fall below 0.05."""
    rng = np.random.default_rng(20100)
    p_values, p_means = [], []
    for k in range(40):
        data = two_construct_sample(rng, 80, 0.4).assign(g=rng.permutation(np.repeat([0, 1], 40)))
        res = compare_groups(data, SMALL, group="g", n_perm=39, n_boot=0, seed=k)
        p_values.append(res.mga.table["p_permutation"].iloc[0])
        p_means.append(res.micom.table["p_mean"].iloc[0])
    for p in (np.array(p_values), np.array(p_means)):
        assert stats.kstest(p, "uniform").pvalue > 0.01
        assert np.mean(p < 0.05) <= 0.15


def test_every_mga_test_detects_a_simulated_path_difference_in_its_direction():
    """Group 'a': A -> Y 0.1; group 'b': 0.7 (n = 150 each)."""
    rng = np.random.default_rng(2009)
    data = pd.concat(
        [
            two_construct_sample(rng, 150, 0.1).assign(g="a"),
            two_construct_sample(rng, 150, 0.7).assign(g="b"),
        ],
        ignore_index=True,
    )
    row = multigroup_analysis(data, SMALL, group="g", n_perm=199, n_boot=300, seed=5).table.iloc[0]
    assert row["diff"] < -0.3
    assert row["p_permutation"] <= 0.01 and row["p_parametric"] < 0.01 and row["p_welch"] < 0.01
    assert row["p_henseler"] > 0.99  # P(group a's path is not above group b's)
    assert row["p_henseler_two_sided"] < 0.02
    assert row["t_parametric"] < 0 and row["t_welch"] < 0
    assert row["significant"] == "3 of 3" and row["verdict"] == "differs"


def test_micom_flags_a_mean_shift_as_partial_invariance():
    """Group 'b' answers every item 0.8 higher: weights equal (c ~ 1), means differ."""
    rng = np.random.default_rng(2016)
    data = pd.concat(
        [
            two_construct_sample(rng, 200, 0.5).assign(g="a"),
            two_construct_sample(rng, 200, 0.5, shift=0.8).assign(g="b"),
        ],
        ignore_index=True,
    )
    table = micom(data, SMALL, group="g", n_perm=199, seed=6).table.set_index("construct")
    assert (table["compositional"]).all()
    assert (table["mean_diff"] < -0.5).all() and (table["p_mean"] <= 0.01).all()
    assert (table["invariance"] == "partial").all()


def test_micom_flags_a_composite_formed_differently_as_not_invariant():
    """In group 'b' item a2 measures the opposite of A: A's weights differ in sign, so c is far
    below its permutation distribution (no invariance); Y is untouched."""
    rng = np.random.default_rng(33)
    data = pd.concat(
        [
            two_construct_sample(rng, 200, 0.5).assign(g="a"),
            two_construct_sample(rng, 200, 0.5, loading_a2=-0.8).assign(g="b"),
        ],
        ignore_index=True,
    )
    result = micom(data, SMALL, group="g", n_perm=199, seed=7)
    table = result.table.set_index("construct")
    assert table.loc["A", "c"] < table.loc["A", "c_quantile"]
    assert table.loc["A", "p_c"] <= 0.01 and table.loc["A", "invariance"] == "none"
    assert table.loc["Y", "compositional"]
    assert any("'A' lacks compositional invariance" in w for w in result.warnings)


# ============================================================================ formulas


def test_henseler_p_value_equals_seminr_double_sum_formula():
    """seminr's pls_mga_p: 1 - sum_{i,j} Theta(2 mean_a - a_j - 2 mean_b + b_i) / J^2."""
    rng = np.random.default_rng(11)
    a, b = rng.normal(0.3, 0.1, size=(200, 3)), rng.normal(0.2, 0.15, size=(200, 3))
    brute = [
        1 - np.mean((2 * a[:, k].mean() - a[:, k])[:, None] - 2 * b[:, k].mean() + b[:, k] > 0)
        for k in range(3)
    ]
    np.testing.assert_allclose(_henseler_p(a, b), brute, atol=1e-15)


def test_parametric_and_welch_tests_follow_keil_and_sarstedt_formulas(corp_rep_survey):
    result = multigroup_analysis(
        corp_rep_survey.frame, CORP_REP_SIMPLE, group="servicetype", n_perm=20, n_boot=100, seed=8
    )
    n1, n2 = result.n["1"], result.n["2"]
    assert (n1, n2) == (125, 219)
    for row in result.table.itertuples():
        pooled = np.sqrt(
            ((n1 - 1) ** 2 * row.se_a**2 + (n2 - 1) ** 2 * row.se_b**2) / (n1 + n2 - 2)
        )
        t = row.diff / (pooled * np.sqrt(1 / n1 + 1 / n2))
        assert row.t_parametric == pytest.approx(t, rel=1e-12)
        assert row.p_parametric == pytest.approx(2 * stats.t.sf(abs(t), n1 + n2 - 2), rel=1e-9)
        welch = row.diff / np.sqrt((n1 - 1) / n1 * row.se_a**2 + (n2 - 1) / n2 * row.se_b**2)
        assert row.t_welch == pytest.approx(welch, rel=1e-12)


# ============================================================================ corp_rep by service type


def test_group_estimates_are_the_model_estimated_in_each_group(corp_rep_survey):
    result = compare_groups(
        corp_rep_survey.frame, CORP_REP_SIMPLE, group="servicetype", n_perm=30, n_boot=30, seed=9
    )
    mga = result.mga
    assert mga.groups == ("1", "2")
    for label, column in (("1", "estimate_a"), ("2", "estimate_b")):
        group_fit = mga.group_results[label]
        np.testing.assert_allclose(
            mga.table[column], group_fit.paths["estimate"].to_numpy(), atol=1e-12
        )
        assert group_fit.n == mga.n[label]
    assert set(mga.table["invariance"]) <= {"full", "partial", "none"}
    out = json.loads(json.dumps(result.to_dict()))
    assert set(out["mga"]["CUSA->CUSL"]) >= {"estimate_1", "estimate_2", "diff", "p_permutation"}
    assert set(out["micom"]["CUSL"]) >= {"c", "p_c", "mean_diff", "invariance"}


def test_the_same_seed_gives_the_same_results_and_an_unseeded_run_reports_its_seed(corp_rep_survey):
    kwargs = {"group": "servicetype", "n_perm": 25, "n_boot": 25}
    first = compare_groups(corp_rep_survey.frame, CORP_REP_SIMPLE, seed=12, **kwargs)
    second = compare_groups(corp_rep_survey.frame, CORP_REP_SIMPLE, seed=12, **kwargs)
    pd.testing.assert_frame_equal(first.mga.table, second.mga.table)
    pd.testing.assert_frame_equal(first.micom.table, second.micom.table)
    unseeded = micom(corp_rep_survey.frame, CORP_REP_SIMPLE, group="servicetype", n_perm=25)
    again = micom(
        corp_rep_survey.frame, CORP_REP_SIMPLE, group="servicetype", n_perm=25, seed=unseeded.seed
    )
    pd.testing.assert_frame_equal(unseeded.table, again.table)
    assert f"seed {unseeded.seed}" in unseeded.summary()


def test_more_than_two_groups_are_compared_pairwise_and_said_so(corp_rep_survey):
    result = micom(
        corp_rep_survey.frame, CORP_REP_SIMPLE, group="serviceprovider", n_perm=20, seed=1
    )
    pairs = set(zip(result.table["group_a"], result.table["group_b"], strict=True))
    assert pairs == {("1", "2"), ("1", "3"), ("1", "4"), ("2", "3"), ("2", "4"), ("3", "4")}
    assert any("every pair is compared (6 comparisons)" in w for w in result.warnings)
    assert set(result.to_dict()["CUSL"]) == {f"{a} vs {b}" for a, b in sorted(pairs)}


# ============================================================================ bad input


def test_a_group_smaller_than_the_number_of_indicators_is_refused_naming_it(corp_rep_survey):
    data = corp_rep_survey.frame.copy()
    data.loc[data.index[:5], "servicetype"] = 3
    with pytest.raises(InputError) as info:
        micom(data, CORP_REP_SIMPLE, group="servicetype", n_perm=10)
    assert "Group '3' of 'servicetype' has 5 respondent(s), fewer than the model's 10" in str(
        info.value
    )


def test_a_group_column_with_one_group_is_refused(corp_rep_survey):
    data = corp_rep_survey.frame.assign(servicetype=2)
    with pytest.raises(InputError, match="fewer than two groups \\(every respondent is in '2'\\)"):
        multigroup_analysis(data, CORP_REP_SIMPLE, group="servicetype", n_perm=10, n_boot=10)


def test_an_unknown_group_column_is_refused_with_close_names(corp_rep_survey):
    with pytest.raises(InputError, match="Did you mean 'servicetype'"):
        micom(corp_rep_survey.frame, CORP_REP_SIMPLE, group="service_type", n_perm=10)


def test_an_item_constant_within_a_group_breaks_configural_invariance(corp_rep_survey):
    data = corp_rep_survey.frame.copy()
    data.loc[data["servicetype"] == 1, "comp_2"] = 4
    with pytest.raises(
        InputError, match="'comp_2' has the same answer for every respondent of group '1'"
    ):
        micom(data, CORP_REP_SIMPLE, group="servicetype", n_perm=10)


def test_respondents_without_a_group_are_left_out_and_counted(corp_rep_survey):
    data = corp_rep_survey.frame.copy()
    data.loc[data.index[:4], "servicetype"] = np.nan
    result = micom(data, CORP_REP_SIMPLE, group="servicetype", n_perm=10, seed=2)
    assert sum(result.n.values()) == 340
    assert any("4 respondent(s) without a value in 'servicetype'" in w for w in result.warnings)


def test_group_comparisons_check_the_stopping_settings(corp_rep_survey):
    from workbench.pls import micom

    with pytest.raises(ValueError, match="max_iter=0"):
        micom(corp_rep_survey.frame, CORP_REP_SIMPLE, group="servicetype", max_iter=0)
