"""Scale scores and their reliability: alpha, omega total, item-total statistics.

The functions here match R's psych package (Revelle): :func:`cronbach_alpha`
and :func:`item_total_statistics` reproduce ``psych::alpha``, and
:func:`omega_total` reproduces omega total of a one-factor minres solution
(``psych::fa`` / ``psych::omega``). The golden tests pin them to psych 2.2.9
(``tests/reference/psych_scales.R``).

Items are expected to be reverse-coded already (see :mod:`workbench.intake.data`);
nothing here reverses an item, but a negatively correlating item is reported
in the result's warnings.

Incomplete data: listwise, pairwise, or ``missing="em"``, where the item covariances are
the maximum-likelihood (EM) estimates of the saturated normal model (Enders 2003), the
matrix behind FIML; nothing is imputed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.intake.missingness import EMMoments, estimate_em_moments
from workbench.measurement.factors import efa
from workbench.results import Result, jsonable, with_warnings
from workbench.validation import check_choice, check_ci

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "ReliabilityResult",
    "cronbach_alpha",
    "item_total_statistics",
    "omega_total",
    "reliability",
    "score_scales",
]

Missing = Literal["listwise", "pairwise", "em"]
_MISSING = ("listwise", "pairwise", "em")
_TREATMENT = {
    "listwise": "listwise deletion",
    "pairwise": "pairwise deletion",
    "em": "EM (maximum-likelihood) covariances",
}
_METHODS = ("mean", "sum")
#: minres keeps every uniqueness in [0.005, 1] (as psych::fa does).
_UNIQUENESS_BOUND = 0.005


# --------------------------------------------------------------------------- helpers


def _numeric_items(items: pd.DataFrame, what: str = "items") -> pd.DataFrame:
    """Check a DataFrame of items and return it as float."""
    if not isinstance(items, pd.DataFrame):
        raise InputError(
            f"The {what} must be a pandas DataFrame with one column per item, "
            f"not {type(items).__name__}.",
            hint="Pass e.g. data[['q2', 'q3', 'q4']].",
        )
    if items.shape[1] == 0:
        raise InputError(f"No {what} were given.", hint="Pass at least two item columns.")
    if items.columns.duplicated().any():
        dup = items.columns[items.columns.duplicated()][0]
        raise InputError(
            f"The {what} contain the column more than once.",
            column=str(dup),
            hint="List each item once.",
        )
    for col in items.columns:
        s = items[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
            value = s[bad].iloc[0] if bad.any() else None
            raise InputError(
                "An item column is not numeric, so it cannot be scored.",
                column=str(col),
                row=row,
                value=value,
                hint="Recode text answers to numbers (and declare missing-value codes) "
                "in the codebook before scoring.",
            )
    return items.astype(float)


def _check_respondents(n: int, what: str, *, minimum: int = 3) -> None:
    if n < minimum:
        raise InputError(
            f"Only {n} respondent(s) with usable answers for {what}; at least {minimum} are needed.",
            hint="Check the missing-value codes and the item names, use missing='pairwise', "
            "or collect more responses.",
        )


def _covariance(
    x: pd.DataFrame, missing: str, moments: EMMoments | None = None
) -> tuple[np.ndarray, int]:
    """Item covariance matrix and the n it rests on.

    ``listwise``: complete cases. ``pairwise``: each covariance from the rows
    that answered both items (R's ``cov(x, use = "pairwise")``, psych's default);
    ``n`` is then the number of respondents with at least one answered item.
    ``em``: :func:`_em_covariance`.
    """
    if missing == "em":
        return _em_covariance(x, moments)
    if missing == "listwise":
        complete = x.dropna()
        n = len(complete)
        _check_respondents(n, f"items {list(map(str, x.columns))} (complete cases)")
        return np.cov(complete.to_numpy(), rowvar=False, ddof=1).reshape(x.shape[1], -1), n
    answered = x.notna().to_numpy().astype(float)
    joint = answered.T @ answered
    n_min = int(joint.min())
    _check_respondents(n_min, f"every pair of items {list(map(str, x.columns))}")
    cov = x.cov(min_periods=1).to_numpy()
    return cov, int(answered.any(axis=1).sum())


def _em_covariance(x: pd.DataFrame, moments: EMMoments | None = None) -> tuple[np.ndarray, int]:
    """EM (saturated-model ML) covariances of the items, and the respondents with an answer.

    The block of ``moments`` when it covers the items (a joint EM over more items: the others
    act as auxiliary variables), else an EM over these items alone. An item with fewer than
    two distinct answers gets zero variance and covariances (as listwise deletion gives a
    constant item), so the callers report it the same way.
    """
    answered = x.notna().to_numpy()
    joint = answered.T.astype(float) @ answered.astype(float)
    _check_respondents(int(joint.min()), f"every pair of items {list(map(str, x.columns))}")
    n = int(answered.any(axis=1).sum())
    names = [str(c) for c in x.columns]
    varying = [i for i, c in enumerate(x.columns) if x[c].nunique(dropna=True) > 1]
    cov = np.zeros((len(names), len(names)))
    if varying:
        use = [names[i] for i in varying]
        if moments is not None and set(use) <= set(map(str, moments.cov.index)):
            block = moments.cov.loc[use, use].to_numpy()
        else:
            block = estimate_em_moments(x.iloc[:, varying]).cov.to_numpy()
        cov[np.ix_(varying, varying)] = block
    return cov, n


def _em_means(x: pd.DataFrame, moments: EMMoments | None) -> pd.Series:
    """EM means of the items that vary (the answered mean of the others)."""
    varying = [c for c in x.columns if x[c].nunique(dropna=True) > 1]
    out = x.mean()
    if not varying:
        return out
    use = [str(c) for c in varying]
    if moments is not None and set(use) <= set(map(str, moments.mean.index)):
        em = moments.mean.loc[use]
    else:
        em = estimate_em_moments(x[varying]).mean
    out.loc[varying] = em.to_numpy()
    return out


def _joint_moments(data: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> EMMoments | None:
    """One EM over every varying item of the multi-item constructs (None if there are none)."""
    items = list(dict.fromkeys(c for cols in constructs.values() if len(cols) > 1 for c in cols))
    x = _numeric_items(data[items]) if items else pd.DataFrame()
    varying = [c for c in x.columns if x[c].nunique(dropna=True) > 1]
    if len(varying) < 2:
        return None
    sub = x[varying]
    answered = sub.notna().to_numpy()
    joint = answered.T.astype(float) @ answered.astype(float)
    _check_respondents(int(joint.min()), f"every pair of items {list(map(str, varying))}")
    return estimate_em_moments(sub)


def _cov2cor(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / np.outer(sd, sd)


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    if k < 2:
        return math.nan
    total = cov.sum()
    return float(k / (k - 1) * (1 - np.trace(cov) / total)) if total != 0 else math.nan


def _average_r(cor: np.ndarray) -> float:
    k = cor.shape[0]
    if k < 2:
        return math.nan
    return float((cor.sum() - np.trace(cor)) / (k * (k - 1)))


def _feldt_ci(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    if not np.isfinite(alpha) or k < 2 or n < 2:
        return math.nan, math.nan
    df1 = n - 1
    df2 = (n - 1) * (k - 1)
    p = 1 - ci
    low = 1 - (1 - alpha) * stats.f.ppf(1 - p / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(p / 2, df1, df2)
    return float(low), float(high)


def _negative_item_warnings(r_drop: pd.Series, label: str) -> list[str]:
    bad = r_drop[r_drop < 0]
    if bad.empty:
        return []
    listing = ", ".join(f"{i} (r_drop = {v:.2f})" for i, v in bad.items())
    return [
        f"{label}: item(s) {listing} correlate negatively with the rest of the scale; "
        "probably a reverse-worded item that was not reverse-coded (declare it as reversed "
        "in the codebook)."
    ]


# --------------------------------------------------------------------------- scores


def score_scales(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    method: Literal["mean", "sum"] = "mean",
    min_items: int | None = None,
) -> pd.DataFrame:
    """Score each construct as the mean (or sum) of its items.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item. Items must already be
        reverse-coded where needed (:mod:`workbench.intake.data` does that from the
        codebook).
    constructs : dict of str to list of str
        Construct name -> its item columns, e.g. ``{"price": ["q2", "q3", "q4"]}``.
    method : {"mean", "sum"}
        ``"mean"`` (default) keeps the items' response scale; ``"sum"`` gives
        the total.
    min_items : int, optional
        How many items a respondent must have answered to get a score. The
        default (``None``) requires every item of the construct; respondents
        missing any item get NaN. A value larger than a construct's number of
        items is capped at that number.

    Returns
    -------
    pandas.DataFrame
        One column per construct (in the order given), same index as ``data``.
        NaN where the respondent answered fewer than ``min_items`` items.

    Notes
    -----
    Nothing is imputed silently. With the default ``min_items`` a score exists
    only for respondents who answered every item. With a smaller ``min_items``
    the mean is the mean of the answered items, which equals scoring the
    missing items at the respondent's own mean (person-mean imputation). For
    ``method="sum"`` the total is prorated the same way,
    :math:`k \\cdot \\bar{x}_{answered}`, so that totals stay comparable
    between respondents with and without missing items; a plain sum of the
    answered items would count a missing answer as zero.

    This is ``rowMeans(x, na.rm = TRUE)`` with a minimum count, which is what
    ``psych::scoreItems(..., impute = "none")`` does apart from the minimum.

    References
    ----------
    Revelle, W. psych: Procedures for Psychological, Psychometric, and
    Personality Research. R package, function ``scoreItems``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.scales import score_scales
    >>> df = pd.DataFrame({"q1": [5, 4, None], "q2": [3, 4, 2], "q3": [4, 4, 3]})
    >>> score_scales(df, {"value": ["q1", "q2", "q3"]})
       value
    0    4.0
    1    4.0
    2    NaN
    >>> score_scales(df, {"value": ["q1", "q2", "q3"]}, method="sum", min_items=2)
       value
    0   12.0
    1   12.0
    2    7.5
    """
    check_choice("method", method, _METHODS)
    if min_items is not None and (
        isinstance(min_items, bool) or not isinstance(min_items, (int, np.integer)) or min_items < 1
    ):
        raise ValueError(
            f"min_items={min_items!r} is not valid; use a positive integer or None "
            "(None requires every item)"
        )
    _check_constructs(data, constructs)
    scores = {}
    for name, cols in constructs.items():
        x = _numeric_items(data[list(cols)], f"items of '{name}'")
        k = x.shape[1]
        need = k if min_items is None else min(int(min_items), k)
        answered = x.notna().sum(axis=1)
        mean = x.mean(axis=1, skipna=True)
        score = mean if method == "mean" else mean * k
        scores[name] = score.where(answered >= need)
    return pd.DataFrame(scores, index=data.index)


def _check_constructs(data: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"The data must be a pandas DataFrame, not {type(data).__name__}.",
            hint="Load it with workbench.intake.data first.",
        )
    if not isinstance(constructs, Mapping) or not constructs:
        raise InputError(
            "No constructs were given.",
            hint="Pass a dict such as {'price': ['q2', 'q3', 'q4']}.",
        )
    for name, cols in constructs.items():
        if isinstance(cols, str) or not isinstance(cols, Sequence) or len(cols) == 0:
            raise InputError(
                f"Construct '{name}' must list its item columns, got {cols!r}.",
                hint="Give a list of column names, e.g. ['q2', 'q3'].",
            )
        for col in cols:
            if col not in data.columns:
                raise InputError(
                    f"Construct '{name}' uses an item that is not in the data.",
                    column=str(col),
                    hint="Check the item names in the codebook against the data columns: "
                    + ", ".join(map(str, data.columns[:20]))
                    + (" ..." if data.shape[1] > 20 else ""),
                )


# --------------------------------------------------------------------------- alpha


@dataclasses.dataclass(frozen=True)
class AlphaResult(Result):
    """Cronbach's alpha of one scale, as :func:`cronbach_alpha` returns it.

    Attributes
    ----------
    alpha : float
        Raw alpha from the item covariances (psych ``raw_alpha``).
    std_alpha : float
        Standardized alpha from the item correlations (psych ``std.alpha``).
    ci_low, ci_high : float
        Feldt (1987) confidence interval of raw alpha (psych ``alpha.ci``).
    ci : float
        Its confidence level.
    n : int
        Respondents used (complete cases, or with ``missing="pairwise"`` the
        respondents with at least one answered item).
    n_items : int
        Number of items.
    average_r : float
        Mean inter-item correlation (psych ``average_r``).
    missing : str
        ``"listwise"`` or ``"pairwise"``.
    warning_messages : tuple of str
        What to look at before trusting the number.
    """

    alpha: float
    std_alpha: float
    ci_low: float
    ci_high: float
    ci: float
    n: int
    n_items: int
    average_r: float
    missing: str = "listwise"
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row: alpha, std_alpha, ci_low, ci_high, n, n_items, average_r."""
        return pd.DataFrame(
            [
                {
                    "alpha": self.alpha,
                    "std_alpha": self.std_alpha,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "n": self.n,
                    "n_items": self.n_items,
                    "average_r": self.average_r,
                }
            ],
            index=["cronbach_alpha"],
        )

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if f.name != "warning_messages"
            }
            | {"warnings": self.warnings}
        )

    def summary(self) -> str:
        pct = f"{100 * self.ci:g}%"
        text = (
            f"Cronbach's alpha = {self.alpha:.3f} ({pct} CI [{self.ci_low:.3f}, {self.ci_high:.3f}], "
            f"Feldt), standardized alpha = {self.std_alpha:.3f}, average r = {self.average_r:.3f}; "
            f"{self.n_items} items, n = {self.n} ({self.missing})."
        )
        text = with_warnings(text, self.warnings)
        return text


