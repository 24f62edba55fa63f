"""Sphinx extension: the parts of the documentation that are read from the code, not written.

Directives
----------
``.. study-facts:: NAME``
    The study's question, notebook, codebook use and its runs in ``make report``
    (from :data:`workbench.studies.STUDIES`).
``.. study-parameters:: NAME``
    The parameter table of a study (name, type and range, default, meaning) from its
    :class:`~workbench.studies.Param` objects, as ``workbench list`` prints them.
``.. example-report:: NAME``
    The example report of a study, run by ``docs/examples.py`` on the shipped data: the
    command, the headline, links to its files and the report itself in a frame.
``.. results-schema:: NAME`` (or ``common``)
    The keys a study's ``results.json`` holds, read from the example run; ``:contract:``
    lists keys that must be there (the build fails when one is missing).
``.. layer-diagram::``
    The package's layers, top to bottom, from the import-linter contract in pyproject.toml.
``.. api-toctree::``
    The API pages (one per subpackage, in layer order), generated into ``api/generated/``
    at the start of each build from each subpackage's ``__all__`` and its modules.

A missing example run, an unknown study or a missing contract key is a warning, so
``make docs`` (``-W``) fails rather than publish a page that is silently incomplete.
"""

from __future__ import annotations

import ast
import dataclasses
import html
import importlib
import inspect
import json
import math
import pkgutil
import re
import shlex
import shutil
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import workbench
from workbench.studies import PROJECT_ROOT, STUDIES, Study

logger = logging.getLogger(__name__)
EXAMPLE_FILES = ("report.html", "results.json", "notebook.ipynb")
GROUND_TITLE = "ground"
# the API pages written at the start of the build, in layer order
API_PAGES: list[str] = []


# --------------------------------------------------------------------------- helpers
def _table(
    header: list[str], rows: list[list[Any]], classes: list[str] | None = None
) -> nodes.table:
    """A docutils table; a cell is text, or a node (e.g. a literal)."""
    table = nodes.table(classes=classes or [])
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)

    def row(cells: list[Any]) -> nodes.row:
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, nodes.Inline):
                entry += nodes.paragraph("", "", cell)
            elif isinstance(cell, nodes.Node):
                entry += cell
            else:
                entry += nodes.paragraph(text=str(cell))
            r += entry
        return r

    thead = nodes.thead()
    thead += row(header)
    group += thead
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += body
    return table


def _literal(text: str) -> nodes.literal:
    return nodes.literal(text=text)


def _study(directive: SphinxDirective, name: str) -> Study | None:
    if name not in STUDIES:
        logger.warning(
            f"unknown study {name!r} (known: {', '.join(STUDIES)})",
            location=directive.get_location(),
        )
        return None
    return STUDIES[name]


def _examples_dir(directive: SphinxDirective) -> Path:
    return Path(directive.env.config.workbench_examples)


def _manifest(directive: SphinxDirective) -> dict[str, Any] | None:
    path = _examples_dir(directive) / "manifest.json"
    if not path.exists():
        logger.warning(
            f"no example runs in {path.parent}: build with `make docs` (it runs "
            "docs/examples.py first)",
            location=directive.get_location(),
        )
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _results(directive: SphinxDirective, name: str) -> dict[str, Any] | None:
    path = _examples_dir(directive) / name / "results.json"
    if not path.exists():
        logger.warning(
            f"no results.json of an example run of {name!r} ({path}): build with `make docs`",
            location=directive.get_location(),
        )
        return None
    directive.env.note_dependency(str(path))
    return json.loads(path.read_text(encoding="utf-8"))


def _wrap_command(command: str) -> str:
    """A ``workbench`` command on several lines: one option and its value per line."""
    words = shlex.split(command)
    lines, current = [], [shlex.quote(w) for w in words[:3]]
    for word in words[3:]:
        if word.startswith("--"):
            lines.append(" ".join(current))
            current = [word]
        else:
            current.append(shlex.quote(word))
    lines.append(" ".join(current))
    return " \\\n    ".join(lines)


