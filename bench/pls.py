"""PLS-SEM benchmarks (issue 15): fit, 5,000-resample bootstrap and PLSpredict.

Usage: ``.venv/bin/python bench/pls.py [--repeat N] [--n 200000]`` (also part of ``make bench``,
through :func:`pls_cases` in ``bench/run.py``).

The model is Hair et al.'s extended corporate-reputation model (QUAL, PERF, CSOR and ATTR as
formative drivers of COMP and LIKE, which drive CUSA and CUSL: 8 constructs, 31 items) on
``data/corp_rep.csv`` (344 respondents, -99 = missing, mean replacement). The large case
simulates respondents from the fitted model: multivariate normal with the model-implied item
correlations (:func:`workbench.pls.implied_correlations`, "estimated"), scaled to each item's
mean and SD, rounded and clipped to the 1-7 answer scale, seeded. Each case runs once to warm
up, then ``--repeat`` times (median wall time; peak memory traced by ``tracemalloc``), with
``measure`` from ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.pls import (  # noqa: E402
    bootstrap_pls,
    estimate_pls,
    implied_correlations,
    predict_pls,
)

CORP_REP_EXTENDED = """
QUAL <~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8
PERF <~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5
CSOR <~ csor_1 + csor_2 + csor_3 + csor_4 + csor_5
ATTR <~ attr_1 + attr_2 + attr_3
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
COMP ~ QUAL + PERF + CSOR + ATTR
LIKE ~ QUAL + PERF + CSOR + ATTR
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
MISSING_CODES = [-99]

Measure = Callable[[Callable[[], object], int], dict[str, float]]


def corp_rep() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "corp_rep.csv")


def simulate_from_fit(n: int, *, seed: int = 15) -> pd.DataFrame:
    """``n`` respondents simulated from the extended model fitted to corp_rep (see above)."""
    data = corp_rep()
    fit = estimate_pls(data, CORP_REP_EXTENDED, missing_codes=MISSING_CODES)
    sigma = implied_correlations(fit, "estimated").to_numpy()
    items = list(fit.plan.items)
    frame = fit.data.frame[items]
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(items))) @ np.linalg.cholesky(sigma).T
    values = np.clip(np.rint(z * frame.std().to_numpy() + frame.mean().to_numpy()), 1, 7)
    return pd.DataFrame(values, columns=items)


def pls_cases(
    repeat: int,
    measure: Measure,
    *,
    n_large: int = 200_000,
    on_row: Callable[[dict], object] | None = None,
) -> list[dict]:
    """The PLS rows of the bench table; ``on_row`` is called with each row as it is done."""
    data = corp_rep()
    rows: list[dict] = []

    def add(name: str, target: str, fn: Callable[[], object]) -> None:
        rows.append({"case": name, "target": target, **measure(fn, repeat)})
        if on_row is not None:
            on_row(rows[-1])

    add(
        "PLS fit, extended corp_rep (8 constructs, 31 items, n = 344)",
        "< 50 ms",
        lambda: estimate_pls(data, CORP_REP_EXTENDED, missing_codes=MISSING_CODES),
    )
    for jobs in (1, 2):
        add(
            f"PLS bootstrap 5,000 resamples + BCa, extended corp_rep, {jobs} worker(s)",
            "< 5 s on 2 cores",
            lambda jobs=jobs: bootstrap_pls(
                data,
                CORP_REP_EXTENDED,
                missing_codes=MISSING_CODES,
                n_boot=5000,
                seed=1,
                n_jobs=jobs,
            ),
        )
    add(
        "PLSpredict 10 folds x 10 repetitions + CVPAT, extended corp_rep",
        "< 5 s",
        lambda: predict_pls(data, CORP_REP_EXTENDED, missing_codes=MISSING_CODES).cvpat(),
    )
    large = simulate_from_fit(n_large)
    add(
        f"PLS fit, extended model, {n_large:,} simulated respondents",
        "< 5 s; < 2 GB",
        lambda: estimate_pls(large, CORP_REP_EXTENDED),
    )
    add(
        f"PLSpredict 10 folds x 10 repetitions, extended model, {n_large:,} respondents",
        "< 60 s; < 2 GB",
        lambda: predict_pls(large, CORP_REP_EXTENDED),
    )
    # the study's default inference at scale: 5,000 resamples and the BCa jackknife over every
    # respondent (rank-one downdates of the cross-products); run once, it takes tens of seconds
    rows.append(
        {
            "case": f"PLS bootstrap 5,000 resamples + BCa, extended model, {n_large:,} respondents",
            "target": "< 90 s on 2 cores; < 2 GB",
            **measure(lambda: bootstrap_pls(large, CORP_REP_EXTENDED, n_boot=5000, seed=1), 1),
        }
    )
    if on_row is not None:
        on_row(rows[-1])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=200_000, help="respondents of the large case")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from run import _line, measure

    pls_cases(
        args.repeat, measure, n_large=args.n, on_row=lambda row: print(_line(row), flush=True)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
