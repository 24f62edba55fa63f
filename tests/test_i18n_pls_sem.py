"""The pls-sem report in Chinese: whole zh and zh-Hant reports leave no English sentence.

Two runs through the notebook on the corp_rep data (Hair et al.'s primer; small bootstrap and
PLSpredict settings): the extended model with formative drivers, redundancy analyses and a group
comparison (MICOM, MGA) in ``zh``, and a moderated model in ``zh-Hant``, so that findings,
warnings of the statistics layers, every table and every markdown cell are exercised. The check
for English is tests/test_i18n.py's (a run of three English words outside names and codes).
"""

from __future__ import annotations

import json

import pytest
from helpers import (
    DATA,
    catalogue_messages,
    check_chinese_report,
    check_taiwanese_terms,
    code_spans,
    codebook_labels,
    findings_of,
    read_report,
    run_reports,
    translated_markdown_cells,
)

from workbench import i18n
from workbench.presentation.plots import has_cjk
from workbench.presentation.report import Marker, traffic_light
from workbench.studies import get_study, pls_sem

CODEBOOK = DATA / "corp_rep.codebook.yaml"
MODERATED = (
    "satisfaction ~ competence + likeability; "
    "loyalty ~ competence + likeability + satisfaction + likeability:satisfaction"
)
ZHAO_TYPES = {
    "complementary partial mediation",
    "competitive partial mediation",
    "indirect-only (full) mediation",
    "direct-only (no mediation)",
    "no effect",
}


@pytest.fixture(scope="module")
def chinese_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n-pls")
    extended = dict(get_study("pls-sem").default_runs[1].params)
    small = {"bootstrap": 200, "predict_folds": 5, "predict_repeats": 2}
    data = {"data": str(DATA / "corp_rep.csv"), "codebook": str(CODEBOOK)}
    jobs = {
        "zh": {
            **data,
            "params": {**extended, **small, "group": "servicetype", "permutations": 100},
        },
        "zh-Hant": {**data, "params": {"paths": MODERATED, "bootstrap": 200}},
    }
    return run_reports("pls-sem", jobs, tmp)


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_a_chinese_pls_report_leaves_no_english_sentence(chinese_runs, lang):
    labels = codebook_labels(DATA / "corp_rep.csv", CODEBOOK)
    page, results = check_chinese_report(
        chinese_runs[lang], lang, "pls-sem", labels=labels, plots=2
    )
    findings = findings_of(page)
    assert len(findings) >= 4 and all(has_cjk(f) for f in findings)
    assert results["warnings"] and all(has_cjk(w) for w in results["warnings"])


def test_the_zh_report_uses_the_standard_terms(chinese_runs):
    page = (chinese_runs["zh"] / "report.html").read_text(encoding="utf-8")
    for term in ("主要发现", "偏最小二乘", "平均方差萃取量", "组合信度", "异质-单质比率", "区分效度",
                 "效应量", "中介效应", "调节效应", "自助法", "置换检验", "测量不变性", "冗余分析"):  # fmt: skip
        assert term in page, term
    # the group comparison's warnings came from workbench.pls in English: matched as patterns
    assert "群组比较：" in page and "各检验的结论不一致" in page


def test_the_zh_hant_report_uses_taiwanese_research_terms(chinese_runs):
    page, _ = read_report(chinese_runs["zh-Hant"])
    # glossary: 拔靴法 (bootstrap), 信賴區間 (confidence interval), 效果 (effect)
    check_taiwanese_terms(page, ("主要發現", "拔靴法", "信賴區間", "調節效果", "簡單斜率"))


def test_results_json_keeps_english_keys_and_categories_in_a_chinese_run(chinese_runs):
    res = json.loads((chinese_runs["zh"] / "results.json").read_text(encoding="utf-8"))
    assert "satisfaction->loyalty" in res["paths"]
    assert {row["type"] for row in res["mediation"].values()} <= ZHAO_TYPES
    assert set(res["fit"]) >= {"srmr", "d_uls", "d_g"}
    assert {row["invariance"] for row in res["mga"].values()} <= {"full", "partial", "none"}
    assert {row["verdict"] for row in res["mga"].values()} <= {
        "differs",
        "no significant difference",
    }


def test_report_tables_translate_headers_and_categories_but_keep_traffic_lights():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "estimate": [0.5, 0.1],
            "effect size": ["medium", "none"],
            "collinearity": [traffic_light("green"), traffic_light("red")],
        },
        index=["quality->loyalty", "csr->loyalty"],
    )
    assert pls_sem.for_report(frame) is frame  # English: the table as it is
    with i18n.language("zh"):
        shown = pls_sem.for_report(frame, values=("effect size", "collinearity"))
    assert list(shown.columns) == ["估计值", "效应量", "共线性"]
    # "medium" is an effect size here, not the medium-term horizon of another study
    assert list(shown["效应量"]) == ["中", "无"]
    light = shown["共线性"].iloc[1]
    assert isinstance(light, Marker) and light.colour == traffic_light("red").colour
    assert has_cjk(str(light))
    assert list(shown.index) == list(frame.index)  # paths are names from the data
    assert list(frame.columns) == ["estimate", "effect size", "collinearity"]  # not modified


def test_every_report_markdown_cell_of_the_pls_notebook_is_catalogued():
    cells = translated_markdown_cells("pls-sem")
    assert len(cells) >= 10
    for source, out in cells:
        # code spans and numbers of the English cell are kept
        assert code_spans(source) <= code_spans(out)


def test_the_catalogue_of_the_pls_study_has_no_untranslated_or_broken_message():
    assert len(catalogue_messages("pls-sem")) > 150