def _default_text(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value == "" else value
    return json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------- studies
class StudyFacts(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        spec = _study(self, self.arguments[0])
        if spec is None:
            return []
        usage = {"required": " --codebook FILE", "optional": " [--codebook FILE]"}
        fields = nodes.field_list()

        def field(name: str, *body: nodes.Node) -> None:
            f = nodes.field()
            f += nodes.field_name(text=name)
            content = nodes.field_body()
            for b in body:
                content += b
            f += content
            fields.append(f)

        field("Question", nodes.paragraph(text=spec.description))
        field("Title of its report", nodes.paragraph(text=spec.title))
        field("Notebook", nodes.paragraph("", "", _literal(f"notebooks/{spec.notebook}")))
        field("Codebook", nodes.paragraph(text=spec.codebook_text.removeprefix("codebook: ")))
        field(
            "Usage",
            nodes.literal_block(
                text=f"workbench run {spec.name} --data FILE{usage.get(spec.codebook_use, '')}"
                " [--param KEY=VALUE ...] [--out DIR]"
            ),
        )
        runs = [
            _wrap_command(spec.command(r.data, r.codebook, r.params)) for r in spec.default_runs
        ]
        field(
            "make report runs",
            nodes.literal_block(text="\n".join(runs), language="bash"),
        )
        return [fields]


class StudyParameters(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        spec = _study(self, self.arguments[0])
        if spec is None:
            return []
        rows = [
            [
                _literal(p.name),
                p.type_text,
                p.default_text if p.default_by else _literal(_default_text(p.default)),
                p.help,
            ]
            for p in spec.params
        ]
        table = _table(
            ["parameter", "type", "default", "meaning"], rows, classes=["workbench-params"]
        )
        note = nodes.paragraph()
        for part in (
            "Generated from the study registry (",
            _literal("workbench.studies"),
            ") when these pages are built: the table ",
            _literal("workbench list"),
            " prints. Values given with ",
            _literal("--param KEY=VALUE"),
            " are read as YAML and checked (type, choices, range) before anything runs; ",
            _literal("data"),
            ", ",
            _literal("codebook"),
            ", ",
            _literal("output_dir"),
            " and ",
            _literal("command"),
            " are set by ",
            _literal("workbench run"),
            " itself.",
        ):
            note += nodes.Text(part) if isinstance(part, str) else part
        return [table, note]


class ExampleReport(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if _study(self, name) is None:
            return []
        manifest = _manifest(self)
        if manifest is None:
            return []
        entry = manifest.get(name)
        folder = _examples_dir(self) / name
        missing = [f for f in EXAMPLE_FILES if not (folder / f).exists()]
        if entry is None or entry.get("status") != 0 or missing:
            logger.warning(
                f"the example run of {name!r} is missing or failed ({folder}): rebuild with "
                "`make docs`",
                location=self.get_location(),
            )
            return []
        results = _results(self, name) or {}
        self.env.note_dependency(str(folder / "report.html"))
        depth = self.env.docname.count("/")
        base = "../" * depth + f"examples/{name}/"
        out: list[nodes.Node] = [
            nodes.paragraph(
                text=f"Made by this command in the project folder when these pages were built "
                f"({entry['seconds']:.0f} s on the build machine):"
            ),
            nodes.literal_block(text=_wrap_command(entry["command"]), language="bash"),
        ]
        headline = results.get("headline")
        if headline:
            out.append(nodes.paragraph(text=f"Headline: {_headline_text(headline)}"))
        links = " · ".join(
            f'<a href="{base}{f}">{label}</a>'
            for f, label in (
                ("report.html", "the report (opens on its own, offline)"),
                ("results.json", "results.json"),
                ("notebook.ipynb", "the executed notebook (with code)"),
            )
        )
        out.append(nodes.raw("", f'<p class="workbench-report-links">{links}</p>', format="html"))
        out.append(
            nodes.raw(
                "",
                f'<iframe class="workbench-report" src="{base}report.html" loading="lazy" '
                f'title="{html.escape(name)} example report"></iframe>',
                format="html",
            )
        )
        return out


def _headline_text(headline: Any) -> str:
    if isinstance(headline, dict):
        return "; ".join(f"{k}: {_short(v)}" for k, v in headline.items())
    return _short(headline, 300)


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.4g}"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace(str(PROJECT_ROOT) + "/", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- study pages
# the study pages in registry order: a written page, or one generated from the registry
STUDY_PAGES: dict[str, str] = {}

GENERATED_STUDY_PAGE = """\
{title}
{underline}

.. study-facts:: {name}

.. note::

   This page is generated from the study registry: no page has been written for this study
   yet (``docs/studies/{name}.rst`` replaces it).

Parameters
----------

.. study-parameters:: {name}

Example report
--------------

.. example-report:: {name}

``results.json``
----------------

.. results-schema:: {name}

{methods}"""


def generate_study_pages(app: Sphinx) -> None:
    """Write ``studies/generated/NAME.rst`` for each registered study without a written page."""
    folder = Path(app.srcdir) / "studies"
    generated = folder / "generated"
    generated.mkdir(parents=True, exist_ok=True)
    STUDY_PAGES.clear()
    for name, spec in STUDIES.items():
        if (folder / f"{name}.rst").exists():
            STUDY_PAGES[name] = f"studies/{name}"
            continue
        module = f"workbench.studies.{name.replace('-', '_')}"
        try:
            importlib.import_module(module)
            methods = f"Methods\n-------\n\n.. automodule:: {module}\n   :no-index:\n"
        except ImportError:
            methods = ""
        title = spec.title.split(":")[0].strip()
        text = GENERATED_STUDY_PAGE.format(
            title=title, underline="=" * len(title), name=name, methods=methods
        )
        path = generated / f"{name}.rst"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        STUDY_PAGES[name] = f"studies/generated/{name}"
    for stale in generated.glob("*.rst"):
        if STUDY_PAGES.get(stale.stem) != f"studies/generated/{stale.stem}":
            stale.unlink()


class StudyToctree(SphinxDirective):
    """``study-toctree::``: every registered study, its question and codebook use, linked."""

    def run(self) -> list[nodes.Node]:
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 25 55 20",
            "",
            "   * - study",
            "     - question",
            "     - codebook",
        ]
        for name, spec in STUDIES.items():
            lines += [
                f"   * - :doc:`/{STUDY_PAGES[name]}`",
                f"     - {spec.description}",
                f"     - {spec.codebook_use}",
            ]
        lines += ["", ".. toctree::", "   :hidden:", ""]
        lines += [f"   /{STUDY_PAGES[name]}" for name in STUDIES]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=""), node)
        return node.children


