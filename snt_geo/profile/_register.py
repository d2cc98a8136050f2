"""Reading a priority register as panels keep it: headers, ward names and free-text themes.

Engines of :func:`snt_geo.profile.priorities.read_priorities` and
:func:`snt_geo.profile.priorities.match_register`; nothing here is public.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import pandas as pd

from snt_geo.themes import THEME_KEYWORDS, ThemeTable

# Normalised header (lower case, non-alphanumerics as "_") -> register column. A register names
# its ward by code, by name or both; ``ward_code`` and ``ward_name`` are tried in that order.
HEADER_SYNONYMS: dict[str, str] = {
    "ward_code": "ward_code",
    "ward_gss_code": "ward_code",
    "gss_code": "ward_code",
    "ward_id": "ward_code",
    "ward": "ward_name",
    "ward_name": "ward_name",
    "neighbourhood": "ward_name",
    "theme": "theme",
    "priority": "theme",
    "priority_theme": "theme",
    "ward_priority": "theme",
    "issue": "theme",
    "concern": "theme",
    "problem": "theme",
    "status": "status",
    "priority_status": "status",
    "set_on": "set_on",
    "date_set": "set_on",
    "date_agreed": "set_on",
    "agreed_on": "set_on",
    "date_adopted": "set_on",
    "start_date": "set_on",
    "date": "set_on",
    "review_on": "review_on",
    "review_date": "review_on",
    "date_for_review": "review_on",
    "next_review": "review_on",
    "review_by": "review_on",
    "source": "source",
    "set_by": "source",
    "raised_by": "source",
    "borough": "borough",
    "borough_name": "borough",
    "borough_code": "borough",
}

# Status words seen in registers -> register status.
STATUS_SYNONYMS: dict[str, str] = {
    "active": "active",
    "open": "active",
    "current": "active",
    "live": "active",
    "ongoing": "active",
    "in progress": "active",
    "closed": "closed",
    "complete": "closed",
    "completed": "closed",
    "resolved": "closed",
    "achieved": "closed",
    "suggested": "suggested",
    "proposed": "suggested",
}

_CODE = re.compile(r"^[ENSW]\d{8}$")


def normalise_header(name: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def find_columns(headers: list[str]) -> dict[str, str]:
    """Register column -> source header (the first header that names it)."""
    found: dict[str, str] = {}
    for h in headers:
        target = HEADER_SYNONYMS.get(normalise_header(h))
        if target is not None and target not in found:
            found[target] = h
    return found


def find_header_row(cells: pd.DataFrame, *, max_rows: int = 15) -> int | None:
    """Row position of the header in a sheet read without one (titles may sit above it)."""
    for i in range(min(max_rows, len(cells))):
        found = find_columns([str(v) for v in cells.iloc[i].tolist() if pd.notna(v)])
        if "theme" in found and ("ward_code" in found or "ward_name" in found):
            return i
    return None


def normalise_name(text: str) -> str:
    """Normalise a ward or borough name for comparison.

    ``"St. Pancras & Somers Town Ward"`` -> ``"st pancras and somers town"``.
    """
    text = str(text).lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^0-9a-z]+", " ", text).strip()
    text = re.sub(r"\bsaint\b", "st", text)
    return re.sub(r"\s+ward$", "", text)


def match_wards(
    values: pd.Series, boroughs: pd.Series | None, wards: pd.DataFrame | None
) -> pd.DataFrame:
    """Match each register ward (code or name) to a ward of ``wards``.

    Returns a frame indexed like ``values`` with ``ward_code`` (NA unless placed), ``ward_match``
    (``"code"``, ``"code not in wards"``, ``"name"``, ``"name and borough"``, ``"as given"``,
    ``"ambiguous"``, ``"unmatched"``, ``"blank"``) and ``ward_note`` (candidates or a suggestion).
    """
    text = values.astype("string").str.strip()
    out = pd.DataFrame(
        {
            "ward_code": pd.array([pd.NA] * len(text), dtype="string"),
            "ward_match": pd.array(["blank"] * len(text), dtype="string"),
            "ward_note": pd.array([pd.NA] * len(text), dtype="string"),
        },
        index=values.index,
    )
    codes = pd.Index([]) if wards is None else pd.Index(wards.index.astype(str))
    names: dict[str, list[str]] = {}
    borough_of: dict[str, set[str]] = {}
    if wards is not None and "ward_name" in wards.columns:
        for code, name in zip(codes, wards["ward_name"].astype("string"), strict=True):
            if pd.notna(name):
                names.setdefault(normalise_name(name), []).append(code)
        for col in ("borough_name", "borough_code"):
            if col in wards.columns:
                for code, b in zip(codes, wards[col].astype("string"), strict=True):
                    if pd.notna(b):
                        borough_of.setdefault(code, set()).add(normalise_name(b))
    label = (
        dict(zip(codes, wards["ward_name"].astype("string"), strict=True))
        if wards is not None and "ward_name" in wards.columns
        else {}
    )
    for pos, (idx, value) in enumerate(text.items()):
        if pd.isna(value) or value == "":
            continue
        if wards is None:
            if _CODE.match(value.upper()):
                out.iloc[pos, :2] = [value.upper(), "as given"]
            else:
                out.iloc[pos, 1:] = ["unmatched", "a ward name: pass `wards=` to match names"]
            continue
        if value in codes:
            out.iloc[pos, :2] = [value, "code"]
            continue
        if _CODE.match(value.upper()):
            out.iloc[pos, :3] = [value.upper(), "code not in wards", "another boundary vintage?"]
            continue
        if not names:
            out.iloc[pos, 1:] = ["unmatched", "`wards` has no ward_name column to match names"]
            continue
        hits = names.get(normalise_name(value), [])
        borough = boroughs.get(idx) if boroughs is not None else None
        if len(hits) > 1 and borough is not None and pd.notna(borough):
            b = normalise_name(borough)
            narrowed = [c for c in hits if b in borough_of.get(c, set())]
            if len(narrowed) == 1:
                out.iloc[pos, :2] = [narrowed[0], "name and borough"]
                continue
        if len(hits) == 1:
            out.iloc[pos, :2] = [hits[0], "name"]
        elif len(hits) > 1:
            where = ", ".join(f"{c} ({'/'.join(sorted(borough_of.get(c, {'?'})))})" for c in hits)
            out.iloc[pos, 1:] = ["ambiguous", f"{len(hits)} wards are named so: {where}"]
        else:
            close = difflib.get_close_matches(normalise_name(value), list(names), n=1, cutoff=0.75)
            hint = (
                f"did you mean {label[names[close[0]][0]]!r} ({', '.join(names[close[0]])})?"
                if close
                else "no ward of that name in `wards`"
            )
            out.iloc[pos, 1:] = ["unmatched", hint]
    return out


def clean_key(text: str) -> str:
    """Make a theme key from free text: ``"Begging / rough sleeping"`` -> ``begging_rough_...``.

    Lower case, every run of other characters one ``_`` (``begging_rough_sleeping``); a key
    that would start with a digit gets a ``t_`` prefix.
    """
    key = re.sub(r"[^0-9a-z]+", "_", str(text).lower()).strip("_")
    if key and not key[0].isalpha():
        key = f"t_{key}"
    return key


def keyword_table(keywords: Mapping[str, str] | None) -> list[tuple[str, str, re.Pattern]]:
    """(phrase, theme, pattern), longest phrase first; ``keywords`` added over the defaults."""
    table = {**THEME_KEYWORDS, **{_words(k): v for k, v in dict(keywords or {}).items()}}
    return [
        (phrase, theme, re.compile(rf"\b{re.escape(phrase)}\b"))
        for phrase, theme in sorted(table.items(), key=lambda kv: -len(kv[0]))
    ]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^0-9a-z]+", " ", str(text).lower())).strip()


def theme_of_text(text: str, themes: ThemeTable, table) -> tuple[str, str]:
    """(theme key, how it was matched) for one register entry.

    Tried in order: a theme key (``"street_crime"``, ``"street-crime"``), a crime-type name or
    API slug, then the keyword table (the match that starts first in the text, the longest at
    that place); otherwise a local theme keyed by :func:`clean_key`.
    """
    key, how = _known_theme(text, themes, table)
    if key in themes.themes and themes.is_alias(key):  # "Anti-social behaviour" is asb
        return themes.parent(key) or key, how
    return key, how


def _known_theme(text: str, themes: ThemeTable, table) -> tuple[str, str]:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if key in themes.themes:
        return key, "theme key"
    crime_type = themes.crime_type_of(text.strip())
    if crime_type is None:
        crime_type = next(
            (n for n in themes.crime_types if n.lower() == text.strip().lower()), None
        )
    if crime_type is not None:
        return themes.key(crime_type), "crime type"
    words = _words(text)
    hits = []
    for phrase, theme, pattern in table:
        m = pattern.search(words)
        if m:
            hits.append((m.start(), -len(phrase), phrase, theme))
    if hits:
        hits.sort()
        _, _, phrase, theme = hits[0]
        others = sorted({t for *_, t in hits if themes.group(t) != themes.group(theme)})
        how = f"keyword {phrase!r}"
        if others:
            how += f" (also named: {', '.join(others)})"
        return theme, how
    return clean_key(text), "local theme"
