"""The missing-data diagnosis every survey study shows before any model.

:func:`diagnose_missing` answers the questions a methodologist asks before choosing a
missing-data treatment, as SPSS's Missing Value Analysis, R's ``mice::md.pattern`` and
``naniar::mcar_test`` do:

- per item: answered, missing, % missing and declared missing codes replaced;
- per respondent: how many miss 0, 1, 2, ... items; complete cases and their share;
- the pattern table (each distinct pattern of answered/missing items, most frequent first);
- Little's (1988) MCAR test on the EM estimates of the saturated normal model
  (:func:`little_mcar_test`, :func:`estimate_em_moments`);
- missingness by group (tier, channel) with a chi-square test of the complete-case share;
- a plain sentence recommending a treatment, with its numbers.

The diagnosis reports; it never removes, imputes or changes an answer.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.intake.data import SurveyData
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings

__all__ = [
    "EMConvergenceWarning",
    "EMMoments",
    "LittleMCARTest",
    "MissingDiagnosis",
    "diagnose_missing",
    "estimate_em_moments",
    "little_mcar_test",
]

#: listwise deletion that drops at most this share of respondents is called a small loss
SMALL_LOSS = 0.05
#: patterns are batched in chunks of this many, which bounds memory at ~4 x chunk x p^2 floats
_CHUNK = 256
#: a correlation-scale eigenvalue below this makes the EM covariance singular
_SINGULAR = 1e-10


class EMConvergenceWarning(UserWarning):
    """The EM algorithm stopped at ``max_iter`` before the estimates settled."""


# ----------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EMMoments(Result):
    """ML estimates of the means and covariances of incomplete normal data (EM).

    Attributes
    ----------
    mean
        Item means (ML under the saturated multivariate normal model).
    cov
        Item covariance matrix, ML (divisor ``n``), as lavaan's ``h1`` moments.
    n
        Respondents used (respondents who answered none of the items carry no information
        and are left out, as lavaan does).
    n_iter
        EM iterations run.
    converged
        Whether the largest change in a mean or covariance, in standard-deviation units,
        fell below ``tol`` within ``max_iter`` iterations.
    change
        That largest change at the last iteration.
    loglik
        Observed-data log-likelihood at the estimates: lavaan's
        ``lav_mvnorm_missing_loglik_data`` at its EM moments, the ``unrestricted.logl`` of a
        fit with ``missing = "ml"``.
    """

    mean: pd.Series
    cov: pd.DataFrame
    n: int
    n_iter: int
    converged: bool
    change: float
    tol: float
    max_iter: int
    loglik: float
    warning_messages: tuple[str, ...] = ()

    @property
    def correlation(self) -> pd.DataFrame:
        """The EM correlation matrix (the saturated-model correlations FIML methods use)."""
        sd = np.sqrt(np.diag(self.cov.to_numpy()))
        return self.cov / np.outer(sd, sd)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``mean`` and then the item's row of the covariance matrix."""
        return pd.concat([self.mean.rename("mean"), self.cov], axis=1)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "n": self.n,
                "n_iter": self.n_iter,
                "converged": self.converged,
                "change": self.change,
                "tol": self.tol,
                "loglik": self.loglik,
                "mean": self.mean,
                "cov": self.cov,
                "warnings": self.warnings,
            }
        )


