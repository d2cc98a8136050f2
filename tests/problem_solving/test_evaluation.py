"""evaluate_intervention on real Met burglary (2024-01..2025-02), read in place."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from scipy import stats

from snt_geo.errors import CRSError
from snt_geo.io import read_police_uk
from snt_geo.problem_solving import _placebo, evaluate_intervention

BEFORE = ("2024-01", "2024-06")
AFTER = ("2024-08", "2025-01")
#: The busiest 2 km square by before count on a 2 km lattice anchored at (500000, 170000).
BUSY_2KM = shapely.box(528000, 180000, 530000, 182000)


@pytest.fixture(scope="module")
def burglary(shared_data) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_police_uk(
            shared_data / "police-uk-metropolitan-street-burglary-only",
            months=pd.period_range("2024-01", "2025-02", freq="M"),
        )


def _treated(geom) -> gpd.GeoSeries:
    return gpd.GeoSeries([geom], crs="EPSG:27700")


def _periods(incidents):
    months = incidents["month"].astype(str)
    before = months.between(*BEFORE).to_numpy()
    after = months.between(*AFTER).to_numpy()
    return before, after


def test_counts_agree_with_geopandas_and_etest_equals_scipy(burglary):
    r = evaluate_intervention(burglary, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    before, after = _periods(burglary)
    ring = BUSY_2KM.buffer(200).difference(BUSY_2KM)
    in_t = burglary.within(BUSY_2KM).to_numpy()
    in_b = burglary.within(ring).to_numpy()
    for area, mask in (("treated", in_t), ("buffer", in_b), ("control", ~in_t & ~in_b)):
        assert r.counts.loc[area, "before"] == (mask & before).sum()
        assert r.counts.loc[area, "after"] == (mask & after).sum()
    expected = stats.poisson_means_test(
        int((in_t & after).sum()), 6, int((in_t & before).sum()), 6
    ).pvalue
    assert r.tests.loc["treated_poisson", "p_value"] == expected
    assert (
        r.monthly.loc[pd.Period("2024-03", "M"), "treated"]
        == (in_t & (burglary["month"].astype(str) == "2024-03").to_numpy()).sum()
    )
    in_range = burglary["month"].astype(str).between("2024-01", "2025-01").to_numpy()
    assert r.monthly["treated"].sum() == (in_t & in_range).sum()
    assert r.monthly.loc[pd.Period("2024-07", "M"), "treated"] > 0  # the gap month is drawn


def test_wdd_in_the_evaluation_is_the_linear_poisson_contrast(burglary):
    r = evaluate_intervention(burglary, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    c = r.counts
    w_t = c.loc["control", "before"] / c.loc["treated", "before"]
    w_b = c.loc["control", "before"] / c.loc["buffer", "before"]
    d = (c["after"] - c["before"]) / 6
    est = d["treated"] + d["buffer"] - (1 / w_t + 1 / w_b) * d["control"]
    var = (
        (c.loc["treated", ["before", "after"]].sum() + c.loc["buffer", ["before", "after"]].sum())
        + (1 / w_t + 1 / w_b) ** 2 * c.loc["control", ["before", "after"]].sum()
    ) / 36
    assert r.wdd.estimate == pytest.approx(est, rel=1e-12)
    assert r.wdd.variance == pytest.approx(var, rel=1e-12)


def _plant(incidents, geom, *, share, rng, move_to=None):
    """Remove (or move into ``move_to``) ``share`` of the after-period incidents in ``geom``."""
    _, after = _periods(incidents)
    inside = incidents.within(geom).to_numpy()
    cand = np.flatnonzero(inside & after)
    chosen = rng.choice(cand, int(round(share * len(cand))), replace=False)
    if move_to is None:
        return incidents.drop(index=incidents.index[chosen])
    minx, miny, maxx, maxy = move_to.bounds
    pts: list[shapely.Point] = []
    while len(pts) < len(chosen):
        px, py = rng.uniform(minx, maxx, 500), rng.uniform(miny, maxy, 500)
        ok = shapely.contains_xy(move_to, px, py)
        pts.extend(shapely.points(px[ok], py[ok]))
    geoms = incidents.geometry.to_numpy().copy()
    geoms[chosen] = pts[: len(chosen)]
    return incidents.set_geometry(gpd.GeoSeries(geoms, index=incidents.index, crs="EPSG:27700"))


def test_planted_reduction_is_detected(burglary):
    treated = _treated(BUSY_2KM)
    untouched = evaluate_intervention(burglary, treated=treated, before=BEFORE, after=AFTER)
    assert not untouched.declined  # nothing done: -4%, placebo p 0.84
    planted = _plant(burglary, BUSY_2KM, share=0.4, rng=np.random.default_rng(0))
    r = evaluate_intervention(
        planted, treated=treated, before=BEFORE, after=AFTER, implemented_as_planned=True
    )
    assert r.declined
    assert r.tests.loc["treated_placebo", "p_value"] < 0.05
    assert r.tests.loc["treated_placebo", "estimate"] < -30
    assert "the problem declined" in r.verdict
    assert "Implemented as planned and the problem declined" in r.verdict
    assert not r.displaced


def test_planted_shift_into_buffer_is_reported_as_displacement(burglary):
    ring = BUSY_2KM.buffer(200).difference(BUSY_2KM)
    moved = _plant(burglary, BUSY_2KM, share=0.4, rng=np.random.default_rng(0), move_to=ring)
    r = evaluate_intervention(moved, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    assert r.declined
    assert r.displaced
    assert r.tests.loc["buffer_placebo", "p_value"] < 0.05
    assert -1 < r.wdq.wdq < 0
    assert r.wdq.buffer_net_effect > 0
    assert "displacement into the buffer likely" in r.verdict


def _placebo_pvalues(tiles, months, picks, n_placebo=99):
    """The public function's placebo test for many treated tiles at once (same engine)."""
    logs = _placebo.log_change(tiles.treated, months)
    var = _placebo.log_change_variance(tiles.treated, tiles.treated_sq)
    out = []
    for i in picks:
        ref = _placebo.reference(
            tiles,
            centre=(tiles.col[i], tiles.row[i]),
            target_before=tiles.treated[i, 0],
            n=n_placebo,
            which="treated",
        )
        out.append(_placebo.placebo_test(logs[i], var[i], logs[ref], var[ref]))
    return out


