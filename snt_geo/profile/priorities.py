"""The ward priority register: reading and checking it, and suggesting priorities from evidence.

Neighbourhood Panels set 3-5 priorities per ward from the ward profile and review them. The
register is one row per (ward, theme) decision, with these columns (:data:`PRIORITY_COLUMNS`):

===============  ==================================================================================
``ward_code``    ward code, as in the wards the register is about (string)
``theme``        theme key of :mod:`snt_geo.themes` (``asb``, ``street_crime``, ``burglary``...)
``status``       ``"active"``, ``"closed"`` or ``"suggested"`` (a data suggestion not yet adopted)
``set_on``       date the panel set it (``datetime64``; required for active and closed rows)
``review_on``    date it is due for review (``datetime64``; may be blank)
``source``       who or what set it: ``"panel"``, ``"ward profile"``... (string; may be blank)
===============  ==================================================================================

Any further columns are kept after these.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from snt_geo._dates import parse_dates
from snt_geo._format import format_count, format_pvalue, format_rate
from snt_geo.errors import SchemaError
from snt_geo.io._accounting import ReadReport, attach
from snt_geo.profile._register import (
    STATUS_SYNONYMS,
    clean_key,
    find_columns,
    find_header_row,
    keyword_table,
    match_wards,
    theme_of_text,
)
from snt_geo.profile.profile import WardProfile, profile_info
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "PRIORITY_COLUMNS",
    "PRIORITY_STATUSES",
    "REGISTER_MATCH_COLUMNS",
    "SUGGESTION_COLUMNS",
    "match_register",
    "read_priorities",
    "validate_priorities",
    "suggest_priorities",
]

#: Columns of the priority register, in order.
PRIORITY_COLUMNS = ("ward_code", "theme", "status", "set_on", "review_on", "source")
#: Columns :func:`read_priorities` adds after :data:`PRIORITY_COLUMNS`: how each row was read.
REGISTER_MATCH_COLUMNS = ("ward_match", "theme_text", "theme_match")
#: Allowed values of ``status``.
PRIORITY_STATUSES = ("active", "closed", "suggested")
#: Evidence columns :func:`suggest_priorities` adds after :data:`PRIORITY_COLUMNS`.
SUGGESTION_COLUMNS = (
    "rank",
    "score",
    "count",
    "rate_per_1000",
    "rate_ratio",
    "rate_percentile",
    "lq",
    "lq_borough",
    "lq_percentile",
    "comparison",
    "change_pct",
    "p_value",
    "trend",
    "small_number",
    "reason",
    "group",
)

_REQUIRED = ("ward_code", "theme", "status", "set_on")


def _header(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _theme_key(value: str, themes: ThemeTable) -> str:
    """Theme key for a register entry: a key, a crime-type name or a police.uk slug."""
    if value in themes.crime_types:
        return themes.key(value)
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _ward_codes(wards) -> pd.Index | None:
    if wards is None:
        return None
    if isinstance(wards, pd.DataFrame):
        return pd.Index(wards.index.astype("string"))
    return pd.Index(pd.array(list(wards), dtype="string"))


def validate_priorities(
    priorities: pd.DataFrame,
    *,
    wards=None,
    themes: ThemeTable | None = None,
    min_active: int = 3,
    max_active: int = 5,
) -> pd.DataFrame:
    """Check a priority register and return it in the register schema.

    Parameters
    ----------
    priorities
        A table with at least ``ward_code``, ``theme``, ``status`` and ``set_on`` (headers are
        matched case-insensitively, spaces read as underscores); ``review_on`` and ``source`` are
        added blank when absent. Never modified.
    wards
        Wards to check the codes against: a wards GeoDataFrame (indexed by ward code) or a list
        of codes. Default None: ward codes are not checked.
    themes
        Theme table the themes must come from; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    min_active, max_active
        The panel guidance: 3 to 5 active priorities per ward.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``priorities``; columns :data:`PRIORITY_COLUMNS` (``ward_code``, ``theme``,
        ``status``, ``source`` as strings; ``set_on``, ``review_on`` as ``datetime64``), then the
        other columns as given. Themes are normalised to keys (``"ASB"`` -> ``"asb"``,
        ``"Theft from the person"`` -> ``"theft_from_the_person"``). ``attrs["priority_checks"]``
        holds the findings: ``unknown_wards``, ``unknown_themes``, ``duplicates`` (row labels),
        ``active_per_ward`` (Series), ``too_many_active`` and ``too_few_active`` (ward codes).

    Raises
    ------
    SchemaError
        Structural problems, all listed at once: missing columns, blank ward codes or themes, a
        status other than active/closed/suggested, an unparseable or missing ``set_on`` on an
        active or closed row, an unparseable ``review_on``, or ``review_on`` before ``set_on``.

    Warns
    -----
    UserWarning
        Problems of content, each with counts and examples, rows kept: ward codes not in
        ``wards`` (a register from another boundary vintage), themes not in ``themes`` (a local
        theme needs :func:`snt_geo.themes.make_themes`), the same active (ward, theme) twice, and
        wards with more than ``max_active`` or fewer than ``min_active`` active priorities
        (counted over wards with at least one active or closed row, so a register for one
        borough does not warn about the rest of London, nor a table of suggestions at all).
    """
    return _validate(
        priorities,
        wards=wards,
        themes=themes,
        min_active=min_active,
        max_active=max_active,
        stacklevel=3,
    )


def _validate(
    priorities: pd.DataFrame,
    *,
    wards,
    themes: ThemeTable | None,
    min_active: int,
    max_active: int,
    stacklevel: int,
) -> pd.DataFrame:
    themes = themes or DEFAULT_THEMES
    if not isinstance(priorities, pd.DataFrame):
        raise TypeError(
            f"`priorities` must be a DataFrame; got {type(priorities).__name__}. Read a CSV "
            "register with read_priorities(path)."
        )
    frame = priorities.rename(columns=_header)
    if frame.columns.duplicated().any():
        dupes = frame.columns[frame.columns.duplicated()].tolist()
        raise SchemaError(
            "`priorities` has columns that clash once headers are normalised:", [str(dupes)]
        )
    problems = [
        f"missing column `{c}` (columns: {list(priorities.columns)})"
        for c in _REQUIRED
        if c not in frame.columns
    ]
    if problems:
        raise SchemaError("`priorities` is not a priority register:", problems)
    out = pd.DataFrame(index=priorities.index)
    out["ward_code"] = frame["ward_code"].astype("string").str.strip()
    theme_text = frame["theme"].astype("string").str.strip()
    out["theme"] = pd.array(
        [pd.NA if pd.isna(t) or t == "" else _theme_key(t, themes) for t in theme_text],
        dtype="string",
    )
    out["status"] = frame["status"].astype("string").str.strip().str.lower()
    out["set_on"] = parse_dates(frame["set_on"], argument="set_on")
    review = frame["review_on"] if "review_on" in frame.columns else pd.Series(pd.NA, frame.index)
    out["review_on"] = parse_dates(review, argument="review_on")
    source = frame["source"] if "source" in frame.columns else pd.Series(pd.NA, frame.index)
    out["source"] = source.astype("string")
    for col in frame.columns:
        if col not in out.columns:
            out[col] = frame[col].to_numpy()

    def rows(mask) -> str:
        labels = list(priorities.index[np.asarray(mask, dtype=bool)])
        more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
        return f"{labels[:5]}{more}"

    blank_ward = out["ward_code"].isna() | (out["ward_code"] == "")
    if blank_ward.any():
        problems.append(f"rows {rows(blank_ward)} have no ward_code")
    if out["theme"].isna().any():
        problems.append(f"rows {rows(out['theme'].isna())} have no theme")
    bad_status = ~out["status"].isin(PRIORITY_STATUSES).fillna(False).to_numpy(dtype=bool)
    if bad_status.any():
        values = sorted({str(v) for v in out["status"][bad_status]})
        problems.append(
            f"rows {rows(bad_status)} have status {values}; use one of {list(PRIORITY_STATUSES)}"
        )
    decided = out["status"].isin(["active", "closed"]).fillna(False).to_numpy(dtype=bool)
    raw_set = frame["set_on"].astype("string").str.strip()
    no_set = decided & out["set_on"].isna().to_numpy() & (raw_set.isna() | (raw_set == ""))
    bad_set = out["set_on"].isna().to_numpy() & raw_set.notna().to_numpy() & (raw_set != "")
    if no_set.any():
        problems.append(f"rows {rows(no_set)} are active or closed but have no set_on date")
    if bad_set.any():
        problems.append(
            f"rows {rows(bad_set)} have set_on values that are not dates "
            f"(e.g. {raw_set[bad_set].iloc[0]!r}); use YYYY-MM-DD or DD/MM/YYYY"
        )
    raw_review = review.astype("string").str.strip()
    bad_review = (
        out["review_on"].isna().to_numpy() & raw_review.notna().to_numpy() & (raw_review != "")
    )
    if bad_review.any():
        problems.append(
            f"rows {rows(bad_review)} have review_on values that are not dates "
            f"(e.g. {raw_review[bad_review].iloc[0]!r}); use YYYY-MM-DD or DD/MM/YYYY"
        )
    backwards = (out["review_on"] < out["set_on"]).fillna(False).to_numpy(dtype=bool)
    if backwards.any():
        problems.append(f"rows {rows(backwards)} have review_on before set_on")
    if problems:
        raise SchemaError("`priorities` has invalid entries:", problems)

    known_wards = _ward_codes(wards)
    unknown_wards = (
        sorted(set(out["ward_code"]) - set(known_wards)) if known_wards is not None else []
    )
    unknown_themes = sorted(set(out["theme"]) - set(themes.themes))
    active = out[out["status"] == "active"]
    dup_mask = active.duplicated(["ward_code", "theme"], keep="first")
    duplicates = list(active.index[dup_mask.to_numpy()])
    # Wards the panel has decided on (an active or closed row); suggestions alone do not count.
    decided_wards = out.loc[decided, "ward_code"].unique()
    per_ward = (
        active.drop_duplicates(["ward_code", "theme"])
        .groupby("ward_code")
        .size()
        .reindex(pd.Index(decided_wards, dtype="string"), fill_value=0)
    )
    per_ward.index.name = "ward_code"
    per_ward.name = "active"
    too_many = per_ward[per_ward > max_active]
    too_few = per_ward[per_ward < min_active]
    out.attrs["priority_checks"] = {
        "unknown_wards": unknown_wards,
        "unknown_themes": unknown_themes,
        "duplicates": duplicates,
        "active_per_ward": per_ward,
        "too_many_active": list(too_many.index),
        "too_few_active": list(too_few.index),
    }
    notes = []
    if unknown_wards:
        notes.append(
            f"{len(unknown_wards)} ward code(s) not in `wards` (e.g. {unknown_wards[:3]}); "
            "a register from another boundary vintage?"
        )
    if unknown_themes:
        notes.append(
            f"{len(unknown_themes)} theme(s) not in the theme table ({unknown_themes[:5]}); "
            f"known: {list(themes.themes)}; define local themes with make_themes()"
        )
    if duplicates:
        notes.append(f"{len(duplicates)} repeated active (ward, theme) row(s): {duplicates[:5]}")
    if len(too_many):
        examples = ", ".join(f"{w}: {n}" for w, n in too_many.head(5).items())
        notes.append(
            f"{len(too_many)} ward(s) with more than {max_active} active priorities ({examples})"
        )
    if len(too_few):
        examples = ", ".join(f"{w}: {n}" for w, n in too_few.head(5).items())
        notes.append(
            f"{len(too_few)} ward(s) with fewer than {min_active} active priorities ({examples})"
        )
    if notes:
        warnings.warn(
            "priority register (rows kept): " + "; ".join(notes) + ". Details in "
            "attrs['priority_checks'].",
            UserWarning,
            stacklevel=stacklevel,
        )
    return out


def read_priorities(
    path,
    *,
    wards=None,
    themes: ThemeTable | None = None,
    keywords: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    min_active: int = 3,
    max_active: int = 5,
) -> pd.DataFrame:
    """Read a priority register (CSV or Excel, as panels keep it) and check it.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8 with or without BOM, else Windows-1252, Excel's "CSV") or ``.xlsx``
        file. The header row may sit below title rows. Headers are recognised by name
        (case, spaces and punctuation ignored): the ward as ``Ward code`` and/or ``Ward`` /
        ``Ward name``; the priority as ``Theme``, ``Priority``, ``Issue``...; ``Status``;
        ``Date set`` / ``Set on`` / ``Date agreed``; ``Review date`` / ``Review on``; ``Source`` /
        ``Set by``; an optional ``Borough`` that settles wards of the same name. Without a
        status column every row is ``active``; ``Open``/``Current`` read as active,
        ``Completed``/``Resolved`` as closed, ``Proposed`` as suggested.
    wards
        The wards the register is about (the wards schema, indexed by ward code, with
        ``ward_name``): each row's ward is matched by code, else by name (case, ``&``/``and``,
        ``St.``/``Saint`` and apostrophes ignored), else by name and borough. Rows whose ward is
        blank, unmatched (a misspelling: the closest name is suggested) or ambiguous (the same
        name in several boroughs) are dropped and counted, each named in the warning. Default
        None: GSS codes are taken as given, unchecked; names cannot be matched and are dropped
        (counted as ``unmatched_ward``).
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    keywords
        Extra phrases for free text, phrase -> theme key (``{"moped crime": "street_crime"}``),
        added over :data:`snt_geo.themes.THEME_KEYWORDS`.
    sheet
        Excel sheet name or position. Default: the one sheet whose header names a ward and a
        priority; several such sheets (or none) raise, listing the sheets.
    min_active, max_active
        As in :func:`validate_priorities`.

    Returns
    -------
    pandas.DataFrame
        The register (see :func:`validate_priorities`): columns :data:`PRIORITY_COLUMNS`, then
        ``ward_match``, ``theme_text``, ``theme_match`` (see :func:`match_register`), then the
        file's other columns. Indexed by each row's position among the file's data rows (0 =
        the first row under the header), so a ``RangeIndex`` when no row was dropped.
        ``attrs["read_report"]`` is a :class:`~snt_geo.io.ReadReport`: rows read, kept, and
        dropped as ``blank_ward``, ``unmatched_ward``, ``ambiguous_ward``; notes
        ``matched_by_name``, ``themes_from_keywords``, ``local_themes``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    SchemaError
        No ward or priority column, an empty file, an Excel sheet that cannot be chosen, or the
        structural problems of :func:`validate_priorities`.

    Notes
    -----
    Free text becomes a theme by :func:`match_register`'s rules: a theme key, a crime-type name
    or API slug, then the keyword table; text no keyword names is kept as a *local* theme, its
    words intact in ``theme_text`` and its key cleaned (``"Begging / rough sleeping"`` ->
    ``begging_rough_sleeping``).

    Examples
    --------
    >>> from snt_geo.datasets import sample_paths
    >>> paths = sample_paths()
    >>> register = read_priorities(paths.priorities)
    >>> register.shape[0], list(register.columns[:3])
    (93, ['ward_code', 'theme', 'status'])
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass the priority register (.csv or .xlsx) "
            f"with columns such as {', '.join(PRIORITY_COLUMNS)}."
        )
    raw = _read_register_file(path, sheet=sheet)
    rows = match_register(raw, wards=wards, themes=themes, keywords=keywords)
    if "set_on" not in find_columns(list(raw.columns)):
        raise SchemaError(
            f"`path` {path.name!r} is not a priority register (columns: {list(raw.columns)}):",
            [
                "missing column `set_on` (the date the panel set the priority: Set on, Date set, "
                "Date agreed)"
            ],
        )
    placed = rows["placed"].to_numpy(dtype=bool)
    found = find_columns(list(raw.columns))
    register = pd.DataFrame(index=raw.index[placed])
    register["ward_code"] = rows.loc[placed, "ward_code"]
    register["theme"] = rows.loc[placed, "theme"]
    status = (
        raw.loc[placed, found["status"]].astype("string").str.strip()
        if "status" in found
        else pd.Series("active", index=register.index, dtype="string")
    )
    register["status"] = status.str.lower().map(lambda v: STATUS_SYNONYMS.get(v, v))
    for col in ("set_on", "review_on", "source"):
        register[col] = raw.loc[placed, found[col]] if col in found else pd.NA
    register["ward_match"] = rows.loc[placed, "ward_match"]
    register["theme_text"] = rows.loc[placed, "theme_text"]
    register["theme_match"] = rows.loc[placed, "theme_match"]
    used = set(found.values())
    for col in raw.columns:
        if col not in used and _header(col) not in register.columns:
            register[col] = raw.loc[placed, col]
    report = _register_report(path.name, rows)
    attach(register, report)
    if not placed.all() or report.note("local_themes"):
        _warn_unplaced(rows, report)
    out = _validate(
        register,
        wards=None if wards is None else wards,
        themes=themes,
        min_active=min_active,
        max_active=max_active,
        stacklevel=3,
    )
    attach(out, report)
    return out


