"""Measurement invariance against lavaan 0.6-14.

Reference values: ``tests/reference/lavaan_invariance.json``, written by
``tests/reference/lavaan_invariance.R`` (run from the repository root); the
tests read only the JSON. Cases: the lavaan tutorial on Holzinger-Swineford
(three factors, group = school) and the four experience realms of the loyalty
survey (group = channel, 99 = missing, listwise). FIML (``missing="fiml"``):
``tests/reference/r_fiml_invariance.json`` from ``tests/reference/r_fiml_invariance.R``,
``cfa(..., group = "school", group.equal = ..., missing = "ml")`` and ``lavTestLRT()`` on
Holzinger-Swineford with values deleted at random (``holzinger_swineford_mar.csv``).

Tolerances: the issue asks for fit indices within 0.002, chi2 within 0.1% and
estimates within 0.005. We fit to the exact ML optimum and recompute every
statistic in lavaan's conventions, so we assert much tighter: chi2 to a
relative 1e-6, fit indices to 1e-6, estimates and standard errors to 1e-4
(lavaan's own convergence precision; the largest differences seen are
~2e-5 for estimates and ~3e-6 for SEs).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.sem.invariance import (
    InvarianceResult,
    _build_spec,
    _fiml_gradient,
    _fiml_observed_information,
    _group_fiml,
    _heywood,
    _Sample,
    _start_values,
    measurement_invariance,
)
from workbench.sem.model import fit_cfa

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "lavaan_invariance.json").read_text())
HS_CONSTRUCTS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
REALMS = ("education", "entertainment", "esthetics", "escapism")
LEVELS = ("configural", "metric", "scalar")
FIT_KEYS = {
    "pvalue": "p",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_low",
    "rmsea.ci.upper": "rmsea_ci_high",
    "srmr": "srmr",
}


@pytest.fixture(scope="module")
def hs_result() -> InvarianceResult:
    data = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")
    return measurement_invariance(data, HS_CONSTRUCTS, "school")


@pytest.fixture(scope="module")
def loyalty_result() -> InvarianceResult:
    survey = load_survey(
        ROOT / "data" / "loyalty_survey.csv", ROOT / "data" / "loyalty_survey.codebook.yaml"
    )
    constructs = {k: survey.codebook.construct_items[k] for k in REALMS}
    return measurement_invariance(survey.frame, constructs, "channel")


def _two_group_data(seed: int, *, intercept_shift: float = 0.0, n: int = 300) -> pd.DataFrame:
    """Two factors, three items each, two sites; optional intercept shift in site 2."""
    rng = np.random.default_rng(seed)
    load = np.array([[1, 0.8, 0.9, 0, 0, 0], [0, 0, 0, 1, 0.7, 0.8]])
    frames = []
    for k, site in enumerate(["north", "south"]):
        f = rng.normal(size=(n, 2))
        items = f @ load + rng.normal(scale=0.6, size=(n, 6)) + 4
        if k == 1:
            items[:, [1, 4]] += intercept_shift
        frame = pd.DataFrame(items, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
        frame["site"] = site
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


TWO = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}


# ----------------------------------------------------------------------------
# Golden values
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["holzinger", "loyalty_channel"])
@pytest.mark.parametrize("level", LEVELS)
def test_fit_matches_lavaan(case, level, hs_result, loyalty_result):
    res = hs_result if case == "holzinger" else loyalty_result
    ref = REF[case][level]["fit"]
    row = res.table.loc[level]
    assert row["chi2"] == pytest.approx(ref["chisq"], rel=1e-6)
    assert row["df"] == ref["df"]
    assert row["npar"] == ref["npar"]
    for key, ours in FIT_KEYS.items():
        assert row[ours] == pytest.approx(ref[key], abs=1e-6), key
    assert row["aic"] == pytest.approx(ref["aic"], rel=1e-8)
    assert row["bic"] == pytest.approx(ref["bic"], rel=1e-8)
    assert bool(row["converged"])
    assert sum(res.n_per_group.values()) == ref["ntotal"]


def test_published_tutorial_values(hs_result):
    # lavaan tutorial, "Multiple groups": configural 115.851 (48), metric 124.044 (54),
    # scalar 164.103 (60).
    table = hs_result.table
    assert table["chi2"].round(3).tolist() == [115.851, 124.044, 164.103]
    assert table["df"].tolist() == [48, 54, 60]


@pytest.mark.parametrize("case", ["holzinger", "loyalty_channel"])
@pytest.mark.parametrize("level", LEVELS)
def test_estimates_match_lavaan(case, level, hs_result, loyalty_result):
    res = hs_result if case == "holzinger" else loyalty_result
    assert list(res.group_levels) == REF[case]["group_levels"]
    ref = pd.DataFrame(REF[case][level]["estimates"])
    ref["rhs"] = ref["rhs"].fillna("")
    ours = res.estimates_for(level)
    merged = ours.merge(ref, on=["group", "lhs", "op", "rhs"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    np.testing.assert_allclose(merged["estimate"], merged["est"], atol=1e-4)
    se = merged["se_x"].where(merged["free"], 0.0)
    np.testing.assert_allclose(se, merged["se_y"], atol=1e-4)


def test_equality_constraints_in_estimates(hs_result):
    metric = hs_result.estimates_for("metric")
    loads = metric[(metric["op"] == "=~") & metric["free"]]
    assert loads["equal"].all()
    assert loads.groupby(["lhs", "rhs"])["estimate"].nunique().eq(1).all()
    scalar = hs_result.estimates_for("scalar")
    means = scalar[(scalar["op"] == "~1") & scalar["lhs"].isin(HS_CONSTRUCTS)]
    first = means[means["group"] == "Pasteur"]
    assert (~first["free"]).all() and (first["estimate"] == 0).all()
    assert means[means["group"] == "Grant-White"]["free"].all()


# ----------------------------------------------------------------------------
# Comparison table, verdicts, result object
# ----------------------------------------------------------------------------


def test_deltas_and_difference_test(hs_result):
    t = hs_result.table
    assert t.loc["configural", ["delta_cfi", "delta_chi2"]].isna().all()
    assert t.loc["metric", "delta_chi2"] == pytest.approx(124.043544 - 115.851344, abs=1e-5)
    assert t.loc["metric", "delta_df"] == 6
    assert t.loc["scalar", "delta_cfi"] == pytest.approx(
        t.loc["scalar", "cfi"] - t.loc["metric", "cfi"]
    )
    # lavTestLRT(configural, metric): p = 0.2244 for the tutorial models
    assert t.loc["metric", "delta_p"] == pytest.approx(0.2244, abs=1e-3)
    assert t.loc["scalar", "delta_p"] < 1e-5


def test_verdicts_holzinger(hs_result):
    # scalar: dCFI = -0.038 (beyond -0.010) but dRMSEA = +0.0145 (below 0.015) -> doubtful
    assert hs_result.highest_level == "metric"
    assert "metric invariance holds" in hs_result.verdicts["metric"]
    assert "doubtful" in hs_result.verdicts["scalar"]
    assert hs_result.verdict.startswith("Metric invariance holds")
    assert "configural model fits poorly" in hs_result.verdicts["configural"]
    assert any("Configural model" in w for w in hs_result.warnings)


def test_verdicts_loyalty(loyalty_result):
    assert loyalty_result.highest_level == "scalar"
    assert loyalty_result.verdict == (
        "Scalar invariance holds: latent means can be compared across groups."
    )
    assert any("Listwise deletion dropped 122" in w for w in loyalty_result.warnings)


def test_to_dict_and_summary(loyalty_result):
    out = loyalty_result.to_dict()
    assert list(out) == list(LEVELS)
    for key in ("chi2", "df", "p", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "delta_cfi"):
        assert key in out["metric"]
    assert out["configural"]["delta_cfi"] is None
    assert isinstance(out["scalar"]["df"], int) and isinstance(out["scalar"]["delta_df"], int)
    json.dumps(out)
    text = loyalty_result.summary()
    assert "Verdict: Scalar invariance holds" in text and "Warnings:" in text
    assert "<table" in loyalty_result._repr_html_()
    frame = loyalty_result.to_frame()
    assert list(frame.index) == list(LEVELS)
    frame.loc["metric", "chi2"] = 0.0  # a copy
    assert loyalty_result.table.loc["metric", "chi2"] > 0
    with pytest.raises(ValueError, match="configural"):
        loyalty_result.estimates_for("strict")


def test_non_invariant_intercepts_detected():
    data = _two_group_data(7, intercept_shift=1.2)
    res = measurement_invariance(data, TWO, "site")
    assert res.highest_level == "metric"
    assert "does not hold" in res.verdicts["scalar"]
    assert res.table.loc["scalar", "delta_p"] < 1e-6


def test_invariant_data_and_level_subset():
    data = _two_group_data(3)
    res = measurement_invariance(data, TWO, "site", levels=("configural", "metric"))
    assert list(res.table.index) == ["configural", "metric"]
    assert res.highest_level == "metric"
    assert "Scalar" not in res.verdict


def test_row_order_and_categorical_group_order():
    data = _two_group_data(11)
    res = measurement_invariance(data, TWO, "site")
    shuffled = data.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shuffled["site"] = pd.Categorical(shuffled["site"], categories=["north", "south"])
    again = measurement_invariance(shuffled, TWO, "site")
    assert again.group_levels == ("north", "south")
    np.testing.assert_allclose(again.table["chi2"], res.table["chi2"], rtol=1e-8)


def test_missing_group_rows_dropped():
    data = _two_group_data(5)
    data.loc[[0, 1, 2], "site"] = None
    res = measurement_invariance(data, TWO, "site")
    assert res.n_per_group == {"north": 297, "south": 300}
    assert any("missing 'site'" in w for w in res.warnings)


def test_small_group_warning():
    data = _two_group_data(9, n=60)
    res = measurement_invariance(data, TWO, "site")
    assert any("Small group" in w for w in res.warnings)


def test_heywood_cases_reported_not_clipped():
    est = pd.DataFrame(
        {
            "group": ["g1"] * 4,
            "lhs": ["a1", "A", "A", "B"],
            "op": ["~~"] * 4,
            "rhs": ["a1", "A", "B", "B"],
            "estimate": [-0.05, 1.0, 1.3, 1.0],
        }
    )
    warnings = _heywood(est, "metric", {"A", "B"})
    assert any("'a1' is negative (-0.0500)" in w for w in warnings)
    assert any("beyond +-1" in w for w in warnings)


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------


def test_errors_bad_options():
    data = _two_group_data(1)
    with pytest.raises(ValueError, match="configural"):
        measurement_invariance(data, TWO, "site", levels=("configural", "strict"))
    with pytest.raises(ValueError, match="including 'configural'"):
        measurement_invariance(data, TWO, "site", levels=("metric", "scalar"))
    with pytest.raises(ValueError, match="listwise"):
        measurement_invariance(data, TWO, "site", missing="pairwise")  # type: ignore[arg-type]


def test_error_missing_group_column():
    with pytest.raises(InputError, match="group column 'venue' is not in the data"):
        measurement_invariance(_two_group_data(1), TWO, "venue")


def test_error_group_column_empty_in_every_row():
    data = _two_group_data(1)
    data["site"] = np.nan
    with pytest.raises(InputError, match="'site' is empty in every row"):
        measurement_invariance(data, TWO, "site")


def test_error_single_group():
    data = _two_group_data(1)
    data["site"] = "north"
    with pytest.raises(InputError, match="single level"):
        measurement_invariance(data, TWO, "site")


def test_error_small_group():
    data = _two_group_data(1)
    data.loc[data.index[-290:], "site"] = "east"  # south keeps 10 rows < 6 items + 5
    with pytest.raises(InputError, match="Group 'south' of 'site' has only 10 complete rows"):
        measurement_invariance(data, TWO, "site")


def test_error_constant_item_within_group():
    data = _two_group_data(1)
    data.loc[data["site"] == "south", "b2"] = 3.0
    with pytest.raises(InputError, match="'b2' is constant within group 'south'") as info:
        measurement_invariance(data, TWO, "site")
    assert info.value.hint


def test_error_unknown_item():
    with pytest.raises(InputError, match="not in the data"):
        measurement_invariance(_two_group_data(1), {"A": ["a1", "a2", "zz"]}, "site")


def test_runs_fast(hs_result, loyalty_result):
    assert hs_result.seconds < 5 and loyalty_result.seconds < 10
    assert math.isfinite(loyalty_result.table.loc["scalar", "rmsea_ci_high"])


# ----------------------------------------------------------------------------
# FIML (missing="fiml", lavaan missing = "ml")
# ----------------------------------------------------------------------------
# lavaan's default nlminb stops with a largest (constraint-projected) gradient element of about
# 1e-6, which leaves its estimates up to 1.3e-5 and its standard errors up to 5.7e-6 from ours
# (our configural fit equals the two groups' separate FIML CFAs to 5e-10, and those equal
# lavaan converged to the optimum, tests/test_fiml.py): estimates and SEs are asserted to 1e-4
# as the brief asks. chi2, CFI, TLI, RMSEA to 1e-6 (measured 1.3e-7, 2.6e-10); SRMR to 1e-5
# (measured 6.6e-7: lavaan's SRMR uses its EM moments at em.h1.tol = 1e-5).
FIML_REF = json.loads((ROOT / "tests" / "reference" / "r_fiml_invariance.json").read_text())


@pytest.fixture(scope="module")
def hs_mar() -> pd.DataFrame:
    data = pd.read_csv(ROOT / "tests" / "reference" / "holzinger_swineford_mar.csv")
    complete = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")
    assert np.array_equal(data[["x1", "x4", "x7"]], complete[["x1", "x4", "x7"]])  # same rows
    return data.assign(school=complete["school"])


@pytest.fixture(scope="module")
def fiml_result(hs_mar) -> InvarianceResult:
    return measurement_invariance(hs_mar, HS_CONSTRUCTS, "school", missing="fiml")


def test_fiml_reference_is_lavaan_missing_ml_with_observed_information():
    assert FIML_REF["options"]["missing"] == "ml"
    assert FIML_REF["options"]["information"][0] == "observed"
    # lavaan's baseline for missing = "ml": a free mean and a free variance per item and group
    base = pd.DataFrame(FIML_REF["baseline_partable"])
    variances = (base["op"] == "~~") & (base["lhs"] == base["rhs"])
    assert (variances | (base["op"] == "~1")).all() and (base["free"] > 0).all()
    assert variances.sum() == (base["op"] == "~1").sum() == 2 * 9


@pytest.mark.parametrize("level", LEVELS)
def test_fiml_fit_matches_lavaan_missing_ml(fiml_result, level):
    ref = FIML_REF[level]["fit"]
    row = fiml_result.table.loc[level]
    assert row["chi2"] == pytest.approx(ref["chisq"], rel=1e-6)
    assert row["df"] == ref["df"] and row["npar"] == ref["npar"]
    for key in ("pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper"):
        assert row[FIT_KEYS[key]] == pytest.approx(ref[key], abs=1e-6), key
    assert row["srmr"] == pytest.approx(ref["srmr"], abs=1e-5)
    assert row["aic"] == pytest.approx(ref["aic"], rel=1e-8)
    assert row["bic"] == pytest.approx(ref["bic"], rel=1e-8)
    assert bool(row["converged"])


@pytest.mark.parametrize("level", LEVELS)
def test_fiml_estimates_match_lavaan_missing_ml(fiml_result, level):
    assert list(fiml_result.group_levels) == FIML_REF["group_levels"]
    ref = pd.DataFrame(FIML_REF[level]["estimates"])
    ref["rhs"] = ref["rhs"].fillna("")
    merged = fiml_result.estimates_for(level).merge(
        ref, on=["group", "lhs", "op", "rhs"], how="outer", indicator=True
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    np.testing.assert_allclose(merged["estimate"], merged["est"], atol=1e-4)
    np.testing.assert_allclose(merged["se_x"].where(merged["free"], 0.0), merged["se_y"], atol=1e-4)


def test_fiml_difference_tests_match_lavtestlrt(fiml_result):
    lrt = pd.DataFrame(FIML_REF["lrt"])
    table = fiml_result.table
    for level, ref in zip(("metric", "scalar"), lrt.iloc[1:].itertuples(), strict=True):
        assert table.loc[level, "delta_chi2"] == pytest.approx(ref.chisq_diff, abs=1e-6)
        assert table.loc[level, "delta_df"] == ref.df_diff
        assert table.loc[level, "delta_p"] == pytest.approx(ref.p, abs=1e-8)
    assert fiml_result.highest_level == "metric"


def test_fiml_keeps_every_respondent_with_an_answer(fiml_result, hs_mar):
    assert (
        fiml_result.n_per_group == FIML_REF["n_per_group"] == {"Pasteur": 156, "Grant-White": 145}
    )
    listwise = measurement_invariance(hs_mar, HS_CONSTRUCTS, "school", levels=("configural",))
    assert sum(listwise.n_per_group.values()) == len(hs_mar.dropna()) == 80
    assert fiml_result.missing == "fiml" and listwise.missing == "listwise"
    assert "FIML" in fiml_result.summary()
    assert fiml_result.to_dict()["scalar"]["df"] == 60


def test_fiml_configural_model_is_the_groups_separate_fiml_cfas(fiml_result, hs_mar):
    est = fiml_result.estimates_for("configural")
    chi2 = 0.0
    for school in ("Pasteur", "Grant-White"):
        single = fit_cfa(hs_mar[hs_mar["school"] == school], HS_CONSTRUCTS, missing="fiml")
        chi2 += single.fit["chi2"]
        merged = est[est["group"] == school].merge(single.estimates, on=["lhs", "op", "rhs"])
        assert len(merged) == 36
        np.testing.assert_allclose(merged["estimate_x"], merged["estimate_y"], atol=1e-7)
        np.testing.assert_allclose(merged["se_x"], merged["se_y"], rtol=1e-6)
    assert fiml_result.table.loc["configural", "chi2"] == pytest.approx(chi2, rel=1e-9)


def test_fiml_on_complete_data_equals_listwise(hs_result):
    data = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")
    fiml = measurement_invariance(data, HS_CONSTRUCTS, "school", missing="fiml")
    for col in ("chi2", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "delta_chi2"):
        np.testing.assert_allclose(fiml.table[col], hs_result.table[col], rtol=1e-7, atol=1e-9)
    for level in LEVELS:
        ours, ml = fiml.estimates_for(level), hs_result.estimates_for(level)
        np.testing.assert_allclose(ours["estimate"], ml["estimate"], atol=1e-6)
        # (the standard errors differ: FIML's observed information and the listwise path's
        # expected information agree only where the model fits, and these models fit poorly)


def test_fiml_drops_rows_without_any_answer(hs_mar, fiml_result):
    empty = hs_mar.iloc[:3].copy()
    empty[[f"x{i}" for i in range(1, 10)]] = np.nan
    res = measurement_invariance(
        pd.concat([hs_mar, empty], ignore_index=True),
        HS_CONSTRUCTS,
        "school",
        missing="fiml",
        levels=("configural",),
    )
    assert res.n_per_group == fiml_result.n_per_group
    assert any("FIML dropped 3 of 304 rows" in w for w in res.warnings)
    assert res.table.loc["configural", "chi2"] == pytest.approx(
        fiml_result.table.loc["configural", "chi2"], rel=1e-9
    )


def test_fiml_refuses_an_item_without_answers_in_a_group(hs_mar):
    data = hs_mar.copy()
    data.loc[data["school"] == "Grant-White", "x5"] = np.nan
    with pytest.raises(InputError, match="'x5' has no answers in group 'Grant-White'") as info:
        measurement_invariance(data, HS_CONSTRUCTS, "school", missing="fiml")
    assert info.value.column == "x5" and info.value.hint


def test_fiml_refuses_items_never_answered_together_in_a_group(hs_mar):
    data = hs_mar.copy()
    pasteur = data["school"] == "Pasteur"
    data.loc[pasteur & data["x2"].notna(), "x3"] = np.nan
    data.loc[pasteur & data["x2"].isna() & data["x3"].isna(), "x3"] = 5.0
    with pytest.raises(InputError, match="'x2' and 'x3' are never answered together"):
        measurement_invariance(data, HS_CONSTRUCTS, "school", missing="fiml")


def test_fiml_hessian_is_the_derivative_of_the_fiml_gradient(hs_mar):
    # the analytic observed information behind the FIML standard errors and Newton steps,
    # checked by central differences of the analytic gradient away from the optimum
    items = [f"x{i}" for i in range(1, 10)]
    groups = [
        _group_fiml(hs_mar.loc[hs_mar["school"] == school, items].to_numpy())
        for school in ("Pasteur", "Grant-White")
    ]
    sample = _Sample(
        [g.mu_h1 for g in groups], [g.sigma_h1 for g in groups], np.array([156.0, 145.0])
    )
    rng = np.random.default_rng(7)
    for level in LEVELS:
        spec = _build_spec(items, HS_CONSTRUCTS, 2, level)
        x = _start_values(spec, items, HS_CONSTRUCTS, sample)
        x = x + 0.02 * rng.standard_normal(spec.npar)
        numeric = np.zeros((spec.npar, spec.npar))
        for k in range(spec.npar):
            step = np.zeros(spec.npar)
            step[k] = 1e-5
            up, down = (
                _fiml_gradient(spec, x + step, groups),
                _fiml_gradient(spec, x - step, groups),
            )
            numeric[:, k] = -(up[1] - down[1]) / 2e-5
        analytic = _fiml_observed_information(spec, x, groups)
        scale = np.abs(numeric).max()
        np.testing.assert_allclose(analytic, numeric, rtol=0, atol=1e-7 * scale, err_msg=level)


def test_fiml_invariance_runs_fast(fiml_result):
    assert fiml_result.seconds < 10  # measured about 1 s on 2 cores
