"""Screening on a small messy survey: item statistics, straight-lining, missingness, warnings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.intake.codebook import Codebook, load_codebook
from workbench.intake.data import SurveyData, load_survey
from workbench.intake.screening import screen_items

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MESSY_CSV = FIXTURES / "messy_survey.csv"
MESSY_CODEBOOK = FIXTURES / "messy_survey.codebook.yaml"
ITEMS = ["TR1", "TR2", "TR3", "SA1", "SA2", "SA3"]


@pytest.fixture(scope="module")
def survey() -> SurveyData:
    return load_survey(MESSY_CSV, MESSY_CODEBOOK)


@pytest.fixture(scope="module")
def screening(survey):
    return screen_items(survey)


def survey_from(frame: pd.DataFrame, raw: dict) -> SurveyData:
    """Write nothing: build a prepared survey from a frame and a codebook mapping."""
    cb = Codebook.from_dict(raw)
    prepared = frame.copy()
    for item in cb.items:
        prepared[item] = prepared[item].astype(float).mask(prepared[item].isin(cb.missing_codes))
    for item in cb.reverse_coded:
        prepared[item] = cb.scale.reverse(prepared[item])
    return SurveyData(frame=prepared, raw=frame, codebook=cb, path="demo.csv", sha256="0")


# --------------------------------------------------------------------------- items
def test_item_statistics_match_pandas_and_scipy(survey, screening):
    table = screening.items
    assert table.index.tolist() == ITEMS
    for item in ITEMS:
        x = survey.items[item].dropna().to_numpy()
        row = table.loc[item]
        assert row["n"] == len(x)
        assert row["missing"] == 12 - len(x)
        assert row["missing_pct"] == pytest.approx(100 * (12 - len(x)) / 12)
        assert row["mean"] == pytest.approx(x.mean())
        assert row["sd"] == pytest.approx(x.std(ddof=1))
        assert row["skew"] == pytest.approx(stats.skew(x, bias=False))
        assert row["kurtosis"] == pytest.approx(stats.kurtosis(x, fisher=True, bias=False))
        assert row["min"] == x.min() and row["max"] == x.max()


def test_item_counts_reflect_missing_codes_and_empty_cells(screening):
    table = screening.items
    assert table["n"].to_dict() == {
        "TR1": 10,
        "TR2": 10,
        "TR3": 11,
        "SA1": 11,
        "SA2": 10,
        "SA3": 11,
    }
    assert table["missing_codes_replaced"].to_dict() == {
        "TR1": 2,
        "TR2": 2,
        "TR3": 1,
        "SA1": 1,
        "SA2": 1,  # the empty cell of respondent 105 is missing but not a code
        "SA3": 1,
    }


def test_item_table_carries_construct_chinese_label_and_reversal(screening):
    table = screening.items
    assert table.loc["TR1", "construct"] == "trust"
    assert table.loc["SA3", "construct"] == "satisfaction"
    assert table.loc["TR1", "label"] == "我相信这个品牌会信守承诺"
    assert table.loc["TR3", "label"] == "这个品牌不可靠（反向题）"
    assert table["reversed"].to_dict() == {i: i == "TR3" for i in ITEMS}
    assert screening.reversed_items == ("TR3",)
    assert screening.n_respondents == 12


def test_statistics_of_the_reversed_item_use_reversed_scores(survey, screening):
    raw = survey.raw["TR3"].mask(survey.raw["TR3"].isin([9, -9])).dropna().astype(float)
    assert screening.items.loc["TR3", "mean"] == pytest.approx((6 - raw).mean())
    assert screening.items.loc["TR3", "skew"] == pytest.approx(-stats.skew(raw, bias=False))


# --------------------------------------------------------------------------- straight-lining
def test_straight_liner_on_raw_answers_is_flagged(screening):
    flagged = screening.straight_liners
    # respondent 101 answered 4 everywhere, including the reverse-worded TR3
    assert flagged["id"].tolist() == [101]
    assert flagged["row"].tolist() == [1]
    assert flagged["value"].tolist() == [4]
    assert flagged["n_answered"].tolist() == [6]
    assert any("straight-lining" in w and "1 respondent" in w for w in screening.warnings)


def test_consistent_answers_after_reversal_are_not_straight_lining(survey, screening):
    # respondent 102 answered 5,5,1 / 5,5,5: identical after reverse coding, not on paper
    assert survey.items.loc[1].tolist() == [5.0] * 6
    assert 102 not in screening.straight_liners["id"].tolist()


def test_respondent_with_no_answers_is_not_a_straight_liner(screening):
    assert 111 not in screening.straight_liners["id"].tolist()


def test_straight_liner_with_a_missing_code_is_still_flagged():
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "A1": [3, 1, 2, 5],
            "A2": [3, 2, 9, 4],
            "A3": [9, 3, 2, 1],
            "B1": [3, 4, 2, 2],
            "B2": [3, 5, 2, 3],
            "B3": [3, 1, 2, 4],
        }
    )
    raw = {
        "id": "id",
        "scale": {"min": 1, "max": 5},
        "missing_codes": [9],
        "constructs": {"a": ["A1", "A2", "A3"], "b": ["B1", "B2", "B3"]},
    }
    result = screen_items(survey_from(frame, raw), straightline_min_items=5)
    # respondent 1: five 3s and a code; respondent 3: five 2s and a code
    assert result.straight_liners["id"].tolist() == [1, 3]
    assert result.straight_liners["n_answered"].tolist() == [5, 5]
    strict = screen_items(survey_from(frame, raw), straightline_min_items=6)
    assert strict.straight_liners.empty


# --------------------------------------------------------------------------- warnings
def test_constant_item_gives_a_warning():
    frame = pd.DataFrame({"A1": [1, 2, 3, 4, 5], "A2": [2, 3, 3, 4, 5], "A3": [4, 4, 4, 4, 4]})
    raw = {"scale": {"min": 1, "max": 5}, "constructs": {"a": ["A1", "A2", "A3"]}}
    result = screen_items(survey_from(frame, raw))
    assert result.constant_items == ("A3",)
    assert any("'A3' is constant" in w for w in result.warnings)
    assert result.to_dict()["constant_items"] == ["A3"]


def test_no_constant_item_warning_on_varied_items(screening):
    assert screening.constant_items == ()
    assert not any("is constant" in w for w in screening.warnings)


def test_respondents_missing_most_items_are_warned_about(screening):
    assert any("1 respondent(s) miss more than 50% of the items" in w for w in screening.warnings)


def test_codebook_warnings_reach_the_screening():
    frame = pd.DataFrame({"A1": [1, 2, 3], "A2": [2, 3, 1], "N": [1, 5, 3]})
    raw = {"scale": {"min": 1, "max": 5}, "constructs": {"a": ["A1", "A2"], "n": ["N"]}}
    survey = survey_from(frame, raw)
    survey = SurveyData(
        frame=survey.frame,
        raw=survey.raw,
        codebook=survey.codebook,
        path="demo.csv",
        sha256="0",
        warnings=survey.codebook.warnings,
    )
    assert any("single item" in w for w in screen_items(survey).warnings)


# --------------------------------------------------------------------------- tables
def test_per_respondent_missingness_table(screening):
    table = screening.respondent_missing
    assert table.columns.tolist() == ["n_missing_items", "respondents"]
    # 104 misses TR1; 105 misses TR2 (-9) and SA2 (empty); 111 misses everything
    assert dict(zip(table["n_missing_items"], table["respondents"], strict=True)) == {
        0: 9,
        1: 1,
        2: 1,
        6: 1,
    }
    assert table["respondents"].sum() == 12
    assert screening.to_dict()["respondents_with_missing"] == 3


def test_distribution_counts_every_scale_value(survey, screening):
    dist = screening.distribution
    assert dist is not None
    assert dist.columns.tolist() == [1, 2, 3, 4, 5]
    assert dist.index.tolist() == ITEMS
    for item in ITEMS:
        counts = survey.items[item].value_counts()
        for value in range(1, 6):
            assert dist.loc[item, value] == counts.get(float(value), 0)
    assert (dist.sum(axis=1) == screening.items["n"]).all()
    assert dist.loc["TR1"].tolist() == [2, 2, 2, 2, 2]


def test_continuous_measures_have_no_distribution():
    frame = pd.DataFrame({"x1": [1.5, 2.25, 3.0], "x2": [0.5, 1.0, 4.75]})
    result = screen_items(survey_from(frame, {"constructs": {"speed": ["x1", "x2"]}}))
    assert result.distribution is None
    assert result.items.loc["x2", "mean"] == pytest.approx(np.mean([0.5, 1.0, 4.75]))


def test_screening_result_is_json_serialisable(screening):
    payload = json.loads(json.dumps(screening.to_dict(), allow_nan=False))
    assert payload["n_respondents"] == 12
    assert payload["straight_liners"] == 1
    assert payload["reversed_items"] == ["TR3"]
    assert payload["items"]["TR1"]["n"] == 10


def test_screening_does_not_change_the_survey(survey):
    before = survey.frame.copy(), survey.raw.copy()
    screen_items(survey)
    pd.testing.assert_frame_equal(survey.frame, before[0])
    pd.testing.assert_frame_equal(survey.raw, before[1])


def test_shipped_loyalty_survey_screening_runs():
    data = Path(__file__).resolve().parents[1] / "data"
    survey = load_survey(
        data / "loyalty_survey.csv", load_codebook(data / "loyalty_survey.codebook.yaml")
    )
    result = screen_items(survey)
    assert result.n_respondents == 800
    assert result.items.loc["WP3", "missing_codes_replaced"] == 12
    assert result.reversed_items == ("TR3",)


def test_a_copied_item_is_named_and_the_factor_analysis_refuses_it():
    from workbench.errors import InputError
    from workbench.studies.factor_analysis import analyse

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(1, 8, size=(60, 4)), columns=["A1", "A2", "B1", "B2"])
    frame["A2"] = 8 - frame["A1"]  # a reversed copy: r = -1
    raw = {"scale": {"min": 1, "max": 7}, "constructs": {"a": ["A1", "A2"], "b": ["B1", "B2"]}}
    survey = survey_from(frame, raw)
    result = screen_items(survey)
    assert result.redundant_items == (("A1", "A2"),)
    assert any("'A1' and 'A2' are perfectly correlated" in w for w in result.warnings)
    with pytest.raises(InputError, match="'A1' and 'A2' are perfectly correlated") as info:
        analyse(survey, pa_iterations=10, cfa=False)
    assert info.value.column == "A2" and "keep one of them" in info.value.hint
