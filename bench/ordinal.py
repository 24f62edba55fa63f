"""Ordinal CFA benchmarks (issue 17): WLSMV against lavaan in the same run.

Usage: ``.venv/bin/python bench/ordinal.py [--repeat N]`` (also part of ``make bench``, through
:func:`ordinal_cases` in ``bench/run.py``).

Cases: lavaan's three-factor model on Holzinger-Swineford x1..x9 cut into 3 and into 5
categories (``tests/reference/lavaan_wlsmv_hs_cut.csv``, cut points documented in
``tests/reference/lavaan_wlsmv.R``), and the five-factor model of the 25 bfi items as ordered
(complete cases, 2436 respondents), and the 3-category HS cut with x3, x6 and x9 kept
continuous (lavaan's ``ordered = c(...)``: polyserial and Pearson correlations). Ours: :func:`workbench.sem.ordinal.fit_ordinal_cfa`, which
returns estimates with robust SEs, the standardized solution, the scaled-shifted test and all
fit indices (plain, scaled, robust). lavaan, for the same output:
``fit <- cfa(model, data, ordered = TRUE, estimator = "WLSMV"); fitMeasures(fit);
standardizedSolution(fit)``. Each case runs once to warm up, then ``--repeat`` times (median
wall time; peak memory traced by ``tracemalloc``), with ``measure`` and ``r_time`` from
``bench/run.py``; R reports its own median over the same number of repeats.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.sem.ordinal import fit_ordinal_cfa  # noqa: E402

HS_MODEL = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
BFI_MODEL = {
    name: [f"{trait}{i}" for i in range(1, 6)]
    for name, trait in zip(["agree", "consc", "extra", "neuro", "open"], "ACENO", strict=True)
}

Measure = Callable[[Callable[[], object], int], dict[str, float]]
RTime = Callable[[str, int, Path], "float | None"]


def lavaan_call(constructs: dict[str, list[str]], ordered: list[str] | None = None) -> str:
    """The R expression fitting ``constructs`` to the data frame ``x`` with the same output
    (``ordered``: the ordered items, default all)."""
    model = "\\n".join(f"{f} =~ {' + '.join(items)}" for f, items in constructs.items())
    which = "TRUE" if ordered is None else "c(" + ", ".join(f"'{o}'" for o in ordered) + ")"
    return (
        "suppressMessages(library(lavaan)); "
        f"fit <- cfa('{model}', data = x, ordered = {which}, estimator = 'WLSMV'); "
        "fitMeasures(fit); standardizedSolution(fit)"
    )


def ordinal_cases(
    repeat: int,
    measure: Measure,
    r_time: RTime | None,
    tmp: Path,
    *,
    on_row: Callable[[dict], object] | None = None,
) -> list[dict]:
    """The ordinal-CFA rows of the bench table; ``on_row`` is called with each row as it is done.

    ``r_time(code, repeat, csv)`` times an R expression on the CSV read into ``x`` (None: R is
    not installed); pass None to skip R.
    """
    cut = pd.read_csv(ROOT / "tests" / "reference" / "lavaan_wlsmv_hs_cut.csv")
    items = [it for its in BFI_MODEL.values() for it in its]
    bfi = pd.read_csv(ROOT / "data" / "bfi.csv")[items].dropna()
    hs = pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")
    mixed = cut[cut["categories"] == 3].drop(columns="categories").reset_index(drop=True)
    for item in ("x3", "x6", "x9"):  # continuous beside the cut items (polyserial)
        mixed[item] = hs[item].to_numpy()
    mixed_ordered = ["x1", "x2", "x4", "x5", "x7", "x8"]
    data = {
        "hs3": cut[cut["categories"] == 3].drop(columns="categories"),
        "hs5": cut[cut["categories"] == 5].drop(columns="categories"),
        "hs3mix": mixed,
        "bfi": bfi,
    }
    cases: list[tuple[str, dict[str, list[str]], list[str] | None, str]] = [
        ("hs3", HS_MODEL, None, "ordinal CFA (WLSMV), Holzinger-Swineford cut into 3 categories"),
        ("hs5", HS_MODEL, None, "ordinal CFA (WLSMV), Holzinger-Swineford cut into 5 categories"),
        (
            "hs3mix",
            HS_MODEL,
            mixed_ordered,
            "ordinal CFA (WLSMV), Holzinger-Swineford, 6 items cut into 3 categories and 3 "
            "continuous (polyserial)",
        ),
        (
            "bfi",
            BFI_MODEL,
            None,
            "ordinal CFA (WLSMV), 25 bfi items as ordered, 5 factors, n = 2436",
        ),
    ]
    rows: list[dict] = []
    for key, constructs, ordered, name in cases:
        frame = data[key]
        row = {
            "case": name,
            "target": "not slower than lavaan (cfa + fitMeasures + standardizedSolution)",
            **measure(
                lambda f=frame, c=constructs, o=ordered: fit_ordinal_cfa(f, c, ordered=o), repeat
            ),
        }
        if r_time is not None:
            csv = tmp / f"ordinal_{key}.csv"
            frame.to_csv(csv, index=False)
            r = r_time(lavaan_call(constructs, ordered), repeat, csv)
            row["r_median_s"] = r
            row["r_over_ours"] = None if r is None else r / row["median_s"]
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-r", action="store_true", help="skip the lavaan timings")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from run import _line, measure, r_time

    with tempfile.TemporaryDirectory() as tmp:
        ordinal_cases(
            args.repeat,
            measure,
            None if args.no_r else r_time,
            Path(tmp),
            on_row=lambda row: print(_line(row), flush=True),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
