"""The segmentation study: who are our members? Segments found in the survey answers.

:func:`analyse` scores the chosen constructs and columns as the loyalty-drivers study scores
them, keeps the respondents who answered every one (listwise, counted), standardizes them (by
default) and segments them by latent profile analysis (Gaussian mixtures with mclust's
covariance models, :func:`~workbench.segmentation.select_mixture`) or k-means
(:func:`~workbench.segmentation.kmeans_segments`). It chooses the number of segments by a
stated rule, describes each segment (size, means with 95% intervals on the original scale, the
distinctive features in plain words, a suggested name), checks that the segments replicate in
bootstrap re-fits (:func:`~workbench.segmentation.segment_stability`) and cross-tabulates them
with a categorical column (``by``). It returns a :class:`SegmentationStudy` that the notebook
only displays; :meth:`SegmentationStudy.write_membership` writes each respondent's segment,
posterior probabilities and classification uncertainty as ``segments.csv`` beside the report
(the input is never modified).

``method="lca"`` segments on Likert items or categorical columns instead (constructs expand to
their items) by latent class analysis
(:func:`~workbench.segmentation.latent_class_analysis`, StepMix), and adds the class-conditional
response probabilities and, with ``covariates`` and ``distal``, who is in which class and the
classes' outcome means by the bias-corrected three-step method (BCH or ML).

With ``transactions`` (a transactions file joined by member id,
:mod:`workbench.studies.segment_links`) the members' behaviour joins their answers: the
behavioural features (recency, frequency, spend, tenure, purchase rate, channel shares, points;
``log_`` versions of the skewed ones) can be segmented on by naming them in ``variables``, each
segment's behaviour is profiled, and the segments are cross-tabulated with member-analytics'
RFM segments and with Dick & Basu's loyalty types (attitude x repeat purchase). For latent
profiles, ``covariates`` and ``distal`` relate the segments to member characteristics and
outcomes by the bias-corrected three-step method (:mod:`workbench.segmentation.three_step`),
and ``outcome`` with ``drivers`` fits the loyalty-drivers model in each segment.

Not in this increment: MI/FIML treatment of missing answers in the segmentation inputs.

Findings, warnings, table labels, figure text and the suggested segment names are written in
the current report language (:mod:`workbench.i18n`; the notebook sets it from its ``lang``
parameter); ``results.json`` and ``segments.csv`` keep the English names and the same keys and
values in every language.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from workbench import i18n
from workbench.behaviour.member_features import BEHAVIOURAL_FEATURES
from workbench.errors import InputError
from workbench.i18n import gettext as tr
from workbench.intake.data import SurveyData, load_survey
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.results import Result, jsonable
from workbench.segmentation import (
    MODEL_DESCRIPTIONS,
    MODELS,
    KMeansResult,
    LCAResult,
    MixtureSelection,
    StabilityResult,
    fit_gaussian_mixture,
    kmeans_segments,
    latent_class_analysis,
    segment_stability,
    select_mixture,
)
from workbench.studies import get_study
from workbench.studies.loyalty_drivers import (
    _label_rows,
    _names,
    _require_numeric,
    _translated_figure,
    _unknown_variable,
    score_variables,
)
from workbench.studies.segment_links import (
    DICK_BASU_COLUMN,
    RFM_COLUMN,
    behaviour_for_survey,
    dick_basu_types,
    drivers_by_segment,
    three_step_tables,
)

#: the segmentation methods
METHODS = ("lpa", "kmeans", "lca")
#: lca: EM starts of each bootstrap re-fit of the stability check
LCA_REFIT_STARTS = 2
#: lca: an indicator with more categories than this is refused (as latent_class_analysis)
LCA_MAX_CATEGORIES = 10
#: a standardized segment mean beyond +-this many SD is a distinctive feature
DISTINCTIVE_SD = 0.5
#: segments whose mean bootstrap Jaccard is below this are flagged (Hennig 2007)
JACCARD_THRESHOLD = 0.6
#: k-means++ starts per k on the data, and per bootstrap re-fit
KMEANS_STARTS, KMEANS_REFIT_STARTS = 50, 10
#: at most this many members are drawn on the map
MAP_SAMPLE = 5000
#: a `by` column with more distinct values than this is not a grouping
MAX_BY_LEVELS = 30
#: fewest complete respondents a segmentation is attempted on
MIN_RESPONDENTS = 20
MEMBERSHIP_FILE = "segments.csv"
#: behavioural features shown in the behaviour profile (the channel shares come as
#: channel_share_<channel> columns)
PROFILE_COLUMNS = tuple(f for f in BEHAVIOURAL_FEATURES if f != "channel_share")
PROFILE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "aov",
    "tenure_days",
    "purchases_per_month",
    "points_earned",
    "points_redeemed",
    "redeemed_share",
)


# --------------------------------------------------------------------------- checks
def segmentation_variables(survey: SurveyData, variables: list[str] | None) -> list[str]:
    """The variables to segment on: those named, or every multi-item construct."""
    names = list(dict.fromkeys(variables or []))
    if names:
        return names
    cb = survey.codebook
    names = [c for c, con in cb.constructs.items() if len(con.items) > 1]
    if not names:
        numeric = [
            str(c) for c in survey.frame.columns if pd.api.types.is_numeric_dtype(survey.frame[c])
        ]
        raise InputError(
            "No variables to segment on: "
            + (
                "the codebook has no multi-item construct."
                if cb.given
                else "without a codebook, name the columns in `variables`."
            ),
            file=survey.path,
            hint="Pass e.g. --param 'variables=[a, b]'. Numeric columns: " + _names(numeric) + ".",
        )
    return names


def check_inputs(
    survey: SurveyData,
    *,
    variables: list[str] | None,
    method: str = "lpa",
    models: list[str] | None = None,
    by: str = "",
    max_k: int = 6,
    covariates: list[str] | None = None,
    distal: list[str] | None = None,
) -> list[str]:
    """Check the named variables, the method and ``by`` before anything is fitted.

    Each variable must be a construct of the codebook or a numeric column of the data (for
    ``method="lca"`` also a categorical column); ``by`` must be a column with at most 30
    distinct values that is not segmented on; ``covariates`` and ``distal`` (lca only) columns
    of the data, not segmented on. Returns the variables. Raises :class:`InputError` naming
    the file, column and what to do.
    """
    if method not in METHODS:
        # the registry's refusal (lca, not yet offered) with its reason, as `workbench run`
        get_study("segmentation").param("method").parse(method, study="segmentation")
        raise InputError(
            f"method={method!r} is not a segmentation method.",
            hint="Use one of: " + ", ".join(METHODS) + ".",
        )
    for model in models or []:
        if model not in MODELS:
            raise InputError(
                f"'{model}' in `models` is not one of mclust's covariance models.",
                hint="Use some of: " + ", ".join(MODELS) + " (names as in mclust).",
            )
    names = segmentation_variables(survey, variables)
    cb = survey.codebook
    for name in names:
        if name not in cb.constructs and name not in survey.frame.columns:
            raise _unknown_variable(survey, name)
    if method != "lca":
        for name in names:
            _require_numeric(survey, name, "segmentation variable")
        if (covariates or distal) and method == "kmeans":
            raise InputError(
                "`covariates` and `distal` need each member's probability of every segment "
                "(the three-step correction); k-means assigns members with certainty.",
                hint="Use method=lpa or method=lca, or describe k-means segments with `by`.",
            )
    items = set(lca_indicators(survey, names)) if method == "lca" else set(names)
    if method == "lca":
        for col in lca_indicators(survey, names):
            levels = survey.frame[col].dropna().nunique()
            if not 2 <= levels <= LCA_MAX_CATEGORIES:
                raise InputError(
                    f"The latent class indicator '{col}' has {levels} distinct value(s); an "
                    f"indicator needs 2 to {LCA_MAX_CATEGORIES} categories.",
                    file=survey.path,
                    column=col,
                    hint="Name Likert items or categorical columns in `variables`; analyse a "
                    "continuous variable by method=lpa, or band it first in a copy of the data.",
                )
    for role, cols in (("covariate", covariates or []), ("distal outcome", distal or [])):
        for col in cols:
            if col not in survey.frame.columns:
                raise InputError(
                    f"The {role} '{col}' is not a column of the data.",
                    file=survey.path,
                    column=col,
                    hint="Name a column of the data. Columns: "
                    + _names([str(c) for c in survey.frame.columns if c not in cb.items])
                    + ".",
                )
            if col in items:
                raise InputError(
                    f"'{col}' is segmented on and given as a {role}.",
                    file=survey.path,
                    column=col,
                    hint="A three-step covariate or outcome is outside the segmentation: "
                    "remove it from one.",
                )
    for col in distal or []:
        _require_numeric(survey, col, "distal outcome")
    if by:
        if by not in survey.frame.columns:
            raise InputError(
                f"The `by` column '{by}' is not in the data.",
                file=survey.path,
                column=by,
                hint="Name a categorical column to cross-tabulate the segments with (e.g. "
                "tier or channel). Columns: "
                + _names([str(c) for c in survey.frame.columns if c not in cb.items])
                + ".",
            )
        if by in names:
            raise InputError(
                f"'{by}' is segmented on and given as `by`.",
                file=survey.path,
                column=by,
                hint="`by` describes the segments after they are found; remove it from one.",
            )
        levels = survey.frame[by].dropna().nunique()
        if levels > MAX_BY_LEVELS:
            raise InputError(
                f"The `by` column '{by}' has {levels} distinct values; a cross-tab needs a "
                f"grouping (at most {MAX_BY_LEVELS}).",
                file=survey.path,
                column=by,
                hint="Name a categorical column such as tier or channel, or band the values "
                "first in a copy of the data.",
            )
    if max_k < (2 if method == "kmeans" else 1):
        raise InputError(
            f"max_k={max_k} is too small for method={method}.",
            hint="k-means compares k = 2..max_k by the silhouette: use max_k of at least 2.",
        )
    return names


def with_behaviour(
    survey: SurveyData, transactions: str, member_id: str = ""
) -> tuple[SurveyData, list[str], list[str]]:
    """The survey with the behavioural features of ``transactions`` joined (see
    :func:`~workbench.studies.segment_links.behaviour_for_survey`), or as it is without one.

    The member id of the survey is ``member_id``, else the codebook's ``id``.
    """
    if not transactions:
        return survey, [], []
    id_col = member_id or survey.codebook.id or ""
    if not id_col:
        raise InputError(
            "Joining transactions needs the survey's member-id column.",
            file=survey.path,
            hint="Name it with `member_id` (e.g. member_id=respondent_id), or give the "
            "codebook an `id`.",
        )
    return behaviour_for_survey(survey, transactions, id_col=id_col)


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Load the survey, check the variables and ``by``, and that enough respondents answered
    every variable (listwise) to be segmented."""
    survey = load_survey(data, codebook or None, sheet=params.get("sheet") or None)
    survey, _, _ = with_behaviour(
        survey, params.get("transactions") or "", params.get("member_id") or ""
    )
    _check_links(survey, params)
    names = check_inputs(
        survey,
        variables=list(params.get("variables") or []),
        method=params.get("method") or "lpa",
        models=list(params.get("models") or []),
        by=params.get("by") or "",
        max_k=int(params.get("max_k") or 6),
        covariates=list(params.get("covariates") or []),
        distal=list(params.get("distal") or []),
    )
    if (params.get("method") or "lpa") == "lca":
        cols = [
            *lca_indicators(survey, names),
            *(params.get("covariates") or []),
            *(params.get("distal") or []),
        ]
        n = int(survey.frame[cols].notna().all(axis=1).sum())
        _require_complete(n, survey, names)
        return n
    scores, _ = score_variables(survey, names)
    n = int(scores.notna().all(axis=1).sum())
    _require_complete(n, survey, names)
    return n


