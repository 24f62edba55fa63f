"""Tests of workbench.behaviour.redemption: first-redemption event study and redeemers' churn.

References:

- statsmodels OLS of the member-period outcome on the relative-period dummies (built here
  by hand from each member's first redemption), member dummies and period dummies, with
  ``cov_type="cluster"`` by member and ``use_t=True`` (CR1, t with G - 1 df): estimates
  and SEs agree to ~1e-12 (asked 1e-8). The Sun & Abraham estimator is checked the same
  way (cohort x relative-period dummies, weights by cohort shares computed here).
- Recovery of effects planted in simulated panels, homogeneous and cohort-specific.
- statsmodels ``Logit`` for the churn logit (asked 1e-6).
- Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid
  score interval), the eight published examples, printed to 4 decimals.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from workbench.behaviour import (
    RedeemerChurn,
    RedemptionEffect,
    member_period_panel,
    redeemer_churn,
    redemption_effect,
)
from workbench.behaviour.redemption import newcombe_difference
from workbench.errors import InputError

# --------------------------------------------------------------------------- data


def _random_data(seed: int = 7, n: int = 70) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random purchases over 14 months; 40 members first redeem in months 4-11."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", "2024-02-29", freq="D")
    size = 2500
    tx = pd.DataFrame(
        {
            "member_id": rng.integers(0, n, size).astype(str),
            "date": rng.choice(days, size),
            "amount": np.round(rng.gamma(2.0, 15.0, size), 2),
        }
    )
    tx.loc[rng.random(size) < 0.03, "amount"] *= -1  # refunds
    ids = [str(i) for i in range(40)]
    first = [pd.Timestamp(2023, int(m), 20) for m in rng.integers(4, 12, 40)]
    later = [f + pd.Timedelta(days=40) for f in first]
    led = pd.DataFrame(
        {
            "member_id": ids * 3,
            "date": [pd.Timestamp("2023-01-01")] * 40 + first + later,
            "type": ["earn"] * 40 + ["redeem"] * 80,
            "points": [1000] * 40 + [300] * 80,
        }
    )
    return tx, led


def _design(
    tx: pd.DataFrame, led: pd.DataFrame, leads: int, lags: int, outcome: str = "spend"
) -> tuple[pd.DataFrame, pd.Series]:
    """Panel with k (binned) and cohort, by hand."""
    panel = member_period_panel(tx, period="month")
    first = led[led["type"] == "redeem"].groupby("member_id")["date"].min()
    e = pd.to_datetime(first).dt.to_period("M")
    per = panel["period"].dt.to_period("M")
    panel["cohort"] = panel["member_id"].map(e)
    red = panel["cohort"].notna()
    panel["k"] = np.nan
    panel.loc[red, "k"] = [
        (p - c).n for p, c in zip(per[red], panel.loc[red, "cohort"], strict=True)
    ]
    panel["kb"] = panel["k"].clip(-leads, lags)
    panel["y"] = panel[{"spend": "spend", "visits": "purchases"}[outcome]]
    return panel, red


def _fixed_effects(panel: pd.DataFrame) -> pd.DataFrame:
    mem = pd.get_dummies(panel["member_id"], dtype=float)
    per = pd.get_dummies(panel["period"], dtype=float, drop_first=True)
    per.columns = [f"p{c:%Y%m}" for c in per.columns]
    return pd.concat([mem, per], axis=1)


def _cluster_fit(y: pd.Series, x: pd.DataFrame, groups: pd.Series):
    return sm.OLS(y, x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]}, use_t=True
    )


# --------------------------------------------------------------------------- event study


@pytest.mark.parametrize("outcome", ["spend", "visits"])
def test_twfe_estimates_and_clustered_ses_match_statsmodels(outcome):
    tx, led = _random_data()
    leads, lags = 3, 4
    res = redemption_effect(tx, led, leads=leads, lags=lags, outcome=outcome)
    panel, red = _design(tx, led, leads, lags, outcome)
    ks = [k for k in range(-leads, lags + 1) if k != -1]
    dummies = pd.DataFrame(
        {f"k{k}": (red & (panel["kb"] == k)).astype(float) for k in ks}, index=panel.index
    )
    fit = _cluster_fit(
        panel["y"], pd.concat([dummies, _fixed_effects(panel)], axis=1), panel["member_id"]
    )
    eff = res.effects.set_index("k")
    for k in ks:
        assert eff.loc[k, "estimate"] == pytest.approx(fit.params[f"k{k}"], abs=1e-8)
        assert eff.loc[k, "se"] == pytest.approx(fit.bse[f"k{k}"], rel=1e-8)
        assert eff.loc[k, "p"] == pytest.approx(fit.pvalues[f"k{k}"], rel=1e-6)
        assert eff.loc[k, "n"] == int((red & (panel["kb"] == k)).sum())
    assert eff.loc[-1, "estimate"] == 0 and bool(eff.loc[-1, "reference"])
    lead_names = [f"k{k}" for k in ks if k < -1]
    b = fit.params[lead_names].to_numpy()
    v = fit.cov_params().loc[lead_names, lead_names].to_numpy()
    assert res.pre_trend_chi2 == pytest.approx(float(b @ np.linalg.solve(v, b)), rel=1e-8)
    post = [f"k{k}" for k in ks if k >= 0]
    a = np.full(len(post), 1 / len(post))
    assert res.average_post == pytest.approx(float(a @ fit.params[post]), abs=1e-8)
    v_post = fit.cov_params().loc[post, post].to_numpy()
    assert res.average_post_se == pytest.approx(float(np.sqrt(a @ v_post @ a)), rel=1e-8)
    assert res.n_rows == len(panel) and res.clusters == panel["member_id"].nunique()
    assert res.n_redeemers == 40 and res.n_never_redeemers == res.n_members - 40


def test_sun_abraham_matches_cohort_interactions_in_statsmodels():
    tx, led = _random_data(seed=8)
    leads, lags = 2, 3
    res = redemption_effect(tx, led, leads=leads, lags=lags, estimator="sun_abraham")
    panel, red = _design(tx, led, leads, lags)
    # cohorts need a k = -1 row to be identified
    ok = panel[red & (panel["kb"] == -1)]["cohort"].unique()
    assert len(ok) == panel.loc[red, "cohort"].nunique()  # none dropped in this example
    cols = {}
    for c in sorted(panel.loc[red, "cohort"].unique()):
        for k in range(-leads, lags + 1):
            if k == -1:
                continue
            d = (red & (panel["cohort"] == c) & (panel["kb"] == k)).astype(float)
            if d.sum() > 0:
                cols[(c, k)] = d
    dummies = pd.DataFrame({f"{c}:{k}": v for (c, k), v in cols.items()})
    fit = _cluster_fit(
        panel["spend"], pd.concat([dummies, _fixed_effects(panel)], axis=1), panel["member_id"]
    )
    names = list(dummies.columns)
    ks = [k for k in range(-leads, lags + 1) if k != -1]
    w = np.zeros((len(ks), len(names)))
    for j, k in enumerate(ks):
        sel = [i for i, key in enumerate(cols) if key[1] == k]
        counts = np.array([cols[list(cols)[i]].sum() for i in sel])
        w[j, sel] = counts / counts.sum()
    est = w @ fit.params[names].to_numpy()
    se = np.sqrt(np.diag(w @ fit.cov_params().loc[names, names].to_numpy() @ w.T))
    eff = res.effects.set_index("k").loc[ks]
    np.testing.assert_allclose(eff["estimate"], est, rtol=0, atol=1e-8)
    np.testing.assert_allclose(eff["se"], se, rtol=1e-8)
    assert res.twfe_effects is not None and len(res.twfe_effects) == len(ks) + 1


def _planted(effect_of_cohort, seed: int = 19, n: int = 500):
    """24 months, one purchase a month; 300 members first redeem in months 5-20."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2023-01-10", periods=24, freq="MS") + pd.Timedelta(days=9)
    base = rng.uniform(50, 150, n)
    season = 10 * np.sin(2 * np.pi * np.arange(24) / 12)
    cohort = np.full(n, -1)
    cohort[:300] = rng.integers(4, 20, 300)  # month index of the first redemption
    t = np.arange(24)
    post = (cohort[:, None] >= 0) & (t[None, :] >= cohort[:, None])
    eff = np.array([effect_of_cohort(c) for c in cohort])
    spend = base[:, None] + season[None, :] + post * eff[:, None] + rng.normal(0, 5, (n, 24))
    tx = pd.DataFrame(
        {
            "member_id": np.repeat([f"m{i:03d}" for i in range(n)], 24),
            "date": np.tile(months, n),
            "amount": spend.ravel(),
        }
    )
    red = np.flatnonzero(cohort >= 0)
    led = pd.DataFrame(
        {
            "member_id": [f"m{i:03d}" for i in range(n)] + [f"m{i:03d}" for i in red],
            "date": [months[0]] * n + [months[cohort[i]] + pd.Timedelta(days=5) for i in red],
            "type": ["earn"] * n + ["redeem"] * len(red),
            "points": [1000] * n + [500] * len(red),
        }
    )
    return tx, led, cohort


