"""Crime types, tasking themes and the theme hierarchy.

police.uk publishes 14 crime types (since May 2013). Tasking meetings talk in *themes*: a theme is a
named set of crime types. Every crime type is a theme of its own (key = its police.uk API slug with
``-`` replaced by ``_``, so ``theft_from_the_person``), and the default table adds the composite
themes used in London tasking: ``asb`` (Anti-social behaviour), ``street_crime`` (Robbery + Theft
from the person) and ``acquisitive`` (the theft and burglary types).

Theme keys are Python identifiers, because profile columns are named after them
(``street_crime_count``, ``asb_lq``).

The hierarchy
-------------
A theme may have one *parent*: ``robbery`` and ``theft_from_the_person`` sit under
``street_crime``; ``anti_social_behaviour`` (police.uk's one ASB type) and a force's local ASB
categories sit under ``asb``. The top of a theme's chain of parents is its *group*
(:meth:`ThemeTable.group`). Everything that compares priorities across wards (shared-priority flags,
a register's evidence, suggestions) compares groups, so a ward holding "Theft from the person" and
its neighbour holding "Street crime" share the ``street_crime`` priority, and the member theme is
reported as such ("theft_from_the_person, in street_crime"). ``acquisitive`` overlaps other themes
but is nobody's parent: a theme has at most one parent, so the hierarchy is a forest.

A theme whose crime types are exactly its parent's (``anti_social_behaviour`` under ``asb``) is an
*alias* (:meth:`ThemeTable.is_alias`): it counts the same incidents, so suggestions offer only the
parent.

Local categories join the hierarchy with :func:`make_themes`::

    make_themes(crime_types={"Youth ASB": "youth-asb"}, parents={"youth_asb": "asb"})

adds the crime type "Youth ASB", its theme ``youth_asb`` under ``asb``, and counts it in ``asb``.

Examples
--------
>>> from snt_geo.themes import DEFAULT_THEMES
>>> DEFAULT_THEMES.members("street_crime")
('Robbery', 'Theft from the person')
>>> DEFAULT_THEMES.primary_theme("Robbery")
'street_crime'
>>> DEFAULT_THEMES.slug("Anti-social behaviour")
'anti-social-behaviour'
>>> DEFAULT_THEMES.parent("theft_from_the_person")
'street_crime'
>>> DEFAULT_THEMES.group("robbery"), DEFAULT_THEMES.group("burglary")
('street_crime', 'burglary')
>>> DEFAULT_THEMES.crime_type_of("violent-crime")
'Violence and sexual offences'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from snt_geo.errors import SchemaError

__all__ = [
    "CRIME_TYPES",
    "LEGACY_CRIME_TYPES",
    "THEME_KEYWORDS",
    "ThemeTable",
    "DEFAULT_THEMES",
    "make_themes",
]

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

#: The default hierarchy: theme key -> parent theme key.
_PARENTS_DEFAULT: dict[str, str] = {
    "anti_social_behaviour": "asb",
    "robbery": "street_crime",
    "theft_from_the_person": "street_crime",
}

#: Words and phrases that name a theme in a panel's free text (lower case, matched on whole
#: words after punctuation is read as spaces; the longest phrase found first in the text wins).
#: Extend it per call: ``read_priorities(path, keywords={"moped enabled": "street_crime"})``.
THEME_KEYWORDS: dict[str, str] = {
    # asb
    "asb": "asb",
    "anti social behaviour": "asb",
    "anti social behavior": "asb",
    "antisocial behaviour": "asb",
    "antisocial": "asb",
    "anti social": "asb",
    "youths congregating": "asb",
    "youth congregating": "asb",
    "nuisance": "asb",
    "noise": "asb",
    "street drinking": "asb",
    "rowdy": "asb",
    # street crime and its members
    "street crime": "street_crime",
    "robbery": "robbery",
    "robberies": "robbery",
    "mugging": "robbery",
    "muggings": "robbery",
    "theft from the person": "theft_from_the_person",
    "theft from person": "theft_from_the_person",
    "pickpocketing": "theft_from_the_person",
    "pickpockets": "theft_from_the_person",
    "pick pocketing": "theft_from_the_person",
    "phone snatching": "theft_from_the_person",
    "phone snatches": "theft_from_the_person",
    "bag snatching": "theft_from_the_person",
    "snatch theft": "theft_from_the_person",
    # the other police.uk types
    "burglary": "burglary",
    "burglaries": "burglary",
    "break ins": "burglary",
    "vehicle crime": "vehicle_crime",
    "car crime": "vehicle_crime",
    "theft from vehicles": "vehicle_crime",
    "theft from motor vehicles": "vehicle_crime",
    "bicycle theft": "bicycle_theft",
    "bike theft": "bicycle_theft",
    "cycle theft": "bicycle_theft",
    "drugs": "drugs",
    "drug dealing": "drugs",
    "drug use": "drugs",
    "cannabis": "drugs",
    "shoplifting": "shoplifting",
    "shop theft": "shoplifting",
    "criminal damage": "criminal_damage_arson",
    "graffiti": "criminal_damage_arson",
    "vandalism": "criminal_damage_arson",
    "arson": "criminal_damage_arson",
    "violence": "violent_crime",
    "violent crime": "violent_crime",
    "assault": "violent_crime",
    "assaults": "violent_crime",
    "public order": "public_order",
    "possession of weapons": "possession_of_weapons",
    "weapons": "possession_of_weapons",
    "knife crime": "possession_of_weapons",
    "knives": "possession_of_weapons",
    "other theft": "other_theft",
    "acquisitive crime": "acquisitive",
}

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _key(slug: str) -> str:
    return slug.replace("-", "_")


@dataclass(frozen=True)
class ThemeTable:
    """An immutable mapping of crime types to tasking themes, with the theme hierarchy.

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
    parents
        Theme key -> its parent theme key (see the module notes). A theme not listed has no
        parent and is its own group.
    """

    crime_types: Mapping[str, str]
    composite: Mapping[str, tuple[str, ...]]
    primary: tuple[str, ...] = ()
    parents: Mapping[str, str] = field(default_factory=dict)
    _primary: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_slug: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index each crime type's primary theme and each slug's crime type."""
        primary = {}
        by_slug: dict[str, str] = {}
        for name, slug in self.crime_types.items():
            primary[name] = next((t for t in self.primary if name in self.composite[t]), _key(slug))
            by_slug.setdefault(slug, name)  # police.uk's current name before a legacy one
        object.__setattr__(self, "_primary", primary)
        object.__setattr__(self, "_by_slug", by_slug)

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

    def crime_type_of(self, value: str) -> str | None:
        """Return the crime-type name of ``value``: a name (returned as is) or an API slug.

        ``'violent-crime'`` gives ``'Violence and sexual offences'`` (the current name, not the
        pre-2013 one). None when ``value`` is neither.
        """
        if value in self.crime_types:
            return value
        return self._by_slug.get(value)

    def key(self, crime_type: str) -> str:
        """Key of the one-crime-type theme of ``crime_type`` (``'theft_from_the_person'``)."""
        return _key(self.slug(crime_type))

    def primary_theme(self, crime_type: str) -> str:
        """Return the theme an incident of ``crime_type`` is filed under (``theme`` column)."""
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

    def parent(self, theme: str) -> str | None:
        """Return the parent of ``theme`` (``'robbery'`` -> ``'street_crime'``), or None.

        A key the table does not know (a local theme from a register) has no parent.
        """
        return self.parents.get(theme)

    def children(self, theme: str) -> tuple[str, ...]:
        """Return the themes whose parent is ``theme``, in table order."""
        return tuple(t for t, p in self.parents.items() if p == theme)

    def group(self, theme: str) -> str:
        """Return the top of ``theme``'s chain of parents (``theme`` itself without one).

        Shared priorities, register evidence and suggestions compare priorities by group.
        """
        seen = theme
        while seen in self.parents:
            seen = self.parents[seen]
        return seen

    def is_alias(self, theme: str) -> bool:
        """Tell whether ``theme`` counts exactly its parent's crime types.

        ``anti_social_behaviour`` is an alias of ``asb``.

        An alias adds no evidence beside its parent, so suggestions leave it out.
        """
        parent = self.parent(theme)
        if parent is None:
            return False
        return set(self.members(theme)) == set(self.members(parent))

    def describe_theme(self, theme: str) -> str:
        """``theme`` as a reader sees it: ``'theft_from_the_person (in street_crime)'``."""
        group = self.group(theme)
        return theme if group == theme else f"{theme} (in {group})"

    def to_frame(self):
        """One row per (theme, crime type).

        Columns ``theme``, ``crime_type``, ``slug``, ``composite``, ``parent`` (NA for a theme
        without one), ``group``.
        """
        import pandas as pd

        rows = [
            (t, n, self.crime_types[n], True) for t, ms in self.composite.items() for n in ms
        ] + [(_key(s), n, s, False) for n, s in self.crime_types.items()]
        frame = pd.DataFrame(rows, columns=["theme", "crime_type", "slug", "composite"])
        frame["parent"] = pd.array([self.parent(t) for t in frame["theme"]], dtype="string")
        frame["group"] = pd.array([self.group(t) for t in frame["theme"]], dtype="string")
        return frame


