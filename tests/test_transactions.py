"""Tests of workbench.behaviour.transactions: loading checks and hand-computed KPIs/cohorts/RFM/tiers.

The fixtures are small enough to verify by hand; the expected numbers below are
worked out in the comments next to them.

``transactions_basic.csv`` (months Jan-Apr 2024, no purchase in March)::

    A: 01-05 10, 01-31 20 (last day of Jan), 02-01 15 (first day of Feb), 04-30 25
    B: 01-10 10, 02-15 35, 04-16 30
    C: 01-30 20                       (one purchase)
    D: 04-30 20                       (first purchase on the last date / RFM cutoff)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from workbench.behaviour.transactions import (
    DEFAULT_SEGMENTS,
    cohort_retention,
    kpi_panel,
    load_transactions,
    read_tier_history,
    rfm_scores,
    rfm_segment_summary,
    rfm_segments,
    segment_definitions,
    tier_migration,
    tier_mix,
)
from workbench.errors import InputError
from workbench.intake.data import file_sha256

FIX = Path(__file__).parent / "fixtures"
BASIC = FIX / "transactions_basic.csv"
REFUNDS = FIX / "transactions_refunds.csv"
MEMBERS = FIX / "transactions_members.csv"
CDNOW = Path(__file__).parents[1] / "data" / "cdnow_transactions.csv"


@pytest.fixture(scope="module")
def basic():
    return load_transactions(BASIC)


def _write(tmp_path: Path, text: str, name: str = "tx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _raises(path: Path, match: str, **kwargs) -> InputError:
    before = file_sha256(path)
    with pytest.raises(InputError, match=match) as info:
        load_transactions(path, **kwargs)
    assert file_sha256(path) == before  # the input is never modified
    return info.value


# ---------------------------------------------------------------- loading


def test_load_basic(basic):
    assert basic.n_rows == 9 and basic.n_members == 4
    assert str(basic.first_date) == "2024-01-05" and str(basic.last_date) == "2024-04-30"
    assert basic.sha256 == file_sha256(BASIC)
    assert basic.refunds_report == {"policy": "error", "rows": 0, "amount": 0.0, "members": 0}
    schema = basic.table.schema()
    assert [str(schema[c]) for c in ("member_id", "date", "amount")] == [
        "string",
        "date",
        "float64",
    ]
    assert basic.to_dict()["rows"] == 9 and "sha256" in basic.summary()


def test_load_date_formats_and_ids_kept_as_text():
    tx = load_transactions(FIX / "transactions_formats.csv")
    frame = tx.table.to_pandas()
    assert frame["member_id"].tolist() == ["007", "007", "12", "12"]  # leading zeros kept
    assert pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05",
        "2024-01-31",  # YYYYMMDD
        "2024-02-01",  # date-time
        "2024-02-01",  # ISO 'T' date-time
    ]


def test_load_parquet_same_as_csv(tmp_path, basic):
    path = tmp_path / "tx.parquet"
    pd.read_csv(BASIC).to_parquet(path)
    tx = load_transactions(path)
    pd.testing.assert_frame_equal(kpi_panel(tx), kpi_panel(basic))


@pytest.mark.parametrize("name", ["tx[2].csv", "tx*.csv", "tx?.csv", "tx{2,3}.csv"])
def test_a_file_name_with_glob_characters_is_read_literally(tmp_path, name, basic):
    """DuckDB would expand `tx[2].csv` to `tx2.csv`: the named file must be the one read."""
    shutil.copy(BASIC, tmp_path / name)
    decoy = pd.read_csv(BASIC).head(3)
    for other in ("tx2.csv", "tx3.csv", "txa.csv"):
        decoy.to_csv(tmp_path / other, index=False)
    tx = load_transactions(tmp_path / name)
    assert tx.n_rows == basic.n_rows and tx.sha256 == file_sha256(tmp_path / name)
    pd.testing.assert_frame_equal(kpi_panel(tx), kpi_panel(basic))


def test_file_not_found(tmp_path):
    with pytest.raises(InputError, match="not found") as info:
        load_transactions(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value)


def test_missing_column_suggests_close_name(tmp_path):
    path = _write(tmp_path, "member,Date,amount\nA,2024-01-01,1\n")
    err = _raises(path, "member_id column 'member_id' is not in")
    assert err.column == "member_id" and "'member'" in err.hint
    err = _raises(path, "date column", member_col="member")
    assert "'Date'" in err.hint


def test_unparseable_date_names_row_and_value(tmp_path):
    path = _write(
        tmp_path,
        "member_id,date,amount\nA,2024-01-01,1\nB,20240102,2\nC,31/01/2024,3\nD,soon,4\n",
    )
    err = _raises(path, "2 date")
    assert (err.column, err.row, err.value) == ("date", 3, "31/01/2024")
    assert "YYYY-MM-DD" in err.hint and "data row 3" in str(err)


def test_non_numeric_amount(tmp_path):
    path = _write(tmp_path, "member_id,date,amount\nA,2024-01-01,1\nB,2024-01-02,$12.50\n")
    err = _raises(path, "not numbers")
    assert (err.column, err.row, err.value) == ("amount", 2, "$12.50")


def test_an_empty_file_is_named_as_empty_not_as_a_missing_column(tmp_path):
    err = _raises(_write(tmp_path, ""), "empty \\(0 bytes\\)")
    assert "header row" in err.hint


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
def test_infinite_or_nan_amounts_name_the_row(tmp_path, value):
    path = _write(tmp_path, f"member_id,date,amount\nA,2024-01-01,1\nB,2024-01-02,{value}\n")
    err = _raises(path, "not finite numbers")
    assert (err.column, err.row, err.value) == ("amount", 2, value)


def test_an_infinite_date_names_the_row(tmp_path):
    path = _write(tmp_path, "member_id,date,amount\nA,2024-01-01,1\nB,infinity,2\n")
    err = _raises(path, "1 date\\(s\\) are infinite")
    assert (err.column, err.row, err.value) == ("date", 2, "infinity")


def test_future_dated_transactions_are_refused_naming_the_first(tmp_path):
    path = _write(
        tmp_path,
        "member_id,date,amount\nA,2024-01-01,1\nB,2999-01-02,2\nC,2999-05-01,3\n",
    )
    err = _raises(path, "2 transaction\\(s\\) are dated after today")
    assert (err.column, err.row, err.value) == ("date", 2, "2999-01-02")
    assert "observation window" in err.hint


def test_non_finite_points_name_the_row(tmp_path):
    path = _write(
        tmp_path,
        "member_id,date,amount,pts\nA,2024-01-01,1,5\nB,2024-01-02,2,inf\n",
    )
    err = _raises(path, "points earned value\\(s\\) are not finite", points_earned_col="pts")
    assert (err.column, err.row) == ("pts", 2)


def test_missing_member_id(tmp_path):
    path = _write(tmp_path, "member_id,date,amount\nA,2024-01-01,1\n,2024-01-02,2\n")
    err = _raises(path, "no member id")
    assert (err.column, err.row) == ("member_id", 2)


def test_negative_amount_requires_a_refund_policy():
    err = _raises(REFUNDS, "2 negative amount", order_col="order_id")
    assert (err.column, err.row, err.value) == ("amount", 4, "-30")
    assert "refunds='net'" in err.hint and "refunds='drop'" in err.hint


def test_duplicate_order_id(tmp_path):
    text = REFUNDS.read_text().replace("o4,B", "o3,B")
    path = _write(tmp_path, text)
    err = _raises(path, "repeat an order id", order_col="order_id", refunds="net")
    assert (err.column, err.row, err.value) == ("order_id", 6, "o3")


def test_member_absent_from_members_file(tmp_path):
    members = tmp_path / "members.csv"
    lines = MEMBERS.read_text().splitlines()
    members.write_text("\n".join(line for line in lines if not line.startswith("D,")) + "\n")
    before = file_sha256(members)
    with pytest.raises(InputError, match=r"1 member.* absent .*first is 'D'") as info:
        load_transactions(BASIC, members=members)
    assert (info.value.row, info.value.value, info.value.column) == (9, "D", "member_id")
    assert file_sha256(members) == before


def test_a_future_join_date_in_the_members_file_is_refused_naming_the_row(tmp_path):
    text = MEMBERS.read_text().replace("E,2024-02-14", "E,2999-02-14")
    members = _write(tmp_path, text, "m.csv")
    before = file_sha256(members)
    with pytest.raises(InputError, match="join date\\(s\\) lie after today") as info:
        load_transactions(BASIC, members=members)
    assert (info.value.column, info.value.row, info.value.value) == ("join_date", 5, "2999-02-14")
    assert file_sha256(members) == before


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles"])
def test_time_zone_aware_parquet_times_count_on_their_own_calendar_day(tmp_path, zone):
    """01:00 in Shanghai is the previous day in UTC; a CSV with the same wall-clock time
    counts it on its own day, and so must the Parquet file."""
    frame = pd.DataFrame(
        {
            "member_id": ["A", "A", "B"],
            "date": pd.to_datetime(
                ["2024-01-31 23:30", "2024-02-01 01:00", "2024-03-01 00:30"]
            ).tz_localize(zone),
            "amount": [10.0, 20.0, 5.0],
        }
    )
    aware = tmp_path / "aware.parquet"
    frame.to_parquet(aware)
    csv = tmp_path / "wall.csv"
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d %H:%M")).to_csv(csv, index=False)
    by_parquet = load_transactions(aware)
    by_csv = load_transactions(csv)
    assert by_parquet.first_date == by_csv.first_date
    assert by_parquet.last_date == by_csv.last_date
    pd.testing.assert_frame_equal(kpi_panel(by_parquet), kpi_panel(by_csv))


def test_duplicate_member_in_members_file(tmp_path):
    members = _write(tmp_path, MEMBERS.read_text() + "B,2024-01-01,gold,50\n", "m.csv")
    with pytest.raises(InputError, match="more than once") as info:
        load_transactions(BASIC, members=members)
    assert (info.value.row, info.value.value) == (6, "B")


def test_bad_options():
    with pytest.raises(ValueError, match="'error', 'net', 'drop'"):
        load_transactions(BASIC, refunds="ignore")
    with pytest.raises(ValueError, match="'month', 'quarter', 'week', 'year'"):
        kpi_panel(
            ibis.memtable({"member_id": ["a"], "date": [pd.Timestamp(0)], "amount": [1.0]}),
            period="day",
        )


def test_members_loaded(basic):
    tx = load_transactions(BASIC, members=MEMBERS)
    m = tx.members.to_pandas()
    assert m.columns.tolist() == ["member_id", "join_date", "tier", "age"]
    assert pd.Timestamp(m.loc[1, "join_date"]) == pd.Timestamp("2024-01-10")  # YYYYMMDD
    assert m["age"].dtype == "float64" and tx.members_sha256 == file_sha256(MEMBERS)


# ---------------------------------------------------------------- KPIs


def test_kpi_panel_hand_computed(basic):
    k = kpi_panel(basic, inactivity_periods=1)
    assert k["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    # March has no purchase but is a row (empty period).
    assert k["active"].tolist() == [3, 2, 0, 3]
    assert k["new"].tolist() == [3, 0, 0, 1]  # D's first purchase is on the last date
    assert k["members_total"].tolist() == [3, 3, 3, 4]
    np.testing.assert_allclose(k["member_growth_rate"], [np.nan, 0, 0, 1 / 3])
    # A bought on Jan 31 and Feb 1: counted active in both months (boundary dates).
    assert k["retained"].tolist() == [0, 2, 0, 0]
    np.testing.assert_allclose(k["retention_rate"], [np.nan, 2 / 3, 0, np.nan])
    # k = 1: churn = 1 - retention where the earlier period had actives.
    np.testing.assert_allclose(k["churn_rate"], [np.nan, 1 / 3, 1, np.nan])
    assert k["purchases"].tolist() == [4, 2, 0, 3]
    assert k["repeaters"].tolist() == [1, 0, 0, 0]  # A bought twice in January
    np.testing.assert_allclose(k["repeat_purchase_rate"], [1 / 3, 0, np.nan, 0])
    np.testing.assert_allclose(k["revenue"], [60, 50, 0, 75])
    np.testing.assert_allclose(k["aov"], [15, 25, np.nan, 25])
    np.testing.assert_allclose(k["frequency"], [4 / 3, 1, np.nan, 1])
    np.testing.assert_allclose(k["revenue_per_active"], [20, 25, np.nan, 25])
    assert "points_earned" not in k


def test_kpi_churn_window_two(basic):
    k = kpi_panel(basic, inactivity_periods=2)
    # Only April has a fully observed earlier window: W(Jan,Feb) = {A,B,C},
    # W(Mar,Apr) = {A,B,D}; C churned.
    assert k["churn_base"].tolist() == [0, 0, 0, 3] and k["churned"].tolist() == [0, 0, 0, 1]
    np.testing.assert_allclose(k["churn_rate"], [np.nan, np.nan, np.nan, 1 / 3])


def test_kpi_other_periods(basic):
    q = kpi_panel(basic, period="quarter")
    assert q["active"].tolist() == [3, 3] and q["retained"].tolist() == [0, 2]
    y = kpi_panel(basic, period="year")
    assert y["active"].tolist() == [4] and y["revenue"].tolist() == [185.0]
    w = kpi_panel(basic, period="week")
    assert w["period"].iloc[0] == pd.Timestamp("2024-01-01")  # a Monday
    assert (w["period"].dt.day_of_week == 0).all() and w["revenue"].sum() == 185.0
    assert len(w) == 18  # 2024-01-01 .. the week of 2024-04-30, empty weeks included


def test_kpi_new_by_join_date():
    tx = load_transactions(BASIC, members=MEMBERS)
    k = kpi_panel(tx, members=tx.members)
    # A joined Dec 2023 (before the panel: base 1); B, C join Jan; E Feb; D Mar.
    assert k["new"].tolist() == [2, 1, 1, 0]
    assert k["members_total"].tolist() == [3, 4, 5, 5]
    np.testing.assert_allclose(k["member_growth_rate"], [2, 1 / 3, 1 / 4, 0])


def test_refunds_net():
    tx = load_transactions(
        REFUNDS,
        order_col="order_id",
        channel_col="channel",
        points_earned_col="points_earned",
        points_redeemed_col="points_redeemed",
        refunds="net",
    )
    assert tx.refunds_report == {"policy": "net", "rows": 2, "amount": -55.0, "members": 2}
    assert tx.n_rows == 7 and "netted" in tx.warnings[0]
    k = kpi_panel(tx)
    # Feb: purchases o3, o4 by B (60); refunds of o2 (A) and o5 (C) -55. A and C
    # only have refunds in February: not active, not purchases.
    assert k["active"].tolist() == [2, 1] and k["purchases"].tolist() == [3, 2]
    np.testing.assert_allclose(k["gross_revenue"], [105, 60])
    np.testing.assert_allclose(k["refunds"], [0, -55])
    np.testing.assert_allclose(k["revenue"], [105, 5])
    np.testing.assert_allclose(k["aov"], [35, 30])
    np.testing.assert_allclose(k["points_earned"], [105, 5])
    np.testing.assert_allclose(k["points_redeemed"], [10, 20])
    r = rfm_scores(tx).set_index("member_id")
    assert r.loc["C", "monetary"] == 0.0 and r.loc["C", "frequency"] == 1
    assert str(r.loc["A", "last_purchase"].date()) == "2024-01-20"  # a refund is no purchase


def test_refunds_drop():
    tx = load_transactions(REFUNDS, order_col="order_id", refunds="drop")
    assert tx.n_rows == 5 and "dropped" in tx.warnings[0]
    k = kpi_panel(tx)
    np.testing.assert_allclose(k["revenue"], [105, 60])
    assert k["refunds"].tolist() == [0.0, 0.0]


def test_rows_are_purchases_without_order_col(tmp_path):
    path = _write(
        tmp_path,
        "member_id,date,amount,order\nA,2024-01-01,5,x1\nA,2024-01-01,6,x2\nB,2024-01-02,7,x3\n",
    )
    rows = kpi_panel(load_transactions(path))
    assert rows["purchases"].tolist() == [3] and rows["repeaters"].tolist() == [1]


# ---------------------------------------------------------------- cohorts


def test_cohort_retention_first_purchase(basic):
    c = cohort_retention(basic)
    assert c.index.strftime("%Y-%m").tolist() == ["2024-01", "2024-04"]
    assert c["cohort_size"].tolist() == [3, 1]
    np.testing.assert_allclose(
        c.loc["2024-01-01", [0, 1, 2, 3]].astype(float), [1, 2 / 3, 0, 2 / 3]
    )
    assert c.loc["2024-04-01", 0] == 1.0 and c.loc["2024-04-01", [1, 2, 3]].isna().all()
    long = cohort_retention(basic, shape="long", max_periods=1)
    assert long.columns.tolist() == ["cohort", "k", "period", "cohort_size", "active", "share"]
    # The long form holds observed cells only (no May 2024 row for the April cohort).
    assert long["k"].max() == 1 and long["active"].tolist() == [3, 2, 1]
    assert long["share"].notna().all()


def test_cohort_retention_by_join():
    tx = load_transactions(BASIC, members=MEMBERS)
    c = cohort_retention(tx, by="join")
    assert c["cohort_size"].tolist() == [1, 2, 1, 1]  # Dec: A; Jan: B, C; Feb: E; Mar: D
    np.testing.assert_allclose(c.loc["2024-01-01", [0, 1, 2, 3]].astype(float), [1, 0.5, 0, 0.5])
    np.testing.assert_allclose(c.loc["2024-03-01", [0, 1]].astype(float), [0, 1])
    assert (c.loc["2024-02-01", [0, 1, 2]] == 0).all()  # E never bought
    with pytest.raises(ValueError, match="'first_purchase', 'join'"):
        cohort_retention(tx, by="signup")


# ---------------------------------------------------------------- RFM


def test_rfm_scores_hand_computed(basic):
    r = rfm_scores(basic).set_index("member_id")
    # asof = 2024-04-30 (last date); D bought on it: recency 0.
    assert r["recency_days"].to_dict() == {"A": 0, "B": 14, "C": 91, "D": 0}
    assert r["frequency"].to_dict() == {"A": 4, "B": 3, "C": 1, "D": 1}
    assert r["monetary"].to_dict() == {"A": 70.0, "B": 75.0, "C": 20.0, "D": 20.0}
    # score = floor(5 * #{strictly worse} / 4) + 1; A and D tie on recency (0 days).
    assert r["rfm"].to_dict() == {"A": "343", "B": "234", "C": "111", "D": "311"}


def test_rfm_asof_excludes_later_purchases(basic):
    r = rfm_scores(basic, asof="2024-01-31").set_index("member_id")
    assert r.index.tolist() == ["A", "B", "C"]
    assert r["recency_days"].to_dict() == {"A": 0, "B": 21, "C": 1}  # Jan 31 is included
    assert r["frequency"].to_dict() == {"A": 2, "B": 1, "C": 1}


def test_rfm_ties_share_a_score_whatever_the_row_order():
    freq = [1, 1, 1, 1, 2, 2, 3, 4, 5, 6]
    rows = [
        {
            "member_id": f"m{i}",
            "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=j),
            "amount": 10.0,
        }
        for i, f in enumerate(freq)
        for j in range(f)
    ]
    frame = pd.DataFrame(rows)
    expected = [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]  # floor(5 * #{x_j < x} / 10) + 1
    for seed in (0, 1):
        shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
        table = ibis.memtable(shuffled)
        r = rfm_scores(table.mutate(date=table.date.cast("date"))).set_index("member_id")
        assert r.loc[[f"m{i}" for i in range(10)], "f_score"].tolist() == expected
        assert r.loc[[f"m{i}" for i in range(10)], "m_score"].tolist() == expected


def test_rfm_segments_and_summary(basic):
    seg = rfm_segments(rfm_scores(basic)).set_index("member_id")["segment"]
    assert seg.astype(str).to_dict() == {
        "A": "loyal",
        "B": "at risk",
        "C": "lost",
        "D": "about to sleep",
    }
    summary = rfm_segment_summary(rfm_segments(rfm_scores(basic)))
    assert summary.columns.tolist() == [
        "members",
        "share",
        "revenue",
        "revenue_share",
        "r_range",
        "f_range",
        "m_range",
    ]
    assert summary.loc["at risk", "members"] == 1 and summary.loc["champions", "members"] == 0
    assert summary.loc["at risk", "r_range"] == (14, 14)
    assert summary.loc["at risk", "revenue_share"] == pytest.approx(75 / 185)
    assert summary["share"].sum() == pytest.approx(1.0)


def test_segment_grid_is_complete_and_disjoint():
    d = segment_definitions()
    assert len(d) == 11 and set(d["segment"]) >= {"champions", "lost", "can't lose them"}
    grid = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    )
    seg = rfm_segments(grid)
    assert (seg["segment"] != "other").all() and len(DEFAULT_SEGMENTS) == 11
    bad = (*DEFAULT_SEGMENTS, ("dup", (5, 5), (5, 5), "overlaps champions"))
    with pytest.raises(ValueError, match="overlaps"):
        rfm_segments(grid, definitions=bad)


# ---------------------------------------------------------------- tiers


@pytest.fixture
def history():
    return pd.DataFrame(
        {
            "member_id": ["a", "b", "a", "c", "b"],
            "date": ["2024-01-05", "2024-01-31", "2024-02-10", "2024-03-01", "2024-03-31"],
            "tier": ["silver", "silver", "gold", "bronze", "gold"],
        }
    )


def test_a_tier_history_file_is_read_with_ids_as_text(tmp_path, history):
    path = _write(tmp_path, history.to_csv(index=False), "tiers.csv")
    got = read_tier_history(path)
    assert got["member_id"].tolist() == history["member_id"].tolist()
    assert tier_mix(got).equals(tier_mix(history))
    numeric = _write(tmp_path, "member_id,date,tier\n007,2024-01-05,gold\n12,2024-01-06,x\n")
    assert read_tier_history(numeric)["member_id"].tolist() == ["007", "12"]


@pytest.mark.parametrize(
    ("text", "match", "column", "row"),
    [
        ("member_id,date,level\n1,2024-01-05,gold\n", "no column\\(s\\) 'tier'", "tier", None),
        (
            "member_id,date,tier\n1,2024-01-05,gold\n2,yesterday,x\n",
            "not written YYYY-MM-DD",
            "date",
            2,
        ),
        ("member_id,date,tier\n1,2999-01-05,gold\n", "after today", "date", 1),
        ("member_id,date,tier\n1,2024-01-05,\n", "have no tier", "tier", 1),
    ],
)
def test_a_bad_tier_history_names_file_column_and_row(tmp_path, text, match, column, row):
    path = _write(tmp_path, text, "tiers.csv")
    before = file_sha256(path)
    with pytest.raises(InputError, match=match) as info:
        read_tier_history(path)
    assert (info.value.file, info.value.column, info.value.row) == (str(path), column, row)
    assert file_sha256(path) == before


def test_a_refunds_only_log_is_refused_as_having_no_purchase(tmp_path):
    path = _write(tmp_path, "member_id,date,amount\nA,2024-01-05,-10\nB,2024-01-06,-3\n")
    err = _raises(
        path, "Every one of the 2 transaction\\(s\\) has a negative amount", refunds="net"
    )
    assert err.column == "amount"


def test_tier_mix(history):
    mix = tier_mix(history)
    got = {(p.strftime("%Y-%m"), t): n for p, t, n in mix[["period", "tier", "members"]].to_numpy()}
    assert got == {
        ("2024-01", "silver"): 2,  # b's Jan 31 entry counts at the end of January
        ("2024-02", "gold"): 1,
        ("2024-02", "silver"): 1,
        ("2024-03", "bronze"): 1,
        ("2024-03", "gold"): 2,
    }
    assert mix.groupby("period")["share"].sum().tolist() == pytest.approx([1, 1, 1])


def test_tier_migration(history):
    m = tier_migration(history, "2024-01-31", "2024-03-31")
    assert m.to_dict("list") == {
        "tier_start": ["(none)", "silver"],
        "tier_end": ["bronze", "gold"],
        "members": [1, 2],
        "row_share": [1.0, 1.0],
    }
    wide = tier_migration(history, "2024-01-31", "2024-03-30", shape="wide")
    assert wide.loc["silver", ("members", "gold")] == 1
    assert wide.loc["silver", ("row_share", "silver")] == 0.5


# ---------------------------------------------------------------- CDNOW


@pytest.fixture(scope="module")
def cdnow():
    return load_transactions(CDNOW)


def test_cdnow_kpis_match_pandas(cdnow):
    assert (cdnow.n_rows, cdnow.n_members) == (69_659, 23_570)
    k = kpi_panel(cdnow)
    d = pd.read_csv(CDNOW, dtype={"member_id": str}, parse_dates=["date"])
    d["month"] = d["date"].dt.to_period("M")
    g = d.groupby("month").agg(
        revenue=("amount", "sum"), active=("member_id", "nunique"), rows=("amount", "size")
    )
    assert len(k) == 18 and len(g) == 18
    np.testing.assert_allclose(k["revenue"], g["revenue"], rtol=1e-12)
    assert k["active"].tolist() == g["active"].tolist()
    assert k["purchases"].tolist() == g["rows"].tolist()
    first = d.groupby("member_id")["month"].min().value_counts().reindex(g.index, fill_value=0)
    assert k["new"].tolist() == first.tolist()
    sets = d.groupby("month")["member_id"].agg(set)
    retained = [len(sets.iloc[i] & sets.iloc[i - 1]) for i in range(1, len(sets))]
    assert k["retained"].tolist()[1:] == retained
    per = d.groupby(["month", "member_id"]).size()
    repeaters = (per >= 2).groupby(level=0).sum()
    assert k["repeaters"].tolist() == repeaters.tolist()
    # churn with a 3-month window, computed from the sets
    for i in range(5, len(sets)):
        before = set().union(*sets.iloc[i - 5 : i - 2])
        window = set().union(*sets.iloc[i - 2 : i + 1])
        assert k["churn_rate"].iloc[i] == pytest.approx(len(before - window) / len(before))


def test_cdnow_cohorts_and_rfm(cdnow):
    c = cohort_retention(cdnow, shape="long")
    assert c.groupby("cohort")["cohort_size"].first().sum() == 23_570
    assert (c.loc[c["k"] == 0, "share"] == 1.0).all()
    r = rfm_scores(cdnow)
    assert len(r) == 23_570 and r["monetary"].sum() == pytest.approx(
        pd.read_csv(CDNOW)["amount"].sum()
    )
    # 11,908 members bought once: all share F = 1 (ties), and 2 starts at F = 3.
    assert (r.loc[r["frequency"] == 1, "f_score"] == 1).all()
    assert set(r.loc[r["frequency"] == 2, "f_score"]) == {3}
    s = rfm_segment_summary(rfm_segments(r))
    assert s["members"].sum() == 23_570 and s["revenue_share"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- Spark parity


@pytest.mark.spark
def test_spark_gives_the_same_kpis(tmp_path):
    """One Spark test (local[1], ~1 min with start-up): same KPIs, cohorts and RFM as DuckDB."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    path = shutil.copy(REFUNDS, tmp_path / "tx.csv")
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", str(tmp_path / "warehouse"))
        .getOrCreate()
    )
    try:
        options = {"order_col": "order_id", "refunds": "net", "points_earned_col": "points_earned"}
        on_spark = load_transactions(path, engine="spark", **options)
        on_duck = load_transactions(path, **options)
        assert on_spark.backend.name == "pyspark"
        pd.testing.assert_frame_equal(
            kpi_panel(on_spark, inactivity_periods=1), kpi_panel(on_duck, inactivity_periods=1)
        )
        pd.testing.assert_frame_equal(cohort_retention(on_spark), cohort_retention(on_duck))
        pd.testing.assert_frame_equal(rfm_scores(on_spark), rfm_scores(on_duck))
    finally:
        spark.stop()


def test_load_xlsx_same_as_csv(tmp_path, basic):
    path = tmp_path / "tx.xlsx"
    frame = pd.read_csv(BASIC)
    frame["date"] = pd.to_datetime(frame["date"])  # Excel dates
    frame.to_excel(path, index=False)
    tx = load_transactions(path)
    pd.testing.assert_frame_equal(kpi_panel(tx), kpi_panel(basic))
    assert tx.table.schema()["date"].is_date()


def test_ids_written_as_606_and_606_0_are_refused_not_counted_twice(tmp_path):
    path = _write(
        tmp_path, "member_id,date,amount\n606,2024-01-05,10\n606.0,2024-02-05,12\n7,2024-01-06,3\n"
    )
    err = _raises(path, "written with a decimal part")
    assert (err.column, err.row, err.value) == ("member_id", 2, "606.0")