def test_recovers_a_planted_constant_effect_of_the_first_redemption():
    tx, led, _ = _planted(lambda c: 8.0)
    for estimator in ("twfe", "sun_abraham"):
        res = redemption_effect(tx, led, leads=3, lags=5, estimator=estimator)
        eff = res.effects.set_index("k")
        post, pre = eff.loc[0:5, "estimate"], eff.loc[[-3, -2], "estimate"]
        # SEs ~0.5: lags within 2 of 8, leads within 2 of 0, average within 1
        assert np.abs(post - 8).max() < 2, estimator
        assert np.abs(pre).max() < 2, estimator
        assert res.average_post == pytest.approx(8, abs=1)
        assert res.average_post_ci_low < 8 < res.average_post_ci_high
        assert res.pre_trend_p > 0.01
        assert "more" in res.interpretation


def test_sun_abraham_recovers_cohort_specific_effects_where_twfe_drifts():
    # Early redeemers gain 20 a month, late ones 2: the IW estimate at k averages the
    # cohorts' effects by their shares of redeemer-months at k (never-redeemers as controls).
    tx, led, cohort = _planted(lambda c: 20.0 if 0 <= c < 10 else 2.0, seed=23)
    leads, lags = 3, 3
    sa = redemption_effect(tx, led, leads=leads, lags=lags, estimator="sun_abraham")
    members = pd.DataFrame({"c": cohort[cohort >= 0]})
    months = np.arange(24)
    truth = {}
    for k in range(0, lags + 1):
        # cohort c contributes a month at k (binned at lags: every month from c + lags on)
        n_at_k = [
            (np.sum(months - c >= lags) if k == lags else int(0 <= c + k < 24))
            for c in members["c"]
        ]
        w = np.array(n_at_k, dtype=float)
        truth[k] = float(np.sum(w * np.where(members["c"] < 10, 20.0, 2.0)) / w.sum())
    eff = sa.effects.set_index("k")
    for k, v in truth.items():
        assert eff.loc[k, "estimate"] == pytest.approx(v, abs=1.5)
    assert np.abs(eff.loc[[-3, -2], "estimate"]).max() < 1.5
    twfe = sa.twfe_effects.set_index("k")
    err_sa = max(abs(eff.loc[k, "estimate"] - v) for k, v in truth.items())
    err_twfe = max(abs(twfe.loc[k, "estimate"] - v) for k, v in truth.items())
    assert err_twfe > err_sa


