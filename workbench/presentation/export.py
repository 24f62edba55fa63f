"""Paper-ready export of a finished run: APA 7 tables, figures, methods and results paragraphs.

``workbench export RUN_DIR --to docx|md|tex|html`` reads a run folder's ``results.json``
(nothing is recomputed) and writes one document:

* APA 7 tables for the study's main results (:mod:`~workbench.presentation.export_tables`):
  numbered, titled, horizontal rules only, a note below; in Word they are real, editable
  tables (python-docx), in LaTeX ``booktabs`` tables;
* a methods and a results paragraph in APA sentence style, with the reference list (and a
  ``references.bib`` beside the document);
* figures re-drawn from ``results.json`` as PNG (300 dpi) and SVG
  (:mod:`~workbench.presentation.export_figures`).

A ``workbench batch`` folder (one run folder per run) gives one document whose tables put
the runs side by side.

The document model is small: a :class:`Document` holds :class:`Table` objects and
paragraphs written in the markup of :mod:`~workbench.presentation.apa`; each writer
(:func:`to_markdown`, :func:`to_latex`, :func:`to_html`, :func:`write_docx`) renders it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from workbench import i18n
from workbench.errors import InputError
from workbench.presentation.apa import MISSING, escape, parse, plain, render
from workbench.presentation.export_text import REFERENCES, Reference, text

Format = Literal["docx", "md", "tex", "html"]
FORMATS: tuple[str, ...] = ("docx", "md", "tex", "html")
SUFFIX = {"docx": ".docx", "md": ".md", "tex": ".tex", "html": ".html"}


# ----------------------------------------------------------------------------- model
@dataclasses.dataclass
class Table:
    """An APA table: number (given by the document), title, header, rows and a note.

    All text is markup. A row of one cell is a section heading that spans the table
    (e.g. a construct above its items). ``compare`` says how a batch document puts this
    table's runs side by side: ``"transpose"`` (a one-row table such as model fit: its
    columns become rows, each run a column), ``"column"`` (rows keyed by their first
    cell, each run's ``compare_column`` becomes a column) or ``None`` (not compared).
    """

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    compare: Literal["transpose", "column"] | None = None
    compare_column: int = 1

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) not in (1, width):
                raise ValueError(
                    f"table {self.key!r}: a row has {len(row)} cells, the header {width}"
                )

    @property
    def body(self) -> list[list[str]]:
        """The data rows (without the section headings)."""
        return [r for r in self.rows if len(r) == len(self.columns) or len(self.columns) == 1]


@dataclasses.dataclass
class Figure:
    """A figure drawn for the document: PNG (300 dpi) and SVG files, title and note."""

    key: str
    title: str
    png: Path
    svg: Path
    note: str = ""


@dataclasses.dataclass
class Document:
    """What an export writes, before a writer renders it."""

    title: str
    tables: list[Table]
    methods: list[str] = dataclasses.field(default_factory=list)
    results: list[str] = dataclasses.field(default_factory=list)
    references: list[Reference] = dataclasses.field(default_factory=list)
    figures: list[Figure] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Run:
    """A finished run folder and its ``results.json``."""

    folder: Path
    results: dict[str, Any]

    @property
    def study(self) -> str:
        return str(self.results["study"])

    @property
    def name(self) -> str:
        return self.folder.name


# ----------------------------------------------------------------------------- reading
def _version_tuple(version: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", version)[:2]
    return tuple(int(p) for p in parts)


def load_run(folder: str | Path) -> Run:
    """Read a finished run folder; :class:`InputError` if it is not one this version can read.

    Refused: a folder without ``results.json``, a ``results.json`` that is not a JSON
    object with ``study`` and ``versions``, a study the export does not know, and a file
    written by a newer loyalty-workbench (major.minor) than this one.
    """
    from workbench import __version__
    from workbench.presentation.export_tables import BUILDERS

    folder = Path(folder)
    path = folder / "results.json"
    if not path.is_file():
        raise InputError(
            text("error.not_a_run", folder=folder),
            file=str(folder),
            hint=text("error.not_a_run_hint"),
        )
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            text("error.bad_json", reason=exc), file=str(path), hint=text("error.bad_json_hint")
        ) from None
    if not isinstance(results, dict) or "study" not in results:
        raise InputError(
            text("error.bad_json", reason="it has no 'study'"),
            file=str(path),
            hint=text("error.bad_json_hint"),
        )
    study = results["study"]
    if study not in BUILDERS:
        raise InputError(
            text("error.unknown_study", study=study),
            file=str(path),
            hint=text("error.unknown_study_hint", studies=", ".join(BUILDERS)),
        )
    versions = results.get("versions")
    version = versions.get("loyalty-workbench") if isinstance(versions, dict) else None
    if not isinstance(version, str) or not _version_tuple(version):
        raise InputError(
            text("error.unknown_version", version=version, ours=__version__),
            file=str(path),
            hint=text("error.unknown_version_hint"),
        )
    if _version_tuple(version) > _version_tuple(__version__):
        raise InputError(
            text("error.unknown_version", version=version, ours=__version__),
            file=str(path),
            hint=text("error.unknown_version_hint"),
        )
    return Run(folder, results)


def load_runs(folder: str | Path) -> list[Run]:
    """A run folder as one run, or a ``workbench batch`` folder as its runs (by name).

    Failed runs of a batch (no ``results.json``) are skipped with a warning.
    """
    folder = Path(folder)
    if (folder / "results.json").is_file() or not (folder / "batch.json").is_file():
        return [load_run(folder)]
    runs = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if (sub / "results.json").is_file():
            runs.append(load_run(sub))
        else:
            warnings.warn(text("warning.failed_run", run=sub.name), stacklevel=2)
    if not runs:
        raise InputError(
            text("error.not_a_run", folder=folder),
            file=str(folder),
            hint=text("error.not_a_run_hint"),
        )
    studies = sorted({r.study for r in runs})
    if len(studies) > 1:
        raise InputError(
            text("error.batch_mixed", studies=", ".join(studies)),
            file=str(folder),
            hint=text("error.batch_mixed_hint"),
        )
    return runs


# ----------------------------------------------------------------------------- building
def build_document(runs: Sequence[Run], *, figures_dir: Path | None = None) -> Document:
    """The document of one run (tables, paragraphs, references, figures) or of a batch.

    ``figures_dir``: where to draw the figures (PNG and SVG); ``None`` draws none.
    """
    from workbench.presentation.export_paragraphs import paragraphs
    from workbench.presentation.export_tables import build_tables

    if len(runs) == 1:
        run = runs[0]
        tables = build_tables(run.results)
        methods, results, cited = paragraphs(run.results)
        figures: list[Figure] = []
        if figures_dir is not None:
            from workbench.presentation.export_figures import draw_figures

            figures = draw_figures(run.results, figures_dir)
        return Document(
            title=text("document.title", study=text(f"study.{run.study}")),
            tables=tables,
            methods=methods,
            results=results,
            references=[REFERENCES[k] for k in sorted(cited)],
            figures=figures,
        )
    per_run = [build_tables(r.results) for r in runs]
    names = [r.name for r in runs]
    tables = compare_tables(per_run, names)
    _, _, cited = paragraphs(runs[0].results)
    return Document(
        title=text("document.title_batch", study=text(f"study.{runs[0].study}"), n=len(runs)),
        tables=tables,
        references=[REFERENCES[k] for k in sorted(cited)],
    )


def compare_tables(per_run: Sequence[Sequence[Table]], names: Sequence[str]) -> list[Table]:
    """Tables with the runs side by side: one column per run (:attr:`Table.compare`)."""
    out: list[Table] = []
    keys: list[str] = []
    for tables in per_run:
        for t in tables:
            if t.compare and t.key not in keys:
                keys.append(t.key)
    heads = [escape(n) for n in names]
    for key in keys:
        found = [next((t for t in tables if t.key == key), None) for tables in per_run]
        first = next(t for t in found if t is not None)
        labels: list[str] = []
        values: list[dict[str, str]] = []
        for table in found:
            got: dict[str, str] = {}
            if table is not None and first.compare == "transpose":
                for row in table.body[:1]:
                    for head, cell in zip(table.columns[1:], row[1:], strict=True):
                        got[head] = cell
            elif table is not None:
                for row in table.body:
                    got[row[0]] = row[table.compare_column]
            for label in got:
                if label not in labels:
                    labels.append(label)
            values.append(got)
        if first.compare == "transpose":
            corner = text("col.measure")
        else:
            corner = first.columns[0]
        rows = [[label] + [v.get(label, MISSING) for v in values] for label in labels]
        title = text("title.compare", title=first.title, n=len(names))
        note = (
            text("note.compare", runs=", ".join(heads))
            if first.compare == "transpose"
            else text(
                "note.compare_column",
                runs=", ".join(heads),
                column=first.columns[first.compare_column],
            )
        )
        out.append(
            Table(
                key=key,
                title=title,
                columns=[corner, *heads],
                rows=rows,
                note=note,
            )
        )
    return out


# ----------------------------------------------------------------------------- writers
def _italic_titles() -> bool:
    """APA sets table and figure titles in italics; Chinese has no italics (a slanted CJK
    glyph is a distortion), so Chinese titles are upright and only their symbols italic."""
    return i18n.get_language() == "en"


def _note_prefix() -> str:
    """``*Note.* `` (APA) or ``注：`` (Chinese: the full-width colon needs no space)."""
    label = text("note.label")
    return label if label.endswith("\uff1a") else label + " "


def _label(kind: str, number: int) -> str:
    return text(f"{kind}.label", number=number)


def table_markdown(table: Table, number: int) -> str:
    """One table as Markdown: bold number, italic title, a pipe table and the note."""
    width = len(table.columns)
    lines = [
        f"**{plain(_label('table', number))}**",
        "",
        render(table.title, "md", italic=_italic_titles()),
        "",
    ]
    lines.append("| " + " | ".join(render(c, "md") for c in table.columns) + " |")
    lines.append("|" + "|".join([":---"] + [":---:"] * (width - 1)) + "|")
    for row in table.rows:
        cells = row if len(row) == width else [f"*{row[0]}*"] + [""] * (width - 1)
        lines.append("| " + " | ".join(render(c, "md") for c in cells) + " |")
    if table.note:
        lines += ["", render(_note_prefix() + table.note, "md")]
    return "\n".join(lines)


def to_markdown(doc: Document) -> str:
    """The document as Markdown (GitHub pipe tables)."""
    parts = [f"# {render(doc.title, 'md')}"]
    if doc.methods:
        parts += [f"## {text('heading.method')}", *(render(p, "md") for p in doc.methods)]
    if doc.results:
        parts += [f"## {text('heading.results')}", *(render(p, "md") for p in doc.results)]
    if doc.tables:
        parts.append(f"## {text('heading.tables')}")
        parts += [table_markdown(t, i) for i, t in enumerate(doc.tables, 1)]
    if doc.figures:
        parts.append(f"## {text('heading.figures')}")
        for i, f in enumerate(doc.figures, 1):
            block = [
                f"**{plain(_label('figure', i))}**",
                "",
                render(f.title, "md", italic=_italic_titles()),
                "",
            ]
            block.append(f"![{plain(f.title)}]({f.png.parent.name}/{f.png.name})")
            if f.note:
                block += ["", render(_note_prefix() + f.note, "md")]
            parts.append("\n".join(block))
    if doc.references:
        parts.append(f"## {text('heading.references')}")
        parts += [render(r.apa, "md") for r in doc.references]
    return "\n\n".join(parts) + "\n"


def _tex_align(width: int) -> str:
    return "l" + "c" * (width - 1)


def table_latex(table: Table, number: int) -> str:
    """One table as LaTeX (booktabs): bold number, italic title, rules, the note below."""
    width = len(table.columns)
    lines = [
        r"\begin{table}[htbp]",
        r"\raggedright",
        rf"\textbf{{{render(_label('table', number), 'tex')}}}\par",
        rf"{render(table.title, 'tex', italic=_italic_titles())}\par\smallskip",
    ]
    wide = width > 8
    if wide:
        lines.append(r"\resizebox{\linewidth}{!}{%")
    lines += [
        rf"\begin{{tabular}}{{{_tex_align(width)}}}",
        r"\toprule",
        " & ".join(render(c, "tex") for c in table.columns) + r" \\",
        r"\midrule",
    ]
    for row in table.rows:
        if len(row) == width:
            lines.append(" & ".join(render(c, "tex") for c in row) + r" \\")
        else:
            lines.append(rf"\multicolumn{{{width}}}{{l}}{{\textit{{{render(row[0], 'tex')}}}}} \\")
    lines += [r"\bottomrule", r"\end{tabular}" + ("}" if wide else "")]
    if table.note:
        lines += [
            r"\par\smallskip",
            rf"{{\small {render(_note_prefix() + table.note, 'tex')}\par}}",
        ]
    lines.append(r"\end{table}")
    return "\n".join(lines)


LATEX_PREAMBLE = r"""\documentclass[12pt]{article}
\usepackage{iftex}
\ifPDFTeX
  \usepackage[utf8]{inputenc}
  \usepackage[T1]{fontenc}
\else
  \usepackage{fontspec}
  \IfFontExistsTF{Noto Serif CJK SC}{\usepackage{xeCJK}\setCJKmainfont{Noto Serif CJK SC}}{}
\fi
\usepackage{booktabs}
\usepackage{graphicx}
\usepackage[margin=2.5cm]{geometry}
\usepackage{url}
\begin{document}
"""


def to_latex(doc: Document) -> str:
    """The document as a LaTeX file (compile with XeLaTeX for Chinese labels)."""
    parts = [LATEX_PREAMBLE.rstrip(), rf"\section*{{{render(doc.title, 'tex')}}}"]
    if doc.methods:
        parts.append(rf"\subsection*{{{render(text('heading.method'), 'tex')}}}")
        parts += [render(p, "tex") for p in doc.methods]
    if doc.results:
        parts.append(rf"\subsection*{{{render(text('heading.results'), 'tex')}}}")
        parts += [render(p, "tex") for p in doc.results]
    parts += [table_latex(t, i) for i, t in enumerate(doc.tables, 1)]
    for i, f in enumerate(doc.figures, 1):
        block = [
            r"\begin{figure}[htbp]",
            r"\raggedright",
            rf"\textbf{{{render(_label('figure', i), 'tex')}}}\par",
            rf"{render(f.title, 'tex', italic=_italic_titles())}\par\smallskip",
            rf"\includegraphics[width=\linewidth]{{{f.png.parent.name}/{f.png.name}}}",
        ]
        if f.note:
            block.append(rf"{{\small {render(_note_prefix() + f.note, 'tex')}\par}}")
        block.append(r"\end{figure}")
        parts.append("\n".join(block))
    if doc.references:
        parts.append(rf"\subsection*{{{render(text('heading.references'), 'tex')}}}")
        parts += [r"\noindent\hangindent=2em " + render(r.apa, "tex") for r in doc.references]
    parts.append(r"\end{document}")
    return "\n\n".join(parts) + "\n"


HTML_STYLE = """
body { font-family: "Times New Roman", "Noto Serif CJK SC", serif; max-width: 60em;
       margin: 2em auto; line-height: 1.5; }
table.apa { border-collapse: collapse; margin: 0.5em 0; }
table.apa th, table.apa td { padding: 0.2em 0.8em; text-align: center; border: none; }
table.apa th:first-child, table.apa td:first-child { text-align: left; }
table.apa thead tr:first-child th { border-top: 1px solid black; }
table.apa thead tr:last-child th { border-bottom: 1px solid black; }
table.apa tbody tr:last-child td { border-bottom: 1px solid black; }
table.apa td.section { font-style: italic; text-align: left; }
p.table-number { font-weight: bold; margin-bottom: 0; }
p.table-title { font-style: italic; margin-top: 0.2em; }
html:lang(zh) p.table-title { font-style: normal; }
p.reference { padding-left: 2em; text-indent: -2em; }
"""


def table_html(table: Table, number: int) -> str:
    """One table as HTML with APA rules (top, below the header, bottom; no vertical lines)."""
    width = len(table.columns)
    out = [
        f"<p class='table-number'>{render(_label('table', number), 'html')}</p>",
        f"<p class='table-title'>{render(table.title, 'html')}</p>",
        "<table class='apa'>",
        "<thead><tr>" + "".join(f"<th>{render(c, 'html')}</th>" for c in table.columns),
        "</tr></thead><tbody>",
    ]
    for row in table.rows:
        if len(row) == width:
            out.append("<tr>" + "".join(f"<td>{render(c, 'html')}</td>" for c in row) + "</tr>")
        else:
            out.append(
                f"<tr><td class='section' colspan='{width}'>{render(row[0], 'html')}</td></tr>"
            )
    out.append("</tbody></table>")
    if table.note:
        out.append(f"<p class='note'>{render(_note_prefix() + table.note, 'html')}</p>")
    return "\n".join(out)


def to_html(doc: Document) -> str:
    """The document as one HTML page."""
    title = render(doc.title, "html")
    parts = [
        "<!DOCTYPE html>",
        f"<html lang='{i18n.HTML_LANG[i18n.get_language()]}'><head><meta charset='utf-8'>",
        f"<title>{plain(doc.title)}</title><style>{HTML_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
    ]
    if doc.methods:
        parts.append(f"<h2>{render(text('heading.method'), 'html')}</h2>")
        parts += [f"<p>{render(p, 'html')}</p>" for p in doc.methods]
    if doc.results:
        parts.append(f"<h2>{render(text('heading.results'), 'html')}</h2>")
        parts += [f"<p>{render(p, 'html')}</p>" for p in doc.results]
    parts += [table_html(t, i) for i, t in enumerate(doc.tables, 1)]
    for i, f in enumerate(doc.figures, 1):
        parts += [
            f"<p class='table-number'>{render(_label('figure', i), 'html')}</p>",
            f"<p class='table-title'>{render(f.title, 'html')}</p>",
            f"<img src='{f.svg.parent.name}/{f.svg.name}' alt='{plain(f.title)}' "
            "style='max-width:100%'>",
        ]
    if doc.references:
        parts.append(f"<h2>{render(text('heading.references'), 'html')}</h2>")
        parts += [f"<p class='reference'>{render(r.apa, 'html')}</p>" for r in doc.references]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------- Word
#: the East Asian font of the Word document per language (the w:eastAsia font of its styles)
#: and the font Word puts in its place where that one is not installed (w:altName in the
#: document's font table): Noto CJK (free; what LibreOffice finds on Linux) before the
#: Song / Ming typefaces that every Chinese Windows has, as Chinese theses are set in them.
DOCX_EAST_ASIAN_FONTS: dict[str, tuple[str, str]] = {
    "en": ("Noto Serif CJK SC", "SimSun"),
    "zh": ("Noto Serif CJK SC", "SimSun"),
    "zh-Hant": ("Noto Serif CJK TC", "PMingLiU"),
}
#: the East Asian language of the text (w:lang w:eastAsia), which picks the glyph variants
DOCX_EAST_ASIAN_LANG = {"en": "zh-CN", "zh": "zh-CN", "zh-Hant": "zh-TW"}
#: the East Asian font of Simplified Chinese (kept for callers of earlier versions)
DOCX_EAST_ASIAN_FONT = DOCX_EAST_ASIAN_FONTS["zh"][0]


def _docx_east_asian_font(style: Any, font: str, lang: str) -> None:
    """Give a style the East Asian font ``font`` and language (python-docx has no API)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)
    # a theme font (the template's headings use them) would win over the named font
    for attr in ("w:eastAsiaTheme", "w:asciiTheme", "w:hAnsiTheme", "w:cstheme"):
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]
    lang_element = r_pr.find(qn("w:lang"))
    if lang_element is None:
        lang_element = OxmlElement("w:lang")
        r_pr.append(lang_element)
    lang_element.set(qn("w:eastAsia"), lang)


