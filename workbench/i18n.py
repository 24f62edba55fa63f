"""Reports in the reader's language: message catalogues, glossary, locale formats.

Languages: ``en`` (the default, the source text), ``zh`` (Simplified Chinese) and
``zh-Hant`` (Traditional Chinese). Text lives in gettext catalogues under
``workbench/locale/`` (``zh.po``), read with Babel when first needed; ``zh-Hant``
is not a second catalogue to keep in step but is converted from ``zh`` by OpenCC
(``s2twp``: Taiwan standard characters and phrases) when it is loaded, after which the
glossary's Traditional terms are put in where Taiwanese research usage differs from a
character-by-character conversion (信賴區間, 變異數, 因素分析 ...).

Why the ``.po`` files are read at run time rather than compiled to ``.mo``: a catalogue
of a few hundred messages parses in milliseconds, there is no build step to forget
(or to add to the packaging), and the file a translator edits is the file that runs.

The English text is the message id. A message with values is written with named
placeholders (``"{members} members made {rows} transactions"``) and formatted after it
is translated; the values are formatted for the locale first (:func:`format_decimal`,
:func:`format_percent`, :func:`format_date`, all through Babel).

Messages built elsewhere in English (warnings of the statistics layers, which know
nothing of languages) are translated by :func:`translate`, which also matches
catalogue entries with placeholders against the whole text.

This is a ground module: it imports nothing from the package but :mod:`workbench.errors`.

Examples
--------
>>> with language("zh"):
...     gettext("Key findings")
'主要发现'
>>> with language("zh-Hant"):
...     gettext("Key findings")
'主要發現'
>>> gettext("Key findings")
'Key findings'
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from workbench.errors import InputError

LANGUAGES = ("en", "zh", "zh-Hant")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
GLOSSARY_FILE = LOCALE_DIR / "glossary.csv"
# Babel locales for numbers and dates, and the value of <html lang=...> (which also lets
# browsers pick the right CJK glyph variants)
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN", "zh-Hant": "zh_Hant_TW"}
HTML_LANG = {"en": "en", "zh": "zh-Hans", "zh-Hant": "zh-Hant"}
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文", "zh-Hant": "繁體中文"}
# OpenCC configuration for zh -> zh-Hant (Simplified to Traditional, Taiwan phrases)
OPENCC_CONFIG = "s2twp"
# catalogue contexts (msgctxt): short table and axis labels, and notebook markdown cells
LABEL = "label"

_ALIASES = {
    "en": "en",
    "zh": "zh",
    "zh-hans": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
    "zh-hant": "zh-Hant",
    "zh-tw": "zh-Hant",
    "zh_tw": "zh-Hant",
    "zh-hk": "zh-Hant",
}
# the language of this process (a notebook kernel runs one study), and a `with language(...)`
# override that stays inside its block (and its thread or task)
_process_language = [DEFAULT_LANGUAGE]
_current: ContextVar[str | None] = ContextVar("workbench_language", default=None)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# --------------------------------------------------------------------------- language
def check_language(lang: str | None) -> str:
    """The language code ``lang`` names (``en``, ``zh``, ``zh-Hant``); ``None`` is the default.

    Common spellings are accepted (``zh-Hans``, ``zh-CN``, ``zh-TW``, any case).
    Anything else raises :class:`~workbench.errors.InputError` naming the valid codes.

    >>> check_language("zh-TW"), check_language("ZH"), check_language(None)
    ('zh-Hant', 'zh', 'en')
    """
    if lang is None or lang == "":
        return DEFAULT_LANGUAGE
    code = _ALIASES.get(str(lang).strip().lower())
    if code is None:
        raise InputError(
            f"Unknown report language '{lang}'.",
            hint="Choose one of: en (English), zh (Simplified Chinese), zh-Hant (Traditional "
            "Chinese), e.g. --lang zh.",
        )
    return code


def set_language(lang: str | None) -> str:
    """Make ``lang`` the language of the text built from here on; returns it.

    A study notebook calls it (through :func:`set_language_from`) before anything is
    computed; it holds for the whole process, i.e. the notebook's kernel, whichever cell
    (and task) runs next.
    """
    code = check_language(lang)
    _process_language[0] = code
    _current.set(None)
    return code


def set_language_from(namespace: Mapping[str, Any]) -> str:
    """Set the language a study notebook was run in: its ``lang`` variable, else ``en``.

    ``workbench run --lang`` passes ``lang`` to notebooks whose metadata lists their
    report languages (``"workbench": {"languages": [...]}``); papermill puts it in the
    notebook's namespace (and its metadata) after the parameters cell. A notebook opened
    by hand has no ``lang`` and reports in English. Like
    :func:`workbench.studies.begin`, it reads the notebook's namespace, so the parameters
    cell keeps exactly the study's parameters.
    """
    return set_language(namespace.get("lang") or None)


def get_language() -> str:
    """The current language code (``en`` unless :func:`set_language` chose another)."""
    return _current.get() or _process_language[0]


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Use ``lang`` inside a ``with`` block, then restore the previous language."""
    token = _current.set(check_language(lang))
    try:
        yield get_language()
    finally:
        _current.reset(token)


