"""The experience-economy study: Pine & Gilmore's four realms as a structural model.

:func:`analyse` fits the measurement model (reliability, AVE, HTMT), compares
competing measurement models of the realms, estimates the structural model with
bootstrapped indirect effects, tests measurement invariance across a group,
analyses cross-channel consistency by response surfaces and ranks the realms
for managers. The notebook only displays the :class:`ExperienceStudy`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.drivers.mediation import importance_performance
from workbench.errors import InputError
from workbench.intake.data import SurveyData
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.measurement.scales import reliability, score_scales
from workbench.presentation.report import format_p
from workbench.results import Result, jsonable
from workbench.sem import experience as xp
from workbench.sem import model as sem
from workbench.sem.bootstrap import bootstrap_sem, indirect_effects_syntax
from workbench.sem.invariance import measurement_invariance
from workbench.studies import require_codebook


@dataclasses.dataclass(frozen=True)
class ExperienceStudy(Result):
    """Everything the experience-economy report shows."""

    survey: SurveyData
    parameters: dict[str, Any]
    realms: dict[str, str]
    constructs: dict[str, list[str]]
    paths: str
    measurement: Any
    reliability: Any
    realm_table: pd.DataFrame
    comparison: pd.DataFrame | None
    structural: Any
    boot: Any
    indirect: pd.DataFrame
    invariance: Any
    consistency: Any
    ipa: Any
    importance: pd.Series
    n_structural: int
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]
    missing_diagnosis: MissingDiagnosis | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.paths_table()

    @property
    def n_used(self) -> int:
        return int(self.n_structural)

    @property
    def missing_report(self) -> dict[str, Any]:
        return {
            "treatment": self.parameters["missing"],
            "n_total": self.survey.n,
            "n_used": self.n_structural,
            "n_dropped": self.survey.n - self.n_structural,
        }

    def label(self, name: str) -> str:
        return self.survey.codebook.label(name)

    # ------------------------------------------------------------------ tables
    def measurement_table(self) -> pd.DataFrame:
        """Reliability and convergent validity per construct."""
        t = self.reliability.table[["n_items", "n", "alpha", "omega_total"]].copy()
        t["composite_reliability"] = self.measurement.composite_reliability().reindex(t.index)
        t["ave"] = self.measurement.ave().reindex(t.index)
        t.insert(0, "label", [self.label(c) for c in t.index])
        return t

    def measurement_fit_table(self) -> pd.DataFrame:
        return _fit_frame(self.measurement.fit)

    def structural_fit_table(self) -> pd.DataFrame:
        return _fit_frame(self.structural.fit)

    def paths_table(self) -> pd.DataFrame:
        """Structural paths: unstandardized and standardized, with SEs, p and bootstrap CIs."""
        est = self.structural.estimates
        rows = est[est["op"] == "~"].copy()
        out = rows[["lhs", "rhs", "estimate", "se", "p", "std_all", "std_se"]].rename(
            columns={"lhs": "outcome", "rhs": "predictor", "std_all": "std"}
        )
        if self.boot is not None:
            t = self.boot.table
            t = t[t["op"] == "~"].set_index(["lhs", "rhs"])
            keys = list(zip(rows["lhs"], rows["rhs"], strict=True))
            out["std_ci_low"] = [t.loc[k, "std_ci_low"] for k in keys]
            out["std_ci_high"] = [t.loc[k, "std_ci_high"] for k in keys]
        return out.reset_index(drop=True)

    def r2_table(self) -> pd.DataFrame:
        latent = set(self.constructs)
        r2 = {k: v for k, v in self.structural.r2.items() if k in latent}
        return pd.DataFrame(
            {"label": [self.label(k) for k in r2], "r2": list(r2.values())}, index=list(r2)
        )

    def invariance_table(self) -> pd.DataFrame | None:
        return None if self.invariance is None else self.invariance.table

    def consistency_table(self) -> pd.DataFrame | None:
        if self.consistency is None:
            return None
        rows = []
        for name, v in self.consistency.to_dict()["surface"].items():
            rows.append({"test": name, **{k: v.get(k) for k in ("estimate", "se", "t", "p")}})
        return pd.DataFrame(rows).set_index("test")

    def ipa_table(self) -> pd.DataFrame | None:
        return None if self.ipa is None else self.ipa.table

    # ------------------------------------------------------------------ figures
    def path_figure(self):
        from workbench.presentation.plots import path_diagram

        t = self.paths_table()
        return path_diagram(
            t.rename(columns={"outcome": "lhs", "predictor": "rhs"}),
            r2=self.structural.r2,
            labels={c: self.label(c) for c in self.constructs},
        )

    def surface_figure(self):
        from workbench.presentation.plots import surface_chart

        if self.consistency is None:
            return None
        x, y = self.parameters["channels"]
        return surface_chart(self.consistency.grid, x=x, y=y, z=self.parameters["outcome"])

    def ipa_figure(self):
        from workbench.presentation.plots import ipa_chart

        if self.ipa is None:
            return None
        t = self.ipa.table.copy()
        t["importance"] = t["importance"] * 100
        return ipa_chart(
            t,
            importance_cut=self.ipa.importance_cut * 100,
            performance_cut=self.ipa.performance_cut,
        ).update_layout(
            yaxis_title=f"importance (standardized total effect on "
            f"{self.parameters['outcome']}, x100)"
        )

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        f = self.structural.fit
        paths = {}
        for row in self.paths_table().itertuples(index=False):
            paths[f"{row.outcome}~{row.predictor}"] = {
                "estimate": row.estimate,
                "se": row.se,
                "p": row.p,
                "std": row.std,
                "std_se": row.std_se,
            }
        indirect = {
            r.chain: {
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "std": r.std_all,
                "kind": r.kind,
                "method": r.method,
            }
            for r in self.indirect.itertuples(index=False)
        }
        out: dict[str, Any] = {
            "sem": {
                "fit": {k: f[k] for k in sem.FIT_KEYS},
                "paths": paths,
                "r2": self.r2_table()["r2"].to_dict(),
                "indirect": indirect,
                "syntax": self.paths,
                "bootstrap": None
                if self.boot is None
                else {
                    "n_boot": self.boot.n_boot,
                    "n_failed": self.boot.n_failed,
                    "seed": self.boot.seed,
                },
            },
            "measurement": {
                "fit": {
                    k: self.measurement.fit[k]
                    for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr")
                },
                "constructs": self.measurement_table()
                .drop(columns="label")
                .to_dict(orient="index"),
                "htmt": self.measurement.htmt().to_dict(orient="index"),
            },
            "model_comparison": None
            if self.comparison is None
            else self.comparison.to_dict(orient="index"),
            "invariance": None if self.invariance is None else self.invariance.to_dict(),
            "realms": {
                r: {
                    "mean": row["mean"],
                    "alpha": row["alpha"],
                    "omega_total": row["omega_total"],
                    "performance": row["performance"],
                    "importance": self.importance.get(r),
                }
                for r, row in self.realm_table.iterrows()
            },
            "consistency": None if self.consistency is None else self.consistency.to_dict(),
            "ipa": None if self.ipa is None else self.ipa.to_dict(),
        }
        out["missing_diagnosis"] = (
            None if self.missing_diagnosis is None else self.missing_diagnosis.to_dict()
        )
        return jsonable(out)

    def headline(self) -> dict[str, Any]:
        f = self.structural.fit
        top = self.importance.idxmax() if len(self.importance) else ""
        return {
            "n": self.n_structural,
            "SEM CFI / RMSEA": f"{f['cfi']:.3f} / {f['rmsea']:.3f}",
            "strongest realm": f"{top} ({self.importance.max():.2f})" if top else "",
        }


def _fit_frame(f: dict[str, Any]) -> pd.DataFrame:
    keys = ("n", *(k for k in sem.FIT_KEYS if k != "n"))
    return pd.DataFrame({"value": [f.get(k) for k in keys]}, index=list(keys))


def _delta_method_indirect(fit: Any, chains: dict[str, str], ci: float) -> pd.DataFrame:
    """Indirect effects from a fit's ``:=`` rows with delta-method (normal) intervals."""
    est = fit.estimates
    rows = []
    z = stats.norm.ppf(0.5 + ci / 2)
    for name, chain in chains.items():
        r = est[(est["lhs"] == name) & (est["op"] == ":=")]
        if not len(r):
            continue
        r = r.iloc[0]
        rows.append(
            {
                "name": name,
                "chain": chain,
                "kind": "indirect" if chain.count("->") > 1 else "total",
                "estimate": r["estimate"],
                "ci_low": r["estimate"] - z * r["se"],
                "ci_high": r["estimate"] + z * r["se"],
                "std_all": r.get("std_all", np.nan),
                "method": "delta method",
            }
        )
    return pd.DataFrame(rows)


