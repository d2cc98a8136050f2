# %% [markdown]
# # Evaluate an operation: a problem-solving plan from Form 302 to review
#
# A made-up operation on real data: theft around one busy 200 m square of the City of London
# (the bundled police.uk sample). The ward team records a problem-solving plan (SARA stages,
# CHEERS), stores it in a register file that QGIS can open, evaluates the response against a
# buffer and a control (WDQ, WDD, the Poisson E-test and a placebo inference calibrated on real
# variation), draws the monthly chart and checks the plan's reviews. Nothing was done in the
# City in this period: the evaluation should, and does, find no effect.
#
# Contains public sector information licensed under the Open Government Licence v3.0.
# Contains OS data (c) Crown copyright and database right.

# %%
import dataclasses
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from snt_geo import load_sample
from snt_geo.maps import plot_evaluation, save_figure
from snt_geo.problem_solving import (
    Response,
    create_register,
    evaluate_intervention,
    new_plan,
    track_plans,
)
from snt_geo.tasking import tasking_assessment

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 10)

sample = load_sample()
out = Path(tempfile.mkdtemp(prefix="snt_geo_operation_"))
area = shapely.box(532200, 181000, 532400, 181200)  # EPSG:27700 metres

# %% [markdown]
# ## The plan (Form 302), stage by stage
#
# A stage cannot be entered without its fields: the analysis needs the six CHEERS elements, the
# response stage an analysis, an objective, a response and a review date.

# %%
plan = new_plan(
    "CHEAP-2023-01",
    ward_code="E05000011",
    theme="other_theft",
    problem_statement="Thefts of bags and phones from cafe and pub customers near Cheapside",
    opened_on="2023-01-09",
)
plan = dataclasses.replace(
    plan,
    community="cafe and pub customers, mostly office workers",
    harm="loss of phones and cards; fear of crime in the evening economy",
    expectation="businesses and the ward panel expect police action",
    events="bags hung on chairs taken, 12:00-15:00 and 17:00-20:00",
    recurring="every weekday, worst on Thursdays and Fridays",
    similarity="same premises type, same method",
)
plan = plan.advance("analysis", on="2023-01-16")
plan = dataclasses.replace(
    plan, analysis_notes="Four premises hold half the thefts", objective="30% fewer thefts"
)
plan = plan.with_response(
    Response(
        "R1",
        "Chair clips and staff briefings in the four premises",
        "target hardening",
        "partner",
        partner="City business improvement district",
        start_on="2023-02-01",
        end_on="2023-05-31",
        implemented_as_planned=True,
        area=area,
    )
).with_review(due_on="2023-03-01", held_on="2023-03-02", note="clips fitted in 3 of 4")
plan = plan.with_review(due_on="2023-04-12")  # the April panel did not meet
plan = plan.advance("response", on="2023-02-01")

register_path = out / "cheap_ward_register.gpkg"
with create_register(register_path) as register:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the sample register's content checks
        register.import_priorities(sample.priorities, who="analyst")
    stored = register.add_plan(plan, who="analyst")
    print(f"register {register_path.name}: plan {stored.plan_id} at version {stored.version}")
    # The file is a GeoPackage: QGIS (or geopandas) reads the response areas as a layer.
    print(gpd.read_file(register_path, layer="responses")[["plan_id", "type", "geometry"]])

# %% [markdown]
# ## Did it work?
#
# The four months of the response against the six months before, other theft only, with a
# 100 m buffer ring and the rest of the City as control. The placebo areas are copies of the
# treated square and ring elsewhere in the City with about as many thefts before.

# %%
evaluation = evaluate_intervention(
    sample.incidents,
    treated=gpd.GeoSeries([area], crs="EPSG:27700"),
    before=("2022-08", "2023-01"),
    after=("2023-02", "2023-05"),
    buffer_width_m=100,
    area=sample.wards,
    themes=["other_theft"],
    implemented_as_planned=True,
)
print(evaluation.counts.round(1))
print(evaluation.tests.drop(columns="meaning").round(3))
print(evaluation.verdict)
print(evaluation.method.describe())
png, svg = save_figure(plot_evaluation(evaluation), out / "evaluation")
print(f"chart: {png.name}, {svg.name}")

# %% [markdown]
# ## Tracking and the briefing
#
# The review due on 12 April was not held: by the end of June it is overdue. A tasking
# assessment given the register lists the plan and the evaluation in section 1.

# %%
tracking = track_plans([stored], months=("2023-01", "2023-06"), wards=sample.wards)
print(tracking.plans[["ward_code", "stage", "days_in_stage", "overdue", "days_overdue"]])
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # the sample's known data caveats
    assessment = tasking_assessment(
        sample.wards,
        sample.incidents,
        priorities=sample.priorities,
        period=("2023-01", "2023-06"),
        permutations=99,
        rng=1,
        register=register_path,
    )
print(assessment.summary().splitlines()[0])
