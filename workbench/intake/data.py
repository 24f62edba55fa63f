"""Read survey data files and prepare the codebook's items for analysis.

Supported: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK as Chinese Excel exports
produce), XLSX, SPSS ``.sav`` and Stata ``.dta`` (value labels kept), Parquet.

The input file is only ever read. Preparation (:func:`load_survey`) replaces
declared missing codes by missing values and reverse-codes the declared items,
and reports both; it never imputes or clips. Anything it cannot use raises
:class:`~workbench.errors.InputError` naming the file, column, first offending
data row and value, and what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.intake.codebook import Codebook, load_codebook

READERS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
    ".parquet": "parquet",
    ".pq": "parquet",
}
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# Only empty cells and R's `NA` mean 'no answer'. pandas' longer default list
# ('n/a', 'null', '-nan', ...) would silently turn typed text into missing values.
NA_VALUES = ["", "NA"]
MissingTreatment = Literal["listwise", "pairwise"]
MISSING_TREATMENTS: tuple[str, ...] = ("listwise", "pairwise")


@dataclasses.dataclass(frozen=True)
class Table:
    """A data file as read: the frame plus what the reader learnt about it."""

    frame: pd.DataFrame
    path: str
    encoding: str | None = None
    value_labels: dict[str, dict[Any, str]] = dataclasses.field(default_factory=dict)
    column_labels: dict[str, str] = dataclasses.field(default_factory=dict)
    #: what the reader did that a reader of the report must know (e.g. SPSS user-missing)
    warnings: tuple[str, ...] = ()


def _spss_user_missing(frame: pd.DataFrame, meta: Any) -> tuple[pd.DataFrame, list[str]]:
    """Apply the user-missing values an SPSS file declares, and say so.

    SPSS treats a variable's declared missing values (``MISSING VALUES TR1 (99).``, or a
    range) as 'no answer'; the workbench does the same, but counts the cells per column
    and returns a sentence for the report instead of losing them silently (pyreadstat's
    default reads them as NaN without a trace).
    """
    values: dict[str, list[Any]] = dict(getattr(meta, "missing_user_values", None) or {})
    ranges: dict[str, list[dict[str, Any]]] = dict(getattr(meta, "missing_ranges", None) or {})
    counts: dict[str, int] = {}
    out = frame.copy()
    for col in dict.fromkeys([*values, *ranges]):
        if col not in out.columns:
            continue
        s = out[col]
        mask = s.isin(values.get(col, [])) if values.get(col) else pd.Series(False, index=s.index)
        for r in ranges.get(col, []):
            lo, hi = r.get("lo"), r.get("hi")
            if pd.api.types.is_numeric_dtype(s) and lo is not None and hi is not None:
                mask |= s.between(lo, hi)
            elif lo is not None:
                mask |= s == lo
        if mask.any():
            counts[col] = int(mask.sum())
            out[col] = s.mask(mask)
    if not counts:
        return out, []
    listed = ", ".join(f"{c} ({n})" for c, n in list(counts.items())[:10])
    more = f" and {len(counts) - 10} more column(s)" if len(counts) > 10 else ""
    return out, [
        f"The SPSS file declares user-missing values: {sum(counts.values())} answer(s) "
        f"were read as missing, as SPSS does: {listed}{more}."
    ]


def ids_as_text(ids: pd.Series) -> pd.Series:
    """Ids (member, respondent) as nullable text, to match ids read as text in another file;
    ids read as floats (1.0, e.g. from a workbook) keep their integer spelling (1)."""
    return (ids.astype("Int64") if ids.dtype.kind == "f" else ids).astype("string")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (the data's fingerprint in every report)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read a data file into a DataFrame without changing the file.

    CSV files are tried as UTF-8 (with or without BOM) and then GB18030, a
    superset of GBK. Only empty cells (and R's ``NA``) are read as missing.
    Columns whose every value parses as a number become numeric; the rest stay
    text, so that a stray ``"n/a"`` in an item column is reported by
    :func:`load_survey` rather than silently dropped. A column with zero-padded
    numbers (``007``) stays text: such values are codes (ids), and ``7`` would no
    longer match ``007`` in a transaction log.

    Nothing is dropped or renamed silently: a column name given twice, a CSV row with
    fewer or more fields than the header (a truncated or badly quoted line), and a
    workbook with several sheets when ``sheet`` does not say which to read are errors.

    Parameters
    ----------
    path : str or Path
        CSV/TXT/TSV, XLSX/XLS, SPSS ``.sav``, Stata ``.dta`` or Parquet.
    sheet : str, optional, keyword-only
        The worksheet of a workbook to read; required when it has more than one.

    Raises
    ------
    InputError
        File not found, an unsupported extension, an unreadable file, a duplicate
        column name, a ragged CSV row, or an unnamed sheet of a multi-sheet workbook.
    """
    if "://" in str(path) or re.match(r"^(https?|ftp|s3|gs):/", str(path)):
        raise InputError(
            "The data is a web address; only files on this machine are read.",
            file=str(path),
            hint="Download the file and give its path (a report must name the exact bytes it "
            "analysed, with their SHA-256).",
        )
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise InputError(
            "The data path is a symbolic link that leads nowhere (a missing target or a loop).",
            file=str(path),
            hint="Give the path of the file itself.",
        )
    if not path.exists():
        raise InputError(
            "Data file not found.", file=str(path), hint="Check the path given with --data."
        )
    if path.is_dir():
        raise InputError(
            "The data path is a folder, not a file.", file=str(path), hint="Name the data file."
        )
    if not path.is_file():  # a named pipe or device would be read forever
        raise InputError(
            "The data path is not a regular file (a pipe or device?).",
            file=str(path),
            hint="Save the data to a file and name that file.",
        )
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"Unsupported file type '{path.suffix or '(none)'}'.",
            file=str(path),
            hint="Save the data as CSV, XLSX, SPSS .sav, Stata .dta or Parquet.",
        )
    if sheet and kind != "excel":
        raise InputError(
            f"A sheet ('{sheet}') was named, but the data file is not a workbook.",
            file=str(path),
            hint="Leave out --param sheet for CSV, SPSS, Stata and Parquet files.",
        )
    try:
        if kind == "csv":
            return _read_csv(path)
        if kind == "excel":
            frame = _read_excel(path, sheet)
            return Table(_infer_numeric(frame), str(path))
        if kind in ("spss", "stata"):
            import pyreadstat

            notes: list[str] = []
            if kind == "spss":
                frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
                frame, notes = _spss_user_missing(frame, meta)
            else:
                frame, meta = pyreadstat.read_dta(str(path))
            return Table(
                frame,
                str(path),
                encoding=getattr(meta, "file_encoding", None),
                value_labels=dict(meta.variable_value_labels or {}),
                column_labels={k: v for k, v in (meta.column_names_to_labels or {}).items() if v},
                warnings=tuple(notes),
            )
        import pyarrow.parquet as pq

        _check_unique_columns([str(c) for c in pq.read_schema(path).names], path)
        frame = pd.read_parquet(path)
        frame.columns = [str(c) for c in frame.columns]  # names as text, as in every format
        return Table(frame, str(path))
    except InputError:
        raise
    except Exception as exc:  # the reader libraries raise many types
        raise InputError(
            f"The file could not be read as {kind.upper()} ({type(exc).__name__}: {exc}).",
            file=str(path),
            hint="Check that the file is not damaged and that its extension matches its content.",
        ) from exc


