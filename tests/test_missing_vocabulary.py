"""One missing-data vocabulary across the survey studies (issue 16).

Every survey study's ``missing`` parameter takes words of one vocabulary; a word a study
cannot honour is refused before the run, with the reason and the words it can; and each
study runs with each word it honours (through ``Study.validate``, as ``workbench run``
passes the parameters to the notebook's ``analyse``), saying the treatment it used.
"""

from __future__ import annotations

import dataclasses
import importlib

import pytest
from helpers import DATA

from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.studies import MISSING_TREATMENTS, STUDIES

SURVEY_STUDIES = [name for name, spec in STUDIES.items() if "missing" in spec.defaults]
# quick settings: the point is the treatment, not the precision of the intervals
QUICK = {
    "factor-analysis": {"pa_iterations": 10, "n_factors": 4},
    "loyalty-drivers": {"bootstrap": 100, "m": 3, "drivers": ["trust", "value"]},
    "experience-economy": {"bootstrap": 100, "compare_models": False},
    "segmentation": {"variables": ["trust", "value"], "models": ["EII", "VVV"], "max_k": 3,
                     "blrt": 0, "stability": 5},
    "pls-sem": {"bootstrap": 100, "predict_repeats": 1,
                "paths": "loyalty ~ satisfaction + trust; satisfaction ~ value"},
}  # fmt: skip
MODULES = {
    "factor-analysis": "factor_analysis",
    "loyalty-drivers": "loyalty_drivers",
    "experience-economy": "experience_economy",
    "pls-sem": "pls_sem",
    "segmentation": "segmentation",
}


def _honoured(name: str) -> list[tuple[str, dict]]:
    """(word, extra parameters) for each word the study honours; experience-economy's
    words depend on the estimator."""
    param = STUDIES[name].param("missing")
    words = [w for w in param.choices if w]
    if name == "experience-economy":
        return [("fiml", {"method": "ml"}), ("listwise", {"method": "ml"}),
                ("mean", {"method": "pls"}), ("listwise", {"method": "pls"})]  # fmt: skip
    return [(w, {}) for w in words]


def test_every_survey_study_has_the_missing_parameter():
    assert set(SURVEY_STUDIES) == set(MODULES)


@pytest.mark.parametrize("name", SURVEY_STUDIES)
def test_each_word_is_honoured_or_refused_with_the_reason(name):
    spec = STUDIES[name]
    param = spec.param("missing")
    refused = dict(param.refused)
    for word in MISSING_TREATMENTS:
        assert (word in param.choices) != (word in refused), word
        if word in refused:
            with pytest.raises(InputError) as err:
                spec.validate({"missing": word})
            text = str(err.value) + " " + (err.value.hint or "")
            assert f"cannot honour missing={word}" in text
            assert refused[word] in text
            assert "It can: " + ", ".join(c for c in param.choices if c)[:20] in text


@pytest.fixture(scope="module")
def survey():
    full = load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml")
    return dataclasses.replace(full, frame=full.frame.iloc[:300].copy())


@pytest.mark.parametrize(
    ("name", "word", "extra"),
    [(n, w, e) for n in SURVEY_STUDIES for w, e in _honoured(n)],
    ids=lambda v: v if isinstance(v, str) else "-".join(f"{k}={x}" for k, x in v.items()),
)
def test_each_study_runs_with_each_word_it_honours(survey, name, word, extra):
    spec = STUDIES[name]
    params = spec.validate({"missing": word, **QUICK[name], **extra})
    assert params["missing"] == word
    module = importlib.import_module(f"workbench.studies.{MODULES[name]}")
    study = module.analyse(survey, **params)
    assert study.missing_report["treatment"] == word
    assert study.results()["missing_diagnosis"]["recommendation"]


def test_experience_economy_default_follows_the_estimator():
    spec = STUDIES["experience-economy"]
    assert spec.validate({})["missing"] == "fiml"
    assert spec.validate({"method": "pls"})["missing"] == "mean"
    with pytest.raises(InputError, match="cannot be used with method=pls"):
        from workbench.studies.experience_economy import check_method

        check_method("pls", "fiml")
