"""Methods and results paragraphs in APA sentence style, written from a run's ``results.json``.

Each study has one methods template and one results template in
:data:`~workbench.presentation.export_text.TEXT` (``method.<study>``, ``result.<study>``);
this module only fills them with formatted numbers from the run (nothing is recomputed)
and says which references they cite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workbench.i18n import gettext, translate
from workbench.presentation.apa import (
    MISSING,
    escape,
    format_bounded,
    format_ci,
    format_int,
    format_number,
    format_percent,
    format_stat,
    is_missing,
    join_list,
    join_sentences,
    p_text,
    stat_text,
)
from workbench.presentation.export_tables import (
    estimator_text,
    fit_sentence,
    missing_text,
    need,
    opt,
)
from workbench.presentation.export_text import STUDY_REFERENCES, TEXT, text

Results = Mapping[str, Any]
#: methods paragraphs, results paragraphs, cited reference keys
_Paragraphs = tuple[list[str], list[str], set[str]]


def fit_word(fit: Mapping[str, Any]) -> str:
    """``well`` / ``acceptably`` / ``poorly`` by Hu and Bentler's (1999) joint criteria.

    well: CFI >= .95 and RMSEA <= .06 (and SRMR <= .08 when given); acceptably: CFI >= .90
    and RMSEA <= .08; otherwise poorly.
    """
    if is_missing(fit.get("cfi")) or is_missing(fit.get("rmsea")):
        return text("fit.acceptable")
    cfi, rmsea = float(fit["cfi"]), float(fit["rmsea"])
    srmr = None if is_missing(fit.get("srmr")) else float(fit["srmr"])
    if cfi >= 0.95 and rmsea <= 0.06 and (srmr is None or srmr <= 0.08):
        return text("fit.good")
    if cfi >= 0.90 and rmsea <= 0.08:
        return text("fit.acceptable")
    return text("fit.poor")


def sample_sentence(results: Results) -> str:
    missing = results.get("missing") or {}
    n_total = missing.get("n_total")
    data = escape(_file_name(results.get("data_file")))
    if n_total is not None:
        return text(
            "method.sample",
            n=format_int(results.get("n_used")),
            n_total=format_int(n_total),
            data=data,
            missing=missing_text(results),
        )
    return text(
        "method.sample_rows",
        n=format_int(results.get("n_used")),
        data=data,
        missing=missing_text(results),
    )


def software_sentence(results: Results) -> str:
    v = results.get("versions") or {}
    return text(
        "method.software",
        workbench=escape(v.get("loyalty-workbench", "?")),
        python=escape(v.get("python", "?")),
        numpy=escape(v.get("numpy", "?")),
        pandas=escape(v.get("pandas", "?")),
        scipy=escape(v.get("scipy", "?")),
        statsmodels=escape(v.get("statsmodels", "?")),
    )


def _file_name(path: Any) -> str:
    return str(path or "").replace("\\", "/").rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------- per study
def _factor_analysis(r: Results) -> _Paragraphs:
    efa = need(r, "efa")
    params = r.get("parameters") or {}
    cfa = r.get("cfa") or {}
    parallel = str(opt(r, "n_factors", "rule") or "").lower().startswith("parallel")
    methods = [
        text(
            "method.factor-analysis" if parallel else "method.factor-analysis_fixed",
            method=escape(efa.get("method", "")),
            rotation=escape(efa.get("rotation", "")),
            correlation=gettext(CORRELATIONS.get(str(params.get("correlation")), "Pearson")),
            k=efa.get("n_factors", MISSING),
            estimator=estimator_text(cfa.get("estimator", "ml")),
        )
    ]
    cited = set(STUDY_REFERENCES["factor-analysis"]) - (set() if parallel else {"horn1965"})
    alphas = [v.get("alpha") for v in (r.get("reliability") or {}).values()]
    alphas = [a for a in alphas if not is_missing(a)]
    bartlett = r.get("bartlett") or {}
    fit = cfa.get("fit") or {}
    results = [
        text(
            "result.factor-analysis",
            kmo=format_stat(opt(r, "kmo", "overall"), "kmo"),
            bartlett=stat_text(
                "chi2", format_stat(bartlett.get("chi2"), "chi2"), _df(bartlett.get("df"))
            ),
            bartlett_p=p_text(bartlett.get("p")),
            k=efa.get("n_factors", MISSING),
            alpha_min=format_bounded(min(alphas)) if alphas else MISSING,
            alpha_max=format_bounded(max(alphas)) if alphas else MISSING,
            fit_word=fit_word(fit),
            fit=fit_sentence(fit),
        )
    ]
    return methods, results, cited


#: correlation types as a sentence names them
CORRELATIONS = {"pearson": "Pearson", "spearman": "Spearman", "polychoric": "polychoric"}


def _df(value: Any) -> str:
    from workbench.presentation.apa import format_df

    return format_df(value)


def _loyalty_drivers(r: Results) -> _Paragraphs:
    model = need(r, "model")
    coefficients = need(r, "model", "coefficients")
    params = r.get("parameters") or {}
    drivers = [escape(d) for d in params.get("drivers") or [] if d in coefficients]
    kind = str(model.get("kind", "ols"))
    model_words = text(f"model.{kind}") if f"model.{kind}" in _KINDS else escape(kind)
    outcome = escape(model.get("outcome", ""))
    methods = [
        text(
            "method.loyalty-drivers",
            outcome=outcome[:1].upper() + outcome[1:],
            drivers=join_list(drivers, text("word.and")),
            model=model_words,
        )
    ]
    cited = set(STUDY_REFERENCES["loyalty-drivers"]) - {"hayes2022"}
    med = r.get("mediation")
    if med:
        methods.append(
            text(
                "method.mediation",
                x=escape(med["x"]),
                y=escape(med["y"]),
                m=escape(med["mediator"]),
                boot=format_int(med.get("bootstrap")),
            )
        )
        cited.add("hayes2022")
    ri = r.get("relative_importance") or {}
    betas = {
        t: c.get("std_beta")
        for t, c in coefficients.items()
        if t != "Intercept" and not is_missing(c.get("std_beta"))
    }
    results: list[str] = []
    if betas and "r2" in model:
        top = max(betas, key=lambda t: abs(betas[t]))
        lmg = (ri.get(top) or {}).get("lmg")
        r2 = model.get("r2")
        results.append(
            text(
                "result.loyalty-drivers",
                r2_pct=format_percent(r2),
                outcome=outcome,
                r2_text=stat_text("R2", format_stat(r2, "R2")),
                top=escape(top)[:1].upper() + escape(top)[1:],
                top_beta=format_stat(betas[top], "beta"),
                top_p=p_text(coefficients[top].get("p")),
                top_lmg=format_stat(lmg, "R2"),
                top_share=format_percent(lmg / ri["r2"])
                if not is_missing(lmg) and not is_missing(ri.get("r2")) and ri["r2"]
                else MISSING,
            )
        )
    if med:
        direct_p = opt(med, "paths", "c_prime", "p")
        results.append(
            text(
                "result.mediation_no_p" if is_missing(direct_p) else "result.mediation",
                x=escape(med["x"]),
                y=escape(med["y"]),
                m=escape(med["mediator"]),
                indirect=format_number(med.get("indirect"), 2),
                ci=format_ci(med.get("indirect_ci_low"), med.get("indirect_ci_high")),
                direct=format_number(med.get("c_prime"), 2),
                direct_p=p_text(direct_p),
            )
        )
    return methods, results, cited


_KINDS = {"model.ols", "model.logit", "model.ordinal", "model.poisson"}


def _experience_economy(r: Results) -> _Paragraphs:
    sem = need(r, "sem")
    methods = [text("method.experience-economy", estimator=estimator_text(sem.get("method")))]
    group = opt(r, "parameters", "group")
    cited = set(STUDY_REFERENCES["experience-economy"]) - {"chen2007"}
    if r.get("invariance") and group:
        methods.append(text("method.invariance", group=escape(group)))
        cited.add("chen2007")
    paths = sem.get("paths") or {}
    results: list[str] = []
    if paths:
        key = max(paths, key=lambda k: abs(paths[k].get("std") or 0))
        lhs, _, rhs = key.partition("~")
        results.append(
            text(
                "result.experience-economy",
                fit_word=fit_word(sem.get("fit") or {}),
                fit=fit_sentence(sem.get("fit") or {}),
                strongest=text("row.arrow", a=escape(rhs), b=escape(lhs)),
                beta=format_stat(paths[key].get("std"), "beta"),
                p=p_text(paths[key].get("p")),
            )
        )
    return methods, results, cited


def _pls_sem(r: Results) -> _Paragraphs:
    pls = need(r, "pls")
    boot = opt(r, "pls", "bootstrap", "n_boot") or opt(r, "parameters", "bootstrap")
    methods = [
        text(
            "method.pls-sem",
            weighting=escape(pls.get("inner_weighting", "path")),
            boot=format_int(boot),
        )
    ]
    paths = need(r, "paths")
    r2 = r.get("r2") or {}
    results: list[str] = []
    if paths:
        key = max(paths, key=lambda k: abs(paths[k].get("estimate") or 0))
        a, _, b = key.partition("->")
        r2_text = join_list(
            [
                text("phrase.variance_of", share=format_percent(v.get("r2")), construct=escape(k))
                for k, v in r2.items()
            ],
            text("word.and"),
        )
        results.append(
            text(
                "result.pls-sem",
                r2_text=r2_text or MISSING,
                strongest=text("row.arrow", a=escape(a), b=escape(b)),
                beta=format_stat(paths[key].get("estimate"), "beta"),
                ci=format_ci(paths[key].get("ci_low"), paths[key].get("ci_high"), bounded=True),
                p=p_text(paths[key].get("p")),
                srmr=format_stat(opt(r, "fit", "srmr"), "srmr"),
            )
        )
    return methods, results, set(STUDY_REFERENCES["pls-sem"])


def _member_analytics(r: Results) -> _Paragraphs:
    churn = r.get("churn") or {}
    methods = [
        text(
            "method.member-analytics",
            churn_model=escape(opt(r, "parameters", "churn_model") or churn.get("model", "")),
        )
    ]
    holdout = opt(r, "clv", "holdout") or {}
    results = [
        text(
            "result.member-analytics",
            predicted=format_number(holdout.get("predicted"), 0),
            actual=format_number(holdout.get("actual"), 0),
            auc=format_stat(churn.get("auc"), "auc"),
            ci=format_ci(churn.get("auc_ci_low"), churn.get("auc_ci_high"), bounded=True),
        )
    ]
    return methods, results, set(STUDY_REFERENCES["member-analytics"])


def _programme_evaluation(r: Results) -> _Paragraphs:
    did = need(r, "did")
    methods = [
        text(
            "method.programme-evaluation",
            model=escape(did.get("model", "")),
            outcome=escape(did.get("outcome", "")),
        )
    ]
    results = [
        text(
            "result.programme-evaluation",
            outcome=escape(did.get("outcome", "")),
            estimate=format_number(did.get("estimate"), 3),
            ci=format_ci(did.get("ci_low"), did.get("ci_high"), 3),
            p=p_text(did.get("p")),
            relative=format_percent(did.get("relative_effect"), 1),
        )
    ]
    return methods, results, set(STUDY_REFERENCES["programme-evaluation"])


def _segmentation(r: Results) -> _Paragraphs:
    seg = need(r, "segmentation")
    methods = [
        text(
            "method.segmentation",
            method=escape(seg.get("method", "")),
            variables=join_list([escape(v) for v in seg.get("variables") or []], text("word.and")),
            chosen_by=escape(translate(seg.get("chosen_by", ""))),
        )
    ]
    segments = r.get("segments") or {}
    shares = [s.get("share") for s in segments.values() if not is_missing(s.get("share"))]
    results = [
        text(
            "result.segmentation",
            k=seg.get("k", MISSING),
            model=escape(seg.get("model", "")),
            share=format_percent(max(shares)) if shares else MISSING,
        )
    ]
    return methods, results, set(STUDY_REFERENCES["segmentation"])


def _points_programme(r: Results) -> _Paragraphs:
    red = need(r, "redemption")
    programme = r.get("programme") or {}
    gg = r.get("goal_gradient") or {}
    tests = r.get("redemption_effect_tests") or {}
    period_key = f"period.{tests.get('period')}"
    period = text(period_key) if period_key in TEXT else escape(tests.get("period", ""))
    outcome = escape(tests.get("outcome", ""))
    methods = [
        text(
            "method.points-programme",
            value=format_number(programme.get("point_value"), 2),
            months=programme.get("expiry_months", MISSING),
            boot=format_int(red.get("n_boot")),
            threshold=format_int(programme.get("reward_threshold") or gg.get("reward_threshold")),
            outcome=outcome or MISSING,
        )
    ]
    liability = r.get("liability") or {}
    closing = list(liability.values())[-1].get("closing") if liability else None
    results = [
        text(
            "result.points-programme",
            issued=format_int(red.get("issued")),
            rate=format_percent(red.get("ultimate_rate"), 1),
            ci=_percent_interval(red.get("ci_low"), red.get("ci_high")),
            breakage=format_percent(red.get("breakage"), 1),
            asof=escape(red.get("asof", MISSING)),
            liability=format_number(closing, 2),
        )
    ]
    if gg:
        results.append(
            text(
                "result.goal_gradient",
                change=format_percent(gg.get("pct_change"), 1),
                ci=_percent_interval(gg.get("pct_ci_low"), gg.get("pct_ci_high")),
                b=format_number(gg.get("slope"), 3),
                p=p_text(gg.get("p")),
            )
        )
    avg = tests.get("average_post") or {}
    if avg:
        pre_p = tests.get("pre_trend_p")
        differed = isinstance(pre_p, (int, float)) and not is_missing(pre_p) and pre_p < 0.05
        results.append(
            text(
                "result.redemption_effect" if differed else "result.redemption_effect_parallel",
                outcome=outcome,
                period=period,
                average=format_number(avg.get("estimate"), 2),
                ci=format_ci(avg.get("ci_low"), avg.get("ci_high")),
                p=p_text(avg.get("p")),
                pretrend=stat_text(
                    "chi2",
                    format_stat(tests.get("pre_trend_chi2"), "chi2"),
                    _df(tests.get("pre_trend_df")),
                )
                + ", "
                + p_text(pre_p),
            )
        )
    return methods, results, set(STUDY_REFERENCES["points-programme"])


def _percent_interval(low: Any, high: Any) -> str:
    """``[65.8%, 68.2%]``: an interval of shares in percent (APA brackets)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"[{format_percent(low, 1)}, {format_percent(high, 1)}]"


WRITERS: dict[str, Callable[[Results], _Paragraphs]] = {
    "factor-analysis": _factor_analysis,
    "loyalty-drivers": _loyalty_drivers,
    "experience-economy": _experience_economy,
    "pls-sem": _pls_sem,
    "member-analytics": _member_analytics,
    "programme-evaluation": _programme_evaluation,
    "segmentation": _segmentation,
    "points-programme": _points_programme,
}


def paragraphs(results: Results) -> tuple[list[str], list[str], set[str]]:
    """The methods paragraphs, results paragraphs and cited reference keys of a run.

    The methods start with the sample and missing-data sentence and end with the software
    sentence (versions from ``results.json``).
    """
    study = str(results["study"])
    methods, found, cited = WRITERS[study](results)
    methods = [join_sentences(sample_sentence(results), methods[0]), *methods[1:]]
    methods.append(software_sentence(results))
    return methods, found, set(cited)
