"""Tests of workbench.drivers.regression: golden values from R 4.2.2 and invariants.

Reference numbers: tests/reference/r_drivers.json, written by
tests/reference/r_drivers.R (lm, sandwich::vcovHC HC3, car::vif, lmtest::bptest and
resettest, glm binomial, MASS::polr, anova of nested models; LMG by explicit
all-subsets averaging of refitted lm() R2 and Johnson's relative weights).

Tolerances: 1e-4 relative throughout unless noted. OLS, LMG and relative weights
agree to ~1e-13; glm's IRLS stops at deviance change 1e-8 (SE differences ~4e-8);
polr was refitted in R with reltol 1e-14 (its default tolerance stops ~1e-3 short
in the coefficients), its SEs come from optim's numerical Hessian and ours from
statsmodels' numerical Hessian (differences ~1e-6).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.drivers.regression import (
    DriverModel,
    RelativeImportance,
    _batch_r2,
    _subset_weights,
    fit_driver_model,
    relative_importance,
)
from workbench.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
R = json.loads((ROOT / "tests" / "reference" / "r_drivers.json").read_text())
DRIVERS = ["satisfaction", "competence", "likeability"]
CS_DRIVERS = ["price", "effectiveness", "distribution"]
RTOL = 1e-4


def _mean(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    return frame[cols].mean(axis=1, skipna=False)


@pytest.fixture(scope="module")
def corp() -> pd.DataFrame:
    c = pd.read_csv(ROOT / "data" / "corp_rep.csv").replace(-99, np.nan)
    c["loyalty"] = _mean(c, ["cusl_1", "cusl_2", "cusl_3"])
    c["competence"] = _mean(c, ["comp_1", "comp_2", "comp_3"])
    c["likeability"] = _mean(c, ["like_1", "like_2", "like_3"])
    c["satisfaction"] = c["cusa"]
    c["quality"] = _mean(c, [f"qual_{i}" for i in range(1, 9)])
    c["performance"] = _mean(c, [f"perf_{i}" for i in range(1, 6)])
    c["csr"] = _mean(c, [f"csor_{i}" for i in range(1, 6)])
    c["attractiveness"] = _mean(c, [f"attr_{i}" for i in range(1, 4)])
    c["serviceprovider"] = c["serviceprovider"].astype("category")
    c["loyal"] = (c["loyalty"] >= 6).astype(float).where(c["loyalty"].notna())
    return c


@pytest.fixture(scope="module")
def cs() -> pd.DataFrame:
    d = pd.read_csv(ROOT / "data" / "customer_sat.csv")
    d["price"] = _mean(d, ["q2", "q3", "q4"])
    d["effectiveness"] = _mean(d, ["q5", "q6", "q7", "q8"])
    d["distribution"] = _mean(d, ["q9", "q10"])
    return d


@pytest.fixture(scope="module")
def ols(corp) -> DriverModel:
    return fit_driver_model(corp, "loyalty", DRIVERS, controls=["serviceprovider"])


def _r_name(term: str) -> str:
    """statsmodels-style term -> R's coefficient name."""
    if term == "Intercept":
        return "(Intercept)"
    return term.replace("[T.", "").replace("]", "")


def _assert_table(coefs: pd.DataFrame, column: str, ref: dict, rtol: float = RTOL) -> None:
    got = {_r_name(t): v for t, v in zip(coefs["term"], coefs[column], strict=True)}
    assert set(ref) <= set(got), (set(ref), set(got))
    for name, value in ref.items():
        assert got[name] == pytest.approx(value, rel=rtol, abs=1e-300), (column, name)


def _check(df: pd.DataFrame, name: str) -> pd.Series:
    return df.set_index("check").loc[name]


# --------------------------------------------------------------------------- OLS vs lm


def test_ols_matches_lm(ols):
    r = R["corp_ols"]
    assert ols.kind == "ols"
    assert ols.n == r["n"] == 336
    assert ols.n_dropped == 8
    c = ols.coefficients
    _assert_table(c, "estimate", r["coef"])
    _assert_table(c, "se", r["se"])
    _assert_table(c, "statistic", r["t"])
    _assert_table(c, "p", r["p"])
    _assert_table(c, "ci_low", r["ci_low"])
    _assert_table(c, "ci_high", r["ci_high"])
    _assert_table(c, "std_beta", r["std_beta"])
    assert ols.r2 == pytest.approx(r["r2"], rel=RTOL)
    assert ols.adj_r2 == pytest.approx(r["adj_r2"], rel=RTOL)
    assert ols.aic == pytest.approx(r["aic"], rel=RTOL)
    assert ols.bic == pytest.approx(r["bic"], rel=RTOL)
    assert ols.reference_levels == {"serviceprovider": "1"}


