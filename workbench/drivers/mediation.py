"""Mediation, moderation, segment comparison and importance–performance analysis.

The loyalty-driver study's sections 5–8 (issue 3):

* :func:`mediation`: Hayes PROCESS model 4 with OLS (one or several parallel
  mediators): a, b, c', c, indirect effects with percentile-bootstrap CIs, the
  Sobel test and the completely standardized indirect effect.
* :func:`moderation`: PROCESS model 1 (Y ~ X + W + X·W), simple slopes and the
  Johnson–Neyman region; a categorical moderator gives slopes per level.
* :func:`compare_segments`: the driver model per segment and a Chow-type F test
  of whether the slopes differ.
* :func:`importance_performance`: importance vs performance (0–100) quadrants.

Point estimates match R's ``lm`` (``tests/reference/r_mediation.R``). Rows with a
missing value in any variable of a model are dropped (listwise deletion) and the
number dropped is reported in the result and its warnings.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from workbench.drivers.moments import em_bootstrap, em_moments
from workbench.errors import InputError
from workbench.resampling import bootstrap_cross_products, covariances_from_cross_products
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_ci

__all__ = [
    "IPAResult",
    "MediationResult",
    "ModerationResult",
    "SegmentComparison",
    "compare_segments",
    "importance_performance",
    "mediation",
    "mediation_fiml",
    "moderation",
]

Quadrant = Literal["fix first", "keep up", "low priority", "possible overkill"]
QUADRANTS: tuple[str, ...] = ("fix first", "keep up", "low priority", "possible overkill")


# --------------------------------------------------------------------------- helpers


def _as_list(value: str | Sequence[str], name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence):
        raise ValueError(f"{name}={value!r} is not valid; use a column name or a list of names")
    return [str(v) for v in value]


def _check_data(data: pd.DataFrame, columns: Sequence[str], *, numeric: Sequence[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"The data must be a pandas DataFrame, not {type(data).__name__}.",
            hint="Load it with workbench.intake.data and score the constructs first.",
        )
    seen: set[str] = set()
    for col in columns:
        if col in seen:
            raise InputError(
                "A column is used in more than one role.",
                column=str(col),
                hint="Use each variable once (x, y, mediators, moderator, covariates).",
            )
        seen.add(col)
        if col not in data.columns:
            raise InputError(
                "A variable is not in the data.",
                column=str(col),
                hint="Check the name against the data columns: "
                + ", ".join(map(str, data.columns[:20]))
                + (" ..." if data.shape[1] > 20 else ""),
            )
    for col in numeric:
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
            raise InputError(
                "A variable is not numeric.",
                column=str(col),
                row=row,
                value=s[bad].iloc[0] if bad.any() else None,
                hint="Score constructs to numbers, or dummy-code a categorical variable.",
            )


def _complete(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    sub = data[list(columns)]
    keep = sub.notna().all(axis=1)
    return sub.loc[keep], int((~keep).sum())


def _dropped_note(n_dropped: int, n_total: int) -> list[str]:
    if n_dropped == 0:
        return []
    return [
        f"{n_dropped} of {n_total} rows ({100 * n_dropped / n_total:.1f}%) had a missing value "
        "in a model variable and were dropped (listwise deletion)."
    ]


def _check_n(n: int, p: int, what: str) -> None:
    if n <= p + 1:
        raise InputError(
            f"Only {n} complete rows for {what}, too few for {p} coefficients.",
            hint="Check the missing-value codes, or use fewer covariates.",
        )


def _ols(y: np.ndarray, X: np.ndarray) -> Any:
    return sm.OLS(y, X).fit()


def _coef_row(fit: Any, j: int, ci: float) -> dict[str, float]:
    low, high = np.asarray(fit.conf_int(alpha=1 - ci))[j]
    return {
        "estimate": float(fit.params[j]),
        "se": float(fit.bse[j]),
        "t": float(fit.tvalues[j]),
        "p": float(fit.pvalues[j]),
        "ci_low": float(low),
        "ci_high": float(high),
    }


def _design(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    x = frame[list(columns)].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(frame)), x])


# --------------------------------------------------------------------------- mediation


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class MediationResult(Result):
    """A mediation analysis (PROCESS model 4), as :func:`mediation` returns it.

    Attributes
    ----------
    x, y : str
        Predictor and outcome.
    mediators : tuple of str
        The mediator(s), estimated in parallel.
    covariates : tuple of str
        Covariates entered in every model.
    n, n_dropped : int
        Complete rows used and rows dropped (listwise deletion).
    paths : pandas.DataFrame
        One row per path: index ``a[m]`` and ``b[m]`` for each mediator ``m``,
        ``c_prime`` (direct effect) and ``c_total`` (total effect); columns
        ``path`` (``a``, ``b``, ``c_prime``, ``c_total``), ``mediator``,
        ``estimate``, ``se``, ``t``, ``p``, ``ci_low``, ``ci_high`` (OLS, t-based).
    indirect : pandas.DataFrame
        One row per mediator plus ``total`` (sum of the indirect effects):
        ``estimate`` (a·b), ``boot_se`` (SD of the bootstrap estimates),
        ``ci_low``/``ci_high`` (percentile bootstrap), ``sobel_se``, ``sobel_z``,
        ``sobel_p`` (NaN for the total), ``std_estimate`` (completely
        standardized, a·b·SD(X)/SD(Y)) with its bootstrap ``std_ci_low`` /
        ``std_ci_high``.
    bootstrap, seed : int
        Resamples drawn (0: no bootstrap) and the seed of
        ``numpy.random.default_rng`` that drew them.
    n_boot_failed : int
        Resamples with a singular design, left out of the CIs.
    ci : float
        Confidence level.
    boot_indirect : numpy.ndarray
        The bootstrap draws, shape (resamples, mediators + 1); the last column
        is the total indirect effect.
    models : dict
        The statsmodels fits: ``"a[m]"`` per mediator, ``"outcome"``, ``"total"``.
    warning_messages : tuple of str
        What to look at before trusting the numbers.
    """

    x: str
    y: str
    mediators: tuple[str, ...]
    covariates: tuple[str, ...]
    n: int
    n_dropped: int
    paths: pd.DataFrame
    indirect: pd.DataFrame
    bootstrap: int
    seed: int
    n_boot_failed: int
    ci: float
    boot_indirect: np.ndarray = dataclasses.field(repr=False)
    models: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Paths and indirect effects in one table.

        Rows ``a[m]``, ``b[m]``, ``c_prime``, ``c_total``, ``indirect[m]`` and
        (several mediators) ``indirect[total]``; columns ``effect``,
        ``mediator``, ``estimate``, ``se``, ``p``, ``ci_low``, ``ci_high``,
        ``method``. For indirect effects ``se`` is the bootstrap SE, the CI the
        percentile bootstrap and ``p`` the Sobel p value (NaN for the total).
        """
        paths = self.paths.rename(columns={"path": "effect"})[
            ["effect", "mediator", "estimate", "se", "p", "ci_low", "ci_high"]
        ].assign(method="ols")
        rows = self.indirect if len(self.mediators) > 1 else self.indirect.drop(index="total")
        ind = pd.DataFrame(
            {
                "effect": "indirect",
                "mediator": rows.index,
                "estimate": rows["estimate"],
                "se": rows["boot_se"],
                "p": rows["sobel_p"],
                "ci_low": rows["ci_low"],
                "ci_high": rows["ci_high"],
                "method": "percentile bootstrap",
            }
        )
        ind.index = [f"indirect[{m}]" for m in rows.index]
        return pd.concat([paths, ind])

    def to_dict(self) -> dict[str, Any]:
        """The study's ``mediation`` entry.

        One mediator::

            {mediator, a, b, c_prime, c_total, indirect, indirect_ci_low,
             indirect_ci_high, ...}

        Several (parallel) mediators: ``mediator`` is the list of names;
        ``indirect``/``indirect_ci_low``/``indirect_ci_high`` are the *total*
        indirect effect; ``a`` and ``b`` are left out at the top level, and
        ``by_mediator`` maps each mediator to ``{a, b, indirect,
        indirect_ci_low, indirect_ci_high, sobel_z, sobel_p, std_indirect}``.
        Both shapes also carry ``x``, ``y``, ``covariates``, ``n``,
        ``n_dropped``, ``bootstrap``, ``seed``, ``ci``, the SEs ``a_se``,
        ``b_se``, ``c_prime_se``, ``c_total_se`` (one mediator) and ``warnings``.
        """
        p = self.paths["estimate"]
        se = self.paths["se"]
        ind = self.indirect
        out: dict[str, Any] = {"x": self.x, "y": self.y}
        if len(self.mediators) == 1:
            m = self.mediators[0]
            out |= {
                "mediator": m,
                "a": p[f"a[{m}]"],
                "b": p[f"b[{m}]"],
                "c_prime": p["c_prime"],
                "c_total": p["c_total"],
                "indirect": ind.loc[m, "estimate"],
                "indirect_ci_low": ind.loc[m, "ci_low"],
                "indirect_ci_high": ind.loc[m, "ci_high"],
                "a_se": se[f"a[{m}]"],
                "b_se": se[f"b[{m}]"],
                "c_prime_se": se["c_prime"],
                "c_total_se": se["c_total"],
                "sobel_z": ind.loc[m, "sobel_z"],
                "sobel_p": ind.loc[m, "sobel_p"],
                "std_indirect": ind.loc[m, "std_estimate"],
            }
        else:
            out |= {
                "mediator": list(self.mediators),
                "c_prime": p["c_prime"],
                "c_total": p["c_total"],
                "indirect": ind.loc["total", "estimate"],
                "indirect_ci_low": ind.loc["total", "ci_low"],
                "indirect_ci_high": ind.loc["total", "ci_high"],
                "by_mediator": {
                    m: {
                        "a": p[f"a[{m}]"],
                        "b": p[f"b[{m}]"],
                        "indirect": ind.loc[m, "estimate"],
                        "indirect_ci_low": ind.loc[m, "ci_low"],
                        "indirect_ci_high": ind.loc[m, "ci_high"],
                        "sobel_z": ind.loc[m, "sobel_z"],
                        "sobel_p": ind.loc[m, "sobel_p"],
                        "std_indirect": ind.loc[m, "std_estimate"],
                    }
                    for m in self.mediators
                },
            }
        out |= {
            "covariates": list(self.covariates),
            "n": self.n,
            "n_dropped": self.n_dropped,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "ci": self.ci,
            "warnings": self.warnings,
        }
        return jsonable(out)

    def summary(self) -> str:
        pct = f"{100 * self.ci:g}%"
        lines = [
            f"Mediation of {self.x} -> {self.y} through {', '.join(self.mediators)} "
            f"(PROCESS model 4, OLS; n = {self.n}"
            + (f", covariates: {', '.join(self.covariates)}" if self.covariates else "")
            + ")",
            "",
            self.paths.drop(columns=["path", "mediator"]).to_string(float_format="%.4f"),
            "",
            f"Indirect effects ({pct} percentile bootstrap CI, {self.bootstrap} resamples, "
            f"seed {self.seed}):",
            self.indirect.to_string(float_format="%.4f"),
        ]
        return with_warnings("\n".join(lines), self.warnings)


