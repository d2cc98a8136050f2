"""Self-contained, offline HTML: Leaflet inlined from a Python package, no CDN left behind.

Police networks are often closed, so a saved map must open with no network at all. folium's
default page loads Leaflet, jQuery, Bootstrap, Font Awesome and Leaflet.awesome-markers from
CDNs. snt_geo maps need only Leaflet (the snt_geo runtime replaces folium's jQuery-based popups
and branca's d3 legends), so those are dropped and Leaflet 1.9.4's JS and CSS are inlined from the
``django-js-lib-leaflet`` wheel on PyPI; its two layer-control icons are inlined as ``data:`` URIs.
No third-party JavaScript is kept in this repository.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from branca.element import CssLink, Element, Figure, JavascriptLink

__all__ = [
    "LeafletAssets",
    "MapFragment",
    "leaflet_assets",
    "inline_leaflet",
    "map_fragment",
    "find_remote_references",
    "save_offline_html",
]

_LEAFLET_PACKAGE = "js_lib_leaflet"
_LEAFLET_DIST = "django-js-lib-leaflet"
_INSTALL_HINT = (
    "Offline maps inline Leaflet from the `django-js-lib-leaflet` package; install it with "
    "`pip install django-js-lib-leaflet` (Leaflet 1.9.4's JS and CSS; no Django needed)."
)


@dataclass(frozen=True)
class LeafletAssets:
    """Leaflet's JavaScript and CSS as text, ready to inline.

    Attributes
    ----------
    js, css : str
        The minified script (source-map comment removed) and the stylesheet with its images as
        ``data:`` URIs.
    version : str
        The ``django-js-lib-leaflet`` distribution version (Leaflet 1.9.4 for 1.9.4.x).
    """

    js: str
    css: str
    version: str

    def head_html(self) -> str:
        """``<style>`` and ``<script>`` elements to put in a page's ``<head>``."""
        return f"<style>{self.css}</style>\n<script>{self.js}</script>"


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> LeafletAssets:
    """Load Leaflet's JS and CSS from the installed ``django-js-lib-leaflet`` package.

    Returns
    -------
    LeafletAssets

    Raises
    ------
    ImportError
        When the package is not installed, with the install command.
    """
    spec = importlib.util.find_spec(_LEAFLET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(_INSTALL_HINT)
    static = Path(next(iter(spec.submodule_search_locations))) / "static" / _LEAFLET_PACKAGE
    try:
        js = (static / "leaflet.js").read_text(encoding="utf-8")
        css = (static / "leaflet.css").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ImportError(f"{_INSTALL_HINT} (missing file: {exc.filename})") from exc
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    # "</script" cannot occur in Leaflet's minified source, but make sure.
    js = js.replace("</script", "<\\/script")

    def image_uri(match: re.Match) -> str:
        path = static / match.group(1)
        if not path.exists():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", image_uri, css)
    version = importlib.metadata.version(_LEAFLET_DIST)
    return LeafletAssets(js=js, css=css, version=version)


def inline_leaflet(figure: Figure) -> Figure:
    """Strip every CDN link from a folium figure's defaults and inline Leaflet instead.

    Works on any folium Map (``figure`` may be the Map or its root Figure): each element's
    ``default_js``/``default_css`` lists are emptied on the instance, so folium writes no
    ``<script src>``/``<link href>`` to a CDN, and Leaflet's JS/CSS go first in the header.
    Elements that need more than Leaflet (folium's jQuery-based ``Popup``, plugins, branca
    colormaps) will then fail in the browser: snt_geo layers need none of them.

    Returns
    -------
    The root Figure, changed in place (this is the one function here that mutates, because folium
    objects are built by mutation).
    """
    root = figure.get_root()
    for key, child in list(root.header._children.items()):
        # Links written by an earlier render (e.g. a notebook preview) go too.
        if isinstance(child, JavascriptLink | CssLink):
            del root.header._children[key]
    for element in _walk(root):
        if getattr(element, "default_js", None):
            element.default_js = []
        if getattr(element, "default_css", None):
            element.default_css = []
    if "snt_leaflet" not in root.header._children:
        root.header.add_child(Element(leaflet_assets().head_html()), name="snt_leaflet", index=0)
    return root


def _walk(element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


@dataclass(frozen=True)
class MapFragment:
    """A rendered map in three parts, to embed in a larger page (e.g. the briefing).

    Attributes
    ----------
    head : str
        Goes in ``<head>``: Leaflet CSS/JS, the snt_geo runtime, folium's map styles.
    body : str
        Goes where the map should appear: the map ``<div>`` (size set by ``make_map``).
    script : str
        Goes at the end of ``<body>``, after ``body``: builds the map and its layers.
    """

    head: str
    body: str
    script: str

    def to_html(self, *, title: str | None = None) -> str:
        """Return a whole standalone page holding just this map."""
        t = f"<title>{html.escape(title)}</title>\n" if title else ""
        return (
            '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            f"{t}{self.head}\n</head>\n<body>\n{self.body}\n"
            f"<script>\n{self.script}\n</script>\n</body>\n</html>\n"
        )


def map_fragment(m) -> MapFragment:
    """Render a folium map to a :class:`MapFragment` with Leaflet inlined and no CDN links.

    Parameters
    ----------
    m
        A folium Map, normally from :func:`snt_geo.maps.compose.make_map`.

    Raises
    ------
    ValueError
        When the rendered map still refers to a remote script, stylesheet or image (see
        :func:`find_remote_references`).
    """
    root = inline_leaflet(m)
    root.render()
    fragment = MapFragment(
        head=root.header.render(), body=root.html.render(), script=root.script.render()
    )
    _refuse_remote(fragment.head + fragment.body + fragment.script, argument="m")
    return fragment


# A resource the browser would fetch: src/href on a tag, anywhere in the page (a tag inside a
# script string becomes one through innerHTML); CSS url()/@import only where CSS is read.
_REMOTE_TAG = re.compile(
    r"""(?ix)
    (?:<(?:script|img|iframe|audio|video|source|embed)\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//[^\s"'>]+)
  | (?:<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//[^\s"'>]+)
    """
)
_REMOTE_CSS = re.compile(
    r"""(?ix)
    (?:url\(\s*\\?["']?\s*(?:https?:)?//[^)\s"'\\]+)
  | (?:@import\s+(?:url\()?\s*\\?["']?\s*(?:https?:)?//[^\s"')\\]+)
    """
)
# Where a browser reads CSS: <style> blocks and style="..." attributes (also inside script
# strings, where the quotes may be backslash-escaped).
_CSS_CONTEXTS = re.compile(
    r"""(?isx)
    <style\b[^>]*>(?P<block>.*?)</style\s*>
  | \bstyle\s*=\s*(?P<q>\\?["'])(?P<attr>.*?)(?P=q)
    """
)


def find_remote_references(text: str) -> list[str]:
    """Return every remote resource a page would load.

    That is ``<script src>``, ``<link href>``, ``<img src>`` (and other embedding tags), and CSS
    ``url()`` / ``@import`` pointing at ``http(s)://`` or ``//`` inside a ``<style>`` block or a
    ``style`` attribute (anywhere, for a stylesheet: text with no ``<``).

    Plain hyperlinks (``<a href>``) are not loads and are not listed. Text that merely reads like
    CSS (a title or a location name ``"url(https://...)"``, escaped into the page) is not a load
    either. Tile URL templates of an online basemap are not matched; a map with tiles loads them
    only when online.
    """
    found = [m.group(0) for m in _REMOTE_TAG.finditer(text)]
    if "<" not in text:  # a stylesheet, not a page: all of it is CSS
        return found + [m.group(0) for m in _REMOTE_CSS.finditer(text)]
    for context in _CSS_CONTEXTS.finditer(text):
        block = context.group("block")
        css = block if block is not None else context.group("attr")
        found += [m.group(0) for m in _REMOTE_CSS.finditer(css or "")]
    return found


def _refuse_remote(text: str, *, argument: str) -> None:
    remote = find_remote_references(text)
    if remote:
        shown = "; ".join(r[:120] for r in remote[:3])
        raise ValueError(
            f"`{argument}` would load {len(remote)} remote resources, so it cannot work offline: "
            f"{shown}. Build the map with snt_geo.maps.compose.make_map and snt_geo layers, or "
            "remove the elements that need those files."
        )


def save_offline_html(map_or_html, path: str | Path, *, title: str | None = None) -> Path:
    """Write ONE self-contained HTML file that opens with no network.

    Parameters
    ----------
    map_or_html
        A folium Map (rendered with :func:`map_fragment`), a :class:`MapFragment`, or a complete
        HTML page as a string (e.g. a briefing that embeds a fragment).
    path
        Output file; parent folders must exist. Written as UTF-8.
    title
        Page title for a map or fragment (ignored for an HTML string).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        When the page would load any remote script, stylesheet or image; nothing is written.
    """
    if isinstance(map_or_html, str):
        text = map_or_html
        _refuse_remote(text, argument="map_or_html")
    elif isinstance(map_or_html, MapFragment):
        text = map_or_html.to_html(title=title)
        _refuse_remote(text, argument="map_or_html")
    elif hasattr(map_or_html, "get_root"):
        text = map_fragment(map_or_html).to_html(title=title)
    else:
        raise TypeError(
            "`map_or_html` must be a folium Map, a MapFragment or an HTML string; got "
            f"{type(map_or_html).__name__}."
        )
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path
