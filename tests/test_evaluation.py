"""Tests of workbench.behaviour.evaluation: golden values from R 4.2.2, recovery and placebo checks.

Reference numbers: tests/reference/r_evaluation.json, written by
tests/reference/r_evaluation.R (``lm(y ~ treat_post + factor(member) + factor(period))``
and an event study with binned relative-period dummies, covariance
``sandwich::vcovCL(fit, cluster = ~member, type = "HC1")``, i.e. CR1 with
G/(G-1) (n-1)/(n-k), k counting every lm coefficient; t with G - 1 df for p values).
The panel (60 members x 12 months, 10 members entering late) is stored in the JSON.
Agreement is ~1e-13; the tests ask for 1e-8 (estimates) and 1e-6 relative (SEs).
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour.evaluation import (
    CAVEAT_ITS,
    DiDResult,
    EventStudyResult,
    difference_in_differences,
    event_study,
    interrupted_time_series,
    loyalty_matrix,
    member_period_panel,
    net_promoter_score,
    nps_by,
    nps_change,
)
from workbench.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
R = json.loads((ROOT / "tests" / "reference" / "r_evaluation.json").read_text())


@pytest.fixture(scope="module")
def golden():
    panel = pd.DataFrame(R["data"]).rename(columns={"y": "purchases"})
    panel["period"] = pd.to_datetime(panel["period"])
    ids = panel["member_id"].unique()
    treated = pd.Series(np.isin(ids, R["treated"]), index=ids)
    return panel, treated


def simulate_panel(seed, *, n=600, months=36, launch="2024-01-01", effect=0.3):
    """Purchases = member effect + period effect (common trend) + effect x treated x post."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"m{i:04d}" for i in range(n)])
    periods = pd.date_range("2022-01-01", periods=months, freq="MS")
    treated = pd.Series(rng.random(n) < 0.5, index=ids)
    alpha = rng.gamma(2.0, 0.75, n) + 0.3 * treated.to_numpy()  # treated buy more anyway
    gamma = 0.2 * np.sin(np.arange(months) * 2 * np.pi / 12) + 0.01 * np.arange(months)
    mid = np.repeat(ids, months)
    per = np.tile(periods, n)
    post = np.tile(periods >= pd.Timestamp(launch), n)
    tr = np.repeat(treated.to_numpy(), months)
    mu = np.repeat(alpha, months) + np.tile(gamma, n) + effect * (tr & post)
    y = mu + rng.normal(0, 1.0, len(mu))
    return pd.DataFrame({"member_id": mid, "period": per, "purchases": y}), treated


# --------------------------------------------------------------------------- golden


def test_did_matches_r_vcovcl_hc1(golden):
    panel, treated = golden
    res = difference_in_differences(
        panel, outcome="frequency", treated=treated, launch_date=R["launch_date"]
    )
    ref = R["did"]
    assert isinstance(res, DiDResult)
    assert res.estimate == pytest.approx(ref["estimate"], abs=1e-8)
    assert res.se == pytest.approx(ref["se"], rel=1e-6)
    assert res.p == pytest.approx(ref["p"], rel=1e-6)
    assert (res.n, res.clusters, res.df_resid) == (ref["n"], ref["clusters"], ref["df_resid"])
    assert res.treated_post_mean == pytest.approx(ref["treated_post_mean"], abs=1e-10)
    m0 = ref["treated_post_mean"] - ref["estimate"]
    assert res.relative_effect == pytest.approx(ref["estimate"] / m0, rel=1e-8)
    assert res.relative_ci_low < res.relative_effect < res.relative_ci_high
    d = res.to_dict()
    assert {"outcome", "estimate", "se", "ci_low", "ci_high", "p", "relative_effect"} <= set(d)
    assert d["outcome"] == "frequency" and 0 <= d["pretrend_p"] <= 1
    assert "Difference in differences" in res.summary()


