"""Tests for snt_geo/maps/layers.py: payload contents, classification, CRS, escaping, edge cases."""

from __future__ import annotations

import base64
import dataclasses
import json
import struct
import zlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.maps import _draw as D
from snt_geo.maps import _palettes as P
from snt_geo.maps import _raster as R
from snt_geo.maps import layers as L
from snt_geo.maps.layers import (
    HOTSPOT_CLASSES,
    HOTSPOT_PALETTE,
    classify_values,
    draw_cluster_hulls,
    draw_estates,
    draw_hotspot_cells,
    draw_kde_surface,
    draw_links,
    draw_priority_groups,
    draw_priority_themes,
    draw_ward_choropleth,
    draw_ward_outlines,
)

EVIL = "<img src=x onerror=alert(1)>"


def payload(layer) -> dict:
    return json.loads(layer.payload_json)


def coords(p: dict) -> np.ndarray:
    out = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            out.append(c)
        else:
            for x in c:
                walk(x)

    for g in p["g"]:
        walk(g["coordinates"])
    return np.asarray(out, dtype=float)


def grid3x3() -> gpd.GeoDataFrame:
    """A 3x3 grid of 100 m 'wards' in central London, checkable by eye."""
    x0, y0 = 530_000, 180_000
    boxes, codes = [], []
    for j in range(3):
        for i in range(3):
            boxes.append(
                shapely.box(x0 + 100 * i, y0 + 100 * j, x0 + 100 * (i + 1), y0 + 100 * (j + 1))
            )
            codes.append(f"W{j}{i}")
    return gpd.GeoDataFrame(
        {
            "ward_name": [f"Ward {c}" for c in codes],
            "borough_code": ["B1"] * 6 + ["B2"] * 3,
            "borough_name": ["One"] * 6 + ["Two"] * 3,
            "rate_per_1000": np.arange(9, dtype=float),
            "secret": ["do-not-show"] * 9,
        },
        geometry=boxes,
        index=pd.Index(codes, name="ward_code"),
        crs="EPSG:27700",
    )


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize("k", [3, 5, 7])
def test_quantiles_match_pandas_qcut(k):
    v = np.random.default_rng(1).gamma(2.0, 3.0, 625)
    limits, classes = classify_values(v, scheme="quantiles", k=k)
    ref = pd.qcut(v, k, labels=False)
    np.testing.assert_array_equal(classes, ref)
    np.testing.assert_allclose(limits, np.quantile(v, np.arange(1, k + 1) / k))


def test_equal_interval_matches_pandas_cut():
    v = np.random.default_rng(2).normal(10, 3, 500)
    limits, classes = classify_values(v, scheme="equal_interval", k=4)
    np.testing.assert_array_equal(classes, pd.cut(v, 4, labels=False))
    assert limits[-1] == v.max()


def test_manual_breaks_and_nan():
    limits, classes = classify_values([1, 5, 10, 11, np.nan], scheme="manual", breaks=[5, 10])
    np.testing.assert_array_equal(limits, [5, 10, 11])
    np.testing.assert_array_equal(classes, [0, 0, 1, 2, -1])


def test_ties_collapse_classes():
    v = np.array([1, 1, 1, 1, 2], dtype=float)
    limits, classes = classify_values(v, k=5)
    np.testing.assert_allclose(limits, [1, 1.2, 2])
    # Right-closed: the four 1s are in the class "up to 1"; (1, 1.2] stays, empty.
    assert list(classes) == [0, 0, 0, 0, 2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scheme": "jenks"}, "`scheme` must be one of"),
        ({"k": 12}, "`k` must be an integer number of classes from 2 to 9; got 12"),
        ({"scheme": "manual"}, "`breaks` must list increasing"),
        ({"scheme": "manual", "breaks": [3, 2]}, "strictly increasing"),
        ({"breaks": [1, 2]}, 'only used with `scheme="manual"`'),
    ],
)
def test_classification_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        classify_values([1.0, 2.0, 3.0], **kwargs)


# ----------------------------------------------------------------------------- choropleth


