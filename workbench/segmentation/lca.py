"""Latent class analysis of categorical and Likert indicators, with three-step covariates and
distal outcomes (StepMix).

:func:`latent_class_analysis` fits latent class models (local independence: each indicator is
a multinomial with class-specific response probabilities) for each number of classes in
``k_range`` with StepMix (EM from ``n_init`` random starts, the best log-likelihood kept),
tabulates the criteria a reader needs to choose k (log-likelihood, parameters, BIC, AIC,
SABIC, ICL, relative entropy, smallest class share, how many starts reached the best
log-likelihood), applies a stated rule (the lowest BIC with no class under ``min_share`` of the
members) and, for the chosen k, returns the class-conditional response probabilities, each
member's posterior membership, modal class and classification uncertainty. Covariates
(who is in which class, a multinomial logit) and distal outcomes (class means) are estimated by
the bias-adjusted three-step method (BCH or ML correction), with bootstrap standard errors.
"""

from __future__ import annotations

import dataclasses
import math
import warnings as _warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linear_sum_assignment

from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = ["LCAResult", "latent_class_analysis", "lca_number_of_parameters"]

Correction = Literal["BCH", "ML"]
#: the bias corrections of the three-step method StepMix offers
CORRECTIONS = ("BCH", "ML")
#: an indicator with more distinct values than this is not a categorical indicator
MAX_CATEGORIES = 10
#: a response probability closer than this to 0 or 1 is on the boundary
BOUNDARY = 1e-6
#: starts whose log-likelihood is within this of the best one "reached" it
LOGLIK_TOL = 1e-3


def lca_number_of_parameters(k: int, categories: Sequence[int]) -> int:
    """Free parameters of a latent class model: :math:`(k - 1) + k \\sum_j (C_j - 1)`.

    >>> lca_number_of_parameters(2, [2] * 7)  # poLCA's carcinoma model, 2 classes
    15
    """
    return (k - 1) + k * int(sum(c - 1 for c in categories))


