"""APA 7 number formatting and the small text markup that export documents are written in.

Numbers
-------
The rules of the *Publication Manual of the American Psychological Association* (7th ed.,
2020, sections 6.36 and 6.40-6.44; tables 7.1-7.3) that a results table needs:

* statistics that cannot exceed 1 in absolute value (correlations, standardized
  coefficients, *R*\\ :sup:`2`, loadings, reliability coefficients, proportions, *p*) are
  written without a leading zero (``.42``, ``−.08``); others keep it (``0.42``);
* correlations, proportions and inferential statistics (*t*, *F*, χ²) get two decimals;
  exact *p* values three, and ``< .001`` below .001 (never ``.000``; a value that would
  round to 1 is written ``> .999``);
* negative numbers take a true minus sign (U+2212), and a value that rounds to zero has
  no sign;
* confidence intervals are written in brackets, ``[0.12, 0.34]``; whole numbers of 1,000
  or more take a thousands comma (``1,234``; degrees of freedom too);
* statistic symbols in Latin letters are italic (*p*, *t*, *M*, *SD*, *R*\\ :sup:`2`), Greek
  letters and abbreviations (α, β, χ², CFI, RMSEA) are not.

Markup
------
Titles, notes, cells and sentences are *markup* strings: ``*text*`` is italic, ``**text**``
bold and a backslash escapes the next character. Each export target renders markup its own
way (:func:`render`: Markdown, LaTeX, HTML or plain text; the Word writer reads the spans
of :func:`parse`). Text that comes from the data (labels, item codes) goes through
:func:`escape` first, so an asterisk in a label stays an asterisk.

The formatting functions return markup too (they never produce ``*`` themselves, except
:func:`p_text` and :func:`symbol`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from typing import Any, Literal

Target = Literal["md", "tex", "html", "text"]

MINUS = "\u2212"
#: What a table cell shows for a value that is absent or could not be computed (APA: a dash).
MISSING = "\u2014"

#: decimals and whether the statistic is bounded by 1 (then written without a leading zero)
STATISTICS: dict[str, tuple[int, bool]] = {
    "r": (2, True),
    "beta": (2, True),
    "std": (2, True),
    "R2": (2, True),
    "loading": (2, True),
    "communality": (2, True),
    "alpha": (2, True),
    "omega": (2, True),
    "cr": (2, True),
    "ave": (2, True),
    "htmt": (2, True),
    "proportion": (2, True),
    "cfi": (3, True),
    "tli": (3, True),
    "rmsea": (3, True),
    "srmr": (3, True),
    "kmo": (2, True),
    "auc": (2, True),
    "f2": (2, False),
    "estimate": (2, False),
    "b": (2, False),
    "se": (2, False),
    "t": (2, False),
    "z": (2, False),
    "F": (2, False),
    "chi2": (2, False),
    "M": (2, False),
    "SD": (2, False),
    "aic": (2, False),
    "bic": (2, False),
    "loglik": (2, False),
}

#: statistic symbols as markup (italic Latin letters, upright Greek letters and abbreviations)
SYMBOLS: dict[str, str] = {
    "p": "*p*",
    "r": "*r*",
    "R2": "*R*\u00b2",
    "adj_R2": "Adjusted *R*\u00b2",
    "b": "*b*",
    "B": "*B*",
    "beta": "\u03b2",
    "SE": "*SE*",
    "t": "*t*",
    "F": "*F*",
    "z": "*z*",
    "chi2": "\u03c7\u00b2",
    "df": "*df*",
    "M": "*M*",
    "SD": "*SD*",
    "n": "*n*",
    "N": "*N*",
    "k": "*k*",
    "alpha": "\u03b1",
    "omega": "\u03c9",
    "lambda": "\u03bb",
    "h2": "*h*\u00b2",
    "f2": "*f*\u00b2",
    "Q2": "*Q*\u00b2",
    "CI": "CI",
    "delta": "\u0394",
}


# ----------------------------------------------------------------------------- numbers
def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, and anything that is not a real number."""
    if value is None or isinstance(value, bool):
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _signed(text: str) -> str:
    """Replace a hyphen-minus by the true minus sign; drop the sign of a rounded zero."""
    if text.startswith("-"):
        body = text[1:]
        if set(body) <= set("0.,"):  # e.g. -0.00: rounds to zero, no sign
            return body
        return MINUS + body
    return text


