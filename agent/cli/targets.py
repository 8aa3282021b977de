"""Which elements this agent polls over the CLI, and how: platform, transport, port, credentials.

:func:`select_cli_devices` reads ``agent.cli`` of the daemon config with the inventory, the
credential sets and the loaded platforms:

* ``agent.cli.devices`` empty: every element of this agent (``agent.devices``, or the whole
  inventory) that has a ``cli_platform`` and whose credential set has a ``cli`` section;
* listed: exactly those, each with optional overrides (platform, credential set, transport, port,
  TL1 TID). A listed element that does not exist, has no platform, names an unknown platform or a
  credential set without ``cli`` is a configuration issue (``file:line: path: what (fix)``).

The transport is the element's override, else the credential set's (``ssh`` by default); the
port the override, else the credential set's, else 22 (SSH) / 23 (telnet). Secrets are resolved
here, once: an element whose password reference cannot be resolved is logged with the reference
(never a value) and left out, and the others are polled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from agent.cli.platform import Platform
from agent.cli.session import Command, Dialect, Target
from agent.settings import AgentSettings
from agent.settings import CliDevice as CliDeviceSettings
from correlator.configfile.daemon import CredentialSet
from correlator.configfile.errors import PathKey
from correlator.inventory.model import Device
from correlator.secrets import SecretError, SecretResolver

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"ssh": 22, "telnet": 23}


@dataclass(frozen=True)
class CliDevice:
    """One element as the CLI collector polls it."""

    device: Device
    platform: Platform
    target: Target
    dialect: Dialect
    commands: tuple[Command, ...]

    @property
    def id(self) -> str:
        return self.device.id


@dataclass
class CliSelection:
    devices: list[CliDevice] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Element id -> why it is not polled over the CLI."""
    secrets: list[str] = field(default_factory=list)
    """Every secret value resolved (for the log redactor)."""


def dialect_for(platform: Platform, transport: Literal["ssh", "telnet"]) -> Dialect:
    """How to drive ``platform``'s sessions over ``transport`` (ValueError: no driver for it)."""
    return Dialect(
        name=platform.name,
        device_type=platform.device_type_for(transport),
        paging_off=tuple(platform.paging_off),
        prompt=platform.prompt,
        login=tuple(platform.login),
        logout=tuple(platform.logout),
        expect=platform.expect,
    )


def commands_of(platform: Platform) -> tuple[Command, ...]:
    return tuple(Command(c.key, c.command) for c in platform.commands)


Issue = Callable[[PathKey, str, str], None]


def select_cli_devices(
    inventory: Mapping[str, Device],
    credentials: Mapping[str, CredentialSet],
    settings: AgentSettings,
    platforms: Mapping[str, Platform],
    resolver: SecretResolver,
    issue: Issue,
) -> CliSelection:
    """The elements this agent polls over the CLI (see the module docstring)."""
    out = CliSelection()
    cli = settings.cli
    entries: list[tuple[CliDeviceSettings, PathKey | None]] = []
    if cli.devices:
        for i, entry in enumerate(cli.entries()):
            base: PathKey = ("agent", "cli", "devices", i)
            if entry.device not in inventory:
                where = base if isinstance(cli.devices[i], str) else (*base, "device")
                issue(where, f"unknown element '{entry.device}'", "use an id from the inventory's devices")
                continue
            entries.append((entry, base if isinstance(cli.devices[i], str) else (*base, "")))
    else:
        scope = settings.devices or list(inventory)
        for dev_id in scope:
            device = inventory.get(dev_id)
            cset = credentials.get(device.credentials) if device is not None else None
            if device is not None and device.cli_platform and cset is not None and cset.cli is not None:
                entries.append((CliDeviceSettings(device=dev_id), None))
    resolved: dict[str, list[str] | str] = {}
    known = ", ".join(sorted(platforms)) or "(none loaded)"
    for entry, path in entries:
        device = inventory[entry.device]

        def problem(where: str, message: str, fix: str, path: PathKey | None = path, dev_id: str = device.id) -> None:
            """A listed element: a config issue at its entry (or the entry's field); else a skip."""
            if path is not None:
                issue((*path[:-1], where) if path[-1] == "" else path, message, fix)
            else:
                out.skipped[dev_id] = message
                log.error("%s: not polled over the CLI: %s (%s)", dev_id, message, fix)

        pname = entry.platform or device.cli_platform
        if not pname:
            problem("platform", f"element '{device.id}' has no cli_platform", "set cli_platform in the inventory")
            continue
        platform = platforms.get(pname)
        if platform is None:
            problem("platform", f"unknown CLI platform '{pname}' for element '{device.id}'", f"use one of {known}")
            continue
        set_name = entry.credentials or device.credentials
        cset = credentials.get(set_name)
        if cset is None or cset.cli is None:
            what = "is not defined" if cset is None else "has no 'cli' section"
            problem("credentials", f"credential set '{set_name}' {what}", "add a cli: section (username, password)")
            continue
        creds = cset.cli
        transport = entry.transport or creds.transport
        try:
            dialect = dialect_for(platform, transport)
        except ValueError as exc:
            problem("transport", str(exc), "use ssh, or give the platform a telnet_device_type")
            continue
        if set_name not in resolved:
            try:
                values = [resolver.resolve(creds.password).reveal()]
                if creds.secret is not None:
                    values.append(resolver.resolve(creds.secret).reveal())
                resolved[set_name] = values
            except SecretError as exc:
                resolved[set_name] = f"credential set '{set_name}': {exc}"
        found = resolved[set_name]
        if isinstance(found, str):
            out.skipped[device.id] = found
            log.error("%s: not polled over the CLI: %s", device.id, found)
            continue
        out.secrets += found
        target = Target(
            device=device.id,
            host=str(device.mgmt_address),
            port=entry.port or creds.port or DEFAULT_PORTS[transport],
            transport=transport,
            username=creds.username,
            password=resolver.resolve(creds.password),
            secret=resolver.resolve(creds.secret) if creds.secret is not None else None,
            tl1_tid=entry.tl1_tid,
        )
        out.devices.append(CliDevice(device, platform, target, dialect, commands_of(platform)))
    out.secrets = sorted(set(out.secrets))
    return out
