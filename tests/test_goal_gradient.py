"""Tests of workbench.behaviour.goal_gradient (Kivetz, Urminsky & Zheng 2006).

References: statsmodels OLS of log(gap) on progress and one dummy per member with
``cov_type="cluster"`` (CR1 by member, t with G - 1 df via ``use_t=True``), on progress
and gaps recomputed here in pandas from the ledger rows (agreement ~1e-14; asked 1e-8);
and recovery of a slope planted in simulated purchase histories.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from workbench.behaviour import GoalGradient, goal_gradient
from workbench.errors import InputError


def _small_ledger(seed: int = 11) -> pd.DataFrame:
    """25 members: earnings on irregular days, two earn rows on some days, redemptions,
    an expiry, an adjustment, and one member with a single earn day."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(25):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 20)))
        balance = 0.0
        for _ in range(int(rng.integers(3, 12))):
            pts = float(rng.choice([20, 40, 60]))
            rows.append((f"m{m:02d}", day, "earn", pts))
            balance += pts
            if rng.random() < 0.3:  # a second earning the same day
                rows.append((f"m{m:02d}", day, "earn", 10.0))
                balance += 10
            if balance >= 150 and rng.random() < 0.7:
                rows.append((f"m{m:02d}", day, "redeem", 150.0))
                balance -= 150
            day += pd.Timedelta(days=int(rng.integers(1, 30)))
            if rng.random() < 0.1 and balance >= 10:  # a day with only an expiry
                rows.append((f"m{m:02d}", day, "expire", 10.0))
                balance -= 10
                day += pd.Timedelta(days=int(rng.integers(1, 5)))
        rows.append((f"m{m:02d}", day, "adjust", 5.0))  # a last, non-earn day
    rows.append(("solo", pd.Timestamp("2024-03-01"), "earn", 40.0))
    return pd.DataFrame(rows, columns=["member_id", "date", "type", "points"])