def _alpha_parts(
    x: pd.DataFrame,
    *,
    ci: float,
    missing: str,
    label: str,
    moments: EMMoments | None = None,
) -> AlphaResult:
    k = x.shape[1]
    cov, n = _covariance(x, missing, moments)
    cor = _cov2cor(cov)
    alpha = _alpha_from_cov(cov)
    avg_r = _average_r(cor)
    std_alpha = k * avg_r / (1 + (k - 1) * avg_r) if k >= 2 else math.nan
    low, high = _feldt_ci(alpha, n, k, ci)
    notes: list[str] = []
    zero_var = [str(c) for c, v in zip(x.columns, np.diag(cov), strict=True) if not v > 0]
    if zero_var:
        notes.append(
            f"{label}: item(s) {', '.join(zero_var)} have no variance (everyone gave the same "
            "answer); correlations and standardized alpha are undefined. Drop the item."
        )
    if k >= 2 and np.isfinite(alpha) and alpha < 0:
        notes.append(
            f"{label}: alpha = {alpha:.3f} is negative because the average inter-item covariance "
            "is negative; probably a reverse-worded item that was not declared as reversed."
        )
    if k >= 2:
        notes += _negative_item_warnings(_r_drop(cov, x.columns), label)
    return AlphaResult(
        alpha=alpha,
        std_alpha=float(std_alpha),
        ci_low=low,
        ci_high=high,
        ci=float(ci),
        n=int(n),
        n_items=int(k),
        average_r=avg_r,
        missing=missing,
        warning_messages=tuple(notes),
    )


