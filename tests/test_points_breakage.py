"""Tests of workbench.behaviour.breakage: FIFO triangles, chain ladder, ODP bootstrap, survival.

References (tests/reference/):

- ``mack_published.json``: Mack's chain ladder on the RAA triangle as R ChainLadder prints it
  (``MackChainLadder(RAA)``, log-linear sigma: reference page of summary.MackChainLadder;
  ``est.sigma = "Mack"``: the package vignette, total 26,909) and on the Taylor & Ashe triangle
  (Mack 1993, Tables 2-3: total s.e. 2,447,095). Printed values are rounded to units.
- ``py_chainladder_mack.json`` (script ``py_chainladder_mack.py``): the same cases from the
  independent Python package chainladder 0.10.1 at full precision, with the triangles.
- ``r_points_survival.json`` (script ``r_points_survival.R``): R survival's Aalen-Johansen and
  Kaplan-Meier estimates on ``r_points_survival_ledger.csv``.

The ODP bootstrap has no published numbers to match draw for draw; its spread is checked
against England & Verrall's (2002) analytic ODP prediction error, computed here from a
quasi-Poisson GLM (statsmodels) of the same triangle.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from workbench.behaviour.breakage import (
    breakage_by_expiry,
    chain_ladder,
    redemption_survival,
    redemption_triangle,
)
from workbench.behaviour.points import read_points_ledger, validate_ledger
from workbench.errors import InputError

REF = Path(__file__).parent / "reference"
PUBLISHED = json.loads((REF / "mack_published.json").read_text(encoding="utf-8"))
PYCL = json.loads((REF / "py_chainladder_mack.json").read_text(encoding="utf-8"))["cases"]


def triangle(case: str) -> pd.DataFrame:
    c = PYCL[case]
    values = np.array([[np.nan if v is None else v for v in row] for row in c["triangle"]])
    return pd.DataFrame(values, index=c["origins"])


# --------------------------------------------------------------------------- triangle (FIFO)


def test_fifo_traces_each_redemption_to_the_oldest_points_held():
    # a: +100 (Jan 10), +100 (Apr 10), redeem 150 (May 1): 100 from Q1 (k=1), 50 from Q2 (k=0);
    #    expire 30 (Aug 1): the oldest points held are Q2's (k=1); redeem 20 (Dec 31): Q2, k=2.
    # b: +40 (Feb 1), adjust -10 (Feb 1, removed, k=0), +60 (Jul 1, as a positive adjustment:
    #    issued in Q3), redeem 70 (Oct 5): 30 from Q1 (k=3) and 40 from Q3 (k=1).
    df = pd.DataFrame(
        {
            "member_id": ["a", "a", "a", "a", "a", "b", "b", "b", "b"],
            "date": [
                "2024-01-10",
                "2024-04-10",
                "2024-05-01",
                "2024-08-01",
                "2024-12-31",
                "2024-02-01",
                "2024-02-01",
                "2024-07-01",
                "2024-10-05",
            ],
            "type": [
                "earn",
                "earn",
                "redeem",
                "expire",
                "redeem",
                "earn",
                "adjust",
                "adjust",
                "redeem",
            ],
            "points": [100, 100, 150, 30, 20, 40, -10, 60, 70],
        }
    )
    tri = redemption_triangle(validate_ledger(df), period="quarter")
    assert tri.issued.tolist() == [140.0, 100.0, 60.0, 0.0]
    nan = np.nan
    np.testing.assert_array_equal(
        tri.redeemed.to_numpy(),
        [[0, 100, 100, 130], [50, 50, 70, nan], [0, 40, nan, nan], [0, nan, nan, nan]],
    )
    np.testing.assert_array_equal(
        tri.expired.to_numpy(),
        [[0, 0, 0, 0], [0, 30, 30, nan], [0, 0, nan, nan], [0, nan, nan, nan]],
    )
    assert tri.removed.iloc[0].tolist() == [10.0, 10.0, 10.0, 10.0]
    assert tri.outstanding.tolist() == [0.0, 0.0, 20.0, 0.0]
    assert tri.latest_complete and not tri.warnings
    long = tri.to_frame()
    assert long.loc[(long["k"] == 3), "share"].iloc[0] == pytest.approx(130 / 140)
    assert long["period"].iloc[1] == pd.Timestamp("2024-04-01")


def test_a_partial_last_period_is_flagged_and_asof_cuts_the_ledger():
    df = pd.DataFrame(
        {
            "member_id": ["a", "a", "a"],
            "date": ["2024-01-10", "2024-02-10", "2024-05-01"],
            "type": ["earn", "redeem", "redeem"],
            "points": [100, 30, 50],
        }
    )
    tri = redemption_triangle(df, period="quarter")
    assert not tri.latest_complete and "2024-06-30" in tri.warnings[0]
    cut = redemption_triangle(df, period="month", asof="2024-03-31")
    assert cut.latest_complete and cut.redeemed.iloc[0].tolist() == [0.0, 30.0, 30.0]
    with pytest.raises(ValueError, match="before the ledger's first date"):
        redemption_triangle(df, asof="2023-01-01")


# --------------------------------------------------------------------------- chain ladder


@pytest.mark.parametrize(
    ("case", "sigma_tail", "published"),
    [
        ("raa_log-linear", "log-linear", "raa_log_linear"),
        ("raa_mack", "mack", "raa_mack"),
        ("genins_mack", "mack", "genins_mack"),
    ],
)
def test_mack_standard_errors_equal_the_published_tables(case, sigma_tail, published):
    res = chain_ladder(triangle(case), sigma_tail=sigma_tail, n_boot=0)
    pub = PUBLISHED[published]
    # printed to units: within half a unit
    np.testing.assert_allclose(res.origins["mack_se"], pub["mack_se"], atol=0.5)
    assert abs(res.total["mack_se"] - pub["total_mack_se"]) <= 0.5
    if "ultimate" in pub:
        np.testing.assert_allclose(res.origins["ultimate"], pub["ultimate"], atol=0.5)
        np.testing.assert_allclose(res.origins["reserve"], pub["ibnr"], atol=0.5)
        assert res.total["latest"] == pub["total_latest"]
        assert res.total["ultimate"] == pytest.approx(pub["total_ultimate"], abs=0.005)
        assert res.total["reserve"] == pytest.approx(pub["total_ibnr"], abs=0.005)
    if "total_reserve" in pub:
        assert abs(res.total["reserve"] - pub["total_reserve"]) <= 0.5


@pytest.mark.parametrize(
    ("case", "sigma_tail"),
    [("raa_log-linear", "log-linear"), ("raa_mack", "mack"), ("genins_mack", "mack")],
)
def test_chain_ladder_equals_the_chainladder_package_to_full_precision(case, sigma_tail):
    ref = PYCL[case]
    res = chain_ladder(triangle(case), sigma_tail=sigma_tail, n_boot=0)
    np.testing.assert_allclose(res.factors["f"], ref["f"], rtol=1e-12)
    np.testing.assert_allclose(res.factors["sigma"], ref["sigma"], rtol=1e-9)
    np.testing.assert_allclose(res.origins["ultimate"], ref["ultimate"], rtol=1e-12)
    np.testing.assert_allclose(res.origins["mack_se"], ref["mack_se"], rtol=1e-9, atol=1e-9)
    assert res.total["mack_se"] == pytest.approx(ref["total_mack_se"], rel=1e-10)


def test_mack_invariants_hold():
    res = chain_ladder(triangle("raa_mack"), sigma_tail="mack", n_boot=0)
    o = res.origins
    # the oldest origin is fully developed; the total s.e. exceeds the root sum of squares
    # (origins share the factors) and is below the plain sum
    assert o["reserve"].iloc[0] == 0 and o["mack_se"].iloc[0] == 0
    assert np.sqrt((o["mack_se"] ** 2).sum()) < res.total["mack_se"] < o["mack_se"].sum()
    np.testing.assert_allclose(res.full_triangle.iloc[:, -1], o["ultimate"])
    assert "above 1.01" in res.warnings[-1]  # RAA is still developing at year 10


def _odp_prediction_error(tri: pd.DataFrame) -> tuple[float, float]:
    """England & Verrall's (2002) analytic ODP prediction error of the total reserve."""
    C = tri.to_numpy(dtype=float)
    inc = np.diff(np.nan_to_num(C), prepend=0.0, axis=1)
    m, n = C.shape
    cells = pd.DataFrame(
        [(i, k, inc[i, k], not np.isnan(C[i, k])) for i in range(m) for k in range(n)],
        columns=["i", "k", "y", "obs"],
    )
    X = pd.get_dummies(cells[["i", "k"]].astype(str), drop_first=True).astype(float)
    X.insert(0, "const", 1.0)
    fit = sm.GLM(cells.loc[cells.obs, "y"], X[cells.obs], family=sm.families.Poisson()).fit(
        scale="X2"
    )
    Xf = X[~cells.obs].to_numpy()
    mu = np.exp(Xf @ fit.params.to_numpy())
    grad = mu @ Xf
    return float(np.sqrt(fit.scale * mu.sum() + grad @ fit.cov_params().to_numpy() @ grad)), float(
        fit.scale
    )


