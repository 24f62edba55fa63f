"""BG/NBD, Gamma-Gamma and CLV against published values and closed forms.

Golden numbers
--------------
* BG/NBD on the CDNOW sample summary (``tests/reference/cdnow_customers_summary.csv``,
  the file shipped with lifetimes as ``cdnow_customers_summary``): Fader, Hardie &
  Lee (2005), Marketing Science 24(2), 275-284: r = 0.243, alpha = 4.414,
  a = 0.793, b = 2.426, LL = -9582.4, and (section 5) E[Y(39) | x = 2,
  t_x = 30.43, T = 38.86] = 1.226.
* Standard errors: lifetimes 0.11.3 Quickstart, ``bgf.summary`` on the same data
  (se: r 0.0126, alpha 0.3782, a 0.1857, b 0.7053).
* Gamma-Gamma: Fader, Hardie & Lee (2005), JMR 42(4): p = 6.25, q = 3.74,
  gamma = 15.44 on the 946 repeat buyers of the 1/10 CDNOW sample. The sample's
  monetary values cannot be rebuilt from ``data/cdnow_transactions.csv`` (the full
  log): the sample members were drawn at random and renumbered, and 155 of the 946
  repeat buyers' (frequency, recency, T) match several members of the full log
  with different spend. So the likelihood is tested by recovering known
  parameters from simulated data, and the full log's calibration period is
  checked to give values near the published ones.
"""

from __future__ import annotations

import time
from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pytest
from scipy import special

from workbench.clv import (
    BGNBDResult,
    CLVResult,
    _BGNBDLogLik,
    _GGLogLik,
    _mle,
    _params_frame,
    clv_analysis,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    holdout_check,
    rfm_summaries,
    rfm_summary,
)
from workbench.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "tests" / "reference" / "cdnow_customers_summary.csv"
LOG = ROOT / "data" / "cdnow_transactions.csv"


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return pd.read_csv(SUMMARY).set_index("ID")


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary: pd.DataFrame) -> BGNBDResult:
    return fit_bgnbd(cdnow_summary)


@pytest.fixture(scope="module")
def cdnow_log() -> pd.DataFrame:
    return pd.read_csv(LOG, parse_dates=["date"])


def _bgnbd(r: float, alpha: float, a: float, b: float) -> BGNBDResult:
    est = np.array([r, alpha, a, b])
    return BGNBDResult(
        params=_params_frame(("r", "alpha", "a", "b"), est, np.full(4, np.nan)),
        log_likelihood=float("nan"),
        n=0,
        converged=True,
        message="fixed",
    )


# --------------------------------------------------------------------- rfm_summary


def test_rfm_summary_hand_computed() -> None:
    tx = pd.DataFrame(
        {
            "member_id": ["a", "a", "a", "a", "b", "c", "c"],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",  # same day: merged with the row above
                    "2024-01-15",
                    "2024-01-20",  # refund: not a purchase
                    "2024-01-08",
                    "2024-01-29",
                    "2024-02-12",  # after calibration_end: holdout
                ]
            ),
            "amount": [10.0, 5.0, 20.0, -20.0, 8.0, 4.0, 6.0],
        }
    )
    s = rfm_summary(tx, observation_end="2024-01-29")
    assert s.loc["a"].tolist() == [1, 2.0, 4.0, 20.0]
    assert s.loc["b"].tolist() == [0, 0.0, 3.0, 0.0]
    assert s.loc["c"].tolist() == [0, 0.0, 0.0, 0.0]
    h = rfm_summary(tx, calibration_end="2024-01-29", observation_end="2024-02-26")
    assert h.loc["c", "frequency_holdout"] == 1
    assert h.loc["a", "frequency_holdout"] == 0
    assert h["duration_holdout"].eq(4.0).all()
    days = rfm_summary(tx, observation_end="2024-01-29", time_unit_days=1)
    assert days.loc["a", "recency"] == 14.0
    weeks = rfm_summary(tx, observation_end="2024-01-29", freq="W")
    assert weeks.loc["a", "frequency"] == 1


def test_rfm_summary_matches_published_sample(cdnow_log, cdnow_summary) -> None:
    # Every (frequency, recency, T) row of the published 1/10 sample must occur in
    # our summary of the full log over the same 39-week calibration period: same
    # day merging, fractional weeks, T to 1997-09-30.
    ours = rfm_summary(cdnow_log, calibration_end="1997-09-30")
    keys = set(zip(ours["frequency"], ours["recency"].round(2), ours["T"].round(2), strict=True))
    sample = zip(
        cdnow_summary["frequency"],
        cdnow_summary["recency"].round(2),
        cdnow_summary["T"].round(2),
        strict=True,
    )
    assert all(k in keys for k in sample)
    assert len(ours) == 23570
    assert ours["duration_holdout"].iloc[0] == pytest.approx(39.0)


