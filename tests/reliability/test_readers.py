"""The bad-input matrix for the readers (issue 16): every case ends in a clear error naming the
argument, or in an explicit, counted drop with rows in = rows kept + rows dropped."""

from __future__ import annotations

import gzip

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from reliability_helpers import HEADER, assert_accounted, quiet, row

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import (
    estates_from_frame,
    incidents_from_frame,
    read_demographics,
    read_estates,
    read_police_uk,
    read_wards,
    wards_from_frame,
)
from snt_geo.profile import read_priorities

# --- read_police_uk: one file, one defect each ---
# (id, file content, rows in, expected non-zero drops)

GOOD = row(1) + row(2, ctype="Anti-social behaviour")
POLICE_UK_DROPS = [
    ("clean", HEADER + GOOD, 2, {}),
    ("too_few_fields", HEADER + GOOD + "id3,2023-01,too,few\n", 3, {"malformed_row": 1}),
    ("too_many_fields", HEADER + GOOD + row(3).rstrip("\n") + ",x,y\n", 3, {"malformed_row": 1}),
    ("unclosed_quote", HEADER + row(1).rstrip("\n") + '"oops\n' + GOOD, 3, {"unclosed_quote": 1}),
    ("zero_coordinates", HEADER + GOOD + row(3, lon=0, lat=0), 3, {"zero_coordinates": 1}),
    ("empty_coordinates", HEADER + GOOD + row(3, lon="", lat=""), 3, {"no_coordinates": 1}),
    ("text_coordinates", HEADER + GOOD + row(3, lon="n/a", lat="x"), 3, {"no_coordinates": 1}),
    ("infinite_coordinates", HEADER + GOOD + row(3, lon="1e999"), 3, {"no_coordinates": 1}),
    ("paris", HEADER + GOOD + row(3, lon=2.35, lat=48.85), 3, {"outside_great_britain": 1}),
    (
        "one_row_swapped",
        HEADER + GOOD + row(3, lon=51.5, lat=-0.09),
        3,
        {"outside_great_britain": 1},
    ),
    ("month_text", HEADER + GOOD + row(3, month="Jan-23"), 3, {"unparseable_month": 1}),
    ("month_13", HEADER + GOOD + row(3, month="2023-13"), 3, {"unparseable_month": 1}),
    ("month_empty", HEADER + GOOD + row(3, month=""), 3, {"unparseable_month": 1}),
    ("uk_date_month", HEADER + row(1, month="01/02/2023"), 1, {}),
    ("crlf", (HEADER + GOOD).replace("\n", "\r\n"), 2, {}),
    ("cr_only", (HEADER + GOOD).replace("\n", "\r"), 2, {}),
    ("utf8_bom", "\ufeff" + HEADER + GOOD, 2, {}),
    ("blank_lines", HEADER + row(1) + "\n\n" + row(2), 2, {}),
    ("no_final_newline", HEADER + GOOD.rstrip("\n"), 2, {}),
    (
        "quoted_fields",
        HEADER + row(1).replace("On or near Cheapside", '"On or near ""Cheap"", side"'),
        1,
        {},
    ),  # noqa: E501
    ("crime_type_spacing", HEADER + row(1, ctype=" robbery ") + row(2, ctype="ROBBERY"), 2, {}),
    ("duplicate_crime_ids", HEADER + row(1) + row(1), 2, {}),
]


@pytest.mark.parametrize(
    ("content", "rows_in", "drops"),
    [c[1:] for c in POLICE_UK_DROPS],
    ids=[c[0] for c in POLICE_UK_DROPS],
)
def test_read_police_uk_counts_every_row(street_file, content, rows_in, drops):
    got = quiet(read_police_uk, street_file(content))
    assert assert_accounted(got, rows_in=rows_in) == drops
    assert got["month"].notna().all() and got.geometry.notna().all()


POLICE_UK_BYTES = [
    (
        "latin1_byte",
        HEADER.encode() + row(1).replace("Cheapside", "Caf\xe9 \x81").encode("latin-1"),
    ),
    (
        "cp1252_line",
        (HEADER + row(1)).encode() + row(2).replace("Cheap", "Caf\xe9").encode("cp1252"),
    ),
    ("gzip", gzip.compress((HEADER + GOOD).encode())),
]


