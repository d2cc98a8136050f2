"""snt_geo: ward profiles, hotspots, linkage flags and briefing maps for Safer Neighbourhoods.

Data flows one way: :mod:`snt_geo.io` (readers) -> :mod:`snt_geo.profile` (ward profiles,
priorities) and :mod:`snt_geo.linkage` (hotspots, clusters, flags, links) -> :mod:`snt_geo.tasking`
(the TTCG assessment: tables and method records, no HTML) -> :mod:`snt_geo.maps` (folium layers
and the briefing page).

``snt_geo.tasking_assessment`` and ``snt_geo.TaskingAssessment`` come from
:mod:`snt_geo.tasking`; ``snt_geo.tasking_briefing``, ``snt_geo.render_briefing`` and
``snt_geo.Briefing`` from :mod:`snt_geo.maps`; ``snt_geo.load_sample`` (the bundled City of London
sample) from :mod:`snt_geo.datasets`. They load on first use, so that ``import snt_geo`` does not
import folium.
"""

from __future__ import annotations

from snt_geo._method import concat_results, method_of
from snt_geo.crs import WORKING_CRS
from snt_geo.errors import CRSError, SchemaError, SntGeoError
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_THEMES",
    "WORKING_CRS",
    "Briefing",
    "CRSError",
    "SchemaError",
    "SntGeoError",
    "TaskingAssessment",
    "ThemeTable",
    "__version__",
    "concat_results",
    "load_sample",
    "method_of",
    "render_briefing",
    "tasking_assessment",
    "tasking_briefing",
]

_LAZY = {
    "tasking_briefing": "snt_geo.maps.briefing",
    "render_briefing": "snt_geo.maps.briefing",
    "Briefing": "snt_geo.maps.briefing",
    "tasking_assessment": "snt_geo.tasking",
    "TaskingAssessment": "snt_geo.tasking",
    "load_sample": "snt_geo.datasets",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'snt_geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
