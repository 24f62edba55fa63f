"""The experience-economy study: Pine & Gilmore's four realms as a structural model.

:func:`analyse` fits the measurement model (reliability, AVE, HTMT), compares
competing measurement models of the realms, estimates the structural model with
bootstrapped indirect effects, tests measurement invariance across a group,
analyses cross-channel consistency by response surfaces and ranks the realms
for managers. The notebook only displays the :class:`ExperienceStudy`.

Two estimators of the structural model (parameter ``method``):

``ml`` (default)
    Covariance-based SEM by maximum likelihood (lavaan conventions): a CFA of every
    construct, the SEM with latent constructs, indirect effects by a percentile bootstrap
    (listwise) or the delta method (FIML).
``pls``
    PLS-SEM (:mod:`workbench.pls`): the same structural paths between reflective (Mode A)
    composites of the codebook's constructs, path weighting, estimated by
    :func:`workbench.pls.bootstrap_pls` with the study's ``bootstrap`` resamples and
    ``seed``; standard errors, p values and 95% percentile intervals of the paths, R² and
    the indirect effects (specific chains, total indirect and total effects) come from that
    bootstrap. The measurement section shows the PLS reliability (alpha, rho_A, rho_C, AVE)
    and HTMT instead of the CFA's. The competing-models comparison and the invariance tests
    are covariance-based by nature: they stay ML CFAs of the realms' items (listwise), which
    test the measurement structure and do not depend on the structural estimator. Missing
    answers: ``listwise`` or ``mean`` (item-mean replacement, SmartPLS's default); ``fiml``
    is maximum likelihood and is refused.

With ``method=ml`` the parameter ``estimator`` chooses how the CFA, the SEM, the competing
models and the invariance tests are estimated: ``ml`` (maximum likelihood, items as
continuous), ``mlr`` (the ML estimates with Huber-White standard errors, the Yuan-Bentler
scaled test and robust fit indices), ``wlsmv`` (the items as ordered categories: thresholds
and polychoric correlations, DWLS with robust standard errors and the scaled-shifted test, as
lavaan's ``ordered=`` with ``estimator = "WLSMV"``; listwise deletion; indirect effects with
delta-method intervals; invariance as Wu & Estabrook 2016), ``dwls`` (the WLSMV estimates
with lavaan's standard SEs and standard test, ``estimator = "DWLS"``), ``ulsmv`` (unweighted
least squares, robust SEs and the scaled-shifted test) or ``uls`` (unweighted least squares,
standard SEs and the standard statistic without a p-value, ``estimator = "ULS"``); the
ordinal invariance tests are WLSMV's under every ordinal estimator. ``ordered`` says which
items an ordinal estimator treats as ordered (``auto``, ``all``, ``none`` or a list of items),
as the factor-analysis study defines it (:func:`~workbench.studies.factor_analysis.ordered_setting`).

Findings, warnings and notes are written in English here (and by the statistics layers) and
translated into the report's language by :func:`workbench.i18n.translate` (catalogue messages
with placeholders matched against the whole text, ``workbench/locale/zh/experience-economy.po``);
the tables keep their English column names (``results.json`` reads them) and are translated for
display by :func:`for_report`.

``results.json`` keeps one contract for both: ``sem {method, fit, paths {"lhs~rhs":
{estimate, se, p, std}}, r2, indirect {"x->m->y": {estimate, ci_low, ci_high}}}``; see
:meth:`ExperienceStudy.results` for what each key holds under ``pls``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench import i18n
from workbench.drivers.mediation import importance_performance
from workbench.errors import InputError
from workbench.i18n import gettext as tr
from workbench.intake.data import SurveyData, load_survey
from workbench.intake.missingness import MissingDiagnosis, diagnose_missing
from workbench.measurement.scales import reliability, score_scales
from workbench.pls import PLSBootstrap, PLSResult, bootstrap_pls, specify_model
from workbench.presentation.report import format_p
from workbench.results import Result, jsonable
from workbench.sem import experience as xp
from workbench.sem import model as sem
from workbench.sem.bootstrap import bootstrap_sem, indirect_effects_syntax
from workbench.sem.invariance import measurement_invariance
from workbench.sem.ordinal import fit_ordinal_cfa
from workbench.sem.ordinal_invariance import ordinal_invariance
from workbench.sem.ordinal_sem import OrdinalSEMResult, fit_ordinal_sem, ordinal_difference_test
from workbench.sem.ordinal_view import OrdinalCFAView, fit_basis, report_fit
from workbench.studies import EXPERIENCE_ECONOMY, require_codebook
from workbench.studies.factor_analysis import (
    MAX_ORDINAL_CATEGORIES,
    ORDINAL_ESTIMATORS,
    ordered_setting,
    ordinal_item_table,
)
from workbench.studies.pls_sem import SRMR_MAX, build_model

Method = Literal["ml", "pls"]
#: the estimators of the structural model
METHODS: tuple[str, ...] = ("ml", "pls")
StudyMissing = Literal["listwise", "fiml", "mean"]
#: the missing-data treatments each estimator takes
MISSING_BY_METHOD: dict[str, tuple[str, ...]] = {
    "ml": ("fiml", "listwise"),
    "pls": ("mean", "listwise"),
}


def default_missing(method: str, missing: str) -> str:
    """The treatment a run uses: ``missing`` as given, or the method's default when it is
    empty (``fiml`` for ``ml``, ``mean`` for ``pls``: each keeps every respondent), read
    from the study's parameter (``Param.default_by``, which ``workbench run`` applies)."""
    if missing:
        return missing
    default_by = EXPERIENCE_ECONOMY.param("missing").default_by
    return dict(default_by[1]).get(method, "listwise") if default_by else "listwise"


Estimator = Literal["ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls"]
#: the estimators of method=ml (lavaan's names in lower case), default first; the ordinal ones
#: are the factor-analysis study's (:data:`~workbench.studies.factor_analysis.ORDINAL_ESTIMATORS`)
ESTIMATORS: tuple[str, ...] = ("ml", "mlr", *ORDINAL_ESTIMATORS)
#: the words of ``ordered`` (else a list of items), as the factor-analysis study
ORDERED: tuple[str, ...] = ("auto", "all", "none")
#: the ordinal estimators whose standard errors are robust and whose test is scaled-shifted
#: (the others, DWLS and ULS, report standard SEs and the standard test, as lavaan)
ROBUST_ORDINAL: tuple[str, ...] = ("wlsmv", "ulsmv")


def check_estimator(
    estimator: str,
    method: str,
    missing: str,
    ordered: str | list[str] = "auto",
    group: str = "",
    *,
    file: str | None = None,
) -> None:
    """Refuse an estimator the run cannot use, naming the reason.

    Parameters
    ----------
    estimator : str
        ``"ml"``, ``"mlr"``, ``"wlsmv"``, ``"dwls"``, ``"ulsmv"`` or ``"uls"`` (lavaan's
        names in lower case; the last four treat the items as ordered).
    method : str
        ``"ml"`` or ``"pls"`` (only ``ml`` takes another estimator than ``ml``).
    missing : str
        The missing-data treatment as the run uses it (the ordinal estimators take
        ``listwise`` only).
    ordered : str or list of str
        ``"auto"``, ``"all"`` or ``"none"``, or a list of items, as
        :func:`~workbench.studies.factor_analysis.ordered_setting` returns it (the items are
        checked against the model's by
        :func:`~workbench.studies.factor_analysis.check_ordered_items`).
    group : str
        The invariance column (kept for the callers; every estimator takes one).
    file : str, optional
        The data file, for the message.

    Raises
    ------
    InputError
        An unknown value; ``estimator`` other than ``ml`` with ``method=pls``; an ordinal
        estimator with a missing-data treatment other than ``listwise`` (the ordinal models
        are fitted to the thresholds and polychoric correlations of the complete cases) or
        with ``ordered=none``; ``ordered=all`` or a list of items with ``ml`` or ``mlr``.
        The message names the estimator given.

    Examples
    --------
    >>> check_estimator("wlsmv", "ml", "listwise")
    >>> check_estimator("dwls", "ml", "listwise", ["ED1", "ED2"])
    >>> check_estimator("wlsmv", "ml", "fiml")
    Traceback (most recent call last):
    ...
    workbench.errors.InputError: estimator=wlsmv cannot be used with missing=fiml: ...
    """
    if estimator not in ESTIMATORS:
        raise InputError(
            f"Unknown estimator '{estimator}' for the experience-economy study.",
            file=file,
            hint=f"Use estimator={' or estimator='.join(ESTIMATORS)} (with method=ml).",
        )
    if isinstance(ordered, str) and ordered not in ORDERED:
        raise InputError(
            f"Unknown value ordered={ordered} for the experience-economy study.",
            file=file,
            hint=f"Use ordered={' or ordered='.join(ORDERED)}, or the list of the ordered "
            "items (e.g. ordered=[ED1, ED2]).",
        )
    if estimator != "ml" and method != "ml":
        raise InputError(
            f"estimator={estimator} cannot be used with method={method}: the estimator "
            "chooses how the covariance-based (method=ml) models are fitted; PLS-SEM has its "
            "own estimation and bootstrap inference.",
            file=file,
            hint=f"Use method=ml with estimator={estimator}, or leave estimator=ml.",
        )
    if estimator not in ORDINAL_ESTIMATORS:
        if ordered == "all" or not isinstance(ordered, str):
            shown = ordered if isinstance(ordered, str) else f"[{', '.join(ordered)}]"
            raise InputError(
                f"ordered={shown} cannot be used with estimator={estimator}: maximum "
                "likelihood treats the items as continuous.",
                file=file,
                hint="Use estimator=wlsmv (or dwls, ulsmv, uls) with missing=listwise to "
                "treat the items as ordered, or leave ordered=auto.",
            )
        return
    if missing != "listwise":
        raise InputError(
            f"estimator={estimator} cannot be used with missing={missing}: the ordinal models "
            "are fitted to the thresholds and polychoric correlations of the complete cases "
            "(lavaan's default for ordered data); they have no FIML version here.",
            file=file,
            hint="Add --param missing=listwise to fit them on the respondents who answered "
            "every item, or use estimator=mlr (robust to non-normal answers) with "
            f"missing={missing}.",
        )
    if ordered == "none":
        raise InputError(
            f"ordered=none cannot be used with estimator={estimator}: "
            f"{ORDINAL_ESTIMATORS[estimator]} on continuous items is not offered.",
            file=file,
            hint=f"Use ordered=auto (or all) with estimator={estimator}, or estimator=ml or "
            "mlr to treat the items as continuous.",
        )