def _lang(lang: str | None) -> str:
    return get_language() if lang is None else check_language(lang)


# --------------------------------------------------------------------------- catalogues
@dataclasses.dataclass(frozen=True)
class GlossaryTerm:
    """One statistical term: English, Simplified and Traditional Chinese, and a note."""

    en: str
    zh: str
    zh_hant: str
    note: str = ""


@functools.cache
def glossary() -> tuple[GlossaryTerm, ...]:
    """The glossary of statistical terms (``workbench/locale/glossary.csv``).

    Columns ``en``, ``zh``, ``zh-Hant``, ``note``. Every catalogue message that contains
    a glossary term's ``zh`` uses it for that English term (tests/test_i18n.py checks it).
    """
    with GLOSSARY_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        GlossaryTerm(
            en=r["en"].strip(),
            zh=r["zh"].strip(),
            zh_hant=r["zh-Hant"].strip(),
            note=(r.get("note") or "").strip(),
        )
        for r in rows
    )


@functools.cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC(OPENCC_CONFIG)


def to_traditional(text: str) -> str:
    """Simplified Chinese to Traditional: OpenCC (``OPENCC_CONFIG``), then the glossary.

    OpenCC converts characters and common phrases; the glossary's ``zh-Hant`` column then
    replaces statistical terms whose Taiwanese form is a different word (置信区间 is
    信賴區間 there, not 置信區間), and quotation marks become corner brackets (「」).

    >>> to_traditional("95% 置信区间与标准误；“有流失风险”")
    '95% 信賴區間與標準誤；「有流失風險」'
    """
    out = _converter().convert(text).replace("“", "「").replace("”", "」")
    for slip, right in _OPENCC_SLIPS:
        out = out.replace(slip, right)
    for term in _hant_fixes():
        out = out.replace(term[0], term[1])
    return out


#: Phrase conversions of OpenCC's s2twp that are wrong in our texts, and their repair:
#: 构念 (construct) before 的, 对, 到 or 作用 comes out as 構唸 (唸, "to read aloud").
_OPENCC_SLIPS: tuple[tuple[str, str], ...] = (("構唸", "構念"),)


@functools.cache
def _hant_fixes() -> tuple[tuple[str, str], ...]:
    """(OpenCC's conversion, the glossary's Traditional term) where they differ, longest first."""
    pairs = {}
    for term in glossary():
        converted = _converter().convert(term.zh)
        if term.zh_hant and converted != term.zh_hant:
            pairs[converted] = term.zh_hant
    return tuple(sorted(pairs.items(), key=lambda p: -len(p[0])))


@functools.cache
def catalogue(lang: str) -> Any:
    """The Babel ``babel.messages.catalog.Catalog`` of a language (``None`` for ``en``).

    ``zh`` is read from ``locale/zh.po`` (the shared report chrome and the first
    studies) and every ``locale/zh/*.po`` (one file per study, so that translators of
    different studies never edit the same file); a message in two files must carry the
    same translation. ``zh-Hant`` is that catalogue with every translation passed
    through :func:`to_traditional`.
    """
    from babel.messages.pofile import read_po

    code = check_language(lang)
    if code == "en":
        return None
    with (LOCALE_DIR / "zh.po").open("rb") as f:
        cat = read_po(f, locale="zh_Hans_CN")
    for extra in sorted((LOCALE_DIR / "zh").glob("*.po")):
        with extra.open("rb") as f:
            part = read_po(f, locale="zh_Hans_CN")
        for message in part:
            if not message.id:
                continue
            have = cat.get(message.id, context=message.context)
            if have is not None and have.string and message.string != have.string:
                raise ValueError(
                    f"{extra.name}: {message.id!r} is translated differently elsewhere in "
                    f"the catalogue ({have.string!r} against {message.string!r}); keep one"
                )
            if have is None:
                cat[message.id] = message
    if code == "zh-Hant":
        for message in cat:
            if not message.id:
                continue
            if isinstance(message.string, (tuple, list)):
                message.string = tuple(to_traditional(s) for s in message.string)
            elif message.string:
                message.string = to_traditional(message.string)
    return cat


