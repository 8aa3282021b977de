"""Fixtures of the daemon and lab tests: a writable copy of the shipped config with the lab, free
ports, a store migrated and loaded with the lab inventory, and waiting for a condition."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from correlator.configfile.loader import LoadedConfig, load_config
from correlator.store.db import make_engine, upgrade
from correlator.store.importer import import_inventory
from tests.conftest import ROOT


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def merge(base: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in updates.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def patch_yaml(path: Path, updates: Mapping[str, Any]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(merge(data, updates), sort_keys=False), encoding="utf-8")


def copy_config(dst: Path, updates: Mapping[str, Any] | None = None) -> Path:
    """The shipped config/ (with the lab, without its state) under ``dst``; returns the lab's
    linewatch.yaml, with private ports for everything it listens on (and ``updates`` merged), and
    the lab elements moved from 127.0.x.y to an address block of their own (127.N.x.y), so this
    copy's simulators never meet another lab running on the machine."""
    shutil.copytree(ROOT / "config", dst / "config", ignore=shutil.ignore_patterns("state"))
    devices = dst / "config" / "lab" / "inventory" / "devices.yaml"
    block = secrets.randbelow(250) + 2
    devices.write_text(devices.read_text().replace("mgmt_address: 127.0.", f"mgmt_address: 127.{block}."))
    cfg = dst / "config" / "lab" / "linewatch.yaml"
    base: dict[str, Any] = {
        "api": {"host": "127.0.0.1", "port": free_port()},
        "agent": {
            "http_listen": f"127.0.0.1:{free_port()}",
            "traps": {"listen": f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"},
            "publish": {"kind": "jsonl", "path": "state/events.jsonl"},
        },
    }
    patch_yaml(cfg, merge(base, updates or {}))
    return cfg


@pytest.fixture
def lab_config(tmp_path: Path) -> Path:
    return copy_config(tmp_path)


def prepare_store(cfg: LoadedConfig, url: str) -> None:
    """Migrate the store and load the lab inventory into it (incidents reference circuits)."""
    upgrade(url)
    engine = make_engine(url)
    try:
        import_inventory(engine, cfg.inventory, cfg.policy)
    finally:
        engine.dispose()


def load(cfg_path: Path) -> LoadedConfig:
    return load_config(cfg_path)


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float = 30.0, every: float = 0.1) -> None:
    """Wait until ``check()`` holds; fail naming the timeout otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout:g} s")
        await asyncio.sleep(every)


def wait_for(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.2, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout:g} s")
        time.sleep(every)