def _significant(tests) -> np.ndarray:
    return np.array([_placebo.is_significant(t, 0.05) for t in tests])


def test_untouched_busy_squares_are_significant_at_close_to_the_nominal_rate(burglary):
    """200 random 600 m squares among busy ones: placebo <= 10% at 0.05; E-test far more."""
    rng = np.random.default_rng(12)
    before, after = _periods(burglary)
    period = np.where(before, 0, np.where(after, 1, -1))
    x = burglary.geometry.x.to_numpy()
    y = burglary.geometry.y.to_numpy()
    calibrated, poisson = [], []
    busiest41 = None
    for _ in range(4):  # four lattices at random offsets, 50 busy placements on each
        ox, oy = rng.uniform(0, 1000, 2)
        square = shapely.box(500_200 + ox, 170_200 + oy, 500_800 + ox, 170_800 + oy)
        tiles = _placebo.count_tiles(
            x,
            y,
            np.ones(len(x)),
            period,
            treated=square,
            buffer=square.buffer(200).difference(square),
            within=None,
        )
        # Placements on the unshifted tiling (whole tile positions), busiest first.
        whole = np.flatnonzero((tiles.col % 1 == 0) & (tiles.row % 1 == 0))
        busy = whole[np.argsort(-tiles.treated[whole].sum(axis=1), kind="stable")]
        picks = rng.choice(busy[:300], 50, replace=False)
        calibrated.extend(_significant(_placebo_pvalues(tiles, (6, 6), picks)))
        poisson.extend(
            stats.poisson_means_test(int(c[1]), 6, int(c[0]), 6).pvalue
            for c in tiles.treated[picks]
        )
        if busiest41 is None:
            top = busy[:41]
            busiest41 = (
                int(_significant(_placebo_pvalues(tiles, (6, 6), top)).sum()),
                sum(
                    stats.poisson_means_test(int(c[1]), 6, int(c[0]), 6).pvalue < 0.05
                    for c in tiles.treated[top]
                ),
            )
            # The vectorised engine is the public function's: check three placements.
            for i in picks[:3]:
                geom = shapely.affinity.translate(
                    square, tiles.col[i] * tiles.tile_width_m, tiles.row[i] * tiles.tile_height_m
                )
                r = evaluate_intervention(
                    burglary, treated=_treated(geom), before=BEFORE, after=AFTER
                )
                one = _placebo_pvalues(tiles, (6, 6), [i])[0]
                assert r.tests.loc["treated_placebo", "p_value"] == pytest.approx(
                    one.p_value, rel=1e-9
                )
                assert r.tests.loc["treated_placebo", "rank_p_value"] == one.rank_p_value
    calibrated_rate = float(np.mean(calibrated))
    poisson_rate = float(np.mean(np.array(poisson) < 0.05))
    print(
        f"\nuntouched busy 600 m squares called significant at 0.05: placebo "
        f"{calibrated_rate:.1%}, Poisson E-test {poisson_rate:.1%} (of 200); busiest 41 on one "
        f"lattice: placebo {busiest41[0]}, E-test {busiest41[1]}"
    )
    assert len(calibrated) == 200
    assert calibrated_rate <= 0.10
    assert poisson_rate > calibrated_rate
    assert busiest41[1] >= 3 * max(busiest41[0], 1)  # the issue measured 10-12 of 41 (E-test)


