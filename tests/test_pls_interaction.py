"""workbench.pls.interaction: moderation with two-stage, orthogonalized and product indicators.

References (R seminr's own test fixtures, https://github.com/sem-in-r/seminr/tree/master/tests/
fixtures; numbers only, GPL-3):

* ``V_3_6_0/interaction_fsquare.csv`` (``tests/testthat/test-plsc-fsquared.R``, "SEMinR
  correctly evaluates fSquared for interaction model"): f² of every path of the extended
  corporate-reputation model with switching costs (SC) moderating CUSA -> CUSL, two-stage
  interaction term, Mode B drivers, mean replacement of -99. f² re-estimates the whole two-stage
  procedure without each path, so these 13 values check both stages, the R² of the full and of
  13 reduced models. seminr's tolerance: relative 1e-5.
* ``V_3_6_0/plsc-interaction-paths.csv`` and ``plsc-interaction-reliability.csv``
  (``tests/testthat/test-consistent-interactions.R``): PLSc with an orthogonalized interaction
  term on mobi. The paths and R² are printed rounded to 3 decimals (tolerance: half a unit of
  the 3rd decimal); the reliabilities in full (relative 1e-5). Not reproduced: that file's rho_C
  (0.779196) and AVE (0.440631) of the interaction construct itself; here they come from the
  interaction items' correlations with its score (0.747, 0.398), the way every other composite's
  are (and seminr's alpha 0.711404 and rho_A 1 of that construct are matched).

Everything else is tested by its defining property.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import CORP_REP_ANTECEDENTS

from workbench.errors import InputError
from workbench.pls import (
    InteractionProcedure,
    estimate_interaction,
    estimate_pls,
    specify_interaction_model,
    specify_model,
    standardize,
)

SEMINR_TOL = 1e-5

CORP_REP_MODERATED = (
    CORP_REP_ANTECEDENTS
    + """SC   =~ switch_1 + switch_2 + switch_3 + switch_4
