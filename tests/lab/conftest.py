"""The lab on real simulators: snmpsim behind UDP relays on the elements' 127.x addresses.

``running_lab`` starts the lab supervisor on a copy of the lab config (fast polls, a migrated store
holding the lab inventory) and stops it afterwards. The elements answer on udp/161 of their own
addresses, which needs root (or CAP_NET_BIND_SERVICE): without it the tests are skipped (failed
under CI=true)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.sim.lab import Lab, LabError
from tests.conftest import need
from tests.service.conftest import copy_config, load, prepare_store

FAST = {
    "agent": {"snmp": {"interval_s": 20, "jitter_s": 1, "timeout_s": 3.0, "retries": 1, "unreachable_after": 2}},
}


@dataclass
class RunningLab:
    cfg_path: Path
    lab: Lab


def start_lab(cfg_path: Path) -> Lab:
    lab = Lab.open(cfg_path)
    try:
        lab.start()
    except LabError as exc:
        if "Permission denied" in str(exc) or "CAP_NET_BIND_SERVICE" in str(exc):
            need("the lab simulators cannot bind udp/161 on 127.x (not root)", "run the lab tests as root")
        raise
    return lab


@pytest.fixture
def running_lab(tmp_path: Path) -> Iterator[RunningLab]:
    cfg_path = copy_config(tmp_path, FAST)
    cfg = load(cfg_path)
    prepare_store(cfg, cfg.store_url())
    lab = start_lab(cfg_path)
    try:
        yield RunningLab(cfg_path, lab)
    finally:
        lab.stop()
