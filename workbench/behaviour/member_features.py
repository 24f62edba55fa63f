"""Behavioural features per member, for segmenting members on what they do.

:func:`behavioural_features` turns checked transactions
(:func:`~workbench.behaviour.transactions.load_transactions`) into one row per
member: recency, frequency, monetary value, average order value, tenure,
purchase rate, the share of purchases per channel and the points activity. The
aggregation is written once in Ibis, like the rest of the transactions layer,
so it runs where the transactions are (DuckDB by default, or Spark); only the
per-member table comes back to pandas.

Segmenting on these columns is usually done on transformed values: spend and
frequency are strongly right-skewed (a few members buy a great deal), and a
Gaussian mixture or k-means fitted to raw amounts spends its segments on the
tail. ``log_skewed=True`` (the default) therefore adds ``log1p`` versions of
the count and amount columns and says which ones it made; the raw columns stay
in the table for describing the segments in their own units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from workbench.behaviour.transactions import Transactions, _purchases, _table, rfm_scores
from workbench.errors import InputError

__all__ = ["BEHAVIOURAL_FEATURES", "behavioural_features"]

#: Every feature :func:`behavioural_features` can compute, in the order of its table.
BEHAVIOURAL_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "aov",
    "tenure_days",
    "purchases_per_month",
    "channel_share",
    "points_earned",
    "points_redeemed",
    "redeemed_share",
)

#: Right-skewed features whose ``log1p`` is added when ``log_skewed`` is true.
_SKEWED = ("recency_days", "frequency", "monetary", "aov", "points_earned", "points_redeemed")
_DAYS_PER_MONTH = 365.25 / 12


def behavioural_features(
    tx: Transactions | Any,
    *,
    asof: Any = None,
    features: Sequence[str] | None = None,
    log_skewed: bool = True,
) -> pd.DataFrame:
    """Recency, frequency, spend, tenure, channel mix and points activity per member.

    Parameters
    ----------
    tx : Transactions or ibis.Table
        Checked transactions (standard columns; see
        :mod:`workbench.behaviour.transactions`). The members table of a
        :class:`Transactions` supplies ``join_date`` for the tenure when it has
        one.
    asof : date-like, optional
        The reference date: later transactions are ignored. Default: the last
        transaction date.
    features : sequence of str, optional
        Which of :data:`BEHAVIOURAL_FEATURES` to return (default: all those the
        data can give; asking for one the data cannot give is an error).
    log_skewed : bool, default True
        Add ``log_<feature>`` = ``log1p(feature)`` for the right-skewed count
        and amount features (recency, frequency, monetary, aov, points). A
        negative value (net spend after refunds) has no log: it stays NaN, and
        ``attrs["negative_before_log"]`` counts such members per column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``member_id`` (text), one row per member with a purchase up
        to ``asof``, sorted by id:

        - ``recency_days``, ``frequency``, ``monetary``, ``aov``: as
          :func:`~workbench.behaviour.transactions.rfm_scores` (net spend;
          gross spend per purchase);
        - ``tenure_days``: ``asof`` minus the join date (members file) or, without
          one, minus the first purchase;
        - ``purchases_per_month``: frequency over tenure in months (30.44
          days), with the tenure counted from the first purchase when that is
          later than the join date, and at least one month;
        - ``channel_share_<channel>``: the member's purchases in each channel
          over all purchases (only with a ``channel`` column; rows without a
          channel count as ``unknown``);
        - ``points_earned``, ``points_redeemed`` (sums), ``redeemed_share``
          (redeemed over earned; NaN for members who earned none) when the
          points columns are mapped.

        ``attrs["log_transformed"]`` lists the columns that got a ``log_``
        version and ``attrs["asof"]`` the reference date.

    Raises
    ------
    InputError
        An unknown feature name, or one the transactions cannot give (naming the
        column to map).

    Notes
    -----
    Tenure and purchase rate put members who joined at different times on one
    footing: without them, a segment of "low frequency" members is mostly a
    segment of recent joiners. Recency and frequency are the two inputs of the
    BG/NBD model (Fader, Hardie & Lee 2005); a segmentation on them describes
    the same behaviour the model predicts from.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Wedel, M., & Kamakura, W. A. (2000). *Market Segmentation: Conceptual and
    Methodological Foundations* (2nd ed.). Kluwer. (Ch. 2: bases for
    segmentation, observable behaviour among them.)

    Examples
    --------
    >>> from workbench.behaviour.transactions import load_transactions
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> features = behavioural_features(tx, log_skewed=False)
    >>> features["frequency"].to_dict()
    {'A': 4, 'B': 3, 'C': 1, 'D': 1}
    >>> features["recency_days"].to_dict()
    {'A': 0, 'B': 14, 'C': 91, 'D': 0}
    """
    t = _table(tx)
    have = set(t.columns)
    possible = [
        f
        for f in BEHAVIOURAL_FEATURES
        if not (f == "channel_share" and "channel" not in have)
        and not (
            f in ("points_earned", "points_redeemed", "redeemed_share")
            and not {"points_earned", "points_redeemed"} & have
        )
        and not (f == "redeemed_share" and not {"points_earned", "points_redeemed"} <= have)
    ]
    if features is None:
        wanted = possible
    else:
        wanted = list(features)
        for f in wanted:
            if f not in BEHAVIOURAL_FEATURES:
                raise InputError(
                    f"Unknown behavioural feature {f!r}.",
                    column="features",
                    hint=f"Choose from {', '.join(BEHAVIOURAL_FEATURES)}.",
                )
            if f not in possible:
                need = "channel" if f == "channel_share" else "points_earned/points_redeemed"
                raise InputError(
                    f"The behavioural feature {f!r} needs the transactions' {need} column(s), "
                    "which are not mapped.",
                    column="features",
                    hint=f"Map the column(s) when loading the transactions, or drop {f!r}.",
                )
    rfm = rfm_scores(t, asof=asof).set_index("member_id")
    asof_date = (
        pd.Timestamp(t.aggregate(d=t.date.max()).to_pandas()["d"].iloc[0])
        if asof is None
        else pd.Timestamp(asof)
    ).normalize()
    out = pd.DataFrame(index=rfm.index)
    out.index.name = "member_id"
    for f in ("recency_days", "frequency", "monetary", "aov"):
        out[f] = rfm[f]

    first = pd.to_datetime(rfm["first_purchase"])
    start = first
    members = tx.members if isinstance(tx, Transactions) else None
    if members is not None and "join_date" in members.columns:
        joins = members.select("member_id", "join_date").to_pandas()
        joins["member_id"] = joins["member_id"].astype(str)
        join = pd.to_datetime(joins.set_index("member_id")["join_date"]).reindex(out.index)
        start = join.where(join.notna() & (join <= first), first)
    out["tenure_days"] = (asof_date - start).dt.days.astype("int64")
    active_days = (asof_date - first).dt.days.clip(lower=_DAYS_PER_MONTH)
    out["purchases_per_month"] = out["frequency"] / (active_days / _DAYS_PER_MONTH)

    within = t.filter(t.date <= ibis.literal(asof_date.date()))
    if "channel_share" in wanted:
        buys = within.filter(within.amount >= 0)
        buys = buys.mutate(channel=buys.channel.fill_null("unknown"))
        counts = buys.group_by(["member_id", "channel"]).aggregate(n=_purchases(buys)).to_pandas()
        shares = counts.pivot_table(
            index="member_id", columns="channel", values="n", aggfunc="sum", fill_value=0
        )
        shares = shares.div(shares.sum(axis=1), axis=0)
        shares.columns = [f"channel_share_{c}" for c in shares.columns]
        shares.index = shares.index.astype(str)
        out = out.join(shares.reindex(out.index).fillna(0.0))
    points = [c for c in ("points_earned", "points_redeemed") if c in have]
    if points:
        sums = (
            within.group_by("member_id")
            .aggregate(**{c: within[c].sum() for c in points})
            .to_pandas()
        )
        sums["member_id"] = sums["member_id"].astype(str)
        sums = sums.set_index("member_id").reindex(out.index).fillna(0.0)
        for c in points:
            out[c] = sums[c].astype(float)
        if {"points_earned", "points_redeemed"} <= set(points):
            earned = out["points_earned"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                out["redeemed_share"] = np.where(
                    earned > 0, out["points_redeemed"].to_numpy() / earned, np.nan
                )

    keep = [
        c
        for c in out.columns
        if c in wanted or (c.startswith("channel_share_") and "channel_share" in wanted)
    ]
    out = out[keep].sort_index()
    logged = [f for f in _SKEWED if f in out.columns] if log_skewed else []
    below_zero: dict[str, int] = {}
    for f in logged:
        # recency and counts are >= 0, but refunds can make net spend negative: such a
        # member's log value is NaN (counted), never a clipped number
        values = out[f].astype(float)
        below_zero[f] = int((values < 0).sum())
        out[f"log_{f}"] = np.log1p(values.where(values >= 0))
    out.attrs["log_transformed"] = logged
    out.attrs["negative_before_log"] = {f: n for f, n in below_zero.items() if n}
    out.attrs["asof"] = str(asof_date.date())
    return out