CUSL =~ cusl_1 + cusl_2 + cusl_3
COMP + LIKE ~ QUAL + PERF + CSOR + ATTR
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA + SC + CUSA:SC
"""
)
MOBI_MODERATED = """
Image        =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation  =~ CUEX1 + CUEX2 + CUEX3
Value        =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value + Image:Expectation
"""


def relative_gaps(got: dict, want: dict, tol: float = SEMINR_TOL) -> list[str]:
    return [f"{k}: {got[k]!r} vs {v!r}" for k, v in want.items() if abs(got[k] - v) > tol * abs(v)]


@pytest.fixture(scope="module")
def moderated(mobi):
    return estimate_interaction(mobi, MOBI_MODERATED)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    """n = 600 with y = 0.4 x + 0.2 m + 0.3 x m + e, two items each for x and m (seed 15)."""
    rng = np.random.default_rng(15)
    n = 600
    x, m = rng.normal(size=n), rng.normal(size=n)
    y = 0.4 * x + 0.2 * m + 0.3 * x * m + rng.normal(scale=0.7, size=n)
    noise = lambda: rng.normal(scale=0.5, size=n)  # noqa: E731
    return pd.DataFrame(
        {"x1": x + noise(), "x2": x + noise(), "m1": m + noise(), "m2": m + noise(),
         "y1": y + noise(), "y2": y + noise()}
    )  # fmt: skip


SIMULATED = "X =~ x1 + x2; M =~ m1 + m2; Y =~ y1 + y2; Y ~ X + M + X:M"


# ============================================================================ references


def test_two_stage_f_squared_of_every_path_matches_seminr_interaction_fixture(corp_rep_survey):
    """interaction_fsquare.csv: 13 f² values, and NA for the main effects CUSA, SC -> CUSL."""
    fit = estimate_interaction(corp_rep_survey.frame, CORP_REP_MODERATED, missing="mean")
    f2 = fit.f_squared()["f2"].to_dict()
    want = {
        "QUAL->COMP": 0.14417825990824, "QUAL->LIKE": 0.0937302468115985,
        "PERF->COMP": 0.0761055663674846, "PERF->LIKE": 0.0107854044174165,
        "CSOR->COMP": 0.00502951815746949, "CSOR->LIKE": 0.0343886819147259,
        "ATTR->COMP": 0.00944253601467137, "ATTR->LIKE": 0.0297273171631113,
        "COMP->CUSA": 0.0177467125713071, "COMP->CUSL": 0.000479678999539211,
        "LIKE->CUSA": 0.158968611195122, "LIKE->CUSL": 0.105033178042182,
        "CUSA:SC->CUSL": 0.0142853429481137,
    }  # fmt: skip
    assert not relative_gaps(f2, want)
    assert math.isnan(f2["CUSA->CUSL"]) and math.isnan(f2["SC->CUSL"])
    assert fit.result.n == 344 and fit.result.data.replaced == {
        "cusa": 1, "cusl_1": 3, "cusl_2": 4, "cusl_3": 3,
    }  # fmt: skip


def test_orthogonal_plsc_paths_and_reliability_match_seminr_consistent_interaction_fixture(mobi):
    """plsc-interaction-paths.csv (3 decimals) and plsc-interaction-reliability.csv."""
    model = """
    Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    Expectation =~ CUEX3
    Value =~ PERV1 + PERV2
    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Satisfaction ~ Image + Expectation + Value + Image:Expectation
    """
    fit = estimate_interaction(mobi, model, interaction_method="orthogonal", estimator="plsc")
    printed = {
        "r2": 0.889, "adj_r2": 0.888, "Image": 0.737, "Expectation": 0.042, "Value": 0.247,
        "Image:Expectation": -0.137,
    }  # fmt: skip
    got = fit.paths.set_index("source")["estimate"].to_dict() | fit.r2.loc["Satisfaction"].to_dict()
    assert all(abs(got[k] - v) <= 0.0005 for k, v in printed.items()), got
    reliability = fit.result.reliability()
    want = {
        ("Image", "alpha"): 0.722834595427083, ("Image", "rho_c"): 0.727144468310549,
        ("Image", "ave"): 0.354977797487875, ("Image", "rho_a"): 0.745311533816804,
        ("Value", "alpha"): 0.823631979352573, ("Value", "rho_c"): 0.835583850529617,
        ("Value", "ave"): 0.720468175631135, ("Value", "rho_a"): 0.857495343869267,
        ("Satisfaction", "alpha"): 0.779195021918597, ("Satisfaction", "rho_c"): 0.77916534893827,
        ("Satisfaction", "ave"): 0.541895003066141, ("Satisfaction", "rho_a"): 0.785065531561592,
        ("Image:Expectation", "alpha"): 0.711404014337454, ("Image:Expectation", "rho_a"): 1.0,
    }  # fmt: skip
    got_rel = {key: float(reliability.loc[key]) for key in want}
    assert not relative_gaps(got_rel, want)
    assert (reliability.loc["Expectation"] == 1.0).all()


# ============================================================================ two-stage


def test_two_stage_interaction_item_is_the_product_of_stage_one_scores(moderated):
    stage1 = moderated.first_stage.scores
    product = (stage1["Image"] * stage1["Expectation"]).to_numpy()
    item = moderated.result.data.frame["Image:Expectation_intxn"].to_numpy()
    np.testing.assert_allclose(item, product, rtol=0, atol=1e-12)
    # stage 1 is the model without the interaction term, estimated as plain PLS
    alone = estimate_pls(moderated.result.data.frame, moderated.specification.base)
    np.testing.assert_allclose(stage1.to_numpy(), alone.scores.to_numpy(), atol=1e-12)


def test_two_stage_interaction_path_equals_ols_on_the_standardized_stage_two_scores(moderated):
    scores = moderated.result.scores
    predictors = ["Image", "Expectation", "Value", "Image:Expectation"]
    X = standardize(scores[predictors].to_numpy())
    y = standardize(scores[["Satisfaction"]].to_numpy())[:, 0]
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    estimates = moderated.paths.set_index("source").loc[predictors, "estimate"].to_numpy()
    np.testing.assert_allclose(beta, estimates, rtol=0, atol=1e-10)
    # and the interaction construct's score is the standardized product of the stage-1 scores
    stage1 = moderated.first_stage.scores
    product = standardize((stage1["Image"] * stage1["Expectation"]).to_numpy()[:, None])[:, 0]
    np.testing.assert_allclose(scores["Image:Expectation"], product, atol=1e-12)


def test_f_squared_of_the_interaction_path_compares_with_the_model_without_the_term(moderated):
    f2 = moderated.f_squared().loc["Image:Expectation->Satisfaction"]
    without = estimate_pls(moderated.result.data.frame, moderated.specification.base)
    assert f2["r2_excluded"] == pytest.approx(without.r2.loc["Satisfaction", "r2"], abs=1e-12)
    r2 = moderated.r2.loc["Satisfaction", "r2"]
    assert f2["f2"] == pytest.approx((r2 - f2["r2_excluded"]) / (1 - r2), abs=1e-12)


# ============================================================================ product indicators


def test_product_indicators_are_products_of_standardized_items_in_seminr_order(simulated):
    fit = estimate_interaction(simulated, SIMULATED, interaction_method="product_indicator")
    items = fit.result.specification.items["X:M"]
    assert items == ("x1:m1", "x1:m2", "x2:m1", "x2:m2")
    z = pd.DataFrame(standardize(simulated.to_numpy(float)), columns=simulated.columns)
    for name in items:
        x, m = name.split(":")
        np.testing.assert_allclose(fit.result.data.frame[name], z[x] * z[m], atol=1e-12)


def test_orthogonalized_products_are_uncorrelated_with_every_first_order_item(simulated):
    procedure = InteractionProcedure.from_model(SIMULATED, interaction_method="orthogonal")
    z = simulated[list(procedure.items)].to_numpy(float)
    residuals, first_stage = procedure.generate(z)
    assert first_stage is None and residuals.shape == (600, 4)
    first_order = [procedure.items.index(i) for i in ("x1", "x2", "m1", "m2")]
    both = np.corrcoef(np.hstack([z[:, first_order], residuals]), rowvar=False)[:4, 4:]
    assert np.abs(both).max() < 1e-12
    # the raw products are not (sample skew makes x and m correlate with x*m)
    raw, _ = InteractionProcedure.from_model(
        SIMULATED, interaction_method="product_indicator"
    ).generate(z)
    raw_corr = np.corrcoef(np.hstack([z[:, first_order], raw]), rowvar=False)[:4, 4:]
    assert np.abs(raw_corr).max() > 0.02


@pytest.mark.parametrize("method", ["two_stage", "orthogonal", "product_indicator"])
def test_every_method_recovers_a_simulated_positive_moderation(simulated, method):
    """True interaction 0.3 against main effects 0.4 and 0.2 (latent, unit variances): each
    method's standardized interaction path is clearly positive and the slope of X grows with M."""
    fit = estimate_interaction(simulated, SIMULATED, interaction_method=method)
    assert fit.interactions.loc["X:M->Y", "estimate"] > 0.15
    slopes = fit.slopes["slope"].to_numpy()
    assert slopes[0] < slopes[1] < slopes[2]
    assert fit.paths.loc["X->Y", "estimate"] > 0.25


