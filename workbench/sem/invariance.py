"""Measurement invariance across groups: configural, metric and scalar models.

A multi-group confirmatory factor analysis with a mean structure, estimated by
maximum likelihood at parity with lavaan 0.6 (``cfa(model, data, group = g,
group.equal = ...)``), and the usual sequence of nested models:

* configural: the same factor pattern in every group, every parameter free per
  group (latent means fixed to 0);
* metric (weak): factor loadings equal across groups;
* scalar (strong): loadings and item intercepts equal across groups, latent
  means free in every group but the first.

Each model is reported with lavaan's multi-group fit indices, the chi-square
difference test against the previous level, the changes in CFI and RMSEA, and a
plain verdict using the cut-offs of Cheung & Rensvold (2002) and Chen (2007).
The estimation is done here (Fisher scoring on a global parameter vector
mapped into each group's matrices), not by semopy, which has no multi-group
models; the single-group helpers of :mod:`workbench.sem.model` supply the data
checks, the model syntax, the RMSEA interval and, for incomplete data
(``missing="fiml"``, lavaan ``missing = "ml"``), the casewise likelihood and the
EM saturated model of each group. ``estimator="mlr"`` adds lavaan's robust ML
(``estimator = "MLR"``): Huber-White standard errors, the Yuan-Bentler scaled test, the
scaled and robust fit indices and Satorra-Bentler (2001) scaled difference tests, computed
with :mod:`workbench.sem.robust_ml`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable
from workbench.sem import robust_ml
from workbench.sem.model import (
    _fiml_chain_information,
    _fiml_expected_information,
    _fiml_loglik,
    _fiml_saturated,
    _indices,
    _missing_patterns,
    _pattern_moments,
    _PatternMoments,
    _prepare_data,
    _saturated_information,
    _trace_products,
    cfa_syntax,
)

__all__ = ["ROBUST_TABLE_COLUMNS", "InvarianceResult", "measurement_invariance"]

Level = Literal["configural", "metric", "scalar"]
Missing = Literal["listwise", "fiml"]
Estimator = Literal["ml", "mlr"]

_LEVELS: tuple[Level, ...] = ("configural", "metric", "scalar")
_MISSING = ("listwise", "fiml")
_ESTIMATORS = ("ml", "mlr")
_TABLE_COLUMNS = [
    "chi2",
    "df",
    "p",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_low",
    "rmsea_ci_high",
    "srmr",
    "aic",
    "bic",
    "npar",
    "delta_cfi",
    "delta_rmsea",
    "delta_chi2",
    "delta_df",
    "delta_p",
    "converged",
]
# what estimator="mlr" adds to the table (lavaan's fitMeasures names with "." -> "_")
ROBUST_TABLE_COLUMNS = [
    "chi2_scaled",
    "df_scaled",
    "p_scaled",
    "scaling_factor",
    "baseline_chi2_scaled",
    "baseline_scaling_factor",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "rmsea_ci_low_scaled",
    "rmsea_ci_high_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "rmsea_ci_low_robust",
    "rmsea_ci_high_robust",
    "delta_cfi_robust",
    "delta_rmsea_robust",
    "delta_chi2_scaled",
    "delta_scaling_factor",
    "delta_p_scaled",
]
_WHAT_HOLDS = {
    "configural": "configural invariance holds: the same factor structure fits in every group, "
    "but loadings and means cannot yet be compared",
    "metric": "metric invariance holds: loadings are equal, so relationships (correlations, "
    "regression paths) can be compared across groups, but not latent means",
    "scalar": "scalar invariance holds: latent means can be compared across groups",
}
_MIN_GROUP_ROWS = 100  # below this a group is flagged as small (warning only)


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InvarianceResult(Result):
    """Configural, metric and scalar models and their comparison.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per level (index ``level``): ``chi2, df, p, cfi, tli, rmsea,
        rmsea_ci_low, rmsea_ci_high, srmr, aic, bic, npar`` (lavaan's
        multi-group ``fitMeasures``), ``delta_cfi, delta_rmsea`` (this level
        minus the previous one), ``delta_chi2, delta_df, delta_p`` (chi-square
        difference test against the previous level, as lavaan's ``lavTestLRT``)
        and ``converged``. The deltas are NaN in the first row. With
        ``estimator="mlr"`` also :data:`ROBUST_TABLE_COLUMNS`: the Yuan-Bentler
        scaled test (``chi2_scaled, df_scaled, p_scaled, scaling_factor``, lavaan's
        ``chisq.scaled, df.scaled, pvalue.scaled, chisq.scaling.factor``) and its
        baseline, the scaled and robust CFI/TLI/RMSEA with their 90% intervals
        (``cfi_scaled, ..., rmsea_ci_high_robust``, lavaan's ``cfi.scaled, ...,
        rmsea.ci.upper.robust``), the changes of the robust CFI and RMSEA
        (``delta_cfi_robust, delta_rmsea_robust``) and the Satorra-Bentler (2001)
        scaled difference test against the previous level (``delta_chi2_scaled,
        delta_scaling_factor, delta_p_scaled``, lavaan's ``lavTestLRT``).
    estimates : pandas.DataFrame
        Tidy parameter table of every level: ``level, group, lhs, op, rhs,
        free, equal, estimate, se, z, p, ci_low, ci_high`` (lavaan's
        ``parameterEstimates``; ``equal`` marks parameters constrained equal
        across groups; 95% Wald intervals; ``se``, ``z``, ``p`` and the
        interval are NaN for fixed parameters, where lavaan shows an SE of 0;
        robust Huber-White SEs with ``estimator="mlr"``).
    verdicts : dict
        A plain-language verdict per step, keyed by level (``"metric"``:
        metric against configural, ...); the configural entry judges the
        configural model's own fit.
    highest_level : str or None
        The highest level whose step passed (``None`` if the metric step
        already failed and configural fit was not acceptable).
    verdict : str
        One sentence: the highest level that holds and what it allows.
    group : str
        The grouping column.
    group_levels : tuple of str
        The groups in lavaan's order (first appearance in the data, or the
        categories of a categorical column). The first is the reference group
        whose latent means are fixed to 0 in the scalar model.
    n_per_group : dict
        Rows used per group: complete rows (listwise), or rows with at least one
        answered item (FIML).
    constructs : dict
        The measurement model, construct -> items.
    syntax : str
        The model in lavaan syntax.
    cutoffs : dict
        ``delta_cfi`` and ``delta_rmsea`` cut-offs used in the verdicts.
    warning_messages : tuple of str
        Small groups, dropped rows, non-convergence, Heywood cases.
    seconds : float
        Wall time of all fits.
    missing : str
        ``"listwise"`` or ``"fiml"``.
    estimator : str
        ``"ml"`` or ``"mlr"`` (robust ML: the verdicts then use the robust CFI and
        RMSEA).
    """

    table: pd.DataFrame
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
    warning_messages: tuple[str, ...] = ()
    seconds: float = 0.0
    missing: str = "listwise"
    estimator: str = "ml"

    def to_frame(self) -> pd.DataFrame:
        """The comparison table, one row per level (see ``table``)."""
        return self.table.copy()

    def estimates_for(self, level: Level) -> pd.DataFrame:
        """The parameter estimates of one level."""
        if level not in self.table.index:
            raise ValueError(
                f"level must be one of {list(self.table.index)} (the levels fitted), got {level!r}."
            )
        est = self.estimates
        return est[est["level"] == level].reset_index(drop=True)

    def summary(self) -> str:
        cols = ["chi2", "df", "cfi", "tli", "rmsea", "srmr", "delta_cfi", "delta_rmsea"]
        cols += ["delta_chi2", "delta_df", "delta_p"]
        if self.estimator == "mlr":
            cols = ["chi2", "chi2_scaled", "df", "scaling_factor", "cfi_robust", "tli_robust"]
            cols += ["rmsea_robust", "srmr", "delta_cfi_robust", "delta_rmsea_robust"]
            cols += ["delta_chi2_scaled", "delta_df", "delta_p_scaled"]
        sizes = ", ".join(f"{g} {n}" for g, n in self.n_per_group.items())
        lines = [
            f"Measurement invariance across '{self.group}' ({len(self.group_levels)} groups: "
            f"{sizes})"
            + ("; FIML (every answered item used)" if self.missing == "fiml" else "")
            + (
                "; robust ML (MLR: Huber-White SEs, Yuan-Bentler scaled test, robust "
                "CFI/TLI/RMSEA, Satorra-Bentler 2001 scaled differences)"
                if self.estimator == "mlr"
                else ""
            ),
            "",
            self.table[cols].to_string(float_format=lambda v: f"{v:.3f}"),
            "",
        ]
        lines += [f"{level}: {text}" for level, text in self.verdicts.items()]
        lines += ["", f"Verdict: {self.verdict}"]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``{configural|metric|scalar: {chi2, df, p, cfi, ..., delta_cfi, ..., verdict}}``.

        With ``estimator="mlr"`` each entry also holds :data:`ROBUST_TABLE_COLUMNS`.
        """
        out: dict[str, Any] = {}
        keys = [*_TABLE_COLUMNS, *(c for c in ROBUST_TABLE_COLUMNS if c in self.table)]
        for level, row in self.table.iterrows():
            entry = {k: row[k] for k in keys}
            if "df_scaled" in entry:
                entry["df_scaled"] = int(entry["df_scaled"])
            entry["df"] = int(entry["df"])
            entry["npar"] = int(entry["npar"])
            entry["converged"] = bool(entry["converged"])
            entry["delta_df"] = None if pd.isna(entry["delta_df"]) else int(entry["delta_df"])
            entry["verdict"] = self.verdicts.get(str(level), "")
            out[str(level)] = entry
        return jsonable(out)


# ----------------------------------------------------------------------------
# The multi-group model
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class _Spec:
    """Where every free parameter sits in each group's matrices."""

    p: int
    m: int
    n_groups: int
    lam_fixed: np.ndarray  # (p, m) fixed loadings (1 for marker items, 0 elsewhere)
    # per group: list of (kind, i, j, global index); kind in lam, theta, psi, nu, alpha
    slots: list[list[tuple[str, int, int, int]]]
    shared: np.ndarray  # (npar,) bool: parameter used by several groups
    npar: int


def _build_spec(
    items: list[str], constructs: dict[str, list[str]], n_groups: int, level: str
) -> _Spec:
    p, m = len(items), len(constructs)
    pos = {v: i for i, v in enumerate(items)}
    lam_fixed = np.zeros((p, m))
    free_loadings: list[tuple[int, int]] = []
    for j, members in enumerate(constructs.values()):
        lam_fixed[pos[members[0]], j] = 1.0
        free_loadings += [(pos[v], j) for v in members[1:]]
    equal_lam = level in ("metric", "scalar")
    equal_nu = level == "scalar"
    slots: list[list[tuple[str, int, int, int]]] = [[] for _ in range(n_groups)]
    shared: list[bool] = []

    def add(kinds: Sequence[tuple[str, int, int]], equal: bool, groups: Sequence[int]) -> None:
        for kind, i, j in kinds:
            if equal:
                for g in groups:
                    slots[g].append((kind, i, j, len(shared)))
                shared.append(True)
            else:
                for g in groups:
                    slots[g].append((kind, i, j, len(shared)))
                    shared.append(False)

    all_groups = range(n_groups)
    # lavaan's order within a group: loadings, residual variances, latent (co)variances,
    # intercepts, latent means. The global vector is ordered by kind, then group.
    add([("lam", i, j) for i, j in free_loadings], equal_lam, all_groups)
    add([("theta", i, i) for i in range(p)], False, all_groups)
    add([("psi", i, j) for j in range(m) for i in range(j, m)], False, all_groups)
    add([("nu", i, 0) for i in range(p)], equal_nu, all_groups)
    if level == "scalar":
        add([("alpha", j, 0) for j in range(m)], False, range(1, n_groups))
    for g in all_groups:  # keep each group's slots in lavaan's parameter order
        order = {"lam": 0, "theta": 1, "psi": 2, "nu": 3, "alpha": 4}
        slots[g].sort(key=lambda s: (order[s[0]], s[3]))
    return _Spec(p, m, n_groups, lam_fixed, slots, np.array(shared), len(shared))


def _matrices(
    spec: _Spec, x: np.ndarray, g: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lam = spec.lam_fixed.copy()
    theta = np.zeros((spec.p, spec.p))
    psi = np.zeros((spec.m, spec.m))
    nu = np.zeros(spec.p)
    alpha = np.zeros(spec.m)
    for kind, i, j, k in spec.slots[g]:
        if kind == "lam":
            lam[i, j] = x[k]
        elif kind == "theta":
            theta[i, i] = x[k]
        elif kind == "psi":
            psi[i, j] = psi[j, i] = x[k]
        elif kind == "nu":
            nu[i] = x[k]
        else:
            alpha[i] = x[k]
    return lam, theta, psi, nu, alpha


def _implied(spec: _Spec, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    lam, theta, psi, nu, alpha = _matrices(spec, x, g)
    return lam @ psi @ lam.T + theta, nu + lam @ alpha


def _derivatives(spec: _Spec, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d Sigma_g / d x_k and d mu_g / d x_k for the parameters of group g.

    Returns (indices k, dSigma of shape (K, p, p), dmu of shape (K, p)).
    """
    lam, _, psi, _, alpha = _matrices(spec, x, g)
    lp = lam @ psi
    slots = spec.slots[g]
    ds = np.zeros((len(slots), spec.p, spec.p))
    dm = np.zeros((len(slots), spec.p))
    for r, (kind, i, j, _) in enumerate(slots):
        if kind == "lam":
            ds[r, i, :] += lp[:, j]
            ds[r, :, i] += lp[:, j]
            dm[r, i] = alpha[j]
        elif kind == "theta":
            ds[r, i, i] = 1.0
        elif kind == "psi":
            outer = np.outer(lam[:, i], lam[:, j])
            ds[r] = outer + outer.T if i != j else outer
        elif kind == "nu":
            dm[r, i] = 1.0
        else:
            dm[r] = lam[:, i]
    return np.array([s[3] for s in slots]), ds, dm


@dataclasses.dataclass
class _Sample:
    means: list[np.ndarray]
    covs: list[np.ndarray]  # divisor n_g, as lavaan
    ns: np.ndarray

    @property
    def n(self) -> int:
        return int(self.ns.sum())


def _discrepancy(spec: _Spec, x: np.ndarray, sample: _Sample) -> float:
    """F = sum_g (n_g/N) [log|Sigma| + tr(S Sigma^-1) - log|S| - p + d' Sigma^-1 d]."""
    total = 0.0
    for g in range(spec.n_groups):
        sigma, mu = _implied(spec, x, g)
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return np.inf
        s, ybar = sample.covs[g], sample.means[g]
        d = ybar - mu
        w = np.linalg.inv(sigma)
        f = logdet + np.trace(w @ s) - np.linalg.slogdet(s)[1] - spec.p + d @ w @ d
        total += sample.ns[g] / sample.n * f
    return float(total)


def _gradient_information(
    spec: _Spec, x: np.ndarray, sample: _Sample
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of F and the unit expected information (of the loglikelihood / N)."""
    grad = np.zeros(spec.npar)
    info = np.zeros((spec.npar, spec.npar))
    for g in range(spec.n_groups):
        sigma, mu = _implied(spec, x, g)
        w = np.linalg.inv(sigma)
        d = sample.means[g] - mu
        wd = w @ d
        gmat = w - w @ (sample.covs[g] + np.outer(d, d)) @ w
        idx, ds, dm = _derivatives(spec, x, g)
        weight = sample.ns[g] / sample.n
        grad_g = np.einsum("ij,kji->k", gmat, ds) - 2.0 * dm @ wd
        info_g = _trace_products(w, ds) + dm @ w @ dm.T
        np.add.at(grad, idx, weight * grad_g)
        info[np.ix_(idx, idx)] += weight * info_g
    return grad, info


def _start_values(
    spec: _Spec, items: list[str], constructs: dict[str, list[str]], sample: _Sample
) -> np.ndarray:
    """Simple starting values from the pooled covariance matrix (and group means)."""
    pooled = sum(n * s for n, s in zip(sample.ns, sample.covs, strict=True)) / sample.n
    pos = {v: i for i, v in enumerate(items)}
    lam0 = spec.lam_fixed.copy()
    psi0 = np.zeros(spec.m)
    for j, members in enumerate(constructs.values()):
        r = pos[members[0]]
        others = [pos[v] for v in members[1:]]
        cands = []
        for a_ in range(len(others)):
            for b_ in range(a_ + 1, len(others)):
                i, k = others[a_], others[b_]
                if abs(pooled[i, k]) > 1e-8:
                    cands.append(pooled[r, i] * pooled[r, k] / pooled[i, k])
        psi = float(np.median(cands)) if cands else 0.5 * pooled[r, r]
        psi = min(max(psi, 0.05 * pooled[r, r]), 0.95 * pooled[r, r])
        psi0[j] = psi
        for i in others:
            lam0[i, j] = pooled[i, r] / psi
    x = np.zeros(spec.npar)
    for g in range(spec.n_groups):
        s = sample.covs[g]
        for kind, i, j, k in spec.slots[g]:
            if kind == "lam":
                x[k] = lam0[i, j]
            elif kind == "theta":
                x[k] = 0.5 * s[i, i]
            elif kind == "psi":
                x[k] = psi0[i] if i == j else 0.0
            elif kind == "nu":
                x[k] = (
                    sample.means[g][i]
                    if not spec.shared[k]
                    else sum(n * mu[i] for n, mu in zip(sample.ns, sample.means, strict=True))
                    / sample.n
                )
    return x


def _estimate(
    spec: _Spec, x: np.ndarray, sample: _Sample, max_iter: int = 500
) -> tuple[np.ndarray, bool]:
    """Fisher scoring with step halving to a gradient below 1e-9."""
    f = _discrepancy(spec, x, sample)
    converged = False
    grad = np.full(spec.npar, np.inf)
    for _ in range(max_iter):
        grad, info = _gradient_information(spec, x, sample)
        if np.max(np.abs(grad)) < 1e-9:
            converged = True
            break
        try:
            step = -np.linalg.solve(2.0 * info, grad)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(2.0 * info, grad, rcond=None)[0]
        t = 1.0
        while t > 1e-8:
            f_new = _discrepancy(spec, x + t * step, sample)
            if f_new <= f + 1e-14:
                break
            t /= 2
        else:
            break
        x, f = x + t * step, f_new
    if not converged:
        converged = bool(np.max(np.abs(grad)) < 1e-6)
    return x, converged


def _fit_statistics(spec: _Spec, x: np.ndarray, sample: _Sample) -> dict[str, float]:
    p, n_groups, n = spec.p, spec.n_groups, sample.n
    chi2 = logl = logl_h1 = chi2_b = srmr = 0.0
    for g in range(n_groups):
        sigma, mu = _implied(spec, x, g)
        s, ybar, n_g = sample.covs[g], sample.means[g], float(sample.ns[g])
        w = np.linalg.inv(sigma)
        d = ybar - mu
        logdet_sigma = np.linalg.slogdet(sigma)[1]
        logdet_s = np.linalg.slogdet(s)[1]
        trace = float(np.trace(w @ s))
        f_g = logdet_sigma + trace - logdet_s - p + float(d @ w @ d)
        chi2 += n_g * f_g
        const = p * math.log(2 * math.pi)
        logl += -n_g / 2 * (const + logdet_sigma + trace + float(d @ w @ d))
        logl_h1 += -n_g / 2 * (const + logdet_s + p)
        chi2_b += n_g * (float(np.sum(np.log(np.diag(s)))) - logdet_s)
        # lavaan's SRMR (Bentler, with the mean residuals), weighted by n_g / N
        sd = 1.0 / np.sqrt(np.diag(s))
        resid = (s - sigma) * np.outer(sd, sd)
        low = np.tril_indices(p)
        total = float(np.sum(resid[low] ** 2)) + float(np.sum((d * sd) ** 2))
        srmr += n_g / n * math.sqrt(total / (p * (p + 1) / 2 + p))
    chi2 = max(chi2, 0.0)
    npar = spec.npar
    df = n_groups * (p * (p + 1) // 2 + p) - npar
    df_b = n_groups * p * (p - 1) // 2
    # the same fit indices as single-group fits (one computation, one df = 0 rule)
    return _indices(chi2, df, chi2_b, df_b, n, logl, logl_h1, npar, srmr, n_groups=n_groups)


# ----------------------------------------------------------------------------
# Incomplete data: full-information ML per group (lavaan missing = "ml")
# ----------------------------------------------------------------------------


@dataclasses.dataclass
class _GroupFIML:
    """One group's incomplete data and its saturated (h1) and independence (baseline) fits."""

    patterns: list
    moments: _PatternMoments
    n: int
    mu_h1: np.ndarray  # EM mean
    sigma_h1: np.ndarray  # EM covariance
    logl_h1: float
    logl_baseline: float  # each item's own mean and variance (the likelihood factorizes)
    h1_converged: bool = True


def _group_fiml(values: np.ndarray) -> _GroupFIML:
    patterns = _missing_patterns(values)
    mu, sigma, logl_h1, _, h1_converged = _fiml_saturated(patterns, values)
    logl_b = 0.0
    for j in range(values.shape[1]):
        col = values[:, j][~np.isnan(values[:, j])]
        logl_b -= 0.5 * col.size * (math.log(2 * math.pi) + math.log(col.var()) + 1)
    return _GroupFIML(
        patterns,
        _pattern_moments(patterns, values.shape[1]),
        values.shape[0],
        mu,
        sigma,
        logl_h1,
        logl_b,
        h1_converged,
    )


def _fiml_gradient(
    spec: _Spec, x: np.ndarray, groups: Sequence[_GroupFIML]
) -> tuple[float, np.ndarray]:
    """The multi-group casewise loglikelihood and its gradient in the global parameters."""
    total = 0.0
    grad = np.zeros(spec.npar)
    for g, data in enumerate(groups):
        sigma, mu = _implied(spec, x, g)
        ll, g_sigma, g_mu = _fiml_loglik(sigma, mu, data.moments, grad=True)
        if not np.isfinite(ll):
            return -np.inf, grad
        idx, ds, dm = _derivatives(spec, x, g)
        np.add.at(grad, idx, np.einsum("ij,kij->k", g_sigma, ds) + dm @ g_mu)
        total += ll
    return total, grad


def _fiml_information(spec: _Spec, x: np.ndarray, groups: Sequence[_GroupFIML]) -> np.ndarray:
    """Expected information of the incomplete data (lavaan's h1.information = "structured")."""
    info = np.zeros((spec.npar, spec.npar))
    for g, data in enumerate(groups):
        sigma, _ = _implied(spec, x, g)
        idx, ds, dm = _derivatives(spec, x, g)
        info[np.ix_(idx, idx)] += _fiml_expected_information(data.patterns, sigma, ds, dm)
    return info


def _second_derivative_term(
    spec: _Spec, x: np.ndarray, g: int, g_sigma: np.ndarray, g_mu: np.ndarray
) -> np.ndarray:
    """:math:`\\sum_s (\\partial l/\\partial s)\\,\\partial^2 s/\\partial x\\partial x'` over
    the group's implied moments s, for its slots (the part of the Hessian that the
    Gauss-Newton term :math:`\\Delta' H_{sat} \\Delta` misses).

    With :math:`G` the loglikelihood's derivative wrt :math:`\\Sigma` and :math:`g_\\mu` wrt
    :math:`\\mu`, for :math:`\\Sigma = \\Lambda\\Psi\\Lambda' + \\Theta`, :math:`\\mu = \\nu +
    \\Lambda\\alpha`: (:math:`\\lambda_{ij}, \\lambda_{kl}`): :math:`2G_{ik}\\Psi_{jl}`;
    (:math:`\\lambda_{ij}, \\psi_{kl}`): :math:`2(G\\Lambda S_{kl})_{ij}` with :math:`S_{kl}`
    the symmetric unit matrix; (:math:`\\lambda_{ij}, \\alpha_a`): :math:`g_{\\mu,i}` if
    :math:`a = j`; every other pair is linear.
    """
    lam, _, psi, _, _ = _matrices(spec, x, g)
    slots = spec.slots[g]
    out = np.zeros((len(slots), len(slots)))
    gl = g_sigma @ lam
    loads = [(r, i, j) for r, (kind, i, j, _) in enumerate(slots) if kind == "lam"]
    covs = [(r, i, j) for r, (kind, i, j, _) in enumerate(slots) if kind == "psi"]
    means = [(r, i) for r, (kind, i, _, _) in enumerate(slots) if kind == "alpha"]
    for r1, i, j in loads:
        for r2, k, c in loads:  # loading of item k on factor c
            out[r1, r2] = 2.0 * g_sigma[i, k] * psi[j, c]
        for r2, a, b in covs:  # (co)variance of factors a and b
            if a == b:
                value = 2.0 * gl[i, a] * (a == j)
            else:
                value = 2.0 * (gl[i, a] * (b == j) + gl[i, b] * (a == j))
            out[r1, r2] = out[r2, r1] = value
        for r2, a in means:
            if a == j:
                out[r1, r2] = out[r2, r1] = g_mu[i]
    return out


def _fiml_observed_information(
    spec: _Spec, x: np.ndarray, groups: Sequence[_GroupFIML]
) -> np.ndarray:
    """Minus the Hessian of the multi-group FIML loglikelihood (analytic).

    Per group, the saturated model's observed information carried to the parameters,
    :math:`\\Delta'(-H_{sat})\\Delta`, minus the second-derivative term
    (:func:`_second_derivative_term`); lavaan's ``information = "observed"``.
    """
    info = np.zeros((spec.npar, spec.npar))
    for g, data in enumerate(groups):
        sigma, mu = _implied(spec, x, g)
        _, g_sigma, g_mu = _fiml_loglik(sigma, mu, data.moments, grad=True)
        idx, ds, dm = _derivatives(spec, x, g)
        block = _fiml_chain_information(data.patterns, mu, sigma, ds, dm, observed=True)
        block -= _second_derivative_term(spec, x, g, g_sigma, g_mu)
        info[np.ix_(idx, idx)] += block
    return (info + info.T) / 2


def _estimate_fiml(
    spec: _Spec, x: np.ndarray, groups: Sequence[_GroupFIML], max_iter: int = 100
) -> tuple[np.ndarray, bool]:
    """Maximize the multi-group FIML loglikelihood from a start near the optimum.

    Newton steps with the analytic observed information; Fisher scoring (the expected
    information of the incomplete data) where the Hessian is not negative definite, with
    step halving. Converged when the largest gradient element per row is below 1e-10.
    """
    n = sum(d.n for d in groups)
    ll, grad = _fiml_gradient(spec, x, groups)
    converged = False
    for _ in range(max_iter):
        if np.max(np.abs(grad)) / n < 1e-10:
            converged = True
            break
        step = None
        for info_of in (_fiml_observed_information, _fiml_information):
            try:
                cand = np.linalg.solve(info_of(spec, x, groups), grad)
            except np.linalg.LinAlgError:
                continue
            if cand @ grad > 0:
                step = cand
                break
        if step is None:
            break
        t = 1.0
        while t > 1e-10:
            ll_new, grad_new = _fiml_gradient(spec, x + t * step, groups)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        else:
            break
        x, ll, grad = x + t * step, ll_new, grad_new
    if not converged:
        converged = bool(np.max(np.abs(grad)) / n < 1e-7)
    return x, converged


def _fit_statistics_fiml(
    spec: _Spec, x: np.ndarray, groups: Sequence[_GroupFIML]
) -> dict[str, float]:
    """lavaan's fit measures of a multi-group FIML fit.

    chi2 = 2 (logL_h1 - logL) against the groups' EM saturated models; the baseline has a
    free mean and variance for every item in every group (lavaan's independence model for
    missing = "ml"); SRMR compares the EM moments with the model's, mean residuals included,
    weighted by n_g / N as for complete data.
    """
    p, n_groups = spec.p, spec.n_groups
    n = sum(d.n for d in groups)
    logl = logl_h1 = logl_b = srmr = 0.0
    low = np.tril_indices(p)
    for g, data in enumerate(groups):
        sigma, mu = _implied(spec, x, g)
        logl += _fiml_loglik(sigma, mu, data.moments)[0]
        logl_h1 += data.logl_h1
        logl_b += data.logl_baseline
        sd = 1.0 / np.sqrt(np.diag(data.sigma_h1))
        resid = (data.sigma_h1 - sigma) * np.outer(sd, sd)
        total = float(np.sum(resid[low] ** 2)) + float(np.sum(((data.mu_h1 - mu) * sd) ** 2))
        srmr += data.n / n * math.sqrt(total / (p * (p + 1) / 2 + p))
    chi2 = max(2 * (logl_h1 - logl), 0.0)
    chi2_b = 2 * (logl_h1 - logl_b)
    df = n_groups * (p * (p + 1) // 2 + p) - spec.npar
    df_b = n_groups * p * (p - 1) // 2
    return _indices(chi2, df, chi2_b, df_b, n, logl, logl_h1, spec.npar, srmr, n_groups=n_groups)


# ----------------------------------------------------------------------------
# Robust ML (MLR): sandwich, Yuan-Bentler scaling, robust indices, per group
# ----------------------------------------------------------------------------


def _complete_group(values: np.ndarray) -> _GroupFIML:
    """A complete-data group in the FIML layout (one pattern; h1 = the sample moments)."""
    patterns = _missing_patterns(values)
    return _GroupFIML(
        patterns,
        _pattern_moments(patterns, values.shape[1]),
        values.shape[0],
        values.mean(axis=0),
        np.cov(values, rowvar=False, bias=True),
        math.nan,
        math.nan,
    )


def _group_delta(spec: _Spec, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Global indices of group g's parameters and :math:`\\Delta_g`, the derivatives of
    :math:`(\\mu_g, \\operatorname{vech}\\Sigma_g)` (``numpy.tril_indices`` order), (p + v, K)."""
    idx, ds, dm = _derivatives(spec, x, g)
    rows, cols = np.tril_indices(spec.p)
    return idx, np.vstack([dm.T, ds[:, rows, cols].T])


def _baseline_moments(
    patterns: Sequence[tuple[np.ndarray, np.ndarray]], p: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each item's mean and variance (divisor n) over its answered rows: the ML (= FIML)
    estimates of the independence model."""
    total, square, count = np.zeros(p), np.zeros(p), np.zeros(p)
    for obs, values in patterns:
        total[obs] += values.sum(axis=0)
        count[obs] += values.shape[0]
    mean = total / count
    for obs, values in patterns:
        square[obs] += ((values - mean[obs]) ** 2).sum(axis=0)
    return mean, square / count


def _block_diagonal(blocks: Sequence[np.ndarray]) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        k = b.shape[0]
        out[at : at + k, at : at + k] = b
        at += k
    return out


def _mlr_statistics(
    spec: _Spec,
    x: np.ndarray,
    groups: Sequence[_GroupFIML],
    fit: Mapping[str, Any],
    total_bread: np.ndarray,
    *,
    fiml: bool,
) -> tuple[np.ndarray, dict[str, Any]]:
    """What MLR adds to a multi-group ML/FIML fit: (sandwich vcov, scaled and robust fit).

    lavaan 0.6-14 ``estimator = "MLR"`` with groups: bread = the observed information
    (``total_bread``, minus the Hessian of the loglikelihood); meat = :math:`\\sum_g\\sum_{i
    \\in g} s_is_i'` with the casewise scores :math:`s_i = \\Delta_g'\\,\\partial l_i/
    \\partial(\\mu_g, \\operatorname{vech}\\Sigma_g)` at the model-implied moments
    (``information.meat = "first.order"``, ``h1.information.meat = "structured"``); the
    Yuan-Bentler trace :math:`\\sum_g\\operatorname{tr}(A_{1g}^{-1}B_{1g}) -
    \\operatorname{tr}(A_0^{-1}B_0)` (``lav_test_yuan_bentler_mplus_trace``: the groups'
    saturated models at their h1 moments, the model's total bread and meat), the same for the
    baseline (a mean and a variance per item and group); with FIML, the robust indices from
    the FIML-corrected statistic of the whole multi-group model (``lav_fit_fiml_corrected``:
    block-diagonal h1 matrices weighted by :math:`N_g/N`). Passing the block-diagonal
    :math:`\\operatorname{diag}(N_g/N\\,A_{1g})` to the single-group functions of
    :mod:`workbench.sem.robust_ml` gives exactly these multi-group sums.
    """
    p, n_groups = spec.p, spec.n_groups
    v = p * (p + 1) // 2
    n = sum(d.n for d in groups)
    rows, cols = np.tril_indices(p)
    diag_pos = np.flatnonzero(rows == cols)
    meat = np.zeros((spec.npar, spec.npar))
    delta_all = np.zeros((n_groups * (p + v), spec.npar))
    delta_b_all = np.zeros((n_groups * (p + v), n_groups * 2 * p))
    a1_blocks, b1_blocks, wc_blocks, bread_b_blocks, meat_b_blocks = [], [], [], [], []
    x3 = x3_b = 0.0
    for g, data in enumerate(groups):
        fg = data.n / n
        sigma, mu = _implied(spec, x, g)
        idx, delta = _group_delta(spec, x, g)
        scores = robust_ml.saturated_scores(data.patterns, mu, sigma, means=True) @ delta
        meat[np.ix_(idx, idx)] += scores.T @ scores
        block = slice(g * (p + v), (g + 1) * (p + v))
        delta_all[block, idx] = delta
        a1 = _saturated_information(data.patterns, data.mu_h1, data.sigma_h1, observed=True)
        g1 = robust_ml.saturated_scores(data.patterns, data.mu_h1, data.sigma_h1, means=True)
        a1_blocks.append(a1 / n)
        b1_blocks.append(g1.T @ g1 / n)
        # independence baseline of this group
        mu_b, var_b = _baseline_moments(data.patterns, p)
        delta_b = np.zeros((p + v, 2 * p))
        delta_b[:p, :p] = np.eye(p)
        delta_b[p + diag_pos, p + np.arange(p)] = 1.0
        delta_b_all[block, g * 2 * p : (g + 1) * 2 * p] = delta_b
        info_b = _saturated_information(data.patterns, mu_b, np.diag(var_b), observed=True)
        bread_b_blocks.append(delta_b.T @ info_b @ delta_b / n)
        scores_b = (
            robust_ml.saturated_scores(data.patterns, mu_b, np.diag(var_b), means=True) @ delta_b
        )
        meat_b_blocks.append(scores_b.T @ scores_b / n)
        if fiml:
            wc_blocks.append(fg * robust_ml.complete_data_information(data.sigma_h1, means=True))
            x3 += data.n * robust_ml.normal_discrepancy(data.mu_h1, data.sigma_h1, mu, sigma)
            x3_b += data.n * robust_ml.normal_discrepancy(
                data.mu_h1, data.sigma_h1, mu_b, np.diag(var_b)
            )
    df, df_b = int(fit["df"]), int(fit["baseline_df"])
    a1_all, b1_all = _block_diagonal(a1_blocks), _block_diagonal(b1_blocks)
    vcov = robust_ml.huber_white_vcov(total_bread / n, meat / n, n)
    test = robust_ml.yuan_bentler_scaling(a1_all, b1_all, total_bread / n, meat / n, df)
    test_b = robust_ml.yuan_bentler_scaling(
        a1_all, b1_all, _block_diagonal(bread_b_blocks), _block_diagonal(meat_b_blocks), df_b
    )
    corrected = None
    if fiml:
        c3, c3_b = robust_ml.fiml_corrected_scaling(
            a1_all, b1_all, _block_diagonal(wc_blocks), [delta_all, delta_b_all], [df, df_b]
        )
        corrected = {"chi2": x3, "c": c3, "baseline_chi2": x3_b, "baseline_c": c3_b}
    robust = robust_ml.robust_fit_indices(
        float(fit["chi2"]),
        df,
        float(fit["baseline_chi2"]),
        df_b,
        n,
        test,
        test_b,
        fiml_corrected=corrected,
        n_groups=n_groups,
    )
    return vcov, robust


def _estimates_table(
    spec: _Spec,
    x: np.ndarray,
    vcov: np.ndarray,
    items: list[str],
    names: list[str],
    groups: Sequence[str],
    level: str,
) -> pd.DataFrame:
    se_all = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    z_crit = float(stats.norm.ppf(0.975))
    rows: list[dict[str, Any]] = []
    for g, label in enumerate(groups):
        lam, theta, psi, nu, alpha = _matrices(spec, x, g)
        where = {(kind, i, j): k for kind, i, j, k in spec.slots[g]}
        # lavaan's order: loadings (fixed markers included), residual variances, latent
        # (co)variances, intercepts, latent means
        entries: list[tuple[str, str, str, tuple[str, int, int], float]] = []
        for j, name in enumerate(names):
            for i in range(spec.p):
                if spec.lam_fixed[i, j] != 0 or ("lam", i, j) in where:
                    entries.append((name, "=~", items[i], ("lam", i, j), lam[i, j]))
        entries += [(v, "~~", v, ("theta", i, i), theta[i, i]) for i, v in enumerate(items)]
        entries += [
            (names[j], "~~", names[i], ("psi", i, j), psi[i, j])
            for j in range(spec.m)
            for i in range(j, spec.m)
        ]
        entries += [(v, "~1", "", ("nu", i, 0), nu[i]) for i, v in enumerate(items)]
        entries += [(v, "~1", "", ("alpha", j, 0), alpha[j]) for j, v in enumerate(names)]
        for lhs, op, rhs, key, value in entries:
            k = where.get(key)
            free = k is not None
            se = float(se_all[k]) if free else np.nan
            z = value / se if free and se > 0 else np.nan
            rows.append(
                {
                    "level": level,
                    "group": label,
                    "lhs": lhs,
                    "op": op,
                    "rhs": rhs,
                    "free": free,
                    "equal": bool(spec.shared[k]) if free else False,
                    "estimate": float(value),
                    "se": se,
                    "z": z,
                    "p": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
                    "ci_low": value - z_crit * se,
                    "ci_high": value + z_crit * se,
                }
            )
    return pd.DataFrame(rows)


def _heywood(est: pd.DataFrame, level: str, latent: set[str]) -> list[str]:
    out = []
    var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])]
    for r in var[var["estimate"] < 0].itertuples():
        out.append(
            f"Heywood case ({level} model, group '{r.group}'): the (residual) variance of "
            f"'{r.lhs}' is negative ({r.estimate:.4f}); reported as estimated, not clipped. "
            "Check for a misspecified model or too few rows in the group."
        )
    for g, sub in est.groupby("group", sort=False):
        variances = {
            r.lhs: r.estimate
            for r in sub.itertuples()
            if r.op == "~~" and r.lhs == r.rhs and r.lhs in latent
        }
        for r in sub.itertuples():
            if r.op == "~~" and r.lhs != r.rhs and r.lhs in latent:
                v1, v2 = variances[r.lhs], variances[r.rhs]
                if v1 > 0 and v2 > 0 and abs(r.estimate) / math.sqrt(v1 * v2) > 1:
                    out.append(
                        f"Heywood case ({level} model, group '{g}'): the correlation of "
                        f"'{r.rhs}' and '{r.lhs}' is "
                        f"{r.estimate / math.sqrt(v1 * v2):.3f}, beyond +-1."
                    )
    return out


# ----------------------------------------------------------------------------
# Verdicts
# ----------------------------------------------------------------------------


def _step_verdict(
    level: str,
    previous: str,
    d_cfi: float,
    d_rmsea: float,
    cut_cfi: float,
    cut_rmsea: float,
    *,
    robust: bool = False,
) -> tuple[str, bool]:
    cfi_bad = d_cfi <= cut_cfi
    rmsea_bad = d_rmsea >= cut_rmsea
    word = " (robust)" if robust else ""
    numbers = f"ΔCFI = {d_cfi:+.4f}, ΔRMSEA = {d_rmsea:+.4f}{word} against the {previous} model"
    if cfi_bad and rmsea_bad:
        return (
            f"{level} invariance does not hold: {numbers} (ΔCFI ≤ {cut_cfi:.3f} with "
            f"ΔRMSEA ≥ {cut_rmsea:.3f}, Chen 2007).",
            False,
        )
    if cfi_bad or rmsea_bad:
        which = (
            f"ΔCFI ≤ {cut_cfi:.3f} (Cheung & Rensvold 2002)"
            if cfi_bad
            else f"ΔRMSEA ≥ {cut_rmsea:.3f}"
        )
        return (
            f"{level} invariance is doubtful: {numbers}; {which}, but not both criteria of "
            "Chen (2007). Treat it as not established and consider partial invariance "
            "(free the items that differ most).",
            False,
        )
    return f"{level} invariance holds: {numbers}.", True


def _configural_verdict(
    fit: Mapping[str, float], cfi_key: str = "cfi", rmsea_key: str = "rmsea"
) -> tuple[str, bool]:
    ok = fit[cfi_key] >= 0.90 and fit[rmsea_key] <= 0.08
    word = " (robust)" if cfi_key.endswith("_robust") else ""
    numbers = (
        f"CFI = {fit[cfi_key]:.3f}, RMSEA = {fit[rmsea_key]:.3f}{word}, SRMR = {fit['srmr']:.3f}"
    )
    if ok:
        return f"the configural model fits acceptably ({numbers}).", True
    return (
        f"the configural model fits poorly ({numbers}; conventional minimum CFI ≥ 0.90 and "
        "RMSEA ≤ 0.08): the factor structure itself may differ between groups, so the "
        "later steps are hard to interpret.",
        False,
    )


def _check_coverage(values: np.ndarray, items: list[str], name: str, group: str) -> None:
    """FIML needs every item answered, and every pair answered together, in every group."""
    seen = ~np.isnan(values)
    together = seen.T.astype(float) @ seen.astype(float)
    empty = np.flatnonzero(np.diag(together) == 0)
    never = np.argwhere(together == 0) if not empty.size else np.array([[empty[0]] * 2])
    if never.size:
        i, j = sorted(never[0])
        what = (
            f"Item '{items[i]}' has no answers"
            if i == j
            else f"Items '{items[i]}' and '{items[j]}' are never answered together"
        )
        raise InputError(
            f"{what} in group '{name}' of '{group}', so the group's covariances cannot be "
            "estimated.",
            column=items[j],
            value=name,
            hint="Drop the item from the model, merge the group with another one, or check "
            "the item's missing codes.",
        )


# ----------------------------------------------------------------------------
# Public function
# ----------------------------------------------------------------------------


def measurement_invariance(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    group: str,
    *,
    levels: Sequence[Level] = ("configural", "metric", "scalar"),
    missing: Missing = "listwise",
    estimator: Estimator = "ml",
    delta_cfi: float = -0.010,
    delta_rmsea: float = 0.015,
) -> InvarianceResult:
    """Test configural, metric and scalar invariance of a CFA across groups.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent: numeric item columns (missing values already
        NaN) and the grouping column.
    constructs : mapping of str to sequence of str
        The measurement model, e.g. ``{"education": ["ED1", "ED2", "ED3"]}``;
        each item loads on one construct; the first item is the marker.
    group : str
        The grouping column (e.g. channel, venue, member tier). Rows with a
        missing group are dropped (and counted in the warnings).
    levels : sequence of {"configural", "metric", "scalar"}
        Which models to fit (always including ``"configural"``); they are
        fitted in this order and each is compared with the one before it.
    missing : {"listwise", "fiml"}
        ``"listwise"``: rows with a missing item are dropped (lavaan's default).
        ``"fiml"``: full-information ML, every row with at least one answered
        item is used (lavaan ``missing = "ml"``); rows missing every item are
        dropped and counted in the warnings.
    estimator : {"ml", "mlr"}
        ``"ml"``: normal-theory ML (standard errors from the expected
        information for complete data, the observed one with FIML).
        ``"mlr"``: robust ML as lavaan's ``estimator = "MLR"`` (also
        accepted in upper case): the same estimates and normal-theory fit,
        plus Huber-White standard errors, the Yuan-Bentler scaled test, the
        scaled and robust CFI/TLI/RMSEA (:data:`ROBUST_TABLE_COLUMNS`) and the
        Satorra-Bentler (2001) scaled difference tests; the verdicts then
        use the robust CFI and RMSEA.
    delta_cfi, delta_rmsea : float
        Cut-offs of the verdicts: a step fails when the change in CFI is at
        most ``delta_cfi`` and the change in RMSEA at least ``delta_rmsea``.

    Returns
    -------
    InvarianceResult
        The comparison table, the estimates of every level, the verdicts.

    Raises
    ------
    ValueError
        For unknown ``levels``, ``missing`` or ``estimator``.
    InputError
        If the group column is missing, has a single level, or a level with
        fewer than (items + 5) complete rows (FIML: rows with an answer); if an
        item is missing, not numeric, or constant within a group; with FIML,
        if an item has no answers in a group or two items are never answered
        together there.

    Notes
    -----
    The model is lavaan's ``cfa(model, data, group = group, group.equal =
    ...)`` with its default identification: the first loading of each factor
    is 1 in every group; residual variances and factor (co)variances are free
    per group. Configural: loadings and item intercepts :math:`\\nu` free per
    group, latent means :math:`\\alpha = 0`. Metric: loadings equal across
    groups. Scalar: loadings and intercepts equal, latent means free in groups
    2..G (0 in the first). In group :math:`g`,
    :math:`\\Sigma_g = \\Lambda_g\\Psi_g\\Lambda_g' + \\Theta_g` and
    :math:`\\mu_g = \\nu_g + \\Lambda_g\\alpha_g`. Maximum likelihood minimizes

    .. math:: F = \\sum_g \\frac{N_g}{N}\\left[\\log|\\Sigma_g| +
       \\operatorname{tr}(S_g\\Sigma_g^{-1}) - \\log|S_g| - p +
       (\\bar y_g - \\mu_g)'\\Sigma_g^{-1}(\\bar y_g - \\mu_g)\\right]

    (:math:`S_g` with divisor :math:`N_g`) by Fisher scoring; standard errors
    come from the expected information. Fit indices follow lavaan 0.6
    (``likelihood = "normal"``): :math:`\\chi^2 = N F`,
    :math:`df = G(p(p+1)/2 + p) - q` (:math:`q` free parameters net of
    equality constraints); CFI and TLI against the multi-group independence
    model (free variances and means per group,
    :math:`\\chi^2_B = \\sum_g N_g(\\sum_i\\log s_{g,ii} - \\log|S_g|)`,
    :math:`df_B = G\\,p(p-1)/2`); :math:`RMSEA = \\sqrt{G}\\sqrt{\\max(\\chi^2/(N\\,df)
    - 1/N, 0)}` and its 90% interval likewise multiplied by :math:`\\sqrt{G}`;
    SRMR is the :math:`N_g/N`-weighted mean of the groups' SRMRs (Bentler's,
    including the standardized mean residuals); AIC and BIC from the
    multi-group loglikelihood. The chi-square difference test is
    :math:`\\Delta\\chi^2` on :math:`\\Delta df` degrees of freedom.

    With ``missing="fiml"`` (lavaan ``cfa(..., group = g, missing = "ml")``)
    the multi-group casewise loglikelihood
    :math:`\\sum_g\\sum_{i \\in g}\\log\\phi(y_{i,o};\\mu_{g,o},\\Sigma_{g,oo})`
    over each row's answered items :math:`o` is maximized by Newton steps with
    the analytic Hessian (Fisher scoring with the expected information of the
    incomplete data where the Hessian is not definite), from the ML fit to
    each group's EM means and covariances. Standard errors come from the
    observed information (the analytic Hessian), lavaan 0.6's default for
    ``missing = "ml"``.
    :math:`\\chi^2 = 2(\\log L_1 - \\log L)` against the groups' saturated
    models fitted by EM; the baseline model has a free mean and variance for
    every item in every group (lavaan's independence model for
    ``missing = "ml"``), so :math:`\\chi^2_B = 2(\\log L_1 - \\log L_B)` with
    :math:`\\log L_B` the items' separate normal loglikelihoods, :math:`df_B =
    G\\,p(p-1)/2`; CFI, TLI, RMSEA (with :math:`N` the rows used) and the
    chi-square difference tests (:math:`\\Delta\\chi^2 = 2\\Delta\\log L`, as
    lavaan's ``lavTestLRT()`` of ``missing = "ml"`` fits) then follow as above;
    SRMR compares each group's EM moments with the model's.

    With ``estimator="mlr"`` (lavaan 0.6-14 ``cfa(..., group = g, group.equal =
    ..., estimator = "MLR")``, with or without ``missing = "ml"``) the
    estimates and the normal-theory statistics are those above. Standard
    errors come from the sandwich :math:`A^{-1}BA^{-1}`: :math:`A` the
    observed information (minus the analytic Hessian of the multi-group
    loglikelihood), :math:`B = \\sum_g\\sum_{i\\in g} s_is_i'` the casewise
    scores at the model-implied moments (lavaan ``information.meat =
    "first.order"``). The Yuan-Bentler (Mplus) scaling factor is
    :math:`c = [\\sum_g\\operatorname{tr}(A_{1g}^{-1}B_{1g}) -
    \\operatorname{tr}(A^{-1}B)]/df`, with :math:`A_{1g}, B_{1g}` the observed
    and first-order information of group g's saturated model; the scaled
    statistic is :math:`\\chi^2/c`. Scaled and robust CFI, TLI and RMSEA are
    those of :func:`workbench.sem.robust_ml.robust_fit_indices` with
    :math:`\\sqrt{G}` in the RMSEA, after FIML from the FIML-corrected
    statistic of the whole multi-group model (lavaan's
    ``lav_fit_fiml_corrected``, V3). Difference tests: lavaan's
    ``lavTestLRT(m0, m1)`` default for MLR, the Satorra-Bentler (2001) scaled
    difference :math:`(\\chi^2_0 - \\chi^2_1)/c_d`, :math:`c_d = (df_0c_0 -
    df_1c_1)/(df_0 - df_1)`; when :math:`c_d < 0` lavaan reports NA (with the
    warning "scaling factor is negative"), and so do we (NaN, with a warning).

    Verdicts: a step fails when :math:`\\Delta CFI \\le -0.010` together
    with :math:`\\Delta RMSEA \\ge 0.015` (Chen, 2007; Cheung & Rensvold,
    2002); it is called doubtful, and not counted as holding, when only one
    of the two is crossed. The configural model should itself fit acceptably
    (CFI ≥ 0.90, RMSEA ≤ 0.08). The chi-square difference test is reported,
    not used for the verdict (it rejects trivial differences in large
    samples).

    References
    ----------
    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit
    indexes for testing measurement invariance. Structural Equation Modeling,
    9(2), 233-255.

    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. Structural Equation Modeling, 14(3), 464-504.

    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    Journal of Statistical Software, 48(2). R: ``lavaan::cfa(model, data,
    group = "g", group.equal = c("loadings", "intercepts"))`` (with
    ``missing = "ml"`` for FIML), ``lavTestLRT()``, and
    ``semTools::measurementInvariance`` (deprecated).

    Enders, C. K. (2010). Applied missing data analysis. Guilford (ch. 4-5:
    FIML).

    Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test
    statistic for moment structure analysis. Psychometrika, 66(4), 507-514.

    Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit
    indices for nonnormality. Multivariate Behavioral Research, 49(5),
    460-470. Savalei, V. (2018), Zhang, X., & Savalei, V. (2023): robust RMSEA
    and CFI after FIML (see :mod:`workbench.sem.robust_ml`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from workbench.sem.invariance import measurement_invariance
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 2))
    >>> load = np.array([[1, 0.8, 0.9, 0, 0, 0], [0, 0, 0, 1, 0.7, 0.8]])
    >>> items = f @ load + rng.normal(scale=0.6, size=(400, 6)) + 4
    >>> df = pd.DataFrame(items, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> df["site"] = np.repeat(["north", "south"], 200)
    >>> res = measurement_invariance(
    ...     df, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}, "site"
    ... )
    >>> res.highest_level
    'scalar'
    >>> list(res.to_dict())
    ['configural', 'metric', 'scalar']
    """
    start = time.perf_counter()
    requested: list[str] = [levels] if isinstance(levels, str) else list(levels)
    bad = [lv for lv in requested if lv not in _LEVELS]
    if bad or "configural" not in requested or len(set(requested)) != len(requested):
        raise ValueError(
            f"levels must be distinct values among {list(_LEVELS)}, including 'configural' "
            f"(the baseline of the comparisons), got {requested!r}."
        )
    levels = [lv for lv in _LEVELS if lv in requested]  # distinct and valid: in _LEVELS order
    if missing not in _MISSING:
        raise ValueError(f"missing must be one of {list(_MISSING)}, got {missing!r}.")
    if isinstance(estimator, str) and estimator.lower() in _ESTIMATORS:
        estimator = estimator.lower()  # type: ignore[assignment]  # lavaan writes "MLR"
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {list(_ESTIMATORS)}, got {estimator!r}.")
    mlr = estimator == "mlr"
    syntax = cfa_syntax(constructs)  # validates the constructs
    cons = {
        str(k): [str(v) for v in ([vs] if isinstance(vs, str) else vs)]
        for k, vs in constructs.items()
    }
    items = [v for vs in cons.values() for v in vs]
    names = list(cons)
    p = len(items)

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
    notes: list[str] = []
    labels = data[group]
    no_group = labels.isna() | (labels.astype("string").str.strip() == "").fillna(False)
    if no_group.all():
        raise InputError(
            f"The group column '{group}' is empty in every row.",
            column=str(group),
            hint="Check the export of that column, or choose another grouping column.",
        )
    if no_group.any():
        notes.append(f"{int(no_group.sum())} row(s) with a missing '{group}' were dropped.")
    fiml = missing == "fiml"
    if fiml:
        frame, prep_notes = _prepare_data(data.loc[~no_group], items, 0, min_rows=1, listwise=False)
    else:
        frame, prep_notes = _prepare_data(data.loc[~no_group], items, 0, min_rows=1)
    notes += prep_notes
    labels = labels.loc[frame.index]
    if isinstance(labels.dtype, pd.CategoricalDtype):
        order = [c for c in labels.cat.categories if (labels == c).any()]
    else:
        order = list(pd.unique(labels))
    group_levels = [str(v) for v in order]
    if len(order) < 2:
        raise InputError(
            f"The group column '{group}' has a single level ({group_levels[0] if order else 'none'}) "
            "among the complete rows; invariance needs at least two groups.",
            column=str(group),
            hint="Choose a grouping column with two or more groups, or check its values and "
            "the missing codes of the items.",
        )
    means, covs, ns = [], [], []
    groups_fiml: list[_GroupFIML] = []
    groups_h1: list[_GroupFIML] = []  # MLR: each group's rows and saturated (h1) moments
    rows_word = "rows with an answer" if fiml else "complete rows"
    for value, name in zip(order, group_levels, strict=True):
        sub = frame.loc[labels == value]
        if len(sub) < p + 5:
            raise InputError(
                f"Group '{name}' of '{group}' has only {len(sub)} {rows_word}; a multi-group "
                f"CFA of {p} items needs at least {p + 5} in every group.",
                column=str(group),
                value=name,
                hint="Merge small groups (e.g. recode rare levels into 'other'), drop the group, "
                "or use fewer items.",
            )
        if fiml:
            _check_coverage(sub.to_numpy(dtype=float), items, name, str(group))
        for item in items:
            if sub[item].nunique() <= 1:
                raise InputError(
                    f"Item '{item}' is constant within group '{name}' of '{group}', so its "
                    "variance cannot be modelled in that group.",
                    column=item,
                    value=sub[item].dropna().iloc[0],
                    hint="Drop the item from the model, merge the group with another one, or "
                    "check the item's recoding.",
                )
        values = sub.to_numpy(dtype=float)
        if fiml:
            with single_threaded_blas():
                group_data = _group_fiml(values)
            groups_fiml.append(group_data)
            if not group_data.h1_converged:
                notes.append(
                    f"The EM estimates of group '{name}''s means and covariances (the saturated "
                    "model) did not converge: chi-square, CFI, TLI and RMSEA are not reliable."
                )
            means.append(group_data.mu_h1)  # the EM moments give the starting values
            covs.append(group_data.sigma_h1)
            groups_h1.append(group_data)
        else:
            means.append(values.mean(axis=0))
            covs.append(np.cov(values, rowvar=False, bias=True))
            if mlr:
                groups_h1.append(_complete_group(values))
        ns.append(len(sub))
    sample = _Sample(means, covs, np.array(ns, dtype=float))
    n_per_group = dict(zip(group_levels, (int(v) for v in ns), strict=True))
    small = [f"'{g}' ({n})" for g, n in n_per_group.items() if n < _MIN_GROUP_ROWS]
    if small:
        notes.append(
            f"Small group(s): {', '.join(small)} {rows_word} (fewer than {_MIN_GROUP_ROWS}); "
            "estimates are unstable and the chi-square test may be inflated."
        )

    fits: dict[str, dict[str, Any]] = {}
    tables = []
    previous_x: dict[tuple[str, int, int, int], float] = {}
    for level in levels:
        spec = _build_spec(items, cons, len(order), level)
        x0 = _start_values(spec, items, cons, sample)
        # warm start from the previous (less constrained) level where possible
        for g in range(spec.n_groups):
            for kind, i, j, k in spec.slots[g]:
                key = (kind, i, j, g)
                if key in previous_x and not spec.shared[k]:
                    x0[k] = previous_x[key]
        if fiml:
            # from the ML fit to the groups' EM moments to the FIML optimum; observed
            # information (lavaan's default for missing = "ml") for the standard errors
            with single_threaded_blas():  # small matrices: BLAS threads only add contention
                x, _ = _estimate(spec, x0, sample)
                x, converged = _estimate_fiml(spec, x, groups_fiml)
                if not converged:
                    x, _ = _estimate(spec, _start_values(spec, items, cons, sample), sample)
                    x, converged = _estimate_fiml(spec, x, groups_fiml)
                total_info = _fiml_observed_information(spec, x, groups_fiml)
        else:
            x, converged = _estimate(spec, x0, sample)
            if not converged:
                x, converged = _estimate(spec, _start_values(spec, items, cons, sample), sample)
            _, info = _gradient_information(spec, x, sample)
            total_info = sample.n * info
        robust: dict[str, Any] = {}
        try:
            if mlr:
                # the bread of the sandwich is the observed information (lavaan's MLR)
                if not fiml:
                    with single_threaded_blas():
                        total_info = _fiml_observed_information(spec, x, groups_h1)
                if np.any(np.linalg.eigvalsh(total_info) <= 0):
                    raise np.linalg.LinAlgError
            vcov = np.linalg.inv(total_info)
        except np.linalg.LinAlgError:
            vcov = np.full((spec.npar, spec.npar), np.nan)
            notes.append(f"The {level} model's information matrix is singular: no standard errors.")
        if fiml and np.any(np.diag(vcov) <= 0):
            vcov = np.full((spec.npar, spec.npar), np.nan)
            notes.append(
                f"The {level} model's observed information is not positive definite (the fit "
                "is not at a maximum, or the model is not identified): no standard errors."
            )
        if fiml:
            fit = _fit_statistics_fiml(spec, x, groups_fiml)
        else:
            fit = _fit_statistics(spec, x, sample)
        if mlr:
            if np.all(np.isfinite(vcov)):
                with single_threaded_blas():
                    vcov, robust = _mlr_statistics(spec, x, groups_h1, fit, total_info, fiml=fiml)
            else:
                robust = dict.fromkeys(ROBUST_TABLE_COLUMNS[:16], math.nan)
                robust["df_scaled"] = fit["df"]
            fit.update(robust)
        fit["converged"] = converged
        fits[level] = fit
        if not converged:
            notes.append(
                f"The {level} model did not converge; its estimates and fit are not reliable."
            )
        est = _estimates_table(spec, x, vcov, items, names, group_levels, level)
        notes += _heywood(est, level, set(names))
        tables.append(est)
        previous_x = {
            (kind, i, j, g): float(x[k])
            for g in range(spec.n_groups)
            for kind, i, j, k in spec.slots[g]
        }

    columns = _TABLE_COLUMNS + (ROBUST_TABLE_COLUMNS if mlr else [])
    table = pd.DataFrame([{k: fits[lv][k] for k in columns if k in fits[lv]} for lv in levels])
    table.index = pd.Index(levels, name="level")
    for col in ("delta_cfi", "delta_rmsea", "delta_chi2", "delta_df", "delta_p"):
        table[col] = np.nan
    if mlr:
        for col in ROBUST_TABLE_COLUMNS[16:]:
            table[col] = np.nan
    # the verdicts judge the robust CFI and RMSEA under MLR (Brosseau-Liard & Savalei)
    cfi_key, rmsea_key = ("cfi_robust", "rmsea_robust") if mlr else ("cfi", "rmsea")
    verdicts: dict[str, str] = {}
    highest: str | None = None
    chain_ok = True
    for k, level in enumerate(levels):
        if k == 0:
            if level == "configural":
                text, ok = _configural_verdict(fits[level], cfi_key, rmsea_key)
                verdicts[level] = text
                if not ok:
                    notes.append("Configural model: " + text)
            highest = level
            continue
        prev = levels[k - 1]
        d_chi2 = fits[level]["chi2"] - fits[prev]["chi2"]
        d_df = fits[level]["df"] - fits[prev]["df"]
        table.loc[level, "delta_cfi"] = fits[level]["cfi"] - fits[prev]["cfi"]
        table.loc[level, "delta_rmsea"] = fits[level]["rmsea"] - fits[prev]["rmsea"]
        table.loc[level, "delta_chi2"] = d_chi2
        table.loc[level, "delta_df"] = d_df
        table.loc[level, "delta_p"] = (
            float(stats.chi2.sf(max(d_chi2, 0.0), d_df)) if d_df > 0 else np.nan
        )
        if mlr:
            sb = robust_ml.satorra_bentler_2001_difference(
                fits[level]["chi2"],
                fits[level]["df"],
                fits[level]["scaling_factor"],
                fits[prev]["chi2"],
                fits[prev]["df"],
                fits[prev]["scaling_factor"],
            )
            table.loc[level, "delta_cfi_robust"] = (
                fits[level]["cfi_robust"] - fits[prev]["cfi_robust"]
            )
            table.loc[level, "delta_rmsea_robust"] = (
                fits[level]["rmsea_robust"] - fits[prev]["rmsea_robust"]
            )
            table.loc[level, "delta_chi2_scaled"] = sb.chi2
            table.loc[level, "delta_scaling_factor"] = sb.scaling_factor
            table.loc[level, "delta_p_scaled"] = sb.p
            if d_df > 0 and not np.isfinite(sb.scaling_factor):
                notes.append(
                    f"The Satorra-Bentler (2001) scaling factor of the {level} against the "
                    f"{prev} model is negative: no scaled difference test (lavaan warns "
                    "'scaling factor is negative' and reports NA). Judge the step by the "
                    "changes in the robust CFI and RMSEA."
                )
        suffix = "_robust" if mlr else ""
        text, ok = _step_verdict(
            level,
            prev,
            float(table.loc[level, "delta_cfi" + suffix]),
            float(table.loc[level, "delta_rmsea" + suffix]),
            delta_cfi,
            delta_rmsea,
            robust=mlr,
        )
        if mlr:
            text += (
                f" Scaled chi-square difference (Satorra-Bentler 2001): Δχ²({d_df}) = "
                f"{table.loc[level, 'delta_chi2_scaled']:.2f}, "
                f"p = {table.loc[level, 'delta_p_scaled']:.3g}."
            )
        else:
            text += f" Chi-square difference: Δχ²({d_df}) = {d_chi2:.2f}, p = {table.loc[level, 'delta_p']:.3g}."
        verdicts[level] = text
        if chain_ok and ok:
            highest = level
        else:
            chain_ok = False
    table = table[columns]

    if highest in _WHAT_HOLDS:
        verdict = _WHAT_HOLDS[highest] + "."
        nxt = [lv for lv in levels if _LEVELS.index(lv) > _LEVELS.index(highest)]
        if nxt:
            verdict += f" {nxt[0].capitalize()} invariance is not supported."
    else:
        verdict = "No level could be assessed."
    if (
        levels[0] == "configural"
        and not _configural_verdict(fits["configural"], cfi_key, rmsea_key)[1]
    ):
        verdict += " Caveat: the configural model itself fits poorly."
    return InvarianceResult(
        table=table,
        estimates=pd.concat(tables, ignore_index=True),
        verdicts=verdicts,
        highest_level=highest,
        verdict=verdict[0].upper() + verdict[1:],
        group=str(group),
        group_levels=tuple(group_levels),
        n_per_group=n_per_group,
        constructs=cons,
        syntax=syntax,
        cutoffs={"delta_cfi": float(delta_cfi), "delta_rmsea": float(delta_rmsea)},
        warning_messages=tuple(notes),
        seconds=time.perf_counter() - start,
        missing=missing,
        estimator=estimator,
    )
