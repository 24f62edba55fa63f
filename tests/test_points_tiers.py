"""Tests of workbench.behaviour.points_tiers: points per tier and proximity to the next tier.

The references are counts and sums recomputed here with pandas from the ledger rows and
the definitions in the docstrings (exact up to float summation, asked 1e-9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour import tier_points, tier_proximity
from workbench.errors import InputError


def _ledger(seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(60):
        day = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        balance = 0.0
        for _ in range(int(rng.integers(1, 15))):
            pts = float(rng.integers(5, 80))
            rows.append((f"m{m}", day, "earn", pts))
            balance += pts
            if balance > 200 and rng.random() < 0.5:
                rows.append((f"m{m}", day, "redeem", 150.0))
                balance -= 150
            if balance > 50 and rng.random() < 0.1:
                rows.append((f"m{m}", day + pd.Timedelta(days=1), "expire", 20.0))
                balance -= 20
            if rng.random() < 0.05:
                rows.append((f"m{m}", day + pd.Timedelta(days=1), "adjust", 7.0))
                balance += 7
            day += pd.Timedelta(days=int(rng.integers(5, 40)))
    ledger = pd.DataFrame(rows, columns=["member_id", "date", "type", "points"])
    tiers = np.array(["blue", "silver", "gold"])[rng.integers(0, 3, 58)]
    members = pd.DataFrame(
        {
            "member_id": [f"m{m}" for m in range(58)] + ["x1", "x2"],  # m58, m59 have no tier
            "tier": [*tiers, "gold", "blue"],  # x1, x2: members without points
        }
    )
    return ledger, members


def test_points_per_tier_match_sums_from_the_ledger_rows():
    ledger, members = _ledger()
    out = tier_points(ledger, members, point_value=0.02, reward_threshold=100)
    tier_of = members.set_index("member_id")["tier"]
    led = ledger.assign(tier=ledger["member_id"].map(tier_of).fillna("(none)"))
    sign = led["type"].map({"earn": 1, "redeem": -1, "expire": -1, "adjust": 1})
    balance = (led["points"] * sign).groupby(led["member_id"]).sum()
    assert list(out.index) == ["blue", "gold", "silver", "(none)", "total"]
    for tier in ["blue", "gold", "silver", "(none)"]:
        rows = led[led["tier"] == tier]
        for col, typ in (("issued", "earn"), ("redeemed", "redeem"), ("expired", "expire")):
            assert out.loc[tier, col] == pytest.approx(
                rows.loc[rows["type"] == typ, "points"].sum(), abs=1e-9
            )
        ids = rows["member_id"].unique()
        assert out.loc[tier, "outstanding"] == pytest.approx(balance[ids].sum(), abs=1e-9)
        assert out.loc[tier, "members_with_points"] == len(ids)
        assert out.loc[tier, "redeemable_members"] == int((balance[ids] >= 100).sum())
        n = (tier_of == tier).sum() if tier != "(none)" else len(ids)
        assert out.loc[tier, "members"] == n
        assert out.loc[tier, "issued_per_member"] == pytest.approx(out.loc[tier, "issued"] / n)
        assert out.loc[tier, "share_redeemable"] == pytest.approx(
            out.loc[tier, "redeemable_members"] / n
        )
    assert out.loc["total", "outstanding"] == pytest.approx(balance.sum(), abs=1e-9)
    assert out.loc["total", "members"] == 62
    np.testing.assert_allclose(out["liability_face_value"], out["outstanding"] * 0.02)
    np.testing.assert_allclose(out["burn_rate"], out["redeemed"] / out["issued"])


def test_tier_points_refuses_members_without_a_tier_or_listed_twice():
    ledger, members = _ledger()
    bad = members.copy()
    bad.loc[3, "tier"] = None
    with pytest.raises(InputError, match="no tier") as err:
        tier_points(ledger, bad, point_value=0.01)
    assert err.value.column == "tier" and err.value.row == 4
    twice = pd.concat([members, members.iloc[[5]]], ignore_index=True)
    with pytest.raises(InputError, match="listed twice") as err:
        tier_points(ledger, twice, point_value=0.01)
    assert err.value.row == len(twice) and err.value.value == "m5"
    with pytest.raises(InputError, match="'level'"):
        tier_points(ledger, members, point_value=0.01, tier_col="level")
    with pytest.raises(ValueError, match="point_value"):
        tier_points(ledger, members, point_value=0)


RULES = {"gold": 5000.0, "blue": 0.0, "silver": 1000.0}  # any order: sorted by threshold


def test_proximity_counts_members_within_reach_of_the_next_threshold():
    members = pd.DataFrame(
        {
            "tier": ["blue"] * 6 + ["silver"] * 4 + ["gold"] * 2,
            "qualifying_spend_12m": [
                0,
                500,
                799.99,
                800,
                999,
                1200,
                1000,
                3999,
                4000,
                4990,
                6000,
                100,
            ],
        }
    )
    out = tier_proximity(members, tier_rules=RULES, within=0.2)
    assert list(out.index) == ["blue", "silver", "gold"]
    blue, silver, gold = out.loc["blue"], out.loc["silver"], out.loc["gold"]
    # blue -> silver at 1000: within 200 -> 800 and 999 (799.99 is not); 1200 already qualifies
    assert (blue["members"], blue["within_reach"], blue["already_qualifying"]) == (6, 2, 1)
    assert blue["share_within_reach"] == pytest.approx(2 / 6)
    assert blue["mean_gap_within_reach"] == pytest.approx((200 + 1) / 2)
    assert blue["mean_gap"] == pytest.approx((1000 + 500 + 200.01 + 200 + 1) / 5)
    # silver -> gold at 5000: within 1000 -> 4000 and 4990
    assert (silver["next_tier"], silver["within_reach"]) == ("gold", 2)
    assert silver["mean_gap_within_reach"] == pytest.approx((1000 + 10) / 2)
    assert pd.isna(gold["next_tier"]) and np.isnan(gold["next_threshold"])
    assert gold["members"] == 2 and gold["within_reach"] == 0


def test_proximity_names_the_row_of_an_unknown_tier_or_missing_spend():
    members = pd.DataFrame(
        {"tier": ["blue", "silver", "platinum"], "qualifying_spend_12m": [1.0, 2.0, 3.0]}
    )
    with pytest.raises(InputError, match="not in tier_rules") as err:
        tier_proximity(members, tier_rules=RULES)
    assert (err.value.column, err.value.row, err.value.value) == ("tier", 3, "platinum")
    assert "blue, silver, gold" in err.value.hint
    members = pd.DataFrame({"tier": ["blue", "silver", "gold"], "spend": [1.0, None, "12,000"]})
    with pytest.raises(InputError, match="no qualifying spend") as err:
        tier_proximity(members, tier_rules=RULES, spend_col="spend")
    assert (err.value.column, err.value.row) == ("spend", 2)
    members.loc[1, "spend"] = 5.0
    with pytest.raises(InputError, match="not a number") as err:
        tier_proximity(members, tier_rules=RULES, spend_col="spend")
    assert (err.value.row, err.value.value) == (3, "12,000")


def test_proximity_rejects_bad_rules_and_reach():
    members = pd.DataFrame({"tier": ["blue"], "qualifying_spend_12m": [1.0]})
    with pytest.raises(ValueError, match="same threshold"):
        tier_proximity(members, tier_rules={"blue": 0, "silver": 0})
    with pytest.raises(ValueError, match="within"):
        tier_proximity(members, tier_rules=RULES, within=0)
    with pytest.raises(ValueError, match="tier_rules"):
        tier_proximity(members, tier_rules={})