def _solve_batched(xtx: np.ndarray, xty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve many normal equations at once.

    ``xtx`` (B, p, p), ``xty`` (B, p, k) -> coefficients (B, p, k) and a mask of
    the resamples whose system was singular or nearly so (their coefficients are NaN).
    """
    try:
        beta = np.linalg.solve(xtx, xty)
        bad = ~np.isfinite(beta).all(axis=(1, 2))
    except np.linalg.LinAlgError:
        beta = np.full(xty.shape, np.nan)
        bad = np.zeros(len(xtx), dtype=bool)
        for i in range(len(xtx)):
            if np.linalg.matrix_rank(xtx[i]) < xtx.shape[1]:
                bad[i] = True
            else:
                beta[i] = np.linalg.solve(xtx[i], xty[i])
    # condition check: a nearly singular resample (e.g. a constant mediator) is unusable
    cond = np.linalg.cond(xtx)
    bad |= ~np.isfinite(cond) | (cond > 1e12)
    beta[bad] = np.nan
    return beta, bad


def _indirect_table(
    mediators: list[str],
    ab: np.ndarray,
    boot: np.ndarray,
    boot_std: np.ndarray,
    sobel_se: np.ndarray,
    sobel_z: np.ndarray,
    sd_ratio: float,
    ci: float,
) -> pd.DataFrame:
    """The indirect effects (one row per mediator plus ``total``) from the point estimates
    a·b, the usable bootstrap draws (raw and standardized) and the Sobel test."""
    alpha = 1 - ci
    k = len(mediators)
    if len(boot) >= 2:
        lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
        slo, shi = np.quantile(boot_std, [alpha / 2, 1 - alpha / 2], axis=0)
        bse = boot.std(axis=0, ddof=1)
    else:
        lo = hi = slo = shi = bse = np.full(k + 1, np.nan)
    est = np.append(ab, ab.sum())
    return pd.DataFrame(
        {
            "estimate": est,
            "boot_se": bse,
            "ci_low": lo,
            "ci_high": hi,
            "sobel_se": np.append(sobel_se, np.nan),
            "sobel_z": np.append(sobel_z, np.nan),
            "sobel_p": np.append(2 * stats.norm.sf(np.abs(sobel_z)), np.nan),
            "std_estimate": est * sd_ratio,
            "std_ci_low": slo,
            "std_ci_high": shi,
        },
        index=pd.Index([*mediators, "total"], name="mediator"),
    )


def _few_resamples_note(bootstrap: int) -> list[str]:
    if 0 < bootstrap < 1000:
        return [
            f"Only {bootstrap} bootstrap resamples; use at least 1000 (5000 for a "
            "publication) for stable percentile limits."
        ]
    return []


def mediation(
    data: pd.DataFrame,
    x: str,
    y: str,
    mediators: str | list[str],
    *,
    covariates: Sequence[str] = (),
    bootstrap: int = 1000,
    seed: int = 2026,
    ci: float = 0.95,
) -> MediationResult:
    """Simple or parallel mediation with percentile-bootstrap indirect effects.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with numeric columns ``x``, ``y``, the
        mediators and the covariates (e.g. construct scores).
    x, y : str
        Predictor (X) and outcome (Y).
    mediators : str or list of str
        One mediator, or several estimated in parallel (PROCESS model 4 with
        several M).
    covariates : sequence of str
        Entered in every model (each mediator model, the outcome model and the
        total-effect model), as PROCESS does.
    bootstrap : int
        Number of bootstrap resamples (default 1000; 0 skips the bootstrap and
        leaves the CIs NaN).
    seed : int
        Seed of ``numpy.random.default_rng`` for the resamples (default 2026).
    ci : float
        Confidence level (default 0.95).

    Returns
    -------
    MediationResult
        Paths, indirect effects with bootstrap CIs, Sobel tests and the
        completely standardized indirect effects.

    Raises
    ------
    ValueError
        For a bad ``bootstrap``, ``seed`` or ``ci``.
    InputError
        For a missing or non-numeric column or too few complete rows.

    Notes
    -----
    With covariates :math:`C`, the models fitted by OLS are

    .. math::

        M_i = i_{M_i} + a_i X + C\\gamma_i + e_{M_i}, \\qquad
        Y = i_Y + c' X + \\sum_i b_i M_i + C\\gamma + e_Y, \\qquad
        Y = i^*_Y + c X + C\\gamma^* + e^*_Y.

    The indirect effect through :math:`M_i` is :math:`a_i b_i`, the total
    indirect effect :math:`\\sum_i a_i b_i`, and :math:`c = c' + \\sum_i a_i b_i`.
    The CI of an indirect effect is the percentile interval of its estimates on
    ``bootstrap`` resamples of rows (drawn with replacement); each resample
    refits every model through its covariance matrix (solved in batches;
    no resampled copy of the data is made, see :mod:`workbench.resampling`).

    Secondary figures: the Sobel (first-order delta) test
    :math:`z = a b / \\sqrt{b^2 s_a^2 + a^2 s_b^2}`, which assumes a normal
    sampling distribution of :math:`ab` (it is not, so prefer the bootstrap CI),
    and the completely standardized indirect effect
    :math:`a b \\, s_X / s_Y` (Preacher & Kelley, 2011).

    References
    ----------
    Hayes, A. F. (2022). *Introduction to Mediation, Moderation, and Conditional
    Process Analysis* (3rd ed.), PROCESS model 4. Preacher, K. J. & Hayes, A. F.
    (2008). Asymptotic and resampling strategies for assessing and comparing
    indirect effects in multiple mediator models. *Behavior Research Methods*,
    40, 879–891. Sobel, M. E. (1982). *Sociological Methodology*, 13, 290–312.
    Matches R ``lm`` fits of the three models (``tests/reference/r_mediation.R``);
    the bootstrap is that of ``mediation::mediate(..., boot = TRUE)`` /
    ``boot::boot.ci(type = "perc")`` up to the random numbers.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from workbench.drivers.mediation import mediation
    >>> rng = np.random.default_rng(1)
    >>> value = rng.normal(size=300)
    >>> satisfaction = 0.5 * value + rng.normal(size=300)
    >>> loyalty = 0.4 * satisfaction + 0.2 * value + rng.normal(size=300)
    >>> df = pd.DataFrame({"value": value, "satisfaction": satisfaction, "loyalty": loyalty})
    >>> res = mediation(df, "value", "loyalty", "satisfaction", bootstrap=500, seed=7)
    >>> d = res.to_dict()
    >>> round(d["indirect"], 3), d["indirect_ci_low"] > 0
    (0.221, True)
    >>> round(d["c_total"] - d["c_prime"] - d["indirect"], 10)  # c = c' + ab
    0.0
    """
    meds = _as_list(mediators, "mediators")
    covs = _as_list(covariates, "covariates")
    if not meds:
        raise ValueError("mediators=[] is not valid; give at least one mediator column")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(
            f"bootstrap={bootstrap!r} is not valid; use a non-negative integer, e.g. 1000 "
            "(0 skips the bootstrap)"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed={seed!r} is not valid; use an integer, e.g. 2026")
    check_ci(ci)
    cols = [x, *meds, y, *covs]
    _check_data(data, cols, numeric=cols)
    frame, n_dropped = _complete(data, cols)
    n = len(frame)
    k = len(meds)
    _check_n(n, 2 + k + len(covs), "the mediation")

    Xa = _design(frame, [x, *covs])  # [1, X, C]
    Xb = _design(frame, [x, *meds, *covs])  # [1, X, M..., C]
    M = frame[meds].to_numpy(dtype=float)
    yv = frame[y].to_numpy(dtype=float)
    models: dict[str, Any] = {}
    rows: dict[str, dict[str, Any]] = {}
    for j, m in enumerate(meds):
        fit = _ols(M[:, j], Xa)
        models[f"a[{m}]"] = fit
        rows[f"a[{m}]"] = {"path": "a", "mediator": m, **_coef_row(fit, 1, ci)}
    out = _ols(yv, Xb)
    models["outcome"] = out
    for j, m in enumerate(meds):
        rows[f"b[{m}]"] = {"path": "b", "mediator": m, **_coef_row(out, 2 + j, ci)}
    rows["c_prime"] = {"path": "c_prime", "mediator": None, **_coef_row(out, 1, ci)}
    tot = _ols(yv, Xa)
    models["total"] = tot
    rows["c_total"] = {"path": "c_total", "mediator": None, **_coef_row(tot, 1, ci)}
    paths = pd.DataFrame.from_dict(rows, orient="index")

    a = np.array([rows[f"a[{m}]"]["estimate"] for m in meds])
    b = np.array([rows[f"b[{m}]"]["estimate"] for m in meds])
    sa = np.array([rows[f"a[{m}]"]["se"] for m in meds])
    sb = np.array([rows[f"b[{m}]"]["se"] for m in meds])
    ab = a * b
    sobel_se = np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    sobel_z = ab / sobel_se
    sd_ratio = frame[x].std(ddof=1) / frame[y].std(ddof=1)

    # bootstrap: resample rows and refit the a and b models, each resample through its
    # covariance matrix (OLS slopes with an intercept are solve(S_xx, S_xy)), so no
    # resampled copy of the data is made (see workbench.resampling)
    rng = np.random.default_rng(int(seed))
    boot = np.empty((int(bootstrap), k + 1))
    boot_std = np.empty((int(bootstrap), k + 1))
    failed = np.zeros(int(bootstrap), dtype=bool)
    V = frame[[x, *meds, y, *covs]].to_numpy(dtype=float)
    V = V - V.mean(axis=0)
    ix, im, iy = [0], list(range(1, 1 + k)), [1 + k]
    ic = list(range(2 + k, 2 + k + len(covs)))
    pa, pb = ix + ic, ix + im + ic  # predictors of the mediator models and the outcome model
    start = 0
    for sums, cross in bootstrap_cross_products(V, rng, int(bootstrap)):
        cov = covariances_from_cross_products(sums, cross, n)
        size = len(cov)
        beta_a, bad_a = _solve_batched(cov[:, pa][:, :, pa], cov[:, pa][:, :, im])  # row 0 = a
        beta_b, bad_b = _solve_batched(cov[:, pb][:, :, pb], cov[:, pb][:, :, iy])
        ab_b = beta_a[:, 0, :] * beta_b[:, 1 : 1 + k, 0]
        sl = slice(start, start + size)
        boot[sl, :k] = ab_b
        boot[sl, k] = ab_b.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.sqrt(cov[:, 0, 0] / cov[:, 1 + k, 1 + k])
        boot_std[sl] = boot[sl] * ratio[:, None]
        failed[sl] = bad_a | bad_b
        start += size
    indirect = _indirect_table(
        meds, ab, boot[~failed], boot_std[~failed], sobel_se, sobel_z, sd_ratio, ci
    )

    notes = _dropped_note(n_dropped, len(data))
    if bootstrap == 0:
        notes.append("bootstrap=0: no bootstrap was run, so the indirect effects have no CI.")
    notes += _few_resamples_note(int(bootstrap))
    if failed.any():
        notes.append(
            f"{int(failed.sum())} of {bootstrap} bootstrap resamples had a singular design "
            "and were left out of the CIs."
        )
    return MediationResult(
        x=x,
        y=y,
        mediators=tuple(meds),
        covariates=tuple(covs),
        n=n,
        n_dropped=n_dropped,
        paths=paths,
        indirect=indirect,
        bootstrap=int(bootstrap),
        seed=int(seed),
        n_boot_failed=int(failed.sum()),
        ci=float(ci),
        boot_indirect=boot,
        models=models,
        warning_messages=tuple(notes),
    )


def _slopes(cov: np.ndarray, predictors: list[int], response: int) -> np.ndarray:
    """Regression slopes of one variable on others from a covariance matrix (or a stack)."""
    sxx = cov[..., predictors, :][..., :, predictors]
    sxy = cov[..., predictors, response]
    return np.linalg.solve(sxx, sxy[..., None])[..., 0]


def mediation_fiml(
    data: pd.DataFrame,
    x: str,
    y: str,
    mediators: str | list[str],
    *,
    covariates: Sequence[str] = (),
    bootstrap: int = 1000,
    seed: int = 2026,
    ci: float = 0.95,
    auxiliary: Sequence[str] = (),
) -> MediationResult:
    """Mediation (PROCESS model 4) by full-information maximum likelihood.

    Parameters and result as :func:`mediation`, for data with missing values;
    ``auxiliary`` names numeric columns outside the model that enter the EM estimate as
    saturated correlates (Graham 2003; lavaan's ``auxiliary``).

    Notes
    -----
    The mediator and outcome equations with every path free are a saturated model of
    ``(x, mediators, covariates, y)``, so their FIML estimates are the regression slopes of
    the maximum-likelihood (EM) means and covariances of every row with at least one value
    (:mod:`workbench.drivers.moments`; lavaan ``sem(..., missing = "ml", fixed.x = FALSE)``
    gives the same paths). The paths' standard errors are the standard deviations of the
    bootstrap estimates, their intervals and those of the indirect effects percentile
    bootstrap intervals, EM being re-run on every resample (``t`` is then a z statistic and
    ``p`` its normal p-value). The Sobel test uses the bootstrap standard errors.
    """
    meds = _as_list(mediators, "mediators")
    covs = _as_list(covariates, "covariates")
    if not meds:
        raise ValueError("mediators=[] is not valid; give at least one mediator column")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 2:
        raise ValueError(f"bootstrap={bootstrap!r} is not valid; use at least 2 resamples")
    check_ci(ci)
    cols = [x, *meds, *covs, y]
    aux = [a for a in _as_list(auxiliary, "auxiliary") if a not in cols]
    _check_data(data, [*cols, *aux], numeric=[*cols, *aux])
    frame = data[[*cols, *aux]].astype(float)
    _, cov, n = em_moments(frame)
    k = len(meds)
    ix, im, ic, iy = 0, list(range(1, 1 + k)), list(range(1 + k, 1 + k + len(covs))), len(cols) - 1

    def paths(c: np.ndarray) -> np.ndarray:
        """[a_1..a_k, b_1..b_k, c', c] for a covariance matrix or a stack of them."""
        a = np.stack([_slopes(c, [ix, *ic], m)[..., 0] for m in im], axis=-1)
        outcome = _slopes(c, [ix, *im, *ic], iy)
        total = _slopes(c, [ix, *ic], iy)[..., 0]
        return np.concatenate(
            [a, outcome[..., 1 : 1 + k], outcome[..., :1], total[..., None]], axis=-1
        )

    est = paths(cov)
    rng = np.random.default_rng(int(seed))
    _, boot_cov, failed = em_bootstrap(frame, rng, int(bootstrap))
    good_cov = boot_cov[~failed]
    boot_paths = paths(good_cov) if len(good_cov) else np.empty((0, len(est)))
    alpha = 1 - ci
    lo, hi = (
        np.quantile(boot_paths, [alpha / 2, 1 - alpha / 2], axis=0)
        if len(boot_paths) >= 2
        else (np.full(len(est), np.nan),) * 2
    )
    se = boot_paths.std(axis=0, ddof=1) if len(boot_paths) >= 2 else np.full(len(est), np.nan)
    labels = [f"a[{m}]" for m in meds] + [f"b[{m}]" for m in meds] + ["c_prime", "c_total"]
    kinds = ["a"] * k + ["b"] * k + ["c_prime", "c_total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    table = pd.DataFrame(
        {
            "path": kinds,
            "mediator": [*meds, *meds, None, None],
            "estimate": est,
            "se": se,
            "t": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": lo,
            "ci_high": hi,
        },
        index=labels,
    )
    a, b = est[:k], est[k : 2 * k]
    ab = a * b
    boot = np.column_stack([boot_paths[:, :k] * boot_paths[:, k : 2 * k]])
    boot = np.column_stack([boot, boot.sum(axis=1)]) if len(boot) else np.empty((0, k + 1))
    sa, sb = se[:k], se[k : 2 * k]
    sobel_se = np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    sobel_z = ab / sobel_se
    sd_ratio = math.sqrt(cov[ix, ix] / cov[iy, iy])
    boot_ratio = np.sqrt(good_cov[:, ix, ix] / good_cov[:, iy, iy]) if len(good_cov) else []
    boot_std = boot * np.asarray(boot_ratio)[:, None] if len(boot) else boot
    indirect = _indirect_table(meds, ab, boot, boot_std, sobel_se, sobel_z, sd_ratio, ci)
    notes = [
        "Paths and indirect effects by FIML (EM moments of every respondent with an answer); "
        "standard errors and intervals from the bootstrap with EM re-run on each resample."
    ]
    n_unused = len(data) - n
    if n_unused:
        notes.append(f"{n_unused} row(s) with no value at all were left out.")
    if failed.any():
        notes.append(
            f"EM failed or did not converge in {int(failed.sum())} of {bootstrap} bootstrap "
            "resamples; they were left out of the intervals."
        )
    notes += _few_resamples_note(int(bootstrap))
    return MediationResult(
        x=x,
        y=y,
        mediators=tuple(meds),
        covariates=tuple(covs),
        n=n,
        n_dropped=n_unused,
        paths=table,
        indirect=indirect,
        bootstrap=int(bootstrap),
        seed=int(seed),
        n_boot_failed=int(failed.sum()),
        ci=float(ci),
        boot_indirect=boot,
        models={},
        warning_messages=tuple(notes),
    )


# --------------------------------------------------------------------------- moderation


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class ModerationResult(Result):
    """A moderation analysis (PROCESS model 1), as :func:`moderation` returns it.

    Attributes
    ----------
    x, y, moderator : str
        Focal predictor, outcome and moderator (W).
    covariates : tuple of str
    categorical : bool
        Whether W was treated as categorical (slopes per level, no J-N).
    center : bool
        Whether X and (a numeric) W were mean-centred before forming X·W.
    n, n_dropped : int
        Complete rows used and rows dropped (listwise deletion).
    coefficients : pandas.DataFrame
        The OLS model, one row per term (``intercept``, ``x``, ``w`` /
        ``w[level]``, ``x:w`` / ``x:w[level]``, covariates); columns
        ``estimate``, ``se``, ``t``, ``p``, ``ci_low``, ``ci_high``. Term names
        are generic; the columns they stand for are in :attr:`x` etc.
    r2 : float
        R² of the model.
    interaction : dict
        ``{estimate, se, t, p, ci_low, ci_high}`` of the X·W coefficient (numeric W, or
        a categorical W with two levels); the interval is always that of the X·W row of
        :attr:`coefficients` (set on construction, so a result pooled over imputations
        carries the pooled interval). For a
        categorical W with more than two levels ``estimate``/``se``/``t`` and the
        interval are ``None`` and ``F``, ``df1``, ``df2``, ``p`` give the joint test of the
        interaction terms; ``r2_change`` is the R² it adds (both kinds).
    simple_slopes : pandas.DataFrame
        The conditional effect of X: index ``-1 SD``, ``mean``, ``+1 SD`` (or
        the levels of a categorical W); columns ``w`` (the W value in its own
        units; NaN for levels), ``estimate``, ``se``, ``t``, ``p``, ``ci_low``,
        ``ci_high``.
    jn_roots : tuple of float
        Both real roots of the Johnson–Neyman equation in W units (empty when
        none, or categorical W).
    jn_bounds : tuple of float
        The roots inside the observed W range: where the slope of X crosses
        significance.
    jn_significant : str
        Where the slope of X is significant at alpha = 1 - ci: ``"outside"``
        (below the lower and above the upper root), ``"inside"`` (between the
        roots), ``"nowhere"`` (no real roots), ``"not applicable"``
        (categorical W); ``"everywhere"`` cannot occur (the slope is zero, so
        not significant, somewhere) but is kept for completeness, and
        ``"above"``/``"below"`` the single root in the degenerate linear case.
    jn_regions : tuple of (float, float)
        The intervals of the observed W range where the slope is significant.
    w_range : (float, float)
        Observed minimum and maximum of W (NaN for a categorical W).
    plot_data : pandas.DataFrame
        Predicted Y over a grid of X at each W level for an interaction plot:
        columns ``x``, ``level`` (the simple-slope label), ``w``, ``predicted``;
        covariates held at their means. X and W in their own units.
    ci : float
    model : statsmodels RegressionResults
    warning_messages : tuple of str
    """

    x: str
    y: str
    moderator: str
    covariates: tuple[str, ...]
    categorical: bool
    center: bool
    n: int
    n_dropped: int
    coefficients: pd.DataFrame
    r2: float
    interaction: dict[str, Any]
    simple_slopes: pd.DataFrame
    jn_roots: tuple[float, ...]
    jn_bounds: tuple[float, ...]
    jn_significant: str
    jn_regions: tuple[tuple[float, float], ...]
    w_range: tuple[float, float]
    plot_data: pd.DataFrame = dataclasses.field(repr=False)
    ci: float = 0.95
    model: Any = dataclasses.field(default=None, repr=False)
    warning_messages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # the interaction's interval is the X·W row's: keeps it in step with the estimate
        # when the coefficients are replaced (pooling over imputations)
        term = _interaction_term(self.coefficients)
        row = None if term is None else self.coefficients.loc[term]
        object.__setattr__(
            self,
            "interaction",
            {
                **self.interaction,
                "ci_low": None if row is None else float(row["ci_low"]),
                "ci_high": None if row is None else float(row["ci_high"]),
            },
        )

    def to_frame(self) -> pd.DataFrame:
        """The simple slopes of X (one row per W level)."""
        return self.simple_slopes

    def to_dict(self) -> dict[str, Any]:
        """The study's ``moderation`` entry.

        ``{moderator, interaction: {estimate, se, p, ci_low, ci_high, ...}, simple_slopes: {label:
        {estimate, se, p, ci_low, ci_high, w}}, jn_bounds: [...]}`` plus ``x``,
        ``y``, ``categorical``, ``center``, ``n``, ``n_dropped``, ``r2``,
        ``jn_roots``, ``jn_significant``, ``jn_regions``, ``ci``, ``warnings``.
        """
        slopes = {
            str(label): {k: row[k] for k in ("estimate", "se", "p", "ci_low", "ci_high", "t", "w")}
            for label, row in self.simple_slopes.iterrows()
        }
        return jsonable(
            {
                "moderator": self.moderator,
                "x": self.x,
                "y": self.y,
                "interaction": self.interaction,
                "simple_slopes": slopes,
                "jn_bounds": list(self.jn_bounds),
                "jn_roots": list(self.jn_roots),
                "jn_significant": self.jn_significant,
                "jn_regions": [list(r) for r in self.jn_regions],
                "categorical": self.categorical,
                "center": self.center,
                "covariates": list(self.covariates),
                "n": self.n,
                "n_dropped": self.n_dropped,
                "r2": self.r2,
                "ci": self.ci,
                "warnings": self.warnings,
            }
        )

    def summary(self) -> str:
        inter = self.interaction
        if inter.get("estimate") is not None:
            head = (
                f"Interaction {self.x} x {self.moderator}: b = {inter['estimate']:.4f}, "
                f"se = {inter['se']:.4f}, p = {inter['p']:.4g}"
            )
        else:
            head = (
                f"Interaction {self.x} x {self.moderator}: F({inter['df1']}, {inter['df2']}) = "
                f"{inter['F']:.3f}, p = {inter['p']:.4g}"
            )
        lines = [
            f"Moderation of {self.x} -> {self.y} by {self.moderator} (PROCESS model 1, "
            f"n = {self.n}, R2 = {self.r2:.3f})",
            head,
            "",
            "Simple slopes of " + self.x + ":",
            self.simple_slopes.to_string(float_format="%.4f"),
        ]
        if not self.categorical:
            bounds = ", ".join(f"{b:.3f}" for b in self.jn_bounds) or "none in the observed range"
            lines += ["", f"Johnson-Neyman bounds: {bounds}; significant {self.jn_significant}."]
        return with_warnings("\n".join(lines), self.warnings)


def _interaction_term(coefficients: pd.DataFrame) -> str | None:
    """The one X·W term of a moderation model (``x:w``, or ``x:w[level]`` of a two-level
    W); None when a categorical W has several (their test is joint)."""
    terms = [t for t in coefficients.index if t == "x:w" or str(t).startswith("x:w[")]
    return str(terms[0]) if len(terms) == 1 else None


def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _jn(
    b1: float, b3: float, v11: float, v13: float, v33: float, tcrit: float
) -> tuple[tuple[float, ...], float]:
    """Roots (centred W units) of (b1 + b3 w)^2 = t^2 var(b1 + b3 w); and the x^2 coefficient."""
    qa = b3**2 - tcrit**2 * v33
    qb = 2 * (b1 * b3 - tcrit**2 * v13)
    qc = b1**2 - tcrit**2 * v11
    if qa == 0:
        return ((-qc / qb,) if qb != 0 else ()), qa
    disc = qb**2 - 4 * qa * qc
    if disc < 0:
        return (), qa
    r = math.sqrt(disc)
    return tuple(sorted(((-qb - r) / (2 * qa), (-qb + r) / (2 * qa)))), qa


def moderation(
    data: pd.DataFrame,
    x: str,
    y: str,
    moderator: str,
    *,
    covariates: Sequence[str] = (),
    center: bool = True,
    ci: float = 0.95,
    levels: Sequence[Any] | None = None,
) -> ModerationResult:
    """Moderation of the effect of X on Y by W, with simple slopes and Johnson–Neyman.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    x, y : str
        Focal predictor and outcome (numeric).
    moderator : str
        W. Numeric: the slope of X is probed at mean − 1 SD, mean and
        mean + 1 SD of W and the Johnson–Neyman region is computed. Text,
        categorical or boolean (e.g. member tier): W is dummy coded and the
        slope of X is given for each level.
    covariates : sequence of str
        Numeric covariates added to the model.
    center : bool
        Mean-centre X and a numeric W before forming the product (default
        True, PROCESS ``center = 1``). It changes the lower-order
        coefficients, not the interaction or the simple slopes.
    ci : float
        Confidence level (default 0.95); the J-N region uses alpha = 1 - ci.
    levels : sequence, optional
        For a categorical W: the order of the levels, the first being the
        reference (default: the categories' order for a pandas Categorical,
        else sorted).

    Returns
    -------
    ModerationResult

    Raises
    ------
    ValueError
        For a bad ``ci``, ``center`` or ``levels``.
    InputError
        For a missing or non-numeric column or too few complete rows.

    Notes
    -----
    The OLS model is :math:`Y = b_0 + b_1 X + b_2 W + b_3 XW + C\\gamma + e`.
    The conditional effect (simple slope) of X at :math:`W = w` is
    :math:`\\theta(w) = b_1 + b_3 w` (w centred if ``center``) with variance
    :math:`V_{11} + 2 w V_{13} + w^2 V_{33}` from the coefficient covariance
    matrix, tested with :math:`t` on the residual df; this equals refitting with
    W centred at :math:`w`, as PROCESS does. SD is the sample SD (n − 1).

    Johnson–Neyman: the W values where :math:`\\theta(w)^2 = t_{crit}^2
    \\operatorname{Var}\\theta(w)` are the roots of
    :math:`(b_3^2 - t^2 V_{33}) w^2 + 2 (b_1 b_3 - t^2 V_{13}) w +
    (b_1^2 - t^2 V_{11}) = 0`. With a positive leading coefficient the slope is
    significant outside the roots, with a negative one inside them; with no
    real roots it is significant everywhere or nowhere. Only the roots inside
    the observed range of W are reported as bounds.

    A categorical W with levels :math:`0..L-1` gets dummies :math:`D_l` and
    products :math:`X D_l`; the slope at level :math:`l` is
    :math:`b_X + b_{XD_l}`, and the interaction is tested jointly by the
    F test of the R² change (PROCESS ``mcw = 1``).

    References
    ----------
    Hayes, A. F. (2022). *Introduction to Mediation, Moderation, and Conditional
    Process Analysis* (3rd ed.), PROCESS model 1. Johnson, P. O. & Neyman, J.
    (1936). *Statistical Research Memoirs*, 1, 57–93. Bauer, D. J. & Curran,
    P. J. (2005). *Multivariate Behavioral Research*, 40, 373–400. Matches R
    ``lm(y ~ x * w)`` with ``vcov()`` (``interactions::sim_slopes`` /
    ``interactions::johnson_neyman``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from workbench.drivers.mediation import moderation
    >>> rng = np.random.default_rng(3)
    >>> trust, w = rng.normal(size=400), rng.normal(size=400)
    >>> loyalty = 0.3 * trust + 0.1 * w + 0.2 * trust * w + rng.normal(size=400)
    >>> df = pd.DataFrame({"trust": trust, "w": w, "loyalty": loyalty})
    >>> res = moderation(df, "trust", "loyalty", "w")
    >>> round(res.interaction["estimate"], 2), res.jn_significant
    (0.15, 'outside')
    >>> list(res.simple_slopes.index)
    ['-1 SD', 'mean', '+1 SD']
    """
    covs = _as_list(covariates, "covariates")
    check_ci(ci)
    if not isinstance(center, (bool, np.bool_)):
        raise ValueError(f"center={center!r} is not valid; use True or False")
    cols = [x, moderator, y, *covs]
    _check_data(data, cols, numeric=[x, y, *covs])
    frame, n_dropped = _complete(data, cols)
    n = len(frame)
    categorical = _is_categorical(data[moderator])
    xv = frame[x].to_numpy(dtype=float)
    yv = frame[y].to_numpy(dtype=float)
    C = frame[covs].to_numpy(dtype=float).reshape(n, len(covs))
    x_mean = float(xv.mean()) if n else math.nan
    xc = xv - x_mean if center else xv
    tcrit = float(stats.t.ppf(1 - (1 - ci) / 2, max(n - 1, 1)))
    notes = _dropped_note(n_dropped, len(data))
    slope_cols = ["w", "estimate", "se", "t", "p", "ci_low", "ci_high"]

    if categorical:
        wser = frame[moderator]
        observed = list(pd.unique(wser))
        if levels is not None:
            order = list(levels)
            missing = [lv for lv in observed if lv not in order]
            if missing or len(set(order)) != len(order):
                raise ValueError(
                    f"levels={order!r} is not valid; list each level of '{moderator}' once: "
                    + ", ".join(map(repr, sorted(map(str, observed))))
                )
            order = [lv for lv in order if lv in observed]
        elif isinstance(wser.dtype, pd.CategoricalDtype):
            order = [lv for lv in wser.cat.categories if lv in observed]
        else:
            order = sorted(observed, key=str)
        if len(order) < 2:
            raise InputError(
                "The categorical moderator has fewer than two levels in the complete rows.",
                column=moderator,
            )
        D = np.column_stack([(wser == lv).to_numpy(dtype=float) for lv in order[1:]])
        L = D.shape[1]
        X = np.column_stack([np.ones(n), xc, D, xc[:, None] * D, C])
        names = [
            "intercept",
            "x",
            *[f"w[{lv}]" for lv in order[1:]],
            *[f"x:w[{lv}]" for lv in order[1:]],
            *covs,
        ]
        _check_n(n, X.shape[1], "the moderation")
        fit = _ols(yv, X)
        V = np.asarray(fit.cov_params())
        beta = np.asarray(fit.params)
        tcrit = float(stats.t.ppf(1 - (1 - ci) / 2, fit.df_resid))
        slopes = {}
        for j, lv in enumerate(order):
            g = np.zeros(len(beta))
            g[1] = 1.0
            if j > 0:
                g[2 + L + j - 1] = 1.0
            est = float(g @ beta)
            se = float(math.sqrt(g @ V @ g))
            t = est / se
            slopes[str(lv)] = {
                "w": math.nan,
                "estimate": est,
                "se": se,
                "t": t,
                "p": float(2 * stats.t.sf(abs(t), fit.df_resid)),
                "ci_low": est - tcrit * se,
                "ci_high": est + tcrit * se,
            }
        restricted = _ols(yv, np.column_stack([np.ones(n), xc, D, C]))
        ftest = _nested_f(restricted, fit)
        if L == 1:
            row = _coef_row(fit, 2 + L, ci)
            interaction: dict[str, float | None] = {
                k: row[k] for k in ("estimate", "se", "t", "p", "ci_low", "ci_high")
            }
        else:
            interaction = {"estimate": None, "se": None, "t": None, "p": ftest["p"]}
        interaction |= {
            "F": ftest["F"],
            "df1": ftest["df1"],
            "df2": ftest["df2"],
            "r2_change": float(fit.rsquared - restricted.rsquared),
        }
        counts = wser.value_counts()
        small = [str(lv) for lv in order if counts.get(lv, 0) < 20]
        if small:
            notes.append(
                f"Level(s) {', '.join(small)} of '{moderator}' have fewer than 20 complete "
                "rows; their slopes are imprecise."
            )
        roots: tuple[float, ...] = ()
        bounds: tuple[float, ...] = ()
        sig = "not applicable"
        regions: tuple[tuple[float, float], ...] = ()
        w_range = (math.nan, math.nan)
        grid_levels: list[tuple[str, float, int | None]] = [
            (str(lv), math.nan, j) for j, lv in enumerate(order)
        ]
    else:
        wv = frame[moderator].to_numpy(dtype=float)
        w_mean = float(wv.mean())
        w_sd = float(wv.std(ddof=1))
        wc = wv - w_mean if center else wv
        shift = w_mean if center else 0.0
        X = np.column_stack([np.ones(n), xc, wc, xc * wc, C])
        names = ["intercept", "x", "w", "x:w", *covs]
        _check_n(n, X.shape[1], "the moderation")
        fit = _ols(yv, X)
        V = np.asarray(fit.cov_params())
        beta = np.asarray(fit.params)
        tcrit = float(stats.t.ppf(1 - (1 - ci) / 2, fit.df_resid))
        b1, b3 = beta[1], beta[3]
        slopes = {}
        for label, k in (("-1 SD", -1), ("mean", 0), ("+1 SD", 1)):
            w0 = w_mean + k * w_sd
            w = w0 - shift
            est = float(b1 + b3 * w)
            se = float(math.sqrt(V[1, 1] + 2 * w * V[1, 3] + w**2 * V[3, 3]))
            t = est / se
            slopes[label] = {
                "w": w0,
                "estimate": est,
                "se": se,
                "t": t,
                "p": float(2 * stats.t.sf(abs(t), fit.df_resid)),
                "ci_low": est - tcrit * se,
                "ci_high": est + tcrit * se,
            }
        row = _coef_row(fit, 3, ci)
        interaction = {k: row[k] for k in ("estimate", "se", "t", "p", "ci_low", "ci_high")}
        restricted = _ols(yv, np.column_stack([np.ones(n), xc, wc, C]))
        interaction["r2_change"] = float(fit.rsquared - restricted.rsquared)
        w_lo, w_hi = float(wv.min()), float(wv.max())
        w_range = (w_lo, w_hi)
        roots, bounds, sig, regions = _johnson_neyman(b1, b3, V, tcrit, shift, w_lo, w_hi)
        if roots and not bounds:
            notes.append(
                "The Johnson-Neyman bounds lie outside the observed range of "
                f"'{moderator}' ({w_lo:g} to {w_hi:g}); within it the slope of '{x}' is "
                + ("significant throughout." if regions else "never significant.")
            )
        grid_levels = [(label, slopes[label]["w"], None) for label in slopes]

    coefficients = pd.DataFrame(
        [_coef_row(fit, j, ci) for j in range(len(names))], index=pd.Index(names, name="term")
    )
    simple_slopes = pd.DataFrame.from_dict(slopes, orient="index")[slope_cols]
    simple_slopes.index.name = "level"

    # plot data: predicted Y over a grid of X at each W level, covariates at their means
    grid = np.linspace(xv.min(), xv.max(), 25) if n else np.array([])
    gx = grid - x_mean if center else grid
    cmean = C.mean(axis=0) if len(covs) else np.zeros(0)
    pieces = []
    for label, w0, level in grid_levels:
        if categorical:
            d = np.zeros(D.shape[1])
            if level:
                d[level - 1] = 1.0
            rows_x = np.column_stack(
                [np.ones_like(gx), gx, np.tile(d, (len(gx), 1)), gx[:, None] * d]
            )
        else:
            w = w0 - shift
            rows_x = np.column_stack([np.ones_like(gx), gx, np.full_like(gx, w), gx * w])
        rows_x = np.column_stack([rows_x, np.tile(cmean, (len(gx), 1))])
        pieces.append(
            pd.DataFrame({"x": grid, "level": label, "w": w0, "predicted": rows_x @ beta})
        )
    plot_data = pd.concat(pieces, ignore_index=True)

    return ModerationResult(
        x=x,
        y=y,
        moderator=moderator,
        covariates=tuple(covs),
        categorical=categorical,
        center=bool(center),
        n=n,
        n_dropped=n_dropped,
        coefficients=coefficients,
        r2=float(fit.rsquared),
        interaction=interaction,
        simple_slopes=simple_slopes,
        jn_roots=roots,
        jn_bounds=bounds,
        jn_significant=sig,
        jn_regions=regions,
        w_range=w_range,
        plot_data=plot_data,
        ci=float(ci),
        model=fit,
        warning_messages=tuple(notes),
    )


def _johnson_neyman(
    b1: float, b3: float, V: np.ndarray, tcrit: float, shift: float, lo: float, hi: float
) -> tuple[tuple[float, ...], tuple[float, ...], str, tuple[tuple[float, float], ...]]:
    """The Johnson-Neyman answer for the slope ``b1 + b3 w`` of X at moderator value ``w``.

    ``V`` holds the variances and covariance of ``b1`` and ``b3`` at ``[1, 1]``, ``[1, 3]``
    and ``[3, 3]`` (the moderation model's coefficient order); ``shift`` is the centring of W
    and ``[lo, hi]`` its observed range. Returns the roots and the bounds inside the range
    (W units), where the slope is significant (see :class:`ModerationResult`'s
    ``jn_significant``) and the significant intervals of the range.
    """
    raw_roots, qa = _jn(b1, b3, V[1, 1], V[1, 3], V[3, 3], tcrit)
    roots = tuple(float(r + shift) for r in raw_roots)
    bounds = tuple(r for r in roots if lo <= r <= hi)
    if len(roots) == 2:
        sig = "outside" if qa > 0 else "inside"
    elif len(roots) == 1:  # degenerate: b3^2 == t^2 V33 exactly, the equation is linear
        mid = roots[0] + 1.0 - shift
        se_mid = math.sqrt(V[1, 1] + 2 * mid * V[1, 3] + mid**2 * V[3, 3])
        sig = "above" if abs((b1 + b3 * mid) / se_mid) > tcrit else "below"
    else:
        sig = "everywhere" if qa > 0 else "nowhere"
    regions = _jn_regions(roots, sig, lo, hi, b1, b3, V, tcrit, shift)
    return roots, bounds, sig, regions


def _jn_regions(
    roots: tuple[float, ...],
    sig: str,
    lo: float,
    hi: float,
    b1: float,
    b3: float,
    V: np.ndarray,
    tcrit: float,
    shift: float,
) -> tuple[tuple[float, float], ...]:
    """Intervals of [lo, hi] where the slope is significant (checked at their midpoints)."""
    cuts = sorted({lo, hi, *[r for r in roots if lo < r < hi]})
    out: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(cuts):
        w = (a + b) / 2 - shift
        est = b1 + b3 * w
        se = math.sqrt(V[1, 1] + 2 * w * V[1, 3] + w**2 * V[3, 3])
        if abs(est / se) > tcrit:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    if lo == hi:
        w = lo - shift
        se = math.sqrt(V[1, 1] + 2 * w * V[1, 3] + w**2 * V[3, 3])
        if abs((b1 + b3 * w) / se) > tcrit:
            out.append((lo, hi))
    return tuple(out)


def _nested_f(restricted: Any, full: Any) -> dict[str, float]:
    """F test of a restricted OLS model against a full one (R ``anova(restricted, full)``)."""
    df1 = round(float(restricted.df_resid - full.df_resid))
    df2 = float(full.df_resid)
    if df1 <= 0 or df2 <= 0:
        return {"F": math.nan, "df1": df1, "df2": df2, "p": math.nan}
    f = ((restricted.ssr - full.ssr) / df1) / (full.ssr / df2)
    return {
        "F": float(f),
        "df1": df1,
        "df2": int(df2),
        "p": float(stats.f.sf(f, df1, df2)),
    }


# --------------------------------------------------------------------------- segments


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class SegmentComparison(Result):
    """The driver model per segment and tests of equal slopes (:func:`compare_segments`).

    Attributes
    ----------
    outcome, by : str
    drivers, controls : tuple of str
    segments : tuple
        The segment levels that were modelled (in order).
    skipped : dict
        Level -> complete rows, for segments too small to model.
    coefficients : pandas.DataFrame
        One row per (segment, term): columns ``segment``, ``term``
        (``intercept``, drivers, controls), ``estimate``, ``se``, ``t``, ``p``,
        ``ci_low``, ``ci_high``.
    fit : pandas.DataFrame
        One row per modelled segment: ``n``, ``r2``, ``adj_r2``.
    slope_test : dict
        ``{F, df1, df2, p}``: do the driver slopes differ between segments?
        The pooled model with segment dummies against the model with every
        driver × segment interaction (controls keep a common slope).
    driver_tests : pandas.DataFrame
        One row per driver: ``F``, ``df1``, ``df2``, ``p`` of dropping that
        driver's interactions from the full interaction model.
    n, n_dropped : int
        Complete rows in the modelled segments; rows dropped for missing values.
    ci : float
    models : dict
        Segment level -> statsmodels fit, plus ``"pooled"`` and ``"interaction"``.
    warning_messages : tuple of str
    """

    outcome: str
    drivers: tuple[str, ...]
    by: str
    controls: tuple[str, ...]
    segments: tuple[Any, ...]
    skipped: dict[str, int]
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    slope_test: dict[str, float]
    driver_tests: pd.DataFrame
    n: int
    n_dropped: int
    ci: float = 0.95
    models: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Driver coefficients, one row per segment and term (long format)."""
        return self.coefficients

    def slopes(self, stat: str = "estimate") -> pd.DataFrame:
        """A wide table: rows are terms, columns are segments, cells ``stat``.

        ``stat`` is one of ``estimate``, ``se``, ``t``, ``p``, ``ci_low``,
        ``ci_high``.
        """
        valid = ("estimate", "se", "t", "p", "ci_low", "ci_high")
        if stat not in valid:
            raise ValueError(f"stat={stat!r} is not valid; use one of: {', '.join(valid)}")
        wide = self.coefficients.pivot(index="term", columns="segment", values=stat)
        terms = list(dict.fromkeys(self.coefficients["term"]))
        return wide.loc[terms, [str(s) for s in self.segments]]

    def to_dict(self) -> dict[str, Any]:
        """``{outcome, by, drivers, controls, segments: {level: {n, r2, adj_r2,
        coefficients: {term: {estimate, se, p, ci_low, ci_high}}}}, slope_test:
        {F, df1, df2, p}, driver_tests: {driver: {F, df1, df2, p}}, skipped:
        {level: n}, n, n_dropped, warnings}``."""
        segs = {}
        for s in self.segments:
            key = str(s)
            rows = self.coefficients[self.coefficients["segment"] == key]
            segs[key] = {
                **self.fit.loc[key].to_dict(),
                "coefficients": {
                    r["term"]: {k: r[k] for k in ("estimate", "se", "p", "ci_low", "ci_high")}
                    for _, r in rows.iterrows()
                },
            }
        return jsonable(
            {
                "outcome": self.outcome,
                "by": self.by,
                "drivers": list(self.drivers),
                "controls": list(self.controls),
                "segments": segs,
                "slope_test": self.slope_test,
                "driver_tests": self.driver_tests,
                "skipped": self.skipped,
                "n": self.n,
                "n_dropped": self.n_dropped,
                "warnings": self.warnings,
            }
        )

    def summary(self) -> str:
        st = self.slope_test
        lines = [
            f"{self.outcome} on {', '.join(self.drivers)} by {self.by} "
            f"({len(self.segments)} segments, n = {self.n})",
            "",
            self.slopes().to_string(float_format="%.4f"),
            "",
            self.fit.to_string(float_format="%.3f"),
            "",
            f"Do the slopes differ? F({st['df1']}, {st['df2']}) = {st['F']:.3f}, p = {st['p']:.4g}",
            self.driver_tests.to_string(float_format="%.4f"),
        ]
        return with_warnings("\n".join(lines), self.warnings)


def compare_segments(
    data: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    by: str,
    *,
    controls: Sequence[str] = (),
    ci: float = 0.95,
    nested_tests: bool = True,
) -> SegmentComparison:
    """Fit the OLS driver model per segment and test whether the slopes differ.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    outcome : str
        Numeric outcome.
    drivers : sequence of str
        Numeric drivers whose slopes are compared.
    by : str
        The segment column (e.g. member tier, channel, provider); any dtype.
    controls : sequence of str
        Numeric controls in every model; in the pooled tests they keep one
        common slope.
    ci : float
        Confidence level of the coefficient CIs (default 0.95).
    nested_tests : bool
        Fit the restricted models of the F tests (default). ``False`` leaves the tests
        NaN and fits only the segment models and the full interaction model, whose
        coefficients and covariance are what a pooled (D1) test over imputations needs
        (:func:`workbench.drivers.pooling.pool_segments`).

    Returns
    -------
    SegmentComparison

    Raises
    ------
    ValueError
        For a bad ``ci`` or an empty driver list.
    InputError
        For a missing or non-numeric column, or fewer than two segments large
        enough to model.

    Notes
    -----
    Segments with fewer than ``len(drivers) + len(controls) + 10`` complete
    rows are skipped with a warning. Over the :math:`G` remaining segments and
    :math:`k` drivers, the slope test compares (by OLS on the pooled rows)

    .. math::

        \\text{restricted: } Y = \\sum_g \\alpha_g D_g + X\\beta + C\\gamma + e,
        \\qquad
        \\text{full: } Y = \\sum_g \\alpha_g D_g + \\sum_g D_g X\\beta_g + C\\gamma + e,

    with :math:`F = [(RSS_r - RSS_f)/(k(G-1))] / [RSS_f/(n - p_f)]` (a Chow-type
    test that lets intercepts differ). Each driver's test drops only that
    driver's :math:`G-1` interaction terms from the full model. Without
    controls the per-segment coefficients equal the full model's segment
    slopes; the residual variance is pooled only in the tests.

    References
    ----------
    Chow, G. C. (1960). Tests of equality between sets of coefficients in two
    linear regressions. *Econometrica*, 28, 591–605. Matches R
    ``lm(y ~ x1 + x2, subset = segment == g)`` and
    ``anova(lm(y ~ x1 + x2 + segment), lm(y ~ (x1 + x2) * segment))``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from workbench.drivers.mediation import compare_segments
    >>> rng = np.random.default_rng(5)
    >>> tier = rng.choice(["basic", "gold"], size=400)
    >>> trust = rng.normal(size=400)
    >>> loyalty = np.where(tier == "gold", 0.6, 0.2) * trust + rng.normal(size=400)
    >>> df = pd.DataFrame({"tier": tier, "trust": trust, "loyalty": loyalty})
    >>> res = compare_segments(df, "loyalty", ["trust"], "tier")
    >>> res.slopes().round(2)  # doctest: +NORMALIZE_WHITESPACE
    segment    basic  gold
    term
    intercept  -0.03  0.16
    trust       0.12  0.67
    >>> res.slope_test["p"] < 0.01
    True
    """
    drv = _as_list(drivers, "drivers")
    ctl = _as_list(controls, "controls")
    if not drv:
        raise ValueError("drivers=[] is not valid; give at least one driver column")
    check_ci(ci)
    cols = [outcome, *drv, *ctl, by]
    _check_data(data, cols, numeric=[outcome, *drv, *ctl])
    frame, n_dropped = _complete(data, cols)
    notes = _dropped_note(n_dropped, len(data))
    seg_series = frame[by]
    if isinstance(seg_series.dtype, pd.CategoricalDtype):
        order = [lv for lv in seg_series.cat.categories if (seg_series == lv).any()]
    else:
        order = sorted(pd.unique(seg_series), key=lambda v: (str(type(v)), v))
    minimum = len(drv) + len(ctl) + 10
    counts = {lv: int((seg_series == lv).sum()) for lv in order}
    skipped = {str(lv): c for lv, c in counts.items() if c < minimum}
    kept = [lv for lv in order if counts[lv] >= minimum]
    if skipped:
        notes.append(
            f"Segment(s) {', '.join(f'{k} (n = {v})' for k, v in skipped.items())} of '{by}' "
            f"have fewer than {minimum} complete rows (drivers + controls + 10) and were skipped."
        )
    if len(kept) < 2:
        id_like = len(order) > 0.5 * len(frame)
        raise InputError(
            f"Fewer than two segments of '{by}' have at least {minimum} complete rows"
            + (
                f": it has {len(order)} distinct values in {len(frame)} rows, so it looks like "
                "an id rather than a grouping."
                if id_like
                else "."
            ),
            column=by,
            hint="Name a grouping column (e.g. tier, channel) as `by`."
            if id_like
            else "Merge small segments, or use fewer drivers.",
        )
    frame = frame[seg_series.isin(kept)]
    n = len(frame)
    terms = ["intercept", *drv, *ctl]
    coef_rows = []
    fit_rows = {}
    models: dict[str, Any] = {}
    for lv in kept:
        sub = frame[frame[by] == lv]
        fit = _ols(sub[outcome].to_numpy(dtype=float), _design(sub, [*drv, *ctl]))
        models[str(lv)] = fit
        fit_rows[str(lv)] = {
            "n": len(sub),
            "r2": float(fit.rsquared),
            "adj_r2": float(fit.rsquared_adj),
        }
        for j, term in enumerate(terms):
            coef_rows.append({"segment": str(lv), "term": term, **_coef_row(fit, j, ci)})
        if np.linalg.matrix_rank(fit.model.exog) < len(terms):
            notes.append(
                f"Segment {lv}: the drivers are collinear; its coefficients are not unique."
            )
    coefficients = pd.DataFrame(coef_rows)
    fit_table = pd.DataFrame.from_dict(fit_rows, orient="index")
    fit_table.index.name = "segment"

    yv = frame[outcome].to_numpy(dtype=float)
    Xd = frame[drv].to_numpy(dtype=float)
    Cm = frame[ctl].to_numpy(dtype=float).reshape(n, len(ctl))
    D = np.column_stack([(frame[by] == lv).to_numpy(dtype=float) for lv in kept[1:]])
    inter = {v: Xd[:, [j]] * D for j, v in enumerate(drv)}
    base = [np.ones(n), Xd, D, Cm]
    full = _ols(yv, np.column_stack([*base, *inter.values()]))
    models["interaction"] = full
    nan_test = {"F": math.nan, "df1": math.nan, "df2": math.nan, "p": math.nan}
    if nested_tests:
        restricted = _ols(yv, np.column_stack(base))
        models["pooled"] = restricted
        slope_test = _nested_f(restricted, full)
    else:
        slope_test = dict(nan_test)
    drows = {}
    for v in drv:
        if not nested_tests:
            drows[v] = dict(nan_test)
            continue
        reduced = _ols(yv, np.column_stack([*base, *[m for k, m in inter.items() if k != v]]))
        drows[v] = _nested_f(reduced, full)
    driver_tests = pd.DataFrame.from_dict(drows, orient="index")
    driver_tests.index.name = "driver"
    return SegmentComparison(
        outcome=outcome,
        drivers=tuple(drv),
        by=by,
        controls=tuple(ctl),
        segments=tuple(kept),
        skipped=skipped,
        coefficients=coefficients,
        fit=fit_table,
        slope_test=slope_test,
        driver_tests=driver_tests,
        n=n,
        n_dropped=n_dropped,
        ci=float(ci),
        models=models,
        warning_messages=tuple(notes),
    )


# --------------------------------------------------------------------------- IPA


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class IPAResult(Result):
    """An importance–performance analysis (:func:`importance_performance`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver: ``importance``, ``importance_ci_low``,
        ``importance_ci_high`` (NaN when no CIs were given),
        ``performance_mean`` (on the response scale), ``performance``
        (0–100), ``quadrant``.
    importance_cut, performance_cut : float
        The quadrant boundaries (performance on the 0–100 scale).
    scale_min, scale_max : float
        The response scale used for rescaling.
    warning_messages : tuple of str
    """

    table: pd.DataFrame
    importance_cut: float
    performance_cut: float
    scale_min: float
    scale_max: float
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The per-driver table (see :attr:`table`)."""
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """The study's ``ipa`` entry: ``{driver: {importance, performance, quadrant}}``."""
        return jsonable(
            {
                str(d): {
                    "importance": r["importance"],
                    "performance": r["performance"],
                    "quadrant": r["quadrant"],
                }
                for d, r in self.table.iterrows()
            }
        )

    def summary(self) -> str:
        text = (
            f"Importance-performance analysis (cuts: importance {self.importance_cut:.4g}, "
            f"performance {self.performance_cut:.1f} of 100)\n\n"
            + self.table.to_string(float_format="%.3f")
        )
        return with_warnings(text, self.warnings)


def importance_performance(
    importance: pd.Series,
    performance_means: pd.Series,
    *,
    scale_min: float,
    scale_max: float,
    importance_ci: pd.DataFrame | None = None,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> IPAResult:
    """Place each driver in an importance–performance quadrant.

    Parameters
    ----------
    importance : pandas.Series
        Importance per driver (index = driver), e.g. relative weights.
    performance_means : pandas.Series
        Mean rating per driver on the response scale; same drivers.
    scale_min, scale_max : float
        The response scale, e.g. 1 and 7.
    importance_ci : pandas.DataFrame, optional
        Columns ``ci_low`` and ``ci_high`` (index = driver), kept for drawing.
    importance_cut, performance_cut : float, optional
        Quadrant boundaries; default the mean importance and the mean
        rescaled performance (0–100) over the drivers.

    Returns
    -------
    IPAResult

    Raises
    ------
    ValueError
        If ``scale_max <= scale_min``.
    InputError
        If the drivers differ between the inputs, a value is missing, or a mean
        lies outside the scale.

    Notes
    -----
    Performance is rescaled to 0–100 as
    :math:`100 (\\bar{x} - \\text{min}) / (\\text{max} - \\text{min})`. With cut
    points :math:`I^*` and :math:`P^*` (a value equal to a cut counts as high):
    importance ≥ I* and performance < P* is 'fix first'; both high is 'keep
    up'; both low is 'low priority'; importance < I* and performance ≥ P* is
    'possible overkill'.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing*, 41(1), 77–79. The data-centred cut points follow
    Bacon, D. R. (2003). *International Journal of Market Research*, 45(1),
    55–71. No R package is matched; the arithmetic is checked directly.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.drivers.mediation import importance_performance
    >>> imp = pd.Series({"value": 0.20, "trust": 0.15, "belonging": 0.03, "satisfaction": 0.05})
    >>> perf = pd.Series({"value": 4.0, "trust": 5.5, "belonging": 4.2, "satisfaction": 5.8})
    >>> res = importance_performance(imp, perf, scale_min=1, scale_max=7)
    >>> res.table[["performance", "quadrant"]]  # doctest: +NORMALIZE_WHITESPACE
                  performance           quadrant
    driver
    value           50.000000          fix first
    trust           75.000000            keep up
    belonging       53.333333       low priority
    satisfaction    80.000000  possible overkill
    """
    for name, s in (("importance", importance), ("performance_means", performance_means)):
        if not isinstance(s, pd.Series):
            raise InputError(
                f"{name} must be a pandas Series indexed by driver, not {type(s).__name__}."
            )
    try:
        lo, hi = float(scale_min), float(scale_max)
    except (TypeError, ValueError):
        raise ValueError(
            f"scale_min={scale_min!r}, scale_max={scale_max!r} are not valid; use numbers, e.g. 1 and 7"
        ) from None
    if not hi > lo:
        raise ValueError(
            f"scale_min={scale_min!r}, scale_max={scale_max!r} are not valid; "
            "scale_max must be larger than scale_min"
        )
    drivers = list(importance.index)
    if set(drivers) != set(performance_means.index) or len(set(drivers)) != len(drivers):
        raise InputError(
            "importance and performance_means must list the same drivers, each once.",
            hint=f"importance: {sorted(map(str, importance.index))}; "
            f"performance_means: {sorted(map(str, performance_means.index))}.",
        )
    imp = pd.to_numeric(importance, errors="coerce").astype(float)
    perf_raw = pd.to_numeric(performance_means, errors="coerce").astype(float).reindex(drivers)
    for name, s in (("importance", imp), ("performance_means", perf_raw)):
        if s.isna().any():
            bad = s.index[s.isna()][0]
            raise InputError(f"{name} has a missing or non-numeric value.", value=str(bad))
    outside = perf_raw[(perf_raw < lo) | (perf_raw > hi)]
    if len(outside):
        raise InputError(
            f"A performance mean lies outside the scale {lo:g}..{hi:g}.",
            column=str(outside.index[0]),
            value=float(outside.iloc[0]),
            hint="Pass the means on the response scale and the scale's end points.",
        )
    perf = (perf_raw - lo) / (hi - lo) * 100
    table = pd.DataFrame(
        {"importance": imp, "performance_mean": perf_raw, "performance": perf}, index=drivers
    )
    table.index.name = "driver"
    if importance_ci is not None:
        if not isinstance(importance_ci, pd.DataFrame) or not {"ci_low", "ci_high"} <= set(
            importance_ci.columns
        ):
            raise InputError(
                "importance_ci must be a DataFrame with columns 'ci_low' and 'ci_high', "
                "indexed by driver."
            )
        missing = [d for d in drivers if d not in importance_ci.index]
        if missing:
            raise InputError("importance_ci lacks a driver.", value=str(missing[0]))
        table["importance_ci_low"] = importance_ci["ci_low"].reindex(drivers).astype(float)
        table["importance_ci_high"] = importance_ci["ci_high"].reindex(drivers).astype(float)
    else:
        table["importance_ci_low"] = math.nan
        table["importance_ci_high"] = math.nan
    icut = float(imp.mean()) if importance_cut is None else float(importance_cut)
    pcut = float(perf.mean()) if performance_cut is None else float(performance_cut)
    high_i = table["importance"] >= icut
    high_p = table["performance"] >= pcut
    table["quadrant"] = np.select(
        [high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
        ["fix first", "keep up", "low priority"],
        default="possible overkill",
    )
    table = table[
        [
            "importance",
            "importance_ci_low",
            "importance_ci_high",
            "performance_mean",
            "performance",
            "quadrant",
        ]
    ]
    notes = []
    if importance_ci is not None:
        straddle = table.index[
            (table["importance_ci_low"] < icut) & (table["importance_ci_high"] > icut)
        ]
        if len(straddle):
            notes.append(
                f"The importance CI of {', '.join(map(str, straddle))} straddles the importance "
                "cut, so the quadrant is uncertain."
            )
    if len(drivers) < 3 and (importance_cut is None or performance_cut is None):
        notes.append("With fewer than three drivers, mean-based cut points are not meaningful.")
    return IPAResult(
        table=table,
        importance_cut=icut,
        performance_cut=pcut,
        scale_min=lo,
        scale_max=hi,
        warning_messages=tuple(notes),
    )