def test_ols_hc3_matches_sandwich(corp):
    r = R["corp_ols"]
    res = fit_driver_model(corp, "loyalty", DRIVERS, controls=["serviceprovider"], robust=True)
    assert res.robust
    _assert_table(res.coefficients, "se", r["se_hc3"])
    _assert_table(res.coefficients, "p", r["p_hc3"])
    _assert_table(res.coefficients, "estimate", r["coef"])


def test_hierarchical_matches_anova(ols):
    r = R["corp_ols"]
    h = ols.hierarchical
    assert h["test"] == "F"
    assert h["r2_controls"] == pytest.approx(r["r2_controls"], rel=RTOL)
    assert h["delta_r2"] == pytest.approx(r["delta_r2"], rel=RTOL)
    assert h["statistic"] == pytest.approx(r["delta_f"], rel=RTOL)
    assert (h["df1"], h["df2"]) == (r["delta_df1"], r["delta_df2"])
    assert h["p"] == pytest.approx(r["delta_p"], rel=RTOL)


def test_assumption_checks_match_r(ols):
    r = R["corp_ols"]
    a = ols.assumptions
    assert list(a.columns) == ["check", "value", "status", "explanation"]
    assert set(a["status"]) <= {"green", "amber", "red"}
    for d in DRIVERS:
        assert _check(a, f"VIF {d}")["value"] == pytest.approx(r["vif"][d], rel=RTOL)
    assert _check(a, "Heteroscedasticity (Breusch-Pagan p)")["value"] == pytest.approx(
        r["bp_p"], rel=RTOL
    )
    assert _check(a, "Residual normality (Shapiro-Wilk p)")["value"] == pytest.approx(
        r["shapiro_p"],
        rel=1e-3,  # scipy's and R's Shapiro-Wilk approximations (Royston)
    )
    assert _check(a, "Linearity (RESET p)")["value"] == pytest.approx(r["reset_p"], rel=RTOL)
    assert _check(a, "Influential cases (Cook's D > 4/n)")["value"] == r["cooks_over_4_n"]
    assert len(ols.influential) == r["cooks_over_4_n"]
    assert ols.influential["cooks_d"].iloc[0] == pytest.approx(r["cooks_max"], rel=RTOL)
    # BP p = 0.03: amber, with the advice to use robust SEs
    bp = _check(a, "Heteroscedasticity (Breusch-Pagan p)")
    assert bp["status"] == "amber" and "robust=True" in bp["explanation"]
    lin = ols.linearity
    assert list(lin.columns) == ["row", "fitted", "residual"] and len(lin) == ols.n
    np.testing.assert_allclose(lin["fitted"] + lin["residual"], ols.model.model.endog)


# --------------------------------------------------------------------------- logit vs glm


def test_logit_matches_glm(corp):
    r = R["corp_logit"]
    res = fit_driver_model(corp, "loyal", DRIVERS, controls=["serviceprovider"])
    assert res.kind == "logit" and "2 distinct values" in res.reason
    assert res.n == r["n"]
    c = res.coefficients
    _assert_table(c, "estimate", r["coef"])
    _assert_table(c, "se", r["se"])
    _assert_table(c, "statistic", r["z"])
    _assert_table(c, "p", r["p"])
    _assert_table(c, "ci_low", r["ci_low"])
    _assert_table(c, "ci_high", r["ci_high"])
    assert res.pseudo_r2 == pytest.approx(r["pseudo_r2"], rel=RTOL)
    assert res.loglik == pytest.approx(r["loglik"], rel=RTOL)
    assert res.aic == pytest.approx(r["aic"], rel=RTOL)
    assert res.bic == pytest.approx(r["bic"], rel=RTOL)
    h = res.hierarchical
    assert h["test"] == "LR" and h["df1"] == r["lr_df"]
    assert h["statistic"] == pytest.approx(r["lr_stat"], rel=RTOL)
    assert h["p"] == pytest.approx(r["lr_p"], rel=RTOL)
    assert h["r2_controls"] == pytest.approx(r["pseudo_r2_controls"], rel=RTOL)
    # x-standardized only
    sd = corp.dropna(subset=["loyal", *DRIVERS])["likeability"].std()
    row = c.set_index("term").loc["likeability"]
    assert row["std_beta"] == pytest.approx(row["estimate"] * sd, rel=1e-12)
    assert res.r2 is None and res.linearity is None
    assert res.assumptions["check"].str.startswith("VIF").all()


