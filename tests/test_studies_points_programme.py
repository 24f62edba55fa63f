"""The points-programme study end to end: recovery of the simulated programme's truth, the
results.json contract, the ledger KPIs and the liability against independent recomputation,
IFRS 15 Example 52 through the study's own schedule, refusals before any kernel, and the
notebook's escaped report.

The statistics underneath are checked on their own (tests/test_points_*.py: the chain ladder
against R ChainLadder, the survival against R survival, the liability against Example 52;
goal gradient and redemption effect in their own tests); here the study is checked against
the truth the simulator wrote (data/points_programme.truth.json) and against recomputation from
the files with pandas.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from helpers import DATA, run_main, sha256

from workbench.errors import InputError
from workbench.simulate import simulate_points_programme
from workbench.studies import get_study, points_programme

LEDGER = DATA / "points_ledger.csv"
TRANSACTIONS = DATA / "points_transactions.csv"
MEMBERS = DATA / "points_members.csv"
TRUTH = DATA / "points_programme.truth.json"
SCRIPT = "<script>alert(1)</script>"
QUOTES = "\"&'"
CONTRACT = {"ledger", "redemption", "liability", "goal_gradient", "redemption_effect", "tiers"}


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads(TRUTH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def study():
    """The registry's default run (the simulated programme) through Study.validate."""
    spec = get_study("points-programme")
    run = spec.default_runs[0]
    params = spec.validate({**run.params, "n_boot": 400})
    inputs = points_programme.load(str(DATA.parent / run.data), params)
    return points_programme.analyse(inputs, **params)


# --------------------------------------------------------------------------- truth
def test_default_run_recovers_the_true_ultimate_redemption_rate(study, truth):
    urr = truth["breakage_truth"]["ultimate_redemption_rate"]
    red = study.results()["redemption"]
    assert red["ci_low"] <= urr <= red["ci_high"]
    assert red["breakage"] == pytest.approx(1 - red["ultimate_rate"])
    # the survival cross-check: no expiry before the files end, so it sees the same points
    assert red["survival"]["ultimate_rate"] == pytest.approx(urr, abs=0.02)
    assert study.parameters["point_value"] == truth["ifrs15"]["point_value"]


def test_default_run_recovers_the_goal_gradient_slope(study, truth):
    gg = study.results()["goal_gradient"]
    # the within-member slope on whole days that the simulator computed exactly for these
    # records (its truth); the continuous-time beta (-0.5) is pulled towards 0 by whole days
    target = truth["goal_gradient"]["fe_slope_whole_days"]
    assert gg["ci_low"] <= target <= gg["ci_high"]
    assert gg["ci_high"] < 0 and gg["p"] < 0.001
    assert study.goal_gradient.reward_threshold == truth["redemption"]["reward_threshold"]


def test_redeemers_churn_less_as_simulated(study, truth):
    assert (
        truth["churn"]["per_purchase"]["redeemer"] < truth["churn"]["per_purchase"]["non_redeemer"]
    )
    churn = study.results()["redeemer_churn"]
    assert churn["difference_ci_high"] < 0


# --------------------------------------------------------------------------- contract
def test_results_json_carries_the_contract_keys(study):
    res = study.results()
    assert set(res) >= CONTRACT
    json.dumps(res, allow_nan=False)  # strict JSON: no NaN leaks into results.json
    assert list(res["ledger"])[:2] == ["2024Q1", "2024Q2"] and len(res["ledger"]) == 8
    for row in res["ledger"].values():
        assert set(row) >= {"issued", "redeemed", "expired", "outstanding"}
    assert set(res["redemption"]) >= {"ultimate_rate", "ci_low", "ci_high", "breakage", "method"}
    assert res["redemption"]["method"].startswith("chain-ladder")
    assert list(res["liability"]) == list(res["ledger"])
    for row in res["liability"].values():
        assert set(row) >= {"opening", "allocated", "recognised", "estimate_change", "closing"}
    assert set(res["goal_gradient"]) >= {"slope", "ci_low", "ci_high", "p"}
    effects = res["redemption_effect"]
    assert set(effects) == {str(k) for k in range(-3, 7)}
    assert effects["-1"]["estimate"] == 0  # the reference period
    for k in ("0", "3", "6"):
        assert effects[k]["ci_low"] <= effects[k]["estimate"] <= effects[k]["ci_high"]
    tiers = res["tiers"]["points"]
    assert set(tiers) == {"basic", "silver", "gold", "platinum", "total"}
    assert tiers["total"]["issued"] == pytest.approx(
        sum(v["issued"] for k, v in tiers.items() if k != "total")
    )


def test_findings_speak_to_finance_and_marketing(study):
    finance = [f for f in study.findings if f.startswith("Finance: ")]
    marketing = [f for f in study.findings if f.startswith("Marketing: ")]
    assert finance and marketing
    assert any("breakage" in f for f in finance) and any("liability" in f for f in finance)
    assert any("goal gradient" in f.lower() or "sooner" in f for f in marketing)


