"""Tests for snt_geo/datasets: the bundled City of London sample against the shared data."""

import hashlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components

from snt_geo.datasets import ATTRIBUTION, load_sample, sample_paths, sample_readme
from snt_geo.io.boundaries import read_wards
from snt_geo.io.demographics import apportion_lsoa_population, read_lsoa_population
from snt_geo.io.police_uk import read_police_uk
from snt_geo.themes import DEFAULT_THEMES

STREET = "police-uk-city-of-london/street"
ESRI = "gla-statistical-gis-boundaries-london/ESRI"


@pytest.fixture(scope="module")
def sample():
    """Return the bundled sample, loaded once for the module."""
    return load_sample()


def test_paths_exist_and_sample_is_small():
    """Every sample file exists and the folder stays under 5 MB."""
    paths = sample_paths()
    for name, path in paths.as_dict().items():
        assert path.exists(), name
    root = paths.readme.parent
    total = sum(
        p.stat().st_size for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    assert total < 5_000_000


def test_attribution_in_readme():
    """The README carries every attribution line and says what was constructed."""
    text = sample_readme()
    for line in ATTRIBUTION:
        assert line.rstrip(".") in text
    assert "constructed" in text.lower()


def test_wards(sample, shared_data):
    """The 25 City wards equal the GLA boundaries in the shared data."""
    wards = sample.wards
    assert len(wards) == 25 and wards.crs.to_epsg() == 27700
    assert (wards["borough_code"] == "E09000001").all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        source = read_wards(shared_data / ESRI / "London_Ward.shp")
    source = source.loc[wards.index]
    assert source.geom_equals_exact(wards.geometry, tolerance=1e-6).all()
    assert (source["ward_name"] == wards["ward_name"]).all()


def test_police_files_are_the_published_files(shared_data):
    """The 44 police.uk files are byte-identical to the published ones."""
    ours = sorted(sample_paths().police_uk.glob("*.csv.gz"))
    theirs = sorted((shared_data / STREET).glob("*.csv.gz"))
    assert len(ours) == 44
    assert [p.name for p in ours] == [p.name for p in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_incidents_equal_reading_shared_data(sample, shared_data):
    """The incidents count as reading the shared police.uk files does, month by crime type."""
    inc = sample.incidents
    assert inc["month"].nunique() == 44
    assert {"Anti-social behaviour", "Robbery", "Theft from the person"} <= set(inc["crime_type"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = read_police_uk(shared_data / STREET)
    assert len(inc) == len(ref) == 28_819
    pd.testing.assert_series_equal(
        inc.groupby(["month", "crime_type"], observed=True).size(),
        ref.groupby(["month", "crime_type"], observed=True).size(),
    )
    report = inc.attrs["read_report"]
    assert report.rows_read == 31_130 and report.dropped["no_coordinates"] == 2_311


def test_demographics(sample, shared_data):
    """The ward demographics equal a fresh apportionment of the ONS LSOA figures."""
    demo = sample.demographics
    assert demo.index.equals(sample.wards.index)
    assert demo.attrs["read_report"].codes == {
        "codes_without_ward": (),
        "wards_without_demographics": (),
    }
    assert (demo["year"] == 2019).all() and (demo["youth_ages"] == "16-29").all()
    bands = demo["age_0_15"] + demo["age_16_64"] + demo["age_65_plus"]
    np.testing.assert_allclose(bands, demo["population"], atol=0.03)  # 2-decimal rounding
    # Rebuilt from the shared data, the apportionment gives the same figures.
    lsoas = gpd.read_file(shared_data / ESRI / "LSOA_2011_London_gen_MHW.shp")
    pop = read_lsoa_population(
        shared_data / "ons-lsoa-population-mid2019-2020/london-mid2019-pop.csv"
    )
    codes = lsoas.loc[lsoas["LAD11CD"] == "E09000001", "LSOA11CD"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        again = apportion_lsoa_population(pop.loc[codes], lsoas, sample.wards)
    np.testing.assert_allclose(demo["population"], again["population"], atol=0.005)
    np.testing.assert_allclose(demo["youth"], again["youth"], atol=0.005)
    assert demo["population"].sum() == pytest.approx(9659.42, abs=0.05)


def test_estates_lie_in_the_city(sample):
    """The three constructed estates lie in the City and are not the Barbican."""
    estates = sample.estates
    assert len(estates) == 3 and estates.crs.to_epsg() == 27700
    city = sample.wards.union_all()
    assert estates.geometry.intersects(city).all()
    assert "Barbican" not in " ".join(estates["name"])


def test_priorities(sample):
    """The constructed register holds 3 to 5 active priorities per evidenced ward."""
    pri = sample.priorities
    assert list(pri.columns) == ["ward_code", "theme", "status", "set_on", "review_on", "source"]
    assert set(pri["status"]) == {"active", "closed"}
    assert set(pri["ward_code"]) <= set(sample.wards.index)
    assert set(pri["theme"]) <= set(DEFAULT_THEMES.themes)
    assert pri["source"].str.contains("constructed").all()
    assert (pri["review_on"] > pri["set_on"]).all()
    active = pri[pri["status"] == "active"]
    per_ward = active.groupby("ward_code").size().reindex(sample.wards.index, fill_value=0)
    # Lime Street and Walbrook have no incidents since 2022-07 (police.uk snap points): no
    # active priority can be evidenced there; every other ward holds 3 to 5.
    silent = ["E05000020", "E05000025"]
    assert (per_ward[silent] == 0).all()
    assert per_ward.drop(silent).between(3, 5).all()
    assert not active.duplicated(["ward_code", "theme"]).any()
    assert 1 <= (pri["status"] == "closed").sum() <= 25


def test_a_theme_is_held_by_a_contiguous_block(sample):
    """Street crime and ASB are each held by a contiguous block of wards."""
    wards = sample.wards
    active = sample.priorities.query("status == 'active'")
    # Queen contiguity: wards sharing at least a boundary point.
    geoms = wards.geometry.to_numpy()
    touching = np.array([[a.intersects(b) for b in geoms] for a in geoms])
    biggest = {}
    for theme, group in active.groupby("theme"):
        pos = wards.index.get_indexer(group["ward_code"])
        _, labels = connected_components(touching[np.ix_(pos, pos)], directed=False)
        biggest[theme] = np.bincount(labels).max()
    assert biggest["street_crime"] >= 5
    assert biggest["asb"] >= 3


def test_repr(sample):
    """The repr names the wards and months."""
    text = repr(sample)
    assert "wards=25" in text and "44 months" in text


def test_every_active_priority_is_evidenced_by_the_sample(sample):
    """Each active (ward, theme) has incidents in its ward in both evidence windows.

    The windows are 2022-07..2023-06 and the default briefing half-year 2023-01..06 (counted
    independently with geopandas).
    """
    inc = sample.incidents
    located = gpd.sjoin(inc, sample.wards[["geometry"]].rename_axis("w"), predicate="within")
    group = {"Robbery": "street_crime", "Theft from the person": "street_crime"}
    located = located.assign(
        theme=[group.get(c, DEFAULT_THEMES.primary_theme(c)) for c in located["crime_type"]]
    )
    month = located["month"].astype(str)
    active = sample.priorities.query("status == 'active'")
    for first, last in (("2022-07", "2023-06"), ("2023-01", "2023-06")):
        held = located[month.between(first, last)].groupby(["w", "theme"]).size()
        counts = [
            held.get((w, t), 0) for w, t in zip(active["ward_code"], active["theme"], strict=True)
        ]
        assert min(counts) > 0, (first, last)
