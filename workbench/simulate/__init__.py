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

:func:`simulate_points_programme` draws a points programme (earning by tier earn rates,
redemption of rewards, FIFO expiry, churn, and a goal-gradient effect of known size on the
time between purchases) with its exact ultimate redemption rate and breakage as the truth;
``python -m workbench.simulate --points`` writes its default files
(:func:`write_default_points`).

:func:`~workbench.simulate.segments.simulate_segmented_survey` draws the same survey from
four planted member segments (documented truth, each respondent's segment included), for
the segmentation study's recovery tests; ``python -m workbench.simulate --segments`` writes
``data/segments_survey.csv`` (:func:`write_default_segmented_survey`).

Written files are rounded so that they read the same on any machine: truths to 6 decimals
(4 for thresholds, item moments and probabilities, 2 for NPS), amounts to cents, answers and
counts as whole numbers. A value that falls on a rounding boundary can still move by one unit
in its last written place under another BLAS or library version; the tests compare the
committed files with a fresh write by that rule (``tests/generated_files.py``), never byte for
byte.
"""

from __future__ import annotations

from workbench.simulate.command import main
from workbench.simulate.points import (
    POINTS_FILES,
    SimulatedPoints,
    simulate_points_programme,
    write_default_points,
)
from workbench.simulate.programme import (
    PROGRAMME_FILES,
    PROGRAMME_TREATED_STORES,
    SimulatedProgramme,
    simulate_programme,
    write_default_programme,
)
from workbench.simulate.segments import (
    SEGMENT_FILES,
    SEGMENT_PLAN,
    simulate_segmented_survey,
    write_default_segmented_survey,
)
from workbench.simulate.survey import (
    DEFAULT_FILES,
    PATHS,
    TIERS,
    SimulatedSurvey,
    simulate_loyalty_survey,
    write_default_dataset,
)
from workbench.simulate.transactions import (
    TRANSACTION_FILES,
    SimulatedTransactions,
    simulate_transactions,
    write_default_transactions,
)

__all__ = [
    "DEFAULT_FILES",
    "PATHS",
    "POINTS_FILES",
    "PROGRAMME_FILES",
    "PROGRAMME_TREATED_STORES",
    "SEGMENT_FILES",
    "SEGMENT_PLAN",
    "TIERS",
    "TRANSACTION_FILES",
    "SimulatedPoints",
    "SimulatedProgramme",
    "SimulatedSurvey",
    "SimulatedTransactions",
    "main",
    "simulate_loyalty_survey",
    "simulate_points_programme",
    "simulate_programme",
    "simulate_segmented_survey",
    "simulate_transactions",
    "write_default_dataset",
    "write_default_points",
    "write_default_programme",
    "write_default_segmented_survey",
    "write_default_transactions",
]
