"""Build the bundled City of London sample in snt_geo/datasets/ from ../shared/data.

Run from the repository root (``python tools/make_sample.py``); it overwrites the sample files and
prints what it wrote. Everything below is deterministic: running it twice gives identical files.
How each file is made is described in snt_geo/datasets/README.md; keep the two in step.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
OUT = ROOT / "snt_geo" / "datasets"
sys.path.insert(0, str(ROOT))

from snt_geo.io.boundaries import read_wards  # noqa: E402
from snt_geo.io.demographics import apportion_lsoa_population, read_lsoa_population  # noqa: E402
from snt_geo.io.police_uk import read_police_uk  # noqa: E402
from snt_geo.profile.assignment import assign_wards  # noqa: E402

CITY = "E09000001"
STREET = DATA / "police-uk-city-of-london" / "street"
WARDS_SHP = DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward.shp"
LSOA_SHP = DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "LSOA_2011_London_gen_MHW.shp"
LSOA_POP = DATA / "ons-lsoa-population-mid2019-2020" / "london-mid2019-pop.csv"

# Estates: (name, landlord, police.uk snap-point locations, bounding box (xmin, ymin, xmax, ymax)
# in EPSG:27700 that keeps only the snap points along the estate, shape).
ESTATES = (
    (
        "Golden Lane Estate",
        "City of London Corporation",
        ("On or near Golden Lane", "On or near Fann Street", "On or near Baltic Street West"),
        (532050.0, 181990.0, 532310.0, 182200.0),
        "polygon",
    ),
    (
        "Middlesex Street Estate (Petticoat Lane)",
        "City of London Corporation",
        (
            "On or near Middlesex Street",
            "On or near Harrow Place",
            "On or near Artizan Street",
            "On or near Gravel Lane",
            "On or near Stoney Lane",
        ),
        (533450.0, 181300.0, 533600.0, 181520.0),
        "polygon",
    ),
    (
        "Mansell Street Estate",
        "Guinness Partnership",
        ("On or near Mansell Street",),
        (533750.0, 181000.0, 533850.0, 181100.0),
        "point",
    ),
)
ESTATE_BUFFER_M = 10.0

CURRENT = pd.period_range("2022-07", "2023-06", freq="M")
# The default briefing half-year: an active priority must have incidents here too, so that the
# sample's register never asks the briefing for evidence its own data cannot give.
RECENT = pd.period_range("2023-01", "2023-06", freq="M")
EARLIER = pd.period_range("2019-04", "2020-03", freq="M")
# Candidate priority themes: the composite themes plus every single crime type they do not cover.
CANDIDATE_THEMES = (
    "asb",
    "street_crime",
    "violent_crime",
    "other_theft",
    "shoplifting",
    "bicycle_theft",
    "burglary",
    "public_order",
    "drugs",
    "vehicle_crime",
    "criminal_damage_arson",
)
THEME_OF_TYPE = {
    "Anti-social behaviour": "asb",
    "Robbery": "street_crime",
    "Theft from the person": "street_crime",
    "Violence and sexual offences": "violent_crime",
    "Other theft": "other_theft",
    "Shoplifting": "shoplifting",
    "Bicycle theft": "bicycle_theft",
    "Burglary": "burglary",
    "Public order": "public_order",
    "Drugs": "drugs",
    "Vehicle crime": "vehicle_crime",
    "Criminal damage and arson": "criminal_damage_arson",
}


def city_wards() -> gpd.GeoDataFrame:
    wards = read_wards(WARDS_SHP)
    city = wards.loc[wards["borough_code"] == CITY, ["ward_name", "borough_code", "borough_name"]]
    city = gpd.GeoDataFrame(city, geometry=wards.geometry[city.index], crs=wards.crs)
    return city.sort_index()


def write_wards(city: gpd.GeoDataFrame) -> None:
    path = OUT / "city_wards.gpkg"
    path.unlink(missing_ok=True)
    city.reset_index().to_file(path, layer="wards", driver="GPKG", engine="pyogrio")


def copy_police() -> None:
    dest = OUT / "police_uk"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir()
    for src in sorted(STREET.glob("*-street.csv.gz")):
        shutil.copyfile(src, dest / src.name)


def write_demographics(city: gpd.GeoDataFrame) -> pd.DataFrame:
    pop = read_lsoa_population(LSOA_POP)
    lsoas = gpd.read_file(LSOA_SHP)
    city_lsoas = lsoas.loc[lsoas["LAD11CD"] == CITY, "LSOA11CD"]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        demo = apportion_lsoa_population(pop.loc[city_lsoas], lsoas, city)
    method = demo.attrs["method"]
    info = {k: getattr(method, k) for k in ("total", "in_wards", "outside_wards")}
    cols = ["ward_name", "population", "age_0_15", "age_16_64", "age_65_plus", "youth"]
    out = demo[cols].copy()
    out[cols[1:]] = out[cols[1:]].round(2)
    out["youth_ages"] = demo["youth_ages"]
    out["year"] = demo["year"]
    out["source"] = (
        "ONS mid-2019 LSOA population estimates (6 City of London LSOAs) apportioned to the 25 "
        "City wards by area share; snt_geo sample"
    )
    out.to_csv(OUT / "city_ward_demographics.csv", index_label="ward_code")
    print(
        f"demographics: LSOA total {info['total']['population']:,.0f}, in wards "
        f"{info['in_wards']['population']:,.2f}, outside {info['outside_wards']['population']:,.2f}"
    )
    return demo


def write_estates(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    loc = incidents["location"].astype("string")
    xy = shapely.get_coordinates(incidents.geometry.to_numpy())
    for name, landlord, streets, (x0, y0, x1, y1), shape in ESTATES:
        sel = loc.isin(streets).to_numpy() & (xy[:, 0] >= x0) & (xy[:, 0] <= x1)
        sel &= (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        pts = np.unique(xy[sel], axis=0)
        street_names = ", ".join(s.removeprefix("On or near ") for s in streets)
        if shape == "polygon":
            geom = shapely.convex_hull(shapely.multipoints(pts)).buffer(ESTATE_BUFFER_M)
            how = (
                f"convex hull of {len(pts)} police.uk snap points on {street_names} "
                f"inside the box x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f}, buffered "
                f"{ESTATE_BUFFER_M:.0f} m"
            )
        else:
            geom = shapely.Point(pts.mean(axis=0))
            how = (
                f"mean of {len(pts)} police.uk snap points on {street_names} "
                f"inside the box x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f}; location approximate"
            )
        rows.append(
            {
                "estate_id": name.split(" (")[0].lower().replace(" ", "-"),
                "name": name,
                "landlord": landlord,
                "social_housing": True,
                "construction": how,
                "geometry": geom,
            }
        )
    estates = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")
    path = OUT / "city_estates.gpkg"
    path.unlink(missing_ok=True)
    estates.to_file(path, layer="estates", driver="GPKG", engine="pyogrio")
    for r in rows:
        print(f"estate {r['name']}: {r['construction']}; area {r['geometry'].area:,.0f} m2")
    return estates


MIN_COUNT = 10  # a theme needs at least this many incidents in the period to be a candidate
MAX_ACTIVE = 5
MIN_ACTIVE = 3
CLOSED_LQ = 1.5  # an earlier theme this over-represented, and not active now, becomes "closed"


def _location_quotients(counts: pd.DataFrame) -> pd.DataFrame:
    """Ward share of each theme over the City-wide share (all sample wards)."""
    share = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0)
    return share / (counts.sum() / counts.to_numpy().sum())


def _choose(counts: pd.DataFrame, ward: str) -> list[str]:
    """3-5 themes: those with >= MIN_COUNT incidents and LQ >= 1, highest LQ first; topped up to
    three by LQ, then by count. Ties are broken by the order of CANDIDATE_THEMES."""
    order = {t: i for i, t in enumerate(CANDIDATE_THEMES)}
    lq = _location_quotients(counts).loc[ward]
    n = counts.loc[ward]
    themes = [t for t in CANDIDATE_THEMES if t in counts.columns]
    by_lq = sorted((t for t in themes if n[t] >= MIN_COUNT), key=lambda t: (-lq[t], order[t]))
    chosen = [t for t in by_lq if lq[t] >= 1][:MAX_ACTIVE]
    chosen += [t for t in by_lq if t not in chosen][: max(0, MIN_ACTIVE - len(chosen))]
    by_count = sorted((t for t in themes if n[t] > 0), key=lambda t: (-n[t], order[t]))
    chosen += [t for t in by_count if t not in chosen][: max(0, MIN_ACTIVE - len(chosen))]
    return chosen


def write_priorities(incidents: gpd.GeoDataFrame, city: gpd.GeoDataFrame) -> pd.DataFrame:
    inc = incidents.assign(ward_code=assign_wards(incidents, city))
    inc = inc[inc["ward_code"].notna()]
    inc = inc.assign(prio_theme=inc["crime_type"].astype("string").map(THEME_OF_TYPE))

    def counts(months) -> pd.DataFrame:
        sub = inc[inc["month"].isin(months)]
        table = sub.groupby(["ward_code", "prio_theme"]).size().unstack(fill_value=0)
        return table.reindex(index=city.index, columns=list(CANDIDATE_THEMES), fill_value=0)

    now, before, recent = counts(CURRENT), counts(EARLIER), counts(RECENT)
    before_lq = _location_quotients(before)
    rows = []
    for ward in city.index:
        # A ward with no incidents now (Lime Street, Walbrook: police.uk snap points) gets no
        # active priority: nothing in the data could evidence one.
        active = (
            [t for t in _choose(now, ward) if recent.loc[ward, t] > 0]
            if now.loc[ward].sum()
            else []
        )
        note = "2022-07..2023-06"
        for theme in active:
            rows.append(
                (
                    ward,
                    theme,
                    "active",
                    "2023-07-01",
                    "2023-10-01",
                    f"over-represented themes (location quotient) {note}",
                )
            )
        closed = [
            t
            for t in _choose(before, ward)
            if t not in active and before_lq.loc[ward, t] >= CLOSED_LQ
        ][:1]
        for theme in closed:
            rows.append(
                (
                    ward,
                    theme,
                    "closed",
                    "2019-04-01",
                    "2020-03-31",
                    "over-represented theme (location quotient) 2019-04..2020-03",
                )
            )
    frame = pd.DataFrame(
        rows, columns=["ward_code", "theme", "status", "set_on", "review_on", "source"]
    )
    frame["source"] = "constructed for the snt_geo demo from police.uk: " + frame["source"]
    frame.to_csv(OUT / "city_priorities.csv", index=False)
    print(frame.groupby("status").size().to_dict(), "priorities")
    return frame


def contiguous_blocks(priorities: pd.DataFrame, city: gpd.GeoDataFrame) -> None:
    active = priorities[priorities["status"] == "active"]
    geoms = city.geometry
    for theme, group in active.groupby("theme"):
        wards = list(group["ward_code"])
        # Connected components of wards holding the theme, adjacency = shared boundary (queen).
        parent = {w: w for w in wards}

        def find(w, parent=parent):
            while parent[w] != w:
                w = parent[w]
            return w

        for i, a in enumerate(wards):
            for b in wards[i + 1 :]:
                if geoms[a].intersects(geoms[b]):
                    parent[find(a)] = find(b)
        sizes = pd.Series([find(w) for w in wards]).value_counts()
        print(f"priority {theme}: {len(wards)} wards, largest contiguous block {sizes.iloc[0]}")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    # GeoPackages record their write time; pin it so that rebuilding gives identical bytes.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2025-01-01T00:00:00.000Z"})
    city = city_wards()
    write_wards(city)
    copy_police()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        incidents = read_police_uk(STREET)
    write_demographics(city)
    write_estates(incidents)
    priorities = write_priorities(incidents, city)
    contiguous_blocks(priorities, city)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"sample size {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
