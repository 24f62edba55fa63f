"""Members' transactions for the survey's members (BG/NBD purchases, Gamma-Gamma spend).

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
    GENDER_PROBS,
    GENDERS,
    SCALE_MAX,
    SCALE_MIN,
    TIER_PROBS,
    TIERS,
    simulate_loyalty_survey,
)

# ---------------------------------------------------------------------------
# Member transactions (BG/NBD purchases, Gamma-Gamma spend) for the survey's members.
# ---------------------------------------------------------------------------

#: File names written by :func:`write_default_transactions`.
TRANSACTION_FILES = {
    "transactions": "loyalty_transactions.csv",
    "members": "loyalty_members.csv",
    "tier_history": "loyalty_tier_history.csv",
    "truth": "loyalty_transactions.truth.json",
}

#: BG/NBD purchase process (time unit: weeks). lambda ~ Gamma(shape r, rate alpha) is the
#: repeat-purchase rate of a basic member; after each repeat purchase a member drops out
#: with probability p ~ Beta(a, b).
BGNBD_PARAMS = {"r": 1.3, "alpha": 5.0, "a": 1.5, "b": 22.0}
#: Gamma-Gamma spend: amount ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma)
#: for a basic member (mean spend per purchase p * gamma / (q - 1) = 50).
GAMMA_GAMMA_PARAMS = {"p": 6.0, "q": 4.0, "gamma": 25.0}
#: Tier effects: the purchase rate lambda and the spend per purchase are multiplied by these
#: (equivalently alpha_tier = alpha / m and gamma_tier = gamma * s).
TIER_RATE_MULTIPLIER = {"basic": 1.0, "silver": 1.3, "gold": 1.7, "platinum": 2.2}
TIER_SPEND_MULTIPLIER = {"basic": 1.0, "silver": 1.15, "gold": 1.35, "platinum": 1.6}
#: Gaussian-copula correlation between a surveyed member's loyalty score (normal scores
#: within tier) and the quantile of their purchase rate.
LOYALTY_RATE_COPULA = 0.4
LOYALTY_ITEMS = ("RI1", "RI2", "RI3")
N_MEMBERS_DEFAULT = 5000
LEGACY_SHARE = 0.3  # members who joined up to two years before `start`
LEGACY_YEARS = 2
REFUND_RATE = 0.02  # share of purchases refunded in full, 0-30 days later
POINTS_PER_UNIT = 1  # points earned = floor(amount * POINTS_PER_UNIT)
REDEEM_BLOCK = 500  # points are redeemed in blocks of 500 ...
REDEEM_PROB = 0.6  # ... at the purchase where a new block is completed, with this probability
#: Online share of purchases by the survey's main channel; non-surveyed members draw
#: theirs from Beta(2, 2).
CHANNEL_ONLINE_SHARE = {"online": 0.85, "offline": 0.15, "both": 0.5}
N_STORES = 12
#: Tier reviews on 1 January: with z the standardized log(1 + spend) of the preceding
#: 12 months among members reviewed that day, P(upgraded into the current tier) =
#: logistic(c + s z), P(downgraded into it) = logistic(c - s z).
TIER_REVIEW = {"intercept": -2.5, "slope": 1.5}
INACTIVE_WEEKS = 26  # the 'no purchase in the last 26 weeks' check


@dataclasses.dataclass(frozen=True)
class SimulatedTransactions:
    """Simulated loyalty-programme records with their ground truth.

    Attributes
    ----------
    transactions : pandas.DataFrame
        One row per order or refund, sorted by date and order id: ``order_id``
        (``T0000001``...; a refund is the original id + ``-R``), ``member_id``
        (string), ``date`` (datetime64), ``amount`` (currency units, 2 decimals,
        negative for refunds), ``channel`` (``online``/``store``), ``store``
        (``S01``..``S12``, empty online), ``points_earned`` (negative for refunds)
        and ``points_redeemed``.
    members : pandas.DataFrame
        One row per member: ``member_id``, ``join_date``, ``tier`` (current
        tier, the survey's for surveyed members), ``age``, ``gender`` and
        ``surveyed`` (bool).
    tier_history : pandas.DataFrame
        ``member_id``, ``date``, ``tier``: the tier at joining and every change
        at a 1 January tier review.
    truth : dict
        Every generating parameter and the expected aggregates (JSON-ready).
    seed : int
        The seed that produced the records.
    """

    transactions: pd.DataFrame
    members: pd.DataFrame
    tier_history: pd.DataFrame
    truth: dict[str, Any]
    seed: int


def _bgnbd_expected_purchases(
    t: np.ndarray, r: float, alpha: np.ndarray, a: float, b: float
) -> np.ndarray:
    """E[X(t)], the expected number of repeat purchases in (0, t] (Fader, Hardie & Lee 2005)."""
    from scipy.special import hyp2f1

    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def _bgnbd_prob_no_purchase(
    t: np.ndarray, tau: float, r: float, alpha: np.ndarray, a: float, b: float
) -> np.ndarray:
    """P(no purchase in (t, t + tau]) for a member whose first purchase was at 0.

    Given lambda and p the member is alive at t with probability exp(-lambda p t)
    (dropout is a p-thinning of the purchase process), so
    ``P = 1 - E[exp(-lambda p t) - exp(-lambda (p t + tau))]``; the expectation
    over lambda ~ Gamma(r, alpha) is closed-form, the one over p ~ Beta(a, b) is
    done by 64-point Gauss-Jacobi quadrature.
    """
    from scipy.special import roots_jacobi

    x, w = roots_jacobi(64, b - 1, a - 1)
    p = (1 + x) / 2
    w = w / w.sum()
    t = np.asarray(t, dtype=float)[:, None]
    al = np.broadcast_to(np.asarray(alpha, dtype=float), t.shape[:1])[:, None]
    alive = (al / (al + p * t)) ** r - (al / (al + p * t + tau)) ** r
    return 1 - alive @ w


def _survey_loyalty_scores(survey: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of the RI1-RI3 mean within tier.

    Ties are broken at random, so within a tier the scores are exactly the
    normal quantiles ``Phi^-1((rank - 0.5) / n_tier)``; respondents without an
    answered item get a random standard-normal score.
    """
    x = survey[list(LOYALTY_ITEMS)].astype("float64")
    x = x.where((x >= SCALE_MIN) & (x <= SCALE_MAX))
    score = x.mean(axis=1).to_numpy()
    z = rng.standard_normal(len(survey))
    jitter = rng.random(len(survey))
    tiers = survey["tier"].to_numpy()
    for tier in TIERS:
        idx = np.flatnonzero((tiers == tier) & ~np.isnan(score))
        if len(idx) == 0:
            continue
        order = np.lexsort((jitter[idx], score[idx]))
        ranks = np.empty(len(idx))
        ranks[order] = np.arange(1, len(idx) + 1)
        z[idx] = stats.norm.ppf((ranks - 0.5) / len(idx))
    return z


def simulate_transactions(
    survey: pd.DataFrame | None = None,
    *,
    n_members: int | None = None,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    seed: int = 2026,
) -> SimulatedTransactions:
    """Simulate loyalty-programme transactions for the survey's members and others.

    Parameters
    ----------
    survey : pandas.DataFrame, optional
        A survey from :func:`simulate_loyalty_survey` (columns ``respondent_id``,
        ``tier``, ``RI1``-``RI3``; ``channel``, ``age`` and ``gender`` used if
        present). Default: the shipped survey (800 respondents, seed 2026).
        Its respondents become members with ``member_id = str(respondent_id)``.
    n_members : int, optional
        Members in total (surveyed ones included); default 5000, at least the
        number of respondents.
    start, end : str
        The period of the transaction log (ISO dates, ``end`` inclusive).
    seed : int, default 2026
        Seed of :func:`numpy.random.default_rng` (the survey has its own).

    Returns
    -------
    SimulatedTransactions
        ``transactions``, ``members``, ``tier_history``, ``truth`` and ``seed``.

    Notes
    -----
    Each member makes a first purchase on the join date (time 0); repeat
    purchases follow the BG/NBD model (Fader, Hardie & Lee 2005) in weeks::

        lambda_i = m_tier * G^-1(u_i),  G = Gamma(shape r, rate alpha)
        p_i ~ Beta(a, b); after each repeat purchase the member drops out w.p. p_i

    so within a tier lambda ~ Gamma(r, alpha / m_tier). For non-surveyed members
    ``u_i`` is uniform; for surveyed members ``u_i = Phi(rho z_i + sqrt(1 - rho^2) e_i)``
    where ``z_i`` is the normal score (within tier) of the mean of RI1-RI3, the
    survey's repurchase-intention (``loyalty``) items, and ``rho`` =
    :data:`LOYALTY_RATE_COPULA`: more loyal respondents buy more often while the
    marginal BG/NBD within each tier is unchanged. Spend per purchase follows the
    Gamma-Gamma model (Fader, Hardie & Lee 2005b): ``amount ~ Gamma(p, nu_i)``,
    ``nu_i ~ Gamma(q, gamma * s_tier)``, so the mean spend of a tier is
    ``p * gamma * s_tier / (q - 1)``. Purchases before ``start`` (by members who
    joined earlier) are simulated but not part of the log. Refunds, points,
    channels and tier reviews are described in the truth.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your
    customers" the easy way: An alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284. (R: ``BTYD::bgnbd.EstimateParameters``.)

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430. (R: ``BTYD::spend.EstimateParameters``.)

    Examples
    --------
    >>> from workbench.simulate import simulate_transactions
    >>> sim = simulate_transactions(n_members=900, seed=1)
    >>> sim.members.shape[0], int(sim.members["surveyed"].sum())
    (900, 800)
    >>> sim.truth["bgnbd"]
    {'r': 1.3, 'alpha': 5.0, 'a': 1.5, 'b': 22.0, 'time_unit': 'week'}
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    seed = int(seed)
    if survey is None:
        survey = simulate_loyalty_survey().data
    missing = [c for c in ("respondent_id", "tier", *LOYALTY_ITEMS) if c not in survey]
    if missing:
        raise ValueError(f"survey lacks the columns {missing}")
    bad_tiers = sorted(set(survey["tier"]) - set(TIERS))
    if bad_tiers:
        raise ValueError(f"survey tier values {bad_tiers} are not among {list(TIERS)}")
    n_survey = len(survey)
    if n_members is None:
        n_members = max(N_MEMBERS_DEFAULT, n_survey)
    if isinstance(n_members, bool) or not isinstance(n_members, (int, np.integer)):
        raise ValueError(f"n_members must be an integer, got {n_members!r}")
    n = int(n_members)
    if n < max(n_survey, 1):
        raise ValueError(f"n_members must be at least the {n_survey} respondents, got {n}")
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    if end_ts <= start_ts:
        raise ValueError(f"end ({end}) must be after start ({start})")
    rng = np.random.default_rng(seed)

    # --- members --------------------------------------------------------------------
    rid = survey["respondent_id"].to_numpy()
    if pd.api.types.is_integer_dtype(survey["respondent_id"]):
        extra = np.arange(int(rid.max()) + 1, int(rid.max()) + 1 + n - n_survey)
        ids = np.concatenate([rid.astype(str), extra.astype(str)])
    else:
        ids = np.concatenate([rid.astype(str), [f"M{i:06d}" for i in range(1, n - n_survey + 1)]])
    if len(set(ids)) != n:
        raise ValueError("survey respondent_id values must be unique")
    surveyed = np.arange(n) < n_survey
    tier = np.concatenate(
        [
            survey["tier"].to_numpy(dtype=str),
            np.asarray(TIERS)[rng.choice(len(TIERS), size=n - n_survey, p=TIER_PROBS)],
        ]
    )

    def covariate(name: str, draw: np.ndarray) -> np.ndarray:
        if name in survey:
            return np.concatenate([survey[name].to_numpy(), draw[n_survey:]])
        return draw

    age = covariate("age", np.clip(np.round(rng.normal(41.0, 13.0, size=n)), 18, 80))
    age = age.astype(int)
    gender = covariate(
        "gender", np.asarray(GENDERS)[rng.choice(len(GENDERS), size=n, p=GENDER_PROBS)]
    )
    online_share = rng.beta(2.0, 2.0, size=n)
    if "channel" in survey:
        main_channel = survey["channel"].to_numpy(dtype=str)
        known = np.isin(main_channel, list(CHANNEL_ONLINE_SHARE))
        online_share[:n_survey][known] = [CHANNEL_ONLINE_SHARE[c] for c in main_channel[known]]

    period_days = (end_ts - start_ts).days + 1
    legacy_start = start_ts - pd.DateOffset(years=LEGACY_YEARS)
    legacy_days = (start_ts - legacy_start).days
    legacy = rng.random(n) < LEGACY_SHARE
    offset = np.where(
        legacy,
        -rng.integers(1, legacy_days + 1, size=n),
        rng.integers(0, period_days, size=n),
    )
    join = start_ts + pd.to_timedelta(offset, unit="D")
    age_days = (end_ts - join).days.to_numpy() + 1  # observation ends at the end of `end`

    # --- purchase process -----------------------------------------------------------
    r, alpha, a, b = (BGNBD_PARAMS[k] for k in ("r", "alpha", "a", "b"))
    m = np.array([TIER_RATE_MULTIPLIER[t] for t in tier])
    u = rng.random(n)
    loyalty_z = _survey_loyalty_scores(survey, rng)
    e = rng.standard_normal(n_survey)
    rho = LOYALTY_RATE_COPULA
    u[:n_survey] = stats.norm.cdf(rho * loyalty_z + math.sqrt(1 - rho**2) * e)
    lam = m * stats.gamma.ppf(u, r, scale=1 / alpha)  # per week
    p_drop = rng.beta(a, b, size=n)
    # Repeat purchases: K ~ Poisson(lambda T) events in (0, T); the member dies after the
    # J-th repeat purchase, J ~ Geometric(p); the first min(K, J) events are purchases.
    k_events = rng.poisson(lam * age_days / 7.0)
    j_death = rng.geometric(p_drop)
    n_repeat = np.minimum(k_events, j_death)
    owner = np.repeat(np.arange(n), k_events)
    t_days = rng.random(len(owner)) * age_days[owner]
    order = np.lexsort((t_days, owner))
    owner, t_days = owner[order], t_days[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(k_events) - k_events, k_events)
    keep = rank < n_repeat[owner]
    owner = np.concatenate([np.arange(n), owner[keep]])
    t_days = np.concatenate([np.zeros(n), t_days[keep]])
    order = np.lexsort((t_days, owner))
    owner, t_days = owner[order], t_days[order]
    date = join.to_numpy()[owner] + np.floor(t_days).astype("timedelta64[D]")

    # --- spend, channel, points -------------------------------------------------------
    gg_p, gg_q, gg_gamma = (GAMMA_GAMMA_PARAMS[k] for k in ("p", "q", "gamma"))
    s = np.array([TIER_SPEND_MULTIPLIER[t] for t in tier])
    nu = rng.gamma(gg_q, 1 / (gg_gamma * s))
    amount = np.maximum(np.round(rng.gamma(gg_p, 1 / nu[owner]), 2), 0.01)
    online = rng.random(len(owner)) < online_share[owner]
    home_store = rng.integers(1, N_STORES + 1, size=n)
    other_store = rng.integers(1, N_STORES + 1, size=len(owner))
    store_no = np.where(rng.random(len(owner)) < 0.8, home_store[owner], other_store)
    store_names = np.array(["", *(f"S{k:02d}" for k in range(1, N_STORES + 1))])
    store = store_names[np.where(online, 0, store_no)]
    earned = np.floor(amount * POINTS_PER_UNIT).astype(np.int64)
    first = np.r_[True, owner[1:] != owner[:-1]]
    cum = np.cumsum(earned)
    base = np.maximum.accumulate(np.where(first, cum - earned, 0))
    before = cum - earned - base  # points earned by the member before this purchase
    blocks = before // REDEEM_BLOCK
    prev_blocks = np.where(first, 0, np.r_[0, blocks[:-1]])
    redeemed = np.where(
        (blocks > prev_blocks) & (rng.random(len(owner)) < REDEEM_PROB),
        (blocks - prev_blocks) * REDEEM_BLOCK,
        0,
    )

    # --- tier history (backwards from the current tier) -------------------------------
    current = pd.Series(tier).map({t: i for i, t in enumerate(TIERS)}).to_numpy(copy=True)
    reviews = pd.date_range(f"{legacy_start.year + 1}-01-01", f"{end_ts.year}-01-01", freq="YS")
    tx_date = pd.DatetimeIndex(date)
    changes: list[tuple[np.ndarray, np.ndarray, pd.Timestamp]] = []  # (member, tier, date)
    review_log: list[pd.DataFrame] = []
    c, sl = TIER_REVIEW["intercept"], TIER_REVIEW["slope"]
    for review in reviews[::-1]:
        reviewed = np.flatnonzero(join < review)
        if len(reviewed) == 0:
            continue
        in_year = (tx_date >= review - pd.DateOffset(years=1)) & (tx_date < review)
        spend = np.bincount(owner[in_year], weights=amount[in_year], minlength=n)[reviewed]
        ls = np.log1p(spend)
        zs = (ls - ls.mean()) / (ls.std() or 1.0)
        after = current[reviewed]
        p_up = np.where(after > 0, 1 / (1 + np.exp(-(c + sl * zs))), 0.0)
        p_down = np.where(after < len(TIERS) - 1, 1 / (1 + np.exp(-(c - sl * zs))), 0.0)
        v = rng.random(len(reviewed))
        move = np.where(v < p_up, -1, np.where(v < p_up + p_down, 1, 0))  # before - after
        changed = move != 0
        changes.append((reviewed[changed], after[changed], review))
        review_log.append(pd.DataFrame({"move": move, "z": zs}))
        current[reviewed] = after + move
    hist_member = np.concatenate([np.arange(n), *(ch[0] for ch in changes)])
    hist_tier = np.concatenate([current, *(ch[1] for ch in changes)])
    hist_date = np.concatenate(
        [join.to_numpy(), *(np.full(len(ch[0]), ch[2].to_datetime64()) for ch in changes)]
    )
    order = np.lexsort((hist_date, hist_member))
    tier_history = pd.DataFrame(
        {
            "member_id": ids[hist_member[order]],
            "date": hist_date[order],
            "tier": np.asarray(TIERS)[hist_tier[order]],
        }
    )

    # --- the log: purchases from `start` on, and refunds ------------------------------
    in_log = date >= start_ts.to_datetime64()
    tx = pd.DataFrame(
        {
            "member_id": ids[owner],
            "date": date,
            "amount": amount,
            "channel": np.where(online, "online", "store"),
            "store": store,
            "points_earned": earned,
            "points_redeemed": redeemed,
            "_member": owner,
            "_t": t_days,
        }
    )[in_log]
    tx = tx.sort_values(["date", "_member", "_t"], kind="mergesort")
    tx = tx.drop(columns=["_member", "_t"])
    tx.insert(0, "order_id", [f"T{i:07d}" for i in range(1, len(tx) + 1)])
    refunded = rng.random(len(tx)) < REFUND_RATE
    ref = tx[refunded].copy()
    ref["date"] = ref["date"] + pd.to_timedelta(rng.integers(0, 31, size=len(ref)), unit="D")
    ref = ref[ref["date"] <= end_ts]
    ref["order_id"] = ref["order_id"] + "-R"
    ref["amount"] = -ref["amount"]
    ref["points_earned"] = -ref["points_earned"]
    ref["points_redeemed"] = 0
    transactions = pd.concat([tx, ref], ignore_index=True)
    transactions = transactions.sort_values(["date", "order_id"], kind="mergesort")
    transactions = transactions.reset_index(drop=True)

    members = pd.DataFrame(
        {
            "member_id": ids,
            "join_date": join,
            "tier": tier,
            "age": age,
            "gender": gender,
            "surveyed": surveyed,
        }
    )

    # --- truth ------------------------------------------------------------------------
    alpha_i = alpha / m
    weeks = age_days / 7.0
    pre_weeks = np.maximum((start_ts - join).days.to_numpy(), 0) / 7.0
    exp_repeat = _bgnbd_expected_purchases(weeks, r, alpha_i, a, b)
    exp_log = exp_repeat - _bgnbd_expected_purchases(pre_weeks, r, alpha_i, a, b) + (~legacy) * 1.0
    new = ~legacy
    old_enough = age_days >= 7 * INACTIVE_WEEKS
    p_quiet = _bgnbd_prob_no_purchase(
        weeks[old_enough] - INACTIVE_WEEKS, INACTIVE_WEEKS, r, alpha_i[old_enough], a, b
    )
    p_no_repeat = (alpha_i / (alpha_i + weeks)) ** r
    purchases = transactions[transactions["amount"] > 0]
    moves = pd.concat(review_log, ignore_index=True)
    truth = jsonable(
        {
            "description": (
                "Simulated loyalty-programme transactions. Each member makes a first purchase "
                "on the join date; repeat purchases follow the BG/NBD model with a tier "
                "multiplier on the purchase rate (and, for surveyed members, a Gaussian-copula "
                "link to their survey loyalty score); spend per purchase follows the "
                "Gamma-Gamma model with a tier multiplier."
            ),
            "generator": "workbench.simulate.simulate_transactions",
            "seed": seed,
            "survey": "the survey passed in (default: simulate_loyalty_survey(), n=800, "
            "seed 2026); member_id = str(respondent_id) for its respondents",
            "n_members": n,
            "n_surveyed": n_survey,
            "start": start_ts.date().isoformat(),
            "end": end_ts.date().isoformat(),
            "members": {
                "join_dates": f"{LEGACY_SHARE:.0%} 'legacy' members joined uniformly in the "
                f"{LEGACY_YEARS} years before start (their purchases before start are "
                "simulated but not in the log); the others uniformly on a day from start to end",
                "legacy_share": LEGACY_SHARE,
                "tier": "current tier (the survey's for surveyed members; otherwise drawn with "
                "the survey's tier probabilities); it drives the purchase rate and spend for "
                "the whole period",
                "tier_probabilities": dict(zip(TIERS, TIER_PROBS, strict=True)),
                "age_gender": "the survey's for surveyed members; otherwise drawn like the "
                "survey's (age round(clip(N(41, 13), 18, 80)))",
            },
            "bgnbd": {**BGNBD_PARAMS, "time_unit": "week"},
            "bgnbd_note": "lambda ~ Gamma(shape r, rate alpha) per week for a basic member; "
            "p ~ Beta(a, b); after each repeat purchase a member becomes inactive with "
            "probability p. The first purchase (time 0) is on the join date.",
            "tier_rate_multiplier": TIER_RATE_MULTIPLIER,
            "bgnbd_by_tier": {
                t: {"r": r, "alpha": round(alpha / mt, 6), "a": a, "b": b}
                for t, mt in TIER_RATE_MULTIPLIER.items()
            },
            "mean_purchase_rate_per_week": {
                t: round(r * mt / alpha, 6) for t, mt in TIER_RATE_MULTIPLIER.items()
            },
            "mean_dropout_probability": round(a / (a + b), 6),
            "gamma_gamma": GAMMA_GAMMA_PARAMS,
            "gamma_gamma_note": "amount ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate "
            "gamma * s_tier); rounded to cents (at least 0.01); spend is independent of the "
            "purchase process",
            "tier_spend_multiplier": TIER_SPEND_MULTIPLIER,
            "gamma_gamma_by_tier": {
                t: {"p": gg_p, "q": gg_q, "gamma": round(gg_gamma * st, 6)}
                for t, st in TIER_SPEND_MULTIPLIER.items()
            },
            "mean_spend_per_purchase": {
                t: round(gg_p * gg_gamma * st / (gg_q - 1), 6)
                for t, st in TIER_SPEND_MULTIPLIER.items()
            },
            "loyalty_link": {
                "items": list(LOYALTY_ITEMS),
                "construct": "loyalty (repurchase intention) of loyalty_survey.csv",
                "score": "mean of the answered RI1-RI3 (99 and out-of-range treated as "
                "missing); normal scores z = Phi^-1((rank - 0.5) / n_tier) within tier, ties "
                "broken at random; a "
                "respondent with no answered item gets a random z",
                "copula_correlation": rho,
                "equation": "lambda_i = m_tier * G^-1(Phi(rho z_i + sqrt(1 - rho^2) e_i)), "
                "G = Gamma(r, alpha), e_i ~ N(0, 1)",
                "spearman_loyalty_rate_within_tier": round(6 / math.pi * math.asin(rho / 2), 6),
                "sign": "positive",
                "note": "the observed scale score (not the latent loyalty) drives the rate, so "
                "the link a study sees in the survey scores is not attenuated by measurement "
                "error; dropout and spend do not depend on loyalty",
            },
            "channel": {
                "online_share_by_survey_channel": CHANNEL_ONLINE_SHARE,
                "online_share_others": "Beta(2, 2) per member",
                "store": f"store purchases are at the member's home store (one of S01..S{N_STORES:02d}) "
                "with probability 0.8, otherwise at a random store",
            },
            "points": {
                "earned": f"floor(amount * {POINTS_PER_UNIT})",
                "redeemed": f"when the points a member earned before a purchase complete a new "
                f"block of {REDEEM_BLOCK}, the member redeems the new block(s) at that purchase "
                f"with probability {REDEEM_PROB}; otherwise 0",
            },
            "refunds": {
                "rate": REFUND_RATE,
                "rule": "each purchase in the log is refunded in full with this probability, "
                "0-30 days later (dropped if after end); the refund row has order_id = original "
                "+ '-R', amount and points_earned negated, points_redeemed 0",
            },
            "tier_reviews": {
                **TIER_REVIEW,
                "dates": [d.date().isoformat() for d in reviews],
                "rule": "generated backwards from the current tier: at each 1 January review "
                "after joining, z = standardized log(1 + spend in the preceding 12 months) "
                "among the members reviewed; P(the member was upgraded into the tier held "
                "after the review) = logistic(intercept + slope z) (0 for basic), P(downgraded "
                "into it) = logistic(intercept - slope z) (0 for platinum). tier_history holds "
                "the tier at joining and each change.",
                "realised": {
                    "upgrades": int((moves["move"] < 0).sum()),
                    "downgrades": int((moves["move"] > 0).sum()),
                    "mean_z_before_upgrade": round(
                        float(moves.loc[moves["move"] < 0, "z"].mean()), 4
                    ),
                    "mean_z_before_downgrade": round(
                        float(moves.loc[moves["move"] > 0, "z"].mean()), 4
                    ),
                },
            },
            "expected": {
                "note": "BG/NBD expectations given the realised join dates and tiers "
                "(E[X(t)] and P(X(t) = 0) of Fader, Hardie & Lee 2005). Purchase counts per "
                "member are overdispersed (gamma-mixed rates), so estimate their sampling "
                "error from the data. Purchases exclude refund rows; purchases_in_log counts "
                "the first purchase of members who joined in the period.",
                "purchases_in_log": round(float(exp_log.sum()), 2),
                "purchases_in_log_by_tier": {
                    t: round(float(exp_log[tier == t].sum()), 2) for t in TIERS
                },
                "repeat_purchase_share_new_members": round(float((1 - p_no_repeat[new]).mean()), 6),
                "repeat_purchase_share_note": "share of members who joined in the period with "
                "at least one repeat purchase by end: mean of 1 - (alpha_t / (alpha_t + T))^r",
                f"share_no_purchase_last_{INACTIVE_WEEKS}_weeks": round(float(p_quiet.mean()), 6),
                "share_no_purchase_note": f"among members who joined at least "
                f"{7 * INACTIVE_WEEKS} days before the end of `end`: no purchase dated in the "
                f"last {7 * INACTIVE_WEEKS} days; P = 1 - E[exp(-lambda p t) - "
                "exp(-lambda (p t + tau))]",
                "mean_spend_per_purchase": round(
                    sum(
                        exp_log[tier == t].sum() * gg_p * gg_gamma * st / (gg_q - 1)
                        for t, st in TIER_SPEND_MULTIPLIER.items()
                    )
                    / exp_log.sum(),
                    4,
                ),
            },
            "realised": {
                "purchases": len(purchases),
                "refunds": int((transactions["amount"] < 0).sum()),
                "rows": len(transactions),
                "revenue_gross": round(float(purchases["amount"].sum()), 2),
                "members_with_purchase_in_log": int(purchases["member_id"].nunique()),
                "tier_history_rows": len(tier_history),
            },
        }
    )
    return SimulatedTransactions(
        transactions=transactions,
        members=members,
        tier_history=tier_history,
        truth=truth,
        seed=seed,
    )


def write_default_transactions(folder: str | Path, *, seed: int = 2026) -> dict[str, Path]:
    """Write the default simulated transactions, members, tier history and truth.

    The members are the default survey's respondents (:func:`simulate_loyalty_survey`
    with its defaults) plus non-surveyed members, 5000 in all.

    Parameters
    ----------
    folder : str or Path
        Target folder (created if needed); files of the same names are replaced.
    seed : int, default 2026
        Passed to :func:`simulate_transactions`.

    Returns
    -------
    dict
        ``{"transactions": path, "members": path, "tier_history": path, "truth": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sim = simulate_transactions(seed=seed)
    paths = {key: folder / name for key, name in TRANSACTION_FILES.items()}
    csv = {"index": False, "encoding": "utf-8", "lineterminator": "\n", "date_format": "%Y-%m-%d"}
    sim.transactions.to_csv(paths["transactions"], float_format="%.2f", **csv)
    sim.members.to_csv(paths["members"], **csv)
    sim.tier_history.to_csv(paths["tier_history"], **csv)
    paths["truth"].write_text(
        json.dumps(sim.truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
    return paths