def cronbach_alpha(
    items: pd.DataFrame,
    *,
    ci: float = 0.95,
    missing: Missing = "listwise",
) -> AlphaResult:
    """Cronbach's alpha with its Feldt confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item of the scale (at least two), already reverse-coded.
    ci : float
        Confidence level of the interval, default 0.95.
    missing : {"listwise", "pairwise", "em"}
        ``"listwise"`` (default) uses the respondents who answered every item.
        ``"pairwise"`` computes each covariance from the respondents who
        answered both items, which is psych's default (``use = "pairwise"``).
        ``"em"`` uses the maximum-likelihood covariances of the saturated
        normal model, estimated by EM from every respondent with at least one
        answer (Enders 2003; lavaan's ``lavCor(x, missing = "ml", output = "cov")``).

    Returns
    -------
    AlphaResult
        ``alpha``, ``std_alpha``, ``ci_low``, ``ci_high``, ``n``, ``n_items``,
        ``average_r`` and ``warnings`` (negative alpha, negatively correlating
        items, items without variance).

    Raises
    ------
    InputError
        Fewer than two items, a non-numeric item, or fewer than three usable
        respondents.

    Notes
    -----
    With :math:`k` items, item covariance matrix :math:`C` and correlation
    matrix :math:`R`:

    .. math::

        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\sum_{ij} C_{ij}}\\right),
        \\qquad
        \\alpha_{std} = \\frac{k \\bar r}{1 + (k-1)\\bar r},

    where :math:`\\bar r` is the mean off-diagonal correlation. With pairwise
    deletion :math:`R` is ``cov2cor(C)``, as in psych.

    The confidence interval is Feldt's (Feldt, Woodruff & Salih, 1987), the one
    ``psych::alpha.ci`` computes and ``print(psych::alpha(x))`` shows as
    "Feldt" (pingouin's ``cronbach_alpha`` uses the same one), with
    :math:`df_1 = n - 1`, :math:`df_2 = (n-1)(k-1)`:

    .. math::

        [\\,1 - (1-\\alpha) F_{1-p/2}(df_1, df_2),\\; 1 - (1-\\alpha) F_{p/2}(df_1, df_2)\\,],
        \\quad p = 1 - ci.

    psych counts every row for :math:`n` under pairwise deletion; here ``n``
    counts the respondents who answered at least one item (the same unless a
    row is entirely empty).

    With ``missing="em"``, :math:`C` is the EM estimate and :math:`R` its
    correlations; alpha does not depend on the divisor. The Feldt interval
    then treats :math:`C` as if it came from ``n`` complete respondents (``n``:
    respondents with at least one answer), which is too narrow when many
    answers are missing; Enders (2003) bootstraps instead. The R equivalent is
    ``psych::alpha(lavCor(x, missing = "ml", output = "cov"))`` (alpha from a
    given covariance matrix).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika*, 16(3), 297-334.

    Enders, C. K. (2003). Using the expectation maximization algorithm to
    estimate coefficient alpha for scales with item-level missing data.
    *Psychological Methods*, 8(3), 322-337.

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference
    for coefficient alpha. *Applied Psychological Measurement*, 11(1), 93-103.

    R: ``psych::alpha(x)$total`` (``raw_alpha``, ``std.alpha``, ``average_r``)
    and ``psych::alpha.ci``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.scales import cronbach_alpha
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=200)  # one common factor, four 5-ish point items
    >>> df = pd.DataFrame({f"q{i}": np.round(3 + 0.8 * f + rng.normal(size=200))
    ...                    for i in range(1, 5)})
    >>> res = cronbach_alpha(df)
    >>> round(res.alpha, 3), res.n, res.n_items
    (0.658, 200, 4)
    >>> round(res.ci_low, 3), round(res.ci_high, 3)
    (0.574, 0.73)
    """
    check_ci(ci)
    check_choice("missing", missing, _MISSING)
    x = _numeric_items(items)
    if x.shape[1] < 2:
        raise InputError(
            f"Cronbach's alpha needs at least two items; got {x.shape[1]} "
            f"({', '.join(map(str, x.columns))}).",
            hint="Alpha is undefined for a single-item measure; report the item itself.",
        )
    return _alpha_parts(x, ci=ci, missing=missing, label="scale")


