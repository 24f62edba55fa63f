"""Customer lifetime value: BG/NBD purchase model and Gamma–Gamma spend model.

The models are fitted by maximum likelihood with scipy, following the
formulas of Fader, Hardie & Lee (2005a, 2005b) exactly as the ``lifetimes``
package (0.11.3) implements them, so the estimates reproduce the published
values (CDNOW: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood
-9582.4). Each fit runs from several deterministic starts and checks that the
point it reports is a maximum (see :func:`fit_bgnbd`). We do not depend on
``lifetimes`` (unmaintained since 2020) or on ``pymc-marketing`` (its priors
move the estimates away from the MLE).

The chain is::

    summary = rfm_summary(transactions)                    # one row per member
    bgnbd = fit_bgnbd(summary)                             # purchases, dropout
    gg = fit_gamma_gamma(summary)                          # spend per purchase
    table = customer_lifetime_value(bgnbd, gg, summary)    # CLV per member

and :func:`clv_analysis` runs it (plus the calibration/holdout check) into one
:class:`CLVResult` whose ``to_dict()`` is the study's ``clv`` entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings

__all__ = [
    "BGNBDResult",
    "CLVResult",
    "GammaGammaResult",
    "clv_analysis",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "holdout_check",
    "rfm_summaries",
    "rfm_summary",
]

_FREQS = ("D", "W")


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------


def check_transaction_frame(transactions: pd.DataFrame) -> pd.DataFrame:
    """Validate the ``member_id``/``date``/``amount`` frame; return a clean copy."""
    if not isinstance(transactions, pd.DataFrame):
        raise InputError("transactions must be a pandas DataFrame")
    missing = [c for c in ("member_id", "date", "amount") if c not in transactions.columns]
    if missing:
        raise InputError(
            f"transactions lack the column(s) {missing}",
            hint="map your columns to member_id, date and amount",
        )
    df = transactions[["member_id", "date", "amount"]].copy()
    if not pd.api.types.is_datetime64_any_dtype(df["date"]):
        raise InputError(
            "the date column is not a datetime column",
            column="date",
            value=str(df["date"].dtype),
            hint="parse it first, e.g. pd.to_datetime(df['date'])",
        )
    if not pd.api.types.is_numeric_dtype(df["amount"]):
        raise InputError("the amount column is not numeric", column="amount")
    for col in ("member_id", "date", "amount"):
        bad = df[col].isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise InputError(f"missing value in {col}", column=col, row=row)
    df["member_id"] = df["member_id"].astype(str)
    df["date"] = df["date"].dt.tz_localize(None) if df["date"].dt.tz is not None else df["date"]
    df["date"] = df["date"].dt.normalize()
    return df


def _purchase_periods(df: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Purchases (amount >= 0) merged by member and period: member_id, period, amount."""
    purchases = df[df["amount"] >= 0]
    period = purchases["date"] if freq == "D" else purchases["date"].dt.to_period("W").dt.start_time
    out = (
        purchases.assign(period=period.dt.normalize())
        .groupby(["member_id", "period"], sort=True, observed=True)["amount"]
        .sum()
        .reset_index()
    )
    return out


def _period_start(ts: pd.Timestamp, freq: str) -> pd.Timestamp:
    ts = pd.Timestamp(ts).normalize()
    return ts if freq == "D" else ts.to_period("W").start_time.normalize()


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp | None = None,
    observation_end: str | pd.Timestamp | None = None,
    freq: Literal["D", "W"] = "D",
    time_unit_days: float = 7,
) -> pd.DataFrame:
    """Frequency, recency, age and spend per member, as the BG/NBD needs them.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Columns ``member_id``, ``date`` (datetime64) and ``amount``. Rows with a
        negative amount are refunds: they are **excluded** (from the purchase
        counts and from the spend). Rows with amount 0 count as purchases.
    calibration_end : date, optional
        End of the calibration period (inclusive). When given, the summary is
        computed on purchases up to this date and two holdout columns are
        added for (calibration_end, observation_end]; only members whose first
        purchase falls in the calibration period are kept.
    observation_end : date, optional
        End of the observation period (inclusive); default: the last date in
        the data. Purchases after it are ignored.
    freq : {"D", "W"}
        The purchase period: purchases in the same day (``"D"``) or the same
        week (``"W"``: pandas' ``Period("W")``, Monday to Sunday) are merged
        into one purchase.
    time_unit_days : float
        Length of the time unit of ``recency``, ``T`` and ``duration_holdout``
        in days (7: weeks, as in Fader, Hardie & Lee 2005).

    Returns
    -------
    pandas.DataFrame
        Index ``member_id``; columns

        - ``frequency``: repeat purchases, the number of distinct purchase
          periods minus 1;
        - ``recency``: time from the first to the last purchase period;
        - ``T``: time from the first purchase period to the end of the
          calibration (or observation) period;
        - ``monetary_value``: mean spend per repeat purchase period (the first
          purchase excluded; 0 when ``frequency`` is 0);
        - with ``calibration_end``: ``frequency_holdout`` (purchase periods in
          the holdout) and ``duration_holdout`` (its length).

    Notes
    -----
    This is ``lifetimes.utils.summary_data_from_transaction_data`` and
    ``calibration_and_holdout_data`` with durations divided by
    ``time_unit_days`` (``lifetimes`` counts in whole ``freq`` periods; with
    ``freq="D"`` and ``time_unit_days=7`` we give fractional weeks as in the
    published CDNOW summary, e.g. recency 30.43).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275–284.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "member_id": ["a", "a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
    ...     "amount": [10.0, 5.0, 20.0, 8.0]})
    >>> rfm_summary(tx, observation_end="2024-01-29")  # doctest: +NORMALIZE_WHITESPACE
               frequency  recency    T  monetary_value
    member_id
    a                  1      2.0  4.0            20.0
    b                  0      0.0  3.0             0.0
    """
    ends = {"summary": {"calibration_end": calibration_end, "observation_end": observation_end}}
    return rfm_summaries(transactions, ends, freq=freq, time_unit_days=time_unit_days)["summary"]


def rfm_summaries(
    transactions: pd.DataFrame,
    ends: Mapping[str, Mapping[str, str | pd.Timestamp | None]],
    *,
    freq: Literal["D", "W"] = "D",
    time_unit_days: float = 7,
) -> dict[str, pd.DataFrame]:
    """Several :func:`rfm_summary` tables of one log, merging its purchases once.

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``member_id``, ``date`` (datetime64), ``amount``, as in :func:`rfm_summary`.
    ends : mapping of str to mapping
        Name -> ``{"calibration_end": ..., "observation_end": ...}`` (either
        key may be omitted or None), the arguments of one :func:`rfm_summary`.
    freq : {"D", "W"}
    time_unit_days : float
        As in :func:`rfm_summary`.

    Returns
    -------
    dict of str to pandas.DataFrame
        Name -> the table ``rfm_summary(transactions, **ends[name],
        freq=freq, time_unit_days=time_unit_days)`` returns.

    Notes
    -----
    The log is validated once and its purchases are merged by member and
    period (the expensive step on millions of rows) once per distinct
    observation end, or, with ``freq="D"``, once for all of them: a day's
    merged purchase does not depend on the observation end, so the summaries
    up to earlier ends use the days up to them. The tables are then equal to
    separate calls to the last bit, with one theoretical exception: pandas 3
    sums rows already sorted by member and day with ``numpy.add.reduceat`` and
    unsorted ones with Kahan summation, so if the log is sorted that way only
    up to an earlier end, a day total of three or more purchases may differ in
    its last bit.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "member_id": ["a", "a", "b", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-08", "2024-02-05"]),
    ...     "amount": [10.0, 20.0, 8.0, 4.0]})
    >>> s = rfm_summaries(tx, {"all": {}, "january": {"observation_end": "2024-01-31"},
    ...                        "holdout": {"calibration_end": "2024-01-31"}})
    >>> s["january"]["frequency"].tolist(), s["holdout"]["frequency_holdout"].tolist()
    ([1, 0], [0, 1])
    """
    if freq not in _FREQS:
        raise ValueError(f"freq must be one of {_FREQS}, got {freq!r}")
    if not time_unit_days > 0:
        raise ValueError(f"time_unit_days must be positive, got {time_unit_days!r}")
    keys = {"calibration_end", "observation_end"}
    for name, spec in ends.items():
        if set(spec) - keys:
            raise ValueError(
                f"ends[{name!r}] has unknown key(s) {sorted(set(spec) - keys)}; "
                "use 'calibration_end' and 'observation_end'"
            )
    df = check_transaction_frame(transactions)
    if df.empty:
        raise InputError("no transactions")
    windows: dict[str, tuple[pd.Timestamp | None, pd.Timestamp]] = {}
    for name, spec in ends.items():
        observation_end = spec.get("observation_end")
        calibration_end = spec.get("calibration_end")
        obs_end = pd.Timestamp(df["date"].max() if observation_end is None else observation_end)
        cal_end = None if calibration_end is None else pd.Timestamp(calibration_end)
        if cal_end is not None and cal_end >= obs_end:
            raise InputError(
                "calibration_end must lie before observation_end",
                value=str(cal_end.date()),
                hint=f"choose a date before {obs_end.date()}",
            )
        windows[name] = (cal_end, obs_end)
    merged: dict[pd.Timestamp, pd.DataFrame] = {}  # observation end -> merged purchases
    days = None
    if freq == "D" and windows:
        latest = max(obs for _, obs in windows.values())
        days = merged[latest] = _purchase_periods(df[df["date"] <= latest], freq)
    out = {}
    for name, (cal_end, obs_end) in windows.items():
        if obs_end not in merged:
            merged[obs_end] = (
                _purchase_periods(df[df["date"] <= obs_end], freq)
                if days is None
                else days[days["period"] <= obs_end]
            )
        out[name] = _summarise_periods(
            merged[obs_end], cal_end, obs_end, freq=freq, time_unit_days=time_unit_days
        )
    return out


