"""Does a lab element answer? One SNMP GET of sysUpTime.0 at its management address, with its own
credentials (the same request the agent starts a poll with)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, SnmpEngine, UdpTransportTarget, get_cmd

from agent.snmp.auth import CredentialError, build_auth

if TYPE_CHECKING:
    from agent.sim.lab import Endpoint, Lab

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


async def _one(engine: Any, auth: Any, host: str, port: int, timeout: float) -> bool:
    try:
        target = await UdpTransportTarget.create((host, port), timeout=timeout, retries=0)
        error, status, _, _ = await get_cmd(
            engine, auth, target, ContextData(), ObjectType(ObjectIdentity(SYS_UPTIME)), lookupMib=False
        )
    except Exception:
        return False
    return error is None and not status


async def probe_all(
    lab: Lab, endpoints: Sequence[Endpoint], timeout: float = 1.0, direct: dict[str, tuple[str, int]] | None = None
) -> list[str]:
    """The ids of the elements that did not answer (at ``direct[id]`` instead of their management
    address when ``direct`` is given: the simulator behind the relay)."""
    engine = SnmpEngine()
    indexes: dict[tuple[str, str], str] = {}

    def index_for(version: str, community: str) -> str:
        return indexes.setdefault((version, community), f"lab-probe-{len(indexes) + 1}")

    try:
        jobs = []
        for ep in endpoints:
            device = lab.cfg.inventory.devices[ep.device]
            cset = lab.cfg.daemon.credentials[device.credentials]
            assert cset.snmp is not None
            try:
                auth = build_auth(device.credentials, cset.snmp, lab.resolver, index_for)
            except CredentialError:
                jobs.append(asyncio.sleep(0, result=False))
                continue
            host, port = direct[ep.device] if direct is not None else (ep.host, ep.port)
            jobs.append(_one(engine, auth.data, host, port, timeout))
        answers = await asyncio.gather(*jobs)
    finally:
        engine.close_dispatcher()
    return [ep.device for ep, ok in zip(endpoints, answers, strict=True) if not ok]
