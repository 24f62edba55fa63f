"""The factor-analysis study: screening, factorability, number of factors, EFA,
reliability, CFA-based validity, and (optionally) a replication check against R.

:func:`analyse` computes everything the notebook shows and returns a
:class:`FactorAnalysisStudy`; the notebook only displays it.

Missing answers (the ``missing`` parameter): ``fiml`` (the default) keeps every respondent
who answered at least one item: the CFA by full-information maximum likelihood, and KMO,
Bartlett, parallel analysis, MAP, Kaiser, the EFA and reliability from the EM (saturated-model
ML) correlations and covariances. ``listwise`` (how R's complete-case results are reproduced)
and ``pairwise`` stay available. Nothing is ever imputed.

Findings, warnings, notes, table labels and figure text are written in the current report
language (:mod:`workbench.i18n`; the notebook sets it from its ``lang`` parameter); the keys
and values of results.json stay English.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench import i18n
from workbench.errors import InputError
from workbench.i18n import gettext as tr
from workbench.intake.data import SurveyData, complete_cases, require_respondents
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.intake.screening import ScreeningResult, screen_items
from workbench.measurement import factors
from workbench.measurement.scales import ReliabilityResult, reliability
from workbench.presentation.report import check_mark, format_r
from workbench.results import Result, jsonable
from workbench.sem import model as sem
from workbench.sem.ordinal import fit_ordinal_cfa
from workbench.sem.ordinal_reliability import categorical_omega, ordinal_alpha
from workbench.sem.ordinal_view import OrdinalCFAView
from workbench.studies import require_codebook

#: the study's missing-data treatments (the registry's choices), default first
MISSING = ("fiml", "listwise", "pairwise")
#: the CFA's estimators (lavaan's names in lower case), default first; ml and mlr (robust ML)
#: fit :func:`workbench.sem.model.fit_cfa` (with any missing-data treatment), the ordinal ones
#: :func:`workbench.sem.ordinal.fit_ordinal_cfa` on complete cases
ESTIMATORS = ("ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls")
#: the estimators that treat the items as continuous (normal-theory ML, robust or not)
CONTINUOUS_ESTIMATORS = ("ml", "mlr")
ORDINAL_ESTIMATORS = {"wlsmv": "WLSMV", "dwls": "DWLS", "ulsmv": "ULSMV", "uls": "ULS"}
#: which items an ordinal estimator treats as ordered (the registry's choices)
ORDERED = ("auto", "all", "none")
#: how an ordinal CFA scales the items' latent responses (lavaan's parameterization)
PARAMETERIZATIONS = ("delta", "theta")
#: at most this many answer categories for an item to be treated as ordered
MAX_ORDINAL_CATEGORIES = 7
ALPHA_GOOD = 0.70
R_DROP_WEAK = 0.30
KMO_MIN = 0.60
AVE_MIN = 0.50
HTMT_MAX = 0.85
CFI_GOOD, RMSEA_GOOD, SRMR_GOOD = 0.95, 0.06, 0.08
CFI_OK, RMSEA_OK = 0.90, 0.08


@dataclasses.dataclass(frozen=True)
class FactorAnalysisStudy(Result):
    """Everything the factor-analysis report shows.

    Attributes
    ----------
    survey, parameters
        The prepared survey and the parameters used.
    screening, reliability
        :class:`~workbench.intake.screening.ScreeningResult`,
        :class:`~workbench.measurement.scales.ReliabilityResult`.
    kmo, bartlett, parallel, map
        Factorability and number-of-factors results.
    n_factors_chosen, n_factors_rule
        The number of factors extracted and why.
    efa
        :class:`~workbench.measurement.factors.EFAResult`.
    cfa
        :class:`~workbench.sem.model.SEMResult` of the codebook's measurement model
        (``None`` when ``cfa=False`` or fewer than two multi-item constructs); with an
        ordinal estimator an :class:`~workbench.sem.ordinal_view.OrdinalCFAView` (the
        lavaan-named fit in ``cfa.result``).
    cfa_ml
        With an ordinal estimator: the ML CFA on the same complete cases (``None``
        otherwise), for the what-changed sentence.
    item_categories
        With an ordinal estimator: per CFA item, its answer categories and skewness
        (:func:`item_categories`), the basis of the estimator choice.
    missing_report
        The ``missing`` block of results.json: ``treatment``, ``n_total``, ``n_used``
        (respondents with at least one answer under fiml and pairwise, complete cases under
        listwise), ``n_dropped`` and ``analyses`` (per analysis: its method and n).
    correlation_used
        ``pearson`` or ``polychoric``; ``polychoric`` holds its result.
    split
        ``None`` or ``{"seed", "n_efa", "n_cfa"}`` when ``split_half`` is on.
    replication
        Our values beside the reference values, when a reference file is given.
    item_correlations
        The :class:`~workbench.measurement.factors.ItemCorrelations` every factor-analysis
        step used (Pearson; with ``missing=fiml`` the EM correlations and their ``moments``);
        ``None`` with polychoric correlations.
    """

    survey: SurveyData
    parameters: dict[str, Any]
    screening: ScreeningResult
    reliability: ReliabilityResult
    missing_report: dict[str, Any]
    kmo: Any
    bartlett: Any
    parallel: Any
    map: Any
    kaiser: int
    n_factors_chosen: int
    n_factors_rule: str
    efa: Any
    factor_map: pd.DataFrame
    cfa: Any
    cfa_note: str
    polychoric: Any
    split: dict[str, Any] | None
    replication: pd.DataFrame | None
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]
    missing_diagnosis: MissingDiagnosis | None = None
    item_correlations: factors.ItemCorrelations | None = None
    cfa_ml: Any = None
    item_categories: pd.DataFrame | None = None
    # with an ordinal CFA: ordinal alpha and categorical omega per construct
    ordinal_reliability: pd.DataFrame | None = None

    @property
    def ordinal(self) -> bool:
        """Whether the CFA treats the items as ordered (an ordinal estimator was fitted)."""
        return isinstance(self.cfa, OrdinalCFAView)

    @property
    def robust_ml(self) -> bool:
        """Whether the CFA is robust ML (estimator=mlr: scaled test, robust indices)."""
        return isinstance(self.cfa, sem.SEMResult) and self.cfa.estimator == "mlr"

    def to_frame(self) -> pd.DataFrame:
        return self.reliability_table()

    @property
    def n_used(self) -> int:
        return int(self.missing_report["n_used"])

    # ------------------------------------------------------------------ tables
    def missing_table(self) -> pd.DataFrame:
        """Per analysis: how missing answers were treated and how many respondents it used."""
        rows = [
            (
                i18n.label(_ANALYSIS_LABELS.get(name, name)),
                i18n.translate(block["method"]),
                block["n"] if isinstance(block["n"], int) else _n_range(block["n"]),
            )
            for name, block in self.missing_report["analyses"].items()
        ]
        table = pd.DataFrame(rows, columns=["analysis", "treatment", "n"]).set_index("analysis")
        return _shown(table)

    def reliability_table(self) -> pd.DataFrame:
        """Per construct: label, items, n, alpha with CI, omega total, CR, AVE, mean, sd."""
        cb = self.survey.codebook
        table = self.reliability.table.copy()
        table.insert(0, "label", [cb.label(c) if cb.label(c) != c else "" for c in table.index])
        if self.cfa is not None:
            cr = self.cfa.composite_reliability()
            av = self.cfa.ave()
            pos = table.columns.get_loc("omega_total") + 1
            table.insert(pos, "composite_reliability", cr.reindex(table.index))
            table.insert(pos + 1, "ave", av.reindex(table.index))
        if self.ordinal_reliability is not None:
            pos = table.columns.get_loc("omega_total") + 1
            for j, col in enumerate(("ordinal_alpha", "categorical_omega")):
                table.insert(pos + j, col, self.ordinal_reliability[col].reindex(table.index))
        return table

    def reliability_report_table(self) -> pd.DataFrame:
        """:meth:`reliability_table` with its headers in the report's language."""
        return _shown(self.reliability_table())

    def factorability_table(self) -> pd.DataFrame:
        b = self.bartlett
        table = pd.DataFrame(
            {
                "value": [self.kmo.overall, b.chi2, b.df, b.p],
                "meaning": [
                    _kmo_word(self.kmo.overall),
                    "Bartlett's test of sphericity: chi-square",
                    "degrees of freedom",
                    "p < .05 means the items correlate enough to factor",
                ],
            },
            index=["KMO (overall)", "Bartlett chi2", "Bartlett df", "Bartlett p"],
        )
        return _shown(table, values=("meaning",), index_values=True)

    def n_factors_table(self) -> pd.DataFrame:
        rows = [
            ("Parallel analysis (factors, reduced matrix)", self.parallel.n_factors),
            ("Parallel analysis (components)", self.parallel.n_components),
            ("Velicer's MAP", self.map.n_factors),
            ("Kaiser (eigenvalue > 1)", self.kaiser),
            ("Constructs in the codebook", len(self.survey.codebook.constructs)),
        ]
        if self.n_factors_rule not in {r[0] for r in rows}:
            rows.append((self.n_factors_rule, self.n_factors_chosen))
        table = pd.DataFrame(rows, columns=["criterion", "suggests"]).set_index("criterion")
        # a check mark drawn as inline SVG beside the word (a symbol glyph needs a font)
        used = [
            check_mark(i18n.label("used")) if c == self.n_factors_rule else "" for c in table.index
        ]
        table["used"] = pd.Series(used, index=table.index, dtype=object)
        return _shown(table, index_values=True)

    def loadings_table(self) -> pd.DataFrame:
        """Pattern loadings with construct, communality and flags."""
        cb = self.survey.codebook
        load = self.efa.loadings.copy()
        out = pd.DataFrame(index=load.index)
        out["construct"] = [cb.construct_of(i) for i in load.index]
        out = pd.concat([out, load], axis=1)
        out["h2"] = self.efa.communalities
        flags = []
        for item in load.index:
            f = []
            if item in self.efa.heywood:
                f.append("Heywood")
            if item in self.efa.cross_loadings:
                f.append("cross-loads")
            if item in self.efa.weak_items:
                f.append("weak")
            flags.append(", ".join(i18n.label(x) for x in f))
        out["flags"] = flags
        return _shown(out)

    def efa_fit_table(self) -> pd.DataFrame:
        """The EFA's fit as psych reports it."""
        f = self.efa.fit.to_dict()
        return _shown(pd.DataFrame({"value": pd.Series(f)}), index_values=True)

    # rows and columns of these two are the codebook's construct names (data, never
    # translated: a construct may be called "value")
    def fornell_larcker_table(self) -> pd.DataFrame | None:
        return None if self.cfa is None else self.cfa.fornell_larcker()

    def htmt_table(self) -> pd.DataFrame | None:
        if self.cfa is None or len(self.cfa.constructs) < 2:
            return None
        return self.cfa.htmt()

    def residuals_table(self, top: int = 10) -> pd.DataFrame | None:
        if self.cfa is None:
            return None
        table = self.cfa.residual_correlations(top=top)
        if i18n.get_language() != "en":  # the catalogue's "observed" label is a churn rate
            table = table.rename(columns={"observed": "observed correlation"})
        return _shown(table)

    # tables of the screening, missing-data and EFA steps, labelled for the report
    def screening_table(self) -> pd.DataFrame:
        """Per item: answers, missing share and distribution (:func:`screen_items`)."""
        return _shown(self.screening.items)

    def straight_liners_table(self) -> pd.DataFrame:
        """Respondents who gave one identical answer to every item."""
        return _shown(self.screening.straight_liners)

    def respondent_missing_table(self) -> pd.DataFrame:
        """How many respondents miss 0, 1, 2, ... items."""
        return _shown(self.screening.respondent_missing)

    def mcar_table(self) -> pd.DataFrame | None:
        """Little's MCAR test (``None`` without a missing-data diagnosis)."""
        d = self.missing_diagnosis
        return None if d is None else _shown(d.mcar.to_frame(), index_values=True)

    def missing_patterns_table(self, top: int = 10) -> pd.DataFrame | None:
        """The ``top`` most frequent patterns of missing answers."""
        d = self.missing_diagnosis
        if d is None:
            return None
        table = d.pattern_table(top)
        if "other" in table.index:  # the patterns left out, counted in words
            table.loc["other", "missing_items"] = tr(
                "({n} other patterns)", n=len(d.patterns) - top
            )
        return _shown(table, index_values=True)

    def missing_items_table(self) -> pd.DataFrame | None:
        """Per item: how many answers are missing."""
        d = self.missing_diagnosis
        return None if d is None else _shown(d.items)

    def missing_by_group_table(self) -> pd.DataFrame | None:
        """Missing answers by group (``None`` without a group column)."""
        d = self.missing_diagnosis
        return None if d is None else _shown(d.by_group)

    def factor_map_table(self) -> pd.DataFrame:
        """Each construct's dominant factor (:func:`map_factors_to_constructs`)."""
        return _shown(self.factor_map)

    def variance_table(self) -> pd.DataFrame:
        """Variance explained by each factor."""
        return _shown(self.efa.variance, index_values=True)

    def factor_correlations_table(self) -> pd.DataFrame | None:
        """Factor correlations of an oblique rotation (``None`` when orthogonal)."""
        return _shown(self.efa.phi)

    def structure_table(self) -> pd.DataFrame | None:
        """Structure matrix of an oblique rotation (``None`` when orthogonal)."""
        return _shown(self.efa.structure)

    def item_stats_table(self) -> pd.DataFrame:
        """Corrected item-total correlation and alpha if deleted, per construct and item."""
        return _shown(self.reliability.item_stats)

    def replication_table(self) -> pd.DataFrame | None:
        """This run's values beside R's (``None`` without a reference file)."""
        if self.replication is None:
            return None
        table = self.replication.rename(index=_replication_quantity)
        return _shown(table.rename_axis(self.replication.index.name))

    def modification_table(self, top: int = 10) -> pd.DataFrame | None:
        """Largest modification indices (``None`` without a CFA), as lavaan ``modindices()``:
        for a FIML CFA from the expected information of the incomplete data, for an ordinal
        CFA (WLSMV, DWLS, ULSMV, ULS) from the expected information of the DWLS (ULS) fit
        (:func:`~workbench.sem.ordinal_modindices.ordinal_modification_indices`)."""
        if self.cfa is None:
            return None
        return _shown(self.cfa.modification_indices(top=top))

    @property
    def modification_note(self) -> str:
        """Why the modification-index table is empty, when it is."""
        if self.cfa is None:
            return tr("No CFA in this run.")
        return tr("No modification index to show.")

    @property
    def modification_basis_note(self) -> str:
        """What the modification indices of an ordinal CFA test ("" otherwise)."""
        if self.cfa is None or not self.ordinal:
            return ""
        return tr(
            "Under {estimator} each modification index is a score test against the unscaled "
            "DWLS chi-square, from the expected information of the fit (as lavaan "
            "modindices(); there is no scaled version): read it as a pointer to a missing "
            "cross-loading or residual correlation, not as a test.",
            estimator=self.cfa.estimator,
        )

    @property
    def estimator_note(self) -> str:
        """Which CFA estimator was used and why (category counts and skew of the items)."""
        if self.cfa is None:
            return tr("No CFA in this run.")
        cats = self.item_categories
        if self.robust_ml:
            return tr(
                "The CFA treats the items as continuous and uses robust maximum likelihood "
                "(estimator=mlr, lavaan's MLR): the ML estimates, with standard errors "
                "(Huber-White sandwich) and a chi-square (Yuan-Bentler scaled) that do not "
                "assume normally distributed answers; skewed or heavy-tailed items inflate the "
                "plain chi-square and shrink the plain standard errors. For Likert items with "
                "at most {max} categories, estimator=wlsmv with missing=listwise treats them "
                "as ordered.",
                max=MAX_ORDINAL_CATEGORIES,
            )
        if not self.ordinal or cats is None:
            return tr(
                "The CFA treats the items as continuous (maximum likelihood on Pearson "
                "covariances; estimator=ml). For Likert items with at most {max} categories, "
                "estimator=wlsmv with missing=listwise treats them as ordered.",
                max=MAX_ORDINAL_CATEGORIES,
            )
        return tr(
            "{sentence} {next}",
            sentence=self._ordinal_categories_sentence(),
            next=tr(
                "With few categories or skewed answers, ML on Pearson covariances understates "
                "loadings and misjudges fit; the ordinal estimator models each item as a "
                "cut-up normal variable."
            ),
        )

    def _ordinal_categories_sentence(self) -> str:
        """The ordinal CFA's items: categories among the complete cases and skewness."""
        table = self.item_categories
        if table is None:  # only called with an ordinal CFA, which has its item categories
            return ""
        ordered = table["ordered"] if "ordered" in table else pd.Series(True, table.index)
        cats = table[ordered.astype(bool)]
        continuous = [str(i) for i in table.index[~ordered.astype(bool)]]
        low, high = int(cats["categories"].min()), int(cats["categories"].max())
        n_cat = str(low) if low == high else tr("{low} to {high}", low=low, high=high)
        skew = cats["skew"].abs()
        return tr(
            "The CFA treats the {n} items as ordered categories ({estimator}): each has "
            "{n_cat} answer categories among the complete cases (at most {max}, so thresholds "
            "and polychoric correlations can be estimated), and |skewness| reaches {skew} "
            "({item}; {beyond} beyond 1).",
            n=len(cats),
            estimator=self.cfa.estimator,
            n_cat=n_cat,
            max=MAX_ORDINAL_CATEGORIES,
            skew=f"{skew.max():.2f}",
            item=skew.idxmax(),
            beyond=_count_words(int((skew > 1).sum())),
        ) + (
            " "
            + tr(
                "The other {n} CFA items ({names}) are treated as continuous, as lavaan does "
                "with the items its ordered= leaves out: their means and variances, Pearson "
                "correlations with each other and polyserial correlations with the ordered "
                "items enter the fit, and the robust CFI, TLI and RMSEA (defined for ordered "
                "items only) are not available.",
                n=len(continuous),
                names=", ".join(continuous),
            )
            if continuous
            else ""
        )

    def estimator_table(self) -> pd.DataFrame | None:
        """Per CFA item: answer categories, scale points and skewness (ordinal CFA only)."""
        return None if self.item_categories is None else _shown(self.item_categories)

    @property
    def cfa_fit_note(self) -> str:
        """Which fit indices the verdict reads."""
        if self.cfa is None:
            return tr("No CFA in this run.")
        if self.robust_ml:
            return tr(
                "The test is the Yuan-Bentler scaled chi-square (lavaan's MLR, Mplus variant); "
                "the verdict uses the robust CFI, TLI and RMSEA (Brosseau-Liard, Savalei & Li "
                "2012; Brosseau-Liard & Savalei 2014{after_fiml}), which estimate the "
                "population fit free of the non-normality. The plain column is normal-theory "
                "ML, the scaled one divides the chi-square by the scaling factor; SRMR does not "
                "depend on the estimator.",
                after_fiml=tr("; after FIML, Savalei 2018") if self.cfa.missing == "fiml" else "",
            )
        if not self.ordinal:
            return tr("Maximum-likelihood chi-square and fit indices (lavaan's conventions).")
        basis = self.cfa.fit_basis
        which = {
            "robust": tr(
                "the robust CFI, TLI and RMSEA (Savalei 2021), which estimate the population "
                "fit of the latent-response model"
            ),
            "scaled": tr("the scaled CFI, TLI and RMSEA (the robust ones are not available here)"),
            "standard": tr("the plain CFI, TLI and RMSEA (no robust test with this estimator)"),
        }[basis]
        test = (
            tr("scaled-shifted chi-square (Asparouhov & Muthen 2010)")
            if self.cfa.result.test == "scaled.shifted"
            else tr("mean-and-variance adjusted chi-square")
            if self.cfa.result.test == "mean.var.adjusted"
            else tr("chi-square")
        )
        return tr(
            "The test is the {test}; the verdict uses {which}. The plain and scaled columns "
            "are shown as lavaan reports them; SRMR is the root mean square residual "
            "polychoric correlation.",
            test=test,
            which=which,
        )

    @property
    def reliability_note(self) -> str:
        """On which scale CR and AVE are computed."""
        if self.ordinal:
            return tr(
                "Alpha and omega total treat the answers as numbers (the observed scores, "
                "Pearson correlations). Ordinal alpha is alpha on the polychoric correlations "
                "(Zumbo, Gadermann & Zeisser 2007), and categorical omega is the reliability of "
                "the observed sum score implied by the ordinal CFA (Green & Yang 2009; semTools "
                "compRelSEM(fit, ord.scale = TRUE)). Composite reliability and AVE come from "
                "the ordinal CFA on the latent-response (polychoric) scale, as semTools "
                "compRelSEM(fit, ord.scale = FALSE) and AVE(fit): the reliability of the "
                "items' underlying continuous responses, not of the observed sum score."
            )
        if self.cfa is None:
            return tr("No CFA in this run, so no composite reliability or AVE.")
        return tr("Composite reliability and AVE come from the ML CFA (semTools compRelSEM, AVE).")

    def cfa_fit_table(self) -> pd.DataFrame | None:
        """The CFA's fit indices with a reading of each (plain, scaled and robust columns
        for estimator=mlr and the ordinal estimators)."""
        if self.cfa is None:
            return None
        if self.ordinal:
            table = self._ordinal_fit_table()
        elif self.robust_ml:
            table = self._robust_ml_fit_table()
        else:
            table = self._ml_fit_table()
        return _shown(table, values=("reading",), index_values=True)

    def _ml_fit_table(self) -> pd.DataFrame:
        """Fit of the ML CFA, lavaan's indices."""
        f = self.cfa.fit
        rows = [
            ("n", f["n"], ""),
            ("chi2", f["chi2"], ""),
            ("df", f["df"], ""),
            ("p", f["p"], "p > .05: exact fit not rejected (rare with large n)"),
            ("CFI", f["cfi"], _judge(f["cfi"], CFI_GOOD, CFI_OK, higher=True)),
            ("TLI", f["tli"], _judge(f["tli"], CFI_GOOD, CFI_OK, higher=True)),
            ("RMSEA", f["rmsea"], _judge(f["rmsea"], RMSEA_GOOD, RMSEA_OK, higher=False)),
            ("RMSEA 90% CI low", f["rmsea_ci_low"], ""),
            ("RMSEA 90% CI high", f["rmsea_ci_high"], ""),
            ("SRMR", f["srmr"], _judge(f["srmr"], SRMR_GOOD, 0.10, higher=False)),
            ("AIC", f["aic"], ""),
            ("BIC", f["bic"], ""),
        ]
        return pd.DataFrame(rows, columns=["index", "value", "reading"]).set_index("index")

    def _robust_ml_fit_table(self) -> pd.DataFrame:
        """Fit of the MLR CFA: plain (ML), scaled and robust columns, as lavaan reports them."""
        f = self.cfa.fit
        nan = np.nan

        def g(key: str) -> float:
            return float(f.get(key, nan))

        def read(index: str, good: float, ok: float, higher: bool) -> str:
            return _judge(g(f"{index}_robust"), good, ok, higher=higher)

        rows = [
            ("n", f["n"], nan, nan, ""),
            ("chi2", g("chi2"), g("chi2_scaled"), nan, "scaled: Yuan-Bentler (MLR)"),
            ("df", g("df"), g("df_scaled"), nan, ""),
            ("p", g("p"), g("p_scaled"), nan, "p > .05: exact fit not rejected"),
            ("scaling factor", nan, g("scaling_factor"), nan, "chi2 / scaled chi2"),
            (
                "CFI",
                g("cfi"),
                g("cfi_scaled"),
                g("cfi_robust"),
                read("cfi", CFI_GOOD, CFI_OK, True),
            ),
            (
                "TLI",
                g("tli"),
                g("tli_scaled"),
                g("tli_robust"),
                read("tli", CFI_GOOD, CFI_OK, True),
            ),
            (
                "RMSEA",
                g("rmsea"),
                g("rmsea_scaled"),
                g("rmsea_robust"),
                read("rmsea", RMSEA_GOOD, RMSEA_OK, False),
            ),
            (
                "RMSEA 90% CI low",
                g("rmsea_ci_low"),
                g("rmsea_ci_low_scaled"),
                g("rmsea_ci_low_robust"),
                "",
            ),
            (
                "RMSEA 90% CI high",
                g("rmsea_ci_high"),
                g("rmsea_ci_high_scaled"),
                g("rmsea_ci_high_robust"),
                "",
            ),
            ("SRMR", g("srmr"), nan, nan, _judge(g("srmr"), SRMR_GOOD, 0.10, higher=False)),
            ("AIC", g("aic"), nan, nan, ""),
            ("BIC", g("bic"), nan, nan, ""),
        ]
        table = pd.DataFrame(rows, columns=["index", "plain", "scaled", "robust", "reading"])
        return table.set_index("index")

    def _ordinal_fit_table(self) -> pd.DataFrame:
        """Fit of the ordinal CFA: plain, scaled and robust columns, lavaan's values."""
        f = self.cfa.result.fit
        basis = self.cfa.fit_basis
        nan = np.nan

        def g(key: str) -> float:
            return float(f.get(key, nan))

        def read(index: str, good: float, ok: float, higher: bool) -> str:
            key = index if basis == "standard" else f"{index}.{basis}"
            return _judge(g(key), good, ok, higher=higher)

        rows = [
            ("n", self.cfa.n, nan, nan, ""),
            ("chi2", g("chisq"), g("chisq.scaled"), nan, "scaled: scaled-shifted test"),
            ("df", g("df"), g("df.scaled"), nan, ""),
            ("p", g("pvalue"), g("pvalue.scaled"), nan, "p > .05: exact fit not rejected"),
            (
                "CFI",
                g("cfi"),
                g("cfi.scaled"),
                g("cfi.robust"),
                read("cfi", CFI_GOOD, CFI_OK, True),
            ),
            (
                "TLI",
                g("tli"),
                g("tli.scaled"),
                g("tli.robust"),
                read("tli", CFI_GOOD, CFI_OK, True),
            ),
            (
                "RMSEA",
                g("rmsea"),
                g("rmsea.scaled"),
                g("rmsea.robust"),
                read("rmsea", RMSEA_GOOD, RMSEA_OK, False),
            ),
            (
                "RMSEA 90% CI low",
                g("rmsea.ci.lower"),
                g("rmsea.ci.lower.scaled"),
                g("rmsea.ci.lower.robust"),
                "",
            ),
            (
                "RMSEA 90% CI high",
                g("rmsea.ci.upper"),
                g("rmsea.ci.upper.scaled"),
                g("rmsea.ci.upper.robust"),
                "",
            ),
            ("SRMR", g("srmr"), nan, nan, _judge(g("srmr"), SRMR_GOOD, 0.10, higher=False)),
        ]
        table = pd.DataFrame(rows, columns=["index", "plain", "scaled", "robust", "reading"])
        return table.set_index("index")

    def std_loadings_table(self) -> pd.DataFrame | None:
        if self.cfa is None:
            return None
        est = self.cfa.estimates
        load = est[est["op"] == "=~"][["lhs", "rhs", "std_all", "std_se", "estimate", "se", "p"]]
        load = load.rename(columns={"lhs": "construct", "rhs": "item"}).reset_index(drop=True)
        return _shown(load)

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        """The study's own results.json keys (a contract: see the issue)."""
        rel = {}
        table = self.reliability_table()
        for name, row in table.iterrows():
            rel[str(name)] = {
                "alpha": row["alpha"],
                "alpha_ci_low": row["alpha_ci_low"],
                "alpha_ci_high": row["alpha_ci_high"],
                "omega_total": row["omega_total"],
                # with an ordinal CFA (estimator != ml): Zumbo et al. and Green & Yang
                **{k: row[k] for k in ("ordinal_alpha", "categorical_omega") if k in row},
                "composite_reliability": row.get("composite_reliability"),
                "ave": row.get("ave"),
                "std_alpha": row["std_alpha"],
                "n": row["n"],
                "n_items": row["n_items"],
                "mean": row["mean"],
                "sd": row["sd"],
            }
        efa = self.efa
        out: dict[str, Any] = {
            "screening": self.screening.to_dict(),
            "correlation": self.parameters["correlation"],
            "kmo": {"overall": self.kmo.overall, "items": self.kmo.items.to_dict()},
            "bartlett": {"chi2": self.bartlett.chi2, "df": self.bartlett.df, "p": self.bartlett.p},
            "n_factors": {
                "chosen": self.n_factors_chosen,
                "rule": self.n_factors_rule,
                "parallel_analysis": self.parallel.n_factors,
                "parallel_analysis_components": self.parallel.n_components,
                "map": self.map.n_factors,
                "kaiser": self.kaiser,
            },
            "efa": {
                "method": efa.method,
                "rotation": efa.rotation,
                "n_factors": efa.n_factors,
                "n_obs": efa.n_obs,
                "loadings": efa.loadings.to_dict(orient="index"),
                "structure": None
                if efa.structure is None
                else efa.structure.to_dict(orient="index"),
                "factor_correlations": None if efa.phi is None else efa.phi.to_dict(orient="index"),
                "communalities": efa.communalities.to_dict(),
                "variance": efa.variance.to_dict(orient="index"),
                "fit": efa.fit.to_dict(),
                "heywood": list(efa.heywood),
                "cross_loadings": list(efa.cross_loadings),
                "weak_items": list(efa.weak_items),
            },
            "reliability": rel,
            "item_total": _item_total_dict(self.reliability.item_stats),
            "cfa": None,
            "split_half": self.split,
        }
        if self.cfa is not None:
            f = self.cfa.fit
            out["cfa"] = {
                "fit": {k: f[k] for k in sem.FIT_KEYS},
                "std_loadings": dict(self.cfa.std_loadings),
                "htmt": self.cfa.htmt().to_dict(orient="index")
                if len(self.cfa.constructs) > 1
                else {},
                "fornell_larcker": self.cfa.fornell_larcker().to_dict(orient="index"),
                "constructs": {k: list(v) for k, v in self.cfa.constructs.items()},
                "warnings": list(self.cfa.warnings),
                "estimator": self.parameters.get("estimator", "ml"),
                "fit_ordinal": None,
                # estimator=mlr: the scaled and robust indices (sem.ROBUST_FIT_KEYS)
                "fit_robust": {k: f[k] for k in sem.ROBUST_FIT_KEYS} if self.robust_ml else None,
            }
            if self.ordinal:
                out["cfa"]["fit_ordinal"] = dict(self.cfa.result.fit)
                out["cfa"]["fit_basis"] = self.cfa.fit_basis
                out["cfa"]["reliability_scale"] = "latent_response"
                out["cfa"]["ml_comparison"] = self._ml_comparison()
                # the CFA items the ordinal estimator left continuous (lavaan's ordered=)
                out["cfa"]["continuous_items"] = list(self.cfa.result.sample_stats.continuous)
        if self.replication is not None:
            out["replication"] = self.replication.reset_index().to_dict(orient="records")
        out["missing_diagnosis"] = (
            None if self.missing_diagnosis is None else self.missing_diagnosis.to_dict()
        )
        return jsonable(out)

    def _ml_comparison(self) -> dict[str, Any] | None:
        """The ordinal CFA beside the ML CFA on the same complete cases (``None`` without)."""
        if not self.ordinal or self.cfa_ml is None:
            return None
        ml, od = self.cfa_ml, self.cfa
        return {
            "n": int(ml.n),
            "cfi_ml": ml.fit["cfi"],
            "cfi_ordinal": od.fit["cfi"],
            "rmsea_ml": ml.fit["rmsea"],
            "rmsea_ordinal": od.fit["rmsea"],
            "mean_std_loading_ml": float(np.mean(list(ml.std_loadings.values()))),
            "mean_std_loading_ordinal": float(np.mean(list(od.std_loadings.values()))),
            "ordinal_basis": od.fit_basis,
        }

    def headline(self) -> dict[str, Any]:
        table = self.reliability.table.dropna(subset=["alpha"])
        out: dict[str, Any] = {
            "respondents": self.screening.n_respondents,
            "factors": self.n_factors_chosen,
        }
        if len(table):
            out["alpha range"] = f"{table['alpha'].min():.2f}–{table['alpha'].max():.2f}"
        if self.robust_ml:
            f = self.cfa.fit
            out["CFA CFI / RMSEA (robust)"] = f"{f['cfi_robust']:.3f} / {f['rmsea_robust']:.3f}"
        elif self.cfa is not None:
            out["CFA CFI / RMSEA"] = f"{self.cfa.fit['cfi']:.3f} / {self.cfa.fit['rmsea']:.3f}"
            out["CFA respondents"] = self.cfa.n
        out["missing answers"] = _TREATMENT_WORDS[self.parameters["missing"]]
        return out

    # ------------------------------------------------------------------ figures
    def distribution_figure(self):
        """Response distribution of every item (interactive)."""
        from workbench.presentation.plots import response_distribution

        if self.screening.distribution is None:
            return None
        return response_distribution(self.screening.distribution, self.survey.codebook.labels)

    def scree_figure(self):
        """Observed vs simulated eigenvalues (interactive)."""
        from workbench.presentation.plots import scree_plot

        return scree_plot(self.parallel.eigenvalues, n_factors=self.n_factors_chosen)

    def loadings_figure(self):
        """Pattern loadings heatmap with item labels (static; Chinese-safe)."""
        from workbench.presentation.plots import figure_labels, loadings_heatmap

        cb = self.survey.codebook
        items = list(self.efa.loadings.index)
        labels, _ = figure_labels(items, [_item_label(cb, i) for i in items])
        return loadings_heatmap(self.efa.loadings, labels=labels)

    def reliability_figure(self):
        """Alpha with its CI and omega per construct (interactive)."""
        from workbench.presentation.plots import reliability_chart

        return reliability_chart(self.reliability_table().reset_index(), threshold=ALPHA_GOOD)

    def correlation_figure(self):
        """Item correlation heatmap with item labels (static; Chinese-safe)."""
        from workbench.presentation.plots import correlation_heatmap, figure_labels

        cb = self.survey.codebook
        ic = self.item_correlations
        if self.polychoric is not None:
            corr = self.polychoric.corr
        elif ic is not None:
            corr = pd.DataFrame(ic.r, index=list(ic.items), columns=list(ic.items))
        else:
            corr = self.survey.items.corr()
        items = [i for i in cb.items if i in corr.index]
        labels, _ = figure_labels(items, [_item_label(cb, i) for i in items])
        how = "EM" if ic is not None and ic.missing == "em" else (ic.missing if ic else "")
        which = str(i18n.label(self.parameters["correlation"]))
        title = tr(
            "Item correlations ({which})",
            which=which + (", " + str(i18n.label(how)) if how else ""),
        )
        return correlation_heatmap(corr.loc[items, items], labels=labels, title=title)


