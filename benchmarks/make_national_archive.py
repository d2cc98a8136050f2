"""Generate a police.uk-shaped national archive: 36 months x 45 forces, 20M street rows.

Layout and columns are the police.uk archive's (``YYYY-MM/YYYY-MM-<force>-street.csv`` with the 12
street columns, plus ``-outcomes.csv`` beside them), so :func:`snt_geo.io.read_archive` reads it
as it reads the real download. Written under ``benchmarks/_data/`` (gitignored).

Assumptions (all printed by the script):

- Volumes. Each force's share of the rows is its annual recorded crime (FORCES below: rounded
  approximations, in thousands, of ONS Police Recorded Crime for the year ending March 2023,
  excluding fraud, with PSNI's figure for Northern Ireland and BTP's for the railways) plus
  anti-social behaviour at ASB_PER_CRIME incidents per crime (police.uk publishes about 1M ASB
  incidents a year against 5.5-6M crimes). The numbers set relative volumes only; replace them
  with exact published figures if a study needs them. The rows are scaled so that the whole
  archive holds exactly `--rows` (default 20M: three years of England, Wales and Northern
  Ireland), spread evenly over the months.
- Crime types. One national mix, CRIME_TYPE_SHARES (rounded shares of the police.uk categories in
  the same year), the same for every force.
- Places. The real snap points of ../shared/data (Met street burglary 2019: 35k distinct points
  with their police.uk Location and LSOA) are the pool. Each force gets a copy of London's point
  pattern moved to the force's approximate centre (FORCES: British National Grid km) and scaled
  by sqrt(force rows / Met rows), so every force has London's density of incidents per km2 and
  an area in proportion to its volume. Each force draws its distinct locations from the pool
  (with replacement; a point drawn again is moved by a uniform offset of up to 100 m x scale,
  so it is a new location), as many as its rows / RATIO, where RATIO is the rows per distinct
  location of 36 months of real City of London all-crime police.uk data (about 25, computed
  from ../shared/data at run time). How many rows a location gets follows the real City
  counts per location (a heavy tail: a few hot places, many quiet ones).
- Wards. The GLA's 625 London wards, moved and scaled with each force's points, give every force
  a ward map (codes "<force>:<ward code>"), written to ``wards.parquet`` beside the archive.
- Outcomes. OUTCOME_SHARE of the crimes with an ID get one outcomes-file row, in the month after
  the crime (the outcome distribution is the real City one).
- Crime IDs are 64 random hex characters (as police.uk's); ASB rows have none. Context is empty.
  Values are written unquoted, as police.uk writes them.

Run:
    python benchmarks/make_national_archive.py [--rows 20000000] [--out DIR]
    python benchmarks/make_national_archive.py --quick      # 2 months, 100k rows, seconds
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from _common import DATA_DIR, GLA_WARDS, MET_BURGLARY, SHARED

#: slug, "Falls within" name, annual recorded crime (thousands, rounded), centre easting, northing
#: (British National Grid, km, approximate).
FORCES = [
    ("avon-and-somerset", "Avon and Somerset Constabulary", 137, 360, 160),
    ("bedfordshire", "Bedfordshire Police", 62, 505, 240),
    ("btp", "British Transport Police", 70, 410, 290),
    ("cambridgeshire", "Cambridgeshire Constabulary", 75, 530, 270),
    ("cheshire", "Cheshire Constabulary", 88, 365, 365),
    ("city-of-london", "City of London Police", 8, 532, 181),
    ("cleveland", "Cleveland Police", 72, 450, 520),
    ("cumbria", "Cumbria Constabulary", 38, 335, 520),
    ("derbyshire", "Derbyshire Constabulary", 92, 425, 355),
    ("devon-and-cornwall", "Devon & Cornwall Police", 124, 250, 80),
    ("dorset", "Dorset Police", 51, 370, 95),
    ("durham", "Durham Constabulary", 55, 420, 540),
    ("dyfed-powys", "Dyfed-Powys Police", 33, 250, 250),
    ("essex", "Essex Police", 170, 570, 210),
    ("gloucestershire", "Gloucestershire Constabulary", 45, 385, 215),
    ("greater-manchester", "Greater Manchester Police", 340, 385, 400),
    ("gwent", "Gwent Police", 55, 330, 200),
    ("hampshire", "Hampshire Constabulary", 175, 450, 120),
    ("hertfordshire", "Hertfordshire Constabulary", 95, 520, 215),
    ("humberside", "Humberside Police", 107, 500, 440),
    ("kent", "Kent Police", 200, 580, 150),
    ("lancashire", "Lancashire Constabulary", 140, 355, 440),
    ("leicestershire", "Leicestershire Police", 93, 460, 305),
    ("lincolnshire", "Lincolnshire Police", 55, 500, 370),
    ("merseyside", "Merseyside Police", 140, 340, 390),
    ("metropolitan", "Metropolitan Police Service", 900, 530, 180),
    ("norfolk", "Norfolk Constabulary", 65, 610, 310),
    ("north-wales", "North Wales Police", 60, 280, 360),
    ("north-yorkshire", "North Yorkshire Police", 50, 430, 470),
    ("northamptonshire", "Northamptonshire Police", 65, 475, 265),
    ("northern-ireland", "Police Service of Northern Ireland", 110, 150, 530),
    ("northumbria", "Northumbria Police", 145, 420, 580),
    ("nottinghamshire", "Nottinghamshire Police", 110, 460, 350),
    ("south-wales", "South Wales Police", 140, 290, 190),
    ("south-yorkshire", "South Yorkshire Police", 160, 440, 400),
    ("staffordshire", "Staffordshire Police", 95, 390, 320),
    ("suffolk", "Suffolk Constabulary", 50, 610, 255),
    ("surrey", "Surrey Police", 75, 510, 150),
    ("sussex", "Sussex Police", 150, 530, 115),
    ("thames-valley", "Thames Valley Police", 200, 460, 190),
    ("warwickshire", "Warwickshire Police", 48, 430, 270),
    ("west-mercia", "West Mercia Police", 110, 370, 270),
    ("west-midlands", "West Midlands Police", 330, 405, 285),
    ("west-yorkshire", "West Yorkshire Police", 330, 420, 430),
    ("wiltshire", "Wiltshire Police", 45, 410, 160),
]

#: Anti-social behaviour incidents per recorded crime (police.uk: ~1M ASB a year, ~5.7M crimes).
ASB_PER_CRIME = 0.18

#: National mix of the police.uk crime categories (shares of recorded crime, rounded).
CRIME_TYPE_SHARES = {
    "Violence and sexual offences": 0.36,
    "Criminal damage and arson": 0.09,
    "Public order": 0.08,
    "Other theft": 0.07,
    "Shoplifting": 0.065,
    "Vehicle crime": 0.065,
    "Burglary": 0.045,
    "Drugs": 0.033,
    "Theft from the person": 0.02,
    "Other crime": 0.02,
    "Robbery": 0.013,
    "Bicycle theft": 0.012,
    "Possession of weapons": 0.01,
}

#: Share of the crimes with an ID that get an outcomes-file row.
OUTCOME_SHARE = 0.10

FIRST_MONTH = "2021-07"
COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
# police.uk writes values unquoted; the pool's few Location texts with a comma or a quote have
# them replaced by a space (_real_pool), so no value needs quoting.
_CSV = pacsv.WriteOptions(quoting_style="none", include_header=False)


def _write_csv(table: pa.Table, path: Path) -> None:
    """police.uk layout: an unquoted header line, then unquoted values."""
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, fh, write_options=_CSV)


_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = np.frombuffer(rng.bytes(32 * n), dtype=np.uint8)
    return _HEX[raw].view("S64").astype(str)


def _real_pool():
    """Distinct real snap points (BNG), their Location/LSOA, and the City counts per location."""
    from pyproj import Transformer

    files = sorted(MET_BURGLARY.glob("2019-*-metropolitan-street.csv.gz"))
    met = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    met = met.dropna(subset=["Longitude", "Latitude"])
    pool = met.drop_duplicates(["Longitude", "Latitude"])[
        ["Longitude", "Latitude", "Location", "LSOA code", "LSOA name"]
    ].reset_index(drop=True)
    pool["Location"] = pool["Location"].astype(str).str.replace(r'[,"]', " ", regex=True)
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(pool["Longitude"].to_numpy(), pool["Latitude"].to_numpy())
    city_files = sorted((SHARED / "police-uk-city-of-london" / "street").glob("*.csv.gz"))[:36]
    city = pd.concat([pd.read_csv(f) for f in city_files], ignore_index=True)
    city = city.dropna(subset=["Longitude", "Latitude"])
    per_location = city.groupby(["Longitude", "Latitude"]).size().to_numpy()
    outcomes = city["Last outcome category"].value_counts(normalize=True)
    return pool, np.column_stack([x, y]), per_location, outcomes


def _ward_map(centre_london: np.ndarray, out: Path) -> None:
    import geopandas as gpd
    import shapely

    wards = gpd.read_file(GLA_WARDS).to_crs(27700)
    code = "GSS_CODE" if "GSS_CODE" in wards.columns else wards.columns[0]
    parts = []
    total = sum(f[2] for f in FORCES)
    met = dict((f[0], f[2]) for f in FORCES)["metropolitan"]
    for slug, _, volume, ex, ny in FORCES:
        k = math.sqrt(volume / met)
        c = np.array([ex * 1000.0, ny * 1000.0])
        geoms = shapely.transform(
            wards.geometry.to_numpy(), lambda xy, k=k, c=c: c + k * (xy - centre_london)
        )
        parts.append(
            gpd.GeoDataFrame(
                {"ward_code": slug + ":" + wards[code].astype(str), "force": slug},
                geometry=geoms,
                crs=27700,
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    gpd.GeoDataFrame(frame, geometry="geometry", crs=27700).to_parquet(out / "wards.parquet")
    assert total > 0


def generate(out: Path, *, rows: int, months: int, seed: int = 0) -> dict:
    """Write the archive; return the assumptions and figures used."""
    from pyproj import Transformer

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    pool, pool_xy, per_location, outcome_dist = _real_pool()
    ratio = float(per_location.sum() / len(per_location))
    centre = pool_xy.mean(axis=0)
    _ward_map(centre, out)
    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    volumes = np.array([f[2] for f in FORCES], dtype=float) * (1 + ASB_PER_CRIME)
    force_rows = np.floor(volumes / volumes.sum() * rows).astype(np.int64)
    force_rows[np.argmax(force_rows)] += rows - force_rows.sum()
    types = list(CRIME_TYPE_SHARES) + ["Anti-social behaviour"]
    crime_share = np.array(list(CRIME_TYPE_SHARES.values()))
    type_p = np.append(crime_share / crime_share.sum(), ASB_PER_CRIME) / (1 + ASB_PER_CRIME)
    month_names = [str(p) for p in pd.period_range(FIRST_MONTH, periods=months, freq="M")]
    met_volume = dict((f[0], f[2]) for f in FORCES)["metropolitan"]
    outcome_names = outcome_dist.index.to_numpy(dtype=str)
    outcome_p = outcome_dist.to_numpy() / outcome_dist.to_numpy().sum()
    n_locations = 0
    pending_outcomes: dict[tuple[str, str], list[pa.Table]] = {}
    for (slug, name, volume, ex, ny), n_force in zip(FORCES, force_rows, strict=True):
        k = math.sqrt(volume / met_volume)
        n_loc = max(20, int(round(n_force / ratio)))
        n_locations += n_loc
        pick = rng.integers(0, len(pool), n_loc)
        again = np.zeros(n_loc, dtype=bool)
        _, first = np.unique(pick, return_index=True)
        again[np.setdiff1d(np.arange(n_loc), first)] = True
        xy = np.array([ex * 1000.0, ny * 1000.0]) + k * (pool_xy[pick] - centre)
        xy[again] += rng.uniform(-100 * k, 100 * k, size=(int(again.sum()), 2))
        lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
        lon, lat = np.round(lon, 6), np.round(lat, 6)
        weight = rng.choice(per_location, size=n_loc).astype(float)
        weight /= weight.sum()
        per_month = np.full(months, n_force // months)
        per_month[: n_force - per_month.sum()] += 1
        for month, n in zip(month_names, per_month, strict=True):
            loc = rng.choice(n_loc, size=int(n), p=weight)
            ctype = rng.choice(len(types), size=int(n), p=type_p)
            is_asb = ctype == len(types) - 1
            ids = np.where(is_asb, "", _hex_ids(rng, int(n)))
            outcome = np.where(
                is_asb, "", outcome_names[rng.choice(len(outcome_names), size=int(n), p=outcome_p)]
            )
            base = pick[loc]
            table = pa.table(
                {
                    "Crime ID": ids,
                    "Month": np.full(int(n), month),
                    "Reported by": np.full(int(n), name),
                    "Falls within": np.full(int(n), name),
                    "Longitude": lon[loc],
                    "Latitude": lat[loc],
                    "Location": pool["Location"].to_numpy(dtype=str)[base],
                    "LSOA code": pool["LSOA code"].to_numpy(dtype=str)[base],
                    "LSOA name": pool["LSOA name"].to_numpy(dtype=str)[base],
                    "Crime type": np.asarray(types, dtype=object)[ctype],
                    "Last outcome category": outcome,
                    "Context": np.full(int(n), ""),
                }
            )
            folder = out / month
            folder.mkdir(exist_ok=True)
            _write_csv(table, folder / f"{month}-{slug}-street.csv")
            chosen = np.flatnonzero(~is_asb & (rng.random(int(n)) < OUTCOME_SHARE))
            i = month_names.index(month)
            if len(chosen) and i + 1 < months:
                o = table.take(pa.array(chosen)).select(COLUMNS[:9])
                o = o.set_column(1, "Month", pa.array(np.full(len(chosen), month_names[i + 1])))
                o = o.append_column(
                    "Outcome type",
                    pa.array(
                        outcome_names[rng.choice(len(outcome_names), size=len(chosen), p=outcome_p)]
                    ),
                )
                pending_outcomes.setdefault((month_names[i + 1], slug), []).append(o)
        for (month, s), tables in list(pending_outcomes.items()):
            if s == slug:
                _write_csv(pa.concat_tables(tables), out / month / f"{month}-{slug}-outcomes.csv")
                del pending_outcomes[(month, s)]
    return {
        "rows": int(force_rows.sum()),
        "months": months,
        "forces": len(FORCES),
        "distinct_locations": n_locations,
        "rows_per_location": float(force_rows.sum() / n_locations),
        "real_city_rows_per_location": ratio,
        "met_rows": int(force_rows[[f[0] for f in FORCES].index("metropolitan")]),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--quick", action="store_true", help="2 months, 100,000 rows")
    args = ap.parse_args()
    rows, months = (100_000, 2) if args.quick else (args.rows, args.months)
    out = args.out or DATA_DIR / ("national_quick" if args.quick else "national")
    t = time.perf_counter()
    info = generate(out, rows=rows, months=months)
    print(
        f"wrote {info['rows']:,} street rows, {info['forces']} forces x {info['months']} months "
        f"to {out} in {time.perf_counter() - t:.1f} s; {info['distinct_locations']:,} distinct "
        f"locations ({info['rows_per_location']:.1f} rows per location; real City of London "
        f"36 months: {info['real_city_rows_per_location']:.1f}); Met {info['met_rows']:,} rows; "
        f"ASB {ASB_PER_CRIME:g} per crime; outcomes for {OUTCOME_SHARE:.0%} of crimes"
    )


if __name__ == "__main__":
    main()
