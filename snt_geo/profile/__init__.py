"""Ward-level descriptors: areas + incidents (+ demographics) -> one row per area."""

from snt_geo.profile.assignment import assign_wards
from snt_geo.profile.exceptions import (
    EXCEPTION_CLASSES,
    ExceptionsMethod,
    WardExceptions,
    find_exceptions,
)
from snt_geo.profile.priorities import (
    PRIORITY_COLUMNS,
    PRIORITY_STATUSES,
    REGISTER_MATCH_COLUMNS,
    SUGGESTION_COLUMNS,
    match_register,
    read_priorities,
    suggest_priorities,
    validate_priorities,
)
from snt_geo.profile.profile import (
    BASELINES,
    ProfileMethod,
    WardProfile,
    profile_info,
    profile_locations,
    profile_monthly,
    theme_columns,
    ward_profile,
)
from snt_geo.profile.repeats import REPEAT_COLUMNS, RepeatsMethod, find_repeat_locations
from snt_geo.profile.rollup import TOTAL, borough_summary, monthly_report
from snt_geo.profile.silent_wards import (
    SILENT_WARD_COLUMNS,
    SilentWardsMethod,
    describe_silent_wards,
    find_silent_wards,
)
from snt_geo.profile.smoothing import (
    SMOOTHED_RATE_COLUMNS,
    RateSmoothingMethod,
    smooth_ward_rate_columns,
    smooth_ward_rates,
)
from snt_geo.profile.stop_search import (
    StopSearchMethod,
    describe_stop_search,
    stop_search_monthly,
    stop_search_profile,
)
from snt_geo.profile.trends import percent_change, poisson_change_test

__all__ = [
    "BASELINES",
    "EXCEPTION_CLASSES",
    "ExceptionsMethod",
    "REPEAT_COLUMNS",
    "RepeatsMethod",
    "WardExceptions",
    "find_exceptions",
    "find_repeat_locations",
    "RateSmoothingMethod",
    "SMOOTHED_RATE_COLUMNS",
    "smooth_ward_rate_columns",
    "smooth_ward_rates",
    "PRIORITY_COLUMNS",
    "PRIORITY_STATUSES",
    "REGISTER_MATCH_COLUMNS",
    "SILENT_WARD_COLUMNS",
    "SUGGESTION_COLUMNS",
    "TOTAL",
    "ProfileMethod",
    "SilentWardsMethod",
    "StopSearchMethod",
    "assign_wards",
    "borough_summary",
    "describe_silent_wards",
    "describe_stop_search",
    "find_silent_wards",
    "monthly_report",
    "match_register",
    "percent_change",
    "poisson_change_test",
    "profile_info",
    "profile_locations",
    "profile_monthly",
    "read_priorities",
    "stop_search_monthly",
    "stop_search_profile",
    "suggest_priorities",
    "theme_columns",
    "validate_priorities",
    "WardProfile",
    "ward_profile",
]
