"""The segmentation study's links: behaviour from transactions, and what the segments mean.

Used by :mod:`workbench.studies.segmentation`:

- :func:`behaviour_for_survey` reads a transactions file (the member-analytics layer,
  :func:`~workbench.behaviour.transactions.load_transactions`), computes each member's
  behavioural features (:func:`~workbench.behaviour.member_features.behavioural_features`:
  recency, frequency, spend, tenure, channel shares, points) and joins them to the survey's
  respondents by member id, together with the member's RFM segment (member-analytics' named
  R x F grid). The survey's own file is never modified: the features live in a copy of the
  analysed frame;
- :func:`dick_basu_types` classifies respondents into Dick & Basu's (1994) loyalty types
  from an attitude construct and their repeat purchases;
- :func:`three_step_tables` relates latent-profile segments to covariates and distal
  outcomes by the bias-corrected three-step method
  (:mod:`workbench.segmentation.three_step`);
- :func:`drivers_by_segment` fits the loyalty-drivers model per segment and tests whether the
  slopes differ (:func:`workbench.drivers.mediation.compare_segments`).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.behaviour.evaluation import loyalty_matrix
from workbench.behaviour.member_features import behavioural_features
from workbench.behaviour.transactions import (
    load_transactions,
    rfm_scores,
    rfm_segments,
)
from workbench.drivers.mediation import SegmentComparison, compare_segments
from workbench.errors import InputError
from workbench.intake.data import SurveyData
from workbench.segmentation.three_step import distal_outcome_means, segment_covariate_model

__all__ = [
    "behaviour_for_survey",
    "dick_basu_types",
    "drivers_by_segment",
    "three_step_tables",
]

#: the transactions file's optional columns, used when the file has them under these names
_OPTIONAL = ("order_id", "channel", "points_earned", "points_redeemed")
#: the column of the RFM segment and the Dick & Basu type added to the analysed frame
RFM_COLUMN, DICK_BASU_COLUMN = "rfm_segment", "loyalty_type"
BEHAVIOUR_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "aov",
    "tenure_days",
    "purchases_per_month",
    "points_earned",
    "points_redeemed",
    "redeemed_share",
    "log_recency_days",
    "log_frequency",
    "log_monetary",
    "log_aov",
    "log_points_earned",
    "log_points_redeemed",
)


def _header(path: Path) -> list[str]:
    if path.suffix.lower() not in (".csv", ".txt"):
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def behaviour_for_survey(
    survey: SurveyData,
    transactions: str | Path,
    *,
    id_col: str,
    member_col: str = "member_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> tuple[SurveyData, list[str], list[str]]:
    """The survey with each respondent's behavioural features and RFM segment joined by id.

    Parameters
    ----------
    survey : SurveyData
        The loaded survey.
    transactions : str or Path
        A transactions file (member id, date, amount; ``order_id``, ``channel``,
        ``points_earned`` and ``points_redeemed`` are used when present under those names).
    id_col : str
        The survey's member-id column (the codebook's ``id``).
    member_col, date_col, amount_col : str
        The transactions' column names.

    Returns
    -------
    survey : SurveyData
        A copy whose frame has the feature columns and :data:`RFM_COLUMN` (NaN for
        respondents without a purchase in the file).
    added : list of str
        The feature columns added.
    notes : list of str
        What the join found (respondents without transactions, refund handling).

    Raises
    ------
    InputError
        A missing file or id column, or no respondent found in the transactions.
    """
    path = Path(transactions)
    if id_col not in survey.frame.columns:
        raise InputError(
            f"The survey has no member-id column '{id_col}' to join the transactions on.",
            file=survey.path,
            column=id_col,
            hint="Name the survey's member-id column with `member_id`, or give the codebook an "
            "`id`.",
        )
    if not path.exists():
        raise InputError(
            f"The transactions file {path} does not exist.",
            file=str(path),
            hint="Check the path given as `transactions`.",
        )
    header = _header(path)
    have = {name for name in _OPTIONAL if name in header}
    tx = load_transactions(
        path,
        member_col=member_col,
        date_col=date_col,
        amount_col=amount_col,
        order_col="order_id" if "order_id" in have else None,
        channel_col="channel" if "channel" in have else None,
        points_earned_col="points_earned" if "points_earned" in have else None,
        points_redeemed_col="points_redeemed" if "points_redeemed" in have else None,
        refunds="net",
    )
    features = behavioural_features(tx)
    rfm = rfm_segments(rfm_scores(tx)).set_index("member_id")["segment"]
    ids = survey.frame[id_col].map(_id_text)
    joined = features.reindex(ids.to_numpy())
    joined.index = survey.frame.index
    frame = survey.frame.copy()
    added: list[str] = []
    for col in joined.columns:
        if col in frame.columns:
            raise InputError(
                f"The survey already has a column '{col}', the name of a behavioural feature.",
                file=survey.path,
                column=col,
                hint="Rename that column in a copy of the survey file.",
            )
        frame[col] = joined[col].to_numpy()
        added.append(str(col))
    frame[RFM_COLUMN] = rfm.reindex(ids.to_numpy()).to_numpy()
    matched = int(joined.notna().any(axis=1).sum())
    if matched == 0:
        raise InputError(
            f"No respondent's '{id_col}' appears as a member id in {path.name}.",
            file=str(path),
            column=member_col,
            hint="Check that the survey and the transactions use the same member ids.",
        )
    notes = []
    if matched < len(frame):
        notes.append(
            f"{len(frame) - matched} of {len(frame)} respondents have no purchase in "
            f"{path.name}: their behaviour is unknown (they are in no segment when a "
            "behavioural feature is segmented on, and are left out of the behaviour profile)."
        )
    notes += [w for w in tx.warnings]
    return _replace_frame(survey, frame), added, notes


def _id_text(value: Any) -> str | float:
    """A member id as text (whole-number floats without '.0'), NaN kept."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _replace_frame(survey: SurveyData, frame: pd.DataFrame) -> SurveyData:
    import dataclasses

    return dataclasses.replace(survey, frame=frame)