def test_odp_bootstrap_spread_matches_the_analytic_odp_prediction_error():
    tri = triangle("genins_mack")
    pe, phi = _odp_prediction_error(tri)
    res = chain_ladder(tri, sigma_tail="mack", n_boot=4000, seed=11)
    assert res.phi == pytest.approx(phi, rel=1e-9)  # 52,601 for Taylor & Ashe
    sd = np.std(res.bootstrap_reserve, ddof=1)
    # Monte Carlo s.e. of the s.d. ~ 1.1%; the bootstrap of the (nonlinear) chain ladder
    # runs ~3.5% above the delta-method figure here (3.05m against 2.95m)
    assert abs(sd / pe - 1) < 0.06
    assert np.mean(res.bootstrap_reserve) == pytest.approx(res.total["reserve"], rel=0.02)
    assert res.ci_low < res.total["ultimate"] < res.ci_high


def test_the_bootstrap_is_reproducible_from_its_seed_and_the_process_distribution_matters():
    tri = triangle("raa_mack")
    a = chain_ladder(tri, n_boot=200, seed=5)
    b = chain_ladder(tri, n_boot=200, seed=5)
    c = chain_ladder(tri, n_boot=200, seed=6)
    np.testing.assert_array_equal(a.bootstrap_reserve, b.bootstrap_reserve)
    assert not np.array_equal(a.bootstrap_reserve, c.bootstrap_reserve)
    odp = chain_ladder(tri, n_boot=2000, seed=5, process="odp")
    gamma = chain_ladder(tri, n_boot=2000, seed=5, process="gamma")
    assert np.std(odp.bootstrap_reserve) == pytest.approx(np.std(gamma.bootstrap_reserve), rel=0.1)
    assert a.seed == 5 and a.n_boot == 200 and "seed 5" in a.summary()


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([[1.0, 2.0], [1.0, np.nan]], "at least 2 origins and 3 periods"),
        ([[1.0, 2.0, 3.0], [np.nan, 2.0, np.nan], [1.0, np.nan, np.nan]], "has a gap"),
        ([[1.0, 2.0, 3.0], [-1.0, 2.0, np.nan], [1.0, np.nan, np.nan]], "negative cumulative"),
        ([[0.0, 2.0, 3.0], [0.0, 2.0, np.nan], [1.0, np.nan, np.nan]], "develop from zero"),
        ([[1.0, 2.0, 3.0], [0.0, 2.0, np.nan], [1.0, np.nan, np.nan]], "0 at development period 0"),
    ],
)
def test_triangles_the_method_cannot_use_are_refused(rows, match):
    with pytest.raises(InputError, match=match) as info:
        chain_ladder(pd.DataFrame(rows), n_boot=0)
    assert info.value.hint


