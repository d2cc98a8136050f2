import pytest

from snt_geo.errors import SchemaError
from snt_geo.themes import CRIME_TYPES, DEFAULT_THEMES, make_themes


def test_fourteen_police_uk_types_with_api_slugs():
    assert len(CRIME_TYPES) == 14
    assert CRIME_TYPES["Anti-social behaviour"] == "anti-social-behaviour"
    assert CRIME_TYPES["Theft from the person"] == "theft-from-the-person"
    assert CRIME_TYPES["Violence and sexual offences"] == "violent-crime"


def test_tasking_themes():
    assert DEFAULT_THEMES.members("street_crime") == ("Robbery", "Theft from the person")
    assert DEFAULT_THEMES.members("asb") == ("Anti-social behaviour",)
    for name in CRIME_TYPES:
        key = DEFAULT_THEMES.key(name)
        assert key in DEFAULT_THEMES.themes
        assert key.isidentifier()
        assert name in DEFAULT_THEMES.members(key)
    assert DEFAULT_THEMES.primary_theme("Robbery") == "street_crime"
    assert DEFAULT_THEMES.primary_theme("Anti-social behaviour") == "asb"
    assert DEFAULT_THEMES.primary_theme("Burglary") == "burglary"
    assert set(DEFAULT_THEMES.themes_of("Robbery")) == {"robbery", "street_crime", "acquisitive"}
    assert len(DEFAULT_THEMES.themes) == len(set(DEFAULT_THEMES.themes))


def test_legacy_names_read():
    assert DEFAULT_THEMES.key("Violent crime") == "violent_crime"
    assert set(DEFAULT_THEMES.members("violent_crime")) == {
        "Violent crime",
        "Violence and sexual offences",
    }


def test_custom_themes():
    t = make_themes(
        {"youth_asb": ["Youth ASB", "Anti-social behaviour"]},
        crime_types={"Youth ASB": "local-youth-asb"},
    )
    assert t.primary_theme("Youth ASB") == "youth_asb"
    assert t.primary_theme("Anti-social behaviour") == "youth_asb"  # user themes come first
    assert "street_crime" in t.themes


def test_bad_theme_mapping_lists_every_problem():
    with pytest.raises(SchemaError, match="not a valid theme mapping") as info:
        make_themes({"Bad Key": ["Robbery"], "nte": ["Kebab"], "robbery": ["Robbery"]})
    assert len(info.value.problems) == 3


def test_unknown_crime_type():
    with pytest.raises(SchemaError, match="'Mugging' is not a police.uk crime type"):
        DEFAULT_THEMES.slug("Mugging")
