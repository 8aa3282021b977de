"""Optical receive power: raw value in a platform's unit -> dBm, and the threshold test with hysteresis."""

from __future__ import annotations

import math
from dataclasses import dataclass

from agent.profiles.model import OpticalRule
from agent.profiles.runtime import Decoded, RowView, render_value
from agent.settings import OpticalThresholds

_DBM_DIVISOR = {"dbm": 1, "deci_dbm": 10, "centi_dbm": 100, "milli_dbm": 1000}
_MW_DIVISOR = {"milliwatt": 1, "microwatt": 1000, "tenth_microwatt": 10000}


@dataclass(frozen=True)
class Reading:
    """One receive-power reading: ``dbm`` is None when no light was received."""

    dbm: float | None
    raw: str

    @property
    def no_light(self) -> bool:
        return self.dbm is None


class OpticalError(ValueError):
    """The row's value cannot be read as a power (wrong type, missing scale ...)."""


def _number(value: Decoded | None, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OpticalError(f"{what} is {'missing' if value is None else f'not a number ({value!r:.40})'}")
    return float(value)


def _mw_to_dbm(mw: float) -> float | None:
    return None if mw <= 0 else 10.0 * math.log10(mw)


def read_power(rule: OpticalRule, row: RowView) -> Reading | None:
    """The reading of one row; None when there is none (module absent, sensor not ok, not a power sensor)."""
    raw_value = row.get(rule.value)
    raw = _number(raw_value, rule.value)
    raw_text = render_value(raw_value) if raw_value is not None else "?"
    if raw.is_integer() and int(raw) in rule.absent:
        return None
    if raw.is_integer() and int(raw) in rule.no_light:
        return Reading(None, raw_text or "?")
    value = raw * rule.multiplier
    if rule.unit in _DBM_DIVISOR:
        return Reading(value / _DBM_DIVISOR[rule.unit], raw_text or "?")
    if rule.unit in _MW_DIVISOR:
        return Reading(_mw_to_dbm(value / _MW_DIVISOR[rule.unit]), raw_text or "?")
    sensor = rule.sensor
    assert sensor is not None
    if sensor.status is not None:
        status = row.get(sensor.status)
        if status is not None and status != "ok":
            return None
    kind = row.get(sensor.type)
    if kind not in ("watts", "dBm"):
        return None
    scale = row.get(sensor.scale)
    if not isinstance(scale, str) or scale not in rule.exponents:
        raise OpticalError(f"{sensor.scale} is {scale!r}, not one of {', '.join(rule.exponents)}")
    precision = _number(row.get(sensor.precision), sensor.precision)
    number = value * 10.0 ** (rule.exponents[scale] - precision)
    if kind == "dBm":
        return Reading(number, raw_text or "?")
    return Reading(_mw_to_dbm(number * 1000.0), raw_text or "?")


@dataclass(frozen=True)
class Verdict:
    low: str | None
    """Detail of a low-power condition, if raised."""
    high: str | None


def judge(reading: Reading, limits: OpticalThresholds, low_active: bool, high_active: bool) -> Verdict:
    """Compare with the thresholds. A raised alarm clears only ``hysteresis_db`` inside its limit."""
    if reading.dbm is None:
        return Verdict(f"no light (raw {reading.raw})", None)
    dbm = reading.dbm
    low_limit = limits.rx_low_dbm + (limits.hysteresis_db if low_active else 0.0)
    high_limit = limits.rx_high_dbm - (limits.hysteresis_db if high_active else 0.0)
    low = None
    high = None
    if dbm < low_limit:
        low = f"rx {dbm:.2f} dBm below {limits.rx_low_dbm:.2f} dBm"
        if low_active and dbm >= limits.rx_low_dbm:
            low = f"rx {dbm:.2f} dBm, held until {low_limit:.2f} dBm (hysteresis)"
    if dbm > high_limit:
        high = f"rx {dbm:.2f} dBm above {limits.rx_high_dbm:.2f} dBm"
        if high_active and dbm <= limits.rx_high_dbm:
            high = f"rx {dbm:.2f} dBm, held until {high_limit:.2f} dBm (hysteresis)"
    return Verdict(low, high)
