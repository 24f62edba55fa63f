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
import os
import platform
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.results import jsonable

KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "factor_analyzer",
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


def format_p(p: float) -> str:
    """A p-value as reports print it: ``p < .001`` or ``p = 0.013``.

    >>> format_p(0.00001), format_p(0.0132)
    ('p < .001', 'p = 0.013')
    """
    return "p < .001" if p < 0.001 else f"p = {p:.3f}"


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included).

    >>> esc('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


def table_html(frame: pd.DataFrame, *, digits: int = 3, index: bool = True) -> str:
    """A DataFrame as an HTML table: every label and cell escaped, numbers rounded,
    text left-aligned and numbers right-aligned."""
    styler = frame.style.format(precision=digits, na_rep="", escape="html")
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text_cols:
        styler = styler.set_properties(subset=text_cols, **{"text-align": "left"})
    if not index:
        styler = styler.hide(axis="index")
    return styler.set_table_attributes('class="wb-table"').to_html()


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
            display(HTML(f"<p><i>{esc(empty)}</i></p>"))
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


def _rows_note(n_rows: int, max_rows: int) -> str:
    if n_rows <= max_rows:
        return ""
    return (
        f"<p><i>Showing the first {max_rows:,} of {n_rows:,} rows; the whole table is the "
        "object displayed in this cell of the executed notebook (notebook.ipynb).</i></p>"
    )


def findings_html(findings: list[str]) -> str:
    items = "".join(f"<li>{esc(f)}</li>" for f in findings) or "<li>No findings.</li>"
    return f"<div class='wb-findings'><h2>Key findings</h2><ul>{items}</ul></div>"


def warnings_html(warnings: list[str]) -> str:
    if not warnings:
        return "<div class='wb-ok'><b>Warnings:</b> none.</div>"
    items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    return (
        f"<div class='wb-warnings'><h2>Warnings ({len(warnings)})</h2>"
        f"<p>Read these before relying on the results.</p><ul>{items}</ul></div>"
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

    def header_html(self) -> str:
        params = "".join(
            f"<tr><td>{esc(k)}</td><td><code>{esc(json.dumps(jsonable(v), ensure_ascii=False))}"
            "</code></td></tr>"
            for k, v in self.parameters.items()
        )
        vers = ", ".join(f"{esc(k)} {esc(v)}" for k, v in versions().items())
        codebook = (
            f"<tr><td>Codebook</td><td><code>{esc(self.codebook_file)}</code></td></tr>"
            if self.codebook_file
            else ""
        )
        return (
            REPORT_CSS
            + f"<div class='wb-header'><h1>{esc(self.title)}</h1>"
            + "<table class='wb-meta'>"
            + f"<tr><td>Data file</td><td><code>{esc(self.data_file)}</code></td></tr>"
            + f"<tr><td>SHA-256</td><td><code>{esc(self.data_sha256)}</code></td></tr>"
            + codebook
            + f"<tr><td>Run date</td><td>{esc(self.started)}</td></tr>"
            + f"<tr><td>Re-run with</td><td><code>{esc(self.command)}</code></td></tr>"
            + f"<tr><td>Packages</td><td>{vers}</td></tr>"
            + "</table><h3>Parameters</h3><table class='wb-meta'>"
            + params
            + "</table></div>"
        )

    def header(self) -> None:
        from IPython.display import HTML, display

        display(HTML(self.header_html()))

    def findings(self, findings: list[str]) -> None:
        from IPython.display import HTML, display

        display(HTML(findings_html(findings)))

    def warnings(self, warnings: list[str]) -> None:
        from IPython.display import HTML, display

        display(HTML(warnings_html(warnings)))

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


def begin(study: str, namespace: Mapping[str, Any]) -> StudyRun:
    """Start a run from a notebook's namespace (its parameters cell).

    Picks the study's declared parameters out of ``namespace``; ``data``,
    ``codebook``, ``output_dir`` and ``command`` are set by ``workbench run``.
    """
    from workbench.data import file_sha256
    from workbench.plots import setup_matplotlib
    from workbench.studies import get_study

    spec = get_study(study)
    params = {p.name: namespace.get(p.name, p.default) for p in spec.params}
    data = str(namespace.get("data", ""))
    codebook = namespace.get("codebook") or None
    out = namespace.get("output_dir") or None
    command = namespace.get("command") or spec.command(data, codebook, params)
    setup_matplotlib()
    global _PLOTLY_INCLUDED
    _PLOTLY_INCLUDED = False
    run = StudyRun(
        study=study,
        title=spec.title,
        parameters=params,
        data_file=data,
        codebook_file=codebook,
        output_dir=Path(out) if out else None,
        command=command,
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
.wb-error{background:#fdecea;border-left:5px solid #c62828}
</style>
"""


def _text(value: Any) -> str:
    """Notebook text fields are a string or a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def _markdown(source: str) -> str:
    import mistune

    return mistune.html(source)


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
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        if "remove-in-report" in (cell.get("metadata") or {}).get("tags", []):
            continue
        if cell.get("cell_type") == "markdown":
            parts.append(_markdown(_text(cell.get("source"))))
        elif cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                piece = _output_html(output)
                if piece:
                    parts.append(f"<div class='wb-output'>{piece}</div>")
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title or 'report')}</title>{REPORT_CSS}{PAGE_CSS}</head>"
        "<body><main>\n" + "\n".join(parts) + "\n</main></body></html>\n"
    )
    page = _EXTERNAL_SCRIPT.sub("", page)
    html_path = Path(html_path)
    html_path.write_text(page, encoding="utf-8")
    return html_path


def update_index(reports_dir: str | Path) -> Path:
    """Write ``reports_dir/index.html`` listing every run found below it, newest first."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for path in reports_dir.rglob("results.json"):
        try:
            res = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        runs.append((path.parent, res))
    runs.sort(key=lambda r: str(r[1].get("started", "")), reverse=True)
    rows = []
    for folder, res in runs:
        rel = os.path.relpath(folder, reports_dir).replace(os.sep, "/")
        headline = res.get("headline") or {}
        heads = "<br>".join(f"{esc(k)}: {esc(_fmt(v))}" for k, v in headline.items())
        n_warn = len(res.get("warnings") or [])
        rows.append(
            "<tr>"
            f"<td><a href='{esc(rel)}/report.html'>{esc(res.get('study', '?'))}</a></td>"
            f"<td><code>{esc(Path(str(res.get('data_file', ''))).name)}</code></td>"
            f"<td>{esc(str(res.get('started', ''))[:19].replace('T', ' '))}</td>"
            f"<td>{esc(res.get('n_used', ''))}</td>"
            f"<td>{heads}</td>"
            f"<td>{n_warn}</td>"
            f"<td><a href='{esc(rel)}/notebook.ipynb'>notebook</a> · "
            f"<a href='{esc(rel)}/results.json'>results.json</a></td>"
            "</tr>"
        )
    body = (
        "".join(rows) or "<tr><td colspan='7'>No runs yet: try <code>make report</code>.</td></tr>"
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>loyalty-workbench reports</title>"
        + REPORT_CSS
        + "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em}"
        "table.wb-table td,table.wb-table th{text-align:left}</style></head><body>"
        "<h1>loyalty-workbench reports</h1>"
        f"<p>{len(runs)} run(s), newest first. Generated {esc(now())}.</p>"
        "<table class='wb-table'><tr><th>Study</th><th>Data</th><th>Run date</th><th>n used</th>"
        "<th>Headline figures</th><th>Warnings</th><th>Files</th></tr>"
        + body
        + "</table></body></html>"
    )
    index = reports_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def shell_command(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
