"""Reports in Chinese: catalogue, glossary, locale formats, and whole zh / zh-Hant reports.

The number and date formats are CLDR's as Babel 2.19 ships them (zh_Hans_CN, zh_Hant_TW);
the glossary's terms are the standard Chinese ones of the research literature (issue 20).
The notebook runs render member-analytics and programme-evaluation in zh and zh-Hant on
small data and fail if an English sentence is left in the page.
"""

from __future__ import annotations

import html
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import opencc
import pytest
from helpers import DATA, ROOT, run_main

from workbench import i18n
from workbench.errors import InputError
from workbench.presentation.plots import has_cjk
from workbench.presentation.report import findings_html, label_kind, table_html, update_index
from workbench.runner.engine import report_languages, run_study
from workbench.studies import STUDIES, get_study

TRANSLATED = ("member-analytics", "programme-evaluation")


def catalogue_messages(lang: str) -> list:
    return [m for m in i18n.catalogue(lang) if m.id]


def english_text(message) -> str:
    return message.id if isinstance(message.id, str) else " ".join(message.id)


def translated_text(message) -> str:
    return message.string if isinstance(message.string, str) else " ".join(message.string)


# --------------------------------------------------------------------------- the catalogue
def test_the_catalogue_translates_every_message_and_keeps_its_placeholders():
    messages = catalogue_messages("zh")
    assert len(messages) > 250
    for message in messages:
        text = translated_text(message)
        assert text and not message.fuzzy, message.id
        assert i18n.placeholders(text) == i18n.placeholders(english_text(message)), message.id
        letters = re.sub(r"\{\w+\}", "", text)  # e.g. "{sentence}{next}": no words to translate
        assert has_cjk(text) or not re.search(r"[A-Za-z]", letters), message.id


def test_zh_hant_is_converted_from_zh_when_loaded():
    zh = {(m.context, m.id): translated_text(m) for m in catalogue_messages("zh")}
    hant = {(m.context, m.id): translated_text(m) for m in catalogue_messages("zh-Hant")}
    assert zh.keys() == hant.keys()
    assert hant[(None, "Key findings")] == "主要發現"
    assert hant[("label", "ci_low")] == "信賴區間下限"  # Taiwanese usage from the glossary
    assert hant[("label", "se (clustered by member)")] == "標準誤（按會員群聚）"
    # nothing Simplified is left: a character-level conversion changes nothing (the phrase
    # conversion itself is not idempotent: s2twp turns 運算子 into 運運算元 on a second pass)
    chars = opencc.OpenCC("s2tw")
    for key, text in hant.items():
        again = chars.convert(text)
        for slip, right in i18n._OPENCC_SLIPS:  # OpenCC's own slips, repaired as in i18n
            again = again.replace(slip, right)
        assert again == text, key


def test_language_codes_and_the_current_language():
    assert [i18n.check_language(x) for x in ("zh-CN", "zh-Hans", "ZH-TW", None)] == [
        "zh",
        "zh",
        "zh-Hant",
        "en",
    ]
    with pytest.raises(InputError, match="Unknown report language 'fr'") as info:
        i18n.check_language("fr")
    assert "zh-Hant" in info.value.hint
    assert i18n.get_language() == "en"
    with i18n.language("zh-Hant"):
        assert i18n.gettext("Warnings ({n})", n=2) == "警告（2）"
        assert i18n.label("retention_rate") == "留存率"
    assert i18n.gettext("Warnings ({n})", n=2) == "Warnings (2)"


def test_plural_forms_one_in_chinese_two_in_english():
    assert i18n.catalogue("zh").num_plurals == 1
    assert [i18n.ngettext("{n} run", "{n} runs", n) for n in (1, 2)] == ["1 run", "2 runs"]
    assert [i18n.ngettext("{n} run", "{n} runs", n, lang="zh") for n in (1, 2)] == [
        "1 次运行",
        "2 次运行",
    ]
    assert (
        i18n.ngettext("{n} run", "{n} runs", 12345, lang="zh-Hant") == "12,345 次執行"
    )  # Taiwan: 執行 (OpenCC s2twp)


