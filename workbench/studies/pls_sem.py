"""The PLS-SEM study: a partial least squares path model with the assessment reviewers ask for.

:func:`analyse` builds the model (from ``model`` in lavaan syntax, or from the codebook's
constructs and the structural ``paths``), estimates it with :mod:`workbench.pls` (PLS or
consistent PLS), and assesses it in the order of Hair, Hult, Ringle & Sarstedt's *Primer on
PLS-SEM* (3rd ed., 2022, chapters 4-6): the reflective measurement model (loadings,
reliability, convergent and discriminant validity), the formative one (weights, collinearity),
then the structural model (collinearity, paths, R², f²). Each criterion carries its threshold
and a traffic light. The notebook only displays the :class:`PLSStudy`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.intake.data import SurveyData
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.pls import PLSResult, estimate_pls, redundancy_analysis, specify_model
from workbench.presentation.report import traffic_light
from workbench.results import Result, jsonable

#: Hair et al. (2022) thresholds, in the order the report applies them.
LOADING_GOOD, LOADING_KEEP = 0.708, 0.40
RELIABILITY_LOW, RELIABILITY_EXPLORATORY, RELIABILITY_HIGH = 0.70, 0.60, 0.95
AVE_MIN = 0.50
HTMT_STRICT, HTMT_LIBERAL = 0.85, 0.90
VIF_IDEAL, VIF_MAX = 3.0, 5.0
SRMR_MAX = 0.08


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Load the survey, build and check the model and its data before a kernel starts."""
    from workbench.intake.data import load_survey
    from workbench.pls import prepare_data

    survey = load_survey(data, codebook or None, sheet=params.get("sheet") or None)
    syntax = build_model(
        survey,
        model=params.get("model") or "",
        paths=params.get("paths") or "",
        formative=list(params.get("formative") or []),
    )
    spec = specify_model(syntax)
    prepared = prepare_data(survey.frame, spec, missing=params.get("missing") or "mean")
    for entry in params.get("redundancy") or []:
        construct, item = _construct_and_item(entry)
        if spec.measurement.get(construct) != "composite":
            raise InputError(
                f"Redundancy analysis of '{construct}': it is not a formative construct of the "
                "model.",
                hint="Formative constructs: "
                + (", ".join(c for c, m in spec.measurement.items() if m == "composite") or "none")
                + ".",
            )
        if item not in survey.frame.columns:
            raise InputError(
                f"The global item '{item}' for the redundancy analysis of '{construct}' is not "
                "a column of the data.",
                file=survey.path,
                column=item,
            )
    return int(prepared.n)


