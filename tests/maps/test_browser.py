"""The saved map in a real headless Chromium with the network blocked.

Checks that Leaflet (inlined) draws every layer's features into the DOM, the legends and the layer
control are there, hostile text shows as text and runs nothing, and the console has no errors.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from snt_geo.maps.compose import make_map
from snt_geo.maps.layers import (
    draw_cluster_hulls,
    draw_estates,
    draw_hotspot_cells,
    draw_kde_surface,
    draw_links,
    draw_priority_groups,
    draw_ward_choropleth,
    draw_ward_outlines,
)
from snt_geo.maps.offline import save_offline_html

EVIL = "<img src=x onerror=alert(1)>"
EVIL_FLAG = "<img src=x onerror=window.__snt_xss=1>"


@pytest.fixture(scope="module")
def full_map(city_wards, city_cells, tmp_path_factory):
    """All eight layer kinds on the City of London, with hostile text in names and popups."""
    wards = city_wards.copy()
    wards.iloc[0, wards.columns.get_loc("ward_name")] = EVIL_FLAG
    c = city_cells.geometry.centroid
    hot = city_cells[city_cells["hotspot_class"] != "not_significant"]
    hulls = gpd.GeoDataFrame(
        {"dominant_theme": ["asb", "robbery"], "incident_count": [120, 45]},
        geometry=[
            shapely.MultiPoint(c.to_numpy()[:40]).convex_hull,
            shapely.MultiPoint(c.to_numpy()[-40:]).convex_hull,
        ],
        crs=city_cells.crs,
    )
    estate_pt = wards.geometry.iloc[3].representative_point()
    estates = gpd.GeoDataFrame(
        {"name": [EVIL_FLAG, "Golden Lane Estate"]},
        geometry=[wards.geometry.iloc[2].buffer(-50), estate_pt],
        crs=wards.crs,
    )
    links = gpd.GeoDataFrame(
        {
            "estate": ["Golden Lane Estate", EVIL_FLAG],
            "explanation": [EVIL_FLAG, "ASB near the estate precedes robbery nearby"],
            "p_value": [0.003, 0.4],
            "significant": [True, False],
        },
        geometry=[
            shapely.LineString([estate_pt, hot.geometry.centroid.iloc[0]]),
            shapely.LineString([estate_pt, hot.geometry.centroid.iloc[-1]]),
        ],
        crs=wards.crs,
    )
    groups = gpd.GeoDataFrame(
        {
            "theme": ["burglary"],
            "n_wards": [3],
            "ward_codes": [list(wards.index[:3])],
            "cross_borough": [True],
        },
        geometry=[wards.geometry.iloc[:3].union_all()],
        crs=wards.crs,
    )
    layers = {
        "outlines": draw_ward_outlines(wards),
        "choropleth": draw_ward_choropleth(wards, column="burglary_rate_per_1000", name=EVIL_FLAG),
        "kde": draw_kde_surface(city_cells),
        "hotspots": draw_hotspot_cells(city_cells),
        "hulls": draw_cluster_hulls(hulls),
        "estates": draw_estates(estates.to_crs(4326)),
        "links": draw_links(links),
        "groups": draw_priority_groups(groups),
    }
    m = make_map(*layers.values(), title=EVIL_FLAG, attribution="police.uk; OS " + EVIL_FLAG)
    path = save_offline_html(m, tmp_path_factory.mktemp("maps") / "map.html", title=EVIL_FLAG)
    return path, layers


@pytest.fixture(scope="module")
def loaded(full_map, browser):
    path, layers = full_map
    browser.get_log("browser")
    browser.get(path.resolve().as_uri())
    console = browser.get_log("browser")
    return browser, layers, console


def test_network_is_really_blocked(browser, tmp_path, open_page):
    page = tmp_path / "cdn.html"
    page.write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js">'
        "</script></head><body></body></html>"
    )
    result = open_page(page)
    assert result.js("return typeof L") == "undefined"
    assert any("net::ERR" in e["message"] for e in result.errors)


def test_page_loads_offline_without_console_errors(loaded, offline_load_check):
    driver, _, console = loaded
    offline_load_check(driver, console)


def test_every_layer_draws_its_features_in_the_dom(loaded):
    driver, layers, _ = loaded
    for key, layer in layers.items():
        if layer.kind == "image":
            ok = driver.execute_script(
                "var l = window[arguments[0]]; var img = l.getElement();"
                "return !!img && document.contains(img) && img.complete && img.naturalWidth;",
                layer.get_name(),
            )
            assert ok == layer.info.choices["image_shape"][1], key
            continue
        in_dom = driver.execute_script(
            "var n = 0; window[arguments[0]].eachLayer(function (l) {"
            "  if (l._path && document.contains(l._path)) { n += 1; } }); return n;",
            layer.get_name(),
        )
        expected = len(json.loads(layer.payload_json)["g"])
        assert in_dom == expected > 0, key
    total_paths = driver.execute_script("return document.querySelectorAll('path').length")
    vectors = [v for v in layers.values() if v.kind != "image"]
    assert total_paths >= sum(len(json.loads(v.payload_json)["g"]) for v in vectors)


def test_legends_and_layer_control_present(loaded):
    driver, layers, _ = loaded
    legends = driver.execute_script(
        "return Array.from(document.querySelectorAll('.snt-legend-title')).map(e => e.textContent)"
    )
    assert len(legends) == sum(1 for v in layers.values() if v.legend is not None)
    assert "Gi* hotspots" in legends
    names = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(e => e.textContent.trim())"
    )
    assert names == [v.title for v in layers.values()]


def test_hostile_text_shown_as_text_and_never_run(loaded):
    driver, layers, _ = loaded
    # Open the tooltips of the hostile ward and estate, then the popup of the hostile link.
    # Mouse events on one feature, as Leaflet's SVG renderer would fire them on hover / click.
    driver.execute_script(
        "window.sntFire = function (group, type) {"
        "  var c = group.getLayers()[0];"
        "  var at = c.getCenter ? c.getCenter() : c.getLatLng();"
        "  c.fire(type, {latlng: at, originalEvent: {}}, true); };"
        "sntFire(window[arguments[0]], 'mouseover'); sntFire(window[arguments[1]], 'mouseover');",
        layers["outlines"].get_name(),
        layers["estates"].get_name(),
    )
    tooltips = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-tooltip')).map(e => e.textContent)"
    )
    assert sum(EVIL_FLAG in t for t in tooltips) == 2
    driver.execute_script("sntFire(window[arguments[0]], 'click');", layers["links"].get_name())
    popup = driver.execute_script(
        "return document.querySelector('.leaflet-popup-content').textContent"
    )
    assert EVIL_FLAG in popup and "p-value" in popup
    title = driver.execute_script("return document.querySelector('.snt-map-title').textContent")
    assert title == EVIL_FLAG and driver.title == EVIL_FLAG
    assert EVIL_FLAG in driver.execute_script(
        "return document.querySelector('.leaflet-control-attribution').textContent"
    )
    # No element was created from the hostile text, so its handler never ran.
    imgs = driver.execute_script(
        "return Array.from(document.querySelectorAll('img')).map(e => e.getAttribute('src'))"
    )
    assert "x" not in imgs
    assert driver.execute_script("return window.__snt_xss === undefined") is True


def test_unticking_a_layer_hides_it_and_its_legend(loaded):
    driver, layers, _ = loaded
    before = driver.execute_script("return document.querySelectorAll('.snt-legend-title').length")
    driver.execute_script(
        "var labels = document.querySelectorAll('.leaflet-control-layers-overlays label');"
        "labels[3].querySelector('input').click();"
    )
    after = driver.execute_script("return document.querySelectorAll('.snt-legend-title').length")
    gone = driver.execute_script(
        "return !document.contains(window[arguments[0]].getLayers()[0]._path);",
        layers["hotspots"].get_name(),
    )
    assert after == before - 1 and gone
    driver.execute_script(
        "document.querySelectorAll('.leaflet-control-layers-overlays input')[3].click();"
    )
    assert (
        driver.execute_script("return document.querySelectorAll('.snt-legend-title').length")
        == before
    )


def test_real_london_wards_choropleth_loads(shared_data, browser, tmp_path, open_page):
    """The 625 London wards at full scale: drawn, no console errors."""
    import warnings

    from snt_geo.io import read_wards

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(
            shared_data
            / "gla-statistical-gis-boundaries-london"
            / "ESRI"
            / "London_Ward_CityMerged.shp"
        )
    wards["rate_per_1000"] = np.random.default_rng(0).gamma(2.0, 5.0, len(wards))
    m = make_map(draw_ward_outlines(wards), draw_ward_choropleth(wards, column="rate_per_1000"))
    page = open_page(save_offline_html(m, tmp_path / "london.html"))
    assert page.errors == []
    assert page.js("return document.querySelectorAll('path').length") >= 2 * 625


def test_canvas_hotspot_cells_draw_and_answer_hover(city_cells, browser, tmp_path, open_page):
    """Thousands of cells are painted on one canvas; hover still shows the cell's values."""
    layer = draw_hotspot_cells(city_cells, renderer="canvas", show_not_significant=True)
    page = open_page(save_offline_html(make_map(layer), tmp_path / "canvas.html"))
    assert page.errors == []
    n, on_canvas = page.js(
        "var g = window[arguments[0]]; var ls = g.getLayers();"
        "return [ls.length, ls.every(function (l) { return l._renderer instanceof L.Canvas; })];",
        layer.get_name(),
    )
    assert n == len(city_cells) and on_canvas
    assert page.js("return document.querySelectorAll('.leaflet-overlay-pane canvas').length") == 1
    assert page.js("return document.querySelectorAll('.leaflet-overlay-pane path').length") == 0
    text = page.js(
        "var c = window[arguments[0]].getLayers()[0];"
        "c.fire('mouseover', {latlng: c.getCenter(), originalEvent: {}}, true);"
        "return document.querySelector('.leaflet-tooltip').textContent;",
        layer.get_name(),
    )
    assert "incident count" in text and str(city_cells["incident_count"].iloc[0]) in text