def test_choropleth_known_answer():
    layer = draw_ward_choropleth(grid3x3(), column="rate_per_1000", scheme="manual", breaks=[2, 5])
    p = payload(layer)
    assert len(p["g"]) == 9
    # 0,1,2 -> class 0; 3,4,5 -> 1; 6,7,8 -> 2 (the added top class)
    assert p["style_index"] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert layer.info.choices["counts"] == [3, 3, 3]
    assert layer.info.choices["limits"] == [2.0, 5.0, 8.0]
    labels = [i.label for i in layer.legend.items]
    assert labels == ["0 to 2 (3)", "> 2 to 5 (3)", "> 5 to 8 (3)"]
    assert "manual breaks" in layer.legend.note


def test_choropleth_missing_values_drawn_as_no_data():
    w = grid3x3()
    w.loc["W00", "rate_per_1000"] = np.nan
    layer = draw_ward_choropleth(w, column="rate_per_1000", k=2)
    p = payload(layer)
    assert p["style_index"][0] == len(p["styles"]) - 1
    assert p["styles"][-1]["fillColor"] == P._NO_DATA_COLOUR
    assert layer.legend.items[-1].label == "No data (1)"
    assert p["values"][p["tooltip"][1]][0] == "n/a"


def test_tooltip_and_popup_carry_only_listed_columns():
    layer = draw_ward_choropleth(
        grid3x3(), column="rate_per_1000", tooltip=["ward_name"], popup=["borough_name"]
    )
    p = payload(layer)
    assert p["labels"] == ["ward name", "borough name"]
    assert p["tooltip"] == [0] and p["popup"] == [1]
    assert "do-not-show" not in layer.payload_json
    # The mapped column itself is not shown unless listed.
    assert "rate per 1000" not in p["labels"]


def test_missing_columns_reported_together():
    with pytest.raises(SchemaError, match="`wards` cannot be drawn") as err:
        draw_ward_choropleth(grid3x3(), column="nope", tooltip=["ward_name", "also_nope"])
    assert len(err.value.problems) == 2


def test_non_numeric_column_refused():
    with pytest.raises(SchemaError, match="must be numeric"):
        draw_ward_choropleth(grid3x3(), column="ward_name")


def test_no_crs_raises_crs_error():
    w = grid3x3().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"`wards` has no CRS.*set_crs"):
        draw_ward_choropleth(w, column="rate_per_1000")


def test_4326_and_27700_inputs_draw_the_same():
    w = grid3x3()
    a = payload(draw_ward_choropleth(w, column="rate_per_1000", simplify_m=0))
    b = payload(draw_ward_choropleth(w.to_crs(4326), column="rate_per_1000", simplify_m=0))
    assert a["style_index"] == b["style_index"] and a["values"] == b["values"]
    np.testing.assert_allclose(coords(a), coords(b), atol=1.01e-5)


def test_coordinates_rounded_to_5_decimals_and_bounds():
    layer = draw_ward_outlines(grid3x3())
    c = coords(payload(layer))
    np.testing.assert_allclose(c, np.round(c, 5), atol=1e-12)
    s, w, n, e = layer.bounds
    assert 51.4 < s < n < 51.6 and -0.2 < w < e < 0.0


def test_non_unique_index_and_duplicate_geometries():
    w = grid3x3()
    w = pd.concat([w, w.iloc[[0]]])
    w.index = ["X"] * len(w)
    layer = draw_ward_choropleth(w, column="rate_per_1000")
    assert len(payload(layer)["g"]) == 10


def test_empty_input_draws_nothing():
    layer = draw_ward_choropleth(grid3x3().iloc[:0], column="rate_per_1000")
    p = payload(layer)
    assert p["g"] == [] and layer.bounds is None and layer.info.n_drawn == 0


def test_null_geometry_warns_and_is_counted():
    w = grid3x3()
    w.loc["W11", "geometry"] = None
    with pytest.warns(UserWarning, match="`wards` has 1 rows with no geometry"):
        layer = draw_ward_choropleth(w, column="rate_per_1000")
    assert layer.info.n_drawn == 8 and layer.info.n_not_drawn == {"no geometry": 1}


def test_input_not_mutated():
    w = grid3x3()
    before = w.copy()
    draw_ward_outlines(w)
    draw_ward_choropleth(w, column="rate_per_1000")
    pd.testing.assert_frame_equal(w, before)


# ----------------------------------------------------------------------------- outlines