def test_did_matches_statsmodels_dummy_regression(golden):
    import statsmodels.formula.api as smf

    panel, treated = golden
    d = panel.assign(
        treat_post=(
            panel["member_id"].isin(R["treated"]) & (panel["period"] >= R["launch_date"])
        ).astype(float)
    )
    fit = smf.ols("purchases ~ treat_post + C(member_id) + C(period)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["member_id"])[0]}
    )
    res = difference_in_differences(
        panel, outcome="frequency", treated=treated, launch_date=R["launch_date"]
    )
    assert res.estimate == pytest.approx(fit.params["treat_post"], abs=1e-8)
    assert res.se == pytest.approx(fit.bse["treat_post"], rel=1e-6)
    assert res.p == pytest.approx(fit.pvalues["treat_post"], rel=1e-6)


def test_poisson_did_matches_r_glm_vcovcl(golden):
    panel, treated = golden
    counts = panel.assign(purchases=R["data"]["count"])
    res = difference_in_differences(
        counts,
        outcome="frequency",
        treated=treated,
        launch_date=R["launch_date"],
        model="poisson",
    )
    ref = R["poisson"]
    assert res.model == "poisson"
    assert res.estimate == pytest.approx(ref["estimate"], abs=1e-8)
    assert res.se == pytest.approx(ref["se"], rel=1e-6)
    assert res.p == pytest.approx(ref["p"], rel=1e-6)
    assert res.relative_effect == pytest.approx(np.expm1(ref["estimate"]), rel=1e-8)
    assert res.relative_ci_low == pytest.approx(np.expm1(res.ci_low), rel=1e-12)
    with pytest.raises(InputError, match="non-negative"):
        difference_in_differences(
            panel.assign(purchases=panel["purchases"] - 10),
            outcome="frequency",
            treated=treated,
            launch_date=R["launch_date"],
            model="poisson",
        )
    with pytest.raises(ValueError, match="poisson"):
        difference_in_differences(
            counts, outcome="frequency", treated=treated, launch_date=R["launch_date"], model="nb"
        )


def test_poisson_recovers_multiplicative_effect_where_levels_are_not_parallel():
    # Rates multiplied by 1.25 after launch; treated members buy more to begin with and
    # everyone's rate decays, so trends are parallel in ratios, not in levels.
    rng = np.random.default_rng(12)  # seed 11 gives pretrend p = 0.049: the 1 in 20
    n, months = 2000, 24
    ids = np.array([f"m{i:04d}" for i in range(n)])
    treated = pd.Series(np.arange(n) < n // 2, index=ids)
    rate = rng.gamma(1.5, 1.0, n) * np.where(treated, 1.6, 1.0)
    per = pd.date_range("2024-01-01", periods=months, freq="MS")
    decay = np.exp(-0.06 * np.arange(months))
    post = per >= pd.Timestamp("2025-01-01")
    mu = np.outer(rate, decay) * np.where(np.outer(treated, post), 1.25, 1.0)
    panel = pd.DataFrame(
        {
            "member_id": np.repeat(ids, months),
            "period": np.tile(per, n),
            "purchases": rng.poisson(mu).ravel(),
        }
    )
    kw = dict(outcome="frequency", treated=treated, launch_date="2025-01-01")
    pois = difference_in_differences(panel, model="poisson", **kw)
    assert pois.relative_ci_low < 0.25 < pois.relative_ci_high
    assert pois.pretrend_p > 0.05
    lin = difference_in_differences(panel, **kw)
    assert lin.relative_ci_high < 0.25  # the level model is biased here
    es = event_study(panel, model="poisson", leads=3, lags=6, **kw)
    assert es.model == "poisson" and es.pretrend_df == 2


def test_event_study_matches_r(golden):
    panel, treated = golden
    es = event_study(
        panel,
        outcome="frequency",
        treated=treated,
        launch_date=R["launch_date"],
        leads=4,
        lags=4,
    )
    ref = R["event"]
    assert isinstance(es, EventStudyResult)
    t = es.table[~es.table["reference"]]
    assert t["k"].tolist() == ref["k"]
    np.testing.assert_allclose(t["estimate"], ref["estimate"], atol=1e-8)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=1e-6)
    np.testing.assert_allclose(t["p"], ref["p"], rtol=1e-6)
    assert es.pretrend_chi2 == pytest.approx(ref["wald"], rel=1e-6)
    assert es.pretrend_p == pytest.approx(ref["wald_p"], rel=1e-6)
    assert es.pretrend_df == 3
    hz = es.effect_by_horizon
    assert hz.loc["short", "estimate"] == pytest.approx(ref["short"], abs=1e-8)
    assert hz.loc["short", "se"] == pytest.approx(ref["short_se"], rel=1e-6)
    assert hz.loc["medium", "estimate"] == pytest.approx(ref["medium"], abs=1e-8)
    assert hz.loc["medium", "se"] == pytest.approx(ref["medium_se"], rel=1e-6)
    assert np.isnan(hz.loc["long", "estimate"])
    d = es.to_dict()
    assert d["-1"] == {"estimate": 0.0, "ci_low": None, "ci_high": None, "se": None, "p": None}
    assert set(d["0"]) == {"estimate", "ci_low", "ci_high", "se", "p"}
    # results.json carries each period's clustered SE and p as R's vcovCL fit has them
    for k, se, p in zip(ref["k"], ref["se"], ref["p"], strict=True):
        assert d[str(k)]["se"] == pytest.approx(se, rel=1e-6)
        assert d[str(k)]["p"] == pytest.approx(p, rel=1e-6)
    assert bool(t.loc[t["k"] == -4, "binned"].iloc[0]) and bool(
        t.loc[t["k"] == 4, "binned"].iloc[0]
    )


