"""Driver analyses over multiply imputed data: Rubin's rules, D1 tests, pooled bootstrap.

Each function takes the results of one analysis run on each of the ``m`` completed data
sets (:func:`workbench.intake.imputation.impute_chained`) and returns a result of the
same class, so the loyalty-drivers report shows a multiply imputed run as it shows a
complete-case one:

* coefficients, paths and simple slopes: Rubin's (1987) rules with the Barnard-Rubin
  (1999) degrees of freedom (:func:`workbench.intake.imputation.pool_estimates`), adding
  ``df`` and ``fmi`` (fraction of missing information) columns;
* block tests (the drivers over the controls, slopes across segments, a categorical
  moderator's interaction): the D1 statistic of Li, Raghunathan & Rubin (1991), as
  ``mitml::testModels(method = "D1")`` and ``mice::D1`` without a complete-data df;
* R²: Harel's (2009) pooling of Fisher's z of :math:`R`;
* bootstrap intervals (relative importance, indirect effects): the bootstrap runs within
  each imputation (``B/m`` resamples each, so the run costs about one ``B``-resample
  bootstrap) and the percentile interval is taken over the resamples of all imputations
  pooled (Schomaker & Heumann 2018, "MI Boot (pooled sample)"); point estimates are the
  means over the imputations, and the between-imputation spread is reported beside them.

Hand-written: statsmodels' ``MICE`` pools one regression model by Rubin's rules but has no
D1 test, no pooled R², and no pooling of bootstrap results.

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple
imputation. *Biometrika*, 86(4), 948-955.
Li, K. H., Raghunathan, T. E., & Rubin, D. B. (1991). Large-sample significance levels
from multiply imputed data using moment-based statistics and an F reference
distribution. *JASA*, 86(416), 1065-1073.
Harel, O. (2009). The estimation of R² and adjusted R² in incomplete data sets using
multiple imputation. *Journal of Applied Statistics*, 36(10), 1109-1118.
Schomaker, M., & Heumann, C. (2018). Bootstrap inference when using multiple imputation.
*Statistics in Medicine*, 37(14), 2252-2266.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.drivers.mediation import (
    MediationResult,
    ModerationResult,
    SegmentComparison,
    _johnson_neyman,
)
from workbench.drivers.regression import DriverModel, RelativeImportance
from workbench.intake.imputation import pool_estimates

__all__ = [
    "bootstrap_share",
    "pool_driver_models",
    "pool_mediation",
    "pool_moderation",
    "pool_r2",
    "pool_relative_importance",
    "pool_segments",
    "pool_wald_test",
]


def bootstrap_share(bootstrap: int, m: int) -> int:
    """Resamples per imputation for a pooled bootstrap of ``bootstrap`` resamples in all
    (at least 20 each, so every imputation's own spread is seen)."""
    return max(20, math.ceil(bootstrap / m))


def pool_r2(r2: Sequence[float]) -> float:
    """Harel's (2009) pooled R²: the mean of Fisher's z of :math:`\\sqrt{R^2}`, back-transformed.

    >>> round(pool_r2([0.30, 0.34, 0.32]), 4)
    0.32
    """
    r = np.sqrt(np.clip(np.asarray(r2, dtype=float), 0.0, 1.0))
    return float(np.tanh(np.mean(np.arctanh(np.minimum(r, 1 - 1e-15)))) ** 2)


def pool_wald_test(
    estimates: Sequence[np.ndarray], covariances: Sequence[np.ndarray]
) -> dict[str, float]:
    """D1: the multivariate Wald test that a block of coefficients is zero, over imputations.

    Parameters
    ----------
    estimates : sequence of array, shape (k,)
        The block's estimates in each of the ``m`` completed data sets.
    covariances : sequence of array, shape (k, k)
        Their covariance matrices.

    Returns
    -------
    dict
        ``{F, df1, df2, p, riv}``: :math:`D_1` on ``df1 = k`` and ``df2`` degrees of
        freedom, its p-value, and the average relative increase in variance :math:`r`.

    Notes
    -----
    With :math:`\\bar Q` the mean estimate, :math:`\\bar U` the mean covariance and
    :math:`B` the between-imputation covariance,
    :math:`r = (1 + 1/m)\\,\\mathrm{tr}(B\\bar U^{-1})/k` and
    :math:`D_1 = \\bar Q'\\bar U^{-1}\\bar Q / (k(1 + r))`, referred to
    :math:`F(k, \\nu)` with :math:`t = k(m-1)`,
    :math:`\\nu = 4 + (t - 4)(1 + (1 - 2/t)/r)^2` when :math:`t > 4`, else
    :math:`\\nu = t(1 + 1/k)(1 + 1/r)^2/2` (Li, Raghunathan & Rubin 1991). R:
    ``mitml::testModels(fit1, fit0, method = "D1")``.
    """
    q = np.asarray([np.atleast_1d(np.asarray(e, dtype=float)) for e in estimates])
    u = np.asarray([np.atleast_2d(np.asarray(c, dtype=float)) for c in covariances])
    m, k = q.shape
    if m < 2:
        raise ValueError("D1 needs at least two imputations")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    dev = q - qbar
    b = dev.T @ dev / (m - 1)
    ubar_inv = np.linalg.pinv(ubar)
    r = float((1 + 1 / m) * np.trace(b @ ubar_inv) / k)
    d1 = float(qbar @ ubar_inv @ qbar / (k * (1 + r)))
    t = k * (m - 1)
    if r <= 0:
        df2 = math.inf
    elif t > 4:
        df2 = 4 + (t - 4) * (1 + (1 - 2 / t) / r) ** 2
    else:
        df2 = t * (1 + 1 / k) * (1 + 1 / r) ** 2 / 2
    p = float(stats.f.sf(d1, k, df2)) if math.isfinite(df2) else float(stats.chi2.sf(d1 * k, k))
    return {"F": d1, "df1": k, "df2": float(df2), "p": p, "riv": r}


def _pool_rows(
    tables: Sequence[pd.DataFrame], *, n: int, k: int, ci: float, se: str = "se"
) -> pd.DataFrame:
    """Rubin's rules row by row over tables with the same index and ``estimate``/``se``."""
    index = tables[0].index
    est = np.column_stack([t.loc[index, "estimate"].to_numpy(float) for t in tables]).T
    var = np.column_stack([t.loc[index, se].to_numpy(float) ** 2 for t in tables]).T
    pooled = pool_estimates(est, var, n=n, k=k, ci=ci, names=[str(i) for i in index]).table
    pooled.index = index
    return pooled


def _warnings(results: Sequence[Any], drop: Sequence[str] = ()) -> tuple[str, ...]:
    """The imputations' warnings, each once, less those about the per-imputation bootstrap
    size (the pooled bootstrap has all resamples)."""
    out: dict[str, None] = {}
    for res in results:
        for w in res.warnings:
            if not any(d in w for d in drop):
                out[w] = None
    return tuple(out)


_SMALL_BOOT = ("bootstrap resamples: the interval ends are rough", "bootstrap resamples; use")


def pool_driver_models(fits: Sequence[DriverModel]) -> DriverModel:
    """The driver model pooled over imputations (Rubin's rules; R ``mice::pool``).

    Coefficients (and an ordinal model's thresholds) are pooled with Barnard-Rubin df; the
    table gains ``df`` and ``fmi`` columns and ``statistic`` becomes the pooled t.
    ``std_beta`` is the mean over imputations. R² and adjusted R² are pooled as Harel
    (2009); McFadden's pseudo-R² is the mean. The log-likelihood, AIC and BIC have no
    pooled counterpart and are NaN. The overall F test of an OLS model is D1 on every slope
    (``f_test``, R: ``mitml::testModels(fit, fit0, method = "D1")``). The hierarchical test of the drivers over the controls
    is D1 on the drivers' coefficients (:func:`pool_wald_test`), with ΔR² from the pooled
    R² of both models. The assumption checks, residuals and influential cases are those of
    the first completed data set (said in the warnings).

    Notes
    -----
    For each coefficient, :math:`\\bar Q = \\frac1m\\sum Q_i`, :math:`\\bar U =
    \\frac1m\\sum U_i`, :math:`B = \\frac1{m-1}\\sum (Q_i - \\bar Q)^2`,
    :math:`T = \\bar U + (1 + 1/m)B`
    and the Barnard-Rubin degrees of freedom with the complete-data df ``n - k``
    (:func:`workbench.intake.imputation.pool_estimates`).

    References
    ----------
    Rubin (1987); Barnard & Rubin (1999); Harel (2009); Li, Raghunathan & Rubin (1991) (see
    the module docstring). R: ``mice::pool(fit)``, ``mice::pool.r.squared(fit)``,
    ``mitml::testModels(fit1, fit0, method = "D1")``.
    """
    first = fits[0]
    m = len(fits)
    if m < 2:
        raise ValueError("pooling needs at least two imputations")
    coef = [f.coefficients.set_index("term") for f in fits]
    k = len(coef[0]) + (0 if first.thresholds is None else len(first.thresholds))
    pooled = _pool_rows(coef, n=first.n, k=k, ci=first.ci)
    table = coef[0].copy()
    table["estimate"] = pooled["estimate"]
    table["se"] = pooled["se"]
    table["statistic"] = pooled["t"]
    table["p"] = pooled["p"]
    table["ci_low"] = pooled["ci_low"]
    table["ci_high"] = pooled["ci_high"]
    table["std_beta"] = np.mean([c["std_beta"].to_numpy(float) for c in coef], axis=0)
    table["df"] = pooled["df"]
    table["fmi"] = pooled["fmi"]
    thresholds = None
    if first.thresholds is not None:
        th = [f.thresholds.set_index("label") for f in fits if f.thresholds is not None]
        tp = _pool_rows(th, n=first.n, k=k, ci=first.ci)
        thresholds = th[0].copy()
        thresholds["estimate"] = tp["estimate"]
        thresholds["se"] = tp["se"]
        thresholds = thresholds.reset_index()
    r2 = adj = None
    if first.r2 is not None:
        r2 = pool_r2([f.r2 for f in fits])  # type: ignore[misc]
        adj = pool_r2([f.adj_r2 for f in fits])  # type: ignore[misc]
    pseudo = None if first.pseudo_r2 is None else float(np.mean([f.pseudo_r2 for f in fits]))
    hierarchical = None
    if first.hierarchical is not None:
        drivers = [t for t in table.index if table.loc[t, "role"] == "driver"]
        test = pool_wald_test(
            [f.model.params[drivers].to_numpy(float) for f in fits],
            [f.model.cov_params().loc[drivers, drivers].to_numpy(float) for f in fits],
        )
        h = dict(first.hierarchical)
        key = "r2_controls"
        if first.kind == "ols":
            r2c = pool_r2([f.hierarchical[key] for f in fits])  # type: ignore[index]
            h.update(r2_controls=r2c, delta_r2=(r2 or 0.0) - r2c)
        else:
            r2c = float(np.mean([f.hierarchical[key] for f in fits]))  # type: ignore[index]
            h.update(r2_controls=r2c, delta_r2=(pseudo or 0.0) - r2c)
        h.update(
            test="D1 (pooled Wald F over imputations)",
            statistic=test["F"],
            df1=test["df1"],
            df2=test["df2"],
            p=test["p"],
        )
        hierarchical = h
    f_test = None
    if first.kind == "ols":  # the overall F test: D1 on every slope
        slopes = [t for t in first.model.params.index if t != "Intercept"]
        overall = pool_wald_test(
            [f.model.params[slopes].to_numpy(float) for f in fits],
            [f.model.cov_params().loc[slopes, slopes].to_numpy(float) for f in fits],
        )
        f_test = {
            "F": overall["F"],
            "df1": overall["df1"],
            "df2": overall["df2"],
            "p": overall["p"],
            "vcov": "HC3" if first.robust else "classical",
            "pooling": "D1",
        }
    notes = list(_warnings(fits))
    notes.append(
        f"Estimates pooled over {m} imputations by Rubin's rules; the assumption checks, "
        "residual plot and influential cases are those of the first completed data set."
    )
    return dataclasses.replace(
        first,
        coefficients=table.reset_index(),
        thresholds=thresholds,
        r2=r2,
        adj_r2=adj,
        pseudo_r2=pseudo,
        loglik=math.nan,
        aic=math.nan,
        bic=math.nan,
        hierarchical=hierarchical,
        warning_messages=tuple(notes),
        pooled_f_test=f_test,
    )


def pool_relative_importance(results: Sequence[RelativeImportance]) -> RelativeImportance:
    """Relative importance over imputations: mean shares, pooled bootstrap intervals.

    ``lmg`` and ``relative_weight`` are the means over the imputations (they still sum to
    the mean R²); ``lmg_between_sd`` and ``rw_between_sd`` are their standard deviations
    across imputations; the percentile intervals and ``rank_first_share`` come from the
    bootstrap resamples of every imputation pooled (Schomaker & Heumann 2018).

    Notes
    -----
    Each imputation's own bootstrap spreads around its own estimate, so the pooled
    resamples carry both the within- and the between-imputation variation; their
    percentile interval is the "MI Boot (pooled sample)" interval of Schomaker & Heumann.

    References
    ----------
    Schomaker, M., & Heumann, C. (2018). Bootstrap inference when using multiple
    imputation. *Statistics in Medicine*, 37(14), 2252-2266.
    """
    first = results[0]
    ci = first.ci
    lmg = np.mean([r.table["lmg"].to_numpy(float) for r in results], axis=0)
    rw = np.mean([r.table["relative_weight"].to_numpy(float) for r in results], axis=0)
    r2 = float(np.mean([r.r2 for r in results]))
    boot_lmg = np.vstack([r.boot_lmg for r in results])
    boot_rw = np.vstack([r.boot_rw for r in results])
    table = first.table.copy()
    table["lmg"] = lmg
    table["relative_weight"] = rw
    table["lmg_pct"] = 100 * lmg / r2
    table["rw_pct"] = 100 * rw / r2
    table["lmg_between_sd"] = np.std([r.table["lmg"] for r in results], axis=0, ddof=1)
    table["rw_between_sd"] = np.std([r.table["relative_weight"] for r in results], axis=0, ddof=1)
    if len(boot_lmg):
        lo, hi = (1 - ci) / 2, 1 - (1 - ci) / 2
        table[["lmg_ci_low", "lmg_ci_high"]] = np.quantile(boot_lmg, [lo, hi], axis=0).T
        table[["rw_ci_low", "rw_ci_high"]] = np.quantile(boot_rw, [lo, hi], axis=0).T
        p = len(lmg)
        table["rank_first_share"] = np.bincount(np.argmax(boot_lmg, axis=1), minlength=p) / len(
            boot_lmg
        )
    return dataclasses.replace(
        first,
        r2=r2,
        table=table,
        bootstrap=sum(r.bootstrap for r in results),
        bootstrap_used=len(boot_lmg),
        boot_lmg=boot_lmg,
        boot_rw=boot_rw,
        seconds=sum(r.seconds for r in results),
        warning_messages=_warnings(results, _SMALL_BOOT),
    )


def pool_mediation(results: Sequence[MediationResult]) -> MediationResult:
    """A mediation analysis over imputations.

    The a, b, c' and c paths are pooled by Rubin's rules (``df`` and ``fmi`` added). The
    indirect effects are the means of a·b over the imputations with percentile intervals
    from the bootstrap resamples of every imputation pooled (``boot_se`` is their standard
    deviation); the Sobel test uses the pooled paths.
    """
    first = results[0]
    ci = first.ci
    k_params = 2 + len(first.mediators) + len(first.covariates)
    paths = first.paths.copy()
    pooled = _pool_rows([r.paths for r in results], n=first.n, k=k_params, ci=ci)
    for col, src in (
        ("estimate", "estimate"),
        ("se", "se"),
        ("t", "t"),
        ("p", "p"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
        ("df", "df"),
        ("fmi", "fmi"),
    ):
        paths[col] = pooled[src]
    meds = list(first.mediators)
    a = paths.loc[[f"a[{m}]" for m in meds], "estimate"].to_numpy(float)
    b = paths.loc[[f"b[{m}]" for m in meds], "estimate"].to_numpy(float)
    sa = paths.loc[[f"a[{m}]" for m in meds], "se"].to_numpy(float)
    sb = paths.loc[[f"b[{m}]" for m in meds], "se"].to_numpy(float)
    sobel_se = np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    est = np.mean([r.indirect["estimate"].to_numpy(float) for r in results], axis=0)
    std_est = np.mean([r.indirect["std_estimate"].to_numpy(float) for r in results], axis=0)
    boot = np.vstack([r.boot_indirect[~np.isnan(r.boot_indirect).any(axis=1)] for r in results])
    indirect = first.indirect.copy()
    indirect["estimate"] = est
    indirect["std_estimate"] = std_est
    indirect["sobel_se"] = np.append(sobel_se, np.nan)
    indirect["sobel_z"] = np.append(a * b / sobel_se, np.nan)
    indirect["sobel_p"] = np.append(2 * stats.norm.sf(np.abs(a * b / sobel_se)), np.nan)
    indirect["between_sd"] = np.std(
        [r.indirect["estimate"].to_numpy(float) for r in results], axis=0, ddof=1
    )
    lo, hi = (1 - ci) / 2, 1 - (1 - ci) / 2
    if len(boot) >= 2:
        indirect["ci_low"], indirect["ci_high"] = np.quantile(boot, [lo, hi], axis=0)
        indirect["boot_se"] = boot.std(axis=0, ddof=1)
        # the standardized effect's interval: each imputation's resamples scaled by its
        # own SD(X)/SD(Y) ratio (the ratio of its point estimates)
        scaled = np.vstack(
            [
                r.boot_indirect * (r.indirect["std_estimate"] / r.indirect["estimate"]).to_numpy()
                for r in results
            ]
        )
        scaled = scaled[np.isfinite(scaled).all(axis=1)]
        indirect["std_ci_low"], indirect["std_ci_high"] = np.quantile(scaled, [lo, hi], axis=0)
    return dataclasses.replace(
        first,
        paths=paths,
        indirect=indirect,
        bootstrap=sum(r.bootstrap for r in results),
        n_boot_failed=sum(r.n_boot_failed for r in results),
        boot_indirect=boot,
        warning_messages=_warnings(results, _SMALL_BOOT),
    )


def pool_moderation(results: Sequence[ModerationResult]) -> ModerationResult:
    """A moderation analysis over imputations.

    Coefficients and simple slopes are pooled by Rubin's rules (a numeric moderator's
    -1 SD / mean / +1 SD values are the means over the imputations). A numeric
    moderator's interaction is the pooled X·W coefficient; a categorical moderator's with
    more than two levels is tested by D1. The Johnson-Neyman bounds solve
    :math:`(b_1 + b_3 w)^2 = t^2\\,\\mathrm{var}(b_1 + b_3 w)` with the pooled estimates,
    their total (Rubin) covariance and :math:`t` on the X·W coefficient's Barnard-Rubin df.
    The plot's predicted values are averaged over the imputations.
    """
    first = results[0]
    ci = first.ci
    m = len(results)
    coef = [r.coefficients for r in results]
    k = len(coef[0])
    pooled = _pool_rows(coef, n=first.n, k=k, ci=ci)
    coefficients = first.coefficients.copy()
    for col in ("estimate", "se", "t", "p", "ci_low", "ci_high", "df", "fmi"):
        coefficients[col] = pooled[col]
    slopes = first.simple_slopes.copy()
    sp = _pool_rows([r.simple_slopes for r in results], n=first.n, k=k, ci=ci)
    for col in ("estimate", "se", "t", "p", "ci_low", "ci_high", "df", "fmi"):
        slopes[col] = sp[col]
    slopes["w"] = np.mean([r.simple_slopes["w"].to_numpy(float) for r in results], axis=0)
    interaction = dict(first.interaction)
    interaction["r2_change"] = float(np.mean([r.interaction["r2_change"] for r in results]))
    notes = list(_warnings(results))
    # a categorical W has no Johnson-Neyman answer: keep the first imputation's (none)
    roots, bounds, regions = first.jn_roots, first.jn_bounds, first.jn_regions
    sig = first.jn_significant
    w_range = first.w_range
    if "x:w" in coefficients.index:
        row = coefficients.loc["x:w"]
        interaction.update(
            estimate=float(row["estimate"]),
            se=float(row["se"]),
            t=float(row["t"]),
            p=float(row["p"]),
        )
        params = np.array([np.asarray(r.model.params)[[1, 3]] for r in results])
        covs = np.array([np.asarray(r.model.cov_params())[np.ix_([1, 3], [1, 3])] for r in results])
        qbar = params.mean(axis=0)
        dev = params - qbar
        total = covs.mean(axis=0) + (1 + 1 / m) * dev.T @ dev / (m - 1)
        tcrit = float(stats.t.ppf(1 - (1 - ci) / 2, float(row["df"])))
        # X and W were centred at each imputation's mean of W (the pooled 'mean' slope's w)
        shift = float(slopes.loc["mean", "w"]) if first.center else 0.0
        w_range = (
            float(min(r.w_range[0] for r in results)),
            float(max(r.w_range[1] for r in results)),
        )
        big = np.zeros((4, 4))  # the moderation model's positions of b1 (x) and b3 (x:w)
        big[np.ix_([1, 3], [1, 3])] = total
        roots, bounds, sig, regions = _johnson_neyman(
            qbar[0], qbar[1], big, tcrit, shift, w_range[0], w_range[1]
        )
    else:  # categorical W: one X·W term per non-reference level
        names = [t for t in coefficients.index if str(t).startswith("x:w")]
        if len(names) == 1:
            row = coefficients.loc[names[0]]
            interaction.update(
                estimate=float(row["estimate"]),
                se=float(row["se"]),
                t=float(row["t"]),
                p=float(row["p"]),
            )
        else:
            where = [list(coefficients.index).index(t) for t in names]
            test = pool_wald_test(
                [np.asarray(r.model.params)[where] for r in results],
                [np.asarray(r.model.cov_params())[np.ix_(where, where)] for r in results],
            )
            interaction.update(F=test["F"], df1=test["df1"], df2=test["df2"], p=test["p"])
    plot = first.plot_data.copy()
    plot["predicted"] = np.mean([r.plot_data["predicted"].to_numpy(float) for r in results], axis=0)
    notes.append(f"Moderation pooled over {m} imputations by Rubin's rules.")
    return dataclasses.replace(
        first,
        coefficients=coefficients,
        r2=pool_r2([r.r2 for r in results]),
        interaction=interaction,
        simple_slopes=slopes,
        jn_roots=roots,
        jn_bounds=bounds,
        jn_significant=sig,
        jn_regions=regions,
        w_range=w_range,
        plot_data=plot,
        warning_messages=tuple(dict.fromkeys(notes)),
    )


def pool_segments(results: Sequence[SegmentComparison]) -> SegmentComparison:
    """Driver models per segment over imputations (the segment column is never imputed,
    so every imputation has the same segments and rows).

    Coefficients are pooled by Rubin's rules per segment; R² and adjusted R² per segment as
    Harel (2009);
    the test of equal slopes and each driver's test are D1 on the driver x segment
    interaction coefficients of the full interaction model.
    """
    first = results[0]
    ci = first.ci
    k = 1 + len(first.drivers) + len(first.controls)
    keyed = [r.coefficients.set_index(["segment", "term"]) for r in results]
    pooled = _pool_rows(keyed, n=int(first.fit["n"].min()), k=k, ci=ci)
    coefficients = keyed[0].copy()
    for col in ("estimate", "se", "t", "p", "ci_low", "ci_high", "df", "fmi"):
        coefficients[col] = pooled[col]
    fit = first.fit.copy()
    for seg in fit.index:
        fit.loc[seg, "r2"] = pool_r2([r.fit.loc[seg, "r2"] for r in results])
        fit.loc[seg, "adj_r2"] = pool_r2([r.fit.loc[seg, "adj_r2"] for r in results])
    n_seg_levels = len(first.segments)
    q = len(first.drivers) * (n_seg_levels - 1)
    params = [np.asarray(r.models["interaction"].params) for r in results]
    covs = [np.asarray(r.models["interaction"].cov_params()) for r in results]
    block = list(range(len(params[0]) - q, len(params[0])))
    slope = pool_wald_test([p[block] for p in params], [c[np.ix_(block, block)] for c in covs])
    slope_test = {key: slope[key] for key in ("F", "df1", "df2", "p")}
    rows = {}
    for j, driver in enumerate(first.drivers):
        idx = block[j * (n_seg_levels - 1) : (j + 1) * (n_seg_levels - 1)]
        t = pool_wald_test([p[idx] for p in params], [c[np.ix_(idx, idx)] for c in covs])
        rows[driver] = {key: t[key] for key in ("F", "df1", "df2", "p")}
    driver_tests = pd.DataFrame.from_dict(rows, orient="index")
    driver_tests.index.name = "driver"
    return dataclasses.replace(
        first,
        coefficients=coefficients.reset_index(),
        fit=fit,
        slope_test=slope_test,
        driver_tests=driver_tests,
        warning_messages=_warnings(results),
    )
