"""The loyalty-drivers report in Chinese (issue 20): whole zh and zh-Hant reports.

The notebook runs on the shipped surveys with few resamples and imputations (the text, not
the estimates, is under test) and fails if a run of three English words is left in the page
(the check of tests/test_i18n.py). Analyses the notebook runs do not reach (FIML, person-mean
scoring, factor scores, an ordinal outcome) are checked on the study's findings, warnings and
tables directly. The English text stays the message id: English reports are unchanged.
"""

from __future__ import annotations

import pytest
from helpers import (
    DATA,
    ROOT,
    check_chinese_report,
    english_left,
    run_reports,
    table_texts,
    translated_markdown_cells,
)
from test_i18n import _english_runs, _visible_text

from workbench import i18n
from workbench.intake.data import load_survey
from workbench.presentation.plots import has_cjk
from workbench.studies import get_study
from workbench.studies.loyalty_drivers import LoyaltyDriversStudy, analyse

STUDY = "loyalty-drivers"
FAST = {"bootstrap": 100, "m": 2}
# the default run in both scripts, the moderation run in Traditional Chinese (3 notebook runs)
REPORTS = [("default", "zh"), ("default", "zh-Hant"), ("moderation", "zh-Hant")]


def _runs() -> dict[str, dict]:
    """The default run (mediation, segments, multiple imputation) and a moderation run."""
    spec = get_study(STUDY)
    default, corp = spec.default_runs
    return {
        "default": {
            "data": str(ROOT / default.data),
            "codebook": str(ROOT / default.codebook),
            "params": {**default.params, **FAST},
        },
        "moderation": {
            "data": str(ROOT / corp.data),
            "codebook": str(ROOT / corp.codebook),
            "params": {
                "outcome": "loyalty",
                "drivers": ["satisfaction", "competence", "likeability"],
                "moderator": "likeability",
                "x": "competence",
                "missing": "listwise",
                **FAST,
            },
        },
    }


@pytest.fixture(scope="module")
def chinese_reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n_loyalty_drivers")
    runs = _runs()
    return run_reports(STUDY, {(name, lang): runs[name] for name, lang in REPORTS}, tmp)


@pytest.mark.parametrize(("run", "lang"), REPORTS)
def test_a_chinese_loyalty_drivers_report_leaves_no_english_sentence(chinese_reports, run, lang):
    _, results = check_chinese_report(chinese_reports[(run, lang)], lang, STUDY, plots=3)
    # the check is not blind: an English sentence of this study's report would be found
    assert _english_runs(_visible_text("<li>trust is the strongest lever</li>"), set())
    assert results["warnings"] and all(has_cjk(w) for w in results["warnings"])
    # the values of results.json stay those of every language
    importance = results["relative_importance"]
    assert results["model"]["kind"] == "ols"
    assert all("lmg" in importance[d] for d in results["parameters"]["drivers"])


def test_the_chinese_report_reads_in_standard_terms(chinese_reports):
    page = (chinese_reports[("default", "zh")] / "report.html").read_text(encoding="utf-8")
    for term in (
        "中介效应",
        "自助法",
        "置信区间",
        "已解释方差",
        "相对权重",
        "多重插补",
        "Little 检验",
    ):
        assert term in page, term
    hant = (chinese_reports[("default", "zh-Hant")] / "report.html").read_text(encoding="utf-8")
    for term in ("中介效果", "拔靴法", "信賴區間", "變異數"):  # Taiwanese research usage
        assert term in hant, term
    moderation = (chinese_reports[("moderation", "zh-Hant")] / "report.html").read_text("utf-8")
    assert "調節效果" in moderation and "簡單斜率" in moderation


def test_every_report_markdown_cell_of_the_notebook_is_catalogued():
    assert len(translated_markdown_cells(STUDY)) == 10


# --------------------------------------------------------------------------- other analyses
@pytest.fixture(scope="module")
def surveys():
    return {
        "loyalty": load_survey(DATA / "loyalty_survey.csv", DATA / "loyalty_survey.codebook.yaml"),
        "corp": load_survey(DATA / "corp_rep.csv", DATA / "corp_rep.codebook.yaml"),
    }


def _shown_text(study: LoyaltyDriversStudy) -> list[str]:
    """Findings, warnings and every table the report shows (headers, rows, cells)."""
    texts = [*study.findings, *study.warnings]
    texts += table_texts((
        study.scoring_table(), study.coefficients_table(), study.importance_table(),
        study.imputation_table(), study.imputed_reliability(), study.hierarchical_table(),
        study.assumptions_table(), study.ipa_table(), study.mediation_paths(),
        study.mediation_indirect(), study.moderation_slopes(), study.segment_fit(),
        study.segment_tests(),
    ))  # fmt: skip
    texts.append(i18n.translate(study.missing_diagnosis.recommendation))
    return texts


@pytest.mark.parametrize(
    ("survey", "params"),
    [
        (
            "corp",
            {
                "drivers": ["satisfaction", "competence"],
                "controls": ["likeability"],
                "mediator": ["satisfaction"],
                "missing": "fiml",
            },
        ),
        (
            "loyalty",
            {
                "drivers": ["trust", "value"],
                "moderator": "tier",
                "x": "trust",
                "missing": "available",
                "auxiliary": ["belonging"],
            },
        ),
        (
            "loyalty",
            {
                "drivers": ["trust", "value"],
                "controls": ["tier"],
                "scoring": "factor",
                "missing": "listwise",
            },
        ),
        (
            "loyalty",
            {
                "outcome": "satisfaction",
                "drivers": ["trust", "value"],
                "by": "tier",
                "missing": "mi",
                "m": 2,
            },
        ),
    ],
    ids=[
        "fiml-mediation",
        "available-categorical-moderator",
        "factor-scores-controls",
        "ordinal-outcome-mi-segments",
    ],
)
def test_findings_warnings_and_tables_of_every_analysis_are_chinese(surveys, survey, params):
    data = surveys[survey]
    with i18n.language("zh"):
        study = analyse(data, bootstrap=100, **params)
        shown = _shown_text(study)
        importance = study.importance_figure()
    names = set(data.frame.columns) | set(data.codebook.constructs)
    left = english_left(shown, names)
    assert not left, left
    assert study.warnings and all(has_cjk(w) for w in study.warnings)
    legend = {trace.name for trace in importance.data}
    assert legend == {"LMG（Shapley 值）", "相对权重"}
    assert importance.layout.xaxis.title.text in ("占已解释方差的百分比", "占结果变量方差的百分比")


def test_english_stays_the_source_text(surveys):
    params = {"drivers": ["trust", "value"], "bootstrap": 100, "missing": "listwise"}
    english = analyse(surveys["loyalty"], **params)
    with i18n.language("zh"):
        chinese = analyse(surveys["loyalty"], **params)
    assert english.findings[0].startswith("Together the 2 drivers explain ")
    assert chinese.findings[0].startswith("2 个驱动因素共同解释")
    assert english.results() == chinese.results()  # results.json: the same in every language
    assert {t.name for t in english.importance_figure().data} == {
        "LMG (Shapley)",
        "relative weight",
    }
    table = english.assumptions_table()
    assert table.index.name == "check" and "Linearity (RESET p)" in table.index
