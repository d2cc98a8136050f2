# %% [markdown]
# # Make the tasking (TTCG) briefing
#
# Two steps. `tasking_assessment` runs the ward profile, the priorities and their evidence, Gi*
# hotspots, DBSCAN clusters, cross-border hotspots, shared priorities and the ASB-near-estates ->
# street-crime cluster links, and returns the tables (no HTML: a BIU batch run can stop there).
# `render_briefing` lays them out as ONE self-contained HTML file that opens with no network.
# `tasking_briefing(...)` does both in one call, as `snt-geo demo --out DIR` does.
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

from snt_geo import load_sample
from snt_geo.maps import render_briefing
from snt_geo.tasking import tasking_assessment

pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 90)

sample = load_sample()


def show_progress(step, done, total):
    print(f"  [{done}/{total}] {step}", file=sys.stderr)


with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # expected drops; listed in the method note
    assessment = tasking_assessment(
        sample.wards,
        sample.incidents,
        period=("2023-01", "2023-06"),
        demographics=sample.demographics,
        estates=sample.estates,
        priorities=sample.priorities,
        rng=2024,
        progress=show_progress,
    )
print(assessment)
print(assessment.summary())

# %% [markdown]
# ## Every table is an attribute of the assessment

# %%
print(assessment.priorities[["ward_name", "theme", "data_rank", "trend", "reason"]].head())
print(assessment.changes[assessment.changes["significant"]].head())
print(assessment.shared.flagged[["theme", "n_wards", "largest_group_wards"]])
print(assessment.cross_border.loc[assessment.cross_border["cross_ward"], ["theme", "explanation"]])

# %% [markdown]
# ## The method record keeps every parameter and automatic choice

# %%
print(assessment.method)
print(assessment.parameters.groupby("step").size())
print(assessment.parameters[assessment.parameters["parameter"].str.contains("rule")])

# %% [markdown]
# ## Render the page

# %%
briefing = render_briefing(assessment, sample_caveat=True)
print(briefing)

# %% [markdown]
# ## Save the page
#
# In a notebook, `briefing` on its own line shows the page inline.

# %%
out = Path(tempfile.mkdtemp(prefix="snt-briefing-")) / "briefing.html"
briefing.save(out)
print(f"{out} ({out.stat().st_size / 1e6:.2f} MB)")
