"""Private HTML helpers for snt_geo.maps: safe JSON for <script>, PNG encoding, the map runtime.

Nothing here imports folium. The runtime (``RUNTIME_JS``) is snt_geo's own small script that turns
the compact layer payloads written by :mod:`snt_geo.maps.layers` into Leaflet layers; every text
value reaches the page through ``textContent``, never ``innerHTML``, so a ward or estate name such
as ``<img src=x onerror=...>`` is shown as text and cannot run.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import numpy as np

__all__ = ["script_json", "encode_png", "png_data_uri", "RUNTIME_JS", "RUNTIME_CSS"]

# Characters that could end a <script> element or open an HTML comment inside one are written as
# JSON unicode escapes; the parsed value is unchanged.
_SCRIPT_UNSAFE = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: object) -> str:
    """JSON text that is safe to paste inside an HTML ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_UNSAFE)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(rgba: np.ndarray) -> bytes:
    """Encode an (rows, cols, 4) uint8 RGBA array as PNG bytes (row 0 is the top of the image).

    Plain zlib deflate of filter-type-0 scanlines (PNG specification, W3C 2003, sections 11-12);
    no third-party imaging library is needed.
    """
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.shape[0] == 0 or rgba.shape[1] == 0:
        raise ValueError(f"`rgba` must be a non-empty (rows, cols, 4) array; got {rgba.shape}.")
    rows, cols = rgba.shape[:2]
    raw = np.zeros((rows, cols * 4 + 1), dtype=np.uint8)
    raw[:, 1:] = rgba.reshape(rows, cols * 4)
    header = struct.pack(">IIBBBBB", cols, rows, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
        + _png_chunk(b"IEND", b"")
    )


def png_data_uri(rgba: np.ndarray) -> str:
    """Return a ``data:image/png;base64,...`` URI for an RGBA array (see :func:`encode_png`)."""
    return "data:image/png;base64," + base64.b64encode(encode_png(rgba)).decode("ascii")


RUNTIME_CSS = """
.snt-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.35);font:12px/1.35 system-ui,Arial,sans-serif;color:#222;
 max-width:260px}
.snt-legend-title{font-weight:600;margin-bottom:3px}
.snt-legend-row{display:flex;align-items:center;gap:6px;margin:1px 0}
.snt-legend-swatch{width:14px;height:12px;flex:none;border:1px solid rgba(0,0,0,.35)}
.snt-legend-line{width:18px;height:0;flex:none;border-top-width:3px;border-top-style:solid}
.snt-legend-note{color:#555;margin-top:3px;font-size:11px}
.snt-info{font:12px/1.35 system-ui,Arial,sans-serif}
.snt-info th{text-align:left;padding-right:8px;font-weight:600;vertical-align:top}
.snt-info td{vertical-align:top}
.snt-info-title{font-weight:600;margin-bottom:2px}
.snt-legend-panel{display:flex;flex-direction:column;gap:6px;overflow-y:auto;overflow-x:hidden;
 max-height:45%;width:250px;padding-right:2px}
.snt-legend-panel:empty{display:none}
.snt-legend-panel .snt-legend{max-width:none}
.leaflet-control-layers-list{overflow-y:auto}
.leaflet-control-layers-expanded{max-width:300px}
.leaflet-control-layers label{margin:2px 0}
.leaflet-control-attribution{font-size:10px;max-width:calc(100% - 140px);white-space:normal}
"""