@dataclasses.dataclass(frozen=True)
class LittleMCARTest(Result):
    """Little's (1988) test of missing completely at random.

    Attributes
    ----------
    d2
        The statistic :math:`d^2`, referred to a chi-square distribution.
    df
        :math:`\\sum_j p_j - p` (observed items summed over patterns, minus the items).
    p
        Upper-tail chi-square p-value; NaN when the test is not applicable.
    n
        Respondents used (those with at least one answer).
    n_patterns
        Missingness patterns among them.
    applicable
        False when ``df == 0`` (e.g. no missing answers: a single, complete pattern), where
        there is nothing to test.
    moments
        The EM estimates the test is computed from.
    """

    d2: float
    df: int
    p: float
    n: int
    n_patterns: int
    applicable: bool
    moments: EMMoments
    warning_messages: tuple[str, ...] = ()

    def rejects(self, alpha: float = 0.05) -> bool:
        """Whether the test rejects MCAR at level ``alpha`` (False when not applicable)."""
        return bool(self.applicable and self.p < alpha)

    @property
    def statement(self) -> str:
        """The result as a report writes it: ``d² = 12.34, df = 10, p = .262``."""
        if not self.applicable:
            return (
                "not applicable (df = 0: no item is answered in two patterns, so there are "
                "no means to compare)"
            )
        return f"d² = {self.d2:.2f}, df = {self.df}, {_p_text(self.p)}"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "d2": self.d2,
                    "df": self.df,
                    "p": self.p,
                    "n": self.n,
                    "n_patterns": self.n_patterns,
                    "applicable": self.applicable,
                    "em_iterations": self.moments.n_iter,
                    "em_converged": self.moments.converged,
                }
            ],
            index=pd.Index(["little_mcar"], name="test"),
        )

    def summary(self) -> str:
        text = (
            f"Little's MCAR test: {self.statement} "
            f"(n = {self.n}, {self.n_patterns} pattern(s); EM "
            f"{'converged' if self.moments.converged else 'did NOT converge'} in "
            f"{self.moments.n_iter} iterations)"
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable(self.to_frame().iloc[0].to_dict())
        out["warnings"] = self.warnings
        return out


@dataclasses.dataclass(frozen=True)
class MissingDiagnosis(Result):
    """The missing-data diagnosis of a survey's items.

    Attributes
    ----------
    items
        One row per item (index ``item``): ``construct`` (when a codebook says), ``n_answered``,
        ``n_missing``, ``missing_pct`` and ``missing_codes_replaced`` (cells whose declared
        missing code, e.g. 99, became a missing answer). ``n_missing`` per item is the last
        row of ``mice::md.pattern``.
    respondents
        How many respondents miss 0, 1, 2, ... items, up to the most any respondent misses:
        ``n_missing_items``, ``respondents``, ``pct``. The counts sum to ``n_respondents``.
    patterns
        Every distinct pattern (index ``pattern``, 1 = most frequent): ``respondents``,
        ``pct``, ``n_missing`` (items missing in the pattern) and ``missing_items`` (their
        names, comma-separated; ``""`` for complete cases). Ordered by frequency, then by
        fewer missing items. :meth:`pattern_table` shortens it for reports.
    pattern_matrix
        The same patterns as a 0/1 matrix (1 = answered, 0 = missing; rows as ``patterns``,
        columns the items), as the rows of ``mice::md.pattern``: with
        ``patterns["respondents"]`` it is the data of a pattern plot.
    mcar
        Little's MCAR test (:func:`little_mcar_test`).
    by_group
        Per group variable and value: ``n``, ``missing_answers``, ``missing_pct`` (of that
        group's answers), ``complete`` and ``complete_pct`` (complete cases). Empty without
        ``groups``. A missing group value is its own group, ``"(missing)"``.
    group_tests
        Per group variable: Pearson ``chi2``, ``df`` and ``p`` of complete versus incomplete
        respondents across the group's values, and ``min_expected`` (the smallest expected
        count; below 5 the chi-square approximation is rough).
    recommendation
        A plain-language sentence recommending a treatment, with its numbers.
    """

    items: pd.DataFrame
    respondents: pd.DataFrame
    patterns: pd.DataFrame
    pattern_matrix: pd.DataFrame
    mcar: LittleMCARTest
    by_group: pd.DataFrame
    group_tests: pd.DataFrame
    recommendation: str
    n_respondents: int
    n_complete: int
    max_patterns: int = 20
    alpha: float = 0.05
    warning_messages: tuple[str, ...] = ()

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_missing_answers(self) -> int:
        return int(self.items["n_missing"].sum())

    @property
    def missing_answers_pct(self) -> float:
        cells = self.n_respondents * self.n_items
        return 100.0 * self.n_missing_answers / cells if cells else math.nan

    @property
    def complete_pct(self) -> float:
        return 100.0 * self.n_complete / self.n_respondents if self.n_respondents else math.nan

    def pattern_table(self, top: int | None = None) -> pd.DataFrame:
        """The ``top`` most frequent patterns, and an ``other`` row for the rest.

        The ``other`` row (index ``"other"``) counts the respondents of the patterns left
        out, and its ``missing_items`` says how many patterns that is. ``top`` defaults to
        ``max_patterns`` of the call.
        """
        top = self.max_patterns if top is None else int(top)
        if top < 1:
            raise ValueError(f"top={top!r} is not valid: show at least one pattern")
        table = self.patterns.copy()
        table.index = table.index.astype(object)
        if len(table) <= top:
            return table
        rest = table.iloc[top:]
        other = pd.DataFrame(
            {
                "respondents": [int(rest["respondents"].sum())],
                "pct": [float(rest["pct"].sum())],
                "n_missing": [pd.NA],
                "missing_items": [f"({len(rest)} other patterns)"],
            },
            index=pd.Index(["other"], name=table.index.name),
        )
        shown = table.iloc[:top].astype({"n_missing": "Int64"})
        return pd.concat([shown, other.astype({"n_missing": "Int64"})])

    def to_frame(self) -> pd.DataFrame:
        return self.items

    def summary(self) -> str:
        lines = [
            f"Missing data: {self.n_respondents} respondents x {self.n_items} items; "
            f"{self.n_missing_answers} answers missing ({self.missing_answers_pct:.1f}%); "
            f"{self.n_complete} complete cases ({self.complete_pct:.1f}%).",
            "",
            "Items with missing answers:",
        ]
        missing = self.items[self.items["n_missing"] > 0]
        lines.append(missing.to_string() if len(missing) else "(none)")
        lines += ["", "Respondents by number of missing items:", self.respondents.to_string()]
        lines += [
            "",
            f"Patterns ({len(self.patterns)}, most frequent first):",
            self.pattern_table().to_string(),
            "",
            self.mcar.summary().split("\n\nWarnings:")[0],
        ]
        if len(self.group_tests):
            lines += ["", "Missingness by group:", self.by_group.to_string(), ""]
            lines.append(self.group_tests.to_string())
        lines += ["", self.recommendation]
        return with_warnings("\n".join(lines), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for ``results.json`` (e.g. under the key ``missing_diagnosis``)."""
        shown = self.patterns.iloc[: self.max_patterns]
        rest = self.patterns.iloc[self.max_patterns :]
        groups: dict[str, Any] = {}
        for group, test in self.group_tests.iterrows():
            rows = self.by_group[self.by_group["group"] == group].drop(columns="group")
            groups[str(group)] = {
                "values": jsonable(rows.set_index("value")),
                "test": jsonable(test.to_dict()),
            }
        return {
            "n_respondents": self.n_respondents,
            "n_items": self.n_items,
            "n_missing_answers": self.n_missing_answers,
            "missing_answers_pct": jsonable(self.missing_answers_pct),
            "complete_cases": self.n_complete,
            "complete_cases_pct": jsonable(self.complete_pct),
            "items": jsonable(self.items),
            "respondents": jsonable(self.respondents.to_dict(orient="records")),
            "patterns": {
                "n_patterns": len(self.patterns),
                "shown": [
                    {
                        "pattern": int(i),
                        "respondents": int(row["respondents"]),
                        "pct": float(row["pct"]),
                        "n_missing": int(row["n_missing"]),
                        "missing_items": [s for s in str(row["missing_items"]).split(", ") if s],
                    }
                    for i, row in shown.iterrows()
                ],
                "other": {
                    "patterns": len(rest),
                    "respondents": int(rest["respondents"].sum()),
                    "pct": float(rest["pct"].sum()),
                },
            },
            "little_mcar": self.mcar.to_dict(),
            "groups": groups,
            "recommendation": self.recommendation,
            "warnings": self.warnings,
        }


# ----------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------


def diagnose_missing(
    data: SurveyData | pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    groups: str | Sequence[str] | None = None,
    max_patterns: int = 20,
    alpha: float = 0.05,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> MissingDiagnosis:
    """Diagnose the missing answers: per item, per respondent, patterns, Little's test, groups.

    Parameters
    ----------
    data
        A survey from :func:`~workbench.intake.data.load_survey` (declared missing codes
        already replaced) or a DataFrame whose missing answers are NaN.
    items
        The items to diagnose; default the codebook's items (a survey) or every column not
        named in ``groups`` (a DataFrame).
    groups
        Column(s) of the data to break missingness down by, e.g. ``["tier", "channel"]``.
    max_patterns
        Patterns listed by :meth:`MissingDiagnosis.pattern_table` and ``to_dict`` before the
        rest are pooled into an ``other`` row.
    alpha
        Level at which Little's test and the group tests are said to reject.
    max_iter, tol
        EM settings (see :func:`estimate_em_moments`).

    Returns
    -------
    MissingDiagnosis

    Raises
    ------
    InputError
        An item with no answers, a constant item, a singular EM covariance matrix (an item
        that is a linear combination of others), a non-numeric item or an unknown column.

    Notes
    -----
    The pattern table is ``mice::md.pattern(x, plot = FALSE)`` with the rows ordered by
    frequency (naniar's ``gg_miss_upset`` and VIM's ``aggr(sortCombs = TRUE)`` order);
    Little's test is :func:`little_mcar_test`. The group test is Pearson's chi-square on the
    2 x k table of complete/incomplete respondents by group value, R's
    ``chisq.test(table(group, complete), correct = FALSE)``.

    The recommendation follows the usual reading (Enders 2010, ch. 1-4): when Little's test
    rejects MCAR at ``alpha``, complete-case (listwise) results may be biased and FIML or
    multiple imputation, valid under MAR, are advised; when it does not reject, that is no
    proof of MCAR (the test has little power when few answers are missing, and no test on
    the observed data can detect missingness that depends on the missing answers), and the
    sentence weighs the respondents listwise deletion would cost (small when at most
    ``SMALL_LOSS`` = 5% of them).

    References
    ----------
    Little, R. J. A. (1988). A test of missing completely at random for multivariate data
    with missing values. *JASA* 83, 1198-1202.
    Enders, C. K. (2010). *Applied Missing Data Analysis*. Guilford.
    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.), sec. 4.1
    (``md.pattern``). CRC Press.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, None, 4, 5, 6], "b": [2, 1, 3, None, 5, 4],
    ...                    "c": [1, 1, 2, 2, 3, 2.5], "tier": list("xxxyyy")})
    >>> d = diagnose_missing(df, groups="tier")
    >>> d.items["n_missing"].tolist(), d.n_complete
    ([1, 1, 0], 4)
    >>> d.patterns[["respondents", "missing_items"]].values.tolist()
    [[4, ''], [1, 'a'], [1, 'b']]
    >>> d.by_group["complete"].tolist()
    [2, 2]
    """
    if isinstance(max_patterns, bool) or not isinstance(max_patterns, int) or max_patterns < 1:
        raise ValueError(f"max_patterns={max_patterns!r} is not valid: use an integer >= 1")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r} is not valid: use a level between 0 and 1, e.g. 0.05")
    group_names = [groups] if isinstance(groups, str) else list(groups or [])
    _require_columns(*_frame_and_file(data), group_names)
    frame, names, _, construct, replaced = _items_frame(data, items, exclude=group_names)
    x = frame.to_numpy(dtype=float)
    n, p = x.shape
    answered = ~np.isnan(x)
    warns: list[str] = []

    n_missing_item = (~answered).sum(axis=0)
    item_table = pd.DataFrame(
        {
            "n_answered": answered.sum(axis=0),
            "n_missing": n_missing_item,
            "missing_pct": 100.0 * n_missing_item / n,
            "missing_codes_replaced": [int(replaced.get(c, 0)) for c in names],
        },
        index=pd.Index(names, name="item"),
    )
    if construct is not None:
        item_table.insert(0, "construct", [construct.get(c, "") for c in names])

    per_row = (~answered).sum(axis=1)
    counts = np.bincount(per_row, minlength=1)
    respondents = pd.DataFrame(
        {
            "n_missing_items": np.arange(counts.size),
            "respondents": counts,
            "pct": 100.0 * counts / n,
        }
    )
    n_complete = int(counts[0])

    patterns, matrix = _pattern_tables(answered, names)

    mcar = little_mcar_test(frame, max_iter=max_iter, tol=tol)
    warns += mcar.warnings

    by_group, group_tests = _by_group(data, frame.index, group_names, per_row, p)
    for group, test in group_tests.iterrows():
        if test["applicable"] and test["min_expected"] < 5:
            warns.append(
                f"Missingness by '{group}': some expected counts are below 5 "
                f"(smallest {test['min_expected']:.1f}); the chi-square p-value is rough."
            )
    recommendation = _recommend(
        n=n,
        n_complete=n_complete,
        n_missing=int(n_missing_item.sum()),
        cells=n * p,
        mcar=mcar,
        group_tests=group_tests,
        alpha=alpha,
    )
    return MissingDiagnosis(
        items=item_table,
        respondents=respondents,
        patterns=patterns,
        pattern_matrix=matrix,
        mcar=mcar,
        by_group=by_group,
        group_tests=group_tests,
        recommendation=recommendation,
        n_respondents=n,
        n_complete=n_complete,
        max_patterns=max_patterns,
        alpha=alpha,
        warning_messages=tuple(dict.fromkeys(warns)),
    )


def little_mcar_test(
    data: SurveyData | pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> LittleMCARTest:
    """Little's (1988) chi-square test of missing completely at random (MCAR).

    Parameters
    ----------
    data
        A survey from :func:`~workbench.intake.data.load_survey` or a DataFrame of numeric
        items whose missing answers are NaN.
    items
        The items to test; default the codebook's items (a survey) or every column.
    max_iter, tol
        EM settings (see :func:`estimate_em_moments`).

    Returns
    -------
    LittleMCARTest

    Raises
    ------
    InputError
        An item with no answers, a constant item, or a singular EM covariance matrix.

    Notes
    -----
    Respondents are grouped by their pattern of missing items, :math:`j = 1..J`; pattern
    :math:`j` has :math:`n_j` respondents who answered :math:`p_j` of the :math:`p` items,
    with observed means :math:`\\bar y_j`. With :math:`\\hat\\mu, \\hat\\Sigma` the ML (EM)
    estimates of the saturated normal model (:func:`estimate_em_moments`) and
    :math:`\\hat\\mu_j, \\hat\\Sigma_j` their rows/columns for the items answered in
    pattern :math:`j`, Little's (1988, eq. 5) statistic is

    .. math::

        d^2 = \\sum_{j=1}^{J} n_j (\\bar y_j - \\hat\\mu_j)^\\top
              \\hat\\Sigma_j^{-1} (\\bar y_j - \\hat\\mu_j),
        \\qquad df = \\sum_{j=1}^{J} p_j - p,

    asymptotically :math:`\\chi^2_{df}` under MCAR (and normality). Respondents who answered
    none of the items are left out (they add nothing to :math:`d^2` or :math:`df`). With
    complete data there is one pattern, :math:`d^2 = 0` and :math:`df = 0`: the test is
    reported as not applicable.

    Not rejecting MCAR does not show that data are MCAR: the test has little power when few
    answers are missing, and no test on the observed answers can detect missingness that
    depends on the missing answers themselves (MNAR).

    Why hand-written: statsmodels, scipy and scikit-learn have no Little's test, and the few
    small packages that offer one are little maintained and untested against R; the EM and
    :math:`d^2` are short enough to write here and test against lavaan's EM.

    References
    ----------
    Little, R. J. A. (1988). A test of missing completely at random for multivariate data
    with missing values. *JASA* 83, 1198-1202.

    R: ``naniar::mcar_test(x)`` (EM by ``norm``), ``misty::na.test(x)``; tested against
    :math:`d^2` written out in R on lavaan's EM moments,
    ``lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y, max.iter = 10000, tol = 1e-11)``
    (lavaan 0.6-14; ``tests/reference/r_little_mcar.R``), and against naniar's own
    regression value for ``mcar_test(airquality)`` (d² = 35.106, df = 14, p = .0014).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> x = x.mask(rng.random((200, 3)) < 0.1)  # MCAR: 10% of the cells
    >>> test = little_mcar_test(x)
    >>> test.df, test.n_patterns, bool(test.p > 0.05)
    (8, 6, True)
    """
    frame, _, _, _, _ = _items_frame(data, items, exclude=[])
    x = frame.to_numpy(dtype=float)
    with single_threaded_blas():
        moments, pat = _em(x, list(frame.columns), max_iter=max_iter, tol=tol)
    mu = moments.mean.to_numpy()
    sigma = moments.cov.to_numpy()
    d2 = 0.0
    for mask, n_j, sums in zip(pat.masks, pat.counts, pat.sums, strict=True):
        obs = np.flatnonzero(mask)
        diff = sums[obs] / n_j - mu[obs]
        d2 += float(n_j * diff @ np.linalg.solve(sigma[np.ix_(obs, obs)], diff))
    df = int(pat.masks.sum()) - x.shape[1]
    applicable = df > 0
    p = float(stats.chi2.sf(d2, df)) if applicable else math.nan
    return LittleMCARTest(
        d2=d2 if applicable else 0.0,
        df=df,
        p=p,
        n=moments.n,
        n_patterns=len(pat.counts),
        applicable=applicable,
        moments=moments,
        warning_messages=moments.warning_messages,
    )


def estimate_em_moments(
    data: SurveyData | pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> EMMoments:
    """ML means and covariances of incomplete multivariate normal data, by EM.

    The saturated ("h1") model of FIML: the estimates lavaan computes for
    ``lavCor(x, missing = "ml")`` and uses as the unrestricted model of its chi-square.

    Parameters
    ----------
    data
        A survey from :func:`~workbench.intake.data.load_survey` or a DataFrame of numeric
        items whose missing answers are NaN.
    items
        The items; default the codebook's items (a survey) or every column.
    max_iter
        Most EM iterations; when reached, an :class:`EMConvergenceWarning` is issued and the
        result's ``warnings`` say so.
    tol
        Convergence: the largest change of a mean (in standard deviations) or a covariance
        (in products of standard deviations) between two iterations.

    Returns
    -------
    EMMoments

    Raises
    ------
    InputError
        An item with no answers, a constant item (zero variance), or a singular covariance
        matrix (an item that is a linear combination of others), naming the item.

    Notes
    -----
    EM for the multivariate normal with missing values (Dempster, Laird & Rubin 1977;
    Little & Rubin 2019, sec. 11.2). Given the current :math:`\\mu, \\Sigma` and
    :math:`K = \\Sigma^{-1}`, a respondent of pattern :math:`j` with observed items
    :math:`o` and missing items :math:`m` has

    .. math::

        E[y_m \\mid y_o] = \\mu_m + B_j (y_o - \\mu_o), \\quad
        B_j = \\Sigma_{mo}\\Sigma_{oo}^{-1} = -K_{mm}^{-1} K_{mo}, \\quad
        \\operatorname{Cov}[y_m \\mid y_o] = C_j = K_{mm}^{-1},

    and the M-step sets :math:`\\mu, \\Sigma` to the mean and ML covariance of the completed
    data plus :math:`\\sum_j n_j C_j / n`. The E-step works on the patterns' sufficient
    statistics (counts, sums, cross-products of the observed items, computed once), all
    patterns at once: :math:`K_{mm}^{-1}` is the missing block of the inverse of
    :math:`M_j = D_m K D_m + D_o` (:math:`D` the diagonal 0/1 selectors), one batched
    :math:`p \\times p` inversion per chunk of patterns. Start: observed means and variances,
    zero covariances (as lavaan). Respondents with no answers are left out.

    Hand-written because no maintained Python library exposes these ML moments: statsmodels
    has no EM for the saturated normal model (its ``MICE`` imputes), scikit-learn's
    ``IterativeImputer`` fills single values (which understates the variances).

    References
    ----------
    Dempster, A. P., Laird, N. M. & Rubin, D. B. (1977). Maximum likelihood from incomplete
    data via the EM algorithm. *JRSS B* 39, 1-38.
    Little, R. J. A. & Rubin, D. B. (2019). *Statistical Analysis with Missing Data*
    (3rd ed.), sec. 11.2. Wiley.

    R: ``lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y, max.iter = 10000, tol = 1e-11)``
    (lavaan 0.6-14), matched to 1e-6 in ``tests/test_missingness.py``.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, None]})
    >>> em = estimate_em_moments(x)
    >>> round(float(em.mean["b"]), 4), em.converged
    (2.8, True)

    (The fifth ``b`` is filled by its regression on ``a`` in the complete cases, 4.0; the
    mean of the completed column is 2.8, where the mean of the answers alone is 2.5.)
    """
    frame, _, _, _, _ = _items_frame(data, items, exclude=[])
    with single_threaded_blas():
        moments, _ = _em(
            frame.to_numpy(dtype=float), list(frame.columns), max_iter=max_iter, tol=tol
        )
    return moments


# ----------------------------------------------------------------------------
# EM for the saturated multivariate normal model
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Patterns:
    """Rows grouped by pattern: observed mask, count, sums and cross-products (0 if missing)."""

    masks: np.ndarray  # (J, p) bool
    counts: np.ndarray  # (J,)
    sums: np.ndarray  # (J, p)
    cross: np.ndarray  # (J, p, p)

    def chunks(self) -> Iterator[slice]:
        for start in range(0, len(self.counts), _CHUNK):
            yield slice(start, start + _CHUNK)


def _sufficient_statistics(x: np.ndarray) -> _Patterns:
    """The patterns of the rows of ``x`` with at least one answer, with their statistics."""
    answered = ~np.isnan(x)
    keep = answered.any(axis=1)
    x, answered = x[keep], answered[keep]
    masks, inverse, counts = np.unique(answered, axis=0, return_inverse=True, return_counts=True)
    inverse = np.ravel(inverse)
    filled = np.where(answered, x, 0.0)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sorted_rows = filled[order]
    sums = np.add.reduceat(sorted_rows, starts, axis=0)
    cross = np.empty((len(counts), x.shape[1], x.shape[1]))
    for j, (start, count) in enumerate(zip(starts, counts, strict=True)):
        block = sorted_rows[start : start + count]
        cross[j] = block.T @ block
    return _Patterns(masks=masks, counts=counts.astype(float), sums=sums, cross=cross)


def _em(
    x: np.ndarray, names: list[str], *, max_iter: int, tol: float
) -> tuple[EMMoments, _Patterns]:
    """EM estimates of the saturated normal model, and the patterns they were computed from."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter={max_iter!r} is not valid: use an integer >= 1")
    if not (isinstance(tol, int | float) and 0 < tol < 1):
        raise ValueError(f"tol={tol!r} is not valid: use a small positive number, e.g. 1e-10")
    _check_items(x, names)
    pat = _sufficient_statistics(x)
    n = float(pat.counts.sum())
    p = x.shape[1]
    warns: list[str] = []
    if n < 2:
        raise InputError(
            f"Only {int(n)} respondent(s) answered any of the items: means and covariances "
            "cannot be estimated.",
            hint="Check the export, or analyse other items.",
        )
    together = np.einsum("j,jk,jl->kl", pat.counts, pat.masks, pat.masks)
    never = np.argwhere(np.triu(together == 0, k=1))
    if len(never):
        pairs = ", ".join(f"{names[a]}/{names[b]}" for a, b in never[:5])
        warns.append(
            f"{len(never)} pair(s) of items were never answered by the same respondent "
            f"({pairs}{', ...' if len(never) > 5 else ''}): their covariance is not identified "
            "by the data, and the EM estimate of it reflects the starting value."
        )

    mu = np.nanmean(x, axis=0)
    sigma = np.diag(np.nanvar(x, axis=0))
    eye = np.eye(p)
    change = math.inf
    n_iter = 0
    converged = False
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported
        K = _precision(sigma, names)
        shift = np.zeros(p)
        second = np.zeros((p, p))
        for s in pat.chunks():
            obs = pat.masks[s].astype(float)
            cnt = pat.counts[s]
            C, _ = _conditional(K, obs)
            A = (eye - C @ K) * obs[:, None, :]
            mo = mu * obs
            e1 = pat.sums[s] - cnt[:, None] * mo
            e2 = (
                pat.cross[s]
                - pat.sums[s][:, :, None] * mo[:, None, :]
                - mo[:, :, None] * pat.sums[s][:, None, :]
                + cnt[:, None, None] * mo[:, :, None] * mo[:, None, :]
            )
            shift += np.einsum("jab,jb->a", A, e1)
            second += (A @ e2 @ np.swapaxes(A, 1, 2)).sum(axis=0)
            second += np.einsum("j,jab->ab", cnt, C)
        shift /= n
        new_mu = mu + shift
        new_sigma = second / n - np.outer(shift, shift)
        new_sigma = (new_sigma + new_sigma.T) / 2
        sd = np.sqrt(np.clip(np.diag(new_sigma), 1e-300, None))
        change = float(
            max(
                np.max(np.abs(shift) / sd),
                np.max(np.abs(new_sigma - sigma) / np.outer(sd, sd)),
            )
        )
        mu, sigma = new_mu, new_sigma
        if change < tol:
            converged = True
            break
    _precision(sigma, names, check=True)  # the estimate must be clearly invertible
    if not converged:
        message = (
            f"The EM algorithm did not converge within max_iter={max_iter} iterations (last "
            f"change {change:.2g} > tol={tol:g}); the means, covariances and Little's test are "
            "those of the last iteration. Raise max_iter."
        )
        warnings.warn(message, EMConvergenceWarning, stacklevel=3)
        warns.insert(0, message)
    moments = EMMoments(
        mean=pd.Series(mu, index=names, name="mean"),
        cov=pd.DataFrame(sigma, index=names, columns=names),
        n=int(n),
        n_iter=n_iter,
        converged=converged,
        change=change,
        tol=float(tol),
        max_iter=max_iter,
        loglik=_loglik(pat, mu, sigma, names),
        warning_messages=tuple(warns),
    )
    return moments, pat


