"""The daemon config (``linewatch.yaml``): what to load, where to store, which credential sets.

Secrets are never written here: a credential set holds *references*, ``env:NAME`` (an environment
variable), ``file:PATH`` (a file holding only the secret) or ``secret:KEY`` (a key of the YAML
``secrets_file``). :mod:`correlator.secrets` resolves them at run time.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from agent.settings import AgentSettings
from correlator.feeds.settings import FeedsSettings
from correlator.service.settings import ApiSettings, CorrelatorSettings

_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|secret:[A-Za-z0-9_.\-]+)$")


def _secret_ref(v: str) -> str:
    if not _REF.match(v):
        raise ValueError("must be a reference env:NAME, file:PATH or secret:KEY, never the secret itself")
    return v


SecretRef = Annotated[str, AfterValidator(_secret_ref)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnmpCredentials(Strict):
    version: Literal["v1", "v2c", "v3"]
    community: SecretRef | None = None
    user: str | None = None
    auth_protocol: Literal["sha", "sha224", "sha256", "sha384", "sha512", "md5"] | None = None
    auth_key: SecretRef | None = None
    priv_protocol: Literal["aes", "aes192", "aes256", "des", "3des"] | None = None
    priv_key: SecretRef | None = None

    @model_validator(mode="after")
    def _complete(self) -> SnmpCredentials:
        if self.version in ("v1", "v2c"):
            if self.community is None:
                raise ValueError(f"SNMP {self.version} needs 'community'")
        else:
            if not self.user:
                raise ValueError("SNMP v3 needs 'user'")
            if (self.auth_protocol is None) != (self.auth_key is None):
                raise ValueError("SNMP v3 'auth_protocol' and 'auth_key' go together")
            if (self.priv_protocol is None) != (self.priv_key is None):
                raise ValueError("SNMP v3 'priv_protocol' and 'priv_key' go together")
            if self.priv_protocol is not None and self.auth_protocol is None:
                raise ValueError("SNMP v3 privacy needs authentication (authPriv)")
        return self


class CliCredentials(Strict):
    username: str
    password: SecretRef
    secret: SecretRef | None = Field(default=None, description="enable / super password")
    transport: Literal["ssh", "telnet"] = "ssh"
    port: int | None = Field(default=None, ge=1, le=65535)


class CredentialSet(Strict):
    snmp: SnmpCredentials | None = None
    cli: CliCredentials | None = None

    @model_validator(mode="after")
    def _something(self) -> CredentialSet:
        if self.snmp is None and self.cli is None:
            raise ValueError("a credential set needs 'snmp', 'cli' or both")
        return self


class StoreConfig(Strict):
    url: str = Field(
        default="sqlite:///state/linewatch.db",
        description="SQLAlchemy URL; a relative SQLite path is relative to this config file",
    )

    @model_validator(mode="after")
    def _scheme(self) -> StoreConfig:
        if not self.url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("store url must start with sqlite:/// or postgresql+psycopg://")
        return self


class DaemonConfig(Strict):
    version: int = Field(ge=1, le=1)
    name: str = "linewatch"
    timezone: str = Field(default="Asia/Shanghai", description="for reports and month boundaries")
    sla_policy: str = Field(description="path of the SLA policy, relative to this file")
    inventory: list[str] = Field(min_length=1, description="inventory files or globs")
    secrets_file: str | None = None
    store: StoreConfig = StoreConfig()
    credentials: dict[str, CredentialSet] = Field(default_factory=dict)
    agent: AgentSettings = AgentSettings()
    feeds: FeedsSettings = FeedsSettings()
    correlator: CorrelatorSettings = CorrelatorSettings()
    api: ApiSettings = ApiSettings()
