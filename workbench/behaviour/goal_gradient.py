"""The goal-gradient effect: do members buy sooner as they near a reward?

:func:`goal_gradient` regresses the log of the time to a member's next earning on
their progress towards the reward threshold, within member (member fixed
effects), with member-clustered standard errors (Kivetz, Urminsky & Zheng 2006).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.behaviour.points import EPS, PointsLedger, _as_ledger
from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_ci

__all__ = ["GoalGradient", "goal_gradient"]


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class GoalGradient(Result):
    """Within-member regression of log inter-purchase time on reward progress (:func:`goal_gradient`).

    Attributes
    ----------
    slope, se, ci_low, ci_high, p : float
        Coefficient of progress (0 = empty balance, 1 = at or above the
        threshold) on log(days to the next earn day); CR1 member-clustered SE;
        CI and p from t with ``n_members - 1`` df. Negative: members speed up
        as they near the reward.
    pct_change : float
        ``exp(slope) - 1``: the expected gap at the threshold relative to the
        gap at the start of a cycle (e.g. -0.2: 20% shorter).
    pct_ci_low, pct_ci_high : float
        The CI of ``slope`` mapped by ``exp(.) - 1``.
    n_members, n_gaps : int
        Members and gaps in the regression.
    n_earn_days : int
        Earn days (member-days with an earn row) in the ledger.
    dropped_last : int
        Last earn day of each member (no next earning, hence no gap).
    dropped_members, dropped_member_gaps : int
        Members with fewer than ``min_gaps`` gaps, and their gaps.
    reward_threshold : float
    min_gaps : int
    curve : pandas.DataFrame
        One row per progress bin of width ``1 / bins`` (the last bin holds
        progress 1): ``bin``, ``progress_low``, ``progress_high``,
        ``progress_mid``, ``n`` (gaps), ``mean_gap_days``, ``median_gap_days``,
        ``mean_demeaned_log_gap`` (mean of log gap minus the member's mean log
        gap: the within-member pattern the slope summarises), ``mean_progress``.
    interpretation : str
    ci : float
    warning_messages : tuple of str
    """

    slope: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    pct_change: float
    pct_ci_low: float
    pct_ci_high: float
    n_members: int
    n_gaps: int
    n_earn_days: int
    dropped_last: int
    dropped_members: int
    dropped_member_gaps: int
    reward_threshold: float
    min_gaps: int
    curve: pd.DataFrame = dataclasses.field(repr=False)
    interpretation: str = ""
    ci: float = 0.95
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row (``progress``): estimate, se, ci_low, ci_high, p, pct_change, counts."""
        return pd.DataFrame(
            {
                "estimate": [self.slope],
                "se": [self.se],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "p": [self.p],
                "pct_change": [self.pct_change],
                "n_members": [self.n_members],
                "n_gaps": [self.n_gaps],
            },
            index=pd.Index(["progress"], name="term"),
        )

    def to_dict(self) -> dict[str, Any]:
        """``slope, se, ci_low, ci_high, p, pct_change``, counts, ``curve`` records, warnings."""
        return jsonable(
            {
                "slope": self.slope,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "p": self.p,
                "pct_change": self.pct_change,
                "pct_ci_low": self.pct_ci_low,
                "pct_ci_high": self.pct_ci_high,
                "n_members": self.n_members,
                "n_gaps": self.n_gaps,
                "n_earn_days": self.n_earn_days,
                "dropped_last": self.dropped_last,
                "dropped_members": self.dropped_members,
                "dropped_member_gaps": self.dropped_member_gaps,
                "reward_threshold": self.reward_threshold,
                "min_gaps": self.min_gaps,
                "ci": self.ci,
                "curve": self.curve.to_dict(orient="records"),
                "interpretation": self.interpretation,
                "warnings": self.warnings,
            }
        )

    def summary(self) -> str:
        text = (
            f"Goal gradient (reward threshold {self.reward_threshold:g} points): "
            f"{self.n_gaps} gaps of {self.n_members} members\n"
            f"log(gap) slope on progress = {self.slope:.4f} (SE {self.se:.4f}, "
            f"{self.ci:.0%} CI {self.ci_low:.4f} to {self.ci_high:.4f}, p = {self.p:.3g})\n"
            f"{self.interpretation}\n\n" + self.curve.to_string(index=False)
        )
        return with_warnings(text, self.warnings)


