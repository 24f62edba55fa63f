"""Modification indices of an ordinal CFA fitted by WLSMV (DWLS), as lavaan's ``modindices()``.

:func:`ordinal_modification_indices` gives the score test (Lagrange multiplier) for every
cross-loading and every residual covariance of the latent responses that an
:class:`~workbench.sem.ordinal.OrdinalCFAResult` leaves out, with the expected parameter
change and its standardized version, in the columns of
:func:`workbench.sem.model.modification_indices` (the ML/FIML table of the studies).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from workbench.sem.ordinal import OrdinalCFAResult, _cfa_model, _LisrelModel, _Param
from workbench.sem.ordinal_sem import _build, _parse, _variables

__all__ = ["ordinal_modification_indices"]

_COLUMNS = ["lhs", "op", "rhs", "mi", "epc", "sepc_all", "p"]
_V_TOL = math.sqrt(np.finfo(float).eps)  # lavaan: V below sqrt(eps) gives no index


def _refit_model(result: OrdinalCFAResult) -> tuple[_LisrelModel, np.ndarray]:
    """The fitted model's parameter table, and its free parameters at the estimates."""
    est = result.estimates
    loadings = est[est["op"] == "=~"]
    if result.parameterization == "theta":
        spec = _parse(result.syntax)
        items, factors = _variables(spec)
        model = _build(spec, result.sample_stats, items, factors, True).model
    else:
        std_lv = bool(loadings["free"].all())
        model = _cfa_model(result.constructs, result.sample_stats, std_lv=std_lv)
    value = {
        (a, o, b): v
        for a, o, b, v in zip(est["lhs"], est["op"], est["rhs"], est["estimate"], strict=True)
    }
    x = np.array([value[(q.lhs, q.op, q.rhs)] for q in model.free], dtype=float)
    return model, x


def _candidates(model: _LisrelModel, result: OrdinalCFAResult) -> list[_Param]:
    """lavaan's candidates for a CFA: each factor on each item it does not load on (factors
    and items in model order), then each pair of items' residual covariance."""
    taken = {(q.row, q.col) for q in model.params if q.kind == "lambda"}
    pos = {it: i for i, it in enumerate(model.items)}
    items = [it for its in result.constructs.values() for it in its]
    out: list[_Param] = []
    k = model.npar
    for g, f in enumerate(model.factors):
        for it in items:
            if (pos[it], g) not in taken:
                out.append(_Param(f, "=~", it, "lambda", pos[it], g, k, 0.0))
                k += 1
    for a, first in enumerate(items):
        for second in items[a + 1 :]:
            i, j = sorted((pos[first], pos[second]))
            out.append(_Param(first, "~~", second, "theta", i, j, k, 0.0))
            k += 1
    return out


