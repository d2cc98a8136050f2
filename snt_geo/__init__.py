"""snt_geo: ward profiles, hotspots, linkage flags and briefing maps for Safer Neighbourhoods.

Subpackages: :mod:`snt_geo.io` (readers), :mod:`snt_geo.profile` (ward profiles, priorities),
:mod:`snt_geo.linkage` (hotspots, clusters, flags, links), :mod:`snt_geo.maps` (folium layers and
the briefing). ``snt_geo.tasking_briefing`` is :func:`snt_geo.maps.tasking_briefing`, loaded on
first use so that ``import snt_geo`` does not import folium.
"""

from __future__ import annotations

from snt_geo.crs import WORKING_CRS
from snt_geo.errors import CRSError, SchemaError, SntGeoError

__version__ = "0.1.0.dev0"

__all__ = [
    "WORKING_CRS",
    "Briefing",
    "CRSError",
    "SchemaError",
    "SntGeoError",
    "__version__",
    "tasking_briefing",
]

_LAZY = {"tasking_briefing", "Briefing"}


def __getattr__(name: str):
    if name in _LAZY:
        from snt_geo.maps import briefing

        return getattr(briefing, name)
    raise AttributeError(f"module 'snt_geo' has no attribute {name!r}")