@dataclasses.dataclass(frozen=True)
class LCAResult(Result):
    """Latent class models over k, the one chosen, and its three-step covariate and distal
    models.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``k``: ``loglik``, ``npar``, ``bic`` (``-2 logL + npar log n``), ``aic``,
        ``sabic`` (``n`` replaced by ``(n + 2) / 24``), ``icl`` (BIC plus twice the
        classification entropy of the modal assignment, as mclust's ICL with our sign),
        ``entropy`` (relative, Mplus's: 1 = every member clearly in one class; NaN for k = 1),
        ``min_share`` (smallest share of members in a modal class), ``starts``,
        ``starts_at_best`` (starts within 1e-3 of the best log-likelihood), ``boundary``
        (response probabilities within 1e-6 of 0 or 1) and ``converged``. Lower is better for
        bic, aic, sabic and icl.
    k : int
        The chosen number of classes.
    chosen_by : str
        The rule in words.
    indicators : tuple of str
        The indicator columns.
    categories : dict
        Indicator -> its observed categories, in order (the codes 0..C-1 StepMix saw).
    n : int
        Members analysed.
    class_shares : pandas.Series
        The model's class proportions (classes numbered 1..k by modal size, largest first).
    response_probabilities : pandas.DataFrame
        Indexed by (``indicator``, ``category``), one column per class: P(category | class).
    posterior : pandas.DataFrame
        Members (rows, the input's index) by class: posterior membership probabilities.
    classification : numpy.ndarray
        Modal class (1..k) of each member.
    uncertainty : numpy.ndarray
        1 - the largest posterior probability of each member.
    covariate_effects : pandas.DataFrame or None
        Three-step multinomial logit, one row per (``class``, ``term``) for classes 2..k
        against class 1: ``estimate`` (log-odds), ``se``, ``z``, ``p``, ``ci_low``,
        ``ci_high``, ``odds_ratio``.
    distal_means : pandas.DataFrame or None
        One row per (``outcome``, ``class``): ``mean``, ``se``, ``ci_low``, ``ci_high``.
    correction : str
        BCH or ML.
    n_boot : int
        Bootstrap replicates behind the three-step standard errors.
    n_init, seed : int
        EM starts per k and the seed of the starts and the bootstrap.
    start_logliks : dict
        k -> log-likelihood reached by each start.
    fits : dict
        k -> the fitted ``stepmix.StepMix`` measurement model (``model`` is the chosen one).
    warning_messages : tuple of str
        Starts that disagree, boundary estimates, the rule relaxed, the chosen k at the edge.
    """

    table: pd.DataFrame
    k: int
    chosen_by: str
    indicators: tuple[str, ...]
    categories: dict[str, tuple[Any, ...]]
    n: int
    class_shares: pd.Series
    response_probabilities: pd.DataFrame
    posterior: pd.DataFrame
    classification: np.ndarray
    uncertainty: np.ndarray
    covariate_effects: pd.DataFrame | None
    distal_means: pd.DataFrame | None
    correction: str
    n_boot: int
    n_init: int
    seed: int | None
    start_logliks: dict[int, np.ndarray]
    fits: dict[int, Any]
    model: Any
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def class_sizes(self) -> pd.DataFrame:
        """Per class: modal ``size``, its ``share``, the model's ``proportion`` and the mean
        classification ``uncertainty`` of its members."""
        rows = []
        for c in range(1, self.k + 1):
            members = self.classification == c
            rows.append(
                {
                    "size": int(members.sum()),
                    "share": float(members.mean()),
                    "proportion": float(self.class_shares[c]),
                    "mean_uncertainty": float(self.uncertainty[members].mean())
                    if members.any()
                    else math.nan,
                }
            )
        return pd.DataFrame(rows, index=pd.RangeIndex(1, self.k + 1, name="class"))

    def expected_scores(self) -> pd.DataFrame:
        """Class (rows) by indicator: the class's expected score sum_c P(c | class) x c, for
        indicators with numeric categories (Likert items); others are left out."""
        out = {}
        for item in self.indicators:
            cats = self.categories[item]
            if not all(isinstance(c, (int, float, np.integer, np.floating)) for c in cats):
                continue
            probs = self.response_probabilities.loc[item]
            values = np.asarray(cats, dtype=float)
            out[item] = values @ probs.to_numpy()
        frame = pd.DataFrame(out, index=pd.RangeIndex(1, self.k + 1, name="class"))
        return frame

    def summary(self) -> str:
        text = (
            f"Latent class analysis of {len(self.indicators)} indicators, n = {self.n}: "
            f"k = {self.k} ({self.chosen_by}).\n\n"
            + self.table.to_string(float_format=lambda v: f"{v:.3f}")
            + "\n\nClass sizes:\n"
            + self.class_sizes().to_string(float_format=lambda v: f"{v:.3f}")
        )
        if self.covariate_effects is not None:
            text += (
                f"\n\nCovariates (three-step, {self.correction}; bootstrap SE, "
                f"{self.n_boot} replicates; log-odds against class 1):\n"
                + self.covariate_effects.to_string(float_format=lambda v: f"{v:.3f}")
            )
        if self.distal_means is not None:
            text += (
                f"\n\nDistal outcomes (three-step, {self.correction}):\n"
                + self.distal_means.to_string(float_format=lambda v: f"{v:.3f}")
            )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        probs = {
            str(item): {
                str(cat): {str(c): float(v) for c, v in row.items()}
                for cat, row in self.response_probabilities.loc[item].iterrows()
            }
            for item in self.indicators
        }
        out: dict[str, Any] = {
            "k": self.k,
            "chosen_by": self.chosen_by,
            "n": self.n,
            "indicators": list(self.indicators),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "criteria": self.table,
            "bic_convention": "bic = -2 logL + npar log(n); lower is better",
            "class_shares": self.class_shares,
            "response_probabilities": probs,
            "correction": self.correction,
            "n_init": self.n_init,
            "seed": self.seed,
            "se_method": f"nonparametric bootstrap of the three-step estimator ({self.n_boot} "
            "replicates, classes aligned to the full-sample fit)"
            if self.n_boot > 0
            else "none (n_boot = 0)",
            "covariates": None
            if self.covariate_effects is None
            else [
                {"class": c, "term": t, **row.to_dict()}
                for (c, t), row in self.covariate_effects.iterrows()
            ],
            "distal": None
            if self.distal_means is None
            else [
                {"outcome": o, "class": c, **row.to_dict()}
                for (o, c), row in self.distal_means.iterrows()
            ],
            "warnings": list(self.warnings),
        }
        return jsonable(out)


