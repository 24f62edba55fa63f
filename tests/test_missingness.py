"""The missing-data diagnosis: Little's MCAR test and its EM against R, and its invariants.

Reference values: ``tests/reference/r_little_mcar.json``, written by
``tests/reference/r_little_mcar.R`` (R 4.2.2, lavaan 0.6-14, mice 3.15.0). R reads the same
CSV files as the tests: ``holzinger_swineford_{mcar,mar}.csv`` (made by
:func:`hs_with_deletions` below, checked here to still match), ``airquality.csv`` and the
shipped ``data/loyalty_survey.csv``. The EM is lavaan's saturated-model EM; d² is written out
in the R script from Little (1988, eq. 5); the pattern table is ``mice::md.pattern``; the
group test is ``chisq.test(correct = FALSE)``. naniar's own regression value for
``mcar_test(airquality)`` is the published check.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.errors import InputError
from workbench.intake import (
    EMConvergenceWarning,
    LittleMCARTest,
    MissingDiagnosis,
    diagnose_missing,
    estimate_em_moments,
    little_mcar_test,
    load_survey,
    screen_items,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
REF = ROOT / "tests" / "reference"
FIXTURES = ROOT / "tests" / "fixtures"
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
CASES = ["holzinger_mcar", "holzinger_mar", "loyalty_trust_wtp", "loyalty_all", "airquality"]


def hs_with_deletions(mechanism: str) -> pd.DataFrame:
    """Holzinger-Swineford x1..x9 with values deleted, as in tests/reference/*.csv.

    ``mcar``: every cell deleted with probability .12 (seed 1988). ``mar``: x1, x4 and x7
    complete; the next two items of each are deleted with probability .45 when x1 (x4, x7)
    is above its median and .05 otherwise (seed 2010): missingness depends on observed
    answers only.
    """
    hs = pd.read_csv(DATA / "holzinger_swineford_1939.csv")[HS_ITEMS]
    rng = np.random.default_rng({"mcar": 1988, "mar": 2010}[mechanism])
    if mechanism == "mcar":
        return hs.mask(rng.random(hs.shape) < 0.12)
    out = hs.copy()
    for driver, targets in (("x1", ["x2", "x3"]), ("x4", ["x5", "x6"]), ("x7", ["x8", "x9"])):
        prob = np.where(hs[driver] > hs[driver].median(), 0.45, 0.05)
        for target in targets:
            out[target] = out[target].mask(rng.random(len(hs)) < prob)
    return out


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "r_little_mcar.json").read_text())


@pytest.fixture(scope="module")
def loyalty():
    return load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def frames(loyalty, ref) -> dict[str, pd.DataFrame]:
    """The data of each R case, as the workbench reads it."""
    return {
        "holzinger_mcar": pd.read_csv(REF / "holzinger_swineford_mcar.csv"),
        "holzinger_mar": pd.read_csv(REF / "holzinger_swineford_mar.csv"),
        "loyalty_trust_wtp": loyalty.items[ref["loyalty_trust_wtp"]["items"]],
        "loyalty_all": loyalty.items,
        "airquality": pd.read_csv(REF / "airquality.csv"),
    }


@pytest.fixture(scope="module")
def tests_by_case(frames) -> dict[str, LittleMCARTest]:
    return {case: little_mcar_test(frame) for case, frame in frames.items()}


@pytest.fixture(scope="module")
def loyalty_diagnosis(loyalty) -> MissingDiagnosis:
    return diagnose_missing(loyalty, groups=["tier", "channel"])


def correlated_normal(rng: np.random.Generator, n: int, p: int, r: float = 0.5) -> np.ndarray:
    cov = np.full((p, p), r) + (1 - r) * np.eye(p)
    return rng.multivariate_normal(np.zeros(p), cov, size=n)


# --------------------------------------------------------------------------- against R
def test_reference_csvs_are_the_documented_deletions():
    for mechanism in ("mcar", "mar"):
        committed = pd.read_csv(REF / f"holzinger_swineford_{mechanism}.csv")
        pd.testing.assert_frame_equal(committed, hs_with_deletions(mechanism), check_exact=True)


@pytest.mark.parametrize("case", CASES)
def test_em_means_and_covariances_equal_lavaan(case, ref, tests_by_case):
    r = ref[case]
    moments = tests_by_case[case].moments
    assert moments.converged
    assert list(moments.mean.index) == r["items"]
    np.testing.assert_allclose(moments.mean.to_numpy(), r["mean"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(moments.cov.to_numpy(), np.array(r["cov"]), rtol=0, atol=1e-6)
    assert moments.loglik == pytest.approx(r["loglik"], rel=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_little_d2_df_and_p_equal_r(case, ref, tests_by_case):
    r, test = ref[case], tests_by_case[case]
    assert test.df == r["df"]
    assert test.n == r["n"] and test.n_patterns == r["n_patterns"]
    assert test.d2 == pytest.approx(r["d2"], rel=1e-6)
    assert test.p == pytest.approx(r["p"], rel=1e-6)
    assert test.applicable


def test_mar_deletion_rejects_and_mcar_deletion_does_not(tests_by_case):
    assert tests_by_case["holzinger_mar"].rejects(0.05)
    assert tests_by_case["holzinger_mar"].p < 1e-6
    assert not tests_by_case["holzinger_mcar"].rejects(0.05)


def test_airquality_matches_naniars_published_value(ref, tests_by_case):
    naniar = ref["airquality"]["naniar"]
    test = tests_by_case["airquality"]
    # naniar's EM (norm::em.norm) stops at a looser tolerance, so its d² is off by ~1.3e-6
    # (relative) and its p, 12 times as sensitive here, by ~1.6e-5; our tightly converged EM
    # agrees with lavaan's to ~1e-12 (tests above)
    assert test.d2 == pytest.approx(naniar["statistic"], rel=1e-5)
    assert test.p == pytest.approx(naniar["p.value"], rel=1e-4)
    assert test.df == naniar["df"] and test.n_patterns == naniar["missing.patterns"]


@pytest.mark.parametrize("case", CASES)
def test_pattern_counts_equal_mice_md_pattern(case, ref, frames):
    diagnosis = diagnose_missing(frames[case])
    ours = Counter(
        {
            "".join(map(str, row)): int(count)
            for row, count in zip(
                diagnosis.pattern_matrix.to_numpy(),
                diagnosis.patterns["respondents"],
                strict=True,
            )
        }
    )
    md = ref[case]["md_pattern"]
    theirs = Counter(dict(zip(md["patterns"], md["counts"], strict=True)))
    assert ours == theirs


def test_group_chi_square_equals_r_chisq_test(ref, loyalty_diagnosis):
    for group in ("tier", "channel"):
        r = ref["loyalty_groups"][group]
        test = loyalty_diagnosis.group_tests.loc[group]
        assert test["chi2"] == pytest.approx(r["chi2"], rel=1e-9)
        assert test["df"] == r["df"]
        assert test["p"] == pytest.approx(r["p"], rel=1e-9)
        rows = loyalty_diagnosis.by_group[loyalty_diagnosis.by_group["group"] == group]
        assert rows["value"].tolist() == r["values"]
        assert rows["complete"].tolist() == r["complete"]


# --------------------------------------------------------------------------- the survey
def test_loyalty_survey_diagnosis_counts(loyalty, loyalty_diagnosis):
    d = loyalty_diagnosis
    assert d.n_respondents == 800 and d.n_items == 44
    assert d.n_complete == 479 and d.complete_pct == pytest.approx(59.875)
    assert d.items.loc["WP3", "missing_codes_replaced"] == 12
    assert d.items.loc["WP3", "n_missing"] == 21
    assert d.items.loc["TR3", "construct"] == "trust"
    assert (d.items["n_answered"] + d.items["n_missing"] == 800).all()
    assert d.n_missing_answers == int(loyalty.items.isna().sum().sum())
    # the same per-respondent counts as screening reports
    screening = screen_items(loyalty).respondent_missing
    ours = d.respondents[d.respondents["respondents"] > 0]
    assert ours["respondents"].tolist() == screening["respondents"].tolist()
    assert ours["n_missing_items"].tolist() == screening["n_missing_items"].tolist()


def test_loyalty_recommendation_states_the_numbers_and_the_caveat(loyalty_diagnosis):
    text = loyalty_diagnosis.recommendation
    assert "403 of 35200 answers (1.1%)" in text
    assert "321 of 800 respondents (40.1%)" in text
    assert "does not reject MCAR (d² = 4683.53, df = 4565, p = .108)" in text
    assert "does not prove" in text
    assert "FIML" in text and "multiple imputation" in text


def test_messy_survey_all_missing_respondent_and_chinese_group():
    survey = load_survey(FIXTURES / "messy_survey.csv", FIXTURES / "messy_survey.codebook.yaml")
    d = diagnose_missing(survey, groups="会员等级")
    # respondent 111 answered nothing: an all-missing pattern, left out of Little's test
    assert d.respondents.set_index("n_missing_items").loc[6, "respondents"] == 1
    assert (d.pattern_matrix.sum(axis=1) == 0).sum() == 1
    assert d.mcar.n == 11
    # SA2: one missing code and one empty cell
    assert d.items.loc["SA2", ["n_missing", "missing_codes_replaced"]].tolist() == [2, 1]
    assert d.by_group["value"].tolist() == ["普通", "金卡", "银卡"]
    assert d.by_group["n"].sum() == 12
    assert any("expected counts are below 5" in w for w in d.warnings)
    json.dumps(d.to_dict(), ensure_ascii=False)


# --------------------------------------------------------------------------- properties
def test_complete_data_has_one_pattern_and_an_inapplicable_test():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(correlated_normal(rng, 120, 4), columns=list("abcd"))
    d = diagnose_missing(x)
    assert len(d.patterns) == 1 and d.patterns["respondents"].tolist() == [120]
    assert d.mcar.d2 == 0 and d.mcar.df == 0 and not d.mcar.applicable
    assert math.isnan(d.mcar.p) and not d.mcar.rejects()
    assert "not applicable" in d.mcar.statement
    assert d.recommendation.startswith("No answers are missing: all 120 respondents")
    # EM on complete data is the ML mean and covariance (divisor n), in one step
    np.testing.assert_allclose(d.mcar.moments.mean, x.mean(), atol=1e-12)
    np.testing.assert_allclose(d.mcar.moments.cov, np.cov(x.T, ddof=0), atol=1e-12)


def test_pattern_and_respondent_counts_sum_to_n():
    d = diagnose_missing(pd.read_csv(REF / "holzinger_swineford_mcar.csv"))
    assert d.patterns["respondents"].sum() == 301
    assert d.respondents["respondents"].sum() == 301
    assert d.patterns["pct"].sum() == pytest.approx(100)
    assert d.patterns["respondents"].is_monotonic_decreasing
    # md.pattern's bottom row: per-item missing counts from the patterns
    per_item = ((1 - d.pattern_matrix).mul(d.patterns["respondents"], axis=0)).sum()
    assert per_item.tolist() == d.items["n_missing"].tolist()
    assert (d.pattern_matrix.eq(0).sum(axis=1) == d.patterns["n_missing"]).all()
    # df = sum of the observed items over the patterns, minus the items
    observed = d.pattern_matrix.sum(axis=1)
    assert d.mcar.df == int(observed[observed > 0].sum()) - 9


def test_pattern_table_pools_the_rest_into_an_other_row():
    d = diagnose_missing(pd.read_csv(REF / "holzinger_swineford_mcar.csv"), max_patterns=5)
    table = d.pattern_table()
    assert len(table) == 6 and table.index[-1] == "other"
    assert table["respondents"].sum() == 301
    assert table.loc["other", "missing_items"] == f"({len(d.patterns) - 5} other patterns)"
    assert len(d.pattern_table(top=100)) == len(d.patterns)
    out = d.to_dict()["patterns"]
    assert len(out["shown"]) == 5 and out["other"]["patterns"] == len(d.patterns) - 5
    assert sum(p["respondents"] for p in out["shown"]) + out["other"]["respondents"] == 301


def test_d2_is_unchanged_by_item_order_rescaling_and_empty_rows():
    x = pd.read_csv(REF / "holzinger_swineford_mcar.csv")
    base = little_mcar_test(x)
    reordered = little_mcar_test(x[HS_ITEMS[::-1]])
    rescaled = little_mcar_test(x.assign(x1=8 - x["x1"], x5=10 * x["x5"] + 3))
    padded = little_mcar_test(pd.concat([x, pd.DataFrame([[np.nan] * 9], columns=HS_ITEMS)]))
    for other in (reordered, rescaled, padded):
        assert other.d2 == pytest.approx(base.d2, rel=1e-9)
        assert other.df == base.df
    assert padded.n == base.n == 301


def test_mcar_simulation_p_values_are_roughly_uniform():
    rng = np.random.default_rng(20240516)
    p_values = []
    for _ in range(50):
        x = correlated_normal(rng, 250, 4)
        x[rng.random(x.shape) < 0.15] = np.nan
        p_values.append(little_mcar_test(pd.DataFrame(x, columns=list("abcd"))).p)
    rejections = sum(p < 0.05 for p in p_values)
    # 99.9% binomial interval for 50 tests at level .05
    low, high = stats.binom.ppf([0.0005, 0.9995], 50, 0.05)
    assert low <= rejections <= high
    assert stats.kstest(p_values, "uniform").pvalue > 0.001


def test_mar_simulation_is_rejected_most_of_the_time():
    rng = np.random.default_rng(1988)
    rejected = 0
    for _ in range(20):
        x = correlated_normal(rng, 250, 4)
        high = x[:, 0] > 0  # a is always answered; b, c, d go missing when a is high
        for k in (1, 2, 3):
            x[rng.random(250) < np.where(high, 0.4, 0.05), k] = np.nan
        rejected += little_mcar_test(pd.DataFrame(x, columns=list("abcd"))).rejects(0.05)
    assert rejected >= 18


# --------------------------------------------------------------------------- refusals
def test_item_without_answers_is_refused_by_name():
    x = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [np.nan] * 4, "c": [2.0, 1, 4, 3]})
    with pytest.raises(InputError, match="no answers") as err:
        little_mcar_test(x)
    assert err.value.column == "b"


def test_constant_item_is_refused_by_name():
    x = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [3.0, 3, np.nan, 3, 3], "c": [2.0, 1, 4, 3, 5]})
    with pytest.raises(InputError, match="constant") as err:
        diagnose_missing(x)
    assert err.value.column == "b"


def test_singular_covariance_is_refused_naming_the_items():
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    x["total"] = x.sum(axis=1)
    x = x.mask(rng.random(x.shape) < 0.05)
    with pytest.raises(InputError, match="singular") as err:
        little_mcar_test(x)
    assert err.value.column in {"a", "b", "c", "total"}
    assert "linear combination" in str(err.value)


def test_non_numeric_column_and_unknown_group_are_refused():
    x = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 1, 3], "tier": ["gold", "basic", "gold"]})
    with pytest.raises(InputError, match="not numeric") as err:
        diagnose_missing(x)
    assert err.value.column == "tier"
    with pytest.raises(InputError, match="not found") as err:
        diagnose_missing(x, groups="tire")
    assert err.value.column == "tire" and "tier" in str(err.value)
    with pytest.raises(ValueError, match="max_patterns"):
        diagnose_missing(x, groups="tier", max_patterns=0)


def test_em_that_does_not_converge_warns_and_says_so():
    x = pd.read_csv(REF / "holzinger_swineford_mar.csv")
    with pytest.warns(EMConvergenceWarning, match="did not converge"):
        em = estimate_em_moments(x, max_iter=2)
    assert not em.converged and em.n_iter == 2 and em.change > em.tol
    assert any("did not converge" in w for w in em.warnings)
    with pytest.warns(EMConvergenceWarning):
        test = little_mcar_test(x, max_iter=2)
    assert any("did not converge" in w for w in test.warnings)


def test_items_never_answered_together_are_flagged():
    rng = np.random.default_rng(11)
    x = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    x.loc[:29, "a"] = np.nan
    x.loc[30:, "b"] = np.nan
    em = estimate_em_moments(x)
    assert any("never answered by the same respondent (a/b)" in w for w in em.warnings)


# --------------------------------------------------------------------------- output
def test_mar_recommendation_advises_fiml_or_imputation_with_numbers():
    d = diagnose_missing(pd.read_csv(REF / "holzinger_swineford_mar.csv"))
    text = d.recommendation
    assert "rejects MCAR (d² = 463.25, df = 293, p < .001)" in text
    assert "keeping the 80 complete respondents" in text
    assert "221 of 301 respondents (73.4%)" in text
    assert "FIML" in text and "multiple imputation" in text


def test_small_loss_under_mcar_is_called_small():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(correlated_normal(rng, 400, 3), columns=list("abc"))
    x.iloc[rng.choice(400, 8, replace=False), 1] = np.nan
    d = diagnose_missing(x)
    assert not d.mcar.rejects()
    assert "Listwise deletion costs those 8 respondents (2.0%), a small loss" in d.recommendation


def test_group_differences_in_completeness_are_named():
    rng = np.random.default_rng(9)
    x = pd.DataFrame(correlated_normal(rng, 300, 3), columns=list("abc"))
    x["channel"] = np.repeat(["online", "offline"], 150)
    x.loc[x.index[:150][rng.random(150) < 0.5], "b"] = np.nan  # online skips b half the time
    d = diagnose_missing(x, groups="channel")
    assert d.group_tests.loc["channel", "p"] < 0.001
    assert "The share of complete respondents differs by channel" in d.recommendation


def test_to_dict_summary_and_html(loyalty_diagnosis):
    out = loyalty_diagnosis.to_dict()
    text = json.dumps(out)  # plain JSON types only
    assert "NaN" not in text
    assert out["complete_cases"] == 479 and out["n_items"] == 44
    assert out["little_mcar"]["df"] == 4565 and out["little_mcar"]["em_converged"] is True
    assert set(out["groups"]) == {"tier", "channel"}
    assert out["groups"]["tier"]["values"]["gold"]["complete"] == 99
    assert out["recommendation"] == loyalty_diagnosis.recommendation
    summary = loyalty_diagnosis.summary()
    assert "Little's MCAR test: d² = 4683.53" in summary and "(89 other patterns)" in summary
    assert "<table" in loyalty_diagnosis._repr_html_()
    assert loyalty_diagnosis.to_frame().index.name == "item"


def test_single_item_with_gaps_has_nothing_to_test_and_says_so():
    x = pd.DataFrame({"a": pd.array([1, 2, None, 4, 5], dtype="Int64")})
    d = diagnose_missing(x)
    assert d.mcar.df == 0 and not d.mcar.applicable and d.mcar.n == 4
    assert "no item is answered in two patterns" in d.recommendation
    assert "the data say nothing about whether" in d.recommendation
    assert "costs those 1 respondent (20.0%)" in d.recommendation
