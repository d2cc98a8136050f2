"""Readers: police.uk files, boundaries, demographics, estates -> validated (Geo)DataFrames."""

from snt_geo.io._accounting import ReadReport, read_report
from snt_geo.io.archive import (
    ARCHIVE_KINDS,
    list_archive,
    read_archive,
    read_archive_outcomes,
    read_archive_stop_and_search,
    read_incidents_parquet,
)
from snt_geo.io.boundaries import WARD_COLUMNS, check_wards, read_wards, wards_from_frame
from snt_geo.io.demographics import (
    DEMOGRAPHIC_COUNTS,
    ApportionmentMethod,
    apportion_lsoa_population,
    demographics_from_frame,
    read_demographics,
    read_lsoa_population,
)
from snt_geo.io.deprivation import (
    DEPRIVATION_DOMAINS,
    DeprivationMethod,
    apportion_deprivation,
    read_deprivation,
)
from snt_geo.io.estates import estates_from_frame, read_estates
from snt_geo.io.police_uk import INCIDENT_COLUMNS, incidents_from_frame, read_police_uk
from snt_geo.io.police_uk_api import API_COLUMNS, read_police_uk_api
from snt_geo.io.stop_search import STOP_SEARCH_COLUMNS, read_stop_and_search

__all__ = [
    "ARCHIVE_KINDS",
    "list_archive",
    "read_archive",
    "read_archive_outcomes",
    "read_archive_stop_and_search",
    "read_incidents_parquet",
    "DEPRIVATION_DOMAINS",
    "DeprivationMethod",
    "apportion_deprivation",
    "read_deprivation",
    "API_COLUMNS",
    "ApportionmentMethod",
    "DEMOGRAPHIC_COUNTS",
    "INCIDENT_COLUMNS",
    "WARD_COLUMNS",
    "ReadReport",
    "STOP_SEARCH_COLUMNS",
    "apportion_lsoa_population",
    "check_wards",
    "demographics_from_frame",
    "estates_from_frame",
    "incidents_from_frame",
    "read_demographics",
    "read_estates",
    "read_lsoa_population",
    "read_police_uk",
    "read_police_uk_api",
    "read_report",
    "read_stop_and_search",
    "read_wards",
    "wards_from_frame",
]
