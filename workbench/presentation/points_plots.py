"""Figures of the points-programme study (plotly). No statistics here: every number is passed in.

:func:`ledger_chart` draws the points issued, redeemed and expired by period with the
outstanding balance; :func:`redemption_curves` the cumulative redemption share of each issuance
cohort by development period; :func:`redemption_survival_chart` the share of points redeemed by
age; :func:`liability_chart` the contract liability's roll-forward; :func:`goal_gradient_chart`
the time to the next purchase by progress toward the reward; :func:`event_study_chart` the
effect of a first redemption by period relative to it.
"""

from __future__ import annotations

import pandas as pd

from workbench.i18n import gettext as tr
from workbench.i18n import label as label_of

__all__ = [
    "event_study_chart",
    "goal_gradient_chart",
    "ledger_chart",
    "liability_chart",
    "redemption_curves",
    "redemption_survival_chart",
]

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 40}


def ledger_chart(table: pd.DataFrame):
    """Points issued, redeemed and expired (bars) and outstanding (line), by period.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by period label, with ``issued``, ``redeemed``, ``expired`` and
        ``outstanding`` (points).
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [str(p) for p in table.index]
    for col, color in (("issued", "#2b5d8a"), ("redeemed", "#3a9b48"), ("expired", "#d1495b")):
        fig.add_bar(
            x=x, y=table[col], name=tr(f"points {col}"), marker_color=color, secondary_y=False
        )
    fig.add_scatter(
        x=x,
        y=table["outstanding"],
        name=tr("outstanding at the period's end"),
        mode="lines+markers",
        line={"color": "#444"},
        secondary_y=True,
    )
    fig.update_yaxes(title_text=tr("points in the period"), secondary_y=False)
    fig.update_yaxes(title_text=tr("points outstanding"), secondary_y=True, rangemode="tozero")
    fig.update_layout(barmode="group", height=420, margin=_MARGIN)
    return fig


def redemption_curves(share: pd.DataFrame, *, max_cohorts: int = 12):
    """One line per issuance cohort: cumulative share of its points redeemed by development.

    Parameters
    ----------
    share : pandas.DataFrame
        Cohorts (rows, labelled) by development periods (columns), shares in [0, 1]; missing
        cells are not yet observed.
    max_cohorts : int
        Only the latest cohorts are drawn.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    rows = share.tail(max_cohorts)
    steps = list(range(share.shape[1]))
    for label, values in rows.iterrows():
        fig.add_scatter(
            x=steps,
            y=values.to_numpy(dtype=float) * 100,
            mode="lines+markers",
            name=str(label),
            connectgaps=False,
        )
    fig.update_layout(
        xaxis_title=tr("periods since the points were earned"),
        yaxis_title=tr("% of the cohort's points redeemed"),
        height=420,
        margin=_MARGIN,
        legend_title_text=tr("earned in"),
    )
    return fig


