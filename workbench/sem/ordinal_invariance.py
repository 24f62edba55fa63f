"""Measurement invariance of ordered items across groups (Wu & Estabrook, 2016), by WLSMV,
DWLS, ULSMV or ULS.

Likert items are ordered categories, so invariance is about the *thresholds* that cut each
latent response into categories as much as about loadings and intercepts. Wu & Estabrook
(2016) showed that the usual continuous sequence (configural, metric, scalar) is not
identified the same way for ordered items and proposed the sequence semTools writes with
``measEq.syntax(..., ID.cat = "Wu.Estabrook.2016")``:

* configural: the same pattern in every group; thresholds and loadings free per group,
  intercepts 0, scale factors 1, latent means 0 and variances 1 (``ID.fac = "std.lv"``);
* thresholds: thresholds equal across groups; intercepts and scale factors free in groups
  2..G (this only fixes the scale of the latent responses when items have three categories:
  the model is then equivalent to the configural one, with the same fit and df);
* loadings: thresholds and loadings equal; latent variances free in groups 2..G;
* intercepts: thresholds, loadings and intercepts equal (all 0); latent means free in
  groups 2..G.

Each level is a multi-group DWLS fit to every group's thresholds and polychoric
correlations (:func:`~workbench.sem.ordinal_stats.ordinal_sample_statistics`) with robust
standard errors, the scaled-shifted test and lavaan's fit indices, as
``lavaan::cfa(syntax, data, ordered = items, estimator = "WLSMV", group = g)``; consecutive
levels are compared by the scaled-shifted chi-square difference test that
``lavaan::lavTestLRT()`` uses for WLSMV (Satorra, 2000; ``method = "satorra.2000"``,
``scaled.shifted = TRUE``). Delta (lavaan's default) or theta parameterization; binary
items follow Wu & Estabrook's separate rule (their scale is freed only with the intercepts).

The other least-squares estimators follow lavaan: DWLS (the same estimates, standard SEs,
the standard test and the plain chi-square difference of ``lavTestLRT``), ULSMV (unit
weights; robust SEs, scaled-shifted test and difference, no p-value for the standard
statistic) and ULS (unit weights, standard SEs, the standard statistic without a p-value,
and ``lavTestLRT``'s plain difference, which does carry a p-value).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings
from workbench.sem.invariance import _configural_verdict, _step_verdict
from workbench.sem.model import cfa_syntax
from workbench.sem.ordinal import _cfi, _pchisq, _rmsea_ci, _tli
from workbench.sem.ordinal_stats import OrdinalSampleStats, ordinal_sample_statistics

__all__ = ["OrdinalInvarianceResult", "ordinal_invariance"]

OrdinalLevel = Literal["configural", "thresholds", "loadings", "intercepts"]
OrdinalEstimator = Literal["wlsmv", "dwls", "ulsmv", "uls", "WLSMV", "DWLS", "ULSMV", "ULS"]

_LEVELS: tuple[str, ...] = ("configural", "thresholds", "loadings", "intercepts")
_ESTIMATORS: tuple[str, ...] = ("wlsmv", "dwls", "ulsmv", "uls")
_LAVAAN_ESTIMATOR = {"wlsmv": "WLSMV", "dwls": "DWLS", "ulsmv": "ULSMV", "uls": "ULS"}
_MAX_ITER = 500
_STEP_TOL = 1e-10
_PD_TOL = math.sqrt(np.finfo(float).eps)
_RMSEA_CLOSE, _RMSEA_NOTCLOSE = 0.05, 0.08
_TABLE_COLUMNS = [
    "chi2",
    "df",
    "p",
    "cfi",
    "tli",
    "rmsea",
    "chi2_scaled",
    "df_scaled",
    "p_scaled",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "srmr",
    "npar",
    "delta_cfi",
    "delta_rmsea",
    "delta_chi2",
    "delta_df",
    "delta_p",
    "converged",
]
_WHAT_HOLDS = {
    "configural": "configural invariance holds: the same factor structure fits in every group, "
    "but thresholds, loadings and means cannot yet be compared",
    "thresholds": "threshold invariance holds: the items' categories are cut at the same "
    "points of the latent responses in every group, but loadings and means cannot yet be "
    "compared",
    "loadings": "loading invariance holds (with equal thresholds): relationships (factor "
    "variances, covariances, regression paths) can be compared across groups, but not latent "
    "means",
    "intercepts": "intercept invariance holds (with equal thresholds and loadings): latent "
    "means can be compared across groups",
}
# lavaan's parameter-table operators per kind of parameter
_OPS = {
    "lambda": "=~",
    "tau": "|",
    "nu": "~1",
    "delta": "~*~",
    "theta": "~~",
    "alpha": "~1",
    "psi": "~~",
}


# ----------------------------------------------------------------------------
# The multi-group model (delta parameterization, mean structure)
# ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Slot:
    """One parameter of one group (a row of lavaan's parameter table)."""

    group: int
    kind: str  # lambda, tau, nu, delta (scale factor), theta (residual variance), alpha, psi
    row: int
    col: int
    free: int  # index in the (reduced) parameter vector; -1 when fixed
    value: float  # the fixed value (start value of a free one)
    equal: bool  # constrained equal across groups


class _Model:
    """Multi-group LISREL model of ordered items, delta parameterization.

    In group :math:`g`, latent responses :math:`y^* = \\nu + \\Lambda\\eta + \\epsilon`,
    :math:`E(\\eta) = \\alpha`, :math:`\\mathrm{Cov}(\\eta) = \\Psi`, scale factors
    :math:`\\delta_i = 1/\\mathrm{SD}(y^*_i)`. The implied statistics (lavaan's
    ``computeTH`` and ``computeSigmaHat`` for the delta parameterization) are the
    standardized thresholds and the correlations

    .. math:: \\tau^*_{ic} = \\delta_i(\\tau_{ic} - \\nu_i - \\Lambda_{i\\cdot}\\alpha), \\quad
              \\rho^*_{ij} = \\delta_i\\delta_j(\\Lambda\\Psi\\Lambda')_{ij},

    and the residual variances are implied: :math:`\\theta_{ii} = \\delta_i^{-2} -
    (\\Lambda\\Psi\\Lambda')_{ii}`. In the theta parameterization the residual variances
    :math:`\\theta_{ii}` are the parameters and the scale factors are implied,
    :math:`\\delta_i = [(\\Lambda\\Psi\\Lambda')_{ii} + \\theta_{ii}]^{-1/2}`.
    """

    def __init__(
        self,
        slots: list[_Slot],
        n_groups: int,
        p: int,
        m: int,
        th_item: np.ndarray,
        pair_i: np.ndarray,
        pair_j: np.ndarray,
        theta: bool = False,
    ) -> None:
        self.slots = slots
        self.theta = theta
        self.n_groups, self.p, self.m = n_groups, p, m
        self.th_item, self.pair_i, self.pair_j = th_item, pair_i, pair_j
        self.n_th = th_item.size
        self.n_stat = self.n_th + pair_i.size
        self.npar = 1 + max((s.free for s in slots), default=-1)
        # fixed values, and where each free parameter goes, per group and kind
        self._base = [self._empty() for _ in range(n_groups)]
        self._where: list[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
        for g in range(n_groups):
            mats = self._base[g]
            where = {}
            for kind in _OPS:
                mine = [s for s in slots if s.group == g and s.kind == kind]
                for s in mine:
                    if s.free < 0:
                        self._set(mats, kind, s.row, s.col, s.value)
                free = [s for s in mine if s.free >= 0]
                where[kind] = (
                    np.array([s.free for s in free], dtype=np.intp),
                    np.array([s.row for s in free], dtype=np.intp),
                    np.array([s.col for s in free], dtype=np.intp),
                )
            self._where.append(where)

    def _empty(self) -> dict[str, np.ndarray]:
        return {
            "lambda": np.zeros((self.p, self.m)),
            "tau": np.zeros(self.n_th),
            "nu": np.zeros(self.p),
            "delta": np.ones(self.p),
            "theta": np.ones(self.p),
            "alpha": np.zeros(self.m),
            "psi": np.eye(self.m),
        }

    @staticmethod
    def _set(mats: dict[str, np.ndarray], kind: str, row: Any, col: Any, v: Any) -> None:
        if kind == "lambda":
            mats[kind][row, col] = v
        elif kind == "psi":
            mats[kind][row, col] = v
            mats[kind][col, row] = v
        else:
            mats[kind][row] = v

    def start(self) -> np.ndarray:
        x = np.zeros(self.npar)
        for s in self.slots:
            if s.free >= 0:
                x[s.free] = s.value
        return x

    def matrices(self, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
        mats = {k: v.copy() for k, v in self._base[g].items()}
        for kind, (ks, rows, cols) in self._where[g].items():
            if ks.size:
                self._set(mats, kind, rows, cols, x[ks])
        if self.theta:  # implied scale factors 1 / SD(y*)
            lam = mats["lambda"]
            var = np.einsum("if,fg,ig->i", lam, mats["psi"], lam) + mats["theta"]
            with np.errstate(invalid="ignore", divide="ignore"):
                mats["delta"] = 1.0 / np.sqrt(var)
        return mats

    def moments(self, x: np.ndarray, g: int) -> np.ndarray:
        """Implied thresholds, then correlations (lavaan's order), of group ``g``."""
        mx = self.matrices(x, g)
        lam, d = mx["lambda"], mx["delta"]
        mu = mx["nu"] + lam @ mx["alpha"]
        it = self.th_item
        th = d[it] * (mx["tau"] - mu[it])
        c = lam @ mx["psi"] @ lam.T
        a, b = self.pair_i, self.pair_j
        return np.concatenate([th, d[a] * d[b] * c[a, b]])

    def jacobian(self, x: np.ndarray, g: int) -> np.ndarray:
        """Derivatives of :meth:`moments` of group ``g`` by the free parameters."""
        mx = self.matrices(x, g)
        lam, psi, d, alpha = mx["lambda"], mx["psi"], mx["delta"], mx["alpha"]
        mu = mx["nu"] + lam @ alpha
        it = self.th_item
        a, b = self.pair_i, self.pair_j
        c = lam @ psi @ lam.T
        lpsi = lam @ psi
        dd = d[a] * d[b]
        out = np.zeros((self.n_stat, self.npar))
        th = out[: self.n_th]
        cor = out[self.n_th :]
        where = self._where[g]

        def add(block: np.ndarray, ks: np.ndarray, values: np.ndarray) -> None:
            # a free parameter appears at most once per group and kind: no repeated columns
            block[:, ks] += values

        ks, rows, _ = where["tau"]
        if ks.size:
            th[rows, ks] += d[it[rows]]
        ks, rows, _ = where["nu"]
        if ks.size:
            add(th, ks, (it[:, None] == rows[None, :]) * -d[it][:, None])
        ks, rows, _ = where["alpha"]
        if ks.size:
            add(th, ks, -(d[it][:, None] * lam[np.ix_(it, rows)]))
        ks, rows, cols = where["lambda"]
        if ks.size:
            own = it[:, None] == rows[None, :]
            add(th, ks, own * -(d[it][:, None] * alpha[cols][None, :]))
            va = (a[:, None] == rows[None, :]) * lpsi[np.ix_(b, cols)]
            vb = (b[:, None] == rows[None, :]) * lpsi[np.ix_(a, cols)]
            add(cor, ks, dd[:, None] * (va + vb))
        ks, rows, _ = where["delta"]
        if ks.size:
            tau = mx["tau"]
            own = it[:, None] == rows[None, :]
            add(th, ks, own * (tau - mu[it])[:, None])
            va = (a[:, None] == rows[None, :]) * (d[b] * c[a, b])[:, None]
            vb = (b[:, None] == rows[None, :]) * (d[a] * c[a, b])[:, None]
            add(cor, ks, va + vb)
        ks, rows, cols = where["psi"]
        if ks.size:
            la_r, lb_c = lam[np.ix_(a, rows)], lam[np.ix_(b, cols)]
            la_c, lb_r = lam[np.ix_(a, cols)], lam[np.ix_(b, rows)]
            twice = (rows != cols)[None, :]
            add(cor, ks, dd[:, None] * (la_r * lb_c + twice * la_c * lb_r))
        if self.theta:
            out += self._through_scales(mx, where, c, lpsi, mu)
        return out

    def _through_scales(
        self,
        mx: dict[str, np.ndarray],
        where: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
        c: np.ndarray,
        lpsi: np.ndarray,
        mu: np.ndarray,
    ) -> np.ndarray:
        """Theta parameterization: the chain through the implied scale factors,
        :math:`\\partial\\sigma/\\partial\\delta \\cdot \\partial\\delta/\\partial x` with
        :math:`\\partial\\delta_i/\\partial v = -\\delta_i^3\\,\\partial\\mathrm{Var}(y^*_i)
        /\\partial v\\,/\\,2`."""
        d, lam, it = mx["delta"], mx["lambda"], self.th_item
        a, b = self.pair_i, self.pair_j
        p = self.p
        by_scale = np.zeros((self.n_stat, p))  # d moments / d delta_k
        by_scale[np.arange(self.n_th), it] = mx["tau"] - mu[it]
        rows = np.arange(self.n_th, self.n_stat)
        by_scale[rows, a] += d[b] * c[a, b]
        by_scale[rows, b] += d[a] * c[a, b]
        half_d3 = -0.5 * d**3
        scale_by = np.zeros((p, self.npar))  # d delta / d x
        ks, rows_, _ = where["theta"]
        if ks.size:
            scale_by[rows_, ks] += half_d3[rows_]
        ks, rows_, cols = where["lambda"]
        if ks.size:
            scale_by[rows_, ks] += 2.0 * half_d3[rows_] * lpsi[rows_, cols]
        ks, rows_, cols = where["psi"]
        if ks.size:
            twice = np.where(rows_ != cols, 2.0, 1.0)
            scale_by[:, ks] += half_d3[:, None] * lam[:, rows_] * lam[:, cols] * twice[None, :]
        return by_scale @ scale_by


def _build_model(
    level: str,
    n_groups: int,
    items: list[str],
    factors: list[str],
    item_factor: np.ndarray,
    th_item: np.ndarray,
    pair_i: np.ndarray,
    pair_j: np.ndarray,
    start: Mapping[tuple[str, int, int, int], float],
    theta: bool = False,
) -> _Model:
    """Wu & Estabrook's (2016) level as semTools writes it (``ID.fac = "std.lv"``): the
    scale factors (delta) or residual variances (theta) are 1 at the configural level and
    in the first group; in the others they are free from the thresholds level on, except
    for binary items, whose are free only at the intercepts level (where the intercepts
    are fixed)."""
    k = _LEVELS.index(level)
    binary = np.bincount(th_item, minlength=len(items)) == 1
    keys: dict[tuple[Any, ...], int] = {}
    slots: list[_Slot] = []

    def add(g: int, kind: str, row: int, col: int, fixed: float | None, equal: bool) -> None:
        if fixed is not None:
            slots.append(_Slot(g, kind, row, col, -1, float(fixed), False))
            return
        key = (kind, row, col) if equal else (kind, row, col, g)
        if key not in keys:
            keys[key] = len(keys)
        if equal:
            vals = [start[(kind, row, col, h)] for h in range(n_groups)]
            value = float(np.mean(vals))
        else:
            value = start[(kind, row, col, g)]
        slots.append(_Slot(g, kind, row, col, keys[key], value, equal))

    p, m = len(items), len(factors)
    for g in range(n_groups):
        first = g == 0
        for i in range(p):
            add(g, "lambda", i, int(item_factor[i]), None, k >= 2)
        for t in range(th_item.size):
            add(g, "tau", t, 0, None, k >= 1)
        for i in range(p):
            # intercepts: 0 (configural; and all equal to group 1's 0 at the intercepts level)
            add(g, "nu", i, 0, 0.0 if (k == 0 or k == 3 or first) else None, False)
        for i in range(p):
            scale = "theta" if theta else "delta"
            fixed = k == 0 or first or (binary[i] and k < 3)
            add(g, scale, i, 0, 1.0 if fixed else None, False)
        for f in range(m):
            add(g, "alpha", f, 0, 0.0 if (k < 3 or first) else None, False)
        for f in range(m):
            add(g, "psi", f, f, 1.0 if (k < 2 or first) else None, False)
        for f in range(m):
            for h in range(f + 1, m):
                add(g, "psi", f, h, None, False)
    return _Model(slots, n_groups, p, m, th_item, pair_i, pair_j, theta)


def _configural_start(
    stats_: list[OrdinalSampleStats],
    item_factor: np.ndarray,
    m: int,
    theta: bool = False,
) -> dict[tuple[str, int, int, int], float]:
    """Per group: loadings from each factor's first principal component of the polychoric
    block, factor correlations by least squares, the sample thresholds (theta
    parameterization: loadings and thresholds rescaled to unit residual variances)."""
    out: dict[tuple[str, int, int, int], float] = {}
    for g, st in enumerate(stats_):
        corr = st._internals.corr
        load = np.zeros(corr.shape[0])
        for f in range(m):
            idx = np.flatnonzero(item_factor == f)
            values, vectors = np.linalg.eigh(corr[np.ix_(idx, idx)])
            vec = vectors[:, -1] * math.sqrt(max(values[-1], 1e-3))
            vec = np.clip(vec * (1.0 if vec[0] >= 0 else -1.0), -0.95, 0.95)
            vec[np.abs(vec) < 0.1] = 0.1
            load[idx] = vec
        sd = 1.0 / np.sqrt(1.0 - load**2) if theta else np.ones_like(load)
        for i, f in enumerate(item_factor):
            out[("lambda", i, int(f), g)] = float(load[i] * sd[i])
        th_item = st._internals.th_item
        for t, v in enumerate(st._internals.s[: st._internals.n_th]):
            out[("tau", t, 0, g)] = float(v * sd[th_item[t]])
        for i in range(corr.shape[0]):
            out[("nu", i, 0, g)] = 0.0
            out[("delta", i, 0, g)] = 1.0
            out[("theta", i, 0, g)] = 1.0
        for f in range(m):
            out[("alpha", f, 0, g)] = 0.0
            out[("psi", f, f, g)] = 1.0
            for h in range(f + 1, m):
                fi, hi = np.flatnonzero(item_factor == f), np.flatnonzero(item_factor == h)
                prod = np.outer(load[fi], load[hi])
                r = corr[np.ix_(fi, hi)]
                out[("psi", f, h, g)] = float(
                    np.clip(np.sum(r * prod) / np.sum(prod * prod), -0.9, 0.9)
                )
    return out


def _values_of(model: _Model, x: np.ndarray) -> dict[tuple[str, int, int, int], float]:
    """Every slot's value at ``x`` (start values for the next level)."""
    return {
        (s.kind, s.row, s.col, s.group): float(x[s.free]) if s.free >= 0 else s.value
        for s in model.slots
    }


# ----------------------------------------------------------------------------
# Estimation
# ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Data:
    """Every group's statistics, weights and Gamma, and what the estimator reports."""

    s: list[np.ndarray]
    w: list[np.ndarray]  # DWLS weights 1 / diag(Gamma_g); ULS: 1
    gamma: list[np.ndarray]
    n: list[int]
    robust: bool = True  # robust SEs and the scaled-shifted test (WLSMV, ULSMV)
    unweighted: bool = False  # ULS, ULSMV: W = I, the standard statistic has no p-value

    @property
    def total(self) -> int:
        return int(sum(self.n))


def _objective(model: _Model, data: _Data, x: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """:math:`\\sum_g (N_g - 1) F_g` (lavaan's test statistic) and the residuals."""
    resid = [data.s[g] - model.moments(x, g) for g in range(model.n_groups)]
    f = sum((data.n[g] - 1) * float(np.sum(data.w[g] * r * r)) for g, r in enumerate(resid))
    return f, resid


def _gradient_gn(
    model: _Model, data: _Data, x: np.ndarray, resid: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """:math:`J'WJ` and :math:`J'Wr` summed over groups (weights :math:`N_g - 1`)."""
    h = np.zeros((model.npar, model.npar))
    grad = np.zeros(model.npar)
    for g in range(model.n_groups):
        jac = model.jacobian(x, g)
        wj = jac * ((data.n[g] - 1) * data.w[g])[:, None]
        h += jac.T @ wj
        grad += wj.T @ resid[g]
    return h, grad


def _minimize(model: _Model, data: _Data, x0: np.ndarray) -> tuple[np.ndarray, float, bool, int]:
    """Levenberg-Marquardt (damped Gauss-Newton) to a largest step below ``_STEP_TOL``.

    Returns the estimates, :math:`T` at the minimum, whether it converged and the number of
    iterations (about 20 to 35 on the Holzinger-Swineford cuts).
    """
    x = x0.copy()
    f, r = _objective(model, data, x)
    mu = 1e-3
    it = 0
    for it in range(1, _MAX_ITER + 1):
        h, g = _gradient_gn(model, data, x, r)
        diag = np.diag(h).copy()
        diag[diag <= 0] = 1.0
        while True:
            try:
                step = np.linalg.solve(h + mu * np.diag(diag), g)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(h + mu * np.diag(diag), g, rcond=None)[0]
            f_new, r_new = _objective(model, data, x + step)
            if np.isfinite(f_new) and f_new <= f * (1.0 + 1e-15):
                break
            mu *= 10.0
            if mu > 1e12:
                # no descent left: converged if the undamped step is negligible (rounding)
                plain = np.linalg.lstsq(h, g, rcond=None)[0]
                return x, f, bool(np.max(np.abs(plain)) < 1e-6), it
        x, f, r = x + step, f_new, r_new
        mu = max(mu / 10.0, 1e-12)
        if np.max(np.abs(step)) < _STEP_TOL:
            return x, f, True, it
    return x, f, False, it


# ----------------------------------------------------------------------------
# Inference
# ----------------------------------------------------------------------------
@dataclasses.dataclass
class _Fitted:
    level: str
    model: _Model
    x: np.ndarray
    stat: float
    df: int
    delta: list[np.ndarray]  # per group, at the estimates
    info_inv: np.ndarray
    vcov: np.ndarray
    fit: dict[str, Any]
    converged: bool


def _block_diag(blocks: list[np.ndarray]) -> np.ndarray:
    return linalg.block_diag(*blocks)


def _fit_level(model: _Model, data: _Data, x0: np.ndarray, level: str) -> _Fitted:
    x, stat, converged, iterations = _minimize(model, data, x0)
    n_total, n_groups = data.total, model.n_groups
    fg = np.array(data.n, dtype=float) / n_total
    delta = [model.jacobian(x, g) for g in range(n_groups)]
    info = sum(fg[g] * delta[g].T @ (delta[g] * data.w[g][:, None]) for g in range(n_groups))
    try:
        info_inv = np.linalg.inv(info)
        if not np.all(np.isfinite(info_inv)) or np.linalg.cond(info) > 1e12:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        info_inv = np.full((model.npar, model.npar), np.nan)
    if data.robust:
        meat = np.zeros_like(info_inv)
        for g in range(n_groups):
            wd = delta[g] * data.w[g][:, None]
            meat += fg[g] * wd.T @ data.gamma[g] @ wd
        # lavaan: vcov = E^-1 (sum_g f_g D'W Gamma W D) E^-1 / (N - G) for least squares
        vcov = info_inv @ meat @ info_inv / (n_total - n_groups)
    else:  # se = "standard": the inverted expected information, E^-1 / (N - G)
        vcov = info_inv / (n_total - n_groups)
    df = n_groups * model.n_stat - model.npar
    fit = _fit_measures(model, data, x, stat, df, delta, info_inv)
    fit["converged"] = bool(converged)
    fit["iterations"] = int(iterations)
    return _Fitted(level, model, x, stat, df, delta, info_inv, vcov, fit, converged)


def _fit_measures(
    model: _Model,
    data: _Data,
    x: np.ndarray,
    stat: float,
    df: int,
    delta: list[np.ndarray],
    info_inv: np.ndarray,
) -> dict[str, Any]:
    """lavaan's ``fitMeasures()`` of a multi-group WLSMV, DWLS, ULSMV or ULS fit (see
    ordinal_invariance): the scaled and robust measures only for WLSMV and ULSMV, and no
    p-value of the standard statistic (nor of the baseline's) for ULS and ULSMV."""
    n_groups, n_th = model.n_groups, model.n_th
    n_total = data.total
    fg = np.array(data.n, dtype=float) / n_total
    corr = slice(n_th, model.n_stat)
    out: dict[str, Any] = {"npar": model.npar, "chisq": stat, "df": df}
    out["pvalue"] = 1.0 - _pchisq(stat, df) if df > 0 and not data.unweighted else np.nan
    # baseline: thresholds free per group, correlations 0
    stat_b = sum(
        (data.n[g] - 1) * float(np.sum(data.w[g][corr] * data.s[g][corr] ** 2))
        for g in range(n_groups)
    )
    df_b = n_groups * (model.n_stat - n_th)
    out.update(
        {
            "baseline.chisq": stat_b,
            "baseline.df": df_b,
            "baseline.pvalue": np.nan if data.unweighted else 1.0 - _pchisq(stat_b, df_b),
        }
    )
    out["cfi"] = _cfi(stat, df, stat_b, df_b)
    out["tli"] = _tli(stat, df, stat_b, df_b)
    n1 = n_total - n_groups
    if not data.robust:
        _add_rmsea(out, "", stat, 1.0, df, n1, n_groups)
        out["rmsea.ci.level"] = 0.90
        out["srmr"] = _srmr(model, data, x)
        out["ntotal"] = n_total
        return {k: (v if isinstance(v, (int, bool)) else float(v)) for k, v in out.items()}
    # scaled-shifted: U = V - V D E^-1 D' V with V = diag(f_g W_g), Gamma_g / f_g
    v_all = np.concatenate([fg[g] * data.w[g] for g in range(n_groups)])
    g_all = _block_diag([data.gamma[g] / fg[g] for g in range(n_groups)])
    d_all = np.vstack(delta)
    vd = d_all * v_all[:, None]
    u = np.diag(v_all) - vd @ info_inv @ vd.T
    ug = u @ g_all
    tr1, tr2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    if df > 0:
        a = math.sqrt(df / tr2)
        shift = df - a * tr1
        stat_s = a * stat + shift
        out.update(
            {
                "chisq.scaled": stat_s,
                "df.scaled": float(df),
                "pvalue.scaled": 1.0 - _pchisq(stat_s, df),
                "chisq.scaling.factor": 1.0 / a,
                "chisq.shift.parameters": shift,
            }
        )
    else:
        stat_s = stat
        out.update(
            {
                "chisq.scaled": stat,
                "df.scaled": float(df),
                "pvalue.scaled": np.nan,
                "chisq.scaling.factor": np.nan,
                "chisq.shift.parameters": np.nan,
            }
        )
    tr1_b = tr2_b = 0.0
    for g in range(n_groups):
        wg = data.w[g][corr, None] * data.gamma[g][corr, corr]
        tr1_b += float(np.trace(wg))
        tr2_b += float(np.sum(wg * wg.T))
    a_b = math.sqrt(df_b / tr2_b)
    stat_bs = a_b * stat_b + df_b - a_b * tr1_b
    out.update(
        {
            "baseline.chisq.scaled": stat_bs,
            "baseline.df.scaled": float(df_b),
            "baseline.pvalue.scaled": 1.0 - _pchisq(stat_bs, df_b),
            "baseline.chisq.scaling.factor": 1.0 / a_b,
        }
    )
    out["cfi.scaled"] = _cfi(stat_s, df, stat_bs, df_b)
    out["tli.scaled"] = _tli(stat_s, df, stat_bs, df_b)
    rob = _robust_catml(model, data, x, delta, info_inv, df, df_b)
    out["cfi.robust"] = _cfi(rob["x2"], df, rob["x2_b"], df_b, rob["c"], rob["c_b"])
    out["tli.robust"] = _tli(rob["x2"], df, rob["x2_b"], df_b, rob["c"], rob["c_b"])
    for suffix, x2, c in (
        ("", stat, 1.0),
        (".scaled", stat_s, 1.0),
        (".robust", rob["x2"], rob["c"]),
    ):
        _add_rmsea(out, suffix, x2, c, df, n1, n_groups)
    out["rmsea.ci.level"] = 0.90
    out["srmr"] = _srmr(model, data, x)
    out["ntotal"] = n_total
    return {k: (v if isinstance(v, (int, bool)) else float(v)) for k, v in out.items()}


def _add_rmsea(
    out: dict[str, Any], suffix: str, x2: float, c: float, df: int, n1: int, n_groups: int
) -> None:
    """RMSEA, its 90% interval and p-values with N - G (least squares) and sqrt(G), as
    lavaan's ``lav_fit_rmsea*``."""
    sg = math.sqrt(n_groups)
    if not (np.isfinite(x2) and np.isfinite(c)) or df <= 0:
        value = 0.0 if (df <= 0 and np.isfinite(x2)) else np.nan
        out["rmsea" + suffix] = value
        out["rmsea.ci.lower" + suffix] = out["rmsea.ci.upper" + suffix] = value
        out["rmsea.pvalue" + suffix] = out["rmsea.notclose.pvalue" + suffix] = np.nan
        return
    out["rmsea" + suffix] = math.sqrt(max(x2 / n1 / df - c / n1, 0.0)) * sg
    x2_ci = x2 / c  # lavaan's robust interval and p-values use XX3 / c.hat
    lo, hi = _rmsea_ci(x2_ci, df, n1, c)
    out["rmsea.ci.lower" + suffix], out["rmsea.ci.upper" + suffix] = lo * sg, hi * sg
    ncp = n1 * df / c / n_groups
    out["rmsea.pvalue" + suffix] = 1.0 - _pchisq(x2_ci, df, ncp * _RMSEA_CLOSE**2)
    out["rmsea.notclose.pvalue" + suffix] = _pchisq(x2_ci, df, ncp * _RMSEA_NOTCLOSE**2)


def _srmr(model: _Model, data: _Data, x: np.ndarray) -> float:
    """The groups' root mean squared residual correlations, weighted by N_g / N."""
    fg = np.array(data.n, dtype=float) / data.total
    corr = slice(model.n_th, model.n_stat)
    srmr = 0.0
    for g in range(model.n_groups):
        r = data.s[g] - model.moments(x, g)
        srmr += fg[g] * math.sqrt(
            float(np.sum(r[corr] ** 2)) / (model.n_stat - model.n_th + model.p)
        )
    return srmr


def _robust_catml(
    model: _Model,
    data: _Data,
    x: np.ndarray,
    delta: list[np.ndarray],
    info_inv: np.ndarray,
    df: int,
    df_b: int,
) -> dict[str, float]:
    """Savalei's (2021) robust statistics, multi-group (lavaan's ``lav_fit_catml_dwls``).

    Only for models whose thresholds are free in every group: lavaan 0.6 refits the model by
    ML to the polychoric matrices with the thresholds and intercepts removed, which fails
    when thresholds carry equality constraints, and then reports NA; so do we.
    """
    nan = {"x2": np.nan, "x2_b": np.nan, "c": np.nan, "c_b": np.nan}
    if any(s.equal and s.kind == "tau" for s in model.slots):
        return nan
    n_groups, n_th = model.n_groups, model.n_th
    fg = np.array(data.n, dtype=float) / data.total
    corr = slice(n_th, model.n_stat)
    pi, pj = model.pair_i, model.pair_j
    p = model.p
    x2 = x2_b = kbs = 0.0
    v_blocks, w_blocks, g_blocks = [], [], []
    for g in range(n_groups):
        r = np.eye(p)
        r[pi, pj] = r[pj, pi] = data.s[g][corr]
        if np.linalg.eigvalsh(r).min() < _PD_TOL:
            return nan
        sigma = np.eye(p)
        mom = model.moments(x, g)[corr]
        sigma[pi, pj] = sigma[pj, pi] = mom
        s_inv = np.linalg.inv(sigma)
        logdet_s, logdet_r = np.linalg.slogdet(sigma)[1], np.linalg.slogdet(r)[1]
        x2 += data.n[g] * (logdet_s - logdet_r + float(np.trace(r @ s_inv)) - p)
        x2_b += -data.n[g] * logdet_r
        v = (
            s_inv[np.ix_(pi, pi)] * s_inv[np.ix_(pj, pj)]
            + s_inv[np.ix_(pi, pj)] * s_inv[np.ix_(pj, pi)]
        )
        v_blocks.append(fg[g] * v)
        w_blocks.append(fg[g] * data.w[g][corr])
        g_blocks.append(data.gamma[g][corr, corr] / fg[g])
        kbs += float(np.trace(data.gamma[g][corr, corr])) / fg[g]
    d_rho = np.vstack([delta[g][corr] for g in range(n_groups)])
    w_all = np.concatenate(w_blocks)
    wiu = np.eye(d_rho.shape[0]) - d_rho @ info_inv @ (d_rho.T * w_all[None, :])
    v_all, g_all = _block_diag(v_blocks), _block_diag(g_blocks)
    ks = float(np.sum((wiu.T @ v_all @ wiu) * g_all.T))
    return {"x2": x2, "x2_b": x2_b, "c": ks / df if df > 0 else np.inf, "c_b": kbs / df_b}


def _satorra_2000(less: _Fitted, more: _Fitted, data: _Data) -> dict[str, float]:
    """The scaled-shifted chi-square difference test of ``lavTestLRT`` for WLSMV and ULSMV.

    lavaan's ``lav_test_diff_Satorra2000(m1 = less, m0 = more, A.method = "delta",
    scaled.shifted = TRUE)``; see :func:`ordinal_invariance`, Notes.
    """
    m = more.df - less.df
    diff = more.stat - less.stat
    nan = float("nan")
    out = {"chi2_diff": diff, "df_diff": m, "p": nan, "a": nan, "b": nan}
    out.update({"trace_ugamma": nan, "trace_ugamma2": nan, "standard_diff": diff})
    if m <= 0 or not np.all(np.isfinite(less.info_inv)):
        return out  # equivalent models (lavaan: T0 - T1, no p-value), or no information
    d1 = np.vstack(less.delta)
    d0 = np.vstack(more.delta)
    h = np.linalg.pinv(d1) @ d0
    q, r_, _ = linalg.qr(h, pivoting=True)
    diag = np.abs(np.diag(r_))
    rank = int(np.sum(diag > 1e-7 * diag.max())) if diag.size else 0
    b = q[:, rank:].T  # orthogonal complement of H: the constraints `more` adds
    e_inv = less.info_inv
    apa = b @ e_inv @ b.T
    keep = ~((np.abs(apa.sum(axis=0)) < _PD_TOL) & (np.abs(apa.sum(axis=1)) < _PD_TOL))
    b = b[keep]
    mid = e_inv @ b.T @ np.linalg.pinv(b @ e_inv @ b.T, rcond=_PD_TOL) @ b @ e_inv
    fg = np.array(data.n, dtype=float) / data.total
    w_all = np.concatenate(data.w)
    g_all = _block_diag([fg[g] * data.gamma[g] for g in range(len(data.n))])
    wd = d1 * w_all[:, None]
    ug = wd @ mid @ wd.T @ g_all
    tr1, tr2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    a = math.sqrt(m / tr2)
    shift = m - a * tr1
    t_delta = diff * a + shift
    out.update(
        {
            "chi2_diff": t_delta,
            "p": 1.0 - _pchisq(t_delta, m),
            "a": a,
            "b": shift,
            "trace_ugamma": tr1,
            "trace_ugamma2": tr2,
        }
    )
    return out


def _standard_difference(less: _Fitted, more: _Fitted, data: _Data) -> dict[str, float]:
    """The plain chi-square difference test of ``lavTestLRT`` for DWLS and ULS fits.

    :math:`T_0 - T_1` on :math:`df_0 - df_1`, its chi-square p-value (lavaan gives it for
    ULS too, although the ULS statistic is not chi-square distributed) and the RMSEA of the
    difference, ``lav_fit_rmsea(T0 - T1, df0 - df1, N = ntotal, G)``.
    """
    m = more.df - less.df
    diff = more.stat - less.stat
    nan = float("nan")
    out = {"chi2_diff": diff, "df_diff": m, "p": nan, "rmsea_diff": nan}
    out["standard_diff"] = diff
    if m <= 0:
        return out  # equivalent models: T0 - T1, no p-value (lavaan)
    n_groups = len(data.n)
    out["p"] = 1.0 - _pchisq(diff, m)
    out["rmsea_diff"] = math.sqrt(max(diff / data.total / m - 1.0 / data.total, 0.0)) * (
        math.sqrt(n_groups)
    )
    return out


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class OrdinalInvarianceResult(Result):
    """Wu & Estabrook's (2016) invariance sequence for ordered items, fitted by WLSMV,
    DWLS, ULSMV or ULS.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per level (index ``level``): ``chi2, df, p`` (the standard DWLS or ULS
        statistic; ``p`` is NaN for ULS and ULSMV, as lavaan), ``cfi, tli, rmsea`` (of the
        standard statistic), ``chi2_scaled, df_scaled, p_scaled`` (scaled-shifted),
        ``cfi_scaled, tli_scaled, rmsea_scaled``, ``cfi_robust, tli_robust, rmsea_robust``
        (Savalei 2021; NaN beyond the configural level, as lavaan) (the scaled and robust
        columns are NaN for DWLS and ULS, which have none), ``srmr``, ``npar``; against the
        previous level: ``delta_cfi, delta_rmsea`` (of the scaled indices for WLSMV and
        ULSMV, of the plain ones for DWLS and ULS), ``delta_chi2, delta_df, delta_p`` (the
        difference test of ``lavTestLRT``: scaled-shifted for WLSMV and ULSMV, the plain
        difference for DWLS and ULS), ``converged``. The deltas are NaN in the first row.
    fits : dict
        Every level's fit measures under lavaan's ``fitMeasures()`` names (``chisq``,
        ``chisq.scaled``, ``cfi.robust``, ``rmsea.ci.lower.scaled``, ...); DWLS and ULS
        have no ``.scaled`` or ``.robust`` names.
    tests : dict
        Per level after the first, the difference test against the previous one:
        ``chi2_diff, df_diff, p``, ``standard_diff`` (the difference of the standard
        statistics) and, for WLSMV and ULSMV, lavaan's internals ``a``, ``b``,
        ``trace_ugamma``, ``trace_ugamma2``; for DWLS and ULS ``rmsea_diff`` (the RMSEA
        column of ``lavTestLRT``).
    estimates : pandas.DataFrame
        lavaan's ``parameterEstimates()`` of every level: ``level, group, lhs, op, rhs,
        free, equal, estimate, se, z, p, ci_low, ci_high``. Loadings ``=~``, thresholds
        ``|``, intercepts ``~1`` of items and latent means ``~1`` of factors, scale factors
        ``~*~``, factor (co)variances ``~~`` and the items' implied residual variances ``~~``
        (:math:`\\delta^{-2} - ` communality). ``se``, ``z``, ``p`` and the interval are NaN
        for fixed and implied values (lavaan shows 0).
    verdicts : dict
        A plain verdict per level (the configural one judges its own fit).
    highest_level : str or None
        The highest level of an unbroken chain of steps that hold.
    verdict : str
        One sentence: the highest level that holds and what it allows.
    group, group_levels, n_per_group, constructs, syntax, cutoffs
        As :class:`~workbench.sem.invariance.InvarianceResult`.
    estimator, parameterization : str
        lavaan's name (``"WLSMV"``, ``"DWLS"``, ``"ULSMV"``, ``"ULS"``); ``"delta"`` or
        ``"theta"``.
    warning_messages : tuple of str
    seconds : float
        Wall time of all fits and tests.
    """

    table: pd.DataFrame
    fits: dict[str, dict[str, Any]]
    tests: dict[str, dict[str, float]]
    estimates: pd.DataFrame
    verdicts: dict[str, str]
    highest_level: str | None
    verdict: str
    group: str
    group_levels: tuple[str, ...]
    n_per_group: dict[str, int]
    constructs: dict[str, list[str]]
    syntax: str
    cutoffs: dict[str, float]
    estimator: str = "WLSMV"
    parameterization: str = "delta"
    warning_messages: tuple[str, ...] = ()
    seconds: float = 0.0

    def to_frame(self) -> pd.DataFrame:
        """The comparison table, one row per level (see ``table``)."""
        return self.table.copy()

    def estimates_for(self, level: OrdinalLevel) -> pd.DataFrame:
        """The parameter estimates of one level."""
        if level not in self.table.index:
            raise ValueError(
                f"level must be one of {list(self.table.index)} (the levels fitted), got {level!r}."
            )
        est = self.estimates
        return est[est["level"] == level].reset_index(drop=True)

    def summary(self) -> str:
        if self.estimator in ("WLSMV", "ULSMV"):
            cols = ["chi2_scaled", "df", "p_scaled", "cfi_scaled", "rmsea_scaled", "cfi_robust"]
        else:  # DWLS, ULS: the standard statistic (no p-value for ULS) and plain indices
            cols = ["chi2", "df", "p", "cfi", "rmsea"]
        cols += ["srmr", "delta_cfi", "delta_rmsea", "delta_chi2", "delta_df", "delta_p"]
        sizes = ", ".join(f"{g} {n}" for g, n in self.n_per_group.items())
        lines = [
            f"Ordinal measurement invariance across '{self.group}' ({len(self.group_levels)} "
            f"groups: {sizes}); {self.estimator}, {self.parameterization} parameterization, "
            "Wu & Estabrook (2016) sequence",
            "",
            self.table[cols].to_string(float_format=lambda v: f"{v:.3f}"),
            "",
        ]
        lines += [f"{level}: {text}" for level, text in self.verdicts.items()]
        lines += ["", f"Verdict: {self.verdict}"]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``{level: {chi2, df, ..., delta_p, verdict}}`` for every level."""
        out: dict[str, Any] = {}
        for level, row in self.table.iterrows():
            entry = {k: row[k] for k in _TABLE_COLUMNS}
            entry["df"] = int(entry["df"])
            entry["npar"] = int(entry["npar"])
            entry["converged"] = bool(entry["converged"])
            entry["delta_df"] = None if pd.isna(entry["delta_df"]) else int(entry["delta_df"])
            entry["verdict"] = self.verdicts.get(str(level), "")
            out[str(level)] = entry
        return jsonable(out)


# ----------------------------------------------------------------------------
# Data preparation
# ----------------------------------------------------------------------------
def _prepare(
    data: pd.DataFrame, items: list[str], group: Any, max_categories: int
) -> tuple[list[str], list[pd.DataFrame], list[str]]:
    """Groups in lavaan's order and their complete cases, items as ordered categoricals
    on the categories observed in the whole sample; checks every category in every group."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"Expected a pandas DataFrame, got {type(data).__name__}.",
            hint="Pass the survey data as a DataFrame with the items and the group column.",
        )
    if group not in data.columns:
        raise InputError(
            f"The group column '{group}' is not in the data.",
            column=str(group),
            hint="Pass the name of a column that holds the groups (e.g. 'channel'); "
            f"available columns start with {list(map(str, data.columns[:8]))}.",
        )
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise InputError(
            f"Item(s) {missing} are not columns of the data.",
            column=str(missing[0]),
            hint="check the item names against the data's column names.",
        )
    notes: list[str] = []
    labels = data[group]
    no_group = labels.isna().to_numpy()
    if no_group.all():
        raise InputError(
            f"The group column '{group}' is empty in every row.",
            column=str(group),
            hint="Check the export of that column, or choose another grouping column.",
        )
    if no_group.any():
        notes.append(f"{int(no_group.sum())} row(s) without a value of '{group}' were left out.")
    frame = data.loc[~no_group, [*items]].copy()
    glabels = labels[~no_group].astype(str)
    complete = frame.notna().all(axis=1).to_numpy()
    if (~complete).any():
        notes.append(
            f"{int((~complete).sum())} respondent(s) with a missing answer were left out "
            "(listwise deletion, lavaan's default)."
        )
    frame, glabels = frame[complete], glabels[complete]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        order = [str(c) for c in labels.cat.categories if str(c) in set(glabels)]
    else:
        order = list(pd.unique(glabels))
    if len(order) < 2:
        raise InputError(
            f"The group column '{group}' has a single group among the complete rows "
            f"({order[0] if order else 'none'}); invariance needs two or more.",
            column=str(group),
            hint="Choose a column with at least two groups.",
        )
    for item in items:
        s = frame[item]
        if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
            cats = list(s.cat.categories)
            unused = [c for c in cats if not (s == c).any()]
            if unused and len(cats) - len(unused) >= 2:
                raise InputError(
                    f"Category {unused[0]!r} of this ordered item has no answers in any group, "
                    f"so its thresholds cannot be estimated (categories {cats}).",
                    column=str(item),
                    value=unused[0],
                    hint="merge the empty category with a neighbouring one, or remove it from "
                    "the item's categories (e.g. Series.cat.remove_unused_categories()).",
                )
            cats = [c for c in cats if c not in unused]
        else:
            if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
                raise InputError(
                    "Ordered items must be coded as integers (or as an ordered categorical).",
                    column=str(item),
                    value=s.iloc[0],
                    hint="recode the answers as integers 1..k in their order, and missing "
                    "codes as NaN.",
                )
            xv = s.to_numpy(dtype=float)
            bad = xv != np.round(xv)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise InputError(
                    "Ordered items must be coded as integers; this item has another value.",
                    column=str(item),
                    value=float(xv[pos]),
                    hint="use integer category codes.",
                )
            cats = [int(v) for v in np.unique(xv)]
        if len(cats) < 2:
            raise InputError(
                "This ordered item has a single observed category"
                + (f" ({cats[0]!r})" if cats else "")
                + ", so it has no thresholds or correlations.",
                column=str(item),
                value=cats[0] if cats else None,
                hint="drop the item from the model (it does not vary), or check the data.",
            )
        if len(cats) > max_categories:
            raise InputError(
                f"This item has {len(cats)} distinct values; treating it as ordered needs at "
                f"most {max_categories} categories.",
                column=str(item),
                hint="check for unrecoded missing codes (e.g. 99), or raise max_categories.",
            )
        coded = pd.Categorical(s, categories=cats, ordered=True)
        for name in order:
            counts = pd.Series(coded[(glabels == name).to_numpy()]).value_counts(sort=False)
            counts = counts.reindex(cats, fill_value=0)
            if (counts == 0).any():
                empty = [c for c, k in counts.items() if k == 0]
                freq = ", ".join(f"{c}: {k}" for c, k in counts.items())
                raise InputError(
                    f"Category {empty[0]!r} of item '{item}' has no answers in group "
                    f"'{name}' of '{group}' (frequencies {freq}), so that group's thresholds "
                    "cannot be estimated; lavaan refuses such data too. Categories are not "
                    "merged silently.",
                    column=str(item),
                    value=name,
                    hint="merge the empty category with a neighbouring one in every group "
                    "(the same recode for all), or drop the item or the group.",
                )
        frame[item] = coded
    frames = [frame[(glabels == name).to_numpy()] for name in order]
    small = [f"{name} ({len(f)})" for name, f in zip(order, frames, strict=True) if len(f) < 100]
    if small:
        notes.append(
            "Small group(s): " + ", ".join(small) + "; the thresholds, polychoric "
            "correlations and their weights are unstable with fewer than about 100 "
            "respondents per group."
        )
    return order, frames, notes


# ----------------------------------------------------------------------------
# Public function
# ----------------------------------------------------------------------------
def ordinal_invariance(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    group: str,
    *,
    levels: Sequence[OrdinalLevel] = ("configural", "thresholds", "loadings", "intercepts"),
    estimator: OrdinalEstimator = "wlsmv",
    parameterization: Literal["delta", "theta"] = "delta",
    delta_cfi: float = -0.010,
    delta_rmsea: float = 0.015,
    max_categories: int = 10,
) -> OrdinalInvarianceResult:
    """Test the invariance of ordered items across groups, as Wu & Estabrook (2016).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent: the items coded as integers in their order (or ordered
        categoricals; NaN is missing, rows with a missing answer are left out) and the
        grouping column (rows with a missing group are left out).
    constructs : mapping of str to sequence of str
        Factor -> its items (each item on one factor; factors correlate). Items may have
        different numbers of categories (two or more).
    group : str
        The grouping column. Groups are in the order of first appearance (the categories'
        order for a categorical column); the first is the reference group.
    levels : sequence of {"configural", "thresholds", "loadings", "intercepts"}
        The levels to fit, cumulative as Wu & Estabrook's sequence ("loadings" has equal
        thresholds and loadings; "intercepts" equal thresholds, loadings and intercepts);
        must include "configural". Each is compared with the previous one fitted.
    estimator : {"wlsmv", "dwls", "ulsmv", "uls"}
        Lower or upper case, as lavaan's ``estimator =``. ``"wlsmv"``: DWLS with robust
        standard errors and the scaled-shifted test; ``"dwls"``: the same estimates with
        standard errors and the standard test (with its p-value) and plain chi-square
        differences; ``"ulsmv"``: unweighted least squares with robust standard errors and
        the scaled-shifted test (the standard statistic has no p-value); ``"uls"``:
        unweighted least squares with standard errors, the standard statistic without a
        p-value, and plain chi-square differences with the p-value ``lavTestLRT`` gives
        (only a rough guide: the ULS statistic is not chi-square distributed).
    parameterization : {"delta", "theta"}
        ``"delta"`` (lavaan's default): the latent responses' scale factors are parameters
        (1 in the first group) and their residual variances implied; ``"theta"``: the
        residual variances are parameters (1 in the first group) and the scale factors
        implied. With items of three or more categories the fit, the tests and the verdicts
        are the same and the estimates differ in scale; with binary items the loadings
        level differs (a scale factor fixed at 1 is not a residual variance fixed at 1 once
        the loadings are equal), as in lavaan.
    delta_cfi, delta_rmsea : float
        Cut-offs of the verdicts, applied to the changes in the scaled CFI and RMSEA.
    max_categories : int
        Items with more distinct values raise :class:`~workbench.errors.InputError`.

    Returns
    -------
    OrdinalInvarianceResult
        ``table``, ``fits``, ``tests``, ``estimates``, ``verdicts``, ``verdict``.

    Raises
    ------
    ValueError
        Unknown levels, estimator or parameterization.
    InputError
        A missing group column or item, a single group, non-integer codes, an item with a
        single observed category or a declared category nobody chose, and an item with a
        category nobody chose in one group (named with the group and the frequencies:
        lavaan refuses these data too; we never merge categories silently).

    Notes
    -----
    *Levels* (semTools ``measEq.syntax(model, ordered = items, parameterization = ...,
    ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = g, group.equal = ...)``,
    checked against the syntax it writes): configural: loadings :math:`\\Lambda_g`,
    thresholds :math:`\\tau_g` and factor correlations free in every group, intercepts
    :math:`\\nu_g = 0`, scale factors :math:`\\delta_g = 1` (theta: residual variances
    :math:`\\theta_g = 1`), latent means :math:`\\alpha_g = 0`, latent variances 1;
    thresholds: :math:`\\tau_g = \\tau`, :math:`\\nu_g` and :math:`\\delta_g` (theta:
    :math:`\\theta_g`) free for :math:`g \\ge 2`; loadings: also
    :math:`\\Lambda_g = \\Lambda`, latent variances free for :math:`g \\ge 2`; intercepts:
    also :math:`\\nu_g = 0` for all groups, :math:`\\alpha_g` free for :math:`g \\ge 2`.
    Binary items (one threshold): their scale factor (theta: residual variance) stays 1 in
    every group until the intercepts level, where it is freed in groups 2..G as their
    intercepts are fixed (semTools' rule for binary items). With three categories per item
    the thresholds model is equivalent to the configural model (the same fit and df; Wu &
    Estabrook, 2016): its step is reported as holding. A step whose models did not converge
    is not assessed (no difference test, and the chain of verdicts stops there).

    *Estimation.* Each group's sample thresholds and polychoric correlations :math:`s_g`
    with their asymptotic covariance :math:`\\Gamma_g` (Muthen, 1984) are computed in that
    group; with :math:`W_g = \\mathrm{diag}(\\Gamma_g)^{-1}` the estimates minimize
    :math:`T = \\sum_g (N_g - 1)(s_g - \\sigma_g)'W_g(s_g - \\sigma_g)`, which is lavaan's
    standard test statistic, on :math:`df = \\sum_g \\dim s_g - q` (:math:`q` free
    parameters net of equality constraints). Implied statistics: :math:`\\tau^*_{ic} =
    \\delta_i(\\tau_{ic} - \\nu_i - \\Lambda_{i\\cdot}\\alpha)`, :math:`\\rho^*_{ij} =
    \\delta_i\\delta_j(\\Lambda\\Psi\\Lambda')_{ij}` (theta: :math:`\\delta_i =
    [(\\Lambda\\Psi\\Lambda')_{ii} + \\theta_{ii}]^{-1/2}`). With :math:`f_g = N_g/N`,
    :math:`E = \\sum_g f_g\\Delta_g'W_g\\Delta_g`, robust standard errors
    :math:`E^{-1}(\\sum_g f_g \\Delta_g'W_g\\Gamma_gW_g\\Delta_g)E^{-1}/(N - G)` (WLSMV,
    ULSMV; lavaan's ``se = "robust.sem"``), standard ones :math:`E^{-1}/(N - G)` (DWLS,
    ULS; ``se = "standard"``). ULS and ULSMV use :math:`W_g = I` throughout (estimates,
    :math:`T`, the scaled test, the indices and the difference test); the ULS statistic
    :math:`T` is not chi-square distributed, so its p-value (and the baseline's) is NaN,
    as lavaan's ``fitMeasures()``.

    *Test and indices* (lavaan's multi-group formulas): :math:`U = V - V\\Delta E^{-1}
    \\Delta'V` with :math:`V = \\oplus_g f_gW_g`, :math:`\\Gamma = \\oplus_g \\Gamma_g/f_g`;
    scaled-shifted :math:`aT + b`, :math:`a = \\sqrt{df/\\mathrm{tr}(U\\Gamma)^2}`,
    :math:`b = df - a\\,\\mathrm{tr}(U\\Gamma)`; the baseline has free thresholds and zero
    correlations in every group. RMSEA uses :math:`N - G` and is multiplied by
    :math:`\\sqrt{G}`; SRMR is the :math:`f_g`-weighted mean of the groups' SRMRs (over
    correlations); CFI/TLI/RMSEA ``.robust`` as Savalei (2021) summed over groups, only for
    the configural level (lavaan 0.6 reports NA when thresholds are constrained).

    *Difference test* (Satorra, 2000; ``lavTestLRT(m_less, m_more)``, whose default for
    WLSMV is ``method = "satorra.2000"`` with ``scaled.shifted = TRUE``): with
    :math:`\\Delta_1, \\Delta_0` the stacked Jacobians of the less and the more restricted
    model at their own estimates (in their constrained parameters), :math:`H =
    \\Delta_1^+\\Delta_0` and :math:`A` an orthonormal basis of the complement of
    :math:`H`'s columns (the constraints added); :math:`M = E_1^{-1}A'(AE_1^{-1}A')^{+}AE_1^{-1}`,
    :math:`U_d = W\\Delta_1M\\Delta_1'W` (:math:`W = \\oplus_g W_g`), :math:`\\Gamma_d =
    \\oplus_g f_g\\Gamma_g`, :math:`m = df_0 - df_1`; :math:`\\Delta T = a(T_0 - T_1) + b`
    with :math:`a = \\sqrt{m/\\mathrm{tr}(U_d\\Gamma_d)^2}`, :math:`b = m -
    a\\,\\mathrm{tr}(U_d\\Gamma_d)`, referred to :math:`\\chi^2_m`. Equivalent models
    (:math:`m = 0`) get :math:`T_0 - T_1` and no p-value, as lavaan. DWLS and ULS (no
    scaled test): ``lavTestLRT`` gives the plain :math:`T_0 - T_1` on :math:`m` with its
    chi-square p-value (for ULS as well, although the per-model statistic has none) and
    the RMSEA of the difference :math:`\\sqrt{\\max(0, (T_0 - T_1)/(Nm) - 1/N)}\\sqrt{G}`.

    *Verdicts* as :func:`~workbench.sem.invariance.measurement_invariance` (Chen 2007;
    Cheung & Rensvold 2002) on the scaled CFI and RMSEA (WLSMV, ULSMV) or the plain ones
    (DWLS, ULS); the difference test is reported, not used for the verdict.

    References
    ----------
    Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models
    of different levels of invariance for ordered categorical outcomes. *Psychometrika*,
    81(4), 1014-1045.

    Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of
    moment structures. In *Innovations in multivariate statistical analysis* (pp. 233-247).
    Kluwer.

    Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. Mplus
    technical appendix.

    Savalei, V. (2021). Improving fit indices in structural equation modeling with
    categorical data. *Multivariate Behavioral Research*, 56, 390-407.

    R: ``semTools::measEq.syntax(..., ID.cat = "Wu.Estabrook.2016")`` (0.5-6), then
    ``lavaan::cfa(syntax, data, ordered = items, estimator = "WLSMV", group = g)``,
    ``fitMeasures()``, ``lavTestLRT(m1, m0)`` (lavaan 0.6-14); tested in
    tests/test_sem_ordinal_invariance.py against tests/reference/lavaan_ordinal_invariance.R,
    and for ``estimator = "DWLS"``, ``"ULSMV"``, ``"ULS"`` in
    tests/test_sem_ordinal_invariance_estimators.py against
    tests/reference/lavaan_ordinal_invariance_estimators.R.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal_invariance import ordinal_invariance
    >>> cut = pd.read_csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
    >>> hs3 = cut[cut["categories"] == 3].drop(columns="categories").reset_index(drop=True)
    >>> hs3["school"] = pd.read_csv("data/holzinger_swineford_1939.csv")["school"]
    >>> res = ordinal_invariance(hs3, {"visual": ["x1", "x2", "x3"],
    ...                                "textual": ["x4", "x5", "x6"],
    ...                                "speed": ["x7", "x8", "x9"]}, "school")
    >>> cols = ["chi2_scaled", "df", "cfi_scaled", "delta_chi2", "delta_df", "delta_p"]
    >>> print(res.table[cols].round(3).reset_index().to_string(index=False))
         level  chi2_scaled  df  cfi_scaled  delta_chi2  delta_df  delta_p
    configural       93.217  48       0.951         NaN       NaN      NaN
    thresholds       93.217  48       0.951       0.000       0.0      NaN
      loadings       95.780  54       0.954       3.662       6.0    0.722
    intercepts      133.570  60       0.920      34.935       6.0    0.000
    >>> res.highest_level
    'loadings'
    """
    started = time.perf_counter()
    requested: list[str] = [levels] if isinstance(levels, str) else [str(v) for v in levels]
    bad = [lv for lv in requested if lv not in _LEVELS]
    if bad or "configural" not in requested or len(set(requested)) != len(requested):
        raise ValueError(
            f"levels must be distinct values among {list(_LEVELS)}, including 'configural' "
            f"(the baseline of the comparisons), got {requested!r}."
        )
    chosen = [lv for lv in _LEVELS if lv in requested]
    est = str(estimator).lower()
    if est not in _ESTIMATORS:
        raise ValueError(
            f"estimator must be one of {list(_ESTIMATORS)} (lower or upper case), "
            f"got {estimator!r}."
        )
    if parameterization not in ("delta", "theta"):
        raise ValueError(
            f"parameterization must be one of ['delta', 'theta'], got {parameterization!r}."
        )
    syntax = cfa_syntax(constructs)  # validates the constructs (InputError)
    cons = {
        str(k): [str(v) for v in ([vs] if isinstance(vs, str) else vs)]
        for k, vs in constructs.items()
    }
    items = [v for vs in cons.values() for v in vs]
    factors = list(cons)
    item_factor = np.array([f for f, vs in enumerate(cons.values()) for _ in vs])
    order, frames, notes = _prepare(data, items, group, max_categories)

    with single_threaded_blas():  # small matrices: BLAS threads only add contention
        return _analyse(
            chosen,
            frames,
            items,
            factors,
            item_factor,
            order,
            notes,
            max_categories,
            str(group),
            cons,
            syntax,
            delta_cfi,
            delta_rmsea,
            started,
            parameterization,
            est,
        )


def _analyse(
    chosen: list[str],
    frames: list[pd.DataFrame],
    items: list[str],
    factors: list[str],
    item_factor: np.ndarray,
    order: list[str],
    notes: list[str],
    max_categories: int,
    group: str,
    cons: dict[str, list[str]],
    syntax: str,
    delta_cfi: float,
    delta_rmsea: float,
    started: float,
    parameterization: str,
    estimator: str,
) -> OrdinalInvarianceResult:
    stats_ = [ordinal_sample_statistics(f, items, max_categories=max_categories) for f in frames]
    first = stats_[0]._internals
    theta = parameterization == "theta"
    fitted = _fit_levels(chosen, stats_, items, factors, item_factor, first, theta, estimator)
    for g, st in enumerate(stats_):
        notes += [f"Group '{order[g]}': {w}" for w in st.warnings if "left out" not in w]
    data_ = fitted["data"]
    # the indices the changes and verdicts read: scaled when the estimator has them
    fk = ".scaled" if data_.robust else ""
    fits: dict[str, dict[str, Any]] = {}
    tests: dict[str, dict[str, float]] = {}
    tables = []
    rows = []
    previous: _Fitted | None = None
    for lv, res in fitted["levels"].items():
        fits[lv] = res.fit
        if not res.converged:
            notes.append(
                f"The {lv} model did not converge; its estimates and fit are not reliable."
            )
        if not np.all(np.isfinite(res.info_inv)):
            notes.append(f"The {lv} model's information matrix is singular: no standard errors.")
        tables.append(_estimates_table(res, items, factors, order))
        notes += _heywood(tables[-1], lv)
        f = res.fit
        row = {
            "level": lv,
            "chi2": f["chisq"],
            "df": f["df"],
            "p": f["pvalue"],
            "cfi": f["cfi"],
            "tli": f["tli"],
            "rmsea": f["rmsea"],
            "chi2_scaled": f.get("chisq.scaled", np.nan),
            "df_scaled": f.get("df.scaled", np.nan),
            "p_scaled": f.get("pvalue.scaled", np.nan),
            "cfi_scaled": f.get("cfi.scaled", np.nan),
            "tli_scaled": f.get("tli.scaled", np.nan),
            "rmsea_scaled": f.get("rmsea.scaled", np.nan),
            "cfi_robust": f.get("cfi.robust", np.nan),
            "tli_robust": f.get("tli.robust", np.nan),
            "rmsea_robust": f.get("rmsea.robust", np.nan),
            "srmr": f["srmr"],
            "npar": f["npar"],
            "converged": res.converged,
        }
        if previous is not None:
            if data_.robust:
                test = _satorra_2000(previous, res, data_)
            else:
                test = _standard_difference(previous, res, data_)
            if not (res.converged and previous.converged):  # no test between failed fits
                test = {k: (v if k == "df_diff" else np.nan) for k, v in test.items()}
            tests[lv] = test
            row.update(
                {
                    "delta_cfi": f["cfi" + fk] - previous.fit["cfi" + fk],
                    "delta_rmsea": f["rmsea" + fk] - previous.fit["rmsea" + fk],
                    "delta_chi2": test["chi2_diff"],
                    "delta_df": test["df_diff"],
                    "delta_p": test["p"],
                }
            )
        rows.append(row)
        previous = res
    table = pd.DataFrame(rows).set_index("level").reindex(columns=_TABLE_COLUMNS)
    verdicts, highest, verdict = _verdicts(
        table, fits, chosen, delta_cfi, delta_rmsea, notes, estimator
    )
    return OrdinalInvarianceResult(
        table=table,
        fits=fits,
        tests=tests,
        estimates=pd.concat(tables, ignore_index=True),
        verdicts=verdicts,
        highest_level=highest,
        verdict=verdict,
        group=str(group),
        group_levels=tuple(order),
        n_per_group={name: len(f) for name, f in zip(order, frames, strict=True)},
        constructs=cons,
        syntax=syntax,
        cutoffs={"delta_cfi": float(delta_cfi), "delta_rmsea": float(delta_rmsea)},
        estimator=_LAVAAN_ESTIMATOR[estimator],
        parameterization=parameterization,
        warning_messages=tuple(notes),
        seconds=time.perf_counter() - started,
    )


def _fit_levels(
    chosen: list[str],
    stats_: list[OrdinalSampleStats],
    items: list[str],
    factors: list[str],
    item_factor: np.ndarray,
    first: Any,
    theta: bool,
    estimator: str = "wlsmv",
) -> dict[str, Any]:
    unweighted = estimator in ("uls", "ulsmv")
    data_ = _Data(
        s=[st._internals.s for st in stats_],
        w=[
            np.ones(st._internals.s.size) if unweighted else 1.0 / np.diag(st._internals.gamma)
            for st in stats_
        ],
        gamma=[st._internals.gamma for st in stats_],
        n=[st.n for st in stats_],
        robust=estimator in ("wlsmv", "ulsmv"),
        unweighted=unweighted,
    )
    th_item = first.th_item
    start = _configural_start(stats_, item_factor, len(factors), theta)
    out: dict[str, _Fitted] = {}
    for lv in chosen:
        model = _build_model(
            lv,
            len(stats_),
            items,
            factors,
            item_factor,
            th_item,
            first.pair_i,
            first.pair_j,
            start,
            theta,
        )
        res = _fit_level(model, data_, model.start(), lv)
        out[lv] = res
        start = _values_of(model, res.x)
    return {"data": data_, "levels": out}


def _estimates_table(
    res: _Fitted, items: list[str], factors: list[str], order: list[str]
) -> pd.DataFrame:
    model, x = res.model, res.x
    th_labels = []
    counts: dict[int, int] = {}
    for i in model.th_item:
        counts[int(i)] = counts.get(int(i), 0) + 1
        th_labels.append(f"t{counts[int(i)]}")
    with np.errstate(invalid="ignore"):
        se_free = np.sqrt(np.diag(res.vcov))
    rows = []
    for g in range(model.n_groups):
        mx = model.matrices(x, g)
        for s in (s for s in model.slots if s.group == g):
            if s.kind == "lambda":
                lhs, rhs = factors[s.col], items[s.row]
            elif s.kind == "tau":
                lhs, rhs = items[int(model.th_item[s.row])], th_labels[s.row]
            elif s.kind in ("nu", "delta", "theta"):
                lhs, rhs = items[s.row], ("" if s.kind == "nu" else items[s.row])
            elif s.kind == "alpha":
                lhs, rhs = factors[s.row], ""
            else:
                lhs, rhs = factors[s.row], factors[s.col]
            value = float(x[s.free]) if s.free >= 0 else s.value
            se = float(se_free[s.free]) if s.free >= 0 else np.nan
            rows.append((g, lhs, _OPS[s.kind], rhs, s.free >= 0, s.equal, value, se))
        lam, psi, d = mx["lambda"], mx["psi"], mx["delta"]
        communality = np.einsum("if,fg,ig->i", lam, psi, lam)
        for i, item in enumerate(items):
            if model.theta:  # implied scale factor
                rows.append((g, item, "~*~", item, False, False, float(d[i]), np.nan))
            else:  # implied residual variance
                resvar = 1.0 / d[i] ** 2 - communality[i]
                rows.append((g, item, "~~", item, False, False, float(resvar), np.nan))
    est = pd.DataFrame(
        rows, columns=["group", "lhs", "op", "rhs", "free", "equal", "estimate", "se"]
    )
    est["group"] = [order[g] for g in est["group"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        est["z"] = est["estimate"] / est["se"]
    est["p"] = 2.0 * stats.norm.sf(np.abs(est["z"]))
    crit = stats.norm.ppf(0.975)
    est["ci_low"] = est["estimate"] - crit * est["se"]
    est["ci_high"] = est["estimate"] + crit * est["se"]
    est.insert(0, "level", res.level)
    return est


def _heywood(est: pd.DataFrame, level: str) -> list[str]:
    """Negative implied residual variances (a standardized loading above 1), as lavaan warns."""
    res = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & (est["estimate"] < 0)]
    return [
        f"Heywood case ({level} model, group '{r.group}'): the residual variance of '{r.lhs}' "
        f"is negative ({r.estimate:.4f}), i.e. its standardized loading exceeds 1. Check the "
        "model, or items that are nearly redundant in that group."
        for r in res.itertuples()
    ]


def _verdicts(
    table: pd.DataFrame,
    fits: dict[str, dict[str, Any]],
    chosen: list[str],
    cut_cfi: float,
    cut_rmsea: float,
    notes: list[str],
    estimator: str = "wlsmv",
) -> tuple[dict[str, str], str | None, str]:
    robust = estimator in ("wlsmv", "ulsmv")
    fk = ".scaled" if robust else ""  # the indices judged: scaled when there are any
    name = "scaled " if robust else ""
    verdicts: dict[str, str] = {}
    highest: str | None = None
    chain_ok = True
    for k, lv in enumerate(chosen):
        f = fits[lv]
        if k == 0:
            judged = {"cfi": f["cfi" + fk], "rmsea": f["rmsea" + fk], "srmr": f["srmr"]}
            text, ok = _configural_verdict(judged)
            verdicts[lv] = text.replace("CFI =", f"{name}CFI =", 1).replace(
                "RMSEA =", f"{name}RMSEA =", 1
            )
            if not ok:
                notes.append("Configural model: " + verdicts[lv])
            highest = lv
            continue
        prev = chosen[k - 1]
        row = table.loc[lv]
        assessable = bool(row["converged"]) and bool(table.loc[prev, "converged"])
        if not (assessable and np.isfinite([row["delta_cfi"], row["delta_rmsea"]]).all()):
            text = (
                f"{lv} invariance cannot be assessed: the {lv} or the {prev} model did not "
                "converge (or has no fit indices); see the warnings."
            )
            ok = False
        elif int(row["delta_df"]) == 0:
            text = (
                f"{lv} invariance cannot be tested here: the model is equivalent to the "
                f"{prev} model (the same degrees of freedom and fit, Δχ² = "
                f"{row['delta_chi2']:.2g})"
                + (
                    "; with three categories per item, equal thresholds only set the scale "
                    "of the latent responses (Wu & Estabrook 2016)"
                    if lv == "thresholds"
                    else ""
                )
                + ". It is carried forward as holding."
            )
            ok = True
        else:
            text, ok = _step_verdict(
                lv,
                prev,
                float(row["delta_cfi"]),
                float(row["delta_rmsea"]),
                cut_cfi,
                cut_rmsea,
            )
            if robust:
                text = text.replace("ΔCFI", "Δ scaled CFI", 1).replace(
                    "ΔRMSEA", "Δ scaled RMSEA", 1
                )
            how = (
                "Scaled-shifted chi-square difference (lavTestLRT, Satorra 2000)"
                if robust
                else "Chi-square difference (lavTestLRT)"
            )
            text += (
                f" {how}: Δχ²({int(row['delta_df'])}) = {row['delta_chi2']:.2f}, "
                f"p = {row['delta_p']:.3g}"
                + (
                    " (ULS statistics are not chi-square distributed: the p-value, which "
                    "lavTestLRT gives, is only a rough guide)."
                    if estimator == "uls"
                    else "."
                )
            )
        verdicts[lv] = text
        if chain_ok and ok:
            highest = lv
        else:
            chain_ok = False
    verdict = _WHAT_HOLDS[highest] + "." if highest else "No level could be assessed."
    nxt = [lv for lv in chosen if highest and _LEVELS.index(lv) > _LEVELS.index(highest)]
    if nxt:
        verdict += f" {nxt[0].capitalize()} invariance is not established."
    if not _configural_verdict(
        {
            "cfi": fits[chosen[0]]["cfi" + fk],
            "rmsea": fits[chosen[0]]["rmsea" + fk],
            "srmr": fits[chosen[0]]["srmr"],
        }
    )[1]:
        verdict += " Caveat: the configural model itself fits poorly."
    return verdicts, highest, verdict[0].upper() + verdict[1:]
