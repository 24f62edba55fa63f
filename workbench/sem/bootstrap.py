"""Bootstrap of SEM parameters and indirect effects, at parity with lavaan.

:func:`indirect_effects_syntax` labels the structural regressions of a lavaan
model and appends ``:=`` definitions of every indirect effect (each chain
x -> m -> ... -> y), the total indirect and the total effect of each (x, y)
pair. :func:`bootstrap_sem` fits the model once with
:func:`workbench.sem.model.fit_sem` and refits it on resampled rows by warm-started
Fisher scoring on the resample's covariance matrix (one semopy model for the
whole bootstrap), giving bootstrap standard errors and percentile confidence
intervals of the free, standardized and defined parameters, as lavaan's
``sem(..., se = "bootstrap")`` with ``parameterEstimates(boot.ci.type = "perc")``.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.resampling import bootstrap_cross_products, covariances_from_cross_products
from workbench.results import Result, jsonable
from workbench.sem.model import (
    _BETA,
    _LAMBDA,
    _PSI,
    _THETA,
    SEMResult,
    _Internals,
    _raw_values,
    _split_syntax,
    _std_values,
    fit_sem,
)

__all__ = ["SEMBootstrap", "bootstrap_sem", "indirect_effects_syntax"]

Missing = Literal["listwise"]
_MISSING = ("listwise",)
_IDENT = re.compile(r"[A-Za-z.][\w.]*")
_TOL = 1e-7  # max |gradient of F_ML| at convergence (estimates within ~1e-7 of the optimum)
_MAX_ITER = 100
_REFRESH = 4  # iterations between refreshes of the scoring metric


# ----------------------------------------------------------------------------
# Syntax: labels and := definitions of the indirect effects
# ----------------------------------------------------------------------------


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def indirect_effects_syntax(model: str, *, _allow_none: bool = False) -> tuple[str, dict[str, str]]:
    """Label the structural paths of a lavaan model and define its indirect effects.

    Parameters
    ----------
    model : str
        lavaan model syntax. Its regressions (``~``) may be unlabelled
        (``memory ~ esthetics``) or carry a label (``memory ~ a*esthetics``),
        which is kept; a path fixed to a number (``y ~ 0*x``) is refused.
        The model must not already contain ``:=`` definitions.

    Returns
    -------
    syntax : str
        The model with every regression coefficient labelled
        ``b_<outcome>_<predictor>`` and, appended, one ``:=`` line per
        indirect chain (``ind_<x>_<m>..._<y>``), and per (x, y) pair with at
        least one chain the total indirect effect (``indtot_<x>_<y>``) and the
        total effect (``total_<x>_<y>``: direct path, if any, plus the total
        indirect).
    chains : dict of str to str
        Defined name -> display text: ``"x->m->y"`` for a chain,
        ``"x->y (total indirect)"`` and ``"x->y (total)"`` for the totals.

    Raises
    ------
    InputError
        If the model already has ``:=`` definitions, a path is fixed to a
        number, or the structural part has no chain of two or more paths.

    Notes
    -----
    The structural paths form a directed graph (an edge x -> y for each
    ``y ~ x``). Every simple path (no variable visited twice, so feedback
    loops are never followed) with at least one intermediate variable is an
    indirect chain, whose effect is the product of its coefficients,
    :math:`\\prod_k b_k`. The total indirect effect of x on y is the sum over
    its chains; the total effect adds the direct path
    :math:`c' + \\sum_{chains}\\prod b` (Bollen, 1987). Labels are valid lavaan
    labels (letters, digits, ``_`` and ``.``), made unique with a numeric
    suffix when two names would coincide.

    References
    ----------
    Bollen, K. A. (1987). Total, direct, and indirect effects in structural
    equation models. Sociological Methodology, 17, 37-69.
    R: lavaan's ``:=`` operator, e.g. ``ind := a*b`` (lavaan 0.6).

    Examples
    --------
    >>> from workbench.sem.bootstrap import indirect_effects_syntax
    >>> syntax, chains = indirect_effects_syntax("m ~ x\\ny ~ m + x")
    >>> print(syntax)
    m ~ b_m_x*x
    y ~ b_y_m*m + b_y_x*x
    ind_x_m_y := b_m_x*b_y_m
    indtot_x_y := b_m_x*b_y_m
    total_x_y := b_y_x + b_m_x*b_y_m
    >>> chains
    {'ind_x_m_y': 'x->m->y', 'indtot_x_y': 'x->y (total indirect)', 'total_x_y': 'x->y (total)'}
    """
    return _indirect_syntax(model, allow_none=False)


def _indirect_syntax(model: str, *, allow_none: bool) -> tuple[str, dict[str, str]]:
    """:func:`indirect_effects_syntax`; with allow_none, a model without chains is returned as is."""
    if not isinstance(model, str) or not model.strip():
        raise InputError("The model syntax is empty.", hint="Write e.g. 'm ~ x\\ny ~ m + x'.")
    body, defined = _split_syntax(model)
    if defined:
        raise InputError(
            "The model already has ':=' definitions; indirect_effects_syntax writes its own.",
            hint="Remove the ':=' lines, or pass the model with its definitions to "
            "bootstrap_sem(..., chains=...) directly.",
        )
    taken = set(re.findall(r"[A-Za-z_.][\w.]*", body))
    edges: dict[tuple[str, str], str] = {}  # (predictor, outcome) -> label
    out_lines: list[str] = []
    for line in body.splitlines():
        m = re.fullmatch(r"\s*([A-Za-z_.][\w.]*)\s*~(?![~1=])\s*(.+)", line)
        if not m or "=~" in line:
            out_lines.append(line)
            continue
        lhs, rhs = m.group(1), m.group(2)
        terms = []
        for term in (t.strip() for t in rhs.split("+")):
            if "*" in term:
                mod, var = (s.strip() for s in term.rsplit("*", 1))
                if not _IDENT.fullmatch(mod):
                    raise InputError(
                        f"The path '{lhs} ~ {term}' is fixed or modified ('{mod}'); "
                        "indirect_effects_syntax needs free, unlabelled or labelled paths.",
                        hint="Free the path, or write the ':=' definitions yourself.",
                    )
                label = mod if mod != "NA" else _unique(f"b_{lhs}_{var}", taken)
            else:
                var = term
                label = _unique(f"b_{lhs}_{var}", taken)
            if var == "1":  # intercept
                terms.append(term)
                continue
            edges[(var, lhs)] = label
            terms.append(f"{label}*{var}")
        out_lines.append(f"{lhs} ~ {' + '.join(terms)}")
    succ: dict[str, list[str]] = {}
    order: dict[str, int] = {}
    for x, y in edges:
        succ.setdefault(x, []).append(y)
        order.setdefault(x, len(order))
        order.setdefault(y, len(order))

    chains_by_pair: dict[tuple[str, str], list[list[str]]] = {}

    def walk(path: list[str]) -> None:
        for nxt in succ.get(path[-1], []):
            if nxt in path:
                continue  # no cycles
            new = [*path, nxt]
            if len(new) >= 3:
                chains_by_pair.setdefault((new[0], nxt), []).append(new)
            walk(new)

    for x in sorted(succ, key=order.__getitem__):
        walk([x])
    if not chains_by_pair:
        if allow_none:
            return model, {}
        raise InputError(
            "The structural part has no indirect effect (no chain x -> m -> y of regressions).",
            hint="Add the mediating paths, e.g. 'memory ~ esthetics' and 'loyalty ~ memory'.",
        )
    defs: list[str] = []
    chains: dict[str, str] = {}
    for (x, y), paths in sorted(
        chains_by_pair.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])
    ):
        products = []
        for path in paths:
            prod = "*".join(edges[(a, b)] for a, b in itertools.pairwise(path))
            name = _unique("ind_" + "_".join(path), taken)
            defs.append(f"{name} := {prod}")
            chains[name] = "->".join(path)
            products.append(prod)
        tot = " + ".join(products)
        name = _unique(f"indtot_{x}_{y}", taken)
        defs.append(f"{name} := {tot}")
        chains[name] = f"{x}->{y} (total indirect)"
        name = _unique(f"total_{x}_{y}", taken)
        direct = f"{edges[(x, y)]} + " if (x, y) in edges else ""
        defs.append(f"{name} := {direct}{tot}")
        chains[name] = f"{x}->{y} (total)"
    return "\n".join(out_lines + defs), chains


# ----------------------------------------------------------------------------
# Fast refits: Fisher scoring on a covariance matrix, one semopy model
# ----------------------------------------------------------------------------


class _Scorer:
    """ML Fisher scoring on semopy's matrices with vectorized derivatives.

    dSigma/dtheta_k is a sum of symmetric rank-2 terms ``c (a b' + b a')``
    (see ``workbench.sem.model._sigma_derivatives``), built at once for all
    parameters from the nonzero entries of semopy's ``mx_diffs``.
    """

    def __init__(self, sem: Any, fixed_x: list[tuple[int, int, int, int]]) -> None:
        self.sem = sem
        self.fixed_x = fixed_x  # (psi i, psi j, observed i, observed j)
        self.p = sem.matrices[_LAMBDA].shape[0]
        self.m = sem.matrices[_BETA].shape[0]
        p, m = self.p, self.m
        par, a_idx, b_idx, coef = [], [], [], []
        for k, dm in enumerate(sem.mx_diffs):
            for mat in (_BETA, _LAMBDA, _PSI, _THETA):
                d = dm[mat]
                if d is None:
                    continue
                for i, j in np.argwhere(d):
                    v = float(d[i, j])
                    if mat == _LAMBDA:  # e_i Dm_j' + Dm_j e_i'
                        a, b, c = i, p + m + j, v
                    elif mat == _BETA:  # M_i Dm_j' + Dm_j M_i'
                        a, b, c = p + i, p + m + j, v
                    elif mat == _PSI:  # M_i M_j' (symmetrized)
                        a, b, c = p + i, p + j, 0.5 * v
                    else:  # e_i e_j' (symmetrized)
                        a, b, c = i, j, 0.5 * v
                    par.append(k)
                    a_idx.append(a)
                    b_idx.append(b)
                    coef.append(c)
        self.q = len(sem.mx_diffs)
        self.a_idx = np.asarray(a_idx)
        self.b_idx = np.asarray(b_idx)
        self.coef = np.asarray(coef)
        self.group = np.zeros((self.q, len(par)))
        self.group[par, np.arange(len(par))] = 1.0
        self.eye_p = np.identity(p)
        self.eye_m = np.identity(m)

    def set_fixed_x(self, S: np.ndarray) -> None:
        psi = self.sem.matrices[_PSI]
        for i, j, oi, oj in self.fixed_x:
            psi[i, j] = psi[j, i] = S[oi, oj]

    def _parts(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.sem.update_matrices(x)
        beta, lamb, psi, theta = self.sem.matrices[:4]
        c = np.linalg.inv(self.eye_m - beta)
        mm = lamb @ c
        dm = c @ psi @ mm.T  # inner x observed
        sigma = lamb @ dm + theta
        return sigma, mm, dm

    def _pool(self, mm: np.ndarray, dm: np.ndarray) -> np.ndarray:
        return np.vstack([self.eye_p, mm.T, dm])

    def information(self, x: np.ndarray) -> np.ndarray:
        """Expected information of F_ML at x: tr(W dSigma_k W dSigma_l)."""
        sigma, mm, dm = self._parts(x)
        w = np.linalg.inv(sigma)
        pool = self._pool(mm, dm)
        a = pool[self.a_idx] * self.coef[:, None]
        b = pool[self.b_idx]
        outer = a[:, :, None] * b[:, None, :]
        d_ent = outer + outer.transpose(0, 2, 1)
        derivs = (self.group @ d_ent.reshape(len(a), -1)).reshape(self.q, self.p, self.p)
        wd = np.matmul(w, derivs)
        return wd.reshape(self.q, -1) @ wd.transpose(0, 2, 1).reshape(self.q, -1).T

    def _state(self, x: np.ndarray, S: np.ndarray) -> tuple[float, Any]:
        """F_ML (up to a constant) at x, and what the gradient needs."""
        sigma, mm, dm = self._parts(x)
        try:
            chol = linalg.cho_factor(sigma, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return np.inf, None
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol[0]))))
        ws = linalg.cho_solve(chol, S, check_finite=False)
        f = logdet + float(np.trace(ws))
        return f, (chol, ws, mm, dm)

    def _gradient(self, state: Any) -> np.ndarray:
        chol, ws, mm, dm = state
        w = linalg.cho_solve(chol, self.eye_p, check_finite=False)
        resid = w - ws @ w  # W - W S W
        pool = self._pool(mm, dm)
        # tr(R (a b' + b a')) = 2 b' R a for each entry, summed per parameter
        ra = pool[self.a_idx] @ resid
        g_ent = 2.0 * self.coef * np.einsum("ei,ei->e", ra, pool[self.b_idx])
        return self.group @ g_ent

    def fit(self, x0: np.ndarray, S: np.ndarray, info_chol: Any) -> tuple[np.ndarray, bool, int]:
        """Scoring with step halving from x0; returns (x, converged, iterations).

        The metric is the expected information at the full-sample estimates
        (``info_chol``), refreshed at the current point when a step had to be
        halved or every 10 iterations: near the optimum this is Fisher scoring.
        """
        x = x0.copy()
        f, state = self._state(x, S)
        if state is None:
            return x, False, 0
        for it in range(_MAX_ITER):
            grad = self._gradient(state)
            if np.max(np.abs(grad)) < _TOL:
                return x, True, it
            try:
                step = -linalg.cho_solve(info_chol, grad, check_finite=False)
            except (linalg.LinAlgError, ValueError):
                step = -grad
            t = 1.0
            while t > 1e-6:
                f_new, state_new = self._state(x + t * step, S)
                if f_new <= f + 1e-14:
                    break
                t /= 2
            else:
                return x, False, it
            x, f, state = x + t * step, f_new, state_new
            if t < 1.0 or it % _REFRESH == _REFRESH - 1:
                try:
                    info_chol = linalg.cho_factor(self.information(x), check_finite=False)
                except linalg.LinAlgError:
                    return x, False, it
        return x, False, _MAX_ITER


# ----------------------------------------------------------------------------
# Percentile intervals (lavaan / boot::norm.inter)
# ----------------------------------------------------------------------------


def _norm_inter(t: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Quantiles of the draws t as boot's ``norm.inter`` (lavaan's percentile CI).

    With R finite draws sorted, the alpha quantile is the ``(R+1) alpha``-th
    order statistic, interpolated on the normal quantile scale between the two
    neighbouring order statistics when ``(R+1) alpha`` is not an integer.
    """
    t = np.sort(t[np.isfinite(t)])
    r = t.size
    out = np.full(alpha.shape, np.nan)
    if r == 0:
        return out
    rk = (r + 1) * alpha
    k = np.trunc(rk).astype(int)
    for n_, (rk_, k_, a_) in enumerate(zip(rk, k, alpha, strict=True)):
        if k_ == rk_ and 0 < k_ <= r:
            out[n_] = t[k_ - 1]
        elif k_ <= 0:
            out[n_] = t[0]
        elif k_ >= r:
            out[n_] = t[-1]
        else:
            z1 = stats.norm.ppf(a_)
            z2 = stats.norm.ppf(k_ / (r + 1))
            z3 = stats.norm.ppf((k_ + 1) / (r + 1))
            tk, tk1 = t[k_ - 1], t[k_]
            out[n_] = tk + (z1 - z2) / (z3 - z2) * (tk1 - tk)
    return out


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SEMBootstrap(Result):
    """Bootstrap of a fitted SEM: SEs and percentile CIs, raw and standardized.

    Attributes
    ----------
    fit_result : SEMResult
        The full-sample fit (point estimates, delta-method SEs, fit indices).
    table : pandas.DataFrame
        One row per parameter of ``fit_result.estimates`` (same order, defined
        parameters last): ``lhs, op, rhs, label, estimate`` (full sample),
        ``boot_se`` (standard deviation of the draws, divisor R - 1; NaN for
        fixed parameters), ``ci_low, ci_high`` (percentile interval; equal to
        the estimate for fixed parameters, as lavaan), ``std_all`` (full
        sample), ``std_boot_se``, ``std_ci_low, std_ci_high`` (percentile
        interval of the standardized draws).
    defined : pandas.DataFrame
        One row per ``:=`` parameter: ``name, chain, kind`` (``indirect``,
        ``total_indirect``, ``total`` or ``defined``), ``expression,
        estimate, se`` (delta method), ``boot_se, ci_low, ci_high, std_all,
        std_boot_se, std_ci_low, std_ci_high``.
    chains : dict
        Defined name -> display text (``"x->m->y"``).
    n_boot : int
        Resamples drawn.
    n_failed : int
        Resamples whose refit did not converge (dropped, as lavaan does).
    seed : int
        Seed of the numpy Generator that drew the resamples.
    ci : float
        Confidence level of the intervals.
    draws, std_draws, defined_draws, std_defined_draws : pandas.DataFrame
        The converged draws (index: resample number, 0-based): free
        parameters (columns ``lhs op rhs``), standardized values of every
        row, defined parameters and their standardized values.
    iterations : numpy.ndarray
        Fisher-scoring iterations of each resample.
    seconds : float
        Wall time of the bootstrap (excluding the full-sample fit).
    warning_messages : tuple of str
        The full-sample fit's warnings plus failed resamples.
    """

    fit_result: SEMResult
    table: pd.DataFrame
    defined: pd.DataFrame
    chains: dict[str, str]
    n_boot: int
    n_failed: int
    seed: int
    ci: float
    draws: pd.DataFrame = dataclasses.field(repr=False)
    std_draws: pd.DataFrame = dataclasses.field(repr=False)
    defined_draws: pd.DataFrame = dataclasses.field(repr=False)
    std_defined_draws: pd.DataFrame = dataclasses.field(repr=False)
    iterations: np.ndarray = dataclasses.field(repr=False, compare=False)
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()

    @property
    def model(self) -> Any:
        """The semopy model of the full-sample fit, for drill-down."""
        return self.fit_result.model

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (see ``table``)."""
        return self.table.copy()

    def summary(self) -> str:
        pct = f"{self.ci:.0%}"
        lines = [
            f"SEM bootstrap: {self.n_boot} resamples (seed {self.seed}), "
            f"{self.n_boot - self.n_failed} converged, {self.n_failed} failed; "
            f"n = {self.fit_result.n}",
            f"Defined effects ({pct} percentile CI):",
            self.defined[
                ["chain", "estimate", "boot_se", "ci_low", "ci_high", "std_all"]
            ].to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``{indirect: {chain: {estimate, ci_low, ci_high, ...}}, n_boot, ...}``.

        ``indirect`` is keyed by the chain text (``"x->m->y"``), the shape of
        ``sem.indirect`` in the experience-economy study's results.json.
        """
        cols = ["estimate", "ci_low", "ci_high", "boot_se", "std_all", "std_ci_low", "std_ci_high"]
        indirect = {row["chain"]: {c: row[c] for c in cols} for _, row in self.defined.iterrows()}
        return jsonable(
            {
                "indirect": indirect,
                "n_boot": self.n_boot,
                "n_failed": self.n_failed,
                "seed": self.seed,
                "ci": self.ci,
                "ci_type": "percentile",
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------
# Bootstrap
# ----------------------------------------------------------------------------


def _fixed_x(internals: _Internals) -> list[tuple[int, int, int, int]]:
    sem = internals.model
    observed = list(sem.vars["observed"])
    out = []
    for r in internals.rows:
        if (
            r["matrix"] == _PSI
            and r["free_index"] < 0
            and r["row_var"] in observed
            and r["col_var"] in observed
        ):
            i, j = r["indices"]
            out.append((i, j, observed.index(r["row_var"]), observed.index(r["col_var"])))
    return out


def _kind(name: str, chains: Mapping[str, str]) -> str:
    text = chains.get(name, "")
    if text.endswith("(total indirect)"):
        return "total_indirect"
    if text.endswith("(total)"):
        return "total"
    if "->" in text:
        return "indirect"
    return "defined"


def bootstrap_sem(
    data: pd.DataFrame,
    model: str,
    *,
    n_boot: int = 1000,
    seed: int = 2026,
    ci: float = 0.95,
    missing: Missing = "listwise",
    chains: Mapping[str, str] | None = None,
) -> SEMBootstrap:
    """Nonparametric bootstrap of an SEM, its standardized solution and indirect effects.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (missing values as NaN).
    model : str
        lavaan model syntax. If it has no ``:=`` definitions, the indirect
        effects are added by :func:`indirect_effects_syntax` (a model
        without chains, e.g. a CFA, is bootstrapped as it is); otherwise its
        own definitions are bootstrapped as written.
    n_boot : int
        Number of resamples (lavaan ``bootstrap = 1000``).
    seed : int
        Seed of the ``numpy.random.default_rng`` that draws the resamples.
    ci : float
        Confidence level of the percentile intervals, in (0, 1).
    missing : {"listwise"}
        Rows with a missing model variable are dropped before resampling
        (lavaan's default). FIML bootstrap is not implemented.
    chains : mapping of str to str, optional
        Display text of the model's own ``:=`` parameters (defaults to the
        name); ignored when the definitions are generated.

    Returns
    -------
    SEMBootstrap
        Bootstrap SEs and percentile CIs of every parameter (``table``) and
        defined effect (``defined``), the draws, and the full-sample fit.

    Raises
    ------
    ValueError
        For ``missing`` other than ``"listwise"``, ``n_boot < 2`` or ``ci``
        outside (0, 1).
    InputError
        As :func:`workbench.sem.model.fit_sem`, or :func:`indirect_effects_syntax`.

    Notes
    -----
    The model is fitted once by :func:`workbench.sem.model.fit_sem` (ML). Each
    resample draws N rows with replacement from the N complete rows; its
    covariance matrix :math:`S^*` (divisor N, computed from the resample's row
    counts, :mod:`workbench.resampling`) is fitted by Fisher scoring
    started at the full-sample estimates :math:`\\hat\\theta`,
    :math:`\\theta \\leftarrow \\theta + t\\,I(\\theta)^{-1}(-g(\\theta))` with
    :math:`g_k = \\operatorname{tr}[(\\Sigma^{-1} - \\Sigma^{-1}S^*\\Sigma^{-1})
    \\partial_k\\Sigma]` and :math:`I_{kl} = \\operatorname{tr}[\\Sigma^{-1}
    \\partial_k\\Sigma\\,\\Sigma^{-1}\\partial_l\\Sigma]`, step halving on
    :math:`F_{ML}`, until :math:`\\max|g| < 10^{-7}` (estimates within about
    1e-7 of the optimum; the metric :math:`I` is the full-sample one, refreshed
    every 4 iterations), at most 100 iterations. Variances and covariances of observed
    exogenous predictors (lavaan ``fixed.x``) are reset to :math:`S^*`.
    Resamples that do not converge (or whose :math:`S^*` is singular) are
    dropped, as lavaan does, and counted in ``n_failed`` and the warnings.

    From the R converged draws :math:`\\theta^*_r`: ``boot_se`` is their
    standard deviation (divisor R - 1, lavaan's ``cov(BOOT)``); the
    percentile interval at level :math:`1-\\alpha` takes the
    :math:`(R+1)\\alpha/2`-th and :math:`(R+1)(1-\\alpha/2)`-th order
    statistics, interpolated on the normal scale (``boot::norm.inter``, used
    by lavaan's ``parameterEstimates(boot.ci.type = "perc")``). Defined
    parameters are evaluated on each draw (lavaan's ``def.function``), and
    ``std_*`` columns come from the standardized solution (``std.all``) of
    each draw, defined parameters included (lavaan's
    ``standardizedSolution``, whose own SEs for bootstrap fits are delta-method
    ones: ours are the draws' percentile intervals).

    The draws cannot equal lavaan's (different random numbers): SEs and CI
    limits agree within Monte-Carlo error, about :math:`1/\\sqrt{2R}` relative
    for an SE (2% at R = 1000) and a few percent of an SE for a limit.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap.
    Chapman & Hall. Davison, A. C., & Hinkley, D. V. (1997). Bootstrap methods
    and their application. Cambridge University Press (``boot::norm.inter``).
    Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling
    strategies for assessing and comparing indirect effects in multiple
    mediator models. Behavior Research Methods, 40(3), 879-891.
    R: ``lavaan::sem(model, data, se = "bootstrap", bootstrap = 1000)``,
    ``parameterEstimates(fit, boot.ci.type = "perc")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.bootstrap import bootstrap_sem
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> model = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9\\n"
    >>> model += "textual ~ visual\\nspeed ~ textual"
    >>> boot = bootstrap_sem(hs, model, n_boot=50, seed=1)
    >>> boot.defined["chain"].tolist()
    ['visual->textual->speed', 'visual->speed (total indirect)', 'visual->speed (total)']
    >>> row = boot.defined.iloc[0]
    >>> round(float(row["estimate"]), 3), bool(row["ci_low"] < row["estimate"] < row["ci_high"])
    (0.096, True)
    """
    if missing not in _MISSING:
        raise ValueError(
            f"missing must be one of {_MISSING} (FIML bootstrap is not implemented), "
            f"got {missing!r}"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if isinstance(ci, bool) or not isinstance(ci, (int, float)) or not 0 < ci < 1:
        raise ValueError(f"ci must be a confidence level between 0 and 1, e.g. 0.95, got {ci!r}")
    if not isinstance(model, str):
        raise InputError("The model must be lavaan syntax (a string).")
    _, own_defs = _split_syntax(model)
    if own_defs:
        syntax, chain_text = model, {name: name for name, _ in own_defs}
        chain_text.update(chains or {})
    else:
        syntax, chain_text = _indirect_syntax(model, allow_none=True)
    res = fit_sem(data, syntax, missing=missing)
    start = time.perf_counter()
    internals: _Internals = res._internals
    sem = internals.model
    theta = internals.theta.copy()
    X = res.data.to_numpy()
    n = X.shape[0]
    fixed_x = _fixed_x(internals)
    saved = [m.copy() for m in sem.matrices[:4]]
    saved_vals = np.array(sem.param_vals, copy=True)
    scorer = _Scorer(sem, fixed_x)
    try:
        info_chol = linalg.cho_factor(scorer.information(theta), check_finite=False)
    except linalg.LinAlgError as exc:
        raise InputError(
            "The information matrix of the full-sample fit is singular: the model is probably "
            "not identified, so it cannot be bootstrapped.",
            hint="Fix the identification problem reported by fit_sem first.",
        ) from exc
    rng = np.random.default_rng(seed)
    n_rows = len(internals.rows)
    free_rows = [r["free_index"] >= 0 for r in internals.rows]
    ok = np.zeros(n_boot, dtype=bool)
    iters = np.zeros(n_boot, dtype=int)
    xs = np.full((n_boot, theta.size), np.nan)
    raw = np.full((n_boot, n_rows + len(internals.defined)), np.nan)
    std = np.full_like(raw, np.nan)
    # each resample's S* from its cross-products (no resampled copy of the rows; the
    # draws are those of indexing X with rng.integers(0, n, size=n), resample by resample)
    centred = X - X.mean(axis=0)
    start = 0
    try:
        for sums, cross in bootstrap_cross_products(centred, rng, n_boot):
            covs = covariances_from_cross_products(sums, cross, n, ddof=0)
            with single_threaded_blas():  # tiny matrices: BLAS threads only add contention
                for b, S in enumerate(covs, start=start):
                    if np.linalg.eigvalsh(S)[0] <= 1e-10 * max(1.0, float(np.trace(S))):
                        continue
                    scorer.set_fixed_x(S)
                    x, converged, iters[b] = scorer.fit(theta, S, info_chol)
                    if not converged:
                        continue
                    with np.errstate(all="ignore"):
                        raw[b] = _raw_values(internals, x)
                        std[b] = _std_values(internals, x)
                    xs[b] = x
                    ok[b] = True
            start += len(covs)
    finally:
        for m_, s_ in zip(sem.matrices[:4], saved, strict=True):
            m_[...] = s_
        sem.param_vals = saved_vals
    n_failed = int(n_boot - ok.sum())
    xs, raw, std = xs[ok], raw[ok], std[ok]

    alpha = np.array([(1 - ci) / 2, (1 + ci) / 2])
    est = res.estimates
    free = np.array(free_rows + [True] * len(internals.defined))
    estimate = est["estimate"].to_numpy()

    def summarize(values: np.ndarray, mask: np.ndarray, center: np.ndarray) -> tuple:
        with np.errstate(invalid="ignore"):
            se = (
                np.nanstd(values, axis=0, ddof=1) if len(values) > 1 else np.full(len(mask), np.nan)
            )
        lims = np.array([_norm_inter(values[:, k], alpha) for k in range(values.shape[1])])
        if lims.size == 0:
            lims = np.full((len(mask), 2), np.nan)
        lo = np.where(mask, lims[:, 0], center)
        hi = np.where(mask, lims[:, 1], center)
        return np.where(mask, se, np.nan), lo, hi

    boot_se, ci_low, ci_high = summarize(raw, free, estimate)
    std_all = est["std_all"].to_numpy()
    std_var = np.ones(len(free), dtype=bool)
    std_se, std_lo, std_hi = summarize(std, std_var, std_all)
    std_se = np.where(std_se < 1e-10, np.nan, std_se)  # constant (e.g. 1.0): no SE, as lavaan
    table = pd.DataFrame(
        {
            "lhs": est["lhs"],
            "op": est["op"],
            "rhs": est["rhs"],
            "label": est["label"],
            "estimate": estimate,
            "boot_se": boot_se,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "std_all": std_all,
            "std_boot_se": std_se,
            "std_ci_low": std_lo,
            "std_ci_high": std_hi,
        }
    )
    d_rows = table[est["op"].to_numpy() == ":="]
    names = d_rows["lhs"].tolist()
    defined = pd.DataFrame(
        {
            "name": names,
            "chain": [chain_text.get(nm, nm) for nm in names],
            "kind": [_kind(nm, chain_text) for nm in names],
            "expression": d_rows["rhs"].tolist(),
            "estimate": d_rows["estimate"].to_numpy(),
            "se": est.loc[d_rows.index, "se"].to_numpy(),
            "boot_se": d_rows["boot_se"].to_numpy(),
            "ci_low": d_rows["ci_low"].to_numpy(),
            "ci_high": d_rows["ci_high"].to_numpy(),
            "std_all": d_rows["std_all"].to_numpy(),
            "std_boot_se": d_rows["std_boot_se"].to_numpy(),
            "std_ci_low": d_rows["std_ci_low"].to_numpy(),
            "std_ci_high": d_rows["std_ci_high"].to_numpy(),
        }
    )
    resample = np.flatnonzero(ok)
    keys = [f"{r}{o}{h}" for r, o, h in zip(est["lhs"], est["op"], est["rhs"], strict=True)]
    free_cols = [""] * theta.size
    for k, r in enumerate(internals.rows):
        if r["free_index"] >= 0 and not free_cols[r["free_index"]]:
            free_cols[r["free_index"]] = keys[k]
    n_def = len(internals.defined)
    warn = list(res.warnings)
    if n_failed:
        warn.append(
            f"{n_failed} of {n_boot} bootstrap resamples did not converge (or had a singular "
            f"covariance matrix) and were dropped, as lavaan does: SEs and CIs use the "
            f"{n_boot - n_failed} converged resamples."
        )
    if 2 <= n_boot - n_failed < 200:
        warn.append(
            f"Only {n_boot - n_failed} converged resamples: percentile limits are unstable; "
            "use at least 1,000 (5,000 for publication)."
        )
    if len(resample) < 2:
        warn.append("Fewer than two converged resamples: no bootstrap SEs or CIs.")
    neg = [
        keys[k]
        for k, r in enumerate(internals.rows)
        if r["op"] == "~~" and r["lhs"] == r["rhs"] and raw.size and np.any(raw[:, k] < 0)
    ]
    if neg:
        warn.append(
            f"Negative variance estimates (Heywood cases) in some resamples: {', '.join(neg)}; "
            "those resamples are kept (not screened for admissibility)."
        )
    return SEMBootstrap(
        fit_result=res,
        table=table,
        defined=defined,
        chains=dict(chain_text),
        n_boot=int(n_boot),
        n_failed=n_failed,
        seed=int(seed),
        ci=float(ci),
        draws=pd.DataFrame(xs, index=resample, columns=free_cols),
        std_draws=pd.DataFrame(std[:, :n_rows], index=resample, columns=keys[:n_rows]),
        defined_draws=pd.DataFrame(raw[:, n_rows:], index=resample, columns=names[:n_def]),
        std_defined_draws=pd.DataFrame(std[:, n_rows:], index=resample, columns=names[:n_def]),
        iterations=iters,
        seconds=time.perf_counter() - start,
        warning_messages=tuple(warn),
    )
