"""The factor-analysis study: screening, reliability and (as it grows) EFA and CFA.

:func:`analyse` computes everything the notebook shows and returns a
:class:`FactorAnalysisStudy`; the notebook only displays it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from workbench.data import SurveyData, complete_cases, require_respondents
from workbench.results import Result, jsonable
from workbench.scales import ReliabilityResult, reliability
from workbench.screening import ScreeningResult, screen_items

ALPHA_GOOD = 0.70
R_DROP_WEAK = 0.30


@dataclasses.dataclass(frozen=True)
class FactorAnalysisStudy(Result):
    """Everything the factor-analysis report shows."""

    survey: SurveyData
    parameters: dict[str, Any]
    screening: ScreeningResult
    reliability: ReliabilityResult
    missing_report: dict[str, Any]
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return self.reliability_table()

    def reliability_table(self) -> pd.DataFrame:
        """Per construct: label, items, n, alpha with CI, omega total, mean, sd."""
        cb = self.survey.codebook
        table = self.reliability.table.copy()
        table.insert(0, "label", [cb.label(c) if cb.label(c) != c else "" for c in table.index])
        return table

    def results(self) -> dict[str, Any]:
        """The study's own results.json keys."""
        return {
            "screening": self.screening.to_dict(),
            "reliability": {
                name: {
                    k: row[k]
                    for k in (
                        "n_items",
                        "n",
                        "alpha",
                        "alpha_ci_low",
                        "alpha_ci_high",
                        "std_alpha",
                        "omega_total",
                        "mean",
                        "sd",
                    )
                }
                for name, row in jsonable(self.reliability.table.to_dict(orient="index")).items()
            },
            "item_total": _item_total_dict(self.reliability.item_stats),
        }

    @property
    def n_used(self) -> int:
        return int(self.missing_report["n_used"])

    # ------------------------------------------------------------------ figures
    def distribution_figure(self):
        """Response distribution of every item (interactive)."""
        from workbench.plots import response_distribution

        if self.screening.distribution is None:
            return None
        return response_distribution(self.screening.distribution, self.survey.codebook.labels)

    def reliability_figure(self):
        """Alpha with its CI and omega per construct (interactive)."""
        from workbench.plots import reliability_chart

        table = self.reliability_table().reset_index()
        return reliability_chart(table, threshold=ALPHA_GOOD)

    def correlation_figure(self):
        """Item correlation heatmap with item labels (static; Chinese-safe)."""
        from workbench.plots import correlation_heatmap, figure_labels

        cb = self.survey.codebook
        items = list(cb.items)
        corr = self.survey.items.corr()
        labels, _ = figure_labels(
            items, [f"{i} {cb.labels[i]}" if i in cb.labels else i for i in items]
        )
        return correlation_heatmap(corr, labels=labels, title="Item correlations (Pearson)")

    def headline(self) -> dict[str, Any]:
        table = self.reliability.table.dropna(subset=["alpha"])
        out: dict[str, Any] = {
            "respondents": self.screening.n_respondents,
            "constructs": len(self.survey.codebook.constructs),
        }
        if len(table):
            out["alpha range"] = f"{table['alpha'].min():.2f}–{table['alpha'].max():.2f}"
        return out