def _check_links(survey: SurveyData, params: dict[str, Any]) -> None:
    """`attitude`, `outcome` and `drivers` name constructs or numeric columns; `attitude`
    needs `transactions` (the repeat purchases of Dick & Basu's matrix)."""
    attitude = params.get("attitude") or ""
    outcome = params.get("outcome") or ""
    drivers = list(params.get("drivers") or [])
    if attitude and not params.get("transactions"):
        raise InputError(
            "`attitude` places respondents in Dick & Basu's loyalty matrix, whose other axis "
            "is repeat purchase from `transactions`.",
            hint="Give `transactions` too, or leave `attitude` empty.",
        )
    if bool(outcome) != bool(drivers):
        raise InputError(
            "The drivers per segment need both `outcome` and `drivers`.",
            hint="Name the outcome construct (e.g. loyalty) and its drivers (e.g. [trust, "
            "value]), or neither.",
        )
    for name in [attitude, outcome, *drivers]:
        if not name:
            continue
        if name not in survey.codebook.constructs and name not in survey.frame.columns:
            raise _unknown_variable(survey, name)
        _require_numeric(survey, name, "variable")


def _require_complete(n: int, survey: SurveyData, names: list[str]) -> None:
    if n < MIN_RESPONDENTS:
        raise InputError(
            f"Only {n} respondent(s) answered every segmentation variable "
            f"({', '.join(names)}); at least {MIN_RESPONDENTS} are needed.",
            file=survey.path,
            hint="Segment on fewer variables (`variables`), or check the missing codes.",
        )


def lca_indicators(survey: SurveyData, names: list[str]) -> list[str]:
    """The indicator columns of a latent class analysis: constructs expand to their items,
    plain columns stay as they are (in the order named, without repeats)."""
    cb = survey.codebook
    out: list[str] = []
    for name in names:
        out += list(cb.constructs[name].items) if name in cb.constructs else [name]
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- description
def _word(name: str) -> str:
    return name.replace("_", " ")


def distinctive_features(
    std_means: pd.Series, *, cut: float = DISTINCTIVE_SD, translated: bool = False
) -> list[str]:
    """``["high trust", "low value"]``: the variables whose standardized segment mean lies
    beyond +-``cut`` SD, strongest first (``translated``: in the report language, e.g.
    ``trust 高``; else English, as results.json keeps them)."""
    order = std_means.abs().sort_values(ascending=False).index
    lang = None if translated else "en"
    return [
        tr("high {variable}", lang=lang, variable=_word(str(v)))
        if std_means[v] > 0
        else tr("low {variable}", lang=lang, variable=_word(str(v)))
        for v in order
        if abs(std_means[v]) >= cut
    ]


def suggest_name(std_means: pd.Series, *, cut: float = DISTINCTIVE_SD) -> str:
    """A short name from the distinctive features: the two strongest (``"High trust, low
    value"``), ``"High on all"``/``"Low on all"`` when every variable is beyond the cut the
    same way, ``"Average on all"`` when none is.

    >>> suggest_name(pd.Series({"trust": 0.9, "value": -0.7, "memory": 0.1}))
    'High trust, low value'
    """
    return _suggested_name(std_means, cut=cut, translated=False)


def _suggested_name(std_means: pd.Series, *, cut: float, translated: bool) -> str:
    """:func:`suggest_name` in English, or (``translated``) in the report language."""
    lang = None if translated else "en"
    features = distinctive_features(std_means, cut=cut, translated=translated)
    if not features:
        return tr("Average on all", lang=lang)
    if len(std_means) > 1 and (std_means >= cut).all():
        return tr("High on all", lang=lang)
    if len(std_means) > 1 and (std_means <= -cut).all():
        return tr("Low on all", lang=lang)
    text = _join(features[:2], lang=lang)
    return text[0].upper() + text[1:] if i18n.get_language() == "en" or not translated else text


def _join(parts: list[str], *, lang: str | None = None) -> str:
    """Items of a list in a sentence: ``a, b`` (English), ``a、b`` (Chinese)."""
    return ("、" if i18n.check_language(lang or i18n.get_language()) != "en" else ", ").join(parts)


