"""Linear regression by full-information maximum likelihood (FIML), with auxiliary variables.

The regression ``y ~ x1 + ... + xk`` is fitted as lavaan does with ``missing = "ml"`` and
``fixed.x = FALSE``: the outcome, the predictors and any auxiliary variables are jointly
normal, every row with at least one observed value contributes the likelihood of what it
observed, and the predictors' means and covariances are estimated with the rest (so a row
missing one predictor keeps its other answers). Auxiliary variables enter as Graham's (2003)
saturated correlates: correlated with the predictors, with the outcome's residual and with
each other, so they carry information about the missing values without changing the model.

That model is saturated (as many parameters as means and covariances), so its ML estimates
are a reparametrization of the ML mean vector and covariance matrix of all the variables,
which are computed here by EM and Newton steps; the regression coefficients and their
observed-information standard errors follow from them exactly (invariance of ML, and the
delta method, which is exact for the inverse Hessian of a reparametrization at the optimum).

The public function is :func:`regression_fiml`; it returns a :class:`FIMLRegression`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable
from workbench.sem.model import _fiml_saturated, _missing_patterns, _vech_pairs
from workbench.validation import check_ci

__all__ = ["FIMLRegression", "regression_fiml"]

_COLUMNS = ["b", "se", "z", "p", "ci_low", "ci_high", "beta"]
_HEAVY_MISSING = 0.5  # a variable missing in more than this share of the rows is flagged


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class FIMLRegression(Result):
    """A linear regression estimated by FIML (lavaan ``missing = "ml"``, ``fixed.x = FALSE``).

    Attributes
    ----------
    outcome : str
    predictors, auxiliary : tuple of str
    table : pandas.DataFrame
        Index ``term`` (``"Intercept"``, then the predictors in the order given); columns
        ``b`` (estimate), ``se`` (observed-information standard error), ``z`` (Wald),
        ``p`` (two-sided), ``ci_low``, ``ci_high`` (Wald interval at level ``ci``) and
        ``beta`` (lavaan's ``std.all``: the slope times the predictor's standard deviation
        over the outcome's; for the intercept, the intercept over the outcome's standard
        deviation), the standard deviations being the model's (= the EM estimates).
    r_squared : float
        :math:`1 - \\sigma^2_e / \\sigma^2_y` (lavaan's ``lavInspect(fit, "r2")``).
    residual_variance : float
        The outcome's residual variance :math:`\\sigma^2_e` (ML, divisor n).
    n : int
        Rows used: those with at least one observed value among the outcome, the predictors
        and the auxiliary variables (lavaan's ``ntotal``).
    n_complete : int
        Rows complete on the outcome and the predictors: what listwise deletion would keep.
    n_dropped : int
        Rows dropped because every variable was missing.
    loglik : float
        The loglikelihood of all the variables, auxiliary ones included (lavaan's
        ``fitMeasures(fit, "logl")``; the model is saturated, so it is also the
        unrestricted loglikelihood).
    missing_share : pandas.Series
        Share of missing values of each variable among the rows given (outcome, predictors,
        auxiliary variables).
    mean : pandas.Series
        ML (EM) mean of every variable.
    cov : pandas.DataFrame
        ML (EM) covariance matrix of every variable (divisor n).
    vcov : pandas.DataFrame
        Covariance matrix of the estimates in ``table`` (inverse observed information).
    ci : float
        Level of ``ci_low``/``ci_high``.
    information : str
        ``"observed"``: standard errors from the Hessian, lavaan 0.6's default for
        ``missing = "ml"``.
    converged : bool
        Whether the Newton steps reached a gradient below 1e-11 per row.
    seconds : float
        Wall time.
    warning_messages : tuple of str
    """

    outcome: str
    predictors: tuple[str, ...]
    auxiliary: tuple[str, ...]
    table: pd.DataFrame
    r_squared: float
    residual_variance: float
    n: int
    n_complete: int
    n_dropped: int
    loglik: float
    missing_share: pd.Series
    mean: pd.Series
    cov: pd.DataFrame
    vcov: pd.DataFrame
    ci: float = 0.95
    information: str = "observed"
    converged: bool = True
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (see ``table``)."""
        return self.table.copy()

    def summary(self) -> str:
        aux = f"; auxiliary: {', '.join(self.auxiliary)}" if self.auxiliary else ""
        lines = [
            f"Linear regression of {self.outcome} by FIML (lavaan missing = 'ml', "
            f"fixed.x = FALSE){aux}",
            f"n = {self.n} rows used ({self.n_complete} complete on the outcome and the "
            f"predictors"
            + (f"; {self.n_dropped} empty rows dropped" if self.n_dropped else "")
            + ")",
            f"R2 = {self.r_squared:.4f}, residual variance = {self.residual_variance:.4f}, "
            f"logL = {self.loglik:.3f}; standard errors from the {self.information} information",
            "",
            self.table.to_string(float_format=lambda v: f"{v:.4f}"),
            "",
            "Missing: " + ", ".join(f"{k} {v:.1%}" for k, v in self.missing_share.items()),
        ]
        text = "\n".join(lines)
        if self.warnings:
            text += "\n\nWarnings:\n" + "\n".join(f"- {w}" for w in self.warnings)
        return text

    def to_dict(self) -> dict[str, Any]:
        """``{outcome, predictors, auxiliary, coefficients, r_squared, n, ..., warnings}``."""
        return jsonable(
            {
                "method": "fiml",
                "outcome": self.outcome,
                "predictors": list(self.predictors),
                "auxiliary": list(self.auxiliary),
                "coefficients": self.table.to_dict(orient="index"),
                "r_squared": self.r_squared,
                "residual_variance": self.residual_variance,
                "n": self.n,
                "n_complete": self.n_complete,
                "n_dropped": self.n_dropped,
                "loglik": self.loglik,
                "missing_share": self.missing_share.to_dict(),
                "ci": self.ci,
                "information": self.information,
                "converged": self.converged,
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    try:
        names = list(value)
    except TypeError:
        raise ValueError(
            f"{what} must be a column name or a sequence of names, got {value!r}"
        ) from None
    for v in names:
        if not isinstance(v, str):
            raise ValueError(f"{what} must be column names (str), got {v!r}")
    return names


def _check_names(
    data: pd.DataFrame, outcome: str, predictors: list[str], auxiliary: list[str], file: str | None
) -> None:
    if not predictors:
        raise InputError(
            "The regression has no predictors.",
            file=file,
            hint="Name at least one predictor column, e.g. predictors=['satisfaction'].",
        )
    roles = [(outcome, "outcome")] + [(v, "predictor") for v in predictors]
    roles += [(v, "auxiliary variable") for v in auxiliary]
    seen: dict[str, str] = {}
    for name, role in roles:
        if name in seen:
            raise InputError(
                f"Column '{name}' is given twice (as {seen[name]} and as {role}).",
                file=file,
                column=name,
                hint="Give each column one role: the outcome, a predictor or an auxiliary "
                "variable.",
            )
        seen[name] = role
    columns = [str(c) for c in data.columns]
    for name, role in roles:
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
            raise InputError(
                f"The {role} '{name}' is not a column of the data.",
                file=file,
                column=name,
                hint=("Did you mean " + " or ".join(repr(c) for c in close) + "? " if close else "")
                + "Check the spelling (names are case-sensitive), or score the construct first.",
            )


def _numeric_column(
    series: pd.Series, name: str, role: str, file: str | None, notes: list[str]
) -> np.ndarray:
    """The column as floats; a boolean or two-level categorical column coded 0/1."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(float).to_numpy()
    if not isinstance(series.dtype, pd.CategoricalDtype):
        converted = pd.to_numeric(series, errors="coerce")
        if not (converted.isna() & series.notna()).any():
            return converted.astype(float).to_numpy()
    observed = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [c for c in series.cat.categories if (observed == c).any()]
    else:
        levels = sorted(pd.unique(observed), key=str)
    if role == "outcome":
        first_bad = int(np.flatnonzero(series.notna().to_numpy())[0]) + 1 if len(observed) else None
        raise InputError(
            f"The outcome '{name}' is not numeric; FIML regression models a continuous outcome.",
            file=file,
            column=name,
            row=first_bad,
            value=observed.iloc[0] if len(observed) else None,
            hint="Recode the outcome to numbers in the codebook, or use a logit/ordinal driver "
            "model for a categorical outcome.",
        )
    if len(levels) == 2:
        notes.append(
            f"The {role} '{name}' has two levels and is coded 0 = {levels[0]!r}, "
            f"1 = {levels[1]!r} (FIML treats it as normally distributed, as lavaan does with "
            "fixed.x = FALSE)."
        )
        return np.where(series.isna(), np.nan, (series == levels[1]).astype(float))
    shown = ", ".join(repr(v) for v in levels[:6]) + (", ..." if len(levels) > 6 else "")
    raise InputError(
        f"The {role} '{name}' is categorical with {len(levels)} levels ({shown}); FIML "
        "regression takes numeric columns only.",
        file=file,
        column=name,
        hint="Make dummy (0/1) columns for all levels but a reference one (e.g. "
        "pandas.get_dummies(data[col], drop_first=True)) and pass them as predictors.",
    )


# ----------------------------------------------------------------------------
# The regression from the saturated moments
# ----------------------------------------------------------------------------


def _regression_jacobian(mu: np.ndarray, sigma: np.ndarray, k: int) -> np.ndarray:
    """d(intercept, slopes)/d(mu, vech Sigma) for y = variable 0, predictors 1..k.

    With :math:`W = \\Sigma_{xx}^{-1}`, :math:`b = W\\sigma_{xy}`: :math:`\\partial b/\\partial
    \\sigma_{x_j y} = W_{\\cdot j}`, :math:`\\partial b/\\partial\\sigma_{x_j x_l} = -(W_{\\cdot
    j}b_l + W_{\\cdot l}b_j)` (:math:`-W_{\\cdot j}b_j` if :math:`j = l`); the intercept
    :math:`b_0 = \\mu_y - b'\\mu_x` adds :math:`\\partial b_0/\\partial\\mu_y = 1`,
    :math:`\\partial b_0/\\partial\\mu_x = -b` and :math:`-\\mu_x'\\,\\partial b/\\partial\\sigma`.
    """
    p = sigma.shape[0]
    rows, cols = _vech_pairs(p)
    xs = np.arange(1, k + 1)
    w = np.linalg.inv(sigma[np.ix_(xs, xs)])
    b = w @ sigma[xs, 0]
    jac = np.zeros((k + 1, p + rows.size))
    for pos, (hi, lo) in enumerate(zip(rows, cols, strict=True)):  # hi >= lo
        col = p + pos
        if hi > k or hi == 0:  # involves an auxiliary variable, or var(y): no effect on b
            continue
        if lo == 0:  # cov(y, x_hi)
            jac[1:, col] = w[:, hi - 1]
        elif lo == hi:  # var(x_hi)
            jac[1:, col] = -w[:, hi - 1] * b[hi - 1]
        else:  # cov(x_lo, x_hi)
            jac[1:, col] = -(w[:, lo - 1] * b[hi - 1] + w[:, hi - 1] * b[lo - 1])
    jac[0, p:] = -mu[xs] @ jac[1:, p:]
    jac[0, 0] = 1.0
    jac[0, xs] = -b
    return jac


def regression_fiml(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    auxiliary: Sequence[str] = (),
    ci: float = 0.95,
    file: str | None = None,
) -> FIMLRegression:
    """Linear regression with missing values by FIML, optionally with auxiliary variables.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; missing values as NaN (apply the codebook's missing codes
        first). Other columns are ignored.
    outcome : str
        The (continuous) outcome column.
    predictors : sequence of str
        The predictor columns, numeric. A boolean or two-level column is coded 0/1 (and
        said so in the warnings); a categorical column with more levels is refused: pass
        its dummies.
    auxiliary : sequence of str
        Auxiliary variables (Graham's saturated correlates): columns that predict the
        missing values or their missingness but are not in the model. They change the
        estimates only through the information they carry on the missing values.
    ci : float
        Level of the Wald confidence intervals.
    file : str, optional
        The data file's name, for error messages.

    Returns
    -------
    FIMLRegression
        The coefficient table (``b, se, z, p, ci_low, ci_high, beta``), R2, the row counts,
        the loglikelihood and the EM moments.

    Raises
    ------
    ValueError
        If ``ci`` is not in (0, 1) or the names are not strings.
    InputError
        Naming the column: a name not in the data (closest names suggested) or given two
        roles, a non-numeric outcome, a categorical predictor with more than two levels, a
        variable with no or a single observed value, two variables never observed together,
        collinear variables, or fewer usable rows than variables.

    Notes
    -----
    The model (lavaan ``sem("y ~ x1 + ... + xk", data, missing = "ml", fixed.x = FALSE)``)
    treats :math:`z = (y, x, a)` (outcome, predictors, auxiliary variables) as multivariate
    normal, :math:`z \\sim N(\\mu, \\Sigma)`, and maximizes the casewise (FIML)
    loglikelihood :math:`\\sum_i \\log\\phi(z_{i,o_i}; \\mu_{o_i}, \\Sigma_{o_i o_i})` over
    the rows' observed parts :math:`o_i` (Arbuckle, 1996). The regression with the
    predictors' moments and the saturated correlates of the auxiliary variables is a
    one-to-one reparametrization of :math:`(\\mu, \\Sigma)`, so

    .. math:: b = \\Sigma_{xx}^{-1}\\Sigma_{xy}, \\quad b_0 = \\mu_y - b'\\mu_x, \\quad
       \\sigma^2_e = \\sigma_{yy} - \\Sigma_{yx}b, \\quad R^2 = 1 - \\sigma^2_e/\\sigma_{yy}

    at the ML :math:`(\\hat\\mu, \\hat\\Sigma)`, found by EM (Dempster, Laird & Rubin,
    1977) polished by Newton steps to a gradient below 1e-11 per row (on the variables
    centred and scaled, so that the precision does not depend on their units). Standard
    errors: the inverse observed information (the Hessian) of the loglikelihood in :math:`(\\mu,
    \\operatorname{vech}\\Sigma)`, carried to :math:`(b_0, b)` by the delta method; at the
    optimum this equals the inverse Hessian in lavaan's parametrization, so these are
    lavaan 0.6's default standard errors for ``missing = "ml"`` (``information =
    "observed"``, ``observed.information = "hessian"``). With complete data the slopes are
    the OLS slopes and the standard errors lavaan's ML ones (residual variance with divisor
    n, so a factor :math:`\\sqrt{(n-k-1)/n}` below the OLS standard errors).

    When only the outcome is missing and there are no auxiliary variables, the rows without
    an outcome carry no information on the slopes, and FIML reproduces the complete-case
    (listwise) slopes; auxiliary variables correlated with the outcome change that (Graham,
    2003; Enders, 2010, ch. 5).

    References
    ----------
    Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete
    data. In G. A. Marcoulides & R. E. Schumacker (Eds.), Advanced structural equation
    modeling (pp. 243-277). Erlbaum.

    Graham, J. W. (2003). Adding missing-data-relevant variables to FIML-based structural
    equation models. Structural Equation Modeling, 10(1), 80-100.

    Enders, C. K. (2010). Applied missing data analysis. Guilford.

    Dempster, A. P., Laird, N. M., & Rubin, D. B. (1977). Maximum likelihood from
    incomplete data via the EM algorithm. Journal of the Royal Statistical Society B,
    39(1), 1-38.

    R: ``lavaan::sem("y ~ x1 + x2", data, missing = "ml", fixed.x = FALSE)`` (lavaan
    0.6-14) and, with auxiliary variables, ``semTools::sem.auxiliary("y ~ x1 + x2", data,
    aux = c("a1", "a2"), fixed.x = FALSE)``; ``parameterEstimates()``,
    ``standardizedSolution()``, ``lavInspect(fit, "r2")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.regression import regression_fiml
    >>> hs = pd.read_csv("tests/reference/holzinger_swineford_mar.csv")
    >>> res = regression_fiml(hs, "x9", ["x1", "x4", "x7"], auxiliary=["x8", "x6"])
    >>> res.n, res.n_complete
    (301, 228)
    >>> res.table["b"].round(3).to_dict()
    {'Intercept': 2.67, 'x1': 0.301, 'x4': 0.002, 'x7': 0.293}
    >>> res.table["se"].round(3).to_dict()
    {'Intercept': 0.292, 'x1': 0.049, 'x4': 0.05, 'x7': 0.051}
    """
    start = time.perf_counter()
    level = check_ci(ci)
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"Expected a pandas DataFrame, got {type(data).__name__}.",
            file=file,
            hint="Pass the survey data as a DataFrame with one column per variable.",
        )
    if not isinstance(outcome, str):
        raise ValueError(f"outcome must be a column name (str), got {outcome!r}")
    preds = _names(predictors, "predictors")
    aux = _names(auxiliary, "auxiliary")
    _check_names(data, outcome, preds, aux, file)
    variables = [outcome, *preds, *aux]
    notes: list[str] = []
    roles = ["outcome"] + ["predictor"] * len(preds) + ["auxiliary variable"] * len(aux)
    columns = [str(c) for c in data.columns]
    values = np.column_stack(
        [
            _numeric_column(data.iloc[:, columns.index(v)], v, role, file, notes)
            for v, role in zip(variables, roles, strict=True)
        ]
    )
    n_given = values.shape[0]
    missing_share = pd.Series(
        np.isnan(values).mean(axis=0) if n_given else np.zeros(len(variables)),
        index=variables,
        name="missing_share",
    )
    any_observed = ~np.isnan(values).all(axis=1)
    x = values[any_observed]
    n, p = x.shape
    n_dropped = n_given - n
    if n_dropped:
        notes.append(
            f"{n_dropped} of {n_given} rows were dropped: every variable of the regression "
            "(and the auxiliary variables) is missing there."
        )
    observed = ~np.isnan(x)
    for j, v in enumerate(variables):
        col = x[observed[:, j], j]
        if col.size == 0:
            raise InputError(
                f"The {roles[j]} '{v}' has no observed values.",
                file=file,
                column=v,
                hint="Check the column's missing-value codes, or leave it out.",
            )
        if np.unique(col).size < 2:
            raise InputError(
                f"The {roles[j]} '{v}' has a single observed value ({col[0]:g}), so it has no "
                "variance to model.",
                file=file,
                column=v,
                value=col[0],
                hint="Leave the column out of the regression, or check its recoding.",
            )
    together = observed.T.astype(float) @ observed.astype(float)
    never = np.argwhere(np.triu(together == 0, 1))
    if never.size:
        a, b = (variables[i] for i in never[0])
        raise InputError(
            f"'{a}' and '{b}' are never observed in the same row, so their covariance (and "
            "the regression) cannot be estimated.",
            file=file,
            column=b,
            hint="Leave one of them out (an auxiliary variable first), or collect data where "
            "both are answered.",
        )
    if n <= p:
        raise InputError(
            f"Only {n} usable rows for {p} variables.",
            file=file,
            hint="Collect more responses or use fewer predictors/auxiliary variables.",
        )
    k = len(preds)
    patterns = _missing_patterns(x)
    with single_threaded_blas():
        mu, sigma, loglik, info, converged = _fiml_saturated(patterns, x)
    eig = np.linalg.eigvalsh(sigma / np.sqrt(np.outer(np.diag(sigma), np.diag(sigma))))
    if eig.min() < 1e-10:
        raise InputError(
            "The variables are collinear: one is (nearly) a linear combination of others "
            "(e.g. a total score beside its parts, or all the dummies of one variable).",
            file=file,
            hint="Remove the redundant column(s) from the predictors or auxiliary variables.",
        )
    if not converged:
        notes.append(
            "The ML estimation of the means and covariances did not converge; the estimates "
            "and standard errors are not trustworthy."
        )
    try:
        vcov_sat = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        vcov_sat = np.full_like(info, np.nan)
        notes.append("The information matrix is singular: standard errors are not available.")
    xs = np.arange(1, k + 1)
    slopes = np.linalg.solve(sigma[np.ix_(xs, xs)], sigma[xs, 0])
    intercept = mu[0] - slopes @ mu[xs]
    resid = float(sigma[0, 0] - sigma[0, xs] @ slopes)
    jac = _regression_jacobian(mu, sigma, k)
    vcov = jac @ vcov_sat @ jac.T
    est = np.concatenate([[intercept], slopes])
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(vcov))
        z = est / se
    crit = float(stats.norm.ppf(0.5 + level / 2))
    sd_y = math.sqrt(sigma[0, 0])
    beta = np.concatenate([[intercept / sd_y], slopes * np.sqrt(np.diag(sigma)[xs]) / sd_y])
    terms = pd.Index(["Intercept", *preds], name="term")
    table = pd.DataFrame(
        {
            "b": est,
            "se": se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
            "beta": beta,
        },
        index=terms,
    )[_COLUMNS]
    model_cols = observed[:, : k + 1]
    n_complete = int(model_cols.all(axis=1).sum())
    if not aux and observed[:, 1 : k + 1].all() and not observed[:, 0].all():
        notes.append(
            "Only the outcome has missing values and there are no auxiliary variables: the "
            "rows without an outcome carry no information on the slopes, so FIML gives the "
            "complete-case slopes here. Auxiliary variables correlated with the outcome "
            "would add information (Graham 2003)."
        )
    heavy = [f"{v} ({s:.0%})" for v, s in missing_share.items() if s > _HEAVY_MISSING]
    if heavy:
        notes.append(
            f"More than half of the values are missing in {', '.join(heavy)}: FIML assumes the "
            "values are missing at random given the observed variables; estimates lean "
            "heavily on that assumption there."
        )
    return FIMLRegression(
        outcome=outcome,
        predictors=tuple(preds),
        auxiliary=tuple(aux),
        table=table,
        r_squared=1.0 - resid / float(sigma[0, 0]),
        residual_variance=resid,
        n=int(n),
        n_complete=n_complete,
        n_dropped=int(n_dropped),
        loglik=float(loglik),
        missing_share=missing_share,
        mean=pd.Series(mu, index=variables, name="mean"),
        cov=pd.DataFrame(sigma, index=variables, columns=variables),
        vcov=pd.DataFrame(vcov, index=terms, columns=terms),
        ci=level,
        information="observed",
        converged=bool(converged),
        seconds=time.perf_counter() - start,
        warning_messages=tuple(notes),
    )