def _read_csv(path: Path) -> Table:
    raw = path.read_bytes()
    last_error: Exception | None = None
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
        import io

        if not text.strip():
            raise InputError("The data file is empty.", file=str(path), hint="Export it again.")
        sep = csv_delimiter(text, path)
        _check_csv_shape(text, sep, path)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                sep=sep,
                keep_default_na=False,
                na_values=NA_VALUES,
            )
        except pd.errors.ParserError as exc:
            raise InputError(
                f"The CSV file could not be parsed: {exc}.",
                file=str(path),
                hint="Check the delimiter and quoting (a field with a comma must be quoted).",
            ) from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        return Table(_infer_numeric(frame), str(path), encoding=encoding)
    raise InputError(
        "The CSV file is neither UTF-8 nor GB18030/GBK text.",
        file=str(path),
        hint="Save it from Excel as 'CSV UTF-8'.",
    ) from last_error


def _check_unique_columns(names: list[str], path: Path) -> None:
    """A column name given twice would be renamed (``TR1.1``) and silently dropped later."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        key = name.strip()
        if key in seen:
            raise InputError(
                f"The column name '{key}' is given twice (columns {seen[key]} and {position}).",
                file=str(path),
                column=key,
                hint="Rename or remove one of them, so that every column has its own name.",
            )
        seen[key] = position


def _check_csv_shape(text: str, sep: str, path: Path) -> None:
    """Every row must have the header's number of fields (blank lines are skipped).

    A row with fewer fields (a truncated export) would otherwise be read with its last
    answers missing, and one with more (an unquoted comma) shifted; both are refused,
    naming the first such row.
    """
    import csv
    import io

    rows = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(rows, [])
    _check_unique_columns([str(c) for c in header], path)
    width = len(header)
    data_row = 0
    for fields in rows:
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank line: pandas skips it too
        data_row += 1
        if len(fields) != width:
            few = len(fields) < width
            raise InputError(
                f"A row has {len(fields)} field(s) but the header has {width}"
                + (" (a truncated row?)." if few else " (an unquoted separator in a value?)."),
                file=str(path),
                row=data_row,
                hint="Export the file again"
                + ("; a row must not end early." if few else f"; quote values containing '{sep}'."),
            )


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    """One worksheet; with several and no ``sheet`` named, an error listing them."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        names = book.sheetnames
    finally:
        book.close()
    if sheet is None and len(names) > 1:
        raise InputError(
            f"The workbook has {len(names)} sheets ({', '.join(repr(n) for n in names)}); "
            "reading only the first could leave out respondents.",
            file=str(path),
            hint="Name the sheet to analyse with --param sheet=NAME (from Python: "
            "load_survey(..., sheet=NAME)), or save it as its own CSV file.",
        )
    if sheet is not None and sheet not in names:
        raise InputError(
            f"The workbook has no sheet '{sheet}'; its sheets: {', '.join(names)}.",
            file=str(path),
            hint="Name one of its sheets.",
        )
    frame = pd.read_excel(
        path,
        sheet_name=sheet if sheet is not None else 0,
        header=None,
        dtype=object,
        engine="openpyxl",
        keep_default_na=False,
        na_values=NA_VALUES,
    )
    if frame.empty:
        return frame
    header = [
        f"Unnamed: {i}" if pd.isna(v) or not str(v).strip() else str(v).strip()
        for i, v in enumerate(frame.iloc[0])
    ]
    unnamed = sum(h.startswith("Unnamed: ") for h in header)
    if len(header) > 2 and unnamed * 2 > len(header):
        raise InputError(
            f"The first row of the sheet does not look like a header: {unnamed} of its "
            f"{len(header)} cells are empty (a title row or merged cells above the column "
            "names?).",
            file=str(path),
            hint="Make the column names the sheet's first row (delete title rows, unmerge "
            "cells), or save the data as CSV with one header line.",
        )
    _check_unique_columns(header, path)
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = header
    if body.isna().to_numpy().any():
        _check_uncached_formulas(path, sheet, body)
    return body