def test_logit_codes_larger_value_as_one(corp):
    d = corp.assign(loyal12=corp["loyal"] + 1)
    a = fit_driver_model(d, "loyal12", DRIVERS)
    b = fit_driver_model(d, "loyal", DRIVERS)
    np.testing.assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"])
    assert "coded 1" in a.reason


# --------------------------------------------------------------------------- ordinal vs polr


def test_ordinal_matches_polr_customer_sat(cs):
    r = R["cs_polr"]
    res = fit_driver_model(cs, "q1", CS_DRIVERS)
    assert res.kind == "ordinal" and "10 integer categories" in res.reason
    assert "Intercept" not in set(res.coefficients["term"])
    _assert_table(res.coefficients, "estimate", r["coef"])
    _assert_table(res.coefficients, "se", r["se_coef"])
    th = res.thresholds.set_index("label")
    assert list(th.index) == list(r["zeta"]) == [f"{i}|{i + 1}" for i in range(1, 10)]
    for label, value in r["zeta"].items():
        assert th.loc[label, "estimate"] == pytest.approx(value, rel=RTOL)
        assert th.loc[label, "se"] == pytest.approx(r["se_zeta"][label], rel=RTOL)
    assert res.loglik == pytest.approx(r["loglik"], rel=RTOL)
    assert res.pseudo_r2 == pytest.approx(r["pseudo_r2"], rel=RTOL)
    assert res.aic == pytest.approx(r["aic"], rel=RTOL)
    assert res.bic == pytest.approx(r["bic"], rel=RTOL)
    # polr's sign convention: positive coefficient -> higher categories
    est = res.coefficients.set_index("term")["estimate"]
    assert est["effectiveness"] > 0 and est["price"] > 0
    assert not any("converge" in w for w in res.warnings)


def test_ordinal_with_controls_matches_polr(corp):
    r = R["corp_polr"]
    res = fit_driver_model(
        corp, "satisfaction", ["competence", "likeability"], controls=["serviceprovider"]
    )
    assert res.kind == "ordinal" and res.n == r["n"]
    _assert_table(res.coefficients, "estimate", r["coef"])
    _assert_table(res.coefficients, "se", r["se_coef"])
    th = res.thresholds.set_index("label")
    for label, value in r["zeta"].items():
        assert th.loc[label, "estimate"] == pytest.approx(value, rel=RTOL)
        assert th.loc[label, "se"] == pytest.approx(r["se_zeta"][label], rel=RTOL)
    h = res.hierarchical
    assert h["test"] == "LR" and h["df1"] == r["lr_df"] == 2
    assert h["statistic"] == pytest.approx(r["lr_stat"], rel=RTOL)


# --------------------------------------------------------------------------- auto rule


def test_auto_rule(corp, cs):
    assert fit_driver_model(corp, "loyalty", DRIVERS).kind == "ols"  # mean of 3 items
    assert fit_driver_model(corp, "loyal", DRIVERS).kind == "logit"
    assert fit_driver_model(corp, "satisfaction", ["competence"]).kind == "ordinal"
    forced = fit_driver_model(cs, "q1", CS_DRIVERS, model="ols")
    assert forced.kind == "ols" and forced.reason == "requested: model='ols'"
    assert any("model='ordinal'" in w for w in forced.warnings)


def test_to_dict_blocks(ols, cs):
    d = ols.to_dict()
    json.dumps(d)
    assert {"kind", "outcome", "n", "r2", "adj_r2", "coefficients"} <= set(d)
    assert "pseudo_r2" not in d and "thresholds" not in d
    assert set(d["coefficients"]["satisfaction"]) == {
        "estimate",
        "se",
        "p",
        "ci_low",
        "ci_high",
        "std_beta",
    }
    assert d["coefficients"]["Intercept"]["std_beta"] is None
    o = fit_driver_model(cs, "q1", CS_DRIVERS).to_dict()
    json.dumps(o)
    assert o["kind"] == "ordinal" and "pseudo_r2" in o and "r2" not in o
    assert list(o["thresholds"]) == [f"{i}|{i + 1}" for i in range(1, 10)]
    assert "Thresholds" in fit_driver_model(cs, "q1", CS_DRIVERS).summary()
    text = ols.summary()
    assert "Warnings:" in text and "8 of 344 rows were dropped" in text
    assert "<table" in ols._repr_html_()


def test_robust_ignored_for_logit_with_warning(corp):
    res = fit_driver_model(corp, "loyal", DRIVERS, robust=True)
    assert not res.robust
    assert any("robust=True applies to OLS only" in w for w in res.warnings)


