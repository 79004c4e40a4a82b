"""mmmkit.figures: the figure class, grid, tick labels and colours every chart shares."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from mmmkit import figures


def test_grid_hides_unused_cells_and_registers_nothing():
    fig, axes = figures.grid(5, 3, 2.0, 1.5)
    assert isinstance(fig, figures.ImageFigure)
    assert len(axes) == 5
    assert sum(ax.get_visible() for ax in fig.axes) == 5 and len(fig.axes) == 6
    assert plt.get_fignums() == []  # not a pyplot figure: nothing leaks


def test_image_figure_shows_as_png():
    fig, (ax,) = figures.grid(1, 1, 2.0, 1.5)
    ax.plot([0, 1], [0, 1])
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_thousands():
    _fig, (ax,) = figures.grid(1, 1, 2.0, 1.5)
    figures.thousands(ax)
    formatter = ax.yaxis.get_major_formatter()
    assert formatter(1_250_000, 0) == "1,250,000"
    assert formatter(0, 0) == "0"
    assert formatter(0.12345, 0) == "0.123"


def test_compact_ticks_and_date_axis():
    import pandas as pd
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    _fig, (ax,) = figures.grid(1, 1, 2.0, 1.5)
    figures.compact_ticks(ax, "x")
    assert ax.xaxis.get_major_formatter()(1_500_000, 0) == "1.5M"
    assert ax.xaxis.get_major_formatter()(250_000, 0) == "250k"
    figures.compact_ticks(ax, "y")
    assert ax.yaxis.get_major_formatter()(2_000_000, 0) == "2M"
    dates = pd.date_range("2021-01-04", periods=104, freq="W-MON")
    ax.plot(dates, range(104))
    figures.date_axis(ax)
    assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
    assert isinstance(ax.xaxis.get_major_locator(), AutoDateLocator)


def test_channel_colors_are_stable():
    model = SimpleNamespace(channels=["tv", "search", "social"])
    colors = figures.channel_colors(model)
    assert list(colors) == model.channels
    assert colors == figures.channel_colors(model)
    assert len(set(colors.values())) == 3
    many = figures.channel_colors(SimpleNamespace(channels=[f"c{i}" for i in range(12)]))
    assert len(set(many.values())) == 12  # tab20 beyond ten channels