def _replication_quantity(quantity: str) -> str:
    """A row of the replication table in the report's language (construct names kept)."""
    found = i18n.label(quantity)
    if found != quantity:
        return str(found)
    for prefix in ("alpha", "omega total"):
        if quantity.startswith(prefix + ": "):
            return f"{i18n.label(prefix)}: {quantity[len(prefix) + 2 :]}"
    if quantity.startswith("EFA "):
        return f"{i18n.label('EFA')} {quantity[4:]}"
    return quantity


def _shown(frame: Any, **kwargs: Any) -> Any:
    """A table for the report: headers and package labels in the report's language
    (:func:`workbench.i18n.translate_frame` with ``kwargs``), yes/no for true/false cells
    outside English. ``None`` stays ``None``; in English the frame is returned as it is."""
    out = i18n.translate_frame(frame, **kwargs)
    if out is None or i18n.get_language() == "en":
        return out
    for j in range(out.shape[1]):
        column = out.iloc[:, j]
        if column.dtype == bool:
            out.isetitem(j, [i18n.label("yes") if v else i18n.label("no") for v in column])
    return out


_TREATMENT_WORDS = {
    "fiml": "FIML (CFA) and EM correlations (EFA, reliability)",
    "listwise": "listwise deletion",
    "pairwise": "pairwise deletion",
}


