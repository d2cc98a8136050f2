"""The TTCG briefing: contents, statistics against scipy, offline page, and a real headless browser.

One briefing of the bundled City of London sample is built per module, with hostile text in a
ward name, a police.uk location and an estate name, and reused by every test.
"""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from snt_geo.datasets import load_sample
from snt_geo.maps.briefing import BRIEFING_STEPS, Briefing, tasking_briefing
from snt_geo.maps.offline import find_remote_references

EVIL = "<img src=x onerror=window.__xss=1>"
PERIOD = ("2023-01", "2023-06")


class _Ids(HTMLParser):
    """Element ids and the rows of every table, from the saved page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.rows: dict[str, int] = {}
        self._table: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self._table = a.get("id")
            self.rows[self._table] = 0
        elif tag == "tr" and self._table is not None:
            self.rows[self._table] += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def hostile(sample):
    """The sample with hostile text in a ward name, the busiest location and an estate name."""
    wards = sample.wards.copy()
    wards.loc["E05000001", "ward_name"] = EVIL  # Aldersgate
    incidents = sample.incidents.copy()
    in_period = (incidents["month"] >= PERIOD[0]) & (incidents["month"] <= PERIOD[1])
    busiest = incidents.loc[in_period, "location"].value_counts().index[0]
    incidents["location"] = incidents["location"].astype("string").replace({busiest: EVIL})
    estates = sample.estates.copy()
    estates.loc["golden-lane-estate", "name"] = EVIL
    return wards, incidents, estates


@pytest.fixture(scope="module")
def built(sample, hostile, tmp_path_factory):
    wards, incidents, estates = hostile
    steps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        briefing = tasking_briefing(
            wards,
            incidents,
            demographics=sample.demographics,
            estates=estates,
            priorities=sample.priorities,
            period=PERIOD,
            permutations=199,
            sample_caveat=True,
            rng=7,
            progress=lambda step, done, total: steps.append((step, done, total)),
        )
    path = briefing.save(tmp_path_factory.mktemp("briefing") / "briefing.html")
    return briefing, path, steps


@pytest.fixture(scope="module")
def page(built):
    _, path, _ = built
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# ------------------------------------------------------------------------------ contents


def test_page_has_the_three_sections_tables_and_method_note(built, page):
    briefing, _, _ = built
    for section in (
        "at-a-glance",
        "map-section",
        "ward-problem-solving",
        "cross-border",
        "borough-links",
        "method",
        "caveats",
        "attribution",
    ):
        assert section in page.ids, section
    for table in (
        "priorities",
        "key-locations",
        "shared-themes",
        "shared-groups",
        "cross-border-hotspots",
        "links",
        "parameters",
    ):
        assert page.rows.get(table, 0) >= 2, table  # header + at least one row
    # Changes: only those significant after BH adjustment are listed (none on this sample).
    n_sig = int(briefing.changes["significant"].sum())
    assert page.rows.get("changes", 0) == (n_sig + 1 if n_sig else 0)
    # Every recorded parameter is a row of the method-note table.
    assert page.rows["parameters"] == len(briefing.parameters) + 1
    assert page.rows["priorities"] == len(briefing.priorities) + 1
    assert isinstance(briefing, Briefing)


def test_method_note_records_parameters_and_automatic_choices(built):
    briefing, _, _ = built
    p = briefing.parameters
    pairs = set(zip(p["step"], p["parameter"], strict=True))
    for expected in (
        ("ward profile", "period_rule"),
        ("ward profile", "baseline_previous"),
        ("changes", "baseline"),
        ("hotspots: street_crime", "cell_size_m"),
        ("hotspots: street_crime", "cell_size_rule"),
        ("hotspots: asb", "neighbour_distance_m"),
        ("clusters: street_crime", "min_incidents_rule"),
        ("shared priorities", "min_wards"),
        ("links", "near_m"),
        ("links", "permutations"),
        ("links", "correction"),
        ("map", "tiles"),
    ):
        assert expected in pairs, expected
    cell = p.loc[(p["step"] == "hotspots: street_crime") & (p["parameter"] == "cell_size_m")]
    method = briefing.hotspots["street_crime"].attrs["method"]
    assert float(cell["value"].iloc[0].replace(",", "")) == method.cell_size_m
    text = " ".join(briefing.method_note)
    assert "Getis-Ord Gi*" in text and "DBSCAN" in text and "Holm" in text


def test_caveats_and_attribution(built):
    briefing, path, _ = built
    text = path.read_text(encoding="utf-8")
    assert "snap points" in text and "months only" in text and "constructed" in text
    for line in (
        "Open Government Licence v3.0",
        "Contains OS data (c) Crown copyright and database right.",
        "Contains National Statistics data",
    ):
        assert line in text


def test_priorities_are_the_active_register_with_profile_evidence(built, sample):
    briefing, _, _ = built
    reg = sample.priorities
    active = reg[reg["status"] == "active"]
    shown = briefing.priorities
    assert briefing.priorities_source == "register"
    assert sorted(zip(shown["ward_code"], shown["theme"], strict=True)) == sorted(
        zip(active["ward_code"].astype(str), active["theme"].astype(str), strict=True)
    )
    # The evidence count of each priority is the profile's count for that ward and theme.
    prof = briefing.profile.wards
    expected = [
        prof.loc[w, f"{t}_count"] for w, t in zip(shown["ward_code"], shown["theme"], strict=True)
    ]
    assert shown["count"].astype(int).tolist() == [int(v) for v in expected]


def test_changes_match_scipy_binomial_test_and_bh(built):
    briefing, _, _ = built
    ch = briefing.changes
    assert len(ch) > 100 and set(ch["baseline"]) == {"previous"}
    # Equal-length periods: conditional on the total, the current count is Binomial(n, 1/2).
    k = ch["count"].to_numpy(dtype=int)
    n = k + ch["baseline_count"].to_numpy(dtype=int)
    expected = [
        stats.binomtest(int(a), int(b), 0.5).pvalue if b else 1.0 for a, b in zip(k, n, strict=True)
    ]
    np.testing.assert_allclose(ch["p_value"].to_numpy(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        ch["q_value"].to_numpy(), stats.false_discovery_control(ch["p_value"].to_numpy())
    )
    assert (ch["significant"] == (ch["q_value"] < 0.05)).all()


def test_hotspots_clusters_and_cross_border_are_kept(built):
    briefing, _, _ = built
    assert briefing.hotspot_themes == ("street_crime", "asb")
    for theme, cells in briefing.hotspots.items():
        assert "hotspot_class" in cells.columns, theme
    assert set(briefing.cluster_labels) == {"street_crime", "asb"}
    assert len(briefing.clusters) == sum(
        int((lab >= 0).any()) and lab[lab >= 0].nunique()
        for lab in briefing.cluster_labels.values()
    )
    cross = briefing.cross_border
    assert set(cross["theme"]) <= {"street_crime", "asb"}
    assert cross["cross_ward"].any()
    with pytest.raises(TypeError):
        briefing.hotspots["x"] = None  # read-only mapping


def test_progress_reports_every_step_in_order(built):
    _, _, steps = built
    assert [s for s, _, _ in steps[:-1]] == list(BRIEFING_STEPS)
    assert [d for _, d, _ in steps] == list(range(len(BRIEFING_STEPS) + 1))
    assert steps[-1][1] == steps[-1][2] == len(BRIEFING_STEPS)


# ------------------------------------------------------------------------------ offline, escaping


def test_no_cdn_or_remote_load_anywhere(built):
    _, path, _ = built
    text = path.read_text(encoding="utf-8")
    assert find_remote_references(text) == []
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?\s*(https?:)?//", text, flags=re.I)
    for host in ("unpkg.com", "jsdelivr", "cdnjs", "googleapis", "bootstrapcdn", "code.jquery"):
        assert host not in text, host
    assert text.count("<html") == 1


def test_every_text_value_escaped_in_the_file(built):
    briefing, path, _ = built
    text = path.read_text(encoding="utf-8")
    # The only image elements are the static print map and the exception charts (data: PNGs
    # with escaped alt text), never a hostile name.
    allowed = (
        r'<img class="(?:print-map" id="print-map|exception-chart)" alt="[^"<>]*" '
        r'src="data:image/png;base64,[^"]*"'
    )
    assert re.findall(r"<img\b[^>]*", text) == re.findall(allowed, text)
    assert text.count('class="exception-chart"') == min(
        6, len(briefing.assessment.exceptions.flagged)
    )
    escaped = "&lt;img src=x onerror=window.__xss=1&gt;"
    # Ward name (priorities table), location (key locations), estate name (links table).
    assert text.count(escaped) >= 3
    assert "<img" not in briefing._repr_html_().replace("&lt;img", "")


def test_save_into_a_missing_folder_names_the_path(built, tmp_path):
    briefing, _, _ = built
    with pytest.raises(FileNotFoundError, match="does not exist"):
        briefing.save(tmp_path / "nope" / "b.html")


# ------------------------------------------------------------------------------ fallbacks, errors


@pytest.fixture(scope="module")
def burglary_only(sample):
    """No ASB, no street crime, no estates, no register (and online tiles): every fallback."""
    inc = sample.incidents[sample.incidents["crime_type"] == "Burglary"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return tasking_briefing(
            sample.wards, inc, period=("2019-04", "2020-03"), tiles="OpenStreetMap", rng=1
        )


def test_fallbacks_are_recorded(burglary_only):
    b = burglary_only
    p = b.parameters
    assert b.hotspot_themes == ("all",)
    assert b.priorities_source == "suggested"
    assert (b.priorities["status"] == "suggested").all()
    assert b.priorities.groupby("ward_code").size().max() <= 3
    assert b.links is None
    assert "no estates layer given" in p.loc[p["parameter"] == "not run", "value"].iloc[0]
    assert "themes_skipped" in set(p["parameter"])
    assert "not assessed" in b.html and "suggestions" in b.html
    # Online tiles were asked for: only the tile URL template, which loads tiles when online.
    assert "tile.openstreetmap.org" in b.html and find_remote_references(b.html) == []
    assert ("map", "tiles", "OpenStreetMap") in set(map(tuple, p.to_numpy().tolist()))


def test_bad_options_name_the_argument(sample):
    with pytest.raises(ValueError, match="`hotspot_themes`"):
        tasking_briefing(sample.wards, sample.incidents, hotspot_themes=("nonsense",))
    with pytest.raises(ValueError, match="`cluster_distance_m`"):
        tasking_briefing(sample.wards, sample.incidents, cluster_distance_m=-5)
    with pytest.raises(TypeError, match="`priorities`"):
        tasking_briefing(sample.wards, sample.incidents, priorities=42)


# ------------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def loaded(built, browser):
    briefing, path, _ = built
    browser.get_log("browser")
    browser.get("about:blank")
    browser.get(path.resolve().as_uri())
    console = browser.get_log("browser")
    return browser, briefing, console


def test_loads_offline_without_console_errors(loaded, offline_load_check):
    driver, briefing, console = loaded
    offline_load_check(driver, console)
    assert driver.title == briefing.title


def test_leaflet_draws_every_layer(loaded):
    driver, briefing, _ = loaded
    counts = {}
    for layer in briefing.map_layers:
        name = layer.get_name()
        # Layers off at opening are switched on so that their features render.
        driver.execute_script(
            "var l = window[arguments[0]]; var m = Object.values(window).find("
            "  v => v instanceof L.Map); if (!m.hasLayer(l)) { m.addLayer(l); }",
            name,
        )
        # SVG features each have a <path> in the DOM; canvas features are painted on the
        # layer's <canvas>, which must be in the DOM.
        in_dom = driver.execute_script(
            "var n = 0; window[arguments[0]].eachLayer(function (l) {"
            "  if (l._path && document.contains(l._path)) { n += 1; }"
            "  else if (l._renderer instanceof L.Canvas && document.contains("
            "    l._renderer._container)) { n += 1; } }); return n;",
            name,
        )
        expected = len(json.loads(layer.payload_json)["g"])
        counts[layer.title] = (in_dom, expected)
        assert in_dom == expected > 0, layer.title
    titles = [layer.title for layer in briefing.map_layers]
    assert any(t.startswith("Gi* hotspots: Street crime (robbery") for t in titles)
    for needed in ("Ward and borough outlines", "Cross-border hot areas", "Estates"):
        assert needed in titles
    assert "ASB to street-crime links" in titles
    # One layer per flagged shared-priority theme, largest first; street crime and ASB on.
    flagged = briefing.shared.flagged
    themed = [layer for layer in briefing.map_layers if layer.title.startswith("Shared priority:")]
    assert len(themed) == flagged["theme"].nunique() > 2
    wards_per = [layer.info.choices["n_wards"] for layer in themed]
    assert wards_per == sorted(wards_per, reverse=True)
    on = {layer.info.choices["theme"] for layer in themed if layer.show}
    assert on == {"street_crime", "asb"}


def test_links_drawn_by_share_with_estate_test_in_popup(built):
    briefing, _, _ = built
    from snt_geo.maps.briefing import LINK_MIN_SHARE

    layer = next(x for x in briefing.map_layers if x.title == "ASB to street-crime links")
    share = "street_cluster_weight_share"
    keep = briefing.links[share] >= LINK_MIN_SHARE
    assert layer.info.n_drawn == int(keep.sum()) < len(briefing.links)
    assert layer.info.n_not_drawn == {"share below min_share": int((~keep).sum())}
    p = json.loads(layer.payload_json)
    popup = [p["labels"][i] for i in p["popup"]]
    assert popup[:3] == ["estate", "estate-level test", "street-crime cluster share"]
    tests = p["values"][p["labels"].index("estate-level test")]
    sig = briefing.links.loc[keep, "significant"].tolist()
    assert [t.startswith("significant") for t in tests] == sig


def test_legend_and_layer_control_present(loaded):
    driver, briefing, _ = loaded
    names = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(e => e.textContent.trim())"
    )
    assert names == [layer.title for layer in briefing.map_layers]
    legends = driver.execute_script(
        "return Array.from(document.querySelectorAll('.snt-legend-title')).map(e => e.textContent)"
    )
    assert "Gi* hotspots" in legends and "Links" in legends


def test_hostile_names_show_as_text_and_never_run(loaded):
    driver, briefing, _ = loaded
    by_title = {layer.title: layer for layer in briefing.map_layers}
    outlines, estates = by_title["Ward and borough outlines"], by_title["Estates"]
    ward_pos = list(briefing.wards.index).index("E05000001")
    estate_pos = list(briefing.estates.index).index("golden-lane-estate")
    # Mouse events on one feature, as Leaflet fires them on hover (tooltips are bound per group).
    driver.execute_script(
        "window.sntFire = function (group, i, type) {"
        "  var c = group.getLayers()[i];"
        "  var at = c.getCenter ? c.getCenter() : c.getLatLng();"
        "  c.fire(type, {latlng: at, originalEvent: {}}, true); };"
        "sntFire(window[arguments[0]], arguments[1], 'mouseover');"
        "sntFire(window[arguments[2]], arguments[3], 'mouseover');",
        outlines.get_name(),
        ward_pos,
        estates.get_name(),
        estate_pos,
    )
    tips = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-tooltip')).map(e => e.textContent)"
    )
    assert sum(EVIL in t for t in tips) >= 2
    links = by_title["ASB to street-crime links"]
    first_golden = list(briefing.links["estate"]).index("golden-lane-estate")
    driver.execute_script(
        "sntFire(window[arguments[0]], arguments[1], 'click');", links.get_name(), first_golden
    )
    popup = driver.execute_script(
        "return document.querySelector('.leaflet-popup-content').textContent"
    )
    assert EVIL in popup
    cells = driver.execute_script(
        "return Array.from(document.querySelectorAll('#priorities td, #key-locations td,"
        " #links td')).map(e => e.textContent)"
    )
    assert cells.count(EVIL) >= 3
    imgs = driver.execute_script(
        "return Array.from(document.querySelectorAll('img')).map(e => e.getAttribute('src'))"
    )
    assert "x" not in imgs
    assert driver.execute_script("return window.__xss === undefined") is True


def test_plain_words_links_section(built):
    briefing, _, _ = built
    sig = briefing.links[briefing.links["significant"]]
    assert len(sig) and set(sig["estate"]) == {"golden-lane-estate"}
    section = briefing.html.split('id="borough-links"')[1].split("</section>")[0]
    assert "Significant link:" in section
    assert pd.notna(sig["explanation"]).all()


def test_empty_incidents_raise_naming_the_argument(sample):
    with pytest.raises(ValueError, match="`incidents` has no rows"):
        tasking_briefing(sample.wards, sample.incidents.iloc[:0])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_one_incident_still_makes_a_page(sample):
    one = sample.incidents[sample.incidents["crime_type"] == "Robbery"].iloc[:1]
    b = tasking_briefing(sample.wards, one)
    assert b.hotspot_themes == ("street_crime",)
    assert len(b.clusters) == 0 and int(b.profile.wards["incident_count"].sum()) == 1
    assert 'id="ward-problem-solving"' in b.html and find_remote_references(b.html) == []


def painted_share_by_band(pixels: np.ndarray, *, bands: int = 3) -> list[float]:
    """Share of pixels in each horizontal band that are neither Leaflet's background grey
    (#dddddd, to within 8 levels) nor white, i.e. where something was painted."""
    rgb = pixels[..., :3].astype(int)
    background = (np.abs(rgb - 221) <= 8).all(axis=-1) | (rgb >= 250).all(axis=-1)
    return [float((~band).mean()) for band in np.array_split(background, bands)]


def test_painted_share_fails_a_map_clipped_after_its_top_rows():
    rows = np.full((300, 200, 4), 221, dtype=np.uint8)
    rows[:, :, 3] = 255
    rows[:, :, 0] = 120  # painted everywhere
    assert min(painted_share_by_band(rows)) == 1.0
    clipped = rows.copy()
    clipped[100:] = 255  # only the top third painted, as with headless tile-memory clipping
    assert painted_share_by_band(clipped)[1:] == [0.0, 0.0]


def test_screenshot_shows_the_whole_map_painted(built, painting_browser, png_reader):
    """A real screenshot of the briefing at 1400x1000: the map box is painted top to bottom."""
    import base64

    _, path, _ = built
    driver = painting_browser
    driver.get(path.resolve().as_uri())
    rect = driver.execute_script(
        "var m = document.querySelector('.folium-map'); m.scrollIntoView();"
        "var r = m.getBoundingClientRect();"
        "var c = document.querySelector('.leaflet-top.leaflet-right .leaflet-control-layers')"
        "  .getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom, c.left, window.devicePixelRatio];"
    )
    # Wait for SNT.fit (run after the page's scripts) and the paint that follows.
    driver.execute_async_script("var done = arguments[0]; setTimeout(done, 300);")
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True}
    )
    pixels = png_reader(base64.b64decode(shot["data"]))
    left, top, right, bottom, controls_left, ratio = (float(v) for v in rect)
    assert ratio == 1.0 and bottom - top > 480
    # The data area: the map box left of the control column, above the attribution line.
    area = pixels[int(top) : int(bottom) - 40, int(left) + 1 : int(controls_left)]
    shares = painted_share_by_band(area)
    assert min(shares[1:]) > 0.25 and float(np.mean(shares)) > 0.2, shares
    # The layer control and the legend column do not overlap, and a legend hides with its layer.
    ctl, legends, n_before = driver.execute_script(
        "var r = e => { var b = e.getBoundingClientRect(); return [b.left, b.top, b.right,"
        "  b.bottom]; };"
        "return [r(document.querySelector('.leaflet-control-layers')),"
        "  r(document.querySelector('.snt-legend-panel')),"
        "  document.querySelectorAll('.snt-legend-title').length];"
    )
    assert legends[1] >= ctl[3] or legends[0] >= ctl[2], (ctl, legends)
    driver.execute_script(
        "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".find(l => l.textContent.includes('Shared priority: Street crime'))"
        ".querySelector('input').click();"
    )
    titles = driver.execute_script(
        "return Array.from(document.querySelectorAll('.snt-legend-title')).map(e => e.textContent)"
    )
    assert len(titles) == n_before - 1 and "Shared priority: Street crime" not in titles


