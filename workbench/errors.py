"""Errors a researcher can act on.

Every problem with the user's input (a file, a codebook, a parameter) is raised
as :class:`InputError`: the message names the file, the column, the first
offending row and value, and what to do. The command line prints it without a
traceback and exits with status 2.
"""

from __future__ import annotations

from typing import Any


class WorkbenchError(Exception):
    """Base class of the errors the workbench raises on purpose."""


class InputError(WorkbenchError):
    """A problem with the user's input that the user can fix.

    Parameters
    ----------
    problem
        What is wrong, in one sentence.
    file, column, row, value
        Where it is. ``row`` is the 1-based data row as a spreadsheet user
        counts it (the header is row 1, so the first data row is row 2 in CSV
        files; we report ``row`` as the 1-based *data* row and say so).
    hint
        What to do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: Any = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.column = column
        self.row = row
        self.value = value
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file '{self.file}'")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"data row {self.row}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        text = self.problem
        if where:
            text += f" [{', '.join(where)}]"
        if self.hint:
            text += f"\n  What to do: {self.hint}"
        return text


class StudyFailed(WorkbenchError):
    """A study notebook failed while running; the partial notebook is kept."""