# --------------------------------------------------------------------------- results.json
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# a dict with more same-shaped entries than this is keyed by data (items, periods, ...)
MANY = 12


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        kinds = sorted({_type(v) for v in value})
        return "list" + (f" of {' | '.join(kinds)}" if kinds else "")
    return "object"


def _shape(value: Any) -> Any:
    """The structure of a value without its data, to tell data-keyed dicts from records."""
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, _shape(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", _shape(value[0]) if value else None)
    t = _type(value)
    return "number" if t in ("integer", "number", "null") else t


def _keyed_by_data(value: dict[str, Any]) -> bool:
    if len(value) < 2:
        return False
    shapes = {_shape(v) for v in value.values()}
    if len(shapes) != 1:
        return False
    (shape,) = shapes
    odd_keys = any(not IDENTIFIER.match(k) for k in value)
    return odd_keys or len(value) > MANY or (isinstance(shape, tuple) and shape[0] == "object")


def _schema_rows(value: Any, path: str, rows: list[list[Any]], depth: int = 0) -> None:
    """``[path, type, example]`` rows for a JSON value, data-keyed dicts folded to ``<key>``."""
    if isinstance(value, dict) and value:
        if _keyed_by_data(value):
            keys = list(value)
            shown = ", ".join(keys[:3]) + (", …" if len(keys) > 3 else "")
            rows.append([_literal(path), f"object keyed by data ({len(keys)} here)", shown])
            _schema_rows(value[keys[0]], f"{path}.<key>", rows, depth + 1)
            return
        if path:
            rows.append([_literal(path), "object", ""])
        for key, sub in value.items():
            _schema_rows(sub, f"{path}.{key}" if path else key, rows, depth + 1)
        return
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        rows.append([_literal(path), f"list of object ({len(value)} here)", ""])
        _schema_rows(value[0], f"{path}[]", rows, depth + 1)
        return
    example = "" if value in ([], {}, None, "") else _short(value)
    rows.append([_literal(path), _type(value) if value != {} else "object", example])


# what the keys every run writes mean (a key missing here is still listed, without a meaning)
COMMON_KEYS = {
    "study": "the study's name",
    "parameters": "every parameter of the study with the value used (see the study's page)",
    "data_file": "the data file, as an absolute path",
    "data_sha256": "SHA-256 of the data file",
    "codebook_file": "the codebook file, or null",
    "n_used": "respondents (or members) the analysis used",
    "missing": "the missing-data treatment and how many respondents (or rows) it kept",
    "warnings": "every warning of the run, as text",
    "versions": "{package: version} of Python and every package the run used",
    "started": "when the run started (ISO 8601)",
    "finished": "when the run finished (ISO 8601)",
    "command": "the exact workbench run command that reproduces the run",
    "headline": "the figures the batch index compares side by side",
}


class ResultsSchema(SphinxDirective):
    """``results-schema:: NAME``: the keys of NAME's results.json; ``common``: those of all."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"contract": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        all_results = {}
        for study in STUDIES:
            r = _results(self, study)
            if r is None:
                return []
            all_results[study] = r
        common = set.intersection(*(set(r) for r in all_results.values()))
        # common keys shown once; a mapping whose keys differ by study is shown per study
        same = {
            k
            for k in common
            if k in ("parameters", "versions")
            or not any(isinstance(r[k], dict) for r in all_results.values())
            or len({tuple(sorted(r[k])) for r in all_results.values()}) == 1
        }
        if name == "common":
            first = all_results[next(iter(STUDIES))]
            rows = []
            for key in first:
                if key not in common:
                    continue
                types = sorted({_type(r[key]) for r in all_results.values()})
                what = COMMON_KEYS.get(key, "")
                if key not in same:
                    what += " (keys differ by study: see below)"
                rows.append([_literal(key), " | ".join(types), what])
            contract = (self.options.get("contract") or "").split()
            self._check(contract, common, "every study")
            return [_table(["key", "type", "contents"], rows)]
        if _study(self, name) is None:
            return []
        self.env.temp_data.setdefault("workbench_schemas", set()).add(name)
        results = all_results[name]
        contract = (self.options.get("contract") or "").split()
        self._check(contract, set(results), name)
        own = {k: v for k, v in results.items() if k not in same}
        rows: list[list[Any]] = []
        _schema_rows(own, "", rows)
        return [
            _table(["key", "type", "example from the run on the shipped data"], rows),
        ]

    def _check(self, contract: list[str], keys: set[str], who: str) -> None:
        for key in contract:
            if key not in keys:
                logger.warning(
                    f"results.json of {who} lacks the documented key {key!r}",
                    location=self.get_location(),
                )


class OtherSchemas(SphinxDirective):
    """``results-schema-others::``: the keys of each study not given a section above it."""

    def run(self) -> list[nodes.Node]:
        seen = self.env.temp_data.get("workbench_schemas", set())
        lines: list[str] = []
        for name in STUDIES:
            if name not in seen:
                lines += [f".. rubric:: {name}", "", f".. results-schema:: {name}", ""]
        if not lines:
            lines = ["None: every registered study has its section above."]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source=""), 0, node)
        return node.children


# --------------------------------------------------------------------------- references (R)
def _r_script_summary(script: Path) -> str:
    """The first comment paragraph of a committed R script, without its run instructions."""
    lines = []
    for line in script.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text:
            if lines:
                break
            continue
        if text.startswith(("Run from", "Rscript", "Writes", "writes", "It writes")):
            continue
        lines.append(text)
    return " ".join(lines)


class ReferenceFiles(SphinxDirective):
    """``reference-files::``: each file of tests/reference/, the R script that made it, its tests."""

    def run(self) -> list[nodes.Node]:
        folder = PROJECT_ROOT / "tests" / "reference"
        tests = {
            path.name: path.read_text(encoding="utf-8")
            for path in sorted((PROJECT_ROOT / "tests").glob("*.py"))
        }
        rows = []
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".json", ".csv"):
                continue
            script = path.with_suffix(".R")
            readers = [name for name, text in tests.items() if path.name in text]
            what = _r_script_summary(script) if script.exists() else ""
            what += (" " if what else "") + "Read by " + (", ".join(readers) or "no test") + "."
            rows.append(
                [
                    _literal(path.name),
                    _literal(script.name) if script.exists() else "—",
                    what,
                ]
            )
            self.env.note_dependency(str(path))
        if not rows:
            logger.warning(f"no reference files in {folder}", location=self.get_location())
        return [_table(["values", "made by", "what"], rows)]


# --------------------------------------------------------------------------- methods
class MethodNotes(SphinxDirective):
    """``method-notes:: DOTTED.NAME ...``: the Notes and References of each docstring.

    The method sections of the study pages are the docstrings of the functions that do the
    work (numpydoc ``Notes`` and ``References``), so the formulas and citations are written
    once, next to the code and its R-matched tests.
    """

    required_arguments = 1
    optional_arguments = 30

    def run(self) -> list[nodes.Node]:
        from numpydoc.docscrape import NumpyDocString

        out: list[nodes.Node] = []
        for dotted in self.arguments:
            found, obj = _import_object(dotted)
            if not found:
                logger.warning(
                    f"method-notes: cannot import {dotted}", location=self.get_location()
                )
                continue
            doc = NumpyDocString(inspect.getdoc(obj) or "")
            notes, refs = doc["Notes"], doc["References"]
            if not notes and not refs:
                logger.warning(
                    f"method-notes: {dotted} has neither Notes nor References",
                    location=self.get_location(),
                )
            summary = " ".join(doc["Summary"]).strip()
            role = "class" if isinstance(obj, type) else "func"
            text = [f".. rubric:: :{role}:`~{dotted}`", "", summary, ""]
            text += [*notes, ""]
            if refs:
                text += ["*References.*", "", *refs, ""]
            module = dotted.rsplit(".", 1)[0] if role == "class" else obj.__module__
            previous = self.env.ref_context.get("py:module")
            self.env.ref_context["py:module"] = module  # short references as in the docstring
            try:
                node = nodes.section()
                node.document = self.state.document
                self.state.nested_parse(StringList(text, source=dotted), 0, node)
                out += node.children
            finally:
                if previous is None:
                    self.env.ref_context.pop("py:module", None)
                else:
                    self.env.ref_context["py:module"] = previous
        return out


# --------------------------------------------------------------------------- layers and API
def _layers() -> list[list[str]]:
    """The layer contract of pyproject.toml: packages per layer, top first."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract.get("type") == "layers":
            return [[p.strip() for p in layer.split("|")] for layer in contract["layers"]]
    raise RuntimeError("pyproject.toml has no import-linter layers contract")


def _summary(module_name: str) -> str:
    doc = importlib.import_module(module_name).__doc__ or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first.rstrip(".")


def _is_ground(layer: list[str]) -> bool:
    return all(
        importlib.import_module(p).__spec__.submodule_search_locations is None for p in layer
    )


class LayerDiagram(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        layers = _layers()
        lines = []
        width = max(
            len(" | ".join(p.removeprefix("workbench.") for p in layer)) for layer in layers
        )
        for i, layer in enumerate(layers):
            names = " | ".join(p.removeprefix("workbench.") for p in layer)
            what = (
                "(ground)"
                if _is_ground(layer) and len(layer) > 1
                else "(statistics)"
                if len(layer) > 1
                else ""
            )
            lines.append(f"{names:<{width}}  {what}".rstrip())
            if i < len(layers) - 1:
                lines.append("    ↓")
        block = nodes.literal_block(text="\n".join(lines))
        container = nodes.container(classes=["workbench-layers"])
        container += block
        rows = []
        for i, layer in enumerate(layers, 1):
            for package in layer:
                summary, _ = self.state.inline_text(_summary(package), self.lineno)
                rows.append([str(i), _literal(package), nodes.paragraph("", "", *summary)])
        return [container, _table(["layer", "package", "what it holds"], rows)]


def _api_pages() -> dict[str, str]:
    """``{page name: reST}``: one page per subpackage (layer order), one for the ground."""
    pages: dict[str, str] = {}
    ground: list[str] = []
    for layer in _layers():
        for package in layer:
            module = importlib.import_module(package)
            if module.__spec__.submodule_search_locations is None:
                ground.append(package)
                continue
            pages[package.removeprefix("workbench.")] = _package_page(package)
    # subpackages not (yet) in the contract still get a page
    for info in pkgutil.iter_modules(workbench.__path__, "workbench."):
        short = info.name.removeprefix("workbench.")
        if info.ispkg and short not in pages:
            pages[short] = _package_page(info.name)
        elif not info.ispkg and info.name not in ground:
            ground.append(info.name)
    lines = [
        "Ground modules",
        "==============",
        "",
        "They import nothing from the rest of the package; every layer may use them.",
        "",
    ]
    for name in ground:
        lines += _module_section(name, "-")
    pages[GROUND_TITLE] = "\n".join(lines) + "\n"
    return pages


def _submodules(package: Any) -> list[pkgutil.ModuleInfo]:
    """A package's public modules (never ``__main__``, whose import would run it)."""
    return [
        info
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
        if not info.name.rsplit(".", 1)[1].startswith("_")
    ]


# every public name a module defines (its __all__ may list fewer), fields of result classes
# included; values of module constants are left out (some are whole tables)
AUTOMODULE_OPTIONS = ("   :members:", "   :undoc-members:", "   :ignore-module-all:")


CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _undocumented_constants(module_name: str) -> list[str]:
    """Public module constants (``NAME = ...``) without a doc comment, which autodoc skips."""
    from sphinx.pycode import ModuleAnalyzer

    module = importlib.import_module(module_name)
    source = Path(module.__file__ or "")
    if source.suffix != ".py":
        return []
    documented = {name for (_, name) in ModuleAnalyzer.for_module(module_name).find_attr_docs()}
    names = []
    for stmt in ast.parse(source.read_text(encoding="utf-8")).body:
        targets = (
            stmt.targets
            if isinstance(stmt, ast.Assign)
            else [stmt.target]
            if isinstance(stmt, ast.AnnAssign) and stmt.value is not None
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name) and CONSTANT.match(target.id):
                if target.id not in documented and target.id not in names:
                    names.append(target.id)
    return names


def _module_section(module_name: str, underline: str) -> list[str]:
    title = f"``{module_name}``"
    lines = [title, underline * len(title), "", f".. automodule:: {module_name}"]
    lines += [*AUTOMODULE_OPTIONS, ""]
    module = importlib.import_module(module_name)
    for name in _undocumented_constants(module_name):
        value = repr(getattr(module, name, None))
        lines.append(f".. autodata:: {module_name}.{name}")
        if len(value) > 70 or "\n" in value:
            lines.append("   :no-value:")
        lines.append("")
    return lines


def _package_page(package_name: str) -> str:
    package = importlib.import_module(package_name)
    title = f"``{package_name}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {package_name}", *AUTOMODULE_OPTIONS]
    lines.append("")
    for name in _undocumented_constants(package_name):
        lines += [f".. autodata:: {package_name}.{name}", "   :no-value:", ""]
    public = list(getattr(package, "__all__", []))
    if public:
        lines += [
            ".. rubric:: Public names",
            "",
            f"``from {package_name} import NAME`` for each of these:",
            "",
            ".. autosummary::",
            "",
        ]
        lines += [f"   {n}" for n in public]  # its public name; the link finds where it lives
        lines.append("")
    for info in _submodules(package):
        lines += _module_section(info.name, "-")
    return "\n".join(lines) + "\n"


def generate_api_pages(app: Sphinx) -> None:
    """Write ``api/generated/*.rst`` (rewritten only when their text changes)."""
    folder = Path(app.srcdir) / "api" / "generated"
    folder.mkdir(parents=True, exist_ok=True)
    pages = _api_pages()
    for name, text in pages.items():
        path = folder / f"{name}.rst"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in folder.glob("*.rst"):
        if stale.stem not in pages:
            stale.unlink()
    API_PAGES[:] = list(pages)


class ApiToctree(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        top = getattr(workbench, "__all__", None)
        text = []
        if top:
            text += [
                "The top level, ``import workbench as wb``, gives these names:",
                "",
                ".. autosummary::",
                "",
            ]
            # the public name; the link finds where the object is documented
            text += [f"   ~workbench.{name}" for name in top]
            text.append("")
        text += [".. toctree::", "   :maxdepth: 1", ""]
        text += [f"   generated/{name}" for name in API_PAGES]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(text, source=""), node)
        return node.children


# --------------------------------------------------------------------------- references
def _import_object(name: str) -> tuple[bool, Any]:
    """``(found, object)`` for a dotted name, importing its longest module prefix."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False, None
        return True, obj
    return False, None


def resolve_python_name(
    app: Sphinx, env: Any, node: nodes.Element, contnode: nodes.Node
) -> nodes.Node | None:
    """Resolve a reference the way Python resolves the name, when Sphinx cannot.

    A docstring of ``workbench.intake.data`` may say :class:`InputError` (imported there
    from ``workbench.errors``), a package may list ``efa`` (defined in
    ``workbench.measurement.factors``): the name is looked up as Python would, from the
    module (and class) of the reference, and the link goes to the one place the object is
    documented. A name that is documented nowhere still fails the build.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    if not target.startswith("workbench") and not (node.get("py:module") or "").startswith(
        "workbench"
    ):
        return None
    domain = env.get_domain("py")
    module, cls = node.get("py:module"), node.get("py:class")
    bases = [f"{module}.{cls}" if module and cls else None, module, None]
    for base in [b for b in bases if b is not None] + [""]:
        name = f"{base}.{target}" if base else target
        found, obj = _import_object(name)
        if not found:
            continue
        for candidate in _documented_names(domain, obj, name):
            ref = domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
            )
            if ref is not None:
                return ref
    # a summary line shown away from its module (autosummary): a name documented exactly once
    last = "." + target.rsplit(".", 1)[-1]
    matches = [n for n in domain.objects if n.endswith(last) and n.startswith("workbench.")]
    if len(matches) == 1:
        return domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], matches[0], node, contnode
        )
    return None