def _lookup(message: str, context: str | None, lang: str) -> str | None:
    cat = catalogue(lang)
    if cat is None:
        return None
    entry = cat.get(message, context=context)
    if entry is None or not entry.string or entry.fuzzy:
        return None
    text = entry.string
    return text[0] if isinstance(text, (tuple, list)) else str(text)


def _format(text: str, values: Mapping[str, Any]) -> str:
    return text.format(**values) if values else text


def gettext(message: str, /, *, lang: str | None = None, **values: Any) -> str:
    """``message`` in the current language (or ``lang``), its ``{placeholders}`` filled in.

    An untranslated message stays English (a test fails when a report keeps one).

    >>> gettext("{n} members", n="12")
    '12 members'
    >>> gettext("{n} members", lang="zh", n="12")
    '12 名会员'
    """
    code = _lang(lang)
    text = _lookup(message, None, code) if code != "en" else None
    return _format(text if text is not None else message, values)


_ = gettext


def ngettext(
    singular: str, plural: str, n: int, /, *, lang: str | None = None, **values: Any
) -> str:
    """The singular or plural form for ``n`` (Chinese has one form), placeholders filled in.

    ``{n}`` is filled with ``n`` formatted for the locale unless given in ``values``.

    >>> ngettext("{n} run", "{n} runs", 1), ngettext("{n} run", "{n} runs", 3)
    ('1 run', '3 runs')
    >>> ngettext("{n} run", "{n} runs", 1200, lang="zh")
    '1,200 次运行'
    """
    code = _lang(lang)
    values = {"n": format_decimal(n, lang=code), **values}
    cat = catalogue(code)
    if cat is not None:
        entry = cat.get((singular, plural))
        if entry is not None and entry.string and not entry.fuzzy:
            forms = entry.string
            if isinstance(forms, str):
                forms = (forms,)
            index = _plural_index(code, n, len(forms))
            if forms[index]:
                return _format(forms[index], values)
    return _format(singular if n == 1 else plural, values)


def _plural_index(lang: str, n: int, n_forms: int) -> int:
    """Chinese: one form for every n (nplurals=1); English: n == 1 or not."""
    if lang in ("zh", "zh-Hant"):
        return 0
    return min(0 if n == 1 else 1, n_forms - 1)


def label(text: Any, *, lang: str | None = None) -> Any:
    """A short label (table header, row name, axis title, category) in the current language.

    Labels are catalogued in the ``label`` context; anything not catalogued (names from
    the data, codes, numbers) is returned unchanged.

    >>> label("retention_rate", lang="zh"), label("my_column", lang="zh"), label(3, lang="zh")
    ('留存率', 'my_column', 3)
    """
    code = _lang(lang)
    if code == "en" or not isinstance(text, str):
        return text
    found = _lookup(text, LABEL, code)
    return text if found is None else found


@functools.cache
def _label_sources() -> dict[str, str]:
    """Every language's label translations mapped back to their English label."""
    out: dict[str, str] = {}
    for code in LANGUAGES:
        for message in catalogue(code) or ():
            if message.context == LABEL and message.string and isinstance(message.id, str):
                out.setdefault(str(message.string), message.id)
    return out


def source_label(text: Any) -> Any:
    """The English label a translated label came from (else ``text`` as it is).

    Report tables read what a column holds from its English name (``p``, ``n``,
    ``members``: see :func:`workbench.presentation.report.label_kind`); a translated
    header is read through this.

    >>> source_label("预趋势检验 p 值"), source_label("membres")
    ('pre-trend test p', 'membres')
    """
    if not isinstance(text, str):
        return text
    return _label_sources().get(text, text)


def translate_frame(
    frame: Any, *, values: Iterable[str] = (), index_values: bool = False, lang: str | None = None
) -> Any:
    """A copy of a DataFrame whose column and index labels (and names) are :func:`label`-ed.

    ``values`` names columns whose text cells are labels too (e.g. segment names);
    ``index_values`` translates the index entries as well. Numbers are left alone.
    In English the frame is returned as it is.
    """
    import pandas as pd

    code = _lang(lang)
    if frame is None or code == "en":
        return frame
    out = frame.copy()
    for col in values:
        if col in out.columns:
            out[col] = [label(v, lang=code) for v in out[col]]

    def rename(index: Any, entries: bool) -> Any:
        if isinstance(index, pd.MultiIndex):
            new = index.set_names([label(n, lang=code) for n in index.names])
            if entries:
                new = pd.MultiIndex.from_tuples(
                    [tuple(label(v, lang=code) for v in t) for t in new], names=new.names
                )
            return new
        new_index = pd.Index([label(v, lang=code) for v in index]) if entries else index.copy()
        new_index.name = label(index.name, lang=code)
        return new_index

    out.columns = rename(out.columns, True)
    out.index = rename(out.index, index_values)
    return out


