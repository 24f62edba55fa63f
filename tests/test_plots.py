"""Figures as readers see them.

Chinese labels: drawn with a CJK font when the system has one (also when it was installed
after matplotlib cached its font list), codes plus a warning if not. Whether the system has
one is asked of fontconfig, not of matplotlib, whose cached list can be stale: a test that
skipped on matplotlib's word would pass without testing anything on exactly the machines
where the bug shows. Cohorts are labelled by their period.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from workbench.presentation import plots
from workbench.presentation.plots import (
    NO_CJK_FONT_WARNING,
    cjk_font,
    cohort_curves,
    cohort_heatmap,
    correlation_heatmap,
    figure_labels,
    has_cjk,
    infer_period,
    period_label,
    setup_matplotlib,
    system_cjk_font_files,
)

ROOT = Path(__file__).resolve().parents[1]
CODES = ["SA1", "SA2", "TR1"]
CHINESE = ["总体满意度", "达到期望", "Trust / 信任"]


def fontconfig_cjk_files() -> list[str]:
    """CJK font files as fontconfig lists them: the truth the skip below rests on."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    out = subprocess.run(
        [fc_list, ":lang=zh", "file"], capture_output=True, text=True, check=True
    ).stdout
    files = (line.split(":")[0].strip() for line in out.splitlines())
    return sorted({os.path.realpath(f) for f in files if f})


SYSTEM_CJK_FILES = fontconfig_cjk_files()
needs_cjk_font = pytest.mark.skipif(
    not SYSTEM_CJK_FILES,
    reason="fontconfig lists no CJK font (install Debian's fonts-noto-cjk to run this test)",
)


