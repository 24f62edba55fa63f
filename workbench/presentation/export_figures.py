"""Figures for the paper export, re-drawn from ``results.json`` in APA style (PNG 300 dpi, SVG).

APA 7 figure style (Publication Manual, sections 7.22-7.36): a plain white background, no
title inside the image (the number and title go above it in the document), axes with labels
and no top or right spine, no grid lines, one sans-serif typeface. Chinese labels need a
CJK font: :func:`~workbench.presentation.plots.cjk_font` finds one (e.g. Debian's
``fonts-noto-cjk``); without one a warning says labels may show as boxes.

Only numbers already in ``results.json`` are drawn; nothing is recomputed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from workbench.presentation.apa import is_missing, plain
from workbench.presentation.export import Figure
from workbench.presentation.export_text import text

Results = Mapping[str, Any]

#: dots per inch of the PNG files (APA and most journals ask for at least 300)
DPI = 300


def apa_style() -> Any:
    """matplotlib settings of an APA figure, with a CJK font in the fallback list."""
    from workbench.presentation.plots import cjk_font

    font = cjk_font()
    if font is None:
        warnings.warn(text("warning.no_cjk_font"), stacklevel=3)
    families = ["DejaVu Sans"] + ([font] if font else [])
    return {
        "font.family": families,
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "axes.edgecolor": "black",
        "axes.labelcolor": "black",
        "xtick.color": "black",
        "ytick.color": "black",
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
    }


def _save(fig: Any, folder: Path, key: str, title: str, note: str = "") -> Figure:
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{key}.png", folder / f"{key}.svg"
    fig.savefig(png, dpi=DPI, bbox_inches="tight")
    fig.savefig(svg, bbox_inches="tight")
    plt.close(fig)
    return Figure(key=key, title=title, png=png, svg=svg, note=note)


def _bar(labels: list[str], values: list[float], xlabel: str) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.45 * len(labels) + 1.2))
    positions = range(len(labels))
    ax.barh(list(positions), values, color="0.45", edgecolor="black", linewidth=0.6)
    ax.set_yticks(list(positions), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    return fig


def _efa_loadings(r: Results, folder: Path) -> list[Figure]:
    import matplotlib.pyplot as plt

    loadings = (r.get("efa") or {}).get("loadings") or {}
    if not loadings:
        return []
    items = list(loadings)
    factors = list(next(iter(loadings.values())))
    # absolute loadings in grey shades; the sign is not shown (the table gives it)
    values = [[abs(float(loadings[i].get(f) or 0.0)) for f in factors] for i in items]
    fig, ax = plt.subplots(figsize=(0.45 * len(factors) + 2.5, 0.22 * len(items) + 1.2))
    image = ax.imshow(values, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(factors)), factors)
    ax.set_yticks(range(len(items)), items, fontsize=7)
    ax.set_xlabel(text("axis.factor"))
    ax.set_ylabel(text("axis.item"))
    fig.colorbar(image, ax=ax, fraction=0.04)
    return [_save(fig, folder, "efa_loadings", text("figure.efa_loadings"))]


def _importance(r: Results, folder: Path) -> list[Figure]:
    ri = r.get("relative_importance") or {}
    r2 = ri.get("r2")
    pairs = [
        (name, v["lmg"])
        for name, v in ri.items()
        if isinstance(v, Mapping) and not is_missing(v.get("lmg"))
    ]
    if not pairs or is_missing(r2) or not r2:
        return []
    pairs.sort(key=lambda p: -p[1])
    fig = _bar([p[0] for p in pairs], [100 * p[1] / r2 for p in pairs], text("axis.share_r2"))
    return [_save(fig, folder, "importance", text("figure.importance"))]


def _paths(r: Results, folder: Path) -> list[Figure]:
    labels: list[str] = []
    values: list[float] = []
    if r.get("study") == "pls-sem":
        for key, p in (r.get("paths") or {}).items():
            a, _, b = key.partition("->")
            labels.append(plain(text("row.arrow", a=a, b=b)))
            values.append(p.get("estimate"))
    else:
        for key, p in ((r.get("sem") or {}).get("paths") or {}).items():
            lhs, _, rhs = key.partition("~")
            labels.append(plain(text("row.arrow", a=rhs, b=lhs)))
            values.append(p.get("std"))
    kept = [(lab, v) for lab, v in zip(labels, values, strict=True) if not is_missing(v)]
    if not kept:
        return []
    fig = _bar([k[0] for k in kept], [float(k[1]) for k in kept], text("axis.beta"))
    return [_save(fig, folder, "paths", text("figure.paths"))]


def _segments(r: Results, folder: Path) -> list[Figure]:
    import matplotlib.pyplot as plt

    segments = r.get("segments") or {}
    variables = list((r.get("segmentation") or {}).get("variables") or [])
    if not segments or not variables:
        return []
    fig, ax = plt.subplots(figsize=(6, 3.5))
    markers = "osD^v<>"
    for i, (sid, s) in enumerate(segments.items()):
        means = s.get("means") or {}
        ax.plot(
            range(len(variables)),
            [means.get(v, float("nan")) for v in variables],
            marker=markers[i % len(markers)],
            color=str(0.15 + 0.6 * i / max(1, len(segments) - 1)),
            label=str(s.get("name") or sid),
        )
    ax.set_xticks(range(len(variables)), variables)
    ax.set_ylabel(text("axis.mean"))
    ax.legend(frameon=False)
    return [_save(fig, folder, "segments", text("figure.segments"))]


DRAWERS: dict[str, Callable[[Results, Path], list[Figure]]] = {
    "factor-analysis": _efa_loadings,
    "loyalty-drivers": _importance,
    "experience-economy": _paths,
    "pls-sem": _paths,
    "segmentation": _segments,
}


def draw_figures(results: Results, folder: str | Path) -> list[Figure]:
    """Draw a run's figures into ``folder`` (PNG at :data:`DPI` and SVG); returns them.

    Studies without a figure here (member-analytics, programme-evaluation, points-programme)
    return ``[]``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    drawer = DRAWERS.get(str(results.get("study")))
    if drawer is None:
        return []
    with plt.rc_context(apa_style()):
        return drawer(results, Path(folder))
