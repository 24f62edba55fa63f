"""A points programme with a known breakage and a known goal-gradient effect (issue 19).

Part of :mod:`workbench.simulate` (see its docstring for what each generator draws).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from workbench.results import jsonable
from workbench.simulate.survey import GENDER_PROBS, GENDERS

#: File names written by :func:`write_default_points`.
POINTS_FILES = {
    "transactions": "points_transactions.csv",
    "ledger": "points_ledger.csv",
    "members": "points_members.csv",
    "truth": "points_programme.truth.json",
}
#: Tiers of the points programme, their probabilities (fixed over the period) and earn rates
#: (points per currency unit spent; points earned = floor(amount * rate)).
POINTS_TIERS = ("basic", "silver", "gold", "platinum")
POINTS_TIER_PROBS = (0.5, 0.3, 0.15, 0.05)
TIER_EARN_RATE = {"basic": 1.0, "silver": 1.25, "gold": 1.5, "platinum": 2.0}
#: Mean spend per purchase is SPEND_MEAN * the tier's multiplier; amount ~ Gamma(SPEND_SHAPE).
TIER_SPEND_MULTIPLIER = {"basic": 1.0, "silver": 1.1, "gold": 1.2, "platinum": 1.3}
SPEND_MEAN = 40.0
SPEND_SHAPE = 3.0
#: Base mean inter-purchase time mu_i ~ Gamma(shape, scale = mean / shape), in days.
GAP_MEAN_DAYS = 21.0
GAP_SHAPE = 4.0
#: Goal gradient: the gap after a purchase has mean mu_i * exp(GOAL_GRADIENT_BETA * progress).
GOAL_GRADIENT_BETA = -0.5
#: Share of members who redeem at all, and the chance they redeem at a purchase that leaves
#: them with a redeemable balance.
REDEEMER_SHARE = 0.65
REDEEM_PROB = 0.7
#: After each purchase a member stops buying for good with this probability.
CHURN_PER_PURCHASE = {"redeemer": 0.02, "non_redeemer": 0.05}
POINT_VALUE = 0.01  # currency per point (a 500-point reward is worth 5.00)
LEGACY_SHARE = 0.3  # members who joined up to LEGACY_YEARS before `start`
LEGACY_YEARS = 2
HORIZON_MARGIN_DAYS = 31  # simulated past end + expiry_months by this many days
N_POINTS_MEMBERS_DEFAULT = 2000


@dataclasses.dataclass(frozen=True)
class SimulatedPoints:
    """A simulated points programme: purchases, points ledger, members and the truth.

    Attributes
    ----------
    transactions : pandas.DataFrame
        One row per purchase, sorted by date and member: ``order_id``
        (``PT0000001``...), ``member_id``, ``date`` (datetime64), ``amount``
        (currency, 2 decimals), ``points_earned`` (floor(amount x tier earn
        rate)) and ``points_redeemed`` (0, or ``reward_threshold`` when the
        member redeemed a reward at that purchase): the points columns of
        ``data/loyalty_transactions.csv``.
    ledger : pandas.DataFrame
        ``member_id``, ``date``, ``type`` (``earn``, ``redeem``, ``expire``) and
        ``points`` (magnitudes > 0), sorted by date, member and type (expire,
        earn, redeem within a member's day); earn rows only for purchases that
        earned at least one point.
    members : pandas.DataFrame
        ``member_id`` (``M00001``...), ``join_date``, ``tier``, ``age``,
        ``gender`` and ``qualifying_spend_12m`` (spend in the 365 days up to and
        including ``end``).
    member_params : pandas.DataFrame
        The latent draws per member (not written to the files): ``member_id``,
        ``mu_days`` (base mean gap), ``redeemer`` (bool), ``first_purchase``
        (date, NaT if after the horizon), ``churn_date`` (the date of the
        purchase after which the member stopped, NaT if still buying at the
        horizon).
    truth : dict
        Every parameter and the true ultimate redemption rate and breakage
        (JSON-ready; see :func:`simulate_points_programme`).
    seed : int
        The seed that produced the records.
    """

    transactions: pd.DataFrame
    ledger: pd.DataFrame
    members: pd.DataFrame
    member_params: pd.DataFrame
    truth: dict[str, Any]
    seed: int


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _overlap(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Length of the overlap of intervals ``[lo, hi)`` and ``[a, b)`` (broadcast)."""
    return np.maximum(0, np.minimum(hi, b) - np.maximum(lo, a))


def _log_whole_days_series(mean: np.ndarray) -> np.ndarray:
    """E[log ceil(X)] for X ~ Exponential(mean), by its series (see the caller)."""
    out = np.empty(len(mean))
    for lo in range(0, len(mean), 256):
        m = mean[lo : lo + 256]
        k = np.arange(1, int(np.ceil(32 * m.max())) + 51, dtype=float)
        c = np.log1p(1 / k) - 1 / k
        out[lo : lo + 256] = -np.log(-np.expm1(-1 / m)) + np.exp(-k[None, :] / m[:, None]) @ c
    return out


def _expected_log_whole_days(mean: np.ndarray) -> np.ndarray:
    """E[log ceil(X)] for X ~ Exponential(mean), elementwise.

    With :math:`a = e^{-1/m}`, :math:`P(\\lceil X \\rceil = k) = a^{k-1}(1 - a)`, so
    :math:`E \\log \\lceil X \\rceil = \\sum_{k \\ge 1} \\log(1 + 1/k)\\, a^k
    = -\\log(1 - a) + \\sum_{k \\ge 1} (\\log(1 + 1/k) - 1/k)\\, a^k`, the last sum
    cut where :math:`a^k < e^{-32}`. It is summed on 1,025 points evenly spaced in
    :math:`\\log m` over the range of ``mean`` and read off a cubic spline in
    :math:`\\log m` (error below 1e-9 against the series at every mean).
    """
    m = np.asarray(mean, dtype=float)
    if m.size == 0:
        return m.copy()
    lo, hi = float(np.log(m.min())), float(np.log(m.max()))
    if hi - lo < 1e-6:
        return _log_whole_days_series(m.ravel()).reshape(m.shape)
    grid = np.linspace(lo, hi, 1025)
    spline = CubicSpline(grid, _log_whole_days_series(np.exp(grid)))
    return np.asarray(spline(np.log(m)), dtype=float)


def simulate_points_programme(
    n_members: int = N_POINTS_MEMBERS_DEFAULT,
    *,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    reward_threshold: int = 500,
    expiry_months: int = 12,
    seed: int = 2026,
    goal_gradient: float = GOAL_GRADIENT_BETA,
    redeemer_share: float = REDEEMER_SHARE,
    redeem_prob: float = REDEEM_PROB,
    point_value: float = POINT_VALUE,
    keep_after_end: bool = False,
) -> SimulatedPoints:
    """Simulate a points programme: purchases, earning by tier, redemption, FIFO expiry, churn.

    Parameters
    ----------
    n_members : int, default 2000
        Members (ids ``M00001``...).
    start, end : str, keyword-only
        The period of the files (ISO dates, ``end`` inclusive). The points
        ledger begins on ``start`` with every balance at zero (the points
        programme's launch).
    reward_threshold : int, default 500
        Points a reward costs (the goal of the goal gradient).
    expiry_months : int, default 12
        Points expire this many calendar months after the day they were earned.
    seed : int, default 2026
        Seed of ``numpy.random.default_rng([seed, 19])``.
    goal_gradient : float, default -0.5
        beta, in log days per unit of progress (see Notes); 0 switches it off.
    redeemer_share, redeem_prob : float, default 0.65 and 0.7
        pi, the share of members who ever redeem, and q, the chance a redeemer
        redeems at a purchase that leaves a redeemable balance.
    point_value : float, default 0.01
        Currency per point, for the IFRS 15 inputs of the truth.
    keep_after_end : bool, default False
        Keep the simulated rows after ``end`` (up to the horizon, ``end`` +
        ``expiry_months`` + 31 days) in ``transactions`` and ``ledger``: every
        point issued by ``end`` is then redeemed or expired in the frames,
        which lets a test trace the truth with an independent FIFO.

    Returns
    -------
    SimulatedPoints

    Raises
    ------
    ValueError
        A non-integer ``n_members``, ``seed``, ``reward_threshold`` or
        ``expiry_months`` (or one below 1), ``end`` not after ``start``, or a
        share or probability outside [0, 1].

    Notes
    -----
    Members: tier basic/silver/gold/platinum with probabilities
    0.5/0.3/0.15/0.05, fixed over the period; 30% joined uniformly in the two
    years before ``start`` (their first purchase of the period is on day
    :math:`\\lceil X \\rceil` counting ``start`` as day 1,
    :math:`X \\sim \\text{Exponential}(\\text{mean } \\mu_i)`), the others on a uniform day
    from ``start`` to ``end`` (first purchase on the join date); age
    round(clip(N(41, 13), 18, 80)), gender as the survey's.

    Purchases: :math:`\\mu_i \\sim \\text{Gamma}(4, \\text{scale } 21/4)` days
    (mean 21). After purchase :math:`j` the member waits
    :math:`\\lceil X_j \\rceil` days (at least 1: one purchase per member and
    day) with

    .. math:: X_j \\sim \\text{Exponential}\\left(\\text{mean } \\mu_i
              e^{\\beta p_j}\\right), \\qquad
              p_j = \\min(B_j, T) / T,

    :math:`B_j` the balance at the end of the purchase's day (earned minus
    redeemed minus expired up to and including that day), :math:`T` the
    reward threshold and :math:`\\beta` = ``goal_gradient``: the goal-gradient
    effect of Kivetz, Urminsky & Zheng (2006), members buy sooner as they near
    a reward (:math:`\\beta < 0`), and start over after redeeming. A
    within-member regression of log gap days on :math:`p_j` estimates
    :math:`\\beta` (exactly, for the continuous :math:`X_j`, since
    :math:`E \\log X_j = \\log \\mu_i + \\beta p_j - \\gamma_E`).

    Spend: amount ~ Gamma(shape 3, mean 40 x tier multiplier 1.0/1.1/1.2/1.3),
    in cents (at least 0.01); points earned = floor(amount x earn rate), the
    earn rates 1.0/1.25/1.5/2.0 points per currency unit.

    Redemption: a member is a redeemer with probability pi (independently of
    everything else). At each purchase after which the balance is at least
    :math:`T`, a redeemer redeems exactly :math:`T` points with probability
    q (else maybe at a later purchase); non-redeemers never redeem.

    Expiry: points expire ``expiry_months`` after the day they were earned;
    redemptions and expiries use the oldest points first (FIFO), and on a day
    with an expiry it is taken first (before that day's earning and
    redemption), as :func:`workbench.behaviour.breakage.redemption_triangle`
    allocates. An ``expire`` row holds the points of the expiring earnings not
    yet used.

    Churn: after each purchase a member stops buying for good with probability
    0.02 (redeemers) or 0.05 (non-redeemers), so redeemers churn less.

    Truth: the process runs to ``end`` + ``expiry_months`` + 31 days, when
    every point issued by ``end`` has been redeemed or has expired. The
    ultimate redemption rate of the points issued in [start, end] is the
    share of them that FIFO assigns to redemptions (also per issuance
    quarter), and breakage = 1 - that rate.

    References
    ----------
    Kivetz, R., Urminsky, O., & Zheng, Y. (2006). The goal-gradient
    hypothesis resurrected: Purchase acceleration, illusionary goal progress,
    and customer retention. *Journal of Marketing Research*, 43(1), 39-58.

    IFRS 15 *Revenue from Contracts with Customers*, B39-B43 and Illustrative
    Example 52 (the truth's ``ifrs15`` block).

    Examples
    --------
    >>> from workbench.simulate import simulate_points_programme
    >>> sim = simulate_points_programme(200, seed=1)
    >>> sorted(sim.ledger["type"].unique())
    ['earn', 'expire', 'redeem']
    >>> sim.truth["goal_gradient"]["beta"]
    -0.5
    """
    n = _check_int("n_members", n_members, 1)
    seed = _check_int("seed", seed, 0)
    threshold = _check_int("reward_threshold", reward_threshold, 1)
    expiry = _check_int("expiry_months", expiry_months, 1)
    for name, value in (("redeemer_share", redeemer_share), ("redeem_prob", redeem_prob)):
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    if not (math.isfinite(float(goal_gradient)) and float(point_value) > 0):
        raise ValueError("goal_gradient must be finite and point_value positive")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end_ts <= start_ts:
        raise ValueError(f"end ({end}) must be after start ({start})")
    rng = np.random.default_rng([seed, 19])
    horizon = end_ts + pd.DateOffset(months=expiry) + pd.Timedelta(days=HORIZON_MARGIN_DAYS)
    days = pd.date_range(start_ts, horizon, freq="D")
    n_days = len(days)
    n_period = (end_ts - start_ts).days + 1

    # --- members ---------------------------------------------------------------------------
    tier_code = rng.choice(len(POINTS_TIERS), size=n, p=POINTS_TIER_PROBS)
    tier = np.asarray(POINTS_TIERS)[tier_code]
    rate = np.array([TIER_EARN_RATE[t] for t in POINTS_TIERS])[tier_code]
    spend_mean = SPEND_MEAN * np.array([TIER_SPEND_MULTIPLIER[t] for t in POINTS_TIERS])[tier_code]
    age = np.clip(np.round(rng.normal(41.0, 13.0, size=n)), 18, 80).astype(int)
    gender = np.asarray(GENDERS)[rng.choice(len(GENDERS), size=n, p=GENDER_PROBS)]
    legacy = rng.random(n) < LEGACY_SHARE
    legacy_days = (start_ts - (start_ts - pd.DateOffset(years=LEGACY_YEARS))).days
    join_off = np.where(
        legacy, -rng.integers(1, legacy_days + 1, size=n), rng.integers(0, n_period, size=n)
    )
    mu = rng.gamma(GAP_SHAPE, GAP_MEAN_DAYS / GAP_SHAPE, size=n)
    redeemer = rng.random(n) < redeemer_share
    churn_p = np.where(redeemer, CHURN_PER_PURCHASE["redeemer"], CHURN_PER_PURCHASE["non_redeemer"])
    wait = np.ceil(rng.exponential(mu)).astype(np.int64)
    never = np.iinfo(np.int64).max
    next_day = np.where(legacy, wait - 1, join_off)  # a legacy member's first day is >= 0
    next_day = np.where(next_day < n_days, next_day, never)
    first_day = next_day.copy()
    churn_day = np.full(n, -1, dtype=np.int64)

    # --- expiry calendar: on day d the earnings of days <= last_expired[d] have expired -------
    expires_on = np.asarray((days + pd.DateOffset(months=expiry) - start_ts).days, dtype=np.int64)
    last_expired = np.searchsorted(expires_on, np.arange(n_days), side="right") - 1

    # --- the day loop (vectorised over members) ---------------------------------------------
    balance = np.zeros(n, dtype=np.int64)
    cum_out = np.zeros(n, dtype=np.int64)  # points redeemed or expired so far
    cum_earned = np.zeros(n, dtype=np.int64)
    earned_by_day = np.zeros((n_days, n), dtype=np.int32)  # cumulative earned at each day's end
    # events: purchases (member, day, amount, earned, redeemed, points out before), expiries
    p_member, p_day, p_amount, p_earned, p_redeemed, p_out = [], [], [], [], [], []
    p_progress: list[np.ndarray] = []
    e_member, e_day, e_points, e_out = [], [], [], []
    for d in range(n_days):
        # expiry first: the points of earnings up to last_expired[d] not yet used (FIFO)
        le = last_expired[d]
        if le >= 0 and (d == 0 or le != last_expired[d - 1]):
            due = earned_by_day[le].astype(np.int64) - cum_out
            who = np.flatnonzero(due > 0)
            if len(who):
                e_member.append(who)
                e_day.append(np.full(len(who), d))
                e_points.append(due[who])
                e_out.append(cum_out[who].copy())
                balance[who] -= due[who]
                cum_out[who] += due[who]
        who = np.flatnonzero(next_day == d)
        if len(who):
            k = len(who)
            amount = rng.gamma(SPEND_SHAPE, spend_mean[who] / SPEND_SHAPE)
            amount = np.maximum(np.round(amount, 2), 0.01)
            earned = np.floor(amount * rate[who] + 1e-9).astype(np.int64)
            balance[who] += earned
            cum_earned[who] += earned
            redeem = redeemer[who] & (balance[who] >= threshold) & (rng.random(k) < redeem_prob)
            p_out.append(cum_out[who].copy())
            balance[who[redeem]] -= threshold
            cum_out[who[redeem]] += threshold
            p_member.append(who)
            p_day.append(np.full(k, d))
            p_amount.append(amount)
            p_earned.append(earned)
            p_redeemed.append(np.where(redeem, threshold, 0))
            progress = np.minimum(balance[who], threshold) / threshold
            p_progress.append(progress)
            churn = rng.random(k) < churn_p[who]
            gap = np.ceil(rng.exponential(mu[who] * np.exp(goal_gradient * progress)))
            churn_day[who[churn]] = d
            next_day[who] = np.where(churn, never, d + np.maximum(gap, 1).astype(np.int64))
        earned_by_day[d] = cum_earned

    # --- events to frames ----------------------------------------------------------------
    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    pm, pd_, pa = cat(p_member, np.int64), cat(p_day, np.int64), cat(p_amount, float)
    pe, pr, po = cat(p_earned, np.int64), cat(p_redeemed, np.int64), cat(p_out, np.int64)
    em, ed, ep, eo = (
        cat(e_member, np.int64),
        cat(e_day, np.int64),
        cat(e_points, np.int64),
        cat(e_out, np.int64),
    )
    pp = cat(p_progress, float)
    ids = np.array([f"M{i:05d}" for i in range(1, n + 1)])
    end_day = n_period - 1

    # --- truth: FIFO of the points issued in [start, end] --------------------------------
    quarters = pd.period_range(start_ts, end_ts, freq="Q")
    q_last = np.array(
        [(min(q.end_time.normalize(), end_ts) - start_ts).days for q in quarters], dtype=np.int64
    )
    bounds = np.vstack([np.zeros(n, dtype=np.int64), earned_by_day[q_last].astype(np.int64)])
    red = pr > 0
    r_lo = po[red]
    r_hi = r_lo + pr[red]
    lo_b, hi_b = bounds[:-1][:, pm[red]], bounds[1:][:, pm[red]]
    redeemed_q = _overlap(r_lo[None, :], r_hi[None, :], lo_b, hi_b).sum(axis=1)
    expired_q = _overlap(
        eo[None, :], (eo + ep)[None, :], bounds[:-1][:, em], bounds[1:][:, em]
    ).sum(axis=1)
    issued_q = (bounds[1:] - bounds[:-1]).sum(axis=1)
    if not np.array_equal(redeemed_q + expired_q, issued_q):  # pragma: no cover - invariant
        raise RuntimeError("simulate_points_programme: FIFO truth does not balance")
    issued = int(issued_q.sum())
    urr = float(redeemed_q.sum() / issued) if issued else float("nan")

    # --- files: rows up to `end` (or all) --------------------------------------------------
    keep_p = np.ones(len(pm), bool) if keep_after_end else pd_ <= end_day
    keep_e = np.ones(len(em), bool) if keep_after_end else ed <= end_day
    order = np.lexsort((pm[keep_p], pd_[keep_p]))
    tm, td = pm[keep_p][order], pd_[keep_p][order]
    ta, te, tr = pa[keep_p][order], pe[keep_p][order], pr[keep_p][order]
    transactions = pd.DataFrame(
        {
            "order_id": [f"PT{i:07d}" for i in range(1, len(tm) + 1)],
            "member_id": ids[tm],
            "date": days[td],
            "amount": ta,
            "points_earned": te,
            "points_redeemed": tr,
        }
    )
    has_earn = te > 0
    l_member = np.concatenate([em[keep_e], tm[has_earn], tm[tr > 0]])
    l_day = np.concatenate([ed[keep_e], td[has_earn], td[tr > 0]])
    l_kind = np.concatenate(
        [np.zeros(keep_e.sum(), int), np.ones(has_earn.sum(), int), np.full((tr > 0).sum(), 2)]
    )
    l_points = np.concatenate([ep[keep_e], te[has_earn], tr[tr > 0]])
    order = np.lexsort((l_kind, l_member, l_day))
    ledger = pd.DataFrame(
        {
            "member_id": ids[l_member[order]],
            "date": days[l_day[order]],
            "type": np.array(["expire", "earn", "redeem"])[l_kind[order]],
            "points": l_points[order],
        }
    )
    in_12m = (pd_ <= end_day) & (pd_ > end_day - 365)
    spend_12m = np.bincount(pm[in_12m], weights=pa[in_12m], minlength=n)
    members = pd.DataFrame(
        {
            "member_id": ids,
            "join_date": start_ts + pd.to_timedelta(join_off, unit="D"),
            "tier": tier,
            "age": age,
            "gender": gender,
            "qualifying_spend_12m": np.round(spend_12m, 2),
        }
    )

    def day_or_nat(index: np.ndarray, valid: np.ndarray) -> pd.Series:
        out = pd.Series(days[np.where(valid, index, 0)])
        return out.where(valid)

    member_params = pd.DataFrame(
        {
            "member_id": ids,
            "mu_days": mu,
            "redeemer": redeemer,
            "first_purchase": day_or_nat(first_day, first_day != never),
            "churn_date": day_or_nat(churn_day, churn_day >= 0),
        }
    )

    # --- truth ------------------------------------------------------------------------------
    # the slope a within-member regression of log whole-day gaps on progress targets: the
    # gaps between consecutive purchases dated up to `end`, E[log ceil X_j] given mu_i and p_j
    by_member = np.lexsort((pd_, pm))
    gm, gd, gp = pm[by_member], pd_[by_member], pp[by_member]
    observed = (gm[:-1] == gm[1:]) & (gd[1:] <= end_day)
    fe_target = float("nan")
    n_gaps = int(observed.sum())
    if n_gaps > 1:
        gm_o, gp_o = gm[:-1][observed], gp[:-1][observed]
        ey = _expected_log_whole_days(mu[gm_o] * np.exp(goal_gradient * gp_o))
        counts = np.bincount(gm_o, minlength=n)
        safe = np.maximum(counts, 1)
        xw = gp_o - (np.bincount(gm_o, weights=gp_o, minlength=n) / safe)[gm_o]
        yw = ey - (np.bincount(gm_o, weights=ey, minlength=n) / safe)[gm_o]
        if float(xw @ xw) > 0:
            fe_target = float(xw @ yw / (xw @ xw))
    in_period = pd_ <= end_day
    sales = float(pa[in_period].sum())
    redeemed_by_end = int(pr[in_period].sum())
    ssp_points = issued * point_value * urr
    to_points = sales * ssp_points / (sales + ssp_points) if sales > 0 else 0.0
    revenue = to_points * redeemed_by_end / (issued * urr) if issued and urr > 0 else 0.0
    churned_by_end = (churn_day >= 0) & (churn_day <= end_day)
    truth = jsonable(
        {
            "description": (
                "Simulated points programme: purchases with a goal-gradient effect (members buy "
                "sooner as their balance nears the reward threshold), points earned by tier "
                "earn rates, redemptions of one reward at a time by the members who redeem, "
                "FIFO expiry, and churn (redeemers churn less). The process runs past end until "
                "every point issued by end is redeemed or expired, so the ultimate redemption "
                "rate below is exact for these records."
            ),
            "generator": "workbench.simulate.simulate_points_programme",
            "seed": seed,
            "stream": "numpy.random.default_rng([seed, 19])",
            "n_members": n,
            "start": start_ts.date().isoformat(),
            "end": end_ts.date().isoformat(),
            "horizon": horizon.date().isoformat(),
            "horizon_note": f"simulated to end + expiry_months + {HORIZON_MARGIN_DAYS} days; "
            "the files hold the rows dated start..end only",
            "members": {
                "tiers": dict(zip(POINTS_TIERS, POINTS_TIER_PROBS, strict=True)),
                "tier_note": "drawn once, fixed over the period",
                "join_dates": f"{LEGACY_SHARE:.0%} joined uniformly in the {LEGACY_YEARS} years "
                "before start (first purchase of the period on day ceil(X) counting start as day "
                "1, X ~ Exponential(mean mu_i)), the others on a uniform day from start to end (first "
                "purchase on the join date); the points ledger begins on start with every "
                "balance zero",
                "legacy_share": LEGACY_SHARE,
                "age": "round(clip(N(41, 13), 18, 80))",
                "gender": dict(zip(GENDERS, GENDER_PROBS, strict=True)),
                "qualifying_spend_12m": "sum of the member's purchase amounts dated in the 365 "
                "days up to and including end",
            },
            "purchases": {
                "mu_days": {"distribution": "gamma", "shape": GAP_SHAPE, "mean": GAP_MEAN_DAYS},
                "gap": "after purchase j: ceil(X_j) days (>= 1; one purchase per member and "
                "day), X_j ~ Exponential(mean mu_i * exp(beta * progress_j))",
                "spend": {
                    "distribution": "gamma",
                    "shape": SPEND_SHAPE,
                    "mean": SPEND_MEAN,
                    "tier_multiplier": TIER_SPEND_MULTIPLIER,
                    "rounding": "cents, at least 0.01",
                },
            },
            "goal_gradient": {
                "beta": float(goal_gradient),
                "unit": "log days per unit of progress",
                "definition": "progress_j = min(balance at the end of the day of purchase j, "
                "reward_threshold) / reward_threshold, balance = points earned - redeemed - "
                "expired up to and including that day; E log X_j = log mu_i + beta * "
                "progress_j - Euler's gamma, so a within-member (fixed-effects) regression of "
                "log gap days on progress_j estimates beta (the whole-day rounding ceil(X_j) "
                "pulls it towards 0: see fe_slope_whole_days)",
                "reference": "Kivetz, Urminsky & Zheng (2006), J. Marketing Research 43(1)",
                "gap_ratio_at_threshold": round(math.exp(goal_gradient), 6),
                "fe_slope_whole_days": round(fe_target, 6),
                "fe_slope_whole_days_note": "what a within-member OLS of log(gap days) on "
                "progress targets on these records: the slope of E[log ceil X_j] (given mu_i "
                "and progress_j) on progress_j within member, over the gaps between consecutive "
                "purchases dated start..end; whole days pull it towards 0 (most for members "
                "with short gaps). The gap that spans end is not observed and is more "
                "often a long, low-progress one, which adds a small bias towards 0 (measured "
                "+0.012, sd 0.004, over 6 draws of 20,000 members; none with beta = 0)",
                "observed_gaps": n_gaps,
            },
            "earning": {
                "tier_earn_rate": TIER_EARN_RATE,
                "unit": "points per currency unit",
                "points_earned": "floor(amount * tier earn rate)",
            },
            "redemption": {
                "reward_threshold": threshold,
                "redeemer_share": float(redeemer_share),
                "redeem_prob": float(redeem_prob),
                "rule": "a member is a redeemer with probability redeemer_share; at each "
                "purchase after which the balance is >= reward_threshold a redeemer redeems "
                "exactly reward_threshold points with probability redeem_prob (one reward per "
                "purchase); non-redeemers never redeem",
            },
            "expiry": {
                "expiry_months": expiry,
                "rule": "points expire expiry_months calendar months after the day they were "
                "earned; an expire row on that day holds the points of the expiring earnings "
                "not yet used; redemptions and expiries use the oldest points first (FIFO), "
                "expiries before the day's earning and redemption",
                "first_expiry": (start_ts + pd.DateOffset(months=expiry)).date().isoformat(),
            },
            "churn": {
                "per_purchase": CHURN_PER_PURCHASE,
                "rule": "after each purchase a member stops buying for good with this "
                "probability (by latent type), so redeemers churn less",
                "expected_purchases_before_churn": {
                    k: round(1 / v, 6) for k, v in CHURN_PER_PURCHASE.items()
                },
                "churned_by_end": {
                    "redeemer": int((churned_by_end & redeemer).sum()),
                    "non_redeemer": int((churned_by_end & ~redeemer).sum()),
                },
            },
            "breakage_truth": {
                "ultimate_redemption_rate": round(urr, 6),
                "breakage": round(1 - urr, 6),
                "points_issued": issued,
                "points_redeemed_eventually": int(redeemed_q.sum()),
                "points_expired_eventually": int(expired_q.sum()),
                "definition": "points issued in [start, end] that FIFO assigns to redemptions "
                "(over the whole simulated horizon) / points issued in [start, end]; breakage "
                "= 1 - that",
                "by_issuance_quarter": {
                    str(q): {
                        "issued": int(i),
                        "redeemed": int(r),
                        "expired": int(x),
                        "ultimate_redemption_rate": round(r / i, 6) if i else None,
                    }
                    for q, i, r, x in zip(quarters, issued_q, redeemed_q, expired_q, strict=True)
                },
            },
            "ifrs15": {
                "point_value": float(point_value),
                "sales": round(sales, 2),
                "points_issued": issued,
                "expected_redemption_rate": round(urr, 6),
                "points_ssp": round(ssp_points, 2),
                "allocated_to_points": round(to_points, 2),
                "points_redeemed_by_end": redeemed_by_end,
                "revenue_recognised_by_end": round(revenue, 2),
                "liability_at_end": round(to_points - revenue, 2),
                "note": "IFRS 15.B42 and Example 52 with the true rate: points SSP = issued * "
                "point_value * rate, allocated = sales * SSP / (sales + SSP) (goods at their "
                "stand-alone price = sales), revenue = allocated * redeemed / (issued * rate); "
                "sales and points of [start, end] as one cohort",
            },
            "realised": {
                "purchases": len(transactions) if not keep_after_end else int(in_period.sum()),
                "ledger_rows": int((ledger["date"] <= end_ts).sum()),
                "redemptions": int((pr[in_period] > 0).sum()),
                "expiry_rows": int((ed <= end_day).sum()),
                "redeemers": int(redeemer.sum()),
                "members_with_purchase": int(np.unique(pm[in_period]).size),
            },
        }
    )
    return SimulatedPoints(
        transactions=transactions,
        ledger=ledger,
        members=members,
        member_params=member_params,
        truth=truth,
        seed=seed,
    )


def write_default_points(folder: str | Path, *, seed: int = 2026) -> dict[str, Path]:
    """Write the default points-programme files (:data:`POINTS_FILES`).

    Parameters
    ----------
    folder : str or Path
        Target folder (created if needed); files of the same names are replaced.
    seed : int, default 2026
        Passed to :func:`simulate_points_programme` (all other arguments at
        their defaults).

    Returns
    -------
    dict
        ``{"transactions": path, "ledger": path, "members": path, "truth": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sim = simulate_points_programme(seed=seed)
    paths = {key: folder / name for key, name in POINTS_FILES.items()}
    csv = {"index": False, "encoding": "utf-8", "lineterminator": "\n", "date_format": "%Y-%m-%d"}
    sim.transactions.to_csv(paths["transactions"], float_format="%.2f", **csv)
    sim.ledger.to_csv(paths["ledger"], **csv)
    sim.members.to_csv(paths["members"], float_format="%.2f", **csv)
    paths["truth"].write_text(
        json.dumps(sim.truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
    return paths
