"""Robust maximum likelihood (MLR): Huber-White standard errors, the Yuan-Bentler scaled test
and the scaled and robust fit indices, as lavaan 0.6 ``estimator = "MLR"``.

The estimates are the normal-theory ML (or FIML) ones; what changes is their uncertainty and
the test of fit when the data are not multivariate normal. Everything here is linear algebra
on quantities :func:`workbench.sem.model.fit_sem` hands over: the casewise scores of the
saturated normal model, its information matrices, the Jacobian :math:`\\Delta` of the
model-implied moments and the model's observed information. The parameters of the saturated
model are :math:`(\\mu, \\operatorname{vech}\\Sigma)` (the mean vector only with a mean
structure, i.e. FIML), ``vech`` in the order of ``numpy.tril_indices``.

The public functions are :func:`saturated_scores`, :func:`complete_data_information`,
:func:`huber_white_vcov`, :func:`yuan_bentler_scaling`, :func:`fiml_corrected_scaling`,
:func:`normal_discrepancy` and :func:`robust_fit_indices`; :func:`workbench.sem.fit_sem`
with ``estimator="mlr"`` is the one a researcher calls.

References
----------
Huber, P. J. (1967). The behavior of maximum likelihood estimates under nonstandard conditions.
Proceedings of the Fifth Berkeley Symposium, 1, 221-233. White, H. (1982). Maximum likelihood
estimation of misspecified models. Econometrica, 50(1), 1-25.
Satorra, A., & Bentler, P. M. (1994). Corrections to test statistics and standard errors in
covariance structure analysis. In A. von Eye & C. C. Clogg (Eds.), Latent variables analysis
(pp. 399-419). Sage.
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance
structure analysis with nonnormal missing data. Sociological Methodology, 30, 165-200.
Brosseau-Liard, P. E., Savalei, V., & Li, L. (2012). An investigation of the sample performance
of two nonnormality corrections for RMSEA. Multivariate Behavioral Research, 47(6), 904-930.
Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit indices for
nonnormality. Multivariate Behavioral Research, 49(5), 460-470.
Savalei, V. (2018). On the computation of the RMSEA and CFI from the mean-and-variance
corrected test statistic with nonnormal data in SEM. Multivariate Behavioral Research, 53(3),
419-429. Zhang, X., & Savalei, V. (2023). New computations for RMSEA and CFI following FIML
and TS estimation with missing data. Psychological Methods, 28(2), 263-283.
R: ``lavaan::cfa(model, data, estimator = "MLR")`` (lavaan 0.6-14), also with
``missing = "ml"``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats

__all__ = [
    "ScaledDifferenceTest",
    "YuanBentlerTest",
    "complete_data_information",
    "fiml_corrected_scaling",
    "huber_white_vcov",
    "normal_discrepancy",
    "robust_fit_indices",
    "satorra_bentler_2001_difference",
    "saturated_scores",
    "yuan_bentler_scaling",
]

Patterns = Sequence[tuple[np.ndarray, np.ndarray]]


def saturated_scores(
    patterns: Patterns, mu: np.ndarray, sigma: np.ndarray, *, means: bool
) -> np.ndarray:
    """Casewise gradients of the normal loglikelihood in :math:`(\\mu, \\operatorname{vech}\\Sigma)`.

    Parameters
    ----------
    patterns : sequence of (observed column indices, values)
        The rows grouped by missingness pattern (one pattern for complete data).
    mu, sigma : numpy.ndarray
        The moments at which the scores are evaluated: the saturated model's estimates
        (lavaan's ``h1.information = "unstructured"``) or the model-implied ones
        (``"structured"``).
    means : bool
        Whether the first p columns are the scores of the means (a mean structure).

    Returns
    -------
    numpy.ndarray
        One row per respondent (in pattern order): ``p + p(p+1)/2`` columns with ``means``,
        ``p(p+1)/2`` without.

    Notes
    -----
    For a row with observed variables o, :math:`K = \\Sigma_{oo}^{-1}` and
    :math:`d = x_o - \\mu_o`: :math:`\\partial l/\\partial\\mu_o = Kd` and
    :math:`\\partial l/\\partial\\Sigma_{oo} = \\tfrac12(Kdd'K - K)`, an off-diagonal element
    of :math:`\\operatorname{vech}\\Sigma` collecting both of its positions (lavaan's
    ``lav_mvnorm_missing_scores_mu_vech_sigma``).
    """
    p = sigma.shape[0]
    rows, cols = np.tril_indices(p)
    blocks = []
    for obs, values in patterns:
        obs = np.asarray(obs)
        k = np.linalg.inv(sigma[np.ix_(obs, obs)])
        k = (k + k.T) / 2
        kd = (values - mu[obs]) @ k
        n_j = values.shape[0]
        full = np.zeros((n_j, p, p))
        full[:, obs[:, None], obs[None, :]] = 0.5 * (kd[:, :, None] * kd[:, None, :] - k[None])
        g = full[:, rows, cols] + np.where(rows != cols, full[:, cols, rows], 0.0)
        if means:
            g_mu = np.zeros((n_j, p))
            g_mu[:, obs] = kd
            g = np.hstack([g_mu, g])
        blocks.append(g)
    return np.vstack(blocks)


def complete_data_information(sigma: np.ndarray, *, means: bool) -> np.ndarray:
    """Expected information per row of the saturated normal model for complete data.

    :math:`\\Sigma^{-1}` for the means and :math:`\\tfrac12 D'(\\Sigma^{-1}\\otimes
    \\Sigma^{-1})D` for :math:`\\operatorname{vech}\\Sigma` (D the duplication matrix); at the
    sample moments it is also the observed information (lavaan's h1 information for complete
    data). With :math:`K = \\Sigma^{-1}` the element for :math:`\\sigma_{ij}, \\sigma_{kl}` is
    :math:`\\tfrac12 w_{ij}w_{kl}(K_{ik}K_{jl} + K_{il}K_{jk})`, :math:`w = \\sqrt2` off the
    diagonal and :math:`1/\\sqrt2` on it (computed so, without the :math:`p^2 \\times p^2`
    Kronecker product).
    """
    p = sigma.shape[0]
    k = np.linalg.inv(sigma)
    k = (k + k.T) / 2
    rows, cols = np.tril_indices(p)
    w = np.where(rows == cols, math.sqrt(0.5), math.sqrt(2.0))
    f = (
        k[np.ix_(rows, rows)] * k[np.ix_(cols, cols)]
        + k[np.ix_(rows, cols)] * k[np.ix_(cols, rows)]
    )
    info = 0.5 * f * np.outer(w, w)
    if not means:
        return info
    return np.block([[k, np.zeros((p, rows.size))], [np.zeros((rows.size, p)), info]])


def huber_white_vcov(bread: np.ndarray, meat: np.ndarray, n: int) -> np.ndarray:
    """The sandwich :math:`\\tfrac1N A^{-1} B A^{-1}` (lavaan ``se = "robust.huber.white"``).

    Parameters
    ----------
    bread : numpy.ndarray
        :math:`A`, the observed information per row of the model's parameters (minus the
        Hessian of the loglikelihood divided by N).
    meat : numpy.ndarray
        :math:`B = \\tfrac1N\\sum_i s_i s_i'`, the first-order information per row, from the
        casewise scores :math:`s_i = \\Delta' g_i` at the model-implied moments (lavaan's
        ``information.meat = "first.order"``, ``h1.information.meat = "structured"``).
    n : int
        Rows.

    Returns
    -------
    numpy.ndarray
        The covariance matrix of the estimates.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
    >>> huber_white_vcov(a, 2 * a, n=100)  # meat twice the bread: variances double
    array([[0.01 , 0.   ],
           [0.   , 0.005]])
    """
    a_inv = np.linalg.inv(bread)
    a_inv = (a_inv + a_inv.T) / 2
    vcov = a_inv @ meat @ a_inv / n
    return (vcov + vcov.T) / 2


@dataclasses.dataclass(frozen=True)
class YuanBentlerTest:
    """The Yuan-Bentler scaling of a chi-square (Mplus variant).

    Attributes
    ----------
    scaling_factor : float
        :math:`c = \\operatorname{tr}(U\\Gamma)/df`; the scaled statistic is :math:`T/c`.
    trace_ugamma : float
        :math:`\\operatorname{tr}(U\\Gamma) = c\\,df`.
    trace_h1, trace_h0 : float
        :math:`\\operatorname{tr}(A_1^{-1}B_1)` and :math:`\\operatorname{tr}(A_0^{-1}B_0)`.
    """

    scaling_factor: float
    trace_ugamma: float
    trace_h1: float
    trace_h0: float


def yuan_bentler_scaling(
    h1_information: np.ndarray,
    h1_meat: np.ndarray,
    bread: np.ndarray,
    h0_meat: np.ndarray,
    df: int,
) -> YuanBentlerTest:
    """Scaling factor of the Yuan-Bentler chi-square as Mplus (lavaan ``"yuan.bentler.mplus"``).

    Parameters
    ----------
    h1_information, h1_meat : numpy.ndarray
        :math:`A_1`, :math:`B_1`: observed and first-order information per row of the
        saturated model at its estimates (lavaan's ``h1.information = "unstructured"``).
    bread, h0_meat : numpy.ndarray
        :math:`A_0`, :math:`B_0`: the model's observed information (the bread of the
        standard errors) and first-order information (their meat), per row.
    df : int
        Degrees of freedom of the test.

    Returns
    -------
    YuanBentlerTest
        ``scaling_factor`` is NaN for df < 1 or a negative trace (as lavaan).

    Notes
    -----
    :math:`c = [\\operatorname{tr}(A_1^{-1}B_1) - \\operatorname{tr}(A_0^{-1}B_0)]/df`, the
    trace of :math:`U\\Gamma` of Satorra & Bentler (1994) written with the saturated and the
    fitted model's sandwich parts, which Mplus uses and which also holds under FIML (Yuan &
    Bentler 2000). Under normality both traces count parameters and :math:`c = 1`. lavaan:
    ``lav_test_yuan_bentler_mplus_trace``.

    Examples
    --------
    >>> import numpy as np
    >>> a1, a0 = np.eye(6), np.eye(2)
    >>> yuan_bentler_scaling(a1, 1.5 * a1, a0, 1.5 * a0, df=4).scaling_factor  # (9 - 3) / 4
    1.5
    """
    trace_h1 = float(np.sum(h1_meat * np.linalg.inv(h1_information).T))
    trace_h0 = float(np.sum(h0_meat * np.linalg.inv(bread).T))
    trace = trace_h1 - trace_h0
    c = trace / df if df >= 1 else math.nan
    if not c >= 0:
        c = math.nan
    return YuanBentlerTest(c, trace, trace_h1, trace_h0)


def fiml_corrected_scaling(
    h1_information: np.ndarray,
    h1_meat: np.ndarray,
    complete_information: np.ndarray,
    deltas: Sequence[np.ndarray],
    dfs: Sequence[int],
) -> list[float]:
    """Scaling factors of the FIML-corrected statistic (Zhang & Savalei's FIML-C, V3).

    Parameters
    ----------
    h1_information : numpy.ndarray
        :math:`W_m`: observed information per row of the saturated model under FIML, at its
        (EM) estimates :math:`(\\tilde\\mu, \\tilde\\Sigma)`.
    h1_meat : numpy.ndarray
        :math:`J_m`: first-order information per row at the same estimates.
    complete_information : numpy.ndarray
        :math:`W_c`: the complete-data information at :math:`(\\tilde\\mu, \\tilde\\Sigma)`
        (:func:`complete_data_information` with ``means=True``).
    deltas : sequence of numpy.ndarray
        :math:`\\Delta` of each model (e.g. the fitted one and its baseline): derivatives of
        :math:`(\\mu, \\operatorname{vech}\\Sigma)` with respect to its free parameters, at
        its FIML estimates.
    dfs : sequence of int
        Their degrees of freedom.

    Returns
    -------
    list of float
        :math:`\\hat c = \\operatorname{tr}(U W_m^{-1} W_c W_m^{-1} U \\Gamma)/df` per model, with
        :math:`\\Gamma = W_m^{-1}J_mW_m^{-1}` and :math:`U = W_m - W_m\\Delta(\\Delta'W_m
        \\Delta)^{-1}\\Delta'W_m`; lavaan's ``lav_fit_fiml_corrected(version = "V3")``, used
        for the robust RMSEA and CFI after FIML (Savalei 2018; Zhang & Savalei 2023).

    Notes
    -----
    With :math:`M = W_m^{-1}W_cW_m^{-1}` and the rank-q part :math:`R = W_m\\Delta C^{-1}
    \\Delta'W_m` (:math:`C = \\Delta'W_m\\Delta`), :math:`U = W_m - R` and
    :math:`\\operatorname{tr}(UMU\\Gamma) = \\operatorname{tr}(W_c\\Gamma) -
    2\\operatorname{tr}(RMW_m\\Gamma) + \\operatorname{tr}(RMR\\Gamma)`: the last two are
    traces of q x q matrices, so each model costs thin products only.
    """
    wm_inv = np.linalg.inv(h1_information)
    wm_inv = (wm_inv + wm_inv.T) / 2
    gamma = wm_inv @ h1_meat @ wm_inv
    m = wm_inv @ complete_information @ wm_inv
    base = float(np.sum(complete_information * gamma.T))
    out = []
    for delta, df in zip(deltas, dfs, strict=True):
        wd = h1_information @ delta  # (v, q)
        c_inv = np.linalg.inv(delta.T @ wd)
        # tr(R M W Gamma) = tr(C^-1 wd' M W Gamma wd); W Gamma = J W^-1
        mwg_wd = m @ (h1_meat @ (wm_inv @ wd))
        t2 = float(np.trace(c_inv @ (wd.T @ mwg_wd)))
        # tr(R M R Gamma) = tr(C^-1 (wd' M wd) C^-1 (wd' Gamma wd))
        t3 = float(np.trace(c_inv @ (wd.T @ m @ wd) @ c_inv @ (wd.T @ gamma @ wd)))
        k = base - 2 * t2 + t3
        out.append(k / df if df >= 1 else math.nan)
    return out


def normal_discrepancy(
    mean: np.ndarray | None, cov: np.ndarray, mu: np.ndarray | None, sigma: np.ndarray
) -> float:
    """The ML discrepancy of complete-data moments from model-implied ones.

    :math:`F = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) - \\log|S| - p +
    (m - \\mu)'\\Sigma^{-1}(m - \\mu)` (the last term only with means); N F is the
    chi-square. Used for the FIML-corrected statistic, which evaluates the FIML estimates
    against the EM moments as if they were complete-data ones (lavaan ``fit.tilde`` in
    ``lav_fit_fiml_corrected``).
    """
    p = cov.shape[0]
    k = np.linalg.inv(sigma)
    f = np.linalg.slogdet(sigma)[1] + float(np.trace(cov @ k)) - np.linalg.slogdet(cov)[1] - p
    if mean is not None and mu is not None:
        d = mean - mu
        f += float(d @ k @ d)
    return float(f)


def _rmsea(chi2: float, df: float, n: int, c_hat: float = 1.0, groups: int = 1) -> float:
    """lavaan's ``lav_fit_rmsea``: 0 for df = 0 (saturated), whatever the scaling; times
    :math:`\\sqrt{G}` with G groups."""
    if np.isfinite(df) and df <= 0:
        return 0.0
    if not (np.isfinite(chi2) and np.isfinite(df) and np.isfinite(c_hat)):
        return math.nan
    return math.sqrt(max(chi2 / n / df - c_hat / n, 0.0)) * math.sqrt(groups)


def _rmsea_ci(
    chi2: float, df: float, n: int, c_hat: float = 1.0, level: float = 0.90, groups: int = 1
) -> tuple[float, float]:
    """lavaan's ``lav_fit_rmsea_ci``: noncentrality bounds, times c_hat for the robust one."""
    if not (np.isfinite(chi2) and np.isfinite(df)):
        return (math.nan, math.nan)
    if df < 1:
        return (0.0, 0.0)
    if not np.isfinite(c_hat):
        return (math.nan, math.nan)
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(stats.chi2.cdf(chi2, df) if lam <= 0 else stats.ncx2.cdf(chi2, df, lam))

    if df < 1 or cdf(0.0) - upper_p < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - upper_p, 0.0, max(chi2, 1e-8), xtol=1e-12)
        lo = math.sqrt(c_hat * lam / (n * df)) * math.sqrt(groups)
    n_rmsea = max(n, chi2 * 4)
    if df < 1 or cdf(n_rmsea) - lower_p > 0 or cdf(0.0) - lower_p < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - lower_p, 0.0, n_rmsea, xtol=1e-12)
        hi = math.sqrt(c_hat * lam / (n * df)) * math.sqrt(groups)
    return lo, hi


