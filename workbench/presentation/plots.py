"""Figures, static (matplotlib) and interactive (plotly). No statistics here.

Every fixed text (titles, axis titles, legends) is written in the current report
language (:func:`workbench.i18n.gettext`, here ``tr``).

Chinese labels: interactive figures use the browser's fonts. Static figures
need a CJK font; :func:`cjk_font` finds one (e.g. Debian's ``fonts-noto-cjk``),
also when it was installed after matplotlib cached its font list, and
:func:`figure_labels` falls back to item codes, with a warning for the report,
where none is installed, so no figure ever shows missing-glyph boxes.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.i18n import format_date, label
from workbench.i18n import gettext as tr

CJK_RE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# Fonts known to cover CJK ideographs, in order of preference.
CJK_FONT_HINTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Noto Sans SC",
    "Source Han Sans",
    "WenQuanYi",
    "Microsoft YaHei",
    "SimHei",
    "PingFang",
    "Heiti",
    "Noto Serif CJK",
)
# Where fonts live when fontconfig is not there to ask (macOS, Windows, minimal images).
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# File names of fonts known to cover CJK ideographs (lower case, without separators).
CJK_FILE_HINTS = (
    "notosanscjk",
    "notoserifcjk",
    "notosanssc",
    "sourcehan",
    "wqy",
    "wenquanyi",
    "droidsansfallback",
    "msyh",
    "simhei",
    "simsun",
    "pingfang",
    "hiragino",
    "stheiti",
)
NO_CJK_FONT_WARNING = (
    "No font with Chinese characters is installed, so static figures show item codes "
    "instead of Chinese labels (interactive figures are unaffected). Install one, e.g. "
    "Debian's fonts-noto-cjk, to see the labels."
)


def has_cjk(text: str) -> bool:
    """True if ``text`` contains CJK characters.

    >>> has_cjk("Satisfaction / 满意度"), has_cjk("Satisfaction")
    (True, False)
    """
    return bool(CJK_RE.search(str(text)))


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font that covers Chinese, or ``None``.

    matplotlib knows the fonts it found when it first built its font cache; a font
    installed afterwards (e.g. ``apt-get install fonts-noto-cjk`` on a machine that
    had already drawn a figure) is missing from that list although fontconfig lists
    it. So when matplotlib knows no CJK font, the system's (:func:`system_cjk_font_files`)
    are added to matplotlib's font manager for this process.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    name = _known_cjk_font(manager.ttflist)
    if name is not None:
        return name
    files = system_cjk_font_files()
    known = {f.fname for f in manager.ttflist}
    for path in files:
        if path in known:
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # unreadable, or not a font FreeType reads
            continue
    name = _known_cjk_font(manager.ttflist)
    if name is None:  # a CJK font without a familiar name: fontconfig says it covers Chinese
        found = {os.path.realpath(f) for f in files}
        name = next((f.name for f in manager.ttflist if os.path.realpath(f.fname) in found), None)
    return name


def _known_cjk_font(entries: Sequence[Any]) -> str | None:
    names = sorted({f.name for f in entries})
    for hint in CJK_FONT_HINTS:
        for name in names:
            if name.startswith(hint):
                return name
    return None


def system_cjk_font_files() -> list[str]:
    """Font files on this system that cover Chinese, whether matplotlib knows them or not.

    Asks fontconfig (``fc-list :lang=zh``), which lists what Debian's ``fonts-noto-cjk``
    installs; where fontconfig is not available, scans the usual font folders
    (:data:`FONT_DIRS`) for files named like known CJK fonts (:data:`CJK_FILE_HINTS`).
    """
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            listed = subprocess.run(
                [fc_list, "--format=%{file}\n", ":lang=zh"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            files = dict.fromkeys(line.strip() for line in listed.splitlines())
            return [f for f in files if f.lower().endswith(FONT_SUFFIXES)]
    found = []
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            name = re.sub(r"[^a-z]", "", path.name.lower())
            if path.suffix.lower() in FONT_SUFFIXES and any(h in name for h in CJK_FILE_HINTS):
                found.append(str(path))
    return found


def setup_matplotlib() -> None:
    """Use a non-interactive backend and put a CJK font (if any) in the fallback list."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    font = cjk_font()
    if font:
        # A generic family ('sans-serif') resolves to one font only, so name the CJK font
        # as an explicit fallback after it: Latin text keeps the default font.
        families = [f for f in matplotlib.rcParams["font.family"] if f != font]
        matplotlib.rcParams["font.family"] = [*families, font]
    matplotlib.rcParams["axes.unicode_minus"] = False


