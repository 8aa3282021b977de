"""SNMP trap and inform reception (see :mod:`agent.traps.receiver`)."""

from agent.traps.auth import TrapAuth, TrapCommunity, TrapUser, peek_v3, trap_auth
from agent.traps.convert import Notification, notification
from agent.traps.receiver import TrapReceiver, TrapReceiverError, TrapStats, parse_listen

__all__ = [
    "Notification",
    "TrapAuth",
    "TrapCommunity",
    "TrapReceiver",
    "TrapReceiverError",
    "TrapStats",
    "TrapUser",
    "notification",
    "parse_listen",
    "peek_v3",
    "trap_auth",
]
