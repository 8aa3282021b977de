"""Resolve secret references (``env:NAME``, ``file:PATH``, ``secret:KEY``) at run time.

A :class:`Secret` never shows its value in ``str``/``repr``, so it cannot leak into a log line or
an exception text by accident; code that needs the value calls :meth:`Secret.reveal` at the last
moment (when handing it to pysnmp or netmiko).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml


class SecretError(Exception):
    """A reference that cannot be resolved; the message names the reference, never a value."""


class Secret:
    __slots__ = ("_ref", "_value")

    def __init__(self, ref: str, value: str) -> None:
        self._ref = ref
        self._value = value

    @property
    def ref(self) -> str:
        return self._ref

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self._ref!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._ref == self._ref and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._ref)


class SecretResolver:
    """Resolves references against the environment, files, and the daemon's secrets file."""

    def __init__(self, base_dir: Path, secrets_file: str | None = None, env: dict[str, str] | None = None) -> None:
        self._base = base_dir
        self._env = env if env is not None else dict(os.environ)
        self._file = secrets_file
        self._table: dict[str, str] | None = None

    def _secrets_table(self) -> dict[str, str]:
        if self._table is None:
            if self._file is None:
                raise SecretError("secret: references need secrets_file in the daemon config")
            path = self._base / self._file
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except OSError as exc:
                raise SecretError(f"cannot read secrets file {path}: {exc.strerror}") from None
            except yaml.YAMLError:
                raise SecretError(f"secrets file {path} is not valid YAML") from None
            if not isinstance(data, dict):
                raise SecretError(f"secrets file {path} must be a mapping of KEY: value")
            self._table = {str(k): str(v) for k, v in data.items()}
        return self._table

    def resolve(self, ref: str) -> Secret:
        kind, _, name = ref.partition(":")
        if kind == "env":
            if name not in self._env:
                raise SecretError(f"environment variable {name} is not set (needed by {ref})")
            return Secret(ref, self._env[name])
        if kind == "file":
            path = Path(name) if Path(name).is_absolute() else self._base / name
            try:
                return Secret(ref, path.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise SecretError(f"cannot read {path} for {ref}: {exc.strerror}") from None
        if kind == "secret":
            table = self._secrets_table()
            if name not in table:
                raise SecretError(f"key {name} is not in the secrets file (needed by {ref})")
            return Secret(ref, table[name])
        raise SecretError(f"'{ref}' is not env:NAME, file:PATH or secret:KEY")
