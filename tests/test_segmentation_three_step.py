"""Tests of workbench.segmentation.three_step: BCH and ML three-step models.

Reference: StepMix 3.0.0 on the same step-1 posteriors (tests/reference/stepmix_three_step.py
writes the posteriors and StepMix's step-3 estimates).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.segmentation.three_step import (
    bch_weights,
    classification_error_matrix,
    distal_outcome_means,
    segment_covariate_model,
)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def stepmix_case():
    frame = pd.read_csv(REF / "stepmix_three_step.csv")
    ref = json.loads((REF / "stepmix_three_step.json").read_text())
    return frame[["p1", "p2", "p3"]].to_numpy(), frame, ref


def test_the_error_matrix_rows_are_assignment_probabilities_and_bch_weights_undo_them(
    stepmix_case,
):
    post, _, _ = stepmix_case
    d = classification_error_matrix(post)
    np.testing.assert_allclose(d.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(np.diag(d) > 0.5)
    w = bch_weights(post)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-10)
    # expected weights given the true segment: E[w | X = s] = D[s] @ D^-1 = e_s
    np.testing.assert_allclose((post.T @ w) / post.sum(axis=0)[:, None], np.eye(3), atol=1e-10)


def test_bch_distal_means_equal_stepmix(stepmix_case):
    post, frame, ref = stepmix_case
    res = distal_outcome_means(post, frame["y"], correction="BCH")
    np.testing.assert_allclose(res.table["mean"], ref["distal_BCH"], atol=1e-9)
    assert res.wald_df == 2 and res.wald_p < 1e-10  # true means 0, 1, 2


def test_ml_distal_means_equal_stepmix_with_its_fixed_shares_and_move_when_shares_are_free(
    stepmix_case,
):
    post, frame, ref = stepmix_case
    fixed = distal_outcome_means(post, frame["y"], correction="ML", fix_shares=True)
    # StepMix's EM ran to 1e-14; ours to 1e-10 relative: agreement to 1e-5
    np.testing.assert_allclose(fixed.table["mean"], ref["distal_ML"], atol=1e-5)
    free = distal_outcome_means(post, frame["y"], correction="ML")
    # Vermunt's (2010) step 3 estimates the shares too: a different (and our default) model
    assert np.max(np.abs(free.table["mean"].to_numpy() - ref["distal_ML"])) > 1e-3
    assert np.all(free.table["se"] > 0) and np.all(np.isfinite(free.table["se"]))


@pytest.mark.parametrize("correction", ["BCH", "ML"])
def test_covariate_coefficients_equal_stepmix_against_the_first_segment(stepmix_case, correction):
    post, frame, ref = stepmix_case
    fit = segment_covariate_model(post, frame[["z1", "z2"]], correction=correction)
    assert fit.converged and fit.gradient_norm < 1e-4
    est = fit.coefficients["estimate"]
    for seg, key in ((2, "class2_vs_1"), (3, "class3_vs_1")):
        ours = [est.loc[(seg, term)] for term in ref[f"covariate_{correction}"]["terms"]]
        # BCH: both optimise the same concave objective to convergence; ML: StepMix's
        # Newton steps inside its EM stop at its tolerance
        tol = 1e-6 if correction == "BCH" else 1e-4
        np.testing.assert_allclose(ours, ref[f"covariate_{correction}"][key], atol=tol)


def test_bch_recovers_planted_membership_effects_that_the_naive_model_attenuates():
    # posteriors of a mixture with known classification error: each member's true segment
    # gets posterior 0.7 (noisy) and is the modal one 70% of the time; covariate x drives
    # membership with log-odds 1.0 (segment 2 vs 1) and -1.0 (segment 3 vs 1)
    rng = np.random.default_rng(11)
    n = 6000
    x = rng.normal(size=n)
    eta = np.column_stack([np.zeros(n), 1.0 * x, -1.0 * x])
    prob = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    true = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    confusion = np.full((3, 3), 0.15) + np.eye(3) * 0.55  # P(assigned | true), rows sum to 1
    assigned = (rng.random(n)[:, None] > np.cumsum(confusion[true], axis=1)).sum(axis=1)
    # posterior of the true segment given the assignment (Bayes with equal-ish shares)
    post = confusion[:, assigned].T * np.bincount(true, minlength=3) / n
    post /= post.sum(axis=1, keepdims=True)
    covs = pd.DataFrame({"x": x})
    bch = segment_covariate_model(post, covs, correction="BCH").coefficients
    naive = segment_covariate_model(post, covs, correction="none").coefficients
    for seg, truth in ((2, 1.0), (3, -1.0)):
        row = bch.loc[(seg, "x")]
        assert row["ci_low"] < truth < row["ci_high"], (seg, row)
        assert abs(naive.loc[(seg, "x"), "estimate"]) < 0.6 * abs(truth)  # attenuated


def test_categorical_covariates_become_dummies_against_their_first_level(stepmix_case):
    post, frame, _ = stepmix_case
    covs = pd.DataFrame({"tier": np.where(frame["z1"] > 0, "gold", "basic")})
    fit = segment_covariate_model(post, covs, correction="BCH")
    assert fit.reference_levels == {"tier": "basic"}
    assert ("2", "tier[gold]") not in fit.coefficients.index
    assert (2, "tier[gold]") in fit.coefficients.index


def test_bad_inputs_are_refused_naming_what_to_do(stepmix_case):
    post, frame, _ = stepmix_case
    with pytest.raises(InputError, match="sum to 1"):
        classification_error_matrix(post * 2)
    with pytest.raises(InputError, match="constant"):
        segment_covariate_model(post, pd.DataFrame({"c": np.ones(len(post))}))
    with pytest.raises(InputError, match="reference segment 4"):
        segment_covariate_model(post, frame[["z1"]], reference=4)
    with pytest.raises(InputError, match="Unknown correction"):
        distal_outcome_means(post, frame["y"], correction="bch")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="cannot be told apart"):
        bch_weights(np.tile([0.5, 0.5], (10, 1)))
    y = frame["y"].copy()
    y.iloc[:5] = np.nan
    res = distal_outcome_means(post, y.rename("spend"))
    assert res.outcome == "spend" and "5 member(s) without a value of spend" in res.warnings[0]