def test_ward_outlines_add_borough_lines(city_wards):
    layer = draw_ward_outlines(city_wards)
    p = payload(layer)
    assert len(p["g"]) == len(city_wards) + 1  # one borough (the City)
    assert p["style_index"][-1] == 1 and p["styles"][1]["interactive"] is False
    assert p["styles"][1]["pane"] == "sntTop"


def test_simplify_reduces_vertices(city_wards):
    full = coords(payload(draw_ward_outlines(city_wards, simplify_m=0, boroughs=False)))
    simple = coords(payload(draw_ward_outlines(city_wards, simplify_m=10, boroughs=False)))
    assert len(simple) < len(full)


def test_simplify_m_validated():
    with pytest.raises(
        ValueError, match=r"`simplify_m` must be a number of metres >= 0 .*; got -1"
    ):
        draw_ward_outlines(grid3x3(), simplify_m=-1)


def test_hostile_text_is_escaped_in_script(city_wards):
    w = city_wards.copy()
    w.iloc[0, w.columns.get_loc("ward_name")] = "</script>" + EVIL
    layer = draw_ward_outlines(w, name=EVIL)
    assert "</script>" not in layer.payload_json and "<img" not in layer.payload_json
    assert payload(layer)["values"][0][0] == "</script>" + EVIL
    assert layer.layer_name == "&lt;img src=x onerror=alert(1)&gt;"


# ----------------------------------------------------------------------------- hotspot cells


def test_hotspot_cells_palette_and_counts(city_cells):
    layer = draw_hotspot_cells(city_cells)
    p = payload(layer)
    counts = city_cells["hotspot_class"].value_counts()
    assert layer.info.n_not_drawn == {"not significant": int(counts["not_significant"])}
    assert len(p["g"]) == len(city_cells) - counts["not_significant"]
    drawn = city_cells[city_cells["hotspot_class"] != "not_significant"]
    fill = [p["styles"][i]["fillColor"] for i in p["style_index"]]
    assert fill == [HOTSPOT_PALETTE[c] for c in drawn["hotspot_class"]]
    assert layer.info.choices["counts"] == {c: int(counts.get(c, 0)) for c in HOTSPOT_CLASSES}
    assert "not-significant cells not drawn" in layer.legend.note
    shown = p["values"][p["tooltip"][0]]
    assert shown == [P._HOTSPOT_LABELS[c] for c in drawn["hotspot_class"]]
    assert p["labels"][:2] == ["class", "incident count"]


def test_hotspot_cells_all_shown_when_asked(city_cells):
    layer = draw_hotspot_cells(city_cells, show_not_significant=True)
    assert len(payload(layer)["g"]) == len(city_cells)


def test_hotspot_unknown_class_refused(city_cells):
    cells = city_cells.copy()
    cells.iloc[0, cells.columns.get_loc("hotspot_class")] = "warm"
    with pytest.raises(SchemaError, match="must hold only") as err:
        draw_hotspot_cells(cells)
    assert "warm" in str(err.value)


# ----------------------------------------------------------------------------- KDE


def decode_png(uri: str) -> np.ndarray:
    """Minimal PNG reader for the encoder's own output (8-bit RGBA, filter 0, one IDAT)."""
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        chunks[kind] = body
        pos += 12 + n
    w, h = struct.unpack(">II", chunks[b"IHDR"][:8])
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(h, w * 4 + 1)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 4)


def test_kde_block_of_cells_covers_its_area():
    # A 4x4 block of 500 m cells with density among empty ones: opaque pixels cover ~4 km2.
    x0, y0 = 530_000, 180_000
    xs, ys = np.meshgrid(np.arange(10) * 500 + x0, np.arange(10) * 500 + y0)
    block = (xs >= x0 + 1500) & (xs < x0 + 3500) & (ys >= y0 + 1500) & (ys < y0 + 3500)
    cells = gpd.GeoDataFrame(
        {"density_per_km2": np.where(block, 40.0, 0.0).ravel()},
        geometry=shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 500, ys.ravel() + 500),
        crs="EPSG:27700",
    )
    layer = draw_kde_surface(cells)
    p = payload(layer)
    img = decode_png(p["url"])
    (s, w), (n, e) = p["bounds"]
    image_m2 = gpd.GeoSeries([shapely.box(w, s, e, n)], crs=4326).to_crs(27700).area.iloc[0]
    area = (img[:, :, 3] > 0).mean() * image_m2
    assert area == pytest.approx(16 * 500 * 500, rel=0.1)
    assert layer.info.n_not_drawn == {"zero or missing density": 84}
    assert layer.info.choices["vmax"] == 40.0


