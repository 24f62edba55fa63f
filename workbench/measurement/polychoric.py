"""Polychoric correlations of ordered categorical items, matching R ``psych::polychoric``.

A polychoric correlation is the correlation of two standard normal latent variables that,
cut at fixed thresholds, produce the observed ordered categories. We estimate it as psych
does, in two steps: thresholds from each item's marginal proportions, then for each pair
the ``rho`` that maximizes the bivariate-normal likelihood of the pair's contingency table
with the thresholds held fixed.

The bivariate normal rectangle probabilities are computed for all pairs and cells at once
with a vectorized port of Genz's (2004) ``BVNU`` algorithm (20-point Gauss-Legendre), and
``rho`` is found for all pairs at once by a safeguarded Newton iteration on the score.
The 25 bfi items (2800 respondents) take 0.05 to 0.3 s depending on load (psych: 3 to 14 s).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from workbench.errors import InputError
from workbench.results import Result, jsonable

__all__ = [
    "PolychoricPair",
    "PolychoricResult",
    "bivariate_normal_cdf",
    "polychoric",
    "polychoric_from_tables",
    "polychoric_matrix",
]

_MISSING = ("pairwise", "listwise")
_THRESHOLDS = ("global", "pairwise")
_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_TWO_PI = 2.0 * math.pi
_RHO_BOUND = 1.0 - 1e-9  # rho is searched on [-_RHO_BOUND, _RHO_BOUND]
_TOL = 1e-10  # convergence of rho
_MAX_ITER = 100
_NEAR_ONE = 0.999  # warn above this |rho|


# ---------------------------------------------------------------------------
# Bivariate normal CDF (vectorized)
# ---------------------------------------------------------------------------
def _bvn_upper(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for finite 1-d arrays, standard bivariate normal with correlation r.

    Genz (2004), algorithm BVNU, with the 20-point Gauss-Legendre rule everywhere.
    """
    out = np.empty(h.shape)
    near = np.abs(r) >= 0.925
    far = ~near
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        if far.any():
            hf, kf, rf = h[far], k[far], r[far]
            hk = hf * kf
            hs = (hf * hf + kf * kf) / 2.0
            asr = np.arcsin(rf)
            sn = np.sin(asr[:, None] * (_GL_X + 1.0) / 2.0)
            terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn)) @ _GL_W
            out[far] = terms * asr / (4.0 * math.pi) + ndtr(-hf) * ndtr(-kf)
        if near.any():
            hn, kn, rn = h[near], k[near].copy(), r[near]
            neg = rn < 0
            kn[neg] = -kn[neg]
            hk = hn * kn
            inner = np.abs(rn) < 1.0
            as_ = np.where(inner, (1.0 - rn) * (1.0 + rn), 1.0)
            a = np.sqrt(as_)
            bs = (hn - kn) ** 2
            c = (4.0 - hk) / 8.0
            d = (12.0 - hk) / 16.0
            asr = -(bs / as_ + hk) / 2.0
            bvn = np.where(
                asr > -100.0,
                a * np.exp(asr) * (1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0)
                + a * np.exp(asr) * c * d * as_ * as_ / 5.0,
                0.0,
            )
            b = np.sqrt(bs)
            bvn = bvn - np.where(
                hk > -100.0,
                np.exp(-hk / 2.0)
                * math.sqrt(_TWO_PI)
                * ndtr(-b / a)
                * b
                * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0),
                0.0,
            )
            a2 = a / 2.0
            xs = (a2[:, None] * (_GL_X + 1.0)) ** 2
            rs = np.sqrt(1.0 - xs)
            asr2 = -(bs[:, None] / xs + hk[:, None]) / 2.0
            integrand = np.where(
                asr2 > -100.0,
                np.exp(asr2)
                * (
                    np.exp(-hk[:, None] * xs / (2.0 * (1.0 + rs) ** 2)) / rs
                    - (1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs))
                ),
                0.0,
            )
            bvn = bvn + a2 * (integrand @ _GL_W)
            bvn = np.where(inner, -bvn / _TWO_PI, 0.0)
            pos = ~neg
            res = np.empty(hn.shape)
            res[pos] = bvn[pos] + ndtr(-np.maximum(hn[pos], kn[pos]))
            res[neg] = -bvn[neg] + np.where(kn[neg] > hn[neg], ndtr(kn[neg]) - ndtr(hn[neg]), 0.0)
            out[near] = res
    return np.clip(out, 0.0, 1.0)