def _mean_ci(values: pd.Series) -> tuple[float, float, float]:
    """Mean and its 95% t interval."""
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------- the study
@dataclasses.dataclass(frozen=True)
class SegmentationStudy(Result):
    """Everything the segmentation report shows.

    ``scores`` holds the analysed respondents' variables on their original scale (indexed
    as in the survey), ``analysed`` the matrix the method saw (standardized by default).
    Segments are numbered 1..k by size, largest first.
    """

    survey: SurveyData
    parameters: dict[str, Any]
    method: str
    variables: tuple[str, ...]
    scoring_notes: dict[str, str]
    scores: pd.DataFrame
    analysed: pd.DataFrame
    k: int
    model: str
    chosen_by: str
    classification: np.ndarray
    posterior: pd.DataFrame
    uncertainty: np.ndarray
    selection: MixtureSelection | None
    kmeans: dict[int, KMeansResult] | None
    stability: StabilityResult | None
    crosstab: dict[str, Any] | None
    map_points: pd.DataFrame
    map_explained: tuple[float, float]
    missing_report: dict[str, Any]
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]
    missing_diagnosis: MissingDiagnosis | None = None
    membership_path: str | None = None
    lca: LCAResult | None = None
    links: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    behaviour_profile: pd.DataFrame | None = None
    covariate_effects: pd.DataFrame | None = None
    distal_means: pd.DataFrame | None = None
    drivers_fit: Any = None
    behaviour_columns: tuple[str, ...] = ()

    @property
    def n_used(self) -> int:
        return len(self.scores)

    def label(self, name: str) -> str:
        return self.survey.codebook.label(name)

    def to_frame(self) -> pd.DataFrame:
        return self.segments_table()

    # ------------------------------------------------------------------ segments
    @property
    def sizes(self) -> pd.Series:
        counts = np.bincount(self.classification, minlength=self.k + 1)[1:]
        return pd.Series(counts, index=pd.RangeIndex(1, self.k + 1, name="segment"), name="size")

    def standardized_means(self) -> pd.DataFrame:
        """Segment (rows) by variable means in SD of all analysed respondents (the profile).
        Under lca, the indicators' answers: Likert items as numbers, each category of a text
        column as a 0/1 column ``column=category``."""
        grand, sd = self.scores.mean(), self.scores.std(ddof=1).replace(0.0, np.nan)
        means = self.scores.groupby(self.classification).mean()
        means.index = pd.RangeIndex(1, self.k + 1, name="segment")
        return (means - grand) / sd

    def names(self) -> dict[int, str]:
        """Segment -> suggested name (unique; a repeated one gets its number), in English as
        results.json and segments.csv keep it (:meth:`shown_names` for the report)."""
        return self._names(translated=False)

    def shown_names(self) -> dict[int, str]:
        """:meth:`names` in the report language (the English names in English)."""
        return self._names(translated=True)

    def _names(self, *, translated: bool) -> dict[int, str]:
        z = self.standardized_means()
        lang = None if translated else "en"
        out: dict[int, str] = {}
        for s in z.index:
            name = _suggested_name(z.loc[s].dropna(), cut=DISTINCTIVE_SD, translated=translated)
            repeated = tr("{name} (segment {segment})", lang=lang, name=name, segment=s)
            out[int(s)] = name if name not in out.values() else repeated
        return out

    def segments_table(self) -> pd.DataFrame:
        """One row per segment: suggested name, size, share, distinctive features and (for
        latent profiles) the mixing proportion and mean classification uncertainty."""
        z = self.standardized_means()
        names = self.shown_names()
        sizes = self.sizes
        rows = []
        for s in sizes.index:
            members = self.classification == s
            features = distinctive_features(z.loc[s], translated=True)
            row: dict[str, Any] = {
                "name": names[int(s)],
                "size": int(sizes[s]),
                "share": float(sizes[s] / self.n_used),
                "distinctive features": _join(features) or i18n.label("none"),
            }
            if self.method in ("lpa", "lca"):
                row["mixing proportion"] = float(self.posterior[s].mean())
                row["mean uncertainty"] = float(self.uncertainty[members].mean())
            rows.append(row)
        return i18n.translate_frame(pd.DataFrame(rows, index=sizes.index))

    def means_table(self) -> pd.DataFrame:
        """Tidy means: one row per (segment, variable) with ``mean``, ``ci_low``, ``ci_high``
        (95% t interval, original scale, members assigned to the segment) and ``std_mean``."""
        z = self.standardized_means()
        rows = []
        for s in range(1, self.k + 1):
            part = self.scores[self.classification == s]
            for v in self.scores.columns:
                mean, low, high = _mean_ci(part[v])
                rows.append(
                    {
                        "segment": s,
                        "variable": v,
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "std_mean": float(z.loc[s, v]),
                    }
                )
        return pd.DataFrame(rows).set_index(["segment", "variable"])

    def means_wide(self) -> pd.DataFrame:
        """Segment (rows) by variable: ``mean [low, high]`` as text, for reading."""
        t = self.means_table()
        text = t.apply(lambda r: f"{r['mean']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]", axis=1)
        columns = list(self.scores.columns)
        wide = text.unstack("variable")[columns]
        overall = {v: f"{self.scores[v].mean():.2f}" for v in columns}
        wide.loc["all"] = pd.Series(overall)
        wide = _label_rows(wide, {"all"})  # the columns are the data's names: kept
        wide.index.name = i18n.label(wide.index.name)
        wide.columns.name = i18n.label(wide.columns.name)
        return wide

    def membership(self) -> pd.DataFrame:
        """One row per analysed respondent: data row (1-based), id (if the codebook names one),
        segment, its name, classification uncertainty and the posterior probabilities."""
        names = self.names()
        out = pd.DataFrame(index=self.scores.index)
        positions = self.survey.frame.index.get_indexer(self.scores.index)
        out["row"] = positions + 1
        id_col = self.survey.codebook.id
        if id_col and id_col in self.survey.frame.columns:
            out[id_col] = self.survey.frame.loc[self.scores.index, id_col].to_numpy()
        out["segment"] = self.classification
        out["segment_name"] = [names[int(s)] for s in self.classification]
        out["uncertainty"] = self.uncertainty
        for s in self.posterior.columns:
            out[f"p_{s}"] = self.posterior[s].to_numpy()
        return out.reset_index(drop=True)

    def membership_table(self, rows: int = 10) -> pd.DataFrame:
        """The first ``rows`` rows of :meth:`membership` for the report: the segment names
        and headers in the report language (``segments.csv`` keeps English)."""
        out = self.membership().head(rows)
        if i18n.get_language() != "en":
            shown = self.shown_names()
            out["segment_name"] = [shown[int(s)] for s in out["segment"]]
        return i18n.translate_frame(out)

    def write_membership(self, folder: str | Path | None) -> Path | None:
        """Write :meth:`membership` as ``segments.csv`` in ``folder`` (the run's output folder,
        never beside the input); None when no folder is given (an interactive session)."""
        if not folder:
            return None
        path = Path(folder) / MEMBERSHIP_FILE
        if path.resolve() == Path(self.survey.path).resolve():
            raise InputError(
                "The membership file would overwrite the input data.",
                file=str(path),
                hint="Run the study with another output folder.",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.membership().to_csv(path, index=False, encoding="utf-8", float_format="%.6g")
        return path

    # ------------------------------------------------------------------ choosing k
    def criteria_table(self) -> pd.DataFrame:
        """lpa: every (k, model) with loglik, npar, BIC, ICL, SABIC (lower is better),
        entropy, smallest share and BLRT p; kmeans: within-SS, between/total, silhouette and
        smallest share per k."""
        if self.selection is not None:
            cols = ["loglik", "npar", "bic", "icl", "sabic", "entropy", "min_share", "blrt_p"]
            t = self.selection.table
            return i18n.translate_frame(t.loc[t["fitted"], cols])
        if self.lca is not None:
            return i18n.translate_frame(self.lca.table.copy())
        assert self.kmeans is not None
        rows = [
            {
                "k": k,
                "within_ss": fit.within_ss,
                "between_over_total": fit.between_ss / fit.total_ss,
                "silhouette": fit.silhouette,
                "min_share": float(fit.sizes.min() / fit.n),
            }
            for k, fit in sorted(self.kmeans.items())
        ]
        return i18n.translate_frame(pd.DataFrame(rows).set_index("k"))

    def bic_table(self) -> pd.DataFrame | None:
        """lpa: BIC as a k x model table (mclust's layout, lower is better)."""
        if self.selection is None:
            return None
        return i18n.translate_frame(self.selection.criterion_table("bic"))

    def blrt_table(self) -> pd.DataFrame | None:
        """Bootstrap likelihood-ratio tests of k against k + 1 segments, chosen model."""
        if self.selection is None or self.selection.blrt is None:
            return None
        return i18n.translate_frame(self.selection.blrt.table)

    def criteria_figure(self):
        from workbench.presentation.segment_plots import criteria_chart, kmeans_criteria_chart

        if self.selection is not None:
            fig = criteria_chart(self.selection.table, chosen=(self.k, self.model))
            return _translated_figure(fig)
        if self.lca is not None:
            t = self.lca.table.copy()
            t.index = pd.MultiIndex.from_arrays(
                [t.index, ["latent classes"] * len(t)], names=["k", "model"]
            )
            return _translated_figure(criteria_chart(t, chosen=(self.k, "latent classes")))
        with i18n.language("en"):  # the chart reads the English column names
            table = self.criteria_table()
        return _translated_figure(kmeans_criteria_chart(table, chosen=self.k))

    # ------------------------------------------------------------------ figures
    def profile_figure(self):
        from workbench.presentation.segment_plots import profile_chart

        chart = profile_chart(
            self.standardized_means(), names=self.shown_names(), band=DISTINCTIVE_SD
        )
        return _translated_figure(chart)

    def response_figure(self):
        """lca: the item-response probabilities of each class (None for other methods)."""
        from workbench.presentation.segment_plots import item_response_chart

        if self.lca is None:
            return None
        chart = item_response_chart(self.lca.response_probabilities, names=self.shown_names())
        return _translated_figure(chart)

    def response_table(self) -> pd.DataFrame | None:
        """lca: P(category | class) per indicator and category, classes as columns."""
        if self.lca is None:
            return None
        t = self.lca.response_probabilities.copy()
        names = self.shown_names()
        t.columns = [f"{c}: {names[int(c)]}" for c in t.columns]
        return i18n.translate_frame(t)

    def covariate_table(self) -> pd.DataFrame | None:
        """The three-step multinomial logit (log-odds of each segment against segment 1)."""
        t = self.covariate_effects if self.lca is None else self.lca.covariate_effects
        return None if t is None else i18n.translate_frame(t)

    def distal_table(self) -> pd.DataFrame | None:
        """The three-step segment means of the distal outcomes."""
        t = self.distal_means if self.lca is None else self.lca.distal_means
        return None if t is None else i18n.translate_frame(t)

    def behaviour_table(self) -> pd.DataFrame | None:
        """Each segment's mean behaviour (members with a purchase in the transactions)."""
        if self.behaviour_profile is None:
            return None
        out = self.behaviour_profile.copy()
        names = self.shown_names()
        out.index = [
            f"{s}: {names[int(s)]}" if s != "all" else i18n.label("all") for s in out.index
        ]
        out.index.name = "segment"
        return i18n.translate_frame(out)

    def link_table(self, name: str) -> pd.DataFrame | None:
        """Segment x RFM segment (``rfm_segment``) or x Dick & Basu type (``loyalty_type``)."""
        c = self.links.get(name)
        return None if c is None else self._crosstab_frame(c["counts"])

    def link_tests(self) -> pd.DataFrame | None:
        if not self.links:
            return None
        keys = ("by", "n", "n_missing", "chi2", "df", "p", "cramers_v")
        t = pd.DataFrame([{k: c[k] for k in keys} for c in self.links.values()]).set_index("by")
        return i18n.translate_frame(t, index_values=True)

    def drivers_table(self) -> pd.DataFrame | None:
        """The drivers' slopes per segment (OLS), segments as columns."""
        if self.drivers_fit is None:
            return None
        out = self.drivers_fit.slopes()
        names = self.shown_names()
        out.columns = [f"{int(s)}: {names[int(s)]}" for s in out.columns]
        return i18n.translate_frame(out)

    def drivers_test(self) -> pd.DataFrame | None:
        if self.drivers_fit is None:
            return None
        fit = self.drivers_fit
        out = pd.concat([pd.DataFrame([fit.slope_test], index=["all drivers"]), fit.driver_tests])
        out.index.name = "slopes differ between segments?"
        return _label_rows(i18n.translate_frame(out), {"all drivers"})

    def map_figure(self):
        from workbench.presentation.segment_plots import segment_map

        chart = segment_map(self.map_points, explained=self.map_explained, names=self.shown_names())
        return _translated_figure(chart)

    # ------------------------------------------------------------------ stability, links
    def stability_table(self) -> pd.DataFrame | None:
        if self.stability is None:
            return None
        t = self.stability.table.copy()
        names = self.shown_names()
        t.insert(0, "name", [names[int(s)] for s in t.index])
        return i18n.translate_frame(t)

    def crosstab_table(self) -> pd.DataFrame | None:
        """Counts of segment x ``by`` level with each segment's row percentages."""
        if self.crosstab is None:
            return None
        return self._crosstab_frame(self.crosstab["counts"])

    def _crosstab_frame(self, counts: pd.DataFrame) -> pd.DataFrame:
        pct = counts.div(counts.sum(axis=1), axis=0) * 100
        out = counts.astype(object).copy()
        for c in counts.columns:
            out[c] = [f"{n} ({p:.0f}%)" for n, p in zip(counts[c], pct[c], strict=True)]
        names = self.shown_names()
        out.index = [f"{s}: {names[int(s)]}" for s in counts.index]
        out.index.name = "segment"
        return i18n.translate_frame(out)

    def crosstab_test(self) -> pd.DataFrame | None:
        if self.crosstab is None:
            return None
        c = self.crosstab
        t = pd.DataFrame(
            [{k: c[k] for k in ("by", "n", "n_missing", "chi2", "df", "p", "cramers_v")}]
        ).set_index("by")
        return i18n.translate_frame(t)

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        means = self.means_table()
        z = self.standardized_means()
        names = self.names()
        segments: dict[str, Any] = {}
        for s in range(1, self.k + 1):
            m = means.loc[s]
            segments[str(s)] = {
                "name": names[s],
                "size": int(self.sizes[s]),
                "share": float(self.sizes[s] / self.n_used),
                "means": m["mean"].to_dict(),
                "ci_low": m["ci_low"].to_dict(),
                "ci_high": m["ci_high"].to_dict(),
                "std_means": z.loc[s].to_dict(),
                "features": distinctive_features(z.loc[s]),
            }
            if self.method in ("lpa", "lca"):
                segments[str(s)]["mixing_proportion"] = float(self.posterior[s].mean())
        if self.selection is not None:
            selection = self.selection.to_dict()["selection"]
        elif self.lca is not None:
            keys = ("loglik", "npar", "bic", "aic", "icl", "sabic", "entropy", "min_share")
            selection = {
                str(k): {"lca": {**{c: row[c] for c in keys}, "blrt_p": None}}
                for k, row in self.lca.table.iterrows()
            }
        else:
            selection = {
                str(k): {
                    "kmeans": {
                        **dict.fromkeys(("loglik", "bic", "icl", "sabic", "entropy", "blrt_p")),
                        **row.to_dict(),
                    }
                }
                for k, row in self.criteria_table().iterrows()
            }
        crosstabs: dict[str, Any] = {}
        for c in [*([self.crosstab] if self.crosstab is not None else []), *self.links.values()]:
            crosstabs[c["by"]] = {
                "counts": {
                    str(s): {str(k): int(v) for k, v in row.items()}
                    for s, row in c["counts"].iterrows()
                },
                **{k: c[k] for k in ("n", "n_missing", "chi2", "df", "p", "cramers_v")},
                "sparse_cells": c["sparse_cells"],
            }
        out: dict[str, Any] = {
            "segmentation": {
                "method": self.method,
                "model": self.model,
                "k": self.k,
                "chosen_by": self.chosen_by,
                "n": self.n_used,
                "variables": list(self.variables),
                "standardize": self.parameters["standardize"],
                "scoring": self.scoring_notes,
                "seed": self.parameters["seed"],
                "bic_convention": "bic = -2 logL + npar log(n); lower is better",
                "membership_file": MEMBERSHIP_FILE if self.membership_path else None,
            },
            "selection": selection,
            "segments": segments,
            "stability": None
            if self.stability is None
            else {
                "ari_mean": self.stability.ari_mean,
                "jaccard": {str(s): v for s, v in self.stability.table["jaccard_mean"].items()},
                "flagged": self.stability.flagged,
                "threshold": self.stability.threshold,
                "n_boot": self.stability.n_boot,
                "failed": self.stability.failed,
            },
            "crosstabs": crosstabs,
            "map": {"explained": list(self.map_explained), "points": len(self.map_points)},
            "missing_diagnosis": None
            if self.missing_diagnosis is None
            else self.missing_diagnosis.to_dict(),
        }
        if self.lca is not None:
            out["lca"] = self.lca.to_dict()
        if self.behaviour_profile is not None:
            out["behaviour"] = {
                "features": list(self.behaviour_columns),
                "profile": {str(s): row.to_dict() for s, row in self.behaviour_profile.iterrows()},
            }
        if self.lca is None and (
            self.covariate_effects is not None or self.distal_means is not None
        ):
            out["three_step"] = {
                "correction": self.parameters["correction"],
                "reference_segment": 1,
                "covariates": None
                if self.covariate_effects is None
                else [
                    {"segment": int(seg), "term": term, **row.to_dict()}
                    for (seg, term), row in self.covariate_effects.iterrows()
                ],
                "distal": None
                if self.distal_means is None
                else [
                    {"outcome": o, "segment": int(seg), **row.to_dict()}
                    for (o, seg), row in self.distal_means.iterrows()
                ],
            }
        if self.drivers_fit is not None:
            out["drivers_by_segment"] = self.drivers_fit.to_dict()
        return jsonable(out)

    def headline(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n_used,
            "segments": self.k,
            "method": self.method + (f" ({self.model})" if self.method == "lpa" else ""),
            **(
                {"entropy": round(float(self.lca.table.loc[self.k, "entropy"]), 2)}
                if self.lca is not None and self.k > 1
                else {}
            ),
        }
        if self.stability is not None:
            out["mean ARI"] = round(self.stability.ari_mean, 2)
        return out


# --------------------------------------------------------------------------- analysis
def _behaviour_profile(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Mean behaviour of each segment's members who bought (and of all of them)."""
    bought = features.notna().any(axis=1)
    f = features[bought]
    seg = labels[bought]
    out = f.groupby(seg).mean()
    out.insert(0, "members", seg.value_counts().reindex(out.index).astype(int))
    total = f.mean().to_frame("all").T
    total.insert(0, "members", int(bought.sum()))
    out = pd.concat([out, total])
    out.index.name = "segment"
    return out


def _relabel_by_size(labels: np.ndarray, k: int) -> np.ndarray:
    """new[old - 1]: segment numbers 1..k ordered by size, largest first."""
    counts = np.bincount(labels, minlength=k + 1)[1:]
    order = np.argsort(-counts, kind="stable")
    new = np.empty(k, dtype=int)
    new[order] = np.arange(1, k + 1)
    return new


def _coded(survey: SurveyData, columns: list[str]) -> SurveyData:
    """The survey with its text columns among ``columns`` as category numbers (missing kept),
    for the missing-data diagnosis of latent class indicators (which needs numbers)."""
    frame = survey.frame.copy()
    for col in columns:
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            codes = pd.Categorical(s.astype("string")).codes.astype(float)
            frame[col] = np.where(codes < 0, np.nan, codes)
    return dataclasses.replace(survey, frame=frame)


def _pca_points(x: np.ndarray, labels: np.ndarray, seed: int) -> tuple[pd.DataFrame, tuple]:
    """The first two principal components of the standardized inputs (a seeded sample of at
    most :data:`MAP_SAMPLE` members)."""
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    _, sv, vt = np.linalg.svd(z, full_matrices=False)
    share = sv**2 / float(np.sum(sv**2))
    comps = z @ vt[:2].T if vt.shape[0] >= 2 else np.column_stack([z @ vt[:1].T, np.zeros(len(z))])
    rows = np.arange(len(z))
    if len(z) > MAP_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(len(z), MAP_SAMPLE, replace=False))
    points = pd.DataFrame({"pc1": comps[rows, 0], "pc2": comps[rows, 1], "segment": labels[rows]})
    explained = (float(share[0]), float(share[1]) if share.size > 1 else 0.0)
    return points, explained


def _crosstab(frame: pd.DataFrame, by: str, labels: pd.Series) -> tuple[dict | None, list[str]]:
    """Segment x ``by``: counts, Pearson's chi-square test and Cramér's V."""
    groups = frame.loc[labels.index, by]
    keep = groups.notna()
    notes: list[str] = []
    counts = pd.crosstab(labels[keep], groups[keep].astype(str))
    counts.index.name, counts.columns.name = "segment", by
    n_missing = int((~keep).sum())
    if n_missing:
        notes.append(
            f"Cross-tab with {by}: {n_missing} analysed respondent(s) have no {by} and "
            "are left out of it."
        )
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        notes.append(f"Cross-tab with {by}: fewer than two segments or levels; no test.")
        return None, notes
    chi2, p, df, expected = stats.chi2_contingency(counts.to_numpy(), correction=False)
    n = int(counts.to_numpy().sum())
    v = math.sqrt(chi2 / (n * (min(counts.shape) - 1)))
    sparse = float(np.mean(expected < 5))
    if sparse > 0.2:
        notes.append(
            f"Cross-tab with {by}: {sparse:.0%} of the cells expect fewer than 5 respondents; "
            "the chi-square p-value is approximate (Cochran's rule asks for at most 20%)."
        )
    return {
        "by": by,
        "counts": counts,
        "n": n,
        "n_missing": n_missing,
        "chi2": float(chi2),
        "df": int(df),
        "p": float(p),
        "cramers_v": v,
        "sparse_cells": sparse,
    }, notes


def _condense(warnings: list[str], k: int, model: str) -> list[str]:
    """One line for the many 'a random restart beat the hierarchical start' notes; the chosen
    fit's own note is kept in full."""
    restart = [w for w in warnings if "a random restart (" in w]
    own = [w for w in restart if w.startswith(f"{model}, k = {k}:")]
    rest = [w for w in warnings if w not in restart]
    others = len(restart) - len(own)
    if others:
        rest.append(
            f"In {others} other (model, k) fit(s) a random restart reached a higher "
            "log-likelihood than mclust's hierarchical start and was kept (the criteria table "
            "uses the best fit of each)."
        )
    return [*own, *rest]


def analyse(
    survey: SurveyData,
    *,
    variables: list[str] | None = None,
    standardize: bool = True,
    missing: str = "listwise",
    method: str = "lpa",
    models: list[str] | None = None,
    max_k: int = 6,
    min_share: float = 0.05,
    restarts: int = 3,
    blrt: int = 99,
    stability: int = 50,
    by: str = "",
    covariates: list[str] | None = None,
    distal: list[str] | None = None,
    correction: str = "BCH",
    starts: int = 10,
    se_bootstrap: int = 100,
    transactions: str = "",
    member_id: str = "",
    attitude: str = "",
    outcome: str = "",
    drivers: list[str] | None = None,
    seed: int = 2026,
    sheet: str = "",
    output_dir: str | Path | None = None,
    **_: Any,
) -> SegmentationStudy:
    """Run the segmentation study on a loaded survey (parameters as ``workbench list``).

    Parameters
    ----------
    survey : SurveyData
        From :func:`~workbench.intake.data.load_survey` (with or without a codebook).
    variables : list of str, optional
        Constructs (scored as the mean of their items, reverse-coded items reversed, by
        :func:`~workbench.studies.loyalty_drivers.score_variables`) and/or numeric columns;
        default every multi-item construct.
    standardize : bool
        z-score each variable on the analysed respondents first.
    missing : {"listwise"}
        Respondents missing any variable are left out and counted.
    method : {"lpa", "kmeans", "lca"}
        Latent profile analysis, k-means, or latent class analysis of the items of the named
        constructs and the named categorical or Likert columns (answers as categories, not
        scored or standardized).
    models, max_k, min_share, restarts, blrt : see ``workbench list``
        Covariance models (default all 14), largest k, smallest segment share the rule
        accepts, random restarts per fit, bootstrap LRT replicates (0 = off).
    stability : int
        Bootstrap re-fits of the chosen solution (0 = off).
    by : str
        A categorical column to cross-tabulate the segments with.
    covariates, distal : list of str
        lpa and lca: columns predicting segment membership, and numeric outcomes whose
        segment means are estimated, both by the bias-corrected three-step method.
    correction : {"BCH", "ML"}
        The three-step correction.
    transactions, member_id : str
        A transactions file whose members' behaviour joins the survey by member id (the
        survey column ``member_id``, default the codebook's ``id``); its features can be
        named in ``variables``.
    attitude : str
        With ``transactions``: the construct of Dick & Basu's relative attitude (default
        ``loyalty`` when the codebook has it).
    outcome, drivers : str, list of str
        The loyalty-drivers model fitted in each segment.
    starts, se_bootstrap : int
        lca: EM starts per k; bootstrap replicates behind the three-step standard errors.
    seed : int
        Seed of the restarts, the bootstraps and the map's sample.
    output_dir : str or Path, optional
        The run's folder: ``segments.csv`` is written there
        (:meth:`SegmentationStudy.write_membership`).

    Returns
    -------
    SegmentationStudy

    Notes
    -----
    ``method="lpa"`` fits every covariance model for k = 1..``max_k`` and keeps the lowest
    :math:`\\mathrm{BIC} = -2\\ell + p\\log n` among the fits whose every segment (modal
    assignment) holds at least ``min_share`` of the respondents; the bootstrap
    likelihood-ratio test is run for the chosen model. ``method="kmeans"`` runs k-means++
    (50 starts) for k = 2..``max_k`` and keeps the highest mean silhouette among the k with
    no segment under ``min_share``. ``method="lca"`` fits latent class models for k =
    1..``max_k`` (:func:`~workbench.segmentation.latent_class_analysis`) and keeps the lowest
    BIC with no class under ``min_share``. Segments are numbered by size. A segment's mean of
    variable :math:`v` is that of its assigned members, with the 95% t interval
    :math:`\\bar x \\pm t_{0.975, n_s - 1} s/\\sqrt{n_s}` (the classification is taken as
    given); its standardized mean :math:`(\\bar x_s - \\bar x)/s_x` uses the mean and SD of
    all analysed respondents, and a variable beyond :math:`\\pm 0.5` SD is a distinctive
    feature. The cross-tab test is Pearson's :math:`\\chi^2` without continuity correction,
    with Cramér's :math:`V = \\sqrt{\\chi^2 / (n(\\min(r, c) - 1))}`.

    References
    ----------
    Fraley, C. & Raftery, A. E. (2002); Scrucca et al. (2016), mclust 5 (R:
    ``mclust::Mclust(X, G = 1:max_k, modelNames = models)``). Nylund, K. L., Asparouhov, T. &
    Muthén, B. O. (2007), on BIC and the bootstrap LRT for choosing k. Hennig, C. (2007),
    cluster-wise stability (R: ``fpc::clusterboot``). R: ``chisq.test(table(segment, by),
    correct = FALSE)``.
    """
    survey, behaviour_columns, link_notes = with_behaviour(survey, transactions, member_id)
    if transactions and not attitude and "loyalty" in survey.codebook.constructs:
        attitude = "loyalty"
    drivers = list(drivers or [])
    _check_links(
        survey,
        {"transactions": transactions, "attitude": attitude, "outcome": outcome,
         "drivers": drivers},
    )  # fmt: skip
    check_inputs(
        survey,
        variables=variables,
        method=method,
        models=models,
        by=by,
        max_k=max_k,
        covariates=covariates,
        distal=distal,
    )
    if missing != "listwise":
        raise InputError(
            f"Study 'segmentation' cannot honour missing={missing}: only listwise is offered.",
            hint="Use missing=listwise (the report counts the respondents it leaves out).",
        )
    names = segmentation_variables(survey, variables)
    covariates, distal = list(covariates or []), list(distal or [])
    indicators: list[str] = []
    if method == "lca":
        cb = survey.codebook
        indicators = lca_indicators(survey, names)
        cols = list(dict.fromkeys([*indicators, *covariates, *distal]))
        complete = survey.frame[cols].notna().all(axis=1)
        frame = survey.frame.loc[complete]
        numeric = [
            c
            for c in indicators
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
        # the profile and names: Likert items as numbers, text categories as 0/1 shares
        dummies = [
            (frame[c].astype(str) == level).astype(float).rename(f"{c}={level}")
            for c in indicators
            if c not in numeric
            for level in sorted(frame[c].astype(str).unique())
        ]
        scores = pd.concat([frame[numeric].astype(float), *dummies], axis=1)
        how = {
            v: f"its {len(cb.constructs[v].items)} items as categorical indicators"
            if v in cb.constructs
            else "a categorical indicator"
            for v in names
        }
        n = int(complete.sum())
    else:
        raw, how = score_variables(survey, names)
        complete = raw.notna().all(axis=1)
        scores = raw.loc[complete].astype(float)
        n = len(scores)
    n_total = survey.n
    _require_complete(n, survey, names)
    warnings: list[str] = [w for w in survey.warnings if "has a single item" not in w]
    warnings += link_notes
    if n < n_total:
        warnings.append(
            f"{n_total - n} of {n_total} respondents did not answer every segmentation "
            "variable"
            + (" (or covariate or distal outcome)" if covariates or distal else "")
            + " and are left out (listwise); MI and FIML treatment of the segmentation "
            "inputs are not offered yet."
        )
    if method == "lca":
        analysed = survey.frame.loc[complete, indicators]
    else:
        analysed = (scores - scores.mean()) / scores.std(ddof=1) if standardize else scores.copy()
    k_max = min(max_k, n - 1)
    selection: MixtureSelection | None = None
    kfits: dict[int, KMeansResult] | None = None
    lca_fit: LCAResult | None = None
    if method == "lca":
        lca_fit = latent_class_analysis(
            survey.frame.loc[complete],
            indicators,
            k_range=range(1, k_max + 1),
            covariates=covariates,
            distal=distal,
            correction="ML" if correction == "ML" else "BCH",
            min_share=min_share,
            max_categories=LCA_MAX_CATEGORIES,
            n_init=starts,
            n_boot=se_bootstrap,
            seed=seed,
        )
        k, model, rule = lca_fit.k, "lca", lca_fit.chosen_by
        labels = lca_fit.classification
        posterior = pd.DataFrame(
            lca_fit.posterior.to_numpy(), columns=pd.RangeIndex(1, k + 1, name="segment")
        )
        uncertainty = np.asarray(lca_fit.uncertainty)
        warnings += list(lca_fit.warnings)

        def refit(d: Any) -> Any:
            return latent_class_analysis(
                d, indicators, k_range=[k], n_init=LCA_REFIT_STARTS, n_boot=0, seed=seed
            )
    elif method == "lpa":
        model_list = list(models or MODELS)
        selection = select_mixture(
            analysed,
            max_k=k_max,
            models=model_list,
            criterion="bic",
            min_share=min_share,
            restarts=restarts,
            n_boot=blrt,
            seed=seed,
        )
        chosen = selection.chosen
        k, model, rule = chosen.k, chosen.model, selection.chosen_by
        new = _relabel_by_size(chosen.classification, k)
        labels = new[chosen.classification - 1]
        post = chosen.posterior.to_numpy()[:, np.argsort(new)]
        posterior = pd.DataFrame(post, columns=pd.RangeIndex(1, k + 1, name="segment"))
        uncertainty = np.asarray(chosen.uncertainty)
        warnings += _condense(list(selection.warnings), k, model)

        def refit(d: Any) -> Any:
            return fit_gaussian_mixture(d, k, model, restarts=0, seed=seed)
    else:
        model = "kmeans"
        kfits = {}
        rng = np.random.default_rng(seed)
        with threadpool_limits(1):  # many small k-means fits: threads only cost time
            for kk in range(2, max(k_max, 2) + 1):
                kfits[kk] = kmeans_segments(
                    analysed, kk, starts=KMEANS_STARTS, seed=int(rng.integers(2**31))
                )
        ok = {kk: f for kk, f in kfits.items() if f.sizes.min() / f.n >= min_share}
        rule = f"highest mean silhouette with no segment under {min_share:.0%} of the members"
        if not ok:
            ok = kfits
            warnings.append(
                f"No k-means solution has every segment at or above {min_share:.0%}"
                "; the rule was relaxed."
            )
        k = max(ok, key=lambda kk: ok[kk].silhouette)
        fit = kfits[k]
        labels = fit.classification
        posterior = pd.DataFrame(
            np.eye(k)[labels - 1], columns=pd.RangeIndex(1, k + 1, name="segment")
        )
        uncertainty = np.zeros(n)
        for f in kfits.values():
            warnings += [w for w in f.warnings if w not in warnings]
        if k == max(kfits) and len(kfits) > 1:
            warnings.append(
                f"The chosen number of segments ({k}) is the largest tried: try a larger max_k."
            )

        def refit(d: Any) -> Any:
            return kmeans_segments(d, k, starts=KMEANS_REFIT_STARTS, seed=seed)

    stab = None
    if stability > 0 and k > 1:
        with threadpool_limits(1):
            stab = segment_stability(
                analysed,
                refit,
                n_boot=stability,
                seed=seed,
                threshold=JACCARD_THRESHOLD,
                reference=labels,
            )
        warnings += list(stab.warnings)
    cross = None
    if by and k > 1:
        cross, notes = _crosstab(survey.frame, by, pd.Series(labels, index=scores.index))
        warnings += notes
    labels_s = pd.Series(np.asarray(labels, dtype=int), index=scores.index)
    links: dict[str, dict[str, Any]] = {}
    behaviour_profile = None
    if transactions and k > 1:
        frame = survey.frame
        if attitude:
            att, _ = score_variables(survey, [attitude])
            types, _ = dick_basu_types(att[attitude], frame["frequency"], frame["monetary"])
            frame = frame.assign(**{DICK_BASU_COLUMN: types})
        for col in (RFM_COLUMN, DICK_BASU_COLUMN):
            if col in frame.columns:
                tab, notes = _crosstab(frame, col, labels_s)
                warnings += notes
                if tab is not None:
                    links[col] = tab
    if transactions:
        shown = [
            c
            for c in survey.frame.columns
            if c in PROFILE_COLUMNS or str(c).startswith("channel_share_")
        ]
        behaviour_profile = _behaviour_profile(survey.frame.loc[scores.index, shown], labels_s)
    cov_table = dist_table = None
    if method == "lpa" and k > 1 and (covariates or distal):
        cov_table, dist_table, notes = three_step_tables(
            posterior.to_numpy(),
            survey.frame.loc[scores.index],
            covariates=covariates,
            distal=distal,
            correction="ML" if correction == "ML" else "BCH",
        )
        warnings += notes
    drivers_fit = None
    if outcome and drivers and k > 1:
        driver_scores, _ = score_variables(survey, [outcome, *drivers])
        try:
            drivers_fit = drivers_by_segment(driver_scores, outcome, drivers, labels_s)
        except InputError as exc:
            warnings.append(f"Drivers per segment: not fitted ({exc.message})")
        else:
            warnings += [f"Drivers per segment: {w}" for w in drivers_fit.warnings]
            overlap = sorted({outcome, *drivers} & set(names))
            if overlap:
                warnings.append(
                    "Drivers per segment: "
                    + ", ".join(overlap)
                    + " also formed the segments, so within a segment their range is cut "
                    "short and the slopes are attenuated; compare segments on drivers they "
                    "were not formed on."
                )
    if k == 1 and (stability > 0 or by):
        warnings.append(
            "One segment was chosen, so there is no stability check"
            + (f" and no cross-tab with {by}" if by else "")
            + "; see the criteria table for the best solutions with more segments."
        )
    points, explained = _pca_points(scores.to_numpy(), labels, seed)
    if len(scores) > MAP_SAMPLE:
        warnings.append(f"The map shows a seeded sample of {MAP_SAMPLE:,} of the {n:,} members.")
    items = [
        i
        for v in names
        if v in survey.codebook.constructs
        for i in survey.codebook.constructs[v].items
    ]
    plain = [v for v in names if v not in survey.codebook.constructs]
    parameters = {
        "variables": list(names),
        "standardize": standardize,
        "missing": missing,
        "method": method,
        "models": list(models or []),
        "max_k": max_k,
        "min_share": min_share,
        "restarts": restarts,
        "blrt": blrt,
        "stability": stability,
        "by": by,
        "covariates": covariates,
        "distal": distal,
        "correction": correction,
        "starts": starts,
        "se_bootstrap": se_bootstrap,
        "transactions": transactions,
        "member_id": member_id,
        "attitude": attitude,
        "outcome": outcome,
        "drivers": drivers,
        "seed": seed,
        "sheet": sheet,
    }
    study = SegmentationStudy(
        survey=survey,
        parameters=parameters,
        method=method,
        variables=tuple(names),
        scoring_notes=how,
        scores=scores,
        analysed=analysed,
        k=k,
        model=model,
        chosen_by=rule,
        classification=np.asarray(labels, dtype=int),
        posterior=posterior,
        uncertainty=uncertainty,
        selection=selection,
        kmeans=kfits,
        stability=stab,
        crosstab=cross,
        map_points=points,
        map_explained=explained,
        missing_report={
            "treatment": missing,
            "n_total": n_total,
            "n_used": n,
            "n_dropped": n_total - n,
        },
        findings=(),
        warning_messages=tuple(dict.fromkeys(i18n.translate(w) for w in warnings)),
        missing_diagnosis=diagnose_missing(
            _coded(survey, plain) if method == "lca" else survey,
            list(dict.fromkeys([*items, *plain])),
            groups=by or None,
        ),
        lca=lca_fit,
        links=links,
        behaviour_profile=behaviour_profile,
        covariate_effects=cov_table,
        distal_means=dist_table,
        drivers_fit=drivers_fit,
        behaviour_columns=tuple(behaviour_columns),
    )
    written = study.write_membership(output_dir)
    return dataclasses.replace(
        study,
        findings=tuple(_findings(study)),
        membership_path=None if written is None else str(written),
    )


# --------------------------------------------------------------------------- findings
def _three_step_findings(
    covariate_effects: pd.DataFrame | None,
    distal_means: pd.DataFrame | None,
    correction: str,
    unit: str = "class",
) -> list[str]:
    """One sentence per covariate term and per distal outcome of the three-step models."""
    out: list[str] = []
    how = tr("three-step, {correction} correction", correction=correction)
    units = i18n.label(unit)
    if covariate_effects is not None:
        eff = covariate_effects.drop(index="intercept", level="term")
        strong = eff[eff["p"] < 0.05]
        if strong.empty:
            out.append(
                tr(
                    "Who is in which {unit} ({how}): no covariate predicts membership at the "
                    "5% level.",
                    unit=units,
                    how=how,
                )
            )
        for (c, term), row in strong.iterrows():
            values = {
                "unit": units,
                "how": how,
                "term": term,
                "segment": c,
                "ratio": f"{row['odds_ratio']:.2f}",
                "low": f"{math.exp(row['ci_low']):.2f}",
                "high": f"{math.exp(row['ci_high']):.2f}",
                "p": f"{row['p']:.3g}",
            }
            out.append(
                tr(
                    "Who is in which {unit} ({how}): {term} raises the odds of {unit} {segment} "
                    "against {unit} 1 (odds ratio {ratio}, 95% CI {low} to {high}, p = {p}).",
                    **values,
                )
                if row["estimate"] > 0
                else tr(
                    "Who is in which {unit} ({how}): {term} lowers the odds of {unit} {segment} "
                    "against {unit} 1 (odds ratio {ratio}, 95% CI {low} to {high}, p = {p}).",
                    **values,
                )
            )
    if distal_means is not None:
        for outcome, part in distal_means.groupby(level="outcome", sort=False):
            means = _join(
                [
                    tr(
                        "{unit} {segment}: {mean} [{low}, {high}]",
                        unit=units,
                        segment=c,
                        mean=f"{row['mean']:.2f}",
                        low=f"{row['ci_low']:.2f}",
                        high=f"{row['ci_high']:.2f}",
                    )
                    for (_, c), row in part.iterrows()
                ]
            )
            out.append(
                tr(
                    "Mean {outcome} by {unit} ({how}, 95% CI): {means}.",
                    outcome=_word(str(outcome)),
                    unit=units,
                    how=how,
                    means=means,
                )
            )
    return out


def _link_findings(s: SegmentationStudy) -> list[str]:
    """Behaviour, RFM and Dick & Basu links, and the drivers per segment, in a sentence each."""
    out: list[str] = []
    names = s.shown_names()
    prof = s.behaviour_profile
    if prof is not None and "frequency" in prof.columns and s.k > 1:
        seg = prof.drop(index="all")
        hi, lo = seg["frequency"].idxmax(), seg["frequency"].idxmin()
        spent = (
            tr(", {amount} spent", amount=f"{seg.loc[hi, 'monetary']:,.0f}")
            if "monetary" in seg.columns
            else ""
        )
        out.append(
            tr(
                "Behaviour: segment {high} ('{high_name}') buys most often ({frequency} purchases "
                "on average{spent}), segment {low} ('{low_name}') least often ({low_frequency}).",
                high=hi,
                high_name=names[int(hi)],
                frequency=f"{seg.loc[hi, 'frequency']:.1f}",
                spent=spent,
                low=lo,
                low_name=names[int(lo)],
                low_frequency=f"{seg.loc[lo, 'frequency']:.1f}",
            )
        )
    db = s.links.get("loyalty_type")
    if db is not None:
        counts = db["counts"]
        share = counts.div(counts.sum(axis=1), axis=0)
        if "true loyalty" in share.columns:
            top = share["true loyalty"].idxmax()
            out.append(
                tr(
                    "Dick & Basu: segment {segment} ('{name}') holds the most truly loyal members "
                    "({share} high on both attitude and repeat purchase; χ²({df}) = {chi2}, "
                    "p = {p}, Cramér's V = {v}).",
                    segment=top,
                    name=names[int(top)],
                    share=f"{share.loc[top, 'true loyalty']:.0%}",
                    df=db["df"],
                    chi2=f"{db['chi2']:.1f}",
                    p=f"{db['p']:.3g}",
                    v=f"{db['cramers_v']:.2f}",
                )
            )
    rfm = s.links.get("rfm_segment")
    if rfm is not None:
        values = {
            "df": rfm["df"],
            "chi2": f"{rfm['chi2']:.1f}",
            "p": f"{rfm['p']:.3g}",
            "v": f"{rfm['cramers_v']:.2f}",
        }
        out.append(
            tr(
                "Segments and RFM segments: related (χ²({df}) = {chi2}, p = {p}, Cramér's V = "
                "{v}): what members think and how recently and often they buy go together.",
                **values,
            )
            if rfm["p"] < 0.05
            else tr(
                "Segments and RFM segments: no evidence they are related (χ²({df}) = {chi2}, "
                "p = {p}, Cramér's V = {v}): what members think and how recently and often they "
                "buy are separate questions here.",
                **values,
            )
        )
    fit = s.drivers_fit
    if fit is not None:
        st = fit.slope_test
        values = {
            "outcome": _word(fit.outcome),
            "drivers": _join([_word(d) for d in fit.drivers]),
            "df1": f"{st['df1']:.0f}",
            "df2": f"{st['df2']:.0f}",
            "F": f"{st['F']:.2f}",
            "p": f"{st['p']:.3g}",
        }
        out.append(
            tr(
                "Drivers of {outcome} per segment: the slopes of {drivers} differ between the "
                "segments (F({df1}, {df2}) = {F}, p = {p}).",
                **values,
            )
            if st["p"] < 0.05
            else tr(
                "Drivers of {outcome} per segment: the slopes of {drivers} do not differ "
                "detectably between the segments (F({df1}, {df2}) = {F}, p = {p}).",
                **values,
            )
        )
    return out


def _findings(s: SegmentationStudy) -> list[str]:
    """Plain-language findings: how many segments, who they are, whether they hold up (in the
    current report language)."""
    out: list[str] = []
    n = s.n_used
    if s.method == "lpa":
        how = tr(
            "latent profile analysis (Gaussian mixture, covariance model {model}: {description})",
            model=s.model,
            description=i18n.label(MODEL_DESCRIPTIONS[s.model]),
        )
    elif s.lca is not None:
        how = tr(
            "latent class analysis of {items} items as categories (StepMix, best of {starts} EM "
            "starts)",
            items=len(s.lca.indicators),
            starts=s.lca.n_init,
        )
    else:
        how = i18n.label("k-means")
    on = _join([_word(v) for v in s.variables])
    rule = i18n.translate(s.chosen_by)
    if s.k == 1:
        out.append(
            tr(
                "No segments: for {n} respondents on {on}, one group fits best by {how} "
                "({rule}). The members differ by degree, not by type.",
                n=n,
                on=on,
                how=how,
                rule=rule,
            )
        )
    else:
        out.append(
            tr(
                "{k} segments of the {n} respondents on {on}, found by {how}; chosen by the "
                "{rule}.",
                k=s.k,
                n=n,
                on=on,
                how=how,
                rule=rule,
            )
        )
        z = s.standardized_means()
        names = s.shown_names()
        for seg in s.sizes.index:
            features = distinctive_features(z.loc[seg], translated=True)
            size = int(s.sizes[seg])
            values = {
                "segment": seg,
                "name": names[int(seg)],
                "size": size,
                "share": f"{size / n:.0%}",
                "features": _join(features),
                "cut": DISTINCTIVE_SD,
            }
            out.append(
                tr(
                    "Segment {segment}, '{name}' ({size} respondents, {share}): {features} "
                    "(standardized means beyond ±{cut} SD of all respondents).",
                    **values,
                )
                if features
                else tr(
                    "Segment {segment}, '{name}' ({size} respondents, {share}): no variable is "
                    "more than {cut} SD from the average.",
                    **values,
                )
            )
    if s.selection is not None and s.selection.blrt is not None:
        table = s.selection.blrt.table
        if s.k in table.index:
            row = table.loc[s.k]
            values = {
                "model": s.model,
                "k": s.k,
                "next": s.k + 1,
                "p": f"{row['p']:.2f}",
                "replicates": int(row["n_boot"]),
            }
            out.append(
                tr(
                    "Bootstrap likelihood-ratio test for {model}: going from {k} to {next} "
                    "segments does not improve the fit significantly (p = {p}, {replicates} "
                    "replicates).",
                    **values,
                )
                if row["p"] >= 0.05
                else tr(
                    "Bootstrap likelihood-ratio test for {model}: going from {k} to {next} "
                    "segments still improves the fit significantly (p = {p}, {replicates} "
                    "replicates); BIC, which penalises the extra parameters, does not ask for it "
                    "(see the criteria table).",
                    **values,
                )
            )
    if s.method == "lpa" and s.k > 1:
        mean_unc = float(np.mean(s.uncertainty))
        entropy = s.selection.chosen.entropy if s.selection is not None else math.nan
        out.append(
            tr(
                "Classification certainty: entropy {entropy} (1 = every respondent clearly in one "
                "segment); mean uncertainty {uncertainty}. Means and sizes count each respondent "
                "in the most probable segment.",
                entropy=f"{entropy:.2f}",
                uncertainty=f"{mean_unc:.2f}",
            )
        )
    if s.lca is not None and s.k > 1:
        entropy = float(s.lca.table.loc[s.k, "entropy"])
        out.append(
            tr(
                "Classification certainty: entropy {entropy} (1 = every respondent clearly in one "
                "class); mean uncertainty {uncertainty}. Sizes count each respondent in the most "
                "probable class; the item-response probabilities are the model's.",
                entropy=f"{entropy:.2f}",
                uncertainty=f"{float(np.mean(s.uncertainty)):.2f}",
            )
        )
        out += _three_step_findings(s.lca.covariate_effects, s.lca.distal_means, s.lca.correction)
    if s.stability is not None:
        st = s.stability
        flagged = st.flagged
        values = {
            "refits": st.ari.size,
            "ari": f"{st.ari_mean:.2f}",
            "threshold": f"{st.threshold:g}",
            "segments": _join([str(x) for x in flagged]),
        }
        out.append(
            tr(
                "Stability: over {refits} bootstrap re-fits the segmentation agrees with itself "
                "at a mean adjusted Rand index of {ari}; every segment replicates (mean Jaccard "
                "≥ {threshold}).",
                **values,
            )
            if not flagged
            else tr(
                "Stability: over {refits} bootstrap re-fits the segmentation agrees with itself "
                "at a mean adjusted Rand index of {ari}; segment(s) {segments} do not replicate "
                "well (mean Jaccard below {threshold}): read them with caution.",
                **values,
            )
        )
    if s.crosstab is not None:
        c = s.crosstab
        values = {
            "by": c["by"],
            "df": c["df"],
            "chi2": f"{c['chi2']:.1f}",
            "p": f"{c['p']:.3g}",
            "v": f"{c['cramers_v']:.2f}",
            "n": c["n"],
        }
        out.append(
            tr(
                "Segments and {by}: they are related (χ²({df}) = {chi2}, p = {p}, Cramér's V = "
                "{v}, n = {n}).",
                **values,
            )
            if c["p"] < 0.05
            else tr(
                "Segments and {by}: no evidence they are related (χ²({df}) = {chi2}, p = {p}, "
                "n = {n}).",
                **values,
            )
        )
    if s.lca is None and (s.covariate_effects is not None or s.distal_means is not None):
        out += _three_step_findings(
            s.covariate_effects, s.distal_means, s.parameters["correction"], unit="segment"
        )
    out += _link_findings(s)
    dropped = s.missing_report["n_dropped"]
    if dropped:
        out.append(
            tr(
                "{dropped} respondents with a missing answer on a segmentation variable were "
                "left out (listwise); they are in no segment.",
                dropped=dropped,
            )
        )
    return out
