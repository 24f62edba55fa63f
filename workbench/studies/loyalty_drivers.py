"""The loyalty-drivers study: which constructs move loyalty, by how much, for whom,
through what, and what to fix first.

:func:`analyse` scores the constructs, fits the driver model, decomposes R2,
and runs the optional mediation, moderation and segment comparisons; it returns
a :class:`LoyaltyDriversStudy` that the notebook only displays.

Findings, warnings, table labels and figure text are written in the current report
language (:mod:`workbench.i18n`; the notebook sets it from its ``lang`` parameter);
``results.json`` keeps the same keys and values in every language.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench import i18n
from workbench.drivers import mediation as med
from workbench.drivers import pooling as pool
from workbench.drivers import regression as drv
from workbench.drivers.moments import em_moments
from workbench.errors import InputError
from workbench.i18n import gettext as tr
from workbench.intake.codebook import NO_CODEBOOK_NOTE
from workbench.intake.data import SurveyData, load_survey
from workbench.intake.imputation import impute_chained
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.measurement.scales import cronbach_alpha, factor_scores, omega_total, score_scales
from workbench.presentation.report import format_p, traffic_light
from workbench.results import Result, jsonable
from workbench.sem.regression import regression_fiml


# --------------------------------------------------------------------------- scoring
def score_variables(
    survey: SurveyData,
    names: list[str],
    *,
    scoring: str = "mean",
    missing: str = "listwise",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Scores for codebook constructs and plain columns, by name.

    Constructs are scored as the mean of their (reverse-coded) items, or as
    regression factor scores with ``scoring="factor"``. ``missing="listwise"``
    needs every item of a construct; ``"available"`` scores the mean of the
    answered items when at least half of them are answered (person-mean
    scoring, stated in the report). Plain columns are taken as they are.

    Returns the scores and ``{name: how it was scored}``.
    """
    cb = survey.codebook
    frame = survey.frame
    out: dict[str, pd.Series] = {}
    how: dict[str, str] = {}
    for name in dict.fromkeys(names):
        if name in cb.constructs:
            items = list(cb.constructs[name].items)
            if scoring == "factor" and len(items) > 1:
                out[name] = factor_scores(frame, {name: items})[name]
                how[name] = f"regression factor score of {len(items)} items"
            else:
                min_items = None if missing == "listwise" else math.ceil(len(items) / 2)
                out[name] = score_scales(frame, {name: items}, min_items=min_items)[name]
                how[name] = f"mean of {len(items)} item(s)" + (
                    "" if min_items is None else f" (at least {min_items} answered)"
                )
        elif name in frame.columns:
            out[name] = frame[name]
            how[name] = "column as in the data"
        else:
            raise _unknown_variable(survey, name)
    return pd.DataFrame(out, index=frame.index), how


