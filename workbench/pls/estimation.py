"""PLS path modelling (PLS-SEM) and consistent PLS, at parity with R seminr's ``estimate_pls``.

Hand-written on numpy: no maintained Python library does PLS-SEM right (``plspm`` fails on
pandas 3 and has no PLSc), so the algorithm is implemented here and tested against seminr's own
fixtures and SmartPLS's published results (``tests/test_pls_seminr_parity.py``,
``tests/test_pls_references.py``).

The whole iteration runs on the indicator correlation matrix ``S`` (``p x p``): the composite
of construct ``j`` with weights ``w_j`` has variance ``w_j' S_jj w_j``, the composites
correlate ``W' S W``, and the covariance of the items with the inner proxies is ``S W E``. The
data enter once, through ``S``. That keeps one fit at a few hundred microseconds, which is what
a 5,000-resample bootstrap needs: :func:`fit_correlation` (a correlation matrix) and
:func:`fit_standardized` (a data array) are the fast entry points, :meth:`PLSCore.vector` the
flat vector of estimates a bootstrap collects, labelled by :attr:`PLSPlan.vector_labels`.
:func:`estimate_pls` is the user-facing function that validates, prepares the data, fits and
labels everything.
"""

from __future__ import annotations

import dataclasses
import math
import types
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.pls.data import Missing, PLSData, _prepared
from workbench.pls.specification import PLSModel, specify_model
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = [
    "ESTIMATORS",
    "INNER_WEIGHTINGS",
    "Estimator",
    "InnerWeighting",
    "PLSConvergenceWarning",
    "PLSCore",
    "PLSPlan",
    "PLSResult",
    "estimate_pls",
    "fit_correlation",
    "fit_standardized",
]

Estimator = Literal["pls", "plsc"]
InnerWeighting = Literal["path", "factor", "centroid"]
ESTIMATORS = ("pls", "plsc")
INNER_WEIGHTINGS = ("path", "factor", "centroid")


class PLSConvergenceWarning(UserWarning):
    """The PLS iteration stopped at ``max_iter`` before the weights settled."""


# ----------------------------------------------------------------------------
# The compiled model: index arrays built once per model
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class PLSPlan:
    """A :class:`~workbench.pls.PLSModel` as the index arrays the fast fit works with.

    Build it once (``PLSPlan.from_model(model)``) and reuse it for every resample. Items are in
    ``model.all_items`` order (construct by construct), constructs in ``model.constructs``
    order; the columns of the data passed to :func:`fit_standardized` must be in ``items``
    order.

    Attributes
    ----------
    membership : numpy.ndarray
        ``(p, m)`` 0/1: item ``i`` belongs to construct ``j``.
    item_construct : numpy.ndarray
        ``(p,)`` the construct index of each item.
    blocks : tuple of numpy.ndarray
        The item indices of each construct.
    mode_b, reflective : numpy.ndarray
        ``(m,)`` booleans: Mode B (``<~``) constructs; reflective (``=~``) constructs, which
        PLSc corrects.
    adjacency : numpy.ndarray
        ``(m, m)`` 0/1, ``[i, j] = 1`` for the path ``i -> j``.
    predecessors : tuple of numpy.ndarray
        For each construct, the indices of the constructs with a path into it.
    predecessor_grids, block_grids : tuple
        ``np.ix_`` grids of the predecessors and of each block's items (built once).
    endogenous : numpy.ndarray
        Indices of the constructs with predecessors.
    path_source, path_target : numpy.ndarray
        The paths, in model order.
    vector_labels : tuple of str
        Labels of :meth:`PLSCore.vector`: ``path:A->Y``, ``weight:A:x1``, ``loading:A:x1``,
        ``r2:Y``.
    """

    model: PLSModel
    items: tuple[str, ...]
    constructs: tuple[str, ...]
    membership: np.ndarray
    item_construct: np.ndarray
    blocks: tuple[np.ndarray, ...]
    mode_b: np.ndarray
    reflective: np.ndarray
    adjacency: np.ndarray
    neighbours: np.ndarray
    predecessors: tuple[np.ndarray, ...]
    predecessor_grids: tuple[tuple[np.ndarray, ...], ...]
    block_grids: tuple[tuple[np.ndarray, ...], ...]
    endogenous: np.ndarray
    path_source: np.ndarray
    path_target: np.ndarray
    vector_labels: tuple[str, ...]

    @classmethod
    def from_model(cls, model: PLSModel | str) -> PLSPlan:
        """Compile a model (or its lavaan syntax) into index arrays."""
        model = specify_model(model)
        constructs = model.constructs
        items = model.all_items
        index = {c: j for j, c in enumerate(constructs)}
        p, m = len(items), len(constructs)
        item_construct = np.array([index[model.construct_of(i)] for i in items], dtype=np.intp)
        membership = np.zeros((p, m))
        membership[np.arange(p), item_construct] = 1.0
        blocks = tuple(np.flatnonzero(item_construct == j) for j in range(m))
        adjacency = np.zeros((m, m))
        source = np.array([index[s] for s, _ in model.paths], dtype=np.intp)
        target = np.array([index[t] for _, t in model.paths], dtype=np.intp)
        adjacency[source, target] = 1.0
        predecessors = tuple(np.flatnonzero(adjacency[:, j]) for j in range(m))
        endogenous = np.array([j for j in range(m) if len(predecessors[j])], dtype=np.intp)
        labels = (
            [f"path:{s}->{t}" for s, t in model.paths]
            + [f"weight:{model.construct_of(i)}:{i}" for i in items]
            + [f"loading:{model.construct_of(i)}:{i}" for i in items]
            + [f"r2:{constructs[j]}" for j in endogenous]
        )
        return cls(
            model=model,
            items=items,
            constructs=constructs,
            membership=membership,
            item_construct=item_construct,
            blocks=blocks,
            mode_b=np.array([model.measurement[c] == "composite" for c in constructs]),
            reflective=np.array([model.measurement[c] == "reflective" for c in constructs]),
            adjacency=adjacency,
            neighbours=adjacency + adjacency.T,
            predecessors=predecessors,
            predecessor_grids=tuple(np.ix_(P, P) for P in predecessors),
            block_grids=tuple(np.ix_(idx, idx) for idx in blocks),
            endogenous=endogenous,
            path_source=source,
            path_target=target,
            vector_labels=tuple(labels),
        )


