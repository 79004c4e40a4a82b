"""The matplotlib machinery every chart of :mod:`mmmkit.plots` shares.

A figure class that Jupyter shows as an image, the colours (a channel keeps its colour in every
chart), a grid of panels, tick labels with thousands separators or in k / M (spend axes, whose
millions would overlap) and concise date axes. Figures are built on the
object-oriented API (``matplotlib.figure.Figure``), never on ``pyplot``: nothing is registered
with a GUI backend, so they work headless and in loops without leaking open figures.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from mmmkit.formatting import compact

__all__ = [
    "ACTUAL_COLOR",
    "BASELINE_COLOR",
    "MAX_PANELS",
    "NEGATIVE_COLOR",
    "PREDICTED_COLOR",
    "ImageFigure",
    "channel_colors",
    "compact_ticks",
    "date_axis",
    "grid",
    "thousands",
]

# Colours: the baseline is neutral grey so that the media layers stand out on top of it.
BASELINE_COLOR = "#b8b8b8"
ACTUAL_COLOR = "#222222"
PREDICTED_COLOR = "#1f5fa8"
NEGATIVE_COLOR = "#c0392b"
MAX_PANELS = 40  # arviz's own cap on subplots; more is unreadable on one figure anyway


class ImageFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that Jupyter shows as an image.

    IPython draws a plain Figure only through the formatter that ``%matplotlib inline``
    registers; in a kernel where that never ran (these figures never touch pyplot), a cell
    returning one printed ``<Figure size ...>``. Where the inline formatter is registered,
    IPython prefers it and this method is not used.
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


def thousands(ax, axis: str = "y") -> None:
    """Tick labels with thousands separators (1,250,000 rather than 1.25e6)."""
    def fmt(v, _pos):
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:,.3g}"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(fmt))


def compact_ticks(ax, axis: str = "x") -> None:
    """Tick labels in k / M / B (350k, 1.2M; :func:`mmmkit.formatting.compact`): spends in
    the millions written out in full overlap on a narrow axis."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: compact(v)))


def date_axis(ax) -> None:
    """A date x axis with matplotlib's concise locator and formatter (years written once,
    months between), readable on a small panel."""
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def channel_colors(model) -> dict[str, Any]:
    """One colour per channel, stable across plots (tab10, then tab20 for many channels)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(model.channels) <= 10 else "tab20"]
    return {ch: cmap(i % cmap.N) for i, ch in enumerate(model.channels)}


def grid(n: int, ncols: int, width: float, height: float, **kwargs) -> tuple[Figure, list]:
    """An :class:`ImageFigure` with ``n`` axes in rows of ``ncols``; unused cells are hidden."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = ImageFigure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **kwargs)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])