def _conditional(K: np.ndarray, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pattern, ``Cov[y_m | y_o]`` embedded in p x p (zero outside the missing block),
    and :math:`M_j = D_m K D_m + D_o`, whose inverse holds :math:`K_{mm}^{-1}` in its missing
    block and the identity elsewhere (so ``det M_j = det K_mm``)."""
    mis = 1.0 - obs
    M = K[None, :, :] * mis[:, :, None] * mis[:, None, :]
    idx = np.arange(K.shape[0])
    M[:, idx, idx] += obs
    inv = np.linalg.inv(M)
    inv[:, idx, idx] -= obs
    return inv, M


def _loglik(pat: _Patterns, mu: np.ndarray, sigma: np.ndarray, names: list[str]) -> float:
    """Observed-data normal log-likelihood, summed over the patterns."""
    K = _precision(sigma, names)
    _, logdet_sigma = np.linalg.slogdet(sigma)
    total = 0.0
    for s in pat.chunks():
        obs = pat.masks[s].astype(float)
        cnt = pat.counts[s]
        C, M = _conditional(K, obs)
        logdet_kmm = np.linalg.slogdet(M)[1]
        # inverse of the observed block, embedded: D_o (K - K C K) D_o
        Q = (K[None] - K[None] @ C @ K[None]) * obs[:, :, None] * obs[:, None, :]
        mo = mu * obs
        e2 = (
            pat.cross[s]
            - pat.sums[s][:, :, None] * mo[:, None, :]
            - mo[:, :, None] * pat.sums[s][:, None, :]
            + cnt[:, None, None] * mo[:, :, None] * mo[:, None, :]
        )
        p_j = obs.sum(axis=1)
        logdet_oo = logdet_sigma + logdet_kmm
        quad = np.einsum("jab,jab->j", Q, e2)
        total -= 0.5 * float(np.sum(cnt * (p_j * math.log(2 * math.pi) + logdet_oo) + quad))
    return total


def _precision(sigma: np.ndarray, names: list[str], *, check: bool = False) -> np.ndarray:
    """The inverse of ``sigma``, or :class:`InputError` naming an item when it is singular.

    Within the iterations a Cholesky factorisation is the (cheap) test; ``check`` adds the
    eigenvalue test on the correlation scale, which also catches near-singular matrices.
    """
    sd = np.sqrt(np.clip(np.diag(sigma), 0.0, None))
    if np.all(sd > 0):
        corr = sigma / np.outer(sd, sd)
        try:
            chol = np.linalg.cholesky(corr)
        except np.linalg.LinAlgError:
            chol = None
        if chol is not None and (not check or np.linalg.eigvalsh(corr)[0] > _SINGULAR * len(names)):
            inv_chol = np.linalg.inv(chol)
            return (inv_chol.T @ inv_chol) / np.outer(sd, sd)
        _, vectors = np.linalg.eigh(corr)
        weights = np.abs(vectors[:, 0])
    else:
        weights = (sd <= 0).astype(float)
    order = np.argsort(-weights, kind="stable")
    involved = [names[i] for i in order if weights[i] > 0.1 * weights[order[0]]]
    raise InputError(
        "The items' covariance matrix (EM estimate) is singular: "
        + (
            f"'{involved[0]}' is a linear combination of "
            + ", ".join(f"'{v}'" for v in involved[1:])
            if len(involved) > 1
            else f"'{involved[0]}' has no variance"
        )
        + ", so the normal model and Little's test cannot be computed.",
        column=involved[0],
        hint="Drop one of these items from the analysis (a copy, a sum or a recoding of "
        "others), or check that enough respondents answered them together.",
    )


def _check_items(x: np.ndarray, names: list[str]) -> None:
    """Refuse items with no answers or a single answered value, naming the item."""
    answered = ~np.isnan(x)
    for k, name in enumerate(names):
        values = x[answered[:, k], k]
        if values.size == 0:
            raise InputError(
                "The item has no answers at all (every value is missing): it cannot enter the "
                "missing-data model.",
                column=name,
                hint="Check the export, or leave the item out of the diagnosis.",
            )
        if np.ptp(values) == 0:
            raise InputError(
                f"The item is constant (every answer is {values[0]:g}): its variance is zero, "
                "so the covariance matrix is singular.",
                column=name,
                hint="Leave the item out of the missing-data diagnosis (it carries no "
                "information).",
            )


# ----------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------


def _frame_and_file(data: SurveyData | pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The data's whole frame and its file (``None`` for a DataFrame)."""
    if isinstance(data, SurveyData):
        return data.frame, data.path
    if isinstance(data, pd.DataFrame):
        return data, None
    raise TypeError(
        f"data must be a SurveyData (load_survey) or a pandas DataFrame, not {type(data).__name__}"
    )


def _items_frame(
    data: SurveyData | pd.DataFrame, items: Sequence[str] | None, *, exclude: Sequence[str]
) -> tuple[pd.DataFrame, list[str], str | None, dict[str, str] | None, dict[str, int]]:
    """(numeric items frame, names, file, {item: construct} or None, missing codes replaced)."""
    if isinstance(items, str):
        raise TypeError("items must be a list of column names, not a single string")
    frame, file = _frame_and_file(data)
    construct: dict[str, str] | None = None
    replaced: dict[str, int] = {}
    if isinstance(data, SurveyData):
        default = list(data.codebook.items)
        construct = {i: str(data.codebook.construct_of(i) or "") for i in data.codebook.items}
        replaced = dict(data.missing_codes_replaced)
    else:
        default = [str(c) for c in frame.columns if c not in set(exclude)]
    names = [str(c) for c in (default if items is None else items)]
    if not names:
        raise InputError("No items to diagnose.", file=file, hint="Name the items to analyse.")
    if len(set(names)) < len(names):
        dup = next(c for c in names if names.count(c) > 1)
        raise ValueError(f"items lists '{dup}' twice")
    _require_columns(frame, file, names)
    out = {}
    for name in names:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            bad = col.dropna()
            raise InputError(
                "The item column is not numeric, so it cannot enter the missing-data diagnosis.",
                file=file,
                column=name,
                value=None if bad.empty else bad.iloc[0],
                hint="Name the numeric items with `items=`, and grouping columns (tier, "
                "channel) with `groups=`.",
            )
        out[name] = col.to_numpy(dtype=float, na_value=np.nan)
    if not len(frame):
        raise InputError("The data have no respondents.", file=file)
    return pd.DataFrame(out, index=frame.index), names, file, construct, replaced


def _require_columns(frame: pd.DataFrame, file: str | None, names: Sequence[str]) -> None:
    """:class:`InputError` for the first of ``names`` not in ``frame``, with close matches."""
    columns = [str(c) for c in frame.columns]
    for name in names:
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=3)
            raise InputError(
                "Column not found in the data.",
                file=file,
                column=name,
                hint=(f"Did you mean {', '.join(close)}? " if close else "")
                + f"The data's columns are: {', '.join(columns[:20])}"
                + (", ..." if len(columns) > 20 else "")
                + ".",
            )


