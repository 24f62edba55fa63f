"""Structural equation models on ordered items by WLSMV, at parity with lavaan 0.6.

:func:`fit_ordinal_sem` extends the ordinal CFA of :mod:`workbench.sem.ordinal` to latent
regressions (the :math:`B` matrix among factors, second-order factors), residual
covariances, labelled paths, equality constraints by shared labels and defined effects
(``ind := a*b``), in the delta or the theta parameterization, with marker loadings or unit
latent variances (``std.lv``): ``lavaan::sem(model, data, ordered = TRUE, estimator =
"WLSMV")``. The estimators (DWLS on thresholds and polychoric correlations, or ULS), the
robust or standard errors, the scaled-shifted test and the fit indices are those of
:func:`~workbench.sem.ordinal.fit_ordinal_cfa`; this module adds the model syntax, the
theta parameterization, equality constraints (a thin model that ties parameters,
``_EqualityConstrainedModel``), the structural part of the standardized solution,
R-squared and defined parameters, and :func:`ordinal_difference_test`, the scaled-shifted
chi-square difference test of two nested fits (lavaan's ``lavTestLRT`` for WLSMV).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings
from workbench.sem.model import _check_expression, _eval, _split_syntax, cfa_syntax
from workbench.sem.ordinal import (
    _ESTIMATORS,
    _PD_TOL,
    _continuous_items,
    _estimate,
    _fit_measures,
    _heywood_warnings,
    _LisrelModel,
    _numeric_jacobian,
    _Param,
    _pchisq,
)
from workbench.sem.ordinal_stats import OrdinalSampleStats, ordinal_sample_statistics

__all__ = ["OrdinalSEMResult", "fit_ordinal_sem", "ordinal_difference_test"]

OrdinalEstimator = Literal[
    "WLSMV", "DWLS", "ULSMV", "ULS", "wlsmv", "dwls", "ulsmv", "uls"
]  # fmt: skip
OrdinalParameterization = Literal["delta", "theta"]
_TESTS = ("scaled.shifted", "mean.var.adjusted", "standard")
_NAME = r"(?:[^\W\d]|\.)[\w.]*"
_TERM = re.compile(rf"^\s*(?:(?P<mod>[^*]+?)\s*\*\s*)?(?P<name>{_NAME})\s*$")


# ----------------------------------------------------------------------------
# Syntax
# ----------------------------------------------------------------------------
@dataclasses.dataclass
class _Spec:
    """The parsed model: measurement, regressions, covariances, definitions."""

    measurement: dict[str, list[tuple[str, str | None]]]
    regressions: list[tuple[str, str, str | None]]
    covariances: list[tuple[str, str, str | None]]
    defined: list[tuple[str, str]]


def _terms(rhs: str, line: str) -> list[tuple[str, str | None]]:
    out = []
    for part in rhs.split("+"):
        m = _TERM.match(part)
        if not m:
            raise InputError(
                f"Cannot read '{part.strip()}' in the model line '{line}'.",
                hint="Write terms as 'name', 'label*name' or 'number*name', joined by '+'.",
            )
        out.append((m.group("name"), m.group("mod")))
    return out


def _parse(model: str) -> _Spec:
    body, defined = _split_syntax(model)
    spec = _Spec({}, [], [], defined)
    for line in body.splitlines():
        if "==" in line or re.search(r"<(?!~)|>", line):
            raise InputError(
                f"The constraint line '{line}' is not supported.",
                hint="To make parameters equal, give them the same label (e.g. 'f =~ x1 + "
                "a*x2 + a*x3' or 'y ~ b*x + b*z'); inequality constraints are not available.",
            )
        for op in ("=~", "~~", "~"):
            if op in line:
                lhs, rhs = (s.strip() for s in line.split(op, 1))
                break
        else:
            raise InputError(
                f"The model line '{line}' has no operator.",
                hint="Use '=~' (measurement), '~' (regression), '~~' (covariance) or ':='.",
            )
        if not re.fullmatch(_NAME, lhs):
            raise InputError(
                f"'{lhs}' in the model line '{line}' is not a variable name.",
                hint="Put one variable on the left of '=~', '~' and '~~'.",
            )
        if op in ("=~", "~") and rhs.strip() in ("1", ""):
            raise InputError(
                f"The model line '{line}' (intercepts or an empty right side) is not "
                "supported for ordered items.",
                hint="Thresholds replace intercepts for ordered items; remove the line.",
            )
        terms = _terms(rhs, line)
        if op == "=~":
            spec.measurement.setdefault(lhs, []).extend(terms)
        elif op == "~":
            spec.regressions += [(lhs, name, mod) for name, mod in terms]
        else:
            spec.covariances += [(lhs, name, mod) for name, mod in terms]
    if not spec.measurement:
        raise InputError(
            "The model has no measurement part ('=~').",
            hint="Define each factor by its ordered items, e.g. 'f =~ q1 + q2 + q3'.",
        )
    return spec


def _modifier(mod: str | None, where: str) -> tuple[str | None, float | None]:
    """(label, fixed value) of a term's modifier."""
    if mod is None or mod.strip() in ("NA", ""):
        return None, None
    mod = mod.strip()
    try:
        return None, float(mod)
    except ValueError:
        pass
    if re.fullmatch(_NAME, mod):
        return mod, None
    raise InputError(
        f"The modifier '{mod}' of {where} is neither a label nor a number.",
        hint="Use a label ('a*x', the same label on parameters that are equal) or a fixed "
        "value ('0.5*x'); start values are not supported here.",
    )