def test_similar_wards_control_takes_the_closest_before_counts(burglary):
    # 2 km "wards" tiling central London; the control takes the 3 closest in before count.
    cells = [
        shapely.box(x0, y0, x0 + 2000, y0 + 2000)
        for x0 in range(522000, 536000, 2000)
        for y0 in range(174000, 188000, 2000)
    ]
    wards = gpd.GeoDataFrame(
        {"ward_name": [f"w{i}" for i in range(len(cells))]},
        geometry=cells,
        crs="EPSG:27700",
        index=pd.Index([f"E0{i:04d}" for i in range(len(cells))], name="ward_code"),
    )
    r = evaluate_intervention(
        burglary,
        treated=_treated(BUSY_2KM),
        before=BEFORE,
        after=AFTER,
        control="similar_wards",
        wards=wards,
        n_control_wards=3,
    )
    before, _ = _periods(burglary)
    footprint = BUSY_2KM.buffer(200)
    clear = wards[~wards.intersects(footprint)]
    pre = np.array([(burglary[before].within(g)).sum() for g in clear.geometry])
    target = r.counts.loc["treated", "before"]
    want = clear.index[np.argsort(np.abs(np.log(pre + 0.5) - np.log(target + 0.5)))[:3]]
    assert set(r.method.control_wards) == set(want)


