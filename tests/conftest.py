"""Fixtures shared by the test modules (plain helpers are in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

# helpers.py holds checks shared by the tests (the Chinese-report checks of the i18n tests):
# rewrite their asserts too, so that a failing check shows its values
pytest.register_assert_rewrite("helpers", "tests.helpers")


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh reports root (``WORKBENCH_REPORTS``), so no run lands in the project's reports/."""
    root = tmp_path / "reports"
    monkeypatch.setenv("WORKBENCH_REPORTS", str(root))
    return root


# ---------------------------------------------------------------- PLS-SEM reference data
# ../shared/reference beside the repository (CI lays a copy of shared/ beside its clone)
SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """The shared reference folder: seminr's PLS fixtures (pls/) and shared data (data/)."""
    return SHARED_REFERENCE


@pytest.fixture(scope="session")
def mobi(shared_reference: Path):
    """seminr's ``mobi`` (ECSI mobile phone survey, 250 x 24, no missing values)."""
    import pandas as pd

    return pd.read_csv(shared_reference / "pls" / "mobi.csv")


@pytest.fixture(scope="module")
def corp_rep(shared_reference: Path):
    """Hair et al.'s ``corp_rep`` as stored (344 respondents; -99 = no answer)."""
    import pandas as pd

    return pd.read_csv(shared_reference / "data" / "corp_rep.csv")


@pytest.fixture(scope="module")
def corp_rep_survey():
    """``data/corp_rep.csv`` read through its codebook (-99 -> missing: cusa, cusl_1-3, 11
    cells), as :func:`workbench.intake.load_survey` returns it."""
    from workbench.intake import load_survey

    data = Path(__file__).resolve().parents[1] / "data"
    return load_survey(data / "corp_rep.csv", data / "corp_rep.codebook.yaml")
