"""CFA and SEM at parity with lavaan and semTools, estimated with semopy.

semopy fits the model (maximum likelihood); everything reported afterwards is
recomputed here in lavaan's conventions from the fitted matrices: the chi-square
test (``N * F_ML``), the independence baseline, CFI, TLI, RMSEA with its 90%
confidence interval, SRMR, the loglikelihood-based AIC and BIC, standard errors
from the expected information, standardized (``std.all``) estimates with
delta-method standard errors, modification indices, and the semTools measures of
reliability and validity (composite reliability, AVE, HTMT, Fornell-Larcker).
Incomplete data: listwise deletion, or FIML (lavaan ``missing = "ml"``) computed
here (casewise likelihood, EM saturated model, observed-information SEs, modification
indices from the expected information of the incomplete data).

Robust ML (``estimator="mlr"``, lavaan ``estimator = "MLR"``): the same estimates with
Huber-White standard errors, the Yuan-Bentler scaled test and the scaled and robust fit
indices, computed by :mod:`workbench.sem.robust_ml`, with complete data and with FIML.

The public functions are :func:`fit_sem`, :func:`fit_cfa`, :func:`cfa_syntax`,
:func:`htmt`, :func:`composite_reliability`, :func:`ave`, :func:`fornell_larcker`,
:func:`residual_correlations` and :func:`modification_indices`. Not here: multi-group
models (see :mod:`workbench.sem.invariance`), categorical (WLSMV) estimation (see
:mod:`workbench.sem.ordinal`).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd
from scipy import optimize, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable
from workbench.sem import robust_ml

if TYPE_CHECKING:  # the ordinal modules import this one
    from workbench.sem.ordinal import OrdinalCFAResult
    from workbench.sem.ordinal_sem import OrdinalSEMResult

__all__ = [
    "SEMResult",
    "ave",
    "cfa_syntax",
    "composite_reliability",
    "fit_cfa",
    "fit_sem",
    "fornell_larcker",
    "htmt",
    "modification_indices",
    "residual_correlations",
]

# the fit indices a report shows, in lavaan's conventions (keys of ``SEMResult.fit``)
FIT_KEYS = (
    "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr", "aic",
    "bic", "n",
)  # fmt: skip
Estimator = Literal["ml", "mlr"]
#: the ordinal estimators :func:`fit_sem` and :func:`fit_cfa` hand to
#: :func:`~workbench.sem.ordinal_sem.fit_ordinal_sem` / :func:`~workbench.sem.ordinal.fit_ordinal_cfa`
OrdinalEstimatorName = Literal[
    "wlsmv", "dwls", "ulsmv", "uls", "WLSMV", "DWLS", "ULSMV", "ULS"
]  # fmt: skip
_ORDINAL_ESTIMATORS = ("wlsmv", "dwls", "ulsmv", "uls")
Missing = Literal["listwise", "fiml"]
HTMTMean = Literal["geometric", "arithmetic"]

_ESTIMATORS = ("ml", "mlr")
# the scaled and robust fit indices an MLR fit adds to ``SEMResult.fit``
ROBUST_FIT_KEYS = (
    "chi2_scaled", "df_scaled", "p_scaled", "scaling_factor", "baseline_chi2_scaled",
    "baseline_p_scaled", "baseline_scaling_factor", "cfi_scaled", "tli_scaled", "rmsea_scaled",
    "rmsea_ci_low_scaled", "rmsea_ci_high_scaled", "rmsea_p_scaled", "cfi_robust", "tli_robust",
    "rmsea_robust", "rmsea_ci_low_robust", "rmsea_ci_high_robust", "rmsea_p_robust",
)  # fmt: skip
_MISSING = ("listwise", "fiml")
_HTMT_MEANS = ("geometric", "arithmetic")
# semopy's matrices, in the order of ``Model.matrices``.
_BETA, _LAMBDA, _PSI, _THETA = 0, 1, 2, 3
# pseudo-matrices of the mean structure (FIML): observed intercepts, latent means (0)
_MEAN, _LVMEAN = 10, 11
_OP_ORDER = {"=~": 0, "~": 1, "~~": 2, "~1": 3, ":=": 4}


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SEMResult(Result):
    """A fitted CFA/SEM, with lavaan-convention fit indices and estimates.

    Attributes
    ----------
    syntax : str
        The model in lavaan syntax, as fitted.
    fit : dict
        ``chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, rmsea_p,
        srmr, aic, bic, bic2, logl, logl_h1, npar, n, baseline_chi2,
        baseline_df, baseline_p, converged``. See :func:`fit_sem` for formulas. With
        ``estimator="mlr"`` also :data:`ROBUST_FIT_KEYS` (``chi2_scaled``,
        ``scaling_factor``, ``cfi_scaled``, ``cfi_robust``, ``rmsea_robust``, ...), see
        :func:`workbench.sem.robust_ml.robust_fit_indices`.
    estimates : pandas.DataFrame
        One row per parameter: ``lhs, op, rhs, label, free, estimate, se, z,
        p, ci_low, ci_high, std_all, std_se`` (95% Wald intervals; ``std_se`` is
        the delta-method SE of ``std_all``, as lavaan's ``standardizedSolution``).
    std_loadings : dict
        Standardized loadings keyed ``"construct=~item"``.
    r2 : dict
        R-squared of every endogenous variable (indicators and latent outcomes).
    constructs : dict
        Measurement part: each latent variable and its indicators.
    n : int
        Number of rows used (after listwise deletion).
    sample_cov, implied_cov, latent_cov : pandas.DataFrame
        Sample covariance (divisor N, as lavaan), model-implied covariance of
        the observed variables, model-implied covariance of the latent variables.
    vcov : pandas.DataFrame
        Covariance matrix of the free parameters: inverse expected information (ML,
        complete data), inverse observed information (ML, FIML) or the Huber-White
        sandwich (MLR).
    data : pandas.DataFrame
        The rows and columns used in the fit (for HTMT).
    seconds : float
        Wall time of the fit (semopy, polishing, standard errors).
    missing : str
        ``"listwise"`` or ``"fiml"``.
    estimator : str
        ``"ml"`` or ``"mlr"`` (robust standard errors and scaled test).
    warning_messages : tuple of str
        Non-convergence, Heywood cases, non-positive-definite matrices, ...
    model : semopy.Model
        The underlying semopy model, for drill-down.
    """

    syntax: str
    fit: dict[str, Any]
    estimates: pd.DataFrame
    std_loadings: dict[str, float]
    r2: dict[str, float]
    constructs: dict[str, list[str]]
    n: int
    sample_cov: pd.DataFrame
    implied_cov: pd.DataFrame
    latent_cov: pd.DataFrame
    vcov: pd.DataFrame
    data: pd.DataFrame = dataclasses.field(repr=False)
    warning_messages: tuple[str, ...] = ()
    seconds: float = 0.0
    missing: str = "listwise"
    estimator: str = "ml"
    model: Any = dataclasses.field(default=None, repr=False, compare=False)
    _internals: Any = dataclasses.field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (see ``estimates``)."""
        return self.estimates.copy()

    def fit_table(self) -> pd.Series:
        """Fit indices as a Series (``chi2``, ``df``, ``p``, ``cfi``, ...)."""
        return pd.Series(self.fit, name="value")

    # Reliability and validity, delegating to the module functions.
    def composite_reliability(self) -> pd.Series:
        """Composite reliability per construct (see :func:`composite_reliability`)."""
        return composite_reliability(self)

    def ave(self) -> pd.Series:
        """Average variance extracted per construct (see :func:`ave`)."""
        return ave(self)

    def htmt(self, *, mean: HTMTMean = "geometric") -> pd.DataFrame:
        """HTMT of the measurement part on the data used (see :func:`htmt`).

        For a FIML fit the correlations are those of the EM covariance matrix
        (``sample_cov``), as semTools ``htmt(model, data, missing = "ml")``.
        """
        constructs = _first_order(self)
        if self.missing == "fiml":
            if mean not in _HTMT_MEANS:
                raise ValueError(f"mean must be one of {_HTMT_MEANS}, got {mean!r}")
            cov = self.sample_cov
            sd = np.sqrt(np.diag(cov.to_numpy()))
            return _htmt_table(cov / np.outer(sd, sd), constructs, mean)
        return htmt(self.data, constructs, mean=mean)

    def fornell_larcker(self) -> pd.DataFrame:
        """Fornell-Larcker table (see :func:`fornell_larcker`)."""
        return fornell_larcker(self)

    def residual_correlations(self, *, top: int | None = 10) -> pd.DataFrame:
        """Largest residual correlations (see :func:`residual_correlations`)."""
        return residual_correlations(self, top=top)

    def modification_indices(self, *, top: int | None = 10) -> pd.DataFrame:
        """Largest modification indices (see :func:`modification_indices`)."""
        return modification_indices(self, top=top)

    def summary(self) -> str:
        f = self.fit
        lines = [
            f"SEM ({self.estimator.upper()}, missing={self.missing}), n = {self.n}, "
            f"{f['npar']} free parameters",
            f"chi2({f['df']}) = {f['chi2']:.3f}, p = {f['p']:.4g}",
        ]
        if "chi2_scaled" in f:
            lines += [
                f"Yuan-Bentler scaled chi2({f['df']}) = {f['chi2_scaled']:.3f} (scaling factor "
                f"{f['scaling_factor']:.3f}), p = {f['p_scaled']:.4g}; robust CFI = "
                f"{f['cfi_robust']:.3f}, TLI = {f['tli_robust']:.3f}, RMSEA = "
                f"{f['rmsea_robust']:.3f} [{f['rmsea_ci_low_robust']:.3f}, "
                f"{f['rmsea_ci_high_robust']:.3f}]",
            ]
        lines += [
            f"CFI = {f['cfi']:.3f}, TLI = {f['tli']:.3f}, "
            f"RMSEA = {f['rmsea']:.3f} [{f['rmsea_ci_low']:.3f}, {f['rmsea_ci_high']:.3f}], "
            f"SRMR = {f['srmr']:.3f}",
            f"AIC = {f['aic']:.2f}, BIC = {f['bic']:.2f}",
            "",
            self.estimates.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ]
        if self.r2:
            lines += ["", "R2: " + ", ".join(f"{k} {v:.3f}" for k, v in self.r2.items())]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``{fit, std_loadings, htmt, composite_reliability, ave, r2, estimates, warnings}``."""
        out: dict[str, Any] = {
            "fit": dict(self.fit),
            "std_loadings": dict(self.std_loadings),
        }
        constructs = _first_order(self)
        if len(constructs) >= 1:
            out["htmt"] = self.htmt().to_dict(orient="index") if len(constructs) > 1 else {}
            out["composite_reliability"] = self.composite_reliability().to_dict()
            out["ave"] = self.ave().to_dict()
        out["r2"] = dict(self.r2)
        out["estimates"] = self.estimates.to_dict(orient="records")
        out["warnings"] = list(self.warnings)
        return jsonable(out)


# ----------------------------------------------------------------------------
# Syntax helpers
# ----------------------------------------------------------------------------


def _split_syntax(model: str) -> tuple[str, list[tuple[str, str]]]:
    """Strip comments, split ';', separate lavaan ':=' definitions."""
    lines: list[str] = []
    defined: list[tuple[str, str]] = []
    for raw in model.replace(";", "\n").splitlines():
        line = raw.split("#", 1)[0].split("!", 1)[0].strip()
        if not line:
            continue
        if ":=" in line:
            name, expr = (s.strip() for s in line.split(":=", 1))
            defined.append((name, expr))
        else:
            lines.append(line)
    return "\n".join(lines), defined


# A variable name in model syntax: letters of any script (信任, Zufriedenheit), digits, '_' and
# '.', not starting with a digit; what semopy's parser accepts.
_NAME = r"(?:[^\W\d]|\.)[\w.]*"


def _names_in_order(syntax: str) -> list[str]:
    seen: dict[str, None] = {}
    for tok in re.findall(_NAME, syntax):
        seen.setdefault(tok, None)
    return list(seen)


def _check_expression(expr: str, labels: set[str]) -> ast.Expression:
    tree = ast.parse(expr, mode="eval")
    allowed = (
        ast.Expression,
        ast.BinOp,
        ast.UnaryOp,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.Pow,
        ast.USub,
        ast.UAdd,
        ast.Name,
        ast.Load,
        ast.Constant,
    )
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise InputError(
                f"Defined parameter '{expr}' uses an unsupported operation.",
                hint="Use labels with + - * / and ^ only, e.g. 'ab := a*b'.",
            )
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise InputError(
                f"Defined parameter '{expr}' uses {node.value!r}, which is not a real number.",
                hint="Use labels and plain numbers, e.g. 'half := a/2'.",
            )
        if isinstance(node, ast.Name) and node.id not in labels:
            raise InputError(
                f"Defined parameter '{expr}' uses '{node.id}', which is not a parameter label.",
                hint=f"Label the path in the model, e.g. 'y ~ b*{node.id}'; labels: "
                f"{sorted(labels)}.",
            )
    return tree


# ----------------------------------------------------------------------------
# Data checks
# ----------------------------------------------------------------------------


def _prepare_data(
    data: pd.DataFrame,
    observed: Sequence[str],
    npar: int,
    *,
    min_rows: int | None = None,
    listwise: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"Expected a pandas DataFrame, got {type(data).__name__}.",
            hint="Pass the survey data as a DataFrame with one column per item.",
        )
    missing_cols = [c for c in observed if c not in data.columns]
    if missing_cols:
        raise InputError(
            f"The model uses {len(missing_cols)} variable(s) that are not in the data: "
            f"{', '.join(missing_cols)}.",
            column=missing_cols[0],
            hint="Check the item names in the model/codebook against the data columns "
            "(names are case-sensitive).",
        )
    notes: list[str] = []
    frame = data.loc[:, list(observed)]
    for col in observed:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            converted = pd.to_numeric(frame[col], errors="coerce")
            bad = frame[col][converted.isna() & frame[col].notna()]
            if len(bad):
                pos = int(np.flatnonzero(frame.index == bad.index[0])[0]) + 1
                raise InputError(
                    f"Item '{col}' holds non-numeric values.",
                    column=col,
                    row=pos,
                    value=bad.iloc[0],
                    hint="Recode the item to numbers (or declare the value a missing code) "
                    "before fitting.",
                )
            frame = frame.assign(**{col: converted})
    frame = frame.astype(float)
    complete = frame.dropna() if listwise else frame.dropna(how="all")
    dropped = len(frame) - len(complete)
    if dropped and listwise:
        notes.append(
            f"Listwise deletion dropped {dropped} of {len(frame)} rows with missing values."
        )
    elif dropped:
        notes.append(f"FIML dropped {dropped} of {len(frame)} rows missing on every model item.")
    n, p = complete.shape
    for col in observed:
        if complete[col].nunique() <= 1:
            if not listwise and complete[col].notna().sum() == 0:
                raise InputError(
                    f"Item '{col}' has no observed values.",
                    column=col,
                    hint="Drop the item from the model or check its missing codes.",
                )
            raise InputError(
                f"Item '{col}' is constant in the {n} complete rows, so it has no variance to model.",
                column=col,
                value=complete[col].iloc[0] if n else None,
                hint="Drop the item from the model or check its recoding.",
            )
    if n <= (max(npar, p) if min_rows is None else min_rows - 1):
        rows = "complete rows" if listwise else "rows with an answer"
        raise InputError(
            f"Only {n} {rows} for a model with {p} observed variables and {npar} free parameters.",
            hint="Collect more responses, use fewer items/constructs, or check the missing codes"
            + (
                " (listwise deletion keeps only rows complete on every model item)."
                if listwise
                else "."
            ),
        )
    return complete, notes


# ----------------------------------------------------------------------------
# Core linear algebra on semopy's matrices
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class _Internals:
    model: Any
    theta: np.ndarray  # free parameter estimates
    rows: list[dict[str, Any]]  # parameter table rows with matrix locations
    defined: list[tuple[str, str, ast.Expression]]
    labels: dict[str, int]  # label -> index of the first row carrying it
    S: np.ndarray
    n: int
    n_struct: int = -1  # number of semopy parameters at the start of theta (rest: means)

    def __post_init__(self) -> None:
        if self.n_struct < 0:
            self.n_struct = self.theta.size


def _sigma_parts(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    beta, lamb, psi, theta = model.matrices[:4]
    c = np.linalg.inv(np.identity(beta.shape[0]) - beta)
    m = lamb @ c
    sigma = m @ psi @ m.T + theta
    inner_cov = c @ psi @ c.T
    return sigma, m, c, inner_cov


def _sigma_derivatives(model: Any, diffs: Sequence[Sequence[np.ndarray | None]]) -> np.ndarray:
    """dSigma/d(entry) for each list of 4 derivative matrices (as semopy's mx_diffs)."""
    _, m, c, _ = _sigma_parts(model)
    psi = model.matrices[_PSI]
    p_ = c @ psi
    d = p_ @ m.T
    nobs = m.shape[0]
    out = np.zeros((len(diffs), nobs, nobs))
    for k, dm in enumerate(diffs):
        g = np.zeros((nobs, nobs))
        if dm[_BETA] is not None:
            t = dm[_BETA] @ p_
            g += m @ (t + t.T) @ m.T
        if dm[_LAMBDA] is not None:
            t = dm[_LAMBDA] @ d
            g += t + t.T
        if dm[_PSI] is not None:
            g += m @ dm[_PSI] @ m.T
        d_theta = dm[_THETA]
        if d_theta is not None:
            g += d_theta
        out[k] = g
    return out


def _unit_information(sigma: np.ndarray, derivs: np.ndarray) -> np.ndarray:
    """Expected information per observation of lavaan's F = F_ML / 2."""
    w = np.linalg.inv(sigma)
    return _trace_products(w, derivs)


def _trace_products(w: np.ndarray, derivs: np.ndarray) -> np.ndarray:
    """``0.5 * tr(W D_a W D_b)`` for every pair of derivative matrices, as one matrix product.

    ``A_k = W D_k``; ``tr(A_a A_b) = sum_ij A_a[i, j] A_b[j, i]`` is the product of the
    flattened ``A`` with the flattened transposes (a BLAS call instead of a
    four-index einsum, which took seconds for a 45-item CFA's candidate set).
    """
    a = np.matmul(w, derivs)
    k = a.shape[0]
    return 0.5 * (a.reshape(k, -1) @ a.transpose(0, 2, 1).reshape(k, -1).T)


def _total_variances(model: Any) -> dict[str, float]:
    sigma, _, _, inner_cov = _sigma_parts(model)
    out = {v: float(sigma[i, i]) for i, v in enumerate(model.vars["observed"])}
    for i, v in enumerate(model.vars["inner"]):
        out[v] = float(inner_cov[i, i])
    return out


def _std_values(internals: _Internals, x: np.ndarray) -> np.ndarray:
    """std.all of every row (and defined parameter) at free-parameter vector x."""
    model = internals.model
    model.update_matrices(x[: internals.n_struct])
    tv = _total_variances(model)
    mats = model.matrices
    vals = []
    for row in internals.rows:
        k, (i, j) = row["matrix"], row["indices"]
        if k == _MEAN:
            vals.append(x[row["free_index"]] / math.sqrt(tv[row["lhs"]]))
            continue
        if k == _LVMEAN:
            vals.append(0.0)
            continue
        value = mats[k][i, j]
        if k in (_LAMBDA, _BETA):  # effect of col_var on row_var
            v = value * math.sqrt(max(tv[row["col_var"]], 0)) / math.sqrt(tv[row["row_var"]])
        elif i == j:
            v = value / tv[row["lhs"]]
        else:
            dii, djj = mats[k][i, i], mats[k][j, j]
            v = value / math.sqrt(dii * djj) if dii > 0 and djj > 0 else np.nan
        vals.append(v)
    lab = {name: vals[idx] for name, idx in internals.labels.items()}
    for _, _, tree in internals.defined:
        vals.append(_eval(tree, lab))
    model.update_matrices(internals.theta[: internals.n_struct])
    return np.asarray(vals, dtype=float)


def _row_value(model: Any, row: dict[str, Any], x: np.ndarray) -> float:
    if row["matrix"] == _MEAN:
        return float(x[row["free_index"]])
    if row["matrix"] == _LVMEAN:
        return 0.0
    return float(model.matrices[row["matrix"]][row["indices"]])


def _raw_values(internals: _Internals, x: np.ndarray) -> np.ndarray:
    model = internals.model
    model.update_matrices(x[: internals.n_struct])
    vals = [_row_value(model, r, x) for r in internals.rows]
    lab = {name: vals[idx] for name, idx in internals.labels.items()}
    vals += [_eval(tree, lab) for _, _, tree in internals.defined]
    model.update_matrices(internals.theta[: internals.n_struct])
    return np.asarray(vals, dtype=float)


def _eval(tree: ast.Expression, names: Mapping[str, float]) -> float:
    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(names[node.id])
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
            return a**b
        raise ValueError(node)  # pragma: no cover - rejected by _check_expression

    return ev(tree)


def _jacobian(fun: Any, x: np.ndarray) -> np.ndarray:
    f0 = fun(x)
    jac = np.zeros((f0.size, x.size))
    for k in range(x.size):
        h = 1e-6 * max(1.0, abs(x[k]))
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        jac[:, k] = (fun(xp) - fun(xm)) / (2 * h)
    return jac


# ----------------------------------------------------------------------------
# Fit indices
# ----------------------------------------------------------------------------


def _rmsea_ci(chi2: float, df: int, n: int) -> tuple[float, float]:
    """lavaan's 90% interval: noncentrality where P(X2 | ncp) = 0.95 and 0.05."""
    if df < 1:
        return (np.nan, np.nan)

    def cdf(lam: float) -> float:
        return stats.chi2.cdf(chi2, df) if lam <= 0 else stats.ncx2.cdf(chi2, df, lam)

    def lower(lam: float) -> float:
        return cdf(lam) - 0.95

    def upper(lam: float) -> float:
        return cdf(lam) - 0.05

    if lower(0.0) < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(lower, 0.0, max(chi2, 1e-8), xtol=1e-12)
        lo = math.sqrt(lam / (n * df))
    n_rmsea = max(n, chi2 * 4)
    if upper(n_rmsea) > 0 or upper(0.0) < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(upper, 0.0, n_rmsea, xtol=1e-12)
        hi = math.sqrt(lam / (n * df))
    return lo, hi


def _fit_indices(
    S: np.ndarray, sigma: np.ndarray, n: int, npar: int, x_idx: Sequence[int] = ()
) -> dict[str, Any]:
    p = S.shape[0]
    k = len(x_idx)
    x_idx = list(x_idx)
    _, logdet_s = np.linalg.slogdet(S)
    _, logdet_sigma = np.linalg.slogdet(sigma)
    w = np.linalg.inv(sigma)
    trace = float(np.trace(S @ w))
    f_ml = logdet_sigma + trace - logdet_s - p
    chi2 = max(n * f_ml, 0.0)
    df = p * (p + 1) // 2 - k * (k + 1) // 2 - npar
    y_idx = [i for i in range(p) if i not in x_idx]
    logdet_xx = float(np.linalg.slogdet(S[np.ix_(x_idx, x_idx)])[1]) if k else 0.0
    chi2_b = n * (float(np.sum(np.log(np.diag(S)[y_idx]))) + logdet_xx - logdet_s)
    df_b = p * (p - 1) // 2 - k * (k - 1) // 2
    sd = 1.0 / np.sqrt(np.diag(S))
    resid = (S - sigma) * np.outer(sd, sd)
    low = np.tril_indices(p)
    srmr = math.sqrt(float(np.mean(resid[low] ** 2)))
    const = p * math.log(2 * math.pi)
    # With fixed exogenous covariates lavaan reports the loglikelihood conditional on them.
    logl_x = -n / 2 * (k * math.log(2 * math.pi) + logdet_xx + k) if k else 0.0
    logl = -n / 2 * (const + logdet_sigma + trace) - logl_x
    logl_h1 = -n / 2 * (const + logdet_s + p) - logl_x
    return _indices(chi2, df, chi2_b, df_b, n, logl, logl_h1, npar, srmr)


def _indices(
    chi2: float,
    df: int,
    chi2_b: float,
    df_b: int,
    n: int,
    logl: float,
    logl_h1: float,
    npar: int,
    srmr: float,
    *,
    n_groups: int = 1,
) -> dict[str, Any]:
    """The fit indices of an ML model from its and the baseline model's chi-square.

    The one place CFI, TLI and RMSEA are computed (single- and multi-group fits alike).
    df = 0 (saturated): TLI 1 and RMSEA 0, as lavaan; df < 0 (not identified): NaN.
    With ``n_groups`` > 1 the RMSEA and its interval are multiplied by sqrt(G), as lavaan's
    multi-group RMSEA; its close-fit p-value is then not reported (NaN).
    """
    pval = float(stats.chi2.sf(chi2, df)) if df > 0 else np.nan
    p_b = float(stats.chi2.sf(chi2_b, df_b)) if df_b > 0 else np.nan
    d, d_b = chi2 - df, chi2_b - df_b
    denom = max(d, d_b, 0.0)
    cfi = 1.0 - max(d, 0.0) / denom if denom > 0 else 1.0
    if df > 0 and df_b > 0:
        tli = (chi2_b / df_b - chi2 / df) / (chi2_b / df_b - 1.0)
        groups = math.sqrt(n_groups)
        rmsea = math.sqrt(max(chi2 / n / df - 1.0 / n, 0.0)) * groups
        lo, hi = (v * groups for v in _rmsea_ci(chi2, df, n))
        rmsea_p = float(stats.ncx2.sf(chi2, df, n * df * 0.05**2)) if n_groups == 1 else np.nan
    else:
        tli = rmsea = lo = hi = rmsea_p = np.nan
        if df == 0:
            tli, rmsea = 1.0, 0.0
    out = {
        "chi2": chi2,
        "df": int(df),
        "p": pval,
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "rmsea_ci_low": lo,
        "rmsea_ci_high": hi,
        "rmsea_p": rmsea_p,
        "srmr": srmr,
        "aic": -2 * logl + 2 * npar,
        "bic": -2 * logl + npar * math.log(n),
        "bic2": -2 * logl + npar * math.log((n + 2) / 24),
        "logl": logl,
        "logl_h1": logl_h1,
        "npar": int(npar),
        "n": int(n),
        "baseline_chi2": chi2_b,
        "baseline_df": int(df_b),
        "baseline_p": p_b,
    }
    return {k: v if isinstance(v, int) else float(v) for k, v in out.items()}


# ----------------------------------------------------------------------------
# FIML (missing = "fiml")
# ----------------------------------------------------------------------------


def _missing_patterns(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows grouped by missingness pattern: (observed column indices, their values)."""
    mask = ~np.isnan(x)
    keys, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = np.ravel(inverse)
    return [(np.flatnonzero(key), x[inverse == k][:, key]) for k, key in enumerate(keys)]


def _fiml_loglik(
    sigma: np.ndarray, mu: np.ndarray, moments: _PatternMoments, grad: bool = False
) -> tuple[float, np.ndarray, np.ndarray]:
    """Casewise normal loglikelihood; with grad, its derivatives wrt Sigma and mu.

    One inversion of :math:`\\Sigma` serves every pattern: with :math:`K = \\Sigma^{-1}`
    and a pattern's missing items :math:`m`, :math:`U = K_{\\cdot m}`, :math:`W = K_{mm}^{-1}`,
    the inverse of the observed block, embedded in p x p, is :math:`K - U W U'` and
    :math:`\\log|\\Sigma_{oo}| = \\log|\\Sigma| + \\log|K_{mm}|` (partitioned inverse). The
    sums over patterns of :math:`K D_j K` (:math:`D_j` the pattern's centred cross-products)
    collapse to one product with :math:`\\sum_j D_j`, so each incomplete pattern costs
    :math:`O(p^2 |m|)` instead of a :math:`p \\times p` inversion.
    """
    p = sigma.shape[0]
    mo = moments
    fail = -np.inf, np.zeros((p, p)), np.zeros(p)
    sign, logdet = np.linalg.slogdet(sigma)
    if sign == 0 or (sign < 0 and mo.n_complete > 0):  # complete rows see all of Sigma
        return fail
    K = np.linalg.inv(sigma)
    K = (K + K.T) / 2
    # sum over patterns of the centred cross-products and centred sums
    a_mu = mo.sums_by_mask * mu[None, :]
    d_total = mo.cross - a_mu - a_mu.T + mo.pair_counts * np.outer(mu, mu)
    dev_total = mo.sums - mo.item_counts * mu
    logdet_sum = logdet * mo.n
    quad = float(np.sum(K * d_total))
    if grad:
        nkn = mo.n * K
        p_sum = np.zeros((p, p))
        q_sum = np.zeros((p, p))
        g_mu = K @ dev_total
    for miss, counts, sums, masks, cross in mo.groups:
        U = np.swapaxes(K[:, miss], 0, 1)  # (J, p, r)
        kmm = K[miss[:, :, None], miss[:, None, :]]
        s_kmm, logdet_kmm = np.linalg.slogdet(kmm)
        if np.any(s_kmm * sign <= 0):  # an observed block is not positive definite
            return fail
        W = np.linalg.inv(kmm)
        m = masks * mu[None, :]
        ut = np.swapaxes(U, 1, 2)  # (J, r, p)
        um = (ut @ m[:, :, None])[:, :, 0]
        us = (ut @ sums[:, :, None])[:, :, 0]
        V = (
            cross @ U
            - sums[:, :, None] * um[:, None, :]
            - m[:, :, None] * us[:, None, :]
            + counts[:, None, None] * m[:, :, None] * um[:, None, :]
        )  # D_j U_j
        utv = ut @ V
        logdet_sum += float(counts @ logdet_kmm)
        quad -= float(np.sum(W * np.swapaxes(utv, 1, 2)))
        if grad:
            uw = U @ W
            nkn -= _sum_outer(uw * counts[:, None, None], U)
            p_sum += _sum_outer(uw, V)
            q_sum += _sum_outer(uw @ utv, uw)
            dev = sums - counts[:, None] * m
            g_mu -= (uw @ (ut @ dev[:, :, None]))[:, :, 0].sum(axis=0)
    ll = -0.5 * (mo.n_values * math.log(2 * math.pi) + logdet_sum + quad)
    if not grad:
        return ll, np.zeros((p, p)), np.zeros(p)
    pk = p_sum @ K
    sandwich = K @ d_total @ K - pk - pk.T + q_sum
    g_sigma = -0.5 * (nkn - sandwich)
    return ll, g_sigma, g_mu


def _sum_outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_j a_j b_j'`` for stacks of p x r matrices, as one matrix product."""
    p = a.shape[1]
    return np.swapaxes(a, 0, 1).reshape(p, -1) @ np.swapaxes(b, 0, 1).reshape(p, -1).T


@dataclasses.dataclass(frozen=True)
class _PatternMoments:
    """The data's sufficient statistics for the casewise likelihood, computed once.

    Totals over all rows (observed values only) and, for the incomplete patterns grouped
    by how many items they miss, each pattern's missing items, count, sums, 0/1 mask and
    cross-products (zero outside its observed items).
    """

    n: float  # rows
    n_complete: float  # rows with every item observed
    n_values: float  # observed values
    sums: np.ndarray  # (p,) sum of the observed values of each item
    item_counts: np.ndarray  # (p,) rows observing each item
    cross: np.ndarray  # (p, p) sum of the observed cross-products
    sums_by_mask: np.ndarray  # (p, p): sum_j sums_j mask_j'
    pair_counts: np.ndarray  # (p, p) rows observing both items
    groups: tuple[tuple[np.ndarray, ...], ...]  # (missing (J, r), counts, sums, masks, cross)


def _pattern_moments(patterns: list, p: int) -> _PatternMoments:
    """Sufficient statistics of the patterns of :func:`_missing_patterns`."""
    masks = np.zeros((len(patterns), p))
    counts = np.zeros(len(patterns))
    sums = np.zeros((len(patterns), p))
    cross = np.zeros((len(patterns), p, p))
    for j, (obs, values) in enumerate(patterns):
        masks[j, obs] = 1.0
        counts[j] = values.shape[0]
        sums[j, obs] = values.sum(axis=0)
        cross[j][np.ix_(obs, obs)] = values.T @ values
    n_missing = p - masks.sum(axis=1).astype(int)
    groups = []
    for r in np.unique(n_missing[n_missing > 0]):
        sel = np.flatnonzero(n_missing == r)
        miss = np.array([np.flatnonzero(masks[j] == 0) for j in sel], dtype=int)
        groups.append((miss, counts[sel], sums[sel], masks[sel], cross[sel]))
    return _PatternMoments(
        n=float(counts.sum()),
        n_complete=float(counts[n_missing == 0].sum()),
        n_values=float(counts @ masks.sum(axis=1)),
        sums=sums.sum(axis=0),
        item_counts=counts @ masks,
        cross=cross.sum(axis=0),
        sums_by_mask=sums.T @ masks,
        pair_counts=(masks * counts[:, None]).T @ masks,
        groups=tuple(groups),
    )


def _em_saturated(
    patterns: list, x: np.ndarray, max_iter: int = 5000, tol: float = 1e-11
) -> tuple[np.ndarray, np.ndarray]:
    """ML mean vector and covariance matrix of incomplete normal data by EM (lavaan's h1).

    Stops when no mean or covariance changes by more than ``tol`` in an iteration.
    """
    n, p = x.shape
    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanvar(x, axis=0))
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for obs, values in patterns:
            n_k = values.shape[0]
            mis = np.setdiff1d(np.arange(p), obs)
            full = np.empty((n_k, p))
            full[:, obs] = values
            if mis.size:
                b = sigma[np.ix_(mis, obs)] @ np.linalg.inv(sigma[np.ix_(obs, obs)])
                full[:, mis] = mu[mis] + (values - mu[obs]) @ b.T
                t2[np.ix_(mis, mis)] += n_k * (
                    sigma[np.ix_(mis, mis)] - b @ sigma[np.ix_(obs, mis)]
                )
            t1 += full.sum(axis=0)
            t2 += full.T @ full
        mu_new = t1 / n
        sigma_new = t2 / n - np.outer(mu_new, mu_new)
        done = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sigma_new - sigma))) < tol
        mu, sigma = mu_new, sigma_new
        if done:
            break
    return mu, sigma