# ============================================================================ simple slopes


def test_simple_slopes_are_main_effect_plus_interaction_times_moderator_level(moderated):
    b = moderated.paths.set_index("source")["estimate"]
    table = moderated.slopes.set_index("moderator_at")["slope"]
    for label, level in (("-1 SD", -1), ("mean", 0), ("+1 SD", 1)):
        assert table[label] == pytest.approx(b["Image"] + b["Image:Expectation"] * level, abs=1e-15)
    plot = moderated.slope_plot
    assert len(plot) == 9 and set(plot["iv_value"]) == {-1.0, 0.0, 1.0}
    for row in plot.itertuples():
        expected = (
            b["Image"] * row.iv_value
            + b["Expectation"] * row.moderator_value
            + b["Image:Expectation"] * row.iv_value * row.moderator_value
        )
        assert row.predicted == pytest.approx(expected, abs=1e-15)


# ============================================================================ the bootstrap hook


def test_the_statistic_of_resampled_rows_re_runs_both_stages_on_those_rows(mobi, moderated):
    procedure = moderated.procedure
    x = moderated.first_order_data()
    rows = np.random.default_rng(1).integers(0, len(x), size=len(x))
    by_rows = procedure.statistic(x)(rows)
    refit = estimate_interaction(mobi.iloc[rows].reset_index(drop=True), MOBI_MODERATED)
    assert len(by_rows) == len(procedure.vector_labels)
    np.testing.assert_allclose(by_rows, refit.vector().to_numpy(), rtol=0, atol=1e-10)
    # the full-sample vector is the result's own estimates
    vector = moderated.vector()
    assert vector["path:Image:Expectation->Satisfaction"] == pytest.approx(
        moderated.interactions.loc["Image:Expectation->Satisfaction", "estimate"], abs=1e-15
    )
    assert vector["slope:Image->Satisfaction|Expectation=+1SD"] == pytest.approx(
        moderated.slopes["slope"].iloc[2], abs=1e-15
    )