# --------------------------------------------------------------------------- item-total


def _r_drop(cov: np.ndarray, columns: pd.Index) -> pd.Series:
    """Correlation of each item with the sum of the other items (psych ``r.drop``)."""
    k = cov.shape[0]
    total = cov.sum()
    out = np.full(k, math.nan)
    for i in range(k):
        c_drop = cov[:, i].sum() - cov[i, i]
        v_drop = total - 2 * cov[:, i].sum() + cov[i, i]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = c_drop / math.sqrt(cov[i, i] * v_drop) if cov[i, i] * v_drop > 0 else math.nan
    return pd.Series(out, index=columns)


def item_total_statistics(
    items: pd.DataFrame,
    *,
    missing: Missing = "listwise",
) -> pd.DataFrame:
    """Per-item statistics: n, mean, sd, corrected item-total r, alpha if deleted.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item of the scale (at least two), already reverse-coded.
    missing : {"listwise", "pairwise", "em"}
        As in :func:`cronbach_alpha`. Listwise: every column is computed on
        the complete cases. Pairwise: ``n``, ``mean`` and ``sd`` use every
        answer to the item, and the correlations the pairwise covariances
        (psych's default). EM: ``n`` counts the item's answers, ``mean`` and
        ``sd`` are the EM estimates (divisor: respondents with an answer), and
        the correlations come from the EM covariances.

    Returns
    -------
    pandas.DataFrame
        Indexed by item, with columns

        - ``n``: respondents used for the item;
        - ``mean``, ``sd``: the item's mean and standard deviation (n - 1);
        - ``r_drop``: corrected item-total correlation, the item against the
          sum of the *other* items (psych ``alpha()$item.stats$r.drop``; SPSS
          "Corrected Item-Total Correlation");
        - ``alpha_if_deleted``: raw alpha of the remaining items (psych
          ``alpha()$alpha.drop$raw_alpha``); NaN for a two-item scale.

    Notes
    -----
    With item covariance matrix :math:`C` and :math:`V = \\sum_{jk} C_{jk}`,

    .. math::

        r_{drop,i} = \\frac{\\sum_{j \\ne i} C_{ij}}
                          {\\sqrt{C_{ii}\\,(V - 2\\sum_j C_{ij} + C_{ii})}},

    and ``alpha_if_deleted`` is :math:`\\alpha` of :math:`C` without row and
    column :math:`i`.

    References
    ----------
    R: ``psych::alpha(x)$item.stats`` and ``psych::alpha(x)$alpha.drop``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.scales import item_total_statistics
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=200)  # one common factor, four 5-ish point items
    >>> df = pd.DataFrame({f"q{i}": np.round(3 + 0.8 * f + rng.normal(size=200))
    ...                    for i in range(1, 5)})
    >>> item_total_statistics(df).round(3)  # doctest: +NORMALIZE_WHITESPACE
            n   mean     sd  r_drop  alpha_if_deleted
    item
    q1    200  2.860  1.256   0.419             0.604
    q2    200  2.940  1.336   0.452             0.581
    q3    200  2.805  1.275   0.439             0.590
    q4    200  2.955  1.308   0.443             0.587
    """
    check_choice("missing", missing, _MISSING)
    x = _numeric_items(items)
    if x.shape[1] < 2:
        raise InputError(
            f"Item-total statistics need at least two items; got {x.shape[1]}.",
            hint="A single item has no 'rest of the scale' to correlate with.",
        )
    return _item_total(x, missing)