def _vech_pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each non-duplicated element of a p x p symmetric matrix.

    The order of the saturated model's covariance parameters, ``np.tril_indices(p)``:
    (0,0), (1,0), (1,1), (2,0), ...
    """
    rows, cols = np.tril_indices(p)
    return rows, cols


def _duplication(p: int) -> np.ndarray:
    """Duplication matrix D (p*p x p(p+1)/2): vec(S) = D vech(S) in :func:`_vech_pairs` order."""
    rows, cols = _vech_pairs(p)
    d = np.zeros((p * p, rows.size))
    k = np.arange(rows.size)
    d[rows * p + cols, k] = 1.0
    d[cols * p + rows, k] = 1.0
    return d


def _vech_gradient(g_sigma: np.ndarray) -> np.ndarray:
    """Gradient wrt vech(Sigma) from the matrix derivative of :func:`_fiml_loglik`."""
    rows, cols = _vech_pairs(g_sigma.shape[0])
    return np.where(rows == cols, g_sigma[rows, cols], g_sigma[rows, cols] + g_sigma[cols, rows])


def _pattern_kronecker(
    patterns: list, mu: np.ndarray, sigma: np.ndarray, *, observed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The casewise loglikelihood's information in (mu, vec Sigma), summed over rows.

    Returns (mu block, mu x vec Sigma block, vec Sigma x vec Sigma block), the last two over
    all p*p entries of Sigma (row-major): :func:`_saturated_information` collapses them to
    vech, :func:`_fiml_expected_information` carries them to a model's parameters.

    With a pattern's observed variables o, its inverse :math:`K` of :math:`\\Sigma_{oo}` and
    the centred sums :math:`s = \\sum_i (x_i - \\mu)_o`, :math:`C = \\sum_i (x_i -
    \\mu)_o(x_i - \\mu)_o'` over its :math:`n` rows (all embedded in p x p), minus the
    Hessian is :math:`nK` (means), :math:`K E K s` (means and a symmetric perturbation
    :math:`E` of Sigma) and :math:`\\operatorname{tr}(E_1(KCK - \\tfrac n2 K)E_2K)`
    (Sigma), i.e. :math:`K \\otimes (KCK - \\tfrac n2 K)`. ``observed=False`` gives the
    expected information given the missingness patterns (lavaan's ``h1.information =
    "structured"``, ``lav_mvnorm_missing_information_expected``): :math:`C = n\\Sigma_{oo}`,
    :math:`s = 0`, so the Sigma block is :math:`\\tfrac n2 K \\otimes K`. The patterns'
    Kronecker products are summed as one matrix product.
    """
    p = sigma.shape[0]
    n_pat = len(patterns)
    k_stack = np.zeros((n_pat, p, p))
    b_stack = np.zeros((n_pat, p, p))
    u_stack = np.zeros((n_pat, p))
    counts = np.zeros(n_pat)
    for j, (obs, values) in enumerate(patterns):
        n_j = values.shape[0]
        k_oo = np.linalg.inv(sigma[np.ix_(obs, obs)])
        k_oo = (k_oo + k_oo.T) / 2
        counts[j] = n_j
        k_stack[j][np.ix_(obs, obs)] = k_oo
        if observed:
            kd = (values - mu[obs]) @ k_oo
            b_stack[j][np.ix_(obs, obs)] = kd.T @ kd - n_j / 2 * k_oo
            u_stack[j, obs] = kd.sum(axis=0)
        else:
            b_stack[j][np.ix_(obs, obs)] = n_j / 2 * k_oo
    # sum_j B_j[x, k] K_j[l, i] arranged as T[(i, x), (k, l)], so that
    # vec(E_1)' T vec(E_2) = sum_j tr(E_1 B_j E_2 K_j)
    t = (b_stack.reshape(n_pat, -1).T @ k_stack.reshape(n_pat, -1)).reshape(p, p, p, p)
    i_ss = t.transpose(3, 0, 1, 2).reshape(p * p, p * p)
    i_mm = np.tensordot(counts, k_stack, axes=1)
    # (m, (a, b)): sum_j K_j[m, a] u_j[b], so that i_ms @ vec(E) = sum_j K_j E K_j s_j
    i_ms = np.einsum("jma,jb->mab", k_stack, u_stack).reshape(p, p * p)
    return i_mm, i_ms, i_ss


