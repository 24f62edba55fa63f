"""Segmentation benchmarks (issue 18): latent profiles over mclust's 14 models, and k-means.

Usage: ``.venv/bin/python bench/segmentation.py [--repeat N] [--quick]`` (also part of ``make
bench`` through :func:`segmentation_cases` in ``bench/run.py``).

The data are simulated members (seeded): four segments of 40/30/20/10 % with different means
and per-variable spreads, standardised. The LPA cases run
:func:`workbench.segmentation.select_mixture` over all 14 covariance models, from mclust's
hierarchical start only (``restarts=0``, no bootstrap test: the same work as ``mclustBIC``),
and again with the default 3 random restarts per cell; where ``Rscript`` with mclust is
installed, ``mclustBIC(X, G = 1:K)`` runs on the same CSV in the same run (R times itself,
median over the same number of repeats). Above 2,000 members both start from the agglomeration
of a random subset of 2,000 (mclust's default). The k-means case is
:func:`workbench.segmentation.kmeans_segments` with 50 k-means++ starts (scikit-learn) on
1,000,000 members. Heavy cases run once after a warm-up (``measure(fn, 1)``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.segmentation import kmeans_segments, select_mixture  # noqa: E402

Measure = Callable[[Callable[[], object], int], dict[str, float]]
RTime = Callable[..., float | None]


def simulated_members(n: int, p: int, *, seed: int = 18) -> pd.DataFrame:
    """``n`` members in ``p`` standardised variables from four segments (40/30/20/10 %)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 1.5, (4, p))
    spread = rng.uniform(0.5, 1.5, (4, p))
    segment = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    x = means[segment] + rng.standard_normal((n, p)) * spread[segment]
    x = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    return pd.DataFrame(x, columns=[f"v{j + 1}" for j in range(p)])


def segmentation_cases(
    repeat: int,
    measure: Measure,
    *,
    r_time: RTime | None = None,
    quick: bool = False,
    on_row: Callable[[dict], object] | None = None,
) -> list[dict]:
    """The segmentation rows of the bench table; ``on_row`` is called with each row."""
    rows: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="wb_seg_bench_"))

    def add(name: str, target: str, fn: Callable[[], object], times: int, r_code=None, csv=None):
        row = {"case": name, "target": target, **measure(fn, times)}
        if r_code is not None and r_time is not None:
            r = r_time("suppressMessages(library(mclust)); " + r_code, times, csv)
            row["r_median_s"] = r
            row["r_over_ours"] = None if r is None else r / row["median_s"]
        rows.append(row)
        if on_row is not None:
            on_row(row)

    sizes = [(5_000, 6, 6)] if quick else [(5_000, 6, 6), (10_000, 8, 8)]
    for n, p, kmax in sizes:
        data = simulated_members(n, p)
        csv = tmp / f"members_{n}_{p}.csv"
        data.to_csv(csv, index=False)
        r_code = f"mclustBIC(as.matrix(x), G = 1:{kmax}, verbose = FALSE)"
        add(
            f"LPA 14 models x k = 1..{kmax}, {n:,} members x {p} variables, hierarchical start",
            "< 60 s on 2 cores; faster than mclust",
            lambda data=data, kmax=kmax: select_mixture(
                data, range(1, kmax + 1), restarts=0, n_boot=0, seed=1
            ),
            1 if n > 5_000 else max(1, min(repeat, 3)),
            r_code,
            csv,
        )
        if n == 5_000:
            add(
                f"LPA 14 models x k = 1..{kmax}, {n:,} x {p}, + 3 random restarts per cell",
                "< 60 s on 2 cores",
                lambda data=data, kmax=kmax: select_mixture(
                    data, range(1, kmax + 1), restarts=3, n_boot=0, seed=1
                ),
                1,
            )
    if not quick:
        big = simulated_members(1_000_000, 8)
        add(
            "k-means++ 50 starts, k = 5, 1,000,000 members x 8 variables (+ silhouette on 5,000)",
            "< 60 s on 2 cores",
            lambda: kmeans_segments(big, 5, starts=50, seed=1),
            1,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="only the 5,000-member LPA cases")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from run import _line, measure, r_time

    segmentation_cases(
        args.repeat,
        measure,
        r_time=r_time,
        quick=args.quick,
        on_row=lambda row: print(_line(row), flush=True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