_ANALYSIS_LABELS = {
    "factor_analysis": "KMO, Bartlett, parallel analysis, MAP, Kaiser, EFA",
    "reliability": "Reliability (alpha, omega; n per construct)",
    "cfa": "CFA",
}


def _count_words(k: int) -> str:
    return tr("no item") if k == 0 else i18n.ngettext("{n} item", "{n} items", k)


def _n_range(values: dict[str, int]) -> str:
    low, high = min(values.values()), max(values.values())
    return str(low) if low == high else f"{low}–{high}"


def _item_label(cb, item: str) -> str:
    return f"{item} {cb.labels[item]}" if item in cb.labels else item


def _item_total_dict(stats: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for (construct, item), row in stats.iterrows():
        out.setdefault(str(construct), {})[str(item)] = jsonable(dict(row))
    return out


def _kmo_word(value: float) -> str:
    # Kaiser (1974)'s labels
    for bound, word in (
        (0.9, "marvelous"),
        (0.8, "meritorious"),
        (0.7, "middling"),
        (0.6, "mediocre"),
        (0.5, "miserable"),
    ):
        if value >= bound:
            return tr("Kaiser-Meyer-Olkin sampling adequacy: {word}", word=i18n.label(word))
    return tr("Kaiser-Meyer-Olkin sampling adequacy: {word}", word=i18n.label("unacceptable"))


def _judge(value: float, good: float, ok: float, *, higher: bool) -> str:
    if value is None or not np.isfinite(value):
        return ""
    if higher:
        return "good" if value >= good else "acceptable" if value >= ok else "poor"
    return "good" if value <= good else "acceptable" if value <= ok else "poor"


def map_factors_to_constructs(
    loadings: pd.DataFrame, constructs: dict[str, list[str]]
) -> pd.DataFrame:
    """Which factor each construct's items load on most.

    For every construct with two or more items: its dominant factor (where
    most of its items have their largest absolute loading), how many of its
    items load there, and whether the factor is shared with another construct.
    """
    primary = loadings.abs().idxmax(axis=1)
    rows = []
    for name, items in constructs.items():
        items = [i for i in items if i in loadings.index]
        if len(items) < 2:
            continue
        counts = primary.loc[items].value_counts()
        rows.append(
            {
                "construct": name,
                "factor": counts.index[0],
                "items_on_factor": int(counts.iloc[0]),
                "n_items": len(items),
                "stray_items": ", ".join(i for i in items if primary[i] != counts.index[0]),
            }
        )
    table = pd.DataFrame(rows).set_index("construct") if rows else pd.DataFrame()
    if len(table):
        shared = table["factor"].map(table["factor"].value_counts()) > 1
        table["shares_factor"] = shared
    return table


def ordered_setting(ordered: str | Sequence[str] | None) -> str | list[str]:
    """The ``ordered`` parameter as the word ``auto``, ``all`` or ``none``, or a list of items.

    lavaan's ``ordered=`` names the ordered items; the registry's ``ordered`` is a list, with
    a one-element list (or a bare word) ``auto``, ``all`` or ``none`` meaning that word.

    Raises
    ------
    InputError
        A list that mixes one of the words with item names.

    Examples
    --------
    >>> ordered_setting(["auto"]), ordered_setting("all"), ordered_setting(["q1", "q2"])
    ('auto', 'all', ['q1', 'q2'])
    """
    if ordered is None or ordered == "" or (not isinstance(ordered, str) and not len(ordered)):
        return "auto"
    words = [ordered] if isinstance(ordered, str) else [str(o) for o in ordered]
    if len(words) == 1 and words[0] in ORDERED:
        return words[0]
    mixed = [w for w in words if w in ORDERED]
    if mixed:
        raise InputError(
            f"ordered={words} mixes the word '{mixed[0]}' with item names.",
            hint="Give either one of the words auto, all or none, or the list of the items "
            "to treat as ordered (e.g. ordered=[q1, q2, q3]).",
        )
    return words


def check_ordered_items(
    ordered: str | list[str],
    cfa_items: Sequence[str],
    known: Sequence[str],
    *,
    file: str | None = None,
) -> str:
    """Check a list of ordered items against the survey's items; return the word for
    :func:`check_ordinal_items` (``all`` for a list, else the word itself). CFA items left
    out of the list are continuous (:func:`ordinal_item_table`).

    Parameters
    ----------
    ordered : str or list of str
        As :func:`ordered_setting` returns it.
    cfa_items : sequence of str
        The CFA's items.
    known : sequence of str
        Every item of the survey (an ordered item must be one of them).
    file : str, optional
        The data file, for the message.

    Raises
    ------
    InputError
        An unknown item (named).
    """
    if isinstance(ordered, str):
        return ordered
    unknown = [o for o in ordered if o not in known]
    if unknown:
        raise InputError(
            f"ordered names {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} "
            "not an item of the survey.",
            file=file,
            column=unknown[0],
            hint=f"List items of the codebook (the CFA's: {', '.join(cfa_items)}), or use "
            "ordered=auto or ordered=all.",
        )
    return "all"


def check_estimator(
    estimator: str,
    missing: str,
    ordered: str | list[str] = "auto",
    *,
    file: str | None = None,
    parameterization: str = "delta",
) -> None:
    """Refuse an unknown CFA estimator or a combination the study cannot fit.

    Parameters
    ----------
    estimator : str
        ``"ml"``, ``"mlr"``, ``"wlsmv"``, ``"dwls"``, ``"ulsmv"`` or ``"uls"``.
    missing : str
        The missing-data treatment; the ordinal estimators take ``"listwise"`` only.
    ordered : str or list of str
        ``"auto"``, ``"all"`` or ``"none"``, or a list of items (:func:`ordered_setting`;
        checked against the CFA's items by :func:`check_ordered_items`).
    file : str, optional
        The data file, for the message.
    parameterization : str
        ``"delta"`` or ``"theta"`` (lavaan's; for the ordinal estimators only).

    Raises
    ------
    InputError
        An unknown value; ``missing=fiml`` or ``pairwise`` with an ordinal estimator (the
        ordinal CFA uses complete cases, as lavaan does for ordered data: it has no FIML
        or pairwise version here); ``ordered=none`` with an ordinal estimator (WLSMV on
        continuous items is not offered); ``ordered=all`` or ``parameterization=theta``
        with ``estimator=ml`` or ``mlr``.

    Examples
    --------
    >>> check_estimator("wlsmv", "listwise")
    >>> check_estimator("mlr", "fiml")
    >>> check_estimator("wlsmv", "fiml")
    Traceback (most recent call last):
    ...
    workbench.errors.InputError: estimator=wlsmv cannot be used with missing=fiml: ...
    """
    if estimator not in ESTIMATORS:
        raise InputError(
            f"Unknown CFA estimator '{estimator}' for the factor-analysis study.",
            file=file,
            hint=f"Use estimator={' or estimator='.join(ESTIMATORS)}.",
        )
    if isinstance(ordered, str) and ordered not in ORDERED:
        raise InputError(
            f"Unknown value ordered={ordered} for the factor-analysis study.",
            file=file,
            hint=f"Use ordered={' or ordered='.join(ORDERED)}.",
        )
    if parameterization not in PARAMETERIZATIONS:
        raise InputError(
            f"Unknown value parameterization={parameterization} for the factor-analysis study.",
            file=file,
            hint=f"Use parameterization={' or parameterization='.join(PARAMETERIZATIONS)}.",
        )
    if estimator == "uls" and parameterization == "theta":
        raise InputError(
            "parameterization=theta cannot be used with estimator=uls: lavaan's ULS is "
            "offered here in the delta parameterization only.",
            file=file,
            hint="Use estimator=ulsmv (the same estimates, robust standard errors) with "
            "parameterization=theta, or leave parameterization=delta.",
        )
    if estimator in CONTINUOUS_ESTIMATORS:
        if parameterization == "theta":
            raise InputError(
                f"parameterization=theta cannot be used with estimator={estimator}: it scales "
                "the latent responses of ordered items, and maximum likelihood treats the "
                "items as continuous.",
                file=file,
                hint="Use estimator=wlsmv (or dwls, ulsmv) with missing=listwise, or leave "
                "parameterization=delta.",
            )
        if ordered == "all" or not isinstance(ordered, str):
            raise InputError(
                f"ordered={ordered} cannot be used with estimator={estimator}: maximum likelihood "
                "treats the items as continuous.",
                file=file,
                hint="Use estimator=wlsmv (or dwls, ulsmv) with missing=listwise to treat the "
                "items as ordered, or leave ordered=auto.",
            )
        return
    if missing != "listwise":
        raise InputError(
            f"estimator={estimator} cannot be used with missing={missing}: the ordinal CFA "
            "is fitted to the thresholds and polychoric correlations of the complete cases "
            "(lavaan's default for ordered data); it has no FIML or pairwise version here.",
            file=file,
            hint=f"Add --param missing=listwise to fit the ordinal CFA (estimator={estimator}) "
            "on the respondents who answered every item, or keep estimator=ml (or mlr, "
            f"robust to non-normal answers) with missing={missing}.",
        )
    if ordered == "none":
        raise InputError(
            f"ordered=none cannot be used with estimator={estimator}: {estimator.upper()} on "
            "continuous items is not offered.",
            file=file,
            hint=f"Use ordered=auto (or all) with estimator={estimator}, or estimator=ml to "
            "treat the items as continuous.",
        )


def item_categories(items: pd.DataFrame, scale: Any = None) -> pd.DataFrame:
    """Per item: answer categories used and skewness, the basis of the estimator choice.

    Parameters
    ----------
    items : pandas.DataFrame
        The answers the CFA uses (complete cases for an ordinal estimator).
    scale : Scale, optional
        The codebook's answer scale (``min``, ``max``).

    Returns
    -------
    pandas.DataFrame
        Index: item. Columns ``categories`` (distinct answers observed), ``scale_categories``
        (points on the codebook's scale, NaN without one), ``skew`` (sample skewness,
        pandas' adjusted Fisher-Pearson coefficient, as SPSS) and ``ordinal_ok`` (2 to
        :data:`MAX_ORDINAL_CATEGORIES` categories, so thresholds can be estimated).
    """
    points = np.nan
    if scale is not None and scale.min is not None and scale.max is not None:
        points = float(scale.max - scale.min + 1)
    counts = items.nunique(dropna=True)
    table = pd.DataFrame(
        {
            "categories": counts.astype(int),
            "scale_categories": points,
            "skew": items.skew(),
        }
    )
    table["ordinal_ok"] = (table["categories"] >= 2) & (
        table["categories"] <= MAX_ORDINAL_CATEGORIES
    )
    table.index.name = "item"
    return table


def check_ordinal_items(
    items: pd.DataFrame,
    ordered: str,
    scale: Any = None,
    *,
    file: str | None = None,
) -> pd.DataFrame:
    """Check that the CFA's items can be treated as ordered; return :func:`item_categories`
    with a column ``ordered``.

    With ``ordered=auto`` the codebook's scale must have at most
    :data:`MAX_ORDINAL_CATEGORIES` points; with ``auto`` or ``all`` every item must show
    between 2 and that many categories among the complete cases. With ``ordered=auto`` on a
    codebook without a scale, items with more categories are continuous (``ordered`` False)
    instead, as long as one item stays ordered.

    Raises
    ------
    InputError
        Naming the item (and its category count) that cannot be treated as ordered.
    """
    table = item_categories(items, scale)
    table["ordered"] = True
    points = table["scale_categories"].iloc[0] if len(table) else np.nan
    if ordered == "auto" and np.isfinite(points) and points > MAX_ORDINAL_CATEGORIES:
        raise InputError(
            f"The codebook's answer scale has {points:g} points; ordered=auto treats items as "
            f"ordered only on scales of at most {MAX_ORDINAL_CATEGORIES} points.",
            file=file,
            hint="Use estimator=ml (items as continuous), or ordered=all if every item in fact "
            f"uses at most {MAX_ORDINAL_CATEGORIES} categories.",
        )
    single = table[table["categories"] < 2]
    if len(single):
        item = str(single.index[0])
        raise InputError(
            f"Item {item} has a single answer category among the complete cases, so an "
            "ordinal CFA cannot estimate its thresholds.",
            file=file,
            column=item,
            hint="Drop the item from the codebook's constructs, or use estimator=ml.",
        )
    many = table[table["categories"] > MAX_ORDINAL_CATEGORIES]
    if len(many) and ordered == "auto" and not np.isfinite(points):
        if len(many) == len(table):
            raise InputError(
                f"No CFA item has at most {MAX_ORDINAL_CATEGORIES} answer categories, so "
                "ordered=auto treats none as ordered (the codebook has no answer scale: the "
                "items look continuous).",
                file=file,
                column=str(many.index[0]),
                hint="Use estimator=ml or mlr for continuous items, or list the ordered items "
                "(ordered=[...]).",
            )
        table["ordered"] = table["categories"] <= MAX_ORDINAL_CATEGORIES
        return table
    if len(many):
        item = str(many.index[0])
        raise InputError(
            f"Item {item} has {int(many['categories'].iloc[0])} answer categories; an ordinal "
            f"CFA treats items with at most {MAX_ORDINAL_CATEGORIES} as ordered"
            + (f" (also: {', '.join(map(str, many.index[1:]))})" if len(many) > 1 else "")
            + ".",
            file=file,
            column=item,
            hint="Check for unrecoded missing codes (e.g. 99), or use estimator=ml to treat "
            "the items as continuous.",
        )
    return table


def ordinal_item_table(
    ordered: str | list[str],
    answers: pd.DataFrame,
    scale: Any,
    known: Sequence[str],
    *,
    file: str | None = None,
) -> pd.DataFrame:
    """Which CFA items the ordinal CFA treats as ordered, and why.

    Parameters
    ----------
    ordered : str or list of str
        ``auto``, ``all`` or a list of items (:func:`ordered_setting`).
    answers : pandas.DataFrame
        The CFA's items (complete cases).
    scale : Scale or None
        The codebook's answer scale.
    known : sequence of str
        Every item of the survey (a listed item must be one of them).
    file : str, optional
        The data file, for messages.

    Returns
    -------
    pandas.DataFrame
        :func:`item_categories` with a column ``ordered``: every item with ``all``; the
        listed ones with a list (the others continuous, as lavaan's ``ordered =``); with
        ``auto``, every item on a codebook scale of at most :data:`MAX_ORDINAL_CATEGORIES`
        points and, without a scale, the items with at most that many categories.

    Raises
    ------
    InputError
        An item that cannot be ordered (:func:`check_ordinal_items`), or a list naming none
        of the CFA's items.
    """
    items = list(answers.columns)
    if isinstance(ordered, str):
        table = check_ordinal_items(answers, ordered, scale, file=file)
    else:
        check_ordered_items(ordered, items, known, file=file)
        listed = [i for i in items if i in ordered]
        if not listed:
            raise InputError(
                f"ordered lists {', '.join(ordered)}, none of which is a CFA item.",
                file=file,
                column=ordered[0],
                hint=f"List CFA items (the CFA's: {', '.join(items)}), or use ordered=auto.",
            )
        check_ordinal_items(answers[listed], "all", scale, file=file)
        table = item_categories(answers, scale)
        table["ordered"] = table.index.isin(listed)
    return table


def _cfa_constructs(survey: SurveyData, constant: tuple[str, ...]) -> dict[str, list[str]]:
    """The CFA's constructs: multi-item constructs without constant items (2+ items left)."""
    multi = {
        k: [i for i in v if i not in constant]
        for k, v in survey.codebook.construct_items.items()
        if len(v) >= 2
    }
    return {k: v for k, v in multi.items() if len(v) >= 2}


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Check the inputs before a kernel starts: the CFA estimator with the missing-data
    treatment and ``ordered``, the survey and codebook, and (ordinal estimator) that every
    CFA item has 2 to 7 answer categories among the complete cases. Returns the rows read."""
    from workbench.intake.data import load_survey

    estimator = params.get("estimator") or "ml"
    missing = params.get("missing") or "fiml"
    ordered = ordered_setting(params.get("ordered"))
    parameterization = params.get("parameterization") or "delta"
    check_estimator(estimator, missing, ordered, file=str(data), parameterization=parameterization)
    survey = load_survey(data, codebook or None, sheet=params.get("sheet") or None)
    require_codebook(survey, "factor-analysis")
    if estimator in ORDINAL_ESTIMATORS and params.get("cfa", True):
        answers = survey.items
        constant = tuple(c for c in answers.columns if answers[c].nunique(dropna=True) < 2)
        cons = _cfa_constructs(survey, constant)
        cfa_items = [i for v in cons.values() for i in v]
        if cfa_items:
            ordinal_item_table(
                ordered,
                answers[cfa_items].dropna(),
                survey.codebook.scale,
                list(answers.columns),
                file=str(data),
            )
    return survey.n


def analyse(
    survey: SurveyData,
    *,
    n_factors: int | str = "auto",
    method: str = "minres",
    rotation: str = "oblimin",
    missing: str = "fiml",
    correlation: str = "pearson",
    cfa: bool = True,
    estimator: str = "ml",
    ordered: str | Sequence[str] = "auto",
    parameterization: str = "delta",
    split_half: bool = False,
    ci: float = 0.95,
    straightline_min_items: int = 5,
    pa_iterations: int = 100,
    seed: int = 2026,
    replication: str = "",
    sheet: str = "",  # the worksheet the survey was read from (load_survey)
) -> FactorAnalysisStudy:
    """Run the factor-analysis study on a prepared survey.

    Parameters mirror the study's parameters (see ``workbench list``).

    Notes
    -----
    ``missing`` chooses one treatment for every analysis, and the report and the
    ``missing`` block of results.json say how many respondents each one used:

    * ``fiml`` (default): every respondent who answered at least one item. The CFA is
      fitted by full-information maximum likelihood (Arbuckle 1996; lavaan
      ``cfa(..., missing = "ml")``). KMO, Bartlett's test, parallel analysis, MAP, the
      Kaiser count and the EFA start from one EM estimate of the saturated normal model's
      correlations (lavaan ``lavCor(x, missing = "ml")``), computed once; tests that need
      a sample size use the respondents with at least one answer, as psych's
      ``fa(r, n.obs = n)`` for a given matrix. Alpha and omega come from the same EM
      covariances (Enders 2003), their Feldt interval with that n. Polychoric
      correlations have no EM version here: with ``correlation=polychoric`` the factor
      analysis falls back to pairwise polychoric correlations, with a warning.
    * ``listwise``: the respondents who answered every item, for everything (how R's
      complete-case results are reproduced).
    * ``pairwise``: every available pair of answers for correlations and reliability; the
      CFA on complete cases.

    ``estimator`` chooses the CFA's estimator: ``ml`` (the items as continuous) or, for
    Likert items with at most 7 categories, ``wlsmv``, ``dwls``, ``ulsmv`` or ``uls``
    (:func:`~workbench.sem.ordinal.fit_ordinal_cfa`: thresholds and polychoric
    correlations, lavaan ``cfa(..., ordered = TRUE, estimator = "WLSMV")``), which need
    ``missing="listwise"`` (see :func:`check_estimator`). The ordinal CFA's reliability
    and validity are on the latent-response scale (:mod:`workbench.sem.ordinal_view`); the
    ML CFA is fitted too on the same complete cases, and a finding says what changed.

    References
    ----------
    Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete
    data. In G. A. Marcoulides & R. E. Schumacker (Eds.), *Advanced structural equation
    modeling*. Erlbaum. Enders, C. K. (2010). *Applied Missing Data Analysis*. Guilford.
    Enders, C. K. (2003). Using the EM algorithm to estimate coefficient alpha for scales
    with item-level missing data. *Psychological Methods*, 8(3), 322-337.
    """
    require_codebook(survey, "factor-analysis")
    if len(survey.codebook.items) < 3:
        raise InputError(
            f"The codebook lists {len(survey.codebook.items)} item(s) "
            f"({', '.join(survey.codebook.items)}); a factor analysis needs at least 3.",
            file=survey.codebook.path,
            hint="List the questionnaire's items under their constructs in the codebook.",
        )
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {', '.join(MISSING)}, not {missing!r}")
    ordered = ordered_setting(ordered)
    check_estimator(
        estimator, missing, ordered, file=survey.path, parameterization=parameterization
    )
    ordinal = estimator in ORDINAL_ESTIMATORS
    fiml = missing == "fiml"
    cb = survey.codebook
    warnings: list[str] = []
    screening = screen_items(survey, straightline_min_items=straightline_min_items)
    screening.require_distinct_items(survey.path)
    warnings += [i18n.translate(w) for w in screening.warnings]
    categories: pd.DataFrame | None = None
    if ordinal and cfa:  # before any model: an item that cannot be ordered stops the run
        cons = _cfa_constructs(survey, screening.constant_items)
        cfa_items = [i for v in cons.values() for i in v]
        if cfa_items:
            categories = ordinal_item_table(
                ordered,
                survey.items[cfa_items].dropna(),
                _cb_scale(survey),
                list(survey.items.columns),
                file=survey.path,
            )
    items = survey.items
    if fiml:
        n_answered = int(items.notna().any(axis=1).sum())
        missing_report: dict[str, Any] = {
            "treatment": "fiml",
            "n_total": len(items),
            "n_used": n_answered,
            "n_dropped": len(items) - n_answered,
        }
        if n_answered < len(items):
            warnings.append(
                tr(
                    "{n} of {total} respondents answered none of the items; they carry no "
                    "information and are left out of every analysis.",
                    n=len(items) - n_answered,
                    total=len(items),
                )
            )
    else:
        _, missing_report = complete_cases(items, missing=missing)  # type: ignore[arg-type]
    # omega fits a one-factor model per construct: its correlation matrix needs more
    # respondents than items (fewer gave a raw LinAlgError), and alpha's CI needs a few more
    largest = max(len(c.items) for c in cb.constructs.values())
    require_respondents(
        missing_report["n_used"],
        max(10, largest + 1),
        method="scale reliability (alpha and omega)",
        file=survey.path,
        missing=missing,
    )

    rel: ReliabilityResult | None = None
    if not fiml:
        # listwise: one analytic sample (respondents who answered every item) for everything
        rel_data = items.dropna() if missing == "listwise" else items
        rel = reliability(rel_data, cb.construct_items, missing=missing, ci=ci)  # type: ignore[arg-type]
        warnings += _new_warnings(rel.warnings, warnings)

    # constant items break every correlation-based method: leave them out, and say so
    fa_items = [i for i in cb.items if i not in screening.constant_items]
    data = items[fa_items]
    split = None
    cfa_data = data
    if split_half:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(data))
        half = len(data) // 2
        efa_rows, cfa_rows = np.sort(order[:half]), np.sort(order[half:])
        cfa_data = data.iloc[cfa_rows]
        data = data.iloc[efa_rows]
        split = {"seed": seed, "n_efa": len(data), "n_cfa": len(cfa_data)}

    if missing == "listwise":
        efa_data = data.dropna()
        if len(efa_data) < len(data):
            warnings.append(
                tr(
                    "{n} of {total} respondents miss at least one item and are left out of the "
                    "factor analysis (listwise deletion; nothing is imputed).",
                    n=len(data) - len(efa_data),
                    total=len(data),
                )
            )
    elif fiml:
        efa_data = data[data.notna().any(axis=1)]
    else:
        efa_data = data
    require_respondents(
        len(efa_data),
        max(len(fa_items) + 1, 10),
        method="factor analysis",
        file=survey.path,
        missing=missing,
    )

    poly = None
    item_corr: factors.ItemCorrelations | None = None
    if correlation == "polychoric":
        from workbench.measurement.polychoric import polychoric_matrix

        poly_missing = "pairwise" if fiml else missing
        if fiml:
            warnings.append(
                tr(
                    "Polychoric correlations have no EM (FIML) estimate here, so KMO, Bartlett's "
                    "test, parallel analysis and the EFA use pairwise polychoric correlations "
                    "(every available pair of answers, as psych::polychoric); reliability (EM) "
                    "and the CFA (FIML) still use every respondent with an answer."
                )
            )
        poly = polychoric_matrix(efa_data, missing=poly_missing)  # type: ignore[arg-type]
        warnings += [i18n.translate(w) for w in poly.warnings]
        source: dict[str, Any] = {"corr": poly.corr, "n_obs": len(efa_data)}
    elif correlation == "pearson":
        # the item correlations are computed once and passed to every step below
        item_corr = factors.item_correlations(efa_data, missing="em" if fiml else missing)
        source = {"corr": item_corr}
        if item_corr.moments is not None:
            warnings += [
                tr("EM correlations: {warning}", warning=i18n.translate(w))
                for w in item_corr.moments.warnings
            ]
    else:
        raise ValueError(f"correlation must be 'pearson' or 'polychoric', not {correlation!r}")
    n_factor_analysis = item_corr.n_obs if item_corr is not None else len(efa_data)

    if rel is None:  # fiml: the EM covariances of the EFA's respondents, when they are all
        same_rows = item_corr is not None and not split_half
        rel = reliability(
            items,
            cb.construct_items,
            missing="em",
            ci=ci,
            moments=item_corr.moments if same_rows and item_corr is not None else None,
        )
        warnings += _new_warnings(rel.warnings, warnings)

    corr_only = {k: v for k, v in source.items() if k != "n_obs"}
    kmo = factors.kmo(**corr_only)
    bart = factors.bartlett_sphericity(**source)
    parallel = factors.parallel_analysis(**source, n_iter=pa_iterations, seed=seed)
    mp = factors.map_test(**corr_only, max_factors=min(len(fa_items) - 1, 20))
    kaiser = factors.kaiser_count(**corr_only)
    if kmo.overall < KMO_MIN:
        warnings.append(
            tr(
                "Sampling adequacy is low (KMO = {kmo} < {minimum}): the items share little "
                "common variance, so factor solutions may be unstable.",
                kmo=f"{kmo.overall:.2f}",
                minimum=KMO_MIN,
            )
        )

    if n_factors == "auto":
        chosen, rule = parallel.n_factors, "Parallel analysis (factors, reduced matrix)"
        if chosen < 1:
            chosen = 1
            warnings.append(tr("Parallel analysis suggested no factor; one factor was extracted."))
    else:
        chosen, rule = int(n_factors), "Set by the n_factors parameter"
    p = len(fa_items)
    max_factors = int(np.floor((2 * p + 1 - np.sqrt(8 * p + 1)) / 2))
    if chosen > max_factors:
        raise InputError(
            f"{chosen} factors are too many for {p} items (at most {max_factors} leave the "
            "model identified).",
            file=survey.path,
            hint="Set --param n_factors to a smaller number, or use n_factors=auto.",
        )
    efa_res = factors.efa(
        None,
        chosen,
        method=method,  # type: ignore[arg-type]
        rotation=rotation,  # type: ignore[arg-type]
        **source,
    )
    warnings += _new_warnings(efa_res.warnings, warnings)
    factor_map = map_factors_to_constructs(efa_res.loadings, cb.construct_items)

    cfa_res: Any = None
    cfa_note = ""
    cfa_ml: sem.SEMResult | None = None
    ordinal_rel: pd.DataFrame | None = None
    cfa_ml_note = ""
    multi = {k: v for k, v in cb.construct_items.items() if len(v) >= 2}
    multi = {k: [i for i in v if i in fa_items] for k, v in multi.items()}
    multi = {k: v for k, v in multi.items() if len(v) >= 2}
    if not cfa:
        cfa_note = tr("CFA was switched off (cfa=false).")
    elif len(multi) < 1:
        cfa_note = tr("No construct has two or more items, so no CFA was fitted.")
    else:
        cfa_input = cfa_data[[i for v in multi.values() for i in v]]
        try:
            if ordinal:
                complete_input = cfa_input.dropna()
                categories = ordinal_item_table(
                    ordered,
                    complete_input,
                    _cb_scale(survey),
                    list(survey.items.columns),
                    file=survey.path,
                )
                ordered_items = [str(i) for i in categories.index[categories["ordered"]]]
                cfa_res = OrdinalCFAView(
                    fit_ordinal_cfa(
                        complete_input,
                        multi,
                        ordered=ordered_items,
                        estimator=ORDINAL_ESTIMATORS[estimator],  # type: ignore[arg-type]
                        parameterization=parameterization,  # type: ignore[arg-type]
                        max_categories=MAX_ORDINAL_CATEGORIES,
                    )
                )
                # categorical omega is defined on the delta parameterization (the same fit)
                delta_fit = (
                    cfa_res.result
                    if parameterization == "delta"
                    else fit_ordinal_cfa(
                        complete_input,
                        multi,
                        ordered=ordered_items,
                        estimator=ORDINAL_ESTIMATORS[estimator],  # type: ignore[arg-type]
                        max_categories=MAX_ORDINAL_CATEGORIES,
                    )
                )
                cfa_ml, cfa_ml_note = _ml_beside(complete_input, multi)
                # both coefficients need every item of the construct ordered
                ordinal_rel = pd.DataFrame(
                    {
                        "ordinal_alpha": {
                            c: ordinal_alpha(complete_input, v)
                            if set(v) <= set(ordered_items)
                            else np.nan
                            for c, v in multi.items()
                        },
                        "categorical_omega": categorical_omega(delta_fit),
                    }
                )
            elif fiml:  # every respondent with at least one answer (fit_sem drops the others)
                cfa_res = sem.fit_cfa(cfa_input, multi, missing="fiml", estimator=estimator)
            else:
                cfa_res = sem.fit_cfa(cfa_input.dropna(), multi, estimator=estimator)
        except InputError as exc:
            cfa_res = None
            problem = i18n.translate(exc.problem)
            cfa_note = tr("The CFA could not be fitted: {problem}", problem=problem)
            warnings.append(
                tr(
                    "CFA skipped: {problem} {hint} The EFA and reliability results do not "
                    "depend on it.",
                    problem=problem,
                    hint=i18n.translate(exc.hint or ""),
                )
            )
    if cfa_res is not None:
        single = [k for k in cb.construct_items if k not in multi]
        if ordinal:
            estimation = tr(
                "{estimator} on the items' thresholds and polychoric correlations, the items "
                "treated as ordered (lavaan's ordered = TRUE, estimator = '{estimator}'; "
                "listwise complete cases: n = {n})",
                estimator=ORDINAL_ESTIMATORS[estimator],
                n=cfa_res.n,
            )
            if parameterization == "theta":
                estimation = tr(
                    "{estimation}, in the theta parameterization (the latent responses' "
                    "residual variances fixed to 1, lavaan's parameterization = 'theta'; the "
                    "fit and the standardized solution, CR and AVE are those of the delta one)",
                    estimation=estimation,
                )
        elif fiml:
            estimation = tr(
                "full-information maximum likelihood (FIML, lavaan's missing = 'ml'; every "
                "respondent who answered at least one of its items: n = {n})",
                n=cfa_res.n,
            )
        else:
            estimation = tr("maximum likelihood (listwise complete cases: n = {n})", n=cfa_res.n)
        if estimator == "mlr":
            estimation = tr(
                "robust {estimation}, with Huber-White standard errors and the Yuan-Bentler "
                "scaled test (lavaan's estimator = 'MLR')",
                estimation=estimation,
            )
        cfa_note = tr(
            "CFA by {estimation} of {n} correlated constructs{single}{half}.",
            estimation=estimation,
            n=len(multi),
            single=tr("; single-item constructs left out: {names}", names=", ".join(single))
            if single
            else "",
            half=tr("; fitted on the other random half (seed {seed})", seed=seed)
            if split_half
            else "",
        )
        if correlation == "polychoric" and not ordinal:
            cfa_note = tr(
                "{sentence} {next}",
                sentence=cfa_note,
                next=tr(
                    "The CFA treats the items as continuous (ML on Pearson covariances); "
                    "estimator=wlsmv with missing=listwise fits it to the polychoric "
                    "correlations instead, the items treated as ordered."
                ),
            )
        warnings += [tr("CFA: {warning}", warning=i18n.translate(w)) for w in cfa_res.warnings]
        if cfa_ml_note:
            warnings.append(cfa_ml_note)
    missing_report["analyses"] = _analyses_used(
        missing,
        correlation=correlation,
        n_factor_analysis=int(n_factor_analysis or 0),
        rel=rel,
        cfa=cfa_res,
    )

    replication_table = None
    if replication:
        replication_table = replication_comparison(
            replication,
            kmo=kmo,
            bartlett=bart,
            rel=rel,
            efa=efa_res,
            reversed_items=cb.reverse_coded,
        )

    from workbench.presentation.plots import figure_labels

    _, font_warning = figure_labels(list(cb.items), [cb.labels.get(i, i) for i in cb.items])
    if font_warning:
        warnings.append(i18n.translate(font_warning))

    study = FactorAnalysisStudy(
        survey=survey,
        parameters={
            "n_factors": n_factors,
            "method": method,
            "rotation": rotation,
            "missing": missing,
            "correlation": correlation,
            "cfa": cfa,
            "estimator": estimator,
            "ordered": ordered,
            "parameterization": parameterization,
            "split_half": split_half,
            "ci": ci,
            "straightline_min_items": straightline_min_items,
            "pa_iterations": pa_iterations,
            "seed": seed,
            "replication": replication,
        },
        screening=screening,
        reliability=rel,
        missing_report=missing_report,
        kmo=kmo,
        bartlett=bart,
        parallel=parallel,
        map=mp,
        kaiser=kaiser,
        n_factors_chosen=chosen,
        n_factors_rule=rule,
        efa=efa_res,
        factor_map=factor_map,
        cfa=cfa_res,
        cfa_note=cfa_note,
        polychoric=poly,
        split=split,
        replication=replication_table,
        findings=(),
        warning_messages=tuple(dict.fromkeys(warnings)),
        missing_diagnosis=diagnose_missing(survey),
        item_correlations=item_corr,
        cfa_ml=cfa_ml,
        item_categories=categories,
        ordinal_reliability=ordinal_rel,
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))


def _new_warnings(found: tuple[str, ...] | list[str], have: list[str]) -> list[str]:
    """Warnings of a statistics step in the report's language, without those already listed."""
    out: list[str] = []
    for w in found:
        text = i18n.translate(w)
        if text not in have and text not in out:
            out.append(text)
    return out


def _cb_scale(survey: SurveyData) -> Any:
    """The codebook's answer scale (``None`` without one)."""
    return getattr(survey.codebook, "scale", None)


def _ml_beside(
    complete: pd.DataFrame, constructs: dict[str, list[str]]
) -> tuple[sem.SEMResult | None, str]:
    """The ML CFA on the ordinal CFA's complete cases, for the what-changed sentence."""
    try:
        return sem.fit_cfa(complete, constructs), ""
    except InputError as exc:
        return None, tr(
            "The ML CFA beside the ordinal one could not be fitted ({problem}); the comparison "
            "with ML is left out.",
            problem=i18n.translate(exc.problem),
        )


def _analyses_used(
    missing: str,
    *,
    correlation: str,
    n_factor_analysis: int,
    rel: ReliabilityResult,
    cfa: Any,
) -> dict[str, dict[str, Any]]:
    """The ``analyses`` of the missing block: per analysis, its treatment and its n."""
    fiml = missing == "fiml"
    if correlation == "polychoric":
        fa_method = "pairwise polychoric correlations" if fiml else f"{missing} polychoric"
    else:
        fa_method = {
            "fiml": "EM (maximum-likelihood) correlations of every respondent with an answer",
            "listwise": "listwise deletion (complete cases)",
            "pairwise": "pairwise correlations (every available pair of answers)",
        }[missing]
    rel_method = {
        "fiml": "EM (maximum-likelihood) covariances",
        "listwise": "listwise deletion (complete cases)",
        "pairwise": "pairwise covariances",
    }[missing]
    out: dict[str, dict[str, Any]] = {
        "factor_analysis": {"method": fa_method, "n": n_factor_analysis},
        "reliability": {
            "method": rel_method,
            "n": {str(k): int(v) for k, v in rel.table["n"].items()},
        },
    }
    if cfa is not None:
        if isinstance(cfa, OrdinalCFAView):
            method = f"{cfa.estimator} (items as ordered) on complete cases"
        elif cfa.missing == "fiml":
            method = "FIML (every respondent with an answer)"
        else:
            method = "maximum likelihood on complete cases"
        if getattr(cfa, "estimator", "ml") == "mlr":
            method += ", robust (MLR)"
        out["cfa"] = {"method": method, "n": int(cfa.n)}
    return out


# --------------------------------------------------------------------------- replication
def replication_comparison(
    path: str,
    *,
    kmo: Any,
    bartlett: Any,
    rel: ReliabilityResult,
    efa: Any,
    reversed_items: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Our values beside reference values computed by R (a JSON file).

    The file holds ``kmo_overall``, ``bartlett``, ``reliability`` per
    construct (``alpha``, ``omega_total``) and an ``efa`` block (``loadings``,
    ``communalities``, ``fit``), as ``data/bfi.psych_reference.json``. EFA
    factors are matched to the reference's by Tucker congruence and their
    signs aligned; loadings of reverse-coded items are compared with their
    sign flipped when the reference analysed the raw items.
    """
    from workbench.studies import project_path

    file = project_path(path)
    if not file.exists():
        raise InputError(
            "Replication reference file not found.",
            file=str(file),
            hint="Check --param replication=PATH or leave it empty.",
        )
    try:
        ref = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"The replication reference file is not JSON ({exc}).",
            file=str(file),
            hint="Give the JSON file of R reference values (e.g. data/bfi.psych_reference.json).",
        ) from exc
    rows: list[tuple[str, float, float]] = []
    if "kmo_overall" in ref:
        rows.append(("KMO overall", kmo.overall, ref["kmo_overall"]))
    if "bartlett" in ref:
        rows.append(("Bartlett chi2", bartlett.chi2, ref["bartlett"]["chi2"]))
    for name, vals in ref.get("reliability", {}).items():
        if name in rel.table.index:
            rows.append((f"alpha: {name}", rel.table.loc[name, "alpha"], vals["alpha"]))
            rows.append(
                (f"omega total: {name}", rel.table.loc[name, "omega_total"], vals["omega_total"])
            )
    ref_efa = ref.get("efa")
    if ref_efa and ref_efa.get("n_factors") == efa.n_factors:
        for key in ("chi2", "rmsea", "tli", "bic"):
            ours = getattr(efa.fit, key, None)
            if ours is None:
                ours = efa.fit.to_dict().get(key)
            rows.append((f"EFA {key}", ours, ref_efa["fit"][key]))
        ref_load = pd.DataFrame(ref_efa["loadings"]).T
        ours = efa.loadings.copy()
        if not ref_efa.get("items_reverse_coded", True):
            flip = [i for i in reversed_items if i in ours.index]
            ours.loc[flip] *= -1
        common = [i for i in ours.index if i in ref_load.index]
        aligned = align_factors(ours.loc[common], ref_load.loc[common])
        diff = (aligned - ref_load.loc[common].to_numpy()).abs().to_numpy()
        rows.append(("EFA loadings: largest |difference|", float(diff.max()), 0.0))
        comm = pd.Series(ref_efa["communalities"])
        cdiff = (efa.communalities.reindex(comm.index) - comm).abs().max()
        rows.append(("EFA communalities: largest |difference|", float(cdiff), 0.0))
    table = pd.DataFrame(rows, columns=["quantity", "workbench", "R"]).set_index("quantity")
    table["difference"] = table["workbench"] - table["R"]
    return table


def align_factors(loadings: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Reorder and re-sign our factors to best match a reference solution.

    Matching maximises the total absolute Tucker congruence (Hungarian
    algorithm); each matched factor takes the sign that makes its congruence
    positive. Returns our loadings with the reference's column names.
    """
    from scipy.optimize import linear_sum_assignment

    a = loadings.to_numpy(dtype=float)
    b = reference.to_numpy(dtype=float)
    num = a.T @ b
    den = np.sqrt(np.outer((a**2).sum(0), (b**2).sum(0)))
    congruence = num / den
    rows, cols = linear_sum_assignment(-np.abs(congruence))
    out = np.zeros_like(b)
    for r, c in zip(rows, cols, strict=True):
        out[:, c] = a[:, r] * np.sign(congruence[r, c])
    return pd.DataFrame(out, index=loadings.index, columns=reference.columns)


# --------------------------------------------------------------------------- findings
def _missing_finding(s: FactorAnalysisStudy) -> str:
    """One sentence: the treatment of missing answers and the n of each analysis."""
    report = s.missing_report
    used = report["analyses"]
    n_fa = used["factor_analysis"]["n"]
    n_rel = _n_range(used["reliability"]["n"]) if used["reliability"]["n"] else "–"
    cfa = used.get("cfa")
    total = report["n_total"]
    treatment = report["treatment"]
    if treatment == "fiml":
        if cfa is None:
            cfa_part = ""
        elif s.split:
            cfa_part = tr(
                "the CFA used the {n} respondents with an answer in its random half (FIML); ",
                n=cfa["n"],
            )
        else:
            cfa_part = tr("the CFA used all {n} respondents with an answer (FIML); ", n=cfa["n"])
        other_half = tr(" (the other half)") if s.split else ""
        if s.parameters["correlation"] == "polychoric":
            fa_part = tr(
                "KMO, Bartlett's test, parallel analysis and the EFA used pairwise polychoric "
                "correlations (no EM version) of {n} respondents{other_half}; ",
                n=n_fa,
                other_half=other_half,
            )
        else:
            fa_part = tr(
                "KMO, Bartlett's test, parallel analysis and the EFA used the EM correlations "
                "of {n} respondents{other_half}; ",
                n=n_fa,
                other_half=other_half,
            )
        return tr(
            "Missing answers were handled by maximum likelihood, keeping the sample and "
            "imputing nothing: {cfa}{factor_analysis}{reliability}",
            cfa=cfa_part,
            factor_analysis=fa_part,
            reliability=tr("alpha and omega the EM covariances (n = {n}).", n=n_rel),
        )
    if treatment == "listwise":
        return tr(
            "Missing answers were handled by listwise deletion: the analyses used the "
            "respondents who answered every item (factor analysis n = {n_fa}, reliability "
            "n = {n_rel}{cfa}, of {total}); {advice}",
            n_fa=n_fa,
            n_rel=n_rel,
            cfa=tr(", CFA n = {n}", n=cfa["n"]) if cfa is not None else "",
            total=total,
            advice=tr(
                "the ordinal CFA needs complete cases, so missing=fiml is not offered with it."
            )
            if s.ordinal
            else tr("missing=fiml would keep every respondent with an answer."),
        )
    return tr(
        "Missing answers were handled by pairwise deletion: correlations and reliability used "
        "every available pair of answers (n = {n} respondents with an answer){cfa}.",
        n=n_fa,
        cfa=tr("; the CFA used the {n} complete cases", n=cfa["n"]) if cfa is not None else "",
    )


def _robust_ml_finding(f: dict[str, Any], verdict: str) -> str:
    """The MLR CFA's fit and what changed against plain ML (same estimates, other test)."""
    return tr(
        "The codebook's measurement model {verdict} in the robust ML (MLR) CFA: robust CFI "
        "{cfi_robust}, TLI {tli_robust}, RMSEA {rmsea_robust} (90% CI {low}–{high}), SRMR "
        "{srmr}; Yuan-Bentler scaled chi-square {chi2_scaled} on {df} df (p = {p_scaled}). "
        "Against plain ML the estimates are the same; the chi-square {chi2} is divided by the "
        "scaling factor {scaling} ({scaling_words}), CFI moves from {cfi} to {cfi_robust} and "
        "RMSEA from {rmsea} to {rmsea_robust}, and the standard errors are the Huber-White "
        "sandwich ones.",
        verdict=verdict,
        cfi_robust=f"{f['cfi_robust']:.3f}",
        tli_robust=f"{f['tli_robust']:.3f}",
        rmsea_robust=f"{f['rmsea_robust']:.3f}",
        low=f"{f['rmsea_ci_low_robust']:.3f}",
        high=f"{f['rmsea_ci_high_robust']:.3f}",
        srmr=f"{f['srmr']:.3f}",
        chi2_scaled=f"{f['chi2_scaled']:.1f}",
        df=f"{f['df']}",
        p_scaled=f"{f['p_scaled']:.3g}",
        chi2=f"{f['chi2']:.1f}",
        scaling=f"{f['scaling_factor']:.3f}",
        scaling_words=_scaling_words(f["scaling_factor"]),
        cfi=f"{f['cfi']:.3f}",
        rmsea=f"{f['rmsea']:.3f}",
    )


def _scaling_words(c: float) -> str:
    """What a Yuan-Bentler scaling factor says about the answers, in words."""
    if abs(c - 1) < 0.05:
        return tr("close to 1: the answers are near enough to normal for the test")
    if c > 1:
        return tr("above 1: heavier tails than normal data inflate the plain chi-square")
    return tr("below 1: lighter tails than normal data make the plain chi-square conservative")


def _findings(s: FactorAnalysisStudy) -> list[str]:
    """The key findings, in the current report language."""
    cb = s.survey.codebook
    out = []
    n_items = len(cb.items)
    complete = int(s.survey.items.notna().all(axis=1).sum())
    out.append(
        tr(
            "{respondents} respondents answered {items} items measuring {constructs} "
            "constructs; {complete} answered every item.",
            respondents=s.screening.n_respondents,
            items=n_items,
            constructs=len(cb.constructs),
            complete=complete,
        )
    )
    out.append(_missing_finding(s))
    sep = tr("; ")
    # factor structure
    fm = s.factor_map
    multi = [k for k, v in cb.construct_items.items() if len(v) >= 2]
    if len(fm):
        clean = fm[(fm["items_on_factor"] == fm["n_items"]) & ~fm["shares_factor"]]
        as_designed = len(clean) == len(fm) and s.n_factors_chosen >= len(fm)
        basis = (
            tr("as parallel analysis suggests")
            if s.n_factors_rule.startswith("Parallel")
            else tr("as requested")
        )
        text = tr(
            "The items form {n} factors ({basis}; MAP suggests {map}, the codebook has {multi} "
            "multi-item constructs).",
            n=s.n_factors_chosen,
            basis=basis,
            map=s.map.n_factors,
            multi=len(multi),
        )
        if as_designed:
            text = tr(
                "{sentence} {next}",
                sentence=text,
                next=tr(
                    "Every construct's items load mainly on a factor of their own, as designed."
                ),
            )
        else:
            shared: dict[str, list[str]] = {}
            for c, r in fm[fm["shares_factor"]].iterrows():
                shared.setdefault(str(r.factor), []).append(str(c))
            parts = [
                tr(
                    "{constructs} share {factor}",
                    constructs=tr(" and ").join(cb.label(c) for c in names),
                    factor=factor,
                )
                for factor, names in shared.items()
            ]
            stray = [f"{r.stray_items} ({cb.label(c)})" for c, r in fm.iterrows() if r.stray_items]
            if parts:
                text = tr(
                    "{sentence} {next}",
                    sentence=text,
                    next=tr("Not a clean match with the codebook: {parts}.", parts=sep.join(parts)),
                )
            if stray:
                text = tr(
                    "{sentence} {next}",
                    sentence=text,
                    next=tr(
                        "Items loading mainly elsewhere than their construct: {items}.",
                        items=sep.join(stray),
                    ),
                )
        out.append(text)
    if s.efa.cross_loadings:
        parts = []
        for item in s.efa.cross_loadings:
            row = s.efa.loadings.loc[item]
            strong = row[row.abs() >= 0.30].sort_values(key=abs, ascending=False)
            parts.append(
                tr(
                    "{item} on {factors}",
                    item=item,
                    factors=tr(" and ").join(f"{f} ({v:.2f})" for f, v in strong.items()),
                )
            )
        out.append(
            tr(
                "Cross-loading items (|loading| ≥ 0.30 on two or more factors): {parts}.",
                parts=sep.join(parts),
            )
        )
    if s.efa.heywood:
        out.append(
            tr(
                "Heywood case(s) in the EFA: {items} (communality ≥ 1); the solution is "
                "improper: try fewer factors or another extraction method.",
                items=", ".join(s.efa.heywood),
            )
        )
    # reliability
    table = s.reliability_table().dropna(subset=["alpha"])
    if len(table):
        good = table[table["alpha"] >= ALPHA_GOOD]
        weak = table[table["alpha"] < ALPHA_GOOD].sort_values("alpha")
        text = tr(
            "{good} of {total} multi-item constructs reach the usual reliability threshold "
            "(Cronbach's alpha ≥ {threshold}).",
            good=len(good),
            total=len(table),
            threshold=f"{ALPHA_GOOD:.2f}",
        )
        ci = s.parameters["ci"]
        if len(weak):
            parts = [
                tr(
                    "{construct} (alpha {alpha}, {level} CI {low}–{high})",
                    construct=cb.label(c),
                    alpha=f"{r.alpha:.2f}",
                    level=f"{ci:.0%}",
                    low=f"{r.alpha_ci_low:.2f}",
                    high=f"{r.alpha_ci_high:.2f}",
                )
                for c, r in weak.iterrows()
            ]
            text = tr(
                "{sentence} {next}",
                sentence=text,
                next=tr("Below it: {parts}.", parts=sep.join(parts)),
            )
        else:
            best, worst = table["alpha"].idxmax(), table["alpha"].idxmin()
            text = tr(
                "{sentence} {next}",
                sentence=text,
                next=tr(
                    "The most reliable is {best} (alpha {best_alpha}); the least, {worst} "
                    "(alpha {worst_alpha}).",
                    best=cb.label(best),
                    best_alpha=f"{table.loc[best, 'alpha']:.2f}",
                    worst=cb.label(worst),
                    worst_alpha=f"{table.loc[worst, 'alpha']:.2f}",
                ),
            )
        out.append(text)
    stats = s.reliability.item_stats
    weak_items = stats[stats["r_drop"] < R_DROP_WEAK]
    if len(weak_items):
        parts = []
        for (c, item), row in weak_items.iterrows():
            extra = ""
            if row.alpha_if_deleted > s.reliability.table.loc[c, "alpha"]:
                extra = tr(
                    "; alpha would rise to {alpha} without it", alpha=f"{row.alpha_if_deleted:.2f}"
                )
            parts.append(
                tr(
                    "{item} in {construct} (r = {r}{extra})",
                    item=item,
                    construct=cb.label(c),
                    r=format_r(row.r_drop),
                    extra=extra,
                )
            )
        out.append(
            tr(
                "Items that fit their scale weakly (corrected item-total r < {threshold}): "
                "{parts}.",
                threshold=format_r(R_DROP_WEAK),
                parts=sep.join(parts),
            )
        )
    # CFA
    if s.cfa is not None:
        if s.ordinal:
            out.append(s._ordinal_categories_sentence())
        f = s.cfa.fit
        # estimator=mlr: the verdict reads the robust indices (as the ordinal CFA's)
        cfi_v, rmsea_v = (
            (f["cfi_robust"], f["rmsea_robust"]) if s.robust_ml else (f["cfi"], f["rmsea"])
        )
        verdict = (
            tr("fits well")
            if cfi_v >= CFI_GOOD and rmsea_v <= RMSEA_GOOD and f["srmr"] <= SRMR_GOOD
            else tr("fits acceptably")
            if cfi_v >= CFI_OK and rmsea_v <= RMSEA_OK
            else tr("fits poorly")
        )
        if s.ordinal:
            basis = s.cfa.fit_basis
            kind = "" if basis == "standard" else f"{i18n.label(basis)} "
            out.append(
                tr(
                    "The codebook's measurement model {verdict} in the {estimator} CFA: "
                    "{kind}CFI {cfi}, TLI {tli}, RMSEA {rmsea} (90% CI {low}–{high}), SRMR "
                    "{srmr}; chi-square {chi2} on {df} df (p = {p}).",
                    verdict=verdict,
                    estimator=s.cfa.estimator,
                    kind=kind,
                    cfi=f"{f['cfi']:.3f}",
                    tli=f"{f['tli']:.3f}",
                    rmsea=f"{f['rmsea']:.3f}",
                    low=f"{f['rmsea_ci_low']:.3f}",
                    high=f"{f['rmsea_ci_high']:.3f}",
                    srmr=f"{f['srmr']:.3f}",
                    chi2=f"{f['chi2']:.1f}",
                    df=f"{f['df']:.4g}",
                    p=f"{f['p']:.3g}",
                )
            )
            cmp_ = s._ml_comparison()
            if cmp_ is not None:
                continuous = list(s.cfa.result.sample_stats.continuous)
                n_items = sum(len(v) for v in s.cfa.constructs.values())
                message = (
                    "Against ML on the same {n} complete cases (items as continuous), "
                    "treating {k} of the {total} items as ordered (the others stay "
                    "continuous) changes CFI from {cfi_ml} to {cfi_ordinal} ({cfi_change}), "
                    "RMSEA from {rmsea_ml} to {rmsea_ordinal} ({rmsea_change}) and the mean "
                    "standardized loading from {load_ml} to {load_ordinal} ({load_change}; "
                    "{estimator} {basis} indices, loadings on the latent-response scale)."
                    if continuous
                    else "Against ML on the same {n} complete cases (items as continuous), "
                    "treating the items as ordered changes CFI from {cfi_ml} to "
                    "{cfi_ordinal} ({cfi_change}), RMSEA from {rmsea_ml} to {rmsea_ordinal} "
                    "({rmsea_change}) and the mean standardized loading from {load_ml} to "
                    "{load_ordinal} ({load_change}; {estimator} {basis} indices, loadings "
                    "on the latent-response scale)."
                )
                out.append(
                    tr(
                        message,
                        k=n_items - len(continuous),
                        total=n_items,
                        n=cmp_["n"],
                        cfi_ml=f"{cmp_['cfi_ml']:.3f}",
                        cfi_ordinal=f"{cmp_['cfi_ordinal']:.3f}",
                        cfi_change=f"{cmp_['cfi_ordinal'] - cmp_['cfi_ml']:+.3f}",
                        rmsea_ml=f"{cmp_['rmsea_ml']:.3f}",
                        rmsea_ordinal=f"{cmp_['rmsea_ordinal']:.3f}",
                        rmsea_change=f"{cmp_['rmsea_ordinal'] - cmp_['rmsea_ml']:+.3f}",
                        load_ml=f"{cmp_['mean_std_loading_ml']:.2f}",
                        load_ordinal=f"{cmp_['mean_std_loading_ordinal']:.2f}",
                        load_change=f"{cmp_['mean_std_loading_ordinal'] - cmp_['mean_std_loading_ml']:+.2f}",
                        estimator=s.cfa.estimator,
                        basis=i18n.label(basis),
                    )
                )
        elif s.robust_ml:
            out.append(_robust_ml_finding(f, verdict))
        else:
            out.append(
                tr(
                    "The codebook's measurement model {verdict} in the CFA: CFI {cfi}, TLI "
                    "{tli}, RMSEA {rmsea} (90% CI {low}–{high}), SRMR {srmr}.",
                    verdict=verdict,
                    cfi=f"{f['cfi']:.3f}",
                    tli=f"{f['tli']:.3f}",
                    rmsea=f"{f['rmsea']:.3f}",
                    low=f"{f['rmsea_ci_low']:.3f}",
                    high=f"{f['rmsea_ci_high']:.3f}",
                    srmr=f"{f['srmr']:.3f}",
                )
            )
        av = s.cfa.ave()
        low = av[av < AVE_MIN]
        if len(low):
            out.append(
                tr(
                    "Convergent validity is weak (AVE < 0.50) for {constructs}.",
                    constructs=", ".join(f"{cb.label(c)} ({v:.2f})" for c, v in low.items()),
                )
            )
        if len(s.cfa.constructs) > 1:
            h = s.cfa.htmt()
            pairs = [
                (a, b, h.loc[a, b])
                for i, a in enumerate(h.index)
                for b in h.columns[i + 1 :]
                if h.loc[a, b] > HTMT_MAX
            ]
            if pairs:
                out.append(
                    tr(
                        "Discriminant validity is doubtful (HTMT > {threshold}) for {pairs}.",
                        threshold=HTMT_MAX,
                        pairs=sep.join(
                            f"{cb.label(a)} – {cb.label(b)} ({v:.2f})" for a, b, v in pairs
                        ),
                    )
                )
            else:
                out.append(
                    tr(
                        "All constructs are empirically distinct (every HTMT ≤ {threshold}).",
                        threshold=HTMT_MAX,
                    )
                )
    if cb.reverse_coded:
        scale = cb.scale
        out.append(
            tr(
                "Reverse-worded items were scored as {low} + {high} − x before analysis: {items}.",
                low=f"{scale.min:g}",  # type: ignore[union-attr]
                high=f"{scale.max:g}",  # type: ignore[union-attr]
                items=", ".join(cb.reverse_coded),
            )
        )
    if len(s.screening.straight_liners):
        out.append(
            tr(
                "{n} respondent(s) gave the same answer to every item (possible inattentive "
                "answering); they are kept and listed below.",
                n=len(s.screening.straight_liners),
            )
        )
    if s.replication is not None:
        out.append(
            tr(
                "Replication: the table at the end shows this run's values beside R's; the "
                "largest absolute difference is {difference}.",
                difference=f"{s.replication['difference'].abs().max():.2g}",
            )
        )
    return out
