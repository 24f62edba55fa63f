"""Sample statistics of ordered items for WLS estimation, as lavaan computes them.

For items treated as ordered categorical (lavaan's ``ordered =``), the data enter a
weighted-least-squares SEM only through the *sample statistics* of the underlying normal
variables: each item's thresholds and each pair's polychoric correlation, estimated in
two steps (thresholds from the margins, then each correlation with the thresholds held
fixed), and the asymptotic covariance matrix of those statistics (Muthen, 1984), computed
from each respondent's score contributions. :func:`ordinal_sample_statistics` returns all
three in lavaan's order and naming (``x1|t1, x1|t2, ..., x1~~x2, x1~~x3, ...``), so that
``gamma`` equals ``lavInspect(fit, "gamma")``. :mod:`workbench.sem.ordinal` fits models to
them.

Not (yet): continuous or exogenous covariates (polyserial correlations, conditional
thresholds), multiple groups, sampling weights, pairwise deletion.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from workbench.errors import InputError
from workbench.measurement.polychoric import bivariate_normal_cdf, polychoric_from_tables
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable

__all__ = ["OrdinalSampleStats", "ordinal_sample_statistics"]

# lavaan: cell probabilities below sqrt(machine epsilon) are floored (likelihood) and the
# respondents in such cells contribute no score (lav_bvord_noexo_pi, lav_bvord_cor_scores)
_SMALL = math.sqrt(np.finfo(float).eps)
_RHO_BOUND = 0.999  # lavaan's bounds for the polychoric correlation (nlminb lower/upper)
_NEAR_ONE = 0.99  # lavaan warns above this |rho|
_ZERO_ADD = 0.5  # lavaan's zero.add[1]: a 2 x 2 table with one empty cell
_BLOCK_BYTES = 64 * 2**20  # rows of score contributions formed at a time


@dataclasses.dataclass(frozen=True, eq=False)
class OrdinalSampleStats(Result):
    """Thresholds, polychoric correlations and their asymptotic covariance matrix.

    Attributes
    ----------
    items : tuple of str
        The items, in the order of the statistics.
    n : int
        Respondents used (complete cases on ``items``).
    n_dropped : int
        Respondents dropped for a missing answer (listwise deletion, lavaan's default).
    levels : dict
        Each item's answer categories (codes) in order; category ``k`` lies between
        thresholds ``t(k-1)`` and ``tk``.
    thresholds : pandas.Series
        Labelled ``"item|t1"``, ``"item|t2"``, ...: :math:`\\Phi^{-1}` of the cumulative
        proportions.
    polychoric : pandas.DataFrame
        Item x item polychoric correlations (not smoothed).
    gamma : pandas.DataFrame or None
        The asymptotic covariance matrix :math:`\\Gamma` of :math:`\\sqrt{N}` times the
        statistics, labelled as lavaan (``"x1|t1"``, ..., ``"x1~~x2"``, ...); None when not
        requested.
    zero_cell_pairs : tuple of (str, str)
        Pairs whose contingency table has an empty cell.
    warning_messages : tuple of str
    """

    items: tuple[str, ...]
    n: int
    n_dropped: int
    levels: dict[str, tuple[Any, ...]]
    thresholds: pd.Series
    polychoric: pd.DataFrame
    gamma: pd.DataFrame | None
    zero_cell_pairs: tuple[tuple[str, str], ...] = ()
    warning_messages: tuple[str, ...] = ()
    _internals: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def statistics(self) -> pd.Series:
        """The vector of sample statistics: thresholds, then correlations (lavaan's order)."""
        return pd.Series(self._internals.s, index=self._internals.labels, name="estimate")

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: ``estimate`` and ``se``.

        ``se`` is :math:`\\sqrt{\\Gamma_{kk}/(N-1)}`, lavaan's divisor for least-squares
        estimators (the standard errors it reports for thresholds in a WLSMV fit).
        """
        out = self.statistics.to_frame()
        if self.gamma is not None:
            out["se"] = np.sqrt(np.diag(self.gamma.to_numpy()) / (self.n - 1))
        return out

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "items": list(self.items),
                "n": self.n,
                "n_dropped": self.n_dropped,
                "thresholds": self.thresholds,
                "polychoric": self.polychoric,
                "warnings": self.warnings,
            }
        )


@dataclasses.dataclass(frozen=True)
class _Stats:
    """Arrays behind :class:`OrdinalSampleStats` (for :mod:`workbench.sem.ordinal`)."""

    s: np.ndarray  # thresholds then correlations
    labels: list[str]
    gamma: np.ndarray | None
    n: int
    n_th: int
    th_item: np.ndarray  # item index of each threshold
    pair_i: np.ndarray  # lavaan's order of the correlations: (i, j) with i < j, by j then i
    pair_j: np.ndarray
    corr: np.ndarray


# ---------------------------------------------------------------------------
# Input: ordered category codes
# ---------------------------------------------------------------------------
def _ordered_codes(
    data: pd.DataFrame, items: Sequence[str], max_categories: int
) -> tuple[np.ndarray, dict[str, tuple[Any, ...]], int]:
    """Complete cases coded 0..K-1 per item, the categories, and the number of rows dropped."""
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise InputError(
            f"Item(s) {missing} are not columns of the data.",
            column=str(missing[0]),
            hint="check the item names against the data's column names.",
        )
    frame = data[list(items)]
    complete = frame.notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    frame = frame[complete]
    if len(frame) == 0:
        raise InputError(
            "No respondent answered every item, so listwise deletion leaves no data.",
            hint="check the missing-value codes, or drop items that few people answered.",
        )
    codes = np.empty(frame.shape, dtype=np.intp)
    levels: dict[str, tuple[Any, ...]] = {}
    for j, item in enumerate(items):
        s = frame[item]
        if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
            cats = tuple(s.cat.categories)
            codes[:, j] = s.cat.codes.to_numpy()
            counts = np.bincount(codes[:, j], minlength=len(cats))
            if len(cats) >= 2 and np.any(counts == 0):
                empty = [cats[k] for k in np.flatnonzero(counts == 0)]
                raise InputError(
                    f"Category {empty[0]!r} of this ordered item has no answers"
                    + (" among the complete cases" if n_dropped else "")
                    + f", so its thresholds cannot be estimated (categories {list(cats)}).",
                    column=str(item),
                    value=empty[0],
                    hint="merge the empty category with a neighbouring one, or remove it from "
                    "the item's categories (e.g. Series.cat.remove_unused_categories()).",
                )
        else:
            if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
                raise InputError(
                    "Ordered items must be coded as integers (or as an ordered categorical).",
                    column=str(item),
                    value=s.iloc[0],
                    hint="recode the answers as integers 1..k in their order (the codebook's "
                    "value labels), and missing codes as NaN.",
                )
            x = s.to_numpy(dtype=float)
            bad = ~np.isfinite(x) | (x != np.round(x))
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise InputError(
                    "Ordered items must be coded as integers; this item has another value.",
                    column=str(item),
                    row=int(np.flatnonzero(complete)[pos]) + 1,
                    value=float(x[pos]),
                    hint="use integer category codes, or leave the item out of `ordered` to "
                    "treat it as continuous.",
                )
            values, inverse = np.unique(x, return_inverse=True)
            cats = tuple(int(v) for v in values)
            codes[:, j] = inverse
        if len(cats) < 2:
            raise InputError(
                "This ordered item has a single observed category"
                + (" among the complete cases" if n_dropped else "")
                + ", so it has no thresholds or correlations.",
                column=str(item),
                value=cats[0] if cats else None,
                hint="drop the item from the model (it does not vary), or check the data.",
            )
        if len(cats) > max_categories:
            raise InputError(
                f"This item has {len(cats)} distinct values; treating it as ordered needs "
                f"at most {max_categories} categories.",
                column=str(item),
                hint="check for unrecoded missing codes (e.g. 99); treat (near-)continuous "
                "scores as continuous, or raise max_categories.",
            )
        levels[str(item)] = cats
    return codes, levels, n_dropped


# ---------------------------------------------------------------------------
# Stage 1 and 2
# ---------------------------------------------------------------------------
def _phi2(a: np.ndarray, b: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Standard bivariate normal density, 0 where a limit is infinite."""
    one = 1.0 - rho * rho
    finite = np.isfinite(a) & np.isfinite(b)
    a0, b0 = np.where(finite, a, 0.0), np.where(finite, b, 0.0)
    dens = np.exp(-(a0 * a0 - 2.0 * rho * a0 * b0 + b0 * b0) / (2.0 * one))
    return np.where(finite, dens / (2.0 * math.pi * np.sqrt(one)), 0.0)


def _double_diff(f: np.ndarray) -> np.ndarray:
    """Rectangle values from corner values: (..., K+1, K+1) -> (..., K, K)."""
    return f[..., 1:, 1:] - f[..., :-1, 1:] - f[..., 1:, :-1] + f[..., :-1, :-1]


def _two_by_two(tab: np.ndarray, tau_i: np.ndarray, tau_j: np.ndarray) -> tuple[float | None, str]:
    """lavaan's special cases of a 2 x 2 table (both items binary).

    Returns (rho or None to estimate, note) and adjusts ``tab`` in place: one empty cell gets
    0.5 with the margins kept (zero.add = 0.5, zero.keep.margins = TRUE).
    """
    zero = tab == 0
    if zero.sum() == 2:
        return (1.0 if tab[0, 0] > 0 else -1.0), "two empty cells"
    if zero.sum() == 1:
        diag = zero[0, 0] or zero[1, 1]
        sign = 1.0 if diag else -1.0
        tab += sign * _ZERO_ADD * np.array([[1.0, -1.0], [-1.0, 1.0]])
    if tab[0, 0] * tab[1, 1] == tab[0, 1] * tab[1, 0]:
        return 0.0, ""
    if tau_i[0] == 0.0 and tau_j[0] == 0.0:
        return -math.cos(2.0 * math.pi * tab[0, 0] / tab.sum()), ""
    return None, ""


def ordinal_sample_statistics(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    gamma: bool = True,
    max_categories: int = 10,
) -> OrdinalSampleStats:
    """Thresholds and polychoric correlations with their asymptotic covariance, as lavaan.

    Parameters
    ----------
    data : pandas.DataFrame
        Answers coded as integers in their order (any integers: each item's observed values
        are its categories, as lavaan's ``ordered()``), or ordered categoricals (whose
        declared categories must all be observed). NaN is missing.
    items : sequence of str, optional
        The items, in order (default: every column).
    gamma : bool, default True
        Compute the asymptotic covariance matrix (needed for WLS estimation).
    max_categories : int, default 10
        Items with more distinct values raise :class:`~workbench.errors.InputError`.

    Returns
    -------
    OrdinalSampleStats
        ``thresholds``, ``polychoric``, ``gamma``, ``statistics``, ``n``, ``warnings``.

    Raises
    ------
    InputError
        An item with a single observed category, a declared category nobody chose, codes
        that are not integers, too many categories, no complete case, or (with ``gamma``)
        two binary items in lockstep (lavaan sets their correlation to +-1 and goes on; the
        weights of a WLS fit are then not defined).

    Notes
    -----
    *Stage 1.* Item :math:`j` with categories :math:`1..K_j` and cumulative proportions
    :math:`F_{jc}` has thresholds :math:`\\tau_{jc} = \\Phi^{-1}(F_{jc})`, the maximum
    likelihood estimates of the univariate probit model.

    *Stage 2.* For items :math:`i, j` with table counts :math:`n_{ab}`, :math:`\\rho_{ij}`
    maximizes :math:`\\sum_{ab} n_{ab}\\log\\pi_{ab}(\\rho)` with the thresholds fixed,
    :math:`\\pi_{ab} = \\Phi_2(\\tau_{ia}, \\tau_{jb}; \\rho) - \\Phi_2(\\tau_{i,a-1},
    \\tau_{jb}; \\rho) - \\Phi_2(\\tau_{ia}, \\tau_{j,b-1}; \\rho) + \\Phi_2(\\tau_{i,a-1},
    \\tau_{j,b-1}; \\rho)`, within :math:`[-0.999, 0.999]` as lavaan. Cell probabilities
    below :math:`\\sqrt{\\epsilon}` are floored there. Two binary items (2 x 2 table) follow
    lavaan's rules: one empty cell gets 0.5 with the margins kept, two empty cells give
    :math:`\\pm 1`, a table with equal cross-products gives 0, and two median splits give
    :math:`-\\cos(2\\pi n_{11}/n)`.

    *Asymptotic covariance* (Muthen, 1984; Muthen, du Toit & Spisic, 1997). With
    :math:`s_n = (s_{n,\\tau}, s_{n,\\rho})` respondent :math:`n`'s scores (derivatives of
    the log-likelihood contributions: univariate for the thresholds, bivariate for each
    correlation), :math:`B = \\sum_n s_n s_n'` and

    .. math:: A = \\begin{pmatrix} A_{11} & 0 \\\\ A_{21} & A_{22} \\end{pmatrix},

    where :math:`A_{11}` is the block-diagonal (per item) part of :math:`B` for the
    thresholds, :math:`A_{22} = \\mathrm{diag}(\\sum_n s_{n,\\rho}^2)`, and :math:`A_{21}`
    holds :math:`\\sum_n s_{n,\\rho_{ij}}\\, \\partial \\ell_{n,ij} / \\partial \\tau` (the
    bivariate log-likelihood's threshold scores), the two-step estimates have covariance
    :math:`A^{-1} B A^{-T}` and :math:`\\Gamma = N A^{-1} B A^{-T}` (lavaan's
    ``lav_muthen1984``; first-order, outer-product forms of the information throughout, and
    :math:`N`, not :math:`N-1`: lavaan's default ``gamma.n.minus.one = FALSE``).

    References
    ----------
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. *Psychometrika*, 49, 115-132.

    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted
    least squares and quadratic estimating equations in latent variable modeling with
    categorical and continuous outcomes. Unpublished technical report.

    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. *Psychometrika*, 44, 443-460.

    R: ``lavaan::lavCor(data, ordered = TRUE, output = "fit")`` and, for a fitted model,
    ``lavInspect(fit, "sampstat")`` and ``lavInspect(fit, "gamma")`` (lavaan 0.6).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal_stats import ordinal_sample_statistics
    >>> bfi = pd.read_csv("data/bfi.csv")
    >>> st = ordinal_sample_statistics(bfi, ["A1", "A2", "A3"])
    >>> st.n, st.n_dropped
    (2736, 64)
    >>> float(st.polychoric.round(3).loc["A2", "A3"])
    0.556
    >>> st.to_frame().round(4).head(2)
           estimate      se
    A1|t1   -0.4428  0.0248
    A1|t2    0.3196  0.0244
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"The items must be a pandas DataFrame, got {type(data).__name__}.",
            hint="pass the data frame and the item names.",
        )
    items = [str(c) for c in (data.columns if items is None else items)]
    if len(items) < 2:
        raise InputError(
            f"Ordinal sample statistics need at least two items, got {len(items)}.",
            hint="pass two or more items.",
        )
    if len(set(items)) != len(items):
        raise InputError("An item is listed twice.", hint="list every item once.")
    codes, levels, n_dropped = _ordered_codes(data, items, max_categories)
    with single_threaded_blas():
        return _from_codes(codes, items, levels, n_dropped, want_gamma=gamma)


def _from_codes(
    codes: np.ndarray,
    items: list[str],
    levels: dict[str, tuple[Any, ...]],
    n_dropped: int,
    *,
    want_gamma: bool,
) -> OrdinalSampleStats:
    n, p = codes.shape
    warnings: list[str] = []
    if n_dropped:
        warnings.append(
            f"{n_dropped} respondent(s) with a missing answer were left out (listwise "
            f"deletion, lavaan's default); {n} remain."
        )
    n_cat = np.array([len(levels[it]) for it in items])
    kmax = int(n_cat.max())

    # stage 1: thresholds, padded cut points (-inf, tau..., inf, inf...) of length kmax + 1
    counts = np.zeros((p, kmax))
    for j in range(p):
        counts[j, : n_cat[j]] = np.bincount(codes[:, j], minlength=n_cat[j])
    cum = np.cumsum(counts, axis=1) / n
    cuts = np.full((p, kmax + 1), np.inf)
    cuts[:, 0] = -np.inf
    th_index: list[np.ndarray] = []
    labels: list[str] = []
    start = 0
    for j in range(p):
        k = n_cat[j] - 1
        cuts[j, 1 : k + 1] = ndtri(cum[j, :k])
        th_index.append(np.arange(start, start + k))
        labels += [f"{items[j]}|t{c + 1}" for c in range(k)]
        start += k
    n_th = start
    tau = np.concatenate([cuts[j, 1 : n_cat[j]] for j in range(p)])
    th_item = np.repeat(np.arange(p), n_cat - 1)

    # stage 2: lavaan's order of the correlations, pairs (a, b) with a < b ordered by a, then
    # b (the row-major upper triangle = lavaan's vech(R, diagonal = FALSE), column-major lower)
    pair_i, pair_j = np.triu_indices(p, k=1)
    m = pair_i.size
    labels += [f"{items[a]}~~{items[b]}" for a, b in zip(pair_i, pair_j, strict=True)]
    flat_tables = np.zeros((m, kmax * kmax))
    for q in range(m):
        cell = codes[:, pair_i[q]] * kmax + codes[:, pair_j[q]]
        flat_tables[q] = np.bincount(cell, minlength=kmax * kmax)
    tables = flat_tables.reshape(m, kmax, kmax)

    rho = np.full(m, np.nan)
    fixed = np.zeros(m, dtype=bool)
    fit_tables = tables.copy()
    zero_cells: list[tuple[str, str]] = []
    two_empty: list[tuple[str, str]] = []
    filled: list[str] = []
    for q in range(m):
        a, b = pair_i[q], pair_j[q]
        real = fit_tables[q, : n_cat[a], : n_cat[b]]
        if np.any(real == 0):
            zero_cells.append((items[a], items[b]))
        if n_cat[a] == 2 and n_cat[b] == 2:
            if np.sum(real == 0) == 1:
                filled.append(f"{items[a]} x {items[b]}")
            special, note = _two_by_two(real, cuts[a, 1:2], cuts[b, 1:2])
            if special is not None:
                rho[q], fixed[q] = special, True
                if note:
                    two_empty.append((items[a], items[b]))
    free = ~fixed
    converged = np.ones(m, dtype=bool)
    if free.any():
        rho[free], converged[free] = polychoric_from_tables(
            fit_tables[free], cuts[pair_i[free], 1:-1], cuts[pair_j[free], 1:-1]
        )
    rho[free] = np.clip(rho[free], -_RHO_BOUND, _RHO_BOUND)
    lockstep = ", ".join(f"{a} x {b}" for a, b in two_empty)
    if two_empty and want_gamma:
        second = two_empty[0][1]
        raise InputError(
            f"Two binary items answer in lockstep (two empty cells in their 2 x 2 table: "
            f"{lockstep}), so their correlation is +1 or -1 and its sampling variance is not "
            "defined.",
            column=second,
            hint=f"drop one of the two items (e.g. {second}), or merge them into one.",
        )
    if two_empty:
        warnings.append(
            f"Two empty cells in the 2 x 2 table of {lockstep}: the correlation is set to +1 "
            "or -1 (as lavaan)."
        )
    if not converged.all():
        bad = [
            f"{items[a]}-{items[b]}"
            for a, b in zip(pair_i[~converged], pair_j[~converged], strict=True)
        ]
        warnings.append("The polychoric correlation did not converge for " + ", ".join(bad) + ".")
    near = [
        f"{items[a]}-{items[b]}"
        for a, b, r in zip(pair_i, pair_j, rho, strict=True)
        if abs(r) > _NEAR_ONE
    ]
    if near:
        warnings.append(
            "The polychoric correlation of " + ", ".join(near) + " is (nearly) 1 in absolute "
            "value (as lavaan warns): the items may be redundant."
        )
    if zero_cells:
        warnings.append(
            f"{len(zero_cells)} item pair(s) have empty cells in their contingency table (e.g. "
            f"{zero_cells[0][0]} x {zero_cells[0][1]}); with few answers in some categories "
            "the correlations and their standard errors are less stable."
            + (
                " In the 2 x 2 table(s) of " + ", ".join(filled) + " 0.5 was moved into the "
                "empty cell, keeping the margins, before estimating the correlation (as lavaan)."
                if filled
                else ""
            )
        )
    corr = np.eye(p)
    corr[pair_i, pair_j] = rho
    corr[pair_j, pair_i] = rho

    gamma_arr = None
    if want_gamma:
        gamma_arr = _gamma(codes, n_cat, cuts, th_index, tables, pair_i, pair_j, rho)
        if not np.all(np.isfinite(gamma_arr)):
            raise InputError(
                "The asymptotic covariance matrix of the thresholds and correlations could "
                "not be computed (an item's thresholds are not estimable).",
                hint="check items with very rare categories; merge them with a neighbour.",
            )
    s = np.concatenate([tau, rho])
    internals = _Stats(
        s=s,
        labels=labels,
        gamma=gamma_arr,
        n=n,
        n_th=n_th,
        th_item=th_item,
        pair_i=pair_i,
        pair_j=pair_j,
        corr=corr,
    )
    return OrdinalSampleStats(
        items=tuple(items),
        n=n,
        n_dropped=n_dropped,
        levels=levels,
        thresholds=pd.Series(tau, index=labels[:n_th], name="threshold"),
        polychoric=pd.DataFrame(corr, index=items, columns=items),
        gamma=None if gamma_arr is None else pd.DataFrame(gamma_arr, index=labels, columns=labels),
        zero_cell_pairs=tuple(zero_cells),
        warning_messages=tuple(warnings),
        _internals=internals,
    )


# ---------------------------------------------------------------------------
# Asymptotic covariance matrix (Muthen 1984)
# ---------------------------------------------------------------------------
def _gamma(
    codes: np.ndarray,
    n_cat: np.ndarray,
    cuts: np.ndarray,
    th_index: list[np.ndarray],
    tables: np.ndarray,
    pair_i: np.ndarray,
    pair_j: np.ndarray,
    rho: np.ndarray,
) -> np.ndarray:
    """N A^-1 B A^-T from the casewise scores (see ordinal_sample_statistics, Notes)."""
    n, p = codes.shape
    kmax = cuts.shape[1] - 1
    m = rho.size
    n_th = int(sum(ix.size for ix in th_index))

    # univariate threshold scores per category: uni[j][a, c] = d log P_a / d tau_c
    uni = []
    for j in range(p):
        k = n_cat[j]
        c = cuts[j, : k + 1]
        prob = np.diff(ndtr(c))
        dens = np.exp(-0.5 * c[1:-1] ** 2) / math.sqrt(2.0 * math.pi)
        score = np.zeros((k, k - 1))
        score[np.arange(k - 1), np.arange(k - 1)] += dens  # upper limit of category c
        score[np.arange(1, k), np.arange(k - 1)] -= dens  # lower limit of category c + 1
        uni.append(score / prob[:, None])

    # bivariate: cell probabilities and their derivatives, (m, kmax, kmax)
    ci, cj = cuts[pair_i], cuts[pair_j]  # (m, kmax + 1)
    r = rho[:, None, None]
    a_grid = np.broadcast_to(ci[:, :, None], (m, kmax + 1, kmax + 1))
    b_grid = np.broadcast_to(cj[:, None, :], (m, kmax + 1, kmax + 1))
    prob = _double_diff(bivariate_normal_cdf(a_grid, b_grid, np.broadcast_to(r, a_grid.shape)))
    dprob = _double_diff(_phi2(a_grid, b_grid, r))
    real = (np.arange(kmax)[None, :, None] < n_cat[pair_i][:, None, None]) & (
        np.arange(kmax)[None, None, :] < n_cat[pair_j][:, None, None]
    )
    usable = real & (prob > _SMALL)  # lavaan: scores of cells below sqrt(eps) are NA
    safe = np.where(usable, prob, 1.0)
    score_rho = np.where(usable, dprob / safe, 0.0)  # (m, kmax, kmax)

    # d pi_ab / d tau_i,c = g_i[c, b] (1{a = c} - 1{a = c + 1}), g_i[c, b] =
    # phi(tau_ic) [Phi((t_j,b+1 - rho tau_ic) / R) - Phi((t_j,b - rho tau_ic) / R)]
    big_r = np.sqrt(1.0 - rho * rho)[:, None, None]

    def edge_terms(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        t = own[:, 1:-1, None]  # (m, kmax - 1, 1): thresholds, inf where padded
        finite = np.isfinite(t)
        t0 = np.where(finite, t, 0.0)
        z = (other[:, None, :] - r * t0) / big_r  # (m, kmax - 1, kmax + 1)
        cond = np.diff(ndtr(z), axis=2)  # (m, kmax - 1, kmax)
        dens = np.where(finite, np.exp(-0.5 * t0 * t0) / math.sqrt(2.0 * math.pi), 0.0)
        return dens * cond

    g_i = edge_terms(ci, cj)  # (m, c over i's thresholds, b over j's categories)
    g_j = edge_terms(cj, ci)  # (m, c over j's thresholds, a over i's categories)
    weights = tables * score_rho / safe  # n_ab * score_rho / pi_ab, zero where unusable
    # A21 entries: sum_ab n_ab s_rho (d pi / d tau_c) / pi
    w_i = weights[:, :-1, :] - weights[:, 1:, :]  # rows a = c minus a = c + 1, (m, kmax-1, kmax)
    a21_i = np.einsum("mcb,mcb->mc", w_i, g_i)
    w_j = weights[:, :, :-1] - weights[:, :, 1:]  # (m, kmax, kmax - 1)
    a21_j = np.einsum("mac,mca->mc", w_j, g_j)
    a22 = (tables * score_rho * score_rho).sum(axis=(1, 2))

    a21 = np.zeros((m, n_th))
    for q in range(m):
        ti, tj = th_index[pair_i[q]], th_index[pair_j[q]]
        a21[q, ti] = a21_i[q, : ti.size]
        a21[q, tj] = a21_j[q, : tj.size]

    # B = sum_n s_n s_n' in row blocks (scores looked up from each answer's category)
    n_col = n_th + m
    block = max(1, min(n, _BLOCK_BYTES // (8 * n_col)))
    inner = np.zeros((n_col, n_col))
    score_rho_flat = score_rho.reshape(m, kmax * kmax)
    cols = np.arange(m)
    for lo in range(0, n, block):
        rows = codes[lo : lo + block]
        sc = np.empty((rows.shape[0], n_col))
        for j in range(p):
            sc[:, th_index[j]] = uni[j][rows[:, j]]
        cell = rows[:, pair_i] * kmax + rows[:, pair_j]
        sc[:, n_th:] = score_rho_flat[cols[None, :], cell]
        inner += sc.T @ sc

    a11_inv = np.zeros((n_th, n_th))
    for ix in th_index:
        a11_inv[np.ix_(ix, ix)] = np.linalg.inv(inner[np.ix_(ix, ix)])
    with np.errstate(divide="ignore"):
        a22_inv = 1.0 / a22
    b_inv = np.zeros((n_col, n_col))
    b_inv[:n_th, :n_th] = a11_inv
    b_inv[n_th:, :n_th] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[n_th:, n_th:] = np.diag(a22_inv)
    out = n * (b_inv @ inner @ b_inv.T)
    return (out + out.T) / 2.0