def test_rfm_summary_bad_input() -> None:
    tx = pd.DataFrame({"member_id": ["a"], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(InputError, match="datetime"):
        rfm_summary(tx)
    tx["date"] = pd.to_datetime(tx["date"])
    with pytest.raises(ValueError, match="'D', 'W'"):
        rfm_summary(tx, freq="M")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="calibration_end"):
        rfm_summary(tx, calibration_end="2024-02-01")


def test_rfm_summaries_equal_separate_rfm_summary_calls(cdnow_log) -> None:
    # One pass over the log gives exactly the tables of separate calls, for
    # earlier observation ends too (days up to them) and for weeks.
    ends = {
        "full": {},
        "holdout": {"calibration_end": "1997-09-30"},
        "early": {"observation_end": "1997-12-31"},
        "early_holdout": {"calibration_end": "1997-06-30", "observation_end": "1997-12-31"},
    }
    for freq in ("D", "W"):
        tables = rfm_summaries(cdnow_log, ends, freq=freq, time_unit_days=7)
        assert list(tables) == list(ends)
        for name, spec in ends.items():
            alone = rfm_summary(cdnow_log, **spec, freq=freq, time_unit_days=7)
            pd.testing.assert_frame_equal(tables[name], alone, check_exact=True)


def test_rfm_summaries_bad_input(cdnow_log) -> None:
    with pytest.raises(ValueError, match="unknown key"):
        rfm_summaries(cdnow_log, {"a": {"end": "1997-09-30"}})
    with pytest.raises(InputError, match="calibration_end"):
        rfm_summaries(cdnow_log, {"a": {}, "b": {"calibration_end": "1999-01-01"}})


# --------------------------------------------------------------------- BG/NBD


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_fit: BGNBDResult) -> None:
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert cdnow_fit.params.loc[name, "estimate"] == pytest.approx(value, abs=0.005)
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert cdnow_fit.converged
    assert not cdnow_fit.warnings


def test_bgnbd_standard_errors_match_lifetimes(cdnow_fit: BGNBDResult) -> None:
    lifetimes_se = {"r": 0.0126, "alpha": 0.3782, "a": 0.1857, "b": 0.7053}
    for name, value in lifetimes_se.items():
        assert cdnow_fit.params.loc[name, "se"] == pytest.approx(value, rel=0.01)


def test_bgnbd_conditional_expectation_published(cdnow_fit: BGNBDResult) -> None:
    value = cdnow_fit.expected_purchases(39, 2, 30.43, 38.86)
    assert float(value) == pytest.approx(1.226, abs=0.001)


def _mp_palive(r, alpha, a, b, x, tx, T):
    if x == 0:
        return mpmath.mpf(1)
    return 1 / (1 + mpmath.mpf(a) / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def _mp_expected(r, alpha, a, b, t, x, tx, T):
    hyp = mpmath.hyp2f1(r + x, b + x, a + b + x - 1, mpmath.mpf(t) / (alpha + T + t))
    first = (mpmath.mpf(a) + b + x - 1) / (a - 1)
    second = 1 - ((mpmath.mpf(alpha) + T) / (alpha + T + t)) ** (r + x) * hyp
    return first * second * _mp_palive(r, alpha, a, b, x, tx, T)


@pytest.mark.parametrize(
    "x, tx, T",
    [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.0), (20, 10.0, 60.0)],
)
@pytest.mark.parametrize("params", [(0.243, 4.414, 0.793, 2.426), (1.5, 20.0, 2.5, 5.0)])
def test_bgnbd_formulas_against_mpmath(params, x, tx, T) -> None:
    fit = _bgnbd(*params)
    assert float(fit.probability_alive(x, tx, T)) == pytest.approx(
        float(_mp_palive(*params, x, tx, T)), rel=1e-10
    )
    for t in (1.0, 39.0, 104.0):
        assert float(fit.expected_purchases(t, x, tx, T)) == pytest.approx(
            float(_mp_expected(*params, t, x, tx, T)), rel=1e-8
        )


def test_bgnbd_unconditional_expectation(cdnow_fit: BGNBDResult) -> None:
    r, alpha, a, b = (cdnow_fit.params.loc[k, "estimate"] for k in ("r", "alpha", "a", "b"))
    t = 78.0
    hyp = mpmath.hyp2f1(r, b, a + b - 1, t / (alpha + t))
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)
    assert float(cdnow_fit.expected_purchases_new(t)) == pytest.approx(float(expected))
    # a new member's expectation is the conditional one at x = t_x = T = 0
    assert float(cdnow_fit.expected_purchases_new(t)) == pytest.approx(
        float(cdnow_fit.expected_purchases(t, 0, 0.0, 0.0))
    )


