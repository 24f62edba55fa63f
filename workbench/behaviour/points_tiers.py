"""Points by tier: earn, burn and liability per tier, and members within reach of the next tier.

- :func:`tier_points`: issued, redeemed, expired and outstanding points per tier,
  their face value, earn and burn per member, share with a redeemable balance
  (from :func:`~workbench.behaviour.points.ledger_kpis` with ``tiers=``).
- :func:`tier_proximity`: per current tier, how many members are within a given
  share of the next tier's qualifying spend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.behaviour.points import PointsLedger, _as_ledger, ledger_kpis
from workbench.errors import InputError
from workbench.intake.data import ids_as_text

__all__ = ["tier_points", "tier_proximity"]

#: the row of members in the ledger but not in the members table
NO_TIER = "(none)"


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    ok = (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        raise ValueError(
            f"{name}={value!r} is not valid: use a {'non-negative' if allow_zero else 'positive'} "
            "number"
        )
    return float(value)


def _column(frame: pd.DataFrame, col: str, what: str, name: str) -> pd.Series:
    if col not in frame.columns:
        raise InputError(
            f"The {what} column {col!r} is not in the members table.",
            file="<members>",
            column=col,
            hint=f"Pass {name}= with one of: " + ", ".join(map(str, frame.columns)),
        )
    return frame[col]


def _missing(series: pd.Series, col: str, what: str, hint: str) -> None:
    bad = series.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"A member has no {what} ({int(bad.sum())} row(s) in all).",
            file="<members>",
            column=col,
            row=i + 1,
            hint=hint,
        )


def tier_points(
    ledger: PointsLedger | pd.DataFrame,
    members: pd.DataFrame,
    *,
    point_value: float,
    tier_col: str = "tier",
    member_col: str = "member_id",
    reward_threshold: float | None = None,
) -> pd.DataFrame:
    """Earn, burn and outstanding points (and their face value) per tier.

    Parameters
    ----------
    ledger : PointsLedger or pandas.DataFrame
        The points ledger (checked by :func:`~workbench.behaviour.points.validate_ledger`
        when a frame).
    members : pandas.DataFrame
        One row per member: ``member_col`` and ``tier_col`` (the current tier).
    point_value : float, keyword-only
        Currency per point (> 0).
    tier_col, member_col : str, keyword-only
    reward_threshold : float, optional, keyword-only
        Points needed for a reward; adds ``redeemable_members`` and ``share_redeemable``.

    Returns
    -------
    pandas.DataFrame
        One row per tier (sorted), then ``(none)`` for ledger members missing
        from ``members`` (when there are any) and ``total``; index ``tier``:

        - ``members``: members of the tier in ``members`` (for ``(none)``:
          ledger members without a tier); ``members_with_points``: of them,
          members with a ledger row;
        - ``issued``, ``redeemed``, ``expired`` (points, >= 0), ``adjusted``
          (net), over the whole ledger; ``outstanding``: the sum of the
          balances at the last ledger date;
        - ``liability_face_value`` = outstanding x ``point_value``: the face
          value before breakage (not the IFRS 15 contract liability, which
          allocates revenue and allows for the points never redeemed: see
          :mod:`workbench.behaviour.liability`);
        - ``issued_per_member``, ``redeemed_per_member``, ``expired_per_member``
          (per member of the tier), ``burn_rate`` = redeemed / issued;
        - with ``reward_threshold``: ``redeemable_members`` (balance >= the
          threshold at the last date) and ``share_redeemable`` (of ``members``).

    Raises
    ------
    InputError
        A missing member or tier column, a member without a tier, a member
        listed twice (naming the first row).
    ValueError
        ``point_value`` or ``reward_threshold`` not positive.

    Notes
    -----
    Tiers are the members' current tiers, applied to their whole history
    (a static mapping, ``ledger_kpis(tiers=...)``); for points by the tier
    held at the time, pass a tier history to
    :func:`~workbench.behaviour.points.ledger_kpis` directly.

    Examples
    --------
    >>> led = pd.DataFrame({"member_id": ["a", "a", "b", "c"],
    ...     "date": ["2024-01-05", "2024-03-01", "2024-02-03", "2024-02-04"],
    ...     "type": ["earn", "redeem", "earn", "earn"], "points": [300, 200, 80, 50]})
    >>> mem = pd.DataFrame({"member_id": ["a", "b", "c", "d"],
    ...     "tier": ["gold", "silver", "silver", "silver"]})
    >>> tp = tier_points(led, mem, point_value=0.01)
    >>> tp[["members", "issued", "redeemed", "outstanding", "liability_face_value"]]
    ... # doctest: +NORMALIZE_WHITESPACE
            members  issued  redeemed  outstanding  liability_face_value
    tier
    gold          1   300.0     200.0        100.0                   1.0
    silver        3   130.0       0.0        130.0                   1.3
    total         4   430.0     200.0        230.0                   2.3
    """
    value = _positive("point_value", point_value)
    threshold = (
        None if reward_threshold is None else _positive("reward_threshold", reward_threshold)
    )
    if not isinstance(members, pd.DataFrame):
        raise InputError(
            "members must be a DataFrame with a member id and a tier column",
            hint=f"e.g. members[[{member_col!r}, {tier_col!r}]]",
        )
    ids = _column(members, member_col, "member id", "member_col")
    tiers = _column(members, tier_col, "tier", "tier_col")
    _missing(ids, member_col, "member id", "Fill in or remove the rows without a member id.")
    _missing(tiers, tier_col, "tier", "Give every member a tier (e.g. the entry tier).")
    id_text = ids_as_text(ids).astype(str)
    dup = id_text.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(
            "A member is listed twice in the members table.",
            file="<members>",
            column=member_col,
            row=i + 1,
            value=str(id_text.iloc[i]),
            hint="Give one row per member with the current tier.",
        )
    frame = pd.DataFrame({"member_id": id_text.to_numpy(), "tier": tiers.astype(str).to_numpy()})
    led = _as_ledger(ledger)
    kpis = ledger_kpis(led, period="year", tiers=frame, reward_threshold=threshold)
    flows = kpis.groupby("tier")[["issued", "redeemed", "expired", "adjusted"]].sum()
    last = kpis[kpis["period"] == kpis["period"].max()].set_index("tier")
    out = flows.copy()
    out["outstanding"] = last["outstanding"].reindex(out.index).fillna(0.0)
    out["members_with_points"] = last["members"].reindex(out.index).fillna(0).astype("int64")
    if threshold is not None:
        out["redeemable_members"] = (
            last["redeemable_members"].reindex(out.index).fillna(0).astype("int64")
        )
    counts = frame["tier"].value_counts()
    order = sorted(set(counts.index))
    out = out.reindex([*order, *([NO_TIER] if NO_TIER in out.index else [])])
    for col in ("issued", "redeemed", "expired", "adjusted", "outstanding"):
        out[col] = out[col].fillna(0.0)
    for col in ("members_with_points", *(["redeemable_members"] if threshold else [])):
        out[col] = out[col].fillna(0).astype("int64")
    out["members"] = counts.reindex(out.index).fillna(0).astype("int64")
    if NO_TIER in out.index and NO_TIER not in counts.index:
        out.loc[NO_TIER, "members"] = out.loc[NO_TIER, "members_with_points"]
    total = out.sum(numeric_only=True)
    out.loc["total"] = total
    out.index.name = "tier"
    out["liability_face_value"] = out["outstanding"] * value
    with np.errstate(invalid="ignore", divide="ignore"):
        m = out["members"].where(out["members"] > 0)
        out["issued_per_member"] = out["issued"] / m
        out["redeemed_per_member"] = out["redeemed"] / m
        out["expired_per_member"] = out["expired"] / m
        out["burn_rate"] = out["redeemed"] / out["issued"].where(out["issued"] > 0)
        if threshold is not None:
            out["share_redeemable"] = out["redeemable_members"] / m
    cols = [
        "members",
        "members_with_points",
        "issued",
        "redeemed",
        "expired",
        "adjusted",
        "outstanding",
        "liability_face_value",
        "issued_per_member",
        "redeemed_per_member",
        "expired_per_member",
        "burn_rate",
        *(["redeemable_members", "share_redeemable"] if threshold is not None else []),
    ]
    out = out[cols]
    for col in ("members", "members_with_points", *(["redeemable_members"] if threshold else [])):
        out[col] = out[col].astype("int64")
    return out


def tier_proximity(
    members: pd.DataFrame,
    *,
    tier_rules: Mapping[str, float],
    spend_col: str = "qualifying_spend_12m",
    tier_col: str = "tier",
    within: float = 0.2,
) -> pd.DataFrame:
    """Members within reach of the next tier, per current tier.

    Parameters
    ----------
    members : pandas.DataFrame
        One row per member with the current tier and the qualifying spend.
    tier_rules : mapping, keyword-only
        Tier -> qualifying spend threshold; tiers are ordered by threshold
        (the lowest is the entry tier, often 0).
    spend_col, tier_col : str, keyword-only
    within : float, keyword-only
        Reach, as a share of the next tier's threshold (0 < within <= 1):
        a member is within reach when ``0 < next_threshold - spend <= within
        * next_threshold``.

    Returns
    -------
    pandas.DataFrame
        One row per tier in threshold order, index ``tier``: ``threshold``,
        ``members``, ``next_tier``, ``next_threshold`` (missing for the top
        tier), ``within_reach`` (members), ``share_within_reach`` (of
        ``members``), ``mean_gap_within_reach`` (mean spend still needed, among
        those within reach), ``mean_gap`` (among all members below the next
        threshold), ``already_qualifying`` (spend at or above the next
        threshold: an upgrade pending or a rule not applied).

    Raises
    ------
    InputError
        A missing column; a tier not in ``tier_rules``; a missing or
        non-numeric spend (each naming the column and first 1-based row).
    ValueError
        Empty ``tier_rules``, a threshold that is not a non-negative number,
        two tiers with the same threshold, ``within`` outside (0, 1].

    Notes
    -----
    A member of tier :math:`t` whose next tier needs qualifying spend :math:`q_{t+1}` is
    *within reach* when :math:`(1 - w)\\,q_{t+1} \\le s < q_{t+1}` for spend :math:`s` and
    ``within`` :math:`= w`: the members a "you are close to gold" message would target
    (the goal-gradient logic of Kivetz, Urminsky & Zheng 2006 applied to tiers).

    References
    ----------
    Kivetz, R., Urminsky, O., & Zheng, Y. (2006). The goal-gradient hypothesis
    resurrected: Purchase acceleration, illusionary goal progress, and customer retention.
    *Journal of Marketing Research*, 43(1), 39-58.

    Examples
    --------
    >>> mem = pd.DataFrame({"tier": ["blue", "blue", "blue", "silver", "gold"],
    ...     "qualifying_spend_12m": [100.0, 850.0, 990.0, 4200.0, 9000.0]})
    >>> tp = tier_proximity(mem, tier_rules={"blue": 0, "silver": 1000, "gold": 5000})
    >>> tp[["members", "next_tier", "within_reach", "mean_gap_within_reach"]]
    ... # doctest: +NORMALIZE_WHITESPACE
            members next_tier  within_reach  mean_gap_within_reach
    tier
    blue          3    silver             2                   80.0
    silver        1      gold             1                  800.0
    gold          1       NaN             0                    NaN
    """
    if not isinstance(tier_rules, Mapping) or not tier_rules:
        raise ValueError("tier_rules must be a non-empty mapping tier -> qualifying spend")
    rules = {
        str(t): _positive(f"tier_rules[{t!r}]", v, allow_zero=True) for t, v in tier_rules.items()
    }
    if len(set(rules.values())) < len(rules):
        raise ValueError("tier_rules has two tiers with the same threshold; give distinct ones")
    w = float(within) if isinstance(within, (int, float)) and not isinstance(within, bool) else -1
    if not 0 < w <= 1:
        raise ValueError(f"within={within!r} is not valid: use a share in (0, 1], e.g. 0.2")
    if not isinstance(members, pd.DataFrame):
        raise InputError(
            "members must be a DataFrame with a tier and a qualifying spend column",
            hint=f"e.g. members[[{tier_col!r}, {spend_col!r}]]",
        )
    order = sorted(rules, key=rules.__getitem__)
    tiers = _column(members, tier_col, "tier", "tier_col")
    _missing(tiers, tier_col, "tier", "Give every member a tier (e.g. the entry tier).")
    tier = tiers.astype(str).str.strip()
    unknown = ~tier.isin(order).to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputError(
            f"A member's tier is not in tier_rules ({int(unknown.sum())} row(s) in all).",
            file="<members>",
            column=tier_col,
            row=i + 1,
            value=str(tiers.iloc[i]),
            hint="Known tiers: " + ", ".join(order) + ". Add the tier to tier_rules or "
            "correct the member's tier.",
        )
    raw = _column(members, spend_col, "qualifying spend", "spend_col")
    _missing(
        raw, spend_col, "qualifying spend", "Fill in the spend (0 for none) or remove the row."
    )
    spend = pd.to_numeric(raw, errors="coerce")
    bad = spend.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            "A qualifying spend is not a number.",
            file="<members>",
            column=spend_col,
            row=i + 1,
            value=str(raw.iloc[i]),
            hint="Write spend as a plain number (no currency symbols or thousands separators).",
        )
    s = spend.to_numpy(dtype=float)
    t = tier.to_numpy()
    rows = []
    for j, name in enumerate(order):
        sel = t == name
        n = int(sel.sum())
        if j + 1 < len(order):
            nxt = order[j + 1]
            thr = rules[nxt]
            gap = thr - s[sel]
            below = gap > 0
            reach = below & (gap <= w * thr)
            rows.append(
                {
                    "tier": name,
                    "threshold": rules[name],
                    "members": n,
                    "next_tier": nxt,
                    "next_threshold": thr,
                    "within_reach": int(reach.sum()),
                    "share_within_reach": reach.sum() / n if n else np.nan,
                    "mean_gap_within_reach": float(gap[reach].mean()) if reach.any() else np.nan,
                    "mean_gap": float(gap[below].mean()) if below.any() else np.nan,
                    "already_qualifying": int((~below).sum()),
                }
            )
        else:
            rows.append(
                {
                    "tier": name,
                    "threshold": rules[name],
                    "members": n,
                    "next_tier": None,
                    "next_threshold": np.nan,
                    "within_reach": 0,
                    "share_within_reach": np.nan,
                    "mean_gap_within_reach": np.nan,
                    "mean_gap": np.nan,
                    "already_qualifying": 0,
                }
            )
    return pd.DataFrame(rows).set_index("tier")
