"""Tests for snt_geo.linkage.risk_terrain: a planted risk surface near real London snap points.

Crime is generated cell by cell from a Poisson model with known relative risks (3.0 near one
place layer, 1.0 near another) around real police.uk snap points; the 95% intervals must contain
the truth in at least 90 of 100 runs, and the coefficients must equal a direct statsmodels fit.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import statsmodels.api as sm
from scipy.spatial.distance import cdist

from snt_geo.linkage.risk_terrain import RiskTerrain, link_places_to_crime

BNG = "EPSG:27700"
X0, Y0, SIDE, CELL = 528_000.0, 182_000.0, 3_000.0, 100.0
INFLUENCE = 200.0
TRUE_RR = {"layer_a": 3.0, "layer_b": 1.0}
BASE_RATE = 0.3


@pytest.fixture(scope="module")
def planted(shared_data):
    """Two place layers of 25 real snap points each and the cells' true expected counts."""
    from snt_geo.io import read_police_uk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        inc = read_police_uk(
            shared_data
            / "police-uk-metropolitan-street-burglary-only"
            / "2019-01-metropolitan-street.csv.gz"
        )
    xy = np.unique(inc.geometry.get_coordinates().to_numpy(), axis=0)
    inside = (xy[:, 0] > X0 + 200) & (xy[:, 0] < X0 + SIDE - 200)
    inside &= (xy[:, 1] > Y0 + 200) & (xy[:, 1] < Y0 + SIDE - 200)
    snap = xy[inside]
    assert len(snap) >= 60
    pick = np.random.default_rng(2019).choice(len(snap), 50, replace=False)
    layers = {
        "layer_a": gpd.GeoSeries(shapely.points(snap[pick[:25]]), crs=BNG),
        "layer_b": gpd.GeoSeries(shapely.points(snap[pick[25:]]), crs=BNG),
    }
    g = (np.arange(SIDE / CELL) + 0.5) * CELL
    cx, cy = np.meshgrid(X0 + g, Y0 + g)
    centres = np.column_stack([cx.ravel(), cy.ravel()])
    exposed = {
        name: (cdist(centres, snap[idx]).min(axis=1) <= INFLUENCE).astype(float)
        for name, idx in (("layer_a", pick[:25]), ("layer_b", pick[25:]))
    }
    rate = BASE_RATE * TRUE_RR["layer_a"] ** exposed["layer_a"]
    rate *= TRUE_RR["layer_b"] ** exposed["layer_b"]
    area = gpd.GeoSeries([shapely.box(X0, Y0, X0 + SIDE, Y0 + SIDE)], crs=BNG)
    return layers, centres, exposed, rate, area


def _incidents(centres: np.ndarray, counts: np.ndarray, rng) -> gpd.GeoSeries:
    xy = np.repeat(centres, counts, axis=0) + rng.uniform(-40, 40, (int(counts.sum()), 2))
    return gpd.GeoSeries(shapely.points(xy), crs=BNG)


def _fit(planted, counts, rng, **kwargs) -> RiskTerrain:
    layers, centres, _, _, area = planted
    options = dict(
        area=area, cell_size_m=CELL, influence_m=INFLUENCE, operations=("proximity",),
        selection="none", model="poisson",
    )  # fmt: skip
    options.update(kwargs)
    return link_places_to_crime(_incidents(centres, counts, rng), layers, **options)


def test_planted_relative_risks_are_covered_by_the_intervals(planted):
    _, _, exposed, rate, _ = planted
    rng = np.random.default_rng(15)
    runs = 100
    counts = rng.poisson(rate, size=(runs, len(rate)))  # every run's cells at once
    covered = {name: 0 for name in TRUE_RR}
    for k in range(runs):
        result = _fit(planted, counts[k], rng)
        for name, truth in TRUE_RR.items():
            row = result.factors.loc[f"{name}_proximity_200m"]
            covered[name] += int(row["rr_lower"] <= truth <= row["rr_upper"])
    # The design the function built is the planted exposure.
    np.testing.assert_array_equal(result.cells["layer_a_proximity_200m"], exposed["layer_a"])
    np.testing.assert_array_equal(result.cells["incident_count"], counts[-1])
    print(f"RTM 95% interval coverage over {runs} runs: {covered}")
    assert covered["layer_a"] >= 90 and covered["layer_b"] >= 90


