"""Real SNMP on loopback: snmpsim serves real recordings and the fixtures; a pysnmp bulk walk of each
profile's TableSpec columns gives the same rows, and evaluate() the same result, as the parsed file."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.profiles import read_tables

from .helpers import FIXTURES, LIMITS, REAL, detect, profiles, recording, system_info, walk

SERVED = {
    "ne8000": REAL / "librenms__vrp_ne8000-m8.snmprec",
    "s5720": REAL / "librenms__vrp_5720.snmprec",
    "xos": REAL / "librenms__xos_sfp.snmprec",
    **{p.stem: p for p in sorted(FIXTURES.glob("*-*.snmprec"))},  # sdh/ipran/cpe, before/after
}


@pytest.fixture(scope="module")
def agent(
    snmpsim_server: Callable[[Path], tuple[str, int]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, int]:
    data = tmp_path_factory.mktemp("snmpdata")
    for community, source in SERVED.items():
        shutil.copy(source, data / f"{community}.snmprec")
    return snmpsim_server(data)


def test_every_fixture_is_served() -> None:
    assert sorted(SERVED) == sorted(
        ["ne8000", "s5720", "xos", "sdh-before", "sdh-after", "ipran-before", "ipran-after", "cpe-before", "cpe-after"]
    )


@pytest.mark.parametrize("community", sorted(SERVED))
def test_live_walk_equals_the_recording(agent: tuple[str, int], community: str) -> None:
    host, port = agent
    rec = recording(SERVED[community])
    object_id, descr = asyncio.run(system_info(host, port, community))
    profile = profiles().detect(object_id, descr)
    assert profile.id == detect(rec).id

    live_rows, live_complete = asyncio.run(walk(host, port, community, profile.tables()))
    file_rows, file_complete = read_tables(profile, rec.values)
    assert live_complete == file_complete
    assert live_rows == file_rows

    live = profile.evaluate(community, live_rows, live_complete, LIMITS)
    offline = profile.evaluate(community, file_rows, file_complete, LIMITS)
    assert live.conditions == offline.conditions
    assert live.gauges == offline.gauges
    assert (live.scopes, live.uptime_ticks, live.problems) == (offline.scopes, offline.uptime_ticks, offline.problems)
    assert live.varbinds == offline.varbinds > 0
    if community.endswith("-after") or community == "ne8000":
        assert live.conditions  # the faulted ones really raise something over the wire