def redemption_survival_chart(table: pd.DataFrame):
    """Share of points redeemed (and expired) by age in days.

    Parameters
    ----------
    table : pandas.DataFrame
        ``days``, ``cif_redeemed``, ``cif_other`` and ``km_redeemed`` (as
        :attr:`~workbench.behaviour.breakage.RedemptionSurvival.table`).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for col, name, dash in (
        ("cif_redeemed", "redeemed (Aalen-Johansen)", "solid"),
        ("cif_other", "expired or removed", "dot"),
        ("km_redeemed", "redeemed, expiry ignored (Kaplan-Meier)", "dash"),
    ):
        fig.add_scatter(
            x=table["days"],
            y=table[col] * 100,
            mode="lines",
            line={"shape": "hv", "dash": dash},
            name=tr(name),
        )
    fig.update_layout(
        xaxis_title=tr("days since the points were earned"),
        yaxis_title=tr("% of points"),
        height=400,
        margin=_MARGIN,
    )
    return fig


def liability_chart(table: pd.DataFrame, *, currency: str = ""):
    """Allocated and recognised (bars) and the closing liability (line), by period.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by period label with ``allocated``, ``revenue`` and ``closing``.
    currency : str
        The axis label's unit.
    """
    from plotly.subplots import make_subplots

    unit = f" ({currency})" if currency else ""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [str(p) for p in table.index]
    fig.add_bar(
        x=x, y=table["allocated"], name=tr("deferred to new points"), marker_color="#9ecae1",
        secondary_y=False,
    )  # fmt: skip
    fig.add_bar(
        x=x, y=table["revenue"], name=tr("revenue on redemption"), marker_color="#3a9b48",
        secondary_y=False,
    )  # fmt: skip
    fig.add_scatter(
        x=x,
        y=table["closing"],
        name=tr("contract liability at the period's end"),
        mode="lines+markers",
        line={"color": "#1d3f5e"},
        secondary_y=True,
    )
    fig.update_yaxes(title_text=tr("in the period") + unit, secondary_y=False)
    fig.update_yaxes(title_text=tr("liability") + unit, secondary_y=True, rangemode="tozero")
    fig.update_layout(barmode="group", height=420, margin=_MARGIN)
    return fig


def goal_gradient_chart(curve: pd.DataFrame, *, threshold: float, slope: float | None = None):
    """Time to the next purchase by progress toward the reward (within member).

    Parameters
    ----------
    curve : pandas.DataFrame
        One row per progress bin: ``progress_mid``, ``mean_demeaned_log_gap`` and ``n`` (as
        :attr:`~workbench.behaviour.goal_gradient.GoalGradient.curve`).
    threshold : float
        The reward threshold (points), for the axis title.
    slope : float, optional
        The fitted within-member slope, drawn as a line through the bins' weighted mean.
    """
    import numpy as np
    import plotly.graph_objects as go

    fig = go.Figure()
    x = curve["progress_mid"].to_numpy(dtype=float) * 100
    y = (np.exp(curve["mean_demeaned_log_gap"].to_numpy(dtype=float)) - 1) * 100
    fig.add_scatter(
        x=x,
        y=y,
        mode="markers",
        marker={"size": 8 + 16 * curve["n"] / max(float(curve["n"].max()), 1.0)},
        name=tr("bins (size: gaps)"),
        text=[tr("{n} gaps", n=int(n)) for n in curve["n"]],
    )
    if slope is not None and np.isfinite(slope):
        n = curve["n"].to_numpy(dtype=float)
        ok = np.isfinite(curve["mean_demeaned_log_gap"].to_numpy(dtype=float)) & (n > 0)
        p = curve["progress_mid"].to_numpy(dtype=float)[ok]
        level = curve["mean_demeaned_log_gap"].to_numpy(dtype=float)[ok]
        centre = float(np.average(p, weights=n[ok])) if ok.any() else 0.5
        base = float(np.average(level, weights=n[ok])) if ok.any() else 0.0
        grid = np.linspace(0, 1, 21)
        fig.add_scatter(
            x=grid * 100,
            y=(np.exp(base + slope * (grid - centre)) - 1) * 100,
            mode="lines",
            name=tr("fitted within-member slope"),
        )
    fig.update_layout(
        xaxis_title=tr(
            "progress toward the reward (% of {threshold} points)", threshold=f"{threshold:,.0f}"
        ),
        yaxis_title=tr("days to next purchase, % vs the member's usual"),
        height=400,
        margin=_MARGIN,
    )
    return fig


def event_study_chart(effects: pd.DataFrame, *, outcome: str = "outcome"):
    """Estimates with confidence intervals by period relative to the event (k = 0).

    Parameters
    ----------
    effects : pandas.DataFrame
        ``k``, ``estimate``, ``ci_low`` and ``ci_high`` (one row per relative period; the
        reference period may be absent).
    outcome : str
        The outcome's name for the axis title.
    """
    import plotly.graph_objects as go

    e = effects.reset_index() if "k" not in effects.columns else effects
    fig = go.Figure()
    fig.add_scatter(
        x=e["k"],
        y=e["estimate"],
        mode="markers+lines",
        error_y={
            "type": "data",
            "symmetric": False,
            "array": e["ci_high"] - e["estimate"],
            "arrayminus": e["estimate"] - e["ci_low"],
        },
        name=tr("effect (95% CI)"),
    )
    fig.add_hline(y=0, line={"color": "#888", "dash": "dot"})
    fig.add_vline(x=-0.5, line={"color": "#d1495b", "dash": "dash"})
    fig.update_layout(
        xaxis_title=tr("periods relative to the first redemption"),
        yaxis_title=tr("difference in {outcome}", outcome=label_of(outcome)),
        height=400,
        margin=_MARGIN,
    )
    return fig
