"""The briefing's stop-and-search layer and table, drawn in a real headless Chromium.

City of London sample wards and incidents, City stop-and-search files for 2019-07..12.
"""

import json
import warnings

import pytest

from snt_geo.datasets import load_sample
from snt_geo.io import read_stop_and_search
from snt_geo.maps import render_briefing
from snt_geo.tasking import tasking_assessment

LAYER = "Stop and search per ward (period)"


@pytest.fixture(scope="module")
def briefing(shared_data):
    sample = load_sample()
    folder = shared_data / "police-uk-city-of-london/stop-and-search"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        searches = read_stop_and_search(
            [folder / f"2019-{m:02d}-city-of-london-stop-and-search.csv.gz" for m in range(7, 13)]
        )
        a = tasking_assessment(
            sample.wards,
            sample.incidents,
            period=("2019-07", "2019-12"),
            priorities=sample.priorities,
            permutations=99,
            rng=0,
        )
        with_searches = tasking_assessment(
            sample.wards,
            sample.incidents,
            period=("2019-07", "2019-12"),
            priorities=sample.priorities,
            searches=searches,
            permutations=99,
            rng=0,
        )
    return render_briefing(a), render_briefing(with_searches)


def test_layer_draws_every_ward_in_the_browser(briefing, tmp_path, open_page):
    without, with_searches = briefing
    assert LAYER not in [layer.title for layer in without.map_layers]
    assert 'id="stop-search"' not in without.html
    layer = next(layer for layer in with_searches.map_layers if layer.title == LAYER)
    path = with_searches.save(tmp_path / "b.html")
    page = open_page(path)
    driver = page.driver
    name = layer.get_name()
    driver.execute_script(
        "var l = window[arguments[0]]; var m = Object.values(window).find("
        "  v => v instanceof L.Map); if (!m.hasLayer(l)) { m.addLayer(l); }",
        name,
    )
    drawn = driver.execute_script(
        "var n = 0; window[arguments[0]].eachLayer(function (l) {"
        "  if (l._path && document.contains(l._path)) { n += 1; }"
        "  else if (l._renderer instanceof L.Canvas && document.contains("
        "    l._renderer._container)) { n += 1; } }); return n;",
        name,
    )
    assert drawn == len(json.loads(layer.payload_json)["g"]) == 25
    rows = driver.execute_script(
        "return document.querySelectorAll('#stop-search tbody tr').length;"
    )
    table = with_searches.assessment.stop_search
    assert rows == int((table["searches"] > 0).sum()) > 0
    assert not [e for e in page.console if e.get("level") == "SEVERE"]