def _names(names: list[str], limit: int = 40) -> str:
    shown = ", ".join(str(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _unknown_variable(survey: SurveyData, name: str) -> InputError:
    """The error for a name that is neither a construct nor a column: it lists both."""
    cb = survey.codebook
    columns = [str(c) for c in survey.frame.columns if c not in cb.items]
    close = difflib.get_close_matches(name, [*cb.constructs, *columns], n=3, cutoff=0.5)
    did = "Did you mean " + " or ".join(f"'{c}'" for c in close) + "? " if close else ""
    if cb.given:
        return InputError(
            f"'{name}' is neither a construct of the codebook nor a column of the data.",
            file=survey.path,
            column=name,
            hint=f"{did}Constructs: {', '.join(cb.constructs)}. Other columns: {_names(columns)}.",
        )
    return InputError(
        f"'{name}' is not a column of the data (no codebook was given, so every variable "
        "must be a column).",
        file=survey.path,
        column=name,
        hint=f"{did}Columns: {_names(columns)}.",
    )


def _require_numeric(survey: SurveyData, name: str, role: str) -> None:
    """A plain column in a role that needs numbers (outcome, driver, mediator, x, and
    controls beside mediation, moderation or segments) must be numeric."""
    if name in survey.codebook.constructs:
        return  # construct scores are numeric: load_survey checked the items
    s = survey.frame[name]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        _refuse_missing_codes(survey, name, role, s)
        return
    bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
    row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
    given = survey.codebook.given
    raise InputError(
        f"The {role} '{name}' is not numeric"
        + ("" if given else " (no codebook was given, so it is the data column as it is)")
        + (f"; {int(bad.sum())} non-numeric value(s)." if bad.any() else "."),
        file=survey.path,
        column=name,
        row=row,
        value=None if row is None else str(s.iloc[row - 1]),
        hint="Recode its values as numbers (leave 'no answer' empty"
        + (" or declare its code in the codebook's `missing_codes`" if given else "")
        + "), or name a categorical variable as `by` or `moderator`"
        + (
            ": the mediation, moderation and segment models take numeric controls only."
            if role == "control"
            else " (or in `controls` when there is no mediator, moderator or by)."
        ),
    )


def _refuse_missing_codes(survey: SurveyData, name: str, role: str, s: pd.Series) -> None:
    """A plain column holding the codebook's missing codes: they apply to items only, so
    the codes would enter the model as real values. Refused, with the two ways out."""
    codes = survey.codebook.missing_codes
    hit = s.isin(codes) if codes else pd.Series(False, index=s.index)
    if not hit.any():
        return
    row = int(np.flatnonzero(hit.to_numpy())[0]) + 1
    raise InputError(
        f"The {role} '{name}' is a plain column, not a codebook item, and {int(hit.sum())} of "
        f"its values equal the codebook's missing code(s) "
        f"{', '.join(f'{c:g}' for c in codes)}; the codes apply to items only, so these "
        "would be analysed as real values.",
        file=survey.path,
        column=name,
        row=row,
        value=_plain_number(s.iloc[row - 1]),
        hint=f"If they mean 'no answer', list the column as a one-item construct in the "
        f"codebook (`{name}: [{name}]`, when its values lie on the codebook's scale) or leave "
        "those cells empty in a copy of the data.",
    )


def _plain_number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def check_variables(
    survey: SurveyData,
    *,
    outcome: str,
    drivers: list[str],
    controls: list[str],
    mediators: list[str],
    moderator: str,
    x: str,
    by: str,
    auxiliary: list[str] | None = None,
) -> tuple[list[str], str]:
    """Check every named variable before anything is fitted; return the drivers and focal x.

    Each name must be a construct of the codebook or a column of the data (without a
    codebook: a column); the outcome, drivers, mediators and x must be numeric. Controls
    may be categorical (dummy-coded in the driver model) unless a mediator, moderator or
    ``by`` is given, whose models take numbers only. Empty ``drivers`` means every other
    multi-item construct, so a run without a codebook must name them. Raises
    :class:`InputError` naming the file, column and what to do.
    """
    cb = survey.codebook
    if not drivers:
        drivers = [c for c, con in cb.constructs.items() if c != outcome and len(con.items) > 1]
    if not drivers:
        numeric = [
            str(c)
            for c in survey.frame.columns
            if c != outcome and pd.api.types.is_numeric_dtype(survey.frame[c])
        ]
        raise InputError(
            "No drivers: "
            + (
                "the codebook has no other multi-item construct."
                if cb.given
                else "without a codebook, name the driver columns."
            ),
            file=survey.path,
            hint="Pass e.g. --param 'drivers=[a, b]'. Numeric columns: " + _names(numeric) + ".",
        )
    if outcome in drivers:
        raise InputError(
            f"The outcome '{outcome}' is also listed as a driver.",
            hint="Remove it from `drivers`.",
        )
    focal = _default_x(drivers, mediators, moderator, x) if (mediators or moderator) else ""
    names = [outcome, *drivers, *controls, *mediators] + [v for v in (moderator, x, by) if v]
    for name in dict.fromkeys([*names, *(auxiliary or [])]):
        if name not in cb.constructs and name not in survey.frame.columns:
            raise _unknown_variable(survey, name)
    in_model = [a for a in auxiliary or [] if a in names]
    if in_model:
        raise InputError(
            f"'{in_model[0]}' is in the models and listed in `auxiliary`.",
            column=in_model[0],
            hint="Auxiliary variables are those outside the models; remove it from `auxiliary`.",
        )
    roles = {outcome: "outcome", **dict.fromkeys(drivers, "driver")}
    roles.update(dict.fromkeys(mediators, "mediator"))
    if focal:
        roles.setdefault(focal, "focal driver x")
    if mediators or moderator or by:
        for name in controls:
            roles.setdefault(name, "control")
    roles.update(dict.fromkeys(auxiliary or [], "auxiliary variable"))
    for name, role in roles.items():
        _require_numeric(survey, name, role)
    return list(drivers), focal


def _check_fiml_scope(missing: str, moderator: str, by: str, file: str) -> None:
    """FIML here covers the linear driver model, relative importance and mediation only."""
    if missing == "fiml" and (moderator or by):
        raise InputError(
            "missing=fiml covers the driver model, relative importance and mediation; "
            f"{'a moderator' if moderator else 'segments (by)'} cannot be estimated by FIML "
            "here.",
            file=file,
            hint="Use missing=mi (multiple imputation pools moderation and segment models), "
            "or missing=listwise.",
        )


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Load the survey (with its codebook if given) and check the named variables and that
    the missing-data treatment covers the requested analyses."""
    _check_fiml_scope(
        params.get("missing", ""), params.get("moderator", ""), params.get("by", ""), data
    )
    survey = load_survey(data, codebook or None, sheet=params.get("sheet") or None)
    check_variables(
        survey,
        outcome=params.get("outcome", "loyalty"),
        drivers=list(params.get("drivers") or []),
        controls=list(params.get("controls") or []),
        mediators=list(params.get("mediator") or []),
        moderator=params.get("moderator", ""),
        x=params.get("x", ""),
        by=params.get("by", ""),
        auxiliary=list(params.get("auxiliary") or []),
    )
    return survey.n


# --------------------------------------------------------------------------- study
@dataclasses.dataclass(frozen=True)
class LoyaltyDriversStudy(Result):
    """Everything the loyalty-drivers report shows."""

    survey: SurveyData
    parameters: dict[str, Any]
    outcome: str
    drivers: tuple[str, ...]
    scores: pd.DataFrame
    scoring_notes: dict[str, str]
    model: Any
    importance: Any
    ipa: Any
    ipa_note: str
    mediation: Any
    moderation: Any
    segments: Any
    x: str
    missing_report: dict[str, Any]
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]
    missing_diagnosis: MissingDiagnosis | None = None
    imputation: MultipleImputation | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.model.coefficients

    @property
    def n_used(self) -> int:
        return int(self.model.n)

    def label(self, name: str) -> str:
        return self.survey.codebook.label(name)

    # ------------------------------------------------------------------ tables
    def scoring_table(self) -> pd.DataFrame:
        rows = []
        for name, how in self.scoring_notes.items():
            col = self.scores[name]
            numeric = pd.api.types.is_numeric_dtype(col)
            rows.append(
                {
                    "variable": name,
                    "label": self.label(name) if self.label(name) != name else "",
                    "scored as": _scoring_text(how),
                    "n": int(col.notna().sum()),
                    "mean": float(col.mean()) if numeric else np.nan,
                    "sd": float(col.std()) if numeric else np.nan,
                }
            )
        return i18n.translate_frame(pd.DataFrame(rows).set_index("variable"))

    def coefficients_table(self) -> pd.DataFrame:
        t = self.model.coefficients.set_index("term")
        return _label_rows(i18n.translate_frame(t, values=("role",)), {"Intercept"})

    def importance_table(self) -> pd.DataFrame:
        return i18n.translate_frame(self._importance_columns())

    def _importance_columns(self) -> pd.DataFrame:
        t = self.importance.table.set_index("driver")
        cols = [
            "lmg",
            "lmg_ci_low",
            "lmg_ci_high",
            "lmg_pct",
            "relative_weight",
            "rw_ci_low",
            "rw_ci_high",
            "rw_pct",
            "rank_first_share",
        ]
        return t[[c for c in cols if c in t]]

    def imputation_table(self) -> pd.DataFrame | None:
        """Under ``missing=mi``: each imputed column, its method and imputed cells."""
        if self.imputation is None:
            return None
        t = pd.DataFrame.from_dict(self.imputation.columns, orient="index")
        t.index.name = "column"
        return i18n.translate_frame(t, values=("method",))

    def imputed_reliability(self) -> pd.DataFrame | None:
        """Under ``missing=mi``: alpha and omega per construct over the completed data."""
        if self.imputation is None:
            return None
        return i18n.translate_frame(self.imputation.reliability)

    def hierarchical_table(self) -> pd.DataFrame | None:
        h = self.model.hierarchical
        if not h:
            return None
        shown = {k: i18n.translate(v) if isinstance(v, str) else v for k, v in h.items()}
        return i18n.translate_frame(pd.DataFrame({"value": pd.Series(shown)}), index_values=True)

    def assumptions_table(self) -> pd.DataFrame:
        """The assumption checks with a traffic light: a coloured circle drawn as inline SVG
        (no emoji, which need an emoji font) beside the word green, amber or red."""
        t = self.model.assumptions.copy()
        # object dtype: a string column would turn the markers back into plain words
        lights = [_translated_light(traffic_light(v)) for v in t["status"]]
        t["status"] = pd.Series(lights, index=t.index, dtype=object)
        t["check"] = [i18n.translate(c) for c in t["check"]]
        t["explanation"] = [i18n.translate(e) for e in t["explanation"]]
        return i18n.translate_frame(t.set_index("check"))

    def ipa_table(self) -> pd.DataFrame | None:
        if self.ipa is None:
            return None
        return i18n.translate_frame(self.ipa.table, values=("quadrant",))

    def mediation_paths(self) -> pd.DataFrame | None:
        if self.mediation is None:
            return None
        paths = i18n.translate_frame(self.mediation.paths, values=("path",))
        return _label_rows(paths, {"c_prime", "c_total"})

    def mediation_indirect(self) -> pd.DataFrame | None:
        if self.mediation is None:
            return None
        return _label_rows(i18n.translate_frame(self.mediation.indirect), {"total"})

    def moderation_slopes(self) -> pd.DataFrame | None:
        if self.moderation is None:
            return None
        slopes = i18n.translate_frame(self.moderation.simple_slopes)
        return _label_rows(slopes, {"-1 SD", "mean", "+1 SD"})

    def segment_fit(self) -> pd.DataFrame | None:
        return None if self.segments is None else i18n.translate_frame(self.segments.fit)

    def segment_tests(self) -> pd.DataFrame | None:
        if self.segments is None:
            return None
        return i18n.translate_frame(self.segments.driver_tests)

    # ------------------------------------------------------------------ figures
    def importance_figure(self):
        from workbench.presentation.plots import importance_chart

        chart = importance_chart(self._importance_columns(), r2=self.importance.r2)
        return _translated_figure(chart)

    def ipa_figure(self):
        from workbench.presentation.plots import ipa_chart

        if self.ipa is None:
            return None
        t = self.ipa.table.copy()
        scale = 100 / self.importance.r2
        for col in ("importance", "importance_ci_low", "importance_ci_high"):
            if col in t:
                t[col] = t[col] * scale
        fig = ipa_chart(
            t,
            importance_cut=self.ipa.importance_cut * scale,
            performance_cut=self.ipa.performance_cut,
        )
        return _translated_figure(fig)

    def residual_figure(self):
        from workbench.presentation.plots import residual_chart

        lin = self.model.linearity
        if lin is None or not len(lin):
            return None
        fig = residual_chart(lin["fitted"], lin["residual"], seed=self.parameters["seed"])
        return _translated_figure(fig)

    def moderation_figure(self):
        from workbench.presentation.plots import simple_slopes_chart

        if self.moderation is None:
            return None
        fig = simple_slopes_chart(
            self.moderation.plot_data, x=self.x, y=self.outcome, moderator=self.moderation.moderator
        )
        return _translated_figure(fig)

    def segment_figure(self):
        from workbench.presentation.plots import segment_coefficients_chart

        if self.segments is None:
            return None
        c = self.segments.coefficients
        return _translated_figure(segment_coefficients_chart(c[c["term"].isin(self.drivers)]))

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model.to_dict(),
            "relative_importance": self.importance.to_dict(),
            "scoring": {"method": self.parameters["scoring"], "variables": self.scoring_notes},
            "ipa": None if self.ipa is None else self.ipa.to_dict(),
            "mediation": None if self.mediation is None else self.mediation.to_dict(),
            "moderation": None if self.moderation is None else self.moderation.to_dict(),
            "segments": None
            if self.segments is None
            else {
                "by": self.segments.by,
                "slope_test": self.segments.slope_test,
                "driver_tests": self.segments.driver_tests.to_dict(orient="index"),
                "fit": self.segments.fit.to_dict(orient="index"),
                "coefficients": self.segments.coefficients.to_dict(orient="records"),
                "skipped": self.segments.skipped,
            },
        }
        if out["mediation"] is not None:
            # each path's test and confidence interval, for the APA mediation table (export)
            paths = self.mediation.paths
            out["mediation"]["paths"] = {
                str(label): {
                    k: row[k] for k in ("estimate", "se", "p", "ci_low", "ci_high") if k in row
                }
                for label, row in paths.iterrows()
            }
        out["missing_diagnosis"] = (
            None if self.missing_diagnosis is None else self.missing_diagnosis.to_dict()
        )
        out["imputation"] = None if self.imputation is None else self.imputation.to_dict()
        return jsonable(out)

    def headline(self) -> dict[str, Any]:
        t = self.importance.table.sort_values("lmg", ascending=False)
        out: dict[str, Any] = {"outcome": self.outcome, "n": self.model.n}
        if self.model.r2 is not None and not pd.isna(self.model.r2):
            out["R2"] = round(float(self.model.r2), 3)
        out["top driver"] = f"{t['driver'].iloc[0]} ({t['lmg_pct'].iloc[0]:.0f}% of R2)"
        return out


def _own(warnings: tuple[str, ...] | list[str], n_dropped: int, model_dropped: int) -> list[str]:
    """A secondary analysis's warnings, less the listwise-deletion note when it dropped the
    same respondents as the driver model (already reported once)."""
    return [w for w in warnings if not ("dropped" in w and n_dropped == model_dropped)]


def _default_x(drivers: list[str], mediators: list[str], moderator: str, x: str) -> str:
    if x:
        return x
    for d in drivers:
        if d not in mediators and d != moderator:
            return d
    raise InputError(
        "Mediation or moderation needs a focal driver x that is not the mediator or moderator.",
        hint="Pass --param x=NAME.",
    )


@dataclasses.dataclass(frozen=True)
class MultipleImputation(Result):
    """The completed data sets of a ``missing=mi`` run and what was imputed.

    Attributes
    ----------
    surveys : tuple of SurveyData
        The ``m`` completed surveys (copies; the data read is never changed).
    columns : dict
        Imputed column -> method (``pmm``, ``logreg``, ``polyreg``, ``polr``), its count of
        imputed cells and ``rhat``, the Gelman-Rubin convergence statistic of its chains
        (near 1: the chains have mixed).
    n_cells : int
        Cells imputed in each data set.
    n_dropped : int
        Respondents with no answer to any variable of the models, left out.
    m, seed, iterations : int
    reliability : pandas.DataFrame
        Alpha and omega per multi-item construct: means over the completed data sets and
        their between-imputation standard deviations.
    """

    surveys: tuple[SurveyData, ...] = dataclasses.field(repr=False)
    columns: dict[str, dict[str, Any]]
    n_cells: int
    n_dropped: int
    m: int
    seed: int
    iterations: int
    reliability: pd.DataFrame
    warning_messages: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "m": self.m,
                "seed": self.seed,
                "iterations": self.iterations,
                "n_imputed_cells": self.n_cells,
                "n_dropped": self.n_dropped,
                "columns": self.columns,
                "reliability": self.reliability.to_dict(orient="index"),
            }
        )


#: sweeps of the chained equations per imputation (mice's default maxit is 5)
MI_ITERATIONS = 10


def impute_survey(
    survey: SurveyData, names: list[str], *, by: str, m: int, seed: int
) -> MultipleImputation:
    """Impute the items of the named constructs and the named plain columns ``m`` times.

    Item-level imputation: every item of every construct in ``names`` and every plain
    column (numeric by predictive mean matching; categorical by logistic or polytomous
    regression) is imputed from all the others by chained equations
    (:func:`workbench.intake.imputation.impute_chained`); scores are computed afterwards.
    The segment column ``by`` is never imputed: it joins the imputation model as a
    predictor when it is complete, and segment comparisons use its observed values.
    Respondents who answered none of the variables are left out (counted).
    """
    cb = survey.codebook
    frame = survey.frame
    columns: list[str] = []
    for name in dict.fromkeys(names):
        if name == by:
            continue
        if name in cb.constructs:
            columns += list(cb.constructs[name].items)
        else:
            columns.append(name)
    columns = list(dict.fromkeys(columns))
    answered = frame[columns].notna().any(axis=1)
    n_dropped = int((~answered).sum())
    data = frame.loc[answered, columns].copy()
    methods: dict[str, str] = {}
    notes: list[str] = []
    if by and frame[by].notna().all():
        data[by] = frame.loc[answered, by].astype("category")
        methods[by] = "none"
    elif by:
        notes.append(
            f"The segment column '{by}' has missing values, so it is not a predictor of the "
            "imputations (segment differences are then understated somewhat)."
        )
    incomplete = {c: int(data[c].isna().sum()) for c in columns if data[c].isna().any()}
    completed, summary = impute_chained(
        data,
        m=m,
        iterations=MI_ITERATIONS,
        seed=seed,
        methods=methods or None,
        return_summary=True,
    )
    notes += [f"Imputation: {w}" for w in summary.warnings]
    table = summary.table
    surveys = []
    for done in completed:
        full = frame.loc[answered].copy()
        full[columns] = done[columns]
        surveys.append(dataclasses.replace(survey, frame=full))
    if n_dropped:
        notes.append(
            f"{n_dropped} respondent(s) answered none of the models' variables and are left "
            "out (nothing to impute from)."
        )
    share = sum(incomplete.values()) / max(data[columns].size, 1)
    notes.append(
        f"Multiple imputation: {sum(incomplete.values())} missing answers "
        f"({100 * share:.1f}% of the cells) in {len(incomplete)} column(s) imputed {m} times "
        f"by chained equations ({MI_ITERATIONS} iterations, seed {seed}); results are pooled "
        "by Rubin's rules."
    )
    reliability = _imputed_reliability(surveys, survey, names)
    return MultipleImputation(
        surveys=tuple(surveys),
        columns={
            c: {
                "method": str(table.loc[c, "method"]),
                "imputed": incomplete[c],
                "rhat": float(table.loc[c, "rhat"]),
            }
            for c in incomplete
        },
        n_cells=sum(incomplete.values()),
        n_dropped=n_dropped,
        m=m,
        seed=seed,
        iterations=MI_ITERATIONS,
        reliability=reliability,
        warning_messages=tuple(notes),
    )


def _imputed_reliability(
    surveys: list[SurveyData], survey: SurveyData, names: list[str]
) -> pd.DataFrame:
    """Alpha and omega per multi-item construct, averaged over the completed data sets."""
    cb = survey.codebook
    rows = {}
    for name in dict.fromkeys(names):
        if name not in cb.constructs or len(cb.constructs[name].items) < 2:
            continue
        items = list(cb.constructs[name].items)
        alphas = [cronbach_alpha(one.frame[items]).alpha for one in surveys]
        omegas = [
            omega_total(one.frame[items]).omega_total if len(items) >= 3 else np.nan
            for one in surveys
        ]
        rows[name] = {
            "n_items": len(items),
            "alpha": float(np.mean(alphas)),
            "alpha_between_sd": float(np.std(alphas, ddof=1)),
            "omega_total": float(np.mean(omegas)),
            "omega_between_sd": float(np.std(omegas, ddof=1)) if len(items) >= 3 else np.nan,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "construct"
    return table


def _fiml_driver_model(
    survey: SurveyData, scores: pd.DataFrame, fit: drv.DriverModel, auxiliary: list[str]
) -> Any:
    """The OLS driver model re-estimated by FIML (:func:`workbench.sem.regression_fiml`):
    the complete-case fit's coefficients, n, R² and hierarchical test replaced; its
    assumption checks stay those of the complete cases (said in the warnings)."""
    if fit.kind != "ols":
        raise InputError(
            f"missing=fiml fits linear (OLS) driver models; this outcome gets a {fit.kind} model.",
            file=survey.path,
            column=fit.outcome,
            hint="Use missing=mi (multiple imputation pools logit and ordinal models), or "
            "missing=listwise.",
        )
    predictors = [*fit.controls, *fit.drivers]
    res = regression_fiml(
        scores, fit.outcome, predictors, auxiliary=auxiliary, ci=fit.ci, file=survey.path
    )
    t = res.table
    coef = fit.coefficients.set_index("term")
    missing_terms = [term for term in coef.index if term not in t.index]
    if missing_terms:
        raise InputError(
            f"missing=fiml takes numeric controls only; '{missing_terms[0]}' is a dummy of a "
            "categorical control.",
            file=survey.path,
            hint="Use missing=mi, which imputes and dummy-codes categorical controls.",
        )
    coef["estimate"] = t["b"]
    coef["se"] = t["se"]
    coef["statistic"] = t["z"]
    coef["p"] = t["p"]
    coef["ci_low"] = t["ci_low"]
    coef["ci_high"] = t["ci_high"]
    coef["std_beta"] = t["beta"].where(coef.index != "Intercept", np.nan)
    k = len(predictors)
    hierarchical = None
    if fit.controls:
        b = t.loc[list(fit.drivers), "b"].to_numpy(float)
        v = res.vcov.loc[list(fit.drivers), list(fit.drivers)].to_numpy(float)
        wald = float(b @ np.linalg.solve(v, b))
        restricted = regression_fiml(
            scores,
            fit.outcome,
            list(fit.controls),
            auxiliary=[*fit.drivers, *auxiliary],
            ci=fit.ci,
        )
        hierarchical = {
            "test": "Wald chi-square of the drivers (FIML)",
            "r2_controls": restricted.r_squared,
            "delta_r2": res.r_squared - restricted.r_squared,
            "statistic": wald,
            "df1": len(fit.drivers),
            "df2": None,
            "p": float(stats.chi2.sf(wald, len(fit.drivers))),
        }
    notes = [w for w in fit.warnings if "dropped" not in w]
    notes += list(res.warnings)
    notes.append(
        f"The driver model is estimated by FIML on {res.n} respondents (complete cases: "
        f"{res.n_complete}); z tests with observed-information standard errors (lavaan "
        "missing='ml'). The assumption checks and residual plot use the complete cases."
    )
    return dataclasses.replace(
        fit,
        coefficients=coef.reset_index(),
        n=res.n,
        n_dropped=res.n_dropped + (len(scores) - res.n - res.n_dropped),
        r2=res.r_squared,
        adj_r2=1 - (1 - res.r_squared) * (res.n - 1) / (res.n - k - 1),
        loglik=math.nan,
        aic=math.nan,
        bic=math.nan,
        hierarchical=hierarchical,
        robust=False,
        warning_messages=tuple(notes),
    )


def _analyse_one(
    survey: SurveyData,
    *,
    names: list[str],
    outcome: str,
    drivers: list[str],
    controls: list[str],
    model: drv.ModelKind,
    robust: bool,
    mediators: list[str],
    moderator: str,
    focal: str,
    by: str,
    scoring: str,
    bootstrap: int,
    seed: int,
    missing: str,
    auxiliary: list[str],
    pooled: bool = False,
) -> tuple[Any, ...]:
    """Score and fit every model on one data set (the survey, or one completed copy);
    ``missing="fiml"`` scores as listwise and fits the linear models by FIML."""
    fiml = missing == "fiml"
    scores, how = score_variables(
        survey,
        [*names, *auxiliary],
        scoring=scoring,
        missing="available" if missing == "available" else "listwise",
    )
    fit = drv.fit_driver_model(
        scores, outcome, drivers, controls=controls, model=model, robust=robust
    )
    if fiml:
        fit = _fiml_driver_model(survey, scores, fit, auxiliary)
    imp = drv.relative_importance(
        scores,
        outcome,
        drivers,
        bootstrap=bootstrap,
        seed=seed,
        missing="fiml" if fiml else "listwise",
        auxiliary=auxiliary,
    )
    mediation_res = moderation_res = segments = None
    if mediators:
        covariates = [d for d in drivers if d != focal and d not in mediators] + controls
        mediate: Callable[..., med.MediationResult] = med.mediation_fiml if fiml else med.mediation
        extra = {"auxiliary": auxiliary} if fiml else {}
        mediation_res = mediate(
            scores, focal, outcome, mediators, covariates=covariates, bootstrap=bootstrap,
            seed=seed, **extra,
        )  # fmt: skip
    if moderator:
        covariates = [d for d in drivers if d not in (focal, moderator)] + controls
        moderation_res = med.moderation(scores, focal, outcome, moderator, covariates=covariates)
    if by:
        # the F tests of one data set are not needed when imputations are pooled (D1)
        segments = med.compare_segments(
            scores, outcome, drivers, by, controls=controls, nested_tests=not pooled
        )
    return scores, how, fit, imp, mediation_res, moderation_res, segments


def analyse(
    survey: SurveyData,
    *,
    outcome: str = "loyalty",
    drivers: list[str] | None = None,
    controls: list[str] | None = None,
    model: drv.ModelKind = "auto",
    robust: bool = False,
    mediator: list[str] | None = None,
    moderator: str = "",
    x: str = "",
    by: str = "",
    scoring: str = "mean",
    bootstrap: int = 1000,
    seed: int = 2026,
    missing: str = "mi",
    m: int = 20,
    auxiliary: list[str] | None = None,
    sheet: str = "",  # the worksheet the survey was read from (load_survey)
) -> LoyaltyDriversStudy:
    """Run the loyalty-drivers study on a prepared survey (parameters as ``workbench list``)."""
    cb = survey.codebook
    controls = list(controls or [])
    mediators = list(mediator or [])
    drivers, focal = check_variables(
        survey,
        outcome=outcome,
        drivers=list(drivers or []),
        controls=controls,
        mediators=mediators,
        moderator=moderator,
        x=x,
        by=by,
        auxiliary=list(auxiliary or []),
    )
    aux = list(auxiliary or [])
    names = [outcome, *drivers, *controls, *mediators] + [v for v in (moderator, x, by) if v]
    warnings: list[str] = [] if cb.given else [NO_CODEBOOK_NOTE]
    if aux and missing not in ("fiml", "mi"):
        warnings.append(
            f"The auxiliary variable(s) {', '.join(aux)} are used by missing=fiml and "
            f"missing=mi only; missing={missing} leaves them aside."
        )
    if missing == "available" and any(n in cb.constructs for n in names):
        warnings.append(
            "Construct scores use the answered items when at least half are answered "
            "(person-mean scoring); respondents below that are left out."
        )
    imputation: MultipleImputation | None = None
    _check_fiml_scope(missing, moderator, by, survey.path)
    if missing == "mi":
        imputation = impute_survey(survey, [*names, *aux], by=by, m=m, seed=seed)
        warnings += list(imputation.warnings)
        surveys = list(imputation.surveys)
    else:
        surveys = [survey]
    score_missing = "available" if missing == "available" else "listwise"
    boot_each = bootstrap if imputation is None else pool.bootstrap_share(bootstrap, m)
    runs = [
        _analyse_one(
            one,
            names=names,
            outcome=outcome,
            drivers=drivers,
            controls=controls,
            model=model,
            robust=robust,
            mediators=mediators,
            moderator=moderator,
            focal=focal,
            by=by,
            scoring=scoring,
            bootstrap=boot_each,
            seed=seed + i,
            missing="listwise" if missing == "mi" else missing,
            auxiliary=aux if missing == "fiml" else [],
            pooled=imputation is not None,
        )
        for i, one in enumerate(surveys)
    ]
    if imputation is None:
        scores, how, fit, imp, mediation_res, moderation_res, segments = runs[0]
    else:
        scores, how = runs[0][0], runs[0][1]
        how = {k: v + " (after imputation)" if k in cb.constructs else v for k, v in how.items()}
        fit = pool.pool_driver_models([r[2] for r in runs])
        imp = pool.pool_relative_importance([r[3] for r in runs])
        mediation_res = pool.pool_mediation([r[4] for r in runs]) if mediators else None
        moderation_res = pool.pool_moderation([r[5] for r in runs]) if moderator else None
        segments = pool.pool_segments([r[6] for r in runs]) if by else None
    warnings += list(fit.warnings)
    warnings += _own(imp.warnings, imp.n_dropped, fit.n_dropped)
    if fit.kind != "ols":
        warnings.append(
            f"The driver model is {fit.kind}; relative importance decomposes the R2 of the "
            "linear model of the same outcome (a standard approximation for ranking drivers)."
        )

    # importance-performance: constructs on the codebook's scale only, performance from means
    ipa, ipa_note = None, ""
    scaled = [d for d in drivers if d in cb.constructs]
    if not cb.given:
        ipa_note = (
            "Importance-performance needs drivers measured on a known response scale (the "
            "codebook's `scale`); no codebook was given, so it is left out."
        )
    elif cb.scale is None or not scaled:
        ipa_note = "Importance-performance needs drivers measured on the codebook's scale."
    else:
        # performance is on the response scale: item means (the runs' scores already are,
        # unless scoring=factor)
        means = [
            run[0][scaled]
            if scoring == "mean"
            else score_variables(one, scaled, scoring="mean", missing=score_missing)[0]
            for run, one in zip(runs, surveys, strict=True)
        ]
        performance = (
            pd.Series(em_moments(means[0])[0], index=scaled)  # EM means of the scores
            if missing == "fiml"
            else pd.concat([frame.mean() for frame in means], axis=1).mean(axis=1)
        )
        t = imp.table.set_index("driver")
        # importance = Johnson's relative weight (share of R2), as the issue defines it
        ipa = med.importance_performance(
            t.loc[scaled, "relative_weight"],
            performance,
            scale_min=cb.scale.min,
            scale_max=cb.scale.max,
            importance_ci=t.loc[scaled, ["rw_ci_low", "rw_ci_high"]].rename(
                columns={"rw_ci_low": "ci_low", "rw_ci_high": "ci_high"}
            ),
        )
        warnings += list(ipa.warnings)
        if len(scaled) < len(drivers):
            ipa_note = "Drivers that are not codebook constructs are left out of the chart."

    if mediation_res is not None:
        warnings += [
            f"Mediation: {w}"
            for w in _own(mediation_res.warnings, mediation_res.n_dropped, fit.n_dropped)
        ]
    if moderation_res is not None:
        warnings += [
            f"Moderation: {w}"
            for w in _own(moderation_res.warnings, moderation_res.n_dropped, fit.n_dropped)
        ]
    if segments is not None:
        warnings += [
            f"Segments: {w}" for w in _own(segments.warnings, segments.n_dropped, fit.n_dropped)
        ]

    study = LoyaltyDriversStudy(
        survey=survey,
        parameters={
            "outcome": outcome,
            "drivers": drivers,
            "controls": controls,
            "model": model,
            "robust": robust,
            "mediator": mediators,
            "moderator": moderator,
            "x": x,
            "by": by,
            "scoring": scoring,
            "bootstrap": bootstrap,
            "seed": seed,
            "missing": missing,
            "m": m,
            "auxiliary": aux,
        },
        outcome=outcome,
        drivers=tuple(drivers),
        scores=scores,
        scoring_notes=how,
        model=fit,
        importance=imp,
        ipa=ipa,
        ipa_note=ipa_note,
        mediation=mediation_res,
        moderation=moderation_res,
        segments=segments,
        x=focal,
        missing_report={
            "treatment": missing,
            "scoring": scoring,
            "n_total": survey.n,
            "n_used": int(fit.n),
            "n_dropped": int(survey.n - fit.n),
            **({} if imputation is None else {"m": m, "n_imputed_cells": imputation.n_cells}),
        },
        imputation=imputation,
        findings=(),
        warning_messages=tuple(dict.fromkeys(_translated_warning(w) for w in warnings)),
        missing_diagnosis=_diagnosis(survey, names, by),
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))


def _diagnosis(survey: SurveyData, names: list[str], by: str) -> MissingDiagnosis:
    """The missing-data diagnosis of the variables the models use: the items of the named
    constructs and the numeric plain columns, by the segment column when there is one."""
    cb = survey.codebook
    columns: list[str] = []
    for name in dict.fromkeys(names):
        if name in cb.constructs:
            columns += list(cb.constructs[name].items)
        elif name != by and pd.api.types.is_numeric_dtype(survey.frame[name]):
            columns.append(name)
    return diagnose_missing(survey, list(dict.fromkeys(columns)), groups=by or None)


def _df_text(df: float) -> str:
    """Degrees of freedom as a reader expects them: whole numbers as such, a pooled
    (fractional) df to one decimal, and a df so large that F is its chi-square limit as ∞."""
    if df is None or not math.isfinite(df) or df > 1e5:
        return "∞"
    return f"{df:.0f}" if float(df).is_integer() else f"{df:.1f}"


#: prefixes the study puts before a secondary analysis's warnings
_WARNING_PREFIXES = ("Mediation", "Moderation", "Segments", "Imputation")


def _translated_warning(text: str) -> str:
    """A warning (built in English here and by the statistics modules) in the report
    language: catalogue messages with placeholders are matched against the whole text."""
    head, sep, rest = text.partition(": ")
    if sep and head in _WARNING_PREFIXES:
        return tr(
            "{analysis}: {warning}", analysis=i18n.label(head), warning=_translated_warning(rest)
        )
    return i18n.translate(text)


def _label_rows(frame: pd.DataFrame, keys: set[str]) -> pd.DataFrame:
    """Translate the row names the package writes (``keys``); names from the data (a
    construct called ``value``, a tier called ``gold``) stay as they are."""
    if i18n.get_language() == "en":
        return frame
    out = frame.copy()
    out.index = pd.Index(
        [i18n.label(k) if k in keys else k for k in frame.index], name=frame.index.name
    )
    return out


_AFTER_IMPUTATION = " (after imputation)"


def _scoring_text(how: str) -> str:
    """How a variable was scored (``scoring_notes``, English in results.json), for the report."""
    if how.endswith(_AFTER_IMPUTATION):
        return tr("{how} (after imputation)", how=i18n.translate(how[: -len(_AFTER_IMPUTATION)]))
    return i18n.translate(how)


def _translated_light(light: Any) -> Any:
    """A traffic light whose word is in the report language (the colour stays)."""
    from workbench.presentation.report import Marker

    if isinstance(light, Marker) and i18n.get_language() != "en":
        return Marker(i18n.label(str(light)), light.colour)
    return light


def _translated_figure(fig: Any) -> Any:
    """A plotly figure's title, axis titles and legend entries in the report language.

    The charts label traces with package categories (quadrants, ``LMG (Shapley)``) and the
    data's names; catalogued ones are translated, the others stay as they are.
    """
    if fig is None or i18n.get_language() == "en" or not hasattr(fig, "to_plotly_json"):
        return fig
    for trace in fig.data:
        if getattr(trace, "name", None):
            trace.name = _figure_text(trace.name)
    layout = fig.layout
    if layout.title and layout.title.text:
        layout.title.text = _figure_text(layout.title.text)
    for axis in ("xaxis", "yaxis"):
        title = getattr(layout, axis).title
        if title and title.text:
            title.text = _figure_text(title.text)
    for note in layout.annotations or ():
        if note.text:
            note.text = _figure_text(note.text)
    return fig


def _figure_text(text: str) -> str:
    """A catalogued label or message; ``name = level`` (a simple slope) with its level."""
    name, sep, level = text.rpartition(" = ")
    if sep:
        return f"{name}{sep}{i18n.label(level)}"
    found = i18n.label(text)
    return i18n.translate(text) if found == text else found


def _pct(v: float, r2: float) -> str:
    return f"{100 * v / r2:.0f}%"


def _findings(s: LoyaltyDriversStudy) -> list[str]:
    """The key findings, in the current report language (numbers as in the English text)."""
    out = []
    lab = s.label
    fit = s.model
    imp = s.importance
    t = imp.table.sort_values("lmg", ascending=False).set_index("driver")
    coef = fit.coefficients.set_index("term")
    kinds = {"ols": "linear regression", "ordinal": "ordinal logit", "logit": "logistic regression"}
    fit_text = (
        f"R² = {fit.r2:.2f}"
        if fit.kind == "ols"
        else tr("McFadden pseudo-R² = {value}", value=f"{fit.pseudo_r2:.2f}")
    )
    imputed = (
        ""
        if s.imputation is None
        else tr("; missing answers multiply imputed, m = {m}, results pooled", m=s.imputation.m)
    )
    out.append(
        tr(
            "Together the {k} drivers explain {outcome} with {fit} ({kind}, n = {n}{imputed}).",
            k=len(s.drivers),
            outcome=lab(s.outcome),
            fit=fit_text,
            kind=i18n.label(kinds[fit.kind]),
            n=fit.n,
            imputed=imputed,
        )
    )
    top = t.index[0]
    r2 = imp.r2
    ci_level = round(100 * imp.ci)
    text = tr(
        "{driver} is the strongest lever: {share} of the explained variance ({level}% CI "
        "{low}–{high}); it ranks first in {first}% of bootstrap resamples.",
        driver=lab(top),
        share=_pct(t.loc[top, "lmg"], r2),
        level=ci_level,
        low=_pct(t.loc[top, "lmg_ci_low"], r2),
        high=_pct(t.loc[top, "lmg_ci_high"], r2),
        first=f"{100 * t.loc[top, 'rank_first_share']:.0f}",
    )
    if top in coef.index:
        b = coef.loc[top]
        if fit.kind == "ols":
            more = tr(
                "One point more on {driver} goes with {b} points of {outcome} (95% CI {low} to "
                "{high}), the other drivers held equal.",
                driver=lab(top),
                b=f"{b['estimate']:+.2f}",
                outcome=lab(s.outcome),
                low=f"{b['ci_low']:+.2f}",
                high=f"{b['ci_high']:+.2f}",
            )
        else:
            more = tr(
                "One point more on {driver} multiplies the odds of a higher {outcome} by {ratio}.",
                driver=lab(top),
                outcome=lab(s.outcome),
                ratio=f"{math.exp(b['estimate']):.2f}",
            )
        text = tr("{sentence} {next}", sentence=text, next=more)
    out.append(text)
    sep = tr("; ")
    if len(t) > 1:
        rest = sep.join(f"{lab(d)} {_pct(t.loc[d, 'lmg'], r2)}" for d in t.index[1:])
        out.append(tr("Shares of the explained variance for the other drivers: {rest}.", rest=rest))
    names = tr(", ")
    weak = [d for d in s.drivers if d in coef.index and coef.loc[d, "p"] >= 0.05]
    if weak:
        out.append(
            tr(
                "No reliable unique effect (p ≥ .05) once the other drivers are held equal: "
                "{drivers}.",
                drivers=names.join(lab(d) for d in weak),
            )
        )
    if s.ipa is not None:
        fix = s.ipa.table[s.ipa.table["quadrant"] == "fix first"]
        if len(fix):
            out.append(
                tr(
                    "Fix first (important but under-performing): {drivers}.",
                    drivers=names.join(
                        tr(
                            "{driver} (performance {score}/100)",
                            driver=lab(d),
                            score=f"{r.performance:.0f}",
                        )
                        for d, r in fix.iterrows()
                    ),
                )
            )
        else:
            keep = s.ipa.table[s.ipa.table["quadrant"] == "keep up"]
            if len(keep):
                out.append(
                    tr(
                        "No driver is in the 'fix first' quadrant; keep up {drivers} (important "
                        "and performing well).",
                        drivers=names.join(lab(d) for d in keep.index),
                    )
                )
    if s.mediation is not None:
        ind = s.mediation.indirect
        for m in s.mediation.mediators:
            r = ind.loc[m]
            sig = r["ci_low"] > 0 or r["ci_high"] < 0
            values = {
                "x": lab(s.x),
                "mediator": lab(m),
                "estimate": f"{r['estimate']:+.3f}",
                "level": ci_level,
                "low": f"{r['ci_low']:+.3f}",
                "high": f"{r['ci_high']:+.3f}",
            }
            out.append(
                tr(
                    "{x} works partly through {mediator}: indirect effect {estimate} ({level}% "
                    "bootstrap CI {low} to {high}).",
                    **values,
                )
                if sig
                else tr(
                    "{x} works through {mediator}: indirect effect {estimate} ({level}% "
                    "bootstrap CI {low} to {high}), an interval that includes zero: no evidence "
                    "of mediation.",
                    **values,
                )
            )
    if s.moderation is not None:
        mo = s.moderation
        p = mo.interaction.get("p")
        message = (
            "The effect of {x} depends on {moderator} (interaction {p})."
            if p is not None and p < 0.05
            else "The effect of {x} does not reliably depend on {moderator} (interaction {p})."
        )
        out.append(tr(message, x=lab(s.x), moderator=lab(mo.moderator), p=format_p(p)))
    if s.segments is not None:
        st = s.segments.slope_test
        differ = st["p"] < 0.05
        message = (
            "Across {by} segments the driver effects differ (F({df1}, {df2}) = {F}, {p})."
            if differ
            else "Across {by} segments the driver effects do not differ significantly "
            "(F({df1}, {df2}) = {F}, {p})."
        )
        out.append(
            tr(
                message,
                by=s.segments.by,
                df1=st["df1"],
                df2=_df_text(st["df2"]),
                F=f"{st['F']:.2f}",
                p=format_p(st["p"]),
            )
        )
    if fit.assumptions is not None:
        red = fit.assumptions[fit.assumptions["status"] == "red"]
        if len(red):
            out.append(
                tr(
                    "Check before relying on the model: {checks} (red).",
                    checks=sep.join(i18n.translate(c) for c in red["check"].tolist()),
                )
            )
    return out
