"""The inventory as the operator names it: sites, ducts, fibre cables, network elements, boards,
ports, links, customers, circuits and planned-work windows.

These pydantic models describe one inventory *file*; :mod:`correlator.inventory.checks` checks
the references between files. Identifiers are strings the operator already uses (``CO-EAST``,
``C-017``); a port is named ``DEVICE:PORT`` (``SDH-E1:11-SL16-1``), a board ``DEVICE:SLOT``.
Network grade is derived from the maintenance level by the SLA policy and is never entered.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, IPvAnyAddress, field_validator, model_validator

from correlator.domain import (
    Area,
    CircuitScope,
    CustomerTier,
    DeviceKind,
    DeviceRole,
    ImportantClass,
    Industry,
    MaintenanceLevel,
    PlannedWorkKind,
    ResourceKind,
    ServiceLevel,
    SiteKind,
)

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
PortName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$", max_length=64)]
PortRef = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*:[A-Za-z0-9][A-Za-z0-9_.\-/]*$",
        description="DEVICE:PORT",
    ),
]
ResourceRef = Annotated[str, Field(description="KIND:ID, e.g. duct:D-07 or port:SDH-E1:11-SL16-1")]

_BANDWIDTH = re.compile(r"^(\d+(?:\.\d+)?)([KMG])$")
_UNIT = {"K": 1, "M": 1_000, "G": 1_000_000}


def bandwidth_kbps(text: str) -> int:
    """``2M`` -> 2000, ``2.5G`` -> 2500000."""
    m = _BANDWIDTH.match(text)
    if not m:
        raise ValueError(f"bandwidth '{text}' is not like 2M, 155M, 2.5G or 64K")
    return round(float(m.group(1)) * _UNIT[m.group(2)])


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Identified(Entity):
    """A top-level inventory entity, known by its id."""

    id: Id


class Site(Identified):
    """A machine room, central office, customer premises or manhole."""

    id: Id
    name: str
    kind: SiteKind
    local_network: str = Field(description="the local (city) network the site belongs to")
    area: Area = Area.town
    address: str | None = None


class Duct(Identified):
    """A duct (管道) section between two sites; cables run through chains of ducts."""

    id: Id
    a_site: Id
    z_site: Id
    length_m: float | None = Field(default=None, gt=0)


class Cable(Identified):
    """A fibre cable (光缆) between two sites through an ordered list of ducts.

    An empty ``ducts`` list means the duct route is not documented: circuits over the cable are
    then "unverified" in the diversity audit, never "diverse".
    """

    id: Id
    a_site: Id
    z_site: Id
    ducts: list[Id] = Field(default_factory=list)
    fibre_count: int | None = Field(default=None, gt=0)


class Board(Entity):
    slot: int = Field(ge=0)
    type: str
    protected_by: int | None = Field(default=None, ge=0, description="slot of the 1+1 mate board")


class Port(Entity):
    name: PortName
    board: int | None = Field(default=None, ge=0, description="slot of the board carrying the port")
    kind: str = Field(description="stm1, stm4, stm16, stm64, e1, fe, ge, xge, 25ge, 100ge ...")
    if_index: int | None = Field(default=None, ge=1)


class Snmp(Entity):
    """How the agent reaches the element over SNMP; secrets are in the named credential set."""

    port: int = Field(default=161, ge=1, le=65535)


class Device(Identified):
    """A network element (网元)."""

    id: Id
    name: str
    kind: DeviceKind
    vendor: str = Field(min_length=1)
    platform: str = Field(min_length=1)
    role: DeviceRole
    site: Id
    mgmt_address: IPvAnyAddress
    credentials: Id = Field(description="name of a credential set in the daemon config")
    managed_via: list[Id] = Field(
        default_factory=list, description="gateway elements through which it is managed (DCN)"
    )
    snmp: Snmp = Snmp()
    cli_platform: str | None = Field(default=None, description="huawei_vrp, zte_zxros, tl1 ...")
    boards: list[Board] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)

    @field_validator("vendor")
    @classmethod
    def _vendor_lower(cls, v: str) -> str:
        if v != v.lower():
            raise ValueError(f"vendor '{v}' must be lower case, e.g. '{v.lower()}'")
        return v


class Link(Identified):
    """Two ports joined over one or more fibre cables (in order, A to Z)."""

    id: Id
    a: PortRef
    z: PortRef
    cables: list[Id] = Field(default_factory=list)
    layer: str = Field(default="optical", description="optical, electrical, microwave, logical")


class Customer(Identified):
    """A government/enterprise customer (政企客户)."""

    id: Id
    name: str
    tier: CustomerTier
    industry: Industry
    important_class: ImportantClass = ImportantClass.none
    account_manager: str | None = None


class End(Entity):
    """One end of a circuit: the element (and hand-off port) at the customer side."""

    device: Id
    port: PortName | None = None


class Path(Entity):
    """An ordered route of link hops from the A-end element to the Z-end element."""

    hops: list[Id] = Field(min_length=1)
    trail: str | None = Field(default=None, description="SDH trail / VC identifier")
    pseudowire: str | None = Field(default=None, description="IPRAN PW id")
    tunnel: str | None = Field(default=None, description="MPLS TE tunnel / LSP name")


class CentralRoom(Entity):
    """The customer's central machine room and the elements that reach it (dual-device rule)."""

    site: Id
    access_devices: list[Id] = Field(min_length=1)