def _earn_days(led: PointsLedger, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Member code, progress and days to the next earn day of every earn day.

    DuckDB numbers the members and hands over the rows as integer arrays; numpy sorts
    them by member and day (one integer key), sums each member-day, accumulates the
    balances within member and takes the gaps between earn days (a hash GROUP BY and
    a window over 10 million rows took several times longer). The gap of a member's
    last earn day is NaN.
    """
    sql = (
        "WITH ids AS (SELECT member_id, (row_number() OVER (ORDER BY member_id) - 1)::BIGINT "
        f"AS member FROM (SELECT DISTINCT member_id FROM {led.name})) "
        "SELECT ids.member, (l.date - DATE '1970-01-01')::BIGINT AS day, "
        "l.delta::DOUBLE AS delta, (l.type = 'earn' AND l.delta > 0) AS earn "
        f"FROM {led.name} l JOIN ids USING (member_id)"
    )
    got = led.con.execute(sql).fetchnumpy()
    member = np.asarray(got["member"], dtype=np.int64)
    day = np.asarray(got["day"], dtype=np.int64)
    if len(member) == 0:
        empty = np.empty(0)
        return member, empty, empty
    d0 = int(day.min())
    key = member * (int(day.max()) - d0 + 1) + (day - d0)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # one per member-day
    net = np.add.reduceat(np.asarray(got["delta"], dtype=float)[order], starts)
    earned = np.maximum.reduceat(np.asarray(got["earn"], dtype=np.uint8)[order], starts) > 0
    member, day = member[order][starts], day[order][starts]
    del key, order, got
    # balance at the end of each member-day: running sum within member
    total = np.cumsum(net)
    new_member = np.r_[True, member[1:] != member[:-1]]
    first = np.maximum.accumulate(np.where(new_member, np.arange(len(net)), 0))
    balance = total - (total - net)[first]  # minus the running sum before the member's first day
    member, day, balance = member[earned], day[earned], balance[earned]
    balance[balance >= threshold - EPS] = threshold  # float sums: at the threshold is at it
    progress = np.clip(balance, 0.0, threshold) / threshold
    gap = np.full(len(member), np.nan)
    if len(member) > 1:
        same = member[1:] == member[:-1]
        gap[:-1] = np.where(same, day[1:] - day[:-1], np.nan)
    return member, progress, gap


def goal_gradient(
    ledger: PointsLedger | pd.DataFrame,
    *,
    reward_threshold: float,
    min_gaps: int = 2,
    bins: int = 10,
    ci: float = 0.95,
) -> GoalGradient:
    """Goal gradient: log inter-purchase time on progress to the reward, within member.

    Parameters
    ----------
    ledger : PointsLedger or pandas.DataFrame
        A checked ledger (:func:`~workbench.behaviour.points.read_points_ledger`)
        or a frame with ``member_id, date, type, points`` (checked here).
    reward_threshold : float, keyword-only
        Points needed for a reward (> 0).
    min_gaps : int, keyword-only
        Members with fewer gaps are left out (counted in ``dropped_members``).
        At least 2: a member with one gap carries no within-member information.
    bins : int, keyword-only
        Number of equal-width progress bins of :attr:`GoalGradient.curve`.
    ci : float, keyword-only
        Confidence level.

    Returns
    -------
    GoalGradient

    Raises
    ------
    InputError
        ``reward_threshold`` not a positive number; no member with
        ``min_gaps`` gaps; progress that never varies within a member.
    ValueError
        ``min_gaps`` < 2, ``bins`` < 1, or a ``ci`` outside (0, 1).

    Notes
    -----
    A purchase is an earn day: a member-day with an ``earn`` row of positive
    points (one per member and day, as a ledger has dates, not times). For earn
    day :math:`j` of member :math:`i`, with :math:`B_{ij}` the balance at the
    end of that day (every ledger row up to and including the day: earnings,
    redemptions, expiries and adjustments) and :math:`T` the threshold,

    .. math::

        \\text{progress}_{ij} = \\min(B_{ij}, T) / T, \\qquad
        \\log(\\text{gap}_{ij}) = a_i + \\beta\\,\\text{progress}_{ij} + e_{ij},

    where :math:`\\text{gap}_{ij}` is the number of days to the member's next
    earn day (>= 1). A member's last earn day has no next one and is dropped.
    :math:`\\beta` is estimated by the within (demeaned) estimator, identical
    to OLS with a dummy per member. Its covariance is CR1 clustered by member,
    :math:`\\frac{G}{G-1}\\frac{n-1}{n-K}(\\sum_i \\ddot x_i'\\ddot x_i)^{-2}
    \\sum_i (\\ddot x_i' \\hat u_i)^2` with :math:`K = G + 1`: statsmodels
    ``OLS(y, [progress, member dummies]).fit(cov_type="cluster", use_t=True)``
    (tested to 1e-8), the CR1 of R ``sandwich::vcovCL(lm(log(gap) ~ progress +
    factor(member)), cluster = ~member, type = "HC1")`` (the form the
    evaluation module is tested with against R); p values and CIs use t with
    G - 1 df.
    ``pct_change`` :math:`= e^{\\beta} - 1` is the expected gap at the threshold
    relative to the start of a cycle (a geometric-mean ratio), the purchase
    acceleration Kivetz et al. measure on a reward card.

    Progress counts the balance, not the stamps since the last reward: with
    redemptions below the threshold or expiries, progress falls without a
    reward, and a balance above the threshold counts as 1. Members who can
    bank points (no forced redemption) show a weaker gradient by design.
    The regression is descriptive: progress and gaps share the member's
    purchase rhythm within a cycle, so read it with the curve.

    References
    ----------
    Kivetz, R., Urminsky, O., & Zheng, Y. (2006). The goal-gradient hypothesis
    resurrected: purchase acceleration, illusionary goal progress, and customer
    retention. *Journal of Marketing Research*, 43(1), 39-58.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. *Journal of Human Resources*, 50(2), 317-372.

    Examples
    --------
    >>> rows = []
    >>> for m in range(30):
    ...     day = pd.Timestamp("2024-01-01")
    ...     for j in range(12):
    ...         rows.append((f"m{m}", day, "earn", 10))
    ...         day += pd.Timedelta(days=int(12 - (j % 5) * 2 + m % 3))
    >>> led = pd.DataFrame(rows, columns=["member_id", "date", "type", "points"])
    >>> gg = goal_gradient(led, reward_threshold=50)
    >>> gg.n_members, gg.n_gaps, gg.slope < 0
    (30, 330, True)
    """
    if (
        isinstance(reward_threshold, bool)
        or not isinstance(reward_threshold, (int, float, np.integer, np.floating))
        or not math.isfinite(float(reward_threshold))
        or reward_threshold <= 0
    ):
        raise InputError(
            "reward_threshold must be a positive number of points.",
            column="reward_threshold",
            value=reward_threshold,
            hint="Pass reward_threshold= with the points a member needs for a reward, e.g. 500.",
        )
    if not isinstance(min_gaps, (int, np.integer)) or isinstance(min_gaps, bool) or min_gaps < 2:
        raise ValueError(f"min_gaps={min_gaps!r} is not valid: use an integer >= 2")
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"bins={bins!r} is not valid: use an integer >= 1")
    ci = check_ci(ci)
    threshold = float(reward_threshold)
    led = _as_ledger(ledger)
    member, progress, gap = _earn_days(led, threshold)
    n_earn_days = len(member)
    has_gap = np.isfinite(gap)
    dropped_last = int(n_earn_days - has_gap.sum())
    member, progress, gap = member[has_gap], progress[has_gap], gap[has_gap]
    n_codes = int(member.max()) + 1 if len(member) else 0
    per_member = np.bincount(member, minlength=n_codes)
    keep_m = per_member >= min_gaps
    keep = keep_m[member]
    dropped_members = int(((per_member > 0) & ~keep_m).sum())
    dropped_gaps = int((~keep).sum())
    if not keep.any():
        raise InputError(
            f"No member of the ledger has {min_gaps} or more gaps between earn days "
            f"({n_earn_days} earn days in all).",
            file=led.source,
            column="min_gaps",
            value=min_gaps,
            hint="The goal gradient needs members who earn on at least min_gaps + 1 different "
            "days: pass a longer ledger, or a smaller min_gaps (at least 2).",
        )
    member, progress, gap = member[keep], progress[keep], gap[keep]
    member = (np.cumsum(keep_m) - 1)[member]  # renumber 0..g-1
    g = int(member.max()) + 1
    counts = np.bincount(member, minlength=g)
    n = len(member)
    y = np.log(gap)
    xd = progress - (np.bincount(member, weights=progress, minlength=g) / counts)[member]
    yd = y - (np.bincount(member, weights=y, minlength=g) / counts)[member]
    sxx = float(xd @ xd)
    if sxx <= 1e-12 * n:
        raise InputError(
            "Progress to the reward never varies within a member: the slope is not identified.",
            file=led.source,
            column="reward_threshold",
            value=threshold,
            hint="Check reward_threshold against the points members earn (it may be far "
            "below one earning, so every balance counts as 1).",
        )
    slope = float(xd @ yd) / sxx
    u = yd - slope * xd
    score = np.bincount(member, weights=xd * u, minlength=g)
    k = g + 1
    if n - k <= 0 or g < 2:
        raise InputError(
            f"Too few gaps ({n}) for {g} member(s) to estimate a within-member slope.",
            file=led.source,
            hint="Use a longer ledger with more members.",
        )
    adj = g / (g - 1) * (n - 1) / (n - k)
    se = math.sqrt(adj * float(score @ score)) / sxx
    dof = g - 1
    q = float(stats.t.ppf(0.5 + ci / 2, dof))
    lo, hi = slope - q * se, slope + q * se
    p = float(2 * stats.t.sf(abs(slope / se), dof)) if se > 0 else float("nan")
    # curve by progress bin
    b = np.minimum(np.floor(progress * bins + 1e-9).astype(np.int64), bins - 1)
    nb = np.bincount(b, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.bincount(b, weights=gap, minlength=bins) / nb
        mean_dm = np.bincount(b, weights=yd, minlength=bins) / nb
        mean_prog = np.bincount(b, weights=progress, minlength=bins) / nb
    med = pd.Series(gap).groupby(b).median().reindex(range(bins)).to_numpy()
    edges = np.arange(bins + 1) / bins
    curve = pd.DataFrame(
        {
            "bin": np.arange(bins),
            "progress_low": edges[:-1],
            "progress_high": edges[1:],
            "progress_mid": (edges[:-1] + edges[1:]) / 2,
            "n": nb.astype(np.int64),
            "mean_gap_days": mean_gap,
            "median_gap_days": med,
            "mean_demeaned_log_gap": mean_dm,
            "mean_progress": mean_prog,
        }
    )
    pct = math.exp(slope) - 1
    pct_lo, pct_hi = math.exp(lo) - 1, math.exp(hi) - 1
    if p < 1 - ci:
        direction = "shorter" if slope < 0 else "longer"
        interp = (
            f"Members buy again sooner as they near a reward: at the threshold the time to the "
            f"next earning is {abs(pct):.0%} {direction} than at the start of a cycle "
            f"({ci:.0%} CI {pct_lo:+.0%} to {pct_hi:+.0%}; {n} gaps of {g} members)."
            if slope < 0
            else f"Members buy again more slowly as they near a reward: at the threshold the "
            f"time to the next earning is {abs(pct):.0%} {direction} than at the start of a "
            f"cycle ({ci:.0%} CI {pct_lo:+.0%} to {pct_hi:+.0%}; {n} gaps of {g} members): "
            "no goal-gradient acceleration."
        )
    else:
        interp = (
            f"No clear goal gradient: at the threshold the time to the next earning changes "
            f"by {pct:+.0%} relative to the start of a cycle ({ci:.0%} CI {pct_lo:+.0%} to "
            f"{pct_hi:+.0%}, p = {p:.2g}; {n} gaps of {g} members)."
        )
    warns = [
        f"{dropped_last} last earn day(s) (one per member) have no next earning and are "
        "not in the regression."
    ]
    if dropped_members:
        warns.append(
            f"{dropped_members} member(s) with fewer than {min_gaps} gaps ({dropped_gaps} gaps) "
            "were left out."
        )
    if g < 42:
        warns.append(
            f"Only {g} members (clusters): cluster-robust SEs can be too small with fewer than "
            "about 40-50 clusters (Cameron & Miller 2015)."
        )
    at_cap = float(np.mean(progress >= 1.0))
    if at_cap > 0.5:
        warns.append(
            f"{at_cap:.0%} of the gaps start at or above the threshold (progress 1): members "
            "bank points rather than redeem; the gradient is weakly identified."
        )
    return GoalGradient(
        slope=slope,
        se=se,
        ci_low=lo,
        ci_high=hi,
        p=p,
        pct_change=pct,
        pct_ci_low=pct_lo,
        pct_ci_high=pct_hi,
        n_members=g,
        n_gaps=n,
        n_earn_days=n_earn_days,
        dropped_last=dropped_last,
        dropped_members=dropped_members,
        dropped_member_gaps=dropped_gaps,
        reward_threshold=threshold,
        min_gaps=int(min_gaps),
        curve=curve,
        interpretation=interp,
        ci=ci,
        warning_messages=tuple(warns),
    )