def test_result_to_dict_is_json_safe():
    tx, led = _random_data()
    res = redemption_effect(tx, led, leads=2, lags=2)
    assert isinstance(res, RedemptionEffect)
    d = json.loads(json.dumps(res.to_dict()))
    assert set(d["effects"]) == {"-2", "-1", "0", "1", "2"}
    assert {"estimate", "ci_low", "ci_high"} <= set(d["effects"]["0"])
    assert "pre_trend_p" in d and "average_post" in d
    assert "Sun & Abraham" in " ".join(res.warnings)
    assert "first redemption" in res.summary()


def test_refuses_transactions_without_redeemers_and_bad_windows():
    tx, led = _random_data()
    earn_only = led[led["type"] == "earn"]
    with pytest.raises(InputError, match="redeemed") as err:
        redemption_effect(tx, earn_only)
    assert err.value.hint
    with pytest.raises(InputError, match="lags") as err:
        redemption_effect(tx, led, leads=2, lags=30)
    assert err.value.column == "lags"
    with pytest.raises(ValueError, match="leads"):
        redemption_effect(tx, led, leads=1)
    with pytest.raises(ValueError, match="outcome"):
        redemption_effect(tx, led, outcome="margin")  # type: ignore[arg-type]


def test_refuses_transactions_with_a_bad_date_naming_the_row():
    tx, led = _random_data()
    tx = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    tx.loc[5, "date"] = "31/02/2023"
    with pytest.raises(InputError, match="not a date") as err:
        redemption_effect(tx, led)
    assert err.value.row == 6 and err.value.column == "date"
    with pytest.raises(InputError, match="'spend'") as err:
        redemption_effect(tx.rename(columns={"amount": "value"}), led, amount_col="spend")
    assert err.value.column == "spend"


