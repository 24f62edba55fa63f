"""The package's shape: layers as folders, the layer contract, no private names across them."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGE = ROOT / "workbench"
SUBPACKAGES = {
    "intake", "measurement", "sem", "drivers", "behaviour", "presentation", "studies", "runner",
    "simulate", "pls", "segmentation",
}  # fmt: skip
GROUND = {"errors", "results", "resampling", "safeyaml", "numerics", "validation", "i18n"}


def subpackage(module: str) -> str:
    """``workbench.sem.model`` -> ``sem``; ground modules are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_package_top_level_holds_only_layers_and_ground_modules():
    tops = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == SUBPACKAGES
    assert tops <= GROUND


def test_the_layer_contract_holds():
    """The same check `.ci/run` makes with `lint-imports` (contracts in pyproject.toml)."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


def test_no_private_name_is_imported_across_subpackages():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        importer = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench"):
                if subpackage(node.module or "") == subpackage(importer):
                    continue  # modules of one subpackage may share private helpers
                offenders += [
                    f"{importer}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and a.name != "__version__"
                ]
    assert not offenders


def test_notebooks_import_only_from_the_package_layers():
    """Notebooks start runs through `studies.begin` and show results through `presentation`."""
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert "begin(" in code and "report.begin(" not in code, notebook.name
        tree = ast.parse(code)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] == "workbench", (notebook.name, node.module)


@pytest.mark.parametrize("name", sorted(SUBPACKAGES - {"studies", "runner"}))
def test_each_statistics_and_presentation_layer_exports_its_public_api(name):
    import importlib

    module = importlib.import_module(f"workbench.{name}")
    assert module.__all__, name
    for exported in module.__all__:
        assert not exported.startswith("_")
        assert hasattr(module, exported), f"workbench.{name}.{exported}"