@pytest.mark.parametrize(
    ("lang", "number", "percent", "signed", "date"),
    [
        ("en", "1,234,567.9", "12%", "+20.3%", "2025-03-01"),
        ("zh", "1,234,567.9", "12%", "+20.3%", "2025年3月1日"),
        ("zh-Hant", "1,234,567.9", "12%", "+20.3%", "2025年3月1日"),
    ],
)
def test_numbers_and_dates_follow_the_locale(lang, number, percent, signed, date):
    # CLDR (Babel 2.19): zh_Hans_CN and zh_Hant_TW group by thousands with ',' and write the
    # long date as 年月日; English reports keep ISO dates
    assert i18n.format_decimal(1234567.89, 1, lang=lang) == number
    assert i18n.format_percent(0.1234, lang=lang) == percent
    assert i18n.format_percent(0.2031, 1, sign=True, lang=lang) == signed
    assert i18n.format_date("2025-03-01", lang=lang) == date
    assert i18n.format_date("not a date", lang=lang) == "not a date"


def test_messages_of_the_statistics_layers_are_matched_as_patterns():
    text = "321 of 800 rows were dropped because of missing values in the outcome, drivers or controls (listwise deletion; nothing was imputed)."
    assert i18n.translate(text, lang="zh") == (
        "800 行中有 321 行因结果变量、驱动因素或控制变量存在缺失值而被删除（列表删除；未做插补）。"
    )
    # short patterns such as "{sentence} {next}" never match: translated text stays as it is
    done = "流失模型 AUC 0.85，95% 置信区间 0.82–0.88。"
    assert i18n.translate(done, lang="zh") == done
    assert i18n.translate("Something nobody catalogued.", lang="zh") == (
        "Something nobody catalogued."
    )


def test_translated_table_headers_keep_their_number_formats():
    frame = i18n.translate_frame(
        __import__("pandas").DataFrame(
            {"value": [60896.0, 0.00064]}, index=["member-periods", "pre-trend test p"]
        ),
        index_values=True,
        lang="zh",
    )
    assert list(frame.index) == ["会员-期数", "预趋势检验 p 值"]
    assert [label_kind(i) for i in frame.index] == ["count", "p"]
    page = table_html(frame)
    assert ">60,896<" in page and "&lt; .001" in page


# --------------------------------------------------------------------------- the glossary
def _mentions(english: str, term: str) -> bool:
    forms = {term, term + "s"} | ({term[:-1]} if term.endswith("s") else set())
    return any(re.search(rf"(?<![\w-]){re.escape(f)}(?![\w])", english, re.I) for f in forms)


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
def test_the_catalogue_uses_the_glossary_translation_of_every_term_it_contains(lang):
    terms = i18n.glossary()
    english = {t.en.lower() for t in terms}
    for need in ("exploratory factor analysis", "confirmatory factor analysis", "cronbach's alpha",
                 "average variance extracted", "structural equation model", "mediation effect",
                 "moderation effect", "net promoter score", "customer lifetime value",
                 "churn rate", "difference in differences", "event study",
                 "confidence interval", "standard error"):  # fmt: skip
        assert need in english, need
    used = 0
    for message in catalogue_messages(lang):
        source, text = english_text(message), translated_text(message)
        for term in terms:
            if not _mentions(source, term.en):
                continue
            if _mentions(text, term.en):
                continue  # kept in English on purpose (a cited title, code)
            wanted = term.zh if lang == "zh" else term.zh_hant
            assert wanted in text, (term.en, wanted, text)
            used += 1
    assert used > 100


def test_the_glossary_lists_simplified_and_traditional_for_every_term():
    for term in i18n.glossary():
        assert term.en and has_cjk(term.zh) and has_cjk(term.zh_hant), term
        assert i18n.to_traditional(term.zh) == term.zh_hant, term


# --------------------------------------------------------------------------- notebooks, index
@pytest.mark.parametrize("study", TRANSLATED)
def test_every_report_markdown_cell_of_a_translated_notebook_is_catalogued(study):
    spec = get_study(study)
    assert report_languages(spec) == ("en", "zh", "zh-Hant")
    nb = nbformat.read(spec.notebook_path, as_version=4)
    cells = [
        c.source
        for c in nb.cells
        if c.cell_type == "markdown" and "remove-in-report" not in c.metadata.get("tags", [])
    ]
    assert cells
    for source in cells:
        out = i18n.markdown(source, f"notebook:{spec.notebook_path.stem}", lang="zh")
        assert out != source and has_cjk(out), source[:60]


