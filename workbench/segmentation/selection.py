"""Choosing the number of segments and the covariance model of a Gaussian mixture.

:func:`select_mixture` fits every covariance model in ``models`` for every number of
components in ``ks`` (each from mclust's hierarchical start, computed once for all k, plus
random restarts), tabulates the criteria a reader needs to judge the choice (log-likelihood,
parameters, BIC, ICL, SABIC, entropy, smallest class share), applies a stated rule (default:
the lowest BIC among the fits with no class under 5 % of the members), and runs the parametric
bootstrap likelihood-ratio test of k against k + 1 components for the chosen covariance model
(McLachlan 1987; ``mclust::mclustBootstrapLRT``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings
from workbench.segmentation.data import segmentation_matrix
from workbench.segmentation.hierarchical import hierarchical_partitions, quantile_partition
from workbench.segmentation.mixture import (
    HC_SUBSET,
    MODELS,
    MixtureResult,
    _Control,
    _Degenerate,
    _em_from_parameters,
    _fit,
    number_of_parameters,
)
from workbench.validation import check_choice

__all__ = ["CRITERIA", "BootstrapLRT", "MixtureSelection", "bootstrap_lrt", "select_mixture"]

Criterion = Literal["bic", "icl", "sabic"]
#: criteria the selection rule may minimise (all with lower = better)
CRITERIA = ("bic", "icl", "sabic")
_RTEPS = math.sqrt(float(np.finfo(float).eps))


@dataclasses.dataclass(frozen=True)
class BootstrapLRT(Result):
    """Parametric bootstrap likelihood-ratio tests of k against k + 1 components.

    Attributes
    ----------
    model : str
        The covariance model tested.
    table : pandas.DataFrame
        One row per test, indexed by ``k`` (the null's number of components): ``k1`` (the
        alternative's), ``lrt`` (observed statistic ``2 (l_{k+1} - l_k)``), ``p`` (bootstrap
        p-value ``(1 + #{LRT* >= LRT}) / (B + 1)``), ``n_boot`` (usable replicates) and
        ``failed`` (replicates where a fit degenerated and was redrawn).
    n_boot : int
        Replicates asked for per test.
    seed : int or None
        Seed of the simulations.
    """

    model: str
    table: pd.DataFrame
    n_boot: int
    seed: int | None
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


@dataclasses.dataclass(frozen=True)
class MixtureSelection(Result):
    """Fits of every covariance model and number of components, and the one chosen.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by (``k``, ``model``): ``loglik``, ``npar``, ``bic``, ``bic_mclust``, ``icl``,
        ``sabic``, ``entropy``, ``min_share`` (smallest share of members classified into a
        segment), ``blrt_p`` (bootstrap LRT p-value of k - 1 against k components, for the
        chosen model only), ``converged``, ``restart_beat_hc`` and ``fitted``. Lower is better
        for bic, icl and sabic (``bic = -2 logL + npar log n``; ``bic_mclust`` is mclust's
        sign). Rows of models that were skipped or did not fit hold NaN.
    chosen : MixtureResult
        The fit the rule picked.
    chosen_by : str
        The rule in words.
    criterion : str
        The criterion minimised.
    min_share : float
        The smallest class share the rule accepts.
    fits : dict
        ``{(k, model): MixtureResult}`` for every fitted cell.
    blrt : BootstrapLRT or None
        The bootstrap likelihood-ratio tests for the chosen model (None when ``n_boot=0``).
    seed : int or None
        Seed of the restarts, the hierarchical start's subset and the bootstrap.
    warning_messages : tuple of str
        Skipped models, degenerate fits, the chosen k at the edge of the range.
    """

    table: pd.DataFrame
    chosen: MixtureResult
    chosen_by: str
    criterion: str
    min_share: float
    fits: dict[tuple[int, str], MixtureResult]
    blrt: BootstrapLRT | None
    seed: int | None
    warning_messages: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return self.chosen.k

    @property
    def model(self) -> str:
        return self.chosen.model

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def criterion_table(self, criterion: str = "bic") -> pd.DataFrame:
        """One criterion as a k x model table (mclust's ``mclustBIC`` layout, our sign)."""
        check_choice("criterion", criterion, tuple(self.table.columns))
        return (
            self.table[criterion]
            .unstack("model")
            .reindex(columns=[m for m in MODELS if m in self.table.index.get_level_values("model")])
        )

    def summary(self) -> str:
        top = self.table[self.table["fitted"]].sort_values(self.criterion).head(5)
        text = (
            f"Chosen: {self.model}, k = {self.k} ({self.chosen_by}).\n"
            f"{self.criterion.upper()} is -2 logL + penalty: lower is better.\n\n"
            f"Best five by {self.criterion}:\n"
            + top[["loglik", "npar", "bic", "icl", "sabic", "entropy", "min_share"]].to_string()
        )
        if self.blrt is not None:
            text += f"\n\nBootstrap LRT, model {self.blrt.model}:\n" + self.blrt.table.to_string()
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The results.json ``selection`` block: ``{"<k>": {"<model>": {criteria}}}``."""
        keys = ("loglik", "npar", "bic", "icl", "sabic", "entropy", "min_share", "blrt_p")
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for (k, model), row in self.table.iterrows():
            out.setdefault(str(k), {})[str(model)] = {key: row[key] for key in keys}
        return jsonable(
            {
                "selection": out,
                "chosen": {"k": self.k, "model": self.model, "chosen_by": self.chosen_by},
                "bic_convention": "bic = -2 logL + npar log(n); lower is better",
                "warnings": self.warnings,
            }
        )


def select_mixture(
    data: Any,
    ks: Iterable[int] | None = None,
    models: Sequence[str] | None = None,
    *,
    max_k: int = 6,
    criterion: Criterion = "bic",
    min_share: float = 0.05,
    restarts: int = 3,
    n_boot: int = 99,
    seed: int | None = None,
    tol: float = 1e-5,
    max_iter: int = 10_000,
) -> MixtureSelection:
    """Fit mclust's covariance models for k = 1..max_k components and choose one.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per member, numeric variables (standardise them first if units differ).
    ks : iterable of int, optional
        Numbers of components to try (default ``1..max_k``).
    models : sequence of str, optional
        Covariance models to try (default all 14, :data:`~workbench.segmentation.MODELS`).
    max_k : int
        Largest number of components when ``ks`` is not given.
    criterion : {"bic", "icl", "sabic"}
        The criterion the rule minimises.
    min_share : float
        The rule accepts only fits whose every segment holds at least this share of the
        members (modal assignment); 0 disables the condition.
    restarts : int
        Random restarts per (k, model) after the hierarchical start
        (:func:`~workbench.segmentation.fit_gaussian_mixture`).
    n_boot : int
        Bootstrap replicates of each likelihood-ratio test (0: no test).
    seed : int, optional
        Seed of the restarts, of the subset of the hierarchical start (above 2,000 members)
        and of the bootstrap.
    tol, max_iter : float, int
        EM stopping rule (mclust's default ``tol = 1e-5``).

    Returns
    -------
    MixtureSelection

    Notes
    -----
    A model whose number of free parameters is not smaller than the number of members is
    skipped (and the warnings say so). The hierarchical start is computed once, on the whole
    data (or a seeded subset of 2,000 members, as mclust), and cut at each k, as
    ``mclust::mclustBIC`` does. The rule is: among the fitted cells whose smallest segment holds
    at least ``min_share`` of the members, the one with the lowest ``criterion``; the table
    keeps every cell so that a reader can apply another rule. The bootstrap likelihood-ratio
    test (:func:`bootstrap_lrt`) is run for the chosen covariance model over consecutive k.

    References
    ----------
    Fraley, C. & Raftery, A. E. (2002), section 4 (BIC for model and k).
    Biernacki, C., Celeux, G. & Govaert, G. (2000). Assessing a mixture model for clustering
    with the integrated completed likelihood. *IEEE TPAMI*, 22(7), 719-725.
    Nylund, K. L., Asparouhov, T. & Muthén, B. O. (2007). Deciding on the number of classes in
    latent class analysis and growth mixture modeling. *Structural Equation Modeling*, 14(4),
    535-569 (BIC and the bootstrap LRT in practice).
    R: ``mclust::mclustBIC(X, G = ks, modelNames = models)``, ``mclust::mclustICL``,
    ``mclust::mclustBootstrapLRT(X, modelName, maxG)``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(4, 1, (60, 2))])
    >>> sel = select_mixture(x, models=["EII", "VVV"], max_k=3, n_boot=0, restarts=0, seed=1)
    >>> sel.k, sel.model
    (2, 'EII')
    """
    check_choice("criterion", criterion, CRITERIA)
    model_list = list(MODELS if models is None else models)
    if not model_list:
        raise ValueError("models=[] is not valid: give at least one of " + ", ".join(MODELS))
    for m in model_list:
        check_choice("models", m, MODELS)
    k_list = sorted({int(k) for k in (range(1, max_k + 1) if ks is None else ks)})
    if not k_list or k_list[0] < 1:
        raise ValueError(f"ks={k_list!r} is not valid: numbers of components must be >= 1")
    if not 0 <= min_share < 1:
        raise ValueError(f"min_share={min_share!r} is not valid: use a share in [0, 1)")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
        raise ValueError(f"n_boot={n_boot!r} is not valid: use a whole number >= 0")
    x, columns, notes = segmentation_matrix(data)
    n, p = x.shape
    warnings_: list[str] = list(notes)
    rng = np.random.default_rng(seed)
    ctrl = _Control(tol=tol, max_iter=max_iter)

    too_many = [k for k in k_list if k > n]
    if too_many:
        warnings_.append(
            f"k = {', '.join(map(str, too_many))} skipped: more components than members ({n})."
        )
    k_list = [k for k in k_list if k <= n]
    hc = _hc_starts(x, [k for k in k_list if k > 1], rng)
    if hc and hc[next(iter(hc))][1] is not None:
        warnings_.append(
            f"The hierarchical start was computed on a random subset of {HC_SUBSET} of the "
            f"{n} members (as mclust's default subset)."
        )

    fits: dict[tuple[int, str], MixtureResult] = {}
    skipped: list[str] = []
    for k in k_list:
        for model in model_list:
            if number_of_parameters(model, p, k) >= n:
                skipped.append(f"{model} (k = {k})")
                continue
            sub_seed = int(rng.integers(2**31))
            fits[(k, model)] = _fit(
                x, columns, [], k, model, restarts=restarts if k > 1 else 0, seed=sub_seed,
                init="hc", ctrl=ctrl, hc_labels=hc.get(k),
            )  # fmt: skip
    if skipped:
        warnings_.append("Skipped, more free parameters than members: " + ", ".join(skipped) + ".")
    for done in fits.values():
        warnings_.extend(w for w in done.warnings if w not in notes and "subset" not in w)

    rows = []
    for k in k_list:
        for model in model_list:
            fit = fits.get((k, model))
            base = {"k": k, "model": model}
            if fit is None:
                rows.append({**base, "npar": number_of_parameters(model, p, k), "fitted": False})
                continue
            rows.append(
                {
                    **base,
                    **fit.criteria(),
                    "converged": fit.converged,
                    "restart_beat_hc": fit.restart_beat_hc,
                    "fitted": fit.fitted,
                }
            )
    table = pd.DataFrame(rows).set_index(["k", "model"])
    for col in ("loglik", "bic", "bic_mclust", "icl", "sabic", "entropy", "min_share"):
        if col not in table:
            table[col] = np.nan
    table["blrt_p"] = np.nan
    table["fitted"] = table["fitted"].fillna(False).astype(bool)
    table = table[
        ["loglik", "npar", "bic", "bic_mclust", "icl", "sabic", "entropy", "min_share",
         "blrt_p", "converged", "restart_beat_hc", "fitted"]
    ]  # fmt: skip

    ok = table[table["fitted"] & (table["min_share"] >= min_share)]
    if ok.empty:  # cannot happen while k = 1 is tried; fall back to all fitted cells
        ok = table[table["fitted"]]
        warnings_.append(f"No fit has every segment at or above {min_share:.0%}; rule relaxed.")
    if ok.empty:
        raise _no_fit_error(model_list, k_list)
    best_k, best_model = ok[criterion].idxmin()
    chosen = fits[(int(best_k), str(best_model))]
    rule = f"lowest {criterion.upper()}" + (
        f" with no segment under {min_share:.0%} of the members" if min_share > 0 else ""
    )
    if len(k_list) > 1 and chosen.k == k_list[-1]:
        warnings_.append(
            f"The chosen number of segments ({chosen.k}) is the largest tried: try larger k."
        )
    excluded = table[table["fitted"] & (table["min_share"] < min_share)]
    if min_share > 0 and not excluded.empty:
        better = excluded[excluded[criterion] < table.loc[(best_k, best_model), criterion]]
        if not better.empty:
            k_, m_ = better[criterion].idxmin()
            warnings_.append(
                f"{m_}, k = {k_} has a lower {criterion.upper()} but a segment under "
                f"{min_share:.0%} of the members (smallest {better.loc[(k_, m_), 'min_share']:.1%})"
                "; the rule passed it over."
            )

    blrt = None
    if n_boot > 0:
        ks_model = [
            k for k in k_list if (k, chosen.model) in fits and fits[(k, chosen.model)].fitted
        ]
        pairs = [(a, b) for a, b in itertools.pairwise(ks_model) if b == a + 1]
        if pairs:
            blrt = _bootstrap(x, chosen.model, fits, pairs, n_boot, rng, ctrl, seed)
            for _k0, row in blrt.table.iterrows():
                table.loc[(int(row["k1"]), chosen.model), "blrt_p"] = row["p"]
            warnings_.extend(blrt.warnings)
    return MixtureSelection(
        table=table,
        chosen=chosen,
        chosen_by=rule,
        criterion=criterion,
        min_share=min_share,
        fits=fits,
        blrt=blrt,
        seed=seed,
        warning_messages=tuple(dict.fromkeys(warnings_)),
    )


def _no_fit_error(models: list[str], ks: list[int]):
    from workbench.errors import InputError

    return InputError(
        "No Gaussian mixture could be fitted: every model and k ended in a singular covariance "
        "matrix or an empty class.",
        hint="Check the variables for near-duplicates or very few distinct values, "
        f"or try fewer components than {max(ks)} and simpler models than {', '.join(models)}.",
    )


def _hc_starts(
    x: np.ndarray, ks: list[int], rng: np.random.Generator
) -> dict[int, tuple[np.ndarray, np.ndarray | None]]:
    """The hierarchical start's partitions for every k, from one agglomeration (as mclust)."""
    if not ks:
        return {}
    n = x.shape[0]
    rows = None
    data = x
    if n > HC_SUBSET:
        rows = np.sort(rng.choice(n, size=HC_SUBSET, replace=False))
        data = x[rows]
    ks = [k for k in ks if k <= data.shape[0]]
    if x.shape[1] == 1:
        return {k: (quantile_partition(data[:, 0], k), rows) for k in ks}
    with single_threaded_blas():
        parts = hierarchical_partitions(data, ks)
    return {k: (parts[k], rows) for k in ks}


def _simulate(
    rng: np.random.Generator, n: int, pro: np.ndarray, mean: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """n members drawn from a Gaussian mixture (mclust's ``sim``)."""
    labels = rng.choice(pro.size, size=n, p=pro / pro.sum())
    out = np.empty((n, mean.shape[1]))
    for g in range(pro.size):
        idx = np.flatnonzero(labels == g)
        if idx.size:
            chol = np.linalg.cholesky(sigma[g])
            out[idx] = mean[g] + rng.standard_normal((idx.size, mean.shape[1])) @ chol.T
    return out


def _bootstrap(x, model, fits, pairs, n_boot, rng, ctrl, seed) -> BootstrapLRT:
    n = x.shape[0]
    rows = []
    notes: list[str] = []
    with single_threaded_blas():
        for k0, k1 in pairs:
            f0, f1 = fits[(k0, model)], fits[(k1, model)]
            obs = 2.0 * (f1.loglik - f0.loglik)
            p0 = (f0.shares.to_numpy(), f0.means.to_numpy(), f0.covariances)
            p1 = (f1.shares.to_numpy(), f1.means.to_numpy(), f1.covariances)
            stats: list[float] = []
            failed = 0
            while len(stats) < n_boot and failed < 10 * n_boot:
                sample = _simulate(rng, n, *p0)
                try:
                    with np.errstate(all="ignore"):
                        l0 = _em_from_parameters(sample, model, *p0, ctrl).loglik
                        l1 = _em_from_parameters(sample, model, *p1, ctrl).loglik
                except (_Degenerate, np.linalg.LinAlgError):
                    failed += 1
                    continue
                if not (np.isfinite(l0) and np.isfinite(l1)):
                    failed += 1
                    continue
                stats.append(2.0 * (l1 - l0))
            boot = np.asarray(stats)
            pval = (1.0 + float(np.sum(boot >= obs))) / (boot.size + 1.0)
            if failed:
                notes.append(
                    f"Bootstrap LRT {model} k = {k0} vs {k1}: {failed} replicate(s) degenerated "
                    "and were drawn again (as mclustBootstrapLRT)."
                )
            rows.append(
                {"k": k0, "k1": k1, "lrt": obs, "p": pval, "n_boot": boot.size, "failed": failed}
            )
    table = pd.DataFrame(rows).set_index("k")
    return BootstrapLRT(
        model=model, table=table, n_boot=n_boot, seed=seed, warning_messages=tuple(notes)
    )


def bootstrap_lrt(
    data: Any,
    model: str,
    *,
    max_k: int = 3,
    n_boot: int = 99,
    restarts: int = 0,
    seed: int | None = None,
    tol: float = 1e-5,
) -> BootstrapLRT:
    """Parametric bootstrap likelihood-ratio tests of k against k + 1 components.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per member, numeric variables.
    model : str
        Covariance model (one of :data:`~workbench.segmentation.MODELS`).
    max_k : int
        Tests k = 1..max_k against k + 1 (fits 1..max_k + 1 components).
    n_boot : int
        Bootstrap replicates per test.
    restarts : int
        Random restarts of the fits to the data (0: mclust's hierarchical start only, as
        ``mclustBootstrapLRT``).
    seed : int, optional
        Seed of the restarts and the simulations.
    tol : float
        EM stopping rule.

    Returns
    -------
    BootstrapLRT

    Notes
    -----
    For each k the observed statistic is :math:`\\mathrm{LRT} = 2(\\ell_{k+1} - \\ell_k)`.
    Each replicate draws ``n`` members from the fitted k-component mixture, fits the k- and
    (k + 1)-component models to it by EM started from the two fits' parameters, and records
    :math:`\\mathrm{LRT}^*`; the p-value is :math:`(1 + \\#\\{\\mathrm{LRT}^* \\ge
    \\mathrm{LRT}\\}) / (B + 1)`. A replicate whose fit degenerates is drawn again. This is
    mclust's procedure; the draws differ from R's, so p-values agree only within Monte Carlo
    error.

    References
    ----------
    McLachlan, G. J. (1987). On bootstrapping the likelihood ratio test statistic for the
    number of components in a normal mixture. *Applied Statistics*, 36(3), 318-324.
    R: ``mclust::mclustBootstrapLRT(X, modelName = model, maxG = max_k, nboot = n_boot)``.
    """
    check_choice("model", model, MODELS)
    sel = select_mixture(
        data, range(1, max_k + 2), [model], min_share=0.0, restarts=restarts, n_boot=0,
        seed=seed, tol=tol,
    )  # fmt: skip
    x, _, _ = segmentation_matrix(data)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    fitted = [
        k for k in range(1, max_k + 2) if (k, model) in sel.fits and sel.fits[(k, model)].fitted
    ]
    pairs = [(a, b) for a, b in itertools.pairwise(fitted) if b == a + 1]
    if not pairs:
        raise _no_fit_error([model], list(range(1, max_k + 2)))
    return _bootstrap(x, model, sel.fits, pairs, n_boot, rng, _Control(tol=tol), seed)