def ordinal_modification_indices(result: OrdinalCFAResult, *, top: int | None = 10) -> pd.DataFrame:
    """Score-test modification indices of an ordinal CFA (WLSMV, DWLS, ULSMV or ULS).

    Parameters
    ----------
    result : OrdinalCFAResult
        A fit of :func:`~workbench.sem.ordinal.fit_ordinal_cfa` (delta or theta
        parameterization: the same indices, other EPCs).
    top : int or None, default 10
        Number of rows, largest index first (None: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, mi, epc, sepc_all, p`` as
        :func:`workbench.sem.model.modification_indices`: the expected drop of the
        (unscaled) chi-square if the parameter were freed, the expected parameter change,
        its standardized (``std.all``) version and the 1-df chi-square p-value of ``mi``.
        Candidates: every cross-loading (``factor =~ item`` not in the model) and every
        residual covariance of two items' latent responses (``item ~~ item``).

    Notes
    -----
    The candidates join the model fixed at zero. With :math:`\\Delta` the derivatives of
    the implied thresholds and polychoric correlations with respect to the free (1) and
    candidate (2) parameters at the estimates, :math:`W` the estimator's weight
    (:math:`\\mathrm{diag}(\\Gamma)^{-1}` for WLSMV and DWLS, :math:`I` for ULSMV and ULS), the
    expected information :math:`I = \\Delta' W \\Delta` (lavaan's ``modindices()`` always
    uses the expected information; for DWLS it is also the fit's
    ``information = "expected"``), the residuals :math:`r = s - \\sigma(\\hat\\theta)` and
    the score :math:`g = \\Delta_2' W r`:

    .. math:: V = \\mathrm{diag}(I_{22} - I_{21} I_{11}^{-1} I_{12}), \\quad
              MI = N c^2 g^2 / V, \\quad EPC = c\\, g / V, \\quad c = (N - 1)/N.

    This is lavaan's :math:`N g_\\ell^2 / V` and :math:`-g_\\ell / V` with the gradient
    :math:`g_\\ell = -c\\,\\Delta_2' W r` of its objective :math:`F_\\ell = c F / 2`, while
    its expected information for DWLS is :math:`\\Delta' W \\Delta` without the factor
    :math:`c` (checked: without :math:`c` every index differs from lavaan's by exactly
    :math:`N/(N-1)`). Standardized: ``sepc_all`` is
    :math:`EPC \\sqrt{\\psi_{ff}} / \\mathrm{SD}(y^*_i)` for a loading and
    :math:`EPC / \\sqrt{\\theta_{ii}\\theta_{jj}}` for a residual covariance, with
    :math:`\\mathrm{SD}(y^*_i) = 1` and :math:`\\theta_{ii} = 1 -` the communality in the
    delta parameterization, :math:`\\theta_{ii} = 1` in the theta one (where
    :math:`\\Delta` is that of the standardized thresholds and correlations, so the
    indices are the same). Indices whose :math:`V` is below
    :math:`\\sqrt{\\epsilon}` are left out (as lavaan's NA).

    The index is a score test against the unscaled DWLS statistic: lavaan offers no robust
    version for WLSMV, so compare it with the unscaled chi-square differences, and read it
    as a pointer, not a test.

    References
    ----------
    Sörbom, D. (1989). Model modification. *Psychometrika*, 54(3), 371-384.

    Saris, W. E., Satorra, A., & Sörbom, D. (1987). The detection and correction of
    specification errors in structural equation models. *Sociological Methodology*, 17,
    105-129.

    R: ``lavaan::modindices(cfa(model, data, ordered = TRUE, estimator = "WLSMV"))``
    (lavaan 0.6-14); tested in tests/test_sem_ordinal_modindices.py against
    tests/reference/lavaan_wlsmv_modindices.R.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal import fit_ordinal_cfa
    >>> from workbench.sem.ordinal_modindices import ordinal_modification_indices
    >>> hs = pd.read_csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
    >>> hs3 = hs[hs["categories"] == 3].drop(columns="categories")
    >>> res = fit_ordinal_cfa(hs3, {"visual": ["x1", "x2", "x3"],
    ...                             "textual": ["x4", "x5", "x6"],
    ...                             "speed": ["x7", "x8", "x9"]})
    >>> mi = ordinal_modification_indices(res, top=1)
    >>> mi[["lhs", "op", "rhs"]].values.tolist(), round(float(mi["mi"].iloc[0]), 2)
    ([['visual', '=~', 'x9']], 26.44)
    """
    model, x = _refit_model(result)
    cands = _candidates(model, result)
    if not cands:
        return pd.DataFrame(columns=_COLUMNS)
    internals = result.sample_stats._internals
    s = internals.s
    uls = result.estimator in ("ULSMV", "ULS")
    w = np.ones_like(s) if uls else 1.0 / np.diag(internals.gamma)
    theta = result.parameterization == "theta"
    kwargs = {"th_item": internals.th_item} if theta else {"var_item": internals.var_item}
    ext = type(model)(
        model.items,
        model.factors,
        [*model.params, *cands],
        internals.n_th,
        internals.pair_i,
        internals.pair_j,
        **kwargs,
    )
    x_ext = np.concatenate([x, np.zeros(len(cands))])
    delta = ext.jacobian(x_ext)
    resid = s - ext.moments(x_ext)
    q = model.npar
    info = delta.T @ (delta * w[:, None])
    i11, i12, i22 = info[:q, :q], info[:q, q:], info[q:, q:]
    v = np.diag(i22) - np.einsum("ij,ij->j", i12, np.linalg.solve(i11, i12))
    g = delta[:, q:].T @ (w * resid)
    ok = v > _V_TOL
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = (result.n - 1) / result.n  # in lavaan's gradient, not in its information
        mi = np.where(ok, result.n * (shrink * g) ** 2 / v, np.nan)
        epc = np.where(ok, shrink * g / v, np.nan)
    mx = model.matrices(x)
    phi = mx["phi"]
    lam = mx["lambda"]
    common = np.einsum("if,fg,ig->i", lam, phi, lam)
    resvar = np.diag(mx["theta"]).copy() if theta else 1.0 - common
    sd_y = np.sqrt(common + resvar) if theta else np.ones(model.p)
    if not theta and model.n_var:  # continuous items: free residual variances, own scale
        num = model.var_item
        resvar[num] = np.diag(mx["theta"])[num]
        sd_y[num] = np.sqrt(common[num] + resvar[num])
    sepc = []
    for c, e in zip(cands, epc, strict=True):
        if c.kind == "lambda":
            sd_f = math.sqrt(phi[c.col, c.col]) if phi[c.col, c.col] > 0 else np.nan
            sepc.append(e * sd_f / sd_y[c.row])
        else:
            tii, tjj = resvar[c.row], resvar[c.col]
            sepc.append(e / math.sqrt(tii * tjj) if tii > 0 and tjj > 0 else np.nan)
    table = pd.DataFrame(
        {
            "lhs": [c.lhs for c in cands],
            "op": [c.op for c in cands],
            "rhs": [c.rhs for c in cands],
            "mi": mi,
            "epc": epc,
            "sepc_all": sepc,
            "p": stats.chi2.sf(mi, 1),
        }
    )
    table = table.dropna(subset=["mi"]).sort_values("mi", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    return table if top is None else table.head(top)
