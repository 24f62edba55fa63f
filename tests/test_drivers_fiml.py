"""Driver analyses by FIML (missing=fiml in loyalty-drivers): the OLS model through
workbench.sem.regression_fiml (checked against lavaan in test_fiml_regression.py), and
relative importance and mediation from the EM moments (estimate_em_moments, checked against
lavaan in test_missingness.py) with EM re-run in each bootstrap resample."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from helpers import DATA

from workbench.drivers.mediation import mediation, mediation_fiml
from workbench.drivers.regression import _batch_r2, _subset_weights, relative_importance
from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.intake.missingness import estimate_em_moments
from workbench.sem import regression_fiml
from workbench.studies.loyalty_drivers import analyse, score_variables

DRIVERS = ["trust", "satisfaction", "belonging", "value"]


@pytest.fixture(scope="module")
def survey():
    return load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")


@pytest.fixture(scope="module")
def scores(survey):
    return score_variables(survey, ["loyalty", *DRIVERS, "age"])[0]


def test_fiml_importance_decomposes_the_em_correlations(scores):
    ri = relative_importance(scores, "loyalty", DRIVERS, bootstrap=30, seed=1, missing="fiml")
    em = estimate_em_moments(scores[[*DRIVERS, "loyalty"]])
    cov = em.cov.to_numpy()
    sd = np.sqrt(np.diag(cov))
    corr = (cov / np.outer(sd, sd))[None]
    weights, members = _subset_weights(len(DRIVERS))
    lmg = (_batch_r2(corr, members) @ weights)[0]
    np.testing.assert_allclose(ri.table["lmg"], lmg, rtol=1e-10)
    assert ri.n == 800 and ri.bootstrap_used > 0


def test_fiml_importance_on_complete_rows_equals_listwise(scores):
    complete = scores.dropna(subset=["loyalty", *DRIVERS])
    a = relative_importance(complete, "loyalty", DRIVERS, bootstrap=0)
    b = relative_importance(complete, "loyalty", DRIVERS, bootstrap=0, missing="fiml")
    np.testing.assert_allclose(b.table["lmg"], a.table["lmg"], rtol=1e-8)
    np.testing.assert_allclose(b.table["relative_weight"], a.table["relative_weight"], rtol=1e-8)


def test_fiml_mediation_paths_equal_the_fiml_regressions(scores):
    res = mediation_fiml(
        scores, "value", "loyalty", ["satisfaction"], covariates=["trust"], bootstrap=50, seed=3
    )
    cols = ["value", "satisfaction", "trust", "loyalty"]
    a = regression_fiml(scores[cols], "satisfaction", ["value", "trust"], auxiliary=["loyalty"])
    b = regression_fiml(scores[cols], "loyalty", ["value", "satisfaction", "trust"])
    c = regression_fiml(scores[cols], "loyalty", ["value", "trust"], auxiliary=["satisfaction"])
    p = res.paths["estimate"]
    assert p["a[satisfaction]"] == pytest.approx(a.table.loc["value", "b"], rel=1e-6)
    assert p["b[satisfaction]"] == pytest.approx(b.table.loc["satisfaction", "b"], rel=1e-6)
    assert p["c_prime"] == pytest.approx(b.table.loc["value", "b"], rel=1e-6)
    assert p["c_total"] == pytest.approx(c.table.loc["value", "b"], rel=1e-6)
    # c = c' + ab holds for the FIML estimates as for OLS
    ab = res.indirect.loc["total", "estimate"]
    assert p["c_total"] == pytest.approx(p["c_prime"] + ab, rel=1e-8)
    assert res.n == 800 and len(res.boot_indirect) == 50 - res.n_boot_failed


def test_fiml_mediation_on_complete_rows_equals_ols(scores):
    complete = scores.dropna(subset=["value", "satisfaction", "loyalty"])
    ols = mediation(complete, "value", "loyalty", ["satisfaction"], bootstrap=0)
    ml = mediation_fiml(complete, "value", "loyalty", ["satisfaction"], bootstrap=20)
    np.testing.assert_allclose(
        ml.paths["estimate"], ols.paths.loc[ml.paths.index, "estimate"], rtol=1e-8
    )


def test_fiml_driver_model_is_the_fiml_regression(survey, scores):
    study = analyse(survey, drivers=DRIVERS, controls=["age"], bootstrap=30, missing="fiml")
    ref = regression_fiml(scores, "loyalty", ["age", *DRIVERS])
    coef = study.coefficients_table()
    np.testing.assert_allclose(coef["estimate"], ref.table["b"], rtol=1e-10)
    np.testing.assert_allclose(coef["se"], ref.table["se"], rtol=1e-10)
    assert study.model.n == 800 and study.model.r2 == pytest.approx(ref.r_squared, rel=1e-10)
    h = study.model.hierarchical
    assert h["df1"] == 4 and 0 < h["delta_r2"] < study.model.r2
    assert study.missing_report["treatment"] == "fiml"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"moderator": "tier", "x": "trust"}, "a moderator"), ({"by": "tier"}, "segments (by)")],
)
def test_fiml_with_moderation_or_segments_is_refused_with_the_way_out(survey, extra, expected):
    with pytest.raises(InputError, match=re.escape(expected)) as err:
        analyse(survey, drivers=DRIVERS, missing="fiml", bootstrap=30, **extra)
    assert "missing=mi" in err.value.hint


def test_fiml_with_a_logit_outcome_is_refused(tmp_path, survey):
    frame = survey.frame.assign(returned=(survey.frame["recommend"] > 8).astype(float))
    frame.loc[frame["recommend"].isna(), "returned"] = np.nan
    binary = dataclasses.replace(survey, frame=frame)
    with pytest.raises(InputError, match="logit") as err:
        analyse(binary, outcome="returned", drivers=DRIVERS, missing="fiml", bootstrap=30)
    assert "missing=mi" in err.value.hint


def test_auxiliary_variables_enter_fiml_as_saturated_correlates(survey, scores):
    aux = ["memory", "escapism"]
    study = analyse(survey, drivers=DRIVERS, auxiliary=aux, bootstrap=30, missing="fiml")
    both = score_variables(survey, ["loyalty", *DRIVERS, *aux])[0]
    ref = regression_fiml(both, "loyalty", DRIVERS, auxiliary=aux)
    np.testing.assert_allclose(study.coefficients_table()["estimate"], ref.table["b"], rtol=1e-10)
    plain = regression_fiml(both, "loyalty", DRIVERS)
    assert not np.allclose(ref.table["b"], plain.table["b"], rtol=1e-8)  # they carry information
    # relative importance decomposes the drivers' block of the EM estimate with the auxiliaries
    em = estimate_em_moments(both[[*DRIVERS, "loyalty", *aux]]).cov.to_numpy()[:5, :5]
    sd = np.sqrt(np.diag(em))
    weights, members = _subset_weights(len(DRIVERS))
    lmg = (_batch_r2((em / np.outer(sd, sd))[None], members) @ weights)[0]
    np.testing.assert_allclose(study.importance.table["lmg"], lmg, rtol=1e-10)
    assert study.parameters["auxiliary"] == aux


def test_an_auxiliary_variable_in_the_model_is_refused(survey):
    with pytest.raises(InputError, match="in the models and listed in `auxiliary`"):
        analyse(survey, drivers=DRIVERS, auxiliary=["trust"], missing="fiml", bootstrap=30)


def test_auxiliary_variables_join_the_imputation_model(survey):
    study = analyse(survey, drivers=["trust", "value"], auxiliary=["memory"], m=2, bootstrap=40)
    assert {"ME1", "ME2", "ME3"} <= set(study.imputation.columns)
