"""dask, imported only when a function of snt_geo.scale is called (the ``scale`` extra)."""

from __future__ import annotations

from types import ModuleType

HINT = 'snt_geo.scale needs dask, distributed and dask-geopandas: pip install "snt-geo[scale]"'


def dask_modules() -> tuple[ModuleType, ModuleType]:
    """``(dask, dask.dataframe)``, with dask_geopandas registered for GeoDataFrame partitions."""
    try:
        import dask
        import dask.dataframe as dd
        import dask_geopandas  # noqa: F401  (registers GeoDataFrame partitions with dask)
    except ImportError as exc:  # pragma: no cover - the scale extra is installed in CI
        raise ImportError(HINT) from exc
    return dask, dd


def is_dask_collection(obj: object) -> bool:
    """Whether ``obj`` is a dask collection, without importing dask when it is not loaded."""
    import sys

    if "dask" not in sys.modules:
        return False
    from dask import is_dask_collection as check

    return bool(check(obj))