def _item_total(x: pd.DataFrame, missing: str, moments: EMMoments | None = None) -> pd.DataFrame:
    cov, _ = _covariance(x, missing, moments)
    base = x.dropna() if missing == "listwise" else x
    k = x.shape[1]
    alpha_drop = []
    for i in range(k):
        keep = [j for j in range(k) if j != i]
        alpha_drop.append(_alpha_from_cov(cov[np.ix_(keep, keep)]) if k > 2 else math.nan)
    mean, sd = base.mean(), base.std(ddof=1)
    if missing == "em":
        em_mean = _em_means(x, moments)
        varying = np.diag(cov) > 0
        mean = mean.where(~varying, em_mean)
        sd = sd.where(~varying, pd.Series(np.sqrt(np.diag(cov)), index=x.columns))
    out = pd.DataFrame(
        {
            "n": base.notna().sum().astype(int),
            "mean": mean,
            "sd": sd,
            "r_drop": _r_drop(cov, x.columns),
            "alpha_if_deleted": alpha_drop,
        },
        index=x.columns,
    )
    out.index.name = "item"
    return out


# --------------------------------------------------------------------------- omega


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class OmegaResult(Result):
    """Omega total from a one-factor minres solution (:func:`omega_total`).

    Attributes
    ----------
    omega_total : float
        :math:`(\\sum\\lambda)^2 / ((\\sum\\lambda)^2 + \\sum u^2)`, the value
        ``expected_shared.json`` calls ``omega_total_1f``.
    omega_total_observed : float
        :math:`1 - \\sum u^2 / \\sum R`, what ``psych::omega(x, nfactors = 1)``
        prints as "Omega Total".
    loadings, uniquenesses : pandas.Series
        The one-factor minres solution, indexed by item; loadings are signed so
        that their sum is positive.
    n, n_items : int
        Respondents and items used.
    heywood : bool
        True if a uniqueness is at or below 0.005, the lower bound minres
        enforces (a Heywood case that the fit clipped).
    model : object
        The one-factor :class:`~workbench.measurement.factors.EFAResult`.
    warning_messages : tuple of str
    """

    omega_total: float
    omega_total_observed: float
    loadings: pd.Series
    uniquenesses: pd.Series
    n: int
    n_items: int
    heywood: bool = False
    model: Any = dataclasses.field(default=None, repr=False, compare=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Per item: ``loading``, ``communality`` (loading squared), ``uniqueness``."""
        out = pd.DataFrame(
            {
                "loading": self.loadings,
                "communality": self.loadings**2,
                "uniqueness": self.uniquenesses,
            }
        )
        out.index.name = "item"
        return out

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "omega_total": self.omega_total,
                "omega_total_observed": self.omega_total_observed,
                "n": self.n,
                "n_items": self.n_items,
                "heywood": self.heywood,
                "loadings": self.loadings,
                "uniquenesses": self.uniquenesses,
                "warnings": self.warnings,
            }
        )

    def summary(self) -> str:
        text = (
            f"Omega total = {self.omega_total:.3f} (one-factor minres; psych::omega's "
            f"1 - sum(u2)/sum(R) = {self.omega_total_observed:.3f}); "
            f"{self.n_items} items, n = {self.n}.\n\n" + self.to_frame().round(3).to_string()
        )
        text = with_warnings(text, self.warnings)
        return text


def _fit_one_factor(cor: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """One-factor minres fit of a correlation matrix: loadings (sum positive), uniquenesses,
    and the :class:`~workbench.measurement.factors.EFAResult`. The project's own minres (an
    analytic-gradient fit, uniquenesses in [0.005, 1] as ``psych::fa``), which reaches a
    lower objective than factor_analyzer's numerical-gradient fit (``tests/test_factors.py``)."""
    names = [f"x{i}" for i in range(cor.shape[0])]
    frame = pd.DataFrame(cor, index=names, columns=names)
    fit = efa(None, 1, method="minres", rotation="none", corr=frame, n_obs=n)
    loadings = fit.loadings.iloc[:, 0].to_numpy(dtype=float).copy()
    uniq = fit.uniquenesses.to_numpy(dtype=float)
    if loadings.sum() < 0:
        loadings = -loadings
    return loadings, uniq, fit