def bivariate_normal_cdf(a: Any, b: Any, rho: Any) -> np.ndarray:
    """Standard bivariate normal CDF ``P(X <= a, Y <= b)`` with correlation ``rho``, vectorized.

    Parameters
    ----------
    a, b : array_like
        Upper limits; ``-inf`` and ``+inf`` are allowed.
    rho : array_like
        Correlations in ``[-1, 1]``. ``a``, ``b`` and ``rho`` broadcast together.

    Returns
    -------
    numpy.ndarray
        The probabilities, with the broadcast shape.

    Notes
    -----
    Uses Drezner & Wesolowsky's (1990) formula as refined by Genz (2004, algorithm ``BVNU``),
    with a 20-point Gauss-Legendre rule: for :math:`|\\rho| < 0.925`

    .. math:: \\Phi_2(a, b; \\rho) = \\Phi(a)\\Phi(b) + \\frac{1}{2\\pi}
              \\int_0^{\\arcsin\\rho} \\exp\\left(-\\frac{a^2 + b^2 - 2ab\\sin\\theta}
              {2\\cos^2\\theta}\\right) d\\theta,

    and for larger :math:`|\\rho|` Genz's series and integral in :math:`\\sqrt{1-\\rho^2}`.
    Absolute error is about 1e-15 (tests compare with ``scipy.stats.multivariate_normal``).
    Infinite limits use the margins: :math:`\\Phi_2(\\infty, b) = \\Phi(b)`.

    References
    ----------
    Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and
    t probabilities. *Statistics and Computing*, 14, 251-260. (R: ``mnormt::pmnorm`` and
    ``mvtnorm::pmvnorm`` use the same algorithm for two dimensions.)

    Drezner, Z., & Wesolowsky, G. O. (1990). On the computation of the bivariate normal
    integral. *Journal of Statistical Computation and Simulation*, 35, 101-107.

    Examples
    --------
    >>> from workbench.measurement.polychoric import bivariate_normal_cdf
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 6)  # 1/4 + asin(0.5)/(2 pi)
    0.333333
    """
    a_, b_, r_ = np.broadcast_arrays(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), np.asarray(rho, dtype=float)
    )
    shape = a_.shape
    a_, b_, r_ = a_.ravel(), b_.ravel(), r_.ravel()
    if np.any(np.abs(r_) > 1.0):
        raise ValueError("rho must be in [-1, 1]")
    out = np.zeros(a_.shape)
    finite = np.isfinite(a_) & np.isfinite(b_)
    if finite.any():
        out[finite] = _bvn_upper(-a_[finite], -b_[finite], r_[finite])
    a_inf = np.isposinf(a_)
    b_inf = np.isposinf(b_)
    out[a_inf & b_inf] = 1.0
    only_a = a_inf & np.isfinite(b_)
    out[only_a] = ndtr(b_[only_a])
    only_b = b_inf & np.isfinite(a_)
    out[only_b] = ndtr(a_[only_b])
    out[np.isnan(a_) | np.isnan(b_) | np.isnan(r_)] = np.nan
    return out.reshape(shape)


