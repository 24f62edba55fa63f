"""Tests of the simulated loyalty initiative (programme-evaluation data) and its files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from generated_files import assert_generated_file_matches

from workbench.simulate import (
    PROGRAMME_FILES,
    PROGRAMME_TREATED_STORES,
    SimulatedProgramme,
    main,
    simulate_loyalty_survey,
    simulate_programme,
)

DATA = Path(__file__).resolve().parent.parent / "data"
LAUNCH = pd.Period("2025-01", freq="M")


@pytest.fixture(scope="module")
def default() -> SimulatedProgramme:
    return simulate_programme()


@pytest.fixture(scope="module")
def big() -> SimulatedProgramme:
    return simulate_programme(n_members=30000, seed=7, nps_wave_size=4000)


def member_months(sim: SimulatedProgramme) -> pd.DataFrame:
    """The truth's panel: member x month from the first month starting after joining."""
    months = pd.period_range(sim.truth["start"], sim.truth["end"], freq="M")
    panel = sim.members[["member_id", "join_date", "treated"]].merge(
        pd.DataFrame({"month": months}), how="cross"
    )
    panel = panel[panel["join_date"] < panel["month"].dt.start_time]
    tx = sim.transactions.assign(month=sim.transactions["date"].dt.to_period("M"))
    agg = tx.groupby(["member_id", "month"], as_index=False).agg(
        purchases=("amount", "size"), spend=("amount", "sum")
    )
    panel = panel.merge(agg, on=["member_id", "month"], how="left")
    return panel.fillna({"purchases": 0, "spend": 0.0}).reset_index(drop=True)


def did_in_means(panel: pd.DataFrame, y: str, post: pd.Series) -> tuple[float, float]:
    """(treated post - treated pre) - (control post - control pre) of cell means, with a
    member-clustered standard error from the estimator's influence function."""
    g = panel["treated"].astype(int).to_numpy() * 2 + post.astype(int).to_numpy()
    values = panel[y].to_numpy(dtype=float)
    means = pd.Series(values).groupby(g).mean()
    sizes = pd.Series(values).groupby(g).size()
    sign = pd.Series({3: 1.0, 2: -1.0, 1: -1.0, 0: 1.0})
    estimate = float((sign * means).sum())
    influence = sign[g].to_numpy() * (values - means[g].to_numpy()) / sizes[g].to_numpy()
    per_member = pd.Series(influence).groupby(panel["member_id"].to_numpy()).sum()
    return estimate, float(np.sqrt((per_member**2).sum()))


def test_same_seed_same_records_different_seed_differs() -> None:
    a = simulate_programme(n_members=900, seed=3, nps_wave_size=50)
    b = simulate_programme(n_members=900, seed=3, nps_wave_size=50)
    c = simulate_programme(n_members=900, seed=4, nps_wave_size=50)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.members, b.members)
    pd.testing.assert_frame_equal(a.nps, b.nps)
    assert a.truth == b.truth
    assert a.seed == 3
    assert not a.transactions["amount"].equals(c.transactions["amount"])


def test_committed_files_equal_a_fresh_write(tmp_path: Path, capsys) -> None:
    assert main(["--programme", "--out", str(tmp_path)]) == 0
    assert "programme.truth.json" in capsys.readouterr().out
    total = 0
    for name in PROGRAMME_FILES.values():
        assert_generated_file_matches(DATA / name, tmp_path / name)
        total += (DATA / name).stat().st_size
    assert total < 3_000_000


def test_bad_arguments_raise_value_error() -> None:
    with pytest.raises(ValueError, match="launch_date"):
        simulate_programme(n_members=900, launch_date="2023-06-01")
    with pytest.raises(ValueError, match="seed"):
        simulate_programme(n_members=900, seed=1.5)
    with pytest.raises(ValueError, match="multipliers"):
        simulate_programme(n_members=900, rate_effect=0)


