"""Tests for snt_geo/maps/offline.py: Leaflet inlined from its package, no remote resource left."""

from __future__ import annotations

import folium
import pytest

from snt_geo.maps.offline import (
    MapFragment,
    find_remote_references,
    inline_leaflet,
    leaflet_assets,
    map_fragment,
    save_offline_html,
)


def test_leaflet_assets_from_package():
    a = leaflet_assets()
    assert a.version.startswith("1.9.4")
    assert 'version="1.9.4"' in a.js
    assert "sourceMappingURL" not in a.js and "</script" not in a.js
    assert "url(images/" not in a.css and "data:image/png;base64," in a.css
    assert ".leaflet-control-layers-toggle" in a.css


@pytest.mark.parametrize(
    "text",
    [
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>',
        "<link rel='stylesheet' href='https://cdn.example.org/a.css'/>",
        '<script src="//code.jquery.com/jquery-3.7.1.min.js"></script>',
        ".x{background:url(https://example.org/i.png)}",
        '@import url("https://fonts.googleapis.com/css");',
        '<img src="http://example.org/x.png">',
    ],
)
def test_remote_references_found(text):
    assert len(find_remote_references(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        '<a href="https://leafletjs.com">Leaflet</a>',
        '<script>var u = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";</script>',
        ".x{background:url(data:image/png;base64,AAAA)}",
        '<img src="x">',
    ],
)
def test_non_loads_not_reported(text):
    assert find_remote_references(text) == []


def test_plain_folium_map_made_offline():
    m = folium.Map(tiles=None)
    assert find_remote_references(m.get_root().render())  # folium's default page uses CDNs
    m2 = folium.Map(tiles=None)
    inline_leaflet(m2)
    assert find_remote_references(m2.get_root().render()) == []


def test_inline_after_an_earlier_render_removes_links():
    m = folium.Map(tiles=None)
    m.get_root().render()  # e.g. a notebook preview wrote the CDN links already
    frag = map_fragment(m)
    assert find_remote_references(frag.head + frag.body + frag.script) == []
    assert frag.head.count('version="1.9.4"') == 1


def test_save_offline_html_map_fragment_and_string(tmp_path):
    m = folium.Map(tiles=None)
    p = save_offline_html(m, tmp_path / "a.html", title="T <x>")
    text = p.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<title>T &lt;x&gt;</title>" in text
    assert find_remote_references(text) == []
    frag = map_fragment(folium.Map(tiles=None))
    assert isinstance(frag, MapFragment)
    page = (
        f"<html><head>{frag.head}</head>"
        f"<body>{frag.body}<script>{frag.script}</script></body></html>"
    )
    assert save_offline_html(page, tmp_path / "b.html").read_text(encoding="utf-8") == page


def test_save_refuses_remote_and_writes_nothing(tmp_path):
    bad = '<html><script src="https://cdn.jsdelivr.net/x.js"></script></html>'
    with pytest.raises(ValueError, match="`map_or_html` would load 1 remote resources"):
        save_offline_html(bad, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()
    with pytest.raises(TypeError, match="`map_or_html` must be a folium Map"):
        save_offline_html(42, tmp_path / "x.html")
