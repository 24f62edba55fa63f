"""The PLS-SEM study: a partial least squares path model with the assessment reviewers ask for.

:func:`analyse` builds the model (from ``model`` in lavaan syntax, or from the codebook's
constructs and the structural ``paths``), estimates it with :mod:`workbench.pls` (PLS or
consistent PLS), and assesses it in the order of Hair, Hult, Ringle & Sarstedt's *Primer on
PLS-SEM* (3rd ed., 2022, chapters 4-6): the reflective measurement model (loadings,
reliability, convergent and discriminant validity), the formative one (weights, collinearity),
then the structural model (collinearity, paths, R², f²). Each criterion carries its threshold
and a traffic light. The notebook only displays the :class:`PLSStudy`.

Findings, warnings and figure text are written in the current report language
(:mod:`workbench.i18n`; the notebook sets it from its ``lang`` parameter); tables keep their
English column names and categories (``results.json`` reads them) and are translated for
display by :func:`for_report`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from workbench import i18n
from workbench.errors import InputError
from workbench.i18n import format_decimal
from workbench.i18n import gettext as tr
from workbench.intake.data import SurveyData
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.pls import (
    PLSResult,
    bootstrap_pls,
    bootstrap_rows,
    check_redundancy,
    compare_groups,
    cvpat,
    estimate_higher_order,
    estimate_interaction,
    estimate_pls,
    ipma,
    predict_pls,
    redundancy_analysis,
    specify_higher_order_model,
    specify_interaction_model,
    specify_model,
)
from workbench.presentation.report import Marker, traffic_light
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
    if model_kind(syntax) != "plain":
        # interaction terms and higher-order constructs: the model is checked here, the data
        # when the stages are estimated
        _specify(syntax, params.get("hoc_method") or "two_stage")
        if params.get("group"):
            raise _no_groups_for(model_kind(syntax))
        return survey.n
    spec = specify_model(syntax)
    prepared = prepare_data(survey.frame, spec, missing=params.get("missing") or "mean")
    group = params.get("group") or ""
    if group and group not in survey.frame.columns:
        raise InputError(
            f"The group column '{group}' is not in the data.",
            file=survey.path,
            column=group,
            hint="Name the column that holds each respondent's group (e.g. servicetype).",
        )
    for entry in params.get("redundancy") or []:
        check_redundancy(spec, survey.frame.columns, *_construct_and_item(entry), file=survey.path)
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
    statements = _statements(paths)
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


def model_kind(syntax: str) -> str:
    """``"higher_order"`` when a construct is measured by constructs, ``"interaction"`` when a
    path has an interaction term ``X:M``, otherwise ``"plain"``."""
    blocks: dict[str, list[str]] = {}
    interaction = False
    for stmt in _statements(syntax):
        for op in ("=~", "<~"):
            if op in stmt:
                lhs, rhs = stmt.split(op, 1)
                blocks[lhs.strip()] = [t.strip() for t in rhs.split("+")]
                break
        else:
            if "~" in stmt and ":" in stmt.split("~", 1)[1]:
                interaction = True
    if any(t in blocks for terms in blocks.values() for t in terms):
        return "higher_order"
    return "interaction" if interaction else "plain"


def _no_groups_for(kind: str) -> InputError:
    """The refusal of a group comparison for a model with interactions or HOCs."""
    what = "higher-order constructs" if kind == "higher_order" else "interaction terms"
    return InputError(
        "Group comparisons (MICOM, multigroup analysis) are made for models without "
        f"interaction terms or higher-order constructs; this model has {what}.",
        hint="Compare the groups on the main-effects model, or drop `group`.",
    )


def _statements(text: str) -> list[str]:
    """The statements of lavaan-style text: split at new lines and ';', comments dropped."""
    parts = (s.split("#", 1)[0].strip() for line in text.splitlines() for s in line.split(";"))
    return [s for s in parts if s]


def _specify(syntax: str, hoc_method: str) -> Any:
    """Validate the model the way it will be estimated (raises InputError)."""
    kind = model_kind(syntax)
    if kind == "higher_order":
        return specify_higher_order_model(syntax, hoc_method=hoc_method)  # type: ignore[arg-type]
    if kind == "interaction":
        return specify_interaction_model(syntax)
    return specify_model(syntax)


# ----------------------------------------------------------------------------- lights
def _band(value: float, green: bool, amber: bool) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return "green" if green else "amber" if amber else "red"


def _lights(statuses: list[str], index: pd.Index) -> pd.Series:
    """Traffic lights as a column: object dtype, since pandas 3 would store the markers of a
    plain list as a string column and drop their colour (the report would show the word
    without its circle)."""
    return pd.Series([traffic_light(v) for v in statuses], index=index, dtype=object)


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
    kind: str = "plain"
    extension: Any = None
    importance: Any = None
    groups: Any = None
    boot: Any = None
    prediction: Any = None
    cvpat: Any = None
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
    # ------------------------------------------------------------------ bootstrap
    def boot_rows(self, kind: str) -> pd.DataFrame:
        """Bootstrap rows of one kind (``path``, ``loading``, ``weight``, ``r2``, ``indirect``,
        ``total``, ``htmt``, ``slope``), indexed by name: estimate, boot_se, t, p, ci_low,
        ci_high (percentile) and bca_low, bca_high. Empty when the run has none."""
        boot = self.boot
        if boot is None:
            return pd.DataFrame()
        if hasattr(boot, "of"):
            try:
                return boot.of(kind)
            except ValueError:
                return pd.DataFrame()
        table = boot.table
        rows = table[[str(i).startswith(f"{kind}:") for i in table.index]].copy()
        rows.index = [str(i)[len(kind) + 1 :] for i in rows.index]
        return rows

    @property
    def ci_text(self) -> str:
        return f"{self.parameters.get('ci', 0.95):.0%}"

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
        t = pd.DataFrame(rows).set_index(["construct", "item"])
        # object dtype: a string column would turn the markers back into plain words
        t["loading check"] = pd.Series(
            [r["loading check"] for r in rows], index=t.index, dtype=object
        )
        loadings, weights = self.boot_rows("loading"), self.boot_rows("weight")
        if len(loadings):
            keys = [f"{c}:{i}" for c, i in t.index]
            t["loading ci_low"] = loadings["ci_low"].reindex(keys).to_numpy()
            t["loading ci_high"] = loadings["ci_high"].reindex(keys).to_numpy()
            t["weight p"] = weights["p"].reindex(keys).to_numpy()
        return t

    def reliability_table(self) -> pd.DataFrame:
        """alpha, rho_A, rho_C and AVE of the reflective constructs, each with its light."""
        t = self.fit.reliability().loc[self.reflective].copy()
        multi = [c for c in t.index if len(self.fit.specification.items[c]) > 1]
        t = t.loc[multi]
        t.insert(0, "items", [len(self.fit.specification.items[c]) for c in t.index])
        t["reliability check"] = _lights([reliability_light(v) for v in t["rho_c"]], t.index)
        t["AVE check"] = _lights([_band(v, v >= AVE_MIN, False) for v in t["ave"]], t.index)
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
        boot = self.boot_rows("htmt")
        if len(boot):
            keys = [f"{a}<->{b}" for a, b in zip(t["construct A"], t["construct B"], strict=True)]
            t["ci_low"] = boot["ci_low"].reindex(keys).to_numpy()
            t["ci_high"] = boot["ci_high"].reindex(keys).to_numpy()
            if hasattr(self.boot, "htmt_test"):
                # one-sided upper bound at the run's level: HTMT significantly below the
                # threshold (Franke & Sarstedt 2019), as seminr and SmartPLS test it
                alpha = 1 - float(self.parameters.get("ci", 0.95))
                upper = self.boot.htmt_test(HTMT_STRICT, alpha=alpha)["upper"]
                t["upper (one-sided)"] = upper.reindex(keys).to_numpy()
            # judged by the upper bound, with the point estimate where no interval exists
            judged = t.get("upper (one-sided)", t["ci_high"]).fillna(t["htmt"])
        else:
            judged = t["htmt"]
        t["check"] = _lights([htmt_light(v) for v in judged], t.index)
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
        t["check"] = _lights([vif_light(v) for v in t["vif"]], t.index)
        return t

    def redundancy_table(self) -> pd.DataFrame | None:
        """Redundancy analyses of formative constructs with their light (path >= 0.708)."""
        if self.redundancy is None:
            return None
        t = self.redundancy.copy()
        t["check"] = _lights([_band(v, v >= LOADING_GOOD, False) for v in t["path"]], t.index)
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
        t["collinearity"] = _lights([vif_light(v) for v in t["vif"]], t.index)
        boot = self.boot_rows("path")
        if len(boot):
            for col in ("boot_se", "t", "p", "ci_low", "ci_high"):
                t[col] = boot[col].reindex(t.index)
        return t

    def r2_table(self) -> pd.DataFrame:
        t = self.fit.r2.copy()
        t["reading"] = [r2_label(v) for v in t["r2"]]
        boot = self.boot_rows("r2")
        if len(boot):
            t["ci_low"] = boot["ci_low"].reindex(t.index)
            t["ci_high"] = boot["ci_high"].reindex(t.index)
        return t

    def mediation_table(self) -> pd.DataFrame | None:
        """Every specific indirect effect with its bootstrap CI, the direct effect, VAF and
        Zhao, Lynch & Chen's (2010) type of mediation (judged by the intervals)."""
        ind = self.boot_rows("indirect")
        if not len(ind):
            return None
        paths = self.paths_table()
        total = self.boot_rows("total")
        rows = []
        for chain, r in ind.iterrows():
            nodes = str(chain).split("->")
            x, y = nodes[0], nodes[-1]
            direct = paths.loc[f"{x}->{y}"] if f"{x}->{y}" in paths.index else None
            indirect_sig = not (r["ci_low"] <= 0 <= r["ci_high"])
            direct_sig = direct is not None and not (direct["ci_low"] <= 0 <= direct["ci_high"])
            tot = total["estimate"].get(f"{x}->{y}", np.nan) if len(total) else np.nan
            rows.append(
                {
                    "chain": chain,
                    "indirect": r["estimate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "direct": np.nan if direct is None else direct["estimate"],
                    "direct p": np.nan if direct is None else direct["p"],
                    "total": tot,
                    "vaf": r["estimate"] / tot if tot and np.isfinite(tot) else np.nan,
                    "type": _zhao_type(
                        indirect_sig,
                        direct_sig,
                        r["estimate"] * (0 if direct is None else direct["estimate"]),
                    ),
                }
            )
        return pd.DataFrame(rows).set_index("chain")

    def predict_table(self) -> pd.DataFrame | None:
        """PLSpredict per indicator: RMSE and MAE of PLS and the linear benchmark, Q²predict."""
        return None if self.prediction is None else self.prediction.items

    def predict_construct_table(self) -> pd.DataFrame | None:
        return None if self.prediction is None else self.prediction.constructs

    def cvpat_table(self) -> pd.DataFrame | None:
        return None if self.cvpat is None else self.cvpat.table

    def total_effects_table(self) -> pd.DataFrame:
        """Total effects with their bootstrap intervals."""
        t = self.total_effects()
        boot = self.boot_rows("total")
        if len(boot):
            for col in ("boot_se", "p", "ci_low", "ci_high"):
                t[col] = boot[col].reindex(t.index)
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

    # ------------------------------------------------------------------ extensions
    @property
    def interaction(self) -> Any:
        """The moderated fit (an InteractionResult), also inside a higher-order model; None
        without interaction terms."""
        ext = self.extension
        return getattr(ext, "interaction", None) if self.kind == "higher_order" else ext

    def interaction_table(self) -> pd.DataFrame | None:
        """Interaction paths with the main effects they moderate (two-stage etc.)."""
        inter = self.interaction
        return None if inter is None else inter.interactions

    def slopes_table(self) -> pd.DataFrame | None:
        """Simple slopes of each moderated predictor at moderator -1 SD, mean, +1 SD."""
        inter = self.interaction
        if inter is None:
            return None
        t = inter.slopes.copy()
        boot = self.boot_rows("slope")
        if len(boot):
            tags = {"-1 SD": "-1SD", "mean": "mean", "+1 SD": "+1SD"}
            keys = [
                f"{r.iv}->{r.target}|{r.moderator}={tags.get(str(r.moderator_at), r.moderator_at)}"
                for r in t.itertuples(index=False)
            ]
            t["ci_low"] = boot["ci_low"].reindex(keys).to_numpy()
            t["ci_high"] = boot["ci_high"].reindex(keys).to_numpy()
        return t

    def slopes_figure(self):
        from workbench.presentation.plots import simple_slopes_chart

        slopes = self.slopes_table()
        inter = self.interaction
        if slopes is None or inter is None or not len(slopes):
            return None
        first = slopes.iloc[0]
        lines = inter.slope_plot
        lines = lines[lines["interaction"] == first["interaction"]].rename(
            columns={"iv_value": "x", "moderator_at": "level"}
        )
        return simple_slopes_chart(
            lines, x=str(first["iv"]), y=str(first["target"]), moderator=str(first["moderator"])
        )

    def higher_order_table(self) -> pd.DataFrame | None:
        """How each higher-order construct is measured by its lower-order constructs."""
        return self.extension.hoc_measurement if self.kind == "higher_order" else None

    def ipma_table(self) -> pd.DataFrame | None:
        """Importance (total effect on the target) and performance (0-100) per construct."""
        return None if self.importance is None else self.importance.constructs

    def ipma_indicator_table(self) -> pd.DataFrame | None:
        return None if self.importance is None else self.importance.indicators

    def ipma_figure(self):
        """The importance-performance map (priority map) at construct level."""
        from workbench.presentation.plots import ipa_chart

        table = self.ipma_table()
        if table is None or not len(table):
            return None
        t = table.copy()
        t.index = [self.label(c) for c in t.index]
        t["quadrant"] = t["quadrant"].replace({"priority": "fix first"})
        t["importance"] = t["importance"] * 100
        return ipa_chart(
            t,
            importance_cut=float(t["importance"].mean()),
            performance_cut=float(t["performance"].mean()),
        ).update_layout(
            yaxis_title=tr(
                "importance (unstandardized total effect on {target}, x100)", target=self.target
            ),
            xaxis_title=tr("performance (0-100, from the codebook's scale)"),
        )

    def micom_table(self) -> pd.DataFrame | None:
        return None if self.groups is None else self.groups.micom.table

    def mga_table(self) -> pd.DataFrame | None:
        return None if self.groups is None else self.groups.mga.table

    # ------------------------------------------------------------------ figures
    def path_figure(self):
        from workbench.presentation.plots import path_diagram

        t = self.paths_table()
        diagram = pd.DataFrame(
            {
                "lhs": t["target"],
                "rhs": t["source"],
                "std": t["estimate"],
                # significance from the bootstrap (solid and bold when p < .05)
                "p": t["p"] if "p" in t else 0.0,
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
        return correlation_heatmap(h, title=tr("HTMT (below 0.85 is good)"))

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
                k: {
                    key: row.get(key)
                    for key in ("estimate", "boot_se", "t", "p", "ci_low", "ci_high", "f2")
                }
                for k, row in paths.iterrows()
            },
            "total_effects": {
                k: {key: row.get(key) for key in ("estimate", "boot_se", "ci_low", "ci_high")}
                for k, row in self.total_effects_table().iterrows()
            },
            "indirect": {
                k: {key: row.get(key) for key in ("estimate", "boot_se", "ci_low", "ci_high")}
                for k, row in self.boot_rows("indirect").iterrows()
            },
            "total_indirect": {
                k: {key: row.get(key) for key in ("estimate", "boot_se", "ci_low", "ci_high")}
                for k, row in self.boot_rows("total_indirect").iterrows()
            },
            "mediation": None
            if self.mediation_table() is None
            else self.mediation_table().to_dict(orient="index"),  # type: ignore[union-attr]
            "loadings_ci": _nested_ci(self.boot_rows("loading")),
            "weights_ci": _nested_ci(self.boot_rows("weight")),
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
        out["pls"]["model_kind"] = self.kind
        if self.boot is not None:
            out["pls"]["bootstrap"] = {
                "n_boot": self.boot.n_boot,
                "n_failed": self.boot.n_failed,
                "seed": self.boot.seed,
                "ci": self.parameters.get("ci"),
                "interval": "percentile (BCa in the tables of results)",
            }
            out["r2"] = {
                c: {**v, **{k: self.r2_table().loc[c].get(k) for k in ("ci_low", "ci_high")}}
                for c, v in out["r2"].items()
            }
        if self.prediction is not None:
            out.update({k: v for k, v in self.prediction.to_dict().items() if k != "warnings"})
        if self.cvpat is not None:
            cv = self.cvpat.to_dict()
            out["cvpat"] = {
                **cv["cvpat"],
                **{k: cv[k] for k in ("alternative", "n_boot", "seed") if k in cv},
            }
        if self.importance is not None:
            out["ipma"] = {
                "target": self.target,
                "constructs": self.importance.constructs[["importance", "performance"]].to_dict(
                    orient="index"
                ),
                "indicators": self.importance.indicators[["importance", "performance"]].to_dict(
                    orient="index"
                ),
            }
        inter = self.interaction_table()
        if inter is not None:
            out["interactions"] = inter.drop(columns=["interaction"], errors="ignore").to_dict(
                orient="index"
            )
            out["simple_slopes"] = self.slopes_table().to_dict(orient="records")  # type: ignore[union-attr]
        hoc = self.higher_order_table()
        if hoc is not None:
            out["higher_order"] = hoc.to_dict(orient="records")
        if self.groups is not None:
            micom = self.groups.micom.table
            out["micom"] = {
                f"{r['construct']}"
                + (
                    ""
                    if len(self.groups.micom.groups) == 2
                    else f" ({r['group_a']} vs {r['group_b']})"
                ): {k: v for k, v in r.items() if k != "construct"}
                for r in micom.to_dict(orient="records")
            }
            out["mga"] = {
                f"{r['path']}"
                + (
                    ""
                    if len(self.groups.mga.groups) == 2
                    else f" ({r['group_a']} vs {r['group_b']})"
                ): {
                    f"estimate_{r['group_a']}": r["estimate_a"],
                    f"estimate_{r['group_b']}": r["estimate_b"],
                    **{k: v for k, v in r.items() if k not in ("path", "estimate_a", "estimate_b")},
                }
                for r in self.groups.mga.table.to_dict(orient="records")
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


def _zhao_type(indirect_significant: bool, direct_significant: bool, product: float) -> str:
    """Zhao, Lynch & Chen's (2010) mediation types (Hair et al. 2022, ch. 7)."""
    if indirect_significant and direct_significant:
        return "complementary partial mediation" if product > 0 else "competitive partial mediation"
    if indirect_significant:
        return "indirect-only (full) mediation"
    if direct_significant:
        return "direct-only (no mediation)"
    return "no effect"


def _nested_ci(rows: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """``{construct: {item: {boot_se, ci_low, ci_high}}}`` from bootstrap rows named
    ``construct:item``."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, row in rows.iterrows():
        construct, _, item = str(name).partition(":")
        out.setdefault(construct, {})[item] = {
            k: row[k] for k in ("boot_se", "ci_low", "ci_high") if k in row
        }
    return out


def _nested_htmt(table: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """``{A: {B: {estimate, ...}}}`` from the HTMT table (one entry per pair)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for row in table.to_dict(orient="records"):
        entry = {k: v for k, v in row.items() if k not in ("construct A", "construct B", "check")}
        entry["estimate"] = entry.pop("htmt")
        if "upper (one-sided)" in entry:
            entry["upper_one_sided"] = entry.pop("upper (one-sided)")
        out.setdefault(row["construct A"], {})[row["construct B"]] = entry
    return out


def _findings(s: PLSStudy) -> list[str]:
    """Plain-language findings: what drives the target, how much it explains, what to fix.

    Written in the current report language (numbers formatted for its locale)."""
    out: list[str] = []
    target = s.target
    fit = s.fit
    how = (
        tr(
            "consistent PLS (PLSc, Dijkstra & Henseler 2015), which corrects the reflective "
            "constructs for measurement error"
        )
        if fit.estimator == "plsc"
        else tr("the PLS algorithm (composites, as SmartPLS's default)")
    )
    treated = fit.data.report()
    n_replaced = sum(treated["replaced"].values())
    missing_text = (
        tr("{n} missing answer(s) replaced by item means", n=n_replaced)
        if treated["treatment"] == "mean" and n_replaced
        else tr(
            "{n} respondent(s) with missing answers left out",
            n=treated["n_dropped"],
        )
        if treated["n_dropped"]
        else tr("no missing answers")
    )
    out.append(
        tr(
            "Estimated with {how}, {weighting} weighting, on {n} respondents ({missing}).",
            how=how,
            weighting=i18n.label(fit.inner_weighting),
            n=fit.n,
            missing=missing_text,
        )
    )
    r2 = float(fit.r2.loc[target, "r2"])
    out.append(
        tr(
            "The model explains {share} of the variance in {target} (R² = {r2}, {reading} by "
            "Hair et al.'s rule of thumb).",
            share=f"{r2:.0%}",
            target=s.label(target),
            r2=f"{r2:.2f}",
            reading=category_label(r2_label(r2), "reading"),
        )
    )
    total = s.total_effects_table()
    on_target = total[total["target"] == target].sort_values("estimate", key=np.abs)
    if len(on_target):
        top = on_target.iloc[::-1].head(3)
        parts = []
        for r in top.itertuples():
            if "ci_low" in total and np.isfinite(r.ci_low):
                values = {
                    "name": s.label(r.source),
                    "estimate": f"{r.estimate:.2f}",
                    "level": s.ci_text,
                    "low": f"{r.ci_low:.2f}",
                    "high": f"{r.ci_high:.2f}",
                }
                text = (
                    tr("{name} ({estimate}, {level} CI {low} to {high})", **values)
                    if r.ci_low > 0 or r.ci_high < 0
                    else tr(
                        "{name} ({estimate}, {level} CI {low} to {high}; interval includes zero)",
                        **values,
                    )
                )
            else:
                text = tr(
                    "{name} ({estimate})", name=s.label(r.source), estimate=f"{r.estimate:.2f}"
                )
            parts.append(text)
        out.append(
            tr(
                "Strongest total effects on {target} (direct and through other constructs, "
                "standardized): {parts}.",
                target=s.label(target),
                parts=tr(", ").join(parts),
            )
        )
    paths = s.paths_table()
    if "ci_low" in paths:
        null = paths[(paths["ci_low"] <= 0) & (paths["ci_high"] >= 0)]
        if len(null):
            out.append(
                tr(
                    "{n} of {total} paths are not significant (their {level} bootstrap interval "
                    "includes zero; {resamples} resamples): {paths}.",
                    n=len(null),
                    total=len(paths),
                    level=s.ci_text,
                    resamples=format_decimal(s.boot.n_boot),
                    paths=tr(", ").join(
                        f"{a} -> {b}" for a, b in zip(null["source"], null["target"], strict=True)
                    ),
                )
            )
    if s.prediction is not None and target in s.prediction.constructs.index:
        row = s.prediction.constructs.loc[target]
        power = {
            "high": tr("high predictive power (PLS beats the linear benchmark on every item)"),
            "medium": tr("medium predictive power (PLS beats the linear benchmark on most items)"),
            "low": tr(
                "low predictive power (PLS beats the linear benchmark on a minority of items)"
            ),
            "none": tr("no predictive power beyond a linear benchmark"),
        }.get(str(row["predictive_power"]), str(row["predictive_power"]))
        values = {
            "folds": s.prediction.n_folds,
            "reps": s.prediction.n_reps,
            "target": s.label(target),
            "q2": f"{row['q2_predict']:.2f}",
            "power": power,
        }
        out.append(
            tr(
                "Out of sample (PLSpredict, {folds} folds x {reps} repetitions), the model "
                "predicts {target}'s items with Q²predict {q2} (better than the training mean): "
                "{power} (Shmueli et al. 2019).",
                **values,
            )
            if row["q2_predict"] > 0
            else tr(
                "Out of sample (PLSpredict, {folds} folds x {reps} repetitions), the model "
                "predicts {target}'s items with Q²predict {q2} (no better than the training "
                "mean): {power} (Shmueli et al. 2019).",
                **values,
            )
        )
    problems: list[str] = []
    if s.reflective:
        rel = s.reliability_table()
        weak_ave = [c for c in rel.index if rel.loc[c, "ave"] < AVE_MIN]
        if weak_ave:
            problems.append(
                tr("AVE below 0.50 for {names}", names=tr(", ").join(map(s.label, weak_ave)))
            )
        low = [c for c in rel.index if rel.loc[c, "rho_c"] < RELIABILITY_LOW]
        if low:
            problems.append(
                tr(
                    "composite reliability below 0.70 for {names}",
                    names=tr(", ").join(map(s.label, low)),
                )
            )
        high = [c for c in rel.index if rel.loc[c, "rho_c"] > RELIABILITY_HIGH]
        if high:
            problems.append(
                tr(
                    "composite reliability above 0.95 (near-identical items) for {names}",
                    names=tr(", ").join(map(s.label, high)),
                )
            )
        ld = s.loadings_table()
        weak_items = [
            item
            for (c, item), row in ld.iterrows()
            if c in s.reflective and abs(row["loading"]) < LOADING_GOOD
        ]
        if weak_items:
            problems.append(
                tr(
                    "{n} reflective indicator(s) load below 0.708 ({items})",
                    n=len(weak_items),
                    items=tr(", ").join(weak_items[:6])
                    + (tr(", ") + "..." if len(weak_items) > 6 else ""),
                )
            )
        ht = s.htmt_table()
        over = ht[[str(c) != "green" for c in ht["check"]]]
        if len(over):
            pairs = [
                tr(
                    "{pair} ({htmt}, upper bound {upper})",
                    pair=f"{a}/{b}",
                    htmt=f"{h:.2f}",
                    upper=f"{u:.2f}",
                )
                if "ci_high" in ht and np.isfinite(u)
                else f"{a}/{b} ({h:.2f})"
                for a, b, h, u in zip(
                    over["construct A"],
                    over["construct B"],
                    over["htmt"],
                    over["upper (one-sided)"]
                    if "upper (one-sided)" in over
                    else over.get("ci_high", over["htmt"]),
                    strict=True,
                )
            ]
            problems.append(
                tr(
                    "HTMT (or its upper bound) at or above 0.85 for {pairs}",
                    pairs=tr(", ").join(pairs),
                )
            )
    red = s.redundancy_table()
    if red is not None:
        weak = [c for c in red.index if red.loc[c, "path"] < LOADING_GOOD]
        if weak:
            problems.append(
                tr(
                    "redundancy path below 0.708 (convergent validity in doubt) for {names}",
                    names=tr(", ").join(map(s.label, weak)),
                )
            )
    vif = s.outer_vif_table()
    if vif is not None:
        bad = [item for (c, item), v in vif["vif"].items() if v >= VIF_MAX]
        if bad:
            problems.append(
                tr("formative indicators with VIF of 5 or more: {items}", items=tr(", ").join(bad))
            )
    if problems:
        out.append(
            tr("Measurement problems to look at: {problems}.", problems=tr("; ").join(problems))
        )
    else:
        out.append(
            tr(
                "The measurement model passes the usual checks (loadings, reliability, AVE, "
                "HTMT, formative collinearity)."
            )
            if s.formative
            else tr(
                "The measurement model passes the usual checks (loadings, reliability, AVE, HTMT)."
            )
        )
    return out


def for_report(
    frame: pd.DataFrame | None, *, values: tuple[str, ...] = (), index_values: bool = False
) -> pd.DataFrame | None:
    """A table as the report shows it, in the current report language.

    Column (and index) names, and the cells of the ``values`` columns (package-defined
    categories such as ``reflective`` or a traffic light's word), are translated with
    :func:`workbench.i18n.label`; traffic lights keep their colour. Names from the data
    (constructs, items) stay as they are. In English the table is returned unchanged, and
    the study's own tables (which ``results.json`` reads) are never modified.
    """
    if frame is None or i18n.get_language() == "en":
        return frame
    out = frame.copy()
    for col in values:
        if col in out.columns:
            # object dtype: a string column would turn the markers back into plain text
            out[col] = pd.Series(
                [category_label(v, col) for v in out[col]], index=out.index, dtype=object
            )
    out = out.rename(columns={k: v for k, v in _HEADER_KEYS.items() if k in out.columns})
    return i18n.translate_frame(out, index_values=index_values)


# columns whose categories are short words the catalogue may hold in another sense ("medium"
# is a medium-term horizon there, "weak" a weak loading): looked up by a label of their own
_CATEGORY_KEYS = {
    "reading": "{} (R²)",
    "effect size": "{} (f²)",
    "predictive_power": "{} (predictive power)",
    "invariance": "{} (invariance)",
}
# column names read differently in this study's tables than elsewhere
_HEADER_KEYS = {"total": "total effect"}


def category_label(value: Any, column: str = "") -> Any:
    """A category of the study's tables (e.g. an R² reading) in the report language.

    A traffic light's word (``green``, ``amber``, ``red``: a plain string once pandas has
    stored it) is translated and drawn as a coloured marker again.
    """
    if isinstance(value, str) and not isinstance(value, Marker):
        value = traffic_light(value)
    if isinstance(value, Marker):
        return Marker(str(i18n.label(str(value))), value.colour, value.shape)  # type: ignore[arg-type]
    if isinstance(value, str) and column in _CATEGORY_KEYS:
        key = _CATEGORY_KEYS[column].format(value)
        found = i18n.label(key)
        if found != key:
            return found
    return i18n.label(value)


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
    interaction_method: str = "two_stage",
    hoc_method: str = "two_stage",
    group: str = "",
    permutations: int = 1000,
    bootstrap: int = 5000,
    ci: float = 0.95,
    seed: int = 2026,
    predict_folds: int = 10,
    predict_repeats: int = 10,
    sheet: str = "",
    **_: Any,
) -> PLSStudy:
    """Run the PLS-SEM study on a loaded survey (parameters as ``workbench list``).

    The codebook's missing codes are already missing in ``survey``; ``missing`` then decides
    between mean replacement (seminr's and SmartPLS's default, counted in the report) and
    listwise deletion, once, for every estimate. A model with interaction terms ``X:M`` is
    estimated by :func:`~workbench.pls.estimate_interaction` (``interaction_method``), one with
    higher-order constructs by :func:`~workbench.pls.estimate_higher_order` (``hoc_method``);
    the assessment then reads the final stage.
    """
    syntax = build_model(survey, model=model, paths=paths, formative=formative)
    kind = model_kind(syntax)
    common: dict[str, Any] = {
        "estimator": estimator,
        "inner_weighting": inner_weighting,
        "missing": missing,
    }
    extension: Any = None
    if kind == "higher_order":
        extension = estimate_higher_order(
            survey.frame,
            syntax,
            hoc_method=hoc_method,  # type: ignore[arg-type]
            interaction_method=interaction_method,  # type: ignore[arg-type]
            **common,
        )
        fit = extension.result
    elif kind == "interaction":
        extension = estimate_interaction(
            survey.frame,
            syntax,
            interaction_method=interaction_method,  # type: ignore[arg-type]
            **common,
        )
        fit = extension.result
    else:
        fit = estimate_pls(survey.frame, specify_model(syntax), **common)
    spec = fit.specification
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
        if len(spec.items[c]) == 1 and c in survey.codebook.constructs:
            warnings.append(
                tr(
                    "Construct '{construct}' is measured by a single item ({item}): its "
                    "reliability cannot be assessed (it is taken as 1) and its measurement error "
                    "stays in the paths; Hair et al. advise single items only for concrete, "
                    "unambiguous attributes.",
                    construct=c,
                    item=spec.items[c][0],
                )
            )
    warnings += list(fit.warnings)
    if extension is not None:
        warnings += [w for w in extension.warnings if w not in warnings]
    boot: Any
    if kind == "plain":
        boot = bootstrap_pls(
            survey.frame, spec, n_boot=bootstrap, seed=seed, ci=ci, f_squared=False, **common
        )
    else:
        procedure = extension.procedure
        boot = bootstrap_rows(
            procedure.statistic(extension.first_order_data()),
            fit.n,
            procedure.vector_labels,
            n_boot=bootstrap,
            seed=seed,
            ci=ci,
        )
    warnings += [w for w in boot.warnings if w not in warnings]
    prediction = cv = None
    if kind == "plain" and estimator == "pls":
        prediction = predict_pls(
            survey.frame, spec, n_folds=predict_folds, n_reps=predict_repeats, seed=seed, **common
        )
        cv = cvpat(prediction, seed=seed)
        warnings += [
            tr("PLSpredict: {warning}", warning=i18n.translate(w))
            for w in prediction.warnings
            if w not in warnings
        ]
    red = None
    if redundancy:
        rows = [
            redundancy_analysis(fit, survey.frame, *_construct_and_item(entry))
            for entry in redundancy
        ]
        red = pd.DataFrame(rows).set_index("construct")
    importance = None
    if kind == "plain":
        cb = survey.codebook
        importance = ipma(fit, chosen, scale=cb.scale if cb.given else None)
        warnings += [tr("IPMA: {warning}", warning=i18n.translate(w)) for w in importance.warnings]
    groups = None
    if group:
        if kind != "plain":
            raise _no_groups_for(kind)
        groups = compare_groups(
            survey.frame,
            spec,
            group=group,
            n_perm=permutations,
            n_boot=bootstrap,
            seed=seed,
            **common,
        )
        warnings += [tr("Groups: {warning}", warning=i18n.translate(w)) for w in groups.warnings]
    parameters = {
        "model": model,
        "paths": paths,
        "formative": list(formative or []),
        "estimator": estimator,
        "inner_weighting": inner_weighting,
        "missing": missing,
        "target": target,
        "redundancy": list(redundancy or []),
        "interaction_method": interaction_method,
        "hoc_method": hoc_method,
        "group": group,
        "permutations": permutations,
        "bootstrap": bootstrap,
        "ci": ci,
        "seed": seed,
        "predict_folds": predict_folds,
        "predict_repeats": predict_repeats,
        "sheet": sheet,
    }
    study = PLSStudy(
        survey=survey,
        parameters=parameters,
        syntax=spec.syntax or syntax,
        fit=fit,
        target=chosen,
        findings=(),
        # warnings of the statistics layers are written in English: translated here
        warning_messages=tuple(dict.fromkeys(i18n.translate(w) for w in warnings)),
        redundancy=red,
        kind=kind,
        extension=extension,
        importance=importance,
        groups=groups,
        boot=boot,
        prediction=prediction,
        cvpat=cv,
        missing_diagnosis=diagnose_missing(
            survey,
            list(
                dict.fromkeys(
                    i for c in spec.constructs for i in spec.items[c] if i in survey.frame.columns
                )
            ),
        ),
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))
