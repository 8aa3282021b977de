"""The alarm layer of the correlator: raw AlarmEvents in, deduplicated alarms and their changes out.

- :class:`AlarmBook` (:mod:`.book`): one alarm per reduction key; duplicates merged, clears paired
  with raises (also when the clear comes first), events placed by their own times, flapping with
  hold-down. Settings: :class:`DedupSettings`.
- :class:`Resolver` (:mod:`.resolve`): the inventory resource (``kind:id``) an alarm is about.
- :class:`AlarmRepository` (:mod:`.store`): the alarm tables (migration ``0002``); save what the
  book changed, load it back after a restart.
"""

from correlator.alarms.book import AlarmBook, AlarmRecord, AlarmWrites, BookState, OrphanClear
from correlator.alarms.model import (
    Alarm,
    AlarmChange,
    AlarmChangeKind,
    AlarmKind,
    AlarmState,
    BookStats,
)
from correlator.alarms.resolve import NameRules, Resolver, load_name_rules
from correlator.alarms.settings import DedupSettings
from correlator.alarms.store import AlarmRepository, save_in

__all__ = [
    "Alarm",
    "AlarmBook",
    "AlarmChange",
    "AlarmChangeKind",
    "AlarmKind",
    "AlarmRecord",
    "AlarmRepository",
    "AlarmState",
    "AlarmWrites",
    "BookState",
    "BookStats",
    "DedupSettings",
    "NameRules",
    "OrphanClear",
    "Resolver",
    "load_name_rules",
    "save_in",
]