def test_kde_regular_grid_matches_polygon_lookup(city_cells, monkeypatch):
    fast = draw_kde_surface(city_cells)
    assert fast.info.choices["grid"] == "regular"
    monkeypatch.setattr(R, "_regular_grid", lambda geoms: None)
    slow = draw_kde_surface(city_cells)
    assert slow.info.choices["grid"] == "polygons"
    a, b = decode_png(payload(fast)["url"]), decode_png(payload(slow)["url"])
    # Pixel centres exactly on a cell edge may go either way; allow a sliver of pixels.
    assert (a != b).any(axis=2).mean() < 0.01


def test_kde_all_zero_draws_nothing(city_cells):
    cells = city_cells.assign(density_per_km2=0.0)
    layer = draw_kde_surface(cells)
    assert layer.bounds is None and layer.info.n_drawn == 0 and payload(layer)["g"] == []
    assert layer.info.n_not_drawn == {"zero or missing density": len(cells)}


def test_kde_4326_same_image(city_cells):
    a = payload(draw_kde_surface(city_cells))
    b = payload(draw_kde_surface(city_cells.to_crs(4326)))
    np.testing.assert_allclose(a["bounds"], b["bounds"], atol=2e-5)
    ia, ib = decode_png(a["url"]), decode_png(b["url"])
    if ia.shape == ib.shape:
        assert (ia != ib).any(axis=2).mean() < 0.02


# ----------------------------------------------------------------------------- other layers


def test_cluster_hulls_coloured_by_theme():
    g = grid3x3()
    hulls = gpd.GeoDataFrame(
        {"dominant_theme": ["burglary", "asb", "burglary"], "incident_count": [10, 20, 30]},
        geometry=g.geometry.iloc[:3].to_numpy(),
        crs=g.crs,
    )
    layer = draw_cluster_hulls(hulls)
    p = payload(layer)
    colours = [p["styles"][i]["fillColor"] for i in p["style_index"]]
    assert colours[0] == colours[2] != colours[1]
    assert [i.label for i in layer.legend.items] == ["asb", "burglary"]
    assert p["values"][1] == ["10", "20", "30"]


def test_estates_points_and_polygons():
    g = grid3x3()
    estates = gpd.GeoDataFrame(
        {"name": [EVIL, "Point Estate"]},
        geometry=[g.geometry.iloc[0], shapely.Point(530_150, 180_150)],
        crs=g.crs,
    )
    p = payload(draw_estates(estates))
    assert p["style_index"] == [0, 1] and "radius" in p["styles"][1]
    assert p["values"][0][0] == EVIL


def test_links_styles_and_popup_values():
    links = gpd.GeoDataFrame(
        {
            "estate": ["A", "B"],
            "explanation": ["ASB near A precedes robbery", EVIL],
            "p_value": [0.004, 0.3],
            "significant": [True, False],
        },
        geometry=[shapely.LineString([(530_000, 180_000), (530_500, 180_500)])] * 2,
        crs="EPSG:27700",
    )
    layer = draw_links(links)
    p = payload(layer)
    assert p["style_index"] == [1, 0]
    assert p["styles"][0]["dashArray"] and "dashArray" not in p["styles"][1]
    assert [p["labels"][i] for i in p["popup"]] == ["estate", "explanation", "p-value"]
    assert p["values"][2] == ["0.004", "0.3"]
    with pytest.raises(SchemaError, match="'significant' must hold True/False"):
        draw_links(links.assign(significant=["yes", "no"]))


