"""Figures of the segmentation study (plotly). No statistics here: every number is passed in.

:func:`criteria_chart` draws an information criterion by number of segments for each covariance
model (lower is better), :func:`kmeans_criteria_chart` the elbow and silhouette of k-means,
:func:`profile_chart` the standardized profile of each segment, :func:`item_response_chart`
the item-response probabilities of each latent class and :func:`segment_map` the members on
the first two principal components, coloured by segment.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from workbench.i18n import gettext as tr

__all__ = [
    "criteria_chart",
    "item_response_chart",
    "kmeans_criteria_chart",
    "profile_chart",
    "segment_map",
]

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 40}


def criteria_chart(
    table: pd.DataFrame,
    *,
    criterion: str = "bic",
    chosen: tuple[int, str] | None = None,
):
    """One line per covariance model: ``criterion`` by number of segments (plotly).

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by (``k``, ``model``) with a column ``criterion`` (NaN where a model was not
        fitted), as the ``table`` of a
        :class:`~workbench.segmentation.MixtureSelection`.
    criterion : str
        The column to draw; lower is better.
    chosen : (int, str), optional
        The chosen k and model, marked with a star.
    """
    import plotly.graph_objects as go

    order = list(dict.fromkeys(table.index.get_level_values("model")))  # the table's order
    wide = table[criterion].unstack("model").reindex(columns=order)
    fig = go.Figure()
    for model in wide.columns:
        values = wide[model]
        fig.add_scatter(
            x=[int(k) for k in wide.index],
            y=values.to_numpy(),
            mode="lines+markers",
            name=str(model),
            connectgaps=False,
        )
    if chosen is not None and chosen in table.index:
        k, model = chosen
        fig.add_scatter(
            x=[int(k)],
            y=[float(table.loc[chosen, criterion])],
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": "black"},
            name=tr("chosen: {model}, k = {k}", model=model, k=k),
        )
    fig.update_layout(
        title=f"{criterion.upper()} by number of segments (lower is better)",
        xaxis_title="number of segments k",
        yaxis_title=criterion.upper(),
        xaxis={"dtick": 1},
        height=450,
        margin=_MARGIN,
    )
    return fig


def kmeans_criteria_chart(table: pd.DataFrame, *, chosen: int | None = None):
    """The k-means elbow (within-segment sum of squares) and mean silhouette by k (plotly).

    ``table`` is indexed by ``k`` with columns ``within_ss`` and ``silhouette``.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("within-segment SS", "mean silhouette"))
    ks = [int(k) for k in table.index]
    fig.add_scatter(
        x=ks, y=table["within_ss"], mode="lines+markers", name="within SS", row=1, col=1
    )
    fig.add_scatter(
        x=ks, y=table["silhouette"], mode="lines+markers", name="silhouette", row=1, col=2
    )
    if chosen is not None and chosen in table.index:
        fig.add_trace(
            go.Scatter(
                x=[chosen],
                y=[float(table.loc[chosen, "silhouette"])],
                mode="markers",
                marker={"symbol": "star", "size": 16, "color": "black"},
                name=tr("chosen: k = {k}", k=chosen),
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="number of segments k", dtick=1)
    fig.update_layout(height=400, margin=_MARGIN)
    return fig


def profile_chart(profile: pd.DataFrame, *, names: Mapping[int, str] | None = None, band=0.5):
    """Standardized mean of each variable per segment, one line per segment (plotly).

    Parameters
    ----------
    profile : pandas.DataFrame
        Segments (rows) by variables (columns): means in standard deviations of the whole
        sample.
    names : mapping, optional
        Segment -> name shown in the legend.
    band : float
        Dotted lines at +-band (the rule for a distinctive feature).
    """
    import plotly.graph_objects as go

    names = dict(names or {})
    fig = go.Figure()
    columns = [str(c) for c in profile.columns]
    for segment, row in profile.iterrows():
        label = f"{segment}: {names[segment]}" if segment in names else str(segment)
        fig.add_scatter(x=columns, y=row.to_numpy(), mode="lines+markers", name=label)
    for y in (-band, band):
        fig.add_hline(y=y, line_dash="dot", line_color="grey")
    fig.add_hline(y=0, line_color="lightgrey")
    fig.update_layout(
        title="Segment profiles (standardized means; dotted: +-0.5 SD)",
        yaxis_title="mean in SD of all members",
        height=450,
        margin=_MARGIN,
    )
    return fig


def item_response_chart(probabilities: pd.DataFrame, *, names: Mapping[int, str] | None = None):
    """Item-response probabilities of each latent class: one panel per class, one stacked bar
    per indicator split into its categories (plotly).

    Parameters
    ----------
    probabilities : pandas.DataFrame
        Indexed by (``indicator``, ``category``) with one column per class: P(category |
        class), as :attr:`~workbench.segmentation.LCAResult.response_probabilities`.
    names : mapping, optional
        Class -> name shown in the panel titles.
    """
    from plotly.subplots import make_subplots

    names = dict(names or {})
    classes = list(probabilities.columns)
    items = list(dict.fromkeys(probabilities.index.get_level_values("indicator")))
    # categories by position within each item (1st, 2nd, ... answer), so that a Likert scale
    # runs from the first colour to the last
    position = probabilities.groupby(level="indicator", sort=False).cumcount()
    n_pos = int(position.max()) + 1
    titles = [f"{c}: {names[c]}" if c in names else tr("class {c}", c=c) for c in classes]
    fig = make_subplots(rows=len(classes), cols=1, shared_xaxes=True, subplot_titles=titles)
    palette = [
        "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de",
        "#4393c3", "#2166ac", "#053061",
    ]  # fmt: skip
    for r, c in enumerate(classes, start=1):
        for p in range(n_pos):
            rows = probabilities[position.to_numpy() == p]
            labels = [str(cat) for _, cat in rows.index]
            fig.add_bar(
                x=[item for item, _ in rows.index],
                y=rows[c].to_numpy(),
                name=tr("answer {n}", n=p + 1),
                legendgroup=f"answer {p + 1}",
                showlegend=r == 1,
                marker_color=palette[round(p * (len(palette) - 1) / max(n_pos - 1, 1))],
                customdata=labels,
                hovertemplate="%{x} = %{customdata}: %{y:.2f}<extra></extra>",
                row=r,
                col=1,
            )
        fig.update_yaxes(range=[0, 1], title_text="P", row=r, col=1)
    fig.update_xaxes(categoryorder="array", categoryarray=items)
    fig.update_layout(
        barmode="stack",
        title="Item-response probabilities by class (answers from the first to the last category)",
        height=180 + 170 * len(classes),
        margin=_MARGIN,
        legend_title_text="category",
    )
    return fig


def segment_map(
    points: pd.DataFrame,
    *,
    explained: tuple[float, float],
    names: Mapping[int, str] | None = None,
):
    """Members on the first two principal components, coloured by segment (plotly).

    ``points`` has columns ``pc1``, ``pc2`` and ``segment``; ``explained`` the shares of
    variance of the two components.
    """
    import plotly.graph_objects as go

    names = dict(names or {})
    fig = go.Figure()
    for segment, part in points.groupby("segment", sort=True):
        label = f"{segment}: {names[segment]}" if segment in names else str(segment)
        fig.add_scatter(
            x=part["pc1"].to_numpy(),
            y=part["pc2"].to_numpy(),
            mode="markers",
            marker={"size": 5, "opacity": 0.7},
            name=label,
        )
    fig.update_layout(
        title="Members on the first two principal components of the inputs",
        xaxis_title=f"PC1 ({explained[0]:.0%} of the variance)",
        yaxis_title=f"PC2 ({explained[1]:.0%} of the variance)",
        height=500,
        margin=_MARGIN,
    )
    return fig