def _saturated_information(
    patterns: list, mu: np.ndarray, sigma: np.ndarray, *, observed: bool
) -> np.ndarray:
    """Information of the casewise normal loglikelihood in (mu, vech Sigma), summed over rows.

    ``observed=True``: minus the Hessian at (mu, Sigma) (lavaan's ``information = "observed"``,
    ``observed.information = "hessian"``, of the saturated model); ``observed=False``: the
    expected information given the missingness patterns (see :func:`_pattern_kronecker`).
    """
    i_mm, i_ms, i_ss = _pattern_kronecker(patterns, mu, sigma, observed=observed)
    dup = _duplication(sigma.shape[0])
    i_ms = i_ms @ dup
    info = np.block([[i_mm, i_ms], [i_ms.T, dup.T @ i_ss @ dup]])
    return (info + info.T) / 2


def _fiml_expected_information(
    patterns: list, sigma: np.ndarray, d_sigma: np.ndarray, d_mu: np.ndarray
) -> np.ndarray:
    """Expected information of a model's parameters under FIML, summed over rows.

    ``d_sigma`` (K, p, p) and ``d_mu`` (K, p) are the derivatives of the model-implied
    covariance matrix and mean vector; the information is
    :math:`\\sum_j n_j[\\partial\\mu_o' K_j \\partial\\mu_o + \\tfrac12
    \\operatorname{tr}(K_j\\partial\\Sigma_{oo} K_j \\partial\\Sigma_{oo})]` over the
    missingness patterns j, lavaan's expected information for ``missing = "ml"`` with
    ``h1.information = "structured"``.
    """
    p = sigma.shape[0]
    return _fiml_chain_information(patterns, np.zeros(p), sigma, d_sigma, d_mu, observed=False)


def _fiml_chain_information(
    patterns: list,
    mu: np.ndarray,
    sigma: np.ndarray,
    d_sigma: np.ndarray,
    d_mu: np.ndarray,
    *,
    observed: bool,
) -> np.ndarray:
    """:math:`\\Delta' I \\Delta`: the saturated information carried to a model's parameters.

    ``observed=True`` gives the Gauss-Newton part of the observed information; the model's
    second derivatives times the saturated gradient must be added for the full Hessian.
    """
    i_mm, i_ms, i_ss = _pattern_kronecker(patterns, mu, sigma, observed=observed)
    dv = d_sigma.reshape(d_sigma.shape[0], -1)
    cross = d_mu @ i_ms @ dv.T
    info = d_mu @ i_mm @ d_mu.T + dv @ i_ss @ dv.T + cross + cross.T
    return (info + info.T) / 2


