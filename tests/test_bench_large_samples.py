"""The 200,000-respondent benchmark harness, at a small size (the large size runs in `make bench`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import large_samples  # noqa: E402

from workbench.studies import get_study, parse_param_args  # noqa: E402


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    return large_samples.make_data(tmp_path_factory.mktemp("large"), 600)


def test_every_study_has_a_valid_large_sample_command(small_files):
    commands = large_samples.commands(small_files)
    assert set(commands) == {
        "factor-analysis",
        "loyalty-drivers",
        "experience-economy",
        "member-analytics",
        "programme-evaluation",
    }
    for study, argv in commands.items():
        params = [argv[i + 1] for i, a in enumerate(argv) if a == "--param"]
        get_study(study).validate(parse_param_args(params))  # raises on a bad parameter
        data = Path(argv[argv.index("--data") + 1])
        assert data.exists() and data.stat().st_size > 0


def test_a_study_run_is_measured_with_its_peak_memory_and_report(small_files, tmp_path):
    rows = large_samples.large_sample_cases(tmp_path, n=600, only=["loyalty-drivers"])
    assert len(rows) == 1
    row = rows[0]
    assert row["exit"] == 0, row.get("error")
    assert row["n_used"] > 500
    assert 50 < row["peak_mb"] < 24 * 1024  # the command and its kernel: well above a bare Python
    assert 0 < row["report_mb"] < 20
    assert row["median_s"] > 0