def figure_labels(
    codes: Sequence[str], labels: Sequence[str], *, font_available: bool | None = None
) -> tuple[list[str], str | None]:
    """Labels safe to draw in a static figure, and a warning if codes had to stand in.

    Parameters
    ----------
    codes
        Item or construct names (ASCII-safe fallbacks).
    labels
        Their display labels, possibly Chinese.
    font_available
        Whether a CJK font exists (looked up when ``None``).

    Examples
    --------
    >>> figure_labels(["SA1"], ["满意"], font_available=False)[0]
    ['SA1']
    >>> figure_labels(["SA1"], ["满意"], font_available=True)
    (['满意'], None)
    """
    if font_available is None:
        font_available = cjk_font() is not None
    needs = any(has_cjk(lbl) for lbl in labels)
    if needs and not font_available:
        return [str(c) for c in codes], NO_CJK_FONT_WARNING
    return [str(lbl) for lbl in labels], None


PERIODS = ("week", "month", "quarter", "year", "day")


def period_label(start: Any, period: str) -> str:
    """The name of the period that starts at ``start``, as readers write it.

    ``2025-01`` for a month, ``2025Q1`` for a quarter, ``2025-W03`` for an ISO week
    (Monday start), ``2025`` for a year, the date for a day. Values that are not dates
    are returned as text.

    >>> [period_label("2025-01-13", p) for p in ("month", "quarter", "week", "year")]
    ['2025-01', '2025Q1', '2025-W03', '2025']
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    if isinstance(start, pd.Period):
        start = start.start_time
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError):
        return str(start)
    if pd.isna(ts):
        return ""
    if period == "week":
        iso = ts.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if period == "month":
        return f"{ts.year}-{ts.month:02d}"
    if period == "quarter":
        return f"{ts.year}Q{ts.quarter}"
    if period == "year":
        return str(ts.year)
    return ts.strftime("%Y-%m-%d")


def infer_period(starts: Sequence[Any]) -> str:
    """The period that a set of period start dates are the starts of.

    All on 1 January: ``year``; all on the first of a quarter's first month:
    ``quarter``; all on the first of a month: ``month``; all Mondays: ``week``;
    otherwise ``day``. A single start is read as the coarsest period that fits.

    >>> infer_period(["2025-01-01", "2025-02-01"]), infer_period(["2025-01-06", "2025-01-13"])
    ('month', 'week')
    """
    try:
        ts = pd.DatetimeIndex(pd.to_datetime(list(starts)))
    except (TypeError, ValueError):
        return "day"
    ts = ts[~ts.isna()]
    if not len(ts):
        return "day"
    first = bool((ts.day == 1).all())
    if first and (ts.month == 1).all():
        return "year"
    if first and ts.month.isin([1, 4, 7, 10]).all():
        return "quarter"
    if first:
        return "month"
    return "week" if (ts.day_of_week == 0).all() else "day"


def shorten(text: str, width: int = 40) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------- plotly
def response_distribution(distribution: pd.DataFrame, labels: dict[str, str] | None = None):
    """Stacked horizontal bars of each item's response shares (plotly).

    ``distribution`` is item x response value counts (as screening returns).
    """
    import plotly.graph_objects as go

    labels = labels or {}
    shares = distribution.div(distribution.sum(axis=1).replace(0, np.nan), axis=0) * 100
    values = list(shares.columns)
    colors = _diverging(len(values))
    y = [f"{item} {shorten(labels.get(item, ''), 30)}".strip() for item in shares.index]
    fig = go.Figure()
    for value, color in zip(values, colors, strict=True):
        fig.add_bar(
            x=shares[value],
            y=y,
            orientation="h",
            name=str(value),
            marker_color=color,
            customdata=distribution[value],
            hovertemplate="%{y}<br>" + tr("answer") + " " + str(value) + ": %{x:.1f}% "
            "(n=%{customdata})"
            "<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        height=max(300, 22 * len(y) + 120),
        xaxis_title=tr("% of answers"),
        yaxis={"autorange": "reversed"},
        legend_title=tr("answer"),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def reliability_chart(table: pd.DataFrame, *, threshold: float = 0.70):
    """Cronbach's alpha per construct with its CI and omega (plotly).

    ``table`` has columns construct, label, alpha, alpha_ci_low, alpha_ci_high,
    omega_total.
    """
    import plotly.graph_objects as go

    t = table.dropna(subset=["alpha"])
    labels = t["label"] if "label" in t else t["construct"]
    names = [shorten(lbl or c, 32) for c, lbl in zip(t["construct"], labels, strict=True)]
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=t["alpha"],
        name=tr("Cronbach's alpha"),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": t["alpha_ci_high"] - t["alpha"],
            "arrayminus": t["alpha"] - t["alpha_ci_low"],
        },
        hovertemplate="%{x}<br>alpha %{y:.3f}<extra></extra>",
    )
    if "omega_total" in t:
        fig.add_scatter(
            x=names,
            y=t["omega_total"],
            mode="markers",
            name=tr("omega total"),
            marker={"symbol": "diamond", "size": 10},
        )
    fig.add_hline(y=threshold, line_dash="dash", annotation_text=f"{threshold:.2f}")
    fig.update_layout(
        yaxis={"range": [0, 1], "title": tr("reliability")},
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def scree_plot(eigenvalues: pd.DataFrame, *, n_factors: int | None = None):
    """Scree plot with parallel-analysis references (plotly).

    ``eigenvalues`` has columns ``observed_fa``, ``simulated_fa_quantile`` (or
    ``_mean``), ``observed_pc`` and ``simulated_pc_quantile`` (or ``_mean``),
    indexed by factor number, as :func:`workbench.measurement.factors.parallel_analysis`
    returns.
    """
    import plotly.graph_objects as go

    e = eigenvalues
    x = list(e.index)
    fig = go.Figure()
    sim_fa = "simulated_fa_quantile" if "simulated_fa_quantile" in e else "simulated_fa_mean"
    sim_pc = "simulated_pc_quantile" if "simulated_pc_quantile" in e else "simulated_pc_mean"
    fig.add_scatter(
        x=x,
        y=e["observed_pc"],
        mode="lines+markers",
        name=tr("components: data"),
        line={"color": "#2b5d8a"},
    )
    fig.add_scatter(
        x=x,
        y=e[sim_pc],
        mode="lines",
        name=tr("components: random data"),
        line={"color": "#2b5d8a", "dash": "dot"},
    )
    fig.add_scatter(
        x=x,
        y=e["observed_fa"],
        mode="lines+markers",
        name=tr("factors: data"),
        line={"color": "#d1495b"},
    )
    fig.add_scatter(
        x=x,
        y=e[sim_fa],
        mode="lines",
        name=tr("factors: random data"),
        line={"color": "#d1495b", "dash": "dot"},
    )
    fig.add_hline(y=1, line_dash="dash", line_color="grey", annotation_text=tr("Kaiser: 1"))
    if n_factors:
        fig.add_vline(x=n_factors, line_color="green", annotation_text=tr("{n} used", n=n_factors))
    fig.update_layout(
        xaxis_title=tr("factor / component number"),
        yaxis_title=tr("eigenvalue"),
        height=420,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def _diverging(k: int) -> list[str]:
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["RdYlGn"]
    return [to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, k)]


# --------------------------------------------------------------------------- matplotlib
def correlation_heatmap(
    corr: pd.DataFrame, *, labels: Sequence[str] | None = None, title: str = "", ax=None
):
    """Annotated heatmap of a correlation (or loadings) matrix (matplotlib); returns ``ax``.

    Pass ``labels`` from :func:`figure_labels` so Chinese labels are drawn only
    when a font can draw them.
    """
    import matplotlib.pyplot as plt

    setup_matplotlib()
    if ax is None:
        size = 0.45 * max(corr.shape) + 2.5
        _, ax = plt.subplots(figsize=(size + 1.5, size))
    values = corr.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    row_labels = list(labels) if labels is not None else [str(i) for i in corr.index]
    ax.set_yticks(range(corr.shape[0]), [shorten(s, 30) for s in row_labels])
    col_labels = (
        row_labels
        if corr.shape[0] == corr.shape[1] and labels is not None
        else [str(c) for c in corr.columns]
    )
    ax.set_xticks(range(corr.shape[1]), [shorten(s, 30) for s in col_labels], rotation=90)
    if max(corr.shape) <= 30:
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:.2f}".replace("0.", "."),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(v) > 0.6 else "black",
                )
    ax.figure.colorbar(im, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax


def missing_pattern_chart(diagnosis: Any, *, top: int = 20):
    """Missing-data patterns as naniar's ``gg_miss_upset`` / VIM's ``aggr`` draw them
    (matplotlib); returns the figure.

    Tiles: one row per pattern (the ``top`` most frequent, from
    :attr:`~workbench.intake.missingness.MissingDiagnosis.pattern_matrix`), one column per item,
    dark where the answer is missing. Right: respondents per pattern. Top: missing answers per
    item. The title says how many respondents the patterns left out hold.
    """
    import matplotlib.pyplot as plt

    setup_matplotlib()
    patterns = diagnosis.patterns.iloc[:top]
    matrix = diagnosis.pattern_matrix.loc[patterns.index]
    items = list(matrix.columns)
    missing = 1 - matrix.to_numpy(dtype=float)
    width = min(16.0, 2.5 + 0.22 * len(items))
    height = 2.2 + 0.28 * len(patterns)
    fig = plt.figure(figsize=(width + 2.0, height))
    grid = fig.add_gridspec(
        2, 2, width_ratios=(width, 2.0), height_ratios=(1.0, max(height - 1.0, 1.0)),
        wspace=0.03, hspace=0.05,
    )  # fmt: skip
    tiles = fig.add_subplot(grid[1, 0])
    tiles.imshow(missing, cmap="Greys", vmin=-0.15, vmax=1.15, aspect="auto")
    tiles.set_xticks(range(len(items)), items, rotation=90, fontsize=7)
    tiles.set_yticks(
        range(len(patterns)),
        [f"{int(n)} {tr('missing')}" for n in patterns["n_missing"]],
        fontsize=7,
    )
    tiles.set_xlabel(tr("item (dark: not answered)"))
    bars = fig.add_subplot(grid[1, 1], sharey=tiles)
    bars.barh(range(len(patterns)), patterns["respondents"], color="#2b5d8a")
    for i, n in enumerate(patterns["respondents"]):
        bars.text(n, i, f" {int(n)}", va="center", fontsize=7)
    bars.tick_params(axis="y", left=False, labelleft=False)
    bars.set_xlabel(tr("respondents"))
    per_item = fig.add_subplot(grid[0, 0], sharex=tiles)
    per_item.bar(range(len(items)), diagnosis.items.loc[items, "n_missing"], color="#e69500")
    per_item.tick_params(axis="x", bottom=False, labelbottom=False)
    per_item.set_ylabel(tr("missing"), fontsize=8)
    left_out = int(diagnosis.patterns["respondents"].iloc[top:].sum())
    title = tr(
        "Missing-data patterns: the {shown} most frequent of {total}",
        shown=len(patterns),
        total=len(diagnosis.patterns),
    )
    if left_out:
        title += tr(" ({n} respondents in the others)", n=left_out)
    per_item.set_title(title, fontsize=10)
    return fig


def loadings_heatmap(
    loadings: pd.DataFrame, *, labels: Sequence[str] | None = None, cutoff: float = 0.30, ax=None
):
    """Heatmap of factor loadings, items as rows (matplotlib); returns ``ax``.

    Loadings below ``cutoff`` in absolute value are printed in grey.
    """
    import matplotlib.pyplot as plt

    setup_matplotlib()
    rows, cols = loadings.shape
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5 + 0.9 * cols + 2.5, 0.32 * rows + 1.5))
    values = loadings.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    row_labels = list(labels) if labels is not None else [str(i) for i in loadings.index]
    ax.set_yticks(range(rows), [shorten(s, 45) for s in row_labels])
    ax.set_xticks(range(cols), [str(c) for c in loadings.columns])
    ax.xaxis.tick_top()
    for (i, j), v in np.ndenumerate(values):
        strong = abs(v) >= cutoff
        ax.text(
            j,
            i,
            f"{v:.2f}",
            ha="center",
            va="center",
            fontsize=7,
            color=("white" if abs(v) > 0.6 else "black") if strong else "#999999",
        )
    ax.figure.colorbar(im, ax=ax, fraction=0.03)
    ax.set_title(tr("Pattern loadings"), pad=20)
    ax.figure.tight_layout()
    return ax


# --------------------------------------------------------------------------- drivers
def importance_chart(table: pd.DataFrame, *, r2: float | None = None):
    """Horizontal bars of each driver's share of explained variance with CIs (plotly).

    ``table`` is indexed by driver with columns ``lmg``, ``lmg_ci_low``,
    ``lmg_ci_high`` and optionally ``relative_weight``, ``rw_ci_low``,
    ``rw_ci_high`` (raw shares of R2). Bars show percent of R2 when ``r2`` is given.
    """
    import plotly.graph_objects as go

    t = table.sort_values("lmg")
    scale = 100 / r2 if r2 else 100
    unit = "% of explained variance" if r2 else "% of variance in the outcome"
    fig = go.Figure()
    for col, low, high, name, color in (
        ("lmg", "lmg_ci_low", "lmg_ci_high", "LMG (Shapley)", "#2b5d8a"),
        ("relative_weight", "rw_ci_low", "rw_ci_high", "relative weight", "#d1495b"),
    ):
        if col not in t:
            continue
        fig.add_bar(
            y=[str(i) for i in t.index],
            x=t[col] * scale,
            orientation="h",
            name=name,
            marker_color=color,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (t[high] - t[col]) * scale,
                "arrayminus": (t[col] - t[low]) * scale,
            },
            hovertemplate="%{y}: %{x:.1f}<extra>" + name + "</extra>",
        )
    fig.update_layout(
        barmode="group",
        xaxis_title=unit,
        height=max(300, 60 * len(t) + 120),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def ipa_chart(table: pd.DataFrame, *, importance_cut: float, performance_cut: float):
    """Importance-performance quadrant chart with CIs (plotly).

    ``table`` is indexed by driver with ``importance`` (share of R2, in %),
    ``performance`` (0-100), ``quadrant`` and optionally ``importance_ci_low``
    and ``importance_ci_high``.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = {
        "fix first": "#d1495b",
        "keep up": "#3a9b48",
        "low priority": "#999999",
        "possible overkill": "#e69500",
    }
    for quadrant, part in table.groupby("quadrant", sort=False):
        error = None
        if "importance_ci_low" in part:
            error = {
                "type": "data",
                "symmetric": False,
                "array": part["importance_ci_high"] - part["importance"],
                "arrayminus": part["importance"] - part["importance_ci_low"],
            }
        fig.add_scatter(
            x=part["performance"],
            y=part["importance"],
            mode="markers+text",
            text=[str(i) for i in part.index],
            textposition="top center",
            name=str(quadrant),
            marker={"size": 14, "color": colors.get(str(quadrant), "#333")},
            error_y=error,
            hovertemplate="%{text}<br>performance %{x:.0f}<br>importance %{y:.1f}<extra></extra>",
        )
    fig.add_vline(x=performance_cut, line_dash="dash", line_color="grey")
    fig.add_hline(y=importance_cut, line_dash="dash", line_color="grey")
    for text, x, y in (
        ("fix first", 0.02, 0.98),
        ("keep up", 0.98, 0.98),
        ("low priority", 0.02, 0.02),
        ("possible overkill", 0.98, 0.02),
    ):
        fig.add_annotation(
            text=text,
            xref="paper",
            yref="paper",
            x=x,
            y=y,
            showarrow=False,
            xanchor="left" if x < 0.5 else "right",
            font={"color": "#666"},
        )
    fig.update_layout(
        xaxis_title=tr("performance (mean, rescaled 0-100)"),
        yaxis_title=tr("importance (% of explained variance)"),
        height=480,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def simple_slopes_chart(lines: pd.DataFrame, *, x: str, y: str, moderator: str):
    """Predicted outcome over the focal predictor at moderator levels (plotly).

    ``lines`` has one row per point with columns ``x``, ``predicted`` and
    ``level`` (e.g. '-1 SD', 'mean', '+1 SD' or a category).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for level, part in lines.groupby("level", sort=False):
        fig.add_scatter(
            x=part["x"], y=part["predicted"], mode="lines", name=f"{moderator} = {level}"
        )
    fig.update_layout(
        xaxis_title=x,
        yaxis_title=tr("predicted {y}", y=y),
        height=400,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def residual_chart(
    fitted: pd.Series, residuals: pd.Series, *, max_points: int = 5000, seed: int = 0
):
    """Residuals against fitted values, with a lowess trend (plotly).

    Above ``max_points`` respondents a seeded random sample is drawn (and the
    title says so) to keep the report light.
    """
    import plotly.graph_objects as go
    from statsmodels.nonparametric.smoothers_lowess import lowess

    frame = pd.DataFrame({"fitted": np.asarray(fitted), "residual": np.asarray(residuals)})
    title = tr("Residuals vs fitted values (a flat trend means the linear model fits)")
    if len(frame) > max_points:
        frame = frame.sample(max_points, random_state=seed)
        title += tr("; a random sample of {n} respondents", n=f"{max_points:,}")
    trend = lowess(frame["residual"], frame["fitted"], frac=0.3, return_sorted=True)
    fig = go.Figure()
    fig.add_scatter(
        x=frame["fitted"],
        y=frame["residual"],
        mode="markers",
        name=tr("respondents"),
        marker={"size": 4, "opacity": 0.4, "color": "#2b5d8a"},
    )
    fig.add_scatter(
        x=trend[:, 0],
        y=trend[:, 1],
        mode="lines",
        name=tr("lowess trend"),
        line={"color": "#d1495b", "width": 3},
    )
    fig.add_hline(y=0, line_color="grey")
    fig.update_layout(
        title=title,
        xaxis_title=tr("fitted"),
        yaxis_title=tr("residual"),
        height=400,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def segment_coefficients_chart(table: pd.DataFrame):
    """Each driver's coefficient per segment with 95% CIs (plotly).

    ``table`` has columns ``segment``, ``term``, ``estimate``, ``ci_low``, ``ci_high``.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for segment, part in table.groupby("segment", sort=False):
        fig.add_bar(
            x=[str(t) for t in part["term"]],
            y=part["estimate"],
            name=str(segment),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": part["ci_high"] - part["estimate"],
                "arrayminus": part["estimate"] - part["ci_low"],
            },
        )
    fig.update_layout(
        barmode="group",
        yaxis_title=tr("coefficient (per point)"),
        height=400,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


# --------------------------------------------------------------------------- SEM
def path_diagram(paths: pd.DataFrame, *, r2: dict[str, float] | None = None, labels=None):
    """A structural path diagram (plotly): constructs in layers, arrows with std paths.

    ``paths`` has columns ``lhs`` (outcome), ``rhs`` (predictor), ``std`` and
    ``p``. Layers follow the causal order (predictors left of outcomes).
    Significant paths (p < .05) are solid and labelled in bold.
    """
    import plotly.graph_objects as go

    labels = labels or {}
    nodes = list(dict.fromkeys([*paths["rhs"], *paths["lhs"]]))
    preds: dict[str, set[str]] = {n: set() for n in nodes}
    for lhs, rhs in zip(paths["lhs"], paths["rhs"], strict=True):
        preds[lhs].add(rhs)
    layer: dict[str, int] = {}

    def depth(n: str, seen: frozenset = frozenset()) -> int:
        if n in layer:
            return layer[n]
        if n in seen or not preds[n]:
            layer[n] = 0
            return 0
        layer[n] = 1 + max(depth(p, seen | {n}) for p in preds[n])
        return layer[n]

    for n in nodes:
        depth(n)
    by_layer: dict[int, list[str]] = {}
    for n in nodes:
        by_layer.setdefault(layer[n], []).append(n)
    pos = {}
    for k, members in by_layer.items():
        for i, n in enumerate(members):
            pos[n] = (k, (len(members) - 1) / 2 - i)
    fig = go.Figure()
    for row in paths.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[row.rhs], pos[row.lhs]
        sig = row.p < 0.05
        fig.add_annotation(
            x=x1 - 0.12,
            y=y1,
            ax=x0 + 0.12,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowwidth=1 + 3 * min(abs(row.std), 1),
            arrowcolor="#2b5d8a" if row.std >= 0 else "#d1495b",
            opacity=1 if sig else 0.35,
        )
        fig.add_annotation(
            x=x0 + 0.45 * (x1 - x0),
            y=y0 + 0.45 * (y1 - y0),
            text=(f"<b>{row.std:.2f}</b>" if sig else f"{row.std:.2f} (ns)"),
            showarrow=False,
            bgcolor="white",
            font={"size": 12},
        )
    text = []
    for n in nodes:
        t = shorten(labels.get(n, n), 28)
        if r2 and n in r2:
            t += f"<br>R² = {r2[n]:.2f}"
        text.append(t)
    fig.add_scatter(
        x=[pos[n][0] for n in nodes],
        y=[pos[n][1] for n in nodes],
        mode="markers+text",
        text=text,
        textposition="middle center",
        hoverinfo="text",
        marker={
            "size": 90,
            "color": "#eef5fb",
            "line": {"color": "#2b5d8a", "width": 2},
            "symbol": "square",
        },
        showlegend=False,
    )
    n_layers = max(by_layer) + 1
    fig.update_xaxes(visible=False, range=[-0.5, n_layers - 0.5])
    fig.update_yaxes(visible=False)
    height = max(320, 110 * max(len(m) for m in by_layer.values()) + 80)
    fig.update_layout(
        height=height,
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title=tr("Standardized paths (bold: p < .05; faded: not significant)"),
    )
    return fig


def surface_chart(grid: pd.DataFrame, *, x: str, y: str, z: str):
    """Response surface of z over x and y (plotly 3D), with the lines of (in)congruence.

    ``grid`` has columns ``x``, ``y`` and ``predicted`` on a regular grid.
    """
    import plotly.graph_objects as go

    wide = grid.pivot(index="y", columns="x", values="predicted")
    fig = go.Figure()
    fig.add_surface(
        x=wide.columns.to_numpy(),
        y=wide.index.to_numpy(),
        z=wide.to_numpy(),
        colorscale="RdBu_r",
        opacity=0.9,
        showscale=False,
    )
    xs = wide.columns.to_numpy()
    same = [wide.loc[v, v] if v in wide.index else np.nan for v in xs]
    fig.add_scatter3d(
        x=xs,
        y=xs,
        z=same,
        mode="lines",
        line={"color": "black", "width": 6},
        name=tr("congruence (x = y)"),
    )
    opposite = [
        wide.loc[v, u] if v in wide.index else np.nan for u, v in zip(xs, xs[::-1], strict=True)
    ]
    fig.add_scatter3d(
        x=xs,
        y=xs[::-1],
        z=opposite,
        mode="lines",
        line={"color": "#e69500", "width": 6, "dash": "dash"},
        name=tr("incongruence (x = -y)"),
    )
    fig.update_layout(
        scene={"xaxis_title": x, "yaxis_title": y, "zaxis_title": z},
        height=520,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
    )
    return fig


# --------------------------------------------------------------------------- members
def kpi_chart(panel: pd.DataFrame, *, period_col: str = "period", period: str | None = None):
    """Active and new members (bars) with retention and churn rates (lines), by period.

    Periods are named as readers write them (``2025-01``, ``2025Q1``; :func:`period_label`)
    on a category axis: a date axis would print its own tick labels (``Jan 2025``), in
    English whatever the report's language. ``period`` is inferred from the dates when not
    given.
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _period_names(panel[period_col], period)
    for col, name, color in (
        ("active", "active members", "#2b5d8a"),
        ("new", "new members", "#9ecae1"),
    ):
        if col in panel:
            fig.add_bar(x=x, y=panel[col], name=tr(name), marker_color=color, secondary_y=False)
    for col, name, color in (
        ("retention_rate", "retention rate", "#3a9b48"),
        ("churn_rate", "churn rate", "#d1495b"),
        ("repeat_purchase_rate", "repeat-purchase rate", "#e69500"),
    ):
        if col in panel:
            fig.add_scatter(
                x=x,
                y=panel[col] * 100,
                name=tr(name),
                mode="lines+markers",
                line={"color": color},
                secondary_y=True,
            )
    fig.update_yaxes(title_text=tr("members"), secondary_y=False)
    fig.update_yaxes(title_text="%", secondary_y=True, rangemode="tozero")
    fig.update_xaxes(type="category")
    fig.update_layout(barmode="group", height=420, margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return fig


def cohort_heatmap(
    matrix: pd.DataFrame,
    *,
    period: str | None = None,
    title: str | None = None,
):
    """Cohort x periods-since-start retention heatmap (plotly); values are shares.

    ``title`` defaults to "Share of each cohort active k periods later" (in the report's
    language).

    The index holds the cohorts' start dates; they are labelled as their ``period``
    (``2025-01``, ``2025Q1``, ``2025-W03``; see :func:`period_label`), inferred from
    the dates when not given, on a category axis (a date axis would put its own ticks,
    e.g. weekly dates on monthly cohorts).
    """
    import plotly.graph_objects as go

    period = period or infer_period(matrix.index)
    if title is None:
        title = tr("Share of each cohort active k periods later")
    z = matrix.to_numpy(dtype=float) * 100
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.0f}")(np.nan_to_num(z)))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(c) for c in matrix.columns],
            y=[period_label(i, period) for i in matrix.index],
            colorscale="Blues",
            zmin=0,
            zmax=100,
            text=text,
            texttemplate="%{text}",
            hovertemplate=tr("cohort") + " %{y}, k = %{x}: %{z:.1f}%<extra></extra>",
            colorbar={"title": "%"},
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=tr("periods since first purchase"),
        xaxis={"type": "category"},
        yaxis={
            "autorange": "reversed",
            "title": tr("cohort ({period})", period=label(period)),
            "type": "category",
        },
        height=max(350, 22 * len(matrix) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def share_chart(
    summary: pd.DataFrame,
    *,
    members_col: str = "share",
    value_col: str = "revenue_share",
    title: str = "",
):
    """Share of members vs share of revenue per segment (plotly grouped bars)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    names = [str(i) for i in summary.index]
    fig.add_bar(
        x=names, y=summary[members_col] * 100, name=tr("% of members"), marker_color="#9ecae1"
    )
    fig.add_bar(
        x=names, y=summary[value_col] * 100, name=tr("% of revenue"), marker_color="#2b5d8a"
    )
    fig.update_layout(
        barmode="group",
        yaxis_title="%",
        title=title,
        height=400,
        margin={"l": 10, "r": 10, "t": 40, "b": 80},
    )
    return fig


def migration_heatmap(matrix: pd.DataFrame, *, start: str, end: str):
    """Tier migration: tier at ``start`` (rows) x tier at ``end`` (columns), row shares."""
    import plotly.graph_objects as go

    shares = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0) * 100
    fig = go.Figure(
        go.Heatmap(
            z=shares.to_numpy(dtype=float),
            x=[str(c) for c in shares.columns],
            y=[str(i) for i in shares.index],
            colorscale="Greens",
            zmin=0,
            zmax=100,
            text=matrix.to_numpy(),
            texttemplate="%{text}",
            hovertemplate="%{y} -> %{x}: %{z:.1f}% (n=%{text})<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title=tr("tier on {date}", date=format_date(end)),
        yaxis_title=tr("tier on {date}", date=format_date(start)),
        yaxis={"autorange": "reversed"},
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def holdout_chart(table: pd.DataFrame):
    """Predicted vs actual holdout purchases by calibration-period frequency (plotly).

    ``table`` has columns ``frequency`` (label), ``predicted`` and ``actual``
    (mean purchases per member in the holdout period).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    x = [str(v) for v in table["frequency"]]
    fig.add_scatter(x=x, y=table["actual"], mode="lines+markers", name=tr("actual"))
    fig.add_scatter(
        x=x,
        y=table["predicted"],
        mode="lines+markers",
        name=tr("BG/NBD predicted"),
        line={"dash": "dash"},
    )
    fig.update_layout(
        xaxis_title=tr("repeat purchases in the calibration period"),
        yaxis_title=tr("mean purchases in the holdout period"),
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def gains_chart(gains: pd.DataFrame):
    """Cumulative gains of a churn model (plotly): share of churners caught vs share targeted.

    ``gains`` has columns ``cum_share_members`` and ``cum_share_churners`` (0..1).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    x = [0, *list(gains["cum_share_members"] * 100)]
    y = [0, *list(gains["cum_share_churners"] * 100)]
    fig.add_scatter(x=x, y=y, mode="lines+markers", name=tr("model"))
    fig.add_scatter(
        x=[0, 100],
        y=[0, 100],
        mode="lines",
        name=tr("random"),
        line={"dash": "dot", "color": "grey"},
    )
    fig.update_layout(
        xaxis_title=tr("% of members contacted (highest risk first)"),
        yaxis_title=tr("% of churners reached"),
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def cohort_curves(matrix: pd.DataFrame, *, period: str | None = None, max_cohorts: int = 8):
    """Retention curves: share of each cohort active k periods later (plotly lines).

    ``matrix`` is cohort x k shares; every ``len // max_cohorts``-th cohort is drawn and
    named as its ``period`` (see :func:`cohort_heatmap`).
    """
    import plotly.graph_objects as go

    period = period or infer_period(matrix.index)
    step = max(1, int(np.ceil(len(matrix) / max_cohorts)))
    fig = go.Figure()
    for cohort, row in matrix.iloc[::step].iterrows():
        values = row.dropna()
        fig.add_scatter(
            x=[int(k) for k in values.index],
            y=values * 100,
            mode="lines+markers",
            name=period_label(cohort, period),
        )
    fig.update_layout(
        xaxis_title=tr("periods since first purchase"),
        yaxis_title=tr("% active"),
        height=400,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def tier_mix_chart(mix: pd.DataFrame, *, period: str | None = None):
    """Tier mix over time (plotly stacked areas); ``mix`` has period, tier, share.

    Periods are named and placed as in :func:`kpi_chart`.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    names = dict(zip(mix["period"], _period_names(mix["period"], period), strict=True))
    for tier, part in mix.groupby("tier", sort=False):
        fig.add_scatter(
            x=[names[p] for p in part["period"]],
            y=part["share"] * 100,
            name=str(tier),
            stackgroup="one",
            mode="lines",
        )
    fig.update_layout(
        yaxis_title=tr("% of members"),
        xaxis={"type": "category"},
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def _period_names(starts: pd.Series, period: str | None = None) -> list[str]:
    """Period start dates as :func:`period_label` names them (text that is no date: as is)."""
    period = period or infer_period(list(starts.drop_duplicates()))
    return [period_label(p, period) for p in starts]
