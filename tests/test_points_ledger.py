"""Tests of workbench.behaviour.points: reading and checking points ledgers, and the KPIs.

The small ledgers below are worked out by hand in the comments next to them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour.points import (
    ledger_from_transactions,
    ledger_kpis,
    read_points_ledger,
    validate_ledger,
)
from workbench.behaviour.transactions import load_transactions
from workbench.errors import InputError
from workbench.intake.data import file_sha256

# member 007 (a zero-padded id, kept as text) and 会员A (a Chinese id):
#   007: +100 (01-05), redeem 30 and +50 (02-10, the earning written YYYYMMDD),
#        expire 20 (03-31, written as a date-time), adjust +5 (03-31)
#   会员A: redeem 200 written before the +200 earning of the same day (01-20, type 'Earn '
#        with a capital and a space), adjust +10 (02-01)
LEDGER_CSV = """member_id,date,type,points
007,2024-01-05,earn,100
会员A,2024-01-20,redeem,200
会员A,2024-01-20,Earn ,200
007,2024-02-10,redeem,30
007,20240210,earn,50
会员A,2024-02-01,adjust,10
007,2024-03-31T10:00:00,expire,20
007,2024-03-31,adjust,5
"""


def _write(tmp_path: Path, text: str, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path, match: str, **kwargs) -> InputError:
    before = file_sha256(path)
    with pytest.raises(InputError, match=match) as info:
        read_points_ledger(path, **kwargs)
    assert file_sha256(path) == before  # the file is only read
    return info.value


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    return _write(tmp_path, LEDGER_CSV)


def test_reading_a_messy_ledger_keeps_text_ids_parses_dates_and_totals_by_type(ledger_file):
    led = read_points_ledger(ledger_file)
    assert led.n_rows == 8 and led.n_members == 2
    assert led.sha256 == file_sha256(ledger_file)
    assert set(led.to_pandas()["member_id"]) == {"007", "会员A"}
    # earned 100 + 200 + 50, redeemed 200 + 30, expired 20, adjusted +10 + 5
    assert led.totals == {
        "earned": 350.0,
        "redeemed": 230.0,
        "expired": 20.0,
        "adjusted": 15.0,
        "outstanding": 115.0,
    }
    frame = led.to_pandas()
    assert (
        frame["delta"]
        == np.where(frame["type"].isin(["redeem", "expire"]), -1, 1) * frame["points"]
    ).all()
    assert frame.loc[frame["row"] == 5, "date"].iloc[0] == pd.Timestamp("2024-02-10")
    assert not led.warnings and led.repairs.empty


def test_same_day_earning_pays_for_a_redemption_written_before_it(ledger_file):
    # 会员A redeems 200 on the day the 200 are earned: balances are checked per day
    led = read_points_ledger(ledger_file)
    days = led.to_pandas().query("member_id == '会员A'")
    assert days["delta"].sum() == 10.0


def test_signed_ledgers_read_redemptions_as_negative_changes(tmp_path):
    path = _write(
        tmp_path,
        "member,day,kind,pts\nm1,2024-01-01,accrual,100\nm1,2024-01-09,burn,-60\n"
        "m1,2024-02-01,expire,-40\n",
    )
    led = read_points_ledger(
        path,
        member_col="member",
        date_col="day",
        type_col="kind",
        points_col="pts",
        type_labels={"accrual": "earn", "burn": "redeem"},
        signed=True,
    )
    assert led.totals["redeemed"] == 60.0 and led.totals["outstanding"] == 0.0
    assert led.to_pandas()["points"].tolist() == [100.0, 60.0, 40.0]


def test_a_missing_column_is_refused_with_close_names(tmp_path):
    path = _write(tmp_path, "member_id,date,kind,points\nm1,2024-01-01,earn,1\n")
    err = _refused(path, "type column 'type' is not in the points ledger")
    assert "kind" in err.hint


@pytest.mark.parametrize(
    ("text", "match", "column", "row", "value"),
    [
        ("m1,2024-01-01,earn,5\n,2024-01-02,earn,5\n", "no member id", "member_id", 2, None),
        (
            "m1,2024-01-01,earn,5\nm1,01/02/2024x,earn,5\n",
            "could not be read as dates",
            "date",
            2,
            "01/02/2024x",
        ),
        ("m1,2024-01-01,earn,5\nm1,,earn,5\n", "have no date", "date", 2, None),
        ("m1,2024-01-01,earn,5\nm1,2999-01-01,earn,5\n", "after today", "date", 2, "2999-01-01"),
        ("m1,2024-01-01,earn,5\nm1,2024-01-02,bonus,5\n", "unknown type", "type", 2, "bonus"),
        (
            "m1,2024-01-01,earn,5\nm1,2024-01-02,earn,five\n",
            "no number of points",
            "points",
            2,
            "five",
        ),
        (
            "m1,2024-01-01,earn,5\nm1,2024-01-02,earn,-5\n",
            "negative number of points",
            "points",
            2,
            "-5",
        ),
        (
            "m1,2024-01-01,earn,5\nm1,2024-01-02,redeem,-5\n",
            "pass signed=True|signed=False",
            "points",
            2,
            "-5",
        ),
    ],
)
def test_bad_rows_are_refused_naming_file_column_row_and_value(
    tmp_path, text, match, column, row, value
):
    path = _write(tmp_path, "member_id,date,type,points\n" + text)
    err = _refused(path, match)
    assert err.file == str(path) and err.column == column and err.row == row
    assert err.value == value
    assert err.hint


def test_unknown_types_name_the_known_ones_and_type_labels(tmp_path):
    path = _write(tmp_path, "member_id,date,type,points\nm1,2024-01-01,accrual,5\n")
    err = _refused(path, "unknown type")
    assert "type_labels" in err.hint and "'earn'" in err.hint
    with pytest.raises(ValueError, match="no ledger type"):
        read_points_ledger(path, type_labels={"accrual": "earning"})


def test_a_redemption_beyond_the_balance_is_refused_naming_its_row(tmp_path):
    # m1: +100 (01-01), -60 (01-05), -60 (01-09): 40 left on 01-09, 60 asked
    path = _write(
        tmp_path,
        "member_id,date,type,points\nm1,2024-01-01,earn,100\nm1,2024-01-05,redeem,60\n"
        "m2,2024-01-05,earn,10\nm1,2024-01-09,redeem,60\n",
    )
    err = _refused(path, "gives out more points on 2024-01-09 than the balance holds")
    assert err.row == 4 and err.column == "points" and err.value == "60"
    assert "balance 40" in err.problem and "repair='cap'" in err.hint


def test_repair_cap_cuts_the_latest_rows_of_the_day_and_lists_every_change(tmp_path):
    # data rows: m1 +100 (row 1, 01-01); 01-05: redeem 80 (row 2), expire 50 (row 3): 130 out
    # of 100 -> the later row (3) loses 30; 01-09: +10 (row 4), redeem 40 (row 5) of 10 -> -30
    path = _write(
        tmp_path,
        "member_id,date,type,points\nm1,2024-01-01,earn,100\nm1,2024-01-05,redeem,80\n"
        "m1,2024-01-05,expire,50\nm1,2024-01-09,earn,10\nm1,2024-01-09,redeem,40\n"
        "m2,2024-01-09,earn,7\n",
    )
    led = read_points_ledger(path, repair="cap")
    rep = led.repairs
    assert rep["row"].tolist() == [3, 5]
    assert rep["points_before"].tolist() == [50.0, 40.0]
    assert rep["points_after"].tolist() == [20.0, 10.0]
    assert rep["points_removed"].sum() == 60.0
    assert "2 row(s) of 1 member(s)" in led.warnings[0] and "60 points" in led.warnings[0]
    assert led.totals["outstanding"] == 7.0
    frame = led.to_pandas()
    assert frame.groupby("member_id")["delta"].sum().to_dict() == {"m1": 0.0, "m2": 7.0}


def test_repair_cap_of_a_negative_adjustment_keeps_its_sign():
    df = pd.DataFrame(
        {
            "member_id": ["a", "a"],
            "date": ["2024-01-01", "2024-01-02"],
            "type": ["earn", "adjust"],
            "points": [10.0, -25.0],
        }
    )
    led = validate_ledger(df, repair="cap")
    assert led.repairs[["points_before", "points_after", "points_removed"]].iloc[0].tolist() == [
        -25.0,
        -10.0,
        15.0,
    ]
    assert led.totals["outstanding"] == 0.0


def test_validate_ledger_refuses_frames_without_the_standard_columns():
    with pytest.raises(InputError, match="no column") as info:
        validate_ledger(pd.DataFrame({"member": ["a"], "date": ["2024-01-01"]}))
    assert "read_points_ledger" in info.value.hint


def test_an_empty_or_missing_file_is_refused(tmp_path):
    _refused(_write(tmp_path, "", "empty.csv"), "empty")
    with pytest.raises(InputError, match="not found"):
        read_points_ledger(tmp_path / "nope.csv")


def test_a_ledger_derived_from_transactions_earns_and_redeems_on_their_dates(tmp_path):
    tx_path = _write(
        tmp_path,
        "member_id,date,amount,pe,pr\nA,2024-01-05,10,100,\nA,2024-02-01,5,0,60\n"
        "B,2024-01-10,8,80,0\nB,2024-03-01,3,,80\n",
        "tx.csv",
    )
    tx = load_transactions(tx_path, points_earned_col="pe", points_redeemed_col="pr")
    led = ledger_from_transactions(tx)
    assert led.totals == {
        "earned": 180.0,
        "redeemed": 140.0,
        "expired": 0.0,
        "adjusted": 0.0,
        "outstanding": 40.0,
    }
    assert led.source == f"<transactions: {tx_path}>"


def test_a_ledger_derived_from_transactions_refuses_negative_points_and_overdrafts(tmp_path):
    neg = _write(tmp_path, "member_id,date,amount,pe\nA,2024-01-05,10,-5\n", "neg.csv")
    with pytest.raises(InputError, match="negative number of points earned") as info:
        ledger_from_transactions(load_transactions(neg, points_earned_col="pe"))
    assert info.value.column == "points_earned" and "'A'" in info.value.problem
    over = _write(
        tmp_path,
        "member_id,date,amount,pe,pr\nA,2024-01-05,10,10,0\nA,2024-01-06,1,0,30\n",
        "o.csv",
    )
    tx = load_transactions(over, points_earned_col="pe", points_redeemed_col="pr")
    with pytest.raises(InputError, match="more points"):
        ledger_from_transactions(tx)
    assert ledger_from_transactions(tx, repair="cap").repairs["points_removed"].sum() == 20.0
    plain = _write(tmp_path, "member_id,date,amount\nA,2024-01-05,10\n", "plain.csv")
    with pytest.raises(InputError, match="no points columns"):
        ledger_from_transactions(load_transactions(plain))


# --------------------------------------------------------------------------- KPIs

# a: +100 (Jan 5), +50 (Jan 20), redeem 120 (Mar 1), expire 30 (Apr 2)
# b: +80 (Feb 3), adjust -5 (Feb 3), redeem 50 (Apr 2)
KPI_LEDGER = pd.DataFrame(
    {
        "member_id": ["a", "a", "b", "b", "a", "a", "b"],
        "date": [
            "2024-01-05",
            "2024-01-20",
            "2024-02-03",
            "2024-02-03",
            "2024-03-01",
            "2024-04-02",
            "2024-04-02",
        ],
        "type": ["earn", "earn", "earn", "adjust", "redeem", "expire", "redeem"],
        "points": [100, 50, 80, -5, 120, 30, 50],
    }
)


def test_kpis_by_month_match_the_hand_computed_balances():
    k = ledger_kpis(KPI_LEDGER, reward_threshold=100)
    assert k["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert k["issued"].tolist() == [150.0, 80.0, 0.0, 0.0]
    assert k["redeemed"].tolist() == [0.0, 0.0, 120.0, 50.0]
    assert k["expired"].tolist() == [0.0, 0.0, 0.0, 30.0]
    assert k["adjusted"].tolist() == [0.0, -5.0, 0.0, 0.0]
    # balances: Jan a150; Feb a150 b75; Mar a30 b75; Apr a0 b25
    assert k["outstanding"].tolist() == [150.0, 225.0, 105.0, 25.0]
    assert (k["outstanding"].diff().iloc[1:] == k["net_change"].iloc[1:]).all()
    assert k["members"].tolist() == [1, 2, 2, 2]
    assert k["active_earners"].tolist() == [1, 1, 0, 0]
    assert k["active_redeemers"].tolist() == [0, 0, 1, 1]
    assert k["redeemable_members"].tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(k["share_redeemable"], [1.0, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(k["redeemed_per_member"], [0.0, 0.0, 60.0, 25.0])
    np.testing.assert_allclose(k["redeemed_per_redeemer"], [np.nan, np.nan, 120.0, 50.0])
    np.testing.assert_allclose(k["issued_per_earner"], [150.0, 80.0, np.nan, np.nan])


def test_kpis_by_quarter_and_without_a_threshold_omit_the_redeemable_share():
    k = ledger_kpis(KPI_LEDGER, period="quarter")
    assert "share_redeemable" not in k.columns
    assert k["issued"].tolist() == [230.0, 0.0] and k["outstanding"].tolist() == [105.0, 25.0]
    np.testing.assert_allclose(k["redemption_ratio"], [120 / 230, np.nan])


def test_kpis_per_static_tier_add_up_to_the_programme():
    k = ledger_kpis(KPI_LEDGER, tiers={"a": "gold"})
    total = ledger_kpis(KPI_LEDGER)
    assert set(k["tier"]) == {"gold", "(none)"}
    summed = k.groupby("period")[["issued", "redeemed", "outstanding", "members"]].sum()
    np.testing.assert_allclose(
        summed.to_numpy(), total[["issued", "redeemed", "outstanding", "members"]].to_numpy()
    )
    gold = k[k["tier"] == "gold"]
    assert gold["outstanding"].tolist() == [150.0, 150.0, 30.0, 0.0]


def test_kpis_with_a_tier_history_count_flows_on_the_row_date_and_balances_at_period_end():
    # a is silver until 2024-02-15, gold after; b is silver throughout
    history = pd.DataFrame(
        {
            "member_id": ["a", "a", "b"],
            "date": ["2024-01-01", "2024-02-15", "2024-01-01"],
            "tier": ["silver", "gold", "silver"],
        }
    )
    k = ledger_kpis(KPI_LEDGER, tiers=history).set_index(["period", "tier"])
    jan, feb, mar = (pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3))
    assert k.loc[(jan, "silver"), "issued"] == 150.0  # a earned as silver
    assert k.loc[(feb, "gold"), "outstanding"] == 150.0  # a is gold at the end of February
    assert k.loc[(feb, "silver"), "outstanding"] == 75.0
    assert k.loc[(mar, "gold"), "redeemed"] == 120.0


def test_kpis_refuse_a_bad_threshold_or_period():
    with pytest.raises(ValueError, match="reward_threshold"):
        ledger_kpis(KPI_LEDGER, reward_threshold=0)
    with pytest.raises(ValueError, match="period"):
        ledger_kpis(KPI_LEDGER, period="M")  # type: ignore[arg-type]


def test_rows_out_of_date_order_within_a_member_are_read_in_date_order_and_named(tmp_path):
    # m1 writes its 01-10 redemption (data row 1) above the 01-05 earning that pays for
    # it (data row 2) and an 01-07 earning (data row 5); m2 is in order. The balance check runs in date order, so the ledger reads,
    # and the warning names the first row written out of order.
    path = _write(
        tmp_path,
        "member_id,date,type,points\nm1,2024-01-10,redeem,40\nm1,2024-01-05,earn,100\n"
        "m2,2024-01-01,earn,10\nm2,2024-01-02,earn,10\nm1,2024-01-07,earn,5\n",
    )
    led = read_points_ledger(path)
    assert led.totals["outstanding"] == 85.0
    (warning,) = led.warnings
    assert "2 row(s) of 1 member(s)" in warning
    assert "data row 2, member m1, 2024-01-05 after 2024-01-10" in warning
    assert "sort the export by member and date" in warning
