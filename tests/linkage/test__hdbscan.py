"""snt_geo.linkage._hdbscan: scikit-learn's private routines are imported in one place."""

from __future__ import annotations

import sys

import pytest

from snt_geo.errors import SntGeoError
from snt_geo.linkage._hdbscan import (
    SKLEARN_HDBSCAN_TESTED,
    HdbscanRoutinesError,
    _sklearn_hdbscan_routines,
)


def test_routines_present_in_the_installed_scikit_learn():
    process_mst, tree_to_labels, edge_dtype = _sklearn_hdbscan_routines()
    assert callable(process_mst) and callable(tree_to_labels)
    assert set(edge_dtype.names) == {"current_node", "next_node", "distance"}


def test_moved_routines_give_a_clear_error(monkeypatch):
    # None in sys.modules makes `import` of that module fail, as if scikit-learn had moved it.
    monkeypatch.setitem(sys.modules, "sklearn.cluster._hdbscan._tree", None)
    with pytest.raises(HdbscanRoutinesError, match=r"tested with scikit-learn>=1\.3") as info:
        _sklearn_hdbscan_routines()
    assert isinstance(info.value, SntGeoError) and isinstance(info.value, ImportError)
    assert 'method="dbscan"' in str(info.value)
    assert SKLEARN_HDBSCAN_TESTED in str(info.value)