def analyse(
    survey: SurveyData,
    *,
    paths: str = "",
    compare_models: bool = True,
    group: str = "",
    channels: list[str] | None = None,
    outcome: str = "loyalty",
    bootstrap: int = 1000,
    seed: int = 2026,
    missing: sem.Missing = "listwise",
    sheet: str = "",  # the worksheet the survey was read from (load_survey)
) -> ExperienceStudy:
    """Run the experience-economy study (parameters as ``workbench list``)."""
    require_codebook(survey, "experience-economy")
    cb = survey.codebook
    channels = list(channels or [])
    warnings: list[str] = []
    realms = xp.resolve_constructs(cb, xp.REALMS)
    structural = paths.strip() or xp.default_structural_paths(cb)
    model = xp.full_model(cb, structural)
    parsed = xp.parse_paths(structural, cb)
    mentioned = {lhs for lhs, _, _ in parsed} | {t for _, _, terms in parsed for t in terms}
    used = [c for c in cb.constructs if c in mentioned or c in realms.values()]
    constructs = {c: list(cb.constructs[c].items) for c in used}
    single = [c for c, items in constructs.items() if len(items) < 2]
    if single:
        warnings.append(
            f"Single-item construct(s) {', '.join(single)} enter the SEM with one indicator "
            "(no measurement error can be estimated for them)."
        )
    items = [i for c in used for i in constructs[c]]
    frame = survey.frame
    data = frame[items]
    if outcome not in cb.constructs:
        raise InputError(
            f"The outcome '{outcome}' is not a construct of the codebook.",
            file=survey.path,
            hint="Pass --param outcome=NAME.",
        )

    # measurement: CFA of every construct in the model, reliability, validity
    multi = {c: v for c, v in constructs.items() if len(v) >= 2}
    measurement = sem.fit_cfa(data[[i for v in multi.values() for i in v]], multi, missing=missing)
    warnings += [f"Measurement model: {w}" for w in measurement.warnings]
    rel = reliability(data, multi, missing="listwise")
    warnings += [w for w in rel.warnings if w not in warnings]
    realm_names = [realms[r] for r in xp.REALMS]
    realm_table = xp.realm_table(frame, cb, realm_names)

    # competing measurement models of the realms (same items, same rows)
    comparison = None
    if compare_models:
        realm_constructs = {r: constructs[r] for r in realm_names}
        realm_items = [i for r in realm_names for i in constructs[r]]
        realm_data = data[realm_items] if missing == "fiml" else data[realm_items].dropna()
        syntaxes = xp.competing_models(realm_constructs, realm_names)
        fits = {
            name: sem.fit_sem(realm_data, syn, missing=missing) for name, syn in syntaxes.items()
        }
        comparison = xp.compare_models(fits, nested=xp.DEFAULT_NESTED)
        for name, fit in fits.items():
            warnings += [f"{name}: {w}" for w in fit.warnings if "dropped" not in w]

    # structural model with indirect effects
    syntax, chains = indirect_effects_syntax(model)
    boot = None
    if missing == "fiml":
        fit = sem.fit_sem(data, syntax, missing="fiml")
        indirect = _delta_method_indirect(fit, chains, 0.95)
        warnings.append(
            "Under FIML the indirect effects carry delta-method (normal-theory) intervals; the "
            "bootstrap is available with missing=listwise."
        )
    else:
        boot = bootstrap_sem(data, syntax, n_boot=bootstrap, seed=seed, chains=chains)
        fit = boot.fit_result
        d = boot.defined
        indirect = d.assign(method="percentile bootstrap")[
            ["name", "chain", "kind", "estimate", "ci_low", "ci_high", "std_all", "method"]
        ]
        if boot.n_failed:
            warnings.append(
                f"{boot.n_failed} of {boot.n_boot} bootstrap resamples did not converge and "
                "were dropped (as lavaan does)."
            )
    warnings += [f"Structural model: {w}" for w in fit.warnings if w not in warnings]

    # invariance of the realms' measurement across groups
    inv = None
    if group:
        if group not in frame.columns:
            raise InputError(
                f"Group column '{group}' is not in the data.",
                file=survey.path,
                column=group,
                hint="Pass --param group=COLUMN.",
            )
        realm_constructs = {r: constructs[r] for r in realm_names}
        inv = measurement_invariance(
            frame[[i for r in realm_names for i in constructs[r]] + [group]],
            realm_constructs,
            group,
        )
        warnings += [f"Invariance: {w}" for w in inv.warnings]

    # cross-channel consistency on construct mean scores
    consistency = None
    if channels:
        if len(channels) != 2 or any(c not in cb.constructs for c in channels):
            raise InputError(
                "`channels` must name two constructs of the codebook: [online, offline].",
                file=survey.path,
                hint="e.g. --param channels=[online_experience, offline_experience]",
            )
        scores = score_scales(
            frame, {c: list(cb.constructs[c].items) for c in [*channels, outcome]}
        )
        scale = (cb.scale.min, cb.scale.max) if cb.scale else (1.0, 7.0)
        consistency = xp.response_surface(scores, channels[0], channels[1], outcome, scale=scale)
        warnings += [f"Consistency: {w}" for w in consistency.warnings]

    # importance-performance of the realms
    in_model = [r for r in realm_names if r in mentioned]
    importance = (
        xp.realm_importance(fit, in_model, outcome)
        if outcome in mentioned and in_model
        else pd.Series(dtype=float)
    )
    ipa = None
    if len(importance) and cb.scale is not None:
        ipa = importance_performance(
            importance,
            realm_table.loc[importance.index, "mean"],
            scale_min=cb.scale.min,
            scale_max=cb.scale.max,
        )

    study = ExperienceStudy(
        survey=survey,
        parameters={
            "paths": paths,
            "compare_models": compare_models,
            "group": group,
            "channels": channels,
            "outcome": outcome,
            "bootstrap": bootstrap,
            "seed": seed,
            "missing": missing,
        },
        realms=realms,
        constructs=constructs,
        paths=structural,
        measurement=measurement,
        reliability=rel,
        realm_table=realm_table,
        comparison=comparison,
        structural=fit,
        boot=boot,
        indirect=indirect.reset_index(drop=True),
        invariance=inv,
        consistency=consistency,
        ipa=ipa,
        importance=importance,
        n_structural=int(fit.n),
        findings=(),
        warning_messages=tuple(dict.fromkeys(warnings)),
        missing_diagnosis=diagnose_missing(survey, items, groups=group or None),
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))


