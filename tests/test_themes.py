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


def test_default_hierarchy():
    t = DEFAULT_THEMES
    assert t.parent("robbery") == "street_crime"
    assert t.parent("theft_from_the_person") == "street_crime"
    assert t.parent("anti_social_behaviour") == "asb"
    assert t.parent("burglary") is None
    assert t.parent("acquisitive") is None  # overlaps, but is nobody's parent
    assert t.children("street_crime") == ("robbery", "theft_from_the_person")
    assert t.group("theft_from_the_person") == "street_crime"
    assert t.group("street_crime") == "street_crime"
    assert t.group("begging_rough_sleeping") == "begging_rough_sleeping"  # a local theme
    # every child's crime types are counted in its parent
    for child, parent in t.parents.items():
        assert set(t.members(child)) <= set(t.members(parent))
    assert t.describe_theme("robbery") == "robbery (in street_crime)"
    assert t.describe_theme("burglary") == "burglary"


def test_alias_is_the_duplicate_asb_theme():
    aliases = [k for k in DEFAULT_THEMES.themes if DEFAULT_THEMES.is_alias(k)]
    assert aliases == ["anti_social_behaviour"]


def test_slug_lookup_covers_every_crime_type():
    for name, slug in CRIME_TYPES.items():
        assert DEFAULT_THEMES.crime_type_of(slug) == name
        assert DEFAULT_THEMES.crime_type_of(name) == name
    assert DEFAULT_THEMES.crime_type_of("violent-crime") == "Violence and sexual offences"
    assert DEFAULT_THEMES.crime_type_of("mugging") is None


def test_local_asb_category_sits_under_asb():
    t = make_themes(crime_types={"Youth ASB": "youth-asb"}, parents={"youth_asb": "asb"})
    assert t.parent("youth_asb") == "asb"
    assert t.group("youth_asb") == "asb"
    assert set(t.members("asb")) == {"Anti-social behaviour", "Youth ASB"}
    assert t.primary_theme("Youth ASB") == "asb"
    assert not t.is_alias("youth_asb")
    frame = t.to_frame()
    row = frame[(frame["theme"] == "youth_asb")].iloc[0]
    assert (row["parent"], row["group"]) == ("asb", "asb")


def test_bad_parents_listed_together():
    with pytest.raises(SchemaError, match="not a valid theme mapping") as info:
        make_themes(
            {"nte": ["Public order"], "late": ["Public order"]},
            parents={
                "mugging": "street_crime",
                "burglary": "robbery",
                "nte": "late",
                "late": "nte",
            },
        )
    text = " ".join(info.value.problems)
    assert "'mugging', which is not a theme" in text
    assert "'robbery', which is not a composite theme" in text
    assert "cycle" in text


def test_replace_defaults_drops_the_hierarchy():
    t = make_themes({"nte": ["Public order"]}, replace_defaults=True)
    assert t.parents == {}
    assert t.group("robbery") == "robbery"