def test_bgnbd_handles_no_repeaters_and_results_api(cdnow_fit) -> None:
    d = cdnow_fit.to_dict()
    assert set(d) >= {"r", "alpha", "a", "b", "se", "log_likelihood", "converged"}
    assert "log-likelihood = -9582.43" in cdnow_fit.summary()
    assert list(cdnow_fit.to_frame().columns) == ["estimate", "se", "ci_low", "ci_high"]
    s = pd.DataFrame({"frequency": [0] * 5, "recency": [0.0] * 5, "T": [5.0, 6, 7, 8, 9]})
    fit = fit_bgnbd(s)
    assert any("not identified" in w for w in fit.warnings)


def _bgnbd_loglik_by_member(params, x, tx, T) -> np.ndarray:
    """FHL (2005) eq. 6 for each member, computed row by row (the reference)."""
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    rep = x > 0
    a4 = np.full_like(x, -np.inf)
    a4[rep] = np.log(a) - np.log(b + x[rep] - 1) - (r + x[rep]) * np.log(alpha + tx[rep])
    return a1 + a2 + np.logaddexp(a3, a4)


PARAMS_GRID = [(0.243, 4.414, 0.793, 2.426), (1.5, 20.0, 2.5, 5.0), (0.01, 0.05, 50.0, 0.3)]


