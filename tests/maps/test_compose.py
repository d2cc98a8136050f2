"""Tests for snt_geo/maps/compose.py: layer control, bounds, tiles only when asked, escaping."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import pytest
import shapely

from snt_geo.maps.compose import LONDON_CENTRE, make_map
from snt_geo.maps.layers import draw_ward_choropleth, draw_ward_outlines
from snt_geo.maps.offline import find_remote_references, map_fragment

EVIL = "<img src=x onerror=alert(1)>"


def wards_two() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "ward_name": ["A", "B"],
            "borough_code": ["X", "Y"],
            "borough_name": ["x", "y"],
            "rate": [1.0, 2.0],
        },
        geometry=[
            shapely.box(530_000, 180_000, 531_000, 181_000),
            shapely.box(540_000, 170_000, 541_000, 171_000),
        ],
        crs="EPSG:27700",
    )


def test_layers_listed_in_layer_control_in_order():
    w = wards_two()
    m = make_map(draw_ward_outlines(w), draw_ward_choropleth(w, column="rate", name="Rate"))
    assert isinstance(m, folium.Map)
    html = m.get_root().render()
    control = html[html.index("overlays :") : html.index("L.control.layers")]
    assert control.index('"Ward and borough outlines"') < control.index('"Rate"')


def test_fit_bounds_is_union_of_layers():
    w = wards_two()
    a = draw_ward_outlines(w.iloc[[0]], boroughs=False)
    b = draw_ward_outlines(w.iloc[[1]], boroughs=False)
    m = make_map(a, b)
    fits = [c for c in m._children.values() if type(c).__name__ == "FitBounds"]
    assert len(fits) == 1
    (s, west), (n, e) = fits[0].bounds
    assert s == min(a.bounds[0], b.bounds[0]) and n == max(a.bounds[2], b.bounds[2])
    assert west == min(a.bounds[1], b.bounds[1]) and e == max(a.bounds[3], b.bounds[3])


def test_no_layers_centres_on_london_without_fit():
    m = make_map()
    assert tuple(m.location) == LONDON_CENTRE
    assert not [c for c in m._children.values() if type(c).__name__ == "FitBounds"]


def test_no_tiles_by_default_and_tiles_only_when_asked():
    w = wards_two()
    offline = map_fragment(make_map(draw_ward_outlines(w)))
    text = offline.head + offline.body + offline.script
    assert "L.tileLayer" not in offline.script and "openstreetmap" not in text.lower()
    online = map_fragment(make_map(draw_ward_outlines(w), tiles="OpenStreetMap"))
    assert "L.tileLayer" in online.script and "tile.openstreetmap.org" in online.script
    # A tile URL template is not a resource the page loads on opening.
    assert find_remote_references(online.head + online.body + online.script) == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="`tiles` must be None"):
        make_map(tiles="Stamen")
    with pytest.raises(TypeError, match=r"`layers\[0\]` must be a MapLayer"):
        make_map(folium.FeatureGroup())


def test_title_attribution_and_layer_names_escaped():
    w = wards_two()
    m = make_map(
        draw_ward_choropleth(w, column="rate", name=EVIL, legend_title=EVIL),
        title=EVIL,
        attribution=EVIL,
    )
    frag = map_fragment(m)
    text = frag.head + frag.body + frag.script
    assert "<img" not in text
    # Layer control and attribution get HTML-escaped text (jinja's tojson then escapes the &).
    assert frag.script.count('"\\u0026lt;img src=x onerror=alert(1)\\u0026gt;"') >= 2


def test_map_has_no_cdn_links():
    frag = map_fragment(make_map(draw_ward_outlines(wards_two())))
    text = frag.head + frag.body + frag.script
    assert find_remote_references(text) == []
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn"):
        assert cdn not in text


def _page(w, *, name="Rate"):
    m = make_map(draw_ward_outlines(w), draw_ward_choropleth(w, column="rate", name=name))
    return map_fragment(m)


def test_same_map_renders_to_the_same_bytes():
    w = wards_two()
    a, b = _page(w), _page(w)
    assert (a.head, a.body, a.script) == (b.head, b.body, b.script)
    # Every folium name is derived, not random: a variable per element, each one distinct.
    names = set(re.findall(r"\bvar ((?:map|snt_layer|layer_control)_[0-9a-f]{32})\b", a.script))
    assert len(names) >= 3


def test_different_maps_do_not_share_element_names():
    w = wards_two()
    a, b = _page(w, name="Rate"), _page(w, name="Other")
    ids_a = set(re.findall(r"_([0-9a-f]{32})\b", a.script))
    ids_b = set(re.findall(r"_([0-9a-f]{32})\b", b.script))
    assert ids_a and ids_b and not ids_a & ids_b
