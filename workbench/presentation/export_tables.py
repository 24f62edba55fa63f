"""APA table builders: one function per study, reading its ``results.json`` (never recomputing).

Each builder takes the parsed ``results.json`` and returns
:class:`~workbench.presentation.export.Table` objects in the order a paper shows them. Keys a
table needs are read with
:func:`need`, which raises :class:`~workbench.errors.InputError` naming the missing key;
optional parts (mediation, invariance, ...) are left out when the run has none.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from workbench.errors import InputError
from workbench.i18n import get_language, gettext, translate
from workbench.presentation.apa import (
    MISSING,
    escape,
    format_bounded,
    format_ci,
    format_df,
    format_int,
    format_number,
    format_p,
    format_percent,
    format_stat,
    is_missing,
    join_sentences,
    p_text,
    space_cjk,
    stat_text,
    symbol,
)
from workbench.presentation.export import Table
from workbench.presentation.export_text import TEXT, text

Results = Mapping[str, Any]


def need(results: Results, *keys: str) -> Any:
    """``results[k1][k2]...``; :class:`InputError` naming the key when it is absent."""
    value: Any = results
    for i, key in enumerate(keys):
        if not isinstance(value, Mapping) or key not in value or value[key] is None:
            raise InputError(
                text("error.missing_key", study=results.get("study"), key=".".join(keys[: i + 1])),
                file="results.json",
                hint=text("error.missing_key_hint"),
            )
        value = value[key]
    return value


def opt(results: Results, *keys: str) -> Any:
    """``results[k1][k2]...`` or ``None`` when any level is absent."""
    value: Any = results
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def title_name(name: Any) -> str:
    """A name from the data for a title in title case: its first letter capitalized."""
    value = escape(name)
    return value[:1].upper() + value[1:]


def missing_text(results: Results) -> str:
    """The missing-data treatment of a run, in words (markup)."""
    missing = results.get("missing") or {}
    treatment = str(missing.get("treatment", ""))
    key = f"missing.{treatment}"
    if key in MISSING_WORDS:
        return gettext(MISSING_WORDS[key], m=missing.get("m", "?"))
    return escape(translate(treatment)) if treatment else text("none")


#: the missing-data treatments of the survey studies, in words
MISSING_WORDS: dict[str, str] = {
    "missing.fiml": "full-information maximum likelihood (FIML)",
    "missing.listwise": "listwise deletion",
    "missing.pairwise": "pairwise deletion",
    "missing.mi": "multiple imputation by chained equations ({m} imputations)",
    "missing.mean": "replacement by the item means",
    "missing.em": "expectation-maximization (EM) estimates",
}

ESTIMATORS: dict[str, str] = {
    "ml": "maximum likelihood (ML)",
    "mlr": "robust maximum likelihood (MLR)",
    "wlsmv": "diagonally weighted least squares with robust tests (WLSMV)",
    "dwls": "diagonally weighted least squares (DWLS)",
    "ulsmv": "unweighted least squares with robust tests (ULSMV)",
    "pls": "partial least squares (PLS)",
}


def estimator_text(code: Any) -> str:
    """An estimator's name in words in the current language (its code if unknown)."""
    known = ESTIMATORS.get(str(code).lower())
    return gettext(known) if known else escape(code)


def fit_row(fit: Results, label: str) -> list[str]:
    """χ², df, p, CFI, TLI, RMSEA, its 90% CI and SRMR of one model, formatted."""
    ci = (
        format_ci(fit.get("rmsea_ci_low"), fit.get("rmsea_ci_high"), 3, bounded=True)
        if "rmsea_ci_low" in fit
        else MISSING
    )
    return [
        label,
        format_stat(fit.get("chi2"), "chi2"),
        format_df(fit.get("df")),
        format_p(fit.get("p")),
        format_stat(fit.get("cfi"), "cfi"),
        format_stat(fit.get("tli"), "tli"),
        format_stat(fit.get("rmsea"), "rmsea"),
        ci,
        format_stat(fit.get("srmr"), "srmr"),
    ]


def fit_columns(first: str) -> list[str]:
    return [
        first,
        symbol("chi2"),
        symbol("df"),
        symbol("p"),
        "CFI",
        "TLI",
        "RMSEA",
        text("col.rmsea_ci"),
        "SRMR",
    ]


def fit_sentence(fit: Results) -> str:
    """``χ²(824) = 924.72, *p* = .008, CFI = .994, ...`` (markup)."""
    ci = (
        format_ci(fit.get("rmsea_ci_low"), fit.get("rmsea_ci_high"), 3, bounded=True)
        if not is_missing(fit.get("rmsea_ci_low"))
        else ""
    )
    return text(
        "fit.summary",
        df=format_df(fit.get("df")),
        chi2=format_stat(fit.get("chi2"), "chi2"),
        p=p_text(fit.get("p")),
        cfi=format_stat(fit.get("cfi"), "cfi"),
        tli=format_stat(fit.get("tli"), "tli"),
        rmsea=format_stat(fit.get("rmsea"), "rmsea"),
        ci=ci,
        srmr=format_stat(fit.get("srmr"), "srmr"),
    ).replace(" ,", ",")


# ----------------------------------------------------------------------------- shared cells
def _estimate_cells(
    v: Mapping[str, Any], *, decimals: int = 2, estimate: str = "estimate"
) -> list[str]:
    """*b*, *SE*, the confidence interval and *p* of one estimate, formatted (APA 7).

    Reads ``v[estimate]``, ``se``, ``ci_low``, ``ci_high`` and ``p``; an absent value is a
    dash (:data:`~workbench.presentation.apa.MISSING`).
    """
    return [
        format_number(v.get(estimate), decimals),
        format_number(v.get("se"), decimals),
        format_ci(v.get("ci_low"), v.get("ci_high"), decimals),
        format_p(v.get("p")),
    ]


