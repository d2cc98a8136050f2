# %% [markdown]
# # Make the tasking (TTCG) briefing
#
# One call runs the ward profile, the priorities and their evidence, Gi* hotspots, DBSCAN
# clusters, cross-border hotspots, shared priorities and the ASB-near-estates -> street-crime
# links, and writes ONE self-contained HTML file that opens with no network. The same as
# `snt-geo demo --out DIR`.
#
# The bundled sample's estates and priority register are **constructed** for the demo.
#
# Contains public sector information licensed under the Open Government Licence v3.0.
# Contains OS data (c) Crown copyright and database right.
# Contains National Statistics data (c) Crown copyright and database right.

# %%
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from snt_geo.datasets import load_sample
from snt_geo.maps.briefing import tasking_briefing

pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 90)

sample = load_sample()


def show_progress(step, done, total):
    print(f"  [{done}/{total}] {step}", file=sys.stderr)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # expected drops; listed in the method note
    briefing = tasking_briefing(
        sample.wards,
        sample.incidents,
        demographics=sample.demographics,
        estates=sample.estates,
        priorities=sample.priorities,
        period=("2023-01", "2023-06"),
        sample_caveat=True,
        rng=2024,
        progress=show_progress,
    )
print(briefing)
print(briefing.summary())

# %% [markdown]
# ## Every intermediate table is an attribute

# %%
print(briefing.priorities[["ward_name", "theme", "data_rank", "trend", "reason"]].head())
print(briefing.changes[briefing.changes["significant"]].head())
print(briefing.shared.flagged[["theme", "n_wards", "largest_group_wards"]])
print(briefing.cross_border.loc[briefing.cross_border["cross_ward"], ["theme", "explanation"]])

# %% [markdown]
# ## The method note records every parameter and automatic choice

# %%
print(briefing.parameters.groupby("step").size())
print(briefing.parameters[briefing.parameters["parameter"].str.contains("rule")])

# %% [markdown]
# ## Save the page
#
# In a notebook, `briefing` on its own line shows the page inline.

# %%
out = Path(tempfile.mkdtemp(prefix="snt-briefing-")) / "briefing.html"
briefing.save(out)
print(f"{out} ({out.stat().st_size / 1e6:.2f} MB)")
