"""Redemption and behaviour: the effect of a first redemption, and redeemers' churn.

- :func:`redemption_effect`: a staggered event study of a member's first
  redemption on later spend or visits, against members not yet redeeming
  (two-way fixed effects, member-clustered SEs; optionally Sun & Abraham's
  interaction-weighted estimator).
- :func:`redeemer_churn`: churn of redeemers and non-redeemers, their
  difference (Newcombe's hybrid score interval) and a logit adjusting for
  tenure and purchases (an association, not an effect).

Why not :func:`~workbench.behaviour.evaluation.event_study`: it takes one
launch date for every treated member; a first redemption happens at a
different date for each member (staggered adoption). This module builds the
staggered design (each redeemer's own relative periods) and fits it with the
same two-way fixed-effects core (``evaluation._twfe``: member effects by
demeaning, period dummies, CR1 by member), so both match
``lm(y ~ D + factor(member) + factor(period))`` with
``sandwich::vcovCL(type = "HC1")``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.behaviour.churn import churn_features
from workbench.behaviour.evaluation import _FREQ, _PERIODS, _twfe, member_period_panel
from workbench.behaviour.points import PointsLedger, _as_ledger
from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice, check_ci

__all__ = [
    "RedeemerChurn",
    "RedemptionEffect",
    "redeemer_churn",
    "redemption_effect",
]

Period = Literal["month", "week", "quarter"]
Outcome = Literal["spend", "visits"]
_OUTCOMES = ("spend", "visits")
_OUTCOME_COL = {"spend": "spend", "visits": "purchases"}
Estimator = Literal["twfe", "sun_abraham"]
_ESTIMATORS = ("twfe", "sun_abraham")
#: the Sun & Abraham design holds a members x columns array: refuse beyond this many cells
_MAX_SA_CELLS = 60_000_000

CAVEAT_REDEMPTION = (
    "Members choose when to redeem: they redeem once they have bought enough to earn a "
    "reward, so spend before the first redemption is often high (the leads show it) and "
    "part of any later change is a return to the member's usual level, not an effect of "
    "the reward. Read the estimates with the pre-trend test."
)
CAVEAT_CHURN = (
    "An association, not an effect: redeeming needs purchases, so redeemers are members who "
    "bought enough to earn a reward; the logit adjusts for tenure and purchases before the "
    "window, not for everything that makes a member both redeem and stay."
)


# --------------------------------------------------------------------------- inputs


def _parsed(raw: pd.Series, parsed: pd.Series, column: str, message: str, hint: str) -> pd.Series:
    """``parsed`` (dates or numbers coerced from ``raw``), or an InputError naming the first
    row whose value could not be read (missing values stay missing)."""
    bad = parsed.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            message,
            file="<transactions>",
            column=column,
            row=i + 1,
            value=str(raw.iloc[i]),
            hint=hint,
        )
    return parsed


def _transactions(
    transactions: pd.DataFrame, member_col: str, date_col: str, amount_col: str
) -> pd.DataFrame:
    """The transactions as ``member_id, date, amount`` (datetime, numeric), checked."""
    if not isinstance(transactions, pd.DataFrame):
        raise InputError(
            "transactions must be a pandas DataFrame",
            hint="pass a frame with member_id, date and amount columns",
        )
    mapping = {"member_id": member_col, "date": date_col, "amount": amount_col}
    for std, col in mapping.items():
        if col not in transactions.columns:
            raise InputError(
                f"The {std} column {col!r} is not in the transactions.",
                file="<transactions>",
                column=col,
                hint=f"Pass {std.replace('_id', '')}_col= with one of: "
                + ", ".join(map(str, transactions.columns)),
            )
    tx = pd.DataFrame(
        {
            "member_id": transactions[member_col],
            "date": transactions[date_col],
            "amount": transactions[amount_col],
        }
    )
    if not pd.api.types.is_datetime64_any_dtype(tx["date"]):
        tx["date"] = _parsed(
            tx["date"],
            pd.to_datetime(tx["date"], errors="coerce"),
            date_col,
            "A transaction date is not a date.",
            "Write dates as YYYY-MM-DD.",
        )
    if not pd.api.types.is_numeric_dtype(tx["amount"]):
        tx["amount"] = _parsed(
            tx["amount"],
            pd.to_numeric(tx["amount"], errors="coerce"),
            amount_col,
            "A transaction amount is not a number.",
            "Amounts must be numbers (refunds negative).",
        )
    for std, col in mapping.items():
        miss = tx[std].isna().to_numpy()
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise InputError(
                f"A transaction has no {std.replace('_', ' ')}.",
                file="<transactions>",
                column=col,
                row=i + 1,
                hint="Fill in or remove the rows without one.",
            )
    tx["member_id"] = tx["member_id"].astype(str)
    return tx


def _first_redemptions(led: PointsLedger) -> pd.Series:
    """member_id -> date of the member's first redemption (members who redeemed)."""
    got = led.con.execute(
        f"SELECT member_id, min(date) AS first FROM {led.name} "
        "WHERE type = 'redeem' AND delta < 0 GROUP BY member_id"
    ).df()
    return pd.Series(
        pd.to_datetime(got["first"]).to_numpy(), index=got["member_id"].astype(str).to_numpy()
    )