def _check_uncached_formulas(path: Path, sheet: str | None, body: pd.DataFrame) -> None:
    """Refuse formula cells that a workbook saved without their values.

    A workbook written by a program (not Excel) may hold ``=B2*2`` with no computed
    value; every reader then sees an empty cell, which would count as 'no answer'.
    Only cells that read as empty are looked at, so files without gaps cost nothing.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        empty = body.isna().to_numpy()
        found: list[tuple[int, int]] = []
        for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
            if r >= len(body):
                break
            for c, value in enumerate(row[: body.shape[1]]):
                if empty[r, c] and isinstance(value, str) and value.startswith("="):
                    found.append((r, c))
    finally:
        book.close()
    if found:
        r, c = found[0]
        raise InputError(
            f"{len(found)} cell(s) hold a formula saved without its value (the first is "
            f"{get_column_letter(c + 1)}{r + 2}); they would be read as missing answers.",
            file=str(path),
            column=str(body.columns[c]),
            row=r + 1,
            hint="Open the workbook in Excel or LibreOffice and save it (this stores the "
            "computed values), or export the sheet as CSV.",
        )


def csv_delimiter(text: str, path: Path) -> str:
    """The field delimiter, judged from the header line: tab, semicolon or comma."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else ","


def _infer_numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Make a column numeric where every non-missing value parses as a number.

    Plain numbers (the usual case) are parsed by pyarrow's strict cast, which is
    many times faster than :func:`pandas.to_numeric` on large files; anything it
    does not accept (spaces around a number, a leading ``+``, text) goes the
    general way below, so the result is the same either way.
    """
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) or _zero_padded(s):
            out[col] = s
            continue
        fast = _plain_numbers(s)
        if fast is not None:
            out[col] = fast
            continue
        stripped = s.astype("string").str.strip()
        stripped = stripped.mask(stripped == "")
        num = pd.to_numeric(stripped, errors="coerce")
        if num.notna().sum() == stripped.notna().sum():
            out[col] = num.astype(float) if num.dtype == object else num
        else:
            out[col] = s
    return pd.DataFrame(out, index=frame.index)


_INTEGER = r"^[+-]?[0-9]+$"


def _zero_padded(s: pd.Series) -> bool:
    """True when some value is a zero-padded number such as ``007``: a code (member id,
    postcode), kept as text so that it matches the same code in another file. Item
    answers written this way are still read as numbers by :func:`load_survey`."""
    text = s.dropna().astype("string").str.strip()
    return bool(text.str.match(r"^[+-]?0[0-9]").any())


def _plain_numbers(s: pd.Series) -> pd.Series | None:
    """A text column of plain numbers as nullable ``Int64`` (every value an integer)
    or ``Float64``, the dtypes the general rule gives.

    ``None`` when pyarrow's strict parser rejects any value or yields NaN from a
    literal such as ``nan``: the caller then uses the general rule.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(s, type=pa.string(), from_pandas=True)
        num = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None
    if pc.any(pc.is_nan(num)).as_py():
        return None
    mask = pc.is_null(text).to_numpy(zero_copy_only=False)
    values: pd.api.extensions.ExtensionArray
    if text.null_count < len(text) and pc.all(pc.match_substring_regex(text, _INTEGER)).as_py():
        try:
            ints = pc.cast(text, pa.int64())
        except pa.ArrowInvalid:  # beyond int64: the general rule decides
            return None
        values = pd.arrays.IntegerArray(pc.fill_null(ints, 0).to_numpy(), mask)
    else:
        values = pd.arrays.FloatingArray(pc.fill_null(num, 0.0).to_numpy(), mask)
    return pd.Series(values, index=s.index, name=s.name)