def _fiml_saturated(
    patterns: list, x: np.ndarray, *, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, bool]:
    """ML mean and covariance of incomplete normal data (the saturated model), to full precision.

    On the data centred and scaled by each variable's observed mean and standard deviation
    (so that the tolerances do not depend on the units): EM (:func:`_em_saturated`) to a
    change of 1e-5, then Newton steps with the analytic Hessian
    (:func:`_saturated_information`) until the largest gradient element of the
    loglikelihood per row is below 1e-11. Returns (mu, Sigma, loglikelihood, observed
    information in (mu, vech Sigma), converged), on the original scale.
    """
    n, p = x.shape
    centre = np.nanmean(x, axis=0)
    scale = np.nanstd(x, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - centre) / scale
    z_patterns = [(obs, (values - centre[obs]) / scale[obs]) for obs, values in patterns]
    moments = _pattern_moments(z_patterns, p)
    rows, cols = _vech_pairs(p)
    mu, sigma = _em_saturated(z_patterns, z, max_iter=2000, tol=1e-5)

    def unpack(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.zeros((p, p))
        s[rows, cols] = eta[p:]
        s[cols, rows] = eta[p:]
        return eta[:p], s

    def evaluate(eta: np.ndarray) -> tuple[float, np.ndarray]:
        m, s = unpack(eta)
        ll, g_sigma, g_mu = _fiml_loglik(s, m, moments, grad=True)
        return ll, np.concatenate([g_mu, _vech_gradient(g_sigma)])

    eta = np.concatenate([mu, sigma[rows, cols]])
    ll, g = evaluate(eta)
    converged = False
    for _ in range(max_iter):
        if np.max(np.abs(g)) / n < 1e-11:
            converged = True
            break
        m, s = unpack(eta)
        step = None
        for observed in (True, False):  # Newton; Fisher scoring if the Hessian is not definite
            info = _saturated_information(z_patterns, m, s, observed=observed)
            try:
                cand = np.linalg.solve(info, g)
            except np.linalg.LinAlgError:
                continue
            if cand @ g > 0:
                step = cand
                break
        if step is None:
            break
        t = 1.0
        while t > 1e-10:
            ll_new, g_new = evaluate(eta + t * step)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        else:
            break
        eta, ll, g = eta + t * step, ll_new, g_new
    mu_z, sigma_z = unpack(eta)
    mu = centre + scale * mu_z
    sigma = sigma_z * np.outer(scale, scale)
    loglik = _fiml_loglik(sigma, mu, _pattern_moments(patterns, p))[0]
    info = _saturated_information(patterns, mu, sigma, observed=True)
    return mu, sigma, loglik, info, converged


def _fiml_fit(sem: Any, x0: np.ndarray, patterns: list) -> tuple[np.ndarray, bool, np.ndarray]:
    """Maximize the FIML loglikelihood over (structural parameters, intercepts).

    Quasi-Newton steps from the ML solution for the EM covariance: the step matrix is the
    complete-data expected information (analytic and cheap; with few missing answers close
    to the Hessian), replaced by a numerical Hessian of the analytic gradient when progress
    is slow. The numerical Hessian at the optimum gives the observed-information standard
    errors. Returns (estimates, converged, Hessian of -logL).
    """
    q = len(sem.param_vals)
    n = sum(v.shape[0] for _, v in patterns)
    moments = _pattern_moments(patterns, x0.size - q)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        sem.update_matrices(x[:q])
        sigma = _sigma_parts(sem)[0]
        ll, g_sigma, g_mu = _fiml_loglik(sigma, x[q:], moments, grad=True)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(x)
        derivs = _sigma_derivatives(sem, sem.mx_diffs)
        g_theta = np.einsum("ij,kij->k", g_sigma, derivs)
        return -ll, -np.concatenate([g_theta, g_mu])

    def hessian(x: np.ndarray) -> np.ndarray:
        h = np.zeros((x.size, x.size))
        for k in range(x.size):
            step = 1e-5 * max(1.0, abs(x[k]))
            xp, xm = x.copy(), x.copy()
            xp[k] += step
            xm[k] -= step
            h[:, k] = (objective(xp)[1] - objective(xm)[1]) / (2 * step)
        return (h + h.T) / 2

    def expected(x: np.ndarray) -> np.ndarray:
        sem.update_matrices(x[:q])
        sigma = _sigma_parts(sem)[0]
        derivs = _sigma_derivatives(sem, sem.mx_diffs)
        h = np.zeros((x.size, x.size))
        h[:q, :q] = n * _unit_information(sigma, derivs)
        h[q:, q:] = n * np.linalg.inv(sigma)
        return h

    x = x0.copy()
    f, g = objective(x)
    converged = False
    h = expected(x)
    for it in range(100):
        if np.max(np.abs(g)) / n < 1e-10:
            converged = True
            break
        if it and it % 20 == 0:  # slow progress (much missing information): exact Newton
            h = hessian(x)
        try:
            direction = -np.linalg.solve(h, g)
            if direction @ g >= 0:
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            direction = -g / max(1.0, np.max(np.abs(g)))
        t = 1.0
        while t > 1e-8:
            f_new, g_new = objective(x + t * direction)
            if f_new <= f + 1e-12 * abs(f):
                break
            t /= 2
        else:
            break
        x, f, g = x + t * direction, f_new, g_new
    h = hessian(x)
    sem.update_matrices(x[:q])
    sem.param_vals = x[:q]
    return x, converged, h


def _fit_indices_fiml(
    patterns: list,
    x: np.ndarray,
    s_h1: np.ndarray,
    mu_h1: np.ndarray,
    sigma: np.ndarray,
    mu: np.ndarray,
    q: int,
) -> dict[str, Any]:
    n, p = x.shape
    moments = _pattern_moments(patterns, p)
    logl = _fiml_loglik(sigma, mu, moments)[0]
    logl_h1 = _fiml_loglik(s_h1, mu_h1, moments)[0]
    # Independence baseline: each variable's own ML mean and variance (the likelihood factorizes).
    logl_b = 0.0
    for j in range(p):
        col = x[:, j][~np.isnan(x[:, j])]
        logl_b -= 0.5 * col.size * (math.log(2 * math.pi) + math.log(col.var()) + 1)
    chi2 = max(2 * (logl_h1 - logl), 0.0)
    chi2_b = 2 * (logl_h1 - logl_b)
    sd = 1.0 / np.sqrt(np.diag(s_h1))
    resid = (s_h1 - sigma) * np.outer(sd, sd)
    low = np.tril_indices(p)
    mean_resid = (mu_h1 - mu) * sd
    srmr = math.sqrt(
        (float(np.sum(resid[low] ** 2)) + float(np.sum(mean_resid**2))) / (p * (p + 1) / 2 + p)
    )
    df = p * (p + 1) // 2 - q
    return _indices(chi2, df, chi2_b, p * (p - 1) // 2, n, logl, logl_h1, q + p, srmr)


# ----------------------------------------------------------------------------
# Fitting
# ----------------------------------------------------------------------------


@overload
def fit_sem(
    data: pd.DataFrame,
    model: str,
    *,
    estimator: Estimator = "ml",
    missing: Missing = "listwise",
) -> SEMResult: ...


@overload
def fit_sem(
    data: pd.DataFrame,
    model: str,
    *,
    estimator: OrdinalEstimatorName,
    missing: Missing = "listwise",
    **ordinal: Any,
) -> OrdinalSEMResult: ...


@overload
def fit_sem(
    data: pd.DataFrame,
    model: str,
    *,
    estimator: str = "ml",
    missing: str = "listwise",
    **ordinal: Any,
) -> SEMResult | OrdinalSEMResult: ...


def fit_sem(
    data: pd.DataFrame,
    model: str,
    *,
    estimator: str = "ml",
    missing: str = "listwise",
    **ordinal: Any,
) -> SEMResult | OrdinalSEMResult:
    """Fit a CFA/SEM written in lavaan syntax; report it as lavaan does.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, numeric columns for every observed variable
        in ``model``; other columns are ignored. Missing values must already
        be NaN (apply the codebook's missing codes first).
    model : str
        lavaan model syntax: ``=~`` (measurement), ``~`` (regression), ``~~``
        (covariance), labels and fixed values (``y ~ b*x``, ``f =~ 1*x1``),
        ``#`` comments, ``;`` separators and defined parameters
        (``ab := a*b``, with ``+ - * / ^``). Latent variables can load on
        latent variables (second-order factors). As in lavaan, the first
        loading of each factor is fixed to 1 and exogenous latent variables
        are correlated.
    estimator : {"ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls"}
        ``"ml"``: maximum likelihood (lavaan ``estimator = "ML"``). ``"mlr"``: the same
        estimates with Huber-White (sandwich) standard errors, the Yuan-Bentler scaled
        chi-square and scaled and robust CFI/TLI/RMSEA (lavaan ``estimator = "MLR"``), for
        non-normal items; with complete data or ``missing="fiml"``. The ordinal estimators
        treat the items as ordered categories (lavaan ``ordered =``): the model is fitted by
        :func:`~workbench.sem.ordinal_sem.fit_ordinal_sem`, which returns an
        :class:`~workbench.sem.ordinal_sem.OrdinalSEMResult` (listwise deletion only).
        lavaan's upper-case names are accepted too.
    missing : {"listwise", "fiml"}
        ``"listwise"``: rows with a missing value on any model variable are
        dropped (and counted in the warnings). ``"fiml"``: full-information
        ML on every row with at least one observed value, with free
        intercepts (lavaan ``missing = "ml"``).

    Returns
    -------
    SEMResult
        Fit indices, parameter table with standardized estimates, R2, and the
        semopy model as ``.model``.

    Raises
    ------
    ValueError
        For an unknown ``estimator`` or ``missing``.
    InputError
        If a model variable is not in the data, an item is constant or not
        numeric, there are too few complete rows, or the syntax is invalid;
        ``estimator="mlr"`` with observed exogenous predictors.

    Notes
    -----
    semopy minimizes the ML discrepancy with the sample covariance matrix
    :math:`S` (divisor :math:`N`); all statistics are then recomputed from
    the implied :math:`\\Sigma` in lavaan's conventions (lavaan 0.6,
    ``likelihood = "normal"``), where :math:`p` is the number of observed
    variables and :math:`q` the number of free parameters:

    * :math:`F_{ML} = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) - \\log|S| - p`,
      :math:`\\chi^2 = N F_{ML}`, :math:`df = p(p+1)/2 - q`.
    * Baseline (independence) model: :math:`\\chi^2_B = N(\\sum\\log s_{ii} - \\log|S|)`,
      :math:`df_B = p(p-1)/2`.
    * :math:`CFI = 1 - \\max(\\chi^2-df, 0)/\\max(\\chi^2-df, \\chi^2_B-df_B, 0)`;
      :math:`TLI = (\\chi^2_B/df_B - \\chi^2/df)/(\\chi^2_B/df_B - 1)`.
    * :math:`RMSEA = \\sqrt{\\max(\\chi^2/df - 1, 0)/N}` (semopy uses
      :math:`N-1`); the 90% interval solves
      :math:`P(\\chi^2_{df}(\\lambda) \\le \\chi^2) = 0.95, 0.05` for
      :math:`\\lambda` and reports :math:`\\sqrt{\\lambda/(N\\,df)}`;
      ``rmsea_p`` is the test of close fit (RMSEA <= 0.05).
    * SRMR (lavaan's ``srmr``, Bentler): root mean square of
      :math:`(s_{ij}-\\sigma_{ij})/\\sqrt{s_{ii}s_{jj}}` over :math:`i \\ge j`.
    * :math:`\\log L = -\\frac N2 (p\\log 2\\pi + \\log|\\Sigma| +
      \\operatorname{tr}(S\\Sigma^{-1}))`, :math:`AIC = -2\\log L + 2q`,
      :math:`BIC = -2\\log L + q\\log N`, ``bic2`` uses :math:`\\log((N+2)/24)`.
    * Standard errors: inverse of the expected information
      :math:`N\\,\\tfrac12\\Delta'(\\Sigma^{-1}\\otimes\\Sigma^{-1})\\Delta`
      (lavaan's default for complete data); z and p are Wald tests.
    * ``std_all``: loadings and regressions scaled by the model-implied
      standard deviations of both variables, variances divided by the total
      variance, covariances by the square roots of the two (residual)
      variances (lavaan's ``cov.std = TRUE``); defined parameters evaluated
      at the standardized values. ``std_se``: delta method with a numerical
      Jacobian, as lavaan's ``standardizedSolution()``.
    * ``r2``: 1 - residual variance / model-implied variance of each
      endogenous variable.

    Negative variance estimates (Heywood cases) are reported in the warnings
    and never clipped (semopy's lower bound of 0 on variances is removed).
    semopy's SLSQP solution is polished by Fisher scoring until the gradient
    is below 1e-9, so estimates agree with lavaan to about 1e-6.

    With ``missing="fiml"`` (lavaan ``missing = "ml"``) the casewise
    loglikelihood :math:`\\sum_i \\log\\phi(x_{i,o}; \\mu_o, \\Sigma_{oo})` is
    maximized over the structural parameters and the p intercepts (Newton
    steps from the ML fit to the EM covariance); :math:`\\chi^2 = 2(\\log L_1 -
    \\log L_0)` against the saturated model fitted by EM, the baseline is
    each variable's own mean and variance, SRMR adds the standardized mean
    residuals (divisor :math:`p(p+1)/2 + p`), ``npar`` counts the intercepts,
    standard errors come from the observed information (numerical Hessian),
    ``sample_cov`` is the EM covariance (used by CR and AVE, as semTools),
    and intercepts appear as ``~1`` rows. Modification indices use the
    expected information of the incomplete data (see
    :func:`modification_indices`). FIML with observed exogenous predictors
    is refused (a regression of observed variables by FIML is
    :func:`workbench.sem.regression_fiml`).

    With ``estimator="mlr"`` (lavaan 0.6 ``estimator = "MLR"``: ``se =
    "robust.huber.white"``, ``test = "yuan.bentler.mplus"``) the estimates, chi-square,
    SRMR, AIC and BIC are those of ML; the standard errors (and z, p, intervals, and the
    delta-method SEs of ``std_all`` and of defined parameters) come from the sandwich
    :math:`\\tfrac1N A^{-1}BA^{-1}` (:func:`workbench.sem.robust_ml.huber_white_vcov`).
    As lavaan's defaults for MLR, for complete data and for FIML alike, the bread
    :math:`A` is the observed information (the Hessian of the loglikelihood,
    ``information = "observed"``, ``h1.information = "structured"``) and the meat
    :math:`B = \\tfrac1N\\sum_i s_i s_i'` the first-order information from the casewise
    scores at the model-implied moments (``information.meat = "first.order"``,
    ``h1.information.meat = "structured"``); for complete data there is no mean structure
    (lavaan's ``meanstructure = FALSE``), under FIML the intercepts are parameters. The
    test is :math:`T/c` with the Yuan-Bentler scaling factor of Mplus
    (:func:`workbench.sem.robust_ml.yuan_bentler_scaling`, from the saturated model's
    observed and first-order information at its estimates); the baseline model is scaled
    the same way, and the scaled and robust indices are those of
    :func:`workbench.sem.robust_ml.robust_fit_indices` (after FIML, the robust ones use the
    FIML-corrected statistic, lavaan's ``lav_fit_fiml_corrected``; Savalei 2018).
    Observed exogenous predictors are refused with MLR.

    Observed exogenous predictors (``y ~ x`` with ``x`` observed and not
    predicted) are treated as lavaan's ``fixed.x = TRUE``: their variances and
    covariances are fixed at the sample values and not counted in ``npar``;
    df drops their :math:`k(k+1)/2` moments, the baseline keeps their
    covariance block, and ``logl`` is conditional on them (the joint
    loglikelihood minus the marginal one of the :math:`k` predictors), so
    AIC and BIC match lavaan's.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    Journal of Statistical Software, 48(2). R: ``lavaan::sem(model, data)``,
    ``fitMeasures()``, ``standardizedSolution()``, ``lavInspect(fit, "r2")``.
    Igolkina, A. A., & Meshcheryakov, G. (2020). semopy: A Python package for
    structural equation modeling. Structural Equation Modeling, 27(6).
    Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and
    covariance structure analysis with nonnormal missing data. Sociological Methodology,
    30, 165-200. R (MLR): ``lavaan::sem(model, data, estimator = "MLR")``, also with
    ``missing = "ml"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_sem
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_sem(hs, "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6")
    >>> res.fit["df"], round(res.fit["cfi"], 3)
    (8, 0.975)
    >>> round(res.std_loadings["textual=~x5"], 3)
    0.854
    >>> robust = fit_sem(hs, "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", estimator="mlr")
    >>> round(robust.fit["chi2_scaled"], 3), round(robust.fit["scaling_factor"], 4)
    (24.373, 0.9995)
    """
    est_name = estimator.lower() if isinstance(estimator, str) else estimator
    if est_name in _ORDINAL_ESTIMATORS:
        from workbench.sem.ordinal_sem import fit_ordinal_sem

        _check_ordinal_missing(est_name, missing)
        return fit_ordinal_sem(data, model, estimator=est_name.upper(), **ordinal)  # type: ignore[arg-type]
    if ordinal:
        raise ValueError(
            f"{', '.join(sorted(ordinal))} apply to the ordinal estimators only "
            f"({', '.join(_ORDINAL_ESTIMATORS)}), not estimator={estimator!r}."
        )
    if est_name not in _ESTIMATORS:
        raise ValueError(
            f"estimator must be one of {_ESTIMATORS + _ORDINAL_ESTIMATORS} (lavaan's ML, MLR, "
            f"WLSMV, DWLS, ULSMV, ULS), got {estimator!r}"
        )
    if missing not in _MISSING:
        raise ValueError(f"missing must be one of {_MISSING}, got {missing!r}")
    if not isinstance(model, str) or not model.strip():
        raise InputError("The model syntax is empty.", hint="Write e.g. 'f =~ x1 + x2 + x3'.")
    import semopy

    start = time.perf_counter()
    syntax, defined_src = _split_syntax(model)
    try:
        sem = semopy.Model(syntax)
    except Exception as exc:  # semopy raises plain exceptions on bad syntax
        raise InputError(
            f"semopy could not parse the model: {exc}",
            hint="Use lavaan syntax: 'f =~ x1 + x2', 'y ~ f', 'x1 ~~ x2'.",
        ) from exc
    for param in sem.parameters.values():
        # semopy bounds variances at 0; lavaan does not, and Heywood cases must show.
        param.bound = (None, None)
    observed = list(sem.vars["observed"])
    npar0 = sum(1 for p in sem.parameters.values() if p.active)
    if missing == "listwise":
        frame, notes = _prepare_data(data, observed, npar0)
        S = np.cov(frame.to_numpy(), rowvar=False, bias=True)
    else:
        frame, notes = _prepare_data(data, observed, npar0 + len(observed), listwise=False)
        patterns = _missing_patterns(frame.to_numpy())
        mu_h1, S = _em_saturated(patterns, frame.to_numpy())
    n = len(frame)
    eig = np.linalg.eigvalsh(S)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        raise InputError(
            "The sample covariance matrix of the model items is singular (some item is a linear "
            "combination of others, e.g. a total score or a duplicated column).",
            hint="Remove the redundant item(s) from the model.",
        )
    try:
        # semopy only supplies start values: _polish (Fisher scoring) finishes the fit to
        # lavaan's precision, so the cheaper L-BFGS-B start beats semopy's SLSQP default.
        with single_threaded_blas():  # tiny matrices: BLAS threads only add contention
            if missing == "listwise":
                res = sem.fit(frame, obj="MLW", solver="L-BFGS-B")
            else:
                filled = frame.fillna(frame.mean())
                res = sem.fit(
                    filled,
                    cov=pd.DataFrame(S, index=observed, columns=observed),
                    solver="L-BFGS-B",
                )
    except Exception as exc:  # semopy raises plain exceptions (e.g. singular matrices)
        raise InputError(
            f"semopy could not fit the model: {exc}",
            hint="Check that the model is identified (at least 3 items per factor, or 2 items "
            "with correlated factors) and that every item varies.",
        ) from exc
    warn = list(notes)
    with single_threaded_blas():
        theta, converged = _polish(sem, np.asarray(sem.param_vals, dtype=float).copy(), S)
    q = theta.size
    if missing == "fiml":
        theta, converged, hessian = _fiml_fit(sem, np.concatenate([theta, mu_h1]), patterns)
    if not converged:
        warn.append(
            f"The optimizer did not converge (semopy: {getattr(res, 'message', '')}); "
            "estimates and fit indices are not trustworthy."
        )

    internals = _build_internals(
        sem, theta, syntax, defined_src, S, n, means=missing == "fiml", n_struct=q
    )
    sigma, _, _, inner_cov = _sigma_parts(sem)
    fixed_x = [
        r["lhs"]
        for r in internals.rows
        if r["matrix"] == _PSI
        and r["free_index"] < 0
        and r["lhs"] == r["rhs"]
        and r["lhs"] in observed
    ]
    if missing == "listwise":
        fit = _fit_indices(S, sigma, n, q, [observed.index(v) for v in fixed_x])
        # Standard errors from the expected information.
        derivs = _sigma_derivatives(sem, sem.mx_diffs)
        info = n * _unit_information(sigma, derivs)
    else:
        if fixed_x:
            raise InputError(
                f"FIML with observed exogenous predictors ({', '.join(fixed_x)}) is not supported.",
                hint="Use missing='listwise', or measure the predictor as a (single-indicator) "
                "latent variable; for a regression of observed variables by FIML use "
                "workbench.sem.regression_fiml.",
            )
        fit = _fit_indices_fiml(patterns, frame.to_numpy(), S, mu_h1, sigma, theta[q:], q)
        # Standard errors from the observed information (lavaan's default for FIML).
        info = hessian
    robust_vcov = None
    if est_name == "mlr":
        if fixed_x:
            raise InputError(
                f"estimator=mlr with observed exogenous predictors ({', '.join(fixed_x)}) is "
                "not supported.",
                hint="Use estimator='ml', or measure the predictor as a (single-indicator) "
                "latent variable.",
            )
        try:
            with single_threaded_blas():
                robust_vcov, robust_fit, info = _mlr_statistics(
                    sem,
                    theta,
                    q,
                    frame.to_numpy(),
                    S,
                    sigma,
                    fit,
                    fiml=missing == "fiml",
                    mu_h1=mu_h1 if missing == "fiml" else None,
                    patterns=patterns if missing == "fiml" else None,
                    hessian=hessian if missing == "fiml" else None,
                )
        except np.linalg.LinAlgError:
            # a singular observed information (not identified, or a degenerate solution):
            # no sandwich and no scaling, rather than normal-theory values under MLR's name
            robust_vcov = np.full((theta.size, theta.size), np.nan)
            robust_fit = dict.fromkeys(ROBUST_FIT_KEYS, np.nan)
            warn.append(
                "MLR: the observed information matrix is singular, so robust standard errors "
                "and the scaled test are not available (the model is probably not identified)."
            )
        fit.update(robust_fit)
    fit["converged"] = converged

    try:
        vcov = np.linalg.inv(info)
        if not np.all(np.isfinite(vcov)) or np.any(np.diag(vcov) < 0):
            raise np.linalg.LinAlgError
        cond = np.linalg.cond(info)
        if cond > 1e12:
            warn.append(
                "The information matrix is nearly singular: the model may not be identified; "
                "standard errors are unreliable."
            )
    except np.linalg.LinAlgError:
        vcov = np.full_like(info, np.nan)
        warn.append(
            "The information matrix is singular: the model is probably not identified; "
            "standard errors are not available."
        )
    if robust_vcov is not None and np.all(np.isfinite(vcov)):  # MLR: the sandwich
        vcov = robust_vcov
    estimates = _estimates_table(internals, vcov)
    std_loadings = {
        f"{r.lhs}=~{r.rhs}": float(r.std_all) for r in estimates.itertuples() if r.op == "=~"
    }
    r2 = _r_squared(internals)
    warn += _heywood_warnings(internals, estimates, sigma, inner_cov)

    names = list(sem.vars["inner"])
    latent = [v for v in _names_in_order(syntax) if v in set(sem.vars["latent"])]
    idx = [names.index(v) for v in latent]
    latent_cov = pd.DataFrame(inner_cov[np.ix_(idx, idx)], index=latent, columns=latent)
    free_names = [""] * theta.size
    for r in internals.rows:
        if r["op"] == "~1" and r["free_index"] >= 0:
            free_names[r["free_index"]] = f"{r['lhs']}~1"
        if r["free_index"] >= 0 and not free_names[r["free_index"]]:
            free_names[r["free_index"]] = f"{r['lhs']}{r['op']}{r['rhs']}"
    constructs = {
        lv: [r["rhs"] for r in internals.rows if r["op"] == "=~" and r["lhs"] == lv]
        for lv in latent
    }
    return SEMResult(
        syntax=model,
        fit=fit,
        estimates=estimates,
        std_loadings=std_loadings,
        r2=r2,
        constructs=constructs,
        n=n,
        sample_cov=pd.DataFrame(S, index=observed, columns=observed),
        implied_cov=pd.DataFrame(sigma, index=observed, columns=observed),
        latent_cov=latent_cov,
        vcov=pd.DataFrame(vcov, index=free_names, columns=free_names),
        data=frame,
        warning_messages=tuple(warn),
        seconds=time.perf_counter() - start,
        missing=missing,
        estimator=est_name,
        model=sem,
        _internals=internals,
    )


def _ml_observed_information(sem: Any, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Observed information per row of a complete-data ML fit: the Hessian of
    :math:`\\tfrac12[\\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1})]`, by central
    differences of its analytic gradient (lavaan's ``observed.information = "hessian"``)."""

    def grad(x: np.ndarray) -> np.ndarray:
        sem.update_matrices(x)
        sigma = _sigma_parts(sem)[0]
        w = np.linalg.inv(sigma)
        derivs = _sigma_derivatives(sem, sem.mx_diffs)
        return 0.5 * np.einsum("ij,kji->k", w - w @ S @ w, derivs)

    h = np.zeros((theta.size, theta.size))
    for k in range(theta.size):
        step = 1e-5 * max(1.0, abs(theta[k]))
        xp, xm = theta.copy(), theta.copy()
        xp[k] += step
        xm[k] -= step
        h[:, k] = (grad(xp) - grad(xm)) / (2 * step)
    sem.update_matrices(theta)
    return (h + h.T) / 2


def _mlr_statistics(
    sem: Any,
    theta: np.ndarray,
    q: int,
    x: np.ndarray,
    S: np.ndarray,
    sigma: np.ndarray,
    fit: Mapping[str, Any],
    *,
    fiml: bool,
    mu_h1: np.ndarray | None,
    patterns: list | None,
    hessian: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """What MLR adds to an ML/FIML fit: (sandwich vcov, scaled and robust fit, total bread).

    Complete data: no mean structure, the h1 moments are (mean, S); FIML: the intercepts are
    the last p parameters, the h1 moments are the EM estimates. See :func:`fit_sem` (Notes)
    and :mod:`workbench.sem.robust_ml`.
    """
    n, p = x.shape
    sem.update_matrices(theta[:q])
    derivs = _sigma_derivatives(sem, sem.mx_diffs)
    rows, cols = np.tril_indices(p)
    v = rows.size
    d_vech = derivs[:, rows, cols].T  # (v, q)
    diag_pos = np.flatnonzero(rows == cols)  # vech positions of the variances
    if fiml and patterns is not None and mu_h1 is not None and hessian is not None:
        pats = patterns
        mu = theta[q:]
        delta = np.zeros((p + v, q + p))
        delta[:p, q:] = np.eye(p)
        delta[p:, :q] = d_vech
        bread = hessian / n
        mean_h1 = mu_h1
        # independence baseline: each variable's own (FIML = observed-value) mean and variance
        mu_b = np.nanmean(x, axis=0)
        var_b = np.nanvar(x, axis=0)
        delta_b = np.zeros((p + v, 2 * p))
        delta_b[:p, :p] = np.eye(p)
        delta_b[p + diag_pos, p + np.arange(p)] = 1.0
        a1 = _saturated_information(pats, mean_h1, S, observed=True) / n
        info_b = _saturated_information(pats, mu_b, np.diag(var_b), observed=True) / n
    else:
        fiml = False
        pats = [(np.arange(p), x)]
        mu = mean_h1 = mu_b = x.mean(axis=0)
        delta = d_vech
        bread = _ml_observed_information(sem, theta, S)
        var_b = np.diag(S).copy()
        delta_b = np.zeros((v, p))
        delta_b[diag_pos, np.arange(p)] = 1.0
        a1 = robust_ml.complete_data_information(S, means=False)
        info_b = _saturated_information(pats, mu_b, np.diag(var_b), observed=True)[p:, p:] / n
    sigma_b = np.diag(var_b)
    scores = robust_ml.saturated_scores(pats, mu, sigma, means=fiml) @ delta
    meat = scores.T @ scores / n
    vcov = robust_ml.huber_white_vcov(bread, meat, n)
    g1 = robust_ml.saturated_scores(pats, mean_h1, S, means=fiml)
    b1 = g1.T @ g1 / n
    test = robust_ml.yuan_bentler_scaling(a1, b1, bread, meat, int(fit["df"]))
    bread_b = delta_b.T @ info_b @ delta_b
    scores_b = robust_ml.saturated_scores(pats, mu_b, sigma_b, means=fiml) @ delta_b
    test_b = robust_ml.yuan_bentler_scaling(
        a1, b1, bread_b, scores_b.T @ scores_b / n, int(fit["baseline_df"])
    )
    corrected = None
    if fiml:
        wc = robust_ml.complete_data_information(S, means=True)
        c3, c3_b = robust_ml.fiml_corrected_scaling(
            a1, b1, wc, [delta, delta_b], [int(fit["df"]), int(fit["baseline_df"])]
        )
        corrected = {
            "chi2": n * robust_ml.normal_discrepancy(mean_h1, S, mu, sigma),
            "c": c3,
            "baseline_chi2": n * robust_ml.normal_discrepancy(mean_h1, S, mu_b, sigma_b),
            "baseline_c": c3_b,
        }
    robust = robust_ml.robust_fit_indices(
        float(fit["chi2"]),
        int(fit["df"]),
        float(fit["baseline_chi2"]),
        int(fit["baseline_df"]),
        n,
        test,
        test_b,
        fiml_corrected=corrected,
    )
    return vcov, robust, n * bread


def _ml_discrepancy(sem: Any, x: np.ndarray, S: np.ndarray) -> float:
    sem.update_matrices(x)
    sigma = _sigma_parts(sem)[0]
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return np.inf
    return float(logdet + np.trace(np.linalg.solve(sigma, S)))


def _polish(sem: Any, x: np.ndarray, S: np.ndarray, max_iter: int = 200) -> tuple[np.ndarray, bool]:
    """Fisher scoring from semopy's solution to lavaan's convergence precision.

    semopy's SLSQP stops early (loadings off by ~1e-3); a few scoring steps
    with step halving reach the ML optimum. Returns (estimates, converged).
    """
    f = _ml_discrepancy(sem, x, S)
    converged = False
    for _ in range(max_iter):
        sem.update_matrices(x)
        sigma = _sigma_parts(sem)[0]
        try:
            w = np.linalg.inv(sigma)
        except np.linalg.LinAlgError:
            break
        derivs = _sigma_derivatives(sem, sem.mx_diffs)
        grad = np.einsum("ij,kji->k", w - w @ S @ w, derivs)
        info = 2.0 * _unit_information(sigma, derivs)
        try:
            step = -np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(info, grad, rcond=None)[0]
        if np.max(np.abs(grad)) < 1e-9:
            converged = True
            break
        t = 1.0
        while t > 1e-6:
            f_new = _ml_discrepancy(sem, x + t * step, S)
            if f_new <= f + 1e-14:
                break
            t /= 2
        else:
            break
        x, f = x + t * step, f_new
    else:
        converged = np.max(np.abs(grad)) < 1e-6
    sem.update_matrices(x)
    sem.param_vals = x
    return x, bool(converged)


def _build_internals(
    sem: Any,
    theta: np.ndarray,
    syntax: str,
    defined_src: list[tuple[str, str]],
    S: np.ndarray,
    n: int,
    *,
    means: bool = False,
    n_struct: int | None = None,
) -> _Internals:
    order = {v: i for i, v in enumerate(_names_in_order(syntax))}
    measured = set()
    for line in syntax.splitlines():
        if "=~" in line:
            lv, rhs_text = line.split("=~", 1)
            for term in rhs_text.split("+"):
                measured.add((lv.strip(), term.split("*")[-1].strip()))
    rows: list[dict[str, Any]] = []
    free_index = 0
    for name, param in sem.parameters.items():
        idx = free_index if param.active else -1
        if param.active:
            free_index += 1
        for loc in param.locations:
            k = next(i for i, mx in enumerate(sem.matrices[:4]) if mx is loc.matrix)
            i, j = loc.indices
            rnames, cnames = sem.names[k]
            if k == _LAMBDA and (cnames[j], rnames[i]) in measured:
                lhs, op, rhs = cnames[j], "=~", rnames[i]
            elif k == _LAMBDA:  # semopy keeps an observed outcome's regression on a factor
                lhs, op, rhs = rnames[i], "~", cnames[j]  # in Lambda: lavaan's 'y ~ f'
            elif k == _BETA and (cnames[j], rnames[i]) in measured:
                lhs, op, rhs = cnames[j], "=~", rnames[i]  # higher-order loading
            elif k == _BETA:
                lhs, op, rhs = rnames[i], "~", cnames[j]
            else:
                lhs, op, rhs = rnames[i], "~~", cnames[j]
                if order.get(rhs, 1e9) < order.get(lhs, 1e9):
                    lhs, rhs = rhs, lhs
            label = "" if re.fullmatch(r"_[bc]\d+", name) else name
            rows.append(
                {
                    "lhs": lhs,
                    "op": op,
                    "rhs": rhs,
                    "label": label,
                    "free_index": idx,
                    "matrix": k,
                    "indices": (i, j),
                    "row_var": rnames[i],
                    "col_var": cnames[j],
                }
            )
    if means:
        q = theta.size - len(sem.vars["observed"]) if n_struct is None else n_struct
        for j, v in enumerate(sem.vars["observed"]):
            rows.append(_mean_row(v, _MEAN, q + j, j))
        for v in sem.vars["latent"]:
            rows.append(_mean_row(v, _LVMEAN, -1, 0))
    big = 10**9

    def key(r: dict[str, Any]) -> tuple:
        var_rank = 0 if r["lhs"] != r["rhs"] else 1
        return (
            _OP_ORDER[r["op"]],
            var_rank if r["op"] == "~~" else 0,
            order.get(r["lhs"], big),
            order.get(r["rhs"], big),
        )

    rows.sort(key=key)
    labels: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r["label"] and r["label"] not in labels:
            labels[r["label"]] = i
    defined = [
        (name, expr, _check_expression(expr.replace("^", "**"), set(labels)))
        for name, expr in defined_src
    ]
    return _Internals(
        sem, theta, rows, defined, labels, S, n, theta.size if n_struct is None else n_struct
    )


def _mean_row(var: str, kind: int, free_index: int, j: int) -> dict[str, Any]:
    return {
        "lhs": var,
        "op": "~1",
        "rhs": "",
        "label": "",
        "free_index": free_index,
        "matrix": kind,
        "indices": (j, j),
        "row_var": var,
        "col_var": "",
    }


def _estimates_table(internals: _Internals, vcov: np.ndarray) -> pd.DataFrame:
    theta = internals.theta
    raw = _raw_values(internals, theta)
    std = _std_values(internals, theta)
    j_raw = _jacobian(lambda x: _raw_values(internals, x), theta)
    j_std = _jacobian(lambda x: _std_values(internals, x), theta)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.einsum("ij,jk,ik->i", j_raw, vcov, j_raw))
        std_se = np.sqrt(np.einsum("ij,jk,ik->i", j_std, vcov, j_std))
    free = [r["free_index"] >= 0 for r in internals.rows] + [True] * len(internals.defined)
    se = np.where(free, se, np.nan)
    # lavaan reports no SE for standardized values that are constant (e.g. 1.0).
    std_se = np.where(std_se < 1e-10, np.nan, std_se)
    lhs = [r["lhs"] for r in internals.rows] + [d[0] for d in internals.defined]
    op = [r["op"] for r in internals.rows] + [":="] * len(internals.defined)
    rhs = [r["rhs"] for r in internals.rows] + [d[1] for d in internals.defined]
    label = [r["label"] for r in internals.rows] + [d[0] for d in internals.defined]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = raw / se
    p = 2 * stats.norm.sf(np.abs(z))
    crit = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "lhs": lhs,
            "op": op,
            "rhs": rhs,
            "label": label,
            "free": free,
            "estimate": raw,
            "se": se,
            "z": z,
            "p": p,
            "ci_low": raw - crit * se,
            "ci_high": raw + crit * se,
            "std_all": std,
            "std_se": std_se,
        }
    )


def _r_squared(internals: _Internals) -> dict[str, float]:
    model = internals.model
    tv = _total_variances(model)
    endo = []
    for r in internals.rows:
        if r["op"] == "=~":
            endo.append(r["rhs"])
        elif r["op"] == "~":
            endo.append(r["lhs"])
    out: dict[str, float] = {}
    for r in internals.rows:
        if r["op"] == "~~" and r["lhs"] == r["rhs"] and r["lhs"] in endo:
            value = model.matrices[r["matrix"]][r["indices"]]
            out[r["lhs"]] = 1.0 - value / tv[r["lhs"]]
    return {v: out[v] for v in dict.fromkeys(endo) if v in out}


def _heywood_warnings(
    internals: _Internals, est: pd.DataFrame, sigma: np.ndarray, inner_cov: np.ndarray
) -> list[str]:
    warn = []
    var_rows = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])]
    neg = var_rows[var_rows["estimate"] < 0]
    for r in neg.itertuples():
        warn.append(
            f"Heywood case: the (residual) variance of '{r.lhs}' is negative ({r.estimate:.4f}); "
            "reported as estimated, not clipped. Check for a misspecified model, an item "
            "loading on the wrong factor, or too few items/rows."
        )
    big = est[(est["op"] == "=~") & (est["std_all"].abs() > 1)]
    for r in big.itertuples():
        warn.append(f"Standardized loading {r.lhs}=~{r.rhs} = {r.std_all:.3f} exceeds 1.")
    latent = set(internals.model.vars["latent"])
    cors = est[
        (est["op"] == "~~")
        & (est["lhs"] != est["rhs"])
        & est["lhs"].isin(latent)
        & est["rhs"].isin(latent)
        & (est["std_all"].abs() > 1)
    ]
    for r in cors.itertuples():
        warn.append(
            f"Factor correlation {r.lhs}~~{r.rhs} = {r.std_all:.3f} is beyond +-1: the constructs "
            "are not empirically distinct or the model is misspecified."
        )
    lat = [
        i
        for i, v in enumerate(internals.model.vars["inner"])
        if v in internals.model.vars["latent"]
    ]
    if lat:
        ev = np.linalg.eigvalsh(inner_cov[np.ix_(lat, lat)])
        if ev.min() < -1e-10:
            warn.append(
                "The model-implied covariance matrix of the latent variables is not positive "
                "definite (a factor correlation beyond +-1 or a negative variance)."
            )
    if np.linalg.eigvalsh(sigma).min() <= 0:
        warn.append(
            "The model-implied covariance matrix of the observed variables is not positive definite."
        )
    return warn