# --------------------------------------------------------------------------- recovery


def test_did_recovers_known_effect_and_parallel_pretrend():
    panel, treated = simulate_panel(20240701)
    res = difference_in_differences(
        panel, outcome="frequency", treated=treated, launch_date="2024-01-01"
    )
    assert res.ci_low < 0.3 < res.ci_high
    assert res.pretrend_p > 0.05
    es = res.event
    assert es is not None and (es.leads, es.lags) == (6, 11)
    lags = es.table[es.table["k"] >= 0]
    assert ((lags["ci_low"] < 0.3) | (lags["estimate"] > 0)).all()
    short = es.effect_by_horizon.loc["short"]
    assert short["ci_low"] < 0.3 < short["ci_high"]


def test_placebo_launch_a_year_earlier_covers_zero():
    panel, treated = simulate_panel(20240701)
    pre = panel[panel["period"] < pd.Timestamp("2024-01-01")]
    res = difference_in_differences(
        pre, outcome="frequency", treated=treated, launch_date="2023-01-01"
    )
    assert res.ci_low < 0 < res.ci_high


def test_its_on_treated_series_states_caveat():
    panel, treated = simulate_panel(20240701, effect=0.5)
    tr_ids = treated.index[treated]
    series = panel[panel["member_id"].isin(tr_ids)].groupby("period")["purchases"].mean()
    its = interrupted_time_series(series, "2024-01-01")
    assert its.caveat == CAVEAT_ITS and "comparison group" in its.caveat
    assert "confounded" in its.summary()
    # The simulated seasonality is not linear, so the ITS level change need not cover
    # the truth (0.5): exactly what the caveat warns about. It is still positive here.
    assert its.table.loc["level_change", "estimate"] > 0
    assert its.n_pre == 24 and its.n_post == 12 and its.maxlags == 3
    assert its.to_dict()["caveat"] == CAVEAT_ITS


def test_its_matches_r_neweywest():
    ref = R["its"]
    idx = pd.date_range("2024-01-01", periods=12, freq="MS")
    its = interrupted_time_series(pd.Series(ref["y"], index=idx), R["launch_date"], maxlags=2)
    np.testing.assert_allclose(its.table["estimate"], ref["estimate"], atol=1e-8)
    np.testing.assert_allclose(its.table["se"], ref["se"], rtol=1e-6)
    assert its.launch_period == pd.Timestamp(R["launch_date"])
    assert any("pre-launch periods" in w for w in its.warnings)


