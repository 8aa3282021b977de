"""The SLA policy (``config/sla.yaml``): the operator's differentiated-service rules as data.

The vocabulary (tier names, level names) is fixed by DOMAIN.md and lives in
:mod:`correlator.domain`; everything those names *mean* (ranks, grades, time limits, targets,
which circuits must be diverse) is read from the policy file so an operator can change it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from correlator.domain import (
    Area,
    CustomerTier,
    DeviceRole,
    ImportantClass,
    MaintenanceLevel,
    NetworkGrade,
    ProtectionNeed,
    ServiceLevel,
    SiteKind,
    TicketCause,
    TicketKind,
)

Minutes = Annotated[int, Field(gt=0, description="minutes")]
Hours = Annotated[float, Field(gt=0, description="hours")]
Percent = Annotated[float, Field(gt=0, le=100, description="percent")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierPolicy(Strict):
    rank: int = Field(ge=1, description="1 is the most important")
    label: str


class ServiceLevelPolicy(Strict):
    rank: int = Field(ge=1)
    label: str


class MaintenanceLevelPolicy(Strict):
    rank: int = Field(ge=1)
    label: str
    guarantee: str = Field(description="sla (strict compensation), quality (negotiable) or none")
    network_grade: NetworkGrade
    restore_minutes: Minutes | None = Field(
        default=None, description="None: the public-service promise (by area) applies"
    )
    availability_target_percent: Percent
    protection: ProtectionNeed

    @field_validator("guarantee")
    @classmethod
    def _guarantee(cls, v: str) -> str:
        if v not in {"sla", "quality", "none"}:
            raise ValueError("must be one of 'sla', 'quality', 'none'")
        return v


class TicketLimits(Strict):
    dispatch_minutes: Minutes
    accept_minutes: Minutes
    confirm_minutes: Minutes
    warn_fraction: float = Field(gt=0, lt=1, description="warn when this share of a limit is used")


class PublicService(Strict):
    """Ordinary (non-differentiated) lines: repaired within N hours by area."""

    restore_hours: dict[Area, Hours]

    @model_validator(mode="after")
    def _all_areas(self) -> PublicService:
        missing = [a.value for a in Area if a not in self.restore_hours]
        if missing:
            raise ValueError(f"restore_hours lacks {', '.join(missing)}")
        return self


class ProductPolicy(Strict):
    """A product's own restore limits, by customer tier (e.g. voice trunks: 20/24/48 h)."""

    label: str
    technology: str
    restore_hours_by_tier: dict[CustomerTier, Hours] | None = Field(
        default=None,
        description="overrides the maintenance-level restore limit for this product",
    )


class TimelinessPolicy(Strict):
    target_percent: Percent
    excluded_causes: list[TicketCause] = Field(
        description="tickets closed with these causes are not counted (customer side, other operator)"
    )
    counted_kinds: list[TicketKind] = Field(
        default_factory=lambda: [TicketKind.outage, TicketKind.customer_report],
        description="ticket kinds the rate counts (protection-lost tickets: the service was never down)",
    )


class TicketRules(Strict):
    """How the ticket book opens, reopens and times tickets (beyond the clocks of ``ticket_limits``)."""

    protection_lost_tickets: bool = Field(
        default=True,
        description="open a lower-priority ticket for a protected circuit down to a single route",
    )
    protection_lost_restore_hours: Hours = Field(
        default=24, description="restore limit of a protection-lost ticket (the service itself is up)"
    )
    protection_lost_hold_seconds: int = Field(
        default=300,
        ge=0,
        description="a circuit left on one route when its outage ends gets a protection-lost ticket only if that"
        " lasts this long (its outage ticket covered it until then)",
    )
    reopen_within_minutes: int = Field(
        default=120,
        ge=0,
        description="a fault returning this soon after its ticket was restored reopens that ticket (0: never)",
    )


class DiversityRequirement(Strict):
    important_classes: list[ImportantClass]
    maintenance_levels: list[MaintenanceLevel]
    cross_local_network: bool