# --------------------------------------------------------------------------- event study


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class RedemptionEffect(Result):
    """Event study of a member's first redemption (:func:`redemption_effect`).

    Attributes
    ----------
    outcome : {"spend", "visits"}
    period : str
    estimator : {"twfe", "sun_abraham"}
    leads, lags : int
    effects : pandas.DataFrame
        ``k`` (periods since the first redemption; ``-leads`` and ``lags``
        bin everything beyond them, ``-1`` is the reference with estimate 0
        and no SE), ``estimate`` (change of the outcome per member-period, in
        its units), ``se``, ``ci_low``, ``ci_high``, ``p``, ``n`` (redeemers'
        member-periods at that k), ``binned``, ``reference``.
    pre_trend_chi2, pre_trend_df, pre_trend_p : float, int, float
        Joint Wald test that the leads (k <= -2) are zero.
    average_post, average_post_se, average_post_ci_low, average_post_ci_high, average_post_p
        Mean of the lag coefficients k = 0..lags with its CI.
    twfe_effects : pandas.DataFrame or None
        With ``estimator="sun_abraham"``: the TWFE table, for comparison.
    n_rows, n_members, n_redeemers, n_never_redeemers : int
        Member-periods and members in the panel; members whose first
        redemption falls in the panel; the rest (controls throughout).
    n_redeemers_outside : int
        Ledger redeemers without transactions, or whose first redemption lies
        after the last period (counted as never-redeemers when in the panel).
    clusters : int
    vcov : pandas.DataFrame
        Cluster-robust covariance of the non-reference coefficients.
    interpretation, caveat : str
    ci : float
    warning_messages : tuple of str
    """

    outcome: str
    period: str
    estimator: str
    leads: int
    lags: int
    effects: pd.DataFrame
    pre_trend_chi2: float
    pre_trend_df: int
    pre_trend_p: float
    average_post: float
    average_post_se: float
    average_post_ci_low: float
    average_post_ci_high: float
    average_post_p: float
    n_rows: int
    n_members: int
    n_redeemers: int
    n_never_redeemers: int
    n_redeemers_outside: int
    clusters: int
    vcov: pd.DataFrame = dataclasses.field(repr=False)
    twfe_effects: pd.DataFrame | None = dataclasses.field(default=None, repr=False)
    interpretation: str = ""
    caveat: str = CAVEAT_REDEMPTION
    ci: float = 0.95
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The effects table, indexed by ``k``."""
        return self.effects.set_index("k")

    def to_dict(self) -> dict[str, Any]:
        """Effects ``{k: {estimate, se, ci_low, ci_high, p, n}}``, tests, counts, text."""
        t = self.effects.set_index("k")[["estimate", "se", "ci_low", "ci_high", "p", "n"]]
        return jsonable(
            {
                "outcome": self.outcome,
                "period": self.period,
                "estimator": self.estimator,
                "effects": {str(int(k)): row.to_dict() for k, row in t.iterrows()},
                "pre_trend_chi2": self.pre_trend_chi2,
                "pre_trend_df": self.pre_trend_df,
                "pre_trend_p": self.pre_trend_p,
                "average_post": {
                    "estimate": self.average_post,
                    "se": self.average_post_se,
                    "ci_low": self.average_post_ci_low,
                    "ci_high": self.average_post_ci_high,
                    "p": self.average_post_p,
                },
                "n_rows": self.n_rows,
                "n_members": self.n_members,
                "n_redeemers": self.n_redeemers,
                "n_never_redeemers": self.n_never_redeemers,
                "n_redeemers_outside": self.n_redeemers_outside,
                "clusters": self.clusters,
                "ci": self.ci,
                "interpretation": self.interpretation,
                "caveat": self.caveat,
                "warnings": self.warnings,
            }
        )

    def summary(self) -> str:
        text = (
            f"Effect of the first redemption on {self.outcome} per {self.period} "
            f"({self.estimator}): {self.n_redeemers} redeemers, {self.n_never_redeemers} "
            f"never-redeemers, {self.n_rows} member-periods\n"
            f"Pre-trend test (leads = 0): chi2({self.pre_trend_df}) = "
            f"{self.pre_trend_chi2:.3f}, p = {self.pre_trend_p:.4f}\n"
            f"Average over k = 0..{self.lags}: {self.average_post:.4g} "
            f"({self.ci:.0%} CI {self.average_post_ci_low:.4g} to "
            f"{self.average_post_ci_high:.4g})\n\n"
            + self.to_frame().to_string()
            + f"\n\n{self.interpretation}\n{self.caveat}"
        )
        return with_warnings(text, self.warnings)


def _collinear_error(err: InputError) -> InputError:
    return InputError(
        "The relative-period dummies of the first redemption are collinear with the member "
        "and period effects.",
        value=err.value,
        hint="This happens without enough never-redeemers (or not-yet-redeemers) observed in "
        "the same periods: use fewer leads/lags, a longer panel, or more members.",
    )


def _sun_abraham(
    y: np.ndarray,
    member: np.ndarray,
    period: np.ndarray,
    cohort: np.ndarray,
    kb: np.ndarray,
    redeemer: np.ndarray,
    leads: int,
    lags: int,
    ks: list[int],
) -> tuple[np.ndarray, np.ndarray, list[str], int]:
    """Interaction-weighted estimates of ``ks`` and their covariance.

    Regress y on cohort x binned-relative-period dummies (k = -1 the reference in
    every cohort), member and period effects, with never-redeemers as the only
    members without dummies; average the cohort coefficients of each k with the
    cohorts' shares of the redeemers' member-periods at that k (weights held
    fixed in the covariance). Cohorts without a k = -1 period (their members'
    effects would absorb every dummy) are dropped first. Returns (estimates,
    covariance, warnings).
    """
    warns: list[str] = []
    has_ref = np.zeros(int(cohort.max()) + 1 if len(cohort) else 1, dtype=bool)
    has_ref[cohort[redeemer & (kb == -1)]] = True
    drop = redeemer & ~has_ref[np.where(redeemer, cohort, 0)]
    if drop.any():
        n_drop = len(np.unique(member[drop]))
        warns.append(
            f"Sun & Abraham: {n_drop} redeemer(s) whose first-redemption cohort has no period "
            "k = -1 in the panel were left out."
        )
        keep = ~drop
        y, member, period, cohort, kb, redeemer = (
            a[keep] for a in (y, member, period, cohort, kb, redeemer)
        )
    nk = leads + lags + 1
    kidx = kb + leads  # 0..nk-1
    cohorts, c_code = np.unique(np.where(redeemer, cohort, -1), return_inverse=True)
    # column of (cohort, k): c_code - (1 if never-redeemers present at code 0)
    offset = 1 if cohorts[0] == -1 else 0
    pair = np.where(redeemer & (kb != -1), (c_code - offset) * nk + kidx, -1)
    used, cell = np.unique(pair, return_inverse=True)
    if used[0] == -1:
        cell = cell - 1
        used = used[1:]
    n_members = len(np.unique(member))
    if n_members * (len(used) + int(period.max()) + 1) > _MAX_SA_CELLS:
        raise InputError(
            f"The Sun & Abraham design has {len(used)} cohort x period columns for "
            f"{n_members} members, too large to hold in memory.",
            hint="Use estimator='twfe', a coarser period (quarter), or a sample of members.",
        )
    names = [f"c{int(u) // nk}:k={int(u) % nk - leads}" for u in used]
    fit = _twfe(y, cell, member, period, names)
    col_c, col_k = used // nk, used % nk - leads
    # cohort shares of redeemers' member-periods at each k
    nrow = np.bincount(cell[cell >= 0], minlength=len(used)).astype(float)
    est = np.empty(len(ks))
    wmat = np.zeros((len(ks), len(used)))
    for j, k in enumerate(ks):
        sel = col_k == k
        if not sel.any():
            est[j] = np.nan
            continue
        w = nrow[sel] / nrow[sel].sum()
        wmat[j, sel] = w
        est[j] = float(w @ fit.coef[sel])
    del col_c
    vcov = wmat @ fit.vcov @ wmat.T
    return est, vcov, warns, fit.clusters


def redemption_effect(
    transactions: pd.DataFrame,
    ledger: PointsLedger | pd.DataFrame,
    *,
    period: Period = "month",
    leads: int = 3,
    lags: int = 6,
    outcome: Outcome = "spend",
    ci: float = 0.95,
    estimator: Estimator = "twfe",
    member_col: str = "member_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> RedemptionEffect:
    """Effect of a member's first redemption on later spend or visits (staggered event study).

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase: member, date, amount (negative amounts are
        refunds: not purchases, not netted off), as
        :func:`~workbench.behaviour.evaluation.member_period_panel` reads them.
    ledger : PointsLedger or pandas.DataFrame
        The points ledger; a member's first redemption is the date of their
        first ``redeem`` row.
    period : {"month", "week", "quarter"}, keyword-only
    leads, lags : int, keyword-only
        Relative periods k = -leads..lags around the period of the first
        redemption (k = 0); k < -leads and k > lags are binned into the end
        dummies; k = -1 is the reference. ``leads >= 2``, ``lags >= 0``.
    outcome : {"spend", "visits"}, keyword-only
        Spend (sum of purchase amounts) or visits (purchases) per member-period.
    ci : float, keyword-only
    estimator : {"twfe", "sun_abraham"}, keyword-only
        ``"twfe"`` (default): one set of relative-period dummies for all
        redeemers, never- and not-yet-redeemers as controls.
        ``"sun_abraham"``: the interaction-weighted estimator, never-redeemers
        as the control group (see Notes); the TWFE table is kept in
        ``twfe_effects`` for comparison.
    member_col, date_col, amount_col : str, keyword-only
        Column names in ``transactions``.

    Returns
    -------
    RedemptionEffect

    Raises
    ------
    InputError
        Bad transactions (missing columns, dates or amounts, naming the row);
        no redeemer or no member to compare with; too few periods before or
        after the first redemptions for ``leads``/``lags``; a design the fixed
        effects absorb.
    ValueError
        Invalid ``period``, ``outcome``, ``estimator``, ``leads``, ``lags``, ``ci``.

    Notes
    -----
    The panel is :func:`~workbench.behaviour.evaluation.member_period_panel`
    (zero-filled from each member's first purchase to the last period). With
    :math:`E_i` the period of member :math:`i`'s first redemption
    (:math:`E_i = \\infty` for never-redeemers) and :math:`D_{it}^k = 1` when
    :math:`t - E_i` binned to [-leads, lags] equals k,

    .. math::

        y_{it} = a_i + g_t + \\sum_{k \\ne -1} \\beta_k D_{it}^k + e_{it},

    estimated by OLS with member effects (demeaning) and period dummies, CR1
    covariance clustered by member, :math:`\\frac{G}{G-1}\\frac{n-1}{n-K}`
    with K all coefficients of ``lm(y ~ D + factor(member) + factor(period))``
    (statsmodels ``cov_type="cluster"``; R ``sandwich::vcovCL(type = "HC1")``);
    t with G - 1 df. ``pre_trend_p``: Wald chi-square that the leads are zero.
    ``average_post`` averages :math:`\\beta_0..\\beta_{lags}` (SE
    :math:`\\sqrt{a'Va}`).

    With staggered timing, the TWFE coefficients are weighted averages of
    cohort-specific effects whose weights can be negative and can mix in
    other relative periods' effects when effects differ across cohorts or
    change over time since redemption (Sun & Abraham 2021, Prop. 3): a leads
    test can fail, or a lag be biased, from heterogeneity alone. The
    interaction-weighted estimator (``estimator="sun_abraham"``) estimates a
    separate coefficient for every cohort (period of first redemption) and k,
    with never-redeemers as the control, and averages them by each cohort's
    share of redeemers' member-periods at k; its covariance treats these
    shares as fixed (as R ``fixest::sunab``/``aggregate`` does), which
    slightly understates the SE. Redeemers of cohorts with no k = -1 period
    in the panel are dropped from it. It needs never-redeemers.

    First redemptions are chosen by the member, not assigned (see
    :data:`CAVEAT_REDEMPTION`): the estimates are effects only under parallel
    trends of redeemers and not-yet-redeemers, which the leads test probes.

    References
    ----------
    Sun, L., & Abraham, S. (2021). Estimating dynamic treatment effects in
    event studies with heterogeneous treatment effects. *Journal of
    Econometrics*, 225(2), 175-199.
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*,
    ch. 5. Princeton University Press.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> days = pd.date_range("2024-01-01", periods=360, freq="D")
    >>> tx = pd.DataFrame({"member_id": rng.integers(0, 60, 6000).astype(str),
    ...     "date": rng.choice(days, 6000), "amount": rng.gamma(2.0, 10.0, 6000)})
    >>> led = pd.DataFrame({"member_id": [str(i) for i in range(30)] * 2,
    ...     "date": ["2024-01-01"] * 30 + [f"2024-{m:02d}-15" for m in range(4, 10)] * 5,
    ...     "type": ["earn"] * 30 + ["redeem"] * 30, "points": [500] * 30 + [100] * 30})
    >>> eff = redemption_effect(tx, led, leads=2, lags=3)
    >>> eff.effects["k"].tolist(), eff.n_redeemers
    ([-2, -1, 0, 1, 2, 3], 30)
    """
    check_choice("period", period, _PERIODS)
    check_choice("outcome", outcome, _OUTCOMES)
    check_choice("estimator", estimator, _ESTIMATORS)
    ci = check_ci(ci)
    if not (isinstance(leads, (int, np.integer)) and not isinstance(leads, bool) and leads >= 2):
        raise ValueError(f"leads={leads!r} is not valid: use an integer >= 2")
    if not (isinstance(lags, (int, np.integer)) and not isinstance(lags, bool) and lags >= 0):
        raise ValueError(f"lags={lags!r} is not valid: use an integer >= 0")
    leads, lags = int(leads), int(lags)
    tx = _transactions(transactions, member_col, date_col, amount_col)
    led = _as_ledger(ledger)
    panel = member_period_panel(tx, period=period)
    freq = _FREQ[period]
    y = panel[_OUTCOME_COL[outcome]].to_numpy(dtype=float)
    p_ord = pd.DatetimeIndex(panel["period"]).to_period(freq).asi8
    member, ids = pd.factorize(panel["member_id"], sort=True)
    period_code, _ = pd.factorize(p_ord, sort=True)
    first = _first_redemptions(led)
    last_ord = int(p_ord.max())
    e_ord = pd.DatetimeIndex(first.to_numpy()).to_period(freq).asi8
    e_by_member = pd.Series(e_ord, index=first.index)
    e_m = e_by_member.reindex(ids).to_numpy(dtype=float)
    in_panel = np.isfinite(e_m) & (e_m <= last_ord)
    n_outside = int(len(first) - in_panel.sum())
    redeemer = in_panel[member]
    n_red, n_members = int(in_panel.sum()), len(ids)
    if n_red == 0:
        raise InputError(
            "No member of the transactions redeemed points within the transactions' periods.",
            file=led.source,
            column="type",
            hint="Check that the ledger and the transactions use the same member ids and "
            "cover the same dates, and that the ledger has 'redeem' rows.",
        )
    k = np.where(redeemer, p_ord - np.nan_to_num(e_m, nan=0.0)[member], 0).astype(np.int64)
    k_red = k[redeemer]
    if k_red.min() > -leads:
        raise InputError(
            f"leads = {leads} needs {leads} periods before a first redemption; the earliest "
            f"redeemer's panel starts {-int(k_red.min())} period(s) before it.",
            column="leads",
            value=leads,
            hint=f"Use leads <= {max(-int(k_red.min()), 2)} or transactions that start earlier.",
        )
    if k_red.max() < lags:
        raise InputError(
            f"lags = {lags} needs {lags + 1} periods from a first redemption on; the panel has "
            f"at most {int(k_red.max()) + 1}.",
            column="lags",
            value=lags,
            hint=f"Use lags <= {int(k_red.max())} or transactions that run longer.",
        )
    if n_red == n_members and estimator == "sun_abraham":
        raise InputError(
            "Every member redeemed: the Sun & Abraham estimator needs never-redeemers as controls.",
            hint="Use estimator='twfe' (not-yet-redeemers as controls).",
        )
    kb = np.clip(k, -leads, lags)
    ks = [j for j in range(-leads, lags + 1) if j != -1]
    column = np.full(leads + lags + 1, -1)
    column[[j + leads for j in ks]] = np.arange(len(ks))
    cell = np.where(redeemer, column[kb + leads], -1)
    names = [f"k={j}" for j in ks]
    try:
        fit = _twfe(y, cell, member, period_code, names)
    except InputError as err:
        raise _collinear_error(err) from err
    n_k = np.bincount(kb[redeemer] + leads, minlength=leads + lags + 1)
    dof = fit.clusters - 1
    q = float(stats.t.ppf(0.5 + ci / 2, dof))
    binned = [
        (j == -leads and int(k_red.min()) < -leads) or (j == lags and int(k_red.max()) > lags)
        for j in ks
    ]

    def table(coef: np.ndarray, vcov: np.ndarray, dof: int) -> pd.DataFrame:
        q = float(stats.t.ppf(0.5 + ci / 2, dof))
        se = np.sqrt(np.diag(vcov))
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 2 * stats.t.sf(np.abs(coef / se), dof)
        out = pd.DataFrame(
            {
                "k": ks,
                "estimate": coef,
                "se": se,
                "ci_low": coef - q * se,
                "ci_high": coef + q * se,
                "p": p,
                "n": [int(n_k[j + leads]) for j in ks],
                "binned": binned,
                "reference": False,
            }
        )
        ref = pd.DataFrame(
            {
                "k": [-1],
                "estimate": [0.0],
                "se": [np.nan],
                "ci_low": [np.nan],
                "ci_high": [np.nan],
                "p": [np.nan],
                "n": [int(n_k[leads - 1])],
                "binned": [False],
                "reference": [True],
            }
        )
        return pd.concat([out, ref]).sort_values("k").reset_index(drop=True)

    warns: list[str] = []
    twfe_table = table(fit.coef, fit.vcov, dof)
    coef, vcov = fit.coef, fit.vcov
    if estimator == "sun_abraham":
        # cohort: period of the first redemption, counted from the earliest (-1: never)
        e0 = int(np.nanmin(e_m[in_panel]))
        cohort = np.where(redeemer, np.nan_to_num(e_m - e0, nan=0.0)[member], -1).astype(np.int64)
        try:
            coef, vcov, sa_warns, clusters = _sun_abraham(
                y, member, period_code, cohort, kb, redeemer, leads, lags, ks
            )
        except InputError as err:
            if "collinear" in err.problem:
                raise _collinear_error(err) from err
            raise
        warns.extend(sa_warns)
        dof = clusters - 1
        q = float(stats.t.ppf(0.5 + ci / 2, dof))
    effects = table(coef, vcov, dof)
    lead_idx = [i for i, j in enumerate(ks) if j < -1]
    b_l, v_l = coef[lead_idx], vcov[np.ix_(lead_idx, lead_idx)]
    chi2 = float(b_l @ np.linalg.solve(v_l, b_l))
    p_pre = float(stats.chi2.sf(chi2, len(lead_idx)))
    a = np.array([1.0 / (lags + 1) if j >= 0 else 0.0 for j in ks])
    avg = float(a @ coef)
    avg_se = float(np.sqrt(a @ vcov @ a))
    avg_p = float(2 * stats.t.sf(abs(avg / avg_se), dof)) if avg_se > 0 else float("nan")
    lo, hi = avg - q * avg_se, avg + q * avg_se
    unit = "spend" if outcome == "spend" else "visits"
    if avg_p < 1 - ci:
        change = "more" if avg > 0 else "less"
        interp = (
            f"In the {lags + 1} {period}s from their first redemption on, redeemers' {unit} "
            f"per {period} was {abs(avg):.3g} {change} than members not yet redeeming would "
            f"predict ({ci:.0%} CI {lo:.3g} to {hi:.3g})."
        )
    else:
        interp = (
            f"No clear change of {unit} per {period} after a first redemption: on average "
            f"{avg:+.3g} over k = 0..{lags} ({ci:.0%} CI {lo:.3g} to {hi:.3g})."
        )
    if p_pre < 0.05:
        interp += (
            f" But redeemers already differed before redeeming (pre-trend p = {p_pre:.2g}): "
            "the estimates are doubtful."
        )
        warns.append(
            f"The leads are jointly significant (p = {p_pre:.3g}): redeemers' {unit} already "
            "moved before their first redemption; parallel trends are doubtful."
        )
    if fit.clusters < 42:
        warns.append(
            f"Only {fit.clusters} members (clusters): cluster-robust SEs can be too small "
            "with fewer than about 40-50 clusters (Cameron & Miller 2015)."
        )
    if n_outside:
        warns.append(
            f"{n_outside} ledger redeemer(s) have no transactions or first redeemed after the "
            "last period; those in the panel count as never-redeemers."
        )
    if estimator == "twfe":
        warns.append(
            "TWFE with staggered first redemptions can be biased when the effect differs by "
            "redemption period or changes with time since redemption (Sun & Abraham 2021); "
            "compare estimator='sun_abraham'."
        )
    return RedemptionEffect(
        outcome=outcome,
        period=period,
        estimator=estimator,
        leads=leads,
        lags=lags,
        effects=effects,
        pre_trend_chi2=chi2,
        pre_trend_df=len(lead_idx),
        pre_trend_p=p_pre,
        average_post=avg,
        average_post_se=avg_se,
        average_post_ci_low=lo,
        average_post_ci_high=hi,
        average_post_p=avg_p,
        n_rows=fit.n,
        n_members=n_members,
        n_redeemers=n_red,
        n_never_redeemers=n_members - n_red,
        n_redeemers_outside=n_outside,
        clusters=dof + 1,
        vcov=pd.DataFrame(vcov, index=ks, columns=ks),
        twfe_effects=twfe_table if estimator == "sun_abraham" else None,
        interpretation=interp,
        ci=ci,
        warning_messages=tuple(warns),
    )


# --------------------------------------------------------------------------- churn


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class RedeemerChurn(Result):
    """Churn of redeemers and non-redeemers (:func:`redeemer_churn`).

    Attributes
    ----------
    asof, window_start : pandas.Timestamp
        The window is (window_start, asof]; ``window_start = asof - window_days``.
    window_days : int
    rates : pandas.DataFrame
        Index ``redeemers``, ``non_redeemers``: ``members``, ``churned``,
        ``churn_rate``, ``ci_low``, ``ci_high`` (Wilson score interval).
    difference, difference_ci_low, difference_ci_high : float
        Churn rate of redeemers minus non-redeemers, Newcombe's hybrid score
        interval (``difference_method``).
    difference_method : str
    coefficients : pandas.DataFrame
        The logit of churned on ``redeemer``, ``tenure_years`` and
        ``log_purchase_days`` (with ``const``): ``estimate``, ``se``, ``z``,
        ``p``, ``ci_low``, ``ci_high``, ``odds_ratio``, ``or_ci_low``,
        ``or_ci_high``.
    odds_ratio, or_ci_low, or_ci_high, or_p : float
        The redeemer row of ``coefficients``.
    n_members : int
        Members with a purchase on or before ``window_start``.
    n_redeemed_in_window : int
        Non-redeemers at the window's start who first redeemed inside it.
    interpretation, caveat : str
    ci : float
    warning_messages : tuple of str
    """

    asof: pd.Timestamp
    window_start: pd.Timestamp
    window_days: int
    rates: pd.DataFrame
    difference: float
    difference_ci_low: float
    difference_ci_high: float
    difference_method: str
    coefficients: pd.DataFrame
    odds_ratio: float
    or_ci_low: float
    or_ci_high: float
    or_p: float
    n_members: int
    n_redeemed_in_window: int
    interpretation: str = ""
    caveat: str = CAVEAT_CHURN
    ci: float = 0.95
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The two groups' churn rates with their Wilson CIs."""
        return self.rates

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "asof": self.asof,
                "window_start": self.window_start,
                "window_days": self.window_days,
                "rates": self.rates.to_dict(orient="index"),
                "difference": self.difference,
                "difference_ci_low": self.difference_ci_low,
                "difference_ci_high": self.difference_ci_high,
                "difference_method": self.difference_method,
                "odds_ratio": self.odds_ratio,
                "or_ci_low": self.or_ci_low,
                "or_ci_high": self.or_ci_high,
                "or_p": self.or_p,
                "coefficients": self.coefficients.to_dict(orient="index"),
                "n_members": self.n_members,
                "n_redeemed_in_window": self.n_redeemed_in_window,
                "ci": self.ci,
                "interpretation": self.interpretation,
                "caveat": self.caveat,
                "warnings": self.warnings,
            }
        )

    def summary(self) -> str:
        text = (
            f"Churn = no purchase in ({self.window_start.date()}, {self.asof.date()}] "
            f"({self.window_days} days), {self.n_members} members active before\n\n"
            + self.rates.to_string()
            + f"\n\nDifference (redeemers - non-redeemers): {self.difference:+.4f} "
            f"({self.ci:.0%} CI {self.difference_ci_low:+.4f} to "
            f"{self.difference_ci_high:+.4f}, {self.difference_method})\n\n"
            + self.coefficients.to_string()
            + f"\n\n{self.interpretation}\n{self.caveat}"
        )
        return with_warnings(text, self.warnings)