@pytest.fixture
def one_untranslated(monkeypatch):
    """Every study is translated now: make segmentation's report English-only for a test."""
    from workbench.runner import engine

    real = engine.report_languages

    def languages(spec):
        return ("en",) if spec.name == "segmentation" else real(spec)

    monkeypatch.setattr(engine, "report_languages", languages)
    return languages


def test_a_study_not_yet_translated_refuses_a_chinese_report_before_running(
    reports, one_untranslated
):
    untranslated = [s for s in STUDIES.values() if one_untranslated(s) == ("en",)]
    assert [s.name for s in untranslated] == ["segmentation"]
    spec = untranslated[0]
    code, _, err = run_main(["run", spec.name, "--data", str(DATA / "bfi.csv"), "--lang", "zh"])
    assert code == 2 and "not written in 'zh' yet" in err and "member-analytics" in err
    code, _, err = run_main(["run", "member-analytics", "--data", "x.csv", "--lang", "fr"])
    assert code == 2 and "Unknown report language 'fr'" in err
    assert not reports.exists() or not any(reports.rglob("results.json"))


def test_the_index_page_is_bilingual_and_names_each_run_language(tmp_path):
    for name, lang in (("a", "zh"), ("b", "zh-Hant"), ("c", None)):
        folder = tmp_path / "member-analytics" / name
        folder.mkdir(parents=True)
        res = {"study": "member-analytics", "started": f"2026-01-0{ord(name) - 96}T09:00:00",
               "headline": {"members": 12, "churn AUC": 0.81}, "warnings": []}  # fmt: skip
        if lang:
            res["lang"] = lang
        (folder / "results.json").write_text(json.dumps(res), encoding="utf-8")
    page = update_index(tmp_path).read_text(encoding="utf-8")
    assert "3 run(s), newest first" in page and "共 3 次运行" in page
    assert "Study · 研究" in page and "Language · 语言" in page
    assert page.count("简体中文") == 1 and page.count("繁體中文") == 1
    assert "流失模型 AUC: 0.810" in page and "churn AUC: 0.810" in page


def test_findings_written_elsewhere_are_translated_for_the_report():
    box = findings_html(["No long-term (13+ periods) estimate: lags = 11."], lang="zh")
    assert "<h2>主要发现</h2>" in box and "没有长期（13 期及以上）估计" in box
    assert "Key findings" in findings_html([], lang="en")


def test_static_figures_draw_chinese_text_without_missing_glyphs(recwarn):
    import io

    import matplotlib.pyplot as plt
    import pandas as pd

    from workbench.presentation.plots import cjk_font, loadings_heatmap

    if cjk_font() is None:
        pytest.fail("no CJK font installed: install fonts-noto-cjk (.ci/run does)")
    loadings = pd.DataFrame({"F1": [0.8, 0.1], "F2": [0.05, 0.7]}, index=["满意度", "信任"])
    with i18n.language("zh"):
        ax = loadings_heatmap(loadings)
    assert ax.get_title() == "模式载荷"
    ax.figure.savefig(io.BytesIO(), format="png")
    plt.close(ax.figure)
    assert not [w for w in recwarn if "missing from" in str(w.message)]


