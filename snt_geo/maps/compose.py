"""Stack snt_geo layers into one folium map with a layer control, legends and fitted bounds."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence

import folium
from branca.element import MacroElement
from folium.template import Template

from snt_geo.maps._html import add_runtime, script_json
from snt_geo.maps.layers import MapLayer
from snt_geo.maps.offline import inline_leaflet

__all__ = ["make_map", "LONDON_CENTRE"]

#: (latitude, longitude) used to centre a map that has nothing to fit.
LONDON_CENTRE = (51.5074, -0.1278)

_TILES = {
    "OpenStreetMap": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    ),
    "CartoDB positron": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
    ),
}


class _MapExtras(MacroElement):
    """Title box, attribution text (never parsed as HTML) and the fit that avoids the controls."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
{%- if this.title_json %}SNT.title({{ this._parent.get_name() }}, {{ this.title_json }});{% endif %}
{%- if this.attribution %}
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution }});
{%- endif %}
{%- if this.bounds_json %}
SNT.fit({{ this._parent.get_name() }}, {{ this.bounds_json }});
{%- endif %}
{% endmacro %}
"""
    )

    def __init__(
        self,
        *,
        title: str | None,
        attribution: str | None,
        bounds: tuple[float, float, float, float] | None,
    ) -> None:
        super().__init__()
        self._name = "SntMapExtras"
        self.title_json = script_json(title) if title else None
        # Leaflet's attribution control inserts HTML, so the text is escaped first.
        self.attribution = script_json(html.escape(attribution)) if attribution else None
        self.bounds_json = (
            script_json([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]) if bounds else None
        )

    def render(self, **kwargs) -> None:  # type: ignore[override]  # branca's returns None too
        add_runtime(self)
        super().render(**kwargs)


def make_map(
    *layers: MapLayer,
    title: str | None = None,
    attribution: str | None = None,
    tiles: str | None = None,
    fit_bounds: bool = True,
    width: str = "100%",
    height: str = "100%",
    collapsed_control: bool = False,
    zoom_start: int = 11,
) -> folium.Map:
    """Compose layers into one map with a layer control; offline-ready (no CDN, no tiles).

    Parameters
    ----------
    *layers
        :class:`~snt_geo.maps.layers.MapLayer` objects from the ``draw_*`` functions, bottom
        first (ward outlines first, so they are the base).
    title
        Text shown in a box at the top left (shown as text, never parsed as HTML).
    attribution
        Data attribution text for the bottom right, e.g. ``"Contains OS data (c) Crown copyright
        and database right 2024; police.uk (OGL v3)"`` (shown as text).
    tiles
        None (default): no basemap, so the map works with no network; ward and borough outlines
        are the base. ``"OpenStreetMap"`` or ``"CartoDB positron"`` add that basemap as a base
        layer, which loads only when online.
    fit_bounds
        Zoom to the union of the layers' bounds on opening (default True). Once the page has
        laid out, the data are fitted again beside the right-hand column of controls (layer
        control, legends) when the map is wide enough, so the controls do not hide it.
    width, height
        CSS size of the map element (e.g. ``"100%"``, ``"600px"``).
    collapsed_control
        Collapse the layer control to an icon (default False: the layer list is visible, at top
        right, scrolling past half the map's height). Legends of the layers that are on stack
        in one scrolling column at bottom right, sized to stay clear of the layer control.
    zoom_start
        Zoom level when nothing is fitted.

    Returns
    -------
    folium.Map
        With Leaflet inlined (see :func:`snt_geo.maps.offline.inline_leaflet`); save it with
        :func:`snt_geo.maps.offline.save_offline_html` or embed
        :func:`snt_geo.maps.offline.map_fragment` in a larger page.

    Raises
    ------
    TypeError
        When a layer is not a ``MapLayer``.
    ValueError
        When ``tiles`` is not a known basemap name.
    """
    for i, layer in enumerate(layers):
        if not isinstance(layer, MapLayer):
            raise TypeError(
                f"`layers[{i}]` must be a MapLayer from a snt_geo.maps.layers.draw_* function; "
                f"got {type(layer).__name__}."
            )
    if tiles is not None and tiles not in _TILES:
        raise ValueError(
            f"`tiles` must be None (offline, the default) or one of {sorted(_TILES)}; got "
            f"{tiles!r}."
        )
    bounds = _union_bounds([layer.bounds for layer in layers])
    centre = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2) if bounds else LONDON_CENTRE
    m = folium.Map(
        location=list(centre),
        zoom_start=zoom_start,
        tiles=None,
        width=width,
        height=height,
        control_scale=True,
        prefer_canvas=False,
        # Quarter zoom steps, so fitting the data beside the controls does not halve its size.
        zoom_snap=0.25,
    )
    if tiles is not None:
        url, attr = _TILES[tiles]
        folium.TileLayer(url, attr=attr, name=tiles, overlay=False, control=True).add_to(m)
    if fit_bounds and bounds:
        # Fitted before any layer is added, so each path is projected once, at the final zoom.
        # Not animated: the fit beside the controls (runtime SNT.fit) must not meet a running
        # zoom animation.
        fit = folium.map.FitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
        fit.options["animate"] = False
        m.add_child(fit)
    fitted = bounds if fit_bounds else None
    m.add_child(_MapExtras(title=title, attribution=attribution, bounds=fitted))
    for layer in layers:
        m.add_child(layer)
    folium.LayerControl(collapsed=collapsed_control, position="topright").add_to(m)
    inline_leaflet(m)  # type: ignore[arg-type]  # any folium element: it uses the root
    seed = repr((title, attribution, tiles, fit_bounds, width, height, zoom_start))
    _number_elements(m, seed=seed + "".join(f"{x.title}\0{x.payload_json}" for x in layers))
    return m


def _number_elements(m: folium.Map, *, seed: str) -> None:
    """Give every element of the map's page a deterministic id instead of folium's random one.

    folium names each element ``<kind>_<32 random hex digits>`` (``os.urandom``), so the same map
    rendered twice differs in every variable name. Here the id is a hash of the map's content
    (``seed``: its layers' payloads and options) and the element's position in the tree: the same
    map gives the same bytes, and two different maps on one page do not share names. Children
    registered under their old name are re-keyed under the new one.
    """
    root = m.get_root()
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()

    def visit(element, path: str) -> None:
        children = list(element._children.items())
        renamed = []
        for i, (key, child) in enumerate(children):
            old = child.get_name()
            child._id = hashlib.sha256(f"{digest}/{path}/{i}".encode()).hexdigest()[:32]
            renamed.append((child.get_name() if key == old else key, child))
            visit(child, f"{path}/{i}")
        element._children = type(element._children)(renamed)

    root._id = digest[:32]
    visit(root, "")


def _union_bounds(
    all_bounds: Sequence[tuple[float, float, float, float] | None],
) -> tuple[float, float, float, float] | None:
    known = [b for b in all_bounds if b is not None]
    if not known:
        return None
    return (
        min(b[0] for b in known),
        min(b[1] for b in known),
        max(b[2] for b in known),
        max(b[3] for b in known),
    )