@pytest.mark.parametrize("params", PARAMS_GRID)
def test_bgnbd_loglik_by_distinct_values_is_the_rowwise_formula_bit_for_bit(
    cdnow_summary, params
) -> None:
    x, tx, T = (cdnow_summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = np.random.default_rng(0).integers(1, 4, len(x)).astype(float)
    fast = _BGNBDLogLik(x, tx, T, w)(np.array(params))
    assert fast == float(np.sum(w * _bgnbd_loglik_by_member(params, x, tx, T)))


def test_bgnbd_fit_on_pooled_members_matches_the_member_by_member_fit(cdnow_summary) -> None:
    # fit_bgnbd pools members with equal (x, t_x, T) (2357 members -> 1016 rows)
    # with weights: the same likelihood summed in another order, so the same MLE.
    x, tx, T = (cdnow_summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    names = ("r", "alpha", "a", "b")
    est, se, ll, *_ = _mle(lambda p: -np.sum(_bgnbd_loglik_by_member(p, x, tx, T)), 4, names)
    pooled = fit_bgnbd(cdnow_summary)
    np.testing.assert_allclose(pooled.params["estimate"], est, rtol=1e-6)
    np.testing.assert_allclose(pooled.params["se"], se, rtol=1e-5)
    assert pooled.log_likelihood == pytest.approx(ll, abs=1e-8)


# --------------------------------------------------------------------- Gamma-Gamma


def _simulate_gg(n: int, p: float, q: float, v: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, n)
    nu = rng.gamma(q, 1 / v, n)  # nu ~ Gamma(q, rate v)
    m = rng.gamma(p * x, 1 / nu) / x  # mean of x Gamma(p, rate nu) draws
    return pd.DataFrame({"frequency": x, "monetary_value": m})


def test_gamma_gamma_recovers_known_parameters() -> None:
    truth = {"p": 6.25, "q": 3.74, "v": 15.44}
    gg = fit_gamma_gamma(_simulate_gg(5000, **truth, seed=7))
    assert gg.converged
    for name, value in truth.items():
        est, se = gg.params.loc[name, ["estimate", "se"]]
        assert abs(est - value) < 3 * se, (name, est, se)
    assert not gg.warnings


def test_gamma_gamma_on_full_cdnow_log_near_published(cdnow_log) -> None:
    # Not the published sample (see the module docstring): the full log's
    # calibration period, ten times the sample. Published p=6.25, q=3.74, v=15.44.
    s = rfm_summary(cdnow_log, calibration_end="1997-09-30")
    gg = fit_gamma_gamma(s)
    assert gg.n == int(((s["frequency"] > 0) & (s["monetary_value"] > 0)).sum())
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        est, se = gg.params.loc[name, ["estimate", "se"]]
        assert abs(est - value) < 2 * se, (name, est, se)
    assert abs(gg.corr_frequency_monetary) < 0.3


def test_gamma_gamma_expected_value_and_correlation_warning() -> None:
    data = _simulate_gg(2000, 6.0, 4.0, 15.0, seed=3)
    gg = fit_gamma_gamma(data)
    p, q, v = gg.p, gg.q, gg.v
    x, m = 3, 50.0
    hand = (q - 1) / (p * x + q - 1) * (v * p / (q - 1)) + p * x / (p * x + q - 1) * m
    assert float(gg.expected_average_value(x, m)) == pytest.approx(hand)
    assert float(gg.expected_average_value(0, 0.0)) == pytest.approx(p * v / (q - 1))
    corr = data.assign(monetary_value=data["monetary_value"] + 30 * data["frequency"])
    assert any("correlated" in w for w in fit_gamma_gamma(corr).warnings)


def _gg_loglik_by_member(params, x, m) -> np.ndarray:
    """Fader & Hardie (2013) eq. 3 for each member, row by row (the reference)."""
    p, q, v = params
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )


def test_gamma_gamma_loglik_by_distinct_x_is_the_rowwise_formula_so_the_fit_is_too() -> None:
    data = _simulate_gg(3000, 6.25, 3.74, 15.44, seed=5)
    x = data["frequency"].to_numpy(dtype=float)
    m = data["monetary_value"].to_numpy(dtype=float)
    fast = _GGLogLik(x, m)
    for params in [(6.25, 3.74, 15.44), (0.5, 1.2, 300.0), (40.0, 0.02, 0.7)]:
        assert fast(np.array(params)) == float(np.sum(_gg_loglik_by_member(params, x, m)))
    # Equal objectives at every point: the optimiser takes the same path.
    est, se, ll, *_ = _mle(lambda p: -np.sum(_gg_loglik_by_member(p, x, m)), 3, ("p", "q", "v"))
    gg = fit_gamma_gamma(data)
    np.testing.assert_array_equal(gg.params["estimate"], est)
    np.testing.assert_array_equal(gg.params["se"], se)
    assert gg.log_likelihood == ll


# --------------------------------------------------------------------- CLV, holdout


def test_clv_matches_direct_sum(cdnow_fit, cdnow_summary) -> None:
    gg = fit_gamma_gamma(_simulate_gg(1000, 6.25, 3.74, 15.44, seed=1))
    s = cdnow_summary.head(50).assign(monetary_value=40.0)
    s.loc[s["frequency"] == 0, "monetary_value"] = 0.0
    out = customer_lifetime_value(
        cdnow_fit, gg, s, horizon_periods=12, period_days=30, discount_rate=0.01
    )
    row = s.iloc[0]
    value = gg.expected_average_value(row["frequency"], row["monetary_value"])
    step = 30 / 7
    cum = [
        float(cdnow_fit.expected_purchases(i * step, row["frequency"], row["recency"], row["T"]))
        for i in range(13)
    ]
    hand = sum((cum[i] - cum[i - 1]) * value / 1.01**i for i in range(1, 13))
    assert out["clv"].iloc[0] == pytest.approx(hand)
    assert out["expected_purchases"].iloc[0] == pytest.approx(cum[12])
    undiscounted = customer_lifetime_value(cdnow_fit, gg, s, discount_rate=0.0)
    assert np.allclose(
        undiscounted["clv"], undiscounted["expected_purchases"] * out["expected_average_value"]
    )
    assert (out["clv"] <= undiscounted["clv"] + 1e-12).all()
    with pytest.raises(ValueError, match="horizon_periods"):
        customer_lifetime_value(cdnow_fit, gg, s, horizon_periods=0)


def test_holdout_check_and_clv_result(cdnow_log) -> None:
    sample = cdnow_log[cdnow_log["member_id"] % 5 == 0]  # 4,714 members: fast
    start = time.perf_counter()
    full = rfm_summary(sample)
    hold = rfm_summary(sample, calibration_end="1997-09-30")
    res = clv_analysis(full, holdout=hold)
    assert time.perf_counter() - start < 10
    assert isinstance(res, CLVResult)
    h = res.holdout
    assert list(h.index) == ["0", "1", "2", "3", "4", "5", "6", "7+", "all"]
    assert h.loc["all", "n"] == len(hold)
    assert h.loc["all", "actual_total"] == hold["frequency_holdout"].sum()
    assert h.iloc[:-1]["predicted_total"].sum() == pytest.approx(h.loc["all", "predicted_total"])
    # the BG/NBD tracks the holdout within 20% overall and rises with frequency
    assert h.loc["all", "predicted_total"] == pytest.approx(h.loc["all", "actual_total"], rel=0.2)
    assert h["predicted_mean"].iloc[:-1].is_monotonic_increasing
    d = res.to_dict()
    assert set(d) >= {"model", "holdout", "horizon_periods", "discount_rate", "total_clv"}
    assert set(d["model"]["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert set(d["model"]["gamma_gamma"]) >= {"p", "q", "v"}
    assert d["holdout"]["actual"] == h.loc["all", "actual_total"]
    assert d["total_clv"] == pytest.approx(res.table["clv"].sum())
    assert "Holdout check" in res.summary()
    with pytest.raises(InputError, match="frequency_holdout"):
        holdout_check(res.bgnbd, full)
