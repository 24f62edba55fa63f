"""pyproject.toml, environment.yml and the lock files agree.

pyproject.toml holds compatible ranges (for people who pip-install the package into their own
environment), environment.yml the same ranges for conda, and requirements/*.lock the exact,
hashed versions that ``make report``/``make test``/``make lab``/``make docs`` and CI install.
"""

from __future__ import annotations

import os
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
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", entry)
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
    # the tests' cross-check of the EFA fits (dev extra); the package itself does not use it
    pip_spec = pyproject_requirements()["dev"]["factor-analyzer"].specifier
    conda_spec = SpecifierSet(environment_specs()["factor-analyzer"])
    assert pip_spec == conda_spec
    assert "0.5.1" in pip_spec


def test_installed_scikit_learn_respects_the_pin():
    from importlib.metadata import version

    assert version("scikit-learn") in pyproject_requirements()["runtime"]["scikit-learn"].specifier


def test_environment_yml_uses_the_same_ranges_as_pyproject():
    env = environment_specs()
    for group in pyproject_requirements().values():
        for name, req in group.items():
            assert SpecifierSet(env[name]) == req.specifier, f"{name}: {env[name]} vs {req}"


# --- the lock files -------------------------------------------------------------------------

LOCKS = ROOT / "requirements"
# which extras of pyproject.toml each lock file installs (see the Makefile's `lock` target)
LOCK_EXTRAS = {
    "base.lock": ["dev"],
    "test.lock": ["dev", "spark"],
    "lab.lock": ["dev", "lab"],
    "docs.lock": ["dev", "docs"],
}
# the machines the project supports; markers in the universal lock are evaluated for each
ENVIRONMENTS = [
    {
        "python_full_version": "3.11.7",
        "python_version": "3.11",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": machine,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
    }
    for machine in ("x86_64", "aarch64")
]


def read_lock(name: str) -> list[tuple[Requirement, list[str]]]:
    """``(requirement, hashes)`` per entry of a pip-format lock file (continuation lines joined)."""
    text = (LOCKS / name).read_text(encoding="utf-8").replace("\\\n", " ")
    entries = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        requirement, *options = line.split(" --hash=")
        entries.append((Requirement(requirement.strip()), [o.strip() for o in options]))
    return entries


def pins(name: str, environment: dict[str, str]) -> dict[str, str]:
    """``{package: exact version}`` that a lock file installs on one environment."""
    out: dict[str, str] = {}
    for req, _ in read_lock(name):
        if req.marker is None or req.marker.evaluate(environment):
            (spec,) = req.specifier
            assert spec.operator == "==", f"{name}: {req} is not an exact pin"
            assert normalise(req.name) not in out, f"{name}: {req.name} pinned twice"
            out[normalise(req.name)] = spec.version
    return out


@pytest.mark.parametrize("lock", sorted(LOCK_EXTRAS))
def test_every_locked_package_is_pinned_exactly_with_hashes(lock):
    entries = read_lock(lock)
    assert len(entries) > 50
    for req, hashes in entries:
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", str(req)
        assert hashes and all(h.startswith("sha256:") and len(h) == 71 for h in hashes), str(req)


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda e: e["platform_machine"])
@pytest.mark.parametrize("lock", sorted(LOCK_EXTRAS))
def test_lock_satisfies_pyproject(lock, environment):
    """Each lock pins every requirement of pyproject.toml (and its extras) inside its range."""
    groups = pyproject_requirements()
    locked = pins(lock, environment)
    build = [Requirement(r) for r in pyproject()["build-system"]["requires"]]
    for group in ["runtime", *LOCK_EXTRAS[lock]]:
        for name, req in groups[group].items():
            assert name in locked, f"{lock} does not pin {name} ({group})"
            assert locked[name] in req.specifier, f"{lock}: {name}=={locked[name]} vs {req}"
    for req in build:  # the build backend, for `pip install --no-build-isolation -e .`
        assert locked[normalise(req.name)] in req.specifier, f"{lock}: {req}"


@pytest.mark.parametrize("lock", sorted(set(LOCK_EXTRAS) - {"base.lock"}))
def test_the_lock_files_agree_on_every_shared_package(lock):
    environment = ENVIRONMENTS[0]
    base, other = pins("base.lock", environment), pins(lock, environment)
    assert set(base) <= set(other)
    assert {n: v for n, v in other.items() if n in base} == base


@pytest.mark.skipif(
    os.environ.get("WORKBENCH_UNLOCKED") == "1",
    reason="make test-latest runs the suite on the newest versions on purpose",
)
def test_this_environment_has_exactly_the_locked_versions():
    import platform
    from importlib.metadata import PackageNotFoundError, version

    environment = {**ENVIRONMENTS[0], "platform_machine": platform.machine()}
    wrong = {}
    for name, pinned in pins("base.lock", environment).items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            wrong[name] = (pinned, None)
            continue
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert not wrong, f"installed versions differ from requirements/base.lock: {wrong}"
