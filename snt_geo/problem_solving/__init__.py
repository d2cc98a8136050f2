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
from snt_geo.problem_solving.plans import (
    CHEERS,
    LEADS,
    OUTCOMES,
    PLAN_STATUSES,
    REQUIRED_FIELDS,
    STAGES,
    Plan,
    Response,
    Review,
    StageError,
    new_plan,
)
from snt_geo.problem_solving.review import (
    EVALUATION_COLUMNS,
    PlanReview,
    ReviewMethod,
    review_plans,
)
from snt_geo.problem_solving.store import (
    SCHEMA_VERSION,
    ConflictError,
    Register,
    RegisterVersionError,
    create_register,
    open_register,
)
from snt_geo.problem_solving.tracking import (
    REVIEW_INTERVAL_DAYS,
    PlanTracking,
    TrackingMethod,
    track_plans,
)

__all__ = [
    "CHEERS",
    "LEADS",
    "OUTCOMES",
    "PLAN_STATUSES",
    "REQUIRED_FIELDS",
    "SCHEMA_VERSION",
    "STAGES",
    "ConflictError",
    "Plan",
    "Register",
    "RegisterVersionError",
    "Response",
    "Review",
    "StageError",
    "create_register",
    "new_plan",
    "open_register",
    "EVALUATION_COLUMNS",
    "PlanReview",
    "ReviewMethod",
    "review_plans",
    "REVIEW_INTERVAL_DAYS",
    "PlanTracking",
    "TrackingMethod",
    "track_plans",
    "DEFAULT_BUFFER_WIDTH_M",
    "DisplacementQuotient",
    "EvaluationMethod",
    "InterventionEvaluation",
    "WDDResult",
    "displacement_quotient",
    "evaluate_intervention",
    "wdd_test",
]
