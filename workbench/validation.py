"""Argument checks shared by the statistics modules (ground layer: imports nothing from it).

One wording for each kind of bad argument, so a researcher calling the API from Python reads
the same sentence whichever function they called. (Bad *input data* raise
:class:`~workbench.errors.InputError` with file, column and row; these are programming errors
in a call and raise :class:`ValueError`.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["check_choice", "check_ci"]


def check_choice(name: str, value: Any, valid: Iterable[Any]) -> None:
    """Raise :class:`ValueError` naming the valid values when ``value`` is not one of them.

    >>> check_choice("missing", "pairwise", ("listwise", "pairwise"))
    >>> check_choice("missing", "mean", ("listwise", "pairwise"))
    Traceback (most recent call last):
    ...
    ValueError: missing='mean' is not valid: missing must be one of ['listwise', 'pairwise']
    """
    options = list(valid)
    if value not in options:
        raise ValueError(f"{name}={value!r} is not valid: {name} must be one of {options!r}")


def check_ci(ci: Any) -> float:
    """The confidence level as a float, or :class:`ValueError` unless it lies in (0, 1).

    >>> check_ci(0.9)
    0.9
    >>> check_ci(95)
    Traceback (most recent call last):
    ...
    ValueError: ci=95 is not valid: use a confidence level between 0 and 1, e.g. 0.95
    """
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise ValueError(
            f"ci={ci!r} is not valid: use a confidence level between 0 and 1, e.g. 0.95"
        )
    return float(ci)