def _estimate_columns(
    first: str, *, estimate: str | None = None, ci: str | None = None
) -> list[str]:
    """The headers of :func:`_estimate_cells` after ``first``: *b*, *SE*, 95% CI, *p*."""
    return [
        first,
        estimate or symbol("b"),
        symbol("SE"),
        ci or text("col.ci95"),
        symbol("p"),
    ]


def _columns_with_values(
    columns: list[str], rows: list[list[str]], optional: Collection[int] | None = None
) -> list[int]:
    """The positions of the columns a table keeps: every column that is not ``optional``
    (default: all but the first) and every optional one that some row has a value in."""
    optional = range(1, len(columns)) if optional is None else optional
    return [
        j for j in range(len(columns)) if j not in optional or any(r[j] != MISSING for r in rows)
    ]


def _phrase(message: str, /, **values: Any) -> str:
    """``message`` (an English message id of this module) in the current language, as
    :func:`~workbench.presentation.export_text.text` gives the strings of ``TEXT``."""
    out = gettext(message, **values)
    return out if get_language() == "en" else space_cjk(out)


#: the overall *F* test of a regression after its *R*² in the table's note (APA 7)
_F_TEST_NOTE = "{fit}, {test}"
#: the event-study note's sentence on its standard errors (shown when the run has them)
_EVENT_STUDY_SE_NOTE = "Standard errors clustered by member."


#: which test an overall *F* is when it is not the classical one (``vcov``, ``pooling``)
_F_TEST_KINDS = {
    "D1": "D1, pooled over the multiple imputations",
    "HC3": "Wald test with HC3 standard errors",
}
#: the test, then which kind it is in parentheses; two kinds joined
_F_TEST_KIND = "{test} ({kind})"
_F_TEST_BOTH = "{first}; {second}"


def _f_test_text(test: Mapping[str, Any]) -> str:
    """A model's overall *F* test as APA 7 writes it (markup): ``*F*(4, 795) = 82.13, *p* < .001``.

    Reads ``F``, ``df1``, ``df2`` and ``p`` (the keys of the hierarchical steps' tests and of
    the pooled Wald test over imputations, whose ``df2`` may be fractional); a pooled (D1) or
    heteroscedasticity-robust (HC3) test says so in parentheses.
    """
    df = f"{format_df(test.get('df1'))}, {format_df(test.get('df2'))}"
    out = f"{stat_text('F', format_stat(test.get('F'), 'F'), df)}, {p_text(test.get('p'))}"
    kinds = [_phrase(_F_TEST_KINDS[k]) for k in (test.get("pooling"), test.get("vcov"))
             if k in _F_TEST_KINDS]  # fmt: skip
    if len(kinds) == 2:
        kinds = [_phrase(_F_TEST_BOTH, first=kinds[0], second=kinds[1])]
    return _phrase(_F_TEST_KIND, test=out, kind=kinds[0]) if kinds else out


def _ci_level(values: Mapping[str, Any]) -> str:
    """The confidence level of ``values["ci"]`` (a share; .95 when absent) in percent: ``95``."""
    return format_int(100 * float(values.get("ci") or 0.95))


def _chain(key: Any) -> str:
    """An indirect effect's key ``a->m->b`` as the table writes it: ``a → m → b``."""
    return escape(key).replace("->", " \u2192 ")


def _change(value: Any) -> str:
    """A change of a fit index with its sign and three decimals, no leading zero: ``−.004``."""
    return format_number(value, 3, leading_zero=False, plus=True)


# ----------------------------------------------------------------------------- survey shared
def reliability_table(results: Results, reliability: Mapping[str, Any], n: Any) -> Table:
    """Construct | k | M | SD | α | 95% CI | ω | CR | AVE."""
    rows = []
    for construct, r in reliability.items():
        rows.append(
            [
                escape(construct),
                format_int(r.get("n_items")),
                format_stat(r.get("mean"), "M"),
                format_stat(r.get("sd"), "SD"),
                format_stat(r.get("alpha"), "alpha"),
                format_ci(r.get("alpha_ci_low"), r.get("alpha_ci_high"), bounded=True),
                format_stat(r.get("omega_total"), "omega"),
                format_stat(r.get("composite_reliability"), "cr"),
                format_stat(r.get("ave"), "ave"),
            ]
        )
    columns = [
        text("col.construct"),
        symbol("k"),
        symbol("M"),
        symbol("SD"),
        symbol("alpha"),
        text("col.ci95"),
        symbol("omega"),
        text("col.cr"),
        text("col.ave"),
    ]
    keep = _columns_with_values(columns, rows)
    return Table(
        key="reliability",
        title=text("title.reliability"),
        columns=[columns[j] for j in keep],
        rows=[[r[j] for j in keep] for r in rows],
        note=join_sentences(
            text("note.reliability" if 5 in keep else "note.reliability_no_ci", n=format_int(n)),
            text("note.missing", treatment=missing_text(results)),
        ),
        compare="column",
        compare_column=keep.index(4) if 4 in keep else 1,
    )


def std_loadings_table(std: Mapping[str, Any], estimator: str, n: Any) -> Table:
    """Item | λ, grouped by construct, from ``{"construct=~item": value}``."""
    rows: list[list[str]] = []
    current = None
    for key, value in std.items():
        construct, _, item = key.partition("=~")
        if construct != current:
            rows.append([escape(construct)])
            current = construct
        rows.append([escape(item), format_bounded(value)])
    return Table(
        key="cfa_loadings",
        title=text("title.cfa_loadings"),
        columns=[text("col.item"), symbol("lambda")],
        rows=rows,
        note=text("note.cfa_loadings", estimator=estimator, n=format_int(n)),
    )