def test_bad_options_name_the_valid_values():
    tri = triangle("raa_mack")
    with pytest.raises(ValueError, match="sigma_tail"):
        chain_ladder(tri, sigma_tail="loglinear")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_boot"):
        chain_ladder(tri, n_boot=-1)
    with pytest.raises(ValueError, match="ci"):
        chain_ladder(tri, ci=95)
    with pytest.raises(TypeError, match="RedemptionTriangle"):
        chain_ladder(tri.to_numpy())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- simulated truth


def simulate_ledger(
    n_members: int = 3000, p: float = 0.75, mean_delay: float = 90.0, seed: int = 7
) -> tuple[pd.DataFrame, float]:
    """Members earn 1-3 batches over 2021-2023; each batch is redeemed whole with probability p
    after an exponential delay (mean ``mean_delay`` days), unless the delay reaches the 365-day
    expiry, when it expires. Returns the ledger up to 2023-12-31 and the realised ultimate
    redemption rate of the points issued by then (their redemptions after 2023 included)."""
    rng = np.random.default_rng(seed)
    start, asof = pd.Timestamp("2021-01-01"), pd.Timestamp("2023-12-31")
    member = np.repeat(np.arange(n_members), rng.integers(1, 4, n_members))
    nb = len(member)
    day = rng.integers(0, 3 * 365, nb)
    pts = rng.integers(1, 11, nb) * 50.0
    delay = rng.exponential(mean_delay, nb).astype(int)
    redeem = (rng.random(nb) < p) & (delay < 365)
    ids = np.array([f"m{i:05d}" for i in member])
    earn = pd.DataFrame(
        {"member_id": ids, "date": start + pd.to_timedelta(day, "D"), "type": "earn", "points": pts}
    )
    out = pd.DataFrame(
        {
            "member_id": ids,
            "date": start + pd.to_timedelta(np.where(redeem, day + delay, day + 365), "D"),
            "type": np.where(redeem, "redeem", "expire"),
            "points": pts,
        }
    )
    full = pd.concat([earn, out], ignore_index=True)
    issued = (earn["date"] <= asof).to_numpy()
    truth = pts[issued & redeem].sum() / pts[issued].sum()
    return full[full["date"] <= asof].reset_index(drop=True), float(truth)


