"""Tests of the simulated loyalty-programme transactions and of the shipped files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from generated_files import assert_generated_file_matches

from workbench.simulate import (
    TIERS,
    TRANSACTION_FILES,
    SimulatedTransactions,
    main,
    simulate_loyalty_survey,
    simulate_transactions,
    write_default_transactions,
)

DATA = Path(__file__).resolve().parent.parent / "data"
START, END = pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")
TX_COLUMNS = [
    "order_id",
    "member_id",
    "date",
    "amount",
    "channel",
    "store",
    "points_earned",
    "points_redeemed",
]


@pytest.fixture(scope="module")
def default() -> SimulatedTransactions:
    return simulate_transactions()


@pytest.fixture(scope="module")
def big_survey() -> pd.DataFrame:
    return simulate_loyalty_survey(3000, seed=5).data


@pytest.fixture(scope="module")
def big(big_survey: pd.DataFrame) -> SimulatedTransactions:
    # 30,000 members (~290,000 purchases): sampling error of a few tenths of a percent.
    return simulate_transactions(big_survey, n_members=30_000, seed=7)


def _purchases(sim: SimulatedTransactions) -> pd.DataFrame:
    return sim.transactions[sim.transactions["amount"] > 0]


def _counts(sim: SimulatedTransactions) -> pd.Series:
    members = sim.members.set_index("member_id")
    return _purchases(sim).groupby("member_id").size().reindex(members.index, fill_value=0)


# --- determinism and the shipped files ------------------------------------------------


def test_same_seed_same_records_different_seed_differs() -> None:
    survey = simulate_loyalty_survey(200, seed=3).data
    a = simulate_transactions(survey, n_members=600, seed=11)
    b = simulate_transactions(survey, n_members=600, seed=11)
    c = simulate_transactions(survey, n_members=600, seed=12)
    for name in ("transactions", "members", "tier_history"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.truth == b.truth and a.seed == 11 and a.truth["seed"] == 11
    assert not a.transactions["amount"].equals(c.transactions["amount"])
    # the survey's members keep their ids and tiers whatever the seed
    pd.testing.assert_series_equal(a.members["tier"].head(200), c.members["tier"].head(200))


def test_committed_files_equal_a_fresh_write(tmp_path: Path) -> None:
    paths = write_default_transactions(tmp_path)
    assert {p.name for p in paths.values()} == set(TRANSACTION_FILES.values())
    for name in TRANSACTION_FILES.values():
        assert_generated_file_matches(DATA / name, tmp_path / name)
    total = sum((DATA / name).stat().st_size for name in TRANSACTION_FILES.values())
    assert total < 5_000_000


def test_cli_writes_the_transaction_files(tmp_path: Path, capsys) -> None:
    assert main(["--transactions", "--out", str(tmp_path), "--seed", "2026"]) == 0
    assert "loyalty_transactions.csv" in capsys.readouterr().out
    assert not (tmp_path / "loyalty_survey.csv").exists()
    tx = pd.read_csv(tmp_path / TRANSACTION_FILES["transactions"])
    assert list(tx.columns) == TX_COLUMNS


def test_bad_arguments_raise_value_error() -> None:
    survey = simulate_loyalty_survey(30, seed=1).data
    with pytest.raises(ValueError, match="n_members"):
        simulate_transactions(survey, n_members=10)
    with pytest.raises(ValueError, match="seed"):
        simulate_transactions(survey, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="end"):
        simulate_transactions(survey, start="2025-01-01", end="2024-01-01")
    with pytest.raises(ValueError, match="lacks the columns"):
        simulate_transactions(survey.drop(columns="RI2"))
    with pytest.raises(ValueError, match="tier values"):
        simulate_transactions(survey.assign(tier="diamond"))


# --- members, ids, types and ranges ---------------------------------------------------


def test_surveyed_members_are_the_survey_respondents(default: SimulatedTransactions) -> None:
    survey = pd.read_csv(DATA / "loyalty_survey.csv")
    members = pd.read_csv(DATA / TRANSACTION_FILES["members"])
    assert len(members) == 5000 and members["member_id"].is_unique
    surveyed = members[members["surveyed"]]
    assert surveyed["member_id"].tolist() == survey["respondent_id"].tolist()
    assert surveyed["tier"].tolist() == survey["tier"].tolist()
    assert surveyed["age"].tolist() == survey["age"].tolist()
    assert surveyed["gender"].tolist() == survey["gender"].tolist()
    # in memory the ids are strings equal to str(respondent_id)
    ids = default.members.loc[default.members["surveyed"], "member_id"]
    assert ids.tolist() == survey["respondent_id"].astype(str).tolist()
    assert set(members["tier"]) == set(TIERS)


def test_transaction_columns_types_and_ranges(default: SimulatedTransactions) -> None:
    tx, members = default.transactions, default.members.set_index("member_id")
    assert list(tx.columns) == TX_COLUMNS
    assert tx["order_id"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(tx["date"])
    assert tx["date"].between(START, END).all()
    assert tx["date"].is_monotonic_increasing
    assert set(tx["member_id"]) <= set(members.index)
    assert set(tx["channel"]) == {"online", "store"}
    online = tx["channel"] == "online"
    assert (tx.loc[online, "store"] == "").all()
    assert tx.loc[~online, "store"].str.fullmatch(r"S(0[1-9]|1[0-2])").all()
    buy = tx[tx["amount"] > 0]
    assert (tx["amount"] != 0).all() and (buy["amount"] >= 0.01).all()
    assert np.allclose(buy["amount"], buy["amount"].round(2))
    assert (buy["points_earned"] == np.floor(buy["amount"]).astype(int)).all()
    assert (tx["points_redeemed"] >= 0).all() and (tx["points_redeemed"] % 500 == 0).all()
    assert (tx["points_redeemed"] > 0).sum() > 100
    # nobody buys before joining; members who joined in the period buy on the join date
    join = members["join_date"]
    assert (tx["date"] >= join.loc[tx["member_id"]].to_numpy()).all()
    first = buy.groupby("member_id")["date"].min()
    new = join[join >= START]
    assert (first.reindex(new.index) == new).all()
    # points: a new member never redeems more than they have earned so far
    new_tx = buy[buy["member_id"].isin(new.index)]
    g = new_tx.groupby("member_id")
    earned_before = g["points_earned"].cumsum() - new_tx["points_earned"]
    assert (g["points_redeemed"].cumsum() <= earned_before).all()
    # sizes of the shipped data
    assert 40_000 < len(tx) < 70_000
    assert default.truth["realised"]["rows"] == len(tx)


def test_refunds_point_at_their_orders(default: SimulatedTransactions) -> None:
    tx = default.transactions
    refunds = tx[tx["amount"] < 0]
    assert 300 < len(refunds) < 0.05 * len(tx)
    assert refunds["order_id"].str.endswith("-R").all()
    assert not tx.loc[tx["amount"] > 0, "order_id"].str.endswith("-R").any()
    original = tx.set_index("order_id").loc[refunds["order_id"].str.removesuffix("-R")]
    assert (original["member_id"].to_numpy() == refunds["member_id"].to_numpy()).all()
    assert np.allclose(original["amount"].to_numpy(), -refunds["amount"].to_numpy())
    assert (original["points_earned"].to_numpy() == -refunds["points_earned"].to_numpy()).all()
    lag = (refunds["date"].to_numpy() - original["date"].to_numpy()) / np.timedelta64(1, "D")
    assert ((lag >= 0) & (lag <= 30)).all()
    assert (refunds["points_redeemed"] == 0).all()


def test_tier_history(default: SimulatedTransactions) -> None:
    hist, members = default.tier_history, default.members.set_index("member_id")
    assert list(hist.columns) == ["member_id", "date", "tier"]
    assert set(hist["member_id"]) == set(members.index) and set(hist["tier"]) <= set(TIERS)
    g = hist.groupby("member_id", sort=False)
    first, last = g.head(1).set_index("member_id"), g.tail(1).set_index("member_id")
    assert (first["date"] == members.loc[first.index, "join_date"]).all()
    assert (last["tier"] == members.loc[last.index, "tier"]).all()
    changes = hist[g.cumcount() > 0]
    assert len(changes) > 500
    assert ((changes["date"].dt.month == 1) & (changes["date"].dt.day == 1)).all()
    assert hist.groupby("member_id")["date"].is_monotonic_increasing.all()
    # consecutive rows of a member differ by one tier step
    code = hist["tier"].map({t: i for i, t in enumerate(TIERS)})
    step = code.groupby(hist["member_id"]).diff().dropna()
    assert step.abs().eq(1).all()
    realised = default.truth["tier_reviews"]["realised"]
    assert realised["mean_z_before_upgrade"] > 0 > realised["mean_z_before_downgrade"]


def test_truth_documents_the_parameters(default: SimulatedTransactions) -> None:
    truth = json.loads((DATA / TRANSACTION_FILES["truth"]).read_text(encoding="utf-8"))
    assert truth == json.loads(json.dumps(default.truth))
    assert set(truth["bgnbd"]) == {"r", "alpha", "a", "b", "time_unit"}
    assert set(truth["gamma_gamma"]) == {"p", "q", "gamma"}
    rate = truth["tier_rate_multiplier"]
    spend = truth["tier_spend_multiplier"]
    assert [rate[t] for t in TIERS] == sorted(rate.values()) and rate["basic"] == 1.0
    assert [spend[t] for t in TIERS] == sorted(spend.values()) and spend["basic"] == 1.0
    for t in TIERS:
        assert truth["bgnbd_by_tier"][t]["alpha"] == pytest.approx(
            truth["bgnbd"]["alpha"] / rate[t]
        )
    assert truth["loyalty_link"]["sign"] == "positive"
    assert truth["loyalty_link"]["copula_correlation"] > 0
    assert truth["n_members"] == 5000 and truth["n_surveyed"] == 800
    assert truth["realised"]["purchases"] == pytest.approx(
        truth["expected"]["purchases_in_log"], rel=0.05
    )


# --- recovery of the generating values (large n) ---------------------------------------


def test_purchase_rate_by_tier_recovers_the_tier_effect(big: SimulatedTransactions) -> None:
    members = big.members.set_index("member_id")
    counts = _counts(big)
    expected = big.truth["expected"]["purchases_in_log_by_tier"]
    # Counts per member are overdispersed (gamma-mixed rates), so the tolerance is four
    # standard errors of the tier's mean count, estimated from the data.
    g = counts.groupby(members["tier"])
    mean, se, size = g.mean(), g.std() / np.sqrt(g.size()), g.size()
    for t in TIERS:
        assert mean[t] == pytest.approx(expected[t] / size[t], abs=4 * se[t]), t
    # repeat purchases per week of membership, members who joined in the period
    new = members["join_date"] >= START
    weeks = ((END - members["join_date"]).dt.days + 1) / 7
    rate = ((counts - 1) / weeks)[new].groupby(members["tier"]).mean()
    assert list(rate[list(TIERS)]) == sorted(rate)
    # the platinum/basic ratio of purchases per member matches the truth's ratio
    ratio = mean["platinum"] / mean["basic"]
    exp_ratio = (expected["platinum"] / size["platinum"]) / (expected["basic"] / size["basic"])
    se_ratio = ratio * np.hypot(se["platinum"] / mean["platinum"], se["basic"] / mean["basic"])
    assert ratio == pytest.approx(exp_ratio, abs=4 * se_ratio)


def test_dropout_recovered_through_recent_inactivity(big: SimulatedTransactions) -> None:
    members = big.members.set_index("member_id")
    exp = big.truth["expected"]
    last = _purchases(big).groupby("member_id")["date"].max().reindex(members.index)
    old_enough = (END - members["join_date"]).dt.days + 1 >= 182
    quiet = ~(last >= END - pd.Timedelta(days=181))
    share = quiet[old_enough].mean()
    se = np.sqrt(share * (1 - share) / old_enough.sum())
    assert share == pytest.approx(exp["share_no_purchase_last_26_weeks"], abs=4 * se + 0.005)
    # without dropout (p = 0) far fewer members would be quiet: the check has power
    assert share > 0.3
    new = members["join_date"] >= START
    repeat = (_counts(big)[new] >= 2).mean()
    assert repeat == pytest.approx(exp["repeat_purchase_share_new_members"], abs=0.01)


def test_spend_mean_and_tier_effect_recovered(big: SimulatedTransactions) -> None:
    # Gamma-Gamma: E[mean spend of a member] = p * gamma_tier / (q - 1). Members are the
    # units (a transaction-weighted mean leans on the few heaviest buyers).
    buy = _purchases(big)
    per_member = buy.groupby("member_id")["amount"].mean()
    tier = big.members.set_index("member_id")["tier"].reindex(per_member.index)
    mean = per_member.groupby(tier).mean()
    truth = big.truth["mean_spend_per_purchase"]
    for t in TIERS:
        assert mean[t] == pytest.approx(truth[t], rel=0.04), t
    assert list(mean[list(TIERS)]) == sorted(mean)
    assert buy["amount"].mean() == pytest.approx(
        big.truth["expected"]["mean_spend_per_purchase"], rel=0.06
    )


def _loyalty_rate_correlation(sim: SimulatedTransactions, survey: pd.DataFrame) -> float:
    """Spearman correlation of loyalty (RI1-RI3 mean) and repeat-purchase rate within tier.

    Both are turned into ranks within tier and pooled; members who joined in the period.
    """
    members = sim.members.set_index("member_id")
    items = survey[["RI1", "RI2", "RI3"]].astype("float64")
    loyalty = items.where(items <= 7).mean(axis=1)
    loyalty.index = survey["respondent_id"].astype(str)
    weeks = ((END - members["join_date"]).dt.days + 1) / 7
    frame = pd.DataFrame(
        {
            "loyalty": loyalty,
            "rate": ((_counts(sim) - 1) / weeks).reindex(loyalty.index),
            "tier": members["tier"].reindex(loyalty.index),
            "new": (members["join_date"] >= START).reindex(loyalty.index),
        }
    ).dropna()
    frame = frame[frame["new"].astype(bool)]
    ranked = frame.groupby("tier")[["loyalty", "rate"]].rank(pct=True)
    return float(ranked["loyalty"].corr(ranked["rate"]))


def test_survey_loyalty_predicts_purchase_rate(
    big: SimulatedTransactions, big_survey: pd.DataFrame, default: SimulatedTransactions
) -> None:
    link = big.truth["loyalty_link"]
    assert link["sign"] == "positive"
    # The rate itself has Spearman correlation ~0.39 with loyalty; the observed rate is
    # diluted by Poisson noise and dropout, so expect a clearly positive, smaller value.
    rho = _loyalty_rate_correlation(big, big_survey)
    assert 0.15 < rho < link["spearman_loyalty_rate_within_tier"]
    # the shipped data (560-odd surveyed members who joined in the period) show it too
    shipped = _loyalty_rate_correlation(default, pd.read_csv(DATA / "loyalty_survey.csv"))
    assert shipped > 0.1


def test_non_surveyed_members_do_not_depend_on_the_survey() -> None:
    a = simulate_transactions(simulate_loyalty_survey(100, seed=1).data, n_members=400, seed=3)
    b = simulate_transactions(simulate_loyalty_survey(100, seed=2).data, n_members=400, seed=3)
    # the same seed gives the same join dates to everyone, whatever the survey says
    pd.testing.assert_series_equal(a.members["join_date"], b.members["join_date"])
