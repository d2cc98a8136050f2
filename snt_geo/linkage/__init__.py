"""Hotspots, clusters, shared priorities, cross-border flags and ASB <-> street-crime links."""

from snt_geo.linkage.clusters import (
    CLUSTER_COLUMNS,
    MIN_HULL_RADIUS_M,
    cluster_incidents,
    summarise_clusters,
)
from snt_geo.linkage.cross_border import (
    CROSS_BORDER_COLUMNS,
    flag_cross_border_hotspots,
)
from snt_geo.linkage.density import (
    KERNELS,
    DensityGrid,
    DensityMethod,
    default_bandwidth_m,
    dual_kernel_density,
    dual_kernel_density_grid,
    kernel_density,
    kernel_density_grid,
)
from snt_geo.linkage.emerging import (
    EMERGING_CLASSES,
    EmergingHotspots,
    EmergingMethod,
    emerging_hotspots,
    mann_kendall,
)
from snt_geo.linkage.grid import (
    GridResult,
    GridSpec,
    default_cell_size_m,
    make_grid,
)
from snt_geo.linkage.hotspots import (
    HOTSPOT_CLASSES,
    HotspotGrid,
    HotspotMethod,
    find_hotspots,
    hotspot_grid,
)
from snt_geo.linkage.links import (
    LINK_COLUMNS,
    colocation_quotient,
    link_asb_to_street_crime,
)
from snt_geo.linkage.near_repeat import (
    KNOX_COLUMNS,
    KnoxResult,
    knox_test,
)
from snt_geo.linkage.risk_terrain import (
    RISK_OPERATIONS,
    RiskTerrain,
    RiskTerrainMethod,
    link_places_to_crime,
)
from snt_geo.linkage.scale import HotspotScale, ScaleMethod, choose_hotspot_scale
from snt_geo.linkage.shared_priorities import (
    SharedPriorities,
    flag_shared_priorities,
    ward_adjacency,
)
from snt_geo.linkage.ward_clusters import (
    WARD_CLUSTER_CLASSES,
    WardClusterMethod,
    find_ward_clusters,
)

__all__ = [
    "HotspotScale",
    "RISK_OPERATIONS",
    "RiskTerrain",
    "RiskTerrainMethod",
    "ScaleMethod",
    "WARD_CLUSTER_CLASSES",
    "WardClusterMethod",
    "choose_hotspot_scale",
    "find_ward_clusters",
    "link_places_to_crime",
    "CLUSTER_COLUMNS",
    "CROSS_BORDER_COLUMNS",
    "DensityGrid",
    "DensityMethod",
    "EMERGING_CLASSES",
    "EmergingHotspots",
    "EmergingMethod",
    "GridResult",
    "GridSpec",
    "HOTSPOT_CLASSES",
    "HotspotGrid",
    "HotspotMethod",
    "KERNELS",
    "KNOX_COLUMNS",
    "KnoxResult",
    "LINK_COLUMNS",
    "MIN_HULL_RADIUS_M",
    "SharedPriorities",
    "cluster_incidents",
    "colocation_quotient",
    "default_bandwidth_m",
    "default_cell_size_m",
    "dual_kernel_density",
    "dual_kernel_density_grid",
    "emerging_hotspots",
    "find_hotspots",
    "flag_cross_border_hotspots",
    "flag_shared_priorities",
    "hotspot_grid",
    "kernel_density",
    "kernel_density_grid",
    "knox_test",
    "link_asb_to_street_crime",
    "make_grid",
    "mann_kendall",
    "summarise_clusters",
    "ward_adjacency",
]