# --------------------------------------------------------------------------- input
def _indicator_codes(
    frame: pd.DataFrame, indicators: Sequence[str], max_categories: int
) -> tuple[np.ndarray, dict[str, tuple[Any, ...]]]:
    """Integer codes 0..C_j-1 per indicator (categories as observed, in order)."""
    codes = np.empty((len(frame), len(indicators)), dtype=int)
    categories: dict[str, tuple[Any, ...]] = {}
    for j, col in enumerate(indicators):
        s = frame[col]
        if s.isna().any():
            row = int(np.flatnonzero(s.isna().to_numpy())[0]) + 1
            raise InputError(
                f"The indicator has {int(s.isna().sum())} missing value(s); the latent class "
                "analysis needs an answer from every member on every indicator.",
                column=str(col),
                row=row,
                hint="Drop the incomplete members first (the segmentation study does so, "
                "listwise, and counts them).",
            )
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = [c for c in s.cat.categories if (s == c).any()]
        else:
            try:
                cats = sorted(s.unique().tolist())
            except TypeError:
                cats = sorted(s.astype(str).unique().tolist())
                s = s.astype(str)
        if len(cats) < 2:
            raise InputError(
                f"The indicator has one category ({cats[0]!r}) for every member, so it cannot "
                "separate classes.",
                column=str(col),
                hint="Remove it from the indicators.",
            )
        if len(cats) > max_categories:
            raise InputError(
                f"The indicator has {len(cats)} distinct values; a latent class indicator "
                f"needs at most {max_categories} categories.",
                column=str(col),
                hint="Use categorical or Likert columns; band a continuous variable first, "
                "or analyse it by latent profiles (method='lpa').",
            )
        lookup = {c: i for i, c in enumerate(cats)}
        codes[:, j] = s.map(lookup).to_numpy(dtype=int)
        categories[str(col)] = tuple(_plain(c) for c in cats)
    return codes, categories


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones; whole floats (Likert answers read beside blanks) as int."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _covariate_matrix(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric covariates as they are; text or categorical ones as 0/1 dummies (first level
    the reference), named ``column[level]``."""
    parts = []
    for col in covariates:
        s = frame[col]
        if s.isna().any():
            row = int(np.flatnonzero(s.isna().to_numpy())[0]) + 1
            raise InputError(
                "The covariate has missing values; the three-step model needs it for every "
                "member analysed.",
                column=str(col),
                row=row,
                hint="Drop the members without it first, or leave the covariate out.",
            )
        if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            if s.nunique() < 2:
                raise InputError(
                    "The covariate is constant, so it cannot predict class membership.",
                    column=str(col),
                    hint="Remove it from `covariates`.",
                )
            parts.append(s.astype(float).rename(str(col)))
        else:
            levels = (
                [c for c in s.cat.categories if (s == c).any()]
                if isinstance(s.dtype, pd.CategoricalDtype)
                else sorted(s.astype(str).unique().tolist())
            )
            if len(levels) < 2:
                raise InputError(
                    "The covariate has one level for every member.",
                    column=str(col),
                    hint="Remove it from `covariates`.",
                )
            text = s.astype(str)
            for level in levels[1:]:
                parts.append((text == str(level)).astype(float).rename(f"{col}[{level}]"))
    return pd.concat(parts, axis=1)


def _distal_matrix(frame: pd.DataFrame, distal: Sequence[str]) -> pd.DataFrame:
    cols = []
    for col in distal:
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            raise InputError(
                "The distal outcome is not numeric; its class means need numbers.",
                column=str(col),
                hint="Use a numeric outcome (a 0/1 column gives class proportions).",
            )
        if s.isna().any():
            row = int(np.flatnonzero(s.isna().to_numpy())[0]) + 1
            raise InputError(
                "The distal outcome has missing values.",
                column=str(col),
                row=row,
                hint="Drop the members without it first, or leave it out of `distal`.",
            )
        cols.append(s.astype(float).rename(str(col)))
    return pd.concat(cols, axis=1)


# --------------------------------------------------------------------------- fitting
def _one_hot(codes: np.ndarray, max_outcomes: int) -> np.ndarray:
    """StepMix's categorical layout: column ``j * max_outcomes + r`` is 1 when item j = r
    (encoded once here instead of at every EM iteration)."""
    n, p = codes.shape
    out = np.zeros((n, p * max_outcomes))
    out[np.arange(n)[:, None], np.arange(p)[None, :] * max_outcomes + codes] = 1.0
    return out


def _stepmix(
    k: int, n_init: int, seed: int | None, max_outcomes: int, total: int, **kwargs: Any
) -> Any:
    from stepmix import StepMix  # type: ignore[import-untyped]  # no stubs; not in pyproject overrides

    return StepMix(
        n_components=k,
        measurement="categorical",
        measurement_params={
            "integer_codes": False,
            "max_n_outcomes": max_outcomes,
            "total_outcomes": total,
        },
        n_init=n_init,
        random_state=seed,
        progress_bar=0,
        verbose=0,
        max_iter=5000,
        abs_tol=1e-10,
        **kwargs,
    )


def _quiet_fit(
    model: Any, x: np.ndarray, weights: np.ndarray | None = None, y: Any = None
) -> list[str]:
    """Fit, turning StepMix's convergence warnings into messages."""
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        model.fit(x, y, sample_weight=weights)
    return [str(w.message) for w in caught if "converge" in str(w.message).lower()]


