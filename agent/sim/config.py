"""The SSH/telnet device simulator's configuration (``sim.yaml``), validated by pydantic.

The file is read at start (which devices listen where) and again on every new connection (how a
device behaves: its mode, user, password reference, prompt name and outputs directory), so a test
or the lab demo changes a device by editing the file, and its command outputs by editing the files
in its outputs directory, which are read again on every command. Listen addresses are fixed at
start. Passwords are references (``env:NAME``, ``file:PATH``, ``secret:KEY`` of ``secrets_file``),
never the secret itself.

```yaml
version: 1
secrets_file: secrets.yaml          # optional, for secret:KEY references
devices:
  - id: AGG-CEN
    platform: huawei_vrp            # huawei_vrp | zte_zxros | tl1
    transport: ssh                  # ssh | telnet
    listen: 127.0.30.1:2222         # port 0: a free port, reported in the ready file
    hostname: JC-CEN-NE8000-01      # the prompt (<name> / name# ) or the TL1 SID
    username: lwmon
    password: secret:lab-cli-password
    outputs: outputs/AGG-CEN        # directory: one file per command, re-read on every command
    mode: normal                    # normal | no_prompt | no_banner
    page_lines: 24                  # lines per page until the session turns paging off
```

Modes: ``normal`` answers; ``no_prompt`` accepts the connection and the login (SSH) and then never
sends a byte; ``no_banner`` accepts the TCP connection and never sends a byte (not even the SSH
version or a telnet login prompt).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from correlator.configfile.errors import ConfigError
from correlator.configfile.validate import validate
from correlator.configfile.yamlsrc import load_yaml

_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|secret:[A-Za-z0-9_.\-]+)$")


def _secret_ref(v: str) -> str:
    if not _REF.match(v):
        raise ValueError("must be a reference env:NAME, file:PATH or secret:KEY, never the secret itself")
    return v


SecretRef = Annotated[str, AfterValidator(_secret_ref)]
"""As in the daemon config (not imported from there: the simulator starts without the correlator)."""

Platform = Literal["huawei_vrp", "zte_zxros", "tl1"]
Mode = Literal["normal", "no_prompt", "no_banner"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimDevice(Strict):
    id: str = Field(min_length=1)
    platform: Platform
    transport: Literal["ssh", "telnet"] = "ssh"
    listen: str = Field(default="127.0.0.1:0", description="HOST:PORT; port 0 picks a free port")
    hostname: str = Field(default="", description="prompt / TL1 SID; default: the id")
    username: str = Field(min_length=1)
    password: SecretRef
    outputs: str = Field(description="directory of command outputs, relative to the config file")
    mode: Mode = "normal"
    page_lines: int = Field(default=24, ge=0, description="0: never page")

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"'{v}' is not HOST:PORT (e.g. 127.0.0.1:0)")
        return v

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def name(self) -> str:
        return self.hostname or self.id


class SimConfig(Strict):
    version: int = Field(ge=1, le=1)
    secrets_file: str | None = None
    devices: list[SimDevice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SimConfig:
        seen: set[str] = set()
        for d in self.devices:
            if d.id in seen:
                raise ValueError(f"device id '{d.id}' appears twice")
            seen.add(d.id)
        return self

    def device(self, device_id: str) -> SimDevice | None:
        return next((d for d in self.devices if d.id == device_id), None)


def load_sim_config(path: Path) -> SimConfig:
    """Read and check ``path``; raise :class:`ConfigError` (``file:line: path: what (fix)``)."""
    src, issues = load_yaml(path)
    if src is None:
        raise ConfigError(issues)
    if not isinstance(src.data, dict):
        raise ConfigError([*issues, src.issue((), "the file must be a YAML mapping", "start with version: 1")])
    cfg, more = validate(src, SimConfig)
    if issues or more or cfg is None:
        raise ConfigError(issues + more)
    return cfg


_SLUG = re.compile(r"[^a-z0-9]+")


def output_file_name(command: str) -> str:
    """The file that holds a command's output: ``display alarm active`` -> ``display_alarm_active.txt``;
    TL1 ``RTRV-ALM-ALL:SDH-CEN::42;`` -> ``rtrv_alm_all.txt`` (the verb only)."""
    return _SLUG.sub("_", command.strip().lower()).strip("_") + ".txt"