def test_links_width_and_opacity_grow_with_cluster_share():
    line = shapely.LineString([(530_000, 180_000), (530_500, 180_500)])
    share = [0.0, 0.049, 0.05, 0.12, 0.2, 0.9, 0.3, 0.01]
    sig = [True, True, True, True, True, True, False, False]
    links = gpd.GeoDataFrame(
        {"significant": sig, "street_cluster_weight_share": share}, geometry=[line] * 8, crs=27700
    )
    p = payload(draw_links(links, tooltip=None, popup=None))
    styles = [p["styles"][i] for i in p["style_index"]]
    # Classes by share: [0, 5%), [5%, 10%), [10%, 20%), [20%, 100%]; a share at a limit goes up.
    expected = [1.5, 1.5, 3.0, 5.0, 8.0, 8.0, 8.0, 1.5]
    assert [s["weight"] for s in styles] == expected
    assert [s["weight"] for s in styles] == [
        next(w for hi, w, _ in L.LINK_SHARE_CLASSES if v < hi or hi == 1.0) for v in share
    ]
    opac = [s["opacity"] for s in styles[:6]]
    assert opac == sorted(opac) and opac[0] < opac[-1]
    # Significant (estate-level test) red and solid; not significant grey and dashed.
    assert all(s["color"] == "#b2182b" and "dashArray" not in s for s in styles[:6])
    assert all(s["color"] == "#8c8c8c" and s["dashArray"] for s in styles[6:])


def test_links_min_share_leaves_small_clusters_to_the_table():
    line = shapely.LineString([(530_000, 180_000), (530_500, 180_500)])
    links = gpd.GeoDataFrame(
        {"significant": [True, False, True], "street_cluster_weight_share": [0.01, 0.3, np.nan]},
        geometry=[line] * 3,
        crs=27700,
    )
    layer = draw_links(links, tooltip=None, popup=None, min_share=0.05)
    assert layer.info.n_drawn == 1 and len(payload(layer)["g"]) == 1
    assert layer.info.n_not_drawn == {"share below min_share": 2}
    assert layer.info.choices["min_share"] == 0.05
    rows = [i.label for i in layer.legend.items]
    assert "0% to 5%" not in rows and "5% to 10%" in rows and "under 5%" in layer.legend.note
    with pytest.raises(ValueError, match="`min_share` must be a share from 0 to 1"):
        draw_links(links, min_share=5)
    with pytest.raises(SchemaError, match="cannot be drawn"):
        draw_links(links.drop(columns="street_cluster_weight_share"), popup=None, min_share=0.05)


