"""The member-analytics study end to end: contract, truth recovery, bad input, notebook."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.behaviour import clv
from workbench.errors import InputError
from workbench.studies import get_study, member_analytics

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def study():
    params = get_study("member-analytics").default_runs[0].params
    tx = member_analytics.load(str(DATA / "loyalty_transactions.csv"), params)
    return member_analytics.analyse(tx, **params)


def test_results_json_carries_every_contract_key(study):
    res = study.results()
    json.dumps(res, allow_nan=False)
    period = next(iter(res["kpis"].values()))
    assert {
        "active", "new", "retention_rate", "churn_rate", "repeat_purchase_rate", "frequency",
        "aov", "revenue",
    } <= set(period)  # fmt: skip
    cohort = next(iter(res["cohorts"].values()))
    assert cohort["0"] == 1.0
    for seg in res["rfm"].values():
        assert {"members", "revenue_share", "r_range", "f_range", "m_range"} <= set(seg)
    assert {"model", "holdout", "horizon_periods", "discount_rate", "total_clv"} <= set(res["clv"])
    assert {"predicted", "actual"} <= set(res["clv"]["holdout"])
    assert {"auc", "calibration", "top_features"} <= set(res["churn"])


def test_rfm_segments_partition_members_and_revenue(study):
    summary = study.rfm_summary
    assert summary["members"].sum() == study.transactions.n_members
    assert summary["revenue_share"].sum() == pytest.approx(1.0)


def test_clv_and_churn_see_the_summaries_of_separate_rfm_summary_calls(study):
    # analyse merges the log's purchases once for the three BG/NBD summaries.
    frame = study.transactions.table.select("member_id", "date", "amount").to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    last = pd.Timestamp(study.transactions.last_date)
    full = clv.rfm_summary(frame, observation_end=last)
    pd.testing.assert_frame_equal(study.clv.table[list(full.columns)], full, check_exact=True)
    calibration_end = last - pd.Timedelta(days=study.parameters["holdout_days"])
    hold = clv.rfm_summary(frame, calibration_end=calibration_end, observation_end=last)
    assert study.clv.holdout.loc["all", "n"] == len(hold)
    assert study.clv.holdout.loc["all", "actual_total"] == hold["frequency_holdout"].sum()
    cutoff = last - pd.Timedelta(days=study.parameters["churn_window_days"])
    base = clv.rfm_summary(frame, observation_end=cutoff)
    at_cutoff = base.reindex(study.churn.predictions.index)
    p_alive = clv.fit_bgnbd(base).probability_alive(
        at_cutoff["frequency"], at_cutoff["recency"], at_cutoff["T"]
    )
    assert (study.churn.predictions["p_alive"].to_numpy() == p_alive).all()


def test_bgnbd_recovers_the_simulated_purchase_process_within_sampling_error():
    """Basic-tier members who joined in the log's period follow BG/NBD(r=1.3, alpha=5.0,
    a=1.5, b=22) per week (data/loyalty_transactions.truth.json); each estimate must lie
    within 2.5 standard errors of the truth."""
    truth = {"r": 1.3, "alpha": 5.0, "a": 1.5, "b": 22.0}
    text = (DATA / "loyalty_transactions.truth.json").read_text()
    for value in ("1.3", "5.0", "1.5", "22"):
        assert value in text
    tx = pd.read_csv(DATA / "loyalty_transactions.csv", dtype={"member_id": str},
                     parse_dates=["date"])  # fmt: skip
    members = pd.read_csv(DATA / "loyalty_members.csv", dtype={"member_id": str},
                          parse_dates=["join_date"])  # fmt: skip
    new_basic = members[(members["join_date"] >= "2024-01-01") & (members["tier"] == "basic")]
    sub = tx[tx["member_id"].isin(set(new_basic["member_id"]))]
    fit = clv.fit_bgnbd(clv.rfm_summary(sub, observation_end="2025-12-31")).to_frame()
    for name, value in truth.items():
        est, se = fit.loc[name, "estimate"], fit.loc[name, "se"]
        assert abs(est - value) <= 2.5 * se, (name, est, se, value)


def test_tiers_buy_in_the_simulated_order(study):
    tx = study.transactions.table.to_pandas()
    members = study.transactions.members.to_pandas()
    counts = tx[tx["amount"] > 0].groupby("member_id").size()
    by_tier = counts.groupby(members.set_index("member_id")["tier"]).mean()
    assert list(by_tier.sort_values().index) == ["basic", "silver", "gold", "platinum"]


def test_cdnow_holdout_prediction_is_close_and_churn_ranks_well():
    tx = member_analytics.load(str(DATA / "cdnow_transactions.csv"), {})
    s = member_analytics.analyse(tx, churn_window_days=90)
    h = s.clv.to_dict()["holdout"]
    assert abs(h["predicted"] - h["actual"]) / h["actual"] < 0.10
    assert s.churn.auc > 0.75


def test_refunds_must_be_declared_and_the_file_is_left_alone(tmp_path):
    path = DATA / "loyalty_transactions.csv"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="negative amount") as info:
        member_analytics.preflight(str(path), None, {})
    assert "refunds" in info.value.message and "data row" in info.value.message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_notebook_runs_end_to_end_and_bad_input_exits_2(tmp_path, monkeypatch):
    from workbench.runner import cli

    monkeypatch.setenv("WORKBENCH_REPORTS", str(tmp_path / "reports"))
    lines = (DATA / "cdnow_transactions.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "cdnow_small.csv"
    data.write_text("\n".join(lines[:12001]) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    assert cli.main(["run", "member-analytics", "--data", str(data), "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "member-analytics" and results["kpis"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Key findings" in html and html.count("Plotly.newPlot") >= 4
    # no emoji: they are drawn as empty boxes where no emoji font is installed
    assert not [c for c in html if "\U0001f300" <= c <= "\U0001faff" or "\u2600" <= c <= "\u27bf"]
    bad = tmp_path / "bad.csv"
    bad.write_text("member_id,date,amount\n1,2024-01-01,10\n2,not a date,5\n", encoding="utf-8")
    assert cli.main(["run", "member-analytics", "--data", str(bad)]) == 2


def test_kpis_and_cohorts_are_labelled_by_their_month(study):
    import re

    month = re.compile(r"\d{4}-\d{2}")
    assert all(month.fullmatch(p) for p in study.kpi_table().index)
    heatmap = study.cohort_figure()
    assert all(month.fullmatch(c) for c in heatmap.data[0].y)
    assert heatmap.layout.yaxis.type == "category"  # not a date axis with its own (weekly) ticks
    assert all(month.fullmatch(t.name) for t in study.cohort_curves_figure().data)
    assert any(re.search(r"largest cohort \(\d{4}-\d{2}, ", f) for f in study.findings)


@pytest.mark.parametrize(
    ("rows", "params", "match"),
    [
        ("".join(f"M{i},2024-03-01,10\n" for i in range(12)), {}, "Every transaction is dated"),
        (
            "".join(f"M{i},2024-01-01,10\nM{i},2024-06-30,8\n" for i in range(12)),
            {"holdout_days": 365},
            "holdout_days=365 reaches back .* the log covers 181 days",
        ),
    ],
)
def test_a_log_too_short_for_its_models_says_why_before_any_model(tmp_path, rows, params, match):
    path = tmp_path / "short.csv"
    path.write_text("member_id,date,amount\n" + rows, encoding="utf-8")
    tx = member_analytics.load(str(path), {})
    with pytest.raises(InputError, match=match) as info:
        member_analytics.analyse(tx, **params)
    assert info.value.file == str(path)


def test_a_date_given_as_member_column_is_diagnosed_in_the_spend_model_message():
    summary = pd.DataFrame(
        {
            "frequency": [0.0] * 30,
            "recency": [0.0] * 30,
            "T": [10.0] * 30,
            "monetary_value": [0.0] * 30,
        }
    )
    with pytest.raises(InputError, match="Only 0 of 30 members have repeat") as info:
        clv.fit_gamma_gamma(summary)
    assert "member id column is the right one" in info.value.hint


def test_a_log_with_too_few_members_names_the_file_and_the_id_column(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("member_id,date,amount\nA,2024-01-05,10\nA,2024-05-05,12\n", encoding="utf-8")
    tx = member_analytics.load(str(path), {})
    with pytest.raises(InputError, match="holds 1 member\\(s\\)") as info:
        member_analytics.analyse(tx)
    assert info.value.file == str(path) and "member_col" in info.value.hint