def model_items(survey: SurveyData, paths: str = "") -> list[str]:
    """The items of the covariance-based (method=ml) model, which an ordinal estimator
    treats as ordered (and a list in ``ordered`` must name).

    Parameters
    ----------
    survey : SurveyData
        Loaded with its codebook.
    paths : str
        The structural paths in lavaan syntax; empty means
        :func:`workbench.sem.experience.default_structural_paths`.

    Returns
    -------
    list of str
        The items of every construct in ``paths`` and of the four realms, in the codebook's
        order (as :func:`analyse` fits them).

    Raises
    ------
    InputError
        What :func:`workbench.sem.experience.parse_paths` refuses, or a realm missing from
        the codebook.

    Examples
    --------
    >>> from workbench.intake.data import load_survey
    >>> s = load_survey("data/loyalty_survey.csv", "data/loyalty_survey.codebook.yaml")
    >>> model_items(s, "loyalty ~ memory")[:5]
    ['ED1', 'ED2', 'ED3', 'ED4', 'EN1']
    """
    cb = survey.codebook
    realms = xp.resolve_constructs(cb, xp.REALMS)
    parsed = xp.parse_paths(paths.strip() or xp.default_structural_paths(cb), cb)
    mentioned = {lhs for lhs, _, _ in parsed} | {t for _, _, terms in parsed for t in terms}
    used = [c for c in cb.constructs if c in mentioned or c in realms.values()]
    return [i for c in used for i in cb.constructs[c].items]


#: confidence level of the PLS bootstrap intervals
PLS_CI = 0.95
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def check_method(method: str, missing: str, *, file: str | None = None) -> None:
    """Refuse an unknown estimator or a missing-data treatment it does not take.

    Parameters
    ----------
    method : str
        ``"ml"`` or ``"pls"``.
    missing : str
        ``"listwise"``, ``"fiml"`` (ML only) or ``"mean"`` (PLS only).
    file : str, optional
        The data file, for the message.

    Raises
    ------
    InputError
        An unknown ``method``, or a ``missing`` the method cannot use (e.g. ``fiml`` with
        ``pls``: full-information maximum likelihood has no PLS counterpart); the hint lists
        the combinations that work.

    Examples
    --------
    >>> check_method("pls", "mean")
    >>> check_method("pls", "fiml")
    Traceback (most recent call last):
    ...
    workbench.errors.InputError: missing=fiml cannot be used with method=pls: ...
    """
    works = "; ".join(f"method={m}: missing={' or '.join(v)}" for m, v in MISSING_BY_METHOD.items())
    if method not in MISSING_BY_METHOD:
        raise InputError(
            f"Unknown method '{method}' for the experience-economy study.",
            file=file,
            hint=f"Use method={' or method='.join(METHODS)} ({works}).",
        )
    if missing not in MISSING_BY_METHOD[method]:
        why = {
            "fiml": "full-information maximum likelihood is a likelihood method of "
            "covariance-based SEM, and PLS-SEM has no likelihood",
            "mean": "item-mean replacement is a PLS-SEM convention (SmartPLS, seminr); "
            "ML SEM uses listwise deletion or FIML instead",
        }.get(missing, "it is not a missing-data treatment of this study")
        raise InputError(
            f"missing={missing} cannot be used with method={method}: {why}.",
            file=file,
            hint=f"What works: {works}.",
        )


