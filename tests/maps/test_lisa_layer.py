"""Tests for snt_geo.maps.lisa_layer: the LISA class map, drawn and loaded in a real browser."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.linkage import find_ward_clusters
from snt_geo.maps import make_map, save_offline_html
from snt_geo.maps.lisa_layer import WARD_CLUSTER_PALETTE, draw_ward_clusters


@pytest.fixture(scope="module")
def clusters():
    """A 6 x 6 block of 300 m wards: high values in the south-west corner, low in the north-east."""
    boxes, codes, values = [], [], []
    rng = np.random.default_rng(2)
    for i in range(6):
        for j in range(6):
            boxes.append(shapely.box(530_000 + 300 * i, 180_000 + 300 * j, 530_300 + 300 * i,
                                     180_300 + 300 * j))  # fmt: skip
            codes.append(f"W{i}{j}")
            values.append(10.0 - (i + j) + rng.normal(0, 0.3))
    wards = gpd.GeoDataFrame(
        {"ward_name": [f"Ward <b>{c}</b>" for c in codes]},
        geometry=boxes,
        index=pd.Index(codes, name="ward_code"),
        crs=27700,
    )
    out = find_ward_clusters(wards, values=pd.Series(values, index=wards.index), rng=1)
    out["ward_name"] = wards["ward_name"]
    return out


def test_layer_colours_each_class_and_counts_it(clusters):
    layer = draw_ward_clusters(clusters)
    counts = layer.info.choices["counts"]
    assert counts == clusters["cluster_class"].value_counts().to_dict()
    assert counts["high_high"] > 0 and counts["low_low"] > 0
    payload = json.loads(layer.payload_json)
    assert len(payload["g"]) == len(clusters)
    legend = [item.label for item in layer.legend.items]
    assert any(label.startswith("High-high cluster (") for label in legend)
    assert [item.color for item in layer.legend.items] == list(WARD_CLUSTER_PALETTE.values())


def test_layer_loads_offline_in_a_browser(clusters, tmp_path, open_page, offline_load_check):
    layer = draw_ward_clusters(clusters)
    page = open_page(save_offline_html(make_map(layer), tmp_path / "lisa.html"))
    offline_load_check(page.driver, page.console)
    drawn = page.js(
        "var n = 0; window[arguments[0]].eachLayer(function (l) {"
        "  if (l._path && document.contains(l._path)) { n += 1; } }); return n;",
        layer.get_name(),
    )
    assert drawn == len(clusters)
    titles = page.js(
        "return Array.from(document.querySelectorAll('.snt-legend-title')).map(e => e.textContent)"
    )
    assert "Ward clusters (LISA)" in titles


def test_unknown_classes_are_refused(clusters):
    bad = clusters.assign(cluster_class="hot")
    with pytest.raises(ValueError, match="'cluster_class' must hold only"):
        draw_ward_clusters(bad)