# ----------------------------------------------------------------------------- the model
def build_model(
    survey: SurveyData, *, model: str = "", paths: str = "", formative: list[str] | None = None
) -> str:
    """The lavaan-syntax model a run estimates.

    ``model`` is taken as it is (cSEM's syntax: ``=~`` reflective, ``<~`` formative, ``~``
    paths; items are data columns, after the codebook's missing codes and reverse coding).
    Otherwise ``paths`` (``"Y ~ X1 + X2; Z ~ Y"``) names codebook constructs, whose items
    form their measurement blocks; constructs listed in ``formative`` are Mode B composites.

    Raises
    ------
    InputError
        Neither or both of ``model`` and ``paths``; a name in ``paths`` or ``formative`` that
        is not a construct of the codebook.
    """
    formative = list(formative or [])
    if model.strip() and paths.strip():
        raise InputError(
            "Both `model` and `paths` were given; the study takes one of them.",
            hint="Give the whole model in `model` (measurement and paths), or the structural "
            "`paths` between codebook constructs.",
        )
    if model.strip():
        if formative:
            raise InputError(
                "`formative` applies to models built from the codebook; in `model`, write "
                "a formative construct with '<~'.",
                hint="E.g. quality <~ qual_1 + qual_2 + qual_3.",
            )
        return model
    if not paths.strip():
        raise InputError(
            "The study needs a model: `paths` between codebook constructs (e.g. "
            "'satisfaction ~ quality + value; loyalty ~ satisfaction') or the whole `model` "
            "in lavaan syntax.",
            hint="Constructs of the codebook: " + ", ".join(survey.codebook.constructs) + ".",
        )
    cb = survey.codebook
    statements = [s.strip() for line in paths.splitlines() for s in line.split(";")]
    statements = [s.split("#", 1)[0].strip() for s in statements]
    statements = [s for s in statements if s]
    used: list[str] = []
    for stmt in statements:
        if "=~" in stmt or "<~" in stmt or "~" not in stmt:
            raise InputError(
                f"Cannot read '{stmt}' in `paths`: write structural paths 'Y ~ X1 + X2'.",
                hint="Measurement blocks come from the codebook; list formative constructs "
                "in `formative`.",
            )
        lhs, rhs = stmt.split("~", 1)
        for name in [*lhs.split("+"), *rhs.split("+")]:
            name = name.strip()
            if ":" in name:  # an interaction term X:M uses two constructs
                used += [n.strip() for n in name.split(":")]
            elif name:
                used.append(name)
    for name in [*used, *formative]:
        if name not in cb.constructs:
            raise InputError(
                f"'{name}' in `paths` or `formative` is not a construct of the codebook.",
                file=cb.path,
                hint="Constructs of the codebook: " + ", ".join(cb.constructs) + ".",
            )
    blocks = []
    for name in dict.fromkeys(used):
        op = "<~" if name in formative else "=~"
        blocks.append(f"{name} {op} {' + '.join(cb.constructs[name].items)}")
    return "\n".join([*blocks, *statements])


def final_target(result: PLSResult) -> str:
    """The model's final outcome: the last endogenous construct that predicts nothing."""
    spec = result.specification
    sources = {s for s, _ in spec.paths}
    ends = [c for c in spec.endogenous if c not in sources]
    return (ends or list(spec.endogenous))[-1]


# ----------------------------------------------------------------------------- lights
def _band(value: float, green: bool, amber: bool) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return "green" if green else "amber" if amber else "red"


def loading_light(value: float) -> str:
    """Indicator loading: >= .708 keep (green), .40-.708 consider removing (amber), < .40
    remove (red) (Hair et al. 2022, ch. 4)."""
    a = abs(value)
    return _band(value, a >= LOADING_GOOD, a >= LOADING_KEEP)


def reliability_light(value: float) -> str:
    """alpha, rho_A, rho_C: .70-.95 green; .60-.70 (exploratory) or above .95 (redundant
    items) amber; below .60 red."""
    return _band(
        value,
        RELIABILITY_LOW <= value <= RELIABILITY_HIGH,
        value >= RELIABILITY_EXPLORATORY,
    )


def htmt_light(value: float) -> str:
    """HTMT: below .85 green, .85-.90 amber (acceptable for conceptually close constructs),
    above .90 red (Henseler, Ringle & Sarstedt 2015)."""
    return _band(value, value < HTMT_STRICT, value < HTMT_LIBERAL)


def vif_light(value: float) -> str:
    """VIF: below 3 green, 3-5 amber, 5 or more red (Hair et al. 2022)."""
    return _band(value, value < VIF_IDEAL, value < VIF_MAX)


def r2_label(r2: float) -> str:
    """Hair et al.'s rule of thumb: .75 substantial, .50 moderate, .25 weak."""
    if not math.isfinite(r2):
        return ""
    return (
        "substantial"
        if r2 >= 0.75
        else "moderate"
        if r2 >= 0.50
        else "weak"
        if r2 >= 0.25
        else "very weak"
    )


def f2_label(f2: float) -> str:
    """Cohen's (1988) effect sizes: .02 small, .15 medium, .35 large."""
    if not math.isfinite(f2):
        return ""
    return "large" if f2 >= 0.35 else "medium" if f2 >= 0.15 else "small" if f2 >= 0.02 else "none"


