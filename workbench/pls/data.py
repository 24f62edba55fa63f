"""The analysis data of a PLS model: the model's items, numeric, complete, not constant.

:func:`prepare_data` takes a frame (e.g. ``SurveyData.frame`` from
:func:`workbench.intake.load_survey`, which already turned the codebook's missing codes into
NaN) and returns a :class:`PLSData` with the items in model order. Missing answers are either
replaced by the item's mean, as seminr's ``mean_replacement`` (and SmartPLS's default) do, or
the respondent is dropped (``listwise``).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.pls.specification import PLSModel
from workbench.validation import check_choice

__all__ = ["MISSING", "Missing", "PLSData", "prepare_data"]

Missing = Literal["mean", "listwise"]
MISSING = ("mean", "listwise")
# Hair et al. (2022, ch. 2): mean replacement only when an indicator misses under 5% of answers
MEAN_REPLACEMENT_LIMIT = 0.05


@dataclasses.dataclass(frozen=True)
class PLSData:
    """The model's items, ready for estimation.

    Attributes
    ----------
    frame : pandas.DataFrame
        One float column per item, in model order, no missing values; the rows keep the
        index of the data they came from.
    missing : str
        ``"mean"`` or ``"listwise"``.
    n_total : int
        Rows before the missing-data treatment.
    replaced : dict
        ``{item: count}`` of cells replaced by the item mean (``missing="mean"``; items
        without missing cells are left out).
    dropped : int
        Rows dropped (``missing="listwise"``).
    missing_codes_replaced : dict
        ``{item: count}`` of cells whose declared missing code became missing.
    warnings : tuple of str
        What the treatment did, worded for a report.
    """

    frame: pd.DataFrame
    missing: str
    n_total: int
    replaced: dict[str, int] = dataclasses.field(default_factory=dict)
    dropped: int = 0
    missing_codes_replaced: dict[str, int] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Respondents used."""
        return len(self.frame)

    def standardized(self) -> np.ndarray:
        """The items as a float array, centred and scaled by the sample SD (n - 1)."""
        return standardize(self.frame.to_numpy(dtype=float))

    def report(self) -> dict[str, Any]:
        """``{treatment, n_total, n_used, n_dropped, replaced}`` for a results file."""
        return {
            "treatment": self.missing,
            "n_total": self.n_total,
            "n_used": self.n,
            "n_dropped": self.dropped,
            "replaced": dict(self.replaced),
        }


