"""snt_geo._labels: themes and wards as a person reads them."""

from __future__ import annotations

import pandas as pd

from snt_geo._labels import theme_label, ward_names
from snt_geo.themes import DEFAULT_THEMES


def test_theme_labels_read_as_words():
    assert theme_label("criminal_damage_arson", DEFAULT_THEMES) == "Criminal damage and arson"
    assert (
        theme_label("street_crime", DEFAULT_THEMES)
        == "Street crime (robbery, theft from the person)"
    )
    assert theme_label("all", DEFAULT_THEMES) == "All incidents"
    # A local theme the table does not know: its key in words, never an error.
    assert theme_label("begging_rough_sleeping", DEFAULT_THEMES) == "Begging rough sleeping"


def test_ward_names_fall_back_to_the_code():
    wards = pd.DataFrame({"ward_name": ["Bank", None, ""]}, index=["E1", "E2", "E3"])
    assert ward_names(wards) == {"E1": "Bank", "E2": "E2", "E3": "E3"}
    assert ward_names(pd.DataFrame(index=["E9"])) == {"E9": "E9"}