# --------------------------------------------------------------------------- churn

# Newcombe (1998) Table II, method 10: (x1, n1, x2, n2) -> (lower, upper)
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_difference_interval_reproduces_newcombe_table_ii(counts, published):
    d, lo, hi = newcombe_difference(*counts)
    assert d == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (lo, hi) == pytest.approx(published, abs=5e-5)  # published to 4 decimals


def _churn_data(seed: int = 31):
    rng = np.random.default_rng(seed)
    n = 400
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    rate = rng.gamma(2.0, 0.02, n)  # purchases a day
    stop = rng.uniform(200, 731, n)  # a member's last possible purchase day
    rows = []
    for i in range(n):
        k = max(1, rng.poisson(rate[i] * 730))
        d = np.sort(rng.integers(0, int(stop[i]), k))
        rows += [(f"c{i}", days[j], float(rng.gamma(2, 20))) for j in d]
    tx = pd.DataFrame(rows, columns=["member_id", "date", "amount"])
    red = [f"c{i}" for i in range(n) if rng.random() < 0.2 + 2 * rate[i]]
    led = pd.DataFrame(
        {
            "member_id": red * 2,
            "date": [pd.Timestamp("2023-01-01")] * len(red)
            + [
                pd.Timestamp("2023-06-01") + pd.Timedelta(days=int(rng.integers(0, 500)))
                for _ in red
            ],
            "type": ["earn"] * len(red) + ["redeem"] * len(red),
            "points": [500] * 2 * len(red),
        }
    )
    return tx, led


