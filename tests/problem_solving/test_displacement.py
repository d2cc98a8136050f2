"""WDD and WDQ against the published worked examples and a brute-force sum."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snt_geo.problem_solving import displacement_quotient, wdd_test


def test_wdd_published_example():
    # Wheeler & Ratcliffe (2018): control (308, 318), treated (207, 110), displacement control
    # (150, 140), displacement treated (178, 157).
    r = wdd_test((207, 110), (308, 318), (178, 157), (150, 140))
    assert r.estimate == -118
    assert r.variance == 1568
    assert r.se == pytest.approx(math.sqrt(1568), rel=1e-12)
    assert round(r.z, 2) == -2.98
    assert r.p_value == pytest.approx(2 * 0.5 * math.erfc(118 / math.sqrt(1568) / math.sqrt(2)))
    assert r.ci_low == pytest.approx(-118 - 1.959963984540054 * math.sqrt(1568), rel=1e-9)


def test_wdd_time_weights_example():
    # Pre period twice as long as the post period.
    r = wdd_test((80, 20), (100, 50), time_weights=(2, 1))
    assert r.estimate == -20
    assert r.variance == 115
    assert r.se == pytest.approx(math.sqrt(115))


def test_wdd_harm_and_area_weights_against_brute_force():
    rng = np.random.default_rng(3)
    counts = {k: rng.integers(5, 60, size=(3, 2)) for k in ("t", "c", "d", "cd")}
    harm = np.array([1.0, 2.5, 0.3])
    area = (1.0, 2.0, 1.5, 3.0)
    tw = (3.0, 2.0)
    r = wdd_test(
        counts["t"],
        counts["c"],
        counts["d"],
        counts["cd"],
        time_weights=tw,
        area_weights=area,
        harm_weights=harm,
    )
    est = 0.0
    var = 0.0
    for (key, sign), a in zip((("t", 1), ("c", -1), ("d", 1), ("cd", -1)), area, strict=True):
        for k in range(3):
            b, af = counts[key][k]
            est += sign * harm[k] * (af / tw[1] - b / tw[0]) / a
            var += harm[k] ** 2 * (af / tw[1] ** 2 + b / tw[0] ** 2) / a**2
    assert r.estimate == pytest.approx(est, rel=1e-12)
    assert r.variance == pytest.approx(var, rel=1e-12)


def test_wdq_published_reading_example():
    q = displacement_quotient((100, 50), (100, 150), (100, 100))
    assert q.wdq == -1.0
    assert q.success_measure == -0.5
    assert q.buffer_measure == 0.5
    assert q.gross_effect == 50
    assert q.net_effect == 50
    assert q.buffer_net_effect == 50
    assert q.total_net_effect == 0
    assert "equal to the gain" in q.reading


@pytest.mark.parametrize(
    ("buffer", "reading"),
    [
        ((100, 20), "diffusion of benefits greater"),
        ((100, 80), "diffusion of benefits into"),
        ((100, 100), "no displacement"),
        ((100, 120), "partial displacement"),
        ((100, 200), "exceeding the gain"),
    ],
)
def test_wdq_readings(buffer, reading):
    q = displacement_quotient((100, 50), buffer, (100, 100))
    assert reading in q.reading


def test_wdq_not_read_when_treated_did_not_improve():
    q = displacement_quotient((100, 120), (100, 150), (100, 100))
    assert math.isnan(q.wdq)
    assert q.reading.startswith("not read")


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="`treated` must be a \\(before, after\\) pair"):
        wdd_test((1, 2, 3), (1, 2))
    with pytest.raises(ValueError, match="`time_weights` must be 2 positive numbers"):
        wdd_test((1, 2), (1, 2), time_weights=(0, 1))
    with pytest.raises(ValueError, match="give both or neither"):
        wdd_test((1, 2), (1, 2), (3, 4))
    with pytest.raises(ValueError, match="`harm_weights` has 2 weights"):
        wdd_test([(1, 2)] * 3, [(1, 2)] * 3, harm_weights=[1, 2])
    with pytest.raises(ValueError, match="`control` needs incidents in both periods"):
        displacement_quotient((1, 2), (1, 2), (0, 5))


def test_method_record_shape():
    r = wdd_test((207, 110), (308, 318))
    assert r.to_dict()["estimate"] == r.estimate
    assert "Wheeler & Ratcliffe" in r.describe()
    q = displacement_quotient((100, 50), (100, 150), (100, 100))
    assert "Bowers & Johnson" in q.describe()
