"""Higher-order constructs (HOCs) in PLS path models: a construct measured by constructs.

A higher-order construct is written in lavaan syntax as a construct whose "items" are other
constructs (its lower-order constructs, LOCs, or dimensions)::

    COMP  =~ comp_1 + comp_2 + comp_3
    LIKE  =~ like_1 + like_2 + like_3
    REP   =~ COMP + LIKE          # reflective-reflective HOC (Mode A on its dimensions)
    CUSL  =~ cusl_1 + cusl_2 + cusl_3
    CUSL ~ REP

``REP <~ COMP + LIKE`` makes it a reflective-formative HOC (Mode B on its dimensions). Two
estimation approaches (``hoc_method``):

``two_stage`` (default; the disjoint two-stage approach)
    seminr ``higher_composite(name, dimensions, method = two_stage)``. Stage 1 estimates the model with the lower-order constructs in the HOC's structural place
    (every antecedent of the HOC points to each dimension, each dimension to every outcome of
    the HOC) and no interaction terms; their construct scores become the HOC's items in
    stage 2, where the LOCs themselves no longer appear (Becker, Klein & Wetzels 2012;
    Sarstedt et al. 2019).
``repeated_indicators``
    The HOC is measured by all items of its LOCs at once (each item used twice), with paths
    HOC -> LOC (``=~``) or LOC -> HOC (``<~``) (Lohmöller 1989; Wold 1982).

Interaction terms (``Y ~ X + M + X:M``) may be combined with HOCs: as in seminr, the HOC stages
come first and the interaction terms are built on the last-stage model
(:mod:`workbench.pls.interaction`).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
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
from workbench.pls.interaction import (
    INTERACTION_METHODS,
    InteractionCore,
    InteractionMethod,
    InteractionProcedure,
    InteractionResult,
    _fit_interaction,
    _interaction_model,
)
from workbench.pls.specification import Measurement, PLSModel, _build, _parse
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = [
    "HOC_METHODS",
    "HOCMethod",
    "HigherOrderCore",
    "HigherOrderModel",
    "HigherOrderProcedure",
    "HigherOrderResult",
    "estimate_higher_order",
    "specify_higher_order_model",
]

HOCMethod = Literal["two_stage", "repeated_indicators"]
HOC_METHODS = ("two_stage", "repeated_indicators")
#: how a repeated indicator is named in the HOC's block: "<item>@<HOC>"
REPEATED_SEPARATOR = "@"


# ----------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HigherOrderModel:
    """A PLS path model with higher-order constructs (validated by
    :func:`specify_higher_order_model`).

    Attributes
    ----------
    hocs : dict
        ``{HOC: (LOC, ...)}``: each higher-order construct and its lower-order constructs.
    hoc_measurement : dict
        ``{HOC: "reflective" | "composite"}``: ``=~`` (Mode A on the dimensions) or ``<~``
        (Mode B).
    blocks : dict
        ``{construct: (item, ...)}`` of the first-order constructs (LOCs and the others).
    measurement : dict
        ``{construct: "reflective" | "composite"}`` of the first-order constructs.
    paths : tuple of (str, str)
        The structural paths as written (HOCs and interaction terms ``X:M`` included).
    syntax : str
    constructs : tuple of str
        Every construct (first-order and HOC) in the order defined.
    """

    hocs: dict[str, tuple[str, ...]]
    hoc_measurement: dict[str, Measurement]
    blocks: dict[str, tuple[str, ...]]
    measurement: dict[str, Measurement]
    paths: tuple[tuple[str, str], ...]
    syntax: str = ""
    constructs: tuple[str, ...] = ()

    @property
    def lower_order(self) -> dict[str, str]:
        """``{LOC: HOC}``."""
        return {loc: hoc for hoc, locs in self.hocs.items() for loc in locs}

    @property
    def has_interactions(self) -> bool:
        """Whether a path starts at an interaction term ``X:M``."""
        return any(_is_term(s, self) for s, _ in self.paths)

    def first_order_model(self) -> PLSModel:
        """The first-order constructs and their items (no paths): what the data must hold."""
        constructs = tuple(self.blocks)
        return PLSModel(
            constructs=constructs,
            items={c: self.blocks[c] for c in constructs},
            measurement={c: self.measurement[c] for c in constructs},
            paths=(),
            exogenous=constructs,
            endogenous=(),
        )

    def stage_one(self) -> PLSModel:
        """Stage 1 of the two-stage approach: the LOCs take their HOC's structural place.

        Every antecedent of a HOC points to each of its dimensions and each dimension to every
        outcome of the HOC (seminr's ``substitute_dimensions_for_HOC``); interaction terms are
        left out.
        """
        paths: list[tuple[str, str]] = []
        for source, target in self.paths:
            if _is_term(source, self):
                continue
            for s in self.hocs.get(source, (source,)):
                for t in self.hocs.get(target, (target,)):
                    if (s, t) not in paths:
                        paths.append((s, t))
        linked = {c for p in paths for c in p}
        blocks = {c: list(items) for c, items in self.blocks.items() if c in linked}
        return _build(blocks, {c: self.measurement[c] for c in blocks}, paths, "")

    def stage_two_parts(
        self, hoc_method: HOCMethod
    ) -> tuple[dict[str, list[str]], dict[str, Measurement], list[tuple[str, str]]]:
        """Blocks, measurement and paths of the last-stage model (interaction terms kept).

        ``two_stage``: the HOCs measured by their LOCs' scores (items named after the LOCs),
        the LOCs gone. ``repeated_indicators``: every construct, the HOCs measured by copies of
        their LOCs' items (``"<item>@<HOC>"``), plus the paths HOC -> LOC (``=~``) or
        LOC -> HOC (``<~``).
        """
        lower = self.lower_order
        blocks: dict[str, list[str]] = {}
        measurement: dict[str, Measurement] = {}
        paths = list(self.paths)
        for c in self.constructs or (*self.blocks, *self.hocs):
            if c in self.blocks:
                if hoc_method == "repeated_indicators" or c not in lower:
                    blocks[c] = list(self.blocks[c])
                    measurement[c] = self.measurement[c]
                continue
            locs = self.hocs[c]
            measurement[c] = self.hoc_measurement[c]
            if hoc_method == "two_stage":
                blocks[c] = list(locs)
            else:
                blocks[c] = [
                    f"{item}{REPEATED_SEPARATOR}{c}" for loc in locs for item in self.blocks[loc]
                ]
                for loc in locs:
                    paths.append((c, loc) if self.hoc_measurement[c] == "reflective" else (loc, c))
        return blocks, measurement, paths


def _is_term(name: str, model: HigherOrderModel) -> bool:
    parts = name.split(":")
    known = set(model.blocks) | set(model.hocs)
    return name not in known and len(parts) == 2 and all(p in known for p in parts)


def specify_higher_order_model(
    model: str | HigherOrderModel, *, hoc_method: HOCMethod = "two_stage"
) -> HigherOrderModel:
    """Parse and validate a PLS path model with higher-order constructs.

    Parameters
    ----------
    model : str or HigherOrderModel
        lavaan syntax in which a construct is measured by constructs (``HOC =~ A + B`` or
        ``HOC <~ A + B``); interaction terms ``X:M`` are allowed in the paths.
    hoc_method : {"two_stage", "repeated_indicators"}
        The approach the model is meant for (the two-stage approach needs the HOC in the
        structural model).

    Returns
    -------
    HigherOrderModel

    Raises
    ------
    InputError
        Naming the construct: a construct measured by both items and constructs; a HOC with
        fewer than two lower-order constructs (not identified: it would be its one dimension);
        a lower-order construct in two HOCs; a HOC of HOCs (third order); a lower-order
        construct in a structural path (only its HOC may be); under ``two_stage``, a HOC
        without any structural path (its dimensions would have no inner model in stage 1); a
        model without HOCs; and every problem :func:`~workbench.pls.specify_model` reports.

    Examples
    --------
    >>> m = specify_higher_order_model(
    ...     "A =~ a1 + a2; B =~ b1 + b2; H =~ A + B; Y =~ y1 + y2; Y ~ H")
    >>> m.hocs, m.stage_one().paths
    ({'H': ('A', 'B')}, (('A', 'Y'), ('B', 'Y')))
    """
    check_choice("hoc_method", hoc_method, HOC_METHODS)
    if isinstance(model, HigherOrderModel):
        spec = model
    elif isinstance(model, str):
        spec = _parse_higher_order(model)
    else:
        raise TypeError(
            f"model must be lavaan syntax (str) or a HigherOrderModel, not {type(model).__name__}"
        )
    if hoc_method == "two_stage":
        linked = {c for p in spec.paths for part in p for c in part.split(":")}
        for hoc, locs in spec.hocs.items():
            if hoc not in linked:
                raise InputError(
                    f"Higher-order construct '{hoc}' has no structural path, so the two-stage "
                    f"approach cannot estimate it: in stage 1 its dimensions ({', '.join(locs)}) "
                    "would have no inner model.",
                    hint=f"Add a path into or out of '{hoc}' (e.g. 'Y ~ {hoc}'), or use "
                    "hoc_method='repeated_indicators'.",
                )
    return spec


def _parse_higher_order(text: str) -> HigherOrderModel:
    blocks, measurement, path_list = _parse(text)
    hocs: dict[str, tuple[str, ...]] = {}
    for construct, items in blocks.items():
        nested = [i for i in items if i in blocks]
        if not nested:
            continue
        plain = [i for i in items if i not in blocks]
        if plain:
            raise InputError(
                f"Construct '{construct}' is measured by both constructs ({', '.join(nested)}) "
                f"and items ({', '.join(plain)}).",
                hint=f"A higher-order construct is measured by constructs only: put the items in "
                f"a lower-order construct (e.g. '{construct}_items =~ {' + '.join(plain)}') and "
                f"list it in '{construct}'.",
            )
        hocs[construct] = tuple(nested)
    if not hocs:
        raise InputError(
            "The model has no higher-order construct (a construct measured by constructs).",
            hint="Write e.g. 'REP =~ COMP + LIKE', or estimate the model with "
            "workbench.pls.estimate_pls.",
        )
    owner: dict[str, str] = {}
    for hoc, locs in hocs.items():
        if len(locs) < 2:
            raise InputError(
                f"Higher-order construct '{hoc}' has only one lower-order construct "
                f"('{locs[0]}'), so it is not identified: it would be '{locs[0]}' itself.",
                hint=f"Give '{hoc}' at least two dimensions, or use '{locs[0]}' in its place.",
            )
        for loc in locs:
            if loc in hocs:
                raise InputError(
                    f"Higher-order construct '{hoc}' is measured by '{loc}', which is itself a "
                    "higher-order construct; third-order constructs are not supported.",
                    hint=f"Measure '{hoc}' by first-order constructs.",
                )
            if loc in owner:
                raise InputError(
                    f"Lower-order construct '{loc}' is used in two higher-order constructs "
                    f"('{owner[loc]}' and '{hoc}').",
                    hint=f"Each dimension belongs to one higher-order construct: remove '{loc}' "
                    "from one of them (or duplicate its items under a new construct name).",
                )
            owner[loc] = hoc
    structural: list[tuple[str, str]] = []
    for source, target in path_list:
        for name in (source, target):
            for part in name.split(":"):
                if part in owner:
                    raise InputError(
                        f"Lower-order construct '{part}' of '{owner[part]}' is in the structural "
                        f"path {source} -> {target}.",
                        hint=f"Only the higher-order construct enters the structural model: use "
                        f"'{owner[part]}' in the path, or take '{part}' out of '{owner[part]}'.",
                    )
        if (source, target) not in structural:
            structural.append((source, target))
    first = {c: tuple(items) for c, items in blocks.items() if c not in hocs}
    spec = HigherOrderModel(
        hocs=hocs,
        hoc_measurement={h: measurement[h] for h in hocs},
        blocks=first,
        measurement={c: measurement[c] for c in first},
        paths=tuple(structural),
        syntax=text.strip(),
        constructs=tuple(blocks),
    )
    # validate the structure once with the repeated-indicators form (every construct present)
    blocks_ri, measurement_ri, paths_ri = spec.stage_two_parts("repeated_indicators")
    if spec.has_interactions:
        _interaction_model(blocks_ri, measurement_ri, paths_ri, "")
    else:
        _build(blocks_ri, measurement_ri, paths_ri, "")
    return spec


# ----------------------------------------------------------------------------
# The procedure
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class HigherOrderCore:
    """The arrays of one fit of a model with HOCs.

    Attributes
    ----------
    first_stage : PLSCore or None
        Stage 1 (``two_stage``).
    core : PLSCore
        The last stage (the interaction model's last stage when there are interaction terms).
    interaction : InteractionCore or None
        The interaction procedure's fit, when the model has interaction terms.
    """

    first_stage: PLSCore | None
    core: PLSCore
    interaction: InteractionCore | None


@dataclasses.dataclass(frozen=True, eq=False)
class HigherOrderProcedure:
    """A model with HOCs compiled once and fitted to any data rows (both stages).

    :meth:`fit` takes the first-order items (columns in :attr:`items` order, typically
    resampled rows), re-runs stage 1, forms the HOCs' items and fits the last stage
    (through an :class:`~workbench.pls.InteractionProcedure` when the model has interaction
    terms). :meth:`vector` / :meth:`statistic` give what a bootstrap collects, labelled by
    :attr:`vector_labels`: the last stage's labels (and simple slopes), then, under
    ``two_stage``, ``stage1_weight:LOC:item`` and ``stage1_loading:LOC:item``.

    Attributes
    ----------
    model : HigherOrderModel
    method : {"two_stage", "repeated_indicators"}
    items : tuple of str
        The first-order items, construct by construct (the columns :meth:`fit` takes).
    stage_one_plan : PLSPlan or None
    plan : PLSPlan
        The last stage's compiled model.
    interaction : InteractionProcedure or None
    last_stage : PLSModel
        The last stage's model without interaction terms.
    """

    model: HigherOrderModel
    method: HOCMethod
    estimator: Estimator
    inner_weighting: InnerWeighting
    max_iter: int
    tol: float
    items: tuple[str, ...]
    stage_one_plan: PLSPlan | None
    plan: PLSPlan
    interaction: InteractionProcedure | None
    last_stage: PLSModel
    vector_labels: tuple[str, ...]
    # last-stage base items: column of z (>= 0) or -(1 + stage-1 construct index) for a score
    _sources: np.ndarray
    _loc_items: np.ndarray
    _stage_one_columns: np.ndarray

    @classmethod
    def from_model(
        cls,
        model: str | HigherOrderModel,
        *,
        hoc_method: HOCMethod = "two_stage",
        interaction_method: InteractionMethod = "two_stage",
        estimator: Estimator = "pls",
        inner_weighting: InnerWeighting = "path",
        max_iter: int = 300,
        tol: float = 1e-7,
    ) -> HigherOrderProcedure:
        """Compile a model with HOCs (settings as :func:`estimate_higher_order`)."""
        check_choice("hoc_method", hoc_method, HOC_METHODS)
        check_choice("interaction_method", interaction_method, INTERACTION_METHODS)
        check_choice("estimator", estimator, ESTIMATORS)
        check_choice("inner_weighting", inner_weighting, INNER_WEIGHTINGS)
        spec = specify_higher_order_model(model, hoc_method=hoc_method)
        items = spec.first_order_model().all_items
        position = {item: i for i, item in enumerate(items)}
        stage_one = spec.stage_one() if hoc_method == "two_stage" else None
        stage_one_plan = PLSPlan.from_model(stage_one) if stage_one is not None else None
        blocks, measurement, paths = spec.stage_two_parts(hoc_method)
        interaction = None
        if spec.has_interactions:
            interaction = InteractionProcedure.from_model(
                _interaction_model(blocks, measurement, paths, ""),
                interaction_method=interaction_method,
                estimator=estimator,
                inner_weighting=inner_weighting,
                max_iter=max_iter,
                tol=tol,
            )
            last_stage = interaction.model.base
            plan = interaction.plan
            labels = list(interaction.vector_labels)
        else:
            last_stage = _build(blocks, measurement, paths, "")
            plan = PLSPlan.from_model(last_stage)
            labels = list(plan.vector_labels)
        sources = []
        for item in last_stage.all_items:
            if item in position:
                sources.append(position[item])
            elif REPEATED_SEPARATOR in item and hoc_method == "repeated_indicators":
                sources.append(position[item.rsplit(REPEATED_SEPARATOR, 1)[0]])
            else:
                assert stage_one_plan is not None
                sources.append(-1 - stage_one_plan.constructs.index(item))
        loc_items = np.zeros(0, dtype=np.intp)
        if stage_one_plan is not None:
            lower = spec.lower_order
            loc_items = np.array(
                [
                    i
                    for i, item in enumerate(stage_one_plan.items)
                    if stage_one_plan.model.construct_of(item) in lower
                ],
                dtype=np.intp,
            )
            for kind in ("weight", "loading"):
                labels += [
                    f"stage1_{kind}:{stage_one_plan.model.construct_of(stage_one_plan.items[i])}:"
                    f"{stage_one_plan.items[i]}"
                    for i in loc_items
                ]
        return cls(
            model=spec,
            method=hoc_method,
            estimator=estimator,
            inner_weighting=inner_weighting,
            max_iter=max_iter,
            tol=tol,
            items=items,
            stage_one_plan=stage_one_plan,
            plan=plan,
            interaction=interaction,
            last_stage=last_stage,
            vector_labels=tuple(labels),
            _sources=np.array(sources, dtype=np.intp),
            _loc_items=loc_items,
            _stage_one_columns=np.array(
                [position[i] for i in (stage_one_plan.items if stage_one_plan else ())],
                dtype=np.intp,
            ),
        )

    def stage_two_data(self, z: np.ndarray) -> tuple[np.ndarray, PLSCore | None]:
        """The last stage's items (without interaction items) for the rows ``z``.

        Under ``two_stage`` the HOCs' items are the stage-1 scores of their LOCs (unit
        variance); under ``repeated_indicators`` the LOCs' items are repeated.
        """
        zs = standardize(z)
        first = None
        scores = None
        if self.stage_one_plan is not None:
            plan1 = self.stage_one_plan
            columns = self._stage_one_columns
            first = fit_correlation(
                _correlation(zs[:, columns]),
                plan1,
                estimator="pls",
                inner_weighting=self.inner_weighting,
                max_iter=self.max_iter,
                tol=self.tol,
            )
            scores = zs[:, columns] @ (plan1.membership * first.weights[:, None])
        out = np.empty((len(zs), len(self._sources)))
        for k, source in enumerate(self._sources):
            if source >= 0:
                out[:, k] = zs[:, source]
            else:
                assert scores is not None
                out[:, k] = scores[:, -1 - source]
        return out, first

    def fit(self, z: np.ndarray) -> HigherOrderCore:
        """Fit every stage to the rows ``z`` (first-order items in :attr:`items` order)."""
        data, first = self.stage_two_data(z)
        if self.interaction is not None:
            inner = self.interaction.fit(data)
            return HigherOrderCore(first_stage=first, core=inner.core, interaction=inner)
        core = fit_correlation(
            _correlation(data),
            self.plan,
            estimator=self.estimator,
            inner_weighting=self.inner_weighting,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        return HigherOrderCore(first_stage=first, core=core, interaction=None)

    def vector(self, z: np.ndarray) -> np.ndarray:
        """The estimates of rows ``z`` as one flat vector (:attr:`vector_labels`)."""
        fitted = self.fit(z)
        parts = [fitted.core.vector(self.plan)]
        if self.interaction is not None:
            parts.append(self.interaction.slopes(fitted.core).ravel())
        if fitted.first_stage is not None:
            parts += [
                fitted.first_stage.weights[self._loc_items],
                fitted.first_stage.loadings[self._loc_items],
            ]
        return np.concatenate(parts)

    def statistic(self, z: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``rows -> vector(z[rows])``: the function a row-resampling bootstrap calls."""
        data = np.asarray(z, dtype=float)
        return lambda rows: self.vector(data[rows])


# ----------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HigherOrderResult(Result):
    """An estimated PLS path model with higher-order constructs.

    Attributes
    ----------
    specification : HigherOrderModel
    hoc_method : {"two_stage", "repeated_indicators"}
    result : PLSResult
        The last stage (paths, R², the HOCs' measurement on their LOCs' scores or repeated
        items, reliability, HTMT, ...).
    first_stage : PLSResult or None
        Stage 1 (``two_stage``): the LOCs' weights, loadings, reliability and validity, which
        is where a HOC's lower-order measurement is assessed (Sarstedt et al. 2019).
    interaction : InteractionResult or None
        The interaction analysis of the last stage, when the model has interaction terms.
    outer_weights, outer_loadings : pandas.DataFrame
        seminr's combined layout (``two_stage``): the last stage's items (the HOCs' rows are
        their LOCs) and then the LOCs' items, against the last stage's constructs and then the
        LOCs; the LOC columns hold stage-1 values. Under ``repeated_indicators``, the last
        stage's matrices.
    hoc_measurement : pandas.DataFrame
        One row per (HOC, LOC): ``hoc``, ``loc``, ``weight`` and ``loading`` of the LOC in
        its HOC (``two_stage``: the HOC's outer weight and loading on the LOC's score;
        ``repeated_indicators``: the path between them, HOC -> LOC or LOC -> HOC, in
        ``loading`` resp. ``weight``).
    procedure : HigherOrderProcedure
    data : PLSData
        The first-order items as prepared (after the missing-data treatment).
    warning_messages : tuple of str
    """

    specification: HigherOrderModel = dataclasses.field(repr=False)
    hoc_method: HOCMethod
    result: PLSResult = dataclasses.field(repr=False)
    first_stage: PLSResult | None = dataclasses.field(repr=False)
    interaction: InteractionResult | None = dataclasses.field(repr=False)
    outer_weights: pd.DataFrame = dataclasses.field(repr=False)
    outer_loadings: pd.DataFrame = dataclasses.field(repr=False)
    hoc_measurement: pd.DataFrame = dataclasses.field(repr=False)
    procedure: HigherOrderProcedure = dataclasses.field(repr=False, compare=False)
    data: PLSData = dataclasses.field(repr=False)
    warning_messages: tuple[str, ...] = ()

    @property
    def paths(self) -> pd.DataFrame:
        """The structural paths of the model as written (no HOC -> LOC paths)."""
        table = self.result.paths
        return table.loc[[f"{s}->{t}" for s, t in self.specification.paths]]

    @property
    def r2(self) -> pd.DataFrame:
        """R² and adjusted R² of the endogenous constructs (last stage; LOCs left out)."""
        lower = self.specification.lower_order
        return self.result.r2.loc[[c for c in self.result.r2.index if c not in lower]]

    def to_frame(self) -> pd.DataFrame:
        """The structural paths (``source``, ``target``, ``estimate``)."""
        return self.paths.copy()

    def first_order_data(self) -> np.ndarray:
        """The first-order items as prepared (the rows :attr:`procedure` fits)."""
        return self.data.frame.loc[:, list(self.procedure.items)].to_numpy(dtype=float)

    def vector(self) -> pd.Series:
        """The flat vector of estimates a bootstrap collects (:attr:`procedure`'s labels)."""
        values = self.procedure.vector(self.first_order_data())
        return pd.Series(values, index=list(self.procedure.vector_labels))

    def summary(self) -> str:
        approach = (
            "disjoint two-stage approach"
            if self.hoc_method == "two_stage"
            else "repeated-indicators approach"
        )
        result = self.result
        lines = [
            f"PLS path model with higher-order constructs ({approach}; "
            f"{'consistent PLS (PLSc)' if result.estimator == 'plsc' else 'PLS'}, "
            f"{result.inner_weighting} weighting), n = {result.n}",
            "",
            "Higher-order constructs:",
            self.hoc_measurement.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
            "Paths:",
            self.paths[["estimate"]].to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "R2:",
            self.r2.to_string(float_format=lambda v: f"{v:.3f}"),
        ]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``hoc_method``, ``hocs {HOC: {LOC: {weight, loading}}}``, ``paths``, ``r2``, the
        last stage's ``to_dict()`` (``model``), stage 1's (``first_stage``) and warnings."""
        hocs: dict[str, dict[str, Any]] = {}
        for row in self.hoc_measurement.itertuples(index=False):
            hocs.setdefault(str(row.hoc), {})[str(row.loc)] = {
                "weight": row.weight,
                "loading": row.loading,
            }
        return jsonable(
            {
                "hoc_method": self.hoc_method,
                "hocs": hocs,
                "paths": {k: {"estimate": v} for k, v in self.paths["estimate"].items()},
                "r2": self.r2.to_dict(orient="index"),
                "model": self.result.to_dict(),
                "first_stage": None if self.first_stage is None else self.first_stage.to_dict(),
                "interaction": None if self.interaction is None else self.interaction.to_dict(),
                "warnings": list(self.warnings),
            }
        )


# ----------------------------------------------------------------------------
# The user-facing estimator
# ----------------------------------------------------------------------------


def estimate_higher_order(
    data: pd.DataFrame | PLSData,
    model: str | HigherOrderModel,
    *,
    hoc_method: HOCMethod = "two_stage",
    interaction_method: InteractionMethod = "two_stage",
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    max_iter: int = 300,
    tol: float = 1e-7,
) -> HigherOrderResult:
    """Estimate a PLS path model with higher-order constructs.

    Parameters
    ----------
    data : pandas.DataFrame or PLSData
        Respondents in rows, the first-order items as numeric columns (or data prepared for
        ``HigherOrderModel.first_order_model()``).
    model : str or HigherOrderModel
        lavaan syntax with constructs measured by constructs (``HOC =~ A + B`` or
        ``HOC <~ A + B``; see :func:`specify_higher_order_model`), optionally with
        interaction terms ``X:M``.
    hoc_method : {"two_stage", "repeated_indicators"}
        The disjoint two-stage approach (default) or repeated indicators (see Notes).
    interaction_method : {"two_stage", "orthogonal", "product_indicator"}
        For interaction terms, as :func:`~workbench.pls.estimate_interaction`.
    estimator, inner_weighting, missing, missing_codes, max_iter, tol
        As :func:`~workbench.pls.estimate_pls`. Stage 1 is plain PLS (its scores are what PLSc
        would give too); under ``plsc`` a ``=~`` HOC is corrected in the last stage with the
        rho_A of its block (seminr's ``higher_reflective``); the van Riel et al. (2017)
        reliability of a composite HOC of common factors is not applied.

    Returns
    -------
    HigherOrderResult

    Raises
    ------
    InputError
        Model or data problems naming the construct or item (see
        :func:`specify_higher_order_model`, :func:`~workbench.pls.prepare_data`).
    ValueError
        An unknown option.

    Warns
    -----
    PLSConvergenceWarning
        When a stage did not converge within ``max_iter`` updates (also in ``warnings``).

    Notes
    -----
    *Disjoint two-stage* (Becker, Klein & Wetzels 2012; Sarstedt et al. 2019; seminr
    ``higher_composite(name, dimensions, method = two_stage)``): stage 1 estimates the model
    in which each HOC is replaced by its LOCs (antecedents of the HOC -> every LOC, every LOC
    -> outcomes of the HOC), without interaction terms; with the stage-1 weights ``w`` and the
    standardized items ``z``, the LOC scores ``Y_l = Z_l w_l`` become the HOC's items in
    stage 2, Mode A for ``=~`` and Mode B for ``<~``.

    *Repeated indicators* (Lohmöller 1989; Becker et al. 2012): one model in which the HOC is
    measured by all the LOCs' items; a reflective HOC (``=~``) points to its LOCs, a formative
    one (``<~``) is pointed to by them. The LOCs then explain the HOC fully, so paths into a
    formative HOC are biased towards zero, and LOCs with more items weigh more (both warned).

    References
    ----------
    Becker, J.-M., Klein, K., & Wetzels, M. (2012). Hierarchical latent variable models in
    PLS-SEM: guidelines for using reflective-formative type models. *Long Range Planning*,
    45(5-6), 359-394.
    Sarstedt, M., Hair, J. F., Cheah, J.-H., Becker, J.-M., & Ringle, C. M. (2019). How to
    specify, estimate, and validate higher-order constructs in PLS-SEM. *Australasian
    Marketing Journal*, 27(3), 197-211.
    Lohmöller, J.-B. (1989). *Latent variable path modeling with partial least squares*.
    Physica.
    R: ``seminr::estimate_pls(data, constructs(composite("A", ...), composite("B", ...),
    higher_composite("H", c("A", "B"), method = two_stage)), relationships(...))``.

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> g = rng.normal(size=300)
    >>> a, b = g + rng.normal(scale=.6, size=300), g + rng.normal(scale=.6, size=300)
    >>> y = 0.5 * g + rng.normal(scale=.8, size=300)
    >>> cols = {f"{v}{i}": s + rng.normal(scale=.5, size=300)
    ...         for v, s in (("a", a), ("b", b), ("y", y)) for i in (1, 2)}
    >>> fit = estimate_higher_order(pd.DataFrame(cols),
    ...     "A =~ a1 + a2; B =~ b1 + b2; G =~ A + B; Y =~ y1 + y2; Y ~ G")
    >>> list(fit.hoc_measurement["loc"]), fit.paths.index.tolist()
    (['A', 'B'], ['G->Y'])
    """
    _check_stopping(max_iter, tol)
    procedure = HigherOrderProcedure.from_model(
        model,
        hoc_method=hoc_method,
        interaction_method=interaction_method,
        estimator=estimator,
        inner_weighting=inner_weighting,
        max_iter=max_iter,
        tol=tol,
    )
    spec = procedure.model
    prepared = _prepared(
        data, spec.first_order_model(), missing=missing, missing_codes=missing_codes
    )
    notes = list(prepared.warnings)
    first_result = None
    try:
        with single_threaded_blas():
            stage_two, first = procedure.stage_two_data(prepared.frame.to_numpy(dtype=float))
    except np.linalg.LinAlgError as exc:
        raise InputError(
            f"Stage 1 of the higher-order model cannot be estimated ({exc}).",
            hint="Two items of a formative construct, or two predictors of a construct, are "
            "perfectly collinear: drop one of them.",
        ) from exc
    if first is not None:
        plan1 = procedure.stage_one_plan
        assert plan1 is not None
        if not first.converged:
            notes.insert(0, _convergence_note("stage 1", max_iter, tol))
            warnings.warn(notes[0], PLSConvergenceWarning, stacklevel=2)
        prepared1 = dataclasses.replace(prepared, frame=prepared.frame.loc[:, list(plan1.items)])
        first_result = _result(
            plan1.model,
            plan1,
            first,
            prepared1,
            prepared1.standardized(),
            "pls",
            inner_weighting,
            max_iter,
            tol,
            [],
        )
    frame2 = pd.DataFrame(
        stage_two, index=prepared.frame.index, columns=list(procedure.last_stage.all_items)
    )
    prepared2 = dataclasses.replace(prepared, frame=frame2, warnings=())
    notes += _approach_notes(spec, hoc_method)
    interaction_result = None
    if procedure.interaction is not None:
        interaction_result = _fit_interaction(procedure.interaction, prepared2, stacklevel=3)
        last = interaction_result.result
        notes += list(interaction_result.warnings)
    else:
        last = _fit_last(procedure, prepared2, notes)
    weights, loadings = _combined(procedure, last, first_result)
    return HigherOrderResult(
        specification=spec,
        hoc_method=hoc_method,
        result=last,
        first_stage=first_result,
        interaction=interaction_result,
        outer_weights=weights,
        outer_loadings=loadings,
        hoc_measurement=_hoc_table(spec, hoc_method, last),
        procedure=procedure,
        data=prepared,
        warning_messages=tuple(notes),
    )


def _convergence_note(stage: str, max_iter: int, tol: float) -> str:
    return (
        f"The PLS algorithm did not converge in {stage} of the higher-order model within "
        f"max_iter={max_iter} iterations (tol={tol:g})."
    )


def _fit_last(procedure: HigherOrderProcedure, prepared: PLSData, notes: list[str]) -> PLSResult:
    """The last stage (no interaction terms) as a labelled PLSResult."""
    plan = procedure.plan
    z = prepared.standardized()
    S = _correlation(z)
    _check_formative(
        S,
        plan,
        "Mode B weights are a regression on the items: drop one of the collinear items "
        "(or lower-order constructs) or use '=~'.",
    )
    try:
        with single_threaded_blas():
            core = fit_correlation(
                S,
                plan,
                estimator=procedure.estimator,
                inner_weighting=procedure.inner_weighting,
                max_iter=procedure.max_iter,
                tol=procedure.tol,
            )
    except np.linalg.LinAlgError as exc:
        raise InputError(
            f"The last stage of the higher-order model cannot be estimated ({exc}).",
            hint="Two predictors of a construct are perfectly collinear: drop one of them.",
        ) from exc
    _check_predictors(core, plan)
    if not core.converged:
        message = _convergence_note("the last stage", procedure.max_iter, procedure.tol)
        warnings.warn(message, PLSConvergenceWarning, stacklevel=3)
        notes.insert(0, message)
    notes += _admissibility(core, plan, procedure.estimator)
    return _result(
        procedure.last_stage,
        plan,
        core,
        prepared,
        z,
        procedure.estimator,
        procedure.inner_weighting,
        procedure.max_iter,
        procedure.tol,
        [],
    )


def _approach_notes(spec: HigherOrderModel, hoc_method: HOCMethod) -> list[str]:
    notes = []
    if hoc_method == "repeated_indicators":
        for hoc, locs in spec.hocs.items():
            sizes = {loc: len(spec.blocks[loc]) for loc in locs}
            if len(set(sizes.values())) > 1:
                notes.append(
                    f"The lower-order constructs of '{hoc}' have different numbers of items ("
                    + ", ".join(f"{k} {v}" for k, v in sizes.items())
                    + "): with repeated indicators the larger ones weigh more in the HOC "
                    "(Becker et al. 2012)."
                )
            antecedents = [s for s, t in spec.paths if t == hoc]
            if spec.hoc_measurement[hoc] == "composite" and antecedents:
                notes.append(
                    f"Paths into the formative higher-order construct '{hoc}' ("
                    + ", ".join(antecedents)
                    + ") are biased towards zero with repeated indicators, because its "
                    "lower-order constructs explain it fully (Becker et al. 2012): prefer "
                    "hoc_method='two_stage'."
                )
    return notes


def _combined(
    procedure: HigherOrderProcedure, last: PLSResult, first: PLSResult | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """seminr's combined outer weights and loadings (stage 2, then the LOCs from stage 1)."""
    if first is None:
        return last.outer_weights.copy(), last.outer_loadings.copy()
    lower = procedure.model.lower_order
    locs = [c for c in first.plan.constructs if c in lower]
    loc_items = [i for c in locs for i in first.specification.items[c]]
    rows = list(last.outer_weights.index) + loc_items
    columns = list(last.outer_weights.columns) + locs
    tables = []
    for second, initial in (
        (last.outer_weights, first.outer_weights),
        (last.outer_loadings, first.outer_loadings),
    ):
        table = pd.DataFrame(0.0, index=rows, columns=columns)
        table.loc[second.index, second.columns] = second.to_numpy()
        table.loc[loc_items, locs] = initial.loc[loc_items, locs].to_numpy()
        tables.append(table)
    return tables[0], tables[1]


def _hoc_table(spec: HigherOrderModel, hoc_method: HOCMethod, last: PLSResult) -> pd.DataFrame:
    rows = []
    paths = last.paths["estimate"]
    for hoc, locs in spec.hocs.items():
        for loc in locs:
            if hoc_method == "two_stage":
                weight = float(last.outer_weights.loc[loc, hoc])
                loading = float(last.outer_loadings.loc[loc, hoc])
            elif spec.hoc_measurement[hoc] == "reflective":
                weight, loading = float("nan"), float(paths[f"{hoc}->{loc}"])
            else:
                weight, loading = float(paths[f"{loc}->{hoc}"]), float("nan")
            rows.append((hoc, loc, spec.hoc_measurement[hoc], weight, loading))
    return pd.DataFrame(rows, columns=["hoc", "loc", "measurement", "weight", "loading"])