def _bvn_pdf(a: np.ndarray, b: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bivariate normal density (= dPhi2/drho) and its derivative in rho.

    Both are zero where ``a`` or ``b`` is infinite.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        one = 1.0 - r * r
        quad = a * a - 2.0 * r * a * b + b * b
        dens = np.exp(-quad / (2.0 * one)) / (_TWO_PI * np.sqrt(one))
        dlog = r / one + (a * b * one - r * quad) / (one * one)
        finite = np.isfinite(a) & np.isfinite(b)
        return np.where(finite, dens, 0.0), np.where(finite, dens * dlog, 0.0)


# ---------------------------------------------------------------------------
# Estimation for many pairs at once
# ---------------------------------------------------------------------------
def _cell_probs(
    rho: np.ndarray, row_cuts: np.ndarray, col_cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell probabilities and their first and second derivatives in rho, (pairs, K, K).

    ``row_cuts`` and ``col_cuts`` are (pairs, K + 1) with -inf first and +inf last.
    """
    m, k1 = row_cuts.shape
    a = np.broadcast_to(row_cuts[:, :, None], (m, k1, k1))
    b = np.broadcast_to(col_cuts[:, None, :], (m, k1, k1))
    r = np.broadcast_to(rho[:, None, None], (m, k1, k1))
    cdf = bivariate_normal_cdf(a, b, r)
    pdf, dpdf = _bvn_pdf(a, b, r)

    def cells(f: np.ndarray) -> np.ndarray:
        return f[:, 1:, 1:] - f[:, :-1, 1:] - f[:, 1:, :-1] + f[:, :-1, :-1]

    return cells(cdf), cells(pdf), cells(dpdf)


def _solve_rho(
    tabs: np.ndarray, row_cuts: np.ndarray, col_cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood rho for each table, thresholds fixed (psych's polyF objective).

    Safeguarded Newton on the score for all pairs at once (Numerical Recipes' ``rtsafe``):
    a bracket [lo, hi] on which the score changes sign is kept, and a bisection step
    replaces any Newton step that leaves it or does not halve the step before last. Where
    the observed information is not positive, the Fisher (expected) information is used.
    Cells with zero count contribute nothing; a rho at which a cell with answers has zero
    probability is treated as too extreme (psych's ``polyF`` instead skips such cells, which
    can create a spurious optimum near |rho| = 1). Returns rho and a converged flag.
    """
    m = tabs.shape[0]
    rho = np.zeros(m)
    lo = np.full(m, -_RHO_BOUND)
    hi = np.full(m, _RHO_BOUND)
    step_old = np.full(m, 2.0)
    active = np.ones(m, dtype=bool)
    for _ in range(_MAX_ITER):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        r = rho[idx]
        p, dp, d2p = _cell_probs(r, row_cuts[idx], col_cuts[idx])
        t = tabs[idx]
        observed = t > 0
        # A cell with answers but zero model probability: log-likelihood -inf, rho too extreme.
        impossible = np.any(observed & (p <= 0), axis=(1, 2))
        safe_p = np.where(observed & (p > 0), p, 1.0)
        ratio = np.where(observed, dp / safe_p, 0.0)
        score = (t * ratio).sum(axis=(1, 2))
        observed_info = (t * (ratio * ratio - np.where(observed, d2p / safe_p, 0.0))).sum(
            axis=(1, 2)
        )
        fisher_info = t.sum(axis=(1, 2)) * np.where(observed, dp * ratio, 0.0).sum(axis=(1, 2))
        info = np.where(observed_info > 0, observed_info, fisher_info)
        score = np.where(impossible, -np.sign(r), score)
        lo[idx] = np.where(score > 0, r, lo[idx])
        hi[idx] = np.where(score < 0, r, hi[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(impossible, np.nan, score / info)
        new = r + step
        bad = (
            ~np.isfinite(new)
            | (new <= lo[idx])
            | (new >= hi[idx])
            | (np.abs(step) > 0.5 * np.abs(step_old[idx]))
        )
        mid = (lo[idx] + hi[idx]) / 2.0
        new = np.where(bad, mid, new)
        step_old[idx] = np.where(bad, hi[idx] - lo[idx], step)
        done = (np.abs(new - r) < _TOL) | (score == 0) | (hi[idx] - lo[idx] < _TOL)
        rho[idx] = np.where(score == 0, r, new)
        active[idx[done]] = False
    return rho, ~active


# ---------------------------------------------------------------------------
# Input checks and coding
# ---------------------------------------------------------------------------
def _check_items(data: pd.DataFrame, max_categories: int) -> np.ndarray:
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"polychoric_matrix needs a pandas DataFrame of items, got {type(data).__name__}.",
            hint="pass the item columns, e.g. df[['A1', 'A2', 'A3']].",
        )
    if data.shape[1] < 2:
        raise InputError(
            f"polychoric_matrix needs at least two item columns, got {data.shape[1]}.",
            hint="pass two or more item columns.",
        )
    columns = [str(c) for c in data.columns]
    if len(set(columns)) != len(columns):
        raise InputError(
            "The item columns have duplicate names.", hint="give every item a unique name."
        )
    values = np.empty(data.shape, dtype=float)
    for j, col in enumerate(data.columns):
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            bad = s.dropna()
            bad = bad[pd.to_numeric(bad, errors="coerce").isna()]
            first = bad.iloc[0] if len(bad) else None
            raise InputError(
                "Polychoric correlations need items coded as integers (ordered categories).",
                column=str(col),
                row=int(np.flatnonzero(s.index == bad.index[0])[0]) + 1 if len(bad) else None,
                value=first,
                hint="recode the answers as integers 1..k in their order (the codebook's "
                "value labels), and missing codes as NaN.",
            )
        x = s.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(x)
        if np.any(np.isinf(x)):
            pos = int(np.flatnonzero(np.isinf(x))[0])
            raise InputError(
                "Items must not contain infinite values.",
                column=str(col),
                row=pos + 1,
                value=x[pos],
                hint="replace them with NaN (missing) or a valid category code.",
            )
        frac = finite & (x != np.round(x))
        if frac.any():
            pos = int(np.flatnonzero(frac)[0])
            raise InputError(
                "Polychoric correlations need items coded as integers (ordered categories); "
                "this item has a non-integer value.",
                column=str(col),
                row=pos + 1,
                value=float(x[pos]),
                hint="use integer category codes; for continuous scores use Pearson "
                "correlations instead.",
            )
        if finite.sum() == 0:
            raise InputError(
                "This item has no answers (all missing).",
                column=str(col),
                hint="drop the column before computing polychoric correlations.",
            )
        if np.nanmin(x) == np.nanmax(x):
            raise InputError(
                "This item has only one answer category, so it has no correlation.",
                column=str(col),
                value=float(np.nanmin(x)),
                hint="drop the column before computing polychoric correlations.",
            )
        values[:, j] = x
    lo, hi = np.nanmin(values), np.nanmax(values)
    n_values = int(hi - lo) + 1
    if n_values > max_categories:
        worst = int(np.argmax(np.nanmax(values, axis=0) - np.nanmin(values, axis=0)))
        raise InputError(
            f"The items span {n_values} category codes ({lo:g} to {hi:g}); polychoric "
            f"correlations are for ordered categories with at most {max_categories}.",
            column=columns[worst],
            hint="check for out-of-range or unrecoded missing codes (e.g. 99), or use Pearson "
            "correlations for (near-)continuous scores; max_categories raises the limit.",
        )
    return values


def _pair_tables(codes: np.ndarray, n_cat: int) -> np.ndarray:
    """All pairwise contingency tables, shape (p, p, K, K), from codes 0..K-1 (-1 missing)."""
    n, p = codes.shape
    onehot = np.zeros((n, p, n_cat))
    rows, cols = np.nonzero(codes >= 0)
    onehot[rows, cols, codes[rows, cols]] = 1.0
    flat = onehot.reshape(n, p * n_cat)
    cross = flat.T @ flat
    return cross.reshape(p, n_cat, p, n_cat).transpose(0, 2, 1, 3)


def _marginal_thresholds(counts: np.ndarray) -> np.ndarray:
    """qnorm of cumulative proportions, without the last (always 1) category."""
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        cum = np.cumsum(counts, axis=-1) / total
    cum = np.clip(cum[..., :-1], 0.0, 1.0)
    return ndtri(cum)


def _local_setup(
    tab: np.ndarray, correct: float, n_cat: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, bool] | None:
    """psych's polyc with global = FALSE for one pair (tab holds counts).

    Drop empty rows and columns, put ``correct / n`` in empty cells, thresholds from the
    corrected margins (psych does not renormalize the corrected table). Returns the padded
    table, row cuts, column cuts, whether cells were corrected, and whether the table had
    to be renormalized because psych's margins would exceed 1 (where psych errors).
    """
    tot = tab.sum()
    t = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0] / tot
    if min(t.shape) < 2:
        return None
    fixed = False
    if correct > 0 and np.any(t == 0):
        fixed = True
        t = np.where(t == 0, correct / tot, t)
    renormalized = False
    rc = np.cumsum(t.sum(axis=1))[:-1]
    cc = np.cumsum(t.sum(axis=0))[:-1]
    if rc.max() >= 1.0 or cc.max() >= 1.0:
        renormalized = True
        t = t / t.sum()
        rc = np.cumsum(t.sum(axis=1))[:-1]
        cc = np.cumsum(t.sum(axis=0))[:-1]
    padded = np.zeros((n_cat, n_cat))
    padded[: t.shape[0], : t.shape[1]] = t
    row_cuts = np.full(n_cat + 1, np.inf)
    col_cuts = np.full(n_cat + 1, np.inf)
    row_cuts[0] = col_cuts[0] = -np.inf
    row_cuts[1 : t.shape[0]] = ndtri(rc)
    col_cuts[1 : t.shape[1]] = ndtri(cc)
    return padded, row_cuts, col_cuts, fixed, renormalized


def _smooth(corr: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """psych::cor.smooth: the (possibly) smoothed matrix, smallest eigenvalue, whether smoothed."""
    values, vectors = np.linalg.eigh(corr)
    smallest = float(values.min())
    if smallest >= np.finfo(float).eps:
        return corr, smallest, False
    eig_tol = 1e-12
    values = np.where(values < eig_tol, 100 * eig_tol, values)
    values = values * corr.shape[0] / values.sum()
    cov = (vectors * values) @ vectors.T
    sd = np.sqrt(np.diag(cov))
    out = cov / np.outer(sd, sd)
    out = (out + out.T) / 2.0
    np.fill_diagonal(out, 1.0)
    return out, smallest, True


def _estimate(
    data: pd.DataFrame,
    *,
    correct: float,
    missing: str,
    thresholds: str,
    smooth: bool,
    max_categories: int,
) -> dict[str, Any]:
    if missing not in _MISSING:
        raise ValueError(f"missing must be one of {list(_MISSING)}, got {missing!r}")
    if thresholds not in _THRESHOLDS:
        raise ValueError(f"thresholds must be one of {list(_THRESHOLDS)}, got {thresholds!r}")
    if not isinstance(correct, (int, float)) or isinstance(correct, bool) or not correct >= 0:
        raise ValueError(f"correct must be a number >= 0 (psych's default is 0.5), got {correct!r}")
    if not isinstance(max_categories, int) or max_categories < 2:
        raise ValueError(f"max_categories must be an integer >= 2, got {max_categories!r}")

    values = _check_items(data, max_categories)
    items = [str(c) for c in data.columns]
    warnings: list[str] = []
    if missing == "listwise":
        keep = np.all(np.isfinite(values), axis=1)
        values = values[keep]
        if values.shape[0] == 0:
            raise InputError(
                "No respondent answered every item, so listwise deletion leaves no data.",
                hint="use missing='pairwise'.",
            )
        for k, item in enumerate(items):
            col = values[:, k]
            if col.min() == col.max():
                raise InputError(
                    "After listwise deletion this item has only one answer category.",
                    column=item,
                    hint="use missing='pairwise' or drop the column.",
                )
    n_obs, p = values.shape
    lo = np.nanmin(values)
    n_cat = int(np.nanmax(values) - lo) + 1
    codes = np.where(np.isfinite(values), values - lo, -1).astype(int)

    item_max = np.nanmax(values, axis=0)
    method = thresholds
    if thresholds == "global" and item_max.min() != item_max.max():
        method = "pairwise"
        warnings.append(
            "The items do not have the same highest category, so thresholds were estimated "
            "pairwise from each pair's table (psych sets global = FALSE here too)."
        )

    counts = np.stack([np.bincount(codes[codes[:, j] >= 0, j], minlength=n_cat) for j in range(p)])
    tau = _marginal_thresholds(counts.astype(float))
    cut_labels = [f"{lo + c:g}|{lo + c + 1:g}" for c in range(n_cat - 1)]

    tables = _pair_tables(codes, n_cat)
    n_pairs = tables.sum(axis=(2, 3)).round().astype(int)
    iu, ju = np.triu_indices(p, k=1)
    m = iu.size
    full_cuts = np.concatenate([np.full((p, 1), -np.inf), tau, np.full((p, 1), np.inf)], axis=1)
    tabs = np.zeros((m, n_cat, n_cat))
    row_cuts = np.zeros((m, n_cat + 1))
    col_cuts = np.zeros((m, n_cat + 1))
    ok = np.zeros(m, dtype=bool)
    n_fixed = 0
    renormalized: list[str] = []
    for q, (i, j) in enumerate(zip(iu, ju, strict=True)):
        tab = tables[i, j]
        tot = tab.sum()
        if tot == 0:
            continue
        if method == "global":
            tabs[q] = tab / tot
            row_cuts[q] = full_cuts[i]
            col_cuts[q] = full_cuts[j]
            ok[q] = True
        else:
            setup = _local_setup(tab, correct, n_cat)
            if setup is None:
                continue
            tabs[q], row_cuts[q], col_cuts[q], fixed, renorm = setup
            n_fixed += fixed
            if renorm:
                renormalized.append(f"{items[i]}-{items[j]}")
            ok[q] = True

    rho = np.full(m, np.nan)
    converged = np.ones(m, dtype=bool)
    if ok.any():
        rho[ok], converged[ok] = _solve_rho(tabs[ok], row_cuts[ok], col_cuts[ok])
    if not converged.all():
        names = [
            f"{items[i]}-{items[j]}" for i, j in zip(iu[~converged], ju[~converged], strict=True)
        ]
        warnings.append(
            f"The estimate did not converge in {_MAX_ITER} iterations for pair(s) "
            + ", ".join(names)
            + "; report this with the data if you can."
        )

    corr = np.eye(p)
    corr[iu, ju] = rho
    corr[ju, iu] = rho
    if n_fixed and correct > 0:
        warnings.append(
            f"{n_fixed} item pair table(s) had empty cells; {correct:g} was added to each empty "
            "cell (continuity correction, psych's correct). Examine your data carefully."
        )
    if renormalized:
        warnings.append(
            "For pair(s) " + ", ".join(renormalized) + " the continuity correction pushed a "
            "cumulative proportion to 1 or more (psych::polychoric stops with an error here); "
            "the corrected table was renormalized to sum to 1."
        )
    missing_pairs = [
        f"{items[i]}-{items[j]}" for i, j, r in zip(iu, ju, rho, strict=True) if not np.isfinite(r)
    ]
    if missing_pairs:
        warnings.append(
            "No correlation could be estimated for pair(s) "
            + ", ".join(missing_pairs)
            + " (no respondents answered both, or fewer than two categories in common); they "
            "are NaN and the matrix was not smoothed."
        )
    raw = corr.copy()
    smoothed = False
    if smooth and not missing_pairs:
        corr, smallest, smoothed = _smooth(corr)
        if smoothed:
            warnings.append(
                f"The polychoric matrix was not positive definite (smallest eigenvalue "
                f"{smallest:.3g}); it was smoothed as psych::cor.smooth does (eigenvalues "
                "below 1e-12 set to 1e-10, rescaled to sum to the number of items, rescaled "
                "to a correlation matrix). corr_unsmoothed holds the estimates before smoothing."
            )
    clipped = [
        f"{items[i]}-{items[j]}"
        for i, j, r in zip(iu, ju, rho, strict=True)
        if np.isfinite(r) and abs(r) > _NEAR_ONE
    ]
    if clipped:
        warnings.append(
            f"|rho| > {_NEAR_ONE} for pair(s) " + ", ".join(clipped) + ": the likelihood "
            "rises (almost) to the boundary |rho| = 1, as when the pair's answers are "
            "perfectly ordered together; the exact value is not well determined (psych may "
            "report a different value near 1). Treat these with caution."
        )

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=items, columns=items)

    return {
        "corr": frame(corr),
        "corr_unsmoothed": frame(raw),
        "thresholds": pd.DataFrame(tau, index=items, columns=cut_labels),
        "n_pairs": frame(n_pairs),
        "n_obs": int(n_obs),
        "threshold_method": method,
        "smoothed": smoothed,
        "warnings": tuple(warnings),
        "pair_tables": tabs,
        "pair_row_cuts": row_cuts,
        "pair_col_cuts": col_cuts,
        "tables": tables,
    }


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class PolychoricResult(Result):
    """Polychoric correlation matrix with thresholds, pair counts and warnings.

    Attributes
    ----------
    corr : pandas.DataFrame
        Item x item polychoric correlations (smoothed if ``smoothed``), unit diagonal.
    corr_unsmoothed : pandas.DataFrame
        The pairwise estimates before any smoothing (equal to ``corr`` if not smoothed).
    thresholds : pandas.DataFrame
        Item x cut thresholds ``qnorm`` of each item's cumulative proportions over all its
        answers; columns are named ``"1|2"``, ``"2|3"``, ... (between category codes).
        ``-inf``/``inf`` mark categories an item never used.
    n_pairs : pandas.DataFrame
        Item x item number of respondents who answered both items (diagonal: the item's n).
    n_obs : int
        Rows used (all rows with ``missing="pairwise"``, complete rows with ``"listwise"``).
    threshold_method : {"global", "pairwise"}
        ``"global"``: each item's thresholds are used in every pair (psych ``global = TRUE``);
        ``"pairwise"``: thresholds from each pair's own table (psych ``global = FALSE``).
    smoothed : bool
        Whether the matrix was not positive definite and was smoothed (psych ``cor.smooth``).
    correct, missing : float, str
        The options used.
    warning_messages : tuple of str
        What the user should know (smoothing, continuity corrections, failed pairs).
    """

    corr: pd.DataFrame
    corr_unsmoothed: pd.DataFrame
    thresholds: pd.DataFrame
    n_pairs: pd.DataFrame
    n_obs: int
    threshold_method: str
    smoothed: bool
    correct: float
    missing: str
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The correlation matrix (a copy of :attr:`corr`)."""
        return self.corr.copy()

    def summary(self) -> str:
        head = (
            f"Polychoric correlations ({len(self.corr)} items, n = {self.n_obs}, "
            f"{self.missing} missing data, {self.threshold_method} thresholds)\n\n"
        )
        return head + super().summary()

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "corr": self.corr,
                "thresholds": self.thresholds,
                "n_pairs": self.n_pairs,
                "n_obs": self.n_obs,
                "threshold_method": self.threshold_method,
                "smoothed": self.smoothed,
                "correct": self.correct,
                "missing": self.missing,
                "warnings": self.warnings,
            }
        )


@dataclasses.dataclass(frozen=True, eq=False)
class PolychoricPair(Result):
    """Polychoric correlation of two items.

    Attributes
    ----------
    rho : float
        The polychoric correlation (NaN if it cannot be estimated).
    thresholds_x, thresholds_y : pandas.Series
        The thresholds used for each item (its own marginal thresholds with global
        thresholds; those of the pair's corrected table with pairwise thresholds).
    n : int
        Respondents who answered both items.
    table : pandas.DataFrame
        The contingency table of counts (rows: x categories, columns: y categories).
    threshold_method : {"global", "pairwise"}
    warning_messages : tuple of str
    """

    rho: float
    thresholds_x: pd.Series
    thresholds_y: pd.Series
    n: int
    table: pd.DataFrame
    threshold_method: str
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``rho`` then each item's thresholds, column ``estimate``."""
        names = ["rho"]
        names += [f"{self.thresholds_x.name}: {c}" for c in self.thresholds_x.index]
        names += [f"{self.thresholds_y.name}: {c}" for c in self.thresholds_y.index]
        est = [self.rho, *self.thresholds_x.to_numpy(), *self.thresholds_y.to_numpy()]
        return pd.DataFrame({"estimate": est}, index=pd.Index(names, name="parameter"))

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "rho": self.rho,
                "thresholds_x": self.thresholds_x,
                "thresholds_y": self.thresholds_y,
                "n": self.n,
                "threshold_method": self.threshold_method,
                "warnings": self.warnings,
            }
        )


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------
def polychoric_matrix(
    data: pd.DataFrame,
    *,
    correct: float = 0.5,
    missing: Literal["pairwise", "listwise"] = "pairwise",
    thresholds: Literal["global", "pairwise"] = "global",
    smooth: bool = True,
    max_categories: int = 10,
) -> PolychoricResult:
    """Polychoric correlation matrix of integer-coded ordered items, as R ``psych::polychoric``.

    Parameters
    ----------
    data : pandas.DataFrame
        One column per item, integer category codes (e.g. 1..6); NaN is missing.
    correct : float, default 0.5
        Continuity correction: with pairwise thresholds, each empty cell of a pair's table
        gets ``correct / n`` (``0`` turns it off). As in psych it has no effect with global
        thresholds, where empty cells simply contribute nothing to the likelihood.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``"pairwise"`` (psych): thresholds from all of an item's answers and each pair's table
        from the respondents who answered both. ``"listwise"``: only complete rows.
    thresholds : {"global", "pairwise"}, default "global"
        ``"global"`` (psych ``global = TRUE``): each item's thresholds are used in every pair.
        ``"pairwise"`` (psych ``global = FALSE``): thresholds from each pair's table after
        dropping empty rows/columns and the continuity correction. As in psych, global
        thresholds switch to pairwise (with a warning) if the items' highest categories differ.
    smooth : bool, default True
        If the matrix is not positive definite, smooth it as ``psych::cor.smooth`` and say so
        in the warnings (``corr_unsmoothed`` keeps the raw estimates).
    max_categories : int, default 10
        Items spanning more category codes raise :class:`~workbench.errors.InputError`
        (psych's ``max.cat`` is 8).

    Returns
    -------
    PolychoricResult
        ``.corr`` (labelled matrix; also ``to_frame()``), ``.thresholds`` (item x cut),
        ``.n_pairs``, ``.warnings``.

    Raises
    ------
    InputError
        Non-numeric or non-integer codes, constant or empty items, too many categories.
    ValueError
        An unknown option value (the message lists the valid ones).

    Notes
    -----
    Step 1, thresholds: for item :math:`j` with cumulative proportions :math:`F_{jc}` of
    categories :math:`\\le c`, :math:`\\tau_{jc} = \\Phi^{-1}(F_{jc})`,
    :math:`c = 1, \\dots, K - 1` (with :math:`\\tau_{j0} = -\\infty, \\tau_{jK} = \\infty`).

    Step 2, for each pair with table proportions :math:`p_{ab}`, maximize over :math:`\\rho`

    .. math:: \\ell(\\rho) = \\sum_{a,b} p_{ab} \\log \\pi_{ab}(\\rho), \\quad
              \\pi_{ab} = \\Phi_2(\\tau_a, \\sigma_b) - \\Phi_2(\\tau_{a-1}, \\sigma_b)
              - \\Phi_2(\\tau_a, \\sigma_{b-1}) + \\Phi_2(\\tau_{a-1}, \\sigma_{b-1}),

    with :math:`\\Phi_2` the standard bivariate normal CDF with correlation :math:`\\rho`
    (:func:`bivariate_normal_cdf`). Since :math:`\\partial \\Phi_2 / \\partial \\rho =
    \\phi_2`, the score is :math:`\\sum p_{ab} \\pi'_{ab} / \\pi_{ab}` with
    :math:`\\pi'_{ab}` the same double difference of the density :math:`\\phi_2`; we use
    Newton's method (observed information, or the Fisher information
    :math:`\\sum \\pi'^2_{ab} / \\pi_{ab}` where that is not positive) for all pairs at
    once, bracketed by the score's sign change, to :math:`|\\Delta\\rho| < 10^{-10}`.
    Where the likelihood keeps rising to :math:`|\\rho| = 1` (a perfectly ordered table)
    the estimate ends up near :math:`\\pm 1` on a flat likelihood and a warning says so
    (any :math:`|\\rho| > 0.999`); psych stops elsewhere on that flat stretch (e.g. 0.997).

    psych maximizes the same likelihood with ``optimize`` (default tolerance about
    1.2e-4) and ``mnormt::sadmvn`` probabilities (abseps 1e-6), so its values differ from
    ours by up to about 1e-4; on the 25 bfi items the largest difference is 2e-5.
    With pairwise thresholds psych does not renormalize the corrected table; we follow it,
    except where psych stops with an error (a cumulative proportion reaching 1), where we
    renormalize and warn.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. *Psychometrika*, 44, 443-460 (the two-step estimator).

    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and Personality
    Research*, version 2.2.9: ``psych::polychoric(x)`` with its defaults ``global = TRUE,
    correct = 0.5, smooth = TRUE``, and ``psych::cor.smooth``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.polychoric import polychoric_matrix
    >>> items = pd.read_csv("data/bfi.csv")[["A1", "A2", "A3"]]
    >>> res = polychoric_matrix(items)
    >>> res.corr.round(3)
           A1     A2     A3
    A1  1.000 -0.408 -0.323
    A2 -0.408  1.000  0.555
    A3 -0.323  0.555  1.000
    >>> res.thresholds.columns.tolist()
    ['1|2', '2|3', '3|4', '4|5', '5|6']
    >>> res.warnings
    []
    """
    est = _estimate(
        data,
        correct=correct,
        missing=missing,
        thresholds=thresholds,
        smooth=smooth,
        max_categories=max_categories,
    )
    return PolychoricResult(
        corr=est["corr"],
        corr_unsmoothed=est["corr_unsmoothed"],
        thresholds=est["thresholds"],
        n_pairs=est["n_pairs"],
        n_obs=est["n_obs"],
        threshold_method=est["threshold_method"],
        smoothed=est["smoothed"],
        correct=float(correct),
        missing=missing,
        warning_messages=est["warnings"],
    )


def polychoric(
    x: Any,
    y: Any,
    *,
    correct: float = 0.5,
    thresholds: Literal["global", "pairwise"] = "global",
    max_categories: int = 10,
) -> PolychoricPair:
    """Polychoric correlation of two integer-coded ordered items, as ``psych::polychoric``.

    Parameters
    ----------
    x, y : array_like or pandas.Series
        Integer category codes of equal length; NaN is missing. Series names label the
        result (``"x"`` and ``"y"`` otherwise).
    correct, thresholds, max_categories
        As in :func:`polychoric_matrix`.

    Returns
    -------
    PolychoricPair
        ``.rho``, ``.thresholds_x``, ``.thresholds_y``, ``.n``, ``.table``, ``.warnings``.

    Notes
    -----
    The same two-step estimator as :func:`polychoric_matrix` on the two columns: with
    global thresholds each item's thresholds come from all its answers, the table from the
    respondents who answered both. See :func:`polychoric_matrix` for the formulas.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. *Psychometrika*, 44, 443-460. R: ``psych::polychoric(cbind(x, y))``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.polychoric import polychoric
    >>> bfi = pd.read_csv("data/bfi.csv")
    >>> res = polychoric(bfi["A2"], bfi["A3"])
    >>> round(res.rho, 3), res.n
    (0.555, 2751)
    >>> res.thresholds_x.round(2).tolist()
    [-2.12, -1.54, -1.19, -0.48, 0.48]
    """
    xs = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x))
    ys = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    if len(xs) != len(ys):
        raise InputError(
            f"x and y have different lengths ({len(xs)} and {len(ys)}).",
            hint="pass two columns of the same data set.",
        )
    xname = str(xs.name) if xs.name is not None else "x"
    yname = str(ys.name) if ys.name is not None else "y"
    if xname == yname:
        xname, yname = f"{xname}_x", f"{yname}_y"
    frame = pd.DataFrame({xname: xs.to_numpy(), yname: ys.to_numpy()})
    est = _estimate(
        frame,
        correct=correct,
        missing="pairwise",
        thresholds=thresholds,
        smooth=False,
        max_categories=max_categories,
    )
    labels = est["thresholds"].columns
    if est["threshold_method"] == "global":
        tx = est["thresholds"].loc[xname].rename(xname)
        ty = est["thresholds"].loc[yname].rename(yname)
    else:
        rc, cc = est["pair_row_cuts"][0], est["pair_col_cuts"][0]
        tx = _used_cuts(rc, xname)
        ty = _used_cuts(cc, yname)
    lo = labels[0].split("|")[0]
    codes = [f"{float(lo) + c:g}" for c in range(len(labels) + 1)]
    table = pd.DataFrame(est["tables"][0, 1], index=codes, columns=codes).round().astype(int)
    table.index.name, table.columns.name = xname, yname
    return PolychoricPair(
        rho=float(est["corr_unsmoothed"].iloc[0, 1]),
        thresholds_x=tx,
        thresholds_y=ty,
        n=int(est["n_pairs"].iloc[0, 1]),
        table=table,
        threshold_method=est["threshold_method"],
        warning_messages=est["warnings"],
    )


