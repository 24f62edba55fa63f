"""Bootstrap inference for PLS path models, and a generic row-bootstrap engine.

:func:`bootstrap_pls` resamples respondents with replacement and re-estimates the model on each
resample, giving for every estimate its bootstrap mean, standard error, t value, p value,
percentile interval and BCa interval (Efron 1987): path coefficients, outer weights and
loadings, R² and adjusted R², HTMT, every specific indirect effect ``X->M1->...->Y``, total
indirect and total effects, and optionally f². It is R seminr's ``bootstrap_model`` (and
SmartPLS's bootstrapping) with BCa intervals, sign correction and a fixed seed per block of
resamples, so the result is the same whatever the number of workers.

Speed: a resample's fit needs only the items' correlation matrix, and the correlation matrix of
a resample is a function of its row counts (:mod:`workbench.resampling`). Each block of
resamples becomes a stack of correlation matrices, and the PLS iteration runs on the whole stack
at once (batched matrix products, one ``solve`` per endogenous construct and step for the whole
block). Blocks run in parallel threads with single-threaded BLAS. 5,000 resamples of the
extended corporate-reputation model (8 constructs, 31 items, 344 respondents) take well under a
second on two cores (``bench/pls.py``).

The generic engine: :func:`bootstrap_rows`
-------------------------------------------
Procedures built on PLS (two-stage interactions, higher-order constructs, ...) bootstrap
themselves through :func:`bootstrap_rows`, and get the same draws, tables, failure accounting
and intervals as :func:`bootstrap_pls`:

``fit(rows) -> numpy.ndarray``
    Called with a 1-d integer array of row positions ``0 .. n-1`` (a resample: length ``n``,
    with repeats; the jackknife: length ``n - 1``; the full sample: ``numpy.arange(n)``), it
    returns the 1-d float vector of estimates, always in the order of ``labels``. It must
    depend on the rows only (no other randomness). A resample *fails* when ``fit`` raises
    :class:`ResampleFailure` (its message is the reason counted),
    :class:`numpy.linalg.LinAlgError` ("singular matrix") or :class:`FloatingPointError`, or
    returns a vector with
    a NaN or infinity ("non-finite estimate"). Failed resamples are counted by reason, dropped
    and reported in the result's warnings, never silently.
``fit_block(rows) -> numpy.ndarray`` (optional)
    The vectorised form: ``rows`` is a ``(b, n)`` array of ``b`` resamples, the result a
    ``(b, k)`` array, with a row of NaN for each failed resample. When given it is used for
    the bootstrap resamples (``fit`` still gives the full-sample estimate and the jackknife).

Resample ``r`` (0-based) lies in block ``r // block_size``; block ``k`` draws its resamples,
one after another, as ``rng.integers(0, n, size=n)`` from
``numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(k,)))`` (the ``k``-th
child of ``SeedSequence(seed)``). Blocks run in any order on any worker, so the draws and every
number derived from them depend on ``seed`` and ``block_size`` only, never on ``n_jobs``.
Workers are threads: ``fit`` gains from them when its work is in numpy (which releases the
interpreter lock); BLAS is limited to one thread while the bootstrap runs.

Example (the bootstrap of a correlation)::

    def fit(rows):
        return np.array([np.corrcoef(x[rows], y[rows])[0, 1]])

    boot = bootstrap_rows(fit, len(x), ["r"], n_boot=2000, seed=1)
    boot.to_frame()  # estimate, boot_mean, boot_se, t, p, ci_low, ci_high, bca_low, ...
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.pls.data import Missing, PLSData, _prepared
from workbench.pls.estimation import (
    Estimator,
    InnerWeighting,
    PLSPlan,
    PLSResult,
    estimate_pls,
)
from workbench.pls.specification import PLSModel, specify_model
from workbench.resampling import bootstrap_cross_products, covariances_from_cross_products
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = [
    "BLOCK_SIZE",
    "SIGN_CHANGES",
    "PLSBootstrap",
    "ResampleFailure",
    "RowBootstrap",
    "SignChange",
    "bca_interval",
    "block_generator",
    "bootstrap_pls",
    "bootstrap_rows",
    "summarize_draws",
]

SignChange = Literal["none", "construct"]
SIGN_CHANGES = ("none", "construct")
#: resamples per block: the unit of seeding and of parallel work
BLOCK_SIZE = 250
#: columns of the bootstrap tables, in order
TABLE_COLUMNS = (
    "estimate",
    "boot_mean",
    "boot_se",
    "t",
    "p",
    "ci_low",
    "ci_high",
    "bca_low",
    "bca_high",
    "z0",
    "acceleration",
)


class ResampleFailure(Exception):
    """Raised by a ``fit`` callable of :func:`bootstrap_rows` when a resample cannot be
    estimated; the message is the reason the result counts (e.g. "did not converge")."""


# ----------------------------------------------------------------------------
# Seeds, blocks, workers
# ----------------------------------------------------------------------------


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of resample block ``block``: child ``block`` of ``SeedSequence(seed)``.

    >>> a = block_generator(1, 3).integers(0, 10, 5)
    >>> b = np.random.default_rng(np.random.SeedSequence(1).spawn(4)[3]).integers(0, 10, 5)
    >>> bool((a == b).all())
    True
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


def _draw_rows(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """``size`` resamples of ``n`` rows, drawn one after another as ``rng.integers(0, n, n)``
    (the order :func:`workbench.resampling.bootstrap_cross_products` draws them in)."""
    rows = np.empty((size, n), dtype=np.intp)
    for r in range(size):
        rows[r] = rng.integers(0, n, size=n)
    return rows


def _workers(n_jobs: int | None) -> int:
    if n_jobs is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not on Linux
            return max(1, os.cpu_count() or 1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs < 1:
        raise ValueError(f"n_jobs={n_jobs!r} is not valid: use a positive whole number or None")
    return int(n_jobs)


def _blocks(total: int, size: int) -> list[tuple[int, int, int]]:
    """``(block, start, stop)`` of consecutive blocks of ``size`` covering ``range(total)``."""
    return [(k, lo, min(total, lo + size)) for k, lo in enumerate(range(0, total, size))]


def _run(tasks: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """Results of the tasks in task order, on ``workers`` threads (in this thread if 1)."""
    if workers <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        return list(pool.map(lambda task: task(), tasks))


def _check_common(n_boot: int, ci: float, block_size: int) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ValueError(f"n_boot={n_boot!r} is not valid: use a whole number >= 2, e.g. 5000")
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise ValueError(f"ci={ci!r} is not valid: use a confidence level in (0, 1), e.g. 0.95")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size={block_size!r} is not valid: use a positive whole number")


# ----------------------------------------------------------------------------
# Summaries of draws: SE, t, p, percentile and BCa intervals
# ----------------------------------------------------------------------------


def _quantile_sorted(sorted_draws: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Column ``j``'s ``q[j]`` quantile of sorted draws, linear interpolation between order
    statistics (numpy's default, R's ``quantile(type = 7)``); NaN where ``q`` is NaN."""
    b = sorted_draws.shape[0]
    q = np.asarray(q, dtype=float)
    out = np.full(q.shape, np.nan)
    ok = np.isfinite(q)
    if b == 0 or not ok.any():
        return out
    h = (b - 1) * np.clip(q[ok], 0.0, 1.0)
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, b - 1)
    cols = np.flatnonzero(ok)
    x_lo, x_hi = sorted_draws[lo, cols], sorted_draws[hi, cols]
    out[ok] = x_lo + (h - lo) * (x_hi - x_lo)
    return out