def pls_model(survey: SurveyData, paths: str) -> str:
    """The PLS path model of the study: reflective blocks of the constructs in ``paths``.

    Parameters
    ----------
    survey : SurveyData
        Loaded with its codebook, whose constructs' items form the measurement blocks.
    paths : str
        The study's structural paths in lavaan syntax (e.g.
        :func:`workbench.sem.experience.default_structural_paths`). Labels (``y ~ a*x``) are
        dropped: every path is estimated.

    Returns
    -------
    str
        lavaan syntax as :func:`workbench.pls.specify_model` reads it: ``C =~ items`` for
        each construct of the paths (a reflective construct, estimated as a Mode A
        composite by the PLS algorithm), then the paths ``Y ~ X1 + X2``. Built by
        :func:`workbench.studies.pls_sem.build_model`, as the ``pls-sem`` study does.

    Raises
    ------
    InputError
        What :func:`workbench.sem.experience.parse_paths` refuses (unknown construct, ...);
        also residual covariances (``~~``), defined parameters (``:=``) and paths fixed to a
        number (``y ~ 0*x``), which have no PLS-SEM counterpart.

    Notes
    -----
    With the ``pls`` estimator of :func:`workbench.pls.estimate_pls`, a construct written
    ``=~`` is a composite whose outer weights are updated in Mode A (each weight the
    covariance of the item with the inner proxy), SmartPLS's default for reflective
    measurement; the paths link the composites.

    References
    ----------
    Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on partial
    least squares structural equation modeling (PLS-SEM)* (3rd ed.). Sage.
    R: ``seminr::constructs(composite("memory", multi_items("ME", 1:3), weights = mode_A),
    ...)`` with ``seminr::relationships(paths(from = ..., to = ...))``.

    Examples
    --------
    >>> from workbench.intake.data import load_survey
    >>> s = load_survey("data/loyalty_survey.csv", "data/loyalty_survey.codebook.yaml")
    >>> print(pls_model(s, "satisfaction ~ a*memory; loyalty ~ satisfaction"))
    satisfaction =~ SA1 + SA2 + SA3
    memory =~ ME1 + ME2 + ME3
    loyalty =~ RI1 + RI2 + RI3
    satisfaction ~ memory
    loyalty ~ satisfaction
    """
    statements = []
    for lhs, op, terms in xp.parse_paths(paths, survey.codebook):
        if op == "~~":
            raise InputError(
                f"'{lhs} ~~ {' + '.join(terms)}' is a residual covariance, which PLS-SEM does "
                "not estimate (method=pls).",
                hint="Leave the covariance out, or use method=ml.",
            )
        if op == ":=":
            raise InputError(
                f"The defined parameter '{lhs} := {terms[0]}' cannot be estimated with method=pls.",
                hint="Leave it out: with method=pls every specific indirect effect and each "
                "total effect is reported with its bootstrap interval anyway.",
            )
        names = []
        for term in terms:
            label, _, name = term.rpartition("*")
            if _NUMBER.match(label.strip()):
                raise InputError(
                    f"'{lhs} ~ {term}' fixes a path to a number, which PLS-SEM does not do "
                    "(method=pls).",
                    hint="Leave the path out of `paths` to fix it to zero, or use method=ml.",
                )
            names.append(name.strip())
        statements.append(f"{lhs} ~ {' + '.join(names)}")
    return build_model(survey, paths="; ".join(statements))


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Check the inputs before a kernel starts: estimator, ``ordered`` and missing-data
    treatment, survey, structural paths (and, with ``method=pls``, the PLS model; with an
    ordinal estimator, that ``ordered`` names the model's items and that each has 2 to 7
    answer categories among the complete cases). Returns the rows read."""
    method = params.get("method") or "ml"
    missing = default_missing(method, params.get("missing") or "")
    check_method(method, missing, file=str(data))
    estimator = params.get("estimator") or "ml"
    ordered = ordered_setting(params.get("ordered"))
    check_estimator(estimator, method, missing, ordered, params.get("group") or "", file=str(data))
    survey = load_survey(data, codebook or None, sheet=params.get("sheet") or None)
    require_codebook(survey, "experience-economy")
    structural = (params.get("paths") or "").strip() or xp.default_structural_paths(survey.codebook)
    if (params.get("method") or "ml") == "pls":
        specify_model(pls_model(survey, structural))
    else:
        xp.parse_paths(structural, survey.codebook)
        if estimator in ORDINAL_ESTIMATORS:  # an unknown or unorderable item stops here
            items = model_items(survey, structural)
            ordinal_item_table(
                ordered,
                survey.frame[items].dropna(),
                survey.codebook.scale,
                list(survey.items.columns),
                file=str(data),
            )
    return survey.n


#: what each ordinal estimator fits and which SEs and test it reports (a phrase of the
#: estimator note; lavaan 0.6: WLSMV and ULSMV se = "robust.sem", test = "scaled.shifted";
#: DWLS and ULS se = "standard", test = "standard", ULS without a p-value)
_ORDINAL_INFERENCE = {
    "wlsmv": "DWLS on the polychoric correlations, robust standard errors, the scaled-shifted "
    "chi-square and the robust CFI, TLI and RMSEA of Savalei 2021",
    "dwls": "DWLS on the polychoric correlations, the estimates of WLSMV with standard "
    "(non-robust) standard errors and the standard chi-square test; CFI, TLI and RMSEA come "
    "from that test, and the fit tables have no scaled or robust column",
    "ulsmv": "unweighted least squares on the polychoric correlations, robust standard errors, "
    "the scaled-shifted chi-square and the robust CFI, TLI and RMSEA of Savalei 2021",
    "uls": "unweighted least squares on the polychoric correlations, standard (non-robust) "
    "standard errors and the standard ULS statistic, which has no chi-square reference "
    "distribution (no p-value, as lavaan); CFI, TLI and RMSEA come from that statistic, and "
    "the fit tables have no scaled or robust column",
}
#: the same in a few words, for the method note
_ORDINAL_FIT = {
    "wlsmv": "DWLS with robust standard errors and the scaled-shifted chi-square",
    "dwls": "DWLS with standard (non-robust) standard errors and the standard chi-square",
    "ulsmv": "unweighted least squares with robust standard errors and the scaled-shifted "
    "chi-square",
    "uls": "unweighted least squares with standard (non-robust) standard errors and the "
    "standard statistic (no p-value)",
}


@dataclasses.dataclass(frozen=True)
class ExperienceStudy(Result):
    """Everything the experience-economy report shows.

    Attributes
    ----------
    survey : SurveyData
        The survey analysed.
    parameters : dict
        The study's parameters as run.
    realms : dict
        Realm role -> the codebook's construct name.
    constructs : dict
        Construct -> items, for every construct of the model and every realm.
    paths : str
        The structural part (lavaan syntax) estimated.
    measurement : SEMResult, OrdinalCFAView or PLSResult
        ``ml``: the CFA of every multi-item construct (an ordinal CFA with an ordinal
        estimator: wlsmv, dwls, ulsmv or uls); ``pls``: the PLS fit (its measurement model).
    reliability : ReliabilityResult or pandas.DataFrame
        ``ml``: alpha and omega per construct; ``pls``: the PLS reliability table (alpha,
        rho_a, rho_c, ave).
    realm_table : pandas.DataFrame
        Mean, performance, alpha and omega of each realm (descriptive, either method).
    comparison : pandas.DataFrame or None
        The competing measurement models of the realms (ML CFAs under either method).
    structural : SEMResult, OrdinalSEMView or PLSResult
        The structural model (``OrdinalSEMView`` with an ordinal estimator: the contract fit
        keys, its lavaan-named fit in ``.result.fit``).
    boot : BootstrapResult, PLSBootstrap or None
        The bootstrap (``None`` under FIML).
    indirect : pandas.DataFrame
        Indirect chains and totals: ``name, chain, kind, estimate, ci_low, ci_high, std_all,
        method`` (``pls`` adds ``se``).
    invariance, consistency, ipa
        Invariance across ``group`` (ML), the response surface, importance-performance.
    importance : pandas.Series
        Each realm's standardized total effect on the outcome.
    n_structural : int
        Respondents the structural model used.
    method : {"ml", "pls"}
        The estimator of the structural model.
    estimator : {"ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls"}
        With ``method=ml``: how the CFA, SEM, competing models and invariance were fitted
        (the invariance tests of ordered items are WLSMV's whatever the ordinal estimator).
    item_categories : pandas.DataFrame or None
        With an ordinal estimator: per model item its answer categories among the complete
        cases and skewness (:func:`workbench.studies.factor_analysis.item_categories`).
    ml_reference : SEMResult or None
        With ``mlr`` or an ordinal estimator: the ML fit of the structural model on the same
        respondents, for the comparison with ML (:attr:`against_ml_note`).
    """

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
    method: Method = "ml"
    estimator: Estimator = "ml"
    item_categories: pd.DataFrame | None = None
    ml_reference: Any = None
    comparison_basis: str | None = None  # ordinal: which indices the comparison's CFI is

    def to_frame(self) -> pd.DataFrame:
        return self.paths_table()

    @property
    def is_pls(self) -> bool:
        """Whether the structural model was estimated by PLS-SEM."""
        return self.method == "pls"

    @property
    def n_used(self) -> int:
        return int(self.n_structural)

    @property
    def ordinal(self) -> bool:
        """Whether the items were treated as ordered (estimator wlsmv, dwls, ulsmv or uls)."""
        return self.estimator in ORDINAL_ESTIMATORS

    @property
    def lavaan_estimator(self) -> str:
        """lavaan's name of the estimator (``"WLSMV"``, ``"DWLS"``, ``"MLR"``, ...)."""
        return ORDINAL_ESTIMATORS.get(self.estimator, self.estimator.upper())

    @property
    def robust_inference(self) -> bool:
        """Whether the SEs are robust and the test scaled (mlr, wlsmv, ulsmv); dwls and uls
        give lavaan's standard SEs and standard test, so their fit tables have no scaled or
        robust column."""
        return self.estimator == "mlr" or self.estimator in ROBUST_ORDINAL

    @property
    def estimator_note(self) -> str:
        """Which estimator the covariance-based models used, and why (categories, skew)."""
        if self.is_pls:
            return "The structural model is PLS-SEM (method=pls); no ML estimator choice."
        if self.estimator == "mlr":
            return (
                "Estimator: robust maximum likelihood (estimator=mlr, lavaan's MLR): the ML "
                "estimates, with standard errors (Huber-White sandwich) and a chi-square "
                "(Yuan-Bentler scaled) that do not assume normally distributed answers, and "
                "the robust CFI, TLI and RMSEA (Brosseau-Liard & Savalei). For Likert items "
                f"with at most {MAX_ORDINAL_CATEGORIES} categories, estimator=wlsmv with "
                "missing=listwise treats them as ordered."
            )
        if not self.ordinal or self.item_categories is None:
            return (
                "Estimator: maximum likelihood (estimator=ml), the items as continuous "
                "(Pearson covariances). For Likert items with few categories or skewed answers, "
                "estimator=wlsmv with missing=listwise treats them as ordered, and "
                "estimator=mlr makes the tests robust to non-normal answers."
            )
        cats = self.item_categories
        if "ordered" in cats:
            cats = cats[cats["ordered"].astype(bool)]
        low, high = int(cats["categories"].min()), int(cats["categories"].max())
        n_cat = str(low) if low == high else f"{low} to {high}"
        skew = cats["skew"].abs()
        beyond = int((skew > 1).sum())
        name = self.lavaan_estimator
        return (
            f"Estimator: {name} (estimator={self.estimator}, as lavaan's ordered= with "
            f'estimator = "{name}"): the {len(cats)} items are treated as ordered categories. '
            f"Each has {n_cat} answer categories among the {self.n_structural} complete cases "
            f"(at most {MAX_ORDINAL_CATEGORIES}, so thresholds and polychoric correlations can "
            f"be estimated), and |skewness| reaches {skew.max():.2f} ({skew.idxmax()}; "
            f"{beyond} item(s) beyond 1). With few categories or skewed answers, ML on Pearson "
            f"covariances understates loadings and misjudges fit; {name} models each item as a "
            f"cut-up normal variable ({_ORDINAL_INFERENCE[self.estimator]}). Indirect effects "
            "carry delta-method intervals."
        )

    @property
    def continuous_items(self) -> list[str]:
        """Model items the ordinal models treat as continuous (none by default)."""
        cats = self.item_categories
        if not self.ordinal or cats is None or "ordered" not in cats:
            return []
        return [str(i) for i in cats.index[~cats["ordered"].astype(bool)]]

    @property
    def continuous_note(self) -> str:
        """Which model items stay continuous beside the ordered ones ("" when none do)."""
        items = self.continuous_items
        if not items:
            return ""
        return (
            f"The other {len(items)} model items ({', '.join(items)}) are treated as "
            "continuous, as lavaan does with the items its ordered= leaves out: their means "
            "and variances, Pearson correlations with each other and polyserial correlations "
            "with the ordered items enter the fit, and the robust CFI, TLI and RMSEA (defined "
            "for ordered items only) are not available."
        )

    @property
    def against_ml_note(self) -> str:
        """A plain sentence on what changed against ML on the same respondents."""
        ml = self.ml_reference
        if ml is None or self.is_pls:
            return ""
        ours = self.paths_table().set_index(["outcome", "predictor"])
        est = ml.estimates
        theirs = est[est["op"] == "~"].set_index(["lhs", "rhs"])
        keys = [k for k in ours.index if k in theirs.index]
        if self.estimator == "mlr":
            ratio = (ours.loc[keys, "se"] / theirs.loc[keys, "se"]).to_numpy(dtype=float)
            c = self.structural.fit.get("scaling_factor", np.nan)
            return (
                "Against ML: the estimates are the ML ones (MLR changes only the inference). "
                f"The standard errors of the paths are {ratio.min():.2f} to {ratio.max():.2f} "
                "times the normal-theory ones, and the chi-square is divided by a scaling "
                f"factor of {c:.3f}"
                + (
                    " (above 1: answers heavier-tailed than normal, so the plain test "
                    "overstates misfit)."
                    if c > 1
                    else " (at or below 1: little excess kurtosis in the answers)."
                )
            )
        diff = (ours.loc[keys, "std"] - theirs.loc[keys, "std_all"]).astype(float)
        worst = diff.abs().idxmax()
        loads = self.structural.estimates
        loads = loads[loads["op"] == "=~"].set_index(["lhs", "rhs"])["std_all"]
        ml_loads = est[est["op"] == "=~"].set_index(["lhs", "rhs"])["std_all"]
        common = [k for k in loads.index if k in ml_loads.index]
        d_load = float((loads.loc[common] - ml_loads.loc[common]).mean())
        f_ml, f = ml.fit, self.structural.fit
        name = self.lavaan_estimator
        robust = {"robust": "the robust ", "scaled": "the scaled "}.get(
            self.structural.fit_basis, ""
        )
        return (
            f"Against ML on the same {self.n_structural} respondents (items as continuous): "
            f"standardized loadings are {abs(d_load):.3f} {'higher' if d_load >= 0 else 'lower'}"
            " on average (polychoric correlations are not attenuated by the coarse "
            f"categories); standardized paths change by at most {abs(diff[worst]):.3f} "
            f"({worst[1]} → {worst[0]}: {theirs.loc[worst, 'std_all']:.3f} under ML, "
            f"{ours.loc[worst, 'std']:.3f} under {name}); CFI {f_ml['cfi']:.3f} and RMSEA "
            f"{f_ml['rmsea']:.3f} under ML against {robust}{f['cfi']:.3f} and "
            f"{f['rmsea']:.3f} under {name}."
        )

    def robust_fit_table(self, which: str = "structural") -> pd.DataFrame | None:
        """The standard, scaled and robust fit columns (estimator other than ml).

        Rows ``chi2, df, p, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr``; columns
        ``standard`` (the normal-theory ML or the plain DWLS/ULS statistic and its indices),
        ``scaled`` (Yuan-Bentler for MLR, scaled-shifted for WLSMV and ULSMV, and the indices
        computed from it) and ``robust`` (the robust CFI, TLI and RMSEA: Brosseau-Liard &
        Savalei for MLR, Savalei 2021 for WLSMV and ULSMV; with the scaled test). With dwls
        and uls (standard SEs and test, as lavaan's DWLS and ULS) only ``standard``; the ULS
        statistic has no p-value (NaN). ``which`` is ``"structural"`` or ``"measurement"``.
        None with estimator=ml or method=pls.
        """
        if self.is_pls or self.estimator == "ml":
            return None
        fit = self.structural if which == "structural" else self.measurement
        return pd.DataFrame(_fit_columns(fit, self.estimator), index=list(_ROBUST_ROWS))

    @property
    def missing_report(self) -> dict[str, Any]:
        if self.is_pls:
            return dict(self.structural.data.report())
        return {
            "treatment": self.parameters["missing"],
            "n_total": self.survey.n,
            "n_used": self.n_structural,
            "n_dropped": self.survey.n - self.n_structural,
        }

    def label(self, name: str) -> str:
        return self.survey.codebook.label(name)

    @property
    def method_note(self) -> str:
        """One paragraph saying which estimator, missing-data treatment and inference were used."""
        p = self.parameters
        if not self.is_pls:
            inference = (
                "indirect effects with delta-method (normal-theory) intervals"
                if p["missing"] == "fiml"
                else f"indirect effects with a percentile bootstrap of {p['bootstrap']:,} "
                f"resamples (seed {p['seed']})"
            )
            treatment = (
                "full-information maximum likelihood (every respondent with an answer)"
                if p["missing"] == "fiml"
                else "listwise deletion"
            )
            if self.ordinal:
                name = self.lavaan_estimator
                return (
                    f"Estimator: {name} SEM (method=ml, estimator={self.estimator}; "
                    "covariance-based, the items as ordered categories: thresholds and "
                    f"polychoric correlations, {_ORDINAL_FIT[self.estimator]}, as lavaan's "
                    f'ordered= with estimator = "{name}"), latent constructs measured by their '
                    f"items; listwise deletion, n = {self.n_structural}; indirect effects with "
                    "delta-method (normal-theory) intervals."
                )
            name = (
                "robust maximum-likelihood SEM (method=ml, estimator=mlr: Huber-White "
                "standard errors, Yuan-Bentler scaled chi-square, robust CFI/TLI/RMSEA; "
                "covariance-based, lavaan conventions)"
                if self.estimator == "mlr"
                else "maximum-likelihood SEM (method=ml; covariance-based, lavaan conventions)"
            )
            return (
                f"Estimator: {name}, latent constructs measured by their items; {treatment}, "
                f"n = {self.n_structural}; {inference}."
            )
        fit = self.structural
        text = (
            "Estimator: PLS-SEM (method=pls; partial least squares path modelling as SmartPLS "
            "and seminr): each construct is a reflective, Mode A composite of its standardized "
            f"items, {fit.inner_weighting} weighting; {_pls_missing_text(fit)}, n = {fit.n}. "
            "Standard errors, p values and 95% percentile intervals of the paths, R² and the "
            f"indirect effects come from a bootstrap of {self.boot.n_boot:,} resamples "
            f"(seed {self.boot.seed})."
        )
        ml_parts = [
            name
            for name, present in (
                ("competing measurement models", self.comparison is not None),
                ("invariance tests", self.invariance is not None),
            )
            if present
        ]
        if ml_parts:
            text += (
                f" The {' and the '.join(ml_parts)} are covariance-based: they remain "
                "maximum-likelihood CFAs of the realms' items (listwise), which do not depend "
                "on the structural estimator."
            )
        return text

    # ------------------------------------------------------------------ tables
    def measurement_table(self) -> pd.DataFrame:
        """Reliability and convergent validity per construct.

        ``ml``: ``n_items, n, alpha, omega_total`` (item-level), ``composite_reliability`` and
        ``ave`` from the CFA. ``pls``: ``n_items, n, alpha, rho_a, rho_c, ave`` of the
        composites (standardized alpha; SmartPLS's and seminr's conventions).
        """
        if self.is_pls:
            fit = self.structural
            t = self.reliability.copy()
            t.insert(0, "n", fit.n)
            t.insert(0, "n_items", [len(fit.specification.items[c]) for c in t.index])
            t.insert(0, "label", [self.label(c) for c in t.index])
            return t
        t = self.reliability.table[["n_items", "n", "alpha", "omega_total"]].copy()
        t["composite_reliability"] = self.measurement.composite_reliability().reindex(t.index)
        t["ave"] = self.measurement.ave().reindex(t.index)
        t.insert(0, "label", [self.label(c) for c in t.index])
        return t

    def measurement_fit_table(self) -> pd.DataFrame:
        """Fit of the measurement model: the CFA's (``ml``), or SRMR, d_ULS and d_G of the
        saturated PLS model, whose constructs all correlate freely (``pls``)."""
        if self.is_pls:
            return _pls_fit_frame(self.structural, "saturated")
        if self.estimator != "ml":
            return _with_n(self.robust_fit_table("measurement"), self.measurement.n)
        return _fit_frame(self.measurement.fit)

    def structural_fit_table(self) -> pd.DataFrame:
        """Fit of the structural model: ML fit indices, or SRMR, d_ULS and d_G of the
        estimated PLS model."""
        if self.is_pls:
            return _pls_fit_frame(self.structural, "estimated")
        if self.estimator != "ml":
            return _with_n(self.robust_fit_table("structural"), self.structural.n)
        return _fit_frame(self.structural.fit)

    def htmt_table(self) -> pd.DataFrame:
        """HTMT between the constructs (from the CFA's items, or the PLS model's)."""
        return self.measurement.htmt()

    def paths_table(self) -> pd.DataFrame:
        """Structural paths: unstandardized and standardized, with SEs, p and bootstrap CIs.

        With ``pls`` the paths are standardized by construction: ``estimate`` and ``std`` are
        the PLS path coefficient, ``se`` and ``std_se`` its bootstrap SE, ``p`` the bootstrap
        p value (two-sided, t = estimate / SE), ``std_ci_low``/``std_ci_high`` the 95%
        percentile interval, and ``t`` is added.
        """
        if self.is_pls:
            fit = self.structural
            boot = self.boot.of("path").reindex(fit.paths.index)
            return pd.DataFrame(
                {
                    "outcome": fit.paths["target"],
                    "predictor": fit.paths["source"],
                    "estimate": fit.paths["estimate"],
                    "se": boot["boot_se"],
                    "p": boot["p"],
                    "std": fit.paths["estimate"],
                    "std_se": boot["boot_se"],
                    "std_ci_low": boot["ci_low"],
                    "std_ci_high": boot["ci_high"],
                    "t": boot["t"],
                }
            ).reset_index(drop=True)
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

    def _r2(self) -> dict[str, float]:
        if self.is_pls:
            return {str(k): float(v) for k, v in self.structural.r2["r2"].items()}
        return dict(self.structural.r2)

    def r2_table(self) -> pd.DataFrame:
        """R² of each endogenous construct (``pls`` adds adjusted R² and bootstrap CIs)."""
        latent = set(self.constructs)
        r2 = {k: v for k, v in self._r2().items() if k in latent}
        t = pd.DataFrame(
            {"label": [self.label(k) for k in r2], "r2": list(r2.values())}, index=list(r2)
        )
        if self.is_pls:
            boot = self.boot.of("r2").reindex(t.index)
            t["adj_r2"] = self.structural.r2["adj_r2"].reindex(t.index)
            t["ci_low"] = boot["ci_low"]
            t["ci_high"] = boot["ci_high"]
        return t

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
            r2=self._r2(),
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
            yaxis_title=i18n.gettext(
                "importance (standardized total effect on {outcome}, x100)",
                outcome=self.parameters["outcome"],
            )
        )

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        """The study's ``results.json`` keys.

        Both methods: ``sem {method, fit, paths {"lhs~rhs": {estimate, se, p, std, std_se}},
        r2 {construct: value}, indirect {"x->m->y" | "x->y (total indirect)" | "x->y (total)":
        {estimate, ci_low, ci_high, std, kind, method}}, syntax, bootstrap {n_boot, n_failed,
        seed}}``, ``measurement {fit, constructs, htmt}``, ``model_comparison``,
        ``invariance``, ``realms``, ``consistency``, ``ipa``, ``missing_diagnosis``.

        With ``method = "pls"`` (``sem.method``): ``estimate`` = ``std`` = the standardized
        PLS path, ``se`` = ``std_se`` = its bootstrap SE, ``p`` the bootstrap p, plus ``t``,
        ``ci_low``, ``ci_high`` (95% percentile) and ``bca_low``, ``bca_high``;
        ``fit {srmr, d_uls, d_g, saturated {srmr, d_uls, d_g}, n}`` (the estimated and the
        saturated model, as SmartPLS reports them); ``r2_detail {Y: {r2, adj_r2, ci_low,
        ci_high}}``; the indirect entries add ``se``, ``bca_low``, ``bca_high``;
        ``sem.pls {estimator, mode, inner_weighting, iterations, converged, syntax}`` and
        ``sem.bootstrap.ci``. ``measurement`` then holds ``method: "pls"``, ``fit`` of the
        saturated model, ``constructs {c: {n_items, n, alpha, rho_a, rho_c, ave}}``,
        ``htmt`` and ``loadings {construct: {item: loading}}``. ``model_comparison`` and
        ``invariance`` are ML CFAs under either method.
        """
        paths = {}
        for row in self.paths_table().itertuples(index=False):
            entry = {
                "estimate": row.estimate,
                "se": row.se,
                "p": row.p,
                "std": row.std,
                "std_se": row.std_se,
            }
            if self.is_pls:
                key = f"{row.predictor}->{row.outcome}"
                boot = self.boot.of("path").loc[key]
                entry.update(
                    t=row.t,
                    ci_low=row.std_ci_low,
                    ci_high=row.std_ci_high,
                    bca_low=boot["bca_low"],
                    bca_high=boot["bca_high"],
                )
            paths[f"{row.outcome}~{row.predictor}"] = entry
        indirect = {}
        for r in self.indirect.to_dict(orient="records"):
            entry = {
                "estimate": r["estimate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "std": r["std_all"],
                "kind": r["kind"],
                "method": r["method"],
            }
            if self.is_pls:
                entry.update({k: r[k] for k in ("se", "bca_low", "bca_high")})
            indirect[r["chain"]] = entry
        out: dict[str, Any] = {
            "sem": {
                "method": self.method,
                "fit": self._sem_fit(),
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
            "measurement": self._measurement_results(),
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
        if not self.is_pls:
            out["sem"]["estimator"] = self.estimator
            out["estimator"] = self._estimator_results()
        if self.is_pls:
            fit = self.structural
            out["sem"]["bootstrap"]["ci"] = PLS_CI
            out["sem"]["bootstrap"]["interval"] = "percentile (BCa in bca_low, bca_high)"
            out["sem"]["r2_detail"] = self.r2_table().drop(columns="label").to_dict(orient="index")
            out["sem"]["pls"] = {
                "estimator": fit.estimator,
                "mode": "A (reflective constructs as composites)",
                "inner_weighting": fit.inner_weighting,
                "iterations": fit.iterations,
                "converged": fit.converged,
                "syntax": fit.specification.syntax,
            }
        out["missing_diagnosis"] = (
            None if self.missing_diagnosis is None else self.missing_diagnosis.to_dict()
        )
        return jsonable(out)

    def _sem_fit(self) -> dict[str, Any]:
        if not self.is_pls:
            f = self.structural.fit
            return {k: f[k] for k in sem.FIT_KEYS}
        table = self.structural.model_fit()
        return {
            **{k: table.loc[k, "estimated"] for k in ("srmr", "d_uls", "d_g")},
            "saturated": {k: table.loc[k, "saturated"] for k in ("srmr", "d_uls", "d_g")},
            "n": self.structural.n,
        }

    def _estimator_results(self) -> dict[str, Any]:
        """``estimator {name, ordered, note, against_ml, item_categories, fit_structural,
        fit_measurement, ml_fit, lavaan, se, test}``: the additive keys of method=ml (see the
        docs page). ``lavaan`` is lavaan's estimator name, ``se`` ``"standard"`` or
        ``"robust"`` and ``test`` ``"standard"``, ``"yuan.bentler.mplus"`` (MLR) or
        ``"scaled.shifted"`` (WLSMV, ULSMV): what the SEs and the test of the structural model
        were."""
        cats = self.item_categories
        ml = self.ml_reference
        robust = self.estimator != "ml"
        test = "standard"
        if self.estimator == "mlr":
            test = "yuan.bentler.mplus"
        elif self.ordinal:
            test = self.structural.result.test
        return {
            "name": self.estimator,
            "lavaan": self.lavaan_estimator,
            "se": "robust" if self.robust_inference else "standard",
            "test": test,
            "ordered": self.parameters.get("ordered", "auto") if self.ordinal else "none",
            "ordered_items": []
            if cats is None
            else [str(i) for i in cats.index if i not in self.continuous_items],
            "continuous_items": self.continuous_items,
            "note": self.estimator_note,
            "against_ml": self.against_ml_note or None,
            "item_categories": None
            if cats is None
            else cats[["categories", "skew"]].to_dict(orient="index"),
            "fit_structural": _fit_columns(self.structural, self.estimator) if robust else None,
            "fit_measurement": _fit_columns(self.measurement, self.estimator) if robust else None,
            "ml_fit": None if ml is None else {k: ml.fit[k] for k in sem.FIT_KEYS},
        }

    def _measurement_results(self) -> dict[str, Any]:
        if not self.is_pls:
            return {
                # chi2, df, cfi, tli, rmsea, srmr were the contract; the others of FIT_KEYS
                # (p, RMSEA interval, AIC, BIC, n) were added for the paper export's fit table
                "fit": {k: self.measurement.fit[k] for k in sem.FIT_KEYS},
                "std_loadings": dict(self.measurement.std_loadings),
                "constructs": self.measurement_table()
                .drop(columns="label")
                .to_dict(orient="index"),
                "htmt": self.measurement.htmt().to_dict(orient="index"),
            }
        fit = self.structural
        spec = fit.specification
        return {
            "method": "pls",
            "fit": self.measurement_fit_table()["value"].drop("n").to_dict(),
            "constructs": self.measurement_table().drop(columns="label").to_dict(orient="index"),
            "htmt": self.htmt_table().to_dict(orient="index"),
            "loadings": {
                c: {i: fit.outer_loadings.loc[i, c] for i in spec.items[c]} for c in spec.constructs
            },
        }

    def headline(self) -> dict[str, Any]:
        top = self.importance.idxmax() if len(self.importance) else ""
        strongest = f"{top} ({self.importance.max():.2f})" if top else ""
        if self.is_pls:
            srmr = self.structural.model_fit().loc["srmr", "estimated"]
            return {
                "n": self.n_structural,
                "estimator": f"PLS-SEM (Mode A, {self.structural.inner_weighting} weighting)",
                "SRMR": f"{srmr:.3f}",
                "strongest realm": strongest,
            }
        f = self.structural.fit
        out = {
            "n": self.n_structural,
            "SEM CFI / RMSEA": f"{f['cfi']:.3f} / {f['rmsea']:.3f}",
            "strongest realm": strongest,
        }
        if self.estimator != "ml":
            out["estimator"] = self.estimator.upper()
        return out


def for_report(
    frame: pd.DataFrame | None, *, values: tuple[str, ...] = (), index_values: bool = False
) -> pd.DataFrame | None:
    """A table of the study as the report shows it, in the current report language.

    Column and index names, the cells of the ``values`` columns (package-defined categories
    such as an indirect effect's ``kind`` or an IPA ``quadrant``) and, with ``index_values``,
    the index entries (e.g. the competing models' names or fit-index rows) are translated with
    :func:`workbench.i18n.label`; names from the data (constructs, items, paths) are not
    catalogued and stay as they are. In English the table is returned unchanged, and the
    study's own tables (which ``results.json`` reads) are never modified.

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [0.4]}, index=["memory"])
    >>> for_report(t) is t
    True
    >>> with i18n.language("zh"):
    ...     list(for_report(t).columns), list(for_report(t).index)
    (['估计值'], ['memory'])
    """
    if frame is None or i18n.get_language() == "en":
        return frame
    return i18n.translate_frame(frame, values=values, index_values=index_values)


def _pls_missing_text(fit: PLSResult) -> str:
    """How the PLS data were completed, for a sentence of the report."""
    report = fit.data.report()
    if report["treatment"] == "mean":
        replaced = sum(report["replaced"].values())
        return (
            f"{replaced} missing answer(s) replaced by the item's mean (missing=mean)"
            if replaced
            else "no missing answers to replace (missing=mean)"
        )
    return f"listwise deletion, {report['n_dropped']} respondent(s) with a missing answer left out"


def _pls_fit_frame(fit: PLSResult, model: str) -> pd.DataFrame:
    """``n``, SRMR, d_ULS and d_G of the ``saturated`` or ``estimated`` PLS model."""
    table = fit.model_fit()
    keys = ("srmr", "d_uls", "d_g")
    return pd.DataFrame(
        {"value": [fit.n, *(table.loc[k, model] for k in keys)]}, index=["n", *keys]
    )


#: rows of the standard / scaled / robust fit columns
_ROBUST_ROWS = ("chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr")
# lavaan's fitMeasures() names of an ordinal fit, per row (suffix .scaled / .robust added)
_LAVAAN_NAMES = {
    "chi2": "chisq", "df": "df", "p": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
    "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper", "srmr": "srmr",
}  # fmt: skip


def _fit_columns(fit: Any, estimator: str) -> dict[str, dict[str, float]]:
    """``{standard, scaled, robust: {chi2, df, p, cfi, ...}}`` of an MLR or ordinal fit.

    MLR (:class:`~workbench.sem.model.SEMResult`): the plain keys, then ``*_scaled`` and
    ``*_robust`` (:data:`~workbench.sem.model.ROBUST_FIT_KEYS`); the robust column carries
    the scaled test. WLSMV or ULSMV (a view of an ordinal fit, lavaan's names in
    ``.result.fit``): ``chisq``..., ``chisq.scaled``..., ``cfi.robust``... DWLS or ULS
    (the standard test only, as lavaan): ``{standard: ...}`` alone.
    """
    out: dict[str, dict[str, float]] = {}
    if estimator == "mlr":
        f = fit.fit
        for col in ("standard", "scaled", "robust"):
            suffix = "" if col == "standard" else f"_{col}"
            test = "" if col == "standard" else "_scaled"
            row = {}
            for key in _ROBUST_ROWS:
                if key in ("chi2", "df", "p"):
                    row[key] = f.get(f"{key}{test}", np.nan)
                elif key == "srmr":
                    row[key] = f.get("srmr", np.nan)
                else:
                    row[key] = f.get(f"{key}{suffix}", np.nan)
            out[col] = row
        return out
    f = fit.result.fit
    for col in ("standard", "scaled", "robust") if "chisq.scaled" in f else ("standard",):
        row = {}
        for key in _ROBUST_ROWS:
            name = _LAVAAN_NAMES[key]
            if key == "srmr":
                row[key] = f.get(name, np.nan)
            elif key in ("chi2", "df", "p"):
                row[key] = f.get(name if col == "standard" else f"{name}.scaled", np.nan)
            else:
                row[key] = f.get(name if col == "standard" else f"{name}.{col}", np.nan)
        out[col] = row
    return out


def _with_n(table: pd.DataFrame | None, n: int) -> pd.DataFrame:
    """A standard / scaled / robust fit table with the respondents as its first row."""
    if table is None:  # pragma: no cover - called with estimator mlr or wlsmv only
        return pd.DataFrame()
    top = pd.DataFrame({c: [float(n)] for c in table.columns}, index=["n"])
    return pd.concat([top, table])


@dataclasses.dataclass(frozen=True, eq=False)
class OrdinalSEMView:
    """An :class:`~workbench.sem.ordinal_sem.OrdinalSEMResult` with the attributes the study
    reads from an ML :class:`~workbench.sem.model.SEMResult`: ``fit`` with the contract keys
    (:func:`~workbench.sem.ordinal_view.report_fit`: the scaled-shifted test and the robust
    indices), ``estimates``, ``r2`` (dict), ``constructs``, ``n``, ``warnings``."""

    result: OrdinalSEMResult

    @property
    def fit(self) -> dict[str, Any]:
        return report_fit(self.result)  # type: ignore[arg-type]

    @property
    def fit_basis(self) -> str:
        """Which indices ``fit`` holds: ``robust``, ``scaled`` (the robust ones are not
        defined, e.g. with continuous items) or ``standard`` (DWLS, ULS)."""
        return fit_basis(self.result)  # type: ignore[arg-type]

    @property
    def estimates(self) -> pd.DataFrame:
        return self.result.estimates

    @property
    def r2(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self.result.r2.items()}

    @property
    def constructs(self) -> dict[str, list[str]]:
        return self.result.constructs

    @property
    def n(self) -> int:
        return self.result.n

    @property
    def warnings(self) -> list[str]:
        return self.result.warnings


def _ordinal_comparison(
    fits: dict[str, OrdinalSEMResult], nested: Any = xp.DEFAULT_NESTED
) -> pd.DataFrame:
    """The competing models under an ordinal estimator: the contract columns (WLSMV, ULSMV:
    scaled-shifted chi-square, robust CFI/TLI/RMSEA; DWLS, ULS: the standard ones; AIC and
    BIC NaN: no likelihood), the standard chi-square and, for each nested pair, the
    difference test of lavTestLRT: scaled-shifted (Satorra 2000) for WLSMV and ULSMV, the
    plain difference of the standard statistics for DWLS (lavaan's ``method = "standard"``
    when no test is scaled) and for ULS (whose statistic has no chi-square reference: p NaN,
    as the fits' own p)."""
    rows = {}
    for name, res in fits.items():
        f = report_fit(res)  # type: ignore[arg-type]
        rows[name] = {
            **{k: f[k] for k in ("chi2", "df", "p", "cfi", "tli", "rmsea", "srmr", "aic", "bic")},
            "n": res.n,
            "chi2_standard": res.fit["chisq"],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    table["vs"] = ""
    for col in ("delta_chi2", "delta_df", "delta_p"):
        table[col] = np.nan
    for restricted, full in nested:
        if restricted in fits and full in fits:
            test = ordinal_difference_test(fits[restricted], fits[full])
            chi2, p = test["chi2_diff"], test["p"]
            if fits[restricted].test == "standard":
                chi2, df = test["standard_diff"], test["df_diff"]
                has_p = np.isfinite(fits[restricted].fit["pvalue"]) and df > 0
                p = float(stats.chi2.sf(max(chi2, 0.0), df)) if has_p else np.nan
            table.loc[restricted, "vs"] = full
            table.loc[restricted, "delta_chi2"] = chi2
            table.loc[restricted, "delta_df"] = float(test["df_diff"])
            table.loc[restricted, "delta_p"] = p
    return table


def _scaled_difference(table: pd.DataFrame, fits: dict[str, Any]) -> pd.DataFrame:
    """Satorra-Bentler (2001) scaled difference tests of the nested MLR fits, beside the
    ML ones: ``delta_chi2_scaled``, ``delta_p_scaled`` (lavaan's ``lavTestLRT`` for MLR,
    ``method = "satorra.bentler.2001"``): :math:`T_d = (T_0 - T_1)/c_d`, :math:`c_d =
    (df_0 c_0 - df_1 c_1)/(df_0 - df_1)` with the plain ML statistics :math:`T` and the
    scaling factors :math:`c`. NaN when :math:`c_d \\le 0`, where the 2001 statistic is
    undefined (Satorra & Bentler 2010); the ML test is then the one to read."""
    table = table.copy()
    table["delta_chi2_scaled"] = np.nan
    table["delta_p_scaled"] = np.nan
    for restricted, row in table.iterrows():
        full = row["vs"]
        if not full:
            continue
        f0, f1 = fits[str(restricted)].fit, fits[str(full)].fit
        d_df = f0["df"] - f1["df"]
        cd = (f0["df"] * f0["scaling_factor"] - f1["df"] * f1["scaling_factor"]) / d_df
        if not cd > 0:
            continue
        t = (f0["chi2"] - f1["chi2"]) / cd
        table.loc[restricted, "delta_chi2_scaled"] = t
        table.loc[restricted, "delta_p_scaled"] = float(stats.chi2.sf(max(t, 0.0), d_df))
    return table


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


def _pls_indirect(boot: PLSBootstrap) -> pd.DataFrame:
    """The PLS bootstrap's indirect effects in the study's layout: every specific chain, then
    for each (x, y) pair with a chain its total indirect and total effect, as the ML study
    defines them (``"x->y (total indirect)"``, ``"x->y (total)"``)."""
    columns = ["name", "chain", "kind", "estimate", "se", "ci_low", "ci_high", "std_all"]
    columns += ["bca_low", "bca_high", "method"]
    frames = []
    chains = boot.of("indirect")
    pairs = boot.of("total_indirect")
    for kind, rows, suffix in (
        ("indirect", chains, ""),
        ("total_indirect", pairs, " (total indirect)"),
        ("total", boot.of("total").reindex(pairs.index), " (total)"),
    ):
        frames.append(
            pd.DataFrame(
                {
                    "name": [f"{kind}:{name}" for name in rows.index],
                    "chain": [f"{name}{suffix}" for name in rows.index],
                    "kind": kind,
                    "estimate": rows["estimate"].to_numpy(),
                    "se": rows["boot_se"].to_numpy(),
                    "ci_low": rows["ci_low"].to_numpy(),
                    "ci_high": rows["ci_high"].to_numpy(),
                    # PLS effects are standardized: the estimate is the standardized effect
                    "std_all": rows["estimate"].to_numpy(),
                    "bca_low": rows["bca_low"].to_numpy(),
                    "bca_high": rows["bca_high"].to_numpy(),
                    "method": "percentile bootstrap",
                },
                columns=columns,
            )
        )
    return pd.concat(frames, ignore_index=True)


def _pls_importance(boot: PLSBootstrap, realms: list[str], outcome: str) -> pd.Series:
    """Each realm's total effect on the outcome in the PLS model (0 without a path)."""
    total = boot.of("total")["estimate"]
    return pd.Series(
        [float(total.get(f"{r}->{outcome}", 0.0)) for r in realms],
        index=list(realms),
        name="total_effect",
        dtype=float,
    )


def analyse(
    survey: SurveyData,
    *,
    paths: str = "",
    method: Method = "ml",
    compare_models: bool = True,
    group: str = "",
    channels: list[str] | None = None,
    outcome: str = "loyalty",
    bootstrap: int = 1000,
    seed: int = 2026,
    missing: StudyMissing | Literal[""] = "",
    sheet: str = "",  # the worksheet the survey was read from (load_survey)
    estimator: Estimator = "ml",
    ordered: str | list[str] = "auto",
) -> ExperienceStudy:
    """Run the experience-economy study (parameters as ``workbench list``).

    Parameters
    ----------
    survey : SurveyData
        The survey, loaded with its codebook.
    paths : str
        Structural paths in lavaan syntax; empty means realms -> memory -> satisfaction ->
        loyalty (:func:`workbench.sem.experience.default_structural_paths`).
    method : {"ml", "pls"}
        ``"ml"``: covariance-based SEM by maximum likelihood. ``"pls"``: PLS-SEM of the same
        paths between reflective (Mode A) composites, with bootstrap inference (see the
        module docstring).
    compare_models : bool
        Compare the competing measurement models of the realms (ML CFAs, either method).
    group : str
        Column for the measurement-invariance tests (ML CFAs, either method).
    channels : list of str, optional
        ``[online, offline]`` constructs for the cross-channel consistency analysis.
    outcome : str
        Final outcome of the realms' importance and the consistency analysis.
    bootstrap : int
        Resamples of the bootstrap (indirect effects under ``ml``; every path, R² and
        indirect effect under ``pls``).
    seed : int
        Seed of the bootstrap.
    missing : {"", "fiml", "listwise", "mean"}
        ``ml`` takes ``fiml`` (its default, ``""``) or ``listwise``; ``pls`` takes ``mean``
        (item-mean replacement, its default) or ``listwise``. Under ``fiml`` alpha and omega
        come from the EM correlations. The ML analyses of a ``pls`` run (model comparison,
        invariance) use listwise deletion.
    sheet : str
        The worksheet the survey was read from (recorded only).
    estimator : {"ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls"}
        With ``method=ml``: ``ml`` (maximum likelihood), ``mlr`` (robust ML: Huber-White
        SEs, Yuan-Bentler scaled test, robust indices; competing models with
        Satorra-Bentler scaled difference tests; invariance by robust ML) or an ordinal one,
        the items as ordered (lavaan's ``ordered=`` with ``estimator = "WLSMV"``, ``"DWLS"``,
        ``"ULSMV"`` or ``"ULS"``): :func:`workbench.sem.ordinal.fit_ordinal_cfa` for the
        measurement model, :func:`workbench.sem.ordinal_sem.fit_ordinal_sem` for the
        structural and competing models, delta-method indirect effects,
        :func:`workbench.sem.ordinal_invariance.ordinal_invariance` (WLSMV, whatever the
        ordinal estimator, said in a warning) across ``group``; ``missing=listwise`` only.
        ``wlsmv`` and ``ulsmv`` (DWLS or unweighted least squares) give robust SEs, the
        scaled-shifted test and its difference test; ``dwls`` (the WLSMV estimates) and
        ``uls`` give lavaan's standard SEs and standard test, and the plain difference of
        the standard statistics (ULS: no p-value). With ``mlr`` and the ordinal estimators
        the ML structural model on the same respondents is fitted too, for the comparison
        the report states.
    ordered : {"auto", "all", "none"} or list of str
        Which items an ordinal estimator treats as ordered, as the factor-analysis study
        (:func:`~workbench.studies.factor_analysis.ordered_setting`): ``auto`` every model
        item when the codebook's scale has at most 7 points; ``all`` every model item, each
        with 2 to 7 categories; ``none`` is refused with an ordinal estimator; a list of
        items (lavaan's ``ordered = c(...)``): model items left out are continuous, an
        unknown item is refused
        (:func:`~workbench.studies.factor_analysis.ordinal_item_table`, the rule of the
        factor-analysis study). ``ml`` and ``mlr`` take ``auto`` or ``none``.

    Returns
    -------
    ExperienceStudy

    Raises
    ------
    InputError
        No codebook; an unknown ``method`` or a ``missing`` it does not take (before any
        estimation); an ``estimator`` the run cannot use (:func:`check_estimator`); with
        an ordinal estimator an item that cannot be treated as ordered, an unknown item in
        ``ordered`` (named), or a single-item construct;
        bad ``paths``, ``outcome``, ``group`` or ``channels``.
    """
    require_codebook(survey, "experience-economy")
    missing = default_missing(method, missing)  # type: ignore[assignment]
    check_method(method, missing, file=survey.path)
    ordered = ordered_setting(ordered)
    check_estimator(estimator, method, missing, ordered, group, file=survey.path)
    ordinal = estimator in ORDINAL_ESTIMATORS
    # lavaan's name of the ordinal estimator (fit_ordinal_cfa / fit_ordinal_sem)
    lavaan_name: Any = ORDINAL_ESTIMATORS.get(estimator, "WLSMV")

    ordered_items: list[str] = []  # set below: the items the ordinal models treat as ordered

    def ordered_of(columns: Any) -> list[str]:
        """The ordered items among a fit's columns (the others are continuous)."""
        return [c for c in columns if c in ordered_items]  # ordered_items as set below

    pls = method == "pls"
    cb = survey.codebook
    channels = list(channels or [])
    warnings: list[str] = []
    realms = xp.resolve_constructs(cb, xp.REALMS)
    structural = paths.strip() or xp.default_structural_paths(cb)
    parsed = xp.parse_paths(structural, cb)
    if pls:
        spec = specify_model(pls_model(survey, structural))
        mentioned = set(spec.constructs)
    else:
        model = xp.full_model(cb, structural)
        mentioned = {lhs for lhs, _, _ in parsed} | {t for _, _, terms in parsed for t in terms}
    used = [c for c in cb.constructs if c in mentioned or c in realms.values()]
    constructs = {c: list(cb.constructs[c].items) for c in used}
    single = [c for c, items in constructs.items() if len(items) < 2]
    if single and pls:
        warnings.append(
            f"Single-item construct(s) {', '.join(single)}: a composite of one item, whose "
            "reliability cannot be assessed (it is taken as 1) and whose measurement error "
            "stays in the paths."
        )
    elif single:
        warnings.append(
            f"Single-item construct(s) {', '.join(single)} enter the SEM with one indicator "
            "(no measurement error can be estimated for them)."
        )
    items = [i for c in used for i in constructs[c]]
    frame = survey.frame
    data = frame[items]
    cats = None
    if ordinal:
        if single:
            raise InputError(
                f"Single-item construct(s) {', '.join(single)} cannot enter the {lavaan_name} "
                "model: "
                "one ordered item does not identify a latent variable's variance.",
                file=survey.path,
                hint="Give each construct of the model at least two items, or use "
                "estimator=ml or mlr.",
            )
        # which items are ordered (one rule, the factor-analysis study's): all of them, the
        # listed ones, or under auto without an answer scale those with few categories
        cats = ordinal_item_table(
            ordered, data.dropna(), cb.scale, list(survey.items.columns), file=survey.path
        )
        ordered_items = [str(i) for i in cats.index[cats["ordered"]]]
    if outcome not in cb.constructs:
        raise InputError(
            f"The outcome '{outcome}' is not a construct of the codebook.",
            file=survey.path,
            hint="Pass --param outcome=NAME.",
        )
    # the covariance-based analyses: FIML or listwise (a PLS run's ML analyses are listwise)
    ml_missing: sem.Missing = "fiml" if missing == "fiml" else "listwise"
    realm_names = [realms[r] for r in xp.REALMS]
    realm_table = xp.realm_table(frame, cb, realm_names)

    measurement: Any
    rel: Any
    boot: Any = None
    fit: Any
    if pls:
        # measurement and structural model in one PLS fit, inferred by the bootstrap
        boot = bootstrap_pls(
            frame,
            spec,
            estimator="pls",
            inner_weighting="path",
            missing="mean" if missing == "mean" else "listwise",
            n_boot=bootstrap,
            seed=seed,
            ci=PLS_CI,
        )
        fit = measurement = boot.fit
        rel = fit.reliability()
        indirect = _pls_indirect(boot)
        warnings += [
            tr("PLS-SEM: {warning}", warning=i18n.translate(w))
            for w in boot.warnings
            if w not in warnings
        ]
        outside = [r for r in realm_names if r not in mentioned]
        if outside:
            warnings.append(
                f"Realm(s) {', '.join(outside)} are not in the paths, so the PLS model (and "
                "its measurement assessment) leaves them out."
            )
    else:
        # measurement: CFA of every construct in the model, reliability, validity
        multi = {c: v for c, v in constructs.items() if len(v) >= 2}
        multi_items = [i for v in multi.values() for i in v]
        if ordinal:
            measurement = OrdinalCFAView(
                fit_ordinal_cfa(
                    data.dropna()[multi_items],
                    multi,
                    ordered=ordered_of(multi_items),
                    estimator=lavaan_name,
                )
            )
        else:
            measurement = sem.fit_cfa(
                data[multi_items], multi, missing=ml_missing, estimator=estimator
            )  # ml or mlr here
        warnings += [
            tr("Measurement model: {warning}", warning=i18n.translate(w))
            for w in measurement.warnings
        ]
        rel = reliability(data, multi, missing="em" if missing == "fiml" else "listwise")
        warnings += [w for w in rel.warnings if w not in warnings]

    # competing measurement models of the realms (same items, same rows)
    comparison = None
    comparison_basis: str | None = None
    if compare_models:
        realm_constructs = {r: constructs[r] for r in realm_names}
        realm_items = [i for r in realm_names for i in constructs[r]]
        realm_data = data[realm_items] if missing == "fiml" else data[realm_items].dropna()
        syntaxes = xp.competing_models(realm_constructs, realm_names)
        fits: dict[str, Any]
        if ordinal:  # the same complete cases as the structural model
            realm_data = data.dropna()[realm_items]
            fits = {
                name: fit_ordinal_sem(
                    realm_data, syn, ordered=ordered_of(realm_items), estimator=lavaan_name
                )
                for name, syn in syntaxes.items()
            }
            comparison = _ordinal_comparison(fits)
            # robust when every model has the robust indices, else scaled (continuous items)
            # or standard (DWLS, ULS): the basis report_fit gave the table's columns
            bases = {fit_basis(res) for res in fits.values()}
            comparison_basis = next(b for b in ("standard", "scaled", "robust") if b in bases)
        else:
            ml_est: sem.Estimator = "mlr" if estimator == "mlr" and not pls else "ml"
            fits = {
                name: sem.fit_sem(realm_data, syn, missing=ml_missing, estimator=ml_est)
                for name, syn in syntaxes.items()
            }
            comparison = xp.compare_models(fits, nested=xp.DEFAULT_NESTED)
            if ml_est == "mlr":
                comparison = _scaled_difference(comparison, fits)
        for name, model_fit in fits.items():
            warnings += [
                tr("{model}: {warning}", model=i18n.label(name), warning=i18n.translate(w))
                for w in model_fit.warnings
                if "dropped" not in w
            ]

    # structural model with indirect effects (a PLS run estimated it with the measurement)
    ml_reference = None
    if not pls:
        syntax, chains = indirect_effects_syntax(model)
        if ordinal:
            fit = OrdinalSEMView(
                fit_ordinal_sem(data, syntax, ordered=ordered_of(items), estimator=lavaan_name)
            )
            indirect = _delta_method_indirect(fit, chains, 0.95)
            ml_reference = sem.fit_sem(data.dropna(), syntax)
        elif missing == "fiml":
            fit = sem.fit_sem(
                data, syntax, missing="fiml", estimator="mlr" if estimator == "mlr" else "ml"
            )
            indirect = _delta_method_indirect(fit, chains, 0.95)
            if estimator == "mlr":
                ml_reference = sem.fit_sem(data, syntax, missing="fiml")
            warnings.append(
                "Under FIML the indirect effects carry delta-method (normal-theory) intervals; "
                "the bootstrap is available with missing=listwise."
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
            if estimator == "mlr":  # the bootstrap's ML fit is the reference; MLR's inference
                ml_reference = fit
                fit = sem.fit_sem(data, syntax, estimator="mlr")
        warnings += [
            tr("Structural model: {warning}", warning=i18n.translate(w))
            for w in fit.warnings
            if w not in warnings
        ]

    # invariance of the realms' measurement across groups
    inv: Any = None
    if group:
        if group not in frame.columns:
            raise InputError(
                f"Group column '{group}' is not in the data.",
                file=survey.path,
                column=group,
                hint="Pass --param group=COLUMN.",
            )
        realm_constructs = {r: constructs[r] for r in realm_names}
        realm_frame = frame[[i for r in realm_names for i in constructs[r]] + [group]]
        if ordinal:  # the respondents of the other ordinal models (complete on every item)
            complete = frame[items].notna().all(axis=1)
            left = [i for i in realm_frame.columns[:-1] if i not in ordered_items]
            if left:  # ordinal_invariance treats every item as ordered
                warnings.append(
                    f"Invariance across {group} was not tested: the invariance tests of "
                    f"ordered items treat every realm item as ordered, and {', '.join(left)} "
                    "are continuous here. List every realm item in ordered (or use "
                    "ordered=all) to test it."
                )
            else:
                try:  # Wu & Estabrook (2016) under the run's estimator, as lavaan
                    inv = ordinal_invariance(
                        realm_frame[complete],
                        realm_constructs,
                        group,
                        estimator=lavaan_name,  # an ordinal estimator here
                    )
                except InputError as err:  # e.g. a category nobody chose in one group
                    warnings.append(
                        f"Invariance across {group} was not tested under {lavaan_name}: "
                        f"{err.problem} What to do: {err.hint}"
                    )
        else:
            # mlr: robust SEs, Yuan-Bentler scaled tests and Satorra-Bentler (2001) scaled
            # difference tests, as lavaan's MLR (workbench.sem.invariance)
            inv = measurement_invariance(
                realm_frame,
                realm_constructs,
                group,
                missing=ml_missing,
                estimator="mlr" if estimator == "mlr" else "ml",
            )
        if inv is not None:
            warnings += [
                tr("Invariance: {warning}", warning=i18n.translate(w)) for w in inv.warnings
            ]

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
        warnings += [
            tr("Consistency: {warning}", warning=i18n.translate(w)) for w in consistency.warnings
        ]

    # importance-performance of the realms
    in_model = [r for r in realm_names if r in mentioned]
    importance = pd.Series(dtype=float)
    if outcome in mentioned and in_model:
        importance = (
            _pls_importance(boot, in_model, outcome)
            if pls
            else xp.realm_importance(fit, in_model, outcome)
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
            "method": method,
            "compare_models": compare_models,
            "group": group,
            "channels": channels,
            "outcome": outcome,
            "bootstrap": bootstrap,
            "seed": seed,
            "missing": missing,
            "estimator": estimator,
            "ordered": ordered,
        },
        realms=realms,
        constructs=constructs,
        paths=structural,
        measurement=measurement,
        reliability=rel,
        realm_table=realm_table,
        comparison=comparison,
        comparison_basis=comparison_basis,
        structural=fit,
        boot=boot,
        indirect=indirect.reset_index(drop=True),
        invariance=inv,
        consistency=consistency,
        ipa=ipa,
        importance=importance,
        n_structural=int(fit.n),
        findings=(),
        # written in English here and by the statistics layers: translated for the report
        warning_messages=tuple(dict.fromkeys(i18n.translate(w) for w in warnings)),
        missing_diagnosis=diagnose_missing(survey, items, groups=group or None),
        method=method,
        estimator=estimator,
        item_categories=cats,
        ml_reference=ml_reference,
    )
    return dataclasses.replace(study, findings=tuple(i18n.translate(f) for f in _findings(study)))


def _findings(s: ExperienceStudy) -> list[str]:
    lab = s.label
    out = []
    if s.is_pls:
        out.append(_pls_fit_finding(s))
    else:
        f = dict(s.structural.fit)
        kind = ""
        if s.estimator == "mlr":  # the verdict reads the robust indices
            robust = _fit_columns(s.structural, "mlr")["robust"]
            f.update({k: v for k, v in robust.items() if k not in ("chi2", "df", "p")})
            kind = " (robust indices, MLR)"
        elif s.ordinal:  # WLSMV, ULSMV: robust (else scaled) indices; DWLS, ULS: standard
            which = {
                "robust": "robust indices",
                "scaled": "scaled indices",
                "standard": "standard test and indices",
            }[s.structural.fit_basis]
            kind = f" ({which}, {s.lavaan_estimator})"
        verdict = (
            "fits well"
            if f["cfi"] >= 0.95 and f["rmsea"] <= 0.06 and f["srmr"] <= 0.08
            else "fits acceptably"
            if f["cfi"] >= 0.90 and f["rmsea"] <= 0.08
            else "fits poorly"
        )
        out.append(
            f"The experience model {verdict} (n = {f['n']}){kind}: CFI {f['cfi']:.3f}, TLI "
            f"{f['tli']:.3f}, RMSEA {f['rmsea']:.3f} (90% CI {f['rmsea_ci_low']:.3f}–"
            f"{f['rmsea_ci_high']:.3f}), SRMR {f['srmr']:.3f}."
        )
        if s.against_ml_note:
            out.append(s.against_ml_note)
    r2_of = s._r2()
    paths = s.paths_table()
    realm_names = [s.realms[r] for r in xp.REALMS]
    for target in dict.fromkeys(paths["outcome"]):
        part = paths[(paths["outcome"] == target) & paths["predictor"].isin(realm_names)]
        if len(part) >= 2:
            top = part.sort_values("std", ascending=False).iloc[0]
            ns = part[part["p"] >= 0.05]["predictor"].tolist()
            r2 = r2_of.get(target, np.nan)
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
        kind = " (maximum-likelihood CFAs, whatever the structural estimator)" if s.is_pls else ""
        if s.ordinal:  # DWLS and ULS have no likelihood, so no AIC/BIC
            best = c["cfi"].idxmax()
            which = {"robust": "robust ", "scaled": "scaled "}.get(s.comparison_basis or "", "")
            text = (
                f"Of the competing measurement models ({s.lavaan_estimator}), '{best}' has the "
                f"highest {which}CFI."
            )
        else:
            best = c["bic"].idxmin()
            text = f"Of the competing measurement models{kind}, '{best}' has the lowest BIC."
        # one sentence per nested pair follows: each translated by itself (as a whole text
        # the sentences could not be told apart by the catalogue's patterns)
        text = i18n.translate(text)
        # the difference test the estimator calls for: scaled-shifted (WLSMV, ULSMV, in
        # delta_*), Satorra-Bentler scaled (MLR), the plain DWLS difference (lavTestLRT of
        # DWLS fits; ULS: no p-value, so no sentence) or the ML likelihood ratio
        scaled = "delta_p_scaled" in c
        col_p, col_chi2 = (
            ("delta_p_scaled", "delta_chi2_scaled") if scaled else ("delta_p", "delta_chi2")
        )
        how = {
            "wlsmv": " scaled-shifted",
            "ulsmv": " scaled-shifted",
            "mlr": " Satorra-Bentler scaled",
        }.get(s.estimator, "")
        for name, row in c.iterrows():
            use_p, use_chi2, label = col_p, col_chi2, how.strip()
            if scaled and pd.isna(row.get(col_p)) and pd.notna(row.get("delta_p")):
                # the Satorra-Bentler correction is negative: the ML test instead
                use_p, use_chi2 = "delta_p", "delta_chi2"
                label = "ML; the scaled difference is undefined here,"
            if use_p in c and pd.notna(row.get(use_p)):
                worse = row[use_p] < 0.05
                text += i18n.translate(
                    f" '{name}' fits {'significantly worse than' if worse else 'as well as'} "
                    f"'{row['vs']}' ({label + ' ' if label else ''}Δχ²"
                    f"({int(row['delta_df'])}) = {row[use_chi2]:.1f}, {format_p(row[use_p])})."
                )
        out.append(text)
    if s.invariance is not None:
        how = " (maximum-likelihood CFAs of the realms)" if s.is_pls else ""
        if s.ordinal:
            how = f" (ordered items, {s.lavaan_estimator}; Wu & Estabrook 2016)"
        out.append(
            f"Measurement across {s.parameters['group']} groups{how}: {s.invariance.verdict}"
        )
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


def _pls_fit_finding(s: ExperienceStudy) -> str:
    """The first finding of a PLS run: the estimator, the data it used, SRMR with its caveat."""
    fit = s.structural
    srmr = float(fit.model_fit().loc["srmr", "estimated"])
    reading = (
        f"below {SRMR_MAX:.2f}, commonly read as good fit"
        if srmr < SRMR_MAX
        else f"at or above {SRMR_MAX:.2f}, commonly read as misfit"
    )
    return (
        "The model was estimated by PLS-SEM (method=pls: reflective constructs as Mode A "
        f"composites, {fit.inner_weighting} weighting), not by maximum-likelihood SEM, on "
        f"n = {fit.n} ({_pls_missing_text(fit)}); SEs, p values and 95% intervals come from "
        f"{s.boot.n_boot:,} bootstrap resamples (seed {s.boot.seed}). SRMR {srmr:.3f} "
        f"({reading}; PLS fit measures are to be read with caution, Hair et al. 2022)."
    )