def _pattern_tables(answered: np.ndarray, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pattern summary and the 0/1 pattern matrix, most frequent pattern first."""
    n = answered.shape[0]
    masks, counts = np.unique(answered, axis=0, return_counts=True)
    n_missing = (~masks).sum(axis=1)
    # frequency (descending), then fewer missing, then earlier items missing first
    keys = [masks[:, k] for k in reversed(range(masks.shape[1]))]
    order = np.lexsort([*keys, n_missing, -counts])
    masks, counts, n_missing = masks[order], counts[order], n_missing[order]
    index = pd.RangeIndex(1, len(counts) + 1, name="pattern")
    summary = pd.DataFrame(
        {
            "respondents": counts,
            "pct": 100.0 * counts / n,
            "n_missing": n_missing,
            "missing_items": [", ".join(np.asarray(names)[~m].tolist()) for m in masks],
        },
        index=index,
    )
    matrix = pd.DataFrame(masks.astype(int), index=index, columns=names)
    return summary, matrix


def _by_group(
    data: SurveyData | pd.DataFrame,
    index: pd.Index,
    groups: list[str],
    per_row: np.ndarray,
    p: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Missingness by the values of each group column, and the chi-square test per group."""
    frame, _ = _frame_and_file(data)
    rows: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    complete = per_row == 0
    for group in groups:
        values = frame.loc[index, group].astype(object).where(frame.loc[index, group].notna())
        labels = values.fillna("(missing)").to_numpy()
        levels = list(dict.fromkeys(sorted(set(labels) - {"(missing)"}, key=str)))
        if "(missing)" in set(labels):
            levels.append("(missing)")
        table = np.zeros((2, len(levels)))
        for k, level in enumerate(levels):
            in_group = labels == level
            m = int(in_group.sum())
            c = int(complete[in_group].sum())
            missing = int(per_row[in_group].sum())
            table[:, k] = (c, m - c)
            rows.append(
                {
                    "group": group,
                    "value": level,
                    "n": m,
                    "missing_answers": missing,
                    "missing_pct": 100.0 * missing / (m * p) if m else math.nan,
                    "complete": c,
                    "complete_pct": 100.0 * c / m if m else math.nan,
                }
            )
        tests.append({"group": group, **_chi2_independence(table)})
    by_group = pd.DataFrame(
        rows,
        columns=[
            "group",
            "value",
            "n",
            "missing_answers",
            "missing_pct",
            "complete",
            "complete_pct",
        ],
    )
    group_tests = pd.DataFrame(
        tests, columns=["group", "chi2", "df", "p", "min_expected", "applicable"]
    ).set_index("group")
    return by_group, group_tests


def _chi2_independence(table: np.ndarray) -> dict[str, Any]:
    """Pearson's chi-square of a 2 x k table (no continuity correction), as R's
    ``chisq.test(correct = FALSE)``; not applicable with one group or an empty margin."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    total = table.sum()
    if table.shape[1] < 2 or np.any(rows == 0) or np.any(cols == 0):
        empty = {"chi2": math.nan, "df": 0, "p": math.nan, "min_expected": math.nan}
        return {**empty, "applicable": False}
    expected = np.outer(rows, cols) / total
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    df = table.shape[1] - 1
    return {
        "chi2": chi2,
        "df": df,
        "p": float(stats.chi2.sf(chi2, df)),
        "min_expected": float(expected.min()),
        "applicable": True,
    }


def _p_text(p: float) -> str:
    """APA-style p: ``p = .042``, ``p < .001``."""
    if math.isnan(p):
        return "p n/a"
    return "p < .001" if p < 0.001 else "p = " + f"{p:.3f}".lstrip("0")


def _recommend(
    *,
    n: int,
    n_complete: int,
    n_missing: int,
    cells: int,
    mcar: LittleMCARTest,
    group_tests: pd.DataFrame,
    alpha: float,
) -> str:
    """The plain-language recommendation, always with its numbers."""
    if n_missing == 0:
        return (
            f"No answers are missing: all {n} respondents answered every item, so every "
            "method uses the whole sample and no missing-data treatment is needed."
        )
    dropped = n - n_complete
    share = dropped / n
    facts = (
        f"{n_missing} of {cells} answers ({100 * n_missing / cells:.1f}%) are missing, and "
        f"{dropped} of {n} respondents ({100 * share:.1f}%) miss at least one item."
    )
    if mcar.rejects(alpha):
        advice = (
            f"Little's test rejects MCAR ({mcar.statement}): the means of the answered items "
            "differ between respondents with different missing items, evidence that the answers "
            f"are not missing completely at random. Listwise deletion (keeping the {n_complete} "
            "complete respondents) may bias the results; use FIML for CFA/SEM, or multiple "
            "imputation, which remain valid when answers are missing at random given the "
            "analysed items (MAR)."
        )
    else:
        if mcar.applicable:
            test = (
                f"Little's test does not reject MCAR ({mcar.statement}); this does not prove "
                "the answers are missing completely at random (the test has little power when "
                "few answers are missing, and no test can detect missingness that depends on "
                "the missing answers themselves)."
            )
        else:
            test = (
                f"Little's test is {mcar.statement}: the data say nothing about whether the "
                "answers are missing completely at random."
            )
        cost = (
            f"Listwise deletion costs those {dropped} respondent{'' if dropped == 1 else 's'} "
            f"({100 * share:.1f}%)"
        )
        if share <= SMALL_LOSS:
            advice = f"{test} {cost}, a small loss; FIML (CFA/SEM) and pairwise deletion keep them."
        else:
            advice = (
                f"{test} {cost} and much of the power: FIML (CFA/SEM), pairwise or EM "
                "correlations (EFA, reliability) and multiple imputation (regression models) "
                "keep them."
            )
    text = f"{facts} {advice}"
    for group, test_row in group_tests.iterrows():
        if test_row["applicable"] and test_row["p"] < alpha:
            text += (
                f" The share of complete respondents differs by {group} (chi2 = "
                f"{test_row['chi2']:.2f}, df = {int(test_row['df'])}, "
                f"{_p_text(float(test_row['p']))}): include {group} in the imputation model or "
                "as an auxiliary variable."
            )
    return text
