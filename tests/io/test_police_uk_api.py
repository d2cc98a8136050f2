"""read_police_uk_api on the real Barnet API sample (police-uk-api-sample-barnet-2024-04)."""

import ast
import json
import warnings

import pandas as pd
import pytest

from snt_geo.errors import SchemaError
from snt_geo.io import incidents_from_frame, read_report, read_wards
from snt_geo.io.estates import estates_from_frame
from snt_geo.io.police_uk import INCIDENT_COLUMNS
from snt_geo.io.police_uk_api import API_COLUMNS, read_police_uk_api
from snt_geo.themes import CRIME_TYPES

BARNET = "police-uk-api-sample-barnet-2024-04/barnet_crimes.csv.gz"
# The API's category slugs, written out by hand from the police.uk API documentation
# (/api/crime-categories): the reference the reader's mapping is checked against.
SLUG_TO_NAME = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-crime": "Other crime",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def raw(shared_data):
    return pd.read_csv(shared_data / BARNET, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def barnet(shared_data):
    return read_police_uk_api(shared_data / BARNET)


def _records(raw):
    """The API's JSON records, rebuilt from the flattened CSV."""
    out = []
    for row in raw.to_dict("records"):
        rec = dict(row)
        rec["location"] = ast.literal_eval(row["location"])
        rec["outcome_status"] = (
            ast.literal_eval(row["outcome_status"]) if row["outcome_status"] else None
        )
        rec["id"] = int(row["id"])
        out.append(rec)
    return out


def test_every_slug_mapped_and_counts_match_pandas(raw, barnet):
    assert set(SLUG_TO_NAME.values()) == set(CRIME_TYPES)
    assert set(raw["category"]) <= set(SLUG_TO_NAME)
    assert len(set(raw["category"])) == 14  # every police.uk category occurs in the sample
    expected = raw["category"].map(SLUG_TO_NAME).value_counts().to_dict()
    got = {str(k): int(v) for k, v in barnet["crime_type"].value_counts().items() if v}
    assert got == expected
    report = read_report(barnet)
    assert report.rows_read == len(raw) == 5537
    assert report.rows_kept == len(barnet) == 5537
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    assert report.note("unknown_crime_types") == 0
    assert barnet["theme"].notna().all()
    assert (barnet["theme"] == "asb").sum() == (raw["category"] == "anti-social-behaviour").sum()
    street = raw["category"].isin(["robbery", "theft-from-the-person"]).sum()
    assert (barnet["theme"] == "street_crime").sum() == street == 457


def test_fields_kept(raw, barnet):
    assert tuple(barnet.columns) == (*INCIDENT_COLUMNS[:-1], *API_COLUMNS, "geometry")
    assert barnet.crs.to_epsg() == 27700
    assert (barnet["month"] == pd.Period("2024-04", freq="M")).all()
    loc = raw["location"].map(ast.literal_eval)
    assert barnet["street_name"].astype(str).tolist() == [d["street"]["name"] for d in loc]
    assert barnet["api_id"].tolist() == raw["id"].astype(int).tolist()
    has_pid = raw["persistent_id"] != ""
    assert barnet["crime_id"].notna().sum() == has_pid.sum() == 5537 - 1382
    outcome = raw["outcome_status"].map(lambda t: ast.literal_eval(t)["category"] if t else None)
    assert barnet["outcome"].astype("string").fillna("").tolist() == outcome.fillna("").tolist()
    assert (barnet["location_type"] == "BTP").sum() == 111


def test_json_and_normalised_forms_read_the_same(tmp_path, raw, barnet):
    records = _records(raw)
    path = tmp_path / "crimes-street.json"
    path.write_text(json.dumps(records))
    from_json = _quiet(read_police_uk_api, path)
    normalised = _quiet(read_police_uk_api, pd.json_normalize(records))
    from_list = _quiet(read_police_uk_api, records)
    for other in (from_json, normalised, from_list):
        pd.testing.assert_frame_equal(
            pd.DataFrame(other.drop(columns="geometry")),
            pd.DataFrame(barnet.drop(columns="geometry")),
            check_categorical=False,
        )
        assert other.geometry.geom_equals_exact(barnet.geometry, tolerance=1e-6).all()


def test_bad_records_counted_and_filters_accounted(tmp_path, raw):
    sample = raw.head(20).copy()
    sample.loc[3, "location"] = "{'latitude': '51.5'"  # cut short
    sample.loc[4, "location"] = (
        "{'latitude': '', 'street': {'id': 1, 'name': 'x'}, 'longitude': ''}"
    )
    sample.loc[5, "month"] = "April"
    sample.loc[6, "category"] = "hate-crime"  # a slug police.uk does not publish: kept, noted
    with pytest.warns(UserWarning, match="malformed row 1, unparseable month 1, no coordinates 1"):
        got = read_police_uk_api(sample)
    report = read_report(got)
    assert report.rows_read == 20 and report.rows_kept == 17
    assert report.note("unknown_crime_types") == 1
    assert got["crime_type"].astype(str).tolist().count("hate-crime") == 1
    filtered = _quiet(read_police_uk_api, raw, crime_types="street_crime")
    rep = read_report(filtered)
    assert rep.rows_kept == 457
    assert rep.rows_read == rep.rows_kept + rep.dropped["filtered_crime_types"]


def test_bad_input_named(tmp_path, raw):
    with pytest.raises(SchemaError, match=r"`source` \(df\) is not police.uk API data: it lacks"):
        read_police_uk_api(raw.drop(columns=["category"]))
    with pytest.raises(FileNotFoundError, match="`source` .*nope.json' does not exist"):
        read_police_uk_api(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"category": ')
    with pytest.raises(SchemaError, match="is not valid JSON"):
        read_police_uk_api(bad)
    with pytest.raises(TypeError, match="`source` must be a police.uk API JSON file"):
        read_police_uk_api(42)


def test_slugs_through_incidents_from_frame(raw):
    loc = raw["location"].map(ast.literal_eval)
    frame = raw.drop(columns=["location"]).assign(
        lon=loc.map(lambda d: float(d["longitude"])), lat=loc.map(lambda d: float(d["latitude"]))
    )
    got = _quiet(
        incidents_from_frame,
        frame,
        x="lon",
        y="lat",
        crs="EPSG:4326",
        month="month",
        crime_type="category",
    )
    expected = raw["category"].map(SLUG_TO_NAME).value_counts().to_dict()
    counts = {str(k): int(v) for k, v in got["crime_type"].value_counts().items() if v}
    assert counts == expected
    assert got["theme"].notna().all()


def test_profile_and_links_see_asb_and_street_crime(shared_data, barnet):
    from snt_geo.linkage.links import link_asb_to_street_crime
    from snt_geo.profile import ward_profile

    wards = _quiet(
        read_wards,
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp",
    )
    wards = wards[wards["borough_name"] == "Barnet"]
    prof = _quiet(ward_profile, wards, barnet, period="2024-04").wards
    inside = barnet.sjoin(wards[["geometry"]], predicate="within")
    assert prof["asb_count"].sum() == (inside["theme"] == "asb").sum() > 400
    assert (
        prof["street_crime_count"].sum()
        == inside["crime_type"].isin(["Robbery", "Theft from the person"]).sum()
        > 100
    )
    # The four wards with most ASB stand in for estates.
    busiest = prof["asb_count"].sort_values(ascending=False).index[:4]
    estates = _quiet(
        estates_from_frame,
        wards.loc[busiest, ["ward_name", "geometry"]].reset_index(drop=True),
        name_column="ward_name",
    )
    links = _quiet(
        link_asb_to_street_crime,
        barnet,
        estates,
        permutations=99,
        rng=1,
        street_cluster_min_incidents=5,
    )
    # the links see street crime (DBSCAN clusters of robbery + theft from the person) and ASB
    assert links.method.n_street_clusters > 0
    assert (links.estates["asb_count_near"] > 0).all()
    assert links.estates["tested"].all()