# ----------------------------------------------------------------------------- factor-analysis
def factor_analysis_tables(results: Results) -> list[Table]:
    """Reliability, EFA loadings (with communalities), factor correlations, CFA fit, CFA loadings."""
    n = results.get("n_used")
    tables = [reliability_table(results, need(results, "reliability"), n)]
    efa = need(results, "efa")
    loadings: Mapping[str, Mapping[str, float]] = need(results, "efa", "loadings")
    communalities = need(results, "efa", "communalities")
    factors = list(next(iter(loadings.values())).keys()) if loadings else []
    rows = []
    for item, row in loadings.items():
        cells = [escape(item)]
        for f in factors:
            cell = format_bounded(row.get(f))
            cells.append(f"**{cell}**" if abs(float(row.get(f) or 0)) >= 0.40 else cell)
        cells.append(format_stat(communalities.get(item), "communality"))
        rows.append(cells)
    kmo = opt(results, "kmo", "overall")
    bartlett = results.get("bartlett") or {}
    tables.append(
        Table(
            key="efa_loadings",
            title=text("title.efa_loadings"),
            columns=[text("col.item"), *(escape(f) for f in factors), symbol("h2")],
            rows=rows,
            note=text(
                "note.efa",
                method=escape(efa.get("method", "")),
                rotation=escape(efa.get("rotation", "")),
                k=len(factors),
                rule=escape(translate(opt(results, "n_factors", "rule") or "")),
                kmo=format_stat(kmo, "kmo"),
                bartlett=stat_text(
                    "chi2", format_stat(bartlett.get("chi2"), "chi2"), format_df(bartlett.get("df"))
                ),
                bartlett_p=p_text(bartlett.get("p")),
                n=format_int(efa.get("n_obs", n)),
            ),
        )
    )
    phi = efa.get("factor_correlations")
    if phi and len(factors) > 1:
        rows = []
        for i, f in enumerate(factors):
            cells = [escape(f)]
            for j, g in enumerate(factors):
                cells.append(MISSING if j == i else format_bounded(phi[f][g]) if j < i else "")
            rows.append(cells)
        tables.append(
            Table(
                key="factor_correlations",
                title=text("title.factor_correlations"),
                columns=[text("col.factor"), *(escape(f) for f in factors)],
                rows=rows,
                note=text("note.factor_correlations", rotation=escape(efa.get("rotation", ""))),
            )
        )
    cfa = results.get("cfa")
    if cfa:
        fit = need(results, "cfa", "fit")
        constructs = cfa.get("constructs") or {}
        estimator = estimator_text(cfa.get("estimator", "ml"))
        n_cfa = fit.get("n", n)
        tables.append(
            Table(
                key="cfa_fit",
                title=text("title.cfa_fit"),
                columns=fit_columns(text("col.model")),
                rows=[fit_row(fit, text("row.cfa_model", k=len(constructs) or len(factors)))],
                note=text("note.cfa_fit", estimator=estimator, n=format_int(n_cfa)),
                compare="transpose",
            )
        )
        tables.append(std_loadings_table(need(results, "cfa", "std_loadings"), estimator, n_cfa))
    return tables


# ----------------------------------------------------------------------------- loyalty-drivers
def loyalty_drivers_tables(results: Results) -> list[Table]:
    """Regression (b, SE, CI, β, p), relative importance, mediation."""
    model = need(results, "model")
    coefficients = need(results, "model", "coefficients")
    rows = []
    for term, c in coefficients.items():
        label = text("row.intercept") if term == "Intercept" else escape(term)
        b, se, ci, p = _estimate_cells(c)
        beta = "" if term == "Intercept" else format_stat(c.get("std_beta"), "beta")
        rows.append([label, b, se, ci, beta, p])
    kind = str(model.get("kind", "ols"))
    if "r2" in model:
        fit = text(
            "note.r2",
            r2=format_stat(model.get("r2"), "R2"),
            adj_r2=format_stat(model.get("adj_r2"), "R2"),
        )
        f_test = model.get("f_test")
        if isinstance(f_test, Mapping) and not is_missing(f_test.get("F")):
            fit = _phrase(_F_TEST_NOTE, fit=fit, test=_f_test_text(f_test))
    else:
        fit = text("note.pseudo_r2", r2=format_stat(model.get("pseudo_r2"), "R2"))
    note = text(
        "note.regression",
        n=format_int(model.get("n")),
        fit=fit,
        model=text(f"model.{kind}") if f"model.{kind}" in _MODEL_KEYS else escape(kind),
    )
    if opt(results, "missing", "treatment") == "mi":
        note = join_sentences(note, text("note.regression_mi", m=opt(results, "missing", "m")))
    else:
        note = join_sentences(note, text("note.missing", treatment=missing_text(results)))
    *columns, p_column = _estimate_columns(text("col.predictor"))
    tables = [
        Table(
            key="regression",
            title=text("title.regression", outcome=title_name(model.get("outcome", ""))),
            columns=[*columns, symbol("beta"), p_column],
            rows=rows,
            note=note,
            compare="column",
            compare_column=4,
        )
    ]
    ri = results.get("relative_importance")
    if ri:
        r2 = ri.get("r2")
        rows = []
        for driver, v in ri.items():
            if not isinstance(v, Mapping):
                continue
            share = (
                v["lmg"] / r2
                if not is_missing(r2) and r2 and not is_missing(v.get("lmg"))
                else None
            )
            rows.append(
                [
                    escape(driver),
                    format_stat(v.get("lmg"), "R2"),
                    format_ci(v.get("lmg_ci_low"), v.get("lmg_ci_high"), bounded=True),
                    format_stat(v.get("relative_weight"), "R2"),
                    format_ci(v.get("rw_ci_low"), v.get("rw_ci_high"), bounded=True),
                    format_percent(share),
                ]
            )
        tables.append(
            Table(
                key="relative_importance",
                title=text(
                    "title.relative_importance", outcome=title_name(model.get("outcome", ""))
                ),
                columns=[
                    text("col.driver"),
                    text("col.lmg"),
                    text("col.ci95"),
                    text("col.rw"),
                    text("col.ci95"),
                    text("col.share_r2"),
                ],
                rows=rows,
                note=text(
                    "note.relative_importance",
                    boot=format_int(ri.get("bootstrap")),
                    seed=ri.get("seed"),
                    r2=format_stat(r2, "R2"),
                    n=format_int(ri.get("n")),
                ),
                compare="column",
                compare_column=1,
            )
        )
    med = results.get("mediation")
    if med:
        names = {"x": escape(med["x"]), "m": escape(med["mediator"]), "y": escape(med["y"])}
        # each path's test and CI (``mediation.paths``, written since the export existed)
        m = med["mediator"]
        tests = med.get("paths") or {}
        rows = []
        for key, test_key, label in (
            ("a", f"a[{m}]", "row.mediation_a"),
            ("b", f"b[{m}]", "row.mediation_b"),
            ("c_prime", "c_prime", "row.mediation_c_prime"),
            ("c_total", "c_total", "row.mediation_c"),
        ):
            # the estimate and SE of the mediation block, the CI and p of the path's test
            path = {
                **(tests.get(test_key) or {}),
                "estimate": med.get(key),
                "se": med.get(f"{key}_se"),
            }
            rows.append([text(label, **names), *_estimate_cells(path)])
        indirect = {
            "estimate": med.get("indirect"),
            "ci_low": med.get("indirect_ci_low"),
            "ci_high": med.get("indirect_ci_high"),
        }  # a bootstrap interval: no SE, no p
        rows.append([text("row.mediation_indirect", **names), *_estimate_cells(indirect)])
        covariates = ", ".join(escape(c) for c in med.get("covariates") or []) or text("none")
        tables.append(
            Table(
                key="mediation",
                title=text(
                    "title.mediation",
                    x=title_name(med["x"]),
                    m=title_name(med["mediator"]),
                    y=title_name(med["y"]),
                ),
                columns=_estimate_columns(text("col.effect")),
                rows=rows,
                note=text(
                    "note.mediation",
                    covariates=covariates,
                    boot=format_int(med.get("bootstrap")),
                    seed=med.get("seed"),
                    n=format_int(med.get("n")),
                ),
                compare="column",
                compare_column=1,
            )
        )
    mod = results.get("moderation")
    if mod:
        tables.append(moderation_table(mod))
    return tables


