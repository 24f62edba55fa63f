"""The segmentation report in Chinese (issue 20): whole zh and zh-Hant reports.

The notebook runs on the two default surveys with few bootstrap replicates and five of the
covariance models (the text, not the estimates, is under test) and fails if a run of
three English words is left in the page (the check of tests/test_i18n.py). k-means, latent
class analysis with three-step models, a one-segment solution and flagged segments, which the
notebook runs do not reach, are checked on the study's findings, warnings and tables
directly. The English text stays the message id: English reports and results.json are
unchanged, and the suggested segment names stay English in results.json and segments.csv.
"""

from __future__ import annotations

import pandas as pd
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
from test_i18n import _english_runs

from workbench import i18n
from workbench.intake.data import load_survey
from workbench.presentation.plots import has_cjk
from workbench.studies import get_study
from workbench.studies.segmentation import SegmentationStudy, analyse, suggest_name

STUDY = "segmentation"
FAST = {"blrt": 19, "stability": 10, "se_bootstrap": 20, "restarts": 1}
# the planted-segments run (transactions, RFM, Dick & Basu, three-step, drivers) in
# Simplified Chinese, the mobi run in Traditional Chinese
REPORTS = [(0, "zh"), (1, "zh-Hant")]


def _run_kwargs(which: int) -> dict:
    run = get_study(STUDY).default_runs[which]
    # a few covariance models (among them the chosen VEE and ones that warn on mobi)
    params = {**run.params, **FAST, "models": ["EII", "EEI", "VEE", "EVE", "VVV"], "max_k": 5}
    return {"data": str(ROOT / run.data), "codebook": str(ROOT / run.codebook), "params": params}


@pytest.fixture(scope="module")
def chinese_reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n_segmentation")
    jobs = {(which, lang): _run_kwargs(which) for which, lang in REPORTS}
    return run_reports(STUDY, jobs, tmp)


@pytest.mark.parametrize(("run", "lang"), REPORTS)
def test_a_chinese_segmentation_report_leaves_no_english_sentence(chinese_reports, run, lang):
    folder = chinese_reports[(run, lang)]
    _, results = check_chinese_report(folder, lang, STUDY, plots=3)
    assert results["warnings"] and all(has_cjk(w) for w in results["warnings"])
    # results.json and segments.csv keep the English names in every language
    names = [seg["name"] for seg in results["segments"].values()]
    assert all(not has_cjk(name) for name in names), names
    csv = pd.read_csv(folder / "segments.csv")
    assert set(csv["segment_name"]) == set(names)


def test_the_chinese_reports_read_in_standard_terms(chinese_reports):
    page = (chinese_reports[(0, "zh")] / "report.html").read_text(encoding="utf-8")
    for term in (
        "潜在剖面分析",
        "细分群体",
        "自助法似然比检验",
        "调整兰德指数",
        "三步法",
        "置信区间",
        "真正忠诚",
        "RFM 细分",
        "列表删除",
    ):
        assert term in page, term
    assert "“belonging 偏高、trust 偏高”" in page  # the planted segment, its name translated
    hant = (chinese_reports[(1, "zh-Hant")] / "report.html").read_text(encoding="utf-8")
    for term in ("潛在剖面分析", "拔靴法", "變數", "各方面均偏低"):  # Taiwanese usage
        assert term in hant, term
    assert "擬閤" not in hant  # OpenCC's slip for 拟合中, phrased around


def test_every_report_markdown_cell_of_the_notebook_is_catalogued():
    assert len(translated_markdown_cells(STUDY)) == 15


# --------------------------------------------------------------------------- other analyses
@pytest.fixture(scope="module")
def surveys():
    return {
        "segments": load_survey(
            DATA / "segments_survey.csv", DATA / "segments_survey.codebook.yaml"
        ),
        "mobi": load_survey(DATA / "mobi.csv", DATA / "mobi.codebook.yaml"),
    }


def _shown_text(study: SegmentationStudy) -> list[str]:
    """Findings, warnings and every table the report shows (headers, rows, cells)."""
    return [*study.findings, *study.warnings, *table_texts((
        study.segments_table(), study.means_wide(), study.criteria_table(), study.bic_table(),
        study.blrt_table(), study.stability_table(), study.crosstab_table(),
        study.crosstab_test(), study.response_table(), study.covariate_table(),
        study.distal_table(), study.behaviour_table(), study.link_tests(),
        study.drivers_table(), study.drivers_test(), study.membership_table(),
    ))]  # fmt: skip


@pytest.mark.parametrize(
    ("survey", "params"),
    [
        (
            "segments",
            {"variables": ["trust", "value", "belonging"], "method": "kmeans", "max_k": 4,
             "by": "tier", "stability": 5},
        ),
        (
            "segments",
            {"variables": ["belonging"], "method": "lca", "max_k": 3, "starts": 2,
             "covariates": ["age"], "distal": ["recommend"], "se_bootstrap": 5,
             "stability": 0},
        ),
        (
            "mobi",
            {"variables": ["image", "quality"], "models": ["EII"], "max_k": 1,
             "by": "", "stability": 5, "blrt": 0},
        ),
    ],
    ids=["kmeans-by", "lca-three-step", "one-segment"],
)  # fmt: skip
def test_findings_warnings_and_tables_of_every_analysis_are_chinese(surveys, survey, params):
    data = surveys[survey]
    with i18n.language("zh"):
        study = analyse(data, **{"blrt": 0, "restarts": 0, **params})
        shown = _shown_text(study)
        figures = [study.profile_figure(), study.criteria_figure(), study.map_figure()]
    names = set(data.frame.columns) | set(data.codebook.constructs) | set(data.codebook.items)
    left = english_left(shown, names)
    assert not left, left
    assert study.findings and all(has_cjk(f) for f in study.findings)
    assert all(has_cjk(w) for w in study.warnings), study.warnings
    for fig in figures:
        texts = _figure_texts(fig)
        assert any(has_cjk(t) for t in texts), texts
        assert not [t for t in texts if _english_runs(t, names)], texts


def _figure_texts(fig) -> list[str]:
    """A plotly figure's title, axis titles and annotations (subplot titles)."""
    layout = fig.layout
    texts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text]
    texts += [note.text for note in layout.annotations or ()]
    return [str(t) for t in texts if t]


def test_english_stays_the_source_text(surveys):
    params = {"variables": ["trust", "value", "belonging"], "models": ["VVI"], "max_k": 3,
              "blrt": 0, "restarts": 0, "stability": 0}  # fmt: skip
    english = analyse(surveys["segments"], **params)
    with i18n.language("zh"):
        chinese = analyse(surveys["segments"], **params)
        shown = chinese.shown_names()
    assert english.findings[0].startswith(f"{english.k} segments of the ")
    assert chinese.findings[0].startswith("基于 trust、value、belonging，")
    assert english.results() == chinese.results()  # results.json: the same in every language
    assert english.names() == chinese.names() and english.shown_names() == english.names()
    assert all(has_cjk(name) for name in shown.values()), shown
    assert english.segments_table().columns[0] == "name"
    # the docstring's example, and its translation from the same standardized means
    z = pd.Series({"trust": 0.9, "value": -0.7, "memory": 0.1})
    assert suggest_name(z) == "High trust, low value"
    with i18n.language("zh"):
        assert suggest_name(z) == "High trust, low value"  # the English name is the key
        from workbench.studies.segmentation import _suggested_name

        assert _suggested_name(z, cut=0.5, translated=True) == "trust 偏高、value 偏低"
