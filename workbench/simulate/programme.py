"""A loyalty initiative launched in half the stores, with known effects (programme evaluation).

Part of :mod:`workbench.simulate` (see its docstring for what each generator draws).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.results import jsonable
from workbench.simulate.survey import (
    _RECOMMEND_CUMULATIVE,
    RECOMMEND_COLUMN,
    simulate_loyalty_survey,
)
from workbench.simulate.transactions import (
    BGNBD_PARAMS,
    CHANNEL_ONLINE_SHARE,
    GAMMA_GAMMA_PARAMS,
    LOYALTY_RATE_COPULA,
    N_STORES,
    TIER_RATE_MULTIPLIER,
    TIER_SPEND_MULTIPLIER,
    _survey_loyalty_scores,
    simulate_transactions,
)

#: File names written by :func:`write_default_programme`.
PROGRAMME_FILES = {
    "transactions": "programme_transactions.csv",
    "members": "programme_members.csv",
    "nps": "programme_nps.csv",
    "truth": "programme.truth.json",
}
#: The initiative reaches every member whose home store is even-numbered (half the stores).
PROGRAMME_TREATED_STORES = ("S02", "S04", "S06", "S08", "S10", "S12")
PARETO_NBD_DROPOUT = {"s": 1.0, "beta": 39.0}  # lifetime ~ Exp(mu), mu ~ Gamma(s, rate beta)/week
SEASONALITY = {"amplitude": 0.15, "peak_day_of_year": 350}  # common to everyone
COMMON_TREND = 0.05  # log purchase rate per year, common to everyone
NPS_STABLE_SHARE = 0.8  # share of the latent answer's variance that is the member's own level
NPS_RATE_LINK = 0.3  # non-surveyed members: corr(latent recommend level, normal score of rate)
_PROGRAMME_CHUNK = 2000  # members per block of the day-level draw (fixed: part of the stream)


@dataclasses.dataclass(frozen=True)
class SimulatedProgramme:
    """A simulated loyalty initiative: records, members, NPS waves and the truth.

    Attributes
    ----------
    transactions : pandas.DataFrame
        One row per purchase, sorted by date: ``order_id`` (``P0000001``...),
        ``member_id`` (string), ``date`` (datetime64), ``amount`` (2 decimals),
        ``channel`` (``online``/``store``) and ``store`` (``S01``..``S12``,
        empty online).
    members : pandas.DataFrame
        The members of :func:`simulate_transactions` (``member_id``,
        ``join_date``, ``tier``, ``age``, ``gender``, ``surveyed``) plus their
        home ``store`` and ``treated`` (bool: the home store is one of
        :data:`PROGRAMME_TREATED_STORES`).
    nps : pandas.DataFrame
        Quarterly NPS waves: ``member_id``, ``date``, ``recommend`` (0-10).
    truth : dict
        Every parameter and the expected effects in the study's units (JSON-ready).
    seed : int
        The seed that produced the records.
    """

    transactions: pd.DataFrame
    members: pd.DataFrame
    nps: pd.DataFrame
    truth: dict[str, Any]
    seed: int


def _normal_scores(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores ``Phi^-1((rank - 0.5) / n)``, ties broken at random; NaN -> random N(0, 1)."""
    x = np.asarray(x, dtype=float)
    z = rng.standard_normal(len(x))
    jitter = rng.random(len(x))
    idx = np.flatnonzero(~np.isnan(x))
    if len(idx):
        order = np.lexsort((jitter[idx], x[idx]))
        ranks = np.empty(len(idx))
        ranks[order] = np.arange(1, len(idx) + 1)
        z[idx] = stats.norm.ppf((ranks - 0.5) / len(idx))
    return z


