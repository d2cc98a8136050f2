import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from snt_geo.errors import SchemaError, SntGeoError
from snt_geo.io import read_police_uk, read_wards
from snt_geo.profile.priorities import (
    PRIORITY_COLUMNS,
    REGISTER_MATCH_COLUMNS,
    SUGGESTION_COLUMNS,
    match_register,
    read_priorities,
    suggest_priorities,
    validate_priorities,
)
from snt_geo.profile.profile import ward_profile

ESRI = "gla-statistical-gis-boundaries-london/ESRI"
HEADER = "ward_code,theme,status,set_on,review_on,source\n"


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def london_wards(shared_data):
    return _quiet(read_wards, shared_data / ESRI / "London_Ward_CityMerged.shp")


@pytest.fixture(scope="module")
def city(shared_data):
    wards = _quiet(read_wards, shared_data / ESRI / "London_Ward.shp")
    wards = wards[wards["borough_code"] == "E09000001"]
    months = [str(p) for p in pd.period_range("2018-07", "2020-06", freq="M")]
    inc = _quiet(read_police_uk, shared_data / "police-uk-city-of-london/street", months=months)
    # 25 City wards hold a few hundred residents each: a stated population lets rates exist.
    pop = pd.DataFrame({"population": np.linspace(1000, 3400, len(wards))}, index=wards.index)
    prof = _quiet(ward_profile, wards, inc, demographics=pop).wards
    return wards, prof


def _write(tmp_path, rows, header=HEADER, encoding="utf-8"):
    path = tmp_path / "register.csv"
    path.write_bytes((header + "".join(r + "\n" for r in rows)).encode(encoding))
    return path


def _panel(ward, themes, status="active"):
    return [f"{ward},{t},{status},2024-04-01,2024-10-01,panel" for t in themes]