# ------------------------------------------------------------------------------ meeting paper


def test_reads_like_a_meeting_paper(built, page):
    briefing, path, _ = built
    text = path.read_text(encoding="utf-8")
    a = briefing.assessment
    # "For decision" first, then the background.
    assert text.index('id="for-decision"') < text.index('id="at-a-glance"')
    assert text.index('id="at-a-glance"') < text.index('id="ward-problem-solving"')
    for block in ("decision-changes", "decision-exceptions", "decision-no-evidence"):
        assert block in page.ids, block
    flagged = a.exceptions.flagged
    assert page.rows.get("decision-exceptions", 0) == (len(flagged) + 1 if len(flagged) else 0)
    # The full register and the raw provenance are folded below.
    assert re.search(
        r'<details><summary>Full priority register[^<]*</summary><table id="priorities"', text
    )
    assert re.search(
        r'<details[^>]*><summary>Raw provenance[^<]*</summary><table id="parameters"', text
    )
    # One row per estate, its street-crime clusters listed in it.
    assert page.rows["links"] == len(a.link_estates) + 1
    assert page.rows["link-candidates"] == len(a.links) + 1
    # Themes in words wherever a person reads a table cell.
    for key in ("street_crime", "criminal_damage_arson", "other_theft", "asb"):
        assert f"<td>{key}</td>" not in text, key
    # Trend words never stronger than the test: "rising"/"falling" only after BH.
    ch = a.changes
    confirmed = {
        (str(r.ward_code), str(r.theme))
        for r in ch.itertuples()
        if r.significant and not r.small_number
    }
    strong = sum(
        1
        for r in a.priorities.itertuples()
        if r.trend in ("rising", "falling")
        and not r.small_number
        and (str(r.ward_code), str(r.theme)) in confirmed
    )
    assert len(re.findall(r"<td>(?:rising|falling) \(", text)) == strong
    assert "<td>rising</td>" not in text and "<td>falling</td>" not in text
    # Repeat locations: one row per snap point, per borough (not per location text).
    assert page.rows["key-locations"] == len(a.repeats) + 1
    # police.uk has months only: the time-of-day block says so, and is no table of zeros.
    assert a.time_of_day.state == "no_times"
    assert '<p class="empty" id="time-of-day">No time-of-day table' in text
    assert "time-of-day" not in page.rows
    # Emerging hot spots: a table and a map layer.
    assert "emerging" in page.ids
    assert any(layer.title.startswith("Emerging hot spots") for layer in briefing.map_layers)
