"""The simulated member-loyalty survey, its codebook and ground truth.

Part of :mod:`workbench.simulate` (see its docstring for what each generator draws).
"""

from __future__ import annotations

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


def _add_endogenous(
    eta: dict[str, np.ndarray],
    tier_z: np.ndarray,
    residual: dict[str, float],
    d_var: float,
    rng: np.random.Generator,
) -> None:
    """Add the endogenous constructs of :data:`PATHS` to ``eta`` (in place), in path order.

    ``d_var`` centres the squared channel difference in loyalty (its variance under the
    exogenous distribution the caller drew from).
    """
    n = len(tier_z)
    for outcome, preds in PATHS.items():
        value = sum(b * eta[p] for p, b in preds.items())
        if outcome == "loyalty":
            diff = eta["online_experience"] - eta["offline_experience"]
            value = value - CONSISTENCY_PENALTY * (diff**2 - d_var)
            value = value + TIER_MAIN_EFFECT * tier_z
            value = value + TIER_TRUST_INTERACTION * eta["trust"] * tier_z
        eta[outcome] = value + math.sqrt(residual[outcome]) * rng.standard_normal(n)


def _answers(eta: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The 7-point items (codebook order) and the 0-10 recommendation from the latent scores:
    ``x* = l * eta + sqrt(1 - l^2) * e`` cut at each item's thresholds (whole numbers)."""
    n = len(eta["trust"])
    out: dict[str, np.ndarray] = {}
    for construct, code, loading, shift, _ in _item_table():
        xstar = loading * eta[construct] + math.sqrt(1 - loading**2) * rng.standard_normal(n)
        out[code] = _discretise(xstar, _thresholds(shift), SCALE_MIN)
    rec_tau = stats.norm.ppf(_RECOMMEND_CUMULATIVE)
    rec_star = RECOMMEND_LOADING * eta["recommend"] + math.sqrt(
        1 - RECOMMEND_LOADING**2
    ) * rng.standard_normal(n)
    out[RECOMMEND_COLUMN] = _discretise(rec_star, rec_tau, 0)
    return out


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
    _add_endogenous(eta, tier_z, residual, _difference_variance(phi), rng)

    # Items.
    columns: dict[str, Any] = {
        "respondent_id": np.arange(1, n + 1),
        "tier": np.asarray(TIERS)[tier_code],
        "channel": channel,
        "age": age,
        "gender": gender,
    }
    answers = _answers(eta, rng)
    columns.update({col: values.astype(float) for col, values in answers.items()})
    answered = list(answers)

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