@dataclasses.dataclass(frozen=True)
class SurveyData:
    """A survey ready for analysis.

    Attributes
    ----------
    frame
        All columns; the codebook's items are numeric, with declared missing
        codes replaced by NaN and reverse-coded items scored ``min + max - x``.
    raw
        The frame as read from the file (items not reverse-coded).
    codebook
        The validated codebook.
    path, sha256
        The data file and the SHA-256 of its bytes.
    missing_codes_replaced
        ``{item: count}`` of cells whose missing code became NaN.
    """

    frame: pd.DataFrame
    raw: pd.DataFrame
    codebook: Codebook
    path: str
    sha256: str
    encoding: str | None = None
    value_labels: dict[str, dict[Any, str]] = dataclasses.field(default_factory=dict)
    missing_codes_replaced: dict[str, int] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def items(self) -> pd.DataFrame:
        """The codebook's items, prepared (missing codes removed, reverse-coded)."""
        return self.frame.loc[:, list(self.codebook.items)]

    @property
    def n(self) -> int:
        return len(self.frame)

    def construct_items(self, construct: str) -> pd.DataFrame:
        return self.frame.loc[:, list(self.codebook.constructs[construct].items)]


def load_survey(
    data: str | Path,
    codebook: str | Path | Codebook | None = None,
    *,
    sheet: str | None = None,
) -> SurveyData:
    """Read a survey file and prepare its items as the codebook describes.

    Without a codebook (``None`` or ``""``, as ``workbench run`` passes when
    ``--codebook`` is left out) the survey has no items or constructs: every
    variable is a column of the data, used as it is (:meth:`Codebook.empty`).

    Checks, each raising :class:`InputError` with the file, column, first
    offending data row (1-based, header excluded) and value:

    - codebook items or id column absent from the data (closest names suggested);
    - non-numeric values in an item column;
    - values outside the codebook's scale that are not declared missing codes;
    - duplicate respondent ids, or missing ids;
    - an item column with no answers at all.

    Constant items are not errors; screening reports them as warnings.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "s.csv")
    >>> _ = open(path, "w").write("id,T1,T2\\n1,7,1\\n2,99,2\\n3,5,3\\n")
    >>> cb = Codebook.from_dict({"id": "id", "scale": {"min": 1, "max": 7},
    ...     "missing_codes": [99], "constructs": {"trust": ["T1", "T2"]},
    ...     "reverse_coded": ["T2"]})
    >>> survey = load_survey(path, cb)
    >>> survey.items.to_numpy().tolist()
    [[7.0, 7.0], [nan, 6.0], [5.0, 5.0]]
    """
    if isinstance(codebook, Codebook):
        cb = codebook
    elif codebook is None or str(codebook) == "":
        cb = Codebook.empty(Path(data).stem)
    else:
        cb = load_codebook(codebook)
    table = read_table(data, sheet=sheet or None)
    frame = table.frame
    file = table.path
    if frame.empty:
        raise InputError(
            "The data file has a header but no data rows.",
            file=file,
            hint="Export the responses again (or check that the right file was given).",
        )
    cb.check_columns(frame.columns, file=file)

    prepared = frame.copy()
    replaced: dict[str, int] = {}
    warnings: list[str] = [*cb.warnings, *table.warnings]

    if cb.id is not None:
        ids = frame[cb.id]
        if ids.isna().any():
            row = int(np.flatnonzero(ids.isna().to_numpy())[0]) + 1
            raise InputError(
                "A respondent id is missing.",
                file=file,
                column=cb.id,
                row=row,
                hint="Every respondent needs an id; fill it in or remove `id:` from the codebook.",
            )
        dup = ids.duplicated(keep="first")
        if dup.any():
            row = int(np.flatnonzero(dup.to_numpy())[0]) + 1
            value = ids.iloc[row - 1]
            first = int(np.flatnonzero((ids == value).to_numpy())[0]) + 1
            raise InputError(
                f"Duplicate respondent id (first seen in data row {first}).",
                file=file,
                column=cb.id,
                row=row,
                value=_plain(value),
                hint="Remove the duplicated response or give it its own id.",
            )

    for item in cb.items:
        values = _numeric_item(frame[item], file=file, column=item)
        if cb.missing_codes:
            is_code = values.isin(cb.missing_codes)
            if is_code.any():
                replaced[item] = int(is_code.sum())
                values = values.mask(is_code)
        if cb.scale is not None:
            outside = values.notna() & ((values < cb.scale.min) | (values > cb.scale.max))
            if outside.any():
                row = int(np.flatnonzero(outside.to_numpy())[0]) + 1
                codes = (
                    f" (declared missing codes: {', '.join(f'{c:g}' for c in cb.missing_codes)})"
                    if cb.missing_codes
                    else ""
                )
                raise InputError(
                    f"Value outside the scale {cb.scale.min:g}..{cb.scale.max:g}{codes}; "
                    f"{int(outside.sum())} such value(s) in this column.",
                    file=file,
                    column=item,
                    row=row,
                    value=_plain(values.iloc[row - 1]),
                    hint=(
                        "The column carries value labels ("
                        + ", ".join(
                            f"{_plain(k)} = {v!r}"
                            for k, v in list(table.value_labels[item].items())[:4]
                        )
                        + ", ...): its codes are not the codebook's scale; recode them, or "
                        "correct the codebook's `scale`. "
                        if table.value_labels.get(item)
                        else ""
                    )
                    + "Fix the value, declare it in `missing_codes` if it means 'no answer', "
                    "or correct the codebook's `scale`.",
                )
        if values.isna().all():
            raise InputError(
                "The item has no answers at all (every value is missing).",
                file=file,
                column=item,
                hint="Check the export, or remove the item from the codebook.",
            )
        if item in cb.reverse_coded:
            values = cb.scale.reverse(values)  # type: ignore[union-attr]
        prepared[item] = values

    return SurveyData(
        frame=prepared,
        raw=frame,
        codebook=cb,
        path=file,
        sha256=file_sha256(file),
        encoding=table.encoding,
        value_labels=table.value_labels,
        missing_codes_replaced=replaced,
        warnings=tuple(warnings),
    )


