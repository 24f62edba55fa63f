"""Data screening that every study runs and shows first.

Per item: n, missing, mean, sd, skew, kurtosis and the response distribution;
missing codes replaced; constant items; straight-lining respondents;
per-respondent missingness; which items were reverse-coded. Screening reports,
it never removes or changes respondents.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.intake.data import SurveyData
from workbench.results import Result, jsonable


@dataclasses.dataclass(frozen=True)
class ScreeningResult(Result):
    """What screening found.

    Attributes
    ----------
    items
        One row per item: construct, label, n, missing, missing_pct, mean, sd,
        skew, kurtosis (excess), min, max, missing_codes_replaced, reversed.
    distribution
        Item x response value counts (scale items only; ``None`` for
        continuous measures).
    straight_liners
        Respondents who gave the same answer to every item they answered
        (with at least ``min_items`` answers): row (1-based), id, value, n_answered.
    respondent_missing
        How many respondents miss 0, 1, 2, ... items.
    constant_items
        Items with a single observed value.
    redundant_items
        Pairs of items whose answers are perfectly correlated (``|r| = 1`` on the respondents
        who answered both): one is a copy, or a recoding, of the other.
    """

    items: pd.DataFrame
    distribution: pd.DataFrame | None
    straight_liners: pd.DataFrame
    respondent_missing: pd.DataFrame
    constant_items: tuple[str, ...]
    reversed_items: tuple[str, ...]
    n_respondents: int
    warning_messages: tuple[str, ...] = ()
    redundant_items: tuple[tuple[str, str], ...] = ()

    def require_distinct_items(self, file: str | None = None) -> None:
        """Raise :class:`InputError` when two items are copies of each other: their
        correlation matrix is singular, so factor and SEM estimators cannot be fitted."""
        if not self.redundant_items:
            return
        a, b = self.redundant_items[0]
        more = (
            f" ({len(self.redundant_items)} such pairs: "
            + ", ".join(f"{x}/{y}" for x, y in self.redundant_items[:5])
            + (", ..." if len(self.redundant_items) > 5 else "")
            + ")"
            if len(self.redundant_items) > 1
            else ""
        )
        raise InputError(
            f"Items '{a}' and '{b}' are perfectly correlated (|r| = 1): one is a copy or a "
            f"recoding of the other, and their correlation matrix cannot be inverted{more}.",
            file=file,
            column=b,
            hint="Check the export (a column pasted twice?) and keep one of them in the codebook.",
        )

    def to_frame(self) -> pd.DataFrame:
        return self.items

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_respondents": self.n_respondents,
            "items": jsonable(self.items),
            "straight_liners": len(self.straight_liners),
            "constant_items": list(self.constant_items),
            "reversed_items": list(self.reversed_items),
            "respondents_with_missing": int(
                self.respondent_missing.loc[
                    self.respondent_missing["n_missing_items"] > 0, "respondents"
                ].sum()
            ),
        }


def screen_items(
    survey: SurveyData,
    *,
    straightline_min_items: int = 5,
    high_missing_share: float = 0.5,
) -> ScreeningResult:
    """Screen the codebook's items.

    Parameters
    ----------
    survey
        Prepared survey from :func:`workbench.intake.data.load_survey`.
    straightline_min_items
        A respondent is flagged as straight-lining when they answered at least
        this many items (over all constructs) and every answer is identical.
    high_missing_share
        Respondents missing more than this share of items are counted in a
        warning.

    Notes
    -----
    Skewness and kurtosis are the bias-adjusted sample statistics G1 and G2
    (excess kurtosis) that SPSS and pandas report; psych's ``describe``
    default (type 3) differs slightly in small samples. Values are computed
    on the prepared items (after reverse coding), per item on the available
    answers.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.intake.codebook import Codebook
    >>> from workbench.intake.data import SurveyData
    >>> cb = Codebook.from_dict({"scale": {"min": 1, "max": 5},
    ...     "constructs": {"a": ["X1", "X2"]}})
    >>> df = pd.DataFrame({"X1": [1, 2, 3, 3.0], "X2": [2, 2, 3, None]})
    >>> s = SurveyData(frame=df, raw=df, codebook=cb, path="demo.csv", sha256="0")
    >>> screen_items(s, straightline_min_items=2).items["n"].tolist()
    [4, 3]
    """
    cb = survey.codebook
    items = survey.items
    n = len(items)
    warnings: list[str] = list(survey.warnings)

    rows = []
    for item in cb.items:
        col = items[item]
        observed = col.dropna()
        rows.append(
            {
                "item": item,
                "construct": cb.construct_of(item),
                "label": cb.labels.get(item, ""),
                "n": int(observed.size),
                "missing": int(n - observed.size),
                "missing_pct": 100.0 * (n - observed.size) / n if n else np.nan,
                "mean": observed.mean(),
                "sd": observed.std(ddof=1),
                "skew": observed.skew(),
                "kurtosis": observed.kurt(),
                "min": observed.min(),
                "max": observed.max(),
                "missing_codes_replaced": survey.missing_codes_replaced.get(item, 0),
                "reversed": item in cb.reverse_coded,
            }
        )
    table = pd.DataFrame(rows).set_index("item")

    constant = tuple(table.index[items.nunique(dropna=True) <= 1])
    for item in constant:
        warnings.append(
            f"Item '{item}' is constant (every respondent gave the same answer): it carries "
            "no information and will break correlation-based methods; consider dropping it."
        )
    redundant = _redundant_pairs(items.drop(columns=list(constant)))
    for a, b in redundant:
        warnings.append(
            f"Items '{a}' and '{b}' are perfectly correlated (|r| = 1): one is a copy or a "
            "recoding of the other."
        )
    skewed = table.index[table["skew"].abs() > 2].tolist()
    if skewed:
        warnings.append(
            f"Strongly skewed items (|skew| > 2): {', '.join(skewed)}. Normal-theory methods "
            "(ML factor analysis, CFA) may be affected; consider polychoric correlations."
        )

    distribution = None
    if cb.scale is not None:
        values = np.arange(int(np.floor(cb.scale.min)), int(np.ceil(cb.scale.max)) + 1)
        distribution = pd.DataFrame(
            {v: (items == v).sum(axis=0) for v in values}, index=list(cb.items)
        )
        distribution.columns.name = "response"

    answered = items.notna().sum(axis=1)
    # straight-lining is judged on the raw answers: a reverse-coded item answered
    # like its siblings *is* a straight line on the questionnaire
    raw_items = survey.raw.loc[:, list(cb.items)].apply(pd.to_numeric, errors="coerce")
    if cb.missing_codes:
        raw_items = raw_items.mask(raw_items.isin(cb.missing_codes))
    raw_spread = raw_items.max(axis=1) - raw_items.min(axis=1)
    flag = (answered >= straightline_min_items) & (raw_spread == 0)
    idx = np.flatnonzero(flag.to_numpy())
    straight = pd.DataFrame(
        {
            "row": idx + 1,
            "id": survey.frame[cb.id].to_numpy()[idx] if cb.id else idx + 1,
            "value": raw_items.max(axis=1).to_numpy()[idx],
            "n_answered": answered.to_numpy()[idx],
        }
    )
    if len(straight):
        warnings.append(
            f"{len(straight)} respondent(s) gave the identical answer to every item "
            f"(straight-lining, at least {straightline_min_items} answers). They are kept; "
            "inspect them before trusting the results."
        )

    n_missing = items.isna().sum(axis=1)
    respondent_missing = (
        n_missing.value_counts().sort_index().rename_axis("n_missing_items").reset_index()
    )
    respondent_missing.columns = ["n_missing_items", "respondents"]
    many = int((n_missing > high_missing_share * len(cb.items)).sum())
    if many:
        warnings.append(
            f"{many} respondent(s) miss more than {high_missing_share:.0%} of the items."
        )

    return ScreeningResult(
        items=table,
        distribution=distribution,
        straight_liners=straight,
        respondent_missing=respondent_missing,
        constant_items=constant,
        redundant_items=redundant,
        reversed_items=tuple(cb.reverse_coded),
        n_respondents=n,
        warning_messages=tuple(warnings),
    )


def _redundant_pairs(items: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """Pairs of columns with |r| = 1 (to 1e-9) on the rows (at least 10) answered by both."""
    if items.shape[1] < 2:
        return ()
    # fewer respondents make perfect correlations likely by chance (and are refused later)
    r = items.corr(min_periods=10).to_numpy()
    upper = np.triu(np.abs(r) > 1 - 1e-9, k=1)
    names = [str(c) for c in items.columns]
    return tuple((names[i], names[j]) for i, j in zip(*np.nonzero(upper), strict=True))
