"""Ordinal CFA by WLSMV (DWLS with robust inference), at parity with lavaan 0.6.

Likert items are ordered categories, not interval scores. lavaan's answer, and Mplus's, is
to model each item as a cut-up normal variable: :mod:`workbench.sem.ordinal_stats`
estimates the items' thresholds and polychoric correlations with their asymptotic
covariance matrix :math:`\\Gamma`, and :func:`fit_ordinal_cfa` fits the factor model to them
by diagonally weighted least squares (DWLS), with sandwich standard errors, the
scaled-and-shifted (or mean-and-variance adjusted) chi-square and lavaan's plain, scaled and
robust fit indices: ``lavaan::cfa(model, data, ordered = TRUE, estimator = "WLSMV")``.

The model is written in LISREL form (``_LisrelModel``: :math:`\\Lambda`, :math:`B`,
:math:`\\Psi`, thresholds) with its model-implied moments and their derivatives, so that
structural paths (:math:`B`), residual covariances, the theta parameterization and several
groups can be added without changing the estimator; :func:`fit_ordinal_cfa` builds
first-order CFAs (each item on one factor, correlated factors) in the delta
parameterization, and :func:`workbench.sem.ordinal_sem.fit_ordinal_sem` structural models
(latent regressions, second-order factors, defined effects; delta or theta) on the same
machinery.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings
from workbench.sem.model import cfa_syntax
from workbench.sem.ordinal_stats import OrdinalSampleStats, ordinal_sample_statistics

__all__ = ["OrdinalCFAResult", "fit_ordinal_cfa"]

Estimator = Literal["WLSMV", "DWLS", "ULSMV", "ULS"]
Test = Literal["scaled.shifted", "mean.var.adjusted", "standard"]
Parameterization = Literal["delta", "theta"]

_ESTIMATORS = ("WLSMV", "DWLS", "ULSMV", "ULS")
_TESTS = ("scaled.shifted", "mean.var.adjusted", "standard")
_PARAMETERIZATIONS = ("delta", "theta")
_MAX_ITER = 500
_NEWTON_AFTER = 30  # Gauss-Newton iterations before Newton steps are tried in any case
_NEWTON_NEAR = 1e-4  # ... or once a Gauss-Newton step lowers F by less than this fraction
_STEP_TOL = 1e-11  # convergence: largest Gauss-Newton step
_PD_TOL = math.sqrt(np.finfo(float).eps)  # lavaan's check that the polychoric matrix is PD
_RMSEA_CLOSE, _RMSEA_NOTCLOSE = 0.05, 0.08


# ----------------------------------------------------------------------------
# The model: parameter table and LISREL matrices
# ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Param:
    """A row of the parameter table (lavaan's ``parTable``)."""

    lhs: str
    op: str
    rhs: str
    kind: str  # lambda, beta, psi, theta, tau, nu, resvar (derived), scale, mean
    row: int
    col: int
    free: int  # index in the parameter vector, -1 if fixed or derived
    value: float  # fixed value, or start value of a free parameter


class _LisrelModel:
    """A single-group LISREL model for ordered indicators, delta parameterization.

    Latent variables :math:`\\eta = B\\eta + \\zeta`, :math:`\\mathrm{Cov}(\\zeta) = \\Psi`;
    latent responses :math:`y^* = \\Lambda\\eta + \\epsilon`; item :math:`i` answers
    category :math:`c` when :math:`\\tau_{i,c-1} < y^*_i \\le \\tau_{ic}`. With means of
    zero and :math:`\\mathrm{diag}(\\Sigma^*) = 1` (delta parameterization) the implied
    moments are the thresholds :math:`\\tau` and the correlations

    .. math:: \\Sigma^* = \\Lambda (I - B)^{-1} \\Psi (I - B)^{-T} \\Lambda' + \\Theta,
              \\quad \\Theta_{ii} = 1 - [\\Lambda (I - B)^{-1} \\Psi (I - B)^{-T}
              \\Lambda']_{ii}.
    """

    def __init__(
        self,
        items: Sequence[str],
        factors: Sequence[str],
        params: list[_Param],
        n_th: int,
        pair_i: np.ndarray,
        pair_j: np.ndarray,
        var_item: np.ndarray | None = None,
    ) -> None:
        self.items = list(items)
        self.factors = list(factors)
        self.params = params
        self.n_th = n_th
        self.pair_i, self.pair_j = pair_i, pair_j
        # continuous items: their variances follow the thresholds in the statistics, and
        # their residual variances are free (the ordered items' are 1 - communality)
        self.var_item = np.zeros(0, dtype=np.intp) if var_item is None else var_item
        self.n_var = int(self.var_item.size)
        self._ordered_diag = np.setdiff1d(np.arange(len(items)), self.var_item)
        self._mom_i = np.concatenate([self.var_item, pair_i])
        self._mom_j = np.concatenate([self.var_item, pair_j])
        self.free = [q for q in params if q.free >= 0]
        self.free.sort(key=lambda q: q.free)
        self.npar = len(self.free)
        p, m = len(items), len(factors)
        self.p, self.m = p, m
        self._lam = np.zeros((p, m))
        self._beta = np.zeros((m, m))
        self._psi = np.zeros((m, m))
        self._theta = np.zeros((p, p))
        self._tau = np.zeros(n_th)
        for q in params:
            if q.free < 0 and q.kind in ("lambda", "beta", "psi", "theta", "tau", "nu"):
                self._place(q.kind, np.array([q.row]), np.array([q.col]), np.array([q.value]))
        # where each kind of free parameter goes: (positions in x, rows, columns)
        self._where = {}
        for kind in ("lambda", "beta", "psi", "theta", "tau", "nu"):
            ks = [k for k, q in enumerate(self.free) if q.kind == kind]
            self._where[kind] = (
                np.array(ks, dtype=np.intp),
                np.array([self.free[k].row for k in ks], dtype=np.intp),
                np.array([self.free[k].col for k in ks], dtype=np.intp),
            )

    def _place(self, kind: str, rows: np.ndarray, cols: np.ndarray, v: np.ndarray) -> None:
        if kind == "lambda":
            self._lam[rows, cols] = v
        elif kind == "beta":
            self._beta[rows, cols] = v
        elif kind == "psi":
            self._psi[rows, cols] = v
            self._psi[cols, rows] = v
        elif kind == "theta":
            self._theta[rows, cols] = v
            self._theta[cols, rows] = v
        elif kind == "nu":  # a continuous item's intercept: its statistic is minus the mean
            self._tau[rows] = -v
        else:
            self._tau[rows] = v

    def start(self) -> np.ndarray:
        return np.array([q.value for q in self.free])

    def matrices(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Lambda, B, Psi, Theta (off-diagonal), tau at ``x``; A = (I - B)^-1, Phi = Cov(eta)."""
        for kind, (ks, rows, cols) in self._where.items():
            if ks.size:
                self._place(kind, rows, cols, x[ks])
        if self._where["beta"][0].size:
            a = np.linalg.inv(np.eye(self.m) - self._beta)
        else:
            a = np.eye(self.m)
        phi = a @ self._psi @ a.T
        return {
            "lambda": self._lam.copy(),
            "beta": self._beta.copy(),
            "psi": self._psi.copy(),
            "theta": self._theta.copy(),
            "tau": self._tau.copy(),
            "a": a,
            "phi": phi,
        }

    def implied(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied thresholds (minus the intercepts of continuous items) and the
        latent-response covariance matrix (unit diagonal for the ordered items)."""
        mx = self.matrices(x)
        lam = mx["lambda"]
        sigma = lam @ mx["phi"] @ lam.T + mx["theta"]
        d = self._ordered_diag
        sigma[d, d] = 1.0
        return mx["tau"], sigma

    def moments(self, x: np.ndarray) -> np.ndarray:
        """The implied statistics in lavaan's order: thresholds, continuous items'
        variances, then correlations (covariances with continuous items)."""
        tau, sigma = self.implied(x)
        return np.concatenate([tau, sigma[self._mom_i, self._mom_j]])

    # True when a threshold's implied value depends on other parameters (theta
    # parameterization); the Newton Hessian then differentiates the threshold columns too
    nonlinear_thresholds = False

    def jacobian(
        self, x: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """Delta: derivatives of :meth:`moments` with respect to the free parameters.

        ``pairs`` (rows, columns) replaces the correlations' pairs, e.g. to include the
        diagonal of :math:`\\Sigma^*` (used by the theta parameterization).

        With :math:`M = \\Lambda A`, :math:`A = (I - B)^{-1}`, :math:`\\Phi = A \\Psi A'`:
        :math:`\\partial\\Sigma/\\partial\\lambda_{if} = e_i (\\Phi\\Lambda')_{f\\cdot} +
        (\\Lambda\\Phi)_{\\cdot f} e_i'`, :math:`\\partial\\Sigma/\\partial\\psi_{fg} = M_{\\cdot
        f} M_{\\cdot g}' + M_{\\cdot g} M_{\\cdot f}'` (once if :math:`f = g`),
        :math:`\\partial\\Sigma/\\partial\\beta_{fg} = M_{\\cdot f}(\\Lambda\\Phi)_{\\cdot g}'
        + (\\Lambda\\Phi)_{\\cdot g} M_{\\cdot f}'`, :math:`\\partial\\Sigma_{ik} / \\partial
        \\theta_{ik} = 1`; each threshold moves only itself.
        """
        mx = self.matrices(x)
        lam, phi = mx["lambda"], mx["phi"]
        mm = lam @ mx["a"]
        lphi = lam @ phi
        pair_i, pair_j = (self._mom_i, self._mom_j) if pairs is None else pairs
        pi, pj = pair_i[:, None], pair_j[:, None]
        out = np.zeros((self.n_th + pair_i.size, self.npar))
        cor = out[self.n_th :]
        ks, rows, cols = self._where["tau"]
        out[rows, ks] = 1.0
        ks, rows, cols = self._where["nu"]
        out[rows, ks] = -1.0
        ks, rows, cols = self._where["lambda"]
        if ks.size:
            cor[:, ks] = (pi == rows) * lphi[pj, cols] + (pj == rows) * lphi[pi, cols]
        ks, rows, cols = self._where["psi"]
        if ks.size:
            twice = rows != cols
            cor[:, ks] = mm[pi, rows] * mm[pj, cols] + twice * mm[pi, cols] * mm[pj, rows]
        ks, rows, cols = self._where["beta"]
        if ks.size:
            cor[:, ks] = mm[pi, rows] * lphi[pj, cols] + lphi[pi, cols] * mm[pj, rows]
        ks, rows, cols = self._where["theta"]
        if ks.size:
            cor[:, ks] = ((pi == rows) & (pj == cols)) | ((pi == cols) & (pj == rows))
        return out


def _cfa_model(
    constructs: Mapping[str, Sequence[str]],
    stats_: OrdinalSampleStats,
    *,
    std_lv: bool,
) -> _LisrelModel:
    """lavaan's ``cfa()`` parameter table for ordered (and continuous) items, delta
    parameterization."""
    items = list(stats_.items)
    factors = [str(f) for f in constructs]
    pos = {it: i for i, it in enumerate(items)}
    internals = stats_._internals
    corr = internals.corr
    sd = np.ones(len(items)) if internals.sd is None else internals.sd
    continuous = set(stats_.continuous)
    params: list[_Param] = []
    free = 0

    def add(lhs: str, op: str, rhs: str, kind: str, row: int, col: int, is_free: bool, v: float):
        nonlocal free
        params.append(_Param(lhs, op, rhs, kind, row, col, free if is_free else -1, v))
        if is_free:
            free += 1

    # start values: standardized loadings l from the first principal component of each
    # factor's block of correlations (signed so that the marker's is positive), factor
    # correlations by least squares on the between-block correlations; a continuous item's
    # loading is l times its standard deviation
    std_load: dict[str, np.ndarray] = {}
    blocks = {str(f): [pos[str(it)] for it in its] for f, its in constructs.items()}
    for f, idx in blocks.items():
        values, vectors = np.linalg.eigh(corr[np.ix_(idx, idx)])
        vec = vectors[:, -1] * math.sqrt(max(values[-1], 1e-3))
        vec = np.clip(vec * (1.0 if vec[0] >= 0 else -1.0), -0.95, 0.95)
        vec[np.abs(vec) < 0.1] = 0.1
        std_load[f] = vec
    for g, (f, idx) in enumerate(blocks.items()):
        load = std_load[f] * sd[idx]
        for k, i in enumerate(idx):
            if std_lv:
                add(f, "=~", items[i], "lambda", i, g, True, float(load[k]))
            else:
                add(f, "=~", items[i], "lambda", i, g, k > 0, float(load[k] / load[0]))
    for t, label in enumerate(internals.labels[: internals.n_th]):
        if "|" in label:
            item, th = label.split("|")
            add(item, "|", th, "tau", t, 0, True, float(internals.s[t]))
    loading = {
        items[i]: float(std_load[f][k]) for f, idx in blocks.items() for k, i in enumerate(idx)
    }
    for it in items:
        if it in continuous:
            i = pos[it]
            add(it, "~~", it, "theta", i, i, True, float(sd[i] ** 2 * (1.0 - loading[it] ** 2)))
        else:
            add(it, "~~", it, "resvar", pos[it], pos[it], False, np.nan)
    var = {f: 1.0 if std_lv else float((std_load[f][0] * sd[blocks[f][0]]) ** 2) for f in factors}
    for g, f in enumerate(factors):
        add(f, "~~", f, "psi", g, g, not std_lv, var[f])
    for g, f in enumerate(factors):
        for h in range(g + 1, len(factors)):
            e = factors[h]
            prod = np.outer(std_load[f], std_load[e])
            r = corr[np.ix_(blocks[f], blocks[e])]
            phi = float(np.clip(np.sum(r * prod) / np.sum(prod * prod), -0.9, 0.9))
            add(f, "~~", e, "psi", g, h, True, phi * math.sqrt(var[f] * var[e]))
    for it in items:
        if it not in continuous:
            add(it, "~*~", it, "scale", pos[it], pos[it], False, 1.0)
    slot = internals.mean_slots
    for it in items:
        if it in continuous:
            add(it, "~1", "", "nu", slot[it], 0, True, float(-internals.s[slot[it]]))
        else:
            add(it, "~1", "", "mean", pos[it], 0, False, 0.0)
    for g, f in enumerate(factors):
        add(f, "~1", "", "mean", g, 0, False, 0.0)
    return _LisrelModel(
        items,
        factors,
        params,
        internals.n_th,
        internals.pair_i,
        internals.pair_j,
        internals.var_item,
    )


# ----------------------------------------------------------------------------
# Estimation
# ----------------------------------------------------------------------------
def _newton_hessian(model: _LisrelModel, s: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Half the Hessian of F, :math:`J'WJ - \\sum_k w_k r_k \\nabla^2\\sigma_k`.

    It is minus the derivative of the analytic :math:`g = J'Wr`, taken by central
    differences in the parameters that enter the correlations; thresholds are linear, so
    their columns are those of :math:`J'WJ`. When the implied thresholds are not linear
    (theta parameterization) but each threshold parameter moves only its own implied
    threshold :math:`t`, the threshold columns are
    :math:`(J'WJ)_{\\cdot k} - w_t r_t\\, \\partial J_{t\\cdot}/\\partial\\tau_t`, with the
    derivatives of all the threshold rows of :math:`J` from one pair of Jacobians (all
    thresholds moved at once: row :math:`t` depends on no other threshold).
    """
    jac = model.jacobian(x)
    h = jac.T @ (jac * w[:, None])
    corr = slice(model.n_th, s.size)
    done: set[int] = set()
    tau_ks, tau_rows, _ = model._where["tau"]
    if model.nonlinear_thresholds and tau_ks.size and np.unique(tau_ks).size == tau_ks.size:
        steps = 1e-6 * np.maximum(1.0, np.abs(x[tau_ks]))
        up, down = x.copy(), x.copy()
        up[tau_ks] += steps
        down[tau_ks] -= steps
        d_rows = (model.jacobian(up)[tau_rows] - model.jacobian(down)[tau_rows]) / (
            2.0 * steps[:, None]
        )
        r_t = (s - model.moments(x))[tau_rows]
        h[:, tau_ks] -= (d_rows * (w[tau_rows] * r_t)[:, None]).T
        done.update(int(k) for k in tau_ks)
    for k, q in enumerate(model.free):
        if q.kind == "nu" or (q.kind == "tau" and (not model.nonlinear_thresholds or k in done)):
            continue
        step = 1e-6 * max(1.0, abs(x[k]))
        g = []
        for sign in (1.0, -1.0):
            xk = x.copy()
            xk[k] += sign * step
            rows = slice(0, s.size) if model.nonlinear_thresholds else corr
            r = (s - model.moments(xk))[rows]
            g.append(model.jacobian(xk)[rows].T @ (w[rows] * r))
        h[:, k] = -(g[0] - g[1]) / (2.0 * step)
    return (h + h.T) / 2.0


def _minimize_wls(
    model: _LisrelModel, s: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, float, bool, int]:
    """Minimize :math:`(s - \\sigma(x))' W (s - \\sigma(x))` (W diagonal).

    Levenberg-Marquardt (Gauss-Newton with damping) while far from the minimum. Gauss-Newton
    converges only linearly where residuals are large or a parameter is weakly determined,
    so near the minimum (a step that lowers F by less than ``_NEWTON_NEAR`` of it, or after
    ``_NEWTON_AFTER`` iterations) the full Newton step (:func:`_newton_hessian`) is tried
    first, and kept if it lowers F. Returns the estimates, the
    minimum, whether the last step fell below ``_STEP_TOL``, and the number of iterations.
    """
    x = model.start()
    r = s - model.moments(x)
    f = float(np.sum(w * r * r))
    mu = 1e-3
    converged = False
    newton_ok = False
    it = 0
    for it in range(1, _MAX_ITER + 1):
        jac = model.jacobian(x)
        wj = jac * w[:, None]
        h = jac.T @ wj
        g = wj.T @ r
        if newton_ok:
            try:
                newton = np.linalg.solve(_newton_hessian(model, s, w, x), g)
                r_new = s - model.moments(x + newton)
                f_new = float(np.sum(w * r_new * r_new))
            except np.linalg.LinAlgError:
                f_new = np.inf
            if np.isfinite(f_new) and f_new <= f * (1.0 + 1e-15):
                x, r, f = x + newton, r_new, f_new
                if np.max(np.abs(newton)) < _STEP_TOL:
                    converged = True
                    break
                continue
        diag = np.diag(h).copy()
        diag[diag <= 0] = 1.0
        while True:
            try:
                step = np.linalg.solve(h + mu * np.diag(diag), g)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(h + mu * np.diag(diag), g, rcond=None)[0]
            x_new = x + step
            r_new = s - model.moments(x_new)
            f_new = float(np.sum(w * r_new * r_new))
            if np.isfinite(f_new) and f_new <= f * (1.0 + 1e-15):
                break
            mu *= 10.0
            if mu > 1e12:
                return x, f, False, it
        # near the minimum (F changes little) Newton's quadratic convergence takes over
        newton_ok = it >= _NEWTON_AFTER or f - f_new <= _NEWTON_NEAR * f
        x, r, f = x_new, r_new, f_new
        mu = max(mu / 10.0, 1e-12)
        if np.max(np.abs(step)) < _STEP_TOL:
            converged = True
            break
    return x, f, converged, it


# ----------------------------------------------------------------------------
# Fit indices (lavaan's formulas; names as fitMeasures())
# ----------------------------------------------------------------------------
def _pchisq(x: float, df: float, ncp: float = 0.0) -> float:
    """R's ``pchisq(x, df, ncp)`` (noncentral when ncp > 0)."""
    if not (np.isfinite(x) and np.isfinite(df)) or df <= 0:
        return np.nan
    return float(special.chdtr(df, x) if ncp <= 0 else special.chndtr(x, df, ncp))


def _cfi(x2: float, df: float, x2b: float, dfb: float, c: float = 1.0, cb: float = 1.0) -> float:
    if np.isnan([x2, df, x2b, dfb, c, cb]).any():
        return np.nan
    if df > 0 and c != 1.0 and cb != 1.0:
        d, db = x2 - c * df, x2b - cb * dfb
    else:
        d, db = x2 - df, x2b - dfb
    t1, t2 = max(d, 0.0), max(d, db, 0.0)
    if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8):
        return 1.0
    return 1.0 - t1 / t2


def _tli(x2: float, df: float, x2b: float, dfb: float, c: float = 1.0, cb: float = 1.0) -> float:
    if np.isnan([x2, df, x2b, dfb, c, cb]).any():
        return np.nan
    if df > 0 and c != 1.0 and cb != 1.0:
        t1, t2 = (x2 - c * df) * dfb, (x2b - cb * dfb) * df
    else:
        t1, t2 = (x2 - df) * dfb, (x2b - dfb) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0 if np.isfinite(t1) and np.isfinite(t2) else np.nan


def _rni(x2: float, df: float, x2b: float, dfb: float, c: float = 1.0, cb: float = 1.0) -> float:
    if np.isnan([x2, df, x2b, dfb, c, cb]).any():
        return np.nan
    if df > 0 and c != 1.0 and cb != 1.0:
        t1, t2 = x2 - c * df, x2b - cb * dfb
    else:
        t1, t2 = x2 - df, x2b - dfb
    return np.nan if math.isclose(t2, 0.0, abs_tol=1.5e-8) else 1.0 - t1 / t2


def _incremental(x2: float, df: float, x2b: float, dfb: float) -> dict[str, float]:
    """NFI, RFI, IFI, PNFI (Bentler-Bonett, Bollen; lavaan's conventions)."""
    if df > dfb or math.isclose(x2b, 0.0, abs_tol=1.5e-8):
        nfi = np.nan
    else:
        nfi = (x2b - x2) / x2b if df > 0 else 1.0
    if df > dfb:
        rfi = np.nan
    elif df > 0 and dfb > 0:
        t1, t2 = x2b / dfb - x2 / df, x2b / dfb
        rfi = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    else:
        rfi = 1.0
    t1, t2 = x2b - x2, x2b - df
    ifi = 1.0 if t2 < 0 else (np.nan if math.isclose(t2, 0.0, abs_tol=1.5e-8) else t1 / t2)
    pnfi = (df / dfb) * (x2b - x2) / x2b if (dfb > 0 and x2b > 0) else np.nan
    return {"nfi": nfi, "rfi": rfi, "ifi": ifi, "pnfi": pnfi}


def _rmsea(x2: float, df: float, n: int, c: float = 1.0) -> float:
    if not (np.isfinite(x2) and np.isfinite(df)):
        return np.nan
    return math.sqrt(max(x2 / n / df - c / n, 0.0)) if df > 0 else 0.0


def _rmsea_ci(x2: float, df: float, n: int, c: float = 1.0, level: float = 0.90) -> tuple:
    """lavaan's interval: the noncentralities where P(X2 | df, ncp) = 0.95 and 0.05."""
    if not (np.isfinite(x2) and np.isfinite(df)):
        return np.nan, np.nan
    if df < 1:
        return 0.0, 0.0
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2

    def lower(lam: float) -> float:
        return _pchisq(x2, df, lam) - upper_p

    def upper(lam: float) -> float:
        return _pchisq(x2, df, lam) - lower_p

    if lower(0.0) < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(lower, 0.0, x2, xtol=1e-12)
        lo = math.sqrt(c * lam / (n * df))
    n_rmsea = max(n, x2 * 4)
    if upper(n_rmsea) > 0 or upper(0.0) < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(upper, 0.0, n_rmsea, xtol=1e-12)
        hi = math.sqrt(c * lam / (n * df))
    return lo, hi


def _rmsea_pvalues(x2: float, df: float, n: int, c: float = 1.0) -> tuple[float, float]:
    """P(close fit, RMSEA <= 0.05) and P(not-close fit, RMSEA >= 0.08), as lavaan."""
    if not (np.isfinite(x2) and np.isfinite(df)) or df <= 0:
        return np.nan, np.nan
    close = 1.0 - _pchisq(x2, df, n * df / c * _RMSEA_CLOSE**2)
    notclose = _pchisq(x2, df, n * df / c * _RMSEA_NOTCLOSE**2)
    return close, notclose


def _traces(u_gamma: np.ndarray) -> tuple[float, float]:
    return float(np.trace(u_gamma)), float(np.sum(u_gamma * u_gamma.T))


def _scaled_test(stat: float, df: float, tr1: float, tr2: float, test: str) -> dict[str, float]:
    """Scaled-shifted (Asparouhov & Muthen 2010) or mean-and-variance adjusted statistic."""
    if df == 0:  # saturated: nothing to scale (lavaan: scaling factor NA)
        return {"stat": stat, "df": df, "scaling": np.nan, "shift": np.nan}
    if test == "scaled.shifted":
        a = math.sqrt(df / tr2)
        shift = df - a * tr1
        return {"stat": a * stat + shift, "df": df, "scaling": 1.0 / a, "shift": shift}
    df_s = tr1 * tr1 / tr2
    c = tr1 / df_s
    return {"stat": stat / c, "df": df_s, "scaling": c, "shift": np.nan}


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class OrdinalCFAResult(Result):
    """An ordinal CFA fitted by WLSMV (or DWLS, ULSMV, ULS), in lavaan's conventions.

    Attributes
    ----------
    syntax : str
        The model in lavaan syntax.
    constructs : dict
        Each factor and its items.
    estimator, test, parameterization : str
        As fitted (``se`` is ``"robust.sem"`` for WLSMV and ULSMV, ``"standard"`` for DWLS and ULS).
    n : int
        Respondents used (complete cases).
    estimates : pandas.DataFrame
        lavaan's ``parameterEstimates()`` with ``standardizedSolution()``: one row per
        parameter, columns ``lhs, op, rhs, free, estimate, se, z, p, ci_low, ci_high,
        std_all, std_se``. Loadings ``=~``, thresholds ``|`` (rhs ``t1``, ``t2``, ...),
        residual variances ``~~`` of the items (implied by the delta parameterization, not
        free: ``1 -`` the communality), factor variances and covariances ``~~``, scale
        factors ``~*~`` (1) and intercepts ``~1`` (0). In the theta parameterization the
        items' residual variances are fixed to 1, the scale factors are implied
        (:math:`1/\\mathrm{SD}(y^*)`) and the thresholds are on the :math:`y^*` scale. ``se`` is NaN for fixed and implied
        values; ``std_se`` (delta method) is NaN for constants.
    fit : dict
        ``fitMeasures()`` names: ``npar, fmin, chisq, df, pvalue, chisq.scaled, df.scaled,
        pvalue.scaled, chisq.scaling.factor, chisq.shift.parameters, baseline.chisq, ...,
        cfi, tli, cfi.scaled, tli.scaled, cfi.robust, tli.robust, nnfi, rfi, nfi, pnfi, ifi,
        rni (and .scaled, .robust), rmsea, rmsea.ci.lower, rmsea.ci.upper, rmsea.pvalue,
        rmsea.notclose.pvalue (and .scaled, .robust), rmr, rmr_nomean, srmr, srmr_bentler,
        srmr_bentler_nomean, crmr, crmr_nomean, gfi, agfi, pgfi, cn_05, cn_01, wrmr, mfi,
        ntotal, converged, iterations``. Robust indices are reported with the scaled-shifted
        test only (as lavaan), NaN if the polychoric matrix is not positive definite.
    thresholds : pandas.Series
        Estimated thresholds (``"item|t1"``, ...), standardized (implied) in the theta
        parameterization.
    polychoric : pandas.DataFrame
        Sample polychoric correlations.
    implied : pandas.DataFrame
        Model-implied correlations of the latent responses.
    vcov : pandas.DataFrame
        Covariance matrix of the free parameters.
    sample_stats : OrdinalSampleStats
        Thresholds, correlations and their asymptotic covariance matrix (Gamma).
    seconds : float
    warning_messages : tuple of str
    """

    syntax: str
    constructs: dict[str, list[str]]
    estimator: str
    test: str
    parameterization: str
    n: int
    estimates: pd.DataFrame
    fit: dict[str, Any]
    thresholds: pd.Series
    polychoric: pd.DataFrame
    implied: pd.DataFrame
    vcov: pd.DataFrame
    sample_stats: OrdinalSampleStats = dataclasses.field(repr=False)
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (see ``estimates``)."""
        return self.estimates.copy()

    @property
    def std_loadings(self) -> dict[str, float]:
        """Standardized loadings (``std.all``) keyed ``"factor=~item"``."""
        e = self.estimates[self.estimates["op"] == "=~"]
        pairs = zip(e["lhs"], e["rhs"], e["std_all"], strict=True)
        return {f"{a}=~{b}": float(v) for a, b, v in pairs}

    def fit_table(self) -> pd.Series:
        """The fit measures as a Series (lavaan's names)."""
        return pd.Series(self.fit, name="value")

    def residual_correlations(self) -> pd.DataFrame:
        """Sample minus model-implied polychoric correlations."""
        return self.polychoric - self.implied

    def summary(self) -> str:
        f = self.fit
        head = [
            f"Ordinal CFA ({self.estimator}, {self.parameterization} parameterization), "
            f"n = {self.n}, {f['npar']} free parameters",
            f"chi2({f['df']}) = {f['chisq']:.3f}, p = {f['pvalue']:.4g}",
        ]
        if self.test != "standard":
            head.append(
                f"{self.test}: chi2({f['df.scaled']:.4g}) = {f['chisq.scaled']:.3f}, "
                f"p = {f['pvalue.scaled']:.4g}"
            )
            head.append(
                f"CFI = {f['cfi.scaled']:.3f}, TLI = {f['tli.scaled']:.3f}, "
                f"RMSEA = {f['rmsea.scaled']:.3f} (scaled); CFI = {f['cfi.robust']:.3f}, "
                f"TLI = {f['tli.robust']:.3f}, RMSEA = {f['rmsea.robust']:.3f} (robust)"
                if self.test == "scaled.shifted"
                else f"CFI = {f['cfi.scaled']:.3f}, TLI = {f['tli.scaled']:.3f}, "
                f"RMSEA = {f['rmsea.scaled']:.3f} (scaled)"
            )
        head.append(f"SRMR = {f['srmr']:.3f}")
        cols = ["lhs", "op", "rhs", "estimate", "se", "z", "p", "std_all"]
        table = self.estimates.loc[self.estimates["op"].isin(["=~", "|", "~~"]), cols]
        text = (
            "\n".join(head)
            + "\n\n"
            + table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "estimator": self.estimator,
                "test": self.test,
                "parameterization": self.parameterization,
                "n": self.n,
                "fit": dict(self.fit),
                "std_loadings": self.std_loadings,
                "estimates": self.estimates.to_dict(orient="records"),
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------
# The public function
# ----------------------------------------------------------------------------
def fit_ordinal_cfa(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    ordered: Sequence[str] | bool | None = None,
    estimator: Estimator = "WLSMV",
    parameterization: Parameterization = "delta",
    test: Test | None = None,
    std_lv: bool = False,
    max_categories: int = 10,
) -> OrdinalCFAResult:
    """Confirmatory factor analysis of ordered items by WLSMV, as lavaan.

    Parameters
    ----------
    data : pandas.DataFrame
        Item answers coded as integers in their order (or ordered categoricals); NaN is
        missing (respondents with a missing answer are left out, lavaan's default).
    constructs : mapping of str to list of str
        Factor -> its items (each item on one factor; factors correlate).
    ordered : list of str, True or None, default None
        The items treated as ordered: None or True for all of them, or a list (lavaan's
        ``ordered =``): the other items are continuous, with free intercepts and residual
        variances, and enter through their means, variances, Pearson and polyserial
        correlations (:func:`~workbench.sem.ordinal_stats.ordinal_sample_statistics`); the
        robust CFI/TLI/RMSEA are then NaN, as lavaan's NA.
    estimator : {"WLSMV", "DWLS", "ULSMV", "ULS"}, default "WLSMV"
        As lavaan: ``"WLSMV"`` is DWLS estimation with robust (sandwich) standard errors and
        the scaled-shifted test; ``"DWLS"`` the same estimates with standard errors and test
        that ignore :math:`\\Gamma` beyond the weights (lavaan's ``se = "standard"``,
        ``test = "standard"``); ``"ULSMV"`` unweighted least squares (:math:`W = I`) with
        robust standard errors and the scaled-shifted test; ``"ULS"`` the ULS estimates
        with standard errors and test of :math:`W = I` (lavaan ``estimator = "ULS"``:
        ``se = "standard"``, ``test = "standard"``, no p-value; delta parameterization
        only).
    parameterization : {"delta", "theta"}, default "delta"
        ``"delta"``: the latent responses have unit variance (lavaan's default);
        ``"theta"``: their residual variances are fixed to 1 and the scale factors
        ``~*~`` are implied (lavaan ``parameterization = "theta"``; the same fit, test and
        standardized solution, other unstandardized loadings, thresholds and variances).
        Fitted by :func:`~workbench.sem.ordinal_sem.fit_ordinal_sem`, which has the theta
        machinery; not with ``std_lv``.
    test : {"scaled.shifted", "mean.var.adjusted", "standard"}, optional
        The robust test: scaled-shifted (default for WLSMV, ULSMV), mean-and-variance
        adjusted (Satterthwaite df; lavaan ``test = "mean.var.adjusted"``), or only the
        standard statistic (default for DWLS).
    std_lv : bool, default False
        Identify the factors by unit variances (all loadings free) instead of marker
        loadings fixed to 1 (lavaan's ``std.lv``).
    max_categories : int, default 10
        Items with more distinct values raise :class:`~workbench.errors.InputError`.

    Returns
    -------
    OrdinalCFAResult
        ``estimates``, ``fit`` (lavaan's ``fitMeasures()`` names), ``thresholds``,
        ``polychoric``, ``implied``, ``vcov``, ``sample_stats``, ``warnings``.

    Raises
    ------
    InputError
        Bad constructs (see :func:`~workbench.sem.model.cfa_syntax`), missing columns, an
        ordered item with a single observed category or with a declared category nobody
        chose (thresholds not estimable), non-integer codes, too many categories.
    ValueError
        An unknown option (the message lists the valid values).

    Notes
    -----
    *Estimation* (Muthen, du Toit & Spisic, 1997). With :math:`s` the sample thresholds and
    polychoric correlations (:func:`~workbench.sem.ordinal_stats.ordinal_sample_statistics`),
    :math:`\\sigma(\\theta)` their model-implied values (``_LisrelModel``) and
    :math:`W = \\mathrm{diag}(\\Gamma)^{-1}` (DWLS; :math:`I` for ULS),

    .. math:: \\hat\\theta = \\arg\\min F(\\theta), \\quad
              F = (s - \\sigma(\\theta))' W (s - \\sigma(\\theta)),

    minimized by Levenberg-Marquardt, then Newton steps, to a step below 1e-11.

    *Standard errors.* With :math:`\\Delta = \\partial\\sigma/\\partial\\theta'` at
    :math:`\\hat\\theta` and :math:`E = \\Delta' W \\Delta`, robust (lavaan's ``robust.sem``):
    :math:`\\mathrm{Var}(\\hat\\theta) = E^{-1}\\Delta' W \\Gamma W \\Delta E^{-1} / (N-1)`;
    standard (DWLS): :math:`E^{-1} / (N-1)`. (lavaan divides by :math:`N - 1`, not
    :math:`N`, for least-squares estimators, here and below.)

    *Tests.* :math:`T = (N-1) F(\\hat\\theta)` on :math:`df` = statistics - parameters
    (lavaan's ``fmin`` is :math:`T / 2N`). With :math:`U = W - W\\Delta E^{-1}\\Delta' W`,
    :math:`t_1 = \\mathrm{tr}(U\\Gamma)`, :math:`t_2 = \\mathrm{tr}(U\\Gamma U\\Gamma)`:
    scaled-shifted (Asparouhov & Muthen, 2010) :math:`T_{ss} = a T + b`,
    :math:`a = \\sqrt{df / t_2}`, :math:`b = df - a t_1` (``chisq.scaling.factor`` = 1/a,
    ``chisq.shift.parameters`` = b, on :math:`df`); mean-and-variance adjusted
    (Satterthwaite) :math:`T / c` on :math:`df^* = t_1^2/t_2`, :math:`c = t_1/df^*`. The
    baseline model has free thresholds and zero correlations:
    :math:`T_0 = (N-1) \\sum_{\\rho} w_\\rho r_\\rho^2` on :math:`p(p-1)/2` df, scaled with
    :math:`U_0 = W_\\rho`. The ULS statistic gets no p-value (as lavaan).

    *Fit indices* as lavaan's ``fitMeasures()``: CFI, TLI, RMSEA
    (:math:`\\sqrt{\\max(T/N'/df - 1/N', 0)}`, :math:`N' = N - 1`) from the standard
    statistics; ``.scaled`` from the scaled ones (for the mean-and-variance adjusted test
    lavaan's scaled RMSEA uses :math:`T` on :math:`t_1` df); and ``.robust`` as Savalei
    (2021): the ML discrepancy of the polychoric matrix :math:`R` from the implied
    :math:`\\hat\\Sigma` at the DWLS estimates, :math:`T_3 = N[\\log|\\hat\\Sigma| -
    \\log|R| + \\mathrm{tr}(R\\hat\\Sigma^{-1}) - p]`, with :math:`\\hat c = \\mathrm{tr}(U_3' V
    U_3 \\Gamma_\\rho) / df` (:math:`V` the normal-theory weight of correlations at
    :math:`\\hat\\Sigma`, :math:`V_{ij,kl} = \\sigma^{ik}\\sigma^{jl} + \\sigma^{il}
    \\sigma^{jk}`; :math:`U_3 = I - \\Delta_\\rho E^{-1}\\Delta_\\rho' W_\\rho`), baseline
    :math:`T_{3,0} = -N\\log|R|` with :math:`\\hat c_0 = \\mathrm{tr}(\\Gamma_\\rho)/df_0`;
    then :math:`\\mathrm{CFI} = 1 - \\max(T_3 - \\hat c\\,df, 0) / \\max(T_3 - \\hat c\\,df,
    T_{3,0} - \\hat c_0 df_0, 0)`, :math:`\\mathrm{RMSEA} = \\sqrt{\\max(T_3/N'/df -
    \\hat c/N', 0)}`; not available (NaN) when :math:`R` is not positive definite. SRMR: the
    root mean square of the residual correlations over :math:`p(p+1)/2` (lavaan's ``srmr``
    for categorical data: ``srmr_bentler_nomean``).

    *Standardized solution* (``std_all``): :math:`\\lambda_{if}\\sqrt{\\psi_{ff}}`, factor
    correlations, thresholds and residual variances as they are (the latent responses have
    unit variance); ``std_se`` by the delta method.

    References
    ----------
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. *Psychometrika*, 49, 115-132.

    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted
    least squares and quadratic estimating equations in latent variable modeling with
    categorical and continuous outcomes. Unpublished technical report.

    Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. Mplus
    technical appendix.

    Savalei, V. (2021). Improving fit indices in structural equation modeling with
    categorical data. *Multivariate Behavioral Research*, 56, 390-407.

    R: ``lavaan::cfa(model, data, ordered = TRUE, estimator = "WLSMV")`` with
    ``parameterEstimates()``, ``standardizedSolution()`` and ``fitMeasures()`` (lavaan
    0.6-14); tested in tests/test_ordinal_cfa.py against tests/reference/lavaan_wlsmv.R.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal import fit_ordinal_cfa
    >>> hs = pd.read_csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
    >>> hs3 = hs[hs["categories"] == 3].drop(columns="categories")
    >>> res = fit_ordinal_cfa(hs3, {"visual": ["x1", "x2", "x3"],
    ...                             "textual": ["x4", "x5", "x6"],
    ...                             "speed": ["x7", "x8", "x9"]})
    >>> round(res.fit["chisq.scaled"], 3), res.fit["df"]
    (62.839, 24)
    >>> round(res.fit["cfi.robust"], 3), round(res.fit["rmsea.robust"], 3)
    (0.923, 0.098)
    >>> round(res.std_loadings["textual=~x6"], 3)
    0.887
    """
    started = time.perf_counter()
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {list(_ESTIMATORS)}, got {estimator!r}")
    if parameterization not in _PARAMETERIZATIONS:
        raise ValueError(
            f"parameterization must be one of {list(_PARAMETERIZATIONS)}, got {parameterization!r}"
        )
    if parameterization == "theta" and estimator == "ULS":
        raise ValueError(
            "estimator='ULS' is available with the delta parameterization only (ULSMV, "
            "WLSMV and DWLS take theta too)."
        )
    if parameterization == "theta" and std_lv:
        raise ValueError(
            "std_lv=True is available with the delta parameterization only; the theta "
            "parameterization uses marker loadings (lavaan's default)."
        )
    if test is None:
        test = "standard" if estimator in ("DWLS", "ULS") else "scaled.shifted"
    if test not in _TESTS:
        raise ValueError(f"test must be one of {list(_TESTS)}, got {test!r}")
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"The data must be a pandas DataFrame, got {type(data).__name__}.",
            hint="read the survey into a DataFrame first (e.g. workbench.intake.load_survey).",
        )
    syntax = cfa_syntax(constructs)  # validates the constructs (InputError)
    cons = {str(f): [str(i) for i in its] for f, its in constructs.items()}
    items = [it for its in cons.values() for it in its]
    continuous = _continuous_items(ordered, items)
    if parameterization == "theta":
        return _fit_theta(data, cons, syntax, estimator, test, max_categories, started, continuous)
    with single_threaded_blas():  # small matrices: BLAS threads only add contention
        st = ordinal_sample_statistics(
            data, items, continuous=continuous, max_categories=max_categories
        )
        return _fit(st, cons, syntax, estimator, test, parameterization, std_lv, started)


def _continuous_items(ordered: Sequence[str] | bool | None, items: Sequence[str]) -> list[str]:
    """The model's items that ``ordered`` (lavaan's ``ordered =``: None or True for all, a
    list, or False for none) leaves continuous; an unknown item is refused, naming it."""
    if ordered is None or ordered is True:
        return []
    if isinstance(ordered, bool):
        chosen: set[str] = set()
    else:
        chosen = {str(o) for o in ([ordered] if isinstance(ordered, str) else ordered)}
    unknown = sorted(chosen - set(items))
    if unknown:
        raise InputError(
            f"ordered names {', '.join(unknown)}, which the model does not have.",
            column=unknown[0],
            hint=f"list items of the model ({', '.join(items)}).",
        )
    return [it for it in items if it not in chosen]


def _fit_theta(
    data: pd.DataFrame,
    cons: dict[str, list[str]],
    syntax: str,
    estimator: str,
    test: str,
    max_categories: int,
    started: float,
    continuous: list[str],
) -> OrdinalCFAResult:
    """The CFA in the theta parameterization, by :func:`~workbench.sem.ordinal_sem.
    fit_ordinal_sem` (which builds on this module, hence the import here)."""
    from workbench.sem.ordinal_sem import fit_ordinal_sem

    items = [it for its in cons.values() for it in its]
    res = fit_ordinal_sem(
        data,
        cons,
        ordered=[it for it in items if it not in continuous],
        estimator=estimator,  # type: ignore[arg-type]
        parameterization="theta",
        test=test,
        max_categories=max_categories,
    )
    return OrdinalCFAResult(
        syntax=syntax,
        constructs=cons,
        estimator=res.estimator,
        test=res.test,
        parameterization="theta",
        n=res.n,
        estimates=res.estimates.drop(columns="label").reset_index(drop=True),
        fit=dict(res.fit),
        thresholds=res.thresholds,
        polychoric=res.polychoric,
        implied=res.implied,
        vcov=res.vcov,
        sample_stats=res.sample_stats,
        seconds=time.perf_counter() - started,
        warning_messages=tuple(res.warnings),
    )


def _estimate(
    model: _LisrelModel,
    s: np.ndarray,
    w: np.ndarray,
    gamma: np.ndarray,
    n: int,
    *,
    robust: bool,
    warnings: list[str],
) -> tuple[np.ndarray, float, bool, int, np.ndarray, np.ndarray, np.ndarray]:
    """The (D)WLS/ULS fit of a model and its parameter covariance, for CFA and SEM alike.

    Minimises the weighted discrepancy (:func:`_minimize_wls`), then takes the expected
    information :math:`\\Delta^\top W \\Delta` and the covariance: the sandwich
    :math:`(\\Delta^\top W\\Delta)^{-1}\\Delta^\top W\\Gamma W\\Delta(\\Delta^\top
    W\\Delta)^{-1}/(N-1)` with ``robust`` (WLSMV, ULSMV; lavaan ``se = "robust.sem"``), else
    the inverse information over :math:`N-1`. Appends to ``warnings`` when the fit did not
    converge or the information is singular (covariance NaN then). Returns ``x, fmin,
    converged, iterations, delta, info_inv, vcov``.
    """
    x, fmin, converged, iterations = _minimize_wls(model, s, w)
    if not converged:
        warnings.append(
            f"The estimation did not converge in {_MAX_ITER} iterations; the results are "
            "not trustworthy (check the model and the items' categories)."
        )
    delta = model.jacobian(x)
    wd = delta * w[:, None]
    info = delta.T @ wd
    try:
        info_inv = np.linalg.inv(info)
        if not np.all(np.isfinite(info_inv)) or np.linalg.cond(info) > 1e12:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        info_inv = np.full_like(info, np.nan)
        warnings.append(
            "The information matrix is singular: the model is not identified, and standard "
            "errors and robust tests are not available."
        )
    if robust:
        vcov = info_inv @ (wd.T @ gamma @ wd) @ info_inv / (n - 1)
    else:
        vcov = info_inv / (n - 1)
    return x, fmin, converged, iterations, delta, info_inv, vcov


def _fit(
    st: OrdinalSampleStats,
    cons: dict[str, list[str]],
    syntax: str,
    estimator: str,
    test: str,
    parameterization: str,
    std_lv: bool,
    started: float,
) -> OrdinalCFAResult:
    items = list(st.items)
    internals = st._internals
    gamma = internals.gamma
    n = st.n
    model = _cfa_model(cons, st, std_lv=std_lv)
    s = internals.s
    w = np.ones_like(s) if estimator in ("ULSMV", "ULS") else 1.0 / np.diag(gamma)

    warnings = list(st.warnings)
    x, fmin, converged, iterations, delta, info_inv, vcov = _estimate(
        model, s, w, gamma, n, robust=estimator in ("WLSMV", "ULSMV"), warnings=warnings
    )

    fit = _fit_measures(model, x, st, w, delta, info_inv, fmin, estimator, test)
    fit["converged"] = bool(converged)
    fit["iterations"] = int(iterations)
    not_pd = np.linalg.eigvalsh(internals.corr).min() < _PD_TOL
    if test == "scaled.shifted" and not_pd:
        warnings.append(
            "The polychoric correlation matrix is not positive definite, so the robust "
            "CFI/TLI/RMSEA (Savalei 2021) are not available (as lavaan)."
        )
    table = _estimates_table(model, x, vcov)
    warnings += _heywood_warnings(table)
    tau, sigma = model.implied(x)
    is_th = internals.is_threshold
    free_names = [f"{q.lhs}{q.op}{q.rhs}" for q in model.free]
    return OrdinalCFAResult(
        syntax=syntax,
        constructs=cons,
        estimator=estimator,
        test=test,
        parameterization=parameterization,
        n=n,
        estimates=table,
        fit=fit,
        thresholds=pd.Series(tau[is_th], index=st.thresholds.index, name="threshold"),
        polychoric=st.polychoric.copy(),
        implied=pd.DataFrame(sigma, index=items, columns=items),
        vcov=pd.DataFrame(vcov, index=free_names, columns=free_names),
        sample_stats=st,
        seconds=time.perf_counter() - started,
        warning_messages=tuple(warnings),
    )


def _fit_measures(
    model: _LisrelModel,
    x: np.ndarray,
    st: OrdinalSampleStats,
    w: np.ndarray,
    delta: np.ndarray,
    info_inv: np.ndarray,
    fmin: float,
    estimator: str,
    test: str,
) -> dict[str, Any]:
    internals = st._internals
    gamma, s, n, n_th = internals.gamma, internals.s, st.n, internals.n_th
    n_var = internals.n_var
    n_stat, npar = s.size, model.npar
    df = n_stat - npar
    corr = slice(n_th + n_var, n_stat)
    stat = (n - 1) * fmin  # lavaan: chisq = 2 N fx with fx = (N - 1) / N * F / 2
    resid = s - model.moments(x)

    # baseline: thresholds (means, variances) free, correlations zero
    stat_b = (n - 1) * float(np.sum(w[corr] * s[corr] ** 2))
    df_b = n_stat - n_th - n_var
    out: dict[str, Any] = {"npar": npar, "fmin": stat / (2 * n), "chisq": stat, "df": df}
    # the ULS statistic has no chi-square reference distribution: lavaan reports no p-value
    chi2_ref = estimator not in ("ULSMV", "ULS")
    out["pvalue"] = 1.0 - _pchisq(stat, df) if (df > 0 and chi2_ref) else np.nan
    scaled = test != "standard"
    if scaled:
        wd = delta * w[:, None]
        u = np.diag(w) - wd @ info_inv @ wd.T
        tr1, tr2 = _traces(u @ gamma)
        tr1_b, tr2_b = _traces(w[corr, None] * gamma[corr, corr])
        sc = _scaled_test(stat, df, tr1, tr2, test)
        sc_b = _scaled_test(stat_b, df_b, tr1_b, tr2_b, test)
        out.update(
            {
                "chisq.scaled": sc["stat"],
                "df.scaled": sc["df"],
                "pvalue.scaled": 1.0 - _pchisq(sc["stat"], sc["df"]),
                "chisq.scaling.factor": sc["scaling"],
            }
        )
        if test == "scaled.shifted" and df > 0:
            out["chisq.shift.parameters"] = sc["shift"]
    out.update(
        {
            "baseline.chisq": stat_b,
            "baseline.df": df_b,
            "baseline.pvalue": 1.0 - _pchisq(stat_b, df_b) if chi2_ref else np.nan,
        }
    )
    if scaled:
        out.update(
            {
                "baseline.chisq.scaled": sc_b["stat"],
                "baseline.df.scaled": sc_b["df"],
                "baseline.pvalue.scaled": 1.0 - _pchisq(sc_b["stat"], sc_b["df"]),
                "baseline.chisq.scaling.factor": sc_b["scaling"],
            }
        )
    robust = test == "scaled.shifted"
    if robust:
        rob = _robust_catml(model, x, st, w, delta, info_inv, df, df_b)
    # incremental indices
    out["cfi"] = _cfi(stat, df, stat_b, df_b)
    out["tli"] = _tli(stat, df, stat_b, df_b)
    if scaled:
        out["cfi.scaled"] = _cfi(sc["stat"], sc["df"], sc_b["stat"], sc_b["df"])
        out["tli.scaled"] = _tli(sc["stat"], sc["df"], sc_b["stat"], sc_b["df"])
    if robust:
        args = (rob["x2"], df, rob["x2_b"], df_b, rob["c"], rob["c_b"])
        out["cfi.robust"] = _cfi(*args)
        out["tli.robust"] = _tli(*args)
    out["nnfi"] = out["tli"]
    out.update(_incremental(stat, df, stat_b, df_b))
    out["rni"] = _rni(stat, df, stat_b, df_b)
    if scaled:
        out["nnfi.scaled"] = out["tli.scaled"]
        inc = _incremental(sc["stat"], sc["df"], sc_b["stat"], sc_b["df"])
        out.update({f"{k}.scaled": v for k, v in inc.items()})
        out["rni.scaled"] = _rni(sc["stat"], sc["df"], sc_b["stat"], sc_b["df"])
    if robust:
        out["nnfi.robust"] = out["tli.robust"]
        out["rni.robust"] = _rni(*args)
    # RMSEA (lavaan uses N - 1 here for least-squares estimators: lav_utils_get_ntotal)
    n1 = n - 1
    out["rmsea"] = _rmsea(stat, df, n1)
    out["rmsea.ci.lower"], out["rmsea.ci.upper"] = _rmsea_ci(stat, df, n1)
    out["rmsea.ci.level"] = 0.90
    out["rmsea.pvalue"], out["rmsea.notclose.pvalue"] = _rmsea_pvalues(stat, df, n1)
    out["rmsea.close.h0"], out["rmsea.notclose.h0"] = _RMSEA_CLOSE, _RMSEA_NOTCLOSE
    if scaled:
        x2s, dfs = (sc["stat"], df) if test == "scaled.shifted" else (stat, tr1)
        out["rmsea.scaled"] = _rmsea(x2s, dfs, n1)
        out["rmsea.ci.lower.scaled"], out["rmsea.ci.upper.scaled"] = _rmsea_ci(x2s, dfs, n1)
        p_close, p_notclose = _rmsea_pvalues(x2s, dfs, n1)
        out["rmsea.pvalue.scaled"], out["rmsea.notclose.pvalue.scaled"] = p_close, p_notclose
    if robust:
        x3, df3, c3 = rob["x2"], rob["df"], rob["c"]
        out["rmsea.robust"] = _rmsea(x3, df3, n1, c3)
        x3s = x3 / c3
        out["rmsea.ci.lower.robust"], out["rmsea.ci.upper.robust"] = _rmsea_ci(x3s, df3, n1, c3)
        p_close, p_notclose = _rmsea_pvalues(x3s, df3, n1, c3)
        out["rmsea.pvalue.robust"], out["rmsea.notclose.pvalue.robust"] = p_close, p_notclose
    # residual-based
    # over the p(p+1)/2 (co)variances (an ordered item's unit variance fits exactly) and the
    # thresholds; srmr: residuals in the metric of the observed standard deviations, rmr:
    # raw (the same when every item is ordered)
    p = model.p
    n_cor = n_stat - n_th - n_var
    is_th = internals.is_threshold
    n_thr = int(is_th.sum())
    ss_th = float(np.sum(resid[:n_th][is_th] ** 2))
    sd = np.ones(p) if internals.sd is None else internals.sd
    mom_i, mom_j = model._mom_i, model._mom_j
    raw_cov = resid[n_th:]
    std_cov = raw_cov / (sd[mom_i] * sd[mom_j])
    off = slice(n_var, None)
    ss_cor, ss_cor_raw = float(np.sum(std_cov**2)), float(np.sum(raw_cov**2))
    out["rmr"] = math.sqrt((ss_cor_raw + ss_th) / (n_cor + p + n_thr))
    out["rmr_nomean"] = math.sqrt(ss_cor_raw / (n_cor + p))
    out["srmr_bentler"] = math.sqrt((ss_cor + ss_th) / (n_cor + p + n_thr))
    out["srmr_bentler_nomean"] = math.sqrt(ss_cor / (n_cor + p))
    out["srmr"] = out["srmr_bentler_nomean"]
    ss_off = float(np.sum(std_cov[off] ** 2))
    out["crmr"] = math.sqrt((ss_off + ss_th) / (n_cor + n_thr))
    out["crmr_nomean"] = math.sqrt(ss_off / n_cor)
    gfi = 1.0 - float(np.sum(w * resid**2)) / float(np.sum(w * s**2))
    out["gfi"] = gfi
    out["agfi"] = 1.0 - (n_stat / df) * (1.0 - gfi) if df > 0 else 1.0
    out["pgfi"] = (df / n_stat) * gfi
    # Hoelter's critical N; none for a saturated model (lavaan reports NA, or 1 when its
    # optimizer leaves a chi-square above machine epsilon)
    for name, alpha in (("cn_05", 0.05), ("cn_01", 0.01)):
        out[name] = float(stats.chi2.ppf(1 - alpha, df)) / (stat / n1) + 1.0 if df > 0 else np.nan
    out["wrmr"] = math.sqrt(stat / n_stat)
    out["mfi"] = math.exp(-0.5 * (stat - df) / n1)
    out["ntotal"] = n
    return {k: (v if isinstance(v, (int, bool)) else float(v)) for k, v in out.items()}


def _robust_catml(
    model: _LisrelModel,
    x: np.ndarray,
    st: OrdinalSampleStats,
    w: np.ndarray,
    delta: np.ndarray,
    info_inv: np.ndarray,
    df: int,
    df_b: int,
) -> dict[str, float]:
    """Savalei's (2021) robust statistics: ML on the polychoric matrix at the DWLS estimates.

    lavaan's ``lav_fit_catml_dwls``: the catML statistic and its scaling correction for the
    model and for the baseline (see :func:`fit_ordinal_cfa`, Notes). NaN if the polychoric
    matrix is not positive definite.
    """
    internals = st._internals
    r = internals.corr
    p = r.shape[0]
    nan = {"x2": np.nan, "x2_b": np.nan, "c": np.nan, "c_b": np.nan, "df": float(df)}
    # lavaan 0.6 defines them for ordered items only (NA with continuous ones)
    if internals.n_var or np.linalg.eigvalsh(r).min() < _PD_TOL:
        return nan
    n, n_th = st.n, internals.n_th
    _, sigma = model.implied(x)
    sigma_inv = np.linalg.inv(sigma)
    logdet_s = np.linalg.slogdet(sigma)[1]
    logdet_r = np.linalg.slogdet(r)[1]
    x2 = n * (logdet_s - logdet_r + float(np.trace(r @ sigma_inv)) - p)
    x2_b = -n * logdet_r
    pi, pj = internals.pair_i, internals.pair_j
    v = sigma_inv[np.ix_(pi, pi)] * sigma_inv[np.ix_(pj, pj)] + (
        sigma_inv[np.ix_(pi, pj)] * sigma_inv[np.ix_(pj, pi)]
    )
    d_rho = delta[n_th:]
    w_rho = w[n_th:]
    wiu = np.eye(d_rho.shape[0]) - d_rho @ info_inv @ (d_rho.T * w_rho[None, :])
    g_rho = internals.gamma[n_th:, n_th:]
    ks = float(np.sum((wiu.T @ v @ wiu) * g_rho.T))
    return {
        "x2": x2,
        "x2_b": x2_b,
        "c": ks / df if df > 0 else np.inf,  # saturated: lavaan's ks / 0
        "c_b": float(np.trace(g_rho)) / df_b,
        "df": float(df),
    }


# ----------------------------------------------------------------------------
# Parameter table
# ----------------------------------------------------------------------------
def _table_values(model: _LisrelModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unstandardized and standardized (std.all) value of every parameter-table row."""
    mx = model.matrices(x)
    lam, phi = mx["lambda"], mx["phi"]
    communality = np.einsum("if,fg,ig->i", lam, phi, lam)
    with np.errstate(invalid="ignore"):
        sd_lv = np.sqrt(np.diag(phi))  # NaN for a negative variance, as lavaan
        # implied standard deviations of the items: 1 for the ordered items' latent
        # responses (delta parameterization), model-implied for continuous items
        sd_item = np.sqrt(np.diag(model.implied(x)[1]))
    raw = np.empty(len(model.params))
    std = np.empty(len(model.params))
    for k, q in enumerate(model.params):
        if q.kind == "lambda":
            raw[k] = lam[q.row, q.col]
            std[k] = raw[k] * sd_lv[q.col] / sd_item[q.row]
        elif q.kind == "tau":
            raw[k] = std[k] = mx["tau"][q.row]
        elif q.kind == "nu":  # a continuous item's intercept (its statistic is minus it)
            raw[k] = -mx["tau"][q.row]
            std[k] = raw[k] / sd_item[model.items.index(q.lhs)]
        elif q.kind == "resvar":
            raw[k] = std[k] = 1.0 - communality[q.row]
        elif q.kind == "psi":
            raw[k] = phi[q.row, q.col]
            std[k] = raw[k] / (sd_lv[q.row] * sd_lv[q.col])
        elif q.kind == "beta":
            raw[k] = mx["beta"][q.row, q.col]
            std[k] = raw[k] * sd_lv[q.col] / sd_lv[q.row]
        elif q.kind == "theta":
            raw[k] = mx["theta"][q.row, q.col]
            std[k] = raw[k] / (sd_item[q.row] * sd_item[q.col])
        else:  # scale, mean
            raw[k] = std[k] = q.value
    return raw, std


def _numeric_jacobian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    base = fun(x)
    out = np.empty((base.size, x.size))
    for k in range(x.size):
        h = 1e-6 * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        out[:, k] = (fun(up) - fun(down)) / (2.0 * h)
    return out


def _estimates_table(model: _LisrelModel, x: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    raw, std = _table_values(model, x)
    # only the standardized values depend on the structural parameters non-trivially;
    # thresholds enter std.all as themselves, so differentiate in the structural ones
    struct = np.array([q.kind != "tau" for q in model.free])
    j_std = np.zeros((len(model.params), model.npar))
    if struct.any():

        def std_of(sub: np.ndarray) -> np.ndarray:
            full = x.copy()
            full[struct] = sub
            return _table_values(model, full)[1]

        j_std[:, struct] = _numeric_jacobian(std_of, x[struct])
    for k, q in enumerate(model.params):
        if q.kind == "tau":
            j_std[k, q.free] = 1.0
    model.matrices(x)  # leave the model at the estimates
    free = np.array([q.free >= 0 for q in model.params])
    se = np.full(raw.size, np.nan)
    idx = [q.free for q in model.params if q.free >= 0]
    with np.errstate(invalid="ignore"):
        se[free] = np.sqrt(np.diag(vcov)[idx])
        std_se = np.sqrt(np.einsum("ij,jk,ik->i", j_std, vcov, j_std))
    std_se = np.where(std_se < 1e-10, np.nan, std_se)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = raw / se
    crit = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "lhs": [q.lhs for q in model.params],
            "op": [q.op for q in model.params],
            "rhs": [q.rhs for q in model.params],
            "free": free,
            "estimate": raw,
            "se": se,
            "z": z,
            "p": 2.0 * stats.norm.sf(np.abs(z)),
            "ci_low": raw - crit * se,
            "ci_high": raw + crit * se,
            "std_all": std,
            "std_se": std_se,
        }
    )


def _heywood_warnings(table: pd.DataFrame) -> list[str]:
    out = []
    res = table[(table["op"] == "~~") & (table["lhs"] == table["rhs"])]
    neg = res[res["estimate"] < 0]
    if len(neg):
        out.append(
            "Negative variance(s) (Heywood case): "
            + ", ".join(
                f"{a}~~{a} = {v:.3f}" for a, v in zip(neg["lhs"], neg["estimate"], strict=True)
            )
            + ". An item's residual variance below 0 means a standardized loading above 1; "
            "the model may be misspecified or an item nearly redundant."
        )
    return out