def _numeric_item(series: pd.Series, *, file: str, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        raise InputError(
            "The item column holds true/false values, not numeric answers.",
            file=file,
            column=column,
            hint="Recode the answers as numbers.",
        )
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip()
    text = text.mask(text == "")
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & num.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"Non-numeric value in an item column; {int(bad.sum())} such value(s) in this column.",
            file=file,
            column=column,
            row=row,
            value=str(text.iloc[row - 1]),
            hint=(
                "The values look like numbers written with a decimal comma (3,5): save the "
                "file with decimal points, or as XLSX. "
                if text[bad].str.fullmatch(r"[+-]?[0-9]+,[0-9]+").mean() > 0.5
                else ""
            )
            + "Recode text answers as numbers; if it means 'no answer', leave the cell empty "
            "or use a numeric code listed in the codebook's `missing_codes`.",
        )
    return num.astype(float)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def complete_cases(
    items: pd.DataFrame, *, missing: MissingTreatment = "listwise"
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Apply the missing-data treatment and describe what it did.

    ``listwise`` keeps respondents who answered every item; ``pairwise`` keeps
    every respondent (statistics then use all available pairs). Nothing is
    ever imputed.

    Returns
    -------
    (data, report)
        The data to analyse and ``{treatment, n_total, n_used, n_dropped}``.
    """
    if missing not in MISSING_TREATMENTS:
        raise ValueError(f"missing must be one of {MISSING_TREATMENTS}, not {missing!r}")
    n_total = len(items)
    used = items.dropna() if missing == "listwise" else items
    report = {
        "treatment": missing,
        "n_total": n_total,
        "n_used": len(used) if missing == "listwise" else int(items.notna().any(axis=1).sum()),
        "n_dropped": n_total - len(used) if missing == "listwise" else 0,
    }
    return used, report


def require_respondents(
    n: int,
    minimum: int,
    *,
    method: str,
    file: str | None = None,
    missing: str = "listwise",
) -> None:
    """Raise :class:`InputError` when fewer usable respondents remain than ``method`` needs.

    The hint suggests ``missing=pairwise`` only when listwise deletion is what cost the
    respondents (``missing="listwise"``); under any other treatment it would be no help.
    """
    if n < minimum:
        pairwise = "use `missing=pairwise`, " if missing == "listwise" else ""
        raise InputError(
            f"Only {n} usable respondent(s) remain, but {method} needs at least {minimum}.",
            file=file,
            hint=f"Collect more responses, {pairwise}or analyse fewer items.",
        )