def _findings(s: ExperienceStudy) -> list[str]:
    lab = s.label
    out = []
    f = s.structural.fit
    verdict = (
        "fits well"
        if f["cfi"] >= 0.95 and f["rmsea"] <= 0.06 and f["srmr"] <= 0.08
        else "fits acceptably"
        if f["cfi"] >= 0.90 and f["rmsea"] <= 0.08
        else "fits poorly"
    )
    out.append(
        f"The experience model {verdict} (n = {f['n']}): CFI {f['cfi']:.3f}, TLI "
        f"{f['tli']:.3f}, RMSEA {f['rmsea']:.3f} (90% CI {f['rmsea_ci_low']:.3f}–"
        f"{f['rmsea_ci_high']:.3f}), SRMR {f['srmr']:.3f}."
    )
    paths = s.paths_table()
    realm_names = [s.realms[r] for r in xp.REALMS]
    for target in dict.fromkeys(paths["outcome"]):
        part = paths[(paths["outcome"] == target) & paths["predictor"].isin(realm_names)]
        if len(part) >= 2:
            top = part.sort_values("std", ascending=False).iloc[0]
            ns = part[part["p"] >= 0.05]["predictor"].tolist()
            r2 = s.structural.r2.get(target)
            out.append(
                f"{lab(top.predictor)} is the realm that drives {lab(target)} most "
                f"(standardized path {top['std']:.2f}); the four realms explain "
                f"{100 * r2:.0f}% of its variance."
                + (f" No reliable effect from {', '.join(lab(n) for n in ns)}." if ns else "")
            )
    ind = s.indirect[s.indirect["kind"] == "indirect"] if len(s.indirect) else s.indirect
    if len(ind):
        sig = ind[(ind["ci_low"] > 0) | (ind["ci_high"] < 0)]
        top = ind.reindex(ind["estimate"].abs().sort_values(ascending=False).index).iloc[0]
        out.append(
            f"{len(sig)} of {len(ind)} indirect effects are clearly different from zero; the "
            f"largest runs {top.chain.replace('->', ' → ')} ({top.estimate:+.3f}, 95% CI "
            f"{top.ci_low:+.3f} to {top.ci_high:+.3f})."
        )
    if s.comparison is not None:
        c = s.comparison
        best = c["bic"].idxmin()
        text = f"Of the competing measurement models, '{best}' has the lowest BIC."
        for name, row in c.iterrows():
            if "delta_p" in c and pd.notna(row.get("delta_p")):
                worse = row["delta_p"] < 0.05
                text += (
                    f" '{name}' fits {'significantly worse than' if worse else 'as well as'} "
                    f"'{row['vs']}' (Δχ²({int(row['delta_df'])}) = {row['delta_chi2']:.1f}, "
                    f"{format_p(row['delta_p'])})."
                )
        out.append(text)
    if s.invariance is not None:
        out.append(f"Measurement across {s.parameters['group']} groups: {s.invariance.verdict}")
    if s.consistency is not None:
        sd = s.consistency.to_dict()["surface"]
        a4 = sd["a4"]
        text = (
            f"Cross-channel consistency: {lab(s.parameters['outcome'])} is "
            + (
                "higher when the online and offline experiences agree"
                if a4["estimate"] < 0 and a4["p"] < 0.05
                else "not reliably related to agreement between channels"
            )
            + f" (a4 = {a4['estimate']:.2f}, {format_p(a4['p'])}); better experiences on both "
            f"go with {'higher' if sd['a1']['estimate'] > 0 else 'lower'} loyalty "
            f"(a1 = {sd['a1']['estimate']:.2f}, {format_p(sd['a1']['p'])})."
        )
        out.append(text)
    if s.ipa is not None:
        fix = s.ipa.table[s.ipa.table["quadrant"] == "fix first"]
        best = s.importance.idxmax()
        out.append(
            f"For {lab(s.parameters['outcome'])}, {lab(best)} matters most (standardized total "
            f"effect {s.importance.max():.2f})"
            + (
                f"; invest first in {', '.join(lab(r) for r in fix.index)} (important but "
                "under-performing)."
                if len(fix)
                else "; no realm is both important and under-performing."
            )
        )
    low = s.measurement_table()
    weak = low[low["ave"] < 0.5]
    if len(weak):
        out.append(
            "Convergent validity is weak (AVE < 0.50) for "
            + ", ".join(lab(c) for c in weak.index)
            + "."
        )
    return out