def test_its_newey_west_matches_statsmodels_definition():
    # maxlags = 0 is White's HC0 with the n/(n-k) correction, i.e. HC1.
    import statsmodels.api as sm

    idx = pd.date_range("2022-01-01", periods=30, freq="MS")
    y = pd.Series(np.random.default_rng(3).normal(0, 1, 30) + np.arange(30) * 0.1, index=idx)
    its = interrupted_time_series(y, "2023-06-01", maxlags=0)
    t = np.arange(30.0)
    post = (idx >= "2023-06-01").astype(float)
    x = np.column_stack([np.ones(30), t, post, (t - 17) * post])
    ref = sm.OLS(y.to_numpy(), x).fit(cov_type="HC1")
    np.testing.assert_allclose(its.table["se"], ref.bse, rtol=1e-10)


# --------------------------------------------------------------------------- panel


def test_member_period_panel_zero_fills_and_flags():
    tx = pd.DataFrame(
        {
            "member_id": ["a", "a", "a", "b", "a", "b"],
            "date": pd.to_datetime(
                ["2024-01-05", "2024-01-20", "2024-02-03", "2024-03-01", "2024-02-10", "2024-04-30"]
            ),
            "amount": [10.0, 5.0, 8.0, 4.0, -8.0, 1.0],
        }
    )
    members = pd.DataFrame(
        {"member_id": ["a", "b", "c"], "join_date": ["2023-12-15", None, "2024-03-02"]}
    )
    p = member_period_panel(tx, members=members)
    a = p[p["member_id"] == "a"]
    assert a["period"].dt.strftime("%Y-%m").tolist() == [
        "2023-12",
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert a["purchases"].tolist() == [0, 2, 1, 0, 0]  # the refund is not a purchase
    assert a["spend"].tolist() == [0.0, 15.0, 8.0, 0.0, 0.0]
    assert a["active"].tolist() == [0, 1, 1, 0, 0]
    np.testing.assert_array_equal(a["retained"], [np.nan, np.nan, 1.0, 0.0, np.nan])
    b = p[p["member_id"] == "b"]
    assert b["period"].dt.strftime("%Y-%m").tolist() == ["2024-03", "2024-04"]
    c = p[p["member_id"] == "c"]
    assert len(c) == 2 and c["purchases"].sum() == 0
    q = member_period_panel(tx, period="quarter")
    assert q.groupby("member_id").size().to_dict() == {"a": 2, "b": 2}
    w = member_period_panel(tx, period="week", start="2024-02-01", end="2024-02-29")
    assert (w["period"].dt.day_of_week == 0).all()
    with pytest.raises(ValueError, match="month"):
        member_period_panel(tx, period="day")


def test_did_on_panel_built_from_transactions_retention():
    rng = np.random.default_rng(5)
    rows = []
    for i in range(200):
        treated = i < 100
        for m in range(12):
            rate = 1.0 + (0.8 if treated and m >= 6 else 0.0)
            for _ in range(rng.poisson(rate)):
                rows.append(
                    (f"m{i:03d}", pd.Timestamp(2024, m + 1, 1 + int(rng.integers(0, 28))), 20.0)
                )
    tx = pd.DataFrame(rows, columns=["member_id", "date", "amount"])
    panel = member_period_panel(tx, start="2024-01-01", end="2024-12-31")
    tr = pd.Series(panel["member_id"].unique() < "m100", index=panel["member_id"].unique())
    for outcome in ("frequency", "spend", "retention"):
        res = difference_in_differences(
            panel, outcome=outcome, treated=tr, launch_date="2024-07-01"
        )
        assert res.estimate > 0 and res.p < 0.05, outcome
    ret = difference_in_differences(
        panel, outcome="retention", treated=tr, launch_date="2024-07-01"
    )
    assert ret.n == int(panel["retained"].notna().sum())


# --------------------------------------------------------------------------- errors


def test_errors(golden):
    panel, treated = golden
    kw = dict(outcome="frequency", launch_date=R["launch_date"])
    with pytest.raises(InputError, match="treated and 0 control"):
        difference_in_differences(panel, treated=treated | True, **kw)
    with pytest.raises(InputError, match="0 treated"):
        difference_in_differences(panel, treated=treated & False, **kw)
    with pytest.raises(InputError, match="outside"):
        difference_in_differences(
            panel, outcome="frequency", treated=treated, launch_date="2026-01-01"
        )
    with pytest.raises(InputError, match="leads = 8"):
        event_study(panel, treated=treated, leads=8, lags=2, **kw)
    with pytest.raises(InputError, match="lags = 9"):
        event_study(panel, treated=treated, leads=2, lags=9, **kw)
    with pytest.raises(ValueError, match="frequency"):
        difference_in_differences(
            panel, outcome="visits", treated=treated, launch_date=R["launch_date"]
        )
    with pytest.raises(ValueError, match="member"):
        difference_in_differences(panel, treated=treated, cluster="store", **kw)
    with pytest.raises(InputError, match="not in `treated`"):
        difference_in_differences(panel, treated=treated.iloc[:10], **kw)
    with pytest.raises(InputError, match="more than one row"):
        difference_in_differences(pd.concat([panel, panel.iloc[:1]]), treated=treated, **kw)
    with pytest.raises(InputError, match="missing period"):
        difference_in_differences(
            panel.assign(period=panel["period"].mask(panel.index == 3)), treated=treated, **kw
        )
    with pytest.raises(InputError, match="at least 3 periods"):
        interrupted_time_series(panel.groupby("period")["purchases"].mean(), "2024-11-01")


# --------------------------------------------------------------------------- NPS


def test_nps_formula_by_hand():
    scores = pd.Series([10, 9, 9, 8, 7, 6, 3, 10, 9, 5, 0, 8, np.nan])
    r = net_promoter_score(scores)
    n, pp, pdet = 12, 5 / 12, 4 / 12
    assert r.n == n and r.promoters == pytest.approx(pp) and r.detractors == pytest.approx(pdet)
    assert r.nps == pytest.approx(100 * (pp - pdet))
    se = 100 * np.sqrt((pp + pdet - (pp - pdet) ** 2) / n)
    assert r.se == pytest.approx(se)
    assert r.ci_low == pytest.approx(r.nps - 1.959963984540054 * se)
    assert r.to_dict() == {"nps": r.nps, "ci_low": r.ci_low, "ci_high": r.ci_high, "n": 12}
    with pytest.raises(InputError, match="0 to 10"):
        net_promoter_score(pd.Series([10, 99]))


def test_nps_by_and_change():
    d = pd.DataFrame(
        {"wave": ["w1"] * 200 + ["w2"] * 200, "ltr": [10, 9, 7, 3] * 50 + [10, 10, 9, 6] * 50}
    )
    tab = nps_by(d, "ltr", "wave")
    assert tab["nps"].tolist() == [25.0, 50.0] and tab["n"].tolist() == [200, 200]
    ch = nps_change(d.loc[d.wave == "w1", "ltr"], d.loc[d.wave == "w2", "ltr"])
    assert ch.difference == pytest.approx(25.0)
    assert ch.se == pytest.approx(np.hypot(tab["se"].iloc[0], tab["se"].iloc[1]))
    assert ch.z == pytest.approx(25.0 / ch.se) and ch.p < 0.05


# --------------------------------------------------------------------------- loyalty matrix


def test_loyalty_matrix_hand_fixture():
    ids = [f"c{i}" for i in range(8)]
    attitude = pd.Series([7, 6, 5, 6, 2, 3, 1, 4], index=ids)
    repeat = pd.Series([9, 8, 0, 1, 7, 6, 0, 1], index=ids)
    revenue = pd.Series([300.0, 200, 20, 30, 150, 100, 0, 200], index=ids)
    lm = loyalty_matrix(attitude, repeat, revenue, attitude_cut=4)  # midpoint of 1-7
    assert lm.repeat_cut == 3.5  # median of repeat
    d = lm.to_dict()
    assert d["true_loyalty"] == {"members": 2, "share": 0.25, "revenue_share": 0.5}
    assert d["latent"] == {"members": 2, "share": 0.25, "revenue_share": 0.05}
    assert d["spurious"] == {"members": 2, "share": 0.25, "revenue_share": 0.25}
    assert d["no_loyalty"] == {"members": 2, "share": 0.25, "revenue_share": 0.2}
    assert lm.assignments["c7"] == "no_loyalty"  # 4 is the midpoint: not high
    med = loyalty_matrix(attitude, repeat, revenue)
    assert med.attitude_cut == 4.5
    assert sum(v["members"] for v in med.to_dict().values()) == 8


# --------------------------------------------------------------------------- memory


def traced_peak(f):
    """Peak bytes that ``f()`` allocates on top of what is already allocated (tracemalloc
    sees numpy's buffers); also returns f's result."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = f()
        return tracemalloc.get_traced_memory()[1] - base, out
    finally:
        if started:
            tracemalloc.stop()


@pytest.mark.parametrize("model", ["linear", "poisson"])
def test_fixed_effects_fits_take_memory_in_rows_not_rows_times_dummies(model):
    # 3,000 members x 60 months: the event study inside the DiD has 17 relative-period
    # terms and 59 period dummies, so a dense design is 180,000 x 76 (109 MB) and the
    # estimator used to hold two or three of them (~400 MB traced, ~300 row-length float
    # arrays). Held as codes with bincount products it needs ~20; allow 40 (58 MB).
    rng = np.random.default_rng(3)
    n, months = 3000, 60
    ids = np.array([f"m{i:05d}" for i in range(n)])
    treated = pd.Series(np.arange(n) % 2 == 0, index=ids)
    periods = pd.date_range("2021-01-01", periods=months, freq="MS")
    panel = pd.DataFrame(
        {
            "member_id": np.repeat(ids, months),
            "period": np.tile(periods, n),
            "purchases": rng.poisson(np.repeat(0.5 + rng.gamma(1.5, 1.0, n), months)),
        }
    )
    peak, res = traced_peak(
        lambda: difference_in_differences(
            panel, outcome="frequency", treated=treated, launch_date="2023-07-01", model=model
        )
    )
    assert res.event is not None and (res.event.leads, res.event.lags) == (6, 12)
    assert res.n == len(panel) and res.clusters == n  # everyone buys: PPML drops no one
    row_arrays = peak / (len(panel) * 8)
    assert row_arrays < 40, f"{peak / 2**20:.0f} MB = {row_arrays:.0f} row-length arrays"


# --------------------------------------------------------------------------- speed


def test_speed_5000_members_24_periods(capsys):
    rng = np.random.default_rng(1)
    n, t = 5000, 24
    ids = np.repeat([f"m{i:05d}" for i in range(n)], t)
    per = np.tile(pd.date_range("2023-01-01", periods=t, freq="MS"), n)
    treated = pd.Series(rng.random(n) < 0.5, index=[f"m{i:05d}" for i in range(n)])
    panel = pd.DataFrame({"member_id": ids, "period": per, "purchases": rng.poisson(1.0, n * t)})
    t0 = time.perf_counter()
    res = difference_in_differences(
        panel, outcome="frequency", treated=treated, launch_date="2023-12-01"
    )
    es = event_study(panel, outcome="frequency", treated=treated, launch_date="2023-12-01")
    elapsed = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\nDiD + event study, 5000 x 24: {elapsed:.2f} s")
    assert res.n == n * t and len(es.table) == 19