def _rmsea_close(
    chi2: float, df: float, n: int, c_hat: float = 1.0, h0: float = 0.05, groups: int = 1
) -> float:
    if not (np.isfinite(chi2) and np.isfinite(df) and np.isfinite(c_hat)) or df <= 0:
        return math.nan
    return float(stats.ncx2.sf(chi2, df, n * df / c_hat * h0**2 / groups))


def _cfi(
    chi2: float, df: float, chi2_b: float, df_b: float, c: float = 1.0, c_b: float = 1.0
) -> float:
    if not all(np.isfinite(v) for v in (chi2, df, chi2_b, df_b, c, c_b)):
        return math.nan
    t1 = max(chi2 - c * df, 0.0)
    t2 = max(chi2 - c * df, chi2_b - c_b * df_b, 0.0)
    return 1.0 if t1 == 0 and t2 == 0 else 1.0 - t1 / t2


def _tli(
    chi2: float, df: float, chi2_b: float, df_b: float, c: float = 1.0, c_b: float = 1.0
) -> float:
    if not all(np.isfinite(v) for v in (chi2, df, chi2_b, df_b, c, c_b)):
        return math.nan
    t1 = (chi2 - c * df) * df_b
    t2 = (chi2_b - c_b * df_b) * df
    return 1.0 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def robust_fit_indices(
    chi2: float,
    df: int,
    baseline_chi2: float,
    baseline_df: int,
    n: int,
    test: YuanBentlerTest,
    baseline_test: YuanBentlerTest,
    *,
    fiml_corrected: dict[str, float] | None = None,
    n_groups: int = 1,
) -> dict[str, Any]:
    """The scaled and robust chi-square, CFI, TLI and RMSEA of an MLR fit, as lavaan.

    Parameters
    ----------
    chi2, df, baseline_chi2, baseline_df, n
        The normal-theory test of the model and of the independence baseline, and the rows.
    test, baseline_test : YuanBentlerTest
        The Yuan-Bentler scalings :math:`c` and :math:`c_B` (:func:`yuan_bentler_scaling`).
    fiml_corrected : dict, optional
        For FIML: ``chi2``, ``c`` (the FIML-corrected statistic of the model and its scaling,
        :func:`fiml_corrected_scaling`) and ``baseline_chi2``, ``baseline_c``, which the robust
        indices use instead of the plain test (lavaan ``lav_fit_fiml_corrected``).
    n_groups : int
        Groups of a multi-group model: lavaan multiplies every RMSEA and its interval by
        :math:`\\sqrt{G}` and divides the noncentrality of the close-fit test by G
        (``lav_fit_rmsea``, ``lav_fit_rmsea_ci``, ``lav_fit_rmsea_closefit``). The statistics,
        n and the scalings are then the multi-group totals.

    Returns
    -------
    dict
        ``chi2_scaled, df_scaled, p_scaled, scaling_factor, baseline_chi2_scaled,
        baseline_p_scaled, baseline_scaling_factor, cfi_scaled, tli_scaled, rmsea_scaled,
        rmsea_ci_low_scaled, rmsea_ci_high_scaled, rmsea_p_scaled, cfi_robust, tli_robust,
        rmsea_robust, rmsea_ci_low_robust, rmsea_ci_high_robust, rmsea_p_robust``.

    Notes
    -----
    Scaled (lavaan's ``.scaled``): :math:`T/c` and :math:`T_B/c_B` in the usual formulas;
    the scaled RMSEA is :math:`\\sqrt{\\max(T/(N c\\,df) - 1/N, 0)}` (lavaan uses
    :math:`\\operatorname{tr}(U\\Gamma) = c\\,df` as the degrees of freedom of the unscaled
    statistic). Robust (lavaan's ``.robust``; Brosseau-Liard, Savalei & Li 2012,
    Brosseau-Liard & Savalei 2014): :math:`RMSEA = \\sqrt{\\max(T/(N\\,df) - c/N, 0)}`,
    :math:`CFI = 1 - \\max(T - c\\,df, 0)/\\max(T - c\\,df, T_B - c_B df_B, 0)`,
    :math:`TLI = 1 - (T - c\\,df)df_B/((T_B - c_B df_B)df)`, and the robust RMSEA interval
    from the noncentrality of :math:`T/c`, times :math:`c`. After FIML, T, c, T_B and c_B
    of the robust indices are those of the FIML-corrected statistic (Savalei 2018).
    """
    c, c_b = test.scaling_factor, baseline_test.scaling_factor
    # df = 0 (saturated): no scaling; lavaan reports the plain statistic as the scaled one
    chi2_s = chi2 / c if df >= 1 else chi2
    chi2_bs = baseline_chi2 / c_b if baseline_df >= 1 else baseline_chi2
    df2 = test.trace_ugamma if df >= 1 else math.nan
    if fiml_corrected is None:
        x3, c3, x3_b, c3_b = chi2, c, baseline_chi2, c_b
    else:
        x3, c3 = fiml_corrected["chi2"], fiml_corrected["c"]
        x3_b, c3_b = fiml_corrected["baseline_chi2"], fiml_corrected["baseline_c"]
    g = int(n_groups)
    lo_s, hi_s = _rmsea_ci(chi2, df2, n, groups=g)
    lo_r, hi_r = _rmsea_ci(x3 / c3 if df >= 1 else x3, df, n, c3, groups=g)
    out = {
        "chi2_scaled": chi2_s,
        "df_scaled": int(df),
        "p_scaled": float(stats.chi2.sf(chi2_s, df)) if df > 0 else math.nan,
        "scaling_factor": c,
        "baseline_chi2_scaled": chi2_bs,
        "baseline_p_scaled": float(stats.chi2.sf(chi2_bs, baseline_df))
        if baseline_df > 0
        else math.nan,
        "baseline_scaling_factor": c_b,
        "cfi_scaled": _cfi(chi2_s, df, chi2_bs, baseline_df),
        "tli_scaled": _tli(chi2_s, df, chi2_bs, baseline_df),
        "rmsea_scaled": _rmsea(chi2, df2, n, groups=g),
        "rmsea_ci_low_scaled": lo_s,
        "rmsea_ci_high_scaled": hi_s,
        "rmsea_p_scaled": _rmsea_close(chi2, df2, n, groups=g),
        "cfi_robust": _cfi(x3, df, x3_b, baseline_df, c3, c3_b),
        "tli_robust": _tli(x3, df, x3_b, baseline_df, c3, c3_b),
        "rmsea_robust": _rmsea(x3, df, n, c3, groups=g),
        "rmsea_ci_low_robust": lo_r,
        "rmsea_ci_high_robust": hi_r,
        "rmsea_p_robust": _rmsea_close(x3 / c3, df, n, c3, groups=g),
    }
    return {k: v if isinstance(v, int) else float(v) for k, v in out.items()}