def moderation_table(mod: Mapping[str, Any]) -> Table:
    """The interaction and the simple slopes of a moderation model (Hayes, 2022, model 1)."""
    names = {"x": escape(mod["x"]), "w": escape(mod["moderator"]), "y": escape(mod["y"])}
    rows = [[text("row.interaction", **names), *_estimate_cells(mod.get("interaction") or {})]]
    for level, v in (mod.get("simple_slopes") or {}).items():
        rows.append([text("row.simple_slope", level=escape(level), **names), *_estimate_cells(v)])
    return Table(
        key="moderation",
        title=text(
            "title.moderation",
            x=title_name(mod["x"]),
            w=title_name(mod["moderator"]),
            y=title_name(mod["y"]),
        ),
        columns=_estimate_columns(text("col.effect")),
        rows=rows,
        note=text("note.moderation", n=format_int(mod.get("n")), **names),
        compare="column",
        compare_column=1,
    )


_MODEL_KEYS = {"model.ols", "model.logit", "model.ordinal", "model.poisson"}


# ----------------------------------------------------------------------------- experience-economy
def experience_economy_tables(results: Results) -> list[Table]:
    """Reliability, fit (measurement, structural, alternatives), paths, indirect, invariance."""
    sem = need(results, "sem")
    measurement = results.get("measurement") or {}
    tables = []
    constructs = measurement.get("constructs")
    if constructs:
        tables.append(reliability_table(results, constructs, results.get("n_used")))
    estimator = estimator_text(sem.get("method", "ml"))
    rows = []
    if measurement.get("fit"):
        rows.append(fit_row(measurement["fit"], text("row.measurement_model")))
    if sem.get("fit") and sem.get("method", "ml") != "pls":
        rows.append(fit_row(sem["fit"], text("row.structural_model")))
    if measurement.get("std_loadings"):
        n_cfa = opt(measurement, "fit", "n") or results.get("n_used")
        tables.append(std_loadings_table(measurement["std_loadings"], estimator, n_cfa))
    if rows:
        tables.append(
            Table(
                key="sem_fit",
                title=text("title.sem_fit"),
                columns=fit_columns(text("col.model")),
                rows=rows,
                note=text("note.sem_fit", estimator=estimator),
                compare="column",
                compare_column=4,
            )
        )
    comparison = results.get("model_comparison")
    if comparison:
        rows = []
        vs = ""
        for name, fit in comparison.items():
            vs = fit.get("vs") or vs
            delta = (
                MISSING
                if is_missing(fit.get("delta_chi2"))
                else stat_text(
                    "chi2",
                    format_stat(fit.get("delta_chi2"), "chi2"),
                    format_df(fit.get("delta_df")),
                ).replace(symbol("chi2"), symbol("delta") + symbol("chi2"), 1)
            )
            rows.append(
                [
                    escape(translate(name)),
                    format_stat(fit.get("chi2"), "chi2"),
                    format_df(fit.get("df")),
                    format_stat(fit.get("cfi"), "cfi"),
                    format_stat(fit.get("tli"), "tli"),
                    format_stat(fit.get("rmsea"), "rmsea"),
                    format_stat(fit.get("srmr"), "srmr"),
                    format_stat(fit.get("bic"), "bic"),
                    delta,
                    format_p(fit.get("delta_p")),
                ]
            )
        tables.append(
            Table(
                key="model_comparison",
                title=text("title.model_comparison"),
                columns=[
                    text("col.model"),
                    symbol("chi2"),
                    symbol("df"),
                    "CFI",
                    "TLI",
                    "RMSEA",
                    "SRMR",
                    "BIC",
                    text("col.delta_chi2"),
                    symbol("p"),
                ],
                rows=rows,
                note=text("note.model_comparison", vs=escape(translate(vs))),
            )
        )
    paths = need(results, "sem", "paths")
    rows = []
    for key, p in paths.items():
        lhs, _, rhs = key.partition("~")
        rows.append(
            [
                text("row.arrow", a=escape(rhs), b=escape(lhs)),
                format_stat(p.get("estimate"), "b"),
                format_stat(p.get("se"), "se"),
                format_stat(p.get("std"), "beta"),
                format_p(p.get("p")),
            ]
        )
    r2 = sem.get("r2") or {}
    r2_text = "; ".join(f"{escape(k)} = {format_stat(v, 'R2')}" for k, v in r2.items())
    tables.append(
        Table(
            key="sem_paths",
            title=text("title.sem_paths"),
            columns=[text("col.path"), symbol("B"), symbol("SE"), symbol("beta"), symbol("p")],
            rows=rows,
            note=text("note.sem_paths", r2=r2_text or MISSING, estimator=estimator),
            compare="column",
            compare_column=3,
        )
    )
    indirect = sem.get("indirect")
    if indirect:
        rows = []
        method = ""
        for key, v in indirect.items():
            if v.get("kind", "indirect") != "indirect":
                continue  # totals repeat the specific effects when a predictor has one chain
            method = v.get("method", method)
            rows.append(
                [
                    _chain(key),
                    format_stat(v.get("estimate"), "b"),
                    format_ci(v.get("ci_low"), v.get("ci_high")),
                    format_stat(v.get("std"), "beta"),
                ]
            )
        boot = sem.get("bootstrap") or {}
        note = (
            text(
                "note.sem_indirect",
                method=escape(method),
                boot=format_int(boot.get("n_boot")),
                seed=boot.get("seed"),
            )
            if boot.get("n_boot")
            else text("note.sem_indirect_no_boot", method=escape(method))
        )
        tables.append(
            Table(
                key="sem_indirect",
                title=text("title.sem_indirect"),
                columns=[text("col.effect"), symbol("B"), text("col.ci95"), symbol("beta")],
                rows=rows,
                note=note,
            )
        )
    invariance = results.get("invariance")
    if invariance:
        rows = []
        for name, v in invariance.items():
            rows.append(
                [
                    escape(name),
                    format_stat(v.get("chi2"), "chi2"),
                    format_df(v.get("df")),
                    format_stat(v.get("cfi"), "cfi"),
                    format_stat(v.get("rmsea"), "rmsea"),
                    _change(v.get("delta_cfi")),
                    _change(v.get("delta_rmsea")),
                    format_stat(v.get("delta_chi2"), "chi2"),
                    format_df(v.get("delta_df")),
                    format_p(v.get("delta_p")),
                ]
            )
        tables.append(
            Table(
                key="invariance",
                title=text("title.invariance"),
                columns=[
                    text("col.model"),
                    symbol("chi2"),
                    symbol("df"),
                    "CFI",
                    "RMSEA",
                    text("col.delta_cfi"),
                    text("col.delta_rmsea"),
                    text("col.delta_chi2"),
                    text("col.delta_df"),
                    symbol("p"),
                ],
                rows=rows,
                note=text(
                    "note.invariance", group=escape(opt(results, "parameters", "group") or "")
                ),
            )
        )
    return tables


