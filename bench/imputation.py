"""Multiple-imputation benchmarks (issue 16, item 4): time at scale and coverage under MAR.

Usage: ``.venv/bin/python bench/imputation.py [--repeat N] [--n 5000] [--replications 200]
[--skip-recovery]`` (also part of ``make bench`` through :func:`imputation_cases`, once
``bench/run.py`` calls it).

The data are a loyalty-drivers survey simulated with a known truth
(:func:`simulate_drivers_survey`): five driver constructs and loyalty, each measured by
five 1-5 Likert items (30 items), a membership tier (ordered: bronze < silver < gold), a
purchase channel (online/store, text) and the member's age (complete). Every item, the tier
and the channel are missing at random given age, 1-5 % per column. The analysis is the
drivers model of the loyalty-drivers study: loyalty's mean score regressed by OLS on the
five drivers' mean scores, tier and channel, with scale scores computed after imputing the
items (item-level imputation).

Cases:

- **mi m=20, 5,000 respondents, 30 items** (:func:`imputation_cases`):
  :func:`~workbench.intake.impute_chained` (m = 20, 10 iterations: PMM for the items,
  polr for tier, logreg for channel), the analysis on each completed data set and
  :func:`~workbench.intake.pool_fits`; each case runs once to warm up, then ``--repeat``
  times (at most 3; median wall time; peak memory traced by ``tracemalloc``), with
  ``measure`` from ``bench/run.py``.
- **recovery** (:func:`recovery_check`): ``--replications`` simulated surveys of 300
  respondents with 10-20 % of each column missing at random given age (too many for
  complete-case analysis: about 1 respondent in 200 answered everything), each imputed
  (m = 10, 5 iterations), analysed and pooled; prints, per coefficient, the share of
  pooled 95 % intervals covering the true value (the coefficient of the same model on
  400,000 complete simulated respondents), the mean bias with its Monte Carlo SE, the
  mean interval width and the mean fraction of missing information.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.intake import impute_chained, pool_fits  # noqa: E402

Measure = Callable[[Callable[[], object], int], dict[str, float]]

DRIVERS = ("service", "value", "rewards", "app", "staff")
#: structural weights of the drivers on loyalty (latent, standardised)
WEIGHTS = np.array([0.35, 0.25, 0.20, 0.10, 0.05])
TIERS = ["bronze", "silver", "gold"]
TERMS = [*DRIVERS, "tier_silver", "tier_gold", "channel_store"]


def simulate_drivers_survey(
    n: int,
    *,
    seed: int,
    items: int = 5,
    missing: tuple[float, float] = (0.01, 0.05),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A drivers survey with a known truth; returns (with missing values, complete).

    Latent drivers are standard normal with correlation 0.3; age (standardised) shifts
    them and loyalty; tier is an ordered cut of value + age + noise, channel a logistic
    draw on app + age. Loyalty = WEIGHTS . drivers + 0.3 [silver] + 0.5 [gold] -
    0.2 [store] + 0.2 age + noise. Each construct has ``items`` 1-5 items (loading 0.75,
    cut at -1.5, -0.5, 0.5, 1.5). Each item, tier and channel cell is missing with
    probability ``logistic(c + 1.2 age)``, ``c`` chosen per column so that its share lies
    evenly between ``missing[0]`` and ``missing[1]``: missing at random given age.
    """
    rng = np.random.default_rng(seed)
    age = rng.standard_normal(n)
    corr = np.full((5, 5), 0.3) + 0.7 * np.eye(5)
    drivers = rng.standard_normal((n, 5)) @ np.linalg.cholesky(corr).T + 0.3 * age[:, None]
    tier = np.digitize(0.8 * drivers[:, 1] + 0.4 * age + rng.standard_normal(n), [-0.3, 1.0])
    store = rng.random(n) < 1 / (1 + np.exp(0.9 * drivers[:, 3] + 0.5 * age))
    loyalty = (
        drivers @ WEIGHTS
        + np.array([0.0, 0.3, 0.5])[tier]
        - 0.2 * store
        + 0.2 * age
        + 0.7 * rng.standard_normal(n)
    )
    latent = {**dict(zip(DRIVERS, drivers.T, strict=True)), "loyalty": loyalty / loyalty.std()}
    columns: dict[str, object] = {}
    for name, score in latent.items():
        for i in range(1, items + 1):
            star = 0.75 * score + np.sqrt(1 - 0.75**2) * rng.standard_normal(n)
            columns[f"{name}_{i}"] = np.digitize(star, [-1.5, -0.5, 0.5, 1.5]) + 1.0
    columns["tier"] = pd.Categorical.from_codes(tier, categories=TIERS, ordered=True)
    columns["channel"] = np.where(store, "store", "online").astype(object)
    columns["age"] = np.round(45 + 12 * age)
    complete = pd.DataFrame(columns)
    data = complete.copy()
    incomplete = [c for c in complete.columns if c != "age"]
    # intercepts giving each column its share of missing cells, for age ~ N(0, 1)
    grid = np.linspace(-10.0, 3.0, 131)
    z = np.random.default_rng(0).standard_normal(20_000)
    reach = [float(np.mean(1 / (1 + np.exp(-(c + 1.2 * z))))) for c in grid]
    shares = np.linspace(missing[0], missing[1], len(incomplete))
    for column, share in zip(incomplete, shares, strict=True):
        c0 = float(np.interp(share, reach, grid))
        rows = rng.random(n) < 1 / (1 + np.exp(-(c0 + 1.2 * age)))
        data[column] = data[column].mask(rows)
    return data, complete


