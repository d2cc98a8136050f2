"""snt_geo: ward profiles, hotspots, linkage flags and briefing maps for Safer Neighbourhoods."""

from snt_geo.crs import WORKING_CRS
from snt_geo.errors import CRSError, SchemaError, SntGeoError

__version__ = "0.1.0.dev0"

__all__ = ["WORKING_CRS", "CRSError", "SchemaError", "SntGeoError", "__version__"]