def test_object_control_and_influential_rows():
    rng = np.random.default_rng(3)
    n = 120
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "tier": rng.choice(["silver", "gold", "bronze"], size=n),
        }
    )
    df["y"] = df["x"] + 0.5 * df["z"] + rng.normal(size=n)
    df.loc[41, ["x", "y"]] = [6.0, -15.0]  # a gross outlier at data row 42
    df.loc[5, "z"] = np.nan
    res = fit_driver_model(df, "y", ["x", "z"], controls=["tier"])
    assert res.reference_levels == {"tier": "bronze"}
    assert {"tier[T.gold]", "tier[T.silver]"} <= set(res.coefficients["term"])
    assert res.n == n - 1 and res.n_dropped == 1
    assert res.influential["row"].iloc[0] == 42
    cook = _check(res.assumptions, "Influential cases (Cook's D > 4/n)")
    assert cook["status"] == "red" and "row 42" in cook["explanation"]
    assert any("Assumption check red" in w for w in res.warnings)
    assert 6 not in set(res.linearity["row"])  # the dropped row (data row 6)


# --------------------------------------------------------------------------- input errors


def test_errors(corp):
    with pytest.raises(InputError, match="not in the data"):
        fit_driver_model(corp, "loyalty", ["satisfactoin"])
    with pytest.raises(InputError, match="not numeric") as e:
        fit_driver_model(corp.assign(t=corp["cusa"].astype(str)), "loyalty", ["t"])
    assert e.value.column == "t"
    with pytest.raises(InputError, match="constant"):
        fit_driver_model(corp.assign(k=1.0), "loyalty", ["satisfaction", "k"])
    with pytest.raises(InputError, match="Perfect collinearity"):
        twice = corp.assign(sum2=corp["competence"] + 2 * corp["likeability"])
        fit_driver_model(twice, "loyalty", ["competence", "likeability", "sum2"])
    with pytest.raises(InputError, match="complete rows"):
        fit_driver_model(corp.head(12), "loyalty", DRIVERS)
    with pytest.raises(InputError, match="binary outcome"):
        fit_driver_model(corp, "loyalty", DRIVERS, model="logit")
    with pytest.raises(InputError, match="more than once"):
        fit_driver_model(corp, "loyalty", ["loyalty"])
    with pytest.raises(ValueError, match="'auto', 'ols', 'ordinal', 'logit'"):
        fit_driver_model(corp, "loyalty", DRIVERS, model="probit")
    with pytest.raises(ValueError, match="ci="):
        fit_driver_model(corp, "loyalty", DRIVERS, ci=95)
    with pytest.raises(InputError, match="constant"):
        relative_importance(corp.assign(k=2.0), "loyalty", ["satisfaction", "k"], bootstrap=0)
    with pytest.raises(ValueError, match="bootstrap="):
        relative_importance(corp, "loyalty", DRIVERS, bootstrap=-1)


# --------------------------------------------------------------------------- relative importance


@pytest.mark.parametrize(
    ("key", "which", "outcome", "drivers"),
    [
        ("corp_ri", "corp", "loyalty", DRIVERS),
        (
            "corp_ri7",
            "corp",
            "loyalty",
            [*DRIVERS, "quality", "performance", "csr", "attractiveness"],
        ),
        ("cs_ri", "cs", "q1", CS_DRIVERS),
    ],
)
def test_relative_importance_matches_r(request, key, which, outcome, drivers):
    r = R[key]
    data = request.getfixturevalue(which)
    ri = relative_importance(data, outcome, drivers, bootstrap=0)
    assert ri.n == r["n"]
    assert ri.r2 == pytest.approx(r["r2"], rel=1e-8)
    t = ri.table.set_index("driver")
    for d in drivers:
        assert t.loc[d, "lmg"] == pytest.approx(r["lmg"][d], rel=1e-8)
        assert t.loc[d, "relative_weight"] == pytest.approx(r["relative_weight"][d], rel=1e-8)
    assert t["lmg"].sum() == pytest.approx(ri.r2, rel=1e-10)
    assert t["relative_weight"].sum() == pytest.approx(ri.r2, rel=1e-10)
    assert t["lmg_pct"].sum() == pytest.approx(100)


