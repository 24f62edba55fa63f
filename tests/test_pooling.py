"""Pooling of driver analyses over imputations (workbench.drivers.pooling).

References: tests/reference/r_mice_d1.R (mitml::testModels D1 and mice::pool.r.squared on
the m = 5 completed nhanes data sets of r_mice_pool.R).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from workbench.drivers import pooling
from workbench.drivers.regression import fit_driver_model, relative_importance
from workbench.intake.imputation import pool_estimates

REF = json.loads((ROOT / "tests" / "reference" / "r_mice_d1.json").read_text())
IMPUTED = pd.read_csv(ROOT / "tests" / "reference" / "r_mice_pool_imputations.csv")


def test_d1_equals_mitml_testmodels():
    estimates = [np.array(REF["estimates"][k]) for k in sorted(REF["estimates"])]
    covariances = [np.array(REF["covariances"][k]) for k in sorted(REF["covariances"])]
    got = pooling.pool_wald_test(estimates, covariances)
    want = REF["d1"]
    for key in ("F", "df1", "df2", "p", "riv"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key


def test_d1_from_our_fits_equals_mitml():
    fits = [
        fit_driver_model(d, "chl", ["bmi", "hyp"], controls=["age"], model="ols")
        for _, d in IMPUTED.groupby(".imp")
    ]
    pooled = pooling.pool_driver_models(fits)
    h = pooled.hierarchical
    assert h["statistic"] == pytest.approx(REF["d1"]["F"], rel=1e-9)
    assert h["df2"] == pytest.approx(REF["d1"]["df2"], rel=1e-9)
    assert h["p"] == pytest.approx(REF["d1"]["p"], rel=1e-9)


def test_pooled_r2_equals_mice_pool_r_squared():
    assert pooling.pool_r2(REF["r2_each"]) == pytest.approx(REF["r2"], rel=1e-12)
    fits = [
        fit_driver_model(d, "chl", ["age", "bmi", "hyp"], model="ols")
        for _, d in IMPUTED.groupby(".imp")
    ]
    pooled = pooling.pool_driver_models(fits)
    assert pooled.r2 == pytest.approx(REF["r2"], rel=1e-10)
    # the adjusted R2 is pooled the same way (mice::pool.r.squared(adjusted = TRUE))
    assert pooled.adj_r2 == pytest.approx(REF["r2_adjusted"], rel=1e-10)


def test_pooled_coefficients_follow_rubins_rules():
    fits = [
        fit_driver_model(d, "chl", ["age", "bmi"], model="ols") for _, d in IMPUTED.groupby(".imp")
    ]
    pooled = pooling.pool_driver_models(fits).coefficients.set_index("term")
    est = np.array([f.coefficients.set_index("term")["estimate"] for f in fits])
    se = np.array([f.coefficients.set_index("term")["se"] for f in fits])
    within = (se**2).mean(axis=0)
    between = est.var(axis=0, ddof=1)
    np.testing.assert_allclose(pooled["estimate"], est.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(pooled["se"] ** 2, within + (1 + 1 / 5) * between, rtol=1e-12)
    assert ((pooled["fmi"] > 0) & (pooled["fmi"] < 1)).all()
    # the same as pooling the statsmodels fits directly (mice::pool, checked in
    # test_imputation.py)
    direct = pool_estimates(est, se**2, n=25, k=3, names=list(pooled.index)).table
    np.testing.assert_allclose(pooled["df"], direct["df"], rtol=1e-12)


def test_pooled_importance_averages_shares_and_pools_resamples():
    runs = [
        relative_importance(d, "chl", ["age", "bmi", "hyp"], bootstrap=40, seed=i)
        for i, (_, d) in enumerate(IMPUTED.groupby(".imp"))
    ]
    pooled = pooling.pool_relative_importance(runs)
    lmg = np.mean([r.table["lmg"] for r in runs], axis=0)
    np.testing.assert_allclose(pooled.table["lmg"], lmg, rtol=1e-12)
    assert pooled.table["lmg"].sum() == pytest.approx(pooled.r2, rel=1e-12)
    assert pooled.bootstrap_used == sum(len(r.boot_lmg) for r in runs)
    lo = np.quantile(np.vstack([r.boot_lmg for r in runs]), 0.025, axis=0)
    np.testing.assert_allclose(pooled.table["lmg_ci_low"], lo, rtol=1e-12)
    assert (pooled.table["lmg_between_sd"] > 0).all()
    assert not any("interval ends are rough" in w for w in pooled.warnings)


def test_bootstrap_share_splits_the_resamples():
    assert pooling.bootstrap_share(1000, 20) == 50
    assert pooling.bootstrap_share(100, 20) == 20  # never fewer than 20 per imputation