def test_valid_register_on_real_wards(tmp_path, london_wards):
    rows = (
        _panel("E05000026", ["asb", "burglary", "street_crime"])
        + _panel("E05000027", ["asb", "vehicle_crime", "drugs", "burglary", "robbery"])
        + _panel("E05000027", ["shoplifting"], status="closed")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = read_priorities(_write(tmp_path, rows), wards=london_wards)
    assert tuple(reg.columns) == PRIORITY_COLUMNS + REGISTER_MATCH_COLUMNS
    assert len(reg) == 9
    assert isinstance(reg.index, pd.RangeIndex)
    assert str(reg["set_on"].dtype).startswith("datetime64")
    assert reg.loc[0, "set_on"] == pd.Timestamp("2024-04-01")
    assert reg["status"].tolist().count("closed") == 1
    checks = reg.attrs["priority_checks"]
    assert checks["active_per_ward"].to_dict() == {"E05000026": 3, "E05000027": 5}
    assert checks["too_many_active"] == [] and checks["too_few_active"] == []


def test_unknown_wards_and_themes_warn_and_are_kept(tmp_path, london_wards):
    # E05013570 is a 2022 ward code; "begging" is named by no keyword: a local theme.
    rows = _panel("E05000026", ["asb", "burglary", "begging"]) + _panel(
        "E05013570", ["asb", "robbery", "drugs"]
    )
    with pytest.warns(UserWarning) as rec:
        reg = read_priorities(_write(tmp_path, rows), wards=london_wards)
    text = " | ".join(str(r.message) for r in rec)
    assert "1 priorities kept as local themes (no keyword names them): 'begging' -> begging" in text
    assert "1 ward code(s) not in `wards` (e.g. ['E05013570'])" in text
    assert "1 theme(s) not in the theme table (['begging'])" in text
    assert len(reg) == 6
    assert reg.attrs["priority_checks"]["unknown_wards"] == ["E05013570"]
    assert reg.attrs["priority_checks"]["unknown_themes"] == ["begging"]
    assert reg.loc[1, "ward_match"] == "code"
    assert reg.loc[3, "ward_match"] == "code not in wards"


def test_too_many_and_too_few_active_warn_with_counts(tmp_path, london_wards):
    themes = ["asb", "burglary", "robbery", "drugs", "vehicle_crime", "shoplifting"]
    rows = (
        _panel("E05000026", themes)
        + _panel("E05000027", ["asb", "burglary"])
        + _panel("E05000028", ["asb", "burglary", "drugs"], status="closed")
        + _panel("E05000029", ["asb", "burglary", "drugs"])
    )
    with pytest.warns(UserWarning) as rec:
        reg = read_priorities(_write(tmp_path, rows), wards=london_wards)
    text = str(rec[0].message)
    assert rec[0].filename == __file__  # the warning points at the caller
    assert "1 ward(s) with more than 5 active priorities (E05000026: 6)" in text
    assert "2 ward(s) with fewer than 3 active priorities (E05000027: 2, E05000028: 0)" in text
    checks = reg.attrs["priority_checks"]
    assert checks["too_many_active"] == ["E05000026"]
    assert checks["too_few_active"] == ["E05000027", "E05000028"]


def test_duplicate_active_rows_warn(tmp_path):
    rows = _panel("E05000026", ["asb", "asb", "burglary", "robbery"])
    with pytest.warns(UserWarning, match=r"1 repeated active \(ward, theme\) row\(s\): \[1\]"):
        reg = read_priorities(_write(tmp_path, rows))
    assert reg.attrs["priority_checks"]["active_per_ward"]["E05000026"] == 3


def test_structural_problems_raise_together(tmp_path):
    rows = [
        "E05000026,asb,on hold,2024-04-01,,panel",
        "E05000026,burglary,active,,,panel",
        "E05000026,robbery,active,next week,,panel",
        "E05000026,drugs,active,2024-04-01,2024-01-01,panel",
        ",drugs,active,2024-04-01,,panel",
        "E05000026,,active,2024-04-01,,panel",
        "E05000026,vehicle_crime,closed,2024-04-01,soon,panel",
    ]
    with pytest.raises(SchemaError, match="`priorities` has invalid entries") as err:
        with pytest.warns(UserWarning, match=r"dropped 2 \(blank ward 1, blank theme 1\)"):
            read_priorities(_write(tmp_path, rows))
    problems = "\n".join(err.value.problems)
    assert len(err.value.problems) == 5
    assert "rows [0] have status ['on hold']" in problems
    assert "rows [1] are active or closed but have no set_on date" in problems
    assert "rows [2] have set_on values that are not dates (e.g. 'next week')" in problems
    assert "rows [3] have review_on before set_on" in problems
    assert "rows [6] have review_on values that are not dates (e.g. 'soon')" in problems


def test_missing_columns_listed_at_once(tmp_path):
    path = _write(tmp_path, ["E05000026,asb"], header="Ward Code,Theme\n")
    with pytest.raises(SchemaError, match="not a priority register") as err:
        read_priorities(path)
    assert "missing column `set_on`" in err.value.problems[0]
    path = _write(tmp_path, ["E05000026,2024-01-01"], header="Ward Code,Date set\n")
    with pytest.raises(SchemaError, match="no header row names a ward and a priority"):
        read_priorities(path)


def test_normalises_headers_themes_and_uk_dates(tmp_path):
    header = "Ward Code,Theme,Status,Set On,Review On,Source\n"
    rows = [
        "E05000026,ASB,Active,01/03/2024,01/09/2024,Panel é",
        "E05000026,Theft from the person,ACTIVE,2024-03-01,,",
        "E05000026,street-crime,active,2024-03-01,,",
    ]
    reg = read_priorities(_write(tmp_path, rows, header=header, encoding="cp1252"))
    assert reg["theme"].tolist() == ["asb", "theft_from_the_person", "street_crime"]
    assert reg["status"].tolist() == ["active"] * 3
    assert reg.loc[0, "set_on"] == pd.Timestamp("2024-03-01")
    assert reg.loc[0, "review_on"] == pd.Timestamp("2024-09-01")
    assert reg.loc[0, "source"] == "Panel é"
    assert pd.isna(reg.loc[1, "review_on"])


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="is empty"):
        read_priorities(empty)
    with pytest.raises(FileNotFoundError, match="`path` .* does not exist"):
        read_priorities(tmp_path / "nope.csv")
    header_only = _write(tmp_path, [])
    reg = read_priorities(header_only)
    assert len(reg) == 0 and tuple(reg.columns) == PRIORITY_COLUMNS + REGISTER_MATCH_COLUMNS