def simulate_programme(
    survey: pd.DataFrame | None = None,
    *,
    n_members: int | None = None,
    seed: int = 2026,
    launch_date: str = "2025-01-01",
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    rate_effect: float = 1.25,
    spend_effect: float = 1.05,
    ramp_days: int = 90,
    nps_wave_size: int = 400,
    nps_uplift: float = 0.15,
) -> SimulatedProgramme:
    """Simulate a loyalty initiative launched for half the stores' members.

    Parameters
    ----------
    survey : pandas.DataFrame, optional
        As in :func:`simulate_transactions` (default: the shipped survey); its
        respondents are members with ``member_id = str(respondent_id)``.
    n_members : int, optional
        Members in total (default 5000).
    seed : int, default 2026
        The members (ids, join dates, tiers, age, gender) are those of
        ``simulate_transactions(survey, n_members=..., start=..., end=..., seed=seed)``;
        the programme's own draws use ``numpy.random.default_rng([seed, 5])``.
    launch_date : str, default "2025-01-01"
        The day the initiative starts for treated members (after ``start``,
        not after ``end``).
    start, end : str
        The period of the log (ISO dates, ``end`` inclusive).
    rate_effect, spend_effect : float, default 1.25 and 1.05
        Multipliers, once fully ramped up, of a treated member's purchase rate
        and of the amount of each purchase. The purchase-rate effect is sized so
        that the default 5,000 members give the difference in differences
        adequate power (standard error about 0.03 purchases per member-month).
    ramp_days : int, default 90
        The effects rise linearly from the launch date to their full size over
        this many days (0: a step).
    nps_wave_size : int, default 400
        Members sampled at random in each quarterly NPS wave.
    nps_uplift : float, default 0.15
        Shift of a treated member's latent recommend answer (standard-normal
        units) in waves after the launch.

    Returns
    -------
    SimulatedProgramme
        ``transactions``, ``members``, ``nps``, ``truth`` and ``seed``.

    Notes
    -----
    Treatment: a member is treated when the home store (uniform over S01..S12)
    is even-numbered; the initiative reaches the member in every channel.
    Purchases follow a Pareto/NBD process (Schmittlein, Morrison & Colombo 1987)
    in continuous time, with the transaction simulator's rate heterogeneity::

        lambda_i = m_tier * G^-1(u_i),  G = Gamma(r, alpha)   (per week; BG/NBD values)
        lifetime_i ~ Exponential(mu_i), mu_i ~ Gamma(s, rate beta)   (weeks from joining)
        rate_i(d) = lambda_i / 7 * season(d) * exp(trend * years(d)) * E_i(d)   (per day)
        E_i(d) = 1 + (rate_effect - 1) * treated_i * min(1, max(0, d - launch + 1) / ramp_days)

    with ``season(d) = 1 + A cos(2 pi (doy - peak) / 365.25)`` common to all,
    so trends are parallel by construction; ``u_i`` is tied to survey loyalty
    by the Gaussian copula of :func:`simulate_transactions` (the same
    ``loyalty_link``). Each purchase's amount is Gamma-Gamma (tier spend
    multipliers as in :func:`simulate_transactions`) times
    ``1 + (spend_effect - 1) * treated * ramp(d)``. Members who join in the
    period also buy on the join date. Dropout does not depend on treatment.

    The truth's ``expected_did`` gives the target of a difference in
    differences on a member-month panel (each member from the first calendar
    month starting after the join date to ``end``): the average effect on the
    treated over post-launch member-months, ``sum(E1 - E0) / n``, where
    ``E0``/``E1`` are a member-month's expected purchases (or spend) without
    and with the initiative, computed exactly from the model given the
    realised join dates and tiers; also relative to ``sum(E0)`` and by month
    since launch.

    NPS: each quarter, ``nps_wave_size`` members who joined before the quarter
    are sampled and answer on a uniform day of the quarter:
    ``x = sqrt(c) v_i + sqrt(1 - c) e + nps_uplift * treated * (date >= launch)``,
    ``recommend`` = ``x`` cut at the survey's thresholds (so a control member
    answers with the survey's 0-10 distribution). ``v_i`` is the normal score
    of the survey's ``recommend`` for respondents, and
    ``rho u'_i + sqrt(1 - rho^2) e'`` for others (``u'_i`` the normal score of
    the rate quantile, ``rho`` = :data:`NPS_RATE_LINK`).

    References
    ----------
    Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your
    customers: Who are they and what will they do next? *Management Science*,
    33(1), 1-24. (R: ``BTYD::pnbd.EstimateParameters``.)

    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*,
    ch. 5 (difference in differences). (R: ``fixest::feols(y ~ treat:post |
    member + month)``.)

    Examples
    --------
    >>> from workbench.simulate import simulate_programme
    >>> sim = simulate_programme(n_members=1000, seed=1)
    >>> list(sim.members.columns[-2:]), sim.truth["rate_effect"]
    (['store', 'treated'], 1.25)
    """
    for name, value in (("seed", seed), ("ramp_days", ramp_days), ("nps_wave_size", nps_wave_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if ramp_days < 0 or nps_wave_size < 0:
        raise ValueError("ramp_days and nps_wave_size must be >= 0")
    if not (rate_effect > 0 and spend_effect > 0):
        raise ValueError("rate_effect and spend_effect must be positive multipliers")
    seed = int(seed)
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    launch = pd.Timestamp(launch_date)
    if not start_ts < launch <= end_ts:
        raise ValueError(f"launch_date ({launch_date}) must be after start and not after end")
    if survey is None:
        survey = simulate_loyalty_survey().data
    base = simulate_transactions(survey, n_members=n_members, start=start, end=end, seed=seed)
    members = base.members.copy()
    n, n_survey = len(members), len(survey)
    rng = np.random.default_rng([seed, 5])

    # --- members: home store, treatment, rate, lifetime, spend level ----------------------
    home = rng.integers(1, N_STORES + 1, size=n)
    store_names = np.array(["", *(f"S{k:02d}" for k in range(1, N_STORES + 1))])
    members["store"] = store_names[home]
    treated = np.isin(members["store"].to_numpy(), PROGRAMME_TREATED_STORES)
    members["treated"] = treated
    tier = members["tier"].to_numpy(dtype=str)
    r, alpha = BGNBD_PARAMS["r"], BGNBD_PARAMS["alpha"]
    m = np.array([TIER_RATE_MULTIPLIER[t] for t in tier])
    u = rng.random(n)
    loyalty_z = _survey_loyalty_scores(survey, rng)
    rho = LOYALTY_RATE_COPULA
    u[:n_survey] = stats.norm.cdf(
        rho * loyalty_z + math.sqrt(1 - rho**2) * rng.standard_normal(n_survey)
    )
    lam = m * stats.gamma.ppf(u, r, scale=1 / alpha)
    s_, beta = PARETO_NBD_DROPOUT["s"], PARETO_NBD_DROPOUT["beta"]
    lifetime = rng.exponential(1.0, size=n) / rng.gamma(s_, 1 / beta, size=n)  # weeks
    gg_p, gg_q, gg_gamma = (GAMMA_GAMMA_PARAMS[k] for k in ("p", "q", "gamma"))
    sm = np.array([TIER_SPEND_MULTIPLIER[t] for t in tier])
    nu = rng.gamma(gg_q, 1 / (gg_gamma * sm))
    online_share = rng.beta(2.0, 2.0, size=n)
    if "channel" in survey:
        main_channel = survey["channel"].to_numpy(dtype=str)
        known = np.isin(main_channel, list(CHANNEL_ONLINE_SHARE))
        online_share[:n_survey][known] = [CHANNEL_ONLINE_SHARE[c] for c in main_channel[known]]

    # --- day grid: common seasonality and trend, ramp ----------------------------------
    days = pd.date_range(start_ts, end_ts, freq="D")
    n_days = len(days)
    years = np.arange(n_days) / 365.25
    doy = days.day_of_year.to_numpy()
    amp, peak = SEASONALITY["amplitude"], SEASONALITY["peak_day_of_year"]
    common = (1 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25)) * np.exp(COMMON_TREND * years)
    since = (days - launch).days.to_numpy()
    ramp = np.where(since < 0, 0.0, np.minimum(1.0, (since + 1) / ramp_days) if ramp_days else 1.0)
    join_off = (members["join_date"] - start_ts).dt.days.to_numpy()
    month = days.to_period("M")
    month_start = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    months = month[month_start]
    month_first = months.to_timestamp()
    # a member-month is in the panel when the member joined before the month's first day
    in_panel = join_off[:, None] < (month_first - start_ts).days.to_numpy()[None, :]
    post_month = month_first >= launch.to_period("M").to_timestamp()
    exp0 = np.empty((n, len(months)))
    exp1 = np.empty((n, len(months)))
    spend_mult = np.array([gg_p * gg_gamma * x / (gg_q - 1) for x in sm])  # mean amount by member
    exp_s1 = np.empty((n, len(months)))
    owners, day_idx = [], []
    for lo in range(0, n, _PROGRAMME_CHUNK):
        hi = min(n, lo + _PROGRAMME_CHUNK)
        t_weeks = (np.arange(n_days)[None, :] - join_off[lo:hi, None]) / 7.0
        joined = t_weeks >= 0
        eff = 1 + (rate_effect - 1) * treated[lo:hi, None] * ramp[None, :]
        base_rate = lam[lo:hi, None] / 7 * common[None, :] * joined
        mu = base_rate * (t_weeks < lifetime[lo:hi, None]) * eff
        counts = rng.poisson(mu)
        new = np.flatnonzero((join_off[lo:hi] >= 0) & (join_off[lo:hi] < n_days))
        counts[new, join_off[lo:hi][new]] += 1  # the first purchase, on the join date
        who, when = np.nonzero(counts)
        reps = counts[who, when]
        owners.append(np.repeat(who + lo, reps))
        day_idx.append(np.repeat(when, reps))
        # expectations over lambda and lifetime given tier and join date (Pareto/NBD survival)
        alive = np.where(joined, (beta / (beta + np.maximum(t_weeks, 0))) ** s_, 0.0)
        e0 = (r * m[lo:hi, None] / alpha) / 7 * common[None, :] * alive
        exp0[lo:hi] = np.add.reduceat(e0, month_start, axis=1)
        exp1[lo:hi] = np.add.reduceat(e0 * eff, month_start, axis=1)
        s_eff = 1 + (spend_effect - 1) * treated[lo:hi, None] * ramp[None, :]
        exp_s1[lo:hi] = np.add.reduceat(e0 * eff * s_eff, month_start, axis=1)
    owner = np.concatenate(owners)
    day = np.concatenate(day_idx)
    amount = rng.gamma(gg_p, 1 / nu[owner]) * (1 + (spend_effect - 1) * treated[owner] * ramp[day])
    amount = np.maximum(np.round(amount, 2), 0.01)
    online = rng.random(len(owner)) < online_share[owner]
    other = rng.integers(1, N_STORES + 1, size=len(owner))
    store_no = np.where(rng.random(len(owner)) < 0.8, home[owner], other)
    order = np.lexsort((owner, day))
    owner, day, amount = owner[order], day[order], amount[order]
    online, store_no = online[order], store_no[order]
    transactions = pd.DataFrame(
        {
            "order_id": [f"P{i:07d}" for i in range(1, len(owner) + 1)],
            "member_id": members["member_id"].to_numpy()[owner],
            "date": days[day],
            "amount": amount,
            "channel": np.where(online, "online", "store"),
            "store": store_names[np.where(online, 0, store_no)],
        }
    )

    # --- NPS waves -----------------------------------------------------------------------
    v = np.empty(n)
    v[n_survey:] = NPS_RATE_LINK * stats.norm.ppf(u[n_survey:]) + math.sqrt(
        1 - NPS_RATE_LINK**2
    ) * rng.standard_normal(n - n_survey)
    rec = (
        pd.to_numeric(survey[RECOMMEND_COLUMN], errors="coerce").to_numpy(dtype=float)
        if RECOMMEND_COLUMN in survey
        else np.full(n_survey, np.nan)
    )
    v[:n_survey] = _normal_scores(rec, rng)
    tau = stats.norm.ppf(_RECOMMEND_CUMULATIVE)
    quarters = pd.period_range(start_ts, end_ts, freq="Q")
    waves = []
    for q in quarters:
        q0 = max(q.start_time.normalize(), start_ts)
        q1 = min(q.end_time.normalize(), end_ts)
        eligible = np.flatnonzero(members["join_date"].to_numpy() < q0.to_datetime64())
        k = min(nps_wave_size, len(eligible))
        who = np.sort(rng.choice(eligible, size=k, replace=False))
        when = q0 + pd.to_timedelta(rng.integers(0, (q1 - q0).days + 1, size=k), unit="D")
        post = when >= launch
        x = (
            math.sqrt(NPS_STABLE_SHARE) * v[who]
            + math.sqrt(1 - NPS_STABLE_SHARE) * rng.standard_normal(k)
            + nps_uplift * treated[who] * post
        )
        waves.append(
            pd.DataFrame(
                {
                    "member_id": members["member_id"].to_numpy()[who],
                    "date": when,
                    "recommend": np.searchsorted(tau, x).astype(int),
                }
            )
        )
    nps = pd.concat(waves, ignore_index=True)
    nps = nps.sort_values(["date", "member_id"], kind="mergesort").reset_index(drop=True)

    # --- truth ------------------------------------------------------------------------------
    def nps_of(shift: float) -> float:
        promoters = 1 - stats.norm.cdf(tau[8] - shift)
        detractors = stats.norm.cdf(tau[6] - shift)
        return 100 * float(promoters - detractors)

    exp_s0 = exp0 * spend_mult[:, None]
    exp_s1 = exp_s1 * spend_mult[:, None]
    cell = in_panel & treated[:, None] & np.asarray(post_month)[None, :]

    def effect(e0: np.ndarray, e1: np.ndarray, mask: np.ndarray) -> dict[str, float | None]:
        d0, d1 = float(e0[mask].sum()), float(e1[mask].sum())
        cells = int(mask.sum())
        return {
            "att": round((d1 - d0) / cells, 6) if cells else None,
            "counterfactual_mean": round(d0 / cells, 6) if cells else None,
            "relative_effect": round(d1 / d0 - 1, 6) if d0 else None,
            "member_months": cells,
        }

    launch_month = launch.to_period("M")
    by_k = {}
    for j, mo in enumerate(months):
        k = (mo - launch_month).n
        if k < 0:
            continue
        mask = np.zeros_like(cell)
        mask[:, j] = cell[:, j]
        by_k[str(k)] = {
            "month": str(mo),
            "purchases": effect(exp0, exp1, mask)["att"],
            "spend": effect(exp_s0, exp_s1, mask)["att"],
        }
    nps_c, nps_t = nps_of(0.0), nps_of(nps_uplift)
    quarter_truth = {}
    for q in quarters:
        after = q.start_time >= launch
        treated_value = nps_t if after else nps_c
        quarter_truth[str(q)] = {
            "control": round(nps_c, 4),
            "treated": round(treated_value, 4),
            "population": round(0.5 * nps_c + 0.5 * treated_value, 4),
        }
    truth = jsonable(
        {
            "description": (
                "Simulated loyalty initiative launched on launch_date for the members whose "
                "home store is even-numbered. Pareto/NBD purchases (the transaction "
                "simulator's BG/NBD rate heterogeneity, tier multipliers and survey-loyalty "
                "copula; exponential lifetimes) with common seasonality and trend; "
                "Gamma-Gamma spend; after launch a treated member's rate and spend per "
                "purchase are multiplied by ramped effects. No effect before launch; "
                "treatment is independent of every other member trait."
            ),
            "generator": "workbench.simulate.simulate_programme",
            "seed": seed,
            "stream": "members (ids, join_date, tier, age, gender, surveyed) from "
            "simulate_transactions(seed=seed) (the same as loyalty_members.csv for the "
            "defaults); everything else from numpy.random.default_rng([seed, 5])",
            "n_members": n,
            "n_surveyed": n_survey,
            "n_treated": int(treated.sum()),
            "start": start_ts.date().isoformat(),
            "end": end_ts.date().isoformat(),
            "launch_date": launch.date().isoformat(),
            "treatment_rule": "treated = home store in "
            f"{list(PROGRAMME_TREATED_STORES)} (home store uniform over S01..S{N_STORES:02d}, "
            "drawn independently of everything else); the initiative reaches the member in "
            "every channel from launch_date on",
            "treated_stores": list(PROGRAMME_TREATED_STORES),
            "rate_effect": rate_effect,
            "spend_effect": spend_effect,
            "ramp_days": ramp_days,
            "ramp": "effect multiplier 1 + (effect - 1) * min(1, (days since launch + 1) / "
            "ramp_days) from launch_date on, 1 before",
            "purchase_model": {
                "bgnbd_rate": {"r": r, "alpha": alpha, "time_unit": "week"},
                "tier_rate_multiplier": TIER_RATE_MULTIPLIER,
                "dropout": {**PARETO_NBD_DROPOUT, "time_unit": "week"},
                "dropout_note": "Pareto/NBD: lifetime after joining ~ Exponential(mu), mu ~ "
                "Gamma(shape s, rate beta); P(alive t weeks after joining) = (beta / (beta + "
                "t))^s; independent of rate and treatment",
                "seasonality": SEASONALITY,
                "common_trend_per_year": COMMON_TREND,
                "rate_equation": "rate_i(d) = lambda_i / 7 * (1 + A cos(2 pi (doy - peak) / "
                "365.25)) * exp(trend * (d - start) / 365.25) * E_i(d) per day while alive; "
                "members who join in the period also buy on the join date",
                "gamma_gamma": GAMMA_GAMMA_PARAMS,
                "tier_spend_multiplier": TIER_SPEND_MULTIPLIER,
                "channel": "online with the member's online share (as in "
                "simulate_transactions); store purchases at the home store with probability "
                "0.8, otherwise a random store",
            },
            "loyalty_link": base.truth["loyalty_link"],
            "expected_did": {
                "panel": "member x calendar month, from the first month that starts after the "
                "member's join date to end; outcomes: purchases and spend (sum of amounts) in "
                "the month; post = months from the launch month on",
                "estimand": "average effect on the treated over post-launch member-months: "
                "sum(E1 - E0) / member-months, E0/E1 the expected outcome without/with the "
                "initiative, exact given the realised join dates and tiers (expectation over "
                "rates, lifetimes and spend). Treatment is randomised over members, so the "
                "population pre-launch difference in trends is zero and a DiD targets this "
                "value; relative_effect = sum(E1) / sum(E0) - 1",
                "purchases_per_member_month": effect(exp0, exp1, cell),
                "spend_per_member_month": effect(exp_s0, exp_s1, cell),
                "relative_effect_fully_ramped": {
                    "purchases": round(rate_effect - 1, 6),
                    "spend_per_purchase": round(spend_effect - 1, 6),
                    "spend": round(rate_effect * spend_effect - 1, 6),
                },
                "by_months_since_launch": by_k,
                "pre_launch_effect": 0.0,
            },
            "nps": {
                "wave_size": nps_wave_size,
                "waves": "one per calendar quarter; members who joined before the quarter's "
                "first day, sampled without replacement, answer on a uniform day of the quarter",
                "stable_share": NPS_STABLE_SHARE,
                "rate_link_non_surveyed": NPS_RATE_LINK,
                "uplift_latent": nps_uplift,
                "equation": "x = sqrt(c) v_i + sqrt(1 - c) e + uplift * treated * (date >= "
                "launch_date); recommend = number of thresholds below x",
                "thresholds": [round(float(t), 4) for t in tau],
                "member_level": "v_i = normal score of the survey's recommend for respondents "
                "(ties random, missing -> N(0, 1)); rho z(u_i) + sqrt(1 - rho^2) e' for others, "
                "z(u_i) the normal score of the member's rate quantile",
                "nps_control": round(nps_c, 4),
                "nps_treated_post": round(nps_t, 4),
                "uplift_nps_points": round(nps_t - nps_c, 4),
                "by_quarter": quarter_truth,
                "by_quarter_note": "population NPS (promoters 9-10 minus detractors 0-6, in "
                "points) with half the members treated (the design's share); a quarter that "
                "straddles launch_date is listed at its pre-launch value",
            },
            "realised": {
                "purchases": len(transactions),
                "revenue": round(float(transactions["amount"].sum()), 2),
                "nps_answers": len(nps),
            },
        }
    )
    return SimulatedProgramme(
        transactions=transactions, members=members, nps=nps, truth=truth, seed=seed
    )


def write_default_programme(folder: str | Path, *, seed: int = 2026) -> dict[str, Path]:
    """Write the default programme files (:data:`PROGRAMME_FILES`).

    Parameters
    ----------
    folder : str or Path
        Target folder (created if needed); files of the same names are replaced.
    seed : int, default 2026
        Passed to :func:`simulate_programme` (all other arguments at their defaults).

    Returns
    -------
    dict
        ``{"transactions": path, "members": path, "nps": path, "truth": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sim = simulate_programme(seed=seed)
    paths = {key: folder / name for key, name in PROGRAMME_FILES.items()}
    csv = {"index": False, "encoding": "utf-8", "lineterminator": "\n", "date_format": "%Y-%m-%d"}
    sim.transactions.to_csv(paths["transactions"], float_format="%.2f", **csv)
    sim.members.to_csv(paths["members"], **csv)
    sim.nps.to_csv(paths["nps"], **csv)
    paths["truth"].write_text(
        json.dumps(sim.truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
    return paths