# ----------------------------------------------------------------------------- pls-sem
def pls_sem_tables(results: Results) -> list[Table]:
    """Measurement model, reliability, HTMT, paths, indirect effects, PLSpredict."""
    pls = need(results, "pls")
    boot = opt(results, "pls", "bootstrap", "n_boot") or opt(results, "parameters", "bootstrap")
    seed = opt(results, "pls", "bootstrap", "seed")
    loadings = need(results, "loadings")
    weights = results.get("weights") or {}
    loadings_ci = results.get("loadings_ci") or {}
    outer_vif = opt(results, "vif", "outer") or {}
    rows: list[list[str]] = []
    for construct, items in loadings.items():
        rows.append([escape(construct)])
        for item, value in items.items():
            ci = opt(loadings_ci, construct, item) or {}
            rows.append(
                [
                    escape(item),
                    format_bounded(value, 3),
                    format_ci(ci.get("ci_low"), ci.get("ci_high"), 3, bounded=True),
                    format_bounded(opt(weights, construct, item), 3),
                    format_number(outer_vif.get(item), 2),
                ]
            )
    tables = [
        Table(
            key="pls_measurement",
            title=text("title.pls_measurement"),
            columns=[
                text("col.item"),
                text("col.loading"),
                text("col.ci95"),
                text("col.weight"),
                text("col.vif"),
            ],
            rows=rows,
            note=text("note.pls_measurement", boot=format_int(boot)),
        )
    ]
    reliability = need(results, "reliability")
    tables.append(
        Table(
            key="pls_reliability",
            title=text("title.pls_reliability"),
            columns=[
                text("col.construct"),
                symbol("alpha"),
                text("col.rho_a"),
                text("col.rho_c"),
                text("col.ave"),
            ],
            rows=[
                [
                    escape(c),
                    format_stat(r.get("alpha"), "alpha"),
                    format_stat(r.get("rho_a"), "cr"),
                    format_stat(r.get("rho_c"), "cr"),
                    format_stat(r.get("ave"), "ave"),
                ]
                for c, r in reliability.items()
            ],
            note=text("note.pls_reliability"),
            compare="column",
            compare_column=3,
        )
    )
    htmt = results.get("htmt") or {}
    rows = []
    for a, others in htmt.items():
        for b, v in others.items():
            if isinstance(v, Mapping):
                rows.append(
                    [
                        text("row.pair", a=escape(a), b=escape(b)),
                        format_bounded(v.get("estimate")),
                        format_ci(v.get("ci_low"), v.get("ci_high"), bounded=True),
                    ]
                )
    if rows:
        tables.append(
            Table(
                key="pls_htmt",
                title=text("title.pls_htmt"),
                columns=[text("col.construct"), text("col.htmt"), text("col.ci95")],
                rows=rows,
                note=text("note.pls_htmt", boot=format_int(boot)),
            )
        )
    paths = need(results, "paths")
    rows = []
    for key, p in paths.items():
        a, _, b = key.partition("->")
        rows.append(
            [
                text("row.arrow", a=escape(a), b=escape(b)),
                format_stat(p.get("estimate"), "beta"),
                format_stat(p.get("boot_se"), "se"),
                format_stat(p.get("t"), "t"),
                format_p(p.get("p")),
                format_ci(p.get("ci_low"), p.get("ci_high"), bounded=True),
                format_stat(p.get("f2"), "f2"),
            ]
        )
    r2 = results.get("r2") or {}
    r2_text = "; ".join(
        f"{escape(k)} = {format_stat(v.get('r2'), 'R2')} ({format_stat(v.get('adj_r2'), 'R2')})"
        for k, v in r2.items()
    )
    tables.append(
        Table(
            key="pls_paths",
            title=text("title.pls_paths"),
            columns=[
                text("col.path"),
                symbol("beta"),
                symbol("SE"),
                symbol("t"),
                symbol("p"),
                text("col.ci95"),
                symbol("f2"),
            ],
            rows=rows,
            note=text(
                "note.pls_paths",
                boot=format_int(boot),
                seed=seed,
                r2=r2_text or MISSING,
                srmr=format_stat(opt(results, "fit", "srmr"), "srmr"),
                n=format_int(pls.get("n")),
            ),
            compare="column",
            compare_column=1,
        )
    )
    fit = results.get("fit") or {}
    if fit:
        saturated = fit.get("saturated") or {}
        rows = [
            [
                text(f"row.{name}_model"),
                format_stat(values.get("srmr"), "srmr"),
                format_number(values.get("d_uls"), 3),
                format_number(values.get("d_g"), 3),
            ]
            for name, values in (("estimated", fit), ("saturated", saturated))
            if values
        ]
        tables.append(
            Table(
                key="pls_fit",
                title=text("title.pls_fit"),
                columns=[text("col.model"), "SRMR", "*d*ULS", "*d*G"],
                rows=rows,
                note=text("note.pls_fit"),
                compare="transpose",
            )
        )
    indirect = results.get("indirect")
    if indirect:
        tables.append(
            Table(
                key="pls_indirect",
                title=text("title.pls_indirect"),
                columns=[text("col.effect"), symbol("beta"), symbol("SE"), text("col.ci95")],
                rows=[
                    [
                        _chain(k),
                        format_stat(v.get("estimate"), "beta"),
                        format_stat(v.get("boot_se"), "se"),
                        format_ci(v.get("ci_low"), v.get("ci_high"), bounded=True),
                    ]
                    for k, v in indirect.items()
                ],
                note=text("note.pls_indirect", boot=format_int(boot)),
            )
        )
    predict = results.get("predict")
    if predict:
        settings = results.get("predict_settings") or {}
        tables.append(
            Table(
                key="pls_predict",
                title=text("title.pls_predict"),
                columns=[
                    text("col.item"),
                    text("col.q2_predict"),
                    text("col.rmse_pls"),
                    text("col.rmse_lm"),
                ],
                rows=[
                    [
                        escape(item),
                        format_number(v.get("q2_predict"), 3, leading_zero=False),
                        format_number(v.get("pls_rmse"), 3),
                        format_number(v.get("lm_rmse"), 3),
                    ]
                    for item, v in predict.items()
                ],
                note=text(
                    "note.pls_predict",
                    folds=settings.get("folds", opt(results, "parameters", "predict_folds")),
                    repeats=settings.get("repeats", opt(results, "parameters", "predict_repeats")),
                ),
            )
        )
    return tables


