"""Importance-performance map analysis (IPMA) of an estimated PLS path model.

For a target construct (e.g. loyalty), every construct that drives it gets an *importance*, its
unstandardized total effect on the target, and a *performance*, its mean score on a 0-100
scale; the priority map plots one against the other and points at the drivers with high
importance and low performance (Ringle & Sarstedt 2016; Hair et al. 2018, ch. 3). The same at
the level of the indicators.

The 0-100 scale comes from the items' response scale (the codebook's ``scale``, e.g. 1..7), not
from the observed minimum and maximum, so a performance of 100 means "every respondent gave the
best answer".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.pls.estimation import PLSResult
from workbench.results import Result, jsonable, with_warnings

__all__ = ["IPMAResult", "ipma"]

ScaleLike = Any  # (min, max), an object with .min/.max (a codebook Scale), or {item: (min, max)}


@dataclasses.dataclass(frozen=True)
class IPMAResult(Result):
    """An importance-performance map analysis.

    Attributes
    ----------
    target : str
        The target construct.
    target_performance : float
        The target's mean rescaled score (0-100).
    constructs : pandas.DataFrame
        One row per construct with a total effect on the target (predecessors, direct or
        indirect), indexed by construct: ``importance`` (unstandardized total effect on the
        target, in points of the target's 0-100 score per point of the construct's),
        ``performance`` (mean 0-100 score), ``total_effect`` (the standardized total effect)
        and ``quadrant`` (see :func:`ipma`).
    indicators : pandas.DataFrame
        One row per item of those constructs, indexed by item: ``construct``,
        ``rescaled_weight`` (the item's weight in its construct's 0-100 score; they sum to 1
        per construct), ``importance`` (``rescaled_weight`` times the construct's importance),
        ``performance`` (mean 0-100 answer) and ``quadrant``.
    scores : pandas.DataFrame
        Every respondent's 0-100 construct scores (all constructs), indexed like the data.
    scale : pandas.DataFrame
        The ``min`` and ``max`` each item was rescaled from.
    warning_messages : tuple of str
        Negative rescaled weights (the IPMA requirement of Ringle & Sarstedt 2016 is broken),
        answers outside the scale, an observed instead of theoretical range.
    """

    target: str
    target_performance: float
    constructs: pd.DataFrame = dataclasses.field(repr=False)
    indicators: pd.DataFrame = dataclasses.field(repr=False)
    scores: pd.DataFrame = dataclasses.field(repr=False)
    scale: pd.DataFrame = dataclasses.field(repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The construct-level map: ``importance``, ``performance``, ``total_effect``,
        ``quadrant``."""
        return self.constructs

    def summary(self) -> str:
        text = (
            f"Importance-performance map for '{self.target}' (performance "
            f"{self.target_performance:.1f} of 100)\n\n"
            + self.constructs.to_string(float_format=lambda v: f"{v:.3f}")
            + "\n\nIndicators:\n"
            + self.indicators.to_string(float_format=lambda v: f"{v:.3f}")
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``{target, target_performance, constructs {c: {importance, performance}},
        indicators {item: {construct, importance, performance}}, warnings}``."""
        return jsonable(
            {
                "target": self.target,
                "target_performance": self.target_performance,
                "constructs": self.constructs[["importance", "performance"]].to_dict(
                    orient="index"
                ),
                "indicators": self.indicators[["construct", "importance", "performance"]].to_dict(
                    orient="index"
                ),
                "warnings": list(self.warnings),
            }
        )


def ipma(result: PLSResult, target: str, *, scale: ScaleLike = None) -> IPMAResult:
    """Importance-performance map analysis for one target construct.

    Parameters
    ----------
    result : PLSResult
        An estimated model (:func:`~workbench.pls.estimate_pls`); its prepared data (after the
        missing-data treatment) are rescaled.
    target : str
        The target construct (e.g. ``"CUSL"``); it needs at least one predecessor.
    scale : (min, max), codebook scale or dict, keyword-only
        The items' response range: one ``(min, max)`` for all (e.g. ``(1, 7)``), a codebook's
        ``scale`` (``SurveyData.codebook.scale``), or ``{item: (min, max)}``. ``None`` uses
        each item's observed minimum and maximum, with a warning (performance is then relative
        to the answers given, not to the scale).

    Returns
    -------
    IPMAResult

    Raises
    ------
    InputError
        An unknown target or one without predecessors; an item without a scale, or with
        answers outside it; a scale whose min is not below its max.

    Notes
    -----
    Following Ringle & Sarstedt (2016) and SmartPLS's IPMA:

    1. Rescale every item to 0-100 from its scale: ``x* = (x - min) / (max - min) * 100``.
    2. Unstandardize the (standardized-data) outer weights ``w`` with the rescaled items' SDs
       and normalize them within each construct:
       ``w*_i = (w_i / sd(x*_i)) / sum_k (w_k / sd(x*_k))``, so that the construct's 0-100
       score ``Y* = sum_i w*_i x*_i`` lies between 0 and 100 when the weights are positive.
    3. Performance: the mean of ``Y*`` (constructs) or of ``x*`` (indicators).
    4. Importance of a construct: its unstandardized total effect on the target, i.e. the sum
       over all paths of the products of the unstandardized path coefficients of the regressions
       on ``Y*``; it equals the standardized total effect ``T_jt`` (from ``(I - B)^{-1} - I``)
       times ``sd(Y*_t) / sd(Y*_j)``. Importance of an indicator: ``w*_i`` times its construct's
       importance (the change in the target's score for one point more on the item).

    ``quadrant`` places each construct (indicator) against the mean importance and mean
    performance of the constructs (indicators) shown, as SmartPLS's map lines do:
    ``"priority"`` (importance above, performance below the means: improve these first),
    ``"keep up"`` (both above), ``"low priority"`` (both below) and ``"possible overkill"``
    (importance below, performance above).

    Under PLSc the standardized total effects come from the corrected paths while the scores are
    composites; the IPMA literature is written for PLS (``estimator="pls"``).

    References
    ----------
    Ringle, C. M., & Sarstedt, M. (2016). Gain more insight from your PLS-SEM results: the
    importance-performance map analysis. *Industrial Management & Data Systems*, 116(9),
    1865-1886.
    Hair, J. F., Sarstedt, M., Ringle, C. M., & Gudergan, S. P. (2018). *Advanced issues in
    partial least squares structural equation modeling*, ch. 3. Sage.
    SmartPLS: Calculate -> Importance-Performance Map Analysis (IPMA); R: ``cSEM::doIPMA()``.

    Examples
    --------
    >>> from workbench.pls import estimate_pls
    >>> rng = np.random.default_rng(2)
    >>> q = rng.integers(1, 8, size=(200, 1))
    >>> d = pd.DataFrame({"q1": q[:, 0], "q2": np.clip(q[:, 0] + rng.integers(-1, 2, 200), 1, 7),
    ...                   "s1": np.clip(q[:, 0] + rng.integers(-2, 3, 200), 1, 7)})
    >>> fit = estimate_pls(d, "Q =~ q1 + q2; S =~ s1; S ~ Q")
    >>> map_ = ipma(fit, "S", scale=(1, 7))
    >>> bool(0 <= map_.constructs.loc["Q", "performance"] <= 100)
    True
    """
    spec, plan, core = result.specification, result.plan, result.core
    if target not in spec.constructs:
        raise InputError(
            f"The IPMA target '{target}' is not a construct of the model.",
            hint=f"Choose one of: {', '.join(spec.constructs)}.",
        )
    j_target = plan.constructs.index(target)
    m = len(plan.constructs)
    B = core.path_matrix
    total = np.linalg.solve(np.eye(m) - B, np.eye(m)) - np.eye(m)  # [source, target]
    drivers = [j for j in range(m) if j != j_target and _reaches(plan.adjacency, j, j_target)]
    if not drivers:
        raise InputError(
            f"The IPMA target '{target}' has no predecessors (no construct has a path into it).",
            hint="Choose an endogenous construct as target: "
            + ", ".join(plan.constructs[j] for j in plan.endogenous)
            + ".",
        )
    items = list(plan.items)
    raw = result.data.frame.loc[:, items].to_numpy(dtype=float)
    lows, highs, notes = _scale_bounds(scale, items, raw)
    rescaled = (raw - lows) / (highs - lows) * 100.0
    sd = rescaled.std(axis=0, ddof=1)
    unstd = core.weights / sd
    sums = np.bincount(plan.item_construct, weights=unstd, minlength=m)
    rescaled_weights = unstd / sums[plan.item_construct]
    negative = [items[i] for i in np.flatnonzero(rescaled_weights < 0)]
    if negative:
        notes.append(
            "Negative rescaled outer weights ("
            + ", ".join(negative)
            + "): the IPMA requires positive weights (Ringle & Sarstedt 2016), so these "
            "constructs' scores can leave 0..100; check reverse-coded items."
        )
    W = plan.membership * rescaled_weights[:, None]
    scores = rescaled @ W
    score_sd = scores.std(axis=0, ddof=1)
    importance = total[:, j_target] * score_sd[j_target] / score_sd
    performance = scores.mean(axis=0)
    names = [plan.constructs[j] for j in drivers]
    constructs = pd.DataFrame(
        {
            "importance": importance[drivers],
            "performance": performance[drivers],
            "total_effect": total[drivers, j_target],
        },
        index=pd.Index(names, name="construct"),
    )
    constructs["quadrant"] = _quadrants(constructs["importance"], constructs["performance"])
    rows = [i for j in drivers for i in plan.blocks[j]]
    indicators = pd.DataFrame(
        {
            "construct": [plan.constructs[plan.item_construct[i]] for i in rows],
            "rescaled_weight": rescaled_weights[rows],
            "importance": rescaled_weights[rows] * importance[plan.item_construct[rows]],
            "performance": rescaled.mean(axis=0)[rows],
        },
        index=pd.Index([items[i] for i in rows], name="item"),
    )
    indicators["quadrant"] = _quadrants(indicators["importance"], indicators["performance"])
    return IPMAResult(
        target=target,
        target_performance=float(performance[j_target]),
        constructs=constructs,
        indicators=indicators,
        scores=pd.DataFrame(scores, index=result.data.frame.index, columns=list(plan.constructs)),
        scale=pd.DataFrame({"min": lows, "max": highs}, index=pd.Index(items, name="item")),
        warning_messages=tuple(notes),
    )


def _reaches(adjacency: np.ndarray, source: int, target: int) -> bool:
    """Whether a directed path leads from ``source`` to ``target``."""
    seen, stack = {source}, [source]
    while stack:
        node = stack.pop()
        for nxt in np.flatnonzero(adjacency[node]):
            if nxt == target:
                return True
            if nxt not in seen:
                seen.add(int(nxt))
                stack.append(int(nxt))
    return False


def _scale_bounds(
    scale: ScaleLike, items: list[str], raw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-item (min, max) of the response scale, checked against the answers."""
    notes: list[str] = []
    if scale is None:
        lows, highs = raw.min(axis=0), raw.max(axis=0)
        notes.append(
            "No response scale given: items were rescaled from their observed minimum and "
            "maximum, so performance is relative to the answers given (pass scale=(min, max) or "
            "the codebook's scale)."
        )
        return lows, highs, notes
    if isinstance(scale, Mapping):
        absent = [i for i in items if i not in scale]
        if absent:
            raise InputError(
                f"The IPMA scale gives no (min, max) for item '{absent[0]}'.",
                column=absent[0],
                hint="Give every item of the model its response range, or one (min, max) for all.",
            )
        bounds = [_pair(scale[i], i) for i in items]
    else:
        bounds = [_pair(scale, None)] * len(items)
    lows = np.array([b[0] for b in bounds], dtype=float)
    highs = np.array([b[1] for b in bounds], dtype=float)
    for k, item in enumerate(items):
        outside = (raw[:, k] < lows[k]) | (raw[:, k] > highs[k])
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise InputError(
                f"Item '{item}' has answers outside its scale {lows[k]:g}..{highs[k]:g} "
                f"({int(outside.sum())} value(s)), so it cannot be rescaled to 0-100.",
                column=item,
                row=row + 1,
                value=float(raw[row, k]),
                hint="Correct the scale, or declare the value a missing code.",
            )
    return lows, highs, notes


def _pair(value: Any, item: str | None) -> tuple[float, float]:
    where = f" of item '{item}'" if item else ""
    if hasattr(value, "min") and hasattr(value, "max") and not isinstance(value, np.ndarray):
        low, high = value.min, value.max
    else:
        try:
            low, high = value
        except (TypeError, ValueError):
            raise InputError(
                f"The IPMA scale{where} ({value!r}) is not a (min, max) pair.",
                hint="Pass e.g. scale=(1, 7) or the codebook's scale.",
            ) from None
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise InputError(
            f"The IPMA scale{where} has min {low:g} not below max {high:g}.",
            hint="Pass the response range, e.g. scale=(1, 7).",
        )
    return low, high


def _quadrants(importance: pd.Series, performance: pd.Series) -> list[str]:
    mi, mp = float(importance.mean()), float(performance.mean())
    labels = []
    for imp, perf in zip(importance, performance, strict=True):
        if imp >= mi:
            labels.append("priority" if perf < mp else "keep up")
        else:
            labels.append("low priority" if perf < mp else "possible overkill")
    return labels
