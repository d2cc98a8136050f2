# %% [markdown]
# # Which places concentrate street crime? A risk terrain model of the City of London
#
# The estate -> street-crime question ("is youth ASB around the estates feeding nearby robbery
# and theft from the person?") is one case of a general one: which kinds of place concentrate
# which crime. `link_places_to_crime` answers it with risk terrain modelling (after Caplan &
# Kennedy): street crime is counted in 100 m cells, each cell is described by its exposure to
# each place layer, the exposures that explain the counts are selected by BIC, and a Poisson or
# negative binomial regression gives each factor's relative risk with a 95% interval.
#
# Data: real police.uk street-level crime for the City of London from the bundled sample, with
# the sample's **constructed** estates layer (approximate shapes of three City estates). Add
# more layers (stations, licensed premises, shopping parades) as extra entries of `places`.
#
# Contains public sector information licensed under the Open Government Licence v3.0.
# Contains OS data (c) Crown copyright and database right.

# %%
import pandas as pd

from snt_geo import load_sample
from snt_geo.linkage import link_places_to_crime

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)

sample = load_sample()
wards, incidents, estates = sample.wards, sample.incidents, sample.estates

# %% [markdown]
# ## The model
#
# Street crime (robbery and theft from the person) against the estates, tested as proximity
# (cell centre within 100, 200 or 300 m of an estate) and as a high density of estates.

# %%
terrain = link_places_to_crime(
    incidents,
    {"estates": estates},
    theme="street_crime",
    area=wards,
    cell_size_m=100,
    influence_m=(100, 200, 300),
)
print(terrain.method.describe())
print(
    terrain.factors[
        ["selected", "relative_risk", "rr_lower", "rr_upper", "p_value", "significant"]
    ].round(3)
)

# %% [markdown]
# ## For the briefing
#
# One sentence per significant factor, and the riskiest cells of the risk surface.

# %%
for sentence in terrain.sentences() or ["No place layer raised the risk of street crime."]:
    print(sentence)
surface = terrain.to_frame()
# The risk surface: cells by relative risk, with their observed and expected street crime.
print(
    surface.groupby("relative_risk")[["incident_count", "expected_count"]]
    .agg(["size", "mean"])
    .round(2)
)
