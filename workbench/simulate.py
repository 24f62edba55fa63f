"""Seeded generator of a member-loyalty survey with a documented ground truth.

:func:`simulate_loyalty_survey` draws latent construct scores from a known
structural model (the four experience realms -> memory -> satisfaction ->
loyalty, with trust, perceived value, belonging, online and offline channel
experience and member tier), turns them into 7-point Likert items with known
loadings and thresholds, a 0-10 recommendation item, one reverse-worded item,
a little MCAR missing data and a 'no answer' code 99. The result carries the
data, a codebook in the workbench's YAML format and the ground truth, so that
studies can be checked against the values they should recover.

:func:`simulate_transactions` generates a loyalty programme's records for the
same members (``member_id`` = the survey's ``respondent_id``) plus non-surveyed
ones: BG/NBD purchases and Gamma-Gamma spend with tier effects, a link from
survey loyalty to purchase rate, channels, points, refunds and a tier history,
again with the generating parameters as ground truth.

:func:`write_default_dataset` writes the shipped default data set
(``data/loyalty_survey.csv``, its codebook and its truth);
``python -m workbench.simulate`` regenerates it, and
``python -m workbench.simulate --transactions`` regenerates the transaction files
(:func:`write_default_transactions`).

:func:`simulate_programme` adds a loyalty initiative launched on a known date
for the members of half the stores, with known effects on purchase rate, spend
and NPS (quarterly waves), for the programme-evaluation study;
``python -m workbench.simulate --programme`` writes its default files
(:func:`write_default_programme`).

Written files are rounded so that they read the same on any machine: truths to 6 decimals
(4 for thresholds, item moments and probabilities, 2 for NPS), amounts to cents, answers and
counts as whole numbers. A value that falls on a rounding boundary can still move by one unit
in its last written place under another BLAS or library version; the tests compare the
committed files with a fresh write by that rule (``tests/generated_files.py``), never byte for
byte.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from workbench.results import jsonable

__all__ = [
    "DEFAULT_FILES",
    "PROGRAMME_FILES",
    "TRANSACTION_FILES",
    "SimulatedProgramme",
    "SimulatedSurvey",
    "SimulatedTransactions",
    "main",
    "simulate_loyalty_survey",
    "simulate_programme",
    "simulate_transactions",
    "write_default_dataset",
    "write_default_programme",
    "write_default_transactions",
]

#: File names written by :func:`write_default_dataset`.
DEFAULT_FILES = {
    "data": "loyalty_survey.csv",
    "codebook": "loyalty_survey.codebook.yaml",
    "truth": "loyalty_survey.truth.json",
}

SCALE_MIN, SCALE_MAX = 1, 7
NO_ANSWER_CODE = 99
NO_ANSWER_ITEM = "WP3"
NO_ANSWER_SHARE = 0.015

# ---------------------------------------------------------------------------
# Measurement model: construct -> label, source, items {code: (loading, threshold
# shift)}. A negative loading makes a reverse-worded item.
# ---------------------------------------------------------------------------
_CONSTRUCTS: dict[str, dict[str, Any]] = {
    "education": {
        "label": "Education / 教育体验",
        "source": "Oh, Fiore & Jeoung (2007), educational realm",
        "items": {
            "ED1": (0.78, 0.0),
            "ED2": (0.82, 0.1),
            "ED3": (0.74, -0.1),
            "ED4": (0.80, 0.2),
        },
    },
    "entertainment": {
        "label": "Entertainment / 娱乐体验",
        "source": "Oh, Fiore & Jeoung (2007), entertainment realm",
        "items": {
            "EN1": (0.80, -0.1),
            "EN2": (0.76, 0.1),
            "EN3": (0.84, 0.0),
            "EN4": (0.72, -0.2),
        },
    },
    "esthetics": {
        "label": "Esthetics / 审美体验",
        "source": "Oh, Fiore & Jeoung (2007), esthetic realm",
        "items": {
            "AE1": (0.76, 0.0),
            "AE2": (0.82, -0.2),
            "AE3": (0.78, 0.1),
            "AE4": (0.84, -0.1),
        },
    },
    "escapism": {
        "label": "Escapism / 逃避现实体验",
        "source": "Oh, Fiore & Jeoung (2007), escapist realm",
        "items": {
            "EC1": (0.74, 0.3),
            "EC2": (0.82, 0.2),
            "EC3": (0.80, 0.3),
            "EC4": (0.76, 0.1),
        },
    },
    "memory": {
        "label": "Memory / 记忆",
        "source": "Oh, Fiore & Jeoung (2007), memory",
        "items": {
            "ME1": (0.84, -0.1),
            "ME2": (0.80, 0.0),
            "ME3": (0.76, 0.1),
        },
    },
    "satisfaction": {
        "label": "Satisfaction / 满意度",
        "source": "Oliver (1980); Oh, Fiore & Jeoung (2007)",
        "items": {
            "SA1": (0.86, -0.2),
            "SA2": (0.80, 0.0),
            "SA3": (0.78, 0.1),
        },
    },
    "trust": {
        "label": "Trust / 信任",
        "source": "Morgan & Hunt (1994); Chaudhuri & Holbrook (2001)",
        "items": {
            "TR1": (0.82, 0.0),
            "TR2": (0.80, 0.1),
            "TR3": (-0.65, 0.0),
            "TR4": (0.78, -0.1),
        },
    },
    "value": {
        "label": "Perceived value / 感知价值",
        "source": "Zeithaml (1988); Sweeney & Soutar (2001)",
        "items": {
            "PV1": (0.82, 0.1),
            "PV2": (0.80, 0.0),
            "PV3": (0.76, 0.2),
        },
    },
    "belonging": {
        "label": "Belonging / 归属感",
        "source": "McAlexander, Schouten & Koenig (2002); Algesheimer et al. (2005)",
        "items": {
            "BE1": (0.80, 0.2),
            "BE2": (0.76, 0.3),
            "BE3": (0.82, 0.4),
        },
    },
    "loyalty": {
        "label": "Loyalty: repurchase intention / 忠诚度：再购意向",
        "source": "Zeithaml, Berry & Parasuraman (1996), repurchase intentions",
        "items": {
            "RI1": (0.84, -0.1),
            "RI2": (0.80, 0.0),
            "RI3": (0.78, 0.1),
        },
    },
    "willingness_to_pay": {
        "label": "Willingness to pay more / 溢价支付意愿",
        "source": "Zeithaml, Berry & Parasuraman (1996), willingness to pay more",
        "items": {
            "WP1": (0.80, 0.4),
            "WP2": (0.78, 0.3),
            "WP3": (0.82, 0.2),
        },
    },
    "online_experience": {
        "label": "Online channel experience / 线上渠道体验",
        "source": "channel service experience, after Verhoef et al. (2009)",
        "items": {
            "ON1": (0.80, -0.1),
            "ON2": (0.78, 0.0),
            "ON3": (0.82, 0.1),
        },
    },
    "offline_experience": {
        "label": "Offline channel experience / 线下渠道体验",
        "source": "channel service experience, after Verhoef et al. (2009)",
        "items": {
            "OF1": (0.78, -0.1),
            "OF2": (0.80, 0.0),
            "OF3": (0.82, 0.1),
        },
    },
}

#: Item wording, English / Chinese (paraphrases of the scales named in each construct's source).
_ITEM_LABELS: dict[str, str] = {
    "ED1": "The experience has made me more knowledgeable / 这次体验让我增长了知识",
    "ED2": "I learned a lot from the brand's events and workshops / 我从该品牌的活动和工作坊中学到了很多",
    "ED3": "It stimulated my curiosity to learn new things / 它激发了我学习新事物的好奇心",
    "ED4": "It was a real learning experience / 这是一次真正的学习经历",
    "EN1": "The brand's shows and activities were amusing / 该品牌的表演和活动很有趣",
    "EN2": "Watching the brand's events was captivating / 观看该品牌的活动很吸引人",
    "EN3": "I really enjoyed the entertainment the brand offered / 我非常喜欢该品牌提供的娱乐内容",
    "EN4": "The activities were fun to watch / 这些活动看起来很有意思",
    "AE1": "I felt a real sense of harmony in the brand's spaces / 我在该品牌的空间里感到一种和谐感",
    "AE2": "Just being there was very pleasant / 仅仅待在那里就让人很愉快",
    "AE3": "The setting paid close attention to design detail / 环境在设计细节上非常用心",
    "AE4": "The setting was very attractive / 环境非常有吸引力",
    "EC1": "I felt I played a different character there / 我觉得自己在那里扮演了另一个角色",
    "EC2": "I felt like I was living in a different time or place / 我感觉自己仿佛置身于另一个时空",
    "EC3": "The experience let me imagine being someone else / 这次体验让我想象自己成为另一个人",
    "EC4": "I completely escaped from my daily routine / 我完全摆脱了日常生活",
    "ME1": "I will have wonderful memories of my experiences with the brand / 我会对与该品牌的体验留下美好的回忆",
    "ME2": "I will remember many positive things about them / 我会记住其中许多美好的事情",
    "ME3": "I won't forget my experiences with the brand / 我不会忘记与该品牌的这些经历",
    "SA1": "Overall, I am satisfied with the brand / 总体而言，我对该品牌感到满意",
    "SA2": "The brand meets my expectations / 该品牌达到了我的期望",
    "SA3": "Choosing this brand was a wise decision / 选择该品牌是一个明智的决定",
    "TR1": "I trust the brand to keep its promises / 我相信该品牌会信守承诺",
    "TR2": "The brand is honest with its members / 该品牌对会员是诚实的",
    "TR3": "I sometimes doubt that the brand has my interests at heart / 我有时怀疑该品牌是否真正为我着想",
    "TR4": "The brand is reliable / 该品牌是可靠的",
    "PV1": "The brand offers good value for money / 该品牌物有所值",
    "PV2": "What I get is worth what I pay / 我得到的与我付出的相比是值得的",
    "PV3": "The membership benefits are worth their cost / 会员权益值得其付出的成本",
    "BE1": "I feel a sense of belonging to the brand's member community / 我对该品牌的会员社区有归属感",
    "BE2": "I feel connected to other members / 我觉得自己与其他会员有联系",
    "BE3": "Being a member is part of who I am / 成为会员是我身份的一部分",
    "RI1": "I intend to keep buying from this brand / 我打算继续购买该品牌的产品",
    "RI2": "This brand will be my first choice next time / 下次购买时该品牌将是我的首选",
    "RI3": "I will renew my membership / 我会续订会员资格",
    "WP1": "I am willing to pay a higher price than other brands charge / 我愿意支付比其他品牌更高的价格",
    "WP2": "I would keep buying from the brand if its prices rose somewhat / 即使价格有所上涨，我也会继续购买该品牌",
    "WP3": "The brand is worth a premium price / 该品牌值得溢价",
    "ON1": "The brand's app and website are easy to use / 该品牌的应用程序和网站易于使用",
    "ON2": "Shopping with the brand online is enjoyable / 在网上购买该品牌的产品很愉快",
    "ON3": "The brand's online service meets my needs / 该品牌的线上服务满足了我的需求",
    "OF1": "The brand's stores are easy to find my way around / 该品牌的门店方便选购",
    "OF2": "Shopping in the brand's stores is enjoyable / 在该品牌门店购物很愉快",
    "OF3": "The in-store service meets my needs / 门店服务满足了我的需求",
}

RECOMMEND_COLUMN = "recommend"
RECOMMEND_LABEL = (
    "How likely are you to recommend the brand to a friend or colleague? "
    "(0 = not at all likely, 10 = extremely likely) / "
    "您向朋友或同事推荐该品牌的可能性有多大？（0 = 完全不可能，10 = 极有可能）"
)
RECOMMEND_LOADING = 0.90
# Population cumulative shares P(score <= k), k = 0..9, of the 0-10 item.
_RECOMMEND_CUMULATIVE = (0.02, 0.04, 0.06, 0.09, 0.13, 0.19, 0.28, 0.42, 0.62, 0.80)

# 7-point thresholds on the standard-normal response scale; each item shifts
# them by its own offset (positive = harder to agree with).
BASE_THRESHOLDS = (-2.0, -1.45, -0.9, -0.3, 0.4, 1.2)

TIERS = ("basic", "silver", "gold", "platinum")
TIER_PROBS = (0.4, 0.3, 0.2, 0.1)  # tier code 0..3 has mean 1 and variance 1
CHANNELS = ("online", "offline", "both")
CHANNEL_PROBS = (0.35, 0.25, 0.40)
GENDERS = ("female", "male", "other")
GENDER_PROBS = (0.52, 0.46, 0.02)

COVARIATE_LABELS = {
    "tier": "Member tier (basic, silver, gold, platinum) / 会员等级（普通、银卡、金卡、白金）",
    "channel": "Main purchase channel (online, offline, both) / 主要购买渠道（线上、线下、两者）",
    "age": "Age in years / 年龄（岁）",
    "gender": "Gender (female, male, other) / 性别（女、男、其他）",
}

# ---------------------------------------------------------------------------
# Structural model (standardized; every latent variable has variance 1).
# ---------------------------------------------------------------------------
EXOGENOUS = (
    "education",
    "entertainment",
    "esthetics",
    "escapism",
    "value",
    "trust",
    "belonging",
    "online_experience",
    "offline_experience",
)
_REALMS = EXOGENOUS[:4]


def _exogenous_correlations() -> np.ndarray:
    k = len(EXOGENOUS)
    phi = np.eye(k)
    idx = {name: i for i, name in enumerate(EXOGENOUS)}

    def put(a: str, b: str, r: float) -> None:
        phi[idx[a], idx[b]] = phi[idx[b], idx[a]] = r

    for i, a in enumerate(EXOGENOUS):
        for b in EXOGENOUS[i + 1 :]:
            put(a, b, 0.25)
    for i, a in enumerate(_REALMS):
        for b in _REALMS[i + 1 :]:
            put(a, b, 0.40)
    put("value", "trust", 0.45)
    put("value", "belonging", 0.30)
    put("trust", "belonging", 0.40)
    put("online_experience", "offline_experience", 0.50)
    for realm in _REALMS:
        put(realm, "online_experience", 0.20)
        put(realm, "offline_experience", 0.20)
    return phi


#: Linear standardized paths: outcome -> {predictor: coefficient}.
PATHS: dict[str, dict[str, float]] = {
    "memory": {"education": 0.15, "entertainment": 0.20, "esthetics": 0.35, "escapism": 0.20},
    "satisfaction": {"memory": 0.40, "value": 0.35},
    "loyalty": {
        "satisfaction": 0.35,
        "trust": 0.25,
        "value": 0.15,
        "belonging": 0.05,
        "online_experience": 0.10,
        "offline_experience": 0.10,
    },
    "willingness_to_pay": {"belonging": 0.35, "trust": 0.25, "satisfaction": 0.15},
    "recommend": {"satisfaction": 0.45, "belonging": 0.20, "trust": 0.10},
}
ENDOGENOUS = tuple(PATHS)
TIER_MAIN_EFFECT = 0.10  # loyalty ~ tier_z, tier_z = tier code (0..3) - 1, sd 1
TIER_TRUST_INTERACTION = 0.10  # loyalty ~ trust x tier_z
CONSISTENCY_PENALTY = 0.10  # loyalty ~ -c * ((online - offline)^2 - 1)


@dataclasses.dataclass(frozen=True)
class SimulatedSurvey:
    """A simulated survey: the data, its codebook and the ground truth.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per respondent: ``respondent_id``, covariates (``tier``,
        ``channel``, ``age``, ``gender``), the 7-point items (nullable
        integers; missing answers are ``<NA>``, 'no answer' is 99) and the
        0-10 ``recommend`` item.
    codebook : dict
        The codebook in the workbench's YAML format (``title``, ``id``,
        ``scale``, ``missing_codes``, ``constructs``, ``reverse_coded``,
        ``labels``).
    truth : dict
        The generating model: paths, loadings, thresholds, the reversed item,
        the missing-data mechanism and population values (JSON-ready).
    seed : int
        The seed that produced this survey.
    """

    data: pd.DataFrame
    codebook: dict[str, Any]
    truth: dict[str, Any]
    seed: int


def _difference_variance(phi: np.ndarray) -> float:
    """Variance of online_experience - offline_experience."""
    r = phi[EXOGENOUS.index("online_experience"), EXOGENOUS.index("offline_experience")]
    return float(2.0 - 2.0 * r)


def _implied_covariance(phi: np.ndarray) -> tuple[list[str], np.ndarray, dict[str, float]]:
    """Covariance of all latent variables implied by :data:`PATHS`.

    Residual variances are chosen so that every latent variable has variance 1.
    The non-linear terms of loyalty (trust x tier, squared channel difference)
    are uncorrelated with every Gaussian latent variable, so they only add to
    loyalty's own variance.
    """
    names = list(EXOGENOUS)
    cov = phi.copy()
    residual: dict[str, float] = {}
    for outcome, preds in PATHS.items():
        idx = [names.index(p) for p in preds]
        b = np.array(list(preds.values()))
        s = cov[np.ix_(idx, idx)]
        explained = float(b @ s @ b)
        if outcome == "loyalty":
            # tier_z has variance 1 and is independent of the latents;
            # var(trust * tier_z) = 1; var((on - off)^2 - 1) = 2 var(on - off)^2.
            d_var = _difference_variance(phi)
            explained += TIER_MAIN_EFFECT**2 + TIER_TRUST_INTERACTION**2
            explained += CONSISTENCY_PENALTY**2 * 2.0 * d_var**2
        psi = 1.0 - explained
        if psi <= 0:  # pragma: no cover - guards edits to the constants
            raise ValueError(f"paths into {outcome!r} explain more than all its variance")
        residual[outcome] = psi
        cross = b @ cov[idx, :]
        cov = np.block([[cov, cross[:, None]], [cross[None, :], np.ones((1, 1))]])
        names.append(outcome)
    return names, cov, residual


def _thresholds(shift: float) -> list[float]:
    return [round(t + shift, 4) for t in BASE_THRESHOLDS]


def _category_probabilities(thresholds: Sequence[float]) -> np.ndarray:
    cdf = np.concatenate([[0.0], stats.norm.cdf(thresholds), [1.0]])
    return np.diff(cdf)


def _discretise(xstar: np.ndarray, thresholds: Sequence[float], low: int) -> np.ndarray:
    return low + np.searchsorted(np.asarray(thresholds), xstar, side="left")


def _item_table() -> list[tuple[str, str, float, float, str]]:
    rows = []
    for construct, spec in _CONSTRUCTS.items():
        for code, (loading, shift) in spec["items"].items():
            rows.append((construct, code, loading, shift, _ITEM_LABELS[code]))
    return rows


def _build_codebook(title: str) -> dict[str, Any]:
    labels = {code: label for _, code, _, _, label in _item_table()}
    labels[RECOMMEND_COLUMN] = RECOMMEND_LABEL
    labels.update(COVARIATE_LABELS)
    return {
        "title": title,
        "id": "respondent_id",
        "scale": {"min": SCALE_MIN, "max": SCALE_MAX},
        "missing_codes": [NO_ANSWER_CODE],
        "constructs": {
            name: {"items": list(spec["items"]), "label": spec["label"]}
            for name, spec in _CONSTRUCTS.items()
        },
        "reverse_coded": [code for _, code, loading, _, _ in _item_table() if loading < 0],
        "labels": labels,
    }


def _build_truth(
    *, n: int, seed: int, missing_rate: float, realised: dict[str, Any]
) -> dict[str, Any]:
    phi = _exogenous_correlations()
    names, cov, residual = _implied_covariance(phi)
    latent_corr = pd.DataFrame(cov, index=names, columns=names).round(6)
    r2 = {k: round(1.0 - v, 6) for k, v in residual.items()}

    loadings = {}
    thresholds = {}
    item_construct = {}
    population = {}
    for construct, code, loading, shift, _ in _item_table():
        tau = _thresholds(shift)
        probs = _category_probabilities(tau)
        cats = np.arange(SCALE_MIN, SCALE_MAX + 1)
        # A reverse-worded item keeps the same thresholds on its own (reversed) scale.
        mean = float(probs @ cats)
        sd = float(math.sqrt(probs @ (cats - mean) ** 2))
        loadings[code] = loading
        thresholds[code] = tau
        item_construct[code] = construct
        population[code] = {
            "mean": round(mean, 4),
            "sd": round(sd, 4),
            "category_probabilities": [round(float(p), 4) for p in probs],
        }

    rec_tau = [round(float(t), 4) for t in stats.norm.ppf(_RECOMMEND_CUMULATIVE)]
    rec_probs = _category_probabilities(rec_tau)
    detractors = float(rec_probs[:7].sum())
    promoters = float(rec_probs[9:].sum())

    p = PATHS
    indirect = {
        "value->satisfaction->loyalty": p["satisfaction"]["value"] * p["loyalty"]["satisfaction"],
        "memory->satisfaction->loyalty": p["satisfaction"]["memory"] * p["loyalty"]["satisfaction"],
    }
    for realm in _REALMS:
        a = p["memory"][realm]
        indirect[f"{realm}->memory->satisfaction"] = a * p["satisfaction"]["memory"]
        indirect[f"{realm}->memory->satisfaction->loyalty"] = (
            a * p["satisfaction"]["memory"] * p["loyalty"]["satisfaction"]
        )
    total_value_loyalty = p["loyalty"]["value"] + indirect["value->satisfaction->loyalty"]

    c = CONSISTENCY_PENALTY
    m_on = p["loyalty"]["online_experience"]
    m_off = p["loyalty"]["offline_experience"]
    return jsonable(
        {
            "description": (
                "Simulated member-loyalty survey. Latent scores are drawn from a standardized "
                "recursive structural model (every latent variable has population variance 1); "
                "each 7-point item is x* = loading * latent + sqrt(1 - loading^2) * e, "
                "e ~ N(0, 1), cut at the item's thresholds into 1..7 "
                "(response k when thresholds[k-2] < x* <= thresholds[k-1]). "
                "The 0-10 recommend item is cut the same way from its own latent variable."
            ),
            "generator": "workbench.simulate.simulate_loyalty_survey",
            "seed": seed,
            "n": n,
            "missing_rate": missing_rate,
            "latent_variables": names,
            "exogenous_correlations": pd.DataFrame(phi, index=EXOGENOUS, columns=EXOGENOUS),
            "paths": {out: {pred: b for pred, b in preds.items()} for out, preds in PATHS.items()},
            "residual_variances": {k: round(v, 6) for k, v in residual.items()},
            "r2": r2,
            "latent_correlations": latent_corr,
            "moderation": {
                "outcome": "loyalty",
                "focal": "trust",
                "moderator": "tier",
                "tier_coding": {t: i - 1 for i, t in enumerate(TIERS)},
                "tier_probabilities": dict(zip(TIERS, TIER_PROBS, strict=True)),
                "tier_main_effect": TIER_MAIN_EFFECT,
                "interaction": TIER_TRUST_INTERACTION,
                "trust_slope_by_tier": {
                    t: round(p["loyalty"]["trust"] + TIER_TRUST_INTERACTION * (i - 1), 6)
                    for i, t in enumerate(TIERS)
                },
                "note": "tier_z = tier code (basic 0 .. platinum 3) - 1 has mean 0 and sd 1 and "
                "is independent of the latent variables.",
            },
            "mediation": {
                "x": "value",
                "m": "satisfaction",
                "y": "loyalty",
                "a": p["satisfaction"]["value"],
                "b": p["loyalty"]["satisfaction"],
                "c_prime": p["loyalty"]["value"],
                "indirect": round(indirect["value->satisfaction->loyalty"], 6),
                "total": round(total_value_loyalty, 6),
            },
            "indirect_effects": {k: round(v, 6) for k, v in indirect.items()},
            "channel_consistency": {
                "outcome": "loyalty",
                "equation": (
                    "loyalty += 0.10 * online + 0.10 * offline "
                    "- 0.10 * ((online - offline)^2 - E[(online - offline)^2])"
                ),
                "penalty": c,
                "response_surface": {
                    "b1_online": m_on,
                    "b2_offline": m_off,
                    "b3_online_sq": -c,
                    "b4_online_x_offline": 2 * c,
                    "b5_offline_sq": -c,
                    "a1": m_on + m_off,
                    "a2": 0.0,
                    "a3": m_on - m_off,
                    "a4": -4 * c,
                },
                "note": "Loyalty is highest when the online and offline experience agree "
                "(a4 < 0: a concave surface along the line of incongruence).",
            },
            "construct_sources": {name: spec["source"] for name, spec in _CONSTRUCTS.items()},
            "loadings": loadings,
            "thresholds": thresholds,
            "item_construct": item_construct,
            "reverse_coded": {
                "items": [k for k, v in loadings.items() if v < 0],
                "note": "generated with a negative loading; score as 8 - x "
                "(scale min + max - x) to align it with its construct",
            },
            "recommend": {
                "column": RECOMMEND_COLUMN,
                "range": [0, 10],
                "loading": RECOMMEND_LOADING,
                "thresholds": rec_tau,
                "category_probabilities": [round(float(v), 4) for v in rec_probs],
                "population_nps": round(100 * (promoters - detractors), 2),
                "note": "recommend* = 0.9 * recommend_latent + sqrt(1 - 0.81) * e; "
                "NPS = % scoring 9-10 minus % scoring 0-6",
            },
            "population_item_moments": population,
            "covariates": {
                "tier": dict(zip(TIERS, TIER_PROBS, strict=True)),
                "channel": dict(zip(CHANNELS, CHANNEL_PROBS, strict=True)),
                "gender": dict(zip(GENDERS, GENDER_PROBS, strict=True)),
                "age": "round(clip(N(41, 13), 18, 80))",
                "note": "channel, age and gender are independent of every latent variable: "
                "any effect a study finds for them is sampling noise. Tier enters loyalty only.",
            },
            "missing": {
                "mechanism": "MCAR",
                "rate": missing_rate,
                "applies_to": "every 7-point item and recommend, each cell independently; "
                "covariates and respondent_id are complete",
                "stored_as": "empty cell",
                "no_answer_code": NO_ANSWER_CODE,
                "no_answer_item": NO_ANSWER_ITEM,
                "no_answer_share": NO_ANSWER_SHARE,
                "no_answer_note": f"max(1, round({NO_ANSWER_SHARE} * n)) answered cells of "
                f"{NO_ANSWER_ITEM}, chosen at random, are replaced by {NO_ANSWER_CODE}",
                **realised,
            },
            "recovery_expectations": {
                "scale_mean_correlations": "same sign as latent_correlations and nearly the "
                "same order (attenuated by measurement error, so smaller in size)",
                "loyalty_regression_order": "regressing the loyalty scale mean on the "
                "satisfaction, trust, value and belonging scale means ranks the standardized "
                "coefficients satisfaction > trust > value > belonging",
            },
        }
    )


def simulate_loyalty_survey(
    n: int = 800, *, seed: int = 2026, missing_rate: float = 0.01
) -> SimulatedSurvey:
    """Simulate a member-loyalty survey from a known structural model.

    Parameters
    ----------
    n : int, default 800
        Number of respondents.
    seed : int, default 2026
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same
        survey.
    missing_rate : float, default 0.01
        Probability that any single item answer (7-point items and
        ``recommend``) is missing completely at random, in ``[0, 0.5)``.

    Returns
    -------
    SimulatedSurvey
        ``data``, ``codebook``, ``truth`` and the ``seed`` used.

    Notes
    -----
    All latent variables are standard normal. The exogenous constructs (the
    four realms, perceived value, trust, belonging, online and offline channel
    experience) are correlated (``truth["exogenous_correlations"]``); the
    endogenous ones follow the standardized paths in :data:`PATHS`::

        memory       = .15 education + .20 entertainment + .35 esthetics + .20 escapism + z
        satisfaction = .40 memory + .35 value + z
        loyalty      = .35 satisfaction + .25 trust + .15 value + .05 belonging
                       + .10 online + .10 offline - .10 ((online - offline)^2 - 1)
                       + .10 tier_z + .10 trust * tier_z + z
        willingness_to_pay = .35 belonging + .25 trust + .15 satisfaction + z
        recommend    = .45 satisfaction + .20 belonging + .10 trust + z

    with residual variances that make each variance 1. Item responses are
    ``x* = l * eta + sqrt(1 - l^2) * e`` cut at fixed thresholds into 1..7
    (the 0-10 recommendation item into 0..10), so the polychoric correlation of
    two items is ``l_i * l_j * corr(eta_i, eta_j)``. ``TR3`` is reverse-worded
    (negative loading). Answers are then deleted completely at random with
    probability ``missing_rate`` and a few answers of ``WP3`` are replaced by
    the 'no answer' code 99.

    References
    ----------
    Oh, H., Fiore, A. M., & Jeoung, M. (2007). Measuring experience economy
    concepts: Tourism applications. *Journal of Travel Research*, 46(2), 119-132.

    Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1996). The behavioral
    consequences of service quality. *Journal of Marketing*, 60(2), 31-46.

    Edwards, J. R., & Parry, M. E. (1993). On the use of polynomial regression
    equations as an alternative to difference scores in organizational
    research. *Academy of Management Journal*, 36(6), 1577-1613.

    Examples
    --------
    >>> from workbench.simulate import simulate_loyalty_survey
    >>> survey = simulate_loyalty_survey(50, seed=1)
    >>> survey.data.shape
    (50, 50)
    >>> survey.codebook["reverse_coded"]
    ['TR3']
    >>> survey.truth["paths"]["satisfaction"]
    {'memory': 0.4, 'value': 0.35}
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if not 0.0 <= float(missing_rate) < 0.5:
        raise ValueError(f"missing_rate must be in [0, 0.5), got {missing_rate!r}")
    n = int(n)
    seed = int(seed)
    missing_rate = float(missing_rate)
    rng = np.random.default_rng(seed)

    # Covariates.
    tier_code = rng.choice(len(TIERS), size=n, p=TIER_PROBS)
    tier_z = tier_code - 1.0
    channel = np.asarray(CHANNELS)[rng.choice(len(CHANNELS), size=n, p=CHANNEL_PROBS)]
    gender = np.asarray(GENDERS)[rng.choice(len(GENDERS), size=n, p=GENDER_PROBS)]
    age = np.clip(np.round(rng.normal(41.0, 13.0, size=n)), 18, 80).astype(int)

    # Latent scores.
    phi = _exogenous_correlations()
    _, _, residual = _implied_covariance(phi)
    exo = rng.multivariate_normal(np.zeros(len(EXOGENOUS)), phi, size=n, method="cholesky")
    eta: dict[str, np.ndarray] = {name: exo[:, i] for i, name in enumerate(EXOGENOUS)}
    for outcome, preds in PATHS.items():
        value = sum(b * eta[p] for p, b in preds.items())
        if outcome == "loyalty":
            diff = eta["online_experience"] - eta["offline_experience"]
            d_var = _difference_variance(phi)
            value = value - CONSISTENCY_PENALTY * (diff**2 - d_var)
            value = value + TIER_MAIN_EFFECT * tier_z
            value = value + TIER_TRUST_INTERACTION * eta["trust"] * tier_z
        eta[outcome] = value + math.sqrt(residual[outcome]) * rng.standard_normal(n)

    # Items.
    columns: dict[str, Any] = {
        "respondent_id": np.arange(1, n + 1),
        "tier": np.asarray(TIERS)[tier_code],
        "channel": channel,
        "age": age,
        "gender": gender,
    }
    items: list[str] = []
    for construct, code, loading, shift, _ in _item_table():
        xstar = loading * eta[construct] + math.sqrt(1 - loading**2) * rng.standard_normal(n)
        columns[code] = _discretise(xstar, _thresholds(shift), SCALE_MIN).astype(float)
        items.append(code)
    rec_tau = stats.norm.ppf(_RECOMMEND_CUMULATIVE)
    rec_star = RECOMMEND_LOADING * eta["recommend"] + math.sqrt(
        1 - RECOMMEND_LOADING**2
    ) * rng.standard_normal(n)
    columns[RECOMMEND_COLUMN] = _discretise(rec_star, rec_tau, 0).astype(float)
    answered = [*items, RECOMMEND_COLUMN]

    # Missing data: MCAR cells, then 'no answer' codes in one item.
    mask = rng.random((n, len(answered))) < missing_rate
    for j, col in enumerate(answered):
        columns[col][mask[:, j]] = np.nan
    candidates = np.flatnonzero(~np.isnan(columns[NO_ANSWER_ITEM]))
    k = min(len(candidates), max(1, round(NO_ANSWER_SHARE * n)))
    no_answer_rows = np.sort(rng.choice(candidates, size=k, replace=False))
    columns[NO_ANSWER_ITEM][no_answer_rows] = NO_ANSWER_CODE

    data = pd.DataFrame(columns)
    for col in answered:
        data[col] = data[col].astype("Int64")

    realised = {
        "missing_cells": int(mask.sum()),
        "item_cells": int(mask.size),
        "observed_missing_rate": round(float(mask.mean()), 6),
        "no_answer_count": int(k),
    }
    codebook = _build_codebook("Member loyalty survey 2026 (simulated)")
    truth = _build_truth(n=n, seed=seed, missing_rate=missing_rate, realised=realised)
    return SimulatedSurvey(data=data, codebook=codebook, truth=truth, seed=seed)