def _summarise_periods(
    periods: pd.DataFrame,
    cal_end: pd.Timestamp | None,
    obs_end: pd.Timestamp,
    *,
    freq: str,
    time_unit_days: float,
) -> pd.DataFrame:
    """The :func:`rfm_summary` table from the purchases merged up to ``obs_end``."""
    end = obs_end if cal_end is None else cal_end
    cal = periods[periods["period"] <= _period_start(end, freq)]
    if cal.empty:
        raise InputError("no purchases before the end of the (calibration) period")
    g = cal.groupby("member_id", sort=True)
    first = g["period"].min()
    last = g["period"].max()
    n = g.size()
    unit = pd.Timedelta(days=time_unit_days)
    end_p = _period_start(end, freq)
    first_amount = cal.loc[g["period"].idxmin(), ["member_id", "amount"]].set_index("member_id")
    repeat_spend = g["amount"].sum() - first_amount["amount"]
    frequency = (n - 1).astype(int)
    out = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first) / unit,
            "T": (end_p - first) / unit,
            "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
        }
    )
    out.index.name = "member_id"
    if cal_end is not None:
        hold = periods[periods["period"] > _period_start(cal_end, freq)]
        out["frequency_holdout"] = (
            hold.groupby("member_id").size().reindex(out.index, fill_value=0).astype(int)
        )
        out["duration_holdout"] = (_period_start(obs_end, freq) - end_p) / unit
    return out


# ---------------------------------------------------------------------------
# Shared fitting helpers
# ---------------------------------------------------------------------------


def _check_summary(summary: pd.DataFrame, cols: tuple[str, ...]) -> None:
    if not isinstance(summary, pd.DataFrame):
        raise InputError("summary must be a pandas DataFrame (see rfm_summary)")
    missing = [c for c in cols if c not in summary.columns]
    if missing:
        raise InputError(
            f"summary lacks the column(s) {missing}", hint="build it with rfm_summary()"
        )
    x = summary[list(cols)].to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise InputError("summary has missing or infinite values")
    if "frequency" in cols and (summary["frequency"] < 0).any():
        raise InputError("frequency must be >= 0")


# The optimiser works on z = log(parameter) and minimises the negative log-likelihood
# per member, so gradients are O(1) whatever the sample size. Each parameter stays
# within _LOG_BOUND log-units of its scale (1 for shape parameters, the data's time or
# money scale for alpha and v): room for any sensible estimate, and near enough that
# gammaln keeps the log-likelihood accurate to well below the tolerances below.
_LOG_BOUND = 16.0  # exp(16) = 8.9e6: beyond _EXTREME, where gammaln still has 8 digits
_EXTREME = np.log(1e6)  # a parameter this many log-units from its scale is extreme
_GRAD_TOL = 1e-6  # max |d loglik / d log(parameter)| per member at a verified maximum
_START_GTOL = 1e-7  # the same, where the runs from the fixed starts stop
_PD_TOL = 1e-9  # smallest / largest Hessian eigenvalue at a verified maximum
_HESS_STEP = 1e-4  # central-difference step of the Hessian, in log-units
_RESTARTS = (2.0, 6.0)  # log-units in and out along the way to the edge, for the check