def format_number(
    value: Any, decimals: int = 2, *, leading_zero: bool = True, plus: bool = False
) -> str:
    """A number rounded to ``decimals`` with the true minus sign, APA style.

    Parameters
    ----------
    value
        The number; ``None``/NaN give :data:`MISSING` (an em dash).
    decimals
        Digits after the decimal point.
    leading_zero
        ``False`` for statistics that cannot exceed 1 (APA 7, section 6.36): ``.42``.
    plus
        Write ``+`` before positive values (changes, differences).

    Notes
    -----
    Rounding is that of C's ``printf`` on the binary value, as R's ``sprintf`` and
    ``formatC`` (``sprintf("%.2f", x)``) round, so a table matches what R prints.

    Examples
    --------
    >>> format_number(-0.4172), format_number(0.4172, leading_zero=False)
    ('−0.42', '.42')
    >>> format_number(1234.5), format_number(-0.001), format_number(float("nan"))
    ('1,234.50', '0.00', '—')
    """
    if is_missing(value):
        return MISSING
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, not {decimals}")
    text = _signed(f"{float(value):,.{decimals}f}")
    if not leading_zero:
        text = re.sub(r"^(\u2212?)0\.", r"\1.", text)
    if plus and text[0] != MINUS and any(ch in "123456789" for ch in text):
        text = "+" + text
    return text


def format_bounded(value: Any, decimals: int = 2) -> str:
    """A statistic bounded by 1 (r, β, R², loadings, α, ω, CFI, RMSEA): no leading zero.

    >>> format_bounded(0.8493), format_bounded(-0.08), format_bounded(1.0)
    ('.85', '−.08', '1.00')
    """
    return format_number(value, decimals, leading_zero=False)


def format_int(value: Any) -> str:
    """A count with a thousands comma (APA 7, section 6.38): ``1,234``.

    >>> format_int(800), format_int(16493.0), format_int(None)
    ('800', '16,493', '—')
    """
    if is_missing(value):
        return MISSING
    return _signed(f"{round(float(value)):,d}")


def format_df(value: Any) -> str:
    """Degrees of freedom: whole numbers as such, fractional ones (Welch, Satterthwaite,
    Barnard-Rubin) with two decimals.

    >>> format_df(946), format_df(12.0), format_df(87.456)
    ('946', '12', '87.46')
    """
    if is_missing(value):
        return MISSING
    v = float(value)
    return format_int(v) if abs(v - round(v)) < 1e-9 else format_number(v, 2)


def format_p(value: Any, *, decimals: int = 3) -> str:
    """A *p* value for a table cell: ``.023``, ``< .001``, ``> .999`` (APA 7, section 6.36).

    Parameters
    ----------
    value
        The *p* value, between 0 and 1.
    decimals
        2 or 3 (APA allows either); values below .001 are always ``< .001`` and, with two
        decimals, values below .01 are given to three so that they do not read ``.00``.

    Examples
    --------
    >>> format_p(0.0231), format_p(0.00004), format_p(0.9999), format_p(0.05)
    ('.023', '< .001', '> .999', '.050')
    >>> format_p(0.0049, decimals=2), format_p(0.2349, decimals=2)
    ('.005', '.23')
    """
    if is_missing(value):
        return MISSING
    p = float(value)
    if p < 0 or p > 1:
        raise ValueError(f"a p value lies between 0 and 1, not {p}")
    if decimals not in (2, 3):
        raise ValueError(f"decimals must be 2 or 3, not {decimals}")
    if p < 0.001:
        return "< .001"
    if decimals == 2 and p < 0.01:
        decimals = 3
    text = format_number(p, decimals, leading_zero=False)
    if text.startswith("1"):
        return "> ." + "9" * decimals
    return text


def p_text(value: Any, *, decimals: int = 3) -> str:
    """A *p* value in running text, as markup: ``*p* = .023`` or ``*p* < .001``.

    >>> p_text(0.0231), p_text(1e-9)
    ('*p* = .023', '*p* < .001')
    """
    cell = format_p(value, decimals=decimals)
    if cell == MISSING:
        return f"{SYMBOLS['p']} = {MISSING}"
    if cell[0] in "<>":
        return f"{SYMBOLS['p']} {cell}"
    return f"{SYMBOLS['p']} = {cell}"


