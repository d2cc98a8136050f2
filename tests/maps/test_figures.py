"""Tests for snt_geo.maps.figures: each figure written as PNG and SVG, decoded and looked at."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from snt_geo.errors import SchemaError
from snt_geo.linkage import cluster_incidents, summarise_clusters
from snt_geo.maps.figures import (
    plot_cluster_map,
    plot_hotspot_map,
    plot_monthly_trend,
    plot_time_of_day,
    plot_ward_choropleth,
    save_figure,
)
from snt_geo.maps.layers import HOTSPOT_PALETTE, SEQUENTIAL_PALETTES
from snt_geo.profile.exceptions import find_exceptions
from snt_geo.temporal import time_of_day

MM_PER_INCH = 25.4


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def _look(paths):
    """(RGBA pixels of the PNG decoded by Pillow, all text of the SVG)."""
    png, svg = paths
    assert png.suffix == ".png" and svg.suffix == ".svg"
    with Image.open(png) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("RGBA"))
    root = ET.parse(svg).getroot()  # parses: a well-formed SVG document
    assert root.tag.endswith("svg")
    text = " ".join(t for el in root.iter() if el.tag.endswith("text") for t in el.itertext())
    return pixels, text


def _share_non_white(pixels) -> float:
    rgb = pixels[..., :3].astype(int)
    return float((rgb.min(axis=-1) < 245).mean())


def _has_colour(pixels, hex_colour: str, tolerance: int = 6) -> bool:
    diff = np.abs(pixels[..., :3].astype(int) - _rgb(hex_colour)).max(axis=-1)
    return bool((diff <= tolerance).sum() >= 20)


def test_ward_choropleth_png_and_svg(tmp_path, city_wards):
    wards = city_wards.copy()
    wards.loc[wards.index[0], "burglary_rate_per_1000"] = np.nan
    fig = plot_ward_choropleth(
        wards,
        "burglary_rate_per_1000",
        title="Burglary rate",
        legend_title="Burglaries per 1,000 residents",
    )
    pixels, text = _look(save_figure(fig, tmp_path / "choropleth"))
    assert _share_non_white(pixels) > 0.2
    assert _has_colour(pixels, SEQUENTIAL_PALETTES["YlOrRd"][-1])  # the top class is painted
    assert "Burglaries per 1,000 residents" in text and "No data" in text
    assert "Burglary rate" in text
    assert str(wards["ward_name"].iloc[3]) in text  # ward names written on the map
    width_in, height_in = fig.get_size_inches()
    assert width_in * MM_PER_INCH == pytest.approx(170)
    assert height_in * MM_PER_INCH <= 250  # fits an A4 page inside its margins


def test_hotspot_map_png_and_svg(tmp_path, city_cells, city_wards):
    fig = plot_hotspot_map(city_cells, wards=city_wards, title="Hot spots")
    pixels, text = _look(save_figure(fig, tmp_path / "hotspots"))
    assert _share_non_white(pixels) > 0.02
    assert _has_colour(pixels, HOTSPOT_PALETTE["hot_99"])
    assert "Getis-Ord Gi*" in text and "Hot spot, 99% confidence" in text


def test_cluster_map_png_and_svg(tmp_path, city_incidents, city_wards):
    xmin, ymin, xmax, ymax = city_wards.total_bounds
    street = city_incidents.cx[xmin:xmax, ymin:ymax]
    street = street[street["crime_type"].isin(["Robbery", "Theft from the person"])]
    labels = cluster_incidents(street, distance_m=100, min_incidents=15)
    clusters = summarise_clusters(street, labels, wards=city_wards)
    fig = plot_cluster_map(clusters, wards=city_wards, title="Street crime clusters")
    pixels, text = _look(save_figure(fig, tmp_path / "clusters"))
    assert _share_non_white(pixels) > 0.02
    assert _has_colour(pixels, "#E69F00", tolerance=40)  # the largest cluster's fill (alpha)
    biggest = clusters[clusters.index != -1]["incident_count"].idxmax()
    assert f"Cluster {biggest}:" in text and "Clusters" in text


def _trend_result():
    boxes = [shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(2)]
    wards = gpd.GeoDataFrame(
        {"ward_name": ["A", "B"]},
        geometry=boxes,
        index=pd.Index(["W1", "W2"], name="ward_code"),
        crs=27700,
    )
    rng = np.random.default_rng(0)
    rows = []
    for m in range(15):
        month = str(pd.Period("2023-01", "M") + m)
        rows += [(50.0, 50.0, month)] * int(rng.poisson(8))
        rows += [(150.0, 50.0, month)] * int(rng.poisson(4))
    xs, ys, months = zip(*rows, strict=True)
    incidents = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(months, freq="M"), "crime_type": "Burglary"},
        geometry=shapely.points(np.column_stack([xs, ys])),
        crs=27700,
    )
    return find_exceptions(incidents, wards, theme_keys=["burglary"])


def test_monthly_trend_with_expected_band_png_and_svg(tmp_path):
    result = _trend_result()
    series = result.monthly.loc[("W1", "burglary")]
    series.attrs = result.monthly.attrs
    fig = plot_monthly_trend(series, title="Ward A burglary")
    pixels, text = _look(save_figure(fig, tmp_path / "trend"))
    assert _share_non_white(pixels) > 0.05
    assert _has_colour(pixels, "#c6dbef")  # the expected band is painted
    for entry in ("Recorded", "Expected", "Expected range (95%)", "Month tested"):
        assert entry in text
    width_in, height_in = fig.get_size_inches()
    assert (width_in * MM_PER_INCH, height_in * MM_PER_INCH) == pytest.approx((170, 80))


def test_time_of_day_heat_table_png_and_svg(tmp_path):
    rng = np.random.default_rng(2)
    starts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86_400, 300), "min")
    frame = pd.DataFrame({"from": starts, "to": starts + pd.Timedelta("3h")})
    fig = plot_time_of_day(time_of_day(frame, start="from", end="to"), title="Burglary by hour")
    pixels, text = _look(save_figure(fig, tmp_path / "time_of_day"))
    assert _share_non_white(pixels) > 0.3
    assert "Incidents (aoristic weights)" in text and "Mon" in text and "Sun" in text


def test_time_of_day_without_times_says_so(tmp_path):
    incidents = pd.DataFrame({"month": ["2024-01", "2024-02"]})
    fig = plot_time_of_day(time_of_day(incidents))
    pixels, text = _look(save_figure(fig, tmp_path / "no_times"))
    assert "No time-of-day table" in text and "months only" in text
    assert _share_non_white(pixels) > 0  # the message is drawn
    assert not _has_colour(pixels, "#800026")  # and no heat colours


def test_bad_arguments_are_named(tmp_path, city_wards):
    with pytest.raises(SchemaError, match="`column` 'nope' is not a column of `wards`"):
        plot_ward_choropleth(city_wards, "nope")
    with pytest.raises(ValueError, match="`width_mm` must be a positive number of millimetres"):
        plot_ward_choropleth(city_wards, "burglary_rate_per_1000", width_mm=-1)
    with pytest.raises(SchemaError, match="`cells` needs a `hotspot_class` column"):
        plot_hotspot_map(city_wards)
    fig = plot_monthly_trend(pd.Series([1, 2], index=["2024-01", "2024-02"]))
    with pytest.raises(ValueError, match="`formats` must name some of"):
        save_figure(fig, tmp_path / "x", formats=("gif",))


def test_assessment_map_per_theme_png_and_svg(tmp_path, sample_assessment):
    # The printed briefing's map: each hot spot theme can be drawn, and a theme the assessment
    # has no hot spots for is refused naming the argument.
    from snt_geo._labels import theme_label
    from snt_geo.maps import plot_assessment_map

    assessment = sample_assessment
    themes = list(assessment.hotspot_themes)
    assert len(themes) >= 2
    for theme in themes[:2]:
        fig = plot_assessment_map(assessment, theme=theme)
        pixels, text = _look(save_figure(fig, tmp_path / f"map-{theme}"))
        assert _share_non_white(pixels) > 0.02
        assert f"Hot spots and clusters: {theme_label(theme, assessment.themes)}" in text
    with pytest.raises(ValueError, match="`theme` must be one of"):
        plot_assessment_map(assessment, theme="no_such_theme")