# ----------------------------------------------------------------------------
# The fast fit
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class PLSCore:
    """The arrays of one PLS fit (no labels; see :class:`PLSPlan` for the order).

    Attributes
    ----------
    weights, loadings : numpy.ndarray
        ``(p,)`` outer weight and loading of each item on its construct. Weights scale the
        composites to unit variance; loadings are PLSc's consistent loadings for the
        constructs PLSc corrects, else the item-composite correlations.
    cross_loadings : numpy.ndarray
        ``(p, m)`` correlations of every item with every composite score (``S W``).
    score_correlations : numpy.ndarray
        ``(m, m)`` correlations of the composite scores (``W' S W``).
    construct_correlations : numpy.ndarray
        ``(m, m)`` the construct correlations the paths are estimated from: the score
        correlations, disattenuated by ``sqrt(rho_A_i rho_A_j)`` for PLSc-corrected pairs.
    path_matrix : numpy.ndarray
        ``(m, m)`` ``[source, target]`` path coefficients.
    r2 : numpy.ndarray
        ``(m,)`` R-squared of the endogenous constructs (NaN for the exogenous).
    rho_a : numpy.ndarray
        ``(m,)`` Dijkstra-Henseler rho_A (1 for single items, NaN for Mode B).
    iterations : int
        Weight updates made.
    converged : bool
        Whether the summed absolute weight change fell below ``tol``.
    """

    weights: np.ndarray
    loadings: np.ndarray
    cross_loadings: np.ndarray
    score_correlations: np.ndarray
    construct_correlations: np.ndarray
    path_matrix: np.ndarray
    r2: np.ndarray
    rho_a: np.ndarray
    iterations: int
    converged: bool

    def vector(self, plan: PLSPlan) -> np.ndarray:
        """Paths, weights, loadings and R-squared as one flat vector (``plan.vector_labels``)."""
        return np.concatenate(
            [
                self.path_matrix[plan.path_source, plan.path_target],
                self.weights,
                self.loadings,
                self.r2[plan.endogenous],
            ]
        )