def _gaps_by_hand(ledger: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Progress and gap of every earn day, straight from the definition (pandas)."""
    delta = np.where(ledger["type"].isin(["redeem", "expire"]), -ledger["points"], ledger["points"])
    d = (
        ledger.assign(delta=delta, earn=ledger["type"].eq("earn"))
        .groupby(["member_id", "date"], as_index=False)
        .agg(net=("delta", "sum"), earn=("earn", "any"))
        .sort_values(["member_id", "date"])
    )
    d["balance"] = d.groupby("member_id")["net"].cumsum()
    e = d[d["earn"]].copy()
    e["gap"] = (e.groupby("member_id")["date"].shift(-1) - e["date"]).dt.days
    e["progress"] = np.minimum(e["balance"], threshold) / threshold
    return e


def test_slope_and_clustered_se_match_statsmodels_with_member_dummies():
    ledger = _small_ledger()
    gg = goal_gradient(ledger, reward_threshold=150, min_gaps=3)
    e = _gaps_by_hand(ledger, 150).dropna(subset=["gap"])
    n_gaps = e.groupby("member_id")["gap"].transform("size")
    e = e[n_gaps >= 3]
    dummies = pd.get_dummies(e["member_id"], dtype=float)
    x = pd.concat([e[["progress"]], dummies], axis=1)
    groups = pd.factorize(e["member_id"])[0]
    fit = sm.OLS(np.log(e["gap"]), x).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert gg.n_gaps == len(e) and gg.n_members == e["member_id"].nunique()
    assert gg.slope == pytest.approx(fit.params["progress"], abs=1e-8)
    assert gg.se == pytest.approx(fit.bse["progress"], rel=1e-8)
    assert gg.p == pytest.approx(fit.pvalues["progress"], rel=1e-6)
    lo, hi = fit.conf_int().loc["progress"]
    assert (gg.ci_low, gg.ci_high) == pytest.approx((lo, hi), abs=1e-8)
    assert gg.pct_change == pytest.approx(np.exp(gg.slope) - 1)


def test_drops_last_earn_days_and_members_with_too_few_gaps_and_counts_them():
    ledger = _small_ledger()
    e = _gaps_by_hand(ledger, 150)
    gg = goal_gradient(ledger, reward_threshold=150, min_gaps=3)
    per_member = e.groupby("member_id")["gap"].count()
    assert gg.n_earn_days == len(e)
    assert gg.dropped_last == e["member_id"].nunique()
    assert gg.dropped_members == int(((per_member > 0) & (per_member < 3)).sum())
    assert gg.dropped_member_gaps == int(per_member[per_member < 3].sum())
    assert gg.n_gaps + gg.dropped_member_gaps + gg.dropped_last == gg.n_earn_days
    assert any("last earn day" in w for w in gg.warnings)


def test_curve_bins_progress_and_reports_gap_days():
    ledger = _small_ledger()
    gg = goal_gradient(ledger, reward_threshold=150, min_gaps=2, bins=5)
    curve = gg.curve
    assert list(curve["progress_mid"]) == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert curve["n"].sum() == gg.n_gaps
    e = _gaps_by_hand(ledger, 150).dropna(subset=["gap"])
    e = e[e.groupby("member_id")["gap"].transform("size") >= 2]
    top = e[e["progress"] >= 0.8]
    assert curve["n"].iloc[-1] == len(top)  # progress 1 (at or above the threshold) included
    assert curve["mean_gap_days"].iloc[-1] == pytest.approx(top["gap"].mean())
    assert curve["median_gap_days"].iloc[-1] == pytest.approx(top["gap"].median())
    # the demeaned log gaps sum to zero over all gaps
    filled = curve.dropna(subset=["mean_demeaned_log_gap"])
    assert (filled["n"] * filled["mean_demeaned_log_gap"]).sum() == pytest.approx(0, abs=1e-9)


def test_recovers_a_planted_goal_gradient():
    # Exponential gaps with mean mu_i * exp(beta * progress), at least one day, 10 points per
    # purchase, a reward (100 points) redeemed on the day it is reached: the end-of-day
    # progress is 0, 0.1, ..., 0.9. E[log gap] = log mu_i + beta progress - Euler's gamma,
    # so the within-member slope estimates beta (up to rounding gaps up to whole days).
    rng = np.random.default_rng(2006)
    beta, n_members, n_buys = -0.5, 1500, 40
    mu = rng.uniform(40, 120, n_members)  # long gaps: rounding up to days matters little
    prog = (np.arange(n_buys) + 1) % 10 / 10  # 0.1, ..., 0.9, 0 (reward), 0.1, ...
    gaps = np.ceil(rng.exponential(mu[:, None] * np.exp(beta * prog[None, :])))
    days = np.cumsum(np.c_[np.zeros(n_members), gaps[:, :-1]], axis=1).astype(int)
    ids = np.repeat([f"m{i}" for i in range(n_members)], n_buys)
    dates = pd.Timestamp("2000-01-01") + pd.to_timedelta(days.ravel(), unit="D")
    earn = pd.DataFrame({"member_id": ids, "date": dates, "type": "earn", "points": 10.0})
    reward = earn[np.tile(prog == 0, n_members)].assign(type="redeem", points=100.0)
    ledger = pd.concat([earn, reward], ignore_index=True)
    gg = goal_gradient(ledger, reward_threshold=100)
    assert gg.n_gaps == n_members * (n_buys - 1)
    # SE ~0.017; rounding up to whole days pulls the slope towards 0 by ~0.01 here
    assert gg.slope == pytest.approx(beta, abs=0.05)
    assert gg.pct_change == pytest.approx(np.exp(beta) - 1, abs=0.04)
    assert gg.p < 1e-10
    assert "sooner" in gg.interpretation


def test_to_dict_is_json_safe_and_carries_the_contract_fields():
    gg = goal_gradient(_small_ledger(), reward_threshold=150)
    assert isinstance(gg, GoalGradient)
    d = json.loads(json.dumps(gg.to_dict()))
    for key in ("slope", "ci_low", "ci_high", "p", "pct_change", "n_members", "n_gaps"):
        assert key in d
    assert len(d["curve"]) == 10
    assert "Goal gradient" in gg.summary()
    assert "<table" in gg._repr_html_()


@pytest.mark.parametrize("threshold", [0, -5, float("nan"), "100"])
def test_refuses_a_threshold_that_is_not_a_positive_number(threshold):
    with pytest.raises(InputError, match="reward_threshold") as err:
        goal_gradient(_small_ledger(), reward_threshold=threshold)
    assert err.value.hint


def test_refuses_a_ledger_without_a_member_with_enough_gaps():
    ledger = pd.DataFrame(
        {
            "member_id": ["a", "a", "b"],
            "date": ["2024-01-01", "2024-01-05", "2024-01-02"],
            "type": ["earn", "earn", "earn"],
            "points": [10, 10, 10],
        }
    )
    with pytest.raises(InputError, match="min_gaps") as err:
        goal_gradient(ledger, reward_threshold=100)
    assert err.value.column == "min_gaps" and err.value.hint


def test_refuses_progress_that_never_varies_within_a_member():
    # the threshold is below one earning and nothing is redeemed: every balance counts as 1
    ledger = _small_ledger()
    ledger = ledger[ledger["type"] == "earn"]
    with pytest.raises(InputError, match="never varies"):
        goal_gradient(ledger, reward_threshold=1)


def test_rejects_invalid_options():
    with pytest.raises(ValueError, match="min_gaps"):
        goal_gradient(_small_ledger(), reward_threshold=150, min_gaps=1)
    with pytest.raises(ValueError, match="bins"):
        goal_gradient(_small_ledger(), reward_threshold=150, bins=0)
    with pytest.raises(ValueError, match="ci"):
        goal_gradient(_small_ledger(), reward_threshold=150, ci=95)