# ----------------------------------------------------------------------------- member-analytics
def member_analytics_tables(results: Results) -> list[Table]:
    """CLV model (parameters, holdout, total) and churn model (AUC, top features)."""
    clv = need(results, "clv")
    tables = []
    rows: list[list[str]] = []
    model = clv.get("model") or {}
    for name, params in model.items():
        if not isinstance(params, Mapping):
            continue
        rows.append([text(f"label.{name}") if f"label.{name}" in TEXT else escape(name)])
        for key, value in params.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                label = text(f"label.{key}") if f"label.{key}" in TEXT else escape(key)
                rows.append([label, format_number(value, 3)])
    holdout = clv.get("holdout") or {}
    rows.append([text("label.holdout")])
    for key in ("predicted", "actual", "mae"):
        if key in holdout:
            rows.append([text(f"label.holdout_{key}"), format_number(holdout[key], 2)])
    rows.append([text("label.total_clv"), format_number(clv.get("total_clv"), 2)])
    tables.append(
        Table(
            key="clv",
            title=text("title.clv"),
            columns=[text("col.measure"), text("col.value")],
            rows=rows,
            note=text(
                "note.clv",
                horizon=clv.get("horizon_periods"),
                rate=format_number(clv.get("discount_rate"), 3),
            ),
        )
    )
    churn = results.get("churn")
    if churn:
        rows = [
            [text("label.discrimination")],
            ["AUC", format_stat(churn.get("auc"), "auc")],
            [
                text("col.ci95"),
                format_ci(churn.get("auc_ci_low"), churn.get("auc_ci_high"), bounded=True),
            ],
        ]
        features = churn.get("top_features") or []
        kind = str(churn.get("model", ""))
        if features:
            rows.append(
                [text("label.features_logit" if kind == "logit" else "label.features_other")]
            )
        for f in features[:10]:
            if isinstance(f, Mapping):
                rows.append([escape(f.get("feature", "")), format_number(f.get("importance"), 3)])
        tables.append(
            Table(
                key="churn",
                title=text("title.churn"),
                columns=[text("col.measure"), text("col.value")],
                rows=rows,
                note=text("note.churn"),
            )
        )
    return tables


