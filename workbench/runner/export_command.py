"""``workbench export RUN_DIR --to docx|md|tex|html``: the paper-ready document of a run.

::

    workbench export RUN_DIR [--to docx|md|tex|html] [--out FILE] [--lang en|zh|zh-Hant]
                             [--style apa] [--no-figures]

``RUN_DIR`` is a finished run folder (``workbench run`` wrote its ``results.json``) or a
``workbench batch`` folder (one document, the runs side by side). The document goes to
``--out`` or ``RUN_DIR/export/paper.<format>``, with ``references.bib`` and ``figures/``
(PNG at 300 dpi and SVG) beside it. Nothing is recomputed: see
:mod:`workbench.presentation.export`.

``--lang zh`` (Simplified) or ``zh-Hant`` (Traditional Chinese) writes every heading, title,
column header, note and paragraph in Chinese (the message catalogue
``workbench/locale/zh/export.po``); symbols, numbers and the reference list stay as APA
has them.

Exit status: 0 done, 2 bad input (not a run folder, a results.json of an unknown study or
version, an unknown language), in one line naming it and what to do.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workbench import i18n
from workbench.errors import InputError
from workbench.presentation.export import FORMATS, export_run
from workbench.presentation.export_text import LANGUAGES, text

STYLES: tuple[str, ...] = ("apa",)


def add_export_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``export`` command to the ``workbench`` command line's subparsers."""
    export = subparsers.add_parser(
        "export",
        help="write a run's APA tables, figures and methods/results paragraphs as a document",
        description="Reads RUN_DIR/results.json (nothing is recomputed) and writes APA 7 "
        "tables (editable Word tables, Markdown, LaTeX booktabs or HTML), figures (PNG 300 "
        "dpi and SVG), a methods and a results paragraph and the references "
        "(references.bib beside the document). A batch folder gives one document with the "
        "runs side by side.",
    )
    export.add_argument("run_dir", metavar="RUN_DIR", help="run folder or batch folder")
    export.add_argument(
        "--to", choices=FORMATS, default="docx", help="document format (default: docx)"
    )
    export.add_argument(
        "--out", metavar="FILE", help="document path (default: RUN_DIR/export/paper.<format>)"
    )
    export.add_argument(
        "--lang",
        default="en",
        metavar="LANG",
        help=f"language of the document: {', '.join(LANGUAGES)} (Simplified or Traditional "
        "Chinese; default: en)",
    )
    export.add_argument(
        "--style", choices=STYLES, default="apa", help="table and number style (default: apa)"
    )
    export.add_argument(
        "--no-figures", action="store_true", help="do not draw the figures (faster)"
    )
    return export


def run_export(args: argparse.Namespace) -> int:
    """Run ``workbench export``; returns the exit status (2 for bad input, with the message)."""
    try:
        path = export_run(
            args.run_dir,
            to=args.to,
            out=args.out,
            lang=args.lang,
            figures=not args.no_figures,
        )
    except InputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    with i18n.language(args.lang):
        print(text("cli.document", path=path))
        print(text("cli.references", path=path.parent / "references.bib"))
        figures = path.parent / "figures"
        if not args.no_figures and figures.is_dir():
            print(text("cli.figures", path=figures))
    return 0
