"""Problem solving and review: plans (Form 302, SARA), their store, tracking and evaluation.

Analysis only: nothing here imports folium or :mod:`snt_geo.maps`.
"""

from snt_geo.problem_solving.displacement import (
    DisplacementQuotient,
    WDDResult,
    displacement_quotient,
    wdd_test,
)
from snt_geo.problem_solving.evaluation import (
    DEFAULT_BUFFER_WIDTH_M,
    EvaluationMethod,
    InterventionEvaluation,
    evaluate_intervention,
)

__all__ = [
    "DEFAULT_BUFFER_WIDTH_M",
    "DisplacementQuotient",
    "EvaluationMethod",
    "InterventionEvaluation",
    "WDDResult",
    "displacement_quotient",
    "evaluate_intervention",
    "wdd_test",
]