def format_stat(value: Any, statistic: str) -> str:
    """A value of a named statistic with its APA decimals and leading-zero rule.

    ``statistic`` is a key of :data:`STATISTICS` (``r``, ``beta``, ``R2``, ``loading``,
    ``alpha``, ``omega``, ``cfi``, ``tli``, ``rmsea``, ``srmr``, ``estimate``, ``se``,
    ``t``, ``F``, ``chi2``, ...) or ``p``.

    >>> format_stat(0.99354, "cfi"), format_stat(0.0124, "rmsea"), format_stat(924.718, "chi2")
    ('.994', '.012', '924.72')
    """
    if statistic == "p":
        return format_p(value)
    try:
        decimals, bounded = STATISTICS[statistic]
    except KeyError:
        raise ValueError(
            f"unknown statistic {statistic!r}; known: p, {', '.join(STATISTICS)}"
        ) from None
    return format_number(value, decimals, leading_zero=not bounded)


def format_ci(low: Any, high: Any, decimals: int = 2, *, bounded: bool = False) -> str:
    """A confidence interval in brackets (APA 7, section 6.43): ``[0.12, 0.34]``.

    >>> format_ci(-0.1234, 0.5), format_ci(0.62, 0.71, bounded=True)
    ('[−0.12, 0.50]', '[.62, .71]')
    """
    if is_missing(low) and is_missing(high):
        return MISSING
    return (
        f"[{format_number(low, decimals, leading_zero=not bounded)}, "
        f"{format_number(high, decimals, leading_zero=not bounded)}]"
    )


