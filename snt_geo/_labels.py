"""How themes and wards are named for a person, written once for the assessment and its pages.

Keys (``street_crime``, ``E05009317``) stay in data and exports; tables, sentences and map legends
that a person reads use these labels.
"""

from __future__ import annotations

import pandas as pd

from snt_geo.themes import ThemeTable

__all__ = ["theme_label", "ward_names"]


def theme_label(theme: str, themes: ThemeTable) -> str:
    """Return a theme as a person reads it: a crime type's own name, or a group with its members.

    ``"criminal_damage_arson"`` -> ``"Criminal damage and arson"``; ``"street_crime"`` ->
    ``"Street crime (robbery, theft from the person)"``. Keys stay in data and exports.
    """
    if theme == "all":
        return "All incidents"
    try:
        members = themes.members(theme)
    except (KeyError, ValueError):  # a local theme the table does not know: its key in words
        return theme.replace("_", " ").capitalize()
    if len(members) == 1 or theme not in themes.composite:
        return members[0]  # a crime type (with any legacy name): its current police.uk name
    words = theme.replace("_", " ").capitalize()
    return f"{words} ({', '.join(members).lower()})"


def ward_names(wards: pd.DataFrame) -> dict[str, str]:
    """Ward code -> ward name (the code when the name is missing)."""
    if "ward_name" not in wards.columns:
        return {str(k): str(k) for k in wards.index}
    return {
        str(k): (str(v) if isinstance(v, str) and v else str(k))
        for k, v in wards["ward_name"].items()
    }