def wilson_interval(x: int, n: int, ci: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion x/n (no continuity correction).

    As R ``prop.test(x, n, correct = FALSE)$conf.int``.

    >>> [round(v, 4) for v in wilson_interval(56, 70)]
    [0.6918, 0.877]
    """
    z = float(stats.norm.ppf(0.5 + ci / 2))
    p = x / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(mid - half, 0.0), min(mid + half, 1.0)


def newcombe_difference(
    x1: int, n1: int, x2: int, n2: int, ci: float = 0.95
) -> tuple[float, float, float]:
    """Difference of two independent proportions x1/n1 - x2/n2 with Newcombe's hybrid score CI.

    Newcombe (1998), method 10: from the Wilson intervals (l1, u1), (l2, u2),
    L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).

    >>> [round(v, 4) for v in newcombe_difference(56, 70, 48, 80)]
    [0.2, 0.0524, 0.3339]
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, ci)
    l2, u2 = wilson_interval(x2, n2, ci)
    d = p1 - p2
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def _logit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Logistic regression by Newton-Raphson: coefficients, inverse information, converged."""
    beta = np.zeros(x.shape[1])
    converged = False
    for _ in range(100):
        eta = np.clip(x @ beta, -700, 700)
        mu = 1 / (1 + np.exp(-eta))
        w = mu * (1 - mu)
        info = (x * w[:, None]).T @ x
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            converged = True
            break
    mu = 1 / (1 + np.exp(-np.clip(x @ beta, -700, 700)))
    info = (x * (mu * (1 - mu))[:, None]).T @ x
    return beta, np.linalg.inv(info), converged


def redeemer_churn(
    transactions: pd.DataFrame,
    ledger: PointsLedger | pd.DataFrame,
    *,
    asof: str | pd.Timestamp | None = None,
    window_days: int = 90,
    ci: float = 0.95,
    member_col: str = "member_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> RedeemerChurn:
    """Do redeemers churn less? Churn rates, their difference and an adjusted logit.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Member, date, amount (negative amounts are refunds, not purchases).
    ledger : PointsLedger or pandas.DataFrame
        The points ledger (its ``redeem`` rows).
    asof : date, keyword-only
        End of the churn window; default the last purchase date.
    window_days : int, keyword-only
        Length of the window (asof - window_days, asof].
    ci : float, keyword-only
    member_col, date_col, amount_col : str, keyword-only
        Column names in ``transactions``.

    Returns
    -------
    RedeemerChurn

    Raises
    ------
    InputError
        Bad transactions (naming the row); no member active before the window;
        no redeemer or no non-redeemer among them.
    ValueError
        ``window_days`` < 1, invalid ``ci``.

    Notes
    -----
    Members at risk: those with a purchase on or before the window's start
    ``s = asof - window_days``. Churned: no purchase in :math:`(s, asof]`.
    Redeemer: a first redemption on or before :math:`s` (status fixed at the
    window's start, so a redemption during the window, which itself needs a
    visit, does not count; ``n_redeemed_in_window`` counts those members).

    Churn rates get Wilson score intervals; their difference (redeemers minus
    non-redeemers) Newcombe's (1998) hybrid score interval (his method 10),
    which keeps its coverage with small counts and rates near 0 or 1, where
    the Wald interval does not.

    The logit is :math:`\\text{logit} P(\\text{churned}) = b_0 + b_1
    \\text{redeemer} + b_2 \\text{tenure\\_years} + b_3
    \\log(\\text{purchase\\_days})`, tenure from the first purchase day to
    :math:`s` (in years of 365.25 days), purchase days on or before :math:`s`
    (as :func:`~workbench.behaviour.churn.churn_features` counts them),
    maximum likelihood (Newton-Raphson), model-based SEs and Wald CIs, as
    ``glm(churned ~ redeemer + tenure_years + log_purchase_days, family =
    binomial)`` and statsmodels ``Logit``. The odds ratio is :math:`e^{b_1}`.

    It is an association, not an effect (see :data:`CAVEAT_CHURN`).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. *Statistics in
    Medicine*, 17(8), 873-890.
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA*, 22(158), 209-212.

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> days = pd.date_range("2024-01-01", periods=360, freq="D")
    >>> ids = rng.integers(0, 200, 3000)  # members 100-199 stop buying after 250 days
    >>> dates = np.where(ids < 100, rng.choice(days, 3000), rng.choice(days[:250], 3000))
    >>> tx = pd.DataFrame({"member_id": ids.astype(str), "date": dates, "amount": 10.0})
    >>> redeemers = [str(i) for i in range(0, 120, 2)]
    >>> led = pd.DataFrame({"member_id": redeemers * 2,
    ...     "date": ["2024-01-01"] * 60 + ["2024-03-01"] * 60,
    ...     "type": ["earn"] * 60 + ["redeem"] * 60, "points": [100] * 120})
    >>> rc = redeemer_churn(tx, led)
    >>> rc.rates[["members", "churned"]].to_numpy().tolist()
    [[60, 12], [140, 90]]
    """
    if (
        not isinstance(window_days, (int, np.integer))
        or isinstance(window_days, bool)
        or window_days < 1
    ):
        raise ValueError(f"window_days={window_days!r} is not valid: use an integer >= 1")
    ci = check_ci(ci)
    tx = _transactions(transactions, member_col, date_col, amount_col)
    led = _as_ledger(ledger)
    buys = tx[tx["amount"] >= 0]
    if buys.empty:
        raise InputError("The transactions have no purchases.", file="<transactions>")
    end = pd.Timestamp(asof).normalize() if asof is not None else buys["date"].max().normalize()
    start = end - pd.Timedelta(days=int(window_days))
    if not (buys["date"] <= start).any():
        raise InputError(
            f"No member bought on or before the window's start {start.date()}.",
            value=str(end.date()),
            hint="Use a later asof or a shorter window_days.",
        )
    feats = churn_features(tx, cutoff=start, features="rfm")
    in_window = buys[(buys["date"] > start) & (buys["date"] < end + pd.Timedelta(days=1))]
    active = pd.Index(in_window["member_id"].unique())
    members = feats.index.astype(str)
    churned = (~members.isin(active)).astype(float)
    first = _first_redemptions(led)
    e = first.reindex(members)
    redeemer = (e.notna() & (e <= start)).to_numpy()
    n_in_window = int((e.notna() & (e > start) & (e <= end)).sum())
    n1, n0 = int(redeemer.sum()), int((~redeemer).sum())
    if n1 == 0 or n0 == 0:
        raise InputError(
            f"Among the {len(members)} members active before {start.date()}, {n1} had "
            f"redeemed and {n0} had not: a comparison needs both.",
            file=led.source,
            column="type",
            hint="Check that the ledger and transactions share member ids, or move asof.",
        )
    x1, x0 = int(churned[redeemer].sum()), int(churned[~redeemer].sum())
    rows = {}
    for name, x, n in (("redeemers", x1, n1), ("non_redeemers", x0, n0)):
        lo_, hi_ = wilson_interval(x, n, ci)
        rows[name] = {
            "members": n,
            "churned": x,
            "churn_rate": x / n,
            "ci_low": lo_,
            "ci_high": hi_,
        }
    rates = pd.DataFrame.from_dict(rows, orient="index")
    rates["members"] = rates["members"].astype("int64")
    rates["churned"] = rates["churned"].astype("int64")
    d, d_lo, d_hi = newcombe_difference(x1, n1, x0, n0, ci)
    tenure = feats["tenure_days"].to_numpy(dtype=float) / 365.25
    logp = np.log(feats["frequency"].to_numpy(dtype=float))
    design = np.column_stack([np.ones(len(members)), redeemer.astype(float), tenure, logp])
    terms = ["const", "redeemer", "tenure_years", "log_purchase_days"]
    warns: list[str] = []
    if churned.min() == churned.max():
        fit_ok = False
        warns.append(
            f"{'Every' if churned[0] else 'No'} member active before {start.date()} churned: "
            "the logit cannot be fitted (its coefficients are missing)."
        )
    elif np.linalg.matrix_rank(design) < design.shape[1]:
        fit_ok = False
        warns.append(
            "The logit's covariates are collinear (too few members, or every member with the "
            "same tenure or purchase days): its coefficients are missing."
        )
    else:
        fit_ok = True
    if fit_ok:
        beta, cov, converged = _logit(design, churned)
        if not converged:
            warns.append(
                "The logit did not converge (separation: a group with no or only churners?); "
                "its odds ratio is unreliable."
            )
    else:
        beta, cov = np.full(len(terms), np.nan), np.full((len(terms), len(terms)), np.nan)
    se = np.sqrt(np.diag(cov))
    z = float(stats.norm.ppf(0.5 + ci / 2))
    coefs = pd.DataFrame(
        {
            "estimate": beta,
            "se": se,
            "z": beta / se,
            "p": 2 * stats.norm.sf(np.abs(beta / se)),
            "ci_low": beta - z * se,
            "ci_high": beta + z * se,
        },
        index=pd.Index(terms, name="term"),
    )
    coefs["odds_ratio"] = np.exp(coefs["estimate"])
    coefs["or_ci_low"] = np.exp(coefs["ci_low"])
    coefs["or_ci_high"] = np.exp(coefs["ci_high"])
    r = coefs.loc["redeemer"]
    less = "less" if d < 0 else "more"
    interp = (
        f"{x1 / n1:.1%} of redeemers and {x0 / n0:.1%} of non-redeemers made no purchase in "
        f"the {window_days} days to {end.date()}: redeemers churned {abs(d) * 100:.1f} "
        f"percentage points {less} ({ci:.0%} CI {d_lo * 100:+.1f} to {d_hi * 100:+.1f}); "
        + (
            f"with tenure and purchases held equal the odds ratio is {r['odds_ratio']:.2f} "
            f"({ci:.0%} CI {r['or_ci_low']:.2f} to {r['or_ci_high']:.2f}). "
            if fit_ok
            else "the adjusted logit could not be fitted. "
        )
        + "An association, not an effect of redeeming."
    )
    if min(x1, n1 - x1, x0, n0 - x0) < 5:
        warns.append("A group has fewer than 5 churners or stayers: the logit's Wald CI is rough.")
    return RedeemerChurn(
        asof=end,
        window_start=start,
        window_days=int(window_days),
        rates=rates,
        difference=d,
        difference_ci_low=d_lo,
        difference_ci_high=d_hi,
        difference_method="Newcombe (1998) hybrid score (method 10), from Wilson intervals",
        coefficients=coefs,
        odds_ratio=float(r["odds_ratio"]),
        or_ci_low=float(r["or_ci_low"]),
        or_ci_high=float(r["or_ci_high"]),
        or_p=float(r["p"]),
        n_members=len(members),
        n_redeemed_in_window=n_in_window,
        interpretation=interp,
        ci=ci,
        warning_messages=tuple(warns),
    )