@pytest.mark.parametrize(
    "content", [c[1] for c in POLICE_UK_BYTES], ids=[c[0] for c in POLICE_UK_BYTES]
)
def test_read_police_uk_encodings(street_file, content):
    got = quiet(read_police_uk, street_file(content))
    assert assert_accounted(got) == {}
    assert len(got) >= 1


POLICE_UK_ERRORS = [
    ("empty_file", b"", SchemaError, r"`source` file '2023-01-x-street.csv' is empty"),
    ("whitespace_file", b"  \n\n", SchemaError, r"`source` file .* is empty"),
    (
        "missing_columns",
        b"Crime ID,Month\nx,2023-01\n",
        SchemaError,
        r"`source` file .* lacks required columns",
    ),  # noqa: E501
    (
        "semicolons",
        (HEADER + GOOD).replace(",", ";").encode(),
        SchemaError,
        r"lacks required columns",
    ),
    (
        "binary",
        bytes(range(256)) * 4,
        SchemaError,
        r"`source` file .* (lacks required|could not be parsed)",
    ),  # noqa: E501
    (
        "all_rows_swapped",
        (HEADER + row(1, lon=51.5155, lat=-0.0922) + row(2, lon=51.51, lat=-0.09)).encode(),
        CRSError,
        r"`source` file .* has longitude and latitude swapped: 2 of its 2",
    ),
]


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [c[1:] for c in POLICE_UK_ERRORS],
    ids=[c[0] for c in POLICE_UK_ERRORS],
)
def test_read_police_uk_refuses(street_file, content, error, match):
    with pytest.raises(error, match=match):
        quiet(read_police_uk, street_file(content))


ARGUMENT_ERRORS = [
    (
        "no_such_path",
        lambda p: read_police_uk(p.parent / "nowhere.csv"),
        FileNotFoundError,
        r"`source` .* does not exist",
    ),  # noqa: E501
    ("empty_list", lambda p: read_police_uk([]), SchemaError, r"`source` is an empty list"),
    ("int_source", lambda p: read_police_uk(3), TypeError, r"`source` must be a path"),
    (
        "months_word",
        lambda p: read_police_uk(p, months="March"),
        SchemaError,
        r"`months` must be month-like",
    ),  # noqa: E501
    (
        "months_13",
        lambda p: read_police_uk(p, months=["2023-13"]),
        SchemaError,
        r"`months` must be month-like",
    ),  # noqa: E501
    (
        "crime_type_unknown",
        lambda p: read_police_uk(p, crime_types=["Jaywalking"]),
        SchemaError,
        r"`crime_types` has unknown entries",
    ),  # noqa: E501
    (
        "folder_without_files",
        lambda p: read_police_uk(p.parent / "empty_dir"),
        SchemaError,
        r"`source` folder .* holds no police.uk street files",
    ),  # noqa: E501
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [c[1:] for c in ARGUMENT_ERRORS],
    ids=[c[0] for c in ARGUMENT_ERRORS],
)
def test_read_police_uk_arguments(street_file, call, error, match):
    path = street_file(HEADER + GOOD)
    (path.parent / "empty_dir").mkdir()
    with pytest.raises(error, match=match):
        quiet(call, path)


def test_same_path_twice_is_read_once(street_file):
    path = street_file(HEADER + GOOD)
    with pytest.warns(UserWarning, match="more than once"):
        got = read_police_uk([path, path])
    assert assert_accounted(got, rows_in=2) == {}


def test_filters_are_counted_drops(street_file):
    path = street_file(HEADER + row(1) + row(2, month="2023-02") + row(3, ctype="Burglary"))
    got = quiet(read_police_uk, path, months="2023-01", crime_types="street_crime")
    assert assert_accounted(got, rows_in=3) == {"filtered_months": 1, "filtered_crime_types": 1}


# --- incidents_from_frame ---


def _extract(**columns) -> pd.DataFrame:
    base = {
        "lon": [-0.0922, -0.1124, -0.0781],
        "lat": [51.5155, 51.5154, 51.5101],
        "when": ["01/02/2023", "13/02/2023", "2023-02-28"],
        "offence": ["Robbery", "Theft from the person", "Anti-social behaviour"],
    }
    base.update(columns)
    return pd.DataFrame(base)


def _ifr(df, **kwargs):
    args = {"x": "lon", "y": "lat", "crs": "EPSG:4326", "date": "when", "crime_type": "offence"}
    args.update(kwargs)
    return quiet(incidents_from_frame, df, **args)