def _item_total_dict(stats: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for (construct, item), row in stats.iterrows():
        out.setdefault(str(construct), {})[str(item)] = jsonable(dict(row))
    return out


def analyse(
    survey: SurveyData,
    *,
    missing: str = "listwise",
    ci: float = 0.95,
    straightline_min_items: int = 5,
    seed: int = 2026,
) -> FactorAnalysisStudy:
    """Run the factor-analysis study on a prepared survey.

    Parameters mirror the study's parameters (see ``workbench list``).
    """
    cb = survey.codebook
    screening = screen_items(survey, straightline_min_items=straightline_min_items)
    _, missing_report = complete_cases(survey.items, missing=missing)  # type: ignore[arg-type]
    require_respondents(missing_report["n_used"], 3, method="scale reliability", file=survey.path)
    rel = reliability(survey.items, cb.construct_items, missing=missing, ci=ci)  # type: ignore[arg-type]
    warnings = list(screening.warnings) + [w for w in rel.warnings if w not in screening.warnings]
    if missing == "listwise" and missing_report["n_dropped"]:
        warnings.append(
            f"{missing_report['n_dropped']} of {missing_report['n_total']} respondents miss at "
            "least one item; listwise deletion is applied per construct for reliability "
            "(nothing is imputed)."
        )
    from workbench.plots import figure_labels

    _, font_warning = figure_labels(list(cb.items), [cb.labels.get(i, i) for i in cb.items])
    if font_warning:
        warnings.append(font_warning)
    findings = _findings(survey, screening, rel, missing_report, ci)
    return FactorAnalysisStudy(
        survey=survey,
        parameters={
            "missing": missing,
            "ci": ci,
            "straightline_min_items": straightline_min_items,
            "seed": seed,
        },
        screening=screening,
        reliability=rel,
        missing_report=missing_report,
        findings=tuple(findings),
        warning_messages=tuple(warnings),
    )


def _findings(
    survey: SurveyData,
    screening: ScreeningResult,
    rel: ReliabilityResult,
    missing_report: dict[str, Any],
    ci: float,
) -> list[str]:
    cb = survey.codebook
    out = []
    n_items = len(cb.items)
    complete = int(survey.items.notna().all(axis=1).sum())
    out.append(
        f"{screening.n_respondents} respondents answered {n_items} items measuring "
        f"{len(cb.constructs)} constructs; {complete} answered every item."
    )
    table = rel.table.dropna(subset=["alpha"])
    if len(table):
        good = table[table["alpha"] >= ALPHA_GOOD]
        weak = table[table["alpha"] < ALPHA_GOOD].sort_values("alpha")
        text = (
            f"{len(good)} of {len(table)} multi-item constructs reach the usual "
            f"reliability threshold (Cronbach's alpha ≥ {ALPHA_GOOD:.2f})."
        )
        if len(weak):
            parts = [
                f"{cb.label(c)} (alpha {r.alpha:.2f}, {ci:.0%} CI {r.alpha_ci_low:.2f}–"
                f"{r.alpha_ci_high:.2f})"
                for c, r in weak.iterrows()
            ]
            text += " Below it: " + "; ".join(parts) + "."
        else:
            best = table["alpha"].idxmax()
            worst = table["alpha"].idxmin()
            text += (
                f" The most reliable is {cb.label(best)} (alpha "
                f"{table.loc[best, 'alpha']:.2f}); the least, {cb.label(worst)} "
                f"(alpha {table.loc[worst, 'alpha']:.2f})."
            )
        out.append(text)
    stats = rel.item_stats
    if "r_drop" in stats:
        weak_items = stats[stats["r_drop"] < R_DROP_WEAK]
        if len(weak_items):
            parts = [
                f"{item} in {cb.label(c)} (r = {row.r_drop:.2f}"
                + (
                    f"; alpha would rise to {row.alpha_if_deleted:.2f} without it"
                    if "alpha_if_deleted" in stats
                    and row.alpha_if_deleted > rel.table.loc[c, "alpha"]
                    else ""
                )
                + ")"
                for (c, item), row in weak_items.iterrows()
            ]
            out.append(
                f"Items that fit their scale weakly (corrected item-total r < {R_DROP_WEAK:.2f}): "
                + "; ".join(parts)
                + "."
            )
    if cb.reverse_coded:
        out.append(
            f"Reverse-worded items scored as {cb.scale.min:g} + {cb.scale.max:g} − x before "  # type: ignore[union-attr]
            f"analysis: {', '.join(cb.reverse_coded)}."
        )
    if len(screening.straight_liners):
        out.append(
            f"{len(screening.straight_liners)} respondent(s) gave the same answer to every item "
            "(possible inattentive answering); they are kept and listed below."
        )
    return out
