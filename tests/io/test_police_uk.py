import gzip
import io
import shutil
import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import pytest

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import INCIDENT_COLUMNS, incidents_from_frame, read_police_uk, read_report

CITY = "police-uk-city-of-london/street"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
ROW = "abc{i},2023-01,City of London Police,City of London Police,{lon},{lat},On or near {loc},E01000001,City of London 001A,{ctype},Under investigation,\n"  # noqa: E501


def _row(i=1, lon=-0.0922, lat=51.5155, loc="Cheapside", ctype="Robbery"):
    return ROW.format(i=i, lon=lon, lat=lat, loc=loc, ctype=ctype)


def _read(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_police_uk(*args, **kwargs)


@pytest.fixture(scope="module")
def city(shared_data):
    with pytest.warns(UserWarning, match="read 31,130 rows from 44 file"):
        return read_police_uk(shared_data / CITY)


def test_city_of_london_keeps_exactly_the_located_rows(city, shared_data):
    report = read_report(city)
    assert report.rows_read == 31_130
    assert report.dropped["no_coordinates"] == 2_311
    assert report.rows_kept == len(city) == 31_130 - 2_311
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    table = report.to_frame()
    assert len(table) == 45  # 44 files + TOTAL
    per_file = table.drop(index="TOTAL")
    dropped = per_file[list(report.reasons)].sum(axis=1)
    assert (per_file["rows_read"] == per_file["rows_kept"] + dropped).all()
    # Independent count with pandas: rows with both coordinates.
    raw = pd.concat(pd.read_csv(p) for p in sorted((shared_data / CITY).glob("*.csv.gz")))
    assert len(raw) == 31_130
    assert raw[["Longitude", "Latitude"]].notna().all(axis=1).sum() == len(city)
    assert report.note("duplicate_crime_ids") == int(
        raw.dropna(subset=["Crime ID", "Longitude"]).duplicated(["Crime ID", "Month"]).sum()
    )


def test_schema_and_types(city):
    assert tuple(city.columns) == INCIDENT_COLUMNS
    assert city.crs.to_epsg() == 27700
    assert isinstance(city["month"].dtype, pd.PeriodDtype)
    assert city["month"].nunique() == 44
    assert city.index.equals(pd.RangeIndex(len(city)))
    assert {"Anti-social behaviour", "Robbery", "Theft from the person"} <= set(city["crime_type"])
    asb = city[city["crime_type"] == "Anti-social behaviour"]
    assert asb["crime_id"].isna().all()
    assert (asb["theme"] == "asb").all()
    street = city[city["crime_type"].isin(["Robbery", "Theft from the person"])]
    assert (street["theme"] == "street_crime").all()


def test_projection_matches_pyproj(city, shared_data):
    raw = pd.read_csv(shared_data / CITY / "2019-03-city-of-london-street.csv.gz")
    raw = raw.dropna(subset=["Longitude"])
    got = city[city["month"] == pd.Period("2019-03", "M")]
    x, y = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(
        raw["Longitude"].to_numpy(), raw["Latitude"].to_numpy()
    )
    np.testing.assert_allclose(got.geometry.x.to_numpy(), x, atol=1e-6)
    np.testing.assert_allclose(got.geometry.y.to_numpy(), y, atol=1e-6)


def test_met_burglary_falls_inside_gla_wards(shared_data):
    from snt_geo.profile import assign_wards

    burglary = _read(
        shared_data / "police-uk-metropolitan-street-burglary-only",
        months=pd.period_range("2019-01", "2019-12", freq="M"),
    )
    wards = _read_wards(shared_data)
    assert len(burglary) == 79_247 - 250  # 250 of the 2019 rows have no coordinates
    inside = assign_wards(burglary, wards).notna().mean()
    assert inside > 0.99


def _read_wards(shared_data):
    from snt_geo.io import read_wards

    return read_wards(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )


def test_filters_are_counted(shared_data):
    got = _read(shared_data / CITY, months=["2022-07", "2022-08"], crime_types="street_crime")
    report = read_report(got)
    assert set(got["crime_type"]) == {"Robbery", "Theft from the person"}
    assert set(got["month"].astype(str)) == {"2022-07", "2022-08"}
    assert report.dropped["filtered_months"] > 0
    assert report.dropped["filtered_crime_types"] > 0
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    by_slug = _read(shared_data / CITY, months="2022-07", crime_types=["theft-from-the-person"])
    assert set(by_slug["crime_type"]) == {"Theft from the person"}


def test_bad_filters(shared_data):
    with pytest.raises(SchemaError, match="`crime_types` has unknown entries \\['Mugging'\\]"):
        _read(shared_data / CITY / "2022-07-city-of-london-street.csv.gz", crime_types=["Mugging"])
    with pytest.raises(SchemaError, match="`months` must be month-like"):
        _read(shared_data / CITY / "2022-07-city-of-london-street.csv.gz", months=["July"])


def test_zip_archive_and_folder_layout(tmp_path, shared_data):
    src = sorted((shared_data / CITY).glob("2022-*.csv.gz"))[:2]
    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in src:
            month = p.name[:7]
            zf.writestr(f"{month}/{p.name[:-3]}", gzip.decompress(p.read_bytes()))
            zf.writestr(f"{month}/{month}-city-of-london-outcomes.csv", "ignored,file\n1,2\n")
    folder = tmp_path / "archive"
    for p in src:
        (folder / p.name[:7]).mkdir(parents=True)
        shutil.copy(p, folder / p.name[:7] / p.name)
    from_zip = _read(archive)
    from_folder = _read(folder)
    from_list = _read(src)
    assert len(from_zip) == len(from_folder) == len(from_list) > 0
    assert len(read_report(from_zip).files) == 2
    pd.testing.assert_frame_equal(
        pd.DataFrame(from_zip.drop(columns="geometry")).astype(str),
        pd.DataFrame(from_list.drop(columns="geometry")).astype(str),
    )


def test_missing_columns_listed_in_one_error(tmp_path):
    bad = tmp_path / "2023-01-x-street.csv"
    bad.write_text("Crime ID,Location\n1,Somewhere\n")
    with pytest.raises(SchemaError, match="lacks required columns") as info:
        _read(bad)
    assert len(info.value.problems) == 4
    assert "Month" in str(info.value) and "Crime type" in str(info.value)


def test_empty_file_raises(tmp_path):
    empty = tmp_path / "2023-01-x-street.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="is empty"):
        _read(empty)


def test_header_only_file_gives_empty_frame(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(HEADER)
    got = _read(f)
    assert len(got) == 0 and tuple(got.columns) == INCIDENT_COLUMNS
    assert got.crs.to_epsg() == 27700


def test_malformed_zeroed_and_unparseable_rows_are_counted(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(
        HEADER
        + _row(1)
        + "abc2,2023-01,too,few,fields\n"
        + _row(3, lon=0, lat=0)
        + _row(4, lon="", lat="")
        + _row(5).replace("2023-01", "Jan-23")
        + _row(6, lon=2.35, lat=48.85)  # Paris: outside Great Britain
        + _row(7)
    )
    with pytest.warns(UserWarning, match="read 7 rows from 1 file"):
        got = read_police_uk(f)
    d = read_report(got).dropped
    assert len(got) == 2
    assert d["malformed_row"] == 1
    assert d["zero_coordinates"] == 1
    assert d["no_coordinates"] == 1
    assert d["unparseable_month"] == 1
    assert d["outside_great_britain"] == 1


def test_latin1_file(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_bytes((HEADER + _row(1, loc="Caf\xe9 Row")).encode("latin-1"))
    got = _read(f)
    assert got["location"].iloc[0] == "On or near Caf\xe9 Row"
    assert read_report(got).encodings["2023-01-x-street.csv"] == "cp1252"


def test_text_in_coordinates_counts_as_no_coordinates(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(HEADER + _row(1) + _row(2, lon="n/a", lat="51.5"))
    got = _read(f)
    assert len(got) == 1
    assert read_report(got).dropped["no_coordinates"] == 1


def test_missing_source():
    with pytest.raises(FileNotFoundError, match="`source` 'nowhere' does not exist"):
        read_police_uk("nowhere")


def test_derived_extract_with_lowercase_headers_needs_crime_type(shared_data):
    path = shared_data / "police-uk-derived-crimemappingdata/lancashire_asb.tab"
    df = pd.read_csv(path, sep="\t")
    got = incidents_from_frame(
        df,
        x="longitude",
        y="latitude",
        crs="EPSG:4326",
        month="month",
        crime_type="Anti-social behaviour",
    )
    assert len(got) == len(df)
    assert (got["theme"] == "asb").all()
    assert got["month"].min() == pd.Period("2022-01", "M")
    assert got.index.equals(df.index)


# --- incidents_from_frame -------------------------------------------------------------------------


def _extract():
    return pd.DataFrame(
        {
            "easting": [532500.0, 532600.0, 0.0, np.nan],
            "northing": [181300.0, 181350.0, 0.0, 181000.0],
            "date": ["2024-03-02", "2024-03-30", "2024-04-01", "2024-04-02"],
            "offence": ["Robbery", "Theft from the person", "Robbery", "Robbery"],
            "youth": [True, False, True, False],
        },
        index=[10, 11, 12, 13],
    )


def test_extract_keeps_extra_columns_dates_and_index():
    with pytest.warns(UserWarning, match="zero coordinates 1"):
        got = incidents_from_frame(
            _extract(),
            x="easting",
            y="northing",
            crs="EPSG:27700",
            date="date",
            crime_type="offence",
        )
    assert list(got.index) == [10, 11]
    assert got["youth"].tolist() == [True, False]
    assert got["date"].dt.day.tolist() == [2, 30]
    assert got["month"].astype(str).tolist() == ["2024-03", "2024-03"]
    assert got["theme"].tolist() == ["street_crime", "street_crime"]
    assert list(got.columns[: len(INCIDENT_COLUMNS) - 1]) == list(INCIDENT_COLUMNS[:-1])
    assert got.geometry.x.tolist() == [532500.0, 532600.0]


def test_extract_in_lonlat_and_bng_agree():
    df = _extract().iloc[:2]
    bng = incidents_from_frame(
        df, x="easting", y="northing", crs="EPSG:27700", date="date", crime_type="offence"
    )
    lon, lat = pyproj.Transformer.from_crs(27700, 4326, always_xy=True).transform(
        df["easting"], df["northing"]
    )
    ll = incidents_from_frame(
        df.assign(lon=lon, lat=lat),
        x="lon",
        y="lat",
        crs="EPSG:4326",
        date="date",
        crime_type="offence",
    )
    np.testing.assert_allclose(ll.geometry.x, bng.geometry.x, atol=1e-3)
    np.testing.assert_allclose(ll.geometry.y, bng.geometry.y, atol=1e-3)


def test_extract_requires_crs():
    with pytest.raises(CRSError, match="`crs` is required"):
        incidents_from_frame(
            _extract(), x="easting", y="northing", crs=None, date="date", crime_type="offence"
        )


def test_extract_swapped_axes_raise_with_coordinate():
    df = pd.DataFrame({"lat": [51.5155], "lon": [-0.0922], "month": ["2024-01"]})
    with pytest.raises(
        CRSError,
        match=r"e.g. \(51.5155, -0.0922\), so every point falls outside Great Britain.*swapped",
    ):
        incidents_from_frame(
            df, x="lat", y="lon", crs="EPSG:4326", month="month", crime_type="Robbery"
        )


def test_extract_schema_problems_listed_together():
    df = _extract().set_axis([1, 1, 2, 3])
    with pytest.raises(SchemaError) as info:
        incidents_from_frame(df, x="east", y="north", crs="EPSG:27700", crime_type="Mugging")
    text = str(info.value)
    assert len(info.value.problems) == 5
    for part in (
        "`x` names column 'east'",
        "`y` names column 'north'",
        "give `month` or `date`",
        "'Mugging'",
        "non-unique index",
    ):
        assert part in text


def test_extract_does_not_mutate_input():
    df = _extract()
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        incidents_from_frame(
            df, x="easting", y="northing", crs="EPSG:27700", date="date", crime_type="offence"
        )
    pd.testing.assert_frame_equal(df, before)


def test_row_order_does_not_change_what_is_kept(city):
    shuffled = city.sample(frac=1, random_state=1)
    df = pd.DataFrame(
        {
            "x": shuffled.geometry.x,
            "y": shuffled.geometry.y,
            "month": shuffled["month"],
            "crime_type": shuffled["crime_type"].astype(str),
        }
    )
    got = incidents_from_frame(
        df, x="x", y="y", crs="EPSG:27700", month="month", crime_type="crime_type"
    )
    assert len(got) == len(city)
    assert (got["month"] == city.loc[got.index, "month"]).all()
    assert isinstance(got, gpd.GeoDataFrame)


# --- issue 16: dates, quotes, encodings, line endings, crime-type spelling, repeated paths --------


def _dated(dates, **kwargs):
    df = pd.DataFrame(
        {
            "lon": [-0.0922] * len(dates),
            "lat": [51.5155] * len(dates),
            "when": dates,
            "offence": ["Robbery"] * len(dates),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return incidents_from_frame(
            df, x="lon", y="lat", crs="EPSG:4326", date="when", crime_type="offence", **kwargs
        )


def test_uk_dates_are_day_first():
    # Issue 16 item 1: these gave 2023-01, 2023-05, 2023-12 and dropped the fourth.
    got = _dated(["01/02/2023", "05/02/2023", "12/02/2023", "13/02/2023"])
    assert len(got) == 4
    assert got["month"].astype(str).tolist() == ["2023-02"] * 4
    assert got["date"].dt.day.tolist() == [1, 5, 12, 13]


def test_us_dates_refused_unless_dayfirst_false():
    us = ["02/01/2023", "02/13/2023"]
    with pytest.raises(SchemaError, match=r"`date` holds month-first \(US\).*dayfirst=False"):
        _dated(us)
    got = _dated(us, dayfirst=False)
    assert got["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-02-01", "2023-02-13"]


def test_mixed_date_formats_refused():
    with pytest.raises(SchemaError, match="`date` mixes day-first and month-first"):
        _dated(["13/02/2023", "02/13/2023"])


def test_unreadable_dates_are_counted():
    got = _dated(["2023-02-01", "soon", "31/02/2023"])
    report = read_report(got)
    assert len(got) == 1
    assert report.dropped["unparseable_month"] == 2
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())


@pytest.fixture
def city_month_bytes():
    from snt_geo.datasets import sample_paths

    path = sample_paths().police_uk / "2019-01-city-of-london-street.csv.gz"
    return gzip.decompress(path.read_bytes())


def test_unclosed_quote_does_not_swallow_the_file(tmp_path, city_month_bytes):
    # Issue 16 item 2: appending an unclosed quote to row 10 read 10 rows and said nothing.
    lines = city_month_bytes.split(b"\n")
    n_rows = sum(1 for line in lines[1:] if line.strip())
    lines[10] = lines[10] + b'"suspect said ok'
    f = tmp_path / "2019-01-city-of-london-street.csv"
    f.write_bytes(b"\n".join(lines))
    with (
        pytest.warns(UserWarning, match=r"line\(s\) 11 open a quote that never closes"),
        pytest.warns(UserWarning, match="dropped 32 \\(unclosed quote 1, no coordinates 31\\)"),
    ):
        got = read_police_uk(f)
    report = read_report(got)
    assert report.rows_read == n_rows
    assert report.dropped["unclosed_quote"] == 1
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    assert len(got) > 500


def test_quoted_line_break_is_one_record(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(HEADER + _row(1).rstrip("\n") + '"two\nlines"\n' + _row(2))
    got = _read(f)
    assert len(got) == 2
    assert got["context"].iloc[0] == "two lines"


def test_latin1_byte_undefined_in_cp1252_names_no_error(tmp_path):
    # Issue 16 item 11: 0x81 is undefined in Windows-1252 and raised a bare UnicodeDecodeError.
    f = tmp_path / "2023-01-x-street.csv"
    f.write_bytes(HEADER.encode() + _row(1, loc="X\x81Y").encode("latin-1"))
    got = _read(f)
    assert len(got) == 1
    assert read_report(got).encodings["2023-01-x-street.csv"] == "cp1252+latin-1"


def test_utf8_file_with_cp1252_lines_warns(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_bytes(
        (HEADER + _row(1, loc="Caf\xe9 Row")).encode("utf-8")
        + _row(2, loc="Caf\xe9 Row").encode("cp1252")
    )
    with (
        pytest.warns(UserWarning, match=r"is UTF-8 but 1 line\(s\) are not"),
        pytest.warns(UserWarning, match="kept but noted: cp1252 lines 1"),
    ):
        got = read_police_uk(f)
    assert got["location"].tolist() == ["On or near Caf\xe9 Row"] * 2
    report = read_report(got)
    assert report.encodings["2023-01-x-street.csv"] == "utf8+cp1252"
    assert report.note("cp1252_lines") == 1


def test_cr_only_line_endings(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_bytes((HEADER + _row(1) + _row(2)).replace("\n", "\r").encode())
    got = _read(f)
    assert len(got) == 2
    assert sum(read_report(got).dropped.values()) == 0


def test_crime_type_spelling_respelled_and_counted(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(
        HEADER
        + _row(1, ctype="Robbery ")
        + _row(2, ctype="ROBBERY")
        + _row(3, ctype="theft-from-the-person")
        + _row(4, ctype="Robbery")
        + _row(5, ctype="Bicycle  theft")
        + _row(6, ctype="Made up")
    )
    with pytest.warns(UserWarning, match="kept but noted: respelled crime types 3"):
        got = read_police_uk(f, crime_types="street_crime")
    assert got["crime_type"].astype(str).tolist() == [
        "Robbery",
        "Robbery",
        "Theft from the person",
        "Robbery",
    ]
    assert (got["theme"] == "street_crime").all()
    report = read_report(got)
    assert report.dropped["filtered_crime_types"] == 2


def test_same_path_twice_read_once(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(HEADER + _row(1))
    with pytest.warns(UserWarning, match="names .* more than once .* read once"):
        got = read_police_uk([f, str(f), tmp_path / "." / f.name])
    assert len(got) == 1
    assert read_report(got).rows_read == 1


def test_file_with_latitude_and_longitude_swapped_in_every_row(tmp_path, city_month_bytes):
    # Issue 16 item 3: every row was dropped as outside Great Britain, no hint of the swap.
    df = pd.read_csv(io.BytesIO(city_month_bytes))
    df = df.rename(columns={"Longitude": "Latitude", "Latitude": "Longitude"})
    f = tmp_path / "2019-01-x-street.csv"
    df.to_csv(f, index=False)
    with pytest.raises(
        CRSError,
        match=r"`source` file '2019-01-x-street.csv' has longitude and latitude swapped: 586 of",
    ):
        _read(f)


def test_a_few_swapped_rows_are_dropped_and_counted(tmp_path):
    f = tmp_path / "2023-01-x-street.csv"
    f.write_text(HEADER + _row(1) + _row(2) + _row(3, lon=51.5155, lat=-0.0922))
    got = _read(f)
    assert len(got) == 2
    assert read_report(got).dropped["outside_great_britain"] == 1


@pytest.mark.parametrize(
    ("x", "y", "crs", "match"),
    [
        (
            "lon",
            "lat",
            "EPSG:27700",
            r"`df\[\['lon', 'lat'\]\]` is labelled EPSG:27700 .* degrees.*pass crs=\"EPSG:4326\"",
        ),  # noqa: E501
        ("lat", "lon", "EPSG:4326", r"latitude first and longitude second.*pass x='lon', y='lat'"),
        ("n", "e", "EPSG:27700", r"easting and northing swapped.*pass x='e', y='n'"),
        (
            "e",
            "n",
            "EPSG:4326",
            r"labelled EPSG:4326 \(degrees\) but .* metres.*pass crs=\"EPSG:27700\"",
        ),  # noqa: E501
    ],
)
def test_extract_with_crs_contradicting_coordinates(x, y, crs, match):
    lon = np.array([-0.0922, -0.1124, -0.0781, 0.0])
    lat = np.array([51.5155, 51.5154, 51.5101, 0.0])
    e, n = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(lon[:3], lat[:3])
    df = pd.DataFrame(
        {
            "lon": lon,
            "lat": lat,
            "e": [*e, 0.0],
            "n": [*n, 0.0],
            "month": "2023-01",
            "offence": "Robbery",
        }
    )
    with pytest.raises(CRSError, match=match):
        incidents_from_frame(df, x=x, y=y, crs=crs, month="month", crime_type="offence")


# --------------------------------------------------------------------------------------------------
# Duplicate Crime IDs: the fingerprint pass must never change the exact answer


def _brute_duplicates(ids, months):
    """A row repeats an earlier (ID, month) pair; a missing ID never counts."""
    frame = pd.DataFrame({"id": pd.Series(ids, dtype=object), "m": months})
    return (frame.duplicated(["id", "m"], keep="first") & frame["id"].notna()).to_numpy()


def test_duplicate_ids_equal_brute_force_including_fingerprint_collisions():
    from snt_geo.io.police_uk import _duplicate_ids, _id_fingerprints

    rng = np.random.default_rng(4)
    hexes = [f"{rng.integers(0, 2**63):016x}" * 4 for _ in range(60)]
    # Same length, same first and last 8 bytes, different middle: one fingerprint, two IDs.
    twins = ["AAAAAAAA-one-BBBBBBBB", "AAAAAAAA-two-BBBBBBBB"]
    short = ["", "a", "ab", "abc", "é", "1234567", "12345678", "ID-9"]
    pool = np.array([*hexes, *twins, *short, None], dtype=object)
    ids = pool[rng.integers(0, len(pool), 5000)]
    months = rng.choice(np.array([600, 601, 605]), 5000)
    text = pd.Series(ids, dtype=pd.StringDtype("pyarrow"))
    keys, present = _id_fingerprints(pa.array(ids, type=pa.large_string()))
    assert keys[list(ids).index(twins[0])] == keys[list(ids).index(twins[1])]
    np.testing.assert_array_equal(present, [i is not None for i in ids])
    np.testing.assert_array_equal(_duplicate_ids(text, months), _brute_duplicates(ids, months))
    # The same on a slice (Arrow offsets not starting at 0), on object strings and on chunks.
    np.testing.assert_array_equal(
        _duplicate_ids(text.iloc[777:], months[777:]), _brute_duplicates(ids[777:], months[777:])
    )
    np.testing.assert_array_equal(
        _duplicate_ids(pd.Series(ids, dtype=object), months), _brute_duplicates(ids, months)
    )
    chunked = pd.Series(
        pd.arrays.ArrowExtensionArray(
            pa.chunked_array(
                [pa.array(ids[:2500], pa.large_string()), pa.array(ids[2500:], pa.large_string())]
            )
        )
    )
    np.testing.assert_array_equal(_duplicate_ids(chunked, months), _brute_duplicates(ids, months))


def test_duplicate_ids_that_are_not_text():
    from snt_geo.io.police_uk import _duplicate_ids

    ids = pd.Series([101, 102, 101, 101, None], dtype="Int64")
    months = np.array([600, 600, 600, 601, 600])
    np.testing.assert_array_equal(_duplicate_ids(ids, months), [False, False, True, False, False])
