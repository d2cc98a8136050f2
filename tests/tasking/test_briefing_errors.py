"""Issue 11's two briefing errors, on the real bundled City sample (2023-01..06).

1. A register priority held on a member theme (Aldgate's "theft from the person", a member of
   street crime) showed its count in the table but "no incidents in the period" as its evidence.
2. "At a glance" counted changes with a raw p below alpha, while the table shows BH q-values.
"""

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from snt_geo.datasets import load_sample
from snt_geo.tasking import tasking_assessment

ALDGATE = "E05000002"
PERIOD = ("2023-01", "2023-06")


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def assessment(sample):
    member = pd.DataFrame(
        {
            "ward_code": [ALDGATE],
            "theme": ["theft_from_the_person"],
            "status": ["active"],
            "set_on": [pd.Timestamp("2023-01-01")],
            "review_on": [pd.NaT],
            "source": ["panel"],
        }
    )
    register = pd.concat([sample.priorities, member], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return tasking_assessment(
            sample.wards,
            sample.incidents,
            period=PERIOD,
            demographics=sample.demographics,
            estates=sample.estates,
            priorities=register,
            permutations=99,
            rng=0,
        )


def test_member_theme_priority_has_its_evidence(sample, assessment):
    # Independent count: theft from the person points inside Aldgate in the period (geopandas).
    inc = sample.incidents
    in_period = inc["month"].astype(str).between(*PERIOD)
    tftp = inc[in_period & (inc["crime_type"] == "Theft from the person")]
    aldgate = sample.wards.loc[[ALDGATE], ["geometry"]]
    expected = len(gpd.sjoin(tftp, aldgate, predicate="intersects"))
    assert expected == 5
    rows = assessment.priorities
    row = rows[(rows["ward_code"] == ALDGATE) & (rows["theme"] == "theft_from_the_person")]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["count"] == expected
    assert "no incidents" not in row["reason"]
    assert f"{expected} incidents" in row["reason"]
    assert "street_crime" in row["reason"]  # reported as a member of its parent's group


def test_significant_changes_use_the_bh_q_value(assessment):
    changes = assessment.changes
    alpha = 0.05
    reject, q, _, _ = multipletests(
        changes["p_value"].to_numpy(float), alpha=alpha, method="fdr_bh"
    )
    pd.testing.assert_series_equal(
        changes["q_value"], pd.Series(q, name="q_value"), check_exact=False, rtol=1e-12
    )
    assert changes["significant"].tolist() == list(reject)
    headline = int((changes["significant"] & ~changes["small_number"]).sum())
    assert headline == int((reject & ~changes["small_number"].to_numpy(bool)).sum())
    assert f"{headline} significant changes since the last period" in assessment.summary()
    # On this sample none survives the adjustment although several raw p-values are below 0.05.
    assert (changes["p_value"] < alpha).sum() > 0
    assert headline == 0