FRAME_DROPS = [
    ("clean_uk_dates", _extract(), {}),
    ("nan_coordinates", _extract(lon=[np.nan, -0.1124, -0.0781]), {"no_coordinates": 1}),
    ("text_coordinates", _extract(lat=["x", 51.5154, 51.5101]), {"no_coordinates": 1}),
    (
        "zero_coordinates",
        _extract(lon=[0.0, -0.1124, -0.0781], lat=[0.0, 51.5154, 51.5101]),
        {"zero_coordinates": 1},
    ),  # noqa: E501
    (
        "unreadable_dates",
        _extract(when=["soon", "31/02/2023", "2023-02-01"]),
        {"unparseable_month": 2},
    ),  # noqa: E501
    ("missing_dates", _extract(when=[None, np.nan, "2023-02-01"]), {"unparseable_month": 2}),
    (
        "datetimes",
        _extract(when=pd.to_datetime(["2023-02-01", "2023-02-13", None])),
        {"unparseable_month": 1},
    ),  # noqa: E501
]


@pytest.mark.parametrize(
    ("df", "drops"), [c[1:] for c in FRAME_DROPS], ids=[c[0] for c in FRAME_DROPS]
)
def test_incidents_from_frame_counts_every_row(df, drops):
    got = _ifr(df)
    assert assert_accounted(got, rows_in=len(df)) == drops
    assert set(got["month"].astype(str)) <= {"2023-02"}