def test_churn_groups_and_logit_match_a_hand_count_and_statsmodels():
    tx, led = _churn_data()
    res = redeemer_churn(tx, led, asof="2024-12-31", window_days=120)
    assert isinstance(res, RedeemerChurn)
    start = pd.Timestamp("2024-12-31") - pd.Timedelta(days=120)
    before = tx[tx["date"] <= start]
    during = tx[(tx["date"] > start) & (tx["date"] <= pd.Timestamp("2024-12-31"))]
    members = np.sort(before["member_id"].unique())
    churned = ~pd.Index(members).isin(during["member_id"].unique())
    first = led[led["type"] == "redeem"].groupby("member_id")["date"].min()
    redeemer = pd.Series(members).map(first).le(start).to_numpy()
    assert res.rates.loc["redeemers", "members"] == redeemer.sum()
    assert res.rates.loc["redeemers", "churned"] == (churned & redeemer).sum()
    assert res.rates.loc["non_redeemers", "churned"] == (churned & ~redeemer).sum()
    g = before.groupby("member_id")
    tenure = (start - g["date"].min()).dt.days.reindex(members).to_numpy() / 365.25
    days_ = g["date"].nunique().reindex(members).to_numpy()
    x = pd.DataFrame(
        {
            "const": 1.0,
            "redeemer": redeemer.astype(float),
            "tenure_years": tenure,
            "log_purchase_days": np.log(days_),
        }
    )
    fit = sm.Logit(churned.astype(float), x).fit(disp=0, tol=1e-12, maxiter=200)
    coefs = res.coefficients
    np.testing.assert_allclose(coefs["estimate"], fit.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(coefs["se"], fit.bse, rtol=1e-6)
    assert res.odds_ratio == pytest.approx(np.exp(fit.params["redeemer"]), rel=1e-6)
    lo, hi = fit.conf_int().loc["redeemer"]
    assert (res.or_ci_low, res.or_ci_high) == pytest.approx((np.exp(lo), np.exp(hi)), rel=1e-6)
    d, dlo, dhi = newcombe_difference(
        int((churned & redeemer).sum()),
        int(redeemer.sum()),
        int((churned & ~redeemer).sum()),
        int((~redeemer).sum()),
    )
    assert (res.difference, res.difference_ci_low, res.difference_ci_high) == pytest.approx(
        (d, dlo, dhi)
    )
    assert "association" in res.caveat and "Newcombe" in res.difference_method
    json.dumps(res.to_dict())


def test_redemptions_inside_the_window_do_not_make_a_redeemer():
    tx = pd.DataFrame(
        {
            "member_id": ["a", "a", "b", "b", "c", "d"],
            "date": pd.to_datetime(
                ["2024-01-05", "2024-06-20", "2024-01-10", "2024-02-01", "2024-03-01", "2024-06-30"]
            ),
            "amount": [10.0, 12.0, 8.0, 9.0, 7.0, 5.0],
        }
    )
    led = pd.DataFrame(
        {
            "member_id": ["a", "a", "b", "b", "c", "c"],
            "date": [
                "2024-01-05",
                "2024-02-01",
                "2024-01-10",
                "2024-06-15",
                "2024-03-01",
                "2024-03-02",
            ],
            "type": ["earn", "redeem", "earn", "redeem", "earn", "redeem"],
            "points": [100, 50, 100, 50, 100, 50],
        }
    )
    # window (2024-04-01, 2024-06-30]; d first bought inside it: not at risk
    res = redeemer_churn(tx, led, asof="2024-06-30", window_days=90)
    assert res.n_members == 3
    assert res.rates.loc["redeemers", "members"] == 2  # a, c
    assert res.rates.loc["redeemers", "churned"] == 1  # c
    assert res.rates.loc["non_redeemers", "churned"] == 1  # b redeemed only inside the window
    assert res.n_redeemed_in_window == 1
    # three members cannot carry a four-coefficient logit: rates kept, logit missing
    assert np.isnan(res.odds_ratio) and any("collinear" in w for w in res.warnings)
    assert "could not be fitted" in res.interpretation


def test_churn_refuses_no_comparison_group_and_bad_window():
    tx, led = _churn_data()
    with pytest.raises(InputError, match="comparison needs both"):
        redeemer_churn(tx, led[led["type"] == "earn"])
    with pytest.raises(ValueError, match="window_days"):
        redeemer_churn(tx, led, window_days=0)
    with pytest.raises(InputError, match="No member bought"):
        redeemer_churn(tx, led, asof="2023-01-15", window_days=30)