def test_members_are_the_survey_respondents_and_the_transaction_members(
    default: SimulatedProgramme,
) -> None:
    survey = simulate_loyalty_survey().data
    members = default.members
    assert len(members) == 5000
    ids = survey["respondent_id"].astype(str).tolist()
    assert members["member_id"].iloc[:800].tolist() == ids
    assert members["surveyed"].sum() == 800
    shipped = pd.read_csv(DATA / "loyalty_members.csv", dtype={"member_id": str})
    cols = ["member_id", "join_date", "tier", "age", "gender", "surveyed"]
    out = members[cols].assign(join_date=members["join_date"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(out.reset_index(drop=True), shipped[cols], check_dtype=False)
    assert set(default.transactions["member_id"]) <= set(members["member_id"])
    assert set(default.nps["member_id"]) <= set(members["member_id"])


def test_treated_flag_follows_the_home_store_rule(default: SimulatedProgramme) -> None:
    m = default.members
    assert m["store"].isin([f"S{k:02d}" for k in range(1, 13)]).all()
    assert (m["treated"] == m["store"].isin(PROGRAMME_TREATED_STORES)).all()
    assert m["treated"].dtype == bool
    assert 0.45 < m["treated"].mean() < 0.55
    assert default.truth["treated_stores"] == list(PROGRAMME_TREATED_STORES)
    assert default.truth["n_treated"] == int(m["treated"].sum())


def test_records_columns_and_ranges(default: SimulatedProgramme) -> None:
    tx = default.transactions
    assert list(tx.columns) == ["order_id", "member_id", "date", "amount", "channel", "store"]
    assert tx["order_id"].is_unique
    assert tx["date"].between("2024-01-01", "2025-12-31").all()
    assert tx["date"].is_monotonic_increasing
    assert (tx["amount"] > 0).all()
    assert ((tx["channel"] == "online") == (tx["store"] == "")).all()
    joined = tx.merge(default.members[["member_id", "join_date"]], on="member_id")
    assert (joined["date"] >= joined["join_date"]).all()
    nps = default.nps
    assert list(nps.columns) == ["member_id", "date", "recommend"]
    assert nps["recommend"].between(0, 10).all()
    assert (nps.groupby(nps["date"].dt.to_period("Q")).size() == 400).all()
    assert len(nps) == 8 * 400


def test_truth_documents_the_design(default: SimulatedProgramme) -> None:
    t = default.truth
    assert t["launch_date"] == "2025-01-01"
    assert (t["rate_effect"], t["spend_effect"], t["ramp_days"]) == (1.25, 1.05, 90)
    did = t["expected_did"]
    full = did["relative_effect_fully_ramped"]
    assert full == {"purchases": 0.25, "spend_per_purchase": 0.05, "spend": 0.3125}
    # the ramp makes the average relative effect smaller than the full one, never larger
    assert 0.15 < did["purchases_per_member_month"]["relative_effect"] < 0.25
    assert 0.2 < did["spend_per_member_month"]["relative_effect"] < 0.3125
    by_k = did["by_months_since_launch"]
    assert list(by_k) == [str(k) for k in range(12)]
    assert by_k["0"]["purchases"] < by_k["1"]["purchases"] < by_k["2"]["purchases"]
    assert t["loyalty_link"]["copula_correlation"] == 0.4
    assert json.loads(json.dumps(t)) == t
    assert t["nps"]["by_quarter"]["2024Q4"]["treated"] == t["nps"]["nps_control"]
    assert t["nps"]["by_quarter"]["2025Q1"]["treated"] == t["nps"]["nps_treated_post"]


@pytest.fixture(scope="module")
def big_panel(big: SimulatedProgramme) -> pd.DataFrame:
    return member_months(big)


def test_pre_launch_trends_are_parallel(big_panel: pd.DataFrame) -> None:
    pre = big_panel[big_panel["month"] < LAUNCH]
    # a placebo launch half-way through the pre-period finds no effect
    estimate, se = did_in_means(pre, "purchases", pre["month"] >= pd.Period("2024-07", "M"))
    assert abs(estimate) < 3 * se
    # and the monthly treated - control differences stay within sampling error of their mean
    by = pre.groupby(["month", "treated"])["purchases"].agg(["mean", "var", "size"]).unstack()
    diff = by["mean"][True] - by["mean"][False]
    se_month = np.sqrt(by["var"][True] / by["size"][True] + by["var"][False] / by["size"][False])
    assert (abs(diff - diff.mean()) < 4 * se_month).all()


@pytest.mark.parametrize("outcome", ["purchases", "spend"])
def test_did_in_means_recovers_the_expected_effect(
    big: SimulatedProgramme, big_panel: pd.DataFrame, outcome: str
) -> None:
    truth = big.truth["expected_did"][f"{outcome}_per_member_month"]
    estimate, se = did_in_means(big_panel, outcome, big_panel["month"] >= LAUNCH)
    assert abs(estimate - truth["att"]) < 3 * se
    assert estimate > 3 * se  # the effect is detectable at this n
    # the expected control outcome matches the treated counterfactual (same population)
    control = big_panel[~big_panel["treated"] & (big_panel["month"] >= LAUNCH)]
    assert control[outcome].mean() == pytest.approx(truth["counterfactual_mean"], rel=0.05)


def test_nps_uplift_after_launch_for_treated_members(big: SimulatedProgramme) -> None:
    nps = big.nps.merge(big.members[["member_id", "treated"]], on="member_id")
    score = np.where(nps["recommend"] >= 9, 100, np.where(nps["recommend"] <= 6, -100, 0))
    nps = nps.assign(score=score, post=nps["date"] >= "2025-01-01")
    by = nps.groupby(["post", "treated"])["score"].agg(["mean", "var", "size"])
    se = np.sqrt(by["var"] / by["size"])
    uplift = by.loc[(True, True), "mean"] - by.loc[(True, False), "mean"]
    se_uplift = np.hypot(se[(True, True)], se[(True, False)])
    assert uplift > 0
    assert abs(uplift - big.truth["nps"]["uplift_nps_points"]) < 3 * se_uplift
    pre_gap = by.loc[(False, True), "mean"] - by.loc[(False, False), "mean"]
    assert abs(pre_gap) < 3 * np.hypot(se[(False, True)], se[(False, False)])
    assert by.loc[(False, False), "mean"] == pytest.approx(big.truth["nps"]["nps_control"], abs=5)


def test_no_effect_means_no_difference() -> None:
    sim = simulate_programme(n_members=900, seed=5, rate_effect=1.0, spend_effect=1.0, nps_uplift=0)
    did = sim.truth["expected_did"]
    assert did["purchases_per_member_month"]["att"] == 0
    assert did["spend_per_member_month"]["relative_effect"] == 0
    assert sim.truth["nps"]["uplift_nps_points"] == 0