@pytest.fixture(autouse=True)
def _restore_matplotlib():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def glyph_warnings(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_has_cjk_detects_chinese_only():
    assert has_cjk("满意度") and has_cjk("Trust / 信任")
    assert not has_cjk("Satisfaction") and not has_cjk("Zürich – café")


def test_figure_labels_fall_back_to_codes_without_a_cjk_font():
    labels, warning = figure_labels(CODES, CHINESE, font_available=False)
    assert labels == CODES
    assert warning == NO_CJK_FONT_WARNING
    assert "fonts-noto-cjk" in warning and "item codes" in warning


def test_figure_labels_keep_chinese_when_a_font_exists():
    assert figure_labels(CODES, CHINESE, font_available=True) == (CHINESE, None)


def test_figure_labels_keep_latin_labels_without_a_cjk_font():
    latin = ["Overall satisfaction", "Meets expectations", "Trust"]
    assert figure_labels(CODES, latin, font_available=False) == (latin, None)


def test_figure_labels_look_the_font_up_by_default():
    labels, warning = figure_labels(CODES, CHINESE)
    if SYSTEM_CJK_FILES:
        assert (labels, warning) == (CHINESE, None)
    else:
        assert (labels, warning) == (CODES, NO_CJK_FONT_WARNING)


@pytest.fixture(params=["current font list", "font list cached before the CJK font was installed"])
def font_list(request, monkeypatch):
    """matplotlib's font list as it is, and as it was cached before fonts-noto-cjk came."""
    from matplotlib import font_manager

    if request.param != "current font list":
        installed = set(SYSTEM_CJK_FILES)
        stale = [
            f
            for f in font_manager.fontManager.ttflist
            if os.path.realpath(f.fname) not in installed
        ]
        monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    cjk_font.cache_clear()
    yield request.param
    cjk_font.cache_clear()


@needs_cjk_font
def test_a_cjk_font_is_found_whenever_fontconfig_lists_one(font_list):
    from matplotlib import font_manager

    font = cjk_font()
    assert font is not None, f"fontconfig lists {SYSTEM_CJK_FILES} but no CJK font was found"
    files = {os.path.realpath(f.fname) for f in font_manager.fontManager.ttflist if f.name == font}
    assert files & set(SYSTEM_CJK_FILES)
    assert figure_labels(CODES, CHINESE) == (CHINESE, None)


@needs_cjk_font
def test_a_font_cache_written_before_the_font_was_installed_is_worked_around(tmp_path):
    """The situation on the machine, reproduced on disk: a fresh MPLCONFIGDIR whose font
    cache lacks the CJK fonts, then a new process that draws Chinese labels."""
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "PYTHONPATH": str(ROOT)}
    write_stale_cache = textwrap.dedent(
        """
        import json, os, sys
        from pathlib import Path
        import matplotlib
        from matplotlib import font_manager
        installed = set(json.loads(sys.argv[1]))
        manager = font_manager.fontManager
        manager.ttflist = [
            f for f in manager.ttflist if os.path.realpath(f.fname) not in installed
        ]
        name = f"fontlist-v{font_manager.FontManager.__version__}.json"
        font_manager.json_dump(manager, Path(matplotlib.get_cachedir(), name))
        """
    )
    draw = textwrap.dedent(
        """
        import json, os, sys, warnings
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import font_manager
        installed = set(json.loads(sys.argv[1]))
        known = {os.path.realpath(f.fname) for f in font_manager.fontManager.ttflist}
        import matplotlib.pyplot as plt
        from workbench.presentation.plots import cjk_font, figure_labels, setup_matplotlib
        setup_matplotlib()
        labels, warning = figure_labels(["SA1"], ["总体满意度"])
        fig, ax = plt.subplots()
        ax.set_xticks([0], labels)
        ax.set_title("会员忠诚度 / Member loyalty")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        print(json.dumps({"stale": not (known & installed), "font": cjk_font(),
                          "warning": warning, "missing": missing}))
        """
    )
    files = json.dumps(SYSTEM_CJK_FILES)
    for script in (write_stale_cache, draw):
        done = subprocess.run(
            [sys.executable, "-c", script, files],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["stale"], "the stale font cache was not reproduced: the test proves nothing"
    assert result["font"] is not None and result["warning"] is None
    assert result["missing"] == []


def test_without_fontconfig_the_usual_font_folders_are_scanned(tmp_path, monkeypatch):
    (tmp_path / "noto").mkdir()
    for name in ("NotoSansCJK-Regular.ttc", "DejaVuSans.ttf", "wqy-microhei.ttc", "notes.txt"):
        (tmp_path / "noto" / name).write_bytes(b"")
    monkeypatch.setattr(plots.shutil, "which", lambda name: None)
    monkeypatch.setattr(plots, "FONT_DIRS", (str(tmp_path), str(tmp_path / "absent")))
    found = [Path(f).name for f in system_cjk_font_files()]
    assert found == ["NotoSansCJK-Regular.ttc", "wqy-microhei.ttc"]


def test_missing_glyph_warning_is_detected_without_a_cjk_font():
    """Control: the check below really catches boxes when only a Latin font is used."""
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    fig, ax = plt.subplots()
    ax.set_xticks([0, 1, 2], CHINESE)
    assert glyph_warnings(fig), "matplotlib no longer warns about missing glyphs"


@needs_cjk_font
def test_chinese_tick_labels_draw_without_missing_glyphs(font_list):
    setup_matplotlib()
    fig, ax = plt.subplots()
    ax.bar(range(3), [1, 2, 3])
    ax.set_xticks([0, 1, 2], CHINESE)
    ax.set_title("会员忠诚度 / Member loyalty")
    assert glyph_warnings(fig) == []


@needs_cjk_font
def test_correlation_heatmap_with_chinese_labels_draws_without_missing_glyphs(font_list):
    setup_matplotlib()
    rng = np.random.default_rng(2026)
    data = pd.DataFrame(rng.normal(size=(50, 3)), columns=CODES)
    labels, warning = figure_labels(CODES, CHINESE)
    assert warning is None
    ax = correlation_heatmap(data.corr(), labels=labels, title="题目相关 / Item correlations")
    assert [t.get_text() for t in ax.get_xticklabels()] == CHINESE
    assert glyph_warnings(ax.figure) == []


def test_residual_chart_samples_large_samples_and_says_so_in_its_title():
    from workbench.presentation.plots import residual_chart

    rng = np.random.default_rng(3)
    fitted = pd.Series(rng.normal(size=12_000))
    resid = pd.Series(rng.normal(size=12_000))
    fig = residual_chart(fitted, resid, max_points=5_000, seed=1)
    assert len(fig.data[0].x) == 5_000  # the respondents' points: a sample
    assert "a random sample of 5,000 respondents" in fig.layout.title.text
    again = residual_chart(fitted, resid, max_points=5_000, seed=1)
    np.testing.assert_array_equal(fig.data[0].x, again.data[0].x)  # seeded
    small = residual_chart(fitted[:300], resid[:300], max_points=5_000)
    assert len(small.data[0].x) == 300 and "sample" not in small.layout.title.text


# --------------------------------------------------------------------------- cohorts
COHORT_CASES = [
    ("month", ["2025-01-01", "2025-02-01", "2025-03-01"], ["2025-01", "2025-02", "2025-03"]),
    ("week", ["2025-01-06", "2025-01-13", "2025-01-20"], ["2025-W02", "2025-W03", "2025-W04"]),
    ("quarter", ["2025-01-01", "2025-04-01", "2025-07-01"], ["2025Q1", "2025Q2", "2025Q3"]),
    ("year", ["2023-01-01", "2024-01-01", "2025-01-01"], ["2023", "2024", "2025"]),
]


@pytest.mark.parametrize(("period", "starts", "labels"), COHORT_CASES)
def test_cohort_heatmap_labels_each_cohort_by_its_period(period, starts, labels):
    matrix = pd.DataFrame(
        [[1.0, 0.5], [1.0, 0.4], [1.0, np.nan]], index=pd.DatetimeIndex(starts), columns=[0, 1]
    )
    assert infer_period(matrix.index) == period
    for given in (period, None):  # named by the study, or read off the dates
        fig = cohort_heatmap(matrix, period=given)
        assert list(fig.data[0].y) == labels
        # a category axis: a date axis would draw its own ticks (weekly dates on months)
        assert fig.layout.yaxis.type == "category"
        html = fig.to_html(include_plotlyjs=False, full_html=False)
        assert all(f'"{label}"' in html for label in labels)
        assert "00:00:00" not in html
    assert [t.name for t in cohort_curves(matrix, period=period).data] == labels


def test_period_label_names_periods_as_readers_write_them():
    assert period_label(pd.Timestamp("2024-12-30"), "week") == "2025-W01"  # ISO week-year
    assert period_label(pd.Period("2025-05", "M"), "quarter") == "2025Q2"
    assert period_label("2025-03-04", "day") == "2025-03-04"
    assert period_label("all", "month") == "all"
    with pytest.raises(ValueError, match="week, month, quarter, year, day"):
        period_label("2025-01-01", "fortnight")