def test_validate_does_not_mutate_and_keeps_index(london_wards):
    frame = pd.DataFrame(
        {
            "ward_code": ["E05000026"] * 3,
            "theme": ["asb", "burglary", "robbery"],
            "status": ["active"] * 3,
            "set_on": ["2024-04-01"] * 3,
            "owner": ["PC Smith", "PCSO Jones", "PC Smith"],
        },
        index=[10, 11, 12],
    )
    before = frame.copy()
    reg = validate_priorities(frame, wards=list(london_wards.index))
    pd.testing.assert_frame_equal(frame, before)
    assert list(reg.index) == [10, 11, 12]
    assert list(reg.columns) == [*PRIORITY_COLUMNS, "owner"]
    assert reg["review_on"].isna().all()


# --------------------------------------------------------------------------------------------------
# Suggestions


def test_suggestions_on_real_city_wards(city):
    wards, prof = city
    sug = suggest_priorities(prof, n=3)
    assert list(sug.columns) == [*PRIORITY_COLUMNS, *SUGGESTION_COLUMNS]
    assert (sug["status"] == "suggested").all()
    assert sug.groupby("ward_code").size().max() == 3
    assert (sug.groupby("ward_code")["rank"].apply(list).apply(lambda r: r == sorted(r))).all()
    assert set(sug["ward_code"]) <= set(wards.index)
    assert sug["set_on"].iloc[0] == pd.Timestamp("2020-07-01")  # day after the period
    assert (sug["comparison"] == "previous").all()
    # Evidence is the profile's own numbers.
    for row in sug.sample(10, random_state=1).itertuples():
        assert row.count == prof.loc[row.ward_code, f"{row.theme}_count"]
        assert row.lq == pytest.approx(prof.loc[row.ward_code, f"{row.theme}_lq"])
        assert row.p_value == pytest.approx(prof.loc[row.ward_code, f"{row.theme}_p_previous"])
    # Percentiles and the score, recomputed independently with scipy for one theme.
    key = "asb"
    rate = prof[f"{key}_rate_per_1000"].to_numpy()
    lq = prof[f"{key}_lq"].to_numpy()
    rate_pct = stats.rankdata(rate, nan_policy="omit") / np.sum(~np.isnan(rate))
    lq_ok = ~np.isnan(lq)
    lq_pct = np.full(len(lq), np.nan)
    lq_pct[lq_ok] = stats.rankdata(lq[lq_ok]) / lq_ok.sum()
    p = prof[f"{key}_p_previous"].to_numpy()
    cur = prof[f"{key}_count"].to_numpy()
    prev = prof[f"{key}_count_previous"].to_numpy(dtype=float)
    trend = np.where(p < 0.05, np.where(cur > prev, 1.0, 0.0), 0.5)
    expected = np.nanmean(np.vstack([rate_pct, lq_pct, trend]), axis=0)
    full = suggest_priorities(prof, n=50, themes=[key]).set_index("ward_code")
    has = prof.index[cur > 0]
    np.testing.assert_allclose(full.loc[has, "score"], pd.Series(expected, prof.index)[has])
    np.testing.assert_allclose(
        full.loc[has, "rate_percentile"], pd.Series(rate_pct, prof.index)[has]
    )
    ratio = rate / (cur.sum() / prof["population"].sum() * 1000)
    np.testing.assert_allclose(full.loc[has, "rate_ratio"], pd.Series(ratio, prof.index)[has])


def test_suggestions_order_and_small_numbers(city):
    _, prof = city
    sug = suggest_priorities(prof, n=20)
    for _, part in sug.groupby("ward_code"):
        small = part["small_number"].to_numpy()
        assert (np.diff(small.astype(int)) >= 0).all()  # reliable themes first
        for flag in (False, True):
            scores = part.loc[part["small_number"] == flag, "score"].to_numpy()
            assert (np.diff(scores) <= 1e-12).all()
    assert (sug["count"] > 0).all()
    assert sug["reason"].str.len().min() > 0