# --------------------------------------------------------------------------- recomputation
def test_ledger_kpis_match_an_independent_count_of_the_ledger_file(study):
    raw = pd.read_csv(LEDGER, parse_dates=["date"])
    raw["quarter"] = raw["date"].dt.to_period("Q").astype(str)
    flows = raw.pivot_table(
        index="quarter", columns="type", values="points", aggfunc="sum", fill_value=0
    )
    sign = raw["type"].map({"earn": 1, "redeem": -1, "expire": -1, "adjust": 1})
    balance = (raw["points"] * sign).groupby(raw["quarter"]).sum().cumsum()
    res = study.results()["ledger"]
    for q, row in res.items():
        assert row["issued"] == pytest.approx(flows.loc[q, "earn"])
        assert row["redeemed"] == pytest.approx(flows.loc[q, "redeem"])
        assert row["outstanding"] == pytest.approx(balance[q])
    sales = pd.read_csv(TRANSACTIONS, parse_dates=["date"])
    revenue = sales["amount"].groupby(sales["date"].dt.to_period("Q").astype(str)).sum()
    for q, row in res.items():
        assert row["revenue"] == pytest.approx(revenue[q], rel=1e-12)
        assert row["reward_cost_share"] == pytest.approx(
            row["redeemed"] * study.parameters["point_value"] / revenue[q], rel=1e-12
        )


def test_the_liability_rolls_forward_and_ends_at_the_unredeemed_share(study):
    bp = study.liability.by_period
    np.testing.assert_allclose(
        bp["closing"],
        bp["opening"] + bp["allocated"] - bp["recognised"] + bp["estimate_change"],
        atol=1e-8,
    )
    np.testing.assert_allclose(bp["opening"].iloc[1:], bp["closing"].iloc[:-1], atol=1e-8)
    # at the last period end every cohort carries allocated x (1 - redeemed / expected), its
    # allocation recomputed from the sales (goods at their stand-alone price, IFRS 15.B42)
    sales = pd.read_csv(TRANSACTIONS, parse_dates=["date"])
    revenue = sales["amount"].groupby(sales["date"].dt.to_period("Q").dt.start_time).sum()
    tri = study.triangle
    origins = study.chain.origins
    at_sale = study.estimates.set_index("period")
    closing = 0.0
    first_basis = at_sale["basis"].iloc[2]
    assert first_basis == "chain ladder at the period's end"
    for c in tri.issued.index:
        issued = tri.issued[c]
        latest = tri.redeemed.loc[c].dropna().iloc[-1]
        ssp = issued * study.parameters["point_value"] * _cohort_rate_at_sale(study, c)
        allocated = revenue[c] * ssp / (revenue[c] + ssp)
        closing += allocated * (1 - min(1.0, latest / origins.loc[c, "ultimate"]))
    assert bp["closing"].iloc[-1] == pytest.approx(closing, rel=1e-9)


def _cohort_rate_at_sale(study, cohort) -> float:
    """The cohort's own expected redemption at the end of its issuance period, recomputed with
    volume-weighted chain-ladder factors on the triangle as it stood then."""
    red = study.triangle.redeemed.to_numpy(dtype=float)
    i = list(study.triangle.redeemed.index).index(cohort)
    j = max(i, 2)  # the first periods use the first estimable cut (stated hindsight)
    cut = red[: j + 1, : j + 1].copy()
    rows, cols = np.indices(cut.shape)
    cut[rows + cols > j] = np.nan
    factors = []
    for k in range(j):
        both = ~np.isnan(cut[:, k + 1])
        factors.append(cut[both, k + 1].sum() / cut[both, k].sum())
    ultimate = cut[i, 0] * float(np.prod(factors))  # at its period's end a cohort is at k = 0
    return min(1.0, ultimate / float(study.triangle.issued.iloc[i]))


def test_expected_redemption_uses_only_what_was_known_at_each_period_end(study):
    red = study.triangle.redeemed.to_numpy(dtype=float)
    issued = study.triangle.issued.to_numpy(dtype=float)
    for j in (2, 4, 7):
        cut = red[: j + 1, : j + 1].copy()
        rows, cols = np.indices(cut.shape)
        cut[rows + cols > j] = np.nan
        ultimate = 0.0
        for i in range(j + 1):
            k_now = j - i
            value = cut[i, k_now]
            for k in range(k_now, j):
                both = ~np.isnan(cut[:, k + 1])
                value *= cut[both, k + 1].sum() / cut[both, k].sum()
            ultimate += value
        expected = study.estimates["expected_rate"].iloc[j]
        assert expected == pytest.approx(ultimate / issued[: j + 1].sum(), rel=1e-10)
    # the last estimate is the chain ladder's URR on the whole triangle
    assert study.estimates["expected_rate"].iloc[-1] == pytest.approx(
        study.chain.ultimate_rate, rel=1e-10
    )