FRAME_ERRORS = [
    ("not_a_frame", lambda: _ifr([1, 2]), TypeError, r"`df` must be a pandas DataFrame"),
    (
        "missing_x",
        lambda: _ifr(_extract(), x="easting"),
        SchemaError,
        r"`x` names column 'easting'",
    ),
    (
        "no_month_or_date",
        lambda: _ifr(_extract(), date=None),
        SchemaError,
        r"give `month` or `date`",
    ),
    (
        "unknown_crime_type",
        lambda: _ifr(_extract(), crime_type="Jaywalking"),
        SchemaError,
        r"`crime_type` 'Jaywalking'",
    ),  # noqa: E501
    (
        "duplicate_index",
        lambda: _ifr(_extract().set_axis([0, 0, 1])),
        SchemaError,
        r"non-unique index",
    ),  # noqa: E501
    ("no_crs", lambda: _ifr(_extract(), crs=None), CRSError, r"`crs` is required"),
    (
        "lonlat_as_bng",
        lambda: _ifr(_extract(), crs="EPSG:27700"),
        CRSError,
        r"is labelled EPSG:27700 .* degrees.*crs=\"EPSG:4326\"",
    ),  # noqa: E501
    (
        "latlon_order",
        lambda: _ifr(_extract(), x="lat", y="lon"),
        CRSError,
        r"latitude first.*pass x='lon', y='lat'",
    ),  # noqa: E501
    (
        "us_dates",
        lambda: _ifr(_extract(when=["02/13/2023", "02/01/2023", "02/02/2023"])),
        SchemaError,
        r"`date` holds month-first \(US\).*dayfirst=False",
    ),  # noqa: E501
    (
        "mixed_dates",
        lambda: _ifr(_extract(when=["13/02/2023", "02/13/2023", "2023-02-01"])),
        SchemaError,
        r"`date` mixes day-first and month-first",
    ),  # noqa: E501
    (
        "bad_months_filter",
        lambda: _ifr(_extract(), months=["Feb"]),
        SchemaError,
        r"`months` must be month-like",
    ),  # noqa: E501
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in FRAME_ERRORS], ids=[c[0] for c in FRAME_ERRORS]
)
def test_incidents_from_frame_refuses(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_us_extract_with_dayfirst_false():
    got = _ifr(_extract(when=["02/13/2023", "02/01/2023", "02/02/2023 01:30 PM"]), dayfirst=False)
    assert got["date"].dt.day.tolist() == [13, 1, 2]


# --- boundaries, estates, demographics, priorities ---


def _square(x0=530000.0, y0=180000.0, side=500.0):
    return shapely.box(x0, y0, x0 + side, y0 + side)


def _wards_frame(geoms, crs=27700):
    return gpd.GeoDataFrame(
        {"ward_code": [f"E0500000{i}" for i in range(len(geoms))], "ward_name": "w"},
        geometry=geoms,
        crs=crs,
    )


def _to_file(frame, path):
    frame.to_file(path, layer="layer")
    return path


OTHER_READER_ERRORS = [
    (
        "wards_missing_file",
        lambda p: read_wards(p / "nowhere.gpkg"),
        FileNotFoundError,
        r"`path` .* does not exist",
    ),  # noqa: E501
    (
        "wards_lonlat_as_bng",
        lambda p: read_wards(
            _to_file(_wards_frame([shapely.box(-0.1, 51.5, -0.09, 51.51)]), p / "w.gpkg")
        ),
        CRSError,
        r"`path` .*longitude/latitude degrees",
    ),  # noqa: E501
    (
        "wards_swapped_bng",
        lambda p: read_wards(_to_file(_wards_frame([_square(180000, 530000)]), p / "w.gpkg")),
        CRSError,
        r"easting and northing swapped",
    ),  # noqa: E501
    (
        "wards_no_code",
        lambda p: wards_from_frame(_wards_frame([_square()]).drop(columns="ward_code")),
        SchemaError,
        r"no ward code column",
    ),  # noqa: E501
    (
        "wards_no_crs",
        lambda p: wards_from_frame(_wards_frame([_square()]).set_crs(None, allow_override=True)),
        CRSError,
        r"`frame` has no CRS",
    ),  # noqa: E501
    (
        "estates_lonlat_as_bng",
        lambda p: estates_from_frame(
            gpd.GeoDataFrame(
                {"name": ["e"]}, geometry=[shapely.box(-0.1, 51.5, -0.09, 51.51)], crs=27700
            ),
            name_column="name",
        ),
        CRSError,
        r"`frame` .*longitude/latitude degrees",
    ),  # noqa: E501
    (
        "estates_missing_file",
        lambda p: read_estates(p / "nowhere.gpkg"),
        FileNotFoundError,
        r"nowhere.gpkg",
    ),  # noqa: E501
    (
        "demographics_missing_file",
        lambda p: read_demographics(p / "nowhere.csv"),
        FileNotFoundError,
        r"nowhere.csv",
    ),  # noqa: E501
    (
        "priorities_missing_file",
        lambda p: read_priorities(p / "nowhere.csv"),
        FileNotFoundError,
        r"nowhere.csv",
    ),  # noqa: E501
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [c[1:] for c in OTHER_READER_ERRORS],
    ids=[c[0] for c in OTHER_READER_ERRORS],
)
def test_other_readers_refuse(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        quiet(call, tmp_path)


# Readers given the wrong kind of file (issue 16 item 7: the CLI showed tracebacks).
WRONG_KIND = [
    pytest.param(
        lambda p: read_wards(p), r"`path` 'table.csv' is not a boundary file", id="wards_csv"
    ),
    pytest.param(
        lambda p: read_estates(p),
        r"`path` '[^']*table.csv' is not a spatial file: it has no geometry",
        id="estates_csv",
    ),
    pytest.param(
        lambda p: read_demographics(p.with_suffix(".gpkg")),
        r"`path` '[^']*table.gpkg' is not a CSV or Excel",
        id="demographics_gpkg",
    ),
    pytest.param(
        lambda p: read_priorities(p.with_suffix(".gpkg")),
        r"`path` 'table.gpkg' is not a CSV",
        id="priorities_gpkg",
    ),
]


@pytest.mark.parametrize(("call", "match"), WRONG_KIND)
def test_readers_name_the_path_for_the_wrong_kind_of_file(tmp_path, sample, call, match):
    csv = tmp_path / "table.csv"
    csv.write_text("ward_code,theme\nE05000001,asb\n")
    _to_file(sample.wards.reset_index(), tmp_path / "table.gpkg")
    with pytest.raises((SchemaError, ValueError), match=match):
        quiet(call, csv)


# Issue 16 item 11: overlapping wards and point "wards" (io/boundaries.py, fixed by i11).


def test_point_wards_refused():
    frame = _wards_frame([shapely.Point(530000, 180000), shapely.Point(530100, 180000)])
    with pytest.raises(SchemaError, match=r"`frame` .*polygons"):
        quiet(wards_from_frame, frame)


def test_overlapping_wards_reported():
    frame = _wards_frame([_square(530000, 180000, 1000), _square(530500, 180000, 1000)])
    with pytest.warns(UserWarning, match=r"overlap"):
        wards_from_frame(frame)