@pytest.fixture(scope="module")
def simulated():
    frame, truth = simulate_ledger()
    return validate_ledger(frame), truth


def test_chain_ladder_recovers_the_simulated_ultimate_redemption_rate(simulated):
    led, truth = simulated
    tri = redemption_triangle(led, period="quarter")
    res = chain_ladder(tri, n_boot=1000, seed=2026)
    # truth 0.736 (p 0.75 x P(delay < 365 days) 0.983, realised)
    assert res.ultimate_rate == pytest.approx(truth, abs=0.01)
    assert res.ci_low < truth < res.ci_high
    assert res.breakage == pytest.approx(1 - res.ultimate_rate)
    assert res.ultimate_rate_se == pytest.approx(res.total["mack_se"] / res.issued)
    assert res.issued == pytest.approx(tri.issued.sum())
    # fully developed cohorts: their ultimate is what they redeemed
    first = res.origins.iloc[0]
    assert first["ultimate"] == first["latest"] and first["ultimate_rate"] == pytest.approx(
        tri.share.iloc[0, -1]
    )
    d = res.to_dict()
    assert {"ultimate_rate", "ci_low", "ci_high", "breakage", "method"} <= set(d)


def test_survival_cross_check_is_close_to_the_chain_ladder(simulated):
    led, truth = simulated
    surv = redemption_survival(led)
    assert surv.max_days == 365  # the expiry age: nothing is held longer
    # FIFO re-assigns redemptions between a member's batches, so per-point ages differ from
    # the simulated batches' delays; the share redeemed by the expiry age stays near the truth
    assert surv.ultimate_rate == pytest.approx(truth, abs=0.015)
    t = surv.table
    assert (np.diff(t["cif_redeemed"]) >= -1e-12).all()
    np.testing.assert_allclose(t["survival"] + t["cif_redeemed"] + t["cif_other"], 1.0)
    # the plain Kaplan-Meier treats expired points as still redeemable: it overstates
    assert t["km_redeemed"].iloc[-1] > surv.ultimate_rate


def test_breakage_falls_as_the_expiry_lengthens_and_longer_policies_are_not_identified(simulated):
    led, _ = simulated
    surv = redemption_survival(led)
    out = breakage_by_expiry(surv, [3, 6, 12, 18], current_expiry_months=12)
    assert out["identified"].tolist() == [True, True, True, False]
    b = out["breakage"].to_numpy()
    assert b[0] > b[1] > b[2] and np.isnan(b[3])
    assert b[2] == pytest.approx(1 - surv.cif_at(365))
    assert out["days"].tolist() == [91, 182, 365, 547]
    with pytest.raises(ValueError, match="expiry_months"):
        breakage_by_expiry(surv, [0])


def test_survival_equals_r_survival_aalen_johansen_and_kaplan_meier():
    ref = json.loads((REF / "r_points_survival.json").read_text(encoding="utf-8"))
    led = read_points_ledger(REF / "r_points_survival_ledger.csv")
    surv = redemption_survival(led, asof="2025-06-30")
    t = surv.table
    ev = t[(t["redeemed"] > 0) | (t["other"] > 0)]
    assert ev["days"].tolist() == ref["days"]
    np.testing.assert_allclose(ev["cif_redeemed"], ref["cif_redeemed"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ev["cif_other"], ref["cif_other"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ev["survival"], ref["survival"], rtol=0, atol=1e-12)
    km = t[t["redeemed"] > 0]
    assert km["days"].tolist() == ref["km_days"]
    np.testing.assert_allclose(km["km_redeemed"], ref["km_redeemed"], rtol=0, atol=1e-12)