def format_percent(share: Any, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: ``43%``.

    >>> format_percent(0.4283), format_percent(0.0628, 1)
    ('43%', '6.3%')
    """
    if is_missing(share):
        return MISSING
    return format_number(100 * float(share), decimals) + "%"


def symbol(name: str) -> str:
    """The markup of a statistic's symbol (:data:`SYMBOLS`): ``symbol("p") == "*p*"``.

    Symbols are the same in every language; a label with words (``Adjusted *R*²``) is
    looked up in the message catalogue of the current language.
    """
    from workbench.i18n import gettext

    try:
        return gettext(SYMBOLS[name])
    except KeyError:
        raise ValueError(f"unknown symbol {name!r}; known: {', '.join(SYMBOLS)}") from None


def stat_text(name: str, value: str, df: str | None = None) -> str:
    """``symbol(df) = value`` as markup, e.g. ``χ²(824) = 924.72`` or ``*F*(4, 664) = 65.4``.

    ``value`` is already formatted (it may start with ``<``).
    """
    head = symbol(name) if name in SYMBOLS else name
    if df is not None:
        head += f"({df})"
    return f"{head} {value}" if value[:1] in "<>" else f"{head} = {value}"


# ----------------------------------------------------------------------------- markup
@dataclasses.dataclass(frozen=True)
class Span:
    """A run of text with one style."""

    text: str
    italic: bool = False
    bold: bool = False


def escape(text: Any) -> str:
    """Text from the data, made safe to put into markup (``*`` and ``\\`` escaped).

    >>> escape("a*b")
    'a\\\\*b'
    """
    return re.sub(r"([\\*])", r"\\\1", str(text))


def parse(markup: str) -> list[Span]:
    """Split markup into styled spans: ``**bold**``, ``*italic*``, ``\\`` escapes.

    >>> [(s.text, s.italic, s.bold) for s in parse("*p* < .001, **Table 1**")]
    [('p', True, False), (' < .001, ', False, False), ('Table 1', False, True)]
    """
    spans: list[Span] = []
    buf: list[str] = []
    italic = bold = False
    i = 0

    def flush() -> None:
        if buf:
            spans.append(Span("".join(buf), italic, bold))
            buf.clear()

    while i < len(markup):
        ch = markup[i]
        if ch == "\\" and i + 1 < len(markup):
            buf.append(markup[i + 1])
            i += 2
            continue
        if markup.startswith("**", i):
            flush()
            bold = not bold
            i += 2
            continue
        if ch == "*":
            flush()
            italic = not italic
            i += 1
            continue
        buf.append(ch)
        i += 1
    flush()
    # merge neighbours of the same style (e.g. around an escaped character)
    merged: list[Span] = []
    for s in spans:
        if merged and (merged[-1].italic, merged[-1].bold) == (s.italic, s.bold):
            merged[-1] = Span(merged[-1].text + s.text, s.italic, s.bold)
        else:
            merged.append(s)
    return merged


def plain(markup: str) -> str:
    """Markup without its styles.

    >>> plain("*p* < .001")
    'p < .001'
    """
    return "".join(s.text for s in parse(markup))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_TEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    MINUS: "$-$",
    "\u2014": "---",
    "\u2013": "--",
    "\u00b2": r"\textsuperscript{2}",
    "\u03c7": r"$\chi$",
    "\u03b1": r"$\alpha$",
    "\u03b2": r"$\beta$",
    "\u03c9": r"$\omega$",
    "\u03b3": r"$\gamma$",
    "\u03bb": r"$\lambda$",
    "\u03c1": r"$\rho$",
    "\u0394": r"$\Delta$",
    "\u2264": r"$\leq$",
    "\u2265": r"$\geq$",
    "\u00d7": r"$\times$",
    "\u2192": r"$\rightarrow$",
    "\u2032": r"$'$",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def _tex_text(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in text)


def render(markup: str, target: Target, *, italic: bool = False) -> str:
    """Markup as Markdown, LaTeX, HTML or plain text; ``italic`` sets all of it in italics.

    >>> render("*p* < .001", "md"), render("*p* < .001", "tex"), render("*p* < .001", "html")
    ('*p* < .001', '\\\\textit{p} \\\\textless{} .001', '<em>p</em> &lt; .001')
    >>> render("\u03c7\u00b2(2) = \u22121.50", "tex")
    '$\\\\chi$\\\\textsuperscript{2}(2) = $-$1.50'
    """
    spans = parse(markup)
    if italic:  # an italic title: its symbols stay italic too (APA), one italic run
        spans = parse("*" + escape(plain(markup)) + "*") if spans else spans
    out: list[str] = []
    for span in spans:
        if target == "text":
            out.append(span.text)
            continue
        if target == "md":
            text = _MD_SPECIAL.sub(r"\\\1", span.text)
            # Markdown emphasis markers must hug the text: keep outer spaces outside
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :]
            core = text.strip()
            if core and span.italic:
                core = f"*{core}*"
            if core and span.bold:
                core = f"**{core}**"
            out.append(lead + core + trail if core else text)
        elif target == "tex":
            text = _tex_text(span.text)
            if span.italic:
                text = rf"\textit{{{text}}}"
            if span.bold:
                text = rf"\textbf{{{text}}}"
            out.append(text)
        elif target == "html":
            text = "".join(_HTML.get(ch, ch) for ch in span.text)
            if span.italic:
                text = f"<em>{text}</em>"
            if span.bold:
                text = f"<strong>{text}</strong>"
            out.append(text)
        else:
            raise ValueError(f"unknown target {target!r}; choose md, tex, html or text")
    return "".join(out)


def join_list(items: Iterable[str], conjunction: str) -> str:
    """``a``, ``a and b``, ``a, b, and c`` (APA uses the serial comma); ``conjunction`` is
    the word for "and" in the document's language.

    Chinese lists (a conjunction in Chinese characters) take the enumeration comma and no
    spaces: ``a、b和c``.

    >>> join_list(["trust", "value", "belonging"], "and")
    'trust, value, and belonging'
    >>> join_list(["信任", "价值", "归属感"], "和")
    '信任、价值和归属感'
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if _is_cjk(conjunction):
        return "\u3001".join(items[:-1]) + conjunction + items[-1]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return ", ".join(items[:-1]) + f", {conjunction} {items[-1]}"


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def join_sentences(*sentences: str) -> str:
    """Sentences as one paragraph: a space after an English full stop, none after a Chinese one.

    >>> join_sentences("One.", "Two."), join_sentences("一。", "二。")
    ('One. Two.', '一。二。')
    """
    out = ""
    for sentence in sentences:
        if not sentence:
            continue
        if out and not out.endswith(("\u3002", "\uff1b", "\uff1a")):
            out += " "
        out += sentence
    return out


_CJK_THEN_LATIN = re.compile(r"([\u3400-\u9fff])([A-Za-z])")
_LATIN_THEN_CJK = re.compile(r"([A-Za-z])([\u3400-\u9fff])")


def space_cjk(text: str) -> str:
    """A space between Chinese characters and a Latin word next to them (Chinese typesetting).

    Chinese academic writing sets Latin names and abbreviations apart from the Chinese
    text around them (``对 Loyalty 进行回归``); digits and punctuation are left alone, so
    that ``表1`` and ``（Hayes, 2022）`` stay as they are.

    >>> space_cjk("以trust和value为预测变量，对Loyalty进行回归")
    '以 trust 和 value 为预测变量，对 Loyalty 进行回归'
    """
    return _LATIN_THEN_CJK.sub(r"\1 \2", _CJK_THEN_LATIN.sub(r"\1 \2", text))
