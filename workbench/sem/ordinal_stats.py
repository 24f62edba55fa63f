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

Continuous items can stand beside the ordered ones (``continuous=``: means, variances,
Pearson and polyserial correlations, as lavaan does with the items its ``ordered =`` leaves
out). Not (yet): exogenous covariates (conditional thresholds), multiple groups, sampling
weights, pairwise deletion.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
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
        Item x item polychoric correlations (not smoothed); with continuous items, their
        polyserial (continuous with ordered) and Pearson (two continuous) correlations.
    gamma : pandas.DataFrame or None
        The asymptotic covariance matrix :math:`\\Gamma` of :math:`\\sqrt{N}` times the
        statistics, labelled as lavaan (``"x1|t1"``, ..., ``"x1~~x2"``, ...); None when not
        requested.
    zero_cell_pairs : tuple of (str, str)
        Pairs whose contingency table has an empty cell.
    warning_messages : tuple of str
    continuous : tuple of str
        The items treated as continuous (none by default).
    means, variances : pandas.Series or None
        The continuous items' means and variances (divisor :math:`N`, as lavaan).
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
    continuous: tuple[str, ...] = ()
    means: pd.Series | None = None
    variances: pd.Series | None = None
    _internals: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def statistics(self) -> pd.Series:
        """The vector of sample statistics in lavaan's order (``lavInspect(fit, "wls.obs")``):
        thresholds (and, for a continuous item, minus its mean, ``"x~1"``), the continuous
        items' variances, then the correlations (covariances where a continuous item is
        involved)."""
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

    s: np.ndarray  # thresholds (and minus continuous items' means), variances, correlations
    labels: list[str]
    gamma: np.ndarray | None
    n: int
    n_th: int
    th_item: np.ndarray  # item index of each threshold
    pair_i: np.ndarray  # lavaan's order of the correlations: (i, j) with i < j, by j then i
    pair_j: np.ndarray
    corr: np.ndarray  # correlations (polychoric, polyserial, Pearson)
    n_var: int = 0  # continuous items' variances, after the threshold block
    var_item: np.ndarray | None = None  # item index of each variance
    sd: np.ndarray | None = None  # per item: standard deviation (1 for an ordered item)

    @property
    def is_threshold(self) -> np.ndarray:
        """Which entries of the threshold block are thresholds (not a continuous item's
        minus-mean ``"x~1"``)."""
        return np.array(["|" in lab for lab in self.labels[: self.n_th]], dtype=bool)

    @property
    def mean_slots(self) -> dict[str, int]:
        """Each continuous item's position (its ``"x~1"``) in the threshold block."""
        return {lab[:-2]: t for t, lab in enumerate(self.labels[: self.n_th]) if lab.endswith("~1")}


# ---------------------------------------------------------------------------
# Input: ordered category codes
# ---------------------------------------------------------------------------
def _require_columns(data: pd.DataFrame, items: Sequence[str]) -> None:
    """Refuse items that are not columns of the data, naming the first."""
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise InputError(
            f"Item(s) {missing} are not columns of the data.",
            column=str(missing[0]),
            hint="check the item names against the data's column names.",
        )


