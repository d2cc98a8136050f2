"""The layer object: a compact payload drawn by the snt_geo runtime, its legend and its account.

:class:`MapLayer` is the folium layer, :class:`Legend` its legend and the immutable
:class:`LayerInfo` the account of what it drew.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import folium
from branca.element import Element
from folium.template import Template

from snt_geo._format import format_value
from snt_geo.maps._html import add_runtime, script_json


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a colour swatch (or a line sample) and its label."""

    color: str
    label: str
    line: bool = False
    dash: bool = False
    border: str | None = None
    weight: float | None = None

    def to_json(self) -> dict:
        out: dict = {"color": self.color, "label": self.label}
        if self.line:
            out["line"] = True
        if self.weight is not None:
            out["weight"] = self.weight
        if self.dash:
            out["dash"] = True
        if self.border:
            out["border"] = self.border
        return out


@dataclass(frozen=True)
class Legend:
    """A legend box shown while its layer is on (title, rows, an optional note)."""

    title: str
    items: tuple[LegendItem, ...]
    note: str | None = None

    def to_json(self, key: str) -> dict:
        out: dict = {"key": key, "title": self.title, "items": [i.to_json() for i in self.items]}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class LayerInfo:
    """What a layer drew and the automatic choices made, for the briefing's method note.

    Immutable: ``n_not_drawn`` and ``choices`` are read-only mappings (a copy of what was given),
    so a layer's account cannot change after it is built. Use :meth:`with_choices` for a copy
    with more choices.

    Attributes
    ----------
    kind
        ``"vector"`` or ``"image"``.
    n_rows, n_drawn
        Rows given, and features drawn.
    n_not_drawn
        Rows not drawn, by reason (they add up to ``n_rows - n_drawn``).
    choices
        The options and automatic choices the layer made (column, scheme, renderer, ...).
    """

    kind: str
    n_rows: int
    n_drawn: int
    n_not_drawn: Mapping[str, int] = field(default_factory=dict)
    choices: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Part of construction: freeze copies of the mappings given.
        object.__setattr__(self, "n_not_drawn", MappingProxyType(dict(self.n_not_drawn)))
        object.__setattr__(self, "choices", MappingProxyType(dict(self.choices)))

    def with_choices(self, **choices: object) -> LayerInfo:
        """Return a copy with ``choices`` added (or replaced)."""
        return LayerInfo(
            self.kind, self.n_rows, self.n_drawn, self.n_not_drawn, {**self.choices, **choices}
        )

    def _repr_html_(self) -> str:
        rows = [("kind", self.kind), ("rows given", self.n_rows), ("drawn", self.n_drawn)]
        rows += [(f"not drawn: {k}", v) for k, v in self.n_not_drawn.items()]
        rows += list(self.choices.items())
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(format_value(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table>{cells}</table>"

    def to_dict(self) -> dict[str, object]:
        """Return the fields as plain dicts."""
        return {
            "kind": self.kind,
            "n_rows": self.n_rows,
            "n_drawn": self.n_drawn,
            "n_not_drawn": dict(self.n_not_drawn),
            "choices": dict(self.choices),
        }


_LAYER_TEMPLATE = Template(
    """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = SNT.{{ this.kind }}({{ this.payload_json }});
{% endmacro %}
"""
)


class MapLayer(folium.map.Layer):
    """A snt_geo layer: a compact data payload drawn by the snt_geo runtime, plus its legend.

    Built by the ``draw_*`` functions; not meant to be constructed directly. Add it to the map
    itself (``make_map`` does), not to a feature group: its legend attaches to its parent map. A
    folium element has one parent, so draw the layer again to show it on a second map.

    Attributes
    ----------
    title : str
        The layer name as given (plain text).
    layer_name : str
        The name shown in the layer control (HTML-escaped text).
    kind : str
        ``"vector"`` or ``"image"``: the snt_geo runtime function that draws it.
    bounds : tuple of float or None
        ``(south, west, north, east)`` in degrees (EPSG:4326), None when nothing is drawn.
    legend : Legend or None
        The legend shown while the layer is on.
    info : LayerInfo
        Rows in, features drawn, rows not drawn by reason, and automatic choices.
    """

    _template = _LAYER_TEMPLATE

    def __init__(
        self,
        *,
        name: str,
        kind: str,
        payload_json: str,
        bounds: tuple[float, float, float, float] | None,
        legend: Legend | None,
        info: LayerInfo,
        show: bool = True,
    ) -> None:
        # Leaflet's layer control inserts names as HTML, so the name is escaped here.
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "SntLayer"
        self.title = name
        self.kind = kind
        self.payload_json = payload_json
        self.bounds = bounds
        self.legend = legend
        self.info = info

    def render(self, **kwargs) -> None:  # type: ignore[override]  # branca's returns None too
        add_runtime(self)
        super().render(**kwargs)
        figure: Any = self.get_root()
        if self.legend is not None:
            spec = script_json(self.legend.to_json(self.get_name()))
            figure.script.add_child(
                Element(
                    f"SNT.legend({self._parent.get_name()}, {self.get_name()}, {spec});",  # type: ignore[union-attr]
                ),
                name=self.get_name() + "_legend",
            )