def drivers_model(
    frame: pd.DataFrame, *, items: int = 5
) -> sm.regression.linear_model.RegressionResults:
    """OLS of loyalty's mean score on the drivers' mean scores, tier and channel."""
    scores = {
        name: frame[[f"{name}_{i}" for i in range(1, items + 1)]].mean(axis=1)
        for name in (*DRIVERS, "loyalty")
    }
    x = pd.DataFrame({name: scores[name] for name in DRIVERS})
    x["tier_silver"] = (frame["tier"] == "silver").astype(float)
    x["tier_gold"] = (frame["tier"] == "gold").astype(float)
    x["channel_store"] = (frame["channel"] == "store").astype(float)
    return sm.OLS(scores["loyalty"], sm.add_constant(x)).fit()


def mi_drivers_run(data: pd.DataFrame, *, m: int = 20, iterations: int = 10, seed: int = 1):
    """Impute, analyse each completed data set, pool: the MI drivers run."""
    done = impute_chained(data, m=m, iterations=iterations, seed=seed)
    return pool_fits([drivers_model(d) for d in done])


def imputation_cases(
    repeat: int,
    measure: Measure,
    *,
    n: int = 5_000,
    on_row: Callable[[dict], object] | None = None,
) -> list[dict]:
    """The multiple-imputation rows of the bench table; ``on_row`` is called with each row."""
    data, _ = simulate_drivers_survey(n, seed=16)
    rows: list[dict] = []
    for name, target, fn in (
        (
            f"mi m=20, {n:,} respondents, 30 items (impute_chained + OLS on mean scores + "
            "pool_fits)",
            "< 10 s on 2 cores",
            lambda: mi_drivers_run(data),
        ),
        (
            f"impute_chained alone, m=20, {n:,} x 33 (30 items, tier, channel)",
            "< 10 s on 2 cores",
            lambda: impute_chained(data, m=20, iterations=10, seed=1),
        ),
    ):
        rows.append({"case": name, "target": target, **measure(fn, min(repeat, 3))})
        if on_row is not None:
            on_row(rows[-1])
    return rows


def true_coefficients(n: int = 400_000, seed: int = 99) -> pd.Series:
    """The drivers model's coefficients on ``n`` complete simulated respondents."""
    _, complete = simulate_drivers_survey(n, seed=seed)
    return drivers_model(complete).params


def recovery_check(
    replications: int = 200,
    *,
    n: int = 300,
    m: int = 10,
    iterations: int = 5,
    seed: int = 2016,
    missing: tuple[float, float] = (0.10, 0.20),
) -> pd.DataFrame:
    """Coverage of pooled 95 % intervals of the drivers model under MAR (see module doc).

    One row per coefficient: ``coverage`` (share of intervals covering ``truth``),
    ``bias`` (mean pooled estimate minus truth), ``mc_se`` (Monte Carlo SE of that mean),
    ``width`` (mean interval width) and ``fmi`` (mean fraction of missing information).
    """
    truth = true_coefficients()
    rng = np.random.default_rng(seed)
    tables = []
    start = time.perf_counter()
    for _ in range(replications):
        data, _ = simulate_drivers_survey(n, seed=int(rng.integers(2**31)), missing=missing)
        pooled = mi_drivers_run(data, m=m, iterations=iterations, seed=int(rng.integers(2**31)))
        tables.append(pooled.table)
    est = pd.DataFrame([t["estimate"] for t in tables])
    out = pd.DataFrame(
        {
            "truth": truth,
            "coverage": pd.DataFrame(
                [(t["ci_low"] <= truth) & (truth <= t["ci_high"]) for t in tables]
            ).mean(),
            "bias": est.mean() - truth,
            "mc_se": est.std() / np.sqrt(replications),
            "width": pd.DataFrame([t["ci_high"] - t["ci_low"] for t in tables]).mean(),
            "fmi": pd.DataFrame([t["fmi"] for t in tables]).mean(),
        }
    )
    out.attrs["seconds"] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=5_000, help="respondents of the timed case")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--skip-recovery", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from run import _line, measure

    imputation_cases(args.repeat, measure, n=args.n, on_row=lambda r: print(_line(r), flush=True))
    if not args.skip_recovery:
        res = recovery_check(args.replications)
        print(
            f"\nRecovery: {args.replications} replications, n = 300, m = 10, 5 iterations, "
            "10-20 % missing "
            f"at random per column ({res.attrs['seconds']:.0f} s); share of 95 % intervals "
            "covering the true coefficient:"
        )
        print(res.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