def make_themes(
    composite: Mapping[str, Iterable[str]] | None = None,
    *,
    crime_types: Mapping[str, str] | None = None,
    replace_defaults: bool = False,
    primary: Iterable[str] | None = None,
    parents: Mapping[str, str] | None = None,
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
        Drop the default composite themes (``asb``, ``street_crime``, ``acquisitive``) and the
        default hierarchy.
    primary
        Composite themes that file an incident under them in the ``theme`` column, in order of
        preference. Default: your own composite themes, then ``asb`` and ``street_crime``.
    parents
        Theme key -> parent theme key, added to (or, with ``replace_defaults=True``, replacing)
        the default hierarchy (``robbery`` and ``theft_from_the_person`` under ``street_crime``;
        ``anti_social_behaviour`` under ``asb``). The parent must be a composite theme; the
        child's crime types are added to the parent's, so a local ASB category counts in ``asb``.

    Raises
    ------
    SchemaError
        Every problem at once: a key that is not a lower-case identifier, unknown crime types,
        an empty theme, a composite key that clashes with a crime-type key, a ``primary`` or
        ``parents`` entry naming no theme, or a cycle in ``parents``.
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
    own_keys = {_key(s) for s in types.values()}
    clash = set(base) & own_keys
    if clash:
        problems.append(f"composite theme keys {sorted(clash)} clash with crime-type theme keys")
    hierarchy = {} if replace_defaults else dict(_PARENTS_DEFAULT)
    hierarchy.update(dict(parents or {}))
    known = set(base) | own_keys
    for child, parent in hierarchy.items():
        if child not in known:
            problems.append(f"`parents` names theme {child!r}, which is not a theme")
        elif parent not in base:
            problems.append(
                f"`parents` gives {child!r} the parent {parent!r}, which is not a composite theme"
            )
        elif child in base:
            continue
        else:
            extra = [n for n, s in types.items() if _key(s) == child]
            base[parent] = tuple(dict.fromkeys([*base[parent], *extra]))
    for child in hierarchy:
        chain, node = [child], child
        while node in hierarchy:
            node = hierarchy[node]
            if node in chain:
                problems.append(f"`parents` has a cycle: {' -> '.join([*chain, node])}")
                break
            chain.append(node)
    if primary is None:
        primary = [*dict(composite or {}), *(t for t in ("asb", "street_crime") if t in base)]
    primary = tuple(dict.fromkeys(primary))
    problems += [
        f"`primary` names {t!r}, which is not a composite theme" for t in primary if t not in base
    ]
    if problems:
        raise SchemaError("`composite` is not a valid theme mapping:", problems)
    return ThemeTable(crime_types=types, composite=base, primary=primary, parents=hierarchy)


DEFAULT_THEMES = make_themes()
