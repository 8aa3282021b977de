"""Circuit availability (电路可用率) per circuit and period, and its roll-ups per customer and per
maintenance level against the targets of ``config/sla.yaml``.

    report = compute_availability(engine, month_period("2026-12", tz), policy, clock, calendar=calendar)
"""

from correlator.availability.compute import AvailabilityError, compute_availability
from correlator.availability.model import AvailabilityReport, CircuitAvailability, GroupAvailability, Span
from correlator.availability.period import Period, PeriodError, month_period, operator_tz, period_of

__all__ = [
    "AvailabilityError",
    "AvailabilityReport",
    "CircuitAvailability",
    "GroupAvailability",
    "Period",
    "PeriodError",
    "Span",
    "compute_availability",
    "month_period",
    "operator_tz",
    "period_of",
]