# ----------------------------------------------------------------------------
# The theta parameterization
# ----------------------------------------------------------------------------
class _ThetaLisrelModel(_LisrelModel):
    """The LISREL model in lavaan's theta parameterization.

    The residual variances :math:`\\Theta` of the latent responses are parameters (1 by
    default) and their total variances are free: with :math:`\\Sigma^* = \\Lambda \\Phi
    \\Lambda' + \\Theta` and scale factors :math:`\\Delta = \\mathrm{diag}(\\Sigma^*)^{-1/2}`,
    the implied correlations are :math:`\\Delta\\Sigma^*\\Delta` and the implied standardized
    thresholds :math:`\\Delta_{ii}\\tau_{ic}` (lavaan's ``computeTH``).
    """

    nonlinear_thresholds = True

    def __init__(self, *args: Any, th_item: np.ndarray, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.th_item = th_item
        self._diag = np.arange(self.p)
        self._ordered = np.ones(self.p, dtype=bool)  # continuous items are not rescaled
        self._ordered[self.var_item] = False

    def raw_sigma(self, x: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        mx = self.matrices(x)
        lam = mx["lambda"]
        return mx, lam @ mx["phi"] @ lam.T + mx["theta"]

    def _scales(self, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`\\Delta` (1 for continuous items) and :math:`-\\partial\\log\\Delta/
        \\partial\\sigma^2 = 1/(2\\sigma^2)` (0 for continuous items)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(self._ordered, 1.0 / np.sqrt(var), 1.0)
            c = np.where(self._ordered, 0.5 / var, 0.0)
        return d, c

    def implied(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mx, sig = self.raw_sigma(x)
        d, _ = self._scales(np.diag(sig))
        corr = sig * np.outer(d, d)
        o = np.flatnonzero(self._ordered)
        corr[o, o] = 1.0
        return mx["tau"] * d[self.th_item], corr

    def jacobian(
        self, x: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        mx, sig = self.raw_sigma(x)
        var = np.diag(sig)
        d, c = self._scales(var)
        # derivatives of the raw moments: thresholds, off-diagonal pairs, then the diagonal
        pi = np.concatenate([self.pair_i, self._diag])
        pj = np.concatenate([self.pair_j, self._diag])
        raw = _LisrelModel.jacobian(self, x, (pi, pj))
        n_th, n_pair, n_var = self.n_th, self.pair_i.size, self.n_var
        d_var = raw[n_th + n_pair :]  # p x npar
        out = np.empty((n_th + n_var + n_pair, self.npar))
        ti = self.th_item
        tau = mx["tau"]
        out[:n_th] = d[ti, None] * raw[:n_th] - (tau * d[ti] * c[ti])[:, None] * d_var[ti]
        out[n_th : n_th + n_var] = d_var[self.var_item]  # continuous items' variances
        i, j = self.pair_i, self.pair_j
        r = sig[i, j] * d[i] * d[j]
        out[n_th + n_var :] = (d[i] * d[j])[:, None] * raw[n_th : n_th + n_pair] - r[:, None] * (
            c[i, None] * d_var[i] + c[j, None] * d_var[j]
        )
        return out


# ----------------------------------------------------------------------------
# Equality constraints (parameters sharing a label)
# ----------------------------------------------------------------------------
class _EqualityConstrainedModel(_LisrelModel):
    """A LISREL model whose free parameters are tied in groups: lavaan's simple equality
    constraints (parameters that share a label are one parameter).

    The reduced parameter vector :math:`x` (one entry per group) maps to the base model's
    :math:`x_{full} = Kx` (:math:`K` a 0/1 matrix, one 1 per row), so that
    :math:`\\sigma(x) = \\sigma_{base}(Kx)` and :math:`\\partial\\sigma/\\partial x' =
    \\Delta_{base}(Kx)\\,K`. It presents what the estimation (``_estimate``,
    ``_newton_hessian``, ``_fit_measures``) and the estimates table read from a model:
    ``npar``, ``free`` (the first parameter of each group, renumbered), ``params`` (every row,
    with ``free`` its group's index), ``_where`` (positions in the reduced vector),
    ``start``, ``matrices``, ``implied``, ``moments``, ``jacobian``. The matrices live in
    the base model, so ``_LisrelModel.__init__`` is not called; any other attribute is the
    base model's.
    """

    def __init__(self, base: _LisrelModel, group: np.ndarray) -> None:
        self.base = base
        self.items, self.factors = base.items, base.factors
        self.n_th, self.pair_i, self.pair_j = base.n_th, base.pair_i, base.pair_j
        self.p, self.m = base.p, base.m
        self.nonlinear_thresholds = base.nonlinear_thresholds  # a class attribute of the base
        self.group = np.asarray(group, dtype=np.intp)  # reduced index of each base parameter
        self.npar = int(self.group.max()) + 1 if self.group.size else 0
        self._k = np.zeros((self.group.size, self.npar))
        self._k[np.arange(self.group.size), self.group] = 1.0
        self._first = np.array(
            [int(np.flatnonzero(self.group == r)[0]) for r in range(self.npar)], dtype=np.intp
        )
        self.free = [dataclasses.replace(base.free[j], free=r) for r, j in enumerate(self._first)]
        self.params = [
            dataclasses.replace(q, free=int(self.group[q.free])) if q.free >= 0 else q
            for q in base.params
        ]
        self._where = {
            kind: (self.group[ks], rows, cols) for kind, (ks, rows, cols) in base._where.items()
        }

    def __getattr__(self, name: str) -> Any:
        if name == "base":  # not yet set (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.base, name)

    def expand(self, x: np.ndarray) -> np.ndarray:
        """The base model's parameter vector :math:`Kx`."""
        return x[self.group]

    def start(self) -> np.ndarray:
        return self.base.start()[self._first]

    def matrices(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return self.base.matrices(self.expand(x))

    def implied(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.base.implied(self.expand(x))

    def moments(self, x: np.ndarray) -> np.ndarray:
        return self.base.moments(self.expand(x))

    def jacobian(
        self, x: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        return self.base.jacobian(self.expand(x), pairs) @ self._k


def _equal_groups(
    params: list[_Param], row_labels: list[str | None]
) -> tuple[list[_Param], np.ndarray | None]:
    """Resolve shared labels as lavaan: tie free parameters, fix those tied to a fixed one.

    Returns the parameter table with consecutive free indices and, when parameters are tied,
    the reduced index of each free parameter (else None).
    """
    rows: dict[str, list[int]] = {}
    for k, lab in enumerate(row_labels):
        if lab is not None:
            rows.setdefault(lab, []).append(k)
    params = list(params)
    for ks in rows.values():
        # lavaan: a parameter tied to a fixed one is fixed to its value (a term's modifier
        # is a label or a number, so only a marker loading, fixed to 1, can carry a label)
        fixed = [params[k].value for k in ks if params[k].free < 0]
        if fixed:
            for k in ks:
                params[k] = dataclasses.replace(params[k], free=-1, value=fixed[0])
    free = 0
    for k, q in enumerate(params):
        if q.free >= 0:
            params[k] = dataclasses.replace(q, free=free)
            free += 1
    group = np.arange(free, dtype=np.intp)
    for ks in rows.values():
        idx = [params[k].free for k in ks if params[k].free >= 0]
        if idx:
            group[idx[1:]] = idx[0]
    if np.array_equal(group, np.arange(free)):
        return params, None
    _, reduced = np.unique(group, return_inverse=True)  # renumber in order of first use
    return params, reduced.astype(np.intp)


# ----------------------------------------------------------------------------
# Parameter table (lavaan's sem() defaults)
# ----------------------------------------------------------------------------
@dataclasses.dataclass
class _Built:
    model: _LisrelModel
    labels: dict[str, list[int]]  # label -> its rows in the parameter table
    defined: list[tuple[str, str, ast.Expression]]
    items: list[str]
    factors: list[str]
    endogenous: list[str]
    spec: _Spec


def _variables(spec: _Spec) -> tuple[list[str], list[str]]:
    factors = list(spec.measurement)
    items: list[str] = []
    for terms in spec.measurement.values():
        for name, _ in terms:
            if name not in spec.measurement and name not in items:
                items.append(name)
    return items, factors


def _build(
    spec: _Spec,
    st: OrdinalSampleStats,
    items: list[str],
    factors: list[str],
    theta: bool,
    std_lv: bool = False,
) -> _Built:
    pos = {it: i for i, it in enumerate(items)}
    fpos = {f: g for g, f in enumerate(factors)}
    internals = st._internals
    corr = internals.corr
    params: list[_Param] = []
    row_labels: list[str | None] = []

    def add(
        lhs: str,
        op: str,
        rhs: str,
        kind: str,
        row: int,
        col: int,
        fixed: float | None,
        v: float,
        label: str | None = None,
    ) -> None:
        # free indices are numbered once the labels are resolved (_equal_groups)
        is_free = fixed is None
        value = v if fixed is None else fixed
        params.append(_Param(lhs, op, rhs, kind, row, col, 0 if is_free else -1, value))
        row_labels.append(label)

    # start values: standardized loadings from each factor's first principal component,
    # rescaled to the theta metric (latent-response SD 1 / sqrt(1 - l^2)) if asked
    blocks: dict[str, list[int]] = {}
    std_load: dict[str, np.ndarray] = {}
    for f, terms in spec.measurement.items():
        idx = [pos[name] for name, _ in terms if name in pos]
        blocks[f] = idx
        if idx:
            values, vectors = np.linalg.eigh(corr[np.ix_(idx, idx)])
            vec = vectors[:, -1] * math.sqrt(max(values[-1], 1e-3))
            vec = np.clip(vec * (1.0 if vec[0] >= 0 else -1.0), -0.95, 0.95)
            vec[np.abs(vec) < 0.1] = 0.1
            std_load[f] = vec
    # the items' start scale: a continuous item's standard deviation; an ordered item's
    # latent response SD in the theta metric
    is_num = np.zeros(len(items), dtype=bool)
    if internals.var_item is not None:
        is_num[internals.var_item] = True
    sd_obs = np.ones(len(items)) if internals.sd is None else internals.sd
    scale = np.ones(len(items))
    if theta:
        for f, idx in blocks.items():
            if idx:
                scale[idx] = 1.0 / np.sqrt(1.0 - std_load[f] ** 2)
    scale = np.where(is_num, sd_obs, scale)
    loading_of = {
        items[i]: float(std_load[f][k]) for f, idx in blocks.items() for k, i in enumerate(idx)
    }
    var: dict[str, float] = {}
    for f, idx in blocks.items():
        if std_lv:
            var[f] = 1.0
        else:
            var[f] = float((std_load[f][0] * scale[idx[0]]) ** 2) if idx else 0.5
    # measurement: items (Lambda) and lower-order factors (B); the first loading fixed to 1
    # unless std_lv or freed by 'NA*' (a label keeps it fixed, as lavaan)
    for f, terms in spec.measurement.items():
        k_item = 0
        for k, (name, mod) in enumerate(terms):
            label, fixed = _modifier(mod, f"'{f} =~ {name}'")
            marker = k == 0 and not std_lv and (mod is None or label is not None)
            if fixed is None and marker:
                fixed = 1.0
            if name in pos:
                i = pos[name]
                ref = blocks[f][0]
                start = std_load[f][k_item] * scale[i]
                if not std_lv:
                    start /= std_load[f][0] * scale[ref]
                k_item += 1
                add(f, "=~", name, "lambda", i, fpos[f], fixed, float(start), label)
            else:
                add(f, "=~", name, "beta", fpos[name], fpos[f], fixed, 1.0, label)
    dependent: list[str] = []
    predictors: set[str] = set()
    for lhs, rhs, mod in spec.regressions:
        for v in (lhs, rhs):
            if v not in fpos:
                raise InputError(
                    f"'{v}' in the regression '{lhs} ~ {rhs}' is not a factor of the model.",
                    hint="Regressions among latent variables only: define each variable "
                    "with '=~' (a single ordered item can be its own factor: 'f =~ item').",
                )
        label, fixed = _modifier(mod, f"'{lhs} ~ {rhs}'")
        add(lhs, "~", rhs, "beta", fpos[lhs], fpos[rhs], fixed, 0.0, label)
        if lhs not in dependent:
            dependent.append(lhs)
        predictors.add(rhs)
    slots = internals.labels[: internals.n_th]  # thresholds, and "x~1" of continuous items
    for t, lab in enumerate(slots):
        if "|" in lab:
            item, th = lab.split("|")
            add(item, "|", th, "tau", t, 0, None, float(internals.s[t] * scale[pos[item]]))
    for it in items:
        i = pos[it]
        if is_num[i]:  # a continuous item's residual variance is free
            start = sd_obs[i] ** 2 * (1.0 - loading_of.get(it, 0.0) ** 2)
            add(it, "~~", it, "theta", i, i, None, float(start))
        elif theta:
            add(it, "~~", it, "theta", i, i, 1.0, 1.0)
        else:
            add(it, "~~", it, "resvar", i, i, 0.0, np.nan)
    indicators = {name for terms in spec.measurement.values() for name, _ in terms}
    explicit = {(a, b) for a, b, _ in spec.covariances} | {(b, a) for a, b, _ in spec.covariances}
    # factor (residual) variances: free, or fixed to 1 with std_lv (lavaan's std.lv fixes
    # the residual variance of a dependent factor too)
    for f in factors:
        start = var[f] if f not in dependent else var[f] / 2
        add(f, "~~", f, "psi", fpos[f], fpos[f], 1.0 if std_lv else None, start)
    # lavaan: exogenous factors covary, and so do the residuals of the purely dependent ones
    exogenous = [f for f in factors if f not in dependent and f not in indicators]
    pure_y = [f for f in dependent if f not in predictors and f not in indicators]
    for group in (exogenous, pure_y):
        for a_, f in enumerate(group):
            for e in group[a_ + 1 :]:
                if (f, e) in explicit:
                    continue
                start = 0.0
                if blocks[f] and blocks[e] and group is exogenous:
                    prod = np.outer(std_load[f], std_load[e])
                    r = corr[np.ix_(blocks[f], blocks[e])]
                    rho = float(np.clip(np.sum(r * prod) / np.sum(prod * prod), -0.9, 0.9))
                    start = rho * math.sqrt(var[f] * var[e])
                add(f, "~~", e, "psi", fpos[f], fpos[e], None, start)
    for a, b, mod in spec.covariances:
        label, fixed = _modifier(mod, f"'{a} ~~ {b}'")
        if a in fpos and b in fpos:
            if a == b:
                raise InputError(
                    f"'{a} ~~ {a}': factor variances are already free parameters.",
                    hint="Remove the line.",
                )
            add(a, "~~", b, "psi", fpos[a], fpos[b], fixed, 0.0, label)
        elif a in pos and b in pos and a != b:
            i, j = sorted((pos[a], pos[b]))
            add(a, "~~", b, "theta", i, j, fixed, 0.0, label)
        else:
            raise InputError(
                f"The covariance '{a} ~~ {b}' is not supported.",
                hint="Covariances between two factors or between two different ordered "
                "items (residual covariances) only.",
            )
    for it in items:  # scale factors: 1 (delta) or implied (theta, see _values)
        if not is_num[pos[it]]:
            add(it, "~*~", it, "scale", pos[it], pos[it], 1.0, 1.0)
    slot_of = internals.mean_slots
    for it in items:  # intercepts: free for continuous items (their statistic is -mean)
        if is_num[pos[it]]:
            add(it, "~1", "", "nu", slot_of[it], 0, None, float(-internals.s[slot_of[it]]))
        else:
            add(it, "~1", "", "mean", pos[it], 0, 0.0, 0.0)
    for f in factors:
        add(f, "~1", "", "mean", fpos[f], 0, 0.0, 0.0)
    params, tied = _equal_groups(params, row_labels)
    cls: Any = _ThetaLisrelModel if theta else _LisrelModel
    kwargs = {"th_item": internals.th_item} if theta else {}
    model = cls(
        items,
        factors,
        params,
        internals.n_th,
        internals.pair_i,
        internals.pair_j,
        var_item=internals.var_item,
        **kwargs,
    )
    if tied is not None:
        model = _EqualityConstrainedModel(model, tied)
    labels: dict[str, list[int]] = {}
    for k, lab in enumerate(row_labels):
        if lab is not None:
            labels.setdefault(lab, []).append(k)
    defined = []
    names = set(labels)
    for name, expr in spec.defined:
        tree = _check_expression(expr.replace("^", "**"), names)
        defined.append((name, re.sub(r"\s+", "", expr), tree))  # lavaan's rhs: no spaces
    endogenous = [f for f in factors if f in dependent or f in indicators]
    return _Built(model, labels, defined, items, factors, endogenous, spec)


# ----------------------------------------------------------------------------
# Estimates, standardized solution, R-squared, defined parameters
# ----------------------------------------------------------------------------
def _values(
    model: _LisrelModel, x: np.ndarray, theta: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Unstandardized and standardized (std.all) value of each row; variance parts."""
    mx = model.matrices(x)
    lam, phi, psi = mx["lambda"], mx["phi"], mx["psi"]
    common = np.einsum("if,fg,ig->i", lam, phi, lam)
    var_y = common + np.diag(mx["theta"]) if theta else np.ones(model.p)
    num = model.var_item  # continuous items: their own (implied) variance in both
    var_y[num] = common[num] + np.diag(mx["theta"])[num]
    sd_y = np.sqrt(var_y)
    th_item: np.ndarray = getattr(model, "th_item", np.zeros(0, dtype=np.intp))  # theta only
    with np.errstate(invalid="ignore"):
        sd_lv = np.sqrt(np.diag(phi))
    raw = np.empty(len(model.params))
    std = np.empty(len(model.params))
    for k, q in enumerate(model.params):
        if q.kind == "lambda":
            raw[k] = lam[q.row, q.col]
            std[k] = raw[k] * sd_lv[q.col] / sd_y[q.row]
        elif q.kind == "tau":
            raw[k] = mx["tau"][q.row]
            std[k] = raw[k] / sd_y[th_item[q.row]] if theta else raw[k]
        elif q.kind == "nu":  # a continuous item's intercept (its statistic is minus it)
            raw[k] = -mx["tau"][q.row]
            std[k] = raw[k] / sd_y[model.items.index(q.lhs)]
        elif q.kind == "resvar":
            raw[k] = std[k] = 1.0 - common[q.row]
        elif q.kind == "theta":
            raw[k] = mx["theta"][q.row, q.col]
            std[k] = raw[k] / (sd_y[q.row] * sd_y[q.col])
        elif q.kind == "psi":
            raw[k] = psi[q.row, q.col]
            std[k] = raw[k] / (sd_lv[q.row] * sd_lv[q.col])
        elif q.kind == "beta":
            raw[k] = mx["beta"][q.row, q.col]
            std[k] = raw[k] * sd_lv[q.col] / sd_lv[q.row]
        elif q.kind == "scale" and theta:
            raw[k], std[k] = 1.0 / sd_y[q.row], 1.0
        else:  # scale (delta), mean
            raw[k] = std[k] = q.value
    parts = {"var_y": var_y, "common": common, "phi": np.diag(phi), "psi": np.diag(psi)}
    return raw, std, parts


def _defined_values(built: _Built, values: np.ndarray) -> np.ndarray:
    by_label = {lab: float(values[ks[0]]) for lab, ks in built.labels.items()}
    return np.array([_eval(tree, by_label) for _, _, tree in built.defined])


def _estimates_table(
    built: _Built, x: np.ndarray, vcov: np.ndarray, theta: bool
) -> tuple[pd.DataFrame, pd.Series]:
    model = built.model
    raw, std, parts = _values(model, x, theta)

    def all_values(z: np.ndarray) -> np.ndarray:
        r, s, _ = _values(model, z, theta)
        return np.concatenate([r, s, _defined_values(built, r), _defined_values(built, s)])

    n_row, n_def = len(model.params), len(built.defined)
    jac = _numeric_jacobian(all_values, x)
    model.matrices(x)  # leave the model at the estimates
    j_raw, j_std = jac[:n_row], jac[n_row : 2 * n_row]
    j_def, j_def_std = jac[2 * n_row : 2 * n_row + n_def], jac[2 * n_row + n_def :]
    free = np.array([q.free >= 0 for q in model.params])
    idx = [q.free for q in model.params if q.free >= 0]
    se = np.full(n_row, np.nan)
    with np.errstate(invalid="ignore"):
        se[free] = np.sqrt(np.diag(vcov)[idx])
        std_se = np.sqrt(np.einsum("ij,jk,ik->i", j_std, vcov, j_std))
        def_se = np.sqrt(np.einsum("ij,jk,ik->i", j_def, vcov, j_def))
        def_std_se = np.sqrt(np.einsum("ij,jk,ik->i", j_def_std, vcov, j_def_std))
    std_se = np.where(std_se < 1e-10, np.nan, std_se)
    del j_raw
    def_raw = _defined_values(built, raw)
    def_std = _defined_values(built, std)
    frame = pd.DataFrame(
        {
            "lhs": [q.lhs for q in model.params] + [d[0] for d in built.defined],
            "op": [q.op for q in model.params] + [":="] * n_def,
            "rhs": [q.rhs for q in model.params] + [d[1] for d in built.defined],
            "label": [""] * n_row + [d[0] for d in built.defined],  # lavaan labels := rows
            "free": np.concatenate([free, np.zeros(n_def, dtype=bool)]),
            "estimate": np.concatenate([raw, def_raw]),
            "se": np.concatenate([se, def_se]),
            "std_all": np.concatenate([std, def_std]),
            "std_se": np.concatenate([std_se, def_std_se]),
        }
    )
    for lab, ks in built.labels.items():
        frame.loc[ks, "label"] = lab
    with np.errstate(divide="ignore", invalid="ignore"):
        z = frame["estimate"] / frame["se"]
    crit = stats.norm.ppf(0.975)
    frame.insert(7, "z", z)
    frame.insert(8, "p", 2.0 * stats.norm.sf(np.abs(z)))
    frame.insert(9, "ci_low", frame["estimate"] - crit * frame["se"])
    frame.insert(10, "ci_high", frame["estimate"] + crit * frame["se"])
    # R-squared: items (share of the latent response's variance), then dependent factors
    r2 = {it: float(parts["common"][i] / parts["var_y"][i]) for i, it in enumerate(built.items)}
    for f in built.endogenous:
        g = built.factors.index(f)
        r2[f] = float(1.0 - parts["psi"][g] / parts["phi"][g])
    return frame, pd.Series(r2, name="r2")


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class OrdinalSEMResult(Result):
    """A structural equation model on ordered items, fitted by WLSMV (or DWLS, ULSMV, ULS).

    Attributes
    ----------
    syntax : str
        The model in lavaan syntax, as given.
    estimator, test, parameterization : str
        As fitted.
    n : int
        Respondents used (complete cases).
    estimates : pandas.DataFrame
        lavaan's ``parameterEstimates()`` joined with ``standardizedSolution()``: columns
        ``lhs, op, rhs, label, free, estimate, se, z, p, ci_low, ci_high, std_all,
        std_se``; rows ``=~`` (loadings, also of second-order factors), ``~`` (latent
        regressions), ``|`` (thresholds), ``~~`` (item residual variances: implied in the
        delta parameterization, fixed to 1 in the theta one; factor (residual) variances and
        covariances; residual covariances), ``~*~`` (scale factors: 1 in delta, implied
        :math:`1/\\mathrm{SD}(y^*)` in theta), ``~1`` (0) and ``:=`` (defined parameters,
        delta-method SEs; their ``std_all`` is the expression of the standardized values).
    fit : dict
        ``fitMeasures()`` names, as :class:`~workbench.sem.ordinal.OrdinalCFAResult`.
    r2 : pandas.Series
        lavaan's ``lavInspect(fit, "r2")``: the items' latent responses, then the dependent
        factors (:math:`1 - \\psi_{ff}/\\mathrm{Var}(\\eta_f)`).
    thresholds : pandas.Series
        Implied standardized thresholds (``"item|t1"``, ...).
    polychoric, implied : pandas.DataFrame
        Sample polychoric and model-implied correlations of the latent responses.
    vcov : pandas.DataFrame
        Covariance matrix of the free parameters, named ``lhs op rhs`` (parameters equal by
        a shared label are one parameter, named by its first row).
    sample_stats : OrdinalSampleStats
    seconds : float
    warning_messages : tuple of str
    constructs : dict
        Each factor and its indicators (items or lower-order factors), as in the syntax.
    std_lv : bool
        Whether the factors were identified by unit (residual) variances (lavaan's
        ``std.lv``) rather than marker loadings.
    """

    syntax: str
    estimator: str
    test: str
    parameterization: str
    n: int
    estimates: pd.DataFrame
    fit: dict[str, Any]
    r2: pd.Series
    thresholds: pd.Series
    polychoric: pd.DataFrame
    implied: pd.DataFrame
    vcov: pd.DataFrame
    sample_stats: OrdinalSampleStats = dataclasses.field(repr=False)
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()
    constructs: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    std_lv: bool = False
    # at the estimates: Jacobian of the moments, inverse information, DWLS weights (for
    # ordinal_difference_test)
    _delta: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _info_inv: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _weights: np.ndarray | None = dataclasses.field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (see ``estimates``)."""
        return self.estimates.copy()

    @property
    def std_loadings(self) -> dict[str, float]:
        """Standardized loadings (``std.all``) keyed ``"factor=~item"``."""
        e = self.estimates[self.estimates["op"] == "=~"]
        pairs = zip(e["lhs"], e["rhs"], e["std_all"], strict=True)
        return {f"{a}=~{b}": float(v) for a, b, v in pairs}

    def paths(self) -> pd.DataFrame:
        """The latent regressions (``~``) and defined effects (``:=``)."""
        return self.estimates[self.estimates["op"].isin(["~", ":="])].reset_index(drop=True)

    def fit_table(self) -> pd.Series:
        """The fit measures as a Series (lavaan's names)."""
        return pd.Series(self.fit, name="value")

    def residual_correlations(self) -> pd.DataFrame:
        """Sample minus model-implied polychoric correlations."""
        return self.polychoric - self.implied

    def summary(self) -> str:
        f = self.fit
        ident = ", std.lv" if self.std_lv else ""
        p_text = f", p = {f['pvalue']:.4g}" if np.isfinite(f["pvalue"]) else ""
        head = [
            f"Ordinal SEM ({self.estimator}, {self.parameterization} parameterization{ident}), "
            f"n = {self.n}, {f['npar']} free parameters",
            f"chi2({f['df']}) = {f['chisq']:.3f}{p_text}",
        ]
        if self.test != "standard":
            head.append(
                f"{self.test}: chi2({f['df.scaled']:.4g}) = {f['chisq.scaled']:.3f}, "
                f"p = {f['pvalue.scaled']:.4g}; CFI = {f['cfi.scaled']:.3f}, "
                f"TLI = {f['tli.scaled']:.3f}, RMSEA = {f['rmsea.scaled']:.3f} (scaled)"
            )
            if self.test == "scaled.shifted":
                head.append(
                    f"CFI = {f['cfi.robust']:.3f}, TLI = {f['tli.robust']:.3f}, "
                    f"RMSEA = {f['rmsea.robust']:.3f} (robust)"
                )
        head.append(f"SRMR = {f['srmr']:.3f}")
        cols = ["lhs", "op", "rhs", "estimate", "se", "z", "p", "std_all"]
        table = self.estimates.loc[self.estimates["op"].isin(["=~", "~", "~~", ":="]), cols]
        r2 = ", ".join(f"{k} {v:.3f}" for k, v in self.r2.items())
        text = (
            "\n".join(head)
            + "\n\n"
            + table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
            + f"\n\nR2: {r2}"
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "estimator": self.estimator,
                "test": self.test,
                "parameterization": self.parameterization,
                "n": self.n,
                "fit": dict(self.fit),
                "std_loadings": self.std_loadings,
                "r2": self.r2.to_dict(),
                "estimates": self.estimates.to_dict(orient="records"),
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------
# The public function
# ----------------------------------------------------------------------------
def fit_ordinal_sem(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]],
    *,
    paths: str = "",
    ordered: Sequence[str] | bool | None = None,
    estimator: OrdinalEstimator = "WLSMV",
    parameterization: OrdinalParameterization = "delta",
    test: str | None = None,
    std_lv: bool = False,
    max_categories: int = 10,
) -> OrdinalSEMResult:
    """Structural equation model on ordered items by WLSMV, as lavaan's ``sem()``.

    Parameters
    ----------
    data : pandas.DataFrame
        Item answers coded as integers in their order (or ordered categoricals); NaN is
        missing (respondents with a missing answer are left out, lavaan's default).
    model : str or mapping of str to list of str
        lavaan syntax, or the measurement part as parts: factor -> its items (written
        ``factor =~ item1 + item2 + ...``; then give the structural part as ``paths``).
        In the syntax: ``f =~ q1 + q2 + q3`` (the first loading fixed to 1, unless
        ``std_lv``; a factor may load on factors: second order), ``f2 ~ a*f1`` (latent
        regressions), ``f1 ~~ f2`` and ``q1 ~~ q2`` (factor and residual covariances),
        labels and fixed values (``0.5*q``, ``NA*q`` to free a first loading; a label on
        a first loading keeps it fixed, as lavaan), equality constraints by shared labels
        (``f =~ q1 + a*q2 + a*q3``, ``y ~ b*x + b*z``: one parameter; a parameter sharing
        a label with a fixed one is fixed to its value), ``ind := a*b`` (defined
        parameters with ``+ - * / ^``), ``#`` comments. As lavaan's ``sem()``: exogenous
        factors covary, and so do the residuals of factors that are only dependent.
        Constraint lines (``a == b``, ``a > 0``) are refused: share a label instead.
    paths : str, default ""
        More syntax appended to ``model`` (regressions, covariances, definitions), e.g.
        ``"f2 ~ a*f1\\nf3 ~ b*f2\\nind := a*b"``.
    ordered : list of str, True or None, default None
        The items treated as ordered: all of them (None or True), or a list (lavaan's
        ``ordered =``), the other items continuous, as
        :func:`~workbench.sem.ordinal.fit_ordinal_cfa` (delta and theta).
    estimator : {"WLSMV", "DWLS", "ULSMV", "ULS"}, default "WLSMV"
        As :func:`~workbench.sem.ordinal.fit_ordinal_cfa` (lower case accepted):
        ``"ULS"`` is unweighted least squares with standard (non-robust) errors from the
        expected information and the standard test without a p-value (lavaan
        ``estimator = "ULS"``), in either parameterization.
    parameterization : {"delta", "theta"}, default "delta"
        ``"delta"``: latent responses of unit variance, residual variances implied;
        ``"theta"``: residual variances fixed to 1, scale factors implied (the same fit,
        another metric for loadings and thresholds; the standardized solution is the same).
    test : {"scaled.shifted", "mean.var.adjusted", "standard"}, optional
        Default: ``"standard"`` for DWLS and ULS, ``"scaled.shifted"`` otherwise.
    std_lv : bool, default False
        Identify the factors by fixing their variances to 1 (for a dependent factor its
        residual variance, as lavaan) and freeing every loading, instead of fixing the
        first loading to 1 (lavaan's ``std.lv = TRUE``; an equivalent model: the same fit
        and standardized solution unless constraints tie loadings or paths).
    max_categories : int, default 10

    Returns
    -------
    OrdinalSEMResult
        ``estimates`` (with ``:=`` rows), ``fit``, ``r2``, ``paths()``, ``vcov``.

    Raises
    ------
    InputError
        Unreadable syntax, a constraint line (``a == b``: use a shared label), a regression
        on a variable that is not a factor, a missing column, an ordered item with a single
        observed category or an empty declared category.
    ValueError
        An unknown option.

    Notes
    -----
    The model is :math:`\\eta = B\\eta + \\zeta`, :math:`y^* = \\Lambda\\eta + \\epsilon`,
    :math:`\\Phi = (I-B)^{-1}\\Psi(I-B)^{-T}`, :math:`\\Sigma^* = \\Lambda\\Phi\\Lambda' +
    \\Theta`. Delta: :math:`\\mathrm{diag}(\\Sigma^*) = 1`, implied thresholds
    :math:`\\tau`. Theta: :math:`\\Theta_{ii} = 1`, implied correlations
    :math:`\\Delta\\Sigma^*\\Delta` and thresholds :math:`\\Delta_{ii}\\tau_{ic}` with
    :math:`\\Delta = \\mathrm{diag}(\\Sigma^*)^{-1/2}` (Muthen & Asparouhov, 2002). The fit
    function, robust and standard errors, scaled-shifted test and fit indices are those of
    :func:`~workbench.sem.ordinal.fit_ordinal_cfa` (see its Notes). Equality constraints
    (lavaan's simple equality constraints): with :math:`x` the distinct free parameters and
    :math:`K` the 0/1 matrix that copies each into the rows sharing its label, the model
    is :math:`\\sigma(Kx)` with Jacobian :math:`\\Delta(Kx)K`; each extra copy adds a
    degree of freedom. Standardized solution:
    :math:`\\lambda_{if}\\sqrt{\\phi_{ff}}/\\mathrm{SD}(y^*_i)`, :math:`\\beta_{fg}
    \\sqrt{\\phi_{gg}/\\phi_{ff}}`, :math:`\\psi_{fg}/\\sqrt{\\phi_{ff}\\phi_{gg}}`; R-squared
    :math:`1 - \\psi_{ff}/\\phi_{ff}` for a dependent factor. A defined parameter
    :math:`d = g(\\hat\\theta)` has the delta-method SE :math:`\\sqrt{\\nabla g' V
    \\nabla g}` (numeric gradient); its ``std_all`` is :math:`g` of the standardized values
    (lavaan's ``standardizedSolution()``).

    References
    ----------
    Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted
    least squares and quadratic estimating equations in latent variable modeling with
    categorical and continuous outcomes. Unpublished technical report.

    Muthen, B., & Asparouhov, T. (2002). Latent variable analysis with categorical outcomes:
    multiple-group and growth modeling in Mplus. Mplus Web Note 4.

    R: ``lavaan::sem(model, data, ordered = TRUE, estimator = "WLSMV")`` (and
    ``parameterization = "theta"``, ``std.lv = TRUE``, ``estimator = "ULS"``) with
    ``parameterEstimates()``, ``standardizedSolution()``, ``lavInspect(fit, "r2")`` and
    ``fitMeasures()`` (lavaan 0.6-14); tested in tests/test_sem_ordinal_structural.py
    against tests/reference/lavaan_wlsmv_sem.R, and (std.lv, shared labels, ULS) in
    tests/test_sem_ordinal_constraints.py against
    tests/reference/lavaan_ordinal_sem_constraints.R.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.ordinal_sem import fit_ordinal_sem
    >>> hs = pd.read_csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
    >>> hs3 = hs[hs["categories"] == 3].drop(columns="categories")
    >>> model = '''visual =~ x1 + x2 + x3
    ... textual =~ x4 + x5 + x6
    ... speed =~ x7 + x8 + x9
    ... textual ~ a*visual
    ... speed ~ b*textual
    ... indirect := a*b'''
    >>> res = fit_ordinal_sem(hs3, model)
    >>> round(res.fit["chisq.scaled"], 3), res.fit["df"]
    (79.563, 25)
    >>> ind = res.paths().set_index("lhs").loc["indirect"]
    >>> round(float(ind["estimate"]), 4), round(float(ind["se"]), 4)
    (0.1177, 0.0437)

    Equal paths by a shared label, factors scaled by unit (residual) variances:

    >>> equal = model.replace("a*visual", "b*visual").replace("a*b", "b*b")
    >>> res = fit_ordinal_sem(hs3, equal, std_lv=True)
    >>> res.fit["npar"], res.fit["df"]
    (28, 26)
    """
    started = time.perf_counter()
    est = str(estimator).upper()
    if est not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {list(_ESTIMATORS)}, got {estimator!r}")
    if parameterization not in ("delta", "theta"):
        raise ValueError(
            f"parameterization must be one of ['delta', 'theta'], got {parameterization!r}"
        )
    if test is None:
        test = "standard" if est in ("DWLS", "ULS") else "scaled.shifted"
    if test not in _TESTS:
        raise ValueError(f"test must be one of {list(_TESTS)}, got {test!r}")
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"The data must be a pandas DataFrame, got {type(data).__name__}.",
            hint="read the survey into a DataFrame first (e.g. workbench.intake.load_survey).",
        )
    if isinstance(model, Mapping):
        model = cfa_syntax(model)  # validates the constructs (InputError)
    if not isinstance(model, str) or not isinstance(paths, str):
        raise InputError(
            f"The model must be lavaan syntax (a str) or a mapping of factors to items, "
            f"and paths a str; got {type(model).__name__} and {type(paths).__name__}.",
            hint="e.g. fit_ordinal_sem(data, {'f1': ['q1', 'q2', 'q3'], 'f2': ['q4', 'q5', "
            "'q6']}, paths='f2 ~ f1').",
        )
    if paths.strip():
        model = f"{model}\n{paths}"
    spec = _parse(model)
    items, factors = _variables(spec)
    missing = [it for it in items if it not in data.columns]
    if missing:
        raise InputError(
            f"The model's items {missing} are not columns of the data.",
            hint=f"Check the names in the model against the data's columns; a factor "
            f"measured by nothing is not supported (factors: {factors}).",
        )
    continuous = _continuous_items(ordered, items)
    with single_threaded_blas():
        st = ordinal_sample_statistics(
            data, items, continuous=continuous, max_categories=max_categories
        )
        theta = parameterization == "theta"
        built = _build(spec, st, items, factors, theta, std_lv=std_lv)
        return _fit(built, st, model, est, test, parameterization, started, std_lv=std_lv)


def _fit(
    built: _Built,
    st: OrdinalSampleStats,
    syntax: str,
    estimator: str,
    test: str,
    parameterization: str,
    started: float,
    *,
    std_lv: bool = False,
) -> OrdinalSEMResult:
    model = built.model
    internals = st._internals
    gamma, s, n = internals.gamma, internals.s, st.n
    w = np.ones_like(s) if estimator in ("ULSMV", "ULS") else 1.0 / np.diag(gamma)
    warnings = list(st.warnings)
    x, fmin, converged, iterations, delta, info_inv, vcov = _estimate(
        model, s, w, gamma, n, robust=estimator in ("WLSMV", "ULSMV"), warnings=warnings
    )
    fit = _fit_measures(model, x, st, w, delta, info_inv, fmin, estimator, test)
    fit["converged"] = bool(converged)
    fit["iterations"] = int(iterations)
    if test == "scaled.shifted" and np.linalg.eigvalsh(internals.corr).min() < _PD_TOL:
        warnings.append(
            "The polychoric correlation matrix is not positive definite, so the robust "
            "CFI/TLI/RMSEA (Savalei 2021) are not available (as lavaan)."
        )
    theta = parameterization == "theta"
    table, r2 = _estimates_table(built, x, vcov, theta)
    warnings += _heywood_warnings(table[table["op"] != ":="])
    tau, sigma = model.implied(x)
    is_th = internals.is_threshold
    free_names = [f"{q.lhs}{q.op}{q.rhs}" for q in model.free]
    return OrdinalSEMResult(
        syntax=syntax,
        estimator=estimator,
        test=test,
        parameterization=parameterization,
        n=n,
        estimates=table,
        fit=fit,
        r2=r2,
        thresholds=pd.Series(tau[is_th], index=st.thresholds.index, name="threshold"),
        polychoric=st.polychoric.copy(),
        implied=pd.DataFrame(sigma, index=built.items, columns=built.items),
        vcov=pd.DataFrame(vcov, index=free_names, columns=free_names),
        sample_stats=st,
        seconds=time.perf_counter() - started,
        warning_messages=tuple(warnings),
        constructs={f: [name for name, _ in t] for f, t in built.spec.measurement.items()},
        std_lv=bool(std_lv),
        _delta=delta,
        _info_inv=info_inv,
        _weights=w,
    )


def ordinal_difference_test(restricted: OrdinalSEMResult, full: OrdinalSEMResult) -> dict:
    """Scaled-shifted chi-square difference test of two nested WLSMV models, as lavaan.

    Parameters
    ----------
    restricted, full : OrdinalSEMResult
        Two fits of :func:`fit_ordinal_sem` to the same items and respondents, the
        ``restricted`` one nested in ``full`` (more degrees of freedom).

    Returns
    -------
    dict
        ``chi2_diff`` (the scaled-shifted difference statistic), ``df_diff``, ``p``,
        ``standard_diff`` (the difference of the standard statistics), ``a``, ``b``.
        With equal df (equivalent models) ``chi2_diff`` is the plain difference and ``p``
        NaN, as lavaan.

    Raises
    ------
    InputError
        The fits use different items or respondents, or ``restricted`` has no more
        degrees of freedom than ``full``.

    Notes
    -----
    Satorra (2000) as lavaan's ``lav_test_diff_Satorra2000(scaled.shifted = TRUE,
    A.method = "delta")``: with :math:`\\Delta_1, \\Delta_0` the Jacobians of the moments
    of the full and the restricted model at their estimates, the constraints the
    restricted model adds are the orthogonal complement :math:`A` of
    :math:`\\Delta_1^+\\Delta_0`; with :math:`E_1^{-1}` the full model's inverse
    information, :math:`P = E_1^{-1}A'(AE_1^{-1}A')^{-1}AE_1^{-1}`,
    :math:`U\\Gamma = W\\Delta_1 P \\Delta_1'W\\Gamma`, :math:`m = df_0 - df_1`,
    :math:`a = \\sqrt{m/\\mathrm{tr}(U\\Gamma U\\Gamma)}`, :math:`b = m - a\\,\\mathrm{tr}
    (U\\Gamma)`: :math:`T_d = a(T_0 - T_1) + b` on :math:`m` df.

    References
    ----------
    Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of
    moment structures. In Heijmans, Pollock & Satorra (Eds.), *Innovations in multivariate
    statistical analysis* (pp. 233-247). Kluwer. R: ``lavaan::lavTestLRT(restricted,
    full)`` for WLSMV fits (lavaan 0.6-14); tested against tests/reference/
    lavaan_wlsmv_sem.R.
    """
    r, f = restricted, full
    same = (
        r.n == f.n
        and list(r.polychoric.columns) == list(f.polychoric.columns)
        and r.sample_stats._internals.s.shape == f.sample_stats._internals.s.shape
        and np.allclose(r.sample_stats._internals.s, f.sample_stats._internals.s)
    )
    if not same:
        raise InputError(
            f"The two models were fitted to different items or respondents (n = {r.n} vs "
            f"{f.n}); a difference test needs the same data.",
            hint="Fit both models to the same items and rows.",
        )
    m = int(r.fit["df"] - f.fit["df"])
    if m < 0:
        raise InputError(
            f"The restricted model has {r.fit['df']} df, fewer than the full one "
            f"({f.fit['df']}): it cannot be nested in it.",
            hint="Pass the models as (restricted, full).",
        )
    diff = float(r.fit["chisq"] - f.fit["chisq"])
    out: dict[str, float] = {"chi2_diff": diff, "df_diff": m, "p": np.nan, "standard_diff": diff}
    out.update({"a": np.nan, "b": np.nan})
    d1, d0, e_inv, w = f._delta, r._delta, f._info_inv, f._weights
    if m == 0 or d1 is None or d0 is None or e_inv is None or w is None:
        return out
    if not np.all(np.isfinite(e_inv)):
        return out
    h = np.linalg.pinv(d1) @ d0
    q, r_, _ = linalg.qr(h, pivoting=True)
    diag = np.abs(np.diag(r_))
    rank = int(np.sum(diag > 1e-7 * diag.max())) if diag.size else 0
    b = q[:, rank:].T  # the constraints the restricted model adds
    mid = e_inv @ b.T @ np.linalg.pinv(b @ e_inv @ b.T, rcond=_PD_TOL) @ b @ e_inv
    wd = d1 * w[:, None]
    ug = wd @ mid @ wd.T @ f.sample_stats._internals.gamma
    tr1, tr2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    a = math.sqrt(m / tr2)
    shift = m - a * tr1
    stat = a * diff + shift
    out.update({"chi2_diff": stat, "p": 1.0 - _pchisq(stat, m), "a": a, "b": shift})
    return out
