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
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from snt_geo.errors import SchemaError
from snt_geo.profile.profile import profile_info
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "PRIORITY_COLUMNS",
    "PRIORITY_STATUSES",
    "SUGGESTION_COLUMNS",
    "read_priorities",
    "validate_priorities",
    "suggest_priorities",
]

#: Columns of the priority register, in order.
PRIORITY_COLUMNS = ("ward_code", "theme", "status", "set_on", "review_on", "source")
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
)

_REQUIRED = ("ward_code", "theme", "status", "set_on")


def _header(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _theme_key(value: str, themes: ThemeTable) -> str:
    """Theme key for a register entry: a key, a crime-type name or a police.uk slug."""
    if value in themes.crime_types:
        return themes.key(value)
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates, else UK day-first dates (01/03/2024 is 1 March); unparseable -> NaT."""
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    retry = out.isna() & text.notna()
    if retry.any():
        out[retry] = pd.to_datetime(text[retry], format="%d/%m/%Y", errors="coerce")
    return out.astype("datetime64[ns]")


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
    out["set_on"] = _parse_dates(frame["set_on"])
    review = frame["review_on"] if "review_on" in frame.columns else pd.Series(pd.NA, frame.index)
    out["review_on"] = _parse_dates(review)
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
    min_active: int = 3,
    max_active: int = 5,
) -> pd.DataFrame:
    """Read a priority register CSV and check it with :func:`validate_priorities`.

    Parameters
    ----------
    path
        A CSV with a header row holding at least ``ward_code``, ``theme``, ``status``,
        ``set_on``; UTF-8 (with or without BOM), else read as Windows-1252 (Excel's "CSV").
        Dates as ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``.
    wards, themes, min_active, max_active
        As in :func:`validate_priorities`.

    Returns
    -------
    pandas.DataFrame
        The register (see :func:`validate_priorities`) with a ``RangeIndex`` in file order.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    SchemaError
        As :func:`validate_priorities`; also for an empty file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass the priority register CSV "
            f"(columns {', '.join(PRIORITY_COLUMNS)})."
        )
    try:
        raw = pd.read_csv(path, dtype="string", encoding="utf-8-sig", keep_default_na=False)
    except UnicodeDecodeError:
        raw = pd.read_csv(path, dtype="string", encoding="cp1252", keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise SchemaError(
            f"`path` {str(path)!r} is empty; a register needs a header row "
            f"({', '.join(PRIORITY_COLUMNS)})."
        ) from None
    raw.index = pd.RangeIndex(len(raw))
    return _validate(
        raw,
        wards=wards,
        themes=themes,
        min_active=min_active,
        max_active=max_active,
        stacklevel=3,
    )


def suggest_priorities(
    profile: pd.DataFrame,
    *,
    n: int = 5,
    themes: Sequence[str] | None = None,
    alpha: float = 0.05,
    as_of=None,
) -> pd.DataFrame:
    """Rank candidate priority themes per ward by the evidence in the ward profile.

    Parameters
    ----------
    profile
        The output of :func:`~snt_geo.profile.profile.ward_profile`.
    n
        Suggestions per ward (default 5, the most a panel should hold).
    themes
        Candidate theme keys. Default: every theme in the profile. Composite themes overlap
        their members (``street_crime`` holds ``robbery``); pass a list to choose one level,
        e.g. ``["asb", "street_crime", "burglary", "vehicle_crime"]``.
    alpha
        Significance level for calling a change a rise or a fall (default 0.05).
    as_of
        ``set_on`` date of the suggestions. Default: the first day after the profile period.

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
        ``small_number``, ``reason`` (one plain-English line). Rows by ward (profile order), then
        rank. Themes with no incidents in the ward are not suggested.

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
    if int(n) != n or n < 1:
        raise ValueError(f"`n` must be a whole number >= 1; got {n!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be between 0 and 1; got {alpha!r}.")
    candidates = list(info.themes) if themes is None else list(themes)
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
    table["status"] = "suggested"
    table["set_on"] = pd.Series(set_on, index=table.index).astype("datetime64[ns]")
    table["review_on"] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    table["source"] = source
    for c in ("ward_code", "theme", "status", "source", "comparison", "trend", "reason"):
        table[c] = table[c].astype("string")
    return table[columns]


def _reason(row, min_count: int) -> str:
    bits = []
    if not np.isnan(row.rate_percentile):
        bits.append(
            f"rate {row.rate_per_1000:.1f} per 1,000 ({row.rate_ratio:.1f}x all wards; "
            f"top {max(1, round(100 * (1 - row.rate_percentile)))}% of wards)"
        )
    else:
        bits.append(f"{row.count} incidents (no usable population)")
    if not np.isnan(row.lq):
        bits.append(f"LQ {row.lq:.2f}")
    if isinstance(row.trend, str):
        change = "" if np.isnan(row.change_pct) else f" {row.change_pct:+.0f}%"
        bits.append(f"{row.trend}{change} vs {row.comparison} (p={row.p_value:.3f})")
    if row.small_number:
        bits.append(f"small numbers (<{min_count})")
    return "; ".join(bits)