@dataclasses.dataclass(frozen=True)
class ScaledDifferenceTest:
    """A scaled chi-square difference test between two nested models.

    Attributes
    ----------
    chi2 : float
        The scaled difference statistic :math:`(T_0 - T_1)/c_d` (NaN when :math:`c_d < 0`).
    df : int
        :math:`df_0 - df_1`.
    p : float
        Its upper chi-square tail probability (NaN when the statistic is).
    scaling_factor : float
        :math:`c_d` (NaN when negative, or when the models have the same df).
    method : str
        ``"satorra.bentler.2001"`` (lavaan's name).
    """

    chi2: float
    df: int
    p: float
    scaling_factor: float
    method: str = "satorra.bentler.2001"


def satorra_bentler_2001_difference(
    chi2_restricted: float,
    df_restricted: int,
    scaling_restricted: float,
    chi2_free: float,
    df_free: int,
    scaling_free: float,
) -> ScaledDifferenceTest:
    """The Satorra-Bentler (2001) scaled chi-square difference test (lavaan's default for MLR).

    Parameters
    ----------
    chi2_restricted, df_restricted, scaling_restricted : float, int, float
        The unscaled (normal-theory) statistic :math:`T_0`, its df :math:`r_0` and its
        scaling factor :math:`c_0` (e.g. Yuan-Bentler's) for the more constrained model.
    chi2_free, df_free, scaling_free : float, int, float
        The same for the less constrained model (:math:`T_1, r_1, c_1`).

    Returns
    -------
    ScaledDifferenceTest

    Notes
    -----
    :math:`c_d = (r_0 c_0 - r_1 c_1)/(r_0 - r_1)` and :math:`T_d = (T_0 - T_1)/c_d` on
    :math:`r_0 - r_1` df, with :math:`c_1 = 1` for a saturated model (:math:`r_1 = 0`). As
    lavaan 0.6 (``lav_test_diff_SatorraBentler2001``): a negative :math:`c_d` (possible in
    small samples or near-equal df) makes the statistic NaN, where lavaan warns "scaling factor
    is negative" and reports NA (an exactly zero :math:`c_d`, where lavaan divides by zero,
    gives NaN here too); with equal df the plain difference is returned and
    :math:`c_d` is NaN. Satorra & Bentler's (2010) strictly positive version needs a refit of
    the restricted model and is not offered here.

    References
    ----------
    Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
    moment structure analysis. Psychometrika, 66(4), 507-514. R: ``lavaan::lavTestLRT(m1, m0)``
    for an MLR fit (``method = "satorra.bentler.2001"``, the default for scaled tests).

    Examples
    --------
    >>> t = satorra_bentler_2001_difference(130.0, 60, 1.1, 100.0, 54, 1.2)
    >>> round(t.scaling_factor, 4), round(t.chi2, 4), t.df
    (0.2, 150.0, 6)
    """
    c1 = 1.0 if df_free == 0 else float(scaling_free)
    m = int(df_restricted) - int(df_free)
    diff = float(chi2_restricted) - float(chi2_free)
    if m == 0:
        return ScaledDifferenceTest(diff, 0, math.nan, math.nan)
    cd = (df_restricted * float(scaling_restricted) - df_free * c1) / m
    if not cd > 0:  # lavaan: NA for cd < 0 (and an infinite statistic for cd = 0)
        return ScaledDifferenceTest(math.nan, m, math.nan, math.nan)
    t = diff / cd
    p = float(stats.chi2.sf(t, m)) if m > 0 else math.nan
    return ScaledDifferenceTest(t, m, p, cd)