def dataclass_factories(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    """Write a dataclass field's ``default_factory`` as a call (``dict()``), not ``<factory>``.

    ``<factory>`` is no Python expression, so Sphinx could not parse such a signature and
    split its annotations at every comma.
    """
    if not signature or "<factory>" not in signature or not dataclasses.is_dataclass(obj):
        return None
    for field in dataclasses.fields(obj):
        if field.default_factory is not dataclasses.MISSING:
            factory = getattr(field.default_factory, "__name__", "factory")
            signature = signature.replace("<factory>", f"{factory}()", 1)
    return signature, return_annotation


def _documented_names(domain: Any, obj: Any, name: str) -> list[str]:
    """Names under which ``obj`` may be documented: where it is defined, then by identity."""
    names = []
    home, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(home, str) and isinstance(qual, str):
        names.append(f"{home}.{qual}")
    last = name.rsplit(".", 1)[-1]
    for documented in list(domain.objects):
        if documented.rsplit(".", 1)[-1] == last and documented not in names:
            found, other = _import_object(documented)
            if found and other is obj:
                names.append(documented)
    return names


# --------------------------------------------------------------------------- example files
def copy_examples(app: Sphinx, exc: Exception | None) -> None:
    """Copy the example runs' files into the built site (``examples/<study>/``)."""
    if exc is not None or app.builder.format != "html":
        return
    source = Path(app.config.workbench_examples)
    for name in STUDIES:
        target = Path(app.outdir) / "examples" / name
        target.mkdir(parents=True, exist_ok=True)
        for f in EXAMPLE_FILES:
            if (source / name / f).exists():
                shutil.copy2(source / name / f, target / f)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value(
        "workbench_examples",
        str(Path(__file__).resolve().parents[1] / "_build" / "examples"),
        "env",
    )
    app.add_directive("study-facts", StudyFacts)
    app.add_directive("study-parameters", StudyParameters)
    app.add_directive("example-report", ExampleReport)
    app.add_directive("results-schema", ResultsSchema)
    app.add_directive("layer-diagram", LayerDiagram)
    app.add_directive("method-notes", MethodNotes)
    app.add_directive("reference-files", ReferenceFiles)
    app.add_directive("api-toctree", ApiToctree)
    app.connect("builder-inited", generate_api_pages)
    app.connect("builder-inited", generate_study_pages)
    app.add_directive("study-toctree", StudyToctree)
    app.add_directive("results-schema-others", OtherSchemas)
    app.connect("build-finished", copy_examples)
    app.connect("missing-reference", resolve_python_name)
    app.connect("autodoc-process-signature", dataclass_factories)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
