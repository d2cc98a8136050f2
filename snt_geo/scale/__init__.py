"""Past one machine: the row-proportional steps on dask (the ``scale`` extra, imported lazily).

Reading the archive, ward assignment, counts per ward / cell / month / theme and distinct-location
grouping grow with the rows; here they run partition by partition (a month of one force, or a
cached month) on any dask scheduler, a laptop's cores or a cluster, and give the same tables as in
memory. The statistics on the aggregated grids stay in memory.

Point it at a cluster by creating a ``distributed.Client`` before calling these functions
(``Client("tcp://scheduler:8786")``); the archive or cache path must be readable by the workers.
"""

from snt_geo.scale.archive import read_archive_dask, read_incidents_parquet_dask
from snt_geo.scale.counts import count_by_cell, count_by_ward, count_locations

__all__ = [
    "count_by_cell",
    "count_by_ward",
    "count_locations",
    "read_archive_dask",
    "read_incidents_parquet_dask",
]
