"""Group comparisons of a PLS path model: MICOM, then multigroup analysis (MGA).

With a ``group`` column (e.g. prepaid vs contract customers), :func:`micom` checks whether the
composites mean the same in every group (measurement invariance of composites, Henseler, Ringle
& Sarstedt 2016) and :func:`multigroup_analysis` tests every path for a group difference with
the three tests the PLS literature uses (permutation, Henseler's PLS-MGA, parametric).
:func:`compare_groups` runs both on the same permutations. With more than two groups every pair
is compared (no correction for multiple testing; the results say so).

Everything random takes a ``seed`` and reports the one it used. Resampling here is serial and
uses ``_bootstrap``, a small seeded row bootstrap that can be switched to the package's
bootstrap engine when there is one.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.pls.data import Missing, PLSData, _prepared, standardize
from workbench.pls.estimation import (
    ESTIMATORS,
    INNER_WEIGHTINGS,
    Estimator,
    InnerWeighting,
    PLSCore,
    PLSPlan,
    PLSResult,
    _check_stopping,
    estimate_pls,
    fit_standardized,
)
from workbench.pls.specification import PLSModel, specify_model
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = [
    "GroupComparison",
    "MGAResult",
    "MICOMResult",
    "compare_groups",
    "micom",
    "multigroup_analysis",
]

_MGA_TESTS = ("p_permutation", "p_henseler_two_sided", "p_parametric")


# ----------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MICOMResult(Result):
    """Measurement invariance of composites (MICOM), per construct and pair of groups.

    Attributes
    ----------
    groups : tuple of str
        The groups, in order; ``n`` their sizes.
    table : pandas.DataFrame
        One row per pair of groups and construct: ``group_a``, ``group_b``, ``construct``,
        ``configural`` (step 1), ``c`` (step 2: correlation of the composite scores computed
        with the two groups' weights), ``c_quantile`` (the ``alpha`` quantile of ``c`` under
        permutation), ``p_c`` (one-sided permutation p: share of permuted ``c`` at or below
        ``c``), ``compositional`` (``p_c >= alpha``), ``mean_diff`` (step 3a: mean of group a's
        pooled-weight composite minus group b's, in pooled SD units), ``mean_low``,
        ``mean_high`` (the central ``1 - alpha`` permutation interval), ``p_mean``,
        ``equal_mean``, ``log_var_diff`` (step 3b: log of the variance ratio), ``var_low``,
        ``var_high``, ``p_var``, ``equal_var``, and ``invariance``: ``"full"`` (steps 1-3
        hold), ``"partial"`` (steps 1-2 hold, step 3 does not: compare path coefficients, not
        pooled data) or ``"none"`` (step 2 fails: do not compare the groups on this construct).
    n_perm, alpha, seed
        The settings (``seed`` is the one used, drawn from the OS when none was given).
    """

    groups: tuple[str, ...]
    n: dict[str, int]
    table: pd.DataFrame = dataclasses.field(repr=False)
    n_perm: int
    alpha: float
    seed: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def verdicts(self) -> pd.DataFrame:
        """``invariance`` per construct (rows) and pair of groups (columns)."""
        pair = self.table["group_a"] + " vs " + self.table["group_b"]
        return (
            self.table.assign(pair=pair)
            .pivot(index="construct", columns="pair", values="invariance")
            .loc[list(dict.fromkeys(self.table["construct"]))]
        )

    def summary(self) -> str:
        columns = ["group_a", "group_b", "construct", "c", "c_quantile", "p_c", "mean_diff"]
        columns += ["p_mean", "log_var_diff", "p_var", "invariance"]
        text = (
            f"MICOM (Henseler, Ringle & Sarstedt 2016), {self.n_perm} permutations, seed "
            f"{self.seed}, alpha {self.alpha:g}; groups: "
            + ", ".join(f"{g} (n = {self.n[g]})" for g in self.groups)
            + "\n\n"
            + self.table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``{construct: {c, p_c, compositional, mean_diff, p_mean, log_var_diff, p_var,
        invariance, ...}}`` for two groups; with more, ``{construct: {"A vs B": {...}}}``."""
        fields = [c for c in self.table.columns if c not in ("construct",)]
        out: dict[str, Any] = {}
        pairs = len(self.groups) > 2
        for row in self.table.to_dict(orient="records"):
            values = {k: row[k] for k in fields}
            if pairs:
                out.setdefault(row["construct"], {})[f"{row['group_a']} vs {row['group_b']}"] = (
                    values
                )
            else:
                out[row["construct"]] = values
        return jsonable(out)


@dataclasses.dataclass(frozen=True)
class MGAResult(Result):
    """Multigroup analysis: path differences between groups and their tests.

    Attributes
    ----------
    groups : tuple of str
    n : dict
        Group sizes.
    table : pandas.DataFrame
        One row per pair of groups and path: ``group_a``, ``group_b``, ``path``
        (``"X->Y"``), ``estimate_a``, ``estimate_b``, ``diff`` (a - b), ``p_permutation``
        (two-sided permutation test, Chin & Dibbern 2010), ``p_henseler`` (Henseler's
        PLS-MGA: the one-sided probability that group a's coefficient is not larger than group
        b's; small when a > b, near 1 when a < b), ``p_henseler_two_sided``
        (``2 min(p, 1 - p)``, as SmartPLS 4 reports it), ``se_a``, ``se_b`` (bootstrap SEs),
        ``t_parametric``, ``df_parametric``, ``p_parametric`` (Keil et al. 2000, pooled SE),
        ``t_welch``, ``df_welch``, ``p_welch`` (Welch-Satterthwaite, unequal variances),
        ``significant`` (how many of the three tests permutation, PLS-MGA two-sided and
        parametric have p < alpha) and ``verdict``: ``"differs"`` when the permutation test
        is significant, else ``"no significant difference"`` (Hair et al. 2018 recommend the
        permutation test; the other tests are shown for comparison).
    group_results : dict
        ``{group: PLSResult}``, the model estimated in each group.
    n_perm, n_boot, alpha, seed
        The settings (``seed`` is the one used).
    """

    groups: tuple[str, ...]
    n: dict[str, int]
    table: pd.DataFrame = dataclasses.field(repr=False)
    group_results: dict[str, PLSResult] = dataclasses.field(repr=False)
    n_perm: int
    n_boot: int
    alpha: float
    seed: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        columns = ["group_a", "group_b", "path", "estimate_a", "estimate_b", "diff"]
        columns += ["p_permutation", "p_henseler", "p_parametric", "verdict"]
        text = (
            f"Multigroup analysis, {self.n_perm} permutations and {self.n_boot} bootstrap "
            f"resamples per group, seed {self.seed}, alpha {self.alpha:g}; groups: "
            + ", ".join(f"{g} (n = {self.n[g]})" for g in self.groups)
            + "\n\n"
            + self.table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``{"X->Y": {estimate_<a>, estimate_<b>, diff, p_permutation, p_henseler, ...,
        verdict}}`` for two groups; with more, ``{"X->Y": {"A vs B": {...}}}``."""
        out: dict[str, Any] = {}
        pairs = len(self.groups) > 2
        skip = ("group_a", "group_b", "path", "estimate_a", "estimate_b")
        for row in self.table.to_dict(orient="records"):
            values = {
                f"estimate_{row['group_a']}": row["estimate_a"],
                f"estimate_{row['group_b']}": row["estimate_b"],
                **{k: v for k, v in row.items() if k not in skip},
            }
            if pairs:
                out.setdefault(row["path"], {})[f"{row['group_a']} vs {row['group_b']}"] = values
            else:
                out[row["path"]] = values
        return jsonable(out)


@dataclasses.dataclass(frozen=True)
class GroupComparison(Result):
    """MICOM and MGA of one model and grouping, on shared permutations (:func:`compare_groups`).

    ``mga.table`` gains ``invariance``: the weaker MICOM verdict of the path's two constructs
    for that pair of groups (a path difference is interpretable with at least partial
    invariance of both).
    """

    micom: MICOMResult
    mga: MGAResult

    @property
    def warnings(self) -> list[str]:
        return list(dict.fromkeys(self.micom.warnings + self.mga.warnings))

    def to_frame(self) -> pd.DataFrame:
        return self.mga.table

    def summary(self) -> str:
        return self.micom.summary() + "\n\n" + self.mga.summary()

    def to_dict(self) -> dict[str, Any]:
        """``{micom: ..., mga: ...}`` (see :meth:`MICOMResult.to_dict`, :meth:`MGAResult.to_dict`)."""
        return {"micom": self.micom.to_dict(), "mga": self.mga.to_dict()}


# ----------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------


def micom(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    group: str,
    n_perm: int = 1000,
    alpha: float = 0.05,
    seed: int | None = None,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    max_iter: int = 300,
    tol: float = 1e-7,
) -> MICOMResult:
    """Measurement invariance of composites (MICOM) across the groups of a column.

    Parameters
    ----------
    data : pandas.DataFrame
        The items of the model and the ``group`` column.
    model : str, dict or PLSModel
        The model (see :func:`~workbench.pls.specify_model`).
    group : str, keyword-only
        The column holding each respondent's group; rows with no group are left out (stated in
        the warnings).
    n_perm : int
        Permutations of the group labels (SmartPLS's default 1,000; cSEM's 499).
    alpha : float
        Significance level of the permutation tests.
    seed : int, optional
        Seed of the permutations; one is drawn (and reported in ``seed``) when not given.
    estimator, inner_weighting, missing, missing_codes, max_iter, tol
        As :func:`~workbench.pls.estimate_pls`; the same in every group (configural
        invariance). Missing answers are treated once, on the pooled sample.

    Returns
    -------
    MICOMResult

    Raises
    ------
    InputError
        ``group`` is not a column; fewer than two groups; a group with fewer respondents than
        the model has indicators (naming the group and its n); an item constant within a group
        (the model cannot be estimated there: configural invariance fails).

    Notes
    -----
    For each pair of groups ``a, b``, with ``Z`` their pooled data standardized together and
    ``w_a``, ``w_b``, ``w`` the outer weights estimated in group ``a``, group ``b`` and the
    pooled data (Henseler, Ringle & Sarstedt 2016):

    1. *Configural invariance*: same model, items, settings and data treatment in every group
       (guaranteed by the procedure; items constant within a group are refused).
    2. *Compositional invariance*: ``c = cor(Z w_a, Z w_b)`` per composite. Permuting the group
       labels ``n_perm`` times (re-estimating both groups each time) gives its distribution
       under invariance; invariance holds unless ``c`` falls below its ``alpha`` quantile,
       i.e. ``p_c = (1 + #{c_perm <= c}) / (1 + n_perm) >= alpha``.
    3. *Equal means and variances*: with the pooled-weight scores ``xi = Z w``, the difference
       of the group means and of the logs of the group variances, each tested against its
       permutation distribution (two-sided, ``p = (1 + #{|d_perm| >= |d|}) / (1 + n_perm)``).

    Full invariance: 1-3 hold (the pooled data may be analysed); partial: 1-2 hold (compare
    the groups' path coefficients); none: step 2 fails. p-values count the observed statistic
    as one permutation (Phipson & Smyth 2010), so they are never 0.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2016). Testing measurement invariance of
    composites using partial least squares. *International Marketing Review*, 33(3), 405-431.
    Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be zero.
    *Statistical Applications in Genetics and Molecular Biology*, 9(1), 39.
    SmartPLS: Calculate -> Permutation (MICOM); R: ``cSEM::testMICOM()``.

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> f = rng.normal(size=(120, 1))
    >>> d = pd.DataFrame(f + rng.normal(size=(120, 4)), columns=["a1", "a2", "y1", "y2"])
    >>> d["g"] = np.repeat(["north", "south"], 60)
    >>> res = micom(d, "A =~ a1 + a2; Y =~ y1 + y2; Y ~ A", group="g", n_perm=99, seed=1)
    >>> res.groups, list(res.table["construct"])
    (('north', 'south'), ['A', 'Y'])
    """
    setup = _setup(
        data,
        model,
        group=group,
        n_perm=n_perm,
        n_boot=0,
        alpha=alpha,
        seed=seed,
        estimator=estimator,
        inner_weighting=inner_weighting,
        missing=missing,
        missing_codes=missing_codes,
        max_iter=max_iter,
        tol=tol,
    )
    with single_threaded_blas():
        pairs = [_compare_pair(setup, a, b, mga=False) for a, b in setup.pairs]
    return _micom_result(setup, pairs)


def multigroup_analysis(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    group: str,
    n_perm: int = 1000,
    n_boot: int = 5000,
    alpha: float = 0.05,
    seed: int | None = None,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    max_iter: int = 300,
    tol: float = 1e-7,
) -> MGAResult:
    """Multigroup analysis (PLS-MGA): test every path for a difference between groups.

    Parameters
    ----------
    data, model, group, n_perm, alpha, seed, estimator, inner_weighting, missing, missing_codes,
    max_iter, tol
        As :func:`micom`.
    n_boot : int
        Bootstrap resamples per group (Henseler's test and the bootstrap SEs of the
        parametric tests).

    Returns
    -------
    MGAResult

    Raises
    ------
    InputError
        As :func:`micom`.

    Notes
    -----
    For each pair of groups ``a, b`` and path, with ``b_a``, ``b_b`` the coefficients
    estimated in each group (each group's items standardized within the group):

    * *Permutation test* (Chin & Dibbern 2010): the group labels are permuted ``n_perm`` times
      and both groups re-estimated; ``p = (1 + #{|d_perm| >= |b_a - b_b|}) / (1 + n_perm)``.
    * *Henseler's PLS-MGA* (Henseler, Ringle & Sinkovics 2009; Sarstedt, Henseler & Ringle
      2011): with ``J`` bootstrap estimates ``b*`` per group and their means ``b̄``,
      ``p = 1 - (1/J^2) sum_i sum_j Theta(2 b̄_a - b*_a,j - 2 b̄_b + b*_b,i)``, ``Theta`` the
      unit step (seminr's ``estimate_pls_mga``, ``pls_mga_p``); two-sided
      ``2 min(p, 1 - p)``.
    * *Parametric test* (Keil et al. 2000), pooled standard error from the bootstrap SEs:
      ``t = (b_a - b_b) / ( sqrt( (n_a-1)^2/(n_a+n_b-2) se_a^2 + (n_b-1)^2/(n_a+n_b-2) se_b^2 )
      sqrt(1/n_a + 1/n_b) )`` with ``n_a + n_b - 2`` degrees of freedom; and the
      Welch-Satterthwaite variant for unequal variances (Sarstedt et al. 2011):
      ``t = (b_a - b_b) / sqrt((n_a-1)/n_a se_a^2 + (n_b-1)/n_b se_b^2)``.

    Run :func:`micom` first (or :func:`compare_groups`): path differences are interpretable
    only for constructs with at least partial measurement invariance.

    References
    ----------
    Chin, W. W., & Dibbern, J. (2010). An introduction to a permutation based procedure for
    multi-group PLS analysis. In *Handbook of partial least squares* (pp. 171-193). Springer.
    Henseler, J., Ringle, C. M., & Sinkovics, R. R. (2009). The use of partial least squares
    path modeling in international marketing. *Advances in International Marketing*, 20,
    277-319.
    Sarstedt, M., Henseler, J., & Ringle, C. M. (2011). Multigroup analysis in partial least
    squares (PLS) path modeling: alternative methods and empirical results. *Advances in
    International Marketing*, 22, 195-218.
    Keil, M., Tan, B. C. Y., Wei, K.-K., et al. (2000). A cross-cultural study on escalation of
    commitment behavior in software projects. *MIS Quarterly*, 24(2), 299-325.
    Hair, J. F., Sarstedt, M., Ringle, C. M., & Gudergan, S. P. (2018). *Advanced issues in
    partial least squares structural equation modeling*, ch. 4. Sage.
    R: ``seminr::estimate_pls_mga(pls_model, condition, nboot)``; SmartPLS: Calculate ->
    Multigroup analysis (MGA), Permutation.
    """
    setup = _setup(
        data,
        model,
        group=group,
        n_perm=n_perm,
        n_boot=n_boot,
        alpha=alpha,
        seed=seed,
        estimator=estimator,
        inner_weighting=inner_weighting,
        missing=missing,
        missing_codes=missing_codes,
        max_iter=max_iter,
        tol=tol,
    )
    with single_threaded_blas():
        pairs = [_compare_pair(setup, a, b, mga=True) for a, b in setup.pairs]
    return _mga_result(setup, pairs)


def compare_groups(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    group: str,
    n_perm: int = 1000,
    n_boot: int = 5000,
    alpha: float = 0.05,
    seed: int | None = None,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    max_iter: int = 300,
    tol: float = 1e-7,
) -> GroupComparison:
    """MICOM and multigroup analysis on the same permutations (see :func:`micom` and
    :func:`multigroup_analysis` for the parameters and the methods).

    The MGA table gains ``invariance`` per path: the weaker MICOM verdict of its two
    constructs for that pair of groups; a warning names the paths whose constructs lack at
    least partial invariance.
    """
    setup = _setup(
        data,
        model,
        group=group,
        n_perm=n_perm,
        n_boot=n_boot,
        alpha=alpha,
        seed=seed,
        estimator=estimator,
        inner_weighting=inner_weighting,
        missing=missing,
        missing_codes=missing_codes,
        max_iter=max_iter,
        tol=tol,
    )
    with single_threaded_blas():
        pairs = [_compare_pair(setup, a, b, mga=True) for a, b in setup.pairs]
    invariance = _micom_result(setup, pairs)
    mga = _mga_result(setup, pairs)
    rank = {"none": 0, "partial": 1, "full": 2}
    verdict = {
        (r["group_a"], r["group_b"], r["construct"]): r["invariance"]
        for r in invariance.table.to_dict(orient="records")
    }
    column, notes = [], []
    for r in mga.table.to_dict(orient="records"):
        source, target = r["path"].split("->")
        levels = [verdict[(r["group_a"], r["group_b"], c)] for c in (source, target)]
        weakest = min(levels, key=rank.__getitem__)
        column.append(weakest)
        if weakest == "none":
            notes.append(
                f"{r['path']} ({r['group_a']} vs {r['group_b']}): a construct lacks "
                "compositional invariance (MICOM step 2), so the path difference is not "
                "interpretable."
            )
    table = mga.table.assign(invariance=column)
    mga = dataclasses.replace(
        mga, table=table, warning_messages=tuple(mga.warning_messages) + tuple(notes)
    )
    return GroupComparison(micom=invariance, mga=mga)


# ----------------------------------------------------------------------------
# Set-up and the permutation / bootstrap machinery
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class _Setup:
    spec: PLSModel
    plan: PLSPlan
    prepared: PLSData
    x: np.ndarray  # prepared items (n, p), plan order
    labels: tuple[str, ...]
    members: dict[str, np.ndarray]  # group -> row positions in x
    pairs: tuple[tuple[str, str], ...]
    n_perm: int
    n_boot: int
    alpha: float
    seed: int
    streams: dict[tuple[str, str], tuple[np.random.SeedSequence, np.random.SeedSequence]]
    fit: Callable[[np.ndarray], PLSCore]
    settings: dict[str, Any]
    notes: tuple[str, ...]


def _setup(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    group: str,
    n_perm: int,
    n_boot: int,
    alpha: float,
    seed: int | None,
    estimator: Estimator,
    inner_weighting: InnerWeighting,
    missing: Missing,
    missing_codes: Sequence[float],
    max_iter: int,
    tol: float,
) -> _Setup:
    check_choice("estimator", estimator, ESTIMATORS)
    check_choice("inner_weighting", inner_weighting, INNER_WEIGHTINGS)
    _check_stopping(max_iter, tol)
    for name, value, low in (("n_perm", n_perm, 1), ("n_boot", n_boot, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}={value!r} is not valid: use a whole number >= {low}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r} is not valid: use a level between 0 and 1, e.g. 0.05")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    spec = specify_model(model)
    columns = [str(c) for c in data.columns]
    if group not in columns:
        close = difflib.get_close_matches(group, columns, n=3, cutoff=0.6)
        raise InputError(
            f"The group column '{group}' is not a column of the data.",
            column=group,
            hint=(f"Did you mean {' or '.join(map(repr, close))}? " if close else "")
            + "Name the column that holds each respondent's group.",
        )
    groups = data.iloc[:, columns.index(group)]
    notes: list[str] = []
    unassigned = groups.isna()
    if unassigned.any():
        notes.append(
            f"{int(unassigned.sum())} respondent(s) without a value in '{group}' were left out "
            "of the group comparison."
        )
    kept = data.loc[~unassigned.to_numpy()]
    prepared = _prepared(kept, spec, missing=missing, missing_codes=missing_codes)
    notes += list(prepared.warnings)
    plan = PLSPlan.from_model(spec)
    frame = prepared.frame
    values = kept.iloc[:, columns.index(group)].loc[frame.index]
    order = list(pd.unique(values.sort_values(kind="stable")))
    labels = tuple(str(v) for v in order)
    if len(labels) != len(set(labels)):
        raise InputError(
            f"Two groups of '{group}' have the same name when written as text.",
            column=group,
            hint="Recode the group column with distinct labels.",
        )
    if len(labels) < 2:
        only = f" (every respondent is in '{labels[0]}')" if labels else ""
        raise InputError(
            f"The group column '{group}' has fewer than two groups{only}.",
            column=group,
            hint="A group comparison needs at least two groups: check the column or the filter.",
        )
    positions = values.to_numpy()
    members = {
        label: np.flatnonzero(positions == value)
        for label, value in zip(labels, order, strict=True)
    }
    p = len(plan.items)
    x = frame.to_numpy(dtype=float)
    for label, rows in members.items():
        if len(rows) < p:
            raise InputError(
                f"Group '{label}' of '{group}' has {len(rows)} respondent(s), fewer than the "
                f"model's {p} indicators, so the model cannot be estimated in it.",
                column=group,
                value=label,
                hint="Collect more responses in this group, merge it with another, or leave it "
                "out of the comparison.",
            )
        constant = [plan.items[k] for k in np.flatnonzero(np.ptp(x[rows], axis=0) == 0)]
        if constant:
            raise InputError(
                f"Item '{constant[0]}' has the same answer for every respondent of group "
                f"'{label}', so the model cannot be estimated in that group (configural "
                "invariance fails).",
                column=constant[0],
                value=label,
                hint="Drop the item from the model, or merge the group with another.",
            )
    if len(labels) > 2:
        notes.append(
            f"{len(labels)} groups: every pair is compared ({len(labels) * (len(labels) - 1) // 2}"
            " comparisons), without a correction for multiple testing."
        )
    used = int(np.random.SeedSequence().generate_state(1)[0]) if seed is None else int(seed)
    pairs = tuple(itertools.combinations(labels, 2))
    children = np.random.SeedSequence(used).spawn(2 * len(pairs))
    streams = {pair: (children[2 * k], children[2 * k + 1]) for k, pair in enumerate(pairs)}
    settings = {
        "estimator": estimator,
        "inner_weighting": inner_weighting,
        "max_iter": max_iter,
        "tol": tol,
    }

    def fit(rows_x: np.ndarray) -> PLSCore:
        return fit_standardized(
            rows_x,
            plan,
            estimator=estimator,
            inner_weighting=inner_weighting,
            max_iter=max_iter,
            tol=tol,
        )

    return _Setup(
        spec=spec,
        plan=plan,
        prepared=prepared,
        x=x,
        labels=labels,
        members=members,
        pairs=pairs,
        n_perm=n_perm,
        n_boot=n_boot,
        alpha=float(alpha),
        seed=used,
        streams=streams,
        fit=fit,
        settings=settings,
        notes=tuple(notes),
    )


def _bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """A seeded row bootstrap: ``statistic(rows)`` for ``n_boot`` resamples of ``range(n)``.

    Returns the ``(kept, k)`` estimates of the resamples that gave finite values and the number
    dropped (e.g. a singular resample). Resample ``r`` is ``rng.integers(0, n, size=n)``, drawn
    in order. The one place to switch to the package's bootstrap engine.
    """
    out = []
    dropped = 0
    for _ in range(n_boot):
        rows = rng.integers(0, n, size=n)
        try:
            value = statistic(rows)
        except np.linalg.LinAlgError:
            dropped += 1
            continue
        if np.all(np.isfinite(value)):
            out.append(value)
        else:
            dropped += 1
    return (np.vstack(out) if out else np.empty((0, 0))), dropped


@dataclasses.dataclass(frozen=True, eq=False)
class _Pair:
    a: str
    b: str
    core_a: PLSCore
    core_b: PLSCore
    c: np.ndarray  # (m,)
    c_perm: np.ndarray  # (n_perm, m)
    mean_diff: np.ndarray
    mean_perm: np.ndarray
    var_diff: np.ndarray
    var_perm: np.ndarray
    path_diff_perm: np.ndarray  # (n_perm, k) or empty
    boot_a: np.ndarray
    boot_b: np.ndarray
    dropped: int


def _compare_pair(setup: _Setup, a: str, b: str, *, mga: bool) -> _Pair:
    """Observed statistics and their permutation (and bootstrap) distributions for one pair."""
    plan = setup.plan
    rows_a, rows_b = setup.members[a], setup.members[b]
    rows = np.concatenate([rows_a, rows_b])
    na = len(rows_a)
    x = setup.x[rows]
    z = standardize(x)  # the pair's pooled data, standardized together
    membership = plan.membership
    ps, pt = plan.path_source, plan.path_target

    def weights(core: PLSCore) -> np.ndarray:
        return membership * core.weights[:, None]

    def composite_c(core_1: PLSCore, core_2: PLSCore) -> np.ndarray:
        s1, s2 = z @ weights(core_1), z @ weights(core_2)
        s1 = s1 - s1.mean(axis=0)
        s2 = s2 - s2.mean(axis=0)
        return np.einsum("ij,ij->j", s1, s2) / np.sqrt(
            np.einsum("ij,ij->j", s1, s1) * np.einsum("ij,ij->j", s2, s2)
        )

    core_a, core_b = setup.fit(x[:na]), setup.fit(x[na:])
    c = composite_c(core_a, core_b)
    pooled = setup.fit(x)
    xi = z @ weights(pooled)

    def moments(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean difference, log variance ratio) of the pooled scores for a split."""
        s1, s2 = xi[first], np.delete(xi, first, axis=0)
        diff = s1.mean(axis=0) - s2.mean(axis=0)
        ratio = np.log(s1.var(axis=0, ddof=1)) - np.log(s2.var(axis=0, ddof=1))
        return diff, ratio

    mean_diff, var_diff = moments(np.arange(na))
    perm_seq, boot_seq = setup.streams[(a, b)]
    rng = np.random.default_rng(perm_seq)
    m, k = len(plan.constructs), len(ps)
    c_perm = np.full((setup.n_perm, m), np.nan)
    mean_perm = np.empty((setup.n_perm, m))
    var_perm = np.empty((setup.n_perm, m))
    path_perm = np.full((setup.n_perm, k), np.nan)
    for r in range(setup.n_perm):
        order = rng.permutation(len(rows))
        first = order[:na]
        mean_perm[r], var_perm[r] = moments(first)
        try:
            perm_a, perm_b = setup.fit(x[first]), setup.fit(x[order[na:]])
        except np.linalg.LinAlgError:
            continue
        c_perm[r] = composite_c(perm_a, perm_b)
        path_perm[r] = perm_a.path_matrix[ps, pt] - perm_b.path_matrix[ps, pt]
    boot_a = boot_b = np.empty((0, k))
    dropped = 0
    if mga and setup.n_boot:
        seq_a, seq_b = boot_seq.spawn(2)
        boots = []
        for group_rows, seq in ((x[:na], seq_a), (x[na:], seq_b)):

            def statistic(sample: np.ndarray, data: np.ndarray = group_rows) -> np.ndarray:
                return setup.fit(data[sample]).path_matrix[ps, pt]

            values, lost = _bootstrap(
                statistic, len(group_rows), setup.n_boot, np.random.default_rng(seq)
            )
            boots.append(values.reshape(-1, k))
            dropped += lost
        boot_a, boot_b = boots
    return _Pair(
        a=a,
        b=b,
        core_a=core_a,
        core_b=core_b,
        c=c,
        c_perm=c_perm,
        mean_diff=mean_diff,
        mean_perm=mean_perm,
        var_diff=var_diff,
        var_perm=var_perm,
        path_diff_perm=path_perm,
        boot_a=boot_a,
        boot_b=boot_b,
        dropped=dropped,
    )


def _p_upper(perm: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Two-sided permutation p per column: (1 + #{|perm| >= |obs|}) / (1 + valid)."""
    valid = np.isfinite(perm)
    hits = (np.abs(np.where(valid, perm, 0.0)) >= np.abs(observed) - 1e-12) & valid
    return (1.0 + hits.sum(axis=0)) / (1.0 + valid.sum(axis=0))


def _p_lower(perm: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """One-sided permutation p per column: (1 + #{perm <= obs}) / (1 + valid)."""
    valid = np.isfinite(perm)
    hits = (np.where(valid, perm, np.inf) <= observed + 1e-12) & valid
    return (1.0 + hits.sum(axis=0)) / (1.0 + valid.sum(axis=0))


def _quantiles(perm: np.ndarray, q: float) -> np.ndarray:
    return np.array(
        [
            np.quantile(col[np.isfinite(col)], q) if np.isfinite(col).any() else np.nan
            for col in perm.T
        ]
    )


def _micom_result(setup: _Setup, pairs: list[_Pair]) -> MICOMResult:
    alpha = setup.alpha
    rows = []
    notes = list(setup.notes)
    for pair in pairs:
        p_c = _p_lower(pair.c_perm, pair.c)
        q_c = _quantiles(pair.c_perm, alpha)
        p_mean = _p_upper(pair.mean_perm, pair.mean_diff)
        p_var = _p_upper(pair.var_perm, pair.var_diff)
        mean_lo, mean_hi = (
            _quantiles(pair.mean_perm, alpha / 2),
            _quantiles(pair.mean_perm, 1 - alpha / 2),
        )
        var_lo, var_hi = (
            _quantiles(pair.var_perm, alpha / 2),
            _quantiles(pair.var_perm, 1 - alpha / 2),
        )
        failed = int(np.isnan(pair.c_perm[:, 0]).sum())
        if failed:
            notes.append(
                f"{pair.a} vs {pair.b}: {failed} permutation(s) could not be estimated (singular "
                "data) and were left out."
            )
        for j, construct in enumerate(setup.plan.constructs):
            compositional = bool(p_c[j] >= alpha)
            equal_mean, equal_var = bool(p_mean[j] >= alpha), bool(p_var[j] >= alpha)
            if not compositional:
                verdict = "none"
            elif equal_mean and equal_var:
                verdict = "full"
            else:
                verdict = "partial"
            rows.append(
                {
                    "group_a": pair.a,
                    "group_b": pair.b,
                    "construct": construct,
                    "configural": True,
                    "c": float(pair.c[j]),
                    "c_quantile": float(q_c[j]),
                    "p_c": float(p_c[j]),
                    "compositional": compositional,
                    "mean_diff": float(pair.mean_diff[j]),
                    "mean_low": float(mean_lo[j]),
                    "mean_high": float(mean_hi[j]),
                    "p_mean": float(p_mean[j]),
                    "equal_mean": equal_mean,
                    "log_var_diff": float(pair.var_diff[j]),
                    "var_low": float(var_lo[j]),
                    "var_high": float(var_hi[j]),
                    "p_var": float(p_var[j]),
                    "equal_var": equal_var,
                    "invariance": verdict,
                }
            )
    table = pd.DataFrame(rows)
    none = table.loc[table["invariance"] == "none"]
    for r in none.to_dict(orient="records"):
        notes.append(
            f"MICOM: '{r['construct']}' lacks compositional invariance between {r['group_a']} "
            f"and {r['group_b']} (c = {r['c']:.4f}, p = {r['p_c']:.3f}): do not compare these "
            "groups on it."
        )
    return MICOMResult(
        groups=setup.labels,
        n={g: len(r) for g, r in setup.members.items()},
        table=table,
        n_perm=setup.n_perm,
        alpha=alpha,
        seed=setup.seed,
        warning_messages=tuple(notes),
    )


def _henseler_p(boot_a: np.ndarray, boot_b: np.ndarray) -> np.ndarray:
    """Henseler's PLS-MGA p per column (seminr's ``pls_mga_p``), by sorting, O(J log J)."""
    out = np.empty(boot_a.shape[1])
    for k in range(boot_a.shape[1]):
        reflected_a = 2 * boot_a[:, k].mean() - boot_a[:, k]
        reflected_b = np.sort(2 * boot_b[:, k].mean() - boot_b[:, k])
        # pairs (j, i) with reflected_a[j] > reflected_b[i]
        above = np.searchsorted(reflected_b, reflected_a, side="left").sum()
        out[k] = 1.0 - above / (len(reflected_a) * len(reflected_b))
    return out


def _mga_result(setup: _Setup, pairs: list[_Pair]) -> MGAResult:
    plan, alpha = setup.plan, setup.alpha
    ps, pt = plan.path_source, plan.path_target
    names = [f"{s}->{t}" for s, t in setup.spec.paths]
    notes = list(setup.notes)
    rows = []
    for pair in pairs:
        na, nb = len(setup.members[pair.a]), len(setup.members[pair.b])
        est_a, est_b = pair.core_a.path_matrix[ps, pt], pair.core_b.path_matrix[ps, pt]
        diff = est_a - est_b
        p_perm = _p_upper(pair.path_diff_perm, diff)
        if len(pair.boot_a) >= 2 and len(pair.boot_b) >= 2:
            p_h = _henseler_p(pair.boot_a, pair.boot_b)
            se_a, se_b = pair.boot_a.std(axis=0, ddof=1), pair.boot_b.std(axis=0, ddof=1)
        else:
            p_h = se_a = se_b = np.full(len(diff), np.nan)
        df = na + nb - 2
        pooled = np.sqrt(((na - 1) ** 2 * se_a**2 + (nb - 1) ** 2 * se_b**2) / df) * math.sqrt(
            1 / na + 1 / nb
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            t_par = diff / pooled
            welch_var = (na - 1) / na * se_a**2 + (nb - 1) / nb * se_b**2
            t_welch = diff / np.sqrt(welch_var)
            df_welch = welch_var**2 / ((na - 1) / na**2 * se_a**4 + (nb - 1) / nb**2 * se_b**4) - 2
        p_par = 2 * stats.t.sf(np.abs(t_par), df)
        p_welch = 2 * stats.t.sf(np.abs(t_welch), df_welch)
        p_h2 = 2 * np.minimum(p_h, 1 - p_h)
        if pair.dropped:
            notes.append(
                f"{pair.a} vs {pair.b}: {pair.dropped} bootstrap resample(s) could not be "
                "estimated and were left out."
            )
        for k, path in enumerate(names):
            tests = {"p_permutation": p_perm[k], "p_henseler_two_sided": p_h2[k]}
            tests["p_parametric"] = p_par[k]
            significant = sum(bool(tests[t] < alpha) for t in _MGA_TESTS)
            rows.append(
                {
                    "group_a": pair.a,
                    "group_b": pair.b,
                    "path": path,
                    "estimate_a": float(est_a[k]),
                    "estimate_b": float(est_b[k]),
                    "diff": float(diff[k]),
                    "p_permutation": float(p_perm[k]),
                    "p_henseler": float(p_h[k]),
                    "p_henseler_two_sided": float(p_h2[k]),
                    "se_a": float(se_a[k]),
                    "se_b": float(se_b[k]),
                    "t_parametric": float(t_par[k]),
                    "df_parametric": float(df),
                    "p_parametric": float(p_par[k]),
                    "t_welch": float(t_welch[k]),
                    "df_welch": float(df_welch[k]),
                    "p_welch": float(p_welch[k]),
                    "significant": f"{significant} of 3",
                    "verdict": "differs" if p_perm[k] < alpha else "no significant difference",
                }
            )
    table = pd.DataFrame(rows)
    mixed = table.loc[~table["significant"].isin(["0 of 3", "3 of 3"])]
    for r in mixed.to_dict(orient="records"):
        notes.append(
            f"{r['path']} ({r['group_a']} vs {r['group_b']}): the tests disagree "
            f"(permutation p = {r['p_permutation']:.3f}, PLS-MGA p = "
            f"{r['p_henseler_two_sided']:.3f}, parametric p = {r['p_parametric']:.3f}); the "
            "verdict follows the permutation test."
        )
    group_results = {
        label: estimate_pls(
            dataclasses.replace(setup.prepared, frame=setup.prepared.frame.iloc[rows_g]),
            setup.spec,
            estimator=setup.settings["estimator"],
            inner_weighting=setup.settings["inner_weighting"],
            max_iter=setup.settings["max_iter"],
            tol=setup.settings["tol"],
        )
        for label, rows_g in setup.members.items()
    }
    return MGAResult(
        groups=setup.labels,
        n={g: len(r) for g, r in setup.members.items()},
        table=table,
        group_results=group_results,
        n_perm=setup.n_perm,
        n_boot=setup.n_boot,
        alpha=alpha,
        seed=setup.seed,
        warning_messages=tuple(notes),
    )
