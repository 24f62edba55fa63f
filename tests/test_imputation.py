"""Rubin's rules against R mice, and PMM imputation by its properties (:mod:`workbench.intake.imputation`).

Reference values: ``tests/reference/r_mice_pool.json``, written by
``tests/reference/r_mice_pool.R`` (R 4.2.2, mice 3.15.0) together with the m = 5 completed
``nhanes`` data sets it pooled (``tests/reference/r_mice_pool_imputations.csv``). Here the same
OLS model is fitted by statsmodels on the same completed data sets and pooled by
:func:`pool_fits`; the pooled numbers must equal ``mice::pool`` to 1e-8.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from workbench.intake import PooledEstimates, impute_pmm, pool_estimates, pool_fits

REF = Path(__file__).resolve().parent / "reference"

#: our column -> (section of the JSON, R name)
_R_NAMES = {
    "estimate": ("pooled", "estimate"),
    "within": ("pooled", "ubar"),
    "between": ("pooled", "b"),
    "total": ("pooled", "t"),
    "df": ("pooled", "df"),
    "riv": ("pooled", "riv"),
    "lambda": ("pooled", "lambda"),
    "fmi": ("pooled", "fmi"),
    "se": ("summary", "std_error"),
    "t": ("summary", "statistic"),
    "p": ("summary", "p_value"),
    "ci_low": ("summary", "ci_low"),
    "ci_high": ("summary", "ci_high"),
}


@pytest.fixture(scope="module")
def mice_ref() -> dict[str, Any]:
    return json.loads((REF / "r_mice_pool.json").read_text())


@pytest.fixture(scope="module")
def nhanes_fits() -> list[Any]:
    long = pd.read_csv(REF / "r_mice_pool_imputations.csv")
    return [smf.ols("chl ~ age + bmi", data=d).fit() for _, d in long.groupby(".imp", sort=True)]


def _r_term(term: str) -> str:
    return "(Intercept)" if term == "Intercept" else term


def test_reference_files_are_what_the_script_says(mice_ref: dict[str, Any]) -> None:
    long = pd.read_csv(REF / "r_mice_pool_imputations.csv")
    assert sorted(long[".imp"].unique()) == [1, 2, 3, 4, 5]
    assert long.groupby(".imp").size().tolist() == [25] * 5
    assert not long[["age", "bmi", "hyp", "chl"]].isna().any().any()
    assert mice_ref["mice_version"] == "3.15.0"
    assert mice_ref["m"] == 5 and mice_ref["n"] == 25 and mice_ref["k"] == 3
    assert set(mice_ref["pooled"]["dfcom"].values()) == {22}


def test_pool_fits_equals_mice_pool(nhanes_fits: list[Any], mice_ref: dict[str, Any]) -> None:
    res = pool_fits(nhanes_fits)
    table = res.table
    assert list(table.index) == ["Intercept", "age", "bmi"]
    assert res.m == 5
    assert res.df_com == 22.0
    for column, (section, r_name) in _R_NAMES.items():
        expected = [mice_ref[section][r_name][_r_term(t)] for t in table.index]
        np.testing.assert_allclose(
            table[column].to_numpy(), expected, rtol=1e-10, atol=1e-8, err_msg=column
        )


def test_pool_estimates_from_tables_equals_pool_fits(nhanes_fits: list[Any]) -> None:
    params = pd.DataFrame([f.params for f in nhanes_fits])
    variances = pd.DataFrame([f.bse**2 for f in nhanes_fits])
    direct = pool_estimates(params, variances, n=25, k=3)
    pd.testing.assert_frame_equal(direct.table, pool_fits(nhanes_fits).table)


def test_order_of_imputations_does_not_matter(nhanes_fits: list[Any]) -> None:
    params = np.array([f.params.to_numpy() for f in nhanes_fits])
    variances = np.array([f.bse.to_numpy() ** 2 for f in nhanes_fits])
    order = [3, 0, 4, 1, 2]
    a = pool_estimates(params, variances, n=25, k=3).table
    b = pool_estimates(params[order], variances[order], n=25, k=3).table
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    assert list(a.index) == ["q0", "q1", "q2"]


def test_identical_imputations_reduce_to_complete_data_inference() -> None:
    # B = 0: T = U, r = lambda = 0; mice floors lambda at 1e-4 for the df only.
    res = pool_estimates(np.full((4, 1), 2.0), np.full((4, 1), 0.25), n=50, k=2).table
    row = res.iloc[0]
    assert row["between"] == 0.0
    assert row["total"] == pytest.approx(0.25, rel=1e-15)
    assert row["se"] == pytest.approx(0.5, rel=1e-15)
    assert row["riv"] == 0.0 and row["lambda"] == 0.0
    lam = 1e-4
    df_old = 3 / lam**2
    df_obs = 49 / 51 * 48 * (1 - lam)
    assert row["df"] == pytest.approx(df_old * df_obs / (df_old + df_obs), rel=1e-12)
    assert row["fmi"] == pytest.approx(2 / (row["df"] + 3), rel=1e-12)
    assert row["t"] == pytest.approx(4.0, rel=1e-15)


def test_hand_computed_two_imputations() -> None:
    # m = 2, Q = (1, 3), U = (1, 1): Qbar = 2, B = 2, T = 1 + 1.5 * 2 = 4.
    row = pool_estimates([1.0, 3.0], [1.0, 1.0], n=13, k=3).table.iloc[0]
    assert row["estimate"] == 2.0
    assert row["between"] == 2.0
    assert row["total"] == 4.0
    assert row["riv"] == 3.0
    assert row["lambda"] == 0.75
    df_old = 1 / 0.75**2
    df_obs = 11 / 13 * 10 * 0.25
    df = df_old * df_obs / (df_old + df_obs)
    assert row["df"] == pytest.approx(df, rel=1e-14)
    assert row["fmi"] == pytest.approx((3 + 2 / (df + 3)) / 4, rel=1e-14)


def test_wider_interval_at_higher_level(nhanes_fits: list[Any]) -> None:
    narrow = pool_fits(nhanes_fits, ci=0.9).table
    wide = pool_fits(nhanes_fits, ci=0.99).table
    assert (wide["ci_low"] < narrow["ci_low"]).all()
    assert (wide["ci_high"] > narrow["ci_high"]).all()


def test_result_object_warns_about_small_m(nhanes_fits: list[Any]) -> None:
    res = pool_fits(nhanes_fits)
    assert isinstance(res, PooledEstimates)
    # FMI up to 0.52 with m = 5: White et al.'s rule asks for m >= 53.
    assert len(res.warnings) == 1 and "m >= 100 x FMI (here 53)" in res.warnings[0]
    assert "Warnings:" in res.summary()
    out = res.to_dict()
    assert json.loads(json.dumps(out))["table"]["age"]["df"] == pytest.approx(
        res.table.loc["age", "df"]
    )
    frame = res.to_frame()
    frame.iloc[0, 0] = -1.0
    assert res.table.iloc[0, 0] != -1.0
    assert "<table" in res._repr_html_()


def test_no_warning_when_m_is_ample() -> None:
    rng = np.random.default_rng(7)
    q = 1 + 0.01 * rng.standard_normal((20, 1))
    res = pool_estimates(q, np.full((20, 1), 1.0), n=200, k=2)
    assert res.warnings == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"estimates": [[1.0]], "variances": [[1.0]]}, "at least 2 imputations"),
        ({"estimates": [1.0, 2.0], "variances": [1.0, 2.0, 3.0]}, "same shape"),
        ({"estimates": [1.0, np.nan], "variances": [1.0, 1.0]}, "finite"),
        ({"estimates": [1.0, 2.0], "variances": [1.0, 0.0]}, "positive"),
        ({"estimates": [1.0, 2.0], "variances": [1.0, 1.0], "k": 10}, "n - k"),
        ({"estimates": [1.0, 2.0], "variances": [1.0, 1.0], "ci": 95}, "confidence level"),
        ({"estimates": [1.0, 2.0], "variances": [1.0, 1.0], "names": ["a", "b"]}, "names"),
        ({"estimates": np.ones((2, 1, 1)), "variances": np.ones((2, 1, 1))}, "(m, p)"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"n": 10, "k": 2, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pool_estimates(**args)


def test_pool_fits_needs_matching_models(nhanes_fits: list[Any]) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        pool_fits(nhanes_fits[:1])
    long = pd.read_csv(REF / "r_mice_pool_imputations.csv")
    other = smf.ols("chl ~ age", data=long[long[".imp"] == 1]).fit()
    with pytest.raises(ValueError, match="same parameters"):
        pool_fits([nhanes_fits[0], other])


# ----------------------------------------------------------------------------
# PMM imputation
# ----------------------------------------------------------------------------


def _likert(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n)
    items = {
        f"q{i}": np.clip(np.round(3 + latent + rng.standard_normal(n)), 1, 5) for i in range(1, 5)
    }
    frame = pd.DataFrame(items, index=pd.RangeIndex(100, 100 + n, name="respondent"))
    frame["age"] = rng.integers(18, 80, n).astype(float)
    mask = rng.random(frame.shape) < 0.15
    return frame.mask(mask)


def test_pmm_imputes_observed_values_only() -> None:
    frame = _likert(1)
    done = impute_pmm(frame, m=3, iterations=4, seed=11)
    assert len(done) == 3
    for d in done:
        assert not d.isna().any().any()
        for c in frame.columns:
            imputed = d.loc[frame[c].isna(), c]
            assert set(imputed.unique()) <= set(frame[c].dropna().unique())
        observed = frame.notna()
        pd.testing.assert_frame_equal(d[observed], frame[observed])
        assert d.index.equals(frame.index) and list(d.columns) == list(frame.columns)


def test_pmm_is_reproducible_by_seed() -> None:
    frame = _likert(2)
    a = impute_pmm(frame, m=2, iterations=3, seed=5)
    b = impute_pmm(frame, m=2, iterations=3, seed=5)
    c = impute_pmm(frame, m=2, iterations=3, seed=6)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not a[0].equals(c[0])
    assert not a[0].equals(a[1])


def test_pmm_coverage_under_mar() -> None:
    """30 replications: the pooled 95% CI of the slope of x covers 0.5 in >= 25 (29 here).

    P(Binomial(30, 0.95) <= 24) = 0.003, so a correct procedure rarely fails this check;
    the seed is fixed, so the test is deterministic.
    """
    covered = 0
    reps = 30
    rng = np.random.default_rng(2024)
    for _ in range(reps):
        n = 200
        x = rng.standard_normal(n)
        z = 0.5 * x + rng.standard_normal(n)
        y = 1.0 + 0.5 * x + 0.3 * z + rng.standard_normal(n)
        frame = pd.DataFrame({"y": y, "x": x, "z": z})
        # MAR: y missing more often when z is high; x missing more often when z is low
        p_y = 1 / (1 + np.exp(-(z - 0.5)))
        p_x = 0.3 / (1 + np.exp(z))
        frame.loc[rng.random(n) < p_y * 0.6, "y"] = np.nan
        frame.loc[rng.random(n) < p_x, "x"] = np.nan
        done = impute_pmm(frame, m=5, iterations=5, seed=int(rng.integers(2**31)))
        row = pool_fits([smf.ols("y ~ x + z", data=d).fit() for d in done]).table.loc["x"]
        covered += row["ci_low"] <= 0.5 <= row["ci_high"]
    assert covered >= 25


def test_pmm_bad_input() -> None:
    with pytest.raises(ValueError, match="not numeric"):
        impute_pmm(pd.DataFrame({"a": ["x", None], "b": [1.0, 2.0]}), seed=1)
    with pytest.raises(ValueError, match="no observed value"):
        impute_pmm(pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, 2.0]}), seed=1)
    with pytest.raises(ValueError, match="m=0"):
        impute_pmm(pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0]}), m=0, seed=1)
