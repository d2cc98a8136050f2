"""Shared priorities use the theme hierarchy: a member theme counts in its parent's group.

Real GLA wards (London_Ward_CityMerged, Camden) and a register as a panel writes it.
"""

import warnings

import pandas as pd
import pytest

from snt_geo.io import read_wards
from snt_geo.linkage.shared_priorities import flag_shared_priorities
from snt_geo.profile.priorities import read_priorities
from snt_geo.themes import make_themes

BLOOMSBURY, HOLBORN, KINGS_CROSS, ST_PANCRAS = "E05000129", "E05000138", "E05000141", "E05000143"


@pytest.fixture(scope="module")
def camden(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
        )
    return wards[wards["borough_name"] == "Camden"]


def _register(rows):
    return pd.DataFrame(rows, columns=["ward_code", "theme", "status"])


def test_member_themes_count_in_the_parent_group(camden):
    register = _register(
        [
            (BLOOMSBURY, "street_crime", "active"),
            (HOLBORN, "robbery", "active"),
            (KINGS_CROSS, "theft_from_the_person", "active"),
            (KINGS_CROSS, "street_crime", "active"),  # the same group twice in one ward: once
            (ST_PANCRAS, "asb", "active"),
            (BLOOMSBURY, "anti_social_behaviour", "active"),
        ]
    )
    res = flag_shared_priorities(register, camden, min_wards=3)
    themes = res.themes.set_index("theme")
    assert set(themes.index) == {"street_crime", "asb"}
    street = themes.loc["street_crime"]
    assert street["n_wards"] == 3 and street["flagged"]
    assert street["ward_codes"] == tuple(sorted([BLOOMSBURY, HOLBORN, KINGS_CROSS]))
    assert street["member_themes"] == ("robbery", "street_crime", "theft_from_the_person")
    assert themes.loc["asb", "n_wards"] == 2
    assert themes.loc["asb", "member_themes"] == ("anti_social_behaviour", "asb")
    assert res.method.n_member_rows == 3  # robbery, theft_from_the_person, anti_social_behaviour
    assert "counted in their parent's group" in res.method.describe()
    # Exact keys alone (the behaviour before the hierarchy) would flag nothing here.
    flat = flag_shared_priorities(
        register, camden, min_wards=3, themes=make_themes(replace_defaults=True)
    )
    assert not flat.themes["flagged"].any()


def test_free_text_register_is_shared(tmp_path, camden):
    path = tmp_path / "register.csv"
    path.write_text(
        "Ward,Priority,Date set\n"
        "Bloomsbury,Street crime,01/02/2024\n"
        "Holborn and Covent Garden,Mugging,01/02/2024\n"
        "King's Cross,Phone snatching outside the station,01/02/2024\n"
        "St Pancras and Somers Town,ASB - youths congregating outside shops,01/02/2024\n"
        "Bloomsbury,ASB,01/02/2024\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 1-2 active per ward: too few
        register = read_priorities(path, wards=camden)
    res = flag_shared_priorities(register, camden, min_wards=3)
    street = res.themes.set_index("theme").loc["street_crime"]
    assert street["flagged"] and street["n_wards"] == 3
    assert street["member_themes"] == ("robbery", "street_crime", "theft_from_the_person")


def test_the_assessment_uses_its_own_hierarchy():
    from snt_geo.datasets import load_sample
    from snt_geo.tasking import tasking_assessment

    themes = make_themes(
        {"nuisance": ["Criminal damage and arson", "Public order"]},
        parents={"criminal_damage_arson": "nuisance", "public_order": "nuisance"},
    )
    sample = load_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a = tasking_assessment(
            sample.wards,
            sample.incidents,
            period=("2023-01", "2023-06"),
            priorities=sample.priorities,
            themes=themes,
            permutations=99,
            rng=0,
        )
    active = sample.priorities.query("status == 'active'")
    held = active[active["theme"].isin(["criminal_damage_arson", "public_order"])]
    nuisance = a.shared.themes.set_index("theme").loc["nuisance"]
    assert nuisance["n_wards"] == held["ward_code"].nunique()
    assert set(nuisance["member_themes"]) == set(held["theme"])
    assert not {"criminal_damage_arson", "public_order"} & set(a.shared.themes["theme"])
