"""PLSpredict and CVPAT: out-of-sample prediction of the endogenous constructs' indicators.

:func:`predict_pls` is Shmueli et al.'s (2016) PLSpredict as R seminr's ``predict_pls`` runs it:
k-fold cross-validation, repeated with new seeded fold assignments, each fold's model estimated
on the training folds only, the endogenous indicators of the test fold predicted from its
exogenous (or antecedent) indicators, and compared with the naive training mean (Q²predict) and
the linear-model (LM) benchmark (Shmueli et al. 2019). :func:`cvpat` runs the cross-validated
predictive ability test (CVPAT; Liengaard et al. 2021; Sharma et al. 2023) on the same
predictions: the average loss of PLS against the indicator-average (IA) and LM benchmarks, with
the paired t test of the loss differences and its bootstrap version.

No leakage: everything a prediction uses is computed from the training folds alone: the mean
replacement of missing answers (training means, applied to training and test rows), the means
and SDs that standardize the items, the outer weights, loadings and paths, the LM coefficients,
and the IA / naive benchmark (the training means). A test row contributes only its own
predictor items. (seminr's ``predict_pls`` cross-validates the data its model was estimated on,
i.e. after mean replacement on the full sample; pass data completed beforehand to reproduce
that.)
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.pls.bootstrap import block_generator
from workbench.pls.data import Missing, PLSData, _numeric, _prepared
from workbench.pls.estimation import (
    Estimator,
    InnerWeighting,
    PLSConvergenceWarning,
    PLSPlan,
    PLSResult,
    estimate_pls,
    fit_correlation,
)
from workbench.pls.specification import PLSModel, specify_model
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice

__all__ = [
    "ALTERNATIVES",
    "LM_PREDICTORS",
    "TECHNIQUES",
    "CVPATResult",
    "FoldFit",
    "PLSPredictResult",
    "cvpat",
    "predict_pls",
]

Technique = Literal["EA", "DA"]
TECHNIQUES = ("EA", "DA")
LMPredictors = Literal["exogenous", "antecedents"]
LM_PREDICTORS = ("exogenous", "antecedents")
Alternative = Literal["two-sided", "greater"]
ALTERNATIVES = ("two-sided", "greater")
#: the metric columns of the indicator table (results.json keys)
ITEM_COLUMNS = ("pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict")


@dataclasses.dataclass(frozen=True)
class FoldFit:
    """The training-fold estimates of one fold (everything its predictions used).

    Attributes
    ----------
    rep, fold : int
        Repetition and fold number (0-based).
    test_rows : numpy.ndarray
        Positions of the test rows.
    mean, sd : numpy.ndarray
        ``(p,)`` training means (after the training mean replacement) and SDs (``n - 1``).
    weights, loadings : numpy.ndarray
        ``(p,)`` outer weights and loadings of the training fit.
    path_matrix : numpy.ndarray
        ``(m, m)`` its path coefficients.
    lm_coefficients : dict
        ``{construct: (1 + q, k) array}``: intercept and slopes of the LM benchmark.
    converged : bool
    failure : str
        Why the fold could not be estimated ("" when it was); its test rows then have no
        prediction in this repetition.
    """

    rep: int
    fold: int
    test_rows: np.ndarray = dataclasses.field(repr=False)
    mean: np.ndarray = dataclasses.field(repr=False)
    sd: np.ndarray = dataclasses.field(repr=False)
    weights: np.ndarray = dataclasses.field(repr=False)
    loadings: np.ndarray = dataclasses.field(repr=False)
    path_matrix: np.ndarray = dataclasses.field(repr=False)
    lm_coefficients: dict[str, np.ndarray] = dataclasses.field(repr=False)
    converged: bool = True
    failure: str = ""


# ----------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PLSPredictResult(Result):
    """Cross-validated predictions of a PLS path model (:func:`predict_pls`).

    Attributes
    ----------
    items : pandas.DataFrame
        Indexed by endogenous indicator: ``construct``, ``pls_rmse``, ``pls_mae``, ``lm_rmse``,
        ``lm_mae``, ``q2_predict``, ``pls_better_rmse``, ``pls_better_mae`` (bool), ``n``
        (predicted answers). Out of sample.
    constructs : pandas.DataFrame
        Indexed by endogenous construct, pooling its indicators: ``n_items``, ``pls_rmse``,
        ``pls_mae``, ``lm_rmse``, ``lm_mae``, ``q2_predict``, ``items_pls_better`` (indicators
        with a lower PLS than LM RMSE), ``q2_all_positive``, ``predictive_power`` (Shmueli et
        al. 2019: ``high``, ``medium``, ``low``, ``none``; see :func:`predict_pls`).
    in_sample : pandas.DataFrame
        Indexed by indicator: ``pls_rmse``, ``pls_mae``, ``lm_rmse``, ``lm_mae`` of the
        training fits' predictions of their own rows (seminr's in-sample columns).
    actual : pandas.DataFrame
        The endogenous indicators as answered (NaN = missing, not scored), rows as the data.
    pls, lm, ia : pandas.DataFrame
        Out-of-sample predictions (averaged over the repetitions) by PLS, the LM benchmark and
        the indicator average (the training mean: the naive benchmark of Q²predict and CVPAT's
        IA benchmark).
    folds : numpy.ndarray
        ``(n_reps, n)`` the fold of each row in each repetition.
    fold_fits : tuple of FoldFit
        The training estimates of every fold.
    fit : PLSResult
        The model estimated on all the data (not used for any prediction).
    technique, lm_predictors, n_folds, n_reps, seed
        The settings (``n_folds`` = n for leave-one-out).
    warning_messages : tuple of str
    """

    items: pd.DataFrame = dataclasses.field(repr=False)
    constructs: pd.DataFrame = dataclasses.field(repr=False)
    in_sample: pd.DataFrame = dataclasses.field(repr=False)
    actual: pd.DataFrame = dataclasses.field(repr=False)
    pls: pd.DataFrame = dataclasses.field(repr=False)
    lm: pd.DataFrame = dataclasses.field(repr=False)
    ia: pd.DataFrame = dataclasses.field(repr=False)
    folds: np.ndarray = dataclasses.field(repr=False)
    fold_fits: tuple[FoldFit, ...] = dataclasses.field(repr=False)
    fit: PLSResult = dataclasses.field(repr=False)
    technique: Technique
    lm_predictors: LMPredictors
    n_folds: int
    n_reps: int
    seed: int
    warning_messages: tuple[str, ...] = ()

    @property
    def model(self) -> PLSResult:
        """The full-sample fit."""
        return self.fit

    def to_frame(self) -> pd.DataFrame:
        """The indicator table (``items``)."""
        return self.items.copy()

    def cvpat(
        self, *, alternative: Alternative = "two-sided", n_boot: int = 2000, seed: int = 2026
    ) -> CVPATResult:
        """CVPAT of these predictions (:func:`cvpat`)."""
        return cvpat(self, alternative=alternative, n_boot=n_boot, seed=seed)

    def summary(self) -> str:
        loo = self.n_folds == len(self.actual)
        design = "leave-one-out" if loo else f"{self.n_folds} folds x {self.n_reps} repetitions"
        lines = [
            f"PLSpredict ({self.technique}, {design}, seed {self.seed}); LM benchmark on the "
            f"{self.lm_predictors} constructs' indicators; n = {len(self.actual)}",
            "",
            self.items[["construct", *ITEM_COLUMNS]].to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            self.constructs.to_string(float_format=lambda v: f"{v:.3f}"),
        ]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """``predict {item: {pls_rmse, pls_mae, lm_rmse, lm_mae, q2_predict}}`` (the issue's
        results.json keys), ``predict_constructs {construct: {...}}`` and
        ``predict_settings``."""
        return jsonable(
            {
                "predict": self.items[list(ITEM_COLUMNS)].to_dict(orient="index"),
                "predict_constructs": self.constructs.to_dict(orient="index"),
                "predict_settings": {
                    "technique": self.technique,
                    "lm_predictors": self.lm_predictors,
                    "n_folds": self.n_folds,
                    "n_reps": self.n_reps,
                    "seed": self.seed,
                    "n": len(self.actual),
                },
                "warnings": self.warnings,
            }
        )


@dataclasses.dataclass(frozen=True)
class CVPATResult(Result):
    """The cross-validated predictive ability test (:func:`cvpat`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per benchmark (``IA``, ``LM``) and endogenous construct, plus ``overall``:
        ``benchmark``, ``construct``, ``n``, ``pls_loss``, ``benchmark_loss``, ``diff`` (=
        ``benchmark_loss - pls_loss``: positive when PLS predicts better; seminr's "Diff" is
        its negative), ``t`` (paired t of the loss differences), ``df``, ``p``, ``boot_t`` and
        ``boot_p`` (the bootstrap-variance version), ``pls_better`` (``p < 0.05`` and
        ``diff > 0``).
    alternative : {"two-sided", "greater"}
    n_boot, seed : int
        Bootstrap of the mean loss difference.
    warning_messages : tuple of str
    """

    table: pd.DataFrame = dataclasses.field(repr=False)
    alternative: Alternative
    n_boot: int
    seed: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """``cvpat {IA|LM: {construct|overall: {pls_loss, benchmark_loss, diff, t, df, p,
        boot_t, boot_p, pls_better}}, alternative, n_boot, seed}``."""
        out: dict[str, Any] = {}
        for _, row in self.table.iterrows():
            out.setdefault(row["benchmark"], {})[row["construct"]] = {
                k: row[k]
                for k in (
                    "n",
                    "pls_loss",
                    "benchmark_loss",
                    "diff",
                    "t",
                    "df",
                    "p",
                    "boot_t",
                    "boot_p",
                    "pls_better",
                )
            }
        return jsonable(
            {
                "cvpat": out,
                "alternative": self.alternative,
                "n_boot": self.n_boot,
                "seed": self.seed,
                "warnings": self.warnings,
            }
        )


# ----------------------------------------------------------------------------
# The cross-validation
# ----------------------------------------------------------------------------


def _topological(plan: PLSPlan) -> list[int]:
    """Endogenous constructs, each after all its predecessors."""
    done = {int(c) for c in range(len(plan.constructs)) if len(plan.predecessors[c]) == 0}
    order: list[int] = []
    pending = [int(j) for j in plan.endogenous]
    while pending:
        for j in pending:
            if all(int(i) in done for i in plan.predecessors[j]):
                order.append(j)
                done.add(j)
                pending.remove(j)
                break
    return order


def _predict_scores(
    scores: np.ndarray, paths: np.ndarray, plan: PLSPlan, technique: str, order: list[int]
) -> np.ndarray:
    """Predicted construct scores: seminr's ``predict_DA`` / ``predict_EA``."""
    if technique == "DA":
        out = scores @ paths
        exogenous = [c for c in range(len(plan.constructs)) if len(plan.predecessors[c]) == 0]
        out[:, exogenous] = scores[:, exogenous]
        return out
    out = scores.copy()
    out[:, order] = 0.0
    for j in order:
        out[:, j] = out @ paths[:, j]
    return out


def _fold_assignment(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold of each row: a random permutation cut into ``k`` consecutive groups whose sizes
    differ by at most one (seminr: ``cut(seq(1, n), breaks = k)`` on shuffled rows)."""
    fold = np.empty(n, dtype=np.intp)
    fold[rng.permutation(n)] = (np.arange(n) * k) // n
    return fold


@dataclasses.dataclass(frozen=True, eq=False)
class _Design:
    plan: PLSPlan
    estimator: Estimator
    inner_weighting: InnerWeighting
    technique: Technique
    max_iter: int
    tol: float
    order: list[int]
    endo_items: np.ndarray  # positions (in plan.items) of the endogenous constructs' items
    lm_sets: list[tuple[str, np.ndarray, np.ndarray]]  # (construct, target items, predictors)
    has_missing: bool


def _fold(
    raw: np.ndarray, train: np.ndarray, test: np.ndarray, design: _Design, rep: int, fold: int
) -> tuple[FoldFit, dict[str, np.ndarray]]:
    """Estimate on the training rows, predict the test and training rows (raw metric)."""
    plan = design.plan
    x_train, x_test = raw[train], raw[test]
    gaps = design.has_missing
    # the training means (mean replacement, IA benchmark)
    mean = np.nanmean(x_train, axis=0) if gaps else x_train.mean(axis=0)
    empty = np.isnan(mean)
    p = len(plan.items)
    blank = np.full(p, np.nan)
    no_paths = np.full((len(plan.constructs),) * 2, np.nan)

    def failed(why: str) -> tuple[FoldFit, dict[str, np.ndarray]]:
        fit = FoldFit(rep, fold, test, mean, blank, blank, blank, no_paths, {}, False, why)
        return fit, {}

    if empty.any():
        return failed(f"item '{plan.items[int(np.argmax(empty))]}' has no answer in training")
    if gaps:
        x_train = np.where(np.isnan(x_train), mean, x_train)
        x_test = np.where(np.isnan(x_test), mean, x_test)
    # one pass over the training rows: their covariance matrix gives the SDs, the correlation
    # matrix the PLS fit works on (as fit_standardized) and the LM benchmark's normal equations
    centred = x_train - mean
    cov = (centred.T @ centred) / (len(train) - 1)
    del centred
    sd = np.sqrt(np.diag(cov))
    if (sd <= 1e-12 * np.maximum(1.0, np.abs(mean))).any():
        constant = int(np.argmax(sd <= 1e-12 * np.maximum(1.0, np.abs(mean))))
        return failed(f"item '{plan.items[constant]}' is constant in training")
    S = cov / np.outer(sd, sd)
    np.fill_diagonal(S, 1.0)
    try:
        core = fit_correlation(
            S,
            plan,
            estimator=design.estimator,
            inner_weighting=design.inner_weighting,
            max_iter=design.max_iter,
            tol=design.tol,
        )
    except np.linalg.LinAlgError:
        return failed("singular matrix in training")
    # composite scores ((x - mean) / sd) W as x (W / sd) - mean (W / sd)
    W = (plan.membership * core.weights[:, None]) / sd[:, None]
    offset = mean @ W
    items = design.endo_items
    construct_of = plan.item_construct[items]
    scale = core.loadings[items] * sd[items]
    out: dict[str, np.ndarray] = {}
    for part, x in (("test", x_test), ("train", x_train)):
        predicted = _predict_scores(
            x @ W - offset, core.path_matrix, plan, design.technique, design.order
        )
        out[f"pls_{part}"] = predicted[:, construct_of] * scale + mean[items]
    coefficients: dict[str, np.ndarray] = {}
    slopes_all = np.zeros((p, len(items)))  # every benchmark regression in one matrix
    intercepts = np.empty(len(items))
    column = {int(i): c for c, i in enumerate(items)}
    for name, targets, predictors in design.lm_sets:
        # OLS with intercept from the training covariances: slopes C_PP^-1 C_Pt (least-squares
        # solution if C_PP is singular), intercept mean_t - mean_P slopes
        slopes = np.linalg.lstsq(
            cov[np.ix_(predictors, predictors)], cov[np.ix_(predictors, targets)], rcond=None
        )[0]
        intercept = mean[targets] - mean[predictors] @ slopes
        coefficients[name] = np.vstack([intercept, slopes])
        cols = np.array([column[int(t)] for t in targets], dtype=np.intp)
        slopes_all[np.ix_(predictors, cols)] = slopes
        intercepts[cols] = intercept
    lm_train = x_train @ slopes_all + intercepts
    lm_test = x_test @ slopes_all + intercepts
    out["lm_test"], out["lm_train"] = lm_test, lm_train
    out["ia_test"] = np.broadcast_to(mean[items], (len(test), len(items)))
    fit = FoldFit(
        rep,
        fold,
        test,
        mean,
        sd,
        core.weights,
        core.loadings,
        core.path_matrix,
        coefficients,
        core.converged,
        "",
    )
    return fit, out


def _metrics(actual: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    error = actual - predicted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an item without predictions: NaN
        return np.sqrt(np.nanmean(error**2, axis=0)), np.nanmean(np.abs(error), axis=0)


def _power(better: int, total: int, q2_ok: bool) -> str:
    if not q2_ok or better == 0:
        return "none"
    if better == total:
        return "high"
    return "medium" if 2 * better >= total else "low"


def _raw_items(
    data: pd.DataFrame | PLSData,
    spec: PLSModel,
    prepared: PLSData,
    missing_codes: Sequence[float],
) -> pd.DataFrame:
    """The model's items as answered (missing codes -> NaN), rows as ``prepared``."""
    items = list(spec.all_items)
    if isinstance(data, PLSData):
        return data.frame.loc[:, items].astype(float)
    columns = [str(c) for c in data.columns]
    codes = [float(c) for c in missing_codes]
    out = {}
    for item in items:
        values = _numeric(
            data.iloc[:, columns.index(item)],
            item=item,
            construct=spec.construct_of(item),
            file=None,
        )
        out[item] = np.where(np.isin(values, codes), np.nan, values) if codes else values
    frame = pd.DataFrame(out, index=data.index)
    return frame.loc[prepared.frame.index]


def predict_pls(
    data: pd.DataFrame | PLSData,
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    *,
    estimator: Estimator = "pls",
    inner_weighting: InnerWeighting = "path",
    missing: Missing = "mean",
    missing_codes: Sequence[float] = (),
    technique: Technique = "EA",
    n_folds: int | None = 10,
    n_reps: int = 10,
    seed: int = 2026,
    lm_predictors: LMPredictors | None = None,
    max_iter: int = 300,
    tol: float = 1e-7,
) -> PLSPredictResult:
    """PLSpredict: k-fold cross-validated predictions of the endogenous indicators.

    Parameters
    ----------
    data, model, inner_weighting, missing, missing_codes, max_iter, tol
        As :func:`~workbench.pls.estimate_pls`. ``missing="mean"`` replaces missing answers
        by the *training* means in each fold (no leakage: the module docstring); a missing
        answer of a predicted indicator is not scored. ``"listwise"`` drops incomplete
        respondents before the folds are drawn.
    estimator : {"pls"}
        PLSpredict is defined for composites (Shmueli et al. 2016): ``"plsc"`` is refused
        (seminr predicts PLSc models from their implied correlations, de Rooij et al. 2023,
        which is not implemented here).
    technique : {"EA", "DA"}
        ``"EA"`` (earliest antecedents, as SmartPLS and Shmueli et al. 2019): every endogenous
        construct is predicted from the exogenous constructs' indicators only, through the
        chain of paths. ``"DA"`` (direct antecedents, seminr's default ``predict_DA``): from
        the test rows' scores of its direct predecessors.
    n_folds : int or None
        Folds ``k`` (10 as Shmueli et al. 2019 recommend); ``None`` for leave-one-out (seminr's
        ``noFolds = NULL``; then ``n_reps`` is 1).
    n_reps : int
        Repetitions with new fold assignments (seminr ``reps``, SmartPLS 10). The predictions
        of a respondent are averaged over the repetitions (as seminr), then scored.
    seed : int
        Repetition ``r`` draws its fold assignment from
        ``default_rng(SeedSequence(seed, spawn_key=(r,)))``.
    lm_predictors : {"exogenous", "antecedents"}, optional
        Predictors of the LM benchmark: all the exogenous constructs' indicators (Shmueli et
        al. 2019, SmartPLS; the default with ``technique="EA"``) or the indicators of the
        construct's direct antecedents (seminr's benchmark for ``predict_DA``; the default with
        ``technique="DA"``).

    Returns
    -------
    PLSPredictResult

    Raises
    ------
    InputError
        As :func:`~workbench.pls.estimate_pls`; fewer respondents than folds; every fold
        failed.
    ValueError
        Bad options.

    Notes
    -----
    For repetition ``r`` and fold ``f``, with training rows ``T`` and test rows ``V``:

    1. Missing training and test answers get the training means ``xbar_T``; the items are
       standardized with ``xbar_T`` and the training SDs ``s_T`` (divisor ``n_T - 1``).
    2. The model is estimated on ``T`` (weights ``W``, loadings ``lambda``, paths ``B``).
    3. Test composite scores ``Y_V = Z_V W``; predicted scores: EA ``Yhat_j = sum_i Yhat_i
       B_ij`` from the exogenous scores in causal order; DA ``Yhat_j = sum_i Y_V,i B_ij``.
    4. Indicator ``k`` of construct ``j``: ``xhat_k = lambda_k Yhat_j s_T,k + xbar_T,k``.
    5. LM: OLS with intercept of each endogenous indicator on the predictor indicators of
       ``T``, applied to ``V``. IA / naive benchmark: ``xbar_T``.

    Per indicator, over respondents ``i`` with an answer:
    ``RMSE = sqrt(mean (x_ik - xhat_ik)^2)``, ``MAE = mean |x_ik - xhat_ik|``,
    ``Q2predict = 1 - sum (x_ik - xhat_ik)^2 / sum (x_ik - xbar_T(i),k)^2`` (Shmueli et al.
    2019; the naive prediction is the training mean of the fold that held ``i`` out).
    Predictive power of a construct (Shmueli et al. 2019, p. 2331): ``none`` unless every
    indicator has ``Q2predict > 0``; then by the number of indicators whose PLS RMSE is below
    the LM RMSE: all ``high``, at least half ``medium``, some ``low``, none ``none`` (use the
    MAE columns when the prediction errors are strongly skewed).

    References
    ----------
    Shmueli, G., Ray, S., Velasquez Estrada, J. M., & Chatla, S. B. (2016). The elephant in
    the room: Predictive performance of PLS models. *Journal of Business Research*, 69(10),
    4552-4564.
    Shmueli, G., Sarstedt, M., Hair, J. F., Cheah, J.-H., Ting, H., Vaithilingam, S., &
    Ringle, C. M. (2019). Predictive model assessment in PLS-SEM: guidelines for using
    PLSpredict. *European Journal of Marketing*, 53(11), 2322-2347.
    R: ``seminr::predict_pls(model, technique = predict_EA, noFolds = 10, reps = 10)`` and
    ``summary()`` of it.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(300, 2))
    >>> y = x.sum(axis=1) + rng.normal(size=300)
    >>> d = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1],
    ...                   "y1": y + rng.normal(size=300), "y2": y + rng.normal(size=300)})
    >>> pred = predict_pls(d, "X <~ x1 + x2; Y =~ y1 + y2; Y ~ X", n_folds=5, n_reps=2)
    >>> bool((pred.items["q2_predict"] > 0.3).all()), pred.constructs.loc["Y", "predictive_power"]
    (True, 'high')
    """
    if estimator != "pls":
        raise ValueError(
            f"estimator={estimator!r} is not valid for predict_pls: PLSpredict predicts with "
            "PLS composites, so estimator must be 'pls' (PLSc's model-implied prediction, "
            "de Rooij et al. 2023, is not implemented)"
        )
    check_choice("technique", technique, TECHNIQUES)
    if lm_predictors is None:
        lm_predictors = "exogenous" if technique == "EA" else "antecedents"
    check_choice("lm_predictors", lm_predictors, LM_PREDICTORS)
    if isinstance(n_reps, bool) or not isinstance(n_reps, int) or n_reps < 1:
        raise ValueError(f"n_reps={n_reps!r} is not valid: use a positive whole number, e.g. 10")
    if n_folds is not None and (
        isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2
    ):
        raise ValueError(
            f"n_folds={n_folds!r} is not valid: use a whole number >= 2 (e.g. 10), or None for "
            "leave-one-out"
        )
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
    raw_frame = _raw_items(data, spec, prepared, missing_codes)
    raw = raw_frame.to_numpy(dtype=float)
    n = len(raw)
    loo = n_folds is None or n_folds == n
    k = n if n_folds is None else n_folds
    if k > n:
        raise InputError(
            f"n_folds={k} exceeds the {n} respondents: each fold needs at least one.",
            hint="Use fewer folds (10 is usual), or n_folds=None for leave-one-out.",
        )
    reps = 1 if loo else n_reps
    endo_constructs = [int(j) for j in plan.endogenous]
    endo_items = np.array(
        [i for i in range(len(plan.items)) if plan.item_construct[i] in endo_constructs],
        dtype=np.intp,
    )
    exogenous = [c for c in range(len(plan.constructs)) if len(plan.predecessors[c]) == 0]
    lm_sets = []
    for j in endo_constructs:
        sources = exogenous if lm_predictors == "exogenous" else list(plan.predecessors[j])
        predictors = np.concatenate([plan.blocks[c] for c in sources])
        lm_sets.append((plan.constructs[j], plan.blocks[j], predictors))
    design = _Design(
        plan=plan,
        estimator=estimator,
        inner_weighting=inner_weighting,
        technique=technique,
        max_iter=max_iter,
        tol=tol,
        order=_topological(plan),
        endo_items=endo_items,
        lm_sets=lm_sets,
        has_missing=bool(np.isnan(raw).any()),
    )
    q = len(endo_items)
    sums = {key: np.zeros((n, q)) for key in ("pls", "lm", "ia", "pls_in", "lm_in")}
    counts = {key: np.zeros((n, 1)) for key in ("out", "in")}
    folds = np.empty((reps, n), dtype=np.intp)
    fold_fits: list[FoldFit] = []
    everyone = np.arange(n)
    with single_threaded_blas():
        for r in range(reps):
            folds[r] = everyone if loo else _fold_assignment(n, k, block_generator(seed, r))
            for f in range(k):
                test = np.flatnonzero(folds[r] == f)
                train = np.flatnonzero(folds[r] != f)
                fold_fit, out = _fold(raw, train, test, design, r, f)
                fold_fits.append(fold_fit)
                if fold_fit.failure:
                    continue
                sums["pls"][test] += out["pls_test"]
                sums["lm"][test] += out["lm_test"]
                sums["ia"][test] += out["ia_test"]
                counts["out"][test] += 1
                sums["pls_in"][train] += out["pls_train"]
                sums["lm_in"][train] += out["lm_train"]
                counts["in"][train] += 1
    failed = [ff for ff in fold_fits if ff.failure]
    if len(failed) == len(fold_fits):
        raise InputError(
            f"No fold could be estimated (first: {failed[0].failure}).",
            hint="Use fewer folds or check the items named.",
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_out = {key: sums[key] / counts["out"] for key in ("pls", "lm", "ia")}
        mean_in = {key: sums[f"{key}_in"] / counts["in"] for key in ("pls", "lm")}
    item_names = [plan.items[i] for i in endo_items]
    actual = raw[:, endo_items]
    pls_rmse, pls_mae = _metrics(actual, mean_out["pls"])
    lm_rmse, lm_mae = _metrics(actual, mean_out["lm"])
    sse = np.nansum((actual - mean_out["pls"]) ** 2, axis=0)
    sse_naive = np.nansum((actual - mean_out["ia"]) ** 2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        q2 = 1.0 - sse / sse_naive
    construct_names = [plan.constructs[plan.item_construct[i]] for i in endo_items]
    answered = (~np.isnan(actual - mean_out["pls"])).sum(axis=0)
    items = pd.DataFrame(
        {
            "construct": construct_names,
            "pls_rmse": pls_rmse,
            "pls_mae": pls_mae,
            "lm_rmse": lm_rmse,
            "lm_mae": lm_mae,
            "q2_predict": q2,
            "pls_better_rmse": pls_rmse < lm_rmse,
            "pls_better_mae": pls_mae < lm_mae,
            "n": answered,
        },
        index=item_names,
    )
    in_rmse, in_mae = _metrics(actual, mean_in["pls"])
    lm_in_rmse, lm_in_mae = _metrics(actual, mean_in["lm"])
    in_sample = pd.DataFrame(
        {"pls_rmse": in_rmse, "pls_mae": in_mae, "lm_rmse": lm_in_rmse, "lm_mae": lm_in_mae},
        index=item_names,
    )
    rows = []
    for j in endo_constructs:
        cols = [c for c, name in enumerate(construct_names) if name == plan.constructs[j]]
        a, pl, lm_, ia = (
            actual[:, cols],
            mean_out["pls"][:, cols],
            mean_out["lm"][:, cols],
            mean_out["ia"][:, cols],
        )
        better = int(items["pls_better_rmse"].iloc[cols].sum())
        q2_ok = bool((items["q2_predict"].iloc[cols] > 0).all())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows.append(
                {
                    "n_items": len(cols),
                    "pls_rmse": math.sqrt(np.nanmean((a - pl) ** 2)),
                    "pls_mae": float(np.nanmean(np.abs(a - pl))),
                    "lm_rmse": math.sqrt(np.nanmean((a - lm_) ** 2)),
                    "lm_mae": float(np.nanmean(np.abs(a - lm_))),
                    "q2_predict": 1.0 - np.nansum((a - pl) ** 2) / np.nansum((a - ia) ** 2),
                    "items_pls_better": better,
                    "q2_all_positive": q2_ok,
                    "predictive_power": _power(better, len(cols), q2_ok),
                }
            )
    constructs = pd.DataFrame(rows, index=[plan.constructs[j] for j in endo_constructs])
    # the full-sample fit's note on mean replacement does not describe the folds: replaced
    notes = [w for w in fit.warnings if w not in prepared.warnings]
    gaps = int(np.isnan(raw).sum())
    if gaps:
        notes.append(
            f"{gaps} missing answer(s) were replaced, fold by fold, by the training folds' item "
            "means (no information from the test fold)."
        )
    if failed:
        reasons: dict[str, int] = {}
        for ff in failed:
            reasons[ff.failure] = reasons.get(ff.failure, 0) + 1
        notes.append(
            f"{len(failed)} of {len(fold_fits)} folds could not be estimated and were skipped "
            f"({'; '.join(f'{c} x {r}' for r, c in reasons.items())}): their test rows have "
            "no prediction in that repetition."
        )
    unconverged = sum(1 for ff in fold_fits if not ff.failure and not ff.converged)
    if unconverged:
        message = (
            f"{unconverged} of {len(fold_fits)} training fits did not converge within "
            f"max_iter={max_iter}; their last iteration was used."
        )
        warnings.warn(message, PLSConvergenceWarning, stacklevel=2)
        notes.append(message)
    if loo and n_folds is None and n_reps > 1:
        notes.append("Leave-one-out has no random fold assignment: it was run once.")
    missing_targets = int(np.isnan(actual).sum())
    if missing_targets:
        notes.append(
            f"{missing_targets} missing answer(s) of predicted indicators were not scored "
            "(their predictors were mean-replaced with training means)."
        )
    index = raw_frame.index

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=item_names)

    return PLSPredictResult(
        items=items,
        constructs=constructs,
        in_sample=in_sample,
        actual=frame(actual),
        pls=frame(mean_out["pls"]),
        lm=frame(mean_out["lm"]),
        ia=frame(mean_out["ia"]),
        folds=folds,
        fold_fits=tuple(fold_fits),
        fit=fit,
        technique=technique,
        lm_predictors=lm_predictors,
        n_folds=k,
        n_reps=reps,
        seed=seed,
        warning_messages=tuple(notes),
    )


# ----------------------------------------------------------------------------
# CVPAT
# ----------------------------------------------------------------------------


def _boot_se_of_mean(d: np.ndarray, n_boot: int, seed: int) -> float:
    """SD of the means of ``n_boot`` resamples of the centred differences ``d - mean(d)``
    (Liengaard et al. 2021's bootstrap variance), drawn in blocks of bounded memory."""
    d0 = d - d.mean()
    n = len(d0)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    step = max(1, 2**22 // max(n, 1))
    for lo in range(0, n_boot, step):
        hi = min(n_boot, lo + step)
        means[lo:hi] = d0[rng.integers(0, n, size=(hi - lo, n))].mean(axis=1)
    return float(means.std(ddof=1))


def cvpat(
    prediction: PLSPredictResult,
    *,
    alternative: Alternative = "two-sided",
    n_boot: int = 2000,
    seed: int = 2026,
) -> CVPATResult:
    """CVPAT: does PLS predict better than the IA and LM benchmarks?

    Parameters
    ----------
    prediction : PLSPredictResult
        Cross-validated predictions from :func:`predict_pls` (CVPAT uses its out-of-sample
        PLS, LM and IA predictions; Liengaard et al. use 10 folds, 10 repetitions).
    alternative : {"two-sided", "greater"}
        ``"two-sided"`` (seminr's CVPAT code): the losses differ. ``"greater"`` (Liengaard et
        al. 2021's one-sided test): the benchmark's loss is greater than PLS's.
    n_boot : int
        Resamples of the bootstrap-variance version (seminr: 2,000).
    seed : int
        Seed of that bootstrap.

    Returns
    -------
    CVPATResult

    Notes
    -----
    The loss of respondent ``i`` for construct ``j`` is the mean squared prediction error over
    ``j``'s indicators, ``L_ij = (1/K_j) sum_k e_ik^2``; the overall loss averages over all
    endogenous indicators. With ``D_i = L_i(benchmark) - L_i(PLS)`` over the ``n`` respondents
    with a loss: ``t = Dbar / (s_D / sqrt(n))`` with ``n - 1`` df (R's ``t.test(benchmark,
    pls, paired = TRUE)``); the bootstrap version replaces ``s_D / sqrt(n)`` by the SD of the
    means of ``n_boot`` resamples of ``D - Dbar`` (``boot_t``, ``boot_p`` from the same t
    distribution). IA predicts every indicator by its training-fold mean; LM is
    :func:`predict_pls`'s benchmark.

    References
    ----------
    Liengaard, B. D., Sharma, P. N., Hult, G. T. M., Jensen, M. B., Sarstedt, M., Hair, J. F.,
    & Ringle, C. M. (2021). Prediction: coveted, yet forsaken? Introducing a cross-validated
    predictive ability test in partial least squares path modeling. *Decision Sciences*,
    52(2), 362-392.
    Sharma, P. N., Liengaard, B. D., Hair, J. F., Sarstedt, M., & Ringle, C. M. (2023).
    Predictive model assessment and selection in composite-based modeling using PLS-SEM:
    extensions and guidelines for using CVPAT. *European Journal of Marketing*, 57(6),
    1662-1677.
    R: seminr's ``assess_cvpat`` (its ``bootstrap_cvpat`` for the tests).
    """
    check_choice("alternative", alternative, ALTERNATIVES)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 2:
        raise ValueError(f"n_boot={n_boot!r} is not valid: use a whole number >= 2, e.g. 2000")
    actual = prediction.actual.to_numpy()
    errors = {
        "PLS": actual - prediction.pls.to_numpy(),
        "IA": actual - prediction.ia.to_numpy(),
        "LM": actual - prediction.lm.to_numpy(),
    }
    constructs = prediction.items["construct"].to_numpy()
    groups = [(c, constructs == c) for c in prediction.constructs.index]
    groups.append(("overall", np.ones(len(constructs), dtype=bool)))
    rows = []
    for bench in ("IA", "LM"):
        for name, cols in groups:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                loss_pls = np.nanmean(errors["PLS"][:, cols] ** 2, axis=1)
                loss_bench = np.nanmean(errors[bench][:, cols] ** 2, axis=1)
            ok = np.isfinite(loss_pls) & np.isfinite(loss_bench)
            d = loss_bench[ok] - loss_pls[ok]
            n = int(ok.sum())
            dbar = float(d.mean())
            se = float(d.std(ddof=1)) / math.sqrt(n)
            boot_se = _boot_se_of_mean(d, n_boot, seed)
            t = dbar / se if se > 0 else math.nan
            boot_t = dbar / boot_se if boot_se > 0 else math.nan
            if alternative == "two-sided":
                p = 2 * stats.t.sf(abs(t), n - 1)
                boot_p = 2 * stats.t.sf(abs(boot_t), n - 1)
            else:
                p = stats.t.sf(t, n - 1)
                boot_p = stats.t.sf(boot_t, n - 1)
            rows.append(
                {
                    "benchmark": bench,
                    "construct": name,
                    "n": n,
                    "pls_loss": float(loss_pls[ok].mean()),
                    "benchmark_loss": float(loss_bench[ok].mean()),
                    "diff": dbar,
                    "t": t,
                    "df": n - 1,
                    "p": float(p),
                    "boot_t": boot_t,
                    "boot_p": float(boot_p),
                    "pls_better": bool(dbar > 0 and p < 0.05),
                }
            )
    return CVPATResult(
        table=pd.DataFrame(rows),
        alternative=alternative,
        n_boot=n_boot,
        seed=seed,
        warning_messages=prediction.warning_messages,
    )