class DiversityPolicy(Strict):
    required_for: DiversityRequirement
    spreading_max_circuits_per_route: int = Field(ge=1)
    spreading_max_share_percent: Percent | None = Field(
        default=None,
        description="also flag a route carrying at least this share of a same-direction group (None: off)",
    )
    spreading_min_group: int = Field(
        default=2, ge=2, description="the share rule applies to same-direction groups of at least this many circuits"
    )
    spreading_layer_roles: list[DeviceRole] = Field(
        default_factory=lambda: [DeviceRole.aggregation, DeviceRole.long_distance],
        description="a link is at the spreading layers if one of its elements has one of these roles "
        "(and neither is a customer element)",
    )
    mate_board_satisfies_dual_board: bool = Field(
        default=True,
        description="both paths on one board is accepted when that board has a 1+1 mate (protected_by)",
    )
    suggestion_no_transit_site_kinds: list[SiteKind] = Field(
        default_factory=lambda: [SiteKind.customer_premises, SiteKind.data_centre],
        description="a suggested protection route never passes through sites of these kinds (other than its ends)",
    )


class PlannedWorkPolicy(Strict):
    notice_hours: Hours
    approval_required_over_hours: Hours
    approval_required_for_important: bool


class AvailabilityPolicy(Strict):
    """What counts as outage time in circuit availability (电路可用率); each exclusion can be turned off."""

    exclude_planned_work: bool = Field(
        default=True,
        description="outage inside an announced planned-work window over the incident's root is not counted",
    )
    excluded_causes: list[TicketCause] = Field(
        default_factory=lambda: [TicketCause.customer_side, TicketCause.force_majeure, TicketCause.planned_work],
        description="outage of tickets with these causes is not counted",
    )
    customer_report_starts_outage: bool = Field(
        default=True,
        description="an outage starts at the customer's report when that is earlier than detection",
    )
    count_customer_reports: bool = Field(
        default=True,
        description="a customer-reported fault the network did not see counts from report to restoration",
    )


class SlaPolicy(Strict):
    version: int = Field(ge=1, le=1)
    customer_tiers: dict[CustomerTier, TierPolicy]
    service_levels: dict[ServiceLevel, ServiceLevelPolicy]
    maintenance_levels: dict[MaintenanceLevel, MaintenanceLevelPolicy]
    ticket_limits: TicketLimits
    public_service: PublicService
    products: dict[str, ProductPolicy]
    timeliness: TimelinessPolicy
    tickets: TicketRules = TicketRules()
    diversity: DiversityPolicy
    planned_work: PlannedWorkPolicy
    availability: AvailabilityPolicy = AvailabilityPolicy()

    @model_validator(mode="after")
    def _complete(self) -> SlaPolicy:
        for field, enum in (
            ("customer_tiers", CustomerTier),
            ("service_levels", ServiceLevel),
            ("maintenance_levels", MaintenanceLevel),
        ):
            table = getattr(self, field)
            missing = [e.value for e in enum if e not in table]
            if missing:
                raise ValueError(f"{field} lacks {', '.join(missing)}: every one must be defined")
        return self

    # -- derived facts ---------------------------------------------------------------------

    def network_grade(self, level: MaintenanceLevel) -> NetworkGrade:
        return self.maintenance_levels[level].network_grade

    def protection_need(self, level: MaintenanceLevel) -> ProtectionNeed:
        return self.maintenance_levels[level].protection

    def restore_limit(
        self,
        level: MaintenanceLevel,
        area: Area,
        product: str | None = None,
        tier: CustomerTier | None = None,
    ) -> timedelta:
        """The restore limit of one circuit: product table first, then level, then public service."""
        if product is not None and tier is not None:
            prod = self.products.get(product)
            if prod is not None and prod.restore_hours_by_tier and tier in prod.restore_hours_by_tier:
                return timedelta(hours=prod.restore_hours_by_tier[tier])
        minutes = self.maintenance_levels[level].restore_minutes
        if minutes is not None:
            return timedelta(minutes=minutes)
        return timedelta(hours=self.public_service.restore_hours[area])

    def tier_rank(self, tier: CustomerTier) -> int:
        return self.customer_tiers[tier].rank

    def must_be_diverse(
        self,
        important_class: ImportantClass,
        level: MaintenanceLevel,
        cross_local_network: bool,
    ) -> bool:
        req = self.diversity.required_for
        return (
            important_class in req.important_classes
            or level in req.maintenance_levels
            or (req.cross_local_network and cross_local_network)
        )
