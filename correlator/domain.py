"""The operator's vocabulary (DOMAIN.md glossary) as enums.

These are names, not rules: what each tier or level *means* in time limits, grades and targets is
data in ``config/sla.yaml`` (see :mod:`correlator.policy`).
"""

from __future__ import annotations

from enum import StrEnum


class CustomerTier(StrEnum):
    """客户等级, highest first."""

    group = "group"
    provincial = "provincial"
    local_a = "local_a"
    local_b = "local_b"
    local_c = "local_c"


class ServiceLevel(StrEnum):
    """客户服务等级 (after-sales tier)."""

    vip1 = "vip1"
    vip2 = "vip2"
    vip3 = "vip3"
    ordinary = "ordinary"


class MaintenanceLevel(StrEnum):
    """电路维护等级: three SLA-guaranteed, three quality-guaranteed, and ordinary."""

    AAA = "AAA"
    AA = "AA"
    A = "A"
    I = "I"  # noqa: E741 - the operator's own name for the level
    II = "II"
    III = "III"
    ordinary = "ordinary"


class NetworkGrade(StrEnum):
    """网络等级, derived from the maintenance level, never entered."""

    A = "A"
    B = "B"
    C = "C"
    N = "N"


class DeviceKind(StrEnum):
    sdh = "sdh"
    mstp = "mstp"
    ipran = "ipran"
    cpe = "cpe"


class DeviceRole(StrEnum):
    """Where an element sits; the service-spreading rule looks at aggregation and long-distance."""

    core = "core"
    long_distance = "long_distance"
    aggregation = "aggregation"
    access = "access"
    customer = "customer"


class SiteKind(StrEnum):
    central_office = "central_office"
    machine_room = "machine_room"
    customer_premises = "customer_premises"
    manhole = "manhole"
    data_centre = "data_centre"


class Area(StrEnum):
    """Public-service repair promise differs between towns and countryside."""

    town = "town"
    countryside = "countryside"


class ImportantClass(StrEnum):
    """Important-customer classes that DOMAIN.md names for route diversity."""

    none = "none"
    group_top100 = "group_top100"
    provincial_key = "provincial_key"
    diamond = "diamond"
    gold = "gold"
    silver = "silver"
    bronze = "bronze"


class Industry(StrEnum):
    party = "party"
    government = "government"
    military = "military"
    finance = "finance"
    energy = "energy"
    healthcare = "healthcare"
    education = "education"
    retail = "retail"
    automotive = "automotive"
    logistics = "logistics"
    manufacturing = "manufacturing"
    internet = "internet"
    small_business = "small_business"
    other = "other"


class CircuitScope(StrEnum):
    """Cross-operator circuits get no end-to-end differentiated service; international only domestic."""

    domestic = "domestic"
    cross_operator = "cross_operator"
    international = "international"


class PathRole(StrEnum):
    working = "working"
    protection = "protection"


class ProtectionNeed(StrEnum):
    required = "required"
    optional = "optional"
    none = "none"


class ResourceKind(StrEnum):
    """Kinds of thing a planned-work window or a what-if cut can name."""

    site = "site"
    duct = "duct"
    cable = "cable"
    device = "device"
    board = "board"
    port = "port"
    link = "link"


class PlannedWorkKind(StrEnum):
    line_repair = "line_repair"
    equipment_move = "equipment_move"
    cutover = "cutover"
    upgrade = "upgrade"
    other = "other"


class PlannedWorkSource(StrEnum):
    """Where a planned-work window is kept: the inventory files, or created at run time (CLI, API)."""

    inventory = "inventory"
    runtime = "runtime"


class TicketKind(StrEnum):
    """What a fault ticket is about: a circuit in outage, a protected circuit down to one route,
    or a fault the customer reported (before, or without, detection)."""

    outage = "outage"
    protection_lost = "protection_lost"
    customer_report = "customer_report"


class TicketCause(StrEnum):
    """Cause attribution when a ticket is closed (customer-side and other-operator faults are
    excluded from the timeliness rate by config/sla.yaml)."""

    operator_network = "operator_network"
    customer_side = "customer_side"
    other_operator = "other_operator"
    force_majeure = "force_majeure"
    planned_work = "planned_work"