def test_priority_themes_one_layer_per_theme_by_wards():
    g = grid3x3()
    geoms = [g.geometry.iloc[i] for i in range(5)]
    groups = gpd.GeoDataFrame(
        {
            "theme": ["burglary", "burglary", "drugs", "asb", "robbery"],
            "n_wards": [3, 2, 4, 1, 2],
            "ward_codes": [["W00"], ["W01"], ["W02"], ["W10"], ["W11"]],
            "cross_borough": [False, True, False, False, False],
        },
        geometry=geoms,
        crs=g.crs,
    )
    layers = L.draw_priority_themes(groups)
    # Wards per theme: burglary 5, drugs 4, robbery 2, asb 1 (ties would go by name).
    assert [x.info.choices["theme"] for x in layers] == ["burglary", "drugs", "robbery", "asb"]
    assert [x.info.choices["n_wards"] for x in layers] == [5, 4, 2, 1]
    assert layers[0].title == "Shared priority: burglary (5 wards)"
    assert [len(payload(x)["g"]) for x in layers] == [2, 1, 1, 1]
    # ASB is preferred (street crime absent), then the largest: two on at opening.
    assert [x.show for x in layers] == [True, False, False, True]
    colours = [payload(x)["styles"][0]["color"] for x in layers]
    assert len(set(colours)) == 4
    assert all(payload(x)["styles"][0]["fillOpacity"] == 0.08 for x in layers)
    burglary = payload(layers[0])
    assert "dashArray" in burglary["styles"][burglary["style_index"][1]]
    assert [x.show for x in L.draw_priority_themes(groups, shown_first=(), n_shown=1)] == [
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(ValueError, match="`n_shown` must be an integer >= 0"):
        L.draw_priority_themes(groups, n_shown=-1)


def test_priority_groups_list_values_and_dash():
    g = grid3x3()
    groups = gpd.GeoDataFrame(
        {
            "theme": ["burglary", "asb"],
            "n_wards": [2, 3],
            "ward_codes": [["W00", "W01"], ["W10", "W11", "W12"]],
            "cross_borough": [False, True],
        },
        geometry=[g.geometry.iloc[:2].union_all(), g.geometry.iloc[3:6].union_all()],
        crs=g.crs,
    )
    layer = draw_priority_groups(groups)
    p = payload(layer)
    assert "W00, W01" in p["values"][p["popup"][2]]
    assert "dashArray" in p["styles"][p["style_index"][1]]
    assert "dashArray" not in p["styles"][p["style_index"][0]]
    assert layer.info.choices["n_cross_borough"] == 1


def test_hotspot_renderer_auto_threshold(city_cells, monkeypatch):
    assert draw_hotspot_cells(city_cells).info.choices["renderer"] == "svg"
    monkeypatch.setattr(D, "CANVAS_THRESHOLD", 5)
    layer = draw_hotspot_cells(city_cells)
    assert layer.info.choices["renderer"] == "canvas" and payload(layer)["canvas"] is True
    with pytest.raises(ValueError, match='`renderer` must be "auto", "svg" or "canvas"'):
        draw_hotspot_cells(city_cells, renderer="webgl")


# --------------------------------------------------------------------------------------------------
# Array grid results (snt_geo.linkage.hotspot_grid / kernel_density_grid) draw like their frames


def _grid_points() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    xy = np.vstack([rng.normal(530_500, 60, (300, 2)), rng.uniform(530_000, 532_000, (300, 2))])
    xy[:, 1] -= 350_000  # northings near 180 km: inner London
    return gpd.GeoDataFrame(geometry=shapely.points(xy), crs=27700)


def test_hotspot_grid_draws_like_its_frame():
    from snt_geo.linkage import hotspot_grid

    area = gpd.GeoSeries([shapely.box(530_000, 180_000, 532_000, 182_000)], crs=27700)
    result = hotspot_grid(_grid_points(), area=area, cell_size_m=100)
    from_grid = L.draw_hotspot_cells(result)
    from_frame = L.draw_hotspot_cells(result.to_frame())
    assert from_grid.payload_json == from_frame.payload_json
    assert from_grid.info.to_dict() == from_frame.info.to_dict()
    assert from_grid.info.n_rows == result.n_cells
    assert from_grid.legend == from_frame.legend


def test_density_grid_draws_like_its_frame():
    from snt_geo.linkage import kernel_density_grid

    area = gpd.GeoSeries([shapely.box(529_000, 179_000, 533_000, 183_000)], crs=27700)
    result = kernel_density_grid(_grid_points(), area=area, cell_size_m=100, bandwidth_m=250)
    from_grid = D.draw_kde_surface(result)
    from_frame = D.draw_kde_surface(result.to_frame())
    assert from_grid.payload_json == from_frame.payload_json
    assert from_grid.info.to_dict() == from_frame.info.to_dict()


def test_layer_info_is_immutable_after_it_is_built(city_wards):
    layer = draw_ward_choropleth(city_wards.assign(v=range(len(city_wards))), column="v")
    info = layer.info
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.n_drawn = 0
    with pytest.raises(TypeError):
        info.choices["scheme"] = "manual"
    with pytest.raises(TypeError):
        info.n_not_drawn["made up"] = 1
    more = info.with_choices(theme="asb")
    assert more.choices["theme"] == "asb" and "theme" not in info.choices
    assert more.to_dict()["choices"] == {**info.choices, "theme": "asb"}


def test_layer_info_copies_what_it_is_given():
    given = {"scheme": "quantiles"}
    info = L.LayerInfo("vector", 3, 3, {}, given)
    given["scheme"] = "changed"
    assert info.choices["scheme"] == "quantiles"


def test_layer_info_shows_as_a_table_in_notebooks():
    info = L.LayerInfo("vector", 3, 2, {"no geometry": 1}, {"name": EVIL})
    text = info._repr_html_()
    assert "<table>" in text and "not drawn: no geometry" in text
    assert EVIL not in text and "&lt;img" in text


def test_priority_theme_layers_take_theme_words():
    groups = gpd.GeoDataFrame(
        {"theme": ["asb", "burglary"], "n_wards": [3, 4], "cross_borough": [False, True]},
        geometry=[
            shapely.box(530_000, 180_000, 530_100, 180_100),
            shapely.box(530_200, 180_000, 530_300, 180_100),
        ],
        crs=27700,
    )
    layers = draw_priority_themes(groups, popup=None, theme_names={"asb": "Anti-social behaviour"})
    titles = [layer.title for layer in layers]
    assert titles == [
        "Shared priority: burglary (4 wards)",
        "Shared priority: Anti-social behaviour (3 wards)",
    ]
    assert layers[1].legend.title == "Shared priority: Anti-social behaviour"