def test_the_liability_schedule_reproduces_ifrs15_example_52():
    # IFRS 15 IE267-IE270: 100,000 of sales earn 10,000 points worth 1 each; 9,500 expected
    # to be redeemed; 4,500 redeemed in year 1; 8,500 by year 2, of 9,700 now expected
    expected = pd.DataFrame(
        {
            "cohort": [1, 1],
            "period": [1, 2],
            "issued": [10_000.0, 10_000.0],
            "redeemed_cumulative": [4_500.0, 8_500.0],
            "expected_total": [9_500.0, 9_700.0],
            "expected_rate": [0.95, 0.97],
        }
    )
    schedule, notes = points_programme.liability_schedule(
        expected, pd.Series({1: 100_000.0}), point_value=1.0, period="quarter"
    )
    assert notes == []
    roll = points_programme.liab.liability_rollforward(schedule).by_period
    assert round(roll.loc[1, "allocated"]) == 8_676
    assert round(roll.loc[1, "revenue"]) == 4_110
    assert round(roll.loc[1, "revenue"] + roll.loc[2, "revenue"]) == 7_603
    assert round(roll.loc[2, "closing"]) == 1_073


def test_a_transactions_file_serves_as_the_ledger_and_the_sales(tmp_path):
    spec = get_study("points-programme")
    params = spec.validate(
        {"point_value": 0.01, "points_earned_col": "points_earned",
         "points_redeemed_col": "points_redeemed", "order_col": "order_id"}
    )  # fmt: skip
    inputs = points_programme.load(str(TRANSACTIONS), params)
    assert inputs.source == "transactions" and inputs.transactions is not None
    raw = pd.read_csv(LEDGER)
    totals = raw.groupby("type")["points"].sum()
    assert inputs.ledger.totals["earned"] == pytest.approx(totals["earn"])
    assert inputs.ledger.totals["redeemed"] == pytest.approx(totals["redeem"])
    with pytest.raises(InputError, match="second transactions file"):
        points_programme.load(str(TRANSACTIONS), {**params, "transactions": str(TRANSACTIONS)})


# --------------------------------------------------------------------------- refusals
def _ledger_file(tmp_path, rows: list[tuple]) -> str:
    path = tmp_path / "ledger.csv"
    pd.DataFrame(rows, columns=["member_id", "date", "type", "points"]).to_csv(path, index=False)
    return str(path)


def _refused(args: list[str]) -> str:
    code, _, err = run_main(["run", "points-programme", *args])
    assert code == 2, err
    assert "Traceback" not in err
    return err


def test_bad_inputs_exit_2_before_any_kernel_naming_file_column_and_row(tmp_path, reports):
    before = sha256(LEDGER)
    err = _refused(["--data", str(LEDGER)])  # point_value is required
    assert "point_value must be more than 0" in err
    err = _refused(["--data", str(LEDGER), "--param", "point_value=0.01",
                    "--param", "transactions=no/such/tx.csv"])  # fmt: skip
    assert "--param transactions" in err and "no/such/tx.csv" in err
    over = _ledger_file(tmp_path, [("a", "2024-01-05", "earn", 100),
                                   ("a", "2024-02-01", "redeem", 150)])  # fmt: skip
    err = _refused(["--data", over, "--param", "point_value=0.01"])
    assert "more points" in err and "data row 2" in err and "column 'points'" in err
    odd = _ledger_file(tmp_path, [("a", "2024-01-05", "earn", 100),
                                  ("a", "2024-02-01", "bonus", 10)])  # fmt: skip
    err = _refused(["--data", odd, "--param", "point_value=0.01"])
    assert "bonus" in err and "data row 2" in err and "column 'type'" in err
    members = tmp_path / "members.csv"
    pd.read_csv(MEMBERS).drop(columns="tier").to_csv(members, index=False)
    err = _refused(["--data", str(LEDGER), "--param", "point_value=0.01",
                    "--param", f"members={members}"])  # fmt: skip
    assert "tier column 'tier'" in err and str(members) in err
    err = _refused(["--data", str(LEDGER), "--param", "point_value=0.01",
                    "--param", f"members={MEMBERS}",
                    "--param", "tier_rules=[silver=1000, gold=2500]"])  # fmt: skip
    assert str(MEMBERS) in err and "basic" in err
    err = _refused(["--data", str(LEDGER), "--param", "point_value=0.01",
                    "--param", "tier_rules=[silver]"])  # fmt: skip
    assert "TIER=SPEND" in err
    assert not reports.exists() or not any(reports.rglob("report.html"))
    assert sha256(LEDGER) == before