# ----------------------------------------------------------------------------- the study
@dataclasses.dataclass(frozen=True)
class PLSStudy(Result):
    """Everything the PLS-SEM report shows."""

    survey: SurveyData
    parameters: dict[str, Any]
    syntax: str
    fit: PLSResult
    target: str
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]
    redundancy: pd.DataFrame | None = None
    missing_diagnosis: MissingDiagnosis | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.paths_table()

    @property
    def n_used(self) -> int:
        return int(self.fit.n)

    @property
    def missing_report(self) -> dict[str, Any]:
        return self.fit.data.report()

    def label(self, name: str) -> str:
        return self.survey.codebook.label(name)

    @property
    def reflective(self) -> list[str]:
        spec = self.fit.specification
        return [c for c in spec.constructs if spec.measurement[c] == "reflective"]

    @property
    def formative(self) -> list[str]:
        spec = self.fit.specification
        return [c for c in spec.constructs if spec.measurement[c] != "reflective"]

    # ------------------------------------------------------------------ measurement
    def loadings_table(self) -> pd.DataFrame:
        """Every indicator: its construct, loading (with light), weight."""
        spec = self.fit.specification
        rows = []
        for c in spec.constructs:
            for item in spec.items[c]:
                loading = float(self.fit.outer_loadings.loc[item, c])
                rows.append(
                    {
                        "construct": c,
                        "item": item,
                        "mode": "reflective" if c in self.reflective else "formative",
                        "loading": loading,
                        "weight": float(self.fit.outer_weights.loc[item, c]),
                        "loading check": traffic_light(loading_light(loading))
                        if c in self.reflective
                        else "",
                    }
                )
        return pd.DataFrame(rows).set_index(["construct", "item"])

    def reliability_table(self) -> pd.DataFrame:
        """alpha, rho_A, rho_C and AVE of the reflective constructs, each with its light."""
        t = self.fit.reliability().loc[self.reflective].copy()
        multi = [c for c in t.index if len(self.fit.specification.items[c]) > 1]
        t = t.loc[multi]
        t.insert(0, "items", [len(self.fit.specification.items[c]) for c in t.index])
        t["reliability check"] = [traffic_light(reliability_light(v)) for v in t["rho_c"]]
        t["AVE check"] = [traffic_light(_band(v, v >= AVE_MIN, False)) for v in t["ave"]]
        return t

    def htmt_table(self) -> pd.DataFrame:
        """HTMT of every pair of reflective constructs with its light (HTMT is a criterion
        for reflective measurement; formative composites are left out, as in SmartPLS)."""
        h = self.htmt_matrix()
        names = list(h.index)
        rows = [
            {"construct A": a, "construct B": b, "htmt": float(h.loc[a, b])}
            for k, a in enumerate(names)
            for b in names[k + 1 :]
        ]
        t = pd.DataFrame(rows, columns=["construct A", "construct B", "htmt"])
        t["check"] = [traffic_light(htmt_light(v)) for v in t["htmt"]]
        return t

    def htmt_matrix(self) -> pd.DataFrame:
        """The HTMT matrix of the reflective constructs."""
        return self.fit.htmt().loc[self.reflective, self.reflective]

    def outer_vif_table(self) -> pd.DataFrame | None:
        """Collinearity of the formative constructs' indicators."""
        if not self.formative:
            return None
        t = self.fit.outer_vif()
        t = t[t["construct"].isin(self.formative)].set_index(["construct", "item"])[["vif"]]
        t["check"] = [traffic_light(vif_light(v)) for v in t["vif"]]
        return t

    def redundancy_table(self) -> pd.DataFrame | None:
        """Redundancy analyses of formative constructs with their light (path >= 0.708)."""
        if self.redundancy is None:
            return None
        t = self.redundancy.copy()
        t["check"] = [traffic_light(_band(v, v >= LOADING_GOOD, False)) for v in t["path"]]
        return t

    # ------------------------------------------------------------------ structural
    def paths_table(self) -> pd.DataFrame:
        """Path coefficients with f², inner VIF and their readings."""
        t = self.fit.paths[["source", "target", "estimate"]].copy()
        f2 = self.fit.f_squared()["f2"]
        vif = self.fit.inner_vif()["vif"]
        t["f2"] = f2.reindex(t.index)
        t["effect size"] = [f2_label(v) for v in t["f2"]]
        t["vif"] = vif.reindex(t.index)
        t["collinearity"] = [traffic_light(vif_light(v)) for v in t["vif"]]
        return t

    def r2_table(self) -> pd.DataFrame:
        t = self.fit.r2.copy()
        t["reading"] = [r2_label(v) for v in t["r2"]]
        return t

    def total_effects(self) -> pd.DataFrame:
        """Total effects of every construct on every other (``(I - B)^-1 - I``)."""
        B = self.fit.path_matrix().to_numpy()
        k = B.shape[0]
        total = np.linalg.inv(np.eye(k) - B) - np.eye(k)
        names = list(self.fit.path_matrix().index)
        rows = [
            {"source": names[i], "target": names[j], "estimate": float(total[i, j])}
            for i in range(k)
            for j in range(k)
            if abs(total[i, j]) > 0
        ]
        frame = pd.DataFrame(rows, columns=["source", "target", "estimate"])
        frame.index = [f"{s}->{t}" for s, t in zip(frame["source"], frame["target"], strict=True)]
        return frame

    def fit_table(self) -> pd.DataFrame:
        return self.fit.model_fit()

    # ------------------------------------------------------------------ figures
    def path_figure(self):
        from workbench.presentation.plots import path_diagram

        t = self.paths_table()
        diagram = pd.DataFrame(
            {
                "lhs": t["target"],
                "rhs": t["source"],
                "std": t["estimate"],
                # without a bootstrap there are no p-values: every arrow is drawn solid
                "p": 0.0,
            }
        )
        return path_diagram(
            diagram,
            r2=self.fit.r2["r2"].to_dict(),
            labels={c: self.label(c) for c in self.fit.specification.constructs},
        )

    def htmt_figure(self):
        from workbench.presentation.plots import correlation_heatmap

        h = self.htmt_matrix()
        if h.shape[0] < 2:
            return None
        return correlation_heatmap(h, title="HTMT (below 0.85 is good)")

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        fit = self.fit
        base = fit.to_dict()
        paths = self.paths_table()
        fl = fit.fornell_larcker()
        vif_outer = fit.outer_vif()
        inner = fit.inner_vif()["vif"]
        model_fit = fit.model_fit()
        out: dict[str, Any] = {
            "pls": {
                "estimator": fit.estimator,
                "inner_weighting": fit.inner_weighting,
                "n": fit.n,
                "iterations": fit.iterations,
                "converged": fit.converged,
                "missing": fit.data.report(),
                "syntax": self.syntax,
                "target": self.target,
            },
            "paths": {
                k: {"estimate": row["estimate"], "f2": row["f2"]} for k, row in paths.iterrows()
            },
            "total_effects": {
                k: {"estimate": v} for k, v in self.total_effects()["estimate"].items()
            },
            "r2": base["r2"],
            "loadings": base["loadings"],
            "weights": base["weights"],
            "fornell_larcker": fl.to_dict(orient="index"),
            "reliability": base["reliability"],
            "htmt": _nested_htmt(self.htmt_table()),
            "vif": {
                "outer": {r.item: r.vif for r in vif_outer.itertuples(index=False)},
                "inner": inner.to_dict(),
            },
            "redundancy": None
            if self.redundancy is None
            else self.redundancy.drop(columns="construct", errors="ignore").to_dict(orient="index"),
            "fit": {
                "srmr": model_fit.loc["srmr", "estimated"],
                "d_uls": model_fit.loc["d_uls", "estimated"],
                "d_g": model_fit.loc["d_g", "estimated"],
                "saturated": model_fit["saturated"].to_dict(),
            },
        }
        out["missing_diagnosis"] = (
            None if self.missing_diagnosis is None else self.missing_diagnosis.to_dict()
        )
        return jsonable(out)

    def headline(self) -> dict[str, Any]:
        r2 = self.fit.r2["r2"]
        return {
            "n": self.fit.n,
            f"R² of {self.target}": f"{r2[self.target]:.3f}",
            "estimator": f"{self.fit.estimator}, {self.fit.inner_weighting} weighting",
        }


