"""The member-loyalty survey with a planted segment structure, for recovery tests.

:func:`simulate_segmented_survey` draws the same survey as
:func:`~workbench.simulate.simulate_loyalty_survey` (the same constructs,
items, loadings, thresholds, structural paths and codebook), except that every
respondent first belongs to one of four segments (:data:`SEGMENT_PLAN`), which
shifts the means of four exogenous constructs (trust, perceived value,
belonging, esthetics) and sets the respondent's tier probabilities. Within a
segment the exogenous constructs keep the survey's correlations with standard
deviation :data:`WITHIN_SD`; the endogenous constructs (memory, satisfaction,
loyalty, willingness to pay, recommendation) follow the survey's paths, so
their segment means are implied (the truth lists them). The truth records each
respondent's segment (``truth["segments"]["membership"]``, in row order), so a
segmentation of the data can be scored against it with the adjusted Rand
index.

The segment means are centred: the share-weighted mean of every planted shift
is zero, so the population means of the constructs stay at zero as in the
survey. ``python -m workbench.simulate --segments`` writes the default files
(:func:`write_default_segmented_survey`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.simulate.survey import (
    CHANNEL_PROBS,
    CHANNELS,
    EXOGENOUS,
    GENDER_PROBS,
    GENDERS,
    PATHS,
    TIERS,
    SimulatedSurvey,
    _add_endogenous,
    _answers,
    _build_codebook,
    _codebook_yaml,
    _difference_variance,
    _exogenous_correlations,
    _implied_covariance,
)
from workbench.simulate.transactions import simulate_transactions

__all__ = [
    "SEGMENT_FILES",
    "SEGMENT_PLAN",
    "WITHIN_SD",
    "simulate_segmented_survey",
    "write_default_segmented_survey",
]

SEGMENT_FILES = {
    "data": "segments_survey.csv",
    "codebook": "segments_survey.codebook.yaml",
    "truth": "segments_survey.truth.json",
    "transactions": "segments_transactions.csv",
}
#: the members' transactions: simulate_transactions(survey, n_members=n, seed=seed), so every
#: member is a respondent and their purchase rate follows their survey loyalty
TRANSACTIONS_NOTE = (
    "segments_transactions.csv: workbench.simulate.simulate_transactions(survey data, "
    "n_members=n, seed=seed): BG/NBD purchases and Gamma-Gamma spend with the tier effects of "
    "loyalty_transactions.truth.json and the Gaussian-copula link from each respondent's "
    "survey loyalty score to the purchase rate; member_id = respondent_id"
)


@dataclasses.dataclass(frozen=True)
class _Segment:
    name: str
    share: float
    shifts: dict[str, float]  # latent SD units, before centring
    tier_probabilities: tuple[float, float, float, float]


#: The planted segments: name, population share, mean shifts of exogenous constructs (latent
#: standard-deviation units, before centring) and tier probabilities (basic .. platinum).
SEGMENT_PLAN = (
    _Segment(
        "devoted",
        0.25,
        {"trust": 1.8, "value": 1.35, "belonging": 1.95, "esthetics": 1.2},
        (0.15, 0.25, 0.35, 0.25),
    ),
    _Segment(
        "content but detached",
        0.30,
        {"trust": 0.9, "value": 1.05, "belonging": -1.5, "esthetics": 0.6},
        (0.35, 0.35, 0.20, 0.10),
    ),
    _Segment(
        "sceptical",
        0.20,
        {"trust": -1.95, "value": -1.2, "belonging": -0.75, "esthetics": -0.45},
        (0.55, 0.30, 0.10, 0.05),
    ),
    _Segment(
        "indifferent",
        0.25,
        {"trust": -0.45, "value": -1.05, "belonging": 0.15, "esthetics": -1.5},
        (0.50, 0.30, 0.15, 0.05),
    ),
)

#: Standard deviation of every exogenous construct within a segment.
WITHIN_SD = 0.4

_SHIFTED = ("trust", "value", "belonging", "esthetics")


def _centred_means() -> np.ndarray:
    """Segments x EXOGENOUS matrix of mean shifts, share-weighted mean zero per construct."""
    raw = np.array([[seg.shifts.get(c, 0.0) for c in EXOGENOUS] for seg in SEGMENT_PLAN])
    shares = np.array([seg.share for seg in SEGMENT_PLAN])
    return raw - shares @ raw


def _implied_segment_means(means: np.ndarray) -> dict[str, dict[str, float]]:
    """Each segment's mean of every latent construct (exogenous and implied endogenous)."""
    out: dict[str, dict[str, float]] = {}
    tier_z = np.array([seg.tier_probabilities for seg in SEGMENT_PLAN]) @ np.arange(4) - 1.0
    for s, seg in enumerate(SEGMENT_PLAN):
        eta = dict(zip(EXOGENOUS, means[s], strict=True))
        for outcome, preds in PATHS.items():
            value = sum(b * eta[p] for p, b in preds.items())
            if outcome == "loyalty":
                # the tier main effect adds 0.10 x the segment's mean tier_z; the trust x tier
                # term adds 0.10 x E[trust tier_z] = 0.10 x mean(trust) x mean(tier_z) (the tier
                # is drawn independently of the latent scores within a segment); the channel
                # term has mean zero within a segment as in the survey.
                value += 0.10 * tier_z[s] + 0.10 * eta["trust"] * tier_z[s]
            eta[outcome] = value
        out[seg.name] = {k: round(float(v), 6) for k, v in eta.items()}
    return out