def test_harm_weights_weight_every_count(burglary):
    r1 = evaluate_intervention(burglary, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    r3 = evaluate_intervention(
        burglary,
        treated=_treated(BUSY_2KM),
        before=BEFORE,
        after=AFTER,
        harm_weights={"Burglary": 3.0},
    )
    assert (r3.counts[["before", "after"]] == 3 * r1.counts[["before", "after"]]).all().all()
    assert r3.wdd.estimate == pytest.approx(3 * r1.wdd.estimate)
    assert r3.wdd.variance == pytest.approx(9 * r1.wdd.variance)
    assert np.isnan(r3.tests.loc["treated_poisson", "p_value"])
    # A scale factor changes no log change: the placebo p-value is the same.
    assert r3.tests.loc["treated_placebo", "estimate"] == pytest.approx(
        r1.tests.loc["treated_placebo", "estimate"], abs=0.5
    )


def test_result_shape_and_method_record(burglary):
    r = evaluate_intervention(burglary, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    assert list(r.tests.index) == [
        "treated_poisson",
        "wdd_poisson",
        "treated_placebo",
        "buffer_placebo",
    ]
    assert r.method.n_placebo == 99
    frame = r.to_frame()
    assert frame.attrs["method"] is r.method
    assert "placebo" in r.method.describe()
    assert r.method.to_dict()["buffer_rule"].startswith("a ring 200 m")
    assert "<p>" in r._repr_html_()
    assert list(r.areas.index) == ["treated", "buffer", "control"]
    assert r.monthly.index[0] == pd.Period("2024-01", "M")
    assert r.monthly.index[-1] == pd.Period("2025-01", "M")
    # 4326 input gives the same counts.
    r4326 = evaluate_intervention(
        burglary.to_crs(4326), treated=_treated(BUSY_2KM).to_crs(4326), before=BEFORE, after=AFTER
    )
    assert (r4326.counts["before"] - r.counts["before"]).abs().max() <= 2  # boundary rounding


def test_bad_input_is_refused_with_the_argument_named(burglary):
    t = _treated(BUSY_2KM)
    with pytest.raises(ValueError, match="`before` .* and `after` .* overlap"):
        evaluate_intervention(burglary, treated=t, before=BEFORE, after=("2024-06", "2024-09"))
    with pytest.raises(CRSError, match="`treated` is a bare shapely geometry"):
        evaluate_intervention(burglary, treated=BUSY_2KM, before=BEFORE, after=AFTER)
    with pytest.raises(CRSError, match="`treated` has no CRS"):
        evaluate_intervention(
            burglary, treated=gpd.GeoSeries([BUSY_2KM]), before=BEFORE, after=AFTER
        )
    with pytest.raises(ValueError, match="`harm_weights` has no weight for"):
        evaluate_intervention(
            burglary, treated=t, before=BEFORE, after=AFTER, harm_weights={"Robbery": 2}
        )
    with pytest.raises(ValueError, match="needs `wards`"):
        evaluate_intervention(
            burglary, treated=t, before=BEFORE, after=AFTER, control="similar_wards"
        )
    with pytest.raises(ValueError, match="`before` must be a \\(first month, last month\\)"):
        evaluate_intervention(burglary, treated=t, before="2024-01", after=AFTER)
    with pytest.raises(ValueError, match="`themes` \\['asb'\\] matches no incident"):
        evaluate_intervention(burglary, treated=t, before=BEFORE, after=AFTER, themes=["asb"])
    with pytest.raises(ValueError, match="`n_placebo` must be a whole number"):
        evaluate_intervention(burglary, treated=t, before=BEFORE, after=AFTER, n_placebo=0)


def test_row_order_does_not_matter(burglary):
    shuffled = burglary.sample(frac=1.0, random_state=3)
    a = evaluate_intervention(burglary, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    b = evaluate_intervention(shuffled, treated=_treated(BUSY_2KM), before=BEFORE, after=AFTER)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    assert a.verdict == b.verdict


def test_a_treated_area_with_no_incidents(burglary):
    # A 50 m square in a park-sized gap of central London: no burglary there at all.
    empty = shapely.box(527_000, 179_000, 527_050, 179_050)
    assert not burglary.within(empty).any()
    r = evaluate_intervention(burglary, treated=_treated(empty), before=BEFORE, after=AFTER)
    assert r.counts.loc["treated", ["before", "after"]].tolist() == [0.0, 0.0]
    assert r.tests.loc["treated_poisson", "p_value"] == 1.0
    assert np.isnan(r.wdq.wdq) and r.wdq.reading.startswith("not read")
    assert not r.declined