# ----------------------------------------------------------------------------- programme-evaluation
def programme_evaluation_tables(results: Results) -> list[Table]:
    """Difference-in-differences estimate and the event study."""
    did = need(results, "did")
    rows = [
        [
            escape(did.get("outcome", "")),
            *_estimate_cells(did, decimals=3),
            format_percent(did.get("relative_effect"), 1),
        ]
    ]
    tables = [
        Table(
            key="did",
            title=text("title.did"),
            columns=[*_estimate_columns(text("col.outcome")), text("col.effect")],
            rows=rows,
            note=text(
                "note.did_poisson" if did.get("model") == "poisson" else "note.did",
                model=escape(did.get("model", "")),
                outcome=escape(did.get("outcome", "")),
                pretrend=p_text(did.get("pretrend_p")),
            ),
            compare="transpose",
        )
    ]
    event = results.get("event_study")
    if event:
        columns = _estimate_columns(text("col.period"))
        rows = [
            [_period_key(k), *_estimate_cells(v, decimals=3)]
            for k, v in event.items()
            if isinstance(v, Mapping)
        ]
        # SE and p only when results.json has them (the study writes estimate and CI today)
        keep = _columns_with_values(columns, rows, optional=(2, 4))
        note = text("note.event_study")
        if 2 in keep:
            note = join_sentences(note, _phrase(_EVENT_STUDY_SE_NOTE))
        tables.append(
            Table(
                key="event_study",
                title=text("title.event_study"),
                columns=[columns[j] for j in keep],
                rows=[[r[j] for j in keep] for r in rows],
                note=note,
            )
        )
    return tables


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


# ----------------------------------------------------------------------------- segmentation
def segmentation_tables(results: Results) -> list[Table]:
    """Model selection (best model per number of segments) and segment profiles."""
    seg = need(results, "segmentation")
    selection = results.get("selection") or {}
    rows = []
    for k, models in selection.items():
        scored = [(name, m) for name, m in models.items() if not is_missing((m or {}).get("bic"))]
        if scored:
            name, m = min(scored, key=lambda nm: nm[1]["bic"])
        elif models:
            name, m = next(iter(models.items()))
        else:
            continue
        rows.append(
            [
                escape(k),
                escape(name),
                format_number(m.get("loglik"), 2),
                format_int(m.get("npar")),
                format_number(m.get("bic"), 2),
                format_number(m.get("icl"), 2),
                format_bounded(m.get("entropy")),
                format_percent(m.get("min_share"), 1),
            ]
        )
    tables = []
    if rows:
        tables.append(
            Table(
                key="segment_selection",
                title=text("title.segment_selection"),
                columns=[
                    symbol("k"),
                    text("col.model"),
                    text("col.loglik"),
                    text("col.npar"),
                    "BIC",
                    "ICL",
                    text("col.entropy"),
                    text("col.min_share"),
                ],
                rows=rows,
                note=text(
                    "note.segment_selection",
                    chosen=f"{seg.get('k')} ({escape(seg.get('model', ''))})",
                ),
            )
        )
    segments = need(results, "segments")
    variables = list(seg.get("variables") or [])
    if not variables and segments:
        variables = list(next(iter(segments.values())).get("means", {}))
    rows = []
    for sid, s in segments.items():
        means = s.get("means") or {}
        rows.append(
            [
                escape(s.get("name") or sid),
                format_int(s.get("size")),
                format_percent(s.get("share"), 1),
                *(format_stat(means.get(v), "M") for v in variables),
            ]
        )
    tables.append(
        Table(
            key="segment_profiles",
            title=text("title.segment_profiles"),
            columns=[
                text("col.segment"),
                symbol("n"),
                text("col.share"),
                *(escape(v) for v in variables),
            ],
            rows=rows,
            note=text("note.segment_profiles"),
        )
    )
    return tables


# ----------------------------------------------------------------------------- points-programme
def _period_key(value: Any) -> str:
    """An event-study period (``"-3"``) as the table writes it (``−3``); other keys as they are."""
    return format_number(float(value), 0) if _is_number(value) else escape(value)


