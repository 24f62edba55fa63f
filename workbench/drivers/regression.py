"""Key-driver models and relative importance, at parity with R.

:func:`fit_driver_model` regresses an outcome on its drivers (and optional
controls entered first) with the model the outcome calls for: OLS (``lm``,
optionally HC3 standard errors as ``sandwich::vcovHC``), ordinal logit
(``MASS::polr``) or binary logit (``glm(family = binomial)``). It reports
standardized coefficients, R2 or McFadden's pseudo R2, the increment over the
controls (F test or likelihood-ratio test, as ``anova`` of nested models), and
assumption checks as a traffic light (``car::vif``, ``lmtest::bptest``,
``shapiro.test``, Cook's distance, ``lmtest::resettest``).

:func:`relative_importance` decomposes R2 among the drivers two ways: LMG
(the Shapley value of R2, as ``relaimpo::calc.relimp(type = "lmg")``) and
Johnson's (2000) relative weights, with percentile bootstrap intervals and how
often each driver ranks first. Both are computed from correlation matrices, so
they do not depend on the predictors' units.

The golden tests pin the numbers to R 4.2.2 (``tests/reference/r_drivers.R``).
Data are expected to be scored already (construct means or plain columns);
nothing here imputes: rows with a missing value in any variable of the model
are dropped and the number dropped is reported in the result's warnings.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.drivers.moments import em_bootstrap, em_moments
from workbench.errors import InputError
from workbench.resampling import bootstrap_cross_products, covariances_from_cross_products
from workbench.results import Result, jsonable
from workbench.validation import check_choice, check_ci

__all__ = [
    "DriverModel",
    "RelativeImportance",
    "fit_driver_model",
    "relative_importance",
]

ModelKind = Literal["auto", "ols", "ordinal", "logit"]
_MODELS = ("auto", "ols", "ordinal", "logit")
#: the most drivers relative_importance accepts (LMG needs all 2^p subsets).
MAX_RI_DRIVERS = 15
#: extra rows required beyond the number of parameters.
_SPARE_ROWS = 10
_META_KEYS = ("r2", "seed", "n", "bootstrap", "ci")


# --------------------------------------------------------------------------- checks


def _as_names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise InputError(
            f"The {what} must be a column name or a list of column names, not {value!r}.",
            hint=f"Pass e.g. {what}=['satisfaction', 'trust'].",
        ) from None
    return names


def _check_columns(data: Any, outcome: str, drivers: list[str], controls: list[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"The data must be a pandas DataFrame of scored columns, not {type(data).__name__}.",
            hint="Score the constructs first (workbench.measurement.scales.score_scales) and pass the frame.",
        )
    if not isinstance(outcome, str):
        raise InputError(
            f"The outcome must be one column name, not {outcome!r}.",
            hint="Pass e.g. outcome='loyalty'.",
        )
    if not drivers:
        raise InputError("No drivers were given.", hint="Pass at least one driver column.")
    everything = [outcome, *drivers, *controls]
    seen: set[str] = set()
    for name in everything:
        if name in seen:
            raise InputError(
                "A column is used more than once (as outcome, driver or control).",
                column=str(name),
                hint="List each column once, in one role only.",
            )
        seen.add(name)
        if name not in data.columns:
            import difflib

            close = difflib.get_close_matches(str(name), [str(c) for c in data.columns], n=3)
            raise InputError(
                "A column of the model is not in the data.",
                column=str(name),
                hint=("Did you mean " + " or ".join(repr(c) for c in close) + "? " if close else "")
                + "Check the spelling, or score the construct first.",
            )


def _numeric(data: pd.DataFrame, col: str, role: str) -> pd.Series:
    s = data[col]
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    converted = pd.to_numeric(s, errors="coerce")
    bad = converted.isna() & s.notna()
    row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
    value = s[bad].iloc[0] if bad.any() else None
    raise InputError(
        f"The {role} column is not numeric.",
        column=str(col),
        row=row,
        value=value,
        hint="Recode text answers to numbers in the codebook (and declare missing-value "
        "codes); categorical variables belong in `controls`.",
    )


def _is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
    )


@dataclasses.dataclass
class _Design:
    y: pd.Series
    X: pd.DataFrame  # with "Intercept" first
    rows: np.ndarray  # 1-based data rows used
    n_dropped: int
    control_terms: list[str]
    driver_terms: list[str]
    reference_levels: dict[str, str]
    term_source: dict[str, str]


def _prepare(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    controls: list[str],
    *,
    extra_params: int = 0,
) -> _Design:
    """Listwise deletion, dummy coding, and the input checks shared by both functions."""
    _check_columns(data, outcome, drivers, controls)
    cols: dict[str, pd.Series] = {outcome: _numeric(data, outcome, "outcome")}
    for d in drivers:
        cols[d] = _numeric(data, d, "driver")
    categorical = [c for c in controls if _is_categorical(data[c])]
    for c in controls:
        cols[c] = data[c] if c in categorical else _numeric(data, c, "control")
    frame = pd.DataFrame(cols)
    frame.index = data.index
    positions = np.arange(1, len(frame) + 1)
    keep = frame.notna().all(axis=1).to_numpy()
    frame = frame.loc[keep]
    rows = positions[keep]
    n_dropped = int((~keep).sum())

    X = pd.DataFrame({"Intercept": np.ones(len(frame))}, index=frame.index)
    control_terms: list[str] = []
    reference_levels: dict[str, str] = {}
    term_source: dict[str, str] = {}
    for c in controls:
        s = frame[c]
        if c in categorical:
            if isinstance(s.dtype, pd.CategoricalDtype):
                present = set(s.dropna().unique())
                levels = [lv for lv in s.cat.categories if lv in present]
            else:
                levels = sorted(s.dropna().unique(), key=lambda v: (str(type(v)), v))
            if len(levels) < 2:
                raise InputError(
                    "A categorical control has a single level among the complete rows.",
                    column=str(c),
                    hint="Drop this control, or check its missing values.",
                )
            reference_levels[c] = str(levels[0])
            for lv in levels[1:]:
                term = f"{c}[T.{lv}]"
                X[term] = (s == lv).astype(float).to_numpy()
                control_terms.append(term)
                term_source[term] = c
        else:
            X[c] = s.to_numpy(dtype=float)
            control_terms.append(c)
            term_source[c] = c
    for d in drivers:
        X[d] = frame[d].to_numpy(dtype=float)
        term_source[d] = d

    y = frame[outcome].astype(float)
    n = len(frame)
    n_params = X.shape[1] + extra_params
    if n < n_params + _SPARE_ROWS:
        raise InputError(
            f"Only {n} complete rows for {X.shape[1] + extra_params} parameters; at least "
            f"{n_params + _SPARE_ROWS} (parameters + {_SPARE_ROWS}) are needed"
            + (f" ({n_dropped} rows dropped for missing values)." if n_dropped else "."),
            hint="Use fewer drivers or controls, check the missing-value codes, or collect "
            "more responses.",
        )
    if y.nunique() < 2:
        raise InputError(
            "The outcome is constant among the complete rows, so there is nothing to explain.",
            column=outcome,
            value=y.iloc[0],
            hint="Choose an outcome that varies between respondents.",
        )
    for d in drivers:
        if X[d].nunique() < 2:
            raise InputError(
                "A driver is constant among the complete rows, so its effect cannot be estimated.",
                column=d,
                value=X[d].iloc[0],
                hint="Remove this driver from the model.",
            )
    for c in controls:
        if c not in categorical and X[c].nunique() < 2:
            raise InputError(
                "A control is constant among the complete rows.",
                column=c,
                value=X[c].iloc[0],
                hint="Remove this control from the model.",
            )
    _check_collinearity(X, term_source)
    return _Design(
        y=y,
        X=X,
        rows=rows,
        n_dropped=n_dropped,
        control_terms=control_terms,
        driver_terms=list(drivers),
        reference_levels=reference_levels,
        term_source=term_source,
    )


def _check_collinearity(X: pd.DataFrame, term_source: dict[str, str]) -> None:
    """Raise if a column of the design is an exact linear combination of earlier ones."""
    A = X.to_numpy(dtype=float)
    sd = A.std(axis=0)
    A = A / np.where(sd > 0, sd, 1.0)
    if np.linalg.matrix_rank(A) == A.shape[1]:
        return
    for k in range(2, A.shape[1] + 1):
        if np.linalg.matrix_rank(A[:, :k]) < k:
            term = X.columns[k - 1]
            sub = A[:, : k - 1]
            coef, *_ = np.linalg.lstsq(sub, A[:, k - 1], rcond=None)
            involved = [
                term_source.get(str(c), str(c))
                for c, b in zip(X.columns[: k - 1], coef, strict=True)
                if abs(b) > 1e-8 and c != "Intercept"
            ]
            raise InputError(
                "Perfect collinearity: a variable is an exact linear combination of the "
                "others" + (f" ({', '.join(dict.fromkeys(involved))})" if involved else "") + ".",
                column=term_source.get(str(term), str(term)),
                hint="Remove one of the redundant variables (e.g. a total score together "
                "with all of its parts, or the same construct entered twice).",
            )


# --------------------------------------------------------------------------- model choice


def _is_integer_valued(values: np.ndarray) -> bool:
    return bool(np.all(np.isclose(values, np.round(values))))


def _choose_kind(y: pd.Series, model: str) -> tuple[str, str]:
    values = np.unique(y.to_numpy())
    k = len(values)
    if model == "auto":
        if k == 2:
            return "logit", "auto: the outcome has 2 distinct values, so binary logit"
        if 3 <= k <= 10 and _is_integer_valued(values):
            return "ordinal", (
                f"auto: the outcome has {k} integer categories (a single Likert-type item), "
                "so ordinal logit"
            )
        why = "non-integer values" if not _is_integer_valued(values) else f"{k} distinct values"
        return "ols", f"auto: the outcome has {why} (treated as continuous), so OLS"
    return model, f"requested: model={model!r}"


# --------------------------------------------------------------------------- result


@dataclasses.dataclass(frozen=True)
class DriverModel(Result):
    """A fitted driver model (OLS, ordinal logit or binary logit).

    Attributes
    ----------
    kind : str
        ``"ols"``, ``"ordinal"`` or ``"logit"``.
    reason : str
        Why this kind was used (the ``auto`` rule that fired, or the request).
    outcome : str
    drivers, controls : tuple of str
    n : int
        Rows used (complete on outcome, drivers and controls).
    n_dropped : int
        Rows dropped for a missing value (listwise deletion; nothing is imputed).
    coefficients : pandas.DataFrame
        One row per term (``Intercept`` for OLS and logit; none for ordinal, whose
        intercepts are the thresholds), columns ``term, role, estimate, se,
        statistic, p, ci_low, ci_high, std_beta``. ``role`` is ``intercept``,
        ``control`` or ``driver``; ``statistic`` is t for OLS and z (Wald) for the
        logit kinds. Dummies of a categorical control are named
        ``"control[T.level]"``.
    thresholds : pandas.DataFrame or None
        Ordinal only: ``label, estimate, se`` with labels ``"1|2"``, ``"2|3"``, ...
        (``MASS::polr``'s ``zeta``).
    r2, adj_r2 : float or None
        OLS only.
    pseudo_r2 : float or None
        McFadden's ``1 - logL / logL0`` (logit kinds only).
    loglik, aic, bic : float
        As R's ``logLik``, ``AIC`` and ``BIC`` (OLS counts the residual variance
        as a parameter, as R does).
    hierarchical : dict or None
        With controls: ``{test, r2_controls, delta_r2, statistic, df1, df2, p}``
        for OLS (F test of the R2 change, R ``anova(reduced, full)``; with ``robust=True``
        the Wald F of the drivers' coefficients with their HC3 covariance, ``test`` "F (HC3
        Wald)", R ``lmtest::waldtest(full, reduced, vcov = sandwich::vcovHC(full, type =
        "HC3"), test = "F")``) or with McFadden R2 and a chi-square LR statistic (``df2`` is
        None) for the logit kinds.
    assumptions : pandas.DataFrame
        ``check, value, status, explanation``; ``status`` is ``green``,
        ``amber`` or ``red``. VIF rows for every kind; residual checks for OLS.
    linearity : pandas.DataFrame or None
        OLS only: ``row, fitted, residual`` for a fitted-vs-residuals plot
        (``row`` is the 1-based data row).
    influential : pandas.DataFrame or None
        OLS only: ``row, cooks_d`` of the cases with Cook's distance > 4/n,
        largest first.
    reference_levels : dict
        Reference (omitted) level of each categorical control.
    robust : bool
        Whether HC3 standard errors were used (OLS only).
    ci : float
        Confidence level of ``ci_low``/``ci_high``.
    warning_messages : tuple of str
    model : statsmodels results
        The fitted statsmodels results (``OLS``, ``OrderedModel`` or ``Logit``).
    controls_model : statsmodels results or None
        The controls-only model of the hierarchical test.
    """

    kind: str
    reason: str
    outcome: str
    drivers: tuple[str, ...]
    controls: tuple[str, ...]
    n: int
    n_dropped: int
    coefficients: pd.DataFrame
    thresholds: pd.DataFrame | None
    r2: float | None
    adj_r2: float | None
    pseudo_r2: float | None
    loglik: float
    aic: float
    bic: float
    hierarchical: dict[str, Any] | None
    assumptions: pd.DataFrame
    linearity: pd.DataFrame | None = dataclasses.field(default=None, repr=False)
    influential: pd.DataFrame | None = dataclasses.field(default=None, repr=False)
    reference_levels: dict[str, str] = dataclasses.field(default_factory=dict)
    robust: bool = False
    ci: float = 0.95
    warning_messages: tuple[str, ...] = ()
    model: Any = dataclasses.field(default=None, repr=False, compare=False)
    controls_model: Any = dataclasses.field(default=None, repr=False, compare=False)
    pooled_f_test: dict[str, Any] | None = None

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (see ``coefficients``)."""
        return self.coefficients.copy()

    @property
    def f_test(self) -> dict[str, Any] | None:
        """The overall *F* test of an OLS model: all coefficients but the intercept are zero.

        Returns
        -------
        dict or None
            ``{F, df1, df2, p, vcov}``: :math:`F` on ``df1 = k`` (the non-intercept terms,
            dummies of a categorical control included) and ``df2 = n - k - 1`` degrees of
            freedom, its p-value, and ``vcov`` the covariance the test uses
            (``"classical"`` or ``"HC3"``). Pooled over imputations it is D1 (Li,
            Raghunathan & Rubin 1991) over the imputations' slopes and covariances, with a
            fractional ``df2`` and ``pooling: "D1"`` (R: ``mitml::testModels(fit, fit0,
            method = "D1")``, set by
            :func:`~workbench.drivers.pooling.pool_driver_models`). None for the logit kinds
            and for a model re-estimated by FIML (its coefficients are not those of
            :attr:`model`).

        Notes
        -----
        The Wald form :math:`F = \\hat b' \\hat V^{-1} \\hat b / k` over the slopes
        :math:`\\hat b` with their covariance :math:`\\hat V`. With the classical
        :math:`\\hat V = s^2 (X'X)^{-1}` it equals :math:`(R^2/k) / ((1 - R^2)/(n - k - 1))`
        (R: ``summary(lm)$fstatistic``; statsmodels' ``fvalue``). With ``robust=True``
        :math:`\\hat V` is HC3, and the test is the heteroscedasticity-robust Wald *F*
        against the intercept-only model, on the same df (R: ``lmtest::waldtest(m, vcov =
        sandwich::vcovHC(m, type = "HC3"), test = "F")``).

        References
        ----------
        Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard
        errors in the linear regression model. The American Statistician, 54, 217-224.
        """
        if self.pooled_f_test is not None:  # D1 over imputations (pool_driver_models)
            return dict(self.pooled_f_test)
        res = self.model
        if self.kind != "ols" or res is None or "fmi" in self.coefficients:
            return None
        params = getattr(res, "params", None)
        if not isinstance(params, pd.Series) or int(res.nobs) != self.n:
            return None
        reported = self.coefficients.set_index("term")["estimate"]
        if list(reported.index) != list(params.index) or not np.array_equal(
            reported.to_numpy(float), params.to_numpy(float)
        ):
            return None  # the coefficients were replaced (FIML, pooling): not this fit's test
        slopes = [t for t in params.index if t != "Intercept"]
        b = params[slopes].to_numpy(float)
        v = res.cov_params().loc[slopes, slopes].to_numpy(float)
        k = len(slopes)
        df2 = float(res.df_resid)
        f = float(b @ np.linalg.solve(v, b)) / k
        return {
            "F": f,
            "df1": k,
            "df2": int(df2),
            "p": float(stats.f.sf(f, k, df2)),
            "vcov": "HC3" if self.robust else "classical",
        }

    def summary(self) -> str:
        fit = (
            f"R2 = {self.r2:.4f}, adjusted R2 = {self.adj_r2:.4f}"
            if self.kind == "ols"
            else f"McFadden pseudo R2 = {self.pseudo_r2:.4f}"
        )
        f_test = self.f_test
        if f_test is not None:
            fit += (
                f", F({f_test['df1']}, {f_test['df2']}) = {f_test['F']:.3f}, "
                f"p = {f_test['p']:.4g}" + (" (HC3 Wald)" if f_test["vcov"] == "HC3" else "")
            )
        lines = [
            f"{_KIND_LABEL[self.kind]} of {self.outcome}, n = {self.n}"
            + (f" ({self.n_dropped} rows dropped)" if self.n_dropped else ""),
            f"Model: {self.reason}",
            f"{fit}; AIC = {self.aic:.2f}, BIC = {self.bic:.2f}"
            + ("; HC3 robust standard errors" if self.robust and self.kind == "ols" else ""),
            "",
            self.coefficients.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        if self.thresholds is not None:
            lines += [
                "",
                "Thresholds:",
                self.thresholds.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            ]
        if self.reference_levels:
            lines += [
                "",
                "Reference levels: "
                + ", ".join(f"{k} = {v}" for k, v in self.reference_levels.items()),
            ]
        h = self.hierarchical
        if h:
            if str(h["test"]).startswith("F"):
                lines += [
                    "",
                    f"Drivers over controls: delta R2 = {h['delta_r2']:.4f}, "
                    f"F({h['df1']}, {h['df2']}) = {h['statistic']:.3f}, p = {h['p']:.4g}"
                    + (" (HC3 Wald)" if "HC3" in str(h["test"]) else ""),
                ]
            else:
                lines += [
                    "",
                    f"Drivers over controls: delta pseudo R2 = {h['delta_r2']:.4f}, "
                    f"LR chi2({h['df1']}) = {h['statistic']:.3f}, p = {h['p']:.4g}",
                ]
        if len(self.assumptions):
            lines += [
                "",
                "Assumption checks:",
                self.assumptions[["check", "value", "status"]].to_string(
                    index=False, float_format=lambda v: f"{v:.4g}"
                ),
            ]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The results.json ``model`` block.

        ``{kind, outcome, n, r2, adj_r2, f_test {F, df1, df2, p, vcov} (ols; null when
        pooled over imputations or estimated by FIML: see :attr:`f_test`), pseudo_r2 (logit
        kinds),
        coefficients: {term: {estimate, se, p, ci_low, ci_high, std_beta}},
        thresholds: {label: value} (ordinal)}``, plus ``reason, n_dropped,
        robust, aic, bic, reference_levels, hierarchical, assumptions, warnings``.
        """
        out: dict[str, Any] = {"kind": self.kind, "outcome": self.outcome, "n": self.n}
        if self.kind == "ols":
            out["r2"] = self.r2
            out["adj_r2"] = self.adj_r2
            out["f_test"] = self.f_test
        else:
            out["pseudo_r2"] = self.pseudo_r2
        out["coefficients"] = {
            row.term: {
                "estimate": row.estimate,
                "se": row.se,
                "p": row.p,
                "ci_low": row.ci_low,
                "ci_high": row.ci_high,
                "std_beta": row.std_beta,
                # pooled over imputations: Barnard-Rubin df and fraction of missing information
                **{k: getattr(row, k) for k in ("df", "fmi") if k in self.coefficients},
            }
            for row in self.coefficients.itertuples(index=False)
        }
        if self.thresholds is not None:
            out["thresholds"] = dict(
                zip(self.thresholds["label"], self.thresholds["estimate"], strict=True)
            )
        out["reason"] = self.reason
        out["n_dropped"] = self.n_dropped
        out["robust"] = self.robust
        out["aic"] = self.aic
        out["bic"] = self.bic
        out["reference_levels"] = dict(self.reference_levels)
        out["hierarchical"] = self.hierarchical
        out["assumptions"] = self.assumptions.to_dict(orient="records")
        out["warnings"] = list(self.warnings)
        return jsonable(out)


_KIND_LABEL = {"ols": "OLS regression", "ordinal": "Ordinal logit", "logit": "Binary logit"}


# --------------------------------------------------------------------------- fitting


def _fit_ols(y: np.ndarray, X: pd.DataFrame, robust: bool) -> Any:
    import statsmodels.api as sm

    mod = sm.OLS(y, X)
    if robust:
        return mod.fit(cov_type="HC3", use_t=True)
    return mod.fit()


def _fit_logit(y: np.ndarray, X: pd.DataFrame, notes: list[str]) -> Any:
    import statsmodels.api as sm

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(method="newton", maxiter=200, disp=False, tol=1e-12)
        except Exception as exc:  # statsmodels' PerfectSeparationError and friends
            raise InputError(
                f"The logit model could not be fitted: {exc}",
                hint="A driver may perfectly separate the two outcome groups; remove it or "
                "use model='ols'.",
            ) from None
    for w in caught:
        msg = str(w.message)
        if "separation" in msg.lower():
            notes.append(
                "Quasi-complete separation: some coefficients and standard errors are not "
                "reliable (a driver almost perfectly predicts the outcome)."
            )
    if not res.mle_retvals.get("converged", True):
        notes.append("The logit model did not converge; treat its estimates with caution.")
    return res


def _fit_ordinal(codes: np.ndarray, X: pd.DataFrame, notes: list[str]) -> Any:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    exog = X.drop(columns="Intercept")
    mod = OrderedModel(codes, exog, distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mod.fit(method="bfgs", maxiter=2000, disp=False, gtol=1e-8)
        score = np.asarray(mod.score(np.asarray(res.params)), dtype=float)
        if not np.all(np.isfinite(score)) or np.abs(score).max() > 1e-5:
            # polish with Newton steps (numerical Hessian: slow, so only when needed)
            try:
                res2 = mod.fit(
                    start_params=res.params, method="newton", maxiter=100, disp=False, tol=1e-8
                )
                if np.isfinite(res2.llf) and res2.llf >= res.llf - 1e-9:
                    res = res2
            except Exception:  # pragma: no cover - keep the BFGS solution
                pass
            score = np.asarray(mod.score(np.asarray(res.params)), dtype=float)
    # judge convergence by the gradient (the optimizers' own flags trip on precision loss)
    if not np.all(np.isfinite(score)) or np.abs(score).max() > 1e-3:
        notes.append("The ordinal logit model did not converge; treat its estimates with caution.")
    return res


def _ordinal_thresholds(res: Any, k_exog: int) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds (polr's zeta) and their delta-method SEs from statsmodels' increments.

    statsmodels parametrizes the thresholds as ``a_1, log(t_2 - t_1), ...``;
    ``t_k = a_1 + sum_{i=2..k} exp(a_i)``.
    """
    params = np.asarray(res.params, dtype=float)
    a = params[k_exog:]
    t = np.cumsum(np.concatenate([[a[0]], np.exp(a[1:])]))
    m = len(a)
    J = np.zeros((m, m))
    for k in range(m):
        J[k, 0] = 1.0
        for i in range(1, k + 1):
            J[k, i] = math.exp(a[i])
    V = np.asarray(res.cov_params(), dtype=float)[k_exog:, k_exog:]
    se = np.sqrt(np.clip(np.diag(J @ V @ J.T), 0, None))
    return t, se


def _ordinal_null_loglik(codes: np.ndarray) -> float:
    counts = np.bincount(codes).astype(float)
    counts = counts[counts > 0]
    return float(np.sum(counts * np.log(counts / counts.sum())))


def _coef_table(
    terms: list[str],
    roles: list[str],
    est: np.ndarray,
    se: np.ndarray,
    df_resid: float | None,
    ci: float,
    std_beta: np.ndarray,
) -> pd.DataFrame:
    stat = est / se
    if df_resid is None:
        p = 2 * stats.norm.sf(np.abs(stat))
        q = stats.norm.ppf(0.5 + ci / 2)
    else:
        p = 2 * stats.t.sf(np.abs(stat), df_resid)
        q = stats.t.ppf(0.5 + ci / 2, df_resid)
    return pd.DataFrame(
        {
            "term": terms,
            "role": roles,
            "estimate": est,
            "se": se,
            "statistic": stat,
            "p": p,
            "ci_low": est - q * se,
            "ci_high": est + q * se,
            "std_beta": std_beta,
        }
    )


# --------------------------------------------------------------------------- assumptions


def _vif_rows(X: pd.DataFrame, drivers: list[str]) -> list[dict[str, Any]]:
    """VIF_j = [R^-1]_jj over all non-intercept design columns (= car::vif's GVIF
    for one-column terms)."""
    Z = X.drop(columns="Intercept")
    rows = []
    if Z.shape[1] < 2:
        for d in drivers:
            rows.append(
                {
                    "check": f"VIF {d}",
                    "value": 1.0,
                    "status": "green",
                    "explanation": f"{d} is the only predictor, so there is no collinearity.",
                }
            )
        return rows
    R = np.corrcoef(Z.to_numpy(dtype=float), rowvar=False)
    inv = np.linalg.inv(R)
    cols = list(Z.columns)
    for d in drivers:
        v = float(inv[cols.index(d), cols.index(d)])
        if v > 10:
            status, text = (
                "red",
                f"{d} is nearly redundant with the other predictors (VIF {v:.1f} > 10): its "
                "coefficient is unstable and its standard error inflated. Consider dropping "
                "or combining overlapping drivers; relative importance handles overlap better.",
            )
        elif v > 5:
            status, text = (
                "amber",
                f"{d} overlaps substantially with the other predictors (VIF {v:.1f} > 5); "
                "its coefficient is less precise. Read its effect together with the "
                "relative-importance shares.",
            )
        else:
            status, text = (
                "green",
                f"{d} is not too strongly correlated with the other predictors (VIF {v:.1f} <= 5).",
            )
        rows.append({"check": f"VIF {d}", "value": v, "status": status, "explanation": text})
    return rows


def _ols_checks(
    res: Any, X: pd.DataFrame, rows: np.ndarray, robust: bool
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    from statsmodels.stats.diagnostic import het_breuschpagan, linear_reset

    out: list[dict[str, Any]] = []
    resid = np.asarray(res.resid, dtype=float)
    n = len(resid)

    # residual normality
    if n <= 5000:
        name, pval = "Shapiro-Wilk", float(stats.shapiro(resid).pvalue)
    else:
        name, pval = "Jarque-Bera", float(stats.jarque_bera(resid).pvalue)
    if pval >= 0.05:
        status, text = "green", f"Residuals look normally distributed ({name} p = {pval:.3g})."
    elif pval < 0.001 and n < 200:
        status, text = (
            "red",
            f"Residuals are clearly not normal ({name} p = {pval:.3g}) and the sample is "
            "small (n < 200), so p-values and intervals may be off. Consider a "
            "transformation or an ordinal/logit model.",
        )
    else:
        status, text = (
            "amber",
            f"Residuals depart from normality ({name} p = {pval:.3g}). With n = {n} the "
            "coefficient tests are fairly robust to this, but look at the residual plot.",
        )
    out.append(
        {
            "check": f"Residual normality ({name} p)",
            "value": pval,
            "status": status,
            "explanation": text,
        }
    )

    # heteroscedasticity: studentized (Koenker) Breusch-Pagan, lmtest::bptest's default
    _, bp_p, _, _ = het_breuschpagan(resid, np.asarray(X, dtype=float), robust=True)
    if bp_p >= 0.05:
        status, text = (
            "green",
            f"The spread of residuals does not change with the predictors (Breusch-Pagan "
            f"p = {bp_p:.3g}).",
        )
    elif robust:
        status, text = (
            "amber",
            f"The spread of residuals changes with the predictors (Breusch-Pagan p = "
            f"{bp_p:.3g}); robust=True is in use, so the HC3 standard errors allow for it.",
        )
    elif bp_p >= 0.01:
        status, text = (
            "amber",
            f"Some sign that the spread of residuals changes with the predictors "
            f"(Breusch-Pagan p = {bp_p:.3g}); consider robust=True.",
        )
    else:
        status, text = (
            "red",
            f"The spread of residuals changes with the predictors (Breusch-Pagan p = "
            f"{bp_p:.3g}), so the usual standard errors are wrong. Use robust=True "
            "(HC3 standard errors).",
        )
    out.append(
        {
            "check": "Heteroscedasticity (Breusch-Pagan p)",
            "value": float(bp_p),
            "status": status,
            "explanation": text,
        }
    )

    # linearity: Ramsey RESET with fitted^2 and fitted^3 (lmtest::resettest's default)
    try:
        reset = linear_reset(res, power=3, test_type="fitted", use_f=True)
        reset_p = float(reset.pvalue)
    except Exception:  # pragma: no cover - degenerate fits
        reset_p = math.nan
    if not np.isfinite(reset_p) or reset_p >= 0.05:
        status, text = (
            "green",
            f"No sign of a curved relationship (RESET p = {reset_p:.3g}); check the "
            "fitted-vs-residuals plot.",
        )
    elif reset_p >= 0.01:
        status, text = (
            "amber",
            f"Some sign of a curved relationship (RESET p = {reset_p:.3g}); look at the "
            "fitted-vs-residuals plot for a bend.",
        )
    else:
        status, text = (
            "red",
            f"The relationship looks curved (RESET p = {reset_p:.3g}): a straight-line model "
            "misses part of it. Look at the fitted-vs-residuals plot; consider a squared "
            "term or an interaction.",
        )
    out.append(
        {"check": "Linearity (RESET p)", "value": reset_p, "status": status, "explanation": text}
    )

    # influential cases: Cook's distance
    infl = res.get_influence()
    cooks = np.asarray(infl.cooks_distance[0], dtype=float)
    over = cooks > 4 / n
    count = int(over.sum())
    order = np.argsort(-cooks[over], kind="stable")
    influential = pd.DataFrame({"row": rows[over][order], "cooks_d": cooks[over][order]})
    top = ", ".join(
        f"row {r} (D = {d:.3f})" for r, d in influential.head(5).itertuples(index=False)
    )
    share = count / n
    if cooks.max() > 1:
        status = "red"
        text = (
            f"{count} case(s) have Cook's distance above 4/n and at least one above 1: a few "
            f"respondents move the estimates a lot. Check them ({top}) for data errors; do "
            "not drop them without a reason."
        )
    elif cooks.max() > 0.5 or share > 0.10:
        status = "amber"
        text = (
            f"{count} case(s) ({share:.0%}) have Cook's distance above 4/n = {4 / n:.4f}"
            + (" and one above 0.5" if cooks.max() > 0.5 else ", more than the usual 5-10%")
            + f". Check the largest ({top}) for data errors."
        )
    else:
        status = "green"
        text = (
            f"{count} case(s) ({share:.0%}) have Cook's distance above 4/n = {4 / n:.4f}, "
            "none above 0.5: no respondent dominates the fit"
            + (f". Largest: {top}." if count else ".")
        )
    out.append(
        {
            "check": "Influential cases (Cook's D > 4/n)",
            "value": float(count),
            "status": status,
            "explanation": text,
        }
    )

    linearity = pd.DataFrame(
        {"row": rows, "fitted": np.asarray(res.fittedvalues, dtype=float), "residual": resid}
    )
    return out, linearity, influential


# --------------------------------------------------------------------------- public API


def fit_driver_model(
    data: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    controls: Sequence[str] = (),
    model: ModelKind = "auto",
    robust: bool = False,
    ci: float = 0.95,
) -> DriverModel:
    """Regress an outcome on its drivers with the model the outcome calls for.

    Parameters
    ----------
    data : pandas.DataFrame
        Scored columns (construct scores or plain columns), one row per respondent.
    outcome : str
        The outcome column.
    drivers : sequence of str
        The driver columns (numeric).
    controls : sequence of str, optional
        Columns entered before the drivers (hierarchical entry). Numeric controls
        enter as they are; categorical ones (object or category dtype, e.g. member
        tier) as treatment dummies against their first level (the first category
        of a ``category`` column, else the smallest value), as R's default
        ``contr.treatment``. To treat a numeric code as categorical, convert it
        with ``.astype("category")``.
    model : {"auto", "ols", "ordinal", "logit"}
        ``auto`` picks binary logit when the outcome has 2 distinct values,
        ordinal logit when it has 3 to 10 integer values (a single Likert-type
        item), and OLS otherwise (e.g. a mean of several items). The choice and
        its reason are recorded in ``reason``.
    robust : bool
        OLS only: HC3 heteroscedasticity-consistent standard errors.
    ci : float
        Confidence level of the coefficient intervals.

    Returns
    -------
    DriverModel
        Coefficients, fit, hierarchical test, assumption checks; ``.model`` is the
        statsmodels results object.

    Raises
    ------
    InputError
        A column is missing or not numeric, a driver is constant, two variables
        are perfectly collinear, there are fewer complete rows than parameters +
        10, or the outcome does not suit the requested model.
    ValueError
        ``model`` or ``ci`` is not a valid option.

    Notes
    -----
    Rows with a missing value in the outcome, a driver or a control are dropped
    (listwise deletion, reported in the warnings); nothing is imputed.

    *OLS* (``lm``): :math:`y = X b + e`, SEs from :math:`s^2 (X'X)^{-1}`, or with
    ``robust=True`` the HC3 estimator :math:`(X'X)^{-1} X' \\mathrm{diag}(e_i^2 /
    (1 - h_i)^2) X (X'X)^{-1}` (``sandwich::vcovHC(type = "HC3")``); t tests and
    t intervals on n - k degrees of freedom in both cases (as ``lmtest::coeftest``).
    Standardized coefficients :math:`b_j s_{x_j} / s_y`.

    *Ordinal logit* (``MASS::polr``, fitted with statsmodels' ``OrderedModel``):
    :math:`P(Y \\le k) = \\mathrm{logit}^{-1}(\\zeta_k - x'b)`. This is polr's sign
    convention and statsmodels' as well: a positive coefficient shifts answers
    towards higher categories, and the thresholds ``zeta`` are reported as such
    (statsmodels' increments parametrization is transformed back, SEs by the
    delta method). There is no intercept.

    *Binary logit* (``glm(family = binomial)``): :math:`\\mathrm{logit} P(Y = 1) =
    x'b`; the larger of the two outcome values is coded 1. Wald z tests and Wald
    intervals (R's ``confint.default``, not the profile intervals of ``confint``).

    For both logit kinds ``std_beta`` is x-standardized only, :math:`b_j s_{x_j}`
    (the change in log-odds per SD of the predictor); the outcome has no SD.
    McFadden's pseudo :math:`R^2 = 1 - \\log L / \\log L_0` with :math:`L_0` the
    intercept(s)-only model. AIC = :math:`-2 \\log L + 2k`, BIC =
    :math:`-2\\log L + k \\log n`, with k counting the residual variance for OLS
    (as R's ``AIC``/``BIC``).

    *Hierarchical entry*: with controls, the controls-only model is fitted to
    the same rows. OLS: :math:`\\Delta R^2` and :math:`F = (\\Delta R^2 / q) /
    ((1 - R^2) / (n - k))` on (q, n - k) df (``anova(m0, m1)``). Logit kinds:
    :math:`\\Delta` McFadden R2 and :math:`LR = 2 (\\log L_1 - \\log L_0)` on q df.

    *Assumption checks* (traffic light): VIF :math:`= [R^{-1}]_{jj}` over the
    non-intercept design columns (``car::vif``; amber > 5, red > 10). OLS only:
    residual normality (Shapiro-Wilk for n <= 5000, else Jarque-Bera; green p >=
    .05, red only when p < .001 and n < 200, else amber); studentized
    Breusch-Pagan (``lmtest::bptest``; green p >= .05, amber p >= .01 or when
    ``robust=True``, else red with the advice to use ``robust=True``); Ramsey
    RESET with fitted^2 and fitted^3 (``lmtest::resettest``; same cut-offs as
    BP); Cook's distance (count above 4/n; amber when above 10% of cases or any D >
    0.5, red when any D > 1, as Cook & Weisberg suggest; rows named by 1-based data
    row).

    References
    ----------
    Long, J. S., & Freese, J. (2006). Regression models for categorical dependent
    variables using Stata. R: ``MASS::polr``, ``stats::glm``.
    Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard
    errors in the linear regression model. The American Statistician, 54, 217-224.
    R: ``sandwich::vcovHC(type = "HC3")``.
    Koenker, R. (1981). A note on studentizing a test for heteroscedasticity. Journal
    of Econometrics, 17, 107-112. R: ``lmtest::bptest``.
    Cook, R. D., & Weisberg, S. (1982). Residuals and influence in regression. Chapman
    & Hall. R: ``stats::cooks.distance``.
    Ramsey, J. B. (1969). Tests for specification errors in classical linear
    least-squares regression analysis. JRSS B, 31, 350-371. R: ``lmtest::resettest``.
    Fox, J., & Monette, G. (1992). Generalized collinearity diagnostics. JASA, 87,
    178-183. R: ``car::vif``.
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from workbench.drivers.regression import fit_driver_model
    >>> rng = np.random.default_rng(7)
    >>> df = pd.DataFrame({"value": rng.normal(size=300), "trust": rng.normal(size=300)})
    >>> df["loyalty"] = 0.5 * df["value"] + 0.3 * df["trust"] + rng.normal(size=300)
    >>> res = fit_driver_model(df, "loyalty", ["value", "trust"])
    >>> res.kind, res.n
    ('ols', 300)
    >>> res.coefficients[["term", "estimate", "std_beta"]].round(3)
            term  estimate  std_beta
    0  Intercept    -0.038       NaN
    1      value     0.386     0.333
    2      trust     0.322     0.277
    >>> res.assumptions["status"].tolist()
    ['green', 'green', 'green', 'green', 'green', 'green']
    """
    check_choice("model", model, _MODELS)
    check_ci(ci)
    drivers = _as_names(drivers, "drivers")
    controls = _as_names(controls, "controls")
    if not isinstance(robust, (bool, np.bool_)):
        raise ValueError(f"robust={robust!r} is not valid; use True or False")
    design = _prepare(data, outcome, drivers, controls)
    y = design.y
    X = design.X
    n = len(y)
    notes: list[str] = []
    if design.n_dropped:
        notes.append(
            f"{design.n_dropped} of {design.n_dropped + n} rows were dropped because of "
            "missing values in the outcome, drivers or controls (listwise deletion; "
            "nothing was imputed)."
        )
    kind, reason = _choose_kind(y, model)
    values = np.unique(y.to_numpy())
    if kind == "logit" and len(values) != 2:
        raise InputError(
            f"model='logit' needs a binary outcome, but it has {len(values)} distinct values.",
            column=outcome,
            hint="Dichotomise it first (e.g. loyal = loyalty >= 6), or use model='ordinal' "
            "or 'ols'.",
        )
    if kind == "ordinal":
        if len(values) < 3:
            raise InputError(
                f"model='ordinal' needs at least 3 outcome categories, but it has {len(values)}.",
                column=outcome,
                hint="Use model='logit' for a binary outcome.",
            )
        if len(values) > 10 or not _is_integer_valued(values):
            notes.append(
                f"The ordinal outcome has {len(values)} distinct values"
                + ("" if _is_integer_valued(values) else " (not all integers)")
                + "; each becomes a category with its own threshold. Consider model='ols'."
            )
    if robust and kind != "ols":
        notes.append(
            "robust=True applies to OLS only; the ordinal/logit standard errors are the "
            "usual model-based ones."
        )
    if kind == "ols" and model == "ols" and len(values) <= 10 and _is_integer_valued(values):
        notes.append(
            f"The outcome has only {len(values)} integer values; OLS treats it as "
            "continuous (consider model='ordinal')."
        )

    p_terms = list(X.columns)
    roles = [
        "intercept" if t == "Intercept" else ("driver" if t in design.driver_terms else "control")
        for t in p_terms
    ]
    sd_x = X.std(ddof=1).to_numpy()
    hierarchical: dict[str, Any] | None = None
    controls_model = None
    thresholds = None
    r2 = adj_r2 = pseudo_r2 = None
    X0 = X[["Intercept", *design.control_terms]]
    q = len(design.driver_terms)

    if kind == "ols":
        res = _fit_ols(y.to_numpy(), X, bool(robust))
        est = np.asarray(res.params, dtype=float)
        se = np.asarray(res.bse, dtype=float)
        std_beta = est * sd_x / float(y.std(ddof=1))
        std_beta[0] = np.nan
        coefs = _coef_table(p_terms, roles, est, se, float(res.df_resid), ci, std_beta)
        r2, adj_r2 = float(res.rsquared), float(res.rsquared_adj)
        loglik = float(res.llf)
        k = X.shape[1] + 1
        if design.control_terms:
            res0 = _fit_ols(y.to_numpy(), X0, False)
            controls_model = res0
            r2_0 = float(res0.rsquared)
            df2 = float(res.df_resid)
            if robust:  # the Wald F of the drivers' coefficients with their HC3 covariance
                drivers = list(design.driver_terms)
                b = res.params[drivers].to_numpy(float)
                v = res.cov_params().loc[drivers, drivers].to_numpy(float)
                f = float(b @ np.linalg.solve(v, b)) / q
            else:  # the classical F of the R-squared change
                f = ((r2 - r2_0) / q) / ((1 - r2) / df2)
            hierarchical = {
                "test": "F (HC3 Wald)" if robust else "F",
                "r2_controls": r2_0,
                "delta_r2": r2 - r2_0,
                "statistic": f,
                "df1": q,
                "df2": int(df2),
                "p": float(stats.f.sf(f, q, df2)),
            }
    elif kind == "logit":
        y01 = (y.to_numpy() == values.max()).astype(float)
        if not np.array_equal(values, [0.0, 1.0]):
            reason += f" ({outcome} = {values.max():g} coded 1, {values.min():g} coded 0)"
        res = _fit_logit(y01, X, notes)
        est = np.asarray(res.params, dtype=float)
        se = np.asarray(res.bse, dtype=float)
        std_beta = est * sd_x
        std_beta[0] = np.nan
        coefs = _coef_table(p_terms, roles, est, se, None, ci, std_beta)
        loglik = float(res.llf)
        ll_null = float(res.llnull)
        pseudo_r2 = 1 - loglik / ll_null
        k = X.shape[1]
        if design.control_terms:
            res0 = _fit_logit(y01, X0, notes)
            controls_model = res0
            hierarchical = _lr_block(loglik, float(res0.llf), ll_null, q)
    else:  # ordinal
        codes = np.searchsorted(values, y.to_numpy())
        res = _fit_ordinal(codes, X, notes)
        k_exog = X.shape[1] - 1
        est = np.asarray(res.params, dtype=float)[:k_exog]
        se = np.asarray(res.bse, dtype=float)[:k_exog]
        std_beta = est * sd_x[1:]
        coefs = _coef_table(p_terms[1:], roles[1:], est, se, None, ci, std_beta)
        t, t_se = _ordinal_thresholds(res, k_exog)
        labels = [_fmt_level(values[i]) + "|" + _fmt_level(values[i + 1]) for i in range(len(t))]
        thresholds = pd.DataFrame({"label": labels, "estimate": t, "se": t_se})
        loglik = float(res.llf)
        ll_null = _ordinal_null_loglik(codes)
        pseudo_r2 = 1 - loglik / ll_null
        k = k_exog + len(t)
        if design.control_terms:
            res0 = _fit_ordinal(codes, X0, notes)
            controls_model = res0
            hierarchical = _lr_block(loglik, float(res0.llf), ll_null, q)

    aic = -2 * loglik + 2 * k
    bic = -2 * loglik + math.log(n) * k
    checks = _vif_rows(X, design.driver_terms)
    linearity = influential = None
    if kind == "ols":
        more, linearity, influential = _ols_checks(res, X, design.rows, bool(robust))
        checks += more
    assumptions = pd.DataFrame(checks, columns=["check", "value", "status", "explanation"])
    for row in assumptions.itertuples(index=False):
        if row.status == "red":
            notes.append(f"Assumption check red: {row.check}. {row.explanation}")
    if design.reference_levels:
        notes_ref = ", ".join(f"{k_} = {v}" for k_, v in design.reference_levels.items())
        reason_ref = f"; reference levels: {notes_ref}"
    else:
        reason_ref = ""
    return DriverModel(
        kind=kind,
        reason=reason + reason_ref,
        outcome=outcome,
        drivers=tuple(drivers),
        controls=tuple(controls),
        n=n,
        n_dropped=design.n_dropped,
        coefficients=coefs,
        thresholds=thresholds,
        r2=r2,
        adj_r2=adj_r2,
        pseudo_r2=pseudo_r2,
        loglik=loglik,
        aic=float(aic),
        bic=float(bic),
        hierarchical=hierarchical,
        assumptions=assumptions,
        linearity=linearity,
        influential=influential,
        reference_levels=design.reference_levels,
        robust=bool(robust) and kind == "ols",
        ci=float(ci),
        warning_messages=tuple(notes),
        model=res,
        controls_model=controls_model,
    )


def _fmt_level(v: float) -> str:
    return str(round(v)) if float(v).is_integer() else f"{v:g}"


def _lr_block(ll1: float, ll0: float, ll_null: float, q: int) -> dict[str, Any]:
    lr = max(2 * (ll1 - ll0), 0.0)
    r2_0 = 1 - ll0 / ll_null
    r2_1 = 1 - ll1 / ll_null
    return {
        "test": "LR",
        "r2_controls": r2_0,
        "delta_r2": r2_1 - r2_0,
        "statistic": lr,
        "df1": q,
        "df2": None,
        "p": float(stats.chi2.sf(lr, q)),
    }


# --------------------------------------------------------------------------- relative importance


@dataclasses.dataclass(frozen=True)
class RelativeImportance(Result):
    """LMG and relative-weight decompositions of R2 with bootstrap intervals.

    Attributes
    ----------
    outcome : str
    drivers : tuple of str
    n : int
        Complete rows used.
    n_dropped : int
        Rows dropped for missing values (listwise).
    r2 : float
        R2 of the OLS regression of the outcome on all drivers.
    table : pandas.DataFrame
        One row per driver (input order): ``driver, lmg, lmg_ci_low, lmg_ci_high,
        relative_weight, rw_ci_low, rw_ci_high, rank_first_share, lmg_pct,
        rw_pct``. ``lmg`` and ``relative_weight`` are raw shares of R2 (each
        column sums to ``r2``); ``*_pct`` are the same as percentages of R2.
    bootstrap : int
        Resamples requested.
    bootstrap_used : int
        Resamples with a non-singular correlation matrix (the CIs rest on these).
    seed : int or None
        Seed of ``numpy.random.default_rng`` used for the resamples.
    ci : float
        Confidence level of the percentile intervals.
    boot_lmg, boot_rw : numpy.ndarray
        The bootstrap replicates, shape ``(bootstrap_used, p)``.
    seconds : float
        Wall time.
    warning_messages : tuple of str
    model : statsmodels results
        The OLS fit of the outcome on all drivers.
    """

    outcome: str
    drivers: tuple[str, ...]
    n: int
    n_dropped: int
    r2: float
    table: pd.DataFrame
    bootstrap: int
    bootstrap_used: int
    seed: int | None
    ci: float
    boot_lmg: np.ndarray = dataclasses.field(repr=False, compare=False)
    boot_rw: np.ndarray = dataclasses.field(repr=False, compare=False)
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()
    model: Any = dataclasses.field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-driver table (see ``table``)."""
        return self.table.copy()

    def summary(self) -> str:
        pct = round(self.ci * 100)
        lines = [
            f"Relative importance of {len(self.drivers)} drivers of {self.outcome}, "
            f"n = {self.n}, R2 = {self.r2:.4f}",
            f"{pct}% percentile bootstrap intervals from {self.bootstrap_used} resamples "
            f"(seed {self.seed})",
            "",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The results.json ``relative_importance`` block.

        ``{driver: {lmg, lmg_ci_low, lmg_ci_high, relative_weight, rw_ci_low,
        rw_ci_high, rank_first_share}, ..., r2, seed, n, bootstrap, ci}``.
        """
        keys = (
            "lmg",
            "lmg_ci_low",
            "lmg_ci_high",
            "relative_weight",
            "rw_ci_low",
            "rw_ci_high",
            "rank_first_share",
        )
        out: dict[str, Any] = {
            row["driver"]: {k: row[k] for k in keys} for row in self.table.to_dict("records")
        }
        out["r2"] = self.r2
        out["seed"] = self.seed
        out["n"] = self.n
        out["bootstrap"] = self.bootstrap_used
        out["ci"] = self.ci
        return jsonable(out)


def _subset_weights(p: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The LMG matrix A (2^p x p) with lmg = R2_subsets @ A, and each subset's members.

    Row m of R2_subsets is the R2 of the subset whose bitmask is m (R2 of the
    empty set is 0). For driver j and subset S without j, weight
    w(|S|) = |S|! (p - |S| - 1)! / p! on R2(S + j) - R2(S).
    """
    size = 1 << p
    A = np.zeros((size, p))
    members = [np.flatnonzero([(m >> j) & 1 for j in range(p)]) for m in range(size)]
    fact = [math.factorial(i) for i in range(p + 1)]
    for m in range(size):
        s = len(members[m])
        for j in range(p):
            if (m >> j) & 1:
                continue
            w = fact[s] * fact[p - s - 1] / fact[p]
            A[m | (1 << j), j] += w
            A[m, j] -= w
    return A, members


def _batch_r2(C: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """R2 of every subset from correlation matrices C (B, p+1, p+1), outcome last.

    R2(S) = r_yS' R_SS^-1 r_yS. Returns (B, 2^p) with NaN where R_SS is singular.
    """
    B, q, _ = C.shape
    p = q - 1
    out = np.zeros((B, len(members)))
    for m in range(1, len(members)):
        idx = members[m]
        R = C[:, idx[:, None], idx[None, :]]
        r = C[:, idx, p]
        if len(idx) == 1:
            out[:, m] = r[:, 0] ** 2
            continue
        try:
            sol = np.linalg.solve(R, r[..., None])[..., 0]
        except np.linalg.LinAlgError:
            sol = np.full_like(r, np.nan)
            for b in range(B):
                try:
                    sol[b] = np.linalg.solve(R[b], r[b])
                except np.linalg.LinAlgError:
                    pass
        out[:, m] = np.einsum("bi,bi->b", r, sol)
    return out


def _batch_relative_weights(C: np.ndarray) -> np.ndarray:
    """Johnson's relative weights from correlation matrices C (B, p+1, p+1), outcome last."""
    p = C.shape[1] - 1
    Rxx = C[:, :p, :p]
    rxy = C[:, :p, p]
    vals, vecs = np.linalg.eigh(Rxx)
    bad = vals.min(axis=1) <= 1e-12 * np.maximum(vals.max(axis=1), 1.0)
    vals = np.where(vals > 0, vals, np.nan)
    root = np.sqrt(vals)
    Lam = np.einsum("bik,bk,bjk->bij", vecs, root, vecs)  # R^(1/2)
    inv_root = np.einsum("bik,bk,bjk->bij", vecs, 1 / root, vecs)  # R^(-1/2)
    beta = np.einsum("bij,bj->bi", inv_root, rxy)
    rw = np.einsum("bij,bj->bi", Lam**2, beta**2)
    rw[bad] = np.nan
    return rw


def _boot_correlations(Z: np.ndarray, rng: np.random.Generator, n_boot: int):
    """Yield correlation matrices of bootstrap resamples of the rows of Z, in chunks
    (from the resamples' cross-products; see :mod:`workbench.resampling`)."""
    n = len(Z)
    for sums, cross in bootstrap_cross_products(Z, rng, n_boot):
        cov = covariances_from_cross_products(sums, cross, n)
        sd = np.sqrt(np.einsum("bii->bi", cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            yield cov / (sd[:, :, None] * sd[:, None, :])


def relative_importance(
    data: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    bootstrap: int = 1000,
    seed: int | None = 2026,
    ci: float = 0.95,
    missing: Literal["listwise", "fiml"] = "listwise",
    auxiliary: Sequence[str] = (),
) -> RelativeImportance:
    """Share of R2 due to each driver: LMG (Shapley) and Johnson's relative weights.

    Parameters
    ----------
    data : pandas.DataFrame
        Scored columns, one row per respondent.
    outcome : str
        The outcome column (numeric; treated as continuous).
    drivers : sequence of str
        Two or more numeric driver columns (at most 15).
    bootstrap : int
        Number of bootstrap resamples for the intervals and the rank-first
        shares (0: point estimates only).
    seed : int or None
        Seed of ``numpy.random.default_rng`` (recorded in the result).
    ci : float
        Confidence level of the percentile intervals.
    missing : {"listwise", "fiml"}
        ``"listwise"``: rows with a missing value are dropped. ``"fiml"``: the correlations
        are the maximum-likelihood (EM) estimates from every row with at least one value
        (the saturated model of lavaan ``missing = "ml"``), and each bootstrap resample
        re-runs EM (:mod:`workbench.drivers.moments`).
    auxiliary : sequence of str
        With ``missing="fiml"``: numeric columns outside the decomposition that carry
        information on the missing values, included in the EM estimate as saturated
        correlates (Graham 2003; lavaan's ``auxiliary``); the decomposition uses the
        drivers' and outcome's block of it. Ignored under ``"listwise"``.

    Returns
    -------
    RelativeImportance

    Raises
    ------
    InputError
        As :func:`fit_driver_model` (missing or non-numeric columns, constant
        driver, perfect collinearity, too few rows), or more than 15 drivers.
    ValueError
        ``bootstrap`` or ``ci`` is not valid.

    Notes
    -----
    Rows with a missing value are dropped (listwise). Everything is computed
    from the correlation matrix of ``(drivers, outcome)``, so the results do not
    depend on the predictors' units or origins (the mistake of pingouin issue
    522 was to decompose unstandardized quantities). The R2 of a subset S of
    drivers is :math:`R^2(S) = r_{yS}' R_{SS}^{-1} r_{yS}` (no model is refitted).

    *LMG* (Lindeman, Merenda & Gold, 1980; the Shapley value of R2):

    .. math:: LMG_j = \\sum_{S \\subseteq P \\setminus \\{j\\}}
              \\frac{|S|!\\,(p - |S| - 1)!}{p!} \\left[R^2(S \\cup \\{j\\}) - R^2(S)\\right],

    the increase in R2 from adding j averaged over all p! orders of entry;
    :math:`\\sum_j LMG_j = R^2`. Same as ``relaimpo::calc.relimp(type = "lmg",
    rela = FALSE)``.

    *Relative weights* (Johnson, 2000): with :math:`R_{xx} = Q \\Lambda Q'`,
    :math:`\\Lambda_h = R_{xx}^{1/2} = Q \\Lambda^{1/2} Q'` (correlations of the
    drivers with their orthogonal counterparts), :math:`\\beta = \\Lambda_h^{-1}
    r_{xy}` and :math:`RW_j = \\sum_k \\Lambda_{h,jk}^2 \\beta_k^2`; :math:`\\sum_j
    RW_j = r_{xy}' R_{xx}^{-1} r_{xy} = R^2`.

    *Bootstrap*: rows are resampled with replacement ``bootstrap`` times; each
    resample's correlation matrix comes from the resample counts by matrix
    products, and all subset R2 of all resamples are solved in batches.
    Intervals are percentile intervals (``numpy.quantile``'s default, R's
    ``quantile(type = 7)``); ``rank_first_share`` is the share of resamples in
    which the driver has the largest LMG. Resamples whose correlation matrix is
    singular are left out (and counted in the warnings).

    References
    ----------
    Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). Introduction to bivariate
    and multivariate analysis. Scott, Foresman.
    Groemping, U. (2006). Relative importance for linear regression in R: the package
    relaimpo. Journal of Statistical Software, 17(1). R: ``relaimpo::calc.relimp``,
    ``relaimpo::boot.relimp``.
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. Multivariate Behavioral Research, 35,
    1-19. R: ``rwa::rwa`` (raw weights).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from workbench.drivers.regression import relative_importance
    >>> rng = np.random.default_rng(7)
    >>> df = pd.DataFrame({"value": rng.normal(size=300), "trust": rng.normal(size=300)})
    >>> df["loyalty"] = 0.5 * df["value"] + 0.3 * df["trust"] + rng.normal(size=300)
    >>> ri = relative_importance(df, "loyalty", ["value", "trust"], bootstrap=200, seed=1)
    >>> round(ri.r2, 4), round(float(ri.table["lmg"].sum()), 4)
    (0.181, 0.181)
    >>> ri.table[["driver", "lmg", "relative_weight", "rank_first_share"]].round(3)
      driver    lmg  relative_weight  rank_first_share
    0  value  0.108            0.108             0.795
    1  trust  0.073            0.073             0.205
    """
    start = time.perf_counter()
    check_ci(ci)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(
            f"bootstrap={bootstrap!r} is not valid; use a whole number of resamples >= 0 "
            "(e.g. 1000, or 0 for no intervals)"
        )
    drivers = _as_names(drivers, "drivers")
    p = len(drivers)
    if p > MAX_RI_DRIVERS:
        raise InputError(
            f"{p} drivers were given; relative importance handles at most {MAX_RI_DRIVERS} "
            "(LMG averages over all 2^p subsets).",
            hint="Group related drivers into constructs, or pick the candidates first.",
        )
    clash = [d for d in drivers if d in _META_KEYS]
    if clash:
        raise InputError(
            "A driver has a name reserved in the results.json block.",
            column=clash[0],
            hint=f"Rename it (reserved: {', '.join(_META_KEYS)}).",
        )
    check_choice("missing", missing, ("listwise", "fiml"))
    notes: list[str] = []
    if missing == "fiml":
        _check_columns(data, outcome, drivers, [])
        em_frame = pd.DataFrame(
            {c: _numeric(data, c, "driver" if c != outcome else "outcome") for c in drivers}
        )
        em_frame[outcome] = _numeric(data, outcome, "outcome")
        for name in auxiliary:
            em_frame[name] = _numeric(data, name, "auxiliary variable")
        design = _prepare(data, outcome, drivers, [])  # complete cases: the OLS kept below
        _, cov, n = em_moments(em_frame)
        n_unused = len(em_frame) - n
        if n_unused:
            notes.append(f"{n_unused} row(s) with no value at all were left out.")
        block = p + 1  # drivers and outcome: the auxiliary variables come after them
        cov = cov[:block, :block]
        sd = np.sqrt(np.diag(cov))
        C0 = (cov / np.outer(sd, sd))[None]
    else:
        design = _prepare(data, outcome, drivers, [])
        n = len(design.y)
        if design.n_dropped:
            notes.append(
                f"{design.n_dropped} of {design.n_dropped + n} rows were dropped because of "
                "missing values in the outcome or drivers (listwise deletion; nothing was "
                "imputed)."
            )
        raw = np.column_stack([design.X[drivers].to_numpy(float), design.y.to_numpy(float)])
        Z = (raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1)
        C0 = np.corrcoef(Z, rowvar=False)[None]
    A, members = _subset_weights(p)
    r2_subsets = _batch_r2(C0, members)
    lmg = (r2_subsets @ A)[0]
    rw = _batch_relative_weights(C0)[0]
    r2 = float(r2_subsets[0, -1])

    seed_used = None if seed is None else int(seed)
    boot_lmg = np.empty((0, p))
    boot_rw = np.empty((0, p))
    if bootstrap > 0:
        rng = np.random.default_rng(seed_used)
        parts_l, parts_r = [], []
        if missing == "fiml":
            _, covs, em_failed = em_bootstrap(em_frame, rng, int(bootstrap))
            covs = covs[:, : p + 1, : p + 1]
            sds = np.sqrt(np.einsum("bii->bi", covs))
            stacks = [covs / (sds[:, :, None] * sds[:, None, :])]
            if em_failed.any():
                notes.append(
                    f"EM failed or did not converge in {int(em_failed.sum())} of {bootstrap} "
                    "bootstrap resamples; they were left out."
                )
        else:
            stacks = _boot_correlations(Z, rng, int(bootstrap))
        for C in stacks:
            parts_l.append(_batch_r2(C, members) @ A)
            parts_r.append(_batch_relative_weights(C))
        boot_lmg = np.vstack(parts_l)
        boot_rw = np.vstack(parts_r)
        ok = np.isfinite(boot_lmg).all(axis=1) & np.isfinite(boot_rw).all(axis=1)
        if not ok.all():
            notes.append(
                f"{int((~ok).sum())} of {bootstrap} bootstrap resamples had a singular "
                "correlation matrix (e.g. a driver constant in the resample) and were left out."
            )
        boot_lmg, boot_rw = boot_lmg[ok], boot_rw[ok]
    used = len(boot_lmg)
    if used:
        lo, hi = (1 - ci) / 2, 1 - (1 - ci) / 2
        lmg_ci = np.quantile(boot_lmg, [lo, hi], axis=0)
        rw_ci = np.quantile(boot_rw, [lo, hi], axis=0)
        first = np.bincount(np.argmax(boot_lmg, axis=1), minlength=p) / used
    else:
        lmg_ci = rw_ci = np.full((2, p), np.nan)
        first = np.full(p, np.nan)
    if 0 < used < 1000:
        notes.append(
            f"Only {used} bootstrap resamples: the interval ends are rough; use 1000 or more "
            "for reporting."
        )
    table = pd.DataFrame(
        {
            "driver": drivers,
            "lmg": lmg,
            "lmg_ci_low": lmg_ci[0],
            "lmg_ci_high": lmg_ci[1],
            "relative_weight": rw,
            "rw_ci_low": rw_ci[0],
            "rw_ci_high": rw_ci[1],
            "rank_first_share": first,
            "lmg_pct": 100 * lmg / r2,
            "rw_pct": 100 * rw / r2,
        }
    )
    import statsmodels.api as sm

    ols = sm.OLS(design.y.to_numpy(), design.X).fit()
    return RelativeImportance(
        outcome=outcome,
        drivers=tuple(drivers),
        n=n,
        n_dropped=len(data) - n if missing == "fiml" else design.n_dropped,
        r2=r2,
        table=table,
        bootstrap=int(bootstrap),
        bootstrap_used=used,
        seed=seed_used,
        ci=float(ci),
        boot_lmg=boot_lmg,
        boot_rw=boot_rw,
        seconds=time.perf_counter() - start,
        warning_messages=tuple(notes),
        model=ols,
    )