def fit_correlation(
    S: np.ndarray,
    plan: PLSPlan,
    *,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    max_iter: int = 300,
    tol: float = 1e-7,
) -> PLSCore:
    """Fit a PLS path model to an indicator correlation matrix (the fast entry point).

    Parameters
    ----------
    S : numpy.ndarray
        ``(p, p)`` correlation matrix of the items, in ``plan.items`` order.
    plan : PLSPlan
        The compiled model.
    estimator, inner_weighting, max_iter, tol
        As :func:`estimate_pls` (not checked here: this function is called per resample).

    Returns
    -------
    PLSCore

    Raises
    ------
    numpy.linalg.LinAlgError
        When a Mode B block or the predictors of an endogenous construct are singular.

    Notes
    -----
    Lohmöller's (1989) iteration, as seminr's ``simplePLS``: start from unit weights; each
    step scales the weights so every composite has unit variance, builds the inner proxies
    ``Z = Y E`` with the inner weights ``E`` (path: the regression of each construct on its
    predecessors and the correlations with its successors; factor: the correlations with
    adjacent constructs; centroid: their signs), then updates the outer weights: Mode A
    ``w_j ∝ cov(X_j, Z_j)``, Mode B ``w_j ∝ S_jj^{-1} cov(X_j, Z_j)``. It stops when the summed
    absolute change of the weights is below ``tol`` (seminr's ``stopCriterion = 7`` is
    ``1e-7``). Paths are OLS on the construct correlations (Wold 1982).
    """
    corrected = plan.reflective if estimator == "plsc" else np.zeros_like(plan.reflective)
    membership = plan.membership
    b_blocks = [
        (int(b), plan.blocks[b], np.linalg.inv(S[plan.block_grids[b]]))
        for b in np.flatnonzero(plan.mode_b)
    ]
    W = membership.copy()
    converged = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        last = W
        W = W / np.sqrt(np.einsum("pj,pj->j", W, S @ W))
        R = W.T @ S @ W
        E = _inner_weights(R, plan, inner_weighting)
        C = S @ (W @ E)  # covariances of the items with the inner proxies
        W = C * membership
        for b, idx, inverse in b_blocks:
            W[idx, b] = inverse @ C[idx, b]
        W = W / np.sqrt(np.einsum("pj,pj->j", W, S @ W))
        change = float(np.abs(W - last).sum())
        if not math.isfinite(change):
            break
        if change < tol:
            converged = True
            break
    SW = S @ W
    score_corr = W.T @ SW
    rows = np.arange(len(plan.items))
    weights = W[rows, plan.item_construct]
    loadings = SW[rows, plan.item_construct].copy()
    m = len(plan.constructs)
    rho_a = np.ones(m)
    for j, idx in enumerate(plan.blocks):
        if plan.mode_b[j]:
            rho_a[j] = np.nan
        elif len(idx) > 1:
            rho_a[j] = _rho_a(weights[idx], S[plan.block_grids[j]])
    construct_corr = score_corr
    if corrected.any():
        with np.errstate(invalid="ignore"):  # a negative rho_A gives NaN (flagged later)
            q = np.where(corrected, np.sqrt(np.where(corrected, rho_a, 1.0)), 1.0)
        construct_corr = score_corr / np.outer(q, q)
        np.fill_diagonal(construct_corr, 1.0)
        for c in np.flatnonzero(corrected):
            idx = plan.blocks[c]
            if len(idx) > 1:
                w = weights[idx]
                loadings[idx] = w * math.sqrt(rho_a[c]) / float(w @ w) if rho_a[c] >= 0 else np.nan
    path_matrix = np.zeros((m, m))
    r2 = np.full(m, np.nan)
    for j in plan.endogenous:
        P = plan.predecessors[j]
        beta = np.linalg.solve(construct_corr[plan.predecessor_grids[j]], construct_corr[P, j])
        path_matrix[P, j] = beta
        r2[j] = float(beta @ construct_corr[P, j])
    return PLSCore(
        weights=weights,
        loadings=loadings,
        cross_loadings=SW,
        score_correlations=score_corr,
        construct_correlations=construct_corr,
        path_matrix=path_matrix,
        r2=r2,
        rho_a=rho_a,
        iterations=iterations,
        converged=converged,
    )


def fit_standardized(
    z: np.ndarray,
    plan: PLSPlan,
    *,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    max_iter: int = 300,
    tol: float = 1e-7,
) -> PLSCore:
    """Fit a PLS path model to a data array (columns in ``plan.items`` order).

    ``z`` is normally the standardized items (:meth:`PLSData.standardized`); rows resampled
    from it need not be standardized again, because the fit uses only their correlation
    matrix, which is computed here. See :func:`fit_correlation` for the rest.
    """
    return fit_correlation(
        _correlation(z),
        plan,
        estimator=estimator,
        inner_weighting=inner_weighting,
        max_iter=max_iter,
        tol=tol,
    )