def dick_basu_types(
    attitude: pd.Series, repeat: pd.Series, revenue: pd.Series
) -> tuple[pd.Series, Any]:
    """Dick & Basu's loyalty type of each respondent: true, latent, spurious or no loyalty.

    High attitude and high repeat mean strictly above the median of the respondents with
    both values (:func:`workbench.behaviour.evaluation.loyalty_matrix`); respondents without
    a repeat value (no purchase) are left out.
    """
    keep = attitude.notna() & repeat.notna()
    matrix = loyalty_matrix(attitude[keep], repeat[keep], revenue.reindex(attitude.index)[keep])
    # loyalty_matrix keys members by their id as text
    cells = matrix.assignments.astype(str).str.replace("_", " ")
    cells.index = cells.index.astype(str)
    types = pd.Series(
        [cells.get(str(i), np.nan) for i in attitude.index], index=attitude.index, dtype=object
    )
    return types, matrix


def three_step_tables(
    posterior: np.ndarray,
    frame: pd.DataFrame,
    *,
    covariates: list[str],
    distal: list[str],
    correction: str,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    """Covariate effects and distal means of latent-profile segments (three-step).

    Returns the covariate table (index segment, term; as the latent class analysis gives
    it), the distal table (index outcome, segment) and notes. ``frame`` holds the analysed
    respondents in the order of ``posterior``.
    """
    notes: list[str] = []
    cov_table = None
    if covariates:
        fit = segment_covariate_model(
            posterior, frame[covariates], correction="ML" if correction == "ML" else "BCH"
        )
        cov_table = fit.coefficients.rename(index={"(intercept)": "intercept"}, level="term")
        notes += [f"Who is in which segment: {w}" for w in fit.warnings]
        if fit.reference_levels:
            notes.append(
                "Who is in which segment: categorical covariates are compared with their first "
                "level (" + ", ".join(f"{k}: {v}" for k, v in fit.reference_levels.items()) + ")."
            )
    dist_table = None
    if distal:
        parts = []
        for col in distal:
            res = distal_outcome_means(
                posterior,
                frame[col].astype(float),
                correction="ML" if correction == "ML" else "BCH",
                name=col,
            )
            notes += [f"{col} by segment: {w}" for w in res.warnings]
            t = res.table[["mean", "se", "ci_low", "ci_high"]].copy()
            t.index = pd.MultiIndex.from_product([[col], t.index], names=["outcome", "segment"])
            parts.append(t)
        dist_table = pd.concat(parts)
    return cov_table, dist_table, notes


def drivers_by_segment(
    data: pd.DataFrame, outcome: str, drivers: list[str], labels: pd.Series
) -> SegmentComparison:
    """The loyalty-drivers OLS model per segment, with the test that the slopes differ."""
    frame = data[[outcome, *drivers]].copy()
    frame["segment"] = labels.reindex(frame.index)
    frame = frame[frame["segment"].notna()]
    frame["segment"] = frame["segment"].astype(int)
    return compare_segments(frame, outcome, drivers, "segment")
