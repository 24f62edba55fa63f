"""Tests of workbench.behaviour.liability: IFRS 15 points allocation, revenue and roll-forward.

Reference: IFRS 15 Illustrative Example 52 (customer loyalty programme, IE267-IE270).
Sales of 100,000 earn 10,000 points worth 1 each; 9,500 are expected to be redeemed.

- Allocation (IE268): 100,000 x 9,500 / (100,000 + 9,500) = 8,675.80 -> 8,676 to the points,
  91,324 to the goods.
- Year 1 (IE269): 4,500 redeemed: 8,676 x 4,500 / 9,500 = 4,109.68 -> 4,110 revenue; liability
  8,676 - 4,110 = 4,566.
- Year 2 (IE270): 8,500 redeemed in all, 9,700 now expected: 8,676 x 8,500 / 9,700 = 7,602.80
  -> 7,603 cumulative, 3,493 in year 2; liability 8,676 - 7,603 = 1,073.

The standard carries the rounded 8,676 forward (4,109.68; 7,602.80; year 2 3,493.12; liability
1,073.20). Unrounded (8,675.799) the steps are 4,109.59, 7,602.50 (year 2: 3,492.92) and a
liability of 1,073.29: each rounds to the same whole number, so the test checks both paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour.liability import (
    allocate_points,
    liability_rollforward,
    points_revenue,
)
from workbench.errors import InputError


def test_example_52_allocation_to_points_and_goods():
    a = allocate_points(100_000, 10_000, 1.0, 9_500 / 10_000)
    assert a.points_ssp == pytest.approx(9_500)
    assert a.to_points == pytest.approx(100_000 * 9_500 / 109_500, rel=1e-15)
    assert round(a.to_points) == 8_676 and round(a.to_goods) == 91_324
    assert a.to_points + a.to_goods == pytest.approx(100_000, rel=1e-15)


def test_example_52_revenue_in_years_one_and_two_with_the_standards_rounding():
    # the standard's path: the rounded allocation carried forward
    assert round(points_revenue(8_676, 4_500, 9_500)) == 4_110
    assert round(points_revenue(8_676, 8_500, 9_700)) == 7_603
    assert 8_676 - round(points_revenue(8_676, 8_500, 9_700)) == 1_073
    # unrounded: the same whole numbers
    exact = allocate_points(100_000, 10_000, 1.0, 0.95).to_points
    y1, y2 = points_revenue(exact, 4_500, 9_500), points_revenue(exact, 8_500, 9_700)
    assert (round(y1), round(y2), round(y2 - y1), round(exact - y2)) == (4_110, 7_603, 3_493, 1_073)
    assert (y1, y2, exact - y2) == pytest.approx((4_109.589, 7_602.504, 1_073.295), abs=5e-4)


def test_example_52_roll_forward_opening_allocated_recognised_estimate_change_closing():
    schedule = pd.DataFrame(
        {
            "cohort": ["20X1", "20X1"],
            "period": ["20X1", "20X2"],
            "allocated": [8_676.0, 0.0],
            "redeemed_cumulative": [4_500, 8_500],
            "expected_total": [9_500, 9_700],
        }
    )
    roll = liability_rollforward(schedule).by_period
    y1, y2 = roll.loc["20X1"], roll.loc["20X2"]
    assert (y1["opening"], y1["allocated"], y1["estimate_change"]) == (0.0, 8_676.0, 0.0)
    assert round(y1["recognised"]) == 4_110 and round(y1["closing"]) == 4_566
    assert y2["opening"] == pytest.approx(y1["closing"])
    # year 2: 4,000 redeemed at the new estimate, 8,676 x 4,000 / 9,700 = 3,577.73; the
    # revision from 9,500 to 9,700 takes back 8,676 x 4,500 x (1/9,500 - 1/9,700) = 84.71
    assert y2["recognised"] == pytest.approx(8_676 * 4_000 / 9_700, rel=1e-12)
    assert y2["estimate_change"] == pytest.approx(
        8_676 * 4_500 * (1 / 9_500 - 1 / 9_700), rel=1e-12
    )
    assert round(y2["revenue"]) == 3_493 and round(y2["closing"]) == 1_073
    identity = roll["opening"] + roll["allocated"] - roll["recognised"] + roll["estimate_change"]
    np.testing.assert_allclose(identity, roll["closing"], rtol=1e-12)


def test_roll_forward_sums_cohorts_and_releases_a_cohort_when_redemption_ends():
    # cohort A: 1,000 allocated, 600 of 800 expected redeemed, then the estimate drops to 600
    # (redemptions ended): the remaining liability is released as a change in estimate.
    # cohort B issues in period 2.
    s = pd.DataFrame(
        {
            "cohort": ["A", "A", "A", "B", "B"],
            "period": [1, 2, 3, 2, 3],
            "allocated": [1_000.0, 0.0, 0.0, 500.0, 0.0],
            "redeemed_cumulative": [400, 600, 600, 100, 300],
            "expected_total": [800, 800, 600, 400, 400],
        }
    )
    roll = liability_rollforward(s)
    a = roll.by_cohort[roll.by_cohort["cohort"] == "A"].set_index("period")
    assert a["closing"].tolist() == pytest.approx([500.0, 250.0, 0.0])
    assert a.loc[3, "estimate_change"] == pytest.approx(-250.0)  # released: more revenue
    assert a.loc[3, "recognised"] == pytest.approx(0.0)
    per = roll.by_period
    assert per.loc[3, "closing"] == pytest.approx(0.0 + 500 * (1 - 300 / 400))
    assert per["revenue"].sum() + per["closing"].iloc[-1] == pytest.approx(1_500.0)
    assert roll.to_dict()["2"]["opening"] == pytest.approx(500.0)


def test_redemptions_beyond_the_expected_total_cap_revenue_and_warn():
    s = pd.DataFrame(
        {
            "cohort": [1],
            "period": [1],
            "allocated": [100.0],
            "redeemed_cumulative": [120],
            "expected_total": [100],
        }
    )
    roll = liability_rollforward(s)
    assert roll.by_period.loc[1, "closing"] == 0.0 and "capped" in roll.warnings[0]


@pytest.mark.parametrize(
    ("change", "match", "column", "row"),
    [
        (
            {"expected_total": [9_500, 0]},
            "expected_total that is not a positive number",
            "expected_total",
            2,
        ),
        ({"redeemed_cumulative": [4_500, 4_000]}, "fall", "redeemed_cumulative", 2),
        ({"period": [1, 1]}, "more than once", "cohort", 2),
        ({"allocated": [8_676.0, "x"]}, "allocated that is not a number", "allocated", 2),
    ],
)
def test_bad_schedules_are_refused_naming_the_row(change, match, column, row):
    base = {
        "cohort": [1, 1],
        "period": [1, 2],
        "allocated": [8_676.0, 0.0],
        "redeemed_cumulative": [4_500, 8_500],
        "expected_total": [9_500, 9_700],
    }
    base.update(change)
    with pytest.raises(InputError, match=match) as info:
        liability_rollforward(pd.DataFrame(base))
    assert info.value.column == column and info.value.row == row and info.value.hint


def test_a_cohort_missing_a_period_and_a_missing_column_are_refused():
    s = pd.DataFrame(
        {
            "cohort": [1, 2, 1],
            "period": [1, 2, 3],
            "allocated": [10.0, 10.0, 0.0],
            "redeemed_cumulative": [1, 1, 2],
            "expected_total": [5, 5, 5],
        }
    )
    with pytest.raises(InputError, match="missing from the schedule"):
        liability_rollforward(s)
    with pytest.raises(InputError, match="no column"):
        liability_rollforward(s.drop(columns="expected_total"))


def test_allocation_refuses_counts_given_as_the_expected_redemption():
    with pytest.raises(ValueError, match=r"0\.95"):
        allocate_points(100_000, 10_000, 1.0, 9_500)
    with pytest.raises(ValueError, match="sales"):
        allocate_points(0, 10_000, 1.0, 0.95)
    arr = allocate_points([100.0, 200.0], [10, 20], 1.0, 0.5, goods_ssp=[110.0, 220.0])
    np.testing.assert_allclose(arr.to_points, [100 * 5 / 115, 200 * 10 / 230])
    assert len(arr.to_frame()) == 2