def _docx_font_table(docx_doc: Any, font: str, alternative: str) -> None:
    """Declare ``font`` in the font table with ``alternative`` as its stand-in (w:altName)."""
    from docx.oxml.ns import qn
    from lxml import etree  # type: ignore[import-untyped]

    part = next(
        (p for p in docx_doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"),
        None,
    )
    if part is None:  # a template without a font table: the styles still name the font
        return
    root = etree.fromstring(part.blob)
    for old in root.findall(qn("w:font")):
        if old.get(qn("w:name")) == font:
            root.remove(old)
    entry = etree.SubElement(root, qn("w:font"))
    entry.set(qn("w:name"), font)
    alt = etree.SubElement(entry, qn("w:altName"))
    alt.set(qn("w:val"), alternative)
    charset = etree.SubElement(entry, qn("w:charset"))
    charset.set(qn("w:val"), "86" if alternative == "SimSun" else "88")  # GB2312 / Big5
    family = etree.SubElement(entry, qn("w:family"))
    family.set(qn("w:val"), "roman")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _docx_runs(paragraph: Any, markup: str, *, italic: bool = False, bold: bool = False) -> None:
    for span in parse(markup):
        run = paragraph.add_run(span.text)
        run.italic = span.italic or italic or None
        run.bold = span.bold or bold or None


def _cell_border(cell: Any, **edges: str) -> None:
    """Set a cell's borders, e.g. ``top="single"``, ``bottom="single"`` (python-docx has no API)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, val in edges.items():
        element = borders.find(qn(f"w:{edge}"))
        if element is None:
            element = OxmlElement(f"w:{edge}")
            borders.append(element)
        element.set(qn("w:val"), val)
        element.set(qn("w:sz"), "8")
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")


def _no_table_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


#: tables wider than this many columns go on a landscape page of their own (APA allows it)
DOCX_LANDSCAPE_COLUMNS = 10


def _docx_section(docx_doc: Any, *, landscape: bool) -> None:
    """Start a new page in portrait or landscape orientation."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    before = docx_doc.sections[-1]
    section = docx_doc.add_section(WD_SECTION.NEW_PAGE)
    wide, high = sorted((before.page_width, before.page_height), reverse=landscape)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = wide, high


def _docx_cell(cell: Any, markup: str, *, left: bool, size: Any, italic: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = cell.paragraphs[0]
    _docx_runs(paragraph, markup, italic=italic)
    for run in paragraph.runs:
        run.font.size = size
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = 0
    paragraph.paragraph_format.space_before = 0
    paragraph.paragraph_format.line_spacing = 1.0


def _docx_table(docx_doc: Any, table: Table, number: int) -> None:
    from docx.shared import Pt

    width = len(table.columns)
    landscape = width > DOCX_LANDSCAPE_COLUMNS
    if landscape:
        _docx_section(docx_doc, landscape=True)
    p = docx_doc.add_paragraph()
    _docx_runs(p, _label("table", number), bold=True)
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.keep_with_next = True
    p = docx_doc.add_paragraph()
    _docx_runs(p, table.title, italic=_italic_titles())
    p.paragraph_format.keep_with_next = True
    size = Pt(12 if width <= 6 else 10 if width <= 9 else 9)
    grid = docx_doc.add_table(rows=1 + len(table.rows), cols=width)
    grid.autofit = False
    _no_table_borders(grid)
    # column widths in proportion to their longest text, within the page's text width
    section = docx_doc.sections[-1]
    room = section.page_width - section.left_margin - section.right_margin
    lengths = [
        max(
            [len(plain(table.columns[j]))]
            + [len(plain(row[j])) for row in table.rows if len(row) == width]
        )
        + 2
        for j in range(width)
    ]
    for j, column in enumerate(grid.columns):
        share = int(room * lengths[j] / sum(lengths))
        column.width = share
        for cell in column.cells:
            cell.width = share
    for j, head in enumerate(table.columns):
        cell = grid.rows[0].cells[j]
        _docx_cell(cell, head, left=j == 0, size=size)
        _cell_border(cell, top="single", bottom="single")
    for i, row in enumerate(table.rows, 1):
        cells = grid.rows[i].cells
        if len(row) == width:
            for j, value in enumerate(row):
                _docx_cell(cells[j], value, left=j == 0, size=size)
        else:
            merged = cells[0].merge(cells[-1]) if width > 1 else cells[0]
            _docx_cell(merged, row[0], left=True, size=size, italic=True)
    for cell in grid.rows[-1].cells:
        _cell_border(cell, bottom="single")
    if table.note:
        p = docx_doc.add_paragraph()
        _docx_runs(p, _note_prefix() + table.note)
        for run in p.runs:
            run.font.size = size
        p.paragraph_format.space_before = Pt(3)
    if landscape:
        _docx_section(docx_doc, landscape=False)
    else:
        docx_doc.add_paragraph()


def write_docx(doc: Document, path: str | Path) -> Path:
    """The document as a Word file whose tables are real, editable tables.

    Latin text is set in Times New Roman; Chinese text in the East Asian font of the
    current language (:data:`DOCX_EAST_ASIAN_FONTS`, with its Windows stand-in in the
    font table), so that Word and LibreOffice draw it without missing glyphs.
    """
    import docx
    from docx.shared import Inches, Pt, RGBColor

    code = i18n.get_language()
    east_asian, alternative = DOCX_EAST_ASIAN_FONTS[code]
    out = docx.Document()
    normal = out.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    _docx_east_asian_font(normal, east_asian, DOCX_EAST_ASIAN_LANG[code])
    for name in ("Heading 1", "Heading 2"):  # APA headings: bold, black, the body's font
        heading = out.styles[name]
        heading.font.name = "Times New Roman"
        heading.font.color.rgb = RGBColor(0, 0, 0)
        heading.font.bold = True
        heading.font.size = Pt(12 if name == "Heading 2" else 14)
        _docx_east_asian_font(heading, east_asian, DOCX_EAST_ASIAN_LANG[code])
    _docx_font_table(out, east_asian, alternative)
    out.add_heading(plain(doc.title), level=1)
    if doc.methods:
        out.add_heading(text("heading.method"), level=2)
        for para in doc.methods:
            _docx_runs(out.add_paragraph(), para)
    if doc.results:
        out.add_heading(text("heading.results"), level=2)
        for para in doc.results:
            _docx_runs(out.add_paragraph(), para)
    for i, table in enumerate(doc.tables, 1):
        _docx_table(out, table, i)
    for i, fig in enumerate(doc.figures, 1):
        p = out.add_paragraph()
        _docx_runs(p, _label("figure", i), bold=True)
        _docx_runs(out.add_paragraph(), fig.title, italic=_italic_titles())
        out.add_picture(str(fig.png), width=Inches(6))
        if fig.note:
            _docx_runs(out.add_paragraph(), _note_prefix() + fig.note)
    if doc.references:
        out.add_heading(text("heading.references"), level=2)
        for ref in doc.references:
            p = out.add_paragraph()
            p.paragraph_format.left_indent = Inches(0.5)
            p.paragraph_format.first_line_indent = Inches(-0.5)
            _docx_runs(p, ref.apa)
    path = Path(path)
    out.save(str(path))
    return path


# ----------------------------------------------------------------------------- export
def export_run(
    run_dir: str | Path,
    *,
    to: Format = "docx",
    out: str | Path | None = None,
    lang: str = "en",
    figures: bool = True,
) -> Path:
    """Write the paper-ready document of a run (or batch) folder; returns its path.

    Parameters
    ----------
    run_dir
        A finished run folder (with ``results.json``) or a ``workbench batch`` folder.
    to
        ``docx`` (Word, editable tables), ``md``, ``tex`` (booktabs) or ``html``.
    out
        The document's path; default ``<run_dir>/export/paper.<suffix>``. The BibTeX file
        ``references.bib`` and the ``figures/`` folder go beside it.
    lang
        The language of the text: ``en`` (default), ``zh`` (Simplified Chinese) or
        ``zh-Hant`` (Traditional Chinese; common spellings such as ``zh-TW`` accepted).
        Headings, titles, column headers, notes and paragraphs are translated through
        the message catalogue; statistic symbols, numbers (APA style) and the reference
        list stay as they are.
    figures
        Draw the figures (PNG 300 dpi and SVG) into ``figures/`` beside the document.
    """
    if to not in FORMATS:
        raise InputError(text("error.format", to=to, formats=", ".join(FORMATS)))
    code = i18n.check_language(lang)
    with i18n.language(code):
        runs = load_runs(run_dir)
        path = Path(out) if out else Path(run_dir) / "export" / f"paper{SUFFIX[to]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        figures_dir = path.parent / "figures" if figures and len(runs) == 1 else None
        doc = build_document(runs, figures_dir=figures_dir)
        if to == "docx":
            write_docx(doc, path)
        elif to == "md":
            path.write_text(to_markdown(doc), encoding="utf-8")
        elif to == "tex":
            path.write_text(to_latex(doc), encoding="utf-8")
        else:
            path.write_text(to_html(doc), encoding="utf-8")
    bib = "\n\n".join(r.bibtex for r in doc.references)
    (path.parent / "references.bib").write_text(bib + "\n" if bib else "", encoding="utf-8")
    return path
