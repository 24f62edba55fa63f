"""APA 7 number formatting and the export markup (workbench.presentation.apa).

Rules from the *Publication Manual of the American Psychological Association* (7th ed.,
2020): section 6.36 (decimals; no leading zero for values that cannot exceed 1; exact p to
two or three decimals, p < .001), 6.38-6.40 (thousands comma), 6.43 (confidence intervals in
brackets), 6.44 (italic statistical symbols, upright Greek letters and abbreviations). The
rounding of the digits is R's (``sprintf``, C's printf), from tests/reference/apa_format.R.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workbench.presentation import apa
from workbench.presentation.apa import (
    MINUS,
    MISSING,
    escape,
    format_bounded,
    format_ci,
    format_df,
    format_int,
    format_number,
    format_p,
    format_percent,
    format_stat,
    p_text,
    parse,
    plain,
    render,
    stat_text,
    symbol,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "apa_format.json").read_text(encoding="utf-8")
)


def _apa_from_r(r_text: str) -> str:
    """R's digits with APA's signs: the true minus, and no sign on a value that rounds to 0."""
    if r_text.startswith("-"):
        body = r_text[1:]
        return body if set(body) <= set("0.,") else MINUS + body
    return r_text


# ----------------------------------------------------------------------------- digits as R
@pytest.mark.parametrize("row", REFERENCE["rows"], ids=lambda r: repr(r["value"]))
def test_digits_round_as_r_sprintf_does(row):
    value = row["value"]
    assert format_number(value, 2) == _apa_from_r(row["f2_comma"])
    assert format_number(value, 3).replace(",", "") == _apa_from_r(row["f3"])


@pytest.mark.parametrize("row", REFERENCE["rows"], ids=lambda r: repr(r["value"]))
def test_bounded_statistics_drop_only_the_leading_zero(row):
    expected = _apa_from_r(row["f2"])
    if expected.lstrip(MINUS).startswith("0."):
        expected = expected.replace("0.", ".", 1)
    assert format_bounded(row["value"]).replace(",", "") == expected


# ----------------------------------------------------------------------------- leading zero
@pytest.mark.parametrize(
    ("statistic", "value", "expected"),
    [
        ("r", 0.4172, ".42"),
        ("r", -0.4172, f"{MINUS}.42"),
        ("beta", 0.196, ".20"),
        ("R2", 0.2821, ".28"),
        ("loading", 0.7641, ".76"),
        ("alpha", 0.8493, ".85"),
        ("omega", 0.8184, ".82"),
        ("cfi", 0.99354, ".994"),
        ("tli", 0.99258, ".993"),
        ("rmsea", 0.0123608, ".012"),
        ("srmr", 0.0231, ".023"),
        # values that can exceed 1 keep the zero
        ("b", 0.2169, "0.22"),
        ("se", 0.04005, "0.04"),
        ("t", -0.1725, f"{MINUS}0.17"),
        ("M", 4.7809, "4.78"),
        ("SD", 1.4485, "1.45"),
        ("chi2", 924.7184, "924.72"),
        ("F", 65.432, "65.43"),
    ],
)
def test_statistics_bounded_by_one_have_no_leading_zero(statistic, value, expected):
    assert format_stat(value, statistic) == expected


def test_a_bounded_statistic_that_exceeds_one_prints_its_integer_part():
    # a Heywood loading or a TLI above 1 is printed as it is, not as ".02"
    assert format_bounded(1.0213) == "1.02"
    assert format_stat(1.00048, "tli") == "1.000"


def test_negative_numbers_take_the_true_minus_sign_and_rounded_zero_has_none():
    assert format_number(-2.5) == f"{MINUS}2.50"
    assert "-" not in format_number(-2.5)
    assert format_number(-0.004) == "0.00"
    assert format_bounded(-0.004) == ".00"
    assert format_number(-1e-15, 3) == "0.000"


def test_plus_sign_marks_positive_changes_only():
    assert format_number(0.0011, 3, leading_zero=False, plus=True) == "+.001"
    assert format_number(-0.0026, 3, leading_zero=False, plus=True) == f"{MINUS}.003"
    assert format_number(0.0001, 3, leading_zero=False, plus=True) == ".000"


def test_missing_values_are_a_dash():
    for value in (None, math.nan, math.inf, "n/a", True):
        assert format_number(value) == MISSING
        assert format_p(value) == MISSING
        assert format_int(value) == MISSING
    assert format_ci(None, math.nan) == MISSING


# ----------------------------------------------------------------------------- p values
@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0231, ".023"),
        (0.05, ".050"),
        (0.001, ".001"),
        (0.00099999, "< .001"),
        (0.0005, "< .001"),
        (0.0, "< .001"),
        (5.3e-08, "< .001"),
        (0.8632, ".863"),
        (0.9994, ".999"),
        (0.9996, "> .999"),
        (1.0, "> .999"),
    ],
)
def test_p_values_have_three_decimals_and_never_read_zero_or_one(p, expected):
    assert format_p(p) == expected


def test_p_values_with_two_decimals_switch_to_three_below_01():
    assert format_p(0.2349, decimals=2) == ".23"
    assert format_p(0.0049, decimals=2) == ".005"
    assert format_p(0.0004, decimals=2) == "< .001"
    assert format_p(0.996, decimals=2) == "> .99"


def test_p_outside_zero_one_or_odd_decimals_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        format_p(1.2)
    with pytest.raises(ValueError, match="2 or 3"):
        format_p(0.5, decimals=4)


def test_p_in_running_text_uses_equals_or_less_than_with_italic_p():
    assert p_text(0.0231) == "*p* = .023"
    assert p_text(1e-9) == "*p* < .001"
    assert plain(p_text(0.9999)) == "p > .999"


# ----------------------------------------------------------------------------- other numbers
def test_confidence_intervals_are_in_brackets():
    assert format_ci(0.808577, 1.7055) == "[0.81, 1.71]"
    assert format_ci(-0.0198, 0.2324, bounded=True) == f"[{MINUS}.02, .23]"
    assert format_ci(0.0068, 0.01649, 3, bounded=True) == "[.007, .016]"


def test_counts_and_degrees_of_freedom():
    assert format_int(800) == "800"
    assert format_int(16493.4) == "16,493"
    assert format_df(946) == "946"
    assert format_df(3.0) == "3"
    assert format_df(780.75994) == "780.76"  # Barnard-Rubin df are fractional


def test_percentages():
    assert format_percent(0.4283) == "43%"
    assert format_percent(0.2027, 1) == "20.3%"
    assert format_percent(-0.05) == f"{MINUS}5%"


def test_unknown_statistic_names_the_known_ones():
    with pytest.raises(ValueError, match="known: p, r, beta"):
        format_stat(0.5, "kappa")
    with pytest.raises(ValueError, match="unknown symbol"):
        symbol("kappa")


# ----------------------------------------------------------------------------- symbols
def test_latin_symbols_are_italic_and_greek_letters_and_abbreviations_are_not():
    for name in ("p", "r", "t", "F", "M", "SD", "SE", "df", "n", "N", "b"):
        spans = parse(symbol(name))
        assert all(s.italic for s in spans), name
    for name in ("beta", "alpha", "omega", "chi2", "lambda", "CI"):
        assert not any(s.italic for s in parse(symbol(name))), name
    r2 = parse(symbol("R2"))
    assert [(s.text, s.italic) for s in r2] == [("R", True), ("\u00b2", False)]


def test_stat_text_puts_df_in_parentheses():
    assert stat_text("chi2", "924.72", "824") == "\u03c7\u00b2(824) = 924.72"
    assert stat_text("F", "65.43", "4, 664") == "*F*(4, 664) = 65.43"
    assert stat_text("p", "< .001") == "*p* < .001"


# ----------------------------------------------------------------------------- markup
def test_markup_parses_italic_bold_and_escapes():
    spans = parse("**Table 1** *Note.* a\\*b")
    assert [(s.text, s.italic, s.bold) for s in spans] == [
        ("Table 1", False, True),
        (" ", False, False),
        ("Note.", True, False),
        (" a*b", False, False),
    ]


def test_escaped_data_text_comes_back_unchanged():
    for label in ("a*b", "back\\slash", "满意度 / satisfaction", "**x**", "R&D_100%"):
        assert plain(escape(label)) == label


def test_rendering_each_target():
    markup = "*p* < .001, *M* = 4.78"
    assert render(markup, "text") == "p < .001, M = 4.78"
    assert render(markup, "md") == "*p* < .001, *M* = 4.78"
    assert render(markup, "html") == "<em>p</em> &lt; .001, <em>M</em> = 4.78"
    assert render(markup, "tex") == r"\textit{p} \textless{} .001, \textit{M} = 4.78"
    with pytest.raises(ValueError, match="unknown target"):
        render(markup, "rtf")  # type: ignore[arg-type]


def test_latex_escapes_specials_and_maps_symbols_for_pdflatex():
    assert render(escape("R&D_1 50% #2 {x} ~ $"), "tex") == (
        r"R\&D\_1 50\% \#2 \{x\} \textasciitilde{} \$"
    )
    assert render(f"\u03c7\u00b2(3) = {MINUS}1.5, \u03b2, \u03b1, \u03c9, \u0394CFI", "tex") == (
        r"$\chi$\textsuperscript{2}(3) = $-$1.5, $\beta$, $\alpha$, $\omega$, $\Delta$CFI"
    )


def test_markdown_escapes_table_and_emphasis_characters():
    assert render(escape("a|b_c*d"), "md") == r"a\|b\_c\*d"
    # emphasis markers hug the text so that Markdown sees them
    assert render("* p *", "md") == " *p* "


def test_an_italic_title_keeps_its_symbols_italic_in_one_run():
    title = "Share of *R*\u00b2 by Driver"
    assert render(title, "md", italic=True) == "*Share of R\u00b2 by Driver*"
    assert render(title, "html", italic=True) == "<em>Share of R\u00b2 by Driver</em>"


def test_join_list_uses_the_serial_comma():
    assert apa.join_list(["a"], "and") == "a"
    assert apa.join_list(["a", "b"], "and") == "a and b"
    assert apa.join_list(["a", "b", "c"], "and") == "a, b, and c"


def test_a_chinese_list_takes_the_enumeration_comma_and_no_spaces():
    # Chinese academic style: 顿号 between items, the conjunction before the last
    assert apa.join_list(["信任"], "和") == "信任"
    assert apa.join_list(["信任", "价值"], "和") == "信任和价值"
    assert apa.join_list(["trust", "value", "belonging"], "和") == "trust、value和belonging"


def test_sentences_are_joined_with_a_space_only_after_an_english_full_stop():
    assert apa.join_sentences("One.", "Two.") == "One. Two."
    assert apa.join_sentences("缺失数据处理：无。", "本研究……。") == "缺失数据处理：无。本研究……。"
    assert apa.join_sentences("", "Two.") == "Two."


def test_latin_words_in_chinese_text_are_set_apart_but_numbers_and_symbols_are_not():
    assert apa.space_cjk("对Loyalty进行回归") == "对 Loyalty 进行回归"
    assert apa.space_cjk("表1") == "表1"  # the table number stays as Chinese theses write it
    assert apa.space_cjk("（Hayes, 2022）；*p* < .001") == "（Hayes, 2022）；*p* < .001"
    assert apa.space_cjk("trust、value") == "trust、value"  # full-width punctuation: no space


def test_a_symbol_with_words_is_translated_and_a_bare_symbol_is_not():
    from workbench import i18n

    with i18n.language("zh"):
        assert symbol("adj_R2") == "调整后 *R*\u00b2"
        assert symbol("p") == "*p*" and symbol("beta") == "\u03b2"
    assert symbol("adj_R2") == "Adjusted *R*\u00b2"