def test_short_ledgers_are_refused_with_the_periods_they_need(tmp_path):
    path = _ledger_file(tmp_path, [("a", "2024-01-05", "earn", 100),
                                   ("a", "2024-05-01", "redeem", 50)])  # fmt: skip
    with pytest.raises(InputError, match="needs at least 4") as err:
        points_programme.preflight(path, None, {"point_value": 0.01, "period": "quarter"})
    assert err.value.column == "date"


# --------------------------------------------------------------------------- notebook
def test_notebook_runs_end_to_end_and_escapes_every_data_string(tmp_path, reports):
    sim = simulate_points_programme(300, seed=7)
    hostile = {"basic": SCRIPT, "silver": f"silver{QUOTES}"}
    members = sim.members.assign(tier=sim.members["tier"].replace(hostile))
    files = {name: tmp_path / f"{name}.csv" for name in ("ledger", "tx", "members")}
    sim.ledger.to_csv(files["ledger"], index=False)
    sim.transactions.to_csv(files["tx"], index=False)
    members.to_csv(files["members"], index=False)
    out = tmp_path / "run"
    rules = json.dumps([f"{SCRIPT}=0", f"silver{QUOTES}=1000", "gold=2500", "platinum=5000"])
    code, _, err = run_main(
        ["run", "points-programme", "--data", str(files["ledger"]),
         "--param", "point_value=0.01", "--param", "expiry_months=12",
         "--param", "reward_threshold=500", "--param", f"transactions={files['tx']}",
         "--param", f"members={files['members']}", "--param", f"tier_rules={rules}",
         "--param", "n_boot=50", "--param", f"currency=EUR{QUOTES}", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["study"] == "points-programme" and set(results) >= CONTRACT
    assert set(results["tiers"]["points"]) >= set(hostile.values())
    assert results["n_used"] == sim.ledger["member_id"].nunique()
    html = (out / "report.html").read_text(encoding="utf-8")
    for heading in ("Key findings", "The ledger by period", "Redemption and breakage",
                    "The points liability", "Do points change behaviour", "Tiers"):  # fmt: skip
        assert heading in html
    # no data string can open a tag anywhere (plotly's JSON writes < as \u003c)
    assert "<script>alert" not in html
    # outside the figures' JSON (where quotes are JSON-escaped), text is HTML-escaped
    text = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)
    assert QUOTES not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "EUR&quot;&amp;&#x27;" in text  # the currency label, escaped
    assert "from workbench" not in html and "plotly" in html.lower()
    assert not math.isnan(results["redemption"]["ultimate_rate"])


def test_a_ledger_alone_skips_what_needs_sales_and_says_so():
    spec = get_study("points-programme")
    params = spec.validate({"point_value": 0.01, "n_boot": 0})
    inputs = points_programme.load(str(LEDGER), params)
    study = points_programme.analyse(inputs, **params)
    res = study.results()
    json.dumps(res, allow_nan=False)
    assert res["liability"] == {} and res["redemption_effect"] is None
    assert res["goal_gradient"] is None and res["tiers"] == {}
    assert res["redemption"]["ci_low"] is None  # no bootstrap asked for
    assert "revenue" not in res["ledger"]["2024Q1"]
    assert any("No transactions were given" in w for w in study.warnings)
    assert any("reward_threshold = 0" in f for f in study.findings)


def test_figures_draw_the_numbers_they_are_given(study):
    curve = study.goal_gradient.curve
    fig = study.goal_gradient_figure()
    np.testing.assert_allclose(
        fig.data[0].y, (np.exp(curve["mean_demeaned_log_gap"]) - 1) * 100, rtol=1e-12
    )
    ledger = study.ledger_figure()
    assert [t.name for t in ledger.data][:3] == ["points issued", "points redeemed",
                                                 "points expired"]  # fmt: skip
    np.testing.assert_allclose(ledger.data[0].y, study.kpis["issued"])
    effects = study.redemption_effect.effects
    ev = study.redemption_effect_figure()
    np.testing.assert_allclose(ev.data[0].y, effects["estimate"])
    liab = study.liability_figure()
    np.testing.assert_allclose(liab.data[2].y, study.liability.by_period["closing"])


def test_repair_cap_cuts_an_over_redemption_and_lists_it(tmp_path):
    path = _ledger_file(tmp_path, [("a", "2024-01-05", "earn", 100),
                                   ("a", "2024-02-01", "redeem", 150)])  # fmt: skip
    params = get_study("points-programme").validate({"point_value": 0.01, "repair": "cap"})
    ledger = points_programme.load(path, params).ledger
    assert ledger.repairs[["row", "points_before", "points_after"]].values.tolist() == [
        [2, 150.0, 100.0]
    ]
    assert ledger.totals["outstanding"] == 0
    assert any("repair='cap'" in w for w in ledger.warnings)
