# %% [markdown]
# # Profile a borough: the City of London's 25 wards
#
# Real police.uk data for the City of London from the bundled sample (44 months: 2018-04 ..
# 2020-11 and 2022-07 .. 2023-06), ONS mid-2019 populations apportioned to the wards, and the
# sample's **constructed** priority register. What the ward profile gives a Neighbourhood Panel:
# counts, rates, location quotients and change per theme, the borough roll-up, and
# evidence-ranked priority suggestions.
#
# Contains public sector information licensed under the Open Government Licence v3.0.
# Contains OS data (c) Crown copyright and database right.
# Contains National Statistics data (c) Crown copyright and database right.

# %%
import pandas as pd

from snt_geo import load_sample
from snt_geo.profile import (
    borough_summary,
    profile_locations,
    suggest_priorities,
    ward_profile,
)

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)
pd.set_option("display.max_colwidth", 70)

sample = load_sample()
print(sample)

# %% [markdown]
# ## The ward profile
#
# The last six months of the sample (2023-01 .. 2023-06) against the six months before. The
# sample has a gap (2020-12 .. 2022-06), so a 12-month period would have no earlier period to
# compare with; the profile records that as "not covered" instead of reporting false changes.

# %%
profile = ward_profile(
    sample.wards,
    sample.incidents,
    demographics=sample.demographics,
    period=("2023-01", "2023-06"),
)
print(profile)  # a WardProfile: .wards (one row per ward), .monthly, .key_locations, .method
print(profile.method.describe())
columns = [
    "ward_name",
    "population",
    "incident_count",
    "street_crime_count",
    "street_crime_lq",
    "street_crime_change_pct_previous",
    "street_crime_p_previous",
    "street_crime_small_number",
]
print(profile.wards[columns].sort_values("street_crime_count", ascending=False).head(10))

# %% [markdown]
# Rates per 1,000 residents are NaN (and flagged) for wards with fewer than 1,000 residents:
# most City wards are offices. Location quotients describe the crime mix, so they still work.

# %%
print(profile.wards["population_flag"].value_counts(dropna=False))
print(profile_locations(profile).head(8)[["ward_code", "rank", "location", "count", "share"]])

# %% [markdown]
# ## The borough roll-up

# %%
print(borough_summary(profile).T.head(20))

# %% [markdown]
# ## Priority suggestions with their evidence
#
# One level of themes (ASB, street crime, then the other crime types), three per ward: the
# panel minimum. The `reason` column is the evidence in words.

# %%
themes = ["asb", "street_crime", "burglary", "shoplifting", "violent_crime", "other_theft"]
suggestions = suggest_priorities(profile, n=3, themes=themes)
print(suggestions[["ward_code", "theme", "rank", "score", "trend", "reason"]].head(12))
