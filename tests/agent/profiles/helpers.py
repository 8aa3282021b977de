"""Helpers for the profile tests: the shipped profiles, recordings, and a live SNMP walk."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_walk_cmd,
    get_cmd,
)

from agent.observation import Condition, Observation
from agent.profiles import Profile, ProfileSet, Rows, TableSpec, from_pysnmp, load_profiles, oid_text, read_tables
from agent.settings import OpticalThresholds
from agent.snmprec import Snmprec, Value, load_snmprec

ROOT = Path(__file__).resolve().parents[3]
PROFILES = ROOT / "config" / "profiles"
REAL = Path("/work/shared/real-devices")
FIXTURES = ROOT / "tests" / "data" / "snmp"
LIMITS = OpticalThresholds()


@cache
def profiles() -> ProfileSet:
    return load_profiles(PROFILES)


@cache
def recording(path: Path) -> Snmprec:
    return load_snmprec(path)


def real(name: str) -> Snmprec:
    return recording(REAL / f"librenms__{name}.snmprec")


def fixture(name: str) -> Snmprec:
    return recording(FIXTURES / f"{name}.snmprec")


def detect(rec: Snmprec) -> Profile:
    return profiles().detect(str(rec.get("1.3.6.1.2.1.1.2.0") or ""), rec.text("1.3.6.1.2.1.1.1.0") or "")


def observe(rec: Snmprec, active: Iterable[Condition] = (), limits: OpticalThresholds = LIMITS) -> Observation:
    profile = detect(rec)
    rows, complete = read_tables(profile, rec.values)
    return profile.evaluate(rec.name, rows, complete, limits, tuple(active))


def raised(obs: Observation) -> set[tuple[str, str, str, str]]:
    """{(scope, resource type, resource id, alarm type)}."""
    return {(c.scope, c.resource.type.value, c.resource.id, c.alarm_type) for c in obs.conditions}


def gauges(obs: Observation, name: str) -> dict[str, float]:
    return {g.resource.id: g.value for g in obs.gauges if g.name == name}


async def walk(host: str, port: int, community: str, specs: Iterable[TableSpec]) -> tuple[dict[str, Rows], set[str]]:
    """Bulk-walk every column of every table with pysnmp (numeric OIDs, no MIBs), like a poll engine.

    A table with no row at all is absent (not complete), as in :func:`agent.profiles.read_tables`.
    """
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((host, port), timeout=2, retries=2)
        rows: dict[str, Rows] = {}
        for spec in specs:
            found: dict[str, dict[str, Value]] = {}
            for column in spec.columns:
                async for error, status, _, varbinds in bulk_walk_cmd(
                    engine,
                    CommunityData(community, mpModel=1),
                    target,
                    ContextData(),
                    0,
                    25,
                    ObjectType(ObjectIdentity(column)),
                    lexicographicMode=False,
                    lookupMib=False,
                ):
                    if error is not None or status:
                        raise RuntimeError(f"walk of {column} on {community}: {error or status}")
                    for name, value in varbinds:
                        oid = oid_text(name)
                        converted = from_pysnmp(value)
                        if converted is not None and oid.startswith(column + "."):
                            found.setdefault(oid[len(column) + 1 :], {})[column] = converted
            ordered = sorted(found, key=lambda index: tuple(int(p) for p in index.split(".")))
            rows[spec.name] = {index: found[index] for index in ordered}
        return rows, {name for name, table in rows.items() if table}
    finally:
        engine.close_dispatcher()


async def system_info(host: str, port: int, community: str) -> tuple[str, str]:
    """(sysObjectID, sysDescr) by GET, for detection."""
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((host, port), timeout=2, retries=2)
        error, status, _, varbinds = await get_cmd(
            engine,
            CommunityData(community, mpModel=1),
            target,
            ContextData(),
            ObjectType(ObjectIdentity("1.3.6.1.2.1.1.2.0")),
            ObjectType(ObjectIdentity("1.3.6.1.2.1.1.1.0")),
            lookupMib=False,
        )
        if error is not None or status:
            raise RuntimeError(f"GET system on {community}: {error or status}")
        oid, descr = (from_pysnmp(value) for _, value in varbinds)
        assert isinstance(oid, str) and isinstance(descr, bytes)
        return oid, descr.decode("utf-8", errors="replace")
    finally:
        engine.close_dispatcher()
