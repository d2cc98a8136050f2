"""snt_geo.linkage._dbscan against scikit-learn's DBSCAN with sample weights."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import DBSCAN

from snt_geo.linkage._dbscan import _dbscan_from_pairs, _dbscan_weighted, _space_time_pairs


def _weighted_points(rng, n=600):
    """Distinct points on a 5 m lattice (ties at exactly eps) with integer weights."""
    xy = np.unique(rng.integers(0, 60, size=(n, 2)) * 5.0, axis=0)
    xy = xy[rng.permutation(len(xy))]
    return xy, rng.integers(1, 4, size=len(xy))


@pytest.mark.parametrize(("eps", "min_samples"), [(10.0, 4), (15.0, 8), (5.0, 3)])
def test_grid_engine_equals_sklearn_with_sample_weight(eps, min_samples):
    rng = np.random.default_rng(int(eps * 10 + min_samples))
    xy, w = _weighted_points(rng)
    ours, core = _dbscan_weighted(xy[:, 0], xy[:, 1], w, np.arange(len(xy)), eps, min_samples)
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(xy, sample_weight=w)
    np.testing.assert_array_equal(ours, ref.labels_)  # the same numbers, not only partition
    expected_core = np.zeros(len(xy), dtype=bool)
    expected_core[ref.core_sample_indices_] = True
    np.testing.assert_array_equal(core, expected_core)


def test_pair_engine_equals_sklearn_on_the_same_neighbourhoods():
    rng = np.random.default_rng(5)
    xy, w = _weighted_points(rng, n=400)
    t = np.zeros(len(xy))  # one time unit: space-time pairs are the spatial pairs
    i, j = _space_time_pairs(xy[:, 0], xy[:, 1], t, 10.0, 1.0)
    ours = _dbscan_from_pairs(len(xy), i, j, w, np.arange(len(xy)), 5)
    ref = DBSCAN(eps=10.0, min_samples=5).fit_predict(xy, sample_weight=w)
    np.testing.assert_array_equal(ours, ref)


def test_empty_input():
    labels, core = _dbscan_weighted(
        np.zeros(0), np.zeros(0), np.zeros(0, int), np.zeros(0, int), 5.0, 2
    )
    assert labels.shape == (0,) and core.shape == (0,)