def polychoric_from_tables(
    tables: Any, thresholds_x: Any, thresholds_y: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Polychoric correlations of many contingency tables, each item's thresholds given.

    The second step of the two-step estimator, for building blocks that compute the
    thresholds themselves (e.g. :mod:`workbench.sem.ordinal_stats`, as lavaan does).

    Parameters
    ----------
    tables : array_like, shape (m, K, K)
        Counts (or proportions) of ``m`` pairs: rows are the categories of the first item,
        columns those of the second. Items with fewer than ``K`` categories are padded with
        empty rows or columns after their last category.
    thresholds_x, thresholds_y : array_like, shape (m, K - 1)
        Each pair's thresholds of the first and second item, increasing; a padded item's
        thresholds after its last category are ``inf``.

    Returns
    -------
    rho : numpy.ndarray, shape (m,)
        The correlation maximizing each table's likelihood with the thresholds fixed.
    converged : numpy.ndarray of bool, shape (m,)

    Notes
    -----
    Maximizes :math:`\\sum_{a,b} n_{ab} \\log \\pi_{ab}(\\rho)` over
    :math:`|\\rho| < 1` with the cell probabilities of :func:`polychoric_matrix` (same
    safeguarded Newton iteration, to :math:`|\\Delta\\rho| < 10^{-10}`).

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. *Psychometrika*, 44, 443-460.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.measurement.polychoric import polychoric_from_tables
    >>> table = np.array([[[40.0, 10.0], [10.0, 40.0]]])
    >>> rho, ok = polychoric_from_tables(table, [[0.0]], [[0.0]])
    >>> round(float(rho[0]), 4)  # two median splits: -cos(2 pi n11 / n)
    0.809
    """
    tabs = np.asarray(tables, dtype=float)
    tx = np.asarray(thresholds_x, dtype=float)
    ty = np.asarray(thresholds_y, dtype=float)
    if tabs.ndim != 3 or tabs.shape[1] != tabs.shape[2]:
        raise ValueError(f"tables must have shape (m, K, K), got {tabs.shape}")
    m, k = tabs.shape[0], tabs.shape[1]
    if tx.shape != (m, k - 1) or ty.shape != (m, k - 1):
        raise ValueError(f"thresholds must have shape ({m}, {k - 1}), got {tx.shape}, {ty.shape}")
    edge_lo = np.full((m, 1), -np.inf)
    edge_hi = np.full((m, 1), np.inf)
    row_cuts = np.concatenate([edge_lo, tx, edge_hi], axis=1)
    col_cuts = np.concatenate([edge_lo, ty, edge_hi], axis=1)
    total = tabs.sum(axis=(1, 2), keepdims=True)
    return _solve_rho(tabs / total, row_cuts, col_cuts)


def _used_cuts(cuts: np.ndarray, name: str) -> pd.Series:
    inner = cuts[1:-1]
    inner = inner[np.isfinite(inner)]
    return pd.Series(inner, index=[f"cut{c + 1}" for c in range(inner.size)], name=name)
