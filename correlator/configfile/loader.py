"""Load the daemon config and everything it references, validated as a whole.

``load_config(path)`` either returns a :class:`LoadedConfig` or raises :class:`ConfigError`
carrying every issue found in every file. Nothing is applied anywhere by loading.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from correlator.configfile.daemon import DaemonConfig
from correlator.configfile.errors import ConfigError, ConfigIssue
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import YamlSource, load_yaml
from correlator.inventory.checks import check_inventory
from correlator.inventory.inventory import Inventory, Origin, Table
from correlator.inventory.model import SECTION_MODELS, SECTIONS
from correlator.policy import SlaPolicy


@dataclass(frozen=True)
class LoadedConfig:
    path: Path
    daemon: DaemonConfig
    policy: SlaPolicy
    inventory: Inventory
    inventory_files: tuple[Path, ...]

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def store_url(self, override: str | None = None) -> str:
        """The store URL; a relative SQLite path is taken relative to the config file."""
        return resolve_store_url(override or self.daemon.store.url, self.base_dir)


def resolve_store_url(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        rest = url[len(prefix) :]
        if rest and not rest.startswith("/"):
            return prefix + str((base_dir / rest).resolve())
    return url


def _load_model(path: Path, model: type[BaseModel]) -> tuple[Any, YamlSource | None, list[ConfigIssue]]:
    src, issues = load_yaml(path)
    if src is None:
        return None, None, issues
    if not isinstance(src.data, dict):
        return None, src, [*issues, src.issue((), "the file must be a YAML mapping", "start with top-level keys")]
    obj, more = validate(src, model)
    return obj, src, issues + more


def _inventory_paths(src: YamlSource, patterns: list[str], base: Path) -> tuple[list[Path], list[ConfigIssue]]:
    found: list[Path] = []
    issues: list[ConfigIssue] = []
    for i, pattern in enumerate(patterns):
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        matches = sorted(Path(p) for p in glob.glob(full))
        if not matches:
            issues.append(
                src.issue(("inventory", i), f"'{pattern}' matches no file", "fix the path (relative to this file)")
            )
        for m in matches:
            if m not in found:
                found.append(m)
    return found, issues


def _merge_file(inv: Inventory, src: YamlSource, issues: list[ConfigIssue]) -> None:
    """Validate one inventory file entity by entity and add the valid ones to ``inv``."""
    data = src.data
    if not isinstance(data, dict):
        issues.append(
            src.issue((), "an inventory file must be a YAML mapping of sections", f"use sections {', '.join(SECTIONS)}")
        )
        return
    for key in data:
        if key not in SECTIONS:
            issues.append(src.issue((key,), f"unknown section '{key}'", f"use one of {', '.join(SECTIONS)}"))
    for section in SECTIONS:
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            issues.append(src.issue((section,), f"'{section}' must be a list", "write each entry as '- id: ...'"))
            continue
        table: Table[Any] = getattr(inv, section)
        model = SECTION_MODELS[section]
        for i, raw in enumerate(items):
            entity, more = validate(src, model, base=(section, i))
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if entity is None:
                issues.extend(more)
                if isinstance(raw_id, str):
                    table.invalid.add(raw_id)
                continue
            if entity.id in table.items:
                first = table.origins[entity.id]
                where = f"{first.src.name}:{first.src.line_of(first.path)}"
                issues.append(
                    src.issue(
                        (section, i, "id"),
                        f"duplicate {section} id '{entity.id}' (first at {where})",
                        "ids must be unique; rename or remove one",
                    )
                )
                continue
            table.items[entity.id] = entity
            table.origins[entity.id] = Origin(src, (section, i))


def _check_secrets_file(daemon: DaemonConfig, src: YamlSource, base: Path) -> list[ConfigIssue]:
    """The secrets file must exist and hold every ``secret:KEY`` the credentials, feeds and API tokens name.

    Only the keys are read into the issues, never a value.
    """
    refs: list[tuple[tuple[str | int, ...], str]] = []
    for name, cset in daemon.credentials.items():
        for part in ("snmp", "cli"):
            sub = getattr(cset, part)
            if sub is None:
                continue
            for field, value in sub.model_dump().items():
                if isinstance(value, str) and value.startswith("secret:"):
                    refs.append((("credentials", name, part, field), value.removeprefix("secret:")))
    for fpath, ref in daemon.feeds.secret_refs():
        if ref.startswith("secret:"):
            refs.append((("feeds", *fpath), ref.removeprefix("secret:")))
    for i, token in enumerate(daemon.api.tokens):
        if token.secret.startswith("secret:"):
            refs.append((("api", "tokens", i, "secret"), token.secret.removeprefix("secret:")))
    if not refs:
        return []
    if daemon.secrets_file is None:
        return [
            src.issue(
                refs[0][0], "secret: references need a secrets_file", "set secrets_file: or use env:/file: references"
            )
        ]
    spath = base / daemon.secrets_file
    ssrc, issues = load_yaml(spath)
    if ssrc is None:
        return [
            src.issue(
                ("secrets_file",), f"secrets file '{daemon.secrets_file}' cannot be read", "create it or fix the path"
            )
        ]
    keys = set(ssrc.data) if isinstance(ssrc.data, dict) else set()
    for path, key in refs:
        if key not in keys:
            issues.append(
                src.issue(path, f"secret '{key}' is not in {daemon.secrets_file}", "add the key to the secrets file")
            )
    return issues


def _check_agent_data(daemon: DaemonConfig, src: YamlSource, base: Path) -> list[ConfigIssue]:
    """The alarm-type table and the device profiles the agent section names load cleanly."""
    from agent.profiles import load_profiles
    from correlator.alarmtypes import AlarmTypeTable

    types, _, issues = _load_model(daemon.agent.alarm_types_path(base), AlarmTypeTable)
    if issues:
        return issues
    profiles_dir = daemon.agent.profiles_path(base)
    if not profiles_dir.is_dir():
        return [
            src.issue(("agent", "profiles_dir"), f"'{daemon.agent.profiles_dir}' is not a directory", "fix the path")
        ]
    try:
        load_profiles(profiles_dir, types)
    except ConfigError as err:
        return list(err.issues)
    if daemon.agent.cli.enabled:
        return _check_cli_data(daemon, base, types)
    return []


def _check_cli_data(daemon: DaemonConfig, base: Path, types: Any) -> list[ConfigIssue]:
    """With CLI collection on: the CLI platforms and the vendor alarm-name table load cleanly."""
    from agent.cli.alarmnames import load_vendor_alarms
    from agent.cli.platform import load_platforms

    issues: list[ConfigIssue] = []
    try:
        load_platforms(daemon.agent.cli_platforms_path(base), types)
    except ConfigError as err:
        issues += err.issues
    try:
        load_vendor_alarms(daemon.agent.vendor_alarms_path(base), types)
    except ConfigError as err:
        issues += err.issues
    return issues


def load_config(path: Path | str) -> LoadedConfig:
    """Load and check everything; raise ConfigError with every issue if anything is wrong."""
    path = Path(path)
    base = path.parent
    daemon, dsrc, issues = _load_model(path, DaemonConfig)
    raw = dsrc.data if dsrc is not None and isinstance(dsrc.data, dict) else {}

    policy: SlaPolicy | None = None
    sla_rel = daemon.sla_policy if daemon else raw.get("sla_policy")
    if isinstance(sla_rel, str):
        policy, _, more = _load_model(base / sla_rel, SlaPolicy)
        issues += more

    inv = Inventory()
    files: list[Path] = []
    patterns = daemon.inventory if daemon else raw.get("inventory")
    if dsrc is not None and isinstance(patterns, list) and all(isinstance(p, str) for p in patterns):
        files, more = _inventory_paths(dsrc, patterns, base)
        issues += more
        for f in files:
            isrc, more = load_yaml(f)
            issues += more
            if isrc is not None:
                _merge_file(inv, isrc, issues)

    creds = daemon.credentials.keys() if daemon else (raw.get("credentials") or {}).keys()
    issues += check_inventory(inv, policy, creds)
    if daemon is not None and dsrc is not None:
        issues += _check_secrets_file(daemon, dsrc, base)
        issues += _check_agent_data(daemon, dsrc, base)

    if issues or daemon is None or policy is None:
        raise ConfigError(issues)
    return LoadedConfig(path=path, daemon=daemon, policy=policy, inventory=inv, inventory_files=tuple(files))


def load_daemon(path: Path | str) -> DaemonConfig:
    """Only the daemon config file (for commands such as ``db upgrade`` that need no inventory)."""
    daemon, _, issues = _load_model(Path(path), DaemonConfig)
    if issues or not isinstance(daemon, DaemonConfig):
        raise ConfigError(issues)
    return daemon
