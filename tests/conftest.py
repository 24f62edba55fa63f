"""Fixtures shared by the test modules (plain helpers are in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh reports root (``WORKBENCH_REPORTS``), so no run lands in the project's reports/."""
    root = tmp_path / "reports"
    monkeypatch.setenv("WORKBENCH_REPORTS", str(root))
    return root
