"""The normalised alarm-type table (``config/alarm_types.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from correlator.wire import Severity

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "alarm_types.yaml"


class AlarmType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    layer: str
    severity: Severity
    kind: Literal["defect", "indication", "state", "meta"]
    description: str


class AlarmTypeTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1)
    types: dict[str, AlarmType]

    def get(self, name: str) -> AlarmType:
        try:
            return self.types[name]
        except KeyError:
            raise KeyError(f"unknown alarm type '{name}' (add it to config/alarm_types.yaml)") from None


@cache
def load_alarm_types(path: Path = DEFAULT_PATH) -> AlarmTypeTable:
    return AlarmTypeTable.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
