"""Tests for snt_geo.maps.scale_chart: the scan chart shows the scan and marks the chosen band."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from snt_geo.linkage.scale import choose_hotspot_scale
from snt_geo.maps.scale_chart import draw_scale_scan

X0, Y0 = 530_000.0, 180_000.0


def _line(ax, label):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def test_chart_plots_every_band_and_rings_the_chosen_one(tmp_path):
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(7)
    background = rng.uniform(0, 3000, (400, 2))
    clusters = np.vstack([c + rng.normal(0, 60, (60, 2)) for c in rng.uniform(500, 2500, (6, 2))])
    pts = gpd.GeoSeries(shapely.points(np.vstack([background, clusters]) + (X0, Y0)), crs=27700)
    scale = choose_hotspot_scale(pts)
    ax = draw_scale_scan(scale)
    line = _line(ax, "z_score")
    np.testing.assert_allclose(line.get_xdata(), scale.scan["distance_m"])
    np.testing.assert_allclose(line.get_ydata(), scale.scan["z_score"])
    ring = _line(ax, "chosen")
    assert list(ring.get_xdata()) == [scale.neighbour_distance_m]
    assert _line(ax, "threshold").get_ydata()[0] == pytest.approx(1.65)
    path = tmp_path / "scan.png"
    ax.figure.savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(ax.figure)


def test_chart_of_a_fallback_marks_the_fallback_distance():
    import matplotlib.pyplot as plt

    g = (np.arange(10) + 0.5) * 100.0
    xy = np.array([(X0 + x, Y0 + y) for x in g for y in g])
    scale = choose_hotspot_scale(gpd.GeoSeries(shapely.points(xy), crs=27700))
    ax = draw_scale_scan(scale.to_frame())
    labels = [line.get_label() for line in ax.get_lines()]
    assert "chosen" not in labels
    assert _line(ax, "fallback").get_xdata()[0] == pytest.approx(scale.neighbour_distance_m)
    plt.close(ax.figure)


def test_chart_refuses_other_input():
    with pytest.raises(TypeError, match="`scan` must be"):
        draw_scale_scan([1, 2, 3])