def test_relative_importance_scale_and_order_invariant(corp):
    drivers = [*DRIVERS, "quality"]
    base = relative_importance(corp, "loyalty", drivers, bootstrap=200, seed=11)
    # pingouin issue 522: rescale one predictor x1000, shift another, rescale the outcome
    moved = corp.assign(
        satisfaction=corp["satisfaction"] * 1000,
        competence=corp["competence"] + 50,
        loyalty=corp["loyalty"] * 0.01 - 3,
    )
    other = relative_importance(moved, "loyalty", drivers, bootstrap=200, seed=11)
    cols = ["lmg", "relative_weight", "lmg_ci_low", "lmg_ci_high", "rw_ci_low", "rw_ci_high"]
    np.testing.assert_allclose(other.table[cols], base.table[cols], rtol=1e-8)
    np.testing.assert_array_equal(other.table["rank_first_share"], base.table["rank_first_share"])
    rev = relative_importance(corp, "loyalty", drivers[::-1], bootstrap=200, seed=11)
    a = base.table.set_index("driver")
    b = rev.table.set_index("driver").loc[a.index]
    np.testing.assert_allclose(b[cols], a[cols], rtol=1e-8)
    np.testing.assert_allclose(b["rank_first_share"], a["rank_first_share"])


def test_relative_importance_bootstrap(corp):
    ri = relative_importance(corp, "loyalty", DRIVERS, bootstrap=300, seed=5)
    assert isinstance(ri, RelativeImportance)
    assert ri.seed == 5 and ri.bootstrap_used == 300
    assert ri.boot_lmg.shape == (300, 3)
    np.testing.assert_allclose(ri.boot_lmg.sum(axis=1), ri.boot_rw.sum(axis=1), rtol=1e-10)
    t = ri.table
    assert t["rank_first_share"].sum() == pytest.approx(1.0)
    assert (t["lmg_ci_low"] <= t["lmg"]).all() and (t["lmg"] <= t["lmg_ci_high"]).all()
    assert (t["rw_ci_low"] <= t["relative_weight"]).all()
    assert (t["relative_weight"] <= t["rw_ci_high"]).all()
    assert t.set_index("driver")["rank_first_share"]["satisfaction"] > 0.9
    again = relative_importance(corp, "loyalty", DRIVERS, bootstrap=300, seed=5)
    pd.testing.assert_frame_equal(again.table, ri.table)
    diff = relative_importance(corp, "loyalty", DRIVERS, bootstrap=300, seed=6)
    assert not np.allclose(diff.table["lmg_ci_low"], ri.table["lmg_ci_low"])
    d = ri.to_dict()
    json.dumps(d)
    assert d["seed"] == 5 and d["r2"] == pytest.approx(ri.r2)
    assert set(d["satisfaction"]) == {
        "lmg",
        "lmg_ci_low",
        "lmg_ci_high",
        "relative_weight",
        "rw_ci_low",
        "rw_ci_high",
        "rank_first_share",
    }
    assert any("Only 300 bootstrap resamples" in w for w in ri.warnings)


def test_bootstrap_replicate_equals_direct_resample(corp):
    """The batched count-matrix bootstrap equals LMG on an explicitly resampled frame."""
    ri = relative_importance(corp, "loyalty", DRIVERS, bootstrap=3, seed=9)
    used = corp.dropna(subset=["loyalty", *DRIVERS])
    n = len(used)
    rng = np.random.default_rng(9)  # one index vector per resample, in order
    for b in range(3):
        sample = used.iloc[rng.integers(0, n, size=n)][[*DRIVERS, "loyalty"]].to_numpy()
        C = np.corrcoef(sample, rowvar=False)[None]
        A, members = _subset_weights(3)
        np.testing.assert_allclose(ri.boot_lmg[b], (_batch_r2(C, members) @ A)[0], rtol=1e-9)


def test_lmg_equals_average_over_orders():
    """LMG = mean over all p! orders of the R2 increment (definition), p = 4."""
    from itertools import permutations

    rng = np.random.default_rng(2)
    n = 200
    X = rng.normal(size=(n, 4)) + rng.normal(size=(n, 1))
    y = X @ [0.5, 0.2, 0.0, -0.3] + rng.normal(size=n)
    df = pd.DataFrame(X, columns=list("abcd")).assign(y=y)
    ri = relative_importance(df, "y", list("abcd"), bootstrap=0)

    def r2(cols):
        if not cols:
            return 0.0
        Z = np.column_stack([np.ones(n), df[list(cols)].to_numpy()])
        beta, *_ = np.linalg.lstsq(Z, y, rcond=None)
        resid = y - Z @ beta
        return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))

    total = dict.fromkeys("abcd", 0.0)
    orders = list(permutations("abcd"))
    for order in orders:
        for k, v in enumerate(order):
            total[v] += r2(order[: k + 1]) - r2(order[:k])
    expected = [total[v] / len(orders) for v in "abcd"]
    np.testing.assert_allclose(ri.table["lmg"], expected, rtol=1e-9)
    assert math.isnan(ri.table["rank_first_share"].iloc[0])
