"""A small base for result objects: ``to_frame()``, ``summary()``, ``to_dict()``.

Results are frozen dataclasses. Subclasses implement :meth:`Result.to_frame` (the
main tidy table) and may override :meth:`Result.summary` and :meth:`Result.to_dict`; the
base supplies an HTML representation for notebooks that escapes every string.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd


def jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON types.

    NaN and infinities become ``None`` (JSON has no NaN).
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return {str(i): jsonable(row) for i, row in obj.to_dict(orient="index").items()}
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return None if math.isnan(value) or math.isinf(value) else value
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return obj


def with_warnings(text: str, warnings: list[str] | tuple[str, ...]) -> str:
    """``text`` followed by a "Warnings:" list, if there are any (for ``summary()``)."""
    if warnings:
        text += "\n\nWarnings:\n" + "\n".join(f"- {w}" for w in warnings)
    return text


def fields_dict(obj: Any, skip: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """A result dataclass's fields as a dict, without its warnings, ``model`` and ``skip``."""
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if f.name not in ("warning_messages", "model", *skip)
    }


@dataclasses.dataclass(frozen=True)
class Result:
    """Base of the workbench's result objects."""

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def warnings(self) -> list[str]:
        return list(getattr(self, "warning_messages", ()) or ())

    def summary(self) -> str:
        return with_warnings(self.to_frame().to_string(), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(self.to_frame())

    def _repr_html_(self) -> str:
        # DataFrame.to_html escapes cell text and labels by default.
        html = self.to_frame().to_html(escape=True, float_format=lambda v: f"{v:.3f}")
        if self.warnings:
            from html import escape

            items = "".join(f"<li>{escape(w)}</li>" for w in self.warnings)
            html += f"<ul class='wb-warnings'>{items}</ul>"
        return html
