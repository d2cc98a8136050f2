"""Readers: police.uk files, boundaries, demographics, estates -> validated (Geo)DataFrames."""

from snt_geo.io._accounting import ReadReport, read_report
from snt_geo.io.boundaries import WARD_COLUMNS, read_wards, wards_from_frame
from snt_geo.io.police_uk import INCIDENT_COLUMNS, incidents_from_frame, read_police_uk

__all__ = [
    "INCIDENT_COLUMNS",
    "WARD_COLUMNS",
    "ReadReport",
    "incidents_from_frame",
    "read_police_uk",
    "read_report",
    "read_wards",
    "wards_from_frame",
]
