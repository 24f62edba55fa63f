"""Assessment of an estimated PLS path model: reliability, validity, collinearity, f², fit.

Each function takes a :class:`~workbench.pls.PLSResult` and returns a tidy DataFrame; the
result object has a method of the same name. Everything is computed from the indicator
correlation matrix and the estimates the result carries, in seminr's conventions (named in each
docstring), so a researcher can put the numbers next to seminr's ``summary()`` or SmartPLS's
report. Measurement-model criteria follow Hair et al. (2022, ch. 4-5), structural-model
criteria ch. 6.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import linalg

from workbench.pls.estimation import PLSPlan, PLSResult, fit_correlation
from workbench.pls.specification import PLSModel

__all__ = [
    "check_redundancy",
    "cross_loadings",
    "f_squared",
    "fornell_larcker",
    "htmt",
    "htmt2",
    "implied_correlations",
    "inner_vif",
    "model_fit",
    "outer_vif",
    "redundancy_analysis",
    "reliability",
]


def _S(result: PLSResult) -> np.ndarray:
    return result.indicator_correlations.to_numpy()


# ----------------------------------------------------------------------------
# Reliability and convergent validity
# ----------------------------------------------------------------------------


def reliability(result: PLSResult) -> pd.DataFrame:
    """Internal consistency reliability and AVE of each construct.

    Returns
    -------
    pandas.DataFrame
        Indexed by construct: ``alpha`` (Cronbach's alpha of the standardized items),
        ``rho_a`` (Dijkstra-Henseler), ``rho_c`` (composite reliability), ``ave`` (average
        variance extracted). Single-item constructs get 1 for all four. Formative (Mode B)
        constructs get NaN: reliability and AVE do not apply to them (Hair et al. 2022,
        ch. 5; seminr prints numbers computed as if they were reflective).

    Notes
    -----
    .. math::

        \\alpha = \\frac{k}{k-1}\\Big(1 - \\frac{k}{\\mathbf 1' R_{jj} \\mathbf 1}\\Big),\\quad
        \\rho_A = (w'w)^2 \\frac{w'(S_{jj} - \\mathrm{diag}\\,S_{jj})w}
                               {w'(ww' - \\mathrm{diag}\\,ww')w},\\quad
        \\rho_C = \\frac{(\\sum\\lambda)^2}{(\\sum\\lambda)^2 + \\sum(1-\\lambda^2)},\\quad
        AVE = \\frac{1}{k}\\sum\\lambda^2

    with ``R_jj`` the items' correlation matrix, ``w`` the outer weights (unit-variance
    composite) and ``lambda`` the outer loadings (PLSc's consistent loadings under
    ``estimator="plsc"``).

    References
    ----------
    Cronbach (1951); Dijkstra & Henseler (2015), *MIS Quarterly* 39(2), 297-316; Fornell &
    Larcker (1981), *JMR* 18(1), 39-50. R: ``summary(seminr_model)$reliability`` (seminr 2.3:
    ``alpha``, ``rhoC``, ``AVE``, ``rhoA``).
    """
    S = _S(result)
    plan, core = result.plan, result.core
    rows = []
    for j, idx in enumerate(plan.blocks):
        k = len(idx)
        if plan.mode_b[j]:
            rows.append((math.nan, math.nan, math.nan, math.nan))
            continue
        if k == 1:
            rows.append((1.0, 1.0, 1.0, 1.0))
            continue
        total = float(S[np.ix_(idx, idx)].sum())
        alpha = k / (k - 1) * (1.0 - k / total)
        lam = core.loadings[idx]
        s = float(lam.sum())
        rho_c = s**2 / (s**2 + float((1.0 - lam**2).sum()))
        rows.append((alpha, float(core.rho_a[j]), rho_c, float(np.mean(lam**2))))
    return pd.DataFrame(
        rows, index=list(plan.constructs), columns=["alpha", "rho_a", "rho_c", "ave"]
    )


# ----------------------------------------------------------------------------
# Discriminant validity
# ----------------------------------------------------------------------------


def fornell_larcker(result: PLSResult) -> pd.DataFrame:
    """The Fornell-Larcker table: construct correlations below the diagonal, sqrt(AVE) on it.

    Discriminant validity holds for a construct when its sqrt(AVE) exceeds its correlations
    with the other constructs (Fornell & Larcker 1981). The correlations are those the paths are
    estimated from (composite-score correlations under PLS, disattenuated under PLSc). Cells
    above the diagonal are NaN, as in seminr's ``summary(model)$validity$fl_criteria``.
    """
    R = result.construct_correlations.to_numpy().copy()
    ave = reliability(result)["ave"].to_numpy()
    R[np.triu_indices_from(R, k=1)] = np.nan
    np.fill_diagonal(R, np.sqrt(ave))
    names = list(result.plan.constructs)
    return pd.DataFrame(R, index=names, columns=names)


def cross_loadings(result: PLSResult) -> pd.DataFrame:
    """Correlations of every item (rows) with every composite score (columns).

    Each item should load highest on its own construct (Hair et al. 2022, ch. 4). seminr:
    ``summary(model)$validity$cross_loadings``.
    """
    plan = result.plan
    return pd.DataFrame(
        result.core.cross_loadings, index=list(plan.items), columns=list(plan.constructs)
    )


def htmt(result: PLSResult) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations (HTMT) of every pair of constructs.

    Returns
    -------
    pandas.DataFrame
        Symmetric, constructs in rows and columns, NaN on the diagonal.

    Notes
    -----
    With absolute item correlations (as seminr),

    .. math::

        HTMT_{ij} = \\frac{\\overline{|r|}_{\\text{between } i, j}}
                         {\\sqrt{\\overline{|r|}_{\\text{within } i}\\;
                                 \\overline{|r|}_{\\text{within } j}}}

    the mean heterotrait-heteromethod correlation over the geometric mean of the two mean
    monotrait-heteromethod correlations; a single-item construct's monotrait mean is 1 (as in
    seminr). Values above 0.85-0.90 signal a lack of discriminant validity. HTMT is meant for
    reflective constructs; like seminr it is given for every construct.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
    discriminant validity in variance-based structural equation modeling. *JAMS*, 43(1),
    115-135. R: ``summary(seminr_model)$validity$htmt``.
    """
    return _htmt(result, geometric=False)


def htmt2(result: PLSResult) -> pd.DataFrame:
    """HTMT2: HTMT with geometric instead of arithmetic means (Roemer et al. 2021).

    .. math::

        HTMT2_{ij} = \\frac{\\big(\\prod |r|_{\\text{between}}\\big)^{1/(K_iK_j)}}
            {\\sqrt{\\big(\\prod_{g<h} |r|_{\\text{within } i}\\big)^{2/(K_i(K_i-1))}
                    \\big(\\prod_{g<h} |r|_{\\text{within } j}\\big)^{2/(K_j(K_j-1))}}}

    It stays consistent for congeneric (unequal-loading) measures, where HTMT is biased.
    Absolute correlations are used as in :func:`htmt` (Roemer et al. assume positive ones); a
    zero correlation makes the geometric mean 0.

    References
    ----------
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for
    assessing discriminant validity in structural equation modeling. *Industrial Management &
    Data Systems*, 121(12), 2637-2650. R: ``cSEM::calculateHTMT(..., .type_htmt = "htmt2")``.
    """
    return _htmt(result, geometric=True)


def _htmt(result: PLSResult, *, geometric: bool) -> pd.DataFrame:
    A = np.abs(_S(result))
    plan = result.plan
    m = len(plan.constructs)

    def mean(values: np.ndarray) -> float:
        if not geometric:
            return float(values.mean())
        with np.errstate(divide="ignore"):
            return float(np.exp(np.log(values).mean()))

    mono = np.ones(m)
    for j, idx in enumerate(plan.blocks):
        if len(idx) > 1:
            block = A[np.ix_(idx, idx)]
            mono[j] = mean(block[np.triu_indices(len(idx), k=1)])
    out = np.full((m, m), np.nan)
    for i in range(m):
        for j in range(i + 1, m):
            hetero = mean(A[np.ix_(plan.blocks[i], plan.blocks[j])].ravel())
            out[i, j] = out[j, i] = hetero / math.sqrt(mono[i] * mono[j])
    names = list(plan.constructs)
    return pd.DataFrame(out, index=names, columns=names)


# ----------------------------------------------------------------------------
# Collinearity
# ----------------------------------------------------------------------------


def outer_vif(result: PLSResult) -> pd.DataFrame:
    """Variance inflation factor of each item among the items of its construct.

    The collinearity check of formative (Mode B) indicators (Hair et al. 2022, ch. 5: VIF
    above 5, better 3, is critical); given for every construct, as seminr's
    ``summary(model)$validity$vif_items``, with ``mode`` to filter on. ``VIF_k`` is the
    ``k``-th diagonal element of ``R_jj^{-1}``; NaN for single-item constructs.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``construct``, ``item``, ``mode``, ``vif``.
    """
    S = _S(result)
    plan = result.plan
    modes = result.specification.modes
    rows = []
    for j, c in enumerate(plan.constructs):
        idx = plan.blocks[j]
        vifs = np.diag(np.linalg.inv(S[np.ix_(idx, idx)])) if len(idx) > 1 else [math.nan]
        rows += [(c, plan.items[i], modes[c], float(v)) for i, v in zip(idx, vifs, strict=True)]
    return pd.DataFrame(rows, columns=["construct", "item", "mode", "vif"])


def inner_vif(result: PLSResult) -> pd.DataFrame:
    """Variance inflation factor of the predictors of each endogenous construct.

    ``VIF`` of predictor ``k`` of construct ``j``: the ``k``-th diagonal element of the
    inverse correlation matrix of ``j``'s predictors (the correlations the paths come from).
    NaN when a construct has a single predictor (as seminr's ``vif_antecedents``).

    Returns
    -------
    pandas.DataFrame
        One row per path, indexed ``"source->target"``: ``source``, ``target``, ``vif``.
    """
    R = result.construct_correlations.to_numpy()
    plan = result.plan
    names = plan.constructs
    rows, index = [], []
    for j in plan.endogenous:
        P = plan.predecessors[j]
        vifs = np.diag(np.linalg.inv(R[np.ix_(P, P)])) if len(P) > 1 else [math.nan]
        for s, v in zip(P, vifs, strict=True):
            rows.append((names[s], names[j], float(v)))
            index.append(f"{names[s]}->{names[j]}")
    return pd.DataFrame(rows, index=index, columns=["source", "target", "vif"])


# ----------------------------------------------------------------------------
# Effect sizes
# ----------------------------------------------------------------------------


def f_squared(result: PLSResult) -> pd.DataFrame:
    """Cohen's f² of every path, by re-estimating the model without it (as seminr).

    .. math::

        f^2 = \\frac{R^2_{\\text{included}} - R^2_{\\text{excluded}}}{1 - R^2_{\\text{included}}}

    ``R²_excluded`` is the target's R² when the model (weights included) is re-estimated with
    the same settings and data but without the path; constructs left without any path are
    dropped, and a target left without predictors has ``R²_excluded = 0``. 0.02, 0.15 and 0.35
    are small, medium and large (Cohen 1988).

    Returns
    -------
    pandas.DataFrame
        Indexed ``"source->target"``: ``source``, ``target``, ``r2_included``,
        ``r2_excluded``, ``f2``.

    References
    ----------
    Cohen, J. (1988). *Statistical power analysis for the behavioral sciences* (2nd ed.).
    Hair et al. (2022), ch. 6. R: ``summary(seminr_model)$fSquare``.
    """
    S = _S(result)
    spec, plan = result.specification, result.plan
    position = {item: i for i, item in enumerate(plan.items)}
    rows = []
    for source, target in spec.paths:
        included = float(result.r2.loc[target, "r2"])
        reduced = spec.without_path(source, target)
        excluded = 0.0
        if target in reduced.endogenous:
            sub = PLSPlan.from_model(reduced) if reduced.paths else None
            if sub is not None:
                idx = np.array([position[i] for i in sub.items])
                core = fit_correlation(
                    S[np.ix_(idx, idx)],
                    sub,
                    estimator=result.estimator,
                    inner_weighting=result.inner_weighting,
                    max_iter=result.max_iter,
                    tol=result.tol,
                )
                excluded = float(core.r2[sub.constructs.index(target)])
        rows.append((source, target, included, excluded, (included - excluded) / (1.0 - included)))
    return pd.DataFrame(
        rows,
        index=[f"{s}->{t}" for s, t in spec.paths],
        columns=["source", "target", "r2_included", "r2_excluded", "f2"],
    )


# ----------------------------------------------------------------------------
# Model fit
# ----------------------------------------------------------------------------


def model_fit(result: PLSResult) -> pd.DataFrame:
    """SRMR, d_ULS and d_G of the saturated and the estimated model, as SmartPLS reports them.

    Returns
    -------
    pandas.DataFrame
        Rows ``srmr``, ``d_uls``, ``d_g``; columns ``saturated`` (construct correlations
        free) and ``estimated`` (construct correlations implied by the structural model).

    Notes
    -----
    The model-implied indicator correlation matrix ``Sigma`` is that of the composite model
    (Dijkstra & Henseler 2015; SmartPLS's choice for PLS): for constructs estimated as
    composites (every construct under ``pls``, Mode B constructs under ``plsc``) the
    within-block correlations are left free (``Sigma_jj = S_jj``); for constructs PLSc
    corrects, the common-factor model holds within the block (``Sigma_jj = lambda_j
    lambda_j'`` with unit diagonal). Between blocks ``Sigma_jk = a_j phi_jk a_k'``, where
    ``a_j = S_jj w_j`` (= the loadings) for composites and the consistent loadings for
    factors, and ``phi`` is the construct correlation matrix: as estimated (saturated model)
    or implied by the recursive structural model with uncorrelated disturbances scaled to unit
    construct variances (estimated model). Then

    .. math::

        SRMR = \\sqrt{\\frac{\\sum_{i \\le j} (s_{ij} - \\sigma_{ij})^2}{p(p+1)/2}},\\quad
        d_{ULS} = \\tfrac12 \\sum_{i,j} (s_{ij} - \\sigma_{ij})^2,\\quad
        d_G = \\tfrac12 \\sum_k (\\log \\varphi_k)^2

    with ``varphi_k`` the eigenvalues of ``S^{-1} Sigma`` (NaN when ``Sigma`` is not positive
    definite).

    Caveat: programs differ in the implied matrix (SmartPLS 3/4 use this composite model for
    PLS and the factor model for PLSc; cSEM and ADANCO offer both), so compare SRMR only within
    one convention. The usual cut-off (SRMR < 0.08) comes from covariance-based SEM and is not
    validated for PLS; d_ULS and d_G are meant for a bootstrap test of exact fit, not for
    cut-offs.

    References
    ----------
    Henseler, J., Dijkstra, T. K., Sarstedt, M., et al. (2014). Common beliefs and reality about
    PLS. *Organizational Research Methods*, 17(2), 182-209. Dijkstra & Henseler (2015),
    *Computational Statistics & Data Analysis*, 81, 10-23 (d_ULS, d_G). Hu & Bentler (1998)
    (SRMR).
    """
    S = _S(result)
    saturated = _fit_indices(S, implied_correlations(result, "saturated"))
    estimated = _fit_indices(S, implied_correlations(result, "estimated"))
    return pd.DataFrame(
        {"saturated": saturated, "estimated": estimated}, index=["srmr", "d_uls", "d_g"]
    )


def implied_correlations(result: PLSResult, model: str = "saturated") -> pd.DataFrame:
    """The model-implied indicator correlation matrix used by :func:`model_fit`.

    ``model="saturated"`` uses the estimated construct correlations, ``"estimated"`` those
    implied by the structural model. See :func:`model_fit` for the definition.
    """
    if model not in ("saturated", "estimated"):
        raise ValueError(
            f"model={model!r} is not valid: model must be one of ['saturated', 'estimated']"
        )
    S = _S(result)
    plan, core = result.plan, result.core
    phi = core.construct_correlations if model == "saturated" else _implied_constructs(result)
    L = plan.membership * core.loadings[:, None]
    sigma = L @ phi @ L.T
    factor = plan.reflective & (result.estimator == "plsc")
    for j, idx in enumerate(plan.blocks):
        if not factor[j]:
            sigma[np.ix_(idx, idx)] = S[np.ix_(idx, idx)]
    np.fill_diagonal(sigma, 1.0)
    return pd.DataFrame(sigma, index=list(plan.items), columns=list(plan.items))


def _implied_constructs(result: PLSResult) -> np.ndarray:
    """Construct correlations implied by the recursive structural model (unit variances)."""
    plan, core = result.plan, result.core
    R, B = core.construct_correlations, core.path_matrix
    m = len(plan.constructs)
    endogenous = set(plan.endogenous.tolist())
    done = [j for j in range(m) if j not in endogenous]
    phi = np.zeros((m, m))
    phi[np.ix_(done, done)] = R[np.ix_(done, done)]
    pending = [j for j in range(m) if j in endogenous]
    while pending:
        for t in pending:
            P = plan.predecessors[t]
            if all(p in done for p in P):
                b = B[P, t]
                for k in done:
                    phi[t, k] = phi[k, t] = float(b @ phi[P, k])
                phi[t, t] = 1.0
                done.append(t)
                pending.remove(t)
                break
    return phi


def _fit_indices(S: np.ndarray, sigma: pd.DataFrame) -> list[float]:
    implied = sigma.to_numpy()
    residual = S - implied
    lower = np.tril_indices_from(S)
    srmr = math.sqrt(float(np.mean(residual[lower] ** 2)))
    d_uls = 0.5 * float(np.sum(residual**2))
    try:
        np.linalg.cholesky(implied)
        eig = linalg.eigvalsh(implied, S)  # eigenvalues of S^-1 Sigma
        d_g = 0.5 * float(np.sum(np.log(eig) ** 2))
    except (np.linalg.LinAlgError, linalg.LinAlgError):
        d_g = math.nan
    return [srmr, d_uls, d_g]


# ----------------------------------------------------------------------------
# Convergent validity of formative constructs
# ----------------------------------------------------------------------------


def redundancy_analysis(
    result: PLSResult, data: pd.DataFrame, construct: str, global_item: str
) -> dict[str, float | str]:
    """Redundancy analysis of a formative construct against a global single-item measure.

    The formative construct (its items, Mode B, as in ``result``) predicts a single-item
    construct measured by ``global_item``, a question that asks for the construct as a whole
    (e.g. "Please assess the overall quality of the company"). A path of at least 0.708 (so
    that the construct explains at least half of the global item's variance) supports
    convergent validity (Chin 1998; Hair et al. 2022, ch. 5).

    Parameters
    ----------
    result : PLSResult
        The estimated model; its missing-data treatment and inner weighting are reused.
    data : pandas.DataFrame
        The data the model was estimated from, with the global item as a column.
    construct : str
        A formative construct of the model.
    global_item : str
        The column holding the global single-item measure.

    Returns
    -------
    dict
        ``construct``, ``global_item``, ``path`` (the standardized path, the correlation of
        the composite with the global item), ``r2`` and ``n``.

    Raises
    ------
    InputError
        ``construct`` is not a formative construct of the model, or ``global_item`` is not a
        column of ``data``.

    References
    ----------
    Chin, W. W. (1998). The partial least squares approach to structural equation modeling.
    In G. A. Marcoulides (Ed.), *Modern methods for business research* (pp. 295-336).
    Erlbaum. Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on
    partial least squares structural equation modeling* (3rd ed.), ch. 5. SmartPLS: a separate
    two-construct model; seminr: ``estimate_pls`` on that model.
    """
    from workbench.pls.estimation import estimate_pls

    spec = result.specification
    check_redundancy(spec, data.columns, construct, global_item)
    target = f"{construct}__global"
    syntax = (
        f"{construct} <~ {' + '.join(spec.items[construct])}\n"
        f"{target} =~ {global_item}\n{target} ~ {construct}"
    )
    fit = estimate_pls(
        data,
        syntax,
        inner_weighting=result.inner_weighting,
        missing=result.data.missing,  # type: ignore[arg-type]
    )
    path = float(fit.paths["estimate"].iloc[0])
    return {
        "construct": construct,
        "global_item": global_item,
        "path": path,
        "r2": float(fit.r2.loc[target, "r2"]),
        "n": fit.n,
    }


def check_redundancy(
    spec: PLSModel,
    columns: Iterable[str],
    construct: str,
    global_item: str,
    *,
    file: str | None = None,
) -> None:
    """Raise :class:`~workbench.errors.InputError` unless a redundancy analysis of
    ``construct`` against ``global_item`` can be run: the construct must be a formative
    construct of ``spec`` and the global item a column of the data (checked before any fit).
    """
    from workbench.errors import InputError

    if construct not in spec.constructs or spec.measurement[construct] == "reflective":
        formative = [c for c in spec.constructs if spec.measurement[c] != "reflective"]
        raise InputError(
            f"Redundancy analysis needs a formative construct of the model; '{construct}' is "
            "not one.",
            hint=f"'{construct}' is not a formative construct here; formative constructs of "
            "this model: " + (", ".join(formative) or "none") + ".",
        )
    if global_item not in {str(c) for c in columns}:
        raise InputError(
            f"The global item '{global_item}' for the redundancy analysis of '{construct}' is "
            "not a column of the data.",
            file=file,
            column=global_item,
            hint="Name the column holding the single question about the construct as a whole.",
        )
