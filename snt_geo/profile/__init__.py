"""Ward-level descriptors: areas + incidents (+ demographics) -> one row per area."""

from snt_geo.profile.assignment import assign_wards

__all__ = ["assign_wards"]
