"""Silent wards in the assessment and the briefing's caveats; stop and search in the assessment.

Real data: the bundled City sample (2023-01..06 for the silent wards) and the City of London
stop-and-search files (2019-07..12, the months the archive holds).
"""

import warnings

import numpy as np
import pytest

from snt_geo.datasets import load_sample
from snt_geo.io import read_stop_and_search
from snt_geo.maps import render_briefing
from snt_geo.profile import stop_search_profile
from snt_geo.tasking import tasking_assessment

CITY_SEARCHES = "police-uk-city-of-london/stop-and-search"


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def _assess(sample, period, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return tasking_assessment(
            sample.wards,
            sample.incidents,
            period=period,
            demographics=sample.demographics,
            priorities=sample.priorities,
            permutations=99,
            rng=0,
            **kwargs,
        )


def test_silent_wards_reach_the_briefing_caveats(sample):
    a = _assess(sample, ("2023-01", "2023-06"))
    silent = a.silent_wards
    assert sorted(silent.index[silent["silent"]]) == ["E05000020", "E05000025"]
    counts = a.profile.wards["incident_count"]
    assert (silent["incident_count"] == counts.reindex(silent.index)).all()
    assert len(a.data_caveats) == 2
    lime = next(c for c in a.data_caveats if c.startswith("Lime Street"))
    assert "has 0 incidents in 2023-01..2023-06 while its 4 neighbouring wards" in lime
    briefing = render_briefing(a)
    assert lime in briefing.caveats
    assert "Lime Street (E05000020) has 0 incidents" in briefing.html
    assert a.method.steps["silent wards"].n_silent == 2


def test_stop_search_in_the_assessment(sample, shared_data):
    with pytest.warns(UserWarning, match="no coordinates 454"):
        searches = read_stop_and_search(
            [
                shared_data / CITY_SEARCHES / f"2019-{m:02d}-city-of-london-stop-and-search.csv.gz"
                for m in range(7, 13)
            ]
        )
    a = _assess(sample, ("2019-07", "2019-12"), searches=searches)
    table = a.stop_search
    assert table is not None and table.index.equals(sample.wards.index.rename("ward_code"))
    expected = stop_search_profile(sample.wards, searches)
    np.testing.assert_array_equal(table["searches"], expected["searches"])
    assert table["searches"].sum() == table.attrs["method"].searches_in_wards > 0
    assert "Stop and search counted per ward, 2019-07 to 2019-12" in " ".join(a.method_note)
    assert _assess(sample, ("2023-01", "2023-06")).stop_search is None
    # The briefing shows them: a table (one row per ward with searches) and a map layer.
    briefing = render_briefing(a)
    html = briefing.html
    start = html.index('<table id="stop-search">')
    body = html[start : html.index("</table>", start)]
    assert body.count("<tr>") == 1 + int((table["searches"] > 0).sum())
    busiest = a.wards.loc[table["searches"].idxmax(), "ward_name"]
    assert f"<td>{busiest}</td><td>{table['searches'].max():,}</td>" in body
    titles = [layer.title for layer in briefing.map_layers]
    assert "Stop and search per ward (period)" in titles
