"""The experience-economy report in Chinese: whole zh and zh-Hant reports leave no English sentence.

Three runs through the notebook on the loyalty survey (small bootstrap): robust ML
(``estimator=mlr``, listwise, cross-channel consistency, Satorra-Bentler scaled difference tests)
in ``zh``, WLSMV (ordered items, ordinal invariance across ``channel``, whose empty category
stops the invariance step with a warning) in ``zh-Hant``, and DWLS (standard SEs and test, the
plain difference tests, the invariance step WLSMV's) in ``zh``; the ML default (FIML) and PLS-SEM
findings, warnings and notes are checked in process, so that every estimator's sentences, the
warnings of the statistics layers, every table and every markdown cell are exercised. The check
for English is tests/test_i18n.py's (a run of three English words outside names and codes).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from helpers import DATA, ROOT
from test_i18n import _english_runs, _visible_text

from workbench import i18n
from workbench.intake.data import load_survey
from workbench.presentation.plots import has_cjk
from workbench.runner.engine import report_languages, run_study
from workbench.studies import STUDIES, experience_economy, get_study

SURVEY = DATA / "loyalty_survey.csv"
CODEBOOK = DATA / "loyalty_survey.codebook.yaml"
CHANNELS = ["online_experience", "offline_experience"]


@pytest.fixture(scope="module")
def chinese_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n-experience")
    jobs = {  # run name: (report language, parameters)
        "zh": ("zh", {"estimator": "mlr", "missing": "listwise", "channels": CHANNELS,
                      "bootstrap": 100}),
        "zh-Hant": ("zh-Hant", {"estimator": "wlsmv", "missing": "listwise", "group": "channel"}),
        "zh-dwls": ("zh", {"estimator": "dwls", "missing": "listwise", "group": "channel"}),
    }  # fmt: skip

    def one(name):
        lang, params = jobs[name]
        return run_study(
            "experience-economy",
            data=str(SURVEY),
            codebook=str(CODEBOOK),
            params=params,
            out=str(tmp / name),
            lang=lang,
            refresh_index=False,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(one, jobs), strict=True))


@pytest.fixture(scope="module")
def survey():
    return load_survey(SURVEY, CODEBOOK)


def _codebook_labels() -> list[str]:
    """Construct and item labels of the codebook: data, not sentences to translate."""
    cb = load_survey(SURVEY, CODEBOOK).codebook
    names = [*cb.constructs, *(i for c in cb.constructs.values() for i in c.items)]
    return sorted({cb.label(n) for n in names}, key=len, reverse=True)


def _english_left(text: str) -> list[str]:
    for name in _codebook_labels():
        text = text.replace(name, "\n")
    names = set(STUDIES["experience-economy"].defaults)
    return _english_runs(text, names)


@pytest.mark.parametrize("run", ["zh", "zh-Hant", "zh-dwls"])
def test_a_chinese_experience_report_leaves_no_english_sentence(chinese_runs, run):
    folder = chinese_runs[run]
    lang = run.removesuffix("-dwls")
    page = (folder / "report.html").read_text(encoding="utf-8")
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert results["lang"] == lang and results["command"].endswith(f"--lang {lang}")
    assert f"<html lang='{i18n.HTML_LANG[lang]}'>" in page
    assert "Key findings" not in page and page.count("Plotly.newPlot") >= 2
    left = _english_left(_visible_text(page))
    assert not left, left[:10]
    box = re.search(r"(?s)<div class='wb-findings'>(.*?)</div>", page)
    findings = re.findall(r"(?s)<li>(.*?)</li>", box.group(1)) if box else []
    assert len(findings) >= 5 and all(has_cjk(f) for f in findings)
    assert results["warnings"] and all(has_cjk(w) for w in results["warnings"])


@pytest.mark.parametrize(
    "params",
    [
        {"group": "channel", "channels": CHANNELS},  # ML by FIML: delta-method intervals
        {"method": "pls", "group": "channel", "bootstrap": 50},  # PLS-SEM, ML comparisons
    ],
    ids=["ml-fiml", "pls"],
)
def test_findings_warnings_and_notes_of_ml_and_pls_runs_are_chinese(survey, params):
    with i18n.language("zh"):
        study = experience_economy.analyse(survey, **params)
        notes = [i18n.translate(n) for n in (study.method_note, study.estimator_note)]
    texts = [*study.findings, *study.warnings, *notes]
    assert len(study.findings) >= 5 and all(has_cjk(t) for t in texts)
    left = _english_left("\n".join(texts))
    assert not left, left[:10]


def test_the_zh_report_uses_the_standard_terms(chinese_runs):
    page = (chinese_runs["zh"] / "report.html").read_text(encoding="utf-8")
    for term in ("主要发现", "结构方程模型", "验证性因子分析", "稳健最大似然", "平均方差萃取量",
                 "组合信度", "异质-单质比率", "克隆巴赫α", "间接效应", "自助法", "置信区间",
                 "测量不变性", "响应面", "决定系数", "Satorra-Bentler 校正"):  # fmt: skip
        assert term in page, term


def test_the_zh_hant_report_uses_taiwanese_research_terms(chinese_runs):
    page = (chinese_runs["zh-Hant"] / "report.html").read_text(encoding="utf-8")
    # glossary: 拔靴法 (bootstrap), 信賴區間 (confidence interval), 因素 (factor), 效果 (effect)
    for term in ("主要發現", "拔靴法", "信賴區間", "驗證性因素分析", "間接效果", "多分格相關"):
        assert term in page, term
    assert "自助法" not in page and "置信区间" not in page
    # the ordinal invariance step stopped on an empty category: said in Chinese, not English
    results = json.loads((chinese_runs["zh-Hant"] / "results.json").read_text(encoding="utf-8"))
    stopped = [w for w in results["warnings"] if "WLSMV" in w and "AE3" in w]
    assert stopped and "has no answers" not in stopped[0] and "處理建議" in stopped[0]


def test_the_zh_dwls_report_says_which_standard_errors_and_test_in_chinese(chinese_runs):
    page = (chinese_runs["zh-dwls"] / "report.html").read_text(encoding="utf-8")
    results = json.loads((chinese_runs["zh-dwls"] / "results.json").read_text(encoding="utf-8"))
    assert results["estimator"]["name"] == "dwls" and results["estimator"]["test"] == "standard"
    # the estimator note, the method note, the fit verdict and the invariance warning (the
    # invariance step runs under DWLS and stops on the survey's empty category)
    for text in ("常规（非稳健）标准误", "拟合表中没有校正列和稳健列", "常规检验与指数，DWLS",
                 "DWLS 下的 CFI 为", "未在 DWLS 下检验跨"):  # fmt: skip
        assert text in page, text
    assert "non-robust" not in page and "standard test and indices" not in page


def test_results_json_keeps_english_keys_and_values_in_a_chinese_run(chinese_runs):
    res = json.loads((chinese_runs["zh"] / "results.json").read_text(encoding="utf-8"))
    assert "loyalty~satisfaction" in res["sem"]["paths"]
    assert {"second-order experience", "four correlated realms"} <= set(res["model_comparison"])
    kinds = {e["kind"] for e in res["sem"]["indirect"].values()}
    assert kinds <= {"indirect", "total_indirect", "total"}
    assert res["estimator"]["name"] == "mlr" and res["estimator"]["note"].startswith("Estimator:")


def test_report_tables_translate_headers_and_categories_but_not_names():
    import pandas as pd

    frame = pd.DataFrame(
        {"chain": ["education->memory"], "kind": ["total_indirect"], "cfi": [0.95]},
        index=["second-order experience"],
    )
    assert experience_economy.for_report(frame) is frame  # English: the table as it is
    assert experience_economy.for_report(None) is None
    with i18n.language("zh"):
        shown = experience_economy.for_report(frame, values=("kind",), index_values=True)
    assert list(shown.columns) == ["中介链", "类别", "cfi"]  # an index code stays as it is
    assert list(shown["类别"]) == ["总间接效应"] and list(shown.index) == ["二阶体验模型"]
    assert list(shown["中介链"]) == ["education->memory"]  # names from the data
    assert list(frame.columns) == ["chain", "kind", "cfi"]  # not modified


def test_every_report_markdown_cell_of_the_experience_notebook_is_catalogued():
    spec = get_study("experience-economy")
    assert report_languages(spec) == ("en", "zh", "zh-Hant")
    nb = nbformat.read(spec.notebook_path, as_version=4)
    cells = [
        c.source
        for c in nb.cells
        if c.cell_type == "markdown" and "remove-in-report" not in c.metadata.get("tags", [])
    ]
    assert len(cells) >= 9
    for source in cells:
        out = i18n.markdown(source, "notebook:experience-economy", lang="zh")
        assert out != source and has_cjk(out), source[:60]
        # code spans of the English cell are kept
        assert set(re.findall(r"`[^`]+`", source)) <= set(re.findall(r"`[^`]+`", out))


def test_the_catalogue_of_the_experience_study_has_no_untranslated_or_broken_message():
    from babel.messages.pofile import read_po

    path = ROOT / "workbench" / "locale" / "zh" / "experience-economy.po"
    with path.open("rb") as f:
        messages = [m for m in read_po(f, locale="zh_Hans_CN") if m.id]
    assert len(messages) > 100
    for m in messages:
        assert m.string and not m.fuzzy, m.id
        assert i18n.placeholders(m.string) == i18n.placeholders(m.id), m.id
        # Chinese text, or no words at all (a label kept as a code is simply not catalogued)
        assert has_cjk(m.string) or not re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", m.string))
