"""Moderation in PLS path models: interaction terms ``Y ~ X + M + X:M``.

A moderated path model is written in lavaan syntax with ``:`` between the two constructs of an
interaction term (the independent variable first, the moderator second)::

    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Image        =~ IMAG1 + IMAG2 + IMAG3
    Expectation  =~ CUEX1 + CUEX2 + CUEX3
    Satisfaction ~ Image + Expectation + Image:Expectation

:func:`estimate_interaction` builds the interaction construct ``Image:Expectation`` with one of
the three methods seminr offers (``interaction_method``):

``two_stage`` (default; seminr ``interaction_term(iv, moderator, method = two_stage)``)
    Stage 1 estimates the model without the interaction terms; the product of the two
    (standardized) construct scores becomes the single item of the interaction construct in
    stage 2 (Henseler & Chin 2010; Hair et al. 2022, ch. 7).
``product_indicator`` (seminr ``product_indicator``)
    Every product of a standardized item of ``X`` and a standardized item of ``M`` is an item
    of the interaction construct (Henseler & Chin 2010).
``orthogonal`` (seminr ``orthogonal``)
    The product indicators, each replaced by its residual from an OLS regression on all items
    of ``X`` and ``M`` (residual centring, Little, Bovaird & Widaman 2006), so the interaction
    items are uncorrelated with the first-order items.

The interaction construct is a Mode A composite (seminr's default ``weights = mode_A``), never
corrected by PLSc (seminr takes interaction terms as fully reliable, rho_A = 1).

The whole procedure, both stages, is a function of the data rows:
:class:`InteractionProcedure` (``procedure.vector(z)`` or ``procedure.statistic(z)(rows)``) is
what a bootstrap calls per resample, so stage 1 is re-run on every resample, as it must be.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.pls.data import Missing, PLSData, _prepared, standardize
from workbench.pls.estimation import (
    ESTIMATORS,
    INNER_WEIGHTINGS,
    Estimator,
    InnerWeighting,
    PLSConvergenceWarning,
    PLSCore,
    PLSPlan,
    PLSResult,
    _admissibility,
    _check_formative,
    _check_predictors,
    _check_stopping,
    _correlation,
    _result,
    fit_correlation,
)
from workbench.pls.specification import Measurement, PLSModel, _build, _parse
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = [
    "INTERACTION_METHODS",
    "InteractionCore",
    "InteractionMethod",
    "InteractionModel",
    "InteractionProcedure",
    "InteractionResult",
    "InteractionTerm",
    "estimate_interaction",
    "specify_interaction_model",
]

InteractionMethod = Literal["two_stage", "orthogonal", "product_indicator"]
INTERACTION_METHODS = ("two_stage", "orthogonal", "product_indicator")
#: moderator values (in standard deviations) of the simple slopes, as seminr's slope_analysis
MODERATOR_LEVELS = (-1.0, 0.0, 1.0)
MODERATOR_LABELS = ("-1 SD", "mean", "+1 SD")
_SLOPE_TAGS = ("-1SD", "mean", "+1SD")


# ----------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InteractionTerm:
    """One interaction term ``iv:moderator`` and the constructs it points to.

    Attributes
    ----------
    name : str
        ``"X:M"`` as written (the construct's name in stage 2 and in path labels).
    iv, moderator : str
        The independent variable ``X`` and the moderator ``M``.
    targets : tuple of str
        The constructs with a path from the term (``Y`` in ``Y ~ X + M + X:M``).
    """

    name: str
    iv: str
    moderator: str
    targets: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class InteractionModel:
    """A PLS path model with interaction terms.

    Attributes
    ----------
    base : PLSModel
        The model without the interaction terms (seminr's first-stage model).
    terms : tuple of InteractionTerm
        The interaction terms, in the order first written.
    paths : tuple of (str, str)
        All structural paths in written order, interaction terms included (``("X:M", "Y")``).
    syntax : str
        The model as given.
    """

    base: PLSModel
    terms: tuple[InteractionTerm, ...]
    paths: tuple[tuple[str, str], ...]
    syntax: str = ""

    def interaction_items(
        self, term: InteractionTerm, method: InteractionMethod
    ) -> tuple[str, ...]:
        """The item names of an interaction construct under ``method``.

        ``two_stage``: one item ``"X:M_intxn"`` (seminr's ``X*M_intxn``); the other methods:
        ``"x1:m1", "x1:m2", ...``, every item of ``X`` with every item of ``M`` (``X``'s items
        outermost, as seminr orders them).
        """
        if method == "two_stage":
            return (f"{term.name}_intxn",)
        return tuple(
            f"{x}:{m}" for x in self.base.items[term.iv] for m in self.base.items[term.moderator]
        )

    def stage_two(self, method: InteractionMethod) -> PLSModel:
        """The model estimated in the last stage: the base model plus the interaction constructs."""
        blocks = {c: list(self.base.items[c]) for c in self.base.constructs}
        measurement: dict[str, Measurement] = dict(self.base.measurement)
        taken = set(self.base.all_items)
        for term in self.terms:
            items = list(self.interaction_items(term, method))
            clash = [i for i in items if i in taken]
            if clash:
                raise InputError(
                    f"The interaction item name '{clash[0]}' of '{term.name}' is already a column "
                    "of the model.",
                    column=clash[0],
                    hint="Rename that column (names with ':' are reserved for interaction items).",
                )
            blocks[term.name] = items
            measurement[term.name] = "reflective"  # Mode A; PLSc never corrects it (see plan)
        return _build(blocks, measurement, list(self.paths), "")

    def main_effects(self) -> set[tuple[str, str]]:
        """The paths ``X -> Y`` and ``M -> Y`` of every term ``X:M -> Y``."""
        return {
            (c, t) for term in self.terms for t in term.targets for c in (term.iv, term.moderator)
        }


def specify_interaction_model(model: str | InteractionModel) -> InteractionModel:
    """Parse and validate a PLS path model with interaction terms (``Y ~ X + M + X:M``).

    Parameters
    ----------
    model : str or InteractionModel
        lavaan syntax as :func:`~workbench.pls.specify_model` reads it, with interaction terms
        ``X:M`` on the right of ``~``. An :class:`InteractionModel` is returned unchanged.

    Returns
    -------
    InteractionModel

    Raises
    ------
    InputError
        Naming the term or construct: an interaction term of more or fewer than two
        constructs, naming an unknown construct, or used as an outcome; a term whose main
        effects ``X -> Y`` and ``M -> Y`` are not both in the model (Hair et al. 2022, ch. 7:
        the main effects must be estimated with the interaction); a model without interaction
        terms; a higher-order construct (use :func:`~workbench.pls.estimate_higher_order`,
        which takes interaction terms too); and every problem :func:`specify_model` reports.

    Examples
    --------
    >>> m = specify_interaction_model("X =~ x1 + x2; M =~ m1; Y =~ y1; Y ~ X + M + X:M")
    >>> m.terms[0]
    InteractionTerm(name='X:M', iv='X', moderator='M', targets=('Y',))
    >>> m.base.paths
    (('X', 'Y'), ('M', 'Y'))
    """
    if isinstance(model, InteractionModel):
        return model
    if not isinstance(model, str):
        raise TypeError(
            f"model must be lavaan syntax (str) or an InteractionModel, not {type(model).__name__}"
        )
    blocks, measurement, path_list = _parse(model)
    for construct, items in blocks.items():
        nested = [i for i in items if i in blocks]
        if nested:
            raise InputError(
                f"Construct '{construct}' is measured by construct '{nested[0]}' (a higher-order "
                "construct).",
                hint="Estimate the model with workbench.pls.estimate_higher_order(data, model, "
                "interaction_method=...), which handles interaction terms as well.",
            )
    return _interaction_model(blocks, measurement, path_list, model.strip())


def _interaction_model(
    blocks: Mapping[str, Sequence[str]],
    measurement: Mapping[str, Measurement],
    path_list: Sequence[tuple[str, str]],
    syntax: str,
) -> InteractionModel:
    """Split the interaction terms from the paths and validate both parts."""
    terms: dict[str, list[Any]] = {}
    spelled: dict[frozenset[str] | tuple[str, str], str] = {}
    base_paths: list[tuple[str, str]] = []
    paths: list[tuple[str, str]] = []
    for source, target in path_list:
        if ":" in target and target not in blocks:
            raise InputError(
                f"The interaction term '{target}' is used as an outcome ('{target} ~ ...').",
                hint="An interaction term can only predict: write 'Y ~ X + M + X:M'.",
            )
        if ":" in source and source not in blocks:
            parts = source.split(":")
            if len(parts) != 2 or not all(parts):
                raise InputError(
                    f"'{source}' is not an interaction of two constructs.",
                    hint="Write a two-way interaction as 'X:M'; three-way interactions are not "
                    "supported.",
                )
            for part in parts:
                if part not in blocks:
                    close = difflib.get_close_matches(part, list(blocks), n=3, cutoff=0.6)
                    raise InputError(
                        f"The interaction term '{source}' names construct '{part}', which has no "
                        "items in the model.",
                        hint=(f"Did you mean {' or '.join(map(repr, close))}? " if close else "")
                        + f"The constructs are: {', '.join(blocks)}.",
                    )
            iv, moderator = parts
            key: frozenset[str] | tuple[str, str] = (
                frozenset(parts) if iv != moderator else (iv, iv)
            )
            name = spelled.setdefault(key, source)
            if name not in terms:
                terms[name] = [iv, moderator, []]
            if target not in terms[name][2]:
                terms[name][2].append(target)
            if (name, target) not in paths:
                paths.append((name, target))
        else:
            base_paths.append((source, target))
            if (source, target) not in paths:
                paths.append((source, target))
    if not terms:
        raise InputError(
            "The model has no interaction term ('X:M').",
            hint="Write the moderated regression as 'Y ~ X + M + X:M', or estimate the model "
            "with workbench.pls.estimate_pls.",
        )
    for name, (iv, moderator, targets) in terms.items():
        for target in targets:
            absent = [c for c in dict.fromkeys((iv, moderator)) if (c, target) not in base_paths]
            if absent:
                raise InputError(
                    f"The interaction term {name} -> {target} lacks the main effect "
                    f"{absent[0]} -> {target}.",
                    hint=f"Estimate the main effects with the interaction (Hair et al. 2022, "
                    f"ch. 7): write '{target} ~ {iv} + "
                    + (f"{moderator} + " if moderator != iv else "")
                    + f"{name}'.",
                )
    base = _build({c: list(items) for c, items in blocks.items()}, measurement, base_paths, "")
    return InteractionModel(
        base=base,
        terms=tuple(
            InteractionTerm(name=n, iv=iv, moderator=mod, targets=tuple(t))
            for n, (iv, mod, t) in terms.items()
        ),
        paths=tuple(paths),
        syntax=syntax,
    )


# ----------------------------------------------------------------------------
# The procedure: both stages as a function of the data
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class InteractionCore:
    """The arrays of one fit of a moderated model.

    Attributes
    ----------
    first_stage : PLSCore or None
        The stage-1 fit (the model without interaction terms), ``two_stage`` only.
    core : PLSCore
        The last-stage fit (the model with the interaction constructs).
    interaction_data : numpy.ndarray
        ``(n, q)`` the generated interaction items, in the order of the stage-2 plan.
    """

    first_stage: PLSCore | None
    core: PLSCore
    interaction_data: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class InteractionProcedure:
    """A moderated PLS model compiled once and fitted to any data rows.

    Build it with :meth:`from_model`. :meth:`fit` takes the base model's items (columns in
    :attr:`items` order; standardized or not, and typically resampled rows), regenerates the
    interaction items from those rows (re-running stage 1 for ``two_stage``) and fits the last
    stage. :meth:`vector` flattens a fit to the estimates a bootstrap collects, labelled by
    :attr:`vector_labels`; :meth:`statistic` wraps it as ``rows -> vector`` for a resampling
    engine.

    Attributes
    ----------
    model : InteractionModel
    method : {"two_stage", "orthogonal", "product_indicator"}
    base_plan : PLSPlan
        The compiled model without interaction terms (stage 1).
    plan : PLSPlan
        The compiled last-stage model. Its interaction constructs are Mode A composites that
        PLSc does not correct (``plan.reflective`` is False for them), as in seminr.
    vector_labels : tuple of str
        ``plan.vector_labels`` (``path:X:M->Y``, ``weight:X:M:x1:m1``, ...) followed by the
        simple slopes ``slope:X->Y|M=-1SD``, ``...|M=mean``, ``...|M=+1SD``.
    """

    model: InteractionModel
    method: InteractionMethod
    estimator: Estimator
    inner_weighting: InnerWeighting
    max_iter: int
    tol: float
    base_plan: PLSPlan
    plan: PLSPlan
    vector_labels: tuple[str, ...]
    # per term: item positions of X and M in base_plan.items, construct positions in base_plan
    _term_items: tuple[tuple[np.ndarray, np.ndarray], ...]
    _term_constructs: tuple[tuple[int, int], ...]
    # (iv, moderator, term, target) construct positions in plan, one row per term and target
    _slope_index: np.ndarray
    _interaction_constructs: np.ndarray

    @classmethod
    def from_model(
        cls,
        model: str | InteractionModel,
        *,
        interaction_method: InteractionMethod = "two_stage",
        estimator: Estimator = "pls",
        inner_weighting: InnerWeighting = "path",
        max_iter: int = 300,
        tol: float = 1e-7,
    ) -> InteractionProcedure:
        """Compile a moderated model (settings as :func:`estimate_interaction`)."""
        check_choice("interaction_method", interaction_method, INTERACTION_METHODS)
        check_choice("estimator", estimator, ESTIMATORS)
        check_choice("inner_weighting", inner_weighting, INNER_WEIGHTINGS)
        spec = specify_interaction_model(model)
        base_plan = PLSPlan.from_model(spec.base)
        stage_two = spec.stage_two(interaction_method)
        plan = PLSPlan.from_model(stage_two)
        term_names = [t.name for t in spec.terms]
        is_term = np.array([c in term_names for c in plan.constructs])
        plan = dataclasses.replace(plan, reflective=plan.reflective & ~is_term)
        position = {item: i for i, item in enumerate(base_plan.items)}
        term_items = tuple(
            (
                np.array([position[i] for i in spec.base.items[t.iv]], dtype=np.intp),
                np.array([position[i] for i in spec.base.items[t.moderator]], dtype=np.intp),
            )
            for t in spec.terms
        )
        term_constructs = tuple(
            (base_plan.constructs.index(t.iv), base_plan.constructs.index(t.moderator))
            for t in spec.terms
        )
        index = {c: j for j, c in enumerate(plan.constructs)}
        rows = [
            (index[t.iv], index[t.moderator], index[t.name], index[y])
            for t in spec.terms
            for y in t.targets
        ]
        labels = list(plan.vector_labels) + [
            f"slope:{t.iv}->{y}|{t.moderator}={tag}"
            for t in spec.terms
            for y in t.targets
            for tag in _SLOPE_TAGS
        ]
        return cls(
            model=spec,
            method=interaction_method,
            estimator=estimator,
            inner_weighting=inner_weighting,
            max_iter=max_iter,
            tol=tol,
            base_plan=base_plan,
            plan=plan,
            vector_labels=tuple(labels),
            _term_items=term_items,
            _term_constructs=term_constructs,
            _slope_index=np.array(rows, dtype=np.intp).reshape(-1, 4),
            _interaction_constructs=np.flatnonzero(is_term),
        )

    @property
    def items(self) -> tuple[str, ...]:
        """The columns :meth:`fit` takes: the base model's items, construct by construct."""
        return self.base_plan.items

    # ------------------------------------------------------------------ fitting
    def generate(self, z: np.ndarray) -> tuple[np.ndarray, PLSCore | None]:
        """The interaction items for the rows ``z`` (and the stage-1 fit under ``two_stage``).

        Parameters
        ----------
        z : numpy.ndarray
            ``(n, p)`` the base model's items in :attr:`items` order.

        Returns
        -------
        interaction_data : numpy.ndarray
            ``(n, q)`` the interaction items, term by term (see
            :meth:`InteractionModel.interaction_items`).
        first_stage : PLSCore or None
        """
        zs = standardize(z)
        columns: list[np.ndarray] = []
        first: PLSCore | None = None
        if self.method == "two_stage":
            first = fit_correlation(
                _correlation(zs),
                self.base_plan,
                estimator="pls",
                inner_weighting=self.inner_weighting,
                max_iter=self.max_iter,
                tol=self.tol,
            )
            scores = zs @ (self.base_plan.membership * first.weights[:, None])
            for ix, im in self._term_constructs:
                columns.append((scores[:, ix] * scores[:, im])[:, None])
        else:
            n = len(zs)
            for x_idx, m_idx in self._term_items:
                products = (zs[:, x_idx][:, :, None] * zs[:, m_idx][:, None, :]).reshape(n, -1)
                if self.method == "orthogonal":
                    design = np.column_stack([np.ones(n), zs[:, x_idx], zs[:, m_idx]])
                    coef = np.linalg.lstsq(design, products, rcond=None)[0]
                    products = products - design @ coef
                columns.append(products)
        return np.hstack(columns), first

    def fit(self, z: np.ndarray) -> InteractionCore:
        """Fit both stages to the rows ``z`` (base items in :attr:`items` order)."""
        extra, first = self.generate(z)
        S = _correlation(np.hstack([standardize(z), extra]))
        core = fit_correlation(
            S,
            self.plan,
            estimator=self.estimator,
            inner_weighting=self.inner_weighting,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        rho_a = core.rho_a.copy()
        rho_a[self._interaction_constructs] = 1.0  # seminr: interaction terms have rho_A = 1
        return InteractionCore(
            first_stage=first,
            core=dataclasses.replace(core, rho_a=rho_a),
            interaction_data=extra,
        )

    def slopes(self, core: PLSCore) -> np.ndarray:
        """Simple slopes ``b_X + b_XM * m`` at ``m = -1, 0, +1`` SD of the moderator.

        Returns a ``(k, 3)`` array, one row per (term, target) in model order.
        """
        B = core.path_matrix
        ix, _, ii, iy = self._slope_index.T
        levels = np.asarray(MODERATOR_LEVELS)
        return B[ix, iy][:, None] + B[ii, iy][:, None] * levels[None, :]

    def vector(self, z: np.ndarray) -> np.ndarray:
        """The last-stage estimates and the simple slopes of rows ``z`` (:attr:`vector_labels`)."""
        fitted = self.fit(z).core
        return np.concatenate([fitted.vector(self.plan), self.slopes(fitted).ravel()])

    def statistic(self, z: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``rows -> vector(z[rows])``: the function a row-resampling bootstrap calls.

        >>> proc = InteractionProcedure.from_model("X =~ x1 + x2; Y =~ y1; Y ~ X + X:X")
        >>> rng = np.random.default_rng(0)
        >>> z = rng.normal(size=(50, 3))
        >>> statistic = proc.statistic(z)
        >>> statistic(rng.integers(0, 50, size=50)).shape == (len(proc.vector_labels),)
        True
        """
        data = np.asarray(z, dtype=float)
        return lambda rows: self.vector(data[rows])


# ----------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InteractionResult(Result):
    """An estimated moderated PLS path model.

    Attributes
    ----------
    specification : InteractionModel
        The model estimated.
    interaction_method : {"two_stage", "orthogonal", "product_indicator"}
    result : PLSResult
        The last stage: the model with its interaction constructs (paths, R², weights,
        loadings, reliability, HTMT, ... as for any PLS model; interaction constructs have
        ``rho_a`` 1, as seminr reports them).
    first_stage : PLSResult or None
        The stage-1 model without interaction terms (``two_stage`` only; plain PLS, whose
        scores PLSc would not change).
    interactions : pandas.DataFrame
        One row per interaction path, indexed ``"X:M->Y"``: ``interaction``, ``iv``,
        ``moderator``, ``target``, ``estimate`` (the interaction path), ``iv_effect`` and
        ``moderator_effect`` (the main effects ``X -> Y``, ``M -> Y``).
    slopes : pandas.DataFrame
        Simple slopes: ``interaction``, ``iv``, ``moderator``, ``target``, ``moderator_at``
        (``"-1 SD"``, ``"mean"``, ``"+1 SD"``), ``moderator_value`` (-1, 0, 1) and ``slope``
        ``= b_X + b_XM * moderator_value``.
    slope_plot : pandas.DataFrame
        The simple-slope plot's lines: ``interaction``, ``target``, ``moderator_at``,
        ``moderator_value``, ``iv_value`` (-1, 0, 1 SD) and ``predicted``
        ``= b_X x + b_M m + b_XM x m`` (standardized units), as seminr's ``slope_analysis``.
    procedure : InteractionProcedure
        The compiled procedure (both stages as a function of the data) for the bootstrap.
    warning_messages : tuple of str
    """

    specification: InteractionModel = dataclasses.field(repr=False)
    interaction_method: InteractionMethod
    result: PLSResult = dataclasses.field(repr=False)
    first_stage: PLSResult | None = dataclasses.field(repr=False)
    interactions: pd.DataFrame = dataclasses.field(repr=False)
    slopes: pd.DataFrame = dataclasses.field(repr=False)
    slope_plot: pd.DataFrame = dataclasses.field(repr=False)
    procedure: InteractionProcedure = dataclasses.field(repr=False, compare=False)
    warning_messages: tuple[str, ...] = ()

    @property
    def paths(self) -> pd.DataFrame:
        """All path coefficients of the last stage (``source``, ``target``, ``estimate``)."""
        return self.result.paths

    @property
    def r2(self) -> pd.DataFrame:
        """R² and adjusted R² of the endogenous constructs (last stage)."""
        return self.result.r2

    def to_frame(self) -> pd.DataFrame:
        """The paths, with ``interaction`` True for the interaction terms' paths."""
        table = self.result.paths.copy()
        names = {t.name for t in self.specification.terms}
        table["interaction"] = table["source"].isin(names)
        return table

    def vector(self) -> pd.Series:
        """The flat vector of estimates a bootstrap collects (:attr:`procedure`'s labels)."""
        z = self.first_order_data()
        return pd.Series(self.procedure.vector(z), index=list(self.procedure.vector_labels))

    def first_order_data(self) -> np.ndarray:
        """The base model's items as prepared (not standardized): the rows the procedure fits."""
        return self.result.data.frame.loc[:, list(self.procedure.items)].to_numpy(dtype=float)

    def f_squared(self) -> pd.DataFrame:
        """Cohen's f² of every path, re-running the whole procedure without it (as seminr).

        ``f² = (R²_included - R²_excluded) / (1 - R²_included)``, where ``R²_excluded`` comes
        from the model re-estimated without the path, both stages included. A main effect
        ``X -> Y`` of an interaction term ``X:M -> Y`` gets NaN: removing it while keeping the
        interaction is not a meaningful model (seminr reports NA). Removing the interaction
        path itself gives the model without the interaction term.

        Returns
        -------
        pandas.DataFrame
            Indexed ``"source->target"``: ``source``, ``target``, ``r2_included``,
            ``r2_excluded``, ``f2``.

        References
        ----------
        Cohen (1988); Hair et al. (2022), ch. 6-7. R: ``summary(seminr_model)$fSquare`` of a
        model with ``interaction_term()`` (seminr 2.3).
        """
        z = self.first_order_data()
        items = list(self.procedure.items)
        main = self.specification.main_effects()
        rows = []
        for source, target in self.specification.paths:
            included = float(self.result.r2.loc[target, "r2"])
            if (source, target) in main:
                rows.append((source, target, included, math.nan, math.nan))
                continue
            excluded = _r2_without(self, (source, target), z, items, target)
            rows.append(
                (source, target, included, excluded, (included - excluded) / (1.0 - included))
            )
        return pd.DataFrame(
            rows,
            index=[f"{s}->{t}" for s, t in self.specification.paths],
            columns=["source", "target", "r2_included", "r2_excluded", "f2"],
        )

    def summary(self) -> str:
        result = self.result
        lines = [
            f"Moderated PLS path model ({_METHOD_NAMES[self.interaction_method]}; "
            f"{'consistent PLS (PLSc)' if result.estimator == 'plsc' else 'PLS'}, "
            f"{result.inner_weighting} weighting), n = {result.n}",
            "",
            "Paths:",
            self.to_frame()[["estimate"]].to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "R2:",
            result.r2.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "Simple slopes (effect of the independent variable at the moderator's level):",
            self.slopes.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``interaction_method``, ``paths {"X->Y": {estimate}}``, ``r2``, ``interactions
        {"X:M->Y": {estimate, slopes {"-1 SD", "mean", "+1 SD"}}}``, the last stage's full
        ``to_dict()`` under ``model`` and the warnings."""
        interactions = {}
        for key, row in self.interactions.iterrows():
            chosen = self.slopes[
                (self.slopes["interaction"] == row["interaction"])
                & (self.slopes["target"] == row["target"])
            ]
            interactions[str(key)] = {
                "estimate": row["estimate"],
                "slopes": dict(zip(chosen["moderator_at"], chosen["slope"], strict=True)),
            }
        return jsonable(
            {
                "interaction_method": self.interaction_method,
                "paths": {k: {"estimate": v} for k, v in self.result.paths["estimate"].items()},
                "r2": self.result.r2.to_dict(orient="index"),
                "interactions": interactions,
                "model": self.result.to_dict(),
                "warnings": list(self.warnings),
            }
        )


_METHOD_NAMES = {
    "two_stage": "two-stage interaction term",
    "orthogonal": "orthogonalized product indicators",
    "product_indicator": "standardized product indicators",
}


def _r2_without(
    fitted: InteractionResult,
    path: tuple[str, str],
    z: np.ndarray,
    items: list[str],
    target: str,
) -> float:
    """R² of ``target`` when the moderated model is re-estimated without ``path``."""
    spec = fitted.specification
    kept = [p for p in spec.paths if p != path]
    names = {t.name: t for t in spec.terms}
    linked: set[str] = set()
    for s, t in kept:
        linked |= {names[s].iv, names[s].moderator, t} if s in names else {s, t}
    if target not in {t for _, t in kept}:
        return 0.0
    base = spec.base
    blocks = {c: list(base.items[c]) for c in base.constructs if c in linked}
    measurement = {c: base.measurement[c] for c in blocks}
    columns = [items.index(i) for c in blocks for i in blocks[c]]
    last = fitted.result
    if any(s in names for s, _ in kept):
        reduced = _interaction_model(blocks, measurement, kept, "")
        procedure = InteractionProcedure.from_model(
            reduced,
            interaction_method=fitted.interaction_method,
            estimator=last.estimator,
            inner_weighting=last.inner_weighting,
            max_iter=last.max_iter,
            tol=last.tol,
        )
        core = procedure.fit(z[:, columns]).core
        return float(core.r2[procedure.plan.constructs.index(target)])
    model = _build(blocks, measurement, kept, "")
    plan = PLSPlan.from_model(model)
    core = fit_correlation(
        _correlation(z[:, columns]),
        plan,
        estimator=last.estimator,
        inner_weighting=last.inner_weighting,
        max_iter=last.max_iter,
        tol=last.tol,
    )
    return float(core.r2[plan.constructs.index(target)])


# ----------------------------------------------------------------------------
# The user-facing estimator
# ----------------------------------------------------------------------------


def estimate_interaction(
    data: pd.DataFrame | PLSData,
    model: str | InteractionModel,
    *,
    interaction_method: InteractionMethod = "two_stage",
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    max_iter: int = 300,
    tol: float = 1e-7,
) -> InteractionResult:
    """Estimate a PLS path model with interaction terms (moderation).

    Parameters
    ----------
    data : pandas.DataFrame or PLSData
        Respondents in rows, the items of the model (without interaction terms) as numeric
        columns, or data prepared by :func:`~workbench.pls.prepare_data` for
        ``InteractionModel.base``.
    model : str or InteractionModel
        lavaan syntax with interaction terms: ``Y ~ X + M + X:M`` (see
        :func:`specify_interaction_model`).
    interaction_method : {"two_stage", "orthogonal", "product_indicator"}
        How the interaction construct is measured (see Notes).
    estimator, inner_weighting, missing, missing_codes, max_iter, tol
        As :func:`~workbench.pls.estimate_pls`. Missing answers are treated once, on the
        first-order items, before any product is formed.

    Returns
    -------
    InteractionResult

    Raises
    ------
    InputError
        Model or data problems, naming the construct, term or item.
    ValueError
        An unknown ``interaction_method``, ``estimator``, ``inner_weighting`` or ``missing``.

    Warns
    -----
    PLSConvergenceWarning
        When a stage did not converge within ``max_iter`` updates (also in ``warnings``).

    Notes
    -----
    With standardized items ``z`` and, for ``two_stage``, stage-1 construct scores
    ``Y = Z W`` (unit variance) of the model without interaction terms:

    * ``two_stage``: one item ``Y_X * Y_M`` (Henseler & Chin 2010); seminr
      ``interaction_term(iv, moderator, method = two_stage)``, SmartPLS "two-stage".
    * ``product_indicator``: items ``z_{x_i} z_{m_j}`` for all pairs (Henseler & Chin 2010);
      seminr ``method = product_indicator``, SmartPLS "product indicator" (standardized).
    * ``orthogonal``: items ``e_ij = z_{x_i} z_{m_j} - \\hat z_{x_i} z_{m_j}``, the residuals
      of OLS regressions of each product on all items of ``X`` and ``M`` with an intercept
      (Little, Bovaird & Widaman 2006); seminr ``method = orthogonal``, SmartPLS
      "orthogonalizing".

    The last stage estimates the model with the interaction construct (Mode A) like any PLS
    model (the items are standardized again there); the interaction construct is not corrected
    under PLSc (rho_A = 1, as seminr; Becker et al. 2018 document the remaining bias).

    Simple slopes (Aiken & West 1991; Hair et al. 2022, ch. 7): the effect of ``X`` on ``Y``
    with the moderator ``m`` standard deviations from its mean is ``b_X + b_XM m``; the plot's
    lines are ``b_X x + b_M m + b_XM x m`` for ``m = -1, 0, +1``, computed from the
    standardized path coefficients as seminr's ``slope_analysis()`` and SmartPLS's simple slope
    plot do.

    References
    ----------
    Henseler, J., & Chin, W. W. (2010). A comparison of approaches for the analysis of
    interaction effects between latent variables using partial least squares path modeling.
    *Structural Equation Modeling*, 17(1), 82-109.
    Little, T. D., Bovaird, J. A., & Widaman, K. F. (2006). On the merits of orthogonalizing
    powered and product terms. *Structural Equation Modeling*, 13(4), 497-519.
    Becker, J.-M., Ringle, C. M., & Sarstedt, M. (2018). Estimating moderating effects in
    PLS-SEM and PLSc-SEM: interaction term generation*data treatment. *Journal of Applied
    Structural Equation Modeling*, 2(2), 1-21.
    Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on partial
    least squares structural equation modeling (PLS-SEM)* (3rd ed.), ch. 7. Sage.
    R: ``seminr::estimate_pls(data, constructs(..., interaction_term(iv = "X", moderator =
    "M", method = two_stage)), relationships(paths(from = c("X", "M", "X*M"), to = "Y")))``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> n = 400
    >>> x, m = rng.normal(size=n), rng.normal(size=n)
    >>> y = 0.4 * x + 0.2 * m + 0.3 * x * m + rng.normal(scale=0.7, size=n)
    >>> d = pd.DataFrame({"x1": x + rng.normal(scale=.5, size=n),
    ...                   "x2": x + rng.normal(scale=.5, size=n),
    ...                   "m1": m + rng.normal(scale=.5, size=n),
    ...                   "m2": m + rng.normal(scale=.5, size=n), "y1": y})
    >>> fit = estimate_interaction(d, "X =~ x1 + x2; M =~ m1 + m2; Y =~ y1; Y ~ X + M + X:M")
    >>> fit.interactions.loc["X:M->Y", "estimate"] > 0.15
    np.True_
    >>> fit.slopes["slope"].is_monotonic_increasing  # the effect of X grows with M
    True
    """
    _check_stopping(max_iter, tol)
    procedure = InteractionProcedure.from_model(
        model,
        interaction_method=interaction_method,
        estimator=estimator,
        inner_weighting=inner_weighting,
        max_iter=max_iter,
        tol=tol,
    )
    prepared = _prepared(data, procedure.model.base, missing=missing, missing_codes=missing_codes)
    return _fit_interaction(procedure, prepared, stacklevel=3)


def _fit_interaction(
    procedure: InteractionProcedure,
    prepared: PLSData,
    *,
    stacklevel: int = 2,
    notes: Sequence[str] = (),
) -> InteractionResult:
    """Fit a compiled procedure to prepared data and label everything."""
    items = list(procedure.items)
    frame = prepared.frame.loc[:, items]
    prepared = dataclasses.replace(prepared, frame=frame)
    z = prepared.standardized()
    plan = procedure.plan
    _check_formative(_correlation(z), procedure.base_plan)
    try:
        with single_threaded_blas():
            fitted = procedure.fit(z)
    except np.linalg.LinAlgError as exc:
        raise InputError(
            f"The moderated model cannot be estimated: a correlation matrix is singular ({exc}).",
            hint="Two items of a formative construct, or two predictors of a construct, are "
            "perfectly collinear: drop one of them.",
        ) from exc
    core = fitted.core
    _check_predictors(core, plan)
    extra_items = list(plan.items[len(items) :])
    frame2 = pd.concat(
        [frame, pd.DataFrame(fitted.interaction_data, index=frame.index, columns=extra_items)],
        axis=1,
    )
    prepared2 = dataclasses.replace(prepared, frame=frame2)
    z2 = prepared2.standardized()
    messages = list(notes) + list(prepared.warnings)
    for stage, part in (("stage 1", fitted.first_stage), ("the last stage", core)):
        if part is not None and not part.converged:
            message = (
                f"The PLS algorithm did not converge in {stage} of the interaction model within "
                f"max_iter={procedure.max_iter} iterations (tol={procedure.tol:g})."
            )
            warnings.warn(message, PLSConvergenceWarning, stacklevel=stacklevel + 1)
            messages.insert(0, message)
    messages += _admissibility(core, plan, procedure.estimator)
    if procedure.estimator == "plsc":
        messages.append(
            "PLSc with interaction terms: the interaction constructs are not corrected (rho_A = "
            "1, as seminr); Becker et al. (2018) report some bias in this case."
        )
    last = _result(
        procedure.plan.model,
        plan,
        core,
        prepared2,
        z2,
        procedure.estimator,
        procedure.inner_weighting,
        procedure.max_iter,
        procedure.tol,
        [],
    )
    first = None
    if fitted.first_stage is not None:
        first = _result(
            procedure.model.base,
            procedure.base_plan,
            fitted.first_stage,
            prepared,
            z,
            "pls",
            procedure.inner_weighting,
            procedure.max_iter,
            procedure.tol,
            [],
        )
    interactions, slopes, plot = _slope_tables(procedure, core)
    return InteractionResult(
        specification=procedure.model,
        interaction_method=procedure.method,
        result=last,
        first_stage=first,
        interactions=interactions,
        slopes=slopes,
        slope_plot=plot,
        procedure=procedure,
        warning_messages=tuple(messages),
    )


def _slope_tables(
    procedure: InteractionProcedure, core: PLSCore
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    B = core.path_matrix
    slopes = procedure.slopes(core)
    rows, slope_rows, plot_rows = [], [], []
    k = 0
    for term in procedure.model.terms:
        for target in term.targets:
            ix, im, ii, iy = procedure._slope_index[k]
            b_x, b_m, b_i = float(B[ix, iy]), float(B[im, iy]), float(B[ii, iy])
            rows.append((term.name, term.iv, term.moderator, target, b_i, b_x, b_m))
            for level, label, slope in zip(
                MODERATOR_LEVELS, MODERATOR_LABELS, slopes[k], strict=True
            ):
                slope_rows.append(
                    (term.name, term.iv, term.moderator, target, label, level, float(slope))
                )
                for x in MODERATOR_LEVELS:
                    plot_rows.append(
                        (
                            term.name,
                            target,
                            label,
                            level,
                            x,
                            b_x * x + b_m * level + b_i * x * level,
                        )
                    )
            k += 1
    interactions = pd.DataFrame(
        rows,
        index=[f"{r[0]}->{r[3]}" for r in rows],
        columns=[
            "interaction",
            "iv",
            "moderator",
            "target",
            "estimate",
            "iv_effect",
            "moderator_effect",
        ],
    )
    slope_table = pd.DataFrame(
        slope_rows,
        columns=[
            "interaction",
            "iv",
            "moderator",
            "target",
            "moderator_at",
            "moderator_value",
            "slope",
        ],
    )
    plot = pd.DataFrame(
        plot_rows,
        columns=[
            "interaction",
            "target",
            "moderator_at",
            "moderator_value",
            "iv_value",
            "predicted",
        ],
    )
    return interactions, slope_table, plot