RUNTIME_JS = r"""
var SNT = (function () {
  "use strict";
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function infoBox(d, i, cols) {
    var box = el("div", "snt-info");
    if (d.title) { box.appendChild(el("div", "snt-info-title", d.title)); }
    var table = el("table");
    for (var k = 0; k < cols.length; k++) {
      var tr = el("tr");
      tr.appendChild(el("th", null, d.labels[cols[k]]));
      tr.appendChild(el("td", null, d.values[cols[k]][i]));
      table.appendChild(tr);
    }
    box.appendChild(table);
    return box;
  }
  function features(d) {
    var out = new Array(d.g.length);
    for (var i = 0; i < d.g.length; i++) {
      out[i] = {type: "Feature", properties: {i: i}, geometry: d.g[i]};
    }
    return {type: "FeatureCollection", features: out};
  }
  function vector(d) {
    var styleOf = function (f) {
      return d.styles[d.style_index ? d.style_index[f.properties.i] : 0];
    };
    var group = L.geoJSON(features(d), {
      renderer: d.canvas ? L.canvas({padding: 0.2}) : undefined,
      style: styleOf,
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, styleOf(f)); }
    });
    // One tooltip and one popup for the whole group (not one per feature): the content is
    // built on demand for the feature under the mouse, which keeps thousands of cells fast.
    var indexOf = function (layer) { return layer.feature.properties.i; };
    if (d.tooltip && d.tooltip.length) {
      group.bindTooltip(function (layer) { return infoBox(d, indexOf(layer), d.tooltip); },
                        {sticky: true});
    }
    if (d.popup && d.popup.length) {
      group.bindPopup(function (layer) { return infoBox(d, indexOf(layer), d.popup); },
                      {maxWidth: 320});
    }
    // Borough lines sit in a pane above the other vector layers and ignore the mouse.
    group.beforeAdd = function (map) {
      if (!map.getPane("sntTop")) {
        var pane = map.createPane("sntTop");
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
      }
    };
    return group;
  }
  function image(d) {
    return L.imageOverlay(d.url, d.bounds, {opacity: d.opacity, interactive: false,
                                             className: "snt-image"});
  }
  function legendBox(spec) {
    var box = el("div", "snt-legend leaflet-control");
    box.setAttribute("data-snt-legend", spec.key);
    box.appendChild(el("div", "snt-legend-title", spec.title));
    for (var k = 0; k < spec.items.length; k++) {
      var item = spec.items[k];
      var row = el("div", "snt-legend-row");
      var sw = el("span", item.line ? "snt-legend-line" : "snt-legend-swatch");
      if (item.line) {
        sw.style.borderTopColor = item.color;
        if (item.dash) { sw.style.borderTopStyle = "dashed"; }
        if (item.weight) { sw.style.borderTopWidth = item.weight + "px"; }
      } else {
        sw.style.background = item.color;
        if (item.border) { sw.style.borderColor = item.border; }
      }
      row.appendChild(sw);
      row.appendChild(el("span", null, item.label));
      box.appendChild(row);
    }
    if (spec.note) { box.appendChild(el("div", "snt-legend-note", spec.note)); }
    return box;
  }
  // All legends of a map live in one scrollable column at the bottom right, under the layer
  // control (top right); layout() keeps the two from overlapping whatever the map's size.
  function panel(map) {
    if (!map._sntPanel) {
      var Ctl = L.Control.extend({
        options: {position: "bottomright"},
        onAdd: function () {
          var box = el("div", "snt-legend-panel leaflet-control");
          L.DomEvent.disableClickPropagation(box);
          L.DomEvent.disableScrollPropagation(box);
          return box;
        }
      });
      map._sntPanel = new Ctl().addTo(map);
      map.on("resize overlayadd overlayremove", function () { schedule(map); });
    }
    return map._sntPanel.getContainer();
  }
  function layout(map) {
    var size = map.getSize();
    var box = map.getContainer().getBoundingClientRect();
    var lists = map.getContainer().querySelectorAll(
      ".leaflet-top.leaflet-right .leaflet-control-layers-list");
    var bottom = 0;
    for (var i = 0; i < lists.length; i++) {
      lists[i].style.maxHeight = Math.max(120, Math.floor(size.y * 0.5)) + "px";
      var ctl = lists[i].closest(".leaflet-control-layers");
      if (ctl) { bottom = Math.max(bottom, ctl.getBoundingClientRect().bottom - box.top); }
    }
    if (map._sntPanel) {
      var p = map._sntPanel.getContainer();
      var below = 0;
      var attr = map.getContainer().querySelector(".leaflet-control-attribution");
      if (attr) { below = box.bottom - attr.getBoundingClientRect().top; }
      p.style.maxHeight = Math.max(80, Math.floor(size.y - bottom - below - 24)) + "px";
    }
  }
  function schedule(map) {
    if (map._sntLayoutPending) { return; }
    map._sntLayoutPending = true;
    setTimeout(function () { map._sntLayoutPending = false; layout(map); }, 0);
  }
  function legend(map, layer, spec) {
    var host = panel(map);
    var box = legendBox(spec);
    box.className = "snt-legend";
    var order = host.getAttribute("data-snt-count") | 0;
    host.setAttribute("data-snt-count", order + 1);
    box.setAttribute("data-snt-order", order);
    function show() {
      if (box.parentNode) { return; }
      // Keep the legends in layer order, whichever was ticked first.
      var next = null;
      for (var k = 0; k < host.children.length; k++) {
        if ((host.children[k].getAttribute("data-snt-order") | 0) > order) {
          next = host.children[k];
          break;
        }
      }
      host.insertBefore(box, next);
      schedule(map);
    }
    function hide() { if (box.parentNode) { box.parentNode.removeChild(box); schedule(map); } }
    if (map.hasLayer(layer)) { show(); }
    map.on("overlayadd", function (e) { if (e.layer === layer) { show(); } });
    map.on("overlayremove", function (e) { if (e.layer === layer) { hide(); } });
    return box;
  }
  // Fit the data into the part of the map not covered by the right-hand column of controls.
  function fit(map, bounds) {
    function go() {
      layout(map);
      var right = 0;
      var corner = map.getContainer().querySelectorAll(".leaflet-right .leaflet-control");
      for (var i = 0; i < corner.length; i++) {
        if (corner[i].classList.contains("leaflet-control-attribution") ||
            corner[i].classList.contains("leaflet-control-scale")) { continue; }
        right = Math.max(right, corner[i].offsetWidth + 10);
      }
      var size = map.getSize();
      if (size.x - right < 320) { right = 0; }
      // Below the title box and zoom buttons (top left), when the map is tall enough.
      var top = 0;
      var box = map.getContainer().getBoundingClientRect();
      var left = map.getContainer().querySelectorAll(".leaflet-top.leaflet-left .leaflet-control");
      for (var j = 0; j < left.length; j++) {
        top = Math.max(top, left[j].getBoundingClientRect().bottom - box.top);
      }
      var attr = map.getContainer().querySelector(".leaflet-control-attribution");
      var bottom = attr ? attr.offsetHeight : 0;
      if (size.y - top - bottom < 240) { top = 0; bottom = 0; }
      map.fitBounds(bounds, {paddingTopLeft: [10, top + 10],
                             paddingBottomRight: [right + 10, bottom + 10],
                             animate: false});
    }
    // After the page's scripts have added every control; a running zoom animation would
    // swallow the fit, so wait for it to end.
    setTimeout(function () {
      if (map._animatingZoom) { map.once("zoomend", go); } else { go(); }
    }, 0);
  }
  function title(map, text) {
    var Ctl = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () { return el("div", "snt-legend snt-map-title leaflet-control", text); }
    });
    return new Ctl().addTo(map);
  }
  return {vector: vector, image: image, legend: legend, title: title, fit: fit,
          layout: layout};
})();
"""


def add_runtime(element: Any) -> None:
    """Put the snt_geo runtime (its CSS and JavaScript) in the page header, once per page.

    Called from the ``render`` of every snt_geo element; the fixed name makes repeats no-ops.
    """
    from branca.element import Element

    root: Any = element.get_root()
    root.header.add_child(
        Element(f"<style>{RUNTIME_CSS}</style>\n<script>{RUNTIME_JS}</script>"),
        name="snt_runtime",
    )
