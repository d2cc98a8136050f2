# %% [markdown]
# # Find and link hotspots in the City of London
#
# Gi* hot spots, DBSCAN clusters, hotspots that cross ward boundaries, and the ASB-near-estates
# -> street-crime links, on the bundled sample (real police.uk data; **constructed** estates).
#
# Contains public sector information licensed under the Open Government Licence v3.0.
# Contains OS data (c) Crown copyright and database right.

# %%
import warnings

import pandas as pd

from snt_geo import DEFAULT_THEMES, load_sample, method_of
from snt_geo.linkage import (
    cluster_incidents,
    find_hotspots,
    flag_cross_border_hotspots,
    link_asb_to_street_crime,
)

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)
pd.set_option("display.max_colwidth", 80)

sample = load_sample()
wards, incidents = sample.wards, sample.incidents
year = incidents[(incidents["month"] >= "2019-01") & (incidents["month"] <= "2019-12")]
street = year[year["crime_type"].isin(DEFAULT_THEMES.members("street_crime"))]
print(f"{len(street):,} street-crime incidents (robbery, theft from the person) in 2019")

# %% [markdown]
# ## Gi* hot spots on 50 m cells
#
# A few police.uk snap points lie outside the City wards; the warning counts them.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", UserWarning)
    cells = find_hotspots(street, area=wards, cell_size_m=50)
for w in caught:
    print("warning:", w.message)
print(method_of(cells).describe())
print(cells["hotspot_class"].value_counts())

# %% [markdown]
# ## DBSCAN clusters of the same incidents (100 m, at least 20 incidents)

# %%
labels = cluster_incidents(street, distance_m=100, min_incidents=20)
print(method_of(labels).describe())
print(labels[labels >= 0].value_counts().head())

# %% [markdown]
# ## Hotspots that cross ward boundaries

# %%
cross = flag_cross_border_hotspots(cells, wards)
print(cross[["n_cells", "hotspot_class", "n_wards", "cross_ward", "cross_borough"]])
for text in cross.loc[cross["cross_ward"], "explanation"]:
    print("-", text)

# %% [markdown]
# ## ASB near the estates -> street-crime clusters
#
# Every crime type is passed (the background of the co-location test); 199 relabellings keep
# the example quick (use 999 for a briefing).

# %%
result = link_asb_to_street_crime(
    incidents, sample.estates, near_m=100, link_m=400, permutations=199, rng=2024
)
print(result.estates[["asb_count_near", "p_adjusted", "significant"]])
links = result.links
best = links.sort_values("street_cluster_weight_share", ascending=False).drop_duplicates("estate")
for text in best["explanation"]:
    print("-", text)
