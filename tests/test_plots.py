"""Chinese labels in figures: drawn with a CJK font when one exists, codes plus a warning if not."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from workbench.plots import (
    NO_CJK_FONT_WARNING,
    cjk_font,
    correlation_heatmap,
    figure_labels,
    has_cjk,
    setup_matplotlib,
)

CODES = ["SA1", "SA2", "TR1"]
CHINESE = ["总体满意度", "达到期望", "Trust / 信任"]

needs_cjk_font = pytest.mark.skipif(
    cjk_font() is None,
    reason="no CJK font installed (install Debian's fonts-noto-cjk to run this test)",
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
    if cjk_font() is None:
        assert (labels, warning) == (CODES, NO_CJK_FONT_WARNING)
    else:
        assert (labels, warning) == (CHINESE, None)


def test_missing_glyph_warning_is_detected_without_a_cjk_font():
    """Control: the check below really catches boxes when only a Latin font is used."""
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    fig, ax = plt.subplots()
    ax.set_xticks([0, 1, 2], CHINESE)
    assert glyph_warnings(fig), "matplotlib no longer warns about missing glyphs"


@needs_cjk_font
def test_chinese_tick_labels_draw_without_missing_glyphs():
    setup_matplotlib()
    fig, ax = plt.subplots()
    ax.bar(range(3), [1, 2, 3])
    ax.set_xticks([0, 1, 2], CHINESE)
    ax.set_title("会员忠诚度 / Member loyalty")
    assert glyph_warnings(fig) == []


@needs_cjk_font
def test_correlation_heatmap_with_chinese_labels_draws_without_missing_glyphs():
    setup_matplotlib()
    rng = np.random.default_rng(2026)
    data = pd.DataFrame(rng.normal(size=(50, 3)), columns=CODES)
    labels, warning = figure_labels(CODES, CHINESE)
    assert warning is None
    ax = correlation_heatmap(data.corr(), labels=labels, title="题目相关 / Item correlations")
    assert [t.get_text() for t in ax.get_xticklabels()] == CHINESE
    assert glyph_warnings(ax.figure) == []


def test_residual_chart_samples_large_samples_and_says_so_in_its_title():
    from workbench.plots import residual_chart

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
