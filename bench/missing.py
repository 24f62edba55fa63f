"""Missing-data benchmarks (issue 16): the loyalty-drivers study under multiple imputation.

Usage: ``.venv/bin/python bench/missing.py [--repeat N]`` (also part of ``make bench``, through
:func:`missing_cases` in ``bench/run.py``).

The case is the shipped default loyalty-drivers run (loyalty on trust, satisfaction,
belonging and value; mediation of value through satisfaction; segments by tier; 1,000
bootstrap resamples) with ``missing=mi`` and ``m = 20`` on 5,000 respondents simulated by
:func:`workbench.simulate.simulate_loyalty_survey` with 5% of the answers missing at random
(the goal of the issue: under 30 s on 2 cores). Imputation, scoring, every model in each of
the 20 completed data sets and the pooling are timed together.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.intake.data import load_survey  # noqa: E402
from workbench.simulate import simulate_loyalty_survey  # noqa: E402
from workbench.studies import get_study  # noqa: E402
from workbench.studies.loyalty_drivers import analyse  # noqa: E402

Measure = Callable[[Callable[[], object], int], dict[str, float]]


def missing_cases(
    repeat: int, measure: Measure, *, on_row: Callable[[dict], object] | None = None
) -> list[dict]:
    """The missing-data rows of the bench table."""
    sim = simulate_loyalty_survey(5000, seed=16, missing_rate=0.05)
    params = dict(get_study("loyalty-drivers").default_runs[0].params)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "survey.csv"
        codebook = Path(tmp) / "survey.codebook.yaml"
        sim.data.to_csv(data, index=False)
        codebook.write_text(yaml.safe_dump(sim.codebook, allow_unicode=True), encoding="utf-8")
        survey = load_survey(data, codebook)
    rows.append(
        {
            "case": "loyalty-drivers, missing=mi, m = 20, 5,000 respondents, 5% missing",
            "target": "< 30 s on 2 cores",
            **measure(lambda: analyse(survey, **params, missing="mi", m=20), repeat),
        }
    )
    if on_row is not None:
        on_row(rows[-1])
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from run import measure  # bench/run.py

    for row in missing_cases(args.repeat, measure):
        print(row)