def match_register(
    priorities: pd.DataFrame,
    *,
    wards=None,
    themes: ThemeTable | None = None,
    keywords: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Account for every row of a register as kept: which ward and theme it was read as, and how.

    Parameters
    ----------
    priorities
        A register as kept (headers as described in :func:`read_priorities`). Never modified.
    wards, themes, keywords
        As in :func:`read_priorities`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``priorities``; columns ``ward_text`` (the ward as written), ``ward_code``
        (NA unless placed), ``ward_match`` (``"code"``, ``"code not in wards"``, ``"name"``,
        ``"name and borough"``, ``"as given"`` when ``wards`` is None, or the reason the row is
        not placed: ``"blank"``, ``"unmatched"``, ``"ambiguous"``), ``ward_note`` (the
        candidates, or the closest ward name), ``theme_text`` (the priority as written),
        ``theme`` (a theme key), ``theme_match`` (``"theme key"``, ``"crime type"``,
        ``"keyword '<phrase>'"``, ``"local theme"``, or ``"blank"``) and ``placed`` (bool: the
        row has a ward code and a theme). A theme that only repeats its parent
        (``anti_social_behaviour``) is read as the parent (``asb``).

    Raises
    ------
    SchemaError
        ``priorities`` has no ward column or no priority column; ``keywords`` maps a phrase to
        something that is not a theme key.
    """
    themes = themes or DEFAULT_THEMES
    if not isinstance(priorities, pd.DataFrame):
        raise TypeError(f"`priorities` must be a DataFrame; got {type(priorities).__name__}.")
    found = find_columns(list(priorities.columns))
    problems = []
    if "ward_code" not in found and "ward_name" not in found:
        problems.append("no ward column (Ward, Ward name, Ward code)")
    if "theme" not in found:
        problems.append("no priority column (Theme, Priority, Issue)")
    bad_keys = [f"{k!r} -> {v!r}" for k, v in dict(keywords or {}).items() if clean_key(v) != v]
    if bad_keys:
        problems.append(f"`keywords` must map phrases to theme keys such as 'asb'; got {bad_keys}")
    if problems:
        raise SchemaError(
            f"`priorities` is not a priority register (columns: {list(priorities.columns)}):",
            problems,
        )
    ward_text = _blank_to_na(priorities[found["ward_code"]]) if "ward_code" in found else None
    if "ward_name" in found:
        names = _blank_to_na(priorities[found["ward_name"]])
        ward_text = names if ward_text is None else ward_text.fillna(names)
    boroughs = _blank_to_na(priorities[found["borough"]]) if "borough" in found else None
    assert ward_text is not None  # a ward column was found above
    known = None
    if wards is not None:
        known = wards if isinstance(wards, pd.DataFrame) else pd.DataFrame(index=_ward_codes(wards))
    rows = match_wards(ward_text, boroughs, known)
    rows.insert(0, "ward_text", ward_text)
    theme_text = _blank_to_na(priorities[found["theme"]])
    table = keyword_table(keywords)
    matched = [
        (pd.NA, "blank") if pd.isna(t) else theme_of_text(str(t), themes, table) for t in theme_text
    ]
    rows["theme_text"] = theme_text
    rows["theme"] = pd.array([m[0] for m in matched], dtype="string")
    rows["theme_match"] = pd.array([m[1] for m in matched], dtype="string")
    rows["placed"] = (rows["ward_code"].notna() & rows["theme"].notna()).to_numpy(dtype=bool)
    return rows


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _read_register_file(path: Path, *, sheet) -> pd.DataFrame:
    """Read the register's cells as text (Excel dates kept as datetimes), header located."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        if sheet is not None:
            names = list(book)
            key = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else sheet
            if key not in book:
                raise SchemaError(f"`sheet` {sheet!r} is not in {path.name!r}; sheets: {names}.")
            candidates = {key: book[key]}
        else:
            candidates = {n: c for n, c in book.items() if find_header_row(c) is not None}
            if len(candidates) != 1:
                what = "no sheet" if not candidates else f"sheets {list(candidates)} all"
                raise SchemaError(
                    f"`path` {path.name!r}: {what} look like a register (a header naming a ward "
                    f"and a priority); sheets: {list(book)}. Pass `sheet=` to choose one."
                )
        cells = next(iter(candidates.values()))
    else:
        data = path.read_bytes()
        if not data.strip():
            raise SchemaError(
                f"`path` {str(path)!r} is empty; a register needs a header row "
                f"({', '.join(PRIORITY_COLUMNS)})."
            )
        not_table = SchemaError(
            f"`path` {path.name!r} is not a CSV or Excel (.xlsx) table; a priority register is "
            "a spreadsheet with a header row (Ward, Priority, Date set...)."
        )
        if data.startswith((b"SQLite format 3\x00", b"PK\x03\x04", b"\x00")):
            raise not_table  # a GeoPackage, a zip (or an .xlsx saved under another name)
        try:
            try:
                cells = _read_csv_cells(path, "utf-8-sig")
            except UnicodeDecodeError:
                cells = _read_csv_cells(path, "cp1252")
        except (UnicodeDecodeError, pd.errors.ParserError):
            raise not_table from None
    cells = cells.dropna(how="all")
    header = find_header_row(cells)
    if header is None:
        first = [str(v) for v in cells.iloc[0].tolist()] if len(cells) else []
        raise SchemaError(
            f"`path` {path.name!r} is not a priority register: no header row names a ward and a "
            f"priority (first row: {first}); expected columns such as "
            f"{', '.join(PRIORITY_COLUMNS)} or Ward, Priority, Date set.",
        )
    columns = [
        str(v).strip() if pd.notna(v) else f"column_{i}"
        for i, v in enumerate(cells.iloc[header].tolist())
    ]
    body = cells.iloc[header + 1 :].copy()
    body.columns = columns
    body = body.loc[:, [c for c in columns if not c.startswith("column_") or body[c].notna().any()]]
    body.index = pd.RangeIndex(len(body))
    return body


def _read_csv_cells(path: Path, encoding: str) -> pd.DataFrame:
    frame = pd.read_csv(
        path, header=None, dtype=object, encoding=encoding, keep_default_na=False, na_values=[""]
    )
    return frame


def _register_report(name: str, rows: pd.DataFrame) -> ReadReport:
    how = rows["ward_match"]
    theme_how = rows["theme_match"].fillna("")
    counts = {
        "rows_read": len(rows),
        "rows_kept": int(rows["placed"].sum()),
        "blank_ward": int((how == "blank").sum()),
        "unmatched_ward": int((how == "unmatched").sum()),
        "ambiguous_ward": int((how == "ambiguous").sum()),
        "blank_theme": int(((how != "blank") & ~how.isin(_UNPLACED) & rows["theme"].isna()).sum()),
    }
    placed = rows["placed"].to_numpy(dtype=bool)
    notes = {
        "matched_by_name": int(how[placed].isin(["name", "name and borough"]).sum()),
        "themes_from_keywords": int(theme_how[placed].str.startswith("keyword").sum()),
        "local_themes": int((theme_how[placed] == "local theme").sum()),
    }
    return ReadReport(
        reader="read_priorities",
        files={name: counts},
        reasons=("blank_ward", "unmatched_ward", "ambiguous_ward", "blank_theme"),
        notes={name: notes},
    )


_UNPLACED = ("blank", "unmatched", "ambiguous")


def _warn_unplaced(rows: pd.DataFrame, report: ReadReport) -> None:
    lines = []
    for idx, r in rows[~rows["placed"]].iterrows():
        reason = f"ward {r['ward_match']}" if r["ward_match"] in _UNPLACED else "no priority text"
        note = f" ({r['ward_note']})" if pd.notna(r["ward_note"]) else ""
        lines.append(f"row {idx}: {r['ward_text']!s} / {r['theme_text']!s}: {reason}{note}")
    local = rows[rows["placed"] & (rows["theme_match"] == "local theme")]
    if len(local):
        lines.append(
            f"{len(local)} priorities kept as local themes (no keyword names them): "
            + ", ".join(
                f"{t!r} -> {k}"
                for t, k in list(zip(local["theme_text"], local["theme"], strict=True))[:5]
            )
            + "; add phrases with `keywords=` to map them"
        )
    warnings.warn(report.summary() + " " + "; ".join(lines), UserWarning, stacklevel=3)


def suggest_priorities(
    profile: pd.DataFrame,
    *,
    n: int = 5,
    themes: Sequence[str] | None = None,
    alpha: float = 0.05,
    as_of=None,
    theme_table: ThemeTable | None = None,
) -> pd.DataFrame:
    """Rank candidate priority themes per ward by the evidence in the ward profile.

    Parameters
    ----------
    profile
        The output of :func:`~snt_geo.profile.profile.ward_profile` (a ``WardProfile``, or its
        ``.wards`` frame).
    n
        Suggestions per ward (default 5, the most a panel should hold).
    themes
        Candidate theme keys. Default: every theme in the profile except aliases, themes that
        count exactly their parent's crime types (``anti_social_behaviour`` beside ``asb``; see
        :meth:`snt_geo.themes.ThemeTable.is_alias`). Composite themes overlap their members
        (``street_crime`` holds ``robbery``); pass a list to choose one level, e.g.
        ``["asb", "street_crime", "burglary", "vehicle_crime"]``.
    alpha
        Significance level for calling a change a rise or a fall (default 0.05).
    as_of
        ``set_on`` date of the suggestions. Default: the first day after the profile period.
    theme_table
        The theme table the profile was built with. Default: groups come from the profile's
        own record (``ProfileMethod.theme_parents``) and aliases from
        :data:`snt_geo.themes.DEFAULT_THEMES`.

    Returns
    -------
    pandas.DataFrame
        In the register schema, so it can be validated, edited and adopted: a ``RangeIndex``;
        columns :data:`PRIORITY_COLUMNS` with ``status = "suggested"``, ``set_on = as_of``,
        ``review_on`` blank, ``source = "suggest_priorities <period>"``; then the evidence
        (:data:`SUGGESTION_COLUMNS`): ``rank`` (1 = strongest, per ward), ``score`` (0-1),
        ``count``, ``rate_per_1000``, ``rate_ratio`` (ward rate / rate over all wards with a
        population), ``rate_percentile`` and ``lq_percentile`` (0-1 among wards, for this theme),
        ``lq``, ``lq_borough``, ``comparison`` (baseline used), ``change_pct``, ``p_value``,
        ``trend`` (``"rising"``, ``"falling"``, ``"steady"``, or NA without a baseline),
        ``small_number``, ``reason`` (one plain-English line), ``group`` (the theme's group in the
        hierarchy: ``street_crime`` for ``robbery``, the theme itself for a top-level theme).
        Rows by ward (profile order), then rank. Themes with no incidents in the ward are not
        suggested.

    Notes
    -----
    A transparent heuristic, not a model: ``score`` is the mean of up to three components, each
    in [0, 1] -- how high the ward's rate is among all wards (percentile; the count percentile
    when the ward has no usable population), how over-represented the theme is in the ward's
    crime mix (LQ percentile), and the trend (1 rising, 0.5 steady, 0 falling, at ``alpha``, on
    the exact Poisson test against ``"previous"``, else ``"year_earlier"``). Themes resting on
    small numbers rank after all others. Percentiles are ``rank(pct=True)`` with ties averaged.

    To count suggestions as priorities elsewhere (e.g.
    :func:`snt_geo.linkage.shared_priorities.flag_shared_priorities`, which counts only
    ``status == "active"``), adopt them explicitly: ``suggestions.assign(status="active")``.
    """
    info = profile_info(profile)
    if isinstance(profile, WardProfile):
        profile = profile.wards
    if int(n) != n or n < 1:
        raise ValueError(f"`n` must be a whole number >= 1; got {n!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be between 0 and 1; got {alpha!r}.")
    hierarchy = theme_table or DEFAULT_THEMES
    candidates = (
        [t for t in info.themes if not (t in hierarchy.themes and hierarchy.is_alias(t))]
        if themes is None
        else list(themes)
    )
    unknown = [t for t in candidates if t not in info.themes]
    if unknown:
        raise ValueError(
            f"`themes` names {unknown}, which the profile does not hold; profiled themes: "
            f"{list(info.themes)}."
        )
    comparison = next(
        (b for b in ("previous", "year_earlier") if info.baselines.get(b, (0, 0, False))[2]), None
    )
    set_on = (
        pd.Timestamp(as_of) if as_of is not None else (info.period_end + 1).start_time
    ).normalize()
    source = f"suggest_priorities {info.period_start}..{info.period_end}"
    pop = profile["population"].to_numpy(dtype=float)
    parts = []
    for key in candidates:
        count = profile[f"{key}_count"].to_numpy()
        rate = profile[f"{key}_rate_per_1000"].to_numpy(dtype=float)
        usable = ~np.isnan(rate)
        all_rate = count[usable].sum() / pop[usable].sum() * 1000.0 if usable.any() else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            rate_ratio = rate / all_rate if all_rate > 0 else np.full(len(rate), np.nan)
        rate_pct = pd.Series(rate).rank(pct=True).to_numpy()
        count_pct = pd.Series(count.astype(float)).rank(pct=True).to_numpy()
        lq = profile[f"{key}_lq"].to_numpy(dtype=float)
        lq_pct = pd.Series(lq).rank(pct=True).to_numpy()
        if comparison is not None:
            change = profile[f"{key}_change_pct_{comparison}"].to_numpy(dtype=float)
            p = profile[f"{key}_p_{comparison}"].to_numpy(dtype=float)
            base = profile[f"{key}_count_{comparison}"].to_numpy(dtype=float, na_value=np.nan)
            significant = p < alpha
            trend = np.where(
                significant & (count > base),
                "rising",
                np.where(significant & (count < base), "falling", "steady"),
            ).astype(object)
            trend_score = np.select([trend == "rising", trend == "falling"], [1.0, 0.0], 0.5)
        else:
            change = p = np.full(len(count), np.nan)
            trend = np.full(len(count), None, dtype=object)
            trend_score = np.full(len(count), np.nan)
        level = np.where(np.isnan(rate_pct), count_pct, rate_pct)
        score = np.nanmean(np.vstack([level, lq_pct, trend_score]), axis=0)
        parts.append(
            pd.DataFrame(
                {
                    "ward_code": profile.index.astype("string"),
                    "order": np.arange(len(profile)),
                    "theme": key,
                    "score": score,
                    "count": count.astype(np.int64),
                    "rate_per_1000": rate,
                    "rate_ratio": rate_ratio,
                    "rate_percentile": rate_pct,
                    "lq": lq,
                    "lq_borough": profile[f"{key}_lq_borough"].to_numpy(dtype=float),
                    "lq_percentile": lq_pct,
                    "comparison": comparison,
                    "change_pct": change,
                    "p_value": p,
                    "trend": trend,
                    "small_number": profile[f"{key}_small_number"].to_numpy(dtype=bool),
                }
            )
        )
    columns = [*PRIORITY_COLUMNS, *SUGGESTION_COLUMNS]
    if not parts:
        return pd.DataFrame({c: [] for c in columns})
    table = pd.concat(parts, ignore_index=True)
    table = table[table["count"] > 0]
    table = table.sort_values(
        ["order", "small_number", "score", "count"],
        ascending=[True, True, False, False],
        kind="stable",
    )
    table["rank"] = table.groupby("order").cumcount() + 1
    table = table[table["rank"] <= n].reset_index(drop=True)
    table["reason"] = [_reason(row, info.min_count) for row in table.itertuples(index=False)]
    table["group"] = table["theme"].map(_group_of(info, theme_table))
    table["status"] = "suggested"
    table["set_on"] = pd.Series(set_on, index=table.index).astype("datetime64[ns]")
    table["review_on"] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    table["source"] = source
    for c in ("ward_code", "theme", "status", "source", "comparison", "trend", "reason", "group"):
        table[c] = table[c].astype("string")
    return table[columns]


def _group_of(info, theme_table: ThemeTable | None):
    """Theme -> its group: from ``theme_table`` when given, else the profile's own hierarchy."""
    if theme_table is not None:
        return theme_table.group
    parents = dict(getattr(info, "theme_parents", ()) or ()) or dict(DEFAULT_THEMES.parents)

    def group(theme: str) -> str:
        while theme in parents:
            theme = parents[theme]
        return theme

    return group


def _reason(row, min_count: int) -> str:
    """Write one plain line of evidence.

    Change words never say more than the test: no trend clause on small numbers, and the raw
    p-value is named as such (the briefing adjusts across wards).
    """
    bits = []
    count = f"{format_count(row.count)} incident{'' if row.count == 1 else 's'}"
    if not np.isnan(row.rate_percentile):
        bits.append(
            f"{count}, rate {format_rate(row.rate_per_1000)} per 1,000 "
            f"({row.rate_ratio:.1f}x all wards; "
            f"top {max(1, round(100 * (1 - row.rate_percentile)))}% of wards)"
        )
    else:
        bits.append(f"{count} (no usable population)")
    if not np.isnan(row.lq):
        bits.append(f"LQ {row.lq:.2f}")
    if row.small_number:
        bits.append(f"too few incidents to judge a change (fewer than {min_count})")
    elif isinstance(row.trend, str) and not np.isnan(row.change_pct):
        since = _COMPARISON_WORDS.get(row.comparison, str(row.comparison))
        direction = "up" if row.change_pct > 0 else "down" if row.change_pct < 0 else "unchanged"
        size = f" {abs(row.change_pct):.0f}%" if row.change_pct else ""
        bits.append(
            f"{direction}{size} on {since} ({format_pvalue(row.p_value, prefix=True)} "
            "before adjustment across wards)"
        )
    return "; ".join(bits)


_COMPARISON_WORDS = {
    "previous": "the previous period",
    "year_earlier": "the same period a year earlier",
}