def test_coefficients_equal_a_direct_statsmodels_fit(planted):
    _, _, _, rate, _ = planted
    rng = np.random.default_rng(4)
    counts = rng.poisson(rate)
    result = _fit(planted, counts, rng)
    x = sm.add_constant(result.design.drop(columns="incident_count").to_numpy(float))
    ref = sm.GLM(counts, x, family=sm.families.Poisson()).fit()
    selected = list(result.method.selected)
    np.testing.assert_allclose(result.factors.loc[selected, "coefficient"], ref.params[1:], 1e-8)
    np.testing.assert_allclose(result.factors.loc[selected, "std_error"], ref.bse[1:], 1e-6)
    np.testing.assert_allclose(result.cells["expected_count"], ref.fittedvalues, rtol=1e-7)

    # Overdispersed counts (a gamma-mixed Poisson) for the negative binomial fit.
    mixed = rng.poisson(rate * rng.gamma(2.0, 0.5, len(rate)))
    nb = _fit(planted, mixed, np.random.default_rng(4), model="negative_binomial")
    ref_nb = sm.NegativeBinomial(mixed, x, loglike_method="nb2").fit(disp=0, maxiter=200)
    np.testing.assert_allclose(nb.factors.loc[selected, "coefficient"], ref_nb.params[1:3], 1e-5)
    assert nb.method.dispersion == pytest.approx(ref_nb.params[3], rel=1e-4, abs=1e-8)


def test_selection_keeps_the_real_factor_and_explains_it(planted):
    _, _, _, rate, _ = planted
    rng = np.random.default_rng(8)
    result = _fit(
        planted, rng.poisson(rate), rng, influence_m=(200, 400),
        operations=("proximity", "density"), selection="bic", model="auto",
    )  # fmt: skip
    assert "layer_a_proximity_200m" in result.method.selected
    assert not any(v.startswith("layer_a") for v in result.method.selected[1:])
    sentences = result.sentences()
    assert sentences and sentences[0].startswith("Cells within 200 m of layer a have")
    assert result.factors["significant"].sum() == len(sentences)
    assert "Risk terrain model" in result.method.describe()
    assert result.to_frame().attrs["method"] is result.method
    assert result.method.model in ("poisson", "negative_binomial")


def test_theme_filter_counts_what_it_leaves_out(planted):
    layers, centres, _, rate, area = planted
    rng = np.random.default_rng(1)
    pts = _incidents(centres, rng.poisson(rate), rng)
    frame = gpd.GeoDataFrame(
        {"theme": np.where(np.arange(len(pts)) % 2 == 0, "street_crime", "burglary")},
        geometry=pts,
    )
    result = link_places_to_crime(
        frame, layers, theme="street_crime", area=area, influence_m=200, selection="none"
    )
    assert result.method.n_incidents == (frame["theme"] == "street_crime").sum()
    assert result.method.n_incidents_other_theme == (frame["theme"] == "burglary").sum()


def test_bad_arguments_are_refused(planted):
    layers, centres, _, rate, area = planted
    pts = _incidents(centres, np.random.default_rng(0).poisson(rate), np.random.default_rng(0))
    with pytest.raises(TypeError, match="`places` must be a non-empty dict"):
        link_places_to_crime(pts, [layers["layer_a"]])
    with pytest.raises(ValueError, match="`influence_m` must be a positive number"):
        link_places_to_crime(pts, layers, influence_m=-5)
    with pytest.raises(ValueError, match="`theme` needs incidents with a `theme`"):
        link_places_to_crime(pts, layers, theme="street_crime")
    with pytest.raises(ValueError, match="`model` must be one of"):
        link_places_to_crime(pts, layers, model="logit")
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(TypeError, match="must be a GeoDataFrame"):
        link_places_to_crime(pts, {"estates": frame})