def _omega_parts(
    x: pd.DataFrame, *, missing: str, label: str, moments: EMMoments | None = None
) -> OmegaResult:
    k = x.shape[1]
    if k < 3:
        raise InputError(
            f"Omega total from a one-factor model needs at least three items; {label} has {k}.",
            hint="Report alpha (or the inter-item correlation) for two-item scales.",
        )
    cov, n = _covariance(x, missing, moments)
    if n < k:
        raise InputError(
            f"Omega total for {label} needs more respondents than items ({n} respondents, "
            f"{k} items).",
            hint="Collect more responses or use missing='pairwise' if many answers are missing.",
        )
    cor = _cov2cor(cov)
    if not np.all(np.isfinite(cor)):
        raise InputError(
            f"The item correlations of {label} are undefined (an item has no variance).",
            hint="Drop items that every respondent answered the same way.",
        )
    loadings, uniq, fa = _fit_one_factor(cor, n)
    s = loadings.sum()
    omega = float(s**2 / (s**2 + uniq.sum()))
    omega_obs = float(1 - uniq.sum() / cor.sum())
    notes: list[str] = []
    at_bound = uniq <= _UNIQUENESS_BOUND + 1e-6
    heywood = bool(at_bound.any())
    if heywood:
        items = ", ".join(
            f"{c} ({u:.3f})" for c, u, b in zip(x.columns, uniq, at_bound, strict=True) if b
        )
        notes.append(
            f"{label}: Heywood case in the one-factor fit: the uniqueness of {items} is at or "
            f"below the bound {_UNIQUENESS_BOUND} that minres enforces (a communality of 1 or "
            "more was clipped), so omega total is not trustworthy. Look for near-duplicate "
            "items or too few respondents."
        )
    negative = [str(c) for c, v in zip(x.columns, loadings, strict=True) if v < 0]
    if negative:
        notes.append(
            f"{label}: item(s) {', '.join(negative)} load negatively on the common factor; probably "
            "a reverse-worded item that was not reverse-coded, which lowers omega total."
        )
    return OmegaResult(
        omega_total=omega,
        omega_total_observed=omega_obs,
        loadings=pd.Series(loadings, index=x.columns, name="loading"),
        uniquenesses=pd.Series(uniq, index=x.columns, name="uniqueness"),
        n=int(n),
        n_items=int(k),
        heywood=heywood,
        model=fa,
        warning_messages=tuple(notes),
    )


def omega_total(
    items: pd.DataFrame,
    *,
    missing: Missing = "listwise",
) -> OmegaResult:
    """McDonald's omega total from a one-factor minres solution.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item of the scale (at least three), already reverse-coded.
    missing : {"listwise", "pairwise", "em"}
        How the item correlations are computed, as in :func:`cronbach_alpha`
        (``"em"``: the correlations of the EM covariances; R: ``psych::fa`` of
        ``lavCor(x, missing = "ml")`` with ``n.obs`` the respondents with an answer).

    Returns
    -------
    OmegaResult
        ``omega_total``, ``omega_total_observed``, the loadings and
        uniquenesses, ``heywood`` and ``warnings``; ``.model`` is the one-factor
        :class:`~workbench.measurement.factors.EFAResult`.

    Raises
    ------
    InputError
        Fewer than three items, fewer respondents than items, fewer than
        three usable respondents, or an item without variance.

    Notes
    -----
    A single factor is fitted to the item correlation matrix :math:`R` by
    minimum residual (minres, :func:`workbench.measurement.factors.efa`, which like
    ``psych::fa`` keeps uniquenesses in :math:`[0.005, 1]`). With loadings
    :math:`\\lambda_i` and uniquenesses :math:`u^2_i = 1 - \\lambda_i^2`,

    .. math::

        \\omega_t = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i u^2_i}.

    The denominator is the variance of the standardized total that the
    one-factor model implies; this is the definition that reproduces
    ``omega_total_1f`` of ``tests/reference/expected_shared.json`` (to about
    2e-7) and matches composite reliability from a CFA.

    ``psych::omega(x, nfactors = 1)`` reports a variant with the *observed*
    total variance in the denominator, :math:`1 - \\sum_i u^2_i / \\sum_{ij} R_{ij}`
    (``omegah``: ``om.tot <- (Vt - uniq)/Vt``); it is returned as
    ``omega_total_observed``. The two differ by the misfit of the one-factor
    model (less than 3e-4 on the bfi scales). A third variant,
    :math:`(\\sum\\lambda)^2 / \\sum R`, is not used.

    If a uniqueness ends at the 0.005 bound (a Heywood case) the result says
    so in ``heywood`` and ``warnings``.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.

    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and
    the glb. *Psychometrika*, 74(1), 145-154.

    R: ``f <- psych::fa(x, 1, fm = "minres")``;
    ``sum(f$loadings)^2 / (sum(f$loadings)^2 + sum(f$uniquenesses))``, and
    ``psych::omega(x, nfactors = 1)$omega.tot``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.scales import omega_total
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=200)  # one common factor, four 5-ish point items
    >>> df = pd.DataFrame({f"q{i}": np.round(3 + 0.8 * f + rng.normal(size=200))
    ...                    for i in range(1, 5)})
    >>> res = omega_total(df)
    >>> round(res.omega_total, 3), res.heywood
    (0.658, False)
    >>> res.loadings.round(3).tolist()
    [0.539, 0.593, 0.57, 0.578]
    """
    check_choice("missing", missing, _MISSING)
    x = _numeric_items(items)
    return _omega_parts(x, missing=missing, label="the scale")


# --------------------------------------------------------------------------- reliability


