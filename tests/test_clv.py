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
* Maximum likelihood, independently: each fit is compared with a separately
  written likelihood maximised by brute force (see "independent maximum" below)
  on the CDNOW data and on simulated logs built to be hard, and the edge cases
  with the degenerate limits' own likelihoods.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

from workbench.behaviour.clv import (
    BGNBDResult,
    CLVResult,
    _BGNBDLogLik,
    _GGLogLik,
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


def _log_gradient(f, theta, h: float = 1e-6) -> np.ndarray:
    """Central differences of f with respect to log(theta)."""
    z = np.log(np.asarray(theta, dtype=float))
    out = []
    for i in range(len(z)):
        e = np.zeros(len(z))
        e[i] = h
        out.append((f(np.exp(z + e)) - f(np.exp(z - e))) / (2 * h))
    return np.array(out)


FAR_OUT = [(4e6, 1.4e7, 0.67, 3.25), (2.0, 0.5, 1e-5, 1e5)]  # on the ridges


@pytest.mark.parametrize("params", [*PARAMS_GRID, *FAR_OUT])
def test_bgnbd_analytic_gradient_is_the_derivative_of_the_rowwise_formula(
    cdnow_summary, params
) -> None:
    # The last two points lie far out on the ridges r, alpha -> infinity and
    # a -> 0, b -> infinity, where the gradient must stay accurate; there the
    # reference is mpmath (the double-precision formula loses digits in gammaln).
    x, tx, T = (cdnow_summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = np.random.default_rng(0).integers(1, 4, len(x)).astype(float)
    _, grad = _BGNBDLogLik(x, tx, T, w).value_and_gradient(np.array(params))
    log_grad = grad * np.array(params)
    if params[0] < 1e3 and params[2] > 1e-3:
        ref = _log_gradient(lambda p: np.sum(w * _bgnbd_loglik_by_member(p, x, tx, T)), params)
        np.testing.assert_allclose(log_grad, ref, rtol=1e-6, atol=1e-5)
    else:
        keep = np.arange(0, len(x), 25)  # mpmath is slow: every 25th member
        sub = _BGNBDLogLik(x[keep], tx[keep], T[keep], w[keep]).value_and_gradient
        ref = _mp_log_gradient(params, x[keep], tx[keep], T[keep], w[keep])
        np.testing.assert_allclose(sub(np.array(params))[1] * np.array(params), ref, rtol=1e-7)


def _mp_log_gradient(params, x, tx, T, w) -> np.ndarray:
    mpmath.mp.dps = 40

    def ll(theta):
        r, alpha, a, b = theta
        tot = mpmath.mpf(0)
        for xi, ti, Ti, wi in zip(x, tx, T, w, strict=True):
            k = int(xi)
            head = (
                mpmath.loggamma(r + k) - mpmath.loggamma(r) + r * mpmath.log(alpha)
                + mpmath.log(mpmath.beta(a, b + k)) - mpmath.log(mpmath.beta(a, b))
            )  # fmt: skip
            tail = (alpha + Ti) ** (-(r + k))
            if k > 0:
                tail += a / (b + k - 1) * (alpha + mpmath.mpf(ti)) ** (-(r + k))
            tot += wi * (head + mpmath.log(tail))
        return tot

    h = mpmath.mpf("1e-15")
    theta = [mpmath.mpf(v) for v in params]
    out = []
    for i in range(len(theta)):
        up, down = list(theta), list(theta)
        up[i] *= mpmath.exp(h)
        down[i] *= mpmath.exp(-h)
        out.append(float((ll(up) - ll(down)) / (2 * h)))
    mpmath.mp.dps = 15
    return np.array(out)


def test_bgnbd_pooled_fit_is_the_maximum_of_the_member_by_member_likelihood(
    cdnow_summary, cdnow_fit
) -> None:
    # fit_bgnbd pools members with equal (x, t_x, T) (2357 members -> 1016 rows)
    # with weights: the same likelihood summed in another order, so the same MLE.
    x, tx, T = (cdnow_summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))

    def by_member(p):
        return float(np.sum(_bgnbd_loglik_by_member(p, x, tx, T)))

    est = cdnow_fit.params["estimate"].to_numpy()
    assert cdnow_fit.log_likelihood == pytest.approx(by_member(est), abs=1e-8)
    assert np.abs(_log_gradient(by_member, est)).max() < 1e-4


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


def test_gamma_gamma_loglik_and_gradient_are_the_rowwise_formula_so_the_fit_is_its_maximum() -> (
    None
):
    data = _simulate_gg(3000, 6.25, 3.74, 15.44, seed=5)
    x = data["frequency"].to_numpy(dtype=float)
    m = data["monetary_value"].to_numpy(dtype=float)
    fast = _GGLogLik(x, m)
    for params in [(6.25, 3.74, 15.44), (0.5, 1.2, 300.0), (40.0, 0.02, 0.7)]:
        assert fast(np.array(params)) == float(np.sum(_gg_loglik_by_member(params, x, m)))

        def by_member(p):
            return float(np.sum(_gg_loglik_by_member(p, x, m)))

        _, grad = fast.value_and_gradient(np.array(params))
        np.testing.assert_allclose(
            grad * np.array(params), _log_gradient(by_member, params), rtol=1e-6, atol=1e-5
        )
    # So the fit is the maximum of the row-wise likelihood.
    gg = fit_gamma_gamma(data)
    est = gg.params["estimate"].to_numpy()
    assert gg.log_likelihood == float(np.sum(_gg_loglik_by_member(est, x, m)))
    assert np.abs(_log_gradient(by_member, est)).max() < 1e-4


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
    full = rfm_summary(sample)
    hold = rfm_summary(sample, calibration_end="1997-09-30")
    res = clv_analysis(full, holdout=hold)  # speed is measured in bench/, not here
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


# --------------------------------------------------------------------- independent maximum
#
# Every fit below is checked against a separately written likelihood, maximised by
# brute force: Nelder-Mead from every point of a grid of log-parameter starts, then
# polished. The independent BG/NBD likelihood uses the product forms (integer x)
# Gamma(r+x)/Gamma(r) = prod_j (r+j) and B(a,b+x)/B(a,b) = prod_j (b+j)/(a+b+j)
# (cumulative sums, no gamma functions) and log1p of the ratio of the two terms; the
# Gamma-Gamma one is the beta-prime density of the total spend S = x m,
# S/(S+v) ~ Beta(p x, q). Neither calls workbench.behaviour.clv. Our log-likelihood must be
# within 0.01 of the best the search finds, and never lower by more than that.


def _independent_bgnbd_loglik(theta, x, tx, T, w) -> float:
    r, alpha, a, b = theta
    k = x.astype(int)
    j = np.arange(max(int(k.max()), 1))
    cum = np.concatenate([[0.0], np.cumsum(np.log(r + j) + np.log(b + j) - np.log(a + b + j))])
    base = cum[k] - r * np.log1p(T / alpha) - x * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (
            np.log(a)
            - np.log(np.where(k > 0, b + (x - 1), 1.0))  # exact for b << 1
            + (r + x) * np.log1p((T - tx) / (alpha + tx))
        )
    return float(np.sum(w * (base + np.where(k > 0, np.logaddexp(0.0, ratio), 0.0))))


def _independent_gg_loglik(theta, x, m) -> float:
    p, q, v = theta
    S = x * m
    dens = (
        np.log(x)
        - special.betaln(p * x, q)
        - p * x * np.log1p(v / S)
        - q * np.log1p(S / v)
        - np.log(S)
    )
    return float(np.sum(dens))


def _brute_force_max(loglik, grid) -> tuple[np.ndarray, float]:
    """Nelder-Mead from every combination of ``grid`` (values per parameter), polished."""

    def f(z):
        with np.errstate(all="ignore"):
            val = loglik(np.exp(z))
        return -val if np.isfinite(val) else np.inf

    best = None
    for z0 in itertools.product(*(np.log(g) for g in grid)):
        opts = {"xatol": 1e-6, "fatol": 1e-8, "maxfev": 3000, "adaptive": True}
        res = optimize.minimize(f, np.array(z0), method="Nelder-Mead", options=opts)
        if best is None or res.fun < best.fun:
            best = res
    for _ in range(2):
        opts = {"xatol": 1e-9, "fatol": 1e-11, "maxfev": 4000, "adaptive": True}
        res = optimize.minimize(f, best.x, method="Nelder-Mead", options=opts)
        if res.fun <= best.fun:
            best = res
    return np.exp(best.x), -float(best.fun)


def _pooled(summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    pooled = summary[["frequency", "recency", "T"]].astype(float).value_counts()
    pooled = pooled.reset_index(name="w")
    return tuple(pooled[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "w"))


def _repeaters(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    keep = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    sub = summary.loc[keep]
    return sub["frequency"].to_numpy(dtype=float), sub["monetary_value"].to_numpy(dtype=float)


def _independent_bgnbd_max(summary: pd.DataFrame) -> tuple[np.ndarray, float]:
    x, tx, T, w = _pooled(summary)
    t = float(np.average(T, weights=w))
    grid = [[0.1, 2.0], [0.05 * t, t], [1e-3, 1.0], [0.5, 10.0]]
    return _brute_force_max(lambda th: _independent_bgnbd_loglik(th, x, tx, T, w), grid)


def _independent_gg_max(summary: pd.DataFrame) -> tuple[np.ndarray, float]:
    x, m = _repeaters(summary)
    mu = float(m.mean())
    grid = [[0.5, 20.0], [1.5, 20.0], [0.1 * mu, 3 * mu]]
    return _brute_force_max(lambda th: _independent_gg_loglik(th, x, m), grid)


def _simulate_log(
    n: int,
    *,
    seed: int,
    r: float = 0.8,
    alpha: float = 6.0,
    a: float = 0.8,
    b: float = 4.0,
    p: float = 4.7,
    q: float = 4.2,
    v: float = 24.0,
    spend=None,
) -> pd.DataFrame:
    """A purchase log over 700 days, members joining in the first 350, and its summary.

    BG/NBD purchases in weeks (rate ~ Gamma(r, alpha), dropout ~ Beta(a, b) after each
    repeat purchase) on whole days; each amount ~ Gamma(p, nu), nu ~ Gamma(q, v) per
    member, or ``spend(rng, member, k)`` for the member's k amounts.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1 / v, n)
    join = rng.integers(0, 350, n)
    ids, days, amounts = [], [], []
    for i in range(n):
        t, weeks = 0.0, [0.0]
        horizon = (699 - join[i]) / 7
        while True:
            t += rng.exponential(1 / lam[i])
            if t > horizon:
                break
            weeks.append(t)
            if rng.random() < drop[i]:
                break
        k = len(weeks)
        amounts += list(rng.gamma(p, 1 / nu[i], k) if spend is None else spend(rng, i, k))
        ids += [i] * k
        days += [int(join[i]) + int(wk * 7) for wk in weeks]
    start = pd.Timestamp("2024-01-01")
    tx = pd.DataFrame(
        {"member_id": ids, "date": start + pd.to_timedelta(days, unit="D"), "amount": amounts}
    )
    return rfm_summary(tx, observation_end=start + pd.Timedelta(days=699))


def _constant_spend(rng, member, k):
    # each member pays one price (drawn once per member: the seed and member fix it)
    price = 1 / np.random.default_rng([member, 99]).gamma(4.0, 1 / 100.0)
    return np.full(k, round(price, 2))


SIMULATED = {
    # the reported failure: the fit of commit 7f050e3 went up the ridge p -> infinity
    "ridge": {"n": 1500, "seed": 1},
    "few repeat buyers": {"n": 1000, "seed": 2, "r": 0.25, "alpha": 12.0, "a": 2.0, "b": 2.0},
    "low spend spread across members": {"n": 600, "seed": 3, "q": 200.0, "v": 24.0 * 199 / 3.2},
    "heavy-tailed spend": {
        "n": 600,
        "seed": 4,
        "spend": lambda rng, member, k: np.exp(rng.normal(3.0, 1.3, k)),
    },
    "tiny": {"n": 60, "seed": 5},
    # fixed prices: the fit of commit 7f050e3 stopped at p = 6.7e4 (LL 2.8 lower)
    "constant spend within members": {"n": 800, "seed": 13, "spend": _constant_spend},
    # a narrow maximum near a -> 0 beside the no-dropout limit, 0.0126 above it; the
    # fit of commit 7f050e3 stopped on that limit (b = 4e13, LL -21203.5337)
    "almost no dropout": {"n": 800, "seed": 8, "a": 1e-3, "b": 50.0},
}


@pytest.fixture(scope="module")
def simulated() -> dict[str, pd.DataFrame]:
    return {name: _simulate_log(**spec) for name, spec in SIMULATED.items()}


@pytest.fixture(scope="module")
def cdnow_fifth(cdnow_log) -> pd.DataFrame:
    # every fifth CDNOW member (4,714), 39-week calibration period as in FHL (2005)
    return rfm_summary(cdnow_log[cdnow_log["member_id"] % 5 == 0], calibration_end="1997-09-30")


def _assert_at_the_independent_maximum(fit, independent_ll: float, our_ll_by_formula: float):
    assert fit.log_likelihood >= independent_ll - 0.01, (fit.log_likelihood, independent_ll)
    assert fit.log_likelihood == pytest.approx(our_ll_by_formula, abs=1e-6)


@pytest.mark.parametrize(
    "case", ["cdnow sample", "cdnow log", "few repeat buyers", "tiny", "almost no dropout"]
)
def test_bgnbd_reaches_the_independent_maximum(case, cdnow_summary, cdnow_fifth, simulated):
    summary = {"cdnow sample": cdnow_summary, "cdnow log": cdnow_fifth}.get(case)
    summary = simulated[case] if summary is None else summary
    fit = fit_bgnbd(summary)
    _, best = _independent_bgnbd_max(summary)
    x, tx, T, w = _pooled(summary)
    mine = _independent_bgnbd_loglik(fit.params["estimate"].to_numpy(), x, tx, T, w)
    _assert_at_the_independent_maximum(fit, best, mine)
    assert fit.converged and fit.hessian_pd and not fit.at_boundary
    assert fit.gradient_norm < 1e-6 and not fit.warnings


@pytest.mark.parametrize(
    "case",
    [
        "cdnow log",
        "ridge",
        "few repeat buyers",
        "low spend spread across members",
        "heavy-tailed spend",
        "tiny",
        "constant spend within members",
    ],
)
def test_gamma_gamma_reaches_the_independent_maximum(case, cdnow_fifth, simulated):
    summary = cdnow_fifth if case == "cdnow log" else simulated[case]
    fit = fit_gamma_gamma(summary)
    _, best = _independent_gg_max(summary)
    x, m = _repeaters(summary)
    mine = _independent_gg_loglik(fit.params["estimate"].to_numpy(), x, m)
    _assert_at_the_independent_maximum(fit, best, mine)
    assert fit.converged and fit.hessian_pd and not fit.at_boundary
    assert fit.gradient_norm < 1e-6
    assert not [w for w in fit.warnings if "correlated" not in w]


def test_gamma_gamma_leaves_the_ridge_the_old_optimiser_stopped_on(simulated):
    """The reported failure, reproduced: on this log (1,500 members, 1,282 repeat buyers,
    under two years) the fit of commit 7f050e3 (one BFGS + Nelder-Mead run from
    p = q = v = 1) walked along the ridge p -> infinity, p v fixed, and stopped at
    p = 7.32e5, q = 2.931, v = 9.50e-5, log-likelihood -5491.83, with a 'did not
    report convergence' warning. The maximum is at p = 5.10, q = 4.13, v = 21.19,
    log-likelihood -5448.11."""
    summary = simulated["ridge"]
    x, m = _repeaters(summary)
    old = (731958.3439910405, 2.9312796200335187, 9.495822860857658e-05)
    assert _independent_gg_loglik(old, x, m) == pytest.approx(-5491.8277, abs=1e-3)
    fit = fit_gamma_gamma(summary)
    assert fit.log_likelihood == pytest.approx(-5448.1097, abs=1e-3)
    assert fit.log_likelihood > _independent_gg_loglik(old, x, m) + 40
    np.testing.assert_allclose(fit.params["estimate"], [5.1048, 4.1296, 21.1876], rtol=1e-3)
    assert fit.converged and not fit.warnings
    # every start reaches it, the old one (p = q = v = 1) included
    assert fit.start == "moments"
    assert fit.starts["at_maximum"].all()
    assert "unit (1, 1, 1)" in set(fit.starts["start"])


def _gamma_limit_max(x, m) -> float:
    """q -> infinity, v/q = 1/nu: m ~ Gamma(p x, rate x nu), no spread across members."""

    def ll(theta):
        p, nu = theta
        return float(np.sum(stats.gamma.logpdf(m, p * x, scale=1 / (x * nu))))

    return _brute_force_max(ll, [[1.0, 10.0], [0.1 / m.mean(), 10 / m.mean()]])[1]


def test_gamma_gamma_reports_the_edge_when_spend_never_varies_within_members():
    # The same 80 average spends at every frequency: the spread does not shrink with
    # the number of purchases, so within-member variation is nil and the likelihood
    # rises towards its limit as p -> infinity with p v fixed: m ~ inverse gamma.
    spends = stats.invgamma(4.0, scale=150.0).ppf((np.arange(80) + 0.5) / 80)
    summary = pd.DataFrame(
        {"frequency": np.repeat([1, 2, 3, 4, 6], 80), "monetary_value": np.tile(spends, 5)}
    )
    fit = fit_gamma_gamma(summary)
    q, scale = stats.invgamma.fit(summary["monetary_value"], floc=0)[::2]
    limit = float(np.sum(stats.invgamma.logpdf(summary["monetary_value"], q, scale=scale)))
    assert fit.log_likelihood == pytest.approx(limit, abs=0.01)
    assert fit.log_likelihood <= limit + 1e-3  # (gammaln rounds at p ~ 1e7)
    assert fit.at_boundary and not fit.converged
    assert fit.p > 1e6 and fit.q == pytest.approx(q, rel=1e-3)
    assert fit.p * fit.v == pytest.approx(scale, rel=1e-3)
    assert fit.params["se"].isna().all()
    (warning,) = fit.warnings
    assert "p grows without bound with p v fixed" in warning
    assert "p grows without bound" in fit.summary()


def test_gamma_gamma_reports_the_edge_on_a_log_of_fixed_prices():
    """Each member always pays one price (inverse-gamma across members): the likelihood
    rises towards the inverse-gamma limit. On this log the fit of commit 7f050e3
    stopped at p = 3.2e14, v = 3.1e-13 with a log-likelihood of +966.75 (rounding
    garbage, far above the supremum) and reported convergence."""
    summary = _simulate_log(800, seed=29, spend=_constant_spend)
    _, m = _repeaters(summary)
    fit = fit_gamma_gamma(summary)
    _, best = _independent_gg_max(summary)
    q, _, scale = stats.invgamma.fit(m, floc=0)
    limit = float(np.sum(stats.invgamma.logpdf(m, q, scale=scale)))
    assert fit.log_likelihood >= best - 0.01
    assert fit.log_likelihood == pytest.approx(limit, abs=0.01)
    assert fit.at_boundary and not fit.converged and fit.p > 1e6
    assert fit.q == pytest.approx(q, rel=1e-3)
    assert any("p grows without bound with p v fixed" in w for w in fit.warnings)


def test_gamma_gamma_reports_the_edge_when_all_members_share_one_mean_spend():
    rng = np.random.default_rng(11)
    x = rng.integers(1, 8, 400).astype(float)
    m = rng.gamma(4.7 * x, 1 / 0.2) / x  # one nu = 0.2 for everyone
    fit = fit_gamma_gamma(pd.DataFrame({"frequency": x, "monetary_value": m}))
    limit = _gamma_limit_max(x, m)
    assert fit.log_likelihood == pytest.approx(limit, abs=0.01)
    assert fit.at_boundary and not fit.converged and fit.q > 1e6
    assert any("q and v grow without bound" in w for w in fit.warnings)


def test_bgnbd_reports_the_edge_when_every_member_buys_at_the_same_rate():
    # rates ~ Gamma(200, 200/0.3): almost no heterogeneity, so the likelihood rises
    # towards the Poisson limit r, alpha -> infinity with r/alpha = lambda.
    summary = _simulate_log(800, seed=7, r=200.0, alpha=200.0 / 0.3)
    x, tx, T, w = _pooled(summary)

    def poisson_limit(theta):
        lam, a, b = theta
        k = x.astype(int)
        j = np.arange(int(k.max()))
        cum = np.concatenate([[0.0], np.cumsum(np.log(b + j) - np.log(a + b + j))])
        alive = -lam * T
        gone = np.log(a) - np.log(np.where(k > 0, b + x - 1, 1.0)) - lam * tx
        tail = np.where(k > 0, np.logaddexp(alive, gone), alive)
        return float(np.sum(w * (cum[k] + x * np.log(lam) + tail)))

    limit = _brute_force_max(poisson_limit, [[0.1, 1.0], [0.3, 3.0], [1.0, 10.0]])[1]
    fit = fit_bgnbd(summary)
    assert fit.log_likelihood == pytest.approx(limit, abs=0.01)
    assert fit.at_boundary and not fit.converged and fit.r > 1e6
    assert fit.r / fit.alpha == pytest.approx(0.29, abs=0.02)
    assert any("r and alpha grow without bound" in w for w in fit.warnings)


@pytest.mark.parametrize(
    "spec, edge",
    [
        # no member seems to leave: a/(a+b) -> 0 (reached along a -> 0 or b -> infinity)
        ({"n": 40, "seed": 1022, "r": 0.14, "alpha": 16.7, "a": 0.044, "b": 2.76}, "no dropout"),
        # a few members leave after one repeat purchase, the others never
        ({"n": 150, "seed": 1035, "r": 0.6, "alpha": 1.7, "a": 0.013, "b": 1.9}, "0 or 1"),
    ],
)
def test_bgnbd_reports_the_dropout_edges(spec, edge):
    summary = _simulate_log(**spec)
    fit = fit_bgnbd(summary)
    _, best = _independent_bgnbd_max(summary)
    assert fit.log_likelihood >= best - 0.01
    assert fit.at_boundary and not fit.converged
    assert fit.a / (fit.a + fit.b) < 0.01 or fit.a + fit.b < 1e-3
    (warning,) = fit.warnings
    assert edge in warning


def test_fit_checks_are_reported_and_deterministic(cdnow_summary, cdnow_fit):
    again = fit_bgnbd(cdnow_summary)
    pd.testing.assert_frame_equal(again.params, cdnow_fit.params, check_exact=True)
    pd.testing.assert_frame_equal(again.starts, cdnow_fit.starts, check_exact=True)
    d = cdnow_fit.to_dict()
    assert {"at_boundary", "hessian_pd", "gradient_norm", "start", "starts"} <= set(d)
    assert d["start"] == "moments" and d["hessian_pd"] is True and d["at_boundary"] is False
    assert len(d["starts"]) == 7 and {"start", "log_likelihood", "r_start"} <= set(d["starts"][0])
    assert "Fit: best of 7 starts from 'moments' (7 reached it)" in cdnow_fit.summary()
    json.dumps(d, allow_nan=False)
