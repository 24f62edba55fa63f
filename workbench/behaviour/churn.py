"""Churn risk: who will not buy again within a window, from behaviour up to a cutoff.

A churn model must not peek into the future. :func:`churn_model` builds every
feature from transactions **on or before the cutoff** only; the label is
whether the member buys in the window (cutoff, cutoff + window]. The
train/test split is by member (seeded), so a held-out member's rows never
inform the fitted model; the time split is the cutoff itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.behaviour.clv import BGNBDResult, check_transaction_frame, rfm_summary
from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings

__all__ = ["ChurnResult", "churn_features", "churn_model"]

ModelKind = Literal["logit", "gbm"]
_MODELS = ("logit", "gbm")
_FEATURE_SETS = ("rfm", "basic")


def churn_features(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    features: Literal["rfm", "basic"] = "rfm",
) -> pd.DataFrame:
    """Behavioural features per member from the transactions up to ``cutoff``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``member_id``, ``date``, ``amount``. Refunds (negative amounts) are
        excluded, as in :func:`workbench.behaviour.clv.rfm_summary`; purchases on the
        same day count once (their amounts are summed).
    cutoff : date
        Last day (inclusive) whose purchases are used.
    features : {"rfm", "basic"}
        ``"basic"``: recency, frequency, monetary. ``"rfm"``: also tenure,
        purchases in the last 90 and 180 days and the trend.

    Returns
    -------
    pandas.DataFrame
        Index ``member_id`` (members with a purchase on or before the cutoff);
        columns ``recency_days`` (cutoff minus last purchase day),
        ``frequency`` (purchase days), ``log_monetary`` (log1p of the mean
        spend per purchase day) and, for ``"rfm"``, ``tenure_days`` (cutoff
        minus first purchase day), ``purchases_90d`` and ``purchases_180d``
        (purchase days in (cutoff - 90, cutoff] and (cutoff - 180, cutoff]) and
        ``trend`` (purchases in the last 90 days minus those in the 90 days
        before).

    Examples
    --------
    >>> tx = pd.DataFrame({"member_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"]),
    ...     "amount": [10.0, 30.0, 5.0]})
    >>> churn_features(tx, cutoff="2024-03-31", features="basic")  # doctest: +NORMALIZE_WHITESPACE
               recency_days  frequency  log_monetary
    member_id
    a                    30          2      3.044522
    b                    59          1      1.791759
    """
    if features not in _FEATURE_SETS:
        raise ValueError(f"features must be one of {_FEATURE_SETS}, got {features!r}")
    df = check_transaction_frame(transactions)
    cut = pd.Timestamp(cutoff).normalize()
    past = df[(df["date"] <= cut) & (df["amount"] >= 0)]
    days = past.groupby(["member_id", "date"], sort=True)["amount"].sum().reset_index()
    if days.empty:
        raise InputError("no purchases on or before the cutoff", value=str(cut.date()))
    g = days.groupby("member_id", sort=True)
    last = g["date"].max()
    first = g["date"].min()
    out = pd.DataFrame(
        {
            "recency_days": (cut - last).dt.days,
            "frequency": g.size(),
            "log_monetary": np.log1p(g["amount"].mean().clip(lower=0)),
        }
    )
    if features == "rfm":
        age = (cut - days["date"]).dt.days
        last90 = days[age < 90].groupby("member_id").size()
        last180 = days[age < 180].groupby("member_id").size()
        out["tenure_days"] = (cut - first).dt.days
        out["purchases_90d"] = last90.reindex(out.index, fill_value=0)
        out["purchases_180d"] = last180.reindex(out.index, fill_value=0)
        out["trend"] = out["purchases_90d"] - (out["purchases_180d"] - out["purchases_90d"])
    out.index.name = "member_id"
    return out


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank formula (ties get half credit)."""
    from scipy.stats import rankdata

    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _bootstrap_aucs(
    y: np.ndarray, score: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """ROC AUCs of ``n_boot`` resamples of the members, each as :func:`_auc` gives it.

    Resample ``b`` draws ``idx = rng.integers(0, n, n)`` (the same draws as a
    loop calling ``_auc(y[idx], score[idx])``) and returns the same AUC, NaN
    when a resample has no churner or no non-churner.

    Notes
    -----
    A resample only changes how often each member occurs, so it is counted
    (``bincount``) instead of re-ranked: the members are sorted by score once.
    With ``n1_g`` and ``n0_g`` the resampled churners and non-churners at the
    ``g``-th distinct score, the Mann–Whitney statistic is

    ``U = sum_g n1_g (sum_{h < g} n0_h + n0_g / 2)``,

    which equals the rank-sum form ``R1 - n1 (n1 + 1) / 2`` with average ranks
    for ties. ``2 U`` is computed in integers and both forms are exact in
    float64, so ``U / (n1 n0)`` equals :func:`_auc` to the last bit. Each
    resample costs O(n) instead of a sort.
    """
    n = len(y)
    out = np.full(n_boot, np.nan)
    if n == 0:
        return out
    order = np.argsort(score, kind="stable")
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    ordered = score[order]
    churner = (y[order] == 1).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ties = len(starts) < n
    for b in range(n_boot):
        c = np.bincount(rank[rng.integers(0, n, n)], minlength=n)
        c1 = c * churner
        c0 = c - c1
        if ties:
            c1 = np.add.reduceat(c1, starts)
            c0 = np.add.reduceat(c0, starts)
        n1 = int(c1.sum())
        n0 = n - n1
        if n1 == 0 or n0 == 0:
            continue
        u2 = 2 * int(np.dot(c1, np.cumsum(c0) - c0)) + int(np.dot(c1, c0))
        out[b] = (u2 / 2) / (n1 * n0)
    return out


def _decile_tables(y: np.ndarray, p: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(y)
    # Deciles of rank (ties broken by order, stable): decile 1 = highest risk.
    order = np.argsort(-p, kind="stable")
    dec = np.empty(n, dtype=int)
    dec[order] = np.arange(n) * 10 // n + 1
    frame = pd.DataFrame({"decile": dec, "y": y, "p": p})
    base = y.mean()
    g = frame.groupby("decile")
    calib = pd.DataFrame(
        {
            "n": g.size(),
            "predicted": g["p"].mean(),
            "observed": g["y"].mean(),
        }
    ).sort_index(ascending=False)
    calib.index = pd.Index(range(1, len(calib) + 1), name="decile")  # 1 = lowest risk
    gains = pd.DataFrame(
        {
            "n": g.size(),
            "churners": g["y"].sum().astype(int),
            "churn_rate": g["y"].mean(),
        }
    )
    gains["lift"] = gains["churn_rate"] / base if base > 0 else np.nan
    gains["cum_share_members"] = gains["n"].cumsum() / n
    total = gains["churners"].sum()
    gains["cum_share_churners"] = gains["churners"].cumsum() / total if total else np.nan
    gains["cum_lift"] = gains["cum_share_churners"] / gains["cum_share_members"]
    return calib, gains


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class ChurnResult(Result):
    """A churn-risk model evaluated on held-out members (:func:`churn_model`).

    Attributes
    ----------
    model_kind : str
        ``"logit"`` or ``"gbm"``.
    cutoff : pandas.Timestamp
    window_days : int
    n_members, n_train, n_test : int
    churn_rate : float
        Share of members without a purchase in the window (all members).
    auc, auc_ci_low, auc_ci_high : float
        ROC AUC on the held-out members and its percentile bootstrap CI.
    n_boot, seed : int
        Bootstrap resamples and the seed used for the split, the bootstrap,
        the model and permutation importance.
    calibration : pandas.DataFrame
        Held-out members in deciles of predicted risk (1 = lowest): ``n``,
        ``predicted`` (mean predicted churn probability), ``observed`` (churn
        rate).
    gains : pandas.DataFrame
        Deciles from the highest risk (1) down: ``n``, ``churners``,
        ``churn_rate``, ``lift``, ``cum_share_members``,
        ``cum_share_churners`` (the gains curve), ``cum_lift``.
    top_features : pandas.DataFrame
        ``feature``, ``importance`` (logit: coefficient on the standardised
        feature, log-odds of churn per SD; gbm: permutation importance, the
        mean drop in held-out AUC), ``abs_importance``; sorted by it.
    baseline_auc_bgnbd : float or None
        AUC of 1 - P(alive) from the BG/NBD on the same held-out members.
        P(alive) is 1 for members without a repeat purchase, so this baseline
        can rank one-time buyers as safest (AUC below 0.5 on CDNOW).
    baseline_auc_bgnbd_expected : float or None
        AUC of minus the BG/NBD's expected purchases in the window
        (E[Y(window) | x, t_x, T]), the BG/NBD's own churn ranking.
    predictions : pandas.DataFrame
        Per member: the features, ``churned``, ``split`` (``train``/``test``),
        ``p_churn`` and (with a BG/NBD) ``p_alive`` and
        ``expected_purchases_bgnbd``.
    model : object
        The fitted scikit-learn pipeline.
    warning_messages : tuple of str
    """

    model_kind: str
    cutoff: pd.Timestamp
    window_days: int
    n_members: int
    n_train: int
    n_test: int
    churn_rate: float
    auc: float
    auc_ci_low: float
    auc_ci_high: float
    n_boot: int
    seed: int
    calibration: pd.DataFrame
    gains: pd.DataFrame
    top_features: pd.DataFrame
    baseline_auc_bgnbd: float | None
    baseline_auc_bgnbd_expected: float | None
    predictions: pd.DataFrame = dataclasses.field(repr=False)
    model: Any = dataclasses.field(default=None, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The gains table joined with the calibration table by decile of risk.

        Gains deciles run from the highest risk, calibration deciles from the
        lowest; the calibration columns are prefixed ``calib_``.
        """
        cal = self.calibration.add_prefix("calib_")
        return self.gains.join(cal)

    def summary(self) -> str:
        text = (
            f"Churn model ({self.model_kind}), cutoff {self.cutoff.date()}, window "
            f"{self.window_days} days; {self.n_members} members ({self.n_train} train, "
            f"{self.n_test} test), churn rate {self.churn_rate:.3f}\n"
            f"Held-out ROC AUC {self.auc:.3f} [{self.auc_ci_low:.3f}, {self.auc_ci_high:.3f}] "
            f"(bootstrap {self.n_boot}, seed {self.seed})"
        )
        if self.baseline_auc_bgnbd is not None:
            text += (
                f"\nBG/NBD baselines: 1 - P(alive) AUC {self.baseline_auc_bgnbd:.3f}; "
                f"expected purchases AUC {self.baseline_auc_bgnbd_expected:.3f}"
            )
        text += "\n\nCalibration (deciles, 1 = lowest risk):\n" + self.calibration.to_string(
            float_format="{:.3f}".format
        )
        text += "\n\nGains (deciles, 1 = highest risk):\n" + self.gains.to_string(
            float_format="{:.3f}".format
        )
        text += "\n\nTop features:\n" + self.top_features.to_string(
            index=False, float_format="{:.3f}".format
        )
        text = with_warnings(text, self.warnings)
        return text

    def to_dict(self) -> dict[str, Any]:
        """The study's ``churn`` entry.

        ``{auc, auc_ci_low, auc_ci_high, calibration: [{decile, n, predicted,
        observed}], gains: [{decile, n, churners, churn_rate, lift,
        cum_share_members, cum_share_churners, cum_lift}], top_features:
        [{feature, importance}], baseline_auc_bgnbd, baseline_auc_bgnbd_expected, model, cutoff,
        window_days, n_train, n_test, churn_rate, seed, warnings}``.
        """

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return df.reset_index().to_dict(orient="records")

        return jsonable(
            {
                "auc": self.auc,
                "auc_ci_low": self.auc_ci_low,
                "auc_ci_high": self.auc_ci_high,
                "calibration": records(self.calibration),
                "gains": records(self.gains),
                "top_features": self.top_features[["feature", "importance"]].to_dict(
                    orient="records"
                ),
                "baseline_auc_bgnbd": self.baseline_auc_bgnbd,
                "baseline_auc_bgnbd_expected": self.baseline_auc_bgnbd_expected,
                "model": self.model_kind,
                "cutoff": self.cutoff,
                "window_days": self.window_days,
                "n_train": self.n_train,
                "n_test": self.n_test,
                "churn_rate": self.churn_rate,
                "seed": self.seed,
                "warnings": self.warnings,
            }
        )


def _member_attributes(members: pd.DataFrame, index: pd.Index) -> tuple[pd.DataFrame, list[str]]:
    if "member_id" not in members.columns:
        raise InputError("the members table lacks a member_id column", column="member_id")
    m = members.copy()
    m["member_id"] = m["member_id"].astype(str)
    if m["member_id"].duplicated().any():
        dup = m.loc[m["member_id"].duplicated(), "member_id"].iloc[0]
        raise InputError("duplicate member_id in the members table", value=dup)
    m = m.set_index("member_id").reindex(index)
    notes: list[str] = []
    cols = []
    for c in m.columns:
        s = m[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            notes.append(f"Member attribute '{c}' is a date and was not used.")
            continue
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            col = s.astype(float)
            if col.isna().any():
                notes.append(
                    f"Member attribute '{c}': {int(col.isna().sum())} missing, set to the median."
                )
                col = col.fillna(col.median())
            cols.append(col.rename(f"attr_{c}"))
        else:
            d = pd.get_dummies(
                s.astype("string").fillna("(missing)"),
                prefix=f"attr_{c}",
                drop_first=True,
                dtype=float,
            )
            cols.extend(d[k] for k in d.columns)
    absent = int(m.isna().all(axis=1).sum()) if m.shape[1] else 0
    if absent:
        notes.append(f"{absent} members are absent from the members table.")
    out = pd.concat(cols, axis=1) if cols else pd.DataFrame(index=index)
    return out, notes


def churn_model(
    transactions: pd.DataFrame,
    *,
    cutoff: str | pd.Timestamp,
    window_days: int = 90,
    features: Literal["rfm", "basic"] = "rfm",
    model: ModelKind = "logit",
    test_share: float = 0.3,
    seed: int = 2026,
    members: pd.DataFrame | None = None,
    bgnbd: BGNBDResult | None = None,
    n_boot: int = 1000,
    bgnbd_summary: pd.DataFrame | None = None,
) -> ChurnResult:
    """Predict churn (no purchase within a window after a cutoff) and evaluate it.

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``member_id``, ``date``, ``amount`` (refunds, negative amounts, are not
        purchases).
    cutoff : date
        Features use purchases on or before this day only.
    window_days : int
        The label window: a member churned if no purchase falls in
        (cutoff, cutoff + window_days].
    features : {"rfm", "basic"}
        See :func:`churn_features`.
    model : {"logit", "gbm"}
        Logistic regression on standardised features (unpenalised) or
        scikit-learn's ``HistGradientBoostingClassifier``.
    test_share : float
        Share of members held out (split by member, stratified by the label).
    seed : int
        Seeds the split, the bootstrap, the gbm and permutation importance.
    members : pandas.DataFrame, optional
        Member attributes (``member_id`` plus e.g. ``tier``): numeric columns
        enter as they are, text columns as dummies, date columns are skipped.
        They must describe the members as of the cutoff.
    bgnbd : BGNBDResult, optional
        A BG/NBD fitted on data up to the cutoff; its 1 - P(alive) at the
        cutoff is scored on the same held-out members as a baseline.
    n_boot : int
        Bootstrap resamples of the held-out members for the AUC CI.
    bgnbd_summary : pandas.DataFrame, optional
        With ``bgnbd``: the members' ``frequency``, ``recency`` and ``T`` at the
        cutoff, i.e. ``rfm_summary(transactions, observation_end=cutoff,
        time_unit_days=bgnbd.time_unit_days)`` (the table the BG/NBD was
        fitted on). Computed when not given; pass it to save a second pass over
        a large log.

    Returns
    -------
    ChurnResult

    Raises
    ------
    InputError
        If the data do not reach cutoff + window_days (the label would be
        wrong), or there are too few members or no churners/no buyers.

    Notes
    -----
    *No leakage*: features come from ``churn_features(transactions up to
    cutoff)``; only members with a purchase on or before the cutoff are
    modelled; nothing after the cutoff is used except the label. The
    evaluation uses members not seen in training. AUC = P(score of a churner >
    score of a non-churner) (Mann–Whitney); CI: percentile bootstrap over
    held-out members. Calibration and gains use deciles of predicted risk.

    References
    ----------
    Neslin, S. A., Gupta, S., Kamakura, W., Lu, J., & Mason, C. H. (2006).
    Defection detection. *Journal of Marketing Research*, 43(2), 204–211.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for i in range(300):
    ...     rate = rng.gamma(2, 0.02)
    ...     end = rng.integers(60, 400)
    ...     for d in np.flatnonzero(rng.random(400) < rate):
    ...         if d < end:
    ...             rows.append((f"m{i}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)), 20.0))
    >>> tx = pd.DataFrame(rows, columns=["member_id", "date", "amount"])
    >>> res = churn_model(tx, cutoff="2024-09-30", n_boot=100)
    >>> bool(0 <= res.auc <= 1)
    True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    if model not in _MODELS:
        raise ValueError(f"model must be one of {_MODELS}, got {model!r}")
    if features not in _FEATURE_SETS:
        raise ValueError(f"features must be one of {_FEATURE_SETS}, got {features!r}")
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must lie in (0, 1), got {test_share!r}")
    if not (isinstance(window_days, (int, np.integer)) and window_days >= 1):
        raise ValueError(f"window_days must be a positive integer, got {window_days!r}")
    if not (isinstance(n_boot, (int, np.integer)) and n_boot >= 0):
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    df = check_transaction_frame(transactions)
    cut = pd.Timestamp(cutoff).normalize()
    window_end = cut + pd.Timedelta(days=int(window_days))
    last_date = df["date"].max()
    if last_date < window_end:
        raise InputError(
            f"the data end on {last_date.date()}, before the end of the churn window "
            f"({window_end.date()} = cutoff {cut.date()} + {window_days} days); "
            "there is not enough history after the cutoff to label churn",
            hint="choose an earlier cutoff or a shorter window_days",
        )
    X = churn_features(df, cutoff=cut, features=features)
    future = df[(df["date"] > cut) & (df["date"] <= window_end) & (df["amount"] >= 0)]
    # Positions of the window's buyers (an index lookup: isin on 10^5 strings is slow).
    buyers = X.index.get_indexer(pd.Index(future["member_id"].unique()))
    bought = np.zeros(len(X), dtype=bool)
    bought[buyers[buyers >= 0]] = True
    y = (~bought).astype(int)
    warns: list[str] = []
    if members is not None:
        attrs, notes = _member_attributes(members, X.index)
        X = X.join(attrs)
        warns += notes
    n1 = int(y.sum())
    if len(X) < 20 or n1 < 5 or len(X) - n1 < 5:
        raise InputError(
            f"too few members to model churn ({len(X)} members, {n1} churned)",
            hint="use more data or another cutoff",
        )
    # Split positions (the split depends only on the count and y, so it is the split
    # of the member ids): no string matching to find the held-out rows.
    _, test_pos = train_test_split(
        np.arange(len(X)), test_size=test_share, random_state=seed, stratify=y
    )
    is_test = np.zeros(len(X), dtype=bool)
    is_test[test_pos] = True
    Xtr, Xte = X[~is_test], X[is_test]
    ytr, yte = y[~is_test], y[is_test]
    if model == "logit":
        est = make_pipeline(StandardScaler(), LogisticRegression(C=1e6, max_iter=5000))
    else:
        est = HistGradientBoostingClassifier(random_state=seed)
    # One OpenMP thread: HistGradientBoosting busy-waits its threads, which made the
    # gbm 15x slower on a loaded 2-core machine; one row per member is small work.
    with threadpool_limits(limits=1, user_api="openmp"):
        est.fit(Xtr, ytr)
        p_all = est.predict_proba(X)[:, 1]
    p_te = p_all[is_test]
    auc = _auc(yte, p_te)
    boots_arr = _bootstrap_aucs(yte, p_te, int(n_boot), np.random.default_rng(seed))
    boots_arr = boots_arr[np.isfinite(boots_arr)]
    lo, hi = (
        (float(np.quantile(boots_arr, 0.025)), float(np.quantile(boots_arr, 0.975)))
        if len(boots_arr)
        else (float("nan"), float("nan"))
    )
    calib, gains = _decile_tables(yte, p_te)
    if model == "logit":
        coef = est[-1].coef_[0]
        imp = pd.DataFrame({"feature": X.columns, "importance": coef})
    else:
        with threadpool_limits(limits=1, user_api="openmp"):
            pi = permutation_importance(
                est, Xte, yte, scoring="roc_auc", n_repeats=5, random_state=seed
            )
        imp = pd.DataFrame({"feature": X.columns, "importance": pi.importances_mean})
    imp["abs_importance"] = imp["importance"].abs()
    imp = imp.sort_values("abs_importance", ascending=False, kind="stable").reset_index(drop=True)
    preds = X.assign(churned=y, split=np.where(is_test, "test", "train"), p_churn=p_all)
    baseline = None
    baseline_expected = None
    if bgnbd is not None:
        if bgnbd_summary is None:
            bgnbd_summary = rfm_summary(
                df[df["date"] <= cut], observation_end=cut, time_unit_days=bgnbd.time_unit_days
            )
        cols = ["frequency", "recency", "T"]
        if set(cols) - set(bgnbd_summary.columns):
            raise InputError(
                f"bgnbd_summary lacks the column(s) {sorted(set(cols) - set(bgnbd_summary.columns))}",
                hint="build it with rfm_summary()",
            )
        s = bgnbd_summary.reindex(X.index)
        if s[cols].isna().to_numpy().any():
            raise InputError(
                "bgnbd_summary lacks members who bought on or before the cutoff",
                hint="pass rfm_summary(transactions, observation_end=cutoff) or leave it out",
            )
        palive = bgnbd.probability_alive(s["frequency"], s["recency"], s["T"])
        expected = bgnbd.expected_purchases(
            window_days / bgnbd.time_unit_days, s["frequency"], s["recency"], s["T"]
        )
        preds["p_alive"] = palive
        preds["expected_purchases_bgnbd"] = expected
        baseline = _auc(yte, 1 - palive[is_test])
        baseline_expected = _auc(yte, -expected[is_test])
        if baseline < 0.5:
            warns.append(
                f"BG/NBD 1 - P(alive) ranks churners worse than chance (AUC {baseline:.2f}): "
                "the BG/NBD sets P(alive) = 1 for members without a repeat purchase, who "
                "are often the likeliest to lapse. Ranking by the BG/NBD's expected "
                f"purchases in the window gives AUC {baseline_expected:.2f}."
            )
    else:
        warns.append("No fitted BG/NBD was given: no P(alive) baseline.")
    max_dev = float((calib["predicted"] - calib["observed"]).abs().max())
    if max_dev > 0.1:
        warns.append(f"Calibration is off by up to {max_dev:.2f} in a decile of held-out members.")
    if auc < 0.6:
        warns.append(f"The held-out AUC is only {auc:.2f}: the model barely ranks churners.")
    if len(yte) < 200:
        warns.append(f"Only {len(yte)} held-out members: the AUC CI is wide.")
    return ChurnResult(
        model_kind=model,
        cutoff=cut,
        window_days=int(window_days),
        n_members=len(X),
        n_train=int((~is_test).sum()),
        n_test=int(is_test.sum()),
        churn_rate=float(y.mean()),
        auc=auc,
        auc_ci_low=lo,
        auc_ci_high=hi,
        n_boot=int(n_boot),
        seed=int(seed),
        calibration=calib,
        gains=gains,
        top_features=imp,
        baseline_auc_bgnbd=baseline,
        baseline_auc_bgnbd_expected=baseline_expected,
        predictions=preds,
        model=est,
        warning_messages=tuple(warns),
    )