_TABLE_COLUMNS = [
    "n_items",
    "n",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "std_alpha",
    "omega_total",
    "mean",
    "sd",
]


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class ReliabilityResult(Result):
    """Reliability of every construct (:func:`reliability`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per construct (index ``construct``), columns ``n_items``,
        ``n``, ``alpha``, ``alpha_ci_low``, ``alpha_ci_high``, ``std_alpha``,
        ``omega_total``, ``mean``, ``sd``.
    item_stats : pandas.DataFrame
        :func:`item_total_statistics` for every construct, indexed by
        (``construct``, ``item``).
    ci : float
        Confidence level of the alpha interval.
    missing : str
        ``"listwise"``, ``"pairwise"`` or ``"em"``.
    alphas, omegas : dict
        The per-construct :class:`AlphaResult` and :class:`OmegaResult`
        (where they exist) for drill-down.
    warning_messages : tuple of str
    """

    table: pd.DataFrame
    item_stats: pd.DataFrame
    ci: float = 0.95
    missing: str = "listwise"
    alphas: dict[str, AlphaResult] = dataclasses.field(default_factory=dict, repr=False)
    omegas: dict[str, OmegaResult] = dataclasses.field(default_factory=dict, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The per-construct table."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """``{construct: {alpha, alpha_ci_low, alpha_ci_high, omega_total, ...}}``.

        The ``reliability`` block of ``results.json`` (composite reliability
        and AVE are added from the CFA, not here).
        """
        return jsonable(
            {name: dict(row) for name, row in self.table.to_dict(orient="index").items()}
        )

    def summary(self) -> str:
        pct = f"{100 * self.ci:g}%"
        text = (
            f"Reliability ({_TREATMENT.get(self.missing, self.missing)}; alpha CI: {pct} Feldt; "
            "omega total: "
            "one-factor minres)\n\n"
            + self.table.round(3).to_string()
            + "\n\nItem-total statistics\n\n"
            + self.item_stats.round(3).to_string()
        )
        text = with_warnings(text, self.warnings)
        return text


def reliability(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    *,
    missing: Missing = "listwise",
    ci: float = 0.95,
    moments: EMMoments | None = None,
) -> ReliabilityResult:
    """Alpha, omega total, score descriptives and item-total statistics per construct.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item, already reverse-coded.
    constructs : dict of str to list of str
        Construct name -> its item columns.
    missing : {"listwise", "pairwise", "em"}
        ``"listwise"`` (default): each construct uses the respondents who
        answered all of *its* items (so ``n`` can differ between constructs).
        ``"pairwise"``: covariances from all pairs of answers (psych's
        default), and the score is the mean of the answered items.
        ``"em"``: covariances from one EM estimate of the saturated normal
        model of every item of every multi-item construct (each construct's
        block; the other items act as auxiliary variables), ``n`` the
        respondents with at least one answer to the construct; the score is
        the mean of the answered items, as with ``"pairwise"``.
    ci : float
        Confidence level of the Feldt interval of alpha, default 0.95.
    moments : EMMoments, optional
        With ``missing="em"``: EM estimates already computed over (at least) the
        constructs' items, e.g. :attr:`ItemCorrelations.moments
        <workbench.measurement.factors.ItemCorrelations>` of the same respondents; they
        are used instead of a new EM.

    Returns
    -------
    ReliabilityResult
        ``table`` (one row per construct: ``n_items``, ``n``, ``alpha``,
        ``alpha_ci_low``, ``alpha_ci_high``, ``std_alpha``, ``omega_total``,
        ``mean`` and ``sd`` of the mean score), ``item_stats`` and
        ``warnings``. ``to_dict()`` gives the ``reliability`` block of
        ``results.json``.

    Raises
    ------
    InputError
        A construct's items are not in the data or not numeric, or a
        construct has fewer than three usable respondents.

    Notes
    -----
    ``alpha``, ``std_alpha`` and the interval are :func:`cronbach_alpha`;
    ``omega_total`` is :func:`omega_total` (its ``omega_total`` attribute).
    Problems that leave a number undefined are reported, not raised:

    - a construct with one item: alpha, its interval and omega are NaN;
    - a construct with two items: omega is NaN (a one-factor model needs three);
    - fewer respondents than items: omega is NaN;
    - negative alpha (negative average covariance) or an item correlating
      negatively with the rest of its scale: probably an undeclared
      reverse-worded item;
    - a Heywood case in the one-factor fit.

    ``mean`` and ``sd`` describe the construct's mean score over the same
    respondents (complete cases under listwise deletion; every respondent
    with an answer, scored on the answered items, under pairwise deletion and
    EM, as ``psych::alpha(x)$total$mean``).

    With ``missing="em"`` the alpha interval is Feldt's with ``n`` the
    respondents with an answer to the construct (see :func:`cronbach_alpha`).

    References
    ----------
    See :func:`cronbach_alpha`, :func:`omega_total` and
    :func:`item_total_statistics`. R: ``psych::alpha`` and ``psych::omega``
    per scale. Enders, C. K. (2003), *Psychological Methods*, 8(3), 322-337,
    and Enders, C. K. (2010). *Applied Missing Data Analysis*, ch. 4-5
    (EM; auxiliary variables). Guilford.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.scales import reliability
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=200)  # one common factor, four 5-ish point items
    >>> df = pd.DataFrame({f"q{i}": np.round(3 + 0.8 * f + rng.normal(size=200))
    ...                    for i in range(1, 5)})
    >>> df["q5"] = np.round(3 + rng.normal(size=200))
    >>> res = reliability(df, {"value": ["q1", "q2", "q3", "q4"], "single": ["q5"]})
    >>> res.table[["n_items", "n", "alpha", "omega_total"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
               n_items    n  alpha  omega_total
    construct
    value            4  200  0.658        0.658
    single           1  200    NaN          NaN
    >>> print(res.warnings[0])
    single: only one item, so alpha and omega total are undefined (reported as NaN).
    """
    check_ci(ci)
    check_choice("missing", missing, _MISSING)
    _check_constructs(data, constructs)
    if missing == "em" and moments is None:
        moments = _joint_moments(data, constructs)
    elif missing != "em":
        moments = None
    rows: dict[str, dict[str, Any]] = {}
    item_tables = []
    alphas: dict[str, AlphaResult] = {}
    omegas: dict[str, OmegaResult] = {}
    notes: list[str] = []
    for name, cols in constructs.items():
        x = _numeric_items(data[list(cols)], f"items of '{name}'")
        k = x.shape[1]
        used = x.dropna() if missing == "listwise" else x[x.notna().any(axis=1)]
        score = used.mean(axis=1, skipna=True)
        row: dict[str, Any] = {
            "n_items": k,
            "n": len(used),
            "alpha": math.nan,
            "alpha_ci_low": math.nan,
            "alpha_ci_high": math.nan,
            "std_alpha": math.nan,
            "omega_total": math.nan,
            "mean": float(score.mean()) if len(score) else math.nan,
            "sd": float(score.std(ddof=1)) if len(score) > 1 else math.nan,
        }
        if k < 2:
            notes.append(
                f"{name}: only one item, so alpha and omega total are undefined (reported as NaN)."
            )
            rows[name] = row
            continue
        a = _alpha_parts(x, ci=ci, missing=missing, label=name, moments=moments)
        alphas[name] = a
        notes += a.warnings
        row.update(
            n=a.n,
            alpha=a.alpha,
            alpha_ci_low=a.ci_low,
            alpha_ci_high=a.ci_high,
            std_alpha=a.std_alpha,
        )
        it = _item_total(x, missing, moments)
        item_tables.append(it.assign(construct=name).reset_index())
        if k < 3:
            notes.append(
                f"{name}: two items, so omega total (a one-factor model needs three) is NaN; "
                "report alpha or the inter-item correlation."
            )
        elif a.n < k:
            notes.append(
                f"{name}: fewer respondents ({a.n}) than items ({k}), so omega total is NaN."
            )
        elif not np.isfinite(a.std_alpha):
            notes.append(f"{name}: omega total is NaN because an item has no variance.")
        else:
            om = _omega_parts(x, missing=missing, label=name, moments=moments)
            omegas[name] = om
            row["omega_total"] = om.omega_total
            # alpha's warning already names negatively correlating items; don't repeat it
            flagged = any("correlate negatively" in w for w in a.warnings)
            notes += [w for w in om.warnings if not (flagged and "load negatively" in w)]
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")[_TABLE_COLUMNS]
    table.index.name = "construct"
    table[["n_items", "n"]] = table[["n_items", "n"]].astype(int)
    if item_tables:
        item_stats = pd.concat(item_tables, ignore_index=True).set_index(["construct", "item"])
    else:
        item_stats = pd.DataFrame(
            columns=["n", "mean", "sd", "r_drop", "alpha_if_deleted"],
            index=pd.MultiIndex.from_arrays([[], []], names=["construct", "item"]),
        )
    return ReliabilityResult(
        table=table,
        item_stats=item_stats,
        ci=float(ci),
        missing=missing,
        alphas=alphas,
        omegas=omegas,
        warning_messages=tuple(notes),
    )


def factor_scores(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """Regression (Thurstone) factor scores, one single-factor model per construct.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses, already reverse-coded; one column per item.
    constructs : dict of str to list of str
        Construct name -> its items. Single-item constructs are returned as
        the standardized item.

    Returns
    -------
    pandas.DataFrame
        One column per construct, on the same index as ``data``; respondents
        missing any of a construct's items get NaN for it (nothing is imputed).

    Notes
    -----
    For each construct a one-factor minres model gives loadings
    :math:`\\lambda`; the weights are :math:`w = R^{-1}\\lambda` and the
    scores :math:`F = Z w`, where :math:`Z` holds the items standardized
    with their sample mean and standard deviation (divisor n - 1) over the
    respondents with every item of the construct. Scores have mean 0; their
    variance is the determinacy :math:`\\lambda' R^{-1} \\lambda`, below 1.

    References
    ----------
    Thurstone, L. L. (1935). *The vectors of mind*. Grice, J. W. (2001).
    Computing and evaluating factor scores. *Psychological Methods*, 6,
    430-450. R: ``psych::fa(x, 1, fm = "minres", scores = "regression")$scores``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=300)
    >>> items = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    >>> scores = factor_scores(items, {"trust": ["x0", "x1", "x2", "x3"]})
    >>> round(float(np.corrcoef(scores["trust"], f)[0, 1]), 2)
    0.9
    """
    from workbench.measurement.factors import efa

    _check_constructs(data, constructs)
    out = {}
    for name, items in constructs.items():
        x = _numeric_items(data.loc[:, list(items)])
        complete = x.dropna()
        _check_respondents(len(complete), f"factor scores of '{name}'", minimum=len(items) + 2)
        z = (complete - complete.mean()) / complete.std(ddof=1)
        if len(items) == 1:
            scores = z.iloc[:, 0]
        else:
            fit = efa(complete, 1, method="minres", rotation="none")
            r = np.corrcoef(complete.to_numpy(dtype=float), rowvar=False)
            lam = fit.loadings.iloc[:, 0].to_numpy()
            if lam.sum() < 0:  # orient the factor like its items
                lam = -lam
            weights = np.linalg.solve(r, lam)
            scores = pd.Series(z.to_numpy() @ weights, index=complete.index)
        out[name] = scores.reindex(data.index)
    return pd.DataFrame(out, index=data.index)
