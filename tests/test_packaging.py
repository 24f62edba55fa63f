"""pyproject.toml and environment.yml list the same dependencies and the same critical pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
# conda-only entries with no pip counterpart in pyproject.toml
CONDA_ONLY = {"python", "pip"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pyproject_requirements() -> dict[str, dict[str, Requirement]]:
    project = pyproject()["project"]
    groups = {"runtime": project.get("dependencies", [])}
    groups.update(project.get("optional-dependencies", {}))
    return {
        group: {normalise(Requirement(r).name): Requirement(r) for r in reqs}
        for group, reqs in groups.items()
    }


def environment_specs() -> dict[str, str]:
    """``{name: version spec}`` of environment.yml, conda and pip sections together."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    entries: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            entries += [d for d in dep.get("pip", []) if not d.startswith("-")]
        else:
            entries.append(dep)
    out = {}
    for entry in entries:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", entry)
        assert match, f"cannot read environment.yml entry {entry!r}"
        name, spec = match.groups()
        out[normalise(name)] = spec.replace(" ", "")
    return out


def test_runtime_dependencies_are_the_same_in_both_files():
    runtime = set(pyproject_requirements()["runtime"])
    conda = set(environment_specs()) - CONDA_ONLY
    extras = set().union(*(set(r) for g, r in pyproject_requirements().items() if g != "runtime"))
    assert runtime - conda == set(), "in pyproject.toml but not environment.yml"
    assert conda - runtime - extras == set(), "in environment.yml but not pyproject.toml"


def test_development_extras_are_in_the_conda_environment():
    groups = pyproject_requirements()
    extras = set().union(*(set(r) for g, r in groups.items() if g != "runtime"))
    assert {"pytest", "ruff"} <= extras
    assert extras <= set(environment_specs())


def test_the_package_itself_is_installed_by_the_conda_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_python_version_agrees():
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    conda_python = environment_specs()["python"].lstrip("=")
    assert conda_python in requires


@pytest.mark.parametrize("version", ["1.8", "1.8.0", "1.9.0", "2.0"])
def test_scikit_learn_is_pinned_below_1_8_in_both_files(version):
    # factor_analyzer 0.5.1 passes `force_all_finite`, which scikit-learn 1.8 removed
    pip_spec = pyproject_requirements()["runtime"]["scikit-learn"].specifier
    conda_spec = SpecifierSet(environment_specs()["scikit-learn"])
    assert version not in pip_spec
    assert version not in conda_spec
    assert "1.7.2" in pip_spec and "1.7.2" in conda_spec


def test_factor_analyzer_is_pinned_to_the_same_version_in_both_files():
    pip_spec = pyproject_requirements()["runtime"]["factor-analyzer"].specifier
    conda_spec = SpecifierSet(environment_specs()["factor-analyzer"])
    assert pip_spec == conda_spec
    assert "0.5.1" in pip_spec


def test_installed_scikit_learn_respects_the_pin():
    from importlib.metadata import version

    assert version("scikit-learn") in pyproject_requirements()["runtime"]["scikit-learn"].specifier
