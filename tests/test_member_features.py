"""Tests of workbench.behaviour.member_features: behavioural features per member.

The expected values are worked out by hand from the fixture files in the comments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour.member_features import behavioural_features
from workbench.behaviour.transactions import load_transactions
from workbench.errors import InputError

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def refunds_tx():
    return load_transactions(
        FIX / "transactions_refunds.csv",
        order_col="order_id",
        channel_col="channel",
        points_earned_col="points_earned",
        points_redeemed_col="points_redeemed",
        refunds="net",
    )


def test_features_per_member_follow_the_hand_computed_ledger(refunds_tx):
    f = behavioural_features(refunds_tx)
    # asof = 2024-02-20 (the last row). A: orders o1 (web, 01-05) and o2 (store, 01-20),
    # o2 refunded: net 50, gross 80 over 2 purchases; tenure from the first purchase 46 days.
    a = f.loc["A"]
    assert (a["recency_days"], a["frequency"], a["tenure_days"]) == (31, 2, 46)
    assert a["monetary"] == pytest.approx(50.0) and a["aov"] == pytest.approx(40.0)
    assert a["purchases_per_month"] == pytest.approx(2 / (46 / (365.25 / 12)))
    assert (a["channel_share_web"], a["channel_share_store"], a["channel_share_app"]) == (
        0.5,
        0.5,
        0.0,
    )
    # points: earned 50 + 30 - 30 (refund), redeemed 10
    assert (a["points_earned"], a["points_redeemed"], a["redeemed_share"]) == (50, 10, 0.2)
    # B: two app purchases 02-10 and 02-11, 10 days of tenure: the rate uses at least a month
    assert f.loc["B", "purchases_per_month"] == pytest.approx(2.0)
    # C: one purchase refunded in full: net spend 0, no points earned, no redeemed share
    assert f.loc["C", "monetary"] == 0.0 and np.isnan(f.loc["C", "redeemed_share"])
    assert list(f.index) == ["A", "B", "C"]


def test_skewed_features_get_log1p_columns_and_negative_spend_stays_missing(refunds_tx):
    f = behavioural_features(refunds_tx, asof="2024-02-05")
    # up to 02-05: A's refund of o2 (02-03) makes A's net 50 + 30 - 30 = 50; C has only its
    # purchase (25). No negative net spend here, so nothing is reported below zero.
    assert f.attrs["negative_before_log"] == {}
    np.testing.assert_allclose(f["log_monetary"], np.log1p(f["monetary"]))
    assert "recency_days" in f.attrs["log_transformed"] and "log_recency_days" in f.columns
    assert "log_tenure_days" not in f.columns
    assert f.attrs["asof"] == "2024-02-05"


def test_a_refund_beyond_the_purchases_in_the_window_gives_no_log_value(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text(
        "order_id,member_id,date,amount\no1,A,2023-12-30,10\no2,A,2024-01-02,5\n"
        "o9,A,2024-01-03,-12\no3,B,2024-01-02,7\n",
        encoding="utf-8",
    )
    tx = load_transactions(path, order_col="order_id", refunds="net")
    f = behavioural_features(tx, features=["monetary", "frequency"])
    assert f.loc["A", "monetary"] == pytest.approx(3.0)
    f = behavioural_features(tx.table.filter(tx.table.order_id != "o1"))
    assert f.loc["A", "monetary"] == pytest.approx(-7.0)
    assert np.isnan(f.loc["A", "log_monetary"])
    assert f.attrs["negative_before_log"] == {"monetary": 1}


def test_tenure_counts_from_the_join_date_of_the_members_file():
    tx = load_transactions(FIX / "transactions_basic.csv", members=FIX / "transactions_members.csv")
    f = behavioural_features(tx, log_skewed=False)
    # asof 2024-04-30; joins A 2023-12-15, B 2024-01-10, C 2024-01-30, D 2024-03-20
    assert f["tenure_days"].to_dict() == {"A": 137, "B": 111, "C": 91, "D": 41}
    # the purchase rate runs from the first purchase: D bought once, on asof
    assert f.loc["D", "purchases_per_month"] == pytest.approx(1.0)
    assert "channel_share" not in " ".join(f.columns) and "points_earned" not in f.columns


def test_features_the_data_cannot_give_are_refused_naming_the_column_to_map():
    tx = load_transactions(FIX / "transactions_basic.csv")
    with pytest.raises(InputError, match="channel column"):
        behavioural_features(tx, features=["recency_days", "channel_share"])
    with pytest.raises(InputError, match="Unknown behavioural feature 'spend'"):
        behavioural_features(tx, features=["spend"])
    assert isinstance(behavioural_features(tx, features=["frequency"]), pd.DataFrame)
