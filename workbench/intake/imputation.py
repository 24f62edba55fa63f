"""Multiple imputation: chained equations for mixed columns and pooling by Rubin's rules.

:func:`impute_chained` imputes numeric, Likert and categorical columns by chained equations
(van Buuren 2018), as R's ``mice::mice`` does with its default methods: predictive mean
matching for numeric columns, Bayesian logistic regression for two categories, multinomial
logit for more, proportional odds for ordered categories; it returns the ``m`` completed
data sets (and, on request, an :class:`ImputationSummary` with the chains' trace).
:func:`impute_pmm` is the same with predictive mean matching for every column.
:func:`pool_estimates` combines the estimates and their squared standard errors from the
analysis of each of the ``m`` completed data sets into one estimate, standard error,
Barnard-Rubin degrees of freedom, t test, confidence interval and fraction of missing
information per parameter, as R's ``mice::pool`` and ``summary(pool(fit), conf.int = TRUE)``
do. :func:`pool_fits` does the same from a list of fitted statsmodels regression results.

Completed data sets from elsewhere (e.g. R ``mice``) can be analysed and pooled as well.

Why not a library's imputer: statsmodels' ``MICEData`` (0.15) imputes every variable by
predictive mean matching on the fitted values of the model it is given (``impute`` calls
``impute_pmm`` whatever the ``model_class``), so it has no logistic or polytomous draw of a
category, and it starts each column at the observed value nearest its mean, so it takes
numeric columns only. scikit-learn's
``IterativeImputer`` (1.7) has no predictive mean matching (with ``sample_posterior=True``
it draws from a normal predictive distribution, so imputed Likert codes are not answers
anyone gave) and takes numeric arrays only: no posterior draw of a categorical value.
Both would be wrapped around the models written here anyway.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_ci

__all__ = [
    "IMPUTATION_METHODS",
    "ImputationMethod",
    "ImputationSummary",
    "PooledEstimates",
    "impute_chained",
    "impute_pmm",
    "pool_estimates",
    "pool_fits",
]

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


# ----------------------------------------------------------------------------
# Multiple imputation by chained equations
# ----------------------------------------------------------------------------

#: the imputation methods of :func:`impute_chained` (mice's names)
IMPUTATION_METHODS: tuple[str, ...] = ("pmm", "logreg", "polyreg", "polr", "none")
ImputationMethod = Literal["pmm", "logreg", "polyreg", "polr", "none"]
#: most categories a categorical column may have (mice's ``maxcat``)
_MAX_CATEGORIES = 50
#: augmented records put one predictor at its mean +/- this many SDs (mice's ``augment``)
_AUG_SPREAD = 0.5
#: Newton iterations of the logistic, multinomial and proportional-odds fits
_NEWTON_MAX_ITER = 100
#: convergence: half the Newton decrement (the predicted log-likelihood gain) below this
_NEWTON_TOL = 1e-3


@dataclasses.dataclass(frozen=True)
class ImputationSummary(Result):
    """What :func:`impute_chained` did, per column, and the trace of its chains.

    Attributes
    ----------
    table
        One row per column of the input (index ``column``), columns:

        ``method``
            Imputation method (``"pmm"``, ``"logreg"``, ``"polyreg"``, ``"polr"``), or
            ``""`` for a complete column and ``"none"`` for a column left as it is.
        ``kind``
            ``"numeric"`` or ``"categorical"`` (how the column enters the other columns'
            models: as a number, or as dummies of its observed categories), or ``"other"``.
        ``n_missing``, ``share_missing``
            Missing cells of the input and their share.
        ``n_categories``
            Observed categories (categorical columns and columns imputed by a categorical
            method), else NaN.
        ``n_predictors``
            Columns in its imputation model (0 when it is not imputed).
        ``rhat``
            Gelman-Rubin potential scale reduction of the chain means over the second
            half of the iterations (NaN when not imputed, or with m or iterations < 4);
            values near 1 mean the m chains have mixed.
    chain_means
        The convergence trace (as R's ``imp$chainMean`` and ``imp$chainVar``), long
        format: ``column``, ``imputation`` (1..m), ``iteration`` (1..iterations),
        ``mean`` and ``sd`` of the imputed values of that column after that iteration
        (categorical columns: of the 1-based category codes, as mice does).
    m, iterations, donors, seed
        The arguments of the call.
    """

    table: pd.DataFrame
    chain_means: pd.DataFrame
    m: int
    iterations: int
    donors: int
    seed: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        head = (
            f"Multiple imputation by chained equations: m = {self.m} imputations, "
            f"{self.iterations} iterations, seed {self.seed}\n"
        )
        body = self.table.to_string(float_format=lambda v: f"{v:.3g}")
        return with_warnings(head + body, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "m": self.m,
            "iterations": self.iterations,
            "donors": self.donors,
            "seed": self.seed,
            "table": jsonable(self.table),
            "warnings": self.warnings,
        }


@dataclasses.dataclass
class _Column:
    """One column of the input as the sampler sees it."""

    label: Any
    kind: str  # "numeric" | "categorical" | "other"
    method: str  # an entry of IMPUTATION_METHODS, or "" for a complete column
    missing: np.ndarray  # bool (n,)
    values: np.ndarray  # float (n,): the number, or the category code; NaN where missing
    levels: np.ndarray | None  # observed categories in order (codes index them)
    ordered: bool
    block: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, dtype=np.intp))

    @property
    def n_levels(self) -> int:
        return 0 if self.levels is None else len(self.levels)


@dataclasses.dataclass
class _Target:
    """An incomplete column to impute, with everything its step needs precomputed."""

    col: int
    method: str
    obs: np.ndarray  # rows where observed
    mis: np.ndarray  # rows where missing
    observed: np.ndarray  # bool (n,): observed
    x: np.ndarray  # design columns of its model: 0 (intercept) and the predictors' blocks
    block: np.ndarray  # its own design columns
    y_obs: np.ndarray  # observed values (numbers, or codes for a categorical kind)
    codes_obs: np.ndarray | None  # observed category codes (categorical methods)
    n_levels: int
    x_low: np.ndarray  # range of the predictors (augmentation clips to it)
    x_high: np.ndarray
    predictors: tuple[Any, ...]


@dataclasses.dataclass
class _Plan:
    n: int
    columns: list[_Column]
    targets: list[_Target]
    width: int  # columns of the design matrix
    center: dict[int, float]
    scale: dict[int, float]
    notes: list[str]


def _column_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    return "other"


def _read_column(label: Any, series: pd.Series) -> _Column:
    """Missing mask, values/codes and observed levels of one column."""
    missing = series.isna().to_numpy()
    kind = _column_kind(series)
    ordered = False
    levels: np.ndarray | None = None
    values = np.full(len(series), np.nan)
    if kind == "numeric":
        values = series.to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(values[~missing]).all():
            raise InputError(
                "The column holds infinite values, which cannot be imputed or used as a predictor.",
                column=str(label),
                hint="Replace them with a number or mark them missing.",
            )
        ordered = True
    elif kind == "categorical":
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy()
            present = np.unique(codes[codes >= 0])
            remap = np.full(len(dtype.categories), -1)
            remap[present] = np.arange(len(present))
            levels = np.asarray(dtype.categories[present], dtype=object)
            values = np.where(codes >= 0, remap[np.maximum(codes, 0)], np.nan).astype(float)
            ordered = bool(dtype.ordered)
        else:
            observed = series[~missing]
            try:
                codes_obs, uniques = pd.factorize(observed, sort=True)
            except TypeError:  # values of mixed types: keep the order of appearance
                codes_obs, uniques = pd.factorize(observed, sort=False)
            levels = np.asarray(uniques, dtype=object)
            values[~missing] = codes_obs
    return _Column(
        label=label,
        kind=kind,
        method="",
        missing=missing,
        values=values,
        levels=levels,
        ordered=ordered,
    )


def _default_method(column: _Column) -> str:
    if column.kind == "numeric":
        return "pmm"
    if column.n_levels == 2:
        return "logreg"
    return "polr" if column.ordered else "polyreg"


def _check_method_fits(column: _Column, method: str) -> None:
    """ValueError when ``method`` cannot impute ``column``."""
    if method == "none":
        return
    label = column.label
    if column.kind == "other":
        raise ValueError(
            f"method {method!r} does not fit column {label!r}: its type "
            "(dates, times, intervals...) cannot be imputed; use 'none'"
        )
    if column.kind == "numeric" and method != "pmm":
        levels = np.unique(column.values[~column.missing])
        column.levels = levels
    described = (
        f"it is numeric with {column.n_levels} distinct observed values"
        if column.kind == "numeric"
        else f"it is categorical with {column.n_levels} observed categories"
    )
    if method == "pmm" and column.kind != "numeric":
        raise ValueError(
            f"method 'pmm' does not fit column {label!r}: {described}; use "
            f"{_default_method(column)!r} (pmm imputes numeric and Likert columns)"
        )
    if method == "logreg" and column.n_levels != 2:
        raise ValueError(
            f"method 'logreg' does not fit column {label!r}: {described}, and logreg "
            "imputes a column with two categories; use 'polyreg' (or 'polr' when the "
            "categories are ordered)"
        )
    if method == "polr" and column.kind == "categorical" and not column.ordered:
        raise ValueError(
            f"method 'polr' does not fit column {label!r}: its categories are not ordered "
            "(polr needs an ordered pandas Categorical or numeric codes); use 'polyreg'"
        )
    if method in ("logreg", "polyreg", "polr") and column.n_levels > _MAX_CATEGORIES:
        raise ValueError(
            f"method {method!r} does not fit column {label!r}: {described}, more than "
            f"{_MAX_CATEGORIES}; use 'pmm' for a numeric column, or recode the categories"
        )


def _plan(
    frame: pd.DataFrame,
    methods: Mapping[Any, str] | None,
    predictors: Mapping[Any, Sequence[Any]] | None,
) -> _Plan:
    """Check the input and options; decide each column's method and model."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    if not frame.columns.is_unique:
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InputError(
            f"Column names must be unique; repeated: {', '.join(duplicated)}.",
            hint="Rename or drop the repeated columns.",
        )
    if frame.shape[0] < 2 or frame.shape[1] < 1:
        raise InputError(
            f"Imputation needs at least 2 rows and 1 column; got {frame.shape[0]} x "
            f"{frame.shape[1]}.",
            hint="Pass the respondents' answers (one row per respondent).",
        )
    labels = list(frame.columns)
    position = {label: j for j, label in enumerate(labels)}
    methods = dict(methods or {})
    predictors = dict(predictors or {})
    for name, mapping in (("methods", methods), ("predictors", predictors)):
        unknown = [k for k in mapping if k not in position]
        if unknown:
            raise ValueError(
                f"{name} names columns that are not in the frame: {unknown!r}; the columns "
                f"are {labels!r}"
            )
    for label, method in methods.items():
        if method not in IMPUTATION_METHODS:
            raise ValueError(
                f"methods[{label!r}]={method!r} is not valid: use one of "
                f"{list(IMPUTATION_METHODS)!r}"
            )

    columns = [_read_column(label, frame[label]) for label in labels]
    for column in columns:
        if column.missing.all():
            raise InputError(
                "Every value of the column is missing: there is nothing to impute from.",
                column=str(column.label),
                hint="Leave the column out of the imputation.",
            )
        explicit = methods.get(column.label)
        if explicit is not None:
            _check_method_fits(column, explicit)
        if not column.missing.any():
            column.method = "none" if explicit == "none" else ""
            continue
        if explicit is None:
            if column.kind == "other":
                raise InputError(
                    f"The column's type ({frame[column.label].dtype}) cannot be imputed.",
                    column=str(column.label),
                    hint="Leave the column out, or give it method 'none' (kept as it is, "
                    "not used as a predictor while it has missing values).",
                )
            explicit = _default_method(column)
            _check_method_fits(column, explicit)
        column.method = explicit
        if explicit == "none":
            continue
        if column.kind == "numeric" and explicit == "pmm":
            distinct = np.unique(column.values[~column.missing])
        else:
            distinct = column.levels if column.levels is not None else np.empty(0)
        if len(distinct) < 2:
            what = "category" if column.kind == "categorical" else "value"
            raise InputError(
                f"The column has a single observed {what} ({distinct[0]!r}): no model can "
                f"impute it from the other columns.",
                column=str(column.label),
                hint="Fill the missing cells yourself if that value is right for everyone, "
                "or leave the column out of the imputation (method 'none').",
            )

    # who may predict: complete or imputed columns of a usable type that vary
    notes: list[str] = []
    usable: dict[int, str] = {}
    for j, column in enumerate(columns):
        if column.kind == "other":
            usable[j] = "its type cannot enter a regression model"
        elif column.missing.any() and column.method == "none":
            usable[j] = "it has missing values and is not imputed (method 'none')"
        elif column.kind == "numeric" and np.ptp(column.values[~column.missing]) == 0:
            usable[j] = "it is constant"
        elif column.kind == "categorical" and column.n_levels < 2:
            usable[j] = "it is constant"
    targets_idx = [j for j, c in enumerate(columns) if c.missing.any() and c.method != "none"]
    chosen: dict[int, list[int]] = {}
    for j in targets_idx:
        label = columns[j].label
        if label in predictors:
            listed = list(predictors[label])
            unknown = [p for p in listed if p not in position]
            if unknown:
                raise ValueError(
                    f"predictors[{label!r}] names columns that are not in the frame: {unknown!r}"
                )
            if label in listed:
                raise ValueError(f"predictors[{label!r}] lists the column itself")
            for p in listed:
                if position[p] in usable:
                    raise ValueError(
                        f"predictors[{label!r}] lists column {p!r}, which cannot be a "
                        f"predictor: {usable[position[p]]}"
                    )
            chosen[j] = sorted({position[p] for p in listed})
        else:
            chosen[j] = [k for k in range(len(columns)) if k != j and k not in usable]
    defaulted = [j for j in targets_idx if columns[j].label not in predictors]
    for k in sorted(usable):
        if any(k != j for j in defaulted):
            notes.append(f"Column {columns[k].label!r} is not used as a predictor: {usable[k]}.")

    # the design matrix: intercept, then one block per column that is imputed or predicts
    in_design = sorted(set(targets_idx).union(*chosen.values()) if chosen else set())
    width = 1
    center: dict[int, float] = {}
    scale: dict[int, float] = {}
    for j in in_design:
        column = columns[j]
        if column.kind == "numeric":
            size = 1
            observed = column.values[~column.missing]
            center[j] = float(observed.mean())
            sd = float(observed.std())
            scale[j] = sd if sd > 0 else 1.0
        else:
            if column.n_levels > _MAX_CATEGORIES:
                raise InputError(
                    f"The column has {column.n_levels} categories, too many to impute it or "
                    f"to use it as a predictor (at most {_MAX_CATEGORIES}).",
                    column=str(column.label),
                    hint="Leave it out of the frame passed to the imputation (e.g. an id or "
                    "a free-text answer), or recode it into fewer categories.",
                )
            size = column.n_levels - 1
        column.block = np.arange(width, width + size)
        width += size

    # range of each design column over the data (imputed values are observed values, so
    # the range over all rows is the range over the observed ones)
    low = np.zeros(width)
    high = np.ones(width)
    for j in in_design:
        column = columns[j]
        if column.kind == "numeric":
            observed = column.values[~column.missing]
            low[column.block] = (observed.min() - center[j]) / scale[j]
            high[column.block] = (observed.max() - center[j]) / scale[j]

    targets: list[_Target] = []
    for j in targets_idx:
        column = columns[j]
        x = np.concatenate([[0], *(columns[k].block for k in chosen[j])]).astype(np.intp)
        observed = column.values[~column.missing]
        codes = None
        if column.method != "pmm":
            if column.kind == "numeric":
                assert column.levels is not None  # set by _check_method_fits
                codes = np.searchsorted(column.levels.astype(float), observed)
            else:
                codes = observed.astype(np.intp)
        targets.append(
            _Target(
                col=j,
                method=column.method,
                obs=np.flatnonzero(~column.missing),
                mis=np.flatnonzero(column.missing),
                observed=~column.missing,
                x=x,
                block=column.block,
                y_obs=observed,
                codes_obs=codes,
                n_levels=column.n_levels,
                x_low=low[x[1:]],
                x_high=high[x[1:]],
                predictors=tuple(columns[k].label for k in chosen[j]),
            )
        )
    return _Plan(
        n=frame.shape[0],
        columns=columns,
        targets=targets,
        width=width,
        center=center,
        scale=scale,
        notes=notes,
    )


def _design_block(plan: _Plan, j: int, values: np.ndarray) -> np.ndarray:
    """The design columns of column ``j`` for ``values`` (numbers or codes): (len, size)."""
    column = plan.columns[j]
    if column.kind == "numeric":
        return ((values - plan.center[j]) / plan.scale[j])[:, None]
    return (values[:, None] == np.arange(1, column.n_levels)[None, :]).astype(float)


def _cholesky(matrix: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor; when (nearly) singular, that of ``M + 1e-5 diag(M)`` (mice)."""
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        ridged = matrix + _RIDGE * np.diag(np.maximum(np.diag(matrix), 1e-12))
        return np.linalg.cholesky(ridged)


def _draw_normal(
    mean: np.ndarray, chol: np.ndarray, rng: np.random.Generator, scale: float = 1.0
) -> np.ndarray:
    """A draw from N(mean, scale^2 (L L')^{-1}) given the lower factor L of the precision."""
    z = rng.standard_normal(len(mean))
    return mean + scale * linalg.solve_triangular(
        chol, z, lower=True, trans="T", check_finite=False
    )


def _pmm_step(
    t: _Target,
    design: np.ndarray,
    cross: np.ndarray,
    at_missing: np.ndarray,
    *,
    ycol: int,
    donors: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Predictive mean matching for one column (van Buuren 2018, algorithms 3.1 and 3.3).

    The observed-case cross-products are the all-case ones ``cross`` minus those of the
    missing cases ``at_missing`` (rows of the design matrix), so no (n_obs, q) copy is made.
    """
    x = t.x
    ax = at_missing[:, x]
    ay = at_missing[:, ycol]
    xtx = cross[np.ix_(x, x)] - ax.T @ ax
    xty = cross[x, ycol] - ax.T @ ay
    yty = cross[ycol, ycol] - ay @ ay
    chol = _cholesky(xtx)
    coef = linalg.cho_solve((chol, True), xty, check_finite=False)
    rss = max(float(yty - 2 * coef @ xty + coef @ xtx @ coef), 0.0)
    df = max(len(t.obs) - len(x), 1)
    sigma = math.sqrt(rss / rng.chisquare(df))
    beta = _draw_normal(coef, chol, rng, sigma)
    full = np.zeros(design.shape[1])
    full[x] = coef
    yhat_obs = (design @ full)[t.obs]  # type-1 matching: observed cases at the estimate,
    yhat_mis = ax @ beta  # missing cases at the draw
    return t.y_obs[_nearest_donors(yhat_obs, yhat_mis, donors=donors, rng=rng)]


def _nearest_donors(
    yhat_obs: np.ndarray, yhat_mis: np.ndarray, *, donors: int, rng: np.random.Generator
) -> np.ndarray:
    """For each missing case, one of the ``donors`` observed cases with the nearest prediction.

    The observed predictions are sorted; when some are equal they are sorted again from a
    random permutation, so equal predictions come out in random order (mice's matcher
    shuffles for the same reason; without ties the order is unique and the permutation
    would change nothing). The ``donors`` nearest lie in the window of ``2 donors``
    sorted values around each missing prediction's insertion point; one of them is drawn
    with equal probability.
    """
    n_obs = len(yhat_obs)
    k = min(donors, n_obs)
    order = np.argsort(yhat_obs)
    ranked = yhat_obs[order]
    if (ranked[1:] == ranked[:-1]).any():  # ties: sort again from a random order
        shuffled = rng.permutation(n_obs)
        order = shuffled[np.argsort(yhat_obs[shuffled])]
        ranked = yhat_obs[order]
    window = np.searchsorted(ranked, yhat_mis)[:, None] + np.arange(-k, k)[None, :]
    inside = (window >= 0) & (window < n_obs)
    window = np.clip(window, 0, n_obs - 1)
    distance = np.where(inside, np.abs(ranked[window] - yhat_mis[:, None]), np.inf)
    nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]
    rows = np.arange(len(yhat_mis))
    pick = nearest[rows, rng.integers(0, k, size=len(yhat_mis))]
    return order[window[rows, pick]]


def _augmented(
    t: _Target, cross: np.ndarray, n: int, n_levels: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Pseudo-records against perfect prediction (White, Daniel & Royston 2010).

    For each of the p predictors and each of the k categories, two records with every
    predictor at its mean except that one, at its mean plus and minus half its SD (clipped
    to its range), and the outcome at that category; the 2pk records weigh p + 1 in total.
    Returns the records' predictors (no intercept), their categories and their weight.
    """
    x = t.x[1:]
    p = len(x)
    mean = cross[0, x] / n
    var = (np.diag(cross)[x] - n * mean**2) / max(n - 1, 1)
    sd = np.sqrt(np.maximum(var, 0.0))
    rows = np.arange(2 * p * n_levels)
    which = rows // (2 * n_levels)
    sign = np.where(rows % 2 == 0, _AUG_SPREAD, -_AUG_SPREAD)
    records = np.tile(mean, (len(rows), 1))
    records[rows, which] = np.clip(mean[which] + sign * sd[which], t.x_low[which], t.x_high[which])
    categories = (rows % (2 * n_levels)) // 2
    return records, categories, (p + 1) / len(rows)


def _training_data(
    t: _Target, design: np.ndarray, cross: np.ndarray, *, intercept: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The categorical model's data: predictors as a (q, cases) array (observed cases, then
    the augmented records), the outcome codes and the weights."""
    assert t.codes_obs is not None
    x = t.x if intercept else t.x[1:]
    n_obs = len(t.obs)
    if len(t.x) == 1:  # no predictors: nothing to augment
        return np.compress(t.observed, design.T[x], axis=1), t.codes_obs, np.ones(n_obs)
    records, categories, weight = _augmented(t, cross, design.shape[0], t.n_levels)
    xt = np.empty((len(x), n_obs + len(records)))
    xt[:, :n_obs] = np.compress(t.observed, design.T[x], axis=1)
    xt[int(intercept) :, n_obs:] = records.T
    if intercept:
        xt[0, n_obs:] = 1.0
    w = np.full(xt.shape[1], weight)
    w[:n_obs] = 1.0
    return xt, np.concatenate([t.codes_obs, categories]), w


_Objective = Callable[[np.ndarray, bool], tuple[float, np.ndarray | None, np.ndarray | None]]


def _newton(objective: _Objective, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximise a concave log-likelihood by Newton's method with step halving.

    Returns the maximiser, the lower Cholesky factor of the information (minus the
    Hessian) and whether it converged. Once half the Newton decrement
    :math:`\\lambda^2/2 = g'I^{-1}g/2` (the predicted gain in log-likelihood) is below
    ``_NEWTON_TOL``, the estimate is within :math:`\\lambda \\approx 0.045` posterior
    SDs of the maximum; the last, full step is then taken without another evaluation
    (Newton's error after it is of the order of :math:`\\lambda^2`, about 0.002 SDs),
    with the information of the point it starts from. Started from the previous sweep's
    estimate, a fit usually costs two evaluations.
    """
    theta = start
    ll, grad, info = objective(theta, True)
    for _ in range(_NEWTON_MAX_ITER):
        assert grad is not None and info is not None
        chol = _cholesky(info)
        step = linalg.cho_solve((chol, True), grad, check_finite=False)
        if float(grad @ step) / 2 < _NEWTON_TOL:
            return theta + step, chol, True
        size = 1.0
        while True:
            candidate = theta + size * step
            new_ll, new_grad, new_info = objective(candidate, True)
            if new_ll >= ll:
                break
            size /= 2
            if size < 1e-10:  # no ascent along the Newton direction: at the maximum
                return theta, chol, True
        theta, ll, grad, info = candidate, new_ll, new_grad, new_info
    assert info is not None
    return theta, _cholesky(info), False


def _weighted_gram(xt: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """:math:`X' \\mathrm{diag}(w) X` from the (q, cases) array :math:`X'`."""
    return (xt * weight) @ xt.T


def _logistic_objective(xt: np.ndarray, y: np.ndarray, w: np.ndarray) -> _Objective:
    """Log-likelihood, score and information of a weighted logistic regression."""

    def objective(beta: np.ndarray, full: bool) -> Any:
        eta = beta @ xt
        ll = float(w @ (y * eta - np.logaddexp(0.0, eta)))
        if not full:
            return ll, None, None
        p = special.expit(eta)
        return ll, xt @ (w * (y - p)), _weighted_gram(xt, w * p * (1 - p))

    return objective


def _multinomial_objective(
    xt: np.ndarray, y: np.ndarray, w: np.ndarray, n_levels: int
) -> _Objective:
    """The same for the multinomial logit (category 0 the reference); parameters are the
    (k - 1, q) coefficients, row by row."""
    r, q = n_levels - 1, xt.shape[0]
    onehot = (y[None, :] == np.arange(1, n_levels)[:, None]).astype(float)

    def objective(theta: np.ndarray, full: bool) -> Any:
        eta = theta.reshape(r, q) @ xt
        top = np.maximum(eta.max(axis=0), 0.0)
        lse = top + np.log(np.exp(-top) + np.exp(eta - top).sum(axis=0))
        ll = float(((onehot * eta).sum(axis=0) - lse) @ w)
        if not full:
            return ll, None, None
        prob = np.exp(eta - lse)
        grad = ((onehot - prob) * w) @ xt.T
        info = np.empty((r * q, r * q))
        for c in range(r):
            for d in range(c, r):
                block = _weighted_gram(xt, w * prob[c] * ((c == d) - prob[d]))
                info[c * q : (c + 1) * q, d * q : (d + 1) * q] = block
                info[d * q : (d + 1) * q, c * q : (c + 1) * q] = block.T
        return ll, grad.ravel(), info

    return objective


def _polr_objective(xt: np.ndarray, y: np.ndarray, w: np.ndarray, n_levels: int) -> _Objective:
    """The same for proportional odds, logit P(Y <= k) = zeta_k - x'beta (MASS::polr's
    parametrisation); parameters (beta, zeta)."""
    r, q = n_levels - 1, xt.shape[0]
    upper_ok = y < r  # the category has a finite upper threshold zeta_y
    lower_ok = y > 0  # ... and a finite lower one zeta_{y-1}
    both = upper_ok & lower_ok
    cases = np.arange(len(y))

    def objective(theta: np.ndarray, full: bool) -> Any:
        beta, zeta = theta[:q], theta[q:]
        if r > 1 and np.any(np.diff(zeta) <= 0):
            return -np.inf, None, None
        eta = beta @ xt
        a = np.append(zeta, np.inf)[y] - eta
        b = np.append(-np.inf, zeta)[y] - eta
        # P = F(a) - F(b), from the tail that avoids cancellation
        prob = np.where(
            b > 0, special.expit(-b) - special.expit(-a), special.expit(a) - special.expit(b)
        )
        prob = np.maximum(prob, 1e-300)
        ll = float(w @ np.log(prob))
        if not full:
            return ll, None, None
        fa_cdf, fb_cdf = special.expit(a), special.expit(b)
        fa, fb = fa_cdf * (1 - fa_cdf), fb_cdf * (1 - fb_cdf)
        ga, gb = fa * (1 - 2 * fa_cdf), fb * (1 - 2 * fb_cdf)
        d = (fa - fb) / prob
        grad_beta = -(xt @ (w * d))
        grad_zeta = np.bincount(y[upper_ok], (w * fa / prob)[upper_ok], minlength=r)[:r]
        grad_zeta -= np.bincount(y[lower_ok] - 1, (w * fb / prob)[lower_ok], minlength=r)[:r]
        # second derivatives of log P in eta = x'beta and the two thresholds
        h_ee = (ga - gb) / prob - d**2
        h_ue = -ga / prob + fa * d / prob
        h_le = gb / prob - fb * d / prob
        h_uu = ga / prob - (fa / prob) ** 2
        h_ll = -gb / prob - (fb / prob) ** 2
        h_ul = fa * fb / prob**2
        info = np.empty((q + r, q + r))
        info[:q, :q] = _weighted_gram(xt, -w * h_ee)
        cross_terms = np.zeros((len(y), r))
        cross_terms[cases[upper_ok], y[upper_ok]] = (w * h_ue)[upper_ok]
        cross_terms[cases[lower_ok], y[lower_ok] - 1] = (w * h_le)[lower_ok]
        info[:q, q:] = -(xt @ cross_terms)
        info[q:, :q] = info[:q, q:].T
        zz = np.diag(
            -np.bincount(y[upper_ok], (w * h_uu)[upper_ok], minlength=r)[:r]
            - np.bincount(y[lower_ok] - 1, (w * h_ll)[lower_ok], minlength=r)[:r]
        )
        off = -np.bincount(y[both] - 1, (w * h_ul)[both], minlength=r)[: r - 1]
        zz[np.arange(r - 1), np.arange(1, r)] = off
        zz[np.arange(1, r), np.arange(r - 1)] = off
        info[q:, q:] = zz
        return ll, np.concatenate([grad_beta, grad_zeta]), info

    return objective


def _categorical_step(
    t: _Target,
    design: np.ndarray,
    cross: np.ndarray,
    at_missing: np.ndarray,
    *,
    start: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Draw categories (codes) for the missing cases: logreg, polyreg or polr.

    Fits the model by maximum likelihood on the observed cases plus the augmented records,
    draws the parameters from the normal approximation of their posterior, and draws each
    missing case's category from its predicted probabilities. Returns the codes, the
    maximum-likelihood estimate (to start the next fit from) and whether the fit converged.
    """
    k = t.n_levels
    polr = t.method == "polr"
    xt, y, w = _training_data(t, design, cross, intercept=not polr)
    x_mis = at_missing[:, t.x[1:] if polr else t.x]
    u = rng.random(len(t.mis))
    q = xt.shape[0]
    if polr:
        if start is None:
            share = np.cumsum(np.bincount(y, w, minlength=k))[:-1] / w.sum()
            start = np.concatenate([np.zeros(q), special.logit(share)])
        mle, chol, ok = _newton(_polr_objective(xt, y, w, k), start)
        draw = _draw_normal(mle, chol, rng)
        zeta = np.sort(draw[q:])  # a draw out of order (rare) is put back in order
        cumulative = special.expit(zeta[None, :] - (x_mis @ draw[:q])[:, None])
        return (u[:, None] > cumulative).sum(axis=1), mle, ok
    if k == 2:
        objective = _logistic_objective(xt, (y == 1).astype(float), w)
        mle, chol, ok = _newton(objective, np.zeros(q) if start is None else start)
        draw = _draw_normal(mle, chol, rng)
        return (u <= special.expit(x_mis @ draw)).astype(np.intp), mle, ok
    objective = _multinomial_objective(xt, y, w, k)
    mle, chol, ok = _newton(objective, np.zeros((k - 1) * q) if start is None else start)
    draw = _draw_normal(mle, chol, rng).reshape(k - 1, q)
    eta = np.column_stack([np.zeros(len(u)), x_mis @ draw.T])
    prob = special.softmax(eta, axis=1)
    return np.minimum((u[:, None] > np.cumsum(prob, axis=1)).sum(axis=1), k - 1), mle, ok


def _run_chain(
    plan: _Plan,
    *,
    iterations: int,
    donors: int,
    rng: np.random.Generator,
    trace: np.ndarray,
) -> tuple[np.ndarray, int]:
    """One chain of the Gibbs sampler; returns the completed values/codes (n, columns).

    ``trace[t, it]`` receives the mean and SD of target ``t``'s imputed values after
    iteration ``it``. Also returns how many model fits did not converge.
    """
    n = plan.n
    state = np.column_stack([c.values for c in plan.columns])
    for t in plan.targets:  # mice's start: random draws from the observed values
        state[t.mis, t.col] = rng.choice(t.y_obs, size=len(t.mis))
    design = np.empty((n, plan.width), order="F")  # columns contiguous: design.T[x] is cheap
    design[:, 0] = 1.0
    for j, column in enumerate(plan.columns):
        if len(column.block):
            design[:, column.block] = _design_block(plan, j, state[:, j])
    starts: dict[int, np.ndarray] = {}
    failures = 0
    for it in range(iterations):
        cross = design.T @ design  # refreshed each sweep; updated after each column
        for i, t in enumerate(plan.targets):
            column = plan.columns[t.col]
            at_missing = design[t.mis]
            if t.method == "pmm":
                new = _pmm_step(
                    t, design, cross, at_missing, ycol=int(t.block[0]), donors=donors, rng=rng
                )
                codes = None
            else:
                codes, starts[i], ok = _categorical_step(
                    t, design, cross, at_missing, start=starts.get(i), rng=rng
                )
                failures += not ok
                assert column.levels is not None
                new = column.levels[codes].astype(float) if column.kind == "numeric" else codes
            state[t.mis, t.col] = new
            old_block = at_missing[:, t.block]
            new_block = _design_block(plan, t.col, state[t.mis, t.col])
            before = at_missing.T @ old_block
            at_missing[:, t.block] = new_block
            change = at_missing.T @ new_block - before
            cross[:, t.block] += change
            cross[t.block, :] = cross[:, t.block].T
            design[np.ix_(t.mis, t.block)] = new_block
            shown = state[t.mis, t.col] + (1 if column.kind == "categorical" else 0)
            trace[i, it] = (shown.mean(), shown.std(ddof=1) if len(shown) > 1 else np.nan)
    return state, failures


def _completed_frame(frame: pd.DataFrame, plan: _Plan, state: np.ndarray) -> pd.DataFrame:
    """The input with its imputed cells filled in, dtypes and categories kept."""
    out = frame.copy()
    for t in plan.targets:
        column = plan.columns[t.col]
        values = state[t.mis, t.col]
        if column.kind == "categorical":
            assert column.levels is not None
            values = column.levels[values.astype(np.intp)]
        series = frame[column.label].copy()
        if column.kind == "numeric" and pd.api.types.is_integer_dtype(series.dtype):
            values = values.astype(np.int64)
        series.iloc[t.mis] = values
        out[column.label] = series
    return out


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _rhat(chains: np.ndarray) -> float:
    """Gelman-Rubin potential scale reduction of (m, length) chains (Gelman & Rubin 1992)."""
    m, length = chains.shape
    if m < 2 or length < 2 or not np.isfinite(chains).all():
        return math.nan
    within = float(chains.var(axis=1, ddof=1).mean())
    between = length * float(chains.mean(axis=1).var(ddof=1))
    if within <= 0:
        return math.nan
    pooled = (length - 1) / length * within + between / length
    return math.sqrt(pooled / within)


def _summary(
    plan: _Plan,
    traces: list[np.ndarray],
    *,
    m: int,
    iterations: int,
    donors: int,
    seed: int,
    notes: list[str],
) -> ImputationSummary:
    by_col = {t.col: (i, t) for i, t in enumerate(plan.targets)}
    rows = []
    half = iterations // 2
    for j, column in enumerate(plan.columns):
        n_missing = int(column.missing.sum())
        entry = by_col.get(j)
        rhat = math.nan
        if entry is not None and iterations >= 4 and m >= 4:
            rhat = _rhat(np.array([trace[entry[0], half:, 0] for trace in traces]))
        categorical = column.kind == "categorical" or column.method in ("logreg", "polyreg", "polr")
        rows.append(
            {
                "column": str(column.label),
                "method": column.method,
                "kind": column.kind,
                "n_missing": n_missing,
                "share_missing": n_missing / plan.n,
                "n_categories": float(column.n_levels) if categorical else math.nan,
                "n_predictors": len(entry[1].predictors) if entry is not None else 0,
                "rhat": rhat,
            }
        )
    table = pd.DataFrame(rows).set_index("column")
    long = [
        {
            "column": str(plan.columns[t.col].label),
            "imputation": chain + 1,
            "iteration": it + 1,
            "mean": float(trace[i, it, 0]),
            "sd": float(trace[i, it, 1]),
        }
        for chain, trace in enumerate(traces)
        for i, t in enumerate(plan.targets)
        for it in range(iterations)
    ]
    chain_means = pd.DataFrame(long, columns=["column", "imputation", "iteration", "mean", "sd"])
    return ImputationSummary(
        table=table,
        chain_means=chain_means,
        m=m,
        iterations=iterations,
        donors=donors,
        seed=seed,
        warning_messages=tuple(notes),
    )


@overload
def impute_chained(
    frame: pd.DataFrame,
    *,
    m: int = ...,
    iterations: int = ...,
    seed: int,
    donors: int = ...,
    methods: Mapping[Any, str] | None = ...,
    predictors: Mapping[Any, Sequence[Any]] | None = ...,
    n_jobs: int | None = ...,
    return_summary: Literal[False] = ...,
) -> list[pd.DataFrame]: ...


@overload
def impute_chained(
    frame: pd.DataFrame,
    *,
    m: int = ...,
    iterations: int = ...,
    seed: int,
    donors: int = ...,
    methods: Mapping[Any, str] | None = ...,
    predictors: Mapping[Any, Sequence[Any]] | None = ...,
    n_jobs: int | None = ...,
    return_summary: Literal[True],
) -> tuple[list[pd.DataFrame], ImputationSummary]: ...


def impute_chained(
    frame: pd.DataFrame,
    *,
    m: int = 20,
    iterations: int = 10,
    seed: int,
    donors: int = 5,
    methods: Mapping[Any, str] | None = None,
    predictors: Mapping[Any, Sequence[Any]] | None = None,
    n_jobs: int | None = None,
    return_summary: bool = False,
) -> list[pd.DataFrame] | tuple[list[pd.DataFrame], ImputationSummary]:
    """Multiple imputation by chained equations for numeric, Likert and categorical columns.

    Parameters
    ----------
    frame
        The data: numeric columns (Likert codes, scores, covariates), categorical columns
        (pandas Categorical, ordered or not; bool; text), NaN/None/NA marking a missing
        value. The frame is never modified.
    m
        Number of completed data sets.
    iterations
        Sweeps of the chained equations per data set (mice's ``maxit``).
    seed
        Seed of the random numbers: data set ``i`` is drawn with
        ``numpy.random.default_rng(numpy.random.SeedSequence(seed).spawn(m)[i])``, so the
        same seed gives the same imputations, and the first data sets do not depend on
        ``m``.
    donors
        Number of nearest observed cases among which a PMM donor is drawn.
    methods
        Column -> method, overriding the default for that column (``"pmm"``,
        ``"logreg"``, ``"polyreg"``, ``"polr"``, or ``"none"``: kept as it is, still a
        predictor of the others when complete). Defaults, as mice's ``defaultMethod``:
        numeric -> ``"pmm"``; two observed categories (bool, text or Categorical) ->
        ``"logreg"``; more, unordered -> ``"polyreg"``; more, ordered Categorical ->
        ``"polr"``. The categorical methods also take a numeric column, with its distinct
        observed values as the categories (ordered by value).
    predictors
        Column -> the columns in its imputation model (mice's ``predictorMatrix``
        rows); default all other columns that can predict (not a column with missing
        values and method ``"none"``, nor a constant one: these are left out with a
        warning in the summary). Numeric columns enter as numbers, categorical ones as
        dummies of their observed categories (the first is the reference).
    n_jobs
        Worker threads, each running whole chains (default: the cores this process may
        use). The imputations do not depend on it.
    return_summary
        Also return an :class:`ImputationSummary` (methods, missing counts, chain means
        per iteration for convergence plots, R-hat).

    Returns
    -------
    list of pandas.DataFrame
        The ``m`` completed data sets: index, columns, dtypes and categories of ``frame``;
        observed cells unchanged; every imputed value is a value observed in its column.
        With ``return_summary=True``, a tuple ``(data_sets, summary)``.

    Raises
    ------
    InputError
        When a column has no observed value, a single observed category or value (when it
        must be imputed), infinite values, more than 50 categories, or a type that cannot
        be imputed (dates) without method ``"none"``.
    ValueError
        When an option is out of range, a method is unknown or does not fit its column
        (e.g. ``"logreg"`` on a column with 3 categories, ``"pmm"`` on text, ``"polr"``
        on unordered categories), or ``methods``/``predictors`` name unknown columns.

    Notes
    -----
    The sampler is van Buuren's fully conditional specification, the MICE algorithm (van
    Buuren 2018, section 4.5; van Buuren & Groothuis-Oudshoorn 2011): each data set
    starts from random draws of the observed values of each incomplete column; then,
    ``iterations`` times, each incomplete column in turn (frame order, mice's
    ``visitSequence = "roman"``) is imputed from the current values of its predictors,
    with an intercept:

    - **pmm** (van Buuren 2018, section 3.4, algorithms 3.1 and 3.3): Bayesian linear
      regression draw on the observed cases, :math:`\\dot\\sigma^2 = S/g`,
      :math:`g \\sim \\chi^2_{n_{obs}-q}`, :math:`\\dot\\beta = \\hat\\beta + \\dot\\sigma
      L^{-T} z` with :math:`L L' = X'X` (mice's ridge :math:`X'X + 10^{-5}
      \\mathrm{diag}(X'X)` when singular); observed cases are predicted with
      :math:`\\hat\\beta`, missing ones with :math:`\\dot\\beta` (type-1 matching); the
      imputed value is the observed value of one of the ``donors`` observed cases with the
      nearest predictions, drawn at random. Donors are found by sorting the observed
      predictions once and searching each missing prediction's place (``searchsorted``):
      :math:`O((n_{obs} + n_{mis} k) \\log n_{obs})`, not an :math:`n_{mis} \\times
      n_{obs}` distance matrix. Ties: when some observed predictions are equal (e.g.
      straight-liners, or few predictors), they are sorted again from a random
      permutation of the observed cases, so among equal predictions the order, hence which
      of them are among the ``donors`` nearest, is random (mice's matcher shuffles for the
      same reason); between two equally distant predictions on either side of a missing
      case's prediction the choice is arbitrary but fixed.
    - **logreg** (van Buuren 2018, section 3.6, algorithm 3.4): logistic regression
      fitted by Newton-Raphson; :math:`\\dot\\beta \\sim N(\\hat\\beta, I(\\hat\\beta)^{-1})`;
      each missing case is the second category when :math:`u \\le
      \\mathrm{expit}(x'\\dot\\beta)`, :math:`u \\sim U(0, 1)`.
    - **polyreg**: multinomial logit (first category the reference) by Newton-Raphson,
      the coefficients drawn from :math:`N(\\hat B, I(\\hat B)^{-1})`, the category drawn
      from the predicted probabilities.
    - **polr**: proportional odds, :math:`\\mathrm{logit}\\,P(Y \\le k) = \\zeta_k -
      x'\\beta` (``MASS::polr``'s parametrisation), by Newton-Raphson; :math:`(\\beta,
      \\zeta)` drawn from the normal approximation (a draw with thresholds out of order,
      rare, has them sorted); the category drawn from the predicted probabilities.

    Perfect prediction (a category never observed beside some predictor value, e.g. a
    rare tier) would send the logistic coefficients to infinity; as mice does, each
    categorical model is fitted with the augmentation of White, Daniel & Royston (2010)
    (advised by White, Royston & Wood 2011): for each predictor and category, two
    pseudo-records with the predictor at its mean :math:`\\pm` half its SD (clipped to its
    range), the others at their means, and the outcome at that category; the
    :math:`2pk` records weigh :math:`p + 1` in total. The Newton iterations stop once
    half the Newton decrement is below :math:`10^{-3}` (the estimate is then within about
    0.05 posterior SDs of the maximum), after one last step; each fit starts from the
    previous sweep's estimate.

    Differences from R mice 3.15: mice's ``polyreg`` and ``polr`` draw the category from
    the fitted probabilities without drawing the coefficients; here they are drawn, as
    mice's ``logreg`` does, so the imputations carry the uncertainty of the imputation
    model (Rubin's 'proper' imputation; the difference vanishes as n grows; in a
    simulation of a 3-category column 30% missing at random, n = 150, the 95% intervals
    of its two coefficients covered in 95% and 93% of 300 replications with the draw, in
    92% and 90% without). Where a model extrapolates (categories imputed far outside the
    predictors' observed range), the draw spreads the imputations more than mice does
    (``tests/test_imputation.py``, mice's ``boys`` data). mice leaves
    the cells of an incomplete predictor with no method missing; such a column is left
    out of the predictors here. mice also drops predictors it finds collinear; here a
    singular cross-product matrix falls back to mice's ridge. Numeric predictors are
    centred and scaled internally (the fitted values, hence the imputations, do not
    change).

    Matches in distribution R ``mice::mice(frame, m = m, maxit = iterations,
    method = c("pmm", "logreg", "polyreg", "polr"), donors = 5)`` (mice 3.15), checked by
    the properties of the imputations of ``nhanes2``, ``boys`` and a simulated mixed data
    set against R's (``tests/reference/r_mice_chained.R``) and by coverage on simulated
    MAR data.

    References
    ----------
    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), chapters 3
    and 4. Chapman & Hall/CRC.

    van Buuren, S., & Groothuis-Oudshoorn, K. (2011). mice: Multivariate imputation by
    chained equations in R. *Journal of Statistical Software*, 45(3), 1-67.

    White, I. R., Daniel, R., & Royston, P. (2010). Avoiding bias due to perfect
    prediction in multiple imputation of incomplete categorical variables.
    *Computational Statistics & Data Analysis*, 54(10), 2267-2275.

    White, I. R., Royston, P., & Wood, A. M. (2011). Multiple imputation using chained
    equations: Issues and guidance for practice. *Statistics in Medicine*, 30(4), 377-399.

    Gelman, A., & Rubin, D. B. (1992). Inference from iterative simulation using multiple
    sequences. *Statistical Science*, 7(4), 457-472.

    Examples
    --------
    >>> data = pd.DataFrame(
    ...     {
    ...         "q1": [1.0, 2.0, None, 4.0, 5.0, 3.0, 2.0, 4.0],
    ...         "q2": [2, 1, 3, 5, None, 4, 2, 5],
    ...         "tier": pd.Categorical(["a", "b", "a", None, "b", "a", "b", "b"]),
    ...     }
    ... )
    >>> done, summary = impute_chained(data, m=2, iterations=3, seed=1, return_summary=True)
    >>> len(done), bool(done[0].notna().all().all()), done[0]["tier"].dtype == data["tier"].dtype
    (2, True, True)
    >>> summary.table["method"].tolist()
    ['pmm', 'pmm', 'logreg']
    """
    for name, value in (("m", m), ("iterations", iterations), ("donors", donors)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name}={value!r} is not valid: use a whole number >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r} is not valid: use a whole number >= 0")
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs < 1
    ):
        raise ValueError(f"n_jobs={n_jobs!r} is not valid: use a positive whole number or None")
    plan = _plan(frame, methods, predictors)
    children = np.random.SeedSequence(int(seed)).spawn(int(m))

    def chain(child: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray, int]:
        trace = np.full((len(plan.targets), int(iterations), 2), np.nan)
        state, failed = _run_chain(
            plan,
            iterations=int(iterations),
            donors=int(donors),
            rng=np.random.default_rng(child),
            trace=trace,
        )
        return state, trace, failed

    workers = min(_available_cores() if n_jobs is None else int(n_jobs), int(m))
    with single_threaded_blas():
        if workers > 1 and plan.targets:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                chains = list(pool.map(chain, children))
        else:
            chains = [chain(child) for child in children]
    out = [_completed_frame(frame, plan, state) for state, _, _ in chains]
    traces = [trace for _, trace, _ in chains]
    failures = sum(failed for _, _, failed in chains)
    notes = list(plan.notes)
    if failures:
        notes.append(
            f"{failures} fit(s) of a categorical imputation model stopped at "
            f"{_NEWTON_MAX_ITER} Newton iterations before converging; check the columns "
            "with few observations per category."
        )
        warnings.warn(notes[-1], RuntimeWarning, stacklevel=2)
    if not return_summary:
        return out
    summary = _summary(
        plan,
        traces,
        m=int(m),
        iterations=int(iterations),
        donors=int(donors),
        seed=int(seed),
        notes=notes,
    )
    return out, summary


def impute_pmm(
    frame: pd.DataFrame,
    *,
    m: int = 20,
    iterations: int = 10,
    seed: int,
    donors: int = 5,
) -> list[pd.DataFrame]:
    """Multiple imputation by chained equations with predictive mean matching (PMM).

    :func:`impute_chained` with method ``"pmm"`` for every column.

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
        Seed of the random numbers (as :func:`impute_chained`); the same seed gives the
        same imputations.
    donors
        Number of nearest observed cases among which the donor is drawn (mice's
        ``donors``).

    Returns
    -------
    list of pandas.DataFrame
        The ``m`` completed data sets, with the index, columns and dtypes of ``frame``;
        observed cells are unchanged and every imputed value is a value observed in that
        column.

    Raises
    ------
    ValueError
        When a column is not numeric, or an option is out of range.
    InputError
        When a column has no observed value (or only one distinct one).

    Notes
    -----
    See :func:`impute_chained` for the algorithm (van Buuren 2018, algorithms 3.1 and
    3.3). statsmodels' ``MICEData`` was not used: its PMM draws the coefficients from the
    normal approximation of the fitted model (no draw of :math:`\\sigma`) and uses the
    drawn coefficients for both observed and missing cases, which differs from van
    Buuren's algorithm and from R mice.

    References
    ----------
    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sections 3.2.2
    and 3.4 (algorithms 3.1 and 3.3). Chapman & Hall/CRC. R: ``mice::mice(data, m = m,
    maxit = iterations, method = "pmm", donors = 5)``.

    Examples
    --------
    >>> data = pd.DataFrame({"a": [1.0, 2.0, None, 4.0, 5.0, 3.0], "b": [2, 1, 3, 5, None, 4]})
    >>> done = impute_pmm(data, m=2, iterations=3, seed=1)
    >>> len(done), bool(done[0].notna().all().all())
    (2, True)
    """
    methods = dict.fromkeys(frame.columns, "pmm") if isinstance(frame, pd.DataFrame) else None
    return impute_chained(
        frame, m=m, iterations=iterations, seed=seed, donors=donors, methods=methods
    )
