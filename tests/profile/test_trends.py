import numpy as np
import pytest
from scipy import stats

from snt_geo.profile.trends import percent_change, poisson_change_test


@pytest.mark.parametrize("ratio", [1.0, 2.0, 0.25, 12 / 11])
def test_matches_scipy_binomtest(ratio):
    rng = np.random.default_rng(7)
    count = rng.poisson(rng.uniform(0, 40, 300))
    base = rng.poisson(rng.uniform(0, 40, 300))
    got = poisson_change_test(count, base, exposure_ratio=ratio)
    p = ratio / (1 + ratio)
    expected = [
        stats.binomtest(int(c), int(c + b), p).pvalue if c + b else 1.0
        for c, b in zip(count, base, strict=True)
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


def test_known_values_and_edge_cases():
    got = poisson_change_test([30, 10, 0, 5, 0, 1000], [15, 10, 0, 0, 7, 800])
    assert got[0] == pytest.approx(stats.binomtest(30, 45).pvalue)
    assert got[1] == 1.0  # no change
    assert got[2] == 1.0  # nothing in either period
    assert got[3] == pytest.approx(2 * 0.5**5)
    assert got[4] == pytest.approx(2 * 0.5**7)
    assert got[5] < 1e-5
    assert np.isnan(poisson_change_test([np.nan], [3]))[0]
    assert poisson_change_test(np.array([[3, 4]]), np.array([[4, 3]])).shape == (1, 2)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        poisson_change_test([-1], [3])
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        poisson_change_test([1.5], [3])
    with pytest.raises(ValueError, match="`exposure_ratio` must be a positive number"):
        poisson_change_test([1], [3], exposure_ratio=0)


def test_percent_change():
    got = percent_change([12, 5, 3, np.nan], [10, 0, 6, 4])
    np.testing.assert_allclose(got, [20.0, np.nan, -50.0, np.nan])
