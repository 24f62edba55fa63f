"""Loyalty points under IFRS 15: allocation, revenue on redemption, the liability roll-forward.

Points that give a member a discount on future purchases are a *material
right* (IFRS 15.B39-B40): a separate performance obligation. Part of the
consideration of the sale that earns them is allocated to the points by
relative stand-alone selling prices (IFRS 15.74 and B42), held as a contract
liability, and recognised as revenue when the points are redeemed, in
proportion to the points expected to be redeemed (B46, breakage; Illustrative
Example 52, IE267-IE270). ASC 606-10-55-41 to 45 (US GAAP) is the same in
substance.

:func:`allocate_points` splits a sale between goods and points,
:func:`points_revenue` gives the revenue recognised to date, and
:func:`liability_rollforward` the contract liability per period: opening,
allocated, recognised, change in estimate, closing. All amounts are in the
reporting currency and unrounded; round for presentation only (Example 52
rounds each step to whole currency units).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings

__all__ = [
    "LiabilityRollforward",
    "PointsAllocation",
    "allocate_points",
    "liability_rollforward",
    "points_revenue",
]


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    bad = ~np.isfinite(arr) | ((arr < 0) if allow_zero else (arr <= 0))
    if np.any(bad):
        first = arr.ravel()[int(np.flatnonzero(bad.ravel())[0])]
        need = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{name} must be finite and {need}; got {first!r}")
    return arr


@dataclasses.dataclass(frozen=True)
class PointsAllocation(Result):
    """The transaction price of a sale split between the goods and the points.

    Attributes
    ----------
    sales : float or numpy.ndarray
        The transaction price (consideration received).
    goods_ssp, points_ssp : float or numpy.ndarray
        Stand-alone selling prices of the goods and of the points.
    to_goods, to_points : float or numpy.ndarray
        The consideration allocated to each; ``to_points`` is the contract
        liability recognised at the sale.
    points : float or numpy.ndarray
        Points issued.
    expected_redemption : float or numpy.ndarray
        The share of points expected to be redeemed.
    """

    sales: Any
    goods_ssp: Any
    points_ssp: Any
    to_goods: Any
    to_points: Any
    points: Any
    expected_redemption: Any

    def to_frame(self) -> pd.DataFrame:
        """One row per sale: its price, points, SSPs and the two allocations."""
        names: tuple[str, ...] = ("sales", "points", "expected_redemption", "goods_ssp")
        names = (*names, "points_ssp", "to_goods", "to_points")
        cols = np.broadcast_arrays(*(np.atleast_1d(getattr(self, n)) for n in names))
        return pd.DataFrame(dict(zip(names, cols, strict=True)))


def allocate_points(
    sales: Any,
    points: Any,
    point_value: Any,
    expected_redemption: Any,
    *,
    goods_ssp: Any = None,
) -> PointsAllocation:
    """Allocate a sale's price between the goods and the points (relative SSPs).

    Parameters
    ----------
    sales : float or array-like
        The transaction price of the purchases that earned the points.
    points : float or array-like
        Points issued on those purchases.
    point_value : float or array-like
        What a redeemed point is worth to the customer (currency per point:
        the discount it gives).
    expected_redemption : float or array-like
        The share of the points expected to be redeemed, in (0, 1] (9,500 of
        10,000 points: 0.95); 1 - breakage.
    goods_ssp : float or array-like, optional
        Stand-alone selling price of the goods; default ``sales`` (the goods
        are sold at their stand-alone price, as in Example 52).

    Returns
    -------
    PointsAllocation

    Raises
    ------
    ValueError
        Non-positive sales, points or point value, or ``expected_redemption``
        outside (0, 1].

    Notes
    -----
    IFRS 15.B42: the stand-alone selling price of the option reflects the
    discount obtained on exercise, adjusted for the likelihood it is
    exercised: :math:`SSP_P = \\text{points} \\times v \\times \\rho` with
    :math:`v` the point value and :math:`\\rho` the expected redemption rate.
    IFRS 15.76: the price is allocated in proportion to the stand-alone
    selling prices,

    .. math:: A_P = \\text{sales} \\times \\frac{SSP_P}{SSP_G + SSP_P}, \\qquad
              A_G = \\text{sales} - A_P.

    In Example 52 (IE267-IE268): sales 100,000, 10,000 points worth 1 each,
    9,500 expected to be redeemed: :math:`SSP_P = 9{,}500` and
    :math:`A_P = 100{,}000 \\times 9{,}500 / 109{,}500 = 8{,}675.80`, presented as
    8,676 (goods 91,324).

    References
    ----------
    IFRS 15 *Revenue from Contracts with Customers*, paragraphs 74-80, B39-B43;
    Illustrative Example 52 (customer loyalty programme), IE267-IE270.

    Examples
    --------
    >>> a = allocate_points(100_000, 10_000, 1.0, 0.95)
    >>> round(a.to_points), round(a.to_goods)
    (8676, 91324)
    """
    s = _positive("sales", sales)
    n = _positive("points", points)
    v = _positive("point_value", point_value)
    rho = _positive("expected_redemption", expected_redemption)
    if np.any(rho > 1):
        raise ValueError(
            f"expected_redemption must be a share in (0, 1]; got {rho.max()!r}. Give the share "
            "of points expected to be redeemed: 9,500 of 10,000 points is 0.95."
        )
    g = s if goods_ssp is None else _positive("goods_ssp", goods_ssp)
    ssp_p = n * v * rho
    to_points = s * ssp_p / (g + ssp_p)

    def out(a: np.ndarray) -> Any:
        return float(a) if a.ndim == 0 else a

    return PointsAllocation(
        sales=out(s),
        goods_ssp=out(np.asarray(g, dtype=float)),
        points_ssp=out(ssp_p),
        to_goods=out(s - to_points),
        to_points=out(to_points),
        points=out(n),
        expected_redemption=out(rho),
    )


def points_revenue(allocated: Any, redeemed_cumulative: Any, expected_total: Any) -> Any:
    """Revenue recognised to date on points: allocated x redeemed / expected (capped at 1).

    Parameters
    ----------
    allocated : float or array-like
        The consideration allocated to the points (:func:`allocate_points`).
    redeemed_cumulative : float or array-like
        Points redeemed to date.
    expected_total : float or array-like
        Points expected to be redeemed in total (the current estimate).

    Returns
    -------
    float or numpy.ndarray
        Cumulative revenue: :math:`A_P \\min(1, r / E)`.

    Notes
    -----
    IFRS 15.B46 and IE269-IE270: revenue is recognised on the basis of the
    points redeemed relative to the total expected to be redeemed; when the
    estimate changes, the cumulative revenue is updated (a catch-up).
    Example 52: 4,500 of 9,500 redeemed in year 1: :math:`8{,}676 \\times
    4{,}500 / 9{,}500 = 4{,}110`; year 2, 8,500 of a revised 9,700:
    :math:`8{,}676 \\times 8{,}500 / 9{,}700 = 7{,}603` cumulative.

    Examples
    --------
    >>> round(points_revenue(8_676, 4_500, 9_500)), round(points_revenue(8_676, 8_500, 9_700))
    (4110, 7603)
    """
    a = _positive("allocated", allocated, allow_zero=True)
    r = _positive("redeemed_cumulative", redeemed_cumulative, allow_zero=True)
    e = _positive("expected_total", expected_total)
    rev = a * np.minimum(1.0, r / e)
    return float(rev) if rev.ndim == 0 else rev


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects
class LiabilityRollforward(Result):
    """The contract liability for points, period by period (and by cohort).

    Attributes
    ----------
    by_period : pandas.DataFrame
        Index ``period``: ``opening``, ``allocated``, ``recognised``,
        ``estimate_change``, ``closing`` and ``revenue`` (see
        :func:`liability_rollforward`).
    by_cohort : pandas.DataFrame
        The same per ``cohort`` and ``period`` with the inputs
        ``redeemed_cumulative`` and ``expected_total``.
    warning_messages : tuple of str
    """

    by_period: pd.DataFrame
    by_cohort: pd.DataFrame
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.by_period

    def summary(self) -> str:
        text = "Contract liability for points (IFRS 15), per period:\n" + (
            self.by_period.to_string(float_format="{:,.2f}".format)
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``{period: {opening, allocated, recognised, estimate_change, closing}}``."""
        cols = ["opening", "allocated", "recognised", "estimate_change", "closing"]
        return jsonable(
            {str(p): row for p, row in self.by_period[cols].to_dict(orient="index").items()}
        )


