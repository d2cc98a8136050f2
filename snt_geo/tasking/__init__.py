"""The tasking assessment: profile + linkage for a period, as tables and method records.

No presentation here (no folium, no HTML): :func:`snt_geo.maps.render_briefing` draws an
assessment, and :func:`snt_geo.tasking_briefing` does both in one call.
"""

from snt_geo.tasking.assessment import (
    TASKING_STEPS,
    TaskingAssessment,
    TaskingMethod,
    tasking_assessment,
)

__all__ = ["TASKING_STEPS", "TaskingAssessment", "TaskingMethod", "tasking_assessment"]
