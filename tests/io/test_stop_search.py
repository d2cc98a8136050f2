"""read_stop_and_search on the real City of London and Met stop-and-search files."""

import gzip
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from snt_geo.errors import SchemaError
from snt_geo.io import read_report
from snt_geo.io.stop_search import STOP_SEARCH_COLUMNS, read_stop_and_search

CITY = "police-uk-city-of-london/stop-and-search"
MET = "police-uk-metropolitan-stop-and-search"
MET_FILES = (
    "2018-03-metropolitan-stop-and-search.csv.gz",  # degraded at source: few coordinates
    "2019-01-metropolitan-stop-and-search.csv.gz",
    "2024-08-metropolitan-stop-and-search.csv.gz",
)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def _raw(paths):
    """Independent reference: pandas, each file as it is, with its file name."""
    frames = [pd.read_csv(p, dtype=str).assign(file=p.name) for p in paths]
    return pd.concat(frames, ignore_index=True)


def _located(raw):
    lon = pd.to_numeric(raw["Longitude"], errors="coerce")
    lat = pd.to_numeric(raw["Latitude"], errors="coerce")
    return raw[lon.notna() & lat.notna() & ~((lon == 0) & (lat == 0))]


@pytest.fixture(scope="module")
def city_paths(shared_data):
    return sorted((shared_data / CITY).glob("*.csv.gz"))


@pytest.fixture(scope="module")
def met_paths(shared_data):
    return [shared_data / MET / f for f in MET_FILES]


@pytest.mark.parametrize("which", ["city", "met"])
def test_counts_by_object_and_outcome_match_pandas(which, city_paths, met_paths):
    paths = city_paths if which == "city" else met_paths
    with pytest.warns(UserWarning, match=r"read_stop_and_search: read [\d,]+ rows"):
        searches = read_stop_and_search(paths)
    raw = _raw(paths)
    located = _located(raw)
    for column, ours in (("Object of search", "object_of_search"), ("Outcome", "outcome")):
        expected = located[column].fillna("<blank>").value_counts().to_dict()
        got = searches[ours].astype("string").fillna("<blank>").value_counts().to_dict()
        assert got == expected, column
    # rows in = rows kept + rows dropped, per file
    report = read_report(searches)
    per_file = raw.groupby("file").size()
    assert set(report.files) == set(per_file.index)
    for name, counts in report.files.items():
        dropped = sum(v for k, v in counts.items() if k not in ("rows_read", "rows_kept"))
        assert counts["rows_read"] == per_file[name]
        assert counts["rows_read"] == counts["rows_kept"] + dropped
        assert counts["no_coordinates"] == per_file[name] - (_located(raw).file == name).sum()
    assert report.rows_kept == len(searches) == len(located)


def test_measured_totals(city_paths, met_paths):
    city = read_report(_quiet(read_stop_and_search, city_paths))
    assert (city.rows_read, city.rows_kept, city.dropped["no_coordinates"]) == (6449, 4512, 1937)
    met = read_report(_quiet(read_stop_and_search, met_paths))
    assert met.files["2018-03-metropolitan-stop-and-search.csv.gz"]["no_coordinates"] == 10292


def test_schema_crs_and_dates(city_paths):
    searches = _quiet(read_stop_and_search, city_paths[:1])
    assert tuple(searches.columns) == STOP_SEARCH_COLUMNS
    assert searches.crs.to_epsg() == 27700
    raw = _located(_raw(city_paths[:1])).reset_index(drop=True)
    # dates carry +00:00 (UTC); April is BST, so 00:08:42 UTC is 01:08:42 in London
    assert raw.loc[0, "Date"] == "2018-04-01T00:08:42+00:00"
    assert searches.loc[0, "date"] == pd.Timestamp("2018-04-01 01:08:42")
    assert (searches["month"] == pd.Period("2018-04", freq="M")).all()
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(raw["Longitude"].astype(float), raw["Latitude"].astype(float))
    np.testing.assert_allclose(searches.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(searches.geometry.y, y, atol=1e-6)
    assert searches["outcome_linked"].dtype == "boolean"
    assert set(searches["force"]) == {"city-of-london"}


def test_archive_zip_and_month_folders(tmp_path, city_paths):
    chosen = city_paths[:3]
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in chosen:
            month = p.name[:7]
            zf.writestr(f"{month}/{p.name[:-3]}", gzip.decompress(p.read_bytes()))
            zf.writestr(f"{month}/{month}-city-of-london-street.csv", "Crime ID,Month\n")
    folders = tmp_path / "folders"
    for p in chosen:
        (folders / p.name[:7]).mkdir(parents=True)
        (folders / p.name[:7] / p.name).write_bytes(p.read_bytes())
    from_list = _quiet(read_stop_and_search, chosen)
    from_zip = _quiet(read_stop_and_search, archive)
    from_folders = _quiet(read_stop_and_search, folders)
    for other in (from_zip, from_folders):
        pd.testing.assert_frame_equal(
            pd.DataFrame(other.drop(columns="geometry")),
            pd.DataFrame(from_list.drop(columns="geometry")),
        )
    assert read_report(from_zip).rows_read == read_report(from_list).rows_read


def test_months_filter_is_accounted(city_paths):
    searches = _quiet(read_stop_and_search, city_paths[:3], months="2018-05")
    report = read_report(searches)
    assert set(searches["month"].astype(str)) == {"2018-05"}
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    assert report.dropped["filtered_months"] > 0


def test_bad_input(tmp_path, shared_data, city_paths):
    with pytest.raises(FileNotFoundError, match="`source` .*nope.csv' does not exist"):
        read_stop_and_search(tmp_path / "nope.csv")
    empty = tmp_path / "2024-01-x-stop-and-search.csv"
    empty.write_text("")
    with pytest.raises(SchemaError, match="is empty"):
        read_stop_and_search(empty)
    street = shared_data / "police-uk-city-of-london/street/2023-01-city-of-london-street.csv.gz"
    with pytest.raises(SchemaError, match="is not a police.uk stop-and-search file: it lacks"):
        read_stop_and_search(street)
    (tmp_path / "none").mkdir()
    with pytest.raises(SchemaError, match="holds no police.uk stop-and-search files"):
        read_stop_and_search(tmp_path / "none")
    with pytest.raises(TypeError, match="`source` must be a path"):
        read_stop_and_search(3)
    text = gzip.decompress(city_paths[0].read_bytes()).decode().splitlines()
    text[2] = text[2] + ",an extra field"
    text[3] = text[3].replace("2018-04", "20x8-04", 1)
    bad = tmp_path / "2018-04-city-of-london-stop-and-search.csv"
    bad.write_text("\n".join(text) + "\n")
    with pytest.warns(UserWarning, match="malformed row 1, unparseable date 1"):
        got = read_stop_and_search(bad)
    report = read_report(got)
    assert report.rows_read == len(text) - 1
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())