def simulate_segmented_survey(n: int = 1000, *, seed: int = 2026) -> SimulatedSurvey:
    """Simulate the loyalty survey with four planted member segments.

    Parameters
    ----------
    n : int, default 1000
        Number of respondents.
    seed : int, default 2026
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    SimulatedSurvey
        ``data`` (the survey's columns; no missing answers), ``codebook`` (the
        survey's), ``truth`` (``segments``: names, shares, centred means per
        construct, within-segment SD, tier probabilities, realised sizes and
        ``membership``, each respondent's segment index in row order).

    Notes
    -----
    Respondent *i* in segment *s* has exogenous scores
    :math:`\\xi_i = \\mu_s + 0.4\\, L z_i` with :math:`LL^\\top` the survey's
    exogenous correlation matrix and :math:`z_i` standard normal; the
    endogenous constructs follow :data:`~workbench.simulate.survey.PATHS` with
    the survey's residual variances, and items are cut from
    :math:`x^* = \\lambda \\eta + \\sqrt{1-\\lambda^2}\\,e` at the survey's
    thresholds. The segments differ on the four shifted constructs (and, through
    the paths, on memory and satisfaction), so a segmentation on trust, value,
    belonging, satisfaction and memory scores can find them; item noise and the
    within-segment spread make recovery imperfect, which is the point of the
    test.

    Examples
    --------
    >>> from workbench.simulate.segments import simulate_segmented_survey
    >>> s = simulate_segmented_survey(200, seed=1)
    >>> s.data.shape, len(s.truth["segments"]["membership"])
    ((200, 50), 200)
    >>> s.truth["segments"]["names"]
    ['devoted', 'content but detached', 'sceptical', 'indifferent']
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n, seed = int(n), int(seed)
    rng = np.random.default_rng(seed)
    shares = np.array([seg.share for seg in SEGMENT_PLAN])
    segment = rng.choice(len(SEGMENT_PLAN), size=n, p=shares)
    tier_code = np.empty(n, dtype=int)
    for s, seg in enumerate(SEGMENT_PLAN):
        rows = np.flatnonzero(segment == s)
        tier_code[rows] = rng.choice(len(TIERS), size=len(rows), p=seg.tier_probabilities)
    tier_z = tier_code - 1.0
    channel = np.asarray(CHANNELS)[rng.choice(len(CHANNELS), size=n, p=CHANNEL_PROBS)]
    gender = np.asarray(GENDERS)[rng.choice(len(GENDERS), size=n, p=GENDER_PROBS)]
    age = np.clip(np.round(rng.normal(41.0, 13.0, size=n)), 18, 80).astype(int)

    phi = _exogenous_correlations()
    _, _, residual = _implied_covariance(phi)
    means = _centred_means()
    spread = rng.multivariate_normal(
        np.zeros(len(EXOGENOUS)), WITHIN_SD**2 * phi, size=n, method="cholesky"
    )
    exo = means[segment] + spread
    eta: dict[str, np.ndarray] = {name: exo[:, i] for i, name in enumerate(EXOGENOUS)}
    _add_endogenous(eta, tier_z, residual, WITHIN_SD**2 * _difference_variance(phi), rng)
    columns: dict[str, Any] = {
        "respondent_id": np.arange(1, n + 1),
        "tier": np.asarray(TIERS)[tier_code],
        "channel": channel,
        "age": age,
        "gender": gender,
    }
    columns.update(_answers(eta, rng))
    data = pd.DataFrame(columns)

    codebook = _build_codebook("Member loyalty survey with planted segments (simulated)")
    codebook["missing_codes"] = []
    sizes = np.bincount(segment, minlength=len(SEGMENT_PLAN))
    truth = {
        "description": "The member-loyalty survey (same items, loadings, thresholds and paths "
        "as loyalty_survey.truth.json) drawn from four planted segments that shift the means of "
        "trust, value, belonging and esthetics and set the tier probabilities; no missing "
        "answers.",
        "generator": "workbench.simulate.simulate_segmented_survey",
        "n": n,
        "seed": seed,
        "segments": {
            "names": [seg.name for seg in SEGMENT_PLAN],
            "shares": [seg.share for seg in SEGMENT_PLAN],
            "within_sd": WITHIN_SD,
            "shifted_constructs": list(_SHIFTED),
            "centring": "each construct's shifts minus their share-weighted mean",
            "latent_means": _implied_segment_means(means),
            "latent_means_note": "exogenous: the centred shifts; endogenous: implied by the "
            "paths (loyalty includes 0.10 x the segment's mean tier_z and 0.10 x mean trust x "
            "mean tier_z)",
            "tier_probabilities": {
                seg.name: dict(zip(TIERS, seg.tier_probabilities, strict=True))
                for seg in SEGMENT_PLAN
            },
            "realised_sizes": {seg.name: int(sizes[s]) for s, seg in enumerate(SEGMENT_PLAN)},
            "membership": [int(s) for s in segment],
        },
    }
    return SimulatedSurvey(data=data, codebook=codebook, truth=truth, seed=seed)


def write_default_segmented_survey(
    folder: str | Path, *, n: int = 1000, seed: int = 2026
) -> dict[str, Path]:
    """Write ``segments_survey.csv``, its codebook, its truth and the members' transactions.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_default_segmented_survey(tmp, n=30)
    ...     sorted(p.name for p in paths.values())  # doctest: +NORMALIZE_WHITESPACE
    ['segments_survey.codebook.yaml', 'segments_survey.csv', 'segments_survey.truth.json',
     'segments_transactions.csv']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    survey = simulate_segmented_survey(n, seed=seed)
    paths = {key: folder / name for key, name in SEGMENT_FILES.items()}
    survey.data.to_csv(paths["data"], index=False, encoding="utf-8", lineterminator="\n")
    header = (
        f"# Codebook of {SEGMENT_FILES['data']}: generated by `python -m workbench.simulate "
        f"--segments`\n# (n={n}, seed={seed}); do not edit by hand. The planted segments and "
        f"each respondent's\n# segment are in {SEGMENT_FILES['truth']}.\n"
    )
    paths["codebook"].write_text(
        header + _codebook_yaml(survey.codebook), encoding="utf-8", newline="\n"
    )
    truth = {**survey.truth, "transactions": TRANSACTIONS_NOTE}
    paths["truth"].write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
        newline="\n",
    )
    tx = simulate_transactions(survey.data, n_members=n, seed=seed)
    tx.transactions.to_csv(
        paths["transactions"],
        index=False,
        encoding="utf-8",
        lineterminator="\n",
        date_format="%Y-%m-%d",
        float_format="%.2f",
    )
    return paths