class Circuit(Identified):
    """A leased line sold to one customer."""

    id: Id
    customer: Id
    product: Id
    bandwidth: str
    maintenance_level: MaintenanceLevel
    service_level: ServiceLevel
    a_end: End
    z_end: End
    working: Path
    protection: Path | None = None
    central_room: CentralRoom | None = None
    scope: CircuitScope = CircuitScope.domestic
    disaster_recovery: bool = False
    central_node: bool = Field(default=False, description="the customer's central node circuit")
    direction: str | None = Field(default=None, description="service-spreading direction; default: the two end sites")

    @field_validator("bandwidth")
    @classmethod
    def _bandwidth(cls, v: str) -> str:
        bandwidth_kbps(v)
        return v

    @model_validator(mode="before")
    @classmethod
    def _no_grade(cls, data: object) -> object:
        if isinstance(data, dict) and "network_grade" in data:
            raise ValueError("network_grade is derived from maintenance_level by the SLA policy; remove it")
        return data


class PlannedWork(Identified):
    """A planned-work window (割接, line repair, move, upgrade) over resources."""

    id: Id
    title: str
    kind: PlannedWorkKind
    resources: list[ResourceRef] = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    announced_at: AwareDatetime
    approved: bool = False
    approved_by: str | None = None
    route: str | None = None
    steps: list[str] = Field(default_factory=list)
    rollback: str | None = None

    @field_validator("resources")
    @classmethod
    def _refs(cls, refs: list[str]) -> list[str]:
        kinds = ", ".join(k.value for k in ResourceKind)
        for ref in refs:
            kind, sep, rid = ref.partition(":")
            if not sep or not rid:
                raise ValueError(f"resource '{ref}' must be KIND:ID with KIND one of {kinds}")
            if kind not in ResourceKind.__members__:
                raise ValueError(f"resource kind '{kind}' is not one of {kinds}")
        return refs

    @model_validator(mode="after")
    def _window(self) -> PlannedWork:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class InventoryFile(Entity):
    """One inventory file; any section may be absent, and sections may be split over files."""

    sites: list[Site] = Field(default_factory=list)
    ducts: list[Duct] = Field(default_factory=list)
    cables: list[Cable] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    circuits: list[Circuit] = Field(default_factory=list)
    planned_work: list[PlannedWork] = Field(default_factory=list)


SECTION_MODELS: dict[str, type[Identified]] = {
    "sites": Site,
    "ducts": Duct,
    "cables": Cable,
    "devices": Device,
    "links": Link,
    "customers": Customer,
    "circuits": Circuit,
    "planned_work": PlannedWork,
}
SECTIONS: tuple[str, ...] = tuple(SECTION_MODELS)
