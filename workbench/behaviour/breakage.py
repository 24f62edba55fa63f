"""Redemption curves and breakage: triangles, chain ladder (Mack, ODP bootstrap), survival.

Breakage is the share of issued points that will never be redeemed:
``breakage = 1 - ultimate redemption rate`` (URR). Points issued today are
redeemed over months or years, so the URR of recent points is not observed
yet; it is projected from how older points developed, with the actuaries'
claims-reserving tools applied to redemptions instead of claims:

- :func:`redemption_triangle`: cumulative redemptions of each issuance
  cohort (the period the points were earned) by development period;
- :func:`chain_ladder`: volume-weighted development factors, ultimates, the
  URR and breakage, Mack's (1993) standard errors, and an over-dispersed
  Poisson (ODP) bootstrap (England & Verrall 2002) for a range of the URR;
- :func:`redemption_survival`: time from earning to redemption per point
  (Kaplan-Meier / Aalen-Johansen), the cross-check of the URR, and
  :func:`breakage_by_expiry`, its sensitivity to the expiry policy.

Which points does a redemption use?
-----------------------------------
A ledger records that a member redeemed 500 points, not which 500. We use
first-in, first-out (FIFO): every outgoing row (redeem, expire, or a negative
adjustment) uses the member's oldest points still held. FIFO is the rule of
programmes with expiry (points expire oldest first, so members spend them
first) and the usual accounting convention for points liabilities; it makes
cohorts' redemption curves well defined and additive. Within a day, expiries
take the oldest points first, then negative adjustments, then redemptions.
Positive adjustments count as issued in their period (they can be redeemed
and are part of the liability); negative adjustments remove points
(``removed``), neither redeemed nor expired.

Why written here
----------------
The Python ``chainladder`` package (casact) implements Mack's chain ladder and
the ODP bootstrap, and it is our cross-check: the development factors, sigmas,
ultimates and Mack standard errors agree with it to 1.5e-14 on the RAA and
Taylor-Ashe triangles (``tests/reference/py_chainladder_mack.py``), and with R
``ChainLadder``'s printed values. It is not a dependency because it pulls numba
and llvmlite (about 210 MB) for some 300 lines of arithmetic on a triangle of at
most a few dozen cells; the FIFO allocation that builds the triangle, which no
library offers, runs in DuckDB on the ledger.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.behaviour.points import (
    EPS,
    PointsLedger,
    _as_ledger,
    _period_end,
    _period_sql,
)
from workbench.behaviour.transactions import PERIODS, Period, _period_start
from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice, check_ci

__all__ = [
    "ChainLadderResult",
    "RedemptionSurvival",
    "RedemptionTriangle",
    "breakage_by_expiry",
    "chain_ladder",
    "redemption_survival",
    "redemption_triangle",
]

SigmaTail = Literal["log-linear", "mack"]
SIGMA_TAILS: tuple[str, ...] = ("log-linear", "mack")
ProcessDistribution = Literal["gamma", "odp"]
PROCESS_DISTRIBUTIONS: tuple[str, ...] = ("gamma", "odp")
#: days per month for expiry policies given in months (365.25 / 12)
DAYS_PER_MONTH = 365.25 / 12


# --------------------------------------------------------------------------- FIFO


def _asof_date(led: PointsLedger, asof: Any) -> Any:
    if asof is None:
        return led.last_date
    day = pd.Timestamp(asof).date()
    if day < led.first_date:
        raise ValueError(f"asof={day} is before the ledger's first date ({led.first_date}).")
    return day


def _fifo_allocation(led: PointsLedger, asof: Any) -> str:
    """Create a DuckDB table of FIFO allocations; return its name.

    Table ``_wb_fifo``: ``member_id``, ``earn_date``, ``burn_date`` (NULL for
    points still held at ``asof``), ``kind`` (``redeem``, ``expire``,
    ``removed`` or ``held``) and ``points``. Inflows (earn rows and positive
    adjustments) are the intervals ``[lo, hi)`` of the member's cumulative
    points in, by day; outflows the intervals of cumulative points out (by day
    and kind, expiries first); an outflow uses the inflows its interval
    overlaps.
    """
    db = led.con
    day = pd.Timestamp(asof).date().isoformat()
    name = led.name
    db.execute(
        "CREATE OR REPLACE TEMP TABLE _wb_in AS "
        "SELECT member_id, date AS earn_date, amount, "
        "sum(amount) OVER (PARTITION BY member_id ORDER BY date ROWS UNBOUNDED PRECEDING) AS hi "
        f"FROM (SELECT member_id, date, sum(delta) AS amount FROM {name} "
        f"WHERE delta > 0 AND date <= DATE '{day}' GROUP BY member_id, date)"
    )
    db.execute(
        "CREATE OR REPLACE TEMP TABLE _wb_out AS "
        "SELECT member_id, date AS burn_date, kind, amount, "
        "sum(amount) OVER (PARTITION BY member_id ORDER BY date, k "
        "ROWS UNBOUNDED PRECEDING) AS hi "
        "FROM (SELECT member_id, date, CASE type WHEN 'expire' THEN 0 WHEN 'adjust' THEN 1 "
        "ELSE 2 END AS k, CASE type WHEN 'adjust' THEN 'removed' ELSE type END AS kind, "
        f"-sum(delta) AS amount FROM {name} WHERE delta < 0 AND date <= DATE '{day}' "
        "GROUP BY member_id, date, k, kind)"
    )
    # a hash join on the member, then the interval-overlap filter: each member has a few dozen
    # inflows and outflows, so the pairs stay few (an as-of join on the cut points measured
    # five times slower on 5 million rows)
    db.execute(
        "CREATE OR REPLACE TEMP TABLE _wb_fifo AS "
        "SELECT i.member_id, i.earn_date, o.burn_date, o.kind, "
        "least(i.hi, o.hi) - greatest(i.hi - i.amount, o.hi - o.amount) AS points "
        "FROM _wb_in i JOIN _wb_out o ON i.member_id = o.member_id "
        "AND i.hi - i.amount < o.hi AND o.hi - o.amount < i.hi "
        f"WHERE least(i.hi, o.hi) - greatest(i.hi - i.amount, o.hi - o.amount) > {EPS}"
    )
    db.execute(
        "INSERT INTO _wb_fifo SELECT i.member_id, i.earn_date, NULL, 'held', "
        "i.amount - coalesce(u.used, 0) FROM _wb_in i LEFT JOIN "
        "(SELECT member_id, earn_date, sum(points) AS used FROM _wb_fifo "
        "GROUP BY member_id, earn_date) u USING (member_id, earn_date) "
        f"WHERE i.amount - coalesce(u.used, 0) > {EPS}"
    )
    return "_wb_fifo"


def _drop_fifo(led: PointsLedger) -> None:
    for t in ("_wb_in", "_wb_out", "_wb_fifo"):
        led.con.execute(f"DROP TABLE IF EXISTS {t}")


# --------------------------------------------------------------------------- triangle


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class RedemptionTriangle(Result):
    """Cumulative redemptions by issuance cohort and development period.

    Attributes
    ----------
    period : str
        The calendar period of cohorts and development.
    asof : datetime.date
        The evaluation date (the ledger's rows up to it were used).
    issued : pandas.Series
        Points issued per cohort (index: the cohort period's start date).
    redeemed, expired, removed : pandas.DataFrame
        Cumulative points of each cohort redeemed / expired / removed by
        negative adjustments by the end of development period ``k`` (columns
        ``0, 1, ...``; ``k = 0`` is the issuance period itself). Cells after
        ``asof``'s period are missing.
    latest_complete : bool
        Whether ``asof`` is the last day of its period (if not, the latest
        diagonal holds part of a period; see the warnings).
    warning_messages : tuple of str
    """

    period: str
    asof: Any
    issued: pd.Series
    redeemed: pd.DataFrame
    expired: pd.DataFrame
    removed: pd.DataFrame
    latest_complete: bool
    warning_messages: tuple[str, ...] = ()

    @property
    def share(self) -> pd.DataFrame:
        """Cumulative redemption share: ``redeemed / issued`` per cohort and k."""
        return self.redeemed.div(self.issued, axis=0)

    @property
    def outstanding(self) -> pd.Series:
        """Points of each cohort still held at ``asof`` (issued less all uses)."""
        used = (_latest(self.redeemed) + _latest(self.expired) + _latest(self.removed)).reindex(
            self.issued.index
        )
        return self.issued - used

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``cohort``, ``k``, ``period``, ``issued``, ``redeemed``,
        ``expired``, ``removed`` (cumulative) and ``share``, observed cells only."""
        rows = []
        for name, tri in (
            ("redeemed", self.redeemed),
            ("expired", self.expired),
            ("removed", self.removed),
        ):
            s = tri.stack()
            s.name = name
            rows.append(s)
        out = pd.concat(rows, axis=1).reset_index()
        out.columns = ["cohort", "k", "redeemed", "expired", "removed"]
        out["issued"] = out["cohort"].map(self.issued)
        out["share"] = out["redeemed"] / out["issued"]
        months = {"month": 1, "quarter": 3, "year": 12}
        if self.period == "week":
            out["period"] = out["cohort"] + pd.to_timedelta(out["k"] * 7, unit="D")
        else:
            out["period"] = [
                c + pd.DateOffset(months=months[self.period] * int(k))
                for c, k in zip(out["cohort"], out["k"], strict=True)
            ]
        cols = ["cohort", "k", "period", "issued", "redeemed", "expired", "removed", "share"]
        return out[cols]

    def summary(self) -> str:
        text = (
            f"Redemption triangle by {self.period}, as of {self.asof}: {len(self.issued)} "
            f"cohorts, {self.issued.sum():,.0f} points issued\n\nCumulative redemption share:\n"
            + self.share.to_string(float_format="{:.3f}".format)
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "period": self.period,
                "asof": str(self.asof),
                "issued": {str(k.date()): v for k, v in self.issued.items()},
                "share": {
                    str(k.date()): [None if pd.isna(v) else float(v) for v in row]
                    for k, row in self.share.iterrows()
                },
                "warnings": self.warnings,
            }
        )


def _latest(tri: pd.DataFrame) -> pd.Series:
    """The last observed value of each row of a cumulative triangle."""
    return tri.apply(lambda r: r.dropna().iloc[-1] if r.notna().any() else 0.0, axis=1)


def redemption_triangle(
    ledger: PointsLedger | pd.DataFrame,
    *,
    period: Period = "quarter",
    asof: Any = None,
) -> RedemptionTriangle:
    """Cumulative redemptions of each issuance cohort, FIFO, by development period.

    Parameters
    ----------
    ledger : PointsLedger or pandas.DataFrame
        A checked ledger (a frame with the standard columns is checked first).
    period : {"quarter", "month", "week", "year"}, keyword-only
        Cohorts are the periods the points were issued in; development period
        ``k`` is the ``k``-th period after issuance (``k = 0``: the same period).
    asof : date-like, optional
        Evaluation date: only rows on or before it are used. Default: the
        ledger's last date. Use the last day of a period: a partial last period
        makes the latest diagonal look less developed than it is (a warning
        says so).

    Returns
    -------
    RedemptionTriangle

    Notes
    -----
    With FIFO (module docstring), each outgoing point is traced to the day
    it was issued, so the cumulative redemptions of cohort :math:`c` at
    development :math:`k` are

    .. math:: C_{c,k} = \\sum_{\\text{points issued in } c} 1[\\text{redeemed in a period}
              \\le c + k],

    and the cumulative redemption share is :math:`C_{c,k} / I_c` with
    :math:`I_c` the points issued in :math:`c`. The allocation runs in DuckDB
    as an interval overlap of each member's cumulative points in and out.

    Examples
    --------
    >>> df = pd.DataFrame({"member_id": ["a", "a", "a", "a"],
    ...     "date": ["2024-01-10", "2024-04-10", "2024-05-01", "2024-12-31"],
    ...     "type": ["earn", "earn", "redeem", "redeem"], "points": [100, 100, 150, 20]})
    >>> tri = redemption_triangle(df)
    >>> tri.redeemed
                   0      1      2      3
    2024-01-01   0.0  100.0  100.0  100.0
    2024-04-01  50.0   50.0   70.0    NaN
    2024-07-01   0.0    0.0    NaN    NaN
    2024-10-01   0.0    NaN    NaN    NaN
    >>> tri.issued.tolist()
    [100.0, 100.0, 0.0, 0.0]
    """
    check_choice("period", period, PERIODS)
    led = _as_ledger(ledger)
    day = _asof_date(led, asof)
    table = _fifo_allocation(led, day)
    db = led.con
    pe, pb = _period_sql("earn_date", period), _period_sql("burn_date", period)
    issued = db.execute(
        f"SELECT {pe} AS c, sum(points) AS issued FROM {table} GROUP BY c ORDER BY c"
    ).df()
    uses = db.execute(
        f"SELECT {pe} AS c, {pb} - {pe} AS k, kind, sum(points) AS points FROM {table} "
        "WHERE kind <> 'held' GROUP BY c, k, kind"
    ).df()
    _drop_fifo(led)
    if issued.empty:
        raise InputError(
            f"No points were issued on or before {day}.",
            file=led.source,
            hint="Check asof, or the ledger's earn rows.",
        )
    asof_sql = _period_sql(f"DATE '{day.isoformat()}'", period)
    last = int(db.execute(f"SELECT {asof_sql}").fetchall()[0][0])
    first = int(issued["c"].min())
    cohorts = np.arange(first, last + 1)
    ks = np.arange(0, last - first + 1)
    labels = _period_start(cohorts, period)
    issued_s = pd.Series(
        issued.set_index("c")["issued"].reindex(cohorts, fill_value=0.0).to_numpy(dtype=float),
        index=labels,
        name="issued",
    )
    observed = cohorts[:, None] + ks[None, :] <= last

    def cumulative(kind: str) -> pd.DataFrame:
        part = uses[uses["kind"] == kind]
        grid = np.zeros((len(cohorts), len(ks)))
        if len(part):
            np.add.at(
                grid,
                (part["c"].to_numpy(dtype=int) - first, part["k"].to_numpy(dtype=int)),
                part["points"].to_numpy(dtype=float),
            )
        cum = np.where(observed, np.cumsum(grid, axis=1), np.nan)
        return pd.DataFrame(cum, index=labels, columns=list(ks))

    end = _period_end(np.array([last]), period)[0].date()
    complete = day == end
    warnings = []
    if not complete:
        warnings.append(
            f"The evaluation date {day} is not the last day of its {period} (ends {end}): the "
            "latest diagonal holds part of a period and looks less developed than it is, which "
            "biases chain-ladder projections. Pass asof= the last day of the last complete "
            f"{period}."
        )
    return RedemptionTriangle(
        period=period,
        asof=day,
        issued=issued_s,
        redeemed=cumulative("redeem"),
        expired=cumulative("expire"),
        removed=cumulative("removed"),
        latest_complete=complete,
        warning_messages=tuple(warnings),
    )


# --------------------------------------------------------------------------- chain ladder


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas/numpy objects
class ChainLadderResult(Result):
    """Chain-ladder projection with Mack standard errors and an ODP bootstrap.

    Attributes
    ----------
    triangle : pandas.DataFrame
        The cumulative triangle used (origins x development periods).
    full_triangle : pandas.DataFrame
        The triangle completed by the chain ladder.
    factors : pandas.DataFrame
        One row per development step ``k -> k+1``: ``f`` (volume-weighted
        factor), ``sigma`` (Mack's sigma; the last one extrapolated), ``f_se``
        (standard error of ``f``), ``n`` (origins used).
    origins : pandas.DataFrame
        Per origin: ``latest``, ``dev_to_date`` (latest / ultimate),
        ``ultimate``, ``reserve`` (ultimate - latest: for points, the
        redemptions still to come; IBNR in reserving), ``mack_se``, ``cv``
        (mack_se / reserve) and, with an exposure, ``issued`` and
        ``ultimate_rate`` (ultimate / issued).
    total : dict
        ``latest``, ``ultimate``, ``reserve``, ``mack_se`` (Mack's total
        standard error, origins correlated through the shared factors).
    issued : float or None
        Total exposure (points issued), when given.
    ultimate_rate, breakage : float or None
        URR = total ultimate / issued; breakage = 1 - URR.
    ultimate_rate_se : float or None
        Mack's total standard error / issued.
    ci, ci_low, ci_high : float or None
        The bootstrap percentile interval of the URR (or, without an
        exposure, of the total ultimate).
    n_boot, seed : int
        Bootstrap resamples (0: none) and the seed.
    bootstrap_reserve : numpy.ndarray
        The bootstrap predictive distribution of the total reserve (process
        error included), one value per resample.
    phi : float
        The ODP scale parameter (Pearson chi-squared / (N - p)).
    sigma_tail, process : str
    warning_messages : tuple of str
    """

    triangle: pd.DataFrame
    full_triangle: pd.DataFrame
    factors: pd.DataFrame
    origins: pd.DataFrame
    total: dict[str, float]
    issued: float | None
    ultimate_rate: float | None
    breakage: float | None
    ultimate_rate_se: float | None
    ci: float
    ci_low: float | None
    ci_high: float | None
    n_boot: int
    seed: int
    bootstrap_reserve: np.ndarray = dataclasses.field(repr=False)
    phi: float
    sigma_tail: str
    process: str
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The per-origin table (see :attr:`origins`)."""
        return self.origins

    def summary(self) -> str:
        t = self.total
        text = (
            "Chain ladder (volume-weighted factors; Mack 1993 standard errors, sigma tail "
            f"'{self.sigma_tail}')\n" + self.origins.to_string(float_format="{:,.3f}".format)
        )
        text += (
            f"\n\nTotal: latest {t['latest']:,.1f}, ultimate {t['ultimate']:,.1f}, reserve "
            f"{t['reserve']:,.1f}, Mack s.e. {t['mack_se']:,.1f}"
        )
        if self.ultimate_rate is not None:
            text += (
                f"\nUltimate redemption rate {self.ultimate_rate:.4f} (Mack s.e. "
                f"{self.ultimate_rate_se:.4f}); breakage {self.breakage:.4f}"
            )
        if self.n_boot:
            what = "URR" if self.ultimate_rate is not None else "total ultimate"
            text += (
                f"\nODP bootstrap ({self.n_boot} resamples, seed {self.seed}, {self.process} "
                f"process): {self.ci:.0%} interval of the {what} [{self.ci_low:.4f}, "
                f"{self.ci_high:.4f}]"
            )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``{ultimate_rate, ci_low, ci_high, breakage, method, ...}`` (the study's
        ``redemption`` entry) with the totals, factors and per-origin table."""
        return jsonable(
            {
                "ultimate_rate": self.ultimate_rate,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "breakage": self.breakage,
                "method": "chain-ladder (Mack 1993; ODP bootstrap, England & Verrall 2002)",
                "ultimate_rate_se": self.ultimate_rate_se,
                "ci": self.ci,
                "n_boot": self.n_boot,
                "seed": self.seed,
                "issued": self.issued,
                "total": self.total,
                "phi": self.phi,
                "sigma_tail": self.sigma_tail,
                "factors": self.factors.reset_index().to_dict(orient="records"),
                "origins": {str(k): v for k, v in self.origins.to_dict(orient="index").items()},
                "warnings": self.warnings,
            }
        )


def _triangle_array(triangle: Any) -> tuple[pd.DataFrame, np.ndarray, pd.Series | None]:
    if isinstance(triangle, RedemptionTriangle):
        tri, exposure = triangle.redeemed, triangle.issued
        keep = (exposure > 0).to_numpy()
        tri, exposure = tri[keep], exposure[keep]
    elif isinstance(triangle, pd.DataFrame):
        tri, exposure = triangle, None
    else:
        raise TypeError(
            "triangle must be a RedemptionTriangle or a cumulative triangle DataFrame "
            f"(origins x development periods), got {type(triangle).__name__}"
        )
    C = tri.to_numpy(dtype=float)
    return tri, C, exposure


def _check_triangle(C: np.ndarray) -> np.ndarray:
    """Latest observed development index per origin; refuse shapes the method cannot use."""
    m, n = C.shape
    if n < 3 or m < 2:
        raise InputError(
            f"The triangle has {m} origin(s) and {n} development period(s); the chain ladder "
            "with Mack's standard errors needs at least 2 origins and 3 periods.",
            hint="Use a shorter period (e.g. period='month'), or a longer ledger.",
        )
    obs = ~np.isnan(C)
    latest = obs.sum(axis=1) - 1
    for i in range(m):
        if latest[i] < 0:
            raise InputError(
                f"Origin {i + 1} of the triangle has no observed value.",
                hint="Drop origins that have no observation yet.",
            )
        if not obs[i, : latest[i] + 1].all():
            raise InputError(
                f"Origin {i + 1} of the triangle has a gap: observed cells must run from "
                "development 0 up to the latest one.",
                hint="Give a cumulative triangle with missing cells only after each origin's "
                "latest development period.",
            )
    if np.any(C[obs] < 0):
        raise InputError(
            "The triangle has negative cumulative values.",
            hint="Give cumulative amounts (redemptions to date), not changes.",
        )
    return latest


def _factors(C: np.ndarray, latest: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Volume-weighted factors f_k, denominators S_k and counts n_k for k -> k+1."""
    n = C.shape[1]
    f = np.ones(n - 1)
    S = np.zeros(n - 1)
    cnt = np.zeros(n - 1, dtype=int)
    for k in range(n - 1):
        rows = latest >= k + 1
        cnt[k] = rows.sum()
        if cnt[k] == 0:
            raise InputError(
                f"No origin is observed beyond development period {k}: the factor {k} -> "
                f"{k + 1} cannot be estimated.",
                hint="Drop the development periods no origin reaches.",
            )
        S[k] = C[rows, k].sum()
        num = C[rows, k + 1].sum()
        if S[k] <= 0:
            if num > 0:
                raise InputError(
                    f"Development period {k} holds only zeros but period {k + 1} does not: the "
                    "chain ladder cannot develop from zero.",
                    hint="Use a longer period (e.g. period='quarter'), or start the triangle "
                    "when the first amounts appear.",
                )
            f[k] = 1.0
        else:
            f[k] = num / S[k]
        if np.any((C[rows, k] == 0) & (C[rows, k + 1] > 0)):
            raise InputError(
                f"An origin has 0 at development period {k} and more at {k + 1}: Mack's model "
                "(variance proportional to the amount) cannot develop from zero.",
                hint="Use a longer period (e.g. period='quarter') so that every cohort has "
                "some redemptions in its first period.",
            )
    return f, S, cnt


def _sigma2(
    C: np.ndarray, latest: np.ndarray, f: np.ndarray, cnt: np.ndarray, tail: str
) -> tuple[np.ndarray, list[str]]:
    n = C.shape[1]
    s2 = np.full(n - 1, np.nan)
    for k in range(n - 1):
        if cnt[k] >= 2:
            rows = (latest >= k + 1) & (C[:, k] > 0)
            ck = C[rows, k]
            dev = C[rows, k + 1] / ck - f[k]
            s2[k] = float((ck * dev**2).sum() / (cnt[k] - 1))
    notes: list[str] = []
    missing = np.flatnonzero(np.isnan(s2))
    if len(missing) == 0:
        return s2, notes
    method = tail
    if tail == "log-linear":
        ks = np.flatnonzero(~np.isnan(s2) & (s2 > 0))
        if len(ks) >= 3:
            fit = stats.linregress(ks, 0.5 * np.log(s2[ks]))
            if fit.pvalue <= 0.05:
                for j in missing:
                    s2[j] = float(np.exp(fit.intercept + fit.slope * j) ** 2)
                return s2, notes
            notes.append(
                f"The log-linear fit of log(sigma) on the development period has p = "
                f"{fit.pvalue:.3f} > 0.05; the last sigma uses Mack's approximation instead "
                "(as R's MackChainLadder does)."
            )
        else:
            notes.append(
                "Too few positive sigmas for the log-linear extrapolation; the last sigma uses "
                "Mack's approximation instead."
            )
        method = "mack"
    if method == "mack":
        for j in missing:
            if j < 2 or np.isnan(s2[j - 1]) or np.isnan(s2[j - 2]):
                s2[j] = s2[j - 1] if j >= 1 and not np.isnan(s2[j - 1]) else 0.0
                continue
            a, b = s2[j - 1], s2[j - 2]
            ratio = a * a / b if b > 0 else np.inf
            s2[j] = float(min(ratio, min(a, b)))
    return s2, notes


def _mack(
    C: np.ndarray, latest: np.ndarray, f: np.ndarray, S: np.ndarray, s2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Full triangle, per-origin Mack s.e. and total s.e. (Mack 1993, Theorem 3 and Corollary)."""
    m, n = C.shape
    full = C.copy()
    for i in range(m):
        for k in range(latest[i], n - 1):
            full[i, k + 1] = full[i, k] * f[k]
    ult = full[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(f > 0, s2 / f**2, 0.0)  # sigma_k^2 / f_k^2
        invS = np.where(S > 0, 1.0 / S, 0.0)
    mse = np.zeros(m)
    for i in range(m):
        tot = 0.0
        for k in range(latest[i], n - 1):
            ck = full[i, k]
            tot += a[k] * ((1.0 / ck if ck > 0 else 0.0) + invS[k])
        mse[i] = ult[i] ** 2 * tot
    total = mse.sum()
    for i in range(m):
        for j in range(i + 1, m):
            k0 = max(latest[i], latest[j])
            if k0 < n - 1:
                total += 2 * ult[i] * ult[j] * float((a[k0:] * invS[k0:]).sum())
    return full, np.sqrt(mse), float(np.sqrt(total))


def _odp_bootstrap(
    C: np.ndarray,
    latest: np.ndarray,
    f: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    process: str,
) -> tuple[np.ndarray, float]:
    """Total reserves of ``n_boot`` ODP bootstrap resamples (England & Verrall 2002)."""
    m, n = C.shape
    obs = ~np.isnan(C)
    # fitted cumulative values: back from the latest diagonal through the factors
    fitted = np.full_like(C, np.nan)
    for i in range(m):
        d = latest[i]
        fitted[i, d] = C[i, d]
        for k in range(d - 1, -1, -1):
            fitted[i, k] = fitted[i, k + 1] / f[k] if f[k] > 0 else 0.0
    inc = np.where(obs, np.diff(np.nan_to_num(C), prepend=0.0, axis=1), np.nan)
    m_inc = np.where(obs, np.diff(np.nan_to_num(fitted), prepend=0.0, axis=1), np.nan)
    usable = obs & (m_inc > EPS)
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(usable, (inc - m_inc) / np.sqrt(np.where(usable, m_inc, 1.0)), 0.0)
    N = int(usable.sum())
    n_dev = int(usable.any(axis=0).sum())
    n_orig = int(usable.any(axis=1).sum())
    p = n_orig + n_dev - 1
    if N - p <= 0:
        raise InputError(
            f"The triangle has {N} informative cells for {p} chain-ladder parameters: too few "
            "for the ODP bootstrap.",
            hint="Use a longer ledger or a shorter period, or pass n_boot=0.",
        )
    phi = float((resid[usable] ** 2).sum() / (N - p))
    # residuals that are zero by construction (sole cell of a row or column) are not resampled
    row_n = usable.sum(axis=1, keepdims=True)
    col_n = usable.sum(axis=0, keepdims=True)
    pool_mask = usable & (row_n > 1) & (col_n > 1)
    pool = resid[pool_mask] * np.sqrt(N / (N - p))
    if len(pool) == 0:
        pool = np.zeros(1)
    cells = np.argwhere(usable)
    sq = np.sqrt(m_inc[usable])
    out = np.empty(n_boot)
    future = ~obs
    for b in range(n_boot):
        star = np.where(obs, 0.0, np.nan)
        star[obs] = np.where(usable[obs], 0.0, inc[obs])
        star[cells[:, 0], cells[:, 1]] = m_inc[usable] + pool[rng.integers(0, len(pool), N)] * sq
        cum = np.where(obs, np.cumsum(np.nan_to_num(star), axis=1), np.nan)
        fb = np.ones(n - 1)
        for k in range(n - 1):
            rows = latest >= k + 1
            den = cum[rows, k].sum()
            fb[k] = cum[rows, k + 1].sum() / den if den > 0 else 1.0
        # expected future incrementals from the pseudo triangle's latest diagonal
        proj = cum.copy()
        for i in range(m):
            for k in range(latest[i], n - 1):
                proj[i, k + 1] = proj[i, k] * fb[k]
        fut_inc = np.diff(np.nan_to_num(proj), prepend=0.0, axis=1)[future]
        if phi > 0:
            mu = np.abs(fut_inc)
            pos = mu > 0
            draw = np.zeros_like(mu)
            if process == "gamma":
                draw[pos] = rng.gamma(shape=mu[pos] / phi, scale=phi)
            else:
                draw[pos] = phi * rng.poisson(mu[pos] / phi)
            fut_inc = np.sign(fut_inc) * draw
        out[b] = fut_inc.sum()
    return out, phi


def chain_ladder(
    triangle: RedemptionTriangle | pd.DataFrame,
    *,
    sigma_tail: SigmaTail = "log-linear",
    n_boot: int = 1000,
    seed: int = 2026,
    ci: float = 0.95,
    process: ProcessDistribution = "gamma",
) -> ChainLadderResult:
    """Chain-ladder ultimates, Mack standard errors, and an ODP bootstrap range.

    Parameters
    ----------
    triangle : RedemptionTriangle or pandas.DataFrame
        A :func:`redemption_triangle` (its cumulative redemptions, with the
        points issued as the exposure: cohorts that issued nothing are
        dropped), or any cumulative triangle (origins as rows, development
        periods as columns, missing cells after each origin's latest one).
    sigma_tail : {"log-linear", "mack"}, keyword-only
        How the last sigma (one origin only) is estimated: ``"log-linear"``
        (R ChainLadder's default: a regression of log(sigma) on the period,
        falling back to Mack's rule when its slope has p > 0.05) or ``"mack"``
        (Mack's approximation).
    n_boot : int, keyword-only
        ODP bootstrap resamples (0: none).
    seed : int, keyword-only
        Seed of the bootstrap.
    ci : float, keyword-only
        Level of the bootstrap percentile interval.
    process : {"gamma", "odp"}, keyword-only
        Process distribution of the bootstrap's future cells: gamma with mean
        m and variance phi*m (R BootChainLadder's default) or
        phi x Poisson(m / phi).

    Returns
    -------
    ChainLadderResult

    Raises
    ------
    InputError
        Fewer than 2 origins or 3 development periods, a gap in an origin,
        negative cumulative values, or a development from zero (which Mack's
        variance assumption cannot handle); too few cells for the bootstrap.
    ValueError
        Bad ``sigma_tail``, ``n_boot``, ``seed``, ``ci`` or ``process``.

    Notes
    -----
    Factors, with :math:`C_{i,k}` the cumulative amount of origin :math:`i`
    at development :math:`k` and the sums over origins observed at
    :math:`k + 1`:

    .. math:: \\hat f_k = \\sum_i C_{i,k+1} / \\sum_i C_{i,k}, \\qquad
              \\hat\\sigma_k^2 = \\frac{1}{n_k - 1} \\sum_i C_{i,k}
              \\left(\\frac{C_{i,k+1}}{C_{i,k}} - \\hat f_k\\right)^2.

    Ultimates :math:`\\hat C_{i,n} = C_{i,d_i} \\prod_{k \\ge d_i} \\hat f_k`
    from each origin's latest amount :math:`C_{i,d_i}`. Mack's (1993)
    mean squared error of the reserve :math:`\\hat R_i = \\hat C_{i,n} - C_{i,d_i}`:

    .. math:: \\widehat{\\mathrm{mse}}(\\hat R_i) = \\hat C_{i,n}^2 \\sum_{k=d_i}^{n-1}
              \\frac{\\hat\\sigma_k^2}{\\hat f_k^2}\\left(\\frac{1}{\\hat C_{i,k}} +
              \\frac{1}{\\sum_j C_{j,k}}\\right),

    and for the total the cross terms
    :math:`2 \\hat C_{i,n} \\hat C_{j,n} \\sum_{k \\ge \\max(d_i, d_j)}
    (\\hat\\sigma_k^2 / \\hat f_k^2) / \\sum_l C_{l,k}`. Mack's approximation
    of the last sigma is :math:`\\min(\\hat\\sigma_{n-2}^4 /
    \\hat\\sigma_{n-3}^2, \\hat\\sigma_{n-3}^2, \\hat\\sigma_{n-2}^2)`.

    The URR is :math:`\\sum_i \\hat C_{i,n} / \\sum_i I_i` with :math:`I_i`
    the points issued, and breakage :math:`= 1 - \\mathrm{URR}`. No tail
    factor is applied: the chain ladder assumes no redemptions after the last
    observed development period (a warning says when the last factors are
    still above 1.01).

    The ODP bootstrap (England & Verrall 2002, Appendix 3) fits the
    incremental triangle by the chain ladder (fitted cumulative values back
    from the latest diagonal), forms Pearson residuals
    :math:`r = (X - m)/\\sqrt m`, the scale :math:`\\phi = \\sum r^2/(N - p)`
    (:math:`N` cells with :math:`m > 0`, :math:`p` = origins + periods - 1),
    resamples the residuals scaled by :math:`\\sqrt{N/(N-p)}` (leaving out the
    ones that are zero by construction), refits the chain ladder to each
    pseudo triangle and draws each future cell from a gamma (or ODP)
    distribution with mean :math:`m^*` and variance :math:`\\phi m^*`. The URR
    interval is the percentile interval of
    :math:`(\\sum_i C_{i,d_i} + R^*) / \\sum_i I_i`.

    References
    ----------
    Mack, T. (1993). Distribution-free calculation of the standard error of
    chain ladder reserve estimates. *ASTIN Bulletin*, 23(2), 213-225.
    England, P. D., & Verrall, R. J. (2002). Stochastic claims reserving in
    general insurance. *British Actuarial Journal*, 8(3), 443-518.
    R: ``ChainLadder::MackChainLadder(Triangle, est.sigma = "log-linear")``
    (or ``"Mack"``) and ``ChainLadder::BootChainLadder(Triangle, R,
    process.distr = "gamma")``.

    Examples
    --------
    >>> tri = pd.DataFrame([[100.0, 150, 165], [110, 160, np.nan], [120, np.nan, np.nan]])
    >>> res = chain_ladder(tri, n_boot=0)
    >>> res.factors["f"].round(4).tolist()
    [1.4762, 1.1]
    >>> round(res.total["ultimate"], 1)
    535.9
    """
    check_choice("sigma_tail", sigma_tail, SIGMA_TAILS)
    check_choice("process", process, PROCESS_DISTRIBUTIONS)
    level = check_ci(ci)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot={n_boot!r} is not valid; use 0 (no bootstrap) or more, e.g. 1000")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed={seed!r} is not valid; use an integer, e.g. 2026")
    tri, C, exposure = _triangle_array(triangle)
    latest = _check_triangle(C)
    m, n = C.shape
    f, S, cnt = _factors(C, latest)
    s2, notes = _sigma2(C, latest, f, cnt, sigma_tail)
    full, se, total_se = _mack(C, latest, f, S, s2)
    latest_v = C[np.arange(m), latest]
    ult = full[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        origins = pd.DataFrame(
            {
                "latest": latest_v,
                "dev_to_date": np.where(ult > 0, latest_v / ult, np.nan),
                "ultimate": ult,
                "reserve": ult - latest_v,
                "mack_se": se,
                "cv": np.where(ult - latest_v > 0, se / (ult - latest_v), np.nan),
            },
            index=tri.index,
        )
    factors = pd.DataFrame(
        {
            "f": f,
            "sigma": np.sqrt(s2),
            "f_se": np.sqrt(np.where(S > 0, s2 / np.where(S > 0, S, 1.0), np.nan)),
            "n": cnt,
        },
        index=pd.Index([f"{k}-{k + 1}" for k in range(n - 1)], name="development"),
    )
    total = {
        "latest": float(latest_v.sum()),
        "ultimate": float(ult.sum()),
        "reserve": float((ult - latest_v).sum()),
        "mack_se": total_se,
    }
    warnings = list(notes)
    if isinstance(triangle, RedemptionTriangle):
        warnings = list(triangle.warnings) + warnings
    tail_f = f[-min(2, len(f)) :]
    if np.any(tail_f > 1.01):
        warnings.append(
            f"The last development factors ({', '.join(f'{v:.3f}' for v in tail_f)}) are still "
            "above 1.01: redemptions continue beyond the observed development, and without a "
            "tail factor the ultimates (and the URR) are understated."
        )
    issued = urr = brk = urr_se = None
    if exposure is not None:
        origins["issued"] = exposure.to_numpy(dtype=float)
        origins["ultimate_rate"] = origins["ultimate"] / origins["issued"]
        issued = float(exposure.sum())
        urr = total["ultimate"] / issued
        brk = 1.0 - urr
        urr_se = total_se / issued
        if urr > 1 + 1e-9:
            warnings.append(
                f"The projected ultimate redemption rate {urr:.3f} exceeds 1: the development "
                "factors project more redemptions than points issued."
            )
    boots = np.empty(0)
    phi = float("nan")
    lo = hi = None
    if n_boot:
        rng = np.random.default_rng(int(seed))
        boots, phi = _odp_bootstrap(C, latest, f, int(n_boot), rng, process)
        values = total["latest"] + boots
        if issued is not None:
            values = values / issued
        q = (1 - level) / 2
        lo, hi = (float(v) for v in np.quantile(values, [q, 1 - q]))
    return ChainLadderResult(
        triangle=tri,
        full_triangle=pd.DataFrame(full, index=tri.index, columns=tri.columns),
        factors=factors,
        origins=origins,
        total=total,
        issued=issued,
        ultimate_rate=urr,
        breakage=brk,
        ultimate_rate_se=urr_se,
        ci=level,
        ci_low=lo,
        ci_high=hi,
        n_boot=int(n_boot),
        seed=int(seed),
        bootstrap_reserve=boots,
        phi=phi,
        sigma_tail=sigma_tail,
        process=process,
        warning_messages=tuple(warnings),
    )


# --------------------------------------------------------------------------- survival


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects
class RedemptionSurvival(Result):
    """Time from earning to redemption per point, with expiry as a competing event.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct age (days since earning) with an event:
        ``days``, ``at_risk`` (points held at least that long), ``redeemed``,
        ``other`` (expired or removed), ``censored`` (still held at ``asof``,
        at that age), ``survival`` (all-cause: share still held),
        ``cif_redeemed`` and ``cif_other`` (Aalen-Johansen cumulative
        incidence), ``km_redeemed`` (1 - Kaplan-Meier with expiry treated as
        censoring; an upper bound, see Notes).
    asof : datetime.date
    points : float
        Points issued up to ``asof``.
    ultimate_rate : float
        ``cif_redeemed`` at the last event: the share of points redeemed by
        the longest age observed.
    max_days : int
        The longest age observed (follow-up of the oldest points).
    min_expiry_days : int or None
        The youngest age at which points expired (None: no expiry seen).
    warning_messages : tuple of str
    """

    table: pd.DataFrame
    asof: Any
    points: float
    ultimate_rate: float
    max_days: int
    min_expiry_days: int | None
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def cif_at(self, days: float) -> float:
        """Share of points redeemed within ``days`` of earning (Aalen-Johansen)."""
        t = self.table
        hit = t["days"] <= days
        return float(t.loc[hit, "cif_redeemed"].iloc[-1]) if hit.any() else 0.0

    def summary(self) -> str:
        text = (
            f"Time to redemption per point, as of {self.asof}: {self.points:,.0f} points, "
            f"follow-up up to {self.max_days} days\nRedeemed by the longest age observed "
            f"(Aalen-Johansen): {self.ultimate_rate:.4f}; plain Kaplan-Meier (expiry censored): "
            f"{float(self.table['km_redeemed'].iloc[-1]):.4f}"
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "ultimate_rate": self.ultimate_rate,
                "method": "Aalen-Johansen cumulative incidence of redemption per point "
                "(expiry competing)",
                "points": self.points,
                "max_days": self.max_days,
                "min_expiry_days": self.min_expiry_days,
                "asof": str(self.asof),
                "warnings": self.warnings,
            }
        )


def redemption_survival(
    ledger: PointsLedger | pd.DataFrame,
    *,
    asof: Any = None,
) -> RedemptionSurvival:
    """Time from earning to redemption of each point (FIFO), as a survival curve.

    Parameters
    ----------
    ledger : PointsLedger or pandas.DataFrame
    asof : date-like, optional
        Evaluation date; points still held then are censored at their age.

    Returns
    -------
    RedemptionSurvival

    Notes
    -----
    Each point issued is followed from its earning day (FIFO, see the module
    docstring) to its redemption, its expiry or removal (a competing event),
    or ``asof`` (censored). With :math:`Y_j` the points at risk at age
    :math:`t_j` (held at least :math:`t_j` days; censored points count at their
    own age), :math:`d^R_j` and :math:`d^O_j` those redeemed and expired or
    removed at :math:`t_j`:

    .. math:: S(t) = \\prod_{t_j \\le t}\\left(1 - \\frac{d^R_j + d^O_j}{Y_j}\\right),
              \\qquad F_R(t) = \\sum_{t_j \\le t} S(t_{j}^{-}) \\frac{d^R_j}{Y_j}.

    :math:`F_R` (Aalen-Johansen) is the share of points redeemed by age
    :math:`t`; at the longest age observed it estimates the URR when
    redemptions have stopped by then (programmes with expiry). The plain
    Kaplan-Meier :math:`1 - \\prod (1 - d^R_j / Y_j)`, which treats expired
    points as if they might still be redeemed, overstates redemption whenever
    points expire; it is reported for comparison only. Points are the units
    here (a member's 1,000 points weigh 1,000 times one point), so no standard
    errors are given: the members, not the points, are independent. Use the
    chain ladder's bootstrap for a range.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from
    incomplete observations. *JASA*, 53, 457-481.
    Aalen, O. O., & Johansen, S. (1978). An empirical transition matrix for
    non-homogeneous Markov chains based on censored observations.
    *Scandinavian Journal of Statistics*, 5, 141-150.
    R: ``survival::survfit(Surv(days, event) ~ 1, weights = points)`` with
    ``event`` a factor (censored, redeemed, other) gives the same
    ``pstate``.

    Examples
    --------
    >>> df = pd.DataFrame({"member_id": ["a", "a", "b", "b"],
    ...     "date": ["2024-01-01", "2024-01-11", "2024-01-01", "2024-01-21"],
    ...     "type": ["earn", "redeem", "earn", "expire"], "points": [100, 100, 100, 100]})
    >>> s = redemption_survival(df)
    >>> s.table[["days", "redeemed", "other", "cif_redeemed", "km_redeemed"]]
       days  redeemed  other  cif_redeemed  km_redeemed
    0    10     100.0    0.0           0.5          0.5
    1    20       0.0  100.0           0.5          0.5
    """
    led = _as_ledger(ledger)
    day = _asof_date(led, asof)
    table = _fifo_allocation(led, day)
    db = led.con
    rows = db.execute(
        f"SELECT CASE WHEN kind = 'held' THEN DATE '{day.isoformat()}' - earn_date "
        "ELSE burn_date - earn_date END AS days, "
        "CASE kind WHEN 'redeem' THEN 'redeemed' WHEN 'held' THEN 'censored' ELSE 'other' END "
        f"AS status, sum(points) AS points FROM {table} GROUP BY 1, 2"
    ).df()
    min_exp = db.execute(
        f"SELECT min(burn_date - earn_date) FROM {table} WHERE kind = 'expire'"
    ).fetchall()[0][0]
    _drop_fifo(led)
    if rows.empty:
        raise InputError(
            f"No points were issued on or before {day}.",
            file=led.source,
            hint="Check asof, or the ledger's earn rows.",
        )
    wide = rows.pivot_table(
        index="days", columns="status", values="points", aggfunc="sum", fill_value=0.0
    )
    for col in ("redeemed", "other", "censored"):
        if col not in wide.columns:
            wide[col] = 0.0
    wide = wide.sort_index()
    total = float(wide[["redeemed", "other", "censored"]].to_numpy().sum())
    leaving = wide["redeemed"] + wide["other"] + wide["censored"]
    at_risk = total - leaving.cumsum().shift(1, fill_value=0.0)
    t = pd.DataFrame(
        {
            "days": wide.index.astype("int64"),
            "at_risk": at_risk.to_numpy(),
            "redeemed": wide["redeemed"].to_numpy(),
            "other": wide["other"].to_numpy(),
            "censored": wide["censored"].to_numpy(),
        }
    )
    t = t[(t["redeemed"] > 0) | (t["other"] > 0) | (t["censored"] > 0)]
    y = t["at_risk"].to_numpy()
    dr, do = t["redeemed"].to_numpy(), t["other"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        haz_r = np.where(y > 0, dr / y, 0.0)
        haz_o = np.where(y > 0, do / y, 0.0)
    surv = np.cumprod(1 - haz_r - haz_o)
    before = np.concatenate([[1.0], surv[:-1]])
    t["survival"] = surv
    t["cif_redeemed"] = np.cumsum(before * haz_r)
    t["cif_other"] = np.cumsum(before * haz_o)
    t["km_redeemed"] = 1 - np.cumprod(1 - haz_r)
    events = t[(t["redeemed"] > 0) | (t["other"] > 0)]
    t = t.reset_index(drop=True)
    urr = float(events["cif_redeemed"].iloc[-1]) if len(events) else 0.0
    max_days = int(t["days"].max())
    warnings = []
    if len(events) and float(events["redeemed"].iloc[-1]) > 0 and min_exp is None:
        warnings.append(
            f"Points were still being redeemed at the longest age observed ({max_days} days) "
            "and none expired: the share redeemed by then is a lower bound of the URR."
        )
    return RedemptionSurvival(
        table=t,
        asof=day,
        points=total,
        ultimate_rate=urr,
        max_days=max_days,
        min_expiry_days=None if min_exp is None else int(min_exp),
        warning_messages=tuple(warnings),
    )


def breakage_by_expiry(
    survival: RedemptionSurvival | PointsLedger | pd.DataFrame,
    expiry_months: Any = (6, 12, 18, 24, 36),
    *,
    current_expiry_months: float | None = None,
) -> pd.DataFrame:
    """Breakage under alternative expiry policies (points expire ``m`` months after earning).

    Parameters
    ----------
    survival : RedemptionSurvival, PointsLedger or pandas.DataFrame
        A :func:`redemption_survival` result, or a ledger to compute it from.
    expiry_months : sequence of numbers, optional
        The policies: points expire this many months after they are earned
        (a month is 365.25 / 12 days).
    current_expiry_months : float, optional, keyword-only
        The programme's own expiry rule, if it has one: the ledger shows no
        redemption of points older than that, so longer policies cannot be
        assessed from it.

    Returns
    -------
    pandas.DataFrame
        ``expiry_months``, ``days``, ``redeemed_share`` (share of points
        redeemed within that age), ``breakage`` (1 - redeemed_share) and
        ``identified`` (False where the ledger cannot tell: ages beyond the
        longest follow-up or beyond ``current_expiry_months``; the share is
        then missing).

    Notes
    -----
    Under a policy of :math:`m` months, a point redeemed at age :math:`a`
    would still be redeemed when :math:`a \\le m` and would expire otherwise,
    so the redemption rate is the cumulative incidence :math:`F_R(m)` of
    :func:`redemption_survival`. This holds members' timing fixed: members who
    see points expire sooner may redeem sooner, so the breakage of a shorter
    expiry is an upper bound.

    Examples
    --------
    >>> df = pd.DataFrame({"member_id": ["a", "a", "b", "b"],
    ...     "date": ["2024-01-01", "2024-01-11", "2024-01-01", "2024-08-01"],
    ...     "type": ["earn", "redeem", "earn", "redeem"], "points": [100, 100, 100, 100]})
    >>> breakage_by_expiry(df, [3, 12])[["expiry_months", "breakage", "identified"]]
       expiry_months  breakage  identified
    0              3       0.5        True
    1             12       NaN       False
    """
    surv = survival if isinstance(survival, RedemptionSurvival) else redemption_survival(survival)
    months = np.atleast_1d(np.asarray(expiry_months, dtype=float))
    if np.any(~np.isfinite(months)) or np.any(months <= 0):
        raise ValueError("expiry_months must be positive numbers of months, e.g. (6, 12, 24)")
    limit = float(surv.max_days)
    if current_expiry_months is not None:
        if not current_expiry_months > 0:
            raise ValueError("current_expiry_months must be a positive number of months, or None")
        limit = min(limit, float(np.floor(current_expiry_months * DAYS_PER_MONTH)))
    rows = []
    for mth in months:
        days = float(np.floor(mth * DAYS_PER_MONTH))
        ok = days <= limit
        share = surv.cif_at(days) if ok else np.nan
        rows.append(
            {
                "expiry_months": mth if mth != int(mth) else int(mth),
                "days": int(days),
                "redeemed_share": share,
                "breakage": 1 - share if ok else np.nan,
                "identified": bool(ok),
            }
        )
    return pd.DataFrame(rows)