# --- Defects repaired before parsing (as in read_police_uk), each on a copy of a real file ---

REAL = "2019-01-city-of-london-stop-and-search.csv"


@pytest.fixture(scope="module")
def real_bytes(shared_data):
    return gzip.decompress((shared_data / CITY / f"{REAL}.gz").read_bytes())


@pytest.fixture(scope="module")
def real_raw(shared_data):
    """Independent reference: pandas on the clean original."""
    return pd.read_csv(shared_data / CITY / f"{REAL}.gz", dtype=str)


def _set_field(line: bytes, i: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[i] = value
    return b",".join(fields)


def _assert_same_searches(got, raw):
    """The kept rows are pandas' located rows of the clean file, in order."""
    want = _located(raw).reset_index(drop=True)
    london = pd.to_datetime(want["Date"], utc=True).dt.tz_convert("Europe/London")
    assert got["date"].tolist() == london.dt.tz_localize(None).tolist()
    for column, ours in (("Object of search", "object_of_search"), ("Outcome", "outcome")):
        assert got[ours].astype("string").tolist() == want[column].astype("string").tolist()


def test_unclosed_quote_drops_one_row_and_reads_the_rest(tmp_path, real_bytes, real_raw):
    # The quote opened on line 11 used to swallow the file: 10 of 153 rows read, no count.
    lines = real_bytes.split(b"\n")
    lines[10] = _set_field(lines[10], 3, b'"Operation Alpha')
    f = tmp_path / REAL
    f.write_bytes(b"\n".join(lines))
    with (
        pytest.warns(UserWarning, match=rf"file '{REAL}': line\(s\) 11 open a quote that never"),
        pytest.warns(UserWarning, match=r"read 153 rows .* \(unclosed quote 1, no coordinates"),
    ):
        got = read_stop_and_search(f)
    report = read_report(got)
    assert (report.rows_read, report.dropped["unclosed_quote"]) == (len(real_raw), 1)
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    _assert_same_searches(got, real_raw.drop(index=9))  # line 11 is the 10th row


def test_utf8_file_with_one_cp1252_line_keeps_its_accents(tmp_path, real_bytes, real_raw):
    # Was read wholly as Windows-1252: the UTF-8 line's "é" became "Ã©".
    lines = real_bytes.split(b"\n")
    operation = "Opération Café"
    lines[1] = _set_field(lines[1], 3, operation.encode("utf-8"))
    lines[2] = _set_field(lines[2], 3, operation.encode("cp1252"))
    f = tmp_path / REAL
    f.write_bytes(b"\n".join(lines))
    with (
        pytest.warns(UserWarning, match=rf"file '{REAL}' is UTF-8 but 1 line\(s\) are not"),
        pytest.warns(UserWarning, match="kept but noted: cp1252 lines 1"),
    ):
        got = read_stop_and_search(f)
    assert got["operation"].iloc[:2].tolist() == [operation, operation]
    assert got["operation"].iloc[2:].isna().all()
    report = read_report(got)
    assert report.note("cp1252_lines") == 1
    assert report.encodings[REAL] == "utf8+cp1252"
    assert report.rows_read == len(real_raw)
    _assert_same_searches(got, real_raw)


def test_cr_only_line_endings_read_like_the_original(tmp_path, real_bytes, real_raw):
    # Used to be one header line: all 153 rows dropped as malformed.
    f = tmp_path / REAL
    f.write_bytes(real_bytes.replace(b"\n", b"\r"))
    got = _quiet(read_stop_and_search, f)
    report = read_report(got)
    assert (report.rows_read, report.dropped["malformed_row"]) == (len(real_raw), 0)
    _assert_same_searches(got, real_raw)


def test_too_few_fields_is_one_malformed_row(tmp_path, real_bytes, real_raw):
    lines = real_bytes.split(b"\n")
    lines[7] = b",".join(lines[7].split(b",")[:5])
    f = tmp_path / REAL
    f.write_bytes(b"\n".join(lines))
    with pytest.warns(UserWarning, match=r"read 153 rows .*\(malformed row 1, no coordinates"):
        got = read_stop_and_search(f)
    assert read_report(got).dropped["malformed_row"] == 1
    _assert_same_searches(got, real_raw.drop(index=6))