def test_suggestions_round_trip_through_the_register(city, tmp_path):
    wards, prof = city
    sug = suggest_priorities(prof, n=3, themes=["asb", "street_crime", "acquisitive"])
    assert set(sug["theme"]) <= {"asb", "street_crime", "acquisitive"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # suggestions alone raise no 3-5 warning
        reg = validate_priorities(sug, wards=wards)
    assert (reg["status"] == "suggested").all()
    path = tmp_path / "suggested.csv"
    sug.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = read_priorities(path, wards=wards)
    assert again["theme"].tolist() == sug["theme"].tolist()
    from snt_geo.linkage.shared_priorities import flag_shared_priorities

    shared = flag_shared_priorities(sug.assign(status="active"), wards)
    assert shared.themes["n_wards"].sum() == len(sug.drop_duplicates(["ward_code", "theme"]))


def test_suggestion_errors(city):
    _, prof = city
    with pytest.raises(ValueError, match="`n` must be a whole number >= 1; got 0"):
        suggest_priorities(prof, n=0)
    with pytest.raises(ValueError, match=r"`themes` names \['knife_crime'\]"):
        suggest_priorities(prof, themes=["knife_crime"])
    with pytest.raises(SntGeoError, match="carries no profile information"):
        suggest_priorities(pd.DataFrame({"a": [1]}))


# A register as a panel keeps it: a title row, ward names and codes mixed, free text, UK dates
# in three written formats plus Excel date cells, a misspelt ward and an ambiguous ward name.
REGISTER_ROWS = [
    # Ward, Borough, Priority, Date set, Review date, Status
    (
        "Bloomsbury",
        "",
        "ASB - youths congregating outside shops",
        "15/01/2024",
        "15/04/2024",
        "Open",
    ),
    ("E05000129", "", "Theft from the person", "2024-01-15", "", "Active"),
    ("Holborn & Covent Garden", "", "Street crime", "15.01.2024", "", "active"),
    ("St Pancras and Somers Town", "", "Begging / rough sleeping", "EXCEL:2024-02-01", "", "Open"),
    ("Kings Cross", "", "Phone snatching", "01/02/2024", "", "Open"),
    ("Camden Town with Primrose Hill", "", "Drug dealing on the estates", "2024-02-01", "", "Open"),
    ("Highgate", "", "Burglary", "01/02/2024", "", "Open"),
    ("Hampstead Twon", "", "ASB", "01/02/2024", "", "Open"),
    ("E05000272", "", "Robbery", "EXCEL:2024-03-01", "", "Open"),
    ("Highgate", "Camden", "Vehicle crime - catalytic converters", "01.03.2024", "", "Open"),
    ("Gospel Oak", "", "Anti-social behaviour", "2024-03-01", "2024-06-01", "Completed"),
    ("St. Pancras & Somers Town", "", "Mugging", "01/03/2024", "", "Open"),
]
# (ward_code, ward_match, theme, theme_match) per row; None where the row is not placed.
REGISTER_EXPECTED = [
    ("E05000129", "name", "asb", "keyword 'asb'"),
    ("E05000129", "code", "theft_from_the_person", "theme key"),
    ("E05000138", "name", "street_crime", "theme key"),
    ("E05000143", "name", "begging_rough_sleeping", "local theme"),
    ("E05000141", "name", "theft_from_the_person", "keyword 'phone snatching'"),
    ("E05000130", "name", "drugs", "keyword 'drug dealing'"),
    (None, "ambiguous", "burglary", "theme key"),
    (None, "unmatched", "asb", "theme key"),
    ("E05000272", "code", "robbery", "theme key"),
    ("E05000137", "name and borough", "vehicle_crime", "keyword 'vehicle crime'"),
    ("E05000134", "name", "asb", "theme key"),
    ("E05000143", "name", "robbery", "keyword 'mugging'"),
]


def _write_register_xlsx(path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Panel priorities are reviewed quarterly."])
    sheet = book.create_sheet("Register")
    sheet.append(["Camden & Haringey Neighbourhood Panels: ward priorities 2024"])
    sheet.append([])
    sheet.append(["Ward", "Borough", "Priority", "Date set", "Review date", "Status"])
    for ward, borough, text, set_on, review, status in REGISTER_ROWS:
        if set_on.startswith("EXCEL:"):
            set_on = dt.datetime.fromisoformat(set_on[6:])
        sheet.append([ward, borough or None, text, set_on, review or None, status])
    book.save(path)
    return path


def _write_register_csv(path):
    lines = ["Ward,Borough,Priority,Date set,Review date,Status"]
    for ward, borough, text, set_on, review, status in REGISTER_ROWS:
        set_on = set_on.replace("EXCEL:", "")
        lines.append(f'"{ward}",{borough},"{text}",{set_on},{review},{status}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def camden_haringey(london_wards):
    return london_wards[london_wards["borough_name"].isin(["Camden", "Haringey"])]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_real_register_every_row_accounted_for(tmp_path, camden_haringey, fmt):
    write = _write_register_xlsx if fmt == "xlsx" else _write_register_csv
    path = write(tmp_path / f"register.{fmt}")
    with pytest.warns(UserWarning) as rec:
        reg = read_priorities(path, wards=camden_haringey)
    text = " | ".join(str(r.message) for r in rec)
    # each dropped row is named with its reason
    assert "row 6: Highgate / Burglary: ward ambiguous (2 wards are named so:" in text
    assert "E05000137 (camden/e09000007)" in text and "E05000272 (e09000014/haringey)" in text
    assert "row 7: Hampstead Twon / ASB: ward unmatched (did you mean 'Hampstead Town'" in text
    assert "'Begging / rough sleeping' -> begging_rough_sleeping" in text

    report = reg.attrs["read_report"]
    assert report.rows_read == len(REGISTER_ROWS) == 12
    assert report.rows_kept == len(reg) == 10
    assert report.dropped == {
        "blank_ward": 0,
        "unmatched_ward": 1,
        "ambiguous_ward": 1,
        "blank_theme": 0,
    }
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    placed = [i for i, e in enumerate(REGISTER_EXPECTED) if e[0] is not None]
    assert report.note("matched_by_name") == sum(
        REGISTER_EXPECTED[i][1].startswith("name") for i in placed
    )
    assert report.note("local_themes") == 1
    assert list(reg.index) == placed
    for i in placed:
        code, how, theme, theme_how = REGISTER_EXPECTED[i]
        row = reg.loc[i]
        assert (row["ward_code"], row["ward_match"], row["theme"], row["theme_match"]) == (
            code,
            how,
            theme,
            theme_how,
        ), i
        assert row["theme_text"] == REGISTER_ROWS[i][2]  # the words are kept intact
    # Three written date formats and Excel date cells all read as UK dates.
    assert reg.loc[0, "set_on"] == pd.Timestamp("2024-01-15")
    assert reg.loc[2, "set_on"] == pd.Timestamp("2024-01-15")
    assert reg.loc[3, "set_on"] == pd.Timestamp("2024-02-01")
    assert reg.loc[9, "set_on"] == pd.Timestamp("2024-03-01")
    assert reg.loc[0, "review_on"] == pd.Timestamp("2024-04-15")
    assert reg.loc[10, "status"] == "closed" and reg.loc[0, "status"] == "active"


def test_match_register_accounts_for_every_row(tmp_path, camden_haringey):
    raw = pd.read_csv(_write_register_csv(tmp_path / "r.csv"), dtype="string")
    rows = match_register(raw, wards=camden_haringey)
    assert rows.index.equals(raw.index)
    for i, (code, how, theme, _) in enumerate(REGISTER_EXPECTED):
        assert rows.loc[i, "ward_match"] == how
        assert (rows.loc[i, "ward_code"] if code else None) == code or pd.isna(
            rows.loc[i, "ward_code"]
        )
        assert rows.loc[i, "theme"] == theme
    assert rows["placed"].sum() == 10
    assert set(rows.loc[~rows["placed"], "ward_match"]) == {"ambiguous", "unmatched"}


def test_keywords_are_user_extensible(tmp_path, camden_haringey):
    path = _write_register_csv(tmp_path / "r.csv")
    with pytest.warns(UserWarning):
        reg = read_priorities(path, wards=camden_haringey, keywords={"begging": "asb"})
    assert reg.loc[3, "theme"] == "asb"
    assert reg.loc[3, "theme_match"] == "keyword 'begging'"
    with pytest.raises(SchemaError, match="`keywords` must map phrases to theme keys"):
        read_priorities(path, wards=camden_haringey, keywords={"begging": "Begging!"})


def test_excel_sheet_choice(tmp_path, camden_haringey):
    path = _write_register_xlsx(tmp_path / "r.xlsx")
    with pytest.warns(UserWarning):
        by_name = read_priorities(path, wards=camden_haringey, sheet="Register")
    assert len(by_name) == 10
    with pytest.raises(SchemaError, match=r"`sheet` 'Ward list' is not in .*sheets: \['Notes'"):
        read_priorities(path, sheet="Ward list")
    with pytest.raises(SchemaError, match="no header row names a ward and a priority"):
        read_priorities(path, sheet="Notes")


def test_suggestions_offer_asb_once(city):
    _, prof = city
    sug = suggest_priorities(prof, n=30)
    assert "anti_social_behaviour" not in set(sug["theme"])
    assert "asb" in set(sug["theme"])
    # asked for explicitly, the alias is still available
    both = suggest_priorities(prof, n=30, themes=["asb", "anti_social_behaviour"])
    assert set(both["theme"]) == {"asb", "anti_social_behaviour"}


def test_a_geopackage_is_not_a_register(tmp_path, camden_haringey):
    path = tmp_path / "register.gpkg"
    camden_haringey.head(2).to_file(path)
    with pytest.raises(SchemaError, match=r"`path` 'register.gpkg' is not a CSV or Excel"):
        read_priorities(path)


def test_reason_words_never_outrun_the_test(city):
    _, prof = city
    sug = suggest_priorities(prof, n=30)
    small = sug[sug["small_number"]]
    assert len(small) and not small["reason"].str.contains(r"\b(?:up|down|rising|falling)\b").any()
    assert small["reason"].str.contains("too few incidents to judge a change").all()
    large = sug[~sug["small_number"] & sug["change_pct"].notna()]
    assert large["reason"].str.contains("before adjustment across wards").all()
    ups = large[large["change_pct"] > 0]
    assert all(
        f"up {abs(c):.0f}% on the previous period" in r
        for c, r in zip(ups["change_pct"], ups["reason"], strict=True)
    )
    one = sug[sug["count"] == 1]
    assert one["reason"].str.startswith("1 incident").all()
    assert not one["reason"].str.contains("1 incidents").any()


def test_names_without_wards_are_reported_not_taken_as_codes(tmp_path):
    path = _write_register_csv(tmp_path / "r.csv")
    with pytest.warns(UserWarning) as caught:
        reg = read_priorities(path)
    assert "a ward name: pass `wards=` to match names" in str(caught[0].message)
    assert set(reg["ward_code"]) == {"E05000129", "E05000272"}  # the two rows given by code
    report = reg.attrs["read_report"]
    assert report.dropped["unmatched_ward"] == 10
    assert report.rows_read == report.rows_kept + sum(report.dropped.values()) == 12


def test_suggestions_name_each_theme_group(city):
    _, prof = city
    sug = suggest_priorities(prof, n=30, themes=["street_crime", "robbery", "burglary"])
    expected = {"street_crime": "street_crime", "robbery": "street_crime", "burglary": "burglary"}
    assert (sug["group"] == sug["theme"].map(expected)).all()


def test_suggestion_groups_follow_the_profile_hierarchy(shared_data):
    from snt_geo.themes import make_themes

    themes = make_themes(
        {"night_time": ["Public order", "Violence and sexual offences"]},
        parents={"public_order": "night_time"},
    )
    wards = _quiet(read_wards, shared_data / ESRI / "London_Ward.shp")
    wards = wards[wards["borough_code"] == "E09000001"]
    inc = _quiet(
        read_police_uk, shared_data / "police-uk-city-of-london/street", months=["2019-06"]
    )
    prof = _quiet(ward_profile, wards, inc, themes=themes, period="2019-06")
    sug = suggest_priorities(prof, n=30, themes=["public_order", "night_time", "robbery"])
    groups = dict(zip(sug["theme"], sug["group"], strict=False))
    assert groups["public_order"] == "night_time"
    assert groups.get("robbery", "street_crime") == "street_crime"