def _pis(model: Any, n_items: int, max_outcomes: int) -> np.ndarray:
    """Response probabilities as (class, item, code)."""
    pis = np.asarray(model._mm.get_parameters()["pis"], dtype=float)
    return pis.reshape(pis.shape[0], n_items, max_outcomes)


def _align(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """perm with other[perm[i]] closest to reference[i] (classes by response probabilities)."""
    a = reference.reshape(reference.shape[0], -1)
    b = other.reshape(other.shape[0], -1)
    cost = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(len(rows), dtype=int)
    perm[rows] = cols
    return perm


def _criteria(loglik: float, npar: int, n: int, post: np.ndarray) -> dict[str, float]:
    k = post.shape[1]
    bic = -2.0 * loglik + npar * math.log(n)
    zmax = post.max(axis=1)
    icl = bic - 2.0 * float(np.sum(np.log(np.clip(zmax, 1e-300, None))))
    if k > 1:
        zlogz = np.where(post > 0, post * np.log(np.clip(post, 1e-300, None)), 0.0)
        entropy = 1.0 - float(-zlogz.sum()) / (n * math.log(k))
    else:
        entropy = math.nan
    return {
        "bic": bic,
        "aic": -2.0 * loglik + 2.0 * npar,
        "sabic": -2.0 * loglik + npar * math.log((n + 2) / 24),
        "icl": icl,
        "entropy": entropy,
    }


def latent_class_analysis(
    data: pd.DataFrame,
    indicators: Sequence[str],
    *,
    k_range: Iterable[int] = range(1, 7),
    covariates: Sequence[str] = (),
    distal: Sequence[str] = (),
    correction: Correction = "BCH",
    min_share: float = 0.05,
    n_init: int = 10,
    n_boot: int = 100,
    max_categories: int = MAX_CATEGORIES,
    seed: int | None = 2026,
) -> LCAResult:
    """Latent class analysis (LCA) of categorical or Likert indicators, choosing the number of
    classes by BIC, with covariates and distal outcomes by the bias-adjusted three-step method.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per member, complete on the indicators, covariates and distal outcomes.
    indicators : sequence of str
        Categorical or Likert columns; each column's categories are those observed (2 to
        ``max_categories``), ordered (numbers) or sorted (text), or a pandas Categorical's order.
    k_range : iterable of int
        Numbers of classes to fit (default 1..6).
    covariates : sequence of str
        Columns predicting class membership (multinomial logit, class 1 the reference);
        text or categorical ones enter as 0/1 dummies.
    distal : sequence of str
        Numeric outcomes whose class means are estimated.
    correction : {"BCH", "ML"}
        Bias correction of the three-step method (Vermunt 2010; Bakk, Tekle & Vermunt 2013).
    min_share : float
        The rule keeps only solutions whose every modal class holds at least this share.
    n_init : int
        EM starts per k (random responsibilities); the best log-likelihood is kept.
    n_boot : int
        Nonparametric bootstrap replicates of the whole three-step estimator for the standard
        errors of the covariate effects and distal means (0 = none).
    max_categories : int
        An indicator with more distinct values is refused.
    seed : int, optional
        Seed of the starts and the bootstrap.

    Returns
    -------
    LCAResult

    Raises
    ------
    InputError
        A missing value, an indicator with one category or too many, a constant covariate, a
        non-numeric distal outcome (each naming the column).

    Notes
    -----
    The model: :math:`P(y_i) = \\sum_c \\pi_c \\prod_j \\prod_r \\rho_{jrc}^{[y_{ij} = r]}`
    with class proportions :math:`\\pi_c` and response probabilities :math:`\\rho_{jrc}`;
    :math:`p = (k - 1) + k \\sum_j (C_j - 1)` free parameters.
    :math:`\\mathrm{BIC} = -2\\ell + p \\log n` (lower is better; poLCA's sign),
    :math:`\\mathrm{AIC} = -2\\ell + 2p`, :math:`\\mathrm{SABIC} = -2\\ell + p \\log((n+2)/24)`,
    :math:`\\mathrm{ICL} = \\mathrm{BIC} - 2\\sum_i \\log \\max_c z_{ic}`; relative entropy
    :math:`1 - \\sum_i\\sum_c -z_{ic}\\log z_{ic} / (n\\log k)` (Mplus). Classes are numbered
    by modal size, largest first. EM is run by StepMix from ``n_init`` random starts; when
    fewer than two starts reach the best log-likelihood (within 1e-3) the result says so, as it
    does for response probabilities on the boundary (within 1e-6 of 0 or 1).

    Three-step: the measurement model is fitted without the covariates and outcomes (step 1),
    members are assigned modally (step 2), and the covariate or distal model is fitted to the
    assignments with the classification error corrected (step 3): BCH weights the members by
    the inverse of the classification-error matrix (Vermunt 2010), ML fixes the error
    probabilities in a latent class model for the assignments (Bakk et al. 2013). StepMix
    reports no analytic standard errors for step 3, so they come from a nonparametric
    bootstrap of all three steps with the classes of each replicate aligned to the full-sample
    fit; intervals are estimate ± 1.96 SE and p-values from z = estimate / SE.

    References
    ----------
    Linzer, D. A. & Lewis, J. B. (2011), poLCA, J. Stat. Softw. 42(10) (R:
    ``poLCA::poLCA(cbind(...) ~ 1, data, nclass = k, nrep = n_init)``); Morin, S., Legault, R.,
    Laliberté, F., Bakk, Z., Giguère, C.-É., de la Sablonnière, R. & Lacourse, É. (2025),
    StepMix, J. Stat. Softw. 113(8), doi:10.18637/jss.v113.i08; Vermunt, J. K. (2010), Political Analysis 18, 450-469;
    Bakk, Z., Tekle, F. B. & Vermunt, J. K. (2013), Sociological Methodology 43, 272-311;
    Nylund-Gibson, K. & Choi, A. Y. (2018), ten frequently asked questions about LCA.
    Binary models are tested against R ``e1071::lca`` (``tests/reference/r_lca.R``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> truth = rng.integers(0, 2, 300)
    >>> items = pd.DataFrame(
    ...     (rng.random((300, 5)) < np.where(truth[:, None] == 1, 0.9, 0.1)).astype(int),
    ...     columns=list("abcde"))
    >>> res = latent_class_analysis(items, list("abcde"), k_range=range(1, 4), n_init=3)
    >>> res.k
    2
    """
    check_choice("correction", correction, CORRECTIONS)
    indicators = [str(c) for c in indicators]
    if not indicators:
        raise InputError(
            "No indicators were given to the latent class analysis.",
            hint="Name the categorical or Likert columns in `indicators`.",
        )
    for col in [*indicators, *covariates, *distal]:
        if col not in data.columns:
            raise InputError(
                "A column named for the latent class analysis is not in the data.",
                column=str(col),
                hint="Check the spelling; the data have "
                + ", ".join(map(str, list(data.columns)[:12]))
                + ("..." if data.shape[1] > 12 else "")
                + ".",
            )
    codes, categories = _indicator_codes(data, indicators, max_categories)
    n = codes.shape[0]
    sizes = [len(categories[c]) for c in indicators]
    max_out = max(sizes)
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 1:
        raise InputError(
            "k_range must hold numbers of classes of at least 1.",
            hint="e.g. k_range=range(1, 7).",
        )
    notes: list[str] = []
    rows, fits, starts = [], {}, {}
    # EM on the distinct answer patterns weighted by their counts (the same likelihood)
    patterns, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    inverse = np.asarray(inverse).ravel()
    patterns = _one_hot(patterns, max_out)
    weights = counts.astype(float)
    valid = np.zeros((len(indicators), max_out), dtype=bool)
    for j, c in enumerate(sizes):
        valid[j, :c] = True
    for k in ks:
        npar = lca_number_of_parameters(k, sizes)
        if npar >= n:
            notes.append(
                f"k = {k} was not fitted: its {npar} parameters are not fewer than the {n} members."
            )
            continue
        model = _stepmix(k, n_init if k > 1 else 1, seed, max_out, sum(sizes))
        conv = _quiet_fit(model, patterns, weights)
        post = model.predict_proba(patterns)[inverse]
        modal = post.argmax(axis=1)
        order = np.argsort(-np.bincount(modal, minlength=k), kind="stable")
        model.permute_classes(order)
        post = model.predict_proba(patterns)[inverse]
        loglik = float(model.score(patterns, sample_weight=weights)) * n
        lls = np.asarray(model.lower_bound_buffer_, dtype=float) * n
        probs = _pis(model, len(indicators), max_out)
        on_edge = (probs < BOUNDARY) | (probs > 1 - BOUNDARY)
        boundary = int((on_edge & valid[None]).sum())
        share = np.bincount(post.argmax(axis=1), minlength=k) / n
        at_best = int(np.sum(lls >= lls.max() - LOGLIK_TOL))
        rows.append(
            {
                "k": k,
                "loglik": loglik,
                "npar": npar,
                **_criteria(loglik, npar, n, post),
                "min_share": float(share.min()),
                "starts": len(lls),
                "starts_at_best": at_best,
                "boundary": boundary,
                "converged": bool(model.converged_) and not conv,
            }
        )
        fits[k], starts[k] = model, lls
        if conv:
            notes.append(f"k = {k}: EM did not converge from any start ({conv[0]})")
    if not rows:
        raise InputError(
            f"No number of classes could be fitted to {n} members.",
            hint="Use fewer indicators or categories, or more members.",
        )
    table = pd.DataFrame(rows).set_index("k")
    ok = table[table["min_share"] >= min_share]
    rule = f"lowest BIC with no class under {min_share:.0%} of the members"
    if ok.empty:
        ok = table
        notes.append(
            f"No solution has every class at or above {min_share:.0%} of the members; the "
            "rule was relaxed to the lowest BIC."
        )
    k = int(ok["bic"].idxmin())
    if k == max(table.index) and len(table) > 1:
        notes.append(
            f"The chosen number of classes ({k}) is the largest fitted: try a larger k_range."
        )
    for kk, row in table.iterrows():
        best_ll = float(starts[kk].max()) if kk in starts else math.nan
        if kk > 1 and row["starts_at_best"] < 2:
            notes.append(
                f"k = {kk}: only {row['starts_at_best']} of {row['starts']} starts reached the "
                f"best log-likelihood ({row['loglik']:.3f}; others: "
                + ", ".join(
                    f"{v:.3f}"
                    for v in sorted(
                        set(np.round(starts[kk][starts[kk] < best_ll - LOGLIK_TOL], 3))
                    )[-3:]
                )
                + "); it may be a local maximum: raise n_init."
            )
    model = fits[k]
    probs = _pis(model, len(indicators), max_out)
    classes = pd.RangeIndex(1, k + 1, name="class")
    index = pd.MultiIndex.from_tuples(
        [(item, cat) for item in indicators for cat in categories[item]],
        names=["indicator", "category"],
    )
    rp = pd.DataFrame(
        [probs[:, j, r] for j, item in enumerate(indicators) for r in range(sizes[j])],
        index=index,
        columns=classes,
    )
    edge = [
        f"{item} = {cat!r} in class {c}"
        for (item, cat), row in rp.iterrows()
        for c, v in row.items()
        if v < BOUNDARY or v > 1 - BOUNDARY
    ]
    if edge:
        notes.append(
            f"{len(edge)} response probabilit{'y is' if len(edge) == 1 else 'ies are'} on the "
            "boundary (0 or 1): "
            + "; ".join(edge[:5])
            + ("; ..." if len(edge) > 5 else "")
            + " (the class never, or always, gives that answer). Such estimates have no "
            "usable standard error; with many categories and few members they are common, "
            "with few they can mean a class is defined by a single answer pattern."
        )
    post = model.predict_proba(patterns)[inverse]
    posterior = pd.DataFrame(post, index=data.index, columns=classes)
    classification = post.argmax(axis=1) + 1
    uncertainty = 1.0 - post.max(axis=1)
    shares = pd.Series(np.asarray(model.weights_, dtype=float), index=classes, name="proportion")

    cov_table = dist_table = None
    if (covariates or distal) and k == 1:
        notes.append("One class was chosen, so there is no covariate or distal-outcome model.")
    elif covariates or distal:
        reference = probs
        onehot = _one_hot(codes, max_out)
        if covariates:
            y = _covariate_matrix(data, covariates)
            cov_table, extra = _three_step_covariates(
                onehot, y, k, correction, n_init, seed, max_out, reference, n_boot
            )
            notes += extra
        if distal:
            y = _distal_matrix(data, distal)
            dist_table, extra = _three_step_distal(
                onehot, y, k, correction, n_init, seed, max_out, reference, n_boot
            )
            notes += extra

    return LCAResult(
        table=table,
        k=k,
        chosen_by=rule,
        indicators=tuple(indicators),
        categories=categories,
        n=n,
        class_shares=shares,
        response_probabilities=rp,
        posterior=posterior,
        classification=classification,
        uncertainty=uncertainty,
        covariate_effects=cov_table,
        distal_means=dist_table,
        correction=correction,
        n_boot=n_boot,
        n_init=n_init,
        seed=seed,
        start_logliks=starts,
        fits=fits,
        model=model,
        warning_messages=tuple(dict.fromkeys(notes)),
    )


# --------------------------------------------------------------------------- three-step
def _three_step_model(
    codes: np.ndarray,
    y: pd.DataFrame,
    k: int,
    structural: str,
    correction: str,
    n_init: int,
    seed: int | None,
    max_out: int,
    reference: np.ndarray,
) -> tuple[Any, list[str]]:
    params = {"max_iter": 100, "tol": 1e-8} if structural == "covariate" else None
    model = _stepmix(
        k,
        n_init,
        seed,
        max_out,
        int((codes.sum(axis=0) > 0).sum()),
        structural=structural,
        structural_params=params,
        n_steps=3,
        correction=correction,
        assignment="modal",
    )
    notes = _quiet_fit(model, codes, None, y)
    model.permute_classes(_align(reference, _pis(model, codes.shape[1] // max_out, max_out)))
    gap = float(np.abs(_pis(model, codes.shape[1] // max_out, max_out) - reference).max())
    if gap > 0.02:  # beyond the EM stopping noise (about 1e-3 on flat likelihoods)
        notes.append(
            f"The {structural} model's first step (the classes refitted from the items) reached "
            f"a different solution from the one described (response probabilities differ by up "
            f"to {gap:.3f}); its three-step estimates refer to those classes: raise n_init."
        )
    return model, notes


def _bootstrap(model: Any, codes: np.ndarray, y: pd.DataFrame, n_boot: int, seed: int | None):
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        samples, _ = model.bootstrap(
            codes, y, n_repetitions=n_boot, progress_bar=False, random_state=seed
        )
    return samples.loc["structural"]


def _wald(est: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    return {
        "se": se,
        "z": z,
        "p": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": est - 1.959963984540054 * se,
        "ci_high": est + 1.959963984540054 * se,
    }


def _three_step_covariates(
    codes: np.ndarray,
    y: pd.DataFrame,
    k: int,
    correction: str,
    n_init: int,
    seed: int | None,
    max_out: int,
    reference: np.ndarray,
    n_boot: int,
) -> tuple[pd.DataFrame, list[str]]:
    """Multinomial logit of class membership on the covariates, classes 2..k vs class 1."""
    model, notes = _three_step_model(
        codes, y, k, "covariate", correction, n_init, seed, max_out, reference
    )
    beta = np.asarray(model._sm.get_parameters()["beta"], dtype=float)  # (k, 1 + q)
    terms = ["intercept", *y.columns]
    est = (beta[1:] - beta[0]).ravel()
    se = np.full(est.shape, math.nan)
    if n_boot > 0:
        boot = _bootstrap(model, codes, y, n_boot, seed)
        b = boot.reset_index().pivot_table(
            index="rep", columns=["class_no", "variable"], values="value"
        )
        draws = np.stack(
            [np.stack([b[(c, t)].to_numpy() for t in terms], axis=1) for c in range(k)],
            axis=1,
        )  # (rep, class, term)
        contrasts = (draws[:, 1:, :] - draws[:, :1, :]).reshape(len(b), -1)
        se = contrasts.std(axis=0, ddof=1)
    index = pd.MultiIndex.from_tuples(
        [(c, t) for c in range(2, k + 1) for t in terms], names=["class", "term"]
    )
    table = pd.DataFrame({"estimate": est, **_wald(est, se)}, index=index)
    table["odds_ratio"] = np.exp(table["estimate"])
    return table, notes


def _three_step_distal(
    codes: np.ndarray,
    y: pd.DataFrame,
    k: int,
    correction: str,
    n_init: int,
    seed: int | None,
    max_out: int,
    reference: np.ndarray,
    n_boot: int,
) -> tuple[pd.DataFrame, list[str]]:
    """Class means of each distal outcome (a normal model with class-specific variances)."""
    model, notes = _three_step_model(
        codes, y, k, "gaussian_diag", correction, n_init, seed, max_out, reference
    )
    means = np.asarray(model._sm.get_parameters()["means"], dtype=float)  # (k, d)
    se = np.full(means.shape, math.nan)
    if n_boot > 0:
        boot = _bootstrap(model, codes, y, n_boot, seed)
        m = boot.xs("means", level="param").reset_index()
        b = m.pivot_table(index="rep", columns=["class_no", "variable"], values="value")
        se = np.array([[b[(c, v)].std(ddof=1) for v in y.columns] for c in range(k)], dtype=float)
    rows = []
    for j, v in enumerate(y.columns):
        for c in range(k):
            rows.append({"outcome": v, "class": c + 1, "mean": means[c, j], "se": se[c, j]})
    table = pd.DataFrame(rows).set_index(["outcome", "class"])
    wald = _wald(table["mean"].to_numpy(), table["se"].to_numpy())
    table["ci_low"], table["ci_high"] = wald["ci_low"], wald["ci_high"]
    return table, notes
