"""Checks of the data handed to the segmentation methods (one wording for every method).

The segmentation functions take a DataFrame of numeric member-level variables (or a numeric
array). Problems a researcher can fix raise :class:`~workbench.errors.InputError` naming the
column and the first offending row: a text or categorical column (latent profile analysis and
k-means need numbers; categorical indicators belong in a latent class analysis), a missing
value, an infinite value, a constant column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InputError

__all__ = ["segmentation_matrix"]


def segmentation_matrix(
    data: Any, variables: Sequence[str] | None = None, *, method: str = "lpa"
) -> tuple[np.ndarray, list[str], list[str]]:
    """The numeric ``(n, p)`` matrix, the column names and notes about the variables.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per member.
    variables : sequence of str, optional
        Columns to use (default: every column).
    method : str
        Named in the messages (``"lpa"``, ``"k-means"``).

    Returns
    -------
    x : numpy.ndarray
        ``(n, p)`` float matrix.
    columns : list of str
        The variable names (``x1, x2, ...`` for an array).
    notes : list of str
        Warnings to carry into the result (e.g. a variable with only two values).

    Raises
    ------
    InputError
        For a non-numeric, missing, infinite or constant variable, or too few rows.

    >>> x, cols, notes = segmentation_matrix(pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2]}))
    >>> x.shape, cols
    ((3, 2), ['a', 'b'])
    """
    if isinstance(data, pd.DataFrame):
        frame = data
        if variables is not None:
            missing = [v for v in variables if v not in frame.columns]
            if missing:
                raise InputError(
                    "A variable chosen for the segmentation is not a column of the data.",
                    column=str(missing[0]),
                    hint="Check the spelling in `variables`; the data have "
                    + ", ".join(map(str, list(frame.columns)[:12]))
                    + ("..." if frame.shape[1] > 12 else "")
                    + ".",
                )
            frame = frame[list(variables)]
        columns = [str(c) for c in frame.columns]
        arrays = []
        for col in frame.columns:
            arrays.append(_numeric_column(frame[col], str(col), method))
        x = np.column_stack(arrays) if arrays else np.empty((len(frame), 0))
    else:
        try:
            x = np.asarray(data, dtype=float)
        except (TypeError, ValueError):
            raise InputError(
                f"The data for {method} must be numbers.",
                hint="Pass a DataFrame of numeric member-level variables.",
            ) from None
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise InputError(
                f"The data for {method} must be a table (members x variables), "
                f"not an array of {x.ndim} dimensions.",
                hint="Pass a DataFrame with one row per member.",
            )
        columns = [f"x{j + 1}" for j in range(x.shape[1])]
        if variables is not None:
            raise InputError(
                "`variables` names columns, but the data are an array without column names.",
                hint="Pass a DataFrame, or select the columns of the array yourself.",
            )
        for j, col in enumerate(columns):
            _check_finite(x[:, j], col)
    if x.shape[1] == 0:
        raise InputError(
            f"No variables were given to {method}.",
            hint="Choose at least one numeric variable with `variables`.",
        )
    if x.shape[0] < 2:
        raise InputError(
            f"{method} needs at least 2 members; the data have {x.shape[0]}.",
            hint="Check the filter that selected the members.",
        )
    notes: list[str] = []
    for j, col in enumerate(columns):
        values = np.unique(x[:, j])
        if values.size == 1:
            raise InputError(
                f"The variable has the same value ({values[0]:g}) for every member, so it "
                "cannot separate segments (and its variance is zero).",
                column=col,
                hint="Remove it from `variables`.",
            )
        if values.size == 2:
            notes.append(
                f"Variable '{col}' takes only two values; {method} treats it as continuous "
                "(a latent class analysis models binary indicators properly)."
            )
    return x, columns, notes


def _numeric_column(s: pd.Series, col: str, method: str) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
    ):
        converted = pd.to_numeric(s, errors="coerce")
        bad = converted.isna() & s.notna()
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
        value = s[bad].iloc[0] if bad.any() else None
        raise InputError(
            f"The variable is categorical (text or category values), but {method} needs "
            "numeric variables.",
            column=col,
            row=row,
            value=value,
            hint="Recode it as numbers if it is a rating, or analyse categorical indicators "
            "with the latent class method (method='lca').",
        )
    x = s.to_numpy(dtype=float, na_value=np.nan)
    _check_finite(x, col)
    return x


def _check_finite(x: np.ndarray, col: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        what = "missing" if np.isnan(x[row - 1]) else "infinite"
        raise InputError(
            f"The variable has {int(bad.sum())} {what} value(s); segmentation needs a value "
            "for every member and variable.",
            column=col,
            row=row,
            hint="Drop or impute the incomplete members first (the study reports how many "
            "it drops).",
        )
