"""Tests of workbench.measurement.scales: golden values from R psych 2.2.9 and invariants.

Reference numbers: tests/reference/expected_shared.json (key bfi.reliability) and
tests/reference/psych_scales.json, written by tests/reference/psych_scales.R.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.measurement.scales import (
    AlphaResult,
    ReliabilityResult,
    cronbach_alpha,
    item_total_statistics,
    omega_total,
    reliability,
    score_scales,
)

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
SHARED = json.loads((REF / "expected_shared.json").read_text())["bfi"]
PSYCH = json.loads((REF / "psych_scales.json").read_text())

BFI_SCALES = {name: spec["items"] for name, spec in SHARED["reliability"].items()}
BFI_REVERSED = sorted({i for spec in SHARED["reliability"].values() for i in spec["reversed"]})
CS_SCALES = {
    "price": ["q2", "q3", "q4"],
    "effectiveness": ["q5", "q6", "q7", "q8"],
    "distribution": ["q9", "q10"],
}


@pytest.fixture(scope="module")
def bfi_all() -> pd.DataFrame:
    """bfi items, reversed items scored 7 - x, all 2800 rows (with missing answers)."""
    data = pd.read_csv(ROOT / "data" / "bfi.csv")
    items = [i for scale in BFI_SCALES.values() for i in scale]
    x = data[items].copy()
    for item in BFI_REVERSED:
        x[item] = 7 - x[item]
    return x


@pytest.fixture(scope="module")
def bfi(bfi_all) -> pd.DataFrame:
    """Complete cases over the 25 items (n = 2436), as the references use."""
    return bfi_all.dropna()


@pytest.fixture(scope="module")
def customer_sat() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "customer_sat.csv")


@pytest.fixture(scope="module")
def bfi_reliability(bfi) -> ReliabilityResult:
    return reliability(bfi, BFI_SCALES)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


def one_factor_items(rng, n=300, k=4, loading=0.8) -> pd.DataFrame:
    f = rng.normal(size=n)
    return pd.DataFrame(
        {f"q{i}": np.round(4 + loading * f + rng.normal(size=n)) for i in range(1, k + 1)}
    )


# ------------------------------------------------------------------ golden: expected_shared.json


def test_reference_sample_is_the_complete_cases(bfi):
    assert len(bfi) == SHARED["n_complete"] == 2436


@pytest.mark.parametrize("scale", list(BFI_SCALES))
def test_bfi_reliability_matches_expected_shared(bfi_reliability, scale):
    expected = SHARED["reliability"][scale]
    row = bfi_reliability.table.loc[scale]
    assert row["alpha"] == pytest.approx(expected["alpha"], abs=1e-10)
    assert row["std_alpha"] == pytest.approx(expected["std_alpha"], abs=1e-10)
    assert row["omega_total"] == pytest.approx(expected["omega_total_1f"], abs=1e-6)
    assert row["mean"] == pytest.approx(expected["scale_mean"], abs=1e-10)
    assert row["sd"] == pytest.approx(expected["scale_sd"], abs=1e-10)
    assert row["n"] == 2436
    assert row["n_items"] == 5


def test_bfi_reliability_to_dict_is_the_results_json_block(bfi_reliability):
    out = bfi_reliability.to_dict()
    assert set(out) == set(BFI_SCALES)
    block = out["neuroticism"]
    for key in ("alpha", "alpha_ci_low", "alpha_ci_high", "omega_total"):
        assert isinstance(block[key], float)
    assert block["alpha"] == pytest.approx(SHARED["reliability"]["neuroticism"]["alpha"])
    assert "composite_reliability" not in block  # comes from the CFA module
    json.dumps(out)  # plain JSON types only


def test_bfi_item_stats_cover_every_item(bfi_reliability):
    stats = bfi_reliability.item_stats
    assert list(stats.columns) == ["n", "mean", "sd", "r_drop", "alpha_if_deleted"]
    assert len(stats) == 25
    assert stats.loc[("openness", "O5"), "r_drop"] == pytest.approx(
        PSYCH["bfi_listwise"]["openness"]["r_drop"]["O5"], abs=1e-10
    )
    assert bfi_reliability.warnings == []


# ------------------------------------------------------------------ golden: psych_scales.json


def _psych_cases():
    for group, scales in (("bfi_listwise", BFI_SCALES), ("customer_sat", CS_SCALES)):
        for name, items in scales.items():
            yield pytest.param(group, name, items, id=f"{group}-{name}")


def _data(group, bfi, bfi_all, customer_sat):
    return {"bfi_listwise": bfi, "bfi_pairwise": bfi_all, "customer_sat": customer_sat}[group]


@pytest.mark.parametrize(("group", "name", "items"), list(_psych_cases()))
def test_alpha_matches_psych_alpha(group, name, items, bfi, bfi_all, customer_sat):
    ref = PSYCH[group][name]
    res = cronbach_alpha(_data(group, bfi, bfi_all, customer_sat)[items])
    assert res.alpha == pytest.approx(ref["raw_alpha"], abs=1e-10)
    assert res.std_alpha == pytest.approx(ref["std_alpha"], abs=1e-10)
    assert res.average_r == pytest.approx(ref["average_r"], abs=1e-10)
    assert res.ci_low == pytest.approx(ref["feldt_lower"], abs=1e-10)
    assert res.ci_high == pytest.approx(ref["feldt_upper"], abs=1e-10)
    assert (res.n, res.n_items) == (ref["n"], ref["n_items"])


@pytest.mark.parametrize(("group", "name", "items"), list(_psych_cases()))
def test_item_total_statistics_match_psych(group, name, items, bfi, bfi_all, customer_sat):
    ref = PSYCH[group][name]
    stats = item_total_statistics(_data(group, bfi, bfi_all, customer_sat)[items])
    for item in items:
        assert stats.loc[item, "n"] == ref["item_n"][item]
        assert stats.loc[item, "mean"] == pytest.approx(ref["item_mean"][item], abs=1e-10)
        assert stats.loc[item, "sd"] == pytest.approx(ref["item_sd"][item], abs=1e-10)
        assert stats.loc[item, "r_drop"] == pytest.approx(ref["r_drop"][item], abs=1e-10)
        if len(items) > 2:
            assert stats.loc[item, "alpha_if_deleted"] == pytest.approx(
                ref["alpha_drop"][item], abs=1e-10
            )
        else:
            # psych prints a number for a one-item "scale"; alpha of one item is undefined.
            assert math.isnan(stats.loc[item, "alpha_if_deleted"])


@pytest.mark.parametrize(("group", "name", "items"), list(_psych_cases())[:-1])
def test_omega_total_matches_psych_one_factor_minres(
    group, name, items, bfi, bfi_all, customer_sat
):
    ref = PSYCH[group][name]
    res = omega_total(_data(group, bfi, bfi_all, customer_sat)[items])
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=1e-6)
    assert res.omega_total_observed == pytest.approx(ref["omega_total_observed"], abs=1e-6)
    loadings = pd.Series(ref["loadings"])
    assert np.allclose(res.loadings[loadings.index], loadings, atol=2e-5)
    assert np.allclose(res.uniquenesses[loadings.index], pd.Series(ref["uniquenesses"]), atol=2e-5)
    assert not res.heywood


@pytest.mark.parametrize("name", list(BFI_SCALES))
def test_pairwise_alpha_matches_psych_default(name, bfi_all):
    ref = PSYCH["bfi_pairwise"][name]
    items = BFI_SCALES[name]
    res = cronbach_alpha(bfi_all[items], missing="pairwise")
    assert res.alpha == pytest.approx(ref["raw_alpha"], abs=1e-10)
    assert res.std_alpha == pytest.approx(ref["std_alpha"], abs=1e-10)
    assert res.n == ref["n"] == 2800  # no bfi row leaves a whole scale empty
    assert res.ci_low == pytest.approx(ref["feldt_lower"], abs=1e-10)
    stats = item_total_statistics(bfi_all[items], missing="pairwise")
    for item in items:
        assert stats.loc[item, "n"] == ref["item_n"][item]
        assert stats.loc[item, "mean"] == pytest.approx(ref["item_mean"][item], abs=1e-10)
        assert stats.loc[item, "r_drop"] == pytest.approx(ref["r_drop"][item], abs=1e-10)
        assert stats.loc[item, "alpha_if_deleted"] == pytest.approx(
            ref["alpha_drop"][item], abs=1e-10
        )


def test_listwise_uses_complete_cases_per_construct(bfi_all):
    res = reliability(bfi_all, BFI_SCALES)
    n_agree = int(bfi_all[BFI_SCALES["agreeableness"]].notna().all(axis=1).sum())
    assert res.table.loc["agreeableness", "n"] == n_agree
    assert n_agree > 2436


# ------------------------------------------------------------------ invariants


def test_alpha_unchanged_by_item_order(bfi):
    items = BFI_SCALES["conscientiousness"]
    a = cronbach_alpha(bfi[items])
    b = cronbach_alpha(bfi[items[::-1]])
    assert b.alpha == pytest.approx(a.alpha, abs=1e-12)
    assert b.std_alpha == pytest.approx(a.std_alpha, abs=1e-12)


def test_duplicated_item_raises_alpha(bfi):
    items = bfi[BFI_SCALES["openness"]]
    with_copy = items.assign(O1_copy=items["O1"])
    assert cronbach_alpha(with_copy).alpha > cronbach_alpha(items).alpha + 0.02


def test_alpha_of_two_identical_items_is_one(rng):
    x = rng.integers(1, 6, size=50).astype(float)
    res = cronbach_alpha(pd.DataFrame({"a": x, "b": x}))
    assert res.alpha == pytest.approx(1.0)
    assert res.ci_high == pytest.approx(1.0)


def test_wider_interval_at_higher_confidence(bfi):
    items = bfi[BFI_SCALES["extraversion"]]
    a95 = cronbach_alpha(items)
    a99 = cronbach_alpha(items, ci=0.99)
    assert a99.ci_low < a95.ci_low < a95.alpha < a95.ci_high < a99.ci_high


def test_alpha_result_reports_itself(bfi):
    res = cronbach_alpha(bfi[BFI_SCALES["neuroticism"]])
    assert isinstance(res, AlphaResult)
    frame = res.to_frame()
    assert list(frame.columns) == [
        "alpha",
        "std_alpha",
        "ci_low",
        "ci_high",
        "n",
        "n_items",
        "average_r",
    ]
    assert "Feldt" in res.summary() and "0.817" in res.summary()
    d = res.to_dict()
    assert d["n"] == 2436 and d["warnings"] == []
    assert "<table" in res._repr_html_()


# ------------------------------------------------------------------ warnings and errors


def test_undeclared_reverse_item_is_flagged(bfi_all):
    data = bfi_all.dropna().copy()
    data["A1"] = 7 - data["A1"]  # undo the reverse coding
    res = reliability(data, {"agreeableness": BFI_SCALES["agreeableness"]})
    assert res.table.loc["agreeableness", "alpha"] < SHARED["reliability"]["agreeableness"]["alpha"]
    assert any("A1" in w and "reverse" in w for w in res.warnings)


def test_negative_alpha_warns_about_reverse_coding(rng):
    x = rng.normal(size=200)
    data = pd.DataFrame({"a": x + rng.normal(size=200) * 0.3, "b": -x + rng.normal(size=200) * 0.3})
    res = cronbach_alpha(data)
    assert res.alpha < 0
    assert any("negative" in w and "reverse" in w for w in res.warnings)
    assert "Warnings:" in res.summary()


def test_single_item_construct_is_nan_with_warning_not_a_crash(customer_sat):
    res = reliability(customer_sat, {"overall": ["q1"], **CS_SCALES})
    row = res.table.loc["overall"]
    assert row["n_items"] == 1
    assert math.isnan(row["alpha"]) and math.isnan(row["omega_total"])
    assert row["mean"] == pytest.approx(customer_sat["q1"].mean())
    assert any(w.startswith("overall: only one item") for w in res.warnings)
    # the two-item construct has alpha but no omega, and says why
    assert res.table.loc["distribution", "alpha"] == pytest.approx(
        PSYCH["customer_sat"]["distribution"]["raw_alpha"], abs=1e-10
    )
    assert math.isnan(res.table.loc["distribution", "omega_total"])
    assert any(w.startswith("distribution: two items") for w in res.warnings)
    assert res.to_dict()["overall"]["alpha"] is None


def test_heywood_case_is_detected_and_reported(rng):
    f = rng.normal(size=300)
    data = pd.DataFrame(
        {
            "a": f + rng.normal(size=300) * 0.01,  # practically the factor itself
            "b": f + rng.normal(size=300) * 0.02,
            "c": f + rng.normal(size=300) * 1.5,
            "d": f + rng.normal(size=300) * 1.5,
        }
    )
    res = omega_total(data)
    assert res.heywood
    assert any("Heywood" in w for w in res.warnings)
    assert res.uniquenesses.min() <= 0.005
    rel = reliability(data, {"x": list(data.columns)})
    assert any("Heywood" in w for w in rel.warnings)


def test_too_few_respondents_raises_input_error():
    data = pd.DataFrame({"a": [1, 2, None, 4], "b": [2, 3, 4, None], "c": [1, 2, 3, 4]})
    with pytest.raises(InputError, match="at least 3") as err:
        cronbach_alpha(data)
    assert "What to do" in str(err.value)
    with pytest.raises(InputError):
        reliability(data, {"x": ["a", "b", "c"]})


def test_omega_needs_more_respondents_than_items(rng):
    data = pd.DataFrame(rng.normal(size=(4, 5)), columns=list("abcde"))
    with pytest.raises(InputError, match="more respondents than items"):
        omega_total(data)
    res = reliability(data, {"x": list("abcde")})
    assert math.isnan(res.table.loc["x", "omega_total"])
    assert any("fewer respondents" in w for w in res.warnings)


def test_omega_needs_three_items(customer_sat):
    with pytest.raises(InputError, match="at least three items"):
        omega_total(customer_sat[["q9", "q10"]])


def test_single_item_alpha_raises_input_error(customer_sat):
    with pytest.raises(InputError, match="at least two items"):
        cronbach_alpha(customer_sat[["q1"]])


def test_text_item_raises_input_error_naming_column_and_row():
    data = pd.DataFrame({"a": [1, 2, 3], "b": ["2", "n/a", "3"]})
    with pytest.raises(InputError) as err:
        cronbach_alpha(data)
    assert err.value.column == "b" and err.value.row == 2 and err.value.value == "n/a"


def test_unknown_item_raises_input_error(customer_sat):
    with pytest.raises(InputError, match="not in the data") as err:
        score_scales(customer_sat, {"price": ["q2", "q99"]})
    assert err.value.column == "q99"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: cronbach_alpha(d, missing="available"), "'listwise', 'pairwise'"),
        (lambda d: cronbach_alpha(d, ci=95), "between 0 and 1"),
        (lambda d: reliability(d, {"x": ["q2", "q3"]}, missing="all"), "'listwise', 'pairwise'"),
        (lambda d: score_scales(d, {"x": ["q2"]}, method="median"), "'mean', 'sum'"),
        (lambda d: score_scales(d, {"x": ["q2"]}, min_items=0), "positive integer"),
    ],
)
def test_bad_options_raise_value_error_naming_valid_values(customer_sat, call, message):
    with pytest.raises(ValueError, match=message):
        call(customer_sat[["q2", "q3"]])


# ------------------------------------------------------------------ score_scales


def test_scores_reproduce_reference_scale_means(bfi):
    scores = score_scales(bfi, BFI_SCALES)
    assert list(scores.columns) == list(BFI_SCALES)
    for name, spec in SHARED["reliability"].items():
        assert scores[name].mean() == pytest.approx(spec["scale_mean"], abs=1e-10)
        assert scores[name].std() == pytest.approx(spec["scale_sd"], abs=1e-10)


def test_sum_scores_are_item_totals(customer_sat):
    scores = score_scales(customer_sat, CS_SCALES, method="sum")
    assert scores["price"].tolist() == customer_sat[["q2", "q3", "q4"]].sum(axis=1).tolist()
    assert scores.index.equals(customer_sat.index)


def test_missing_items_need_min_items_and_are_never_imputed_silently():
    data = pd.DataFrame(
        {"a": [4.0, 4.0, None, None], "b": [2.0, None, None, 5.0], "c": [3.0, 5.0, 1.0, None]},
        index=["r1", "r2", "r3", "r4"],
    )
    constructs = {"x": ["a", "b", "c"]}
    default = score_scales(data, constructs)
    assert default["x"].tolist()[0] == 3.0
    assert default["x"].iloc[1:].isna().all()
    lenient = score_scales(data, constructs, min_items=2)
    assert lenient.loc["r2", "x"] == 4.5
    assert lenient.loc[["r3", "r4"], "x"].isna().all()
    # the sum is prorated to all three items, so it is comparable with complete respondents
    prorated = score_scales(data, constructs, method="sum", min_items=1)
    assert prorated["x"].tolist() == [9.0, 13.5, 3.0, 15.0]
    # min_items above the number of items means "all items"
    capped = score_scales(data, constructs, min_items=10)
    assert capped["x"].equals(default["x"])


def test_messy_survey_with_chinese_labels_and_a_straight_liner(rng):
    data = one_factor_items(rng, n=120, k=4).set_axis(["价格1", "价格2", "价格3", "价格4"], axis=1)
    data.iloc[0] = 4.0  # a straight-liner
    data.iloc[1, 2] = np.nan  # one missing answer
    constructs = {"价格感知": list(data.columns)}
    res = reliability(data, constructs)
    assert res.table.loc["价格感知", "n"] == 119
    assert 0.6 < res.table.loc["价格感知", "alpha"] < 0.9
    assert "价格感知" in res.summary() and "价格3" in res.summary()
    assert list(res.to_dict()) == ["价格感知"]
    pairwise = reliability(data, constructs, missing="pairwise")
    assert pairwise.table.loc["价格感知", "n"] == 120
    assert score_scales(data, constructs)["价格感知"].isna().sum() == 1


# --------------------------------------------------------------------------- factor scores
def test_factor_scores_match_psych_regression_scores():
    """psych::fa(x, 1, fm="minres", scores="regression") per bfi scale, complete cases.

    Tolerance 1e-4: loadings agree with psych to ~1e-5 (optimizer stopping rules).
    """
    from workbench.measurement.scales import factor_scores

    ref = json.loads((REF / "psych_factor_scores.json").read_text())
    bfi = pd.read_csv(ROOT / "data" / "bfi.csv").set_index("respondent")
    for item in ("A1", "O2", "O5"):
        bfi[item] = 7 - bfi[item]
    scales = {
        "agreeableness": ["A1", "A2", "A3", "A4", "A5"],
        "openness": ["O1", "O2", "O3", "O4", "O5"],
    }
    scores = factor_scores(bfi, scales)
    for name in scales:
        r = ref[name]
        ours = scores.loc[r["respondent"], name].to_numpy()
        np.testing.assert_allclose(ours, r["scores"], atol=1e-4)
        assert scores[name].notna().sum() == r["n"]
        assert scores[name].std() == pytest.approx(r["sd"], abs=1e-4)


def test_factor_scores_leave_incomplete_respondents_missing():
    from workbench.measurement.scales import factor_scores

    df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6, 2.0], "b": [2, 2, 3, 5, 5, 6, np.nan],
                       "c": [1, 3, 3, 4, 6, 5, 1.0]})  # fmt: skip
    scores = factor_scores(df, {"x": ["a", "b", "c"]})
    assert np.isnan(scores.loc[6, "x"])
    assert scores["x"].iloc[:6].mean() == pytest.approx(0, abs=1e-12)