def liability_rollforward(
    schedule: pd.DataFrame,
    *,
    cohort_col: str = "cohort",
    period_col: str = "period",
    allocated_col: str = "allocated",
    redeemed_col: str = "redeemed_cumulative",
    expected_col: str = "expected_total",
) -> LiabilityRollforward:
    """Roll the points liability forward: opening, allocated, recognised, estimate change, closing.

    Parameters
    ----------
    schedule : pandas.DataFrame
        One row per issuance cohort and reporting period (periods sortable:
        dates, numbers or ISO strings): the consideration ``allocated`` to the
        cohort's points in that period (usually only in its first period, from
        :func:`allocate_points`; 0 otherwise), the cohort's points
        ``redeemed_cumulative`` by the period's end, and ``expected_total``,
        the points of the cohort expected to be redeemed in total as estimated
        at the period's end (e.g. issued x the chain ladder's ultimate rate).
    cohort_col, period_col, allocated_col, redeemed_col, expected_col : str, keyword-only
        The column names.

    Returns
    -------
    LiabilityRollforward
        ``by_period`` (summed over cohorts) and ``by_cohort``:

        - ``opening``: the liability at the start of the period;
        - ``allocated``: consideration allocated to points issued in the period;
        - ``recognised``: revenue on the period's redemptions at the current
          estimate;
        - ``estimate_change``: the increase of the liability from revising the
          expected total (the catch-up on earlier redemptions; negative when
          fewer redemptions are now expected, i.e. more revenue);
        - ``closing`` = opening + allocated - recognised + estimate_change;
        - ``revenue`` = recognised - estimate_change.

    Raises
    ------
    InputError
        Missing columns, a cohort listed twice for one period, cumulative
        redemptions that fall, or non-positive expected totals (naming the row).

    Notes
    -----
    For a cohort with allocated consideration :math:`A` (summed to date),
    cumulative redemptions :math:`r_t` and expected total :math:`E_t`, the
    cumulative revenue is :math:`R_t = A \\min(1, r_t / E_t)` (IFRS 15.B46,
    IE269-IE270) and the liability :math:`L_t = A - R_t`. The period's
    revenue splits into redemptions valued at the current estimate and the
    catch-up for the revision:

    .. math:: R_t - R_{t-1} = \\underbrace{A\\frac{r_t - r_{t-1}}{E_t}}_{\\text{recognised}}
              + \\underbrace{A\\, r_{t-1}\\left(\\frac{1}{E_t} - \\frac{1}{E_{t-1}}\\right)}_{
              -\\text{estimate change}}

    (with the ratios capped at 1). In Example 52, year 2: recognised
    :math:`8{,}676 \\times 4{,}000 / 9{,}700 = 3{,}578`, estimate change
    :math:`+85` (9,700 now expected instead of 9,500), revenue 3,493, closing
    liability 1,073.

    References
    ----------
    IFRS 15, paragraphs 105-109 (contract liabilities), 116-118 (disclosure of
    their changes), B46 and Illustrative Example 52 (IE267-IE270).

    Examples
    --------
    >>> s = pd.DataFrame({"cohort": [1, 1], "period": [1, 2], "allocated": [8_676.0, 0.0],
    ...     "redeemed_cumulative": [4_500, 8_500], "expected_total": [9_500, 9_700]})
    >>> liability_rollforward(s).by_period.round(0)  # doctest: +NORMALIZE_WHITESPACE
            opening  allocated  recognised  estimate_change  closing  revenue
    period
    1           0.0     8676.0      4110.0              0.0   4566.0   4110.0
    2        4566.0        0.0      3578.0             85.0   1073.0   3493.0
    """
    cols = {
        "cohort": cohort_col,
        "period": period_col,
        "allocated": allocated_col,
        "redeemed": redeemed_col,
        "expected": expected_col,
    }
    missing = [c for c in cols.values() if c not in schedule.columns]
    if missing:
        raise InputError(
            f"The schedule has no column(s) {', '.join(repr(c) for c in missing)}.",
            column=missing[0],
            hint="It needs one row per cohort and period with: " + ", ".join(cols.values()) + ".",
        )
    df = schedule[list(cols.values())].copy()
    df.columns = list(cols)
    df["_row"] = np.arange(1, len(df) + 1)
    for key in ("allocated", "redeemed", "expected"):
        df[key] = pd.to_numeric(df[key], errors="coerce")
        bad = df[key].isna() | ~np.isfinite(df[key].to_numpy(dtype=float))
        if key in ("allocated", "redeemed"):
            bad |= df[key] < 0
        else:
            bad |= df[key] <= 0
        if bad.any():
            row = int(df.loc[bad, "_row"].iloc[0])
            need = "a positive number" if key == "expected" else "a number >= 0"
            raise InputError(
                f"{int(bad.sum())} row(s) of the schedule have a {cols[key]} that is not {need}.",
                column=cols[key],
                row=row,
                value=schedule[cols[key]].iloc[row - 1],
                hint="Give every cohort and period its allocated consideration, cumulative "
                "redemptions and expected total redemptions (> 0).",
            )
    dup = df.duplicated(["cohort", "period"], keep="first")
    if dup.any():
        row = int(df.loc[dup, "_row"].iloc[0])
        raise InputError(
            "A cohort appears more than once for the same period in the schedule.",
            column=cohort_col,
            row=row,
            value=df.loc[dup, "cohort"].iloc[0],
            hint="Give one row per cohort and period (sum the allocations of a period first).",
        )
    df = df.sort_values(["cohort", "period"], kind="stable")
    periods = np.sort(df["period"].unique())
    first = df.groupby("cohort", sort=False)["period"].transform("min")
    expected_rows = {
        (c, p) for c, p0 in zip(df["cohort"], first, strict=True) for p in periods if p >= p0
    }
    gaps = sorted(expected_rows - set(zip(df["cohort"], df["period"], strict=True)), key=str)
    if gaps:
        raise InputError(
            f"{len(gaps)} cohort-period(s) are missing from the schedule (the first: cohort "
            f"{gaps[0][0]!r} in period {gaps[0][1]!r}).",
            column=period_col,
            hint="Give every cohort a row for each period from its first one on (with its "
            "cumulative redemptions and current expected total), until its liability is 0.",
        )
    g = df.groupby("cohort", sort=False)
    falling = g["redeemed"].diff() < -1e-9
    if falling.any():
        row = int(df.loc[falling, "_row"].iloc[0])
        raise InputError(
            "Cumulative redemptions of a cohort fall from one period to the next.",
            column=redeemed_col,
            row=row,
            value=df.loc[falling, "redeemed"].iloc[0],
            hint="Give redemptions to date (cumulative), not per period.",
        )
    A = g["allocated"].cumsum()
    ratio = np.minimum(1.0, df["redeemed"] / df["expected"])
    revenue_cum = A * ratio
    prev_r = g["redeemed"].shift(1, fill_value=0.0)
    prev_e = g["expected"].shift(1)
    prev_rev = revenue_cum.groupby(df["cohort"]).shift(1, fill_value=0.0)
    prev_A = A.groupby(df["cohort"]).shift(1, fill_value=0.0)
    # revenue at the current estimate on all redemptions so far, on last period's redemptions
    # last period's redemptions on last period's consideration, valued at the current estimate
    prev_at_new = prev_A * np.minimum(1.0, prev_r / df["expected"])
    catch_up = (prev_at_new - prev_rev).where(prev_e.notna(), 0.0)
    out = pd.DataFrame(
        {
            "cohort": df["cohort"],
            "period": df["period"],
            "redeemed_cumulative": df["redeemed"],
            "expected_total": df["expected"],
            "opening": prev_A - prev_rev,
            "allocated": df["allocated"],
            "recognised": revenue_cum - prev_rev - catch_up,
            "estimate_change": 0.0 - catch_up,
            "closing": A - revenue_cum,
        }
    )
    out["revenue"] = out["recognised"] - out["estimate_change"]
    warnings = []
    over = df["redeemed"] > df["expected"] * (1 + 1e-9)
    if over.any():
        warnings.append(
            f"{int(over.sum())} cohort-period(s) have more points redeemed than the expected "
            "total: revenue is capped at the allocated consideration; revise the estimate."
        )
    by_period = (
        out.groupby("period", sort=True)[
            ["opening", "allocated", "recognised", "estimate_change", "closing", "revenue"]
        ]
        .sum()
        .astype("float64")
    )
    return LiabilityRollforward(
        by_period=by_period,
        by_cohort=out.reset_index(drop=True),
        warning_messages=tuple(warnings),
    )
