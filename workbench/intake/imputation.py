"""Multiple imputation: predictive mean matching and pooling by Rubin's rules.

:func:`impute_pmm` imputes numeric and Likert columns by chained equations with predictive
mean matching (van Buuren 2018), returning the ``m`` completed data sets.
:func:`pool_estimates` combines the estimates and their squared standard errors from the
analysis of each of the ``m`` completed data sets into one estimate, standard error,
Barnard-Rubin degrees of freedom, t test, confidence interval and fraction of missing
information per parameter, as R's ``mice::pool`` and ``summary(pool(fit), conf.int = TRUE)``
do. :func:`pool_fits` does the same from a list of fitted statsmodels regression results.

Completed data sets from elsewhere (e.g. R ``mice``) can be analysed and pooled as well.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_ci

__all__ = ["PooledEstimates", "impute_pmm", "pool_estimates", "pool_fits"]

#: mice's ``barnard.rubin`` floors lambda at this value before computing the df
_LAMBDA_FLOOR = 1e-4
#: mice's ``summary.mipo`` floors the df at this value for the p-value
_DF_FLOOR_P = 0.001
#: ridge added to the diagonal of a singular X'X in the PMM regression (mice's ``ridge``)
_RIDGE = 1e-5

_COLUMNS = (
    "estimate",
    "se",
    "t",
    "df",
    "p",
    "ci_low",
    "ci_high",
    "within",
    "between",
    "total",
    "riv",
    "lambda",
    "fmi",
)


@dataclasses.dataclass(frozen=True)
class PooledEstimates(Result):
    """Estimates pooled over m imputations by Rubin's rules.

    Attributes
    ----------
    table
        One row per parameter (index ``term``), columns:

        ``estimate``
            Pooled estimate :math:`\\bar Q` (mice ``estimate``).
        ``se``
            :math:`\\sqrt{T}` (mice ``std.error``).
        ``t``
            ``estimate / se`` (mice ``statistic``).
        ``df``
            Barnard-Rubin degrees of freedom (mice ``df``).
        ``p``
            Two-sided p-value of ``t`` on ``df`` (mice ``p.value``).
        ``ci_low``, ``ci_high``
            Confidence interval :math:`\\bar Q \\pm t_{df, 1-\\alpha/2} \\sqrt{T}`
            (mice ``2.5 %``, ``97.5 %``).
        ``within``
            Within-imputation variance :math:`\\bar U` (mice ``ubar``).
        ``between``
            Between-imputation variance :math:`B` (mice ``b``).
        ``total``
            Total variance :math:`T` (mice ``t``).
        ``riv``
            Relative increase in variance due to nonresponse :math:`r` (mice ``riv``).
        ``lambda``
            Proportion of the total variance due to missingness :math:`\\lambda`
            (mice ``lambda``).
        ``fmi``
            Fraction of missing information :math:`\\gamma` (mice ``fmi``).
    m
        Number of imputations pooled.
    df_com
        Complete-data degrees of freedom ``n - k``.
    ci
        Confidence level of ``ci_low``/``ci_high``.
    """

    table: pd.DataFrame
    m: int
    df_com: float
    ci: float
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        head = (
            f"Rubin's rules over m = {self.m} imputations "
            f"(complete-data df = {self.df_com:g}, Barnard-Rubin df, "
            f"{self.ci:.0%} CI)\n"
        )
        body = self.table.to_string(float_format=lambda v: f"{v:.4g}")
        return with_warnings(head + body, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "m": self.m,
            "df_com": jsonable(self.df_com),
            "ci": self.ci,
            "table": jsonable(self.table),
            "warnings": self.warnings,
        }


def _as_matrix(values: Any, name: str) -> tuple[np.ndarray, list[str] | None]:
    """``values`` as an (m, p) float array, with column names when it was a DataFrame."""
    names: list[str] | None = None
    if isinstance(values, pd.DataFrame):
        names = [str(c) for c in values.columns]
        array = values.to_numpy(dtype=float)
    else:
        array = np.asarray(values, dtype=float)
        if array.ndim == 1:
            array = array[:, None]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be an (m, p) table: one row per imputation, one column per "
            f"parameter; got an array with {array.ndim} dimensions"
        )
    return array, names


def pool_estimates(
    estimates: Any,
    variances: Any,
    *,
    n: int,
    k: int,
    ci: float = 0.95,
    names: Sequence[str] | None = None,
) -> PooledEstimates:
    """Pool estimates from m imputed data sets by Rubin's rules (Barnard-Rubin df).

    Parameters
    ----------
    estimates
        The estimates :math:`\\hat Q_j`: an (m, p) array or DataFrame, one row per imputation
        and one column per parameter (a 1-d array is one parameter).
    variances
        Their squared standard errors :math:`U_j`, same shape as ``estimates``.
    n
        Number of observations in each completed data set.
    k
        Number of parameters of the complete-data model (including the intercept), so that
        the complete-data degrees of freedom are :math:`\\nu_{com} = n - k`; for OLS this
        is the residual df, as ``mice`` takes from ``df.residual()``.
    ci
        Confidence level of the intervals.
    names
        Parameter names; default the DataFrame's columns, else ``q0, q1, ...``.

    Returns
    -------
    PooledEstimates
        ``.table`` holds one row per parameter with the columns documented on
        :class:`PooledEstimates`; ``.warnings`` says when ``m`` is small for the
        fraction of missing information.

    Raises
    ------
    ValueError
        When fewer than two imputations are given, the shapes differ, a value is not
        finite, a variance is not positive, or ``n - k < 1``.

    Notes
    -----
    With :math:`m` imputations (Rubin 1987, pp. 76-77; van Buuren 2018, sec. 2.3):

    .. math::

        \\bar Q = \\frac1m \\sum_j \\hat Q_j, \\quad
        \\bar U = \\frac1m \\sum_j U_j, \\quad
        B = \\frac{1}{m-1} \\sum_j (\\hat Q_j - \\bar Q)^2, \\quad
        T = \\bar U + (1 + 1/m) B

    .. math::

        r = \\frac{(1 + 1/m) B}{\\bar U}, \\quad
        \\lambda = \\frac{(1 + 1/m) B}{T}, \\quad
        \\gamma = \\frac{r + 2 / (\\nu + 3)}{r + 1}

    with the small-sample degrees of freedom of Barnard & Rubin (1999), as ``mice``
    computes them:

    .. math::

        \\nu_{old} = \\frac{m - 1}{\\lambda^2}, \\quad
        \\nu_{obs} = \\frac{\\nu_{com} + 1}{\\nu_{com} + 3} \\nu_{com} (1 - \\lambda), \\quad
        \\nu = \\frac{\\nu_{old} \\nu_{obs}}{\\nu_{old} + \\nu_{obs}}

    where, as in ``mice:::barnard.rubin``, :math:`\\lambda` is floored at :math:`10^{-4}`
    in :math:`\\nu_{old}` and :math:`\\nu_{obs}` only. The p-value uses
    :math:`\\max(\\nu, 0.001)` as ``mice:::summary.mipo`` does; the interval uses
    :math:`\\nu`. :math:`\\gamma` is the FMI that ``mice::pool`` reports (van Buuren 2018,
    eq. 2.24).

    Matches R ``mice::pool(fit)$pooled`` and ``summary(pool(fit), conf.int = TRUE)``
    (mice 3.15, rule ``"rubin1987"``) to 1e-8 on the same completed data sets
    (``tests/reference/r_mice_pool.R``).

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

    Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
    imputation. *Biometrika*, 86(4), 948-955.

    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sections 2.3
    and 5.2. Chapman & Hall/CRC.

    White, I. R., Royston, P., & Wood, A. M. (2011). Multiple imputation using chained
    equations: Issues and guidance for practice. *Statistics in Medicine*, 30(4), 377-399.

    Examples
    --------
    >>> res = pool_estimates(
    ...     [[1.0, 2.0], [1.2, 2.1], [0.9, 1.8]],
    ...     [[0.04, 0.09], [0.05, 0.08], [0.04, 0.10]],
    ...     n=100,
    ...     k=2,
    ...     names=["a", "b"],
    ... )
    >>> round(float(res.table.loc["a", "estimate"]), 6)
    1.033333
    >>> round(float(res.table.loc["a", "total"]), 6)
    0.074444
    """
    ci = check_ci(ci)
    q, q_names = _as_matrix(estimates, "estimates")
    u, _ = _as_matrix(variances, "variances")
    if q.shape != u.shape:
        raise ValueError(
            f"estimates and variances must have the same shape; got {q.shape} and {u.shape}"
        )
    m, p = q.shape
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations; got m={m}")
    if not (np.isfinite(q).all() and np.isfinite(u).all()):
        raise ValueError("estimates and variances must be finite (no NaN or infinity)")
    if (u <= 0).any():
        raise ValueError("variances must be positive (squared standard errors)")
    if isinstance(n, bool) or isinstance(k, bool):
        raise ValueError("n and k must be whole numbers")
    df_com = float(n - k)
    if df_com < 1:
        raise ValueError(f"n - k must be at least 1 (complete-data df); got n={n}, k={k}")
    if names is not None:
        labels = [str(x) for x in names]
    elif q_names is not None:
        labels = q_names
    else:
        labels = [f"q{i}" for i in range(p)]
    if len(labels) != p:
        raise ValueError(f"names has {len(labels)} entries for {p} parameters")

    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    inflate = 1.0 + 1.0 / m
    t_var = ubar + inflate * b
    riv = inflate * b / ubar
    lam = inflate * b / t_var
    lam_df = np.maximum(lam, _LAMBDA_FLOOR)
    df_old = (m - 1) / lam_df**2
    df_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lam_df)
    df = df_old * df_obs / (df_old + df_obs)
    fmi = (riv + 2 / (df + 3)) / (riv + 1)
    se = np.sqrt(t_var)
    t_stat = qbar / se
    p_value = 2 * stats.t.sf(np.abs(t_stat), np.maximum(df, _DF_FLOOR_P))
    half = (1 - ci) / 2
    ci_low = qbar + stats.t.ppf(half, df) * se
    ci_high = qbar + stats.t.ppf(1 - half, df) * se

    table = pd.DataFrame(
        dict(
            zip(
                _COLUMNS,
                (qbar, se, t_stat, df, p_value, ci_low, ci_high, ubar, b, t_var, riv, lam, fmi),
                strict=True,
            )
        ),
        index=pd.Index(labels, name="term"),
    )

    notes: list[str] = []
    worst = float(fmi.max())
    if m < math.ceil(100 * worst):
        notes.append(
            f"m = {m} imputations for a largest fraction of missing information of "
            f"{worst:.2f}: White, Royston & Wood (2011) suggest m >= 100 x FMI "
            f"(here {math.ceil(100 * worst)}) so that SEs and p-values are reproducible."
        )
    return PooledEstimates(table=table, m=m, df_com=df_com, ci=ci, warning_messages=tuple(notes))


def pool_fits(fits: Sequence[Any], *, ci: float = 0.95) -> PooledEstimates:
    """Pool fitted statsmodels regressions, one per completed data set, by Rubin's rules.

    Parameters
    ----------
    fits
        Fitted results with ``params``, ``bse``, ``nobs`` and ``df_resid`` (e.g. from
        ``statsmodels.formula.api.ols(...).fit()``), the same model on each of the m
        completed data sets.
    ci
        Confidence level of the intervals.

    Returns
    -------
    PooledEstimates
        As :func:`pool_estimates`, with the complete-data df taken from ``df_resid``
        (``n - k``), as ``mice::pool`` takes it from ``df.residual()``.

    Notes
    -----
    ``pool_fits(fits)`` equals ``pool_estimates(params, bse**2, n=nobs, k=nobs - df_resid)``;
    it matches R ``summary(pool(with(imp, lm(...))), conf.int = TRUE)``.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

    Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
    imputation. *Biometrika*, 86(4), 948-955.
    """
    if len(fits) < 2:
        raise ValueError(f"Rubin's rules need at least 2 fitted models; got {len(fits)}")
    params = pd.DataFrame([pd.Series(f.params) for f in fits])
    if params.isna().any().any():
        raise ValueError("the fitted models do not all have the same parameters")
    bse = pd.DataFrame([pd.Series(f.bse) for f in fits])[params.columns]
    nobs = {round(float(f.nobs)) for f in fits}
    df_resid = {round(float(f.df_resid)) for f in fits}
    if len(nobs) != 1 or len(df_resid) != 1:
        raise ValueError(
            "the fitted models differ in the number of observations or residual df; "
            "fit the same model on each completed data set"
        )
    n = nobs.pop()
    return pool_estimates(params, bse**2, n=n, k=n - df_resid.pop(), ci=ci)


def impute_pmm(
    frame: pd.DataFrame,
    *,
    m: int = 20,
    iterations: int = 10,
    seed: int,
    donors: int = 5,
) -> list[pd.DataFrame]:
    """Multiple imputation by chained equations with predictive mean matching (PMM).

    Parameters
    ----------
    frame
        Numeric columns (e.g. Likert items, scale scores, covariates); NaN marks a
        missing value. Every column is imputed from all the others.
    m
        Number of completed data sets.
    iterations
        Sweeps of the chained equations per data set.
    seed
        Seed of the random generator (:func:`numpy.random.default_rng`); the same seed
        gives the same imputations.
    donors
        Number of nearest observed cases among which the donor is drawn (mice's
        ``donors``).

    Returns
    -------
    list of pandas.DataFrame
        The ``m`` completed data sets, with the index and columns of ``frame``; observed
        cells are unchanged and every imputed value is a value observed in that column.

    Raises
    ------
    ValueError
        When a column is not numeric or has no observed value, or an option is out of range.

    Notes
    -----
    Each data set starts from random draws of the observed values of each column (mice's
    initialisation), then, ``iterations`` times, each incomplete column :math:`y` in turn is
    imputed from the current values of the other columns :math:`X` (with an intercept) by
    van Buuren's (2018, algorithms 3.1 and 3.3) PMM, as ``mice.impute.pmm`` does:

    1. On the cases with :math:`y` observed, least squares :math:`\\hat\\beta = V X'y`,
       :math:`V = (X'X)^{-1}`, residual sum of squares :math:`S` (when :math:`X'X` is
       singular, :math:`V = (X'X + \\kappa\\,\\mathrm{diag}(X'X))^{-1}` with
       :math:`\\kappa = 10^{-5}`, mice's ridge fallback).
    2. Draw :math:`\\dot\\sigma^2 = S / g`, :math:`g \\sim \\chi^2_{n_{obs} - q}`, and
       :math:`\\dot\\beta = \\hat\\beta + \\dot\\sigma\\, L z`, with :math:`L L' = V`
       and :math:`z` standard normal (Bayesian linear regression draw, mice's
       ``.norm.draw``).
    3. Predict the observed cases with :math:`\\hat\\beta` and the missing ones with
       :math:`\\dot\\beta` (type-1 matching); for each missing case take the ``donors``
       observed cases with the closest predictions and impute the observed :math:`y` of one
       of them drawn at random.

    statsmodels' ``MICEData`` was not used: its PMM draws the coefficients from the normal
    approximation of the fitted model (no draw of :math:`\\sigma`) and uses the drawn
    coefficients for both observed and missing cases, which differs from van Buuren's
    algorithm and from R mice.

    References
    ----------
    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sections 3.2.2
    and 3.4 (algorithms 3.1 and 3.3). Chapman & Hall/CRC. R: ``mice::mice(data, m = m,
    maxit = iterations, method = "pmm", donors = 5)``.

    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

    Examples
    --------
    >>> data = pd.DataFrame({"a": [1.0, 2.0, None, 4.0, 5.0, 3.0], "b": [2, 1, 3, 5, None, 4]})
    >>> done = impute_pmm(data, m=2, iterations=3, seed=1)
    >>> len(done), bool(done[0].notna().all().all())
    (2, True)
    """
    for name, value, low in (("m", m, 1), ("iterations", iterations, 1), ("donors", donors, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}={value!r} is not valid: use a whole number >= {low}")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
            frame[column]
        ):
            raise ValueError(
                f"column {column!r} is not numeric: PMM imputes numeric and Likert columns"
            )
    values = frame.to_numpy(dtype=float)
    missing = np.isnan(values)
    n_rows, n_cols = values.shape
    for j in range(n_cols):
        if missing[:, j].all():
            raise ValueError(f"column {frame.columns[j]!r} has no observed value to draw from")
    incomplete = [j for j in range(n_cols) if missing[:, j].any()]
    rng = np.random.default_rng(seed)
    out: list[pd.DataFrame] = []
    for _ in range(m):
        data = values.copy()
        for j in incomplete:
            observed = values[~missing[:, j], j]
            data[missing[:, j], j] = rng.choice(observed, size=int(missing[:, j].sum()))
        for _ in range(iterations):
            for j in incomplete:
                rows = missing[:, j]
                x = np.column_stack([np.ones(n_rows), np.delete(data, j, axis=1)])
                data[rows, j] = _pmm_draw(data[~rows, j], x[~rows], x[rows], donors=donors, rng=rng)
        out.append(pd.DataFrame(data, index=frame.index, columns=frame.columns))
    return out


def _pmm_draw(
    y_obs: np.ndarray,
    x_obs: np.ndarray,
    x_mis: np.ndarray,
    *,
    donors: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """One PMM draw for the missing cases (van Buuren 2018, algorithms 3.1 and 3.3)."""
    xtx = x_obs.T @ x_obs
    try:
        np.linalg.cholesky(xtx)
    except np.linalg.LinAlgError:  # (nearly) collinear predictors: mice's ridge fallback
        xtx = xtx + _RIDGE * np.diag(np.diag(xtx))
    inv = np.linalg.inv(xtx)
    coef = inv @ (x_obs.T @ y_obs)
    resid = y_obs - x_obs @ coef
    df = max(len(y_obs) - x_obs.shape[1], 1)
    sigma = math.sqrt(float(resid @ resid) / rng.chisquare(df))
    chol = np.linalg.cholesky((inv + inv.T) / 2)
    beta = coef + sigma * (chol @ rng.standard_normal(len(coef)))
    yhat_obs = x_obs @ coef
    yhat_mis = x_mis @ beta
    k = min(donors, len(y_obs))
    distance = np.abs(yhat_mis[:, None] - yhat_obs[None, :])
    # random tie-breaking, as mice does by jittering: shuffle before a stable partial sort
    order = rng.permutation(len(y_obs))
    nearest = order[np.argpartition(distance[:, order], k - 1, axis=1)[:, :k]]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, k, size=len(yhat_mis))]
    return y_obs[pick]
