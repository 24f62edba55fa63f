"""Member transactions: loading, validation and the loyalty aggregations.

The data layer of the member-analytics study. :func:`load_transactions` reads a
transactions file (CSV, Parquet, XLSX, SAV, DTA) and an optional members file,
checks them and exposes them as Ibis table expressions with standard column
names. The aggregations (:func:`kpi_panel`, :func:`cohort_retention`,
:func:`rfm_scores`, :func:`rfm_segments`, :func:`tier_mix`,
:func:`tier_migration`) are written once in Ibis and run on whatever backend
the table is bound to: DuckDB (embedded, the default) or a Spark session
(``engine="spark"``). Only small, already aggregated tables (one row per
period, per pair of periods or per member) come back to pandas.

Standard transaction columns
----------------------------
``member_id`` (string), ``date`` (date), ``amount`` (float64, negative for
refunds when ``refunds="net"``), and when mapped: ``order_id`` (string),
``channel`` (string), ``store`` (string), ``points_earned`` and
``points_redeemed`` (float64).

A *purchase* is a row with ``amount >= 0`` (zero-amount rows, such as the 80
free items in CDNOW, are purchases); when an ``order_id`` column is mapped, the
purchases are the distinct order ids among those rows instead. CDNOW has
several rows per member and day without an order id, so there every row counts
as a purchase.

The input files are only ever read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import itertools
from pathlib import Path
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.intake.data import file_sha256, ids_as_text, read_table
from workbench.results import Result
from workbench.validation import check_choice

Period = Literal["month", "quarter", "week", "year"]
PERIODS: tuple[str, ...] = ("month", "quarter", "week", "year")
Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
Refunds = Literal["error", "net", "drop"]
REFUND_POLICIES: tuple[str, ...] = ("error", "net", "drop")
COHORT_BY: tuple[str, ...] = ("first_purchase", "join")
SHAPES: tuple[str, ...] = ("wide", "long")

OPTIONAL_COLUMNS = ("order_id", "channel", "store", "points_earned", "points_redeemed")
_TEXT_COLUMNS = ("order_id", "channel", "store")
_NUMBER_COLUMNS = ("points_earned", "points_redeemed")
_DUCKDB_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# The Monday on or before 1970-01-01 (a Thursday): week k starts WEEK0 + 7k days.
_WEEK0 = pd.Timestamp("1969-12-29")


# --------------------------------------------------------------------------- engine


def connect(engine: Engine = "duckdb", *, spark_master: str = "local[*]") -> Any:
    """Return an Ibis backend for the aggregations.

    Parameters
    ----------
    engine : {"duckdb", "spark"}
        ``"duckdb"``: a new in-memory DuckDB database (embedded, no server).
        ``"spark"``: the active Spark session, or a new local one
        (``spark_master``), wrapped by Ibis' PySpark backend. Needs ``pyspark``
        and Java 17.
    spark_master : str, keyword-only
        Master URL used when a new Spark session is started.

    Returns
    -------
    ibis.BaseBackend

    Examples
    --------
    >>> con = connect("duckdb")
    >>> con.name
    'duckdb'
    """
    check_choice("engine", engine, ENGINES)
    if engine == "duckdb":
        return ibis.duckdb.connect()
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError(
            "engine='spark' needs the pyspark package, which is not installed.",
            hint="Install pyspark (and Java 17), or use engine='duckdb'.",
        ) from exc
    session = SparkSession.getActiveSession()
    if session is None:
        session = (
            SparkSession.builder.master(spark_master)
            .appName("loyalty-workbench")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
    return ibis.pyspark.connect(session)


# --------------------------------------------------------------------------- loading


@dataclasses.dataclass(frozen=True)
class Transactions(Result):
    """Validated transactions (and members), ready for the aggregations.

    Attributes
    ----------
    table
        Ibis table with the standard columns (see the module docstring).
    members
        Ibis table (``member_id`` string, ``join_date`` date if the file has a
        ``join_date`` column, ``tier`` if it has one, other columns kept) or
        ``None``.
    path, sha256
        The transactions file and the SHA-256 of its bytes.
    n_rows, n_members, first_date, last_date
        Rows kept, distinct members, first and last transaction date.
    refunds_report
        ``{"policy", "rows", "amount", "members"}``: the negative-amount rows
        found and what was done with them.
    backend
        The Ibis backend the tables are bound to.
    members_path, members_sha256
        The members file and its SHA-256, if given.
    warning_messages
        Reported by :attr:`warnings` and :meth:`summary`.
    """

    table: Any
    members: Any
    path: str
    sha256: str
    n_rows: int
    n_members: int
    first_date: Any
    last_date: Any
    refunds_report: dict[str, Any]
    backend: Any
    columns: tuple[str, ...] = ()
    members_path: str | None = None
    members_sha256: str | None = None
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per fact about the data: file, rows, members, dates, refunds."""
        rows = {
            "path": self.path,
            "sha256": self.sha256,
            "rows": self.n_rows,
            "members": self.n_members,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "columns": ", ".join(self.columns),
            "refunds_policy": self.refunds_report.get("policy"),
            "refund_rows": self.refunds_report.get("rows"),
            "refund_amount": self.refunds_report.get("amount"),
            "members_file": self.members_path,
            "backend": getattr(self.backend, "name", str(self.backend)),
        }
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    def to_dict(self) -> dict[str, Any]:
        from workbench.results import jsonable

        return jsonable(
            {
                **self.to_frame()["value"].to_dict(),
                "refunds": self.refunds_report,
                "warnings": self.warnings,
            }
        )


def _suggest(name: str, columns: list[str]) -> str:
    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.5)
    lower = [c for c in columns if c.lower() == name.lower() and c not in close]
    close = lower + close
    if close:
        return "Did you mean " + " or ".join(repr(c) for c in close) + "? "
    return ""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_GLOB_CHARACTERS = frozenset("*?[]{}")


def _read_raw(con: Any, path: Path, table: str) -> list[str]:
    """Load a file unchanged (text for CSV) into DuckDB table ``table`` with a row number."""
    db = con.con
    fmt = _DUCKDB_FORMATS.get(path.suffix.lower())
    src = str(path).replace("'", "''")
    # DuckDB expands glob patterns (*, ?, [..], {..}) in file names, so `tx[2].csv` would read
    # `tx2.csv`: such names go through the general reader, which takes the path literally.
    if fmt is not None and not _GLOB_CHARACTERS & set(str(path)):
        try:
            if fmt == "csv":
                reader = (
                    f"read_csv('{src}', all_varchar=true, header=true, "
                    "nullstr=['', 'NA'], auto_detect=true)"
                )
            else:
                reader = f"read_parquet('{src}')"
            # Tables keep insertion order, so rowid + 1 is the 1-based data row.
            db.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {reader}")
            if fmt == "parquet":
                _wall_clock_times(con, path, table)
            return [r[0] for r in db.execute(f"DESCRIBE {table}").fetchall()]
        except Exception:  # fall back to the general reader (e.g. GB18030 text)
            pass
    frame = read_table(path).frame
    frame.columns = [str(c) for c in frame.columns]
    for c in frame.columns:  # time-zone-aware times: their own wall clock, as in a CSV file
        if isinstance(frame[c].dtype, pd.DatetimeTZDtype):
            frame[c] = frame[c].dt.tz_localize(None)
    db.register("_wb_frame", frame)
    db.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _wb_frame")
    db.unregister("_wb_frame")
    return list(frame.columns)


def _wall_clock_times(con: Any, path: Path, table: str) -> None:
    """Time-zone-aware Parquet times become the wall-clock time of their own zone.

    DuckDB reads them as instants and would cast them to dates in the session's zone
    (UTC here), so a purchase at 01:00 in Shanghai would fall on the previous day, while
    the same time written in a CSV file counts on its own day. The zone is the one the
    file's schema records.
    """
    import pyarrow.parquet as pq

    rows = con.con.execute(f"DESCRIBE {table}").fetchall()
    aware = [r[0] for r in rows if "WITH TIME ZONE" in str(r[1]).upper()]
    if not aware:
        return
    schema = pq.read_schema(path)
    parts = []
    for name in aware:
        zone = getattr(schema.field(name).type, "tz", None) or "UTC"
        parts.append(f"timezone('{zone.replace(chr(39), '')}', {_quote(name)}) AS {_quote(name)}")
    con.con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT * REPLACE ({', '.join(parts)}) FROM {table}"
    )