def _correlation(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred
    d = np.sqrt(np.diag(cov))
    S = cov / np.outer(d, d)
    np.fill_diagonal(S, 1.0)
    return S


def _inner_weights(R: np.ndarray, plan: PLSPlan, scheme: str) -> np.ndarray:
    """``E[i, j]``: the weight of construct ``i`` in the inner proxy of construct ``j``."""
    if scheme == "centroid":
        return np.sign(R) * plan.neighbours
    E = R * plan.neighbours
    if scheme == "path":
        for j in plan.endogenous:
            P = plan.predecessors[j]
            E[P, j] = np.linalg.solve(R[plan.predecessor_grids[j]], R[P, j])
    return E


def _rho_a(w: np.ndarray, S: np.ndarray) -> float:
    """Dijkstra & Henseler's (2015) rho_A of one block (weights scaled to a unit composite)."""
    w2 = w * w
    ww = float(w2.sum())
    numerator = float(w @ S @ w) - float(w2 @ np.diagonal(S))  # w' (S - diag S) w
    denominator = ww * ww - float(w2 @ w2)  # w' (w w' - diag(w w')) w
    return ww * ww * numerator / denominator


# ----------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------


def _assessment() -> types.ModuleType:
    """:mod:`workbench.pls.assessment`, imported when first used (it imports this module)."""
    from workbench.pls import assessment

    return assessment


@dataclasses.dataclass(frozen=True)
class PLSResult(Result):
    """An estimated PLS path model.

    Attributes
    ----------
    specification : PLSModel
        The model estimated.
    estimator : {"pls", "plsc"}
    inner_weighting : {"path", "factor", "centroid"}
    n : int
        Respondents used.
    iterations : int
        Outer-weight updates made (seminr's ``iterations`` counts from 0, so it reports one
        less).
    converged : bool
        Whether the weights settled within ``max_iter`` updates.
    paths : pandas.DataFrame
        One row per path, indexed ``"source->target"``: ``source``, ``target``, ``estimate``.
    r2 : pandas.DataFrame
        Indexed by endogenous construct: ``r2`` and ``adj_r2``
        (``1 - (1 - R2)(n - 1)/(n - k - 1)`` with ``k`` predictors).
    outer_weights, outer_loadings : pandas.DataFrame
        Items x constructs, 0 off the item's own construct (seminr's ``outer_weights``,
        ``outer_loadings``). Weights give unit-variance composites; loadings are PLSc's
        consistent loadings for reflective constructs under ``plsc``.
    scores : pandas.DataFrame
        Construct (composite) scores: standardized items times the weights, unit variance;
        indexed like the respondents used.
    construct_correlations : pandas.DataFrame
        The correlations the paths are estimated from: the score correlations under ``pls``,
        disattenuated for reflective constructs under ``plsc``.
    score_correlations : pandas.DataFrame
        Correlations of the composite scores.
    indicator_correlations : pandas.DataFrame
        Correlations of the items (``S``).
    rho_a : pandas.Series
        Dijkstra-Henseler rho_A per construct (1 for single items, NaN for Mode B).
    data : PLSData
        The data used (after the missing-data treatment).
    plan, core : PLSPlan, PLSCore
        The compiled model and the unlabelled arrays of the fit (for re-estimation and the
        bootstrap).
    max_iter, tol : int, float
        The stopping settings.
    warning_messages : tuple of str
        Non-convergence, inadmissible PLSc estimates, missing-data treatment.
    """

    specification: PLSModel = dataclasses.field(repr=False)
    estimator: Estimator
    inner_weighting: InnerWeighting
    n: int
    iterations: int
    converged: bool
    paths: pd.DataFrame = dataclasses.field(repr=False)
    r2: pd.DataFrame = dataclasses.field(repr=False)
    outer_weights: pd.DataFrame = dataclasses.field(repr=False)
    outer_loadings: pd.DataFrame = dataclasses.field(repr=False)
    scores: pd.DataFrame = dataclasses.field(repr=False)
    construct_correlations: pd.DataFrame = dataclasses.field(repr=False)
    score_correlations: pd.DataFrame = dataclasses.field(repr=False)
    indicator_correlations: pd.DataFrame = dataclasses.field(repr=False)
    rho_a: pd.Series = dataclasses.field(repr=False)
    data: PLSData = dataclasses.field(repr=False)
    plan: PLSPlan = dataclasses.field(repr=False, compare=False)
    core: PLSCore = dataclasses.field(repr=False, compare=False)
    max_iter: int = 300
    tol: float = 1e-7
    warning_messages: tuple[str, ...] = ()

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """Every estimate in lavaan's layout: ``kind, lhs, op, rhs, estimate``.

        Paths ``Y ~ X``, loadings ``C =~ x``, weights ``C <~ x`` (whatever the construct's
        mode: the weight of ``x`` in the composite ``C``).
        """
        rows: list[tuple[str, str, str, str, float]] = [
            ("path", t, "~", s, float(b))
            for s, t, b in self.paths[["source", "target", "estimate"]].itertuples(index=False)
        ]
        for kind, op, table in (
            ("loading", "=~", self.outer_loadings),
            ("weight", "<~", self.outer_weights),
        ):
            for c in self.specification.constructs:
                rows += [
                    (kind, c, op, i, float(table.loc[i, c])) for i in self.specification.items[c]
                ]
        return pd.DataFrame(rows, columns=["kind", "lhs", "op", "rhs", "estimate"])

    def path_matrix(self) -> pd.DataFrame:
        """Path coefficients as seminr's ``path_coef``: sources in rows, targets in columns."""
        return pd.DataFrame(
            self.core.path_matrix,
            index=list(self.plan.constructs),
            columns=list(self.plan.constructs),
        )

    def vector(self) -> pd.Series:
        """The flat vector of estimates a bootstrap collects (see :meth:`PLSCore.vector`)."""
        return pd.Series(self.core.vector(self.plan), index=list(self.plan.vector_labels))

    # ------------------------------------------------------------------ assessment
    def reliability(self) -> pd.DataFrame:
        """alpha, rho_A, rho_C and AVE per construct (:func:`~workbench.pls.reliability`)."""
        return _assessment().reliability(self)

    def htmt(self) -> pd.DataFrame:
        """HTMT of the reflective constructs (:func:`~workbench.pls.htmt`)."""
        return _assessment().htmt(self)

    def htmt2(self) -> pd.DataFrame:
        """HTMT2, the geometric-mean variant (:func:`~workbench.pls.htmt2`)."""
        return _assessment().htmt2(self)

    def fornell_larcker(self) -> pd.DataFrame:
        """Fornell-Larcker table (:func:`~workbench.pls.fornell_larcker`)."""
        return _assessment().fornell_larcker(self)

    def cross_loadings(self) -> pd.DataFrame:
        """Correlations of every item with every construct score."""
        return _assessment().cross_loadings(self)

    def outer_vif(self) -> pd.DataFrame:
        """VIF of the items within their construct (:func:`~workbench.pls.outer_vif`)."""
        return _assessment().outer_vif(self)

    def inner_vif(self) -> pd.DataFrame:
        """VIF of each endogenous construct's predictors (:func:`~workbench.pls.inner_vif`)."""
        return _assessment().inner_vif(self)

    def f_squared(self) -> pd.DataFrame:
        """Effect size f² of every path (:func:`~workbench.pls.f_squared`)."""
        return _assessment().f_squared(self)

    def model_fit(self) -> pd.DataFrame:
        """SRMR, d_ULS and d_G (:func:`~workbench.pls.model_fit`)."""
        return _assessment().model_fit(self)

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        lines = [
            f"PLS path model ({'consistent PLS (PLSc)' if self.estimator == 'plsc' else 'PLS'}, "
            f"{self.inner_weighting} weighting), n = {self.n}, "
            f"{'converged' if self.converged else 'NOT converged'} after {self.iterations} "
            "iterations",
            "",
            "Paths:",
            self.paths[["estimate"]].to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "R2:",
            self.r2.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "Reliability:",
            self.reliability().to_string(float_format=lambda v: f"{v:.3f}"),
        ]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The estimates keyed as ``results.json``: ``paths {"X->Y": {estimate}}``, ``r2 {Y:
        {r2, adj_r2}}``, ``weights``/``loadings {construct: {item: value}}``, ``reliability
        {construct: {alpha, rho_a, rho_c, ave}}``, ``htmt {A: {B: value}}``, ``n``, settings,
        the missing-data report and the warnings."""
        spec = self.specification
        htmt_table = self.htmt()
        names = list(htmt_table.index)
        out: dict[str, Any] = {
            "estimator": self.estimator,
            "inner_weighting": self.inner_weighting,
            "n": self.n,
            "iterations": self.iterations,
            "converged": self.converged,
            "paths": {k: {"estimate": v} for k, v in self.paths["estimate"].items()},
            "r2": self.r2.to_dict(orient="index"),
            "weights": {
                c: {i: self.outer_weights.loc[i, c] for i in spec.items[c]} for c in spec.constructs
            },
            "loadings": {
                c: {i: self.outer_loadings.loc[i, c] for i in spec.items[c]}
                for c in spec.constructs
            },
            "reliability": self.reliability().to_dict(orient="index"),
            "htmt": {
                a: {b: htmt_table.loc[a, b] for b in names[k + 1 :]}
                for k, a in enumerate(names[:-1])
            },
            "missing": self.data.report(),
            "warnings": list(self.warnings),
        }
        return jsonable(out)


# ----------------------------------------------------------------------------
# The user-facing estimator
# ----------------------------------------------------------------------------


def estimate_pls(
    data: pd.DataFrame | PLSData,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    max_iter: int = 300,
    tol: float = 1e-7,
) -> PLSResult:
    """Estimate a PLS path model (PLS-SEM), or its consistent version (PLSc).

    Parameters
    ----------
    data : pandas.DataFrame or PLSData
        Respondents in rows, the model's items as numeric columns (other columns are ignored),
        or data already prepared by :func:`~workbench.pls.prepare_data`.
    model : str, dict or PLSModel
        lavaan syntax (``=~`` reflective, ``<~`` formative composite, ``~`` paths) or a
        :class:`PLSModel`; see :func:`~workbench.pls.specify_model`.
    estimator : {"pls", "plsc"}
        ``"pls"``: composites with the weights of the PLS algorithm (seminr ``composite()``).
        ``"plsc"``: reflective constructs are corrected for attenuation (Dijkstra & Henseler
        2015; seminr ``reflective()``); formative composites are not corrected.
    inner_weighting : {"path", "factor", "centroid"}
        Inner weighting scheme (seminr ``path_weighting`` / ``path_factorial``; centroid as
        Wold 1982 and SmartPLS).
    missing : {"mean", "listwise"}
        Missing answers replaced by the item mean (seminr ``mean_replacement``, the default in
        seminr and SmartPLS) or respondents dropped. Ignored when ``data`` is a PLSData.
    missing_codes : sequence of float
        Values meaning "no answer" (e.g. ``[-99]``, seminr's ``missing_value``).
    max_iter : int
        Maximum number of weight updates (seminr ``maxIt = 300``).
    tol : float
        Stop when the summed absolute change of the outer weights is below this (seminr
        ``stopCriterion = 7``, i.e. ``1e-7``).

    Returns
    -------
    PLSResult

    Raises
    ------
    InputError
        Model or data problems, naming the construct or item (see :func:`specify_model` and
        :func:`prepare_data`); predictors of a construct that are perfectly collinear.
    ValueError
        An unknown ``estimator``, ``inner_weighting`` or ``missing``, or bad ``max_iter`` /
        ``tol``.

    Warns
    -----
    PLSConvergenceWarning
        When the weights did not settle within ``max_iter`` updates (also in ``warnings``).

    Notes
    -----
    The algorithm (Wold 1982; Lohmöller 1989; Hair et al. 2022, ch. 3) as seminr 2.3's
    ``simplePLS``:

    1. Standardize the items (sample SD, divisor ``n - 1``); ``S`` is their correlation matrix.
    2. Start with unit outer weights; scale them so each composite ``Y_j = X_j w_j`` has unit
       variance.
    3. Inner approximation ``Z_j = sum_i e_ij Y_i`` over adjacent constructs: *path*
       weighting uses the OLS coefficients of ``Y_j`` on its predecessors and ``cor(Y_i, Y_j)``
       for its successors; *factor* uses ``cor(Y_i, Y_j)``; *centroid* its sign.
    4. Outer update: Mode A ``w_j = cov(X_j, Z_j)``; Mode B ``w_j = S_jj^{-1} cov(X_j, Z_j)``;
       rescale to unit composite variance.
    5. Repeat 3-4 until ``sum |w_new - w_old| < tol``.
    6. Paths: for each endogenous construct, ``beta = R_PP^{-1} r_Pj`` on the construct
       correlations ``R``; ``R2 = beta' r_Pj``. Loadings are ``cor(x, Y_j)``.

    PLSc (Dijkstra & Henseler 2015; seminr ``PLSc()``): for each reflective construct,
    ``rho_A = (w'w)^2 w'(S_jj - diag S_jj)w / w'(ww' - diag(ww'))w``; construct correlations
    ``R_ij / sqrt(rho_A_i rho_A_j)`` (rho_A = 1 for composites and single items); consistent
    loadings ``lambda_j = sqrt(rho_A_j) w_j / (w_j'w_j)``; paths and R2 from the corrected
    correlations. Weights and scores are not changed.

    References
    ----------
    Wold, H. (1982). Soft modeling: the basic design and some extensions. In K. G. Jöreskog &
    H. Wold (Eds.), *Systems under indirect observation*, part II, 1-54. North-Holland.
    Lohmöller, J.-B. (1989). *Latent variable path modeling with partial least squares*.
    Physica.
    Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path modeling.
    *MIS Quarterly*, 39(2), 297-316.
    Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on partial
    least squares structural equation modeling (PLS-SEM)* (3rd ed.). Sage.
    R: ``seminr::estimate_pls(data, measurement_model, structural_model, inner_weights =
    path_weighting, missing = mean_replacement, maxIt = 300, stopCriterion = 7)``.

    Examples
    --------
    Two constructs measured by two items each (reliability 0.5 per item); the true
    correlation of ``A`` and ``Y`` in this sample is 0.476:

    >>> rng = np.random.default_rng(1)
    >>> a = rng.normal(size=500)
    >>> y = 0.5 * a + rng.normal(scale=0.8, size=500)
    >>> d = pd.DataFrame({"a1": a + rng.normal(size=500), "a2": a + rng.normal(size=500),
    ...                   "y1": y + rng.normal(size=500), "y2": y + rng.normal(size=500)})
    >>> fit = estimate_pls(d, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A")
    >>> fit.converged, round(float(fit.paths.loc["A->Y", "estimate"]), 3)  # attenuated
    (True, 0.325)
    >>> plsc = estimate_pls(d, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A", estimator="plsc")
    >>> round(float(plsc.paths.loc["A->Y", "estimate"]), 3)  # consistent
    0.475
    """
    check_choice("estimator", estimator, ESTIMATORS)
    check_choice("inner_weighting", inner_weighting, INNER_WEIGHTINGS)
    _check_stopping(max_iter, tol)
    spec = specify_model(model)
    prepared = _prepared(data, spec, missing=missing, missing_codes=missing_codes)
    plan = PLSPlan.from_model(spec)
    z = prepared.standardized()
    S = (z.T @ z) / (len(z) - 1)
    np.fill_diagonal(S, 1.0)
    _check_formative(S, plan)
    try:
        with single_threaded_blas():
            core = fit_correlation(
                S,
                plan,
                estimator=estimator,
                inner_weighting=inner_weighting,
                max_iter=max_iter,
                tol=tol,
            )
    except np.linalg.LinAlgError as exc:
        raise InputError(
            f"The model cannot be estimated: a correlation matrix is singular ({exc}).",
            hint="Two items of a formative (Mode B) construct, or two predictors of a "
            "construct, are perfectly collinear: drop one of them.",
        ) from exc
    _check_predictors(core, plan)
    notes = list(prepared.warnings) + _admissibility(core, plan, estimator)
    if not core.converged:
        message = (
            f"The PLS algorithm did not converge within max_iter={max_iter} iterations "
            f"(tol={tol:g}); the estimates are those of the last iteration."
        )
        warnings.warn(message, PLSConvergenceWarning, stacklevel=2)
        notes.insert(0, message)
    return _result(spec, plan, core, prepared, z, estimator, inner_weighting, max_iter, tol, notes)


def _result(
    spec: PLSModel,
    plan: PLSPlan,
    core: PLSCore,
    prepared: PLSData,
    z: np.ndarray,
    estimator: Estimator,
    inner_weighting: InnerWeighting,
    max_iter: int,
    tol: float,
    notes: list[str],
) -> PLSResult:
    items, constructs = list(plan.items), list(plan.constructs)
    n = len(z)
    weight_matrix = plan.membership * core.weights[:, None]
    paths = pd.DataFrame(
        {
            "source": [s for s, _ in spec.paths],
            "target": [t for _, t in spec.paths],
            "estimate": core.path_matrix[plan.path_source, plan.path_target],
        },
        index=[f"{s}->{t}" for s, t in spec.paths],
    )
    k = np.array([len(plan.predecessors[j]) for j in plan.endogenous])
    r2 = core.r2[plan.endogenous]
    adj = 1.0 - (1.0 - r2) * (n - 1) / np.where(n - k - 1 > 0, n - k - 1, np.nan)
    return PLSResult(
        specification=spec,
        estimator=estimator,
        inner_weighting=inner_weighting,
        n=n,
        iterations=core.iterations,
        converged=core.converged,
        paths=paths,
        r2=pd.DataFrame({"r2": r2, "adj_r2": adj}, index=[constructs[j] for j in plan.endogenous]),
        outer_weights=pd.DataFrame(weight_matrix, index=items, columns=constructs),
        outer_loadings=pd.DataFrame(
            plan.membership * core.loadings[:, None], index=items, columns=constructs
        ),
        scores=pd.DataFrame(z @ weight_matrix, index=prepared.frame.index, columns=constructs),
        construct_correlations=pd.DataFrame(
            core.construct_correlations, index=constructs, columns=constructs
        ),
        score_correlations=pd.DataFrame(
            core.score_correlations, index=constructs, columns=constructs
        ),
        indicator_correlations=pd.DataFrame((z.T @ z) / (n - 1), index=items, columns=items),
        rho_a=pd.Series(core.rho_a, index=constructs, name="rho_a"),
        data=prepared,
        max_iter=max_iter,
        tol=tol,
        warning_messages=tuple(notes),
        plan=plan,
        core=core,
    )


def _check_stopping(max_iter: int, tol: float) -> None:
    """ValueError unless ``max_iter`` is a positive whole number and ``tol`` a positive number."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter={max_iter!r} is not valid: use a positive whole number")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise ValueError(f"tol={tol!r} is not valid: use a positive number, e.g. 1e-7")


_MODE_B_HINT = (
    "Mode B weights are a regression on the items: drop one of the collinear items or measure "
    "the construct reflectively ('=~')."
)


def _check_formative(S: np.ndarray, plan: PLSPlan, hint: str = _MODE_B_HINT) -> None:
    """InputError naming the pair when the items of a formative (Mode B) construct are
    perfectly collinear; ``S`` is the correlation matrix of ``plan.items``."""
    for j in np.flatnonzero(plan.mode_b):
        _check_not_collinear(
            S[plan.block_grids[j]],
            [plan.items[i] for i in plan.blocks[j]],
            f"The items of formative construct '{plan.constructs[j]}'",
            hint,
        )


def _check_predictors(core: PLSCore, plan: PLSPlan) -> None:
    """InputError naming the pair when the predictors of an endogenous construct are
    perfectly collinear in the fit ``core``."""
    for j in plan.endogenous:
        _check_not_collinear(
            core.construct_correlations[plan.predecessor_grids[j]],
            [plan.constructs[i] for i in plan.predecessors[j]],
            f"The predictors of '{plan.constructs[j]}'",
            "Its paths are a regression on these constructs: drop one of the collinear "
            "predictors from the structural model.",
        )


def _check_not_collinear(R: np.ndarray, names: list[str], what: str, hint: str) -> None:
    """InputError when a correlation matrix is (numerically) singular, naming the pair."""
    if len(names) < 2:
        return
    eigenvalues = np.linalg.eigvalsh(R)
    if eigenvalues[0] > 1e-10 * max(eigenvalues[-1], 1.0):
        return
    off = np.abs(R - np.eye(len(R)))
    i, k = np.unravel_index(int(np.argmax(off)), off.shape)
    raise InputError(
        f"{what} are perfectly collinear ({names[i]} and {names[k]} correlate "
        f"{R[i, k]:.4f}; smallest eigenvalue {eigenvalues[0]:.1e}).",
        hint=hint,
    )


def _admissibility(core: PLSCore, plan: PLSPlan, estimator: str) -> list[str]:
    """Warnings about estimates outside their admissible range (mostly PLSc)."""
    notes = []
    constructs = plan.constructs
    if estimator == "plsc":
        for c in np.flatnonzero(plan.reflective):
            rho = core.rho_a[c]
            if not np.isfinite(rho) or rho <= 0:
                notes.append(
                    f"rho_A of '{constructs[c]}' is not positive ({rho:.3f}): PLSc cannot correct "
                    "it and its estimates are not admissible; check its items (reverse-coded?)."
                )
            elif rho > 1:
                notes.append(
                    f"rho_A of '{constructs[c]}' exceeds 1 ({rho:.3f}): its PLSc correction is "
                    "not admissible."
                )
        R = core.construct_correlations
        m = len(constructs)
        for i in range(m):
            for j in range(i + 1, m):
                if abs(R[i, j]) > 1:
                    notes.append(
                        f"The corrected correlation of '{constructs[i]}' and '{constructs[j]}' is "
                        f"{R[i, j]:.3f} (beyond +-1): the PLSc solution is not admissible."
                    )
        heywood = sorted(
            {constructs[plan.item_construct[i]] for i in np.flatnonzero(np.abs(core.loadings) > 1)}
        )
        if heywood:
            notes.append(f"Consistent loadings above 1 (Heywood case) in: {', '.join(heywood)}.")
    bad_r2 = [constructs[j] for j in plan.endogenous if not 0 <= core.r2[j] <= 1]
    if bad_r2:
        notes.append(f"R2 outside [0, 1] for: {', '.join(bad_r2)} (inadmissible solution).")
    return notes