@overload
def fit_cfa(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    estimator: OrdinalEstimatorName,
    **kw: Any,
) -> OrdinalCFAResult: ...


@overload
def fit_cfa(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    estimator: Estimator = "ml",
    missing: Missing = "listwise",
) -> SEMResult: ...


@overload
def fit_cfa(
    data: pd.DataFrame, constructs: Mapping[str, Sequence[str]], **kw: Any
) -> SEMResult | OrdinalCFAResult: ...


def fit_cfa(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    **kw: Any,
) -> SEMResult | OrdinalCFAResult:
    """Confirmatory factor analysis of a codebook's constructs.

    Builds ``construct =~ item1 + item2 + ...`` for every construct and fits
    it with :func:`fit_sem` (correlated factors, first loading of each factor
    fixed to 1, as lavaan's ``cfa()``).

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses (missing values as NaN).
    constructs : mapping of str to list of str
        Construct name -> its items, e.g. from the codebook.
    **kw
        Passed to :func:`fit_sem` (``estimator``, ``missing``); with an ordinal estimator
        (``"wlsmv"``, ``"dwls"``, ``"ulsmv"``, ``"uls"``) to
        :func:`~workbench.sem.ordinal.fit_ordinal_cfa` (``ordered``, ``parameterization``,
        ``test``, ``std_lv``, ``max_categories``).

    Returns
    -------
    SEMResult
        Or :class:`~workbench.sem.ordinal.OrdinalCFAResult` with an ordinal estimator.

    Raises
    ------
    InputError
        If a construct has fewer than two items (fewer than three when there
        is a single construct: the model would not be identified), an item is
        used twice, or a construct name clashes with an item.

    Notes
    -----
    The model is the congeneric factor model
    :math:`\\Sigma = \\Lambda\\Phi\\Lambda' + \\Theta` with diagonal
    :math:`\\Theta`; see :func:`fit_sem` for the fit indices.

    References
    ----------
    Brown, T. A. (2015). Confirmatory factor analysis for applied research
    (2nd ed.). Guilford. R: ``lavaan::cfa(model, data)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_cfa
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...                    "speed": ["x7", "x8", "x9"]})
    >>> round(res.fit["chi2"], 3), res.fit["df"]
    (85.306, 24)
    >>> res.composite_reliability().round(3).to_dict()
    {'visual': 0.612, 'textual': 0.885, 'speed': 0.686}
    """
    estimator = str(kw.get("estimator", "ml")).lower()
    if estimator in _ORDINAL_ESTIMATORS:
        from workbench.sem.ordinal import fit_ordinal_cfa

        kw = dict(kw)
        kw.pop("estimator")
        _check_ordinal_missing(estimator, kw.pop("missing", "listwise"))
        return fit_ordinal_cfa(data, constructs, estimator=estimator.upper(), **kw)  # type: ignore[arg-type]
    return fit_sem(data, cfa_syntax(constructs), **kw)