def _nested_htmt(table: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """``{A: {B: {estimate, ...}}}`` from the HTMT table (one entry per pair)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for row in table.to_dict(orient="records"):
        entry = {k: v for k, v in row.items() if k not in ("construct A", "construct B", "check")}
        entry["estimate"] = entry.pop("htmt")
        out.setdefault(row["construct A"], {})[row["construct B"]] = entry
    return out


def _findings(s: PLSStudy) -> list[str]:
    """Plain-language findings: what drives the target, how much it explains, what to fix."""
    out: list[str] = []
    target = s.target
    fit = s.fit
    how = (
        "consistent PLS (PLSc, Dijkstra & Henseler 2015), which corrects the reflective "
        "constructs for measurement error"
        if fit.estimator == "plsc"
        else "the PLS algorithm (composites, as SmartPLS's default)"
    )
    treated = fit.data.report()
    n_replaced = sum(treated["replaced"].values())
    missing_text = (
        f"{n_replaced} missing answer(s) replaced by item means"
        if treated["treatment"] == "mean" and n_replaced
        else f"{treated['n_dropped']} respondent(s) with missing answers left out"
        if treated["n_dropped"]
        else "no missing answers"
    )
    out.append(
        f"Estimated with {how}, {fit.inner_weighting} weighting, on {fit.n} respondents "
        f"({missing_text})."
    )
    r2 = float(fit.r2.loc[target, "r2"])
    out.append(
        f"The model explains {r2:.0%} of the variance in {s.label(target)} "
        f"(R² = {r2:.2f}, {r2_label(r2)} by Hair et al.'s rule of thumb)."
    )
    total = s.total_effects()
    on_target = total[total["target"] == target].sort_values("estimate", key=np.abs)
    if len(on_target):
        top = on_target.iloc[::-1].head(3)
        parts = [f"{s.label(r.source)} ({r.estimate:.2f})" for r in top.itertuples()]
        out.append(
            f"Strongest total effects on {s.label(target)} (direct and through other "
            f"constructs, standardized): {', '.join(parts)}."
        )
    problems: list[str] = []
    if s.reflective:
        rel = s.reliability_table()
        weak_ave = [c for c in rel.index if rel.loc[c, "ave"] < AVE_MIN]
        if weak_ave:
            problems.append("AVE below 0.50 for " + ", ".join(map(s.label, weak_ave)))
        low = [c for c in rel.index if rel.loc[c, "rho_c"] < RELIABILITY_LOW]
        if low:
            problems.append("composite reliability below 0.70 for " + ", ".join(map(s.label, low)))
        high = [c for c in rel.index if rel.loc[c, "rho_c"] > RELIABILITY_HIGH]
        if high:
            problems.append(
                "composite reliability above 0.95 (near-identical items) for "
                + ", ".join(map(s.label, high))
            )
        ld = s.loadings_table()
        weak_items = [
            item
            for (c, item), row in ld.iterrows()
            if c in s.reflective and abs(row["loading"]) < LOADING_GOOD
        ]
        if weak_items:
            problems.append(
                f"{len(weak_items)} reflective indicator(s) load below 0.708 ("
                + ", ".join(weak_items[:6])
                + (", ..." if len(weak_items) > 6 else "")
                + ")"
            )
        ht = s.htmt_table()
        over = ht[ht["htmt"] >= HTMT_STRICT]
        if len(over):
            pairs = [f"{r[0]}/{r[1]} ({r[2]:.2f})" for r in over.itertuples(index=False)]
            problems.append("HTMT at or above 0.85 for " + ", ".join(pairs))
    red = s.redundancy_table()
    if red is not None:
        weak = [c for c in red.index if red.loc[c, "path"] < LOADING_GOOD]
        if weak:
            problems.append(
                "redundancy path below 0.708 (convergent validity in doubt) for "
                + ", ".join(map(s.label, weak))
            )
    vif = s.outer_vif_table()
    if vif is not None:
        bad = [item for (c, item), v in vif["vif"].items() if v >= VIF_MAX]
        if bad:
            problems.append("formative indicators with VIF of 5 or more: " + ", ".join(bad))
    if problems:
        out.append("Measurement problems to look at: " + "; ".join(problems) + ".")
    else:
        out.append(
            "The measurement model passes the usual checks (loadings, reliability, AVE, HTMT"
            + (", formative collinearity" if s.formative else "")
            + ")."
        )
    return out


def _construct_and_item(entry: str) -> tuple[str, str]:
    """``"quality=qual_global"`` -> ``("quality", "qual_global")``."""
    construct, sep, item = (part.strip() for part in entry.partition("="))
    if not sep or not construct or not item:
        raise InputError(
            f"Cannot read '{entry}' in `redundancy`: write CONSTRUCT=GLOBAL_ITEM.",
            hint="E.g. --param 'redundancy=[quality=qual_global, csr=csor_global]'.",
        )
    return construct, item


def analyse(
    survey: SurveyData,
    *,
    model: str = "",
    paths: str = "",
    formative: list[str] | None = None,
    estimator: str = "pls",
    inner_weighting: str = "path",
    missing: str = "mean",
    target: str = "",
    redundancy: list[str] | None = None,
    sheet: str = "",
    **_: Any,
) -> PLSStudy:
    """Run the PLS-SEM study on a loaded survey (parameters as ``workbench list``).

    The codebook's missing codes are already missing in ``survey``; ``missing`` then decides
    between mean replacement (seminr's and SmartPLS's default, counted in the report) and
    listwise deletion, once, for every estimate.
    """
    syntax = build_model(survey, model=model, paths=paths, formative=formative)
    spec = specify_model(syntax)
    fit = estimate_pls(
        survey.frame,
        spec,
        estimator=estimator,  # type: ignore[arg-type]
        inner_weighting=inner_weighting,  # type: ignore[arg-type]
        missing=missing,  # type: ignore[arg-type]
    )
    if target and target not in spec.endogenous:
        raise InputError(
            f"The target '{target}' is not an endogenous construct of the model.",
            hint="Endogenous constructs: " + ", ".join(spec.endogenous) + ".",
        )
    chosen = target or final_target(fit)
    # the codebook's single-item note speaks of factor models; in PLS a single item is a
    # composite of itself, which deserves its own note (only for the constructs the model uses)
    warnings = [w for w in survey.warnings if "has a single item" not in w]
    for c in spec.constructs:
        if len(spec.items[c]) == 1:
            warnings.append(
                f"Construct '{c}' is measured by a single item ({spec.items[c][0]}): its "
                "reliability cannot be assessed (it is taken as 1) and its measurement error "
                "stays in the paths; Hair et al. advise single items only for concrete, "
                "unambiguous attributes."
            )
    warnings += list(fit.warnings)
    red = None
    if redundancy:
        rows = [
            redundancy_analysis(fit, survey.frame, *_construct_and_item(entry))
            for entry in redundancy
        ]
        red = pd.DataFrame(rows).set_index("construct")
    parameters = {
        "model": model,
        "paths": paths,
        "formative": list(formative or []),
        "estimator": estimator,
        "inner_weighting": inner_weighting,
        "missing": missing,
        "target": target,
        "redundancy": list(redundancy or []),
        "sheet": sheet,
    }
    study = PLSStudy(
        survey=survey,
        parameters=parameters,
        syntax=spec.syntax or syntax,
        fit=fit,
        target=chosen,
        findings=(),
        warning_messages=tuple(dict.fromkeys(warnings)),
        redundancy=red,
        missing_diagnosis=diagnose_missing(
            survey, list(dict.fromkeys(i for c in spec.constructs for i in spec.items[c]))
        ),
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))
