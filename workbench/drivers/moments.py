"""Maximum-likelihood (EM) moments of incomplete scores and their bootstrap, for ``missing=fiml``.

A linear regression, a set of mediation equations with every path free, or a relative-
importance decomposition is a function of the means and covariances of its variables. When
the model is saturated (all of these are), the FIML estimates of its coefficients are those
functions of the maximum-likelihood means and covariances of the incomplete data, which EM
computes (:func:`workbench.intake.missingness.estimate_em_moments`; Little & Rubin 2019,
sec. 11.2; the saturated model of lavaan ``missing = "ml"``, matched there to 1e-6).
Intervals come from the nonparametric bootstrap, re-running EM on each resample of the
respondents (Enders 2010, ch. 5: the bootstrap with FIML).

References
----------
Little, R. J. A., & Rubin, D. B. (2019). *Statistical Analysis with Missing Data* (3rd ed.).
Wiley.
Enders, C. K. (2010). *Applied Missing Data Analysis*. Guilford.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.intake.missingness import EMConvergenceWarning, estimate_em_moments

__all__ = ["em_bootstrap", "em_moments"]

#: EM tolerance of the bootstrap resamples (the point estimate uses EM's default, 1e-10)
_BOOT_TOL = 1e-8


def em_moments(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """EM means and ML covariance matrix of the columns of ``frame``; rows with no value are
    left out. Returns ``(mean, cov, n_used)``."""
    used = frame[frame.notna().any(axis=1)]
    em = estimate_em_moments(used)
    return em.mean.to_numpy(float), em.cov.to_numpy(float), len(used)


def em_bootstrap(
    frame: pd.DataFrame, rng: np.random.Generator, n_boot: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EM moments of ``n_boot`` bootstrap resamples of the rows of ``frame``.

    Returns ``(means (B, p), covs (B, p, p), failed (B,))``; a resample whose EM fails (e.g.
    a column without answers in the resample) or does not converge is marked failed.
    """
    values = frame[frame.notna().any(axis=1)].reset_index(drop=True)
    n, p = values.shape
    means = np.full((n_boot, p), np.nan)
    covs = np.full((n_boot, p, p), np.nan)
    failed = np.zeros(n_boot, dtype=bool)
    for b in range(n_boot):
        sample = values.iloc[rng.integers(0, n, n)].reset_index(drop=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", EMConvergenceWarning)
                em = estimate_em_moments(sample, tol=_BOOT_TOL)
        except (InputError, EMConvergenceWarning, np.linalg.LinAlgError):
            failed[b] = True
            continue
        means[b] = em.mean.to_numpy(float)
        covs[b] = em.cov.to_numpy(float)
    return means, covs, failed