@dataclasses.dataclass(frozen=True)
class _Fit:
    """What :func:`_maximise` found; the results objects carry its fields."""

    estimates: np.ndarray
    se: np.ndarray
    log_likelihood: float
    converged: bool
    at_boundary: bool
    hessian_pd: bool
    gradient_norm: float
    start: str
    starts: pd.DataFrame
    message: str
    warnings: list[str]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``sum(a * b)`` without BLAS: a threaded ``ddot`` on long vectors stalls on a busy
    machine, and pairwise summation is the more accurate anyway."""
    return float(np.sum(a * b))


def _log_scale_hessian(grad: Any, z: np.ndarray) -> np.ndarray:
    """Central differences of ``grad`` (a gradient in z = log parameters), symmetrised."""
    k = len(z)
    hess = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = _HESS_STEP
        hess[:, i] = (grad(z + e) - grad(z - e)) / (2 * _HESS_STEP)
    return (hess + hess.T) / 2


def _is_pd(hess: np.ndarray) -> bool:
    if not np.isfinite(hess).all():
        return False
    eig = np.linalg.eigvalsh(hess)
    return bool(eig.min() > _PD_TOL * max(eig.max(), 1e-12))


def _maximise(
    loglik: Any,
    starts: list[tuple[str, np.ndarray]],
    names: tuple[str, ...],
    scale: np.ndarray,
    ridges: list[tuple[np.ndarray, str]],
) -> _Fit:
    """Maximise a log-likelihood from several starts and check the point found.

    ``loglik.value_and_gradient(params)`` returns the log-likelihood and its
    gradient in the natural parameters; ``loglik.weight`` is the number of
    members. :func:`fit_bgnbd` (Notes) describes the procedure. ``ridges`` lists
    the model's known degenerate directions in the log-parameters, each with
    the sentence that explains it.
    """
    n = float(loglik.weight)
    log_scale = np.log(scale)
    lower, upper = log_scale - _LOG_BOUND, log_scale + _LOG_BOUND

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(z)
        with np.errstate(all="ignore"):
            ll, g = loglik.value_and_gradient(theta)
        if not (np.isfinite(ll) and np.isfinite(g).all()):
            return 1e10, np.zeros_like(z)  # the line search backs off
        return -ll / n, -g * theta / n

    def grad(z: np.ndarray) -> np.ndarray:
        return objective(z)[1]

    def search(z: np.ndarray) -> tuple[float, np.ndarray]:
        # the objective at the point clipped into the box, plus a quadratic wall
        # outside it (scipy's bounded L-BFGS-B is slowed down by BLAS threads here)
        inside = np.clip(z, lower, upper)
        f, g = objective(inside)
        out = z - inside
        return f + 0.5 * float(out @ out), np.where(out == 0, g, 0.0) + out

    def climb(z0: np.ndarray, gtol: float = 1e-10) -> optimize.OptimizeResult:
        res = optimize.minimize(
            search,
            np.clip(z0, lower, upper),
            jac=True,
            method="BFGS",
            options={"maxiter": 2000, "gtol": gtol},
        )
        res.x = np.clip(res.x, lower, upper)
        res.fun = objective(res.x)[0]
        return res

    rows = []

    def record(label: str, z0: np.ndarray, res: optimize.OptimizeResult) -> None:
        rows.append(
            {
                "start": label,
                **{f"{k}_start": v for k, v in zip(names, np.exp(z0), strict=True)},
                **dict(zip(names, np.exp(res.x), strict=True)),
                "log_likelihood": -res.fun * n,
                "iterations": int(res.nit),
            }
        )

    # the starts run to a per-member gradient of 1e-7 (enough to tell their end points
    # apart); the best is then run on to 1e-10 and polished
    runs = [(label, climb(np.log(theta0), _START_GTOL)) for label, theta0 in starts]
    for (label, res), (_, theta0) in zip(runs, starts, strict=True):
        record(label, np.log(theta0), res)
    # the first start (in the fixed order) that ended at the best value, up to rounding
    lowest = min(res.fun for _, res in runs)
    best_label, best = next((lab, res) for lab, res in runs if res.fun <= lowest + 1e-10)
    if best.fun >= 1e10:
        raise InputError("the log-likelihood is not finite at any start value")
    z = _newton_polish(objective, grad, climb(best.x).x, lower, upper)
    # The check. A point that fails it (or lies far out, some parameter more than a
    # factor 1e6 from its scale) is short of an interior maximum or on a ridge to the
    # edge of the parameter space. Restart from points pulled back towards the scale
    # and pushed further out, along the way out (the extreme parameters, else the
    # flattest direction): a restart that ends higher replaces the point; one pushed
    # out that ends as high and stays out shows the likelihood levelling off there.
    tol = 1e-6 + 1e-8 * n
    edge_checked = False  # no restart from the final point ended higher
    stays_out = False  # ... and one pushed out ended as high, further out
    for _ in range(3):
        g, hess = grad(z), _log_scale_hessian(grad, z)
        extreme = np.abs(z - log_scale) > _EXTREME
        if _is_pd(hess) and np.abs(g).max() <= _GRAD_TOL and not extreme.any():
            break
        direction = _outward(hess, z - log_scale, extreme)
        f0 = objective(z)[0] * n
        better, level = [], []
        for sign, word in ((-1, "pulled back"), (1, "pushed out")):
            for dist in _RESTARTS:
                z0 = z + sign * dist * direction
                res = climb(z0)
                record(f"{word} {dist:g} log-units", z0, res)
                if res.fun * n < f0 - tol:
                    better.append(res)
                elif sign > 0 and res.fun * n <= f0 + tol:
                    level.append(float((res.x - z) @ direction))
        if not better:
            edge_checked = True
            stays_out = bool(level) and max(level) >= 1.0
            break
        z = _newton_polish(objective, grad, min(better, key=lambda r: r.fun).x, lower, upper)
        best_label += ", then a restart"
    theta = np.exp(z)
    with np.errstate(all="ignore"):
        ll = loglik.value_and_gradient(theta)[0]
    g, hess = grad(z), _log_scale_hessian(grad, z)
    gradient_norm = float(np.abs(g).max())
    pd_ok = _is_pd(hess)
    extreme = np.abs(z - log_scale) > _EXTREME
    interior = pd_ok and gradient_norm <= _GRAD_TOL
    # far out, or on a level ridge out, and no restart ended higher: the likelihood
    # rises (or has levelled off) towards the edge
    at_boundary = bool(edge_checked and (extreme.any() or stays_out))
    se = np.full(len(z), np.nan)
    if pd_ok and not at_boundary:
        se = theta * np.sqrt(np.clip(np.diag(np.linalg.inv(hess * n)), 0, None))
    warns: list[str] = []
    if at_boundary:
        direction = _outward(hess, z - log_scale, extreme)
        slope = abs(float(g @ direction))  # per member, along the way out
        warns.append(_boundary_warning(direction, names, theta, slope, ridges))
    elif not interior or extreme.any():
        warns.append(
            "The fit did not reach a verified maximum: the largest gradient per member is "
            f"{gradient_norm:.2g} (at most {_GRAD_TOL:g} expected) and the Hessian is "
            f"{'' if pd_ok else 'not '}positive definite (best of {len(starts)} starts, "
            f"from '{best_label}')."
        )
    if not pd_ok and not at_boundary:
        warns.append("The Hessian is not positive definite: standard errors are unavailable (NaN).")
    starts_frame = pd.DataFrame(rows)
    starts_frame["at_maximum"] = starts_frame["log_likelihood"] >= ll - max(tol, 1e-3)
    message = (
        f"best of {len(starts)} starts from '{best_label}' "
        f"({int(starts_frame['at_maximum'].iloc[: len(starts)].sum())} reached it); "
        "gradient per member "
        f"{gradient_norm:.1e}; Hessian {'' if pd_ok else 'not '}positive definite"
        + ("; maximum at the edge of the parameter space" if at_boundary else "")
    )
    return _Fit(
        estimates=theta,
        se=se,
        log_likelihood=float(ll),
        converged=bool(interior and not at_boundary),
        at_boundary=at_boundary,
        hessian_pd=pd_ok,
        gradient_norm=gradient_norm,
        start=best_label,
        starts=starts_frame,
        message=message,
        warnings=warns,
    )


def _newton_polish(
    objective: Any, grad: Any, z: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """A few damped Newton steps on the central-difference Hessian (stops if it is not PD).

    The quasi-Newton runs stop once the per-member objective no longer changes in its
    last digits; Newton steps then take the gradient to rounding level.
    """
    for _ in range(6):
        g = grad(z)
        if np.abs(g).max() < 1e-12:
            break
        hess = _log_scale_hessian(grad, z)
        if not _is_pd(hess):
            break
        step = np.linalg.solve(hess, -g)
        f0 = objective(z)[0]
        noise = 8 * np.finfo(float).eps * max(1.0, abs(f0))  # rounding of f near the top
        for t in (1.0, 0.5, 0.25, 0.125):
            z_new = np.clip(z + t * step, lower, upper)
            f_new, g_new = objective(z_new)
            if f_new <= f0 + noise and np.abs(g_new).max() < np.abs(g).max():
                z = z_new
                break
        else:
            break
    return z


def _outward(hess: np.ndarray, offset: np.ndarray, extreme: np.ndarray) -> np.ndarray:
    """Unit direction away from the scale: along the parameters that went far out (the
    extreme ones and any at least half as far), else the eigenvector of the smallest
    Hessian eigenvalue (the flattest direction)."""
    if extreme.any() or not np.isfinite(hess).all():
        far = np.abs(offset) >= max(_EXTREME / 2, np.abs(offset).max() / 2)
        d = np.where(far, offset, 0.0)
    else:
        d = np.linalg.eigh(hess)[1][:, 0]
    d = d / max(float(np.linalg.norm(d)), 1e-300)
    return d if float(d @ offset) >= 0 else -d


def _boundary_warning(
    direction: np.ndarray,
    names: tuple[str, ...],
    theta: np.ndarray,
    slope: float,
    ridges: list[tuple[np.ndarray, str]],
) -> str:
    cos = [float(d @ direction) / float(np.linalg.norm(d)) for d, _ in ridges]
    if ridges and max(cos) > 0.9:
        what = ridges[int(np.argmax(cos))][1]
    else:
        moves = [
            f"{k} -> {'infinity' if d > 0 else '0'}"
            for k, d in zip(names, direction, strict=True)
            if abs(d) > 0.3
        ]
        what = ", ".join(moves) + " together"
    values = ", ".join(f"{k} = {v:.3g}" for k, v in zip(names, theta, strict=True))
    return (
        "The likelihood is highest at the edge of the parameter space, as "
        f"{what}. The estimates ({values}) are a point far along that direction, where "
        f"the log-likelihood has levelled off (slope per member {slope:.1e} along it); "
        "restarts from points pulled back towards the interior or pushed further out "
        "end no higher. Read the "
        "extreme parameters as 'very large' or 'very small', not as estimates; their "
        "standard errors are not given."
    )


def _fit_checks(res: Any) -> dict[str, Any]:
    """The fit-check fields of a BG/NBD or Gamma-Gamma result, for ``to_dict``."""
    return {
        "at_boundary": res.at_boundary,
        "hessian_pd": res.hessian_pd,
        "gradient_norm": res.gradient_norm,
        "start": res.start,
        "starts": None if res.starts is None else res.starts.to_dict(orient="records"),
    }


def _params_frame(names: tuple[str, ...], est: np.ndarray, se: np.ndarray) -> pd.DataFrame:
    z = 1.959963984540054
    return pd.DataFrame(
        {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se},
        index=pd.Index(names, name="parameter"),
    )


# ---------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------


class _BGNBDLogLik:
    """The BG/NBD log-likelihood ``sum_i w_i log L(r, alpha, a, b | x_i, t_x,i, T_i)``.

    ``gammaln`` and ``betaln`` depend on x only and the logarithms on T or t_x
    only, so each is evaluated once per distinct value and gathered back to the
    rows; every row then costs a few products and one ``logaddexp``. The terms
    are combined in the same order as the row-wise formula (FHL 2005, eq. 6)::

        A(x) = gammaln(r+x) - gammaln(r) + r log(alpha) + betaln(a, b+x) - betaln(a, b)
        ll = A(x) + logaddexp(-(r+x) log(alpha+T),
                              log(a) - log(b+x-1) - (r+x) log(alpha+t_x))

    (the second argument is -inf when x = 0), so the value is the row-wise one
    to the last bit (``tests/test_clv.py`` checks this against the formula).
    :meth:`value_and_gradient` adds the analytic gradient. With s the share of
    the first term in the sum (1 when x = 0), ``s = expit(d)``,
    ``d = log(b+x-1) - log(a) - (r+x) log1p((T-t_x)/(alpha+t_x))``::

        d/dr     = digamma(r+x) - digamma(r) - s log1p(T/alpha) - (1-s) log1p(t_x/alpha)
        d/dalpha = s (r T - alpha x)/(alpha (alpha+T))
                   + (1-s) (r t_x - alpha x)/(alpha (alpha+t_x))
        d/da     = digamma(a+b) - digamma(a+b+x) + (1-s)/a
        d/db     = digamma(b+x) - digamma(b) + digamma(a+b) - digamma(a+b+x) - (1-s)/(b+x-1)

    written so that no large terms cancel: the gradient stays accurate far out
    on the ridges (r, alpha -> infinity; a, b -> infinity) the search may visit.
    """

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray) -> None:
        self.w = w
        self.n = len(x)
        self.weight = float(np.sum(w))
        self.x_values, self.x_index = np.unique(x, return_inverse=True)
        self.T_values, self.T_index = np.unique(T, return_inverse=True)
        rep = x > 0
        self.rep = np.flatnonzero(rep)
        self.xr_values, self.xr_index = np.unique(x[rep], return_inverse=True)
        self.txr_values, self.txr_index = np.unique(tx[rep], return_inverse=True)
        # for the gradient
        self.w_x = np.bincount(self.x_index, weights=w, minlength=len(self.x_values))
        self.w_rep = w[rep]
        self.gap_rep = T[rep] - tx[rep]
        self.w0_T = np.bincount(
            self.T_index[~rep], weights=w[~rep], minlength=len(self.T_values)
        )  # members without repeat purchases, by T (their share s is 1)

    def _terms(self, params: np.ndarray) -> np.ndarray:
        r, alpha, a, b = params
        xv, xr = self.x_values, self.xr_values
        a1 = special.gammaln(r + xv) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.betaln(a, b + xv) - special.betaln(a, b)  # B(a, b+x) / B(a, b)
        a3 = (-(r + xv))[self.x_index] * np.log(alpha + self.T_values)[self.T_index]
        a4 = np.full(self.n, -np.inf)
        # FHL (2005) eq. 6, second term relative to A2: a / (b + x - 1) * (alpha + t_x)^-(r+x)
        xi = self.xr_index
        log_tx = np.log(alpha + self.txr_values)[self.txr_index]
        a4[self.rep] = (np.log(a) - np.log(b + xr - 1))[xi] - (r + xr)[xi] * log_tx
        return (a1 + a2)[self.x_index] + np.logaddexp(a3, a4)

    def __call__(self, params: np.ndarray) -> float:
        return float(np.sum(self.w * self._terms(params)))

    def value_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """The log-likelihood and its gradient in (r, alpha, a, b)."""
        r, alpha, a, b = params
        xv, xr, xi, ti = self.x_values, self.xr_values, self.xr_index, self.txr_index
        ll = float(np.sum(self.w * self._terms(params)))
        # the two terms' shares for repeat buyers, from their log-ratio d (see above)
        inv_tx = 1 / (alpha + self.txr_values)
        d = (np.log(b + xr - 1) - np.log(a))[xi] - (r + xr)[xi] * np.log1p(
            self.gap_rep * inv_tx[ti]
        )
        s1 = self.w_rep * special.expit(d)  # weighted share of 'alive at T'
        s2 = self.w_rep * special.expit(-d)  # ... of 'dropped out after t_x'
        n_T = len(self.T_values)
        T_rep_index = self.T_index[self.rep]
        s1_T = self.w0_T + np.bincount(T_rep_index, weights=s1, minlength=n_T)
        s1x_T = np.bincount(T_rep_index, weights=s1 * xr[xi], minlength=n_T)
        s2_tx = np.bincount(ti, weights=s2, minlength=len(self.txr_values))
        s2x_tx = np.bincount(ti, weights=s2 * xr[xi], minlength=len(self.txr_values))
        s2_x = np.bincount(xi, weights=s2, minlength=len(xr))
        inv_T = 1 / (alpha + self.T_values)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + xv)
        d_r = (
            _dot(self.w_x, special.digamma(r + xv) - special.digamma(r))
            - _dot(s1_T, np.log1p(self.T_values / alpha))
            - _dot(s2_tx, np.log1p(self.txr_values / alpha))
        )
        d_alpha = (
            _dot(s1_T, r * self.T_values * inv_T)
            - _dot(s1x_T, alpha * inv_T)
            + _dot(s2_tx, r * self.txr_values * inv_tx)
            - _dot(s2x_tx, alpha * inv_tx)
        ) / alpha
        d_a = _dot(self.w_x, psi_ab - psi_abx) + float(s2.sum()) / a
        d_b = _dot(
            self.w_x, special.digamma(b + xv) - special.digamma(b) + psi_ab - psi_abx
        ) - _dot(s2_x, 1 / (b + xr - 1))
        return ll, np.array([d_r, d_alpha, d_a, d_b])


_BGNBD_RIDGES = [
    (
        np.array([1.0, 1.0, 0.0, 0.0]),
        "r and alpha grow without bound with r/alpha fixed, i.e. every member buys at the "
        "same rate (no heterogeneity in the purchase rate: the Poisson special case)",
    ),
    (
        np.array([0.0, 0.0, 1.0, 1.0]),
        "a and b grow without bound with a/(a+b) fixed, i.e. every member has the same "
        "dropout probability",
    ),
    (
        np.array([0.0, 0.0, -1.0, 0.0]),
        "a goes to 0, i.e. the data show no dropout (the model becomes the NBD, members "
        "never leave)",
    ),
    (
        np.array([0.0, 0.0, 0.0, 1.0]),
        "b grows without bound, i.e. the dropout probability goes to 0 (the data show no "
        "dropout; the model becomes the NBD)",
    ),
    (
        np.array([0.0, 0.0, -1.0, 1.0]),
        "a/(a+b) goes to 0, i.e. the mean dropout probability goes to 0 (the data show no "
        "dropout; the model becomes the NBD)",
    ),
    (
        np.array([0.0, 0.0, -1.0, -1.0]),
        "a and b go to 0 with a/(a+b) fixed, i.e. every member's dropout probability is "
        "0 or 1: a share a/(a+b) leave right after their first repeat purchase and the "
        "rest never leave",
    ),
    (
        np.array([-1.0, 0.0, 0.0, 0.0]),
        "r goes to 0, i.e. almost no member makes a repeat purchase",
    ),
]


def _bgnbd_starts(
    x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray
) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
    """Start values of (r, alpha, a, b) and their scale, from frequency, recency and T.

    Moments of the NBD without dropout: the mean rate r/alpha = sum x / sum T and the
    second factorial moment r (r + 1)/alpha^2 = sum x (x - 1) / sum T^2. The mean
    dropout probability a/(a+b) is the expected number of dropouts, sum over repeat
    buyers of P(no purchase in (t_x, T] | rate (r + x)/(alpha + t_x)), per repeat
    purchase, with a = 1. Variations of it (towards the degenerate limits: equal
    rates, equal dropout probabilities, dropout probabilities 0 or 1, little
    dropout) and the unit start complete the set.
    """
    sum_T, sum_T2 = _dot(w, T), _dot(w, T**2)
    t_scale = sum_T / float(w.sum()) if sum_T > 0 else 1.0
    rho = _dot(w, x) / sum_T if sum_T > 0 else 0.0
    k2 = _dot(w, x * (x - 1)) / sum_T2 if sum_T2 > 0 else 0.0
    r0 = rho**2 / (k2 - rho**2) if rho > 0 and k2 > 1.001 * rho**2 else 1.0
    r0 = float(np.clip(r0, 0.01, 100.0))
    alpha0 = float(
        np.clip(r0 / rho if rho > 0 else 10 * r0 * t_scale, 1e-4 * t_scale, 1e4 * t_scale)
    )
    rep = x > 0
    if rep.any():
        rate = (r0 + x[rep]) / (alpha0 + tx[rep])
        dropouts = _dot(w[rep], -np.expm1(-rate * (T[rep] - tx[rep])))
        p_bar = float(np.clip(dropouts / _dot(w, x), 0.02, 0.9))
    else:
        p_bar = 0.5
    m = np.array([r0, alpha0, 1.0, (1 - p_bar) / p_bar])
    starts = [
        ("moments", m),
        ("moments, r and alpha x 10", m * [10, 10, 1, 1]),
        ("moments, r and alpha / 10", m * [0.1, 0.1, 1, 1]),
        ("moments, a and b x 10", m * [1, 1, 10, 10]),
        ("moments, dropout 0 or 1 (a + b = 0.001)", m * [1, 1, 1e-3 * p_bar, 1e-3 * p_bar]),
        ("moments, little dropout (a = 0.001, b = 1)", np.array([r0, alpha0, 1e-3, 1.0])),
        ("unit (1, 1, 1, 1)", np.ones(4)),
    ]
    return starts, np.array([1.0, t_scale, 1.0, 1.0])


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class BGNBDResult(Result):
    """A fitted BG/NBD model (:func:`fit_bgnbd`).

    Attributes
    ----------
    params : pandas.DataFrame
        Index ``r``, ``alpha``, ``a``, ``b``; columns ``estimate``, ``se``
        (inverse Hessian of the log-likelihood), ``ci_low``, ``ci_high``
        (Wald 95 %).
    log_likelihood : float
        Maximised log-likelihood (sum over members).
    n : int
        Members in the fit.
    converged : bool
        True when the estimate is a verified interior maximum: gradient per
        member at most 1e-6 and a positive definite Hessian (log scale).
    message : str
        How the fit went: the winning start, how many starts reached the
        maximum, the gradient and the Hessian check.
    time_unit_days : float
        Length of the model's time unit in days (``alpha`` and every ``t`` are
        in this unit).
    warning_messages : tuple of str
    at_boundary : bool
        True when the likelihood has no maximum at finite parameters and rises
        (or levels off) towards the edge of the parameter space; the warning
        names the direction. ``converged`` is then False.
    hessian_pd : bool or None
        Whether the Hessian of the negative log-likelihood in the log
        parameters is positive definite at the estimate.
    gradient_norm : float
        Largest absolute derivative of the log-likelihood per member with
        respect to the log parameters at the estimate.
    start : str
        The start value set whose run ended highest (see ``starts``).
    starts : pandas.DataFrame or None
        One row per run: ``start`` (its name: the fixed starts, then any
        restarts of the check, 'pulled back ...' or 'pushed out ...'), the
        start values (``<name>_start``), the end point, ``log_likelihood``,
        ``iterations`` and ``at_maximum`` (ended within 1e-3 of the maximum).
    """

    params: pd.DataFrame
    log_likelihood: float
    n: int
    converged: bool
    message: str
    time_unit_days: float = 7.0
    warning_messages: tuple[str, ...] = ()
    at_boundary: bool = False
    hessian_pd: bool | None = None
    gradient_norm: float = float("nan")
    start: str = ""
    starts: pd.DataFrame | None = None

    @property
    def r(self) -> float:
        return float(self.params.loc["r", "estimate"])

    @property
    def alpha(self) -> float:
        return float(self.params.loc["alpha", "estimate"])

    @property
    def a(self) -> float:
        return float(self.params.loc["a", "estimate"])

    @property
    def b(self) -> float:
        return float(self.params.loc["b", "estimate"])

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (see :attr:`params`)."""
        return self.params

    def summary(self) -> str:
        text = (
            f"BG/NBD, n = {self.n}, log-likelihood = {self.log_likelihood:.2f}, "
            f"converged = {self.converged}, time unit = {self.time_unit_days:g} days\n"
            f"Fit: {self.message}\n"
        )
        text += self.params.to_string(float_format=lambda v: f"{v:.4f}")
        text = with_warnings(text, self.warnings)
        return text

    def to_dict(self) -> dict[str, Any]:
        """``{r, alpha, a, b, se: {...}, log_likelihood, n, converged, time_unit_days,
        at_boundary, hessian_pd, gradient_norm, start, starts: [{...}], warnings}``."""
        est = self.params["estimate"]
        return jsonable(
            {
                **{k: est[k] for k in ("r", "alpha", "a", "b")},
                "se": dict(self.params["se"]),
                "log_likelihood": self.log_likelihood,
                "n": self.n,
                "converged": self.converged,
                "time_unit_days": self.time_unit_days,
                **_fit_checks(self),
                "warnings": self.warnings,
            }
        )

    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive | x, t_x, T): FHL (2008) note, eq. 1.

        ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T)/(alpha + t_x))^(r + x))``.
        Arrays broadcast; times in the model's unit.
        """
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (
                np.log(a)
                - np.log(np.where(x > 0, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
            )
        odds = np.where(x > 0, np.exp(log_ratio), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t], FHL (2005) eq. 10.

        ``(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / (1 + [x>0] a/(b+x-1)
        ((alpha+T)/(alpha+t_x))^(r+x))``.
        """
        t, x, tx, T = (np.asarray(v, dtype=float) for v in (t, frequency, recency, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        first = (a + b + x - 1) / (a - 1)
        second = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
        return first * second * self.probability_alive(x, tx, T)

    def expected_purchases_new(self, t: Any) -> np.ndarray:
        """E[X(t)] for a new member: FHL (2005) eq. 9.

        ``(a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``.
        """
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def fit_bgnbd(summary: pd.DataFrame, *, time_unit_days: float = 7) -> BGNBDResult:
    """Fit the BG/NBD model of repeat purchasing by maximum likelihood.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency``, ``recency``, ``T`` (from :func:`rfm_summary`).
    time_unit_days : float
        The time unit of ``recency`` and ``T`` in days; recorded in the
        result so :func:`customer_lifetime_value` can convert periods. Give
        the value used in :func:`rfm_summary` (default 7: weeks).

    Returns
    -------
    BGNBDResult

    Notes
    -----
    While alive a member buys as a Poisson process with rate lambda ~
    Gamma(r, alpha); after every purchase the member drops out with
    probability p ~ Beta(a, b). For a member with x repeat purchases, the last
    at t_x, observed for T (FHL 2005, eq. 6)::

        L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r)
            * [ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]

    evaluated on the log scale (``gammaln``, ``betaln``, ``logaddexp``; the
    second term is dropped when x = 0). Members with identical (x, t_x, T)
    are pooled with weights, and the ``gammaln``/``betaln`` and logarithm
    terms are evaluated once per distinct x, t_x and T (the likelihood is
    unchanged to the last bit; it only costs less on hundreds of thousands of
    members).

    *Search.* The log-likelihood is maximised over the log parameters (BFGS
    with the analytic gradient; each parameter within a factor e^16 of its
    scale: 1 for r, a, b, the mean T for alpha) from seven fixed starts: moment
    estimates from frequency, recency and T (NBD moments for r and alpha, the
    share of repeat buyers who look gone for a/(a+b)), five variations of
    them (r and alpha x 10 and / 10; a and b x 10; a + b = 0.001; a = 0.001,
    b = 1: towards the degenerate limits below), and (1, 1, 1, 1). The best
    end point (the first start in that order that reached it; ``start``) is
    polished by Newton steps; ``starts`` lists every run.

    *Check.* At a maximum the largest derivative of the log-likelihood per
    member with respect to a log parameter is at most 1e-6 and the Hessian
    in the log parameters (central differences of the gradient) is positive
    definite; then ``converged`` is True. Otherwise, or when a parameter
    ends more than a factor 1e6 from its scale, the search restarts from two
    points pulled back towards the interior and two pushed further out, along
    the way out (the far-out parameters, else the flattest direction); a
    restart that ends higher replaces the point. A point still far out, or one
    from which a restart pushed out ends as high and stays out, is a maximum
    at the edge of the parameter space (``at_boundary``): the likelihood rises
    (or levels off) towards a degenerate limit, e.g. r, alpha -> infinity with
    r/alpha fixed (no rate heterogeneity), a/(a+b) -> 0 (no dropout) or
    a, b -> 0 (dropout probabilities 0 or 1), which the warning names. Any
    other point that fails the check gets a 'not verified' warning.
    The standard errors are theta sqrt(diag(H^-1)) with H the Hessian of the
    negative log-likelihood in the log parameters (at a maximum the inverse
    Hessian in the natural parameters); none are given at the edge.

    The estimate is the maximum-likelihood estimate
    ``lifetimes.BetaGeoFitter(penalizer_coef=0).fit`` returns when it
    converges; R's ``BTYD::bgnbd.EstimateParameters(cal.cbs)`` maximises the
    same likelihood from the single start c(1, 3, 1, 3), with the parameters
    bounded at 10000.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275–284. (CDNOW: r = 0.243, alpha = 4.414,
    a = 0.793, b = 2.426, LL = -9582.4.)

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 5, 0, 3],
    ...                   "recency": [0.0, 10.0, 20.0, 30.0, 0.0, 5.0],
    ...                   "T": [40.0, 38.0, 39.0, 35.0, 20.0, 30.0]})
    >>> fit = fit_bgnbd(s)
    >>> bool(fit.log_likelihood < 0)
    True
    """
    _check_summary(summary, ("frequency", "recency", "T"))
    if not time_unit_days > 0:
        raise ValueError(f"time_unit_days must be positive, got {time_unit_days!r}")
    if (summary["recency"] > summary["T"] + 1e-9).any():
        raise InputError("recency exceeds T for some members", column="recency")
    pooled = (
        summary[["frequency", "recency", "T"]]
        .astype(float)
        .value_counts()
        .reset_index(name="weight")
    )
    x = pooled["frequency"].to_numpy()
    tx = pooled["recency"].to_numpy()
    T = pooled["T"].to_numpy()
    w = pooled["weight"].to_numpy(dtype=float)
    names = ("r", "alpha", "a", "b")
    starts, scale = _bgnbd_starts(x, tx, T, w)
    fit = _maximise(_BGNBDLogLik(x, tx, T, w), starts, names, scale, _BGNBD_RIDGES)
    warns = list(fit.warnings)
    if (summary["frequency"] == 0).all():
        warns.append("No member has a repeat purchase: the dropout process is not identified.")
    return BGNBDResult(
        params=_params_frame(names, fit.estimates, fit.se),
        log_likelihood=fit.log_likelihood,
        n=len(summary),
        converged=fit.converged,
        message=fit.message,
        time_unit_days=float(time_unit_days),
        warning_messages=tuple(warns),
        at_boundary=fit.at_boundary,
        hessian_pd=fit.hessian_pd,
        gradient_norm=fit.gradient_norm,
        start=fit.start,
        starts=fit.starts,
    )


# ---------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------


class _GGLogLik:
    """The Gamma-Gamma log-likelihood ``sum_i log L(p, q, v | x_i, m_i)``.

    The ``gammaln`` terms, ``p x`` and ``p x log x`` depend on x only and are
    evaluated once per distinct x; ``log m`` and ``x m`` are computed once. Every
    row then costs one logarithm, ``log(x m + v)``. The terms are combined in the
    same order as the row-wise formula (Fader & Hardie 2013, eq. 3)::

        ll = gammaln(p x + q) - gammaln(p x) - gammaln(q) + q log v
             + (p x - 1) log m + p x log x - (p x + q) log(x m + v)

    so the value is the row-wise one to the last bit (``tests/test_clv.py``
    checks this against the formula). :meth:`value_and_gradient` adds the
    analytic gradient, with u = v/(x m)::

        d/dp = x (digamma(p x + q) - digamma(p x) - log1p(u))
        d/dq = digamma(p x + q) - digamma(q) - log1p(1/u)
        d/dv = (q - p v/m) / (v (1 + u))

    (log1p(u) = log(x m + v) - log(x m) and log1p(1/u) = log(x m + v) - log v
    reuse the row's logarithm; their absolute error stays at rounding level,
    which keeps the gradient accurate far out on the ridges p -> infinity with
    p v fixed and q, v -> infinity that the search may visit).
    """

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        self.x_values, self.x_index = np.unique(x, return_inverse=True)
        self.log_x_values = np.log(self.x_values)
        self.log_m = np.log(m)
        self.xm = x * m
        # for the gradient
        self.weight = float(len(x))
        self.count_x = np.bincount(self.x_index, minlength=len(self.x_values)).astype(float)
        self.x = x
        self.inv_m = 1 / m
        self.log_xm = np.log(self.xm)

    def _terms(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, q, v = params
        px = p * self.x_values
        head = special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
        i = self.x_index
        log_xmv = np.log(self.xm + v)
        ll = (
            head[i] + (px - 1)[i] * self.log_m + (px * self.log_x_values)[i] - (px + q)[i] * log_xmv
        )
        return ll, px, log_xmv

    def __call__(self, params: np.ndarray) -> float:
        return float(np.sum(self._terms(params)[0]))

    def value_and_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """The log-likelihood and its gradient in (p, q, v)."""
        p, q, v = params
        ll, px, log_xmv = self._terms(params)
        psi_pxq = special.digamma(px + q)
        nx = self.count_x
        d_p = _dot(nx * self.x_values, psi_pxq - special.digamma(px)) - _dot(
            self.x, log_xmv - self.log_xm
        )
        d_q = _dot(nx, psi_pxq - special.digamma(q)) - float(np.sum(log_xmv - np.log(v)))
        d_v = _dot(q - p * v * self.inv_m, self.xm / (self.xm + v)) / v
        return float(np.sum(ll)), np.array([d_p, d_q, d_v])


_GG_RIDGES = [
    (
        np.array([1.0, 0.0, -1.0]),
        "p grows without bound with p v fixed, i.e. a member's purchases hardly vary "
        "around the member's own mean (the model becomes 'each member spends a fixed "
        "amount, inverse-gamma distributed across members', and a member's expected "
        "spend is the member's own average)",
    ),
    (
        np.array([0.0, 1.0, 1.0]),
        "q and v grow without bound with v/q fixed, i.e. all members share one mean "
        "spend per purchase (no heterogeneity across members)",
    ),
]


def _gamma_gamma_starts(
    x: np.ndarray, m: np.ndarray
) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
    """Start values of (p, q, v) and their scale, from the members' average spend.

    Method of moments: with mu = p v/(q - 1) the mean of m_x, the variance of m_x
    among members with x purchases is A + B/x, A = mu^2/(q - 2) the spread of the
    members' true means and B/x = mu^2 (q - 1)/((q - 2) p x) the noise of averaging
    x purchases. A least-squares fit of (m - mean m)^2 on 1/x gives A and B, hence
    q = 2 + mu^2/A, p = (q - 1) mu^2/((q - 2) B), v = mu (q - 1)/p (no spread
    across members: q = 1000; none within: p = 1000). Also the limit p -> infinity
    with p v fixed (m ~ inverse gamma(q, p v), Minka's approximation to the gamma
    MLE of 1/m), the limit q -> infinity with v/q fixed (one mean spend for all:
    E[x (m - mu)^2] = mu^2/p), four variations of the moment start and the unit
    start.
    """
    mu = float(m.mean())
    design = np.column_stack([np.ones_like(x), 1 / x])
    (A, B), *_ = np.linalg.lstsq(design, (m - mu) ** 2, rcond=None)
    q0 = float(np.clip(2 + mu**2 / A, 2.1, 1e3)) if A > 0 else 1e3
    p0 = float(np.clip((q0 - 1) * mu**2 / ((q0 - 2) * B), 0.05, 1e3)) if B > 0 else 1e3
    # the other edge, q -> infinity with v/q = 1/nu: m_x ~ Gamma(p x, rate x nu), so
    # E[x (m - mu)^2] = mu^2/p
    spread = float(np.mean(x * (m - mu) ** 2))
    p_one = float(np.clip(mu**2 / spread, 0.05, 1e4)) if spread > 0 else 1e4
    y = 1 / m
    s = float(np.log(y.mean()) - np.log(y).mean())
    q_lim = (
        float(np.clip((3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s), 0.1, 1e4))
        if s > 1e-12
        else 1e4
    )
    c_lim = q_lim / float(y.mean())

    def start(p: float, q: float) -> np.ndarray:
        return np.array([p, q, mu * abs(q - 1) / p])  # the mean spend p v/(q - 1) = mu

    starts = [
        ("moments", start(p0, q0)),
        ("moments, p x 10", start(10 * p0, q0)),
        ("moments, p / 10", start(p0 / 10, q0)),
        ("moments, q x 10", start(p0, 10 * q0)),
        ("moments, q = 1.5", start(p0, 1.5)),
        ("inverse-gamma limit, p = 1000", np.array([1e3, q_lim, c_lim / 1e3])),
        ("one mean spend, q = 1000", start(p_one, 1e3)),
        ("unit (1, 1, 1)", np.ones(3)),
    ]
    return starts, np.array([1.0, 1.0, mu])


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class GammaGammaResult(Result):
    """A fitted Gamma–Gamma spend model (:func:`fit_gamma_gamma`).

    Attributes
    ----------
    params : pandas.DataFrame
        Index ``p``, ``q``, ``v``; columns ``estimate``, ``se``, ``ci_low``,
        ``ci_high``.
    log_likelihood : float
    n : int
        Repeat members in the fit (frequency > 0, monetary_value > 0).
    corr_frequency_monetary : float
        Pearson correlation of frequency and monetary value in the fit sample
        (the model assumes they are independent).
    converged : bool
        True when the estimate is a verified interior maximum (as in
        :class:`BGNBDResult`).
    message : str
        How the fit went (as in :class:`BGNBDResult`).
    warning_messages : tuple of str
    at_boundary, hessian_pd, gradient_norm, start, starts
        The checks of the fit, as in :class:`BGNBDResult`.
    """

    params: pd.DataFrame
    log_likelihood: float
    n: int
    corr_frequency_monetary: float
    converged: bool
    message: str
    warning_messages: tuple[str, ...] = ()
    at_boundary: bool = False
    hessian_pd: bool | None = None
    gradient_norm: float = float("nan")
    start: str = ""
    starts: pd.DataFrame | None = None

    @property
    def p(self) -> float:
        return float(self.params.loc["p", "estimate"])

    @property
    def q(self) -> float:
        return float(self.params.loc["q", "estimate"])

    @property
    def v(self) -> float:
        return float(self.params.loc["v", "estimate"])

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (see :attr:`params`)."""
        return self.params

    def summary(self) -> str:
        text = (
            f"Gamma-Gamma, n = {self.n}, log-likelihood = {self.log_likelihood:.2f}, "
            f"corr(frequency, monetary) = {self.corr_frequency_monetary:.3f}\n"
            f"Fit: {self.message}\n"
        )
        text += self.params.to_string(float_format=lambda v: f"{v:.4f}")
        text = with_warnings(text, self.warnings)
        return text

    def to_dict(self) -> dict[str, Any]:
        """``{p, q, v, se: {...}, log_likelihood, n, corr_frequency_monetary, converged,
        at_boundary, hessian_pd, gradient_norm, start, starts: [{...}], warnings}``."""
        est = self.params["estimate"]
        return jsonable(
            {
                **{k: est[k] for k in ("p", "q", "v")},
                "se": dict(self.params["se"]),
                "log_likelihood": self.log_likelihood,
                "n": self.n,
                "corr_frequency_monetary": self.corr_frequency_monetary,
                "converged": self.converged,
                **_fit_checks(self),
                "warnings": self.warnings,
            }
        )

    def expected_average_value(self, frequency: Any, monetary_value: Any) -> np.ndarray:
        """E[Z | x, m_x]: conditional expected spend per purchase (FHL 2005b, eq. 5).

        ``(q-1)/(p x + q - 1) * p v/(q-1) + p x/(p x + q - 1) * m_x``; members
        with x = 0 get the population mean ``p v / (q - 1)``.
        """
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        p, q, v = self.p, self.q, self.v
        w = p * x / (p * x + q - 1)
        return (1 - w) * (v * p / (q - 1)) + w * m


def fit_gamma_gamma(summary: pd.DataFrame, *, max_abs_corr: float = 0.3) -> GammaGammaResult:
    """Fit the Gamma–Gamma model of spend per purchase by maximum likelihood.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency`` and ``monetary_value`` (from :func:`rfm_summary`).
        Only members with frequency > 0 and monetary_value > 0 enter the fit.
    max_abs_corr : float
        Warn when ``|corr(frequency, monetary_value)|`` among them exceeds this
        (the model assumes spend is independent of the purchase process).

    Returns
    -------
    GammaGammaResult

    Notes
    -----
    Each purchase's value z ~ Gamma(p, nu), nu ~ Gamma(q, v) across members.
    For a member with x repeat purchases of mean value m_x (FHL 2005b;
    Fader & Hardie 2013, eq. 3)::

        log L = log Gamma(p x + q) - log Gamma(p x) - log Gamma(q) + q log v
                + (p x - 1) log m_x + p x log x - (p x + q) log(v + x m_x)

    the likelihood ``lifetimes.GammaGammaFitter`` (penalizer 0) and R's
    ``BTYD::spend.EstimateParameters(m.x.vector, x.vector)`` (single start
    c(1, 1, 1), parameters bounded at 10000) maximise. The mean spend is
    p v / (q - 1), finite for q > 1. The terms that depend on x only are
    evaluated once per distinct x (same value to the last bit).

    The search and the check are those of :func:`fit_bgnbd`, with scale 1 for
    p and q and the mean spend for v, and eight starts: the method of moments
    (the variance of m_x among members with x purchases is
    mu^2/(q - 2) (1 + (q - 1)/(p x)), mu the mean spend: a least-squares fit
    of the squared deviations on 1/x gives p and q), four variations of it,
    a start near each edge (p -> infinity with p v fixed: m ~ inverse gamma;
    q -> infinity with v/q fixed: one mean spend for all), and (1, 1, 1). A single run from (1, 1, 1) can walk up the ridge p -> infinity,
    p v fixed, where the likelihood flattens out below the maximum; when the
    maximum really lies at that edge (a member's purchases vary too little
    around the member's own mean for a finite p), ``at_boundary`` is True and
    the warning says so. The other edge is q, v -> infinity with v/q fixed
    (all members share one mean spend).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415–430. (CDNOW: p = 6.25, q = 3.74, gamma = 15.44.)
    Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
    value. http://brucehardie.com/notes/025/
    Colombo, R., & Jiang, W. (1999). A stochastic RFM model. *Journal of
    Interactive Marketing*, 13(3), 2–12.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(1, 8, 300)
    >>> nu = rng.gamma(4.0, 1 / 15.0, 300)
    >>> m = rng.gamma(6.0 * x, 1 / nu) / x
    >>> gg = fit_gamma_gamma(pd.DataFrame({"frequency": x, "monetary_value": m}))
    >>> bool(gg.converged), gg.start, int(gg.starts["at_maximum"].sum())
    (True, 'moments', 8)
    """
    _check_summary(summary, ("frequency", "monetary_value"))
    keep = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    sub = summary.loc[keep]
    if len(sub) < 10:
        raise InputError(
            f"Only {len(sub)} of {len(summary)} members have repeat purchases with positive "
            "spend; the Gamma-Gamma spend model needs at least 10.",
            hint="Check that the member id column is the right one (every member's "
            "purchases are grouped by it; a date or order column gives one purchase per "
            "'member'), or use a log that covers a longer period.",
        )
    x = sub["frequency"].to_numpy(dtype=float)
    m = sub["monetary_value"].to_numpy(dtype=float)
    names = ("p", "q", "v")
    starts, scale = _gamma_gamma_starts(x, m)
    fit = _maximise(_GGLogLik(x, m), starts, names, scale, _GG_RIDGES)
    est = fit.estimates
    warns = list(fit.warnings)
    corr = float(np.corrcoef(x, m)[0, 1]) if np.std(x) > 0 and np.std(m) > 0 else float("nan")
    if np.isfinite(corr) and abs(corr) > max_abs_corr:
        warns.append(
            f"Frequency and monetary value are correlated (r = {corr:.2f}); the Gamma-Gamma "
            "model assumes independence, so its spend predictions may be biased."
        )
    if est[1] <= 1:
        warns.append(f"q = {est[1]:.3g} <= 1: the mean spend p v / (q - 1) is not finite.")
    return GammaGammaResult(
        params=_params_frame(names, est, fit.se),
        log_likelihood=fit.log_likelihood,
        n=len(sub),
        corr_frequency_monetary=corr,
        converged=fit.converged,
        message=fit.message,
        warning_messages=tuple(warns),
        at_boundary=fit.at_boundary,
        hessian_pd=fit.hessian_pd,
        gradient_norm=fit.gradient_norm,
        start=fit.start,
        starts=fit.starts,
    )


# ---------------------------------------------------------------------------
# CLV and the holdout check
# ---------------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd: BGNBDResult,
    gg: GammaGammaResult,
    summary: pd.DataFrame,
    *,
    horizon_periods: int = 12,
    period_days: float = 30,
    discount_rate: float = 0.01,
) -> pd.DataFrame:
    """Discounted expected value of each member over a horizon.

    Parameters
    ----------
    bgnbd, gg : BGNBDResult, GammaGammaResult
        Fitted models (``summary`` in ``bgnbd.time_unit_days`` units).
    summary : pandas.DataFrame
        ``frequency``, ``recency``, ``T``, ``monetary_value`` per member.
    horizon_periods : int
        Number of periods ahead (default 12).
    period_days : float
        Length of one period in days (default 30: months).
    discount_rate : float
        Discount rate **per period** (default 0.01).

    Returns
    -------
    pandas.DataFrame
        Index as ``summary``; columns ``expected_purchases`` (over the
        horizon), ``probability_alive`` (now), ``expected_average_value``
        (Gamma–Gamma conditional mean) and ``clv``.

    Notes
    -----
    With E[Y(t)] the conditional expectation of :meth:`BGNBDResult.expected_purchases`
    and Δ the period length in model units::

        CLV = sum_{i=1..H} (E[Y(i Δ)] - E[Y((i-1) Δ)]) * E[Z | x, m_x] / (1 + d)^i

    as ``lifetimes.utils._customer_lifetime_value`` computes it.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV.
    *Journal of Marketing Research*, 42(4), 415–430.

    Examples
    --------
    See :func:`clv_analysis`.
    """
    if not (isinstance(horizon_periods, (int, np.integer)) and horizon_periods >= 1):
        raise ValueError(f"horizon_periods must be a positive integer, got {horizon_periods!r}")
    if not period_days > 0:
        raise ValueError(f"period_days must be positive, got {period_days!r}")
    if not discount_rate > -1:
        raise ValueError(f"discount_rate must be > -1, got {discount_rate!r}")
    _check_summary(summary, ("frequency", "recency", "T", "monetary_value"))
    x = summary["frequency"].to_numpy(dtype=float)
    tx = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    value = gg.expected_average_value(x, summary["monetary_value"].to_numpy(dtype=float))
    step = period_days / bgnbd.time_unit_days
    clv = np.zeros(len(summary))
    prev = np.zeros(len(summary))
    for i in range(1, horizon_periods + 1):
        cum = bgnbd.expected_purchases(i * step, x, tx, T)
        clv += (cum - prev) * value / (1 + discount_rate) ** i
        prev = cum
    return pd.DataFrame(
        {
            "expected_purchases": prev,
            "probability_alive": bgnbd.probability_alive(x, tx, T),
            "expected_average_value": value,
            "clv": clv,
        },
        index=summary.index,
    )


def holdout_check(bgnbd: BGNBDResult, summary_with_holdout: pd.DataFrame) -> pd.DataFrame:
    """Predicted vs actual purchases in the holdout period, by calibration frequency.

    Parameters
    ----------
    bgnbd : BGNBDResult
        Fitted on the calibration columns of ``summary_with_holdout``.
    summary_with_holdout : pandas.DataFrame
        :func:`rfm_summary` with ``calibration_end``: ``frequency``,
        ``recency``, ``T``, ``frequency_holdout``, ``duration_holdout``.

    Returns
    -------
    pandas.DataFrame
        Index ``0``, ``1``, ..., ``6``, ``7+`` (calibration repeat purchases)
        and ``all``; columns ``n``, ``predicted_mean``, ``actual_mean``,
        ``predicted_total``, ``actual_total`` and ``abs_error``:
        ``|predicted_mean - actual_mean|`` for the groups and, in the ``all`` row,
        the mean absolute error over members, ``mean(|E[Y] - y|)``.

    Notes
    -----
    The conditional expectation E[Y(t) | x, t_x, T] (FHL 2005, eq. 10) with t
    the holdout duration, averaged within calibration-frequency groups: FHL
    (2005), Figure 4.

    Examples
    --------
    See :func:`clv_analysis`.
    """
    cols = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
    _check_summary(summary_with_holdout, cols)
    s = summary_with_holdout
    pred = bgnbd.expected_purchases(
        s["duration_holdout"].to_numpy(dtype=float),
        s["frequency"].to_numpy(dtype=float),
        s["recency"].to_numpy(dtype=float),
        s["T"].to_numpy(dtype=float),
    )
    actual = s["frequency_holdout"].to_numpy(dtype=float)
    group = np.minimum(s["frequency"].to_numpy(dtype=int), 7)
    labels = [str(k) for k in range(7)] + ["7+"]
    rows = {}
    for k, lab in enumerate(labels):
        sel = group == k
        n = int(sel.sum())
        pm = float(pred[sel].mean()) if n else float("nan")
        am = float(actual[sel].mean()) if n else float("nan")
        rows[lab] = {
            "n": n,
            "predicted_mean": pm,
            "actual_mean": am,
            "predicted_total": float(pred[sel].sum()),
            "actual_total": float(actual[sel].sum()),
            "abs_error": abs(pm - am),
        }
    rows["all"] = {
        "n": len(s),
        "predicted_mean": float(pred.mean()),
        "actual_mean": float(actual.mean()),
        "predicted_total": float(pred.sum()),
        "actual_total": float(actual.sum()),
        "abs_error": float(np.mean(np.abs(pred - actual))),
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "calibration_frequency"
    return out


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class CLVResult(Result):
    """BG/NBD + Gamma–Gamma CLV with its holdout check (:func:`clv_analysis`).

    Attributes
    ----------
    bgnbd : BGNBDResult
        Fitted on the full summary (drives the forward CLV).
    gamma_gamma : GammaGammaResult
    table : pandas.DataFrame
        Per member: ``frequency``, ``recency``, ``T``, ``monetary_value`` and
        the columns of :func:`customer_lifetime_value`.
    holdout : pandas.DataFrame or None
        :func:`holdout_check` of ``holdout_bgnbd`` (None without a holdout).
    holdout_bgnbd : BGNBDResult or None
        BG/NBD fitted on the calibration part of the holdout summary.
    horizon_periods : int
    period_days : float
    discount_rate : float
    total_clv : float
    warning_messages : tuple of str
        The models' warnings, prefixed by the model.
    """

    bgnbd: BGNBDResult
    gamma_gamma: GammaGammaResult
    table: pd.DataFrame
    holdout: pd.DataFrame | None
    holdout_bgnbd: BGNBDResult | None
    horizon_periods: int
    period_days: float
    discount_rate: float
    total_clv: float
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The per-member table (see :attr:`table`)."""
        return self.table

    def summary(self) -> str:
        parts = [
            self.bgnbd.summary(),
            self.gamma_gamma.summary(),
            f"CLV over {self.horizon_periods} periods of {self.period_days:g} days, "
            f"discount {self.discount_rate:g} per period: total {self.total_clv:,.2f} "
            f"over {len(self.table)} members",
        ]
        if self.holdout is not None:
            parts.append("Holdout check:\n" + self.holdout.to_string(float_format="{:.3f}".format))
        text = "\n\n".join(parts)
        text = with_warnings(text, self.warnings)
        return text

    def to_dict(self) -> dict[str, Any]:
        """The study's ``clv`` entry.

        ``{model: {bgnbd: {r, alpha, a, b, log_likelihood, converged, at_boundary,
        start}, gamma_gamma: {p, q, v, log_likelihood, converged, at_boundary,
        start}}, holdout: {predicted, actual, mae, by_frequency: {group:
        {n, predicted, actual}}} or None, horizon_periods, period_days,
        discount_rate, total_clv, n_members, warnings}``. ``holdout.predicted``
        and ``actual`` are total purchases in the holdout period.
        """
        b, g = self.bgnbd, self.gamma_gamma
        holdout = None
        if self.holdout is not None:
            h = self.holdout
            holdout = {
                "predicted": h.loc["all", "predicted_total"],
                "actual": h.loc["all", "actual_total"],
                "mae": h.loc["all", "abs_error"],
                "by_frequency": {
                    k: {
                        "n": h.loc[k, "n"],
                        "predicted": h.loc[k, "predicted_mean"],
                        "actual": h.loc[k, "actual_mean"],
                    }
                    for k in h.index
                    if k != "all"
                },
            }
        return jsonable(
            {
                "model": {
                    "bgnbd": {
                        "r": b.r,
                        "alpha": b.alpha,
                        "a": b.a,
                        "b": b.b,
                        "log_likelihood": b.log_likelihood,
                        "converged": b.converged,
                        "at_boundary": b.at_boundary,
                        "start": b.start,
                    },
                    "gamma_gamma": {
                        "p": g.p,
                        "q": g.q,
                        "v": g.v,
                        "log_likelihood": g.log_likelihood,
                        "converged": g.converged,
                        "at_boundary": g.at_boundary,
                        "start": g.start,
                    },
                },
                "holdout": holdout,
                "horizon_periods": self.horizon_periods,
                "period_days": self.period_days,
                "discount_rate": self.discount_rate,
                "total_clv": self.total_clv,
                "n_members": len(self.table),
                "warnings": self.warnings,
            }
        )


def clv_analysis(
    summary: pd.DataFrame,
    *,
    holdout: pd.DataFrame | None = None,
    time_unit_days: float = 7,
    horizon_periods: int = 12,
    period_days: float = 30,
    discount_rate: float = 0.01,
) -> CLVResult:
    """Fit BG/NBD and Gamma–Gamma, compute CLV per member and check a holdout.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`rfm_summary` over the whole observation period (the forward
        CLV starts at its end).
    holdout : pandas.DataFrame, optional
        :func:`rfm_summary` with ``calibration_end``; a separate BG/NBD is
        fitted on its calibration columns and checked with :func:`holdout_check`.
    time_unit_days : float
        Time unit of the summaries, in days.
    horizon_periods, period_days, discount_rate
        As in :func:`customer_lifetime_value`.

    Returns
    -------
    CLVResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> rows = []
    >>> for i in range(200):
    ...     days = np.sort(rng.choice(365, size=rng.integers(1, 8), replace=False))
    ...     for d in days:
    ...         rows.append((f"m{i}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)),
    ...                      float(rng.gamma(5, 6))))
    >>> tx = pd.DataFrame(rows, columns=["member_id", "date", "amount"])
    >>> res = clv_analysis(rfm_summary(tx), holdout=rfm_summary(tx, calibration_end="2024-09-30"))
    >>> sorted(res.to_dict())[:4]
    ['discount_rate', 'holdout', 'horizon_periods', 'model']
    """
    bg = fit_bgnbd(summary, time_unit_days=time_unit_days)
    gg = fit_gamma_gamma(summary)
    clv = customer_lifetime_value(
        bg,
        gg,
        summary,
        horizon_periods=horizon_periods,
        period_days=period_days,
        discount_rate=discount_rate,
    )
    table = summary[["frequency", "recency", "T", "monetary_value"]].join(clv)
    warns = [f"BG/NBD: {w}" for w in bg.warnings] + [f"Gamma-Gamma: {w}" for w in gg.warnings]
    hold_bg = None
    check = None
    if holdout is not None:
        hold_bg = fit_bgnbd(holdout, time_unit_days=time_unit_days)
        check = holdout_check(hold_bg, holdout)
        warns += [f"BG/NBD (calibration): {w}" for w in hold_bg.warnings]
    return CLVResult(
        bgnbd=bg,
        gamma_gamma=gg,
        table=table,
        holdout=check,
        holdout_bgnbd=hold_bg,
        horizon_periods=int(horizon_periods),
        period_days=float(period_days),
        discount_rate=float(discount_rate),
        total_clv=float(table["clv"].sum()),
        warning_messages=tuple(warns),
    )