def _check_ordinal_missing(estimator: str, missing: str) -> None:
    """The ordinal estimators use complete cases (lavaan's default for ordered data)."""
    if missing != "listwise":
        raise InputError(
            f"estimator={estimator} cannot be used with missing={missing}: the ordinal models "
            "are fitted to the thresholds and polychoric correlations of the complete cases "
            "(lavaan's default for ordered data).",
            hint=f"Use missing='listwise' with estimator={estimator}, or estimator='mlr' "
            f"with missing={missing}.",
        )


def cfa_syntax(constructs: Mapping[str, Sequence[str]]) -> str:
    """lavaan syntax ``construct =~ item + ...`` for a dict of constructs.

    Examples
    --------
    >>> print(cfa_syntax({"sat": ["s1", "s2"], "loy": ["l1", "l2"]}))
    sat =~ s1 + s2
    loy =~ l1 + l2
    """
    if not isinstance(constructs, Mapping) or not constructs:
        raise InputError(
            "No constructs given for the CFA.",
            hint="Pass a dict such as {'satisfaction': ['sat1', 'sat2', 'sat3']}.",
        )
    items_seen: dict[str, str] = {}
    lines = []
    ident = re.compile(_NAME)
    for name, items in constructs.items():
        items = list(items) if not isinstance(items, str) else [items]
        need = 3 if len(constructs) == 1 else 2
        if len(items) < need:
            raise InputError(
                f"Construct '{name}' has {len(items)} item(s); a CFA needs at least {need} per "
                "construct to be identified.",
                hint="Add items to the construct or leave it out of the CFA.",
            )
        for token in [name, *items]:
            if not ident.fullmatch(str(token)):
                raise InputError(
                    f"'{token}' cannot be used as a variable name in model syntax.",
                    hint="Rename it to letters (any script, e.g. 信任), digits, '_' or '.' "
                    "(not starting with a digit).",
                )
        for item in items:
            if item in items_seen:
                raise InputError(
                    f"Item '{item}' is listed under both '{items_seen[item]}' and '{name}'.",
                    column=item,
                    hint="Give each item to one construct (or write the model with fit_sem).",
                )
            items_seen[item] = name
        lines.append(f"{name} =~ {' + '.join(items)}")
    clash = set(constructs) & set(items_seen)
    if clash:
        raise InputError(
            f"Construct name(s) {sorted(clash)} are also item names.",
            hint="Rename the construct(s).",
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# Reliability and validity
# ----------------------------------------------------------------------------


def _first_order(result: SEMResult) -> dict[str, list[str]]:
    obs = set(result.sample_cov.index)
    return {
        lv: items
        for lv, items in result.constructs.items()
        if items and all(i in obs for i in items)
    }


def _loading(result: SEMResult, lv: str, item: str) -> float:
    est = result.estimates
    row = est[(est["op"] == "=~") & (est["lhs"] == lv) & (est["rhs"] == item)]
    return float(row["estimate"].iloc[0])


def composite_reliability(result: SEMResult) -> pd.Series:
    """Composite reliability (omega) of each first-order construct.

    Parameters
    ----------
    result : SEMResult
        A fitted CFA/SEM.

    Returns
    -------
    pandas.Series
        One value per construct whose indicators are observed variables.

    Notes
    -----
    As semTools ``compRelSEM()`` with its defaults (``obs.var = TRUE``,
    ``tau.eq = FALSE``): :math:`\\omega = (\\sum_i\\lambda_i)^2\\phi /
    \\mathbf 1' S_{items}\\mathbf 1`, the variance of the sum score explained by
    the factor over the observed variance of the sum score (sample
    covariance with divisor N). With perfect fit this equals the textbook
    :math:`(\\sum\\lambda)^2/((\\sum\\lambda)^2 + \\sum\\theta)` on standardized
    loadings (Raykov, 1997).

    References
    ----------
    Raykov, T. (1997). Estimation of composite reliability for congeneric
    measures. Applied Psychological Measurement, 21(2), 173-184.
    R: ``semTools::compRelSEM(fit)`` (semTools 0.5-6).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_cfa, composite_reliability
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]})
    >>> composite_reliability(res).round(3).to_dict()
    {'visual': 0.613, 'textual': 0.885}
    """
    out = {}
    S = result.sample_cov
    for lv, items in _first_order(result).items():
        lam = np.array([_loading(result, lv, i) for i in items])
        phi = result.latent_cov.loc[lv, lv]
        out[lv] = float(lam.sum() ** 2 * phi / S.loc[items, items].to_numpy().sum())
    return pd.Series(out, name="composite_reliability", dtype=float)


def ave(result: SEMResult) -> pd.Series:
    """Average variance extracted of each first-order construct.

    Parameters
    ----------
    result : SEMResult
        A fitted CFA/SEM.

    Returns
    -------
    pandas.Series
        One value per construct; NaN when an indicator loads on more than one
        factor (as semTools).

    Notes
    -----
    As semTools ``AVE()`` 0.5-6 (``obs.var = TRUE``):
    :math:`AVE = \\phi\\sum_i\\lambda_i^2 / \\sum_i s_{ii}`, the explained
    share of the items' total observed variance. With perfect fit this is the
    mean squared standardized loading of Fornell & Larcker (1981).

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation
    models with unobservable variables and measurement error. Journal of
    Marketing Research, 18(1), 39-50. R: ``semTools::AVE(fit)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_cfa, ave
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]})
    >>> ave(res).round(3).to_dict()
    {'visual': 0.371, 'textual': 0.721}
    """
    out = {}
    S = result.sample_cov
    est = result.estimates
    loads = est[est["op"] == "=~"]
    counts = loads["rhs"].value_counts()
    for lv, items in _first_order(result).items():
        if any(counts.get(i, 0) > 1 for i in items):
            out[lv] = np.nan
            continue
        lam = np.array([_loading(result, lv, i) for i in items])
        phi = result.latent_cov.loc[lv, lv]
        out[lv] = float((lam**2).sum() * phi / np.diag(S.loc[items, items]).sum())
    return pd.Series(out, name="ave", dtype=float)


def htmt(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    mean: HTMTMean = "geometric",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations between constructs.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses; rows with any missing item are dropped (listwise).
    constructs : mapping of str to list of str
        Construct name -> items.
    mean : {"geometric", "arithmetic"}
        ``"geometric"`` is HTMT2 (Roemer et al., 2021), semTools 0.5-6's
        default (``htmt2 = TRUE``); ``"arithmetic"`` is the original HTMT of
        Henseler et al. (2015).

    Returns
    -------
    pandas.DataFrame
        Symmetric construct x construct table with 1 on the diagonal.

    Notes
    -----
    With :math:`\\bar r_{ij}` the mean absolute correlation between the items
    of constructs i and j (heterotrait) and :math:`\\bar r_{ii}` the mean
    absolute correlation among the items of construct i (monotrait, off the
    diagonal): :math:`HTMT_{ij} = \\bar r_{ij}/\\sqrt{\\bar r_{ii}\\bar r_{jj}}`.
    Values above 0.85 (or 0.90) suggest the constructs are not distinct.
    Like semTools, correlations are taken in absolute value.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for
    assessing discriminant validity in variance-based structural equation
    modeling. Journal of the Academy of Marketing Science, 43(1), 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2. Industrial
    Management & Data Systems, 121(12). R: ``semTools::htmt(model, data)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import htmt
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> htmt(hs, {"visual": ["x1", "x2", "x3"], "speed": ["x7", "x8", "x9"]}).round(3)
            visual  speed
    visual   1.000  0.387
    speed    0.387  1.000
    """
    if mean not in _HTMT_MEANS:
        raise ValueError(f"mean must be one of {_HTMT_MEANS}, got {mean!r}")
    items = [i for its in constructs.values() for i in its]
    frame, _ = _prepare_data(data, list(dict.fromkeys(items)), 0, min_rows=3)
    return _htmt_table(frame.corr(), constructs, mean)


def _htmt_table(
    corr: pd.DataFrame, constructs: Mapping[str, Sequence[str]], mean: str
) -> pd.DataFrame:
    """HTMT from a correlation matrix labelled with the items."""
    r = np.abs(corr.to_numpy())
    pos = {c: k for k, c in enumerate(corr.columns)}
    names = list(constructs)

    def avg(a: Sequence[str], b: Sequence[str], same: bool) -> float:
        block = r[np.ix_([pos[i] for i in a], [pos[i] for i in b])]
        vals = block[np.triu_indices(len(a), 1)] if same else block.ravel()
        if vals.size == 0:
            return np.nan
        return float(np.exp(np.mean(np.log(vals)))) if mean == "geometric" else float(vals.mean())

    mono = {c: avg(constructs[c], constructs[c], True) for c in names}
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for a_i, a in enumerate(names):
        for b in names[a_i + 1 :]:
            value = avg(constructs[a], constructs[b], False) / math.sqrt(mono[a] * mono[b])
            out.loc[a, b] = out.loc[b, a] = value
    return out


def fornell_larcker(result: SEMResult) -> pd.DataFrame:
    """Fornell-Larcker table: sqrt(AVE) on the diagonal, factor correlations off it.

    Parameters
    ----------
    result : SEMResult
        A fitted CFA.

    Returns
    -------
    pandas.DataFrame
        Construct x construct. Discriminant validity holds for a construct
        when its diagonal value exceeds its correlations with the others.

    Notes
    -----
    Diagonal: :math:`\\sqrt{AVE_i}` (see :func:`ave`); off-diagonal: model-
    implied factor correlations :math:`\\phi_{ij}/\\sqrt{\\phi_{ii}\\phi_{jj}}`.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Journal of Marketing Research,
    18(1), 39-50. R: ``lavInspect(fit, "cor.lv")`` with ``sqrt(semTools::AVE(fit))``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_cfa, fornell_larcker
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]})
    >>> fornell_larcker(res).round(3)
             visual  textual
    visual    0.609    0.461
    textual   0.461    0.849
    """
    names = list(_first_order(result))
    phi = result.latent_cov.loc[names, names].to_numpy()
    sd = np.sqrt(np.diag(phi))
    cor = phi / np.outer(sd, sd)
    table = pd.DataFrame(cor, index=names, columns=names)
    root = np.sqrt(ave(result).reindex(names))
    for n_ in names:
        table.loc[n_, n_] = root[n_]
    return table


def residual_correlations(result: SEMResult, *, top: int | None = 10) -> pd.DataFrame:
    """Largest residual correlations: observed minus model-implied correlations.

    Parameters
    ----------
    result : SEMResult
        A fitted model.
    top : int or None
        Number of pairs to return, largest absolute residual first (None: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``var1, var2, observed, implied, residual``.

    Notes
    -----
    :math:`r_{ij} - \\sigma_{ij}/\\sqrt{\\sigma_{ii}\\sigma_{jj}}`, lavaan's
    ``residuals(fit, type = "cor.bollen")``. Absolute values above 0.10 are
    commonly taken as local misfit (Kline, 2016).

    References
    ----------
    Kline, R. B. (2016). Principles and practice of structural equation
    modeling (4th ed.). Guilford. R: ``lavaan::residuals(fit, type = "cor")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_cfa, residual_correlations
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...                    "speed": ["x7", "x8", "x9"]})
    >>> residual_correlations(res, top=1)[["var1", "var2"]].values.tolist()
    [['x2', 'x7']]
    """
    S = result.sample_cov.to_numpy()
    sig = result.implied_cov.to_numpy()
    s_sd, m_sd = np.sqrt(np.diag(S)), np.sqrt(np.diag(sig))
    obs_r = S / np.outer(s_sd, s_sd)
    imp_r = sig / np.outer(m_sd, m_sd)
    names = list(result.sample_cov.index)
    i, j = np.triu_indices(len(names), 1)
    table = pd.DataFrame(
        {
            "var1": [names[k] for k in i],
            "var2": [names[k] for k in j],
            "observed": obs_r[i, j],
            "implied": imp_r[i, j],
            "residual": obs_r[i, j] - imp_r[i, j],
        }
    )
    table = table.reindex(table["residual"].abs().sort_values(ascending=False).index)
    table = table.reset_index(drop=True)
    return table if top is None else table.head(top)


# lavaan modindices(): candidates with V < .Machine$double.eps^(1/3) are NA (and dropped)
_MI_MIN_V = float(np.finfo(float).eps ** (1 / 3))


def _syntax_variables(syntax: str, op: str) -> list[str]:
    """Variables of the ``=~`` (right-hand side) or ``~`` (both sides) statements, in order."""
    names: dict[str, None] = {}
    model, _ = _split_syntax(syntax)
    for line in model.splitlines():
        if op == "=~" and "=~" in line:
            sides = [line.split("=~", 1)[1]]
        elif op == "~" and "~" in line and "=~" not in line and "~~" not in line:
            sides = line.split("~", 1)
            if sides[1].strip() == "1":
                continue
        else:
            continue
        for side in sides:
            for term in side.split("+"):
                name = term.split("*")[-1].strip()
                if name and name != "1":
                    names.setdefault(name, None)
    return list(names)


def _mi_candidates(
    internals: _Internals, syntax: str
) -> list[tuple[str, str, str, int, tuple[int, int]]]:
    """lavaan's candidate parameters (``lav_partable_full``) that are fixed to zero here.

    ``(lhs, op, rhs, matrix, (i, j))``: loadings of every latent variable on every observed
    variable outside the regressions; covariances between indicators (observed variables
    on the right of ``=~``) and between latent variables; regressions between every ordered
    pair of the variables in ``~`` statements (not an indicator on a latent variable, not
    an observed exogenous variable on anything: lavaan lists those too, but scores them with
    its fixed-x information, which this function does not reproduce). A regression on an
    observed outcome that predicts nothing has no matrix entry (matrix -1; its derivative
    is :func:`_regression_derivative`'s).
    """
    model = internals.model
    mats = model.matrices
    inner = list(model.vars["inner"])
    observed = list(model.vars["observed"])
    latent = set(model.vars["latent"])
    taken = {(r["matrix"], r["indices"]) for r in internals.rows}
    for r in internals.rows:
        if r["matrix"] in (_PSI, _THETA):
            taken.add((r["matrix"], r["indices"][::-1]))

    def free(k: int, i: int, j: int) -> bool:
        return (k, (i, j)) not in taken and mats[k][i, j] == 0

    order = {v: i for i, v in enumerate(_names_in_order(_split_syntax(syntax)[0]))}
    regressed = _syntax_variables(syntax, "~")
    outer = sorted((o for o in observed if o not in inner), key=lambda v: order.get(v, 0))
    indicators = [o for o in outer if o in set(_syntax_variables(syntax, "=~"))]
    latent_sorted = sorted(
        (k for k, v in enumerate(inner) if v in latent), key=lambda k: order.get(inner[k], 0)
    )
    cands: list[tuple[str, str, str, int, tuple[int, int]]] = []
    for j in latent_sorted:
        for o in outer:
            i = observed.index(o)
            if o not in regressed and free(_LAMBDA, i, j):
                cands.append((inner[j], "=~", o, _LAMBDA, (i, j)))
    for a, o1 in enumerate(indicators):
        for o2 in indicators[a + 1 :]:
            i, j = observed.index(o1), observed.index(o2)
            if (_THETA, (i, j)) not in taken:
                cands.append((o1, "~~", o2, _THETA, (i, j)))
    for a, i in enumerate(latent_sorted):
        for j in latent_sorted[a + 1 :]:
            if (_PSI, (i, j)) not in taken:
                cands.append((inner[i], "~~", inner[j], _PSI, (i, j)))
    fixed_x = set(model.vars["exogenous"]) & set(observed)
    for y in regressed:
        for x in regressed:
            if y == x or (y in indicators and x in latent) or y in fixed_x:
                continue
            if x not in inner:  # an observed outcome that predicts nothing yet
                cands.append((y, "~", x, -1, (-1, -1)))
            elif y in inner and free(_BETA, inner.index(y), inner.index(x)):
                cands.append((y, "~", x, _BETA, (inner.index(y), inner.index(x))))
            elif y in outer and free(_LAMBDA, observed.index(y), inner.index(x)):
                cands.append((y, "~", x, _LAMBDA, (observed.index(y), inner.index(x))))
    return cands


def _regression_derivative(model: Any, y: str, x: str) -> np.ndarray:
    """dSigma/db of a new regression ``y ~ b*x`` at b = 0, for any two model variables.

    With every variable in one system :math:`v = Bv + \\zeta`, :math:`\\Sigma_v =
    (I-B)^{-1}\\Phi(I-B)^{-T}` and :math:`\\partial\\Sigma_v/\\partial B_{yx} = a_y c_x' +
    c_x a_y'`, where :math:`a_y` holds the total effects of ``y`` on the observed variables
    (a column of :math:`\\Lambda(I-B)^{-1}`, or a unit vector for an observed outcome) and
    :math:`c_x` the covariances of ``x`` with them. It also gives the regressions that
    semopy's matrices do not hold (a factor on an observed outcome, ``f ~ y``).
    """
    sigma, m, c, _ = _sigma_parts(model)
    observed = list(model.vars["observed"])
    inner = list(model.vars["inner"])
    if y in inner:
        a = m[:, inner.index(y)]
    else:
        a = np.zeros(len(observed))
        a[observed.index(y)] = 1.0
    if x in observed:
        cov = sigma[observed.index(x)]
    else:
        cov = (c @ model.matrices[_PSI] @ m.T)[inner.index(x)]
    return np.outer(a, cov) + np.outer(cov, a)


def modification_indices(result: SEMResult, *, top: int | None = 10) -> pd.DataFrame:
    """Score-test modification indices for omitted loadings, covariances and regressions.

    Parameters
    ----------
    result : SEMResult
        A fitted model.
    top : int or None
        Number of rows, largest MI first (None: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, mi, epc, sepc_all, p``: the expected drop in
        chi2 if the parameter were freed (1 df), the expected parameter change
        and its standardized (``std.all``) version.

    Notes
    -----
    Candidates, as lavaan's (``lav_partable_full``), each fixed to zero in the
    model: every loading of a latent variable on an observed variable that is in
    no regression; every residual covariance between two indicators (observed
    variables on the right of ``=~``); every covariance between two latent
    variables; and every regression between two variables of the ``~``
    statements (either way round; not an indicator on a latent variable). Not
    proposed, unlike lavaan: regressions of an observed exogenous predictor
    (``fixed.x``) on other variables.
    Candidates equivalent to a free parameter (the reverse of a regression, the
    covariance of its two variables) have :math:`I_{22} -
    I_{21}I_{11}^{-1}I_{12}` below lavaan's ``.Machine$double.eps^(1/3)`` and
    are left out, as lavaan's ``NA`` rows. With the expected unit information
    :math:`I` of :math:`F_{ML}/2` partitioned into free (1) and candidate (2)
    parameters and the gradient :math:`g_2` at the estimates,
    :math:`MI = N g_2^2 / (I_{22} - I_{21}I_{11}^{-1}I_{12})` and
    :math:`EPC = -g_2 / (I_{22} - I_{21}I_{11}^{-1}I_{12})`, as lavaan's
    ``modindices()``.

    For a FIML fit (``missing="fiml"``, lavaan ``missing = "ml"``) the free
    parameters include the intercepts, :math:`g_2` is the gradient of minus
    the casewise loglikelihood per row and :math:`I` is the expected
    information of the incomplete data: each row contributes the complete-data
    information of the variables it observed, at the model-implied moments,
    :math:`\\frac1N\\sum_i[\\partial\\mu_{o}'\\Sigma_{oo}^{-1}\\partial\\mu_{o} +
    \\tfrac12\\operatorname{tr}(\\Sigma_{oo}^{-1}\\partial\\Sigma_{oo}
    \\Sigma_{oo}^{-1}\\partial\\Sigma_{oo})]`. That is what lavaan 0.6 uses:
    ``modindices()`` has its own ``information = "expected"`` default (not the
    fit's observed information of the standard errors), and for
    ``missing = "ml"`` the expected information is the ``h1.information =
    "structured"`` one (``lav_mvnorm_missing_information_expected``).

    An MLR fit (``estimator="mlr"``, complete data or FIML) has the same
    indices as the ML fit: the estimates are the ML ones and lavaan 0.6-14's
    ``modindices()`` uses the expected information and the ML score for MLR too
    (MLR is ``estimator = "ML"`` inside lavaan, its observed information and
    sandwich are for the standard errors only); it gives no scaled index
    (no ``mi.scaled``), so neither does this table. Tested against
    ``modindices(sem(model, data, estimator = "MLR"))`` and with
    ``missing = "ml"`` in tests/test_sem_mlr_modindices.py.

    References
    ----------
    Sörbom, D. (1989). Model modification. Psychometrika, 54(3), 371-384.
    R: ``lavaan::modindices(fit, sort. = TRUE)``, also for
    ``cfa(model, data, missing = "ml")`` and ``sem(model, data, estimator =
    "MLR")`` fits, complete or ``missing = "ml"`` (lavaan 0.6-14).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_cfa, modification_indices
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...                    "speed": ["x7", "x8", "x9"]})
    >>> mi = modification_indices(res, top=2)
    >>> mi[["lhs", "op", "rhs"]].values.tolist(), mi["mi"].round(2).tolist()
    ([['visual', '=~', 'x9'], ['x7', '~~', 'x8']], [36.41, 34.15])
    """
    internals: _Internals = result._internals
    fiml = result.missing == "fiml"
    q_struct = internals.n_struct
    model = internals.model
    model.update_matrices(internals.theta[:q_struct])
    mats = model.matrices
    cands = _mi_candidates(internals, result.syntax)
    if not cands:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "sepc_all", "p"])
    diffs = []
    for _lhs, op, _rhs, k, (i, j) in cands:
        dm: list[np.ndarray | None] = [None] * 4
        if op != "~":
            t = np.zeros_like(mats[k])
            t[i, j] = 1.0
            if k in (_PSI, _THETA):
                t[j, i] = 1.0
            dm[k] = t
        diffs.append(dm)
    sigma = result.implied_cov.to_numpy()
    S = result.sample_cov.to_numpy()
    d_free = _sigma_derivatives(model, model.mx_diffs)
    d_cand = _sigma_derivatives(model, diffs)
    for n, (lhs, op, rhs, _k, _ij) in enumerate(cands):
        if op == "~":
            d_cand[n] = _regression_derivative(model, lhs, rhs)
    if fiml:
        # the intercepts are free parameters too; expected information of the incomplete data
        p = sigma.shape[0]
        d_free = np.concatenate([d_free, np.zeros((p, p, p))])
        d_mu = np.zeros((d_free.shape[0] + d_cand.shape[0], p))
        d_mu[q_struct : q_struct + p] = np.eye(p)
        patterns = _missing_patterns(result.data.to_numpy(dtype=float))
        info = (
            _fiml_expected_information(patterns, sigma, np.concatenate([d_free, d_cand]), d_mu)
            / result.n
        )
        mu = internals.theta[q_struct:]
        _, g_sigma, _ = _fiml_loglik(sigma, mu, _pattern_moments(patterns, p), grad=True)
        # gradient of the discrepancy (minus the loglikelihood per row), as below
        g = -np.einsum("ij,kij->k", g_sigma, d_cand) / result.n
    else:
        info = _unit_information(sigma, np.concatenate([d_free, d_cand]))
        w = np.linalg.inv(sigma)
        resid = w - w @ S @ w
        g = 0.5 * np.einsum("ij,kji->k", resid, d_cand)
    q = d_free.shape[0]
    i11, i12, i22 = info[:q, :q], info[:q, q:], info[q:, q:]
    v = np.diag(i22) - np.einsum("ij,ij->j", i12, np.linalg.solve(i11, i12))
    # lavaan: V below .Machine$double.eps^(1/3) gives NA (a candidate equivalent to a free
    # parameter, e.g. the reverse of a regression), and NA rows are dropped
    keep = v >= _MI_MIN_V
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.where(keep, result.n * g**2 / v, np.nan)
        epc = np.where(keep, -g / v, np.nan)
    tv = _total_variances(model)
    sepc = []
    for (lhs, op, rhs, k, (i, j)), e in zip(cands, epc, strict=True):
        if op == "=~":
            sepc.append(e * math.sqrt(tv[lhs]) / math.sqrt(tv[rhs]))
        elif op == "~":  # effect of rhs on lhs, scaled by both total standard deviations
            sepc.append(e * math.sqrt(tv[rhs]) / math.sqrt(tv[lhs]))
        else:
            dii, djj = mats[k][i, i], mats[k][j, j]
            sepc.append(e / math.sqrt(dii * djj) if dii > 0 and djj > 0 else np.nan)
    table = pd.DataFrame(
        {
            "lhs": [c[0] for c in cands],
            "op": [c[1] for c in cands],
            "rhs": [c[2] for c in cands],
            "mi": mi,
            "epc": epc,
            "sepc_all": sepc,
            "p": stats.chi2.sf(mi, 1),
        }
    )
    table = table.dropna(subset=["mi"]).sort_values("mi", ascending=False).reset_index(drop=True)
    return table if top is None else table.head(top)
