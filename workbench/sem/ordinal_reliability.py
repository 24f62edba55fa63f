"""Reliability of scales of ordered items: ordinal alpha and categorical omega.

Coefficient alpha and omega computed from Pearson correlations of Likert answers treat the
category codes as interval numbers. The two coefficients here work on the latent-response
scale of the ordinal model instead:

- :func:`ordinal_alpha`: Cronbach's alpha of the polychoric correlation matrix (Zumbo,
  Gadermann & Zeisser 2007), the reliability of the sum of the *latent responses* under
  essential tau-equivalence (R: ``psych::alpha(psych::polychoric(x)$rho)``).
- :func:`categorical_omega`: Green & Yang's (2009) omega for each factor of an ordinal CFA,
  the reliability of the *observed* sum score (the sum of the category codes) implied by the
  model's loadings and thresholds (R: ``semTools::compRelSEM(fit, ord.scale = TRUE)``).

The continuous coefficients are :func:`workbench.sem.model.composite_reliability` and the
scale functions of :mod:`workbench.measurement.scales`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from workbench.errors import InputError
from workbench.measurement.polychoric import bivariate_normal_cdf
from workbench.sem.ordinal import OrdinalCFAResult
from workbench.sem.ordinal_stats import ordinal_sample_statistics

__all__ = ["categorical_omega", "ordinal_alpha"]


def ordinal_alpha(
    data: pd.DataFrame, items: Sequence[str] | None = None, *, max_categories: int = 10
) -> float:
    """Ordinal alpha: Cronbach's alpha of the items' polychoric correlation matrix.

    Parameters
    ----------
    data : pandas.DataFrame
        Answers coded as integers in their order, or ordered categoricals; NaN is missing
        (respondents with a missing answer on ``items`` are dropped, listwise).
    items : sequence of str, optional
        The items of the scale (default: every column). At least two.
    max_categories : int, default 10
        Items with more distinct values raise :class:`~workbench.errors.InputError`.

    Returns
    -------
    float
        Ordinal alpha.

    Raises
    ------
    InputError
        Fewer than two items, an unknown column, or items that
        :func:`~workbench.sem.ordinal_stats.ordinal_sample_statistics` rejects (a single
        observed category, non-integer codes, too many categories, no complete case).

    Notes
    -----
    With :math:`R` the :math:`k \\times k` polychoric correlation matrix,

    .. math:: \\alpha_{ord} = \\frac{k}{k - 1}\\left(1 - \\frac{k}{\\mathbf{1}'R\\,\\mathbf{1}}
              \\right),

    Cronbach's alpha of standardized variables applied to :math:`R` (Zumbo et al., 2007).
    It estimates the reliability of the sum of the continuous latent responses, not of the
    observed sum score; for the latter see :func:`categorical_omega`.

    The polychorics are lavaan's two-step estimates
    (:func:`~workbench.sem.ordinal_stats.ordinal_sample_statistics`: thresholds from the
    margins, then each correlation by maximum likelihood with the thresholds fixed).
    ``psych::polychoric`` (global thresholds) maximizes the same likelihood but stops about
    1e-4 short in the correlations, so R's ``psych::alpha(psych::polychoric(x)$rho)``
    differs from ours by up to about 1e-5; ``psych::alpha`` on lavaan's polychorics
    (``lavCor(x, ordered = names(x))``) agrees to 1e-7. Unlike psych (pairwise deletion)
    we drop incomplete respondents, as lavaan.

    References
    ----------
    Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients
    alpha and theta for Likert rating scales. *Journal of Modern Applied Statistical
    Methods*, 6(1), 21-29.

    Gadermann, A. M., Guhn, M., & Zumbo, B. D. (2012). Estimating ordinal reliability for
    Likert-type and ordinal item response data. *Practical Assessment, Research &
    Evaluation*, 17(3).
    """
    names = list(data.columns if items is None else items)
    if len(names) < 2:
        raise InputError(
            f"ordinal alpha needs at least two items, got {len(names)}",
            hint="pass the items of one scale (two or more columns) as items=",
        )
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise InputError(
            "item not found in the data",
            column=str(missing[0]),
            hint=f"the data have the columns {', '.join(map(str, data.columns))}",
        )
    stats = ordinal_sample_statistics(data, names, gamma=False, max_categories=max_categories)
    corr = stats.polychoric.loc[names, names].to_numpy()
    k = len(names)
    return float(k / (k - 1) * (1.0 - k / corr.sum()))


def _sum_score_covariance(corr: np.ndarray, thresholds: Sequence[np.ndarray]) -> float:
    """Variance of the sum of category codes implied by latent correlations ``corr``.

    ``sum_ij sum_cc' [Phi2(t_ic, t_jc'; r_ij) - Phi(t_ic) Phi(t_jc')]``; the diagonal
    ``r_ii`` may be below 1 (a common variance).
    """
    total = 0.0
    for i, ti in enumerate(thresholds):
        for j, tj in enumerate(thresholds):
            a, b = np.meshgrid(ti, tj, indexing="ij")
            joint = bivariate_normal_cdf(a, b, corr[i, j]).sum()
            total += float(joint - ndtr(ti).sum() * ndtr(tj).sum())
    return total


def _omega_from_parameters(
    loadings: np.ndarray,
    psi: np.ndarray,
    thresholds: Sequence[np.ndarray],
    polychoric: np.ndarray,
) -> float:
    """Green & Yang's omega of one factor's items (delta parameterization).

    ``loadings`` (items x factors), ``psi`` (factor covariances), each item's thresholds,
    and the items' sample polychoric correlations.
    """
    common = loadings @ psi @ loadings.T
    return _sum_score_covariance(common, thresholds) / _sum_score_covariance(polychoric, thresholds)


def categorical_omega(result: OrdinalCFAResult) -> pd.Series:
    """Categorical omega of each factor of an ordinal CFA (Green & Yang 2009).

    Parameters
    ----------
    result : OrdinalCFAResult
        A CFA of ordered items from :func:`~workbench.sem.ordinal.fit_ordinal_cfa`, delta
        parameterization (the default).

    Returns
    -------
    pandas.Series
        One value per factor with two or more items (named ``"categorical_omega"``): the
        reliability of the unit-weighted sum of the factor's items' category codes; NaN
        for a factor with a continuous item (the coefficient is defined for ordered items).

    Raises
    ------
    InputError
        A fit in the theta parameterization (refit with ``parameterization="delta"``; the
        model and the coefficient are the same).

    Notes
    -----
    For factor :math:`f` with items :math:`i, j`, loadings :math:`\\lambda`, factor
    covariances :math:`\\Psi`, thresholds :math:`\\tau_{ic}` (:math:`c = 1..K_i - 1`) and
    sample polychoric correlations :math:`\\rho_{ij}` (:math:`\\rho_{ii} = 1`),

    .. math:: \\omega_{cat} = \\frac{\\sum_{i,j}\\sum_{c,c'}\\left[\\Phi_2(\\tau_{ic},
              \\tau_{jc'}; \\lambda_i'\\Psi\\lambda_j) - \\Phi(\\tau_{ic})\\Phi(\\tau_{jc'})
              \\right]}{\\sum_{i,j}\\sum_{c,c'}\\left[\\Phi_2(\\tau_{ic}, \\tau_{jc'};
              \\rho_{ij}) - \\Phi(\\tau_{ic})\\Phi(\\tau_{jc'})\\right]},

    with :math:`\\Phi_2` the standard bivariate normal CDF. The numerator is the variance of
    the observed sum score due to the factor, the denominator its variance implied by the
    sample polychorics (semTools' default ``obs.var = TRUE``). Matches
    ``semTools::compRelSEM(fit)`` (``ord.scale = TRUE``, ``obs.var = TRUE``, its defaults)
    on ``lavaan::cfa(model, data, ordered = TRUE, estimator = "WLSMV")``; factors with a
    single item are left out (``dropSingle = TRUE``). Cross-loadings are allowed: the
    numerator uses each item's loadings on the factor only, as semTools.

    References
    ----------
    Green, S. B., & Yang, Y. (2009). Reliability of summed item scores using structural
    equation modeling: An alternative to coefficient alpha. *Psychometrika*, 74(1),
    155-167.
    """
    if result.parameterization != "delta":
        raise InputError(
            f"categorical omega needs the delta parameterization, not '{result.parameterization}'",
            hint="refit with fit_ordinal_cfa(..., parameterization='delta'); the model fits "
            "the same and the coefficient does not depend on the parameterization",
        )
    est = result.estimates
    load = est[est["op"] == "=~"]
    factors = list(dict.fromkeys(load["lhs"]))
    cov = est[(est["op"] == "~~") & est["lhs"].isin(factors) & est["rhs"].isin(factors)]
    psi = pd.DataFrame(0.0, index=factors, columns=factors)
    for lhs, rhs, value in zip(cov["lhs"], cov["rhs"], cov["estimate"], strict=True):
        psi.loc[lhs, rhs] = psi.loc[rhs, lhs] = float(value)
    values: dict[str, float] = {}
    continuous = set(result.sample_stats.continuous)
    for factor in factors:
        rows = load[load["lhs"] == factor]
        items = list(rows["rhs"])
        if len(items) < 2:
            continue
        if continuous & set(items):  # defined for ordered items only
            values[factor] = np.nan
            continue
        loadings = rows["estimate"].to_numpy(dtype=float).reshape(-1, 1)
        variance = np.array([[psi.loc[factor, factor]]])
        taus = [
            result.thresholds[result.thresholds.index.str.startswith(f"{item}|")].to_numpy(
                dtype=float
            )
            for item in items
        ]
        corr = result.polychoric.loc[items, items].to_numpy(dtype=float)
        values[factor] = _omega_from_parameters(loadings, variance, taus, corr)
    return pd.Series(values, name="categorical_omega", dtype=float)