def _column_type(con: Any, table: str, column: str) -> str:
    rows = con.con.execute(f"DESCRIBE {table}").fetchall()
    return next(str(r[1]).upper() for r in rows if r[0] == column)


def _date_sql(con: Any, table: str, column: str) -> str:
    """SQL that parses ``column`` to DATE (NULL when it cannot)."""
    kind = _column_type(con, table, column)
    q = _quote(column)
    if kind == "DATE":
        return q
    if kind.startswith("TIMESTAMP"):
        return f"CAST({q} AS DATE)"
    text = f"trim(CAST({q} AS VARCHAR))"
    if any(k in kind for k in ("DOUBLE", "FLOAT", "DECIMAL")):
        # 19970101.0 from a numeric reader
        text = f"CAST(CAST({q} AS BIGINT) AS VARCHAR)"
    return (
        f"coalesce(CASE WHEN regexp_full_match({text}, '[0-9]{{8}}') "
        f"THEN CAST(try_strptime({text}, '%Y%m%d') AS DATE) END, "
        f"try_cast({text} AS DATE), CAST(try_cast({text} AS TIMESTAMP) AS DATE))"
    )


def _number_sql(con: Any, table: str, column: str) -> str:
    kind = _column_type(con, table, column)
    q = _quote(column)
    if any(k in kind for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL")):
        return f"CAST({q} AS DOUBLE)"
    return f"try_cast(trim(CAST({q} AS VARCHAR)) AS DOUBLE)"


def _text_sql(con: Any, table: str, column: str) -> str:
    kind = _column_type(con, table, column)
    q = _quote(column)
    if any(k in kind for k in ("DOUBLE", "FLOAT", "DECIMAL", "REAL")):
        # Integers read as floats (e.g. from XLSX) keep their integer spelling.
        return (
            f"CASE WHEN {q} = floor({q}) THEN CAST(CAST({q} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({q} AS VARCHAR) END"
        )
    return f"trim(CAST({q} AS VARCHAR))"


def _first_bad(con: Any, sql: str) -> tuple[int, Any, int] | None:
    """(row, value, count) of the first row returned by ``sql`` (ordered by rowid)."""
    rows = con.con.execute(
        f"SELECT _row, _value, count(*) OVER () FROM ({sql}) ORDER BY _row LIMIT 1"
    ).fetchall()
    return None if not rows else (int(rows[0][0]), rows[0][1], int(rows[0][2]))


def load_transactions(
    path: str | Path,
    *,
    member_col: str = "member_id",
    date_col: str = "date",
    amount_col: str = "amount",
    order_col: str | None = None,
    channel_col: str | None = None,
    store_col: str | None = None,
    points_earned_col: str | None = None,
    points_redeemed_col: str | None = None,
    refunds: Refunds = "error",
    members: str | Path | None = None,
    member_id_col: str = "member_id",
    engine: Engine = "duckdb",
) -> Transactions:
    """Read and check a transactions file (and optionally a members file).

    Parameters
    ----------
    path : str or Path
        CSV/TXT/TSV, Parquet, XLSX, SPSS ``.sav`` or Stata ``.dta``. CSV and
        Parquet are read by DuckDB directly (fast on large files); the others
        through :func:`workbench.intake.data.read_table`.
    member_col, date_col, amount_col : str, keyword-only
        Names of the member id, date and amount columns in the file.
    order_col, channel_col, store_col, points_earned_col, points_redeemed_col : str, optional
        Names of optional columns; renamed to ``order_id``, ``channel``,
        ``store``, ``points_earned`` and ``points_redeemed``.
    refunds : {"error", "net", "drop"}, keyword-only
        What to do with negative amounts. ``"error"`` (default) raises;
        ``"net"`` keeps them as negative rows, so revenue nets them against
        purchases while they never count as purchases (nor make a member
        active); ``"drop"`` removes them (revenue is then gross).
    members : str or Path, optional
        A members file with ``member_id_col`` and, if present, ``join_date``
        (parsed like the dates) and ``tier``; other columns are kept.
    member_id_col : str, keyword-only
        The member id column of the members file.
    engine : {"duckdb", "spark"}, keyword-only
        Backend of the returned tables. The checks always run in DuckDB; with
        ``"spark"`` the checked tables are then handed to a Spark session.

    Returns
    -------
    Transactions

    Raises
    ------
    InputError
        Each names the file, column, first offending 1-based data row (header
        excluded) and value, and what to do: file not found; a mapped column
        missing (close names suggested); a missing member id, date or amount;
        an unparseable date (ISO dates, ``YYYYMMDD`` and ISO date-times are
        accepted); a non-numeric amount or points value; a negative amount with
        ``refunds="error"``; a duplicate order id among the purchases (refund
        rows may repeat the order id they refund); transactions of members
        absent from the members file (the first is named and all are counted);
        duplicate member ids in the members file.
    ValueError
        An invalid ``refunds`` or ``engine``.

    Notes
    -----
    Member ids are kept as text (``"007"`` stays ``"007"``). The file is only
    read; its SHA-256 is recorded.

    Examples
    --------
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> tx.n_rows, tx.n_members
    (9, 4)
    """
    check_choice("refunds", refunds, REFUND_POLICIES)
    check_choice("engine", engine, ENGINES)
    path = Path(path)
    file = str(path)
    if not path.is_file():  # missing, a folder, or a pipe/device that would be read forever
        raise InputError(
            "Transactions file not found.", file=file, hint="Check the path given with --data."
        )
    if path.stat().st_size == 0:
        raise InputError(
            "The transactions file is empty (0 bytes).",
            file=file,
            hint="Export the transactions again; the file should start with a header row "
            f"naming at least the member ({member_col}), date ({date_col}) and amount "
            f"({amount_col}) columns.",
        )
    con = ibis.duckdb.connect()
    columns = _read_raw(con, path, "_wb_raw")
    given = {
        "member_id": member_col,
        "date": date_col,
        "amount": amount_col,
        "order_id": order_col,
        "channel": channel_col,
        "store": store_col,
        "points_earned": points_earned_col,
        "points_redeemed": points_redeemed_col,
    }
    mapping = {k: v for k, v in given.items() if v is not None}
    for std, col in mapping.items():
        if col not in columns:
            raise InputError(
                f"The {std} column '{col}' is not in the transactions file.",
                file=file,
                column=col,
                hint=f"{_suggest(col, columns)}Pass {std.replace('_id', '')}_col= "
                f"with one of: {', '.join(columns)}.",
            )

    exprs = {
        "member_id": _text_sql(con, "_wb_raw", member_col),
        "date": _date_sql(con, "_wb_raw", date_col),
        "amount": _number_sql(con, "_wb_raw", amount_col),
    }
    for std in ("order_id", "channel", "store"):
        if std in mapping:
            exprs[std] = _text_sql(con, "_wb_raw", mapping[std])
    for std in _NUMBER_COLUMNS:
        if std in mapping:
            exprs[std] = _number_sql(con, "_wb_raw", mapping[std])
    select = ", ".join(f"{sql} AS {_quote(std)}" for std, sql in exprs.items())
    con.con.execute(
        f"CREATE OR REPLACE TABLE _wb_parsed AS SELECT rowid + 1 AS _row, {select} FROM _wb_raw"
    )

    def check(condition: str, std: str, problem: str, hint: str, raw: str = "TRUE") -> None:
        # Parsed rows failing ``condition``, with the file's value (``r``) for the message.
        col = f"r.{_quote(mapping[std])}"
        bad = _first_bad(
            con,
            f"SELECT p._row, CAST({col} AS VARCHAR) AS _value FROM "
            f"(SELECT _row FROM _wb_parsed WHERE {condition}) p "
            f"JOIN _wb_raw r ON r.rowid + 1 = p._row WHERE {raw.format(col=col)}",
        )
        if bad is not None:
            row, value, count = bad
            raise InputError(
                problem.format(count=count),
                file=file,
                column=mapping[std],
                row=row,
                value=value,
                hint=hint,
            )

    for std in ("member_id", "date", "amount"):
        empty = " OR member_id = ''" if std == "member_id" else ""
        check(
            f"{_quote(std)} IS NULL{empty}",
            std,
            f"{{count}} row(s) have no {std.replace('_', ' ')}.",
            f"Fill in the {std.replace('_', ' ')} of every transaction or remove those rows.",
            raw="{col} IS NULL OR trim(CAST({col} AS VARCHAR)) = ''",
        )
    # ids written both as whole numbers and with a decimal part (606 and 606.0, from an export
    # that turned some cells into floats) would count one member twice
    both_forms = con.con.execute(
        "SELECT count(*) FILTER (WHERE regexp_full_match(member_id, '[0-9]+')) > 0 AND "
        "count(*) FILTER (WHERE regexp_full_match(member_id, '[0-9]+\\.0+')) > 0 FROM _wb_parsed"
    ).fetchall()[0][0]
    if both_forms:
        check(
            "regexp_full_match(member_id, '[0-9]+\\.0+')",
            "member_id",
            "{count} member id(s) are written with a decimal part (e.g. 606.0) while others are "
            "whole numbers (606): the same member would count twice.",
            "Write every id the same way (export the id column as text or as whole numbers).",
        )
    check(
        "date IS NULL",
        "date",
        "{count} date(s) could not be read as dates.",
        "Write dates as YYYY-MM-DD (or YYYYMMDD, or an ISO date-time such as "
        "1997-01-01 10:30:00); day/month orders like 01/02/1997 are ambiguous.",
    )
    check(
        "NOT isfinite(date)",
        "date",
        "{count} date(s) are infinite.",
        "Replace 'infinity' placeholders with the real date, or remove those rows.",
    )
    check(
        "date > current_date",
        "date",
        f"{{count}} transaction(s) are dated after today ({dt.date.today().isoformat()}).",
        "Correct those dates or remove the rows: the observation window ends at the last "
        "transaction date, so a future date would shift recency, churn and CLV for everyone.",
    )
    check(
        "amount IS NULL",
        "amount",
        "{count} amount(s) are not numbers.",
        "Amounts must be plain numbers with a decimal point and no currency sign "
        "or thousands separator (12.50, not '$12.50' or '1,250.00').",
    )
    check(
        "NOT isfinite(amount)",
        "amount",
        "{count} amount(s) are not finite numbers (inf or nan).",
        "Replace them with the real amounts, or remove those rows.",
    )
    for std in _NUMBER_COLUMNS:
        if std in mapping:
            check(
                f"{_quote(std)} IS NULL",
                std,
                f"{{count}} {std.replace('_', ' ')} value(s) are not numbers.",
                "Points must be plain numbers (empty cells are allowed).",
                raw="{col} IS NOT NULL",
            )
            check(
                f"NOT isfinite({_quote(std)})",
                std,
                f"{{count}} {std.replace('_', ' ')} value(s) are not finite (inf or nan).",
                "Replace them with the real points, or remove those rows.",
            )
    n_refund, refund_amount, refund_members = con.con.execute(
        "SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT member_id) "
        "FROM _wb_parsed WHERE amount < 0"
    ).fetchall()[0]
    if refunds == "error":
        check(
            "amount < 0",
            "amount",
            "{count} negative amount(s) (refunds or returns) found.",
            "Declare how to treat refunds: pass refunds='net' to net them against "
            "purchases (kept as negative rows: revenue nets out and they do not count "
            "as purchases) or refunds='drop' to remove them.",
        )
    n_parsed = con.con.execute("SELECT count(*) FROM _wb_parsed").fetchall()[0][0]
    if n_refund and n_refund == n_parsed:
        raise InputError(
            f"Every one of the {n_parsed} transaction(s) has a negative amount (refunds or "
            "returns): there is no purchase to analyse.",
            file=file,
            column=mapping["amount"],
            hint="Check the sign of the amount column (a refunds-only export?), or give "
            "the file that holds the purchases.",
        )
    if "order_id" in mapping:
        bad = _first_bad(
            con,
            "SELECT _row, order_id AS _value FROM (SELECT _row, order_id, row_number() OVER "
            "(PARTITION BY order_id ORDER BY _row) AS _k FROM _wb_parsed "
            "WHERE amount >= 0 AND order_id IS NOT NULL) WHERE _k > 1",
        )
        if bad is not None:
            raise InputError(
                f"{bad[2]} purchase row(s) repeat an order id already used by an earlier purchase.",
                file=file,
                column=mapping["order_id"],
                row=bad[0],
                value=bad[1],
                hint="Give every order one row (sum its lines first), or do not map "
                "order_col (then every row counts as a purchase).",
            )
    members_path = members_sha = None
    has_members = False
    if members is not None:
        _load_members(con, Path(members), member_id_col, file)
        has_members = True
        members_path, members_sha = str(members), file_sha256(members)
    keep = "amount >= 0" if refunds == "drop" else "TRUE"
    cols = ", ".join(_quote(c) for c in exprs)
    # No ORDER BY: DuckDB keeps insertion (file) order; sorting 10^7 rows costs seconds.
    con.con.execute(
        f"CREATE OR REPLACE TABLE transactions AS SELECT {cols} FROM _wb_parsed WHERE {keep}"
    )
    con.con.execute("DROP TABLE _wb_parsed")
    con.con.execute("DROP TABLE _wb_raw")
    n_rows, n_members, first_date, last_date = con.con.execute(
        "SELECT count(*), count(DISTINCT member_id), min(date), max(date) FROM transactions"
    ).fetchall()[0]
    if n_rows == 0:
        raise InputError(
            "The transactions file has no transactions.", file=file, hint="Check the export."
        )
    warnings: list[str] = []
    refunds_report = {
        "policy": refunds,
        "rows": int(n_refund),
        "amount": float(refund_amount),
        "members": int(refund_members),
    }
    if n_refund and refunds == "net":
        warnings.append(
            f"{n_refund} refund row(s) totalling {refund_amount:.2f} were netted against "
            "revenue (they are not counted as purchases)."
        )
    if n_refund and refunds == "drop":
        warnings.append(
            f"{n_refund} refund row(s) totalling {refund_amount:.2f} were dropped; "
            "revenue is gross of refunds."
        )

    backend: Any = con
    table = con.table("transactions")
    members_table = con.table("members") if has_members else None
    if engine == "spark":
        backend = connect("spark")
        table = _to_spark(backend, table, "transactions")
        if members_table is not None:
            members_table = _to_spark(backend, members_table, "members")
    return Transactions(
        table=table,
        members=members_table,
        path=file,
        sha256=file_sha256(path),
        n_rows=int(n_rows),
        n_members=int(n_members),
        first_date=first_date,
        last_date=last_date,
        refunds_report=refunds_report,
        backend=backend,
        columns=tuple(exprs),
        members_path=members_path,
        members_sha256=members_sha,
        warning_messages=tuple(warnings),
    )


_SPARK_VIEWS = itertools.count()


def _to_spark(backend: Any, table: Any, name: str) -> Any:
    """Hand a checked DuckDB table to Spark as a temporary view."""
    view = f"wb_{name}_{next(_SPARK_VIEWS)}"
    frame = backend._session.createDataFrame(table.to_pyarrow())
    frame.createOrReplaceTempView(view)
    return backend.table(view)


def _load_members(con: Any, path: Path, id_col: str, tx_file: str) -> None:
    file = str(path)
    if not path.exists() or path.is_dir():
        raise InputError("Members file not found.", file=file, hint="Check the members path.")
    columns = _read_raw(con, path, "_wb_mraw")
    if id_col not in columns:
        raise InputError(
            f"The member id column '{id_col}' is not in the members file.",
            file=file,
            column=id_col,
            hint=f"{_suggest(id_col, columns)}Pass member_id_col= with one of: {', '.join(columns)}.",
        )
    others = [c for c in columns if c != id_col and c not in ("member_id", "join_date")]
    parts = ["rowid + 1 AS _row", f"{_text_sql(con, '_wb_mraw', id_col)} AS member_id"]
    if "join_date" in columns:
        parts += [
            f"{_date_sql(con, '_wb_mraw', 'join_date')} AS join_date",
            "join_date AS _raw_join_date",
        ]
    for c in others:
        if c == "tier":
            parts.append(f"{_text_sql(con, '_wb_mraw', c)} AS tier")
        elif (
            _column_type(con, "_wb_mraw", c) == "VARCHAR"
            and con.con.execute(
                f"SELECT count({_quote(c)}) = count(try_cast({_quote(c)} AS DOUBLE)) FROM _wb_mraw"
            ).fetchall()[0][0]
        ):
            parts.append(f"CAST({_quote(c)} AS DOUBLE) AS {_quote(c)}")  # numeric text
        else:
            parts.append(_quote(c))
    con.con.execute(
        f"CREATE OR REPLACE TABLE _wb_members AS SELECT {', '.join(parts)} FROM _wb_mraw"
    )
    db = con.con
    bad = db.execute(
        "SELECT _row, count(*) OVER () FROM _wb_members WHERE member_id IS NULL ORDER BY _row LIMIT 1"
    ).fetchall()
    if bad:
        raise InputError(
            f"{bad[0][1]} row(s) of the members file have no member id.",
            file=file,
            column=id_col,
            row=int(bad[0][0]),
            hint="Fill in every member id or remove those rows.",
        )
    bad = db.execute(
        "SELECT _row, member_id, count(*) OVER () FROM (SELECT _row, member_id, row_number() "
        "OVER (PARTITION BY member_id ORDER BY _row) AS k FROM _wb_members) WHERE k > 1 "
        "ORDER BY _row LIMIT 1"
    ).fetchall()
    if bad:
        raise InputError(
            f"{bad[0][2]} member id(s) appear more than once in the members file.",
            file=file,
            column=id_col,
            row=int(bad[0][0]),
            value=bad[0][1],
            hint="Keep one row per member (put tier changes in a separate tier history).",
        )
    if "join_date" in columns:
        bad = db.execute(
            "SELECT _row, CAST(_raw_join_date AS VARCHAR), count(*) OVER () FROM _wb_members "
            "WHERE join_date IS NULL AND _raw_join_date IS NOT NULL ORDER BY _row LIMIT 1"
        ).fetchall()
        if bad:
            raise InputError(
                f"{bad[0][2]} join date(s) could not be read as dates.",
                file=file,
                column="join_date",
                row=int(bad[0][0]),
                value=bad[0][1],
                hint="Write dates as YYYY-MM-DD (or YYYYMMDD, or an ISO date-time).",
            )
        bad = db.execute(
            "SELECT _row, CAST(join_date AS VARCHAR), count(*) OVER () FROM _wb_members "
            "WHERE join_date > current_date OR NOT isfinite(join_date) ORDER BY _row LIMIT 1"
        ).fetchall()
        if bad:
            raise InputError(
                f"{bad[0][2]} join date(s) lie after today ({dt.date.today().isoformat()}) "
                "or are infinite.",
                file=file,
                column="join_date",
                row=int(bad[0][0]),
                value=bad[0][1],
                hint="Correct those dates: a member cannot join in the future, and new-member "
                "counts and cohorts would count them in periods that have not happened.",
            )
    bad = db.execute(
        "SELECT t._row, t.member_id, count(DISTINCT t.member_id) OVER () FROM "
        "(SELECT _row, member_id FROM _wb_parsed) t "
        "ANTI JOIN _wb_members m ON t.member_id = m.member_id ORDER BY t._row LIMIT 1"
    ).fetchall()
    if bad:
        raise InputError(
            f"{bad[0][2]} member(s) in the transactions are absent from the members file "
            f"'{file}' (the first is {bad[0][1]!r}).",
            file=tx_file,
            column="member_id",
            row=int(bad[0][0]),
            value=bad[0][1],
            hint="Add those members to the members file, or check that both files use the "
            "same member ids (leading zeros, spaces).",
        )
    keep = ["member_id"] + (["join_date"] if "join_date" in columns else []) + others
    db.execute(
        f"CREATE OR REPLACE TABLE members AS SELECT {', '.join(map(_quote, keep))} "
        "FROM _wb_members ORDER BY _row"
    )
    db.execute("DROP TABLE _wb_members")
    db.execute("DROP TABLE _wb_mraw")


# --------------------------------------------------------------------------- periods


def _period_index(date: Any, period: str) -> Any:
    """Integer index of the period containing ``date`` (consecutive periods differ by 1)."""
    if period == "month":
        return date.year() * 12 + date.month() - 1
    if period == "quarter":
        return date.year() * 4 + date.quarter() - 1
    if period == "year":
        return date.year()
    # ISO weeks starting Monday; 1970-01-01 was a Thursday.
    return ((date.epoch_days() + 3) / 7).floor().cast("int64")


def _period_start(index: Any, period: str) -> Any:
    """Start date(s) of integer period index(es) (numpy array or scalar)."""
    idx = np.asarray(index, dtype="int64")
    if period == "week":
        out = _WEEK0 + pd.to_timedelta(idx * 7, unit="D")
    else:
        per_year = {"month": 12, "quarter": 4, "year": 1}[period]
        months = 12 // per_year
        years, rest = np.divmod(idx, per_year)
        out = pd.to_datetime(pd.DataFrame({"year": years, "month": rest * months + 1, "day": 1}))
    return pd.DatetimeIndex(out).astype("datetime64[s]")


def _table(tx: Any) -> Any:
    return tx.table if isinstance(tx, Transactions) else tx


def _members(tx: Any, members: Any) -> Any:
    """The members table: ``members`` if given, else ``tx.members`` for Transactions."""
    if members is None:
        return tx.members if isinstance(tx, Transactions) else None
    if isinstance(members, Transactions):
        return members.members
    if isinstance(members, pd.DataFrame):
        return ibis.memtable(members)
    return members


def _purchases(t: Any) -> Any:
    """Aggregate expression: number of purchases (distinct orders, or rows)."""
    is_purchase = t.amount >= 0
    if "order_id" in t.columns:
        return ibis.ifelse(is_purchase, t.order_id, ibis.null()).nunique()
    return is_purchase.cast("int64").sum()


def _member_periods(t: Any, period: str, *, counts: bool = True) -> Any:
    """One row per member and period with a purchase, with lag/lead active periods.

    With ``counts``, column ``n`` holds the member's purchases in the period.
    """
    t = t.mutate(p=_period_index(t.date, period))
    pt = t.filter(t.amount >= 0)
    if counts:
        mp = pt.group_by(["member_id", "p"]).aggregate(n=_purchases(pt))
    else:
        mp = pt.select("member_id", "p").distinct()
    w = ibis.window(group_by="member_id", order_by="p")
    return mp.mutate(prev_p=mp.p.lag().over(w), next_p=mp.p.lead().over(w))


def _safe_div(a: Any, b: Any) -> np.ndarray:
    """``a / b`` as float, missing where ``b`` is 0 or missing."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))


# --------------------------------------------------------------------------- KPI panel


def kpi_panel(
    tx: Any,
    *,
    period: Period = "month",
    inactivity_periods: int = 3,
    members: Any = None,
) -> pd.DataFrame:
    """Loyalty KPIs per period: activity, retention, churn, frequency, spend, points.

    Parameters
    ----------
    tx : ibis.Table or Transactions
        Transactions with the standard columns (see the module docstring).
    period : {"month", "quarter", "week", "year"}, keyword-only
        Calendar period; weeks start on Monday.
    inactivity_periods : int, keyword-only
        The churn window ``k`` in periods (>= 1).
    members : ibis.Table, optional
        Members with ``member_id`` and ``join_date``; when given, new members
        are counted by join date instead of first purchase.

    Returns
    -------
    pandas.DataFrame
        One row per period from the first to the last transaction period
        (periods without purchases included, with zero counts), columns:

        - ``period`` (start date), ``active``: members with >= 1 purchase;
        - ``new``: members whose first purchase (or join date) falls in the period;
        - ``members_total``: members seen up to the end of the period (first
          purchase or join date);
        - ``member_growth_rate``: ``new / members_total`` of the previous period;
        - ``retained``, ``retention_rate``: members active both in the period and
          the previous one, over the previous period's active members;
        - ``churn_base``, ``churned``, ``churn_rate`` (see Notes);
        - ``repeaters``, ``repeat_purchase_rate``: active members with >= 2
          purchases in the period, over ``active``;
        - ``purchases``, ``frequency`` (purchases per active member);
        - ``gross_revenue`` (purchases), ``refunds`` (negative rows, <= 0),
          ``revenue`` (net: gross + refunds), ``aov`` (gross revenue per purchase),
          ``revenue_per_active``;
        - ``points_earned``, ``points_redeemed``, ``redemption_rate`` (redeemed /
          earned) when those columns exist.

    Notes
    -----
    Let :math:`A_p` be the members with a purchase in period :math:`p` and
    :math:`k` = ``inactivity_periods``. With :math:`W_p = A_{p-k+1} \\cup \\dots
    \\cup A_p` (active at some time in the :math:`k` periods ending at
    :math:`p`):

    .. math::

        \\text{retention}_p = |A_p \\cap A_{p-1}| / |A_{p-1}|, \\qquad
        \\text{churn}_p = |W_{p-k} \\setminus W_p| / |W_{p-k}|

    i.e. churn rate is the share of the members active in the ``k`` periods
    before the current window who made no purchase in the ``k`` periods ending
    with this one. It is missing for the first ``2k - 1`` periods (the earlier
    window is not fully observed). With ``k = 1`` it equals ``1 - retention``.

    Repeat-purchase rate is period-local: the share of active members with at
    least two purchases in the same period (so it does not depend on how much
    history precedes the period). Purchases are distinct order ids when an
    ``order_id`` column exists, otherwise rows; refund rows are never purchases.
    Refunds are dated when they happen.

    References
    ----------
    Kumar, V., & Reinartz, W. (2018). *Customer Relationship Management*
    (3rd ed.), ch. 6 (customer-based metrics). Springer.

    Examples
    --------
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> kpi_panel(tx.table, inactivity_periods=1)[["period", "active", "new", "revenue"]]
          period  active  new  revenue
    0 2024-01-01       3    3     60.0
    1 2024-02-01       2    0     50.0
    2 2024-03-01       0    0      0.0
    3 2024-04-01       3    1     75.0
    """
    check_choice("period", period, PERIODS)
    if not isinstance(inactivity_periods, (int, np.integer)) or inactivity_periods < 1:
        raise ValueError(
            f"inactivity_periods must be a positive integer, got {inactivity_periods!r}."
        )
    k = int(inactivity_periods)
    members = _members(tx, members) if members is not None else None
    if members is not None and "join_date" not in members.columns:
        raise ValueError("members must have a 'join_date' column to count new members by it.")
    t = _table(tx)
    tp = t.mutate(p=_period_index(t.date, period))
    purchase = tp.amount >= 0
    aggs: dict[str, Any] = {
        "gross_revenue": ibis.ifelse(purchase, tp.amount, 0.0).sum(),
        "refunds": ibis.ifelse(purchase, 0.0, tp.amount).sum(),
    }
    for col in _NUMBER_COLUMNS:
        if col in t.columns:
            aggs[col] = tp[col].sum()
    per = tp.group_by("p").aggregate(**aggs).to_pandas().set_index("p")

    mp = _member_periods(t, period)
    # Transitions (q, next active period) with counts: small (at most P^2 rows).
    trans = (
        mp.group_by(["p", "next_p"])
        .aggregate(
            members=mp.count(),
            purchases=mp.n.sum(),
            repeaters=(mp.n >= 2).cast("int64").sum(),
            first=mp.prev_p.isnull().cast("int64").sum(),
        )
        .to_pandas()
    )
    lo, hi = int(per.index.min()), int(per.index.max())
    if members is not None and "join_date" in members.columns:
        mj = members.filter(members.join_date.notnull())
        joins = (
            mj.mutate(p=_period_index(mj.join_date, period))
            .group_by("p")
            .aggregate(new=ibis._.count())
            .to_pandas()
            .set_index("p")["new"]
        )
        before = int(joins[joins.index < lo].sum())
        new = joins.reindex(range(lo, hi + 1), fill_value=0).astype("int64")
        # Members who bought before their recorded join date still count once.
        base0 = before
    else:
        new = trans.groupby("p")["first"].sum().reindex(range(lo, hi + 1), fill_value=0)
        base0 = 0
    idx = np.arange(lo, hi + 1)
    out = pd.DataFrame(index=idx)
    out["period"] = _period_start(idx, period)
    out["active"] = trans.groupby("p")["members"].sum().reindex(idx, fill_value=0)
    out["new"] = new.to_numpy().astype("int64")
    out["members_total"] = base0 + out["new"].cumsum()
    prev_total = out["members_total"].shift(1).fillna(base0)
    out["member_growth_rate"] = _safe_div(out["new"], prev_total)
    nxt = trans["next_p"].astype("float64")
    consecutive = trans[nxt == trans["p"] + 1].groupby("p")["members"].sum()
    out["retained"] = consecutive.reindex(idx - 1, fill_value=0).to_numpy()
    prev_active = out["active"].shift(1)
    out["retention_rate"] = _safe_div(out["retained"], prev_active)
    out.loc[idx[0], "retained"] = 0
    # Churn: a member is in W_{p-k} \ W_p iff their last active period q in the
    # earlier window [p-2k+1, p-k] is followed by no purchase up to p.
    q = trans["p"].to_numpy()
    nq = nxt.fillna(np.inf).to_numpy()
    cnt = trans["members"].to_numpy()
    base = np.zeros(len(idx), dtype="int64")
    churned = np.zeros(len(idx), dtype="int64")
    for i, p in enumerate(idx):
        in_window = (q >= p - 2 * k + 1) & (q <= p - k) & (nq > p - k)
        base[i] = cnt[in_window].sum()
        churned[i] = cnt[in_window & (nq > p)].sum()
    observed = idx - 2 * k + 1 >= lo
    out["churn_base"] = np.where(observed, base, 0)
    out["churned"] = np.where(observed, churned, 0)
    out["churn_rate"] = np.where(observed, _safe_div(churned, base), np.nan)
    out["repeaters"] = trans.groupby("p")["repeaters"].sum().reindex(idx, fill_value=0)
    out["repeat_purchase_rate"] = _safe_div(out["repeaters"], out["active"])
    per = per.reindex(idx)
    # Summed over members: an order id belongs to one member.
    out["purchases"] = trans.groupby("p")["purchases"].sum().reindex(idx, fill_value=0)
    out["purchases"] = out["purchases"].astype("int64")
    out["frequency"] = _safe_div(out["purchases"], out["active"])
    out["gross_revenue"] = per["gross_revenue"].fillna(0.0).astype("float64")
    out["refunds"] = per["refunds"].fillna(0.0).astype("float64")
    out["revenue"] = out["gross_revenue"] + out["refunds"]
    out["aov"] = _safe_div(out["gross_revenue"], out["purchases"])
    out["revenue_per_active"] = _safe_div(out["revenue"], out["active"])
    for col in _NUMBER_COLUMNS:
        if col in per.columns:
            out[col] = per[col].fillna(0.0).astype("float64")
    if "points_earned" in out and "points_redeemed" in out:
        out["redemption_rate"] = _safe_div(out["points_redeemed"], out["points_earned"])
    for col in ("active", "new", "members_total", "retained", "repeaters"):
        out[col] = out[col].astype("int64")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- cohorts


def cohort_retention(
    tx: Any,
    *,
    period: Period = "month",
    by: Literal["first_purchase", "join"] = "first_purchase",
    members: Any = None,
    max_periods: int | None = None,
    shape: Literal["wide", "long"] = "wide",
) -> pd.DataFrame:
    """Share of each cohort active ``k`` periods after the cohort's start.

    Parameters
    ----------
    tx : ibis.Table or Transactions
        Transactions with the standard columns.
    period : {"month", "quarter", "week", "year"}, keyword-only
    by : {"first_purchase", "join"}, keyword-only
        Cohort = period of a member's first purchase, or of their join date
        (needs ``members`` with ``join_date``).
    members : ibis.Table, optional
        Members with ``member_id`` and ``join_date`` (for ``by="join"``).
    max_periods : int, optional
        Keep ``k = 0 .. max_periods``.
    shape : {"wide", "long"}, keyword-only
        ``"wide"``: one row per cohort (index ``cohort``, its start date),
        columns ``cohort_size`` and ``0, 1, ...`` (shares). ``"long"``: columns
        ``cohort``, ``k``, ``period``, ``cohort_size``, ``active``, ``share``.

    Returns
    -------
    pandas.DataFrame
        Shares are ``active / cohort_size``; cells after the last observed
        period are missing (not zero); observed periods without activity are 0.

    Notes
    -----
    :math:`\\text{share}_{c,k} = |\\{i \\in C_c : i \\in A_{c+k}\\}| / |C_c|` with
    :math:`A_p` the members with a purchase in period :math:`p`. With
    ``by="first_purchase"`` the share at ``k = 0`` is 1 by construction; with
    ``by="join"`` it is the share who bought in their join period, every
    member of the members file with a join date belongs to a cohort (buyers or
    not), and purchases before the join period (``k < 0``) are ignored.

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: The perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93 (cohort retention curves).

    Examples
    --------
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> c = cohort_retention(tx.table)
    >>> c["cohort_size"].tolist(), c.iloc[0, 1:].round(3).tolist()
    ([3, 1], [1.0, 0.667, 0.0, 0.667])
    """
    check_choice("period", period, PERIODS)
    check_choice("by", by, COHORT_BY)
    check_choice("shape", shape, SHAPES)
    t = _table(tx)
    t = t.mutate(p=_period_index(t.date, period))
    mp = t.filter(t.amount >= 0).select("member_id", "p").distinct()
    last = int(t.aggregate(hi=t.p.max()).to_pandas()["hi"].iloc[0])
    if by == "join":
        members = _members(tx, members)
        if members is None or "join_date" not in members.columns:
            raise ValueError("by='join' needs members with a 'join_date' column.")
        mj = members.filter(members.join_date.notnull())
        coh = mj.select("member_id", c=_period_index(mj.join_date, period))
    else:
        coh = mp.group_by("member_id").aggregate(c=mp.p.min())
    j = mp.join(coh, "member_id")
    j = j.mutate(k=j.p - j.c)
    j = j.filter(j.k >= 0)
    counts = j.group_by(["c", "k"]).aggregate(active=ibis._.count()).to_pandas()
    if by == "join":
        sizes = coh.group_by("c").aggregate(cohort_size=ibis._.count()).to_pandas()
    else:
        sizes = counts.loc[counts["k"] == 0, ["c", "active"]].rename(
            columns={"active": "cohort_size"}
        )
    sizes = sizes.sort_values("c")
    kmax = int(last - sizes["c"].min()) if len(sizes) else 0
    if max_periods is not None:
        kmax = min(kmax, int(max_periods))
    grid = pd.MultiIndex.from_product([sizes["c"].to_numpy(), range(kmax + 1)], names=["c", "k"])
    long = (
        counts.set_index(["c", "k"])["active"]
        .reindex(grid, fill_value=0)
        .reset_index()
        .merge(sizes, on="c")
    )
    long = long[long["c"] + long["k"] <= max(last, int(sizes["c"].max()))].copy()
    observed = long["c"] + long["k"] <= last
    long["active"] = long["active"].astype("int64")
    long["share"] = np.where(observed, _safe_div(long["active"], long["cohort_size"]), np.nan)
    long["cohort"] = _period_start(long["c"].to_numpy(), period)
    long["period"] = _period_start((long["c"] + long["k"]).to_numpy(), period)
    long["k"] = long["k"].astype("int64")
    long["cohort_size"] = long["cohort_size"].astype("int64")
    long = long[["cohort", "k", "period", "cohort_size", "active", "share"]]
    long = long.sort_values(["cohort", "k"]).reset_index(drop=True)
    if shape == "long":
        return long
    wide = long.pivot(index="cohort", columns="k", values="share")
    wide.columns = list(wide.columns)
    wide.insert(0, "cohort_size", long.groupby("cohort")["cohort_size"].first())
    return wide


# --------------------------------------------------------------------------- RFM


def rfm_scores(tx: Any, *, asof: Any = None, bins: int = 5) -> pd.DataFrame:
    """Recency, frequency and monetary value per member, with tie-stable scores.

    Parameters
    ----------
    tx : ibis.Table or Transactions
        Transactions with the standard columns.
    asof : date-like, optional
        The reference date; transactions after it are ignored. Default: the
        last transaction date.
    bins : int, keyword-only
        Number of score levels (5: quintiles).

    Returns
    -------
    pandas.DataFrame
        One row per member with a purchase up to ``asof``, sorted by
        ``member_id``: ``member_id``, ``first_purchase``, ``last_purchase``,
        ``recency_days`` (``asof`` minus last purchase date; 0 = bought on
        ``asof``), ``frequency`` (purchases), ``monetary`` (net spend up to
        ``asof``), ``aov`` (gross spend per purchase), ``r_score``, ``f_score``,
        ``m_score`` (1 = worst .. ``bins`` = best), ``rfm`` (e.g. ``"543"``).

    Notes
    -----
    Scores are tie-stable ntiles of the *minimum* rank: for a value :math:`x`
    among :math:`n` members,

    .. math:: \\text{score}(x) = \\lfloor b \\cdot \\#\\{j : x_j < x\\} / n \\rfloor + 1,

    with :math:`x` = ``frequency`` or ``monetary``, and :math:`x` = ``-recency``
    for R (recent is better). Equal values always get the same score and the
    result does not depend on row order (unlike ranking with
    ``method="first"`` or SQL ``NTILE``, which split ties arbitrarily). The
    price is that score groups need not be equal-sized and some scores may be
    unused: if 60% of members bought once, they all get F = 1 and the next
    frequency starts at F = 4. The same rule is pandas
    ``rank(method="min")`` followed by binning.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Probus.
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430. R: ``rfm::rfm_table_order`` (which uses
    quantile breaks).

    Examples
    --------
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> rfm_scores(tx.table)[["member_id", "recency_days", "frequency", "rfm"]]
      member_id  recency_days  frequency  rfm
    0         A             0          4  343
    1         B            14          3  234
    2         C            91          1  111
    3         D             0          1  311
    """
    if not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}.")
    t = _table(tx)
    if asof is None:
        asof_date = t.aggregate(d=t.date.max()).to_pandas()["d"].iloc[0]
    else:
        asof_date = asof
    asof_date = pd.Timestamp(asof_date).date()
    t = t.filter(t.date <= ibis.literal(asof_date))
    purchase = t.amount >= 0
    m = t.group_by("member_id").aggregate(
        monetary=t.amount.sum(),
        gross=ibis.ifelse(purchase, t.amount, 0.0).sum(),
        last_purchase=ibis.ifelse(purchase, t.date, ibis.null()).max(),
        first_purchase=ibis.ifelse(purchase, t.date, ibis.null()).min(),
        frequency=_purchases(t),
    )
    m = m.filter(m.frequency > 0)  # members with refunds only have no RFM
    m = m.mutate(recency_days=ibis.literal(asof_date).delta(m.last_purchase, unit="day"))
    n = m.count()
    score = {}
    for name, order in (
        ("r_score", m.recency_days.desc()),
        ("f_score", m.frequency),
        ("m_score", m.monetary),
    ):
        rank0 = ibis.rank().over(order_by=order)
        score[name] = ((rank0 * bins) / n.as_scalar()).floor().cast("int64") + 1
    m = m.mutate(**score)
    out = m.to_pandas().sort_values("member_id").reset_index(drop=True)
    out["aov"] = _safe_div(out["gross"], out["frequency"])
    out["recency_days"] = out["recency_days"].astype("int64")
    out["frequency"] = out["frequency"].astype("int64")
    for col in ("r_score", "f_score", "m_score"):
        out[col] = out[col].astype("int64")
    out["rfm"] = (
        out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    )
    for col in ("first_purchase", "last_purchase"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[s]")
    cols = [
        "member_id",
        "first_purchase",
        "last_purchase",
        "recency_days",
        "frequency",
        "monetary",
        "aov",
        "r_score",
        "f_score",
        "m_score",
        "rfm",
    ]
    return out[cols]


#: The R x F grid of named segments: (segment, (r_min, r_max), (f_min, f_max), description).
#: Disjoint and covering every cell of the 5 x 5 grid.
DEFAULT_SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int], str], ...] = (
    ("champions", (5, 5), (4, 5), "Bought recently, buy often."),
    ("loyal", (3, 4), (4, 5), "Buy often; fairly recent."),
    ("potential loyalists", (4, 5), (2, 3), "Recent, a few purchases."),
    ("new", (5, 5), (1, 1), "Bought very recently, for the first time."),
    ("promising", (4, 4), (1, 1), "Recent first-time buyers."),
    ("need attention", (3, 3), (3, 3), "Average recency and frequency."),
    ("about to sleep", (3, 3), (1, 2), "Average recency, few purchases."),
    ("at risk", (1, 2), (3, 4), "Bought often, but long ago."),
    ("can't lose them", (1, 2), (5, 5), "Bought most often, but long ago."),
    ("hibernating", (2, 2), (1, 2), "Long ago, few purchases."),
    ("lost", (1, 1), (1, 2), "Longest ago, fewest purchases."),
)


def segment_definitions(
    definitions: tuple[tuple[str, tuple[int, int], tuple[int, int], str], ...] = DEFAULT_SEGMENTS,
) -> pd.DataFrame:
    """The RFM segment definitions as a table (R and F score ranges).

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``r_min``, ``r_max``, ``f_min``, ``f_max``, ``description``.

    Notes
    -----
    The default grid is the widely used R x F segmentation (Putler's 11
    segments, as in the R package ``rfm``'s ``rfm_segment`` documentation),
    made disjoint and complete on scores 1..5: every (R, F) cell belongs to
    exactly one segment. M is reported but not used to assign segments.

    Examples
    --------
    >>> segment_definitions().iloc[0].to_dict()["segment"]
    'champions'
    """
    rows = [
        {"segment": s, "r_min": r[0], "r_max": r[1], "f_min": f[0], "f_max": f[1], "description": d}
        for s, r, f, d in definitions
    ]
    return pd.DataFrame(rows)


def rfm_segments(
    scores: pd.DataFrame,
    *,
    definitions: tuple[tuple[str, tuple[int, int], tuple[int, int], str], ...] = DEFAULT_SEGMENTS,
) -> pd.DataFrame:
    """Assign each member a named segment from their R and F scores.

    Parameters
    ----------
    scores : pandas.DataFrame
        The output of :func:`rfm_scores`.
    definitions : tuple, keyword-only
        ``(segment, (r_min, r_max), (f_min, f_max), description)`` rows; must
        not overlap. Cells no definition covers get ``"other"``.

    Returns
    -------
    pandas.DataFrame
        ``scores`` with a ``segment`` column (categorical, in definition order).

    Notes
    -----
    See :func:`segment_definitions` for the default grid and
    :func:`rfm_segment_summary` for sizes and value shares.

    Examples
    --------
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> rfm_segments(rfm_scores(tx.table))["segment"].tolist()
    ['loyal', 'at risk', 'lost', 'about to sleep']
    """
    missing = {"r_score", "f_score"} - set(scores.columns)
    if missing:
        raise ValueError(f"scores lacks {sorted(missing)}; pass the output of rfm_scores().")
    r = scores["r_score"].to_numpy()
    f = scores["f_score"].to_numpy()
    seg = np.full(len(scores), "other", dtype=object)
    taken = np.zeros(len(scores), dtype=bool)
    for name, (r0, r1), (f0, f1), _ in definitions:
        hit = (r >= r0) & (r <= r1) & (f >= f0) & (f <= f1)
        if (hit & taken).any():
            raise ValueError(f"Segment {name!r} overlaps an earlier segment definition.")
        seg[hit] = name
        taken |= hit
    names = [d[0] for d in definitions] + (["other"] if (~taken).any() else [])
    out = scores.copy()
    out["segment"] = pd.Categorical(seg, categories=names)
    return out


def rfm_segment_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """Size and value of each RFM segment.

    Parameters
    ----------
    segments : pandas.DataFrame
        The output of :func:`rfm_segments`.

    Returns
    -------
    pandas.DataFrame
        Index ``segment`` (all defined segments, empty ones with 0 members):
        ``members``, ``share`` (of members), ``revenue`` (sum of ``monetary``),
        ``revenue_share``, ``r_range``, ``f_range``, ``m_range`` (observed
        ``(min, max)`` of recency days, frequency and monetary; ``None`` when
        empty).

    Examples
    --------
    >>> tx = load_transactions("tests/fixtures/transactions_basic.csv")
    >>> rfm_segment_summary(rfm_segments(rfm_scores(tx.table))).loc["at risk", "members"]
    np.int64(1)
    """
    g = segments.groupby("segment", observed=False)
    out = pd.DataFrame(
        {
            "members": g.size().astype("int64"),
            "revenue": g["monetary"].sum().astype("float64"),
        }
    )
    out["share"] = _safe_div(out["members"], out["members"].sum())
    out["revenue_share"] = _safe_div(out["revenue"], out["revenue"].sum())

    def span(col: str, cast: Any) -> pd.Series:
        lo, hi = g[col].min(), g[col].max()
        pairs = [None if pd.isna(a) else (cast(a), cast(b)) for a, b in zip(lo, hi, strict=True)]
        return pd.Series(pairs, index=out.index, dtype=object)

    out["r_range"] = span("recency_days", int)
    out["f_range"] = span("frequency", int)
    out["m_range"] = span("monetary", float)
    out.index.name = "segment"
    return out[["members", "share", "revenue", "revenue_share", "r_range", "f_range", "m_range"]]


# --------------------------------------------------------------------------- tiers


def read_tier_history(path: str | Path) -> pd.DataFrame:
    """Read a tier-history file (``member_id``, ``date``, ``tier``), checked cell by cell.

    Any format :func:`workbench.intake.data.read_table` reads. Member ids are text (as in
    the transaction log; ids read as whole numbers keep their integer spelling), dates
    are ISO dates, and no date may lie after today.

    Raises
    ------
    InputError
        The file is missing or unreadable, lacks one of the three columns, or has a
        missing id or tier, an unreadable or future date (naming the data row).
    """
    file = str(path)
    frame = read_table(path).frame
    missing = [c for c in ("member_id", "date", "tier") if c not in frame.columns]
    if missing:
        raise InputError(
            f"The tier history has no column(s) {', '.join(repr(c) for c in missing)}.",
            file=file,
            column=missing[0],
            hint="It needs member_id, date (the day the tier takes effect) and tier; its "
            "columns: " + ", ".join(map(str, frame.columns)) + ".",
        )
    ids = frame["member_id"]
    ids = ids_as_text(ids).str.strip()
    dates = pd.to_datetime(
        frame["date"].astype("string").str.strip(), errors="coerce", format="ISO8601"
    )
    tiers = frame["tier"].astype("string").str.strip()
    today = pd.Timestamp(dt.date.today())
    for col, bad, what in (
        ("member_id", ids.isna() | (ids == ""), "have no member id"),
        ("date", dates.isna(), "have a date that is not written YYYY-MM-DD"),
        ("date", dates > today, f"have a date after today ({today.date().isoformat()})"),
        ("tier", tiers.isna() | (tiers == ""), "have no tier"),
    ):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{int(bad.sum())} row(s) of the tier history {what}.",
                file=file,
                column=col,
                row=row + 1,
                value=None if pd.isna(frame[col].iloc[row]) else str(frame[col].iloc[row]),
                hint="Correct or remove those rows.",
            )
    return pd.DataFrame(
        {"member_id": ids.astype(str), "date": dates.dt.date, "tier": tiers.astype(str)}
    )


def _history(members_history: Any) -> Any:
    if isinstance(members_history, pd.DataFrame):
        frame = members_history.copy()
        missing = {"member_id", "date", "tier"} - set(frame.columns)
        if missing:
            raise ValueError(f"members_history lacks column(s) {sorted(missing)}.")
        frame["member_id"] = frame["member_id"].astype(str)
        frame["tier"] = frame["tier"].astype(str)
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
        return ibis.memtable(frame[["member_id", "date", "tier"]])
    missing = {"member_id", "date", "tier"} - set(members_history.columns)
    if missing:
        raise ValueError(f"members_history lacks column(s) {sorted(missing)}.")
    return members_history


def tier_mix(members_history: Any, *, period: Period = "month", end: Any = None) -> pd.DataFrame:
    """Members per tier at the end of each period.

    Parameters
    ----------
    members_history : ibis.Table or pandas.DataFrame
        Tier changes: ``member_id``, ``date`` (the day the tier takes effect),
        ``tier``. A member's first row is their entry tier; each later row a
        change. A members file with ``member_id``, ``join_date`` and ``tier``
        is a history with one row per member (rename ``join_date`` to ``date``).
        If a member has several rows on one date, the last by tier name wins.
    period : {"month", "quarter", "week", "year"}, keyword-only
    end : date-like, optional
        Last period shown; default: the period of the last change.

    Returns
    -------
    pandas.DataFrame
        Long form: ``period`` (start date), ``tier``, ``members`` (holding the
        tier at the period's end), ``share`` (of members with a tier then).

    Examples
    --------
    >>> h = pd.DataFrame({"member_id": ["a", "b", "a"], "tier": ["silver", "silver", "gold"],
    ...                   "date": ["2024-01-05", "2024-01-20", "2024-02-10"]})
    >>> tier_mix(h)[["tier", "members"]].to_numpy().tolist()
    [['silver', 2], ['gold', 1], ['silver', 1]]
    """
    check_choice("period", period, PERIODS)
    h = _history(members_history)
    h = h.mutate(p=_period_index(h.date, period))
    w = ibis.window(group_by="member_id", order_by=[h.date, h.tier])
    h = h.mutate(next_p=h.p.lead().over(w))
    spans = h.group_by(["tier", "p", "next_p"]).aggregate(n=h.count()).to_pandas()
    last = int(spans["p"].max())
    if end is not None:
        e = pd.Timestamp(end)
        last = int(
            {
                "month": e.year * 12 + e.month - 1,
                "quarter": e.year * 4 + e.quarter - 1,
                "year": e.year,
                "week": ((e - _WEEK0).days) // 7,
            }[period]
        )
    first = int(spans["p"].min())
    idx = np.arange(first, last + 1)
    rows = []
    for tier, grp in spans.groupby("tier"):
        diff = np.zeros(len(idx) + 1, dtype="int64")
        for p, nxt, n in grp[["p", "next_p"]].assign(n=grp["n"]).itertuples(index=False):
            stop = last + 1 if pd.isna(nxt) else int(nxt)  # valid for p .. stop-1
            a, b = int(p) - first, min(stop, last + 1) - first
            if b > a:
                diff[a] += n
                diff[b] -= n
        rows.append(pd.DataFrame({"p": idx, "tier": tier, "members": np.cumsum(diff)[:-1]}))
    out = pd.concat(rows, ignore_index=True)
    total = out.groupby("p")["members"].transform("sum")
    out["share"] = _safe_div(out["members"], total)
    out["period"] = _period_start(out["p"].to_numpy(), period)
    out = out[out["members"] > 0].sort_values(["p", "tier"])
    return out[["period", "tier", "members", "share"]].reset_index(drop=True)


def tier_migration(
    members_history: Any,
    start: Any,
    end: Any,
    *,
    shape: Literal["wide", "long"] = "long",
) -> pd.DataFrame:
    """Tier migration matrix: tier held on ``start`` against tier held on ``end``.

    Parameters
    ----------
    members_history : ibis.Table or pandas.DataFrame
        Tier changes, as in :func:`tier_mix`.
    start, end : date-like
        The two dates; a member's tier on a date is their latest change on or
        before it. Members without a tier on ``start`` (joined later) appear as
        ``"(none)"``.
    shape : {"wide", "long"}, keyword-only
        ``"long"``: ``tier_start``, ``tier_end``, ``members``, ``row_share``.
        ``"wide"``: index ``tier_start``, columns ``("members", tier_end)`` and
        ``("row_share", tier_end)``.

    Returns
    -------
    pandas.DataFrame
        ``row_share`` = share of the members in ``tier_start`` who hold
        ``tier_end`` on ``end`` (rows sum to 1).

    Examples
    --------
    >>> h = pd.DataFrame({"member_id": ["a", "b", "a"], "tier": ["silver", "silver", "gold"],
    ...                   "date": ["2024-01-05", "2024-01-20", "2024-02-10"]})
    >>> tier_migration(h, "2024-01-31", "2024-02-29")[["tier_start", "tier_end", "members"]]
      tier_start tier_end  members
    0     silver     gold        1
    1     silver   silver        1
    """
    check_choice("shape", shape, SHAPES)
    s, e = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if e < s:
        raise ValueError(f"end ({e}) is before start ({s}).")
    h = _history(members_history)

    def tier_on(day: Any, name: str) -> Any:
        hh = h.filter(h.date <= ibis.literal(day))
        w = ibis.window(group_by="member_id", order_by=[ibis.desc(hh.date), ibis.desc(hh.tier)])
        hh = hh.mutate(_k=ibis.row_number().over(w))
        return hh.filter(hh._k == 0).select("member_id", **{name: hh.tier})

    a, b = tier_on(s, "tier_start"), tier_on(e, "tier_end")
    j = b.left_join(a, "member_id")
    j = j.mutate(tier_start=j.tier_start.fill_null("(none)"))
    out = j.group_by(["tier_start", "tier_end"]).aggregate(members=j.count()).to_pandas()
    out = out.sort_values(["tier_start", "tier_end"]).reset_index(drop=True)
    out["members"] = out["members"].astype("int64")
    out["row_share"] = out["members"] / out.groupby("tier_start")["members"].transform("sum")
    if shape == "long":
        return out
    wide = out.pivot(index="tier_start", columns="tier_end", values=["members", "row_share"])
    wide["members"] = wide["members"].fillna(0).astype("int64")
    wide["row_share"] = wide["row_share"].fillna(0.0)
    return wide


__all__ = [
    "DEFAULT_SEGMENTS",
    "Transactions",
    "cohort_retention",
    "connect",
    "kpi_panel",
    "load_transactions",
    "rfm_scores",
    "rfm_segment_summary",
    "rfm_segments",
    "segment_definitions",
    "tier_migration",
    "tier_mix",
]
