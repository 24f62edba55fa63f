"""Programme evaluation: did a loyalty initiative work, and does attitude show in behaviour?

The honest version of "repurchase rate +30%": an effect with a comparison group,
a confidence interval and a check of its assumptions.

- :func:`member_period_panel` turns transactions into a zero-filled member x period
  panel (purchases, spend, active, retained).
- :func:`difference_in_differences` and :func:`event_study`: two-way fixed effects
  (member and period) with member-clustered CR1 standard errors, a pre-trend test
  on the leads and the effect by horizon since launch; ``model="poisson"`` fits
  the same design by Poisson pseudo-ML for multiplicative (percentage) effects.
- :func:`interrupted_time_series`: segmented regression with Newey-West SEs for
  when there is no comparison group (with the caveat that says what that costs).
- :func:`net_promoter_score`, :func:`nps_by`, :func:`nps_change`: NPS with its
  multinomial standard error.
- :func:`loyalty_matrix`: Dick & Basu's (1994) attitude x repeat-patronage matrix.

All regressions match R: ``lm(y ~ x + factor(member) + factor(period))`` with
``sandwich::vcovCL(fit, cluster = ~member, type = "HC1")`` (see
``tests/reference/r_evaluation.R``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.behaviour.clv import check_transaction_frame
from workbench.errors import InputError
from workbench.results import Result, fields_dict, jsonable, with_warnings
from workbench.validation import check_choice, check_ci

__all__ = [
    "NPS",
    "DiDResult",
    "EventStudyResult",
    "ITSResult",
    "LoyaltyMatrix",
    "NPSChange",
    "difference_in_differences",
    "event_study",
    "interrupted_time_series",
    "loyalty_matrix",
    "member_period_panel",
    "net_promoter_score",
    "nps_by",
    "nps_change",
]

Period = Literal["month", "week", "quarter"]
_PERIODS = ("month", "week", "quarter")
_FREQ = {"month": "M", "week": "W-SUN", "quarter": "Q"}
Outcome = Literal["frequency", "spend", "retention"]
_OUTCOMES = ("frequency", "spend", "retention")
_OUTCOME_COL = {"frequency": "purchases", "spend": "spend", "retention": "retained"}
_CLUSTERS = ("member",)
ModelKind = Literal["linear", "poisson"]
_MODELS = ("linear", "poisson")
_HORIZONS = (("short", 0, 3), ("medium", 4, 12), ("long", 13, None))
CAVEAT_ITS = (
    "No comparison group: the level and slope changes at launch are confounded with "
    "anything else that changed at the same time (prices, season, competitors, the "
    "economy, data definitions), in either direction. Read them as the change at "
    "launch, not as the programme's effect."
)


# --------------------------------------------------------------------------- panel


def member_period_panel(
    transactions: pd.DataFrame,
    *,
    period: Period = "month",
    members: pd.DataFrame | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """A zero-filled member x period panel of purchasing.

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``member_id``, ``date`` (datetime) and ``amount``. Negative amounts are
        refunds and are not purchases. With an ``order_id`` column a purchase is
        a distinct order; otherwise each non-negative row is one purchase.
    period : {"month", "week", "quarter"}
        Calendar months, ISO weeks (Monday to Sunday) or calendar quarters.
    members : pandas.DataFrame, optional
        ``member_id`` and optionally ``join_date``. Members listed here without
        transactions get all-zero rows (from their join date, or from the first
        period of the panel when they have none).
    start, end : date, optional
        First and last day of the panel; default the first and last transaction.
        With ``members.join_date`` the default start is the earlier of the
        first transaction and the first join date. A member's rows run from the
        period of their first activity (the earlier of ``join_date`` and the
        first transaction, refunds included) or ``start``, whichever is later,
        to the period of ``end``.

    Returns
    -------
    pandas.DataFrame
        One row per member and period, sorted: ``member_id`` (str), ``period``
        (start date of the period), ``purchases`` (int), ``spend`` (sum of the
        purchase amounts; refunds are not netted off), ``active`` (1 with at
        least one purchase), ``retained`` (float: 1 if active this period and
        last, 0 if active last period only, missing when the member was not
        active last period or this is their first period, i.e. not at risk).

    Notes
    -----
    The panel is balanced within each member (no gaps) but not across members:
    members enter at their first activity. :func:`difference_in_differences`
    handles such unbalanced panels exactly (fixed effects by demeaning and
    period dummies).

    Examples
    --------
    >>> tx = pd.DataFrame({"member_id": ["a", "a", "b", "a"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-03", "2024-03-01"]),
    ...     "amount": [10.0, 5.0, 8.0, -5.0]})
    >>> member_period_panel(tx)  # doctest: +NORMALIZE_WHITESPACE
      member_id     period  purchases  spend  active  retained
    0         a 2024-01-01          2   15.0       1       NaN
    1         a 2024-02-01          0    0.0       0       0.0
    2         a 2024-03-01          0    0.0       0       NaN
    3         b 2024-02-01          1    8.0       1       NaN
    4         b 2024-03-01          0    0.0       0       0.0
    """
    check_choice("period", period, _PERIODS)
    freq = _FREQ[period]
    tx = check_transaction_frame(transactions)
    if tx.empty and members is None:
        raise InputError("transactions are empty", hint="pass at least one transaction")
    lo = pd.Timestamp(start) if start is not None else tx["date"].min()
    if start is None and members is not None and "join_date" in getattr(members, "columns", []):
        joined = pd.to_datetime(members["join_date"]).min()
        lo = joined if pd.isna(lo) or (pd.notna(joined) and joined < lo) else lo
    hi = pd.Timestamp(end) if end is not None else tx["date"].max()
    if pd.isna(lo) or pd.isna(hi) or lo > hi:
        raise InputError(
            "the panel has no periods (start after end, or no dates)",
            value=f"{lo} .. {hi}",
            hint="check start and end",
        )
    o_lo = pd.Period(lo, freq=freq).ordinal
    o_hi = pd.Period(hi, freq=freq).ordinal
    # Everything below works on integer codes and positions: no copy of the frame per
    # step, no groupby or MultiIndex on the member-id strings.
    within = (
        tx["date"] <= hi.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    ).to_numpy()
    if not within.all():
        tx = tx[within]
    o = tx["date"].dt.to_period(freq).array.asi8
    tx_codes, tx_ids = pd.factorize(tx["member_id"], sort=True)
    first_o = np.full(len(tx_ids), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_o, tx_codes, o)
    first = pd.Series(first_o, index=pd.Index(tx_ids, name="member_id"))
    if members is not None:
        if not isinstance(members, pd.DataFrame) or "member_id" not in members.columns:
            raise InputError(
                "members must be a DataFrame with a member_id column",
                hint="pass e.g. members[['member_id', 'join_date']]",
            )
        mids = members["member_id"].astype(str)
        if "join_date" in members.columns:
            jd = pd.to_datetime(members["join_date"])
            jo = (
                pd.Series(
                    np.where(jd.isna(), np.nan, jd.dt.to_period(freq).array.asi8.astype(float)),
                    index=mids.to_numpy(),
                )
                .groupby(level=0)
                .min()
            )
            first = pd.concat([first.astype(float), jo], axis=1).min(axis=1)
        extra = pd.Index(mids.unique()).difference(first.index)
        first = pd.concat([first.astype(float), pd.Series(np.nan, index=extra)])
        first = first.fillna(o_lo)
    first = first.astype("int64").clip(lower=o_lo).sort_index()
    first = first[first <= o_hi]
    first_p = first.to_numpy()
    lengths = (o_hi - first_p + 1).astype("int64")
    n_rows = int(lengths.sum())
    row0 = np.cumsum(lengths) - lengths  # each member's first panel row
    owner = np.repeat(np.arange(len(first)), lengths)
    at = np.arange(n_rows)  # -> each row's period, counted from o_lo
    at -= row0[owner]
    at += (first_p - o_lo)[owner]

    # Every purchase falls in its member's rows: a member starts at or before the period
    # of their first transaction (or at o_lo, and earlier purchases are left out), and
    # no transaction is after `hi`.
    amount = tx["amount"].to_numpy()
    buy = (amount >= 0) & (o >= o_lo)
    member = first.index.get_indexer(tx_ids)[tx_codes[buy]]
    row = row0[member] + (o[buy] - first_p[member])
    if "order_id" in transactions.columns:
        # row for row with tx: check_transaction_frame keeps every row, in order
        orders = transactions["order_id"]
        orders = orders[within] if not within.all() else orders
        o_codes, o_uni = pd.factorize(orders[buy])  # -1: no order id, not counted
        width = max(len(o_uni), 1)
        has = o_codes >= 0
        pairs = np.unique(row[has] * width + o_codes[has])
        purchases = np.bincount(pairs // width, minlength=n_rows).astype("int64", copy=False)
    else:
        purchases = np.bincount(row, minlength=n_rows).astype("int64", copy=False)
    # pandas' grouped sum (compensated, in row order), as the groupby it replaces
    sums = pd.Series(amount[buy]).groupby(row).sum()
    spend = np.zeros(n_rows)
    spend[sums.index.to_numpy()] = sums.to_numpy()
    active = (purchases > 0).astype("int64")
    retained = active.astype(float)  # at risk: active last period, same member
    retained[1:][active[:-1] == 0] = np.nan
    retained[row0] = np.nan
    starts = pd.PeriodIndex.from_ordinals(np.arange(o_lo, o_hi + 1), freq=freq).start_time
    return pd.DataFrame(
        {
            "member_id": first.index.astype(str).take(owner),
            "period": starts.astype("datetime64[ns]").take(at),
            "purchases": purchases,
            "spend": spend,
            "active": active,
            "retained": retained,
        },
        copy=False,  # fresh arrays of our own: no consolidating copy
    )


# --------------------------------------------------------------------------- TWFE core


@dataclasses.dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    vcov: np.ndarray
    n: int
    clusters: int
    k: int  # every coefficient of the equivalent lm(): intercept, member and period dummies


def _compress(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber codes 0..size-1 to 0..m-1 without gaps; also return which were used."""
    used = np.bincount(codes, minlength=size) > 0
    if used.all():
        return codes, used
    return (np.cumsum(used) - 1)[codes], used


def _weighted_gram(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_g w_g a_g a_g' (w >= 0) for the rows a_g of ``a``.

    einsum, not BLAS: OpenBLAS's threaded Gram product can stall on busy machines.
    """
    b = a * np.sqrt(w)[:, None]
    return np.einsum("gj,gk->jk", b, b)


class _Design:
    """The regressors Z of a two-way fixed-effects model, held as codes, not dummies.

    Columns ``0..nx-1`` of Z are treatment indicators, each row in at most one of them
    (``cell`` = its column, -1 for none): treated x post, or one binned relative
    period. Columns ``nx..`` are the dummies of periods ``1..t-1`` (period 0 is the
    reference). Member effects are not columns: the fitters demean them away or
    concentrate them out. So every product the fitters need, Z'w, Z' diag(w) Z, the
    member sums of diag(w) Z and Z b, is a bincount over integer codes: O(n) time and
    memory, and O(members x periods) for the member sums, never the dense
    n x (nx + t - 1) matrix (1 GB for an event study on the 3.2 million member-months
    of 200,000 members over 24 months).

    Codes of members and periods without rows are dropped (as a fresh
    ``pd.factorize`` of the rows would), so ``g`` and ``t`` count what is used.
    """

    def __init__(self, cell: np.ndarray, member: np.ndarray, period: np.ndarray, nx: int):
        n = len(cell)
        member, _ = _compress(member, int(member.max()) + 1 if n else 0)
        period, _ = _compress(period, int(period.max()) + 1 if n else 0)
        self.n, self.nx = n, nx
        self.g = int(member.max()) + 1 if n else 0
        self.t = int(period.max()) + 1 if n else 0
        self.k = nx + self.t - 1
        self.member = member
        self.counts = np.bincount(member, minlength=self.g)
        cx = cell + 1  # 0: no treatment column
        self._cell_period = cx * self.t + period
        cx += member * (nx + 1)
        self._member_cell = cx
        self._member_period = member * self.t + period

    def _table(self, w: np.ndarray) -> np.ndarray:
        """Sums of w by treatment column (row 0: none) and period, (nx + 1) x t."""
        tab = np.bincount(self._cell_period, weights=w, minlength=(self.nx + 1) * self.t)
        return tab.reshape(self.nx + 1, self.t)

    def cross(self, w: np.ndarray) -> np.ndarray:
        """Z'w."""
        tab = self._table(w)
        return np.r_[tab[1:].sum(axis=1), tab.sum(axis=0)[1:]]

    def gram(self, w: np.ndarray) -> np.ndarray:
        """Z' diag(w) Z: diagonal blocks (one 1 per row and block) and the cross table."""
        tab = self._table(w)
        nx, out = self.nx, np.zeros((self.k, self.k))
        ix, ip = np.arange(nx), nx + np.arange(self.t - 1)
        out[ix, ix] = tab[1:].sum(axis=1)
        out[ip, ip] = tab.sum(axis=0)[1:]
        out[:nx, nx:] = tab[1:, 1:]
        out[nx:, :nx] = tab[1:, 1:].T
        return out

    def member_sums(self, w: np.ndarray) -> np.ndarray:
        """Column sums of diag(w) Z by member, g x k."""
        g, t, nx = self.g, self.t, self.nx
        out = np.empty((g, self.k))
        by_cell = np.bincount(self._member_cell, weights=w, minlength=g * (nx + 1))
        out[:, :nx] = by_cell.reshape(g, nx + 1)[:, 1:]
        by_period = np.bincount(self._member_period, weights=w, minlength=g * t)
        out[:, nx:] = by_period.reshape(g, t)[:, 1:]
        return out

    def member_means(self, v: np.ndarray) -> np.ndarray:
        """Mean of v by member, length g."""
        return np.bincount(self.member, weights=v, minlength=self.g) / self.counts

    def fitted(self, beta: np.ndarray) -> np.ndarray:
        """Z beta."""
        by_cell_period = np.add.outer(np.r_[0.0, beta[: self.nx]], np.r_[0.0, beta[self.nx :]])
        return by_cell_period.ravel()[self._cell_period]


def _collinear(names: list[str], hint: str) -> InputError:
    """The error for treatment terms that the fixed effects absorb."""
    return InputError(
        "the treatment terms are collinear with the member and period effects",
        value=", ".join(names),
        hint=hint,
    )


def _twfe(
    y: np.ndarray,
    cell: np.ndarray,
    member: np.ndarray,
    period: np.ndarray,
    names: list[str],
) -> _Fit:
    """OLS of y on Z with member fixed effects; CR1 covariance by member.

    Z is the :class:`_Design` of ``cell`` (treatment column of each row, -1 for none;
    ``len(names)`` columns), ``member`` and ``period`` (integer codes).

    Member effects by demeaning (Frisch-Waugh-Lovell), period effects as (implicit)
    dummies, so unbalanced panels are exact. With a_g the member-g column sums of Z
    and n_g its rows, the demeaned cross-products are Z'Z - sum_g a_g a_g' / n_g and
    Z'(y - ybar_g) (the demeaned y sums to zero within each member, as do the
    residuals u, so the member scores are Z_g' u_g). Covariance: ``vcovCL(type = "HC1")``,
    G/(G-1) (n-1)/(n-k), k counting the intercept and all dummies.
    """
    d = _Design(cell, member, period, len(names))
    n, g, m = d.n, d.g, d.member
    ones = np.ones(n)
    a = d.member_sums(ones)
    xtx = d.gram(ones) - _weighted_gram(a, 1 / d.counts)
    rank = np.linalg.matrix_rank(xtx)
    if rank < xtx.shape[0]:
        raise _collinear(
            names,
            "check that treated and control members are both observed before and "
            "after launch, and reduce leads/lags",
        )
    xtx_inv = np.linalg.inv(xtx)
    yd = y - d.member_means(y)[m]
    b = xtx_inv @ d.cross(yd)
    zb = d.fitted(b)
    u = yd - (zb - d.member_means(zb)[m])
    scores = d.member_sums(u)
    meat = np.einsum("gj,gk->jk", scores, scores)
    k = d.k + g  # + intercept + (g - 1) member dummies
    adj = g / (g - 1) * (n - 1) / (n - k)
    vcov = adj * xtx_inv @ meat @ xtx_inv
    nx = d.nx
    return _Fit(coef=b[:nx], vcov=vcov[:nx, :nx], n=n, clusters=g, k=k)


def _ppml(
    y: np.ndarray,
    cell: np.ndarray,
    member: np.ndarray,
    period: np.ndarray,
    names: list[str],
) -> _Fit:
    """Poisson (pseudo-)ML with member and period fixed effects; CR1 covariance by member.

    Member effects are concentrated out (alpha_i = log(sum_t y_it / sum_t exp(z_it theta)));
    Newton steps on theta = (treatment coefficients, period dummies) with the
    concentrated Hessian Z' diag(mu) Z - sum_g a_g a_g' / sum_t y_gt, a_g the member-g
    sums of diag(mu) Z. Members whose outcome is 0 in every period carry no information
    and are dropped. Covariance: H^-1 (sum_g s_g s_g') H^-1 times G/(G-1) (n-1)/(n-k),
    as ``vcovCL(glm(...), type = "HC1")``.
    """
    if (y < 0).any():
        raise InputError(
            "the Poisson model needs a non-negative outcome",
            hint="use model='linear' for outcomes that can be negative",
        )
    sy = np.bincount(member, weights=y)
    keep = sy[member] > 0
    if not keep.all():
        y, cell, member, period = y[keep], cell[keep], member[keep], period[keep]
    del keep
    d = _Design(cell, member, period, len(names))
    n, g, m = d.n, d.g, d.member
    sy = np.bincount(m, weights=y, minlength=g)

    def mean_and_hessian(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = d.fitted(theta)
        eta -= d.member_means(eta)[m]
        e = np.exp(eta)
        mu = sy[m] * e / np.bincount(m, weights=e, minlength=g)[m]
        hess = d.gram(mu) - _weighted_gram(d.member_sums(mu), 1 / sy)
        return mu, hess

    theta = np.zeros(d.k)
    for _ in range(100):
        mu, hess = mean_and_hessian(theta)
        grad = d.cross(y - mu)
        if np.linalg.matrix_rank(hess) < hess.shape[0]:
            raise _collinear(
                names, "check that treated and control members both buy before and after launch"
            )
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    mu, hess = mean_and_hessian(theta)
    h_inv = np.linalg.inv(hess)
    scores = d.member_sums(y - mu)
    meat = np.einsum("gj,gk->jk", scores, scores)
    k = d.k + g
    vcov = g / (g - 1) * (n - 1) / (n - k) * h_inv @ meat @ h_inv
    nx = d.nx
    return _Fit(coef=theta[:nx], vcov=vcov[:nx, :nx], n=n, clusters=g, k=k)


@dataclasses.dataclass(frozen=True)
class _Rows:
    """The usable panel rows as arrays (no strings, no DataFrame copies).

    ``member`` and ``period`` are codes of the sorted member ids and periods that have
    rows (``0..g-1``, ``0..t-1``); ``treated`` is the member's flag on each row; ``k``
    counts periods since launch.
    """

    y: np.ndarray
    member: np.ndarray
    period: np.ndarray
    treated: np.ndarray
    k: np.ndarray


def _prepare(
    panel: pd.DataFrame,
    outcome: str,
    treated: pd.Series,
    launch_date: Any,
) -> tuple[_Rows, pd.Timestamp, int]:
    """Validate the panel; return its usable rows, the launch period and its index."""
    check_choice("outcome", outcome, _OUTCOMES)
    col = _OUTCOME_COL[outcome]
    if not isinstance(panel, pd.DataFrame):
        raise InputError("panel must be a DataFrame (see member_period_panel)")
    missing = [c for c in ("member_id", "period", col) if c not in panel.columns]
    if missing:
        raise InputError(
            f"the panel lacks the column(s) {missing}",
            hint="build it with workbench.behaviour.evaluation.member_period_panel",
        )
    if not isinstance(treated, pd.Series):
        raise InputError(
            "treated must be a pandas Series indexed by member_id with True/False values",
            hint="e.g. members.set_index('member_id')['in_programme'].astype(bool)",
        )
    tr = treated.copy()
    tr.index = tr.index.astype(str)
    tr = tr[~tr.index.duplicated()].astype(bool)
    ids = panel["member_id"].astype(str)
    per = pd.to_datetime(panel["period"]).to_numpy()
    if np.isnat(per).any():
        i = int(np.flatnonzero(np.isnat(per))[0])
        raise InputError("the panel has a missing period", column="period", row=i + 1)
    m_codes, m_uni = pd.factorize(ids, sort=True, use_na_sentinel=False)
    p_codes, p_uni = pd.factorize(per, sort=True)
    y = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=float)
    key = m_codes.astype(np.int64) * len(p_uni) + p_codes
    if not (key[1:] > key[:-1]).all():  # sorted by member and period: no duplicates
        dup = pd.Series(key).duplicated().to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise InputError(
                "the panel has more than one row for a member and period",
                row=i + 1,
                value=f"{ids.iloc[i]} {pd.Timestamp(per[i]).date()}",
                hint="build the panel with member_period_panel (one row per member x period)",
            )
    del key
    finite = np.isfinite(y)
    if not finite.all():
        y, m_codes, p_codes = y[finite], m_codes[finite], p_codes[finite]
    m_codes, m_used = _compress(m_codes, len(m_uni))
    p_codes, p_used = _compress(p_codes, len(p_uni))
    m_uni, periods = m_uni[m_used], np.asarray(p_uni)[p_used]
    flag = tr.reindex(m_uni)
    unknown = flag.isna().to_numpy()
    if unknown.any():
        first = int(np.flatnonzero(unknown[m_codes])[0])
        raise InputError(
            f"{int(unknown.sum())} member(s) of the panel are not in `treated`",
            value=m_uni[m_codes[first]],
            hint="give every member of the panel a True/False treatment flag",
        )
    tr_m = flag.astype(bool).to_numpy()
    n_t = int(tr_m.sum())
    n_c = len(tr_m) - n_t
    if n_t == 0 or n_c == 0:
        raise InputError(
            f"the panel has {n_t} treated and {n_c} control member(s); a difference in "
            "differences needs both",
            hint="check the treatment flags; without a comparison group use "
            "interrupted_time_series (and read its caveat)",
        )
    launch = pd.Timestamp(launch_date)
    if launch < pd.Timestamp(periods[0]) or launch > pd.Timestamp(periods[-1]):
        last = pd.Timestamp(periods[-1]).date()
        raise InputError(
            "the launch date is outside the panel's periods"
            + (
                f" (it falls after the start of the last period, {last}: no period would "
                "begin at or after the launch to measure an effect in)"
                if launch > pd.Timestamp(periods[-1])
                else ""
            ),
            value=str(launch.date()),
            hint=f"use a launch date between {pd.Timestamp(periods[0]).date()} and "
            f"{last} (launches are placed in the period that starts on or before them), or "
            "extend the panel",
        )
    i0 = int(np.searchsorted(periods, np.datetime64(launch), side="right") - 1)
    if i0 < 1:
        raise InputError(
            "there is no period before launch",
            value=str(launch.date()),
            hint="use data that starts before the launch date",
        )
    rows = _Rows(y=y, member=m_codes, period=p_codes, treated=tr_m[m_codes], k=p_codes - i0)
    return rows, pd.Timestamp(periods[i0]), i0


def _t_p(est: np.ndarray, se: np.ndarray, df: int) -> np.ndarray:
    return 2 * stats.t.sf(np.abs(est / se), df)


# --------------------------------------------------------------------------- event study


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class EventStudyResult(Result):
    """Leads and lags of a programme launch (:func:`event_study`).

    Attributes
    ----------
    outcome : str
    launch_period : pandas.Timestamp
        Start of the period containing the launch date (k = 0).
    leads, lags : int
    table : pandas.DataFrame
        ``k`` (periods since launch; -leads and lags are binned ends, -1 is the
        reference and reported as 0 with no SE), ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``p``, ``binned``, ``reference``.
    pretrend_chi2, pretrend_df, pretrend_p : float, int, float
        Joint Wald test that all leads (k <= -2) are zero: b' V^-1 b, chi-square
        with as many df as leads, V the cluster-robust covariance.
    horizons : pandas.DataFrame
        :attr:`effect_by_horizon`.
    vcov : pandas.DataFrame
        Cluster-robust covariance of the relative-period coefficients.
    n, clusters : int
    ci : float
    model : str
        ``"linear"`` or ``"poisson"`` (coefficients are log ratios).
    warning_messages : tuple of str
    """

    outcome: str
    launch_period: pd.Timestamp
    leads: int
    lags: int
    table: pd.DataFrame
    pretrend_chi2: float
    pretrend_df: int
    pretrend_p: float
    horizons: pd.DataFrame
    vcov: pd.DataFrame = dataclasses.field(repr=False)
    n: int = 0
    clusters: int = 0
    ci: float = 0.95
    model: str = "linear"
    warning_messages: tuple[str, ...] = ()

    @property
    def effect_by_horizon(self) -> pd.DataFrame:
        """Average lag effect by horizon: ``short`` (k 0-3), ``medium`` (4-12), ``long`` (13+).

        Columns ``k_from``, ``k_to``, ``n_k`` (lag coefficients averaged),
        ``estimate``, ``se`` (sqrt(a' V a)), ``ci_low``, ``ci_high``, ``p``. A
        horizon with no lag coefficient (e.g. ``long`` when lags < 13) is
        missing; the binned last lag counts at its own k.
        """
        return self.horizons

    def to_frame(self) -> pd.DataFrame:
        """The tidy table, indexed by ``k``."""
        return self.table.set_index("k")

    def to_dict(self) -> dict[str, Any]:
        """``{k: {estimate, ci_low, ci_high, se, p}}`` (k as a string key).

        ``se`` is the member-clustered standard error and ``p`` its two-sided test (as
        :attr:`table`); the reference period ``-1`` has estimate 0 and ``None`` for the
        others.
        """
        t = self.table.set_index("k")[["estimate", "ci_low", "ci_high", "se", "p"]]
        return {str(int(k)): jsonable(row.to_dict()) for k, row in t.iterrows()}

    def summary(self) -> str:
        text = (
            f"Event study of {self.outcome}: launch period {self.launch_period.date()}, "
            f"n = {self.n}, clusters = {self.clusters}\n"
            f"Pre-trend test (leads = 0): chi2({self.pretrend_df}) = "
            f"{self.pretrend_chi2:.3f}, p = {self.pretrend_p:.4f}\n\n"
            + self.to_frame().to_string()
            + "\n\nEffect by horizon:\n"
            + self.horizons.to_string()
        )
        text = with_warnings(text, self.warnings)
        return text


def event_study(
    panel: pd.DataFrame,
    *,
    outcome: Outcome,
    treated: pd.Series,
    launch_date: str | pd.Timestamp,
    leads: int = 6,
    lags: int = 12,
    model: ModelKind = "linear",
    ci: float = 0.95,
) -> EventStudyResult:
    """Event study: two-way fixed effects with relative-period dummies.

    Parameters
    ----------
    panel : pandas.DataFrame
        From :func:`member_period_panel` (``member_id``, ``period`` and the
        outcome column).
    outcome : {"frequency", "spend", "retention"}
        ``purchases``, ``spend`` or ``retained`` per member-period (see
        :func:`difference_in_differences`).
    treated : pandas.Series
        member_id -> bool; every member of the panel needs a flag.
    launch_date : date
        The period containing it is k = 0.
    leads, lags : int
        Relative periods k = -leads..lags for treated members; k <= -leads and
        k >= lags are binned into the end dummies; k = -1 is the reference.
        ``leads >= 2`` (one lead to test) and ``lags >= 0``.
    model : {"linear", "poisson"}
        ``"linear"``: OLS, coefficients in the outcome's units. ``"poisson"``:
        Poisson pseudo-ML with the same fixed effects, coefficients are log
        ratios (see :func:`difference_in_differences`).
    ci : float
        Confidence level.

    Returns
    -------
    EventStudyResult

    Notes
    -----
    Model: y_it = a_i + g_t + sum_{k != -1} b_k D_it^k + e_it, with D^k = 1 for
    treated member i in period t with binned t - t0 = k. Member effects are
    removed by demeaning and period effects are dummies, which is exactly
    ``lm(y ~ D + factor(member) + factor(period))``. Covariance: CR1 clustered by
    member, ``sandwich::vcovCL(fit, cluster = ~member, type = "HC1")``,
    G/(G-1) (n-1)/(n-k) with k all lm coefficients (Stata ``areg, vce(cluster)``).
    p values and CIs use t with G - 1 df. Pre-trend test: Wald chi-square of
    the leads. Horizon effects average the lag coefficients in the horizon,
    SE sqrt(a' V a). With a single launch date (no staggered adoption) the
    TWFE event study has no negative-weight problem (Sun & Abraham 2021).

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*,
    ch. 5. Princeton University Press.
    Sun, L., & Abraham, S. (2021). Estimating dynamic treatment effects in
    event studies with heterogeneous treatment effects. *Journal of
    Econometrics*, 225(2), 175-199.
    Zeileis, A., Koell, S., & Graham, N. (2020). Various versatile variances:
    sandwich. *Journal of Statistical Software*, 95(1) (R ``vcovCL``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ids = np.repeat([f"m{i}" for i in range(40)], 10)
    >>> per = np.tile(pd.date_range("2024-01-01", periods=10, freq="MS"), 40)
    >>> tr = pd.Series(np.arange(40) < 20, index=[f"m{i}" for i in range(40)])
    >>> post = (per >= pd.Timestamp("2024-06-01")) & tr.reindex(ids).to_numpy()
    >>> panel = pd.DataFrame({"member_id": ids, "period": per,
    ...     "purchases": rng.poisson(1 + 0.5 * post)})
    >>> es = event_study(panel, outcome="frequency", treated=tr,
    ...     launch_date="2024-06-15", leads=3, lags=3)
    >>> es.table["k"].tolist()
    [-3, -2, -1, 0, 1, 2, 3]
    """
    ci = check_ci(ci)
    check_choice("model", model, _MODELS)
    if not (isinstance(leads, (int, np.integer)) and leads >= 2):
        raise ValueError(f"leads must be an integer >= 2, got {leads!r}")
    if not (isinstance(lags, (int, np.integer)) and lags >= 0):
        raise ValueError(f"lags must be an integer >= 0, got {lags!r}")
    rows, launch_period, _ = _prepare(panel, outcome, treated, launch_date)
    return _event_study(rows, outcome, launch_period, int(leads), int(lags), ci, model)


def _event_study(
    rows: _Rows,
    outcome: str,
    launch_period: pd.Timestamp,
    leads: int,
    lags: int,
    ci: float,
    model: str = "linear",
) -> EventStudyResult:
    k_tr = rows.k[rows.treated]
    k_min, k_max = int(k_tr.min()), int(k_tr.max())
    if -k_min < leads:
        raise InputError(
            f"leads = {leads} needs {leads} pre-launch periods for treated members; "
            f"the panel has {-k_min}",
            hint=f"use leads <= {-k_min} or a panel that starts earlier",
        )
    if k_max < lags:
        raise InputError(
            f"lags = {lags} needs {lags + 1} periods from launch on for treated members; "
            f"the panel has {k_max + 1}",
            hint=f"use lags <= {k_max} or a panel that runs longer",
        )
    ks = [k for k in range(-leads, lags + 1) if k != -1]
    # treated rows' binned k -> their dummy's column (-1: the reference k = -1, controls)
    column = np.full(leads + lags + 1, -1)
    column[[k + leads for k in ks]] = np.arange(len(ks))
    cell = np.where(rows.treated, column[np.clip(rows.k, -leads, lags) + leads], -1)
    names = [f"k={k}" for k in ks]
    fitter = _ppml if model == "poisson" else _twfe
    fit = fitter(rows.y, cell, rows.member, rows.period, names)
    dof = fit.clusters - 1
    se = np.sqrt(np.diag(fit.vcov))
    q = stats.t.ppf(0.5 + ci / 2, dof)
    table = pd.DataFrame(
        {
            "k": ks,
            "estimate": fit.coef,
            "se": se,
            "ci_low": fit.coef - q * se,
            "ci_high": fit.coef + q * se,
            "p": _t_p(fit.coef, se, dof),
            "binned": [
                (k == -leads and k_min < -leads) or (k == lags and k_max > lags) for k in ks
            ],
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
            "binned": [False],
            "reference": [True],
        }
    )
    table = pd.concat([table, ref]).sort_values("k").reset_index(drop=True)
    lead_idx = [i for i, k in enumerate(ks) if k < -1]
    b_l = fit.coef[lead_idx]
    v_l = fit.vcov[np.ix_(lead_idx, lead_idx)]
    chi2 = float(b_l @ np.linalg.solve(v_l, b_l))
    p_pre = float(stats.chi2.sf(chi2, len(lead_idx)))
    horizon_rows: list[list[Any]] = []
    for name, a, b in _HORIZONS:
        sel = [i for i, k in enumerate(ks) if k >= a and (b is None or k <= b)]
        if sel:
            w = np.zeros(len(ks))
            w[sel] = 1 / len(sel)
            est = float(w @ fit.coef)
            s = float(np.sqrt(w @ fit.vcov @ w))
            horizon_rows.append([name, a, b, len(sel), est, s, est - q * s, est + q * s])
        else:
            horizon_rows.append([name, a, b, 0] + [np.nan] * 4)
    hz = pd.DataFrame(
        horizon_rows,
        columns=["horizon", "k_from", "k_to", "n_k", "estimate", "se", "ci_low", "ci_high"],
    ).set_index("horizon")
    hz["p"] = _t_p(hz["estimate"].to_numpy(), hz["se"].to_numpy(), dof)
    warns = []
    if fit.clusters < 42:
        warns.append(
            f"Only {fit.clusters} clusters: cluster-robust SEs can be too small with fewer "
            "than about 40-50 clusters (Cameron & Miller 2015)."
        )
    if p_pre < 0.05:
        warns.append(
            f"The leads are jointly significant (p = {p_pre:.3g}): treated and control "
            "members were already diverging before launch; the DiD is doubtful."
        )
    if hz.loc["long", "n_k"] == 0 and lags < 13:
        warns.append(f"No long-term (13+ periods) estimate: lags = {lags}.")
    return EventStudyResult(
        outcome=outcome,
        launch_period=launch_period,
        leads=leads,
        lags=lags,
        table=table,
        pretrend_chi2=chi2,
        pretrend_df=len(lead_idx),
        pretrend_p=p_pre,
        horizons=hz,
        vcov=pd.DataFrame(fit.vcov, index=ks, columns=ks),
        n=fit.n,
        clusters=fit.clusters,
        ci=ci,
        model=model,
        warning_messages=tuple(warns),
    )


# --------------------------------------------------------------------------- DiD


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class DiDResult(Result):
    """A two-way fixed-effects difference in differences (:func:`difference_in_differences`).

    Attributes
    ----------
    outcome : str
    estimate, se, ci_low, ci_high, p : float
        Effect of treated x post on the outcome per member-period; CR1
        cluster-robust SE; CI and p from t with ``clusters - 1`` df.
    n, clusters, df_resid : int
        Member-periods, members, n - k of the equivalent ``lm()``.
    treated_post_mean : float
        Mean outcome of treated members after launch.
    counterfactual_mean : float
        ``treated_post_mean - estimate`` (Poisson: ``treated_post_mean / exp(estimate)``).
    relative_effect, relative_ci_low, relative_ci_high : float
        ``estimate / counterfactual_mean`` and its CI (the CI of the estimate
        transformed by the same monotone map; see Notes of
        :func:`difference_in_differences`).
    pretrend_p : float
        The event study's joint Wald test of the leads (missing if it could not
        be run).
    launch_period : pandas.Timestamp
    ci : float
    event : EventStudyResult or None
        The event study behind ``pretrend_p``.
    warning_messages : tuple of str
    """

    outcome: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    n: int
    clusters: int
    df_resid: int
    treated_post_mean: float
    counterfactual_mean: float
    relative_effect: float
    relative_ci_low: float
    relative_ci_high: float
    pretrend_p: float
    launch_period: pd.Timestamp
    ci: float = 0.95
    model: str = "linear"
    event: EventStudyResult | None = dataclasses.field(default=None, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row (``treated_x_post``): estimate, se, CI, p, relative effect, n."""
        return pd.DataFrame(
            {
                "estimate": [self.estimate],
                "se": [self.se],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "p": [self.p],
                "relative_effect": [self.relative_effect],
                "relative_ci_low": [self.relative_ci_low],
                "relative_ci_high": [self.relative_ci_high],
                "pretrend_p": [self.pretrend_p],
                "n": [self.n],
                "clusters": [self.clusters],
            },
            index=pd.Index(["treated_x_post"], name="term"),
        )

    def to_dict(self) -> dict[str, Any]:
        """``{outcome, estimate, se, ci_low, ci_high, p, relative_effect, pretrend_p, ...}``."""
        return jsonable(
            {
                "outcome": self.outcome,
                "model": self.model,
                "estimate": self.estimate,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "p": self.p,
                "relative_effect": self.relative_effect,
                "relative_ci_low": self.relative_ci_low,
                "relative_ci_high": self.relative_ci_high,
                "pretrend_p": self.pretrend_p,
                "n": self.n,
                "clusters": self.clusters,
            }
        )

    def summary(self) -> str:
        pct = 100 * self.ci
        unit = {
            "frequency": "purchases per member-period",
            "spend": "spend per member-period",
            "retention": "in the repurchase rate (x100 = percentage points)",
        }[self.outcome]
        if self.model == "poisson":
            unit = "(log ratio, Poisson fixed effects)"
        text = (
            f"Difference in differences, outcome {self.outcome} (launch period "
            f"{self.launch_period.date()}):\n"
            f"  effect {self.estimate:+.4g} {unit}, {pct:.0f}% CI "
            f"{self.ci_low:.4g} to {self.ci_high:.4g}, p = {self.p:.3g}\n"
            f"  i.e. {100 * self.relative_effect:+.1f}% of the counterfactual mean "
            f"{self.counterfactual_mean:.4g} ({100 * self.relative_ci_low:+.1f}% to "
            f"{100 * self.relative_ci_high:+.1f}%)\n"
            f"  pre-trend test p = {self.pretrend_p:.3g}; n = {self.n}, "
            f"clusters = {self.clusters}"
        )
        text = with_warnings(text, self.warnings)
        return text


def difference_in_differences(
    panel: pd.DataFrame,
    *,
    outcome: Outcome,
    treated: pd.Series,
    launch_date: str | pd.Timestamp,
    cluster: Literal["member"] = "member",
    model: ModelKind = "linear",
    ci: float = 0.95,
) -> DiDResult:
    """Difference in differences by two-way fixed effects with member-clustered SEs.

    Parameters
    ----------
    panel : pandas.DataFrame
        From :func:`member_period_panel`.
    outcome : {"frequency", "spend", "retention"}
        ``frequency``: purchases per member-period; ``spend``: spend per
        member-period; ``retention``: ``retained`` (1 if active this period
        given active in the previous one; member-periods not at risk, i.e.
        inactive the period before, are dropped), so the effect is on the
        period-to-period repurchase rate.
    treated : pandas.Series
        member_id -> bool (exposed to the programme).
    launch_date : date
        Periods from the one containing the launch date on are "post".
    cluster : {"member"}
        Clustering unit of the standard errors.
    model : {"linear", "poisson"}
        ``"linear"`` (default): OLS two-way fixed effects; the effect is in the
        outcome's units and assumes parallel trends in levels. ``"poisson"``:
        Poisson pseudo-ML with member and period fixed effects (PPML; members
        with an all-zero outcome drop out); the effect is a log ratio,
        ``relative_effect = exp(b) - 1``, and assumes parallel trends in
        ratios. Prefer it when the programme multiplies purchase rates and
        the groups differ in level or the outcome trends (e.g. members
        lapsing over time): then levels are not parallel and the linear
        model is biased. Counts and spend are both fine for PPML.
    ci : float
        Confidence level.

    Returns
    -------
    DiDResult

    Notes
    -----
    Model: y_it = a_i + g_t + b (treated_i x post_t) + e_it, fitted by removing
    member means (the within transformation) and regressing on treated x post
    and period dummies; by Frisch-Waugh-Lovell this equals
    ``lm(y ~ treat_post + factor(member) + factor(period))`` also in unbalanced
    panels. Covariance: CR1, ``sandwich::vcovCL(fit, cluster = ~member,
    type = "HC1")``: (X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1 times
    G/(G-1) (n-1)/(n-k), k counting every coefficient of that lm (intercept,
    G-1 member dummies, T-1 period dummies, b) — Stata's ``areg ...,
    vce(cluster member)``; ``xtreg, fe`` omits the member dummies from k and
    gives slightly smaller SEs. CI and p use t with G - 1 df. The dummies are
    never built: every cross-product is a sum over member, period and treatment
    codes, so time and memory grow with the member-periods, not with member-periods
    x periods.

    Poisson: the same design with E[y_it] = exp(a_i + g_t + b D_it), member
    effects concentrated out, Newton steps; matches
    ``glm(y ~ treat_post + factor(member) + factor(period), family = poisson)``
    with the same ``vcovCL`` (and statsmodels' GLM with ``cov_type="cluster"``);
    relative effect exp(b) - 1 with CI exp(CI of b) - 1.

    Relative effect (linear): r = b / (m1 - b), m1 the treated post-launch mean, so
    m1 - b is the counterfactual mean. Its CI maps the CI of b through the
    same increasing function (b -> b / (m1 - b), for b < m1), treating m1 as
    fixed; the sampling error of a mean over many member-periods is small
    next to that of b. ``pretrend_p`` comes from :func:`event_study` with as
    many leads (up to 6) and lags (up to 12) as the panel allows.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*,
    ch. 5.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. *Journal of Human Resources*, 50(2), 317-372.
    R: ``sandwich::vcovCL(type = "HC1")`` with ``lmtest::coeftest``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ids = np.repeat([f"m{i}" for i in range(40)], 10)
    >>> per = np.tile(pd.date_range("2024-01-01", periods=10, freq="MS"), 40)
    >>> tr = pd.Series(np.arange(40) < 20, index=[f"m{i}" for i in range(40)])
    >>> post = (per >= pd.Timestamp("2024-06-01")) & tr.reindex(ids).to_numpy()
    >>> panel = pd.DataFrame({"member_id": ids, "period": per,
    ...     "purchases": rng.poisson(1 + 0.5 * post)})
    >>> res = difference_in_differences(panel, outcome="frequency", treated=tr,
    ...     launch_date="2024-06-15")
    >>> res.ci_low < 0.5 < res.ci_high
    True
    """
    check_choice("cluster", cluster, _CLUSTERS)
    check_choice("model", model, _MODELS)
    ci = check_ci(ci)
    rows, launch_period, _ = _prepare(panel, outcome, treated, launch_date)
    post = rows.k >= 0
    tr = rows.treated
    if not (tr & ~post).any() or not (tr & post).any():
        raise InputError(
            "treated members are not observed both before and after launch",
            hint="use a launch date inside the treated members' panel periods",
        )
    fitter = _ppml if model == "poisson" else _twfe
    cell = np.where(tr & post, 0, -1)
    fit = fitter(rows.y, cell, rows.member, rows.period, ["treated x post"])
    b = float(fit.coef[0])
    se = float(math.sqrt(fit.vcov[0, 0]))
    dof = fit.clusters - 1
    q = float(stats.t.ppf(0.5 + ci / 2, dof))
    lo, hi = b - q * se, b + q * se
    m1 = float(rows.y[tr & post].mean())
    m0 = m1 - b if model == "linear" else m1 / math.exp(b)

    def rel(v: float) -> float:
        if model == "poisson":
            return math.expm1(v)
        d = m1 - v
        return v / d if d > 0 else float("nan")

    warns: list[str] = []
    if m0 <= 0:
        warns.append(
            "The counterfactual mean (treated post mean - estimate) is not positive; "
            "the relative effect is undefined."
        )
    k_tr = rows.k[tr]
    leads = min(6, int(-k_tr.min()))
    lags = min(12, int(k_tr.max()))
    event = None
    pre_p = float("nan")
    if leads >= 2:
        event = _event_study(rows, outcome, launch_period, leads, lags, ci, model)
        pre_p = event.pretrend_p
        warns.extend(event.warning_messages)
    else:
        warns.append("Fewer than 2 pre-launch periods: no pre-trend test is possible.")
    warns = [w for w in warns if not w.startswith("No long-term")]
    return DiDResult(
        outcome=outcome,
        estimate=b,
        se=se,
        ci_low=lo,
        ci_high=hi,
        p=float(_t_p(np.array(b), np.array(se), dof)),
        n=fit.n,
        clusters=fit.clusters,
        df_resid=fit.n - fit.k,
        treated_post_mean=m1,
        counterfactual_mean=m0,
        relative_effect=rel(b),
        relative_ci_low=rel(lo),
        relative_ci_high=rel(hi),
        pretrend_p=pre_p,
        launch_period=launch_period,
        ci=ci,
        model=model,
        event=event,
        warning_messages=tuple(dict.fromkeys(warns)),
    )


# --------------------------------------------------------------------------- ITS


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class ITSResult(Result):
    """Segmented regression of one series around a launch (:func:`interrupted_time_series`).

    Attributes
    ----------
    table : pandas.DataFrame
        Terms ``intercept``, ``trend`` (per period before launch),
        ``level_change`` (jump at launch), ``slope_change`` (change in trend
        per period after launch): ``estimate``, ``se`` (Newey-West), ``ci_low``,
        ``ci_high``, ``p`` (normal).
    n_pre, n_post, maxlags : int
    launch_period : object
        First index value on or after the launch date.
    caveat : str
        Without a comparison group the effect is confounded with anything else
        that changed at launch.
    model : statsmodels RegressionResults
    warning_messages : tuple of str
    """

    table: pd.DataFrame
    n_pre: int
    n_post: int
    maxlags: int
    launch_period: Any
    caveat: str
    model: Any = dataclasses.field(default=None, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table

    @property
    def warnings(self) -> list[str]:
        return [self.caveat, *self.warning_messages]

    def to_dict(self) -> dict[str, Any]:
        out = jsonable(self.table)
        out["caveat"] = self.caveat
        return out


def interrupted_time_series(
    series: pd.Series,
    launch_date: str | pd.Timestamp,
    *,
    maxlags: int | None = None,
) -> ITSResult:
    """Interrupted time series: level and slope change at launch, Newey-West SEs.

    Parameters
    ----------
    series : pandas.Series
        Outcome by period, indexed by the period start dates (one value per
        period, consecutive periods; e.g. the treated members' mean purchases
        by month).
    launch_date : date
        Periods starting on or after it are post-launch. (Index the series by
        period start: a launch mid-period then counts from the next period.)
    maxlags : int, optional
        Newey-West truncation lag; default floor(4 (n/100)^(2/9)).

    Returns
    -------
    ITSResult

    Notes
    -----
    y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + e_t, t = 0..n-1, t0 the
    first post period: b2 is the level change, b3 the slope change. Covariance:
    Newey-West with Bartlett weights and the small-sample factor n/(n-k)
    (statsmodels ``cov_type="HAC"``, ``use_correction=True``; R
    ``sandwich::NeweyWest(fit, lag = maxlags, prewhite = FALSE, adjust = TRUE)``).
    p values and CIs are normal. The estimate is not causal: see ``caveat``.

    References
    ----------
    Wagner, A. K., Soumerai, S. B., Zhang, F., & Ross-Degnan, D. (2002).
    Segmented regression analysis of interrupted time series studies in
    medication use research. *Journal of Clinical Pharmacy and Therapeutics*,
    27(4), 299-309.
    Newey, W. K., & West, K. D. (1987). A simple, positive semi-definite,
    heteroskedasticity and autocorrelation consistent covariance matrix.
    *Econometrica*, 55(3), 703-708.

    Examples
    --------
    >>> idx = pd.date_range("2023-01-01", periods=24, freq="MS")
    >>> y = pd.Series(10 + 0.1 * np.arange(24) + 2.0 * (idx >= "2024-01-01"), index=idx)
    >>> y = y + np.random.default_rng(0).normal(0, 0.1, 24)
    >>> its = interrupted_time_series(y, "2024-01-01")
    >>> round(its.table.loc["level_change", "estimate"])
    2
    """
    import statsmodels.api as sm

    if not isinstance(series, pd.Series):
        raise InputError("series must be a pandas Series indexed by period")
    s = series.sort_index().astype(float).dropna()
    launch = pd.Timestamp(launch_date)
    idx = pd.DatetimeIndex(pd.to_datetime(s.index))
    post = np.asarray(idx >= launch)
    n_pre, n_post = int((~post).sum()), int(post.sum())
    if n_pre < 3 or n_post < 3:
        raise InputError(
            f"an interrupted time series needs at least 3 periods on each side of the "
            f"launch; the series has {n_pre} before and {n_post} from launch on",
            value=str(launch.date()),
            hint="use a longer series or check the launch date",
        )
    n = len(s)
    t = np.arange(n, dtype=float)
    t0 = int(np.argmax(post))
    x = np.column_stack([np.ones(n), t, post.astype(float), (t - t0) * post])
    if maxlags is None:
        maxlags = math.floor(4 * (n / 100) ** (2 / 9))
    if not (isinstance(maxlags, (int, np.integer)) and maxlags >= 0):
        raise ValueError(f"maxlags must be a non-negative integer or None, got {maxlags!r}")
    fit = sm.OLS(s.to_numpy(), x).fit(
        cov_type="HAC", cov_kwds={"maxlags": int(maxlags), "use_correction": True}
    )
    ci_ = np.asarray(fit.conf_int())
    table = pd.DataFrame(
        {
            "estimate": fit.params,
            "se": fit.bse,
            "ci_low": ci_[:, 0],
            "ci_high": ci_[:, 1],
            "p": fit.pvalues,
        },
        index=pd.Index(["intercept", "trend", "level_change", "slope_change"], name="term"),
    )
    warns = []
    if n_pre < 8:
        warns.append(
            f"Only {n_pre} pre-launch periods: the pre-launch trend is poorly pinned down."
        )
    return ITSResult(
        table=table,
        n_pre=n_pre,
        n_post=n_post,
        maxlags=int(maxlags),
        launch_period=s.index[t0],
        caveat=CAVEAT_ITS,
        model=fit,
        warning_messages=tuple(warns),
    )


# --------------------------------------------------------------------------- NPS


@dataclasses.dataclass(frozen=True)
class NPS(Result):
    """Net Promoter Score with its CI (:func:`net_promoter_score`).

    Attributes
    ----------
    nps, se, ci_low, ci_high : float
        In points (-100..100).
    n : int
        Valid 0-10 scores.
    promoters, passives, detractors : float
        Shares (0..1).
    ci : float
    warning_messages : tuple of str
    """

    nps: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    promoters: float
    passives: float
    detractors: float
    ci: float = 0.95
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        d = fields_dict(self)
        return pd.DataFrame(d, index=pd.Index(["nps"]))

    def to_dict(self) -> dict[str, Any]:
        """``{nps, ci_low, ci_high, n}``."""
        return jsonable(
            {"nps": self.nps, "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}
        )


def _scores(scores: pd.Series) -> np.ndarray:
    s = pd.to_numeric(pd.Series(scores), errors="coerce")
    raw = pd.Series(scores)
    bad = (s.isna() & raw.notna()) | (s.notna() & ((s < 0) | (s > 10) | (s % 1 != 0)))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "NPS scores must be whole numbers from 0 to 10",
            row=i + 1,
            value=raw.iloc[i],
            hint="recode missing codes (e.g. 99) to missing before computing NPS",
        )
    return s.dropna().to_numpy()


def net_promoter_score(scores: pd.Series, *, ci: float = 0.95) -> NPS:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), with a CI.

    Parameters
    ----------
    scores : pandas.Series
        Likelihood to recommend, whole numbers 0..10; missing values are dropped.
    ci : float
        Confidence level of the normal-approximation interval.

    Returns
    -------
    NPS

    Notes
    -----
    With shares p_p of promoters and p_d of detractors among n respondents,
    NPS = 100 (p_p - p_d). The count vector is multinomial, so
    Var(p_p - p_d) = (p_p + p_d - (p_p - p_d)^2) / n and
    SE = 100 sqrt((p_p + p_d - (p_p - p_d)^2) / n); CI = NPS -/+ z SE
    (clipped to [-100, 100]).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard
    Business Review*, 81(12), 46-54.
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
    *The American Statistician*, 70(4), 365-372 (the variance above, its
    eq. for the Wald interval).

    Examples
    --------
    >>> r = net_promoter_score(pd.Series([10, 9, 9, 8, 7, 6, 3, 10, 9, 5]))
    >>> r.nps, r.n
    (20.0, 10)
    """
    ci = check_ci(ci)
    s = _scores(scores)
    n = len(s)
    if n == 0:
        raise InputError("no valid NPS scores", hint="check the score column")
    pp = float(np.mean(s >= 9))
    pd_ = float(np.mean(s <= 6))
    nps = 100 * (pp - pd_)
    se = 100 * math.sqrt(max(pp + pd_ - (pp - pd_) ** 2, 0.0) / n)
    z = float(stats.norm.ppf(0.5 + ci / 2))
    warns = []
    if n < 30:
        warns.append(f"Only {n} respondents: the normal-approximation CI is rough.")
    return NPS(
        nps=nps,
        se=se,
        ci_low=max(nps - z * se, -100.0),
        ci_high=min(nps + z * se, 100.0),
        n=n,
        promoters=pp,
        passives=1 - pp - pd_,
        detractors=pd_,
        ci=ci,
        warning_messages=tuple(warns),
    )


def nps_by(
    data: pd.DataFrame, score_col: str, by: str | list[str], *, ci: float = 0.95
) -> pd.DataFrame:
    """NPS with its CI for each group (period or segment).

    Parameters
    ----------
    data : pandas.DataFrame
    score_col : str
        The 0-10 likelihood-to-recommend column.
    by : str or list of str
        Grouping column(s), e.g. a period or segment.
    ci : float

    Returns
    -------
    pandas.DataFrame
        Indexed by the groups (sorted): ``nps``, ``se``, ``ci_low``,
        ``ci_high``, ``n``, ``promoters``, ``passives``, ``detractors`` (see
        :func:`net_promoter_score`). Groups without valid scores are left out.

    Examples
    --------
    >>> d = pd.DataFrame({"q": ["Q1"] * 4 + ["Q2"] * 4, "ltr": [10, 9, 3, 7, 10, 10, 9, 6]})
    >>> nps_by(d, "ltr", "q")["nps"].tolist()
    [25.0, 50.0]
    """
    cols = [by] if isinstance(by, str) else list(by)
    for c in [score_col, *cols]:
        if c not in data.columns:
            raise InputError(f"column {c!r} is not in the data", column=c)
    rows = {}
    for key, g in data.groupby(cols if len(cols) > 1 else cols[0], sort=True, observed=True):
        if g[score_col].notna().sum() == 0:
            continue
        r = net_promoter_score(g[score_col], ci=ci)
        rows[key] = r.to_frame().iloc[0].drop("ci")
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = cols[0] if len(cols) == 1 else None
    if len(cols) > 1:
        out.index = pd.MultiIndex.from_tuples(out.index, names=cols)
    out["n"] = out["n"].astype(int)
    return out


@dataclasses.dataclass(frozen=True)
class NPSChange(Result):
    """Difference of two independent NPS values (:func:`nps_change`).

    Attributes
    ----------
    nps_a, nps_b, difference, se, ci_low, ci_high, z, p : float
        ``difference = nps_b - nps_a`` in points; two-sided normal test.
    n_a, n_b : int
    ci : float
    """

    nps_a: float
    nps_b: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    n_a: int
    n_b: int
    ci: float = 0.95
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        d = fields_dict(self)
        return pd.DataFrame(d, index=pd.Index(["b - a"]))

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self.to_frame().iloc[0].to_dict())


def nps_change(a: pd.Series | NPS, b: pd.Series | NPS, *, ci: float = 0.95) -> NPSChange:
    """z test of the change in NPS between two independent samples (b minus a).

    Parameters
    ----------
    a, b : pandas.Series or NPS
        Scores (0..10) of the two samples (e.g. two survey waves), or their
        :class:`NPS` results.
    ci : float

    Returns
    -------
    NPSChange

    Notes
    -----
    z = (NPS_b - NPS_a) / sqrt(SE_a^2 + SE_b^2) with the multinomial SEs of
    :func:`net_promoter_score`; valid for independent samples (not for the same
    respondents measured twice).

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
    *The American Statistician*, 70(4), 365-372.

    Examples
    --------
    >>> ch = nps_change(pd.Series([10, 9, 3, 7] * 25), pd.Series([10, 10, 9, 6] * 25))
    >>> round(ch.difference, 1)
    25.0
    """
    ci = check_ci(ci)
    ra = a if isinstance(a, NPS) else net_promoter_score(a, ci=ci)
    rb = b if isinstance(b, NPS) else net_promoter_score(b, ci=ci)
    diff = rb.nps - ra.nps
    se = math.hypot(ra.se, rb.se)
    z = diff / se if se > 0 else float("nan")
    q = float(stats.norm.ppf(0.5 + ci / 2))
    return NPSChange(
        nps_a=ra.nps,
        nps_b=rb.nps,
        difference=diff,
        se=se,
        ci_low=diff - q * se,
        ci_high=diff + q * se,
        z=z,
        p=float(2 * stats.norm.sf(abs(z))) if se > 0 else float("nan"),
        n_a=ra.n,
        n_b=rb.n,
        ci=ci,
        warning_messages=ra.warning_messages + rb.warning_messages,
    )


# --------------------------------------------------------------------------- loyalty matrix

_CELLS = ("true_loyalty", "latent", "spurious", "no_loyalty")


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class LoyaltyMatrix(Result):
    """Dick & Basu's (1994) loyalty matrix (:func:`loyalty_matrix`).

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``true_loyalty``, ``latent``, ``spurious``, ``no_loyalty``;
        columns ``attitude`` (high/low), ``repeat`` (high/low), ``members``,
        ``share`` (of members), ``revenue``, ``revenue_share``.
    attitude_cut, repeat_cut : float
        High means strictly above the cut.
    assignments : pandas.Series
        Member -> cell.
    n : int
    warning_messages : tuple of str
    """

    table: pd.DataFrame
    attitude_cut: float
    repeat_cut: float
    assignments: pd.Series = dataclasses.field(repr=False)
    n: int = 0
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """``{cell: {members, share, revenue_share}}``."""
        t = self.table
        return {
            c: {
                "members": int(t.loc[c, "members"]),
                "share": jsonable(t.loc[c, "share"]),
                "revenue_share": jsonable(t.loc[c, "revenue_share"]),
            }
            for c in _CELLS
        }


def loyalty_matrix(
    attitude: pd.Series,
    repeat: pd.Series,
    revenue: pd.Series,
    *,
    attitude_cut: float | None = None,
    repeat_cut: float | None = None,
) -> LoyaltyMatrix:
    """Relative attitude x repeat patronage: true, latent, spurious and no loyalty.

    Parameters
    ----------
    attitude : pandas.Series
        member_id -> attitudinal loyalty score (e.g. the survey construct).
    repeat : pandas.Series
        member_id -> repeat patronage (e.g. purchases after the survey).
    revenue : pandas.Series
        member_id -> revenue; members missing here count 0.
    attitude_cut : float, optional
        High attitude means a score strictly above it; default the median
        (pass the scale midpoint, e.g. 4 on a 1-7 scale, to use it instead).
    repeat_cut : float, optional
        High repeat means strictly above it; default the median.

    Returns
    -------
    LoyaltyMatrix

    Notes
    -----
    Members with both an attitude and a repeat value are classified:
    true loyalty (high attitude, high repeat), latent (high, low), spurious
    (low, high), no loyalty (low, low). ``share`` = members in the cell / n;
    ``revenue_share`` = the cell's revenue / total revenue of classified
    members. With a median cut, ties at the median count as low, so "high"
    can hold fewer than half of the members on discrete scales.

    References
    ----------
    Dick, A. S., & Basu, K. (1994). Customer loyalty: toward an integrated
    conceptual framework. *Journal of the Academy of Marketing Science*,
    22(2), 99-113.

    Examples
    --------
    >>> ids = ["a", "b", "c", "d"]
    >>> lm = loyalty_matrix(pd.Series([6, 6, 2, 2], index=ids), pd.Series([5, 0, 5, 0], index=ids),
    ...     pd.Series([50.0, 0, 40, 10], index=ids), attitude_cut=4, repeat_cut=1)
    >>> lm.to_dict()["true_loyalty"]
    {'members': 1, 'share': 0.25, 'revenue_share': 0.5}
    """
    for name, s in (("attitude", attitude), ("repeat", repeat), ("revenue", revenue)):
        if not isinstance(s, pd.Series):
            raise InputError(f"{name} must be a pandas Series indexed by member_id")
    att = pd.to_numeric(attitude, errors="coerce")
    rep = pd.to_numeric(repeat, errors="coerce")
    att.index = att.index.astype(str)
    rep.index = rep.index.astype(str)
    rev = pd.to_numeric(revenue, errors="coerce")
    rev.index = rev.index.astype(str)
    for name, s in (("attitude", att), ("repeat", rep), ("revenue", rev)):
        if s.index.duplicated().any():
            raise InputError(
                f"{name} has duplicated member ids",
                value=s.index[s.index.duplicated()][0],
                hint="aggregate to one value per member first",
            )
    both = att.dropna().index.intersection(rep.dropna().index)
    if len(both) == 0:
        raise InputError(
            "no member has both an attitude score and a repeat value",
            hint="check that the survey and transactions use the same member ids",
        )
    att, rep = att[both], rep[both]
    rev = rev.reindex(both).fillna(0.0)
    a_cut = float(att.median()) if attitude_cut is None else float(attitude_cut)
    r_cut = float(rep.median()) if repeat_cut is None else float(repeat_cut)
    hi_a, hi_r = att > a_cut, rep > r_cut
    cell = pd.Series(
        np.select(
            [hi_a & hi_r, hi_a & ~hi_r, ~hi_a & hi_r],
            ["true_loyalty", "latent", "spurious"],
            "no_loyalty",
        ),
        index=both,
        name="cell",
    )
    n = len(both)
    tot = float(rev.sum())
    members = cell.value_counts().reindex(_CELLS, fill_value=0)
    revs = rev.groupby(cell).sum().reindex(_CELLS, fill_value=0.0)
    table = pd.DataFrame(
        {
            "attitude": ["high", "high", "low", "low"],
            "repeat": ["high", "low", "high", "low"],
            "members": members.astype(int),
            "share": members / n,
            "revenue": revs,
            "revenue_share": revs / tot if tot > 0 else np.nan,
        },
        index=pd.Index(_CELLS, name="cell"),
    )
    warns = []
    dropped = len(attitude) - n
    if dropped > 0:
        warns.append(
            f"{dropped} member(s) with an attitude score but no repeat value were left out."
        )
    if hi_a.mean() in (0.0, 1.0) or hi_r.mean() in (0.0, 1.0):
        warns.append("A cut puts every member on one side; choose a different cut.")
    return LoyaltyMatrix(
        table=table,
        attitude_cut=a_cut,
        repeat_cut=r_cut,
        assignments=cell,
        n=n,
        warning_messages=tuple(warns),
    )