def prepare_data(
    data: pd.DataFrame,
    model: PLSModel,
    *,
    missing: Missing = "mean",
    missing_codes: Iterable[float] = (),
    file: str | None = None,
) -> PLSData:
    """Select, check and complete the items of a PLS model.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondents in rows; the model's items must be numeric columns. Other columns are
        ignored.
    model : PLSModel
        The model (see :func:`~workbench.pls.specify_model`).
    missing : {"mean", "listwise"}
        ``"mean"`` replaces each missing answer by the mean of the item's answers (seminr's
        ``mean_replacement``, SmartPLS's default; every respondent is kept). ``"listwise"``
        keeps the respondents who answered every item of the model.
    missing_codes : iterable of float
        Values that mean "no answer" (e.g. ``[-99]``); they become missing first. Data loaded
        with :func:`workbench.intake.load_survey` and a codebook has had this done already.
    file : str, optional
        The data file's name, for error messages.

    Returns
    -------
    PLSData

    Raises
    ------
    InputError
        Naming the column: an item that is not in the data (closest names suggested), an item
        column that is not numeric, an item with no answers, an item that is constant after the
        treatment (its standardized scores do not exist), fewer than 3 usable respondents.

    Examples
    --------
    >>> from workbench.pls import specify_model
    >>> m = specify_model("A =~ a1 + a2; Y =~ y; Y ~ A")
    >>> d = pd.DataFrame({"a1": [1, 2, None, 4], "a2": [2, 1, 3, 5], "y": [1, 3, 2, 4]})
    >>> prepared = prepare_data(d, m)
    >>> prepared.replaced, prepared.frame["a1"].tolist()
    ({'a1': 1}, [1.0, 2.0, 2.3333333333333335, 4.0])
    >>> prepare_data(d, m, missing="listwise").n
    3
    """
    check_choice("missing", missing, MISSING)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    columns = [str(c) for c in data.columns]
    items = list(model.all_items)
    absent = [i for i in items if i not in columns]
    if absent:
        first = absent[0]
        more = (
            f" ({len(absent)} items are absent: {', '.join(absent[:10])})"
            if len(absent) > 1
            else ""
        )
        close = difflib.get_close_matches(first, columns, n=3, cutoff=0.6)
        raise InputError(
            f"Item '{first}' of construct '{model.construct_of(first)}' is not a column of the "
            f"data{more}.",
            file=file,
            column=first,
            hint=(f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else "")
            + "Correct the model's item names to match the data's header.",
        )
    codes = [float(c) for c in missing_codes]
    frame = pd.DataFrame(index=data.index)
    code_counts: dict[str, int] = {}
    for item in items:
        position = columns.index(item)
        values = _numeric(
            data.iloc[:, position], item=item, construct=model.construct_of(item), file=file
        )
        if codes:
            is_code = np.isin(values, codes)
            if is_code.any():
                code_counts[item] = int(is_code.sum())
                values = np.where(is_code, np.nan, values)
        if np.isnan(values).all():
            raise InputError(
                f"Item '{item}' of construct '{model.construct_of(item)}' has no answers "
                "(every value is missing).",
                file=file,
                column=item,
                hint="Check the export or the missing-value codes, or remove the item.",
            )
        frame[item] = values
    n_total = len(frame)
    gaps = frame.isna()
    replaced: dict[str, int] = {}
    dropped = 0
    notes: list[str] = []
    if missing == "mean":
        counts = gaps.sum()
        for item in items:
            if counts[item]:
                replaced[item] = int(counts[item])
                frame[item] = frame[item].fillna(frame[item].mean())
        if replaced:
            total = sum(replaced.values())
            notes.append(
                f"{total} missing answer(s) in {len(replaced)} item(s) were replaced by the item "
                "means (seminr's mean_replacement): "
                + ", ".join(f"{i} {c}" for i, c in replaced.items())
                + "."
            )
            heavy = [i for i, c in replaced.items() if c / n_total > MEAN_REPLACEMENT_LIMIT]
            if heavy:
                notes.append(
                    f"Over 5% of the answers are missing in {', '.join(heavy)}: Hair et al. "
                    "(2022) advise against mean replacement there; compare with "
                    "missing='listwise'."
                )
    else:
        keep = ~gaps.any(axis=1)
        dropped = int((~keep).sum())
        frame = frame.loc[keep]
        if dropped:
            notes.append(
                f"{dropped} of {n_total} respondents were dropped for missing answers "
                "(listwise deletion)."
            )
    if len(frame) < 3:
        raise InputError(
            f"Only {len(frame)} usable respondent(s) remain, but PLS needs at least 3.",
            file=file,
            hint="Collect more responses or use missing='mean'.",
        )
    for item in items:
        if float(frame[item].std(ddof=1)) == 0.0:
            raise InputError(
                f"Item '{item}' of construct '{model.construct_of(item)}' has the same value "
                f"({frame[item].iloc[0]:g}) for every respondent used, so it cannot be "
                "standardized.",
                file=file,
                column=item,
                hint="Remove the item from the model (it carries no information).",
            )
    return PLSData(
        frame=frame,
        missing=missing,
        n_total=n_total,
        replaced=replaced,
        dropped=dropped,
        missing_codes_replaced=code_counts,
        warnings=tuple(notes),
    )


def _prepared(
    data: pd.DataFrame | PLSData,
    model: PLSModel,
    *,
    missing: Missing,
    missing_codes: Sequence[float],
) -> PLSData:
    """``data`` ready for ``model``: prepared by :func:`prepare_data` unless it is a
    :class:`PLSData` already (then ``missing`` and ``missing_codes`` are not used), with the
    items in model order."""
    prepared = (
        data
        if isinstance(data, PLSData)
        else prepare_data(data, model, missing=missing, missing_codes=missing_codes)
    )
    items = list(model.all_items)
    if list(prepared.frame.columns) != items:
        prepared = dataclasses.replace(prepared, frame=prepared.frame.loc[:, items])
    return prepared


def standardize(x: np.ndarray) -> np.ndarray:
    """Columns centred and divided by their sample SD (divisor n - 1), as R's ``scale()``.

    >>> standardize(np.array([[1.0], [2.0], [3.0]])).ravel().tolist()
    [-1.0, 0.0, 1.0]
    """
    x = np.asarray(x, dtype=float)
    centred = x - x.mean(axis=0)
    return centred / centred.std(axis=0, ddof=1)


def _numeric(series: pd.Series, *, item: str, construct: str, file: str | None) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        raise InputError(
            f"Item '{item}' of construct '{construct}' holds true/false values, not numbers.",
            file=file,
            column=item,
            hint="Recode the answers as numbers, or remove the item from the model.",
        )
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    # text: numbers written as text are read; anything else is refused at its first row
    text = series.astype("string").str.strip()
    text = text.mask(text == "")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = (text.notna() & numbers.isna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"Item '{item}' of construct '{construct}' is not numeric; {int(bad.sum())} "
            "value(s) in this column are not numbers.",
            file=file,
            column=item,
            row=row + 1,
            value=str(text.iloc[row]),
            hint="Recode text answers as numbers; if a value means 'no answer', leave the cell "
            "empty or pass it in missing_codes (or declare it in the codebook).",
        )
    return numbers.to_numpy(dtype=float, na_value=np.nan)
