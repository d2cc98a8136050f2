"""Crime types and tasking themes.

police.uk publishes 14 crime types (since May 2013). Tasking meetings talk in *themes*: a theme is a
named set of crime types. Every crime type is a theme of its own (key = its police.uk API slug with
``-`` replaced by ``_``, so ``theft_from_the_person``), and the default table adds the composite
themes used in London tasking: ``asb`` (Anti-social behaviour), ``street_crime`` (Robbery + Theft
from the person) and ``acquisitive`` (the theft and burglary types).

Theme keys are Python identifiers, because profile columns are named after them
(``street_crime_count``, ``asb_lq``).

Examples
--------
>>> from snt_geo.themes import DEFAULT_THEMES
>>> DEFAULT_THEMES.members("street_crime")
('Robbery', 'Theft from the person')
>>> DEFAULT_THEMES.primary_theme("Robbery")
'street_crime'
>>> DEFAULT_THEMES.slug("Anti-social behaviour")
'anti-social-behaviour'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from snt_geo.errors import SchemaError

__all__ = ["CRIME_TYPES", "LEGACY_CRIME_TYPES", "ThemeTable", "DEFAULT_THEMES", "make_themes"]

#: police.uk's crime types (name as in the street-level files -> API slug).
CRIME_TYPES: dict[str, str] = {
    "Anti-social behaviour": "anti-social-behaviour",
    "Bicycle theft": "bicycle-theft",
    "Burglary": "burglary",
    "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs",
    "Other crime": "other-crime",
    "Other theft": "other-theft",
    "Possession of weapons": "possession-of-weapons",
    "Public order": "public-order",
    "Robbery": "robbery",
    "Shoplifting": "shoplifting",
    "Theft from the person": "theft-from-the-person",
    "Vehicle crime": "vehicle-crime",
    "Violence and sexual offences": "violent-crime",
}

#: Names used in police.uk files before May 2013, recognised so that old archives still read.
LEGACY_CRIME_TYPES: dict[str, str] = {
    "Violent crime": "violent-crime",
    "Public disorder and weapons": "public-disorder-weapons",
}

_COMPOSITE_DEFAULT: dict[str, tuple[str, ...]] = {
    "asb": ("Anti-social behaviour",),
    "street_crime": ("Robbery", "Theft from the person"),
    "acquisitive": (
        "Bicycle theft",
        "Burglary",
        "Other theft",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
    ),
}

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _key(slug: str) -> str:
    return slug.replace("-", "_")


@dataclass(frozen=True)
class ThemeTable:
    """An immutable mapping of crime types to tasking themes.

    Attributes
    ----------
    crime_types
        Crime-type name -> police.uk API slug.
    composite
        Composite theme key -> the crime-type names it groups.
    primary
        Composite themes that name an incident's *primary* theme (the ``theme`` column), in order
        of preference. A crime type in none of them is filed under its own theme, so Burglary is
        ``burglary`` even though it also counts towards the broader ``acquisitive``.
    """

    crime_types: Mapping[str, str]
    composite: Mapping[str, tuple[str, ...]]
    primary: tuple[str, ...] = ()
    _primary: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        primary = {}
        for name, slug in self.crime_types.items():
            primary[name] = next((t for t in self.primary if name in self.composite[t]), _key(slug))
        object.__setattr__(self, "_primary", primary)

    @property
    def themes(self) -> tuple[str, ...]:
        """Every theme key: the composite themes, then one per crime type."""
        own = (_key(s) for s in self.crime_types.values())
        return tuple(dict.fromkeys([*self.composite, *own]))

    def slug(self, crime_type: str) -> str:
        """police.uk API slug of ``crime_type``."""
        try:
            return self.crime_types[crime_type]
        except KeyError:
            raise SchemaError(
                f"`crime_type` {crime_type!r} is not a police.uk crime type; known: "
                f"{sorted(self.crime_types)}. Pass your own mapping with make_themes()."
            ) from None

    def key(self, crime_type: str) -> str:
        """Key of the one-crime-type theme of ``crime_type`` (``'theft_from_the_person'``)."""
        return _key(self.slug(crime_type))

    def primary_theme(self, crime_type: str) -> str:
        """The theme an incident of ``crime_type`` is filed under in the ``theme`` column."""
        self.slug(crime_type)
        return self._primary[crime_type]

    def members(self, theme: str) -> tuple[str, ...]:
        """Crime-type names in ``theme``."""
        if theme in self.composite:
            return tuple(self.composite[theme])
        matches = tuple(n for n, s in self.crime_types.items() if _key(s) == theme)
        if not matches:
            raise SchemaError(
                f"`theme` {theme!r} is not a theme of this table; known: {list(self.themes)}."
            )
        return matches

    def themes_of(self, crime_type: str) -> tuple[str, ...]:
        """Every theme that counts ``crime_type`` (its own, then the composite ones)."""
        own = (self.key(crime_type),)
        return own + tuple(t for t, m in self.composite.items() if crime_type in m)

    def to_frame(self):
        """One row per (theme, crime type).

        Columns ``theme``, ``crime_type``, ``slug``, ``composite``.
        """
        import pandas as pd

        rows = [
            (t, n, self.crime_types[n], True) for t, ms in self.composite.items() for n in ms
        ] + [(_key(s), n, s, False) for n, s in self.crime_types.items()]
        return pd.DataFrame(rows, columns=["theme", "crime_type", "slug", "composite"])


def make_themes(
    composite: Mapping[str, Iterable[str]] | None = None,
    *,
    crime_types: Mapping[str, str] | None = None,
    replace_defaults: bool = False,
    primary: Iterable[str] | None = None,
) -> ThemeTable:
    """Build a :class:`ThemeTable` from your own theme definitions.

    Parameters
    ----------
    composite
        Theme key -> crime-type names, e.g. ``{"night_time_economy": ["Public order",
        "Violence and sexual offences"]}``. Keys must be lower-case identifiers. Added to (or, with
        ``replace_defaults=True``, replacing) the default composite themes.
    crime_types
        Extra crime-type names and their slugs, for local categories in a BIU extract
        (``{"Youth ASB": "youth-asb"}``). police.uk's types are always known.
    replace_defaults
        Drop the default composite themes (``asb``, ``street_crime``, ``acquisitive``).
    primary
        Composite themes that file an incident under them in the ``theme`` column, in order of
        preference. Default: your own composite themes, then ``asb`` and ``street_crime``.
    """
    types = {**CRIME_TYPES, **LEGACY_CRIME_TYPES, **dict(crime_types or {})}
    base = {} if replace_defaults else dict(_COMPOSITE_DEFAULT)
    problems = []
    for theme, members in dict(composite or {}).items():
        members = tuple(members)
        if not isinstance(theme, str) or not _KEY.match(theme):
            problems.append(
                f"theme key {theme!r} must be a lower-case identifier such as 'street_crime'"
            )
        unknown = [m for m in members if m not in types]
        if unknown:
            problems.append(
                f"theme {theme!r} names unknown crime types {unknown}; add them with `crime_types`"
            )
        if not members:
            problems.append(f"theme {theme!r} has no crime types")
        base[theme] = members
    clash = set(base) & {_key(s) for s in types.values()}
    if clash:
        problems.append(f"composite theme keys {sorted(clash)} clash with crime-type theme keys")
    if primary is None:
        primary = [*dict(composite or {}), *(t for t in ("asb", "street_crime") if t in base)]
    primary = tuple(dict.fromkeys(primary))
    problems += [
        f"`primary` names {t!r}, which is not a composite theme" for t in primary if t not in base
    ]
    if problems:
        raise SchemaError("`composite` is not a valid theme mapping:", problems)
    return ThemeTable(crime_types=types, composite=base, primary=primary)


DEFAULT_THEMES = make_themes()