def _acceleration(jackknife: np.ndarray) -> np.ndarray:
    """Efron's (1987) acceleration from jackknife estimates ``(n, k)``:
    ``a = sum d^3 / (6 (sum d^2)^(3/2))`` with ``d = mean(theta_(.)) - theta_(i)``."""
    d = jackknife.mean(axis=0) - jackknife
    s2 = (d**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s2 > 0, (d**3).sum(axis=0) / (6.0 * s2**1.5), 0.0)


def bca_interval(
    draws: np.ndarray,
    estimate: np.ndarray,
    jackknife: np.ndarray,
    ci: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated (BCa) bootstrap interval of each column.

    Parameters
    ----------
    draws : numpy.ndarray
        ``(B, k)`` bootstrap estimates (finite).
    estimate : numpy.ndarray
        ``(k,)`` full-sample estimates.
    jackknife : numpy.ndarray
        ``(n, k)`` leave-one-out estimates, for the acceleration.
    ci : float
        Two-sided confidence level.

    Returns
    -------
    low, high, z0, acceleration : numpy.ndarray
        ``(k,)`` each. NaN limits where the bias correction is infinite (every draw on one side
        of the estimate).

    Notes
    -----
    Efron (1987); Efron & Tibshirani (1993), eq. 14.10 and 14.15:

    .. math::

        \\hat z_0 = \\Phi^{-1}\\Big(\\frac{\\#\\{\\theta^*_b < \\hat\\theta\\} +
        \\#\\{\\theta^*_b \\le \\hat\\theta\\}}{2B}\\Big),\\quad
        \\hat a = \\frac{\\sum_i d_i^3}{6\\,(\\sum_i d_i^2)^{3/2}},\\ d_i =
        \\bar\\theta_{(\\cdot)} - \\hat\\theta_{(i)},

        \\alpha_{1,2} = \\Phi\\Big(\\hat z_0 + \\frac{\\hat z_0 + z_{\\alpha/2,\\,1-\\alpha/2}}
        {1 - \\hat a(\\hat z_0 + z_{\\alpha/2,\\,1-\\alpha/2})}\\Big)

    and the limits are the :math:`\\alpha_1` and :math:`\\alpha_2` quantiles of the draws
    (linear interpolation, R's ``quantile(type = 7)``). Ties count one half, as in
    ``scipy.stats.bootstrap(method="BCa")``, which this function reproduces given the same
    draws. With :math:`\\hat z_0 = \\hat a = 0` the BCa interval is the percentile interval.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *JASA*, 82(397), 171-185.
    Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall.

    Examples
    --------
    Draws symmetric around the estimate and a symmetric jackknife: BCa = percentile.

    >>> draws = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> low, high, z0, a = bca_interval(draws, np.array([0.0]), np.array([[-1.0], [1.0]]), 0.5)
    >>> low.tolist(), high.tolist(), np.quantile(draws, [0.25, 0.75]).tolist()
    ([-1.25], [1.25], [-1.25, 1.25])
    """
    draws = np.asarray(draws, dtype=float)
    estimate = np.asarray(estimate, dtype=float)
    below = (draws < estimate).sum(axis=0) + (draws <= estimate).sum(axis=0)
    with np.errstate(divide="ignore"):
        z0 = special.ndtri(below / (2.0 * draws.shape[0]))
    a = _acceleration(np.asarray(jackknife, dtype=float))
    alpha = (1.0 - ci) / 2.0
    limits = []
    for z in (special.ndtri(alpha), special.ndtri(1.0 - alpha)):
        with np.errstate(invalid="ignore", divide="ignore"):
            num = z0 + z
            q = special.ndtr(z0 + num / (1.0 - a * num))
        limits.append(
            _quantile_sorted(np.sort(draws, axis=0), np.where(np.isfinite(z0), q, np.nan))
        )
    return limits[0], limits[1], z0, a


def summarize_draws(
    estimate: np.ndarray,
    draws: np.ndarray,
    *,
    ci: float = 0.95,
    jackknife: np.ndarray | None = None,
    index: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Bootstrap statistics of each column of ``draws``.

    Parameters
    ----------
    estimate : numpy.ndarray
        ``(k,)`` full-sample estimates.
    draws : numpy.ndarray
        ``(B, k)`` estimates of the successful resamples.
    ci : float
        Two-sided confidence level of the intervals.
    jackknife : numpy.ndarray, optional
        ``(n, k)`` leave-one-out estimates; without them the BCa columns are NaN.
    index : sequence of str, optional
        Row labels.

    Returns
    -------
    pandas.DataFrame
        One row per estimate: ``estimate``; ``boot_mean``; ``boot_se`` (SD of the draws,
        divisor ``B - 1``, seminr's "Bootstrap SD"); ``t = estimate / boot_se`` (seminr's
        "T Stat."); ``p``, two-sided, from Student's t with ``B - 1`` degrees of freedom,
        ``2 P(T_{B-1} > |t|)`` (for ``B >= 1000`` this is the normal p to three decimals);
        ``ci_low``, ``ci_high``: the percentile interval, quantiles ``(1 - ci)/2`` and
        ``(1 + ci)/2`` of the draws by linear interpolation (R's ``quantile(type = 7)``, as
        seminr); ``bca_low``, ``bca_high``, ``z0``, ``acceleration``: see
        :func:`bca_interval`.
    """
    estimate = np.asarray(estimate, dtype=float)
    draws = np.asarray(draws, dtype=float).reshape(-1, estimate.size)
    b = draws.shape[0]
    k = estimate.size
    nan = np.full(k, np.nan)
    if b >= 2:
        mean = draws.mean(axis=0)
        se = draws.std(axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, estimate / se, np.nan)
        p = 2.0 * stats.t.sf(np.abs(t), df=b - 1)
        alpha = (1.0 - ci) / 2.0
        sorted_draws = np.sort(draws, axis=0)
        low = _quantile_sorted(sorted_draws, np.full(k, alpha))
        high = _quantile_sorted(sorted_draws, np.full(k, 1.0 - alpha))
    else:
        mean = draws.mean(axis=0) if b else nan
        se = t = p = low = high = nan
    if jackknife is not None and b >= 2 and len(jackknife) >= 2:
        bca_low, bca_high, z0, a = bca_interval(draws, estimate, jackknife, ci)
    else:
        bca_low = bca_high = z0 = a = nan
    table = pd.DataFrame(
        dict(
            zip(
                TABLE_COLUMNS,
                (estimate, mean, se, t, p, low, high, bca_low, bca_high, z0, a),
                strict=True,
            )
        ),
        index=list(index) if index is not None else None,
    )
    return table


# ----------------------------------------------------------------------------
# The generic engine
# ----------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ResampleFailure):
        return str(exc) or "failed"
    if isinstance(exc, np.linalg.LinAlgError):
        return "singular matrix"
    return "floating-point error"


def _call_fit(
    fit: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, k: int
) -> tuple[np.ndarray, str]:
    try:
        value = np.asarray(fit(rows), dtype=float).reshape(-1)
    except (ResampleFailure, np.linalg.LinAlgError, FloatingPointError) as exc:
        return np.full(k, np.nan), _reason(exc)
    if value.size != k:
        raise ValueError(f"fit returned {value.size} values for {k} labels")
    if not np.isfinite(value).all():
        return value, "non-finite estimate"
    return value, ""


@dataclasses.dataclass(frozen=True)
class RowBootstrap(Result):
    """A row bootstrap from :func:`bootstrap_rows`.

    Attributes
    ----------
    labels : tuple of str
        What each column of ``draws`` is.
    estimate : numpy.ndarray
        ``(k,)`` full-sample estimates (``fit(arange(n))``).
    draws : numpy.ndarray
        ``(B_ok, k)`` estimates of the successful resamples, in resample order.
    resamples : numpy.ndarray
        ``(B_ok,)`` the 0-based numbers of the successful resamples.
    jackknife : numpy.ndarray or None
        ``(n_ok, k)`` leave-one-out estimates (BCa acceleration), or None without BCa.
    table : pandas.DataFrame
        :func:`summarize_draws` of the draws, indexed by label.
    n : int
        Rows resampled.
    n_boot : int
        Resamples drawn.
    failures : dict
        ``{reason: count}`` of the failed resamples (dropped).
    jackknife_failures : dict
        ``{reason: count}`` of the leave-one-out fits that failed (dropped from the
        acceleration).
    seed, block_size, n_jobs : int
        How the resamples were drawn and run (the draws depend on ``seed`` and ``block_size``
        only).
    ci : float
        Confidence level of the intervals.
    seconds : float
        Wall time of the resampling (full-sample fit excluded).
    warning_messages : tuple of str
        Failed resamples, too few resamples, BCa limits that do not exist.
    """

    labels: tuple[str, ...]
    estimate: np.ndarray = dataclasses.field(repr=False)
    draws: np.ndarray = dataclasses.field(repr=False)
    resamples: np.ndarray = dataclasses.field(repr=False)
    jackknife: np.ndarray | None = dataclasses.field(repr=False)
    table: pd.DataFrame = dataclasses.field(repr=False)
    n: int
    n_boot: int
    failures: dict[str, int]
    jackknife_failures: dict[str, int]
    seed: int
    block_size: int
    n_jobs: int
    ci: float
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()

    @property
    def n_failed(self) -> int:
        """Resamples dropped."""
        return sum(self.failures.values())

    def to_frame(self) -> pd.DataFrame:
        """The statistics table (see :func:`summarize_draws`)."""
        return self.table.copy()

    def draws_frame(self) -> pd.DataFrame:
        """The draws with labelled columns, indexed by resample number."""
        return pd.DataFrame(self.draws, index=self.resamples, columns=list(self.labels))

    def summary(self) -> str:
        head = (
            f"Bootstrap: {self.n_boot} resamples of {self.n} rows (seed {self.seed}), "
            f"{self.n_boot - self.n_failed} used, {self.n_failed} failed; {self.ci:.0%} intervals"
        )
        body = self.table.to_string(float_format=lambda v: f"{v:.4f}")
        return with_warnings(f"{head}\n{body}", self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "estimates": self.table.to_dict(orient="index"),
                "n_boot": self.n_boot,
                "n_failed": self.n_failed,
                "failures": self.failures,
                "seed": self.seed,
                "ci": self.ci,
                "warnings": self.warnings,
            }
        )


def _resample_blocks(
    block_fn: Callable[[int, int], tuple[np.ndarray, list[str]]],
    n_boot: int,
    block_size: int,
    workers: int,
) -> tuple[np.ndarray, list[str]]:
    """Run ``block_fn(block, size)`` for every block; values and failure reasons in order."""
    tasks = [functools.partial(block_fn, k, hi - lo) for k, lo, hi in _blocks(n_boot, block_size)]
    parts = _run(tasks, workers)
    values = np.concatenate([v for v, _ in parts], axis=0)
    reasons = [r for _, rs in parts for r in rs]
    return values, reasons


def _count(reasons: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in reasons:
        if r:
            out[r] = out.get(r, 0) + 1
    return out


def _failure_notes(
    n_boot: int, failures: Mapping[str, int], jack_failures: Mapping[str, int], n: int
) -> list[str]:
    notes = []
    failed = sum(failures.values())
    if failed:
        why = ", ".join(f"{c} {r}" for r, c in failures.items())
        notes.append(
            f"{failed} of {n_boot} bootstrap resamples failed ({why}) and were dropped: "
            f"standard errors and intervals use the {n_boot - failed} others."
        )
    used = n_boot - failed
    if 2 <= used < 1000:
        notes.append(
            f"Only {used} resamples were used: interval limits are unstable; use at least "
            "1,000 (5,000, the default, for publication: Hair et al. 2022)."
        )
    if used < 2:
        notes.append("Fewer than two resamples succeeded: no standard errors or intervals.")
    jfailed = sum(jack_failures.values())
    if jfailed:
        notes.append(
            f"{jfailed} of {n} leave-one-out fits for the BCa acceleration failed and were "
            "left out of it."
        )
    return notes


def bootstrap_rows(
    fit: Callable[[np.ndarray], np.ndarray],
    n: int,
    labels: Sequence[str],
    *,
    n_boot: int = 5000,
    seed: int = 2026,
    ci: float = 0.95,
    bca: bool = True,
    n_jobs: int | None = None,
    block_size: int = BLOCK_SIZE,
    fit_block: Callable[[np.ndarray], np.ndarray] | None = None,
) -> RowBootstrap:
    """Nonparametric bootstrap of any estimator of ``n`` rows (the generic engine).

    Parameters
    ----------
    fit : callable
        ``fit(rows) -> vector``: the estimates from the rows at positions ``rows`` (see the
        module docstring for the contract and how a resample fails).
    n : int
        Rows in the data.
    labels : sequence of str
        Names of the estimates, in the order ``fit`` returns them.
    n_boot : int
        Resamples (default 5,000 as SmartPLS and Hair et al. 2022 recommend).
    seed : int
        Seed of the resample blocks (see the module docstring).
    ci : float
        Confidence level of the percentile and BCa intervals.
    bca : bool
        Compute the BCa intervals; costs ``n`` more fits (the jackknife).
    n_jobs : int, optional
        Worker threads (default: the cores this process may use).
    block_size : int
        Resamples per block, the unit of seeding and of parallel work.
    fit_block : callable, optional
        Vectorised ``fit`` over a ``(b, n)`` array of resamples (module docstring).

    Returns
    -------
    RowBootstrap

    Examples
    --------
    The bootstrap SE of a mean is close to ``s / sqrt(n)``:

    >>> x = np.random.default_rng(0).normal(size=200)
    >>> boot = bootstrap_rows(lambda rows: x[rows].mean(keepdims=True), len(x), ["mean"],
    ...                       n_boot=4000, seed=1)
    >>> round(float(boot.table.loc["mean", "boot_se"] / (x.std(ddof=1) / 200**0.5)), 1)
    1.0
    """
    _check_common(n_boot, ci, block_size)
    labels = tuple(str(label) for label in labels)
    k = len(labels)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n={n!r} is not valid: a bootstrap needs at least 2 rows")
    n = int(n)
    estimate, why = _call_fit(fit, np.arange(n), k)
    if why:
        raise InputError(
            f"The estimates cannot be computed on the full sample ({why}), so they cannot be "
            "bootstrapped."
        )
    workers = _workers(n_jobs)
    start = time.perf_counter()

    def block(k_block: int, size: int) -> tuple[np.ndarray, list[str]]:
        rows = _draw_rows(block_generator(seed, k_block), n, size)
        if fit_block is not None:
            values = np.asarray(fit_block(rows), dtype=float).reshape(size, k)
            reasons = ["" if np.isfinite(v).all() else "non-finite estimate" for v in values]
            return values, reasons
        out = [_call_fit(fit, r, k) for r in rows]
        return np.array([v for v, _ in out]).reshape(size, k), [w for _, w in out]

    with single_threaded_blas():
        values, reasons = _resample_blocks(block, n_boot, block_size, workers)
        jack = None
        jack_reasons: list[str] = []
        if bca:
            everyone = np.arange(n)

            def jack_block(lo: int, hi: int) -> list[tuple[np.ndarray, str]]:
                return [_call_fit(fit, np.delete(everyone, i), k) for i in range(lo, hi)]

            parts = _run(
                [functools.partial(jack_block, lo, hi) for _, lo, hi in _blocks(n, block_size)],
                workers,
            )
            flat = [item for part in parts for item in part]
            jack_reasons = [w for _, w in flat]
            jack = np.array([v for v, w in flat if not w]).reshape(-1, k)
    seconds = time.perf_counter() - start
    ok = np.array([not r for r in reasons], dtype=bool)
    failures, jack_failures = _count(reasons), _count(jack_reasons)
    draws = values[ok]
    table = summarize_draws(estimate, draws, ci=ci, jackknife=jack, index=labels)
    notes = _failure_notes(n_boot, failures, jack_failures, n)
    if bca and int(table["bca_low"].isna().sum()):
        notes.append(_bca_note(table))
    return RowBootstrap(
        labels=labels,
        estimate=estimate,
        draws=draws,
        resamples=np.flatnonzero(ok),
        jackknife=jack,
        table=table,
        n=n,
        n_boot=int(n_boot),
        failures=failures,
        jackknife_failures=jack_failures,
        seed=seed,
        block_size=block_size,
        n_jobs=workers,
        ci=ci,
        seconds=seconds,
        warning_messages=tuple(notes),
    )


def _bca_note(table: pd.DataFrame) -> str:
    missing = table.index[table["bca_low"].isna() & table["boot_se"].notna()].tolist()
    shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
    return (
        f"No BCa interval for {len(missing)} estimate(s) ({shown}): every draw lies on one side "
        "of the estimate (infinite bias correction) or the draws are constant; use the "
        "percentile interval there."
    )


# ----------------------------------------------------------------------------
# PLS on a stack of correlation matrices
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _StackFit:
    """The arrays of a batch of PLS fits (``B`` resamples); see :class:`PLSCore`."""

    weights: np.ndarray  # (B, p)
    loadings: np.ndarray  # (B, p)
    path_matrix: np.ndarray  # (B, m, m)
    r2: np.ndarray  # (B, m)
    iterations: np.ndarray  # (B,)
    converged: np.ndarray  # (B,)


def _sub(A: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The ``idx x idx`` submatrix of every matrix of a stack."""
    return A[:, idx[:, None], idx[None, :]]


def _inner_weights_stack(R: np.ndarray, plan: PLSPlan, scheme: str) -> np.ndarray:
    if scheme == "centroid":
        return np.sign(R) * plan.neighbours
    E = R * plan.neighbours
    if scheme == "path":
        for j in plan.endogenous:
            P = plan.predecessors[j]
            E[:, P, j] = np.linalg.solve(_sub(R, P), R[:, P, j, None])[..., 0]
    return E


def _scale(W: np.ndarray, SW: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W`` and ``S W`` scaled so every composite has unit variance (``w' S w = 1``)."""
    d = np.sqrt(np.einsum("bpj,bpj->bj", W, SW))[:, None, :]
    return W / d, SW / d


def _fit_stack(
    S: np.ndarray,
    plan: PLSPlan,
    *,
    estimator: str,
    inner_weighting: str,
    max_iter: int,
    tol: float,
) -> _StackFit:
    """:func:`~workbench.pls.fit_correlation` on each matrix of a ``(B, p, p)`` stack at once.

    The same iteration, step for step: every resample stops at its own iteration (it is frozen
    once its weight change falls below ``tol``); a resample that reaches ``max_iter`` is
    returned with ``converged = False``. Raises :class:`numpy.linalg.LinAlgError` when a matrix
    of any resample is singular (the caller then fits the block one resample at a time).
    """
    B = S.shape[0]
    p, m = plan.membership.shape
    membership = plan.membership
    b_blocks = [
        (int(b), plan.blocks[b], np.linalg.inv(_sub(S, plan.blocks[b])))
        for b in np.flatnonzero(plan.mode_b)
    ]
    W = np.broadcast_to(membership, (B, p, m)).copy()
    SW_all = S @ W  # S W of the current weights, carried from one step to the next
    iterations = np.zeros(B, dtype=np.intp)
    converged = np.zeros(B, dtype=bool)
    active = np.arange(B)
    for _ in range(max_iter):
        if active.size == 0:
            break
        Sa = S[active]
        last = W[active]
        Wa, SW = _scale(last, SW_all[active])
        R = np.swapaxes(Wa, 1, 2) @ SW
        E = _inner_weights_stack(R, plan, inner_weighting)
        C = SW @ E  # = S (W E): covariances of the items with the inner proxies
        Wn = C * membership
        for b, idx, inverse in b_blocks:
            Wn[:, idx, b] = np.einsum("bij,bj->bi", inverse[active], C[:, idx, b])
        Wn, SWn = _scale(Wn, Sa @ Wn)
        change = np.abs(Wn - last).sum(axis=(1, 2))
        W[active] = Wn
        SW_all[active] = SWn
        iterations[active] += 1
        done = change < tol
        converged[active[done]] = True
        active = active[~done & np.isfinite(change)]
    SW = S @ W
    score_corr = np.swapaxes(W, 1, 2) @ SW
    rows = np.arange(p)
    weights = W[:, rows, plan.item_construct]
    loadings = SW[:, rows, plan.item_construct].copy()
    construct_corr = score_corr
    if estimator == "plsc" and plan.reflective.any():
        rho = np.ones((B, m))
        for j, idx in enumerate(plan.blocks):
            if plan.reflective[j] and len(idx) > 1:
                w2 = weights[:, idx] ** 2
                ww = w2.sum(axis=1)
                numerator = score_corr[:, j, j] - ww  # w'(S - diag S)w, diag S = 1
                rho[:, j] = ww * ww * numerator / (ww * ww - (w2 * w2).sum(axis=1))
        with np.errstate(invalid="ignore"):
            q = np.sqrt(np.where(plan.reflective, rho, 1.0))
            construct_corr = score_corr / (q[:, :, None] * q[:, None, :])
            construct_corr[:, np.arange(m), np.arange(m)] = 1.0
            for j, idx in enumerate(plan.blocks):
                if plan.reflective[j] and len(idx) > 1:
                    w = weights[:, idx]
                    scale = np.sqrt(rho[:, j]) / (w * w).sum(axis=1)
                    loadings[:, idx] = np.where(rho[:, j, None] >= 0, w * scale[:, None], np.nan)
    path_matrix = np.zeros((B, m, m))
    r2 = np.full((B, m), np.nan)
    for j in plan.endogenous:
        P = plan.predecessors[j]
        rhs = construct_corr[:, P, j]
        beta = np.linalg.solve(_sub(construct_corr, P), rhs[..., None])[..., 0]
        path_matrix[:, P, j] = beta
        r2[:, j] = (beta * rhs).sum(axis=1)
    return _StackFit(weights, loadings, path_matrix, r2, iterations, converged)


#: Cells of the item-pair products formed at once per resample block. Every worker forms its
#: own, so the resampling default (2**27 cells, 1 GB) put a 200,000-respondent bootstrap at
#: 4.7 GB; 2**23 (64 MB) keeps it near 1 GB for about twice the arithmetic. Models below
#: ~17,000 respondents x 31 items form them once either way (the draws are the same).
_PRODUCTS_ELEMS = 2**23


def _correlations(sums: np.ndarray, cross: np.ndarray, n: int) -> np.ndarray:
    """Correlation matrices of resamples from their sums and cross-products."""
    cov = covariances_from_cross_products(sums, cross, n)
    var = np.einsum("bii->bi", cov)
    # the items are standardized on the full sample: a variance this small is a constant
    # item (rounding can even make it negative), whose correlations do not exist
    sd = np.sqrt(np.where(var > 1e-12, var, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        S = cov / (sd[:, :, None] * sd[:, None, :])
    q = S.shape[1]
    S[:, np.arange(q), np.arange(q)] = 1.0
    return S


# ----------------------------------------------------------------------------
# The PLS statistics of one fit
# ----------------------------------------------------------------------------


def _chains(plan: PLSPlan) -> list[tuple[int, ...]]:
    """Every directed path with at least one mediator (``X -> M1 -> ... -> Y``), by source."""
    successors = [np.flatnonzero(plan.adjacency[i]).tolist() for i in range(len(plan.constructs))]
    out: list[tuple[int, ...]] = []

    def walk(path: list[int]) -> None:
        for nxt in successors[path[-1]]:
            if nxt in path:  # pragma: no cover - specify_model refuses cycles
                continue
            new = [*path, nxt]
            if len(new) >= 3:
                out.append(tuple(new))
            walk(new)

    for i in range(len(plan.constructs)):
        walk([i])
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class _Layout:
    """What the PLS bootstrap collects from a fit, and how (built once per model)."""

    plan: PLSPlan
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    names: tuple[str, ...]
    chains: tuple[tuple[int, ...], ...]
    total_pairs: tuple[tuple[int, int], ...]
    indirect_pairs: tuple[tuple[int, int], ...]
    htmt_pairs: tuple[tuple[int, int], ...]
    n_predictors: np.ndarray
    f2_plans: tuple[tuple[int, int, PLSPlan | None, np.ndarray], ...] | None

    @classmethod
    def build(cls, plan: PLSPlan, *, f_squared: bool) -> _Layout:
        c = plan.constructs
        spec = plan.model
        chains = _chains(plan)
        reach = np.linalg.matrix_power(np.eye(len(c)) + plan.adjacency, len(c)) > 0
        np.fill_diagonal(reach, False)
        total_pairs = [(i, j) for i in range(len(c)) for j in range(len(c)) if reach[i, j]]
        via = {(ch[0], ch[-1]) for ch in chains}
        indirect_pairs = [pair for pair in total_pairs if pair in via]
        htmt_pairs = [(i, j) for i in range(len(c)) for j in range(i + 1, len(c))]
        entries: list[tuple[str, str]] = [
            ("path", f"{c[s]}->{c[t]}")
            for s, t in zip(plan.path_source, plan.path_target, strict=True)
        ]
        entries += [
            ("weight", f"{c[plan.item_construct[i]]}:{item}") for i, item in enumerate(plan.items)
        ]
        entries += [
            ("loading", f"{c[plan.item_construct[i]]}:{item}") for i, item in enumerate(plan.items)
        ]
        entries += [("r2", c[j]) for j in plan.endogenous]
        entries += [("adj_r2", c[j]) for j in plan.endogenous]
        entries += [("htmt", f"{c[i]}<->{c[j]}") for i, j in htmt_pairs]
        entries += [("indirect", "->".join(c[k] for k in ch)) for ch in chains]
        entries += [("total_indirect", f"{c[i]}->{c[j]}") for i, j in indirect_pairs]
        entries += [("total", f"{c[i]}->{c[j]}") for i, j in total_pairs]
        f2_plans = None
        if f_squared:
            position = {item: i for i, item in enumerate(plan.items)}
            plans = []
            for s, t in spec.paths:
                reduced = spec.without_path(s, t)
                sub = (
                    PLSPlan.from_model(reduced)
                    if reduced.paths and t in reduced.endogenous
                    else None
                )
                idx = (
                    np.array([position[i] for i in sub.items], dtype=np.intp)
                    if sub is not None
                    else np.zeros(0, dtype=np.intp)
                )
                plans.append((c.index(s), c.index(t), sub, idx))
            f2_plans = tuple(plans)
            entries += [("f2", f"{s}->{t}") for s, t in spec.paths]
        return cls(
            plan=plan,
            labels=tuple(f"{kind}:{name}" for kind, name in entries),
            kinds=tuple(kind for kind, _ in entries),
            names=tuple(name for _, name in entries),
            chains=tuple(chains),
            total_pairs=tuple(total_pairs),
            indirect_pairs=tuple(indirect_pairs),
            htmt_pairs=tuple(htmt_pairs),
            n_predictors=np.array([len(plan.predecessors[j]) for j in plan.endogenous]),
            f2_plans=f2_plans,
        )


def _htmt_stack(S: np.ndarray, plan: PLSPlan, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """HTMT of construct pairs from a stack of item correlation matrices (absolute values, a
    single item's monotrait mean 1: :func:`~workbench.pls.htmt`)."""
    A = np.abs(S)
    M = plan.membership
    sums = np.swapaxes(M, 0, 1)[None] @ A @ M  # (B, m, m): sums of |r| within / between blocks
    k = M.sum(axis=0)
    diag = np.einsum("bjj->bj", sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        mono = np.where(k > 1, (diag - k) / (k * (k - 1)), 1.0)
    i = np.array([a for a, _ in pairs], dtype=np.intp)
    j = np.array([b for _, b in pairs], dtype=np.intp)
    hetero = sums[:, i, j] / (k[i] * k[j])
    return hetero / np.sqrt(mono[:, i] * mono[:, j])


@dataclasses.dataclass(frozen=True, eq=False)
class _PLSStatistics:
    """The vector of :class:`_Layout` from a stack of correlation matrices (batched)."""

    layout: _Layout
    estimator: str
    inner_weighting: str
    max_iter: int
    tol: float
    n: int
    reference_signs: np.ndarray | None  # (m,) sign of the original loadings' sums per construct
    defined: np.ndarray | None = None  # (k,) estimates finite on the full sample: only they count

    def __call__(self, S: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Values ``(B, k)`` and failure reasons of a stack; one resample at a time when the
        batch meets a singular matrix, so a single bad resample fails alone."""
        B = S.shape[0]
        bad = ~np.isfinite(S).all(axis=(1, 2))
        if bad.any():
            values = np.full((B, len(self.layout.labels)), np.nan)
            reasons = ["constant item in the resample" if b else "" for b in bad]
            good = np.flatnonzero(~bad)
            if good.size:
                v, r = self(S[good])
                values[good] = v
                for g, why in zip(good, r, strict=True):
                    reasons[g] = why
            return values, reasons
        try:
            return self._batch(S)
        except np.linalg.LinAlgError:
            if B == 1:
                return np.full((1, len(self.layout.labels)), np.nan), ["singular matrix"]
            out = [self(S[b : b + 1]) for b in range(B)]
            return np.concatenate([v for v, _ in out]), [r[0] for _, r in out]

    def _fit(self, S: np.ndarray, plan: PLSPlan) -> _StackFit:
        return _fit_stack(
            S,
            plan,
            estimator=self.estimator,
            inner_weighting=self.inner_weighting,
            max_iter=self.max_iter,
            tol=self.tol,
        )

    def _batch(self, S: np.ndarray) -> tuple[np.ndarray, list[str]]:
        layout, plan = self.layout, self.layout.plan
        fit = self._fit(S, plan)
        B, m = S.shape[0], len(plan.constructs)
        weights, loadings, paths = fit.weights, fit.loadings, fit.path_matrix
        if self.reference_signs is not None:
            sums = loadings @ plan.membership  # (B, m) sum of each construct's loadings
            flip = np.where(sums * self.reference_signs < 0, -1.0, 1.0)
            item_sign = flip[:, plan.item_construct]
            weights, loadings = weights * item_sign, loadings * item_sign
            paths = paths * flip[:, :, None] * flip[:, None, :]
        r2 = fit.r2[:, plan.endogenous]
        df = self.n - layout.n_predictors - 1
        adj = 1.0 - (1.0 - r2) * (self.n - 1) / np.where(df > 0, df, np.nan)  # as estimate_pls
        eye = np.eye(m)
        total = np.linalg.inv(eye - paths) - eye
        parts = [
            paths[:, plan.path_source, plan.path_target],
            weights,
            loadings,
            r2,
            adj,
            _htmt_stack(S, plan, layout.htmt_pairs),
        ]
        if layout.chains:
            parts.append(
                np.stack(
                    [
                        np.prod([paths[:, a, b] for a, b in itertools.pairwise(ch)], axis=0)
                        for ch in layout.chains
                    ],
                    axis=1,
                )
            )
        if layout.indirect_pairs:
            i, j = np.array(layout.indirect_pairs).T
            parts.append(total[:, i, j] - paths[:, i, j])
        if layout.total_pairs:
            i, j = np.array(layout.total_pairs).T
            parts.append(total[:, i, j])
        if layout.f2_plans is not None:
            f2 = np.empty((B, len(layout.f2_plans)))
            for col, (_, t, sub, idx) in enumerate(layout.f2_plans):
                included = fit.r2[:, t]
                excluded = np.zeros(B)
                if sub is not None:
                    reduced = self._fit(S[:, idx[:, None], idx[None, :]], sub)
                    excluded = reduced.r2[:, sub.constructs.index(plan.constructs[t])]
                f2[:, col] = (included - excluded) / (1.0 - included)
            parts.append(f2)
        values = np.concatenate(parts, axis=1)
        checked = values if self.defined is None else values[:, self.defined]
        finite = np.isfinite(checked).all(axis=1)
        reasons = [
            "" if c and f else ("did not converge" if not c else "non-finite estimate")
            for c, f in zip(fit.converged, finite, strict=True)
        ]
        return values, reasons


# ----------------------------------------------------------------------------
# The PLS bootstrap: result and entry point
# ----------------------------------------------------------------------------

_KIND_TITLES = {
    "path": "Path coefficients",
    "weight": "Outer weights",
    "loading": "Outer loadings",
    "r2": "R²",
    "adj_r2": "Adjusted R²",
    "htmt": "HTMT",
    "indirect": "Specific indirect effects",
    "total_indirect": "Total indirect effects",
    "total": "Total effects",
    "f2": "f²",
}


@dataclasses.dataclass(frozen=True)
class PLSBootstrap(Result):
    """A bootstrapped PLS path model (:func:`bootstrap_pls`).

    Attributes
    ----------
    fit : PLSResult
        The full-sample estimation (also ``model``, for drill-down).
    table : pandas.DataFrame
        One row per estimate, indexed ``"kind:name"`` (``path:X->Y``, ``weight:C:item``,
        ``loading:C:item``, ``r2:Y``, ``adj_r2:Y``, ``htmt:A<->B``, ``indirect:X->M->Y``,
        ``total_indirect:X->Y``, ``total:X->Y``, ``f2:X->Y``): ``kind``, ``name`` and the
        columns of :func:`summarize_draws` (``estimate, boot_mean, boot_se, t, p, ci_low,
        ci_high, bca_low, bca_high, z0, acceleration``).
    draws : numpy.ndarray
        ``(B_ok, k)`` the estimates of the successful resamples (columns in ``table`` order).
    resamples : numpy.ndarray
        The 0-based numbers of the successful resamples.
    jackknife : numpy.ndarray or None
        Leave-one-out estimates (BCa acceleration).
    n_boot : int
        Resamples drawn.
    failures, jackknife_failures : dict
        ``{reason: count}`` of dropped resamples and leave-one-out fits.
    seed, block_size, n_jobs : int
        Seed of the resample blocks, resamples per block, worker threads used.
    ci : float
        Confidence level of the intervals.
    sign_change : {"none", "construct"}
        Sign treatment of the resamples.
    seconds : float
        Wall time of resampling and jackknife (full-sample fit excluded).
    warning_messages : tuple of str
        The fit's warnings, failed resamples, missing BCa limits, the sign treatment.
    """

    fit: PLSResult = dataclasses.field(repr=False)
    table: pd.DataFrame = dataclasses.field(repr=False)
    draws: np.ndarray = dataclasses.field(repr=False)
    resamples: np.ndarray = dataclasses.field(repr=False)
    jackknife: np.ndarray | None = dataclasses.field(repr=False)
    n_boot: int
    failures: dict[str, int]
    jackknife_failures: dict[str, int]
    seed: int
    block_size: int
    n_jobs: int
    ci: float
    sign_change: SignChange
    seconds: float = 0.0
    warning_messages: tuple[str, ...] = ()

    @property
    def model(self) -> PLSResult:
        """The full-sample fit."""
        return self.fit

    @property
    def n_failed(self) -> int:
        """Resamples dropped."""
        return sum(self.failures.values())

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels of the columns of ``draws``."""
        return tuple(self.table.index)

    def to_frame(self) -> pd.DataFrame:
        """Every estimate with its bootstrap statistics (see ``table``)."""
        return self.table.copy()

    def draws_frame(self) -> pd.DataFrame:
        """The draws with labelled columns, indexed by resample number."""
        return pd.DataFrame(self.draws, index=self.resamples, columns=list(self.table.index))

    def of(self, kind: str) -> pd.DataFrame:
        """The rows of one kind (``"path"``, ``"indirect"``, ``"htmt"``, ...), indexed by name."""
        check_choice("kind", kind, tuple(_KIND_TITLES))
        rows = self.table[self.table["kind"] == kind]
        return rows.drop(columns="kind").set_index("name")

    def htmt_test(self, threshold: float = 0.90, *, alpha: float = 0.05) -> pd.DataFrame:
        """Discriminant validity by the bootstrap upper bound of HTMT (Henseler et al. 2015).

        HTMT is significantly below ``threshold`` (0.90 for conceptually similar constructs,
        0.85 for distinct ones: Hair et al. 2022, ch. 4) when the one-sided ``1 - alpha``
        percentile upper bound, the ``1 - alpha`` quantile of the draws, is below it.

        Returns
        -------
        pandas.DataFrame
            Indexed ``"A<->B"``: ``estimate``, ``upper`` (the bound), ``threshold``,
            ``below`` (bool: discriminant validity established for the pair).
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha={alpha!r} is not valid: use a level in (0, 1), e.g. 0.05")
        mask = (self.table["kind"] == "htmt").to_numpy()
        rows = self.table[mask]
        draws = self.draws[:, mask]
        upper = (
            np.quantile(draws, 1 - alpha, axis=0)
            if len(draws)
            else np.full(int(mask.sum()), np.nan)
        )
        return pd.DataFrame(
            {
                "estimate": rows["estimate"].to_numpy(),
                "upper": upper,
                "threshold": threshold,
                "below": upper < threshold,
            },
            index=rows["name"].to_numpy(),
        )

    def summary(self) -> str:
        fit = self.fit
        lines = [
            f"PLS bootstrap: {self.n_boot} resamples (seed {self.seed}), "
            f"{self.n_boot - self.n_failed} used, {self.n_failed} failed; n = {fit.n}; "
            f"{fit.estimator}, {fit.inner_weighting} weighting; sign change: {self.sign_change}; "
            f"{self.ci:.0%} percentile and BCa intervals",
        ]
        columns = ["estimate", "boot_se", "t", "p", "ci_low", "ci_high", "bca_low", "bca_high"]
        for kind in ("path", "indirect", "total_indirect", "total", "r2", "htmt", "f2"):
            if (self.table["kind"] == kind).any():
                lines += [
                    "",
                    f"{_KIND_TITLES[kind]}:",
                    self.of(kind)[columns].to_string(float_format=lambda v: f"{v:.3f}"),
                ]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The bootstrap in the ``results.json`` layout of issue 15.

        ``paths {"X->Y": {estimate, boot_mean, boot_se, t, p, ci_low, ci_high, bca_low,
        bca_high, f2}}`` (``f2`` the full-sample f²; with ``f_squared=True`` also
        ``f2_ci_low``/``f2_ci_high``), ``total_effects`` and ``total_indirect`` ``{"X->Y":
        {...}}``, ``indirect {"X->M->Y": {...}}``, ``r2 {Y: {r2, adj_r2, boot_se, ci_low,
        ci_high}}``, ``loadings_ci``/``weights_ci {construct: {item: {estimate, boot_se, t, p,
        ci_low, ci_high, bca_low, bca_high}}}``, ``htmt {A: {B: {estimate, boot_se, ci_low,
        ci_high, bca_low, bca_high}}}`` and ``bootstrap {n_boot, n_failed, failures, seed,
        ci, ci_method, sign_change, p_value}``.
        """
        full = ["estimate", "boot_mean", "boot_se", "t", "p", "ci_low", "ci_high"]
        full += ["bca_low", "bca_high"]

        def block(kind: str, columns: list[str]) -> dict[str, dict[str, float]]:
            return self.of(kind)[columns].to_dict(orient="index") if len(self.of(kind)) else {}

        paths = block("path", full)
        f2_point = self.fit.f_squared()["f2"]
        boot_f2 = self.of("f2") if (self.table["kind"] == "f2").any() else None
        for name, row in paths.items():
            row["f2"] = f2_point[name]
            if boot_f2 is not None:
                row["f2_ci_low"] = boot_f2.loc[name, "ci_low"]
                row["f2_ci_high"] = boot_f2.loc[name, "ci_high"]
        r2 = self.of("r2")
        adj = self.of("adj_r2")
        measurement: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
        for kind in ("loading", "weight"):
            nested: dict[str, dict[str, dict[str, float]]] = {}
            rows = self.of(kind)
            for name, row in rows.iterrows():
                construct, item = str(name).split(":", 1)
                keep = ["estimate", "boot_se", "t", "p", "ci_low", "ci_high", "bca_low"]
                nested.setdefault(construct, {})[item] = {c: row[c] for c in [*keep, "bca_high"]}
            measurement[kind] = nested
        htmt: dict[str, dict[str, dict[str, float]]] = {}
        for name, row in self.of("htmt").iterrows():
            a, b = str(name).split("<->")
            htmt.setdefault(a, {})[b] = {
                c: row[c]
                for c in ("estimate", "boot_se", "ci_low", "ci_high", "bca_low", "bca_high")
            }
        out = {
            "paths": paths,
            "total_effects": block("total", full),
            "total_indirect": block("total_indirect", full),
            "indirect": block("indirect", full),
            "r2": {
                y: {
                    "r2": r2.loc[y, "estimate"],
                    "adj_r2": adj.loc[y, "estimate"],
                    "boot_se": r2.loc[y, "boot_se"],
                    "ci_low": r2.loc[y, "ci_low"],
                    "ci_high": r2.loc[y, "ci_high"],
                }
                for y in r2.index
            },
            "loadings_ci": measurement["loading"],
            "weights_ci": measurement["weight"],
            "htmt": htmt,
            "bootstrap": {
                "n_boot": self.n_boot,
                "n_failed": self.n_failed,
                "failures": self.failures,
                "seed": self.seed,
                "block_size": self.block_size,
                "ci": self.ci,
                "ci_method": "percentile (ci_low, ci_high) and BCa (bca_low, bca_high)",
                "sign_change": self.sign_change,
                "p_value": "two-sided, Student t with n_boot - 1 df, t = estimate / boot_se",
            },
            "warnings": self.warnings,
        }
        return jsonable(out)


def bootstrap_pls(
    data: pd.DataFrame | PLSData,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    n_boot: int = 5000,
    seed: int = 2026,
    ci: float = 0.95,
    sign_change: SignChange = "none",
    bca: bool = True,
    f_squared: bool = False,
    n_jobs: int | None = None,
    block_size: int = BLOCK_SIZE,
    max_iter: int = 300,
    tol: float = 1e-7,
) -> PLSBootstrap:
    """Bootstrap a PLS path model: SEs, t, p, percentile and BCa intervals of every estimate.

    Parameters
    ----------
    data, model, estimator, inner_weighting, missing, missing_codes, max_iter, tol
        As :func:`~workbench.pls.estimate_pls` (each resample is estimated with the same
        settings). With ``missing="mean"`` the mean replacement is applied once, to the full
        data, and the completed rows are resampled (seminr's ``bootstrap_model`` resamples
        ``model$data``, the mean-replaced data, in the versions whose fixtures we test
        against; some seminr versions resample the raw rows and re-impute each resample,
        which changes only the replaced cells). ``"listwise"`` resamples the complete rows.
    n_boot : int
        Resamples (5,000 as Hair et al. 2022 and SmartPLS recommend; seminr's default 500).
    seed : int
        Seed of the resample blocks: block ``k`` of ``block_size`` resamples draws from
        ``default_rng(SeedSequence(seed, spawn_key=(k,)))``, so the same seed gives the same
        results whatever ``n_jobs``.
    ci : float
        Two-sided confidence level of the percentile and BCa intervals.
    sign_change : {"none", "construct"}
        ``"none"`` (seminr, SmartPLS 3/4): resamples are used as estimated. ``"construct"``:
        construct-level sign correction (Tenenhaus et al. 2005): a construct's weights,
        loadings and the paths into and out of it are negated in a resample when the sum of
        its loadings there has the opposite sign to the sum of its original loadings
        (``|sum l - sum l*| > |sum l + sum l*|``); HTMT and R² are unaffected.
    bca : bool
        Compute BCa intervals (one leave-one-out fit per respondent, batched).
    f_squared : bool
        Also bootstrap f² (one more fit per path and resample).
    n_jobs : int, optional
        Worker threads (default: the cores this process may use).
    block_size : int
        Resamples per block (part of what the seed determines).

    Returns
    -------
    PLSBootstrap

    Raises
    ------
    InputError
        As :func:`~workbench.pls.estimate_pls`.
    ValueError
        Bad ``n_boot``, ``ci``, ``sign_change``, ``n_jobs`` or ``block_size``.

    Notes
    -----
    Each resample draws ``n`` respondents with replacement and is estimated from its item
    correlation matrix, computed from its row counts (:mod:`workbench.resampling`), by the
    PLS algorithm of :func:`~workbench.pls.fit_correlation` run on the whole block of
    resamples at once (same iteration, same stopping rule, per resample). A resample fails when
    it does not converge within ``max_iter``, meets a singular matrix (a Mode B block or a
    construct's predictors), has a constant item, or gives a non-finite estimate; failures are
    counted by reason, dropped and reported (seminr drops them too).

    Collected per resample: path coefficients ``B``, outer weights and loadings, R² and
    adjusted R², HTMT of every pair of constructs, every specific indirect effect (the product
    of the paths along a chain ``X -> M1 -> ... -> Y``), total effects
    ``T = (I - B)^{-1} - I`` (seminr's ``total_effects``; ``T = B + B^2 + ...`` for a
    recursive model), total indirect effects ``T - B`` (the sum of the specific indirect
    effects), and with ``f_squared`` the f² of every path. Statistics: see
    :func:`summarize_draws` (``boot_se`` is seminr's "Bootstrap SD", ``t`` its "T Stat.",
    ``ci_low``/``ci_high`` its "2.5% CI"/"97.5% CI" at ``ci = 0.95``; p is two-sided from
    Student's t with ``B - 1`` df) and :func:`bca_interval`.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *JASA*, 82(397), 171-185.
    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
    modeling. *Computational Statistics & Data Analysis*, 48(1), 159-205 (sign changes).
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
    discriminant validity. *JAMS*, 43(1), 115-135 (HTMT inference).
    Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on PLS-SEM*
    (3rd ed.), ch. 5-7. Sage.
    R: ``seminr::bootstrap_model(seminr_model, nboot = 5000, seed = ...)``, then
    ``summary(boot)$bootstrapped_paths`` / ``$bootstrapped_loadings`` /
    ``$bootstrapped_weights`` / ``$bootstrapped_HTMT`` / ``$bootstrapped_total_paths``,
    ``specific_effect_significance()`` and ``total_indirect_ci()``.

    Examples
    --------
    A mediation X -> M -> Y on simulated data: the indirect effect's percentile and BCa
    intervals exclude zero.

    >>> rng = np.random.default_rng(7)
    >>> x = rng.normal(size=300)
    >>> m = 0.5 * x + rng.normal(size=300)
    >>> y = 0.4 * m + rng.normal(size=300)
    >>> d = pd.DataFrame({f"{v}{i}": s + rng.normal(scale=0.7, size=300)
    ...                   for v, s in (("x", x), ("m", m), ("y", y)) for i in (1, 2)})
    >>> boot = bootstrap_pls(d, "X =~ x1 + x2; M =~ m1 + m2; Y =~ y1 + y2; M ~ X; Y ~ X + M",
    ...                      n_boot=1000, seed=1)
    >>> row = boot.of("indirect").loc["X->M->Y"]
    >>> bool(row["ci_low"] > 0 and row["bca_low"] > 0), boot.n_failed
    (True, 0)
    """
    check_choice("sign_change", sign_change, SIGN_CHANGES)
    _check_common(n_boot, ci, block_size)
    workers = _workers(n_jobs)
    spec = specify_model(model)
    prepared = _prepared(data, spec, missing=missing, missing_codes=missing_codes)
    fit = estimate_pls(
        prepared,
        spec,
        estimator=estimator,
        inner_weighting=inner_weighting,
        max_iter=max_iter,
        tol=tol,
    )
    plan = fit.plan
    layout = _Layout.build(plan, f_squared=f_squared)
    z = fit.data.standardized()
    n = len(z)
    Zc = z - z.mean(axis=0)
    S_full = _correlations(Zc.sum(axis=0)[None], (Zc.T @ Zc)[None], n)
    statistic = _PLSStatistics(layout, estimator, inner_weighting, max_iter, tol, n, None)
    with single_threaded_blas():
        full, why = statistic(S_full)
    if why[0] not in ("", "did not converge", "non-finite estimate"):
        raise InputError(
            f"The model's estimates cannot be bootstrapped: on the full sample, {why[0]}.",
            hint="Check the estimate_pls warnings and the model's items.",
        )
    estimate = full[0]
    # an estimate undefined on the full sample (e.g. adjusted R² with n <= k + 1, a PLSc
    # loading of a construct with a negative rho_A) is reported as NaN; it fails no resample
    statistic = dataclasses.replace(statistic, defined=np.isfinite(estimate))
    if sign_change == "construct":
        reference = np.sign(fit.core.loadings @ plan.membership)
        statistic = dataclasses.replace(
            statistic, reference_signs=np.where(reference == 0, 1.0, reference)
        )
    start = time.perf_counter()

    def block(k: int, size: int) -> tuple[np.ndarray, list[str]]:
        rng = block_generator(seed, k)
        stacks = [
            _correlations(s, c, n)
            for s, c in bootstrap_cross_products(Zc, rng, size, products_elems=_PRODUCTS_ELEMS)
        ]
        return statistic(np.concatenate(stacks))

    total_sums = Zc.sum(axis=0)
    total_cross = Zc.T @ Zc

    def jack_block(lo: int, hi: int) -> tuple[np.ndarray, list[str]]:
        rows = Zc[lo:hi]
        sums = total_sums[None] - rows
        cross = total_cross[None] - rows[:, :, None] * rows[:, None, :]
        return statistic(_correlations(sums, cross, n - 1))

    with single_threaded_blas():
        values, reasons = _resample_blocks(block, n_boot, block_size, workers)
        jack, jack_reasons = None, []
        if bca:
            parts = _run(
                [functools.partial(jack_block, lo, hi) for _, lo, hi in _blocks(n, block_size)],
                workers,
            )
            jack_values = np.concatenate([v for v, _ in parts])
            jack_reasons = [r for _, rs in parts for r in rs]
            jack = jack_values[[not r for r in jack_reasons]]
    seconds = time.perf_counter() - start
    ok = np.array([not r for r in reasons], dtype=bool)
    failures, jack_failures = _count(reasons), _count(jack_reasons)
    draws = values[ok]
    stats_table = summarize_draws(estimate, draws, ci=ci, jackknife=jack, index=layout.labels)
    table = pd.concat(
        [
            pd.DataFrame({"kind": layout.kinds, "name": layout.names}, index=layout.labels),
            stats_table,
        ],
        axis=1,
    )
    notes = list(fit.warnings) + _failure_notes(n_boot, failures, jack_failures, n)
    if bca and int(stats_table["bca_low"].isna().sum()):
        notes.append(_bca_note(stats_table))
    if sign_change == "construct":
        notes.append(
            "Construct-level sign correction (Tenenhaus et al. 2005) was applied to the "
            "resamples: a construct whose loadings sum to the opposite sign of the original's "
            "was negated (weights, loadings, its paths)."
        )
    return PLSBootstrap(
        fit=fit,
        table=table,
        draws=draws,
        resamples=np.flatnonzero(ok),
        jackknife=jack,
        n_boot=int(n_boot),
        failures=failures,
        jackknife_failures=jack_failures,
        seed=seed,
        block_size=block_size,
        n_jobs=workers,
        ci=ci,
        sign_change=sign_change,
        seconds=seconds,
        warning_messages=tuple(notes),
    )