# --------------------------------------------------------------------------- whole reports
def _visible_text(page: str) -> str:
    """What a reader sees, without scripts, code, and parts marked English (cited titles)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", "\n", page)
    page = re.sub(r"(?is)<(\w+)\b[^>]*\blang=['\"]en['\"][^>]*>.*?</\1>", "\n", page)
    page = re.sub(r"(?is)<code\b.*?</code>", "\n", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", "\n", page))


def _english_runs(text: str, names: set[str]) -> list[str]:
    """Runs of three or more English words in a row (names and identifiers taken out)."""
    words = [w for w in re.split(r"[ \t]+", text)]
    kept = " ".join("\n" if w in names or "_" in w else w for w in words)
    return re.findall(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z][A-Za-z'’-]*){2,}", kept)


def _small_log(tmp_path: Path) -> Path:
    lines = (DATA / "cdnow_transactions.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cdnow_small.csv"
    path.write_text("\n".join(lines[:12001]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chinese_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n")
    log = _small_log(tmp)
    programme = get_study("programme-evaluation").default_runs[0]
    jobs = []
    for lang in ("zh", "zh-Hant"):
        jobs.append(("member-analytics", lang, {"data": str(log), "params": {}}))
        jobs.append(
            (
                "programme-evaluation",
                lang,
                {
                    "data": str(ROOT / programme.data),
                    "codebook": str(ROOT / programme.codebook),
                    "params": programme.params,
                },
            )
        )

    def one(job):
        study, lang, kwargs = job
        return run_study(study, out=str(tmp / f"{study}-{lang}"), lang=lang, **kwargs)

    with ThreadPoolExecutor(max_workers=4) as pool:
        folders = list(pool.map(one, jobs))
    return {(study, lang): folder for (study, lang, _), folder in zip(jobs, folders, strict=True)}


@pytest.mark.parametrize("lang", ["zh", "zh-Hant"])
@pytest.mark.parametrize("study", TRANSLATED)
def test_a_chinese_report_leaves_no_english_sentence(chinese_runs, study, lang):
    folder = chinese_runs[(study, lang)]
    page = (folder / "report.html").read_text(encoding="utf-8")
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert results["lang"] == lang and results["command"].endswith(f"--lang {lang}")
    assert f"<html lang='{i18n.HTML_LANG[lang]}'>" in page
    assert ("主要发现" if lang == "zh" else "主要發現") in page
    assert "Key findings" not in page and page.count("Plotly.newPlot") >= 2
    # names from the data and the parameters are not sentences to translate
    names = {str(k) for k in results["parameters"]} | set(STUDIES[study].defaults)
    left = _english_runs(_visible_text(page), names)
    assert not left, left[:10]
    # the check itself is not blind: an English sentence in a table cell is found
    assert _english_runs(_visible_text("<td>the initiative raised spend</td>"), names)
    # findings and warnings were written in the report's language (results.json keeps them)
    assert all(has_cjk(f) for f in results["warnings"])


def test_workbench_report_renders_translated_studies_in_both_languages(
    monkeypatch, reports, one_untranslated
):
    from workbench.runner import engine

    calls = []

    def fake_run(spec, *, lang, **kwargs):
        calls.append((spec.name, lang))
        return reports / spec.name / lang

    monkeypatch.setattr(engine, "run_study", fake_run)
    monkeypatch.setattr("workbench.presentation.report.update_index", lambda root: root)
    engine.run_defaults(jobs=1)
    # every study whose notebook lists Chinese (these two, and those with their own
    # tests/test_i18n_<study>.py)
    translated = {s.name for s in STUDIES.values() if one_untranslated(s) != ("en",)}
    assert "segmentation" not in translated
    assert set(TRANSLATED) <= translated
    for spec in STUDIES.values():
        runs = len(spec.default_runs)
        expected = ["en", "zh"] if spec.name in translated else ["en"]
        for lang in ("en", "zh"):
            assert calls.count((spec.name, lang)) == (runs if lang in expected else 0), spec.name
    calls.clear()
    engine.run_defaults(jobs=1, langs=("zh-Hant",))
    assert {lang for name, lang in calls if name in translated} == {"zh-Hant"}
    assert {lang for name, lang in calls if name not in translated} == {"en"}


def test_batch_language_is_checked_before_any_run(reports, one_untranslated):
    code, _, err = run_main(
        ["batch", "segmentation", "--data", str(DATA / "segments_survey.csv"), "--by", "tier",
         "--lang", "zh"]
    )  # fmt: skip
    assert code == 2 and "not written in 'zh' yet" in err
    code, _, err = run_main(
        [
            "batch",
            "member-analytics",
            "--data",
            "log.csv",
            "--by",
            "store",
            "--lang",
            "zh",
            "--scheduler",
            "tcp://127.0.0.1:1",
        ]
    )
    assert code == 2 and "WORKBENCH_LANG" in err
