# %% [markdown]
# # Camden, June 2019, on the May-2022 wards
#
# The first London borough outside the City with ASB, robbery and theft from the person in the
# data: one month of police.uk records for Camden in the **Camden open-data layout**
# (`camden-street-crime-2019-06`), profiled on the **May-2022 Camden wards** as ONS publishes them
# (`london-wards-2022-camden-lewisham`, a zip with the shapefile in a folder). Then Gi* hot spots
# of street crime, shared priorities, and the ASB -> street-crime links.
#
# The Camden layout differs from police.uk's bulk files: British National Grid `Easting` /
# `Northing` beside `Longitude` / `Latitude`, US-format `Epoch` dates (`06/01/2019 12:00:00 AM`
# is 1 June), police *neighbourhood* ids in `Ward Code` (pre-2022 wards and three police ids, so
# they are not used: incidents are placed in the 2022 wards by location), and British Transport
# Police rows (`Service`) beside the Met's.
#
# Contains public sector information licensed under the Open Government Licence v3.0.
# Contains OS data (c) Crown copyright and database right 2022.
# Source: Office for National Statistics licensed under the Open Government Licence v3.0.

# %%
import os
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from snt_geo import DEFAULT_THEMES
from snt_geo.io import (
    estates_from_frame,
    incidents_from_frame,
    read_deprivation,
    read_report,
    read_wards,
)
from snt_geo.linkage import find_hotspots, flag_shared_priorities, link_asb_to_street_crime
from snt_geo.profile import find_silent_wards, suggest_priorities, ward_profile

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)
pd.set_option("display.max_colwidth", 60)

DATA = Path(
    os.environ.get("SNT_GEO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)

# %% [markdown]
# ## The May-2022 wards, read from the ONS zip as published

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", UserWarning)
    wards = read_wards(
        DATA / "london-wards-2022-camden-lewisham/Wards_May_2022_UK_BFC_V2_Camden.zip"
    )
print(f"{len(wards)} wards, codes {wards.index.min()} .. {wards.index.max()}")
print(read_report(wards).summary())  # one invalid polygon (Kilburn) repaired

# %% [markdown]
# ## The Camden layout through `incidents_from_frame`, in one call
#
# The four Camden columns that are incidents-schema fields are renamed onto it (`Persistent ID`
# is police.uk's Crime ID, `Street Name` its snap-point location, `Outcome Category` the last
# outcome, `Service` the force: Met or British Transport Police). Then `x`/`y` take the British
# National Grid columns (`crs="EPSG:27700"`), `date="Epoch"` with `dayfirst=False` reads the US
# month-first dates, `crime_type="Category"` holds police.uk's names. Every other column
# (`Ward Code`, `ID`, `Outcome Date`...) is kept as it is.

# %%
CAMDEN_COLUMNS = {
    "Persistent ID": "crime_id",
    "Street Name": "location",
    "Outcome Category": "outcome",
    "Service": "reported_by",
}
raw = pd.read_csv(DATA / "camden-street-crime-2019-06/Police_API_Sample_July_2019.csv.gz")
incidents = incidents_from_frame(
    raw.rename(columns=CAMDEN_COLUMNS),
    x="Easting",
    y="Northing",
    crs="EPSG:27700",
    date="Epoch",
    dayfirst=False,
    crime_type="Category",
)
print(read_report(incidents).summary())
print(incidents["month"].value_counts().to_string())
print(incidents.groupby("reported_by", observed=True).size().to_string())

# %% [markdown]
# ## Ward profile for June 2019

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # no population given: rates are NA
    profile = ward_profile(wards, incidents, period="2019-06")
table = profile.wards[
    ["ward_name", "incident_count", "asb_count", "robbery_count", "theft_from_the_person_count"]
]
print(table.sort_values("incident_count", ascending=False).to_string())
print(profile.method.describe())
silent = find_silent_wards(wards, profile.wards["incident_count"], period="2019-06")
print(f"silent wards: {int(silent['silent'].sum())}")

# %% [markdown]
# ## Gi* hot spots of street crime (robbery + theft from the person), 100 m cells

# %%
street = incidents[incidents["crime_type"].isin(DEFAULT_THEMES.members("street_crime"))]
hotspots = find_hotspots(street, area=wards, cell_size_m=100)
print(hotspots["hotspot_class"].value_counts().to_string())
print(hotspots.attrs["method"].describe())

# %% [markdown]
# ## Shared priorities
#
# No Camden panel register is published, so the data's own suggestions (top 3 themes per ward)
# stand in for one. A member theme (theft from the person) counts in its parent's group
# (street crime).

# %%
suggestions = suggest_priorities(profile, n=3)
shared = flag_shared_priorities(suggestions, wards, statuses=("suggested",))
flagged = shared.themes[shared.themes["flagged"]]
print(flagged[["theme", "n_wards", "n_groups", "member_themes"]].to_string())

# %% [markdown]
# ## ASB -> street-crime links
#
# No open estate polygons exist for Camden; the LSOAs in England's most deprived 20% (IMD 2019)
# stand in for them, **a proxy, not estate boundaries**.

# %%
imd = read_deprivation(DATA / "london-lsoa-imd-2019/ID_2019_for_London_subset.xlsx")
lsoas = gpd.read_file(
    DATA / "gla-statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp"
)
camden = lsoas[lsoas["LAD11NM"] == "Camden"].set_index("LSOA11CD").join(imd[["imd_decile"]])
deprived = camden[camden["imd_decile"] <= 2].reset_index()[["LSOA11CD", "LSOA11NM", "geometry"]]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # the GLA .prj is relabelled EPSG:27700
    estates = estates_from_frame(
        deprived.set_crs("EPSG:27700", allow_override=True), name_column="LSOA11NM"
    )
links = link_asb_to_street_crime(incidents, estates, permutations=199, rng=1)
print(links)
print(links.estates[["estate_name", "asb_count_near", "colocation_quotient", "p_adjusted"]].head(8))
print(links.method.describe())
