"""The API's response documents (pydantic), as published in ``/openapi.json``.

Times are ISO 8601 with the offset of the daemon config's ``timezone`` (``2026-12-01T10:00:00+08:00``);
the builders in :mod:`correlator.api.present` convert them. Enumerations are plain strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CircuitStatus = Literal["ok", "degraded", "protection_lost", "outage"]
RouteStateName = Literal["ok", "single_route_risk", "outage"]
ClockState = Literal["running", "at_risk", "breached"]


# -- errors ----------------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """Every error response: what is wrong, and what to do about it."""

    error: str
    fix: str


class FieldProblem(BaseModel):
    field: str = Field(description="where: body.end, query.since, path.ticket_id")
    problem: str


class ValidationErrorOut(ErrorOut):
    fields: list[FieldProblem]


# -- meta ------------------------------------------------------------------------------------------


class WhoAmI(BaseModel):
    name: str = Field(description="the token's name (anonymous: no token, api.anonymous_read is on)")
    role: Literal["read_only", "operator"]
    anonymous_read: bool = Field(description="the server lets GET routes through without a token")


class ServerInfo(BaseModel):
    name: str
    version: str
    now: datetime
    timezone: str
    warn_fraction: float = Field(description="share of an SLA limit after which a clock is at risk (amber)")


# -- alarms ----------------------------------------------------------------------------------------


class ResourceOut(BaseModel):
    type: str
    id: str
    if_index: int | None = None


class AlarmOut(BaseModel):
    key: str = Field(description="reduction key: device, resource and alarm type")
    device: str
    resource: ResourceOut
    ref: str | None = Field(description="the inventory resource (kind:id) it is about; null: not in the inventory")
    alarm_type: str
    severity: str
    layer: str
    kind: str
    state: Literal["active", "cleared", "flapping"]
    condition: Literal["active", "cleared"]
    raised_at: datetime
    cleared_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    count: int
    changes: int
    sources: list[str]
    flapping_since: datetime | None
    detail: str
    unknown_type: bool
    incident: str | None = Field(default=None, description="the active incident it belongs to (root or symptom)")


class AlarmList(BaseModel):
    alarms: list[AlarmOut]
    total: int = Field(description="alarms matching the filters (before the limit)")
    limit: int


# -- incidents -------------------------------------------------------------------------------------


class RootOut(BaseModel):
    kind: str
    id: str
    key: str
    rule: str = Field(description="the correlation rule that inferred it ('' when the alarm itself is the root)")
    evidence: list[str] = Field(description="keys of the root alarms")


class ImpactedCircuitOut(BaseModel):
    circuit: str
    customer: str
    customer_name: str | None
    tier: str
    maintenance_level: str
    service_level: str
    status: Literal["outage", "protection_lost", "degraded"]
    since: datetime
    status_since: datetime
    until: datetime | None
    paths_down: list[str]
    heavy_penalty: bool = Field(description="group customer's central node in outage, or a disaster-recovery circuit")


class SymptomOut(BaseModel):
    alarm: str
    rule: str
    parent: str
    active: bool


class IntervalOut(BaseModel):
    circuit: str
    status: str
    start: datetime
    end: datetime | None


class DeadlineOut(BaseModel):
    """The nearest SLA deadline of an incident (or a ticket): the page counts down to ``due``."""

    clock: Literal["dispatch", "accept", "restore", "confirm"]
    circuit: str
    ticket: str | None = Field(description="the ticket whose clock it is; null: no ticket yet (restore limit)")
    start: datetime
    due: datetime
    warn_at: datetime = Field(description="start + warn_fraction of the limit: amber from here, red from due")
    state: ClockState


class IncidentOut(BaseModel):
    id: str
    state: Literal["settling", "open", "cleared", "closed", "merged"]
    published: bool = Field(description="the settle window passed (settling incidents may still merge)")
    root: RootOut
    started_at: datetime
    opened_at: datetime
    updated_at: datetime
    cleared_at: datetime | None
    closed_at: datetime | None
    merged_into: str | None
    flapping: bool
    tier: str | None = Field(description="highest customer tier it hurts now")
    maintenance_level: str | None = Field(description="highest maintenance level it hurts now")
    heavy_penalty: bool
    symptom_count: int
    circuits: list[ImpactedCircuitOut] = Field(
        description="the circuits it hurts or hurt: hurt now first, worst status, then tier and maintenance level"
        " (the NOC document and live updates list only the first ones: see circuits_total)"
    )
    circuits_total: int = Field(description="how many circuits it hurts or hurt in all")
    outage: list[str] = Field(description="circuits in outage now")
    single_route_risk: list[str] = Field(description="protected circuits down to one path now")
    degraded: list[str]
    deadline: DeadlineOut | None = Field(default=None, description="nearest SLA deadline of its open tickets")
    tickets: list[str] = Field(default_factory=list, description="tickets opened for it")


class IncidentDetail(IncidentOut):
    symptoms: list[SymptomOut]
    history: list[IntervalOut] = Field(description="impact intervals (circuit, status, start, end)")


class IncidentList(BaseModel):
    incidents: list[IncidentOut]
    total: int


# -- circuits --------------------------------------------------------------------------------------


class CircuitOut(BaseModel):
    id: str
    customer: str
    customer_name: str
    tier: str
    industry: str
    important_class: str
    maintenance_level: str
    network_grade: str
    service_level: str
    product: str
    bandwidth: str
    protected: bool
    disaster_recovery: bool
    central_node: bool
    status: CircuitStatus = Field(description="worst impact of the published incidents hurting it now")
    route_state: RouteStateName = Field(
        description="single_route_risk: a protected circuit down to one path (one more fault takes it)"
    )
    status_since: datetime | None
    incidents: list[str] = Field(description="active incidents hurting it now")
    diversity_verdict: str | None = Field(description="the diversity audit's verdict (null: not required)")


class AvailabilityOut(BaseModel):
    circuit: str
    start: datetime
    end: datetime
    period_seconds: float
    outage_seconds: float = Field(description="counted outage time (exclusions applied)")
    excluded_seconds: float = Field(description="outage time not counted (planned work, excluded causes)")
    availability_percent: float
    target_percent: float
    met: bool
    outages: int


class CircuitDetail(CircuitOut):
    a_end: str
    z_end: str
    working: list[str]
    protection: list[str] | None
    availability: AvailabilityOut | None = Field(
        default=None, description="for the period asked (?start=&end=); today so far by default"
    )


class CircuitList(BaseModel):
    circuits: list[CircuitOut]
    total: int


# -- diversity -------------------------------------------------------------------------------------


class ElementOut(BaseModel):
    kind: str
    id: str
    where: str


class HopOut(BaseModel):
    index: int
    link: str


class FindingOut(BaseModel):
    circuit: str
    customer: str
    tier: str
    maintenance_level: str
    verdict: str
    rule: str
    element: ElementOut
    working_hops: list[HopOut]
    protection_hops: list[HopOut]
    detail: str


class FindingList(BaseModel):
    findings: list[FindingOut]
    counts: dict[str, int] = Field(description="audited circuits by verdict")
    audited: int
    not_required: int


# -- NOC page --------------------------------------------------------------------------------------


class RiskCircuit(BaseModel):
    circuit: str
    customer: str
    customer_name: str | None
    tier: str
    maintenance_level: str
    since: datetime
    incident: str
    paths_down: list[str]


class AvailabilityFigure(BaseModel):
    start: datetime
    end: datetime
    circuits: int
    circuits_with_outage: int
    outage_seconds: float
    availability_percent: float = Field(description="all circuits, time-weighted")
    below_target: list[str] = Field(description="circuits under their maintenance level's target so far")


class TimelinessFigure(BaseModel):
    """The timeliness rate (及时率) as the monthly KPI counts it: a ticket belongs to the day (month) its
    restore limit falls due; causes the policy excludes are left out."""

    start: datetime
    end: datetime
    decided: int = Field(description="tickets due today whose verdict is known (restored, or past the limit)")
    met: int
    rate_percent: float | None = Field(description="met / decided today; null when nothing is decided yet")
    month_rate_percent: float | None = Field(description="the month so far (the KPI)")
    target_percent: float
    open: int = Field(description="tickets still being worked")
    breached: int = Field(description="open tickets past a limit")


class NocSummary(BaseModel):
    now: datetime
    timezone: str
    warn_fraction: float
    incidents: list[IncidentOut] = Field(description="open published incidents, by tier then maintenance level")
    recently_cleared: list[IncidentOut] = Field(description="cleared incidents waiting to close")
    impacted: int = Field(description="circuits hurt now by the incidents listed")
    protection_lost: list[RiskCircuit] = Field(description="circuits at single-route risk, most important first")
    availability: AvailabilityFigure | None
    timeliness: TimelinessFigure | None
    diversity_violations: list[FindingOut] = Field(description="findings of circuits whose verdict is violation")
    diversity_counts: dict[str, int] = Field(description="audited circuits by verdict")
    notes: list[str] = Field(default_factory=list, description="why a figure is missing, if one is")


# -- tickets ---------------------------------------------------------------------------------------


class ClockOut(BaseModel):
    clock: Literal["dispatch", "accept", "restore", "confirm"]
    start: datetime
    due: datetime
    warn_at: datetime
    stopped_at: datetime | None
    outcome: Literal["running", "at_risk", "breached", "met", "missed", "not_needed"]


class TicketOut(BaseModel):
    id: str
    circuit: str
    customer: str
    customer_name: str | None
    kind: Literal["outage", "protection_lost", "customer_report"]
    state: Literal["opened", "dispatched", "accepted", "restored", "confirmed", "closed"]
    priority: int = Field(description="lower is worked first: kind, then tier, maintenance and service level")
    tier: str
    maintenance_level: str
    service_level: str
    heavy_penalty: bool
    incident: str | None
    root: str | None
    known_at: datetime = Field(description="the fault is known from here: every clock counts from it")
    detected_at: datetime | None
    customer_reported_at: datetime | None
    opened_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    restored_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    team: str | None
    cause: str | None
    restore_limit_minutes: int
    restore_due_at: datetime
    planned_work_id: str | None
    reopened_count: int
    version: int
    clocks: list[ClockOut]
    deadline: DeadlineOut | None = Field(description="the nearest running clock")
    allowed_actions: list[str] = Field(description="the transitions allowed now")


class TransitionOut(BaseModel):
    seq: int
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor: str
    team: str | None
    note: str | None
    cause: str | None
    incident: str | None


class TicketDetail(TicketOut):
    transitions: list[TransitionOut]


class TicketList(BaseModel):
    tickets: list[TicketOut]
    total: int


class TransitionIn(BaseModel):
    """One engineer's step on a ticket. ``dispatch`` needs ``team``; ``close`` needs ``cause``."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["dispatch", "accept", "restore", "confirm", "close"]
    team: str | None = Field(default=None, min_length=1, max_length=200, description="the maintenance team")
    note: str | None = Field(default=None, max_length=2000)
    cause: Literal["operator_network", "customer_side", "other_operator", "force_majeure", "planned_work"] | None = (
        Field(default=None, description="needed to close: customer_side and other_operator leave the KPI")
    )
    at: AwareDatetime | None = Field(default=None, description="when it happened (default: now); ISO 8601 with offset")


