"""The evaluation chart, written as PNG and SVG and looked at."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from snt_geo.io import read_police_uk
from snt_geo.maps.evaluation_chart import plot_evaluation
from snt_geo.maps.figures import save_figure
from snt_geo.problem_solving import evaluate_intervention

TREATED_COLOUR = (0xD5, 0x5E, 0x00)


@pytest.fixture(scope="module")
def evaluation(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        incidents = read_police_uk(
            shared_data / "police-uk-metropolitan-street-burglary-only",
            months=pd.period_range("2024-01", "2025-02", freq="M"),
        )
    treated = gpd.GeoSeries([shapely.box(528000, 180000, 530000, 182000)], crs="EPSG:27700")
    return evaluate_intervention(
        incidents, treated=treated, before=("2024-01", "2024-06"), after=("2024-08", "2025-01")
    )


def test_chart_png_and_svg_are_drawn(tmp_path, evaluation):
    fig = plot_evaluation(evaluation)
    png, svg = save_figure(fig, tmp_path / "evaluation")
    with Image.open(png) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image.convert("RGB")).astype(int)
    non_white = float((pixels.min(axis=-1) < 245).mean())
    assert non_white > 0.03  # not blank
    treated = (np.abs(pixels - np.array(TREATED_COLOUR)).max(axis=-1) <= 8).sum()
    assert treated >= 50  # the treated line is painted in its colour
    root = ET.parse(svg).getroot()
    text = " ".join(t for el in root.iter() if el.tag.endswith("text") for t in el.itertext())
    for label in ("Treated area (A)", "Buffer (B)", "Control (C)", "Response starts", "Before"):
        assert label in text
    assert "No decline beyond normal variation" in text
    width_in, height_in = fig.get_size_inches()
    assert (width_in * 25.4, height_in * 25.4) == pytest.approx((170, 90))


def test_chart_refuses_other_input():
    with pytest.raises(TypeError, match="`evaluation` must be the result of"):
        plot_evaluation(pd.DataFrame())
    with pytest.raises(ValueError, match="`width_mm` must be a positive number"):
        plot_evaluation(type("E", (), {"monthly": pd.DataFrame(), "method": 1})(), width_mm=0)
