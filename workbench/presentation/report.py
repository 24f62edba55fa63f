"""Report machinery: provenance, results.json, display helpers, HTML, index page.

A study notebook calls :func:`begin` right after its parameters cell, lets a
``workbench`` study function compute everything, then shows the header, the
key findings, the warnings and the detail through the :class:`StudyRun`.
``workbench run`` renders the executed notebook to one self-contained HTML
file with :func:`render_html` and refreshes ``reports/index.html`` with
:func:`update_index`.

Every string that comes from data or a codebook is HTML-escaped here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import importlib.metadata
import json
import math
import numbers
import os
import platform
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench import i18n
from workbench.i18n import gettext as tr
from workbench.results import jsonable

KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "semopy",
    "matplotlib",
    "plotly",
    "papermill",
    "nbconvert",
)
COMMON_RESULT_KEYS = (
    "study",
    "parameters",
    "data_file",
    "data_sha256",
    "n_used",
    "missing",
    "warnings",
    "versions",
    "started",
    "finished",
)
REPORT_CSS = """
<style>
.wb-header{border-bottom:2px solid #2b5d8a;margin-bottom:1em;padding-bottom:.5em}
.wb-header h1{margin:.2em 0}
.wb-meta{font-size:.9em;color:#333;border-collapse:collapse}
.wb-meta td{padding:2px 10px 2px 0;vertical-align:top;text-align:left !important}
.wb-meta code{word-break:break-all}
.wb-findings{background:#eef5fb;border-left:5px solid #2b5d8a;padding:.6em 1.2em;margin:1em 0}
.wb-findings li{margin:.35em 0;font-size:1.05em}
.wb-warnings{background:#fff6e5;border-left:5px solid #e69500;padding:.6em 1.2em;margin:1em 0}
.wb-ok{background:#effaf0;border-left:5px solid #3a9b48;padding:.6em 1.2em}
table.wb-table{border-collapse:collapse;font-size:.9em}
table.wb-table td,table.wb-table th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
table.wb-table th{background:#f4f4f4}
table.wb-table td:first-child,table.wb-table th:first-child{text-align:left}
table.wb-table td.wb-text{text-align:left}
table.wb-table td.wb-long{min-width:18em}
table.wb-table td.wb-num,table.wb-table th.row_heading{white-space:nowrap}
.wb-table-scroll{overflow-x:auto;max-width:100%;margin:.4em 0}
.wb-marker{white-space:nowrap}
.wb-marker svg{width:.8em;height:.8em;vertical-align:-.05em;margin-right:.3em}
</style>
"""


def versions() -> dict[str, str]:
    """Python and key package versions, for provenance."""
    out = {"python": platform.python_version()}
    for name in ("loyalty-workbench", *KEY_PACKAGES):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def format_p(p: float | None, *, prefix: bool = True) -> str:
    """A p-value in APA style: ``p < .001``, else three decimals without the leading zero.

    ``prefix=False`` gives the bare value for a table cell (``< .001``, ``.013``);
    a missing p is ``p = n/a`` (bare: empty).

    >>> format_p(0.00001), format_p(0.0132), format_p(0.0132, prefix=False)
    ('p < .001', 'p = .013', '.013')
    """
    if p is None or not math.isfinite(p):
        return "p = n/a" if prefix else ""
    if p < 0.001:
        return "p < .001" if prefix else "< .001"
    value = _drop_leading_zero(f"{p:.3f}")
    return f"p = {value}" if prefix else value


def format_r(r: float, *, digits: int = 2) -> str:
    """A correlation as prose prints it (APA): no leading zero, since it cannot exceed 1.

    >>> format_r(0.4567), format_r(-0.05), format_r(1.0)
    ('.46', '-.05', '1.00')
    """
    return _drop_leading_zero(f"{r:.{digits}f}")


def _drop_leading_zero(text: str) -> str:
    return re.sub(r"^(-?)0\.", r"\1.", text)


# 'p = 0.0123', 'p = 1.2e-05', 'p = 0.000' as statistics modules write them in prose
_P_IN_TEXT = re.compile(r"\bp = (\d*\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)")


def apa_p_text(text: str) -> str:
    """Rewrite every ``p = <number>`` in a sentence in APA style (see :func:`format_p`).

    Findings, warnings and the explanations in tables come partly from the statistics
    modules, which print p as ``p = 0.00242`` or ``p = 1.2e-05``; reports show them as
    ``p = .002`` and ``p < .001``. Thresholds such as ``p < .05`` are left as they are.

    >>> apa_p_text("Residuals depart from normality (Shapiro-Wilk p = 0.00242).")
    'Residuals depart from normality (Shapiro-Wilk p = .002).'
    >>> apa_p_text("Breusch-Pagan p = 0.0819; leads p = 3.1e-07; p < .05 means ...")
    'Breusch-Pagan p = .082; leads p < .001; p < .05 means ...'
    """

    def repl(match: re.Match[str]) -> str:
        value = float(match.group(1))
        return format_p(value) if 0 <= value <= 1 else match.group(0)

    return _P_IN_TEXT.sub(repl, text)


def format_number(
    value: float,
    *,
    digits: int = 3,
    integer: bool = False,
    decimals: int | None = None,
    thousands: bool | None = None,
) -> str:
    """A number as report tables print it.

    Integers (and, with ``integer=True``, whole floats such as a count stored as
    60896.0) print without decimals. Other numbers get ``decimals`` decimals, by
    default ``digits`` below 100 and one fewer per further digit before the point
    (123.457, 1234.6, 66728); a non-zero number that would print as zero gets two
    significant digits. Thousands separators: with ``thousands``, or by default from
    10,000 up (so that years and four-digit codes stay as they are).

    >>> format_number(60896.0, integer=True), format_number(3.0, integer=True)
    ('60,896', '3')
    >>> format_number(0.12345), format_number(57.2894), format_number(1234.5678)
    ('0.123', '57.289', '1234.6')
    >>> format_number(66728.14), format_number(0.00042), format_number(2025)
    ('66,728', '0.00042', '2025')
    """
    size = abs(float(value))
    group = "," if (size >= 10_000 if thousands is None else thousands) else ""
    if isinstance(value, numbers.Integral):
        return f"{value:{group}d}"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if integer and value.is_integer():
        return f"{value:{group}.0f}"
    if decimals is None:
        decimals = _decimals(size, digits)
    if 0 < size < 0.5 * 10**-decimals:
        return f"{value:.2g}"
    return f"{value:{group}.{decimals}f}"


def _decimals(size: float, digits: int) -> int:
    """Decimals for a number of this size: ``digits`` below 100, one fewer per further digit."""
    return digits if size < 100 else max(0, digits + 1 - math.floor(math.log10(size)))


# ----------------------------------------------------------------------------- markers
MARKER_SHAPES = ("circle", "check")
TRAFFIC_LIGHT_COLOURS = {"green": "#2e8540", "amber": "#e69500", "red": "#c62828"}


class Marker(str):
    """A word that reports draw after a small coloured shape: an inline SVG.

    Emoji and symbol glyphs (a green circle emoji, a heavy check mark) need a font
    that has them; where none is installed (stock Debian, most servers) browsers draw
    empty boxes. The browser draws an inline SVG itself, whatever the fonts. The word
    stays beside it: ``str(marker)`` is the word, so tables, ``results.json``, text
    summaries and screen readers say it (the shape is ``aria-hidden``).

    >>> light = Marker("green", "#2e8540")
    >>> light == "green", json.dumps(light)
    (True, '"green"')
    >>> "<svg" in light.__html__() and light.__html__().endswith("green</span>")
    True
    """

    colour: str
    shape: str

    def __new__(
        cls, word: str, colour: str, shape: Literal["circle", "check"] = "circle"
    ) -> Marker:
        if shape not in MARKER_SHAPES:
            raise ValueError(f"shape must be one of {', '.join(MARKER_SHAPES)}, not {shape!r}")
        marker = super().__new__(cls, word)
        marker.colour = colour
        marker.shape = shape
        return marker

    # pickle and copy keep the shape. typeshed types str.__getnewargs__ as tuple[str], but it
    # must match __new__, whose extra arguments here mypy accepts (__new__ is exempt from
    # override checks, this hook is not).
    def __getnewargs__(self) -> tuple[str, str, str]:  # type: ignore[override]
        return str(self), self.colour, self.shape

    def __html__(self) -> str:
        colour = esc(self.colour)
        if self.shape == "check":
            mark = (
                f"<path d='M1.5 5.5 4 8 8.8 2' fill='none' stroke='{colour}' "
                "stroke-width='1.8' stroke-linecap='round' stroke-linejoin='round'/>"
            )
        else:
            mark = (
                f"<circle cx='5' cy='5' r='4.4' fill='{colour}' stroke='#00000059' "
                "stroke-width='.6'/>"
            )
        svg = (
            "<svg viewBox='0 0 10 10' width='10' height='10' aria-hidden='true' "
            f"focusable='false'>{mark}</svg>"
        )
        return f"<span class='wb-marker'>{svg}{esc(str(self))}</span>"


def traffic_light(status: str) -> Marker | str:
    """A check's status (``green``, ``amber``, ``red``) as a coloured circle and the word.

    Any other status is returned as it is.

    >>> traffic_light("amber").colour, str(traffic_light("amber")), traffic_light("n/a")
    ('#e69500', 'amber', 'n/a')
    """
    colour = TRAFFIC_LIGHT_COLOURS.get(str(status))
    return Marker(str(status), colour) if colour else status


def check_mark(word: str = "yes") -> Marker:
    """A green check mark with ``word`` (e.g. the option a table says was used)."""
    return Marker(word, TRAFFIC_LIGHT_COLOURS["green"], "check")


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included).

    >>> esc('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


# label words that make a row or column hold counts (whole numbers print without decimals)
COUNT_WORDS = frozenset(
    "n count counts df df1 df2 k members clusters respondents rows items cases observations "
    "obs size npar periods leads lags suggests".split()
)
LabelKind = Literal["p", "count", "id", "plain"]
LONG_TEXT = 40  # characters from which a text column gets a minimum width (item wording)


def label_kind(label: Any) -> LabelKind:
    """What a row or column label says about its numbers, from its words.

    ``p`` for p-values (``p``, ``delta_p``, ``Bartlett p``, ``p_value``, ``Pr(>|t|)``),
    ``count`` for counts (a word of :data:`COUNT_WORDS`: ``n``, ``df``, ``k_to``,
    ``member-periods``, ``members (clusters)``), ``id`` for identifiers and row numbers
    (printed as they are), else ``plain``.

    >>> [label_kind(x) for x in ("p", "pre-trend test p", "p_alive", "k_to", "member_id")]
    ['p', 'p', 'plain', 'count', 'id']

    A translated label is read from the English label it came from
    (:func:`workbench.i18n.source_label`): ``会员-期数`` holds counts as ``member-periods`` does.
    """
    words = re.findall(r"[a-z0-9]+", str(i18n.source_label(label)).lower())
    if not words:
        return "plain"
    if words[-1] in ("p", "pval", "pvalue") or words[-2:] == ["p", "value"] or words[0] == "pr":
        return "p"
    if words[-1] in ("id", "row"):
        return "id"
    return "count" if COUNT_WORDS.intersection(words) else "plain"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _whole_column(values: pd.Series) -> bool:
    """A float column whose every value is a whole number (e.g. counts with gaps)."""
    if not pd.api.types.is_float_dtype(values):
        return False
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return bool(len(finite)) and bool(np.all(finite == np.round(finite)))


def _label_text(value: Any) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def _label_html(value: Any) -> str:
    """An index or column label: pandas has escaped it already when it is text."""
    return value if isinstance(value, str) else esc(_label_text(value))


def format_cell(
    value: Any,
    *,
    kind: LabelKind = "plain",
    whole: bool = False,
    digits: int = 3,
    decimals: int | None = None,
    thousands: bool | None = None,
) -> str:
    """One table cell as HTML (escaped; a :class:`Marker` draws its shape).

    ``kind`` is the cell's :func:`label_kind` (the column's, else the row's): p-values
    print in APA style, counts and identifiers as whole numbers; ``whole`` says the
    column holds only whole numbers. Other numbers print as :func:`format_number`
    says (with ``decimals`` and ``thousands`` when given); p-values inside text are
    rewritten by :func:`apa_p_text`.

    >>> format_cell(0.0), format_cell(0.0, kind="p"), format_cell(4150.0, kind="count")
    ('0.000', '&lt; .001', '4150')
    """
    if hasattr(value, "__html__"):
        return value.__html__()
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if _is_number(value):
        if kind == "p":
            return esc(format_p(float(value), prefix=False))
        if kind == "id" and float(value).is_integer():
            return esc(str(int(value)))
        integer = whole or kind != "plain"
        return esc(
            format_number(
                value, digits=digits, integer=integer, decimals=decimals, thousands=thousands
            )
        )
    if isinstance(value, str):
        return esc(apa_p_text(value))
    return esc(_label_text(value))


def table_html(frame: pd.DataFrame, *, digits: int = 3, index: bool = True) -> str:
    """A DataFrame as an HTML table in a box that scrolls sideways when it is wider than
    the page.

    Every label and cell is escaped. Cells are written by :func:`format_cell`: p-values
    in APA style (a column or row labelled ``p``, ``..._p``, ``... p``), counts as whole
    numbers (rows and columns such as ``n``, ``df``, ``members``, and float columns of
    whole numbers), other numbers with ``digits`` decimals, fewer for large numbers.
    A column of one quantity shares one number of decimals (the most any of its
    numbers needs, so they line up) and, when it reaches 10,000, thousands separators;
    where the rows are different quantities (rows such as ``n``, ``df``, ``p``), each
    number is formatted on its own. Text is left-aligned (a column of long text, such as
    item wording, gets a minimum width rather than one word per line); numbers are
    right-aligned and kept on one line.
    """
    n_rows, n_cols = frame.shape
    col_kinds = [label_kind(_last(c)) for c in frame.columns]
    row_kinds = [_row_kind(i) for i in frame.index]
    mixed_rows = any(k != "plain" for k in row_kinds)
    cells, classes = [], []
    for j in range(n_cols):
        column = frame.iloc[:, j]
        whole = _whole_column(column)
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        decimals = None if mixed_rows else _column_decimals(column, digits)
        thousands = None if mixed_rows else _column_reaches(column, 10_000)
        shown, css = [], []
        for i in range(n_rows):
            value = column.iat[i]
            kind = col_kinds[j] if col_kinds[j] != "plain" else row_kinds[i]
            shown.append(
                format_cell(
                    value,
                    kind=kind,
                    whole=whole,
                    digits=digits,
                    decimals=decimals,
                    thousands=thousands,
                )
            )
            css.append("wb-num" if numeric or _is_number(value) else "wb-text")
        if max((len(str(v)) for v in column if isinstance(v, str)), default=0) > LONG_TEXT:
            # long text (item wording): wide enough to read; the box scrolls instead
            css = [f"{c} wb-long" if c == "wb-text" else c for c in css]
        cells.append(shown)
        classes.append(css)
    display = pd.DataFrame(dict(enumerate(cells)), index=frame.index)
    display.columns = frame.columns
    td_classes = pd.DataFrame(dict(enumerate(classes)), index=frame.index)
    td_classes.columns = frame.columns
    styler = display.style.format(escape=None).set_td_classes(td_classes)
    text_cols = [j for j, css in enumerate(classes) if css and "wb-num" not in css]
    if text_cols:  # a text column's heading sits over its text, on the left
        selector = ", ".join(f"th.col_heading.col{j}" for j in text_cols)
        styler = styler.set_table_styles([{"selector": selector, "props": "text-align: left"}])
    styler = styler.format_index(_label_html, escape="html", axis=0)
    styler = styler.format_index(_label_html, escape="html", axis=1)
    if not index:
        styler = styler.hide(axis="index")
    table = styler.set_table_attributes('class="wb-table"').to_html()
    return f"<div class='wb-table-scroll'>{table}</div>"


def _column_decimals(values: pd.Series, digits: int) -> int | None:
    """The decimals the column's numbers need, at most ``digits``: those of its smallest
    number that is not whole (whole numbers and p-values print their own way)."""
    sizes = [
        abs(float(v))
        for v in values
        if _is_number(v) and math.isfinite(v) and not float(v).is_integer()
    ]
    return max((_decimals(s, digits) for s in sizes), default=None)


def _column_reaches(values: pd.Series, size: float) -> bool:
    return any(_is_number(v) and math.isfinite(v) and abs(v) >= size for v in values)


def _last(label: Any) -> Any:
    """The innermost level of a MultiIndex label (the one that names the numbers)."""
    return label[-1] if isinstance(label, tuple) else label


def _row_kind(label: Any) -> LabelKind:
    kinds = [label_kind(x) for x in (label if isinstance(label, tuple) else (label,))]
    return next((k for k in reversed(kinds) if k != "plain"), "plain")


# --------------------------------------------------------------------------- display
_PLOTLY_INCLUDED = False


def figure_html(fig: Any) -> str:
    """HTML for a plotly figure; the first one in a notebook embeds plotly.js.

    Embedding the library (instead of relying on a renderer or a CDN) keeps
    the figures visible after papermill + nbconvert and offline.
    """
    global _PLOTLY_INCLUDED
    include = not _PLOTLY_INCLUDED
    _PLOTLY_INCLUDED = True
    return fig.to_html(
        full_html=False,
        include_plotlyjs=include,
        config={"displaylogo": False, "responsive": True},
    )


MAX_TABLE_ROWS = 200


def show(obj: Any, *, empty: str | None = None, max_rows: int = MAX_TABLE_ROWS) -> None:
    """Display a plotly figure, matplotlib figure/axes, DataFrame or HTML string.

    Matplotlib figures are embedded as PNG (and closed). ``None`` or an
    empty DataFrame shows the ``empty`` note (nothing if none is given).
    A DataFrame longer than ``max_rows`` (e.g. a list of respondents in a
    survey of 200,000) shows its first ``max_rows`` rows and says how many
    there are, so that reports stay light whatever the sample size.
    """
    from IPython.display import HTML, Image, display

    if obj is None or (isinstance(obj, pd.DataFrame) and not len(obj)):
        if empty:
            display(HTML(f"<p><i>{esc(tr(empty))}</i></p>"))
        return
    if hasattr(obj, "to_plotly_json"):
        display(HTML(figure_html(obj)))
    elif hasattr(obj, "savefig") or hasattr(obj, "get_figure"):
        import io

        import matplotlib.pyplot as plt

        fig = obj if hasattr(obj, "savefig") else obj.get_figure()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        display(Image(data=buffer.getvalue(), format="png"))
    elif isinstance(obj, pd.DataFrame):
        display(HTML(table_html(obj.head(max_rows)) + _rows_note(len(obj), max_rows)))
    else:
        display(HTML(str(obj)))


def show_text(text: str | None) -> None:
    """Display a sentence (e.g. a recommendation) as a paragraph; the text is escaped.

    No text (``None`` or empty) displays nothing, so a notebook shows optional notes without
    a condition of its own.
    """
    from IPython.display import HTML, display

    if not text:
        return
    display(HTML(f"<p>{esc(i18n.translate(text))}</p>"))


def _rows_note(n_rows: int, max_rows: int) -> str:
    if n_rows <= max_rows:
        return ""
    text = tr(
        "Showing the first {shown} of {total} rows; the whole table is the object displayed "
        "in this cell of the executed notebook (notebook.ipynb).",
        shown=i18n.format_decimal(max_rows),
        total=i18n.format_decimal(n_rows),
    )
    return f"<p><i>{esc(text)}</i></p>"


def findings_html(findings: list[str], *, lang: str | None = None) -> str:
    """The key findings box; findings written in English elsewhere are translated
    (:func:`workbench.i18n.translate`) when the report's language is not English."""
    items = "".join(
        f"<li>{esc(apa_p_text(i18n.translate(f, lang=lang)))}</li>" for f in findings
    ) or (f"<li>{esc(tr('No findings.', lang=lang))}</li>")
    return f"<div class='wb-findings'><h2>{esc(tr('Key findings', lang=lang))}</h2><ul>{items}</ul></div>"


def warnings_html(warnings: list[str], *, lang: str | None = None) -> str:
    """The warnings box (or a green 'none'), translated like :func:`findings_html`."""
    if not warnings:
        return f"<div class='wb-ok'>{tr('<b>Warnings:</b> none.', lang=lang)}</div>"
    items = "".join(f"<li>{esc(apa_p_text(i18n.translate(w, lang=lang)))}</li>" for w in warnings)
    heading = tr("Warnings ({n})", lang=lang, n=len(warnings))
    read = tr("Read these before relying on the results.", lang=lang)
    return (
        f"<div class='wb-warnings'><h2>{esc(heading)}</h2><p>{esc(read)}</p><ul>{items}</ul></div>"
    )


# --------------------------------------------------------------------------- run
@dataclasses.dataclass
class StudyRun:
    """One execution of a study notebook: parameters, provenance and outputs."""

    study: str
    title: str
    parameters: dict[str, Any]
    data_file: str
    codebook_file: str | None
    output_dir: Path | None
    command: str
    started: str = dataclasses.field(default_factory=now)
    data_sha256: str = ""
    # the report's language (en, zh, zh-Hant; see workbench.i18n), recorded in results.json
    lang: str = i18n.DEFAULT_LANGUAGE

    def header_html(self) -> str:
        lang = self.lang

        def row(name: str, value: str) -> str:
            return f"<tr><td>{esc(tr(name, lang=lang))}</td><td>{value}</td></tr>"

        params = "".join(
            f"<tr><td>{esc(k)}</td><td><code>{esc(json.dumps(jsonable(v), ensure_ascii=False))}"
            "</code></td></tr>"
            for k, v in self.parameters.items()
        )
        vers = ", ".join(f"{esc(k)} {esc(v)}" for k, v in versions().items())
        codebook = (
            row("Codebook", f"<code>{esc(self.codebook_file)}</code>") if self.codebook_file else ""
        )
        return (
            REPORT_CSS
            + f"<div class='wb-header'><h1>{esc(tr(self.title, lang=lang))}</h1>"
            + "<table class='wb-meta'>"
            + row("Data file", f"<code>{esc(self.data_file)}</code>")
            + row("SHA-256", f"<code>{esc(self.data_sha256)}</code>")
            + codebook
            + row("Run date", esc(i18n.format_datetime(self.started, lang=lang)))
            + row("Re-run with", f"<code>{esc(self.command)}</code>")
            + row("Packages", vers)
            + f"</table><h3>{esc(tr('Parameters', lang=lang))}</h3><table class='wb-meta'>"
            + params
            + "</table></div>"
        )

    def header(self) -> None:
        from IPython.display import HTML, display

        display(HTML(self.header_html()))

    def findings(self, findings: list[str]) -> None:
        from IPython.display import HTML, display

        display(HTML(findings_html(findings, lang=self.lang)))

    def warnings(self, warnings: list[str]) -> None:
        from IPython.display import HTML, display

        display(HTML(warnings_html(warnings, lang=self.lang)))

    def finish(
        self,
        results: Mapping[str, Any],
        *,
        n_used: int,
        missing: Mapping[str, Any] | str,
        warnings: list[str],
        headline: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Assemble results.json (common keys + the study's own) and write it."""
        payload: dict[str, Any] = {
            "study": self.study,
            "parameters": self.parameters,
            "data_file": self.data_file,
            "data_sha256": self.data_sha256,
            "codebook_file": self.codebook_file,
            "n_used": n_used,
            "missing": missing,
            "warnings": list(warnings),
            "versions": versions(),
            "started": self.started,
            "finished": now(),
            "command": self.command,
            "headline": dict(headline or {}),
            "lang": self.lang,
        }
        absent = [k for k in COMMON_RESULT_KEYS if k not in payload]
        if absent:  # pragma: no cover - guards the contract against future edits
            raise RuntimeError(f"results.json would lack contract keys {absent}")
        for key, value in results.items():
            if key in payload:
                raise ValueError(f"study result key {key!r} clashes with a common key")
            payload[key] = value
        payload = jsonable(payload)
        if self.output_dir is not None:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            (self.output_dir / "results.json").write_text(
                json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8"
            )
        return payload

    def complete(self, study: Any) -> dict[str, Any]:
        """Write results.json from a study result (``results()``, ``n_used``,
        ``missing_report``, ``warnings``, ``headline()``)."""
        return self.finish(
            study.results(),
            n_used=study.n_used,
            missing=study.missing_report,
            warnings=list(study.warnings),
            headline=study.headline(),
        )


def new_run(
    *,
    study: str,
    title: str,
    parameters: dict[str, Any],
    data: str,
    codebook: str | None,
    output_dir: str | None,
    command: str,
) -> StudyRun:
    """Start a report: figure settings reset for a new notebook, the data file fingerprinted.

    Studies call it through :func:`workbench.studies.begin`, which picks the study's
    declared parameters out of the notebook's namespace. The report's language is the
    current one (:func:`workbench.i18n.set_language`, which a study notebook calls with its
    ``lang`` parameter first).
    """
    from workbench.intake.data import file_sha256
    from workbench.presentation.plots import setup_matplotlib

    setup_matplotlib()
    global _PLOTLY_INCLUDED
    _PLOTLY_INCLUDED = False
    run = StudyRun(
        study=study,
        title=title,
        parameters=parameters,
        data_file=data,
        codebook_file=codebook,
        output_dir=Path(output_dir) if output_dir else None,
        command=command,
        lang=i18n.get_language(),
    )
    if data and Path(data).exists():
        run.data_sha256 = file_sha256(data)
    return run


# --------------------------------------------------------------------------- HTML
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.I)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PAGE_CSS = """
<style>
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','Microsoft YaHei',
sans-serif;line-height:1.45;color:#222;margin:0}
main{max-width:1180px;margin:0 auto;padding:1.2em 2em 3em}
h1,h2,h3{color:#1d3f5e;line-height:1.25}
h2{border-bottom:1px solid #d6e2ee;padding-bottom:.2em;margin-top:1.8em}
img{max-width:100%;height:auto}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;white-space:pre-wrap}
code{background:#f3f3f3;padding:0 .2em}
.wb-output{margin:.6em 0;overflow-x:auto}
body:lang(zh-Hant){font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK TC',
'Microsoft JhengHei',sans-serif}
.wb-error{background:#fdecea;border-left:5px solid #c62828}
</style>
"""


def _text(value: Any) -> str:
    """Notebook text fields are a string or a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def _markdown(source: str) -> str:
    import mistune

    html = mistune.html(source)
    assert isinstance(html, str)  # the HTML renderer; only mistune's AST renderer gives a list
    return html


def _output_html(output: Mapping[str, Any]) -> str:
    """One cell output as HTML; stderr streams are dropped.

    Rich outputs come from our own display helpers (which escape data strings);
    plain text is escaped here.
    """
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            return ""
        return f"<pre>{esc(_text(output.get('text')))}</pre>"
    if kind == "error":
        message = _ANSI.sub("", f"{output.get('ename', '')}: {output.get('evalue', '')}")
        return f"<pre class='wb-error'>{esc(message)}</pre>"
    data = output.get("data") or {}
    if "text/html" in data:
        return _text(data["text/html"])
    if "image/svg+xml" in data:
        return _text(data["image/svg+xml"])
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            b64 = _text(data[mime]).replace("\n", "")
            return f"<img src='data:{mime};base64,{b64}' alt='figure'>"
    if "text/markdown" in data:
        return _markdown(_text(data["text/markdown"]))
    if "text/plain" in data:
        return f"<pre>{esc(_text(data['text/plain']))}</pre>"
    return ""


def render_html(notebook_path: str | Path, html_path: str | Path, *, title: str = "") -> Path:
    """Render an executed notebook to one self-contained HTML file without code.

    Markdown cells and cell outputs are written in order; code, prompts and
    stderr streams are left out (the executed ``notebook.ipynb`` keeps them for
    researchers), as are cells tagged ``remove-in-report``. plotly.js is embedded
    by :func:`figure_html` and static figures are inline PNG, so the page opens
    offline; any script loaded from the web is removed.

    This is a direct walk over the notebook's JSON rather than nbconvert's
    template machinery: same content, about ten times faster on a report
    with embedded plotly.js (a large share of a run's overhead otherwise).

    The report's language is the notebook's ``lang`` parameter (recorded by papermill in
    the notebook's metadata; English when there is none). Markdown cells are then looked
    up in the catalogue by their whole English text, in the context ``notebook:<name>``
    (:func:`workbench.i18n.markdown`), so the notebook itself stays one readable English
    source; outputs were written in that language by the kernel already.
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    lang, context = notebook_language(nb)
    parts = []
    for cell in nb.get("cells", []):
        if "remove-in-report" in (cell.get("metadata") or {}).get("tags", []):
            continue
        if cell.get("cell_type") == "markdown":
            source = i18n.markdown(_text(cell.get("source")), context, lang=lang)
            parts.append(_markdown(source))
        elif cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                piece = _output_html(output)
                if piece:
                    parts.append(f"<div class='wb-output'>{piece}</div>")
    page = (
        f"<!DOCTYPE html>\n<html lang='{i18n.HTML_LANG[lang]}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(tr(title, lang=lang) if title else tr('report', lang=lang))}</title>"
        f"{REPORT_CSS}{PAGE_CSS}</head>"
        "<body><main>\n" + "\n".join(parts) + "\n</main></body></html>\n"
    )
    page = _EXTERNAL_SCRIPT.sub("", page)
    html_path = Path(html_path)
    html_path.write_text(page, encoding="utf-8")
    return html_path


def notebook_language(nb: Mapping[str, Any]) -> tuple[str, str]:
    """The language of an executed notebook (its papermill ``lang`` parameter, else ``en``)
    and the catalogue context of its markdown cells (``notebook:<file stem>``)."""
    meta = (nb.get("metadata") or {}).get("papermill") or {}
    raw = (meta.get("parameters") or {}).get("lang")
    try:
        lang = i18n.check_language(raw)
    except Exception:  # an unknown code in a hand-edited notebook: render it in English
        lang = i18n.DEFAULT_LANGUAGE
    stem = Path(str(meta.get("input_path") or "")).stem
    return lang, f"notebook:{stem}"


def _both(message: str, **values: Any) -> str:
    """A piece of index-page text in English and Chinese (the index serves both readers)."""
    en, zh = tr(message, lang="en", **values), tr(message, lang="zh", **values)
    return en if en == zh else f"{en} · {zh}"


def update_index(reports_dir: str | Path) -> Path:
    """Write ``reports_dir/index.html`` listing every run found below it, newest first.

    The page is in English and Chinese; each run says its report's language (its
    ``results.json`` ``lang``; English for runs written before there was one)."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    runs, unreadable = [], []
    for path in sorted(reports_dir.rglob("results.json")):
        if (path.parent / "INCOMPLETE.txt").exists():
            continue  # failed, interrupted or still running: never linked as a finished run
        try:
            res = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            res = None
        if not isinstance(res, dict):
            unreadable.append(os.path.relpath(path, reports_dir).replace(os.sep, "/"))
            continue
        runs.append((path.parent, res))
    runs.sort(key=lambda r: str(r[1].get("started", "")), reverse=True)
    rows = []
    for folder, res in runs:
        rel = os.path.relpath(folder, reports_dir).replace(os.sep, "/")
        headline = res.get("headline")
        if not isinstance(headline, dict):
            headline = {}
        lang = str(res.get("lang")) if res.get("lang") in i18n.LANGUAGES else "en"
        heads = "<br>".join(
            f"{esc(i18n.label(k, lang=lang))}: {esc(format_value(v))}" for k, v in headline.items()
        )
        n_warn = len(res["warnings"]) if isinstance(res.get("warnings"), list) else 0
        rows.append(
            "<tr>"
            f"<td><a href='{esc(rel)}/report.html'>{esc(res.get('study', '?'))}</a></td>"
            f"<td lang='{i18n.HTML_LANG[lang]}'>{esc(i18n.LANGUAGE_NAMES[lang])}</td>"
            f"<td><code>{esc(Path(str(res.get('data_file', ''))).name)}</code></td>"
            f"<td>{esc(str(res.get('started', ''))[:19].replace('T', ' '))}</td>"
            f"<td>{esc(res.get('n_used', ''))}</td>"
            f"<td>{heads}</td>"
            f"<td>{n_warn}</td>"
            f"<td><a href='{esc(rel)}/notebook.ipynb'>notebook</a> · "
            f"<a href='{esc(rel)}/results.json'>results.json</a></td>"
            "</tr>"
        )
    body = "".join(rows) or (
        f"<tr><td colspan='8'>{_both('No runs yet: try <code>make report</code>.')}</td></tr>"
    )
    headers = "".join(
        f"<th>{esc(_both(h))}</th>"
        for h in (
            "Study",
            "Language",
            "Data",
            "Run date",
            "n used",
            "Headline figures",
            "Warnings",
            "Files",
        )
    )
    title = esc(_both("loyalty-workbench reports"))
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title>"
        + REPORT_CSS
        + "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em}"
        "table.wb-table td,table.wb-table th{text-align:left}</style></head><body>"
        f"<h1>{title}</h1>"
        f"<p>{esc(_both('{n} run(s), newest first. Generated {when}.', n=len(runs), when=now()))}</p>"
        + (
            "<p>"
            + esc(_both("Not listed: results.json files that are not a run's results:"))
            + " "
            + ", ".join(f"<code>{esc(u)}</code>" for u in unreadable)
            + ".</p>"
            if unreadable
            else ""
        )
        + f"<table class='wb-table'><tr>{headers}</tr>"
        + body
        + "</table></body></html>"
    )
    index = reports_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def format_value(v: Any) -> str:
    """A headline value as text: numbers as :func:`format_number`, anything else as ``str``."""
    if _is_number(v):
        return format_number(v)
    return str(v)