# -- planned work ----------------------------------------------------------------------------------


class PlannedFindingOut(BaseModel):
    rule: str
    message: str
    circuits: list[str]
    customers: list[str]
    other_window: str | None


class PlannedWorkOut(BaseModel):
    id: str
    title: str
    kind: str
    source: Literal["inventory", "runtime"] = Field(description="inventory windows change only in the inventory files")
    state: Literal["planned", "cancelled", "cut_short"]
    resources: list[str]
    start: datetime
    end: datetime
    announced_at: datetime
    notice_hours: float
    duration_hours: float
    approved: bool
    approved_by: str | None
    route: str | None
    steps: list[str]
    rollback: str | None
    revision: int = Field(description="send it back as expected_revision to change the window")
    created_at: datetime | None
    created_by: str | None
    updated_at: datetime | None
    updated_by: str | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    takes_service: list[str] = Field(description="circuits that lose every path during the window")
    takes_protection: list[str] = Field(description="circuits that lose one path during the window")
    findings: list[PlannedFindingOut] = Field(description="notice, approval and overlap rules it breaks")


class PlannedWorkList(BaseModel):
    windows: list[PlannedWorkOut]
    total: int


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="why the work is cancelled")
    expected_revision: int | None = Field(default=None, ge=1, description="refused if the window changed meanwhile")