def points_programme_tables(results: Results) -> list[Table]:
    """Points ledger, redemption and breakage, IFRS 15 roll-forward, goal gradient, redemption effect.

    Reads ``ledger`` (per period), ``redemption`` (chain ladder with its bootstrap interval,
    the cumulative-incidence estimate and the shares redeemed by expiry), ``liability``
    (the contract liability per period), ``goal_gradient`` and ``redemption_effect`` with
    ``redemption_effect_tests`` of the run; the last three are left out when the run has none.
    """
    ledger = need(results, "ledger")
    programme = results.get("programme") or {}
    point_value = programme.get("point_value")
    tables: list[Table] = []
    rows = [
        [
            escape(period),
            format_int(v.get("issued")),
            format_int(v.get("redeemed")),
            format_int(v.get("expired")),
            format_int(v.get("outstanding")),
            format_int(v.get("members")),
            format_int(v.get("active_redeemers")),
        ]
        for period, v in ledger.items()
        if isinstance(v, Mapping)
    ]
    tables.append(
        Table(
            key="points_ledger",
            title=text("title.points_ledger"),
            columns=[
                text("col.period"),
                text("col.issued"),
                text("col.redeemed"),
                text("col.expired"),
                text("col.outstanding"),
                text("col.members"),
                text("col.redeemers"),
            ],
            rows=rows,
            note=text(
                "note.points_ledger",
                value=format_number(point_value, 2),
                months=programme.get("expiry_months", MISSING),
            ),
        )
    )
    red = need(results, "redemption")
    level = _ci_level(red)
    rows = [
        [
            text("label.ultimate_rate"),
            format_percent(red.get("ultimate_rate"), 1),
            _percent_ci(red.get("ci_low"), red.get("ci_high")),
        ],
        [
            text("label.breakage"),
            format_percent(red.get("breakage"), 1),
            _percent_ci(_one_minus(red.get("ci_high")), _one_minus(red.get("ci_low"))),
        ],
    ]
    survival = red.get("survival") or {}
    if not is_missing(survival.get("ultimate_rate")):
        rows.append(
            [text("label.survival_rate"), format_percent(survival.get("ultimate_rate"), 1), MISSING]
        )
    for months, v in (red.get("by_expiry") or {}).items():
        if (
            isinstance(v, Mapping)
            and v.get("identified")
            and not is_missing(v.get("redeemed_share"))
        ):
            rows.append(
                [
                    text("label.by_expiry", months=escape(months)),
                    format_percent(v.get("redeemed_share"), 1),
                    MISSING,
                ]
            )
    tables.append(
        Table(
            key="points_redemption",
            title=text("title.points_redemption"),
            columns=[text("col.measure"), text("col.value"), text("col.ci", level=level)],
            rows=rows,
            note=text(
                "note.points_redemption",
                level=level,
                boot=format_int(red.get("n_boot")),
                seed=red.get("seed", MISSING),
                asof=escape(red.get("asof", MISSING)),
                issued=format_int(red.get("issued")),
            ),
            compare="transpose",
        )
    )
    liability = results.get("liability") or {}
    if liability:
        tables.append(
            Table(
                key="points_liability",
                title=text("title.points_liability"),
                columns=[
                    text("col.period"),
                    text("col.opening"),
                    text("col.allocated"),
                    text("col.recognised"),
                    text("col.estimate_change"),
                    text("col.closing"),
                    text("col.revenue"),
                ],
                rows=[
                    [
                        escape(period),
                        *(
                            format_number(v.get(k), 2)
                            for k in (
                                "opening",
                                "allocated",
                                "recognised",
                                "estimate_change",
                                "closing",
                                "revenue",
                            )
                        ),
                    ]
                    for period, v in liability.items()
                    if isinstance(v, Mapping)
                ],
                note=text("note.points_liability", value=format_number(point_value, 2)),
            )
        )
    gg = results.get("goal_gradient") or {}
    if gg:
        level = _ci_level(gg)
        rows = [
            [text("label.gg_slope"), *_estimate_cells(gg, decimals=3, estimate="slope")],
            [
                text("label.gg_change"),
                format_percent(gg.get("pct_change"), 1),
                MISSING,
                _percent_ci(gg.get("pct_ci_low"), gg.get("pct_ci_high")),
                MISSING,
            ],
        ]
        tables.append(
            Table(
                key="goal_gradient",
                title=text("title.goal_gradient"),
                columns=_estimate_columns(
                    text("col.measure"),
                    estimate=text("col.estimate"),
                    ci=text("col.ci", level=level),
                ),
                rows=rows,
                note=text(
                    "note.goal_gradient",
                    threshold=format_int(gg.get("reward_threshold")),
                    members=format_int(gg.get("n_members")),
                    gaps=format_int(gg.get("n_gaps")),
                ),
                compare="column",
            )
        )
    effect = results.get("redemption_effect") or {}
    tests = results.get("redemption_effect_tests") or {}
    if effect:
        level = _ci_level(tests)
        avg = tests.get("average_post") or {}
        keys = [k for k, v in effect.items() if isinstance(v, Mapping)]
        numeric = [float(k) for k in keys if _is_number(k)]
        outcome = escape(tests.get("outcome", ""))
        tables.append(
            Table(
                key="redemption_effect",
                title=text("title.redemption_effect", outcome=title_name(tests.get("outcome", ""))),
                columns=[
                    *_estimate_columns(text("col.relative_period"), ci=text("col.ci", level=level)),
                    symbol("n"),
                ],
                rows=[
                    [_period_key(k), *_estimate_cells(effect[k]), format_int(effect[k].get("n"))]
                    for k in keys
                ],
                note=text(
                    "note.redemption_effect",
                    outcome=outcome,
                    period=text(f"period.{tests.get('period')}")
                    if f"period.{tests.get('period')}" in TEXT
                    else escape(tests.get("period", "")),
                    first=_period_key(min(numeric)) if numeric else MISSING,
                    last=_period_key(max(numeric)) if numeric else MISSING,
                    clusters=format_int(tests.get("clusters")),
                    pretrend=stat_text(
                        "chi2",
                        format_stat(tests.get("pre_trend_chi2"), "chi2"),
                        format_df(tests.get("pre_trend_df")),
                    )
                    + ", "
                    + p_text(tests.get("pre_trend_p")),
                    average=format_number(avg.get("estimate"), 2),
                    ci=format_ci(avg.get("ci_low"), avg.get("ci_high")),
                    p=p_text(avg.get("p")),
                ),
            )
        )
    return tables


def _one_minus(value: Any) -> Any:
    return None if is_missing(value) else 1 - float(value)


def _percent_ci(low: Any, high: Any) -> str:
    """A confidence interval of shares as percentages in brackets: ``[65.8%, 68.2%]``."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"[{format_percent(low, 1)}, {format_percent(high, 1)}]"


BUILDERS: dict[str, Callable[[Results], list[Table]]] = {
    "factor-analysis": factor_analysis_tables,
    "loyalty-drivers": loyalty_drivers_tables,
    "experience-economy": experience_economy_tables,
    "pls-sem": pls_sem_tables,
    "member-analytics": member_analytics_tables,
    "programme-evaluation": programme_evaluation_tables,
    "segmentation": segmentation_tables,
    "points-programme": points_programme_tables,
}


def build_tables(results: Results) -> list[Table]:
    """The APA tables of a run's results (by its study)."""
    return BUILDERS[str(results["study"])](results)