@functools.cache
def _patterns(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Catalogue messages with placeholders as whole-text patterns, longest first.

    Only messages whose fixed text holds at least three English words: a pattern such as
    ``"{sentence} {next}"`` would match any text with a space in it.
    """
    cat = catalogue(lang)
    found = []
    for message in cat or ():
        if not message.id or message.context or not isinstance(message.id, str):
            continue
        if not message.string or message.fuzzy or not _PLACEHOLDER.search(message.id):
            continue
        parts = _PLACEHOLDER.split(message.id)
        if len(re.findall(r"[A-Za-z]{2,}", " ".join(parts[::2]))) < 3:
            continue
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        try:
            found.append((re.compile(regex + r"\Z", re.S), str(message.string)))
        except re.error:  # the same placeholder twice: not usable as a pattern
            continue
    found.sort(key=lambda p: -len(p[0].pattern))
    return tuple(found)


def translate(text: str, *, lang: str | None = None) -> str:
    """A whole message written in English elsewhere, in the current language.

    Looks the text up as it is, then as a catalogue message with placeholders whose
    literal parts match the whole text (the values are kept as they were written, and
    translated themselves when they are catalogued too). Text with no catalogue entry is
    returned unchanged.

    >>> translate("No long-term (13+ periods) estimate: lags = 11.", lang="zh")
    '没有长期（13 期及以上）估计：滞后期数 = 11。'
    """
    code = _lang(lang)
    if code == "en" or not text:
        return text
    exact = _lookup(text, None, code)
    if exact is not None:
        return exact
    for pattern, translation in _patterns(code):
        match = pattern.match(text)
        if match:
            values = {k: translate(v, lang=code) for k, v in match.groupdict().items()}
            return translation.format(**values)
    return text


def markdown(text: str, context: str, *, lang: str | None = None) -> str:
    """A notebook markdown cell in the current language (catalogued in context ``context``).

    The renderer looks each cell up by its whole English text, so the notebook itself stays
    readable English; a cell without a translation is returned unchanged.
    """
    code = _lang(lang)
    if code == "en":
        return text
    found = _lookup(text.strip(), context, code)
    return text if found is None else found


# --------------------------------------------------------------------------- formats
def _locale(lang: str | None) -> str:
    return BABEL_LOCALES[_lang(lang)]


def format_decimal(value: float, decimals: int = 0, *, lang: str | None = None) -> str:
    """A number with thousands separators and ``decimals`` decimals, as the locale writes it.

    >>> format_decimal(12345.678, 1), format_decimal(12345.678, 1, lang="zh")
    ('12,345.7', '12,345.7')
    """
    from babel.numbers import format_decimal as babel_decimal

    if not math.isfinite(float(value)):
        return str(value)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return babel_decimal(value, format=pattern, locale=_locale(lang), decimal_quantization=True)


def format_percent(
    share: float, decimals: int = 0, *, sign: bool = False, lang: str | None = None
) -> str:
    """A share (0.2) as a percentage (``20%``), optionally with its sign (``+20.3%``).

    >>> format_percent(0.1234), format_percent(0.2031, 1, sign=True), format_percent(-0.05)
    ('12%', '+20.3%', '-5%')
    """
    from babel.numbers import format_percent as babel_percent

    if not math.isfinite(float(share)):
        return str(share)
    body = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    pattern = f"+{body};-{body}" if sign else body
    return babel_percent(share, format=pattern, locale=_locale(lang))


def format_date(value: Any, *, lang: str | None = None) -> str:
    """A date: ISO ``2025-03-01`` in English reports, ``2025年3月1日`` in Chinese ones.

    >>> format_date("2025-03-01"), format_date("2025-03-01", lang="zh")
    ('2025-03-01', '2025年3月1日')
    """
    from babel.dates import format_date as babel_date

    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:  # not a date: shown as it is
        return str(value)
    if isinstance(day, dt.datetime):
        day = day.date()
    code = _lang(lang)
    if code == "en":
        return day.isoformat()
    return babel_date(day, format="long", locale=BABEL_LOCALES[code])


def format_datetime(value: str, *, lang: str | None = None) -> str:
    """An ISO timestamp (``2026-12-06T15:10:55+00:00``) as the locale writes date and time.

    English keeps the ISO text as it is.
    """
    from babel.dates import format_datetime as babel_datetime

    code = _lang(lang)
    if code == "en":
        return value
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return babel_datetime(when, format="medium", locale=BABEL_LOCALES[code])


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message fills in (for the catalogue's consistency test)."""
    return set(_PLACEHOLDER.findall(text))
