"""Time of day and day of week: hour x weekday tables, aoristic weights for from-to windows.

police.uk publishes months only, so its incidents have no time of day; these functions say so
explicitly (``TimeOfDay.state == "no_times"``) rather than report zeros. A BIU's own extract
(:func:`snt_geo.io.incidents_from_frame` with ``date=``, plus any from-to columns) has times.
"""

from snt_geo.temporal.aoristic import AoristicMethod, aoristic_weights
from snt_geo.temporal.time_of_day import (
    TIME_STATES,
    WEEKDAYS,
    TimeOfDay,
    TimeOfDayMethod,
    time_of_day,
)

__all__ = [
    "TIME_STATES",
    "WEEKDAYS",
    "AoristicMethod",
    "TimeOfDay",
    "TimeOfDayMethod",
    "aoristic_weights",
    "time_of_day",
]