class _FlowMap(dict):
    """A mapping written in YAML flow style (``{min: 1, max: 7}``)."""


class _CodebookDumper(yaml.SafeDumper):
    """Block mappings, flow lists: the layout people write codebooks in."""


_CodebookDumper.add_representer(
    list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_CodebookDumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)


def _codebook_yaml(codebook: dict[str, Any]) -> str:
    doc = dict(codebook)
    if "scale" in doc:
        doc["scale"] = _FlowMap(doc["scale"])
    return yaml.dump(
        doc,
        Dumper=_CodebookDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1000,
    )


def write_default_dataset(
    folder: str | Path, *, n: int = 800, seed: int = 2026, missing_rate: float = 0.01
) -> dict[str, Path]:
    """Write the default simulated survey, its codebook and its truth.

    Parameters
    ----------
    folder : str or Path
        Target folder (created if needed). Existing files of the same names
        are replaced.
    n, seed, missing_rate
        Passed to :func:`simulate_loyalty_survey`; the shipped data set uses
        the defaults (800 respondents, seed 2026, 1% missing).

    Returns
    -------
    dict
        ``{"data": path, "codebook": path, "truth": path}``.

    Examples
    --------
    >>> import tempfile
    >>> from workbench.simulate import write_default_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_default_dataset(tmp, n=20)
    ...     sorted(p.name for p in paths.values())
    ['loyalty_survey.codebook.yaml', 'loyalty_survey.csv', 'loyalty_survey.truth.json']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    survey = simulate_loyalty_survey(n, seed=seed, missing_rate=missing_rate)
    paths = {key: folder / name for key, name in DEFAULT_FILES.items()}

    survey.data.to_csv(paths["data"], index=False, encoding="utf-8", lineterminator="\n")

    header = (
        f"# Codebook of {DEFAULT_FILES['data']}: generated by `python -m workbench.simulate`\n"
        f"# (n={n}, seed={seed}, missing_rate={missing_rate}); do not edit by hand.\n"
        f"# The ground truth is in {DEFAULT_FILES['truth']}. The 0-10 item `recommend` is\n"
        "# a plain outcome column (outside the 1-7 scale), not part of any construct.\n"
    )
    text = _codebook_yaml(survey.codebook)
    paths["codebook"].write_text(header + text, encoding="utf-8", newline="\n")

    paths["truth"].write_text(
        json.dumps(survey.truth, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
        newline="\n",
    )
    return paths


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


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the default data set (``python -m workbench.simulate``).

    With ``--transactions`` it writes the default transaction files instead
    (:func:`write_default_transactions`, using ``--seed``; ``--n`` and
    ``--missing-rate`` do not apply: the members are the default survey's), and
    with ``--programme`` the default programme-evaluation files
    (:func:`write_default_programme`, likewise).
    """
    parser = argparse.ArgumentParser(
        prog="python -m workbench.simulate",
        description="Write the simulated member-loyalty survey, its codebook and ground truth "
        "(or, with --transactions, the simulated programme transactions, members, tier "
        "history and their ground truth).",
    )
    parser.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parent.parent / "data"),
        help="folder to write into (default: the repository's data/ folder)",
    )
    parser.add_argument("--n", type=int, default=800, help="respondents (default 800)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument(
        "--missing-rate", type=float, default=0.01, help="MCAR rate per item cell (default 0.01)"
    )
    parser.add_argument(
        "--transactions",
        action="store_true",
        help="write the transaction files (loyalty_transactions.csv, loyalty_members.csv, "
        "loyalty_tier_history.csv, loyalty_transactions.truth.json) instead of the survey",
    )
    parser.add_argument(
        "--programme",
        action="store_true",
        help="write the programme-evaluation files (programme_transactions.csv, "
        "programme_members.csv, programme_nps.csv, programme.truth.json) instead of the survey",
    )
    args = parser.parse_args(argv)
    if args.transactions and args.programme:
        parser.error("--transactions and --programme are exclusive")
    if args.programme:
        paths = write_default_programme(args.out, seed=args.seed)
        for path in paths.values():
            print(f"wrote {path}")
        return 0
    if args.transactions:
        paths = write_default_transactions(args.out, seed=args.seed)
        for path in paths.values():
            print(f"wrote {path}")
        return 0
    paths = write_default_dataset(
        args.out, n=args.n, seed=args.seed, missing_rate=args.missing_rate
    )
    for path in paths.values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