# ============================================================================ output


def test_results_serialize_with_interaction_paths_and_slopes(moderated):
    out = json.loads(json.dumps(moderated.to_dict()))
    term = out["interactions"]["Image:Expectation->Satisfaction"]
    assert set(term["slopes"]) == {"-1 SD", "mean", "+1 SD"}
    assert out["interaction_method"] == "two_stage"
    assert "Image:Expectation->Satisfaction" in out["paths"]
    assert "two-stage interaction term" in moderated.summary()
    assert moderated.to_frame()["interaction"].sum() == 1


def test_a_quadratic_term_is_the_square_of_the_stage_one_score(simulated):
    fit = estimate_interaction(simulated, "X =~ x1 + x2; Y =~ y1 + y2; Y ~ X + X:X")
    score = fit.first_stage.scores["X"].to_numpy()
    np.testing.assert_allclose(fit.result.data.frame["X:X_intxn"], score**2, atol=1e-12)


# ============================================================================ bad input


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("X =~ x1; M =~ m1; Y =~ y1; Y ~ X + X:M", "lacks the main effect M -> Y"),
        ("X =~ x1; M =~ m1; Y =~ y1; Y ~ X + M + X:Q", "names construct 'Q'"),
        ("X =~ x1; M =~ m1; Y =~ y1; Y ~ X + M + X:M:Y", "not an interaction of two constructs"),
        ("X =~ x1; M =~ m1; Y =~ y1; Y ~ X + M; X:M ~ Y", "used as an outcome"),
        ("X =~ x1; M =~ m1; Y =~ y1; Y ~ X + M", "has no interaction term"),
        ("A =~ a1; B =~ b1; X =~ A + B; Y =~ y1; Y ~ X", "estimate_higher_order"),
    ],
)
def test_bad_interaction_models_are_refused_naming_the_problem(model, message):
    with pytest.raises(InputError, match=message):
        specify_interaction_model(model)


def test_a_plain_model_with_an_interaction_term_points_to_estimate_interaction():
    with pytest.raises(InputError) as info:
        specify_model("X =~ x1; M =~ m1; Y =~ y1; Y ~ X + M + X:M")
    assert "interaction term 'X:M'" in str(info.value)
    assert "estimate_interaction" in str(info.value)


def test_an_unknown_interaction_method_names_the_valid_ones(simulated):
    with pytest.raises(ValueError, match="two_stage"):
        estimate_interaction(simulated, SIMULATED, interaction_method="latent_product")
