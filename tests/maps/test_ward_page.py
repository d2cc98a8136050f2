"""The ward profile page: content, escaping, and a real headless-browser load."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from snt_geo.maps.ward_page import WardPage, _sparkline_svg, render_ward_page
from snt_geo.profile.priorities import suggest_priorities, validate_priorities
from snt_geo.profile.profile import (
    profile_info,
    profile_locations,
    profile_monthly,
    ward_profile,
)

EVIL_FLAG = "<img src=x onerror=window.__snt_xss=1>"
EVIL_SCRIPT = "<script>window.__snt_xss=2</script>"


@pytest.fixture(scope="module")
def city_profile(city_wards, city_incidents):
    wards = city_wards.drop(columns="burglary_rate_per_1000").copy()
    wards.iloc[0, wards.columns.get_loc("ward_name")] = EVIL_FLAG
    incidents = city_incidents.copy()
    pop = pd.DataFrame(
        {"population": 1200.0, "pct_social_rented": 20.5, "note": EVIL_SCRIPT}, index=wards.index
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        first = ward_profile(wards, incidents, demographics=pop)
        # A hostile description on the first ward's busiest snap point: it must show as text.
        top = profile_locations(first)
        top = top.loc[top["ward_code"] == wards.index[0], "location"].iloc[0]
        incidents["location"] = incidents["location"].cat.rename_categories({top: EVIL_SCRIPT})
        return ward_profile(wards, incidents, demographics=pop)


@pytest.fixture(scope="module")
def register(city_profile):
    code = city_profile.wards.index[0]
    return validate_priorities(
        pd.DataFrame(
            {
                "ward_code": [code] * 4,
                "theme": ["asb", "street_crime", "burglary", "drugs"],
                "status": ["active", "active", "active", "closed"],
                "set_on": ["2019-04-01"] * 4,
                "source": [EVIL_SCRIPT, "panel", "panel", "panel"],
            }
        )
    )


def test_page_content_and_escaping(city_profile, register):
    code = city_profile.wards.index[0]
    sug = suggest_priorities(city_profile, n=3)
    page = render_ward_page(city_profile, code, priorities=register, suggestions=sug)
    assert isinstance(page, WardPage)
    text = page.html
    assert text.startswith("<!DOCTYPE html>")
    assert EVIL_FLAG not in text and EVIL_SCRIPT not in text
    assert "&lt;img src=x onerror=window.__snt_xss=1&gt;" in text
    assert "<script" not in text
    info = profile_info(city_profile)
    assert text.count('<svg class="sparkline"') == len(info.themes)
    assert text.count('<tr data-theme="') == len(info.themes)
    assert 'id="active-priorities"' in text and 'id="closed-priorities"' in text
    assert page._repr_html_() == page.body
    assert page.title.endswith("ward profile")


def test_sparkline_known_answer():
    svg = _sparkline_svg([0, 5, 10], labels=["a", "b", "<c>"], width=104, height=24, theme="asb")
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert points == ["2.0,22.0", "52.0,12.0", "102.0,2.0"]  # 0 at the bottom, max at the top
    assert "<title>a: 0, b: 5, &lt;c&gt;: 10</title>" in svg
    flat = _sparkline_svg([0, 0])
    assert 'points="2.0,26.0 138.0,26.0"' in flat
    assert _sparkline_svg([]) == ""


def test_page_errors(city_profile):
    with pytest.raises(KeyError, match="`ward_code` 'E05999999' is not in `profile`"):
        render_ward_page(city_profile, "E05999999")
    with pytest.raises(ValueError, match=r"`themes` names \['knife_crime'\]"):
        render_ward_page(city_profile, city_profile.wards.index[0], themes=["knife_crime"])


def test_page_in_headless_browser(city_profile, register, open_page, tmp_path):
    code = city_profile.wards.index[0]
    sug = suggest_priorities(city_profile, n=3)
    path = render_ward_page(city_profile, code, priorities=register, suggestions=sug).save(
        tmp_path / "ward.html"
    )
    page = open_page(path)
    assert page.errors == []
    assert page.js("return window.__snt_xss === undefined")
    assert page.js("return document.getElementById('ward-name').textContent") == EVIL_FLAG
    assert page.js("return document.querySelectorAll('img').length") == 0
    info = profile_info(city_profile)
    assert page.js("return document.querySelectorAll('svg.sparkline').length") == len(info.themes)
    # Each sparkline has one point per month of the monthly series, drawn with a real size.
    n_months = profile_monthly(city_profile)["month"].nunique()
    counts = page.js(
        "return [...document.querySelectorAll('svg.sparkline polyline')]"
        ".map(p => p.points.numberOfItems)"
    )
    assert counts == [n_months] * len(info.themes)
    box = page.js(
        "const r = document.querySelector('svg.sparkline').getBoundingClientRect();"
        "return [r.width, r.height]"
    )
    assert box == [140, 28]
    rows = page.js("return document.querySelectorAll('#key-locations tr').length")
    assert rows == 1 + min(
        info.n_locations, (city_profile.wards.loc[code, "incident_count"] > 0) * 5
    )
    locations = page.js(
        "return [...document.querySelectorAll('#key-locations td.text')].map(td => td.textContent)"
    )
    assert len(locations) == rows - 1
    assert EVIL_SCRIPT in locations
    assert page.js("return document.querySelectorAll('#active-priorities tr').length") == 4
    assert page.js("return document.querySelectorAll('#closed-priorities tr').length") == 2
    sources = page.js(
        "return [...document.querySelectorAll('#active-priorities td.text')]"
        ".map(td => td.textContent)"
    )
    assert EVIL_SCRIPT in sources
    demo = page.js("return document.getElementById('demographics').textContent")
    assert EVIL_SCRIPT in demo and "20.50" in demo
    assert page.js("return document.querySelectorAll('#suggested-priorities tr').length") == 4


def test_years_are_not_formatted_as_counts(city_wards, city_incidents):
    wards = city_wards.drop(columns="burglary_rate_per_1000")
    pop = pd.DataFrame({"population": 2019.0, "year": 2019}, index=wards.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        prof = ward_profile(wards, city_incidents, demographics=pop)
    text = render_ward_page(prof, prof.wards.index[0]).html
    assert '<td class="text">2019</td>' in text  # the year
    assert '<td class="text">2,019</td>' in text  # the population, a count


def test_page_shows_smoothed_rates_and_deprivation(city_wards, city_incidents):
    wards = city_wards.drop(columns="burglary_rate_per_1000")
    # Small populations (raw rates blank) and apportioned deprivation carried as demographics.
    demo = pd.DataFrame(
        {
            "population": 400.0,
            "imd_score": 12.345,
            "share_most_deprived_decile": 0.25,
        },
        index=wards.index,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        prof = ward_profile(wards, city_incidents, demographics=demo)
    code = wards.index[1]
    row = prof.wards.loc[code]
    assert pd.isna(row["incident_rate_per_1000"]) and pd.notna(row["incident_eb_rate_per_1000"])
    text = render_ward_page(prof, code).html
    assert "Per 1,000, smoothed" in text and "Per 1,000 smoothed" in text
    from snt_geo._format import format_rate

    assert format_rate(row["incident_eb_rate_per_1000"]) in text
    deprivation = re.search(r'<table id="deprivation">(.*?)</table>', text).group(1)
    assert "12.3" in deprivation and "25%" in deprivation
    residents = re.search(r'<table id="demographics">(.*?)</table>', text).group(1)
    assert "imd score" not in residents
