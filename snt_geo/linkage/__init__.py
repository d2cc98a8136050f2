"""Hotspots, clusters, shared priorities, cross-border flags and ASB <-> street-crime links."""

from snt_geo._method import CombinedMethod, concat_results, method_of
from snt_geo.linkage.clusters import (
    CLUSTER_COLUMNS,
    MIN_HULL_RADIUS_M,
    ClusterMethod,
    ClusterSummaryMethod,
    cluster_incidents,
    summarise_clusters,
)
from snt_geo.linkage.cross_border import (
    CROSS_BORDER_COLUMNS,
    CrossBorderMethod,
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
    ESTATE_COLUMNS,
    LINK_COLUMNS,
    LinkMethod,
    Links,
    colocation_quotient,
    link_asb_to_street_crime,
)
from snt_geo.linkage.near_repeat import (
    KNOX_COLUMNS,
    KnoxMethod,
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
    SharedPrioritiesMethod,
    flag_shared_priorities,
    ward_adjacency,
)
from snt_geo.linkage.ward_clusters import (
    WARD_CLUSTER_CLASSES,
    WardClusterMethod,
    find_ward_clusters,
)

__all__ = [
    "choose_hotspot_scale",
    "CLUSTER_COLUMNS",
    "cluster_incidents",
    "ClusterMethod",
    "ClusterSummaryMethod",
    "colocation_quotient",
    "CombinedMethod",
    "concat_results",
    "CROSS_BORDER_COLUMNS",
    "CrossBorderMethod",
    "default_bandwidth_m",
    "default_cell_size_m",
    "DensityGrid",
    "DensityMethod",
    "dual_kernel_density",
    "dual_kernel_density_grid",
    "EMERGING_CLASSES",
    "emerging_hotspots",
    "EmergingHotspots",
    "EmergingMethod",
    "ESTATE_COLUMNS",
    "find_hotspots",
    "find_ward_clusters",
    "flag_cross_border_hotspots",
    "flag_shared_priorities",
    "GridResult",
    "GridSpec",
    "HOTSPOT_CLASSES",
    "hotspot_grid",
    "HotspotGrid",
    "HotspotMethod",
    "HotspotScale",
    "kernel_density",
    "kernel_density_grid",
    "KERNELS",
    "KNOX_COLUMNS",
    "knox_test",
    "KnoxMethod",
    "KnoxResult",
    "link_asb_to_street_crime",
    "LINK_COLUMNS",
    "link_places_to_crime",
    "LinkMethod",
    "Links",
    "make_grid",
    "mann_kendall",
    "method_of",
    "MIN_HULL_RADIUS_M",
    "RISK_OPERATIONS",
    "RiskTerrain",
    "RiskTerrainMethod",
    "ScaleMethod",
    "SharedPriorities",
    "SharedPrioritiesMethod",
    "summarise_clusters",
    "ward_adjacency",
    "WARD_CLUSTER_CLASSES",
    "WardClusterMethod",
]