def _ordered_codes(
    data: pd.DataFrame, items: Sequence[str], max_categories: int
) -> tuple[np.ndarray, dict[str, tuple[Any, ...]], int]:
    """Complete cases coded 0..K-1 per item, the categories, and the number of rows dropped."""
    _require_columns(data, items)
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
    continuous: Sequence[str] = (),
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
    continuous : sequence of str, default ()
        Items (among ``items``) treated as continuous, as the items lavaan's ``ordered =``
        leaves out: their means and variances, Pearson correlations with each other and
        polyserial correlations with the ordered items enter the statistics.
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

    *Continuous items* (Muthen, 1984; lavaan's ``muthen1984`` with numeric variables). Stage 1
    gives each continuous item's mean and variance (maximum likelihood, divisor :math:`N`);
    stage 2 the Pearson correlation of two continuous items and the polyserial correlation
    of a continuous item :math:`y` (standardized :math:`z`) with an ordered one, maximizing
    :math:`\\sum_n \\log[\\phi(z_n)/\\sigma \\cdot (\\Phi(\\tau^*_{c_n}) -
    \\Phi(\\tau^*_{c_n - 1}))]`, :math:`\\tau^*_c = (\\tau_c - \\rho z_n) /
    \\sqrt{1 - \\rho^2}`, within :math:`[-0.995, 0.995]` (Olsson, Drasgow & Dorans, 1982).
    :math:`A` and :math:`B` take the continuous items' mean and variance scores beside the
    thresholds' (one block per item in :math:`A_{11}`). The statistics are the covariances
    :math:`\\rho\\sigma_i` and :math:`\\rho\\sigma_i\\sigma_j` (lavaan's ``WLS.obs``),
    and :math:`\\Gamma` is carried to them by the delta method; a continuous item's entry
    in the threshold block is minus its mean (``"x~1"``), with its variance after the
    thresholds (``"x~~x"``).

    References
    ----------
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. *Psychometrika*, 49, 115-132.

    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted
    least squares and quadratic estimating equations in latent variable modeling with
    categorical and continuous outcomes. Unpublished technical report.

    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. *Psychometrika*, 44, 443-460.

    Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial correlation coefficient.
    *Psychometrika*, 47, 337-347.

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
    continuous = [str(c) for c in continuous]
    if continuous:
        unknown = [c for c in continuous if c not in items]
        if unknown:
            raise InputError(
                f"The continuous item {unknown[0]} is not one of the items.",
                column=unknown[0],
                hint="list continuous items among the model's items.",
            )
        if len(continuous) == len(items):
            raise InputError(
                "Every item is continuous: ordinal sample statistics need an ordered item.",
                hint="fit the model by maximum likelihood (estimator=ml or mlr) instead.",
            )
        _require_columns(data, items)
        with single_threaded_blas():
            return _mixed_statistics(data, items, continuous, max_categories, gamma)
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
def _ordinal_parts(
    codes: np.ndarray,
    n_cat: np.ndarray,
    cuts: np.ndarray,
    th_index: list[np.ndarray],
    tables: np.ndarray,
    pair_i: np.ndarray,
    pair_j: np.ndarray,
    rho: np.ndarray,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """The ordered items' pieces of the Muthen (1984) sandwich, from the tables.

    Returns ``uni`` (per item, category x threshold: the univariate threshold scores),
    ``score_rho`` (pair x cell: each correlation's score), ``a21`` (pair x threshold:
    :math:`\\sum_n s_{n,\\rho}\\,\\partial\\ell_{n,ij}/\\partial\\tau`) and ``a22``
    (:math:`\\sum_n s_{n,\\rho}^2`).
    """
    p = codes.shape[1]
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
    return uni, score_rho.reshape(m, kmax * kmax), a21, a22


def _sandwich(
    inner: np.ndarray, a11_blocks: list[np.ndarray], a21: np.ndarray, a22: np.ndarray, n: int
) -> np.ndarray:
    """:math:`N A^{-1} B A^{-T}` with :math:`A` block lower triangular (see
    :func:`ordinal_sample_statistics`, Notes): ``a11_blocks`` index each item's first-step
    statistics in ``inner`` (:math:`B`), whose blocks are :math:`A_{11}`."""
    n_first = a21.shape[1]
    n_col = inner.shape[0]
    a11_inv = np.zeros((n_first, n_first))
    for ix in a11_blocks:
        a11_inv[np.ix_(ix, ix)] = np.linalg.inv(inner[np.ix_(ix, ix)])
    with np.errstate(divide="ignore"):
        a22_inv = 1.0 / a22
    b_inv = np.zeros((n_col, n_col))
    b_inv[:n_first, :n_first] = a11_inv
    b_inv[n_first:, :n_first] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[n_first:, n_first:] = np.diag(a22_inv)
    return n * (b_inv @ inner @ b_inv.T)


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
    uni, score_rho_flat, a21, a22 = _ordinal_parts(
        codes, n_cat, cuts, th_index, tables, pair_i, pair_j, rho
    )

    # B = sum_n s_n s_n' in row blocks (scores looked up from each answer's category)
    n_col = n_th + m
    block = max(1, min(n, _BLOCK_BYTES // (8 * n_col)))
    inner = np.zeros((n_col, n_col))
    cols = np.arange(m)
    for lo in range(0, n, block):
        rows = codes[lo : lo + block]
        sc = np.empty((rows.shape[0], n_col))
        for j in range(p):
            sc[:, th_index[j]] = uni[j][rows[:, j]]
        cell = rows[:, pair_i] * kmax + rows[:, pair_j]
        sc[:, n_th:] = score_rho_flat[cols[None, :], cell]
        inner += sc.T @ sc
    out = _sandwich(inner, th_index, a21, a22, n)
    return (out + out.T) / 2.0


# ---------------------------------------------------------------------------
# Continuous items beside ordered ones (polyserial and Pearson correlations)
# ---------------------------------------------------------------------------
_RHO_BOUND_MIXED = 0.995  # lavaan's bounds for the polyserial correlation (nlminb)
_EPS = float(np.finfo(float).eps)


def _phi(t: np.ndarray) -> np.ndarray:
    """Standard normal density, 0 at an infinite limit."""
    finite = np.isfinite(t)
    t0 = np.where(finite, t, 0.0)
    return np.where(finite, np.exp(-0.5 * t0 * t0) / math.sqrt(2.0 * math.pi), 0.0)


def _times(a: float | np.ndarray, t: np.ndarray) -> np.ndarray:
    """a * t, 0 where t is infinite (the limit's density is 0 there)."""
    return np.where(np.isfinite(t), a * np.where(np.isfinite(t), t, 0.0), 0.0)


class _Polyserial:
    """One continuous item (standardized ``z``) and one ordered item (category ``code``):
    the conditional probit likelihood of lavaan's two-step polyserial correlation
    (``lav_bvmix``) and its casewise scores."""

    def __init__(self, z: np.ndarray, sd: float, code: np.ndarray, cuts: np.ndarray) -> None:
        self.z, self.sd, self.code = z, sd, code
        self.lo, self.up = cuts[code], cuts[code + 1]
        self.log_py1 = -0.5 * z * z - math.log(math.sqrt(2.0 * math.pi) * sd)

    def _parts(self, rho: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        big_r = math.sqrt(1.0 - rho * rho)
        t1 = (self.up - rho * self.z) / big_r
        t2 = (self.lo - rho * self.z) / big_r
        prob = np.maximum(ndtr(t1) - ndtr(t2), _EPS)  # lavaan floors P(y2 | y1) at eps
        return big_r, t1, t2, prob, _phi(t1) - _phi(t2)

    def loglik(self, rho: float) -> float:
        """Sum of the log-likelihood; lavaan leaves out cases whose likelihood is below
        :math:`\\sqrt{\\epsilon}`."""
        _, _, _, prob, _ = self._parts(rho)
        log_lik = self.log_py1 + np.log(prob)
        return float(np.sum(log_lik[log_lik >= math.log(_SMALL)]))

    def score_rho(self, rho: float) -> np.ndarray:
        big_r, t1, t2, prob, _ = self._parts(rho)
        # (phi(t1) (tau_up rho - z) - phi(t2) (tau_lo rho - z)) / (P R^3); phi is 0 at an
        # infinite limit, where _times keeps the product finite
        up = _phi(t1) * (_times(rho, self.up) - self.z)
        lo = _phi(t2) * (_times(rho, self.lo) - self.z)
        return (up - lo) / (prob * big_r**3)

    def scores(self, rho: float, k: int) -> dict[str, np.ndarray]:
        """Casewise scores for rho, the continuous item's mean and variance and the ordered
        item's ``k`` thresholds (n x k), as lavaan's ``lav_bvmix_cor_scores``."""
        big_r, t1, t2, prob, dphi = self._parts(rho)
        z, var = self.z, self.sd**2
        th = np.zeros((z.size, k))
        rows = np.arange(z.size)
        upper = self.code < k  # the category's upper limit is threshold `code`
        th[rows[upper], self.code[upper]] += _phi(t1)[upper]
        lower = self.code > 0  # its lower limit is threshold `code - 1`
        th[rows[lower], self.code[lower] - 1] -= _phi(t2)[lower]
        return {
            "rho": self.score_rho(rho),
            "mean": (z + dphi * rho / (big_r * prob)) / self.sd,
            "var": ((z * z - 1.0) + dphi * rho * z / (big_r * prob)) / (2.0 * var),
            "th": th / (big_r * prob)[:, None],
        }

    def fit(self) -> tuple[float, bool]:
        """The correlation maximizing the likelihood within lavaan's bounds."""
        lo_b, hi_b = -_RHO_BOUND_MIXED, _RHO_BOUND_MIXED
        f_lo, f_hi = float(self.score_rho(lo_b).sum()), float(self.score_rho(hi_b).sum())
        if f_lo > 0 > f_hi:
            rho = optimize.brentq(
                lambda r: float(self.score_rho(r).sum()), lo_b, hi_b, xtol=1e-14, rtol=4 * _EPS
            )
            return float(rho), True
        best = optimize.minimize_scalar(
            lambda r: -self.loglik(r),
            bounds=(lo_b, hi_b),
            method="bounded",
            options={"xatol": 1e-12},
        )
        return float(best.x), bool(best.success)


def _mixed_statistics(
    data: pd.DataFrame,
    items: list[str],
    continuous: list[str],
    max_categories: int,
    want_gamma: bool,
) -> OrdinalSampleStats:
    """Sample statistics of ordered and continuous items together (lavaan's ``muthen1984``
    with numeric variables; see :func:`ordinal_sample_statistics`, Notes)."""
    for item in continuous:
        s = data[item]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise InputError(
                "A continuous item must hold numbers.",
                column=item,
                value=s.dropna().iloc[0] if s.notna().any() else None,
                hint="recode the item as numbers, or list it as ordered.",
            )
    frame = data[items]
    complete = frame.notna().all(axis=1).to_numpy()
    ordered = [it for it in items if it not in continuous]
    codes_o, levels, _ = _ordered_codes(frame[complete], ordered, max_categories)
    n_dropped = int((~complete).sum())
    y = frame.loc[complete, continuous].to_numpy(dtype=float)
    bad = ~np.isfinite(y)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            "A continuous item holds an infinite value.",
            column=continuous[c],
            row=int(np.flatnonzero(complete)[r]) + 1,
            hint="replace it with a valid score or mark it as missing (NaN).",
        )
    n = y.shape[0]
    mean = y.mean(axis=0)
    var = ((y - mean) ** 2).mean(axis=0)  # ML (divisor N), as lavaan's lav_uvreg_fit
    flat = [continuous[k] for k in np.flatnonzero(var <= 0)]
    if flat:
        raise InputError(
            "This continuous item has the same value for every respondent, so it has no variance.",
            column=flat[0],
            hint="drop the item from the model (it does not vary), or check the data.",
        )
    sd = np.sqrt(var)
    z = (y - mean) / sd

    # the ordered items' thresholds and polychoric correlations, as without continuous items
    ord_stats = _from_codes(codes_o, ordered, levels, 0, want_gamma=False)
    o_int = ord_stats._internals
    p = len(items)
    is_num = np.array([it in continuous for it in items])
    num_of = {it: k for k, it in enumerate(continuous)}
    ord_of = {it: k for k, it in enumerate(ordered)}
    n_cat = np.array([len(levels[it]) for it in ordered])
    kmax = int(n_cat.max())
    cuts = np.full((len(ordered), kmax + 1), np.inf)
    cuts[:, 0] = -np.inf
    for j, it in enumerate(ordered):
        cuts[j, 1 : n_cat[j]] = ord_stats.thresholds[
            [f"{it}|t{c + 1}" for c in range(n_cat[j] - 1)]
        ]

    # layout of the statistics: per item its thresholds (ordered) or minus its mean
    # (continuous, lavaan's "x~1"), then the continuous items' variances, then the pairs
    th_index: list[np.ndarray] = []
    labels: list[str] = []
    values: list[float] = []
    start = 0
    for it in items:
        if it in num_of:
            th_index.append(np.array([start]))
            labels.append(f"{it}~1")
            values.append(-mean[num_of[it]])
            start += 1
        else:
            k = n_cat[ord_of[it]] - 1
            th_index.append(np.arange(start, start + k))
            labels += [f"{it}|t{c + 1}" for c in range(k)]
            values += list(cuts[ord_of[it], 1 : k + 1])
            start += k
    n_th = start
    n_var = len(continuous)
    var_slot = {it: n_th + k for k, it in enumerate(continuous)}
    labels += [f"{it}~~{it}" for it in continuous]
    values += list(var)
    pair_i, pair_j = np.triu_indices(p, k=1)
    m = pair_i.size
    labels += [f"{items[a]}~~{items[b]}" for a, b in zip(pair_i, pair_j, strict=True)]

    corr = np.eye(p)
    warnings = list(ord_stats.warnings)
    if n_dropped:
        warnings.insert(
            0,
            f"{n_dropped} respondent(s) with a missing answer were left out (listwise "
            f"deletion, lavaan's default); {n} remain.",
        )
    poly: dict[int, _Polyserial] = {}
    failed: list[str] = []
    for q in range(m):
        a, b = items[pair_i[q]], items[pair_j[q]]
        if a in num_of and b in num_of:
            corr[pair_i[q], pair_j[q]] = float(np.mean(z[:, num_of[a]] * z[:, num_of[b]]))
        elif a in num_of or b in num_of:
            c_it, o_it = (a, b) if a in num_of else (b, a)
            k = num_of[c_it]
            ps = _Polyserial(z[:, k], sd[k], codes_o[:, ord_of[o_it]], cuts[ord_of[o_it]])
            corr[pair_i[q], pair_j[q]], ok = ps.fit()
            poly[q] = ps
            if not ok:
                failed.append(f"{a}-{b}")
        else:
            corr[pair_i[q], pair_j[q]] = o_int.corr[ord_of[a], ord_of[b]]
    corr = np.triu(corr, 1) + np.triu(corr, 1).T + np.eye(p)
    if failed:
        warnings.append(
            "The polyserial correlation did not converge for " + ", ".join(failed) + "."
        )
    near = [
        f"{items[a]}-{items[b]}"
        for a, b in zip(pair_i, pair_j, strict=True)
        if (is_num[a] or is_num[b]) and abs(corr[a, b]) > _NEAR_ONE
    ]
    if near:
        warnings.append(
            "The correlation of " + ", ".join(near) + " is (nearly) 1 in absolute value: the "
            "items may be redundant."
        )
    scale = np.ones(p)
    scale[is_num] = sd
    cov = corr * np.outer(scale, scale)
    values += list(cov[pair_i, pair_j])
    s = np.array(values)

    gamma_arr = None
    if want_gamma:
        gamma_arr = _mixed_gamma(
            items,
            ordered,
            continuous,
            codes_o,
            n_cat,
            cuts,
            z,
            sd,
            corr,
            th_index,
            var_slot,
            pair_i,
            pair_j,
            poly,
        )
        if not np.all(np.isfinite(gamma_arr)):
            raise InputError(
                "The asymptotic covariance matrix of the sample statistics could not be "
                "computed (an item's thresholds are not estimable).",
                hint="check items with very rare categories; merge them with a neighbour.",
            )
    th_labels = [lab for lab in labels[:n_th] if "|" in lab]
    th_values = [v for lab, v in zip(labels[:n_th], s[:n_th], strict=True) if "|" in lab]
    internals = _Stats(
        s=s,
        labels=labels,
        gamma=gamma_arr,
        n=n,
        n_th=n_th,
        th_item=np.concatenate([np.full(ix.size, v) for v, ix in enumerate(th_index)]),
        pair_i=pair_i,
        pair_j=pair_j,
        corr=corr,
        n_var=n_var,
        var_item=np.array([items.index(it) for it in continuous], dtype=np.intp),
        sd=scale,
    )
    return OrdinalSampleStats(
        items=tuple(items),
        n=n,
        n_dropped=n_dropped,
        levels=levels,
        thresholds=pd.Series(th_values, index=th_labels, name="threshold"),
        polychoric=pd.DataFrame(corr, index=items, columns=items),
        gamma=None if gamma_arr is None else pd.DataFrame(gamma_arr, index=labels, columns=labels),
        zero_cell_pairs=ord_stats.zero_cell_pairs,
        warning_messages=tuple(warnings),
        continuous=tuple(continuous),
        means=pd.Series(mean, index=continuous, name="mean"),
        variances=pd.Series(var, index=continuous, name="variance"),
        _internals=internals,
    )


def _mixed_gamma(
    items: list[str],
    ordered: list[str],
    continuous: list[str],
    codes_o: np.ndarray,
    n_cat: np.ndarray,
    cuts: np.ndarray,
    z: np.ndarray,
    sd: np.ndarray,
    corr: np.ndarray,
    th_index: list[np.ndarray],
    var_slot: dict[str, int],
    pair_i: np.ndarray,
    pair_j: np.ndarray,
    poly: dict[int, _Polyserial],
) -> np.ndarray:
    """Gamma of the mixed statistics: the sandwich of the correlations' two-step estimates,
    carried to the covariances by the delta method (lavaan's ``H``), with the continuous
    items' rows for their means negated (the statistic is minus the mean)."""
    n = z.shape[0]
    m = pair_i.size
    n_th = int(sum(ix.size for ix in th_index))
    n_first = n_th + len(continuous)
    n_col = n_first + m
    pos = {it: k for k, it in enumerate(items)}
    num_of = {it: k for k, it in enumerate(continuous)}
    ord_of = {it: k for k, it in enumerate(ordered)}
    var = sd**2

    sc = np.zeros((n, n_col))
    a21 = np.zeros((m, n_first))
    a22 = np.zeros(m)
    blocks: list[np.ndarray] = []
    # the ordered items' own pieces (at least one item is ordered), with their threshold
    # positions in the mixed layout
    o_pi, o_pj = np.triu_indices(len(ordered), k=1)
    o_th_index = []
    start = 0
    for j in range(len(ordered)):
        o_th_index.append(np.arange(start, start + n_cat[j] - 1))
        start += n_cat[j] - 1
    kmax = cuts.shape[1] - 1
    tables = np.zeros((o_pi.size, kmax * kmax))
    for q in range(o_pi.size):
        cell = codes_o[:, o_pi[q]] * kmax + codes_o[:, o_pj[q]]
        tables[q] = np.bincount(cell, minlength=kmax * kmax)
    o_pos = [pos[o] for o in ordered]
    rho_o = corr[np.ix_(o_pos, o_pos)][o_pi, o_pj]
    uni_o, score_o, a21_o, _ = _ordinal_parts(
        codes_o, n_cat, cuts, o_th_index, tables.reshape(-1, kmax, kmax), o_pi, o_pj, rho_o
    )
    o_global = np.concatenate([th_index[k] for k in o_pos])
    o_pair = {(ordered[a], ordered[b]): q for q, (a, b) in enumerate(zip(o_pi, o_pj, strict=True))}
    # first step: thresholds (ordered), mean and variance (continuous)
    for it in items:
        v = pos[it]
        if it in num_of:
            k = num_of[it]
            sc[:, th_index[v][0]] = z[:, k] / sd[k]
            sc[:, var_slot[it]] = (z[:, k] ** 2 - 1.0) / (2.0 * var[k])
            blocks.append(np.array([th_index[v][0], var_slot[it]]))
        else:
            sc[:, th_index[v]] = uni_o[ord_of[it]][codes_o[:, ord_of[it]]]
            blocks.append(th_index[v])
    # second step: each pair's correlation
    h = np.eye(n_col)
    for q in range(m):
        a, b = items[pair_i[q]], items[pair_j[q]]
        col = n_first + q
        r = corr[pair_i[q], pair_j[q]]
        if a in num_of and b in num_of:
            ka, kb = num_of[a], num_of[b]
            za, zb = z[:, ka], z[:, kb]
            one = 1.0 - r * r
            s_rho = r / one + za * zb / one - r * (za * za - 2.0 * r * za * zb + zb * zb) / one**2
            d_mean_a = (za - r * zb) / (sd[ka] * one)
            d_mean_b = (zb - r * za) / (sd[kb] * one)
            d_var_a = -1.0 / (2.0 * var[ka]) + (za * za - r * za * zb) / (2.0 * var[ka] * one)
            d_var_b = -1.0 / (2.0 * var[kb]) + (zb * zb - r * za * zb) / (2.0 * var[kb] * one)
            sc[:, col] = s_rho
            a21[q, th_index[pos[a]][0]] = s_rho @ d_mean_a
            a21[q, th_index[pos[b]][0]] = s_rho @ d_mean_b
            a21[q, var_slot[a]] = s_rho @ d_var_a
            a21[q, var_slot[b]] = s_rho @ d_var_b
            h[col, col] = sd[ka] * sd[kb]
            h[col, var_slot[a]] = sd[kb] * r / (2.0 * sd[ka])
            h[col, var_slot[b]] = sd[ka] * r / (2.0 * sd[kb])
        elif q in poly:
            c_it, o_it = (a, b) if a in num_of else (b, a)
            k = num_of[c_it]
            parts = poly[q].scores(r, int(n_cat[ord_of[o_it]]) - 1)
            s_rho = parts["rho"]
            sc[:, col] = s_rho
            a21[q, th_index[pos[c_it]][0]] = s_rho @ parts["mean"]
            a21[q, var_slot[c_it]] = s_rho @ parts["var"]
            a21[q, th_index[pos[o_it]]] = s_rho @ parts["th"]
            h[col, col] = sd[k]
            h[col, var_slot[c_it]] = r / (2.0 * sd[k])
        else:
            qo = o_pair[(a, b)]
            flat_cell = codes_o[:, ord_of[a]] * kmax + codes_o[:, ord_of[b]]
            s_rho = score_o[qo, flat_cell]
            sc[:, col] = s_rho
            a21[q, o_global] = a21_o[qo]
        a22[q] = s_rho @ s_rho
    inner = sc.T @ sc
    w = _sandwich(inner, blocks, a21, a22, n)
    out = h @ w @ h.T
    means = np.array([th_index[pos[it]][0] for it in continuous], dtype=np.intp)
    out[means, :] *= -1.0
    out[:, means] *= -1.0
    return (out + out.T) / 2.0
