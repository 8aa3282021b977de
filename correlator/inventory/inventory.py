"""The whole inventory, merged from its files, with lookups and derived facts.

Each entity remembers where it was written (:class:`Origin`) so that any later check can point
the operator at ``file:line: path``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from correlator.configfile.errors import ConfigIssue, PathKey
from correlator.configfile.yamlsrc import YamlSource
from correlator.inventory.model import (
    Cable,
    Circuit,
    Customer,
    Device,
    Duct,
    Entity,
    Link,
    PlannedWork,
    Port,
    Site,
)

E = TypeVar("E", bound=Entity)


@dataclass(frozen=True)
class Origin:
    """Where an entity was written: the file and the path of the entity inside it."""

    src: YamlSource
    path: PathKey

    def issue(self, sub: PathKey, message: str, fix: str = "") -> ConfigIssue:
        return self.src.issue((*self.path, *sub), message, fix)


@dataclass
class Table(Generic[E]):
    """Entities of one kind by id, in file order, with their origins."""

    items: dict[str, E] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)
    """Ids written in the files whose entity failed validation: not reported again as unknown."""

    def __contains__(self, key: object) -> bool:
        return key in self.items

    def __getitem__(self, key: str) -> E:
        return self.items[key]

    def __iter__(self) -> Iterator[E]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: str) -> E | None:
        return self.items.get(key)

    def known(self, key: str) -> bool:
        """True if the id exists, valid or not (so a broken entity does not cascade)."""
        return key in self.items or key in self.invalid


@dataclass
class Inventory:
    sites: Table[Site] = field(default_factory=Table)
    ducts: Table[Duct] = field(default_factory=Table)
    cables: Table[Cable] = field(default_factory=Table)
    devices: Table[Device] = field(default_factory=Table)
    links: Table[Link] = field(default_factory=Table)
    customers: Table[Customer] = field(default_factory=Table)
    circuits: Table[Circuit] = field(default_factory=Table)
    planned_work: Table[PlannedWork] = field(default_factory=Table)

    # -- lookups ---------------------------------------------------------------------------

    def port(self, ref: str) -> Port | None:
        """``DEVICE:PORT`` -> the port, or None."""
        dev_id, _, name = ref.partition(":")
        dev = self.devices.get(dev_id)
        if dev is None:
            return None
        return next((p for p in dev.ports if p.name == name), None)

    @staticmethod
    def device_of(port_ref: str) -> str:
        return port_ref.partition(":")[0]

    def link_devices(self, link: Link) -> tuple[str, str]:
        return self.device_of(link.a), self.device_of(link.z)

    def site_of_device(self, device_id: str) -> str | None:
        dev = self.devices.get(device_id)
        return dev.site if dev else None

    def circuit_sites(self, circuit: Circuit) -> tuple[str | None, str | None]:
        return self.site_of_device(circuit.a_end.device), self.site_of_device(circuit.z_end.device)

    def cross_local_network(self, circuit: Circuit) -> bool:
        """A circuit whose two ends are in different local (city) networks."""
        a, z = self.circuit_sites(circuit)
        sa, sz = self.sites.get(a or ""), self.sites.get(z or "")
        return bool(sa and sz and sa.local_network != sz.local_network)

    def counts(self) -> dict[str, int]:
        return {
            "sites": len(self.sites),
            "ducts": len(self.ducts),
            "cables": len(self.cables),
            "devices": len(self.devices),
            "boards": sum(len(d.boards) for d in self.devices),
            "ports": sum(len(d.ports) for d in self.devices),
            "links": len(self.links),
            "customers": len(self.customers),
            "circuits": len(self.circuits),
            "planned_work": len(self.planned_work),
        }
