"""Reliability, validity and report-ready fit of an ordinal CFA (WLSMV), as a study shows them.

:func:`~workbench.sem.ordinal.fit_ordinal_cfa` returns an
:class:`~workbench.sem.ordinal.OrdinalCFAResult` in lavaan's conventions. The studies show a
CFA through the methods of :class:`~workbench.sem.model.SEMResult` (``fit`` with
:data:`~workbench.sem.model.FIT_KEYS`, ``composite_reliability()``, ``ave()``, ``htmt()``,
``fornell_larcker()``, ``residual_correlations()``); :class:`OrdinalCFAView` gives an ordinal
fit the same methods, computed on the latent-response (polychoric) scale as semTools does for
ordered indicators:

* :func:`ordinal_composite_reliability`: semTools ``compRelSEM(fit, ord.scale = FALSE)``;
* :func:`ordinal_ave`: semTools ``AVE(fit)``;
* :func:`ordinal_htmt`: semTools ``htmt(model, data, ordered = items)``;
* :func:`latent_correlations`: lavaan ``lavInspect(fit, "cor.lv")``;
* :func:`ordinal_residual_correlations`: lavaan ``residuals(fit, type = "cor")``;
* :meth:`OrdinalCFAView.modification_indices`: lavaan ``modindices(fit)``
  (:func:`~workbench.sem.ordinal_modindices.ordinal_modification_indices`).

The report's contract fit (``chi2``, ``p``, ``cfi``, ...) takes the scaled-shifted test and the
robust indices of Savalei (2021), or the scaled ones when the robust ones are not available
(:func:`report_fit`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.sem.model import _htmt_table
from workbench.sem.ordinal import OrdinalCFAResult
from workbench.sem.ordinal_modindices import ordinal_modification_indices

__all__ = [
    "OrdinalCFAView",
    "latent_correlations",
    "ordinal_ave",
    "ordinal_composite_reliability",
    "ordinal_fornell_larcker",
    "ordinal_htmt",
    "ordinal_residual_correlations",
    "report_fit",
]

FitBasis = Literal["robust", "scaled", "standard"]


def _std_loadings(result: OrdinalCFAResult, factor: str, items: list[str]) -> np.ndarray:
    """Standardized loadings :math:`\\lambda_i\\sqrt{\\phi} / \\mathrm{SD}(y^*_i)`: in the
    delta parameterization :math:`\\lambda_i\\sqrt{\\phi}`, and the same values in the theta
    one (so what follows does not depend on the parameterization)."""
    est = result.estimates
    rows = est[(est["op"] == "=~") & (est["lhs"] == factor)].set_index("rhs")
    return rows.loc[items, "std_all"].to_numpy(dtype=float)


def ordinal_composite_reliability(result: OrdinalCFAResult) -> pd.Series:
    """Composite reliability of each factor's latent responses (polychoric scale).

    Parameters
    ----------
    result : OrdinalCFAResult
        An ordinal CFA (:func:`~workbench.sem.ordinal.fit_ordinal_cfa`).

    Returns
    -------
    pandas.Series
        One value per factor, named ``composite_reliability``.

    Notes
    -----
    The reliability of the sum of the items' latent responses :math:`y^*`, not of the
    observed sum score: :math:`\\omega = (\\sum_i\\lambda_i)^2\\phi / \\mathbf 1' R\\,
    \\mathbf 1`, with :math:`R` the sample polychoric correlations of the factor's items
    (semTools' ``obs.var = TRUE``: the observed variance of the latent-response sum), with
    :math:`\\lambda_i\\sqrt\\phi` the standardized loadings of the delta parameterization (taken
    from ``std_all``, so a theta fit gives the same value).

    References
    ----------
    Raykov, T. (1997). Estimation of composite reliability for congeneric measures.
    *Applied Psychological Measurement*, 21(2), 173-184. R: ``semTools::compRelSEM(fit,
    ord.scale = FALSE)`` (semTools 0.5-6) on ``lavaan::cfa(..., ordered = TRUE, estimator =
    "WLSMV")``; tested against tests/reference/ordinal_cfa_validity.R.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal import fit_ordinal_cfa
    >>> hs = pd.read_csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
    >>> hs3 = hs[hs["categories"] == 3].drop(columns="categories")
    >>> res = fit_ordinal_cfa(hs3, {"visual": ["x1", "x2", "x3"],
    ...                             "textual": ["x4", "x5", "x6"]})
    >>> ordinal_composite_reliability(res).round(3).to_dict()
    {'visual': 0.615, 'textual': 0.888}
    """
    r = result.polychoric
    out = {}
    for factor, items in result.constructs.items():
        lam = _std_loadings(result, factor, items)  # lambda * sqrt(phi) (delta)
        out[factor] = float(lam.sum() ** 2 / r.loc[items, items].to_numpy().sum())
    return pd.Series(out, name="composite_reliability", dtype=float)


def ordinal_ave(result: OrdinalCFAResult) -> pd.Series:
    """Average variance extracted of each factor's latent responses (polychoric scale).

    Parameters
    ----------
    result : OrdinalCFAResult
        An ordinal CFA.

    Returns
    -------
    pandas.Series
        One value per factor, named ``ave``.

    Notes
    -----
    :math:`AVE = \\phi\\sum_i\\lambda_i^2 / p`: the latent responses have unit variance
    (delta parameterization), so this is the mean squared standardized loading.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research*, 18(1),
    39-50. R: ``semTools::AVE(fit)`` (semTools 0.5-6) on an ordinal lavaan fit.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal import fit_ordinal_cfa
    >>> hs = pd.read_csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
    >>> hs3 = hs[hs["categories"] == 3].drop(columns="categories")
    >>> res = fit_ordinal_cfa(hs3, {"visual": ["x1", "x2", "x3"],
    ...                             "textual": ["x4", "x5", "x6"]})
    >>> ordinal_ave(res).round(3).to_dict()
    {'visual': 0.368, 'textual': 0.724}
    """
    r = result.polychoric
    out = {}
    for factor, items in result.constructs.items():
        lam = _std_loadings(result, factor, items)  # lambda * sqrt(phi) (delta)
        out[factor] = float((lam**2).sum() / np.diag(r.loc[items, items]).sum())
    return pd.Series(out, name="ave", dtype=float)


def latent_correlations(result: OrdinalCFAResult) -> pd.DataFrame:
    """Model-implied correlations of the factors (lavaan ``lavInspect(fit, "cor.lv")``).

    Parameters
    ----------
    result : OrdinalCFAResult
        An ordinal CFA.

    Returns
    -------
    pandas.DataFrame
        Factor x factor, unit diagonal: :math:`\\phi_{fg}/\\sqrt{\\phi_{ff}\\phi_{gg}}`.
    """
    names = list(result.constructs)
    est = result.estimates
    cov = est[(est["op"] == "~~") & est["lhs"].isin(names) & est["rhs"].isin(names)]
    phi = pd.DataFrame(np.nan, index=names, columns=names)
    for a, b, v in zip(cov["lhs"], cov["rhs"], cov["estimate"], strict=True):
        phi.loc[a, b] = phi.loc[b, a] = v
    sd = np.sqrt(np.diag(phi.to_numpy(dtype=float)))
    return phi / np.outer(sd, sd)


def ordinal_fornell_larcker(result: OrdinalCFAResult) -> pd.DataFrame:
    """Fornell-Larcker table: sqrt(AVE) (polychoric scale) on the diagonal, factor
    correlations off it.

    Parameters
    ----------
    result : OrdinalCFAResult
        An ordinal CFA.

    Returns
    -------
    pandas.DataFrame
        Factor x factor; a factor shows discriminant validity when its diagonal value
        exceeds its correlations with the others.

    References
    ----------
    Fornell & Larcker (1981). R: ``lavInspect(fit, "cor.lv")`` with
    ``sqrt(semTools::AVE(fit))``.
    """
    table = latent_correlations(result)
    root = np.sqrt(ordinal_ave(result))
    for name in table.index:
        table.loc[name, name] = root[name]
    return table


def ordinal_htmt(
    result: OrdinalCFAResult, *, mean: Literal["geometric", "arithmetic"] = "geometric"
) -> pd.DataFrame:
    """HTMT from the sample polychoric correlations of the fit's complete cases.

    Parameters
    ----------
    result : OrdinalCFAResult
        An ordinal CFA.
    mean : {"geometric", "arithmetic"}
        HTMT2 (semTools' default) or the original arithmetic HTMT.

    Returns
    -------
    pandas.DataFrame
        Symmetric factor x factor table with 1 on the diagonal.

    Notes
    -----
    As :func:`workbench.sem.model.htmt`, with the polychoric correlations in place of the
    Pearson ones (the complete cases the CFA used: lavaan ``lavCor`` lists wise).

    References
    ----------
    Henseler, Ringle & Sarstedt (2015); Roemer, Schuberth & Henseler (2021). R:
    ``semTools::htmt(model, data, ordered = items)`` (semTools 0.5-6).
    """
    if mean not in ("geometric", "arithmetic"):
        raise ValueError(f"mean must be one of ('geometric', 'arithmetic'), got {mean!r}")
    return _htmt_table(result.polychoric, result.constructs, mean)


def ordinal_residual_correlations(
    result: OrdinalCFAResult, *, top: int | None = 10
) -> pd.DataFrame:
    """Largest residual correlations: sample minus model-implied polychoric correlations.

    Parameters
    ----------
    result : OrdinalCFAResult
        An ordinal CFA.
    top : int or None
        Number of pairs, largest absolute residual first (None: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``var1, var2, observed, implied, residual`` (as
        :func:`workbench.sem.model.residual_correlations`).

    References
    ----------
    R: ``lavaan::residuals(fit, type = "cor")``.
    """
    obs = result.polychoric.to_numpy(dtype=float)
    imp = result.implied.loc[result.polychoric.index, result.polychoric.columns].to_numpy()
    sd = np.sqrt(np.diag(imp))  # continuous items: implied covariances to correlations
    imp = imp / np.outer(sd, sd)
    names = list(result.polychoric.index)
    i, j = np.triu_indices(len(names), 1)
    table = pd.DataFrame(
        {
            "var1": [names[k] for k in i],
            "var2": [names[k] for k in j],
            "observed": obs[i, j],
            "implied": imp[i, j],
            "residual": obs[i, j] - imp[i, j],
        }
    )
    order = table["residual"].abs().sort_values(ascending=False, kind="stable").index
    table = table.reindex(order).reset_index(drop=True)
    return table if top is None else table.head(top)


def fit_basis(result: OrdinalCFAResult) -> FitBasis:
    """Which indices a verdict should read: ``robust`` when available, else ``scaled``."""
    f = result.fit
    if np.isfinite(f.get("cfi.robust", np.nan)) and np.isfinite(f.get("rmsea.robust", np.nan)):
        return "robust"
    if "cfi.scaled" in f:
        return "scaled"
    return "standard"


def report_fit(result: OrdinalCFAResult) -> dict[str, Any]:
    """The contract fit keys (``workbench.sem.model.FIT_KEYS``) of an ordinal CFA.

    ``chi2``, ``df``, ``p``: the scaled-shifted (or mean-and-variance adjusted) test when
    there is one, else the standard one; ``cfi``, ``tli``, ``rmsea`` and its 90% interval:
    the robust indices (Savalei 2021) when available, else the scaled ones (else the plain
    ones); ``srmr`` as lavaan; ``aic`` and ``bic`` are NaN (no likelihood); ``n``.
    """
    f = result.fit
    basis = fit_basis(result)
    scaled = "chisq.scaled" in f
    suffix = "" if basis == "standard" else f".{basis}"
    out = {
        "chi2": f["chisq.scaled"] if scaled else f["chisq"],
        "df": f["df.scaled"] if scaled else f["df"],
        "p": f["pvalue.scaled"] if scaled else f["pvalue"],
        "cfi": f[f"cfi{suffix}"],
        "tli": f[f"tli{suffix}"],
        "rmsea": f[f"rmsea{suffix}"],
        "rmsea_ci_low": f[f"rmsea.ci.lower{suffix}"],
        "rmsea_ci_high": f[f"rmsea.ci.upper{suffix}"],
        "srmr": f["srmr"],
        "aic": np.nan,
        "bic": np.nan,
        "n": result.n,
    }
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class OrdinalCFAView:
    """An :class:`~workbench.sem.ordinal.OrdinalCFAResult` with the methods a study calls on
    an :class:`~workbench.sem.model.SEMResult` (see the module's docstring).

    Attributes
    ----------
    result : OrdinalCFAResult
        The ordinal fit, for drill-down (``fit`` there has lavaan's names).
    """

    result: OrdinalCFAResult

    missing: str = "listwise"
    modification_indices_available: bool = True

    @property
    def fit(self) -> dict[str, Any]:
        """The contract fit keys (:func:`report_fit`)."""
        return report_fit(self.result)

    @property
    def fit_basis(self) -> FitBasis:
        return fit_basis(self.result)

    @property
    def estimator(self) -> str:
        return self.result.estimator

    @property
    def estimates(self) -> pd.DataFrame:
        return self.result.estimates

    @property
    def std_loadings(self) -> dict[str, float]:
        return self.result.std_loadings

    @property
    def constructs(self) -> dict[str, list[str]]:
        return self.result.constructs

    @property
    def n(self) -> int:
        return self.result.n

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self.result.warnings)

    def composite_reliability(self) -> pd.Series:
        return ordinal_composite_reliability(self.result)

    def ave(self) -> pd.Series:
        return ordinal_ave(self.result)

    def htmt(self) -> pd.DataFrame:
        return ordinal_htmt(self.result)

    def fornell_larcker(self) -> pd.DataFrame:
        return ordinal_fornell_larcker(self.result)

    def residual_correlations(self, *, top: int | None = 10) -> pd.DataFrame:
        return ordinal_residual_correlations(self.result, top=top)

    def modification_indices(self, *, top: int | None = 10) -> pd.DataFrame:
        """Largest modification indices under the ordinal estimator (lavaan ``modindices()``;
        see :func:`~workbench.sem.ordinal_modindices.ordinal_modification_indices`)."""
        return ordinal_modification_indices(self.result, top=top)
